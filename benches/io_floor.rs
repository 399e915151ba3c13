//! `io_floor`: the least any simulator of the `limit_300` data must do — read `usage.csv`
//! into typed rows (time through `Calendar::parse_time`, resource id interned, amount through
//! `money::parse_decimal`) and write as many rows as `limit_300`'s `bills.csv`, formatted the
//! same way (header from the report schema; four times through `Calendar::write_time`,
//! six amounts through `MoneyRules::write`). Nothing else: no bills, no payments, no other report.

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;
use trustsim::calendar::Calendar;
use trustsim::ids::{Names, ResourceId};
use trustsim::money::{parse_decimal, MoneyRules};
use trustsim::scenario::Usage;

/// What a bill row needs of its resource, by interned id.
struct ResourceRow {
    account: String,
    product: String,
    cycle: String,
}

/// Reads `resources.csv`: the id table usage rows are interned against.
fn resources(dir: &Path) -> (Names, Vec<ResourceRow>) {
    let mut r = csv::Reader::from_path(dir.join("resources.csv")).expect("resources.csv");
    let mut rows: Vec<(String, ResourceRow)> = r
        .records()
        .map(|rec| {
            let rec = rec.expect("resource row");
            let row = ResourceRow {
                account: rec[1].to_string(),
                product: rec[2].to_string(),
                cycle: rec[4].to_string(),
            };
            (rec[0].to_string(), row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let names = Names::new(rows.iter().map(|(n, _)| n.as_str().into()).collect());
    (names, rows.into_iter().map(|(_, r)| r).collect())
}

/// Reads `usage.csv` into typed rows.
fn read_usage(dir: &Path, cal: &Calendar, names: &Names) -> Vec<Usage> {
    let file = std::fs::File::open(dir.join("usage.csv")).expect("usage.csv");
    let mut r = csv::Reader::from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let mut rec = csv::ByteRecord::new();
    let mut rows = Vec::new();
    while r.read_byte_record(&mut rec).expect("usage row") {
        let text = |i: usize| std::str::from_utf8(&rec[i]).expect("UTF-8 field");
        rows.push(Usage {
            time: cal.parse_time(text(0)).expect("time"),
            resource: ResourceId(names.find(text(1)).expect("known resource")),
            amount: parse_decimal(text(2), 10).expect("amount"),
        });
    }
    rows
}

/// Writes `count` rows shaped like `bills.csv`'s, cycling over `usage`.
fn write_bills(
    out: &Path,
    count: usize,
    usage: &[Usage],
    names: &Names,
    resources: &[ResourceRow],
    cal: &Calendar,
    money: MoneyRules,
) {
    let file = std::fs::File::create(out).expect("create bills.csv");
    let mut w = BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "{}", trustsim::report::schema::BILLS.header()).expect("write");
    let mut line = String::with_capacity(256);
    for i in 0..count {
        let u = &usage[i % usage.len()];
        let res = &resources[u.resource.index()];
        let name = names.get(u.resource.index());
        let amount = money.round(u.amount);
        line.clear();
        line.push_str(name);
        line.push('@');
        cal.write_time(u.time, &mut line);
        for s in [
            &res.account,
            name,
            &res.product,
            "pay_as_you_go",
            &res.cycle,
        ] {
            line.push(',');
            line.push_str(s);
        }
        for t in [u.time, u.time.plus_seconds(3600), u.time.plus_seconds(3600)] {
            line.push(',');
            cal.write_time(t, &mut line);
        }
        for _ in 0..6 {
            line.push(',');
            money.write(amount, &mut line);
        }
        for s in [&res.account, &res.account, "L1"] {
            line.push(',');
            line.push_str(s);
        }
        line.push('\n');
        w.write_all(line.as_bytes()).expect("write");
    }
    w.flush().expect("flush");
}

fn io_floor(c: &mut Criterion) {
    let input = common::Input::generate("limit_300", &common::limit_300());
    // Settings and the bill count come from one real load and simulation, outside timing.
    let scenario = trustsim::scenario::load(&input.dir).expect("limit_300 loads");
    let bills = trustsim::simulate(&scenario).expect("simulate").bills.len();
    let (cal, money) = (scenario.settings.calendar.clone(), scenario.settings.money);
    let rows = scenario.usage.len() as u64;
    drop(scenario);
    let out = input.out("bills.csv");
    assert_eq!(
        trustsim::report::schema::BILLS.columns.len(),
        18,
        "write_bills formats bills.csv's 18 cells"
    );

    let mut group = c.benchmark_group("io_floor");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(rows));
    group.bench_function("read_usage_write_bills", |b| {
        b.iter(|| {
            let (names, res) = resources(&input.dir);
            let usage = read_usage(&input.dir, &cal, &names);
            write_bills(&out, bills, &usage, &names, &res, &cal, money);
            usage.len()
        })
    });
    group.finish();
}

criterion_group!(benches, io_floor);
criterion_main!(benches);
