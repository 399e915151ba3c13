//! `compare --format html`: each comparison side by side, differences first — the totals
//! (what differs on top), a chart of the accounts that changed most, then the differing
//! account and bill rows. Drawn from the [`Comparison`]'s metrics and rows only.

use super::page::document;
use super::svg::{self, c, ValueAxis, LEFT, RIGHT, WIDTH};
use crate::compare::diff::{Row, Scope};
use crate::compare::metrics::{is_amount, ACCOUNT_METRICS};
use crate::compare::Comparison;
use maud::{html, Markup};
use rust_decimal::Decimal;

/// Accounts drawn in the chart, bill rows listed.
const MAX_CHART: usize = 15;
const MAX_BILLS: usize = 200;
const MAX_ACCOUNT_ROWS: usize = 600;

/// The page of `comparisons`; `variants` names each by its variant.
pub fn render(comparisons: &[Comparison], variants: bool) -> String {
    let body = html! {
        h1 { "trustsim comparison" }
        p.meta { (comparisons.len()) " comparisons. a and b side by side; delta = b − a; what differs first." }
        @for (k, cmp) in comparisons.iter().enumerate() {
            (one(k, cmp, variants))
        }
    };
    document("comparison", body)
}

fn show(metric: &str, d: Decimal, scale: u32) -> String {
    if metric == "unavailable_seconds" {
        let mut h = d / Decimal::from(3600);
        h = h.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        format!("{} h", h.normalize())
    } else if ACCOUNT_METRICS
        .iter()
        .position(|m| *m == metric)
        .is_some_and(is_amount)
    {
        svg::money(d, scale)
    } else {
        d.normalize().to_string()
    }
}

fn one(k: usize, cmp: &Comparison, variants: bool) -> Markup {
    let scale = cmp.a.scale.max(cmp.b.scale);
    let title = match (&cmp.variant, variants) {
        (Some(v), true) => format!("{} vs variant {v}", cmp.a_name),
        _ => format!("{} vs {}", cmp.a_name, cmp.b_name),
    };
    let mut totals: Vec<(usize, bool)> = (0..ACCOUNT_METRICS.len())
        .map(|i| (i, cmp.a.total[i] != cmp.b.total[i]))
        .collect();
    totals.sort_by_key(|&(i, differs)| (!differs, i));
    let account_rows: Vec<&Row> = cmp
        .rows
        .iter()
        .filter(|r| r.scope == Scope::Account)
        .collect();
    let bill_rows: Vec<&Row> = cmp.rows.iter().filter(|r| r.scope == Scope::Bill).collect();
    html! {
        section.comparison id=(format!("c{k}")) data-differences=(cmp.rows.len()) {
            h2 { (title) }
            p.meta { "a: " (cmp.a_name) " · b: " (cmp.b_name) " · " (cmp.rows.len()) " difference rows" }
            @if cmp.rows.is_empty() {
                p.note data-no-difference="" { "No difference." }
            }
            h3 { "Totals, side by side" }
            table.totals {
                thead { tr { th { "metric" } th.n { "a" } th.n { "b" } th.n { "delta (b − a)" } } }
                tbody {
                    @for (i, differs) in totals {
                        @let m = ACCOUNT_METRICS[i];
                        @let (a, b) = (cmp.a.total[i], cmp.b.total[i]);
                        tr.diff[differs] {
                            th { (m) }
                            td.n data-side="a" data-metric=(m) data-value=(a) { (show(m, a, scale)) }
                            td.n data-side="b" data-metric=(m) data-value=(b) { (show(m, b, scale)) }
                            td.n { @if differs { (signed(m, b - a, scale)) } }
                        }
                    }
                }
            }
            (chart(k, cmp, scale))
            h3 { "Accounts that differ" }
            @if account_rows.is_empty() { p.note { "None." } } @else {
                table {
                    thead { tr { th { "account" } th { "metric" } th.n { "a" } th.n { "b" } th.n { "delta" } } }
                    tbody { @for r in account_rows.iter().take(MAX_ACCOUNT_ROWS) { (row(r, scale)) } }
                }
                @if account_rows.len() > MAX_ACCOUNT_ROWS { p.note { (account_rows.len() - MAX_ACCOUNT_ROWS) " more rows: --format csv lists every one." } }
            }
            h3 { "Bills that differ" }
            @if bill_rows.is_empty() { p.note { "None." } } @else {
                table {
                    thead { tr { th { "bill" } th { "metric" } th.n { "a" } th.n { "b" } th.n { "delta" } } }
                    tbody { @for r in bill_rows.iter().take(MAX_BILLS) { (row(r, scale)) } }
                }
                @if bill_rows.len() > MAX_BILLS { p.note { (bill_rows.len() - MAX_BILLS) " more rows: --format csv lists every one." } }
            }
        }
    }
}

