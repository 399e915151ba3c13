//! One function per report: the columns and row formatting of each SPEC §6 table.

use super::csv_out::{CsvOut, Rows};
use crate::engine::outcome::{BillRef, BillRow, Bills, Entry, LedgerRow, ProcKey, Results};
use crate::error::Error;
use crate::money::Money;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::path::Path;

fn open<'a>(s: &'a Scenario, dir: &Path, name: &str, header: &[&str]) -> Result<CsvOut<'a>, Error> {
    CsvOut::create(dir, name, header, &s.settings.calendar, s.settings.money)
}

/// The parts of a bill id: resource name and the instant after `@`.
fn bill_id<'s>(s: &'s Scenario, b: &BillRef) -> (&'s str, crate::calendar::Instant) {
    (s.resource_name(b.resource), b.at)
}

pub(super) fn bills(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "bills.csv",
        &[
            "bill_id",
            "account_id",
            "resource_id",
            "product",
            "billing_method",
            "cycle",
            "cycle_start",
            "cycle_end",
            "issued_at",
            "list_amount",
            "discount_amount",
            "coupon_amount",
            "payable_amount",
            "paid_amount",
            "outstanding_amount",
            "payer_id",
            "pricing_account_id",
            "rule",
        ],
    )?;
    // The largest report: rows are formatted in parallel chunks, written in order.
    const BATCH: usize = 1 << 14;
    const CHUNK: usize = 1 << 11;
    let mut in_order = r.bills.in_order();
    loop {
        let batch: Vec<&BillRow> = in_order.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let texts: Vec<String> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut rows = out.detached();
                for row in chunk {
                    bill_row(&mut rows, s, &r.bills, row);
                }
                rows.into_text()
            })
            .collect();
        for text in &texts {
            out.write_text(text)?;
        }
    }
    out.finish()
}

/// One row of bills.csv.
fn bill_row(out: &mut Rows<'_>, s: &Scenario, bills: &Bills, row: &BillRow) {
    let b = &row.bill;
    let payable = row.payable();
    let paid = bills.paid(row);
    let res = &s.resources[b.resource.index()];
    out.bill_id(bill_id(s, &BillRef::from(row)))
        .str(s.account_name(b.account))
        .str(s.resource_name(b.resource))
        .str(&res.product)
        .str(res.billing.as_str())
        .str(res.cycle.as_str())
        .time(b.cycle_start)
        .time(row.cycle_end(&s.settings.calendar, res.cycle))
        .time(b.issued_at)
        .money(b.list)
        .money(row.discount)
        .money(row.coupon)
        .money(payable)
        .money(paid)
        .money(payable - paid)
        .str(s.account_name(row.payer))
        .str(s.account_name(row.pricing(res.is_alitelecom)))
        .str(row.rule.as_str());
    out.end_row();
}

pub(super) fn coupon_use(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "coupon_use.csv",
        &[
            "time",
            "coupon_id",
            "owner_id",
            "bill_id",
            "account_id",
            "amount",
            "remaining",
            "rule",
        ],
    )?;
    for c in &r.coupon_use {
        out.time(c.time)
            .str(s.coupon_name(c.coupon))
            .str(s.account_name(c.owner))
            .bill_id(bill_id(s, &c.bill))
            .str(s.account_name(c.account))
            .money(c.amount)
            .money(c.remaining)
            .str(c.rule.as_str());
        out.end_row()?;
    }
    out.finish()
}

/// Payment rows are not stored: each is a bill's `paid_at_issue`, merged here with the
/// event rows (top-ups, refunds, settlements) in processing order. A payment's
/// `balance_after` is recovered by replaying balances in that same order.
pub(super) fn ledger(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "ledger.csv",
        &[
            "time",
            "account_id",
            "entry",
            "amount",
            "balance_after",
            "bill_id",
        ],
    )?;
    let mut balance: Vec<Money> = s.accounts.iter().map(|a| a.balance).collect();
    let mut events = r.ledger.iter().peekable();
    let write_event = |out: &mut CsvOut<'_>, l: &LedgerRow, balance: &mut [Money]| {
        balance[l.account.index()] = l.balance_after;
        out.time(l.time)
            .str(s.account_name(l.account))
            .str(l.entry.as_str())
            .money(l.amount)
            .money(l.balance_after)
            .opt_bill_id(l.bill.map(|b| bill_id(s, &b)));
        out.end_row()
    };
    for row in r.bills.in_order().filter(|b| b.paid_at_issue.is_positive()) {
        let key = ProcKey::bill(row.bill.order(), 0);
        while let Some(l) = events.next_if(|l| l.key < key) {
            write_event(&mut out, l, &mut balance)?;
        }
        let payer = &mut balance[row.payer.index()];
        *payer -= row.paid_at_issue;
        out.time(row.bill.issued_at)
            .str(s.account_name(row.payer))
            .str(Entry::Payment.as_str())
            .money(row.paid_at_issue)
            .money(*payer)
            .bill_id(bill_id(s, &BillRef::from(row)));
        out.end_row()?;
    }
    for l in events {
        write_event(&mut out, l, &mut balance)?;
    }
    out.finish()
}

