//! Parquet output (SPEC §10.8): each report as `NAME.parquet`, with the columns and row
//! order of its CSV twin, for DuckDB, pandas or Spark to read without parsing text. The
//! cells are the report model's ([`Record::cells`], the same ones the CSV writer prints);
//! only their types differ, chosen per column from its schema [`Kind`] by [`data_type`]:
//!
//! | kind | Arrow / Parquet type | why |
//! |---|---|---|
//! | amount | `Decimal128(18, money_scale)`, or `(29, money_scale)` in a file with a wider amount | exact; Parquet stores 18 digits as an INT64, and every amount a run forms fits 29 (below 3.1 × 10^20, `docs/limits.md`, 21 integer digits, plus at most 8 fraction digits) |
//! | instant | `Timestamp(Millisecond, "UTC")` | a UTC-adjusted instant (Parquet has no seconds unit); the zone's offset is the CSV's printing, not the instant |
//! | id | `Dictionary(Int32, Utf8)`; a bill id `Utf8` | a report names few accounts and resources many times; a bill id (nearly) never repeats |
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
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::BufWriter;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

/// The decimal precision of a file's amount columns when every amount in it fits: Parquet
/// stores a decimal of at most 18 digits as an INT64, while the parquet crate writes a wider
/// one as fixed-length bytes with a buffer per value, which made a Parquet run a third
/// slower than its CSV twin. At money_scale 2, 18 digits hold amounts below 10^16.
pub const NARROW_PRECISION: u8 = 18;

/// The decimal precision of a file holding an amount wider than [`NARROW_PRECISION`]: 21
/// integer digits hold every amount a run forms (below 3.1 × 10^20, `docs/limits.md`), and
/// 8 more the largest `money_scale`. A file is written at this precision only when it
/// must be ([`write_file`]), so a reader sees a wide column only where a value needs it.
pub const WIDE_PRECISION: u8 = 29;

/// The zone of every timestamp column: instants are stored UTC-adjusted.
pub const TIME_ZONE: &str = "UTC";

/// Rows per record batch.
pub const BATCH_ROWS: usize = 1 << 16;

/// Record batches built in parallel before they are written, in order.
const BATCHES_AT_ONCE: usize = 4;

/// Rows per row group: a report of a year-scale fleet is a few row groups, each large
/// enough for dictionary pages to pay off.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// The Parquet file name of a report, `bills.parquet`.
pub fn file_name(schema: &Schema) -> String {
    format!("{}.parquet", schema.name)
}

/// The Arrow type of `column` in a scenario with `money` rules, amounts at `precision`
/// digits. A bill id column is plain `Utf8`: its values (nearly) never repeat, so a
/// dictionary would only be the same strings behind a key per row.
pub fn data_type(column: &Column, money: MoneyRules, precision: u8) -> DataType {
    match column.kind {
        Kind::Id if unique_per_row(column.name) => DataType::Utf8,
        Kind::Id => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        Kind::Text | Kind::Month => DataType::Utf8,
        // money_scale is 0–8 (`money::MAX_MONEY_SCALE`), so the cast is exact.
        Kind::Amount => DataType::Decimal128(precision, money.scale as i8),
        Kind::Instant => DataType::Timestamp(TimeUnit::Millisecond, Some(TIME_ZONE.into())),
        Kind::Integer => DataType::Int64,
    }
}

/// The Arrow schema of a report: its columns in order, nullable exactly where the CSV
/// may hold an empty cell, amounts at `precision` digits.
pub fn arrow_schema(schema: &Schema, money: MoneyRules, precision: u8) -> SchemaRef {
    arrow_schema_of(schema.columns, money, precision)
}

/// The Arrow schema of columns typed as a report's are (`focus.parquet`'s too).
pub(super) fn arrow_schema_of(columns: &[Column], money: MoneyRules, precision: u8) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(c.name, data_type(c, money, precision), c.optional))
        .collect();
    Arc::new(arrow_schema::Schema::new(fields))
}

