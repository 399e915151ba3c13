//! `trustsim import focus` and `trustsim reconcile` (SPEC §10.7): exports no one here wrote
//! (tests/data/focus/README.md says how they were made) import with totals that add up
//! exactly, to scenarios that validate and run; a hand-written Alibaba Cloud-style FOCUS
//! 1.0 file gives exactly the scenario it should; bad input is a located error.

use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use trustsim::import::{import_focus, FocusOptions};

fn data(name: &str) -> PathBuf {
    crate::util::root().join("tests/data/focus").join(name)
}

const GENERATED: [&str; 4] = [
    "aws-focus-1.2.csv",
    "azure-focus-1.2.csv",
    "gcp-focus-1.2.csv",
    "gcp-focus-1.3.csv",
];

fn import(files: &[PathBuf], out: &Path, establish: bool) -> trustsim::import::ImportSummary {
    import_focus(&FocusOptions {
        files: files.to_vec(),
        out: out.to_path_buf(),
        timezone: None,
        establish,
    })
    .expect("imports")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Σ of column `name` over the CSV file at `path` (empty fields skipped), in rust_decimal.
fn column_sum(path: &Path, name: &str) -> (Decimal, usize) {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let at = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("{name} in {}", path.display()));
    let mut sum = Decimal::ZERO;
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.expect("row");
        rows += 1;
        let v = rec.get(at).expect("field");
        if !v.is_empty() {
            sum = sum.checked_add(dec(v)).expect("fits a Decimal");
        }
    }
    (sum, rows)
}

/// The numbers after `prefix` on the line of `text` that starts with it, split on `+`, `=`.
fn numbers_after(text: &str, prefix: &str) -> Vec<Decimal> {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{text}"));
    line[prefix.len()..].split(['+', '=']).map(dec).collect()
}

