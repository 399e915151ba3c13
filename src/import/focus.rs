//! What the importer reads of a FOCUS cost-and-usage file: the columns it needs, how their
//! fields are parsed, and the kinds of charge FOCUS names.
//!
//! Tolerant of what real exports hold (columns in any order and case, extra and `x_`
//! columns, FOCUS 1.0 to 1.3 headers, empty optional fields, times in UTC or with an
//! offset), strict about what it needs: a missing required column or an unparseable cost or
//! time is a located problem, `FILE:line: column: message`.

use super::exact::{parse_cost, Cost};
use crate::calendar::Instant;
use crate::error::{ProblemKind, Problems};
use chrono::{NaiveDate, NaiveTime};

/// The columns the importer cannot do without (FOCUS 1.0 makes each mandatory).
const REQUIRED: [&str; 8] = [
    "BillingAccountId",
    "BillingCurrency",
    "BilledCost",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ListCost",
    "ServiceName",
];

/// Columns read when present. `ServiceProviderName` is FOCUS 1.3's name for
/// `ProviderName`.
const OPTIONAL: [&str; 6] = [
    "SubAccountId",
    "ResourceId",
    "ChargeFrequency",
    "ProviderName",
    "ServiceProviderName",
    "ServiceCategory",
];

/// Where each column the importer reads is in one file's header.
#[derive(Clone, Debug)]
pub struct Columns {
    billing_account: usize,
    currency: usize,
    billed: usize,
    category: usize,
    start: usize,
    end: usize,
    list: usize,
    service: usize,
    sub_account: Option<usize>,
    resource: Option<usize>,
    frequency: Option<usize>,
    provider: Option<usize>,
    service_category: Option<usize>,
    /// The FOCUS version the header's columns point to (`1.0` … `1.3`).
    pub version: &'static str,
    /// Header columns the importer does not read, as written, in header order.
    pub unread: Vec<String>,
}

/// The kind of a charge (FOCUS ChargeCategory), spelled as FOCUS does whatever the file's
/// case; any other value is kept as written.
pub fn category_name(raw: &str) -> &str {
    const KNOWN: [&str; 5] = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"];
    KNOWN
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(raw))
        .unwrap_or(raw)
}

/// FOCUS ChargeFrequency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Frequency {
    /// Absent or empty: says nothing about the billing method.
    Unspecified,
    UsageBased,
    Recurring,
    OneTime,
    /// Any other value.
    Other,
}

impl Frequency {
    fn parse(raw: &str) -> Frequency {
        let is = |k: &str| raw.eq_ignore_ascii_case(k);
        if raw.is_empty() {
            Frequency::Unspecified
        } else if is("Usage-Based") {
            Frequency::UsageBased
        } else if is("Recurring") {
            Frequency::Recurring
        } else if is("One-Time") {
            Frequency::OneTime
        } else {
            Frequency::Other
        }
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    pub fn from_u8(v: u8) -> Frequency {
        match v {
            1 => Frequency::UsageBased,
            2 => Frequency::Recurring,
            3 => Frequency::OneTime,
            4 => Frequency::Other,
            _ => Frequency::Unspecified,
        }
    }
}

/// One charge row, its fields borrowed from the record.
#[derive(Clone, Debug)]
pub struct Charge<'r> {
    pub billing_account: &'r str,
    /// SubAccountId, or BillingAccountId where it is empty.
    pub account: &'r str,
    /// ResourceId, or ServiceName where it is empty (may still be empty).
    pub resource: &'r str,
    pub service: &'r str,
    pub category: &'r str,
    pub frequency: Frequency,
    pub start: Instant,
    pub end: Instant,
    pub list: Option<Cost>,
    pub billed: Option<Cost>,
    pub currency: &'r str,
    pub provider: &'r str,
    pub service_category: &'r str,
}

