//! A CSV file being written: one header, `\n` line ends, fields formatted through the
//! scenario's calendar and money rules so every report prints times and amounts one way.
//!
//! This is the hot path of a large run (hundreds of MB of reports), so rows are formatted
//! straight into one reused buffer, and large reports format chunks of rows in parallel. Quoting follows the csv crate's `Necessary` style
//! byte for byte: a field is quoted when it holds `,`, `"`, `\r` or `\n`, quotes doubled.

use crate::calendar::{Calendar, Instant};
use crate::error::Error;
use crate::money::{Money, MoneyRules};
use std::fs::File;
use std::io::{BufWriter, Write};
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

/// A CSV file being written: the header, then rows formatted by its [`Rows`] and written in
/// 64 KiB pieces.
pub(super) struct CsvOut<'a> {
    writer: BufWriter<File>,
    path: PathBuf,
    rows: Rows<'a>,
}

/// Text buffered before it is handed to the file.
const FLUSH_BYTES: usize = 1 << 16;

impl<'a> CsvOut<'a> {
    pub fn create(
        dir: &Path,
        name: &str,
        header: &[&str],
        calendar: &'a Calendar,
        money: MoneyRules,
    ) -> Result<CsvOut<'a>, Error> {
        let path = dir.join(name);
        let file = crate::output::create(dir, name)?;
        let mut out = CsvOut {
            writer: BufWriter::with_capacity(1 << 17, file),
            path,
            rows: Rows::new(calendar, money, header.len()),
        };
        for h in header {
            out.str(h);
        }
        out.end_row()?;
        Ok(out)
    }

    /// An empty formatter with this file's settings, for formatting rows elsewhere.
    pub fn detached(&self) -> Rows<'a> {
        Rows::new(self.rows.calendar, self.rows.money, self.rows.width)
    }

    /// Ends the current row; writes buffered rows once there are enough.
    pub fn end_row(&mut self) -> Result<(), Error> {
        self.rows.end_row();
        if self.rows.line.len() >= FLUSH_BYTES {
            self.write_buffered()?;
        }
        Ok(())
    }

    /// Writes rows formatted elsewhere (complete lines), after any buffered here.
    pub fn write_text(&mut self, text: &str) -> Result<(), Error> {
        self.write_buffered()?;
        self.write_bytes(text.as_bytes())
    }

    fn write_buffered(&mut self) -> Result<(), Error> {
        debug_assert_eq!(self.rows.fields, 0, "only complete rows are written");
        let text = std::mem::take(&mut self.rows.line);
        let written = self.write_bytes(text.as_bytes());
        self.rows.line = text;
        self.rows.line.clear();
        written
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

impl<'a> std::ops::Deref for CsvOut<'a> {
    type Target = Rows<'a>;
    fn deref(&self) -> &Rows<'a> {
        &self.rows
    }
}

impl<'a> std::ops::DerefMut for CsvOut<'a> {
    fn deref_mut(&mut self) -> &mut Rows<'a> {
        &mut self.rows
    }
}

impl<'a> Rows<'a> {
    fn new(calendar: &'a Calendar, money: MoneyRules, width: usize) -> Rows<'a> {
        Rows {
            calendar,
            money,
            line: String::with_capacity(FLUSH_BYTES + 1024),
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
    pub fn str(&mut self, s: &str) -> &mut Self {
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
        self
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

    pub fn time(&mut self, t: Instant) -> &mut Self {
        self.separate();
        self.push_time(t);
        self
    }

    pub fn opt_time(&mut self, t: Option<Instant>) -> &mut Self {
        match t {
            Some(t) => self.time(t),
            None => self.str(""),
        }
    }

    /// A bill id, `resource_id@time` (SPEC §5.2), quoted as one field if it must be.
    pub fn bill_id(&mut self, (resource, at): (&str, Instant)) -> &mut Self {
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
        self
    }

    /// An optional bill id; empty when the row has no bill.
    pub fn opt_bill_id(&mut self, bill: Option<(&str, Instant)>) -> &mut Self {
        match bill {
            Some(id) => self.bill_id(id),
            None => self.str(""),
        }
    }

    pub fn money(&mut self, m: Money) -> &mut Self {
        self.separate();
        self.money.write(m, &mut self.line);
        self
    }

    pub fn opt_money(&mut self, m: Option<Money>) -> &mut Self {
        match m {
            Some(m) => self.money(m),
            None => self.str(""),
        }
    }
}
