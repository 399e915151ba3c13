//! Reading one CSV table of a scenario (SPEC §4): header checks, field counts, quoting,
//! UTF-8, and per-row access by column name, with every problem located as
//! `file:line: column`.
//!
//! Lines are counted the way an editor shows them: `\n`, `\r\n` and a bare `\r` each end a
//! line, blank lines (also before the header) count, and so do line breaks inside quoted
//! fields.

use crate::error::{ProblemKind, Problems};
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
    /// The row's shape is broken (field count, quoting) and a problem says so already;
    /// only [`read_all`] hands such rows out, so a table can still count their ids as
    /// defined.
    rejected: bool,
}

impl<'r> Row<'r> {
    /// The field of column `col` (an index into the table's names), trimmed; empty when the
    /// column is absent from the header, so optional columns read as their defaults.
    pub fn get(&self, col: usize) -> &'r str {
        self.map[col]
            .and_then(|i| self.record.get(i))
            .map_or("", str::trim)
    }

    /// True for a row whose shape was rejected (see [`read_all`]): read its id, nothing else.
    pub fn is_rejected(&self) -> bool {
        self.rejected
    }

    /// Records a bad value at this row and column.
    pub fn problem(&self, problems: &mut Problems, col: usize, message: impl Into<String>) {
        self.problem_of(problems, ProblemKind::BadValue, col, message);
    }

    /// Records a problem of `kind` at this row and column.
    pub fn problem_of(
        &self,
        problems: &mut Problems,
        kind: ProblemKind,
        col: usize,
        message: impl Into<String>,
    ) {
        problems.add(kind, self.file, self.line, self.names[col], message);
    }
}

/// Where a scenario's tables are read from, and how long one may be.
#[derive(Copy, Clone, Debug)]
pub(super) struct Source<'a> {
    pub dir: &'a Path,
    /// The last line a row may start on (`super::max_table_line` of the scenario's
    /// `money_scale`).
    pub max_line: u64,
}

/// Reads `dir/file`, calling `each` for every well-formed data row in file order. An absent
/// file is empty (reported as missing if `must_exist`). Stops early once `problems` is full.
pub(super) fn read(
    source: Source<'_>,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    mut each: impl FnMut(&Row<'_>, &mut Problems),
) {
    read_all(source, columns, must_exist, problems, |row, p| {
        if !row.is_rejected() {
            each(row, p);
        }
    });
}

/// [`read`] that also hands out rejected rows (already reported: [`Row::is_rejected`]), so
/// that a table of ids can count a broken row's id as defined (SPEC §7: one bad row is one
/// problem). Returns whether the table's ids are known whole: false when the file is
/// missing, unreadable or has an unusable header, or a row's quoting is broken (the field
/// and the rows it swallowed cannot be read reliably), so that references into the table
/// cannot be checked.
pub(super) fn read_all(
    source: Source<'_>,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    mut each: impl FnMut(&Row<'_>, &mut Problems),
) -> bool {
    let text = match open(source.dir, columns, must_exist, problems) {
        File::Bytes(text) => text,
        // An absent optional table is empty, and complete.
        File::Absent => return true,
        File::Unusable => return false,
    };
    let Some(header) = header(&text, columns, source.max_line, problems) else {
        return false;
    };
    records(
        &text[header.end..],
        header.data_line,
        &header,
        columns,
        problems,
        &mut each,
    )
}

/// [`read`] for a large table: each row becomes an optional `T`, and the rows are parsed in
/// parallel chunks when that is safe (no quote anywhere after the header, so every line
/// break ends a record). Returns the rows of each chunk, chunks in file order (so rows are
/// in file order when read one chunk after the other); problems come out in file order.
pub(super) fn read_rows<T: Send>(
    source: Source<'_>,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    each: impl Fn(&Row<'_>, &mut Problems) -> Option<T> + Sync,
) -> Vec<Vec<T>> {
    let File::Bytes(text) = open(source.dir, columns, must_exist, problems) else {
        return Vec::new();
    };
    let Some(header) = header(&text, columns, source.max_line, problems) else {
        return Vec::new();
    };
    let rest = &text[header.end..];
    let quoted = memchr::memchr(b'"', rest).is_some();
    let parsed = parse_chunks(rest, header.data_line, &header, columns, quoted, &each);
    // Left in chunks: joining them would copy the largest table once more.
    let mut chunks = Vec::with_capacity(parsed.len());
    for (rows, found) in parsed {
        chunks.push(rows);
        problems.extend(found);
    }
    chunks
}

