//! The state of one component's simulation, and the only code that changes it.
//!
//! Everything a run mutates — balances, what each bill received, coupons, trusteeship
//! histories, linked counts, the rows written so far — is private to [`Run`], behind
//! methods that keep the invariants, asserted in debug builds where they are established
//! (TigerBeetle style: assert what must hold, next to the code that makes it hold):
//!
//! - a balance is never negative, and money never moves between accounts (rule L6);
//! - a bill never receives more than its payable amount, and is settled exactly when it has
//!   received all of it;
//! - bills are issued in bill order, and each payer's unsettled bills stay in bill order, the
//!   order B3 settles them in;
//! - a history only grows, and its active times never decrease ([`History::push`]).
//!
//! The processing loop (`component.rs`), the request handlers (`requests.rs`) and the
//! after-run reports (`intervals.rs`) sit above this module: they decide, this module
//! records. None of them can reach into the fields.

use super::outcome::{
    AlertKind, AlertRow, CouponUse, Entry, EventRow, LedgerRow, Outcome, ProcKey,
};
use super::pricing::{self, CouponState, CouponTake, DiscountIndex};
use super::trusteeship::{History, LinkedCounts, Transition};
use crate::bill::{BillRef, BillRow};
use crate::calendar::Instant;
use crate::ids::{AccountId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;
use crate::scenario::{Discount, EventKind, Scenario};
use crate::timeline::Component;
use std::collections::{BTreeMap, VecDeque};

/// An account as the simulation changes it. Read through the getters; changed only by
/// [`Run`]'s methods.
#[derive(Debug)]
pub(super) struct AccountState {
    id: AccountId,
    balance: Money,
    enterprise: Box<str>,
    low_threshold: Option<Money>,
    high_threshold: Option<Money>,
    /// Set by a low-balance alert; cleared when the balance is back at the threshold (§5.7).
    low_alerted: bool,
    /// Bills this account pays that are not fully paid, oldest (bill order) first.
    unsettled: VecDeque<usize>,
    /// Its trusteeship history as a linked account.
    history: History,
    /// Indices into the component's coupons.
    coupons: Vec<usize>,
}

impl AccountState {
    pub fn id(&self) -> AccountId {
        self.id
    }

    pub fn balance(&self) -> Money {
        self.balance
    }

    /// Its enterprise now: `change_real_name` events may have changed it.
    pub fn enterprise(&self) -> &str {
        &self.enterprise
    }

    pub fn high_threshold(&self) -> Option<Money> {
        self.high_threshold
    }

    /// Bills this account pays that are not fully paid, in bill order.
    pub fn unsettled(&self) -> &VecDeque<usize> {
        &self.unsettled
    }

    pub fn history(&self) -> &History {
        &self.history
    }
}

/// Rows of one component, each list in processing order (its bills are updated in place).
#[derive(Debug, Default)]
pub(super) struct ComponentRows {
    pub coupon_use: Vec<CouponUse>,
    pub ledger: Vec<LedgerRow>,
    pub alerts: Vec<AlertRow>,
    pub events: Vec<EventRow>,
}

/// The scenario's coupons and discounts by owning account, built once so that each
/// component picks up its own without scanning everyone's.
pub(super) struct Owned {
    coupons: Vec<Vec<usize>>,
    discounts: DiscountIndex,
}

impl Owned {
    pub fn new(s: &Scenario) -> Owned {
        let mut owned = Owned {
            coupons: vec![Vec::new(); s.accounts.len()],
            discounts: DiscountIndex::new(&s.discounts, s.accounts.len()),
        };
        for (i, c) in s.coupons.iter().enumerate() {
            owned.coupons[c.owner.index()].push(i);
        }
        owned
    }
}

/// The whole state of one component's simulation.
pub(super) struct Run<'s> {
    s: &'s Scenario,
    comp: &'s Component,
    accounts: Vec<AccountState>,
    /// The component's bills in bill order, priced and paid in place as they are issued.
    bills: &'s mut [BillRow],
    /// How many bills have been issued: `bills[..issued]` are priced and paid.
    issued: usize,
    /// When each bill that fell short at issue was fully settled, by bill index (§5.5).
    settled_at: BTreeMap<usize, Instant>,
    /// What settlements have paid of a bill after its issue, by bill index.
    settled: BTreeMap<usize, Money>,
    coupons: Vec<CouponState>,
    /// Every account's discounts, shared by all components.
    discounts: &'s DiscountIndex,
    /// Active-or-pending linked accounts per main, kept as requests change them (E3, T7, T8).
    linked: LinkedCounts,
    /// The latest subscription bill issued so far per resource (B8).
    last_order: BTreeMap<ResourceId, usize>,
    rows: ComponentRows,
    /// An event this run sees at another instant than the scenario's (a sweep, SPEC §10.3).
    retime: Option<Retime>,
}

