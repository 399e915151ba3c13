//! `deploy/` (SPEC §10.9): the Kubernetes manifests hold together as an Indexed Job of
//! `trustsim run --shard auto` and a merge Job on the same volume, and the Slurm scripts parse
//! and keep their promises (`--shard auto`, `afterok`). No cluster runs here: `.ci/slurm.sh`
//! runs the Slurm scripts on a real one. Each manifest check is a function returning the
//! problems it found, so the tests can also plant each mistake and see it caught.

use std::path::{Path, PathBuf};
use std::process::Command;
use yaml_rust2::{Yaml, YamlLoader};

use crate::util::root;

fn deploy(path: &str) -> PathBuf {
    root().join("deploy").join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one YAML document of a manifest's text.
fn parse(text: &str) -> Result<Yaml, String> {
    let mut docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        n => Err(format!("{n} YAML documents, expected one")),
    }
}

/// The node at a dotted path (`spec.template.spec.containers.0`), or which step is missing.
fn at<'y>(y: &'y Yaml, path: &str) -> Result<&'y Yaml, String> {
    let mut node = y;
    for step in path.split('.') {
        node = match step.parse::<usize>() {
            Ok(i) => &node[i],
            Err(_) => &node[step],
        };
        if node.is_badvalue() {
            return Err(format!("{path}: missing"));
        }
    }
    Ok(node)
}

fn str_at<'y>(y: &'y Yaml, path: &str) -> Result<&'y str, String> {
    at(y, path)?
        .as_str()
        .ok_or_else(|| format!("{path}: not a string"))
}

fn int_at(y: &Yaml, path: &str) -> Result<i64, String> {
    at(y, path)?
        .as_i64()
        .ok_or_else(|| format!("{path}: not an integer"))
}

/// `Err(message)` unless `ok`.
fn ensure(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}

/// What a pod of a Job runs and where its volume is.
struct Pod {
    command: Vec<String>,
    env: Vec<(String, Yaml)>,
    claim: String,
    mount: String,
}

/// The Job's pod template: `restartPolicy: Never` (which `backoffLimitPerIndex` requires,
/// and which keeps a failed pod for its logs), one container, its command as strings, its
/// environment, and the one persistent volume claim it mounts.
fn job_pod(job: &Yaml) -> Result<Pod, String> {
    ensure(str_at(job, "apiVersion")? == "batch/v1", || {
        "apiVersion: not batch/v1".into()
    })?;
    ensure(str_at(job, "kind")? == "Job", || "kind: not Job".into())?;
    let spec = at(job, "spec.template.spec")?;
    let restart = str_at(spec, "restartPolicy")?;
    ensure(restart == "Never", || {
        format!("restartPolicy: {restart}, expected Never")
    })?;
    let containers = at(spec, "containers")?
        .as_vec()
        .ok_or("containers: not a list")?;
    ensure(containers.len() == 1, || {
        format!("{} containers, expected one", containers.len())
    })?;
    let container = &containers[0];
    let command = at(container, "command")?
        .as_vec()
        .ok_or("command: not a list")?
        .iter()
        .map(|word| word.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or("command: a word that is not a string")?;
    let env = match at(container, "env") {
        Ok(list) => list
            .as_vec()
            .ok_or("env: not a list")?
            .iter()
            .map(|var| Ok((str_at(var, "name")?.to_string(), var.clone())))
            .collect::<Result<Vec<_>, String>>()?,
        Err(_) => Vec::new(),
    };
    let mounts = at(container, "volumeMounts")?
        .as_vec()
        .ok_or("volumeMounts: not a list")?;
    ensure(mounts.len() == 1, || {
        format!("{} volume mounts, expected one", mounts.len())
    })?;
    let volume = str_at(&mounts[0], "name")?;
    let mount = str_at(&mounts[0], "mountPath")?.to_string();
    let volumes = at(spec, "volumes")?.as_vec().ok_or("volumes: not a list")?;
    let claim = volumes
        .iter()
        .find(|v| v["name"].as_str() == Some(volume))
        .ok_or_else(|| format!("volume {volume} is mounted but not declared"))
        .and_then(|v| str_at(v, "persistentVolumeClaim.claimName"))?
        .to_string();
    Ok(Pod {
        command,
        env,
        claim,
        mount,
    })
}

/// The word after `flag` in a command.
fn value_of<'c>(command: &'c [String], flag: &str) -> Result<&'c str, String> {
    let i = command
        .iter()
        .position(|w| w == flag)
        .ok_or_else(|| format!("command has no {flag}"))?;
    command
        .get(i + 1)
        .map(String::as_str)
        .ok_or_else(|| format!("command: {flag} without a value"))
}

