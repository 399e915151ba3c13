//! Errors. Bad input is a list of located [`Problem`]s, never a panic: the CLI prints them as
//! `file:line: column: message` (SPEC §7) and exits with status 2.

use std::fmt;
use std::path::PathBuf;

/// How many problems one load reports before it stops looking (SPEC §7: "up to 50").
pub const MAX_PROBLEMS: usize = 50;

/// One thing wrong with the input, located like a compiler error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// File name inside the scenario directory (`usage.csv`).
    pub file: String,
    /// 1-based line; 0 when the problem is the file as a whole.
    pub line: u64,
    /// The column (or setting) name; `-` when no one column is at fault.
    pub column: String,
    pub message: String,
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
    pub fn push(&mut self, file: &str, line: u64, column: &str, message: impl Into<String>) {
        if self.list.len() < MAX_PROBLEMS {
            let column = match column {
                "" => "\"\"".to_string(),
                c => one_line(c),
            };
            self.list.push(Problem {
                file: file.to_string(),
                line,
                column,
                message: one_line(&message.into()),
            });
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
