//! Reading written reports back into owned, typed rows, by the schema: amounts as exact
//! decimals, times as RFC 3339 instants with their offset, ids and text as strings. For
//! `check`, the tests, and later `compare` and `merge`, which must read a report directory
//! the way trustsim wrote it.
//!
//! A malformed report is an [`Error::Scenario`] of located problems, `file:line: column:
//! message` (SPEC §7; `file` is the path the report was read from), never a panic.

use super::schema::{self, Column, Kind, Schema};
use crate::calendar::Instant;
use crate::error::{Error, Problem, ProblemKind, Problems};
use chrono::{DateTime, FixedOffset, SecondsFormat};
use rust_decimal::Decimal;
use std::fmt;
use std::path::Path;

/// One cell read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An empty cell (only in an optional column).
    Empty,
    /// An id or text cell.
    Text(Box<str>),
    /// An amount, exactly as written (its scale kept: `1.50` stays `1.50`).
    Amount(Decimal),
    /// A time: the instant and the offset it was written with.
    Instant(DateTime<FixedOffset>),
    Integer(u64),
    /// (year, month).
    Month(i32, u32),
}

impl Value {
    /// The text of an id or text cell; `""` for an empty one; `None` for other kinds.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            Value::Empty => Some(""),
            _ => None,
        }
    }

    pub fn amount(&self) -> Option<Decimal> {
        match self {
            Value::Amount(d) => Some(*d),
            _ => None,
        }
    }

    /// The instant of a time cell, as the engine counts time.
    pub fn instant(&self) -> Option<Instant> {
        match self {
            Value::Instant(t) => Some(Instant(t.timestamp())),
            _ => None,
        }
    }

    pub fn integer(&self) -> Option<u64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    pub fn month(&self) -> Option<(i32, u32)> {
        match self {
            Value::Month(y, m) => Some((*y, *m)),
            _ => None,
        }
    }
}

/// Prints the value as trustsim writes it (unquoted): for a report trustsim wrote, the
/// cell's text exactly.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Empty => Ok(()),
            Value::Text(t) => f.write_str(t),
            Value::Amount(d) => write!(f, "{d}"),
            Value::Instant(t) => f.write_str(&t.to_rfc3339_opts(SecondsFormat::Secs, false)),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Month(y, m) => write!(f, "{y:04}-{m:02}"),
        }
    }
}

/// One data row: its line in the file (the header is line 1) and a value per column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Box<[Value]>,
}

impl Row {
    /// The cell of column `i` of the schema.
    pub fn get(&self, i: usize) -> &Value {
        &self.cells[i]
    }
}

/// One report read back: its schema and its rows in file order.
#[derive(Clone, Debug)]
pub struct Table {
    pub schema: &'static Schema,
    pub rows: Vec<Row>,
}

impl Table {
    /// The position of the column called `name` (see [`Schema::column`]).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.schema.column(name)
    }
}

/// Every report of a directory, in [`schema::ALL`] order.
#[derive(Clone, Debug)]
pub struct Reports {
    pub tables: Vec<Table>,
}

impl Reports {
    /// The table of `schema`'s report.
    pub fn get(&self, schema: &Schema) -> &Table {
        &self.tables[schema.id.index()]
    }
}

/// Reads the nine reports of `dir`. Every problem of every file is reported (up to
/// [`crate::error::MAX_PROBLEMS`]), in report order, each located at the file's path.
pub fn read_dir(dir: &Path) -> Result<Reports, Error> {
    let mut problems = Problems::default();
    let mut tables = Vec::with_capacity(schema::ALL.len());
    for schema in schema::ALL {
        match read_table(dir, schema) {
            Ok(t) => tables.push(t),
            Err(Error::Scenario(found)) => {
                for p in found {
                    problems.add(p.kind, &p.file, p.line, &p.column, p.message);
                }
            }
            Err(e) => return Err(e),
        }
    }
    if problems.is_empty() {
        Ok(Reports { tables })
    } else {
        Err(Error::Scenario(problems.into_vec()))
    }
}

