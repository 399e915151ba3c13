//! Variants (SPEC §10.2): `variants/NAME.toml`, an overlay of the baseline scenario that
//! answers "what changes if…?" without copying the scenario.
//!
//! ```toml
//! description = "establish a week later, main topped up"
//! [policy]
//! unsettled = "reject"
//! [events]
//! retime = [{ seq = 3, time = "2026-03-17T09:00:00" }]
//! drop = [4]
//! add = [{ time = "2026-03-05", kind = "topup", account_id = "M", amount = "500.00" }]
//! [accounts]
//! balance = { M = "500.00" }
//! ```
//!
//! A variant is defined by one equivalence: loading it gives the scenario its files would
//! give had they been edited by hand to the same effect. So the overlay is applied where
//! the files are read, before anything is validated, never to a loaded [`Scenario`]:
//! - settings (any top-level key of `scenario.toml`) and policies (`[policy]`) are merged
//!   into scenario.toml's table before it is parsed, so a new `timezone` or `money_scale`
//!   re-reads every time and amount of every table;
//! - a retimed event's time, an account's balance or threshold replaces the field in its
//!   row before the row is checked ([`Patched`]); an added event is checked by the same
//!   code as an events.csv row ([`Added`]);
//! - event seqs are kept: a retimed event keeps its seq (and so its place among the events
//!   of its new instant, which apply in seq order), a dropped one leaves a gap, added ones
//!   are numbered after the last row of events.csv, in the order listed.
//!
//! A problem in a value the overlay wrote is located in the overlay,
//! `variants/NAME.toml:line: key: message`; one the overlay causes elsewhere (a baseline
//! time that does not exist in the new `timezone`) is located where the file has it.

use super::reader::{self, Fields, EVENT_COLUMNS};
use super::settings::{self, Settings};
use super::table::{self, Row};
use super::Scenario;
use crate::error::{Error, ProblemKind, Problems};
use crate::ids::Names;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::Spanned;

/// The folder of a scenario that holds its variants.
pub const VARIANTS_DIR: &str = "variants";

/// A variant: what `variants/NAME.toml` changes. Built by [`Variant::parse`] from the file,
/// or in code (every field public, [`Default`] changes nothing) by a caller that makes
/// variants of its own, such as a sweep over one event's time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variant {
    /// `NAME`; the variant's scenario is named `<name>+NAME`.
    pub name: String,
    /// Top-level settings of `scenario.toml` (`description` included), replaced.
    pub settings: Vec<Setting>,
    /// Policies of `[policy]`, replaced.
    pub policy: Vec<Setting>,
    pub retime: Vec<Retime>,
    pub drop: Vec<Drop>,
    pub add: Vec<AddEvent>,
    /// `[accounts]`: a field of an accounts.csv row replaced.
    pub accounts: Vec<AccountField>,
}

/// One setting or policy the variant replaces.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: String,
    /// As `scenario.toml` would hold it; checked only once merged.
    pub value: toml::Value,
    /// Line of the value in the overlay (0: made in code).
    pub line: u64,
}

/// `retime`: the event of `seq` happens at `time` instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retime {
    pub seq: u32,
    /// As an events.csv `time` field would hold it (SPEC §2).
    pub time: String,
    pub line: u64,
}

/// `drop`: the event of `seq` does not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drop {
    pub seq: u32,
    pub line: u64,
}

/// `add`: an event after the last row of events.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddEvent {
    /// events.csv column → value, as a row would hold them; absent columns are empty.
    pub fields: BTreeMap<String, Located>,
    /// Line of the entry.
    pub line: u64,
}

/// A value of the overlay and the line it is written on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub value: String,
    pub line: u64,
}

/// `[accounts] COLUMN = { ACCOUNT = "VALUE" }`: a field of an account's row replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountField {
    pub account: String,
    pub column: AccountColumn,
    /// As an accounts.csv field would hold it: a decimal, or empty (a threshold: none).
    pub value: String,
    pub line: u64,
}

