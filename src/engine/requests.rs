//! Events (SPEC §5.1, §5.9, §5.10): trusteeship requests validated in the SPEC's check
//! order, real-name changes, Cost Analysis, top-ups and downgrades.

use super::component::Run;
use super::outcome::{Entry, Outcome, ProcKey};
use super::trusteeship::{Change, History, Transition};
use crate::calendar::Instant;
use crate::ids::AccountId;
use crate::money::Money;
use crate::rules::RuleId;
use crate::scenario::{BillingMethod, EventKind, T5Scope, Unsettled};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// A failed check: the rule that decided it and a sentence for people.
type Rejection = (RuleId, String);

/// How many accounts count each account of a component as their active or pending main
/// (E3, T7, T8), kept up to date as requests are made and deferred ones become active.
/// Counting afresh would scan every account of the component per request: quadratic in
/// the linked accounts of one main.
#[derive(Debug)]
pub(super) struct LinkedCounts {
    /// By local account: the accounts counting it as their active or pending main.
    counts: Vec<u32>,
    /// By local account: the mains (local) it counts against now — its active main and
    /// the main of its pending request (SPEC §5.10, `History::counts_for`).
    counted: Vec<[Option<usize>; 2]>,
    /// Deferred requests not yet active: (active time, local linked account). E5 allows no
    /// other request of the account while one is pending, so no entry goes stale.
    pending: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl LinkedCounts {
    pub fn new(accounts: usize) -> LinkedCounts {
        LinkedCounts {
            counts: vec![0; accounts],
            counted: vec![[None; 2]; accounts],
            pending: BinaryHeap::new(),
        }
    }

    /// Active-or-pending linked accounts of the local account `main`.
    pub fn count(&self, main: usize) -> usize {
        self.counts[main] as usize
    }

    /// The next account whose pending request is active at `t`, taken off the queue: call
    /// [`Self::refresh`] for it.
    pub fn due(&mut self, t: Instant) -> Option<usize> {
        let &Reverse((at, l)) = self.pending.peek()?;
        (at <= t).then(|| {
            self.pending.pop();
            l
        })
    }

    /// Recounts the local account `l` from its `history` at `t` (after a transition, or
    /// once its pending one is active); `local` maps a main to its local index.
    pub fn refresh(
        &mut self,
        l: usize,
        t: Instant,
        history: &History,
        local: impl Fn(AccountId) -> usize,
    ) {
        let active = history.active_main(t);
        let pending = history.pending(t);
        let other = pending.and_then(|p| p.main).filter(|&m| Some(m) != active);
        let now = [active.map(&local), other.map(&local)];
        for m in self.counted[l].into_iter().flatten() {
            self.counts[m] -= 1;
        }
        for m in now.into_iter().flatten() {
            self.counts[m] += 1;
        }
        self.counted[l] = now;
        if let Some(p) = pending {
            self.pending.push(Reverse((p.active, l)));
        }
    }
}

/// Brings the linked counts to `t`: deferred requests active by then no longer count
/// against the old main.
fn advance(run: &mut Run<'_>, t: Instant) {
    while let Some(l) = run.linked.due(t) {
        refresh(run, l, t);
    }
}

/// Recounts local account `l` after its history changed at `t`.
fn refresh(run: &mut Run<'_>, l: usize, t: Instant) {
    let comp = run.comp;
    let local = |m: AccountId| {
        comp.accounts
            .binary_search(&m)
            .expect("a main belongs to its linked account's component")
    };
    run.linked.refresh(l, t, &run.accounts[l].history, local);
}

/// Processes event `index` of the scenario.
pub(super) fn event(run: &mut Run<'_>, index: usize) {
    let ev = &run.s.events[index];
    let t = ev.time;
    advance(run, t);
    match *run.kind(index) {
        EventKind::Establish { linked, main } => {
            let checked = check_establish(run, t, linked, main);
            request(run, index, t, linked, main, Change::Establish, checked);
        }
        EventKind::Modify { linked, main } => {
            let checked = check_modify(run, t, linked, main);
            request(run, index, t, linked, main, Change::Modify, checked);
        }
        EventKind::Remove { linked } => remove(run, index, t, linked),
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
                let old = std::mem::replace(&mut run.accounts[a].enterprise, enterprise.clone());
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
            match run.accounts[a].history.active_main(t) {
                Some(main) => {
                    let detail = format!(
                        "Cost Analysis is not available to a linked account (linked to {})",
                        run.s.account_name(main)
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
    if run.accounts[a].history.is_linked_or_pending(t) {
        return Some(format!(
            "{} is a linked account (active or pending)",
            run.s.account_name(x)
        ));
    }
    if linked_count(run, x) > 0 {
        return Some(format!(
            "{} has linked accounts (active or pending)",
            run.s.account_name(x)
        ));
    }
    None
}

/// Accounts whose active or pending main is `main` (T8, E3) at the current instant.
fn linked_count(run: &Run<'_>, main: AccountId) -> usize {
    run.linked.count(run.local(main))
}

/// E3, T7, T8, T5 in SPEC order, shared by establish and modify from the point where their
/// check lists agree. `old_main` is the current main (modify) for T5.
fn check_common_tail(
    run: &Run<'_>,
    linked: AccountId,
    main: AccountId,
    old_main: Option<AccountId>,
) -> Result<bool, Rejection> {
    let name = |a| run.s.account_name(a);
    let (l, m) = (run.local(linked), run.local(main));
    if run.accounts[l].enterprise != run.accounts[m].enterprise {
        return Err((
            RuleId::T7,
            format!(
                "different enterprises: {} is in {}, {} in {}",
                name(linked),
                run.accounts[l].enterprise,
                name(main),
                run.accounts[m].enterprise
            ),
        ));
    }
    let count = linked_count(run, main);
    if count + 1 > run.s.settings.max_linked as usize {
        return Err((
            RuleId::T8,
            format!(
                "{} already has {count} active or pending linked {} (max_linked {})",
                name(main),
                if count == 1 { "account" } else { "accounts" },
                run.s.settings.max_linked
            ),
        ));
    }
    let unsettled = holds_back(run, linked, old_main);
    if unsettled && run.s.settings.policy.unsettled == Unsettled::Reject {
        return Err((
            RuleId::T5,
            "unsettled bills and policy unsettled = \"reject\"".into(),
        ));
    }
    Ok(unsettled)
}

/// Whether unsettled bills hold back a request of `linked` (T5, SPEC §5.1). Every bill
/// issued so far has been processed, so the payers' unsettled lists hold exactly the bills
/// "issued at or before t and not fully paid".
fn holds_back(run: &Run<'_>, linked: AccountId, old_main: Option<AccountId>) -> bool {
    let unsettled = |a: AccountId| &run.accounts[run.local(a)].unsettled;
    match run.s.settings.policy.t5_scope {
        // Everything the linked account and the current main owe, siblings' bills included.
        T5Scope::Payer => {
            !unsettled(linked).is_empty() || old_main.is_some_and(|o| !unsettled(o).is_empty())
        }
        // What the linked account incurred, whoever pays it: only it and the mains it has
        // had can be a payer of its bills.
        T5Scope::Account => {
            let history = &run.accounts[run.local(linked)].history;
            let payers: BTreeSet<AccountId> = std::iter::once(linked)
                .chain(history.transitions.iter().filter_map(|tr| tr.main))
                .collect();
            payers.into_iter().any(|p| {
                unsettled(p)
                    .iter()
                    .any(|&i| run.bills[i].bill.account == linked)
            })
        }
    }
}

/// SPEC §5.10 for `establish L → M`. Ok(true) when unsettled bills force a deferral.
fn check_establish(
    run: &Run<'_>,
    t: Instant,
    linked: AccountId,
    main: AccountId,
) -> Result<bool, Rejection> {
    let name = |a| run.s.account_name(a);
    let l = &run.accounts[run.local(linked)].history;
    if linked == main {
        return Err((RuleId::E1, "an account cannot be its own main".into()));
    }
    if let Some(p) = l.pending(t) {
        return Err((RuleId::E5, pending_detail(run, linked, p)));
    }
    if let Some(current) = l.active_main(t) {
        return Err((
            RuleId::E2,
            format!("{} is already linked to {}", name(linked), name(current)),
        ));
    }
    if run.accounts[run.local(main)]
        .history
        .is_linked_or_pending(t)
    {
        return Err((
            RuleId::E3,
            format!(
                "{} is itself a linked account (active or pending): no nesting",
                name(main)
            ),
        ));
    }
    if linked_count(run, linked) > 0 {
        return Err((
            RuleId::E3,
            format!(
                "{} has linked accounts of its own: no nesting",
                name(linked)
            ),
        ));
    }
    check_common_tail(run, linked, main, None)
}

/// SPEC §5.10 for `modify L → M2`.
fn check_modify(
    run: &Run<'_>,
    t: Instant,
    linked: AccountId,
    main: AccountId,
) -> Result<bool, Rejection> {
    let name = |a| run.s.account_name(a);
    let l = &run.accounts[run.local(linked)].history;
    if linked == main {
        return Err((RuleId::E1, "an account cannot be its own main".into()));
    }
    if let Some(p) = l.pending(t) {
        return Err((RuleId::E5, pending_detail(run, linked, p)));
    }
    let Some(current) = l.active_main(t) else {
        return Err((
            RuleId::E4,
            format!("{} has no active trusteeship to modify", name(linked)),
        ));
    };
    if current == main {
        return Err((
            RuleId::E2,
            format!("{} is already linked to {}", name(linked), name(main)),
        ));
    }
    if run.accounts[run.local(main)]
        .history
        .is_linked_or_pending(t)
    {
        return Err((
            RuleId::E3,
            format!(
                "{} is itself a linked account (active or pending): no nesting",
                name(main)
            ),
        ));
    }
    check_common_tail(run, linked, main, Some(current))
}

fn pending_detail(run: &Run<'_>, linked: AccountId, p: &Transition) -> String {
    format!(
        "{} has a pending request, active at {}",
        run.s.account_name(linked),
        run.s.settings.calendar.format_time(p.active)
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
    checked: Result<bool, Rejection>,
) {
    let (defer, l) = match checked {
        Err((rule, detail)) => {
            run.event_row(index, Outcome::Rejected, rule, None, None, detail);
            return;
        }
        Ok(defer) => (defer, run.local(linked)),
    };
    let active = if defer {
        run.s.settings.calendar.next_month_start(t)
    } else {
        t
    };
    run.accounts[l].history.transitions.push(Transition {
        request: t,
        active,
        change,
        main: Some(main),
    });
    refresh(run, l, t);
    let main_name = run.s.account_name(main);
    // What does not change hands is as much part of the decision as what does.
    let kept = format!(
        "{} keeps its own balance (L6) and its coupons are not shared with other linked accounts (T4)",
        run.s.account_name(linked)
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
fn remove(run: &mut Run<'_>, index: usize, t: Instant, linked: AccountId) {
    let l = run.local(linked);
    let history = &run.accounts[l].history;
    if let Some(p) = history.pending(t) {
        let detail = pending_detail(run, linked, p);
        run.event_row(index, Outcome::Rejected, RuleId::E5, None, None, detail);
        return;
    }
    let Some(main) = history.active_main(t) else {
        let detail = format!(
            "{} has no active trusteeship to remove",
            run.s.account_name(linked)
        );
        run.event_row(index, Outcome::Rejected, RuleId::E4, None, None, detail);
        return;
    };
    run.accounts[l].history.transitions.push(Transition {
        request: t,
        active: t,
        change: Change::Remove,
        main: None,
    });
    refresh(run, l, t);
    let detail = format!(
        "{} pays through the current cycle",
        run.s.account_name(main)
    );
    run.event_row(index, Outcome::Applied, RuleId::T3, Some(t), None, detail);
}

/// `downgrade r` (SPEC §5.9): nothing back for a transferred resource (T6), else the unused
/// share of its latest order, once (B8).
fn downgrade(run: &mut Run<'_>, index: usize, t: Instant, resource: crate::ids::ResourceId) {
    let res = &run.s.resources[resource.index()];
    let a = run.local(res.account);
    if run.accounts[a].history.ever_transferred(t) {
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
            let payer = run.local(run.bills[i].payer);
            let seq = run.s.events[index].seq;
            let mut sub = 0;
            let mut key = || {
                sub += 1;
                ProcKey::event(t, seq, sub)
            };
            let bill_ref = (&run.bills[i]).into();
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
    resource: crate::ids::ResourceId,
) -> (Money, String, Option<usize>) {
    let res = &run.s.resources[resource.index()];
    if res.billing == BillingMethod::PayAsYouGo {
        return (
            Money::ZERO,
            "pay-as-you-go resources refund nothing".into(),
            None,
        );
    }
    let Some(&i) = run.last_order.get(&resource) else {
        return (
            Money::ZERO,
            "no subscription order before the downgrade".into(),
            None,
        );
    };
    let paid = run.paid(i);
    let st = &mut run.bills[i];
    if st.refunded {
        return (
            Money::ZERO,
            "its latest order was refunded before".into(),
            None,
        );
    }
    st.refunded = true;
    let Some(expires) = res.expires_at else {
        return (Money::ZERO, "no expires_at".into(), Some(i));
    };
    if t >= expires {
        return (Money::ZERO, "already expired".into(), Some(i));
    }
    let issued = st.bill.issued_at;
    let (unused, term) = (expires.0 - t.0, expires.0 - issued.0);
    // Exact, rounded once. The order was issued at or before `t`, and `t < expires`, so
    // 0 < unused <= term.
    let refund = run
        .s
        .settings
        .money
        .prorate(paid, unused, term)
        .expect("0 < unused <= term");
    let detail = format!("unused {unused} s of {term} s of the latest order");
    (refund, detail, Some(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The incremental counts equal a fresh count of `History::counts_for` over every account,
    /// after any sequence of applied, deferred and removing transitions that E5 allows.
    #[test]
    fn linked_counts_match_a_fresh_count() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        for _ in 0..200 {
            let n = rng.gen_range(2..7usize);
            let mut histories = vec![History::default(); n];
            let mut counts = LinkedCounts::new(n);
            let mut t = 0i64;
            for _ in 0..40 {
                t += rng.gen_range(0..4);
                let now = Instant(t);
                while let Some(l) = counts.due(now) {
                    counts.refresh(l, now, &histories[l], |m| m.index());
                }
                let l = rng.gen_range(0..n);
                if histories[l].pending(now).is_none() {
                    let main = rng.gen_range(0..n);
                    let (change, main) = match rng.gen_range(0..3) {
                        0 => (Change::Remove, None),
                        1 => (Change::Modify, Some(AccountId(main as u32))),
                        _ => (Change::Establish, Some(AccountId(main as u32))),
                    };
                    let active = Instant(t + [0, 0, 1, 3][rng.gen_range(0..4)]);
                    histories[l].transitions.push(Transition {
                        request: now,
                        active,
                        change,
                        main,
                    });
                    counts.refresh(l, now, &histories[l], |m| m.index());
                }
                for m in 0..n {
                    let fresh = histories
                        .iter()
                        .filter(|h| h.counts_for(now, AccountId(m as u32)))
                        .count();
                    assert_eq!(counts.count(m), fresh, "main {m} at {t}: {histories:?}");
                }
            }
        }
    }
}