/// The names of the `$(NAME)` references Kubernetes expands in a word.
fn references(word: &str) -> Vec<&str> {
    word.match_indices("$(")
        .filter_map(|(i, _)| word[i + 2..].split_once(')').map(|(name, _)| name))
        .collect()
}

/// The literal `value`s of a pod's environment (not those `valueFrom` sets).
fn values(pod: &Pod) -> Vec<(String, String)> {
    pod.env
        .iter()
        .filter_map(|(name, var)| Some((name.clone(), var["value"].as_str()?.to_string())))
        .collect()
}

/// A word of a command with `$(NAME)` replaced as the kubelet does, from `vars`.
fn expand_k8s(word: &str, vars: &[(String, String)]) -> String {
    vars.iter().fold(word.to_string(), |w, (name, value)| {
        w.replace(&format!("$({name})"), value)
    })
}

/// A `sh -c` script with `$NAME` and `${NAME}` replaced as the shell does, from `vars` (longest
/// names first, so that `$AB` is not read as `$A` then `B`).
fn expand_sh(script: &str, vars: &[(String, String)]) -> String {
    let mut vars = vars.to_vec();
    vars.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    vars.iter().fold(script.to_string(), |s, (name, value)| {
        s.replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value)
    })
}

/// The facts of run-job.yaml the merge Job and the user rely on.
struct RunJob {
    shards: i64,
    claim: String,
    mount: String,
    scenario: String,
    /// The `--out` of index i is this with `$(JOB_COMPLETION_INDEX)` = i (the environment's
    /// other variables expanded).
    out: String,
}

/// run-job.yaml: an Indexed Job of `completions` pods, each `trustsim run SCENARIO --shard
/// auto --out DIR` with `TRUSTSIM_SHARDS` = `completions` (trustsim takes K from the index and
/// N from the variable, SPEC §10.9), DIR distinct per index, on the shared volume, with a
/// retry limit.
fn check_run_job(job: &Yaml) -> Result<RunJob, String> {
    let mode = str_at(job, "spec.completionMode")?;
    ensure(mode == "Indexed", || {
        format!("completionMode: {mode}, expected Indexed")
    })?;
    let completions = int_at(job, "spec.completions")?;
    ensure(completions >= 1, || format!("completions: {completions}"))?;
    let parallelism = int_at(job, "spec.parallelism")?;
    ensure((1..=completions).contains(&parallelism), || {
        format!("parallelism {parallelism} outside 1..={completions}")
    })?;
    let per_index = int_at(job, "spec.backoffLimitPerIndex");
    ensure(
        per_index.is_ok() || at(job, "spec.maxFailedIndexes").is_err(),
        || "maxFailedIndexes needs backoffLimitPerIndex".into(),
    )?;
    let retries = per_index.or_else(|_| int_at(job, "spec.backoffLimit"));
    ensure(retries.is_ok_and(|r| r >= 0), || {
        "neither backoffLimitPerIndex nor backoffLimit is set".into()
    })?;
    let pod = job_pod(job)?;
    let command = &pod.command;
    ensure(
        command.len() > 2 && command[0] == "trustsim" && command[1] == "run",
        || format!("command {command:?} is not `trustsim run …`"),
    )?;
    let scenario = command[2].clone();
    ensure(value_of(command, "--shard")? == "auto", || {
        "command: --shard is not auto".into()
    })?;
    let out = value_of(command, "--out")?.to_string();
    ensure(out.contains("$(JOB_COMPLETION_INDEX)"), || {
        format!("--out {out} is the same for every index")
    })?;
    let shards = pod
        .env
        .iter()
        .find(|(name, _)| name == "TRUSTSIM_SHARDS")
        .ok_or("env has no TRUSTSIM_SHARDS")
        .and_then(|(_, var)| {
            var["value"]
                .as_str()
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or("TRUSTSIM_SHARDS: not a quoted integer")
        })?;
    ensure(shards == completions, || {
        format!("TRUSTSIM_SHARDS is {shards} but completions is {completions}")
    })?;
    for name in command.iter().flat_map(|w| references(w)) {
        ensure(pod.env.iter().any(|(n, _)| n == name), || {
            format!("command uses $({name}), which env does not declare")
        })?;
    }
    if let Some((_, index)) = pod.env.iter().find(|(n, _)| n == "JOB_COMPLETION_INDEX") {
        let field = str_at(index, "valueFrom.fieldRef.fieldPath")?;
        ensure(
            field == "metadata.annotations['batch.kubernetes.io/job-completion-index']",
            || format!("JOB_COMPLETION_INDEX comes from {field}"),
        )?;
    }
    for path in [&scenario, &out] {
        ensure(path.starts_with(&format!("{}/", pod.mount)), || {
            format!("{path} is not on the volume mounted at {}", pod.mount)
        })?;
    }
    let out = expand_k8s(&out, &values(&pod));
    Ok(RunJob {
        shards,
        claim: pod.claim,
        mount: pod.mount,
        scenario,
        out,
    })
}

