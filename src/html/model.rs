//! What the page shows, computed once from the [`Input`]: the accounts grouped by main, and
//! per group its totals, payer timeline, availability, balance, coupons, invoices and
//! requests — already aggregated to what is drawn, so that a 300-linked main or a 16-main
//! fleet draws a few thousand shapes, not 300 × 744 hourly cells. The renderer
//! ([`super::page`]) only lays this out.

use super::input::{Event, Id, Input, Time, SUMMARY_AMOUNTS};
use crate::error::{Error, Problem, ProblemKind};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Linked accounts drawn one row each in the payer timeline and in the availability chart;
/// the rest are drawn as one row per pattern (timeline) or counted (availability).
pub const MAX_ROWS: usize = 30;
/// Pattern rows per group; the rarest share the last.
pub const MAX_PATTERNS: usize = 10;
/// Events listed per group; the counts cover all of them.
pub const MAX_EVENTS: usize = 150;
/// Coupons drawn per group.
pub const MAX_COUPONS: usize = 8;
/// Accounts named in the invoice chart; the others are stacked as one.
pub const MAX_INVOICE_ACCOUNTS: usize = 7;
/// Time buckets of an aggregated row and of a downsampled balance line.
pub const BUCKETS: usize = 240;

/// The sums of summary.csv's amounts, in [`SUMMARY_AMOUNTS`] order.
pub type Totals = [Decimal; 8];

/// One stretch of a linked account's bills with the same payer and rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub from: i64,
    pub to: i64,
    pub payer: Id,
    pub rule: Id,
}

/// A request on a timeline row: when it was made and when it took effect.
#[derive(Clone, Debug)]
pub struct Marker {
    pub seq: u64,
    pub time: Time,
    pub effective_at: Option<Time>,
    pub kind: Box<str>,
    pub outcome: Box<str>,
    pub rule: Box<str>,
}

/// A linked account's payer timeline.
#[derive(Clone, Debug)]
pub struct TimelineRow {
    pub account: Id,
    pub segments: Vec<Segment>,
    pub markers: Vec<Marker>,
    /// Has a T5.1 (deferred) stretch or was ever unavailable: drawn first.
    pub notable: bool,
}

/// Linked accounts whose timelines follow the same pattern (the same rules in the same
/// order), drawn as one row: per bucket, how many of them the main paid.
#[derive(Clone, Debug)]
pub struct PatternRow {
    /// The rules in order, `B1 → T3 → L1`.
    pub pattern: String,
    pub accounts: Vec<Id>,
    /// Per bucket of the horizon, the accounts whose bills the main paid.
    pub main_paid: Vec<u32>,
}

/// One unavailable interval.
#[derive(Copy, Clone, Debug)]
pub struct Down {
    pub from: Time,
    pub to: Time,
    pub cause: Id,
    pub rule: Id,
}

#[derive(Clone, Debug)]
pub struct AvailabilityRow {
    pub account: Id,
    pub down: Vec<Down>,
    pub seconds: i64,
}

/// A step line, downsampled: per point its time and value; `lo`/`hi` the range the
/// bucket it stands for went through.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub points: Vec<(i64, Decimal, Decimal, Decimal)>,
    /// How many rows it was drawn from.
    pub rows: usize,
}

#[derive(Clone, Debug)]
pub struct CouponLine {
    pub coupon: Id,
    pub owner: Id,
    pub initial: Decimal,
    pub end: Decimal,
    pub series: Series,
}

/// Invoices of one month received by the main, by account.
#[derive(Clone, Debug)]
pub struct MonthBar {
    pub month: (i32, u32),
    /// (account or none for "the others", amount), in the legend's order.
    pub parts: Vec<(Option<Id>, Decimal)>,
    pub total: Decimal,
}

/// A request's kind, outcome and rule.
pub type RequestKey = (Box<str>, Box<str>, Box<str>);

