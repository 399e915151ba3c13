//! The facts behind one bill (SPEC §10.4), gathered from the run: its bills.csv row, the
//! request its rule rests on, the discount row and coupons that priced it, its ledger,
//! invoice and alert rows. The serialized form is the SPEC's JSON, key for key; the fields
//! marked `skip` are what the sentences need beyond it.

use super::Explainer;
use crate::bill::{BillRef, BillRow};
use crate::engine::outcome::{Change, Transition};
use crate::engine::trusteeship;
use crate::report::model::BillRecord;
use crate::report::schema::Cell;
use crate::rules::RuleId;
use serde::Serialize;

/// Why a bill is what it is: SPEC §10.4's JSON object, and the facts its text uses.
#[derive(Clone, Debug, Serialize)]
pub struct BillExplanation {
    pub bill_id: String,
    pub account_id: String,
    pub payer_id: String,
    pub pricing_account_id: String,
    pub rule: String,
    pub cycle_start: String,
    pub cycle_end: String,
    pub issued_at: String,
    /// One sentence: who paid, and the rule and request that decided it.
    pub reason: String,
    pub request: Option<Request>,
    pub discount: Option<Discount>,
    pub coupons: Vec<CouponRow>,
    pub ledger: Vec<LedgerEntry>,
    pub invoice: Option<Invoice>,
    pub alerts: Vec<Alert>,
    #[serde(skip)]
    pub facts: Facts,
}

/// The request the bill's rule rests on (SPEC §5.2's R), as events.csv shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Request {
    pub seq: u32,
    pub kind: String,
    pub time: String,
    pub outcome: String,
    pub effective_at: Option<String>,
    pub rule: String,
    /// The linked account and the main it asked for (empty for a remove), as given.
    #[serde(skip)]
    pub account_id: String,
    #[serde(skip)]
    pub main_id: String,
    /// The main the account had before it (for a remove: the main it left).
    #[serde(skip)]
    pub previous_main: Option<String>,
}

/// The discount row that priced the bill, and what it took off.
#[derive(Clone, Debug, Serialize)]
pub struct Discount {
    pub account_id: String,
    /// The product code, or `*` for the account's row for every product.
    pub product: String,
    pub percent_off: String,
    pub amount: String,
}

/// A coupon_use.csv row of this bill.
#[derive(Clone, Debug, Serialize)]
pub struct CouponRow {
    pub coupon_id: String,
    pub owner_id: String,
    pub amount: String,
    pub remaining: String,
    pub rule: String,
}

/// A ledger.csv row of this bill (its payment, settlements, a refund).
#[derive(Clone, Debug, Serialize)]
pub struct LedgerEntry {
    pub time: String,
    pub account_id: String,
    pub entry: String,
    pub amount: String,
    pub balance_after: String,
    /// The event that wrote it (a top-up's or refund's settlement, a refund); none for
    /// the payment at issue.
    #[serde(skip)]
    pub event: Option<EventCite>,
}

/// An event a sentence cites: its seq, kind and rule, as events.csv shows them.
#[derive(Clone, Debug)]
pub struct EventCite {
    pub seq: u32,
    pub kind: String,
    pub rule: String,
}

/// The invoices.csv row the bill's cash is invoiced on.
#[derive(Clone, Debug, Serialize)]
pub struct Invoice {
    pub month: String,
    pub recipient_id: String,
    pub rule: String,
}

/// An alerts.csv row about this bill.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub time: String,
    pub kind: String,
    pub subject_id: String,
    pub recipient_id: String,
    pub amount: String,
    pub threshold: String,
    pub bill_id: String,
    pub rule: String,
}

/// What the sentences need beyond the JSON: the rest of the bills.csv row, formatted.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub resource_id: String,
    pub product: String,
    pub cycle: String,
    pub subscription: bool,
    pub alitelecom: bool,
    pub list_amount: String,
    pub discount_amount: String,
    pub coupon_amount: String,
    pub payable_amount: String,
    pub paid_amount: String,
    pub outstanding_amount: String,
    pub rule: Option<RuleId>,
    /// Payable and outstanding are more than zero.
    pub payable_positive: bool,
    pub outstanding_positive: bool,
    /// The request of [`BillExplanation::request`] was made at or after the bill's
    /// reference instant, inside its cycle (SPEC §5.2: T3).
    pub request_inside: bool,
    pub request_change: Option<Change>,
}