/// The facts of merge-job.yaml.
struct MergeJob {
    claim: String,
    mount: String,
    /// `TRUSTSIM_SHARDS` when the merge's environment sets it.
    shards: Option<String>,
    /// The shard directories or globs, variables expanded.
    inputs: Vec<String>,
    out: String,
}

/// merge-job.yaml: one pod running `trustsim merge SHARD_DIR... --out DIR`, directly or as a
/// `sh -c` script (for a glob, its variables expanded from the pod's environment), with a
/// retry limit.
fn check_merge_job(job: &Yaml) -> Result<MergeJob, String> {
    let completions = int_at(job, "spec.completions").unwrap_or(1);
    ensure(completions == 1, || format!("completions: {completions}"))?;
    int_at(job, "spec.backoffLimit")?;
    let pod = job_pod(job)?;
    let vars = values(&pod);
    let words: Vec<String> = match pod.command.as_slice() {
        [sh, c, script] if sh.ends_with("sh") && c == "-c" => expand_sh(script, &vars)
            .split_whitespace()
            .skip_while(|w| *w == "exec")
            .map(str::to_string)
            .collect(),
        command => command.to_vec(),
    };
    ensure(
        words.len() > 2 && words[0] == "trustsim" && words[1] == "merge",
        || format!("command {words:?} is not `trustsim merge …`"),
    )?;
    let out = value_of(&words, "--out")?.to_string();
    let inputs: Vec<String> = words[2..]
        .iter()
        .take_while(|w| !w.starts_with("--"))
        .cloned()
        .collect();
    ensure(!inputs.is_empty(), || {
        "merge has no shard directories".into()
    })?;
    for path in inputs.iter().chain([&out]) {
        ensure(path.starts_with(&format!("{}/", pod.mount)), || {
            format!("{path} is not on the volume mounted at {}", pod.mount)
        })?;
    }
    let shards = vars
        .into_iter()
        .find(|(name, _)| name == "TRUSTSIM_SHARDS")
        .map(|(_, value)| value);
    Ok(MergeJob {
        claim: pod.claim,
        mount: pod.mount,
        shards,
        inputs,
        out,
    })
}

