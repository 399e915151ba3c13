//! From charge records to a scenario: the zone, what each row becomes (its [`Fate`]), the
//! accounts and resources and their names, the totals `import.md` states and the actuals.
//!
//! Everything here is bounded by accounts, resources, months and orders, never by rows:
//! rows stream through [`Plan::add`] and, when the usage is written, [`Plan::usage_row`].

use super::exact::{pow10, Units, SCALE};
use super::focus::Frequency;
use super::spool::{Record, NONE};
use crate::calendar::{Calendar, Cycle, Instant};
use std::collections::{BTreeMap, BTreeSet};

/// Strings seen in the files, numbered in first-seen order.
#[derive(Debug, Default)]
pub struct Interner {
    /// Only queried, never iterated, so hash order cannot reach output.
    #[allow(clippy::disallowed_types)]
    index: std::collections::HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.into());
        self.index.insert(s.into(), i);
        i
    }

    pub fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }
}

/// The interned strings of every record.
#[derive(Debug, Default)]
pub struct Tables {
    pub accounts: Interner,
    pub resources: Interner,
    pub products: Interner,
    pub categories: Interner,
    pub service_categories: Interner,
}

/// Longest account id, resource id and product the importer takes (bytes). Below
/// trustsim's 2048 so that a resource name made unique with its account and product
/// (`base#account#product#cycle#method`) is still an id.
pub const MAX_ACCOUNT_BYTES: usize = 512;
pub const MAX_RESOURCE_BYTES: usize = 1024;
pub const MAX_PRODUCT_BYTES: usize = 256;

/// `Record::id_problem` values.
pub const ID_OK: u8 = 0;
pub const ID_ACCOUNT: u8 = 1;
pub const ID_RESOURCE: u8 = 2;

/// Whether `s` can be a trustsim id of at most `max` bytes: not empty, no control
/// characters (they would not survive a CSV field as the same id).
pub fn usable_id(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
}

/// What became of a row. The order is `import.md`'s.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
    PayAsYouGo,
    Subscription,
    /// A ChargeCategory other than Usage and Purchase (interned).
    Category(u32),
    NullList,
    NegativeList,
    NoService,
    BadId,
    TooLarge,
    /// The charge period is not one whole hour, local day, week or month in the zone.
    Period,
}

impl Fate {
    pub fn imported(self) -> bool {
        matches!(self, Fate::PayAsYouGo | Fate::Subscription)
    }
}

/// Rows and their ListCost and BilledCost.
#[derive(Copy, Clone, Debug, Default)]
pub struct Tally {
    pub rows: u64,
    pub list: Units,
    pub billed: Units,
}

impl Tally {
    fn add(&mut self, r: &Record) {
        self.rows += 1;
        // Sums stay below 2 × MAX_TOTAL (checked while reading): no overflow.
        if let Some(c) = r.list {
            self.list.0 += c.units.0;
        }
        if let Some(c) = r.billed {
            self.billed.0 += c.units.0;
        }
    }
}

/// A resource of the scenario: one per account, ResourceId, product, cycle and method.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceKey {
    pub account: u32,
    pub resource: u32,
    pub product: u32,
    pub cycle: Cycle,
    pub subscription: bool,
}

/// A usage row to write.
#[derive(Copy, Clone, Debug)]
pub struct UsageRow {
    pub resource: u32,
    pub time: Instant,
    pub amount: Units,
    pub digits: u32,
}

/// Usage amounts have at most this many fraction digits (SPEC §3).
pub const USAGE_DIGITS: u32 = 10;
/// Usage amounts have at most this many integer digits (`money::MAX_INTEGER_DIGITS`).
const USAGE_INTEGER_DIGITS: u32 = crate::money::MAX_INTEGER_DIGITS as u32;

/// Subscription charges of one resource at one instant: one order (SPEC §4 allows one).
#[derive(Copy, Clone, Debug, Default)]
pub struct Order {
    pub amount: Units,
    pub digits: u32,
    pub rows: u64,
}

