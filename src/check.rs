//! Golden-file checks: run a scenario and compare every report with `<dir>/expected/`.
//!
//! `--bless` rewrites `expected/` from the current output. Bless only output you have read
//! row by row against the SPEC: a golden file is a claim that those rows are right.

use crate::error::Error;
use crate::report::{self, read, schema};
use std::fmt::Write;
use std::path::Path;

/// How many differing lines of one file a failure shows.
const MAX_DIFF_LINES: usize = 40;

/// What a check found for one scenario.
#[derive(Debug)]
pub enum CheckOutcome {
    /// Every report matches its golden file.
    Match,
    /// `expected/` was rewritten.
    Blessed,
    /// Reports differ; the text says which rows.
    Differs(String),
}

/// Runs the scenario in `dir` and compares (or, with `bless`, rewrites) its goldens.
///
/// Blessing replaces only the report files of `expected/` (a symbolic link to it is
/// followed) and keeps everything else there, in one atomic swap (`crate::output`). The
/// comparison writes into a scratch directory that is removed afterwards, on a signal too.
pub fn check(dir: &Path, bless: bool) -> Result<CheckOutcome, Error> {
    let scenario = crate::scenario::load(dir)?;
    let expected = dir.join("expected");
    if bless {
        let target = crate::output::Target::golden(&expected, dir)?;
        let results = crate::simulate(&scenario)?;
        report::publish(&scenario, &results, target)?;
        return Ok(CheckOutcome::Blessed);
    }
    let results = crate::simulate(&scenario)?;
    let actual = crate::output::Scratch::new("check")?;
    report::write_reports(&scenario, &results, actual.path())?;
    compare(&expected, actual.path())
}

/// The legend of every difference [`compare`] shows, printed once above them.
pub const LEGEND: &str = "(- expected, the golden file; + actual, this run)";

/// Compares the report files of `actual` with `expected`: missing, extra and different
/// files all fail. "Extra" is a `*.csv` that is not a report (a report trustsim no longer
/// writes, or a misnamed one); any other entry of `expected/` (notes, a README, a folder)
/// is the analyst's, kept by `--bless` (SPEC §6), and not compared. A different file is shown row by row: how many rows differ, and for a
/// changed row only the cells that changed, by column name.
pub fn compare(expected: &Path, actual: &Path) -> Result<CheckOutcome, Error> {
    let mut text = String::new();
    if !expected.is_dir() {
        let _ = writeln!(
            text,
            "{}: missing (run `trustsim check --bless` after reading the output)",
            expected.display()
        );
        return Ok(CheckOutcome::Differs(text));
    }
    let entries = std::fs::read_dir(expected).map_err(|e| Error::io(expected, e))?;
    let mut extra: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") && schema::by_file(n).is_none())
        .collect();
    extra.sort();
    for name in extra {
        let _ = writeln!(
            text,
            "{}: extra file, not a report",
            expected.join(name).display()
        );
    }
    let mut legend = false;
    for report in schema::ALL {
        let name = report.file;
        let want_path = expected.join(name);
        let got = std::fs::read_to_string(actual.join(name))
            .map_err(|e| Error::io(actual.join(name), e))?;
        let want = match std::fs::read_to_string(&want_path) {
            Ok(w) => w,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = writeln!(text, "{}: missing golden file", want_path.display());
                continue;
            }
            Err(e) => return Err(Error::io(want_path, e)),
        };
        if want != got {
            if !legend {
                let _ = writeln!(text, "{LEGEND}");
                legend = true;
            }
            let diff = table_diff(report, &want, &got);
            let _ = writeln!(text, "{}: {}", want_path.display(), diff.summary());
            text.push_str(&diff.text);
        }
    }
    Ok(if text.is_empty() {
        CheckOutcome::Match
    } else {
        CheckOutcome::Differs(text)
    })
}

/// How two versions of one report differ, row by row.
#[derive(Debug, Default)]
struct TableDiff {
    /// Rows present on both sides with different cells.
    changed: usize,
    /// Rows only in the golden file.
    missing: usize,
    /// Rows only in the actual output.
    extra: usize,
    header: bool,
    /// The rows, capped at [`MAX_DIFF_LINES`] lines.
    text: String,
    lines: usize,
}

impl TableDiff {
    /// `3 rows differ (2 changed, 1 missing)`.
    fn summary(&self) -> String {
        let rows = self.changed + self.missing + self.extra;
        if rows == 0 && !self.header {
            return "differs only in line endings or the final line break".to_string();
        }
        let mut parts = Vec::new();
        if self.header {
            parts.push("the header differs".to_string());
        }
        if rows > 0 {
            let verb = if rows == 1 {
                "row differs"
            } else {
                "rows differ"
            };
            let mut kinds = Vec::new();
            for (n, what) in [
                (self.changed, "changed"),
                (self.missing, "only in expected"),
                (self.extra, "only in actual"),
            ] {
                if n > 0 {
                    kinds.push(format!("{n} {what}"));
                }
            }
            parts.push(format!("{rows} {verb} ({})", kinds.join(", ")));
        }
        parts.join("; ")
    }

