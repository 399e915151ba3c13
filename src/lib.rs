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
pub mod explain;
pub mod generate;
pub mod html;
pub mod ids;
pub mod import;
pub mod money;
pub mod output;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod shard;
pub mod sweep;
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
    /// Also writes `report.html`, the HTML report (SPEC §10.5). Not with `shard` or a
    /// `max_memory` that splits the run (the CLI refuses them together): a page of the
    /// merged reports is `trustsim report` of them.
    pub html: bool,
    /// Simulates only this shard's components and writes a shard directory (SPEC §10.9)
    /// [default out: `output/<name>.shard-K-of-N`].
    pub shard: Option<shard::ShardId>,
    /// Keeps the run's peak memory near this many bytes: components are simulated in
    /// groups, each spilled beside the output and merged (SPEC §10.9). Not applied to a
    /// shard (`shard` wins; the CLI refuses the two together).
    pub max_memory: Option<u64>,
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
    /// Things a person should know about how the run went (a component larger than the
    /// memory bound, the groups of a bounded run); the CLI prints them on stderr.
    pub notes: Vec<String>,
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
    if let Some(id) = options.shard {
        return run_shard(dir, options, id, watcher);
    }
    if let Some(bound) = options.max_memory {
        return run_bounded(dir, options, bound, watcher);
    }
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
    publish_run(&scenario, &results, target, options)?;
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

/// Publishes one simulation's reports into `target`, in `options.format`, with the FOCUS
/// dataset and `report.html` as `options` ask. The page is built before staging, from the same model the reports
/// are written from.
fn publish_run(
    scenario: &Scenario,
    results: &Results,
    target: output::Target,
    options: &RunOptions,
) -> Result<(), Error> {
    let page = if options.html {
        Some(html::of_run(report::model::View::new(scenario, results))?)
    } else {
        None
    };
    let write_page = |dir: &Path| page.as_deref().map_or(Ok(()), |p| html::write_into(dir, p));
    report::publish_with(
        scenario,
        results,
        target,
        options.focus,
        options.format,
        Some(&write_page),
    )
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
        notes: Vec::new(),
    }
}

/// Loads the scenario of a run with `options` (its variant, if any), keeping only the usage
/// rows `select` asks for.
fn load_selected(
    dir: &Path,
    options: &RunOptions,
    select: &mut scenario::Select<'_>,
) -> Result<Scenario, Error> {
    match &options.variant {
        Some(name) => scenario::load_variant_selected(dir, name, Some(select)),
        None => scenario::load_selected(dir, select),
    }
}

/// Makes a plan from the components, their usage rows and the scenario's tables.
type MakePlan<'a> =
    dyn Fn(&[timeline::Component], &[u64], &scenario::Skeleton<'_>) -> shard::plan::Plan + 'a;

/// A scenario loaded for one bin of a plan (a shard, or a group of a bounded run): only
/// that bin's usage rows are built.
struct Cut {
    scenario: Scenario,
    /// The bin's components, in component order.
    components: Vec<timeline::Component>,
    /// The whole scenario's, for the plan and the summary.
    all_components: usize,
    plan: shard::plan::Plan,
    /// By component.
    rows: Vec<u64>,
    /// Every usage row of the file (not only the bin's).
    usage_rows: u64,
}

/// Loads `dir` keeping bin `bin` of the plan `make_plan` makes from the components and their
/// usage rows (given again for a later bin of a plan made before, with `known`).
fn load_cut(
    dir: &Path,
    options: &RunOptions,
    bin: usize,
    known: Option<(&shard::plan::Plan, &[u64])>,
    make_plan: &MakePlan<'_>,
) -> Result<Cut, Error> {
    let mut made: Option<(shard::plan::Plan, Vec<u64>)> = None;
    let mut keep = |sk: &scenario::Skeleton<'_>| {
        let comps = timeline::components_of(sk.account_ids, sk.resources, sk.events);
        let (plan, rows) = match known {
            Some((plan, rows)) => (plan.clone(), rows.to_vec()),
            None => {
                let rows = shard::plan::rows_per_component(&comps, sk.usage_rows);
                (make_plan(&comps, &rows, sk), rows)
            }
        };
        let keep = plan.keep(&comps, sk.resources.len(), bin);
        made = Some((plan, rows));
        keep
    };
    let mut select = scenario::Select {
        count_rows: known.is_none(),
        keep: &mut keep,
    };
    let scenario = load_selected(dir, options, &mut select)?;
    let (plan, rows) = made.ok_or_else(|| {
        Error::io(
            dir,
            std::io::Error::other("the scenario was loaded without a plan"),
        )
    })?;
    let all = timeline::components(&scenario);
    let all_components = all.len();
    let components = all
        .into_iter()
        .enumerate()
        .filter(|(c, _)| plan.bin_of.get(*c) == Some(&bin))
        .map(|(_, comp)| comp)
        .collect();
    Ok(Cut {
        scenario,
        components,
        all_components,
        usage_rows: rows.iter().sum(),
        plan,
        rows,
    })
}