fn signed(metric: &str, d: Decimal, scale: u32) -> String {
    let s = show(metric, d, scale);
    if d > Decimal::ZERO {
        format!("+{s}")
    } else {
        s
    }
}

fn row(r: &Row, scale: u32) -> Markup {
    let num = |v: &crate::compare::diff::Val| match v {
        crate::compare::diff::Val::Num(d) => show(r.metric, *d, scale),
        v => v.to_string(),
    };
    html! {
        tr {
            td { (r.id) } td { (r.metric) } td.n { (num(&r.a)) } td.n { (num(&r.b)) }
            td.n { @if let Some(d) = r.delta { (signed(r.metric, d, scale)) } }
        }
    }
}

/// Paired bars, a above b, of the amount metric whose total changed most, for the accounts
/// whose value of it changed most.
fn chart(k: usize, cmp: &Comparison, scale: u32) -> Markup {
    // Who pays first (paid_as_payer), then what was paid; the largest change wins.
    let preference = [5, 3, 6, 4, 7, 8, 0, 1, 2];
    let metric = preference
        .iter()
        .copied()
        .filter(|&i| is_amount(i))
        .rev()
        .max_by_key(|&i| (cmp.b.total[i] - cmp.a.total[i]).abs())
        .filter(|&i| cmp.a.total[i] != cmp.b.total[i]);
    let Some(m) = metric else {
        return html! {};
    };
    let mut accounts: Vec<(&str, Decimal, Decimal)> = cmp
        .a
        .accounts
        .keys()
        .chain(cmp.b.accounts.keys())
        .map(|id| {
            let a = cmp.a.accounts.get(id).map_or(Decimal::ZERO, |v| v[m]);
            let b = cmp.b.accounts.get(id).map_or(Decimal::ZERO, |v| v[m]);
            (&**id, a, b)
        })
        .filter(|(_, a, b)| a != b)
        .collect();
    accounts.sort_by(|x, y| (y.2 - y.1).abs().cmp(&(x.2 - x.1).abs()).then(x.0.cmp(y.0)));
    accounts.dedup_by(|x, y| x.0 == y.0);
    accounts.truncate(MAX_CHART);
    let name = ACCOUNT_METRICS[m];
    let rows = accounts.len() as i64;
    let v = ValueAxis::over(accounts.iter().flat_map(|(_, a, b)| [*a, *b]), 0, 1);
    // Horizontal bars: the value axis runs along x.
    let x = |d: Decimal| {
        let h = ValueAxis {
            lo: v.lo,
            hi: v.hi,
            top: 0,
            bottom: (RIGHT - LEFT) * 10,
        };
        LEFT * 10 + (h.bottom - h.y(d))
    };
    let height = 200 + rows * 300 + 300;
    let title_id = format!("cmp{k}");
    html! {
        figure data-chart="compare" {
            h3 { (name) " by account, a and b" }
            div.legend {
                span { svg viewBox="0 0 26 12" aria-hidden="true" { rect width="26" height="12" fill="#08306b" {} } "a" }
                span { svg viewBox="0 0 26 12" aria-hidden="true" { rect width="26" height="12" fill="url(#p-t51)" {} } "b" }
            }
            svg.chart viewBox=(format!("0 0 {WIDTH} {}", c(height))) role="img" aria-labelledby=(title_id) {
                title id=(title_id) { (name) " of the accounts whose value changed most, a above b" }
                @for (i, (id, a, b)) in accounts.iter().enumerate() {
                    @let y = 200 + i as i64 * 300;
                    text x=(c(LEFT * 10 - 60)) y=(c(y + 170)) text-anchor="end" { (id) }
                    rect x=(c(LEFT * 10)) y=(c(y)) width=(c((x(*a) - LEFT * 10).max(5))) height="11" fill="#08306b" {
                        title { (id) " a: " (svg::money(*a, scale)) }
                    }
                    rect x=(c(LEFT * 10)) y=(c(y + 120)) width=(c((x(*b) - LEFT * 10).max(5))) height="11" fill="url(#p-t51)" stroke="#a63603" {
                        title { (id) " b: " (svg::money(*b, scale)) }
                    }
                }
                line x1=(c(LEFT * 10)) x2=(c(LEFT * 10)) y1="10" y2=(c(200 + rows * 300)) stroke="#666" {}
                text.ax x=(c((LEFT + RIGHT) * 5)) y=(c(height - 80)) text-anchor="middle" { (name) " (0 at the axis)" }
            }
            details {
                summary { "As text" }
                table {
                    thead { tr { th { "account" } th.n { "a" } th.n { "b" } } }
                    tbody { @for (id, a, b) in &accounts { tr { td { (id) } td.n { (svg::money(*a, scale)) } td.n { (svg::money(*b, scale)) } } } }
                }
            }
        }
    }
}
