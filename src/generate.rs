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

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::scenario::{SubscriptionPayer, T5Scope};

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

/// How many of each cycle there are among pay-as-you-go resources, as relative weights.
///
/// Written and parsed as `hourly=3,daily=1` (unnamed cycles weigh 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleMix {
    pub hourly: u32,
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for CycleMix {
    /// Hourly only: the densest billing, and the one the 300-linked benchmarks use.
    fn default() -> Self {
        CycleMix {
            hourly: 1,
            daily: 0,
            weekly: 0,
            monthly: 0,
        }
    }
}

impl CycleMix {
    fn weights(&self) -> [(&'static str, u32); 4] {
        [
            ("hourly", self.hourly),
            ("daily", self.daily),
            ("weekly", self.weekly),
            ("monthly", self.monthly),
        ]
    }

    fn total(&self) -> u64 {
        self.weights().iter().map(|(_, w)| u64::from(*w)).sum()
    }

    /// Picks a cycle by weight; `total` must be > 0.
    fn pick(&self, rng: &mut ChaCha8Rng) -> &'static str {
        let mut x = rng.gen_range(0..self.total());
        for (name, w) in self.weights() {
            if x < u64::from(w) {
                return name;
            }
            x -= u64::from(w);
        }
        "hourly"
    }
}

impl fmt::Display for CycleMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .weights()
            .iter()
            .filter(|(_, w)| *w > 0)
            .map(|(n, w)| format!("{n}={w}"))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for CycleMix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut mix = CycleMix {
            hourly: 0,
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("cycle mix {s:?}: weight of {name:?} is not a number"))?;
            let slot = match name.trim() {
                "hourly" => &mut mix.hourly,
                "daily" => &mut mix.daily,
                "weekly" => &mut mix.weekly,
                "monthly" => &mut mix.monthly,
                other => {
                    return Err(format!(
                        "cycle mix {s:?}: unknown cycle {other:?} (hourly, daily, weekly, monthly)"
                    ))
                }
            };
            *slot = weight;
        }
        if mix.total() == 0 {
            return Err(format!(
                "cycle mix {s:?}: give at least one cycle a weight > 0, e.g. hourly=3,daily=1"
            ));
        }
        Ok(mix)
    }
}

