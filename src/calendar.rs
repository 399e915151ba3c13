//! Time, zones and billing cycles (SPEC §2).
//!
//! Everything the engine knows about wall clocks lives here, so that the rest of the crate
//! can work with plain integer [`Instant`]s and never has to think about DST. Cycle and month
//! boundaries are local wall-clock times; this module turns them into instants once, with the
//! gap/overlap rules of SPEC §2 applied in a single place.
//!
//! Readings chosen where SPEC §2 leaves room (see also the tests):
//! - An input offset or fixed zone of `-00:00` is accepted and means UTC.
//! - A zone offset that is not a whole number of minutes (pre-1900 local mean time in some
//!   IANA zones) is written truncated to whole minutes, and the local digits are computed with
//!   that truncated offset, so the output still names the exact instant.
//! - The billing period of an instant is the month whose monthly cycle contains it (identical
//!   to the local calendar month except inside a fall-back that crosses a month's midnight).

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Days, FixedOffset, MappedLocalTime, Months, NaiveDate, NaiveDateTime,
    NaiveTime, Offset, TimeDelta, TimeZone, Timelike, Weekday,
};

/// An instant: whole seconds since the Unix epoch (UTC).
///
/// Plain integer seconds keep comparisons, hashing and interval arithmetic in the engine cheap
/// and unambiguous; wall clocks only appear at the edges (parsing, cycle boundaries, output).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

impl Instant {
    /// Elapsed-time arithmetic (e.g. `grace_hours`) must not depend on the zone, so it is done
    /// on the instant itself. Saturates instead of overflowing so that an absurd input cannot
    /// panic the simulator.
    pub fn plus_seconds(self, s: i64) -> Instant {
        Instant(self.0.saturating_add(s))
    }
}

/// Billing cycle length of a resource.
///
/// Ordered from shortest to longest so that callers can sort or pick "the finer cycle".
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cycle {
    /// Starts whenever the local clock reads HH:00:00, so a fall-back hour bills twice.
    Hourly,
    /// Local midnight to midnight, so DST days bill 23 or 25 hours.
    Daily,
    /// From the calendar's `week_start` at 00:00, so analysts can match their fiscal week.
    Weekly,
    /// From the 1st at 00:00, aligned with the billing period.
    Monthly,
}

impl Cycle {
    /// Scenario files name cycles in lowercase; anything else is rejected (None) so that the
    /// caller can report the offending value in its own context.
    pub fn parse(s: &str) -> Option<Cycle> {
        match s {
            "hourly" => Some(Cycle::Hourly),
            "daily" => Some(Cycle::Daily),
            "weekly" => Some(Cycle::Weekly),
            "monthly" => Some(Cycle::Monthly),
            _ => None,
        }
    }

    /// Reports and error messages must echo the same spelling the scenario uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Hourly => "hourly",
            Cycle::Daily => "daily",
            Cycle::Weekly => "weekly",
            Cycle::Monthly => "monthly",
        }
    }
}

/// The scenario's time zone.
///
/// Fixed offsets are kept apart from IANA zones because they never have gaps or overlaps, so
/// every question about them is answered with pure arithmetic on the engine's hot path.
#[derive(Clone, Debug)]
pub enum Zone {
    /// `±HH:MM`: no DST, so every cycle is pure arithmetic.
    Fixed(chrono::FixedOffset),
    /// An IANA name: boundaries follow that region's real DST history.
    Iana(chrono_tz::Tz),
}

/// Seconds in a day / hour, as i64 for instant arithmetic.
const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// The message every malformed time input gets, so analysts always see the accepted forms.
const EXPECTED_TIME: &str =
    "expected a time like 2026-03-10T09:00:00, 2026-03-10 or 2026-03-10T09:00:00+08:00";

impl Zone {
    /// Err(message) for anything not an IANA name or ±HH:MM (HH ≤ 23, MM ≤ 59).
    ///
    /// The fixed form is checked first and strictly (exactly six bytes) so that near-misses
    /// like `+8:00` or `+0800` are reported instead of being guessed at.
    pub fn parse(s: &str) -> Result<Zone, String> {
        let b = s.as_bytes();
        if matches!(b.first(), Some(b'+') | Some(b'-')) {
            let secs = parse_offset(b).ok_or_else(|| {
                format!("timezone {s:?}: expected an IANA name like Asia/Shanghai or an offset like +08:00 (±HH:MM, HH <= 23, MM <= 59)")
            })?;
            // |secs| <= 23:59, always within FixedOffset's ±24h range; the error arm is
            // kept only so that no user input can reach a panic.
            return FixedOffset::east_opt(secs)
                .map(Zone::Fixed)
                .ok_or_else(|| format!("timezone {s:?}: offset out of range"));
        }
        s.parse::<chrono_tz::Tz>().map(Zone::Iana).map_err(|_| {
            format!(
                "timezone {s:?}: expected an IANA name like Asia/Shanghai or an offset like +08:00"
            )
        })
    }

    /// Output times carry the offset in force at each instant, which for IANA zones changes
    /// across DST; this is the single source of that offset.
    pub fn offset_seconds(&self, t: Instant) -> i32 {
        match self {
            Zone::Fixed(f) => f.local_minus_utc(),
            Zone::Iana(tz) => tz
                .offset_from_utc_datetime(&naive_utc(t.0))
                .fix()
                .local_minus_utc(),
        }
    }

    /// Cycle and month boundaries are defined on the local wall clock, so every calendar
    /// question starts by asking what the clock on the wall reads at `t`.
    pub fn local(&self, t: Instant) -> NaiveDateTime {
        naive_utc(t.0.saturating_add(i64::from(self.offset_seconds(t))))
    }

    /// Wall-clock → instant for INPUT: None when it falls in a gap; ambiguous → earlier.
    ///
    /// Input that names a wall-clock time the zone skipped is almost certainly a mistake in
    /// the scenario, so it is refused rather than silently shifted (SPEC §2).
    pub fn from_local(&self, n: NaiveDateTime) -> Option<Instant> {
        let x0 = naive_secs(n);
        match self {
            Zone::Fixed(f) => Some(Instant(x0 - i64::from(f.local_minus_utc()))),
            Zone::Iana(tz) => match tz.offset_from_local_datetime(&n) {
                MappedLocalTime::Single(o) => Some(Instant(x0 - off_secs(o))),
                MappedLocalTime::Ambiguous(a, b) => {
                    Some(Instant((x0 - off_secs(a)).min(x0 - off_secs(b))))
                }
                MappedLocalTime::None => None,
            },
        }
    }

    /// Wall-clock → instant for a cycle BOUNDARY: gap → first instant after the gap; ambiguous → earlier.
    ///
    /// Unlike input, a boundary must always exist (a day that starts inside a gap still
    /// starts), so a skipped wall time moves to the moment the clock resumes.
    pub fn boundary(&self, n: NaiveDateTime) -> Instant {
        match self.from_local(n) {
            Some(i) => i,
            None => self.gap_end(n),
        }
    }

