//! Metamorphic tests: changes to a run that must not change its output (SPEC §6, §8).
//!
//! - shuffling the rows of every input file but `events.csv` changes no byte of any report;
//! - adding an unrelated component (accounts, resources and events tied to nothing else)
//!   changes no row of the other accounts' reports;
//! - 1, 2 and 8 threads give identical bytes;
//! - running twice (the binary, into the same and into another directory) gives identical
//!   bytes.
//!
//! Run over every golden scenario and over generated ones (`crate::properties`); the
//! generated cases follow `TRUSTSIM_PROPTEST_CASES` (default 24 here).

use crate::properties::{
    self, case_count, first_difference, read_reports, render, scratch, Reports, Rows,
};
use crate::util::scenario_dirs;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use trustsim::report::{read, schema};

/// Copies a scenario's inputs (scenario.toml and its tables, not `expected/`) into `to`.
fn copy_inputs(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("scenario dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "scenario.toml" || name.ends_with(".csv") {
            std::fs::copy(entry.path(), to.join(&name)).expect("copy");
        }
    }
}

/// The CSV text with its data rows in a seeded random order (header first, BOM kept,
/// quoting preserved through the csv crate).
fn shuffle_csv(bytes: &[u8], seed: u64) -> Vec<u8> {
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (&bytes[..3], rest),
        None => (&bytes[..0], bytes),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut records: Vec<csv::ByteRecord> = reader
        .byte_records()
        .map(|r| r.expect("golden csv parses"))
        .collect();
    if records.len() > 2 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        records[1..].shuffle(&mut rng);
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(bom.to_vec());
    for r in &records {
        writer.write_byte_record(r).expect("write record");
    }
    writer.into_inner().expect("flush")
}

/// Loads `dir`, simulates on a fresh pool of `threads` threads, writes the reports to `out`.
fn run_on(dir: &Path, out: &Path, threads: usize) -> Reports {
    let scenario = trustsim::scenario::load(dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(out).expect("mkdir out");
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(|| {
            let results = trustsim::simulate(&scenario).unwrap_or_else(|e| panic!("{e}"));
            trustsim::report::write_reports(&scenario, &results, out).expect("write reports");
        });
    read_reports(out)
}

fn assert_same(a: &Reports, b: &Reports, what: &str) {
    if let Some(diff) = first_difference(a, b) {
        panic!("{what}: {diff}");
    }
}

#[test]
fn shuffled_input_rows_change_no_byte_of_any_golden_report() {
    for dir in scenario_dirs() {
        let tmp = scratch();
        let plain = run_on(&dir, &tmp.path().join("out"), 1);
        for seed in 0..3 {
            let copy = tmp.path().join(format!("shuffled{seed}"));
            copy_inputs(&dir, &copy);
            for entry in std::fs::read_dir(&copy).expect("copy").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".csv") && name != "events.csv" {
                    let bytes = std::fs::read(entry.path()).expect("read");
                    std::fs::write(entry.path(), shuffle_csv(&bytes, seed)).expect("write");
                }
            }
            let shuffled = run_on(&copy, &copy.join("out"), 2);
            assert_same(
                &plain,
                &shuffled,
                &format!("{} with rows shuffled (seed {seed})", dir.display()),
            );
        }
    }
}

/// A generated scenario of many independent components, so that threads have work to share.
fn many_components(dir: &Path, seed: u64) -> Rows {
    let mut runner = TestRunner::new_with_rng(
        properties::config(1),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &[seed as u8; 32],
        ),
    );
    let first = properties::case()
        .new_tree(&mut runner)
        .expect("generate")
        .current();
    let mut rows = render(&first.world, &first.body, "");
    for i in 0..12 {
        let other = properties::case()
            .new_tree(&mut runner)
            .expect("generate")
            .current();
        rows = rows.union(&render(&first.world, &other.body, &format!("p{i}-")), seed);
    }
    std::fs::create_dir_all(dir).expect("mkdir");
    rows.write(dir, &first.world.toml());
    rows
}

#[test]
fn one_two_and_eight_threads_give_identical_bytes() {
    let tmp = scratch();
    let mut dirs = scenario_dirs();
    for seed in 0..4 {
        let dir = tmp.path().join(format!("generated{seed}"));
        many_components(&dir, seed);
        dirs.push(dir);
    }
    for (i, dir) in dirs.iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        let one = run_on(dir, &out.join("1"), 1);
        for threads in [2, 8] {
            let other = run_on(dir, &out.join(threads.to_string()), threads);
            assert_same(
                &one,
                &other,
                &format!("{} at 1 vs {threads} threads", dir.display()),
            );
        }
    }
}

