//! Parquet output (SPEC §10.8): each report as `NAME.parquet`, with the columns and row
//! order of its CSV twin, for DuckDB, pandas or Spark to read without parsing text. The
//! cells are the report model's ([`Record::cells`], the same ones the CSV writer prints);
//! only their types differ, chosen once per schema [`Kind`] by [`data_type`]:
//!
//! | kind | Arrow / Parquet type | why |
//! |---|---|---|
//! | amount | `Decimal128(29, money_scale)` | exact; every amount a run forms is below 3.1 × 10^20 (`docs/limits.md`), 21 integer digits, plus at most 8 fraction digits |
//! | instant | `Timestamp(Millisecond, "UTC")` | a UTC-adjusted instant (Parquet has no seconds unit); the zone's offset is the CSV's printing, not the instant |
//! | id | `Dictionary(Int32, Utf8)` | a report names few accounts and resources many times |
//! | text, month | `Utf8` | as SPEC §10.8 says; a month stays `YYYY-MM` |
//! | integer (`seq`) | `Int64` | so `ORDER BY seq` sorts by number |
//!
//! An empty CSV cell is a typed null, only in the schema's optional columns (the Parquet
//! field is nullable exactly there). Rows are built into record batches of
//! [`BATCH_ROWS`], several batches in parallel, and written in order; the writer's
//! properties are fixed ([`properties`]), so the bytes depend neither on the thread count
//! nor on the clock.

use super::model::Record;
use super::schema::{Cell, Column, Kind, Schema};
use crate::calendar::{Calendar, Instant};
use crate::error::Error;
use crate::money::{Money, MoneyRules};
use arrow_array::builder::ArrayBuilder as _;
use arrow_array::builder::{
    Decimal128Builder, Int32Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

/// The decimal precision of every amount column: 21 integer digits hold every amount a
/// run forms (below 3.1 × 10^20, `docs/limits.md`), and 8 more the largest `money_scale`.
/// One precision for every scale, so a reader's column type depends only on the scale.
pub const DECIMAL_PRECISION: u8 = 29;

/// The zone of every timestamp column: instants are stored UTC-adjusted.
pub const TIME_ZONE: &str = "UTC";

/// Rows per record batch.
pub const BATCH_ROWS: usize = 1 << 16;

/// Record batches built in parallel before they are written, in order.
const BATCHES_AT_ONCE: usize = 4;

/// Rows per row group: a report of a year-scale fleet is a few row groups, each large
/// enough for dictionary pages and zstd to pay off.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// zstd's level: 1, its fastest. On dictionary-encoded pages the higher levels gain a few
/// per cent of bytes (the reports are already ~1/25 of their CSV) for a third more time.
const ZSTD_LEVEL: i32 = 1;

/// The Parquet file name of a report, `bills.parquet`.
pub fn file_name(schema: &Schema) -> String {
    format!("{}.parquet", schema.name)
}

/// The Arrow type of a column of `kind` in a scenario with `money` rules.
pub fn data_type(kind: Kind, money: MoneyRules) -> DataType {
    match kind {
        Kind::Id => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        Kind::Text | Kind::Month => DataType::Utf8,
        // money_scale is 0–8 (`money::MAX_MONEY_SCALE`), so the cast is exact.
        Kind::Amount => DataType::Decimal128(DECIMAL_PRECISION, money.scale as i8),
        Kind::Instant => DataType::Timestamp(TimeUnit::Millisecond, Some(TIME_ZONE.into())),
        Kind::Integer => DataType::Int64,
    }
}

/// The Arrow schema of a report: its columns in order, nullable exactly where the CSV
/// may hold an empty cell.
pub fn arrow_schema(schema: &Schema, money: MoneyRules) -> SchemaRef {
    arrow_schema_of(schema.columns, money)
}

/// The Arrow schema of columns typed as a report's are (`focus.parquet`'s too).
pub(super) fn arrow_schema_of(columns: &[Column], money: MoneyRules) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind, money), c.optional))
        .collect();
    Arc::new(arrow_schema::Schema::new(fields))
}

