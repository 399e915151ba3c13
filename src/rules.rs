//! The rule ids of SPEC §1: every decision row names the rule that made it.
//!
//! Each variant's doc quotes its SPEC row (the seed notes' words and trustsim's reading).
//! The code that decides a rule is marked `// rule T5.1:` (the SPEC spelling, also for
//! `T5_1`), so `grep -rn "rule T5.1" src/` finds it; a rule that holds by construction
//! (no code decides it, the data cannot express the alternative) is marked where that
//! construction is, `// rule T4: …`, `// rule L6: …`.

use std::fmt;

/// A SPEC §1 rule id. `Display` prints it exactly as the SPEC spells it (`T5.1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// `L1` — the notes: "the main pays all subscription and pay-as-you-go bills of
    /// linked accounts during the trusteeship (L3 says the same)". trustsim: a bill's
    /// payer is the main for every cycle in which the trusteeship is in effect (§5.2).
    L1,
    /// `L2` — the notes: "linked resources depend on the main's balance: main short of
    /// funds → all linked resources unavailable". trustsim: a linked account is
    /// unavailable while its active main is in arrears (§5.6).
    L2,
    /// `L4` — the notes: "all invoices for linked accounts go to the main". trustsim:
    /// the invoice recipient is the bill's payer (§5.8).
    L4,
    /// `L5` — the notes: "linked accounts share the main's discounts and coupons".
    /// trustsim: the pricing account is the main for main-paid bills (§5.3).
    L5,
    /// `L6` — the notes: "the linked balance is not transferred; it still pays
    /// pre-trusteeship bills". trustsim: balances never move between accounts; a bill
    /// is paid from its payer's balance (§5.4).
    L6,
    /// `L7` — the notes: "Cost Analysis is not available to linked accounts". trustsim:
    /// a `cost_analysis` request by an active linked account is rejected (§5.10).
    L7,
    /// `T1` — the notes: "after establishment, low-balance and high-bill alerts go to
    /// the main only". trustsim: an alert about an active linked account is delivered
    /// to its main (§5.7).
    T1,
    /// `T2` — the notes: "the main's coupons/discounts do not apply to AliTelecom fees;
    /// linked accounts use their own coupons there". trustsim: for an AliTelecom
    /// product the pricing account stays the linked account; the payer is still the
    /// main (§5.3).
    T2,
    /// `T3` — the notes: "the main takes over from the **next** billing cycle; the
    /// current one stays with the linked account". trustsim: a transition changes the
    /// payer only for cycles that start strictly after the request (§5.2).
    T3,
    /// `T4` — the notes: "a linked account's coupons are not shared with other linked
    /// accounts". trustsim: a coupon only ever covers bills whose pricing account is
    /// its owner (§5.3).
    T4,
    /// `T5` — the notes: "establishing or modifying needs no unpaid bills on the linked
    /// account and the original main". trustsim: the check (§5.1); with policy
    /// `unsettled = "reject"` a request failing it is rejected (T5).
    T5,
    /// `T5.1` — the notes: "unsettled bills → the old payer pays them; the new
    /// trusteeship takes effect in the next billing cycle". trustsim: "billing cycle"
    /// here is the billing period (the calendar month): the request is deferred to the
    /// start of the next month (default policy `unsettled = "defer"`).
    T5_1,
    /// `T5.2` — the notes: "no unsettled bills → the trusteeship takes effect in the
    /// current billing cycle; bills before it are the old payer's, bills after it the
    /// new main's". trustsim: active at once; T3 decides the first main-paid cycle.
    T5_2,
    /// `T6` — the notes: "resource ownership moves to the main and back on removal;
    /// transferred resources keep their validity but have no monetary value:
    /// downgrading refunds nothing". trustsim: ownership intervals in `ownership.csv`;
    /// a downgrade of a resource that was ever transferred refunds 0 (§5.9).
    T6,
    /// `T7` — the notes: "main and linked must belong to the same enterprise; real-name
    /// information cannot change during trusteeship". trustsim: establish/modify across
    /// enterprises is rejected; `change_real_name` is rejected while the account is in
    /// a trusteeship, active or pending, as main or linked (§5.10).
    T7,
    /// `T8` — the notes: "at most 300 linked accounts per main". trustsim: a request
    /// that would give a main more than `max_linked` (default 300) active-or-pending
    /// linked accounts is rejected (§5.10).
    T8,
    /// `B1` (SPEC §1 base rule): an account pays its own bills.
    B1,
    /// `B2` (SPEC §1 base rule): discount first, then coupons, then balance.
    B2,
    /// `B3` (SPEC §1 base rule): a bill the payer's balance cannot cover stays
    /// unsettled; money arriving later settles unsettled bills oldest first.
    B3,
    /// `B4` (SPEC §1 base rule): an account in arrears has its own resources
    /// unavailable.
    B4,
    /// `B5` (SPEC §1 base rule): alerts go to the account they are about.
    B5,
    /// `B6` (SPEC §1 base rule): an account is invoiced for what it paid itself.
    B6,
    /// `B7` (SPEC §1 base rule): a resource is owned by its account.
    B7,
    /// `B8` (SPEC §1 base rule): downgrading a subscription refunds the unused share of
    /// its latest order, once.
    B8,
    /// `E1` (SPEC §5.10 request validation): the linked account is the (new) main
    /// itself: establish L → L, modify L → L.
    E1,
    /// `E2` (SPEC §5.10 request validation): establish: L is already linked (active);
    /// modify: M2 is already L's main.
    E2,
    /// `E3` (SPEC §5.10 request validation): nesting: the (new) main is linked or
    /// pending; for establish also: L has active or pending linked accounts.
    E3,
    /// `E4` (SPEC §5.10 request validation): modify or remove of a linked account that
    /// has no active relationship.
    E4,
    /// `E5` (SPEC §5.10 request validation): the linked account already has a pending
    /// (deferred) request.
    E5,
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        use RuleId::*;
        match self {
            L1 => "L1",
            L2 => "L2",
            L4 => "L4",
            L5 => "L5",
            L6 => "L6",
            L7 => "L7",
            T1 => "T1",
            T2 => "T2",
            T3 => "T3",
            T4 => "T4",
            T5 => "T5",
            T5_1 => "T5.1",
            T5_2 => "T5.2",
            T6 => "T6",
            T7 => "T7",
            T8 => "T8",
            B1 => "B1",
            B2 => "B2",
            B3 => "B3",
            B4 => "B4",
            B5 => "B5",
            B6 => "B6",
            B7 => "B7",
            B8 => "B8",
            E1 => "E1",
            E2 => "E2",
            E3 => "E3",
            E4 => "E4",
            E5 => "E5",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
