//! Events (SPEC §5.1, §5.9, §5.10): trusteeship requests validated in the SPEC's check
//! order, real-name changes, Cost Analysis, top-ups and downgrades.
//!
//! Handlers decide; [`Run`] records (it keeps the balances, bills and histories
//! consistent). The checks of `establish`, `modify` and `remove` are one list,
//! [`check_request`], in SPEC §5.10's order, each check written once.

use super::outcome::{Entry, Outcome, ProcKey};
use super::state::Run;
use super::trusteeship::{Change, Transition};
use crate::calendar::Instant;
use crate::ids::{AccountId, ResourceId};
use crate::money::Money;
use crate::rules::RuleId;
use crate::scenario::{BillingMethod, EventKind, T5Scope, Unsettled};
use std::collections::BTreeSet;

/// A failed check: the rule that decided it and a sentence for people.
type Rejection = (RuleId, String);

/// What the checks of a request found when none failed.
struct Checked {
    /// The linked account's active main when the request was made (modify, remove).
    current: Option<AccountId>,
    /// Unsettled bills hold the request back: it is deferred (T5.1).
    defer: bool,
}

/// Processes event `index` of the scenario.
pub(super) fn event(run: &mut Run<'_>, index: usize) {
    let s = run.scenario();
    let ev = &s.events[index];
    let t = run.event_time(index);
    run.advance_to(t);
    match *run.kind(index) {
        EventKind::Establish { linked, main } => {
            let checked = check_request(run, t, Change::Establish, linked, Some(main));
            request(run, index, t, linked, main, Change::Establish, checked);
        }
        EventKind::Modify { linked, main } => {
            let checked = check_request(run, t, Change::Modify, linked, Some(main));
            request(run, index, t, linked, main, Change::Modify, checked);
        }
        EventKind::Remove { linked } => {
            let checked = check_request(run, t, Change::Remove, linked, None);
            remove(run, index, t, linked, checked);
        }
        EventKind::Topup { account, amount } => {
            let a = run.local(account);
            let mut sub = 0;
            let mut key = || {
                sub += 1;
                ProcKey::event(t, ev.seq, sub)
            };
            run.credit(t, a, amount, Entry::Topup, None, &mut key);
            run.event_row(
                index,
                Outcome::Applied,
                RuleId::B3,
                None,
                Some(amount),
                "credited, then unsettled bills settled oldest first".into(),
            );
        }
        EventKind::ChangeRealName {
            account,
            ref enterprise,
        } => {
            let a = run.local(account);
            // rule T7: real-name information cannot change during a trusteeship.
            if let Some(why) = in_trusteeship(run, t, account) {
                run.event_row(
                    index,
                    Outcome::Rejected,
                    RuleId::T7,
                    None,
                    None,
                    format!("real-name information cannot change during trusteeship: {why}"),
                );
            } else {
                let old = run.change_enterprise(a, enterprise);
                run.event_row(
                    index,
                    Outcome::Applied,
                    RuleId::T7,
                    None,
                    None,
                    format!("enterprise {old} -> {enterprise}"),
                );
            }
        }
        EventKind::CostAnalysis { account } => {
            let a = run.local(account);
            // rule L7: Cost Analysis is not available to an active linked account (a
            // pending one may still use it, docs/interpretations.md 12).
            match run.account(a).history().active_main(t) {
                Some(main) => {
                    let detail = format!(
                        "Cost Analysis is not available to a linked account (linked to {})",
                        s.account_name(main)
                    );
                    run.event_row(index, Outcome::Rejected, RuleId::L7, None, None, detail);
                }
                None => run.event_row(
                    index,
                    Outcome::Applied,
                    RuleId::L7,
                    None,
                    None,
                    "not an active linked account".into(),
                ),
            }
        }
        EventKind::Downgrade { resource } => downgrade(run, index, t, resource),
    }
}

