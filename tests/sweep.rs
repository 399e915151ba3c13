//! `trustsim sweep` (SPEC §10.3): every row equals what `run` gives for the variant that
//! retimes the event to that instant, on a golden scenario (through the CLI and real
//! report directories) and on random ones (through the library); accounts outside the
//! event's component never appear and do not change; bad flags are located, exit 2, and
//! nothing is written.

use crate::cli::trustsim;
use crate::properties::{case, config, render, scratch};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trustsim::compare::metrics::{self, Metrics, ACCOUNT_METRICS};
use trustsim::scenario::{self, Retime, Variant};
use trustsim::sweep::{self, SweepOptions};

/// `what-if-establish-later` copied (without its goldens), plus an account `X` with usage
/// of its own and no trusteeship: a component the sweep must leave out.
fn golden_copy(tmp: &Path) -> PathBuf {
    let src = crate::util::root().join("scenarios/what-if-establish-later");
    let dir = tmp.join("scenario");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for f in [
        "scenario.toml",
        "events.csv",
        "resources.csv",
        "usage.csv",
        "accounts.csv",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).expect("copy");
    }
    let append = |file: &str, line: &str| {
        let mut text = std::fs::read_to_string(dir.join(file)).expect("read");
        text.push_str(line);
        std::fs::write(dir.join(file), text).expect("write");
    };
    append("accounts.csv", "X,ent2,1.00\n");
    append("resources.csv", "rx,X,ecs,pay_as_you_go,daily\n");
    append("usage.csv", "2026-03-12T12:00:00,rx,5.00\n");
    dir
}

