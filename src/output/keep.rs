//! Keeping what trustsim did not write across a swap, and removing only what it did.
//!
//! The new directory is swapped in whole, so every entry of the old one that trustsim did
//! not write (an analyst's `NOTES.md` in `expected/`, a subfolder) must be in the new one
//! first. It is carried over by **hard link** (the same file, not a copy: nothing is
//! replaced, and a failed link leaves the original untouched); a subdirectory is recreated
//! with the same permissions and filled the same way. Removal is the mirror image: in a
//! temporary directory, an entry is removed only when trustsim wrote it (a bookkeeping
//! file, a name its journal or marker lists, a name it writes) or when the live target
//! holds the very same file (same device and inode) at the same place. Anything else is
//! left where it is.

use super::{marker, swap};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How deep a carried-over tree may be; deeper is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

/// Links the entries `names` of `from` into `into`, recreating directories; `made` collects
/// the directories created (to be synced). On failure, the name that could not be kept.
pub fn carry(
    from: &Path,
    into: &Path,
    names: &[OsString],
    made: &mut Vec<PathBuf>,
) -> Result<(), (OsString, io::Error)> {
    for name in names {
        carry_entry(&from.join(name), &into.join(name), 0, made).map_err(|e| (name.clone(), e))?;
    }
    Ok(())
}

fn carry_entry(src: &Path, dst: &Path, depth: usize, made: &mut Vec<PathBuf>) -> io::Result<()> {
    let md = std::fs::symlink_metadata(src)?;
    if !md.is_dir() {
        // Files, symbolic links (not followed), devices, pipes: the entry itself.
        return std::fs::hard_link(src, dst);
    }
    if depth == MAX_DEPTH {
        return Err(io::Error::other("directories nested too deeply"));
    }
    std::fs::create_dir(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        carry_entry(&entry.path(), &dst.join(entry.file_name()), depth + 1, made)?;
    }
    // After the children: a read-only directory can still be filled.
    std::fs::set_permissions(dst, md.permissions())?;
    // Best effort: only root can give a directory to another owner.
    let _ = std::os::unix::fs::chown(dst, Some(md.uid()), Some(md.gid()));
    if let (Ok(modified), Ok(dir)) = (md.modified(), std::fs::File::open(dst)) {
        let _ = dir.set_modified(modified);
    }
    made.push(dst.to_path_buf());
    Ok(())
}

/// True when `a` and the entry at `b` are the same file.
fn same_file(a: &Metadata, b: Option<&Path>) -> bool {
    b.and_then(|b| std::fs::symlink_metadata(b).ok())
        .is_some_and(|b| a.dev() == b.dev() && a.ino() == b.ino())
}

/// The top-level names of `temp` that trustsim wrote: its bookkeeping files, the names its
/// journal and marker list, and the names of every file trustsim writes.
fn written_names(temp: &Path) -> BTreeSet<OsString> {
    let mut names: BTreeSet<OsString> = [
        marker::REPORTS,
        marker::SCENARIO,
        marker::SHARD,
        marker::JOURNAL,
    ]
    .iter()
    .chain(crate::report::REPORT_FILES.iter())
    .chain(crate::generate::FILES.iter())
    .map(OsString::from)
    .collect();
    for file in [
        marker::JOURNAL,
        marker::REPORTS,
        marker::SCENARIO,
        marker::SHARD,
    ] {
        names.extend(marker::read(temp, file).unwrap_or_default());
    }
    names
}

/// Removes the temporary directory `temp` (a staging directory, or an old target swapped
/// out of `live`) as far as it can prove its entries are trustsim's or are also in `live`.
/// Returns true when it is gone.
pub fn remove_temp(temp: &Path, live: Option<&Path>) -> bool {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return !temp.exists();
    };
    let written = written_names(temp);
    let mut kept = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let path = entry.path();
        let Ok(md) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let twin = live.map(|l| l.join(&name));
        let removed = if md.is_dir() {
            remove_linked(&path, twin.as_deref(), 0)
        } else if same_file(&md, twin.as_deref()) || (md.is_file() && written.contains(&name)) {
            swap::remove_file(&path).is_ok()
        } else {
            false
        };
        kept |= !removed;
    }
    !kept && remove_dir(temp)
}

