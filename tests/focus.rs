//! `run --focus` (SPEC §10.6): focus.csv adds up to bills.csv per payer and billing period,
//! its Credit rows are coupon_use's, its times are UTC, it changes none of the nine reports,
//! and importing it gives back each account's list amount.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A CSV file as header → column index and rows.
struct Table {
    columns: BTreeMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let columns = r
            .headers()
            .expect("a header")
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = r
            .records()
            .map(|rec| rec.expect("a row").iter().map(str::to_string).collect())
            .collect();
        Table { columns, rows }
    }

    fn get<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        &row[*self
            .columns
            .get(column)
            .unwrap_or_else(|| panic!("no column {column}"))]
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Runs `scenario` with `--focus` (or without) into a fresh directory.
fn run(scenario: &Path, focus: bool) -> (tempfile::TempDir, PathBuf) {
    let (keep, out) = crate::util::out_dir();
    trustsim::run(
        scenario,
        &trustsim::RunOptions {
            out: Some(out.clone()),
            focus,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{scenario:?} runs: {e}"));
    (keep, out)
}

/// The goldens, the quickstart, and generated fleets of a few seeds.
fn scenarios(scratch: &Path) -> Vec<PathBuf> {
    let mut dirs = crate::util::scenario_dirs();
    for seed in ["1", "7", "42"] {
        let dir = scratch.join(format!("fleet-{seed}"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_trustsim"))
            .args([
                "generate", "--quiet", "--mains", "1", "--days", "3", "--seed", seed,
            ])
            .arg("--out")
            .arg(&dir)
            .output()
            .expect("trustsim generate runs");
        assert!(status.status.success(), "{status:?}");
        dirs.push(dir);
    }
    dirs
}

/// The local month `YYYY-MM` of an RFC 3339 time as bills.csv prints it.
fn local_month(time: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time");
    t.naive_local().format("%Y-%m").to_string()
}

/// The local month whose start is the UTC instant `start` (a local midnight on the 1st):
/// a day later, UTC is within that month whatever the zone's offset (at most ±14 hours).
fn month_of_period_start(start: &str) -> String {
    let t = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%dT%H:%M:%SZ").expect("UTC");
    (t + chrono::Duration::days(1)).format("%Y-%m").to_string()
}

fn is_utc(s: &str) -> bool {
    s.len() == 20
        && s.ends_with('Z')
        && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

#[test]
fn focus_adds_up_to_the_bills_and_its_credits_are_the_coupon_uses() {
    let scratch = tempfile::tempdir().expect("tempdir");
    for scenario in scenarios(scratch.path()) {
        let (_keep, out) = run(&scenario, true);
        let focus = Table::read(&out.join("focus.csv"));
        let bills = Table::read(&out.join("bills.csv"));
        let uses = Table::read(&out.join("coupon_use.csv"));
        let name = scenario.display();

        let mut billed: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut credits = Vec::new();
        let mut charges = 0;
        for row in &focus.rows {
            for c in [
                "BillingPeriodStart",
                "BillingPeriodEnd",
                "ChargePeriodStart",
                "ChargePeriodEnd",
            ] {
                assert!(
                    is_utc(focus.get(row, c)),
                    "{name}: {c} {:?}",
                    focus.get(row, c)
                );
            }
            let cost = dec(focus.get(row, "BilledCost"));
            for c in ["ContractedCost", "EffectiveCost"] {
                assert_eq!(dec(focus.get(row, c)), cost, "{name}: {c}");
            }
            let (period, charge) = (
                [
                    focus.get(row, "BillingPeriodStart"),
                    focus.get(row, "BillingPeriodEnd"),
                ],
                [
                    focus.get(row, "ChargePeriodStart"),
                    focus.get(row, "ChargePeriodEnd"),
                ],
            );
            // Same-form UTC strings order as their instants.
            assert!(
                period[0] <= charge[0] && charge[0] < period[1],
                "{name}: {row:?}"
            );
            assert!(charge[0] < charge[1], "{name}: {row:?}");
            let key = (
                focus.get(row, "BillingAccountId").to_string(),
                month_of_period_start(period[0]),
            );
            *billed.entry(key).or_default() += cost;
            match focus.get(row, "ChargeCategory") {
                "Credit" => {
                    assert_eq!(dec(focus.get(row, "ListCost")), cost, "{name}");
                    credits.push((
                        focus.get(row, "x_CouponId").to_string(),
                        focus.get(row, "x_BillId").to_string(),
                        -cost,
                    ));
                }
                "Usage" | "Purchase" => charges += 1,
                other => panic!("{name}: ChargeCategory {other}"),
            }
        }
        assert_eq!(charges, bills.rows.len(), "{name}: a row per bill");

        let mut payable: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for row in &bills.rows {
            let key = (
                bills.get(row, "payer_id").to_string(),
                local_month(bills.get(row, "cycle_start")),
            );
            *payable.entry(key).or_default() += dec(bills.get(row, "payable_amount"));
        }
        assert_eq!(billed, payable, "{name}: Σ BilledCost = Σ payable_amount");

        let used: Vec<(String, String, Decimal)> = uses
            .rows
            .iter()
            .map(|r| {
                (
                    uses.get(r, "coupon_id").to_string(),
                    uses.get(r, "bill_id").to_string(),
                    dec(uses.get(r, "amount")),
                )
            })
            .collect();
        assert_eq!(
            credits, used,
            "{name}: a Credit row per coupon use, in order"
        );
    }
}

#[test]
fn the_nine_reports_are_the_same_with_and_without_focus() {
    for scenario in crate::util::scenario_dirs() {
        let (_a, with) = run(&scenario, true);
        let (_b, without) = run(&scenario, false);
        for file in trustsim::report::REPORT_FILES {
            let a = std::fs::read(with.join(file)).expect("written");
            let b = std::fs::read(without.join(file)).expect("written");
            assert!(a == b, "{scenario:?}: {file} differs with --focus");
        }
        assert!(with.join("focus.csv").is_file());
        assert!(!without.join("focus.csv").exists());
    }
}

#[test]
fn a_run_without_focus_removes_the_focus_csv_of_the_one_before() {
    let scenario = crate::util::root().join("scenarios/quickstart");
    let (_keep, out) = crate::util::out_dir();
    for (focus, present) in [(true, true), (false, false), (true, true)] {
        trustsim::run(
            &scenario,
            &trustsim::RunOptions {
                out: Some(out.clone()),
                focus,
                ..Default::default()
            },
        )
        .expect("runs");
        assert_eq!(out.join("focus.csv").is_file(), present, "--focus {focus}");
        let marker = std::fs::read_to_string(out.join(".trustsim-reports")).expect("a marker");
        assert_eq!(marker.lines().any(|l| l == "focus.csv"), present);
    }
}

#[test]
fn importing_our_own_focus_gives_back_each_accounts_list_amount() {
    for name in ["quickstart", "l5-shared-discounts-coupons", "t3-monthly"] {
        let scenario = crate::util::root().join("scenarios").join(name);
        let (_keep, out) = run(&scenario, true);
        let summary = Table::read(&out.join("summary.csv"));
        let want: BTreeMap<String, Decimal> = summary
            .rows
            .iter()
            .map(|r| {
                (
                    summary.get(r, "account_id").to_string(),
                    dec(summary.get(r, "list_amount")),
                )
            })
            .filter(|(_, list)| !list.is_zero())
            .collect();

        let scratch = tempfile::tempdir().expect("tempdir");
        let imported = scratch.path().join("imported");
        trustsim::import::import_focus(&trustsim::import::FocusOptions {
            files: vec![out.join("focus.csv")],
            out: imported.clone(),
            timezone: None,
            establish: false,
        })
        .unwrap_or_else(|e| panic!("{name}: our focus.csv imports: {e}"));
        let resources = Table::read(&imported.join("resources.csv"));
        let owner: BTreeMap<String, String> = resources
            .rows
            .iter()
            .map(|r| {
                (
                    resources.get(r, "resource_id").to_string(),
                    resources.get(r, "account_id").to_string(),
                )
            })
            .collect();
        let usage = Table::read(&imported.join("usage.csv"));
        let mut got: BTreeMap<String, Decimal> = BTreeMap::new();
        for r in &usage.rows {
            let account = owner[usage.get(r, "resource_id")].clone();
            *got.entry(account).or_default() += dec(usage.get(r, "amount"));
        }
        let got: BTreeMap<String, Decimal> =
            got.into_iter().map(|(a, d)| (a, d.normalize())).collect();
        let want: BTreeMap<String, Decimal> =
            want.into_iter().map(|(a, d)| (a, d.normalize())).collect();
        assert_eq!(
            got, want,
            "{name}: Σ usage per account = summary list_amount"
        );
    }
}
