//! `--shard auto` (SPEC §10.9): K and N from the batch engine's environment.
//!
//! - Slurm job arrays: K = `SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` + 1, N =
//!   `SLURM_ARRAY_TASK_COUNT` (an array with a step, `--array=0-9:2`, is refused: its
//!   ids are not consecutive, so K would not be 1..N).
//! - Kubernetes Indexed Jobs: K = `JOB_COMPLETION_INDEX` + 1.
//! - AWS Batch array jobs: K = `AWS_BATCH_JOB_ARRAY_INDEX` + 1.
//!
//! N comes from `TRUSTSIM_SHARDS` where the engine does not say it; where it does, a
//! `TRUSTSIM_SHARDS` that disagrees is an error, and so is the environment of two engines.

use super::ShardId;

/// The shard the environment `var` describes, or a message saying what is missing or
/// inconsistent.
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<ShardId, String> {
    let number = |name: &str| -> Result<Option<u64>, String> {
        match var(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{name}={v:?} is not a whole number")),
        }
    };
    let slurm = number("SLURM_ARRAY_TASK_ID")?;
    let k8s = number("JOB_COMPLETION_INDEX")?;
    let aws = number("AWS_BATCH_JOB_ARRAY_INDEX")?;
    let given = number("TRUSTSIM_SHARDS")?;
    let engines: Vec<&str> = [
        ("Slurm (SLURM_ARRAY_TASK_ID)", slurm),
        ("Kubernetes (JOB_COMPLETION_INDEX)", k8s),
        ("AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX)", aws),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(name, _)| *name)
    .collect();
    let (k, n) = match (slurm, k8s, aws) {
        (Some(id), None, None) => {
            let min = number("SLURM_ARRAY_TASK_MIN")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not")?;
            let count = number("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            if let Some(step) = number("SLURM_ARRAY_TASK_STEP")?.filter(|&s| s != 1) {
                return Err(format!(
                    "SLURM_ARRAY_TASK_STEP is {step}: run the shards as a consecutive array (--array=1-N)"
                ));
            }
            if let Some(g) = given.filter(|&g| g != count) {
                return Err(format!(
                    "TRUSTSIM_SHARDS is {g} but the Slurm array has SLURM_ARRAY_TASK_COUNT={count} tasks"
                ));
            }
            let k = id
                .checked_sub(min)
                .ok_or(format!("SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"))?
                + 1;
            (k, count)
        }
        (None, Some(i), None) | (None, None, Some(i)) => {
            let n = given.ok_or(format!(
                "{} is set but TRUSTSIM_SHARDS is not: set it to the number of shards",
                engines.first().copied().unwrap_or("the batch index")
            ))?;
            (i + 1, n)
        }
        (None, None, None) => {
            return Err("--shard auto found no batch engine: none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set (or give --shard K/N)".into())
        }
        _ => {
            return Err(format!(
                "--shard auto found more than one batch engine: {}",
                engines.join(", ")
            ))
        }
    };
    ShardId::new(k, n).map_err(|e| format!("{e} (from the environment)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn each_engine_gives_k_and_n() {
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(from_env(env(&slurm)), Ok(ShardId { k: 3, n: 4 }));
        let k8s = [("JOB_COMPLETION_INDEX", "0"), ("TRUSTSIM_SHARDS", "2")];
        assert_eq!(from_env(env(&k8s)), Ok(ShardId { k: 1, n: 2 }));
        let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "6"), ("TRUSTSIM_SHARDS", "7")];
        assert_eq!(from_env(env(&aws)), Ok(ShardId { k: 7, n: 7 }));
    }

    #[test]
    fn missing_or_inconsistent_is_an_error_that_names_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "no batch engine"),
            (&[("JOB_COMPLETION_INDEX", "0")], "TRUSTSIM_SHARDS is not"),
            (
                &[("AWS_BATCH_JOB_ARRAY_INDEX", "2"), ("TRUSTSIM_SHARDS", "2")],
                "3/2",
            ),
            (&[("SLURM_ARRAY_TASK_ID", "1")], "SLURM_ARRAY_TASK_MIN"),
            (
                &[
                    ("SLURM_ARRAY_TASK_ID", "1"),
                    ("SLURM_ARRAY_TASK_MIN", "1"),
                    ("SLURM_ARRAY_TASK_COUNT", "3"),
                    ("TRUSTSIM_SHARDS", "4"),
                ],
                "TRUSTSIM_SHARDS is 4",
            ),
            (
                &[
                    ("JOB_COMPLETION_INDEX", "0"),
                    ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
                ],
                "more than one",
            ),
            (
                &[("JOB_COMPLETION_INDEX", "x"), ("TRUSTSIM_SHARDS", "2")],
                "not a whole number",
            ),
        ];
        for (pairs, expect) in cases {
            let e = from_env(env(pairs)).expect_err("an error");
            assert!(e.contains(expect), "{pairs:?}: {e}");
        }
    }
}
