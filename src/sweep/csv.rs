//! `sweep.csv` (SPEC §10.3): one row per instant and account of the touched component,
//! ordered by time then account_id, amounts at `money_scale` and times as the reports
//! write them (SPEC §2, §6).

use super::{Instance, Sweep};

/// The header, as SPEC §10.3 spells it.
pub const COLUMNS: [&str; 12] = [
    "time",
    "account_id",
    "paid_as_payer",
    "outstanding_as_payer",
    "paid_amount",
    "coupon_amount",
    "balance_end",
    "unavailable_seconds",
    "alerts_received",
    "event_outcome",
    "event_rule",
    "event_effective_at",
];

/// The whole file. Ids are quoted where CSV needs it; nothing else can hold a separator.
pub fn render(sweep: &Sweep) -> String {
    let cal = &sweep.calendar;
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for Instance {
        time,
        event,
        metrics,
    } in &sweep.instants
    {
        let mut time_text = String::new();
        cal.write_time(*time, &mut time_text);
        let mut tail = String::new();
        if let Some(e) = event {
            tail.push_str(e.outcome.as_str());
            tail.push(',');
            tail.push_str(e.rule.as_str());
            tail.push(',');
            if let Some(at) = e.effective_at {
                cal.write_time(at, &mut tail);
            }
        } else {
            tail.push_str(",,");
        }
        for (account, m) in sweep.accounts.iter().zip(metrics) {
            out.push_str(&time_text);
            out.push(',');
            out.push_str(&field(account));
            for v in m {
                out.push(',');
                out.push_str(&v.to_string());
            }
            out.push(',');
            out.push_str(&tail);
            out.push('\n');
        }
    }
    out
}

/// A CSV field: quoted (quotes doubled) when it holds a separator, quote or line break.
fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::METRICS;

    #[test]
    fn every_metric_column_is_a_compare_metric() {
        for m in METRICS {
            assert!(crate::compare::metrics::ACCOUNT_METRICS.contains(&m), "{m}");
            assert_eq!(METRICS[Sweep::metric(m)], m);
        }
        assert_eq!(&COLUMNS[2..9], &METRICS[..]);
    }

    #[test]
    fn ids_with_separators_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("a\"b"), "\"a\"\"b\"");
        assert_eq!(field("ab"), "ab");
    }
}
