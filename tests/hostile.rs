//! Hostile input (SPEC §7): whatever bytes a scenario's files hold, loading ends in
//! `Err(Error::Scenario(problems))` — at most 50 problems, each one line
//! `file:line: column: message` — or in a valid run; never a panic and never a hang (every
//! load runs on its own thread under a deadline). And nothing is lost: a run that fails on
//! bad input, an unwritable output directory or a full disk leaves the previous reports
//! exactly as they were.
//!
//! Random cases follow `TRUSTSIM_PROPTEST_CASES` (default 96 per property).

use crate::invariants::check_invariants;
use crate::properties::{case_count, config, scratch};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use trustsim::{Error, Problem};

/// Longest any one load (and run) may take, debug build included: beyond it, a hang.
const DEADLINE: Duration = Duration::from_secs(60);

const FILES: [&str; 7] = [
    "scenario.toml",
    "accounts.csv",
    "resources.csv",
    "usage.csv",
    "events.csv",
    "coupons.csv",
    "discounts.csv",
];

/// A valid scenario using every file, in a DST zone (the gap is 2026-03-08 02:00–03:00).
const BASE: [(&str, &str); 7] = [
    (
        "scenario.toml",
        "timezone = \"America/New_York\"\nstart = \"2026-03-01\"\nend = \"2026-03-15\"\n\
         [policy]\nunsettled = \"defer\"\ngrace_hours = 2\n",
    ),
    (
        "accounts.csv",
        "account_id,enterprise_id,balance,low_balance_threshold,high_bill_threshold\n\
         M,e1,100.00,10.00,50.00\nL,e1,5.00,,\n",
    ),
    (
        "resources.csv",
        "resource_id,account_id,product,billing_method,cycle,expires_at\n\
         r1,L,ecs,pay_as_you_go,hourly,\nr2,L,oss,subscription,monthly,2026-04-01\n\
         r3,M,alitelecom,pay_as_you_go,daily,\n",
    ),
    (
        "usage.csv",
        "time,resource_id,amount\n2026-03-02T10:00:00,r1,1.25\n2026-03-08T03:00:00,r1,2.5\n\
         2026-03-02T11:00:00,r2,30.00\n2026-03-09T00:00:00,r3,0.3333333333\n",
    ),
    (
        "events.csv",
        "time,kind,account_id,main_id,resource_id,amount,value\n\
         2026-03-03T00:00:00,establish,L,M,,,\n2026-03-05T12:00:00,topup,L,,,20.00,\n\
         2026-03-10,downgrade,,,r2,,\n2026-03-12T09:00:00-04:00,remove,L,,,,\n",
    ),
    (
        "coupons.csv",
        "coupon_id,account_id,amount,valid_from,valid_until,products\n\
         c1,M,5.00,2026-03-01,2026-03-09,*\n",
    ),
    (
        "discounts.csv",
        "account_id,product,percent_off,valid_from,valid_until\nM,*,10,,\n",
    ),
];

fn base(file: &str) -> &'static str {
    BASE.iter().find(|(f, _)| *f == file).expect("base file").1
}

/// The base scenario with `file` holding `bytes` instead.
fn scenario_with(file: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = scratch();
    for (name, text) in BASE {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    std::fs::write(dir.path().join(file), bytes).expect("write");
    dir
}

/// Runs `f` on its own thread: Err if it panics or outlives [`DEADLINE`].
fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(v) => {
            let _ = worker.join();
            Ok(v)
        }
        Err(RecvTimeoutError::Timeout) => Err(format!("no answer within {DEADLINE:?}: a hang")),
        Err(RecvTimeoutError::Disconnected) => {
            let payload = worker.join().expect_err("worker ended without answering");
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {msg}"))
        }
    }
}

/// How a hostile scenario ended.
#[derive(Debug)]
enum Outcome {
    Rejected(Vec<Problem>),
    Ran,
}

/// SPEC §7's shape: 1 to 50 problems, each a single line `file:line: column: message`
/// naming a scenario file.
fn well_formed(problems: &[Problem]) -> Result<(), String> {
    if problems.is_empty() || problems.len() > trustsim::error::MAX_PROBLEMS {
        return Err(format!("{} problems", problems.len()));
    }
    for p in problems {
        let line = p.to_string();
        let prefix = format!("{}:{}: {}: ", p.file, p.line, p.column);
        let malformed = !FILES.contains(&p.file.as_str())
            || p.column.is_empty()
            || p.message.trim().is_empty()
            || !line.starts_with(&prefix)
            || line.contains('\n');
        if malformed {
            return Err(format!("malformed problem {p:?}"));
        }
    }
    Ok(())
}