#[test]
fn generated_exports_add_up_exactly_and_run() {
    for name in GENERATED {
        let file = data(name);
        let (_keep, out) = crate::util::out_dir();
        let summary = import(std::slice::from_ref(&file), &out, true);
        let md = std::fs::read_to_string(out.join("import.md")).expect("import.md");

        // Σ imported + Σ not imported = Σ in the files, and that is the file's own sum.
        let eq = numbers_after(
            &md,
            "Σ ListCost imported + Σ ListCost not imported = Σ ListCost in the files: ",
        );
        let [imported, not_imported, total] = eq[..] else {
            panic!("{name}: {eq:?}")
        };
        let (in_file, rows) = column_sum(&file, "ListCost");
        assert_eq!(imported + not_imported, total, "{name}");
        assert_eq!(total, in_file, "{name}");
        assert_eq!(summary.rows, rows as u64, "{name}");
        assert!(
            summary.imported_rows * 10 > summary.rows * 8,
            "{name}: most rows are usage"
        );

        // What the rounding changed, against usage.csv's own sum.
        let line = md
            .lines()
            .find(|l| l.starts_with("Rounding to 10 fraction digits"))
            .expect("rounding line");
        let by = dec(line
            .split("change the imported total by ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .expect("delta"));
        let sums_to = dec(line.rsplit("usage.csv sums to ").next().expect("sum"));
        let (usage_sum, _) = column_sum(&out.join("usage.csv"), "amount");
        assert_eq!(usage_sum, sums_to, "{name}");
        assert_eq!(imported + by, sums_to, "{name}");

        // actuals.csv keeps every BilledCost (no row here has an id trustsim refuses).
        let (billed, _) = column_sum(&file, "BilledCost");
        let (actuals, _) = column_sum(&out.join("actuals.csv"), "billed_cost");
        assert_eq!(actuals, billed, "{name}");

        // The scenario validates and runs; every sub-account billed to another is linked.
        let scenario = trustsim::scenario::load(&out).expect("the imported scenario loads");
        assert_eq!(scenario.events.len(), summary.events);
        assert!(
            summary.events > 0,
            "{name}: the exports bill sub-accounts to payers"
        );
        let (_keep2, reports) = crate::util::out_dir();
        let run = trustsim::run(
            &out,
            &trustsim::RunOptions {
                out: Some(reports.clone()),
                ..Default::default()
            },
        )
        .expect("the imported scenario runs");
        assert!(
            run.bills > 0 && run.usage_rows as u64 == summary.usage_rows,
            "{name}"
        );
        let events = std::fs::read_to_string(reports.join("events.csv")).expect("events");
        assert!(
            events.lines().skip(1).all(|l| l.contains(",applied,")),
            "{name}: every establish applies:\n{events}"
        );
    }
}

/// The hand-written FOCUS 1.0 file in the shape of Alibaba Cloud's "Standard Bill FOCUS":
/// +08:00 charge periods (and one in UTC), sub-accounts under two billing accounts, a
/// billing account's own usage (empty SubAccountId), a Tax row, a Credit row, a negative
/// correction, a 15-fraction-digit cost, a two-day period, quoted JSON in Tags, an `x_`
/// column.
#[test]
fn an_alibaba_style_export_gives_exactly_this_scenario() {
    let (_keep, out) = crate::util::out_dir();
    let s = import(&[data("alibaba-focus-1.0.csv")], &out, true);
    assert_eq!((s.rows, s.imported_rows, s.usage_rows), (10, 6, 6));
    let file = |name: &str| std::fs::read_to_string(out.join(name)).expect(name);
    assert_eq!(
        file("scenario.toml"),
        r#"# Imported by `trustsim import focus`; import.md says what was mapped and what was not.
description = "Imported from FOCUS: alibaba-focus-1.0.csv"
timezone = "+08:00"
start = "2026-02-28T00:00:00+08:00"
end = "2026-04-01T00:00:00+08:00"
currency = "CNY"
provider = "Alibaba Cloud"
service_categories = { "ApsaraDB RDS" = "Databases", "Elastic Compute Service" = "Compute", "Object Storage Service" = "Storage", "Server Load Balancer" = "Networking" }
"#
    );
    assert_eq!(
        file("accounts.csv"),
        "account_id,enterprise_id,balance,low_balance_threshold,high_bill_threshold\n\
         1001,1001,,,\n1002,1002,,,\n2001,1001,,,\n2002,1001,,,\n"
    );
    assert_eq!(
        file("resources.csv"),
        "resource_id,account_id,product,billing_method,cycle,expires_at\n\
         i-bp1,2001,Elastic Compute Service,pay_as_you_go,daily,\n\
         oss-bucket-a,2002,Object Storage Service,pay_as_you_go,hourly,\n\
         rds-pg1,2002,ApsaraDB RDS,subscription,monthly,\n\
         slb-1,1001,Server Load Balancer,pay_as_you_go,daily,\n"
    );
    assert_eq!(
        file("usage.csv"),
        "time,resource_id,amount\n\
         2026-03-01T00:00:00+08:00,i-bp1,10.5\n\
         2026-03-02T00:00:00+08:00,i-bp1,3.1234567890\n\
         2026-03-01T09:00:00+08:00,oss-bucket-a,0.25\n\
         2026-03-01T10:00:00+08:00,oss-bucket-a,0.10\n\
         2026-03-03T00:00:00+08:00,slb-1,7\n\
         2026-03-01T00:00:00+08:00,rds-pg1,300.00\n"
    );
    assert_eq!(
        file("events.csv"),
        "time,kind,account_id,main_id,resource_id,amount,value\n\
         2026-02-28T00:00:00+08:00,establish,2001,1001,,,\n\
         2026-02-28T00:00:00+08:00,establish,2002,1001,,,\n"
    );
    assert_eq!(
        file("actuals.csv"),
        "month,payer_id,account_id,billed_cost\n\
         2026-03,1001,1001,7.000000000000000\n\
         2026-03,1001,2001,7.710000000000000\n\
         2026-03,1001,2002,270.250000000000000\n\
         2026-03,1002,2002,0.100000000000000\n"
    );
    let md = file("import.md");
    for row in [
        "| imported | usage, pay_as_you_go (ChargeCategory Usage, ChargeFrequency Usage-Based or empty) | 5 | 20.973456789012345 | 19.800000000000000 |",
        "| imported | usage, subscription (ChargeCategory Purchase, or ChargeFrequency Recurring or One-Time) | 1 | 300.000000000000000 | 270.000000000000000 |",
        "| not imported | ChargeCategory Tax | 1 | 1.260000000000000 | 1.260000000000000 |",
        "| not imported | ChargeCategory Credit | 1 | -5.000000000000000 | -5.000000000000000 |",
        "| not imported | negative ListCost | 1 | -2.000000000000000 | -2.000000000000000 |",
        "| not imported | charge period not one whole hour, day, week (from Monday) or month in +08:00 | 1 | 1.000000000000000 | 1.000000000000000 |",
        "Σ ListCost imported + Σ ListCost not imported = Σ ListCost in the files: 320.973456789012345 + -4.740000000000000 = 316.233456789012345",
        "Rounding to 10 fraction digits (SPEC §3): 1 imported ListCost value had more; rounded half-even, they change the imported total by -0.000000000012345: usage.csv sums to 320.973456789000000",
        "- 1 account is billed by more than one billing account",
        "- Time zone `+08:00`: 7 of the 7 daily, weekly and monthly charge periods",
    ] {
        assert!(md.contains(row), "import.md lacks {row:?}:\n{md}");
    }
    assert!(
        md.contains("Tags, x_BillingItemCode"),
        "unread columns named:\n{md}"
    );

    // `--timezone` overrides the zone: in UTC the +08:00 days are not whole days.
    let (_keep, utc) = crate::util::out_dir();
    let s = import_focus(&FocusOptions {
        files: vec![data("alibaba-focus-1.0.csv")],
        out: utc.clone(),
        timezone: Some("UTC".into()),
        establish: false,
    })
    .expect("imports");
    assert_eq!(
        s.imported_rows, 2,
        "only the hourly charges are whole cycles in UTC"
    );
    assert!(!utc.join("events.csv").exists());
}

#[test]
fn reconcile_compares_the_run_with_the_actuals() {
    let (_keep, out) = crate::util::out_dir();
    import(&[data("alibaba-focus-1.0.csv")], &out, true);
    let (_keep2, rec) = crate::util::out_dir();
    let s =
        trustsim::import::reconcile::reconcile(&trustsim::import::reconcile::ReconcileOptions {
            scenario: out.clone(),
            out: Some(rec.clone()),
        })
        .expect("reconciles");
    // The establish requests, a day before the first charge, are in effect from the first
    // cycle on; 2002's BilledCost billed by 1002 is simulated as paid by its main 1001; the
    // discounts behind BilledCost are not in the scenario.
    assert_eq!(
        std::fs::read_to_string(rec.join("reconcile.csv")).expect("reconcile.csv"),
        "month,payer_id,account_id,simulated,actual,delta\n\
         2026-03,1001,1001,7.00,7.00,0.00\n\
         2026-03,1001,2001,13.62,7.71,5.91\n\
         2026-03,1001,2002,300.35,270.25,30.10\n\
         2026-03,1002,2002,0.00,0.10,-0.10\n"
    );
    assert_eq!(
        (s.rows, s.differing, s.simulated.as_str(), s.actual.as_str()),
        (4, 3, "320.97", "285.06")
    );
    // Σ simulated = Σ payable_amount of the run's bills.
    let (_keep3, reports) = crate::util::out_dir();
    trustsim::run(
        &out,
        &trustsim::RunOptions {
            out: Some(reports.clone()),
            ..Default::default()
        },
    )
    .expect("runs");
    let (payable, _) = column_sum(&reports.join("bills.csv"), "payable_amount");
    assert_eq!(payable, dec(&s.simulated));
}

fn trustsim_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .output()
        .expect("run trustsim")
}

/// `src` with `edit` applied to its header and to data row `row` (1-based), written to `dst`.
fn edited(src: &Path, dst: &Path, row: usize, edit: impl Fn(&mut Vec<String>, &mut Vec<String>)) {
    let mut r = csv::Reader::from_path(src).expect("csv");
    let mut header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut w = csv::Writer::from_path(dst).expect("write");
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.expect("row").iter().map(String::from).collect())
        .collect();
    edit(&mut header, &mut rows[row - 1]);
    w.write_record(&header).expect("header");
    for rec in rows {
        w.write_record(&rec).expect("row");
    }
    w.flush().expect("flush");
}