/// What the rows add up to.
#[derive(Debug)]
pub struct Plan {
    pub calendar: Calendar,
    pub fates: BTreeMap<Fate, Tally>,
    /// ListCost values with more than 10 fraction digits, and Σ (rounded − as written).
    pub rounded_rows: u64,
    pub rounding: Units,
    pub resources: BTreeMap<ResourceKey, u32>,
    /// Imported charge periods' extent, and every row's.
    pub imported_span: Option<(i64, i64)>,
    pub all_span: Option<(i64, i64)>,
    /// Σ BilledCost per (local month of ChargePeriodStart, billing account, account).
    pub actuals: BTreeMap<((i32, u32), u32, u32), Units>,
    pub null_billed: u64,
    /// Σ BilledCost per (account, billing account).
    pub billed_by: BTreeMap<(u32, u32), Units>,
    /// Imported rows per (product, ServiceCategory).
    pub categories: BTreeMap<(u32, u32), u64>,
    pub orders: BTreeMap<(u32, i64), Order>,
    pub payg_rows: u64,
}

impl Plan {
    pub fn new(calendar: Calendar) -> Plan {
        Plan {
            calendar,
            fates: BTreeMap::new(),
            rounded_rows: 0,
            rounding: Units::ZERO,
            resources: BTreeMap::new(),
            imported_span: None,
            all_span: None,
            actuals: BTreeMap::new(),
            null_billed: 0,
            billed_by: BTreeMap::new(),
            categories: BTreeMap::new(),
            orders: BTreeMap::new(),
            payg_rows: 0,
        }
    }

    /// What `r` becomes, and its cycle when imported.
    pub fn fate(&self, tables: &Tables, r: &Record) -> (Fate, Option<Cycle>) {
        if r.id_problem == ID_ACCOUNT {
            return (Fate::BadId, None);
        }
        let category = tables.categories.name(r.category);
        let subscription = match category {
            "Usage" => false,
            "Purchase" => true,
            _ => return (Fate::Category(r.category), None),
        };
        let Some(list) = r.list else {
            return (Fate::NullList, None);
        };
        if list.units.is_negative() {
            return (Fate::NegativeList, None);
        }
        if r.product == NONE {
            return (Fate::NoService, None);
        }
        if r.id_problem == ID_RESOURCE {
            return (Fate::BadId, None);
        }
        if list.units.round_half_even(USAGE_DIGITS).0 >= pow10(USAGE_INTEGER_DIGITS + SCALE) {
            return (Fate::TooLarge, None);
        }
        let (start, end) = (Instant(r.start), Instant(r.end));
        let cycle = [Cycle::Hourly, Cycle::Daily, Cycle::Weekly, Cycle::Monthly]
            .into_iter()
            .find(|&c| r.start < r.end && self.calendar.cycle_containing(c, start) == (start, end));
        let Some(cycle) = cycle else {
            return (Fate::Period, None);
        };
        let frequency = Frequency::from_u8(r.frequency);
        let subscription = subscription
            || matches!(
                frequency,
                Frequency::Recurring | Frequency::OneTime | Frequency::Other
            );
        let fate = if subscription {
            Fate::Subscription
        } else {
            Fate::PayAsYouGo
        };
        (fate, Some(cycle))
    }

    fn key(r: &Record, fate: Fate, cycle: Cycle) -> ResourceKey {
        ResourceKey {
            account: r.account,
            resource: r.resource,
            product: r.product,
            cycle,
            subscription: fate == Fate::Subscription,
        }
    }

    /// Counts one record (the first replay).
    pub fn add(&mut self, tables: &Tables, r: &Record) {
        let (fate, cycle) = self.fate(tables, r);
        self.fates.entry(fate).or_default().add(r);
        widen(&mut self.all_span, r.start, r.end);
        if fate != Fate::BadId {
            if let Some(b) = r.billed {
                let month = self.calendar.month_of(Instant(r.start));
                let sum = self
                    .actuals
                    .entry((month, r.billing, r.account))
                    .or_default();
                sum.0 += b.units.0;
                self.billed_by.entry((r.account, r.billing)).or_default().0 += b.units.0;
            } else {
                self.null_billed += 1;
                self.billed_by.entry((r.account, r.billing)).or_default();
            }
        }
        let (Some(cycle), Some(list)) = (cycle, r.list) else {
            return;
        };
        widen(&mut self.imported_span, r.start, r.end);
        let next = self.resources.len() as u32;
        let resource = *self
            .resources
            .entry(Self::key(r, fate, cycle))
            .or_insert(next);
        if r.service_category != NONE {
            *self
                .categories
                .entry((r.product, r.service_category))
                .or_default() += 1;
        }
        let (amount, digits) = usage_amount(list.units, list.scale);
        if u32::from(list.scale) > USAGE_DIGITS {
            self.rounded_rows += 1;
            self.rounding.0 += amount.0 - list.units.0;
        }
        if fate == Fate::Subscription {
            let order = self.orders.entry((resource, r.start)).or_default();
            order.amount.0 += amount.0;
            order.digits = order.digits.max(digits);
            order.rows += 1;
        } else {
            self.payg_rows += 1;
        }
    }

