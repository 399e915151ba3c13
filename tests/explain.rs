//! `trustsim explain` (SPEC §10.4): the committed explanations (`expected-explain/`) are
//! what the command prints, the JSON has the SPEC's keys and says what the reports say
//! (every amount, coupon, ledger, invoice and alert row of the bill, and the request its
//! rule rests on), an unknown id is exit 2 with a did-you-mean, and explaining every bill
//! and account of a generated scenario never panics and keeps all of that.
//!
//! Update a golden after reading it against the SPEC, line by line:
//! `cargo run -q -- explain DIR ID [--format json] > DIR/expected-explain/FILE`.

use crate::util::{root, scenario_dirs};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use trustsim::explain::{self, Explainer, Format, Options};

/// Every explain golden: (scenario, file under expected-explain/, id, format).
const GOLDENS: &[(&str, &str, &str, Format)] = &[
    (
        "spec-9-deferred",
        "t3-r1@2026-03-10.txt",
        "r1@2026-03-10T00:00:00+08:00",
        Format::Text,
    ),
    (
        "spec-9-deferred",
        "t5.1-r1@2026-03-11.txt",
        "r1@2026-03-11T00:00:00+08:00",
        Format::Text,
    ),
    ("spec-9-deferred", "account-L.txt", "L", Format::Text),
    ("spec-9-deferred", "account-L.json", "L", Format::Json),
    (
        "l5-shared-discounts-coupons",
        "l1-l5-r-oss@2026-03-02.txt",
        "r-oss@2026-03-02T00:00:00+08:00",
        Format::Text,
    ),
    (
        "l5-shared-discounts-coupons",
        "l1-l5-r-oss@2026-03-02.json",
        "r-oss@2026-03-02T00:00:00+08:00",
        Format::Json,
    ),
    (
        "t2-alitelecom",
        "t2-r-tel@2026-03-02.txt",
        "r-tel@2026-03-02T00:00:00+08:00",
        Format::Text,
    ),
    (
        "b1-b3-topup-settles-oldest",
        "b3-r-ecs@2026-03-02.txt",
        "r-ecs@2026-03-02T00:00:00+08:00",
        Format::Text,
    ),
];

fn format_flag(f: Format) -> &'static str {
    match f {
        Format::Text => "text",
        Format::Json => "json",
    }
}

