//! `trustsim generate`: synthetic scenarios at fleet scale, for benchmarks, load tests and
//! analysts who want to see the reports of a realistic fleet before writing their own.
//!
//! A generated scenario is a plain scenario directory (SPEC §4) that passes `validate`. Its
//! shape is a fleet of *mains*, each at the `linked_per_main` limit, with a mix of events that
//! exercises every trusteeship outcome: applied and deferred (T5.1) establishes, modifies,
//! removes, top-ups that settle old bills (B3), downgrades (B8/T6), and requests that must be
//! rejected — the 301st linked account (T8) first among them.
//!
//! Determinism: every random choice comes from [`ChaCha8Rng`] seeded with `seed`, whose output
//! is specified bit for bit, and only integer sampling is used per row (shares are turned into
//! integer thresholds once), so one seed gives byte-identical files on every machine. The
//! usage, the events and the rest (accounts, resources, coupons, discounts) draw from three
//! separate ChaCha streams, so changing the event mix leaves `usage.csv` unchanged.
//!
//! One format: the generator writes with the crate's own writers — times through
//! [`Calendar`] (the local input form of SPEC §2), amounts through [`MoneyRules`], each
//! table's file name, header and column order from [`crate::scenario::columns`], which the
//! reader reads by — so a generated scenario cannot drift from what `load` accepts. (That
//! is also why it is a module and not a crate of its own.) The knobs are in `params.rs`, the
//! accounts and resources it draws in `plan.rs`.
//!
//! Memory: `usage.csv` is written row by row through a buffered writer while walking the
//! horizon hour by hour, so a year of a 20-main fleet (≈ 10⁸ rows) needs only the per-resource
//! plan (a few hundred bytes per resource) in memory.
//!
//! Layout of one main `m0001` (enterprise `e0001`):
//!
//! | account | role |
//! |---|---|
//! | `m0001` | the main; large balance, weekly top-ups |
//! | `m0001-b` | a second main of the same enterprise: the target of `modify` |
//! | `m0001-l001` … `m0001-l300` | linked accounts; a `deferred_share` of them have a balance of 0.01, a forced first-hour bill and so an unsettled bill when they ask to join (T5.1) |
//! | `m0001-x1` | asks to join after the others: the 301st, rejected by T8 |
//! | `m0001-x2` | another enterprise (`e0001-x`): its request is rejected by T7 |

mod params;
mod plan;

pub use params::{CycleMix, GenerateParams};

use crate::calendar::{Calendar, Cycle, Instant, Zone};
use crate::money::{Money, MoneyRules, Rounding};
use crate::scenario::columns::{self, Table};
use crate::scenario::{BillingMethod, SubscriptionPayer, T5Scope};
use chrono::{NaiveTime, Weekday};
use plan::{chance, plan, rng_for, threshold, Billing, Plan, Role};
use plan::{STREAM_EVENTS, STREAM_PLAN, STREAM_PRICING, STREAM_USAGE};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Product codes of generated pay-as-you-go resources, besides the AliTelecom one.
const PRODUCTS: [&str; 5] = ["cdn", "ecs", "oss", "rds", "slb"];
/// The product T2 treats as AliTelecom (the SPEC's default `alitelecom_products`).
const ALITELECOM: &str = "alitelecom";
/// The scenario's zone: a fixed offset has no DST gaps, so every generated local time exists.
const TIMEZONE: &str = "+08:00";
/// Seconds per hour and day.
const HOUR_SECS: i64 = 3_600;
const DAY_SECS: i64 = 86_400;
/// A subscription is renewed every 30 days (720 hours) from its first order.
const SUBSCRIPTION_PERIOD_HOURS: u32 = 720;
/// Usage amounts are drawn in units of 10⁻⁴ (four fraction digits, as metering exports
/// often have), uniformly from 0.0001 to 1.0000.
const USAGE_UNITS_MAX: u32 = 10_000;
const USAGE_SCALE: u32 = 4;
/// Balances, top-ups, coupons, subscription orders and percentages are written in
/// hundredths.
const CENTS_SCALE: u32 = 2;
/// Share (out of 4) of subscription resources that get a downgrade event.
const DOWNGRADE_QUARTERS: u32 = 1;
/// Whole currency units a linked account starts with, at least, plus
/// [`LINKED_BALANCE_PER_RESOURCE`] per resource: enough to pay its own first day of bills, so
/// only the deliberately poor accounts have unsettled bills when they ask to join.
const LINKED_BALANCE_MIN: u64 = 100;
const LINKED_BALANCE_MAX: u64 = 1_000;
const LINKED_BALANCE_PER_RESOURCE: u64 = 30;
/// Balance of the deliberately poor linked accounts, in cents: less than any forced bill.
const POOR_BALANCE_CENTS: u64 = 1;
/// Top-up that settles a poor account's unsettled bills, in whole units.
const POOR_TOPUP: u64 = 1_000;

