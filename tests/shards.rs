//! Shards, their merge and bounded memory (SPEC §10.9, §8): merged shards equal the
//! unsharded run byte for byte for every N and any order of the shard directories, and so
//! does a run under `--max-memory`; a shard builds only its own usage rows but checks them
//! all; a broken set of shards is a clear error (exit 2).

use crate::properties::{self, case_count, render, scratch, Rows};
use crate::util::root;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use trustsim::shard::ShardId;
use trustsim::{Error, RunOptions};

/// A generated scenario of `parts` independent components (and any the generator ties
/// together), written into `dir`.
fn many_components(dir: &Path, seed: u64, parts: usize) -> Rows {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        properties::config(1),
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &bytes,
        ),
    );
    let mut draw = || {
        properties::case()
            .new_tree(&mut runner)
            .expect("generate")
            .current()
    };
    let first = draw();
    let mut rows = render(&first.world, &first.body, "");
    for i in 0..parts {
        rows = rows.union(&render(&first.world, &draw().body, &format!("c{i}-")), seed);
    }
    std::fs::create_dir_all(dir).expect("mkdir");
    rows.write(dir, &first.world.toml());
    rows
}

/// Every file of a report directory but the marker, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("report dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        out.insert(name, std::fs::read(e.path()).expect("read"));
    }
    out
}

fn assert_same_files(a: &Path, b: &Path, what: &str) {
    let (x, y) = (files(a), files(b));
    assert_eq!(
        x.keys().collect::<Vec<_>>(),
        y.keys().collect::<Vec<_>>(),
        "{what}: the same files"
    );
    for (name, bytes) in &x {
        if bytes != &y[name] {
            let (l, r) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&y[name]),
            );
            let line = l.lines().zip(r.lines()).position(|(p, q)| p != q);
            panic!("{what}: {name} differs (first at line {line:?})");
        }
    }
}

fn options(out: &Path) -> RunOptions {
    RunOptions {
        out: Some(out.to_path_buf()),
        ..RunOptions::default()
    }
}

/// Runs the N shards of `dir` into `tmp/<tag>-K`, returning their directories in order.
fn run_shards(dir: &Path, tmp: &Path, tag: &str, n: usize, focus: bool) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let out = tmp.join(format!("{tag}-{k}"));
            let o = RunOptions {
                shard: Some(ShardId { k, n }),
                focus,
                ..options(&out)
            };
            trustsim::run(dir, &o).expect("shard runs");
            out
        })
        .collect()
}

#[test]
fn merged_shards_equal_the_unsharded_run_for_every_n_and_any_argument_order() {
    let tmp = scratch();
    // Each case is 14 runs and 8 merges: the long profile's 100,000 cases would take days,
    // so it is capped (TRUSTSIM_PROPTEST_CASES still scales it up to the cap).
    for seed in 0..u64::from(case_count(3).min(500)) {
        let dir = tmp.path().join(format!("s{seed}"));
        many_components(&dir, seed, 9);
        let focus = seed % 2 == 1;
        let full = tmp.path().join(format!("full{seed}"));
        let summary = trustsim::run(
            &dir,
            &RunOptions {
                focus,
                ..options(&full)
            },
        )
        .expect("runs");
        assert!(
            summary.components >= 4,
            "many components: {}",
            summary.components
        );
        for n in [1, 2, 3, 7] {
            let tag = format!("s{seed}n{n}");
            let mut shards = run_shards(&dir, tmp.path(), &tag, n, focus);
            let merged = tmp.path().join(format!("{tag}-merged"));
            trustsim::merge(&shards, Some(&merged)).expect("merges");
            assert_same_files(&full, &merged, &format!("seed {seed}, N = {n}"));
            // Any order of the arguments: reversed, and rotated by one.
            shards.reverse();
            shards.rotate_left(1);
            let again = tmp.path().join(format!("{tag}-again"));
            trustsim::merge(&shards, Some(&again)).expect("merges");
            assert_same_files(&merged, &again, &format!("seed {seed}, N = {n}, reordered"));
        }
    }
}