/// Empties the staging directory `staged` of what an earlier attempt to publish it left
/// beside the `written` files and the journal: the entries carried over from `live`, each
/// removed only where `live` holds the very same file, and trustsim's own bookkeeping
/// files. An entry that is neither is an error, and stays where it is.
pub fn clear_carried(staged: &Path, live: &Path, written: &[String]) -> io::Result<()> {
    for entry in std::fs::read_dir(staged)? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if written.iter().any(|w| *w == text) || text == marker::JOURNAL {
            continue;
        }
        let path = entry.path();
        let twin = live.join(&name);
        let md = std::fs::symlink_metadata(&path)?;
        let removed = if md.is_dir() {
            remove_linked(&path, Some(&twin), 0)
        } else if same_file(&md, Some(&twin)) || marker::is_bookkeeping(&text) {
            remove_file(&path)
        } else {
            false
        };
        if !removed {
            return Err(io::Error::other(format!(
                "{} is neither carried over from the target nor trustsim's",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Removes trustsim's bookkeeping file `path` if it is there.
pub fn remove_bookkeeping(path: &Path) -> io::Result<()> {
    match swap::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes from directory `dir` every entry that `twin` (its counterpart in the live target)
/// also holds, recursively, then `dir` itself if that emptied it.
fn remove_linked(dir: &Path, twin: Option<&Path>, depth: usize) -> bool {
    if depth == MAX_DEPTH {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut kept = false;
    for entry in entries.flatten() {
        let path = entry.path();
        let twin = twin.map(|t| t.join(entry.file_name()));
        let removed = match std::fs::symlink_metadata(&path) {
            Ok(md) if md.is_dir() => remove_linked(&path, twin.as_deref(), depth + 1),
            Ok(md) if same_file(&md, twin.as_deref()) => remove_file(&path),
            _ => false,
        };
        kept |= !removed;
    }
    !kept && remove_dir(dir)
}

/// `remove_file`, making the parent writable first if it was carried over read-only.
fn remove_file(path: &Path) -> bool {
    swap::remove_file(path).is_ok()
        || (make_writable(path.parent()) && swap::remove_file(path).is_ok())
}

/// `remove_dir` of an emptied directory (its parent may be read-only, see `remove_file`).
fn remove_dir(path: &Path) -> bool {
    swap::remove_dir(path).is_ok()
        || (make_writable(path.parent()) && swap::remove_dir(path).is_ok())
        || !path.exists()
}

fn make_writable(dir: Option<&Path>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(dir) = dir else { return false };
    let Ok(md) = std::fs::symlink_metadata(dir) else {
        return false;
    };
    let mode = md.permissions().mode() | 0o700;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second attempt's clearing removes what the first carried over (files and trees,
    /// linked from the live target) and trustsim's marker, keeps the written files and the
    /// journal, and refuses an entry it cannot prove was carried.
    #[test]
    fn clearing_a_staging_directory_removes_only_what_was_carried() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (live, staged) = (tmp.path().join("live"), tmp.path().join("staged"));
        std::fs::create_dir_all(live.join("notes")).expect("mkdir");
        std::fs::write(live.join("NOTES.md"), "mine").expect("write");
        std::fs::write(live.join("notes/a.txt"), "a").expect("write");
        std::fs::create_dir(&staged).expect("mkdir");
        std::fs::write(staged.join("bills.csv"), "x").expect("write");
        std::fs::write(staged.join(marker::JOURNAL), "j").expect("write");
        std::fs::write(staged.join(marker::REPORTS), "m").expect("write");
        let names = [OsString::from("NOTES.md"), OsString::from("notes")];
        carry(&live, &staged, &names, &mut Vec::new()).expect("carry");

        clear_carried(&staged, &live, &["bills.csv".into()]).expect("cleared");
        let mut left: Vec<String> = std::fs::read_dir(&staged)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [marker::JOURNAL, "bills.csv"]);
        assert_eq!(
            std::fs::read_to_string(live.join("notes/a.txt")).expect("kept"),
            "a"
        );

        std::fs::write(staged.join("stranger.txt"), "?").expect("write");
        assert!(clear_carried(&staged, &live, &["bills.csv".into()]).is_err());
        assert!(
            staged.join("stranger.txt").exists(),
            "what it cannot prove stays"
        );
    }

    #[test]
    fn carried_entries_are_the_same_files_and_removal_spares_what_it_cannot_prove() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        std::fs::create_dir_all(old.join("sub/deeper")).expect("mkdir");
        std::fs::create_dir(&new).expect("mkdir");
        std::fs::write(old.join("NOTES.md"), "mine").expect("write");
        std::fs::write(old.join("sub/deeper/x"), "mine too").expect("write");
        std::os::unix::fs::symlink("NOTES.md", old.join("link")).expect("symlink");
        let names = ["NOTES.md", "link", "sub"].map(OsString::from);
        let mut made = Vec::new();
        carry(&old, &new, &names, &mut made).expect("carry");
        let ino = |p: &Path| std::fs::symlink_metadata(p).expect("stat").ino();
        assert_eq!(ino(&old.join("NOTES.md")), ino(&new.join("NOTES.md")));
        assert_eq!(
            ino(&old.join("sub/deeper/x")),
            ino(&new.join("sub/deeper/x"))
        );
        assert!(std::fs::symlink_metadata(new.join("link"))
            .expect("stat")
            .file_type()
            .is_symlink());
        assert_eq!(made.len(), 2);

        // The old directory, once swapped out: trustsim's files and the carried ones go.
        std::fs::write(old.join("bills.csv"), "report").expect("write");
        std::fs::write(old.join("late.txt"), "appeared after the carry").expect("write");
        assert!(
            !remove_temp(&old, Some(&new)),
            "late.txt is not provably ours"
        );
        let left: Vec<_> = std::fs::read_dir(&old)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, [OsString::from("late.txt")]);
        assert_eq!(
            std::fs::read(new.join("sub/deeper/x")).expect("kept"),
            b"mine too"
        );
        super::swap::remove_file(&old.join("late.txt")).expect("rm");
        assert!(remove_temp(&old, Some(&new)));
        assert!(!old.exists());
    }
}