/// Writes the times of the scenario: `secs` after the horizon start, in the scenario's own
/// zone, in the local input form of SPEC §2 (no offset), through [`Calendar`].
struct Clock {
    calendar: Calendar,
    start: Instant,
}

impl Clock {
    /// The clock of a horizon starting at local midnight of `p.start` in [`TIMEZONE`].
    fn new(p: &GenerateParams) -> Result<Clock, GenerateError> {
        let zone = Zone::parse(TIMEZONE).map_err(GenerateError::Params)?;
        let calendar = Calendar::new(zone, Weekday::Mon);
        let midnight = p.start.and_time(NaiveTime::MIN);
        let start = calendar
            .zone
            .from_local(midnight)
            .ok_or_else(|| GenerateError::Params(format!("start: {midnight} does not exist")))?;
        Ok(Clock { calendar, start })
    }

    /// Appends the local time `secs` after the start: `2026-03-01T00:34:05`.
    fn write_time(&self, secs: i64, out: &mut String) {
        self.calendar
            .write_local_time(self.start.plus_seconds(secs), out);
    }

    fn time(&self, secs: i64) -> String {
        let mut s = String::with_capacity(19);
        self.write_time(secs, &mut s);
        s
    }

    /// The local date `days` after the start: `2026-03-01`.
    fn date(&self, days: i64) -> String {
        let mut s = String::with_capacity(10);
        self.calendar
            .write_local_date(self.start.plus_seconds(days * DAY_SECS), &mut s);
        s
    }
}

/// Appends `units / 10^scale` with exactly `scale` fraction digits (`1.0000`, `0.05`),
/// through the money writer the reports use. Every amount the generator writes is a whole
/// number of such units, so nothing is rounded.
fn write_amount(units: u64, scale: u32, out: &mut String) {
    let rules = MoneyRules {
        scale,
        rounding: Rounding::HalfUp,
    };
    let exact = Decimal::from_i128_with_scale(i128::from(units), scale);
    rules.write(Money::from_decimal(exact), out);
}

/// `units / 10^scale` as text; see [`write_amount`].
fn amount(units: u64, scale: u32) -> String {
    let mut s = String::new();
    write_amount(units, scale, &mut s);
    s
}

/// An amount of `v` hundredths (cents): `12.34`.
fn cents(v: u64) -> String {
    amount(v, CENTS_SCALE)
}

/// One row of `table`: each column's field from `fields` (by column name), empty when not
/// given, joined in the table's column order.
fn row(table: Table, fields: &[(&str, &str)]) -> String {
    debug_assert!(
        fields.iter().all(|(n, _)| table.columns.contains(n)),
        "{} has no column among {fields:?}",
        table.file
    );
    let cells: Vec<&str> = table
        .columns
        .iter()
        .map(|c| fields.iter().find(|(n, _)| n == c).map_or("", |(_, v)| *v))
        .collect();
    cells.join(",")
}

/// The files a generated scenario consists of; the output module replaces these (and keeps
/// anything else an analyst added) when a generated scenario is generated again.
pub const FILES: [&str; 7] = [
    SETTINGS_FILE,
    columns::ACCOUNTS.file,
    columns::RESOURCES.file,
    columns::COUPONS.file,
    columns::DISCOUNTS.file,
    columns::EVENTS.file,
    columns::USAGE.file,
];

/// The settings file of a scenario (SPEC §4).
const SETTINGS_FILE: &str = "scenario.toml";

