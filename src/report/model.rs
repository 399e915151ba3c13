//! The report model: a run's results as the complete, typed rows of SPEC §6, with names
//! resolved through the scenario. Every output reads this view — the CSV writers now; HTML,
//! Parquet, FOCUS, `compare` and `explain` later — so nothing that finishes a row (a bill's
//! cycle end, paid and outstanding amounts, its pricing account, a payment's balance after)
//! is computed in a writer.
//!
//! Rows are built on demand from the engine's compact records ([`View::bill`] from a
//! `BillRow`, [`View::ledger_row`] from a row of [`Results::ledger`]): a run's bills are
//! never copied into a second table. Each record lists its cells in its [`Schema`]'s
//! column order ([`Record::cells`]).

use super::schema::{self, Cell, Schema};
use crate::bill::{BillOrder, BillRef, BillRow};
use crate::calendar::{Cycle, Instant};
use crate::engine::outcome::{
    AlertKind, AlertRow, AvailabilityRow, CouponUse, Entry, EventRow, InvoiceRow, LedgerRow,
    Outcome, OwnershipRow, ProcKey, Results, Status, SummaryRow,
};
use crate::money::Money;
use crate::rules::RuleId;
use crate::scenario::{BillingMethod, Scenario};

/// A row of a report: its cells, typed, in its schema's column order.
pub trait Record<'a> {
    /// The report this is a row of.
    const SCHEMA: &'static Schema;
    /// One cell per column of [`Record::SCHEMA`].
    type Cells: AsRef<[Cell<'a>]>;
    fn cells(&self) -> Self::Cells;
}

/// A run's results seen as report rows.
#[derive(Copy, Clone)]
pub struct View<'a> {
    pub scenario: &'a Scenario,
    pub results: &'a Results,
}

/// A bill id, `resource_id@time` (SPEC §5.2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BillId<'a> {
    pub resource: &'a str,
    pub at: Instant,
}

impl<'a> BillId<'a> {
    pub(super) fn cell(self) -> Cell<'a> {
        Cell::BillId(self.resource, self.at)
    }
}

fn opt_bill<'a>(b: Option<BillId<'a>>) -> Cell<'a> {
    b.map_or(Cell::Empty, BillId::cell)
}

/// A row of bills.csv.
#[derive(Copy, Clone, Debug)]
pub struct BillRecord<'a> {
    /// Where it sits in bill order, the report's order.
    pub order: BillOrder,
    pub bill_id: BillId<'a>,
    pub account_id: &'a str,
    pub resource_id: &'a str,
    pub product: &'a str,
    pub billing_method: BillingMethod,
    pub cycle: Cycle,
    pub cycle_start: Instant,
    pub cycle_end: Instant,
    pub issued_at: Instant,
    pub list_amount: Money,
    pub discount_amount: Money,
    pub coupon_amount: Money,
    pub payable_amount: Money,
    /// Final: at issue and by every settlement.
    pub paid_amount: Money,
    pub outstanding_amount: Money,
    pub payer_id: &'a str,
    pub pricing_account_id: &'a str,
    pub rule: RuleId,
}

impl<'a> Record<'a> for BillRecord<'a> {
    const SCHEMA: &'static Schema = &schema::BILLS;
    type Cells = [Cell<'a>; 18];
    fn cells(&self) -> Self::Cells {
        [
            self.bill_id.cell(),
            Cell::Id(self.account_id),
            Cell::Id(self.resource_id),
            Cell::Text(self.product),
            Cell::Text(self.billing_method.as_str()),
            Cell::Text(self.cycle.as_str()),
            Cell::Instant(self.cycle_start),
            Cell::Instant(self.cycle_end),
            Cell::Instant(self.issued_at),
            Cell::Amount(self.list_amount),
            Cell::Amount(self.discount_amount),
            Cell::Amount(self.coupon_amount),
            Cell::Amount(self.payable_amount),
            Cell::Amount(self.paid_amount),
            Cell::Amount(self.outstanding_amount),
            Cell::Id(self.payer_id),
            Cell::Id(self.pricing_account_id),
            Cell::Text(self.rule.as_str()),
        ]
    }
}