/// A main and its linked accounts.
#[derive(Clone, Debug)]
pub struct Group {
    pub main: Id,
    /// Every account ever linked to it (applied or deferred), in id order.
    pub linked: Vec<Id>,
    /// summary.csv over the main and its linked accounts.
    pub totals: Totals,
    pub main_summary: Totals,
    /// Σ paid_as_payer and outstanding_as_payer of the linked accounts themselves.
    pub linked_paid: Decimal,
    pub linked_outstanding: Decimal,
    /// (kind, outcome, rule) → count, over the group's events.
    pub requests: BTreeMap<RequestKey, usize>,
    pub timeline: Vec<TimelineRow>,
    pub patterns: Vec<PatternRow>,
    pub availability: Vec<AvailabilityRow>,
    /// Accounts of the group with downtime beyond [`MAX_ROWS`], and their seconds.
    pub more_down: (usize, i64),
    pub always_available: usize,
    pub opening: Option<Decimal>,
    pub balance: Series,
    pub threshold: Option<Decimal>,
    /// Low-balance alerts about the main.
    pub alerts: Vec<(Time, Decimal, Id)>,
    pub coupons: Vec<CouponLine>,
    pub more_coupons: usize,
    pub invoices: Vec<MonthBar>,
    pub invoice_accounts: Vec<Option<Id>>,
    /// Indices into [`Input::events`], in seq order, at most [`MAX_EVENTS`].
    pub events: Vec<usize>,
    pub events_total: usize,
    pub deferred: usize,
    pub rejected: usize,
}

/// The whole page.
#[derive(Clone, Debug)]
pub struct Page {
    pub horizon: (Time, Time),
    pub totals: Totals,
    pub accounts: usize,
    pub groups: Vec<Group>,
    /// Accounts in no trusteeship, and their totals and downtime.
    pub others: Vec<Id>,
    pub others_totals: Totals,
    pub others_down: Vec<AvailabilityRow>,
    pub events: usize,
}

fn too_big(what: &str) -> Error {
    Error::Scenario(vec![Problem::new(
        ProblemKind::BadValue,
        "summary.csv",
        0,
        what,
        "the sum does not fit exactly",
    )])
}

fn add(to: &mut Totals, row: &Totals) -> Result<(), Error> {
    for (i, (t, v)) in to.iter_mut().zip(row).enumerate() {
        *t = t
            .checked_add(*v)
            .ok_or_else(|| too_big(SUMMARY_AMOUNTS[i]))?;
    }
    Ok(())
}

fn is_transition(kind: &str) -> bool {
    matches!(kind, "establish" | "modify" | "remove")
}

fn took(e: &Event) -> bool {
    matches!(&*e.outcome, "applied" | "deferred")
}

/// Builds the page's model; amounts are summed exactly (a sum past `Decimal`'s range is an
/// error, never rounded).
pub fn build(input: &Input) -> Result<Page, Error> {
    let names = &input.names;
    let horizon = horizon(input);
    let mut summary: BTreeMap<&str, (Id, Totals)> = BTreeMap::new();
    for s in &input.summary {
        summary.insert(names.get(s.account), (s.account, s.amounts));
    }
    let mut totals = [Decimal::ZERO; 8];
    for (_, row) in summary.values() {
        add(&mut totals, row)?;
    }
    // main → linked accounts, from the requests that took (applied or deferred).
    let mut linked: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &input.events {
        if matches!(&*e.kind, "establish" | "modify") && took(e) && !e.main.is_empty() {
            linked.entry(&e.main).or_default().insert(&e.account);
        }
    }
    let id = |s: &str| names.find(s);
    let mut grouped: BTreeSet<&str> = BTreeSet::new();
    let mut groups = Vec::new();
    for (main, members) in &linked {
        let Some(main_id) = id(main) else { continue };
        grouped.insert(main);
        grouped.extend(members.iter().copied());
        let members: Vec<Id> = members.iter().filter_map(|m| id(m)).collect();
        groups.push(group(input, main_id, members, &summary, horizon)?);
    }
    let others: Vec<Id> = summary
        .iter()
        .filter(|(name, _)| !grouped.contains(*name))
        .map(|(_, (id, _))| *id)
        .collect();
    let mut others_totals = [Decimal::ZERO; 8];
    for a in &others {
        if let Some((_, row)) = summary.get(names.get(*a)) {
            add(&mut others_totals, row)?;
        }
    }
    let (others_down, _, _) = availability(input, &others);
    Ok(Page {
        horizon,
        totals,
        accounts: summary.len(),
        groups,
        others,
        others_totals,
        others_down,
        events: input.events.len(),
    })
}

/// `[start, end)`: what availability.csv tiles (SPEC §6); else the bills' cycles.
fn horizon(input: &Input) -> (Time, Time) {
    let from = input.availability.iter().map(|a| a.from).min();
    let to = input.availability.iter().map(|a| a.to).max();
    match (from, to) {
        (Some(f), Some(t)) if t.at > f.at => (f, t),
        _ => {
            let f = input.bills.iter().map(|b| b.cycle_start).min().unwrap_or(0);
            let t = input
                .bills
                .iter()
                .map(|b| b.cycle_end)
                .max()
                .unwrap_or(f + 86_400);
            (
                Time { at: f, offset: 0 },
                Time {
                    at: t.max(f + 3600),
                    offset: 0,
                },
            )
        }
    }
}