/// Why `x` counts as in a trusteeship for T7: linked or pending as linked, or a main with
/// active or pending linked accounts.
fn in_trusteeship(run: &Run<'_>, t: Instant, x: AccountId) -> Option<String> {
    let a = run.local(x);
    let name = run.scenario().account_name(x);
    if run.account(a).history().is_linked_or_pending(t) {
        return Some(format!("{name} is a linked account (active or pending)"));
    }
    if run.linked_count(a) > 0 {
        return Some(format!("{name} has linked accounts (active or pending)"));
    }
    None
}

/// SPEC §5.10 for `establish L → M`, `modify L → M` and `remove L`: the checks in the
/// SPEC's order, the first failing one decides. Each check is written once; the table's
/// rows differ only in which checks apply and, for E2, what "already linked" means.
fn check_request(
    run: &Run<'_>,
    t: Instant,
    change: Change,
    linked: AccountId,
    main: Option<AccountId>,
) -> Result<Checked, Rejection> {
    let s = run.scenario();
    let name = |a| s.account_name(a);
    let history = run.account(run.local(linked)).history();
    // rule E1: an account cannot be its own main.
    if main == Some(linked) {
        return Err((RuleId::E1, "an account cannot be its own main".into()));
    }
    // rule E5: no request while one is pending (which keeps a history's active times in
    // order, `History::push`).
    if let Some(p) = history.pending(t) {
        return Err((RuleId::E5, pending_detail(run, linked, p)));
    }
    let current = history.active_main(t);
    match (change, current) {
        // rule E2: for establish, L is already linked (a pending request was E5 above,
        // docs/interpretations.md 10).
        (Change::Establish, Some(current)) => {
            return Err((
                RuleId::E2,
                format!("{} is already linked to {}", name(linked), name(current)),
            ));
        }
        (Change::Establish, None) => {}
        // rule E4: modify and remove need an active relationship.
        (Change::Modify | Change::Remove, None) => {
            let what = if change == Change::Modify {
                "modify"
            } else {
                "remove"
            };
            return Err((
                RuleId::E4,
                format!("{} has no active trusteeship to {what}", name(linked)),
            ));
        }
        // rule E2: for modify, M2 is already L's main.
        (Change::Modify, Some(current)) if main == Some(current) => {
            return Err((
                RuleId::E2,
                format!("{} is already linked to {}", name(linked), name(current)),
            ));
        }
        (Change::Modify | Change::Remove, Some(_)) => {}
    }
    let Some(main) = main else {
        // A remove has no main: E5 and E4 are all its checks.
        return Ok(Checked {
            current,
            defer: false,
        });
    };
    let m = run.local(main);
    // rule E3: no nesting — the (new) main is itself linked or pending, or, for establish,
    // L has active or pending linked accounts of its own.
    if run.account(m).history().is_linked_or_pending(t) {
        return Err((
            RuleId::E3,
            format!(
                "{} is itself a linked account (active or pending): no nesting",
                name(main)
            ),
        ));
    }
    if change == Change::Establish && run.linked_count(run.local(linked)) > 0 {
        return Err((
            RuleId::E3,
            format!(
                "{} has linked accounts of its own: no nesting",
                name(linked)
            ),
        ));
    }
    // rule T7: main and linked must belong to the same enterprise (as it is now, after any
    // applied change_real_name).
    let l = run.account(run.local(linked));
    if l.enterprise() != run.account(m).enterprise() {
        return Err((
            RuleId::T7,
            format!(
                "different enterprises: {} is in {}, {} in {}",
                name(linked),
                l.enterprise(),
                name(main),
                run.account(m).enterprise()
            ),
        ));
    }
    // rule T8: at most max_linked active-or-pending linked accounts per main
    // (docs/interpretations.md 11).
    let count = run.linked_count(m);
    if count + 1 > s.settings.max_linked as usize {
        return Err((
            RuleId::T8,
            format!(
                "{} already has {count} active or pending linked {} (max_linked {})",
                name(main),
                if count == 1 { "account" } else { "accounts" },
                s.settings.max_linked
            ),
        ));
    }
    // rule T5: no unpaid bills on the linked account and, for modify, the current main
    // (docs/interpretations.md 19, 24); rejected only under `unsettled = "reject"`.
    let unsettled = holds_back(run, linked, current);
    if unsettled && s.settings.policy.unsettled == Unsettled::Reject {
        return Err((
            RuleId::T5,
            "unsettled bills and policy unsettled = \"reject\"".into(),
        ));
    }
    Ok(Checked {
        current,
        defer: unsettled,
    })
}