    /// The first instant after the gap that swallowed wall time `n`: the smallest instant
    /// whose local reading is past `n` while the second before it still read earlier.
    ///
    /// Bisection over [x0 − 1 day, x0 + 1 day] (x0 = `n` read as UTC). Every offset is
    /// strictly within ±24 h, so the lower end always reads before `n` and the upper end after
    /// it; the bisection keeps that invariant and therefore ends on an instant where the
    /// clock jumps over `n`, which is exactly the end of the gap containing `n`.
    fn gap_end(&self, n: NaiveDateTime) -> Instant {
        let x0 = naive_secs(n);
        let mut lo = x0 - DAY; // local(lo) < n
        let mut hi = x0 + DAY; // local(hi) >= n
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.local(Instant(mid)) >= n {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Instant(hi)
    }

    /// Every instant at which the wall clock reads `n` (two in an overlap), or the gap end when
    /// it never does: the hourly boundaries contributed by the hour mark `n`.
    fn hour_mark_instants(&self, n: NaiveDateTime, out: &mut Vec<i64>) {
        let x0 = naive_secs(n);
        match self {
            Zone::Fixed(f) => out.push(x0 - i64::from(f.local_minus_utc())),
            Zone::Iana(tz) => match tz.offset_from_local_datetime(&n) {
                MappedLocalTime::Single(o) => out.push(x0 - off_secs(o)),
                MappedLocalTime::Ambiguous(a, b) => {
                    out.push(x0 - off_secs(a));
                    out.push(x0 - off_secs(b));
                }
                MappedLocalTime::None => out.push(self.gap_end(n).0),
            },
        }
    }

    /// A name for error messages.
    fn name(&self) -> String {
        match self {
            Zone::Fixed(f) => {
                let mut s = String::with_capacity(6);
                push_offset(f.local_minus_utc() / 60, &mut s);
                s
            }
            Zone::Iana(tz) => tz.name().to_string(),
        }
    }
}

/// Calendar: a zone plus week start; answers every cycle question the engine asks.
///
/// Bundling the two keeps the engine from ever computing a boundary with the wrong zone or
/// week start, and gives one place to optimise the ~1M cycle lookups per run.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Where wall-clock boundaries are read; also decides the offset printed in reports.
    pub zone: Zone,
    /// First day of weekly cycles; a scenario setting because fiscal weeks differ.
    pub week_start: Weekday,
}

impl Calendar {
    /// The week start is a scenario setting (default Monday) that only weekly cycles need,
    /// but it belongs with the zone so no caller has to pass it around.
    pub fn new(zone: Zone, week_start: Weekday) -> Calendar {
        Calendar { zone, week_start }
    }

    /// The cycle [start, end) of `kind` that contains `t` (start <= t < end).
    ///
    /// Bills are keyed by their cycle, so every usage instant has to be mapped to exactly one
    /// half-open cycle, with the DST rules of SPEC §2 applied to both ends.
    pub fn cycle_containing(&self, kind: Cycle, t: Instant) -> (Instant, Instant) {
        match &self.zone {
            Zone::Fixed(f) => fixed_cycle(kind, t, f.local_minus_utc(), self.week_start),
            Zone::Iana(_) => {
                let r = match kind {
                    Cycle::Hourly => self.iana_hourly(t),
                    _ => self.iana_mark_cycle(kind, t).map(|(s, e, _)| (s, e)),
                };
                // Only reachable at the far ends of chrono's date range (hundreds of
                // thousands of years away); fall back to the offset in force at `t`.
                r.unwrap_or_else(|| {
                    fixed_cycle(kind, t, self.zone.offset_seconds(t), self.week_start)
                })
            }
        }
    }

    /// The first billing-period (month) start strictly after `t` (a `t` exactly on a month start gives the FOLLOWING month's start).
    ///
    /// The engine closes billing periods at this instant; "strictly after" lets it step from
    /// one period to the next without ever standing still.
    pub fn next_month_start(&self, t: Instant) -> Instant {
        self.cycle_containing(Cycle::Monthly, t).1
    }

    /// The local (year, month) of `t` — the billing period it falls in.
    ///
    /// Derived from the monthly cycle rather than from the raw local date, so that invoices and
    /// monthly bills can never disagree about which period an instant belongs to.
    pub fn month_of(&self, t: Instant) -> (i32, u32) {
        match &self.zone {
            Zone::Fixed(f) => {
                let local = t.0.saturating_add(i64::from(f.local_minus_utc()));
                let (y, m, _) = civil_from_days(local.div_euclid(DAY));
                (clamp_year(y), m)
            }
            Zone::Iana(_) => match self.iana_mark_cycle(Cycle::Monthly, t) {
                Some((_, _, mark)) => (mark.year(), mark.month()),
                None => {
                    let l = self.zone.local(t);
                    (l.year(), l.month())
                }
            },
        }
    }

    /// Parses one of the three SPEC §2 input forms. Err is a short human message saying what was expected,
    /// e.g. `expected a time like 2026-03-10T09:00:00, 2026-03-10 or 2026-03-10T09:00:00+08:00, got "..."`,
    /// or `2026-03-08T02:30:00 does not exist in America/New_York (DST gap)`.
    ///
    /// Parsing is by byte position and deliberately strict (no lowercase `t`/`z`, fractions,
    /// spaces or `+0800`), so that one scenario file means the same thing to every tool.
    pub fn parse_time(&self, s: &str) -> Result<Instant, String> {
        let bad = || format!("{EXPECTED_TIME}, got {s:?}");
        let b = s.as_bytes();
        let date = match b.get(..10) {
            Some(d) => parse_date(d).ok_or_else(bad)?,
            None => return Err(bad()),
        };
        if b.len() == 10 {
            return self.local_to_instant(date.and_time(NaiveTime::MIN), true);
        }
        if b.len() < 19 || b[10] != b'T' {
            return Err(bad());
        }
        let time = parse_hms(&b[11..19]).ok_or_else(bad)?;
        let n = date.and_time(time);
        match b.len() {
            19 => self.local_to_instant(n, false),
            20 if b[19] == b'Z' => Ok(Instant(naive_secs(n))),
            25 => {
                let off = parse_offset(&b[19..]).ok_or_else(bad)?;
                Ok(Instant(naive_secs(n) - i64::from(off)))
            }
            _ => Err(bad()),
        }
    }

    /// Converts a TOML date/datetime literal, given as its parts.
    ///
    /// `start`/`end` may be written as TOML literals (SPEC §2); the caller destructures the
    /// literal so this module stays independent of the TOML crate. The rules are those of
    /// [`Calendar::parse_time`]: no fractional seconds, gaps are errors, overlaps take the
    /// earlier instant. A date with an offset but no time (not a TOML form) means midnight at
    /// that offset.
    pub fn from_parts(
        &self,
        date: NaiveDate,
        time: Option<chrono::NaiveTime>,
        offset_minutes: Option<i32>,
    ) -> Result<Instant, String> {
        let t = time.unwrap_or(NaiveTime::MIN);
        if t.nanosecond() != 0 {
            // Also catches chrono's leap-second representation (nanosecond >= 1e9).
            return Err(format!(
                "{date}T{}: fractional or leap seconds are not supported ({EXPECTED_TIME})",
                t.format("%H:%M:%S")
            ));
        }
        let n = date.and_time(t);
        match offset_minutes {
            Some(m) if m.abs() <= 23 * 60 + 59 => Ok(Instant(naive_secs(n) - i64::from(m) * 60)),
            Some(m) => Err(format!(
                "offset of {m} minutes is out of range (expected ±HH:MM with HH <= 23)"
            )),
            None => self.local_to_instant(n, time.is_none()),
        }
    }

