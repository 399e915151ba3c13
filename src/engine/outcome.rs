//! What a simulation produces: typed report rows, not yet formatted.
//!
//! Rows that SPEC §6 orders by "processing order" carry a [`ProcKey`], so the rows of
//! independently simulated components merge into exactly the order one sequential run
//! would have produced.

use crate::calendar::Instant;
use crate::ids::{AccountId, CouponId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;
use crate::timeline::{Bill, BillOrder};
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

/// Names a bill in output: `resource_id@time`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BillRef {
    pub resource: ResourceId,
    pub at: Instant,
}

impl From<&BillRow> for BillRef {
    fn from(b: &BillRow) -> Self {
        BillRef {
            resource: b.bill.resource,
            at: b.id_time(),
        }
    }
}

/// A bill and how it was paid: the engine's live state of the bill while a component runs,
/// and a row of bills.csv once it has. Payable and outstanding amounts are derived, and the
/// ledger's payment row is `paid_at_issue`, so a bill costs one compact record.
#[derive(Clone, Debug)]
pub struct BillRow {
    pub bill: Bill,
    pub discount: Money,
    pub coupon: Money,
    /// Paid from the payer's balance when issued: the amount of its ledger payment row.
    /// What later settlements paid is kept beside the bills ([`Bills::paid`]): few bills
    /// have any, and this record is paid for once per bill of a run.
    pub paid_at_issue: Money,
    pub payer: AccountId,
    pub rule: RuleId,
    /// A downgrade already refunded (possibly 0 of) it: B8 refunds once.
    pub refunded: bool,
    /// An order of a subscription (else a pay-as-you-go cycle's usage).
    pub subscription: bool,
}

impl BillRow {
    /// A bill not yet processed: the engine fills in the rest when it is issued.
    pub fn unprocessed(bill: Bill, subscription: bool) -> BillRow {
        BillRow {
            subscription,
            bill,
            discount: Money::ZERO,
            coupon: Money::ZERO,
            paid_at_issue: Money::ZERO,
            payer: bill.account,
            rule: RuleId::B1,
            refunded: false,
        }
    }

    /// The instant after `@` in the bill id (SPEC §5.2): the order time of a subscription,
    /// the cycle start of pay-as-you-go.
    pub fn id_time(&self) -> Instant {
        if self.subscription {
            self.bill.issued_at
        } else {
            self.bill.cycle_start
        }
    }

    /// The end of the bill's cycle: its issue time for pay-as-you-go, recomputed from the
    /// calendar for a subscription order.
    pub fn cycle_end(
        &self,
        calendar: &crate::calendar::Calendar,
        cycle: crate::calendar::Cycle,
    ) -> Instant {
        if self.subscription {
            calendar.cycle_containing(cycle, self.bill.cycle_start).1
        } else {
            self.bill.issued_at
        }
    }

    /// Whose discounts and coupons priced it (L5, T2): derived from the payer rather than
    /// stored, as every byte of this record is paid once per bill of a run.
    pub fn pricing(&self, is_alitelecom: bool) -> AccountId {
        crate::engine::pricing::pricing_account(self.payer, self.bill.account, is_alitelecom)
    }

    /// list − discount − coupon.
    pub fn payable(&self) -> Money {
        self.bill.list - self.discount - self.coupon
    }

    /// Whether the payer's balance fell short when it was issued (it put the payer in
    /// arrears, SPEC §5.5).
    pub fn short_at_issue(&self) -> bool {
        self.paid_at_issue < self.payable()
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

/// A row of ledger.csv written by an event (top-up, refund, settlement). Payment rows are
/// not stored: each is a bill's `paid_at_issue`, merged in by the writer.
#[derive(Clone, Debug)]
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
    pub ledger: Vec<LedgerRow>,
    pub availability: Vec<AvailabilityRow>,
    pub alerts: Vec<AlertRow>,
    pub invoices: Vec<InvoiceRow>,
    pub ownership: Vec<OwnershipRow>,
    pub events: Vec<EventRow>,
    pub summary: Vec<SummaryRow>,
}
