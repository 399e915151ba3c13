//! `focus.csv` (SPEC §10.6): the simulated bills as a FOCUS 1.0 cost-and-usage dataset, so a
//! FinOps tool reads a what-if run like a provider's own export. It is an optional extra
//! output of `run --focus`, not one of the nine reports: built from the same report model
//! ([`View::bill`], [`View::coupon_use`]), never a second computation, and printed through
//! the same CSV cell formatter, except that every time is in UTC with a `Z` (FOCUS asks
//! for it).
//!
//! With `--format parquet` the same rows go to `focus.parquet` ([`write_focus_parquet`]):
//! the cells are built once ([`FocusRow::write`] into a [`FocusSink`]); costs are typed
//! amounts and periods typed instants, printed FOCUS's way for the CSV and stored as
//! `Decimal128` and UTC timestamps in Parquet.
//!
//! Rows: per bill in bill order, the bill's `Usage` (pay-as-you-go) or `Purchase`
//! (subscription) row, then one `Credit` row per coupon taken off it, in coupon order. So Σ
//! BilledCost per BillingAccountId and BillingPeriodStart is Σ payable_amount of bills.csv
//! per payer and billing period.

use super::csv_out::{CsvOut, Encoding, Rows};
use super::model::{BillRecord, CouponUseRecord, View};
use super::parquet::BatchBuilder;
use super::schema::{Cell, Column, Kind};
use crate::calendar::{Calendar, Cycle, Instant};
use crate::error::Error;
use crate::money::{Money, MoneyRules};
use crate::scenario::BillingMethod;
use rayon::prelude::*;
use std::path::Path;

/// The column of [`COLUMNS`] whose text each row assembles, `ChargeDescription`.
const DESCRIPTION: usize = 8;

/// The file `run --focus` writes beside the reports.
pub const FOCUS_FILE: &str = "focus.csv";

/// The file `run --focus --format parquet` writes beside the reports.
pub const FOCUS_PARQUET_FILE: &str = "focus.parquet";

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

/// Bills taken from the model at a time, formatted (and sealed) in parallel chunks and
/// written in order (as the reports are, see `csv_out::write_report`).
const BATCH: usize = 1 << 14;
const CHUNK: usize = 1 << 11;

/// Writes `focus.csv` into `dir` (a staging directory, through `output::create`).
pub fn write_focus(view: View<'_>, dir: &Path) -> Result<(), Error> {
    write_focus_as(view, dir, FOCUS_FILE, Encoding::Plain)
}

/// [`write_focus`] under another name, in `encoding` (a shard's `focus.csv.part`, zstd
/// frames of a chunk of bills each, SPEC §10.9).
pub fn write_focus_as(
    view: View<'_>,
    dir: &Path,
    name: &str,
    encoding: Encoding,
) -> Result<(), Error> {
    let settings = &view.scenario.settings;
    let (calendar, money) = (&settings.calendar, settings.money);
    let mut out = CsvOut::create(dir, name, &COLUMNS, calendar, money, encoding)?;
    in_batches(view, |batch| {
        let sealed: Vec<std::io::Result<Vec<u8>>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut sink = CsvSink::new(out.detached(), settings.money);
                write_rows(view, chunk, &mut sink);
                encoding.seal(sink.rows.into_text())
            })
            .collect();
        sealed
            .into_iter()
            .try_for_each(|chunk| out.write_sealed(chunk))
    })?;
    out.finish()
}

/// A bill with the range of its coupon uses in `coupon_use`.
type BillUses<'a> = (BillRecord<'a>, std::ops::Range<usize>);

