//! The output contract (SPEC §6, §7): trustsim never deletes or replaces what it did not
//! write, refuses a target it must not touch with exit 3 before writing anything, and
//! leaves no temporary behind — after a failure, a signal, or the next run after a kill.
//! Each test is a repro of a way output once destroyed files.

use crate::crash::wait_for_temporary;
use crate::crash::{bin, complete, finish, slow_scenario, snapshot, temporaries, utf8};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use trustsim::output::{REPORTS_MARKER, SCENARIO_MARKER};
use trustsim::report::REPORT_FILES;

/// A scratch directory holding a copy of `scenarios/quickstart` at `q/`.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let q = tmp.path().join("q");
    copy_scenario(&crate::util::root().join("scenarios/quickstart"), &q);
    (tmp, q)
}

fn copy_scenario(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("expected")).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("scenario").flatten() {
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
    for f in REPORT_FILES {
        std::fs::copy(from.join("expected").join(f), to.join("expected").join(f)).expect("copy");
    }
}

fn trustsim(args: &[&str], cwd: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run trustsim")
}

/// Asserts exit 3 with a refusal naming `what`; returns stderr.
fn assert_refused(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "exit status; stderr:\n{stderr}");
    assert!(stderr.contains("refusing to"), "{stderr}");
    assert!(stderr.contains(what), "{what:?} not named in:\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

fn inode(p: &Path) -> u64 {
    std::fs::symlink_metadata(p).expect("stat").ino()
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

// ---------------------------------------------------------------------------------------
// run: refused targets
// ---------------------------------------------------------------------------------------

#[test]
fn run_refuses_a_directory_holding_files_it_did_not_write() {
    let (tmp, q) = workspace();
    let precious = tmp.path().join("precious");
    std::fs::create_dir(&precious).expect("mkdir");
    std::fs::write(precious.join("notes.txt"), "x\n").expect("write");
    let out = trustsim(&["run", utf8(&q), "--out", "precious"], tmp.path());
    let stderr = assert_refused(&out, "1 file trustsim did not write (notes.txt)");
    assert!(stderr.contains("--out"), "says how to proceed: {stderr}");
    assert_eq!(
        std::fs::read(precious.join("notes.txt")).expect("kept"),
        b"x\n"
    );
    assert_eq!(snapshot(&precious).len(), 1, "nothing written beside it");
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn run_refuses_the_scenario_directory_as_its_output() {
    let (tmp, q) = workspace();
    let before = snapshot(&q);
    let out = trustsim(&["run", "q", "--out", "q"], tmp.path());
    assert_refused(&out, "the scenario directory itself");
    assert_eq!(snapshot(&q), before);
    // Spelled differently, or through a link, it is still the scenario.
    std::os::unix::fs::symlink(&q, tmp.path().join("alias")).expect("symlink");
    for spelled in ["q/", "./q/../q", "alias"] {
        let out = trustsim(&["run", "q", "--out", spelled], tmp.path());
        assert_refused(&out, "the scenario directory itself");
    }
    assert_eq!(snapshot(&q), before);
}

#[test]
fn run_refuses_a_parent_holding_sibling_scenarios() {
    let (tmp, q) = workspace();
    let sibling = tmp.path().join("sibling");
    copy_scenario(&crate::util::root().join("scenarios/quickstart"), &sibling);
    let before = snapshot(tmp.path());
    let out = trustsim(&["run", "q", "--out", utf8(tmp.path())], tmp.path());
    assert_refused(&out, "contains the scenario directory");
    assert_eq!(snapshot(tmp.path()), before, "siblings untouched");
    let _ = q;
}

#[test]
fn run_refuses_the_working_directory() {
    let (tmp, _q) = workspace();
    let before = snapshot(tmp.path());
    for spelled in [".", utf8(tmp.path())] {
        let out = trustsim(&["run", "q", "--out", spelled], tmp.path());
        assert_refused(&out, "contains the scenario directory");
    }
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn run_refuses_a_directory_inside_the_scenario_and_the_default_output_there() {
    let (tmp, q) = workspace();
    let before = snapshot(&q);
    let out = trustsim(&["run", "q", "--out", "q/out"], tmp.path());
    assert_refused(&out, "inside the scenario directory");
    // `trustsim run .` from inside the scenario: output/<name> would be inside it.
    let out = trustsim(&["run", "."], &q);
    assert_refused(&out, "inside the scenario directory");
    assert_eq!(snapshot(&q), before);
}

#[test]
fn the_default_output_path_never_replaces_a_generated_scenario_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = trustsim(
        &[
            "generate",
            "--out",
            "output/fleet",
            "--days",
            "3",
            "--linked",
            "3",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let fleet = tmp.path().join("output/fleet");
    let before = snapshot(&fleet);
    // The scenario is named after its directory, so output/<name> is the scenario itself.
    let out = trustsim(&["run", "output/fleet"], tmp.path());
    assert_refused(&out, "the scenario directory itself");
    assert_eq!(snapshot(&fleet), before);
    let out = trustsim(&["validate", "output/fleet"], tmp.path());
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn run_refuses_a_regular_file_and_never_moves_it_aside() {
    let (tmp, q) = workspace();
    let file = tmp.path().join("report.csv");
    std::fs::write(&file, "mine").expect("write");
    let out = trustsim(&["run", utf8(&q), "--out", utf8(&file)], tmp.path());
    assert_refused(&out, "a regular file (4 bytes)");
    assert_eq!(std::fs::read(&file).expect("still a file"), b"mine");
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
    // Nor writes below it.
    let out = trustsim(&["run", utf8(&q), "--out", "report.csv/out"], tmp.path());
    assert_refused(&out, "is not a directory");
}

#[test]
fn run_refuses_device_nodes_and_pipes() {
    let (tmp, q) = workspace();
    let c = |p: &Path| std::ffi::CString::new(utf8(p)).expect("path");
    let fifo = tmp.path().join("fifo");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c(&fifo).as_ptr(), 0o600) }, 0);
    let out = trustsim(&["run", utf8(&q), "--out", utf8(&fifo)], tmp.path());
    assert_refused(&out, "a named pipe");
    assert!(std::fs::metadata(&fifo).is_ok_and(|m| !m.is_dir()));
    // A character device: the same numbers as /dev/null, made here (needs root).
    let dev = tmp.path().join("null");
    // SAFETY: a valid NUL-terminated path.
    let made = unsafe { libc::mknod(c(&dev).as_ptr(), libc::S_IFCHR | 0o600, libc::makedev(1, 3)) };
    if made == 0 {
        let out = trustsim(&["run", utf8(&q), "--out", utf8(&dev)], tmp.path());
        assert_refused(&out, "a character device");
        assert!(std::fs::metadata(&dev).is_ok_and(|m| !m.is_dir()));
    } else {
        eprintln!("mknod not permitted here: character device case skipped");
    }
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn run_refuses_a_link_to_a_file_or_to_nothing_and_keeps_the_link() {
    let (tmp, q) = workspace();
    std::fs::write(tmp.path().join("file"), "mine").expect("write");
    std::os::unix::fs::symlink("file", tmp.path().join("to-file")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", tmp.path().join("dangling")).expect("symlink");
    let out = trustsim(&["run", utf8(&q), "--out", "to-file"], tmp.path());
    assert_refused(&out, "a regular file");
    let out = trustsim(&["run", utf8(&q), "--out", "dangling"], tmp.path());
    assert_refused(&out, "which does not exist");
    assert!(is_symlink(&tmp.path().join("to-file")) && is_symlink(&tmp.path().join("dangling")));
    assert_eq!(
        std::fs::read(tmp.path().join("file")).expect("file"),
        b"mine"
    );
}

// ---------------------------------------------------------------------------------------
// run: what it may write to
// ---------------------------------------------------------------------------------------

#[test]
fn run_marks_its_report_directory_with_the_files_it_wrote() {
    let (tmp, q) = workspace();
    let out = trustsim(&["run", utf8(&q), "--out", "out"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    let marker =
        std::fs::read_to_string(tmp.path().join("out").join(REPORTS_MARKER)).expect("marker");
    let mut want = String::from("trustsim-reports 1\n");
    let mut names = REPORT_FILES.to_vec();
    names.sort();
    for n in names {
        want.push_str(n);
        want.push('\n');
    }
    assert_eq!(marker, want);
    // An empty directory is fine too.
    std::fs::create_dir(tmp.path().join("empty")).expect("mkdir");
    let out = trustsim(&["run", utf8(&q), "--out", "empty"], tmp.path());
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn run_follows_a_symlinked_output_directory_and_keeps_the_link() {
    let (tmp, q) = workspace();
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    std::os::unix::fs::symlink(&real, tmp.path().join("link")).expect("symlink");
    for _ in 0..2 {
        let out = trustsim(&["run", utf8(&q), "--out", "link"], tmp.path());
        assert!(out.status.success(), "{out:?}");
        assert!(
            is_symlink(&tmp.path().join("link")),
            "the link is still a link"
        );
        assert!(real.join("bills.csv").is_file() && real.join(REPORTS_MARKER).is_file());
    }
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn run_keeps_files_added_to_its_report_directory() {
    let (tmp, q) = workspace();
    let out_dir = tmp.path().join("out");
    assert!(trustsim(&["run", utf8(&q), "--out", "out"], tmp.path())
        .status
        .success());
    std::fs::write(out_dir.join("notes.txt"), "mine").expect("write");
    std::fs::create_dir(out_dir.join("plots")).expect("mkdir");
    std::fs::write(out_dir.join("plots/a.svg"), "<svg/>").expect("write");
    let (notes, plot) = (
        inode(&out_dir.join("notes.txt")),
        inode(&out_dir.join("plots/a.svg")),
    );
    let bills = inode(&out_dir.join("bills.csv"));
    let out = trustsim(&["run", utf8(&q), "--out", "out"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert_ne!(
        inode(&out_dir.join("bills.csv")),
        bills,
        "the reports were replaced"
    );
    // The analyst's files are the very same files.
    assert_eq!(inode(&out_dir.join("notes.txt")), notes);
    assert_eq!(inode(&out_dir.join("plots/a.svg")), plot);
    assert_eq!(
        std::fs::read(out_dir.join("notes.txt")).expect("kept"),
        b"mine"
    );
    let marker = std::fs::read_to_string(out_dir.join(REPORTS_MARKER)).expect("marker");
    assert!(
        !marker.contains("notes.txt") && !marker.contains("plots"),
        "{marker}"
    );
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn run_replaces_reports_an_older_trustsim_wrote_without_a_marker() {
    let (tmp, q) = workspace();
    let old = tmp.path().join("old");
    std::fs::create_dir(&old).expect("mkdir");
    for f in REPORT_FILES {
        std::fs::write(old.join(f), "stale").expect("write");
    }
    let out = trustsim(&["run", utf8(&q), "--out", "old"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read(old.join("bills.csv")).expect("bills"),
        std::fs::read(q.join("expected/bills.csv")).expect("golden")
    );
    // A directory with only some of those names is not recognisably trustsim's.
    let partial = tmp.path().join("partial");
    std::fs::create_dir(&partial).expect("mkdir");
    std::fs::write(partial.join("bills.csv"), "my own bills").expect("write");
    let out = trustsim(&["run", utf8(&q), "--out", "partial"], tmp.path());
    assert_refused(&out, "(bills.csv)");
    assert_eq!(
        std::fs::read(partial.join("bills.csv")).expect("kept"),
        b"my own bills"
    );
}

#[test]
fn a_scenario_path_that_does_not_exist_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = trustsim(&["run", "missing", "--out", "out"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!tmp.path().join("out").exists());
}

// ---------------------------------------------------------------------------------------
// check --bless
// ---------------------------------------------------------------------------------------

#[test]
fn bless_keeps_every_file_of_expected_that_is_not_a_report() {
    let (tmp, q) = workspace();
    let expected = q.join("expected");
    std::fs::write(expected.join("NOTES.md"), "read row 3").expect("write");
    std::fs::create_dir(expected.join("sub")).expect("mkdir");
    std::fs::write(expected.join("sub/x.txt"), "deep").expect("write");
    std::fs::write(expected.join("bills.csv"), "wrong").expect("write");
    let notes = inode(&expected.join("NOTES.md"));
    let out = trustsim(&["check", "--bless", "q"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(inode(&expected.join("NOTES.md")), notes, "the same file");
    assert_eq!(
        std::fs::read(expected.join("NOTES.md")).expect("kept"),
        b"read row 3"
    );
    assert_eq!(
        std::fs::read(expected.join("sub/x.txt")).expect("kept"),
        b"deep"
    );
    assert_eq!(
        std::fs::read(expected.join("bills.csv")).expect("blessed"),
        std::fs::read(crate::util::root().join("scenarios/quickstart/expected/bills.csv"))
            .expect("golden")
    );
    assert!(
        !expected.join(REPORTS_MARKER).exists(),
        "goldens carry no marker"
    );
    assert_eq!(temporaries(&q), Vec::<String>::new());
}

#[test]
fn bless_writes_through_a_symlinked_expected_and_keeps_the_link() {
    let (tmp, q) = workspace();
    let goldens = tmp.path().join("goldens");
    std::fs::rename(q.join("expected"), &goldens).expect("move");
    std::fs::write(goldens.join("NOTES.md"), "mine").expect("write");
    std::os::unix::fs::symlink(&goldens, q.join("expected")).expect("symlink");
    std::fs::write(goldens.join("bills.csv"), "wrong").expect("write");
    let out = trustsim(&["check", "--bless", "q"], tmp.path());
    assert!(out.status.success(), "{out:?}");
    assert!(is_symlink(&q.join("expected")));
    assert_ne!(
        std::fs::read(goldens.join("bills.csv")).expect("bills"),
        b"wrong"
    );
    assert_eq!(
        std::fs::read(goldens.join("NOTES.md")).expect("kept"),
        b"mine"
    );
    let out = trustsim(&["check", "q"], tmp.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("bills.csv: differs"), "{stdout}");
}

#[test]
fn bless_refuses_what_is_in_the_way_of_a_report_file() {
    let (tmp, q) = workspace();
    let expected = q.join("expected");
    std::fs::remove_file(expected.join("bills.csv")).expect("rm");
    std::fs::create_dir(expected.join("bills.csv")).expect("mkdir");
    std::fs::write(expected.join("bills.csv/mine"), "x").expect("write");
    let before = snapshot(&expected);
    let out = trustsim(&["check", "--bless", "q"], tmp.path());
    assert_refused(&out, "its bills.csv is a directory");
    assert_eq!(snapshot(&expected), before);
    assert_eq!(temporaries(&q), Vec::<String>::new());
    // An expected/ that is a file is refused too.
    std::fs::remove_dir_all(&expected).expect("rm");
    std::fs::write(&expected, "not a directory").expect("write");
    let out = trustsim(&["check", "--bless", "q"], tmp.path());
    assert_refused(&out, "a regular file");
    assert_eq!(std::fs::read(&expected).expect("kept"), b"not a directory");
}

// ---------------------------------------------------------------------------------------
// generate
// ---------------------------------------------------------------------------------------

fn generate(out: &Path, seed: &str) -> Output {
    bin()
        .args([
            "generate",
            "--out",
            utf8(out),
            "--seed",
            seed,
            "--days",
            "3",
            "--linked",
            "3",
        ])
        .output()
        .expect("run trustsim")
}

#[test]
fn generate_refuses_a_foreign_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "x").expect("write");
    assert_refused(&generate(&dir, "1"), "(notes.txt)");
    // A hand-written scenario is not a generated one either.
    std::fs::write(dir.join("scenario.toml"), "start = \"2026-03-01\"\n").expect("write");
    assert_refused(&generate(&dir, "1"), "scenario.toml");
    assert_eq!(snapshot(&dir).len(), 2);
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn generate_replaces_its_own_scenario_and_keeps_files_added_to_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fleet");
    assert!(generate(&dir, "1").status.success());
    assert!(dir.join(SCENARIO_MARKER).is_file());
    std::fs::write(dir.join("README.md"), "what this fleet is for").expect("write");
    let usage = std::fs::read(dir.join("usage.csv")).expect("usage");
    assert!(generate(&dir, "2").status.success());
    assert_ne!(std::fs::read(dir.join("usage.csv")).expect("usage"), usage);
    assert_eq!(
        std::fs::read(dir.join("README.md")).expect("kept"),
        b"what this fleet is for"
    );
    // A scenario generated before markers existed is recognised by its description.
    std::fs::remove_file(dir.join(SCENARIO_MARKER)).expect("rm");
    assert!(generate(&dir, "1").status.success());
    assert_eq!(std::fs::read(dir.join("usage.csv")).expect("usage"), usage);
    assert_eq!(temporaries(tmp.path()), Vec::<String>::new());
}

#[test]
fn generate_never_writes_through_a_symlinked_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fleet");
    assert!(generate(&dir, "1").status.success());
    let outside = tmp.path().join("outside.csv");
    std::fs::write(&outside, "not yours").expect("write");
    std::fs::remove_file(dir.join("usage.csv")).expect("rm");
    std::os::unix::fs::symlink(&outside, dir.join("usage.csv")).expect("symlink");
    assert_refused(&generate(&dir, "2"), "its usage.csv is a symbolic link");
    assert_eq!(std::fs::read(&outside).expect("outside"), b"not yours");
    assert!(is_symlink(&dir.join("usage.csv")));
}

// ---------------------------------------------------------------------------------------
// Leftovers: signals, kills, scratch directories
// ---------------------------------------------------------------------------------------

/// Two slow scenarios and a complete run of the first into `<tmp>/reports/out`.
struct Previous {
    _tmp: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    out: PathBuf,
    parent: PathBuf,
    before: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Previous {
    fn new() -> Previous {
        let tmp = crate::properties::scratch();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        slow_scenario(&a, 11);
        slow_scenario(&b, 12);
        let parent = tmp.path().join("reports");
        let out = parent.join("out");
        let prev = Previous {
            _tmp: tmp,
            a,
            b,
            out,
            parent,
            before: Default::default(),
        };
        prev.restore();
        Previous {
            before: snapshot(&prev.out),
            ..prev
        }
    }

    /// Writes the first scenario's reports again.
    fn restore(&self) {
        complete(bin().args(["run", utf8(&self.a), "--out", utf8(&self.out)]));
    }
}

/// Sends `signal` to a run of `scenario` once its staging directory exists; returns the
/// exit code, or None when the run finished before it could be interrupted.
fn interrupt_run(scenario: &Path, out: &Path, signal: libc::c_int) -> Option<i32> {
    let mut child = bin()
        .args(["run", utf8(scenario), "--out", utf8(out)])
        .spawn()
        .expect("spawn");
    let parent = out.parent().expect("parent");
    if !wait_for_temporary(&mut child, parent) {
        let _ = finish(child);
        return None;
    }
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: signalling our own child, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    finish(child)
}

#[test]
fn sigint_and_sigterm_while_writing_remove_the_temporary_directory() {
    let prev = Previous::new();
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        // A signal right after staging lands while writing; a few tries in case the run
        // was faster than the look at its directory.
        let mut landed = false;
        for _ in 0..5 {
            let got = interrupt_run(&prev.b, &prev.out, signal);
            assert_eq!(
                temporaries(&prev.parent),
                Vec::<String>::new(),
                "signal {signal}"
            );
            if got == Some(code) && snapshot(&prev.out) == prev.before {
                landed = true;
                break;
            }
            assert!(
                got == Some(code) || got == Some(0),
                "signal {signal}: {got:?}"
            );
            prev.restore();
        }
        assert!(landed, "signal {signal} never landed while writing");
    }
}

#[test]
fn the_next_run_sweeps_what_a_killed_run_left_and_spares_a_live_runs_temporary() {
    let prev = Previous::new();
    let (b, out, before, parent) = (&prev.b, &prev.out, &prev.before, &prev.parent);
    // Killed as soon as its staging directory exists: it is left behind.
    let mut child = bin()
        .args(["run", utf8(b), "--out", utf8(out)])
        .spawn()
        .expect("spawn");
    assert!(wait_for_temporary(&mut child, parent), "the run staged");
    let _ = child.kill();
    let _ = finish(child);
    assert_eq!(&snapshot(out), before, "killed before the swap");
    let left = temporaries(parent);
    assert_eq!(left.len(), 1, "{left:?}");

    // The next run sweeps it as it stages; stopped there, it is a live run whose own
    // temporary another run must not sweep.
    let mut stopped = bin()
        .args(["run", utf8(b), "--out", utf8(out)])
        .spawn()
        .expect("spawn");
    let pid = libc::pid_t::try_from(stopped.id()).expect("pid");
    let clock = std::time::Instant::now();
    let live = loop {
        let now: Vec<String> = temporaries(parent)
            .into_iter()
            .filter(|n| !left.contains(n))
            .collect();
        if !now.is_empty() {
            break now;
        }
        assert!(
            stopped.try_wait().expect("wait").is_none(),
            "the run exited"
        );
        assert!(clock.elapsed().as_secs() < 60, "no second temporary");
        std::thread::sleep(std::time::Duration::from_micros(200));
    };
    // SAFETY: signalling our own, unreaped child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    assert_eq!(
        temporaries(parent),
        live,
        "the killed run's temporary is swept"
    );
    complete(bin().args(["run", utf8(b), "--out", utf8(out)]));
    assert_eq!(
        temporaries(parent),
        live,
        "the live run's temporary is kept"
    );
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    assert_eq!(finish(stopped), Some(0));
    assert_eq!(temporaries(parent), Vec::<String>::new());
}

#[test]
fn check_leaves_no_scratch_directory_after_a_match_a_signal_or_a_kill() {
    let tmp = crate::properties::scratch();
    let s = tmp.path().join("s");
    slow_scenario(&s, 21);
    let scratch = tmp.path().join("tmpdir");
    std::fs::create_dir(&scratch).expect("mkdir");
    let check = || {
        let mut c = bin();
        c.args(["check", utf8(&s)]).env("TMPDIR", &scratch);
        c
    };
    complete(bin().args(["check", "--bless", utf8(&s)]));
    complete(&mut check());
    assert_eq!(temporaries(&scratch), Vec::<String>::new(), "after a match");

    let mut child = check().spawn().expect("spawn");
    assert!(wait_for_temporary(&mut child, &scratch));
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: signalling our own, unreaped child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let code = finish(child);
    assert!(code == Some(143) || code == Some(0), "{code:?}");
    assert_eq!(temporaries(&scratch), Vec::<String>::new(), "after SIGTERM");

    let mut child = check().spawn().expect("spawn");
    assert!(wait_for_temporary(&mut child, &scratch));
    let _ = child.kill();
    let _ = finish(child);
    assert_eq!(
        temporaries(&scratch).len(),
        1,
        "a kill leaves the scratch directory"
    );
    complete(&mut check());
    assert_eq!(
        temporaries(&scratch),
        Vec::<String>::new(),
        "swept by the next check"
    );
}

// ---------------------------------------------------------------------------------------
// The module boundary
// ---------------------------------------------------------------------------------------

/// Every write goes through `trustsim::output`: no other module of the library creates,
/// renames or removes files or directories itself.
#[test]
fn every_write_goes_through_the_output_module() {
    const WRITES: [&str; 12] = [
        "File::create",
        "OpenOptions",
        "fs::write",
        "fs::rename",
        "fs::remove_file",
        "fs::remove_dir",
        "fs::create_dir",
        "fs::copy",
        "fs::hard_link",
        "set_permissions",
        "tempfile::",
        "tempdir",
    ];
    let src = crate::util::root().join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path != src.join("output") {
                    stack.push(path);
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            // Unit tests may make their own scratch files.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for w in WRITES {
                if code.contains(w) {
                    offenders.push(format!("{}: {w}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "writes outside src/output/:\n{}",
        offenders.join("\n")
    );
    assert!(crate::util::root().join("src/output/mod.rs").is_file());
}