/// The writer's properties for a file of `columns`, the same for every run, chosen by
/// measurement (`benches/formats.rs`, and instruction counts of the write phase) so that a
/// Parquet run costs no more than its CSV twin:
///
/// - Ids and text are dictionary-encoded (the default), except bill ids, which (nearly)
///   never repeat, so a dictionary would only cost time before the writer fell back to
///   plain pages.
/// - Times and amounts (at [`NARROW_PRECISION`]) are `DELTA_BINARY_PACKED`, without a
///   dictionary: the crate hashes every value it dictionary-encodes, which was a fifth of
///   the write; consecutive rows' times are equal or an hour apart and amounts a few
///   digits, so the deltas pack into a few bits each.
/// - Pages are Snappy-compressed, every Parquet reader's default codec: zstd (level 1,
///   its fastest) made files half the size (1/31 of the CSV on the year-scale fleet
///   instead of 1/15) for 7 % more instructions.
/// - Min/max statistics per column chunk (row group) for times and integers, which
///   readers prune row groups by (reports in bill or processing order have increasing
///   times), and none for text and amounts, whose min/max prune nothing in these orders
///   and cost a comparison and a copy of the bytes per value.
/// - Row groups of [`ROW_GROUP_ROWS`]; version 1 data pages, which every Parquet reader
///   reads (some older ones, and some warehouses' loaders, do not read version 2 pages).
///
/// `created_by` is the parquet crate's fixed `parquet-rs version X`, and nothing written
/// depends on the clock.
pub fn properties(columns: &[Column], precision: u8) -> WriterProperties {
    // A wide amount is a fixed-length byte array in Parquet, which delta packing does not
    // take: it keeps the crate's default (plain pages).
    let packed = |kind| match kind {
        Kind::Instant => true,
        Kind::Amount => precision <= NARROW_PRECISION,
        _ => false,
    };
    let mut builder = WriterProperties::builder();
    for c in columns {
        let path = || ColumnPath::from(c.name);
        if unique_per_row(c.name) {
            builder = builder.set_column_dictionary_enabled(path(), false);
        }
        if packed(c.kind) {
            builder = builder
                .set_column_dictionary_enabled(path(), false)
                .set_column_encoding(path(), Encoding::DELTA_BINARY_PACKED);
        }
        if !matches!(c.kind, Kind::Instant | Kind::Integer) {
            builder = builder.set_column_statistics_enabled(path(), EnabledStatistics::None);
        }
    }
    builder
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Whether a column holds a value per row that (nearly) never repeats: a bill id.
fn unique_per_row(column: &str) -> bool {
    column == "bill_id" || column == "x_BillId"
}

/// A column being built: one Arrow builder per Arrow type of [`data_type`].
enum ColumnBuilder<'a> {
    Id(IdColumn<'a>),
    /// Text, months and bill ids.
    Text(StringBuilder),
    Amount(Decimal128Builder),
    Time(TimestampMillisecondBuilder),
    Integer(Int64Builder),
}

impl ColumnBuilder<'_> {
    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Id(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Amount(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Integer(b) => b.append_null(),
        }
    }
}

/// Rows whose cells [`BatchBuilder::records`] lays out at once: their cells (32 bytes
/// each) stay in a core's cache while each column takes its own.
const BLOCK_ROWS: usize = 1024;

/// Bytes reserved per row of a text column (a product, a cycle, a rule id): a batch's
/// builders grow at most a few times.
const TEXT_BYTES: usize = 8;

/// Bytes reserved per row of a bill id column: `resource@2026-03-01T00:00:00+08:00` is
/// about 35.
const BILL_ID_BYTES: usize = 40;

