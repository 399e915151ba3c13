//! The four forms of a comparison (SPEC §10.1): `csv` (the fixed form other programs
//! read), `table` (for a person at a 100-column terminal), `markdown` (for a PR comment),
//! `json` (amounts as strings, so no reader turns them into floats) and `html` (a
//! self-contained page, side by side, laid out by `crate::html::compare`).

use super::diff::{Row, Scope, Val};
use super::Comparison;
use rust_decimal::Decimal;
use std::fmt::Write;

/// Which form to print.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Markdown,
    Json,
    Html,
}

/// Renders `comparisons`; `variants` adds the `variant` column (SPEC §10.2).
pub fn render(format: Format, comparisons: &[Comparison], variants: bool) -> String {
    match format {
        Format::Csv => csv(comparisons, variants),
        Format::Table => table(comparisons, variants),
        Format::Markdown => markdown(comparisons, variants),
        Format::Json => json(comparisons, variants),
        Format::Html => crate::html::compare::render(comparisons, variants),
    }
}

fn cells(row: &Row) -> [String; 6] {
    [
        row.scope.as_str().to_string(),
        row.id.to_string(),
        row.metric.to_string(),
        row.a.to_string(),
        row.b.to_string(),
        row.delta.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// `scope,id,metric,a,b,delta` (with `variant` first), `\n` line ends, fields quoted
/// only when they must be.
pub fn csv(comparisons: &[Comparison], variants: bool) -> String {
    let mut out = Vec::new();
    {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_writer(&mut out);
        let header = ["scope", "id", "metric", "a", "b", "delta"];
        // Writing to a Vec cannot fail.
        if variants {
            let _ = w.write_record(std::iter::once("variant").chain(header));
        } else {
            let _ = w.write_record(header);
        }
        for c in comparisons {
            for row in &c.rows {
                let cells = cells(row);
                if variants {
                    let name = c.variant.as_deref().unwrap_or("");
                    let _ = w.write_record(
                        std::iter::once(name).chain(cells.iter().map(|s| s.as_str())),
                    );
                } else {
                    let _ = w.write_record(&cells);
                }
            }
        }
        let _ = w.flush();
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Hours, to two places, for `unavailable_seconds` in the human forms.
fn hours(d: Decimal) -> String {
    (d / Decimal::from(3600))
        .round_dp(2)
        .normalize()
        .to_string()
}

/// A row's metric and values as a person reads them.
fn human(row: &Row) -> (String, String, String, String) {
    let show = |v: &Val| match v {
        Val::Num(d) if row.metric == "unavailable_seconds" => hours(*d),
        v => v.to_string(),
    };
    let metric = if row.metric == "unavailable_seconds" {
        "unavailable_hours".to_string()
    } else {
        row.metric.to_string()
    };
    let delta = match row.delta {
        Some(d) if row.metric == "unavailable_seconds" => hours(d),
        Some(d) => d.to_string(),
        None => String::new(),
    };
    let delta = match row.delta {
        Some(d) if d > Decimal::ZERO => format!("+{delta}"),
        _ => delta,
    };
    (metric, show(&row.a), show(&row.b), delta)
}

/// Cuts `s` to `n` characters, marking the cut.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The accounts' ids, the one whose amounts changed most first.
fn accounts_by_change(rows: &[Row]) -> Vec<&str> {
    let mut most: Vec<(&str, Decimal)> = Vec::new();
    for r in rows.iter().filter(|r| r.scope == Scope::Account) {
        let d = if r.metric == "unavailable_seconds" || r.metric == "alerts_received" {
            Decimal::ZERO
        } else {
            r.delta.map_or(Decimal::ZERO, |d| d.abs())
        };
        match most.last_mut() {
            Some((id, m)) if *id == &*r.id => *m = (*m).max(d),
            _ => most.push((&r.id, d)),
        }
    }
    most.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
    most.into_iter().map(|(id, _)| id).collect()
}

const MAX_ACCOUNTS: usize = 20;
const MAX_BILLS: usize = 15;

/// Totals first, then the accounts that changed most, then a few bills; every line fits
/// 100 columns.
pub fn table(comparisons: &[Comparison], variants: bool) -> String {
    let mut out = String::new();
    let line = |out: &mut String, label: &str, r: &Row| {
        let (metric, a, b, d) = human(r);
        let _ = writeln!(
            out,
            "  {:<30} {:<20} {:>14} {:>14} {:>14}",
            fit(label, 30),
            fit(&metric, 20),
            fit(&a, 14),
            fit(&b, 14),
            fit(&d, 14)
        );
    };
    for (k, c) in comparisons.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        match (&c.variant, variants) {
            (Some(v), true) => {
                let _ = writeln!(out, "{} vs {v}", c.a_name);
            }
            _ => {
                let _ = writeln!(out, "a: {}\nb: {}", c.a_name, c.b_name);
            }
        }
        if c.rows.is_empty() {
            out.push_str("  no difference\n");
            continue;
        }
        let count = |s: Scope| c.rows.iter().filter(|r| r.scope == s).count();
        let _ = writeln!(
            out,
            "  {} rows: {} total, {} account, {} bill",
            c.rows.len(),
            count(Scope::Total),
            count(Scope::Account),
            count(Scope::Bill)
        );
        let _ = writeln!(
            out,
            "  {:<30} {:<20} {:>14} {:>14} {:>14}",
            "", "metric", "a", "b", "delta (b-a)"
        );
        for r in c.rows.iter().filter(|r| r.scope == Scope::Total) {
            line(&mut out, "total", r);
        }
        let ids = accounts_by_change(&c.rows);
        for id in ids.iter().take(MAX_ACCOUNTS) {
            for r in c
                .rows
                .iter()
                .filter(|r| r.scope == Scope::Account && &*r.id == *id)
            {
                line(&mut out, id, r);
            }
        }
        if ids.len() > MAX_ACCOUNTS {
            let _ = writeln!(out, "  … and {} more accounts", ids.len() - MAX_ACCOUNTS);
        }
        let bills: Vec<&Row> = c.rows.iter().filter(|r| r.scope == Scope::Bill).collect();
        for r in bills.iter().take(MAX_BILLS) {
            line(&mut out, &r.id, r);
        }
        if bills.len() > MAX_BILLS {
            let _ = writeln!(
                out,
                "  … and {} more bill rows (--format csv lists every row)",
                bills.len() - MAX_BILLS
            );
        }
    }
    out
}

/// Escapes a markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A heading and a table per comparison, for a PR comment.
pub fn markdown(comparisons: &[Comparison], variants: bool) -> String {
    let mut out = String::new();
    for c in comparisons {
        let title = match (&c.variant, variants) {
            (Some(v), true) => format!("`{}` vs variant `{}`", md(&c.a_name), md(v)),
            _ => format!("`{}` vs `{}`", md(&c.a_name), md(&c.b_name)),
        };
        let _ = writeln!(out, "### {title}\n");
        if c.rows.is_empty() {
            out.push_str("No difference.\n\n");
            continue;
        }
        out.push_str("| scope | id | metric | a | b | delta |\n|---|---|---|--:|--:|--:|\n");
        for r in &c.rows {
            let [scope, id, _, _, _, _] = cells(r);
            let (metric, a, b, d) = human(r);
            let _ = writeln!(
                out,
                "| {scope} | {} | {metric} | {} | {} | {} |",
                md(&id),
                md(&a),
                md(&b),
                md(&d)
            );
        }
        out.push('\n');
    }
    out
}

/// A JSON string literal.
fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"comparisons":[{"variant","a","b","rows":[{scope,id,metric,a,b,delta}]}]}`; every
/// value a string (amounts exact), an empty one `null`.
pub fn json(comparisons: &[Comparison], variants: bool) -> String {
    let opt = |s: &str| {
        if s.is_empty() {
            "null".to_string()
        } else {
            js(s)
        }
    };
    let mut out = String::from("{\"comparisons\":[");
    for (k, c) in comparisons.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let variant = match (&c.variant, variants) {
            (Some(v), true) => js(v),
            _ => "null".to_string(),
        };
        let _ = write!(
            out,
            "\n{{\"variant\":{variant},\"a\":{},\"b\":{},\"rows\":[",
            js(&c.a_name),
            js(&c.b_name)
        );
        for (i, r) in c.rows.iter().enumerate() {
            let [scope, id, metric, a, b, d] = cells(r);
            let _ = write!(
                out,
                "{}\n{{\"scope\":{},\"id\":{},\"metric\":{},\"a\":{},\"b\":{},\"delta\":{}}}",
                if i > 0 { "," } else { "" },
                js(&scope),
                opt(&id),
                js(&metric),
                opt(&a),
                opt(&b),
                opt(&d)
            );
        }
        out.push_str("]}");
    }
    out.push_str("\n]}\n");
    out
}
