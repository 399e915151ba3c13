//! The simulation: pure, no I/O. Components run in parallel with rayon; their rows merge in
//! a fixed order, so the result does not depend on the thread count.

mod component;
mod intervals;
pub mod outcome;
mod pricing;
mod requests;
pub mod trusteeship;

use crate::scenario::Scenario;
use crate::timeline::Component;
use outcome::Results;
use rayon::prelude::*;

/// One component's rows, before merging.
struct Part {
    rows: component::ComponentRows,
    availability: Vec<outcome::AvailabilityRow>,
    ownership: Vec<outcome::OwnershipRow>,
    invoices: Vec<outcome::InvoiceRow>,
    summary: Vec<outcome::SummaryRow>,
}

fn simulate_component(scenario: &Scenario, comp: &Component) -> Part {
    let mut run = component::Run::new(scenario, comp);
    run.run();
    Part {
        availability: intervals::availability(&run),
        ownership: intervals::ownership(&run),
        invoices: intervals::invoices(&run),
        summary: intervals::summary(&run),
        rows: run.rows,
    }
}

/// Simulates every component on the current rayon pool and merges the rows into the
/// orders SPEC §6 gives. `on_component` is called once per finished component (progress).
pub fn simulate(
    scenario: &Scenario,
    components: &[Component],
    on_component: &(dyn Fn() + Sync),
) -> Results {
    // `collect` into a Vec keeps component order whatever the scheduling.
    let parts: Vec<Part> = components
        .par_iter()
        .map(|c| {
            let part = simulate_component(scenario, c);
            on_component();
            part
        })
        .collect();
    merge(scenario, parts)
}

/// Concatenates the parts and sorts each report by its SPEC §6 order. Every sort key is
/// unique, so the result is the same for any partitioning.
fn merge(scenario: &Scenario, parts: Vec<Part>) -> Results {
    let mut r = Results::default();
    for p in parts {
        r.bills.extend(p.rows.bills);
        r.coupon_use.extend(p.rows.coupon_use);
        r.ledger.extend(p.rows.ledger);
        r.alerts.extend(p.rows.alerts);
        r.events.extend(p.rows.events);
        r.availability.extend(p.availability);
        r.ownership.extend(p.ownership);
        r.invoices.extend(p.invoices);
        r.summary.extend(p.summary);
    }
    r.bills.par_sort_unstable_by_key(|b| b.bill.order());
    r.coupon_use.par_sort_unstable_by_key(|c| c.order);
    r.ledger.par_sort_unstable_by_key(|l| l.key);
    r.alerts.par_sort_unstable_by_key(|a| a.key);
    r.events
        .sort_unstable_by_key(|e| scenario.events[e.event].seq);
    r.availability.sort_unstable_by_key(|a| (a.account, a.from));
    r.ownership.sort_unstable_by_key(|o| (o.resource, o.from));
    r.invoices
        .sort_unstable_by_key(|i| (i.month, i.recipient, i.account));
    r.summary.sort_unstable_by_key(|s| s.account);
    r
}