/// Opens `dir/name` (a new file in the staging directory) for buffered writing.
fn create(dir: &Path, name: &str) -> Result<(PathBuf, BufWriter<File>), GenerateError> {
    let path = dir.join(name);
    let file = crate::output::create(dir, name)?;
    Ok((path, BufWriter::with_capacity(1 << 20, file)))
}

/// Writes `dir/name` with `body`, mapping any I/O error to the file's path.
fn write_file(
    dir: &Path,
    name: &str,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), GenerateError> {
    let (path, mut w) = create(dir, name)?;
    body(&mut w)
        .and_then(|()| w.flush())
        .map_err(|source| GenerateError::Io { path, source })
}

/// Why a scenario could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A parameter is out of range; the message names it and what is accepted.
    #[error("{0}")]
    Params(String),
    /// The output directory was refused (it holds files `generate` did not write) or could
    /// not be written; the previous contents are as they were.
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// A file could not be written; the cause is the `source` (named once in a chain).
    #[error("{}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What was written, for the command's summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub accounts: u64,
    pub resources: u64,
    pub usage_rows: u64,
    pub events: u64,
    pub coupons: u64,
    pub discounts: u64,
}

/// Writes a scenario generated from `params` into `out`: created if missing; an empty
/// directory or a scenario generated before is replaced (files an analyst added to it are
/// kept); anything else is refused. The files are written into a staging directory beside
/// `out` and swapped in whole (`crate::output`), so `out` never holds a partial scenario.
pub fn generate(params: &GenerateParams, out: &Path) -> Result<GenerateSummary, GenerateError> {
    generate_with_progress(params, out, &mut |_| {})
}

/// [`generate`], calling `on_hour` with the number of hours of usage written so far (out of
/// [`GenerateParams::hours`]).
pub fn generate_with_progress(
    params: &GenerateParams,
    out: &Path,
    on_hour: &mut dyn FnMut(u64),
) -> Result<GenerateSummary, GenerateError> {
    params.validate()?;
    let clock = Clock::new(params)?;
    let staged = crate::output::Target::scenario(out)?.stage()?;
    let out = staged.dir();
    let plan = plan(params, &mut rng_for(params.seed, STREAM_PLAN));
    let mut summary = GenerateSummary {
        accounts: plan.accounts.len() as u64,
        resources: plan.resources.len() as u64,
        ..GenerateSummary::default()
    };

    write_settings(params, &clock, out)?;
    write_accounts(&plan, out)?;
    write_resources(params, &plan, &clock, out)?;
    let mut rng = rng_for(params.seed, STREAM_PRICING);
    summary.coupons = write_coupons(params, &plan, &clock, &mut rng, out)?;
    summary.discounts = write_discounts(params, &plan, &clock, &mut rng, out)?;
    summary.events = write_events(
        params,
        &plan,
        &clock,
        &mut rng_for(params.seed, STREAM_EVENTS),
        out,
    )?;
    summary.usage_rows = write_usage(
        params,
        &plan,
        &clock,
        &mut rng_for(params.seed, STREAM_USAGE),
        out,
        on_hour,
    )?;
    staged.publish()?;
    Ok(summary)
}

fn write_settings(p: &GenerateParams, clock: &Clock, out: &Path) -> Result<(), GenerateError> {
    write_file(out, SETTINGS_FILE, |w| {
        writeln!(
            w,
            "# Generated; regenerate with the command in `description`."
        )?;
        writeln!(w, "description = \"{}\"", p.command_line())?;
        writeln!(w, "timezone = \"{TIMEZONE}\"")?;
        writeln!(w, "start = \"{}\"", clock.date(0))?;
        writeln!(w, "end = \"{}\"", clock.date(i64::from(p.days)))?;
        writeln!(w, "max_linked = {}", p.linked_per_main)?;
        writeln!(w, "alitelecom_products = [\"{ALITELECOM}\"]")?;
        writeln!(w)?;
        writeln!(w, "[policy]")?;
        writeln!(w, "unsettled = \"defer\"")?;
        writeln!(w, "grace_hours = 0")?;
        // As in the command line: only a policy that is not the default is written.
        if p.t5_scope != T5Scope::Payer {
            writeln!(w, "t5_scope = \"{}\"", p.t5_scope)?;
        }
        if p.subscription_payer != SubscriptionPayer::Cycle {
            writeln!(w, "subscription_payer = \"{}\"", p.subscription_payer)?;
        }
        Ok(())
    })
}