/// Whether unsettled bills hold back a request of `linked` (T5, SPEC §5.1), whose current
/// main (modify) is `old_main`. Every bill issued so far has been processed, so the payers'
/// unsettled lists hold exactly the bills "issued at or before t and not fully paid".
fn holds_back(run: &Run<'_>, linked: AccountId, old_main: Option<AccountId>) -> bool {
    let unsettled = |a: AccountId| run.account(run.local(a)).unsettled();
    match run.scenario().settings.policy.t5_scope {
        // Everything the linked account and the current main owe, siblings' bills included.
        T5Scope::Payer => {
            !unsettled(linked).is_empty() || old_main.is_some_and(|o| !unsettled(o).is_empty())
        }
        // What the linked account incurred, whoever pays it: only it and the mains it has
        // had can be a payer of its bills.
        T5Scope::Account => {
            let history = run.account(run.local(linked)).history();
            let payers: BTreeSet<AccountId> = std::iter::once(linked)
                .chain(history.transitions().iter().filter_map(|tr| tr.main))
                .collect();
            payers.into_iter().any(|p| {
                unsettled(p)
                    .iter()
                    .any(|&i| run.bill(i).bill.account == linked)
            })
        }
    }
}

fn pending_detail(run: &Run<'_>, linked: AccountId, p: &Transition) -> String {
    let s = run.scenario();
    format!(
        "{} has a pending request, active at {}",
        s.account_name(linked),
        s.settings.calendar.format_time(p.active)
    )
}

/// Applies, defers or rejects an establish or modify (SPEC §5.1).
fn request(
    run: &mut Run<'_>,
    index: usize,
    t: Instant,
    linked: AccountId,
    main: AccountId,
    change: Change,
    checked: Result<Checked, Rejection>,
) {
    let s = run.scenario();
    let defer = match checked {
        Err((rule, detail)) => {
            run.event_row(index, Outcome::Rejected, rule, None, None, detail);
            return;
        }
        Ok(c) => c.defer,
    };
    // rule T5.1: unsettled bills defer the request to the start of the next billing
    // period (month); rule T5.2: otherwise it is active at once, and T3 decides the first
    // cycle the main pays.
    let active = if defer {
        s.settings.calendar.next_month_start(t)
    } else {
        t
    };
    let l = run.local(linked);
    run.add_transition(
        l,
        t,
        Transition {
            request: t,
            active,
            change,
            main: Some(main),
            event: index as u32,
        },
    );
    let main_name = s.account_name(main);
    // What does not change hands is as much part of the decision as what does.
    let kept = format!(
        "{} keeps its own balance (L6) and its coupons are not shared with other linked accounts (T4)",
        s.account_name(linked)
    );
    if defer {
        let detail =
            format!("unsettled bills: {main_name} takes over from the next billing period; {kept}");
        run.event_row(
            index,
            Outcome::Deferred,
            RuleId::T5_1,
            Some(active),
            None,
            detail,
        );
    } else {
        let detail = format!("no unsettled bills: {main_name} pays from the next cycle; {kept}");
        run.event_row(
            index,
            Outcome::Applied,
            RuleId::T5_2,
            Some(active),
            None,
            detail,
        );
    }
}