/// The accounts.csv columns a variant may replace.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccountColumn {
    Balance,
    LowBalanceThreshold,
    HighBillThreshold,
}

impl AccountColumn {
    const ALL: [AccountColumn; 3] = [
        AccountColumn::Balance,
        AccountColumn::LowBalanceThreshold,
        AccountColumn::HighBillThreshold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountColumn::Balance => "balance",
            AccountColumn::LowBalanceThreshold => "low_balance_threshold",
            AccountColumn::HighBillThreshold => "high_bill_threshold",
        }
    }

    /// Its position among accounts.csv's columns (`account_id, enterprise_id, balance, …`).
    fn col(self) -> usize {
        match self {
            AccountColumn::Balance => 2,
            AccountColumn::LowBalanceThreshold => 3,
            AccountColumn::HighBillThreshold => 4,
        }
    }
}

impl Variant {
    /// The overlay's file inside the scenario directory: `variants/NAME.toml`.
    pub fn file(&self) -> String {
        file_of(&self.name)
    }

    /// Parses the text of `variants/NAME.toml`; every problem is located in it.
    pub fn parse(name: &str, text: &str) -> Result<Variant, Error> {
        let mut problems = Problems::default();
        match parse(name, text, &mut problems) {
            Some(v) if problems.is_empty() => Ok(v),
            _ => Err(Error::Scenario(problems.into_vec())),
        }
    }
}

fn file_of(name: &str) -> String {
    format!("{VARIANTS_DIR}/{name}.toml")
}

/// The names of the variants of the scenario in `dir` (`variants/*.toml`), sorted in byte
/// order; empty without a `variants/` folder. Hidden files (an editor's `.x.toml`) are not
/// variants.
pub fn variant_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(VARIANTS_DIR)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".toml")?.to_string();
            valid_name(&name).then_some(name)
        })
        .collect();
    names.sort();
    names
}

/// A name usable as `NAME` of `variants/NAME.toml` and as the suffix of a directory name.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}

/// Loads the variant `name` of the scenario in `dir`: the baseline with
/// `variants/NAME.toml` applied, named `<name>+NAME` (so its reports go to
/// `output/<name>+NAME/`). Every problem of the overlay and of the resulting scenario is
/// reported, in file and line order, the overlay's last.
pub fn load_variant(dir: &Path, name: &str) -> Result<Scenario, Error> {
    load_variant_selected(dir, name, None)
}