/// Loads `dir`; a valid scenario is also simulated, written and checked against the
/// invariants. Never panics, never hangs: both are reported as Err.
fn outcome(dir: &Path) -> Result<Outcome, String> {
    let dir = dir.to_path_buf();
    guarded(move || -> Result<Outcome, String> {
        let loaded = trustsim::scenario::load(&dir).and_then(|s| {
            let results = trustsim::simulate(&s)?;
            Ok((s, results))
        });
        match loaded {
            Err(Error::Scenario(problems)) => {
                well_formed(&problems)?;
                Ok(Outcome::Rejected(problems))
            }
            Err(e) => Err(format!("not a scenario error: {e}")),
            Ok((scenario, results)) => {
                let out = scratch();
                trustsim::report::write_reports(&scenario, &results, out.path())
                    .map_err(|e| e.to_string())?;
                check_invariants(&dir, out.path())?;
                Ok(Outcome::Ran)
            }
        }
    })?
}

/// The problems of a scenario that must be rejected.
fn rejected(dir: &Path) -> Vec<Problem> {
    match outcome(dir) {
        Ok(Outcome::Rejected(p)) => p,
        Ok(Outcome::Ran) => panic!("{} was accepted", dir.display()),
        Err(e) => panic!("{}: {e}", dir.display()),
    }
}

/// Asserts that `problems` has one starting with `prefix` (`file:line: column:`).
fn assert_problem(problems: &[Problem], prefix: &str, what: &str) {
    assert!(
        problems.iter().any(|p| p.to_string().starts_with(prefix)),
        "{what}: no problem starting {prefix:?} in {problems:#?}"
    );
}

#[test]
fn the_base_scenario_is_valid() {
    let dir = scenario_with("usage.csv", base("usage.csv").as_bytes());
    assert!(matches!(outcome(dir.path()), Ok(Outcome::Ran)));
}

fn run_property<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), String>,
) {
    let mut runner = TestRunner::new(config(case_count(cases)));
    if let Err(e) = runner.run(&strategy, |v| test(v).map_err(TestCaseError::fail)) {
        panic!("{e}");
    }
}

#[test]
fn arbitrary_bytes_in_any_file_are_rejected() {
    run_property(
        96,
        (0..FILES.len(), prop::collection::vec(any::<u8>(), 0..2048)),
        |(file, bytes)| {
            let dir = scenario_with(FILES[file], &bytes);
            match outcome(dir.path())? {
                Outcome::Rejected(_) => Ok(()),
                Outcome::Ran => Err(format!("{} of random bytes accepted", FILES[file])),
            }
        },
    );
}

/// Fields that stress the reader: wrong types, near-misses of every format, DST-gap and
/// out-of-range times, amounts with exponents or too many digits, quoting and control bytes.
const TOKENS: &[&str] = &[
    "",
    " ",
    "L",
    "M",
    "r1",
    "r2",
    "r3",
    "c1",
    "e1",
    "*",
    "ecs",
    "alitelecom",
    "ecs|oss",
    "establish",
    "modify",
    "remove",
    "topup",
    "downgrade",
    "change_real_name",
    "cost_analysis",
    "subscription",
    "pay_as_you_go",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "2026-03-02",
    "2026-03-02T10:00:00",
    "2026-03-08T02:30:00",
    "2026-03-08T03:00:00",
    "2026-03-01T05:00:00Z",
    "2026-03-02T10:00:00+08:00",
    "2026-03-02T10:00:00-00:00",
    "2026-03-14T23:59:59",
    "2026-03-15",
    "2026-02-30",
    "2026-03-01T24:00:00",
    "2026-03-02T10:00:00+24:00",
    "2026-03-02t10:00:00",
    "2026-03-02 10:00:00",
    "2026-03-02T10:00:00.5",
    "9999-12-31T23:59:59",
    "0000-01-01",
    "+2026-03-01",
    "1970-01-01T00:00:00Z",
    "0",
    "1",
    "-1",
    "1.5",
    "1.25",
    "20.00",
    "1e3",
    "1E-2",
    "1.12345678901",
    "123456789012",
    "999999999999.9999999999",
    "99999999999999999999999999999",
    "0.0000000001",
    "+1",
    ".5",
    "5.",
    "NaN",
    "inf",
    "-0",
    "100",
    "100.0001",
    "0x10",
    "１",
    "\"quoted\"",
    "\"a,b\"",
    "\"multi\nline\"",
    "\"unterminated",
    "\"\"",
    "a\"b",
    "\u{0}",
    "é",
    "\u{feff}",
    "\t",
    "\r",
];

