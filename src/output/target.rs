//! The decision: may trustsim write to this target, and which of its entries are trustsim's?
//!
//! A target is resolved to a canonical path first (a symbolic link is followed, never
//! replaced; a target that does not exist yet is its nearest existing ancestor,
//! canonicalized, plus the missing names), so that "the scenario directory, an ancestor of
//! it, or a directory inside it" is decided on real paths, not on spellings. Then what is
//! there is classified:
//!
//! | there is | reports, scenario | golden `expected/` |
//! |---|---|---|
//! | nothing | written | written |
//! | a file, device, pipe, socket | refused | refused |
//! | an empty directory | replaced (it holds nothing to lose) | replaced |
//! | a directory with trustsim's marker | the files the marker lists are replaced; every other entry is kept | — |
//! | a directory without a marker | refused, unless it is what an older trustsim wrote (below) | the report files are replaced; every other entry is kept |
//!
//! Older trustsim wrote no marker: a directory holding all nine report files is taken as a
//! report directory, and one whose `scenario.toml` says it was generated (its description is
//! a `trustsim generate` command line) as a generated scenario; their other entries are kept.

use super::error::{OutputError, Reason, Refusal};
use super::{marker, Kind};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

/// What is at a target now.
#[derive(Debug)]
pub enum State {
    Absent,
    Dir(Contents),
}

/// A target directory's entries, split into trustsim's and everybody else's.
#[derive(Debug, Default)]
pub struct Contents {
    /// Regular files trustsim wrote: replaced by the next write.
    pub owned: Vec<OsString>,
    /// Everything else: kept across the next write.
    pub foreign: Vec<OsString>,
    /// The directory's permission bits, owner and group, given to its replacement.
    pub mode: u32,
    pub owner: Option<(u32, u32)>,
}

fn refuse(kind: Kind, shown: &Path, reason: Reason) -> OutputError {
    OutputError::Refused(Refusal {
        target: shown.to_path_buf(),
        kind,
        reason,
    })
}

/// The canonical path `shown` names: symbolic links followed; for a target that does not
/// exist, its nearest existing ancestor canonicalized and the missing names appended.
pub fn resolve(kind: Kind, shown: &Path) -> Result<PathBuf, OutputError> {
    let io = |e| OutputError::io(shown, e);
    match std::fs::symlink_metadata(shown) {
        Ok(md) if md.file_type().is_symlink() => match std::fs::canonicalize(shown) {
            Ok(real) => Ok(real),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let to = std::fs::read_link(shown).map_err(io)?;
                Err(refuse(kind, shown, Reason::DanglingLink(to)))
            }
            Err(e) => Err(io(e)),
        },
        Ok(_) => std::fs::canonicalize(shown).map_err(io),
        Err(e) if missing(&e) => resolve_missing(kind, shown),
        Err(e) => Err(io(e)),
    }
}

/// Not there, or a parent on the way is not a directory.
fn missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn resolve_missing(kind: Kind, shown: &Path) -> Result<PathBuf, OutputError> {
    let absolute = std::path::absolute(shown).map_err(|e| OutputError::io(shown, e))?;
    let mut tail: Vec<&std::ffi::OsStr> = Vec::new();
    let mut at = absolute.as_path();
    loop {
        match std::fs::metadata(at) {
            Ok(md) if md.is_dir() => break,
            Ok(_) => {
                return Err(refuse(
                    kind,
                    shown,
                    Reason::ParentNotADirectory(at.to_path_buf()),
                ))
            }
            Err(e) if missing(&e) => {}
            Err(e) => return Err(OutputError::io(at, e)),
        }
        // A name that is not there; `..` after it cannot be resolved without creating it.
        let (Some(name), Some(parent)) = (at.file_name(), at.parent()) else {
            return Err(refuse(kind, shown, Reason::UnresolvablePath));
        };
        tail.push(name);
        at = parent;
    }
    let mut real = std::fs::canonicalize(at).map_err(|e| OutputError::io(at, e))?;
    for name in tail.iter().rev() {
        real.push(name);
    }
    Ok(real)
}