fn trustsim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .output()
        .expect("run trustsim");
    assert!(
        out.status.success(),
        "trustsim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn running_twice_gives_identical_bytes() {
    let tmp = scratch();
    let mut dirs = scenario_dirs();
    let generated = tmp.path().join("generated");
    many_components(&generated, 7);
    dirs.push(generated);
    for (i, dir) in dirs.iter().enumerate() {
        let (first, second) = (
            tmp.path().join(format!("a{i}")),
            tmp.path().join(format!("b{i}")),
        );
        let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
        let scenario = path(dir);
        trustsim(&["run", &scenario, "--out", &path(&first), "--threads", "1"]);
        let once = read_reports(&first);
        // Again into the same directory (replacing it), and into another on 8 threads.
        trustsim(&["run", &scenario, "--out", &path(&first), "--threads", "1"]);
        trustsim(&["run", &scenario, "--out", &path(&second), "--threads", "8"]);
        assert_same(
            &once,
            &read_reports(&first),
            &format!("{scenario} run twice"),
        );
        assert_same(
            &once,
            &read_reports(&second),
            &format!("{scenario} run again on 8 threads"),
        );
        let files: BTreeSet<String> = std::fs::read_dir(&first)
            .expect("out")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let want: BTreeSet<String> = trustsim::report::REPORT_FILES
            .iter()
            .chain([&trustsim::output::REPORTS_MARKER])
            .map(|f| f.to_string())
            .collect();
        assert_eq!(
            files, want,
            "exactly the nine reports and the marker after a rerun"
        );
    }
}

/// The rows of a report about accounts in `keep` (by the report's account column), with
/// events.csv's `seq` dropped (it numbers rows of the whole file).
fn rows_about(
    file: &str,
    bytes: &[u8],
    keep: &BTreeSet<String>,
    event_subjects: &[String],
) -> Vec<String> {
    let report = schema::by_file(file).unwrap_or_else(|| panic!("{file} is not a report"));
    let table = read::parse(report, bytes).unwrap_or_else(|e| panic!("{e}"));
    let column = match file {
        "alerts.csv" => "subject_id",
        "ownership.csv" => "owner_id",
        "events.csv" => "seq",
        _ => "account_id",
    };
    let col = report
        .column(column)
        .unwrap_or_else(|| panic!("{file} has no {column}"));
    let mut rows = Vec::new();
    for row in &table.rows {
        let account = match row.get(col).integer() {
            Some(seq) => event_subjects[seq as usize - 1].clone(),
            None => row.get(col).to_string(),
        };
        if keep.contains(&account) {
            let fields: Vec<String> = row
                .cells
                .iter()
                .enumerate()
                .filter(|&(i, _)| file != "events.csv" || i != col)
                .map(|(_, f)| f.to_string())
                .collect();
            rows.push(fields.join(","));
        }
    }
    rows
}

#[test]
fn an_unrelated_component_changes_no_row_of_the_others() {
    let mut runner = TestRunner::new(properties::config(case_count(24)));
    let strategy = (properties::case(), properties::case());
    let result = runner.run(&strategy, |(a, b)| {
        let tmp = scratch();
        let alone = render(&a.world, &a.body, "");
        let other = render(&a.world, &b.body, "u-");
        let both = alone.union(&other, a.seed);
        let (dir_a, dir_both) = (tmp.path().join("alone"), tmp.path().join("both"));
        for (dir, rows) in [(&dir_a, &alone), (&dir_both, &both)] {
            std::fs::create_dir_all(dir).map_err(|e| TestCaseError::fail(e.to_string()))?;
            rows.write(dir, &a.world.toml());
        }
        let ra =
            properties::run_reports(&dir_a, &dir_a.join("out"), 1).map_err(TestCaseError::fail)?;
        let rb = properties::run_reports(&dir_both, &dir_both.join("out"), 2)
            .map_err(TestCaseError::fail)?;
        let mine: BTreeSet<String> = alone
            .accounts
            .iter()
            .map(|r| r.split(',').next().expect("id").to_string())
            .collect();
        for file in trustsim::report::REPORT_FILES {
            let want = rows_about(file, &ra[file], &mine, &alone.event_subjects);
            let got = rows_about(file, &rb[file], &mine, &both.event_subjects);
            prop_assert_eq!(
                &want,
                &got,
                "{} of the original accounts changed when an unrelated component was added",
                file
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