    /// The usage row of a pay-as-you-go record (the second replay); subscription charges
    /// are written as [`Plan::orders`].
    pub fn usage_row(&self, tables: &Tables, r: &Record) -> Option<UsageRow> {
        let (fate, cycle) = self.fate(tables, r);
        if fate != Fate::PayAsYouGo {
            return None;
        }
        let list = r.list?;
        let resource = *self.resources.get(&Self::key(r, fate, cycle?))?;
        let (amount, digits) = usage_amount(list.units, list.scale);
        Some(UsageRow {
            resource,
            time: Instant(r.start),
            amount,
            digits,
        })
    }

    /// Σ of every fate's tally, and of the imported ones.
    pub fn totals(&self) -> (Tally, Tally) {
        let mut all = Tally::default();
        let mut imported = Tally::default();
        for (fate, t) in &self.fates {
            for sum in [&mut all]
                .into_iter()
                .chain(fate.imported().then_some(&mut imported))
            {
                sum.rows += t.rows;
                sum.list.0 += t.list.0;
                sum.billed.0 += t.billed.0;
            }
        }
        (all, imported)
    }

    /// The enterprise of each account: the billing account, other than itself, that bills
    /// most of its cost (ties: the first in byte order); itself when there is none.
    pub fn enterprises(&self, tables: &Tables) -> Vec<u32> {
        let mut best: Vec<Option<(Units, u32)>> = vec![None; tables.accounts.len()];
        for (&(account, billing), &sum) in &self.billed_by {
            if account == billing {
                continue;
            }
            let slot = &mut best[account as usize];
            let better = match *slot {
                None => true,
                Some((s, b)) => {
                    sum > s || (sum == s && tables.accounts.name(billing) < tables.accounts.name(b))
                }
            };
            if better {
                *slot = Some((sum, billing));
            }
        }
        best.iter()
            .enumerate()
            .map(|(a, b)| b.map_or(a as u32, |(_, billing)| billing))
            .collect()
    }

    /// Accounts billed by more than one billing account.
    pub fn shared_accounts(&self) -> usize {
        let mut count: BTreeMap<u32, usize> = BTreeMap::new();
        for &(account, _) in self.billed_by.keys() {
            *count.entry(account).or_default() += 1;
        }
        count.values().filter(|&&n| n > 1).count()
    }

    /// Each resource's name: its ResourceId (or ServiceName) when that names one resource of
    /// the scenario; else the id with what tells its resources apart (`#account`,
    /// `#product`, `#cycle`, `#subscription`/`#pay_as_you_go`), and a number if even that
    /// is taken.
    pub fn resource_names(&self, tables: &Tables) -> Vec<String> {
        let mut groups: BTreeMap<&str, Vec<(ResourceKey, u32)>> = BTreeMap::new();
        for (&key, &index) in &self.resources {
            groups
                .entry(tables.resources.name(key.resource))
                .or_default()
                .push((key, index));
        }
        let mut names = vec![String::new(); self.resources.len()];
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for (base, keys) in &groups {
            if let [(_, index)] = keys.as_slice() {
                names[*index as usize] = base.to_string();
                taken.insert(base.to_string());
            }
        }
        // What tells the resources of one id apart: account, product, cycle, method.
        let part = |k: &ResourceKey, which: usize| -> &str {
            match which {
                0 => tables.accounts.name(k.account),
                1 => tables.products.name(k.product),
                2 => k.cycle.as_str(),
                _ if k.subscription => "subscription",
                _ => "pay_as_you_go",
            }
        };
        for (base, keys) in groups.iter().filter(|(_, k)| k.len() > 1) {
            let mut keys = keys.clone();
            keys.sort_by(|a, b| {
                (0..4)
                    .map(|w| part(&a.0, w))
                    .cmp((0..4).map(|w| part(&b.0, w)))
            });
            let varies: Vec<usize> = (0..4)
                .filter(|&w| {
                    keys.iter()
                        .map(|(k, _)| part(k, w))
                        .collect::<BTreeSet<_>>()
                        .len()
                        > 1
                })
                .collect();
            for (key, index) in &keys {
                let mut name = base.to_string();
                for &w in &varies {
                    name.push('#');
                    name.push_str(part(key, w));
                }
                let mut unique = name.clone();
                let mut n = 2;
                while taken.contains(&unique) {
                    unique = format!("{name}#{n}");
                    n += 1;
                }
                taken.insert(unique.clone());
                names[*index as usize] = unique;
            }
        }
        names
    }
}

