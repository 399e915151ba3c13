//! Errors as data (tracker issue 8): exact locations, one problem per mistake, problem kinds,
//! exit statuses, warnings for files trustsim does not read, and output times that every
//! RFC 3339 reader takes for the instant they name. Each test is named after what it
//! protects; each began as a reproduced bug.

use crate::cli::{assert_rejected, scenario, trustsim};
use std::path::Path;
use trustsim::error::ProblemKind;
use trustsim::{Error, Problem};

/// The problems of loading `dir`, which must be invalid.
fn problems(dir: &Path) -> Vec<Problem> {
    match trustsim::scenario::load(dir) {
        Err(Error::Scenario(p)) => p,
        Err(e) => panic!("not a scenario error: {e}"),
        Ok(_) => panic!("{} was accepted", dir.display()),
    }
}

/// `file:line: column: message` of each problem, for assertion messages.
fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{p}\n"))
        .collect::<String>()
}

/// Asserts that loading the scenario with `overrides` gives exactly the problems starting
/// with `prefixes`, in that order.
fn assert_exactly(overrides: &[(&str, &str)], prefixes: &[&str]) -> Vec<Problem> {
    let dir = scenario(overrides);
    let found = problems(dir.path());
    assert_eq!(found.len(), prefixes.len(), "{}", lines(&found));
    for (p, want) in found.iter().zip(prefixes) {
        assert!(
            p.to_string().starts_with(want),
            "{want:?} in:\n{}",
            lines(&found)
        );
    }
    found
}

// ---- locations -------------------------------------------------------------------------

#[test]
fn blank_lines_before_the_header_count_in_line_numbers() {
    assert_exactly(
        &[(
            "accounts.csv",
            "\n\n   \naccount_id,enterprise_id,balance\nL,e1,x\nM,e1,1\n",
        )],
        &["accounts.csv:5: balance: expected a decimal"],
    );
    // A header problem is reported at the header's own line.
    assert_exactly(
        &[(
            "accounts.csv",
            "\r\n\naccount_id,enterprise_id,colour\nL,e1,red\n",
        )],
        &["accounts.csv:3: colour: unknown column"],
    );
}

#[test]
fn bare_cr_line_ends_count_as_lines() {
    assert_exactly(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,balance\rL,e1,100\rM,e1,x\r",
        )],
        &["accounts.csv:3: balance: expected a decimal"],
    );
    // `\r`, `\r\n` and `\n` mixed, blank lines of each kind, and a bare `\r` inside a quoted
    // field: each ends one line, as an editor shows them.
    assert_exactly(
        &[(
            "usage.csv",
            "time,resource_id,amount\r2026-03-01,r1,1\r\n\r2026-03-01,r1,x\n\r\n\
             \"2026-03-01\",r1,\"1\r0\"\r2026-03-01,r1,z\r",
        )],
        &[
            "usage.csv:4: amount:",
            "usage.csv:6: amount:",
            "usage.csv:8: amount:",
        ],
    );
    // The line of invalid UTF-8 too.
    let dir = scenario(&[]);
    std::fs::write(
        dir.path().join("accounts.csv"),
        b"account_id,enterprise_id\rL,e1\rM,\xff\r",
    )
    .expect("write");
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{}", lines(&found));
    assert_eq!(found[0].to_string(), "accounts.csv:3: -: invalid UTF-8");
    assert_eq!(found[0].kind, ProblemKind::Encoding);
}

