//! `trustsim compare` (SPEC §10.1, §10.2): what changes between two runs, per account, in
//! total and per bill — for a what-if, a variant, or a reading of the SPEC.
//!
//! Each side is a scenario directory (simulated in memory; nothing is written) or a report
//! directory (read back); [`metrics`] reduces either to the same metrics, [`diff`] lists
//! the rows that differ, [`format`] prints them, and [`fail_if`] tests the deltas for CI.
//! The engine is the only source of every number: nothing here computes a bill.

pub mod diff;
pub mod fail_if;
pub mod format;
pub mod metrics;

use crate::error::{Error, Problem, ProblemKind};
use crate::scenario::{load_with, variant_names, Setting, Variant};
use metrics::Metrics;
use std::path::Path;

pub use fail_if::FailIf;
pub use format::Format;

/// Two sides and their difference rows.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The variant or reading compared with the baseline (`compare DIR`), none for
    /// `compare A B`.
    pub variant: Option<String>,
    pub a_name: String,
    pub b_name: String,
    pub a: Metrics,
    pub b: Metrics,
    pub rows: Vec<diff::Row>,
}

impl Comparison {
    fn new(
        variant: Option<String>,
        a_name: String,
        b_name: String,
        a: Metrics,
        b: Metrics,
        all: bool,
    ) -> Comparison {
        let rows = diff::diff(&a, &b, all);
        Comparison {
            variant,
            a_name,
            b_name,
            a,
            b,
            rows,
        }
    }
}

/// `compare A B`: each a scenario or a report directory.
pub fn compare(a: &Path, b: &Path, all: bool) -> Result<Comparison, Error> {
    let (ma, mb) = (metrics::load(a)?, metrics::load(b)?);
    Ok(Comparison::new(
        None,
        a.display().to_string(),
        b.display().to_string(),
        ma,
        mb,
        all,
    ))
}

/// `compare DIR`: the baseline with each of its `variants/NAME.toml`, in name order.
pub fn compare_variants(dir: &Path, all: bool) -> Result<Vec<Comparison>, Error> {
    let names = variant_names(dir);
    if names.is_empty() {
        // A scenario that does not load says so first.
        crate::scenario::load(dir)?;
        return Err(Error::Scenario(vec![Problem::new(
            ProblemKind::MissingFile,
            "variants",
            0,
            "-",
            "the scenario has no variants/NAME.toml to compare with; `trustsim compare A B` compares two directories, `--readings` the SPEC's readings",
        )]));
    }
    let base = metrics::of_scenario(&crate::scenario::load(dir)?)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let variant = metrics::of_scenario(&crate::scenario::load_variant(dir, &name)?)?;
        out.push(Comparison::new(
            Some(name.clone()),
            "baseline".to_string(),
            name,
            base.clone(),
            variant,
            all,
        ));
    }
    Ok(out)
}

/// The readings `--readings` varies (SPEC §4, §10.2): each policy and its values, the
/// default first.
pub const READINGS: [(&str, [&str; 2]); 2] = [
    ("t5_scope", ["payer", "account"]),
    ("subscription_payer", ["cycle", "order"]),
];

/// A variant that sets the two readings; named after them,
/// `t5_scope=account,subscription_payer=cycle`.
fn reading(t5: &str, payer: &str) -> Variant {
    let set = |key: &str, value: &str| Setting {
        key: key.to_string(),
        value: toml::Value::String(value.to_string()),
        line: 0,
    };
    Variant {
        name: format!("{}={t5},{}={payer}", READINGS[0].0, READINGS[1].0),
        policy: vec![set(READINGS[0].0, t5), set(READINGS[1].0, payer)],
        ..Variant::default()
    }
}

/// `compare DIR --readings`: the default readings with every other combination.
pub fn compare_readings(dir: &Path, all: bool) -> Result<Vec<Comparison>, Error> {
    let [(_, t5s), (_, payers)] = READINGS;
    let defaults = reading(t5s[0], payers[0]);
    let base = metrics::of_scenario(&load_with(dir, &defaults)?)?;
    let mut out = Vec::new();
    for t5 in t5s {
        for payer in payers {
            if (t5, payer) == (t5s[0], payers[0]) {
                continue;
            }
            let v = reading(t5, payer);
            let m = metrics::of_scenario(&load_with(dir, &v)?)?;
            out.push(Comparison::new(
                Some(v.name.clone()),
                defaults.name.clone(),
                v.name,
                base.clone(),
                m,
                all,
            ));
        }
    }
    Ok(out)
}

/// The `--fail-if` conditions that hold, each named (with its variant and delta); an
/// account on neither side of a comparison is an error message.
pub fn failing(conditions: &[FailIf], comparisons: &[Comparison]) -> Result<Vec<String>, String> {
    let mut held = Vec::new();
    for c in comparisons {
        for f in conditions {
            let Some(delta) = f.delta(&c.a, &c.b) else {
                return Err(format!(
                    "--fail-if '{}': account {:?} is on neither side",
                    f.text,
                    f.account.as_deref().unwrap_or("")
                ));
            };
            if f.holds(delta) {
                let which = c
                    .variant
                    .as_ref()
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default();
                held.push(format!(
                    "--fail-if '{}' holds{which}: delta {delta}",
                    f.text
                ));
            }
        }
    }
    Ok(held)
}