/// The writer's properties for a file of `columns`, the same for every run: zstd pages,
/// dictionary encoding (the default) except for bill ids, which are (nearly) unique per
/// row, so a dictionary only costs time before the writer falls back to plain pages;
/// min/max statistics per column chunk (row group) for times and integers, which readers
/// prune row groups by (reports in bill or processing order have increasing times), and
/// none for text and amounts, whose min/max prune nothing in these orders and cost a
/// comparison and a copy of the bytes per value (a third of the writer's time); row groups of [`ROW_GROUP_ROWS`]. `created_by` is the
/// parquet crate's fixed `parquet-rs version X`, and nothing written depends on the clock.
pub fn properties(columns: &[Column]) -> WriterProperties {
    let zstd = ZstdLevel::try_new(ZSTD_LEVEL).unwrap_or_default();
    let mut builder = WriterProperties::builder();
    for c in columns {
        let path = || ColumnPath::from(c.name);
        if unique_per_row(c.name) {
            builder = builder.set_column_dictionary_enabled(path(), false);
        }
        if !matches!(c.kind, Kind::Instant | Kind::Integer) {
            builder = builder.set_column_statistics_enabled(path(), EnabledStatistics::None);
        }
    }
    builder
        .set_statistics_enabled(EnabledStatistics::Chunk)
        // Version 1 data pages: every Parquet reader reads them (some older ones, and
        // some warehouses' loaders, do not read version 2 pages).
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(zstd))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Whether a column holds a value per row that (nearly) never repeats: a bill id.
fn unique_per_row(column: &str) -> bool {
    column == "bill_id" || column == "x_BillId"
}

/// A column being built: one Arrow builder per schema kind.
enum ColumnBuilder {
    Id(IdColumn),
    Text(StringBuilder),
    Amount(Decimal128Builder),
    Time(TimestampMillisecondBuilder),
    Integer(Int64Builder),
}

/// One record batch being built from model rows: cells are converted as the CSV writer
/// prints them (ids and bill ids spelled the same, months as `YYYY-MM`), but typed.
pub(super) struct BatchBuilder<'a> {
    calendar: &'a Calendar,
    money: MoneyRules,
    columns: Vec<ColumnBuilder>,
    /// Which columns are nullable: there an empty text is a null, as the CSV cannot tell
    /// them apart (an event's empty `account_id`, a credit row's empty FOCUS columns).
    nullable: Vec<bool>,
    /// Reused to assemble bill ids and months.
    scratch: String,
    /// The last instant printed for a bill id, and its text: consecutive bills of a
    /// resource share few issue times.
    last_time: (Instant, String),
}

