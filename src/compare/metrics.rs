//! The metrics of one side of a comparison (SPEC §10.1): per account and in total, and per
//! bill. Both kinds of directory reduce to the same typed rows first — a report directory
//! through the library's reader, a scenario through the report model, whose cells become
//! the values the reader would have read — so one function, [`from_tables`], computes the
//! metrics of either, and a scenario compares equal to its own reports.

use crate::calendar::Calendar;
use crate::error::{Error, Problem, ProblemKind};
use crate::report::model::{Record, View};
use crate::report::read::{self, Row, Table, Value};
use crate::report::schema::{self, Cell, Schema};
use crate::Scenario;
use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// The account and total metrics, in SPEC §10.1 order: the eight of summary.csv, then
/// `invoiced_amount`, `unavailable_seconds`, `alerts_received`.
pub const ACCOUNT_METRICS: [&str; 11] = [
    "list_amount",
    "discount_amount",
    "coupon_amount",
    "paid_amount",
    "outstanding_amount",
    "paid_as_payer",
    "outstanding_as_payer",
    "balance_end",
    "invoiced_amount",
    "unavailable_seconds",
    "alerts_received",
];

/// Whether the account metric at index `i` is an amount (else a count: seconds, alerts).
pub fn is_amount(i: usize) -> bool {
    i < 9
}

/// A bill's compared values: `payer_id`, `rule`, `paid_amount`, `outstanding_amount`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillValues {
    pub payer_id: Box<str>,
    pub rule: Box<str>,
    pub paid: Decimal,
    pub outstanding: Decimal,
}

/// One side's metrics.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// The amounts' fraction digits (`money_scale`).
    pub scale: u32,
    pub total: [Decimal; 11],
    /// By account id, in byte order.
    pub accounts: BTreeMap<Box<str>, [Decimal; 11]>,
    /// By bill id, in byte order.
    pub bills: BTreeMap<Box<str>, BillValues>,
}

/// The metrics of `path`: a scenario directory (it has `scenario.toml`; simulated in
/// memory) or a report directory (read back). A path that is not a directory is the
/// scenario loader's located error.
pub fn load(path: &Path) -> Result<Metrics, Error> {
    if path.join("scenario.toml").exists() || !path.is_dir() {
        let scenario = crate::scenario::load(path)?;
        of_scenario(&scenario)
    } else if !["bills.csv", "summary.csv"]
        .iter()
        .any(|f| path.join(f).exists())
    {
        Err(Error::Scenario(vec![Problem::new(
            ProblemKind::MissingFile,
            &path.display().to_string(),
            0,
            "-",
            if path.join("bills.parquet").exists() {
                "a report directory of run --format parquet: compare reads CSV reports (run without --format parquet, or compare the scenario itself)"
            } else {
                "neither a scenario directory (no scenario.toml) nor a report directory (no bills.csv or summary.csv)"
            },
        )]))
    } else {
        // Only the five reports the metrics read (the ledger is most of a large run's
        // bytes); every problem of each is reported, as `read::read_dir` does.
        let mut problems = Vec::new();
        let mut tables = Vec::new();
        // In report order, as `read::read_dir` reports them.
        for s in [
            &schema::BILLS,
            &schema::AVAILABILITY,
            &schema::ALERTS,
            &schema::INVOICES,
            &schema::SUMMARY,
        ] {
            match read::read_table(path, s) {
                Ok(t) => tables.push(t),
                Err(Error::Scenario(p)) => problems.extend(p),
                Err(e) => return Err(e),
            }
        }
        let [bills, availability, alerts, invoices, summary] = tables.as_slice() else {
            return Err(Error::Scenario(problems));
        };
        from_tables(
            scale_of(summary),
            summary,
            invoices,
            availability,
            alerts,
            bills,
            &path.display().to_string(),
        )
    }
}

/// The metrics of a loaded scenario, simulated (nothing is written).
pub fn of_scenario(scenario: &Scenario) -> Result<Metrics, Error> {
    let results = crate::simulate(scenario)?;
    of_results(scenario, &results, true)
}

