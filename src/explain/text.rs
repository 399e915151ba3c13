//! The sentences: one a line, each citing the rule id (and the event seq) it rests on. They
//! only word the facts [`super::bill`] and [`super::account`] gathered; every time and
//! amount in them is already formatted as the reports print it.

use super::account::{AccountStory, Relationship};
use super::bill::{BillExplanation, LedgerEntry, Request};
use crate::engine::outcome::Change;
use crate::rules::RuleId;

/// The bill's one-sentence reason: who paid it, and the rule and request that decided it
/// (SPEC §5.2).
pub(super) fn reason(e: &BillExplanation) -> String {
    let f = &e.facts;
    let (acct, payer) = (&e.account_id, &e.payer_id);
    let what = if f.subscription {
        format!(
            "{} subscription order of {} by {acct}",
            f.cycle, f.resource_id
        )
    } else {
        format!("{} {} of {acct}", f.cycle, f.resource_id)
    };
    let head = format!("Bill {} ({what})", e.bill_id);
    let req = e.request.as_ref();
    let change = f.request_change;
    match (f.rule, req) {
        // B1: no request before it, or the last one removed the trusteeship.
        (Some(RuleId::B1), None) => format!(
            "{head} was paid by {acct} itself: {acct} made no trusteeship request before it was issued (rule B1)."
        ),
        (Some(RuleId::B1), Some(r)) if change == Some(Change::Remove) => format!(
            "{head} was paid by {acct} itself: its trusteeship{} was removed by event {} (applied at {}, rule {}) before this cycle, so {acct} pays its own bills again (rule B1).",
            from_main(r),
            r.seq,
            r.time,
            r.rule
        ),
        // L1: the request applies to this cycle, and made the main the payer.
        (Some(RuleId::L1), Some(r)) => {
            let how = if change == Some(Change::Modify) {
                let from = r.previous_main.as_ref();
                format!(
                    "moved{} to {payer}",
                    from.map_or(String::new(), |m| format!(" from {m}"))
                )
            } else {
                format!("established to {payer}")
            };
            if r.outcome == "deferred" {
                format!(
                    "{head} was paid by {payer}, not {acct}: {acct} was {how} by event {} (made at {}, deferred to {}, rule {}), in effect for this cycle, so the main pays (rule L1).",
                    r.seq,
                    r.time,
                    effective(r),
                    r.rule
                )
            } else {
                format!(
                    "{head} was paid by {payer}, not {acct}: {acct} was {how} by event {} (applied at {}, rule {}), and from the next cycle the main pays (rule L1).",
                    r.seq, r.time, r.rule
                )
            }
        }
        // T3: the request was made inside this cycle, which stays with the old payer.
        (Some(RuleId::T3), Some(r)) if change == Some(Change::Remove) => format!(
            "{head} was paid by {payer}, not {acct}: event {} (remove {acct} from {payer} at {}, rule {}) was made inside this cycle, which stays with the main (rule T3); {acct} pays its own bills from the next cycle.",
            r.seq, r.time, r.rule
        ),
        (Some(RuleId::T3), Some(r)) => {
            let from = if r.outcome == "deferred" {
                format!("the first cycle starting at or after {}", effective(r))
            } else {
                "the next cycle".to_owned()
            };
            format!(
                "{head} was paid by {payer}, not {}: event {} ({} {acct} -> {} at {}, {}, rule {}) was made inside this cycle, which stays with the old payer (rule T3); {} pays from {from}.",
                r.main_id, r.seq, r.kind, r.main_id, r.time, r.outcome, r.rule, r.main_id
            )
        }
        // T5.1: the request was deferred and is not yet in effect for this cycle.
        (Some(RuleId::T5_1), Some(r)) => format!(
            "{head} was paid by {payer}, not {}: event {} ({} {acct} -> {} at {}) found unsettled bills and was deferred to {} (rule {}), so this cycle stays with the old payer (rule T5.1).",
            r.main_id, r.seq, r.kind, r.main_id, r.time, effective(r), r.rule
        ),
        (rule, r) => {
            let rule = rule.map_or("?", RuleId::as_str);
            match r {
                Some(r) => format!(
                    "{head} was paid by {payer} (rule {rule}); the last request before it was event {} ({}, {}, rule {}).",
                    r.seq, r.kind, r.outcome, r.rule
                ),
                None => format!("{head} was paid by {payer} (rule {rule})."),
            }
        }
    }
}