fn csv_text() -> impl Strategy<Value = (usize, String)> {
    let row = prop_oneof![
        3 => Just(None),
        1 => (1..9usize).prop_map(Some),
    ]
    .prop_flat_map(|width| {
        let n = width.unwrap_or(0);
        (
            Just(width),
            prop::collection::vec(0..TOKENS.len(), if n == 0 { 1..10 } else { n..n + 1 }),
        )
    });
    (
        1..FILES.len(),
        0..6u8,
        prop::collection::vec(row, 0..7),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(file, header_change, rows, crlf, bom)| {
            let name = FILES[file];
            let mut header: Vec<String> = base(name)
                .lines()
                .next()
                .expect("header")
                .split(',')
                .map(String::from)
                .collect();
            match header_change {
                0 => header.push("colour".into()),
                1 => {
                    header.pop();
                }
                2 => header.push(header[0].clone()),
                3 => header.reverse(),
                _ => {}
            }
            let width = header.len();
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str(&header.join(","));
            text.push_str(newline);
            for (w, tokens) in rows {
                // Most rows have the header's width, so the reader gets past the shape check.
                let tokens: Vec<&str> = match w {
                    None => (0..width)
                        .map(|i| TOKENS[tokens[i % tokens.len()]])
                        .collect(),
                    Some(_) => tokens.iter().map(|&t| TOKENS[t]).collect(),
                };
                text.push_str(&tokens.join(","));
                text.push_str(newline);
            }
            (file, text)
        })
}

#[test]
fn garbage_rows_in_any_table_are_rejected_or_run() {
    run_property(96, csv_text(), |(file, text)| {
        let dir = scenario_with(FILES[file], text.as_bytes());
        outcome(dir.path())
            .map(|_| ())
            .map_err(|e| format!("{}:\n{text}\n{e}", FILES[file]))
    });
}

fn toml_text() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "name",
        "description",
        "timezone",
        "start",
        "end",
        "week_start",
        "money_scale",
        "rounding",
        "max_linked",
        "alitelecom_products",
        "unsettled",
        "grace_hours",
        "colour",
        "policy",
        "[policy]",
        "[other]",
    ]);
    let values = prop::sample::select(vec![
        "\"2026-03-01\"",
        "\"2026-03-15\"",
        "2026-03-01",
        "2026-03-08T02:30:00",
        "2026-03-15T00:00:00-04:00",
        "\"2026-03-08T02:30:00\"",
        "0000-01-01",
        "9999-12-31",
        "00:00:00",
        "2026-03-01T00:00:00.5",
        "\"America/New_York\"",
        "\"+05:30\"",
        "\"+24:00\"",
        "\"Mars/Base\"",
        "\"defer\"",
        "\"reject\"",
        "\"sunday\"",
        "\"down\"",
        "\"..\"",
        "\"a/b\"",
        "0",
        "-1",
        "8",
        "9",
        "4294967296",
        "99999999999999999999",
        "1.5",
        "nan",
        "true",
        "[]",
        "[\"alitelecom\", \"sms\"]",
        "[1, 2]",
        "{ unsettled = \"defer\" }",
        "\"unterminated",
        "",
    ]);
    prop::collection::vec((keys, values), 0..10).prop_map(|lines| {
        let mut text = String::new();
        for (key, value) in lines {
            if key.starts_with('[') {
                text.push_str(key);
            } else {
                text.push_str(&format!("{key} = {value}"));
            }
            text.push('\n');
        }
        text
    })
}

#[test]
fn garbage_settings_are_rejected_or_run() {
    run_property(96, toml_text(), |text| {
        let dir = scenario_with("scenario.toml", text.as_bytes());
        outcome(dir.path())
            .map(|_| ())
            .map_err(|e| format!("scenario.toml:\n{text}\n{e}"))
    });
}

#[test]
fn every_truncation_of_every_file_is_rejected_or_runs() {
    for (file, text) in BASE {
        for cut in 0..text.len() {
            let dir = scenario_with(file, &text.as_bytes()[..cut]);
            if let Err(e) = outcome(dir.path()) {
                panic!("{file} cut at byte {cut}: {e}");
            }
        }
    }
}

#[test]
fn rows_missing_their_last_field_are_rejected_with_their_line() {
    for (file, text) in BASE.iter().skip(1) {
        let lines: Vec<&str> = text.lines().collect();
        for row in 1..lines.len() {
            let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let cut = changed[row].rfind(',').expect("a comma");
            changed[row].truncate(cut);
            let width = lines[0].split(',').count();
            let dir = scenario_with(file, (changed.join("\n") + "\n").as_bytes());
            assert_problem(
                &rejected(dir.path()),
                &format!(
                    "{file}:{}: -: expected {width} fields like the header, found {}",
                    row + 1,
                    width - 1
                ),
                "truncated row",
            );
        }
    }
}