fn group(
    input: &Input,
    main: Id,
    linked: Vec<Id>,
    summary: &BTreeMap<&str, (Id, Totals)>,
    horizon: (Time, Time),
) -> Result<Group, Error> {
    let names = &input.names;
    let row_of = |a: Id| summary.get(names.get(a)).map(|(_, r)| *r);
    let zero = [Decimal::ZERO; 8];
    let main_summary = row_of(main).unwrap_or(zero);
    let mut totals = main_summary;
    let (mut linked_paid, mut linked_outstanding) = (Decimal::ZERO, Decimal::ZERO);
    for a in &linked {
        let r = row_of(*a).unwrap_or(zero);
        add(&mut totals, &r)?;
        linked_paid = linked_paid
            .checked_add(r[5])
            .ok_or_else(|| too_big("paid_as_payer"))?;
        linked_outstanding = linked_outstanding
            .checked_add(r[6])
            .ok_or_else(|| too_big("outstanding_as_payer"))?;
    }
    let members: BTreeSet<&str> = std::iter::once(main)
        .chain(linked.iter().copied())
        .map(|a| names.get(a))
        .collect();

    // Events of the group: those naming one of its accounts.
    let mine: Vec<usize> = input
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| members.contains(&*e.account) || members.contains(&*e.main))
        .map(|(i, _)| i)
        .collect();
    let mut requests = BTreeMap::new();
    let (mut deferred, mut rejected) = (0, 0);
    for &i in &mine {
        let e = &input.events[i];
        *requests
            .entry((e.kind.clone(), e.outcome.clone(), e.rule.clone()))
            .or_insert(0) += 1;
        match &*e.outcome {
            "deferred" => deferred += 1,
            "rejected" => rejected += 1,
            _ => {}
        }
    }
    // The events listed: all when few; else those not simply applied first, then the
    // others, up to the cap, shown in seq order.
    let mut events: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&i| &*input.events[i].outcome != "applied")
        .take(MAX_EVENTS)
        .collect();
    for &i in &mine {
        if events.len() >= MAX_EVENTS {
            break;
        }
        if &*input.events[i].outcome == "applied" {
            events.push(i);
        }
    }
    events.sort_by_key(|&i| input.events[i].seq);

    let (availability_rows, more_down, always_available) = {
        let all: Vec<Id> = std::iter::once(main)
            .chain(linked.iter().copied())
            .collect();
        let (rows, _, _) = availability(input, &all);
        let up = all.len() - rows.len();
        let more: (usize, i64) = rows
            .iter()
            .skip(MAX_ROWS)
            .fold((0, 0), |(n, s), r| (n + 1, s + r.seconds));
        (
            rows.into_iter().take(MAX_ROWS).collect::<Vec<_>>(),
            more,
            up,
        )
    };
    let down: BTreeSet<Id> = input
        .availability
        .iter()
        .filter(|a| a.unavailable)
        .map(|a| a.account)
        .collect();
    let (timeline, patterns) = timeline(input, main, &linked, &down, horizon);

    let main_ledger: Vec<_> = input.ledger.iter().filter(|l| l.account == main).collect();
    let opening = main_ledger.first().map(|l| l.before);
    let balance = series(
        main_ledger.iter().map(|l| (l.time.at, l.balance)),
        opening,
        horizon,
    );
    let alerts = input
        .alerts
        .iter()
        .filter(|a| a.low_balance && a.subject == main)
        .map(|a| (a.time, a.amount, a.recipient))
        .collect();

    let (coupons, more_coupons) = coupons(input, &members, horizon);
    let (invoices, invoice_accounts) = invoices(input, main)?;
    Ok(Group {
        main,
        linked,
        totals,
        main_summary,
        linked_paid,
        linked_outstanding,
        requests,
        timeline,
        patterns,
        availability: availability_rows,
        more_down,
        always_available,
        opening,
        balance,
        threshold: input.thresholds.get(&main).copied(),
        alerts,
        coupons,
        more_coupons,
        invoices,
        invoice_accounts,
        events,
        events_total: mine.len(),
        deferred,
        rejected,
    })
}

