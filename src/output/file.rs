//! A single output file (`compare --out FILE`): the one-file form of this module's
//! contract. The file is the user's explicit name for one output, so it may replace a
//! regular file there — but only whole: the bytes go to a temporary file beside it, which
//! is fsynced and renamed over the name (one atomic step), and the parent directory is
//! fsynced. A reader, a crash or a full disk sees the previous file or the new one, never
//! part of one. A directory, a device, a pipe or a socket at the name is refused before
//! anything is written, and so is a name inside a directory the command reads (a scenario
//! or report directory being compared). A symbolic link is followed: the file it points
//! to is replaced, never the link.

use super::OutputError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (see the module docs). `protected` are the
/// directories the command reads; a `path` inside one of them is refused.
pub fn write_file(path: &Path, bytes: &[u8], protected: &[&Path]) -> Result<(), OutputError> {
    let path = resolve(path)?;
    let refuse = |why: &str| {
        OutputError::io(
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_string()),
        )
    };
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => return Err(refuse("refusing to write: it is a directory")),
        Ok(m) if !m.is_file() => return Err(refuse("refusing to write: it is not a regular file")),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(OutputError::io(&path, e)),
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A missing parent is made (as `run` makes its target's), once the protected
    // directories are known not to hold it: its path is checked from the nearest ancestor
    // that exists.
    let missing = !parent.exists();
    let real_parent = real_path(&parent)?;
    for dir in protected {
        if let Ok(d) = std::fs::canonicalize(dir) {
            if real_parent.starts_with(&d) {
                return Err(refuse(&format!(
                    "refusing to write inside {}, which this command reads",
                    dir.display()
                )));
            }
        }
    }
    if missing {
        std::fs::create_dir_all(&parent).map_err(|e| OutputError::io(&parent, e))?;
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".trustsim-file.")
        .tempfile_in(&parent)
        .map_err(|e| OutputError::io(&parent, e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| OutputError::io(temp.path(), e))?;
    temp.persist(&path)
        .map_err(|e| OutputError::io(&path, e.error))?;
    std::fs::File::open(&parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| OutputError::io(&parent, e))
}

/// The canonical form of `dir`, which need not exist yet: its nearest existing ancestor's
/// canonical path, with the missing components after it.
fn real_path(dir: &Path) -> Result<PathBuf, OutputError> {
    let mut base = dir;
    let mut rest = Vec::new();
    while !base.exists() {
        match (base.parent(), base.file_name()) {
            (Some(p), Some(name)) => {
                rest.push(name);
                base = if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                };
            }
            _ => break,
        }
    }
    let mut real = std::fs::canonicalize(base).map_err(|e| OutputError::io(base, e))?;
    real.extend(rest.iter().rev());
    Ok(real)
}

/// `path`, or the file its symbolic link(s) point to.
fn resolve(path: &Path) -> Result<PathBuf, OutputError> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) => {
                p = match p.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                }
            }
            Err(_) => return Ok(p),
        }
    }
    Err(OutputError::io(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_file_whole_and_refuses_directories_and_protected_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("out.csv");
        std::fs::write(&file, "old").expect("write");
        write_file(&file, b"new", &[]).expect("written");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "new");
        assert!(write_file(dir.path(), b"x", &[]).is_err());
        let inside = dir.path().join("scn");
        std::fs::create_dir(&inside).expect("mkdir");
        assert!(write_file(&inside.join("c.csv"), b"x", &[&inside]).is_err());
        assert!(!inside.join("c.csv").exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .collect();
        assert_eq!(names.len(), 2, "no temporary file is left behind");
        // A missing parent is made, but never inside a protected directory.
        write_file(&dir.path().join("new/sub/f.csv"), b"x", &[]).expect("parent made");
        assert!(dir.path().join("new/sub/f.csv").is_file());
        assert!(write_file(&inside.join("deep/er/c.csv"), b"x", &[&inside]).is_err());
        assert!(
            !inside.join("deep").exists(),
            "nothing made in a protected directory"
        );
    }
}