fn widen(span: &mut Option<(i64, i64)>, start: i64, end: i64) {
    *span = Some(match *span {
        None => (start, end.max(start)),
        Some((s, e)) => (s.min(start), e.max(end).max(start)),
    });
}

/// A ListCost as a usage amount: as written, or rounded half-even to 10 fraction digits.
fn usage_amount(units: Units, scale: u8) -> (Units, u32) {
    let scale = u32::from(scale);
    if scale > USAGE_DIGITS {
        (units.round_half_even(USAGE_DIGITS), USAGE_DIGITS)
    } else {
        (units, scale)
    }
}

/// Votes for the scenario's zone: the offset at which daily, weekly and monthly charge
/// periods start at local midnight (SPEC §10.7).
#[derive(Debug, Default)]
pub struct ZoneVotes {
    votes: BTreeMap<i32, u64>,
}

const DAY: i64 = 86_400;
/// Offsets of real zones run from −12:00 to +14:00.
const WEST_MOST: i32 = -12 * 3600;
const EAST_MOST: i32 = 14 * 3600;

impl ZoneVotes {
    pub fn add(&mut self, start: i64, end: i64) {
        let length = end - start;
        let monthly = (28 * DAY..=31 * DAY).contains(&length);
        if length != DAY && length != 7 * DAY && !monthly {
            return;
        }
        let s = start.rem_euclid(DAY) as i32;
        if s % 60 != 0 {
            return;
        }
        // The offsets at which `start` is a local midnight, nearest UTC first (east on a
        // tie): −s and DAY − s, of which those real zones have.
        let mut candidates = [-s, DAY as i32 - s];
        candidates.sort_by_key(|&o| (o.abs(), -o));
        let Some(offset) = candidates
            .into_iter()
            .find(|o| (WEST_MOST..=EAST_MOST).contains(o))
        else {
            return;
        };
        if monthly {
            let local = |t: i64| {
                chrono::DateTime::from_timestamp(t + i64::from(offset), 0).map(|d| d.naive_utc())
            };
            use chrono::Datelike;
            let first_of_month = |t: i64| {
                local(t).is_some_and(|d| d.day() == 1 && d.time() == chrono::NaiveTime::MIN)
            };
            if !(first_of_month(start) && first_of_month(end)) {
                return;
            }
        }
        *self.votes.entry(offset).or_default() += 1;
    }

    /// The most voted offset (ties: nearest UTC, then east) and its votes; None without
    /// votes.
    pub fn winner(&self) -> Option<(i32, u64)> {
        self.votes
            .iter()
            .max_by_key(|&(&o, &n)| (n, std::cmp::Reverse(o.abs()), o))
            .map(|(&o, &n)| (o, n))
    }

    pub fn total(&self) -> u64 {
        self.votes.values().sum()
    }
}

/// An offset in seconds as `±HH:MM`.
pub fn offset_name(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zone_is_where_days_and_months_start_at_midnight() {
        let mut v = ZoneVotes::default();
        // 2026-05-01T00:00:00+08:00 = 2026-04-30T16:00:00Z.
        let may1 = 1_777_593_600 - 8 * 3600;
        v.add(may1, may1 + DAY);
        v.add(may1, may1 + 31 * DAY);
        v.add(may1, may1 + 3600); // an hour says nothing
        v.add(may1 + 3 * 3600, may1 + 3 * 3600 + 30 * DAY); // not a calendar month
        assert_eq!(v.winner(), Some((8 * 3600, 2)));
        assert_eq!(offset_name(8 * 3600), "+08:00");
        assert_eq!(offset_name(-(5 * 3600 + 30 * 60)), "-05:30");
        // At 11:00 UTC both −11:00 and +13:00 are midnight: the nearer UTC wins.
        let mut v = ZoneVotes::default();
        v.add(11 * 3600, 11 * 3600 + DAY);
        assert_eq!(v.winner(), Some((-11 * 3600, 1)));
    }
}