/// Everything that shapes a generated scenario. [`Default`] is the `limit_300` shape: one
/// main with 300 linked accounts, 3 hourly resources each, 31 days of March 2026, usage in
/// every hour (≈ 680k usage rows), with the full event mix.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateParams {
    /// Seeds every random choice; the same seed and parameters give byte-identical files.
    /// Default 1.
    pub seed: u64,
    /// First day of the horizon (local midnight, `+08:00`). Default 2026-03-01. Starting on a
    /// month's first day keeps deferred requests pending for most of the first month, which
    /// the `E5` rejection relies on.
    pub start: NaiveDate,
    /// Length of the horizon in days, at least 3 (the first two hold the establish phase).
    /// Default 31.
    pub days: u32,
    /// Number of main accounts. Default 1.
    pub mains: u32,
    /// Linked accounts per main; also written as `max_linked`, so one more request is always
    /// rejected by T8. Default 300 (the product's limit).
    pub linked_per_main: u32,
    /// Resources of every account (mains and linked alike). Default 3.
    pub resources_per_account: u32,
    /// Cycles of pay-as-you-go resources. Default hourly only.
    pub cycles: CycleMix,
    /// Probability that a pay-as-you-go resource has a usage row in a given hour, in (0, 1].
    /// Rows per resource = 24 × days × density. Default 1.0.
    pub usage_density: f64,
    /// Share of resources that are monthly subscriptions, ordered every 30 days from the
    /// first day; a quarter of them get a `downgrade` event. Default 0.0.
    pub subscription_share: f64,
    /// Share of pay-as-you-go resources whose product is AliTelecom (T2). Default 0.05.
    pub alitelecom_share: f64,
    /// Share of accounts owning a coupon (mains' coupons are shared with linked accounts,
    /// L5). Default 0.1.
    pub coupon_share: f64,
    /// Share of accounts with a discount (`*`, and for half of them a time-limited product
    /// row too). Default 0.1.
    pub discount_share: f64,
    /// Share of accounts with high-bill and low-balance thresholds (T1/B5 alerts).
    /// Default 0.05.
    pub alert_share: f64,
    /// Share of linked accounts that are poor (balance 0.01, a bill in the first hour): their
    /// establish finds an unsettled bill and is deferred to the next month (T5.1); a late
    /// top-up settles the bill (B3). Default 0.05.
    pub deferred_share: f64,
    /// Linked accounts per main moved to the second main by `modify`. Default 5.
    pub modifies_per_main: u32,
    /// Linked accounts per main whose trusteeship is removed. Default 5.
    pub removes_per_main: u32,
    /// Requests per main that must be rejected, cycling through: the 301st establish (T8),
    /// another enterprise (T7), self (E1), already linked (E2), modify while pending (E5),
    /// Cost Analysis by a linked account (L7), real-name change (T7), remove of an unlinked
    /// account (E4). Default 8 (one of each).
    pub rejected_per_main: u32,
    /// Opening balance of each main and second main, in whole currency units.
    /// Default 1 000 000.
    pub main_balance: u64,
    /// Top-up of each main every `main_topup_days`, in whole units; 0 for none.
    /// Default 100 000.
    pub main_topup: u64,
    /// Days between main top-ups. Default 7.
    pub main_topup_days: u32,
    /// `[policy] t5_scope` of the scenario (SPEC §5.1). Default `payer`, the SPEC's.
    pub t5_scope: T5Scope,
    /// `[policy] subscription_payer` of the scenario (SPEC §5.2). Default `cycle`, the
    /// SPEC's.
    pub subscription_payer: SubscriptionPayer,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            seed: 1,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            days: 31,
            mains: 1,
            linked_per_main: 300,
            resources_per_account: 3,
            cycles: CycleMix::default(),
            usage_density: 1.0,
            subscription_share: 0.0,
            alitelecom_share: 0.05,
            coupon_share: 0.1,
            discount_share: 0.1,
            alert_share: 0.05,
            deferred_share: 0.05,
            modifies_per_main: 5,
            removes_per_main: 5,
            rejected_per_main: 8,
            main_balance: 1_000_000,
            main_topup: 100_000,
            main_topup_days: 7,
            t5_scope: T5Scope::Payer,
            subscription_payer: SubscriptionPayer::Cycle,
        }
    }
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

impl GenerateParams {
    /// Hours in the horizon: the steps of the usage loop (and of its progress bar).
    pub fn hours(&self) -> u64 {
        u64::from(self.days) * 24
    }

