//! Writing the nine reports of SPEC §6, all or nothing: they are written into a fresh
//! temporary directory beside the target, which then replaces the target in one rename, so
//! a failed run never leaves partial output and never touches the previous reports.

mod csv_out;
mod writers;

use crate::engine::outcome::Results;
use crate::error::Error;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The nine report files of SPEC §6; `WRITERS` in `write_reports` follows the same order.
pub const REPORT_FILES: [&str; 9] = [
    "bills.csv",
    "coupon_use.csv",
    "ledger.csv",
    "availability.csv",
    "alerts.csv",
    "invoices.csv",
    "ownership.csv",
    "events.csv",
    "summary.csv",
];

/// One report's writer.
type Writer = fn(&Scenario, &Results, &Path) -> Result<(), Error>;

/// Writes every report into `dir` (which must exist and be empty). The files are written in
/// parallel (`bills.csv` and `ledger.csv` are most of the bytes); the first error in
/// [`REPORT_FILES`] order is returned, whatever the scheduling.
pub fn write_reports(scenario: &Scenario, results: &Results, dir: &Path) -> Result<(), Error> {
    const WRITERS: [Writer; 9] = [
        writers::bills,
        writers::coupon_use,
        writers::ledger,
        writers::availability,
        writers::alerts,
        writers::invoices,
        writers::ownership,
        writers::events,
        writers::summary,
    ];
    let written: Vec<Result<(), Error>> = WRITERS
        .par_iter()
        .map(|write| write(scenario, results, dir))
        .collect();
    written.into_iter().collect()
}

/// Writes the reports to `out` atomically: a temporary sibling directory is filled, then
/// swapped in. On any error the previous `out` is left as it was.
pub fn write_atomically(scenario: &Scenario, results: &Results, out: &Path) -> Result<(), Error> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = out
        .file_name()
        .map_or_else(|| "reports".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-"))
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    write_reports(scenario, results, tmp.path())?;
    // Swap in the finished directory; `TempDir` removes it on any error before that.
    replace_dir(&tmp.keep(), out)
}

/// Puts `new` in place of `target`: the old target is moved aside first and removed only
/// once the new one is in place, so a failure restores it. `new` is removed on failure.
fn replace_dir(new: &Path, target: &Path) -> Result<(), Error> {
    let swapped = swap_in(new, target);
    if swapped.is_err() {
        let _ = std::fs::remove_dir_all(new);
    }
    swapped
}

fn swap_in(new: &Path, target: &Path) -> Result<(), Error> {
    // A temporary directory is private (0700); reports are ordinary files for their readers.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(new, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(new, e))?;
    }
    if !target.exists() {
        return std::fs::rename(new, target).map_err(|e| Error::io(target, e));
    }
    let old = PathBuf::from(format!("{}-old", new.display()));
    std::fs::rename(target, &old).map_err(|e| Error::io(target, e))?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&old, target);
        return Err(Error::io(target, e));
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