impl Columns {
    /// Maps a header; None (after a problem per missing or doubled column, on line 1) when a
    /// required column is not there exactly once. Names match ignoring ASCII case.
    pub fn from_header(header: &[String], file: &str, problems: &mut Problems) -> Option<Columns> {
        let find = |name: &str, problems: &mut Problems| -> Result<Option<usize>, ()> {
            let mut at = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.eq_ignore_ascii_case(name))
                .map(|(i, _)| i);
            match (at.next(), at.next()) {
                (None, _) => Ok(None),
                (Some(i), None) => Ok(Some(i)),
                (Some(_), Some(_)) => {
                    problems.add(
                        ProblemKind::BadHeader,
                        file,
                        1,
                        name,
                        "duplicate column: which one holds the value is not clear",
                    );
                    Err(())
                }
            }
        };
        let mut ok = true;
        let mut required = [0usize; REQUIRED.len()];
        for (slot, name) in required.iter_mut().zip(REQUIRED) {
            match find(name, problems) {
                Ok(Some(i)) => *slot = i,
                Ok(None) => {
                    problems.add(
                        ProblemKind::BadHeader,
                        file,
                        1,
                        name,
                        "column is missing (FOCUS requires it; is this a FOCUS cost-and-usage file?)",
                    );
                    ok = false;
                }
                Err(()) => ok = false,
            }
        }
        let mut optional = [None; OPTIONAL.len()];
        for (slot, name) in optional.iter_mut().zip(OPTIONAL) {
            match find(name, problems) {
                Ok(i) => *slot = i,
                Err(()) => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let read: Vec<usize> = required
            .iter()
            .copied()
            .chain(optional.iter().flatten().copied())
            .collect();
        let unread = header
            .iter()
            .enumerate()
            .filter(|(i, _)| !read.contains(i))
            .map(|(_, h)| h.clone())
            .collect();
        let [billing_account, currency, billed, category, start, end, list, service] = required;
        let [sub_account, resource, frequency, provider, service_provider, service_category] =
            optional;
        Some(Columns {
            billing_account,
            currency,
            billed,
            category,
            start,
            end,
            list,
            service,
            sub_account,
            resource,
            frequency,
            provider: provider.or(service_provider),
            service_category,
            version: version(header),
            unread,
        })
    }

    /// Reads one row; None after a problem for each field that cannot be read.
    pub fn charge<'r>(
        &self,
        field: &dyn Fn(usize) -> Result<&'r str, ()>,
        file: &str,
        line: u64,
        problems: &mut Problems,
    ) -> Option<Charge<'r>> {
        let mut ok = true;
        let mut text = |col: Option<usize>, name: &str, problems: &mut Problems| -> &'r str {
            let Some(col) = col else { return "" };
            match field(col) {
                Ok(v) => v.trim(),
                Err(()) => {
                    problems.add(ProblemKind::Encoding, file, line, name, "invalid UTF-8");
                    ok = false;
                    ""
                }
            }
        };
        let billing_account = text(Some(self.billing_account), "BillingAccountId", problems);
        let sub_account = text(self.sub_account, "SubAccountId", problems);
        let resource = text(self.resource, "ResourceId", problems);
        let service = text(Some(self.service), "ServiceName", problems);
        let category = text(Some(self.category), "ChargeCategory", problems);
        let frequency = text(self.frequency, "ChargeFrequency", problems);
        let start = text(Some(self.start), "ChargePeriodStart", problems);
        let end = text(Some(self.end), "ChargePeriodEnd", problems);
        let list = text(Some(self.list), "ListCost", problems);
        let billed = text(Some(self.billed), "BilledCost", problems);
        let currency = text(Some(self.currency), "BillingCurrency", problems);
        let provider = text(self.provider, "ProviderName", problems);
        let service_category = text(self.service_category, "ServiceCategory", problems);
        if !ok {
            return None;
        }
        let mut bad = |column: &str, message: String| {
            problems.push(file, line, column, message);
            ok = false;
        };
        for (value, column) in [
            (billing_account, "BillingAccountId"),
            (category, "ChargeCategory"),
            (currency, "BillingCurrency"),
        ] {
            if value.is_empty() {
                bad(column, "expected a value, got an empty field".into());
            }
        }
        let mut time = |value: &str, column: &str| match parse_time(value) {
            Ok(t) => Some(t),
            Err(m) => {
                bad(column, m);
                None
            }
        };
        let start = time(start, "ChargePeriodStart");
        let end = time(end, "ChargePeriodEnd");
        let mut cost = |value: &str, column: &str| match parse_cost(value) {
            Ok(c) => Some(c),
            Err(m) => {
                problems.push(file, line, column, m);
                None
            }
        };
        let list = cost(list, "ListCost");
        let billed = cost(billed, "BilledCost");
        let (Some(start), Some(end), Some(list), Some(billed), true) =
            (start, end, list, billed, ok)
        else {
            return None;
        };
        Some(Charge {
            billing_account,
            account: if sub_account.is_empty() {
                billing_account
            } else {
                sub_account
            },
            resource: if resource.is_empty() {
                service
            } else {
                resource
            },
            service,
            category: category_name(category),
            frequency: Frequency::parse(frequency),
            start,
            end,
            list,
            billed,
            currency,
            provider,
            service_category,
        })
    }
}