/// [`load_variant`] keeping only the usage rows `select` asks for (see
/// [`super::load_selected`]).
pub fn load_variant_selected(
    dir: &Path,
    name: &str,
    select: Option<&mut super::Select<'_>>,
) -> Result<Scenario, Error> {
    if let Some(p) = reader::not_a_directory(dir) {
        return Err(Error::Scenario(vec![p]));
    }
    let file = file_of(name);
    let mut problems = Problems::default();
    if !valid_name(name) {
        problems.push(
            &file,
            0,
            "-",
            format!("{name:?} is not a variant name (a file variants/NAME.toml)"),
        );
        return Err(Error::Scenario(problems.into_vec()));
    }
    let text = match table::read_file(dir, &file, false, &mut problems) {
        table::File::Bytes(b) => String::from_utf8(b),
        table::File::Absent => {
            let names = variant_names(dir);
            let known = if names.is_empty() {
                "the scenario has no variants".to_string()
            } else {
                format!("its variants: {}", names.join(", "))
            };
            problems.add(
                ProblemKind::MissingFile,
                &file,
                0,
                "-",
                format!("file is missing; {known}"),
            );
            return Err(Error::Scenario(problems.into_vec()));
        }
        table::File::Unusable => return Err(Error::Scenario(problems.into_vec())),
    };
    let Ok(text) = text else {
        problems.add(ProblemKind::Encoding, &file, 0, "-", "invalid UTF-8");
        return Err(Error::Scenario(problems.into_vec()));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match parse(name, text, &mut problems) {
        Some(variant) => load_overlay(dir, &variant, problems, select),
        // Not applicable at all (TOML syntax, a wrong type): the baseline's own problems
        // are still worth reporting with it.
        None => reader::load_overlaid(dir, None, problems, select),
    }
}

/// Loads the scenario in `dir` with `variant` applied (see [`load_variant`]), for a
/// variant made in code.
pub fn load_with(dir: &Path, variant: &Variant) -> Result<Scenario, Error> {
    let mut problems = Problems::default();
    if !valid_name(&variant.name) {
        problems.push(
            &variant.file(),
            0,
            "-",
            format!("{:?} is not a variant name", variant.name),
        );
        return Err(Error::Scenario(problems.into_vec()));
    }
    check(variant, &mut problems);
    load_overlay(dir, variant, problems, None)
}

fn load_overlay(
    dir: &Path,
    variant: &Variant,
    problems: Problems,
    select: Option<&mut super::Select<'_>>,
) -> Result<Scenario, Error> {
    let overlay = Overlay::new(variant);
    reader::load_overlaid(dir, Some(&overlay), problems, select)
}

// ---------------------------------------------------------------------------------------
// Parsing the overlay file
// ---------------------------------------------------------------------------------------

/// A TOML table with the place of every key and value.
type RawValues = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// The overlay's tables, with every value's place (top-level settings are read as a map,
/// see [`parse`]). Unknown keys of these tables are errors.
#[derive(Deserialize)]
struct RawOverlay {
    policy: Option<RawValues>,
    events: Option<RawEvents>,
    accounts: Option<RawAccounts>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    retime: Option<Vec<Spanned<RawRetime>>>,
    drop: Option<Vec<Spanned<i64>>>,
    add: Option<Vec<Spanned<RawValues>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetime {
    seq: Spanned<i64>,
    time: Spanned<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    balance: Option<RawValues>,
    low_balance_threshold: Option<RawValues>,
    high_bill_threshold: Option<RawValues>,
}

/// The keys of an overlay that are not settings.
const TABLES: [&str; 3] = ["policy", "events", "accounts"];

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Parses an overlay, recording its problems. None when it cannot be applied at all (TOML
/// syntax, an unknown table key, a value of the wrong type); a mistake in one entry (a seq
/// retimed twice, a malformed time) is a problem but leaves the rest applicable.
fn parse(name: &str, text: &str, problems: &mut Problems) -> Option<Variant> {
    let file = file_of(name);
    let serde_problem = |problems: &mut Problems, e: toml::de::Error| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        let message = match e.message().trim() {
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
        problems.add(kind, &file, line, &key_on_line(text, line), message);
    };
    let top: RawValues = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            serde_problem(problems, e);
            return None;
        }
    };
    let raw: RawOverlay = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            serde_problem(problems, e);
            return None;
        }
    };
    let mut v = Variant {
        name: name.to_string(),
        ..Variant::default()
    };
    let at = |s: &std::ops::Range<usize>| line_of(text, s.start);
    for (key, value) in &top {
        let key = key.get_ref().as_str();
        if TABLES.contains(&key) {
            continue;
        }
        if key == "name" {
            problems.push(
                &file,
                at(&value.span()),
                "name",
                format!("a variant is named by its file: its scenario is <name>+{name}"),
            );
            continue;
        }
        v.settings.push(Setting {
            key: key.to_string(),
            value: value.get_ref().clone(),
            line: at(&value.span()),
        });
    }
    for (key, value) in raw.policy.iter().flatten() {
        v.policy.push(Setting {
            key: key.get_ref().clone(),
            value: value.get_ref().clone(),
            line: at(&value.span()),
        });
    }
    if let Some(events) = raw.events {
        for r in events.retime.iter().flatten() {
            let r = r.get_ref();
            let seq = seq_of(&r.seq, text, &file, "events.retime.seq", problems);
            let time = time_of(&r.time, text, &file, "events.retime.time", problems);
            if let (Some(seq), Some(time)) = (seq, time) {
                v.retime.push(Retime {
                    seq,
                    time,
                    line: at(&r.time.span()),
                });
            }
        }
        for d in events.drop.iter().flatten() {
            if let Some(seq) = seq_of(d, text, &file, "events.drop", problems) {
                v.drop.push(Drop {
                    seq,
                    line: at(&d.span()),
                });
            }
        }
        for entry in events.add.iter().flatten() {
            let mut fields = BTreeMap::new();
            let mut ok = true;
            for (key, value) in entry.get_ref() {
                let column = key.get_ref().as_str();
                let line = at(&value.span());
                let path = format!("events.add.{column}");
                if !EVENT_COLUMNS.names.contains(&column) {
                    problems.add(
                        ProblemKind::UnknownSetting,
                        &file,
                        at(&key.span()),
                        &path,
                        format!(
                            "unknown field `{column}`, expected one of the events.csv columns {}",
                            EVENT_COLUMNS.names.join(", ")
                        ),
                    );
                    ok = false;
                    continue;
                }
                let value = if column == "time" {
                    time_of(value, text, &file, &path, problems)
                } else {
                    text_of(value, text, &file, &path, problems)
                };
                match value {
                    Some(value) => {
                        fields.insert(column.to_string(), Located { value, line });
                    }
                    None => ok = false,
                }
            }
            if ok {
                v.add.push(AddEvent {
                    fields,
                    line: at(&entry.span()),
                });
            }
        }
    }
    if let Some(accounts) = raw.accounts {
        let columns = [
            accounts.balance,
            accounts.low_balance_threshold,
            accounts.high_bill_threshold,
        ];
        for (column, values) in AccountColumn::ALL.into_iter().zip(columns) {
            for (account, value) in values.iter().flatten() {
                let path = format!("accounts.{}.{}", column.as_str(), account.get_ref());
                if let Some(amount) = amount_of(value, text, &file, &path, problems) {
                    v.accounts.push(AccountField {
                        account: account.get_ref().clone(),
                        column,
                        value: amount,
                        line: at(&value.span()),
                    });
                }
            }
        }
    }
    check(&v, problems);
    Some(v)
}

