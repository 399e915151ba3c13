//! Reading one CSV table of a scenario (SPEC §4): header checks, field counts, UTF-8, and
//! per-row access by column name, with every problem located as `file:line: column`.

use crate::error::Problems;
use rayon::prelude::*;
use std::path::Path;

/// The columns a table accepts; `required` ones must be in the header.
pub(super) struct Columns {
    pub file: &'static str,
    pub names: &'static [&'static str],
    pub required: &'static [&'static str],
}

/// One data row: fields by column position in [`Columns::names`], trimmed.
pub(super) struct Row<'r> {
    pub file: &'static str,
    pub line: u64,
    record: &'r csv::StringRecord,
    map: &'r [Option<usize>],
    names: &'static [&'static str],
}

impl<'r> Row<'r> {
    /// The field of column `col` (an index into the table's names), trimmed; empty when the
    /// column is absent from the header, so optional columns read as their defaults.
    pub fn get(&self, col: usize) -> &'r str {
        self.map[col]
            .and_then(|i| self.record.get(i))
            .map_or("", str::trim)
    }

    /// Records a problem at this row and column.
    pub fn problem(&self, problems: &mut Problems, col: usize, message: impl Into<String>) {
        problems.push(self.file, self.line, self.names[col], message);
    }
}

/// Reads `dir/file`, calling `each` for every data row in file order. An absent file is
/// empty (reported as missing if `must_exist`). Stops early once `problems` is full.
pub(super) fn read(
    dir: &Path,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    mut each: impl FnMut(&Row<'_>, &mut Problems),
) {
    let Some(text) = open(dir, columns, must_exist, problems) else {
        return;
    };
    if let Some(header) = header(&text, columns, problems) {
        records(
            &text[header.end..],
            2,
            &header,
            columns,
            problems,
            &mut each,
        );
    }
}

/// [`read`] for a large table: each row becomes an optional `T`, and the rows are parsed in
/// parallel chunks when that is safe (no quote anywhere after the header, so every line
/// break ends a record). Returns the rows of each chunk, chunks in file order (so rows are
/// in file order when read one chunk after the other); problems come out in file order.
pub(super) fn read_rows<T: Send>(
    dir: &Path,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    each: impl Fn(&Row<'_>, &mut Problems) -> Option<T> + Sync,
) -> Vec<Vec<T>> {
    let Some(text) = open(dir, columns, must_exist, problems) else {
        return Vec::new();
    };
    let Some(header) = header(&text, columns, problems) else {
        return Vec::new();
    };
    let rest = &text[header.end..];
    let chunks = if memchr::memchr(b'"', rest).is_some() {
        1
    } else {
        // Chunks of at least 1 MiB: below that, splitting costs more than it saves.
        rayon::current_num_threads()
            .min(rest.len() / (1 << 20))
            .max(1)
    };
    let mut parts: Vec<(&[u8], u64)> = Vec::with_capacity(chunks);
    let (mut from, mut line) = (0, 2u64);
    for k in 1..=chunks {
        let to = if k == chunks {
            rest.len()
        } else {
            let aim = (rest.len() * k / chunks).max(from);
            memchr::memchr(b'\n', &rest[aim..]).map_or(rest.len(), |i| aim + i + 1)
        };
        parts.push((&rest[from..to], line));
        line += count_lines(&rest[from..to]);
        from = to;
    }
    let parsed: Vec<(Vec<T>, Problems)> = parts
        .into_par_iter()
        .map(|(chunk, first_line)| {
            let (mut rows, mut found) = (Vec::new(), Problems::default());
            records(
                chunk,
                first_line,
                &header,
                columns,
                &mut found,
                &mut |row, p| {
                    if let Some(t) = each(row, p) {
                        rows.push(t);
                    }
                },
            );
            (rows, found)
        })
        .collect();
    // Left in chunks: joining them would copy the largest table once more.
    let mut chunks = Vec::with_capacity(parsed.len());
    for (rows, found) in parsed {
        chunks.push(rows);
        problems.extend(found);
    }
    chunks
}

/// The file's bytes: read, BOM stripped, checked to be UTF-8. None when absent or unusable
/// (with a problem, except for an absent optional file).
fn open(
    dir: &Path,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
) -> Option<Vec<u8>> {
    let path = dir.join(columns.file);
    let mut bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if must_exist {
                problems.push(columns.file, 0, "-", "file is missing");
            }
            return None;
        }
        Err(e) => {
            problems.push(columns.file, 0, "-", format!("cannot read: {e}"));
            return None;
        }
    };
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        problems.push(columns.file, line, "-", "invalid UTF-8");
        return None;
    }
    Some(bytes)
}