    /// Adds one line of text, unless the cap is reached (then says so, once).
    fn line(&mut self, line: std::fmt::Arguments<'_>) {
        if self.lines < MAX_DIFF_LINES {
            let _ = writeln!(self.text, "{line}");
        } else if self.lines == MAX_DIFF_LINES {
            self.text.push_str("    … more differences not shown\n");
        }
        self.lines += 1;
    }

    /// A row present on one side only, shown whole.
    fn whole(&mut self, sign: char, line: usize, row: &str) {
        let side = if sign == '-' {
            "only in expected"
        } else {
            "only in actual"
        };
        self.line(format_args!("  {sign} line {line} ({side}): {row}"));
    }
}

/// The row-by-row difference of two versions of `report` (`-` expected, `+` actual; see
/// [`LEGEND`]). Rows are aligned by a line diff; a changed row (one replaced by one at the
/// same place) shows only its changed cells under their schema column names, named by the
/// row's first cell, e.g.
///
/// ```text
///   line 2 (bill_id r1@2026-03-01T00:00:00+08:00)
///     payer_id  - L
///               + M
/// ```
fn table_diff(report: &schema::Schema, want: &str, got: &str) -> TableDiff {
    let want: Vec<&str> = want.lines().collect();
    let got: Vec<&str> = got.lines().collect();
    let mut d = TableDiff::default();
    let (want_header, got_header) = (want.first().copied(), got.first().copied());
    // Cells are named by the schema's columns only when both sides have the same header
    // (an older golden with other columns is shown line by line).
    let columns: Option<Vec<&str>> = if want_header == got_header {
        Some(report.names().collect())
    } else {
        d.header = true;
        d.line(format_args!(
            "  - line 1 (header): {}",
            want_header.unwrap_or("")
        ));
        d.line(format_args!(
            "  + line 1 (header): {}",
            got_header.unwrap_or("")
        ));
        None
    };
    let (want_rows, got_rows) = (want.get(1..).unwrap_or(&[]), got.get(1..).unwrap_or(&[]));
    // Rows are numbered as lines of the file: the header is line 1.
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, want_rows, got_rows);
    for op in ops {
        let (old, old_len, new, new_len) = match op {
            similar::DiffOp::Equal { .. } => continue,
            similar::DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index, old_len, new_index, 0),
            similar::DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, 0, new_index, new_len),
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, old_len, new_index, new_len),
        };
        let pairs = old_len.min(new_len);
        for k in 0..pairs {
            d.changed += 1;
            changed_row(
                &mut d,
                columns.as_deref(),
                (old + k + 2, want_rows[old + k]),
                (new + k + 2, got_rows[new + k]),
            );
        }
        for k in pairs..old_len {
            d.missing += 1;
            d.whole('-', old + k + 2, want_rows[old + k]);
        }
        for k in pairs..new_len {
            d.extra += 1;
            d.whole('+', new + k + 2, got_rows[new + k]);
        }
    }
    d
}

/// One row changed in place: its changed cells by column, or both lines whole when the
/// row cannot be split like the header.
fn changed_row(
    d: &mut TableDiff,
    columns: Option<&[&str]>,
    (want_line, want): (usize, &str),
    (got_line, got): (usize, &str),
) {
    let split = columns
        .zip(read::split_line(want))
        .zip(read::split_line(got));
    let Some(((columns, w), g)) =
        split.filter(|((c, w), g)| w.len() == c.len() && g.len() == c.len())
    else {
        d.line(format_args!("  - line {want_line}: {want}"));
        d.line(format_args!("  + line {got_line}: {got}"));
        return;
    };
    let at = if want_line == got_line {
        format!("line {want_line}")
    } else {
        format!("line {want_line} (line {got_line} in actual)")
    };
    let key = if w[0] == g[0] {
        format!(" ({} {})", columns[0], w[0])
    } else {
        String::new()
    };
    d.line(format_args!("  {at}{key}"));
    let changed: Vec<usize> = (0..columns.len()).filter(|&i| w[i] != g[i]).collect();
    let width = changed.iter().map(|&i| columns[i].len()).max().unwrap_or(0);
    for i in changed {
        d.line(format_args!("    {:width$}  - {}", columns[i], w[i]));
        d.line(format_args!("    {:width$}  + {}", "", g[i]));
    }
}
