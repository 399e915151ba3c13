//! SPEC §8 invariants, checked on written reports. Used on every golden scenario here, and
//! meant for generated scenarios too: it reads only the scenario and the report files.

use crate::util::scenario_dirs;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use trustsim::calendar::Instant;
use trustsim::report::read::{self, Row};
use trustsim::report::schema::{self, Schema};

/// A report read back by the library's reader, with lookups by column name that fail the
/// test loudly on a column the schema does not have.
struct Table(read::Table);

impl Table {
    fn read(reports: &Path, schema: &'static Schema) -> Table {
        Table(read::read_table(reports, schema).unwrap_or_else(|e| panic!("{e}")))
    }

    fn rows(&self) -> &[Row] {
        &self.0.rows
    }

    fn cell<'r>(&self, row: &'r Row, name: &str) -> &'r read::Value {
        let col = self
            .0
            .column(name)
            .unwrap_or_else(|| panic!("{} has no column {name}", self.0.schema.file));
        row.get(col)
    }

    fn money(&self, row: &Row, name: &str) -> Decimal {
        self.cell(row, name)
            .amount()
            .unwrap_or_else(|| panic!("{name} is not an amount"))
    }

    fn str<'r>(&self, row: &'r Row, name: &str) -> &'r str {
        self.cell(row, name)
            .text()
            .unwrap_or_else(|| panic!("{name} is not text"))
    }

    fn instant(&self, row: &Row, name: &str) -> Instant {
        self.cell(row, name)
            .instant()
            .unwrap_or_else(|| panic!("{name} is not a time"))
    }
}