/// Line breaks in `bytes` (SIMD-searched: the splitting passes run over whole files).
fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// A checked header: where each known column is, the field count, and where it ends.
struct Header {
    map: Vec<Option<usize>>,
    width: usize,
    /// Byte offset of the first data line.
    end: usize,
}

fn header(text: &[u8], columns: &Columns, problems: &mut Problems) -> Option<Header> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            problems.push(
                columns.file,
                1,
                "-",
                format!("expected a header row: {}", columns.names.join(",")),
            );
            return None;
        }
        Err(e) => {
            problems.push(columns.file, 1, "-", format!("unreadable header: {e}"));
            return None;
        }
    }
    record.trim();
    let map = map_header(&record, columns, problems)?;
    // After a `\r\n` header the reader stands on the `\n`: step past it, so the data
    // starts on line 2.
    let mut end = reader.position().byte() as usize;
    if end > 0 && text.get(end - 1) == Some(&b'\r') && text.get(end) == Some(&b'\n') {
        end += 1;
    }
    Some(Header {
        map,
        width: record.len(),
        end,
    })
}

/// Parses the data records of `text`, whose first line is line `first_line` of the file.
/// Fields are trimmed on access (`Row::get`): the same result as the csv crate's
/// `Trim::All` without rebuilding every record.
fn records(
    text: &[u8],
    first_line: u64,
    header: &Header,
    columns: &Columns,
    problems: &mut Problems,
    each: &mut dyn FnMut(&Row<'_>, &mut Problems),
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let width = header.width;
    // The csv crate neither counts the empty lines it skips nor excludes them from a
    // record's start, so lines are counted here: the line breaks before the record's first
    // byte (past any empty lines at its reported start).
    let (mut counted_to, mut line) = (0usize, first_line);
    let mut line_at = |byte: u64| {
        let mut byte = (byte as usize).min(text.len());
        while byte < text.len() && matches!(text[byte], b'\n' | b'\r') {
            byte += 1;
        }
        if byte >= counted_to {
            line += count_lines(&text[counted_to..byte]);
            counted_to = byte;
        }
        line
    };
    loop {
        if problems.is_full() {
            break;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                problems.push(columns.file, line, "-", format!("unreadable row: {e}"));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        // A line of only blanks reads as one blank field: skip it like an empty line.
        if record.len() == 1 && record[0].trim().is_empty() && width > 1 {
            continue;
        }
        if line > super::MAX_TABLE_LINE {
            // One problem for the file: the rest is beyond what a run can hold exactly.
            problems.push(
                columns.file,
                line,
                "-",
                format!(
                    "row beyond line {}: a table holds at most {} lines of rows (docs/limits.md)",
                    super::MAX_TABLE_LINE,
                    super::MAX_TABLE_LINE - 1
                ),
            );
            break;
        }
        if record.len() != width {
            problems.push(
                columns.file,
                line,
                "-",
                format!(
                    "expected {width} fields like the header, found {}",
                    record.len()
                ),
            );
            continue;
        }
        let row = Row {
            file: columns.file,
            line,
            record: &record,
            map: &header.map,
            names: columns.names,
        };
        each(&row, problems);
    }
}

/// Maps each known column to its field position; reports unknown, duplicate and missing
/// columns. None when the header is unusable.
fn map_header(
    header: &csv::StringRecord,
    columns: &Columns,
    problems: &mut Problems,
) -> Option<Vec<Option<usize>>> {
    let mut map = vec![None; columns.names.len()];
    let mut ok = true;
    for (i, field) in header.iter().enumerate() {
        match columns.names.iter().position(|n| *n == field) {
            Some(c) if map[c].is_some() => {
                problems.push(columns.file, 1, field, "duplicate column");
                ok = false;
            }
            Some(c) => map[c] = Some(i),
            None => {
                problems.push(
                    columns.file,
                    1,
                    field,
                    format!(
                        "unknown column; expected one of {}",
                        columns.names.join(", ")
                    ),
                );
                ok = false;
            }
        }
    }
    for req in columns.required {
        let c = columns.names.iter().position(|n| n == req);
        if c.is_some_and(|c| map[c].is_none()) {
            problems.push(columns.file, 1, req, "required column is missing");
            ok = false;
        }
    }
    ok.then_some(map)
}
