//! The simulation: pure, no I/O. Components run in parallel with rayon; their rows merge in
//! a fixed order, so the result does not depend on the thread count.

mod component;
mod intervals;
pub mod outcome;
pub(crate) mod pricing;
mod requests;
mod state;
pub mod trusteeship;

use crate::bill::{BillRef, BillRow};
use crate::scenario::Scenario;
use crate::timeline::Component;
use outcome::Results;
use rayon::prelude::*;

pub use state::Retime;

/// One component's rows, before merging (its bills are updated in place).
struct Part {
    /// What settlements paid of its bills after issue.
    settled: Vec<(BillRef, crate::money::Money)>,
    rows: state::ComponentRows,
    availability: Vec<outcome::AvailabilityRow>,
    ownership: Vec<outcome::OwnershipRow>,
    invoices: Vec<outcome::InvoiceRow>,
    summary: Vec<outcome::SummaryRow>,
    /// The histories of its accounts that have transitions (for `explain`).
    histories: Vec<(crate::ids::AccountId, Vec<outcome::Transition>)>,
}

/// Which after-run reports a simulation computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reports {
    /// All of them.
    Every,
    /// All but ownership and invoices, which a sweep does not report (SPEC §10.3) and
    /// which cost a pass over every bill per instant.
    Sweep,
}

fn simulate_component(
    scenario: &Scenario,
    owned: &state::Owned,
    comp: &Component,
    bills: &mut [BillRow],
    retime: Option<Retime>,
    reports: Reports,
) -> Part {
    let mut run = state::Run::new(scenario, owned, comp, bills);
    if let Some(r) = retime {
        run.retime(r);
    }
    component::run(&mut run);
    let every = reports == Reports::Every;
    Part {
        settled: run
            .settled()
            .map(|(i, amount)| (BillRef::from(run.bill(i)), amount))
            .collect(),
        availability: intervals::availability(&run),
        ownership: if every {
            intervals::ownership(&run)
        } else {
            Vec::new()
        },
        invoices: if every {
            intervals::invoices(&run)
        } else {
            Vec::new()
        },
        summary: intervals::summary(&run),
        histories: histories(&run),
        rows: run.into_rows(),
    }
}

/// The component's non-empty linked-account histories, by account.
fn histories(run: &state::Run<'_>) -> Vec<(crate::ids::AccountId, Vec<outcome::Transition>)> {
    let comp = run.component();
    comp.accounts
        .iter()
        .enumerate()
        .filter_map(|(l, &id)| {
            let t = run.account(l).history().transitions();
            (!t.is_empty()).then(|| (id, t.to_vec()))
        })
        .collect()
}

/// Simulates every component on the current rayon pool and merges the rows into the
/// orders SPEC §6 gives. `bills` holds each component's bills (as
/// [`crate::timeline::build_bills`] made them), which it prices and pays in place.
/// `on_component` is called once per finished component (progress).
pub fn simulate(
    scenario: &Scenario,
    components: &[Component],
    mut bills: Vec<Vec<BillRow>>,
    on_component: &(dyn Fn() + Sync),
) -> Results {
    let owned = state::Owned::new(scenario);
    // `collect` into a Vec keeps component order whatever the scheduling.
    let parts: Vec<Part> = components
        .par_iter()
        .zip(bills.par_iter_mut())
        .map(|(c, b)| {
            let part = simulate_component(scenario, &owned, c, b, None, Reports::Every);
            on_component();
            part
        })
        .collect();
    merge(scenario, parts, bills)
}

/// Simulates `component` once per [`Retime`] (SPEC §10.3, a sweep over one event's
/// time), in parallel over the retimes, and hands each run's results to `reduce` at once,
/// so only the runs in flight are held. `bills` are the component's bills as
/// [`crate::timeline::build_bills`] made them, built once: each run prices and pays its
/// own copy of them (in a buffer each worker reuses, so a large component's bills are not
/// allocated afresh per instant) and of the component's event order (the retimed event
/// takes its place among the events of its new instant by seq), never a copy of the
/// scenario. Each result is what [`simulate`] gives for that component of the scenario
/// with the event's time replaced, except that it holds no ownership or invoice rows.
pub fn simulate_retimed<T: Send>(
    scenario: &Scenario,
    component: &Component,
    bills: &[BillRow],
    retimes: &[Retime],
    reduce: impl Fn(&Retime, &Results) -> T + Sync,
) -> Vec<T> {
    let owned = state::Owned::new(scenario);
    retimes
        .par_iter()
        .map_init(Vec::new, |buffer: &mut Vec<BillRow>, r| {
            let time = |i: usize| {
                let e = &scenario.events[i];
                (if i == r.event { r.time } else { e.time }, e.seq)
            };
            let mut events = component.events.clone();
            events.sort_by_key(|&i| time(i));
            let comp = Component {
                accounts: component.accounts.clone(),
                resources: component.resources.clone(),
                events,
            };
            let mut run_bills = std::mem::take(buffer);
            run_bills.clear();
            run_bills.extend_from_slice(bills);
            let part = simulate_component(
                scenario,
                &owned,
                &comp,
                &mut run_bills,
                Some(*r),
                Reports::Sweep,
            );
            let results = merge(scenario, vec![part], vec![run_bills]);
            let reduced = reduce(r, &results);
            if let Some(back) = results.bills.into_parts().pop() {
                *buffer = back;
            }
            reduced
        })
        .collect()
}

/// Concatenates the parts and sorts each report by its SPEC §6 order. Every sort key is
/// unique, so the result is the same for any partitioning. Lists that are already in order
/// (always, with a single component) are not sorted again; bills are not concatenated at
/// all (see [`outcome::Bills`]).
fn merge(scenario: &Scenario, parts: Vec<Part>, bills: Vec<Vec<BillRow>>) -> Results {
    let settled = parts
        .iter()
        .flat_map(|p| p.settled.iter().copied())
        .collect();
    let mut r = Results {
        bills: outcome::Bills::new(bills, settled),
        opening: scenario.accounts.iter().map(|a| a.balance).collect(),
        ..Results::default()
    };
    for p in parts {
        append(&mut r.coupon_use, p.rows.coupon_use);
        append(&mut r.ledger_events, p.rows.ledger);
        append(&mut r.alerts, p.rows.alerts);
        append(&mut r.events, p.rows.events);
        append(&mut r.availability, p.availability);
        append(&mut r.ownership, p.ownership);
        append(&mut r.invoices, p.invoices);
        append(&mut r.summary, p.summary);
        r.histories.extend(p.histories);
    }
    sort_by_key(&mut r.coupon_use, |c| c.order);
    sort_by_key(&mut r.ledger_events, |l| l.key);
    sort_by_key(&mut r.alerts, |a| a.key);
    sort_by_key(&mut r.events, |e| scenario.events[e.event].seq);
    sort_by_key(&mut r.availability, |a| (a.account, a.from));
    sort_by_key(&mut r.ownership, |o| (o.resource, o.from));
    sort_by_key(&mut r.invoices, |i| (i.month, i.recipient, i.account));
    sort_by_key(&mut r.summary, |s| s.account);
    r
}

/// Moves `part` onto the end of `all`; the first part is taken over without copying.
fn append<T>(all: &mut Vec<T>, mut part: Vec<T>) {
    if all.is_empty() && part.capacity() >= all.capacity() {
        *all = part;
    } else {
        all.append(&mut part);
    }
}

/// Sorts by a unique key, in parallel, unless already sorted.
fn sort_by_key<T: Send, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K + Sync) {
    if !v.is_sorted_by_key(&key) {
        v.par_sort_unstable_by_key(key);
    }
}
