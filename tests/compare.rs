//! `trustsim compare` (SPEC §10.1, §10.2): anything compared with itself has no difference
//! (§8), a known what-if gives the rows its reports show, `--fail-if` exits, the csv is in
//! the SPEC's order, and the what-if scenario's comparisons match their goldens.

use crate::util::{root, scenario_dirs};
use std::path::Path;
use std::process::Command;
use trustsim::compare::{self, diff::Scope, format, Comparison, Format};

fn csv_of(c: &[Comparison], variants: bool) -> String {
    format::render(Format::Csv, c, variants)
}

fn what_if() -> std::path::PathBuf {
    root().join("scenarios/what-if-establish-later")
}

#[test]
fn every_golden_compared_with_itself_and_with_its_reports_has_no_difference() {
    let mut checked = 0;
    for dir in scenario_dirs() {
        let expected = dir.join("expected");
        if !expected.join("bills.csv").is_file() {
            continue;
        }
        let same = compare::compare(&dir, &dir, false).expect("compares");
        assert_eq!(same.rows, [], "{} vs itself", dir.display());
        let reports = compare::compare(&dir, &expected, false).expect("compares");
        assert_eq!(reports.rows, [], "{} vs its expected/", dir.display());
        // With --all every value is listed, and still none differs.
        let all = compare::compare(&expected, &dir, true).expect("compares");
        assert!(
            all.rows.len() >= 11,
            "{}: the totals at least",
            dir.display()
        );
        assert!(
            all.rows
                .iter()
                .all(|r| r.a == r.b && r.delta.is_none_or(|d| d.is_zero())),
            "{}",
            dir.display()
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} goldens");
}

/// Rows read off expected/ and expected-variants/week-later/ (see the scenario's README):
/// M paid_as_payer 30.00 → 10.00, L outstanding_as_payer 0.00 → 65.00, bill 03-11 paid
/// 10.00 by M → 5.00 by L (rule L1 → B1), bill 03-18 rule L1 → T5.1.
#[test]
fn establishing_a_week_later_shows_the_rows_its_reports_do() {
    let dir = what_if();
    let c = compare::compare(
        &dir.join("expected"),
        &dir.join("expected-variants/week-later"),
        false,
    )
    .expect("compares");
    let csv = csv_of(&[c], false);
    for row in [
        "account,M,paid_as_payer,30.00,10.00,-20.00",
        "account,M,balance_end,0.00,20.00,20.00",
        "account,L,outstanding_as_payer,0.00,65.00,65.00",
        "total,,paid_as_payer,50.00,35.00,-15.00",
        "bill,r1@2026-03-11T00:00:00+08:00,payer_id,M,L,",
        "bill,r1@2026-03-11T00:00:00+08:00,rule,L1,B1,",
        "bill,r1@2026-03-11T00:00:00+08:00,paid_amount,10.00,5.00,-5.00",
        "bill,r1@2026-03-18T00:00:00+08:00,rule,L1,T5.1,",
        // L is suspended from 03-12 instead of 03-17, to the end (5 days more: 432000 s).
        "account,L,unavailable_seconds,1468800,1900800,432000",
    ] {
        assert!(csv.lines().any(|l| l == row), "missing {row} in\n{csv}");
    }
    // 03-08 was paid by L in both: no row.
    assert!(!csv.contains("r1@2026-03-08"));
}

#[test]
fn rows_are_in_scope_id_metric_order() {
    let c = compare::compare_variants(&what_if(), true).expect("compares");
    let metrics: Vec<&str> = compare::metrics::ACCOUNT_METRICS
        .iter()
        .copied()
        .chain([
            "bill",
            "payer_id",
            "rule",
            "paid_amount",
            "outstanding_amount",
        ])
        .collect();
    for v in &c {
        let key = |r: &compare::diff::Row| {
            let m = match r.scope {
                Scope::Bill => {
                    11 + [
                        "bill",
                        "payer_id",
                        "rule",
                        "paid_amount",
                        "outstanding_amount",
                    ]
                    .iter()
                    .position(|m| *m == r.metric)
                    .expect("a bill metric")
                }
                _ => metrics
                    .iter()
                    .position(|m| *m == r.metric)
                    .expect("a metric"),
            };
            (r.scope, r.id.as_bytes().to_vec(), m)
        };
        let keys: Vec<_> = v.rows.iter().map(key).collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{:?} out of order",
            v.variant
        );
        assert!(v.rows.iter().any(|r| r.scope == Scope::Bill));
    }
    let csv = csv_of(&c, true);
    assert!(csv.starts_with("variant,scope,id,metric,a,b,delta\n"));
}