/// Parses the records of `rest` (whose first line is `first_line`) into rows, in parallel
/// chunks unless `quoted` (a quote may hide a line break, so only one reader can tell where
/// records end). Each chunk's rows and problems, in file order.
fn parse_chunks<T: Send>(
    rest: &[u8],
    first_line: u64,
    header: &Header,
    columns: &Columns,
    quoted: bool,
    each: &(impl Fn(&Row<'_>, &mut Problems) -> Option<T> + Sync),
) -> Vec<(Vec<T>, Problems)> {
    let chunks = if quoted {
        1
    } else {
        // Chunks of at least 1 MiB: below that, splitting costs more than it saves.
        rayon::current_num_threads()
            .min(rest.len() / (1 << 20))
            .max(1)
    };
    let mut parts: Vec<(&[u8], u64)> = Vec::with_capacity(chunks);
    let (mut from, mut line) = (0, first_line);
    for k in 1..=chunks {
        // A chunk ends just after a `\n`, so it never splits a `\r\n`.
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
    parts
        .into_par_iter()
        .map(|(chunk, first_line)| {
            let (mut rows, mut found) = (Vec::new(), Problems::default());
            let _ = records(
                chunk,
                first_line,
                header,
                columns,
                &mut found,
                &mut |row, p| {
                    if row.is_rejected() {
                        return;
                    }
                    if let Some(t) = each(row, p) {
                        rows.push(t);
                    }
                },
            );
            (rows, found)
        })
        .collect()
}

/// Bytes of a table a streaming read ([`read_rows_streaming`]) holds at once, beyond the
/// rows it keeps.
const STREAM_BLOCK: usize = 16 << 20;

/// [`read_rows`] that holds a block of the file at a time instead of the whole file, so a
/// run that keeps few rows (a shard, a group of a bounded run: SPEC §10.9) needs memory for
/// those rows, not for the file. Only a plain file is streamed: valid UTF-8, no quote
/// anywhere, a header in the first block. Anything else (and any read error) is read
/// whole by [`read_rows`], which then reports exactly what it always does; the streamed
/// blocks are cut after a `\n`, as [`read_rows`]'s chunks are, so the rows and problems are
/// the same either way.
pub(super) fn read_rows_streaming<T: Send>(
    source: Source<'_>,
    columns: &Columns,
    must_exist: bool,
    problems: &mut Problems,
    each: impl Fn(&Row<'_>, &mut Problems) -> Option<T> + Sync,
) -> Vec<Vec<T>> {
    match stream_rows(source, columns, &each, STREAM_BLOCK) {
        Some((chunks, found)) => {
            problems.extend(found);
            chunks
        }
        None => read_rows(source, columns, must_exist, problems, each),
    }
}

/// The streamed rows and problems of a plain file, or `None` (see [`read_rows_streaming`]).
fn stream_rows<T: Send>(
    source: Source<'_>,
    columns: &Columns,
    each: &(impl Fn(&Row<'_>, &mut Problems) -> Option<T> + Sync),
    block: usize,
) -> Option<(Vec<Vec<T>>, Problems)> {
    use std::io::Read;
    let path = source.dir.join(columns.file);
    if !std::fs::metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(&path).ok()?;
    // Appends up to a block; true once the file is read to its end.
    let mut fill = |buf: &mut Vec<u8>| -> Option<bool> {
        let got = (&mut file).take(block as u64).read_to_end(buf).ok()?;
        Some(got < block)
    };
    let mut buf = Vec::with_capacity(block + (1 << 16));
    let mut eof = fill(&mut buf)?;
    // The header's line whole, however long.
    while !eof && memchr::memchr(b'\n', &buf).is_none() {
        eof = fill(&mut buf)?;
    }
    if buf.starts_with(b"\xEF\xBB\xBF") {
        buf.drain(..3);
    }
    let plain =
        |text: &[u8]| memchr::memchr(b'"', text).is_none() && std::str::from_utf8(text).is_ok();
    let cut_of = |buf: &[u8], eof: bool| {
        if eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1)
        }
    };
    let mut found = Problems::default();
    let first_cut = cut_of(&buf, eof);
    if first_cut == 0 || !plain(&buf[..first_cut]) {
        return None;
    }
    let header = header(&buf[..first_cut], columns, source.max_line, &mut found)?;
    let mut chunks = Vec::new();
    let (mut start, mut line) = (header.end, header.data_line);
    loop {
        let cut = cut_of(&buf, eof);
        if cut < start || !plain(&buf[start..cut]) {
            return None;
        }
        let text = &buf[start..cut];
        for (rows, f) in parse_chunks(text, line, &header, columns, false, each) {
            chunks.push(rows);
            found.extend(f);
        }
        line += count_lines(text);
        if eof || found.is_full() {
            break;
        }
        buf.drain(..cut);
        start = 0;
        eof = fill(&mut buf)?;
    }
    Some((chunks, found))
}

/// What reading one scenario file gave.
pub(super) enum File {
    Bytes(Vec<u8>),
    /// Absent and optional: no problem, and the table is empty.
    Absent,
    /// A problem was recorded: missing though required, a dangling symlink, not a regular
    /// file (a directory, a FIFO that would block), a read error, or not UTF-8.
    Unusable,
}

/// Reads `dir/name` (see [`File`]).
pub(super) fn read_file(dir: &Path, name: &str, must_exist: bool, problems: &mut Problems) -> File {
    let path = dir.join(name);
    let mut unreadable = |message: String| {
        problems.add(ProblemKind::UnreadableFile, name, 0, "-", message);
        File::Unusable
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return unreadable("not a regular file".to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Not found through a link that exists: the link dangles. That is a mistake to
            // report, not an absent optional file.
            if let Ok(target) = std::fs::read_link(&path) {
                return unreadable(format!(
                    "a symlink to {}, which does not exist",
                    target.display()
                ));
            }
            if !must_exist {
                return File::Absent;
            }
            problems.add(ProblemKind::MissingFile, name, 0, "-", "file is missing");
            return File::Unusable;
        }
        Err(e) => return unreadable(format!("cannot read: {e}")),
    }
    match std::fs::read(&path) {
        Ok(b) => File::Bytes(b),
        Err(e) => unreadable(format!("cannot read: {e}")),
    }
}

/// The file's bytes: read, BOM stripped, checked to be UTF-8.
fn open(dir: &Path, columns: &Columns, must_exist: bool, problems: &mut Problems) -> File {
    let mut bytes = match read_file(dir, columns.file, must_exist, problems) {
        File::Bytes(b) => b,
        other => return other,
    };
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let line = count_lines(&bytes[..e.valid_up_to()]) + 1;
        problems.add(
            ProblemKind::Encoding,
            columns.file,
            line,
            "-",
            "invalid UTF-8",
        );
        return File::Unusable;
    }
    File::Bytes(bytes)
}

/// Line breaks in `bytes`: each `\n`, and each `\r` not followed by `\n` (`\r\n` is one
/// break). SIMD-searched: the splitting passes run over whole files. A slice must not end
/// between the two bytes of a `\r\n`.
pub(super) fn count_lines(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

/// The first byte at or after `byte` that is not a line break: where a record whose
/// reported start lies on the empty lines before it really begins.
fn skip_breaks(text: &[u8], mut byte: usize) -> usize {
    byte = byte.min(text.len());
    while byte < text.len() && matches!(text[byte], b'\n' | b'\r') {
        byte += 1;
    }
    byte
}

/// A checked header: where each known column is, the field count, and where it ends.
struct Header {
    map: Vec<Option<usize>>,
    /// The column name of each header field, by field position.
    fields: Vec<&'static str>,
    width: usize,
    /// Byte offset of the first data line.
    end: usize,
    /// The line number of the byte at `end`.
    data_line: u64,
    /// The last line a row may start on (`super::max_table_line`).
    max_line: u64,
}

fn header(
    text: &[u8],
    columns: &Columns,
    max_line: u64,
    problems: &mut Problems,
) -> Option<Header> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let bad = |problems: &mut Problems, kind, line, message: String| {
        problems.add(kind, columns.file, line, "-", message);
    };
    // Blank lines (also lines of only blanks) before the header are skipped like any other.
    let start = loop {
        let at = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(true) if record.len() == 1 && record[0].trim().is_empty() => continue,
            Ok(true) => {
                break skip_breaks(text, record.position().map_or(at, |p| p.byte() as usize))
            }
            Ok(false) => {
                bad(
                    problems,
                    ProblemKind::BadHeader,
                    1,
                    format!("expected a header row: {}", columns.names.join(",")),
                );
                return None;
            }
            Err(e) => {
                bad(
                    problems,
                    ProblemKind::Syntax,
                    1,
                    format!("unreadable header: {e}"),
                );
                return None;
            }
        }
    };
    let line = 1 + count_lines(&text[..start]);
    // After a `\r\n` header the reader stands on the `\n`: step past it, so the data
    // starts on the next line.
    let mut end = (reader.position().byte() as usize).min(text.len());
    if end > 0 && text.get(end - 1) == Some(&b'\r') && text.get(end) == Some(&b'\n') {
        end += 1;
    }
    if let Some((at, _, message)) = quote_error(&text[start..end]) {
        let at_line = line + count_lines(&text[start..start + at]);
        bad(problems, ProblemKind::Syntax, at_line, message.to_string());
        return None;
    }
    record.trim();
    let map = map_header(&record, columns, line, problems)?;
    let mut fields = vec!["-"; record.len()];
    for (col, field) in map.iter().enumerate() {
        if let Some(i) = *field {
            fields[i] = columns.names[col];
        }
    }
    Some(Header {
        map,
        fields,
        width: record.len(),
        end,
        data_line: 1 + count_lines(&text[..end]),
        max_line,
    })
}

/// The first quoting mistake in the raw bytes of one record, as (byte offset, field
/// index, message): text after a closing quote (`"L"x`), a quote inside an unquoted field
/// (`L"x`, ` "L"`), or a quoted field never closed. The csv crate reads all three leniently
/// (`"L"x` as `Lx`); SPEC §4 allows quoting, not guessing, so each is a located error. A
/// closing quote may be followed by blanks, which trimming removes.
fn quote_error(raw: &[u8]) -> Option<(usize, usize, &'static str)> {
    #[derive(Clone, Copy)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        Closed,
        ClosedBlank,
    }
    let (mut state, mut field, mut opened) = (S::FieldStart, 0usize, 0usize);
    for (i, &b) in raw.iter().enumerate() {
        state = match (state, b) {
            (S::FieldStart, b'"') => {
                opened = i;
                S::Quoted
            }
            (S::Quoted, b'"') => S::Closed,
            (S::Quoted, _) => S::Quoted,
            (S::Closed, b'"') => S::Quoted, // a doubled quote inside the field
            (_, b',') => {
                field += 1;
                S::FieldStart
            }
            (_, b'\n' | b'\r') => S::FieldStart,
            (S::Closed | S::ClosedBlank, b' ' | b'\t') => S::ClosedBlank,
            (S::Closed | S::ClosedBlank, _) => {
                return Some((
                    i,
                    field,
                    "text after the closing quote of a quoted field (quote a field whole, like \"a,b\", or not at all)",
                ))
            }
            (S::Unquoted, b'"') => {
                return Some((
                    i,
                    field,
                    "a quote inside an unquoted field (quote the whole field and double the quotes in it, like \"say \"\"hi\"\"\")",
                ))
            }
            (S::Unquoted | S::FieldStart, _) => S::Unquoted,
        };
    }
    matches!(state, S::Quoted).then_some((opened, field, "a quoted field that is never closed"))
}

/// Parses the data records of `text`, whose first line is line `first_line` of the file.
/// Fields are trimmed on access (`Row::get`): the same result as the csv crate's
/// `Trim::All` without rebuilding every record. False when a record's quoting is broken.
fn records(
    text: &[u8],
    first_line: u64,
    header: &Header,
    columns: &Columns,
    problems: &mut Problems,
    each: &mut dyn FnMut(&Row<'_>, &mut Problems),
) -> bool {
    let mut quoting_ok = true;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let width = header.width;
    // Quoting is checked only where a quote exists: the large tables have none.
    let quoted = memchr::memchr(b'"', text).is_some();
    // The csv crate neither counts the empty lines it skips nor excludes them from a
    // record's start, so lines are counted here: the line breaks before the record's first
    // byte (past any empty lines at its reported start).
    let (mut counted_to, mut line) = (0usize, first_line);
    let mut line_at = |byte: usize| {
        let byte = skip_breaks(text, byte);
        if byte >= counted_to {
            line += count_lines(&text[counted_to..byte]);
            counted_to = byte;
        }
        (line, byte)
    };
    loop {
        if problems.is_full() {
            break;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte() as usize).0);
                problems.add(
                    ProblemKind::Syntax,
                    columns.file,
                    line,
                    "-",
                    format!("unreadable row: {e}"),
                );
                continue;
            }
        }
        let (line, start) = record
            .position()
            .map_or((0, 0), |p| line_at(p.byte() as usize));
        // A line of only blanks reads as one blank field: skip it like an empty line.
        if record.len() == 1 && record[0].trim().is_empty() && width > 1 {
            continue;
        }
        if line > header.max_line {
            // One problem for the file: the rest is beyond what a run can hold exactly.
            problems.add(
                ProblemKind::Limit,
                columns.file,
                line,
                "-",
                format!(
                    "row beyond line {}: a table holds at most {} lines of rows (docs/limits.md)",
                    header.max_line,
                    header.max_line - 1
                ),
            );
            break;
        }
        let mut rejected = false;
        if quoted {
            let end = (reader.position().byte() as usize).clamp(start, text.len());
            if let Some((at, field, message)) = quote_error(&text[start..end]) {
                let at_line = line + count_lines(&text[start..start + at]);
                let column = header.fields.get(field).copied().unwrap_or("-");
                problems.add(ProblemKind::Syntax, columns.file, at_line, column, message);
                rejected = true;
                quoting_ok = false;
            }
        }
        if !rejected && record.len() != width {
            problems.add(
                ProblemKind::Syntax,
                columns.file,
                line,
                "-",
                format!(
                    "expected {width} fields like the header, found {}",
                    record.len()
                ),
            );
            rejected = true;
        }
        let row = Row {
            file: columns.file,
            line,
            record: &record,
            map: &header.map,
            names: columns.names,
            rejected,
        };
        each(&row, problems);
    }
    quoting_ok
}

