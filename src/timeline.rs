//! From a validated scenario to the work the engine does: bills built from usage (SPEC §5.2)
//! and the scenario cut into independent components.
//!
//! Accounts tied by any establish/modify/remove event (whatever its outcome) can influence
//! each other's bills; no other event crosses accounts. Each connected group of accounts is a
//! [`Component`], simulated on its own and in parallel.

use crate::calendar::{Calendar, Instant};
use crate::engine::outcome::BillRow;
use crate::error::{Error, Problem};
use crate::ids::{AccountId, ResourceId};
use crate::money::Money;
use crate::scenario::{BillingMethod, Event, EventKind, Scenario, Usage};
use rust_decimal::Decimal;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A bill before anyone has paid it: what was incurred, when, and at what list price.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    pub resource: ResourceId,
    /// The incurring account (the resource's account).
    pub account: AccountId,
    pub cycle_start: Instant,
    /// The cycle's end for pay-as-you-go; the order's time for a subscription. (A
    /// subscription's cycle end is recomputed for the report: storing it would cost 8 bytes
    /// on every bill of a run.)
    pub issued_at: Instant,
    pub list: Money,
}

/// Where a bill sits in SPEC §5 bill order: (issued_at, account_id, resource_id, cycle_start).
pub type BillOrder = (Instant, AccountId, ResourceId, Instant);

impl Bill {
    pub fn order(&self) -> BillOrder {
        (
            self.issued_at,
            self.account,
            self.resource,
            self.cycle_start,
        )
    }
}

/// A group of accounts that only influence each other, with everything they incur and do.
#[derive(Debug, Default)]
pub struct Component {
    /// Sorted.
    pub accounts: Vec<AccountId>,
    /// Resources of those accounts, sorted.
    pub resources: Vec<ResourceId>,
    /// Its bills' positions in the scenario's bill list, which [`components`] groups by
    /// component (each group in bill order).
    pub bills: std::ops::Range<usize>,
    /// Indices into `Scenario::events`, sorted by (time, seq): processing order.
    pub events: Vec<usize>,
}

/// Builds every bill of the scenario, in bill order, as yet unprocessed rows: the engine
/// prices and pays them in place, so a bill is one record from here to the report.
///
/// Each resource's bills come out of its usage (sorted by resource and time) already in
/// bill order, so the resources' streams are merged rather than the bills sorted: a bill
/// record is large, and moving it `log n` times cost more than building it.
pub fn build_bills(scenario: &Scenario) -> Result<Vec<BillRow>, Error> {
    let usage = &scenario.usage;
    let mut streams: Vec<BillStream<'_>> = usage
        .chunk_by(|a, b| a.resource == b.resource)
        .map(|rows| BillStream {
            scenario,
            rows,
            subscription: scenario.resources[rows[0].resource.index()].billing
                == BillingMethod::Subscription,
        })
        .collect();
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
    // Never more bills than usage rows; reserving avoids growth copies of a large table.
    let mut bills = Vec::with_capacity(usage.len());
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
        let mut sum = Decimal::ZERO;
        for u in &self.rows[..n] {
            sum = sum.checked_add(u.amount).ok_or_else(|| {
                Error::Scenario(vec![Problem {
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
        }
        self.rows = &self.rows[n..];
        Ok(Some(bill(cycle_end, money.round(sum))))
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

/// Cuts the scenario into components, ordered by their smallest account id, and regroups
/// `bills` (in bill order) so each component's bills are one contiguous run.
pub fn components(scenario: &Scenario, bills: &mut [BillRow]) -> Vec<Component> {
    let n = scenario.accounts.len();
    let mut uf = UnionFind::new(n);
    for e in &scenario.events {
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
    for r in &scenario.resources {
        let c = comp_of(r.account, &mut uf);
        comps[c].resources.push(r.id);
    }
    let of_account: Vec<usize> = (0..n as u32)
        .map(|a| comp_of(AccountId(a), &mut uf))
        .collect();
    group_by_component(bills, &mut comps, &of_account);
    let mut order: Vec<usize> = (0..scenario.events.len()).collect();
    order.sort_by_key(|&i| event_key(&scenario.events[i]));
    for i in order {
        let subject = scenario.events[i].kind.subject(&scenario.resources);
        let c = comp_of(subject, &mut uf);
        comps[c].events.push(i);
    }
    comps
}

/// Regroups `bills` (in bill order) so each component's bills are contiguous and still in
/// bill order, and records each component's range. An in-place permutation: every record
/// moves at most twice, and nothing the size of the bill table is allocated.
fn group_by_component(bills: &mut [BillRow], comps: &mut [Component], of_account: &[usize]) {
    let comp_of = |b: &BillRow| of_account[b.bill.account.index()];
    let mut start = vec![0usize; comps.len() + 1];
    for b in bills.iter() {
        start[comp_of(b) + 1] += 1;
    }
    for c in 0..comps.len() {
        start[c + 1] += start[c];
        comps[c].bills = start[c]..start[c + 1];
    }
    if comps.len() <= 1 {
        return;
    }
    // Where each bill goes: its component's next free slot, taken in bill order.
    let mut dest: Vec<usize> = bills
        .iter()
        .map(|b| {
            let slot = &mut start[comp_of(b)];
            *slot += 1;
            *slot - 1
        })
        .collect();
    for i in 0..bills.len() {
        while dest[i] != i {
            let j = dest[i];
            bills.swap(i, j);
            dest.swap(i, j);
        }
    }
}

fn event_key(e: &Event) -> (Instant, u32) {
    (e.time, e.seq)
}