#[test]
fn a_malformed_quoted_field_is_a_located_error() {
    for (row, column) in [
        ("\"L\"x,e1,1", "account_id"),
        ("L,\"e1\" \"x\",1", "enterprise_id"),
        ("L,e\"1,1", "enterprise_id"),
        ("L, \"e1\",1", "enterprise_id"),
    ] {
        let found = assert_exactly(
            &[(
                "accounts.csv",
                &format!("account_id,enterprise_id,balance\n{row}\nM,e1,1\n"),
            )],
            &[&format!("accounts.csv:2: {column}: ")],
        );
        assert_eq!(found[0].kind, ProblemKind::Syntax, "{row}");
    }
    // Never closed: located at the line the quote opened, the rows it swallowed add nothing.
    assert_exactly(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,balance\nL,e1,1\nM,\"e1,1\nN,e1,1\n",
        )],
        &["accounts.csv:3: enterprise_id: a quoted field that is never closed"],
    );
    // After a quoted line break, the mistake is located at its own line.
    assert_exactly(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,balance\nL,\"e\n1\"x,1\nM,e1,1\n",
        )],
        &["accounts.csv:3: enterprise_id: text after the closing quote"],
    );
    // In the header.
    assert_exactly(
        &[("accounts.csv", "\"account_id\"x,enterprise_id\nL,e1\n")],
        &["accounts.csv:1: -: text after the closing quote"],
    );
    // Well-formed quoting is still read: separators, doubled quotes, blanks around quotes.
    let dir = scenario(&[(
        "accounts.csv",
        "account_id,enterprise_id,balance\n\"L\"  ,\"e,1\",\"1\"\n\"M\",\"say \"\"hi\"\"\", 2 \n",
    )]);
    let s = trustsim::scenario::load(dir.path()).expect("well-formed quoting loads");
    assert_eq!(&*s.accounts[0].enterprise, "e,1");
    assert_eq!(&*s.accounts[1].enterprise, "say \"hi\"");
}

// ---- one mistake, one problem ----------------------------------------------------------

/// `n` resources of account L and a usage row for each: a cascade would multiply.
fn many_resources(n: usize) -> (String, String) {
    let mut resources = String::from("resource_id,account_id,product,billing_method,cycle\n");
    let mut usage = String::from("time,resource_id,amount\n");
    for i in 0..n {
        resources.push_str(&format!("r{i},L,ecs,pay_as_you_go,daily\n"));
        usage.push_str(&format!("2026-03-01T10:00:00,r{i},1.00\n"));
    }
    (resources, usage)
}

#[test]
fn one_bad_account_row_is_one_problem() {
    let (resources, usage) = many_resources(23);
    let events = "time,kind,account_id,main_id\n2026-03-02,establish,L,M\n";
    for (bad_row, want) in [
        ("L,e1,12.3.4", "accounts.csv:2: balance: expected a decimal"),
        ("L,,1", "accounts.csv:2: enterprise_id: expected an id"),
        ("L,e1,1,extra", "accounts.csv:2: -: expected 3 fields"),
        ("L,e1", "accounts.csv:2: -: expected 3 fields"),
        (
            "\"L\"x,e1,1",
            "accounts.csv:2: account_id: text after the closing quote",
        ),
    ] {
        assert_exactly(
            &[
                (
                    "accounts.csv",
                    &format!("account_id,enterprise_id,balance\n{bad_row}\nM,e1,1\n"),
                ),
                ("resources.csv", &resources),
                ("usage.csv", &usage),
                ("events.csv", events),
            ],
            &[want],
        );
    }
}

#[test]
fn a_rejected_rows_id_is_still_defined_for_duplicates() {
    let found = assert_exactly(
        &[(
            "accounts.csv",
            "account_id,enterprise_id,balance\nL,e1,x\nL,e1,1\nM,e1,1\n",
        )],
        &[
            "accounts.csv:2: balance:",
            "accounts.csv:3: account_id: duplicate id \"L\" (first defined on line 2)",
        ],
    );
    assert_eq!(found[1].kind, ProblemKind::DuplicateId);
}

#[test]
fn one_bad_resource_row_is_one_problem() {
    let mut usage = String::from("time,resource_id,amount\n");
    for d in 1..=4 {
        usage.push_str(&format!("2026-03-0{d}T10:00:00,r1,1.00\n"));
    }
    let events = "time,kind,resource_id\n2026-03-03,downgrade,r1\n";
    for bad_row in [
        "r1,L,ecs,pay_as_you_go,yearly,",
        "r1,X,ecs,pay_as_you_go,daily,",
        "r1,L,ecs,pay_as_you_go,daily,2026-04-01",
        "r1,L,ecs,pay_as_you_go",
    ] {
        let found = problems(
            scenario(&[
                (
                    "resources.csv",
                    &format!(
                        "resource_id,account_id,product,billing_method,cycle,expires_at\n{bad_row}\n"
                    ),
                ),
                ("usage.csv", &usage),
                ("events.csv", events),
            ])
            .path(),
        );
        assert_eq!(found.len(), 1, "{bad_row}:\n{}", lines(&found));
        assert_eq!(found[0].file, "resources.csv", "{}", lines(&found));
    }
}