/// Gathers the facts of `row` from `x`'s run.
pub(super) fn explain(x: &Explainer<'_>, row: &BillRow) -> BillExplanation {
    let s = x.scenario();
    let results = x.results();
    let record = x.view.bill(row);
    let bill_ref = BillRef::from(row);
    let bill_id = x.cell(Cell::BillId(record.bill_id.resource, record.bill_id.at));
    let resource = &s.resources[row.bill.resource.index()];
    let reference = trusteeship::reference_instant(row, s.settings.policy.subscription_payer);

    // The request the rule rests on: the engine's own choice over the history it kept.
    let history: &[Transition] = results
        .histories
        .get(&row.bill.account)
        .map_or(&[], Vec::as_slice);
    let deciding = trusteeship::deciding(history, row.bill.issued_at);
    let request = deciding.and_then(|tr| request(x, history, tr));

    let discount = discount(x, row, &record, reference);
    let coupons = results
        .coupon_use
        .iter()
        .filter(|c| c.bill == bill_ref)
        .map(|c| {
            let r = x.view.coupon_use(c);
            CouponRow {
                coupon_id: r.coupon_id.to_owned(),
                owner_id: r.owner_id.to_owned(),
                amount: x.amount(r.amount),
                remaining: x.amount(r.remaining),
                rule: r.rule.as_str().to_owned(),
            }
        })
        .collect();
    let ledger = results
        .ledger()
        .filter(|l| l.bill == Some(bill_ref))
        .map(|l| {
            let r = x.view.ledger_row(&l);
            // Rows written by an event carry its seq in their processing key.
            let event = (l.key.phase == 1)
                .then(|| u32::try_from(l.key.primary).ok())
                .flatten()
                .and_then(|seq| x.event_by_seq(seq))
                .map(|e| EventCite {
                    seq: e.seq,
                    kind: e.kind.to_owned(),
                    rule: e.rule.as_str().to_owned(),
                });
            LedgerEntry {
                time: x.time(r.time),
                account_id: r.account_id.to_owned(),
                entry: r.entry.as_str().to_owned(),
                amount: x.amount(r.amount),
                balance_after: x.amount(r.balance_after),
                event,
            }
        })
        .collect();
    let invoice = invoice(x, row, &record);
    let alerts = results
        .alerts
        .iter()
        .filter(|a| a.bill == Some(bill_ref))
        .map(|a| {
            let r = x.view.alert(a);
            Alert {
                time: x.time(r.time),
                kind: r.kind.as_str().to_owned(),
                subject_id: r.subject_id.to_owned(),
                recipient_id: r.recipient_id.to_owned(),
                amount: x.amount(r.amount),
                threshold: x.amount(r.threshold),
                bill_id: bill_id.clone(),
                rule: r.rule.as_str().to_owned(),
            }
        })
        .collect();

    let facts = Facts {
        resource_id: record.resource_id.to_owned(),
        product: record.product.to_owned(),
        cycle: record.cycle.as_str().to_owned(),
        subscription: row.subscription,
        alitelecom: resource.is_alitelecom,
        list_amount: x.amount(record.list_amount),
        discount_amount: x.amount(record.discount_amount),
        coupon_amount: x.amount(record.coupon_amount),
        payable_amount: x.amount(record.payable_amount),
        paid_amount: x.amount(record.paid_amount),
        outstanding_amount: x.amount(record.outstanding_amount),
        rule: Some(record.rule),
        payable_positive: record.payable_amount.is_positive(),
        outstanding_positive: record.outstanding_amount.is_positive(),
        request_inside: deciding.is_some_and(|tr| tr.request >= reference),
        request_change: deciding.map(|tr| tr.change),
    };
    let mut e = BillExplanation {
        bill_id,
        account_id: record.account_id.to_owned(),
        payer_id: record.payer_id.to_owned(),
        pricing_account_id: record.pricing_account_id.to_owned(),
        rule: record.rule.as_str().to_owned(),
        cycle_start: x.time(record.cycle_start),
        cycle_end: x.time(record.cycle_end),
        issued_at: x.time(record.issued_at),
        reason: String::new(),
        request,
        discount,
        coupons,
        ledger,
        invoice,
        alerts,
        facts,
    };
    e.reason = super::text::reason(&e);
    e
}

/// The events.csv row of the transition `tr` of `history`, with the main before it.
fn request(x: &Explainer<'_>, history: &[Transition], tr: &Transition) -> Option<Request> {
    let e = x.event(tr.event as usize)?;
    let previous_main = history
        .iter()
        .take_while(|t| !std::ptr::eq(*t, tr))
        .last()
        .and_then(|t| t.main)
        .map(|m| x.name(m));
    Some(Request {
        seq: e.seq,
        kind: e.kind.to_owned(),
        time: x.time(e.time),
        outcome: e.outcome.as_str().to_owned(),
        effective_at: e.effective_at.map(|t| x.time(t)),
        rule: e.rule.as_str().to_owned(),
        account_id: e.account_id.to_owned(),
        main_id: e.main_id.to_owned(),
        previous_main,
    })
}

/// The discount row behind the bill's discount amount: the pricing account's row the
/// engine's own lookup gives at the bill's reference instant (SPEC §5.3). The amount is
/// the bill's, as the engine priced it.
fn discount(
    x: &Explainer<'_>,
    row: &BillRow,
    record: &BillRecord<'_>,
    reference: crate::calendar::Instant,
) -> Option<Discount> {
    let s = x.scenario();
    let pricing = crate::engine::pricing::pricing_account(
        row.payer,
        row.bill.account,
        s.resources[row.bill.resource.index()].is_alitelecom,
    );
    let d = x.discounts.lookup(pricing, record.product, reference)?;
    Some(Discount {
        account_id: x.name(pricing),
        product: d.product.as_deref().unwrap_or("*").to_owned(),
        percent_off: d.percent_off.to_string(),
        amount: x.amount(row.discount),
    })
}

/// The invoices.csv row holding this bill's cash: the bill's billing period, payer and
/// incurring account (SPEC §5.8). None when the bill paid no cash (coupon-covered or
/// unpaid): nothing of it is invoiced.
fn invoice(x: &Explainer<'_>, row: &BillRow, record: &BillRecord<'_>) -> Option<Invoice> {
    if !record.paid_amount.is_positive() {
        return None;
    }
    let month = x
        .scenario()
        .settings
        .calendar
        .month_of(row.bill.cycle_start);
    let i =
        x.results().invoices.iter().find(|i| {
            i.month == month && i.recipient == row.payer && i.account == row.bill.account
        })?;
    let r = x.view.invoice(i);
    Some(Invoice {
        month: x.cell(Cell::Month(r.month.0, r.month.1)),
        recipient_id: r.recipient_id.to_owned(),
        rule: r.rule.as_str().to_owned(),
    })
}