/// The accounts of `accounts` that were ever unavailable, most downtime first, with the
/// number of those and of the others.
fn availability(input: &Input, accounts: &[Id]) -> (Vec<AvailabilityRow>, usize, usize) {
    let wanted: BTreeSet<Id> = accounts.iter().copied().collect();
    let mut by: BTreeMap<Id, AvailabilityRow> = BTreeMap::new();
    for a in &input.availability {
        if !a.unavailable || !wanted.contains(&a.account) {
            continue;
        }
        let Some((cause, rule)) = a.cause else {
            continue;
        };
        let row = by.entry(a.account).or_insert_with(|| AvailabilityRow {
            account: a.account,
            down: Vec::new(),
            seconds: 0,
        });
        row.seconds += a.to.at - a.from.at;
        row.down.push(Down {
            from: a.from,
            to: a.to,
            cause,
            rule,
        });
    }
    let mut rows: Vec<AvailabilityRow> = by.into_values().collect();
    let names = &input.names;
    rows.sort_by(|x, y| {
        y.seconds
            .cmp(&x.seconds)
            .then_with(|| names.get(x.account).cmp(names.get(y.account)))
    });
    let n = rows.len();
    (rows, n, accounts.len() - n)
}

/// The payer timelines of `linked`: bills merged into stretches of one payer and rule;
/// the notable accounts (deferred, or ever unavailable) first, one row each up to
/// [`MAX_ROWS`], the others one row per pattern.
fn timeline(
    input: &Input,
    main: Id,
    linked: &[Id],
    down: &BTreeSet<Id>,
    horizon: (Time, Time),
) -> (Vec<TimelineRow>, Vec<PatternRow>) {
    let names = &input.names;
    let wanted: BTreeSet<Id> = linked.iter().copied().collect();
    let mut bills: BTreeMap<Id, Vec<Segment>> = BTreeMap::new();
    for b in &input.bills {
        if wanted.contains(&b.account) {
            bills.entry(b.account).or_default().push(Segment {
                from: b.cycle_start,
                to: b.cycle_end,
                payer: b.payer,
                rule: b.rule,
            });
        }
    }
    let deferred = names.find("T5.1");
    let mut rows: Vec<TimelineRow> = linked
        .iter()
        .map(|&a| {
            let mut raw = bills.remove(&a).unwrap_or_default();
            raw.sort_by_key(|s| (s.from, s.to));
            let mut segments: Vec<Segment> = Vec::new();
            for s in raw {
                match segments.last_mut() {
                    Some(l) if l.payer == s.payer && l.rule == s.rule && s.from <= l.to => {
                        l.to = l.to.max(s.to);
                    }
                    _ => segments.push(s),
                }
            }
            let name = names.get(a);
            let markers = input
                .events
                .iter()
                .filter(|e| is_transition(&e.kind) && &*e.account == name)
                .map(|e| Marker {
                    seq: e.seq,
                    time: e.time,
                    effective_at: e.effective_at,
                    kind: e.kind.clone(),
                    outcome: e.outcome.clone(),
                    rule: e.rule.clone(),
                })
                .collect();
            let notable = down.contains(&a) || segments.iter().any(|s| Some(s.rule) == deferred);
            TimelineRow {
                account: a,
                segments,
                markers,
                notable,
            }
        })
        .collect();
    // Notable first, then by id (`linked` is in id order and the sort is stable).
    rows.sort_by_key(|r| !r.notable);
    let rest = if rows.len() > MAX_ROWS {
        rows.split_off(MAX_ROWS)
    } else {
        Vec::new()
    };
    let mut patterns: BTreeMap<String, PatternRow> = BTreeMap::new();
    let (t0, t1) = (horizon.0.at, horizon.1.at);
    for r in rest {
        let mut rules: Vec<&str> = Vec::new();
        for s in &r.segments {
            let rule = names.get(s.rule);
            if rules.last() != Some(&rule) {
                rules.push(rule);
            }
        }
        let pattern = if rules.is_empty() {
            "no bills".to_string()
        } else {
            rules.join(" → ")
        };
        let p = patterns
            .entry(pattern.clone())
            .or_insert_with(|| PatternRow {
                pattern,
                accounts: Vec::new(),
                main_paid: vec![0; BUCKETS],
            });
        p.accounts.push(r.account);
        for (k, n) in p.main_paid.iter_mut().enumerate() {
            let mid = bucket_mid(t0, t1, k);
            if r.segments
                .iter()
                .any(|s| s.from <= mid && mid < s.to && s.payer == main)
            {
                *n += 1;
            }
        }
    }
    let mut patterns: Vec<PatternRow> = patterns.into_values().collect();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.accounts.len()));
    // The rarest patterns beyond the cap share one row.
    if patterns.len() > MAX_PATTERNS {
        let rest = patterns.split_off(MAX_PATTERNS - 1);
        let mut other = PatternRow {
            pattern: format!("{} other patterns", rest.len()),
            accounts: Vec::new(),
            main_paid: vec![0; BUCKETS],
        };
        for p in rest {
            other.accounts.extend(p.accounts);
            for (o, n) in other.main_paid.iter_mut().zip(p.main_paid) {
                *o += n;
            }
        }
        other
            .accounts
            .sort_by(|a, b| names.get(*a).cmp(names.get(*b)));
        patterns.push(other);
    }
    (rows, patterns)
}