/// Whether a shell glob with `*` only (no `?`, `[`) matches `text`.
fn glob_matches(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return glob == text;
    }
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The two Jobs as one pipeline: the merge mounts the claim the run writes to, at the same
/// path, and its inputs are exactly the shard directories of the run's indexes (each matched,
/// nothing else under the shards' directory such as the reports), and it writes its reports
/// outside the shards and the scenario.
fn check_pipeline(run: &RunJob, merge: &MergeJob, pvc: &Yaml) -> Result<(), String> {
    let claim = str_at(pvc, "metadata.name")?;
    ensure(run.claim == claim && merge.claim == claim, || {
        format!(
            "the PVC is {claim}, the run mounts {}, the merge {}",
            run.claim, merge.claim
        )
    })?;
    if let Some(shards) = &merge.shards {
        ensure(*shards == run.shards.to_string(), || {
            format!(
                "the merge's TRUSTSIM_SHARDS is {shards}, the run's {}",
                run.shards
            )
        })?;
    }
    ensure(run.mount == merge.mount, || {
        format!(
            "the run mounts at {}, the merge at {}",
            run.mount, merge.mount
        )
    })?;
    for index in 0..run.shards {
        let dir = run
            .out
            .replace("$(JOB_COMPLETION_INDEX)", &index.to_string());
        ensure(merge.inputs.iter().any(|g| glob_matches(g, &dir)), || {
            format!(
                "the merge reads {:?}, not index {index}'s {dir}",
                merge.inputs
            )
        })?;
    }
    let shards_dir = run.out.rsplit_once('/').map_or("", |(dir, _)| dir);
    for path in [&merge.out, &run.scenario] {
        ensure(!merge.inputs.iter().any(|g| glob_matches(g, path)), || {
            format!("the merge's inputs {:?} match {path}", merge.inputs)
        })?;
    }
    ensure(
        !merge.out.starts_with(&format!("{shards_dir}/")) && merge.out != run.scenario,
        || {
            format!(
                "the merge writes {} among the shards or the scenario",
                merge.out
            )
        },
    )?;
    Ok(())
}

/// The three manifests' texts: run-job, merge-job, pvc.
fn manifests() -> [String; 3] {
    ["run-job.yaml", "merge-job.yaml", "pvc.yaml"].map(|f| read(&deploy(&format!("k8s/{f}"))))
}

/// Every check of the three manifests, from their texts.
fn check_manifests(run: &str, merge: &str, pvc: &str) -> Result<(), String> {
    let run = check_run_job(&parse(run)?).map_err(|e| format!("run-job.yaml: {e}"))?;
    let merge = check_merge_job(&parse(merge)?).map_err(|e| format!("merge-job.yaml: {e}"))?;
    let pvc = parse(pvc)?;
    let modes = at(&pvc, "spec.accessModes")?
        .as_vec()
        .ok_or("accessModes")?;
    ensure(
        modes.iter().any(|m| m.as_str() == Some("ReadWriteMany")),
        || "pvc.yaml: not ReadWriteMany: the pods run on several nodes".into(),
    )?;
    check_pipeline(&run, &merge, &pvc)
}

#[test]
fn the_k8s_manifests_are_an_indexed_run_and_a_merge_on_one_volume() {
    let [run, merge, pvc] = manifests();
    check_manifests(&run, &merge, &pvc).unwrap_or_else(|e| panic!("{e}"));
    let data = job_like_pod(&read(&deploy("k8s/data-pod.yaml")));
    assert_eq!(data, ("trustsim-data".to_string(), "/data".to_string()));
}

/// data-pod.yaml's claim and mount path (it is a Pod, not a Job).
fn job_like_pod(text: &str) -> (String, String) {
    let pod = parse(text).expect("data-pod.yaml parses");
    let mount = &pod["spec"]["containers"][0]["volumeMounts"][0];
    let claim = &pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"];
    (
        claim.as_str().expect("a claim").to_string(),
        mount["mountPath"]
            .as_str()
            .expect("a mount path")
            .to_string(),
    )
}