fn from_main(r: &Request) -> String {
    r.previous_main
        .as_ref()
        .map_or(String::new(), |m| format!(" with {m}"))
}

fn effective(r: &Request) -> &str {
    r.effective_at.as_deref().unwrap_or("?")
}

/// The whole text of a bill: its reason, how it was priced, paid, invoiced and alerted.
pub(super) fn bill(e: &BillExplanation) -> String {
    let f = &e.facts;
    let (acct, payer, pricing) = (&e.account_id, &e.payer_id, &e.pricing_account_id);
    let mut lines = vec![e.reason.clone()];

    // Pricing (SPEC §5.3).
    let by = if pricing != acct {
        format!(
            "{pricing} priced it, not {acct}, so {pricing}'s discounts and coupons apply (rule L5)"
        )
    } else if payer != acct && f.alitelecom {
        format!(
            "{acct} priced it, not {payer}: {} is an AliTelecom product, so the main's discounts and coupons do not apply and {acct}'s own do (rule T2)",
            f.product
        )
    } else if e.request.is_some() {
        format!("{acct} priced it itself: it paid the bill, so no main's discounts or coupons apply (rule L5)")
    } else {
        format!("{acct} priced it itself (rule B1)")
    };
    lines.push(format!("{by}."));
    let discount = match &e.discount {
        Some(d) => format!(
            "discount {} ({}'s {} row, {}% off)",
            d.amount, d.account_id, d.product, d.percent_off
        ),
        None => "no discount row".to_owned(),
    };
    let coupons = if e.coupons.is_empty() {
        "no coupon".to_owned()
    } else {
        let uses: Vec<String> = e
            .coupons
            .iter()
            .map(|c| {
                format!(
                    "{} of {} {}, leaving {}, rule {}",
                    c.coupon_id, c.owner_id, c.amount, c.remaining, c.rule
                )
            })
            .collect();
        format!("coupons {} ({})", f.coupon_amount, uses.join("; "))
    };
    lines.push(format!(
        "List {}, then {discount}, then {coupons}: payable {} (rule B2).",
        f.list_amount, f.payable_amount
    ));

    // Payment and settlement (SPEC §5.4).
    let paid_at_issue = e.ledger.iter().any(|l| l.entry == "payment");
    let later = e.ledger.iter().any(|l| l.entry == "settlement");
    if f.payable_positive && !paid_at_issue {
        lines.push(format!(
            "{payer}'s balance had nothing for it at issue, {}, so it stayed unsettled (rule B3).",
            e.issued_at
        ));
    }
    for l in &e.ledger {
        lines.push(ledger(l, acct, payer, later || f.outstanding_positive));
    }
    if f.outstanding_positive {
        lines.push(format!(
            "{} of it is still outstanding at the end of the run, owed by {payer} (rule B3).",
            f.outstanding_amount
        ));
    } else if f.payable_positive {
        lines.push(format!("It is fully paid: {}.", f.paid_amount));
    } else {
        lines.push("Nothing was left to pay after the discount and coupons.".to_owned());
    }

    // Invoice (SPEC §5.8) and alerts (§5.7).
    if let Some(i) = &e.invoice {
        lines.push(format!(
            "Its cash, {}, is invoiced to {} for {} (rule {}).",
            f.paid_amount, i.recipient_id, i.month, i.rule
        ));
    }
    for a in &e.alerts {
        lines.push(format!(
            "A {} alert about {} ({}, threshold {}) went to {} at {} (rule {}).",
            a.kind.replace('_', " "),
            a.subject_id,
            a.amount,
            a.threshold,
            a.recipient_id,
            a.time,
            a.rule
        ));
    }
    finish(lines)
}

/// One ledger row of the bill as a sentence.
fn ledger(l: &LedgerEntry, acct: &str, payer: &str, short: bool) -> String {
    let cite = l.event.as_ref().map_or(String::new(), |e| {
        format!("event {} ({}, rule {})", e.seq, e.kind, e.rule)
    });
    match l.entry.as_str() {
        "payment" => {
            let rest = if short {
                "; the rest stayed unsettled (rule B3)"
            } else {
                ""
            };
            // L6: a bill is paid from its payer's balance, a main's never moved.
            let rule = if l.account_id != acct { "L6" } else { "B2" };
            format!(
                "{payer}'s balance paid {} at issue, {}, leaving {} (rule {rule}){rest}.",
                l.amount, l.time, l.balance_after
            )
        }
        "settlement" => format!(
            "At {}, {cite} settled {} of it from {}'s balance, oldest unsettled bill first, leaving {} (rule B3).",
            l.time, l.amount, l.account_id, l.balance_after
        ),
        "refund" => format!(
            "At {}, {cite} refunded {} of it to {}, leaving {}.",
            l.time, l.amount, l.account_id, l.balance_after
        ),
        other => format!(
            "At {}, a {other} of {} on {} ({cite}), leaving {}.",
            l.time, l.amount, l.account_id, l.balance_after
        ),
    }
}

