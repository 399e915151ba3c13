//! The difference rows of two sides' metrics (SPEC §10.1): ordered by scope (`total`,
//! `account`, `bill`), id in byte order, metric in the SPEC's order; one row per
//! difference, or per value with `all`. `delta` is b − a, exact; empty for text metrics.

use super::metrics::{is_amount, BillValues, Metrics, ACCOUNT_METRICS};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Total,
    Account,
    Bill,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Total => "total",
            Scope::Account => "account",
            Scope::Bill => "bill",
        }
    }
}

/// One side's value of a metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    /// An amount (at the scale) or a count.
    Num(Decimal),
    Text(Box<str>),
    /// `present` / empty: the metric `bill` of a bill on one side only.
    Present,
    Absent,
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Num(d) => write!(f, "{d}"),
            Val::Text(t) => f.write_str(t),
            Val::Present => f.write_str("present"),
            Val::Absent => Ok(()),
        }
    }
}

/// One row of the csv form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub scope: Scope,
    /// Empty for `total`.
    pub id: Box<str>,
    pub metric: &'static str,
    pub a: Val,
    pub b: Val,
    /// b − a for numbers; none for text and `bill`.
    pub delta: Option<Decimal>,
}

/// The rows comparing `a` with `b`; with `all`, equal values too.
pub fn diff(a: &Metrics, b: &Metrics, all: bool) -> Vec<Row> {
    let scale = a.scale.max(b.scale);
    let mut rows = Vec::new();
    numbers(&mut rows, Scope::Total, "", &a.total, &b.total, scale, all);
    let zero = [Decimal::ZERO; 11];
    let ids: BTreeSet<&str> = a
        .accounts
        .keys()
        .chain(b.accounts.keys())
        .map(|k| &**k)
        .collect();
    for id in ids {
        let va = a.accounts.get(id).unwrap_or(&zero);
        let vb = b.accounts.get(id).unwrap_or(&zero);
        numbers(&mut rows, Scope::Account, id, va, vb, scale, all);
    }
    let ids: BTreeSet<&str> = a.bills.keys().chain(b.bills.keys()).map(|k| &**k).collect();
    for id in ids {
        match (a.bills.get(id), b.bills.get(id)) {
            (Some(x), Some(y)) => bill(&mut rows, id, x, y, scale, all),
            (x, _) => {
                let side = |present: bool| if present { Val::Present } else { Val::Absent };
                rows.push(Row {
                    scope: Scope::Bill,
                    id: id.into(),
                    metric: "bill",
                    a: side(x.is_some()),
                    b: side(x.is_none()),
                    delta: None,
                });
            }
        }
    }
    rows
}

fn at(mut d: Decimal, scale: u32) -> Decimal {
    d.rescale(scale);
    d
}

fn number_row(
    scope: Scope,
    id: &str,
    metric: &'static str,
    a: Decimal,
    b: Decimal,
    scale: u32,
) -> Row {
    // Both at most 28 digits at the same scale: the difference is exact in `Decimal` for
    // every amount a scenario can hold (SPEC §3 limits); saturate rather than panic.
    let delta = b.checked_sub(a).unwrap_or(Decimal::MAX);
    let (a, b, delta) = (at(a, scale), at(b, scale), at(delta, scale));
    Row {
        scope,
        id: id.into(),
        metric,
        a: Val::Num(a),
        b: Val::Num(b),
        delta: Some(delta),
    }
}

fn numbers(
    rows: &mut Vec<Row>,
    scope: Scope,
    id: &str,
    a: &[Decimal; 11],
    b: &[Decimal; 11],
    scale: u32,
    all: bool,
) {
    for (i, metric) in ACCOUNT_METRICS.iter().enumerate() {
        if all || a[i] != b[i] {
            let s = if is_amount(i) { scale } else { 0 };
            rows.push(number_row(scope, id, metric, a[i], b[i], s));
        }
    }
}

fn bill(rows: &mut Vec<Row>, id: &str, a: &BillValues, b: &BillValues, scale: u32, all: bool) {
    for (metric, x, y) in [
        ("payer_id", &a.payer_id, &b.payer_id),
        ("rule", &a.rule, &b.rule),
    ] {
        if all || x != y {
            rows.push(Row {
                scope: Scope::Bill,
                id: id.into(),
                metric,
                a: Val::Text(x.clone()),
                b: Val::Text(y.clone()),
                delta: None,
            });
        }
    }
    for (metric, x, y) in [
        ("paid_amount", a.paid, b.paid),
        ("outstanding_amount", a.outstanding, b.outstanding),
    ] {
        if all || x != y {
            rows.push(number_row(Scope::Bill, id, metric, x, y, scale));
        }
    }
}