/// A row of coupon_use.csv.
#[derive(Copy, Clone, Debug)]
pub struct CouponUseRecord<'a> {
    /// Bill order, then coupon order within the bill.
    pub order: (BillOrder, u32),
    pub time: Instant,
    pub coupon_id: &'a str,
    pub owner_id: &'a str,
    pub bill_id: BillId<'a>,
    pub account_id: &'a str,
    pub amount: Money,
    /// The coupon's balance after this use.
    pub remaining: Money,
    pub rule: RuleId,
}

impl<'a> Record<'a> for CouponUseRecord<'a> {
    const SCHEMA: &'static Schema = &schema::COUPON_USE;
    type Cells = [Cell<'a>; 8];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Instant(self.time),
            Cell::Id(self.coupon_id),
            Cell::Id(self.owner_id),
            self.bill_id.cell(),
            Cell::Id(self.account_id),
            Cell::Amount(self.amount),
            Cell::Amount(self.remaining),
            Cell::Text(self.rule.as_str()),
        ]
    }
}

/// A row of ledger.csv.
#[derive(Copy, Clone, Debug)]
pub struct LedgerRecord<'a> {
    /// Processing order, the report's order.
    pub key: ProcKey,
    pub time: Instant,
    pub account_id: &'a str,
    pub entry: Entry,
    pub amount: Money,
    pub balance_after: Money,
    /// The bill paid or settled; none for a top-up or a refund.
    pub bill_id: Option<BillId<'a>>,
}

impl<'a> Record<'a> for LedgerRecord<'a> {
    const SCHEMA: &'static Schema = &schema::LEDGER;
    type Cells = [Cell<'a>; 6];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Instant(self.time),
            Cell::Id(self.account_id),
            Cell::Text(self.entry.as_str()),
            Cell::Amount(self.amount),
            Cell::Amount(self.balance_after),
            opt_bill(self.bill_id),
        ]
    }
}

/// A row of availability.csv: one maximal interval of one account's state.
#[derive(Copy, Clone, Debug)]
pub struct AvailabilityRecord<'a> {
    pub account_id: &'a str,
    pub from: Instant,
    pub to: Instant,
    pub status: Status,
    /// The account whose state made it unavailable, and the rule; none when available.
    pub cause: Option<(&'a str, RuleId)>,
}

impl<'a> Record<'a> for AvailabilityRecord<'a> {
    const SCHEMA: &'static Schema = &schema::AVAILABILITY;
    type Cells = [Cell<'a>; 6];
    fn cells(&self) -> Self::Cells {
        let (cause, rule) = match self.cause {
            Some((c, rule)) => (Cell::Id(c), Cell::Text(rule.as_str())),
            None => (Cell::Empty, Cell::Empty),
        };
        [
            Cell::Id(self.account_id),
            Cell::Instant(self.from),
            Cell::Instant(self.to),
            Cell::Text(self.status.as_str()),
            cause,
            rule,
        ]
    }
}

/// A row of alerts.csv.
#[derive(Copy, Clone, Debug)]
pub struct AlertRecord<'a> {
    /// Processing order, the report's order.
    pub key: ProcKey,
    pub time: Instant,
    pub kind: AlertKind,
    pub subject_id: &'a str,
    pub recipient_id: &'a str,
    pub amount: Money,
    pub threshold: Money,
    pub bill_id: Option<BillId<'a>>,
    pub rule: RuleId,
}

impl<'a> Record<'a> for AlertRecord<'a> {
    const SCHEMA: &'static Schema = &schema::ALERTS;
    type Cells = [Cell<'a>; 8];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Instant(self.time),
            Cell::Text(self.kind.as_str()),
            Cell::Id(self.subject_id),
            Cell::Id(self.recipient_id),
            Cell::Amount(self.amount),
            Cell::Amount(self.threshold),
            opt_bill(self.bill_id),
            Cell::Text(self.rule.as_str()),
        ]
    }
}

/// A row of invoices.csv.
#[derive(Copy, Clone, Debug)]
pub struct InvoiceRecord<'a> {
    /// Local (year, month) of the bills' cycle start.
    pub month: (i32, u32),
    pub recipient_id: &'a str,
    pub account_id: &'a str,
    pub amount: Money,
    pub rule: RuleId,
}

impl<'a> Record<'a> for InvoiceRecord<'a> {
    const SCHEMA: &'static Schema = &schema::INVOICES;
    type Cells = [Cell<'a>; 5];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Month(self.month.0, self.month.1),
            Cell::Id(self.recipient_id),
            Cell::Id(self.account_id),
            Cell::Amount(self.amount),
            Cell::Text(self.rule.as_str()),
        ]
    }
}

