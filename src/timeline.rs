//! From a validated scenario to the work the engine does: bills built from usage (SPEC §5.2)
//! and the scenario cut into independent components.
//!
//! Accounts tied by any establish/modify/remove event (whatever its outcome) can influence
//! each other's bills; no other event crosses accounts. Each connected group of accounts is a
//! [`Component`], simulated on its own and in parallel.

use crate::bill::{Bill, BillRow};
use crate::calendar::{Calendar, Instant};
use crate::error::{Error, Problem};
use crate::ids::{AccountId, ResourceId};
use crate::money::UsageSum;
use crate::scenario::{BillingMethod, Event, EventKind, Resource, Scenario, Usage};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A group of accounts that only influence each other, with everything they incur and do.
#[derive(Debug, Default)]
pub struct Component {
    /// Sorted.
    pub accounts: Vec<AccountId>,
    /// Resources of those accounts, sorted.
    pub resources: Vec<ResourceId>,
    /// Indices into `Scenario::events`, sorted by (time, seq): processing order.
    pub events: Vec<usize>,
}

/// Each resource's usage rows: `usage` sorted by (resource, time) cut per resource, indexed
/// by resource id (empty for a resource without usage).
pub fn usage_by_resource<'u>(scenario: &Scenario, usage: &'u [Usage]) -> Vec<&'u [Usage]> {
    let mut by_resource: Vec<&[Usage]> = vec![&[]; scenario.resources.len()];
    for rows in usage.chunk_by(|a, b| a.resource == b.resource) {
        by_resource[rows[0].resource.index()] = rows;
    }
    by_resource
}

/// Builds the bills of one component, in bill order, as yet unprocessed rows: the engine
/// prices and pays them in place, so a bill is one record from here to the report.
///
/// Each resource's bills come out of its usage (sorted by time) already in bill order, so
/// the resources' streams are merged rather than the bills sorted: a bill record is large,
/// and moving it `log n` times cost more than building it.
pub fn build_bills(
    scenario: &Scenario,
    component: &Component,
    usage: &[&[Usage]],
) -> Result<Vec<BillRow>, Error> {
    let mut streams: Vec<BillStream<'_>> = component
        .resources
        .iter()
        .map(|r| usage[r.index()])
        .filter(|rows| !rows.is_empty())
        .map(|rows| BillStream {
            scenario,
            rows,
            subscription: scenario.resources[rows[0].resource.index()].billing
                == BillingMethod::Subscription,
        })
        .collect();
    // Never more bills than usage rows; reserving avoids growth copies of a large table.
    let capacity = streams.iter().map(|s| s.rows.len()).sum();
    // The heap holds only each stream's next bill order; the bill waits in `heads`.
    let mut heads: Vec<Option<Bill>> = Vec::with_capacity(streams.len());
    let mut heap = BinaryHeap::with_capacity(streams.len());
    for (i, stream) in streams.iter_mut().enumerate() {
        let head = stream.next_bill()?;
        if let Some(bill) = &head {
            heap.push(Reverse((bill.order(), i)));
        }
        heads.push(head);
    }
    let mut bills = Vec::with_capacity(capacity);
    while let Some(Reverse((_, i))) = heap.pop() {
        let next = streams[i].next_bill()?;
        if let Some(bill) = &next {
            heap.push(Reverse((bill.order(), i)));
        }
        if let Some(bill) = std::mem::replace(&mut heads[i], next) {
            bills.push(BillRow::unprocessed(bill, streams[i].subscription));
        }
    }
    Ok(bills)
}

/// The bills of one resource, produced in order from its usage rows.
struct BillStream<'s> {
    scenario: &'s Scenario,
    /// Usage not yet billed, in time order.
    rows: &'s [Usage],
    subscription: bool,
}

impl BillStream<'_> {
    /// The next bill: one order of a subscription, or one cycle's usage summed for
    /// pay-as-you-go (its rows are consecutive).
    fn next_bill(&mut self) -> Result<Option<Bill>, Error> {
        let Some(&first) = self.rows.first() else {
            return Ok(None);
        };
        let s = self.scenario;
        let resource = &s.resources[first.resource.index()];
        let calendar: &Calendar = &s.settings.calendar;
        let money = s.settings.money;
        let (cycle_start, cycle_end) = calendar.cycle_containing(resource.cycle, first.time);
        let bill = |issued_at, list| Bill {
            resource: first.resource,
            account: resource.account,
            cycle_start,
            issued_at,
            list,
        };
        if self.subscription {
            self.rows = &self.rows[1..];
            return Ok(Some(bill(first.time, money.round(first.amount))));
        }
        // A linear scan, not a binary search: a cycle holds few rows, and the merge visits a
        // different resource each time, so every extra cache line touched is a miss.
        let n = self
            .rows
            .iter()
            .position(|u| u.time >= cycle_end)
            .unwrap_or(self.rows.len());
        // Exact in any row order: a fixed-point i128, rounded once (SPEC §3).
        let mut sum = UsageSum::ZERO;
        let list = self.rows[..n]
            .iter()
            .try_for_each(|u| sum.add(u.amount))
            .and_then(|()| money.round_sum(sum));
        // Loading bounds rows and digits so that no loaded scenario gets here (see
        // `docs/limits.md`); a scenario built by hand still gets a problem, not a panic.
        let list = list.ok_or_else(|| {
            Error::Scenario(vec![Problem {
                kind: crate::error::ProblemKind::Limit,
                file: "usage.csv".into(),
                line: 0,
                column: "amount".into(),
                message: format!(
                    "usage of {} in the cycle from {} sums past the largest representable amount",
                    s.resource_name(first.resource),
                    calendar.format_time(cycle_start)
                ),
            }])
        })?;
        self.rows = &self.rows[n..];
        Ok(Some(bill(cycle_end, list)))
    }
}

/// Disjoint-set forest over account indices.
struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Unites, keeping the smaller index as root so roots are deterministic.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.parent[hi as usize] = lo;
        }
    }
}

/// Cuts the scenario into components, ordered by their smallest account id.
pub fn components(scenario: &Scenario) -> Vec<Component> {
    components_of(
        scenario.accounts.len(),
        &scenario.resources,
        &scenario.events,
    )
}

/// [`components`] from the tables that decide them, so that a load can cut the scenario
/// before it reads usage (`crate::scenario::Skeleton`, SPEC §10.9).
pub fn components_of(accounts: usize, resources: &[Resource], events: &[Event]) -> Vec<Component> {
    let n = accounts;
    let mut uf = UnionFind::new(n);
    for e in events {
        if let EventKind::Establish { linked, main } | EventKind::Modify { linked, main } = e.kind {
            uf.union(linked.0, main.0);
        }
    }
    let mut slot = vec![usize::MAX; n];
    let mut comps: Vec<Component> = Vec::new();
    for a in 0..n as u32 {
        let root = uf.find(a) as usize;
        if slot[root] == usize::MAX {
            slot[root] = comps.len();
            comps.push(Component::default());
        }
        comps[slot[root]].accounts.push(AccountId(a));
    }
    let comp_of = |a: AccountId, uf: &mut UnionFind| slot[uf.find(a.0) as usize];
    for r in resources {
        let c = comp_of(r.account, &mut uf);
        comps[c].resources.push(r.id);
    }
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| event_key(&events[i]));
    for i in order {
        let subject = events[i].kind.subject(resources);
        let c = comp_of(subject, &mut uf);
        comps[c].events.push(i);
    }
    comps
}

fn event_key(e: &Event) -> (Instant, u32) {
    (e.time, e.seq)
}