/// Writes `table` into `out`: its header, then `rows`, one a line.
fn write_table(
    out: &Path,
    table: Table,
    rows: impl IntoIterator<Item = String>,
) -> Result<(), GenerateError> {
    write_file(out, table.file, |w| {
        writeln!(w, "{}", table.header())?;
        for r in rows {
            writeln!(w, "{r}")?;
        }
        Ok(())
    })
}

fn write_accounts(plan: &Plan, out: &Path) -> Result<(), GenerateError> {
    let opt = |v: Option<u64>| v.map(cents).unwrap_or_default();
    let rows = plan.accounts.iter().map(|a| {
        row(
            columns::ACCOUNTS,
            &[
                ("account_id", &a.id),
                ("enterprise_id", &a.enterprise),
                ("balance", &cents(a.balance_cents)),
                ("low_balance_threshold", &opt(a.low_cents)),
                ("high_bill_threshold", &opt(a.high_cents)),
            ],
        )
    });
    write_table(out, columns::ACCOUNTS, rows)
}

/// The hour of every order of a subscription whose first order is in `first_hour`.
fn order_hours(first_hour: u32, hours: u64) -> impl Iterator<Item = u64> {
    (u64::from(first_hour)..hours).step_by(SUBSCRIPTION_PERIOD_HOURS as usize)
}

fn write_resources(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    out: &Path,
) -> Result<(), GenerateError> {
    let rows = plan.resources.iter().map(|r| {
        let account = plan.accounts[r.account].id.as_str();
        let fields = |method: BillingMethod, cycle: &str, expires: &str| {
            row(
                columns::RESOURCES,
                &[
                    ("resource_id", &r.id),
                    ("account_id", account),
                    ("product", r.product),
                    ("billing_method", method.as_str()),
                    ("cycle", cycle),
                    ("expires_at", expires),
                ],
            )
        };
        match r.billing {
            Billing::PayAsYouGo { cycle, .. } => {
                fields(BillingMethod::PayAsYouGo, cycle.as_str(), "")
            }
            Billing::Subscription { first_hour, second } => {
                // The last order's period ends after it; downgrades before then refund.
                let last = order_hours(first_hour, p.hours()).last().unwrap_or(0);
                let expires = (last + u64::from(SUBSCRIPTION_PERIOD_HOURS)) as i64 * HOUR_SECS
                    + i64::from(second);
                fields(
                    BillingMethod::Subscription,
                    Cycle::Monthly.as_str(),
                    &clock.time(expires),
                )
            }
        }
    });
    write_table(out, columns::RESOURCES, rows)
}

fn write_coupons(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
) -> Result<u64, GenerateError> {
    let share = threshold(p.coupon_share);
    let mut rows = Vec::new();
    for a in &plan.accounts {
        // Draws happen for every account so one account's choice never shifts another's.
        let has = chance(rng, share);
        let main = matches!(a.role, Role::Main | Role::Second);
        let amount = if main {
            rng.gen_range(100_000..=2_000_000u64)
        } else {
            rng.gen_range(500..=10_000u64)
        };
        let until = match rng.gen_range(0..2u32) {
            0 => String::new(),
            _ => clock.date(i64::from(rng.gen_range(1..=p.days))),
        };
        let products = match rng.gen_range(0..4u32) {
            0 | 1 => "*".to_string(),
            2 => ALITELECOM.to_string(),
            _ => {
                let i = rng.gen_range(0..PRODUCTS.len() as u32) as usize;
                format!("{}|{}", PRODUCTS[i], PRODUCTS[(i + 1) % PRODUCTS.len()])
            }
        };
        // Poor accounts must not have their forced first bill covered.
        if has && !a.poor {
            rows.push(row(
                columns::COUPONS,
                &[
                    ("coupon_id", &format!("{}-c1", a.id)),
                    ("account_id", &a.id),
                    ("amount", &cents(amount)),
                    ("valid_from", &clock.date(0)),
                    ("valid_until", &until),
                    ("products", &products),
                ],
            ));
        }
    }
    let n = rows.len() as u64;
    write_table(out, columns::COUPONS, rows)?;
    Ok(n)
}

