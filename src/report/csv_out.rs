//! CSV formatting: a pure function from the model's typed rows to bytes. One header, `\n`
//! line ends, each [`Cell`] printed through the scenario's calendar and money rules so every
//! report prints times and amounts one way; what the cells are is the model's business
//! (`super::model`), which columns there are the schema's (`super::schema`).
//!
//! This is the hot path of a large run (hundreds of MB of reports), so each chunk of rows is
//! formatted straight into one buffer (with a cache of recent times), chunks in parallel,
//! and written in order. Quoting follows the csv crate's `Necessary` style byte for byte: a
//! field is quoted when it holds `,`, `"`, `\r` or `\n`, quotes doubled.
//!
//! A shard's partial reports (SPEC §10.9) are the same bytes, compressed: with
//! [`Encoding::Zstd`] the header and each chunk become one zstd frame each, compressed on the
//! thread that formatted the chunk, so the serial writer only copies frames. Chunks are
//! [`CHUNK`] rows whatever the thread count, so the frames are too.

use super::model::Record;
use super::schema::Cell;
use crate::calendar::{Calendar, Instant};
use crate::error::Error;
use crate::money::MoneyRules;
use rayon::prelude::*;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// How many recently formatted instants are remembered: consecutive rows mostly repeat
/// the same cycle start, end and issue times.
const TIME_CACHE: usize = 4;

/// Formats CSV rows into text. Used inside a [`CsvOut`], or detached to format a chunk of
/// rows on another thread.
pub(super) struct Rows<'a> {
    calendar: &'a Calendar,
    money: MoneyRules,
    /// Complete rows not yet written, then the row being built.
    line: String,
    /// Reused to assemble bill ids.
    scratch: String,
    /// Fields pushed on the current row, and how many a row must have.
    fields: usize,
    width: usize,
    cache: [(Instant, String); TIME_CACHE],
    next_slot: usize,
}

/// A CSV file being written: the header, then rows formatted elsewhere ([`Rows`], one per
/// chunk), sealed in the file's [`Encoding`] there, and written in order.
pub(super) struct CsvOut<'a> {
    writer: BufWriter<File>,
    path: PathBuf,
    rows: Rows<'a>,
    encoding: Encoding,
}

/// How a file's text goes to disk. The reports are [`Encoding::Plain`]; a shard's parts
/// (SPEC §10.9) are [`Encoding::Zstd`], because a bounded run's spill and a shard directory
/// would otherwise take as much disk as the reports themselves (a year-scale fleet's 31 GB,
/// twice over during the merge).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The text as it is.
    Plain,
    /// Each piece of text handed to [`Encoding::seal`] as one zstd frame with its checksum
    /// (so a damaged byte is found when it is read, not merged into a report). Concatenated
    /// frames decode as one stream (RFC 8878 §3.1), so a reader sees the plain text.
    Zstd,
}

impl Encoding {
    /// The zstd level of [`Encoding::Zstd`]: level 1 was measured the best trade on the
    /// reports' CSV (bills 15.9x at ~360-590 MB/s a core, ledger 10.7x at ~300 MB/s; level 3
    /// gains under 10% on bills, loses on the ledger, and is slower; the fast levels lose a
    /// fifth of the ratio for little speed).
    pub const ZSTD_LEVEL: i32 = 1;

    /// The zstd window, 2^17 = 128 KiB (level 1 would take 512 KiB for a chunk's text): a
    /// merge holds a window per input and file, and the smaller one compresses these rows
    /// as well (bills 16.1x, ledger 11.3x, against 15.9x and 10.7x).
    pub const ZSTD_WINDOW_LOG: u32 = 17;

