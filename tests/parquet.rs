//! `run --format parquet` (SPEC §10.8): every Parquet report, read back with the parquet
//! crate's own arrow reader, holds the rows of its CSV twin (read by `report::read`) in
//! the same order: equal decimals at money_scale, the same instants, typed nulls where the
//! CSV is empty; `focus.parquet` holds focus.csv's rows. The column types are asserted
//! here from SPEC §10.8, not from the writer's own table. The bytes do not depend on the
//! thread count, and a parquet run replaces a CSV run's reports in the same directory.

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use ::parquet::basic::{Compression, Encoding};
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use trustsim::report::read::{self, Value};
use trustsim::report::schema::{self, Column, Kind, Schema};
use trustsim::report::Format;

/// Runs `scenario` into a fresh directory, as `format`, with focus.
fn run(scenario: &Path, format: Format) -> (tempfile::TempDir, PathBuf) {
    let (keep, out) = crate::util::out_dir();
    trustsim::run(
        scenario,
        &trustsim::RunOptions {
            out: Some(out.clone()),
            focus: true,
            format,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{scenario:?} runs as {format:?}: {e}"));
    (keep, out)
}

/// Every batch of a Parquet file, by the parquet crate's arrow reader.
fn read_parquet(path: &Path) -> (arrow_schema::SchemaRef, Vec<RecordBatch>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap_or_else(|e| panic!("{path:?} is Parquet: {e}"));
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .expect("a reader")
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{path:?} reads: {e}"));
    (schema, batches)
}

/// The type SPEC §10.8 (and the task's choices, docs/interpretations.md 93) give a
/// column of a file whose amounts all have fewer than 18 digits at money_scale (`narrow`),
/// or not.
fn expected_type(column: &Column, scale: u32, narrow: bool) -> DataType {
    let precision = if narrow { 18 } else { 29 };
    match column.kind {
        // A bill id (nearly) never repeats: plain text, not a dictionary.
        Kind::Id if column.name == "bill_id" || column.name == "x_BillId" => DataType::Utf8,
        Kind::Id => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        Kind::Text | Kind::Month => DataType::Utf8,
        Kind::Amount => DataType::Decimal128(precision, i8::try_from(scale).expect("scale 0-8")),
        Kind::Instant => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        Kind::Integer => DataType::Int64,
    }
}

/// A cell of a Parquet column as the CSV reader's [`Value`] would hold it, `None` for a
/// null. Times come back as instants (their CSV offset is printing, not data), so they
/// are compared by instant.
#[derive(Debug, PartialEq, Eq)]
enum Cell {
    Null,
    Text(String),
    Decimal(Decimal),
    Millis(i64),
    Integer(i64),
}

fn cell(column: &dyn Array, row: usize) -> Cell {
    if column.is_null(row) {
        return Cell::Null;
    }
    match column.data_type() {
        DataType::Dictionary(..) => {
            let d = column.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            let key = usize::try_from(d.keys().value(row)).expect("a key >= 0");
            Cell::Text(values.value(key).to_string())
        }
        DataType::Utf8 => Cell::Text(column.as_string::<i32>().value(row).to_string()),
        DataType::Decimal128(_, scale) => Cell::Decimal(Decimal::from_i128_with_scale(
            column.as_primitive::<Decimal128Type>().value(row),
            u32::try_from(*scale).expect("scale >= 0"),
        )),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Cell::Millis(column.as_primitive::<TimestampMillisecondType>().value(row))
        }
        DataType::Int64 => Cell::Integer(column.as_primitive::<Int64Type>().value(row)),
        other => panic!("unexpected column type {other:?}"),
    }
}

/// What the Parquet cell must be for the CSV value `v`.
fn twin(v: &Value) -> Cell {
    match v {
        Value::Empty => Cell::Null,
        Value::Text(t) => Cell::Text(t.to_string()),
        Value::Amount(d) => Cell::Decimal(*d),
        Value::Instant(t) => Cell::Millis(t.timestamp() * 1000),
        Value::Integer(n) => Cell::Integer(i64::try_from(*n).expect("small")),
        Value::Month(y, m) => Cell::Text(format!("{y:04}-{m:02}")),
    }
}

/// The scale an amount cell has: the CSV prints money_scale digits, and the Parquet
/// decimal must keep exactly that scale (equal decimals of another scale are not enough).
fn scale_of(c: &Cell) -> Option<u32> {
    match c {
        Cell::Decimal(d) => Some(d.scale()),
        _ => None,
    }
}

/// Whether every decimal has fewer than 18 digits in its mantissa: then a Parquet file
/// stores it at precision 18 (an INT64), else at 29.
fn narrow<'d>(mut amounts: impl Iterator<Item = &'d Decimal>) -> bool {
    amounts.all(|d| d.mantissa().unsigned_abs() < 10u128.pow(18))
}