#[test]
fn a_bounded_run_equals_the_unbounded_one_whatever_the_groups() {
    let tmp = scratch();
    let dir = tmp.path().join("s");
    many_components(&dir, 11, 9);
    let full = tmp.path().join("full");
    trustsim::run(&dir, &options(&full)).expect("runs");
    // 1 byte: every component alone; 70 MiB: a few groups or one; 1 TiB: one group.
    for (bound, at_least_groups) in [(1u64, 2usize), (70 << 20, 1), (1 << 40, 1)] {
        let out = tmp.path().join(format!("b{bound}"));
        let s = trustsim::run(
            &dir,
            &RunOptions {
                max_memory: Some(bound),
                ..options(&out)
            },
        )
        .expect("bounded run");
        assert_same_files(&full, &out, &format!("--max-memory {bound}"));
        if at_least_groups > 1 {
            assert!(
                s.notes.iter().any(|n| n.contains("groups"))
                    && s.notes.iter().any(|n| n.contains("alone")),
                "a bound below every component says so: {:?}",
                s.notes
            );
        }
    }
    let spill: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("spill"))
        .collect();
    assert!(
        spill.is_empty(),
        "the spill directories are removed: {spill:?}"
    );
}

#[test]
fn a_shard_builds_only_its_own_usage_rows() {
    let tmp = scratch();
    let dir = tmp.path().join("s");
    many_components(&dir, 5, 6);
    let full = trustsim::run(&dir, &options(&tmp.path().join("full"))).expect("runs");
    let n = 3;
    let mut kept = 0;
    let plan = trustsim::shard_plan(&dir, &RunOptions::default(), n).expect("plan");
    for k in 1..=n {
        let s = trustsim::run(
            &dir,
            &RunOptions {
                shard: Some(ShardId { k, n }),
                ..options(&tmp.path().join(format!("k{k}")))
            },
        )
        .expect("shard");
        assert_eq!(
            s.usage_rows as u64,
            plan.loads[k - 1].usage_rows,
            "shard {k} keeps its plan's rows"
        );
        kept += s.usage_rows;
    }
    assert_eq!(kept, full.usage_rows, "every row is in exactly one shard");
    let most = plan.loads.iter().map(|l| l.usage_rows).max().unwrap_or(0);
    assert!(
        most < full.usage_rows as u64,
        "no shard holds every row: {plan:?}"
    );
}

#[test]
fn a_shard_of_a_bad_scenario_fails_like_the_full_run() {
    let tmp = scratch();
    let dir = tmp.path().join("s");
    let rows = many_components(&dir, 2, 6);
    // Bad rows on resources of every shard: an unknown resource, a bad amount, and a second
    // subscription order at one instant for every subscription resource's first order.
    let mut usage = std::fs::read_to_string(dir.join("usage.csv")).expect("usage");
    for row in rows.table("usage.csv").iter().take(40) {
        let f: Vec<&str> = row.split(',').collect();
        usage.push_str(&format!("{},{},-1\n", f[0], f[1]));
        usage.push_str(&format!("{},{},{}\n", f[0], f[1], f[2]));
    }
    usage.push_str("2026-03-01T00:00:00+08:00,nobody,1\n");
    std::fs::write(dir.join("usage.csv"), usage).expect("write");
    // A rejected account (its id still defined, SPEC §7) that an event and a resource name:
    // an id past the loaded accounts, which the shard plan must not trip over.
    let main = rows.table("accounts.csv")[0]
        .split(',')
        .next()
        .expect("an id")
        .to_string();
    let mut accounts = std::fs::read_to_string(dir.join("accounts.csv")).expect("accounts");
    let width = accounts.lines().next().expect("header").split(',').count();
    accounts.push_str(&format!("~rejected,e,not-money{}\n", ",".repeat(width - 3)));
    std::fs::write(dir.join("accounts.csv"), accounts).expect("write");
    let mut events = std::fs::read_to_string(dir.join("events.csv")).expect("events");
    let when = rows.table("usage.csv")[0]
        .split(',')
        .next()
        .expect("a time")
        .to_string();
    events.push_str(&format!("{when},establish,~rejected,{main},,,\n"));
    std::fs::write(dir.join("events.csv"), events).expect("write");
    let problems = |r: Result<trustsim::RunSummary, Error>| match r {
        Err(Error::Scenario(p)) => p,
        other => panic!("expected problems, got {other:?}"),
    };
    let full = problems(trustsim::run(&dir, &options(&tmp.path().join("full"))));
    assert!(!full.is_empty());
    for k in 1..=3 {
        let o = RunOptions {
            shard: Some(ShardId { k, n: 3 }),
            ..options(&tmp.path().join(format!("k{k}")))
        };
        assert_eq!(problems(trustsim::run(&dir, &o)), full, "shard {k}/3");
        assert!(
            !tmp.path().join(format!("k{k}")).exists(),
            "nothing written"
        );
    }
    let bounded = RunOptions {
        max_memory: Some(1),
        ..options(&tmp.path().join("b"))
    };
    assert_eq!(
        problems(trustsim::run(&dir, &bounded)),
        full,
        "--max-memory"
    );
}