/// Each planted mistake in the manifests is found, with a message that names it.
#[test]
fn the_manifest_checks_catch_each_mistake() {
    let [run, merge, pvc] = manifests();
    // (what, which manifest: 0 run / 1 merge / 2 pvc, text, replaced by, expected message)
    #[rustfmt::skip]
    let mistakes = [
        ("not indexed", 0, "completionMode: Indexed", "completionMode: NonIndexed", "expected Indexed"),
        ("N ≠ completions", 0, "completions: 4", "completions: 5", "TRUSTSIM_SHARDS is 4 but completions is 5"),
        ("N missing", 0, "name: TRUSTSIM_SHARDS", "name: SHARDS", "no TRUSTSIM_SHARDS"),
        ("restarting pods", 0, "restartPolicy: Never", "restartPolicy: OnFailure", "expected Never"),
        ("a fixed shard", 0, "- auto", "- 1/4", "--shard is not auto"),
        ("one --out for all", 0, "/index-$(JOB_COMPLETION_INDEX)", "/index", "the same for every index"),
        ("undeclared variable", 0, "of-$(TRUSTSIM_SHARDS)", "of-$(SHARDS)", "$(SHARDS), which env does not declare"),
        ("no retry limit", 0, "backoffLimitPerIndex: 1", "# backoffLimitPerIndex: 1", "maxFailedIndexes needs"),
        ("another claim", 1, "claimName: trustsim-data", "claimName: other", "the merge other"),
        ("another mount", 1, "mountPath: /data", "mountPath: /mnt", "not on the volume mounted at /mnt"),
        ("other shards", 1, "/data/work/shards/of-$TRUSTSIM", "/data/work/old/of-$TRUSTSIM", "not index 0's"),
        ("merge of another N", 1, "value: \"4\"", "value: \"3\"", "the merge's TRUSTSIM_SHARDS is 3, the run's 4"),
        ("merge without N", 1, "of-$TRUSTSIM_SHARDS/", "of-$N/", "not index 0's"),
        ("not a merge", 1, "exec trustsim merge", "exec trustsim run", "is not `trustsim merge"),
        ("one node only", 2, "- ReadWriteMany", "- ReadWriteOnce", "not ReadWriteMany"),
    ];
    for (what, which, from, to, message) in mistakes {
        let mut texts = [run.clone(), merge.clone(), pvc.clone()];
        assert!(
            texts[which].contains(from),
            "{what}: {from:?} is not in the manifest"
        );
        texts[which] = texts[which].replacen(from, to, 1);
        match check_manifests(&texts[0], &texts[1], &texts[2]) {
            Ok(()) => panic!("{what}: not caught"),
            Err(e) => assert!(
                e.contains(message),
                "{what}: {e:?} does not say {message:?}"
            ),
        }
    }
}

#[test]
fn globs_match_as_the_shell_does() {
    assert!(glob_matches("/d/index-*", "/d/index-0"));
    assert!(glob_matches("/d/index-*", "/d/index-12"));
    assert!(glob_matches("/d/*-*", "/d/index-1"));
    assert!(!glob_matches("/d/index-*", "/d/reports"));
    assert!(!glob_matches("/d/index-*", "/e/index-0"));
    assert!(glob_matches("/d/x", "/d/x"));
    assert!(!glob_matches("/d/x", "/d/y"));
    assert_eq!(references("/a/$(X)/b-$(Y)"), ["X", "Y"]);
}

/// Every shell script of the deployment: `bash -n` parses it, a user can run it by path, and it stops
/// at the first failing command (`set -euo pipefail`), which is what makes a failed shard fail
/// its task and so the afterok merge.
#[test]
fn the_slurm_scripts_parse_and_stop_at_the_first_error() {
    let scripts = [
        deploy("slurm/run.sbatch"),
        deploy("slurm/merge.sbatch"),
        deploy("slurm/submit.sh"),
        deploy("k8s/run.sh"),
        root().join(".ci/slurm.sh"),
    ];
    for script in &scripts {
        let out = Command::new("bash")
            .arg("-n")
            .arg(script)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "bash -n {}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = read(script);
        assert!(
            text.starts_with("#!/usr/bin/env bash\n"),
            "{}: shebang",
            script.display()
        );
        assert!(
            text.contains("\nset -euo pipefail\n"),
            "{}: set -euo pipefail",
            script.display()
        );
        // A user runs deploy/ scripts by path; .ci/ scripts are run as `bash .ci/NAME.sh`.
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(script).expect("metadata").permissions(),
        );
        let by_path = script.starts_with(deploy(""));
        assert!(
            !by_path || mode & 0o111 != 0,
            "{} is not executable",
            script.display()
        );
    }
}

