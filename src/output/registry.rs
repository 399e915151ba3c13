//! The temporary directories this process has open, removed on SIGINT, SIGTERM and SIGHUP.
//!
//! Each staging or scratch directory is registered while it exists. The swap runs while
//! holding the registry's lock, and so does the signal handler's cleanup, so an interrupt
//! sees either the staging directory (removed) or the swapped-out old one (removed as far as
//! it is trustsim's), never a half-done swap. After the cleanup the process exits with
//! 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM), as a shell would report a
//! process the signal killed; a second signal during the cleanup exits at once.

use super::keep;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Once};

struct Entry {
    id: u64,
    /// The temporary directory.
    temp: PathBuf,
    /// The target it belongs to, whose files it may share (see `keep`).
    live: Option<PathBuf>,
}

static LIVE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Set once a signal's cleanup has begun: no new file is created after it.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// True once the process is being shut down by a signal.
pub fn closing() -> bool {
    CLOSING.load(Ordering::SeqCst)
}

/// A registered temporary directory; dropping the ticket does nothing (see [`clean`]).
#[derive(Debug)]
pub struct Ticket(u64);

fn lock() -> MutexGuard<'static, Vec<Entry>> {
    // A panic while holding the lock left the list itself intact.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes a temporary directory with `make` and registers it, under the lock: a signal
/// arriving meanwhile waits, then finds it registered.
pub fn register<E>(
    make: impl FnOnce() -> Result<PathBuf, E>,
    live: Option<&Path>,
) -> Result<(PathBuf, Ticket), E> {
    let mut entries = lock();
    let temp = make()?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    entries.push(Entry {
        id,
        temp: temp.clone(),
        live: live.map(Path::to_path_buf),
    });
    Ok((temp, Ticket(id)))
}

/// Forgets a temporary that no longer needs cleaning (it was published or removed).
pub fn release(ticket: Ticket) {
    lock().retain(|e| e.id != ticket.0);
}

/// Removes a temporary (as far as it is trustsim's) and forgets it.
pub fn clean(ticket: Ticket) {
    let mut live = lock();
    if let Some(i) = live.iter().position(|e| e.id == ticket.0) {
        let e = live.remove(i);
        keep::remove_temp(&e.temp, e.live.as_deref());
    }
}

/// Runs `swap` with the lock held, so that no signal cleanup runs in the middle; `swap`
/// returns where the ticket's temporary is afterwards (`None`: nowhere, it was renamed into
/// place).
pub fn critical<T>(ticket: &Ticket, swap: impl FnOnce() -> (T, Option<PathBuf>)) -> T {
    let mut live = lock();
    let (out, now_at) = swap();
    if let Some(e) = live.iter_mut().find(|e| e.id == ticket.0) {
        match now_at {
            Some(p) => e.temp = p,
            None => e.temp = PathBuf::new(),
        }
    }
    out
}

/// True when `temp` is one of this process's live temporaries.
pub fn holds(temp: &Path) -> bool {
    lock().iter().any(|e| e.temp == temp)
}

/// Installs the signal handlers (once per process; later calls do nothing). Library users
/// that handle signals themselves need not call it: temporaries are also removed when a
/// write fails or its value is dropped.
pub fn cleanup_on_signals() -> std::io::Result<()> {
    static INSTALLED: Once = Once::new();
    let mut result = Ok(());
    INSTALLED.call_once(|| result = install());
    result
}

/// How many times the signal cleanup tries to remove a temporary that writers still fill.
const CLEANUP_PASSES: usize = 5;

fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let cleaning = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // Only once `cleaning` is set: a second signal exits without waiting.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&cleaning))?;
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("trustsim-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                cleaning.store(true, Ordering::SeqCst);
                CLOSING.store(true, Ordering::SeqCst);
                // Held until exit: no swap starts once the cleanup has begun.
                let live = lock();
                // A writer thread may be creating a file right now; once `CLOSING` is
                // seen no more are, so a few passes remove everything.
                for _ in 0..CLEANUP_PASSES {
                    let gone = live
                        .iter()
                        .filter(|e| keep::remove_temp(&e.temp, e.live.as_deref()))
                        .count();
                    if gone == live.len() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}