/// Event `event` (an index into `Scenario::events`) happens at `time` instead: how a sweep
/// simulates one retimed variant per instant without copying the scenario. The component
/// handed to the run must list its events in the processing order the new time gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retime {
    pub event: usize,
    pub time: Instant,
}

impl<'s> Run<'s> {
    pub fn new(
        s: &'s Scenario,
        owned: &'s Owned,
        comp: &'s Component,
        bills: &'s mut [BillRow],
    ) -> Run<'s> {
        debug_assert!(
            bills
                .windows(2)
                .all(|w| w[0].bill.order() < w[1].bill.order()),
            "a component's bills come in bill order"
        );
        let mut coupons = Vec::new();
        let accounts: Vec<AccountState> = comp
            .accounts
            .iter()
            .map(|&id| {
                let a = &s.accounts[id.index()];
                debug_assert!(
                    a.balance >= Money::ZERO,
                    "loading rejects negative balances"
                );
                let mut own = Vec::new();
                for &c in &owned.coupons[id.index()] {
                    let coupon = &s.coupons[c];
                    own.push(coupons.len());
                    coupons.push(CouponState {
                        coupon: coupon.clone(),
                        remaining: coupon.amount,
                    });
                }
                AccountState {
                    id,
                    balance: a.balance,
                    enterprise: a.enterprise.clone(),
                    low_threshold: a.low_balance_threshold,
                    high_threshold: a.high_bill_threshold,
                    low_alerted: false,
                    unsettled: VecDeque::new(),
                    history: History::default(),
                    coupons: own,
                }
            })
            .collect();
        let linked = LinkedCounts::new(accounts.len());
        Run {
            s,
            comp,
            accounts,
            bills,
            issued: 0,
            settled_at: BTreeMap::new(),
            settled: BTreeMap::new(),
            coupons,
            discounts: &owned.discounts,
            linked,
            last_order: BTreeMap::new(),
            rows: ComponentRows::default(),
            retime: None,
        }
    }

    /// This run sees `retime.event` at `retime.time` ([`Retime`]).
    pub fn retime(&mut self, retime: Retime) {
        self.retime = Some(retime);
    }

    /// When event `event` happens in this run: its time in the scenario, unless retimed.
    pub fn event_time(&self, event: usize) -> Instant {
        match self.retime {
            Some(r) if r.event == event => r.time,
            _ => self.s.events[event].time,
        }
    }

    // ---- Reading -------------------------------------------------------------------

    pub fn scenario(&self) -> &'s Scenario {
        self.s
    }

    pub fn component(&self) -> &'s Component {
        self.comp
    }

    /// The local index of an account of this component.
    pub fn local(&self, a: AccountId) -> usize {
        // Components are closed under every event and bill that names an account.
        self.comp
            .accounts
            .binary_search(&a)
            .expect("account belongs to its component")
    }

    /// The component's accounts, by local index.
    pub fn accounts(&self) -> &[AccountState] {
        &self.accounts
    }

    pub fn account(&self, local: usize) -> &AccountState {
        &self.accounts[local]
    }

    /// The component's bills in bill order; those not issued yet are unpriced.
    pub fn bills(&self) -> &[BillRow] {
        self.bills
    }

    pub fn bill(&self, i: usize) -> &BillRow {
        &self.bills[i]
    }

    /// Cash paid so far for bill `i`: at issue, then by settlements.
    pub fn paid(&self, i: usize) -> Money {
        self.bills[i].paid_at_issue + self.settled.get(&i).copied().unwrap_or(Money::ZERO)
    }

    /// When bill `i`, short at issue, was fully settled (§5.5).
    pub fn settled_at(&self, i: usize) -> Option<Instant> {
        self.settled_at.get(&i).copied()
    }

    /// What settlements paid of bills after their issue, by bill index.
    pub fn settled(&self) -> impl Iterator<Item = (usize, Money)> + '_ {
        self.settled.iter().map(|(&i, &amount)| (i, amount))
    }

    /// The latest subscription bill of `resource` issued so far (B8).
    pub fn last_order(&self, resource: ResourceId) -> Option<usize> {
        self.last_order.get(&resource).copied()
    }

    /// The discount row the local account `pricing` gets on `product` at `x` (§5.3).
    pub fn discount(&self, pricing: usize, product: &str, x: Instant) -> Option<&'s Discount> {
        self.discounts.lookup(self.accounts[pricing].id, product, x)
    }

    /// Accounts whose active or pending main is the local account `main` (T8, E3, T7).
    pub fn linked_count(&self, main: usize) -> usize {
        self.linked.count(main)
    }

    /// The kind of an event, for the request handlers.
    pub fn kind(&self, event: usize) -> &'s EventKind {
        &self.s.events[event].kind
    }

    /// The rows, once the run is over.
    pub fn into_rows(self) -> ComponentRows {
        self.rows
    }

    // ---- Bills ---------------------------------------------------------------------

    /// Takes the usable coupons of the local account `pricing` off `amount`, in the order
    /// [`pricing::apply_coupons`] fixes.
    pub fn take_coupons(
        &mut self,
        pricing: usize,
        product: &str,
        issued_at: Instant,
        amount: Money,
    ) -> Vec<CouponTake> {
        // rule T4: only the pricing account's own coupons are offered, so a linked
        // account's coupon never covers a bill another account prices (nor a sibling's).
        let owned = &self.accounts[pricing].coupons;
        let takes = pricing::apply_coupons(&mut self.coupons, owned, product, issued_at, amount);
        debug_assert!(
            takes.iter().all(|t| t.remaining >= Money::ZERO)
                && takes.iter().map(|t| t.amount).sum::<Money>() <= amount,
            "coupons take at most what is left of them and of the bill"
        );
        takes
    }

    /// Records bill `i` as priced (`priced`: its discount, coupon, payer and rule) and pays
    /// it from the balance of its payer, the local account `payer`, as far as that goes
    /// (§5.4); a shortfall leaves it unsettled (B3). Returns its payable amount. Bills are
    /// issued in bill order.
    pub fn issue(&mut self, i: usize, payer: usize, priced: BillRow) -> Money {
        debug_assert_eq!(i, self.issued, "bills are issued in bill order");
        debug_assert_eq!(priced.bill.order(), self.bills[i].bill.order());
        debug_assert_eq!(priced.payer, self.accounts[payer].id);
        let payable = priced.payable();
        debug_assert!(
            payable >= Money::ZERO,
            "discount and coupons never exceed the list amount"
        );
        let paid = self.accounts[payer].balance.min(payable);
        self.debit(payer, paid);
        if paid < payable {
            let unsettled = &mut self.accounts[payer].unsettled;
            debug_assert!(unsettled.back().is_none_or(|&b| b < i), "bill order");
            unsettled.push_back(i);
        }
        if priced.subscription {
            self.last_order.insert(priced.bill.resource, i);
        }
        self.bills[i] = BillRow {
            paid_at_issue: paid,
            ..priced
        };
        self.issued += 1;
        payable
    }

    /// Marks bill `i` refunded by a downgrade (B8 refunds once); false if it was already.
    pub fn mark_refunded(&mut self, i: usize) -> bool {
        !std::mem::replace(&mut self.bills[i].refunded, true)
    }

    // ---- Money ---------------------------------------------------------------------

    /// Takes `amount` off the local account `a`'s balance.
    fn debit(&mut self, a: usize, amount: Money) {
        // rule L6: a balance changes only by its own account's payments (here), credits
        // and settlements; nothing moves money from one account to another.
        let acc = &mut self.accounts[a];
        debug_assert!(
            amount >= Money::ZERO && amount <= acc.balance,
            "a payment is at most the balance"
        );
        acc.balance -= amount;
        debug_assert!(acc.balance >= Money::ZERO, "balances are never negative");
    }

    /// Money arrives on account `a` (a top-up or a refund): one credit row, then unsettled
    /// bills are settled oldest first (B3). `next_key` numbers the rows of this event.
    pub fn credit(
        &mut self,
        t: Instant,
        a: usize,
        amount: Money,
        entry: Entry,
        bill: Option<BillRef>,
        next_key: &mut dyn FnMut() -> ProcKey,
    ) {
        debug_assert!(amount.is_positive(), "a credit brings money");
        let acc = &mut self.accounts[a];
        acc.balance += amount;
        if acc.low_threshold.is_some_and(|th| acc.balance >= th) {
            acc.low_alerted = false;
        }
        self.rows.ledger.push(LedgerRow {
            key: next_key(),
            time: t,
            account: acc.id,
            entry,
            amount,
            balance_after: acc.balance,
            bill,
        });
        // rule B3: money arriving later settles unsettled bills, oldest (bill order) first.
        while self.accounts[a].balance.is_positive() {
            let Some(&i) = self.accounts[a].unsettled.front() else {
                break;
            };
            let outstanding = self.bills[i].payable() - self.paid(i);
            let pay = self.accounts[a].balance.min(outstanding);
            self.debit(a, pay);
            *self.settled.entry(i).or_insert(Money::ZERO) += pay;
            debug_assert!(
                self.paid(i) <= self.bills[i].payable(),
                "a bill never receives more than its payable amount"
            );
            if pay == outstanding {
                self.settled_at.insert(i, t);
                self.accounts[a].unsettled.pop_front();
            }
            let bill_ref = BillRef::from(&self.bills[i]);
            self.rows.ledger.push(LedgerRow {
                key: next_key(),
                time: t,
                account: self.accounts[a].id,
                entry: Entry::Settlement,
                amount: pay,
                balance_after: self.accounts[a].balance,
                bill: Some(bill_ref),
            });
            let k = next_key();
            self.check_low_balance(k, t, a, Some(bill_ref));
        }
    }

    // ---- Trusteeship ---------------------------------------------------------------

    /// Appends a transition to the local account `l`'s history (requested at `t`) and
    /// recounts the mains it counts against.
    pub fn add_transition(&mut self, l: usize, t: Instant, transition: Transition) {
        debug_assert_eq!(transition.request, t);
        self.accounts[l].history.push(transition);
        self.recount(l, t);
    }

    /// Brings the linked counts to `t`: deferred requests active by then no longer count
    /// against the old main. Call before deciding a request at `t`.
    pub fn advance_to(&mut self, t: Instant) {
        while let Some(l) = self.linked.due(t) {
            self.recount(l, t);
        }
    }

    fn recount(&mut self, l: usize, t: Instant) {
        let comp = self.comp;
        let local = |m: AccountId| {
            comp.accounts
                .binary_search(&m)
                .expect("a main belongs to its linked account's component")
        };
        self.linked.refresh(l, t, &self.accounts[l].history, local);
    }

    /// A `change_real_name` of the local account `a`; returns the enterprise it had.
    pub fn change_enterprise(&mut self, a: usize, enterprise: &str) -> Box<str> {
        std::mem::replace(&mut self.accounts[a].enterprise, enterprise.into())
    }

    // ---- Rows ----------------------------------------------------------------------

    pub fn coupon_use(&mut self, row: CouponUse) {
        self.rows.coupon_use.push(row);
    }

    /// Raises an alert about `subject`, delivered to its active main if it has one.
    #[allow(clippy::too_many_arguments)]
    pub fn alert(
        &mut self,
        key: ProcKey,
        t: Instant,
        kind: AlertKind,
        subject: usize,
        amount: Money,
        threshold: Money,
        bill: Option<BillRef>,
    ) {
        let subject_id = self.accounts[subject].id;
        // rule T1: an alert about an active linked account goes to its main; rule B5:
        // otherwise to the account it is about.
        let (recipient, rule) = match self.accounts[subject].history.active_main(t) {
            Some(main) => (main, RuleId::T1),
            None => (subject_id, RuleId::B5),
        };
        self.rows.alerts.push(AlertRow {
            key,
            time: t,
            kind,
            subject: subject_id,
            recipient,
            amount,
            threshold,
            bill,
            rule,
        });
    }

    /// The edge-triggered low-balance check after a payment or settlement (§5.7).
    pub fn check_low_balance(&mut self, key: ProcKey, t: Instant, a: usize, bill: Option<BillRef>) {
        let acc = &mut self.accounts[a];
        let Some(threshold) = acc.low_threshold else {
            return;
        };
        if acc.balance >= threshold {
            acc.low_alerted = false;
        } else if !acc.low_alerted {
            acc.low_alerted = true;
            let balance = acc.balance;
            self.alert(key, t, AlertKind::LowBalance, a, balance, threshold, bill);
        }
    }

    /// Records what became of an event.
    pub fn event_row(
        &mut self,
        event: usize,
        outcome: Outcome,
        rule: RuleId,
        effective_at: Option<Instant>,
        amount: Option<Money>,
        detail: String,
    ) {
        self.rows.events.push(EventRow {
            event,
            outcome,
            effective_at,
            amount,
            rule,
            detail,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of the quickstart scenario's first component, before anything is issued.
    fn with_quickstart_run(f: impl FnOnce(&mut Run<'_>)) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart");
        let s = crate::scenario::load(&dir).expect("quickstart loads");
        let components = crate::timeline::components(&s);
        let by_resource = crate::timeline::usage_by_resource(&s, &s.usage);
        let comp = &components[0];
        let mut bills = crate::timeline::build_bills(&s, comp, &by_resource).expect("bills");
        assert!(bills.len() >= 2, "quickstart has bills");
        let owned = Owned::new(&s);
        let mut run = Run::new(&s, &owned, comp, &mut bills);
        f(&mut run);
    }

    #[test]
    fn a_bill_issued_in_bill_order_is_paid_from_its_payer() {
        with_quickstart_run(|run| {
            let row = run.bill(0).clone();
            let payer = run.local(row.payer);
            let before = run.account(payer).balance();
            let payable = run.issue(0, payer, row);
            let paid = run.bill(0).paid_at_issue;
            assert_eq!(paid, before.min(payable));
            assert_eq!(run.account(payer).balance(), before - paid);
        });
    }

    /// The invariants are asserted where they are established: issuing out of bill order
    /// is caught at once, not in a report three files later.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "bills are issued in bill order")]
    fn a_bill_issued_out_of_bill_order_is_caught() {
        with_quickstart_run(|run| {
            let row = run.bill(1).clone();
            let payer = run.local(row.payer);
            run.issue(1, payer, row);
        });
    }
}
