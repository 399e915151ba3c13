//! The summary `trustsim sweep` prints (SPEC §10.3): which instant gives the main the
//! least paid_as_payer, and which instants avoid deferral and unavailability — the
//! questions an analyst sweeps an event's time to answer.

use super::{Instance, Sweep};
use crate::engine::outcome::Outcome;
use rust_decimal::Decimal;

/// The summary, one line per item, without trailing newlines.
pub fn lines(sweep: &Sweep) -> Vec<String> {
    let cal = &sweep.calendar;
    let t = |i: usize| cal.format_time(sweep.instants[i].time);
    let e = &sweep.event;
    let n = sweep.instants.len();
    let range = match n {
        0 => "no instant".to_string(),
        1 => format!("1 instant, {}", t(0)),
        _ => format!(
            "{n} instants from {} to {} every {}",
            t(0),
            t(n - 1),
            sweep.step
        ),
    };
    let mut out = vec![format!(
        "{}: event {}, {} {} (at {} in the scenario), retimed to {range}; its component: {}, {}",
        sweep.name,
        e.seq,
        e.kind,
        e.accounts,
        cal.format_time(e.time),
        count(sweep.accounts.len(), "account", "accounts"),
        count(sweep.bills, "bill", "bills"),
    )];
    if n == 0 {
        return out;
    }
    let paid = Sweep::metric("paid_as_payer");
    let unavailable = Sweep::metric("unavailable_seconds");
    for main in &sweep.mains {
        let Some(a) = sweep.accounts.iter().position(|x| x == main) else {
            continue;
        };
        let of = |i: &Instance| i.metrics[a][paid];
        // The earliest of the least: ties go to the instant nearest --from.
        let best = (0..n)
            .min_by_key(|&i| (of(&sweep.instants[i]), i))
            .unwrap_or(0);
        let worst = (0..n)
            .map(|i| of(&sweep.instants[i]))
            .max()
            .unwrap_or(Decimal::ZERO);
        let baseline = sweep
            .instants
            .iter()
            .find(|i| i.time == e.time)
            .map(|i| format!("; at the scenario's time {}", of(i)))
            .unwrap_or_default();
        let outcome = sweep.instants[best]
            .event
            .map(|e| format!("event {}, {}; ", e.outcome.as_str(), e.rule))
            .unwrap_or_default();
        out.push(format!(
            "  least paid_as_payer for {main}: {} at {} ({outcome}most {}{baseline})",
            of(&sweep.instants[best]),
            t(best),
            worst
        ));
    }
    let applied: Vec<bool> = sweep
        .instants
        .iter()
        .map(|i| i.event.is_some_and(|e| e.outcome == Outcome::Applied))
        .collect();
    let available: Vec<bool> = sweep
        .instants
        .iter()
        .map(|i| i.metrics.iter().all(|m| m[unavailable].is_zero()))
        .collect();
    let both: Vec<bool> = applied
        .iter()
        .zip(&available)
        .map(|(a, b)| *a && *b)
        .collect();
    out.push(format!(
        "  applied at once, not deferred or rejected: {}",
        ranges(sweep, &applied)
    ));
    out.push(format!(
        "  no account of the component ever unavailable: {}",
        ranges(sweep, &available)
    ));
    out.push(format!("  both: {}", ranges(sweep, &both)));
    if !available.iter().any(|a| *a) {
        // None avoids it: say where it is shortest (unavailable seconds of every account
        // of the component added; the earliest on a tie).
        let total = |i: usize| -> Decimal {
            sweep.instants[i]
                .metrics
                .iter()
                .map(|m| m[unavailable])
                .sum()
        };
        if let Some(best) = (0..n).min_by_key(|&i| (total(i), i)) {
            out.push(format!(
                "  least unavailability (seconds, all accounts added): {} at {}",
                total(best),
                t(best)
            ));
        }
    }
    out
}