#[test]
fn one_bad_coupon_row_is_one_problem() {
    assert_exactly(
        &[(
            "coupons.csv",
            "coupon_id,account_id,amount,valid_from\nc1,L,x,2026-03-01\nc1,L,1,2026-03-01\nc2,L,1,2026-03-01\n",
        )],
        &[
            "coupons.csv:2: amount:",
            "coupons.csv:3: coupon_id: duplicate id \"c1\" (first defined on line 2)",
        ],
    );
}

#[test]
fn a_table_that_cannot_be_read_does_not_cascade() {
    let (resources, usage) = many_resources(23);
    // A broken header, a missing file, invalid UTF-8: one problem each, no "unknown account".
    for (accounts, want) in [
        (
            &b"account_id,enterprise_id,colour\nL,e1,red\n"[..],
            "accounts.csv:1: colour: unknown column",
        ),
        (
            b"account_id,enterprise_id\nL,e1\nM,\xff\n",
            "accounts.csv:3: -: invalid UTF-8",
        ),
        (b"", "accounts.csv:0: -: file is missing"),
    ] {
        let dir = scenario(&[("resources.csv", &resources), ("usage.csv", &usage)]);
        let path = dir.path().join("accounts.csv");
        if accounts.is_empty() {
            std::fs::remove_file(&path).expect("remove");
        } else {
            std::fs::write(&path, accounts).expect("write");
        }
        let found = problems(dir.path());
        assert_eq!(found.len(), 1, "{}", lines(&found));
        assert!(found[0].to_string().starts_with(want), "{}", lines(&found));
    }
    // The same for resources.csv and usage.csv referring to it.
    assert_exactly(
        &[(
            "resources.csv",
            "resource_id,account_id,product,billing,cycle\nr1,L,ecs,pay_as_you_go,daily\n",
        )],
        &[
            "resources.csv:1: billing: unknown column",
            "resources.csv:1: billing_method: required column is missing",
        ],
    );
}

#[test]
fn a_bad_money_scale_is_reported_alone() {
    // Every amount is checked against the scale: with a bad one, the tables are not read,
    // so a balance with three digits is not reported as a second, false problem.
    assert_exactly(
        &[
            (
                "scenario.toml",
                "start = \"2026-03-01\"\nend = \"2026-03-05\"\nmoney_scale = 9\n",
            ),
            (
                "accounts.csv",
                "account_id,enterprise_id,balance\nL,e1,1.125\nM,e1,1\n",
            ),
        ],
        &["scenario.toml:3: money_scale: expected an integer from 0 to 8"],
    );
}

// ---- order and kinds -------------------------------------------------------------------

