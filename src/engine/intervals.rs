//! Consequences computed once a component has run: arrears, availability (L2, B4),
//! ownership (T6, B7), invoices (L4, B6) and the per-account summary.

use super::outcome::{AvailabilityRow, InvoiceRow, OwnershipRow, Status, SummaryRow};
use super::state::Run;
use crate::bill::BillRow;
use crate::calendar::Instant;
use crate::ids::AccountId;
use crate::money::{Money, Total};
use crate::rules::RuleId;
use std::collections::BTreeMap;

/// Disjoint, sorted half-open intervals during which an account is in arrears.
#[derive(Clone, Debug, Default)]
struct Arrears(Vec<(Instant, Instant)>);

impl Arrears {
    fn contains(&self, t: Instant) -> bool {
        let i = self.0.partition_point(|&(from, _)| from <= t);
        i > 0 && t < self.0[i - 1].1
    }
}

/// SPEC §5.5: an unsettled bill puts its payer in arrears from `issued_at + grace_hours`
/// until fully settled. Unions the intervals of each payer, clipped to `end`.
fn arrears(run: &Run<'_>, end: Instant) -> Vec<Arrears> {
    let grace = i64::from(run.scenario().settings.policy.grace_hours) * 3600;
    let mut raw: Vec<Vec<(Instant, Instant)>> = vec![Vec::new(); run.accounts().len()];
    for (i, row) in run.bills().iter().enumerate() {
        if !row.short_at_issue() {
            continue;
        }
        let from = row.bill.issued_at.plus_seconds(grace);
        let to = run.settled_at(i).unwrap_or(end).min(end);
        if from < to {
            raw[run.local(row.payer)].push((from, to));
        }
    }
    raw.into_iter()
        .map(|mut v| {
            v.sort_unstable();
            let mut merged: Vec<(Instant, Instant)> = Vec::with_capacity(v.len());
            for (from, to) in v {
                match merged.last_mut() {
                    Some(last) if from <= last.1 => last.1 = last.1.max(to),
                    _ => merged.push((from, to)),
                }
            }
            Arrears(merged)
        })
        .collect()
}

/// Pushes `[from, to)` with `value`, extending the previous row when the value is the same,
/// so rows are maximal.
fn push_segment<T: PartialEq>(
    out: &mut Vec<(Instant, Instant, T)>,
    from: Instant,
    to: Instant,
    value: T,
) {
    if from >= to {
        return;
    }
    if let Some(last) = out.last_mut() {
        if last.1 == from && last.2 == value {
            last.1 = to;
            return;
        }
    }
    out.push((from, to, value));
}

/// The active main of each local account over the horizon: `(from, main)` steps.
fn main_steps(run: &Run<'_>, a: usize, start: Instant) -> Vec<(Instant, Option<AccountId>)> {
    let history = run.account(a).history();
    let mut steps = vec![(start, history.active_main(start))];
    for tr in history.transitions() {
        if tr.active > start {
            steps.push((tr.active, tr.main));
        }
    }
    steps
}

/// availability.csv rows of the component (SPEC §5.6).
pub(super) fn availability(run: &Run<'_>) -> Vec<AvailabilityRow> {
    let (start, end) = (run.scenario().settings.start, run.scenario().settings.end);
    let arrears = arrears(run, end);
    let mut rows = Vec::new();
    for a in 0..run.accounts().len() {
        let steps = main_steps(run, a, start);
        let mut points: Vec<Instant> = vec![start];
        points.extend(steps.iter().map(|s| s.0));
        points.extend(arrears[a].0.iter().flat_map(|&(f, t)| [f, t]));
        for &(_, main) in &steps {
            if let Some(m) = main {
                points.extend(arrears[run.local(m)].0.iter().flat_map(|&(f, t)| [f, t]));
            }
        }
        points.retain(|&p| p >= start && p < end);
        points.sort_unstable();
        points.dedup();
        let mut segments = Vec::new();
        for (k, &from) in points.iter().enumerate() {
            let to = points.get(k + 1).copied().unwrap_or(end);
            let step = steps.partition_point(|s| s.0 <= from);
            let main = steps[step.saturating_sub(1)].1;
            // rule L2: a linked account is unavailable while its active main is in
            // arrears; rule B4: an account in arrears has its own resources unavailable.
            let cause = match main {
                Some(m) if arrears[run.local(m)].contains(from) => Some((m, RuleId::L2)),
                _ if arrears[a].contains(from) => Some((run.account(a).id(), RuleId::B4)),
                _ => None,
            };
            push_segment(&mut segments, from, to, cause);
        }
        rows.extend(
            segments
                .into_iter()
                .map(|(from, to, cause)| AvailabilityRow {
                    account: run.account(a).id(),
                    from,
                    to,
                    status: if cause.is_some() {
                        Status::Unavailable
                    } else {
                        Status::Available
                    },
                    cause,
                }),
        );
    }
    rows
}