impl<'a> BatchBuilder<'a> {
    pub fn new(
        columns: &[Column],
        calendar: &'a Calendar,
        money: MoneyRules,
        rows: usize,
    ) -> BatchBuilder<'a> {
        let nullable = columns.iter().map(|c| c.optional).collect();
        let columns = columns
            .iter()
            .map(|c| match c.kind {
                Kind::Id => ColumnBuilder::Id(IdColumn::with_capacity(rows)),
                Kind::Text | Kind::Month => {
                    ColumnBuilder::Text(StringBuilder::with_capacity(rows, rows * 8))
                }
                Kind::Amount => ColumnBuilder::Amount(Decimal128Builder::with_capacity(rows)),
                Kind::Instant => {
                    ColumnBuilder::Time(TimestampMillisecondBuilder::with_capacity(rows))
                }
                Kind::Integer => ColumnBuilder::Integer(Int64Builder::with_capacity(rows)),
            })
            .collect();
        BatchBuilder {
            calendar,
            money,
            columns,
            nullable,
            scratch: String::with_capacity(64),
            last_time: (Instant(i64::MIN), String::new()),
        }
    }

    /// One record's cells, in its schema's column order.
    pub fn record<'r, R: Record<'r>>(&mut self, record: &R) {
        let cells = record.cells();
        for (i, (cell, column)) in cells.as_ref().iter().zip(R::SCHEMA.columns).enumerate() {
            debug_assert!(
                cell.fits(column),
                "{}: {cell:?} in {}",
                R::SCHEMA.name,
                column.name
            );
            self.cell(i, *cell);
        }
    }

    /// Appends `cell` to column `i`: an empty cell, or an empty text in a nullable column,
    /// is a null. A cell that does not fit its column's kind is a bug
    /// of the model (caught by `Cell::fits` in debug builds); it is stored as a null.
    pub fn cell(&mut self, i: usize, cell: Cell<'_>) {
        let money = self.money;
        let text = match cell {
            Cell::BillId(resource, at) => {
                if self.last_time.0 != at {
                    self.last_time.0 = at;
                    self.last_time.1.clear();
                    self.calendar.write_time(at, &mut self.last_time.1);
                }
                self.scratch.clear();
                self.scratch.push_str(resource);
                self.scratch.push('@');
                self.scratch.push_str(&self.last_time.1);
                Some(self.scratch.as_str())
            }
            Cell::Month(y, m) => {
                self.scratch.clear();
                // Writing to a String cannot fail.
                let _ = write!(self.scratch, "{y:04}-{m:02}");
                Some(self.scratch.as_str())
            }
            Cell::Id("") | Cell::Text("") if self.nullable[i] => None,
            Cell::Id(s) | Cell::Text(s) => Some(s),
            _ => None,
        };
        // An id of the scenario (or of an event row) lives in memory that outlives the
        // batch; a bill id or month was just assembled in `scratch`.
        let lasting = matches!(cell, Cell::Id(_) | Cell::Text(_));
        match (&mut self.columns[i], text, cell) {
            (ColumnBuilder::Id(b), Some(s), _) => b.append(s, lasting),
            (ColumnBuilder::Text(b), Some(s), _) => b.append_value(s),
            (ColumnBuilder::Amount(b), _, Cell::Amount(m)) => b.append_value(mantissa(money, m)),
            // Report instants are within years 1–9999 (`docs/limits.md`): far inside i64 ms.
            (ColumnBuilder::Time(b), _, Cell::Instant(t)) => {
                b.append_value(t.0.saturating_mul(1000))
            }
            (ColumnBuilder::Integer(b), _, Cell::Integer(n)) => {
                b.append_option(i64::try_from(n).ok())
            }
            (ColumnBuilder::Id(b), ..) => b.append_null(),
            (ColumnBuilder::Text(b), ..) => b.append_null(),
            (ColumnBuilder::Amount(b), ..) => b.append_null(),
            (ColumnBuilder::Time(b), ..) => b.append_null(),
            (ColumnBuilder::Integer(b), ..) => b.append_null(),
        }
    }

    /// The batch, with `schema`'s types. An amount beyond [`DECIMAL_PRECISION`] digits
    /// (which no loaded scenario forms) is an error, not a truncated value.
    pub fn finish(self, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
        let arrays = self
            .columns
            .into_iter()
            .zip(schema.fields())
            .map(|(c, field)| -> Result<ArrayRef, ArrowError> {
                Ok(match c {
                    ColumnBuilder::Id(b) => Arc::new(b.finish()?),
                    ColumnBuilder::Text(mut b) => Arc::new(b.finish()),
                    ColumnBuilder::Amount(mut b) => {
                        let a = b.finish().with_data_type(field.data_type().clone());
                        a.validate_decimal_precision(DECIMAL_PRECISION)?;
                        Arc::new(a)
                    }
                    ColumnBuilder::Time(mut b) => Arc::new(b.finish().with_timezone(TIME_ZONE)),
                    ColumnBuilder::Integer(mut b) => Arc::new(b.finish()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema.clone(), arrays)
    }
}

/// A `Dictionary(Int32, Utf8)` column built without hashing: the ids a report names are
/// the scenario's own strings, so a value is found again by its address (and length),
/// one ordered-map lookup of two integers, and then compared with the stored value, so a
/// reused address can never give a wrong value. Building through arrow's
/// `StringDictionaryBuilder` (a hash of every string) was a fifth of a parquet run.
struct IdColumn {
    keys: Int32Builder,
    values: StringBuilder,
    by_address: BTreeMap<(usize, usize), i32>,
    /// The last lasting value's address and key: a payer or pricing account repeats over
    /// runs of rows.
    last: Option<((usize, usize), i32)>,
}

impl IdColumn {
    fn with_capacity(rows: usize) -> IdColumn {
        IdColumn {
            keys: Int32Builder::with_capacity(rows),
            values: StringBuilder::new(),
            by_address: BTreeMap::new(),
            last: None,
        }
    }

    /// Appends `s`; `lasting` when `s` outlives the batch (its address may be looked up
    /// again), not when it was assembled in a reused buffer.
    fn append(&mut self, s: &str, lasting: bool) {
        let address = (s.as_ptr() as usize, s.len());
        if lasting {
            let known = match self.last {
                Some((at, key)) if at == address => Some(key),
                _ => self.by_address.get(&address).copied(),
            };
            if let Some(key) = known {
                if self.value(key) == Some(s.as_bytes()) {
                    self.keys.append_value(key);
                    self.last = Some((address, key));
                    return;
                }
            }
        }
        // A batch holds at most BATCH_ROWS values, far below i32::MAX.
        let key = i32::try_from(self.values.len()).unwrap_or(i32::MAX);
        self.values.append_value(s);
        self.keys.append_value(key);
        if lasting {
            self.by_address.insert(address, key);
            self.last = Some((address, key));
        }
    }

    fn append_null(&mut self) {
        self.keys.append_null();
    }

    /// The bytes of the value with `key`.
    fn value(&self, key: i32) -> Option<&[u8]> {
        let offsets = self.values.offsets_slice();
        let k = usize::try_from(key).ok()?;
        let from = usize::try_from(*offsets.get(k)?).ok()?;
        let to = usize::try_from(*offsets.get(k + 1)?).ok()?;
        self.values.values_slice().get(from..to)
    }

    fn finish(mut self) -> Result<DictionaryArray<Int32Type>, ArrowError> {
        DictionaryArray::try_new(self.keys.finish(), Arc::new(self.values.finish()))
    }
}

/// The amount's mantissa at exactly `money_scale` fraction digits. Stored amounts have at
/// most `money_scale` digits, so this multiplies by a power of ten, exactly (a `Decimal`
/// mantissa is below 2^96 and 10^8 < 2^27, far inside i128). An amount with more digits,
/// which the engine never forms, is brought to scale as the CSV writer prints it
/// (`MoneyRules::write`), so the twins still agree.
fn mantissa(money: MoneyRules, m: Money) -> i128 {
    let mut d = m.decimal();
    if d.scale() <= money.scale {
        d.mantissa() * 10i128.pow(money.scale - d.scale())
    } else {
        d.rescale(money.scale);
        d.mantissa()
    }
}

/// A Parquet file being written: record batches in order, then the footer.
pub(super) struct ParquetOut {
    writer: ArrowWriter<BufWriter<std::fs::File>>,
    path: std::path::PathBuf,
}

impl ParquetOut {
    /// Creates `name` in `dir` through `output::create` (a staging directory), for a file
    /// of `columns` typed as `schema`.
    pub fn create(
        dir: &Path,
        name: &str,
        columns: &[Column],
        schema: SchemaRef,
    ) -> Result<ParquetOut, Error> {
        let path = dir.join(name);
        let file = crate::output::create(dir, name)?;
        let writer = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 17, file),
            schema,
            Some(properties(columns)),
        )
        .map_err(|e| failed(&path, e))?;
        Ok(ParquetOut { writer, path })
    }

    /// Writes one built batch (or the error building it, located at this file).
    pub fn write(&mut self, batch: Result<RecordBatch, ArrowError>) -> Result<(), Error> {
        let batch = batch.map_err(|e| failed(&self.path, e))?;
        self.writer.write(&batch).map_err(|e| failed(&self.path, e))
    }

    /// Writes the footer and flushes the file to the kernel (the fsync is
    /// `output::Staged::publish`'s, as for the CSV reports).
    pub fn finish(self) -> Result<(), Error> {
        let path = self.path;
        let buffered = self.writer.into_inner().map_err(|e| failed(&path, e))?;
        buffered
            .into_inner()
            .map(drop)
            .map_err(|e| Error::write(&path, e.into_error()))
    }
}

/// A failure of the Arrow or Parquet writer as an output error (exit 3) at `path`: its
/// I/O errors (a full disk) are the usual cause.
fn failed(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::write(path, std::io::Error::other(e))
}

/// Writes one report as `R::SCHEMA`'s Parquet file in `dir`: a row per item, in the
/// items' order. As `csv_out::write_report`: `items` are the model's cheap handles taken
/// serially in report order, `record` turns one into its row on whichever thread builds
/// its batch; batches have a fixed size, so the bytes do not depend on the thread count.
pub(super) fn write_report<'a, T, R>(
    dir: &Path,
    calendar: &'a Calendar,
    money: MoneyRules,
    mut items: impl Iterator<Item = T>,
    record: impl Fn(&T) -> R + Sync,
) -> Result<(), Error>
where
    T: Sync,
    R: Record<'a>,
{
    let schema = R::SCHEMA;
    let arrow = arrow_schema(schema, money);
    let mut out = ParquetOut::create(dir, &file_name(schema), schema.columns, arrow.clone())?;
    let build = |taken: &[T]| -> Vec<Result<RecordBatch, ArrowError>> {
        taken
            .par_chunks(BATCH_ROWS)
            .map(|chunk| {
                let mut b = BatchBuilder::new(schema.columns, calendar, money, chunk.len());
                for item in chunk {
                    b.record(&record(item));
                }
                b.finish(&arrow)
            })
            .collect()
    };
    // Batches are encoded (one thread per file) while the next ones are built (on the
    // others): the writer is the serial part.
    let mut built: Vec<Result<RecordBatch, ArrowError>> = Vec::new();
    loop {
        let taken: Vec<T> = items.by_ref().take(BATCHES_AT_ONCE * BATCH_ROWS).collect();
        if taken.is_empty() && built.is_empty() {
            break;
        }
        let (next, written) = rayon::join(
            || build(&taken),
            || built.drain(..).try_for_each(|batch| out.write(batch)),
        );
        written?;
        built = next;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Rounding;
    use rust_decimal::Decimal;

    fn rules(scale: u32) -> MoneyRules {
        MoneyRules {
            scale,
            rounding: Rounding::HalfUp,
        }
    }

    #[test]
    fn mantissas_are_exact_at_money_scale() {
        let m = |s: &str| Money::from_decimal(s.parse::<Decimal>().expect("decimal"));
        assert_eq!(mantissa(rules(2), m("1.5")), 150);
        assert_eq!(mantissa(rules(2), m("0")), 0);
        assert_eq!(mantissa(rules(0), m("7")), 7);
        assert_eq!(mantissa(rules(8), m("-12.3")), -1_230_000_000);
        // The largest amount docs/limits.md lets a run form, at the largest scale, fits.
        let big = m("310000000000000000000.12345678");
        assert_eq!(
            mantissa(rules(8), big),
            31_000_000_000_000_000_000_012_345_678
        );
        assert!(mantissa(rules(8), big) < 10i128.pow(u32::from(DECIMAL_PRECISION)));
    }

    #[test]
    fn every_kind_has_its_type() {
        let money = rules(3);
        assert_eq!(data_type(Kind::Amount, money), DataType::Decimal128(29, 3));
        assert_eq!(
            data_type(Kind::Instant, money),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert!(matches!(
            data_type(Kind::Id, money),
            DataType::Dictionary(..)
        ));
        assert_eq!(data_type(Kind::Month, money), DataType::Utf8);
        assert_eq!(data_type(Kind::Integer, money), DataType::Int64);
    }

    #[test]
    fn an_amount_past_the_precision_is_an_error_not_a_truncation() {
        let columns = [Column {
            name: "amount",
            kind: Kind::Amount,
            optional: false,
        }];
        let calendar = Calendar::new(
            crate::calendar::Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("UTC")),
            chrono::Weekday::Mon,
        );
        let schema = arrow_schema_of(&columns, rules(8));
        let mut b = BatchBuilder::new(&columns, &calendar, rules(8), 1);
        let huge = Money::from_decimal(Decimal::from_i128_with_scale(10i128.pow(28), 0));
        b.cell(0, Cell::Amount(huge));
        assert!(b.finish(&schema).is_err());
        let mut b = BatchBuilder::new(&columns, &calendar, rules(8), 1);
        b.cell(0, Cell::Amount(Money::ZERO));
        assert_eq!(b.finish(&schema).map(|r| r.num_rows()).ok(), Some(1));
    }
}
