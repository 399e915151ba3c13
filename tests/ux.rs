//! What a person at a terminal sees (tracker issue 8): `check` over many scenarios, golden
//! differences that name their columns, grammar of counts, and progress bars that leave
//! nothing behind (drawn in a real terminal, tmux, when it is installed).

use crate::cli::{scenario, trustsim};
use std::path::Path;
use std::process::Command;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scenario with blessed goldens.
fn blessed(overrides: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = scenario(overrides);
    let out = trustsim(&["check", "--bless", "."], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

/// Rewrites `file` of `dir` with `edit`.
fn edit(dir: &Path, file: &str, edit: impl FnOnce(String) -> String) {
    let path = dir.join(file);
    let before = std::fs::read_to_string(&path).expect("read");
    let after = edit(before.clone());
    assert_ne!(before, after, "the edit changed nothing in {file}");
    std::fs::write(&path, after).expect("write");
}

#[test]
fn check_checks_every_scenario_and_names_it_on_every_line() {
    let root = tempfile::tempdir().expect("tempdir");
    let good = blessed(&[]);
    let differs = blessed(&[]);
    edit(differs.path(), "expected/summary.csv", |t| {
        t.replacen("100.00", "100.01", 1)
    });
    let invalid = scenario(&[(
        "accounts.csv",
        "account_id,enterprise_id,balance\nL,e1,x\nM,e1,1\n",
    )]);
    let paths = [invalid.path(), good.path(), differs.path()].map(|p| p.display().to_string());
    let args: Vec<&str> = ["check"]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect();
    let out = trustsim(&args, root.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // The first scenario is invalid; the others are still checked.
    assert!(
        stdout.contains(&format!("INVALID  {}", paths[0])),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("ok       {}", paths[1])),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("DIFFERS  {}", paths[2])),
        "{stdout}"
    );
    // Each problem line names its scenario.
    assert!(
        stderr.contains(&format!(
            "{}: accounts.csv:2: balance: expected a decimal",
            paths[0]
        )),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .all(|l| paths.iter().any(|p| l.starts_with(p.as_str()))),
        "every stderr line names its scenario:\n{stderr}"
    );
    assert!(
        stdout.ends_with("3 scenarios: 1 ok, 1 differs, 1 invalid\n"),
        "{stdout}"
    );
    // Invalid input outranks a difference (SPEC §7: 2 bad input, 1 a difference).
    assert_eq!(out.status.code(), Some(2));
    let out = trustsim(&["check", &paths[1], &paths[2]], root.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).ends_with("2 scenarios: 1 ok, 1 differs, 0 invalid\n"));
    let out = trustsim(&["check", &paths[1]], root.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with("1 scenario: 1 ok, 0 differ, 0 invalid\n"));
}

