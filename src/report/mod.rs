//! Writing the nine reports of SPEC §6, all or nothing: they are written into a fresh
//! temporary directory beside the target, which then replaces the target in one rename, so
//! a failed run never leaves partial output and never touches the previous reports.

mod csv_out;
mod writers;

use crate::engine::outcome::Results;
use crate::error::Error;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// The report files, in the order they are written.
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

/// Writes every report into `dir` (which must exist and be empty).
pub fn write_reports(scenario: &Scenario, results: &Results, dir: &Path) -> Result<(), Error> {
    writers::bills(scenario, results, dir)?;
    writers::coupon_use(scenario, results, dir)?;
    writers::ledger(scenario, results, dir)?;
    writers::availability(scenario, results, dir)?;
    writers::alerts(scenario, results, dir)?;
    writers::invoices(scenario, results, dir)?;
    writers::ownership(scenario, results, dir)?;
    writers::events(scenario, results, dir)?;
    writers::summary(scenario, results, dir)?;
    Ok(())
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
    let tmp = tempdir_in(&parent, &format!(".{name}.tmp"))?;
    if let Err(e) = write_reports(scenario, results, &tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    replace_dir(&tmp, out)
}

/// Creates a fresh, uniquely named directory in `parent`.
fn tempdir_in(parent: &Path, prefix: &str) -> Result<PathBuf, Error> {
    for n in 0..1000u32 {
        let p = parent.join(format!("{prefix}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Err(Error::io(
        parent,
        std::io::Error::other("could not create a temporary directory"),
    ))
}

/// Puts `new` in place of `target`: the old target is moved aside first and removed only
/// once the new one is in place, so a failure restores it.
fn replace_dir(new: &Path, target: &Path) -> Result<(), Error> {
    if target.exists() {
        let old = new.with_extension("old");
        std::fs::rename(target, &old).map_err(|e| Error::io(target, e))?;
        if let Err(e) = std::fs::rename(new, target) {
            let _ = std::fs::rename(&old, target);
            let _ = std::fs::remove_dir_all(new);
            return Err(Error::io(target, e));
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    } else {
        std::fs::rename(new, target).map_err(|e| {
            let _ = std::fs::remove_dir_all(new);
            Error::io(target, e)
        })
    }
}