/// Checks every SPEC §8 invariant that can be read off one run's reports.
pub fn check_invariants(scenario_dir: &Path, reports: &Path) -> Result<(), String> {
    let scenario = trustsim::scenario::load(scenario_dir).map_err(|e| e.to_string())?;
    let cal = &scenario.settings.calendar;
    let (start, end) = (scenario.settings.start, scenario.settings.end);
    let bills = Table::read(reports, &schema::BILLS);
    let ledger = Table::read(reports, &schema::LEDGER);
    let summary = Table::read(reports, &schema::SUMMARY);
    let coupons = Table::read(reports, &schema::COUPON_USE);
    let invoices = Table::read(reports, &schema::INVOICES);
    let mut problems = Vec::new();

    // Each bill has one payer; list − discount − coupon = payable = paid + outstanding.
    let mut paid_total = Decimal::ZERO;
    let mut pricing_of = BTreeMap::new();
    for row in bills.rows() {
        let id = bills.str(row, "bill_id");
        if bills.str(row, "payer_id").is_empty() {
            problems.push(format!("bill {id} has no payer"));
        }
        let net = bills.money(row, "list_amount")
            - bills.money(row, "discount_amount")
            - bills.money(row, "coupon_amount");
        let settled = bills.money(row, "paid_amount") + bills.money(row, "outstanding_amount");
        if net != bills.money(row, "payable_amount") || net != settled {
            problems.push(format!(
                "bill {id}: list - discount - coupon = {net}, paid + outstanding = {settled}"
            ));
        }
        paid_total += bills.money(row, "paid_amount");
        pricing_of.insert(
            id.to_string(),
            bills.str(row, "pricing_account_id").to_string(),
        );
    }

    // Σ payment + settlement = Σ paid; per account the balance equation holds.
    let mut moved = Decimal::ZERO;
    let mut balance: BTreeMap<String, Decimal> = scenario
        .accounts
        .iter()
        .map(|a| (scenario.account_name(a.id).to_string(), a.balance.decimal()))
        .collect();
    for row in ledger.rows() {
        let amount = ledger.money(row, "amount");
        let account = ledger.str(row, "account_id").to_string();
        let b = balance.entry(account.clone()).or_default();
        match ledger.str(row, "entry") {
            "payment" | "settlement" => {
                moved += amount;
                *b -= amount;
            }
            _ => *b += amount,
        }
        if *b != ledger.money(row, "balance_after") || *b < Decimal::ZERO {
            problems.push(format!(
                "ledger: {account} balance {b} vs balance_after {}",
                ledger.cell(row, "balance_after")
            ));
        }
    }
    if moved != paid_total {
        problems.push(format!(
            "ledger payments + settlements {moved} != paid {paid_total}"
        ));
    }
    for row in summary.rows() {
        let account = summary.str(row, "account_id");
        let end_balance = summary.money(row, "balance_end");
        if balance.get(account) != Some(&end_balance) || end_balance < Decimal::ZERO {
            problems.push(format!(
                "summary: {account} balance_end {end_balance}, ledger gives {:?}",
                balance.get(account)
            ));
        }
        if end_balance > Decimal::ZERO && summary.money(row, "outstanding_as_payer") > Decimal::ZERO
        {
            problems.push(format!(
                "{account} ends with a positive balance and an unsettled bill"
            ));
        }
    }

    // Coupons never go below 0 and cover only bills priced by their owner.
    for row in coupons.rows() {
        let bill = coupons.str(row, "bill_id");
        if coupons.money(row, "remaining") < Decimal::ZERO
            || coupons.money(row, "amount") <= Decimal::ZERO
        {
            problems.push(format!(
                "coupon use on {bill} has a negative remainder or empty amount"
            ));
        }
        if pricing_of.get(bill).map(String::as_str) != Some(coupons.str(row, "owner_id")) {
            problems.push(format!(
                "coupon {} covers {bill}, not priced by its owner",
                coupons.str(row, "coupon_id")
            ));
        }
    }

    // Invoices sum to the paid amounts.
    let invoiced: Decimal = invoices
        .rows()
        .iter()
        .map(|r| invoices.money(r, "amount"))
        .sum();
    if invoiced != paid_total {
        problems.push(format!(
            "invoices sum to {invoiced}, bills paid {paid_total}"
        ));
    }

    // Availability and ownership tile the horizon for every account / resource.
    for (report, key, n) in [
        (&schema::AVAILABILITY, "account_id", scenario.accounts.len()),
        (&schema::OWNERSHIP, "resource_id", scenario.resources.len()),
    ] {
        let file = report.file;
        let t = Table::read(reports, report);
        let mut by_key: BTreeMap<&str, Vec<(Instant, Instant)>> = BTreeMap::new();
        for row in t.rows() {
            by_key
                .entry(t.str(row, key))
                .or_default()
                .push((t.instant(row, "from"), t.instant(row, "to")));
        }
        if by_key.len() != n {
            problems.push(format!("{file}: {} of {n} ids covered", by_key.len()));
        }
        for (id, spans) in by_key {
            let tiles = spans.first().map(|s| s.0) == Some(start)
                && spans.last().map(|s| s.1) == Some(end)
                && spans.windows(2).all(|w| w[0].1 == w[1].0);
            if !tiles {
                problems.push(format!(
                    "{file}: {id} does not tile [{}, {}): {spans:?}",
                    cal.format_time(start),
                    cal.format_time(end)
                ));
            }
        }
    }

    check_details(&scenario, reports, &bills, &mut problems);

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The finer-grained readings of SPEC §8 (and the §5.4/§6 rules they rest on): one row per
/// bill, bill by bill ledger and coupon sums, each coupon's running remainder and validity,
/// invoices and summary row by row, one events row per input event, maximal intervals.
fn check_details(
    scenario: &trustsim::Scenario,
    reports: &Path,
    bills: &Table,
    problems: &mut Vec<String>,
) {
    let cal = &scenario.settings.calendar;
    let known = |name: &str| scenario.account_names.find(name).is_some();

    // Exactly one row per bill; amounts never negative; the pricing account is the payer or
    // the incurring account (L5, T2).
    let mut by_id: BTreeMap<&str, &Row> = BTreeMap::new();
    for row in bills.rows() {
        let id = bills.str(row, "bill_id");
        if by_id.insert(id, row).is_some() {
            problems.push(format!("bill {id} has more than one row"));
        }
        let payer = bills.str(row, "payer_id");
        let account = bills.str(row, "account_id");
        let pricing = bills.str(row, "pricing_account_id");
        if !known(payer) || !known(account) {
            problems.push(format!("bill {id}: unknown payer {payer:?} or account"));
        }
        if pricing != payer && pricing != account {
            problems.push(format!(
                "bill {id}: pricing account {pricing} is neither payer nor incurring account"
            ));
        }
        for col in [
            "list_amount",
            "discount_amount",
            "coupon_amount",
            "payable_amount",
            "paid_amount",
            "outstanding_amount",
        ] {
            if bills.money(row, col) < Decimal::ZERO {
                problems.push(format!("bill {id}: negative {col}"));
            }
        }
    }

    // Ledger: no zero rows; per bill, payments + settlements = paid, all by the payer.
    let ledger = Table::read(reports, &schema::LEDGER);
    let mut paid_by_ledger: BTreeMap<&str, Decimal> = BTreeMap::new();
    for row in ledger.rows() {
        let amount = ledger.money(row, "amount");
        if amount <= Decimal::ZERO {
            problems.push(format!("ledger row with amount {amount}: {row:?}"));
        }
        if matches!(ledger.str(row, "entry"), "payment" | "settlement") {
            let bill = ledger.str(row, "bill_id");
            *paid_by_ledger.entry(bill).or_default() += amount;
            match by_id.get(bill) {
                Some(b) if bills.str(b, "payer_id") == ledger.str(row, "account_id") => {}
                _ => problems.push(format!("ledger pays {bill:?} from a non-payer: {row:?}")),
            }
        }
    }
    for (id, row) in &by_id {
        let by_ledger = paid_by_ledger.get(id).copied().unwrap_or_default();
        if by_ledger != bills.money(row, "paid_amount") {
            problems.push(format!(
                "bill {id}: paid {} but the ledger pays {by_ledger}",
                bills.cell(row, "paid_amount")
            ));
        }
    }

    // Coupons: each use within the coupon's validity and products, remaining = amount − uses
    // so far (never below 0), and a bill's coupon amount is the sum of its uses.
    let coupons = Table::read(reports, &schema::COUPON_USE);
    let mut remaining: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut covered: BTreeMap<&str, Decimal> = BTreeMap::new();
    for row in coupons.rows() {
        let name = coupons.str(row, "coupon_id");
        let bill = coupons.str(row, "bill_id");
        let amount = coupons.money(row, "amount");
        *covered.entry(bill).or_default() += amount;
        let Some(c) = scenario
            .coupon_names
            .find(name)
            .map(|i| &scenario.coupons[i as usize])
        else {
            problems.push(format!("coupon_use names unknown coupon {name:?}"));
            continue;
        };
        let left = remaining
            .entry(name.to_string())
            .or_insert_with(|| c.amount.decimal());
        *left -= amount;
        if *left != coupons.money(row, "remaining") || *left < Decimal::ZERO {
            problems.push(format!(
                "coupon {name}: remaining {} after {bill}, expected {left}",
                coupons.cell(row, "remaining")
            ));
        }
        if scenario.account_name(c.owner) != coupons.str(row, "owner_id") {
            problems.push(format!("coupon {name}: owner_id is not its owner"));
        }
        let t = coupons.instant(row, "time");
        let valid = c.valid_from <= t && c.valid_until.is_none_or(|u| t < u);
        if !valid {
            problems.push(format!(
                "coupon {name} used on {bill} at {}, outside its validity",
                coupons.cell(row, "time")
            ));
        }
        if let Some(b) = by_id.get(bill) {
            if !c.products.covers(bills.str(b, "product")) {
                problems.push(format!(
                    "coupon {name} covers {bill}, not one of its products"
                ));
            }
        }
    }
    for (id, row) in &by_id {
        let sum = covered.get(id).copied().unwrap_or_default();
        if sum != bills.money(row, "coupon_amount") {
            problems.push(format!(
                "bill {id}: coupon_amount {} but coupon_use sums to {sum}",
                bills.cell(row, "coupon_amount")
            ));
        }
    }

    // Invoices, row by row: month of cycle_start × payer × incurring account, cash paid.
    let mut expected: BTreeMap<((i32, u32), String, String), Decimal> = BTreeMap::new();
    for row in bills.rows() {
        let paid = bills.money(row, "paid_amount");
        if paid.is_zero() {
            continue;
        }
        let key = (
            cal.month_of(bills.instant(row, "cycle_start")),
            bills.str(row, "payer_id").to_string(),
            bills.str(row, "account_id").to_string(),
        );
        *expected.entry(key).or_default() += paid;
    }
    let invoices = Table::read(reports, &schema::INVOICES);
    let mut actual = BTreeMap::new();
    for row in invoices.rows() {
        let (recipient, account) = (
            invoices.str(row, "recipient_id"),
            invoices.str(row, "account_id"),
        );
        let rule = if recipient == account { "B6" } else { "L4" };
        if invoices.str(row, "rule") != rule {
            problems.push(format!("invoice row with rule other than {rule}: {row:?}"));
        }
        let month = invoices.cell(row, "month").month().expect("a month");
        let key = (month, recipient.to_string(), account.to_string());
        if actual.insert(key, invoices.money(row, "amount")).is_some() {
            problems.push(format!("invoice row repeated: {row:?}"));
        }
    }
    if actual != expected {
        problems.push(format!(
            "invoices {actual:?} differ from cash paid per month, payer and account {expected:?}"
        ));
    }

    // Summary: one row per account, its amounts the sums over its bills.
    let summary = Table::read(reports, &schema::SUMMARY);
    if summary.rows().len() != scenario.accounts.len() {
        problems.push(format!(
            "summary has {} rows for {} accounts",
            summary.rows().len(),
            scenario.accounts.len()
        ));
    }
    for row in summary.rows() {
        let account = summary.str(row, "account_id");
        let sum = |filter: &str, col: &str| -> Decimal {
            bills
                .rows()
                .iter()
                .filter(|b| bills.str(b, filter) == account)
                .map(|b| bills.money(b, col))
                .sum()
        };
        for (col, filter, bill_col) in [
            ("list_amount", "account_id", "list_amount"),
            ("discount_amount", "account_id", "discount_amount"),
            ("coupon_amount", "account_id", "coupon_amount"),
            ("paid_amount", "account_id", "paid_amount"),
            ("outstanding_amount", "account_id", "outstanding_amount"),
            ("paid_as_payer", "payer_id", "paid_amount"),
            ("outstanding_as_payer", "payer_id", "outstanding_amount"),
        ] {
            let want = sum(filter, bill_col);
            if summary.money(row, col) != want {
                problems.push(format!(
                    "summary {account} {col} = {}, bills give {want}",
                    summary.cell(row, col)
                ));
            }
        }
    }

    // events.csv: one row per input event, seq 1..n.
    let events = Table::read(reports, &schema::EVENTS);
    let seqs: Vec<Option<u64>> = events
        .rows()
        .iter()
        .map(|r| events.cell(r, "seq").integer())
        .collect();
    let want: Vec<Option<u64>> = (1..=scenario.events.len() as u64).map(Some).collect();
    if seqs != want {
        problems.push(format!(
            "events.csv has seqs {seqs:?} for {} input events",
            scenario.events.len()
        ));
    }

    // Availability and ownership rows are non-empty, maximal intervals (§6).
    for (report, key, state) in [
        (
            &schema::AVAILABILITY,
            "account_id",
            &["status", "cause_account_id", "rule"][..],
        ),
        (&schema::OWNERSHIP, "resource_id", &["owner_id", "rule"][..]),
    ] {
        let file = report.file;
        let t = Table::read(reports, report);
        for row in t.rows() {
            if t.instant(row, "from") >= t.instant(row, "to") {
                problems.push(format!("{file}: empty interval {row:?}"));
            }
        }
        for pair in t.rows().windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if t.str(a, key) == t.str(b, key) && state.iter().all(|c| t.str(a, c) == t.str(b, c)) {
                problems.push(format!("{file}: rows not maximal: {a:?} then {b:?}"));
            }
        }
    }
}

