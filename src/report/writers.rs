//! Which model rows go to which report: one line per report, every one through the same
//! schema-driven writer of the chosen [`Format`] ([`super::csv_out::write_report`],
//! [`super::parquet::write_report`]). The match on [`ReportId`] is exhaustive, so a report
//! in the schema without a writer does not compile.

use super::csv_out::Dest;
use super::model::{Record, View};
use super::schema::ReportId;
use super::Format;
use crate::calendar::Calendar;
use crate::error::Error;
use crate::money::MoneyRules;

/// Writes the report `id` of `view` into `dir`, as `format`.
pub(super) fn write(
    view: View<'_>,
    id: ReportId,
    dir: Dest<'_>,
    format: Format,
) -> Result<(), Error> {
    let v = view;
    let r = v.results;
    let calendar = &v.scenario.settings.calendar;
    let money = v.scenario.settings.money;
    // One line per report: the rows (asked for again if a Parquet file is widened) and how
    // each becomes its record.
    macro_rules! report {
        ($items:expr, $record:expr) => {
            write_report(format, dir, calendar, money, || $items, $record)
        };
    }
    match id {
        ReportId::Bills => report!(r.bills.in_order(), |b| v.bill(b)),
        ReportId::CouponUse => report!(r.coupon_use.iter(), |c| v.coupon_use(c)),
        ReportId::Ledger => report!(r.ledger(), |l| v.ledger_row(l)),
        ReportId::Availability => report!(r.availability.iter(), |a| v.availability(a)),
        ReportId::Alerts => report!(r.alerts.iter(), |a| v.alert(a)),
        ReportId::Invoices => report!(r.invoices.iter(), |i| v.invoice(i)),
        ReportId::Ownership => report!(r.ownership.iter(), |o| v.ownership(o)),
        ReportId::Events => report!(r.events.iter(), |e| v.event(e)),
        ReportId::Summary => report!(r.summary.iter(), |a| v.summary(a)),
    }
}

/// One report in `format`: both writers take the same rows (`items` gives them, again if
/// the Parquet writer widens a file); only the file they make differs.
/// A Parquet report is always `NAME.parquet` in `dir.dir`: the renamed files of a shard's
/// partial reports are CSV only (`crate::shard` never asks for Parquet).
fn write_report<'a, T, I, R>(
    format: Format,
    dir: Dest<'_>,
    calendar: &'a Calendar,
    money: MoneyRules,
    items: impl Fn() -> I,
    record: impl Fn(&T) -> R + Sync,
) -> Result<(), Error>
where
    T: Sync,
    I: Iterator<Item = T>,
    R: Record<'a>,
{
    match format {
        Format::Csv => super::csv_out::write_report(dir, calendar, money, items(), record),
        Format::Parquet => {
            debug_assert!(dir.prefix.is_empty() && dir.suffix.is_empty());
            super::parquet::write_report(dir.dir, calendar, money, items, record)
        }
    }
}