/// The shard plan of `dir` for `n` shards (`run --shard-plan N`): loads and checks the
/// scenario, builds no usage row and simulates nothing.
pub fn shard_plan(dir: &Path, options: &RunOptions, n: usize) -> Result<shard::plan::Plan, Error> {
    let cut = load_cut(dir, options, usize::MAX, None, &|comps, rows, _| {
        shard::plan::shards(comps, rows, n)
    })?;
    Ok(cut.plan)
}

/// `run --shard K/N`: simulates shard K's components and publishes a shard directory.
fn run_shard(
    dir: &Path,
    options: &RunOptions,
    id: shard::ShardId,
    watcher: &dyn Watcher,
) -> Result<RunSummary, Error> {
    let clock = Clock::now();
    watcher.phase(Phase::Reading);
    let digest = shard::digest::scenario_digest(dir, options.variant.as_deref())?;
    let mut cut = load_cut(dir, options, id.k - 1, None, &|comps, rows, _| {
        shard::plan::shards(comps, rows, id.n)
    })?;
    let name = cut.scenario.settings.name.clone();
    let out_dir = options
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{name}{}", id.dir_suffix())));
    let target = output::Target::shard(&out_dir, Some(dir))?;
    let read = clock.elapsed();

    watcher.phase(Phase::Simulating(cut.components.len()));
    let results = simulate_owned(&mut cut.scenario, &cut.components, &|| {
        watcher.component_done()
    })?;
    let simulate = clock.elapsed() - read;

    watcher.phase(Phase::Writing);
    let staged = target.stage()?;
    let rows = shard::part::write(&cut.scenario, &results, staged.dir(), "", options.focus)?;
    shard::part::Meta {
        name,
        digest,
        shard: id.k,
        shards: id.n,
        focus: options.focus,
    }
    .write(staged.dir(), &rows)?;
    staged.publish()?;
    let write = clock.elapsed() - read - simulate;

    let mut summary = summarize(
        &cut.scenario,
        &results,
        cut.components.len(),
        out_dir,
        clock.elapsed(),
    );
    summary.phases = [read, simulate, write];
    summary.notes.push(format!(
        "shard {}/{}: {} of {} components, {} of {} usage rows",
        id.k,
        id.n,
        cut.components.len(),
        cut.all_components,
        cut.plan.loads[id.k - 1].usage_rows,
        cut.usage_rows
    ));
    Ok(summary)
}

/// `trustsim merge`: checks that `dirs` are one complete set of shards and merges them
/// into the reports at `out` [default `output/<name>`].
pub fn merge(
    dirs: &[PathBuf],
    out: Option<&Path>,
) -> Result<(PathBuf, shard::merge::Merged), Error> {
    let metas = shard::merge::open_set(dirs)?;
    let first = &metas[0];
    let out_dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("output").join(&first.name));
    let target = output::Target::reports(&out_dir, None)?;
    let staged = target.stage()?;
    let inputs: Vec<shard::merge::Input> = dirs
        .iter()
        .map(|d| shard::merge::Input {
            dir: d.clone(),
            prefix: String::new(),
        })
        .collect();
    let merged =
        shard::merge::merge_files(&inputs, &shard::part::files(first.focus), staged.dir())?;
    staged.publish()?;
    Ok((out_dir, merged))
}

