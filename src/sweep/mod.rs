//! `trustsim sweep DIR --event SEQ --from T --to T --step D` (SPEC §10.3): the variant
//! "event SEQ happens at `t`" for every `t` of a range, in one command, as `sweep.csv`
//! and a summary of which instant suits the main best.
//!
//! A row must equal what `run --variant` gives for that retime, so nothing here computes a
//! number: the engine simulates, [`crate::compare::metrics`] reduces, as for `compare`.
//! What the sweep saves is the rest. The scenario is read once; only the component holding
//! the event is simulated again (no other account can change: components share nothing,
//! and a retime moves no account between them), its bills are built once, and each instant
//! simulates its own copy of those bills with the event's time overridden
//! ([`engine::simulate_retimed`]), in parallel over the instants. The scenario itself is
//! never copied.
//!
//! - `instants.rs` — the flags: the step, `--from`/`--to` checked as a variant's retime
//!   time is, the instants;
//! - `csv.rs` — `sweep.csv`;
//! - `summary.rs` — the printed summary.

pub mod csv;
pub mod instants;
pub mod summary;

use crate::calendar::{Calendar, Instant};
use crate::compare::metrics;
use crate::engine::{self, outcome::Outcome, Retime};
use crate::error::{Error, Problem, ProblemKind};
use crate::ids::AccountId;
use crate::rules::RuleId;
use crate::scenario::{EventKind, Scenario};
use crate::timeline::{self, Component};
use instants::flag_problem;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// What `trustsim sweep` was asked.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// The scenario directory.
    pub scenario: PathBuf,
    /// The seq of the event to retime (as events.csv's report numbers it).
    pub event: u32,
    /// The first instant, as events.csv writes a time.
    pub from: String,
    /// The last instant (included when a step lands on it).
    pub to: String,
    /// `30m`, `1h`, `1d`, `7d`.
    pub step: String,
    /// Where `sweep.csv` goes; default [`default_out`].
    pub out: Option<PathBuf>,
}

/// The retimed event: what the summary says about it.
#[derive(Clone, Debug)]
pub struct SweptEvent {
    pub seq: u32,
    /// `establish`, `topup`, …
    pub kind: &'static str,
    /// Its time in the scenario.
    pub time: Instant,
    /// The accounts the event names, as events.csv has them (`L -> M`, `L`).
    pub accounts: String,
}

/// What became of the retimed event at one instant (its events.csv row's columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventOutcome {
    pub outcome: Outcome,
    pub rule: RuleId,
    pub effective_at: Option<Instant>,
}

/// One instant of the sweep.
#[derive(Clone, Debug)]
pub struct Instance {
    /// The retimed event's time.
    pub time: Instant,
    /// None only if the engine wrote no row for the event (it writes one for every event).
    pub event: Option<EventOutcome>,
    /// Per account of [`Sweep::accounts`], in that order: the [`METRICS`].
    pub metrics: Vec<[Decimal; 7]>,
}

/// A finished sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The scenario's name (the default output is named after it).
    pub name: String,
    pub calendar: Calendar,
    pub event: SweptEvent,
    pub step: String,
    /// The accounts of the component holding the event, in byte order: the only accounts
    /// the retime can change.
    pub accounts: Vec<Box<str>>,
    /// The accounts the summary finds the best instant for: the event's main for an
    /// establish or modify, else the component's mains, else the event's account
    /// (docs/interpretations.md).
    pub mains: Vec<Box<str>>,
    /// Bills of the component, each simulated once per instant.
    pub bills: usize,
    /// In time order.
    pub instants: Vec<Instance>,
}

/// The account metrics a sweep reports, in `sweep.csv`'s order: `compare`'s metrics
/// ([`metrics::ACCOUNT_METRICS`]) of the same names.
pub const METRICS: [&str; 7] = [
    "paid_as_payer",
    "outstanding_as_payer",
    "paid_amount",
    "coupon_amount",
    "balance_end",
    "unavailable_seconds",
    "alerts_received",
];

impl Sweep {
    /// The index of `metric` in [`METRICS`].
    pub fn metric(name: &str) -> usize {
        // Every name asked for is one of the constant's (the csv and summary tests read
        // each); an unknown one would read the last column, never panic.
        METRICS
            .iter()
            .position(|m| *m == name)
            .unwrap_or(METRICS.len() - 1)
    }
}

/// The default `--out`: `output/<name>.sweep.csv`, beside the reports `run` writes to
/// `output/<name>/` and never inside the scenario directory.
pub fn default_out(name: &str) -> PathBuf {
    Path::new("output").join(format!("{name}.sweep.csv"))
}

/// Sweeps and writes `sweep.csv` (to `options.out`, else [`default_out`]); returns the
/// sweep and where it was written.
pub fn run(options: &SweepOptions) -> Result<(Sweep, PathBuf), Error> {
    let sweep = sweep(options)?;
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| default_out(&sweep.name));
    crate::output::write_file(
        &out,
        csv::render(&sweep).as_bytes(),
        &[options.scenario.as_path()],
    )?;
    Ok((sweep, out))
}