    /// `text` as this encoding writes it: itself, or one zstd frame of it (none for no
    /// text). The same bytes on any thread, whatever it compressed before.
    pub fn seal(self, text: String) -> io::Result<Vec<u8>> {
        match self {
            Encoding::Plain => Ok(text.into_bytes()),
            Encoding::Zstd if text.is_empty() => Ok(Vec::new()),
            Encoding::Zstd => COMPRESSOR.with(|c| {
                let mut c = c.borrow_mut();
                let compressor = match &mut *c {
                    Some(compressor) => compressor,
                    None => c.insert(new_compressor()?),
                };
                let mut frame = compressor.compress(text.as_bytes())?;
                // `compress` reserves the worst case, about the text's size; a frame is
                // kept until its batch is written.
                frame.shrink_to_fit();
                Ok(frame)
            }),
        }
    }
}

thread_local! {
    /// Each thread's zstd context, made on its first frame and reused: a frame's bytes do
    /// not depend on the context's history (each is compressed on its own).
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// A zstd context at [`Encoding::ZSTD_LEVEL`] and [`Encoding::ZSTD_WINDOW_LOG`] that writes
/// each frame's checksum.
fn new_compressor() -> io::Result<zstd::bulk::Compressor<'static>> {
    let mut c = zstd::bulk::Compressor::new(Encoding::ZSTD_LEVEL)?;
    c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))?;
    c.set_parameter(zstd::zstd_safe::CParameter::WindowLog(
        Encoding::ZSTD_WINDOW_LOG,
    ))?;
    Ok(c)
}

/// The initial capacity of a chunk's text.
const CHUNK_TEXT_BYTES: usize = 1 << 16;

impl<'a> CsvOut<'a> {
    pub fn create(
        dir: &Path,
        name: &str,
        header: &[&str],
        calendar: &'a Calendar,
        money: MoneyRules,
        encoding: Encoding,
    ) -> Result<CsvOut<'a>, Error> {
        let path = dir.join(name);
        let file = crate::output::create(dir, name)?;
        let mut out = CsvOut {
            writer: BufWriter::with_capacity(1 << 17, file),
            path,
            rows: Rows::new(calendar, money, header.len()),
            encoding,
        };
        for h in header {
            out.rows.str(h);
        }
        out.rows.end_row();
        Ok(out)
    }

    /// An empty formatter with this file's settings, for formatting rows elsewhere.
    pub fn detached(&self) -> Rows<'a> {
        Rows::new(self.rows.calendar, self.rows.money, self.rows.width)
    }

    /// The encoding rows formatted elsewhere are sealed in ([`Encoding::seal`]) before
    /// [`CsvOut::write_sealed`] takes them.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Writes rows formatted and sealed elsewhere (complete lines in this file's encoding),
    /// after any buffered here; a sealing error is this file's.
    pub fn write_sealed(&mut self, sealed: io::Result<Vec<u8>>) -> Result<(), Error> {
        self.write_buffered()?;
        let bytes = sealed.map_err(|e| Error::write(&self.path, e))?;
        self.write_bytes(&bytes)
    }

    /// Writes the rows formatted here (the header), sealed in the file's encoding.
    fn write_buffered(&mut self) -> Result<(), Error> {
        debug_assert_eq!(self.rows.fields, 0, "only complete rows are written");
        if self.rows.line.is_empty() {
            return Ok(());
        }
        match self.encoding {
            Encoding::Plain => {
                let text = std::mem::take(&mut self.rows.line);
                let written = self.write_bytes(text.as_bytes());
                self.rows.line = text;
                self.rows.line.clear();
                written
            }
            Encoding::Zstd => {
                let frame = self.encoding.seal(std::mem::take(&mut self.rows.line));
                self.write_sealed(frame)
            }
        }
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::write(&self.path, e))
    }

    /// Writes what is buffered and flushes the file to the kernel. The fsync that makes it
    /// survive power loss is `output::Staged::publish`'s, for every file it publishes at
    /// once (in parallel, and only for output that is published: `check`'s scratch reports
    /// are never synced).
    pub fn finish(mut self) -> Result<(), Error> {
        self.write_buffered()?;
        self.writer
            .into_inner()
            .map(drop)
            .map_err(|e| Error::write(&self.path, e.into_error()))
    }
}