    /// Checks every range; generating with valid parameters cannot produce an invalid
    /// scenario, so all input problems surface here.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let bad = |m: String| Err(GenerateError::Params(m));
        if !(3..=36_600).contains(&self.days) {
            return bad(format!("days: expected 3 to 36600, got {}", self.days));
        }
        let end = self
            .start
            .checked_add_days(chrono::Days::new(u64::from(self.days)));
        if end.is_none_or(|e| e.year() > 9000) {
            return bad(format!("start: {} is too late", self.start));
        }
        if !(1..=99_999).contains(&self.mains) {
            return bad(format!("mains: expected 1 to 99999, got {}", self.mains));
        }
        if !(1..=99_999).contains(&self.linked_per_main) {
            return bad(format!(
                "linked: expected 1 to 99999, got {}",
                self.linked_per_main
            ));
        }
        if !(1..=99).contains(&self.resources_per_account) {
            return bad(format!(
                "resources: expected 1 to 99, got {}",
                self.resources_per_account
            ));
        }
        if self.cycles.total() == 0 {
            return bad("cycles: give at least one cycle a weight > 0".into());
        }
        if !(self.usage_density > 0.0 && self.usage_density <= 1.0) {
            return bad(format!(
                "density: expected a probability in (0, 1], got {}",
                self.usage_density
            ));
        }
        for (name, v) in [
            ("subscription-share", self.subscription_share),
            ("alitelecom-share", self.alitelecom_share),
            ("coupon-share", self.coupon_share),
            ("discount-share", self.discount_share),
            ("alert-share", self.alert_share),
            ("deferred-share", self.deferred_share),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name}: expected a share from 0 to 1, got {v}"));
            }
        }
        // Balances must stay within the 12 integer digits an input amount may have.
        for (name, v) in [
            ("main-balance", self.main_balance),
            ("main-topup", self.main_topup),
        ] {
            if v > 999_999_999_999 {
                return bad(format!("{name}: expected at most 999999999999, got {v}"));
            }
        }
        if self.main_topup_days == 0 {
            return bad("main-topup-days: expected at least 1".into());
        }
        Ok(())
    }

    /// The command line that regenerates these files, written into `scenario.toml`'s
    /// description so a generated scenario documents itself.
    pub fn command_line(&self) -> String {
        let mut line = format!(
            "trustsim generate --seed {} --start {} --days {} --mains {} --linked {} \
             --resources {} --cycles {} --density {} --subscription-share {} \
             --alitelecom-share {} --coupon-share {} --discount-share {} --alert-share {} \
             --deferred-share {} --modifies {} --removes {} --rejected {} --main-balance {} \
             --main-topup {} --main-topup-days {}",
            self.seed,
            self.start,
            self.days,
            self.mains,
            self.linked_per_main,
            self.resources_per_account,
            self.cycles,
            self.usage_density,
            self.subscription_share,
            self.alitelecom_share,
            self.coupon_share,
            self.discount_share,
            self.alert_share,
            self.deferred_share,
            self.modifies_per_main,
            self.removes_per_main,
            self.rejected_per_main,
            self.main_balance,
            self.main_topup,
            self.main_topup_days
        );
        // Policies only when not the default: a default scenario keeps the bytes it had
        // before they existed.
        if self.t5_scope != T5Scope::Payer {
            line.push_str(&format!(" --t5-scope {}", self.t5_scope));
        }
        if self.subscription_payer != SubscriptionPayer::Cycle {
            line.push_str(&format!(
                " --subscription-payer {}",
                self.subscription_payer
            ));
        }
        line
    }
}

/// A share as a threshold on a uniform `u32`: integer comparison per draw keeps the output
/// independent of floating-point code generation (the conversion happens once, exactly).
fn threshold(share: f64) -> u64 {
    (share.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64
}

fn chance(rng: &mut ChaCha8Rng, threshold: u64) -> bool {
    u64::from(rng.gen::<u32>()) < threshold
}

/// Which ChaCha stream each part of the scenario draws from.
const STREAM_PLAN: u64 = 1;
const STREAM_EVENTS: u64 = 2;
const STREAM_USAGE: u64 = 3;
const STREAM_PRICING: u64 = 4;

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Main,
    Second,
    Linked,
    Overflow,
    Foreign,
}

struct AccountPlan {
    id: String,
    enterprise: String,
    role: Role,
    /// Poor linked account: balance 0.01 and a forced first-hour bill (T5.1 deferral).
    poor: bool,
    balance_cents: u64,
    low_cents: Option<u64>,
    high_cents: Option<u64>,
}

enum Billing {
    PayAsYouGo {
        cycle: &'static str,
        /// A usage row in the first hour whatever the density (poor accounts' first bill).
        forced: bool,
    },
    Subscription {
        /// Hour of the first order; renewed every [`SUBSCRIPTION_PERIOD_HOURS`].
        first_hour: u32,
        /// Second within that hour of every order.
        second: u32,
    },
}

struct ResourcePlan {
    id: String,
    account: usize,
    product: &'static str,
    billing: Billing,
}

/// One main's accounts, as indices into the plan's account list.
struct MainPlan {
    main: usize,
    second: usize,
    linked: Vec<usize>,
    overflow: usize,
    foreign: usize,
}

struct Plan {
    accounts: Vec<AccountPlan>,
    resources: Vec<ResourcePlan>,
    mains: Vec<MainPlan>,
}

