//! An account's story (SPEC §10.4): its relationships over time, who paid its bills (runs
//! of the same payer and rule, in bill order, with counts and totals), when it was
//! unavailable and why, and its summary.csv row — every part read off the run. The JSON
//! keys are documented in `docs/explain.md`.

use super::Explainer;
use crate::engine::outcome::{Outcome, Status, Transition};
use crate::ids::AccountId;
use crate::money::Money;
use crate::rules::RuleId;
use serde::Serialize;

/// An account's story.
#[derive(Clone, Debug, Serialize)]
pub struct AccountStory {
    pub account_id: String,
    /// Its own transitions as a linked account, in request order.
    pub relationships: Vec<Relationship>,
    /// Transitions of other accounts that made it their main or ended that, in order of
    /// the events.
    pub linked_accounts: Vec<Relationship>,
    /// Its establish/modify/remove requests that were rejected, and why.
    pub rejected_requests: Vec<Rejected>,
    /// Runs of its bills (bill order) with the same payer and rule.
    pub payers: Vec<PayerRun>,
    /// Its unavailable intervals (availability.csv).
    pub unavailable: Vec<Unavailable>,
    /// Its summary.csv row.
    pub summary: Summary,
}

/// A transition of a linked account, with the event that made it.
#[derive(Clone, Debug, Serialize)]
pub struct Relationship {
    /// The linked account.
    pub account_id: String,
    pub seq: u32,
    pub kind: String,
    pub time: String,
    pub outcome: String,
    pub effective_at: Option<String>,
    pub rule: String,
    /// The main from `effective_at` on; null after a remove.
    pub main_id: Option<String>,
    /// The main before it, if any.
    pub previous_main_id: Option<String>,
}

/// A rejected trusteeship request of the account (events.csv).
#[derive(Clone, Debug, Serialize)]
pub struct Rejected {
    pub seq: u32,
    pub kind: String,
    pub time: String,
    pub rule: String,
    pub detail: String,
}

/// Consecutive bills of the account (bill order) with the same payer and rule.
#[derive(Clone, Debug, Serialize)]
pub struct PayerRun {
    pub payer_id: String,
    pub rule: String,
    pub bills: usize,
    /// The first bill's cycle start and the last bill's cycle end.
    pub from: String,
    pub to: String,
    /// The first and last bill ids of the run.
    pub first_bill_id: String,
    pub last_bill_id: String,
    pub list_amount: String,
    pub payable_amount: String,
    pub paid_amount: String,
    pub outstanding_amount: String,
}

/// An unavailable interval and its cause.
#[derive(Clone, Debug, Serialize)]
pub struct Unavailable {
    pub from: String,
    pub to: String,
    pub cause_account_id: String,
    pub rule: String,
}

/// The account's summary.csv row.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub list_amount: String,
    pub discount_amount: String,
    pub coupon_amount: String,
    pub paid_amount: String,
    pub outstanding_amount: String,
    pub paid_as_payer: String,
    pub outstanding_as_payer: String,
    pub balance_end: String,
}