/// A row of ownership.csv.
#[derive(Copy, Clone, Debug)]
pub struct OwnershipRecord<'a> {
    pub resource_id: &'a str,
    pub owner_id: &'a str,
    pub from: Instant,
    pub to: Instant,
    pub rule: RuleId,
}

impl<'a> Record<'a> for OwnershipRecord<'a> {
    const SCHEMA: &'static Schema = &schema::OWNERSHIP;
    type Cells = [Cell<'a>; 5];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Id(self.resource_id),
            Cell::Id(self.owner_id),
            Cell::Instant(self.from),
            Cell::Instant(self.to),
            Cell::Text(self.rule.as_str()),
        ]
    }
}

/// A row of events.csv: the event as the input gave it, and what became of it.
#[derive(Copy, Clone, Debug)]
pub struct EventRecord<'a> {
    pub seq: u32,
    pub time: Instant,
    pub kind: &'static str,
    /// The input's fields, as given (possibly empty or unknown).
    pub account_id: &'a str,
    pub main_id: &'a str,
    pub resource_id: &'a str,
    pub outcome: Outcome,
    pub effective_at: Option<Instant>,
    pub amount: Option<Money>,
    pub rule: RuleId,
    pub detail: &'a str,
}

/// An as-given field: empty stays an empty cell.
fn given(text: &str) -> Cell<'_> {
    if text.is_empty() {
        Cell::Empty
    } else {
        Cell::Id(text)
    }
}

impl<'a> Record<'a> for EventRecord<'a> {
    const SCHEMA: &'static Schema = &schema::EVENTS;
    type Cells = [Cell<'a>; 11];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Integer(u64::from(self.seq)),
            Cell::Instant(self.time),
            Cell::Text(self.kind),
            given(self.account_id),
            given(self.main_id),
            given(self.resource_id),
            Cell::Text(self.outcome.as_str()),
            self.effective_at.map_or(Cell::Empty, Cell::Instant),
            self.amount.map_or(Cell::Empty, Cell::Amount),
            Cell::Text(self.rule.as_str()),
            if self.detail.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(self.detail)
            },
        ]
    }
}

/// A row of summary.csv.
#[derive(Copy, Clone, Debug)]
pub struct SummaryRecord<'a> {
    pub account_id: &'a str,
    pub list_amount: Money,
    pub discount_amount: Money,
    pub coupon_amount: Money,
    pub paid_amount: Money,
    pub outstanding_amount: Money,
    pub paid_as_payer: Money,
    pub outstanding_as_payer: Money,
    pub balance_end: Money,
}

impl<'a> Record<'a> for SummaryRecord<'a> {
    const SCHEMA: &'static Schema = &schema::SUMMARY;
    type Cells = [Cell<'a>; 9];
    fn cells(&self) -> Self::Cells {
        [
            Cell::Id(self.account_id),
            Cell::Amount(self.list_amount),
            Cell::Amount(self.discount_amount),
            Cell::Amount(self.coupon_amount),
            Cell::Amount(self.paid_amount),
            Cell::Amount(self.outstanding_amount),
            Cell::Amount(self.paid_as_payer),
            Cell::Amount(self.outstanding_as_payer),
            Cell::Amount(self.balance_end),
        ]
    }
}

