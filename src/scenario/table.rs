//! Reading one CSV table of a scenario (SPEC §4): header checks, field counts, UTF-8, and
//! per-row access by column name, with every problem located as `file:line: column`.

use crate::error::Problems;
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

/// Reads `dir/file`, calling `each` for every data row. Returns false when the file is
/// absent (and, if `must_exist`, reports it). Stops early once `problems` is full.
pub(super) fn read(
    dir: &Path,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    mut each: impl FnMut(&Row<'_>, &mut Problems),
) -> bool {
    let path = dir.join(columns.file);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if must_exist {
                problems.push(columns.file, 0, "-", "file is missing");
            }
            return false;
        }
        Err(e) => {
            problems.push(columns.file, 0, "-", format!("cannot read: {e}"));
            return false;
        }
    };
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Err(e) = std::str::from_utf8(body) {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        problems.push(columns.file, line, "-", "invalid UTF-8");
        return true;
    }

    // Fields are trimmed on access (`Row::get`): the same result as the csv crate's
    // `Trim::All` without rebuilding every record.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
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
            return true;
        }
        Err(e) => {
            problems.push(columns.file, 1, "-", format!("unreadable header: {e}"));
            return true;
        }
    }
    record.trim();
    let header = record.clone();

    let Some(map) = map_header(&header, columns, problems) else {
        return true;
    };
    let width = header.len();
    loop {
        if problems.is_full() {
            break;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(columns.file, line, "-", format!("unreadable row: {e}"));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        // A line of only blanks reads as one blank field: skip it like an empty line.
        if record.len() == 1 && record[0].trim().is_empty() && width > 1 {
            continue;
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
            map: &map,
            names: columns.names,
        };
        each(&row, problems);
    }
    true
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