#[test]
fn problems_come_in_file_and_line_order() {
    // Duplicate orders and overlapping discounts are found after their files' rows; they
    // are still reported in line order, and files in the order the loader reads them.
    let found = problems(
        scenario(&[
            (
                "discounts.csv",
                "account_id,product,percent_off,valid_from,valid_until\nL,*,10,,\nL,*,5,,\nL,ecs,101,,\n",
            ),
            ("coupons.csv", "coupon_id,account_id,amount,valid_from\nc1,X,1,2026-03-01\n"),
            ("events.csv", "time,kind,account_id\n2026-03-02,cost_analysis,X\n"),
            (
                "usage.csv",
                "time,resource_id,amount\n2026-03-02T10:00:00,r2,1\n2026-03-02T10:00:00,r2,2\n2026-03-01,r1,x\n",
            ),
            ("accounts.csv", "account_id,enterprise_id,balance\nL,e1,1\nM,e1,-1\n"),
        ])
        .path(),
    );
    let order = trustsim::scenario::READ_ORDER;
    let keys: Vec<(usize, u64)> = found
        .iter()
        .map(|p| {
            (
                order.iter().position(|f| *f == p.file).expect("known file"),
                p.line,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "{}", lines(&found));
    let want = [
        ("accounts.csv", 3, ProblemKind::BadValue),
        ("usage.csv", 3, ProblemKind::DuplicateId),
        ("usage.csv", 4, ProblemKind::BadValue),
        ("events.csv", 2, ProblemKind::UnknownReference),
        ("coupons.csv", 2, ProblemKind::UnknownReference),
        ("discounts.csv", 3, ProblemKind::Overlap),
        ("discounts.csv", 4, ProblemKind::BadValue),
    ];
    let got: Vec<(&str, u64, ProblemKind)> = found
        .iter()
        .map(|p| (p.file.as_str(), p.line, p.kind))
        .collect();
    assert_eq!(got, want, "{}", lines(&found));
}

#[test]
fn each_problem_has_the_kind_of_its_mistake() {
    let kind_of = |overrides: &[(&str, &str)]| -> Vec<ProblemKind> {
        problems(scenario(overrides).path())
            .iter()
            .map(|p| p.kind)
            .collect()
    };
    use ProblemKind::*;
    assert_eq!(kind_of(&[("usage.csv", "")]), [MissingFile]);
    assert_eq!(
        kind_of(&[("accounts.csv", "account_id,account_id,enterprise_id\n")]),
        [BadHeader]
    );
    assert_eq!(
        kind_of(&[("accounts.csv", "account_id,enterprise_id\nL,e1,x\nM,e1\n")]),
        [Syntax]
    );
    assert_eq!(
        kind_of(&[("usage.csv", "time,resource_id,amount\n2026-04-01,r1,1\n")]),
        [OutOfHorizon]
    );
    assert_eq!(
        kind_of(&[(
            "usage.csv",
            "time,resource_id,amount\n2026-03-01,r1,1234567890123\n"
        )]),
        [Limit]
    );
    assert_eq!(
        kind_of(&[(
            "scenario.toml",
            "start = \"2026-03-01\"\nend = \"2026-03-05\"\ncolour = 1\n"
        )]),
        [UnknownSetting]
    );
    assert_eq!(
        kind_of(&[("scenario.toml", "start = \"2026-03-01\"\n")]),
        [MissingSetting]
    );
    assert_eq!(kind_of(&[("scenario.toml", "start = [\n")]), [Syntax]);
    for p in problems(scenario(&[("usage.csv", "")]).path()) {
        assert!(!p.kind.is_warning());
    }
}

// ---- the scenario path and its files ---------------------------------------------------

#[test]
fn a_scenario_path_that_is_not_a_directory_is_bad_input() {
    let dir = scenario(&[]);
    for (path, why) in [
        ("nope", "not a scenario directory: no such directory"),
        ("usage.csv", "not a scenario directory: it is a file"),
    ] {
        for args in [
            vec!["validate", path],
            vec!["run", path, "--out", "reports"],
            vec!["check", path],
        ] {
            let out = trustsim(&args, dir.path());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{path}:0: -: {why}")),
                "{args:?}: {stderr}"
            );
        }
        let found = problems(&dir.path().join(path));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ProblemKind::NotADirectory);
    }
    assert!(!dir.path().join("reports").exists());
}

#[test]
fn a_dangling_symlink_for_a_known_file_is_a_located_error() {
    for file in ["events.csv", "usage.csv", "scenario.toml"] {
        let dir = scenario(&[(file, "")]);
        std::os::unix::fs::symlink(dir.path().join("gone.csv"), dir.path().join(file))
            .expect("symlink");
        let found = problems(dir.path());
        let p = found
            .iter()
            .find(|p| p.file == file)
            .unwrap_or_else(|| panic!("{file}: {}", lines(&found)));
        assert_eq!(p.line, 0);
        assert_eq!(p.kind, ProblemKind::UnreadableFile);
        assert!(p.message.contains("a symlink to"), "{p}");
        assert!(p.message.contains("gone.csv, which does not exist"), "{p}");
    }
    // A directory where a table should be is not read as absent either.
    let dir = scenario(&[]);
    std::fs::create_dir(dir.path().join("coupons.csv")).expect("mkdir");
    let found = problems(dir.path());
    assert_eq!(found[0].to_string(), "coupons.csv:0: -: not a regular file");
}