/// A change to a header and a row.
type Edit<'a> = Box<dyn Fn(&mut Vec<String>, &mut Vec<String>) + 'a>;

#[test]
fn bad_input_is_a_located_error_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = data("aws-focus-1.2.csv");
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name).expect("column");
    let cases: [(&str, Edit<'_>, String); 4] = [
        (
            "no-list-cost.csv",
            Box::new(move |h, _| {
                let i = col(h, "ListCost");
                h[i] = "ListPrice".into();
            }),
            ":1: ListCost: column is missing".into(),
        ),
        (
            "bad-cost.csv",
            Box::new(move |h, r| r[col(h, "BilledCost")] = "12.5.0".into()),
            // Data row 7 is line 8.
            ":8: BilledCost: expected a decimal cost like 12.50 or 1.5e-7, got \"12.5.0\"".into(),
        ),
        (
            "bad-time.csv",
            Box::new(move |h, r| r[col(h, "ChargePeriodStart")] = "yesterday".into()),
            ":8: ChargePeriodStart: expected a time like 2026-05-01T00:00:00Z".into(),
        ),
        (
            "two-currencies.csv",
            Box::new(move |h, r| r[col(h, "BillingCurrency")] = "EUR".into()),
            ":8: BillingCurrency: expected USD like".into(),
        ),
    ];
    for (name, edit, expected) in cases {
        let file = dir.path().join(name);
        edited(&src, &file, 7, edit);
        let out = dir.path().join(format!("{name}.out"));
        let run = trustsim_cli(&[
            "import",
            "focus",
            file.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{name}: {stderr}");
        let want = format!("{}{expected}", file.display());
        assert!(
            stderr.contains(&want),
            "{name}: expected {want:?} in\n{stderr}"
        );
        assert!(!out.exists(), "{name}: nothing is written");
    }
    // A missing file is named like a missing scenario file.
    let run = trustsim_cli(&[
        "import",
        "focus",
        "/nonexistent/bill.csv",
        "--out",
        "/tmp/x-none",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr)
        .contains("/nonexistent/bill.csv:0: -: file is missing"));
}

#[test]
fn the_output_contract_holds_for_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = data("alibaba-focus-1.0.csv");
    let file = file.to_str().expect("utf-8");
    // A foreign directory is refused (exit 3) and left as it was.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("mine.txt"), "keep").expect("write");
    let run = trustsim_cli(&[
        "import",
        "focus",
        file,
        "--out",
        foreign.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read_dir(&foreign).expect("ls").count(), 1);
    // An import is replaced by the next; what the analyst added is kept.
    let out = dir.path().join("imported");
    let out_s = out.to_str().expect("utf-8");
    let first = trustsim_cli(&["import", "focus", file, "--out", out_s, "--establish"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    std::fs::write(
        out.join("coupons.csv"),
        "coupon_id,account_id,amount,valid_from\n",
    )
    .expect("write");
    let again = trustsim_cli(&["import", "focus", file, "--out", out_s]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        out.join("coupons.csv").exists(),
        "the analyst's file is kept"
    );
    assert!(
        !out.join("events.csv").exists(),
        "the import's own events.csv is gone"
    );
    let validate = trustsim_cli(&["validate", out_s]);
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
}

/// One pass over the input: an export can be piped in.
#[test]
fn an_export_can_be_read_from_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("piped");
    let run = Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(["import", "focus", "/dev/stdin", "--out"])
        .arg(&out)
        .stdin(std::fs::File::open(data("gcp-focus-1.2.csv")).expect("open"))
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (_keep, direct) = crate::util::out_dir();
    import(&[data("gcp-focus-1.2.csv")], &direct, false);
    for name in ["usage.csv", "resources.csv", "accounts.csv", "actuals.csv"] {
        assert_eq!(
            std::fs::read(out.join(name)).expect(name),
            std::fs::read(direct.join(name)).expect(name),
            "{name}"
        );
    }
}
