//! Every file trustsim writes goes through here: the output contract of SPEC §6 and §7.
//!
//! **trustsim never deletes or replaces what it did not write.** A write is three steps,
//! each its own type, so a writer cannot skip one:
//!
//! 1. [`Target`] — the decision, before anything is written: the target must be absent, an
//!    empty directory, or a directory trustsim wrote (it carries a marker, `marker.rs`). A
//!    file, a device, a foreign directory, the scenario directory, any directory containing
//!    it or inside it are refused with [`OutputError::Refused`], whose message says what
//!    would have been lost and what to do instead. Paths are compared canonicalized; a
//!    symbolic link is followed (the link itself is never replaced). See `target.rs`.
//! 2. [`Target::stage`] — sweeps what interrupted writes to the same target left behind
//!    (`sweep.rs`), then makes a temporary directory beside the target, registered so that
//!    SIGINT/SIGTERM/SIGHUP remove it (`registry.rs`). Writers create every file in it with
//!    [`create`] (never through a symbolic link; each name journaled first).
//! 3. [`Staged::publish`] — keeps every entry of the old target that trustsim did not write
//!    (hard links, `keep.rs`), writes the marker, fsyncs every file and directory, swaps the
//!    new directory in with one atomic exchange, fsyncs the parent, and removes the old
//!    directory as far as it is trustsim's (`swap.rs`). Dropping a [`Staged`] instead
//!    removes the temporary: a failed write leaves the previous output as it was.
//!
//! Whatever kills the process, the target holds the previous complete output or the new
//! complete one, and the next write to it removes the leftovers.
//!
//! ```no_run
//! # fn main() -> Result<(), trustsim::output::OutputError> {
//! use std::io::Write;
//! use trustsim::output::{create, Target};
//! let target = Target::reports("output/demo".as_ref(), Some("scenarios/demo".as_ref()))?;
//! let staged = target.stage()?;
//! let mut file = create(staged.dir(), "report.html")?;
//! file.write_all(b"<!doctype html>").map_err(|e| trustsim::output::OutputError::io("report.html", e))?;
//! staged.publish()?;
//! # Ok(()) }
//! ```
//!
//! A new kind of output (shard directories, say) adds a [`Kind`] with its marker and the
//! names it writes; a new report file needs only to be created with [`create`] in the same
//! staging directory (and its name added to `report::REPORT_FILES` if `check` compares it).
//! `check`'s scratch directory is a [`Scratch`]: registered and removed the same way.

mod error;
mod file;
mod keep;
mod marker;
mod registry;
mod swap;
mod sweep;
mod target;

pub use error::{OutputError, Reason, Refusal};
pub use file::write_file;
pub use marker::{REPORTS as REPORTS_MARKER, SCENARIO as SCENARIO_MARKER, SHARD as SHARD_MARKER};
pub use registry::cleanup_on_signals;

use rayon::prelude::*;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use target::State;

/// What is being written; it decides which directories may be written into (`target.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A run's report directory, marked `.trustsim-reports`.
    Reports,
    /// A scenario's `expected/` golden directory: only report files are replaced.
    Golden,
    /// A generated scenario, marked `.trustsim-scenario`.
    Scenario,
    /// A shard of a run (SPEC §10.9), marked `.trustsim-shard`: partial reports that only
    /// `trustsim merge` reads.
    Shard,
}

/// A target trustsim has decided it may write to. Nothing has been written yet.
#[derive(Debug)]
pub struct Target {
    kind: Kind,
    /// As the user named it, for messages.
    shown: PathBuf,
    /// Canonical (see `target::resolve`).
    real: PathBuf,
}

/// Permissions of a directory trustsim creates where there was none.
const NEW_DIR_MODE: u32 = 0o755;

impl Target {
    /// A report directory for the scenario in `scenario` (when known, its directory, its
    /// ancestors and everything inside it are refused).
    pub fn reports(out: &Path, scenario: Option<&Path>) -> Result<Target, OutputError> {
        Target::decide(Kind::Reports, out, scenario)
    }