#[test]
fn an_unknown_csv_file_is_a_warning_not_an_error() {
    let events = "time,kind,account_id,amount\n2026-03-02,topup,L,5.00\n";
    let dir = scenario(&[
        ("event.csv", events),
        ("Coupons.CSV", "x"),
        ("notes.csv", "x"),
    ]);
    std::fs::write(dir.path().join("README.md"), "not a table").expect("write");
    // The library: loaded, with the warnings, sorted by name.
    let s = trustsim::scenario::load(dir.path()).expect("warnings do not fail a load");
    assert_eq!(s.events.len(), 0, "event.csv is not read");
    let warnings: Vec<String> = s.warnings.iter().map(Problem::to_string).collect();
    assert_eq!(
        warnings,
        [
            "Coupons.CSV:0: -: not a scenario table, not read; did you mean coupons.csv?",
            "event.csv:0: -: not a scenario table, not read; did you mean events.csv?",
            "notes.csv:0: -: not a scenario table, not read",
        ]
    );
    assert!(s
        .warnings
        .iter()
        .all(|w| w.kind == ProblemKind::UnknownFile && w.kind.is_warning()));
    assert_eq!(trustsim::scenario::warnings(dir.path()), s.warnings);
    // The CLI: validate and run print them on stderr and succeed.
    // Reports go outside the scenario: trustsim refuses to write inside it (SPEC §6).
    let out_root = tempfile::tempdir().expect("tempdir");
    let out = out_root.path().join("reports");
    let out = out.to_str().expect("UTF-8 temp path");
    for args in [vec!["validate", "."], vec!["run", ".", "--out", out]] {
        let out = trustsim(&args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains(
                "warning: event.csv:0: -: not a scenario table, not read; did you mean events.csv?"
            ),
            "{args:?}: {stderr}"
        );
    }
    // A warning still shows when the load then fails: it is often the reason.
    std::fs::write(
        dir.path().join("usage.csv"),
        "time,resource_id,amount\nx,r1,1\n",
    )
    .expect("write");
    let out = trustsim(&["validate", "."], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("warning: event.csv:0:"), "{stderr}");
    assert!(stderr.contains("usage.csv:2: time:"), "{stderr}");
    // Beside the table it resembles, the near miss is named as the one not read.
    let dir = scenario(&[("events.csv", events), ("event.csv", events)]);
    let s = trustsim::scenario::load(dir.path()).expect("loads");
    assert_eq!(s.events.len(), 1);
    let warnings: Vec<String> = s.warnings.iter().map(Problem::to_string).collect();
    assert_eq!(
        warnings,
        ["event.csv:0: -: not a scenario table, not read; only events.csv is read"]
    );
}

// ---- output times ----------------------------------------------------------------------

/// Every cell of every report of `dir` that holds a time: checked to be RFC 3339 as SPEC §2
/// writes it — `YYYY-MM-DDTHH:MM:SS±HH:MM`, a year from 0001 (Python's `datetime` and DuckDB
/// read no year 0) to 9999, an offset of whole minutes under 24 h — and parsed. Returns the
/// instants (epoch seconds) by report and cell.
fn output_times(dir: &Path) -> Vec<(String, String, i64)> {
    let mut times = Vec::new();
    for file in trustsim::report::REPORT_FILES {
        let text = std::fs::read_to_string(dir.join(file)).expect("report");
        for line in text.lines().skip(1) {
            for cell in line.split(',').flat_map(|c| c.split('@')) {
                let b = cell.as_bytes();
                let looks_like_time = b.len() >= 19 && b[4] == b'-' && b.get(10) == Some(&b'T');
                if !looks_like_time {
                    continue;
                }
                let shape = b.len() == 25
                    && b.iter().enumerate().all(|(i, &c)| match i {
                        4 | 7 => c == b'-',
                        10 => c == b'T',
                        13 | 16 | 22 => c == b':',
                        19 => c == b'+' || c == b'-',
                        _ => c.is_ascii_digit(),
                    });
                assert!(shape, "{file}: {cell:?} is not YYYY-MM-DDTHH:MM:SS±HH:MM");
                let year: u32 = cell[..4].parse().expect("digits");
                assert!((1..=9999).contains(&year), "{file}: {cell}");
                let parsed = chrono::DateTime::parse_from_rfc3339(cell)
                    .unwrap_or_else(|e| panic!("{file}: {cell}: {e}"));
                times.push((file.to_string(), cell.to_string(), parsed.timestamp()));
            }
        }
    }
    times
}

