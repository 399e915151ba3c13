//! Publishing a finished directory in one atomic step, and making it durable.
//!
//! On Linux the staged directory and the target trade places with
//! `renameat2(RENAME_EXCHANGE)`: at every instant the target path holds either the old
//! directory or the new one, whatever kills the process. A new target is put in place with
//! `RENAME_NOREPLACE`, so a directory that appeared meanwhile is never silently replaced.
//! Where the exchange is not available (another OS, or a filesystem answering EINVAL,
//! ENOSYS or EOPNOTSUPP) the fallback is two renames — the target aside to a `.old-`
//! sibling, then the new one in — and a kill between them leaves no target until the next
//! write, whose sweep renames the old one back (`sweep.rs`).
//!
//! Durability: every file and directory of the new tree is fsynced before the swap and the
//! parent directory after it, so once a write is reported done it survives power loss.
//!
//! This file is also the only place in trustsim that removes or renames a path. Its
//! removals ([`remove_file`], [`remove_dir`]; nothing removes a tree at once) are called
//! only by `keep.rs`, entry by entry, each entry proven trustsim's first; its renames are
//! the swap above and `sweep.rs` putting a set-aside target back ([`rename`]). SPEC §6:
//! one guarded place decides what may be replaced.

use std::io;
use std::path::{Path, PathBuf};

/// Removes a file trustsim wrote (the caller has decided it is trustsim's).
pub fn remove_file(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
}

/// Removes an empty directory trustsim made.
pub fn remove_dir(path: &Path) -> io::Result<()> {
    std::fs::remove_dir(path)
}

/// Renames `from` to `to` (both trustsim's: a staged or set-aside directory).
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// How the new directory was put in place.
#[derive(Debug, PartialEq, Eq)]
pub enum Swapped {
    /// There was no target: the staged directory was renamed to it.
    Renamed,
    /// The staged path now holds the old target.
    Exchanged,
    /// The fallback: the old target is at this path.
    TwoRenames(PathBuf),
}

/// Puts `staged` at `target`. With `target_exists`, the old target ends up at `staged`
/// (or at `aside`, in the fallback); an error leaves both where they were.
/// `io::ErrorKind::AlreadyExists` means a target appeared where there was none.
pub fn put_in_place(
    staged: &Path,
    target: &Path,
    target_exists: bool,
    aside: &Path,
) -> io::Result<Swapped> {
    if !target_exists {
        return match rename_noreplace(staged, target) {
            Ok(()) => Ok(Swapped::Renamed),
            Err(e) if unsupported(&e) => std::fs::rename(staged, target).map(|()| Swapped::Renamed),
            Err(e) => Err(e),
        };
    }
    match exchange(staged, target) {
        Ok(()) => Ok(Swapped::Exchanged),
        Err(e) if unsupported(&e) => two_renames(staged, target, aside),
        Err(e) => Err(e),
    }
}

/// The fallback swap; public to the module so that it is tested on every filesystem.
pub fn two_renames(staged: &Path, target: &Path, aside: &Path) -> io::Result<Swapped> {
    std::fs::rename(target, aside)?;
    if let Err(e) = std::fs::rename(staged, target) {
        let _ = std::fs::rename(aside, target);
        return Err(e);
    }
    Ok(Swapped::TwoRenames(aside.to_path_buf()))
}

/// The filesystem or kernel does not offer the flag asked for.
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    )
}

#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both paths are NUL-terminated and outlive the call; the syscall only reads
    // them. The raw syscall (not glibc's wrapper) works with any libc version.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    renameat2(a, b, libc::RENAME_EXCHANGE)
}

#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    renameat2(from, to, libc::RENAME_NOREPLACE)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// Flushes a file's or a directory's data and metadata to the device. A directory that
/// cannot be synced by its filesystem (EINVAL) is not an error.
pub fn sync(path: &Path) -> io::Result<()> {
    match std::fs::File::open(path)?.sync_all() {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(root: &Path, name: &str, file: &str) -> PathBuf {
        let d = root.join(name);
        std::fs::create_dir(&d).expect("mkdir");
        std::fs::write(d.join(file), name).expect("write");
        d
    }

    #[test]
    fn the_swap_trades_places_and_never_replaces_a_new_arrival() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (old, new) = (tree(tmp.path(), "out", "a"), tree(tmp.path(), "new", "b"));
        let aside = tmp.path().join("aside");
        let how = put_in_place(&new, &old, true, &aside).expect("swap");
        assert!(old.join("b").is_file(), "the new directory is in place");
        match how {
            Swapped::Exchanged => assert!(new.join("a").is_file(), "the old one at staged"),
            Swapped::TwoRenames(at) => assert!(at.join("a").is_file()),
            Swapped::Renamed => panic!("there was a target"),
        }
        // A fresh target that appeared meanwhile is not replaced.
        let other = tree(tmp.path(), "other", "c");
        let fresh = tree(tmp.path(), "fresh", "d");
        let refused = put_in_place(&other, &fresh, false, &aside).expect_err("not replaced");
        #[cfg(target_os = "linux")]
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        let _ = refused;
        assert!(fresh.join("d").is_file());
    }

    #[test]
    fn the_fallback_restores_the_target_when_the_second_rename_fails() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let old = tree(tmp.path(), "out", "a");
        let aside = tmp.path().join("aside");
        let missing = tmp.path().join("missing");
        assert!(two_renames(&missing, &old, &aside).is_err());
        assert!(old.join("a").is_file(), "the old target is back");
        assert!(!aside.exists());
    }
}