    /// The golden directory `expected` of the scenario in `scenario`.
    pub fn golden(expected: &Path, scenario: &Path) -> Result<Target, OutputError> {
        Target::decide(Kind::Golden, expected, Some(scenario))
    }

    /// A shard directory of the scenario in `scenario` (SPEC §10.9).
    pub fn shard(out: &Path, scenario: Option<&Path>) -> Result<Target, OutputError> {
        Target::decide(Kind::Shard, out, scenario)
    }

    /// The directory of a generated scenario.
    pub fn scenario(out: &Path) -> Result<Target, OutputError> {
        Target::decide(Kind::Scenario, out, None)
    }

    fn decide(kind: Kind, shown: &Path, scenario: Option<&Path>) -> Result<Target, OutputError> {
        let real = target::resolve(kind, shown)?;
        if let Some(s) = scenario {
            target::check_scenario(kind, shown, &real, s)?;
        }
        target::inspect(kind, shown, &real)?;
        Ok(Target {
            kind,
            shown: shown.to_path_buf(),
            real,
        })
    }

    /// The target as the user named it.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    fn parent_and_stem(&self) -> Result<(PathBuf, String), OutputError> {
        match (self.real.parent(), self.real.file_name()) {
            (Some(parent), Some(name)) => Ok((
                parent.to_path_buf(),
                sweep::stem_for(&name.to_string_lossy()),
            )),
            _ => Err(OutputError::Refused(Refusal {
                target: self.shown.clone(),
                kind: self.kind,
                reason: Reason::UnresolvablePath,
            })),
        }
    }

    /// Sweeps stale temporaries of this target, then makes the staging directory.
    pub fn stage(self) -> Result<Staged, OutputError> {
        let (parent, stem) = self.parent_and_stem()?;
        std::fs::create_dir_all(&parent).map_err(|e| OutputError::io(&parent, e))?;
        sweep::sweep(&parent, &stem, Some(&self.real));
        let (dir, ticket) = registry::register(|| make_temp(&parent, &stem), Some(&self.real))?;
        let staged = Staged {
            target: self,
            dir,
            stem,
            ticket: Some(ticket),
        };
        let journal = staged.dir.join(marker::JOURNAL);
        write_new(&journal, marker::text(marker::JOURNAL, &[]).as_bytes())?;
        Ok(staged)
    }
}

/// A staging directory being filled; [`Staged::publish`] swaps it in, dropping removes it.
#[derive(Debug)]
pub struct Staged {
    target: Target,
    dir: PathBuf,
    stem: String,
    ticket: Option<registry::Ticket>,
}

impl Staged {
    /// Where the writers create their files, with [`create`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes the staged files the target's, atomically and durably; returns the target as
    /// the user named it. On error the previous target is as it was.
    pub fn publish(mut self) -> Result<PathBuf, OutputError> {
        let written = self.written()?;
        // Twice at most: a target that appears between the decision and the swap is
        // inspected again.
        for _ in 0..2 {
            let state = target::inspect(self.target.kind, &self.target.shown, &self.target.real)?;
            let exists = matches!(state, State::Dir(_));
            let made = self.prepare(&written, state)?;
            self.sync(&written, &made)?;
            let aside = sweep::aside_path(&self.dir, &self.stem);
            let (real, dir) = (&self.target.real, &self.dir);
            let ticket = self
                .ticket
                .as_ref()
                .ok_or_else(|| OutputError::io(dir, std::io::Error::other("published twice")))?;
            let swapped = registry::critical(ticket, || {
                let r = swap::put_in_place(dir, real, exists, &aside);
                let now_at = match &r {
                    Ok(swap::Swapped::Renamed) => None,
                    Ok(swap::Swapped::TwoRenames(old)) => Some(old.clone()),
                    Ok(swap::Swapped::Exchanged) | Err(_) => Some(dir.clone()),
                };
                (r, now_at)
            });
            let old = match swapped {
                Ok(swap::Swapped::Renamed) => None,
                Ok(swap::Swapped::Exchanged) => Some(self.dir.clone()),
                Ok(swap::Swapped::TwoRenames(old)) => Some(old),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(OutputError::io(&self.target.shown, e)),
            };
            let parent = real.parent().unwrap_or(real);
            let synced = swap::sync(parent).map_err(|e| OutputError::io(parent, e));
            if let Some(ticket) = self.ticket.take() {
                match old {
                    Some(_) => registry::clean(ticket),
                    None => registry::release(ticket),
                }
            }
            synced?;
            return Ok(self.target.shown.clone());
        }
        Err(OutputError::io(
            &self.target.shown,
            std::io::Error::other("the target keeps changing while being written"),
        ))
    }

