//! Trusteeship relationships of one linked account over time (SPEC §5.1, §5.2).
//!
//! A linked account's history is the list of its establish/modify/remove transitions in
//! request order. E5 (no request while one is pending) guarantees each request is made at or
//! after the previous one's active time, so active times never decrease and every question
//! below is answered by a scan from the end.

use crate::bill::BillRow;
use crate::calendar::Instant;
use crate::ids::AccountId;
use crate::rules::RuleId;
use crate::scenario::SubscriptionPayer;
// The record of a transition is a report-level type (`Results` keeps every history for
// `explain`); its meaning and its rules live here.
pub use super::outcome::{Change, Transition};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A bill's reference instant `x` (SPEC §5.2): the one instant its payer, its rule and its
/// discount are decided at. The start of its cycle — so the cycle containing a request stays
/// with the old payer (T3) — except a subscription order under `subscription_payer =
/// "order"`, which is decided at its own time (T5.2's "bills generated after").
pub fn reference_instant(row: &BillRow, policy: SubscriptionPayer) -> Instant {
    match policy {
        SubscriptionPayer::Order if row.subscription => row.bill.issued_at,
        _ => row.bill.cycle_start,
    }
}

/// The request a bill's rule rests on (R of SPEC §5.2): the last establish, modify or
/// remove of the incurring account made strictly before the bill's `issued_at`, or none.
/// It is also the transition that put the payer in place whenever it applies to the
/// bill's cycle: [`History::main_for_cycle`] finds the last one requested before `x <=
/// issued_at` and active by then, which is R itself when R applies. `transitions` is a
/// history's list, in request order — during the run or, complete, after it: later
/// requests are never before an issued bill's `issued_at`.
pub fn deciding(transitions: &[Transition], issued_at: Instant) -> Option<&Transition> {
    transitions.iter().rev().find(|tr| tr.request < issued_at)
}

/// A linked account's transitions, in request order. Only [`History::push`] adds to it.
#[derive(Clone, Debug, Default)]
pub struct History {
    transitions: Vec<Transition>,
}

impl History {
    /// Appends a transition. The questions below scan from the end, which is right only
    /// because active times never decrease: E5 rejects a request while another is pending,
    /// so each request is made at or after the previous one's active time.
    pub fn push(&mut self, tr: Transition) {
        debug_assert!(tr.active >= tr.request, "active at or after its request");
        debug_assert!(
            self.transitions
                .last()
                .is_none_or(|last| tr.request >= last.active),
            "E5: no request while another is pending, so active times never decrease"
        );
        self.transitions.push(tr);
    }

    /// The transitions, in request (and so active) order.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The main whose relationship is active at `t` (state after everything processed so
    /// far): the last transition active at or before `t`.
    pub fn active_main(&self, t: Instant) -> Option<AccountId> {
        // A deferred relationship is active from the very start of its active instant,
        // before the bills issued then (docs/interpretations.md 9).
        self.transitions
            .iter()
            .rev()
            .find(|tr| tr.active <= t)
            .and_then(|tr| tr.main)
    }

    /// A request made but not yet active at `t` (E5).
    pub fn pending(&self, t: Instant) -> Option<&Transition> {
        self.transitions.last().filter(|tr| tr.active > t)
    }

    /// The payer of a bill whose reference instant is `x` ([`reference_instant`]; SPEC
    /// §5.2): the state after applying every transition requested strictly before `x` and
    /// active at or before `x`; `None` means the account pays itself.
    pub fn main_for_cycle(&self, x: Instant) -> Option<AccountId> {
        // rule T3: a request changes the payer only for cycles that start strictly after
        // it (`request < x`); rule T5.1: a deferred one not before its active time; rule L1:
        // the main pays every cycle its relationship is in effect.
        self.transitions
            .iter()
            .rev()
            .find(|tr| tr.request < x && tr.active <= x)
            .and_then(|tr| tr.main)
    }