/// Compares `NAME.parquet` with `NAME.csv` of one report in `csv`/`pq`; returns its rows
/// and whether its amounts are narrow.
fn assert_twin(csv: &Path, pq: &Path, report: &'static Schema, scale: u32) -> (usize, bool) {
    let table = read::read_table(csv, report).unwrap_or_else(|e| panic!("{csv:?}: {e}"));
    let is_narrow = narrow(table.rows.iter().flat_map(|r| {
        (0..report.columns.len()).filter_map(move |i| match r.get(i) {
            Value::Amount(d) => Some(d),
            _ => None,
        })
    }));
    let path = pq.join(format!("{}.parquet", report.name));
    let (arrow, batches) = read_parquet(&path);
    let names: Vec<&str> = arrow.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        report.names().collect::<Vec<_>>(),
        "{path:?} columns"
    );
    for (field, column) in arrow.fields().iter().zip(report.columns) {
        assert_eq!(
            field.data_type(),
            &expected_type(column, scale, is_narrow),
            "{path:?}: {}",
            column.name
        );
        assert_eq!(
            field.is_nullable(),
            column.optional,
            "{path:?}: {}",
            column.name
        );
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, table.rows.len(), "{path:?}: rows");
    let mut csv_rows = table.rows.iter();
    for batch in &batches {
        for r in 0..batch.num_rows() {
            let want = csv_rows.next().expect("as many rows");
            for (i, column) in report.columns.iter().enumerate() {
                let got = cell(batch.column(i).as_ref(), r);
                let expected = twin(want.get(i));
                assert_eq!(
                    got, expected,
                    "{path:?} line {} column {}",
                    want.line, column.name
                );
                if column.kind == Kind::Amount && got != Cell::Null {
                    assert_eq!(scale_of(&got), Some(scale), "{path:?}: {}", column.name);
                    assert_eq!(scale_of(&expected), Some(scale), "{csv:?}: {}", column.name);
                }
            }
        }
    }
    (rows, is_narrow)
}

/// focus.parquet against focus.csv: the same rows; amounts and the four periods typed.
fn assert_focus_twin(csv: &Path, pq: &Path) -> usize {
    let mut reader = csv::Reader::from_path(csv.join("focus.csv")).expect("focus.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let (arrow, batches) = read_parquet(&pq.join("focus.parquet"));
    let names: Vec<&str> = arrow.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, header, "focus.parquet columns");
    let costs: Vec<Decimal> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.ends_with("Cost") || h.ends_with("UnitPrice"))
        .flat_map(|(i, _)| {
            rows.iter()
                .filter_map(move |r| r[i].parse::<Decimal>().ok())
        })
        .collect();
    let precision = if narrow(costs.iter()) { 18 } else { 29 };
    for field in arrow.fields() {
        if let DataType::Decimal128(p, _) = field.data_type() {
            assert_eq!(*p, precision, "focus.parquet {}", field.name());
        }
    }
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(total, rows.len(), "focus rows");
    let mut want = rows.iter();
    for batch in &batches {
        for r in 0..batch.num_rows() {
            let row = want.next().expect("as many rows");
            for (i, name) in header.iter().enumerate() {
                let text = &row[i];
                let got = cell(batch.column(i).as_ref(), r);
                let expected = match (&got, text) {
                    (_, "") => Cell::Null,
                    (Cell::Decimal(_), t) => Cell::Decimal(t.parse().expect("a decimal")),
                    (Cell::Millis(_), t) => Cell::Millis(
                        chrono::DateTime::parse_from_rfc3339(t)
                            .expect("a FOCUS time")
                            .timestamp()
                            * 1000,
                    ),
                    (_, t) => Cell::Text(t.to_string()),
                };
                assert_eq!(got, expected, "focus row {r} column {name}");
            }
        }
    }
    total
}

