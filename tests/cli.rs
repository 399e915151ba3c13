//! The command line: exit codes, the summary, and one test per SPEC §7 error class — each
//! bad input is reported as `file:line: column: message`, exits 2, and writes nothing.

use std::path::Path;
use std::process::{Command, Output};

pub(crate) const SETTINGS: &str = "start = \"2026-03-01\"\nend = \"2026-03-05\"\n";
pub(crate) const ACCOUNTS: &str = "account_id,enterprise_id,balance\nL,e1,100.00\nM,e1,100.00\n";
pub(crate) const RESOURCES: &str =
    "resource_id,account_id,product,billing_method,cycle,expires_at\n\
r1,L,ecs,pay_as_you_go,daily,\nr2,L,oss,subscription,monthly,2026-04-01\n";
pub(crate) const USAGE: &str =
    "time,resource_id,amount\n2026-03-01T10:00:00,r1,1.00\n2026-03-02T10:00:00,r2,30.00\n";

/// A valid scenario with `overrides` replacing (or, with empty text, deleting) files.
pub(crate) fn scenario(overrides: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = [
        ("scenario.toml", SETTINGS),
        ("accounts.csv", ACCOUNTS),
        ("resources.csv", RESOURCES),
        ("usage.csv", USAGE),
    ];
    for (name, text) in base.iter().chain(overrides) {
        let path = dir.path().join(name);
        if text.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            std::fs::write(&path, text).expect("write");
        }
    }
    dir
}

pub(crate) fn trustsim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run trustsim")
}

/// Runs `trustsim run` on a bad scenario; asserts exit 2, no output directory, and that
/// stderr has every expected line prefix. Returns stderr.
pub(crate) fn assert_rejected(overrides: &[(&str, &str)], expected: &[&str]) -> String {
    let dir = scenario(overrides);
    let out_dir = dir.path().join("out");
    let out = trustsim(
        &["run", ".", "--out", out_dir.to_str().expect("utf-8 path")],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "exit status; stderr:\n{stderr}");
    assert!(!out_dir.exists(), "no partial output");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for want in expected {
        assert!(
            stderr.lines().any(|l| l.starts_with(want)),
            "missing {want:?} in:\n{stderr}"
        );
    }
    stderr
}