    /// The rule that decided a bill's payer (SPEC §5.2), for reference instant `x`, given the
    /// payer is a main or not. An order decided at its own time (`x = issued_at`) is never
    /// T3: every request before it was made before `x`.
    pub fn bill_rule(&self, x: Instant, issued_at: Instant, payer_is_main: bool) -> RuleId {
        if let Some(r) = deciding(&self.transitions, issued_at) {
            // rule T3: the cycle containing the request stays with the old payer.
            // rule T5.1: a deferred request leaves it with the old payer until it is active.
            let applies = r.request < x && r.active <= x;
            if !applies {
                return if r.request >= x {
                    RuleId::T3
                } else {
                    RuleId::T5_1
                };
            }
        }
        // rule L1: the main pays while the trusteeship is in effect; rule B1: else the
        // account pays its own bills.
        if payer_is_main {
            RuleId::L1
        } else {
            RuleId::B1
        }
    }

    /// Whether an establish or modify active at or before `t` was ever made (T6): such an
    /// account's resources were transferred and lose their monetary value.
    pub fn ever_transferred(&self, t: Instant) -> bool {
        // rule T6: transferred resources have no monetary value.
        self.transitions
            .iter()
            .any(|tr| tr.change != Change::Remove && tr.active <= t)
    }

    /// Mains this account counts against at `t` (T8, E3): the active main and the main of a
    /// pending request.
    pub fn counts_for(&self, t: Instant, main: AccountId) -> bool {
        // rule T8, E3: "active or pending" (docs/interpretations.md 11).
        self.active_main(t) == Some(main) || self.pending(t).is_some_and(|p| p.main == Some(main))
    }

    /// Linked (active) or about to be (pending) at `t`.
    pub fn is_linked_or_pending(&self, t: Instant) -> bool {
        self.active_main(t).is_some() || self.pending(t).is_some_and(|p| p.main.is_some())
    }
}

/// How many accounts count each account of a component as their active or pending main
/// (E3, T7, T8), kept up to date as requests are made and deferred ones become active.
/// Counting afresh would scan every account of the component per request: quadratic in
/// the linked accounts of one main.
#[derive(Debug)]
pub struct LinkedCounts {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    const M: AccountId = AccountId(9);

    fn tr(request: i64, active: i64, change: Change, main: Option<AccountId>) -> Transition {
        Transition {
            request: Instant(request),
            active: Instant(active),
            change,
            main,
            event: 0,
        }
    }

    #[test]
    fn request_inside_a_cycle_moves_the_payer_from_the_next_cycle() {
        let h = History {
            transitions: vec![tr(100, 100, Change::Establish, Some(M))],
        };
        // Cycle [90, 110) contains the request: old payer, T3.
        assert_eq!(h.main_for_cycle(Instant(90)), None);
        assert_eq!(h.bill_rule(Instant(90), Instant(110), false), RuleId::T3);
        // A request exactly on a cycle start stays with the old payer too.
        assert_eq!(h.main_for_cycle(Instant(100)), None);
        assert_eq!(h.bill_rule(Instant(100), Instant(120), false), RuleId::T3);
        // The next cycle is the main's.
        assert_eq!(h.main_for_cycle(Instant(110)), Some(M));
        assert_eq!(h.bill_rule(Instant(110), Instant(130), true), RuleId::L1);
    }

    /// `deciding` is R of SPEC §5.2, with the event that made it: the last request
    /// strictly before the issue, which is also the one `main_for_cycle` applies when it
    /// applies at all.
    #[test]
    fn the_deciding_request_is_the_last_made_before_the_bill_was_issued() {
        let mut h = History::default();
        let mut push = |request, active, change, main, event| {
            h.push(Transition {
                request: Instant(request),
                active: Instant(active),
                change,
                main,
                event,
            })
        };
        push(100, 100, Change::Establish, Some(M), 4);
        push(500, 500, Change::Remove, None, 7);
        let event = |issued_at| deciding(h.transitions(), Instant(issued_at)).map(|t| t.event);
        // A request at the issue instant comes after the bill (bills before events).
        assert_eq!(event(100), None);
        assert_eq!(event(101), Some(4));
        assert_eq!(event(500), Some(4));
        assert_eq!(event(501), Some(7));
        // Cycle [110, 130): R (event 4) applies and is the transition making M the payer.
        assert_eq!(h.main_for_cycle(Instant(110)), Some(M));
        assert_eq!(h.bill_rule(Instant(110), Instant(130), true), RuleId::L1);
    }