    /// Formats for output: `2026-03-10T00:00:00+08:00`. Appends to `out` (hot path: no allocation beyond the push; avoid chrono's format machinery, write digits directly).
    ///
    /// Every report row carries times, so this is written digit by digit; the offset is the
    /// one in force at `t`, so a reader can tell the two repeated hours of a fall-back apart.
    ///
    /// The result is RFC 3339 for years 1–9999, and a scenario's horizon is limited so that
    /// every time a report prints falls in them (`scenario.toml` `start`/`end`, see
    /// docs/interpretations.md); outside them a year is printed as its plain number.
    pub fn write_time(&self, t: Instant, out: &mut String) {
        // Whole minutes, truncated toward zero (see module docs for sub-minute LMT offsets).
        let off_min = self.zone.offset_seconds(t) / 60;
        out.reserve(25);
        write_local(t.0.saturating_add(i64::from(off_min) * 60), true, out);
        push_offset(off_min, out);
    }

    /// Appends the local wall-clock time of `t` without an offset, `2026-03-10T09:00:00`:
    /// the local input form of SPEC §2, which `generate` writes and [`Calendar::parse_time`]
    /// reads back as `t` (in a zone without DST overlaps, such as a fixed offset).
    pub fn write_local_time(&self, t: Instant, out: &mut String) {
        let off_min = self.zone.offset_seconds(t) / 60;
        write_local(t.0.saturating_add(i64::from(off_min) * 60), true, out);
    }

    /// Appends the local date of `t`, `2026-03-10`: the date-only input form (local
    /// midnight when `t` is one).
    pub fn write_local_date(&self, t: Instant, out: &mut String) {
        let off_min = self.zone.offset_seconds(t) / 60;
        write_local(t.0.saturating_add(i64::from(off_min) * 60), false, out);
    }

    /// Convenience for error messages and tests, where one allocation does not matter.
    pub fn format_time(&self, t: Instant) -> String {
        let mut s = String::with_capacity(25);
        self.write_time(t, &mut s);
        s
    }

    /// Local wall time from user input → instant, with the gap rule turned into a message.
    fn local_to_instant(&self, n: NaiveDateTime, date_only: bool) -> Result<Instant, String> {
        self.zone.from_local(n).ok_or_else(|| {
            let what = if date_only {
                format!("{} (midnight)", n.date())
            } else {
                n.format("%Y-%m-%dT%H:%M:%S").to_string()
            };
            format!("{what} does not exist in {} (DST gap)", self.zone.name())
        })
    }

    /// Hourly cycle in an IANA zone.
    ///
    /// Fast path: if the offset in force at `t`, at the hour mark before it and one hour
    /// later are all equal, the clock ran straight through that hour, so [s, s + 1h) is the
    /// cycle. Otherwise collect every boundary contributed by the hour marks around the local
    /// hour of `t` (both instants of a repeated mark, the gap end of a skipped one) and take
    /// the nearest ones on each side of `t`.
    fn iana_hourly(&self, t: Instant) -> Option<(Instant, Instant)> {
        let o = i64::from(self.zone.offset_seconds(t));
        let local = t.0.checked_add(o)?;
        let s = t.0 - local.rem_euclid(HOUR);
        let e = s.checked_add(HOUR)?;
        if i64::from(self.zone.offset_seconds(Instant(s))) == o
            && i64::from(self.zone.offset_seconds(Instant(e))) == o
        {
            return Some((Instant(s), Instant(e)));
        }
        let hour = naive_utc(local - local.rem_euclid(HOUR));
        let mut cands: Vec<i64> = Vec::with_capacity(16);
        // ±2 marks covers every real DST shift (≤ 2 h); the wide window is a safety net for
        // historic day-sized jumps.
        for span in [2i64, 50] {
            cands.clear();
            for k in -span..=span {
                let mark = hour.checked_add_signed(TimeDelta::try_hours(k)?)?;
                self.zone.hour_mark_instants(mark, &mut cands);
            }
            let start = cands.iter().copied().filter(|&c| c <= t.0).max();
            let end = cands.iter().copied().filter(|&c| c > t.0).min();
            if let (Some(a), Some(b)) = (start, end) {
                return Some((Instant(a), Instant(b)));
            }
        }
        None
    }

    /// Daily/weekly/monthly cycle in an IANA zone, plus the wall-clock date of the mark that
    /// starts it (for `month_of`).
    ///
    /// Starts from the mark (midnight, week start, 1st) on or before the local date of `t`
    /// and walks marks until boundary(k) <= t < boundary(k+1). Boundaries of consecutive marks
    /// are at least a day apart on the wall and offsets are within ±24 h, so the walk takes
    /// at most a few steps; it is bounded anyway.
    fn iana_mark_cycle(&self, kind: Cycle, t: Instant) -> Option<(Instant, Instant, NaiveDate)> {
        let d = self.zone.local(t).date();
        let mut k = match kind {
            Cycle::Hourly => return None,
            Cycle::Daily => d,
            Cycle::Weekly => {
                let back = (7 + d.weekday().num_days_from_monday()
                    - self.week_start.num_days_from_monday())
                    % 7;
                d.checked_sub_days(Days::new(u64::from(back)))?
            }
            Cycle::Monthly => d.with_day(1)?,
        };
        let step = |m: NaiveDate, forward: bool| -> Option<NaiveDate> {
            match (kind, forward) {
                (Cycle::Daily, true) => m.checked_add_days(Days::new(1)),
                (Cycle::Daily, false) => m.checked_sub_days(Days::new(1)),
                (Cycle::Weekly, true) => m.checked_add_days(Days::new(7)),
                (Cycle::Weekly, false) => m.checked_sub_days(Days::new(7)),
                (_, true) => m.checked_add_months(Months::new(1)),
                (_, false) => m.checked_sub_months(Months::new(1)),
            }
        };
        let bound = |m: NaiveDate| self.zone.boundary(m.and_time(NaiveTime::MIN));
        let mut s = bound(k);
        for _ in 0..8 {
            if s <= t {
                break;
            }
            k = step(k, false)?;
            s = bound(k);
        }
        for _ in 0..8 {
            let next = step(k, true)?;
            let e = bound(next);
            if e > t {
                return (s <= t).then_some((s, e, k));
            }
            k = next;
            s = e;
        }
        None
    }
}

/// Cycle arithmetic for a constant offset: no table lookups, no searching.
fn fixed_cycle(kind: Cycle, t: Instant, off: i32, week_start: Weekday) -> (Instant, Instant) {
    let off = i64::from(off);
    let local = t.0.saturating_add(off);
    // Saturating arithmetic: only instants hundreds of thousands of years away could
    // overflow, and those must not panic the simulator.
    let at_day = |day: i64| day.saturating_mul(DAY).saturating_sub(off);
    let (start, len) = match kind {
        Cycle::Hourly => (t.0.saturating_sub(local.rem_euclid(HOUR)), HOUR),
        Cycle::Daily => (at_day(local.div_euclid(DAY)), DAY),
        Cycle::Weekly => {
            let day = local.div_euclid(DAY);
            // 1970-01-01 (day 0) was a Thursday: 3 days after Monday.
            let from_monday = (day + 3).rem_euclid(7);
            let back = (from_monday - i64::from(week_start.num_days_from_monday())).rem_euclid(7);
            (at_day(day - back), 7 * DAY)
        }
        Cycle::Monthly => {
            let (y, m, _) = civil_from_days(local.div_euclid(DAY));
            let first = days_from_civil(y, m, 1);
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let next = days_from_civil(ny, nm, 1);
            (at_day(first), (next - first) * DAY)
        }
    };
    (Instant(start), Instant(start.saturating_add(len)))
}