/// The rows of a CSV text, as column → value.
fn rows_of(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The value of `metric` of `account` as sweep.csv prints it.
fn shown(m: &Metrics, account: &str, metric: &str) -> String {
    let i = ACCOUNT_METRICS
        .iter()
        .position(|x| *x == metric)
        .expect("a compare metric");
    m.accounts.get(account).expect("account in the run")[i].to_string()
}

const COLUMNS: [&str; 7] = [
    "paid_as_payer",
    "outstanding_as_payer",
    "paid_amount",
    "coupon_amount",
    "balance_end",
    "unavailable_seconds",
    "alerts_received",
];

#[test]
fn each_row_equals_run_of_its_variant_on_a_golden_scenario() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = golden_copy(tmp.path());
    let out = tmp.path().join("sweep.csv");
    let o = trustsim(
        &[
            "sweep",
            dir.to_str().expect("utf-8"),
            "--event",
            "1",
            "--from",
            "2026-03-05T09:00:00",
            "--to",
            "2026-03-19T09:00:00",
            "--step",
            "2d",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        tmp.path(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).expect("sweep.csv");
    assert_eq!(
        text.lines().next(),
        Some("time,account_id,paid_as_payer,outstanding_as_payer,paid_amount,coupon_amount,balance_end,unavailable_seconds,alerts_received,event_outcome,event_rule,event_effective_at")
    );
    let rows = rows_of(&text);
    // 8 instants × the component's 2 accounts; X is in another component.
    assert_eq!(rows.len(), 16);
    assert!(
        rows.iter().all(|r| r["account_id"] != "X"),
        "X never appears"
    );

    let mut times: Vec<&str> = rows.iter().map(|r| r["time"].as_str()).collect();
    times.dedup();
    assert_eq!(times.len(), 8);
    let mut outcomes = Vec::new();
    for (k, time) in times.iter().enumerate() {
        // The variant a user would write, run with `trustsim run --variant`.
        let name = format!("at{k}");
        std::fs::create_dir_all(dir.join("variants")).expect("mkdir");
        std::fs::write(
            dir.join(format!("variants/{name}.toml")),
            format!("[events]\nretime = [{{ seq = 1, time = \"{time}\" }}]\n"),
        )
        .expect("variant");
        let reports = tmp.path().join(&name);
        trustsim::run(
            &dir,
            &trustsim::RunOptions {
                out: Some(reports.clone()),
                variant: Some(name.clone()),
                ..Default::default()
            },
        )
        .expect("the variant runs");
        let m = metrics::load(&reports).expect("reports read back");
        assert!(
            m.accounts.contains_key("X"),
            "the run has X; the sweep leaves it out"
        );
        let ev = rows_of(&read_to_string(&reports.join("events.csv")));
        let mine: Vec<_> = rows.iter().filter(|r| r["time"] == *time).collect();
        assert_eq!(
            mine.iter()
                .map(|r| r["account_id"].as_str())
                .collect::<Vec<_>>(),
            ["L", "M"],
            "accounts in byte order"
        );
        for r in mine {
            let a = &r["account_id"];
            for c in COLUMNS {
                assert_eq!(r[c], shown(&m, a, c), "{time} {a} {c}");
            }
            assert_eq!(r["event_outcome"], ev[0]["outcome"], "{time}");
            assert_eq!(r["event_rule"], ev[0]["rule"], "{time}");
            assert_eq!(r["event_effective_at"], ev[0]["effective_at"], "{time}");
        }
        outcomes.push(ev[0]["outcome"].clone());
    }
    // The sweep crosses the point where L owes and the request is deferred (T5.1).
    assert!(outcomes.contains(&"applied".to_string()), "{outcomes:?}");
    assert!(outcomes.contains(&"deferred".to_string()), "{outcomes:?}");
    assert!(stdout.contains("least paid_as_payer for M:"), "{stdout}");
    assert!(stdout.contains("applied at once"), "{stdout}");
}

fn read_to_string(p: &Path) -> String {
    std::fs::read_to_string(p).expect("read")
}

/// A sweep over a random scenario's event, against `load_with` of each retime (the
/// variant `run --variant` loads) simulated whole.
fn check_random(dir: &Path, seed: u64) -> Result<(), String> {
    let base = scenario::load(dir).map_err(|e| e.to_string())?;
    if base.events.is_empty() {
        return Ok(());
    }
    let event = &base.events[(seed % base.events.len() as u64) as usize];
    let s = &base.settings;
    let cal = &s.calendar;
    // About five instants over the horizon, in whole hours.
    let hours = ((s.end.0 - s.start.0) / 3600 / 5).max(1);
    let options = SweepOptions {
        scenario: dir.to_path_buf(),
        event: event.seq,
        from: cal.format_time(s.start),
        to: cal.format_time(trustsim::calendar::Instant(s.end.0 - 1)),
        step: format!("{hours}h"),
        out: None,
    };
    let sw = sweep::sweep(&options).map_err(|e| e.to_string())?;
    if sw.instants.is_empty() {
        return Err("no instants".into());
    }
    let baseline = metrics::of_scenario(&base).map_err(|e| e.to_string())?;
    let comp = trustsim::timeline::components(&base)
        .into_iter()
        .find(|c| c.events.iter().any(|&i| base.events[i].seq == event.seq))
        .ok_or("the event's component")?;
    let names: Vec<Box<str>> = comp
        .accounts
        .iter()
        .map(|&a| base.account_name(a).into())
        .collect();
    if sw.accounts != names {
        return Err(format!("accounts {:?}, component {names:?}", sw.accounts));
    }
    for inst in &sw.instants {
        let time = cal.format_time(inst.time);
        let variant = Variant {
            name: "sweep".into(),
            retime: vec![Retime {
                seq: event.seq,
                time: time.clone(),
                line: 0,
            }],
            ..Variant::default()
        };
        let v = scenario::load_with(dir, &variant).map_err(|e| e.to_string())?;
        let m = metrics::of_scenario(&v).map_err(|e| e.to_string())?;
        for (name, row) in sw.accounts.iter().zip(&inst.metrics) {
            let all = m.accounts.get(name).ok_or("account in the variant")?;
            let want: Vec<_> = sweep::METRICS
                .iter()
                .map(|x| all[ACCOUNT_METRICS.iter().position(|y| y == x).unwrap_or(0)])
                .collect();
            if row[..] != want[..] {
                return Err(format!("{time} {name}: sweep {row:?}, variant {want:?}"));
            }
        }
        // Outside the component nothing changes: the variant equals the baseline there.
        for (name, want) in &baseline.accounts {
            if !sw.accounts.contains(name) && m.accounts.get(name) != Some(want) {
                return Err(format!("{time}: {name} outside the component changed"));
            }
        }
        let results = trustsim::simulate(&v).map_err(|e| e.to_string())?;
        let index = v
            .events
            .iter()
            .position(|e| e.seq == event.seq)
            .ok_or("retimed event kept")?;
        let row = results
            .events
            .iter()
            .find(|e| e.event == index)
            .ok_or("event row")?;
        let got = inst.event.ok_or("sweep event outcome")?;
        if (got.outcome, got.rule, got.effective_at) != (row.outcome, row.rule, row.effective_at) {
            return Err(format!("{time}: event {got:?}, variant {row:?}"));
        }
    }
    // And the file says the same: one row per instant and component account.
    let text = sweep::csv::render(&sw);
    if text.lines().count() != 1 + sw.instants.len() * names.len() {
        return Err("sweep.csv row count".into());
    }
    Ok(())
}

#[test]
fn each_row_equals_its_variant_on_random_scenarios() {
    let mut runner = TestRunner::new(config(crate::properties::case_count(12)));
    let strategy = case();
    let mut checked = 0;
    for n in 0..crate::properties::case_count(12) {
        let case = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())
            .expect("a case")
            .current();
        let tmp = scratch();
        let dir = tmp.path().join("scenario");
        std::fs::create_dir_all(&dir).expect("mkdir");
        render(&case.world, &case.body, "").write(&dir, &case.world.toml());
        if let Err(e) = check_random(&dir, case.seed ^ u64::from(n)) {
            panic!("case {n}: {e} (scenario kept in {})", tmp.keep().display());
        }
        checked += 1;
    }
    assert!(checked > 0);
}

/// Runs `trustsim sweep` on what-if-establish-later with `flags`, in a fresh directory.
fn sweep_cli(flags: &[&str]) -> (i32, String, tempfile::TempDir) {
    let cwd = tempfile::tempdir().expect("tempdir");
    let dir = crate::util::root().join("scenarios/what-if-establish-later");
    let mut args = vec!["sweep", dir.to_str().expect("utf-8")];
    args.extend_from_slice(flags);
    let o = trustsim(&args, cwd.path());
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        cwd,
    )
}