/// What makes the Slurm pipeline a pipeline: each array task runs `--shard auto` (K and N from
/// the array), the merge waits for `afterok` on the array and is cancelled when it cannot
/// run, and merges that array's shard directories.
#[test]
fn the_slurm_scripts_shard_by_the_array_and_merge_after_it() {
    let run = read(&deploy("slurm/run.sbatch"));
    let merge = read(&deploy("slurm/merge.sbatch"));
    let submit = read(&deploy("slurm/submit.sh"));
    assert!(
        run.contains("flags=(--shard auto"),
        "run.sbatch does not run --shard auto"
    );
    assert!(run.contains(r#"exec "$bin" run "$scenario" "${flags[@]}""#));
    assert!(run.contains(r#"shards="$work/shards/$SLURM_ARRAY_JOB_ID""#));
    assert!(merge.contains(r#"shards="$work/shards/$run_job""#));
    assert!(merge.contains(r#"exec "$bin" merge "${dirs[@]}" --out "$reports""#));
    assert!(submit.contains(r#"--dependency="afterok:$run_job" --kill-on-invalid-dep=yes"#));
    assert!(submit.contains(r#"array="1-$tasks${max_running:+%$max_running}""#));
    assert!(submit.contains(r#"--array="$array""#));
}

// The scripts and the manifests' commands, run here as the batch engines would run them: the
// environment a Slurm array task or an indexed pod gets, set by hand, and the merged reports
// compared with a plain run's. (`.ci/slurm.sh` does the same under a real Slurm.)

fn trustsim() -> &'static str {
    env!("CARGO_BIN_EXE_trustsim")
}

/// Runs a command and fails the test, with its output, unless it exits 0.
fn succeed(command: &mut Command) {
    let out = command.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A command with none of the batch engines' variables of the environment the tests run in,
/// so that `--shard auto` sees only what the test sets.
fn clean(program: &str) -> Command {
    let mut command = Command::new(program);
    for var in std::env::vars_os().map(|(k, _)| k) {
        let name = var.to_string_lossy();
        if name.starts_with("SLURM_")
            || name == "JOB_COMPLETION_INDEX"
            || name.starts_with("AWS_BATCH_")
            || name == "TRUSTSIM_SHARDS"
        {
            command.env_remove(&var);
        }
    }
    command
}

/// A fleet of five components at `dir`, and its plain run's reports at `reports`.
fn fleet(dir: &Path, reports: &Path) {
    succeed(
        Command::new(trustsim())
            .arg("generate")
            .arg("--out")
            .arg(dir)
            .args(["--mains", "5", "--linked", "6", "--days", "3", "--quiet"]),
    );
    succeed(
        Command::new(trustsim())
            .arg("run")
            .arg(dir)
            .arg("--out")
            .arg(reports)
            .arg("--quiet"),
    );
}

/// Every entry of `expected` (hidden ones too) is in `actual` with the same bytes, and
/// `actual` has no other.
fn assert_same_reports(expected: &Path, actual: &Path) {
    let names = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("an entry").file_name())
            .collect();
        names.sort();
        names
    };
    let names_expected = names(expected);
    assert_eq!(
        names_expected,
        names(actual),
        "{} vs {}",
        expected.display(),
        actual.display()
    );
    assert!(names_expected.len() >= 9, "only {names_expected:?}");
    for name in names_expected {
        let read = |dir: &Path| std::fs::read(dir.join(&name)).expect("a report");
        assert!(read(expected) == read(actual), "{name:?} differs");
    }
}

/// run.sbatch as the tasks of `sbatch --array=MIN-(MIN+2)` would run it (Slurm sets
/// SLURM_ARRAY_JOB_ID, _TASK_ID, _TASK_MIN, _TASK_COUNT), then merge.sbatch finding the array
/// from its afterok dependency: the reports are the plain run's, for an array from 1 and one
/// from 5 (K counts from the array's first task, not from 1).
#[test]
fn the_slurm_scripts_run_as_a_job_array_runs_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (scenario, single, work) = (
        tmp.path().join("fleet"),
        tmp.path().join("single"),
        tmp.path().join("work"),
    );
    fleet(&scenario, &single);
    for (job, first) in [(41, 1), (42, 5)] {
        for task in first..first + 3 {
            succeed(
                clean("bash")
                    .arg(deploy("slurm/run.sbatch"))
                    .arg(&scenario)
                    .arg(&work)
                    .env("TRUSTSIM_BIN", trustsim())
                    .env("SLURM_ARRAY_JOB_ID", job.to_string())
                    .env("SLURM_ARRAY_TASK_ID", task.to_string())
                    .env("SLURM_ARRAY_TASK_MIN", first.to_string())
                    .env("SLURM_ARRAY_TASK_COUNT", "3"),
            );
        }
        let reports = work.join(format!("reports-{job}"));
        succeed(
            clean("bash")
                .arg(deploy("slurm/merge.sbatch"))
                .arg(&work)
                .env("TRUSTSIM_REPORTS", &reports)
                .env("TRUSTSIM_BIN", trustsim())
                .env("SLURM_JOB_DEPENDENCY", format!("afterok:{job}")),
        );
        assert_same_reports(&single, &reports);
    }
}

/// run-job.yaml's command in each of its `completions` pods (JOB_COMPLETION_INDEX 0..N, the
/// manifest's TRUSTSIM_SHARDS, `$(VAR)` expanded as the kubelet does), then merge-job.yaml's,
/// with the volume's mount path mapped to a temporary directory: the plain run's reports.
#[test]
fn the_k8s_commands_run_as_the_pods_run_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let [run_text, merge_text, _] = manifests();
    let (run, merge) = (
        parse(&run_text).expect("run-job.yaml"),
        parse(&merge_text).expect("merge-job.yaml"),
    );
    let facts = check_run_job(&run).unwrap_or_else(|e| panic!("{e}"));
    let volume = tmp.path().join("volume");
    let local = |word: &str| match word.strip_prefix(&facts.mount) {
        Some(rest) => format!("{}{rest}", volume.display()),
        None => word.to_string(),
    };
    let single = tmp.path().join("single");
    fleet(Path::new(&local(&facts.scenario)), &single);
    let pod = job_pod(&run).expect("the run pod");
    for index in 0..facts.shards {
        let mut env = values(&pod);
        env.push(("JOB_COMPLETION_INDEX".into(), index.to_string()));
        let words: Vec<String> = pod
            .command
            .iter()
            .map(|w| local(&expand_k8s(w, &env)))
            .collect();
        assert_eq!(words[0], "trustsim");
        succeed(clean(trustsim()).args(&words[1..]).envs(env));
    }
    let merge_pod = job_pod(&merge).expect("the merge pod");
    let [sh, c, script] = merge_pod.command.as_slice() else {
        panic!(
            "merge-job.yaml: not a `sh -c` script: {:?}",
            merge_pod.command
        )
    };
    let script = script
        .replace(
            &format!("{}/", facts.mount),
            &format!("{}/", volume.display()),
        )
        .replacen("trustsim ", &format!("{} ", trustsim()), 1);
    succeed(clean(sh).arg(c).arg(script).envs(values(&merge_pod)));
    let merged = check_merge_job(&merge).expect("merge-job.yaml").out;
    assert_same_reports(&single, Path::new(&local(&merged)));
}

/// deploy/k8s/run.sh --print: the manifests with another N, parallelism and image, still
/// passing every check — so the lines it edits are the ones that hold N.
#[test]
fn k8s_run_sh_renders_consistent_manifests_for_any_n() {
    let out = Command::new("bash")
        .arg(deploy("k8s/run.sh"))
        .args([
            "--shards",
            "7",
            "--parallelism",
            "3",
            "--image",
            "reg.example/trustsim:9",
            "--print",
        ])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let (run, merge) = text.split_once("\n---\n").expect("two documents");
    let [_, _, pvc] = manifests();
    check_manifests(run, merge, &pvc).unwrap_or_else(|e| panic!("{e}"));
    let run = parse(run).expect("run job");
    assert_eq!(check_run_job(&run).map(|r| r.shards), Ok(7));
    assert_eq!(int_at(&run, "spec.parallelism"), Ok(3));
    for job in [&run, &parse(merge).expect("merge job")] {
        assert_eq!(
            str_at(job, "spec.template.spec.containers.0.image"),
            Ok("reg.example/trustsim:9")
        );
    }
    let zero = Command::new("bash")
        .arg(deploy("k8s/run.sh"))
        .args(["--shards", "0", "--print"])
        .output()
        .expect("bash runs");
    assert_eq!(zero.status.code(), Some(2));
}

/// deploy/k8s/run.sh against a stand-in kubectl that records what it is asked and reports the
/// run Job's conditions: after `Complete` the merge Job is applied and waited for; after
/// `Failed` it is never applied and run.sh exits 1.
#[test]
fn k8s_run_sh_starts_the_merge_only_after_the_run_completed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let kubectl = tmp.path().join("kubectl");
    std::fs::write(
        &kubectl,
        "#!/usr/bin/env bash\n\
         echo \"$*\" >>\"$FAKE_LOG\"\n\
         case \"$1 $2 $3\" in\n\
         'get job trustsim-run') printf %s \"$FAKE_RUN\" ;;\n\
         'get job trustsim-merge') printf %s Complete ;;\n\
         'apply -f -') cat >>\"$FAKE_APPLIED\" ;;\n\
         esac\n",
    )
    .expect("write the stand-in");
    std::fs::set_permissions(
        &kubectl,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    for (conditions, ok) in [
        ("SuccessCriteriaMet Complete", true),
        ("FailureTarget Failed", false),
    ] {
        let (log, applied) = (
            tmp.path().join(format!("{ok}.log")),
            tmp.path().join(format!("{ok}.yaml")),
        );
        let out = Command::new("bash")
            .arg(deploy("k8s/run.sh"))
            .args(["--shards", "3"])
            .env("KUBECTL", &kubectl)
            .env("FAKE_LOG", &log)
            .env("FAKE_APPLIED", &applied)
            .env("FAKE_RUN", conditions)
            .output()
            .expect("bash runs");
        assert_eq!(
            out.status.success(),
            ok,
            "{conditions}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let calls = read(&log);
        let applies = calls.lines().filter(|l| *l == "apply -f -").count();
        assert!(
            calls.starts_with("delete job trustsim-run trustsim-merge"),
            "{calls}"
        );
        let jobs: Vec<String> = read(&applied)
            .split("\napiVersion: ")
            .skip(1)
            .map(|doc| format!("apiVersion: {doc}"))
            .collect();
        if ok {
            assert_eq!(applies, 2, "{calls}");
            assert!(calls.contains("logs job/trustsim-merge"), "{calls}");
            let [run, merge] = [&jobs[0], &jobs[1]].map(|doc| parse(doc).expect("a job"));
            assert_eq!(check_run_job(&run).map(|r| r.shards), Ok(3));
            assert_eq!(
                check_merge_job(&merge).map(|m| m.shards),
                Ok(Some("3".to_string()))
            );
        } else {
            assert_eq!(
                applies, 1,
                "the merge was applied after a failed run: {calls}"
            );
            assert_eq!(jobs.len(), 1);
            assert!(String::from_utf8_lossy(&out.stderr).contains("job/trustsim-run failed"));
        }
    }
}