impl<'a> View<'a> {
    pub fn new(scenario: &'a Scenario, results: &'a Results) -> View<'a> {
        View { scenario, results }
    }

    fn bill_id(&self, b: BillRef) -> BillId<'a> {
        BillId {
            resource: self.scenario.resource_name(b.resource),
            at: b.at,
        }
    }

    fn account(&self, a: crate::ids::AccountId) -> &'a str {
        self.scenario.account_name(a)
    }

    /// The complete row of one bill: its cycle end, final paid and outstanding amounts and
    /// pricing account derived here, once, for every output.
    pub fn bill(&self, row: &BillRow) -> BillRecord<'a> {
        let s = self.scenario;
        let b = &row.bill;
        let res = &s.resources[b.resource.index()];
        let payable = row.payable();
        let paid = self.results.bills.paid(row);
        let pricing =
            crate::engine::pricing::pricing_account(row.payer, b.account, res.is_alitelecom);
        BillRecord {
            order: b.order(),
            bill_id: self.bill_id(BillRef::from(row)),
            account_id: self.account(b.account),
            resource_id: s.resource_name(b.resource),
            product: &res.product,
            billing_method: res.billing,
            cycle: res.cycle,
            cycle_start: b.cycle_start,
            cycle_end: row.cycle_end(&s.settings.calendar, res.cycle),
            issued_at: b.issued_at,
            list_amount: b.list,
            discount_amount: row.discount,
            coupon_amount: row.coupon,
            payable_amount: payable,
            paid_amount: paid,
            outstanding_amount: payable - paid,
            payer_id: self.account(row.payer),
            pricing_account_id: self.account(pricing),
            rule: row.rule,
        }
    }

    /// Every bill, in bill order.
    pub fn bills(&self) -> impl Iterator<Item = BillRecord<'a>> + '_ {
        self.results.bills.in_order().map(|b| self.bill(b))
    }

    pub fn coupon_use(&self, c: &CouponUse) -> CouponUseRecord<'a> {
        CouponUseRecord {
            order: c.order,
            time: c.time,
            coupon_id: self.scenario.coupon_name(c.coupon),
            owner_id: self.account(c.owner),
            bill_id: self.bill_id(c.bill),
            account_id: self.account(c.account),
            amount: c.amount,
            remaining: c.remaining,
            rule: c.rule,
        }
    }

    /// A row of [`Results::ledger`] (which has every row, complete) with its names.
    pub fn ledger_row(&self, l: &LedgerRow) -> LedgerRecord<'a> {
        LedgerRecord {
            key: l.key,
            time: l.time,
            account_id: self.account(l.account),
            entry: l.entry,
            amount: l.amount,
            balance_after: l.balance_after,
            bill_id: l.bill.map(|b| self.bill_id(b)),
        }
    }

    /// Every ledger row, payments included, in processing order.
    pub fn ledger(&self) -> impl Iterator<Item = LedgerRecord<'a>> + '_ {
        self.results.ledger().map(|l| self.ledger_row(&l))
    }

    pub fn availability(&self, a: &AvailabilityRow) -> AvailabilityRecord<'a> {
        AvailabilityRecord {
            account_id: self.account(a.account),
            from: a.from,
            to: a.to,
            status: a.status,
            cause: a.cause.map(|(c, rule)| (self.account(c), rule)),
        }
    }

    pub fn alert(&self, a: &AlertRow) -> AlertRecord<'a> {
        AlertRecord {
            key: a.key,
            time: a.time,
            kind: a.kind,
            subject_id: self.account(a.subject),
            recipient_id: self.account(a.recipient),
            amount: a.amount,
            threshold: a.threshold,
            bill_id: a.bill.map(|b| self.bill_id(b)),
            rule: a.rule,
        }
    }

    pub fn invoice(&self, i: &InvoiceRow) -> InvoiceRecord<'a> {
        InvoiceRecord {
            month: i.month,
            recipient_id: self.account(i.recipient),
            account_id: self.account(i.account),
            amount: i.amount,
            rule: i.rule,
        }
    }

    pub fn ownership(&self, o: &OwnershipRow) -> OwnershipRecord<'a> {
        OwnershipRecord {
            resource_id: self.scenario.resource_name(o.resource),
            owner_id: self.account(o.owner),
            from: o.from,
            to: o.to,
            rule: o.rule,
        }
    }

    pub fn event(&self, row: &'a EventRow) -> EventRecord<'a> {
        let e = &self.scenario.events[row.event];
        EventRecord {
            seq: e.seq,
            time: e.time,
            kind: e.kind.name(),
            account_id: &e.account_field,
            main_id: &e.main_field,
            resource_id: &e.resource_field,
            outcome: row.outcome,
            effective_at: row.effective_at,
            amount: row.amount,
            rule: row.rule,
            detail: &row.detail,
        }
    }

    pub fn summary(&self, a: &SummaryRow) -> SummaryRecord<'a> {
        SummaryRecord {
            account_id: self.account(a.account),
            list_amount: a.list,
            discount_amount: a.discount,
            coupon_amount: a.coupon,
            paid_amount: a.paid,
            outstanding_amount: a.outstanding,
            paid_as_payer: a.paid_as_payer,
            outstanding_as_payer: a.outstanding_as_payer,
            balance_end: a.balance_end,
        }
    }
}