/// Every column of every table, and every setting, given a 1 MB value.
#[test]
fn huge_fields_are_rejected_or_run() {
    let huge_digits = "7".repeat(1 << 20);
    let huge_text = "x".repeat(1 << 20);
    for (file, text) in BASE.iter().skip(1) {
        let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
        for col in 0..header.len() {
            for huge in [&huge_digits, &huge_text] {
                let mut fields: Vec<String> = text
                    .lines()
                    .nth(1)
                    .expect("a row")
                    .split(',')
                    .map(String::from)
                    .collect();
                fields[col] = huge.clone();
                let body = format!("{}\n{}\n", header.join(","), fields.join(","));
                let dir = scenario_with(file, body.as_bytes());
                if let Err(e) = outcome(dir.path()) {
                    panic!("{file} column {}: {e}", header[col]);
                }
            }
        }
    }
    for key in ["name", "timezone", "start", "rounding", "week_start"] {
        let toml =
            format!("start = \"2026-03-01\"\nend = \"2026-03-15\"\n{key} = \"{huge_text}\"\n")
                .replacen(&format!("{key} = \"2026-03-01\"\n"), "", 1);
        let dir = scenario_with("scenario.toml", toml.as_bytes());
        if let Err(e) = outcome(dir.path()) {
            panic!("scenario.toml {key}: {e}");
        }
    }
}

/// `key =` with nothing after it, at the end of the file, must still say what is wrong.
#[test]
fn a_setting_without_a_value_gets_a_message() {
    for toml in [
        "start = \"2026-03-01\"\nend = \"2026-03-15\"\ntimezone =",
        "start = \"2026-03-01\"\nend =",
    ] {
        let dir = scenario_with("scenario.toml", toml.as_bytes());
        for p in rejected(dir.path()) {
            assert!(!p.message.trim().is_empty(), "{toml:?}: {p}");
        }
    }
}

/// A problem is one short line: a 1 MB field or a header name with a line break or nothing
/// in it must not make a 1 MB line, a two-line problem or an empty column.
#[test]

fn problem_lines_are_single_short_lines() {
    let cases: [(&str, String); 3] = [
        (
            "usage.csv",
            format!(
                "time,resource_id,amount\n2026-03-02,r1,{}\n",
                "7".repeat(1 << 20)
            ),
        ),
        (
            "accounts.csv",
            "account_id,enterprise_id,\"a\nb\"\nM,e1,\nL,e1,\n".to_string(),
        ),
        (
            "accounts.csv",
            "account_id,enterprise_id,\nM,e1,\nL,e1,\n".to_string(),
        ),
    ];
    for (file, text) in cases {
        let dir = scenario_with(file, text.as_bytes());
        for p in rejected(dir.path()) {
            let line = p.to_string();
            assert!(
                line.len() <= 4096 && !line.contains('\n') && !p.column.is_empty(),
                "{file}: problem of {} bytes: {:?}",
                line.len(),
                line.chars().take(200).collect::<String>()
            );
        }
    }
}

#[test]
fn wrong_types_name_file_line_and_column() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (file, column, value, expected problem prefix)
        ("accounts.csv", "balance", "abc", "accounts.csv:2: balance:"),
        (
            "accounts.csv",
            "low_balance_threshold",
            "2026-03-01",
            "accounts.csv:2: low_balance_threshold:",
        ),
        (
            "accounts.csv",
            "account_id",
            "",
            "accounts.csv:2: account_id:",
        ),
        (
            "resources.csv",
            "billing_method",
            "monthly",
            "resources.csv:2: billing_method:",
        ),
        (
            "resources.csv",
            "cycle",
            "subscription",
            "resources.csv:2: cycle:",
        ),
        (
            "resources.csv",
            "expires_at",
            "100",
            "resources.csv:2: expires_at:",
        ),
        ("usage.csv", "time", "12.5", "usage.csv:2: time:"),
        ("usage.csv", "amount", "2026-03-02", "usage.csv:2: amount:"),
        (
            "usage.csv",
            "resource_id",
            "1.25",
            "usage.csv:2: resource_id:",
        ),
        ("events.csv", "time", "r1", "events.csv:2: time:"),
        ("events.csv", "kind", "100", "events.csv:2: kind:"),
        ("events.csv", "main_id", "5.00", "events.csv:2: main_id:"),
        ("coupons.csv", "amount", "all", "coupons.csv:2: amount:"),
        (
            "coupons.csv",
            "valid_from",
            "soon",
            "coupons.csv:2: valid_from:",
        ),
        ("coupons.csv", "products", "||", "coupons.csv:2: products:"),
        (
            "discounts.csv",
            "percent_off",
            "ten",
            "discounts.csv:2: percent_off:",
        ),
        (
            "discounts.csv",
            "valid_until",
            "forever",
            "discounts.csv:2: valid_until:",
        ),
    ];
    for &(file, column, value, prefix) in cases {
        let text = base(file);
        let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
        let col = header.iter().position(|h| *h == column).expect("column");
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut fields: Vec<&str> = lines[1].split(',').collect();
        fields[col] = value;
        lines[1] = fields.join(",");
        let dir = scenario_with(file, (lines.join("\n") + "\n").as_bytes());
        assert_problem(
            &rejected(dir.path()),
            prefix,
            &format!("{column} = {value:?}"),
        );
    }
    let settings: &[(&str, &str)] = &[
        ("start = 5", "scenario.toml:1: start:"),
        ("money_scale = \"two\"", "scenario.toml:"),
        ("grace_hours = 1.5", "scenario.toml:"),
        ("timezone = 8", "scenario.toml:"),
        ("alitelecom_products = \"alitelecom\"", "scenario.toml:"),
        ("policy = \"defer\"", "scenario.toml:"),
    ];
    for &(line, prefix) in settings {
        let toml = format!("{line}\nstart = \"2026-03-01\"\nend = \"2026-03-15\"\n");
        let toml = if line.starts_with("start") {
            format!("{line}\nend = \"2026-03-15\"\n")
        } else {
            toml
        };
        let dir = scenario_with("scenario.toml", toml.as_bytes());
        assert_problem(&rejected(dir.path()), prefix, line);
    }
}

