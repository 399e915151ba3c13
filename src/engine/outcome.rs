//! What a simulation produces: typed report rows by id, not yet named or formatted
//! (`crate::report::model` is the view with names and derived cells). Every row is
//! complete: [`Results::ledger`] yields the payment rows the bills imply, with their
//! balances.
//!
//! Rows that SPEC §6 orders by "processing order" carry a [`ProcKey`], so the rows of
//! independently simulated components merge into exactly the order one sequential run
//! would have produced.

use crate::bill::{BillOrder, BillRef, BillRow};
use crate::calendar::Instant;
use crate::ids::{AccountId, CouponId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// Global processing order (SPEC §5): by instant, bills (in bill order) before events (in
/// file order), then the position of a row within one bill's or event's processing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProcKey {
    pub time: Instant,
    /// 0 for a bill, 1 for an event.
    pub phase: u8,
    /// Bill order's (account, resource) or the event's seq.
    pub primary: u64,
    /// Bill order's cycle start, 0 for an event.
    pub secondary: i64,
    pub sub: u32,
}

impl ProcKey {
    pub fn bill(order: BillOrder, sub: u32) -> ProcKey {
        let (issued, account, resource, cycle_start) = order;
        ProcKey {
            time: issued,
            phase: 0,
            primary: (u64::from(account.0) << 32) | u64::from(resource.0),
            secondary: cycle_start.0,
            sub,
        }
    }

    pub fn event(time: Instant, seq: u32, sub: u32) -> ProcKey {
        ProcKey {
            time,
            phase: 1,
            primary: u64::from(seq),
            secondary: 0,
            sub,
        }
    }
}

/// A row of coupon_use.csv.
#[derive(Clone, Debug)]
pub struct CouponUse {
    pub order: (BillOrder, u32),
    pub time: Instant,
    pub coupon: CouponId,
    pub owner: AccountId,
    pub bill: BillRef,
    pub account: AccountId,
    pub amount: Money,
    pub remaining: Money,
    pub rule: RuleId,
}

/// Kinds of ledger entries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Payment,
    Settlement,
    Topup,
    Refund,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Payment => "payment",
            Entry::Settlement => "settlement",
            Entry::Topup => "topup",
            Entry::Refund => "refund",
        }
    }
}

/// A row of ledger.csv. Rows written by events (top-ups, refunds, settlements) are stored
/// ([`Results::ledger_events`]); payment rows are not (each is a bill's `paid_at_issue`):
/// [`Results::ledger`] yields both, complete, in processing order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    pub key: ProcKey,
    pub time: Instant,
    pub account: AccountId,
    pub entry: Entry,
    pub amount: Money,
    pub balance_after: Money,
    pub bill: Option<BillRef>,
}

/// Kinds of alerts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AlertKind {
    HighBill,
    LowBalance,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::HighBill => "high_bill",
            AlertKind::LowBalance => "low_balance",
        }
    }
}

/// A row of alerts.csv.
#[derive(Clone, Debug)]
pub struct AlertRow {
    pub key: ProcKey,
    pub time: Instant,
    pub kind: AlertKind,
    pub subject: AccountId,
    pub recipient: AccountId,
    pub amount: Money,
    pub threshold: Money,
    pub bill: Option<BillRef>,
    pub rule: RuleId,
}

/// What became of an event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Deferred,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Deferred => "deferred",
            Outcome::Rejected => "rejected",
        }
    }
}

/// A row of events.csv; the event's own fields are read from the scenario by `seq`.
#[derive(Clone, Debug)]
pub struct EventRow {
    /// Index into `Scenario::events`.
    pub event: usize,
    pub outcome: Outcome,
    pub effective_at: Option<Instant>,
    pub amount: Option<Money>,
    pub rule: RuleId,
    pub detail: String,
}

/// What a transition does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Establish,
    Modify,
    Remove,
}

/// One applied or deferred establish/modify/remove of a linked account: a step of its
/// `engine::trusteeship::History`, which decides payers and rules from it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub request: Instant,
    /// Equal to `request` when applied; the next month start when deferred.
    pub active: Instant,
    pub change: Change,
    /// The main from `active` on; `None` after a remove.
    pub main: Option<AccountId>,
    /// The request that made it: an index into `Scenario::events`. Kept so `explain` can
    /// name the event that decided a bill from the engine's own record (SPEC §10.4).
    pub event: u32,
}

/// Available or not.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Available,
    Unavailable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Unavailable => "unavailable",
        }
    }
}

/// A row of availability.csv: one maximal interval of one account's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityRow {
    pub account: AccountId,
    pub from: Instant,
    pub to: Instant,
    pub status: Status,
    /// With `rule`, `None` when available.
    pub cause: Option<(AccountId, RuleId)>,
}

/// A row of ownership.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnershipRow {
    pub resource: ResourceId,
    pub owner: AccountId,
    pub from: Instant,
    pub to: Instant,
    pub rule: RuleId,
}

/// A row of invoices.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    /// Local (year, month) of the bills' cycle start.
    pub month: (i32, u32),
    pub recipient: AccountId,
    pub account: AccountId,
    pub amount: Money,
    pub rule: RuleId,
}

/// A row of summary.csv.
#[derive(Clone, Debug)]
pub struct SummaryRow {
    pub account: AccountId,
    pub list: Money,
    pub discount: Money,
    pub coupon: Money,
    pub paid: Money,
    pub outstanding: Money,
    pub paid_as_payer: Money,
    pub outstanding_as_payer: Money,
    pub balance_end: Money,
}

