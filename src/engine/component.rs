//! Simulates one component: every bill and event of a group of accounts, in processing order
//! (SPEC §5: at each instant, bills in bill order, then events in file order).

use super::outcome::{
    AlertKind, AlertRow, CouponUse, Entry, EventRow, LedgerRow, Outcome, ProcKey,
};
use super::pricing::{self, CouponState, DiscountIndex};
use super::requests::{self, LinkedCounts};
use super::trusteeship::{self, History};
use crate::bill::{Bill, BillRef, BillRow};
use crate::calendar::Instant;
use crate::ids::{AccountId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;
use crate::scenario::{BillingMethod, EventKind, Scenario};
use crate::timeline::Component;
use std::collections::{BTreeMap, VecDeque};

/// An account as the simulation changes it.
#[derive(Debug)]
pub(super) struct AccountState {
    pub id: AccountId,
    pub balance: Money,
    pub enterprise: Box<str>,
    pub low_threshold: Option<Money>,
    pub high_threshold: Option<Money>,
    /// Set by a low-balance alert; cleared when the balance is back at the threshold (§5.7).
    pub low_alerted: bool,
    /// Bills this account pays that are not fully paid, oldest (bill order) first.
    pub unsettled: VecDeque<usize>,
    /// Its trusteeship history as a linked account.
    pub history: History,
    /// Indices into the component's coupons.
    pub coupons: Vec<usize>,
}

/// Rows of one component, each list in processing order (its bills are updated in place).
#[derive(Debug, Default)]
pub(super) struct ComponentRows {
    pub coupon_use: Vec<CouponUse>,
    pub ledger: Vec<LedgerRow>,
    pub alerts: Vec<AlertRow>,
    pub events: Vec<EventRow>,
}

/// The whole state of one component's simulation.
pub(super) struct Run<'s> {
    pub s: &'s Scenario,
    pub comp: &'s Component,
    pub accounts: Vec<AccountState>,
    /// The component's bills in bill order, priced and paid in place as they are issued.
    pub bills: &'s mut [BillRow],
    /// When each bill that fell short at issue was fully settled, by bill index (§5.5).
    pub settled_at: BTreeMap<usize, Instant>,
    /// What settlements have paid of a bill after its issue, by bill index.
    pub settled: BTreeMap<usize, Money>,
    pub coupons: Vec<CouponState>,
    /// Every account's discounts, shared by all components.
    pub discounts: &'s DiscountIndex,
    /// Active-or-pending linked accounts per main, kept as requests change them (E3, T7, T8).
    pub linked: LinkedCounts,
    /// The latest subscription bill issued so far per resource (B8).
    pub last_order: BTreeMap<ResourceId, usize>,
    pub rows: ComponentRows,
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

impl<'s> Run<'s> {
    pub fn new(
        s: &'s Scenario,
        owned: &'s Owned,
        comp: &'s Component,
        bills: &'s mut [BillRow],
    ) -> Run<'s> {
        let mut accounts: Vec<AccountState> = comp
            .accounts
            .iter()
            .map(|&id| {
                let a = &s.accounts[id.index()];
                AccountState {
                    id,
                    balance: a.balance,
                    enterprise: a.enterprise.clone(),
                    low_threshold: a.low_balance_threshold,
                    high_threshold: a.high_bill_threshold,
                    low_alerted: false,
                    unsettled: VecDeque::new(),
                    history: History::default(),
                    coupons: Vec::new(),
                }
            })
            .collect();
        let mut coupons = Vec::new();
        for acc in &mut accounts {
            let a = acc.id.index();
            for &c in &owned.coupons[a] {
                let coupon = &s.coupons[c];
                acc.coupons.push(coupons.len());
                coupons.push(CouponState {
                    coupon: coupon.clone(),
                    remaining: coupon.amount,
                });
            }
        }
        let linked = LinkedCounts::new(accounts.len());
        Run {
            s,
            comp,
            accounts,
            bills,
            settled_at: BTreeMap::new(),
            settled: BTreeMap::new(),
            coupons,
            discounts: &owned.discounts,
            linked,
            last_order: BTreeMap::new(),
            rows: ComponentRows::default(),
        }
    }

    /// The local index of an account of this component.
    pub fn local(&self, a: AccountId) -> usize {
        // Components are closed under every event and bill that names an account.
        self.comp
            .accounts
            .binary_search(&a)
            .expect("account belongs to its component")
    }

    /// Cash paid so far for bill `i`: at issue, then by settlements.
    pub fn paid(&self, i: usize) -> Money {
        self.bills[i].paid_at_issue + self.settled.get(&i).copied().unwrap_or(Money::ZERO)
    }

    /// Runs every bill and event in processing order.
    pub fn run(&mut self) {
        let comp = self.comp;
        let (mut b, mut e) = (0, 0);
        let n_bills = self.bills.len();
        while b < n_bills || e < comp.events.len() {
            let t_bill = self.bills.get(b).map(|x| x.bill.issued_at);
            let t_event = comp.events.get(e).map(|&i| self.s.events[i].time);
            let t = match (t_bill, t_event) {
                (Some(x), Some(y)) => x.min(y),
                (Some(x), None) => x,
                (None, Some(y)) => y,
                (None, None) => break,
            };
            while b < n_bills && self.bills[b].bill.issued_at == t {
                self.bill(b);
                b += 1;
            }
            while e < comp.events.len() && self.s.events[comp.events[e]].time == t {
                requests::event(self, comp.events[e]);
                e += 1;
            }
        }
    }

    /// Attributes, prices and pays bill `i` (SPEC §5.2–§5.4, §5.7).
    fn bill(&mut self, i: usize) {
        let bill: Bill = self.bills[i].bill;
        let resource = &self.s.resources[bill.resource.index()];
        let incurring = self.local(bill.account);
        let x = trusteeship::reference_instant(
            &self.bills[i],
            self.s.settings.policy.subscription_payer,
        );
        let history = &self.accounts[incurring].history;
        let main = history.main_for_cycle(x);
        let rule = history.bill_rule(x, bill.issued_at, main.is_some());
        let payer = main.map_or(incurring, |m| self.local(m));
        let pricing = self.local(pricing::pricing_account(
            self.accounts[payer].id,
            bill.account,
            resource.is_alitelecom,
        ));

        let money = &self.s.settings.money;
        let discount_row = self
            .discounts
            .lookup(self.accounts[pricing].id, &resource.product, x);
        let discount = pricing::discount_amount(money, bill.list, discount_row);
        let takes = pricing::apply_coupons(
            &mut self.coupons,
            &self.accounts[pricing].coupons,
            &resource.product,
            bill.issued_at,
            bill.list - discount,
        );
        let coupon: Money = takes.iter().map(|t| t.amount).sum();
        let bill_ref = BillRef::from(&self.bills[i]);
        for (n, take) in takes.iter().enumerate() {
            let owner = self.accounts[pricing].id;
            let rule = if owner != bill.account {
                RuleId::L5
            } else if payer != incurring && resource.is_alitelecom {
                RuleId::T2
            } else {
                RuleId::B2
            };
            self.rows.coupon_use.push(CouponUse {
                order: (bill.order(), n as u32),
                time: bill.issued_at,
                coupon: take.coupon,
                owner,
                bill: bill_ref,
                account: bill.account,
                amount: take.amount,
                remaining: take.remaining,
                rule,
            });
        }

        let payable = bill.list - discount - coupon;
        let paid = self.accounts[payer].balance.min(payable);
        self.accounts[payer].balance -= paid;
        if paid < payable {
            self.accounts[payer].unsettled.push_back(i);
        }
        let subscription = self.bills[i].subscription;
        self.bills[i] = BillRow {
            subscription,
            bill,
            discount,
            coupon,
            paid_at_issue: paid,
            payer: self.accounts[payer].id,
            rule,
            refunded: false,
        };
        // Sub-keys order this bill's alerts; its payment row is `paid_at_issue`.
        let mut sub = 0;
        let mut key = || {
            sub += 1;
            ProcKey::bill(bill.order(), sub)
        };
        if resource.billing == BillingMethod::Subscription {
            self.last_order.insert(bill.resource, i);
        }

        if let Some(threshold) = self.accounts[incurring].high_threshold {
            if payable > threshold {
                let k = key();
                self.alert(
                    k,
                    bill.issued_at,
                    AlertKind::HighBill,
                    incurring,
                    payable,
                    threshold,
                    Some(bill_ref),
                );
            }
        }
        let k = key();
        self.check_low_balance(k, bill.issued_at, payer, Some(bill_ref));
    }

    /// Raises an alert about `subject`, delivered to its active main if it has one (T1).
    #[allow(clippy::too_many_arguments)]
    fn alert(
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
    fn check_low_balance(&mut self, key: ProcKey, t: Instant, a: usize, bill: Option<BillRef>) {
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
        while self.accounts[a].balance.is_positive() {
            let Some(&i) = self.accounts[a].unsettled.front() else {
                break;
            };
            let outstanding = self.bills[i].payable() - self.paid(i);
            let pay = self.accounts[a].balance.min(outstanding);
            self.accounts[a].balance -= pay;
            *self.settled.entry(i).or_insert(Money::ZERO) += pay;
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

    /// The kind of an event, for the request handlers.
    pub fn kind(&self, event: usize) -> &'s EventKind {
        &self.s.events[event].kind
    }
}
