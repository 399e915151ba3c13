//! `scale`: the inputs of tracker issue 8 at which the old quadratic paths took minutes —
//! 200 k discount rows of one account and product (load: the overlap check; simulate: a
//! discount lookup per bill), and 50 k establishes to one main (simulate: E3/T8 counts).
//! The inputs are written by `tests/scale.rs`, whose tests check their outcomes.

// Only the input writers are used here; the tests compile away outside the test harness.
#[path = "../tests/scale.rs"]
#[allow(dead_code, unused_imports)]
mod inputs;

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;

fn scale(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temporary directory for bench inputs");
    let discounts = tmp.path().join("discounts_200k");
    let establish = tmp.path().join("establish_50k");
    for (dir, write) in [
        (&discounts, inputs::discounts_200k as fn(&std::path::Path)),
        (&establish, inputs::establish_50k),
    ] {
        std::fs::create_dir_all(dir).expect("input directory");
        write(dir);
    }
    let load = |dir: &std::path::Path| trustsim::scenario::load(dir).expect("input loads");

    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("discounts_200k_load", |b| b.iter(|| load(&discounts)));
    let s = load(&discounts);
    group.bench_function("discounts_200k_simulate", |b| {
        b.iter(|| trustsim::simulate(&s).expect("simulates"))
    });
    let s = load(&establish);
    group.bench_function("establish_50k_simulate", |b| {
        b.iter(|| trustsim::simulate(&s).expect("simulates"))
    });
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