/// Seconds of a TzOffset, widened for instant arithmetic.
fn off_secs<O: Offset>(o: O) -> i64 {
    i64::from(o.fix().local_minus_utc())
}

/// A naive date-time read as if it were UTC, in epoch seconds.
fn naive_secs(n: NaiveDateTime) -> i64 {
    n.and_utc().timestamp()
}

/// Epoch seconds → naive date-time, clamped to chrono's range (only absurd instants, far
/// beyond any scenario, are clamped).
fn naive_utc(secs: i64) -> NaiveDateTime {
    match DateTime::from_timestamp(secs, 0) {
        Some(d) => d.naive_utc(),
        None if secs < 0 => NaiveDateTime::MIN,
        None => NaiveDateTime::MAX,
    }
}

/// Years from `civil_from_days` on clamped instants stay far within i32, but clamp anyway.
fn clamp_year(y: i64) -> i32 {
    y.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's `civil_from_days`); pure arithmetic for the formatting hot path.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Appends the wall-clock time `local` (seconds since the epoch, local): the date, and
/// with `with_time` also `THH:MM:SS`.
fn write_local(local: i64, with_time: bool, out: &mut String) {
    let days = local.div_euclid(DAY);
    let sod = local.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        push2(out, (y / 100) as u32);
        push2(out, (y % 100) as u32);
    } else {
        // Outside RFC 3339's four-digit years; still print something faithful. Writing
        // to a String cannot fail.
        let _ = write!(out, "{y}");
    }
    out.push('-');
    push2(out, m);
    out.push('-');
    push2(out, d);
    if with_time {
        out.push('T');
        push2(out, (sod / HOUR) as u32);
        out.push(':');
        push2(out, ((sod % HOUR) / 60) as u32);
        out.push(':');
        push2(out, (sod % 60) as u32);
    }
}

/// Two decimal digits, zero-padded; callers guarantee `v < 100`.
fn push2(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// `±HH:MM` from a whole-minute offset (`+` for zero, never `Z`).
fn push_offset(minutes: i32, out: &mut String) {
    out.push(if minutes < 0 { '-' } else { '+' });
    let a = minutes.unsigned_abs();
    push2(out, a / 60);
    out.push(':');
    push2(out, a % 60);
}

/// `n` ASCII digits → number; None on any other byte.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Exactly `YYYY-MM-DD` (10 bytes) → a real calendar date.
fn parse_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Exactly `HH:MM:SS` (8 bytes) → a time; hour 24 and leap second 60 are refused.
fn parse_hms(b: &[u8]) -> Option<NaiveTime> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = digits(&b[0..2])?;
    let m = digits(&b[3..5])?;
    let s = digits(&b[6..8])?;
    if s > 59 {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, s)
}