/// The metrics of `results`, a simulation of `scenario` (or of some of its components: a
/// sweep's, SPEC §10.3). Without `per_bill` the bill metrics are left empty, which spares
/// converting every bill when only the account metrics are wanted.
pub fn of_results(
    scenario: &Scenario,
    results: &crate::engine::outcome::Results,
    per_bill: bool,
) -> Result<Metrics, Error> {
    let view = View::new(scenario, results);
    let cal = &scenario.settings.calendar;
    let money = scenario.settings.money;
    let scale = money.scale;
    let to_value = |c: Cell<'_>| value(cal, &money, c);
    let summary = table(
        &schema::SUMMARY,
        results.summary.iter().map(|r| view.summary(r)),
        to_value,
    );
    let invoices = table(
        &schema::INVOICES,
        results.invoices.iter().map(|r| view.invoice(r)),
        to_value,
    );
    let availability = table(
        &schema::AVAILABILITY,
        results.availability.iter().map(|r| view.availability(r)),
        to_value,
    );
    let alerts = table(
        &schema::ALERTS,
        results.alerts.iter().map(|r| view.alert(r)),
        to_value,
    );
    let bills = if per_bill {
        table(&schema::BILLS, view.bills(), to_value)
    } else {
        Table {
            schema: &schema::BILLS,
            rows: Vec::new(),
        }
    };
    from_tables(
        scale,
        &summary,
        &invoices,
        &availability,
        &alerts,
        &bills,
        &scenario.settings.name,
    )
}

/// The columns [`from_tables`] reads; the others are left empty when a scenario's rows
/// are converted (a large run's bills would otherwise be held as every cell, twice).
const USED: [&str; 17] = [
    "account_id",
    "list_amount",
    "discount_amount",
    "coupon_amount",
    "paid_amount",
    "outstanding_amount",
    "paid_as_payer",
    "outstanding_as_payer",
    "balance_end",
    "recipient_id",
    "amount",
    "from",
    "to",
    "status",
    "bill_id",
    "payer_id",
    "rule",
];