    /// The names the writers created (every entry but the journal), in byte order; only
    /// regular files.
    fn written(&self) -> Result<Vec<String>, OutputError> {
        let io = |e| OutputError::io(&self.dir, e);
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if marker::is_bookkeeping(&name) {
                continue;
            }
            if !entry.file_type().map_err(io)?.is_file() {
                return Err(OutputError::io(
                    entry.path(),
                    std::io::Error::other("a writer left something other than a file"),
                ));
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }

    /// Carries the old target's foreign entries over, writes the marker, drops the journal
    /// and gives the directory the old one's permissions. Returns the directories made.
    fn prepare(&self, written: &[String], state: State) -> Result<Vec<PathBuf>, OutputError> {
        let contents = match state {
            State::Dir(c) => c,
            State::Absent => target::Contents {
                mode: NEW_DIR_MODE,
                ..target::Contents::default()
            },
        };
        let refuse = |reason| {
            OutputError::Refused(Refusal {
                target: self.target.shown.clone(),
                kind: self.target.kind,
                reason,
            })
        };
        for name in &contents.foreign {
            let name = name.to_string_lossy().into_owned();
            if written.contains(&name) || marker::is_bookkeeping(&name) {
                let what = std::fs::symlink_metadata(self.target.real.join(&name))
                    .map(|md| target::describe(&md))
                    .unwrap_or_else(|_| "something".into());
                return Err(refuse(Reason::Conflict { name, what }));
            }
        }
        // A second attempt starts from the written files alone.
        self.clear_carried(written)?;
        let mut made = Vec::new();
        keep::carry(&self.target.real, &self.dir, &contents.foreign, &mut made).map_err(
            |(name, e)| {
                refuse(Reason::CannotKeep {
                    name: name.to_string_lossy().into_owned(),
                    cause: e.to_string(),
                })
            },
        )?;
        if let Some(file) = marker::for_kind(self.target.kind) {
            write_new(&self.dir.join(file), marker::text(file, written).as_bytes())?;
        }
        remove_if_present(&self.dir.join(marker::JOURNAL))?;
        set_owner_and_mode(&self.dir, &contents)?;
        Ok(made)
    }

    /// Removes what a previous attempt carried over or marked (`keep::clear_carried`).
    fn clear_carried(&self, written: &[String]) -> Result<(), OutputError> {
        keep::clear_carried(&self.dir, &self.target.real, written)
            .map_err(|e| OutputError::io(&self.dir, e))
    }

    /// Fsyncs the written files (in parallel), the marker, the directories made, and the
    /// staging directory itself.
    fn sync(&self, written: &[String], made: &[PathBuf]) -> Result<(), OutputError> {
        let mut files: Vec<PathBuf> = written.iter().map(|n| self.dir.join(n)).collect();
        if let Some(file) = marker::for_kind(self.target.kind) {
            files.push(self.dir.join(file));
        }
        files.extend(made.iter().cloned());
        let synced: Vec<Result<(), OutputError>> = files
            .par_iter()
            .map(|p| swap::sync(p).map_err(|e| OutputError::io(p, e)))
            .collect();
        synced.into_iter().collect::<Result<(), _>>()?;
        swap::sync(&self.dir).map_err(|e| OutputError::io(&self.dir, e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            registry::clean(ticket);
        }
    }
}

/// A private scratch directory (`check` writes its reports there to compare them), removed
/// when dropped or on a signal; stale ones of dead processes are swept when one is made.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    ticket: Option<registry::Ticket>,
}

impl Scratch {
    /// A new scratch directory in the system's temporary directory, named after `purpose`.
    pub fn new(purpose: &str) -> Result<Scratch, OutputError> {
        let parent = std::env::temp_dir();
        let stem = format!("trustsim-{purpose}.");
        sweep::sweep(&parent, &stem, None);
        let (dir, ticket) = registry::register(|| make_temp(&parent, &stem), None)?;
        Ok(Scratch {
            dir,
            ticket: Some(ticket),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A new scratch directory beside `target` (in its parent, which is created if
    /// missing), for data too large for the system's temporary directory, which may be
    /// memory: the partial reports a bounded run spills (SPEC §10.9).
    pub fn beside(target: &Path, purpose: &str) -> Result<Scratch, OutputError> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| OutputError::io(&parent, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = sweep::stem_for(&format!("{name}.{purpose}"));
        sweep::sweep(&parent, &stem, None);
        let (dir, ticket) = registry::register(|| make_temp(&parent, &stem), None)?;
        let scratch = Scratch {
            dir,
            ticket: Some(ticket),
        };
        // Journaled like a staging directory: its files have names no cleanup knows.
        let journal = scratch.dir.join(marker::JOURNAL);
        write_new(&journal, marker::text(marker::JOURNAL, &[]).as_bytes())?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            registry::clean(ticket);
        }
    }
}

/// Creates the new file `dir/name` for writing: never an existing file, never through a
/// symbolic link. In a staging directory the name is journaled first, so that whatever a
/// killed write leaves can be told apart from what trustsim did not write.
pub fn create(dir: &Path, name: &str) -> Result<File, OutputError> {
    let path = dir.join(name);
    if name.is_empty()
        || name.contains('/')
        || name == "."
        || name == ".."
        || marker::is_bookkeeping(name)
    {
        return Err(OutputError::io(
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a report file name"),
        ));
    }
    if registry::closing() {
        return Err(OutputError::io(
            &path,
            std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted by a signal"),
        ));
    }
    let journal = dir.join(marker::JOURNAL);
    match std::fs::OpenOptions::new().append(true).open(&journal) {
        Ok(mut j) => j
            .write_all(format!("{name}\n").as_bytes())
            .map_err(|e| OutputError::io(&journal, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(OutputError::io(&journal, e)),
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| OutputError::io(&path, e))
}

/// A new private temporary directory in `parent`, named after `stem` (see `sweep.rs`).
fn make_temp(parent: &Path, stem: &str) -> Result<PathBuf, OutputError> {
    tempfile::Builder::new()
        .prefix(&sweep::temp_prefix(stem))
        .rand_bytes(8)
        .tempdir_in(parent)
        .map(tempfile::TempDir::keep)
        .map_err(|e| OutputError::io(parent, e))
}

/// Writes a new bookkeeping file.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| OutputError::io(path, e))
}

fn remove_if_present(path: &Path) -> Result<(), OutputError> {
    keep::remove_bookkeeping(path).map_err(|e| OutputError::io(path, e))
}

/// The replaced directory's permissions (and, best effort, owner) for the new one.
fn set_owner_and_mode(dir: &Path, contents: &target::Contents) -> Result<(), OutputError> {
    use std::os::unix::fs::PermissionsExt;
    if let Some((uid, gid)) = contents.owner {
        let _ = std::os::unix::fs::chown(dir, Some(uid), Some(gid));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(contents.mode))
        .map_err(|e| OutputError::io(dir, e))
}
