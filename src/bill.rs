//! The bill record, from the moment usage becomes a bill to the report row: what was
//! incurred ([`Bill`]), where it sits in SPEC §5 bill order ([`BillOrder`]), how it was
//! priced and paid ([`BillRow`]) and how output names it ([`BillRef`]).
//!
//! It sits below both `timeline` (which builds bills) and `engine` (which prices and pays
//! them in place), so neither imports the other. A run holds one [`BillRow`] per bill, so
//! every byte of it is paid once per bill of a run: payable and outstanding amounts, the
//! pricing account and a subscription's cycle end are derived, not stored (see
//! `crate::report::model` for the complete row).

use crate::calendar::{Calendar, Cycle, Instant};
use crate::ids::{AccountId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;

/// A bill before anyone has paid it: what was incurred, when, and at what list price.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    pub resource: ResourceId,
    /// The incurring account (the resource's account).
    pub account: AccountId,
    pub cycle_start: Instant,
    /// The cycle's end for pay-as-you-go; the order's time for a subscription. (A
    /// subscription's cycle end is derived, [`BillRow::cycle_end`]: storing it would cost 8
    /// bytes on every bill of a run.)
    pub issued_at: Instant,
    pub list: Money,
}

/// Where a bill sits in SPEC §5 bill order: (issued_at, account_id, resource_id, cycle_start).
pub type BillOrder = (Instant, AccountId, ResourceId, Instant);

impl Bill {
    pub fn order(&self) -> BillOrder {
        (
            self.issued_at,
            self.account,
            self.resource,
            self.cycle_start,
        )
    }
}

/// Names a bill in output: `resource_id@time` (SPEC §5.2).
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
/// and the stored form of a bills.csv row once it has. Payable and outstanding amounts are
/// derived, and the ledger's payment row is `paid_at_issue`, so a bill costs one compact
/// record.
#[derive(Clone, Debug)]
pub struct BillRow {
    pub bill: Bill,
    pub discount: Money,
    pub coupon: Money,
    /// Paid from the payer's balance when issued: the amount of its ledger payment row.
    /// What later settlements paid is kept beside the bills (`engine::outcome::Bills::paid`):
    /// few bills have any, and this record is paid for once per bill of a run.
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

    /// The end of the bill's cycle (`cycle` is its resource's): its issue time for
    /// pay-as-you-go, derived from the calendar for a subscription order.
    pub fn cycle_end(&self, calendar: &Calendar, cycle: Cycle) -> Instant {
        if self.subscription {
            calendar.cycle_containing(cycle, self.bill.cycle_start).1
        } else {
            self.bill.issued_at
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Memory is one record per bill: a bigger record is a bigger run at the linked limit.
    #[test]
    fn a_bill_stays_one_compact_record() {
        assert!(
            std::mem::size_of::<BillRow>() <= 96,
            "BillRow grew to {} bytes",
            std::mem::size_of::<BillRow>()
        );
    }
}