/// Every bill, kept as the components produced them (each list in bill order). The bill
/// table is the largest of a run, so it is never copied into one list: [`Bills::in_order`]
/// merges the components' lists on the fly.
#[derive(Debug, Default)]
pub struct Bills {
    parts: Vec<Vec<BillRow>>,
    /// What settlements paid of a bill after it was issued, for the bills that had any.
    settled: BTreeMap<BillRef, Money>,
}

impl Bills {
    /// The bills of each component (each list in bill order), and what settlements paid.
    pub fn new(parts: Vec<Vec<BillRow>>, settled: BTreeMap<BillRef, Money>) -> Bills {
        Bills { parts, settled }
    }

    /// The cash paid for a bill by the end of the run: at issue, then by settlements.
    pub fn paid(&self, row: &BillRow) -> Money {
        if self.settled.is_empty() {
            return row.paid_at_issue;
        }
        match self.settled.get(&BillRef::from(row)) {
            Some(&later) => row.paid_at_issue + later,
            None => row.paid_at_issue,
        }
    }

    /// The bill lists back, for a caller that reuses their memory (a sweep).
    pub fn into_parts(self) -> Vec<Vec<BillRow>> {
        self.parts
    }

    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// Every bill in SPEC §5 bill order.
    pub fn in_order(&self) -> InOrder<'_> {
        if let [single] = self.parts.as_slice() {
            return InOrder::Single(single.iter());
        }
        let mut heap = BinaryHeap::with_capacity(self.parts.len());
        for (p, part) in self.parts.iter().enumerate() {
            if let Some(first) = part.first() {
                heap.push(Reverse((first.bill.order(), p)));
            }
        }
        InOrder::Merge {
            parts: &self.parts,
            next: vec![0; self.parts.len()],
            heap,
        }
    }
}

/// Bills in bill order: one component's list as it is, or a k-way merge of several by bill
/// order (keys are unique).
pub enum InOrder<'a> {
    Single(std::slice::Iter<'a, BillRow>),
    Merge {
        parts: &'a [Vec<BillRow>],
        next: Vec<usize>,
        heap: BinaryHeap<Reverse<(BillOrder, usize)>>,
    },
}

impl<'a> Iterator for InOrder<'a> {
    type Item = &'a BillRow;

    fn next(&mut self) -> Option<&'a BillRow> {
        match self {
            InOrder::Single(rows) => rows.next(),
            InOrder::Merge { parts, next, heap } => {
                let Reverse((_, p)) = heap.pop()?;
                let part = &parts[p];
                let row = &part[next[p]];
                next[p] += 1;
                if let Some(following) = part.get(next[p]) {
                    heap.push(Reverse((following.bill.order(), p)));
                }
                Some(row)
            }
        }
    }
}

/// Every report's rows, each list already in its SPEC §6 order.
#[derive(Debug, Default)]
pub struct Results {
    pub bills: Bills,
    pub coupon_use: Vec<CouponUse>,
    /// The ledger rows events wrote, in processing order; [`Results::ledger`] adds the
    /// payments.
    pub ledger_events: Vec<LedgerRow>,
    pub availability: Vec<AvailabilityRow>,
    pub alerts: Vec<AlertRow>,
    pub invoices: Vec<InvoiceRow>,
    pub ownership: Vec<OwnershipRow>,
    pub events: Vec<EventRow>,
    pub summary: Vec<SummaryRow>,
    /// Each account's balance before the run, by account index: where the replay of
    /// [`Results::ledger`] starts.
    pub opening: Vec<Money>,
    /// Every linked account's transitions, in request order, as the run left them (only
    /// accounts that had any): what decided each bill's payer and rule, kept for
    /// `explain` (`engine::trusteeship::deciding` names the one a bill rests on).
    pub histories: BTreeMap<AccountId, Vec<Transition>>,
}

impl Results {
    /// Every ledger row in processing order, complete: the event rows merged with a
    /// payment row per bill that paid anything at issue. A payment's `balance_after` is not
    /// stored (it would cost 16 bytes per bill); it is recovered by replaying balances in
    /// this same order, from [`Results::opening`]. Nothing is materialised.
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger {
            balance: self.opening.clone(),
            bills: self.bills.in_order(),
            payment: None,
            events: self.ledger_events.iter().peekable(),
        }
    }
}

/// The ledger in processing order; see [`Results::ledger`].
pub struct Ledger<'a> {
    /// Each account's balance after the rows yielded so far.
    balance: Vec<Money>,
    bills: InOrder<'a>,
    /// The next bill with a payment row, and that row's processing key.
    payment: Option<(&'a BillRow, ProcKey)>,
    events: std::iter::Peekable<std::slice::Iter<'a, LedgerRow>>,
}

impl<'a> Ledger<'a> {
    fn next_payment(&mut self) -> Option<(&'a BillRow, ProcKey)> {
        if self.payment.is_none() {
            self.payment = self
                .bills
                .by_ref()
                .find(|b| b.paid_at_issue.is_positive())
                .map(|b| (b, ProcKey::bill(b.bill.order(), 0)));
        }
        self.payment
    }
}

impl Iterator for Ledger<'_> {
    type Item = LedgerRow;

    fn next(&mut self) -> Option<LedgerRow> {
        let payment = self.next_payment();
        let event_first = match (payment, self.events.peek()) {
            (Some((_, key)), Some(e)) => e.key < key,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if event_first {
            let row = *self.events.next()?;
            self.balance[row.account.index()] = row.balance_after;
            return Some(row);
        }
        let (bill, key) = payment?;
        self.payment = None;
        let balance = &mut self.balance[bill.payer.index()];
        *balance -= bill.paid_at_issue;
        Some(LedgerRow {
            key,
            time: bill.bill.issued_at,
            account: bill.payer,
            entry: Entry::Payment,
            amount: bill.paid_at_issue,
            balance_after: *balance,
            bill: Some(BillRef::from(bill)),
        })
    }
}
