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
use crate::scenario::{BillingMethod, Event, EventKind, Scenario};
use rayon::prelude::*;
use rust_decimal::Decimal;

/// A bill before anyone has paid it: what was incurred, when, and at what list price.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    pub resource: ResourceId,
    /// The incurring account (the resource's account).
    pub account: AccountId,
    pub cycle_start: Instant,
    pub cycle_end: Instant,
    pub issued_at: Instant,
    /// The instant after `@` in the bill id: the order time for a subscription, the cycle
    /// start for pay-as-you-go.
    pub id_time: Instant,
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
pub fn build_bills(scenario: &Scenario) -> Result<Vec<BillRow>, Error> {
    let calendar: &Calendar = &scenario.settings.calendar;
    let money = scenario.settings.money;
    let usage = &scenario.usage;
    // Never more bills than usage rows; reserving avoids growth copies of a large table.
    let mut bills = Vec::with_capacity(usage.len());
    let mut overflow: Option<Problem> = None;
    let mut i = 0;
    while i < usage.len() {
        let u = usage[i];
        let resource = &scenario.resources[u.resource.index()];
        let (cycle_start, cycle_end) = calendar.cycle_containing(resource.cycle, u.time);
        match resource.billing {
            BillingMethod::Subscription => {
                bills.push(BillRow::unprocessed(Bill {
                    resource: u.resource,
                    account: resource.account,
                    cycle_start,
                    cycle_end,
                    issued_at: u.time,
                    id_time: u.time,
                    list: money.round(u.amount),
                }));
                i += 1;
            }
            BillingMethod::PayAsYouGo => {
                // Usage is sorted by (resource, time): the cycle's rows are consecutive.
                let mut sum = Decimal::ZERO;
                while i < usage.len()
                    && usage[i].resource == u.resource
                    && usage[i].time < cycle_end
                {
                    match sum.checked_add(usage[i].amount) {
                        Some(s) => sum = s,
                        None => {
                            overflow.get_or_insert_with(|| Problem {
                                file: "usage.csv".into(),
                                line: 0,
                                column: "amount".into(),
                                message: format!(
                                    "usage of {} in the cycle from {} sums past the largest representable amount",
                                    scenario.resource_name(u.resource),
                                    calendar.format_time(cycle_start)
                                ),
                            });
                        }
                    }
                    i += 1;
                }
                bills.push(BillRow::unprocessed(Bill {
                    resource: u.resource,
                    account: resource.account,
                    cycle_start,
                    cycle_end,
                    issued_at: cycle_end,
                    id_time: cycle_start,
                    list: money.round(sum),
                }));
            }
        }
    }
    if let Some(p) = overflow {
        return Err(Error::Scenario(vec![p]));
    }
    bills.sort_unstable_by_key(|b| b.bill.order());
    Ok(bills)
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
    // A stable sort by component keeps bill order inside each group.
    let of_account: Vec<usize> = (0..n as u32)
        .map(|a| comp_of(AccountId(a), &mut uf))
        .collect();
    bills.par_sort_by_key(|b| of_account[b.bill.account.index()]);
    let mut start = 0;
    for (c, comp) in comps.iter_mut().enumerate() {
        let len = bills[start..].partition_point(|b| of_account[b.bill.account.index()] == c);
        comp.bills = start..start + len;
        start += len;
    }
    let mut order: Vec<usize> = (0..scenario.events.len()).collect();
    order.sort_by_key(|&i| event_key(&scenario.events[i]));
    for i in order {
        let subject = scenario.events[i].kind.subject(&scenario.resources);
        let c = comp_of(subject, &mut uf);
        comps[c].events.push(i);
    }
    comps
}

fn event_key(e: &Event) -> (Instant, u32) {
    (e.time, e.seq)
}