/// Reads `schema`'s report from `dir`.
pub fn read_table(dir: &Path, schema: &'static Schema) -> Result<Table, Error> {
    let path = dir.join(schema.file);
    let name = path.display().to_string();
    match std::fs::read(&path) {
        Ok(bytes) => parse_located(schema, &name, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A report directory of `run --format parquet`: say so, rather than only that
            // the CSV is missing (this reader, and so `compare`, reads CSV reports).
            let parquet = super::parquet::file_name(schema);
            let message = if dir.join(&parquet).is_file() {
                format!(
                    "file is missing: this directory holds {parquet} (run --format parquet); \
                     CSV reports are read here, written by run without --format parquet"
                )
            } else {
                "file is missing".to_string()
            };
            Err(Error::Scenario(vec![Problem::new(
                ProblemKind::MissingFile,
                &name,
                0,
                "-",
                &message,
            )]))
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Parses the bytes of `schema`'s report; problems are located at its file name.
pub fn parse(schema: &'static Schema, bytes: &[u8]) -> Result<Table, Error> {
    parse_located(schema, schema.file, bytes)
}

fn parse_located(schema: &'static Schema, file: &str, bytes: &[u8]) -> Result<Table, Error> {
    let mut problems = Problems::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::new();
    let mut header = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.add(ProblemKind::Syntax, file, line, "-", e.to_string());
                break;
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        if std::mem::take(&mut header) {
            if !record.iter().eq(schema.names().map(str::as_bytes)) {
                let found: Vec<String> = record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                problems.add(
                    ProblemKind::BadHeader,
                    file,
                    line,
                    "-",
                    format!(
                        "header is `{}`, expected `{}`",
                        found.join(","),
                        schema.header()
                    ),
                );
                break;
            }
            continue;
        }
        if record.len() != schema.columns.len() {
            problems.add(
                ProblemKind::Syntax,
                file,
                line,
                "-",
                format!(
                    "{} fields, the header has {}",
                    record.len(),
                    schema.columns.len()
                ),
            );
        } else if let Some(cells) = cells(schema, &record, file, line, &mut problems) {
            rows.push(Row { line, cells });
        }
        if problems.is_full() {
            break;
        }
    }
    if header {
        problems.add(ProblemKind::BadHeader, file, 1, "-", "no header row");
    }
    if problems.is_empty() {
        Ok(Table { schema, rows })
    } else {
        Err(Error::Scenario(problems.into_vec()))
    }
}

/// One data row's values, or `None` (with its problems recorded) when a cell is malformed.
fn cells(
    schema: &Schema,
    record: &csv::ByteRecord,
    file: &str,
    line: u64,
    problems: &mut Problems,
) -> Option<Box<[Value]>> {
    let mut ok = true;
    let values: Vec<Value> = record
        .iter()
        .zip(schema.columns)
        .map(|(field, column)| {
            let value = std::str::from_utf8(field)
                .map_err(|_| (ProblemKind::Encoding, "not UTF-8".to_string()))
                .and_then(|text| value(column, text).map_err(|m| (ProblemKind::BadValue, m)));
            value.unwrap_or_else(|(kind, message)| {
                ok = false;
                problems.add(kind, file, line, column.name, message);
                Value::Empty
            })
        })
        .collect();
    ok.then(|| values.into_boxed_slice())
}

/// Parses one cell of `column`.
fn value(column: &Column, text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return if column.optional {
            Ok(Value::Empty)
        } else {
            Err("empty, but this column always has a value".to_string())
        };
    }
    match column.kind {
        Kind::Id | Kind::Text => Ok(Value::Text(text.into())),
        Kind::Amount => amount(text)
            .map(Value::Amount)
            .ok_or_else(|| format!("{text:?} is not an amount")),
        Kind::Instant => DateTime::parse_from_rfc3339(text)
            .map(Value::Instant)
            .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}")),
        Kind::Integer => digits(text)
            .then(|| text.parse().ok())
            .flatten()
            .map(Value::Integer)
            .ok_or_else(|| format!("{text:?} is not a non-negative integer")),
        Kind::Month => month(text)
            .map(|(y, m)| Value::Month(y, m))
            .ok_or_else(|| format!("{text:?} is not a month (YYYY-MM)")),
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `-?digits[.digits]`, exactly (no rounding: more than `Decimal` holds is an error).
fn amount(text: &str) -> Option<Decimal> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

/// `YYYY-MM`.
fn month(text: &str) -> Option<(i32, u32)> {
    let (y, m) = text.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !digits(y) || !digits(m) {
        return None;
    }
    let m: u32 = m.parse().ok()?;
    (1..=12).contains(&m).then_some((y.parse().ok()?, m))
}

/// Splits one line of a report into its cells (unquoted), or `None` when it is not one CSV
/// record: `check` names the cells of a changed row by it.
pub fn split_line(line: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schema::{INVOICES, LEDGER};

    #[test]
    fn a_report_reads_back_typed_and_prints_as_written() {
        let text = "time,account_id,entry,amount,balance_after,bill_id\n\
                    2026-03-01T01:00:00+08:00,M,payment,1.50,98.50,\"r,1@2026-03-01T00:00:00+08:00\"\n\
                    2026-03-02T00:00:00-05:00,M,topup,10.00,108.50,\n";
        let t = parse(&LEDGER, text.as_bytes()).expect("reads");
        assert_eq!(t.rows.len(), 2);
        let row = &t.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(row.get(0).instant(), Some(Instant(1_772_298_000)));
        assert_eq!(row.get(3).amount(), Some(Decimal::new(150, 2)));
        assert_eq!(row.get(5).text(), Some("r,1@2026-03-01T00:00:00+08:00"));
        assert_eq!(t.rows[1].get(5), &Value::Empty);
        let printed: Vec<String> = t.rows[1].cells.iter().map(Value::to_string).collect();
        assert_eq!(
            printed.join(","),
            "2026-03-02T00:00:00-05:00,M,topup,10.00,108.50,"
        );
    }

    fn problems(schema: &'static Schema, text: &str) -> Vec<String> {
        match parse(schema, text.as_bytes()) {
            Err(Error::Scenario(p)) => p.iter().map(Problem::to_string).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_malformed_report_is_located_problems() {
        let head = "month,recipient_id,account_id,amount,rule\n";
        assert_eq!(
            problems(
                &INVOICES,
                &format!("{head}2026-13,M,L,1.00,L4\n2026-03,M,L,1.0.0,L4\n2026-03,M,L4\n")
            ),
            [
                "invoices.csv:2: month: \"2026-13\" is not a month (YYYY-MM)",
                "invoices.csv:3: amount: \"1.0.0\" is not an amount",
                "invoices.csv:4: -: 3 fields, the header has 5",
            ]
        );
        assert_eq!(
            problems(&INVOICES, "month,recipient,account_id,amount,rule\n"),
            ["invoices.csv:1: -: header is `month,recipient,account_id,amount,rule`, expected `month,recipient_id,account_id,amount,rule`"]
        );
        assert_eq!(
            problems(&INVOICES, ""),
            ["invoices.csv:1: -: no header row"]
        );
        assert_eq!(
            problems(&INVOICES, &format!("{head},M,L,1.00,L4\n")),
            ["invoices.csv:2: month: empty, but this column always has a value"]
        );
    }

    #[test]
    fn a_missing_report_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Err(Error::Scenario(p)) = read_dir(dir.path()) else {
            panic!("an empty directory has no reports");
        };
        assert_eq!(p.len(), 9);
        assert!(p[0]
            .to_string()
            .ends_with("bills.csv:0: -: file is missing"));
    }
}
