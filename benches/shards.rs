//! `shards`: `merge` throughput, and the speed-up of N shards run as N processes.
//!
//! - `shards/merge/N`: merging the N shard directories of the `fleet` input into the nine
//!   reports (rows/s through criterion's throughput; MB/s printed once before timing).
//! - `shards/processes/N`: the whole sharded run as this machine would run a batch array:
//!   N `trustsim run --shard K/N` processes at once (each on one thread), then `merge`;
//!   against `N = 1`, the unsharded run in one process on one thread. The merged reports
//!   are checked byte-identical to the unsharded run's before anything is timed.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The release binary next to this bench's executable (`target/release/trustsim`).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("bench executable");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/release/deps");
    dir.join("trustsim")
}

/// Runs the N shards of `input` as N processes at once, one thread each; returns their
/// directories.
fn run_processes(input: &common::Input, n: usize, tag: &str) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = (1..=n)
        .map(|k| input.out(&format!("{tag}-{k}-of-{n}")))
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .enumerate()
        .map(|(i, out)| {
            Command::new(binary())
                .arg("run")
                .arg(&input.dir)
                .args([
                    "--quiet",
                    "--threads",
                    "1",
                    "--shard",
                    &format!("{}/{n}", i + 1),
                ])
                .arg("--out")
                .arg(out)
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("trustsim runs (cargo build --release first)")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("waits").success(), "a shard failed");
    }
    dirs
}

fn shards(c: &mut Criterion) {
    let input = common::Input::generate("shards", &common::fleet());
    let full = input.out("full");
    let one = common::pool(1);
    one.install(|| {
        trustsim::run(
            &input.dir,
            &trustsim::RunOptions {
                out: Some(full.clone()),
                ..Default::default()
            },
        )
        .expect("fleet runs")
    });
    let expected = common::report_bytes(&full);
    let bytes: u64 = expected.iter().map(|(_, b)| b.len() as u64).sum();
    let rows: u64 = expected
        .iter()
        .map(|(_, b)| b.iter().filter(|&&c| c == b'\n').count() as u64)
        .sum();

    let mut group = c.benchmark_group("shards");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(20));
    for n in [2, 4] {
        let dirs = run_processes(&input, n, "merge");
        let merged = input.out(&format!("merged-{n}"));
        let t = Instant::now();
        trustsim::merge(&dirs, Some(&merged)).expect("merges");
        let secs = t.elapsed().as_secs_f64();
        assert!(
            common::report_bytes(&merged) == expected,
            "merged {n} shards differ from the unsharded run"
        );
        eprintln!(
            "shards/merge/{n}: {rows} rows, {:.1} MB in {secs:.3} s: {:.0} rows/s, {:.1} MB/s",
            bytes as f64 / 1e6,
            rows as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
        group.throughput(Throughput::Elements(rows));
        group.bench_with_input(BenchmarkId::new("merge", n), &dirs, |b, dirs| {
            b.iter(|| trustsim::merge(dirs, Some(&merged)).expect("merges"))
        });
    }
    group.throughput(Throughput::Elements(rows));
    group.bench_function(BenchmarkId::new("processes", 1), |b| {
        b.iter(|| {
            let status = Command::new(binary())
                .arg("run")
                .arg(&input.dir)
                .args(["--quiet", "--threads", "1", "--out"])
                .arg(&full)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("trustsim runs");
            assert!(status.success());
        })
    });
    for n in [2, 4] {
        let merged = input.out(&format!("processes-{n}"));
        group.bench_function(BenchmarkId::new("processes", n), |b| {
            b.iter(|| {
                let dirs = run_processes(&input, n, "processes");
                trustsim::merge(&dirs, Some(&merged)).expect("merges")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, shards);
criterion_main!(benches);
