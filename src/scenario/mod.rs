//! A validated scenario: typed ids, instants and money, ready for the engine.
//!
//! [`load`] reads a scenario directory (SPEC §4), checks every row and setting, and either
//! returns a [`Scenario`] or every problem it found. Nothing downstream re-validates input.

pub mod columns;
mod reader;
mod settings;
mod table;
mod variant;

pub use reader::{load, load_selected, warnings, READ_ORDER};
pub use settings::{
    Currency, Policy, ServiceCategory, Settings, SubscriptionPayer, T5Scope, Unsettled,
};
pub use variant::{
    load_variant, load_variant_selected, load_with, variant_names, AccountColumn, AccountField,
    AddEvent, Drop, Located, Retime, Setting, Variant, VARIANTS_DIR,
};

/// The last line of a table a row may start on at `money_scale` 8: the header and 10^8
/// lines of rows (blank lines count). It bounds every table's rows, so with amounts below
/// 10^12 (12 integer digits) each file's amounts sum below 10^20 and every amount a run
/// forms stays below 3.1 × 10^20, a mantissa below 3.1 × 10^28 at 8 fraction digits, which
/// `Decimal` (and Parquet's 29 digits) hold exactly; and ids stay far inside their 32-bit
/// indices. See `docs/limits.md`.
pub const MAX_TABLE_LINE: u64 = 100_000_001;

/// The last line of a table a row may start on at `money_scale` 0–7: the header and 10^9
/// lines of rows. What exactness needs is a bound on the mantissas, rows × 10^12 ×
/// 10^money_scale, so one fraction digit fewer allows ten times the rows (a year of 20
/// mains × 300 linked × 2 hourly resources is 1.07 × 10^8 usage rows, at money_scale 2);
/// 10^9 indices still fit the 32-bit ids.
pub const MAX_TABLE_LINE_BELOW_SCALE_8: u64 = 1_000_000_001;

/// The last line a table's row may start on in a scenario at `money_scale`.
pub fn max_table_line(money_scale: u32) -> u64 {
    if money_scale >= 8 {
        MAX_TABLE_LINE
    } else {
        MAX_TABLE_LINE_BELOW_SCALE_8
    }
}

/// The longest id (account, enterprise, resource, product, coupon) in bytes: ids are copied
/// into every report row that names them, so a megabyte id would make megabyte rows.
/// 2048 bytes hold any provider's resource id (an AWS ARN is at most 2048 characters).
pub const MAX_ID_BYTES: usize = 2048;

use crate::calendar::{Cycle, Instant};
use crate::ids::{AccountId, CouponId, Names, ResourceId};
use crate::money::Money;
use rust_decimal::Decimal;

/// What a selective load ([`load_selected`]) has read when it asks which usage rows to
/// keep: everything that decides the components (`crate::timeline::components_of`), and
/// how many usage rows name each resource, to balance shards and size groups by.
pub struct Skeleton<'a> {
    /// How many account ids the file defines: every `AccountId` is below it. More than
    /// `accounts.len()` when a row was rejected (the load then fails, but the selection
    /// is still asked, and must not index past the table).
    pub account_ids: usize,
    pub accounts: &'a [Account],
    pub resources: &'a [Resource],
    pub events: &'a [Event],
    /// By resource index; empty unless [`Select::count_rows`] asked for them.
    pub usage_rows: &'a [u64],
}

/// Which usage rows a load keeps: `keep` is called once, with the [`Skeleton`], and
/// returns `keep[resource index]`.
pub struct Select<'a> {
    /// Counts each resource's usage rows first (one more pass over usage.csv that builds
    /// nothing); a bounded run's later groups already know them.
    pub count_rows: bool,
    pub keep: &'a mut dyn FnMut(&Skeleton<'_>) -> Vec<bool>,
}

/// An account row of `accounts.csv`.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: AccountId,
    /// Enterprise at the start; `change_real_name` events may change it during the run.
    pub enterprise: Box<str>,
    pub balance: Money,
    pub low_balance_threshold: Option<Money>,
    pub high_bill_threshold: Option<Money>,
}

/// How a resource is billed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BillingMethod {
    /// Each usage row is an order, billed at its own time.
    Subscription,
    /// All usage of one cycle is billed at the cycle's end.
    PayAsYouGo,
}

impl BillingMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMethod::Subscription => "subscription",
            BillingMethod::PayAsYouGo => "pay_as_you_go",
        }
    }
}

/// A resource row of `resources.csv`.
#[derive(Clone, Debug)]
pub struct Resource {
    pub id: ResourceId,
    /// The incurring account of every bill of this resource, whoever pays or owns it.
    pub account: AccountId,
    pub product: Box<str>,
    /// Precomputed from `alitelecom_products` (T2).
    pub is_alitelecom: bool,
    pub billing: BillingMethod,
    pub cycle: Cycle,
    /// Subscriptions only; `None` refunds nothing on downgrade.
    pub expires_at: Option<Instant>,
}