#[test]
fn explanations_match_their_goldens() {
    let mut failures = String::new();
    for &(scenario, file, id, format) in GOLDENS {
        let dir = root().join("scenarios").join(scenario);
        let options = Options {
            format,
            ..Options::default()
        };
        let got = explain::explain(&dir, id, &options).expect("explains");
        let path = dir.join("expected-explain").join(file);
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            failures.push_str(&format!(
                "{} differs; after reading it, update with\n  cargo run -q -- explain scenarios/{scenario} '{id}' --format {} > scenarios/{scenario}/expected-explain/{file}\n--- got\n{got}--- want\n{want}\n",
                path.display(),
                format_flag(format)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// A golden nobody checks is a golden that rots: every file under an expected-explain/ is
/// in [`GOLDENS`], and each scenario's README names its explain goldens.
#[test]
fn every_explain_golden_is_checked_and_named_in_its_readme() {
    let mut found = 0;
    for dir in scenario_dirs() {
        let Ok(entries) = std::fs::read_dir(dir.join("expected-explain")) else {
            continue;
        };
        let scenario = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            assert!(
                GOLDENS.iter().any(|g| g.0 == scenario && g.1 == file),
                "{scenario}/expected-explain/{file} is not in GOLDENS"
            );
            assert!(
                readme.contains(&format!("expected-explain/{file}")),
                "{scenario}/README.md does not name expected-explain/{file}"
            );
            found += 1;
        }
    }
    assert_eq!(found, GOLDENS.len(), "every golden in GOLDENS exists");
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
fn the_command_prints_the_golden_and_refuses_unknown_ids_with_exit_2() {
    let dir = "scenarios/spec-9-deferred";
    let (code, out, err) = trustsim(&["explain", dir, "r1@2026-03-10T00:00:00+08:00"]);
    assert_eq!(code, 0, "{err}");
    let golden = std::fs::read_to_string(
        root()
            .join(dir)
            .join("expected-explain/t3-r1@2026-03-10.txt"),
    )
    .expect("golden");
    assert_eq!(out, golden);
    // The local input forms of SPEC §2 name the same bill.
    let (code, local, _) = trustsim(&["explain", dir, "r1@2026-03-10"]);
    assert_eq!((code, local), (0, golden));

    // A typo of an account: exit 2, nothing on stdout, the likely account named.
    let (code, out, err) = trustsim(&["explain", dir, "LL"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("\"LL\"") && err.contains("did you mean \"L\""),
        "{err}"
    );
    // A time inside a cycle: the bill of that cycle is suggested.
    let (code, _, err) = trustsim(&["explain", dir, "r1@2026-03-10T09:00:00"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean r1@2026-03-10T00:00:00+08:00"),
        "{err}"
    );
    // A misspelled resource.
    let (code, _, err) = trustsim(&["explain", dir, "r2@2026-03-10"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean resource \"r1\""), "{err}");
    // --kind bill refuses an account id; a scenario that does not exist is exit 2 too.
    let (code, _, _) = trustsim(&["explain", dir, "L", "--kind", "bill"]);
    assert_eq!(code, 2);
    let (code, _, err) = trustsim(&["explain", "scenarios/no-such-scenario", "L"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_variant_is_explained_from_its_own_run() {
    // week-later retimes the establish to 03-17 (see the scenario's README): 03-11 is
    // then L's own bill, and its reason cites no request (B1).
    let dir = root().join("scenarios/what-if-establish-later");
    let base = explain::explain(&dir, "r1@2026-03-11", &Options::default()).expect("base");
    let later = explain::explain(
        &dir,
        "r1@2026-03-11",
        &Options {
            variant: Some("week-later".into()),
            ..Options::default()
        },
    )
    .expect("variant");
    assert!(
        base.lines().next().is_some_and(|l| l.contains("(rule L1)")),
        "{base}"
    );
    assert!(
        later
            .lines()
            .next()
            .is_some_and(|l| l.contains("(rule B1)")),
        "{later}"
    );
}

/// An id that is both an account and a bill is refused unless --kind says which.
#[test]
fn an_id_naming_an_account_and_a_bill_needs_kind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let write = |f: &str, text: &str| std::fs::write(dir.join(f), text).expect("write");
    write(
        "scenario.toml",
        "start = \"2026-03-01\"\nend = \"2026-03-03\"\n",
    );
    write(
        "accounts.csv",
        "account_id,enterprise_id,balance\nr1@2026-03-01,e,10.00\n",
    );
    write(
        "resources.csv",
        "resource_id,account_id,product,billing_method,cycle\nr1,r1@2026-03-01,ecs,pay_as_you_go,daily\n",
    );
    write(
        "usage.csv",
        "time,resource_id,amount\n2026-03-01T12:00:00,r1,1.00\n",
    );
    let id = "r1@2026-03-01";
    match explain::explain(dir, id, &Options::default()) {
        Err(explain::ExplainError::Ambiguous(m)) => assert!(m.contains("--kind"), "{m}"),
        other => panic!("{other:?}"),
    }
    for (kind, starts) in [
        (explain::Kind::Bill, "Bill r1@2026-03-01T00:00:00+08:00"),
        (explain::Kind::Account, "Account r1@2026-03-01 "),
    ] {
        let text = explain::explain(
            dir,
            id,
            &Options {
                kind: Some(kind),
                ..Options::default()
            },
        )
        .expect("explains");
        assert!(text.starts_with(starts), "{text}");
    }
}

// ---------------------------------------------------------------------------------------
// The JSON says what the reports say
// ---------------------------------------------------------------------------------------

type CsvRow = BTreeMap<String, String>;

fn read_csv(path: &Path) -> Vec<CsvRow> {
    let mut r = csv::Reader::from_path(path).expect("report");
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("an amount: {text:?}"))
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {v}"))
}

const BILL_KEYS: [&str; 15] = [
    "bill_id",
    "account_id",
    "payer_id",
    "pricing_account_id",
    "rule",
    "cycle_start",
    "cycle_end",
    "issued_at",
    "reason",
    "request",
    "discount",
    "coupons",
    "ledger",
    "invoice",
    "alerts",
];

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

fn sorted<const N: usize>(mut k: [&'static str; N]) -> Vec<&'static str> {
    k.sort_unstable();
    k.to_vec()
}

/// Checks the JSON explanation of every bill of the scenario in `dir` against its reports
/// in `reports`, and that its text cites what it rests on; returns how many bills.
fn check_every_bill(dir: &Path, reports: &Path) -> usize {
    let scenario = trustsim::scenario::load(dir).expect("loads");
    let results = trustsim::simulate(&scenario).expect("simulates");
    let x = Explainer::new(&scenario, &results);
    let bills = read_csv(&reports.join("bills.csv"));
    let coupon_use = read_csv(&reports.join("coupon_use.csv"));
    let ledger = read_csv(&reports.join("ledger.csv"));
    let alerts = read_csv(&reports.join("alerts.csv"));
    let invoices = read_csv(&reports.join("invoices.csv"));
    let events: BTreeMap<String, CsvRow> = read_csv(&reports.join("events.csv"))
        .into_iter()
        .map(|e| (e["seq"].clone(), e))
        .collect();
    let where_ = |b: &CsvRow| format!("{}: {}", dir.display(), b["bill_id"]);

    for b in &bills {
        let id = &b["bill_id"];
        let subject = x
            .find(id, None)
            .unwrap_or_else(|e| panic!("{}: {e}", where_(b)));
        let v: Value = serde_json::from_str(&x.render(subject, Format::Json))
            .unwrap_or_else(|e| panic!("{}: JSON: {e}", where_(b)));
        assert_eq!(keys(&v), sorted(BILL_KEYS), "{}", where_(b));
        for k in [
            "bill_id",
            "account_id",
            "payer_id",
            "pricing_account_id",
            "rule",
            "cycle_start",
            "cycle_end",
            "issued_at",
        ] {
            assert_eq!(str_of(&v, k), b[k], "{} {k}", where_(b));
        }

        // Discount and coupons add up to the bill's amounts; each coupon row is its
        // coupon_use.csv row, in order.
        let discount = match &v["discount"] {
            Value::Null => Decimal::ZERO,
            d => {
                assert_eq!(
                    keys(d),
                    sorted(["account_id", "product", "percent_off", "amount"])
                );
                assert_eq!(str_of(d, "account_id"), b["pricing_account_id"]);
                dec(str_of(d, "amount"))
            }
        };
        assert_eq!(discount, dec(&b["discount_amount"]), "{}", where_(b));
        let coupons = v["coupons"].as_array().expect("a list");
        let uses: Vec<&CsvRow> = coupon_use.iter().filter(|c| &c["bill_id"] == id).collect();
        assert_eq!(coupons.len(), uses.len(), "{}", where_(b));
        for (c, u) in coupons.iter().zip(&uses) {
            assert_eq!(
                keys(c),
                sorted(["coupon_id", "owner_id", "amount", "remaining", "rule"])
            );
            for k in ["coupon_id", "owner_id", "amount", "remaining", "rule"] {
                assert_eq!(str_of(c, k), u[k], "{} coupon {k}", where_(b));
            }
        }
        let coupon_sum: Decimal = coupons.iter().map(|c| dec(str_of(c, "amount"))).sum();
        assert_eq!(coupon_sum, dec(&b["coupon_amount"]), "{}", where_(b));

        // The ledger rows are ledger.csv's rows of this bill; payments and settlements add
        // up to what it paid.
        let rows = v["ledger"].as_array().expect("a list");
        let want: Vec<&CsvRow> = ledger.iter().filter(|l| &l["bill_id"] == id).collect();
        assert_eq!(rows.len(), want.len(), "{}", where_(b));
        for (l, w) in rows.iter().zip(&want) {
            for k in ["time", "account_id", "entry", "amount", "balance_after"] {
                assert_eq!(str_of(l, k), w[k], "{} ledger {k}", where_(b));
            }
        }
        let paid: Decimal = rows
            .iter()
            .filter(|l| ["payment", "settlement"].contains(&str_of(l, "entry")))
            .map(|l| dec(str_of(l, "amount")))
            .sum();
        assert_eq!(paid, dec(&b["paid_amount"]), "{}", where_(b));

        // The invoice row, when the bill paid cash.
        match &v["invoice"] {
            Value::Null => assert!(dec(&b["paid_amount"]).is_zero(), "{}", where_(b)),
            i => {
                assert_eq!(str_of(i, "recipient_id"), b["payer_id"]);
                let month = &b["cycle_start"][..7];
                assert_eq!(str_of(i, "month"), month, "{}", where_(b));
                assert!(
                    invoices.iter().any(|r| r["month"] == month
                        && r["recipient_id"] == b["payer_id"]
                        && r["account_id"] == b["account_id"]
                        && r["rule"] == str_of(i, "rule")),
                    "{}",
                    where_(b)
                );
            }
        }
        let got_alerts = v["alerts"].as_array().expect("a list");
        let want_alerts: Vec<&CsvRow> = alerts.iter().filter(|a| &a["bill_id"] == id).collect();
        assert_eq!(got_alerts.len(), want_alerts.len(), "{}", where_(b));
        for (a, w) in got_alerts.iter().zip(&want_alerts) {
            for (k, want) in *w {
                assert_eq!(str_of(a, k), want, "{} alert {k}", where_(b));
            }
        }

        // The request is events.csv's row, a trusteeship request of the incurring
        // account; T3, T5.1 and L1 always rest on one, and the reason cites it.
        let reason = str_of(&v, "reason");
        let rule = &b["rule"];
        // Every bill's rule has its own wording; none falls through to the generic one.
        assert!(!reason.contains("the last request before it"), "{reason}");
        assert!(reason.contains(&format!("(rule {rule})")), "{reason}");
        match &v["request"] {
            Value::Null => assert_eq!(rule, "B1", "{}", where_(b)),
            r => {
                let seq = r["seq"].as_u64().expect("seq is a number").to_string();
                let e = &events[&seq];
                for k in ["kind", "time", "outcome", "rule"] {
                    assert_eq!(str_of(r, k), e[k], "{} request {k}", where_(b));
                }
                assert_eq!(r["effective_at"].as_str().unwrap_or(""), e["effective_at"]);
                assert_eq!(e["account_id"], b["account_id"], "{}", where_(b));
                assert!(["establish", "modify", "remove"].contains(&e["kind"].as_str()));
                assert!(reason.contains(&format!("event {seq} ")), "{reason}");
            }
        }

        // The text opens with the same reason, and a settlement names its event.
        let text = x.render(subject, Format::Text);
        assert_eq!(text.lines().next(), Some(reason));
        for line in text.lines().filter(|l| l.contains(" settled ")) {
            assert!(
                line.contains("event ") && line.contains("(rule B3)"),
                "{line}"
            );
        }
    }
    bills.len()
}

#[test]
fn every_golden_bills_json_says_what_its_reports_say() {
    let mut bills = 0;
    for dir in scenario_dirs() {
        if dir.join("expected/bills.csv").is_file() {
            bills += check_every_bill(&dir, &dir.join("expected"));
        }
    }
    assert!(bills > 200, "only {bills} bills");
}

/// A generated scenario with every feature on (deferrals, modifies, removes, coupons,
/// AliTelecom, subscriptions, alerts): every bill's explanation keeps the checks above,
/// and every account's story renders in both forms with its keys.
#[test]
fn explaining_every_bill_and_account_of_a_generated_scenario_never_panics() {
    use trustsim::generate::{generate, CycleMix, GenerateParams};
    let params = GenerateParams {
        seed: 11,
        days: 4,
        mains: 2,
        linked_per_main: 6,
        resources_per_account: 2,
        cycles: CycleMix {
            hourly: 1,
            daily: 2,
            weekly: 1,
            monthly: 1,
        },
        usage_density: 0.5,
        subscription_share: 0.2,
        alitelecom_share: 0.2,
        coupon_share: 0.4,
        discount_share: 0.4,
        alert_share: 0.3,
        deferred_share: 0.3,
        modifies_per_main: 2,
        removes_per_main: 2,
        ..GenerateParams::default()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("scenario");
    generate(&params, &dir).expect("generates");
    let (_keep, out) = crate::util::out_dir();
    trustsim::run(
        &dir,
        &trustsim::RunOptions {
            out: Some(out.clone()),
            ..Default::default()
        },
    )
    .expect("runs");
    let bills = check_every_bill(&dir, &out);
    assert!(bills > 100, "only {bills} bills");

    let scenario = trustsim::scenario::load(&dir).expect("loads");
    let results = trustsim::simulate(&scenario).expect("simulates");
    let x = Explainer::new(&scenario, &results);
    let mut linked = 0;
    for name in scenario.account_names.iter() {
        let subject = x
            .find(name, Some(explain::Kind::Account))
            .expect("an account");
        let v: Value = serde_json::from_str(&x.render(subject, Format::Json)).expect("JSON");
        assert_eq!(
            keys(&v),
            sorted([
                "account_id",
                "relationships",
                "linked_accounts",
                "rejected_requests",
                "payers",
                "unavailable",
                "summary"
            ])
        );
        let runs = v["payers"].as_array().expect("a list");
        let counted: u64 = runs.iter().map(|r| r["bills"].as_u64().unwrap_or(0)).sum();
        let list: Decimal = runs.iter().map(|r| dec(str_of(r, "list_amount"))).sum();
        assert_eq!(list, dec(str_of(&v["summary"], "list_amount")), "{name}");
        let incurred = results
            .bills
            .in_order()
            .filter(|b| scenario.account_name(b.bill.account) == name)
            .count();
        assert_eq!(counted as usize, incurred, "{name}");
        linked += usize::from(!v["relationships"].as_array().expect("list").is_empty());
        let text = x.render(subject, Format::Text);
        assert!(text.starts_with(&format!("Account {name} ")), "{text}");
    }
    assert!(linked > 5, "only {linked} accounts were ever linked");
}

/// The README's example is what the command prints.
#[test]
fn the_readme_example_is_the_golden() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let golden = std::fs::read_to_string(
        root().join("scenarios/spec-9-deferred/expected-explain/t5.1-r1@2026-03-11.txt"),
    )
    .expect("golden");
    assert!(
        readme.contains("explain scenarios/spec-9-deferred 'r1@2026-03-11T00:00:00+08:00'")
            && readme.contains(&format!("```text\n{golden}```")),
        "README.md's explain example differs from expected-explain/t5.1-r1@2026-03-11.txt"
    );
}