#[test]
fn a_one_cell_difference_names_its_column_and_shows_only_those_cells() {
    let dir = blessed(&[]);
    // One cell of bills.csv (rows are about 200 characters wide), and one row of ledger.csv
    // removed, one changed.
    edit(dir.path(), "expected/bills.csv", |t| {
        t.replacen(",1.00,0.00,L,L,B1", ",1.00,0.00,M,L,B1", 1)
    });
    edit(dir.path(), "expected/ledger.csv", |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        let changed = lines[1].replace(",payment,", ",settlement,");
        lines[1] = &changed;
        lines.push("2026-03-04T00:00:00+08:00,M,topup,5.00,105.00,");
        lines.join("\n") + "\n"
    });
    let out = trustsim(&["check", "."], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let legend = "(- expected, the golden file; + actual, this run)";
    assert_eq!(stdout.matches(legend).count(), 1, "legend once:\n{stdout}");
    assert!(
        stdout.contains("expected/bills.csv: 1 row differs (1 changed)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 2 (bill_id r1@2026-03-01T00:00:00+08:00)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("payer_id  - M\n"), "{stdout}");
    assert!(stdout.contains("          + L\n"), "{stdout}");
    assert!(
        stdout.contains("expected/ledger.csv: 2 rows differ (1 changed, 1 only in expected)"),
        "{stdout}"
    );
    assert!(stdout.contains("entry  - settlement\n"), "{stdout}");
    assert!(
        stdout.contains("- line 4 (only in expected): 2026-03-04T00:00:00+08:00,M,topup"),
        "{stdout}"
    );
    // Only cells are shown, never a whole changed row: no line is near a row's width.
    let widest = stdout.lines().map(str::len).max().unwrap_or(0);
    assert!(widest < 120, "a {widest}-character line:\n{stdout}");
}

#[test]
fn counts_are_singular_for_one() {
    let dir = scenario(&[
        ("accounts.csv", "account_id,enterprise_id\nL,e1\n"),
        (
            "resources.csv",
            "resource_id,account_id,product,billing_method,cycle\nr1,L,ecs,pay_as_you_go,daily\n",
        ),
        (
            "usage.csv",
            "time,resource_id,amount\n2026-03-01T10:00:00,r1,1.00\n",
        ),
        (
            "events.csv",
            "time,kind,account_id\n2026-03-02,cost_analysis,L\n",
        ),
    ]);
    let reports = tempfile::tempdir().expect("tempdir");
    let out_dir = reports.path().join("r");
    let out = trustsim(
        &[
            "run",
            ".",
            "--out",
            out_dir.to_str().expect("UTF-8 temp path"),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(": 1 bill from 1 usage row, 1 account in 1 component, 1 event\n"),
        "{stdout}"
    );
    let out = trustsim(&["validate", "."], dir.path());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("valid (1 account, 1 resource, 1 usage row, 1 event)"),
        "{stdout}"
    );
    // A T8 rejection at max_linked = 1 names one linked account in the singular.
    let dir = scenario(&[
        (
            "scenario.toml",
            "start = \"2026-03-01\"\nend = \"2026-03-05\"\nmax_linked = 1\n",
        ),
        (
            "accounts.csv",
            "account_id,enterprise_id\nL,e1\nK,e1\nM,e1\n",
        ),
        (
            "events.csv",
            "time,kind,account_id,main_id\n2026-03-02,establish,L,M\n2026-03-02,establish,K,M\n",
        ),
    ]);
    let reports = tempfile::tempdir().expect("tempdir");
    let out_dir = reports.path().join("r");
    let out = trustsim(
        &[
            "run",
            ".",
            "--out",
            out_dir.to_str().expect("UTF-8 temp path"),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events = std::fs::read_to_string(out_dir.join("events.csv")).expect("events");
    assert!(
        events.contains("M already has 1 active or pending linked account (max_linked 1)"),
        "{events}"
    );
}

/// Runs tmux with `args`; None when it cannot be started.
fn tmux(args: &[&str]) -> Option<std::process::Output> {
    Command::new("tmux").args(args).output().ok()
}

/// Ends the tmux session when the test ends, however it ends.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn progress_bars_leave_no_stale_lines_in_a_terminal() {
    if tmux(&["-V"]).is_none_or(|o| !o.status.success()) {
        eprintln!(
            "SKIPPED progress_bars_leave_no_stale_lines_in_a_terminal: tmux is not installed \
             (apt-get install -y tmux)"
        );
        return;
    }
    let dir = scenario(&[]);
    let (go, log) = (dir.path().join("go"), dir.path().join("terminal.log"));
    // Reports go outside the scenario: trustsim refuses to write inside it (SPEC §6).
    let reports = tempfile::tempdir().expect("tempdir");
    let name = format!("trustsim-ux-{}", std::process::id());
    // The command waits for `go`, so the terminal's bytes are recorded from the start.
    let command = format!(
        "while [ ! -e '{go}' ]; do sleep 0.05; done; '{bin}' run . --out '{out}'; echo __done__; sleep 600",
        go = go.display(),
        out = reports.path().join("r").display(),
        bin = env!("CARGO_BIN_EXE_trustsim"),
    );
    let dir_arg = dir.path().display().to_string();
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &name,
        "-x",
        "120",
        "-y",
        "40",
        "-c",
        &dir_arg,
        "sh",
        "-c",
        &command,
    ])
    .expect("tmux runs");
    assert!(started.status.success(), "{}", text(&started.stderr));
    let _session = Session(name.clone());
    let pipe = format!("cat >> '{}'", log.display());
    let piped = tmux(&["pipe-pane", "-t", &name, "-o", &pipe]).expect("tmux runs");
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    std::fs::write(&go, "").expect("write");
    // Wait for the run to end (a deadline against a hang, not a timing assertion).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let screen = loop {
        let shot = tmux(&["capture-pane", "-t", &name, "-p"]).expect("tmux runs");
        let screen = text(&shot.stdout);
        if screen.contains("__done__") {
            break screen;
        }
        assert!(std::time::Instant::now() < deadline, "no end:\n{screen}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(screen.contains("bills from"), "the summary:\n{screen}");
    // The bars were drawn (so this test can fail) …
    let drawn = text(&std::fs::read(&log).expect("terminal log"));
    for bar in ["reading scenario", "simulating", "writing reports"] {
        assert!(drawn.contains(bar), "{bar:?} was never drawn:\n{drawn:?}");
    }
    // … and none is left on the screen above the summary.
    for bar in ["reading scenario", "simulating", "writing reports"] {
        assert!(!screen.contains(bar), "a stale {bar:?} line:\n{screen}");
    }
}