fn digits(n: u32) -> usize {
    n.to_string().len()
}

/// Builds accounts and resources (stream [`STREAM_PLAN`]).
fn plan(p: &GenerateParams, rng: &mut ChaCha8Rng) -> Plan {
    let mw = digits(p.mains).max(4);
    let lw = digits(p.linked_per_main).max(3);
    let rw = digits(p.resources_per_account).max(2);
    let (alert, poor) = (threshold(p.alert_share), threshold(p.deferred_share));
    let main_cents = p.main_balance * 100;
    let mut accounts = Vec::new();
    let mut mains = Vec::new();
    let mut account = |id: String, enterprise: &str, role: Role, rng: &mut ChaCha8Rng| {
        let alerted = chance(rng, alert);
        let is_poor = role == Role::Linked && chance(rng, poor);
        let (balance_cents, low_cents, high_cents) = match role {
            Role::Main | Role::Second => (main_cents, alerted.then_some(main_cents / 2), None),
            _ if is_poor => (POOR_BALANCE_CENTS, None, None),
            _ => {
                let floor = LINKED_BALANCE_MIN
                    + LINKED_BALANCE_PER_RESOURCE * u64::from(p.resources_per_account);
                let units = rng.gen_range(floor..=floor + LINKED_BALANCE_MAX - LINKED_BALANCE_MIN);
                let cents = units * 100 + rng.gen_range(0..100u64);
                (cents, alerted.then_some(5_000), alerted.then_some(95))
            }
        };
        accounts.push(AccountPlan {
            id,
            enterprise: enterprise.to_string(),
            role,
            poor: is_poor,
            balance_cents,
            low_cents,
            high_cents,
        });
        accounts.len() - 1
    };
    for m in 1..=p.mains {
        let mid = format!("m{m:0mw$}");
        let ent = format!("e{m:0mw$}");
        let main = account(mid.clone(), &ent, Role::Main, rng);
        let second = account(format!("{mid}-b"), &ent, Role::Second, rng);
        let linked = (1..=p.linked_per_main)
            .map(|l| account(format!("{mid}-l{l:0lw$}"), &ent, Role::Linked, rng))
            .collect();
        let overflow = account(format!("{mid}-x1"), &ent, Role::Overflow, rng);
        let foreign = account(format!("{mid}-x2"), &format!("{ent}-x"), Role::Foreign, rng);
        mains.push(MainPlan {
            main,
            second,
            linked,
            overflow,
            foreign,
        });
    }

    let (sub, ali) = (
        threshold(p.subscription_share),
        threshold(p.alitelecom_share),
    );
    let mut resources = Vec::new();
    for (a, acc) in accounts.iter().enumerate() {
        for r in 1..=p.resources_per_account {
            let forced = acc.poor && r == 1;
            let id = format!("{}-r{r:0rw$}", acc.id);
            // Drawn for every resource so a poor account's forced one does not shift the
            // stream of the others.
            let (is_sub, is_ali) = (chance(rng, sub), chance(rng, ali));
            let cycle = p.cycles.pick(rng);
            let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len() as u32) as usize];
            let (first_hour, second) = (rng.gen_range(0..24u32), rng.gen_range(0..3600u32));
            let resource = if forced {
                // Hourly, so its first bill is issued at the end of the first hour, before
                // the account's establish request.
                ResourcePlan {
                    id,
                    account: a,
                    product,
                    billing: Billing::PayAsYouGo {
                        cycle: "hourly",
                        forced: true,
                    },
                }
            } else if is_sub {
                ResourcePlan {
                    id,
                    account: a,
                    product,
                    billing: Billing::Subscription { first_hour, second },
                }
            } else {
                ResourcePlan {
                    id,
                    account: a,
                    product: if is_ali { ALITELECOM } else { product },
                    billing: Billing::PayAsYouGo {
                        cycle,
                        forced: false,
                    },
                }
            };
            resources.push(resource);
        }
    }
    Plan {
        accounts,
        resources,
        mains,
    }
}

/// Local wall-clock text of `secs` after the horizon start, as SPEC §2 input.
struct Clock {
    start: NaiveDateTime,
}

