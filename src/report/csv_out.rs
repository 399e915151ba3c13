//! A CSV file being written: one header, `\n` line ends, fields formatted through the
//! scenario's calendar and money rules so every report prints times and amounts one way.

use crate::calendar::{Calendar, Instant};
use crate::error::Error;
use crate::money::{Money, MoneyRules};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

pub(super) struct CsvOut<'a> {
    writer: csv::Writer<BufWriter<File>>,
    path: PathBuf,
    calendar: &'a Calendar,
    money: MoneyRules,
    /// Field buffers reused across rows.
    fields: Vec<String>,
    used: usize,
}

impl<'a> CsvOut<'a> {
    pub fn create(
        dir: &Path,
        name: &str,
        header: &[&str],
        calendar: &'a Calendar,
        money: MoneyRules,
    ) -> Result<CsvOut<'a>, Error> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(1 << 16, file));
        writer
            .write_record(header)
            .map_err(|e| Error::io(&path, e.into()))?;
        Ok(CsvOut {
            writer,
            path,
            calendar,
            money,
            fields: vec![String::new(); header.len()],
            used: 0,
        })
    }

    fn next(&mut self) -> &mut String {
        let f = &mut self.fields[self.used];
        f.clear();
        self.used += 1;
        f
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.next().push_str(s);
        self
    }

    pub fn time(&mut self, t: Instant) -> &mut Self {
        let calendar = self.calendar;
        calendar.write_time(t, self.next());
        self
    }

    pub fn opt_time(&mut self, t: Option<Instant>) -> &mut Self {
        match t {
            Some(t) => self.time(t),
            None => self.str(""),
        }
    }

    pub fn money(&mut self, m: Money) -> &mut Self {
        let rules = self.money;
        rules.write(m, self.next());
        self
    }

    pub fn opt_money(&mut self, m: Option<Money>) -> &mut Self {
        match m {
            Some(m) => self.money(m),
            None => self.str(""),
        }
    }

    /// Writes the fields pushed since the last row.
    pub fn end_row(&mut self) -> Result<(), Error> {
        debug_assert_eq!(self.used, self.fields.len(), "row width matches the header");
        let used = self.used;
        self.used = 0;
        self.writer
            .write_record(&self.fields[..used])
            .map_err(|e| Error::io(&self.path, e.into()))
    }

    pub fn finish(mut self) -> Result<(), Error> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        let inner = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        inner
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?
            .sync_all()
            .map_err(|e| Error::io(&self.path, e))
    }
}