#[test]
fn the_default_output_is_beside_the_reports_never_in_the_scenario() {
    let (code, err, cwd) = sweep_cli(&[
        "--event",
        "1",
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-11",
        "--step",
        "1d",
    ]);
    assert_eq!(code, 0, "{err}");
    let written = cwd.path().join("output/what-if-establish-later.sweep.csv");
    assert_eq!(read_to_string(&written).lines().count(), 1 + 3 * 2);
    let dir = crate::util::root().join("scenarios/what-if-establish-later");
    let inside = dir.join("sweep.csv");
    let (code, err, _cwd) = sweep_cli(&[
        "--event",
        "1",
        "--from",
        "2026-03-09",
        "--to",
        "2026-03-11",
        "--step",
        "1d",
        "--out",
        inside.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(!inside.exists());
}

#[test]
fn bad_flags_are_located_errors_and_write_nothing() {
    let ok = ["--from", "2026-03-09", "--to", "2026-03-11", "--step", "1d"];
    let cases: [(Vec<&str>, &str); 6] = [
        (
            ["--event", "7"].iter().chain(&ok).copied().collect(),
            "--event:0: -: no event has seq 7: events.csv has 2 events, seq 1 to 2",
        ),
        (
            vec![
                "--event",
                "1",
                "--from",
                "2026-03-12",
                "--to",
                "2026-03-11",
                "--step",
                "1d",
            ],
            "--from:0: -: 2026-03-12T00:00:00+08:00 is after --to 2026-03-11T00:00:00+08:00",
        ),
        (
            vec![
                "--event",
                "1",
                "--from",
                "2026-03-09",
                "--to",
                "2026-03-11",
                "--step",
                "1w",
            ],
            "--step:0: -: unknown unit",
        ),
        (
            vec![
                "--event",
                "1",
                "--from",
                "2026-03-09",
                "--to",
                "2026-03-11",
                "--step",
                "0h",
            ],
            "--step:0: -: a step of zero",
        ),
        (
            vec![
                "--event",
                "1",
                "--from",
                "2026-02-09",
                "--to",
                "2026-03-11",
                "--step",
                "1d",
            ],
            "--from:0: -: 2026-02-09 is outside the horizon [2026-03-01T00:00:00+08:00, ",
        ),
        (
            vec![
                "--event",
                "1",
                "--from",
                "2026-03-09",
                "--to",
                "2026-03-11T9:00",
                "--step",
                "1d",
            ],
            "--to:0: -: expected a time like",
        ),
    ];
    for (flags, expected) in cases {
        let (code, err, cwd) = sweep_cli(&flags);
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert!(err.starts_with(expected), "{flags:?}: {err}");
        assert!(
            !cwd.path().join("output").exists(),
            "{flags:?}: nothing written"
        );
    }
}

#[test]
fn a_time_the_zone_skips_is_a_located_error() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let dir = crate::util::root().join("scenarios/dst-new-york");
    let o = trustsim(
        &[
            "sweep",
            dir.to_str().expect("utf-8"),
            "--event",
            "1",
            "--from",
            "2026-03-08T02:30:00",
            "--to",
            "2026-03-09",
            "--step",
            "1h",
        ],
        cwd.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("--from:0: -: 2026-03-08T02:30:00 does not exist in America/New_York"),
        "{err}"
    );
    assert!(!cwd.path().join("output").exists());
}

/// Across the spring-forward, `1d` keeps the wall clock and `1h` counts hours: 47 hours
/// from 2026-03-07T10:30 local is 2026-03-09T10:30 with a day of 23 hours between.
#[test]
fn days_are_local_days_and_hours_elapsed_hours() {
    let dir = crate::util::root().join("scenarios/dst-new-york");
    let run = |step: &str| {
        sweep::sweep(&SweepOptions {
            scenario: dir.clone(),
            event: 1,
            from: "2026-03-07T10:30:00".into(),
            to: "2026-03-09T10:30:00".into(),
            step: step.into(),
            out: None,
        })
        .expect("sweeps")
    };
    let days = run("1d");
    let shown: Vec<String> = days
        .instants
        .iter()
        .map(|i| days.calendar.format_time(i.time))
        .collect();
    assert_eq!(
        shown,
        [
            "2026-03-07T10:30:00-05:00",
            "2026-03-08T10:30:00-04:00",
            "2026-03-09T10:30:00-04:00"
        ]
    );
    assert_eq!(
        run("1h").instants.len(),
        48,
        "47 elapsed hours, both ends included"
    );
}
