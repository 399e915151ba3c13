//! `scenario.toml`: the settings of SPEC §4, each checked and located by line.

use crate::calendar::{Calendar, Instant, Zone};
use crate::error::{ProblemKind, Problems};
use crate::money::{MoneyRules, Rounding};
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

const FILE: &str = "scenario.toml";

/// The earliest local `start` (inclusive) and latest local `end` allowed: a month inside
/// years 1 and 9999, so that every cycle touching the horizon (a week or month may start
/// before `start` and end after `end`) and every deferral (to the next month start) falls
/// inside years 1–9999, the years an RFC 3339 time can name (and Python's `datetime` can
/// hold). The output formatter can then never print a time that is not RFC 3339.
const FIRST_START: (i32, u32, u32) = (1, 2, 1);
const LAST_END: (i32, u32, u32) = (9999, 12, 1);

/// What to do with a trusteeship request while bills are unsettled (T5).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Unsettled {
    /// Defer it to the next billing period (T5.1).
    Defer,
    /// Reject it (T5).
    Reject,
}

/// Whose unsettled bills hold a trusteeship request back (T5, SPEC §5.1): the seed's "the
/// linked account and the original main account must have no unpaid bills" read two ways.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum T5Scope {
    /// Every bill the linked account or (for `modify`) the current main pays, a sibling
    /// linked account's bills on that main included. The default.
    Payer,
    /// Only the bills the linked account incurred, whoever pays them.
    Account,
}

/// When a subscription order changes hands (L1/T3, SPEC §5.2): the instant its payer, rule
/// and discount are decided at (its reference instant).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionPayer {
    /// The order belongs to the cycle containing it: decided at the cycle's start. The
    /// default.
    Cycle,
    /// The order is decided at its own time, like T5.2's "bills generated after".
    Order,
}

/// The names a policy value is written with, in `scenario.toml` and on the command line
/// (`generate --t5-scope account`): one table per policy, so parsing, printing and the
/// error message cannot disagree.
macro_rules! policy_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    other => {
                        let names: &[&str] = &[$(concat!("\"", $name, "\"")),+];
                        Err(format!("expected {}, got {other:?}", names.join(" or ")))
                    }
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

policy_names!(T5Scope { Payer => "payer", Account => "account" });
policy_names!(SubscriptionPayer { Cycle => "cycle", Order => "order" });

/// The `[policy]` table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub unsettled: Unsettled,
    /// Arrears younger than this do not suspend resources.
    pub grace_hours: u32,
    pub t5_scope: T5Scope,
    pub subscription_payer: SubscriptionPayer,
}

/// An ISO 4217 currency code (three uppercase letters), as FOCUS's BillingCurrency wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency(Box<str>);

impl Currency {
    /// A code of exactly three ASCII uppercase letters, else `None`. Whether the code is
    /// assigned is not checked: the list changes, and FOCUS only asks for the form.
    pub fn parse(code: &str) -> Option<Currency> {
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()))
            .then(|| Currency(code.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    /// The renminbi: the seed's provider bills in it.
    fn default() -> Self {
        Currency("CNY".into())
    }
}

/// FOCUS 1.0's ServiceCategory: the closed list a FOCUS validator accepts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceCategory {
    AiAndMachineLearning,
    Analytics,
    BusinessApplications,
    Compute,
    Databases,
    DeveloperTools,
    Multicloud,
    Identity,
    Integration,
    InternetOfThings,
    ManagementAndGovernance,
    Media,
    Migration,
    Mobile,
    Networking,
    Security,
    Storage,
    Web,
    Other,
}

impl ServiceCategory {
    /// Every value, in the order FOCUS 1.0 lists them.
    pub const ALL: [ServiceCategory; 19] = [
        ServiceCategory::AiAndMachineLearning,
        ServiceCategory::Analytics,
        ServiceCategory::BusinessApplications,
        ServiceCategory::Compute,
        ServiceCategory::Databases,
        ServiceCategory::DeveloperTools,
        ServiceCategory::Multicloud,
        ServiceCategory::Identity,
        ServiceCategory::Integration,
        ServiceCategory::InternetOfThings,
        ServiceCategory::ManagementAndGovernance,
        ServiceCategory::Media,
        ServiceCategory::Migration,
        ServiceCategory::Mobile,
        ServiceCategory::Networking,
        ServiceCategory::Security,
        ServiceCategory::Storage,
        ServiceCategory::Web,
        ServiceCategory::Other,
    ];