/// Gathers account `a`'s story from `x`'s run.
pub(super) fn story(x: &Explainer<'_>, a: AccountId) -> AccountStory {
    let results = x.results();
    let own = results
        .histories
        .get(&a)
        .map(|h| relationships(x, a, h))
        .unwrap_or_default();
    let mut linked_accounts: Vec<(u32, Relationship)> = results
        .histories
        .iter()
        .filter(|&(&l, _)| l != a)
        .flat_map(|(&l, h)| {
            relationships(x, l, h)
                .into_iter()
                .filter(|r| [&r.main_id, &r.previous_main_id].contains(&&Some(x.name(a))))
                .map(|r| (r.seq, r))
        })
        .collect();
    linked_accounts.sort_by_key(|(seq, _)| *seq);

    let s = x.scenario();
    let rejected_requests = results
        .events
        .iter()
        .filter(|e| e.outcome == Outcome::Rejected)
        .filter(|e| {
            use crate::scenario::EventKind::*;
            matches!(s.events[e.event].kind,
                Establish { linked, .. } | Modify { linked, .. } | Remove { linked } if linked == a)
        })
        .map(|e| {
            let r = x.view.event(e);
            Rejected {
                seq: r.seq,
                kind: r.kind.to_owned(),
                time: x.time(r.time),
                rule: r.rule.as_str().to_owned(),
                detail: r.detail.to_owned(),
            }
        })
        .collect();

    let unavailable = results
        .availability
        .iter()
        .filter(|r| r.account == a && r.status == Status::Unavailable)
        .map(|r| {
            let v = x.view.availability(r);
            let (cause, rule) = v.cause.unwrap_or(("", RuleId::B4));
            Unavailable {
                from: x.time(v.from),
                to: x.time(v.to),
                cause_account_id: cause.to_owned(),
                rule: rule.as_str().to_owned(),
            }
        })
        .collect();

    let summary = results
        .summary
        .iter()
        .find(|r| r.account == a)
        .map(|r| {
            let v = x.view.summary(r);
            Summary {
                list_amount: x.amount(v.list_amount),
                discount_amount: x.amount(v.discount_amount),
                coupon_amount: x.amount(v.coupon_amount),
                paid_amount: x.amount(v.paid_amount),
                outstanding_amount: x.amount(v.outstanding_amount),
                paid_as_payer: x.amount(v.paid_as_payer),
                outstanding_as_payer: x.amount(v.outstanding_as_payer),
                balance_end: x.amount(v.balance_end),
            }
        })
        .unwrap_or_default();

    AccountStory {
        account_id: x.name(a),
        relationships: own,
        linked_accounts: linked_accounts.into_iter().map(|(_, r)| r).collect(),
        rejected_requests,
        payers: payer_runs(x, a),
        unavailable,
        summary,
    }
}

/// The transitions of linked account `l`, each with its event row.
fn relationships(x: &Explainer<'_>, l: AccountId, history: &[Transition]) -> Vec<Relationship> {
    let mut previous: Option<AccountId> = None;
    let mut out = Vec::new();
    for tr in history {
        if let Some(e) = x.event(tr.event as usize) {
            out.push(Relationship {
                account_id: x.name(l),
                seq: e.seq,
                kind: e.kind.to_owned(),
                time: x.time(e.time),
                outcome: e.outcome.as_str().to_owned(),
                effective_at: e.effective_at.map(|t| x.time(t)),
                rule: e.rule.as_str().to_owned(),
                main_id: tr.main.map(|m| x.name(m)),
                previous_main_id: previous.map(|m| x.name(m)),
            });
        }
        previous = tr.main;
    }
    out
}

/// The account's bills in bill order, cut into runs of one payer and rule.
fn payer_runs(x: &Explainer<'_>, a: AccountId) -> Vec<PayerRun> {
    struct Open {
        payer: AccountId,
        rule: RuleId,
        bills: usize,
        from: String,
        to: String,
        first: String,
        last: String,
        list: Money,
        payable: Money,
        paid: Money,
        outstanding: Money,
    }
    let close = |o: Open| PayerRun {
        payer_id: x.name(o.payer),
        rule: o.rule.as_str().to_owned(),
        bills: o.bills,
        from: o.from,
        to: o.to,
        first_bill_id: o.first,
        last_bill_id: o.last,
        list_amount: x.amount(o.list),
        payable_amount: x.amount(o.payable),
        paid_amount: x.amount(o.paid),
        outstanding_amount: x.amount(o.outstanding),
    };
    let mut runs = Vec::new();
    let mut open: Option<Open> = None;
    for row in x.results().bills.in_order().filter(|b| b.bill.account == a) {
        let r = x.view.bill(row);
        let id = x.cell(crate::report::schema::Cell::BillId(
            r.bill_id.resource,
            r.bill_id.at,
        ));
        match &mut open {
            Some(o) if o.payer == row.payer && o.rule == row.rule => {
                o.bills += 1;
                o.to = x.time(r.cycle_end);
                o.last = id;
                o.list += r.list_amount;
                o.payable += r.payable_amount;
                o.paid += r.paid_amount;
                o.outstanding += r.outstanding_amount;
            }
            _ => {
                if let Some(done) = open.take() {
                    runs.push(close(done));
                }
                open = Some(Open {
                    payer: row.payer,
                    rule: row.rule,
                    bills: 1,
                    from: x.time(r.cycle_start),
                    to: x.time(r.cycle_end),
                    first: id.clone(),
                    last: id,
                    list: r.list_amount,
                    payable: r.payable_amount,
                    paid: r.paid_amount,
                    outstanding: r.outstanding_amount,
                });
            }
        }
    }
    runs.extend(open.map(close));
    runs
}