fn trustsim(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("TRUSTSIM_SHARDS")
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_refuses_a_broken_set_and_bad_flags_with_exit_2() {
    let tmp = scratch();
    let t = tmp.path();
    let scen = root().join("scenarios/quickstart");
    let s = scen.to_string_lossy().into_owned();
    for (k, n) in [(1, 2), (2, 2), (1, 3)] {
        let (code, _, err) = trustsim(
            &[
                "run",
                &s,
                "--shard",
                &format!("{k}/{n}"),
                "--out",
                &format!("k{k}of{n}"),
            ],
            t,
        );
        assert_eq!(code, 0, "{err}");
    }
    // Default output names, and the plan writes nothing.
    let (code, plan, _) = trustsim(&["run", &s, "--shard-plan", "2"], t);
    assert_eq!(code, 0);
    assert!(
        plan.contains("1/2") && plan.contains("2/2") && plan.contains("usage_rows"),
        "{plan}"
    );
    assert!(!t.join("output").exists(), "--shard-plan writes nothing");
    let cases: &[(&[&str], &str)] = &[
        (&["merge", "k1of2", "--out", "m"], "incomplete"),
        (
            &["merge", "k1of2", "k1of2", "k2of2", "--out", "m"],
            "both shard 1 of 2",
        ),
        (&["merge", "k1of2", "k1of3", "--out", "m"], "split into 2"),
        (
            &["merge", "k1of2", "nothing", "--out", "m"],
            "nothing is not a shard directory",
        ),
        (&["run", &s, "--shard", "3/2"], "K must be 1 to N"),
        (&["run", &s, "--shard", "auto"], "no batch engine"),
        (&["run", &s, "--max-memory", "12parsecs"], "unknown unit"),
        // What a merge cannot write (it merges CSV parts) is refused, not silently dropped.
        (
            &["run", &s, "--shard", "1/2", "--html", "--out", "m"],
            "cannot be used with",
        ),
        (
            &[
                "run",
                &s,
                "--max-memory",
                "1GiB",
                "--format",
                "parquet",
                "--out",
                "m",
            ],
            "cannot be used with",
        ),
    ];
    for (args, expect) in cases {
        let (code, _, err) = trustsim(args, t);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!t.join("m").exists(), "{args:?} wrote nothing");
    }
    // A shard directory is not a report directory: a run refuses to write over it (exit 3).
    let (code, _, err) = trustsim(&["run", &s, "--out", "k1of2"], t);
    assert_eq!(code, 3, "{err}");
    let (code, out, err) = trustsim(&["merge", "k2of2", "k1of2", "--out", "m"], t);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("merged 2 shards"), "{out}");
    let (code, _, err) = trustsim(&["run", &s, "--out", "full"], t);
    assert_eq!(code, 0, "{err}");
    assert_same_files(&t.join("full"), &t.join("m"), "quickstart, N = 2, CLI");
}