/// Refuses the scenario directory itself and its ancestors, and (except for its golden
/// `expected/`, which lives there) any directory inside it.
pub fn check_scenario(
    kind: Kind,
    shown: &Path,
    real: &Path,
    scenario: &Path,
) -> Result<(), OutputError> {
    let s = std::fs::canonicalize(scenario).map_err(|e| OutputError::io(scenario, e))?;
    let reason = if real == s {
        Reason::IsScenario
    } else if s.starts_with(real) {
        Reason::ContainsScenario(scenario.to_path_buf())
    } else if kind != Kind::Golden && real.starts_with(&s) {
        Reason::InsideScenario(scenario.to_path_buf())
    } else {
        return Ok(());
    };
    Err(refuse(kind, shown, reason))
}

/// What an entry is, for messages: "a regular file (12 bytes)", "a directory".
pub fn describe(md: &Metadata) -> String {
    use std::os::unix::fs::FileTypeExt;
    let t = md.file_type();
    if t.is_dir() {
        "a directory".into()
    } else if t.is_symlink() {
        "a symbolic link".into()
    } else if t.is_block_device() {
        "a block device".into()
    } else if t.is_char_device() {
        "a character device".into()
    } else if t.is_fifo() {
        "a named pipe".into()
    } else if t.is_socket() {
        "a socket".into()
    } else {
        let n = md.len();
        format!("a regular file ({n} byte{})", if n == 1 { "" } else { "s" })
    }
}

/// Classifies what is at `real` for a write of `kind`; refuses what must not be touched.
pub fn inspect(kind: Kind, shown: &Path, real: &Path) -> Result<State, OutputError> {
    use std::os::unix::fs::MetadataExt;
    let io = |e| OutputError::io(shown, e);
    let md = match std::fs::metadata(real) {
        Ok(md) => md,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Absent),
        Err(e) => return Err(io(e)),
    };
    if !md.is_dir() {
        return Err(refuse(kind, shown, Reason::NotADirectory(describe(&md))));
    }
    let mut entries: Vec<(OsString, Metadata)> = Vec::new();
    for entry in std::fs::read_dir(real).map_err(io)? {
        let entry = entry.map_err(io)?;
        let meta = std::fs::symlink_metadata(entry.path()).map_err(io)?;
        entries.push((entry.file_name(), meta));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut contents = Contents {
        mode: md.mode() & 0o7777,
        owner: Some((md.uid(), md.gid())),
        ..Contents::default()
    };
    let Some(claimed) = claimed(kind, real, &entries) else {
        let names = entries
            .iter()
            .map(|(n, m)| shown_name(n, m))
            .collect::<Vec<_>>();
        return Err(refuse(kind, shown, Reason::Foreign(names)));
    };
    for (name, meta) in entries {
        if meta.is_file() && claimed.contains(&name) {
            contents.owned.push(name);
        } else {
            contents.foreign.push(name);
        }
    }
    Ok(State::Dir(contents))
}

/// The names trustsim may replace in a directory, or `None` when the directory is not one
/// trustsim writes into (a foreign, non-empty directory).
fn claimed(
    kind: Kind,
    real: &Path,
    entries: &[(OsString, Metadata)],
) -> Option<BTreeSet<OsString>> {
    let bookkeeping = [
        marker::REPORTS,
        marker::SCENARIO,
        marker::SHARD,
        marker::JOURNAL,
    ]
    .map(OsString::from);
    let known = |names: &[&str]| -> BTreeSet<OsString> {
        names
            .iter()
            .map(OsString::from)
            .chain(bookkeeping.iter().cloned())
            .collect()
    };
    if entries.is_empty() {
        return Some(BTreeSet::new());
    }
    if let Some(file) = marker::for_kind(kind) {
        if let Some(mut listed) = marker::read(real, file) {
            listed.extend(bookkeeping.iter().cloned());
            return Some(listed);
        }
    }
    let has_file = |name: &str| entries.iter().any(|(n, m)| n == name && m.is_file());
    match kind {
        Kind::Golden => Some(known(&crate::report::REPORT_FILES)),
        Kind::Reports if crate::report::REPORT_FILES.iter().all(|f| has_file(f)) => {
            Some(known(&crate::report::REPORT_FILES))
        }
        Kind::Scenario if has_file("scenario.toml") && generated_settings(real) => {
            Some(known(&crate::generate::FILES))
        }
        Kind::Reports | Kind::Scenario | Kind::Shard => None,
    }
}