fn write_discounts(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
) -> Result<u64, GenerateError> {
    let share = threshold(p.discount_share);
    let mut rows = Vec::new();
    for a in &plan.accounts {
        let has = chance(rng, share);
        // Percentages in hundredths: 1.00 to 30.00 for `*`, 5.00 to 50.00 for a product.
        let all_pct = u64::from(rng.gen_range(100..=3_000u32));
        let product_row = rng.gen_range(0..2u32) == 1;
        let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len() as u32) as usize];
        let product_pct = u64::from(rng.gen_range(500..=5_000u32));
        if !has || a.poor {
            continue;
        }
        rows.push(row(
            columns::DISCOUNTS,
            &[
                ("account_id", &a.id),
                ("product", "*"),
                ("percent_off", &cents(all_pct)),
            ],
        ));
        if product_row {
            // A product row never conflicts with the `*` row; it ends halfway.
            rows.push(row(
                columns::DISCOUNTS,
                &[
                    ("account_id", &a.id),
                    ("product", product),
                    ("percent_off", &cents(product_pct)),
                    ("valid_from", &clock.date(0)),
                    ("valid_until", &clock.date(i64::from(p.days / 2).max(1))),
                ],
            ));
        }
    }
    let n = rows.len() as u64;
    write_table(out, columns::DISCOUNTS, rows)?;
    Ok(n)
}

/// One `events.csv` row before sorting by time.
struct EventLine {
    secs: i64,
    text: String,
}

/// Picks `k` distinct items of `from` (partial Fisher–Yates with 32-bit draws).
fn pick(rng: &mut ChaCha8Rng, from: &[usize], k: usize) -> Vec<usize> {
    let mut v = from.to_vec();
    let k = k.min(v.len());
    for i in 0..k {
        let j = i + rng.gen_range(0..(v.len() - i) as u32) as usize;
        v.swap(i, j);
    }
    v.truncate(k);
    v
}

/// A random second in `[from, to)`, or `from` when the window is empty.
fn within(rng: &mut ChaCha8Rng, from: i64, to: i64) -> i64 {
    if to <= from {
        from
    } else {
        from + rng.gen_range(0..(to - from) as u64) as i64
    }
}

/// One `events.csv` row at `secs`: `kind` and the fields it uses, by column name.
fn event(clock: &Clock, secs: i64, kind: &str, fields: &[(&str, &str)]) -> EventLine {
    let time = clock.time(secs);
    let mut all = vec![("time", time.as_str()), ("kind", kind)];
    all.extend_from_slice(fields);
    EventLine {
        secs,
        text: row(columns::EVENTS, &all),
    }
}