/// The key written at the start of a line, to name the key a TOML error is about.
fn key_on_line(text: &str, line: u64) -> String {
    let Some(l) = text.lines().nth(line.saturating_sub(1) as usize) else {
        return "-".to_string();
    };
    match l.split_once('=') {
        Some((k, _)) if !k.trim().is_empty() && !k.contains(['[', '{']) => k.trim().to_string(),
        _ => "-".to_string(),
    }
}

/// An event seq: a data row number of events.csv, ≥ 1.
fn seq_of(
    v: &Spanned<i64>,
    text: &str,
    file: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<u32> {
    match u32::try_from(*v.get_ref()) {
        Ok(seq) if seq >= 1 => Some(seq),
        _ => {
            problems.push(
                file,
                line_of(text, v.span().start),
                key,
                format!(
                    "expected an event seq (a data row number of events.csv, from 1), got {}",
                    v.get_ref()
                ),
            );
            None
        }
    }
}

/// A time as an events.csv field holds it: a string in a SPEC §2 form, or a TOML date or
/// date-time literal written as one (checked once the scenario's zone is known).
fn time_of(
    v: &Spanned<toml::Value>,
    text: &str,
    file: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    match v.get_ref() {
        toml::Value::String(s) => Some(s.trim().to_string()),
        toml::Value::Datetime(dt) => Some(dt.to_string()),
        other => {
            problems.push(
                file,
                line_of(text, v.span().start),
                key,
                format!(
                    "expected a time like \"2026-03-17T09:00:00\", got {}",
                    other.type_str()
                ),
            );
            None
        }
    }
}

/// A text field (an id, a kind, an amount of an added event).
fn text_of(
    v: &Spanned<toml::Value>,
    text: &str,
    file: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    string_of(v, text, file, key, problems, |other| {
        let hint = if matches!(other, toml::Value::Integer(_) | toml::Value::Float(_)) {
            " (amounts are quoted, like \"500.00\": money is never a float)"
        } else {
            ""
        };
        format!("expected a string, got {}{hint}", other.type_str())
    })
}

/// An amount of `[accounts]`: a quoted decimal, as accounts.csv would hold it.
fn amount_of(
    v: &Spanned<toml::Value>,
    text: &str,
    file: &str,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    string_of(v, text, file, key, problems, |other| {
        format!(
            "expected a quoted decimal like \"500.00\" (money is never a float), got {}",
            other.type_str()
        )
    })
}

/// A TOML string, trimmed as a CSV field would be; anything else is a problem at its line,
/// worded by `expected`.
fn string_of(
    v: &Spanned<toml::Value>,
    text: &str,
    file: &str,
    key: &str,
    problems: &mut Problems,
    expected: impl FnOnce(&toml::Value) -> String,
) -> Option<String> {
    match v.get_ref() {
        toml::Value::String(s) => Some(s.trim().to_string()),
        other => {
            problems.push(file, line_of(text, v.span().start), key, expected(other));
            None
        }
    }
}

/// The mistakes a variant can hold on its own, whoever built it: a seq retimed twice,
/// dropped twice, or both retimed and dropped; an account field replaced twice.
fn check(v: &Variant, problems: &mut Problems) {
    let file = v.file();
    let mut retimed: BTreeMap<u32, u64> = BTreeMap::new();
    for r in &v.retime {
        if let Some(first) = retimed.insert(r.seq, r.line) {
            problems.push(
                &file,
                r.line,
                "events.retime.seq",
                format!("seq {} is retimed twice (first on line {first})", r.seq),
            );
        }
    }
    let mut dropped: BTreeMap<u32, u64> = BTreeMap::new();
    for d in &v.drop {
        if let Some(&at) = retimed.get(&d.seq) {
            problems.push(
                &file,
                d.line,
                "events.drop",
                format!(
                    "seq {} is both retimed (line {at}) and dropped: keep one",
                    d.seq
                ),
            );
        }
        if let Some(first) = dropped.insert(d.seq, d.line) {
            problems.push(
                &file,
                d.line,
                "events.drop",
                format!("seq {} is dropped twice (first on line {first})", d.seq),
            );
        }
    }
    let mut set: BTreeSet<(&str, AccountColumn)> = BTreeSet::new();
    for a in &v.accounts {
        if !set.insert((&a.account, a.column)) {
            problems.push(
                &file,
                a.line,
                &format!("accounts.{}.{}", a.column.as_str(), a.account),
                "set twice",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Applying it while the files are read
// ---------------------------------------------------------------------------------------

/// A value a variant writes into a row, and where the variant wrote it.
pub(super) struct Patch {
    file: String,
    col: usize,
    value: String,
    line: u64,
    key: String,
}

/// A variant arranged for the reader's lookups, one per load.
pub(super) struct Overlay<'v> {
    variant: &'v Variant,
    file: String,
    accounts: BTreeMap<&'v str, Vec<Patch>>,
    retime: BTreeMap<u32, [Patch; 1]>,
    drop: BTreeSet<u32>,
    added: Vec<Added<'v>>,
}

impl<'v> Overlay<'v> {
    fn new(variant: &'v Variant) -> Overlay<'v> {
        let file = variant.file();
        let mut accounts: BTreeMap<&str, Vec<Patch>> = BTreeMap::new();
        for a in &variant.accounts {
            accounts.entry(&a.account).or_default().push(Patch {
                file: file.clone(),
                col: a.column.col(),
                value: a.value.clone(),
                line: a.line,
                key: format!("accounts.{}.{}", a.column.as_str(), a.account),
            });
        }
        let retime = variant
            .retime
            .iter()
            .map(|r| {
                let patch = Patch {
                    file: file.clone(),
                    col: 0,
                    value: r.time.clone(),
                    line: r.line,
                    key: "events.retime.time".to_string(),
                };
                (r.seq, [patch])
            })
            .collect();
        let added = variant
            .add
            .iter()
            .map(|a| Added {
                event: a,
                file: file.clone(),
            })
            .collect();
        Overlay {
            variant,
            file,
            accounts,
            retime,
            drop: variant.drop.iter().map(|d| d.seq).collect(),
            added,
        }
    }

    /// The settings of `base` (scenario.toml's text) with the variant's merged in, checked
    /// as one scenario.toml; named `<name>+NAME`.
    ///
    /// The merge is of TOML tables, so the merged text's lines are not the files' lines:
    /// each problem is located by its key, in the overlay when the variant set that key,
    /// else in scenario.toml.
    pub(super) fn settings(
        &self,
        base: &str,
        dir_name: &str,
        problems: &mut Problems,
    ) -> Option<Settings> {
        let v = self.variant;
        // A scenario.toml that is not TOML is reported as it is, without the variant.
        let Ok(mut table) = base.parse::<toml::Table>() else {
            return settings::parse(base, dir_name, problems);
        };
        for s in &v.settings {
            table.insert(s.key.clone(), s.value.clone());
        }
        if !v.policy.is_empty() {
            let policy = table
                .entry("policy")
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            // A `policy` that is not a table is the baseline's own mistake, reported as such.
            if let toml::Value::Table(policy) = policy {
                for s in &v.policy {
                    policy.insert(s.key.clone(), s.value.clone());
                }
            }
        }
        let merged = match toml::to_string(&table) {
            Ok(m) => m,
            Err(e) => {
                problems.push(&self.file, 0, "-", format!("cannot merge settings: {e}"));
                return None;
            }
        };
        let mut found = Problems::default();
        let parsed = settings::parse(&merged, dir_name, &mut found);
        let overlay_lines: BTreeMap<&str, u64> = v
            .settings
            .iter()
            .chain(&v.policy)
            .map(|s| (s.key.as_str(), s.line))
            .collect();
        let base_lines = key_lines(base);
        for p in found.into_vec() {
            // An unknown key is named by the message: the merged line of a table header
            // (`[event]`, a misspelled `[events]`) names no key.
            let key = match unknown_field(&p.message) {
                Some(field) if p.kind == ProblemKind::UnknownSetting => field,
                _ => p.column.as_str(),
            };
            let (file, line, message) = match overlay_lines.get(key) {
                Some(&line)
                    if p.kind == ProblemKind::UnknownSetting
                        && v.settings.iter().any(|s| s.key == key) =>
                {
                    (
                        self.file.as_str(),
                        line,
                        format!(
                            "neither a setting nor one of a variant's tables [policy], [events], \
                         [accounts] ({})",
                            p.message
                        ),
                    )
                }
                Some(&line) => (self.file.as_str(), line, p.message.clone()),
                None => (
                    p.file.as_str(),
                    base_lines.get(key).copied().unwrap_or(p.line),
                    p.message.clone(),
                ),
            };
            problems.add(p.kind, file, line, key, message);
        }
        let mut settings = parsed?;
        settings.name = format!("{}+{}", settings.name, v.name);
        Some(settings)
    }

    /// The fields the variant replaces in the row of `account`.
    pub(super) fn account(&self, account: &str) -> &[Patch] {
        self.accounts.get(account).map_or(&[], Vec::as_slice)
    }

    /// Reports each account of `[accounts]` that accounts.csv does not define.
    pub(super) fn check_accounts(&self, ids: &Names, problems: &mut Problems) {
        for (account, patches) in &self.accounts {
            if ids.find(account).is_none() {
                for p in patches {
                    problems.add(
                        ProblemKind::UnknownReference,
                        &self.file,
                        p.line,
                        &p.key,
                        format!("unknown account {account:?}"),
                    );
                }
            }
        }
    }

    pub(super) fn drops(&self, seq: u32) -> bool {
        self.drop.contains(&seq)
    }

    /// The time field of the event of `seq`, when the variant retimes it.
    pub(super) fn retimed(&self, seq: u32) -> &[Patch] {
        self.retime.get(&seq).map_or(&[], |p| &p[..])
    }

    /// Reports each retimed or dropped seq that no row of events.csv has (`last` rows).
    pub(super) fn check_seqs(&self, last: u32, problems: &mut Problems) {
        let v = self.variant;
        let named = v
            .retime
            .iter()
            .map(|r| (r.seq, r.line, "events.retime.seq"))
            .chain(v.drop.iter().map(|d| (d.seq, d.line, "events.drop")));
        for (seq, line, key) in named {
            if seq > last {
                let has = match last {
                    0 => "events.csv has no events".to_string(),
                    1 => "events.csv has 1 event".to_string(),
                    n => format!("events.csv has {n} events, seq 1 to {n}"),
                };
                problems.add(
                    ProblemKind::UnknownReference,
                    &self.file,
                    line,
                    key,
                    format!("no event has seq {seq}: {has}"),
                );
            }
        }
    }

    /// The events the variant adds, in the order listed.
    pub(super) fn added(&self) -> &[Added<'v>] {
        &self.added
    }
}

/// The key of serde's "unknown field `KEY`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// Lines of scenario.toml's top-level and `[policy]` keys (the line of each value), to
/// locate a problem the merged settings report by key.
fn key_lines(text: &str) -> BTreeMap<String, u64> {
    #[derive(Deserialize)]
    struct Policy {
        policy: Option<RawValues>,
    }
    let mut lines = BTreeMap::new();
    if let Ok(top) = toml::from_str::<RawValues>(text) {
        for (k, v) in top {
            lines.insert(k.into_inner(), line_of(text, v.span().start));
        }
    }
    if let Ok(Policy { policy: Some(p) }) = toml::from_str::<Policy>(text) {
        for (k, v) in p {
            lines.insert(k.into_inner(), line_of(text, v.span().start));
        }
    }
    lines
}

/// A table row with some fields replaced by a variant: reading a replaced field gives the
/// variant's value, and its problem is located in the variant.
pub(super) struct Patched<'a, 'r> {
    row: &'a Row<'r>,
    patches: &'a [Patch],
}

impl<'a, 'r> Patched<'a, 'r> {
    pub(super) fn new(row: &'a Row<'r>, patches: &'a [Patch]) -> Patched<'a, 'r> {
        Patched { row, patches }
    }

    fn patch(&self, col: usize) -> Option<&Patch> {
        self.patches.iter().find(|p| p.col == col)
    }
}

impl Fields for Patched<'_, '_> {
    fn get(&self, col: usize) -> &str {
        match self.patch(col) {
            Some(p) => &p.value,
            None => Row::get(self.row, col),
        }
    }

    fn problem_of(
        &self,
        problems: &mut Problems,
        kind: ProblemKind,
        col: usize,
        message: impl Into<String>,
    ) {
        match self.patch(col) {
            Some(p) => problems.add(kind, &p.file, p.line, &p.key, message),
            None => Row::problem_of(self.row, problems, kind, col, message),
        }
    }
}

/// An event a variant adds, read like an events.csv row.
pub(super) struct Added<'v> {
    event: &'v AddEvent,
    file: String,
}

impl Added<'_> {
    fn field(&self, col: usize) -> Option<&Located> {
        self.event.fields.get(EVENT_COLUMNS.names[col])
    }
}

impl Fields for Added<'_> {
    fn get(&self, col: usize) -> &str {
        self.field(col).map_or("", |f| f.value.as_str())
    }

    fn problem_of(
        &self,
        problems: &mut Problems,
        kind: ProblemKind,
        col: usize,
        message: impl Into<String>,
    ) {
        let line = self.field(col).map_or(self.event.line, |f| f.line);
        let key = format!("events.add.{}", EVENT_COLUMNS.names[col]);
        problems.add(kind, &self.file, line, &key, message);
    }
}