/// The instants where `holds`, consecutive ones as `first … last (k instants)`.
pub fn ranges(sweep: &Sweep, holds: &[bool]) -> String {
    let cal = &sweep.calendar;
    let t = |i: usize| cal.format_time(sweep.instants[i].time);
    let total = holds.iter().filter(|h| **h).count();
    if total == 0 {
        return "none".to_string();
    }
    if total == holds.len() {
        return format!("all {}", count(total, "instant", "instants"));
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < holds.len() {
        if !holds[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < holds.len() && holds[i + 1] {
            i += 1;
        }
        parts.push(if start == i {
            t(i)
        } else {
            format!("{} … {} ({} instants)", t(start), t(i), i - start + 1)
        });
        i += 1;
    }
    match parts.as_slice() {
        [one] if total > 1 => one.clone(),
        _ => format!(
            "{}: {}",
            count(total, "instant", "instants"),
            parts.join(", ")
        ),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Calendar, Zone};
    use crate::rules::RuleId;
    use crate::sweep::{EventOutcome, SweptEvent};

    /// Main `M` (second account) pays 30, 20, 20, 40 over four hourly instants; the event
    /// is deferred at the third; `L` is unavailable at the last.
    fn sweep() -> Sweep {
        let cal = Calendar::new(Zone::parse("+08:00").expect("zone"), chrono::Weekday::Mon);
        let t0 = cal.parse_time("2026-03-10T09:00:00").expect("time");
        let (paid, unavailable) = (
            Sweep::metric("paid_as_payer"),
            Sweep::metric("unavailable_seconds"),
        );
        let instants = [
            (30, Outcome::Applied, 0),
            (20, Outcome::Applied, 0),
            (20, Outcome::Deferred, 0),
            (40, Outcome::Applied, 60),
        ]
        .iter()
        .enumerate()
        .map(|(k, &(m, outcome, secs))| {
            let mut l = [Decimal::ZERO; 7];
            l[unavailable] = Decimal::from(secs);
            let mut main = [Decimal::ZERO; 7];
            main[paid] = Decimal::from(m);
            Instance {
                time: t0.plus_seconds(3600 * k as i64),
                event: Some(EventOutcome {
                    outcome,
                    rule: RuleId::T5_2,
                    effective_at: None,
                }),
                metrics: vec![l, main],
            }
        })
        .collect();
        Sweep {
            name: "s".into(),
            calendar: cal,
            event: SweptEvent {
                seq: 1,
                kind: "establish",
                time: t0.plus_seconds(3600),
                accounts: "L -> M".into(),
            },
            step: "1h".into(),
            accounts: vec!["L".into(), "M".into()],
            mains: vec!["M".into()],
            bills: 3,
            instants,
        }
    }

    #[test]
    fn the_best_instant_is_the_earliest_least_and_ranges_are_consecutive() {
        let lines = lines(&sweep());
        assert_eq!(
            lines[1],
            "  least paid_as_payer for M: 20 at 2026-03-10T10:00:00+08:00 (event applied, T5.2; most 40; at the scenario's time 20)"
        );
        assert_eq!(
            lines[2],
            "  applied at once, not deferred or rejected: 3 instants: 2026-03-10T09:00:00+08:00 … 2026-03-10T10:00:00+08:00 (2 instants), 2026-03-10T12:00:00+08:00"
        );
        assert_eq!(
            lines[3],
            "  no account of the component ever unavailable: 2026-03-10T09:00:00+08:00 … 2026-03-10T11:00:00+08:00 (3 instants)"
        );
        assert_eq!(
            lines[4],
            "  both: 2026-03-10T09:00:00+08:00 … 2026-03-10T10:00:00+08:00 (2 instants)"
        );
        assert_eq!(lines.len(), 5, "some instants avoid unavailability");
        let mut always = sweep();
        let u = Sweep::metric("unavailable_seconds");
        for (k, i) in always.instants.iter_mut().enumerate() {
            i.metrics[1][u] = Decimal::from(100 - k as i64 % 2);
        }
        let always = super::lines(&always);
        assert_eq!(
            always[5],
            "  least unavailability (seconds, all accounts added): 99 at 2026-03-10T10:00:00+08:00"
        );
    }
}