fn write_events(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
) -> Result<u64, GenerateError> {
    let horizon = i64::from(p.days) * DAY_SECS;
    // Phases: establishes in the first 25 hours, rejections until 48 h, then thirds of the
    // rest for modifies, removes, and the poor accounts' top-ups.
    let rest = (horizon - 2 * DAY_SECS) / 3;
    let (mod_from, rem_from, top_from) =
        (2 * DAY_SECS, 2 * DAY_SECS + rest, 2 * DAY_SECS + 2 * rest);
    let mut lines: Vec<EventLine> = Vec::new();
    let id = |a: usize| plan.accounts[a].id.as_str();
    let ask = |t: i64, kind: &str, linked: &str, main: &str| {
        event(clock, t, kind, &[("account_id", linked), ("main_id", main)])
    };
    let about =
        |t: i64, kind: &str, account: &str| event(clock, t, kind, &[("account_id", account)]);
    let topup = |t: i64, account: &str, units: u64| {
        event(
            clock,
            t,
            "topup",
            &[("account_id", account), ("amount", &cents(units * 100))],
        )
    };

    for m in &plan.mains {
        let (main, second) = (id(m.main), id(m.second));
        // Establish: everyone by hour 25. A poor account asks after its first bill (issued
        // at the end of hour 0), so T5 finds it unsettled and defers the request.
        for &l in &m.linked {
            let t = if plan.accounts[l].poor {
                within(rng, HOUR_SECS, HOUR_SECS + DAY_SECS)
            } else {
                within(rng, 0, DAY_SECS)
            };
            lines.push(ask(t, "establish", id(l), main));
        }
        let settled: Vec<usize> = m
            .linked
            .iter()
            .copied()
            .filter(|&l| !plan.accounts[l].poor)
            .collect();
        let pending: Vec<usize> = m
            .linked
            .iter()
            .copied()
            .filter(|&l| plan.accounts[l].poor)
            .collect();

        // Rejections, after every establish and before any modify or remove, so the main is
        // exactly at its limit and every target is still in the state the rule needs.
        for k in 0..p.rejected_per_main {
            let t = if k % 8 == 0 {
                within(rng, 25 * HOUR_SECS, 26 * HOUR_SECS)
            } else {
                within(rng, 26 * HOUR_SECS, 2 * DAY_SECS)
            };
            let any_settled = pick(rng, &settled, 1).first().copied();
            let any_pending = pick(rng, &pending, 1).first().copied();
            let line = match (k % 8, any_settled, any_pending) {
                (0, _, _) => ask(t, "establish", id(m.overflow), main),
                (1, _, _) => ask(t, "establish", id(m.foreign), main),
                (2, _, _) => ask(t, "establish", main, main),
                (3, Some(l), _) => ask(t, "establish", id(l), main),
                (4, _, Some(l)) => ask(t, "modify", id(l), second),
                (5, Some(l), _) => about(t, "cost_analysis", id(l)),
                (6, Some(l), _) => event(
                    clock,
                    t,
                    "change_real_name",
                    &[
                        ("account_id", id(l)),
                        ("value", &format!("{}-renamed", id(l))),
                    ],
                ),
                (3..=6, _, _) => continue,
                _ => about(t, "remove", second),
            };
            lines.push(line);
        }
        // A main may use Cost Analysis (L7 applies to linked accounts only).
        let t = within(rng, 26 * HOUR_SECS, 2 * DAY_SECS);
        lines.push(about(t, "cost_analysis", main));

        // Modify some settled linked accounts to the second main, remove others.
        let movers = pick(
            rng,
            &settled,
            (p.modifies_per_main + p.removes_per_main) as usize,
        );
        let (modified, removed) = movers.split_at((p.modifies_per_main as usize).min(movers.len()));
        for &l in modified {
            let t = within(rng, mod_from, rem_from);
            lines.push(ask(t, "modify", id(l), second));
        }
        for &l in removed {
            let t = within(rng, rem_from, top_from);
            lines.push(about(t, "remove", id(l)));
        }
        // Poor accounts finally pay: the top-up settles their first bills (B3).
        for &l in &pending {
            let t = within(rng, top_from, horizon);
            lines.push(topup(t, id(l), POOR_TOPUP));
        }
        // The main's regular top-ups, mid-morning every few days.
        if p.main_topup > 0 {
            let every = i64::from(p.main_topup_days) * DAY_SECS;
            let mut t = every + 10 * HOUR_SECS;
            while t < horizon {
                lines.push(topup(t, main, p.main_topup));
                t += every;
            }
        }
    }
    // Downgrades of a quarter of the subscriptions, in the second half of the horizon.
    for r in &plan.resources {
        let downgrade = rng.gen_range(0..4u32) < DOWNGRADE_QUARTERS;
        let t = within(rng, horizon / 2, horizon);
        if downgrade && matches!(r.billing, Billing::Subscription { .. }) {
            lines.push(event(clock, t, "downgrade", &[("resource_id", &r.id)]));
        }
    }

    // File order is processing order at one instant; a stable sort by time keeps the
    // generation order for ties.
    lines.sort_by_key(|l| l.secs);
    let n = lines.len() as u64;
    write_table(out, columns::EVENTS, lines.into_iter().map(|l| l.text))?;
    Ok(n)
}

