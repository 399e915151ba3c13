//! Many machines and bounded memory (SPEC §10.9). Components are independent, so a run
//! splits by them: `run --shard K/N` simulates shard K's components and writes a shard
//! directory ([`part`]); `merge` merges shard directories into the reports ([`merge`]),
//! byte for byte the unsharded run's; `run --max-memory` simulates groups of components one
//! after the other, spills each group's partial reports beside the output and merges them
//! the same way ([`memory`] sizes the groups).
//!
//! - [`plan`] — which components go to which shard (or group), from usage rows.
//! - [`keys`] — each report row's sort key, as bytes.
//! - [`part`] — the shard directory: `NAME.part`, `NAME.keys`, `shard.meta`.
//! - [`merge`] — the set checks and the k-way merge.
//! - [`digest`] — the scenario digest that ties shards to their input.
//! - [`env`] — `--shard auto` from Slurm, Kubernetes or AWS Batch.

pub mod digest;
pub mod env;
pub mod keys;
pub mod memory;
pub mod merge;
pub mod part;
pub mod plan;

pub use env::from_env;
pub use memory::parse_size;

/// Shard `k` of `n`, 1-based (SPEC §10.9: 1 ≤ K ≤ N).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ShardId {
    pub k: usize,
    pub n: usize,
}

/// The most shards a run may be split into: far beyond any batch array, and small enough
/// that a plan's tables stay tiny.
pub const MAX_SHARDS: u64 = 100_000;

impl ShardId {
    /// `k` of `n`, checked.
    pub fn new(k: u64, n: u64) -> Result<ShardId, String> {
        if n == 0 || n > MAX_SHARDS {
            return Err(format!(
                "the number of shards must be 1 to {MAX_SHARDS}, got {n}"
            ));
        }
        if k == 0 || k > n {
            return Err(format!("shard {k}/{n}: K must be 1 to N"));
        }
        Ok(ShardId {
            k: k as usize,
            n: n as usize,
        })
    }

    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<ShardId, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not K/N (like 2/8) or auto"))?;
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{text:?} is not K/N (like 2/8) or auto"))
        };
        ShardId::new(num(k)?, num(n)?)
    }

    /// The default directory name suffix: `.shard-K-of-N`.
    pub fn dir_suffix(&self) -> String {
        format!(".shard-{}-of-{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_of_n_is_parsed_and_checked() {
        assert_eq!(ShardId::parse("2/8"), Ok(ShardId { k: 2, n: 8 }));
        for bad in ["0/3", "4/3", "1/0", "x/2", "3", "1/2/3"] {
            assert!(ShardId::parse(bad).is_err(), "{bad}");
        }
    }
}
