//! The HTML report's input: the rows of the reports it draws, reduced to the fields it
//! needs, with ids interned. Both sources give it — a fresh run through the report model
//! ([`Input::from_view`]) and a written report directory through the typed reader
//! ([`Input::from_dir`]) — and both go through the one function that reads a row
//! ([`Input::push`]), on the values the reader would read. So nothing the page shows is
//! computed twice, and a report directory draws the page its run would have drawn.

use crate::calendar::Calendar;
use crate::error::Error;
use crate::report::model::{Record, View};
use crate::report::read::{self, Value};
use crate::report::schema::{self, Cell, ReportId, Schema};
use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// An interned id (an index into [`Names`]).
pub type Id = u32;

/// Ids and other repeated text, interned: a 300-linked run has 680k bills naming a few
/// hundred accounts.
#[derive(Clone, Debug, Default)]
pub struct Names {
    index: BTreeMap<Box<str>, Id>,
    names: Vec<Box<str>>,
}

impl Names {
    pub fn intern(&mut self, s: &str) -> Id {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = Id::try_from(self.names.len()).unwrap_or(Id::MAX);
        self.names.push(s.into());
        self.index.insert(s.into(), id);
        id
    }

    pub fn get(&self, id: Id) -> &str {
        self.names.get(id as usize).map_or("", |s| s)
    }

    /// The id of `s`, if it was interned.
    pub fn find(&self, s: &str) -> Option<Id> {
        self.index.get(s).copied()
    }
}

/// An instant and the offset it is shown with (SPEC §2 output form).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time {
    /// Seconds since the epoch.
    pub at: i64,
    /// The zone's offset at `at`, in seconds.
    pub offset: i32,
}

impl Time {
    fn of(d: &DateTime<FixedOffset>) -> Time {
        Time {
            at: d.timestamp(),
            offset: d.offset().local_minus_utc(),
        }
    }

    /// `2026-03-10T09:00:00+08:00`, as the reports print it.
    pub fn show(self) -> String {
        self.datetime()
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .unwrap_or_default()
    }

    /// `2026-03-10 09:00`, for axes and tooltips.
    pub fn short(self) -> String {
        self.datetime()
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    /// `03-10`, for axis ticks.
    pub fn day(self) -> String {
        self.datetime()
            .map(|d| d.format("%m-%d").to_string())
            .unwrap_or_default()
    }

    fn datetime(self) -> Option<DateTime<FixedOffset>> {
        let off = FixedOffset::east_opt(self.offset)?;
        Some(DateTime::from_timestamp(self.at, 0)?.with_timezone(&off))
    }
}

/// A bill as the payer timeline sees it.
#[derive(Copy, Clone, Debug)]
pub struct Bill {
    pub account: Id,
    pub cycle_start: i64,
    pub cycle_end: i64,
    pub payer: Id,
    pub rule: Id,
}

/// A ledger row: an account's balance after it.
#[derive(Copy, Clone, Debug)]
pub struct Balance {
    pub account: Id,
    pub time: Time,
    /// The balance before and after the row.
    pub before: Decimal,
    pub balance: Decimal,
}

/// A coupon use: the coupon's balance after it.
#[derive(Copy, Clone, Debug)]
pub struct CouponUse {
    pub coupon: Id,
    pub owner: Id,
    pub time: Time,
    pub amount: Decimal,
    pub remaining: Decimal,
}

#[derive(Copy, Clone, Debug)]
pub struct Availability {
    pub account: Id,
    pub from: Time,
    pub to: Time,
    pub unavailable: bool,
    /// The cause account and rule of an unavailable interval.
    pub cause: Option<(Id, Id)>,
}

#[derive(Copy, Clone, Debug)]
pub struct Alert {
    pub time: Time,
    pub low_balance: bool,
    pub subject: Id,
    pub recipient: Id,
    pub amount: Decimal,
    pub threshold: Decimal,
    pub rule: Id,
}

#[derive(Copy, Clone, Debug)]
pub struct Invoice {
    pub month: (i32, u32),
    pub recipient: Id,
    pub account: Id,
    pub amount: Decimal,
}

/// A row of events.csv, its text as given.
#[derive(Clone, Debug)]
pub struct Event {
    pub seq: u64,
    pub time: Time,
    pub kind: Box<str>,
    pub account: Box<str>,
    pub main: Box<str>,
    pub resource: Box<str>,
    pub outcome: Box<str>,
    pub effective_at: Option<Time>,
    pub amount: Option<Decimal>,
    pub rule: Box<str>,
    pub detail: Box<str>,
}

/// The amounts of summary.csv, in its column order.
pub const SUMMARY_AMOUNTS: [&str; 8] = [
    "list_amount",
    "discount_amount",
    "coupon_amount",
    "paid_amount",
    "outstanding_amount",
    "paid_as_payer",
    "outstanding_as_payer",
    "balance_end",
];

#[derive(Copy, Clone, Debug)]
pub struct Summary {
    pub account: Id,
    /// [`SUMMARY_AMOUNTS`], in order.
    pub amounts: [Decimal; 8],
}

/// Everything the page draws.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// The page's title: the scenario's name, or the report directory's.
    pub title: String,
    pub names: Names,
    /// The amounts' fraction digits (`money_scale`, read off the amounts).
    pub scale: u32,
    pub bills: Vec<Bill>,
    pub ledger: Vec<Balance>,
    pub coupon_use: Vec<CouponUse>,
    pub availability: Vec<Availability>,
    pub alerts: Vec<Alert>,
    pub invoices: Vec<Invoice>,
    pub events: Vec<Event>,
    pub summary: Vec<Summary>,
    /// Low-balance thresholds by account, where known: a run knows its scenario's; a report
    /// directory only those its low-balance alerts name.
    pub thresholds: BTreeMap<Id, Decimal>,
}