impl Clock {
    fn at(&self, secs: i64) -> NaiveDateTime {
        self.start + TimeDelta::seconds(secs)
    }

    fn time(&self, secs: i64) -> String {
        self.at(secs).format("%Y-%m-%dT%H:%M:%S").to_string()
    }

    fn date(&self, days: i64) -> String {
        self.at(days * DAY_SECS).format("%Y-%m-%d").to_string()
    }
}

fn cents(v: u64) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

/// The files a generated scenario consists of; the output module replaces these (and keeps
/// anything else an analyst added) when a generated scenario is generated again.
pub const FILES: [&str; 7] = [
    "scenario.toml",
    "accounts.csv",
    "resources.csv",
    "coupons.csv",
    "discounts.csv",
    "events.csv",
    "usage.csv",
];

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
    let staged = crate::output::Target::scenario(out)?.stage()?;
    let out = staged.dir();
    let clock = Clock {
        start: params.start.and_time(NaiveTime::MIN),
    };
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
    write_file(out, "scenario.toml", |w| {
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

fn write_accounts(plan: &Plan, out: &Path) -> Result<(), GenerateError> {
    let opt = |v: Option<u64>| v.map(cents).unwrap_or_default();
    write_file(out, "accounts.csv", |w| {
        writeln!(
            w,
            "account_id,enterprise_id,balance,low_balance_threshold,high_bill_threshold"
        )?;
        for a in &plan.accounts {
            writeln!(
                w,
                "{},{},{},{},{}",
                a.id,
                a.enterprise,
                cents(a.balance_cents),
                opt(a.low_cents),
                opt(a.high_cents)
            )?;
        }
        Ok(())
    })
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
    write_file(out, "resources.csv", |w| {
        writeln!(
            w,
            "resource_id,account_id,product,billing_method,cycle,expires_at"
        )?;
        for r in &plan.resources {
            let account = &plan.accounts[r.account].id;
            match r.billing {
                Billing::PayAsYouGo { cycle, .. } => {
                    writeln!(w, "{},{account},{},pay_as_you_go,{cycle},", r.id, r.product)?
                }
                Billing::Subscription { first_hour, second } => {
                    // The last order's period ends after it; downgrades before then refund.
                    let last = order_hours(first_hour, p.hours()).last().unwrap_or(0);
                    let expires = (last + u64::from(SUBSCRIPTION_PERIOD_HOURS)) as i64 * HOUR_SECS
                        + i64::from(second);
                    writeln!(
                        w,
                        "{},{account},{},subscription,monthly,{}",
                        r.id,
                        r.product,
                        clock.time(expires)
                    )?
                }
            }
        }
        Ok(())
    })
}

fn write_coupons(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
) -> Result<u64, GenerateError> {
    let share = threshold(p.coupon_share);
    let mut n = 0;
    write_file(out, "coupons.csv", |w| {
        writeln!(
            w,
            "coupon_id,account_id,amount,valid_from,valid_until,products"
        )?;
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
                n += 1;
                writeln!(
                    w,
                    "{}-c1,{},{},{},{until},{products}",
                    a.id,
                    a.id,
                    cents(amount),
                    clock.date(0)
                )?;
            }
        }
        Ok(())
    })?;
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
    let mut n = 0;
    write_file(out, "discounts.csv", |w| {
        writeln!(w, "account_id,product,percent_off,valid_from,valid_until")?;
        for a in &plan.accounts {
            let has = chance(rng, share);
            let all_pct = rng.gen_range(100..=3_000u32);
            let product_row = rng.gen_range(0..2u32) == 1;
            let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len() as u32) as usize];
            let product_pct = rng.gen_range(500..=5_000u32);
            if !has || a.poor {
                continue;
            }
            n += 1;
            writeln!(w, "{},*,{}.{:02},,", a.id, all_pct / 100, all_pct % 100)?;
            if product_row {
                // A product row never conflicts with the `*` row; it ends halfway.
                n += 1;
                writeln!(
                    w,
                    "{},{product},{}.{:02},{},{}",
                    a.id,
                    product_pct / 100,
                    product_pct % 100,
                    clock.date(0),
                    clock.date(i64::from(p.days / 2).max(1))
                )?;
            }
        }
        Ok(())
    })?;
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
    let mut push = |secs: i64, text: String| lines.push(EventLine { secs, text });
    let id = |a: usize| plan.accounts[a].id.as_str();

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
            push(
                t,
                format!("{},establish,{},{main},,,", clock.time(t), id(l)),
            );
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
            let ts = clock.time(t);
            let text = match k % 8 {
                0 => format!("{ts},establish,{},{main},,,", id(m.overflow)),
                1 => format!("{ts},establish,{},{main},,,", id(m.foreign)),
                2 => format!("{ts},establish,{main},{main},,,"),
                3 => match any_settled {
                    Some(l) => format!("{ts},establish,{},{main},,,", id(l)),
                    None => continue,
                },
                4 => match any_pending {
                    Some(l) => format!("{ts},modify,{},{second},,,", id(l)),
                    None => continue,
                },
                5 => match any_settled {
                    Some(l) => format!("{ts},cost_analysis,{},,,,", id(l)),
                    None => continue,
                },
                6 => match any_settled {
                    Some(l) => format!("{ts},change_real_name,{},,,,{}-renamed", id(l), id(l)),
                    None => continue,
                },
                _ => format!("{ts},remove,{second},,,,"),
            };
            push(t, text);
        }
        // A main may use Cost Analysis (L7 applies to linked accounts only).
        let t = within(rng, 26 * HOUR_SECS, 2 * DAY_SECS);
        push(t, format!("{},cost_analysis,{main},,,,", clock.time(t)));

        // Modify some settled linked accounts to the second main, remove others.
        let movers = pick(
            rng,
            &settled,
            (p.modifies_per_main + p.removes_per_main) as usize,
        );
        let (modified, removed) = movers.split_at((p.modifies_per_main as usize).min(movers.len()));
        for &l in modified {
            let t = within(rng, mod_from, rem_from);
            push(t, format!("{},modify,{},{second},,,", clock.time(t), id(l)));
        }
        for &l in removed {
            let t = within(rng, rem_from, top_from);
            push(t, format!("{},remove,{},,,,", clock.time(t), id(l)));
        }
        // Poor accounts finally pay: the top-up settles their first bills (B3).
        for &l in &pending {
            let t = within(rng, top_from, horizon);
            push(
                t,
                format!("{},topup,{},,,{POOR_TOPUP}.00,", clock.time(t), id(l)),
            );
        }
        // The main's regular top-ups, mid-morning every few days.
        if p.main_topup > 0 {
            let every = i64::from(p.main_topup_days) * DAY_SECS;
            let mut t = every + 10 * HOUR_SECS;
            while t < horizon {
                push(
                    t,
                    format!("{},topup,{main},,,{}.00,", clock.time(t), p.main_topup),
                );
                t += every;
            }
        }
    }
    // Downgrades of a quarter of the subscriptions, in the second half of the horizon.
    for r in &plan.resources {
        let downgrade = rng.gen_range(0..4u32) < DOWNGRADE_QUARTERS;
        let t = within(rng, horizon / 2, horizon);
        if downgrade && matches!(r.billing, Billing::Subscription { .. }) {
            push(t, format!("{},downgrade,,,{},,", clock.time(t), r.id));
        }
    }

    // File order is processing order at one instant; a stable sort by time keeps the
    // generation order for ties.
    lines.sort_by_key(|l| l.secs);
    write_file(out, "events.csv", |w| {
        writeln!(w, "time,kind,account_id,main_id,resource_id,amount,value")?;
        for l in &lines {
            writeln!(w, "{}", l.text)?;
        }
        Ok(())
    })?;
    Ok(lines.len() as u64)
}