/// One record batch being built from model rows: cells are converted as the CSV writer
/// prints them (ids and bill ids spelled the same, months as `YYYY-MM`), but typed.
///
/// The cells' strings live for `'a`, as long as the scenario and results they come from,
/// which the builder does not outlive: so an id is known again by its address
/// ([`IdColumn`]).
pub(super) struct BatchBuilder<'a> {
    calendar: &'a Calendar,
    money: MoneyRules,
    columns: Vec<ColumnBuilder<'a>>,
    /// Which columns are nullable: there an empty text is a null, as the CSV cannot tell
    /// them apart (an event's empty `account_id`, a credit row's empty FOCUS columns).
    nullable: Vec<bool>,
    /// The last instant printed for a bill id, and its text: consecutive bills (in bill
    /// order, by issue time first) mostly share it.
    last_time: (Instant, String),
    /// The largest absolute mantissa of the amounts appended, which says whether the batch
    /// fits its schema's precision.
    widest: u128,
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
                Kind::Id if unique_per_row(c.name) => {
                    ColumnBuilder::Text(StringBuilder::with_capacity(rows, rows * BILL_ID_BYTES))
                }
                Kind::Id => ColumnBuilder::Id(IdColumn::with_capacity(rows)),
                Kind::Text | Kind::Month => {
                    ColumnBuilder::Text(StringBuilder::with_capacity(rows, rows * TEXT_BYTES))
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
            last_time: (Instant(i64::MIN), String::new()),
            widest: 0,
        }
    }

    /// Records' cells, in their schema's column order: a block of [`BLOCK_ROWS`] rows' cells
    /// at a time is laid out row by row, then each column's cells of the block go to its
    /// builder in one loop of one type, instead of a dispatch on every cell's column and
    /// kind (which measured a few per cent slower: the least of 12 one-thread write phases
    /// of a 20-main week, 2.42 s against 2.36 s).
    pub fn records<R: Record<'a>>(&mut self, records: impl Iterator<Item = R>) {
        let width = R::SCHEMA.columns.len();
        let mut block: Vec<Cell<'a>> = Vec::with_capacity(BLOCK_ROWS * width);
        let mut records = records.peekable();
        while records.peek().is_some() {
            block.clear();
            for record in records.by_ref().take(BLOCK_ROWS) {
                let cells = record.cells();
                debug_assert!(
                    cells
                        .as_ref()
                        .iter()
                        .zip(R::SCHEMA.columns)
                        .all(|(c, k)| c.fits(k)),
                    "{}: {:?}",
                    R::SCHEMA.name,
                    cells.as_ref()
                );
                block.extend_from_slice(cells.as_ref());
            }
            for i in 0..width {
                self.column(i, block[i..].iter().step_by(width).copied());
            }
        }
    }

    /// Appends `cell` to column `i`, as [`BatchBuilder::records`] does.
    pub fn cell(&mut self, i: usize, cell: Cell<'a>) {
        self.column(i, std::iter::once(cell));
    }

    /// Appends `cells` to column `i`: an empty cell, or an empty text in a nullable column,
    /// is a null. A cell that does not fit its column's kind is a bug of the model (caught
    /// by `Cell::fits` in debug builds); it is stored as a null.
    fn column(&mut self, i: usize, cells: impl Iterator<Item = Cell<'a>>) {
        let nullable = self.nullable[i];
        let BatchBuilder {
            calendar,
            money,
            columns,
            last_time,
            widest,
            ..
        } = self;
        // Writing into a StringBuilder (`fmt::Write`) cannot fail.
        match &mut columns[i] {
            ColumnBuilder::Id(b) => {
                for cell in cells {
                    match cell {
                        Cell::Id("") | Cell::Text("") if nullable => b.append_null(),
                        Cell::Id(s) | Cell::Text(s) => b.append(s),
                        _ => b.append_null(),
                    }
                }
            }
            ColumnBuilder::Text(b) => {
                for cell in cells {
                    match cell {
                        Cell::Id("") | Cell::Text("") if nullable => b.append_null(),
                        Cell::Id(s) | Cell::Text(s) => b.append_value(s),
                        Cell::BillId(resource, at) => {
                            if last_time.0 != at {
                                last_time.0 = at;
                                last_time.1.clear();
                                calendar.write_time(at, &mut last_time.1);
                            }
                            let _ = b.write_str(resource);
                            let _ = b.write_char('@');
                            let _ = b.write_str(&last_time.1);
                            b.append_value("");
                        }
                        Cell::Month(y, m) => {
                            let _ = write!(b, "{y:04}-{m:02}");
                            b.append_value("");
                        }
                        _ => b.append_null(),
                    }
                }
            }
            ColumnBuilder::Amount(b) => {
                for cell in cells {
                    match cell {
                        Cell::Amount(m) => {
                            let v = mantissa(*money, m);
                            *widest = (*widest).max(v.unsigned_abs());
                            b.append_value(v)
                        }
                        _ => b.append_null(),
                    }
                }
            }
            ColumnBuilder::Time(b) => {
                for cell in cells {
                    match cell {
                        // Report instants are within years 1–9999 (`docs/limits.md`): far
                        // inside i64 milliseconds.
                        Cell::Instant(t) => b.append_value(t.0.saturating_mul(1000)),
                        _ => b.append_null(),
                    }
                }
            }
            ColumnBuilder::Integer(b) => {
                for cell in cells {
                    match cell {
                        Cell::Integer(n) => b.append_option(i64::try_from(n).ok()),
                        _ => b.append_null(),
                    }
                }
            }
        }
    }

    /// Appends `text`, which need not outlive the batch, to the text column `i` (an empty
    /// one in a nullable column is a null).
    pub fn text(&mut self, i: usize, text: &str) {
        match &mut self.columns[i] {
            ColumnBuilder::Text(b) if !(text.is_empty() && self.nullable[i]) => {
                b.append_value(text)
            }
            column => column.append_null(),
        }
    }

    /// The batch, with `schema`'s types; `None` when an amount has more digits than the
    /// schema's precision (the file is then written again at [`WIDE_PRECISION`], and past
    /// that, which no loaded scenario forms, it is an error), never a truncated value.
    pub fn finish(self, schema: &SchemaRef) -> Result<Option<RecordBatch>, ArrowError> {
        let fits = schema.fields().iter().all(|f| match f.data_type() {
            DataType::Decimal128(p, _) => self.widest < 10u128.pow(u32::from(*p)),
            _ => true,
        });
        if !fits {
            return Ok(None);
        }
        let arrays = self
            .columns
            .into_iter()
            .zip(schema.fields())
            .map(|(c, field)| -> Result<ArrayRef, ArrowError> {
                Ok(match c {
                    ColumnBuilder::Id(b) => Arc::new(b.finish()?),
                    ColumnBuilder::Text(mut b) => Arc::new(b.finish()),
                    ColumnBuilder::Amount(mut b) => {
                        Arc::new(b.finish().with_data_type(field.data_type().clone()))
                    }
                    ColumnBuilder::Time(mut b) => Arc::new(b.finish().with_timezone(TIME_ZONE)),
                    ColumnBuilder::Integer(mut b) => Arc::new(b.finish()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(schema.clone(), arrays).map(Some)
    }
}

/// A `Dictionary(Int32, Utf8)` column built without hashing or comparing strings. Its
/// values live for `'a`, which outlasts the column, so while it is built no other string
/// can sit at a value's address, and the value cannot change: the address and length
/// identify it. (Building through arrow's `StringDictionaryBuilder`, a hash of every
/// string, was a fifth of a Parquet run. Before this, a map ordered by address with a
/// comparison of every value, and bill ids through the same dictionary, the write phase
/// of a 4-main week took 4.30 G instructions; with this and plain bill ids, 3.82 G.)
struct IdColumn<'a> {
    keys: Int32Builder,
    values: StringBuilder,
    /// Each value's key by its address and length. Only ever queried, never iterated, so
    /// hash order cannot reach output (keys are given in first-seen order); foldhash's
    /// fixed-seed hasher, as addresses are not chosen by users.
    #[allow(clippy::disallowed_types)]
    by_address: std::collections::HashMap<(usize, usize), i32, foldhash::fast::FixedState>,
    /// The last value's address and key: a payer or pricing account repeats over runs of
    /// rows.
    last: Option<((usize, usize), i32)>,
    strings: PhantomData<&'a str>,
}

impl<'a> IdColumn<'a> {
    fn with_capacity(rows: usize) -> IdColumn<'a> {
        IdColumn {
            keys: Int32Builder::with_capacity(rows),
            values: StringBuilder::new(),
            by_address: Default::default(),
            last: None,
            strings: PhantomData,
        }
    }

    fn append(&mut self, s: &'a str) {
        let address = (s.as_ptr() as usize, s.len());
        let key = match self.last {
            Some((at, key)) if at == address => key,
            _ => {
                // A batch holds at most BATCH_ROWS values, far below i32::MAX.
                let next = i32::try_from(self.values.len()).unwrap_or(i32::MAX);
                let key = *self.by_address.entry(address).or_insert(next);
                if key == next {
                    self.values.append_value(s);
                }
                self.last = Some((address, key));
                key
            }
        };
        self.keys.append_value(key);
    }

    fn append_null(&mut self) {
        self.keys.append_null();
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

/// A Parquet file being written: record batches in order, then the footer. Its amounts
/// are at [`NARROW_PRECISION`] until a batch holds a wider one ([`ParquetOut::too_narrow`]).
///
/// The columns of a row group are encoded in parallel, each by its own column writer (the
/// parquet crate's `ArrowColumnWriter`), and the row group is written when it holds
/// [`ROW_GROUP_ROWS`] rows: the crate's `ArrowWriter` encodes them one after the other on
/// one thread, which made the largest report's encoder the serial end of a Parquet run.
/// The bytes are those of a serial encoding: each column is still one writer fed in order.
pub(super) struct ParquetOut<'c> {
    writer: SerializedFileWriter<BufWriter<std::fs::File>>,
    groups: ArrowRowGroupWriterFactory,
    /// The row group being encoded: one writer per leaf column, and its rows so far.
    group: Vec<ArrowColumnWriter>,
    group_rows: usize,
    path: std::path::PathBuf,
    columns: &'c [Column],
    schema: SchemaRef,
    /// Whether a batch was refused for an amount wider than the schema's precision: the
    /// rest are skipped, and the file must be written again, wider.
    too_narrow: bool,
}

impl<'c> ParquetOut<'c> {
    /// Creates `name` in `dir` through `output::create` (a staging directory), for a file
    /// of `columns` with amounts at [`NARROW_PRECISION`].
    fn create(
        dir: &Path,
        name: &str,
        columns: &'c [Column],
        money: MoneyRules,
    ) -> Result<ParquetOut<'c>, Error> {
        let path = dir.join(name);
        let file = crate::output::create(dir, name)?;
        ParquetOut::start(file, path, columns, money, NARROW_PRECISION)
    }

    fn start(
        file: std::fs::File,
        path: std::path::PathBuf,
        columns: &'c [Column],
        money: MoneyRules,
        precision: u8,
    ) -> Result<ParquetOut<'c>, Error> {
        let schema = arrow_schema_of(columns, money, precision);
        // `ArrowWriter` sets the file up as it would write it (the Parquet schema, and the
        // Arrow schema in the footer, so readers get dictionaries and zones back); its
        // serialized writer and column writer factory then take the row groups.
        let (writer, groups) = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 17, file),
            schema.clone(),
            Some(properties(columns, precision)),
        )
        .and_then(ArrowWriter::into_serialized_writer)
        .map_err(|e| failed(&path, e))?;
        Ok(ParquetOut {
            writer,
            groups,
            group: Vec::new(),
            group_rows: 0,
            path,
            columns,
            schema,
            too_narrow: false,
        })
    }

    /// The schema batches are built for.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Whether a batch did not fit, so the batches still to come need not be built.
    pub fn too_narrow(&self) -> bool {
        self.too_narrow
    }

    /// Writes one built batch (or the error building it, located at this file); a batch
    /// too wide for the schema ([`BatchBuilder::finish`]'s `None`) marks the file
    /// [`too_narrow`](Self::too_narrow), and nothing more is written to it.
    pub fn write(&mut self, batch: Result<Option<RecordBatch>, ArrowError>) -> Result<(), Error> {
        if self.too_narrow {
            return Ok(());
        }
        let Some(batch) = batch.map_err(|e| failed(&self.path, e))? else {
            self.too_narrow = true;
            return Ok(());
        };
        self.encode(&batch).map_err(|e| failed(&self.path, e))
    }

    /// Encodes `batch` into the row group, its columns in parallel, and writes the row group
    /// once it holds [`ROW_GROUP_ROWS`] rows or more. A report's batches have [`BATCH_ROWS`]
    /// rows (the last one fewer), which divides [`ROW_GROUP_ROWS`], so its row groups are
    /// exactly that size, as `ArrowWriter` cuts them; focus.parquet's batches (a chunk of
    /// bills with their credit rows) vary, so its row groups may be up to a batch larger.
    /// Either way the cut depends only on the rows.
    fn encode(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        if self.group.is_empty() {
            let index = self.writer.flushed_row_groups().len();
            self.group = self.groups.create_column_writers(index)?;
        }
        let mut leaves = Vec::with_capacity(self.group.len());
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, column)?);
        }
        self.group
            .par_iter_mut()
            .zip(leaves)
            .try_for_each(|(writer, leaf)| writer.write(&leaf))?;
        self.group_rows += batch.num_rows();
        if self.group_rows >= ROW_GROUP_ROWS {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Closes the row group's column writers (in parallel: each compresses its last page)
    /// and writes their chunks, in column order.
    fn flush_group(&mut self) -> Result<(), ParquetError> {
        if self.group.is_empty() {
            return Ok(());
        }
        let chunks: Vec<ArrowColumnChunk> = std::mem::take(&mut self.group)
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<Result<_, _>>()?;
        self.group_rows = 0;
        let mut group = self.writer.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group)?;
        }
        group.close().map(drop)
    }

    /// The file with its footer written, flushed to the kernel.
    fn into_file(mut self) -> Result<(std::fs::File, std::path::PathBuf), Error> {
        let path = std::mem::take(&mut self.path);
        self.flush_group().map_err(|e| failed(&path, e))?;
        let buffered = self.writer.into_inner().map_err(|e| failed(&path, e))?;
        let file = buffered
            .into_inner()
            .map_err(|e| Error::write(&path, e.into_error()))?;
        Ok((file, path))
    }

    /// The same file, emptied and begun again with amounts at [`WIDE_PRECISION`]. The file
    /// is the one this run created in its staging directory, so emptying it is ours to do.
    fn widen(self, money: MoneyRules) -> Result<ParquetOut<'c>, Error> {
        let columns = self.columns;
        let (mut file, path) = self.into_file()?;
        file.set_len(0)
            .and_then(|()| std::io::Seek::rewind(&mut file))
            .map_err(|e| Error::write(&path, e))?;
        ParquetOut::start(file, path, columns, money, WIDE_PRECISION)
    }

    /// Writes the last row group and the footer, and flushes the file to the kernel (the
    /// fsync is `output::Staged::publish`'s, as for the CSV reports).
    fn finish(self) -> Result<(), Error> {
        self.into_file().map(drop)
    }
}