/// The reports the page reads, in [`schema::ALL`] order (ownership is not drawn).
pub const READ: [&Schema; 8] = [
    &schema::BILLS,
    &schema::COUPON_USE,
    &schema::LEDGER,
    &schema::AVAILABILITY,
    &schema::ALERTS,
    &schema::INVOICES,
    &schema::EVENTS,
    &schema::SUMMARY,
];

/// The columns [`Input::push`] reads, by report: the others are left empty when a run's
/// rows are converted.
fn used(schema: &Schema) -> Vec<bool> {
    let wanted: &[&str] = match schema.id {
        ReportId::Bills => &["account_id", "cycle_start", "cycle_end", "payer_id", "rule"],
        ReportId::CouponUse => &["time", "coupon_id", "owner_id", "amount", "remaining"],
        ReportId::Ledger => &["time", "account_id", "entry", "amount", "balance_after"],
        ReportId::Ownership => &[],
        _ => return vec![true; schema.columns.len()],
    };
    schema.names().map(|n| wanted.contains(&n)).collect()
}

impl Input {
    fn new(title: &str) -> Input {
        Input {
            title: title.to_string(),
            scale: 2,
            ..Input::default()
        }
    }

    /// The input of a fresh run, from the report model: each row's cells become the values
    /// the reader would read back from the written report.
    pub fn from_view(view: View<'_>) -> Input {
        let s = view.scenario;
        let r = view.results;
        let cal = &s.settings.calendar;
        let money = s.settings.money;
        let mut input = Input::new(&s.settings.name);
        input.scale = money.scale;
        let mut feed = |input: &mut Input, schema: &'static Schema, cells: &[Cell<'_>]| {
            let used = used(schema);
            let values: Vec<Value> = cells
                .iter()
                .zip(&used)
                .map(|(c, &u)| {
                    if u {
                        value(cal, &money, *c)
                    } else {
                        Value::Empty
                    }
                })
                .collect();
            input.push(schema, &values);
        };
        fn each<'a, R: Record<'a>>(
            input: &mut Input,
            rows: impl Iterator<Item = R>,
            feed: &mut impl FnMut(&mut Input, &'static Schema, &[Cell<'a>]),
        ) {
            for row in rows {
                feed(input, R::SCHEMA, row.cells().as_ref());
            }
        }
        each(&mut input, view.bills(), &mut feed);
        each(
            &mut input,
            r.coupon_use.iter().map(|c| view.coupon_use(c)),
            &mut feed,
        );
        each(&mut input, view.ledger(), &mut feed);
        each(
            &mut input,
            r.availability.iter().map(|a| view.availability(a)),
            &mut feed,
        );
        each(
            &mut input,
            r.alerts.iter().map(|a| view.alert(a)),
            &mut feed,
        );
        each(
            &mut input,
            r.invoices.iter().map(|i| view.invoice(i)),
            &mut feed,
        );
        each(
            &mut input,
            r.events.iter().map(|e| view.event(e)),
            &mut feed,
        );
        each(
            &mut input,
            r.summary.iter().map(|a| view.summary(a)),
            &mut feed,
        );
        for a in &s.accounts {
            if let Some(t) = a.low_balance_threshold {
                let id = input.names.intern(s.account_name(a.id));
                input
                    .thresholds
                    .insert(id, money.at_scale(t.decimal()).decimal());
            }
        }
        input
    }

    /// The input of a report directory, read back by the schema (a malformed report is a
    /// located problem, SPEC §7). `title` names the page.
    pub fn from_dir(dir: &Path, title: &str) -> Result<Input, Error> {
        let mut input = Input::new(title);
        let mut problems = Vec::new();
        let mut tables = Vec::new();
        for schema in READ {
            match read::read_table(dir, schema) {
                Ok(t) => tables.push(t),
                Err(Error::Scenario(p)) => problems.extend(p),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Scenario(problems));
        }
        for table in tables {
            for row in &table.rows {
                input.push(table.schema, &row.cells);
            }
        }
        // The scale trustsim wrote every amount at.
        if let Some(d) = input.summary.first().map(|s| s.amounts[0]) {
            input.scale = d.scale();
        }
        for a in &input.alerts {
            if a.low_balance {
                input.thresholds.entry(a.subject).or_insert(a.threshold);
            }
        }
        Ok(input)
    }

    /// Takes one row of `schema`'s report, its values as the reader reads them: the one
    /// place a report row becomes the page's input.
    pub fn push(&mut self, schema: &Schema, cells: &[Value]) {
        let col = |name: &str| {
            schema
                .column(name)
                .and_then(|i| cells.get(i))
                .unwrap_or(&Value::Empty)
        };
        let text = |name: &str| col(name).text().unwrap_or("").to_string();
        let amount = |name: &str| col(name).amount().unwrap_or(Decimal::ZERO);
        let time = |name: &str| match col(name) {
            Value::Instant(d) => Some(Time::of(d)),
            _ => None,
        };
        let at = |name: &str| time(name).unwrap_or(Time { at: 0, offset: 0 });
        let names = &mut self.names;
        match schema.id {
            ReportId::Bills => self.bills.push(Bill {
                account: names.intern(&text("account_id")),
                cycle_start: at("cycle_start").at,
                cycle_end: at("cycle_end").at,
                payer: names.intern(&text("payer_id")),
                rule: names.intern(&text("rule")),
            }),
            ReportId::CouponUse => self.coupon_use.push(CouponUse {
                coupon: names.intern(&text("coupon_id")),
                owner: names.intern(&text("owner_id")),
                time: at("time"),
                amount: amount("amount"),
                remaining: amount("remaining"),
            }),
            ReportId::Ledger => {
                let after = amount("balance_after");
                // Payments and settlements take money out; top-ups and refunds bring it in.
                // (Only drawn: an amount past `Decimal`'s range draws from the balance after.)
                let before = match text("entry").as_str() {
                    "payment" | "settlement" => after.checked_add(amount("amount")),
                    _ => after.checked_sub(amount("amount")),
                }
                .unwrap_or(after);
                self.ledger.push(Balance {
                    account: names.intern(&text("account_id")),
                    time: at("time"),
                    before,
                    balance: after,
                });
            }
            ReportId::Availability => {
                let unavailable = text("status") == "unavailable";
                let cause = unavailable.then(|| {
                    (
                        names.intern(&text("cause_account_id")),
                        names.intern(&text("rule")),
                    )
                });
                self.availability.push(Availability {
                    account: names.intern(&text("account_id")),
                    from: at("from"),
                    to: at("to"),
                    unavailable,
                    cause,
                });
            }
            ReportId::Alerts => self.alerts.push(Alert {
                time: at("time"),
                low_balance: text("kind") == "low_balance",
                subject: names.intern(&text("subject_id")),
                recipient: names.intern(&text("recipient_id")),
                amount: amount("amount"),
                threshold: amount("threshold"),
                rule: names.intern(&text("rule")),
            }),
            ReportId::Invoices => self.invoices.push(Invoice {
                month: col("month").month().unwrap_or((0, 0)),
                recipient: names.intern(&text("recipient_id")),
                account: names.intern(&text("account_id")),
                amount: amount("amount"),
            }),
            ReportId::Events => self.events.push(Event {
                seq: col("seq").integer().unwrap_or(0),
                time: at("time"),
                kind: text("kind").into(),
                account: text("account_id").into(),
                main: text("main_id").into(),
                resource: text("resource_id").into(),
                outcome: text("outcome").into(),
                effective_at: time("effective_at"),
                amount: col("amount").amount(),
                rule: text("rule").into(),
                detail: text("detail").into(),
            }),
            ReportId::Summary => {
                let account = names.intern(&text("account_id"));
                let amounts = SUMMARY_AMOUNTS.map(amount);
                self.summary.push(Summary { account, amounts });
            }
            ReportId::Ownership => {}
        }
    }
}

/// The value the reader would read for a cell trustsim writes (times with the zone's
/// offset in whole minutes, as `Calendar::write_time` prints them; amounts at scale).
fn value(cal: &Calendar, money: &crate::money::MoneyRules, cell: Cell<'_>) -> Value {
    let instant = |t: crate::calendar::Instant| {
        let offset = cal.zone.offset_seconds(t) / 60 * 60;
        FixedOffset::east_opt(offset)
            .zip(DateTime::from_timestamp(t.0, 0))
            .map_or(Value::Empty, |(o, d)| Value::Instant(d.with_timezone(&o)))
    };
    match cell {
        Cell::Id(s) | Cell::Text(s) => Value::Text(s.into()),
        Cell::BillId(resource, at) => {
            let mut id = format!("{resource}@");
            cal.write_time(at, &mut id);
            Value::Text(id.into())
        }
        Cell::Amount(m) => Value::Amount(money.at_scale(m.decimal()).decimal()),
        Cell::Instant(t) => instant(t),
        Cell::Integer(n) => Value::Integer(n),
        Cell::Month(y, m) => Value::Month(y, m),
        Cell::Empty => Value::Empty,
    }
}