/// Hands `each` the bills in order, [`BATCH`] at a time, each with the range of its coupon
/// uses (coupon_use is in bill order too, so one pass pairs them).
fn in_batches<'a>(
    view: View<'a>,
    mut each: impl FnMut(&[BillUses<'a>]) -> Result<(), Error>,
) -> Result<(), Error> {
    let uses = &view.results.coupon_use;
    let mut next_use = 0;
    let mut bills = view.bills().peekable();
    while bills.peek().is_some() {
        let batch: Vec<BillUses<'a>> = bills
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
        each(&batch)?;
    }
    debug_assert_eq!(
        next_use,
        uses.len(),
        "every coupon use is on a bill, in bill order"
    );
    Ok(())
}

/// Writes `focus.parquet` into `dir` (a staging directory, through `output::create`): the
/// rows of `focus.csv`, typed by [`kind`], in record batches built in parallel (amounts as
/// narrow as they fit, `parquet::write_file`).
pub fn write_focus_parquet(view: View<'_>, dir: &Path) -> Result<(), Error> {
    let settings = &view.scenario.settings;
    let columns = parquet_columns();
    super::parquet::write_file(dir, FOCUS_PARQUET_FILE, &columns, settings.money, |out| {
        let schema = out.schema().clone();
        in_batches(view, |batch| {
            if out.too_narrow() {
                return Ok(());
            }
            let built: Vec<_> = batch
                .par_chunks(CHUNK)
                .map(|chunk| {
                    let mut b = BatchBuilder::new(&columns, &settings.calendar, settings.money, 0);
                    write_rows(view, chunk, &mut b);
                    b.finish(&schema)
                })
                .collect();
            built.into_iter().try_for_each(|b| out.write(b))
        })
    })
}

/// The rows of a chunk of bills, each with the range of its coupon uses, into `sink`.
fn write_rows<'a>(view: View<'a>, chunk: &[BillUses<'a>], sink: &mut impl FocusSink<'a>) {
    let uses = &view.results.coupon_use;
    for (bill, range) in chunk {
        let row = FocusRow::of_bill(view, bill);
        row.write(sink, view, bill, None);
        for c in &uses[range.clone()] {
            let credit = view.coupon_use(c);
            row.write(sink, view, bill, Some(&credit));
        }
    }
}

/// The FOCUS type of a column, for `focus.parquet`: costs are amounts, the four periods
/// instants, the account, resource, bill and coupon ids ids; the rest text (as in the CSV,
/// `PricingQuantity` and `ConsumedQuantity` included).
pub fn kind(column: &str) -> Kind {
    match column {
        "BilledCost"
        | "ContractedCost"
        | "ContractedUnitPrice"
        | "EffectiveCost"
        | "ListCost"
        | "ListUnitPrice" => Kind::Amount,
        "BillingPeriodEnd" | "BillingPeriodStart" | "ChargePeriodEnd" | "ChargePeriodStart" => {
            Kind::Instant
        }
        "BillingAccountId" | "SubAccountId" | "ResourceID" | "x_BillId" | "x_PricingAccountId"
        | "x_CouponId" => Kind::Id,
        _ => Kind::Text,
    }
}

/// The columns of `focus.parquet`: [`COLUMNS`] typed by [`kind`], every one nullable (a
/// credit row leaves the usage columns empty, and FOCUS allows nulls in most columns).
fn parquet_columns() -> Vec<Column> {
    COLUMNS
        .iter()
        .map(|&name| Column {
            name,
            kind: kind(name),
            optional: true,
        })
        .collect()
}

/// Where a FOCUS row's cells go: the CSV formatter ([`CsvSink`]) or a Parquet batch.
/// Cells borrow from the run (`'a`); a text made for the row alone goes to `text`.
trait FocusSink<'a> {
    /// The cell of column `i` of [`COLUMNS`].
    fn cell(&mut self, i: usize, cell: Cell<'a>);
    /// The text cell of column `i`, assembled for this row.
    fn text(&mut self, i: usize, text: &str);
    fn end_row(&mut self);
}

impl<'a> FocusSink<'a> for BatchBuilder<'a> {
    fn cell(&mut self, i: usize, cell: Cell<'a>) {
        BatchBuilder::cell(self, i, cell);
    }
    fn text(&mut self, i: usize, text: &str) {
        BatchBuilder::text(self, i, text);
    }
    fn end_row(&mut self) {}
}

/// FOCUS's CSV: costs as [`decimal`], times as [`utc`], the rest as the reports print
/// them. Remembers the last few times printed: consecutive bills share their periods.
struct CsvSink<'a> {
    rows: Rows<'a>,
    money: MoneyRules,
    times: [(Instant, String); 4],
    next_time: usize,
}

impl<'a> CsvSink<'a> {
    fn new(rows: Rows<'a>, money: MoneyRules) -> CsvSink<'a> {
        CsvSink {
            rows,
            money,
            times: std::array::from_fn(|_| (Instant(i64::MIN), String::new())),
            next_time: 0,
        }
    }
}

impl<'a> FocusSink<'a> for CsvSink<'_> {
    fn text(&mut self, _: usize, text: &str) {
        self.rows.cell(Cell::Text(text));
    }
    fn cell(&mut self, _: usize, cell: Cell<'a>) {
        match cell {
            Cell::Amount(m) => self.rows.cell(Cell::Text(&decimal(self.money, m))),
            Cell::Instant(t) => {
                let slot = match self.times.iter().position(|(at, _)| *at == t) {
                    Some(slot) => slot,
                    None => {
                        let slot = self.next_time;
                        self.next_time = (slot + 1) % self.times.len();
                        self.times[slot] = (t, utc(t));
                        slot
                    }
                };
                self.rows.cell(Cell::Text(&self.times[slot].1));
            }
            other => self.rows.cell(other),
        }
    }
    fn end_row(&mut self) {
        self.rows.end_row();
    }
}

/// A bill's billing period (the local month of its cycle start; SPEC §10.6).
struct FocusRow {
    billing_start: Instant,
    billing_end: Instant,
}

impl FocusRow {
    fn of_bill(view: View<'_>, bill: &BillRecord<'_>) -> FocusRow {
        let calendar: &Calendar = &view.scenario.settings.calendar;
        let (billing_start, billing_end) =
            calendar.cycle_containing(Cycle::Monthly, bill.cycle_start);
        FocusRow {
            billing_start,
            billing_end,
        }
    }

    /// One row: the bill's own (`credit` none) or one coupon use of it.
    fn write<'a>(
        &self,
        rows: &mut impl FocusSink<'a>,
        view: View<'a>,
        bill: &BillRecord<'a>,
        credit: Option<&CouponUseRecord<'a>>,
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
        let (cost, list) = (Cell::Amount(cost), Cell::Amount(list));
        let cells = [
            cost,
            Cell::Id(bill.payer_id),
            Cell::Id(bill.payer_id),
            Cell::Text(settings.currency.as_str()),
            Cell::Instant(self.billing_end),
            Cell::Instant(self.billing_start),
            Cell::Text(category),
            Cell::Empty,
            Cell::Empty, // the description, below
            Cell::Text(frequency),
            Cell::Instant(bill.cycle_end),
            Cell::Instant(bill.cycle_start),
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
        debug_assert_eq!(COLUMNS[DESCRIPTION], "ChargeDescription");
        for (i, cell) in cells.into_iter().enumerate() {
            match i {
                DESCRIPTION => rows.text(i, &description),
                _ => rows.cell(i, cell),
            }
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
fn decimal(money: MoneyRules, m: Money) -> String {
    let mut s = String::with_capacity(24);
    money.write(m, &mut s);
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
