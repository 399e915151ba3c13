//! The instants of a sweep (SPEC §10.3): `--from` to `--to` inclusive, every `--step`,
//! each flag checked the way a variant's `retime` time is (the same parser, the same
//! horizon), so every instant swept is one a variant could name.

use crate::calendar::{Calendar, Instant};
use crate::error::{Problem, ProblemKind};
use crate::scenario::Settings;

/// The most instants one sweep simulates: each is a simulation of the touched component,
/// and a mistyped step (`1m` for `1d`) should be a message, not an hour of work.
pub const MAX_INSTANTS: usize = 10_000;

/// The longest step, ten years of days: longer is never a step within a horizon, and the
/// bound keeps every instant's arithmetic far from overflow.
const MAX_STEP_SECONDS: i64 = 3660 * 86_400;

/// A `--step`: elapsed minutes or hours, or local calendar days (same wall-clock time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Seconds(i64),
    Days(i64),
}

/// A flag's problem, located by the flag's name as `--timezone`'s are (`--from:0: -: …`).
pub fn flag_problem(kind: ProblemKind, flag: &str, message: impl Into<String>) -> Problem {
    Problem::new(kind, flag, 0, "-", message)
}

/// Parses `30m`, `1h`, `1d`, `7d`: a positive whole number and a unit (`m`, `h`, `d`).
pub fn parse_step(text: &str) -> Result<Step, Problem> {
    let bad = |why: &str| {
        flag_problem(
            ProblemKind::BadValue,
            "--step",
            format!("{why}: expected a positive number and a unit m, h or d, like 30m, 1h, 1d or 7d, got {text:?}"),
        )
    };
    let t = text.trim();
    let (digits, unit) = t.split_at(t.len().saturating_sub(1));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a step"));
    }
    let unit_seconds = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad("unknown unit")),
    };
    let n: i64 = digits.parse().map_err(|_| bad("too large a step"))?;
    if n == 0 {
        return Err(bad("a step of zero"));
    }
    if n > MAX_STEP_SECONDS / unit_seconds {
        return Err(bad("too large a step (at most 3660 days)"));
    }
    Ok(match unit {
        "d" => Step::Days(n),
        _ => Step::Seconds(n * unit_seconds),
    })
}

/// Parses a `--from` / `--to` time in the scenario's zone, as events.csv's time column is
/// parsed (SPEC §2: a local time that does not exist is an error), and checks it is inside
/// the horizon, with the message a variant's out-of-horizon retime gets.
pub fn parse_time(settings: &Settings, flag: &str, text: &str) -> Result<Instant, Problem> {
    let cal = &settings.calendar;
    let t = cal
        .parse_time(text.trim())
        .map_err(|m| flag_problem(ProblemKind::BadValue, flag, m))?;
    if t < settings.start || t >= settings.end {
        return Err(flag_problem(
            ProblemKind::OutOfHorizon,
            flag,
            format!(
                "{} is outside the horizon [{}, {})",
                text.trim(),
                cal.format_time(settings.start),
                cal.format_time(settings.end)
            ),
        ));
    }
    Ok(t)
}

/// Every instant from `from` to `to` inclusive, `step` apart: elapsed seconds, or local
/// days at `from`'s wall-clock time (a day that skips that time takes the first instant
/// after the gap, as a cycle boundary does; a repeated one the earlier instant,
/// docs/interpretations.md).
pub fn expand(
    cal: &Calendar,
    from: Instant,
    to: Instant,
    step: Step,
) -> Result<Vec<Instant>, Problem> {
    if from > to {
        return Err(flag_problem(
            ProblemKind::BadValue,
            "--from",
            format!(
                "{} is after --to {}",
                cal.format_time(from),
                cal.format_time(to)
            ),
        ));
    }
    let wall = cal.zone.local(from);
    let mut out = Vec::new();
    for k in 0i64.. {
        let t = match step {
            Step::Seconds(s) => from.plus_seconds(s * k),
            Step::Days(d) => match wall.checked_add_days(chrono::Days::new((d * k) as u64)) {
                Some(n) => cal.zone.boundary(n),
                None => break,
            },
        };
        if t > to {
            break;
        }
        if out.len() == MAX_INSTANTS {
            return Err(flag_problem(
                ProblemKind::Limit,
                "--step",
                format!(
                    "more than {MAX_INSTANTS} instants from --from to --to: take a larger step"
                ),
            ));
        }
        out.push(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Zone;

    fn cal(zone: &str) -> Calendar {
        Calendar::new(Zone::parse(zone).expect("zone"), chrono::Weekday::Mon)
    }

    #[test]
    fn steps_parse_with_their_unit_and_nothing_else() {
        assert_eq!(parse_step("30m"), Ok(Step::Seconds(1800)));
        assert_eq!(parse_step("1h"), Ok(Step::Seconds(3600)));
        assert_eq!(parse_step("7d"), Ok(Step::Days(7)));
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "1w",
            "1.5h",
            "1 d",
            "99999999999999999999d",
            "1x",
        ] {
            let p = parse_step(bad).expect_err(bad);
            assert_eq!(p.file, "--step", "{bad}");
        }
    }

    #[test]
    fn days_keep_the_wall_clock_across_dst_and_hours_do_not() {
        let c = cal("America/New_York");
        let from = c.parse_time("2026-03-07T09:00:00").expect("time");
        let to = c.parse_time("2026-03-09T09:00:00").expect("time");
        let days = expand(&c, from, to, Step::Days(1)).expect("days");
        let shown: Vec<String> = days.iter().map(|&t| c.format_time(t)).collect();
        assert_eq!(
            shown,
            [
                "2026-03-07T09:00:00-05:00",
                "2026-03-08T09:00:00-04:00",
                "2026-03-09T09:00:00-04:00"
            ]
        );
        let hours = expand(&c, from, to, Step::Seconds(24 * 3600)).expect("hours");
        assert_eq!(c.format_time(hours[1]), "2026-03-08T10:00:00-04:00");
        assert_eq!(hours.len(), 2, "the third is past --to");
    }

    #[test]
    fn from_after_to_and_too_many_instants_are_flag_problems() {
        let c = cal("+08:00");
        let a = c.parse_time("2026-03-02").expect("time");
        let b = c.parse_time("2026-03-01").expect("time");
        assert_eq!(
            expand(&c, a, b, Step::Days(1)).expect_err("from > to").file,
            "--from"
        );
        let end = c.parse_time("2026-12-01").expect("time");
        let p = expand(&c, b, end, Step::Seconds(60)).expect_err("too many");
        assert_eq!((p.file.as_str(), p.kind), ("--step", ProblemKind::Limit));
        assert_eq!(expand(&c, a, a, Step::Days(1)).expect("one"), vec![a]);
    }
}
