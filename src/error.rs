//! Errors. Bad input is a list of located [`Problem`]s, never a panic: the CLI prints them as
//! `file:line: column: message` (SPEC §7) and exits with status 2.
//!
//! A problem is data as well as text: its [`ProblemKind`] says what class of mistake it is,
//! so a program (a test, an editor integration) can act on it without parsing the message.

use std::fmt;
use std::path::PathBuf;

/// How many problems one load reports before it stops looking (SPEC §7: "up to 50").
pub const MAX_PROBLEMS: usize = 50;

/// What class of mistake a [`Problem`] is. The message says the details; the kind is for
/// programs, which must not parse messages.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The scenario path does not exist or is not a directory.
    NotADirectory,
    /// A required file is absent (`file:0: -: file is missing`).
    MissingFile,
    /// A file exists but cannot be read: permissions, a dangling symlink, not a regular file.
    UnreadableFile,
    /// Bytes that are not UTF-8.
    Encoding,
    /// Broken structure: TOML syntax, a malformed quoted field, a row whose field count
    /// differs from the header's.
    Syntax,
    /// A CSV header that is absent or has an unknown, duplicate or missing required column.
    BadHeader,
    /// A key `scenario.toml` does not know.
    UnknownSetting,
    /// A required setting is absent.
    MissingSetting,
    /// A field or setting whose value is malformed or out of its range.
    BadValue,
    /// An id that no row of the table it refers to defines.
    UnknownReference,
    /// An id (or a bill_id) defined twice.
    DuplicateId,
    /// A usage or event time outside the horizon `[start, end)`.
    OutOfHorizon,
    /// Rows whose validity intervals overlap where they must not.
    Overlap,
    /// A value beyond a documented limit of the implementation (digits, horizon, sums).
    Limit,
    /// A warning, not an error: a `*.csv` file in the scenario directory that trustsim does
    /// not read (a misspelled optional table is otherwise silently absent).
    UnknownFile,
}

impl ProblemKind {
    /// True for kinds that do not make a scenario invalid (they are reported, then the load
    /// goes on).
    pub fn is_warning(self) -> bool {
        matches!(self, ProblemKind::UnknownFile)
    }
}

/// One thing wrong with the input, located like a compiler error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// File name inside the scenario directory (`usage.csv`); for
    /// [`ProblemKind::NotADirectory`], the scenario path as given.
    pub file: String,
    /// 1-based line; 0 when the problem is the file as a whole.
    pub line: u64,
    /// The column (or setting) name; `-` when no one column is at fault.
    pub column: String,
    pub message: String,
}

impl Problem {
    /// A problem with its column and message made one short line (see [`Problems::add`]).
    pub fn new(
        kind: ProblemKind,
        file: &str,
        line: u64,
        column: &str,
        message: impl Into<String>,
    ) -> Problem {
        let column = match column {
            "" => "\"\"".to_string(),
            c => one_line(c),
        };
        Problem {
            kind,
            file: file.to_string(),
            line,
            column,
            message: one_line(&message.into()),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A problem's column or message longer than this is cut (with `…`): input can hold
/// megabyte fields, and a problem must stay one readable line.
const MAX_TEXT_CHARS: usize = 200;

/// Makes input-derived text fit on one short line: control characters (a line break in a
/// quoted header name) are escaped, long text is cut.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_CHARS + 8));
    for (n, c) in text.chars().enumerate() {
        if n == MAX_TEXT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Problems gathered while loading, capped at [`MAX_PROBLEMS`] so garbage input stays cheap.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    /// Records a bad value ([`ProblemKind::BadValue`], the common case) at `file:line:
    /// column`.
    pub fn push(&mut self, file: &str, line: u64, column: &str, message: impl Into<String>) {
        self.add(ProblemKind::BadValue, file, line, column, message);
    }

    /// Records a problem of `kind`; beyond [`MAX_PROBLEMS`] it is dropped.
    pub fn add(
        &mut self,
        kind: ProblemKind,
        file: &str,
        line: u64,
        column: &str,
        message: impl Into<String>,
    ) {
        if self.list.len() < MAX_PROBLEMS {
            self.list
                .push(Problem::new(kind, file, line, column, message));
        }
    }

    /// True once the cap is reached: readers stop early instead of scanning on.
    pub fn is_full(&self) -> bool {
        self.list.len() >= MAX_PROBLEMS
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Appends problems found elsewhere (a parallel chunk of the same file), in order, up
    /// to the cap.
    pub fn extend(&mut self, other: Problems) {
        let room = MAX_PROBLEMS.saturating_sub(self.list.len());
        self.list.extend(other.list.into_iter().take(room));
    }

    /// Puts the problems in file and line order: files in `order` (the order the loader
    /// reads them; a file not listed goes last), then by line. Stable, so the problems of one
    /// line keep their column order.
    pub fn sort_by_file(&mut self, order: &[&str]) {
        let rank = |p: &Problem| {
            order
                .iter()
                .position(|f| *f == p.file)
                .unwrap_or(order.len())
        };
        self.list.sort_by_key(|p| (rank(p), p.line));
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }
}

/// Everything the library can fail with. Only the binary turns these into exit codes:
/// `Scenario` and `Io` (reading) 2, `Output` 3.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario is invalid; every problem found, in file order.
    #[error("{}", format_problems(.0))]
    Scenario(Vec<Problem>),
    /// A file or directory could not be read or written. The cause is the `source`, so an
    /// error chain (`{:#}`) names it once.
    #[error("{}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The output could not be written: a refused target (nothing was touched) or a failed
    /// write (the previous output is intact). The CLI exits 3 (SPEC §7).
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}

impl Error {
    /// A file or directory could not be read.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An output file could not be written.
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Output(crate::output::OutputError::io(path, source))
    }
}

fn format_problems(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}
