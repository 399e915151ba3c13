//! Which model rows go to which report: one line per report, every one through the same
//! schema-driven CSV writer ([`super::csv_out::write_report`]). The match on [`ReportId`]
//! is exhaustive, so a report in the schema without a writer does not compile.

use super::csv_out::{write_report, Dest};
use super::model::View;
use super::schema::ReportId;
use crate::error::Error;

/// Writes the report `id` of `view` into `dir`.
pub(super) fn write(view: View<'_>, id: ReportId, dir: Dest<'_>) -> Result<(), Error> {
    let v = view;
    let r = v.results;
    let calendar = &v.scenario.settings.calendar;
    let money = v.scenario.settings.money;
    match id {
        ReportId::Bills => write_report(dir, calendar, money, r.bills.in_order(), |b| v.bill(b)),
        ReportId::CouponUse => write_report(dir, calendar, money, r.coupon_use.iter(), |c| {
            v.coupon_use(c)
        }),
        ReportId::Ledger => write_report(dir, calendar, money, r.ledger(), |l| v.ledger_row(l)),
        ReportId::Availability => write_report(dir, calendar, money, r.availability.iter(), |a| {
            v.availability(a)
        }),
        ReportId::Alerts => write_report(dir, calendar, money, r.alerts.iter(), |a| v.alert(a)),
        ReportId::Invoices => {
            write_report(dir, calendar, money, r.invoices.iter(), |i| v.invoice(i))
        }
        ReportId::Ownership => {
            write_report(dir, calendar, money, r.ownership.iter(), |o| v.ownership(o))
        }
        ReportId::Events => write_report(dir, calendar, money, r.events.iter(), |e| v.event(e)),
        ReportId::Summary => write_report(dir, calendar, money, r.summary.iter(), |a| v.summary(a)),
    }
}