#[test]
fn invalid_utf8_is_located() {
    let bad: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf"];
    for (file, text) in BASE {
        for bytes in bad {
            for line in [1usize, 2] {
                let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
                lines[line - 1].extend_from_slice(bytes);
                let body = lines.join(&b"\n"[..]);
                let dir = scenario_with(file, &body);
                let problems = rejected(dir.path());
                let want = if file == "scenario.toml" {
                    format!("{file}:")
                } else {
                    format!("{file}:{line}: -: invalid UTF-8")
                };
                assert_problem(&problems, &want, &format!("{bytes:?} on line {line}"));
                assert!(
                    problems.iter().any(|p| p.message.contains("UTF-8")),
                    "{problems:?}"
                );
            }
        }
    }
}

#[test]
fn times_in_dst_gaps_are_rejected() {
    // New York skips 02:00–03:00 on 2026-03-08.
    let gap = "2026-03-08T02:30:00";
    let cases: &[(&str, &str, &str)] = &[
        ("usage.csv", "2026-03-02T10:00:00,r1", "usage.csv:2: time:"),
        (
            "events.csv",
            "2026-03-03T00:00:00,establish",
            "events.csv:2: time:",
        ),
        (
            "coupons.csv",
            "5.00,2026-03-01,",
            "coupons.csv:2: valid_from:",
        ),
        ("coupons.csv", "2026-03-09,*", "coupons.csv:2: valid_until:"),
        (
            "resources.csv",
            "2026-04-01",
            "resources.csv:3: expires_at:",
        ),
    ];
    for &(file, find, prefix) in cases {
        let time = find
            .split(',')
            .find(|f| f.starts_with("2026"))
            .expect("a time in the pattern");
        let text = base(file).replacen(find, &find.replacen(time, gap, 1), 1);
        assert_ne!(text, base(file), "{file}: pattern {find:?} not found");
        let dir = scenario_with(file, text.as_bytes());
        let problems = rejected(dir.path());
        assert_problem(&problems, prefix, file);
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("does not exist")),
            "{problems:?}"
        );
    }
    let discounts = format!(
        "account_id,product,percent_off,valid_from,valid_until\nM,*,10,{gap},\nL,*,10,,{gap}\n"
    );
    let dir = scenario_with("discounts.csv", discounts.as_bytes());
    let problems = rejected(dir.path());
    assert_problem(&problems, "discounts.csv:2: valid_from:", "discount");
    assert_problem(&problems, "discounts.csv:3: valid_until:", "discount");
    for toml in [
        format!("timezone = \"America/New_York\"\nstart = \"{gap}\"\nend = \"2026-03-15\"\n"),
        format!("timezone = \"America/New_York\"\nstart = {gap}\nend = \"2026-03-15\"\n"),
        format!("timezone = \"America/New_York\"\nstart = \"2026-03-01\"\nend = {gap}\n"),
    ] {
        let dir = scenario_with("scenario.toml", toml.as_bytes());
        let problems = rejected(dir.path());
        assert!(
            problems
                .iter()
                .any(|p| p.file == "scenario.toml" && p.message.contains("does not exist")),
            "{toml}: {problems:?}"
        );
    }
    // Havana skips its midnight on 2026-03-08: a date-only time there is an error too.
    let dir = scenario_with(
        "scenario.toml",
        b"timezone = \"America/Havana\"\nstart = \"2026-03-01\"\nend = \"2026-03-15\"\n",
    );
    std::fs::write(
        dir.path().join("usage.csv"),
        "time,resource_id,amount\n2026-03-08,r1,1\n",
    )
    .expect("write");
    assert_problem(
        &rejected(dir.path()),
        "usage.csv:2: time:",
        "Havana midnight",
    );
    let dir = scenario_with(
        "scenario.toml",
        b"timezone = \"America/Havana\"\nstart = 2026-03-08\nend = \"2026-03-15\"\n",
    );
    assert_problem(&rejected(dir.path()), "scenario.toml:", "Havana start");
}