/// Runs the scenario in `dir` into a fresh directory outside it (trustsim refuses to write
/// inside a scenario, SPEC §6); the `TempDir` keeps the reports alive.
fn run_into(dir: &Path) -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("reports");
    let o = trustsim(
        &["run", ".", "--out", out.to_str().expect("UTF-8 temp path")],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (root, out)
}

/// Resources of every cycle, an order, and an establish deferred to the next month: the
/// times printed farthest from the horizon (a week or month starting before `start`,
/// ending after `end`, a deferral to the next month start).
fn edge_scenario(settings: &str, day1: &str, day2: &str) -> tempfile::TempDir {
    scenario(&[
        ("scenario.toml", settings),
        ("accounts.csv", "account_id,enterprise_id,balance\nL,e1,0\nM,e1,100.00\n"),
        (
            "resources.csv",
            "resource_id,account_id,product,billing_method,cycle\n\
             h,L,ecs,pay_as_you_go,hourly\nd,L,ecs,pay_as_you_go,daily\n\
             w,L,ecs,pay_as_you_go,weekly\nm,L,ecs,pay_as_you_go,monthly\n\
             s,L,oss,subscription,monthly\n",
        ),
        (
            "usage.csv",
            &format!(
                "time,resource_id,amount\n{day1}T10:00:00,h,1\n{day1}T10:00:00,d,1\n\
                 {day1}T10:00:00,w,1\n{day2}T10:00:00,w,1\n{day2}T10:00:00,m,1\n{day1}T11:00:00,s,1\n"
            ),
        ),
        (
            "events.csv",
            &format!("time,kind,account_id,main_id\n{day2}T12:00:00,establish,L,M\n"),
        ),
    ])
}

#[test]
fn output_times_at_the_horizon_limits_are_rfc3339() {
    // 9999-11-03 is a Wednesday, its week starts on Monday 9999-11-01; 9999-11-30's week
    // ends on Monday 9999-12-06. 0001-02-01 is a Thursday (week from Monday 0001-01-29).
    let late = edge_scenario(
        "start = \"9999-11-03\"\nend = \"9999-12-01\"\n",
        "9999-11-03",
        "9999-11-30",
    );
    let early = edge_scenario(
        "start = \"0001-02-01\"\nend = \"0001-02-10\"\ntimezone = \"-12:00\"\n",
        "0001-02-01",
        "0001-02-09",
    );
    for (dir, first, last, deferred_to) in [
        (
            &late,
            "9999-11-01T00:00:00+08:00",
            "9999-12-06T00:00:00+08:00",
            "9999-12-01T00:00:00+08:00",
        ),
        (
            &early,
            "0001-01-29T00:00:00-12:00",
            "0001-03-01T00:00:00-12:00",
            "0001-03-01T00:00:00-12:00",
        ),
    ] {
        let (_keep, reports) = run_into(dir.path());
        let times = output_times(&reports);
        // The extremes were reached: a week before `start`, a week and a month start
        // after `end`, a deferral to the next month.
        let first_at = times.iter().map(|t| t.2).min().expect("times");
        let last_at = times.iter().map(|t| t.2).max().expect("times");
        let cell_at = |at| &times.iter().find(|t| t.2 == at).expect("time").1;
        assert_eq!(cell_at(first_at), first);
        assert_eq!(cell_at(last_at), last);
        let events = std::fs::read_to_string(reports.join("events.csv")).expect("events");
        assert!(
            events.contains(&format!(",deferred,{deferred_to},")),
            "{events}"
        );
    }
}