    #[test]
    fn deferred_request_keeps_the_old_payer_until_its_active_time() {
        let h = History {
            transitions: vec![tr(100, 1000, Change::Establish, Some(M))],
        };
        assert_eq!(h.main_for_cycle(Instant(500)), None);
        assert_eq!(h.bill_rule(Instant(500), Instant(600), false), RuleId::T5_1);
        assert_eq!(h.main_for_cycle(Instant(1000)), Some(M));
        assert!(h.pending(Instant(999)).is_some());
        assert!(h.pending(Instant(1000)).is_none());
        assert!(!h.ever_transferred(Instant(999)));
        assert!(h.ever_transferred(Instant(1000)));
    }

    fn order(cycle_start: i64, issued_at: i64) -> BillRow {
        let bill = crate::bill::Bill {
            resource: crate::ids::ResourceId(0),
            account: AccountId(1),
            cycle_start: Instant(cycle_start),
            issued_at: Instant(issued_at),
            list: crate::money::Money::ZERO,
        };
        BillRow::unprocessed(bill, true)
    }

    #[test]
    fn an_order_is_decided_at_its_own_time_only_under_the_order_policy() {
        let h = History {
            transitions: vec![tr(100, 100, Change::Establish, Some(M))],
        };
        // An order after the request, inside the cycle [90, 110) containing it.
        let after = order(90, 105);
        let x = reference_instant(&after, SubscriptionPayer::Cycle);
        assert_eq!((x, h.main_for_cycle(x)), (Instant(90), None));
        assert_eq!(h.bill_rule(x, Instant(105), false), RuleId::T3);
        let x = reference_instant(&after, SubscriptionPayer::Order);
        assert_eq!((x, h.main_for_cycle(x)), (Instant(105), Some(M)));
        assert_eq!(h.bill_rule(x, Instant(105), true), RuleId::L1);
        // An order at the request's own instant: bills come before events.
        let at = order(90, 100);
        let x = reference_instant(&at, SubscriptionPayer::Order);
        assert_eq!(h.main_for_cycle(x), None);
        assert_eq!(h.bill_rule(x, Instant(100), false), RuleId::B1);
        // Pay-as-you-go bills keep their cycle start under either policy.
        let mut payg = order(90, 110);
        payg.subscription = false;
        assert_eq!(
            reference_instant(&payg, SubscriptionPayer::Order),
            Instant(90)
        );
        // Before a deferred request's active time: T5.1, never T3.
        let deferred = History {
            transitions: vec![tr(100, 1000, Change::Establish, Some(M))],
        };
        let x = reference_instant(&after, SubscriptionPayer::Order);
        assert_eq!(deferred.main_for_cycle(x), None);
        assert_eq!(deferred.bill_rule(x, Instant(105), false), RuleId::T5_1);
    }

    #[test]
    fn remove_ends_main_payment_after_the_cycle_containing_it() {
        let h = History {
            transitions: vec![
                tr(100, 100, Change::Establish, Some(M)),
                tr(500, 500, Change::Remove, None),
            ],
        };
        assert_eq!(h.main_for_cycle(Instant(490)), Some(M));
        assert_eq!(h.bill_rule(Instant(490), Instant(510), true), RuleId::T3);
        assert_eq!(h.main_for_cycle(Instant(510)), None);
        assert_eq!(h.bill_rule(Instant(510), Instant(520), false), RuleId::B1);
        assert_eq!(h.active_main(Instant(499)), Some(M));
        assert_eq!(h.active_main(Instant(500)), None);
    }

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
                    histories[l].push(Transition {
                        request: now,
                        active,
                        change,
                        main,
                        event: 0,
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

    /// The order `History` relies on is asserted where it is established.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "active times never decrease")]
    fn a_request_while_one_is_pending_is_refused_by_the_history() {
        let mut h = History::default();
        h.push(tr(100, 1000, Change::Establish, Some(M)));
        h.push(tr(500, 500, Change::Remove, None));
    }
}