#[test]
fn a_bill_on_one_side_only_is_present_or_empty() {
    // t3-remove vs t3-daily: different scenarios, so bills exist on one side only.
    let scenarios = root().join("scenarios");
    let c = compare::compare(
        &scenarios.join("t3-daily"),
        &scenarios.join("t3-remove"),
        false,
    )
    .expect("compares");
    let one_side: Vec<_> = c.rows.iter().filter(|r| r.metric == "bill").collect();
    assert!(!one_side.is_empty());
    for r in one_side {
        let (a, b) = (r.a.to_string(), r.b.to_string());
        assert!(
            (a == "present" && b.is_empty()) || (a.is_empty() && b == "present"),
            "{r:?}"
        );
        assert_eq!(r.delta, None);
    }
}

#[test]
fn the_what_if_comparisons_match_their_goldens() {
    let dir = what_if();
    let golden =
        |f: &str| std::fs::read_to_string(dir.join("expected-compare").join(f)).expect("golden");
    let variants = compare::compare_variants(&dir, false).expect("compares");
    assert_eq!(csv_of(&variants, true), golden("variants.csv"));
    let readings = compare::compare_readings(&dir, false).expect("compares");
    let names: Vec<_> = readings
        .iter()
        .filter_map(|c| c.variant.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            "t5_scope=payer,subscription_payer=order",
            "t5_scope=account,subscription_payer=cycle",
            "t5_scope=account,subscription_payer=order",
        ]
    );
    assert_eq!(csv_of(&readings, true), golden("readings.csv"));
}

fn trustsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fail_if_exits_1_naming_what_held_and_2_when_malformed() {
    let a = "scenarios/what-if-establish-later/expected";
    let b = "scenarios/what-if-establish-later/expected-variants/week-later";
    let (code, _, err) = trustsim(&["compare", a, b, "--fail-if", "outstanding_as_payer@L > 0"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("outstanding_as_payer@L > 0") && err.contains("65.00"),
        "{err}"
    );
    let (code, _, err) = trustsim(&[
        "compare",
        a,
        b,
        "--fail-if",
        "paid_as_payer@M > 0",
        "--fail-if",
        "paid_as_payer < -100",
    ]);
    assert_eq!(code, 0, "neither holds: {err}");
    let (code, _, err) = trustsim(&["compare", a, a, "--fail-if", "paid_as_payer >= 0"]);
    assert_eq!(code, 1, "a zero delta is >= 0: {err}");
    let (code, out, err) = trustsim(&["compare", a, b, "--fail-if", "paid >> 1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.is_empty() && err.contains("--fail-if 'paid >> 1'"),
        "{err}"
    );
    let (code, _, err) = trustsim(&["compare", a, "scenarios"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("neither a scenario directory"), "{err}");
    let (code, _, err) = trustsim(&["compare", a, b, "--fail-if", "paid_amount@NOBODY > 0"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("NOBODY"), "{err}");
}

#[test]
fn out_writes_the_file_and_every_format_names_the_rows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("c.md");
    let s = "scenarios/what-if-establish-later";
    let (code, out, err) = trustsim(&[
        "compare",
        s,
        "--format",
        "markdown",
        "--out",
        &file.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let md = std::fs::read_to_string(&file).expect("written");
    assert!(
        md.contains("| account | M | paid_as_payer | 30.00 | 10.00 | -20.00 |"),
        "{md}"
    );
    let (_, json, _) = trustsim(&["compare", s, "--format", "json"]);
    assert!(json.contains(r#""scope":"account","id":"M","metric":"paid_as_payer","a":"30.00","b":"10.00","delta":"-20.00""#), "{json}");
    let (_, table, _) = trustsim(&["compare", s]);
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert!(table.contains("unavailable_hours"), "{table}");
    // Inside a directory being read: refused, exit 3, nothing written.
    let inside = format!("{s}/compare.csv");
    let (code, _, _) = trustsim(&["compare", s, "--out", &inside]);
    assert_eq!(code, 3);
    assert!(!Path::new(&root()).join(&inside).exists());
}

/// `--readings` really changes the reading: in t5-scope-account a sibling's debt holds the
/// request back only under the default `t5_scope = "payer"`, so the `account` reading
/// moves money, and the `order` reading alone (no subscriptions there) does not.
#[test]
fn readings_change_what_the_readings_decide() {
    let dir = root().join("scenarios/t5-scope-account");
    let c = compare::compare_readings(&dir, false).expect("compares");
    let rows = |name: &str| {
        c.iter()
            .find(|c| c.variant.as_deref() == Some(name))
            .map(|c| c.rows.len())
            .expect("a reading")
    };
    assert_eq!(rows("t5_scope=payer,subscription_payer=order"), 0);
    assert!(rows("t5_scope=account,subscription_payer=cycle") > 0);
    let csv = csv_of(&c, true);
    assert!(
        csv.contains(
            "\"t5_scope=account,subscription_payer=cycle\",total,,paid_amount,60.00,320.00,260.00\n"
        ),
        "{csv}"
    );
}