/// An account's story, a sentence a line.
pub(super) fn account(st: &AccountStory) -> String {
    let a = &st.account_id;
    let s = &st.summary;
    let bills: usize = st.payers.iter().map(|r| r.bills).sum();
    let mut lines = vec![format!(
        "Account {a} incurred {bills} bill{}: list {}, discount {}, coupons {}, paid {}, outstanding {}; as a payer it paid {} and owes {}, and it ends with balance {}.",
        if bills == 1 { "" } else { "s" },
        s.list_amount,
        s.discount_amount,
        s.coupon_amount,
        s.paid_amount,
        s.outstanding_amount,
        s.paid_as_payer,
        s.outstanding_as_payer,
        s.balance_end
    )];

    if st.relationships.is_empty() {
        lines.push(format!(
            "{a} was never linked: no establish, modify or remove of it was applied or deferred."
        ));
    }
    for r in &st.relationships {
        lines.push(capitalized(&relationship(r)));
    }
    for r in &st.rejected_requests {
        lines.push(format!(
            "Event {} ({} at {}) was rejected (rule {}): {}.",
            r.seq, r.kind, r.time, r.rule, r.detail
        ));
    }
    for r in &st.linked_accounts {
        lines.push(format!("As a main: {}", relationship(r)));
    }

    for r in &st.payers {
        let who = if &r.payer_id == a {
            format!("{a} itself")
        } else {
            r.payer_id.clone()
        };
        let span = if r.bills == 1 {
            format!("1 bill ({})", r.first_bill_id)
        } else {
            format!(
                "{} bills ({} to {})",
                r.bills, r.first_bill_id, r.last_bill_id
            )
        };
        lines.push(format!(
            "From {} to {}: {span} paid by {who} (rule {}): list {}, payable {}, paid {}, outstanding {}.",
            r.from, r.to, r.rule, r.list_amount, r.payable_amount, r.paid_amount, r.outstanding_amount
        ));
    }

    if st.unavailable.is_empty() {
        lines.push(format!("{a} was available for the whole horizon."));
    }
    for u in &st.unavailable {
        let why = if u.rule == RuleId::L2.as_str() {
            format!("its active main {} was in arrears", u.cause_account_id)
        } else {
            format!("{} was itself in arrears", u.cause_account_id)
        };
        lines.push(format!(
            "From {} to {}: {a} was unavailable because {why} (rule {}).",
            u.from, u.to, u.rule
        ));
    }
    finish(lines)
}

/// A transition as a sentence.
fn relationship(r: &Relationship) -> String {
    let l = &r.account_id;
    let at = r.effective_at.as_deref().unwrap_or(&r.time);
    match (&r.main_id, &r.previous_main_id) {
        (None, previous) => format!(
            "event {} (remove {l}{} at {}) was applied (rule {}): {l} is on its own from {at}; the main pays through the cycle containing it.",
            r.seq,
            previous.as_ref().map_or(String::new(), |m| format!(" from {m}")),
            r.time,
            r.rule
        ),
        (Some(main), previous) => {
            let from = previous
                .as_ref()
                .map_or(String::new(), |m| format!(", leaving {m}"));
            let pays = if r.outcome == "deferred" {
                format!(" because of unsettled bills: {main} is {l}'s main from {at} and pays from the first cycle starting then (rule L1)")
            } else {
                format!(": {main} is {l}'s main from {at} and pays from the next cycle (rule T3)")
            };
            format!(
                "event {} ({} {l} -> {main}{from}, at {}) was {} (rule {}){pays}.",
                r.seq, r.kind, r.time, r.outcome, r.rule
            )
        }
    }
}

/// `text` with its first letter upper-case, to open a line.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The lines, each ended.
fn finish(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}