#[test]
fn a_horizon_beyond_the_printable_years_is_a_located_error() {
    for (settings, want) in [
        (
            "start = \"9999-11-01\"\nend = \"9999-12-02\"\n",
            "scenario.toml:2: end: expected `end` no later than 9999-12-01T00:00:00",
        ),
        (
            "start = \"9999-11-01\"\nend = 9999-12-31T23:59:59\n",
            "scenario.toml:2: end: expected `end` no later than",
        ),
        (
            "end = \"0001-03-01\"\nstart = \"0001-01-31\"\n",
            "scenario.toml:2: start: expected `start` no earlier than 0001-02-01T00:00:00",
        ),
        (
            "start = \"0000-06-01\"\nend = \"0001-03-01\"\n",
            "scenario.toml:1: start: expected `start` no earlier than",
        ),
    ] {
        let found = assert_exactly(&[("scenario.toml", settings)], &[want]);
        assert_eq!(found[0].kind, ProblemKind::Limit);
    }
    // The limit is local: 9999-12-01 in +14:00 is an instant that is still 9999-11-30 in UTC.
    assert_rejected(
        &[(
            "scenario.toml",
            "timezone = \"+14:00\"\nstart = \"9999-11-01\"\nend = \"9999-12-01T00:00:01\"\n",
        )],
        &["scenario.toml:3: end:"],
    );
}

#[test]
fn local_mean_time_offsets_are_written_as_whole_minutes_naming_the_exact_instant() {
    // Asia/Shanghai ran on local mean time, +08:05:43, until 1901. RFC 3339 offsets are
    // whole minutes: the offset is truncated toward zero (+08:05) and the clock digits moved
    // so that the string names the exact instant: local midnight, 1900-01-02T00:00:00
    // +08:05:43, is 1900-01-01T15:54:17Z, written 1900-01-01T23:59:17+08:05.
    let dir = scenario(&[
        (
            "scenario.toml",
            "timezone = \"Asia/Shanghai\"\nstart = \"1900-01-01\"\nend = \"1900-01-05\"\n",
        ),
        (
            "resources.csv",
            "resource_id,account_id,product,billing_method,cycle\nr1,L,ecs,pay_as_you_go,daily\n",
        ),
        (
            "usage.csv",
            "time,resource_id,amount\n1900-01-02T10:00:00,r1,1.00\n",
        ),
    ]);
    let (_keep, reports) = run_into(dir.path());
    let times = output_times(&reports);
    let midnight = chrono::DateTime::parse_from_rfc3339("1900-01-01T15:54:17Z")
        .expect("utc")
        .timestamp();
    let starts: Vec<_> = times
        .iter()
        .filter(|(f, _, t)| f == "bills.csv" && *t == midnight)
        .collect();
    assert!(!starts.is_empty(), "{times:#?}");
    assert!(
        starts
            .iter()
            .all(|(_, cell, _)| cell == "1900-01-01T23:59:17+08:05"),
        "{starts:?}"
    );
    // A negative one truncates toward zero as well: New York's LMT was −04:56:02.
    let dir = scenario(&[
        (
            "scenario.toml",
            "timezone = \"America/New_York\"\nstart = \"1880-01-01\"\nend = \"1880-01-03\"\n",
        ),
        (
            "resources.csv",
            "resource_id,account_id,product,billing_method,cycle\nr1,L,ecs,pay_as_you_go,daily\n",
        ),
        (
            "usage.csv",
            "time,resource_id,amount\n1880-01-01T10:00:00,r1,1.00\n",
        ),
    ]);
    let (_keep, reports) = run_into(dir.path());
    let times = output_times(&reports);
    let midnight = chrono::DateTime::parse_from_rfc3339("1880-01-01T04:56:02Z")
        .expect("utc")
        .timestamp();
    let cell = &times
        .iter()
        .find(|(f, _, t)| f == "bills.csv" && *t == midnight)
        .unwrap_or_else(|| panic!("{times:#?}"))
        .1;
    assert_eq!(cell, "1880-01-01T00:00:02-04:56");
}
