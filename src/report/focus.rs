//! `focus.csv` (SPEC §10.6): the simulated bills as a FOCUS 1.0 cost-and-usage dataset, so a
//! FinOps tool reads a what-if run like a provider's own export. It is an optional extra
//! output of `run --focus`, not one of the nine reports: built from the same report model
//! ([`View::bill`], [`View::coupon_use`]), never a second computation, and printed through
//! the same CSV cell formatter, except that every time is in UTC with a `Z` (FOCUS asks
//! for it).
//!
//! Rows: per bill in bill order, the bill's `Usage` (pay-as-you-go) or `Purchase`
//! (subscription) row, then one `Credit` row per coupon taken off it, in coupon order. So Σ
//! BilledCost per BillingAccountId and BillingPeriodStart is Σ payable_amount of bills.csv
//! per payer and billing period.

use super::csv_out::{CsvOut, Rows};
use super::model::{BillRecord, CouponUseRecord, View};
use super::schema::Cell;
use crate::calendar::{Calendar, Cycle, Instant};
use crate::error::Error;
use crate::money::Money;
use crate::scenario::BillingMethod;
use rayon::prelude::*;
use std::path::Path;

/// The file `run --focus` writes beside the reports.
pub const FOCUS_FILE: &str = "focus.csv";

/// The columns of `focus.csv`, in order: FOCUS 1.0's columns the validator asks for, then
/// the custom `x_` columns that tie a row back to the reports. The validator 1.0.0 also asks
/// for some columns by their pre-1.0 names (`ChargeType`, `Provider`, `Publisher`,
/// `InvoiceIssuer`, `ResourceID`): those are written too. FOCUS's `ResourceId` is written
/// once, spelled `ResourceID` as the validator wants — column names are matched without
/// case by FOCUS readers (`import focus` among them), and two spellings are one column twice.
pub const COLUMNS: [&str; 50] = [
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ResourceName",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "ConsumedQuantity",
    "ConsumedUnit",
    "SkuId",
    "SkuPriceId",
    "ChargeType",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "InvoiceIssuer",
    "Provider",
    "Publisher",
    "RegionId",
    "RegionName",
    "ResourceID",
    "ResourceType",
    "Tags",
    "x_BillId",
    "x_PricingAccountId",
    "x_RuleId",
    "x_CouponId",
];

/// Bills taken from the model at a time, formatted in parallel chunks and written in order
/// (as the reports are, see `csv_out::write_report`).
const BATCH: usize = 1 << 14;
const CHUNK: usize = 1 << 11;

/// Writes `focus.csv` into `dir` (a staging directory, through `output::create`).
pub fn write_focus(view: View<'_>, dir: &Path) -> Result<(), Error> {
    write_focus_as(view, dir, FOCUS_FILE)
}

/// [`write_focus`] under another name (a shard's `focus.csv.part`, SPEC §10.9).
pub fn write_focus_as(view: View<'_>, dir: &Path, name: &str) -> Result<(), Error> {
    let settings = &view.scenario.settings;
    let mut out = CsvOut::create(dir, name, &COLUMNS, &settings.calendar, settings.money)?;
    let uses = &view.results.coupon_use;
    let mut next_use = 0;
    let mut bills = view.bills().peekable();
    while bills.peek().is_some() {
        // Each bill with the range of its coupon uses: coupon_use is in bill order too.
        let batch: Vec<(BillRecord<'_>, std::ops::Range<usize>)> = bills
            .by_ref()
            .take(BATCH)
            .map(|b| {
                let from = next_use;
                while next_use < uses.len() && uses[next_use].order.0 == b.order {
                    next_use += 1;
                }
                (b, from..next_use)
            })
            .collect();
        let texts: Vec<String> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut rows = out.detached();
                let mut times = Times::default();
                for (bill, range) in chunk {
                    let row = FocusRow::of_bill(view, bill, &mut times);
                    row.write(&mut rows, view, bill, None);
                    for c in &uses[range.clone()] {
                        let credit = view.coupon_use(c);
                        row.write(&mut rows, view, bill, Some(&credit));
                    }
                }
                rows.into_text()
            })
            .collect();
        for text in &texts {
            out.write_text(text)?;
        }
    }
    debug_assert_eq!(
        next_use,
        uses.len(),
        "every coupon use is on a bill, in bill order"
    );
    out.finish()
}

/// The four times of a bill's rows, in FOCUS's UTC form.
#[derive(Default)]
struct FocusRow {
    billing_start: String,
    billing_end: String,
    charge_start: String,
    charge_end: String,
}

/// A cache of the last billing period formatted: consecutive bills mostly share it.
#[derive(Default)]
struct Times {
    month: Option<(Instant, String, String)>,
}

