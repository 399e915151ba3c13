//! Inputs shared by the benchmarks: generated once per bench binary into a temporary
//! directory (never committed), from fixed seeds, so every run measures the same bytes.

// Each bench binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use trustsim::generate::{generate, CycleMix, GenerateParams};

/// One main at the limit: 300 linked accounts, 3 hourly resources each, 31 days, usage in
/// every hour (≈ 680k usage rows, one bill per row) — `GenerateParams`'s defaults.
pub fn limit_300() -> GenerateParams {
    GenerateParams::default()
}

/// A fleet: 16 mains × 300 linked, 2 resources each, half hourly and half daily, one week
/// (≈ 1.6M usage rows in 16 components).
pub fn fleet() -> GenerateParams {
    GenerateParams {
        mains: 16,
        resources_per_account: 2,
        days: 7,
        cycles: CycleMix {
            hourly: 1,
            daily: 1,
            weekly: 0,
            monthly: 0,
        },
        ..GenerateParams::default()
    }
}

/// A generated scenario that lives as long as the bench: the directory is removed on drop.
pub struct Input {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Input {
    /// Generates `params` into a fresh temporary directory.
    pub fn generate(name: &str, params: &GenerateParams) -> Input {
        let tmp = tempfile::tempdir().expect("temporary directory for bench inputs");
        let dir = tmp.path().join(name);
        let s = generate(params, &dir).expect("generate bench input");
        eprintln!(
            "{name}: generated {} usage rows, {} accounts, {} events in {}",
            s.usage_rows,
            s.accounts,
            s.events,
            dir.display()
        );
        Input { tmp, dir }
    }

    /// A directory beside the input for reports or other output.
    pub fn out(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

/// A rayon pool of exactly `n` threads, for `install`.
pub fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("thread pool")
}

/// Every report file's bytes, to prove thread counts do not change output.
pub fn report_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    trustsim::report::REPORT_FILES
        .iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(f)).expect("report file");
            (f.to_string(), bytes)
        })
        .collect()
}
