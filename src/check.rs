//! Golden-file checks: run a scenario and compare every report with `<dir>/expected/`.
//!
//! `--bless` rewrites `expected/` from the current output. Bless only output you have read
//! row by row against the SPEC: a golden file is a claim that those rows are right.

use crate::error::Error;
use crate::report::{self, REPORT_FILES};
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

/// Compares the report files of `actual` with `expected`: missing, extra and different
/// files all fail, with a line diff of each difference.
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
        .filter(|n| !REPORT_FILES.contains(&n.as_str()))
        .collect();
    extra.sort();
    for name in extra {
        let _ = writeln!(
            text,
            "{}: extra file, not a report",
            expected.join(name).display()
        );
    }
    for name in REPORT_FILES {
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
            let _ = writeln!(text, "{}: differs", want_path.display());
            text.push_str(&line_diff(&want, &got));
        }
    }
    Ok(if text.is_empty() {
        CheckOutcome::Match
    } else {
        CheckOutcome::Differs(text)
    })
}

/// A unified line diff (`-` expected, `+` actual) with line numbers, capped.
fn line_diff(want: &str, got: &str) -> String {
    let diff = similar::TextDiff::from_lines(want, got);
    let mut out = String::new();
    let mut shown = 0;
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            let (sign, line) = match change.tag() {
                similar::ChangeTag::Equal => continue,
                similar::ChangeTag::Delete => ('-', change.old_index()),
                similar::ChangeTag::Insert => ('+', change.new_index()),
            };
            if shown == MAX_DIFF_LINES {
                out.push_str("    … more differences not shown\n");
                return out;
            }
            shown += 1;
            let _ = write!(
                out,
                "  {sign} line {:>5}: {}",
                line.map_or(0, |l| l + 1),
                change.value()
            );
            if change.missing_newline() {
                out.push('\n');
            }
        }
    }
    out
}