/// Appends `v` in decimal.
fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `v` as exactly two digits (`v` < 100).
fn push2(buf: &mut Vec<u8>, v: u32) {
    buf.push(b'0' + (v / 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

/// Appends `units / 10^scale` with `scale` fraction digits.
fn push_fixed(buf: &mut Vec<u8>, units: u64, scale: u32) {
    let div = 10u64.pow(scale);
    push_u64(buf, units / div);
    buf.push(b'.');
    let frac = units % div;
    let mut d = div / 10;
    while d > 0 {
        buf.push(b'0' + ((frac / d) % 10) as u8);
        d /= 10;
    }
}

/// Streams `usage.csv` hour by hour: rows of one hour for every resource, then the next
/// hour. Only one line buffer is alive at a time.
fn write_usage(
    p: &GenerateParams,
    plan: &Plan,
    clock: &Clock,
    rng: &mut ChaCha8Rng,
    out: &Path,
    on_hour: &mut dyn FnMut(u64),
) -> Result<u64, GenerateError> {
    let density = threshold(p.usage_density);
    let hours = p.hours();
    let mut rows = 0u64;
    write_file(out, "usage.csv", |w| {
        w.write_all(b"time,resource_id,amount\n")?;
        let mut line: Vec<u8> = Vec::with_capacity(128);
        for h in 0..hours {
            let prefix = clock
                .at(h as i64 * HOUR_SECS)
                .format("%Y-%m-%dT%H:")
                .to_string();
            for r in &plan.resources {
                // (second within the hour, amount, fraction digits of the amount)
                let row = match r.billing {
                    Billing::PayAsYouGo { forced, .. } => {
                        let hit = chance(rng, density);
                        let second = rng.gen_range(0..3600u32);
                        if forced && h == 0 {
                            // Large enough that the poor account's 0.01 cannot pay it.
                            let units = rng.gen_range(USAGE_UNITS_MAX / 2..=USAGE_UNITS_MAX);
                            Some((second, u64::from(units), 4))
                        } else if hit {
                            let units = rng.gen_range(1..=USAGE_UNITS_MAX);
                            Some((second, u64::from(units), 4))
                        } else {
                            None
                        }
                    }
                    Billing::Subscription { first_hour, second } => {
                        let due = h >= u64::from(first_hour)
                            && (h - u64::from(first_hour)) % u64::from(SUBSCRIPTION_PERIOD_HOURS)
                                == 0;
                        due.then(|| (second, rng.gen_range(1_000..=30_000u64), 2))
                    }
                };
                let Some((second, units, scale)) = row else {
                    continue;
                };
                line.clear();
                line.extend_from_slice(prefix.as_bytes());
                push2(&mut line, second / 60);
                line.push(b':');
                push2(&mut line, second % 60);
                line.push(b',');
                line.extend_from_slice(r.id.as_bytes());
                line.push(b',');
                push_fixed(&mut line, units, scale);
                line.push(b'\n');
                w.write_all(&line)?;
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
    fn cycle_mix_round_trips() {
        let m: CycleMix = "hourly=3, daily=1".parse().expect("valid mix");
        assert_eq!(m.to_string(), "hourly=3,daily=1");
        assert_eq!(m.to_string().parse::<CycleMix>(), Ok(m));
        assert!("hourly=0".parse::<CycleMix>().is_err());
        assert!("yearly=1".parse::<CycleMix>().is_err());
    }

    #[test]
    fn fixed_point_amounts_print_every_digit() {
        let mut b = Vec::new();
        push_fixed(&mut b, 10_000, 4);
        b.push(b' ');
        push_fixed(&mut b, 7, 4);
        b.push(b' ');
        push_fixed(&mut b, 12_345, 2);
        assert_eq!(String::from_utf8_lossy(&b), "1.0000 0.0007 123.45");
    }

    #[test]
    fn bad_parameters_are_reported_not_generated() {
        let p = GenerateParams {
            days: 2,
            ..GenerateParams::default()
        };
        assert!(matches!(p.validate(), Err(GenerateError::Params(_))));
        let p = GenerateParams {
            usage_density: 0.0,
            ..GenerateParams::default()
        };
        assert!(p.validate().is_err());
        assert!(GenerateParams::default().validate().is_ok());
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