#[test]
fn every_golden_scenario_keeps_the_invariants() {
    let mut failures = String::new();
    for dir in scenario_dirs() {
        let expected = dir.join("expected");
        if !expected.is_dir() {
            continue;
        }
        if let Err(e) = check_invariants(&dir, &expected) {
            failures.push_str(&format!("{}:\n{e}\n", dir.display()));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// The checker is not vacuous: each corruption of a correct run's reports (one that keeps
/// every grand total, where possible) is caught.
#[test]
fn the_checker_rejects_corrupted_reports() {
    let scenario = crate::util::root().join("scenarios/quickstart");
    let corruptions: [(&str, &str, &str); 8] = [
        // A coupon's running remainder out of step with its uses.
        ("coupon_use.csv", "18.19,0.00,L5", "18.19,1.00,L5"),
        // A coupon used after its valid_until (2026-04-01).
        (
            "coupon_use.csv",
            "2026-03-10T11:00:00+08:00,main-welcome",
            "2026-04-01T11:00:00+08:00,main-welcome",
        ),
        // Invoice rows that still sum to the total paid.
        ("invoices.csv", "2026-03,dev,dev,4.00", "2026-03,dev,dev,3.00"),
        // A payment booked to another bill of the same payer.
        (
            "ledger.csv",
            "46.00,dev-ecs@2026-03-10T09:00:00+08:00",
            "46.00,dev-ecs@2026-03-10T08:00:00+08:00",
        ),
        // Availability split into two rows with the same state.
        (
            "availability.csv",
            "dev,2026-03-01T00:00:00+08:00,2026-04-02T00:00:00+08:00,available,,",
            "dev,2026-03-01T00:00:00+08:00,2026-03-05T00:00:00+08:00,available,,\n\
             dev,2026-03-05T00:00:00+08:00,2026-04-02T00:00:00+08:00,available,,",
        ),
        // A summary amount that is not the sum of the account's bills.
        ("summary.csv", "dev,6.01,", "dev,6.02,"),
        // An events row numbered out of sequence.
        (
            "events.csv",
            "\n1,2026-03-10T09:30:00+08:00",
            "\n4,2026-03-10T09:30:00+08:00",
        ),
        // A bill with two rows.
        (
            "bills.csv",
            "\nlab-oss@2026-03-02T10:00:00+08:00",
            "\nlab-oss@2026-03-02T10:00:00+08:00,lab,lab-oss,oss,subscription,monthly,2026-03-01T00:00:00+08:00,2026-04-01T00:00:00+08:00,2026-03-02T10:00:00+08:00,0.00,0.00,0.00,0.00,0.00,0.00,lab,lab,B1\nlab-oss@2026-03-02T10:00:00+08:00",
        ),
    ];
    check_invariants(&scenario, &scenario.join("expected")).expect("quickstart keeps them");
    for (file, from, to) in corruptions {
        let tmp = tempfile::tempdir().expect("tempdir");
        for f in schema::REPORT_FILES {
            std::fs::copy(scenario.join("expected").join(f), tmp.path().join(f)).expect("copy");
        }
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} no longer has {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
        assert!(
            check_invariants(&scenario, tmp.path()).is_err(),
            "{file}: {from:?} -> {to:?} not caught"
        );
    }
}

/// The library's reader reads every golden report, and prints each cell back as the file
/// has it: what `check`, `compare` and these tests read is what trustsim wrote.
#[test]
fn every_golden_report_reads_back_as_written() {
    let mut checked = 0;
    for dir in scenario_dirs() {
        let expected = dir.join("expected");
        if !expected.is_dir() {
            continue;
        }
        let reports = read::read_dir(&expected).unwrap_or_else(|e| panic!("{e}"));
        for table in &reports.tables {
            let path = expected.join(table.schema.file);
            let text = std::fs::read_to_string(&path).expect("read");
            let lines: Vec<&str> = text.lines().skip(1).collect();
            assert_eq!(lines.len(), table.rows.len(), "{}", path.display());
            for (line, row) in lines.iter().zip(&table.rows) {
                let cells: Vec<String> = row.cells.iter().map(|v| v.to_string()).collect();
                assert_eq!(
                    Some(cells),
                    read::split_line(line),
                    "{}:{}",
                    path.display(),
                    row.line
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 9, "no golden reports found");
}

/// The model's complete rows are what the CSV holds: a bill's derived cycle end, paid and
/// outstanding amounts, and every ledger row's balance after (payments included), read
/// back typed from the written reports.
#[test]
fn the_report_model_is_what_the_reports_hold() {
    for name in [
        "quickstart",
        "b1-b3-topup-settles-oldest",
        "b8-downgrade-refund",
        "subscription-order-payer",
    ] {
        let dir = crate::util::root().join("scenarios").join(name);
        let scenario = trustsim::scenario::load(&dir).expect("loads");
        let results = trustsim::simulate(&scenario).expect("simulates");
        let view = trustsim::report::model::View::new(&scenario, &results);
        let tmp = tempfile::tempdir().expect("tempdir");
        trustsim::report::write_reports(&scenario, &results, tmp.path()).expect("writes");
        let reports = read::read_dir(tmp.path()).expect("reads back");
        let cal = &scenario.settings.calendar;

        let bills = Table(reports.get(&schema::BILLS).clone());
        let records: Vec<_> = view.bills().collect();
        assert_eq!(records.len(), bills.rows().len(), "{name}: bills");
        for (b, row) in records.iter().zip(bills.rows()) {
            let id = format!("{}@{}", b.bill_id.resource, cal.format_time(b.bill_id.at));
            assert_eq!(bills.str(row, "bill_id"), id);
            assert_eq!(bills.instant(row, "cycle_end"), b.cycle_end);
            assert_eq!(bills.money(row, "paid_amount"), b.paid_amount.decimal());
            assert_eq!(
                bills.money(row, "outstanding_amount"),
                b.outstanding_amount.decimal()
            );
            assert_eq!(bills.str(row, "pricing_account_id"), b.pricing_account_id);
        }

        let ledger = Table(reports.get(&schema::LEDGER).clone());
        let records: Vec<_> = view.ledger().collect();
        assert_eq!(records.len(), ledger.rows().len(), "{name}: ledger");
        for (l, row) in records.iter().zip(ledger.rows()) {
            assert_eq!(ledger.instant(row, "time"), l.time);
            assert_eq!(ledger.str(row, "account_id"), l.account_id);
            assert_eq!(ledger.str(row, "entry"), l.entry.as_str());
            assert_eq!(
                ledger.money(row, "balance_after"),
                l.balance_after.decimal()
            );
        }
        assert!(
            records.windows(2).all(|w| w[0].key < w[1].key),
            "{name}: the ledger is in processing order"
        );
    }
}
