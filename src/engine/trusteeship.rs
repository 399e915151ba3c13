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

/// What a transition does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Establish,
    Modify,
    Remove,
}

/// One applied or deferred establish/modify/remove of a linked account.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub request: Instant,
    /// Equal to `request` when applied; the next month start when deferred.
    pub active: Instant,
    pub change: Change,
    /// The main from `active` on; `None` after a remove.
    pub main: Option<AccountId>,
}

/// A linked account's transitions, in request order.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub transitions: Vec<Transition>,
}

impl History {
    /// The main whose relationship is active at `t` (state after everything processed so
    /// far): the last transition active at or before `t`.
    pub fn active_main(&self, t: Instant) -> Option<AccountId> {
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
        let last = self
            .transitions
            .iter()
            .rev()
            .find(|tr| tr.request < issued_at);
        if let Some(r) = last {
            let applies = r.request < x && r.active <= x;
            if !applies {
                return if r.request >= x {
                    RuleId::T3
                } else {
                    RuleId::T5_1
                };
            }
        }
        if payer_is_main {
            RuleId::L1
        } else {
            RuleId::B1
        }
    }

    /// Whether an establish or modify active at or before `t` was ever made (T6): such an
    /// account's resources were transferred and lose their monetary value.
    pub fn ever_transferred(&self, t: Instant) -> bool {
        self.transitions
            .iter()
            .any(|tr| tr.change != Change::Remove && tr.active <= t)
    }

    /// Mains this account counts against at `t` (T8, E3): the active main and the main of a
    /// pending request.
    pub fn counts_for(&self, t: Instant, main: AccountId) -> bool {
        self.active_main(t) == Some(main) || self.pending(t).is_some_and(|p| p.main == Some(main))
    }

    /// Linked (active) or about to be (pending) at `t`.
    pub fn is_linked_or_pending(&self, t: Instant) -> bool {
        self.active_main(t).is_some() || self.pending(t).is_some_and(|p| p.main.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: AccountId = AccountId(9);

    fn tr(request: i64, active: i64, change: Change, main: Option<AccountId>) -> Transition {
        Transition {
            request: Instant(request),
            active: Instant(active),
            change,
            main,
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
}