/// One row of `usage.csv`: a list-price amount at an instant.
#[derive(Copy, Clone, Debug)]
pub struct Usage {
    pub time: Instant,
    pub resource: ResourceId,
    /// Up to 10 fraction digits; rounded only once summed into a bill.
    pub amount: Decimal,
}

/// What an event asks for.
#[derive(Clone, Debug)]
pub enum EventKind {
    Establish {
        linked: AccountId,
        main: AccountId,
    },
    Modify {
        linked: AccountId,
        main: AccountId,
    },
    Remove {
        linked: AccountId,
    },
    Topup {
        account: AccountId,
        amount: Money,
    },
    ChangeRealName {
        account: AccountId,
        enterprise: Box<str>,
    },
    CostAnalysis {
        account: AccountId,
    },
    Downgrade {
        resource: ResourceId,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Establish { .. } => "establish",
            EventKind::Modify { .. } => "modify",
            EventKind::Remove { .. } => "remove",
            EventKind::Topup { .. } => "topup",
            EventKind::ChangeRealName { .. } => "change_real_name",
            EventKind::CostAnalysis { .. } => "cost_analysis",
            EventKind::Downgrade { .. } => "downgrade",
        }
    }

    /// The account the event is about (a downgrade's is resolved through its resource).
    pub fn subject(&self, resources: &[Resource]) -> AccountId {
        match *self {
            EventKind::Establish { linked, .. }
            | EventKind::Modify { linked, .. }
            | EventKind::Remove { linked } => linked,
            EventKind::Topup { account, .. }
            | EventKind::ChangeRealName { account, .. }
            | EventKind::CostAnalysis { account } => account,
            EventKind::Downgrade { resource } => resources[resource.index()].account,
        }
    }
}

/// One row of `events.csv`. The id fields are kept as written for the events report.
#[derive(Clone, Debug)]
pub struct Event {
    /// 1-based data row number: the event's identity and its order at one instant.
    pub seq: u32,
    pub time: Instant,
    pub kind: EventKind,
    pub account_field: Box<str>,
    pub main_field: Box<str>,
    pub resource_field: Box<str>,
}

/// Which products a coupon covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Products {
    All,
    Only(Vec<Box<str>>),
}

impl Products {
    pub fn covers(&self, product: &str) -> bool {
        match self {
            Products::All => true,
            Products::Only(list) => list.iter().any(|p| p.as_ref() == product),
        }
    }
}

/// A row of `coupons.csv`.
#[derive(Clone, Debug)]
pub struct Coupon {
    pub id: CouponId,
    pub owner: AccountId,
    pub amount: Money,
    pub valid_from: Instant,
    /// `None`: never expires.
    pub valid_until: Option<Instant>,
    pub products: Products,
}

/// A row of `discounts.csv`.
#[derive(Clone, Debug)]
pub struct Discount {
    pub account: AccountId,
    /// `None` is the `*` row: every product without a row of its own.
    pub product: Option<Box<str>>,
    pub percent_off: Decimal,
    pub valid_from: Option<Instant>,
    pub valid_until: Option<Instant>,
}

impl Discount {
    pub fn valid_at(&self, t: Instant) -> bool {
        self.valid_from.is_none_or(|f| f <= t) && self.valid_until.is_none_or(|u| t < u)
    }
}

/// A whole validated scenario. Tables are indexed by their interned ids
/// (`accounts[id.index()]`), so lookups never hash.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub settings: Settings,
    pub account_names: Names,
    pub resource_names: Names,
    pub coupon_names: Names,
    pub accounts: Vec<Account>,
    pub resources: Vec<Resource>,
    /// Sorted by (resource, time): the order bills are built in. A run that owns the
    /// scenario takes these out once bills are built ([`crate::run`]).
    pub usage: Vec<Usage>,
    /// How many usage rows were read (still known after `usage` is taken).
    pub usage_rows: usize,
    /// In file order.
    pub events: Vec<Event>,
    pub coupons: Vec<Coupon>,
    pub discounts: Vec<Discount>,
    /// Things in the scenario directory that are not errors but probably mistakes: a `*.csv`
    /// file trustsim does not read (`event.csv`), see [`warnings`]. The CLI prints them on
    /// stderr (`validate`, `run`, `check`); they never change a result.
    pub warnings: Vec<crate::error::Problem>,
}

impl Scenario {
    pub fn account_name(&self, id: AccountId) -> &str {
        self.account_names.get(id.index())
    }

    pub fn resource_name(&self, id: ResourceId) -> &str {
        self.resource_names.get(id.index())
    }

    pub fn coupon_name(&self, id: CouponId) -> &str {
        self.coupon_names.get(id.index())
    }
}