/// A failure of the Arrow or Parquet writer as an output error (exit 3) at `path`: its
/// I/O errors (a full disk) are the usual cause.
fn failed(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::write(path, std::io::Error::other(e))
}

/// Writes the Parquet file `name` of `columns` into `dir`: `fill` writes every batch, in
/// order, into the file it is given. Amounts are first written at [`NARROW_PRECISION`];
/// if one needs more digits, the file is written again from its start at
/// [`WIDE_PRECISION`], so every file has one type per column and exact values, and costs
/// a second pass only when it holds an amount of 10^18 units of its scale or more. The
/// bytes depend only on the rows. An amount past [`WIDE_PRECISION`] digits, which
/// `docs/limits.md` shows no loaded scenario forms, is an output error, never truncated.
pub(super) fn write_file(
    dir: &Path,
    name: &str,
    columns: &[Column],
    money: MoneyRules,
    fill: impl Fn(&mut ParquetOut<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut out = ParquetOut::create(dir, name, columns, money)?;
    fill(&mut out)?;
    if out.too_narrow() {
        out = out.widen(money)?;
        fill(&mut out)?;
        if out.too_narrow() {
            return Err(Error::write(
                &out.path,
                std::io::Error::other(format!(
                    "an amount has more than {WIDE_PRECISION} digits at money_scale {}",
                    money.scale
                )),
            ));
        }
    }
    out.finish()
}

/// Writes one report as `R::SCHEMA`'s Parquet file in `dir`: a row per item, in the
/// items' order. As `csv_out::write_report`: `items` gives the model's cheap handles,
/// taken serially in report order (twice if the file is written again, wider), `record`
/// turns one into its row on whichever thread builds its batch; batches have a fixed
/// size, so the bytes do not depend on the thread count.
pub(super) fn write_report<'a, T, I, R>(
    dir: &Path,
    calendar: &'a Calendar,
    money: MoneyRules,
    items: impl Fn() -> I,
    record: impl Fn(&T) -> R + Sync,
) -> Result<(), Error>
where
    T: Sync,
    I: Iterator<Item = T>,
    R: Record<'a>,
{
    let schema = R::SCHEMA;
    let build = |taken: &[T], arrow: &SchemaRef| -> Vec<Result<Option<RecordBatch>, ArrowError>> {
        taken
            .par_chunks(BATCH_ROWS)
            .map(|chunk| {
                let mut b = BatchBuilder::new(schema.columns, calendar, money, chunk.len());
                b.records(chunk.iter().map(&record));
                b.finish(arrow)
            })
            .collect()
    };
    write_file(dir, &file_name(schema), schema.columns, money, |out| {
        let arrow = out.schema().clone();
        let mut items = items();
        // Batches are encoded (one thread per file) while the next ones are built (on the
        // others): the writer is the serial part.
        let mut built = Vec::new();
        while !out.too_narrow() {
            let taken: Vec<T> = items.by_ref().take(BATCHES_AT_ONCE * BATCH_ROWS).collect();
            if taken.is_empty() && built.is_empty() {
                break;
            }
            let (next, written) = rayon::join(
                || build(&taken, &arrow),
                || built.drain(..).try_for_each(|batch| out.write(batch)),
            );
            written?;
            built = next;
        }
        Ok(())
    })
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
        assert!(mantissa(rules(8), big) < 10i128.pow(u32::from(WIDE_PRECISION)));
    }

    #[test]
    fn every_kind_has_its_type() {
        let money = rules(3);
        let narrow = NARROW_PRECISION;
        let of = |name, kind, precision| {
            let column = Column {
                name,
                kind,
                optional: false,
            };
            data_type(&column, money, precision)
        };
        assert_eq!(
            of("list", Kind::Amount, narrow),
            DataType::Decimal128(18, 3)
        );
        assert_eq!(
            of("list", Kind::Amount, WIDE_PRECISION),
            DataType::Decimal128(29, 3)
        );
        assert_eq!(
            of("issued_at", Kind::Instant, narrow),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert!(matches!(
            of("payer_id", Kind::Id, narrow),
            DataType::Dictionary(..)
        ));
        assert_eq!(of("bill_id", Kind::Id, narrow), DataType::Utf8);
        assert_eq!(of("x_BillId", Kind::Id, narrow), DataType::Utf8);
        assert_eq!(of("month", Kind::Month, narrow), DataType::Utf8);
        assert_eq!(of("seq", Kind::Integer, narrow), DataType::Int64);
    }

    fn one_amount(columns: &[Column], precision: u8, amount: Decimal) -> Option<usize> {
        let calendar = Calendar::new(
            crate::calendar::Zone::Fixed(chrono::FixedOffset::east_opt(0).expect("UTC")),
            chrono::Weekday::Mon,
        );
        let schema = arrow_schema_of(columns, rules(8), precision);
        let mut b = BatchBuilder::new(columns, &calendar, rules(8), 1);
        b.cell(0, Cell::Amount(Money::from_decimal(amount)));
        b.finish(&schema).expect("builds").map(|r| r.num_rows())
    }

    #[test]
    fn a_batch_too_wide_for_its_precision_is_refused_not_truncated() {
        let columns = [Column {
            name: "amount",
            kind: Kind::Amount,
            optional: false,
        }];
        let units = |n: i128| Decimal::from_i128_with_scale(n, 8);
        // 18 digits at scale 8 fit the narrow type; one unit more does not.
        assert_eq!(one_amount(&columns, 18, units(10i128.pow(18) - 1)), Some(1));
        assert_eq!(one_amount(&columns, 18, units(10i128.pow(18))), None);
        assert_eq!(one_amount(&columns, 18, units(-(10i128.pow(18)))), None);
        assert_eq!(one_amount(&columns, 29, units(10i128.pow(18))), Some(1));
        // Past 29 digits even the wide type refuses (write_file makes it an error).
        let huge = Decimal::from_i128_with_scale(10i128.pow(28), 0);
        assert_eq!(one_amount(&columns, 29, huge), None);
        assert_eq!(one_amount(&columns, 18, Decimal::ZERO), Some(1));
    }
}