impl<'a> Rows<'a> {
    fn new(calendar: &'a Calendar, money: MoneyRules, width: usize) -> Rows<'a> {
        Rows {
            calendar,
            money,
            line: String::with_capacity(CHUNK_TEXT_BYTES + 1024),
            scratch: String::with_capacity(64),
            fields: 0,
            width,
            cache: std::array::from_fn(|_| (Instant(i64::MIN), String::new())),
            next_slot: 0,
        }
    }

    /// Ends the current row.
    pub fn end_row(&mut self) {
        debug_assert_eq!(self.fields, self.width, "row width matches the header");
        self.line.push('\n');
        self.fields = 0;
    }

    /// The complete rows formatted so far.
    pub fn into_text(self) -> String {
        self.line
    }

    fn separate(&mut self) {
        if self.fields > 0 {
            self.line.push(',');
        }
        self.fields += 1;
    }

    /// A text field, quoted only when it must be.
    fn str(&mut self, s: &str) {
        self.separate();
        if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            self.line.push('"');
            for c in s.chars() {
                if c == '"' {
                    self.line.push('"');
                }
                self.line.push(c);
            }
            self.line.push('"');
        } else {
            self.line.push_str(s);
        }
    }

    /// Appends `t` in SPEC §2 output form to the current field (no separator).
    fn push_time(&mut self, t: Instant) {
        if let Some((_, s)) = self.cache.iter().find(|(at, _)| *at == t) {
            self.line.push_str(s);
            return;
        }
        let slot = &mut self.cache[self.next_slot];
        self.next_slot = (self.next_slot + 1) % TIME_CACHE;
        slot.0 = t;
        slot.1.clear();
        self.calendar.write_time(t, &mut slot.1);
        self.line.push_str(&slot.1);
    }

    /// One typed cell, printed as SPEC §6 says: times in §2 output form, amounts at
    /// `money_scale`, ids and text as given (quoted only when they must be).
    pub fn cell(&mut self, cell: Cell<'_>) {
        match cell {
            Cell::Id(s) | Cell::Text(s) => self.str(s),
            Cell::BillId(resource, at) => self.bill_id(resource, at),
            Cell::Amount(m) => {
                self.separate();
                self.money.write(m, &mut self.line);
            }
            Cell::Instant(t) => {
                self.separate();
                self.push_time(t);
            }
            Cell::Integer(n) => {
                self.separate();
                // Writing to a String cannot fail.
                let _ = write!(self.line, "{n}");
            }
            Cell::Month(y, m) => {
                self.separate();
                let _ = write!(self.line, "{y:04}-{m:02}");
            }
            Cell::Empty => self.separate(),
        }
    }

    /// A bill id, `resource_id@time` (SPEC §5.2), quoted as one field if it must be.
    fn bill_id(&mut self, resource: &str, at: Instant) {
        let mut id = std::mem::take(&mut self.scratch);
        id.clear();
        id.push_str(resource);
        id.push('@');
        let start = self.line.len();
        self.push_time(at);
        id.push_str(&self.line[start..]);
        self.line.truncate(start);
        self.str(&id);
        self.scratch = id;
    }

    /// One record's cells, then the end of its row.
    pub fn record<'r, R: Record<'r>>(&mut self, record: &R) {
        let cells = record.cells();
        for (cell, column) in cells.as_ref().iter().zip(R::SCHEMA.columns) {
            debug_assert!(
                cell.fits(column),
                "{}: {cell:?} in {}",
                R::SCHEMA.file,
                column.name
            );
            self.cell(*cell);
        }
        self.end_row();
    }
}

/// Where a report is written: `dir/<prefix><schema file><suffix>`, in `encoding`. Reports
/// are written under their own names, plain; a shard's partial reports (SPEC §10.9) as
/// `bills.csv.part`, so nobody takes one for the report, in zstd frames.
#[derive(Copy, Clone)]
pub struct Dest<'a> {
    pub dir: &'a Path,
    pub prefix: &'a str,
    pub suffix: &'a str,
    pub encoding: Encoding,
}