/// Exactly `±HH:MM` (6 bytes, HH ≤ 23, MM ≤ 59) → offset seconds east of UTC.
fn parse_offset(b: &[u8]) -> Option<i32> {
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits(&b[1..3])?;
    let m = digits(&b[4..6])?;
    if h > 23 || m > 59 {
        return None;
    }
    // h <= 23 and m <= 59, so this fits an i32 comfortably.
    Some(sign * (h * 3600 + m * 60) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(z: &str) -> Calendar {
        Calendar::new(Zone::parse(z).unwrap(), Weekday::Mon)
    }

    fn cal_ws(z: &str, ws: Weekday) -> Calendar {
        Calendar::new(Zone::parse(z).unwrap(), ws)
    }

    /// The cycle of `kind` containing the parsed time `at`, formatted.
    fn cyc(c: &Calendar, kind: Cycle, at: &str) -> (String, String) {
        let t = c.parse_time(at).unwrap();
        let (s, e) = c.cycle_containing(kind, t);
        assert!(s <= t && t < e, "{at}: {s:?} <= {t:?} < {e:?}");
        (c.format_time(s), c.format_time(e))
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    fn hours(c: &Calendar, kind: Cycle, at: &str) -> i64 {
        let t = c.parse_time(at).unwrap();
        let (s, e) = c.cycle_containing(kind, t);
        assert_eq!((e.0 - s.0) % 60, 0);
        (e.0 - s.0) / 60
    }

    #[test]
    fn cycle_names_round_trip() {
        for k in [Cycle::Hourly, Cycle::Daily, Cycle::Weekly, Cycle::Monthly] {
            assert_eq!(Cycle::parse(k.as_str()), Some(k));
        }
        assert_eq!(Cycle::parse("Hourly"), None);
        assert_eq!(Cycle::parse("yearly"), None);
        assert!(Cycle::Hourly < Cycle::Monthly);
    }

    #[test]
    fn zone_parse() {
        assert!(matches!(Zone::parse("Asia/Shanghai"), Ok(Zone::Iana(_))));
        assert!(matches!(Zone::parse("America/New_York"), Ok(Zone::Iana(_))));
        assert!(matches!(Zone::parse("UTC"), Ok(Zone::Iana(_))));
        match Zone::parse("+08:00") {
            Ok(Zone::Fixed(f)) => assert_eq!(f.local_minus_utc(), 8 * 3600),
            other => panic!("{other:?}"),
        }
        match Zone::parse("-05:30") {
            Ok(Zone::Fixed(f)) => assert_eq!(f.local_minus_utc(), -(5 * 3600 + 1800)),
            other => panic!("{other:?}"),
        }
        match Zone::parse("+23:59") {
            Ok(Zone::Fixed(f)) => assert_eq!(f.local_minus_utc(), 23 * 3600 + 59 * 60),
            other => panic!("{other:?}"),
        }
        for bad in [
            "",
            "+8:00",
            "+0800",
            "+08",
            "08:00",
            "+08:00:00",
            "+24:00",
            "-05:60",
            "+08:0a",
            "Mars/Olympus",
            "asia/shanghai",
            "Z",
            " +08:00",
            "+08:00 ",
        ] {
            let e = Zone::parse(bad).unwrap_err();
            assert!(e.contains("timezone"), "{bad}: {e}");
        }
    }

    #[test]
    fn plus_seconds_saturates() {
        assert_eq!(Instant(10).plus_seconds(5), Instant(15));
        assert_eq!(Instant(10).plus_seconds(-15), Instant(-5));
        assert_eq!(Instant(i64::MAX).plus_seconds(1), Instant(i64::MAX));
    }

    #[test]
    fn format_fixed_and_negative_offsets() {
        let c = cal("+08:00");
        let t = c.parse_time("2026-03-10").unwrap();
        assert_eq!(t, Instant(1_773_072_000));
        assert_eq!(c.format_time(t), "2026-03-10T00:00:00+08:00");

        let c = cal("-05:30");
        assert_eq!(
            c.format_time(c.parse_time("2026-03-10T09:07:05").unwrap()),
            "2026-03-10T09:07:05-05:30"
        );
        let c = cal("+00:00");
        assert_eq!(c.format_time(Instant(0)), "1970-01-01T00:00:00+00:00");
        let c = cal("-00:00");
        assert_eq!(c.format_time(Instant(0)), "1970-01-01T00:00:00+00:00");

        let ny = cal("America/New_York");
        assert_eq!(
            ny.format_time(ny.parse_time("2026-01-15T12:00:00").unwrap()),
            "2026-01-15T12:00:00-05:00"
        );
        assert_eq!(
            ny.format_time(ny.parse_time("2026-07-15T12:00:00").unwrap()),
            "2026-07-15T12:00:00-04:00"
        );
        // UTC input shown in the zone's offset, never as Z.
        assert_eq!(
            ny.format_time(ny.parse_time("2026-07-15T16:00:00Z").unwrap()),
            "2026-07-15T12:00:00-04:00"
        );
        // write_time appends.
        let mut s = String::from("x,");
        ny.write_time(Instant(0), &mut s);
        assert_eq!(s, "x,1969-12-31T19:00:00-05:00");
        // Before the epoch and around year boundaries.
        let utc = cal("+00:00");
        assert_eq!(utc.format_time(Instant(-1)), "1969-12-31T23:59:59+00:00");
        assert_eq!(
            utc.format_time(utc.parse_time("2000-02-29T23:59:59").unwrap()),
            "2000-02-29T23:59:59+00:00"
        );
    }

    #[test]
    fn sub_minute_offsets_print_whole_minutes_naming_the_exact_instant() {
        // Every IANA zone, at instants across the local-mean-time era (before ~1900, and
        // Africa/Monrovia's -00:44:30 until 1972): the offset printed is the zone's truncated
        // toward zero to whole minutes, and the string parses back to the same instant.
        for tz in chrono_tz::TZ_VARIANTS {
            let c = Calendar::new(Zone::Iana(tz), Weekday::Mon);
            let mut t = -3_000_000_000i64; // 1874
            while t < 100_000_000 {
                let s = c.format_time(Instant(t));
                assert_eq!(s.len(), 25, "{tz} {t} {s}");
                let parsed = DateTime::parse_from_rfc3339(&s).unwrap();
                assert_eq!(parsed.timestamp(), t, "{tz} {s}");
                let off = c.zone.offset_seconds(Instant(t));
                assert_eq!(parsed.offset().local_minus_utc(), off / 60 * 60, "{tz} {s}");
                t += 86_400 * 397 + 3_607;
            }
        }
        let sh = cal("Asia/Shanghai");
        let midnight = sh.parse_time("1900-01-02").unwrap();
        assert_eq!(sh.format_time(midnight), "1900-01-01T23:59:17+08:05");
    }

    #[test]
    fn write_time_matches_chrono() {
        let zones = [
            "Asia/Shanghai",
            "America/New_York",
            "Australia/Lord_Howe",
            "+05:30",
            "-09:45",
        ];
        for z in zones {
            let c = cal(z);
            let mut t = -2_000_000_000i64;
            while t < 4_200_000_000 {
                let off = c.zone.offset_seconds(Instant(t));
                let fo = FixedOffset::east_opt(off).unwrap();
                let expected = DateTime::from_timestamp(t, 0)
                    .unwrap()
                    .with_timezone(&fo)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
                assert_eq!(c.format_time(Instant(t)), expected, "{z} {t}");
                t += 7_777_777;
            }
        }
    }

    #[test]
    fn parse_forms() {
        let c = cal("+08:00");
        let local = c.parse_time("2026-03-10T09:00:00").unwrap();
        assert_eq!(c.parse_time("2026-03-10T01:00:00Z").unwrap(), local);
        assert_eq!(c.parse_time("2026-03-10T09:00:00+08:00").unwrap(), local);
        assert_eq!(c.parse_time("2026-03-09T20:00:00-05:00").unwrap(), local);
        assert_eq!(c.parse_time("2026-03-10T01:00:00-00:00").unwrap(), local);
        assert_eq!(c.parse_time("2026-03-10T14:30:00+13:30").unwrap(), local);
        assert_eq!(
            c.parse_time("2026-03-10").unwrap(),
            local.plus_seconds(-9 * 3600)
        );
        assert_eq!(
            c.parse_time("2026-03-10T23:59:59").unwrap().0,
            local.0 + 14 * 3600 + 3599
        );
    }

    #[test]
    fn parse_errors() {
        let c = cal("+08:00");
        for bad in [
            "2026-03-10t09:00:00",
            "2026-03-10T09:00:00z",
            "2026-03-10T09:00:00.5",
            "2026-03-10T09:00:00.000+08:00",
            "2026-03-10 09:00:00",
            "2026-03-10T09:00:00+0800",
            "2026-03-10T09:00:00+08",
            "2026-03-10T09:00:00+24:00",
            "2026-03-10T09:00:00+08:60",
            "2026-03-10T09:00:00 +08:00",
            "2026-03-10T24:00:00",
            "2026-03-10T23:60:00",
            "2026-03-10T23:59:60",
            "2026-06-30T23:59:60Z",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2027-02-29",
            "2026-03-10T09:00:00junk",
            "2026-03-10x",
            "2026-03-10T",
            "2026-03-10T09:00",
            "2026-3-10",
            "26-03-10",
            "+2026-03-10",
            "2026/03/10",
            "",
            " 2026-03-10",
            "2026-03-10 ",
            "2026-03-1０",
            "２026-03-10",
        ] {
            let e = c.parse_time(bad).unwrap_err();
            assert!(e.starts_with("expected a time like 2026-03-10T09:00:00, 2026-03-10 or 2026-03-10T09:00:00+08:00, got \""), "{bad}: {e}");
        }
        assert_eq!(
            c.parse_time("2026-02-30").unwrap_err(),
            "expected a time like 2026-03-10T09:00:00, 2026-03-10 or 2026-03-10T09:00:00+08:00, got \"2026-02-30\""
        );
        // Leap day exists in leap years only.
        assert!(c.parse_time("2028-02-29").is_ok());
    }

    #[test]
    fn month_ends_and_year_end() {
        let c = cal("+08:00");
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-01-31T23:59:59"),
            pair("2026-01-31T00:00:00+08:00", "2026-02-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2026-01-31T23:59:59"),
            pair("2026-01-01T00:00:00+08:00", "2026-02-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2026-02-01"),
            pair("2026-02-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2026-12-15T10:00:00"),
            pair("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-12-31T12:00:00"),
            pair("2026-12-31T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-12-31T23:59:59"),
            pair("2026-12-31T23:00:00+08:00", "2027-01-01T00:00:00+08:00")
        );
        // UTC input late on Dec 31 is already January locally.
        let t = c.parse_time("2026-12-31T16:00:00Z").unwrap();
        assert_eq!(c.month_of(t), (2027, 1));
        assert_eq!(c.month_of(t.plus_seconds(-1)), (2026, 12));

        // Same in an IANA zone.
        let sh = cal("Asia/Shanghai");
        assert_eq!(
            cyc(&sh, Cycle::Monthly, "2026-12-31T23:59:59"),
            pair("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
        );
        assert_eq!(
            cyc(&sh, Cycle::Daily, "2026-01-31T00:00:00"),
            pair("2026-01-31T00:00:00+08:00", "2026-02-01T00:00:00+08:00")
        );
        assert_eq!(
            sh.month_of(sh.parse_time("2026-12-31T23:59:59").unwrap()),
            (2026, 12)
        );
        assert_eq!(sh.month_of(sh.parse_time("2027-01-01").unwrap()), (2027, 1));
    }

    #[test]
    fn leap_day_2028() {
        for z in ["+08:00", "Asia/Shanghai"] {
            let c = cal(z);
            assert_eq!(
                cyc(&c, Cycle::Daily, "2028-02-29T13:00:00"),
                pair("2028-02-29T00:00:00+08:00", "2028-03-01T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&c, Cycle::Monthly, "2028-02-29T13:00:00"),
                pair("2028-02-01T00:00:00+08:00", "2028-03-01T00:00:00+08:00")
            );
            assert_eq!(hours(&c, Cycle::Monthly, "2028-02-29") / 60, 29 * 24);
            assert_eq!(hours(&c, Cycle::Monthly, "2026-02-10") / 60, 28 * 24);
            assert_eq!(
                cyc(&c, Cycle::Daily, "2028-02-28T23:59:59"),
                pair("2028-02-28T00:00:00+08:00", "2028-02-29T00:00:00+08:00")
            );
            assert_eq!(
                c.month_of(c.parse_time("2028-02-29T23:59:59").unwrap()),
                (2028, 2)
            );
        }
    }

    #[test]
    fn weeks_monday_and_sunday() {
        // 2026-03-10 is a Tuesday.
        for z in ["+08:00", "Asia/Shanghai"] {
            let mon = cal_ws(z, Weekday::Mon);
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2026-03-10T09:00:00"),
                pair("2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00")
            );
            // Exactly on the start, and the last second of the week.
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2026-03-09"),
                pair("2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2026-03-15T23:59:59"),
                pair("2026-03-09T00:00:00+08:00", "2026-03-16T00:00:00+08:00")
            );
            let sun = cal_ws(z, Weekday::Sun);
            assert_eq!(
                cyc(&sun, Cycle::Weekly, "2026-03-10T09:00:00"),
                pair("2026-03-08T00:00:00+08:00", "2026-03-15T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&sun, Cycle::Weekly, "2026-03-14T23:59:59"),
                pair("2026-03-08T00:00:00+08:00", "2026-03-15T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&sun, Cycle::Weekly, "2026-03-15"),
                pair("2026-03-15T00:00:00+08:00", "2026-03-22T00:00:00+08:00")
            );
            // Week crossing a month end (and a year end).
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2026-04-01T12:00:00"),
                pair("2026-03-30T00:00:00+08:00", "2026-04-06T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2026-03-31T12:00:00"),
                pair("2026-03-30T00:00:00+08:00", "2026-04-06T00:00:00+08:00")
            );
            assert_eq!(
                cyc(&mon, Cycle::Weekly, "2027-01-01"),
                pair("2026-12-28T00:00:00+08:00", "2027-01-04T00:00:00+08:00")
            );
            let sat = cal_ws(z, Weekday::Sat);
            assert_eq!(
                cyc(&sat, Cycle::Weekly, "2026-03-13T12:00:00"),
                pair("2026-03-07T00:00:00+08:00", "2026-03-14T00:00:00+08:00")
            );
        }
    }

    #[test]
    fn new_york_spring_gap() {
        let c = cal("America/New_York");
        // 23-hour day.
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-03-08T12:00:00"),
            pair("2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-03-08T12:00:00"), 23 * 60);
        // The 01:00 hour ends at 03:00 local (02:00 is skipped, its mark moves to 03:00).
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-03-08T01:30:00"),
            pair("2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00")
        );
        assert_eq!(hours(&c, Cycle::Hourly, "2026-03-08T01:59:59"), 60);
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-03-08T03:00:00"),
            pair("2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-03-08T00:59:59"),
            pair("2026-03-08T00:00:00-05:00", "2026-03-08T01:00:00-05:00")
        );
        // Input inside the gap is an error; the date alone is fine.
        assert_eq!(
            c.parse_time("2026-03-08T02:30:00").unwrap_err(),
            "2026-03-08T02:30:00 does not exist in America/New_York (DST gap)"
        );
        assert!(c.parse_time("2026-03-08T02:00:00").is_err());
        assert_eq!(
            c.format_time(c.parse_time("2026-03-08").unwrap()),
            "2026-03-08T00:00:00-05:00"
        );
        // But an explicit offset is always fine.
        assert_eq!(
            c.format_time(c.parse_time("2026-03-08T02:30:00-05:00").unwrap()),
            "2026-03-08T03:30:00-04:00"
        );
        // boundary() of a gap wall time is the gap end; from_local refuses it.
        let n = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(c.zone.from_local(n), None);
        assert_eq!(
            c.format_time(c.zone.boundary(n)),
            "2026-03-08T03:00:00-04:00"
        );
        // Weekly (Sunday start) and monthly cycles containing the short day.
        let sun = cal_ws("America/New_York", Weekday::Sun);
        assert_eq!(
            cyc(&sun, Cycle::Weekly, "2026-03-10T12:00:00"),
            pair("2026-03-08T00:00:00-05:00", "2026-03-15T00:00:00-04:00")
        );
        assert_eq!(
            hours(&sun, Cycle::Weekly, "2026-03-10T12:00:00"),
            (7 * 24 - 1) * 60
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2026-03-08T12:00:00"),
            pair("2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00")
        );
        // write_time across the transition.
        let gap_end = c.parse_time("2026-03-08T07:00:00Z").unwrap();
        assert_eq!(
            c.format_time(gap_end.plus_seconds(-1)),
            "2026-03-08T01:59:59-05:00"
        );
        assert_eq!(c.format_time(gap_end), "2026-03-08T03:00:00-04:00");
    }

    #[test]
    fn new_york_fall_overlap() {
        let c = cal("America/New_York");
        // 25-hour day.
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-11-01T12:00:00"),
            pair("2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-11-01T12:00:00"), 25 * 60);
        // Ambiguous input is the earlier instant.
        let t = c.parse_time("2026-11-01T01:30:00").unwrap();
        assert_eq!(c.format_time(t), "2026-11-01T01:30:00-04:00");
        assert_eq!(t, c.parse_time("2026-11-01T05:30:00Z").unwrap());
        // Two hourly cycles read 01:00, one per offset.
        let first = c.cycle_containing(Cycle::Hourly, t);
        assert_eq!(
            (c.format_time(first.0), c.format_time(first.1)),
            pair("2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00")
        );
        let second = c.cycle_containing(Cycle::Hourly, t.plus_seconds(3600));
        assert_eq!(
            (c.format_time(second.0), c.format_time(second.1)),
            pair("2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00")
        );
        assert_eq!(first.1, second.0);
        assert_eq!(
            c.format_time(t.plus_seconds(3600)),
            "2026-11-01T01:30:00-05:00"
        );
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-11-01T00:59:59"),
            pair("2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-04:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-11-01T02:00:00"),
            pair("2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00")
        );
        // An explicit offset selects the later one.
        assert_eq!(
            c.format_time(c.parse_time("2026-11-01T01:30:00-05:00").unwrap()),
            "2026-11-01T01:30:00-05:00"
        );
    }

    #[test]
    fn skipped_midnight_havana() {
        // Cuba springs forward at 00:00 → 01:00 on the second Sunday of March.
        let c = cal("America/Havana");
        let n = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            c.zone.from_local(n),
            None,
            "midnight 2026-03-08 must be skipped in Havana"
        );
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-03-08T12:00:00"),
            pair("2026-03-08T01:00:00-04:00", "2026-03-09T00:00:00-04:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-03-07T23:59:59"),
            pair("2026-03-07T00:00:00-05:00", "2026-03-08T01:00:00-04:00")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-03-08T12:00:00"), 23 * 60);
        assert_eq!(
            c.parse_time("2026-03-08").unwrap_err(),
            "2026-03-08 (midnight) does not exist in America/Havana (DST gap)"
        );
        // Sunday week starts on the skipped midnight too.
        let sun = cal_ws("America/Havana", Weekday::Sun);
        assert_eq!(
            cyc(&sun, Cycle::Weekly, "2026-03-10T12:00:00"),
            pair("2026-03-08T01:00:00-04:00", "2026-03-15T00:00:00-04:00")
        );
        // Cuba falls back 01:00 → 00:00 on the first Sunday of November: midnight repeats,
        // and the day starts at the earlier one.
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-11-01T12:00:00"),
            pair("2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-11-01T12:00:00"), 25 * 60);
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-11-01T00:30:00"),
            pair("2026-11-01T00:00:00-04:00", "2026-11-01T00:00:00-05:00")
        );
    }

    #[test]
    fn skipped_month_start_asuncion() {
        // Paraguay sprang forward 00:00 -04:00 → 01:00 -03:00 on Sunday 2023-10-01, so the
        // October 2023 billing period starts at 01:00.
        let c = cal("America/Asuncion");
        let n = NaiveDate::from_ymd_opt(2023, 10, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(
            c.zone.from_local(n),
            None,
            "2023-10-01 midnight should be skipped"
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2023-10-15"),
            pair("2023-10-01T01:00:00-03:00", "2023-11-01T00:00:00-03:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Monthly, "2023-09-30T23:59:59"),
            pair("2023-09-01T00:00:00-04:00", "2023-10-01T01:00:00-03:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Daily, "2023-10-01T12:00:00"),
            pair("2023-10-01T01:00:00-03:00", "2023-10-02T00:00:00-03:00")
        );
        let last_sep = c.parse_time("2023-09-30T23:59:59").unwrap();
        assert_eq!(c.month_of(last_sep), (2023, 9));
        assert_eq!(c.month_of(last_sep.plus_seconds(1)), (2023, 10));
        assert_eq!(
            c.format_time(c.next_month_start(last_sep)),
            "2023-10-01T01:00:00-03:00"
        );
        assert_eq!(
            c.format_time(c.next_month_start(last_sep.plus_seconds(1))),
            "2023-11-01T00:00:00-03:00"
        );
        assert_eq!(
            c.parse_time("2023-10-01").unwrap_err(),
            "2023-10-01 (midnight) does not exist in America/Asuncion (DST gap)"
        );
        assert!(c.parse_time("2023-10-01T00:59:59").is_err());
        assert!(c.parse_time("2023-10-01T01:00:00").is_ok());
    }

    #[test]
    fn skipped_midnight_santiago() {
        // Chile springs forward 00:00 → 01:00 on 2026-09-06.
        let c = cal("America/Santiago");
        assert!(c.parse_time("2026-09-06").is_err());
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-09-06T12:00:00"),
            pair("2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00")
        );
        // It falls back 00:00 -03:00 → 23:00 -04:00 on 2026-04-05: the Saturday is 25 h and
        // both readings of 23:30 belong to it.
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-04-04T23:30:00-04:00"),
            pair("2026-04-04T00:00:00-03:00", "2026-04-05T00:00:00-04:00")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-04-04T12:00:00"), 25 * 60);
    }

    #[test]
    fn fixed_half_hour_offsets() {
        let c = cal("+05:30");
        let t = c.parse_time("2026-03-10T09:45:00").unwrap();
        let (s, e) = c.cycle_containing(Cycle::Hourly, t);
        assert_eq!(c.format_time(s), "2026-03-10T09:00:00+05:30");
        assert_eq!(c.format_time(e), "2026-03-10T10:00:00+05:30");
        // xx:00 local is xx:30 UTC.
        assert_eq!(s, c.parse_time("2026-03-10T03:30:00Z").unwrap());
        assert_eq!(s.0.rem_euclid(3600), 1800);
        assert_eq!(
            cyc(&c, Cycle::Daily, "2026-03-10T00:00:00"),
            pair("2026-03-10T00:00:00+05:30", "2026-03-11T00:00:00+05:30")
        );
        let c = cal("-05:30");
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-03-10T09:00:00"),
            pair("2026-03-10T09:00:00-05:30", "2026-03-10T10:00:00-05:30")
        );
        assert_eq!(
            c.cycle_containing(Cycle::Hourly, c.parse_time("2026-03-10T09:59:59").unwrap())
                .0,
            c.parse_time("2026-03-10T14:30:00Z").unwrap()
        );
        // IANA half-hour zone agrees.
        let k = cal("Asia/Kolkata");
        assert_eq!(
            cyc(&k, Cycle::Hourly, "2026-03-10T09:45:00"),
            pair("2026-03-10T09:00:00+05:30", "2026-03-10T10:00:00+05:30")
        );
    }

    #[test]
    fn lord_howe_half_hour_dst() {
        let c = cal("Australia/Lord_Howe");
        // Spring 2026-10-04: 02:00 +10:30 → 02:30 +11:00.
        assert!(c.parse_time("2026-10-04T02:15:00").is_err());
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-10-04T01:59:59"),
            pair("2026-10-04T01:00:00+10:30", "2026-10-04T02:30:00+11:00")
        );
        assert_eq!(hours(&c, Cycle::Hourly, "2026-10-04T01:00:00"), 60);
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-10-04T02:30:00"),
            pair("2026-10-04T02:30:00+11:00", "2026-10-04T03:00:00+11:00")
        );
        assert_eq!(hours(&c, Cycle::Hourly, "2026-10-04T02:45:00"), 30);
        assert_eq!(hours(&c, Cycle::Daily, "2026-10-04T12:00:00"), 23 * 60 + 30);
        // Fall 2026-04-05: 02:00 +11:00 → 01:30 +10:30; 01:30–02:00 repeats.
        let t = c.parse_time("2026-04-05T01:45:00").unwrap();
        assert_eq!(c.format_time(t), "2026-04-05T01:45:00+11:00");
        let first = c.cycle_containing(Cycle::Hourly, t);
        let second = c.cycle_containing(Cycle::Hourly, t.plus_seconds(1800));
        assert_eq!(
            c.format_time(t.plus_seconds(1800)),
            "2026-04-05T01:45:00+10:30"
        );
        assert_eq!(first, second);
        assert_eq!(
            (c.format_time(first.0), c.format_time(first.1)),
            pair("2026-04-05T01:00:00+11:00", "2026-04-05T02:00:00+10:30")
        );
        assert_eq!(first.1 .0 - first.0 .0, 5400);
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2026-04-05T02:00:00"),
            pair("2026-04-05T02:00:00+10:30", "2026-04-05T03:00:00+10:30")
        );
        assert_eq!(hours(&c, Cycle::Daily, "2026-04-05T12:00:00"), 24 * 60 + 30);
    }

    #[test]
    fn next_month_start_on_and_off() {
        for z in ["+08:00", "Asia/Shanghai"] {
            let c = cal(z);
            let feb1 = c.parse_time("2026-02-01").unwrap();
            let mar1 = c.parse_time("2026-03-01").unwrap();
            assert_eq!(c.next_month_start(feb1), mar1);
            assert_eq!(c.next_month_start(feb1.plus_seconds(-1)), feb1);
            assert_eq!(
                c.next_month_start(c.parse_time("2026-02-14T10:00:00").unwrap()),
                mar1
            );
            assert_eq!(
                c.format_time(c.next_month_start(c.parse_time("2026-12-01").unwrap())),
                "2027-01-01T00:00:00+08:00"
            );
        }
        let ny = cal("America/New_York");
        assert_eq!(
            ny.format_time(ny.next_month_start(ny.parse_time("2026-03-01").unwrap())),
            "2026-04-01T00:00:00-04:00"
        );
        assert_eq!(
            ny.format_time(ny.next_month_start(ny.parse_time("2026-10-31T23:59:59").unwrap())),
            "2026-11-01T00:00:00-04:00"
        );
    }

    #[test]
    fn from_parts_forms() {
        let c = cal("America/New_York");
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(c.from_parts(d, None, None), c.parse_time("2026-03-08"));
        let t = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            c.from_parts(d, Some(t), None).unwrap_err(),
            "2026-03-08T02:30:00 does not exist in America/New_York (DST gap)"
        );
        assert_eq!(
            c.from_parts(d, Some(t), Some(-300)),
            c.parse_time("2026-03-08T02:30:00-05:00")
        );
        assert_eq!(
            c.from_parts(d, Some(t), Some(0)),
            c.parse_time("2026-03-08T02:30:00Z")
        );
        assert!(c.from_parts(d, Some(t), Some(24 * 60)).is_err());
        let frac = NaiveTime::from_hms_milli_opt(9, 0, 0, 500).unwrap();
        assert!(c.from_parts(d, Some(frac), None).is_err());
        let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1000).unwrap();
        assert!(c.from_parts(d, Some(leap), None).is_err());
        let o = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            c.from_parts(o, NaiveTime::from_hms_opt(1, 30, 0), None),
            c.parse_time("2026-11-01T01:30:00-04:00")
        );
    }

    /// Brute-force reference: all hourly/daily boundaries by scanning every minute.
    fn scan_cycles(c: &Calendar, kind: Cycle, from: i64, to: i64) {
        let is_mark = |l: NaiveDateTime| match kind {
            Cycle::Hourly => l.minute() == 0 && l.second() == 0,
            _ => l.hour() == 0 && l.minute() == 0 && l.second() == 0,
        };
        // Collect boundaries: instants whose local time is a mark (earlier only for daily),
        // plus gap ends for skipped marks.
        let mut bounds: Vec<i64> = Vec::new();
        let mut seen_daily = std::collections::BTreeSet::new();
        let mut t = from;
        let mut prev = c.zone.local(Instant(t - 60));
        while t < to {
            let l = c.zone.local(Instant(t));
            let mut skipped = false;
            // Detect a skipped mark between prev and l (clock jumped forward past a mark).
            if l - prev > TimeDelta::minutes(1) {
                let mut m = prev + TimeDelta::minutes(1);
                while m < l {
                    if is_mark(m) {
                        skipped = true;
                    }
                    m += TimeDelta::minutes(1);
                }
            }
            if is_mark(l) || skipped {
                let fresh = kind == Cycle::Hourly
                    || seen_daily.insert(if is_mark(l) {
                        l.date()
                    } else {
                        prev.date() + Days::new(1)
                    });
                if fresh && bounds.last() != Some(&t) {
                    bounds.push(t);
                }
            }
            prev = l;
            t += 60;
        }
        assert!(
            bounds.len() >= 3,
            "{kind:?}: too few boundaries found: {}",
            bounds.len()
        );
        for w in bounds.windows(2) {
            for probe in [w[0], w[0] + 59, w[1] - 1, (w[0] + w[1]) / 2] {
                let got = c.cycle_containing(kind, Instant(probe));
                assert_eq!(
                    got,
                    (Instant(w[0]), Instant(w[1])),
                    "{kind:?} probe {}",
                    c.format_time(Instant(probe))
                );
            }
        }
    }

    #[test]
    fn brute_force_agreement() {
        // Spans around real transitions, scanned minute by minute.
        let cases = [
            ("America/New_York", "2026-03-07", "2026-03-10"),
            ("America/New_York", "2026-10-31", "2026-11-03"),
            ("Australia/Lord_Howe", "2026-04-04", "2026-04-07"),
            ("Australia/Lord_Howe", "2026-10-03", "2026-10-06"),
            ("America/Havana", "2026-03-07", "2026-03-10"),
            ("America/Havana", "2026-10-31", "2026-11-03"),
            ("America/Santiago", "2026-04-04", "2026-04-07"),
            ("America/Santiago", "2026-09-05", "2026-09-08"),
            ("America/Asuncion", "2023-09-30", "2023-10-03"),
            ("Pacific/Apia", "2011-12-28", "2012-01-02"),
        ];
        let utc = cal("+00:00");
        for (z, a, b) in cases {
            let c = cal(z);
            let from = utc.parse_time(a).unwrap().0;
            let to = utc.parse_time(b).unwrap().0;
            scan_cycles(&c, Cycle::Hourly, from, to);
            scan_cycles(&c, Cycle::Daily, from, to);
        }
    }

    #[test]
    fn samoa_skipped_day() {
        let c = cal("Pacific/Apia");
        assert!(c.parse_time("2011-12-30T12:00:00").is_err());
        assert_eq!(
            cyc(&c, Cycle::Daily, "2011-12-29T12:00:00"),
            pair("2011-12-29T00:00:00-10:00", "2011-12-31T00:00:00+14:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Hourly, "2011-12-29T23:30:00"),
            pair("2011-12-29T23:00:00-10:00", "2011-12-31T00:00:00+14:00")
        );
        assert_eq!(
            cyc(&c, Cycle::Daily, "2011-12-31T00:00:00"),
            pair("2011-12-31T00:00:00+14:00", "2012-01-01T00:00:00+14:00")
        );
    }

    #[test]
    fn fixed_matches_iana_equivalent() {
        // Etc/GMT-8 is +08:00 with no transitions: both code paths must agree.
        let f = cal_ws("+08:00", Weekday::Wed);
        let i = cal_ws("Etc/GMT-8", Weekday::Wed);
        let mut t = -1_000_000_000i64;
        while t < 3_000_000_000 {
            for k in [Cycle::Hourly, Cycle::Daily, Cycle::Weekly, Cycle::Monthly] {
                assert_eq!(
                    f.cycle_containing(k, Instant(t)),
                    i.cycle_containing(k, Instant(t)),
                    "{k:?} {t}"
                );
            }
            assert_eq!(f.month_of(Instant(t)), i.month_of(Instant(t)));
            assert_eq!(f.format_time(Instant(t)), i.format_time(Instant(t)));
            t += 1_234_567;
        }
    }

    #[test]
    fn civil_round_trip() {
        for z in (-800_000i64..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            let nd = NaiveDate::from_ymd_opt(y as i32, m, d).unwrap();
            assert_eq!(
                (nd - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days(),
                z
            );
        }
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for z in ["+08:00", "America/New_York"] {
            let c = cal(z);
            for t in [i64::MIN, i64::MIN / 2, -1, 0, i64::MAX / 2, i64::MAX] {
                for k in [Cycle::Hourly, Cycle::Daily, Cycle::Weekly, Cycle::Monthly] {
                    let _ = c.cycle_containing(k, Instant(t));
                }
                let _ = c.month_of(Instant(t));
                let _ = c.next_month_start(Instant(t));
                let _ = c.format_time(Instant(t));
                let _ = c.zone.local(Instant(t));
            }
        }
    }
}
