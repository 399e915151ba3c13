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

/// Problems gathered while loading, capped at [`MAX_PROBLEMS`] so garbage input stays cheap.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, file: &str, line: u64, column: &str, message: impl Into<String>) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                file: file.to_string(),
                line,
                column: column.to_string(),
                message: message.into(),
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

    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }
}

/// Everything the library can fail with. Only the binary turns these into exit codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario is invalid; every problem found, in file order.
    #[error("{}", format_problems(.0))]
    Scenario(Vec<Problem>),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Golden comparison found differences (`trustsim check`).
    #[error("{0}")]
    Mismatch(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

fn format_problems(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}