/// Appends `v` (< 100) as two digits.
fn push2(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// Streams `usage.csv` hour by hour: rows of one hour for every resource, then the next
/// hour. Only one line buffer is alive at a time. The hot loop of `generate` (10⁸ rows for a
/// year of a fleet), so rows are written positionally, in [`columns::USAGE`] order.
fn write_usage(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
    on_hour: &mut dyn FnMut(u64),
) -> Result<u64, GenerateError> {
    debug_assert_eq!(columns::USAGE.columns, ["time", "resource_id", "amount"]);
    let density = threshold(p.usage_density);
    let hours = p.hours();
    let mut rows = 0u64;
    write_file(out, columns::USAGE.file, |w| {
        writeln!(w, "{}", columns::USAGE.header())?;
        let mut line = String::with_capacity(128);
        for h in 0..hours {
            // `2026-03-01T05:`, written by the calendar once an hour; a row adds `MM:SS`
            // (the zone is a whole-hour offset, so a second of the hour is its local
            // minute and second).
            let mut hour = String::with_capacity(19);
            clock.write_time(h as i64 * HOUR_SECS, &mut hour);
            hour.truncate("YYYY-MM-DDTHH:".len());
            for r in &plan.resources {
                // (second within the hour, amount, fraction digits of the amount)
                let usage = match r.billing {
                    Billing::PayAsYouGo { forced, .. } => {
                        let hit = chance(rng, density);
                        let second = rng.gen_range(0..3600u32);
                        if forced && h == 0 {
                            // Large enough that the poor account's 0.01 cannot pay it.
                            let units = rng.gen_range(USAGE_UNITS_MAX / 2..=USAGE_UNITS_MAX);
                            Some((second, u64::from(units), USAGE_SCALE))
                        } else if hit {
                            let units = rng.gen_range(1..=USAGE_UNITS_MAX);
                            Some((second, u64::from(units), USAGE_SCALE))
                        } else {
                            None
                        }
                    }
                    Billing::Subscription { first_hour, second } => {
                        let due = h >= u64::from(first_hour)
                            && (h - u64::from(first_hour)) % u64::from(SUBSCRIPTION_PERIOD_HOURS)
                                == 0;
                        due.then(|| (second, rng.gen_range(1_000..=30_000u64), CENTS_SCALE))
                    }
                };
                let Some((second, units, scale)) = usage else {
                    continue;
                };
                line.clear();
                line.push_str(&hour);
                push2(&mut line, second / 60);
                line.push(':');
                push2(&mut line, second % 60);
                line.push(',');
                line.push_str(&r.id);
                line.push(',');
                write_amount(units, scale, &mut line);
                line.push('\n');
                w.write_all(line.as_bytes())?;
                rows += 1;
            }
            on_hour(h + 1);
        }
        Ok(())
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_every_digit_of_their_scale() {
        assert_eq!(amount(10_000, 4), "1.0000");
        assert_eq!(amount(7, 4), "0.0007");
        assert_eq!(amount(12_345, 2), "123.45");
        assert_eq!(cents(100_000_000), "1000000.00");
    }

    #[test]
    fn rows_follow_the_scenario_columns() {
        let line = row(
            columns::EVENTS,
            &[("kind", "remove"), ("time", "T"), ("account_id", "a")],
        );
        assert_eq!(line, "T,remove,a,,,,");
    }

    #[test]
    fn the_policies_are_written_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = GenerateParams {
            days: 3,
            linked_per_main: 3,
            resources_per_account: 1,
            subscription_share: 0.5,
            t5_scope: T5Scope::Account,
            subscription_payer: SubscriptionPayer::Order,
            ..GenerateParams::default()
        };
        generate(&p, dir.path()).expect("generate");
        let toml = std::fs::read_to_string(dir.path().join("scenario.toml")).expect("read");
        assert!(toml.contains("\nt5_scope = \"account\"\n"), "{toml}");
        assert!(
            toml.contains("\nsubscription_payer = \"order\"\n"),
            "{toml}"
        );
        assert!(p
            .command_line()
            .ends_with(" --t5-scope account --subscription-payer order"));
        let s = crate::scenario::load(dir.path()).expect("a valid scenario");
        assert_eq!(s.settings.policy.t5_scope, T5Scope::Account);
        assert_eq!(
            s.settings.policy.subscription_payer,
            SubscriptionPayer::Order
        );

        // The defaults write neither, as before the policies existed.
        let d = GenerateParams::default();
        assert!(!d.command_line().contains("--t5-scope"));
        assert!(!d.command_line().contains("--subscription-payer"));
    }
}