    /// The value as FOCUS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCategory::AiAndMachineLearning => "AI and Machine Learning",
            ServiceCategory::Analytics => "Analytics",
            ServiceCategory::BusinessApplications => "Business Applications",
            ServiceCategory::Compute => "Compute",
            ServiceCategory::Databases => "Databases",
            ServiceCategory::DeveloperTools => "Developer Tools",
            ServiceCategory::Multicloud => "Multicloud",
            ServiceCategory::Identity => "Identity",
            ServiceCategory::Integration => "Integration",
            ServiceCategory::InternetOfThings => "Internet of Things",
            ServiceCategory::ManagementAndGovernance => "Management and Governance",
            ServiceCategory::Media => "Media",
            ServiceCategory::Migration => "Migration",
            ServiceCategory::Mobile => "Mobile",
            ServiceCategory::Networking => "Networking",
            ServiceCategory::Security => "Security",
            ServiceCategory::Storage => "Storage",
            ServiceCategory::Web => "Web",
            ServiceCategory::Other => "Other",
        }
    }

    /// The value spelled exactly as FOCUS does (case included), else `None`.
    pub fn parse(s: &str) -> Option<ServiceCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
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
    /// FOCUS BillingCurrency. Default `CNY`.
    pub currency: Currency,
    /// FOCUS Provider, Publisher and InvoiceIssuer. Default `Alibaba Cloud`.
    pub provider: String,
    /// FOCUS ServiceCategory per product; a product not listed is
    /// [`ServiceCategory::Other`] (see [`Settings::service_category`]).
    pub service_categories: BTreeMap<String, ServiceCategory>,
    pub policy: Policy,
}

impl Settings {
    /// The FOCUS ServiceCategory of `product`: its `service_categories` entry, else `Other`.
    pub fn service_category(&self, product: &str) -> ServiceCategory {
        self.service_categories
            .get(product)
            .copied()
            .unwrap_or(ServiceCategory::Other)
    }
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
    currency: Option<Spanned<String>>,
    provider: Option<Spanned<String>>,
    service_categories: Option<BTreeMap<String, Spanned<String>>>,
    policy: Option<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    unsettled: Option<Spanned<String>>,
    grace_hours: Option<Spanned<i64>>,
    t5_scope: Option<Spanned<String>>,
    subscription_payer: Option<Spanned<String>>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Parses `scenario.toml`; `dir_name` is the default scenario name. Problems come out in
/// line order (SPEC §7), whatever order the settings are checked in; the sort is stable, so
/// problems of one line keep the order they were found in.
pub(super) fn parse(text: &str, dir_name: &str, problems: &mut Problems) -> Option<Settings> {
    let mut found = Problems::default();
    let settings = parse_settings(text, dir_name, &mut found);
    found.sort_by_file(&[FILE]);
    problems.extend(found);
    settings
}

fn parse_settings(text: &str, dir_name: &str, problems: &mut Problems) -> Option<Settings> {
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
            let kind = if message.starts_with("unknown field") {
                ProblemKind::UnknownSetting
            } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
                ProblemKind::BadValue
            } else {
                ProblemKind::Syntax
            };
            problems.add(kind, FILE, line, &key, message);
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

