//! trustsim simulates finance-trusteeship billing: a main account paying the bills of up to
//! 300 linked accounts. It reads a scenario directory, steps through every billing cycle, and
//! writes CSV reports that say who paid each bill and which rule of the SPEC decided it.
//!
//! The data flows one way: [`scenario::load`] (files → typed, validated [`Scenario`]) →
//! [`timeline`] (usage → bills; accounts → independent components) → [`engine::simulate`]
//! (pure, parallel across components) → [`report`] (nine CSV files) → [`output`] (the
//! output contract: never replaces what trustsim did not write; one atomic swap).
//!
//! ```no_run
//! let summary = trustsim::run(
//!     std::path::Path::new("scenarios/quickstart"),
//!     &trustsim::RunOptions::default(),
//! )?;
//! println!("{} bills written to {}", summary.bills, summary.out_dir.display());
//! # Ok::<(), trustsim::Error>(())
//! ```

pub mod bill;
pub mod calendar;
pub mod check;
pub mod compare;
pub mod engine;
pub mod error;
pub mod generate;
pub mod ids;
pub mod import;
pub mod money;
pub mod output;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod timeline;

pub use error::{Error, Problem};
pub use scenario::Scenario;

use engine::outcome::Results;
use money::Money;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant as Clock};

/// The most worker threads `--threads` may ask for. A run's parallelism is bounded by its
/// components and chunks, not by threads beyond the cores, and each thread costs a stack
/// and start-up time: `--threads 100000` once spent minutes creating threads.
pub const MAX_THREADS: usize = 1024;

/// Options of one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Where reports go; default `output/<scenario name>`. Refused (exit 3) when it holds
    /// anything trustsim did not write or is the scenario directory, an ancestor of it or
    /// inside it (see [`output`]).
    pub out: Option<PathBuf>,
    /// Runs the variant `variants/NAME.toml` of the scenario instead of the baseline
    /// (SPEC §10.2); its default output is `output/<name>+NAME`.
    pub variant: Option<String>,
    /// Also writes `focus.csv`, the bills as a FOCUS 1.0 dataset (SPEC §10.6).
    pub focus: bool,
    /// The reports' file format: CSV (SPEC §6), or Parquet (SPEC §10.8) instead.
    pub format: report::Format,
}

/// What a run did, for the end-of-run summary line.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub name: String,
    pub out_dir: PathBuf,
    pub accounts: usize,
    pub components: usize,
    pub usage_rows: usize,
    pub events: usize,
    pub bills: usize,
    pub list: Money,
    pub paid: Money,
    pub outstanding: Money,
    pub elapsed: Duration,
    /// Time spent reading, simulating and writing (zero when not measured).
    pub phases: [Duration; 3],
    /// The scenario's money rules, to print the totals.
    pub money: money::MoneyRules,
}

/// Builds the bills and components of a loaded scenario and simulates them.
pub fn simulate(scenario: &Scenario) -> Result<Results, Error> {
    let components = timeline::components(scenario);
    let bills = build_bills(scenario, &components, &scenario.usage)?;
    Ok(engine::simulate(scenario, &components, bills, &|| {}))
}

/// [`simulate`] for a run that owns its scenario: the usage rows are freed once they are
/// built into bills (they are a fifth of a large run's memory), and `on_component` is
/// called as each component finishes.
fn simulate_owned(
    scenario: &mut Scenario,
    components: &[timeline::Component],
    on_component: &(dyn Fn() + Sync),
) -> Result<Results, Error> {
    let usage = std::mem::take(&mut scenario.usage);
    let bills = build_bills(scenario, components, &usage)?;
    drop(usage);
    Ok(engine::simulate(scenario, components, bills, on_component))
}

/// Builds each component's bills, in parallel; the first error in component order wins, so
/// the message does not depend on scheduling.
fn build_bills(
    scenario: &Scenario,
    components: &[timeline::Component],
    usage: &[scenario::Usage],
) -> Result<Vec<Vec<bill::BillRow>>, Error> {
    let by_resource = timeline::usage_by_resource(scenario, usage);
    let built: Vec<Result<_, Error>> = components
        .par_iter()
        .map(|c| timeline::build_bills(scenario, c, &by_resource))
        .collect();
    built.into_iter().collect()
}

/// The default output directory of a scenario: `output/<name>`.
pub fn default_out_dir(scenario: &Scenario) -> PathBuf {
    Path::new("output").join(&scenario.settings.name)
}

/// The phases of a run, as a [`Watcher`] sees them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Reading,
    /// Simulating this many components.
    Simulating(usize),
    Writing,
}

/// Follows a run as it goes: the CLI draws progress bars from it. Every method defaults to
/// doing nothing.
pub trait Watcher: Sync {
    /// A phase begins (the previous one, if any, has ended).
    fn phase(&self, _phase: Phase) {}
    /// One component has been simulated.
    fn component_done(&self) {}
    /// The run has ended, successfully or not.
    fn finished(&self) {}
}

/// A watcher that watches nothing.
impl Watcher for () {}

/// Loads, simulates and writes the reports of the scenario in `dir`.
pub fn run(dir: &Path, options: &RunOptions) -> Result<RunSummary, Error> {
    run_watched(dir, options, &())
}

/// [`run`], reporting its phases to `watcher`.
pub fn run_watched(
    dir: &Path,
    options: &RunOptions,
    watcher: &dyn Watcher,
) -> Result<RunSummary, Error> {
    let outcome = run_phases(dir, options, watcher);
    watcher.finished();
    outcome
}

fn run_phases(
    dir: &Path,
    options: &RunOptions,
    watcher: &dyn Watcher,
) -> Result<RunSummary, Error> {
    let clock = Clock::now();
    watcher.phase(Phase::Reading);
    let mut scenario = match &options.variant {
        Some(name) => scenario::load_variant(dir, name)?,
        None => scenario::load(dir)?,
    };
    let out_dir = options
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&scenario));
    // Decided before simulating: a refused target costs nothing and touches nothing.
    let target = output::Target::reports(&out_dir, Some(dir))?;
    let read = clock.elapsed();

    let components = timeline::components(&scenario);
    watcher.phase(Phase::Simulating(components.len()));
    let results = simulate_owned(&mut scenario, &components, &|| watcher.component_done())?;
    let simulate = clock.elapsed() - read;

    watcher.phase(Phase::Writing);
    report::publish_with(&scenario, &results, target, options.focus, options.format)?;
    let write = clock.elapsed() - read - simulate;

    let mut summary = summarize(
        &scenario,
        &results,
        components.len(),
        out_dir,
        clock.elapsed(),
    );
    summary.phases = [read, simulate, write];
    Ok(summary)
}

/// Totals for the summary line, added serially in account order.
pub fn summarize(
    scenario: &Scenario,
    results: &Results,
    components: usize,
    out_dir: PathBuf,
    elapsed: Duration,
) -> RunSummary {
    RunSummary {
        name: scenario.settings.name.clone(),
        out_dir,
        accounts: scenario.accounts.len(),
        components,
        usage_rows: scenario.usage_rows,
        events: scenario.events.len(),
        bills: results.bills.len(),
        // The per-account summary already holds every bill's amounts once.
        list: results.summary.iter().map(|a| a.list).sum(),
        paid: results.summary.iter().map(|a| a.paid).sum(),
        outstanding: results.summary.iter().map(|a| a.outstanding).sum(),
        elapsed,
        phases: [Duration::ZERO; 3],
        money: scenario.settings.money,
    }
}