impl FocusRow {
    fn of_bill(view: View<'_>, bill: &BillRecord<'_>, times: &mut Times) -> FocusRow {
        let calendar: &Calendar = &view.scenario.settings.calendar;
        let (start, end) = calendar.cycle_containing(Cycle::Monthly, bill.cycle_start);
        let (billing_start, billing_end) = match &times.month {
            Some((at, s, e)) if *at == start => (s.clone(), e.clone()),
            _ => {
                let (s, e) = (utc(start), utc(end));
                times.month = Some((start, s.clone(), e.clone()));
                (s, e)
            }
        };
        FocusRow {
            billing_start,
            billing_end,
            charge_start: utc(bill.cycle_start),
            charge_end: utc(bill.cycle_end),
        }
    }

    /// One row: the bill's own (`credit` none) or one coupon use of it.
    fn write(
        &self,
        rows: &mut Rows<'_>,
        view: View<'_>,
        bill: &BillRecord<'_>,
        credit: Option<&CouponUseRecord<'_>>,
    ) {
        let settings = &view.scenario.settings;
        let provider = Cell::Text(&settings.provider);
        let (category, frequency, cost) = match credit {
            None => match bill.billing_method {
                BillingMethod::PayAsYouGo => (
                    "Usage",
                    "Usage-Based",
                    bill.list_amount - bill.discount_amount,
                ),
                BillingMethod::Subscription => (
                    "Purchase",
                    "Recurring",
                    bill.list_amount - bill.discount_amount,
                ),
            },
            Some(c) => ("Credit", "One-Time", Money::ZERO - c.amount),
        };
        let list = match credit {
            None => bill.list_amount,
            Some(_) => cost,
        };
        let description = match credit {
            None => format!(
                "{} {} {}",
                bill.product,
                bill.billing_method.as_str(),
                bill.cycle.as_str()
            ),
            Some(c) => format!("coupon {} on {}", c.coupon_id, bill.product),
        };
        let usage = credit.is_none();
        let one = Cell::Text(if usage { "1.0" } else { "" });
        let unit = Cell::Text(if usage { unit(bill.cycle) } else { "" });
        let (cost, list) = (decimal(view, cost), decimal(view, list));
        let (cost, list) = (Cell::Text(&cost), Cell::Text(&list));
        let cells = [
            cost,
            Cell::Id(bill.payer_id),
            Cell::Id(bill.payer_id),
            Cell::Text(settings.currency.as_str()),
            Cell::Text(&self.billing_end),
            Cell::Text(&self.billing_start),
            Cell::Text(category),
            Cell::Empty,
            Cell::Text(&description),
            Cell::Text(frequency),
            Cell::Text(&self.charge_end),
            Cell::Text(&self.charge_start),
            cost,
            if usage { cost } else { Cell::Empty },
            cost,
            provider,
            list,
            if usage { list } else { Cell::Empty },
            Cell::Text(if usage { "Standard" } else { "" }),
            one,
            unit,
            provider,
            provider,
            Cell::Id(bill.resource_id),
            Cell::Text(settings.service_category(bill.product).as_str()),
            Cell::Text(bill.product),
            Cell::Id(bill.account_id),
            Cell::Id(bill.account_id),
            one,
            unit,
            Cell::Text(if usage { bill.product } else { "" }),
            Cell::Text(if usage { bill.product } else { "" }),
            Cell::Text(category),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            provider,
            provider,
            provider,
            Cell::Empty,
            Cell::Empty,
            Cell::Id(bill.resource_id),
            Cell::Empty,
            Cell::Empty,
            bill.bill_id.cell(),
            Cell::Id(bill.pricing_account_id),
            Cell::Text(match credit {
                None => bill.rule.as_str(),
                Some(c) => c.rule.as_str(),
            }),
            credit.map_or(Cell::Empty, |c| Cell::Id(c.coupon_id)),
        ];
        debug_assert_eq!(cells.len(), COLUMNS.len());
        for cell in cells {
            rows.cell(cell);
        }
        rows.end_row();
    }
}

/// What one cycle of `cycle` is called as a FOCUS PricingUnit / ConsumedUnit: a bill is one
/// cycle of its resource.
fn unit(cycle: Cycle) -> &'static str {
    match cycle {
        Cycle::Hourly => "Hour",
        Cycle::Daily => "Day",
        Cycle::Weekly => "Week",
        Cycle::Monthly => "Month",
    }
}

/// `m` at the scenario's `money_scale`, exact, with a fraction always: at scale 0 it ends
/// in `.0`, so a reader that infers types (the FOCUS validator does) sees a decimal.
fn decimal(view: View<'_>, m: Money) -> String {
    let mut s = String::with_capacity(24);
    view.scenario.settings.money.write(m, &mut s);
    if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

/// `t` in UTC as FOCUS writes it, `2026-03-10T01:00:00Z`.
fn utc(t: Instant) -> String {
    match chrono::DateTime::from_timestamp(t.0, 0) {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        // A scenario's horizon keeps every report time in years 1–9999 (see
        // `Calendar::write_time`); this is never reached for a valid scenario.
        None => t.0.to_string(),
    }
}
