//! `limit_300`: the whole `trustsim run` path — load, simulate, write the nine reports —
//! on one main at the 300-linked limit (3 hourly resources each, 31 days, ≈ 680k usage rows).
//! Compare with `io_floor`, which only reads the same usage and writes as many bill rows.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

fn limit_300(c: &mut Criterion) {
    let input = common::Input::generate("limit_300", &common::limit_300());
    let out = input.out("reports");
    let options = trustsim::RunOptions {
        out: Some(out.clone()),
        ..Default::default()
    };
    let rows = trustsim::run(&input.dir, &options)
        .expect("limit_300 runs")
        .usage_rows;

    let mut group = c.benchmark_group("limit_300");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("run", |b| {
        b.iter(|| trustsim::run(&input.dir, &options).expect("limit_300 runs"))
    });
    group.finish();
}

criterion_group!(benches, limit_300);
criterion_main!(benches);
