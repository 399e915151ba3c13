//! `formats`: the write phase alone, CSV against Parquet, on one simulation of a 20-main
//! week (≈ 2.0M bills, all hourly, as the tracker's year-scale fleet is): what `run
//! --format parquet` costs against the CSV baseline measured in the same bench run, at 1
//! and 2 threads. Each iteration writes all nine reports into a fresh directory (page
//! cache, no fsync: `publish`'s fsync is the same for both formats and is not measured).

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use trustsim::generate::GenerateParams;
use trustsim::report::Format;

fn formats(c: &mut Criterion) {
    let params = GenerateParams {
        mains: 20,
        resources_per_account: 2,
        days: 7,
        ..GenerateParams::default()
    };
    let input = common::Input::generate("formats", &params);
    let scenario = trustsim::scenario::load(&input.dir).expect("the fleet loads");
    let results = trustsim::simulate(&scenario).expect("the fleet simulates");
    let bills = scenario.usage.len() as u64;

    let mut group = c.benchmark_group("formats");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(bills));
    for threads in [1, 2] {
        let pool = common::pool(threads);
        for (name, format) in [("csv", Format::Csv), ("parquet", Format::Parquet)] {
            let id = BenchmarkId::new(name, threads);
            group.bench_with_input(id, &format, |b, &format| {
                let mut n = 0;
                b.iter(|| {
                    n += 1;
                    let dir = input.out(&format!("{name}-{threads}-{n}"));
                    std::fs::create_dir(&dir).expect("a fresh report directory");
                    pool.install(|| {
                        trustsim::report::write_reports_as(&scenario, &results, &dir, format)
                            .expect("the reports are written")
                    });
                    std::fs::remove_dir_all(&dir).expect("the reports are removed");
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
