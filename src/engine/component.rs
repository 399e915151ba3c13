//! Simulates one component: every bill and event of a group of accounts, in processing order
//! (SPEC §5: at each instant, bills in bill order, then events in file order), and decides
//! each bill's payer, rule and price. [`Run`] records what is decided.

use super::outcome::{AlertKind, CouponUse, ProcKey};
use super::pricing;
use super::requests;
use super::state::Run;
use super::trusteeship;
use crate::bill::{BillRef, BillRow};
use crate::money::Money;
use crate::rules::RuleId;

/// Runs every bill and event of `run`'s component in processing order.
pub(super) fn run(run: &mut Run<'_>) {
    let comp = run.component();
    let (mut b, mut e) = (0, 0);
    let n_bills = run.bills().len();
    while b < n_bills || e < comp.events.len() {
        let t_bill = run.bills().get(b).map(|x| x.bill.issued_at);
        let t_event = comp.events.get(e).map(|&i| run.event_time(i));
        let t = match (t_bill, t_event) {
            (Some(x), Some(y)) => x.min(y),
            (Some(x), None) => x,
            (None, Some(y)) => y,
            (None, None) => break,
        };
        while b < n_bills && run.bill(b).bill.issued_at == t {
            bill(run, b);
            b += 1;
        }
        while e < comp.events.len() && run.event_time(comp.events[e]) == t {
            requests::event(run, comp.events[e]);
            e += 1;
        }
    }
}

/// Attributes, prices and pays bill `i` (SPEC §5.2–§5.4, §5.7).
fn bill(run: &mut Run<'_>, i: usize) {
    let s = run.scenario();
    let row = run.bill(i);
    let bill = row.bill;
    let resource = &s.resources[bill.resource.index()];
    let incurring = run.local(bill.account);
    let x = trusteeship::reference_instant(row, s.settings.policy.subscription_payer);
    // rule L1, T3, T5.1, B1: the payer is the main whose relationship applies at the
    // bill's reference instant, looking only at the incurring account's own history
    // (docs/interpretations.md 20); `History::bill_rule` names the rule.
    let history = run.account(incurring).history();
    let main = history.main_for_cycle(x);
    let rule = history.bill_rule(x, bill.issued_at, main.is_some());
    let payer = main.map_or(incurring, |m| run.local(m));
    // rule L5, T2: the main prices main-paid bills, except AliTelecom products.
    let pricing = run.local(pricing::pricing_account(
        run.account(payer).id(),
        bill.account,
        resource.is_alitelecom,
    ));

    // rule B2: discount first, then coupons, then the balance.
    let discount_row = run.discount(pricing, &resource.product, x);
    let discount = pricing::discount_amount(&s.settings.money, bill.list, discount_row);
    let takes = run.take_coupons(
        pricing,
        &resource.product,
        bill.issued_at,
        bill.list - discount,
    );
    let coupon: Money = takes.iter().map(|t| t.amount).sum();
    let bill_ref = BillRef::from(run.bill(i));
    let owner = run.account(pricing).id();
    for (n, take) in takes.iter().enumerate() {
        let rule = if owner != bill.account {
            RuleId::L5
        } else if payer != incurring && resource.is_alitelecom {
            RuleId::T2
        } else {
            RuleId::B2
        };
        run.coupon_use(CouponUse {
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

    let subscription = run.bill(i).subscription;
    let payable = run.issue(
        i,
        payer,
        BillRow {
            subscription,
            bill,
            discount,
            coupon,
            paid_at_issue: Money::ZERO,
            payer: run.account(payer).id(),
            rule,
            refunded: false,
        },
    );
    // Sub-keys order this bill's alerts; its payment row is `paid_at_issue`.
    let mut sub = 0;
    let mut key = || {
        sub += 1;
        ProcKey::bill(bill.order(), sub)
    };
    if let Some(threshold) = run.account(incurring).high_threshold() {
        if payable > threshold {
            let k = key();
            run.alert(
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
    run.check_low_balance(k, bill.issued_at, payer, Some(bill_ref));
}