/// `run --max-memory`: components in groups that fit `bound` (see [`shard::memory`]), each
/// simulated, spilled beside the output and dropped; then merged like shards. One group is
/// an ordinary run.
fn run_bounded(
    dir: &Path,
    options: &RunOptions,
    bound: u64,
    watcher: &dyn Watcher,
) -> Result<RunSummary, Error> {
    let clock = Clock::now();
    watcher.phase(Phase::Reading);
    shard::memory::give_back_freed_memory();
    let oversized = std::sync::Mutex::new(Vec::new());
    let make_plan = |comps: &[timeline::Component], rows: &[u64], sk: &scenario::Skeleton<'_>| {
        let budget = shard::memory::group_budget(bound, sk.accounts.len(), sk.resources.len());
        let (plan, big) = shard::plan::groups(comps, rows, budget, shard::memory::component_bytes);
        *oversized.lock().unwrap_or_else(|e| e.into_inner()) = big
            .iter()
            .map(|&c| {
                (
                    comps[c].accounts.first().copied(),
                    comps[c].accounts.len(),
                    rows[c],
                )
            })
            .collect();
        plan
    };
    let first = load_cut(dir, options, 0, None, &make_plan)?;
    let out_dir = options
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&first.scenario));
    let target = output::Target::reports(&out_dir, Some(dir))?;
    let groups = first.plan.loads.len();
    let mut notes = Vec::new();
    let big = std::mem::take(&mut *oversized.lock().unwrap_or_else(|e| e.into_inner()));
    for (account, accounts, rows) in big {
        let name = account.map_or("", |a| first.scenario.account_name(a));
        notes.push(format!(
            "the component of {name} ({accounts} accounts, {rows} usage rows) needs more than --max-memory allows: it is simulated alone"
        ));
    }
    if groups == 1 {
        // Everything fits: the ordinary run, already loaded.
        let mut cut = first;
        let read = clock.elapsed();
        watcher.phase(Phase::Simulating(cut.components.len()));
        let results = simulate_owned(&mut cut.scenario, &cut.components, &|| {
            watcher.component_done()
        })?;
        let simulate = clock.elapsed() - read;
        watcher.phase(Phase::Writing);
        publish_run(&cut.scenario, &results, target, options)?;
        let write = clock.elapsed() - read - simulate;
        let mut summary = summarize(
            &cut.scenario,
            &results,
            cut.components.len(),
            out_dir,
            clock.elapsed(),
        );
        summary.phases = [read, simulate, write];
        summary.notes = notes;
        return Ok(summary);
    }
    notes.push(format!(
        "--max-memory: {} components in {groups} groups",
        first.all_components
    ));
    let spill = output::Scratch::beside(&out_dir, "spill")?;
    let (plan, rows) = (first.plan.clone(), first.rows.clone());
    let mut summary = None::<RunSummary>;
    let mut next = Some(first);
    let (mut read, mut simulate, mut write) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    watcher.phase(Phase::Simulating(plan.bin_of.len()));
    for g in 0..groups {
        shard::memory::give_back_freed_memory();
        let t = Clock::now();
        let mut cut = match next.take() {
            Some(cut) => cut,
            None => load_cut(dir, options, g, Some((&plan, &rows)), &make_plan)?,
        };
        read += t.elapsed();
        let t = Clock::now();
        let results = simulate_owned(&mut cut.scenario, &cut.components, &|| {
            watcher.component_done()
        })?;
        simulate += t.elapsed();
        let t = Clock::now();
        shard::part::write(
            &cut.scenario,
            &results,
            spill.path(),
            &format!("g{g}."),
            options.focus,
        )?;
        write += t.elapsed();
        let part = summarize(
            &cut.scenario,
            &results,
            cut.components.len(),
            out_dir.clone(),
            Duration::ZERO,
        );
        summary = Some(match summary {
            None => RunSummary {
                usage_rows: cut.usage_rows as usize,
                components: cut.all_components,
                ..part
            },
            Some(mut s) => {
                s.bills += part.bills;
                s.list += part.list;
                s.paid += part.paid;
                s.outstanding += part.outstanding;
                s
            }
        });
    }
    watcher.phase(Phase::Writing);
    let t = Clock::now();
    let staged = target.stage()?;
    let inputs: Vec<shard::merge::Input> = (0..groups)
        .map(|g| shard::merge::Input {
            dir: spill.path().to_path_buf(),
            prefix: format!("g{g}."),
        })
        .collect();
    shard::merge::merge_files(&inputs, &shard::part::files(options.focus), staged.dir())?;
    staged.publish()?;
    drop(spill);
    write += t.elapsed();
    let mut summary = summary
        .ok_or_else(|| Error::io(dir, std::io::Error::other("a bounded run without groups")))?;
    summary.elapsed = clock.elapsed();
    summary.phases = [read, simulate, write];
    summary.notes = notes;
    Ok(summary)
}