/// A copy of the quickstart at another money_scale (its amounts have at most 2 digits);
/// `wide`: with the main's balance and one hour of `dev-ecs` at 12 integer digits (the
/// most an amount may have), so at scale 8 the ledger's, summary's, bills' and focus's
/// amounts need more than 18 digits.
fn quickstart_at_scale(scratch: &Path, scale: u32, wide: bool) -> PathBuf {
    let from = crate::util::root().join("scenarios/quickstart");
    let to = scratch.join(format!("quickstart-scale-{scale}-{wide}"));
    std::fs::create_dir_all(&to).expect("mkdir");
    for entry in std::fs::read_dir(&from).expect("quickstart") {
        let entry = entry.expect("an entry");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
    let toml = std::fs::read_to_string(to.join("scenario.toml")).expect("scenario.toml");
    let toml: String = toml
        .lines()
        .filter(|l| !l.starts_with("money_scale") && !l.starts_with("name"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        to.join("scenario.toml"),
        format!("money_scale = {scale}\n{toml}"),
    )
    .expect("write");
    if wide {
        for (file, from, to_text) in [
            (
                "accounts.csv",
                "main,acme,150.00,",
                "main,acme,999999999999.00,",
            ),
            (
                "usage.csv",
                "2026-03-10T09:15:00,dev-ecs,2.00",
                "2026-03-10T09:15:00,dev-ecs,999999999999.00",
            ),
        ] {
            let text = std::fs::read_to_string(to.join(file)).expect("read");
            assert!(text.contains(from), "{file} has {from}");
            std::fs::write(to.join(file), text.replacen(from, to_text, 1)).expect("write");
        }
    }
    to
}

fn generated(scratch: &Path, seed: &str, days: &str) -> PathBuf {
    let dir = scratch.join(format!("fleet-{seed}"));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args([
            "generate", "--quiet", "--mains", "1", "--days", days, "--seed", seed,
        ])
        .arg("--out")
        .arg(&dir)
        .output()
        .expect("trustsim generate runs");
    assert!(status.status.success(), "{status:?}");
    dir
}

#[test]
fn every_parquet_report_holds_the_rows_of_its_csv_twin() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut dirs = crate::util::scenario_dirs();
    // A fleet of 65,664 bills: more than one record batch (64 Ki rows) per report.
    dirs.push(generated(scratch.path(), "1", "3"));
    dirs.push(quickstart_at_scale(scratch.path(), 8, false));
    dirs.push(quickstart_at_scale(scratch.path(), 4, false));
    let wide = quickstart_at_scale(scratch.path(), 8, true);
    dirs.push(wide.clone());
    let mut rows = 0;
    let mut nulls_seen = false;
    let mut wide_files = Vec::new();
    for dir in &dirs {
        let scenario = trustsim::scenario::load(dir).expect("loads");
        let scale = scenario.settings.money.scale;
        let (_a, csv) = run(dir, Format::Csv);
        let (_b, pq) = run(dir, Format::Parquet);
        for report in schema::ALL {
            assert!(
                !pq.join(report.file).exists(),
                "{dir:?}: a parquet run writes no {}",
                report.file
            );
            let (n, is_narrow) = assert_twin(&csv, &pq, report, scale);
            rows += n;
            if !is_narrow {
                wide_files.push((dir.clone(), report.name));
            }
        }
        rows += assert_focus_twin(&csv, &pq);
        let ledger = read::read_table(&csv, &schema::LEDGER).expect("ledger");
        nulls_seen |= ledger.rows.iter().any(|r| r.get(5) == &Value::Empty);
    }
    assert!(rows > 2 * 65_664, "the fleet was compared ({rows} rows)");
    // Both precisions were compared: the wide quickstart's files with a 12-digit amount at
    // scale 8, and only those.
    let wide_reports: Vec<&str> = wide_files
        .iter()
        .map(|(d, r)| {
            assert_eq!(d, &wide, "only the wide scenario has wide amounts");
            *r
        })
        .collect();
    for report in ["bills", "ledger", "summary"] {
        assert!(
            wide_reports.contains(&report),
            "{report} is wide: {wide_reports:?}"
        );
    }
    assert!(!wide_reports.contains(&"coupon_use"), "{wide_reports:?}");
    assert!(
        nulls_seen,
        "some ledger row has no bill: nulls were compared"
    );
}

/// The encodings and codec of each column chunk of `path`'s first row group, by name.
fn chunk_encodings(path: &Path) -> Vec<(String, Vec<Encoding>, Compression)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let reader = SerializedFileReader::new(file).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let group = reader.metadata().row_group(0);
    group
        .columns()
        .iter()
        .map(|c| {
            (
                c.column_path().string(),
                c.encodings().collect(),
                c.compression(),
            )
        })
        .collect()
}

#[test]
fn times_and_narrow_amounts_are_delta_packed_ids_dictionary_encoded_bill_ids_plain() {
    let scratch = tempfile::tempdir().expect("tempdir");
    for wide in [false, true] {
        let (_keep, out) = run(
            &quickstart_at_scale(scratch.path(), 8, wide),
            Format::Parquet,
        );
        for (column, encodings, codec) in chunk_encodings(&out.join("bills.parquet")) {
            assert_eq!(codec, Compression::SNAPPY, "{column}");
            let kind = schema::BILLS
                .columns
                .iter()
                .find(|c| c.name == column)
                .map(|c| c.kind);
            let delta = encodings.contains(&Encoding::DELTA_BINARY_PACKED);
            let dictionary = encodings.contains(&Encoding::RLE_DICTIONARY);
            match kind {
                Some(Kind::Instant) => assert!(delta && !dictionary, "{column}: {encodings:?}"),
                // A wide amount is a fixed-length byte array, which delta packing does not take.
                Some(Kind::Amount) => assert_eq!(
                    (delta, dictionary),
                    (!wide, false),
                    "{column} (wide {wide}): {encodings:?}"
                ),
                Some(Kind::Id) if column == "bill_id" => {
                    assert!(!dictionary && !delta, "{column}: {encodings:?}")
                }
                Some(Kind::Id | Kind::Text) => assert!(dictionary, "{column}: {encodings:?}"),
                other => panic!("{column}: {other:?}"),
            }
        }
    }
}

