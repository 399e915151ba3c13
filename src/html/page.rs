//! Lays the [`Page`] out as one HTML document (maud: every text and attribute value is
//! escaped at compile-time-checked sites, so an id like `<script>` shows as text). Each
//! chart is an inline SVG with axis labels, a legend, a `<title>` per shape for hover
//! details, and a text alternative (its data as a table, under a `<details>`).

use super::input::{Input, Time, SUMMARY_AMOUNTS};
use super::model::{self, Group, Page, Series, Totals, BUCKETS};
use super::style;
use super::svg::{self, c, TimeAxis, ValueAxis, LEFT, RIGHT, WIDTH};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::Decimal;

/// A document around `body`, with the policy that forbids every request.
pub fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(style::CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — trustsim" }
                style { (PreEscaped(style::CSS)) }
            }
            body {
                (PreEscaped(style::DEFS))
                (body)
                script { (PreEscaped(style::JS)) }
            }
        }
    }
    .into_string()
}

/// The report page.
pub fn render(input: &Input, page: &Page) -> String {
    let body = html! {
        header {
            h1 { "trustsim report: " (input.title) }
            p.meta {
                "Horizon " (page.horizon.0.show()) " to " (page.horizon.1.show())
                " · " (plural(page.accounts, "account", "accounts")) " · " (plural(page.groups.len(), "main", "mains")) " · "
                (plural(page.events, "event", "events")) ". Every number comes from the run's reports."
            }
        }
        h2 { "Totals" }
        (totals_table(&page.totals, input.scale, "data-total"))
        @if page.groups.len() > 1 {
            (fleet(input, page))
        }
        @for (k, g) in page.groups.iter().enumerate() {
            (group(input, page, k, g))
        }
        @if !page.others.is_empty() {
            section #others {
                h2 { "Accounts in no trusteeship (" (page.others.len()) ")" }
                (totals_table(&page.others_totals, input.scale, "data-others-total"))
                (availability_chart(input, page, "others", &page.others_down, (0, 0), page.others.len() - page.others_down.len()))
            }
        }
    };
    document(&input.title, body)
}

/// summary.csv's amounts summed, each cell carrying its column and exact value.
fn totals_table(t: &Totals, scale: u32, attr: &str) -> Markup {
    html! {
        table.totals {
            thead { tr { @for name in SUMMARY_AMOUNTS { th.n { (name) } } } }
            tbody { tr {
                @for (i, name) in SUMMARY_AMOUNTS.iter().enumerate() {
                    @let v = svg::money(t[i], scale);
                    @if attr == "data-total" {
                        td.n data-total=(name) data-value=(v) { (v) }
                    } @else {
                        td.n data-group=(attr) data-metric=(name) data-value=(v) { (v) }
                    }
                }
            } }
        }
    }
}

/// One line per main, the mains that need a look (downtime, deferrals) first.
fn fleet(input: &Input, page: &Page) -> Markup {
    let n = &input.names;
    let mut order: Vec<usize> = (0..page.groups.len()).collect();
    order.sort_by_key(|&k| {
        let g = &page.groups[k];
        let down = g.availability.len() + g.more_down.0;
        (std::cmp::Reverse(down + g.deferred), k)
    });
    html! {
        h2 { "Fleet overview" }
        p.note { "Mains with unavailable accounts or deferred requests first. Each name links to its section." }
        table {
            thead { tr {
                th { "main" } th.n { "linked" } th.n { "paid by main" } th.n { "paid by linked" }
                th.n { "outstanding" } th.n { "accounts unavailable" } th.n { "deferred" } th.n { "rejected" } th.n { "low-balance alerts" }
            } }
            tbody {
                @for k in order {
                    @let g = &page.groups[k];
                    tr {
                        td { a href=(format!("#g{k}")) { (n.get(g.main)) } }
                        td.n { (g.linked.len()) }
                        td.n { (svg::money(g.main_summary[5], input.scale)) }
                        td.n { (svg::money(g.linked_paid, input.scale)) }
                        td.n { (svg::money(g.totals[6], input.scale)) }
                        td.n { (g.availability.len() + g.more_down.0) }
                        td.n { (g.deferred) }
                        td.n { (g.rejected) }
                        td.n { (g.alerts.len()) }
                    }
                }
            }
        }
    }
}