/// The middle instant of bucket `k` of [`BUCKETS`] over `[t0, t1)`.
pub fn bucket_mid(t0: i64, t1: i64, k: usize) -> i64 {
    let span = i128::from(t1 - t0);
    let n = BUCKETS as i128;
    let at = i128::from(t0) + (span * (2 * k as i128 + 1)) / (2 * n);
    i64::try_from(at).unwrap_or(t0)
}

fn bucket_of(t0: i64, t1: i64, t: i64) -> usize {
    let span = i128::from((t1 - t0).max(1));
    let k = (i128::from(t.clamp(t0, t1 - 1) - t0) * BUCKETS as i128) / span;
    (k as usize).min(BUCKETS - 1)
}

/// A step line from `(time, value after)` rows in time order, starting at `opening` at the
/// horizon's start: at most one point per bucket, each with the range its bucket went
/// through.
fn series(
    rows: impl Iterator<Item = (i64, Decimal)>,
    opening: Option<Decimal>,
    horizon: (Time, Time),
) -> Series {
    let (t0, t1) = (horizon.0.at, horizon.1.at);
    let mut out = Series::default();
    if let Some(o) = opening {
        out.points.push((t0, o, o, o));
    }
    let mut last_bucket = None;
    for (t, v) in rows {
        out.rows += 1;
        let k = bucket_of(t0, t1, t);
        match out.points.last_mut() {
            Some(p) if last_bucket == Some(k) => {
                p.1 = p.1.min(v);
                p.2 = p.2.max(v);
                p.3 = v;
            }
            _ => out.points.push((t.clamp(t0, t1), v, v, v)),
        }
        last_bucket = Some(k);
    }
    out
}

