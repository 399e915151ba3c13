//! `scenario.toml`: the settings of SPEC §4, each checked and located by line.

use crate::calendar::{Calendar, Instant, Zone};
use crate::error::Problems;
use crate::money::{MoneyRules, Rounding};
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;
use toml::Spanned;

const FILE: &str = "scenario.toml";

/// What to do with a trusteeship request while bills are unsettled (T5).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unsettled {
    /// Defer it to the next billing period (T5.1).
    Defer,
    /// Reject it (T5).
    Reject,
}

/// The `[policy]` table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub unsettled: Unsettled,
    /// Arrears younger than this do not suspend resources.
    pub grace_hours: u32,
}

/// Validated settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Names the output directory; defaults to the scenario directory's name.
    pub name: String,
    pub description: String,
    pub calendar: Calendar,
    pub start: Instant,
    pub end: Instant,
    pub money: MoneyRules,
    pub max_linked: u32,
    pub alitelecom_products: BTreeSet<String>,
    pub policy: Policy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    start: Option<Spanned<toml::Value>>,
    end: Option<Spanned<toml::Value>>,
    week_start: Option<Spanned<String>>,
    money_scale: Option<Spanned<i64>>,
    rounding: Option<Spanned<String>>,
    max_linked: Option<Spanned<i64>>,
    alitelecom_products: Option<Spanned<Vec<String>>>,
    policy: Option<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    unsettled: Option<Spanned<String>>,
    grace_hours: Option<Spanned<i64>>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Parses `scenario.toml`; `dir_name` is the default scenario name.
pub(super) fn parse(text: &str, dir_name: &str, problems: &mut Problems) -> Option<Settings> {
    let raw: RawSettings = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            let key = key_on_line(text, line);
            let message = match e.message().trim() {
                // The toml crate says nothing for a key with no value at the end of input.
                "" => "expected a value (a string, number, date or table)".to_string(),
                m => m.replace('\n', " "),
            };
            problems.push(FILE, line, &key, message);
            return None;
        }
    };
    let mut at = |span: std::ops::Range<usize>, key: &str, message: String| {
        problems.push(FILE, line_of(text, span.start), key, message);
    };

    let name = match raw.name {
        Some(n) => {
            let v = n.get_ref().trim();
            if v.is_empty() || v == "." || v == ".." || v.contains(['/', '\\']) {
                at(
                    n.span(),
                    "name",
                    format!("expected a name usable as a directory name, got {v:?}"),
                );
            }
            v.to_string()
        }
        None => dir_name.to_string(),
    };

    let zone = match &raw.timezone {
        None => Zone::parse("+08:00").ok(),
        Some(tz) => match Zone::parse(tz.get_ref()) {
            Ok(z) => Some(z),
            Err(msg) => {
                at(tz.span(), "timezone", msg);
                None
            }
        },
    };

    let week_start = match &raw.week_start {
        None => Weekday::Mon,
        Some(w) => match parse_weekday(w.get_ref()) {
            Some(d) => d,
            None => {
                at(
                    w.span(),
                    "week_start",
                    format!("expected a weekday like \"monday\", got {:?}", w.get_ref()),
                );
                Weekday::Mon
            }
        },
    };

    let scale = match &raw.money_scale {
        None => 2,
        Some(s) if (0..=8).contains(s.get_ref()) => *s.get_ref() as u32,
        Some(s) => {
            at(
                s.span(),
                "money_scale",
                format!("expected an integer from 0 to 8, got {}", s.get_ref()),
            );
            2
        }
    };
    let rounding = match &raw.rounding {
        None => Rounding::HalfUp,
        Some(r) => Rounding::parse(r.get_ref()).unwrap_or_else(|| {
            at(
                r.span(),
                "rounding",
                format!(
                    "expected \"half_up\", \"half_even\" or \"down\", got {:?}",
                    r.get_ref()
                ),
            );
            Rounding::HalfUp
        }),
    };

    let max_linked = match &raw.max_linked {
        None => 300,
        Some(m) if (1..=i64::from(u32::MAX)).contains(m.get_ref()) => *m.get_ref() as u32,
        Some(m) => {
            at(
                m.span(),
                "max_linked",
                format!(
                    "expected an integer from 1 to {}, got {}",
                    u32::MAX,
                    m.get_ref()
                ),
            );
            300
        }
    };

    let alitelecom_products = match raw.alitelecom_products {
        None => BTreeSet::from(["alitelecom".to_string()]),
        Some(list) => list
            .into_inner()
            .into_iter()
            .map(|p| p.trim().to_string())
            .collect(),
    };

    let mut policy = Policy {
        unsettled: Unsettled::Defer,
        grace_hours: 0,
    };
    if let Some(p) = &raw.policy {
        if let Some(u) = &p.unsettled {
            match u.get_ref().as_str() {
                "defer" => policy.unsettled = Unsettled::Defer,
                "reject" => policy.unsettled = Unsettled::Reject,
                other => at(
                    u.span(),
                    "unsettled",
                    format!("expected \"defer\" or \"reject\", got {other:?}"),
                ),
            }
        }
        if let Some(g) = &p.grace_hours {
            match u32::try_from(*g.get_ref()) {
                Ok(h) => policy.grace_hours = h,
                Err(_) => at(
                    g.span(),
                    "grace_hours",
                    format!("expected an integer >= 0, got {}", g.get_ref()),
                ),
            }
        }
    }

    let description = raw.description.map(|d| d.into_inner()).unwrap_or_default();

    let calendar = Calendar::new(zone?, week_start);
    let mut bound = |value: &Option<Spanned<toml::Value>>, key: &str| -> Option<Instant> {
        let Some(v) = value else {
            problems.push(FILE, 0, key, format!("required setting `{key}` is missing"));
            return None;
        };
        match time_value(&calendar, v.get_ref()) {
            Ok(t) => Some(t),
            Err(msg) => {
                problems.push(FILE, line_of(text, v.span().start), key, msg);
                None
            }
        }
    };
    let start = bound(&raw.start, "start");
    let end = bound(&raw.end, "end");
    let (start, end) = (start?, end?);
    if end <= start {
        let line = raw
            .end
            .as_ref()
            .map_or(0, |e| line_of(text, e.span().start));
        problems.push(FILE, line, "end", "expected `end` to be after `start`");
        return None;
    }
    if let Some((key, message)) = super::horizon_limit(&calendar, start, end) {
        let at = if key == "end" { &raw.end } else { &raw.start };
        let line = at.as_ref().map_or(0, |v| line_of(text, v.span().start));
        problems.push(FILE, line, key, message);
        return None;
    }

    Some(Settings {
        name,
        description,
        calendar,
        start,
        end,
        money: MoneyRules { scale, rounding },
        max_linked,
        alitelecom_products,
        policy,
    })
}