/// A working directory outside the scenario: reports may not go inside it (SPEC §6).
fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn valid_scenario_runs_and_prints_a_summary() {
    let dir = scenario(&[]);
    let work = workdir();
    let out = trustsim(&["run", utf8(dir.path()), "--out", "reports"], work.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 bills from 2 usage rows"), "{stdout}");
    for f in trustsim::report::REPORT_FILES {
        assert!(work.path().join("reports").join(f).is_file(), "{f}");
    }
}

#[test]
fn default_output_goes_to_output_slash_name() {
    let dir = scenario(&[(
        "scenario.toml",
        "name = \"demo\"\nstart = 2026-03-01\nend = 2026-03-05\n",
    )]);
    let work = workdir();
    let out = trustsim(&["run", utf8(dir.path())], work.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(work.path().join("output/demo/bills.csv").is_file());
}

#[test]
fn validate_writes_nothing() {
    let dir = scenario(&[]);
    let out = trustsim(&["validate", "."], dir.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
    assert!(!dir.path().join("output").exists());
}

#[test]
fn missing_required_files() {
    assert_rejected(
        &[("usage.csv", ""), ("accounts.csv", "")],
        &[
            "accounts.csv:0: -: file is missing",
            "usage.csv:0: -: file is missing",
        ],
    );
    assert_rejected(
        &[("scenario.toml", "")],
        &["scenario.toml:0: -: file is missing"],
    );
}

#[test]
fn settings_errors_name_line_and_key() {
    assert_rejected(
        &[(
            "scenario.toml",
            "start = \"2026-03-01\"\nend = \"2026-03-05\"\ncolour = \"red\"\n",
        )],
        &["scenario.toml:3: colour: unknown field `colour`"],
    );
    assert_rejected(
        &[("scenario.toml", "start = \"2026-03-01\"\nend = \"2026-03-05\"\ntimezone = \"Mars/Base\"\nmoney_scale = 9\nrounding = \"up\"\nweek_start = \"mon\"\n[policy]\nunsettled = \"maybe\"\ngrace_hours = -1\n")],
        &[
            "scenario.toml:3: timezone:",
            "scenario.toml:4: money_scale: expected an integer from 0 to 8",
            "scenario.toml:5: rounding:",
            "scenario.toml:6: week_start:",
            "scenario.toml:8: unsettled:",
            "scenario.toml:9: grace_hours:",
        ],
    );
    assert_rejected(
        &[("scenario.toml", "end = \"2026-03-05\"\n")],
        &["scenario.toml:0: start: required setting"],
    );
    assert_rejected(
        &[(
            "scenario.toml",
            "start = \"2026-03-05\"\nend = \"2026-03-01\"\n",
        )],
        &["scenario.toml:2: end: expected `end` to be after `start`"],
    );
    assert_rejected(&[("scenario.toml", "start = [\n")], &["scenario.toml:"]);
    assert_rejected(
        &[(
            "scenario.toml",
            "max_linked = 0\nstart = \"2026-03-01\"\nend = \"2026-03-05\"\n",
        )],
        &["scenario.toml:1: max_linked:"],
    );
}

#[test]
fn header_errors() {
    assert_rejected(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,colour\nL,e1,red\n",
        )],
        &["accounts.csv:1: colour: unknown column"],
    );
    assert_rejected(
        &[(
            "accounts.csv",
            "account_id,account_id,enterprise_id\nL,L,e1\n",
        )],
        &["accounts.csv:1: account_id: duplicate column"],
    );
    assert_rejected(
        &[("usage.csv", "time,resource_id\n2026-03-01,r1\n")],
        &["usage.csv:1: amount: required column is missing"],
    );
    assert_rejected(
        &[("usage.csv", "\n")],
        &["usage.csv:1: -: expected a header row"],
    );
}

#[test]
fn row_shape_and_encoding_errors() {
    assert_rejected(
        &[(
            "usage.csv",
            "time,resource_id,amount\n2026-03-01T10:00:00,r1\n",
        )],
        &["usage.csv:2: -: expected 3 fields like the header, found 2"],
    );
    let dir = scenario(&[]);
    std::fs::write(
        dir.path().join("accounts.csv"),
        b"account_id,enterprise_id\nL,e1\nM,\xff\n",
    )
    .expect("write");
    let out = trustsim(&["validate", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("accounts.csv:3: -: invalid UTF-8"));
}

#[test]
fn bom_quotes_blank_lines_and_spaces_are_accepted() {
    let dir = scenario(&[(
        "accounts.csv",
        "\u{feff}account_id, enterprise_id ,balance\n\n\" L \", e1 ,\"100.00\"\n   \nM,e1,1\n",
    )]);
    let out = trustsim(&["validate", "."], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn time_errors() {
    assert_rejected(
        &[("usage.csv", "time,resource_id,amount\n2026-03-01 10:00:00,r1,1\n2026-03-01T10:00:00.5,r1,1\n2026-03-01t10:00:00,r1,1\n2026-03-31T10:00:00,r1,1\n2026-02-28T10:00:00,r1,1\n")],
        &[
            "usage.csv:2: time: expected a time like",
            "usage.csv:3: time: expected a time like",
            "usage.csv:4: time: expected a time like",
            "usage.csv:5: time: 2026-03-31T10:00:00 is outside the horizon",
            "usage.csv:6: time: 2026-02-28T10:00:00 is outside the horizon",
        ],
    );
    assert_rejected(
        &[
            (
                "scenario.toml",
                "timezone = \"America/New_York\"\nstart = \"2026-03-01\"\nend = \"2026-03-10\"\n",
            ),
            (
                "usage.csv",
                "time,resource_id,amount\n2026-03-08T02:30:00,r1,1\n",
            ),
        ],
        &["usage.csv:2: time: 2026-03-08T02:30:00 does not exist in America/New_York"],
    );
}

#[test]
fn amount_errors() {
    assert_rejected(
        &[("usage.csv", "time,resource_id,amount\n2026-03-01,r1,1e3\n2026-03-01,r1,.5\n2026-03-01,r1,+1\n2026-03-01,r1,-1\n2026-03-01,r1,1.12345678901\n2026-03-01,r1,1234567890123\n")],
        &[
            "usage.csv:2: amount: expected a decimal",
            "usage.csv:3: amount: expected a decimal",
            "usage.csv:4: amount: expected a decimal",
            "usage.csv:5: amount: expected an amount >= 0",
            "usage.csv:6: amount: expected at most 10 fraction digits",
            "usage.csv:7: amount: amount \"1234567890123\" is too large",
        ],
    );
    assert_rejected(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,balance\nL,e1,1.001\nM,e1,-1\n",
        )],
        &[
            "accounts.csv:2: balance: expected at most 2 fraction digits",
            "accounts.csv:3: balance: expected an amount >= 0",
        ],
    );
    assert_rejected(
        &[(
            "events.csv",
            "time,kind,account_id,amount\n2026-03-02,topup,L,0\n",
        )],
        &["events.csv:2: amount: expected an amount > 0"],
    );
}

#[test]
fn reference_and_duplicate_errors() {
    assert_rejected(
        &[
            ("accounts.csv", "account_id,enterprise_id\nL,e1\nL,e2\nM,e1\n"),
            ("resources.csv", "resource_id,account_id,product,billing_method,cycle\nr1,X,ecs,pay_as_you_go,daily\nr2,L,oss,rental,yearly\n"),
            ("usage.csv", "time,resource_id,amount\n2026-03-01,nope,1\n"),
        ],
        &[
            "accounts.csv:3: account_id: duplicate id \"L\" (first defined on line 2)",
            "resources.csv:2: account_id: unknown account \"X\"",
            "resources.csv:3: billing_method: expected \"subscription\" or \"pay_as_you_go\"",
            "resources.csv:3: cycle: expected \"hourly\"",
            "usage.csv:2: resource_id: unknown resource \"nope\"",
        ],
    );
    assert_rejected(
        &[("resources.csv", "resource_id,account_id,product,billing_method,cycle,expires_at\nr1,L,ecs,pay_as_you_go,daily,2026-04-01\nr2,L,oss,subscription,monthly,\n")],
        &["resources.csv:2: expires_at: expires_at applies to subscriptions only"],
    );
    assert_rejected(
        &[("usage.csv", "time,resource_id,amount\n2026-03-02T10:00:00,r2,1\n2026-03-02T10:00:00,r2,2\n")],
        &["usage.csv:3: time: second subscription order for r2 at the same instant (first on line 2)"],
    );
}

#[test]
fn event_errors() {
    assert_rejected(
        &[("events.csv", "time,kind,account_id,main_id,resource_id,amount,value\n2026-03-02,merge,L,M,,,\n2026-03-02,establish,L,,,,\n2026-03-02,remove,L,M,,,\n2026-03-02,downgrade,,,zz,,\n2026-03-02,change_real_name,L,,,,\n")],
        &[
            "events.csv:2: kind: expected one of establish, modify, remove",
            "events.csv:3: main_id: required for an establish event",
            "events.csv:4: main_id: must be empty for a remove event",
            "events.csv:5: resource_id: unknown resource \"zz\"",
            "events.csv:6: value: required for a change_real_name event",
        ],
    );
}

#[test]
fn coupon_and_discount_errors() {
    assert_rejected(
        &[
            ("coupons.csv", "coupon_id,account_id,amount,valid_from,valid_until,products\nc1,L,5,2026-03-02,2026-03-01,\nc2,L,5,2026-03-01,,a||b\n"),
            ("discounts.csv", "account_id,product,percent_off,valid_from,valid_until\nL,ecs,101,,\nL,*,10,2026-03-01,2026-03-10\nL,*,5,2026-03-05,\nL,oss,10.12345,,\n"),
        ],
        &[
            "coupons.csv:2: valid_until: expected valid_until to be after valid_from",
            "coupons.csv:3: products: expected product codes joined by |",
            "discounts.csv:2: percent_off: expected a percentage from 0 to 100",
            "discounts.csv:4: valid_from: validity overlaps the row on line 3",
            "discounts.csv:5: percent_off: expected at most 4 fraction digits",
        ],
    );
}

#[test]
fn problems_are_capped_at_fifty() {
    let mut usage = String::from("time,resource_id,amount\n");
    for _ in 0..200 {
        usage.push_str("garbage,r1,x\n");
    }
    let stderr = assert_rejected(&[("usage.csv", &usage)], &["usage.csv:2: time:"]);
    let problems = stderr
        .lines()
        .filter(|l| l.starts_with("usage.csv:"))
        .count();
    assert_eq!(problems, 50, "{stderr}");
    assert!(stderr.contains("stopped after 50 problems"));
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let dir = scenario(&[]);
    let work = workdir();
    let run = || trustsim(&["run", utf8(dir.path()), "--out", "reports"], work.path());
    let out = run();
    assert!(out.status.success());
    let before = std::fs::read(work.path().join("reports/bills.csv")).expect("bills");
    std::fs::write(
        dir.path().join("usage.csv"),
        "time,resource_id,amount\nbad,r1,1\n",
    )
    .expect("write");
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(work.path().join("reports/bills.csv")).expect("bills"),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary directories removed");
}

#[test]
fn check_reports_row_level_differences_and_missing_goldens() {
    let dir = scenario(&[]);
    let path = dir.path().to_str().expect("utf-8");
    let out = trustsim(&["check", path], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expected: missing"));
    let out = trustsim(&["check", "--bless", path], dir.path());
    assert!(out.status.success());
    let out = trustsim(&["check", path], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let bills = dir.path().join("expected/bills.csv");
    let text = std::fs::read_to_string(&bills)
        .expect("bills")
        .replace(",L,B1", ",M,B1");
    std::fs::write(&bills, text).expect("write");
    std::fs::write(dir.path().join("expected/notes.txt"), "x").expect("write");
    std::fs::write(dir.path().join("expected/old_report.csv"), "x").expect("write");
    let out = trustsim(&["check", path], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("bills.csv: 2 rows differ (2 changed)"),
        "{stdout}"
    );
    assert!(stdout.contains("line 2 (bill_id r1@"), "{stdout}");
    assert!(stdout.contains("pricing_account_id  - M"), "{stdout}");
    // An analyst's note is theirs (bless keeps it); a stray CSV is not a report.
    assert!(!stdout.contains("notes.txt"), "{stdout}");
    assert!(stdout.contains("old_report.csv: extra file"), "{stdout}");
}

#[test]
fn line_numbers_count_blank_lines_crlf_and_quoted_breaks() {
    assert_rejected(
        &[(
            "usage.csv",
            "time,resource_id,amount\r\n2026-03-01,r1,1\r\n\r\n2026-03-01,r1,x\r\n\n\n\
             \"2026-03-01\",r1,\"a\nb\"\n2026-03-01,r1,z\n",
        )],
        &[
            "usage.csv:4: amount:",
            "usage.csv:7: amount:",
            "usage.csv:9: amount:",
        ],
    );
}

#[test]
fn large_usage_files_parsed_in_chunks_report_exact_lines() {
    // Over 2 MiB, so usage.csv is parsed in parallel chunks; bad rows sit in both halves
    // and right after a blank line, and each must be reported at its own line.
    let mut usage = String::from("time,resource_id,amount\n");
    let mut line = 1;
    let mut bad_lines = Vec::new();
    while usage.len() < 3 << 20 {
        line += 1;
        if line % 40_000 == 0 {
            usage.push('\n');
            line += 1;
            usage.push_str("2026-03-01T10:00:00,r1,1e3\n");
            bad_lines.push(line);
        } else {
            usage.push_str("2026-03-01T10:00:00,r1,1.00\n");
        }
    }
    let dir = scenario(&[("usage.csv", &usage)]);
    for threads in ["1", "2"] {
        let out = Command::new(env!("CARGO_BIN_EXE_trustsim"))
            .args(["validate", "."])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(dir.path())
            .output()
            .expect("run trustsim");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reported: Vec<u64> = stderr
            .lines()
            .filter_map(|l| {
                l.strip_prefix("usage.csv:")?
                    .split(':')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(reported, bad_lines, "{threads} threads:\n{stderr}");
    }
}
