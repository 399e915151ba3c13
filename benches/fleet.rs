//! `fleet`: 16 mains × 300 linked (hourly and daily resources, one week, 16 components) at 1
//! and at 2 threads, on rayon pools installed around the call. `run` is the whole path (load,
//! simulate, write); `simulate` is bills, components and the engine alone, on a scenario
//! loaded once. The reports are checked byte-identical across thread counts
//! before anything is timed.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

fn fleet(c: &mut Criterion) {
    let input = common::Input::generate("fleet", &common::fleet());
    let pools = [(1, common::pool(1)), (2, common::pool(2))];

    // Same bytes at 1 and 2 threads, or the speed-up means nothing.
    let mut reports = Vec::new();
    for (n, pool) in &pools {
        let out = input.out(&format!("reports-{n}"));
        let options = trustsim::RunOptions {
            out: Some(out.clone()),
            ..Default::default()
        };
        pool.install(|| trustsim::run(&input.dir, &options).expect("fleet runs"));
        reports.push(common::report_bytes(&out));
    }
    assert!(
        reports[0] == reports[1],
        "fleet reports differ between 1 and 2 threads"
    );

    let scenario = trustsim::scenario::load(&input.dir).expect("fleet loads");
    let rows = scenario.usage.len() as u64;

    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(rows));
    for (n, pool) in &pools {
        group.bench_with_input(BenchmarkId::new("simulate", n), pool, |b, pool| {
            b.iter(|| pool.install(|| trustsim::simulate(&scenario).expect("simulate")))
        });
    }
    for (n, pool) in &pools {
        let options = trustsim::RunOptions {
            out: Some(input.out(&format!("reports-{n}"))),
            ..Default::default()
        };
        group.bench_with_input(BenchmarkId::new("run", n), pool, |b, pool| {
            b.iter(|| pool.install(|| trustsim::run(&input.dir, &options).expect("run")))
        });
    }
    group.finish();
}

criterion_group!(benches, fleet);
criterion_main!(benches);