    // Every amount of every table is checked against the scale: with a bad one, the tables
    // are not read (their problems would be guesses).
    let mut scale_ok = true;
    let scale = match &raw.money_scale {
        None => 2,
        Some(s) if (0..=8).contains(s.get_ref()) => *s.get_ref() as u32,
        Some(s) => {
            at(
                s.span(),
                "money_scale",
                format!("expected an integer from 0 to 8, got {}", s.get_ref()),
            );
            scale_ok = false;
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

    let currency = match &raw.currency {
        None => Currency::default(),
        Some(c) => Currency::parse(c.get_ref()).unwrap_or_else(|| {
            at(
                c.span(),
                "currency",
                format!(
                    "expected an ISO 4217 code of three uppercase letters like \"CNY\", got {:?}",
                    c.get_ref()
                ),
            );
            Currency::default()
        }),
    };

    let provider = match &raw.provider {
        None => "Alibaba Cloud".to_string(),
        Some(p) => {
            let v = p.get_ref().trim();
            if v.is_empty() {
                at(
                    p.span(),
                    "provider",
                    "expected a non-empty provider name like \"Alibaba Cloud\"".into(),
                );
            }
            v.to_string()
        }
    };

    let mut service_categories = BTreeMap::new();
    for (product, category) in raw.service_categories.iter().flatten() {
        let product = product.trim();
        if product.is_empty() {
            at(
                category.span(),
                "service_categories",
                "expected a product code as the key, got an empty one".into(),
            );
            continue;
        }
        match ServiceCategory::parse(category.get_ref()) {
            Some(c) => {
                if service_categories.insert(product.to_string(), c).is_some() {
                    at(
                        category.span(),
                        "service_categories",
                        format!("{product}: listed twice (keys are trimmed)"),
                    );
                }
            }
            // All 19 values would not fit a problem's one line; the docs list them.
            None => at(
                category.span(),
                "service_categories",
                format!(
                    "{product}: expected a FOCUS 1.0 ServiceCategory spelled as FOCUS does, \
                     like \"Compute\", \"Storage\", \"Databases\" or \"Other\", got {:?}",
                    category.get_ref()
                ),
            ),
        }
    }

    let mut policy = Policy {
        unsettled: Unsettled::Defer,
        grace_hours: 0,
        t5_scope: T5Scope::Payer,
        subscription_payer: SubscriptionPayer::Cycle,
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
        if let Some(v) = &p.t5_scope {
            match v.get_ref().parse() {
                Ok(scope) => policy.t5_scope = scope,
                Err(msg) => at(v.span(), "t5_scope", msg),
            }
        }
        if let Some(v) = &p.subscription_payer {
            match v.get_ref().parse() {
                Ok(payer) => policy.subscription_payer = payer,
                Err(msg) => at(v.span(), "subscription_payer", msg),
            }
        }
    }

    let description = raw.description.map(|d| d.into_inner()).unwrap_or_default();

    let calendar = Calendar::new(zone?, week_start);
    let mut bound = |value: &Option<Spanned<toml::Value>>, key: &str| -> Option<Instant> {
        let Some(v) = value else {
            problems.add(
                ProblemKind::MissingSetting,
                FILE,
                0,
                key,
                format!("required setting `{key}` is missing"),
            );
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
    if !within_limits(
        &calendar,
        [&raw.start, &raw.end],
        text,
        [start, end],
        problems,
    ) || !scale_ok
    {
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
        currency,
        provider,
        service_categories,
        policy,
    })
}

/// Checks the horizon against [`FIRST_START`] and [`LAST_END`] (local wall-clock times).
fn within_limits(
    calendar: &Calendar,
    [raw_start, raw_end]: [&Option<Spanned<toml::Value>>; 2],
    text: &str,
    [start, end]: [Instant; 2],
    problems: &mut Problems,
) -> bool {
    let mut ok = true;
    let mut check = |key: &str, value: &Option<Spanned<toml::Value>>, fits: bool, limit| {
        if !fits {
            let line = value.as_ref().map_or(0, |v| line_of(text, v.span().start));
            problems.add(
                ProblemKind::Limit,
                FILE,
                line,
                key,
                format!(
                    "expected `{key}` {limit} (every cycle of the horizon must lie within years 1 to 9999, which RFC 3339 output times can name)"
                ),
            );
            ok = false;
        }
    };
    let local = |(y, m, d): (i32, u32, u32)| {
        NaiveDate::from_ymd_opt(y, m, d).map(|d| d.and_time(NaiveTime::MIN))
    };
    let (first, last) = (local(FIRST_START), local(LAST_END));
    check(
        "start",
        raw_start,
        first.is_none_or(|f| calendar.zone.local(start) >= f),
        "no earlier than 0001-02-01T00:00:00",
    );
    check(
        "end",
        raw_end,
        last.is_none_or(|l| calendar.zone.local(end) <= l),
        "no later than 9999-12-01T00:00:00",
    );
    ok
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

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: &str = "start = \"2026-03-01\"\nend = \"2026-03-05\"\n";

    fn parse_ok(extra: &str) -> Settings {
        let mut problems = Problems::default();
        let settings = parse(&format!("{BOUNDS}{extra}"), "dir", &mut problems);
        assert!(problems.is_empty(), "{:?}", problems.into_vec());
        settings.expect("settings")
    }

    /// Every problem as `scenario.toml:line: key: message`.
    fn problems_of(extra: &str) -> Vec<String> {
        let mut problems = Problems::default();
        parse(&format!("{BOUNDS}{extra}"), "dir", &mut problems);
        problems
            .into_vec()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn defaults_are_the_specs() {
        let s = parse_ok("");
        assert_eq!(s.policy.t5_scope, T5Scope::Payer);
        assert_eq!(s.policy.subscription_payer, SubscriptionPayer::Cycle);
        assert_eq!(s.currency.as_str(), "CNY");
        assert_eq!(s.provider, "Alibaba Cloud");
        assert!(s.service_categories.is_empty());
        assert_eq!(s.service_category("ecs"), ServiceCategory::Other);
    }

    #[test]
    fn the_other_readings_and_focus_settings_are_read() {
        let s = parse_ok(
            "currency = \"USD\"\nprovider = \" Example Cloud \"\n\
             service_categories = { ecs = \"Compute\", pai = \"AI and Machine Learning\" }\n\
             [policy]\nt5_scope = \"account\"\nsubscription_payer = \"order\"\n",
        );
        assert_eq!(s.policy.t5_scope, T5Scope::Account);
        assert_eq!(s.policy.subscription_payer, SubscriptionPayer::Order);
        assert_eq!(s.currency.as_str(), "USD");
        assert_eq!(s.provider, "Example Cloud");
        assert_eq!(s.service_category("ecs"), ServiceCategory::Compute);
        assert_eq!(
            s.service_category("pai"),
            ServiceCategory::AiAndMachineLearning
        );
        assert_eq!(s.service_category("oss"), ServiceCategory::Other);
    }

    #[test]
    fn every_service_category_reads_back_as_itself() {
        for c in ServiceCategory::ALL {
            assert_eq!(ServiceCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(ServiceCategory::parse("compute"), None);
        assert_eq!(ServiceCategory::parse("AI and machine learning"), None);
    }

    #[test]
    fn bad_values_are_located_by_line_and_key() {
        // Written out of the order they are checked in: problems still come in line order.
        let got = problems_of(
            "service_categories = { ecs = \"Compte\" }\n\
             currency = \"usd\"\nprovider = \"  \"\n\
             [policy]\nt5_scope = \"linked\"\nsubscription_payer = \"month\"\n",
        );
        let want = [
            "scenario.toml:3: service_categories: ecs: expected a FOCUS 1.0 ServiceCategory",
            "scenario.toml:4: currency: expected an ISO 4217 code",
            "scenario.toml:5: provider: expected a non-empty provider name",
            "scenario.toml:7: t5_scope: expected \"payer\" or \"account\", got \"linked\"",
            "scenario.toml:8: subscription_payer: expected \"cycle\" or \"order\", got \"month\"",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
        // A message stays whole (problems are cut at 200 characters).
        assert!(got[0].ends_with("got \"Compte\""), "{}", got[0]);
    }

    #[test]
    fn policy_names_read_back_as_themselves() {
        for scope in [T5Scope::Payer, T5Scope::Account] {
            assert_eq!(scope.to_string().parse::<T5Scope>(), Ok(scope));
        }
        for payer in [SubscriptionPayer::Cycle, SubscriptionPayer::Order] {
            assert_eq!(payer.to_string().parse::<SubscriptionPayer>(), Ok(payer));
        }
        assert_eq!(
            "Payer".parse::<T5Scope>(),
            Err("expected \"payer\" or \"account\", got \"Payer\"".to_string())
        );
    }

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        for bad in ["", "CN", "CNYY", "cny", "C1Y", "ＣＮＹ"] {
            assert!(Currency::parse(bad).is_none(), "{bad:?}");
        }
        assert!(Currency::parse("EUR").is_some());
    }

    #[test]
    fn a_table_form_and_a_wrong_type_are_errors_too() {
        let s = parse_ok("[service_categories]\noss = \"Storage\"\n");
        assert_eq!(s.service_category("oss"), ServiceCategory::Storage);
        let got = problems_of("service_categories = { ecs = 1 }\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("scenario.toml:3: service_categories:"),
            "{got:?}"
        );
        let got = problems_of("[policy]\nt5_scope = 1\n");
        assert!(got[0].starts_with("scenario.toml:4: t5_scope:"), "{got:?}");
    }
}