fn group(input: &Input, page: &Page, k: usize, g: &Group) -> Markup {
    let n = &input.names;
    let s = input.scale;
    let id = format!("g{k}");
    html! {
        section.group id=(id) {
            h2 { "Main " (n.get(g.main)) " — " (plural(g.linked.len(), "linked account", "linked accounts")) }
            h3 { "Summary" }
            table {
                tbody {
                    tr { th { "accounts" } td.n { (1 + g.linked.len()) } td { "the main and every account ever linked to it" } }
                    tr { th { "paid by the main" } td.n data-paid-by="main" { (svg::money(g.main_summary[5], s)) } td { "paid_as_payer of " (n.get(g.main)) } }
                    tr { th { "paid by linked accounts themselves" } td.n data-paid-by="linked" { (svg::money(g.linked_paid, s)) } td { "their own bills before the trusteeship, and in T3 and T5.1 cycles" } }
                    tr { th { "outstanding" } td.n { (svg::money(g.main_summary[6].checked_add(g.linked_outstanding).unwrap_or(g.main_summary[6]), s)) } td { "outstanding_as_payer" } }
                }
            }
            p.note { "summary.csv summed over the main and its linked accounts:" }
            (totals_table(&g.totals, s, &id))
            h3 { "Requests by outcome and rule" }
            @if g.requests.is_empty() {
                p.note { "No requests." }
            } @else {
                table {
                    thead { tr { th { "kind" } th { "outcome" } th { "rule" } th.n { "count" } } }
                    tbody {
                        @for ((kind, outcome, rule), count) in &g.requests {
                            tr { td { (kind) } td { (outcome) } td { (rule) } td.n { (count) } }
                        }
                    }
                }
            }
            (timeline_chart(input, page, k, g))
            (availability_chart(input, page, &id, &g.availability, g.more_down, g.always_available))
            (balance_chart(input, page, k, g))
            (coupon_chart(input, page, k, g))
            (invoice_chart(input, k, g))
            (events_table(input, k, g))
        }
    }
}

/// Fill of a payer-timeline stretch by its rule; patterns keep them apart in greyscale.
fn rule_fill(rule: &str) -> &'static str {
    match rule {
        "L1" => "#08306b",
        "B1" => "#d9d9d9",
        "T3" => "url(#p-t3)",
        "T5.1" => "url(#p-t51)",
        _ => "#737373",
    }
}

fn swatch(fill: &str) -> Markup {
    html! {
        svg viewBox="0 0 26 12" aria-hidden="true" { rect width="26" height="12" fill=(fill) {} }
    }
}

fn time_axis(axis: &TimeAxis, top: i64, bottom: i64) -> Markup {
    html! {
        g.axis {
            line x1=(c(LEFT * 10)) x2=(c(RIGHT * 10)) y1=(c(bottom)) y2=(c(bottom)) stroke="#666" {}
            @for (t, label) in axis.ticks() {
                @let x = axis.x(t);
                line x1=(c(x)) x2=(c(x)) y1=(c(top)) y2=(c(bottom + 40)) stroke="#e0e0e0" {}
                text.ax x=(c(x)) y=(c(bottom + 150)) text-anchor="middle" { (label) }
            }
            text.ax x=(c((LEFT + RIGHT) * 5)) y=(c(bottom + 300)) text-anchor="middle" { "time (local, " (offset_label(axis.t0)) ")" }
        }
    }
}

fn offset_label(t: Time) -> String {
    let s = t.show();
    s.get(19..).unwrap_or("").to_string()
}

const ROW: i64 = 180;
const BAR: i64 = 130;