#[test]
fn amounts_with_exponents_signs_or_too_many_digits_are_rejected() {
    let bad = [
        "1e3",
        "1E3",
        "1.5e-2",
        "+1",
        ".5",
        "5.",
        "1234567890123",
        "99999999999999999999999999999999",
        "\"1,000\"",
        "1_000",
        "0x10",
        "NaN",
        "inf",
        "１",
        "1 000",
        "--1",
        "1.2.3",
    ];
    // (file, line, column, pattern holding the amount, the amount, values bad only there)
    type Site = (
        &'static str,
        u32,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    );
    let sites: &[Site] = &[
        (
            "accounts.csv",
            2,
            "balance",
            "M,e1,100.00",
            "100.00",
            &["1.001", "-0.01"],
        ),
        (
            "accounts.csv",
            2,
            "low_balance_threshold",
            "100.00,10.00,",
            "10.00",
            &["10.001", "-1"],
        ),
        (
            "accounts.csv",
            2,
            "high_bill_threshold",
            "10.00,50.00",
            "50.00",
            &["50.001"],
        ),
        (
            "usage.csv",
            2,
            "amount",
            "r1,1.25",
            "1.25",
            &["1.12345678901", "-1"],
        ),
        (
            "events.csv",
            3,
            "amount",
            "L,,,20.00,",
            "20.00",
            &["20.001", "0", "-5"],
        ),
        (
            "coupons.csv",
            2,
            "amount",
            "M,5.00,",
            "5.00",
            &["5.001", "-5"],
        ),
        (
            "discounts.csv",
            2,
            "percent_off",
            "M,*,10,",
            "10",
            &["10.12345", "100.0001", "101", "-5"],
        ),
    ];
    for &(file, line, column, pattern, old, extra) in sites {
        for value in bad.iter().chain(extra) {
            let replaced = pattern.replacen(old, value, 1);
            let text = base(file).replacen(pattern, &replaced, 1);
            assert_ne!(text, base(file), "{file}: {pattern:?} not found");
            let dir = scenario_with(file, text.as_bytes());
            assert_problem(
                &rejected(dir.path()),
                &format!("{file}:{line}: {column}:"),
                value,
            );
        }
    }
}

#[test]
fn a_million_rows_of_garbage_are_rejected_quickly_with_fifty_problems() {
    let shapes = [
        "garbage,r1,x",
        "2026-03-02T10:00:00,nope,1",
        "1,2",
        "\"unterminated,r1,1",
        "2026-03-02T10:00:00,r1,1e9",
        ",,",
        "2026-13-45,r1,-1",
    ];
    let mut text = String::from("time,resource_id,amount\n");
    for i in 0..1_000_000 {
        text.push_str(shapes[i % shapes.len()]);
        text.push('\n');
    }
    let dir = scenario_with("usage.csv", text.as_bytes());
    let clock = Instant::now();
    let problems = rejected(dir.path());
    assert_eq!(
        problems.len(),
        trustsim::error::MAX_PROBLEMS,
        "{problems:#?}"
    );
    assert!(
        clock.elapsed() < Duration::from_secs(20),
        "took {:?}",
        clock.elapsed()
    );
}

#[test]
fn a_long_file_with_one_bad_row_at_its_end_is_read_to_the_end() {
    let rows = 200_000;
    let mut text = String::from("time,resource_id,amount\n");
    for i in 0..rows {
        text.push_str(&format!(
            "2026-03-{:02}T{:02}:{:02}:00,r1,0.01\n",
            2 + i % 12,
            i % 24,
            i % 60
        ));
    }
    text.push_str("2026-03-02T10:00:00,r1,1e3\n");
    let dir = scenario_with("usage.csv", text.as_bytes());
    let problems = rejected(dir.path());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_problem(
        &problems,
        &format!("usage.csv:{}: amount:", rows + 2),
        "last row",
    );
}

