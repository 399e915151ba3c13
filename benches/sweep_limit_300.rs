//! `sweep_limit_300`: `trustsim sweep` over the `limit_300` input (one main at the
//! 300-linked limit, ≈ 680k usage rows, one component) — the first linked account's
//! establish retimed to 31 instants, one a day — against one `run` of the same input, in
//! the same bench run. Target: the whole sweep within 5× one run (SPEC §10.3: the
//! scenario is read once and only the touched component, here all of it, is simulated
//! again per instant).

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;
use trustsim::sweep::{self, SweepOptions};

fn sweep_limit_300(c: &mut Criterion) {
    let input = common::Input::generate("limit_300", &common::limit_300());
    let run_options = trustsim::RunOptions {
        out: Some(input.out("reports")),
        ..Default::default()
    };
    let scenario = trustsim::scenario::load(&input.dir).expect("limit_300 loads");
    let establish = scenario
        .events
        .iter()
        .find(|e| e.kind.name() == "establish")
        .expect("limit_300 establishes its linked accounts");
    let cal = &scenario.settings.calendar;
    let from = cal.format_time(establish.time);
    let to = cal.format_time(establish.time.plus_seconds(30 * 86_400));
    let options = SweepOptions {
        scenario: input.dir.clone(),
        event: establish.seq,
        from,
        to,
        step: "1d".into(),
        out: Some(input.out("sweep.csv")),
    };
    drop(scenario);
    let (s, _) = sweep::run(&options).expect("limit_300 sweeps");
    assert_eq!(s.instants.len(), 31, "one instant a day");
    eprintln!(
        "sweep_limit_300: {} accounts, {} bills per instant",
        s.accounts.len(),
        s.bills
    );

    let mut group = c.benchmark_group("sweep_limit_300");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("run", |b| {
        b.iter(|| trustsim::run(&input.dir, &run_options).expect("limit_300 runs"))
    });
    group.bench_function("sweep_31_days", |b| {
        b.iter(|| sweep::run(&options).expect("limit_300 sweeps"))
    });
    group.finish();
}

criterion_group!(benches, sweep_limit_300);
criterion_main!(benches);