fn timeline_chart(input: &Input, page: &Page, k: usize, g: &Group) -> Markup {
    let n = &input.names;
    let axis = TimeAxis {
        t0: page.horizon.0,
        t1: page.horizon.1,
    };
    let rows = g.timeline.len() + g.patterns.len();
    let top = 190;
    let bottom = top + ROW * rows as i64 + 40;
    let height = bottom + 340;
    let title_id = format!("tl{k}");
    let aggregated: usize = g.patterns.iter().map(|p| p.accounts.len()).sum();
    html! {
        figure.chart-timeline data-chart="timeline" {
            h3 { "Who paid each linked account's bills" }
            div.legend {
                span { (swatch(rule_fill("B1"))) "B1 the account pays itself" }
                span { (swatch(rule_fill("T3"))) "T3 cycle containing the request: still the old payer" }
                span { (swatch(rule_fill("T5.1"))) "T5.1 deferred to the next billing period" }
                span { (swatch(rule_fill("L1"))) "L1 the main pays" }
                span { (swatch("#737373")) "another rule" }
                span { "▼ request (tooltip: seq, outcome, rule) · │ deferred request takes effect" }
            }
            @if rows == 0 {
                p.note { "No linked account has bills." }
            } @else {
                svg.chart viewBox=(format!("0 0 {WIDTH} {}", c(height))) role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { "Payer timeline of the linked accounts of " (n.get(g.main)) }
                    (time_axis(&axis, top, bottom))
                    @for (i, r) in g.timeline.iter().enumerate() {
                        @let y = top + ROW * i as i64;
                        text x=(c(LEFT * 10 - 60)) y=(c(y + 105)) text-anchor="end" { (fit(n.get(r.account))) title { (n.get(r.account)) } }
                        @for s in &r.segments {
                            @let (x0, x1) = (axis.x(s.from), axis.x(s.to));
                            rect x=(c(x0)) y=(c(y)) width=(c((x1 - x0).max(25))) height=(c(BAR)) fill=(rule_fill(n.get(s.rule))) {
                                title { (n.get(r.account)) ": " (n.get(s.rule)) ", paid by " (n.get(s.payer)) ", " (short(s.from, axis.t0)) " – " (short(s.to, axis.t0)) }
                            }
                        }
                        @for m in &r.markers {
                            @let x = axis.x(m.time.at);
                            path d=(format!("M{} {}l-4 -6h8z", c(x), c(y + 10))) fill="#000" stroke="#fff" stroke-width="0.5" {
                                title { "seq " (m.seq) " " (m.kind) " " (m.outcome) " (" (m.rule) ") at " (m.time.show())
                                    @if let Some(e) = m.effective_at { ", effective " (e.show()) } }
                            }
                            @if let (Some(e), "deferred") = (m.effective_at, &*m.outcome) {
                                @let xe = axis.x(e.at);
                                line x1=(c(xe)) x2=(c(xe)) y1=(c(y - 20)) y2=(c(y + BAR + 20)) stroke="#000" stroke-width="2.5" {
                                    title { "seq " (m.seq) " takes effect " (e.show()) " (T5.1)" }
                                }
                            }
                        }
                    }
                    @for (j, p) in g.patterns.iter().enumerate() {
                        @let y = top + ROW * (g.timeline.len() + j) as i64;
                        @let count = p.accounts.len().max(1) as u32;
                        text x=(c(LEFT * 10 - 60)) y=(c(y + 105)) text-anchor="end" { (p.accounts.len()) " accounts" }
                        rect x=(c(LEFT * 10)) y=(c(y)) width=(c((RIGHT - LEFT) * 10)) height=(c(BAR)) fill=(rule_fill("B1")) {
                            title { (p.accounts.len()) " accounts following " (p.pattern) "; darker = more of them paid by the main" }
                        }
                        @for (from, to, paid) in runs(&p.main_paid) {
                            @let x0 = bucket_x(from);
                            @let x1 = bucket_x(to);
                            rect x=(c(x0)) y=(c(y)) width=(c(x1 - x0)) height=(c(BAR)) fill=(rule_fill("L1")) fill-opacity=(opacity(paid, count)) {
                                title { (paid) " of " (count) " paid by the main" }
                            }
                        }
                        text.pattern x=(c(LEFT * 10 + 40)) y=(c(y + 100)) { (p.pattern) }
                    }
                    text.ax x=(c(LEFT * 10 - 60)) y="12" text-anchor="end" { "linked account" }
                }
                figcaption {
                    (plural(g.timeline.len(), "account", "accounts")) " drawn one row each (deferred or ever unavailable first)"
                    @if aggregated > 0 {
                        "; " (aggregated) " more grouped by the pattern of their rules, one row per pattern (" (g.patterns.len()) " patterns), shaded by the share the main paid"
                    }
                    "."
                }
                details {
                    summary { "Payer timeline as text" }
                    table {
                        thead { tr { th { "account" } th { "stretches: rule (payer) from – to" } } }
                        tbody {
                            @for r in &g.timeline {
                                tr { td { (n.get(r.account)) } td {
                                    @for (i, s) in r.segments.iter().enumerate() {
                                        @if i > 0 { "; " }
                                        (n.get(s.rule)) " (" (n.get(s.payer)) ") " (short(s.from, axis.t0)) " – " (short(s.to, axis.t0))
                                    }
                                } }
                            }
                            @for p in &g.patterns {
                                tr { td { (p.accounts.len()) " accounts" } td { (p.pattern) ": " (names_list(input, &p.accounts, 12)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Runs of equal non-zero counts: (first bucket, bucket after the last, count).
fn runs(counts: &[u32]) -> Vec<(usize, usize, u32)> {
    let mut out: Vec<(usize, usize, u32)> = Vec::new();
    for (k, &n) in counts.iter().enumerate() {
        match out.last_mut() {
            Some(r) if r.1 == k && r.2 == n => r.1 = k + 1,
            _ if n > 0 => out.push((k, k + 1, n)),
            _ => {}
        }
    }
    out
}

/// The left edge of bucket `k` of [`BUCKETS`] (or the plot's right edge for `BUCKETS`).
fn bucket_x(k: usize) -> i64 {
    LEFT * 10 + (RIGHT - LEFT) * 10 * k as i64 / BUCKETS as i64
}

/// An account id as a row label: cut to what the left margin holds, the cut marked (the
/// whole id is the label's tooltip and in the text tables).
fn fit(id: &str) -> String {
    const MAX: usize = 24;
    if id.chars().count() <= MAX {
        id.to_string()
    } else {
        let mut s: String = id.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn names_list(input: &Input, ids: &[u32], max: usize) -> String {
    let mut s: Vec<&str> = ids.iter().take(max).map(|&a| input.names.get(a)).collect();
    let more = ids.len().saturating_sub(max);
    let tail = format!("… and {more} more");
    if more > 0 {
        s.push(&tail);
    }
    s.join(", ")
}

/// `n / of` as an SVG opacity with two decimals, at least 0.15 so a bucket shows.
fn opacity(n: u32, of: u32) -> String {
    let pct = (u64::from(n) * 100 / u64::from(of.max(1))).clamp(15, 100);
    if pct == 100 {
        "1".to_string()
    } else {
        format!("0.{pct:02}")
    }
}

fn short(at: i64, like: Time) -> String {
    Time {
        at,
        offset: like.offset,
    }
    .short()
}

fn availability_chart(
    input: &Input,
    page: &Page,
    id: &str,
    rows: &[model::AvailabilityRow],
    more: (usize, i64),
    up: usize,
) -> Markup {
    let n = &input.names;
    let axis = TimeAxis {
        t0: page.horizon.0,
        t1: page.horizon.1,
    };
    let top = 60;
    let bottom = top + ROW * rows.len() as i64 + 40;
    let height = bottom + 340;
    let title_id = format!("av-{id}");
    html! {
        figure.chart-availability data-chart="availability" {
            h3 { "Availability" }
            div.legend {
                span { (swatch("#e5f5e0")) "available" }
                span { (swatch("url(#p-l2)")) "L2 unavailable: its main is in arrears" }
                span { (swatch("#67000d")) "B4 unavailable: its own arrears" }
            }
            @if rows.is_empty() {
                p.note data-always-available=(up) { "Every account (" (up) ") was available throughout." }
            } @else {
                svg.chart viewBox=(format!("0 0 {WIDTH} {}", c(height))) role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { "Unavailable intervals by account, L2 and B4 told apart" }
                    (time_axis(&axis, top, bottom))
                    @for (i, r) in rows.iter().enumerate() {
                        @let y = top + ROW * i as i64;
                        text x=(c(LEFT * 10 - 60)) y=(c(y + 105)) text-anchor="end" { (fit(n.get(r.account))) title { (n.get(r.account)) } }
                        rect x=(c(LEFT * 10)) y=(c(y)) width=(c((RIGHT - LEFT) * 10)) height=(c(BAR)) fill="#e5f5e0" {}
                        @for d in &r.down {
                            @let (x0, x1) = (axis.x(d.from.at), axis.x(d.to.at));
                            @let fill = if n.get(d.rule) == "L2" { "url(#p-l2)" } else { "#67000d" };
                            rect x=(c(x0)) y=(c(y)) width=(c((x1 - x0).max(25))) height=(c(BAR)) fill=(fill) {
                                title { (n.get(r.account)) " unavailable (" (n.get(d.rule)) ", cause " (n.get(d.cause)) ") " (d.from.short()) " – " (d.to.short()) }
                            }
                        }
                    }
                }
                figcaption {
                    (plural(rows.len(), "account", "accounts")) " with downtime, most first; " (up) " available throughout"
                    @if more.0 > 0 { "; " (more.0) " more with downtime (" (hours(more.1)) " h in all) not drawn" }
                    "."
                }
                details {
                    summary { "Unavailable intervals as text" }
                    table {
                        thead { tr { th { "account" } th { "rule" } th { "cause" } th { "from" } th { "to" } } }
                        tbody {
                            @for r in rows { @for d in &r.down {
                                tr { td { (n.get(r.account)) } td { (n.get(d.rule)) } td { (n.get(d.cause)) } td { (d.from.show()) } td { (d.to.show()) } }
                            } }
                        }
                    }
                }
            }
        }
    }
}

fn hours(seconds: i64) -> String {
    let tenths = seconds * 10 / 3600;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The step path of a series: each point's bucket range drawn as a vertical stroke.
fn step_path(s: &Series, axis: &TimeAxis, v: &ValueAxis) -> String {
    let mut d = String::new();
    for (i, &(t, lo, hi, last)) in s.points.iter().enumerate() {
        let x = c(axis.x(t));
        if i == 0 {
            d.push_str(&format!("M{x} {}", c(v.y(last))));
        } else {
            d.push_str(&format!(
                "H{x}V{}V{}V{}",
                c(v.y(lo)),
                c(v.y(hi)),
                c(v.y(last))
            ));
        }
    }
    if !d.is_empty() {
        d.push_str(&format!("H{}", c(axis.x(axis.t1.at))));
    }
    d
}

fn value_axis(v: &ValueAxis, label: &str) -> Markup {
    html! {
        g.axis {
            line x1=(c(LEFT * 10)) x2=(c(LEFT * 10)) y1=(c(v.top)) y2=(c(v.bottom)) stroke="#666" {}
            @for t in v.ticks() {
                @let y = v.y(t);
                line x1=(c(LEFT * 10)) x2=(c(RIGHT * 10)) y1=(c(y)) y2=(c(y)) stroke="#eee" {}
                text.ax x=(c(LEFT * 10 - 50)) y=(c(y + 40)) text-anchor="end" { (t) }
            }
            text.ax x="12" y=(c((v.top + v.bottom) / 2)) transform=(format!("rotate(-90 12 {})", c((v.top + v.bottom) / 2))) text-anchor="middle" { (label) }
        }
    }
}

fn balance_chart(input: &Input, page: &Page, k: usize, g: &Group) -> Markup {
    let n = &input.names;
    let s = input.scale;
    let axis = TimeAxis {
        t0: page.horizon.0,
        t1: page.horizon.1,
    };
    let values = g
        .balance
        .points
        .iter()
        .flat_map(|p| [p.1, p.2])
        .chain(g.threshold)
        .chain(g.alerts.iter().map(|a| a.1));
    let v = ValueAxis::over(values, 100, 1900);
    let title_id = format!("bal{k}");
    html! {
        figure.chart-balance data-chart="balance" {
            h3 { "Balance of " (n.get(g.main)) }
            div.legend {
                span { (swatch("#08306b")) "balance after each ledger row (range within " (BUCKETS) " time steps)" }
                span { (swatch("#a63603")) "low-balance threshold (dashed)" }
                span { "● low-balance alert" }
            }
            @if g.balance.points.is_empty() {
                p.note { "No ledger row for " (n.get(g.main)) "." }
            } @else {
                svg.chart viewBox=(format!("0 0 {WIDTH} 230")) role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { "Balance of " (n.get(g.main)) " over time against its low-balance threshold, with alerts" }
                    (value_axis(&v, "balance"))
                    (time_axis(&axis, 100, 1900))
                    @if let Some(t) = g.threshold {
                        line x1=(c(LEFT * 10)) x2=(c(RIGHT * 10)) y1=(c(v.y(t))) y2=(c(v.y(t))) stroke="#a63603" stroke-width="2" stroke-dasharray="8 5" {
                            title { "low-balance threshold " (svg::money(t, s)) }
                        }
                    }
                    path d=(step_path(&g.balance, &axis, &v)) fill="none" stroke="#08306b" stroke-width="2" {}
                    @for (t, amount, to) in &g.alerts {
                        circle cx=(c(axis.x(t.at))) cy=(c(v.y(*amount))) r="5" fill="#a63603" stroke="#000" {
                            title { "low-balance alert to " (n.get(*to)) " at " (t.show()) ": balance " (svg::money(*amount, s)) }
                        }
                    }
                }
                figcaption {
                    "Drawn from " (g.balance.rows) " ledger rows"
                    @if let Some(o) = g.opening { ", opening balance " (svg::money(o, s)) }
                    @if let Some((_, _, _, last)) = g.balance.points.last() { ", closing " (svg::money(*last, s)) }
                    @match g.threshold {
                        Some(t) => { ", threshold " (svg::money(t, s)) }
                        None => { ", no low-balance threshold known" }
                    }
                    ", " (g.alerts.len()) " low-balance alerts."
                }
                @if !g.alerts.is_empty() {
                    details {
                        summary { "Low-balance alerts as text" }
                        table {
                            thead { tr { th { "time" } th { "recipient" } th.n { "balance" } } }
                            tbody { @for (t, a, to) in &g.alerts { tr { td { (t.show()) } td { (n.get(*to)) } td.n { (svg::money(*a, s)) } } } }
                        }
                    }
                }
            }
        }
    }
}

/// Line styles for coupons: dash patterns and tones tell them apart without colour.
const LINES: [(&str, &str); 8] = [
    ("#08306b", ""),
    ("#a63603", "8 4"),
    ("#2171b5", "2 3"),
    ("#000000", "10 3 2 3"),
    ("#6baed6", ""),
    ("#fd8d3c", "5 5"),
    ("#525252", "1 2"),
    ("#7f2704", "12 4"),
];

fn coupon_chart(input: &Input, page: &Page, k: usize, g: &Group) -> Markup {
    let n = &input.names;
    let s = input.scale;
    let axis = TimeAxis {
        t0: page.horizon.0,
        t1: page.horizon.1,
    };
    let v = ValueAxis::over(g.coupons.iter().map(|l| l.initial), 100, 1500);
    let title_id = format!("cp{k}");
    html! {
        figure.chart-coupons data-chart="coupons" {
            h3 { "Coupon balances" }
            @if g.coupons.is_empty() {
                p.note { "No coupon of this group was used." }
            } @else {
                div.legend {
                    @for (i, l) in g.coupons.iter().enumerate() {
                        @let (stroke, dash) = LINES[i % LINES.len()];
                        span {
                            svg viewBox="0 0 26 12" aria-hidden="true" { line x1="0" x2="26" y1="6" y2="6" stroke=(stroke) stroke-width="2.5" stroke-dasharray=(dash) {} }
                            (n.get(l.coupon)) " (" (n.get(l.owner)) ")"
                        }
                    }
                }
                svg.chart viewBox=(format!("0 0 {WIDTH} 190")) role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { "Remaining balance of each coupon over time" }
                    (value_axis(&v, "remaining"))
                    (time_axis(&axis, 100, 1500))
                    @for (i, l) in g.coupons.iter().enumerate() {
                        @let (stroke, dash) = LINES[i % LINES.len()];
                        path d=(step_path(&l.series, &axis, &v)) fill="none" stroke=(stroke) stroke-width="2.5" stroke-dasharray=(dash) {
                            title { (n.get(l.coupon)) ": " (svg::money(l.initial, s)) " → " (svg::money(l.end, s)) }
                        }
                    }
                }
                figcaption {
                    "Each coupon from its balance before its first use (drawn from the horizon's start) to what is left."
                    @if g.more_coupons > 0 { " " (g.more_coupons) " smaller coupons not drawn." }
                }
                details {
                    summary { "Coupons as text" }
                    table {
                        thead { tr { th { "coupon" } th { "owner" } th.n { "before first use" } th.n { "remaining" } th.n { "uses" } } }
                        tbody { @for l in &g.coupons { tr { td { (n.get(l.coupon)) } td { (n.get(l.owner)) } td.n { (svg::money(l.initial, s)) } td.n { (svg::money(l.end, s)) } td.n { (l.series.rows) } } } }
                    }
                }
            }
        }
    }
}

/// Stack fills, in decreasing darkness so neighbours differ in greyscale too.
const STACK: [&str; 8] = [
    "#08306b", "#fdd0a2", "#2171b5", "#a63603", "#c6dbef", "#525252", "#fd8d3c", "#bdbdbd",
];

fn invoice_chart(input: &Input, k: usize, g: &Group) -> Markup {
    let n = &input.names;
    let s = input.scale;
    let label = |a: &Option<u32>| a.map_or("other accounts".to_string(), |a| n.get(a).to_string());
    let fill = |a: &Option<u32>| {
        let i = g.invoice_accounts.iter().position(|x| x == a).unwrap_or(0);
        STACK[i % STACK.len()]
    };
    let v = ValueAxis::over(g.invoices.iter().map(|b| b.total), 100, 1500);
    let months = g.invoices.len().max(1) as i64;
    let slot = (RIGHT - LEFT) * 10 / months;
    let bar = (slot * 6 / 10).min(1200);
    let title_id = format!("inv{k}");
    html! {
        figure.chart-invoices data-chart="invoices" {
            h3 { "Invoices to " (n.get(g.main)) " per month, by account" }
            @if g.invoices.is_empty() {
                p.note { "No invoice to " (n.get(g.main)) "." }
            } @else {
                div.legend {
                    @for a in &g.invoice_accounts { span { (swatch(fill(a))) (label(a)) } }
                }
                svg.chart viewBox=(format!("0 0 {WIDTH} 190")) role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { "Invoiced amounts per month, stacked by account" }
                    (value_axis(&v, "invoiced"))
                    line x1=(c(LEFT * 10)) x2=(c(RIGHT * 10)) y1="150" y2="150" stroke="#666" {}
                    @for (i, b) in g.invoices.iter().enumerate() {
                        @let x = LEFT * 10 + slot * i as i64 + (slot - bar) / 2;
                        @for (a, amount, base) in stacked(&b.parts) {
                            @let y0 = v.y(base);
                            @let y1 = v.y(base.checked_add(amount).unwrap_or(base));
                            rect x=(c(x)) y=(c(y1)) width=(c(bar)) height=(c((y0 - y1).max(0))) fill=(fill(&a)) stroke="#fff" {
                                title { (format!("{}-{:02}", b.month.0, b.month.1)) " " (label(&a)) ": " (svg::money(amount, s)) }
                            }
                        }
                        text.ax x=(c(x + bar / 2)) y="166" text-anchor="middle" { (format!("{}-{:02}", b.month.0, b.month.1)) }
                        text x=(c(x + bar / 2)) y=(c(v.y(b.total) - 40)) text-anchor="middle" { (svg::money(b.total, s)) }
                    }
                    text.ax x=(c((LEFT + RIGHT) * 5)) y="182" text-anchor="middle" { "month (billing period of the bills)" }
                }
                figcaption { (invoice_caption(input, g)) }
                details {
                    summary { "Invoices as text" }
                    table {
                        thead { tr { th { "month" } th { "account" } th.n { "amount" } } }
                        tbody { @for b in &g.invoices { @for (a, amount) in &b.parts {
                            tr { td { (format!("{}-{:02}", b.month.0, b.month.1)) } td { (label(a)) } td.n { (svg::money(*amount, s)) } }
                        } } }
                    }
                }
            }
        }
    }
}

/// What share of the main's invoices the named accounts make up.
fn invoice_caption(input: &Input, g: &Group) -> String {
    let mut total = Decimal::ZERO;
    let mut named = Decimal::ZERO;
    for b in &g.invoices {
        for (a, v) in &b.parts {
            total = total.checked_add(*v).unwrap_or(total);
            if a.is_some() {
                named = named.checked_add(*v).unwrap_or(named);
            }
        }
    }
    let share = if total > Decimal::ZERO {
        (named * Decimal::from(100) / total)
            .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    } else {
        Decimal::ZERO
    };
    let accounts = g.invoice_accounts.iter().filter(|a| a.is_some()).count();
    format!(
        "Cash the main was invoiced (L4, and B6 for its own bills), {} in all; the {} named make up {share} %.",
        svg::money(total, input.scale),
        plural(accounts, "account", "accounts")
    )
}

/// Each part with the sum of the parts below it.
fn stacked(parts: &[(Option<u32>, Decimal)]) -> Vec<(Option<u32>, Decimal, Decimal)> {
    let mut base = Decimal::ZERO;
    parts
        .iter()
        .map(|&(a, amount)| {
            let below = base;
            base = base.checked_add(amount).unwrap_or(base);
            (a, amount, below)
        })
        .collect()
}

fn events_table(input: &Input, k: usize, g: &Group) -> Markup {
    let s = input.scale;
    let id = format!("ev{k}");
    html! {
        h3 { "Requests and events" }
        @if g.events.is_empty() {
            p.note { "No events." }
        } @else {
            p.note {
                (g.events.len()) " of " (g.events_total) " events"
                @if g.events.len() < g.events_total { " (those not simply applied first; events.csv has all)" }
                ". "
                input.filter type="search" placeholder="filter rows" data-table=(id) aria-label="filter the events";
            }
            table.events id=(id) {
                thead { tr { th.n { "seq" } th { "time" } th { "kind" } th { "account" } th { "main" } th { "outcome" } th { "rule" } th { "detail" } } }
                tbody {
                    @for &i in &g.events {
                        @let e = &input.events[i];
                        tr {
                            td.n { (e.seq) } td { (e.time.short()) } td { (e.kind) }
                            td { (e.account) @if !e.resource.is_empty() { " " (e.resource) } }
                            td { (e.main) } td { (e.outcome) @if let Some(t) = e.effective_at { " → " (t.short()) } }
                            td { (e.rule) }
                            td { @if let Some(a) = e.amount { (svg::money(a, s)) " · " } (e.detail) }
                        }
                    }
                }
            }
        }
    }
}