#[test]
fn shard_auto_reads_the_batch_engine() {
    let tmp = scratch();
    let scen = root().join("scenarios/quickstart");
    let out = Command::new(env!("CARGO_BIN_EXE_trustsim"))
        .args(["run", &scen.to_string_lossy(), "--shard", "auto", "--quiet"])
        .current_dir(tmp.path())
        .env("SLURM_ARRAY_TASK_ID", "5")
        .env("SLURM_ARRAY_TASK_MIN", "4")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
        .env_remove("TRUSTSIM_SHARDS")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = std::fs::read_dir(tmp.path().join("output"))
        .expect("output/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert_eq!(name, ["quickstart.shard-2-of-3"]);
}

/// The four bytes every zstd frame begins with (RFC 8878 §3.1.1).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A generated fleet of two mains, some 40,000 bills: more than two batches of bills, so its
/// parts hold many frames. Returns the scenario and its unsharded run's reports.
fn fleet(tmp: &Path) -> (PathBuf, PathBuf) {
    let dir = tmp.join("fleet");
    let params = trustsim::generate::GenerateParams {
        mains: 2,
        linked_per_main: 10,
        resources_per_account: 2,
        days: 30,
        ..trustsim::generate::GenerateParams::default()
    };
    trustsim::generate::generate(&params, &dir).expect("generate");
    let full = tmp.join("fleet-full");
    trustsim::run(&dir, &options(&full)).expect("runs");
    (dir, full)
}

/// The files of a shard directory whose name ends in `ending`, by name.
fn shard_files(dir: &Path, ending: &str) -> BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|(name, _)| name.ends_with(ending))
        .collect()
}

#[test]
fn parts_and_keys_are_zstd_of_the_reports_own_bytes_whatever_the_thread_count() {
    let tmp = scratch();
    let (dir, full) = fleet(tmp.path());
    let shard = |threads: usize| {
        let out = tmp.path().join(format!("t{threads}"));
        let o = RunOptions {
            shard: Some(ShardId { k: 1, n: 1 }),
            focus: true,
            ..options(&out)
        };
        crate::util::with_threads(threads, || trustsim::run(&dir, &o)).expect("shard runs");
        out
    };
    let (one, four) = (shard(1), shard(4));
    let parts = shard_files(&one, ".part");
    let keys = shard_files(&one, ".keys");
    assert_eq!(parts.len(), 10, "nine reports and focus.csv: {parts:?}");
    assert_eq!(keys.len(), 10);
    for (name, bytes) in parts.iter().chain(&keys) {
        assert!(bytes.starts_with(&ZSTD_MAGIC), "{name} is zstd");
    }
    // The only shard of one: each part decodes to its report, byte for byte.
    for (name, bytes) in &parts {
        let report = name.trim_end_matches(".part");
        let plain = zstd::decode_all(&bytes[..]).expect("decodes");
        if report == "focus.csv" {
            assert!(plain.starts_with(b"BilledCost,"), "focus.csv's header");
            continue;
        }
        let want = std::fs::read(full.join(report)).expect("report");
        assert!(plain == want, "{name} decodes to {report}");
        if report == "bills.csv" {
            assert!(
                bytes.len() * 5 < want.len(),
                "bills.csv.part is compressed: {} of {} bytes",
                bytes.len(),
                want.len()
            );
        }
    }
    let keys_text = zstd::decode_all(&keys["bills.csv.keys"][..]).expect("decodes");
    assert!(keys_text.starts_with(b"trustsim-keys 1 24\n"));
    let bills = std::fs::read(full.join("bills.csv")).expect("bills.csv");
    let bills = memchr::memchr_iter(b'\n', &bills).count() - 1;
    assert!(bills > 1 << 14, "more than a batch of bills: {bills}");
    assert_eq!(keys_text.len(), 19 + 24 * bills, "a key per bill");
    // The chunks are fixed, so the frames are: 1 and 4 threads write the same bytes.
    for ending in [".part", ".keys"] {
        assert!(
            shard_files(&one, ending) == shard_files(&four, ending),
            "{ending} files are the same with 1 and 4 threads"
        );
    }
}