/// The FOCUS version a header's columns point to: the newest version whose own columns
/// it has. Only said in `import.md`; every version is read the same way.
fn version(header: &[String]) -> &'static str {
    let has = |names: &[&str]| {
        header
            .iter()
            .any(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    if has(&[
        "ServiceProviderName",
        "HostProviderName",
        "AllocatedMethodId",
    ]) {
        "1.3"
    } else if has(&[
        "InvoiceId",
        "BillingAccountType",
        "SubAccountType",
        "PricingCurrency",
    ]) {
        "1.2"
    } else if has(&[
        "ServiceSubcategory",
        "SkuMeter",
        "SkuPriceDetails",
        "CapacityReservationId",
    ]) {
        "1.1"
    } else {
        "1.0"
    }
}

/// The message for a time the importer cannot read.
const EXPECTED_TIME: &str =
    "expected a time like 2026-05-01T00:00:00Z or 2026-05-01T00:00:00+08:00";

/// Parses a FOCUS date-time: `YYYY-MM-DDTHH:MM:SS` (or a space for `T`, seconds optional,
/// a fraction of zeros allowed) followed by `Z`, an offset `±HH:MM` / `±HHMM` / `±HH`, or
/// nothing (FOCUS times are UTC), or a bare date (midnight UTC).
pub fn parse_time(s: &str) -> Result<Instant, String> {
    let bad = || format!("{EXPECTED_TIME}, got {s:?}");
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let date = (|| {
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
    })()
    .ok_or_else(bad)?;
    if b.len() == 10 {
        return Ok(Instant(date.and_time(NaiveTime::MIN).and_utc().timestamp()));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return Err(bad());
    }
    let (h, m) = (num(11..13).ok_or_else(bad)?, num(14..16).ok_or_else(bad)?);
    let mut at = 16;
    let mut sec = 0;
    if b.get(at) == Some(&b':') {
        sec = num(17..19).ok_or_else(bad)?;
        at = 19;
    }
    if b.get(at) == Some(&b'.') {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(bad());
        }
        if b[at + 1..at + 1 + digits].iter().any(|&c| c != b'0') {
            return Err(format!(
                "{s:?}: a charge period boundary with a fraction of a second is not supported"
            ));
        }
        at += 1 + digits;
    }
    let time = NaiveTime::from_hms_opt(h, m, sec).ok_or_else(bad)?;
    let offset = parse_zone(&s[at..]).ok_or_else(bad)?;
    Ok(Instant(
        date.and_time(time).and_utc().timestamp() - i64::from(offset),
    ))
}

/// `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing (UTC) → seconds east of UTC.
fn parse_zone(z: &str) -> Option<i32> {
    if z.is_empty() || z == "Z" || z == "z" {
        return Some(0);
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &z[1..];
    let (h, m) = match rest.len() {
        2 => (rest, "00"),
        4 => (&rest[..2], &rest[2..]),
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    if !h.bytes().chain(m.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        parse_time(s).expect(s).0
    }

    #[test]
    fn times_in_utc_and_with_offsets_are_the_same_instants() {
        let utc = t("2026-05-01T16:00:00Z");
        assert_eq!(t("2026-05-02T00:00:00+08:00"), utc);
        assert_eq!(t("2026-05-02T00:00:00+0800"), utc);
        assert_eq!(t("2026-05-02T00:00:00+08"), utc);
        assert_eq!(t("2026-05-01 16:00:00"), utc);
        assert_eq!(t("2026-05-01T16:00Z"), utc);
        assert_eq!(t("2026-05-01T16:00:00.0000000Z"), utc);
        assert_eq!(t("2026-05-01T11:00:00-05:00"), utc);
        assert_eq!(t("2026-05-02"), utc + 8 * 3600);
    }

    #[test]
    fn malformed_times_say_what_was_expected() {
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-05-01T25:00:00Z",
            "05/01/2026",
            "2026-05-01T00:00:00+24:00",
            "2026-05-01T00:00:00 UTC",
            "2026-05-01T00:00:00.Z",
        ] {
            let e = parse_time(bad).expect_err(bad);
            assert!(e.starts_with(EXPECTED_TIME), "{bad}: {e}");
        }
        assert!(parse_time("2026-05-01T00:00:00.5Z")
            .unwrap_err()
            .contains("fraction of a second"));
    }

    #[test]
    fn headers_map_in_any_case_and_name_what_is_missing() {
        let header: Vec<String> = "billingaccountid,BillingCurrency,BilledCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceName,x_Custom,Tags"
            .split(',')
            .map(String::from)
            .collect();
        let mut problems = Problems::default();
        assert!(Columns::from_header(&header, "f.csv", &mut problems).is_none());
        let p = problems.into_vec();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].to_string(), "f.csv:1: ListCost: column is missing (FOCUS requires it; is this a FOCUS cost-and-usage file?)");
        let mut header = header;
        header.push("LISTCOST".into());
        let mut problems = Problems::default();
        let c = Columns::from_header(&header, "f.csv", &mut problems).expect("mapped");
        assert_eq!(c.unread, ["x_Custom", "Tags"]);
        assert_eq!(c.version, "1.0");
    }

    #[test]
    fn categories_are_spelled_as_focus_does() {
        assert_eq!(category_name("usage"), "Usage");
        assert_eq!(category_name("CREDIT"), "Credit");
        assert_eq!(category_name("Refund"), "Refund");
    }
}