/// The key written at the start of a line, to name the setting a TOML error is about.
fn key_on_line(text: &str, line: u64) -> String {
    let Some(l) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return "-".to_string();
    };
    match l.split_once('=') {
        Some((k, _)) if !k.trim().is_empty() && !k.contains('[') => k.trim().to_string(),
        _ => "-".to_string(),
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// `start`/`end`: a SPEC §2 time string, or a TOML date or datetime literal.
fn time_value(calendar: &Calendar, v: &toml::Value) -> Result<Instant, String> {
    match v {
        toml::Value::String(s) => calendar.parse_time(s),
        toml::Value::Datetime(dt) => {
            let Some(d) = dt.date else {
                return Err(format!("expected a date or date-time, got the time {dt}"));
            };
            let date =
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| format!("{dt} is not a valid date"))?;
            let time = match dt.time {
                None => None,
                Some(t) if t.nanosecond != 0 => {
                    return Err(format!("{dt}: fractional seconds are not allowed"))
                }
                Some(t) => Some(
                    NaiveTime::from_hms_opt(
                        u32::from(t.hour),
                        u32::from(t.minute),
                        u32::from(t.second),
                    )
                    .ok_or_else(|| format!("{dt} is not a valid time"))?,
                ),
            };
            let offset = match dt.offset {
                None => None,
                Some(toml::value::Offset::Z) => Some(0),
                Some(toml::value::Offset::Custom { minutes }) => Some(i32::from(minutes)),
            };
            calendar.from_parts(date, time, offset)
        }
        other => Err(format!(
            "expected a time like \"2026-03-01\" or a TOML date, got {}",
            other.type_str()
        )),
    }
}