#[test]
fn parquet_bytes_do_not_depend_on_the_thread_count() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = generated(scratch.path(), "7", "3");
    let scenario = trustsim::scenario::load(&dir).expect("loads");
    let results = trustsim::simulate(&scenario).expect("simulates");
    let write = |threads: usize, out: &Path| {
        std::fs::create_dir_all(out).expect("mkdir");
        crate::util::with_threads(threads, || {
            trustsim::report::write_reports_as(&scenario, &results, out, Format::Parquet)
        })
        .expect("writes");
    };
    let (one, four) = (scratch.path().join("t1"), scratch.path().join("t4"));
    write(1, &one);
    write(4, &four);
    for report in schema::ALL {
        let name = format!("{}.parquet", report.name);
        let a = std::fs::read(one.join(&name)).expect("1 thread");
        let b = std::fs::read(four.join(&name)).expect("4 threads");
        assert!(
            a.starts_with(b"PAR1") && a.ends_with(b"PAR1"),
            "{name} is Parquet"
        );
        assert!(a == b, "{name}: 1 and 4 threads give other bytes");
    }
}

#[test]
fn a_parquet_run_replaces_the_csv_reports_and_compare_says_what_it_reads() {
    let quickstart = crate::util::root().join("scenarios/quickstart");
    let (_keep, out) = run(&quickstart, Format::Csv);
    assert!(out.join("bills.csv").is_file());
    trustsim::run(
        &quickstart,
        &trustsim::RunOptions {
            out: Some(out.clone()),
            format: Format::Parquet,
            ..Default::default()
        },
    )
    .expect("a parquet run over a csv run's directory");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = schema::ALL
        .iter()
        .map(|s| format!("{}.parquet", s.name))
        .collect();
    expected.push(".trustsim-reports".to_string());
    expected.sort();
    assert_eq!(
        names, expected,
        "only the parquet reports (and the marker) remain"
    );

    let compare = std::process::Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .arg("compare")
        .arg(&out)
        .arg(&quickstart)
        .output()
        .expect("compare runs");
    let stderr = String::from_utf8_lossy(&compare.stderr);
    assert_eq!(compare.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--format parquet"), "{stderr}");
    let missing = read::read_table(&out, &schema::BILLS).expect_err("no bills.csv");
    assert!(missing.to_string().contains("bills.parquet"), "{missing}");
}

/// The DuckDB type docs/duckdb.md's `read_csv` gives a column of `kind` (money_scale 2).
fn duckdb_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Id | Kind::Text | Kind::Month => "VARCHAR",
        Kind::Amount => "DECIMAL(29, 2)",
        Kind::Instant => "TIMESTAMPTZ",
        Kind::Integer => "BIGINT",
    }
}

#[test]
fn the_duckdb_page_reads_every_report_with_its_schema_columns_and_types() {
    let doc = std::fs::read_to_string(crate::util::root().join("docs/duckdb.md")).expect("doc");
    let csv_block = doc
        .split("```sql\n")
        .find(|b| b.starts_with("-- reports: csv"))
        .and_then(|b| b.split("```").next())
        .expect("a `-- reports: csv` block");
    for report in schema::ALL {
        let call = format!("read_csv('{}',", report.file);
        let at = csv_block
            .find(&call)
            .unwrap_or_else(|| panic!("docs/duckdb.md has no {call}"));
        let rest = &csv_block[at..];
        let columns = &rest[rest.find("columns = {").expect("columns") + 11..];
        let columns = &columns[..columns.find('}').expect("a closing brace")];
        // The quoted strings, in order: name, type, name, type, …
        let quoted: Vec<&str> = columns.split('\'').skip(1).step_by(2).collect();
        let got: Vec<(String, String)> = quoted
            .chunks(2)
            .map(|p| (p[0].to_string(), p.get(1).unwrap_or(&"").to_string()))
            .collect();
        let want: Vec<(String, String)> = report
            .columns
            .iter()
            .map(|c| (c.name.to_string(), duckdb_type(c.kind).to_string()))
            .collect();
        assert_eq!(got, want, "docs/duckdb.md read_csv of {}", report.file);
        let view = format!(
            "CREATE OR REPLACE VIEW {} AS SELECT * FROM '{}.parquet';",
            report.name, report.name
        );
        assert!(doc.contains(&view), "docs/duckdb.md has no {view}");
    }
}