/// `remove L`: applied at once; the main pays through the cycle containing it (T3).
fn remove(
    run: &mut Run<'_>,
    index: usize,
    t: Instant,
    linked: AccountId,
    checked: Result<Checked, Rejection>,
) {
    let main = match checked {
        Err((rule, detail)) => {
            run.event_row(index, Outcome::Rejected, rule, None, None, detail);
            return;
        }
        Ok(c) => c.current.expect("E4 passed: an active main"),
    };
    let l = run.local(linked);
    run.add_transition(
        l,
        t,
        Transition {
            request: t,
            active: t,
            change: Change::Remove,
            main: None,
            event: index as u32,
        },
    );
    // rule T3: the main still pays the cycle containing the remove (`History::main_for_cycle`).
    let detail = format!(
        "{} pays through the current cycle",
        run.scenario().account_name(main)
    );
    run.event_row(index, Outcome::Applied, RuleId::T3, Some(t), None, detail);
}

/// `downgrade r` (SPEC §5.9): nothing back for a transferred resource (T6), else the unused
/// share of its latest order, once (B8).
fn downgrade(run: &mut Run<'_>, index: usize, t: Instant, resource: ResourceId) {
    let s = run.scenario();
    let res = &s.resources[resource.index()];
    let a = run.local(res.account);
    // rule T6: a resource that was ever transferred to a main has no monetary value, whoever
    // paid its latest order (docs/interpretations.md 26).
    if run.account(a).history().ever_transferred(t) {
        let detail = "transferred resources have no monetary value".to_string();
        run.event_row(
            index,
            Outcome::Applied,
            RuleId::T6,
            None,
            Some(Money::ZERO),
            detail,
        );
        return;
    }
    let (refund, detail, bill) = b8_refund(run, t, resource);
    if let Some(i) = bill {
        if refund.is_positive() {
            let payer = run.local(run.bill(i).payer);
            let seq = s.events[index].seq;
            let mut sub = 0;
            let mut key = || {
                sub += 1;
                ProcKey::event(t, seq, sub)
            };
            let bill_ref = run.bill(i).into();
            run.credit(t, payer, refund, Entry::Refund, Some(bill_ref), &mut key);
        }
    }
    run.event_row(
        index,
        Outcome::Applied,
        RuleId::B8,
        None,
        Some(refund),
        detail,
    );
}

/// The B8 refund of a downgrade at `t`, with a reason and the refunded bill.
fn b8_refund(
    run: &mut Run<'_>,
    t: Instant,
    resource: ResourceId,
) -> (Money, String, Option<usize>) {
    let s = run.scenario();
    let res = &s.resources[resource.index()];
    if res.billing == BillingMethod::PayAsYouGo {
        return (
            Money::ZERO,
            "pay-as-you-go resources refund nothing".into(),
            None,
        );
    }
    let Some(i) = run.last_order(resource) else {
        return (
            Money::ZERO,
            "no subscription order before the downgrade".into(),
            None,
        );
    };
    // rule B8: the unused share of the latest order, once; a refund of 0 counts as the one
    // (docs/interpretations.md 16).
    if !run.mark_refunded(i) {
        return (
            Money::ZERO,
            "its latest order was refunded before".into(),
            None,
        );
    }
    let Some(expires) = res.expires_at else {
        return (Money::ZERO, "no expires_at".into(), Some(i));
    };
    if t >= expires {
        return (Money::ZERO, "already expired".into(), Some(i));
    }
    let (paid, issued) = (run.paid(i), run.bill(i).bill.issued_at);
    let (unused, term) = (expires.0 - t.0, expires.0 - issued.0);
    // Exact, rounded once (docs/interpretations.md 17). The order was issued at or before
    // `t`, and `t < expires`, so 0 < unused <= term.
    let refund = s
        .settings
        .money
        .prorate(paid, unused, term)
        .expect("0 < unused <= term");
    let detail = format!("unused {unused} s of {term} s of the latest order");
    (refund, detail, Some(i))
}