/// Loads the scenario once and simulates its event's component at every instant; nothing
/// is written. Every flag problem is reported together, after the scenario's own.
pub fn sweep(options: &SweepOptions) -> Result<Sweep, Error> {
    let step = instants::parse_step(&options.step);
    let mut scenario = crate::scenario::load(&options.scenario)?;
    let s = &scenario.settings;
    let mut problems: Vec<Problem> = Vec::new();
    let event = event_index(&scenario, options.event).map_err(|p| problems.push(p));
    let from = instants::parse_time(s, "--from", &options.from).map_err(|p| problems.push(p));
    let to = instants::parse_time(s, "--to", &options.to).map_err(|p| problems.push(p));
    let step = step.map_err(|p| problems.push(p));
    let (Ok(event), Ok(from), Ok(to), Ok(step)) = (event, from, to, step) else {
        return Err(Error::Scenario(problems));
    };
    let times =
        instants::expand(&s.calendar, from, to, step).map_err(|p| Error::Scenario(vec![p]))?;

    let components = timeline::components(&scenario);
    let Some(comp) = components.iter().find(|c| c.events.contains(&event)) else {
        // Every event belongs to its subject's component; kept a problem, not a panic.
        return Err(Error::Scenario(vec![flag_problem(
            ProblemKind::UnknownReference,
            "--event",
            format!("event {} is in no component", options.event),
        )]));
    };
    // Only the touched component's bills are built, once; the usage rows are freed then.
    let usage = std::mem::take(&mut scenario.usage);
    let bills = {
        let by_resource = timeline::usage_by_resource(&scenario, &usage);
        timeline::build_bills(&scenario, comp, &by_resource)?
    };
    drop(usage);

    let scenario = &scenario;
    let retimes: Vec<Retime> = times.iter().map(|&time| Retime { event, time }).collect();
    let instances = engine::simulate_retimed(scenario, comp, &bills, &retimes, |r, results| {
        instance(scenario, comp, r, results)
    });
    Ok(Sweep {
        name: scenario.settings.name.clone(),
        calendar: scenario.settings.calendar.clone(),
        event: swept_event(scenario, event),
        step: options.step.trim().to_string(),
        accounts: comp
            .accounts
            .iter()
            .map(|&a| scenario.account_name(a).into())
            .collect(),
        mains: mains(scenario, comp, event),
        bills: bills.len(),
        // The first error in time order, whatever the scheduling.
        instants: instances.into_iter().collect::<Result<_, _>>()?,
    })
}

/// The index in `Scenario::events` of the event of `seq`, or the problem a variant's
/// retime of an unknown seq gets.
fn event_index(scenario: &Scenario, seq: u32) -> Result<usize, Problem> {
    scenario
        .events
        .iter()
        .position(|e| e.seq == seq)
        .ok_or_else(|| {
            let has = match scenario.events.len() {
                0 => "events.csv has no events".to_string(),
                1 => "events.csv has 1 event".to_string(),
                n => format!("events.csv has {n} events, seq 1 to {n}"),
            };
            flag_problem(
                ProblemKind::UnknownReference,
                "--event",
                format!("no event has seq {seq}: {has}"),
            )
        })
}

/// One instant's row: the component's account metrics, reduced as `compare` reduces a
/// scenario, and the retimed event's outcome.
fn instance(
    scenario: &Scenario,
    comp: &Component,
    retime: &Retime,
    results: &engine::outcome::Results,
) -> Result<Instance, Error> {
    let m = metrics::of_results(scenario, results, false)?;
    // Where each of ours is among compare's (the results hold no invoices, so
    // invoiced_amount, which is not ours, would read 0).
    let at = METRICS.map(|name| {
        metrics::ACCOUNT_METRICS
            .iter()
            .position(|m| *m == name)
            .unwrap_or(0)
    });
    let metrics = comp
        .accounts
        .iter()
        .map(|&a| match m.accounts.get(scenario.account_name(a)) {
            Some(all) => at.map(|i| all[i]),
            None => [Decimal::ZERO; 7],
        })
        .collect();
    let event = results
        .events
        .iter()
        .find(|e| e.event == retime.event)
        .map(|e| EventOutcome {
            outcome: e.outcome,
            rule: e.rule,
            effective_at: e.effective_at,
        });
    Ok(Instance {
        time: retime.time,
        event,
        metrics,
    })
}

fn swept_event(scenario: &Scenario, event: usize) -> SweptEvent {
    let e = &scenario.events[event];
    let accounts = match (&*e.account_field, &*e.main_field, &*e.resource_field) {
        (a, "", "") => a.to_string(),
        ("", "", r) => r.to_string(),
        (a, m, _) => format!("{a} -> {m}"),
    };
    SweptEvent {
        seq: e.seq,
        kind: e.kind.name(),
        time: e.time,
        accounts,
    }
}

/// Whose paid_as_payer the summary minimises: the event's main for an establish or
/// modify; else every main some establish or modify of the component names; else (a
/// component without trusteeship) the account the event is about.
fn mains(scenario: &Scenario, comp: &Component, event: usize) -> Vec<Box<str>> {
    let main_of = |i: usize| match scenario.events[i].kind {
        EventKind::Establish { main, .. } | EventKind::Modify { main, .. } => Some(main),
        _ => None,
    };
    let mut mains: Vec<AccountId> = match main_of(event) {
        Some(m) => vec![m],
        None => comp.events.iter().filter_map(|&i| main_of(i)).collect(),
    };
    if mains.is_empty() {
        mains.push(scenario.events[event].kind.subject(&scenario.resources));
    }
    mains.sort_unstable();
    mains.dedup();
    mains
        .into_iter()
        .map(|a| scenario.account_name(a).into())
        .collect()
}