impl Dest<'_> {
    /// The name `file` is written under.
    pub fn name(&self, file: &str) -> String {
        format!("{}{file}{}", self.prefix, self.suffix)
    }
}

/// Rows taken from the model at a time; each batch is formatted (and sealed) in parallel
/// chunks of [`CHUNK`] rows and written in order. `CHUNK` is also a zstd frame's rows.
const BATCH: usize = 1 << 14;
const CHUNK: usize = 1 << 11;

/// Writes one report, `R::SCHEMA.file` in `dir`: its header, then a row per item, in
/// the items' order. `items` are the model's cheap handles (a bill record, a ledger row)
/// taken serially in report order; `record` turns one into its complete row, on whichever
/// thread formats its chunk, so the bytes do not depend on the thread count.
pub(super) fn write_report<'a, T, R>(
    dir: Dest<'_>,
    calendar: &'a Calendar,
    money: MoneyRules,
    items: impl Iterator<Item = T>,
    record: impl Fn(&T) -> R + Sync,
) -> Result<(), Error>
where
    T: Sync,
    R: Record<'a>,
{
    let schema = R::SCHEMA;
    let header: Vec<&str> = schema.names().collect();
    let name = dir.name(schema.file);
    let mut out = CsvOut::create(dir.dir, &name, &header, calendar, money, dir.encoding)?;
    let encoding = out.encoding();
    let mut items = items.peekable();
    while items.peek().is_some() {
        let batch: Vec<T> = items.by_ref().take(BATCH).collect();
        let sealed: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut rows = out.detached();
                for item in chunk {
                    rows.record(&record(item));
                }
                encoding.seal(rows.into_text())
            })
            .collect();
        for chunk in sealed {
            out.write_sealed(chunk)?;
        }
    }
    out.finish()
}

/// One cell's text exactly as its CSV field holds it, without CSV quoting: for outputs
/// that quote their own way or not at all (`explain`'s sentences and JSON), so every
/// time and amount they show is the one the reports show.
pub fn cell_text(calendar: &Calendar, money: MoneyRules, cell: Cell<'_>) -> String {
    match cell {
        Cell::Id(s) | Cell::Text(s) => s.to_owned(),
        Cell::BillId(resource, at) => {
            let mut id = format!("{resource}@");
            calendar.write_time(at, &mut id);
            id
        }
        _ => {
            // One field: none of a chunk's buffer (`Rows::new` sizes it for 2,048 rows).
            let mut rows = Rows {
                calendar,
                money,
                line: String::with_capacity(32),
                scratch: String::new(),
                fields: 0,
                width: 1,
                cache: std::array::from_fn(|_| (Instant(i64::MIN), String::new())),
                next_slot: 0,
            };
            rows.cell(cell);
            rows.line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_keeps_plain_text_and_frames_the_rest_with_a_checksum() {
        let text = "a,b\n1,2\n".repeat(1000);
        let plain = Encoding::Plain.seal(text.clone()).expect("plain");
        assert_eq!(plain, text.as_bytes());
        let frame = Encoding::Zstd.seal(text.clone()).expect("zstd");
        assert!(
            frame.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
            "the zstd magic"
        );
        assert!(frame.len() < text.len() / 10, "{} bytes", frame.len());
        // Two frames read as one stream: the text twice.
        let mut two = frame.clone();
        two.extend_from_slice(&Encoding::Zstd.seal(text.clone()).expect("zstd"));
        assert_eq!(
            zstd::decode_all(&two[..]).expect("decodes"),
            [text.as_bytes(); 2].concat()
        );
        // A changed byte is found by the frame's checksum or its structure.
        let mut bad = frame.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(zstd::decode_all(&bad[..]).is_err());
        assert!(Encoding::Zstd.seal(String::new()).expect("zstd").is_empty());
    }
}