/// The typed rows of `records`, as the reader would return them (in the columns
/// [`from_tables`] reads).
fn table<'a, R: Record<'a>>(
    schema: &'static Schema,
    records: impl Iterator<Item = R>,
    to_value: impl Fn(Cell<'a>) -> Value,
) -> Table {
    let used: Vec<bool> = schema.names().map(|n| USED.contains(&n)).collect();
    let rows = records
        .enumerate()
        .map(|(i, r)| Row {
            line: i as u64 + 2,
            cells: r
                .cells()
                .as_ref()
                .iter()
                .zip(&used)
                .map(|(c, &u)| if u { to_value(*c) } else { Value::Empty })
                .collect(),
        })
        .collect();
    Table { schema, rows }
}

/// The value the reader would read for a cell trustsim writes.
fn value(cal: &Calendar, money: &crate::money::MoneyRules, cell: Cell<'_>) -> Value {
    match cell {
        Cell::Id(s) | Cell::Text(s) => Value::Text(s.into()),
        Cell::BillId(resource, at) => {
            let mut id = format!("{resource}@");
            cal.write_time(at, &mut id);
            Value::Text(id.into())
        }
        Cell::Amount(m) => Value::Amount(money.at_scale(m.decimal()).decimal()),
        Cell::Instant(t) => {
            let offset = cal.zone.offset_seconds(t) / 60 * 60;
            match FixedOffset::east_opt(offset)
                .zip(DateTime::from_timestamp(t.0, 0))
                .map(|(o, d)| d.with_timezone(&o))
            {
                Some(d) => Value::Instant(d),
                None => Value::Empty,
            }
        }
        Cell::Integer(n) => Value::Integer(n),
        Cell::Month(y, m) => Value::Month(y, m),
        Cell::Empty => Value::Empty,
    }
}

/// A report directory's `money_scale`: the fraction digits of its amounts (trustsim
/// writes every amount at it); 2, the default, when it has no accounts.
fn scale_of(summary: &Table) -> u32 {
    summary
        .rows
        .first()
        .and_then(|r| r.cells.get(1))
        .and_then(Value::amount)
        .map_or(2, |d| d.scale())
}

fn col(schema: &Schema, name: &str) -> usize {
    // The names are the schema's own (tests cover every one used here).
    schema.column(name).unwrap_or(usize::MAX)
}

fn text(row: &Row, i: usize) -> &str {
    row.cells.get(i).and_then(Value::text).unwrap_or("")
}

fn amount(row: &Row, i: usize) -> Decimal {
    row.cells
        .get(i)
        .and_then(Value::amount)
        .unwrap_or(Decimal::ZERO)
}

/// Computes one side's metrics from its typed rows; `origin` names the side in the error
/// when a sum does not fit exactly.
pub fn from_tables(
    scale: u32,
    summary: &Table,
    invoices: &Table,
    availability: &Table,
    alerts: &Table,
    bills: &Table,
    origin: &str,
) -> Result<Metrics, Error> {
    let too_big = |what: &str| {
        Error::Scenario(vec![Problem::new(
            ProblemKind::BadValue,
            origin,
            0,
            what,
            "the sum does not fit exactly",
        )])
    };
    let add = |to: &mut Decimal, d: Decimal, what: &str| -> Result<(), Error> {
        *to = to.checked_add(d).ok_or_else(|| too_big(what))?;
        Ok(())
    };
    let mut accounts: BTreeMap<Box<str>, [Decimal; 11]> = BTreeMap::new();
    let zero = [Decimal::ZERO; 11];
    let s = &schema::SUMMARY;
    for row in &summary.rows {
        let m = accounts.entry(text(row, 0).into()).or_insert(zero);
        for (i, name) in ACCOUNT_METRICS[..8].iter().enumerate() {
            m[i] = amount(row, col(s, name));
        }
    }
    let (recipient, amt) = (
        col(&schema::INVOICES, "recipient_id"),
        col(&schema::INVOICES, "amount"),
    );
    for row in &invoices.rows {
        let m = accounts.entry(text(row, recipient).into()).or_insert(zero);
        add(&mut m[8], amount(row, amt), "invoiced_amount")?;
    }
    let a = &schema::AVAILABILITY;
    let (acc, from, to, status) = (
        col(a, "account_id"),
        col(a, "from"),
        col(a, "to"),
        col(a, "status"),
    );
    for row in &availability.rows {
        if text(row, status) != "unavailable" {
            continue;
        }
        let at = |i: usize| row.cells.get(i).and_then(Value::instant).map_or(0, |t| t.0);
        let m = accounts.entry(text(row, acc).into()).or_insert(zero);
        add(
            &mut m[9],
            Decimal::from(at(to) - at(from)),
            "unavailable_seconds",
        )?;
    }
    let recipient = col(&schema::ALERTS, "recipient_id");
    for row in &alerts.rows {
        let m = accounts.entry(text(row, recipient).into()).or_insert(zero);
        add(&mut m[10], Decimal::ONE, "alerts_received")?;
    }
    let mut total = zero;
    for m in accounts.values_mut() {
        for (i, v) in m.iter_mut().enumerate() {
            if is_amount(i) {
                v.rescale(scale);
            }
            add(&mut total[i], *v, ACCOUNT_METRICS[i])?;
        }
    }
    for (i, v) in total.iter_mut().enumerate() {
        if is_amount(i) {
            v.rescale(scale);
        }
    }
    let b = &schema::BILLS;
    let (id, payer, rule, paid, outstanding) = (
        col(b, "bill_id"),
        col(b, "payer_id"),
        col(b, "rule"),
        col(b, "paid_amount"),
        col(b, "outstanding_amount"),
    );
    let bills = bills
        .rows
        .iter()
        .map(|row| {
            (
                text(row, id).into(),
                BillValues {
                    payer_id: text(row, payer).into(),
                    rule: text(row, rule).into(),
                    paid: amount(row, paid),
                    outstanding: amount(row, outstanding),
                },
            )
        })
        .collect();
    Ok(Metrics {
        scale,
        total,
        accounts,
        bills,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_used_is_in_its_schema() {
        for name in &ACCOUNT_METRICS[..8] {
            assert!(schema::SUMMARY.column(name).is_some(), "{name}");
        }
        for (s, names) in [
            (&schema::INVOICES, &["recipient_id", "amount"][..]),
            (
                &schema::AVAILABILITY,
                &["account_id", "from", "to", "status"],
            ),
            (&schema::ALERTS, &["recipient_id"]),
            (
                &schema::BILLS,
                &[
                    "bill_id",
                    "payer_id",
                    "rule",
                    "paid_amount",
                    "outstanding_amount",
                ],
            ),
        ] {
            for name in names {
                assert!(s.column(name).is_some(), "{}: {name}", s.name);
            }
        }
    }
}