#[test]
fn garbage_everywhere_still_stops_at_fifty_problems() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("scenario.toml"),
        "start = \"2026-03-01\"\nend = \"2026-03-15\"\n",
    )
    .expect("write");
    for (file, text) in BASE.iter().skip(1) {
        let header = text.lines().next().expect("header");
        let width = header.split(',').count();
        let mut body = format!("{header}\n");
        for _ in 0..40 {
            body.push_str(&vec!["?x?"; width].join(","));
            body.push('\n');
        }
        std::fs::write(dir.path().join(file), body).expect("write");
    }
    let problems = rejected(dir.path());
    assert_eq!(problems.len(), trustsim::error::MAX_PROBLEMS);
}

// ---------------------------------------------------------------------------------------
// Nothing lost
// ---------------------------------------------------------------------------------------

/// Runs the binary with a deadline (the child is killed past it).
fn trustsim_bin(args: &[&str], shell_prefix: Option<&str>) -> Output {
    let mut cmd = match shell_prefix {
        Some(prefix) => {
            let mut quoted = vec![format!("'{}'", env!("CARGO_BIN_EXE_trustsim"))];
            quoted.extend(args.iter().map(|a| format!("'{a}'")));
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("{prefix}; exec {}", quoted.join(" ")));
            c
        }
        None => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_trustsim"));
            c.args(args);
            c
        }
    };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start trustsim");
    let clock = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if clock.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("trustsim {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().expect("output")
}

/// Every file in `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("output dir")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// Entries of `dir` other than `keep`: temporary directories a failed run left behind.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

/// A scenario directory and a successful first run into `<tmp>/reports/out`.
struct Previous {
    tmp: tempfile::TempDir,
    scenario: PathBuf,
    parent: PathBuf,
    out: PathBuf,
    before: BTreeMap<String, Vec<u8>>,
}

impl Previous {
    fn new() -> Previous {
        let tmp = scratch();
        let scenario = tmp.path().join("scenario");
        std::fs::create_dir_all(&scenario).expect("mkdir");
        for (name, text) in BASE {
            std::fs::write(scenario.join(name), text).expect("write");
        }
        // Enough hourly usage that bills.csv is several kilobytes.
        let mut usage = base("usage.csv").to_string();
        for hour in 0..48 {
            usage.push_str(&format!(
                "2026-03-{:02}T{:02}:15:00,r1,0.50\n",
                10 + hour / 24,
                hour % 24
            ));
        }
        std::fs::write(scenario.join("usage.csv"), &usage).expect("write");
        let parent = tmp.path().join("reports");
        let out = parent.join("out");
        let first = trustsim_bin(&["run", path(&scenario), "--out", path(&out)], None);
        assert!(first.status.success(), "{first:?}");
        let before = snapshot(&out);
        // The nine reports and the output module's marker.
        assert_eq!(before.len(), trustsim::report::REPORT_FILES.len() + 1);
        // A second run would now write different reports, so an overwrite would show.
        usage.push_str("2026-03-04T10:00:00,r1,7.00\n");
        std::fs::write(scenario.join("usage.csv"), usage).expect("write");
        Previous {
            tmp,
            scenario,
            parent,
            out,
            before,
        }
    }

