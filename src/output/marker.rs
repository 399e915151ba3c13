//! The marker files trustsim leaves in what it writes, and the staging journal.
//!
//! A report directory holds `.trustsim-reports`, a generated scenario `.trustsim-scenario`:
//! a format line (`trustsim-reports 1`), then the name of every file trustsim wrote there,
//! one a line, in byte order. The marker is the claim "these files are trustsim's": the next
//! write replaces them and keeps every other entry. A directory under construction holds
//! `.trustsim-staging` instead: the same format line, then each file's name appended *before*
//! the file is created, so whatever a killed write left can be told apart from what it did
//! not write. The journal never reaches a published directory.

use super::Kind;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

/// The marker of a report directory.
pub const REPORTS: &str = ".trustsim-reports";
/// The marker of a generated scenario.
pub const SCENARIO: &str = ".trustsim-scenario";
/// The marker of a shard directory (SPEC §10.9).
pub const SHARD: &str = ".trustsim-shard";
/// The journal of a directory being written.
pub const JOURNAL: &str = ".trustsim-staging";

/// The format version written on the first line of each marker.
const VERSION: u32 = 1;

/// A marker is a list of names; more than this is not one of ours.
const MAX_MARKER_BYTES: u64 = 1 << 20;

/// The format line's word for each marker file.
fn word(file: &str) -> &'static str {
    match file {
        REPORTS => "trustsim-reports",
        SCENARIO => "trustsim-scenario",
        SHARD => "trustsim-shard",
        _ => "trustsim-staging",
    }
}

/// The marker a kind of output carries (a golden `expected/` carries none: SPEC §6 lets it
/// hold only reports and the analyst's own files, and old goldens have no marker).
pub fn for_kind(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Reports => Some(REPORTS),
        Kind::Scenario => Some(SCENARIO),
        Kind::Shard => Some(SHARD),
        Kind::Golden => None,
    }
}

/// True for the names of trustsim's own bookkeeping files.
pub fn is_bookkeeping(name: &str) -> bool {
    matches!(name, REPORTS | SCENARIO | SHARD | JOURNAL)
}

/// The text of marker `file` listing `names`.
pub fn text(file: &str, names: &[String]) -> String {
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut out = format!("{} {VERSION}\n", word(file));
    for n in sorted {
        out.push_str(n);
        out.push('\n');
    }
    out
}

/// The names listed in `dir/file`, or `None` when there is no such marker (absent, not a
/// regular file, too large, or without the format line). Only plain file names count.
pub fn read(dir: &Path, file: &str) -> Option<BTreeSet<OsString>> {
    let path = dir.join(file);
    let md = std::fs::symlink_metadata(&path).ok()?;
    if !md.is_file() || md.len() > MAX_MARKER_BYTES {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_MARKER_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let mut lines = text.lines();
    let head = lines.next()?;
    let version = head.strip_prefix(word(file))?.strip_prefix(' ')?;
    version.parse::<u32>().ok()?;
    Some(
        lines
            .filter(|n| !n.is_empty() && !n.contains('/') && *n != "." && *n != "..")
            .map(OsString::from)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_lists_its_names_sorted_once_under_a_format_line() {
        let names = ["ledger.csv", "bills.csv", "ledger.csv"].map(String::from);
        assert_eq!(
            text(REPORTS, &names),
            "trustsim-reports 1\nbills.csv\nledger.csv\n"
        );
    }

    #[test]
    fn only_a_file_with_the_format_line_is_a_marker() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(read(dir.path(), REPORTS), None);
        std::fs::write(dir.path().join(REPORTS), "bills.csv\n").expect("write");
        assert_eq!(read(dir.path(), REPORTS), None, "no format line");
        std::fs::write(
            dir.path().join(REPORTS),
            "trustsim-reports 1\nbills.csv\n../escape\n\nsub/x\n",
        )
        .expect("write");
        let names = read(dir.path(), REPORTS).expect("a marker");
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["bills.csv"]);
        // A scenario's marker is not a report directory's.
        assert_eq!(read(dir.path(), SCENARIO), None);
    }
}
