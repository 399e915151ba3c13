//! Fault injection: `run`, `check --bless` and `generate` killed with SIGKILL at many points
//! leave the previous output byte for byte or the new one complete, and the next write
//! leaves nothing behind (SPEC §6).
//!
//! No hook in the product: the child is killed after a random delay (a fixed seed, so a
//! failure replays), either from its start or from the moment its staging directory
//! appears, on a generated scenario large enough that writing takes a good part of a run.
//! `TRUSTSIM_CRASH_CASES=N` kills each command N times (default: 6 runs, 3 blesses, 3
//! generates); each case prints nothing unless it fails, and the totals go to stderr.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use trustsim::generate::{generate, GenerateParams};

/// The seed of every kill delay.
const SEED: u64 = 0x6b69_6c6c;

/// Longer than any case may take: a hang fails instead of blocking the suite.
const DEADLINE: Duration = Duration::from_secs(120);

/// A scenario whose run writes several MB of reports: a few hundred ms in a debug build,
/// most of it formatting and writing.
pub fn slow_params(seed: u64) -> GenerateParams {
    GenerateParams {
        seed,
        days: 7,
        mains: 1,
        linked_per_main: 30,
        resources_per_account: 2,
        ..GenerateParams::default()
    }
}

/// Generates the slow scenario `seed` into `dir`.
pub fn slow_scenario(dir: &Path, seed: u64) {
    generate(&slow_params(seed), dir).expect("generate the slow scenario");
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trustsim"));
    c.arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

pub fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every entry under `dir`, recursively, with its bytes (a directory as `/`, a symbolic
/// link as `-> target`).
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(at)
            .unwrap_or_else(|e| panic!("{}: {e}", at.display()))
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path
                .strip_prefix(root)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            let md = std::fs::symlink_metadata(&path).expect("stat");
            if md.file_type().is_symlink() {
                let to = std::fs::read_link(&path).expect("readlink");
                out.insert(rel, format!("-> {}", to.display()).into_bytes());
            } else if md.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// The temporaries in `dir`: staging, fallback and scratch directories of trustsim.
pub fn temporaries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-") || n.contains(".old-"))
        .collect();
    names.sort();
    names
}

/// Waits until a temporary appears in `dir` (true) or the child exits first (false).
pub fn wait_for_temporary(child: &mut Child, dir: &Path) -> bool {
    let clock = Instant::now();
    loop {
        if !temporaries(dir).is_empty() {
            return true;
        }
        if child.try_wait().expect("try_wait").is_some() {
            return false;
        }
        assert!(
            clock.elapsed() < DEADLINE,
            "no temporary appeared and no exit"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Waits for the child with a deadline; returns its exit code (None: killed by a signal).
pub fn finish(mut child: Child) -> Option<i32> {
    let clock = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if clock.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("trustsim hung");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Runs a command to completion; panics unless it succeeds.
pub fn complete(cmd: &mut Command) {
    let out = cmd.output().expect("run trustsim");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Cases per command: `TRUSTSIM_CRASH_CASES`, or the default.
fn cases(default: usize) -> usize {
    std::env::var("TRUSTSIM_CRASH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One command under test: how to start the write of the new output, where its
/// temporaries appear, and how to put the previous output back completely.
struct Subject<'a> {
    name: &'static str,
    /// The command writing the new output.
    killed: &'a dyn Fn() -> Command,
    /// Prepares the inputs of the killed command (before each case).
    before: &'a dyn Fn(),
    /// Writes the previous output again, to completion: "the next run".
    next: &'a dyn Fn(),
    /// Where the output is, and where its temporaries go.
    output: PathBuf,
    temp_dir: PathBuf,
    old: BTreeMap<String, Vec<u8>>,
    new: BTreeMap<String, Vec<u8>>,
}

#[derive(Default, Debug)]
struct Tally {
    old: usize,
    new: usize,
    /// Kills that left a temporary behind (they landed while writing).
    mid_write: usize,
}

/// Kills the subject's command `n` times and checks every outcome.
fn kill_repeatedly(s: &Subject<'_>, n: usize, rng: &mut ChaCha8Rng) -> Tally {
    // One complete run of the killed command to scale the delays (never asserted on).
    (s.before)();
    let clock = Instant::now();
    let mut child = (s.killed)().spawn().expect("spawn");
    let staged = wait_for_temporary(&mut child, &s.temp_dir);
    let to_staging = clock.elapsed();
    assert_eq!(
        finish(child),
        Some(0),
        "{}: the uninterrupted write",
        s.name
    );
    let total = clock.elapsed();
    let writing = if staged { total - to_staging } else { total };
    assert_eq!(snapshot(&s.output), s.new, "{}: the new output", s.name);
    (s.next)();
    assert_eq!(
        snapshot(&s.output),
        s.old,
        "{}: the previous output",
        s.name
    );

    let mut tally = Tally::default();
    for case in 0..n {
        (s.before)();
        let mut child = (s.killed)().spawn().expect("spawn");
        // Most kills aim at the write: after the staging directory appears (the first one
        // at once); the others anywhere from the start.
        let from_staging = case % 3 != 2;
        let delay = if case == 0 {
            Duration::ZERO
        } else if from_staging {
            writing.mul_f64(rng.gen_range(0.0..1.2))
        } else {
            total.mul_f64(rng.gen_range(0.0..1.1))
        };
        if !from_staging || wait_for_temporary(&mut child, &s.temp_dir) {
            std::thread::sleep(delay);
        }
        let _ = child.kill();
        let _ = finish(child);
        let what = format!("{} case {case} (seed {SEED:#x}, delay {delay:?})", s.name);
        let now = snapshot(&s.output);
        if now == s.old {
            tally.old += 1;
        } else if now == s.new {
            tally.new += 1;
        } else {
            panic!("{what}: the output is neither the previous nor the new one");
        }
        if !temporaries(&s.temp_dir).is_empty() {
            tally.mid_write += 1;
        }
        (s.next)();
        assert_eq!(snapshot(&s.output), s.old, "{what}: after the next write");
        assert_eq!(
            temporaries(&s.temp_dir),
            Vec::<String>::new(),
            "{what}: left behind after the next write"
        );
    }
    assert!(
        tally.mid_write > 0,
        "{}: no kill landed while writing: {tally:?}",
        s.name
    );
    eprintln!("crash {}: {n} kills: {tally:?}", s.name);
    tally
}

#[test]
fn killed_runs_leave_the_previous_or_the_new_reports_and_the_next_run_cleans_up() {
    let tmp = crate::properties::scratch();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    slow_scenario(&a, 1);
    slow_scenario(&b, 2);
    let out = tmp.path().join("reports").join("out");
    let run = |scenario: &Path| {
        let mut c = bin();
        c.args(["run", utf8(scenario), "--out", utf8(&out)]);
        c
    };
    complete(&mut run(&b));
    let new = snapshot(&out);
    complete(&mut run(&a));
    let old = snapshot(&out);
    assert_ne!(old, new);
    let subject = Subject {
        name: "run",
        killed: &|| run(&b),
        before: &|| {},
        next: &|| complete(&mut run(&a)),
        output: out.clone(),
        temp_dir: tmp.path().join("reports"),
        old,
        new,
    };
    kill_repeatedly(&subject, cases(6), &mut ChaCha8Rng::seed_from_u64(SEED));
}

#[test]
fn killed_blesses_keep_expected_whole_and_the_analysts_files() {
    let tmp = crate::properties::scratch();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    slow_scenario(&a, 3);
    slow_scenario(&b, 4);
    let s = tmp.path().join("s");
    let use_version = |from: &Path| {
        std::fs::create_dir_all(&s).expect("mkdir");
        for f in trustsim::generate::FILES {
            std::fs::copy(from.join(f), s.join(f)).expect("copy");
        }
    };
    let bless = || {
        let mut c = bin();
        c.args(["check", "--bless", utf8(&s)]);
        c
    };
    let expected = s.join("expected");
    use_version(&b);
    complete(&mut bless());
    std::fs::write(expected.join("NOTES.md"), "why these rows are right").expect("write");
    std::fs::create_dir(expected.join("plots")).expect("mkdir");
    std::fs::write(expected.join("plots/payer.svg"), "<svg/>").expect("write");
    let new = snapshot(&expected);
    use_version(&a);
    complete(&mut bless());
    let old = snapshot(&expected);
    assert_ne!(old, new);
    assert!(old.contains_key("NOTES.md") && old.contains_key("plots/payer.svg"));
    let subject = Subject {
        name: "check --bless",
        killed: &bless,
        before: &|| use_version(&b),
        next: &|| {
            use_version(&a);
            complete(&mut bless());
        },
        output: expected.clone(),
        temp_dir: s.clone(),
        old,
        new,
    };
    kill_repeatedly(&subject, cases(3), &mut ChaCha8Rng::seed_from_u64(SEED + 1));
}

#[test]
fn killed_generates_never_leave_a_partial_scenario() {
    let tmp = crate::properties::scratch();
    let out = tmp.path().join("fleet");
    let gen = |seed: u64| {
        let p = GenerateParams {
            days: 21,
            linked_per_main: 60,
            ..slow_params(seed)
        };
        let mut c = bin();
        c.args(["generate", "--out", utf8(&out)]);
        c.args(["--seed", &p.seed.to_string(), "--days", &p.days.to_string()]);
        c.args(["--mains", "1", "--linked", &p.linked_per_main.to_string()]);
        c.args(["--resources", "2"]);
        c
    };
    complete(&mut gen(6));
    let new = snapshot(&out);
    complete(&mut gen(5));
    let old = snapshot(&out);
    assert_ne!(old, new);
    let subject = Subject {
        name: "generate",
        killed: &|| gen(6),
        before: &|| {},
        next: &|| complete(&mut gen(5)),
        output: out.clone(),
        temp_dir: tmp.path().to_path_buf(),
        old,
        new,
    };
    kill_repeatedly(&subject, cases(3), &mut ChaCha8Rng::seed_from_u64(SEED + 2));
}