/// Copies the files of `from` into a new directory `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("mkdir");
    for (name, bytes) in files(from) {
        std::fs::write(to.join(name), bytes).expect("write");
    }
}

#[test]
fn a_damaged_or_old_shard_is_a_clear_error_and_nothing_is_written() {
    let tmp = scratch();
    let t = tmp.path();
    let (dir, full) = fleet(t);
    let shards = run_shards(&dir, t, "k", 2, false);
    let merged = t.join("merged");
    trustsim::merge(&shards, Some(&merged)).expect("merges");
    assert_same_files(&full, &merged, "the fleet, N = 2");
    let path = |d: &Path| d.to_string_lossy().into_owned();
    type Damage = fn(&mut Vec<u8>);
    let damages: &[(&str, &str, Damage)] = &[
        ("a flipped byte", "bills.csv.part", |b| {
            let i = b.len() / 2;
            b[i] ^= 0x20;
        }),
        ("a flipped byte", "ledger.csv.keys", |b| {
            let i = b.len() / 2;
            b[i] ^= 0x01;
        }),
        ("cut inside a frame", "bills.csv.part", |b| {
            b.truncate(b.len() / 2);
        }),
        ("cut in the last checksum", "ledger.csv.part", |b| {
            b.truncate(b.len() - 2);
        }),
        ("cut inside a frame", "bills.csv.keys", |b| {
            b.truncate(b.len() - 9);
        }),
        ("not zstd", "summary.csv.part", |b| {
            *b = b"account_id\n".to_vec();
        }),
        (
            "a frame with a window no writer uses",
            "summary.csv.part",
            |b| {
                let mut text = zstd::decode_all(&b[..]).expect("decodes");
                text.resize(3 << 20, b'x');
                *b = zstd::encode_all(&text[..], 19).expect("encodes");
            },
        ),
    ];
    for (i, (what, file, damage)) in damages.iter().enumerate() {
        let broken = t.join(format!("broken{i}"));
        copy_dir(&shards[1], &broken);
        let mut bytes = std::fs::read(broken.join(file)).expect("read");
        damage(&mut bytes);
        std::fs::write(broken.join(file), bytes).expect("write");
        let out = t.join(format!("m{i}"));
        let (code, _, err) = trustsim(
            &[
                "merge",
                &path(&shards[0]),
                &path(&broken),
                "--out",
                &path(&out),
            ],
            t,
        );
        assert_eq!(code, 2, "{what} in {file}: {err}");
        assert!(
            err.contains(&format!("{file}: "))
                && err.contains("the shard is damaged; run it again"),
            "{what} in {file}: {err}"
        );
        assert!(!out.exists(), "{what} in {file}: nothing written");
    }
    // A shard of trustsim-shard 1 (plain parts, before this format) is refused by name.
    let old = t.join("old");
    copy_dir(&shards[1], &old);
    let meta = std::fs::read_to_string(old.join("shard.meta")).expect("meta");
    let meta = meta.replace("trustsim-shard 2\n", "trustsim-shard 1\n");
    std::fs::write(old.join("shard.meta"), meta).expect("write");
    let out = t.join("m-old");
    let (code, _, err) = trustsim(
        &[
            "merge",
            &path(&shards[0]),
            &path(&old),
            "--out",
            &path(&out),
        ],
        t,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{} is a shard of another format (trustsim-shard 1",
            path(&old)
        )) && err.contains("run that shard again with this trustsim"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}