fn coupons(
    input: &Input,
    members: &BTreeSet<&str>,
    horizon: (Time, Time),
) -> (Vec<CouponLine>, usize) {
    let names = &input.names;
    let mut by: BTreeMap<Id, Vec<&super::input::CouponUse>> = BTreeMap::new();
    for c in &input.coupon_use {
        if members.contains(names.get(c.owner)) {
            by.entry(c.coupon).or_default().push(c);
        }
    }
    let mut lines: Vec<CouponLine> = by
        .into_iter()
        .map(|(coupon, uses)| {
            let first = uses[0];
            let initial = first
                .remaining
                .checked_add(first.amount)
                .unwrap_or(first.remaining);
            let end = uses.last().map_or(initial, |u| u.remaining);
            CouponLine {
                coupon,
                owner: first.owner,
                initial,
                end,
                series: series(
                    uses.iter().map(|u| (u.time.at, u.remaining)),
                    Some(initial),
                    horizon,
                ),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.initial
            .cmp(&a.initial)
            .then_with(|| names.get(a.coupon).cmp(names.get(b.coupon)))
    });
    let more = lines.len().saturating_sub(MAX_COUPONS);
    lines.truncate(MAX_COUPONS);
    (lines, more)
}

/// The invoices the main received, per month, by account: the accounts invoiced most
/// named, the rest as one part.
fn invoices(input: &Input, main: Id) -> Result<(Vec<MonthBar>, Vec<Option<Id>>), Error> {
    let names = &input.names;
    let mine: Vec<_> = input
        .invoices
        .iter()
        .filter(|i| i.recipient == main)
        .collect();
    let mut per_account: BTreeMap<Id, Decimal> = BTreeMap::new();
    for i in &mine {
        let t = per_account.entry(i.account).or_default();
        *t = t.checked_add(i.amount).ok_or_else(|| too_big("invoices"))?;
    }
    let mut ranked: Vec<(Id, Decimal)> = per_account.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| names.get(a.0).cmp(names.get(b.0)))
    });
    let named: Vec<Id> = ranked
        .iter()
        .take(MAX_INVOICE_ACCOUNTS)
        .map(|(a, _)| *a)
        .collect();
    let mut legend: Vec<Option<Id>> = named.iter().map(|a| Some(*a)).collect();
    if ranked.len() > named.len() {
        legend.push(None);
    }
    let mut months: BTreeMap<(i32, u32), BTreeMap<Option<Id>, Decimal>> = BTreeMap::new();
    for i in &mine {
        let key = named.contains(&i.account).then_some(i.account);
        let t = months.entry(i.month).or_default().entry(key).or_default();
        *t = t.checked_add(i.amount).ok_or_else(|| too_big("invoices"))?;
    }
    let mut bars = Vec::new();
    for (month, parts) in months {
        let mut total = Decimal::ZERO;
        let mut ordered = Vec::new();
        for k in &legend {
            if let Some(v) = parts.get(k) {
                total = total.checked_add(*v).ok_or_else(|| too_big("invoices"))?;
                ordered.push((*k, *v));
            }
        }
        bars.push(MonthBar {
            month,
            parts: ordered,
            total,
        });
    }
    Ok((bars, legend))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::read::Value;
    use crate::report::schema;
    use chrono::{DateTime, FixedOffset};

    fn at(hour: i64) -> Value {
        let off = FixedOffset::east_opt(8 * 3600).expect("offset");
        let d = DateTime::from_timestamp(1_772_294_400 + hour * 3600, 0).expect("time");
        Value::Instant(d.with_timezone(&off))
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// One hourly bill of `account` for hour `h`, paid by `payer` under `rule`.
    fn bill(input: &mut Input, account: &str, h: i64, payer: &str, rule: &str) {
        let mut cells = vec![Value::Empty; schema::BILLS.columns.len()];
        for (name, v) in [
            ("account_id", text(account)),
            ("cycle_start", at(h)),
            ("cycle_end", at(h + 1)),
            ("payer_id", text(payer)),
            ("rule", text(rule)),
        ] {
            cells[schema::BILLS.column(name).expect("column")] = v;
        }
        input.push(&schema::BILLS, &cells);
    }

    fn establish(input: &mut Input, seq: u64, linked: &str) {
        let mut cells = vec![Value::Empty; schema::EVENTS.columns.len()];
        for (name, v) in [
            ("seq", Value::Integer(seq)),
            ("time", at(2)),
            ("kind", text("establish")),
            ("account_id", text(linked)),
            ("main_id", text("M")),
            ("outcome", text("applied")),
            ("rule", text("T5.2")),
        ] {
            cells[schema::EVENTS.column(name).expect("column")] = v;
        }
        input.push(&schema::EVENTS, &cells);
    }

    #[test]
    fn bills_merge_into_stretches_and_the_many_are_drawn_by_pattern() {
        let mut input = Input::default();
        let n = MAX_ROWS + 5;
        for k in 0..n {
            let l = format!("L{k:03}");
            establish(&mut input, k as u64 + 1, &l);
            for h in 0..6 {
                let (payer, rule) = match h {
                    0..=1 => (l.as_str(), "B1"),
                    2 => (l.as_str(), "T3"),
                    _ => ("M", "L1"),
                };
                bill(&mut input, &l, h, payer, rule);
            }
        }
        let page = build(&input).expect("page");
        let [g] = &page.groups[..] else {
            panic!("one main, {} groups", page.groups.len());
        };
        assert_eq!(g.linked.len(), n);
        assert_eq!(g.timeline.len(), MAX_ROWS);
        // Six hourly bills, three stretches: B1 for two hours, T3, L1 for three.
        let rules: Vec<&str> = g.timeline[0]
            .segments
            .iter()
            .map(|s| input.names.get(s.rule))
            .collect();
        assert_eq!(rules, ["B1", "T3", "L1"]);
        assert_eq!(
            g.timeline[0].segments[0].to - g.timeline[0].segments[0].from,
            7200
        );
        let [p] = &g.patterns[..] else {
            panic!("{} patterns", g.patterns.len());
        };
        assert_eq!(p.pattern, "B1 → T3 → L1");
        assert_eq!(p.accounts.len(), 5);
        // The main paid all five in the last half of the six hours, none in the first.
        assert_eq!(p.main_paid[0], 0);
        assert_eq!(p.main_paid[BUCKETS - 1], 5);
    }
}
