//! SPEC §8 invariants, checked on written reports. Used on every golden scenario here, and
//! meant for generated scenarios too: it reads only the scenario and the report files.

use crate::util::scenario_dirs;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// A report as header-indexed rows.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut r =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = r
            .headers()
            .expect("header")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = r
            .records()
            .map(|rec| rec.expect("row").iter().map(str::to_string).collect())
            .collect();
        Table { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn money(&self, row: &[String], name: &str) -> Decimal {
        Decimal::from_str(&row[self.col(name)]).expect("amount")
    }

    fn str<'r>(&self, row: &'r [String], name: &str) -> &'r str {
        &row[self.col(name)]
    }
}

/// Checks every SPEC §8 invariant that can be read off one run's reports.
pub fn check_invariants(scenario_dir: &Path, reports: &Path) -> Result<(), String> {
    let scenario = trustsim::scenario::load(scenario_dir).map_err(|e| e.to_string())?;
    let cal = &scenario.settings.calendar;
    let (start, end) = (
        cal.format_time(scenario.settings.start),
        cal.format_time(scenario.settings.end),
    );
    let bills = Table::read(&reports.join("bills.csv"));
    let ledger = Table::read(&reports.join("ledger.csv"));
    let summary = Table::read(&reports.join("summary.csv"));
    let coupons = Table::read(&reports.join("coupon_use.csv"));
    let invoices = Table::read(&reports.join("invoices.csv"));
    let mut problems = Vec::new();

    // Each bill has one payer; list − discount − coupon = payable = paid + outstanding.
    let mut paid_total = Decimal::ZERO;
    let mut pricing_of = BTreeMap::new();
    for row in &bills.rows {
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
    for row in &ledger.rows {
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
                ledger.str(row, "balance_after")
            ));
        }
    }
    if moved != paid_total {
        problems.push(format!(
            "ledger payments + settlements {moved} != paid {paid_total}"
        ));
    }
    for row in &summary.rows {
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
    for row in &coupons.rows {
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
        .rows
        .iter()
        .map(|r| invoices.money(r, "amount"))
        .sum();
    if invoiced != paid_total {
        problems.push(format!(
            "invoices sum to {invoiced}, bills paid {paid_total}"
        ));
    }

    // Availability and ownership tile the horizon for every account / resource.
    for (file, key, n) in [
        ("availability.csv", "account_id", scenario.accounts.len()),
        ("ownership.csv", "resource_id", scenario.resources.len()),
    ] {
        let t = Table::read(&reports.join(file));
        let mut by_key: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for row in &t.rows {
            by_key
                .entry(t.str(row, key))
                .or_default()
                .push((t.str(row, "from"), t.str(row, "to")));
        }
        if by_key.len() != n {
            problems.push(format!("{file}: {} of {n} ids covered", by_key.len()));
        }
        for (id, spans) in by_key {
            let tiles = spans.first().map(|s| s.0) == Some(start.as_str())
                && spans.last().map(|s| s.1) == Some(end.as_str())
                && spans.windows(2).all(|w| w[0].1 == w[1].0);
            if !tiles {
                problems.push(format!(
                    "{file}: {id} does not tile [{start}, {end}): {spans:?}"
                ));
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
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