/// ownership.csv rows (SPEC §5.9): a linked account's resources belong to its active main.
pub(super) fn ownership(run: &Run<'_>) -> Vec<OwnershipRow> {
    let (start, end) = (run.scenario().settings.start, run.scenario().settings.end);
    // Each account's resources, in the component's (resource id) order: grouped once, as
    // filtering all resources per account is quadratic in a main's linked accounts.
    let mut resources_of: Vec<Vec<crate::ids::ResourceId>> = vec![Vec::new(); run.accounts().len()];
    for &r in &run.component().resources {
        resources_of[run.local(run.scenario().resources[r.index()].account)].push(r);
    }
    let mut rows = Vec::new();
    for (a, acc) in run.accounts().iter().enumerate() {
        let steps = main_steps(run, a, start);
        let mut segments = Vec::new();
        for (k, &(from, main)) in steps.iter().enumerate() {
            let to = steps.get(k + 1).map_or(end, |s| s.0).min(end);
            // rule T6: a linked account's resources belong to its active main; rule B7:
            // else to their account.
            let owner = main.map_or((acc.id(), RuleId::B7), |m| (m, RuleId::T6));
            push_segment(&mut segments, from.max(start), to, owner);
        }
        for &r in &resources_of[a] {
            rows.extend(
                segments
                    .iter()
                    .map(|&(from, to, (owner, rule))| OwnershipRow {
                        resource: r,
                        owner,
                        from,
                        to,
                        rule,
                    }),
            );
        }
    }
    rows
}

/// invoices.csv rows (SPEC §5.8), keyed for merging.
pub(super) fn invoices(run: &Run<'_>) -> Vec<InvoiceRow> {
    let calendar = &run.scenario().settings.calendar;
    let mut sums: BTreeMap<((i32, u32), AccountId, AccountId), Money> = BTreeMap::new();
    // Neighbouring bills mostly share a cycle start: remember the last month looked up.
    let mut last = (Instant(i64::MIN), (0, 0));
    let mut add = |row: &BillRow, amount: Money, last: &mut (Instant, (i32, u32))| {
        if last.0 != row.bill.cycle_start {
            *last = (
                row.bill.cycle_start,
                calendar.month_of(row.bill.cycle_start),
            );
        }
        let key = (last.1, row.payer, row.bill.account);
        *sums.entry(key).or_insert(Money::ZERO) += amount;
    };
    // Cash paid at issue, then what the few settled bills received later.
    for row in run.bills().iter() {
        if row.paid_at_issue.is_positive() {
            add(row, row.paid_at_issue, &mut last);
        }
    }
    for (i, later) in run.settled() {
        add(run.bill(i), later, &mut last);
    }
    sums.into_iter()
        .filter(|(_, amount)| amount.is_positive())
        .map(|((month, recipient, account), amount)| InvoiceRow {
            month,
            recipient,
            account,
            amount,
            // rule L4: invoices go to the bill's payer; rule B6: an account is invoiced for
            // what it paid itself. Refunds do not reduce them (docs/interpretations.md 22).
            rule: if recipient != account {
                RuleId::L4
            } else {
                RuleId::B6
            },
        })
        .collect()
}

/// summary.csv rows: what each account incurred, what it paid for, and its final balance.
pub(super) fn summary(run: &Run<'_>) -> Vec<SummaryRow> {
    /// One account's totals, summed exactly in `i128` (`money::Total`) and turned into
    /// `Money` once.
    #[derive(Clone, Copy, Default)]
    struct Sums {
        list: Total,
        discount: Total,
        coupon: Total,
        paid: Total,
        outstanding: Total,
        paid_as_payer: Total,
        outstanding_as_payer: Total,
    }
    let mut sums = vec![Sums::default(); run.accounts().len()];
    // Amounts as paid at issue; later settlements are added below, bill by bill.
    for row in run.bills().iter() {
        let (list, discount, coupon) = (
            Total::from(row.bill.list),
            Total::from(row.discount),
            Total::from(row.coupon),
        );
        let paid = Total::from(row.paid_at_issue);
        let outstanding = list - discount - coupon - paid;
        let r = &mut sums[run.local(row.bill.account)];
        r.list += list;
        r.discount += discount;
        r.coupon += coupon;
        r.paid += paid;
        r.outstanding += outstanding;
        let p = &mut sums[run.local(row.payer)];
        p.paid_as_payer += paid;
        p.outstanding_as_payer += outstanding;
    }
    for (i, later) in run.settled() {
        let row = run.bill(i);
        let later = Total::from(later);
        let r = &mut sums[run.local(row.bill.account)];
        r.paid += later;
        r.outstanding -= later;
        let p = &mut sums[run.local(row.payer)];
        p.paid_as_payer += later;
        p.outstanding_as_payer -= later;
    }
    run.accounts()
        .iter()
        .zip(sums)
        .map(|(acc, s)| SummaryRow {
            account: acc.id(),
            list: s.list.money(),
            discount: s.discount.money(),
            coupon: s.coupon.money(),
            paid: s.paid.money(),
            outstanding: s.outstanding.money(),
            paid_as_payer: s.paid_as_payer.money(),
            outstanding_as_payer: s.outstanding_as_payer.money(),
            balance_end: acc.balance(),
        })
        .collect()
}