/// True when `scenario.toml` is one `trustsim generate` wrote: its description is the
/// command line that regenerates it.
fn generated_settings(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("scenario.toml")) else {
        return false;
    };
    text.lines()
        .any(|l| l.starts_with("description = \"trustsim generate "))
}

/// An entry's name for a message: directories end in `/`.
fn shown_name(name: &OsString, md: &Metadata) -> String {
    let mut n = name.to_string_lossy().into_owned();
    if md.is_dir() {
        n.push('/');
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(kind: Kind, path: &Path) -> String {
        match inspect(kind, path, path) {
            Err(OutputError::Refused(r)) => format!("{:?}", r.reason),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_target_resolves_through_its_nearest_existing_ancestor() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = std::fs::canonicalize(dir.path()).expect("canonical");
        let target = dir.path().join("a/b/c");
        assert_eq!(
            resolve(Kind::Reports, &target).expect("resolves"),
            real.join("a/b/c")
        );
        std::fs::write(dir.path().join("file"), "x").expect("write");
        let under_file = dir.path().join("file/out");
        assert!(matches!(
            resolve(Kind::Reports, &under_file),
            Err(OutputError::Refused(Refusal {
                reason: Reason::ParentNotADirectory(_),
                ..
            }))
        ));
        assert!(matches!(
            resolve(Kind::Reports, &dir.path().join("missing/../x")),
            Err(OutputError::Refused(Refusal {
                reason: Reason::UnresolvablePath,
                ..
            }))
        ));
    }

    #[test]
    fn the_scenario_its_ancestors_and_its_insides_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = dir.path().join("s");
        std::fs::create_dir(&s).expect("mkdir");
        let real = |p: &Path| resolve(Kind::Reports, p).expect("resolves");
        for (target, kind, refused) in [
            (s.clone(), Kind::Reports, true),
            (dir.path().to_path_buf(), Kind::Reports, true),
            (s.join("out"), Kind::Reports, true),
            (s.join("expected"), Kind::Golden, false),
            (s.clone(), Kind::Golden, true),
            (dir.path().join("out"), Kind::Reports, false),
        ] {
            let got = check_scenario(kind, &target, &real(&target), &s);
            assert_eq!(got.is_err(), refused, "{target:?} {kind:?}: {got:?}");
        }
    }

    #[test]
    fn directories_are_classified_by_marker_legacy_shape_or_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert!(matches!(inspect(Kind::Reports, d, d), Ok(State::Dir(c)) if c.owned.is_empty()));
        std::fs::write(d.join("notes.txt"), "x").expect("write");
        assert!(reasons(Kind::Reports, d).contains("Foreign([\"notes.txt\"])"));
        assert!(reasons(Kind::Scenario, d).contains("Foreign"));
        // The golden case: reports replaced, anything else kept.
        std::fs::write(d.join("bills.csv"), "x").expect("write");
        let Ok(State::Dir(c)) = inspect(Kind::Golden, d, d) else {
            panic!("golden accepted")
        };
        assert_eq!(
            (c.owned, c.foreign),
            (vec!["bills.csv".into()], vec!["notes.txt".into()])
        );
        // A marker makes the directory trustsim's; what it does not list is kept.
        std::fs::write(d.join(marker::REPORTS), "trustsim-reports 1\nbills.csv\n").expect("w");
        let Ok(State::Dir(c)) = inspect(Kind::Reports, d, d) else {
            panic!("marked directory accepted")
        };
        assert_eq!(c.foreign, vec![OsString::from("notes.txt")]);
        assert_eq!(c.owned.len(), 2, "bills.csv and the marker");
        // A file is never a directory to write into.
        assert!(reasons(Kind::Reports, &d.join("notes.txt")).contains("NotADirectory"));
    }
}