pub(super) fn availability(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "availability.csv",
        &[
            "account_id",
            "from",
            "to",
            "status",
            "cause_account_id",
            "rule",
        ],
    )?;
    for a in &r.availability {
        let (cause, rule) = match a.cause {
            Some((c, rule)) => (s.account_name(c), rule.as_str()),
            None => ("", ""),
        };
        out.str(s.account_name(a.account))
            .time(a.from)
            .time(a.to)
            .str(a.status.as_str())
            .str(cause)
            .str(rule);
        out.end_row()?;
    }
    out.finish()
}

pub(super) fn alerts(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "alerts.csv",
        &[
            "time",
            "kind",
            "subject_id",
            "recipient_id",
            "amount",
            "threshold",
            "bill_id",
            "rule",
        ],
    )?;
    for a in &r.alerts {
        out.time(a.time)
            .str(a.kind.as_str())
            .str(s.account_name(a.subject))
            .str(s.account_name(a.recipient))
            .money(a.amount)
            .money(a.threshold)
            .opt_bill_id(a.bill.map(|b| bill_id(s, &b)))
            .str(a.rule.as_str());
        out.end_row()?;
    }
    out.finish()
}

pub(super) fn invoices(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "invoices.csv",
        &["month", "recipient_id", "account_id", "amount", "rule"],
    )?;
    for i in &r.invoices {
        let (y, m) = i.month;
        out.str(&format!("{y:04}-{m:02}"))
            .str(s.account_name(i.recipient))
            .str(s.account_name(i.account))
            .money(i.amount)
            .str(i.rule.as_str());
        out.end_row()?;
    }
    out.finish()
}

pub(super) fn ownership(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "ownership.csv",
        &["resource_id", "owner_id", "from", "to", "rule"],
    )?;
    for o in &r.ownership {
        out.str(s.resource_name(o.resource))
            .str(s.account_name(o.owner))
            .time(o.from)
            .time(o.to)
            .str(o.rule.as_str());
        out.end_row()?;
    }
    out.finish()
}

pub(super) fn events(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "events.csv",
        &[
            "seq",
            "time",
            "kind",
            "account_id",
            "main_id",
            "resource_id",
            "outcome",
            "effective_at",
            "amount",
            "rule",
            "detail",
        ],
    )?;
    for row in &r.events {
        let e = &s.events[row.event];
        out.str(&e.seq.to_string())
            .time(e.time)
            .str(e.kind.name())
            .str(&e.account_field)
            .str(&e.main_field)
            .str(&e.resource_field)
            .str(row.outcome.as_str())
            .opt_time(row.effective_at)
            .opt_money(row.amount)
            .str(row.rule.as_str())
            .str(&row.detail);
        out.end_row()?;
    }
    out.finish()
}

pub(super) fn summary(s: &Scenario, r: &Results, dir: &Path) -> Result<(), Error> {
    let mut out = open(
        s,
        dir,
        "summary.csv",
        &[
            "account_id",
            "list_amount",
            "discount_amount",
            "coupon_amount",
            "paid_amount",
            "outstanding_amount",
            "paid_as_payer",
            "outstanding_as_payer",
            "balance_end",
        ],
    )?;
    for a in &r.summary {
        out.str(s.account_name(a.account))
            .money(a.list)
            .money(a.discount)
            .money(a.coupon)
            .money(a.paid)
            .money(a.outstanding)
            .money(a.paid_as_payer)
            .money(a.outstanding_as_payer)
            .money(a.balance_end);
        out.end_row()?;
    }
    out.finish()
}
