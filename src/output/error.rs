//! Why an output could not be written: a refused target (nothing was touched) or an I/O
//! failure while writing (the previous output is still in place). The CLI exits 3 for both
//! (SPEC §7).

use super::Kind;
use std::fmt;
use std::path::PathBuf;

/// Everything the output module can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The target holds something trustsim did not write, or is the scenario itself; the
    /// message says what would have been lost and what to do instead.
    #[error("{0}")]
    Refused(Refusal),
    /// A file or directory could not be created, written, synced or renamed. The cause is
    /// the `source`, so an error chain (`{:#}`) names it once.
    #[error("{}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.into(),
            source,
        }
    }
}

/// A target trustsim will not write to, decided before anything is written.
#[derive(Debug)]
pub struct Refusal {
    /// The target as the user named it.
    pub target: PathBuf,
    /// What was being written.
    pub kind: Kind,
    pub reason: Reason,
}

/// What is in the way.
#[derive(Debug)]
pub enum Reason {
    /// Not a directory: a regular file (with its size), a device, a pipe, a socket.
    NotADirectory(String),
    /// A symbolic link whose destination does not exist.
    DanglingLink(PathBuf),
    /// The nearest existing ancestor is not a directory.
    ParentNotADirectory(PathBuf),
    /// A `..` after a directory that does not exist: the path cannot be resolved safely.
    UnresolvablePath,
    /// A directory with entries trustsim did not write (names, directories with a `/`).
    Foreign(Vec<String>),
    /// The scenario directory being read.
    IsScenario,
    /// A directory that contains the scenario directory (shown as named).
    ContainsScenario(PathBuf),
    /// A directory inside the scenario directory.
    InsideScenario(PathBuf),
    /// An entry trustsim did not write has the name of a file it writes.
    Conflict { name: String, what: String },
    /// An entry trustsim did not write could not be carried over to the new directory.
    CannotKeep { name: String, cause: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.target.display();
        let what = match self.kind {
            Kind::Reports => "write reports to",
            Kind::Golden => "bless",
            Kind::Scenario => "write a scenario to",
            Kind::Shard => "write a shard to",
        };
        write!(f, "refusing to {what} {target}: ")?;
        match &self.reason {
            Reason::NotADirectory(it) => write!(f, "it is {it} trustsim did not write")?,
            Reason::DanglingLink(to) => write!(
                f,
                "it is a symbolic link to {}, which does not exist",
                to.display()
            )?,
            Reason::ParentNotADirectory(p) => write!(f, "{} is not a directory", p.display())?,
            Reason::UnresolvablePath => {
                write!(f, "its path goes up (..) out of a directory that does not exist")?
            }
            Reason::Foreign(names) => write!(
                f,
                "it holds {} trustsim did not write ({})",
                count(names),
                sample(names)
            )?,
            Reason::IsScenario => write!(
                f,
                "it is the scenario directory itself, whose files would be lost"
            )?,
            Reason::ContainsScenario(s) => write!(
                f,
                "it contains the scenario directory {}, which would be lost",
                s.display()
            )?,
            Reason::InsideScenario(s) => {
                write!(f, "it lies inside the scenario directory {}", s.display())?
            }
            Reason::Conflict { name, what } => write!(
                f,
                "its {name} is {what} trustsim did not write, where trustsim writes its own {name}"
            )?,
            Reason::CannotKeep { name, cause } => write!(
                f,
                "its {name}, which trustsim did not write, cannot be kept beside the new files ({cause})"
            )?,
        }
        let hint = match (&self.kind, &self.reason) {
            (Kind::Golden, Reason::Conflict { .. } | Reason::CannotKeep { .. }) => {
                "move it out of the directory, then bless again"
            }
            (Kind::Golden, _) => "move it away or point the link elsewhere, then bless again",
            (_, Reason::Conflict { .. } | Reason::CannotKeep { .. }) => {
                "move it away, or choose an empty or new directory with --out"
            }
            _ => "choose an empty or new directory with --out",
        };
        write!(f, "; {hint}")
    }
}

/// "1 file", "2 directories", "3 entries".
fn count(names: &[String]) -> String {
    let dirs = names.iter().filter(|n| n.ends_with('/')).count();
    let n = names.len();
    let noun = match (dirs, n) {
        (0, 1) => "file",
        (0, _) => "files",
        (1, 1) => "directory",
        (d, n) if d == n => "directories",
        (_, 1) => "entry",
        _ => "entries",
    };
    format!("{n} {noun}")
}

/// The first few names, so a message stays one readable line.
fn sample(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(", …");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(kind: Kind, reason: Reason) -> String {
        Refusal {
            target: PathBuf::from("precious"),
            kind,
            reason,
        }
        .to_string()
    }

    #[test]
    fn a_foreign_directory_names_what_would_be_lost_and_what_to_do() {
        assert_eq!(
            refusal(Kind::Reports, Reason::Foreign(vec!["notes.txt".into()])),
            "refusing to write reports to precious: it holds 1 file trustsim did not write \
             (notes.txt); choose an empty or new directory with --out"
        );
        let many: Vec<String> = ["a", "b/", "c", "d", "e", "f"].map(String::from).into();
        assert!(refusal(Kind::Reports, Reason::Foreign(many))
            .contains("it holds 6 entries trustsim did not write (a, b/, c, d, e, …)"));
    }

    #[test]
    fn golden_refusals_say_how_to_bless_again() {
        let text = refusal(
            Kind::Golden,
            Reason::Conflict {
                name: "bills.csv".into(),
                what: "a directory".into(),
            },
        );
        assert!(text.starts_with("refusing to bless precious: its bills.csv is a directory"));
        assert!(text.ends_with("then bless again"), "{text}");
    }
}