/// Maps each known column to its field position; reports unknown, duplicate and missing
/// columns. None when the header is unusable.
fn map_header(
    header: &csv::StringRecord,
    columns: &Columns,
    line: u64,
    problems: &mut Problems,
) -> Option<Vec<Option<usize>>> {
    let mut map = vec![None; columns.names.len()];
    let mut ok = true;
    for (i, field) in header.iter().enumerate() {
        match columns.names.iter().position(|n| *n == field) {
            Some(c) if map[c].is_some() => {
                problems.add(
                    ProblemKind::BadHeader,
                    columns.file,
                    line,
                    field,
                    "duplicate column",
                );
                ok = false;
            }
            Some(c) => map[c] = Some(i),
            None => {
                problems.add(
                    ProblemKind::BadHeader,
                    columns.file,
                    line,
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
            problems.add(
                ProblemKind::BadHeader,
                columns.file,
                line,
                req,
                "required column is missing",
            );
            ok = false;
        }
    }
    ok.then_some(map)
}

#[cfg(test)]
mod tests {
    fn source(dir: &tempfile::TempDir) -> Source<'_> {
        Source {
            dir: dir.path(),
            max_line: crate::scenario::MAX_TABLE_LINE,
        }
    }

    /// What [`read_rows`] gives: each row's (line, first field), and the problems.
    fn rows_of(
        chunks: Vec<Vec<(u64, String)>>,
        problems: Problems,
    ) -> (Vec<(u64, String)>, Vec<String>) {
        (
            chunks.into_iter().flatten().collect(),
            problems.into_vec().iter().map(|p| p.to_string()).collect(),
        )
    }

    #[test]
    fn a_streamed_table_gives_the_rows_and_problems_of_a_whole_read() {
        const C: Columns = Columns {
            file: "usage.csv",
            names: &["time", "resource_id", "amount"],
            required: &["time", "resource_id", "amount"],
        };
        let each = |row: &Row<'_>, p: &mut Problems| {
            if row.get(2).starts_with('-') {
                row.problem(p, 2, "negative");
                return None;
            }
            Some((row.line, row.get(0).to_string()))
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = String::from("\u{feff}time,resource_id,amount\r\n\n");
        for i in 0..300 {
            match i % 17 {
                3 => text.push_str(&format!("t{i},r,-1\n")),
                5 => text.push_str(&format!("t{i},r\r\n")),
                7 => text.push_str("\n\n"),
                _ => text.push_str(&format!("t{i},r{i},{i}.5\r\n")),
            }
        }
        std::fs::write(dir.path().join("usage.csv"), &text).expect("write");
        let mut p = Problems::default();
        let whole = rows_of(read_rows(source(&dir), &C, true, &mut p, each), p);
        assert!(!whole.0.is_empty() && !whole.1.is_empty());
        for block in [7, 64, 1000, 1 << 20] {
            let (chunks, found) = stream_rows(source(&dir), &C, &each, block).expect("plain");
            assert_eq!(rows_of(chunks, found), whole, "blocks of {block} bytes");
        }
        // A quote anywhere: not streamed (the whole read decides where records end).
        text.push_str("\"t\",r,1\n");
        std::fs::write(dir.path().join("usage.csv"), &text).expect("write");
        assert!(stream_rows(source(&dir), &C, &each, 64).is_none());
    }

    use super::*;

    #[test]
    fn line_breaks_are_lf_crlf_and_bare_cr() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb\r\nc\rd"), 3);
        assert_eq!(count_lines(b"\r\n\r\n"), 2);
        assert_eq!(count_lines(b"\r\r\n\n"), 3);
        assert_eq!(count_lines(b"a\r"), 1);
    }

    #[test]
    fn quoting_mistakes_are_found_with_their_field() {
        let err = |raw: &str| quote_error(raw.as_bytes()).map(|(at, field, _)| (at, field));
        for ok in [
            "a,b,c\n",
            "\"a\",\"b,c\",\"\"\r\n",
            "\"say \"\"hi\"\"\",x\n",
            "\"a\"  ,b\n",
            "\"line\nbreak\",x\r",
            "",
        ] {
            assert_eq!(err(ok), None, "{ok:?}");
        }
        assert_eq!(err("\"L\"x,e1\n"), Some((3, 0)));
        assert_eq!(err("L,e\"1\n"), Some((3, 1)));
        assert_eq!(err("L, \"e1\"\n"), Some((3, 1)));
        assert_eq!(err("L,\"a\" \"b\"\n"), Some((6, 1)));
        assert_eq!(err("L,x,\"never closed\n"), Some((4, 2)));
    }
}
