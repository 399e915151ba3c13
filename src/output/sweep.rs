//! Temporary names, and sweeping the temporaries an interrupted write left behind.
//!
//! Every temporary directory is named `<stem>tmp-<host>-<pid>-<nonce>` (the fallback swap's
//! old directory `<stem>old-…`), where the stem ties it to its target — `.<name>.` beside
//! target `<name>`, `trustsim-check.` for `check`'s scratch — and host and pid say who made
//! it. A later write to the same target sweeps a temporary only when it was made on this
//! host by a process that is no longer alive (`kill(pid, 0)` answers ESRCH; a pid of this
//! very process counts only when its registry does not hold the directory). So another
//! live run's temporary is never touched, a machine sharing the filesystem is never second-
//! guessed (its temporaries are left for it), and what is swept is removed only as far as
//! `keep::remove_temp` proves it trustsim's. No age threshold: a crashed run's leftovers go
//! at the next write, and a slow live run is never mistaken for a dead one.

use super::{keep, registry};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A stem longer than this is cut (on a character boundary): a temporary's name must stay
/// under the filesystem's 255-byte limit whatever the target is called.
const MAX_STEM_BYTES: usize = 100;

/// The part of the host name used in temporary names.
const MAX_HOST_BYTES: usize = 32;

/// The stem of the temporaries of a target named `name`.
pub fn stem_for(name: &str) -> String {
    let mut cut = name.len().min(MAX_STEM_BYTES);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".{}.", &name[..cut])
}

/// This machine's name, reduced to characters safe in a file name.
pub fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is writable for its whole length; gethostname NUL-terminates
        // within it (or truncates, which only shortens the name).
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        let raw = if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            String::new()
        };
        let mut clean: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(MAX_HOST_BYTES)
            .collect();
        if clean.is_empty() {
            clean.push_str("localhost");
        }
        clean
    })
}

/// The prefix of this process's temporaries with `stem` (a random nonce follows).
pub fn temp_prefix(stem: &str) -> String {
    format!("{stem}tmp-{}-{}-", host(), std::process::id())
}

/// Where the fallback swap puts the old target of the temporary `temp` with `stem`.
pub fn aside_path(temp: &Path, stem: &str) -> PathBuf {
    let name = temp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rest = name.strip_prefix(&format!("{stem}tmp-")).unwrap_or(&name);
    temp.with_file_name(format!("{stem}old-{rest}"))
}

/// Which kind of temporary a name is.
#[derive(Debug, PartialEq, Eq)]
enum Which {
    Staging,
    Aside,
}

/// Parses `<stem>(tmp|old)-<host>-<pid>-<nonce>`.
fn parse<'a>(name: &'a str, stem: &str) -> Option<(Which, &'a str, u32)> {
    let rest = name.strip_prefix(stem)?;
    let (which, rest) = if let Some(r) = rest.strip_prefix("tmp-") {
        (Which::Staging, r)
    } else {
        (Which::Aside, rest.strip_prefix("old-")?)
    };
    let mut parts = rest.rsplitn(3, '-');
    let nonce = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    let host = parts.next()?;
    (!nonce.is_empty() && !host.is_empty()).then_some((which, host, pid))
}

/// True unless the process is known to be gone.
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Sweeps the dead temporaries with `stem` in `parent` (best effort: a directory that
/// cannot be read is left alone). `live` is the target they belong to, if any: a fallback's
/// old directory is renamed back to it when the kill left no target at all.
pub fn sweep(parent: &Path, stem: &str, live: Option<&Path>) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some((which, host_name, pid)) = parse(&name, stem) else {
            continue;
        };
        let path = entry.path();
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        let ours_dead = host_name == host()
            && if pid == std::process::id() {
                !registry::holds(&path)
            } else {
                !alive(pid)
            };
        if !is_dir || !ours_dead {
            continue;
        }
        if let (Which::Aside, Some(target)) = (&which, live) {
            if std::fs::symlink_metadata(target).is_err()
                && super::swap::rename(&path, target).is_ok()
            {
                continue;
            }
        }
        keep::remove_temp(&path, live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_round_trip_and_strangers_do_not_parse() {
        let stem = stem_for("out");
        let name = format!("{}abc123", temp_prefix(&stem));
        assert_eq!(
            parse(&name, &stem),
            Some((Which::Staging, host(), std::process::id()))
        );
        let aside = aside_path(Path::new(&name), &stem);
        let aside = aside.to_string_lossy();
        assert!(aside.starts_with(".out.old-"), "{aside}");
        assert_eq!(parse(&aside, &stem).map(|p| p.0), Some(Which::Aside));
        for stranger in [
            ".out.tmp-",
            ".out.tmp-x",
            ".out.tmp-h-notapid-n",
            ".other.tmp-h-1-n",
            "out",
        ] {
            assert_eq!(parse(stranger, &stem), None, "{stranger}");
        }
        assert!(stem_for(&"é".repeat(80)).len() <= MAX_STEM_BYTES + 2);
    }

    /// The pid of a process that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("reaped");
        pid
    }

    #[test]
    fn a_dead_fallback_swap_is_rolled_back_or_removed_and_a_live_one_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("out");
        let stem = stem_for("out");
        let make = |which: &str, pid: u32| {
            let d = tmp
                .path()
                .join(format!("{stem}{which}-{}-{pid}-n0nce", host()));
            std::fs::create_dir(&d).expect("mkdir");
            std::fs::write(d.join("bills.csv"), which).expect("write");
            d
        };
        // Killed between the two renames: no target, the old reports aside.
        let aside = make("old", dead_pid());
        sweep(tmp.path(), &stem, Some(&out));
        assert!(!aside.exists());
        assert_eq!(std::fs::read(out.join("bills.csv")).expect("back"), b"old");
        // With a target in place, a dead staging directory is removed; a live one stays.
        let dead = make("tmp", dead_pid());
        let live = make("tmp", std::process::id());
        let other_host = tmp
            .path()
            .join(format!("{stem}tmp-elsewhere-{}-n", dead_pid()));
        std::fs::create_dir(&other_host).expect("mkdir");
        let (_, ticket) = registry::register(|| Ok::<_, ()>(live.clone()), None).expect("reg");
        sweep(tmp.path(), &stem, Some(&out));
        assert!(!dead.exists(), "dead: swept");
        assert!(live.exists(), "registered in this process: kept");
        assert!(other_host.exists(), "another host's: kept");
        registry::release(ticket);
        sweep(tmp.path(), &stem, Some(&out));
        assert!(
            !live.exists(),
            "this pid but not registered: a previous process's"
        );
    }

    #[test]
    fn only_dead_processes_are_dead() {
        assert!(alive(std::process::id()));
        assert!(!alive(dead_pid()), "a reaped child is gone");
    }
}