    fn assert_intact(&self, what: &str) {
        assert_eq!(
            snapshot(&self.out),
            self.before,
            "{what}: the previous reports changed"
        );
        assert_eq!(
            leftovers(&self.parent, &["out"]),
            Vec::<String>::new(),
            "{what}: leftovers beside the reports"
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn bad_input_leaves_the_previous_output_intact() {
    let prev = Previous::new();
    let bad: [(&str, &[u8]); 5] = [
        ("usage.csv", b"time,resource_id,amount\ngarbage,r1,1\n"),
        ("accounts.csv", b"account_id,enterprise_id\nL,\xff\n"),
        ("scenario.toml", b"start = [\n"),
        ("events.csv", b"time,kind\n2026-03-02,merge\n"),
        ("resources.csv", b""),
    ];
    for (file, bytes) in bad {
        let saved = std::fs::read(prev.scenario.join(file)).expect("read");
        std::fs::write(prev.scenario.join(file), bytes).expect("write");
        let out = trustsim_bin(
            &["run", path(&prev.scenario), "--out", path(&prev.out)],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{file}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with(&format!("{file}:")), "{stderr}");
        prev.assert_intact(file);
        std::fs::write(prev.scenario.join(file), saved).expect("restore");
    }
}

#[test]
fn an_unwritable_output_directory_leaves_the_previous_output_intact() {
    use std::os::unix::fs::PermissionsExt;
    let prev = Previous::new();
    let set_mode = |mode| {
        std::fs::set_permissions(&prev.parent, std::fs::Permissions::from_mode(mode))
            .expect("chmod")
    };
    set_mode(0o555);
    let probe = prev.parent.join("probe");
    let permissions_bind = std::fs::write(&probe, b"").is_err();
    let _ = std::fs::remove_file(&probe);
    if permissions_bind {
        let out = trustsim_bin(
            &["run", path(&prev.scenario), "--out", path(&prev.out)],
            None,
        );
        set_mode(0o755);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        prev.assert_intact("read-only parent");
    } else {
        // Root ignores permission bits: make the target's parent a file instead.
        set_mode(0o755);
        let file = prev.tmp.path().join("not-a-dir");
        std::fs::write(&file, b"keep me").expect("write");
        let target = file.join("out");
        let out = trustsim_bin(&["run", path(&prev.scenario), "--out", path(&target)], None);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not-a-dir"),
            "{out:?}"
        );
        assert_eq!(std::fs::read(&file).expect("read"), b"keep me");
        prev.assert_intact("parent is a file");
    }
}

/// A disk that fills mid-write, simulated by a file-size limit (`ulimit -f`, with SIGXFSZ
/// ignored so writes fail with EFBIG); works as root too.
#[test]
fn a_full_disk_mid_write_leaves_the_previous_output_intact() {
    let prev = Previous::new();
    let bills = prev.before["bills.csv"].len();
    assert!(bills > 1024, "bills.csv must outgrow the limit");
    let out = trustsim_bin(
        &["run", path(&prev.scenario), "--out", path(&prev.out)],
        Some("trap '' XFSZ; ulimit -f 2"),
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("File too large"),
        "{out:?}"
    );
    prev.assert_intact("file-size limit");
    // And without the limit the same run succeeds and replaces the reports whole.
    let out = trustsim_bin(
        &["run", path(&prev.scenario), "--out", path(&prev.out)],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    assert_ne!(snapshot(&prev.out), prev.before);
    assert_eq!(
        snapshot(&prev.out).len(),
        trustsim::report::REPORT_FILES.len() + 1
    );
}

/// The largest amounts the format allows, summed over many rows at `money_scale = 8`: valid
/// input, so the run must keep every invariant, and never overflow into a panic.
#[test]
fn extreme_amounts_run_and_keep_the_invariants() {
    let big = "999999999999.99999999";
    let dir = scenario_with(
        "scenario.toml",
        b"start = \"2026-03-01\"\nend = \"2026-04-01\"\nmoney_scale = 8\nrounding = \"half_even\"\n",
    );
    let write = |file: &str, text: String| {
        std::fs::write(dir.path().join(file), text).expect("write");
    };
    write(
        "accounts.csv",
        format!(
            "account_id,enterprise_id,balance,low_balance_threshold,high_bill_threshold\n\
             M,e1,{big},{big},0\nL,e1,0,{big},{big}\n"
        ),
    );
    write(
        "resources.csv",
        "resource_id,account_id,product,billing_method,cycle,expires_at\n\
         r1,L,ecs,pay_as_you_go,monthly,\nr2,L,oss,subscription,hourly,2026-03-31T23:59:59\n\
         r3,M,alitelecom,pay_as_you_go,hourly,\n"
            .to_string(),
    );
    let mut usage = String::from("time,resource_id,amount\n");
    for i in 0..3000 {
        let t = format!(
            "2026-03-{:02}T{:02}:{:02}:{:02}",
            1 + i % 30,
            i % 24,
            i % 60,
            i % 59
        );
        usage.push_str(&format!("{t},r1,999999999999.9999999999\n"));
        usage.push_str(&format!("{t},r3,0.0000000001\n"));
        if i % 7 == 0 {
            usage.push_str(&format!("{t},r2,{big}\n"));
        }
    }
    write("usage.csv", usage);
    let mut events = String::from("time,kind,account_id,main_id,resource_id,amount,value\n");
    events.push_str("2026-03-02T00:00:00,establish,L,M,,,\n");
    for day in 3..31 {
        events.push_str(&format!("2026-03-{day:02}T12:00:00,topup,M,,,{big},\n"));
        events.push_str(&format!("2026-03-{day:02}T12:00:00,downgrade,,,r2,,\n"));
    }
    write("events.csv", events);
    write(
        "coupons.csv",
        format!("coupon_id,account_id,amount,valid_from,valid_until,products\nc1,M,{big},2026-03-01,,\n"),
    );
    write(
        "discounts.csv",
        "account_id,product,percent_off,valid_from,valid_until\nM,*,99.9999,,\n".to_string(),
    );
    match outcome(dir.path()) {
        Ok(Outcome::Ran) => {}
        Ok(Outcome::Rejected(p)) => panic!("valid extreme input rejected: {p:#?}"),
        Err(e) => panic!("{e}"),
    }
}
