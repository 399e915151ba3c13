//! Loads a scenario directory into a [`Scenario`], collecting every problem (SPEC §4, §7).
//!
//! Tables are read in dependency order ([`READ_ORDER`]: accounts → resources → usage,
//! events, coupons, discounts) because later tables refer to ids interned from earlier ones;
//! problems are reported in that file order, then by line.
//!
//! One mistake is one problem: a row rejected for any reason still defines its id, and
//! references into a table that could not be read at all (missing, unreadable, a broken
//! header) are not checked, so neither cascades into "unknown account" problems elsewhere.

use super::columns;
use super::settings::{self, Settings};
use super::table::{self, Columns, Row};
use super::variant::Overlay;
use super::{
    Account, BillingMethod, Coupon, Discount, Event, EventKind, Products, Resource, Scenario, Usage,
};
use crate::calendar::{Cycle, Instant};
use crate::error::{Error, Problem, ProblemKind, Problems};
use crate::ids::{AccountId, CouponId, Names, ResourceId};
use crate::money::{
    parse_decimal, AmountError, Money, PERCENT_FRACTION_DIGITS, USAGE_FRACTION_DIGITS,
};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// The files of a scenario in the order [`load`] reads them, which is also the order its
/// problems are reported in.
pub const READ_ORDER: [&str; 7] = [
    "scenario.toml",
    "accounts.csv",
    "resources.csv",
    "usage.csv",
    "events.csv",
    "coupons.csv",
    "discounts.csv",
];

/// The columns of `events.csv`; an event a variant adds has the same fields.
pub(super) const EVENT_COLUMNS: Columns = Columns {
    file: columns::EVENTS.file,
    names: columns::EVENTS.columns,
    required: &["time", "kind"],
};

/// A table a scenario directory may hold that [`load`] does not read: `actuals.csv` (SPEC
/// §10.7, read only by `reconcile`).
const OTHER_TABLES: [&str; 1] = [columns::ACTUALS.file];

/// Whether `name` is a table trustsim knows (any other `*.csv` is a warning).
fn is_known_table(name: &str) -> bool {
    READ_ORDER[1..].contains(&name) || OTHER_TABLES.contains(&name)
}

/// Reads and validates the scenario in `dir`. The loaded scenario carries the directory's
/// [`warnings`] in [`Scenario::warnings`]; an invalid one is `Err(Error::Scenario)` with every
/// problem found (up to 50), in [`READ_ORDER`] and line order.
pub fn load(dir: &Path) -> Result<Scenario, Error> {
    load_overlaid(dir, None, Problems::default(), None)
}

/// [`load`] that keeps only the usage rows `select` asks for (SPEC §10.9: a shard, or one
/// group of a bounded run, never builds the rows of other components). Every row of every
/// file is still checked, so a selective load of a bad scenario fails exactly like a full
/// one; see [`super::Skeleton`] for what `select` is shown.
pub fn load_selected(dir: &Path, select: &mut super::Select<'_>) -> Result<Scenario, Error> {
    load_overlaid(dir, None, Problems::default(), Some(select))
}

/// [`load`] with a variant's `overlay` applied as the files are read (SPEC §10.2), so that
/// the scenario is validated exactly as if its files had been edited; `problems` holds
/// those already found in the overlay file, reported with the scenario's.
pub(super) fn load_overlaid(
    dir: &Path,
    overlay: Option<&Overlay<'_>>,
    mut problems: Problems,
    select: Option<&mut super::Select<'_>>,
) -> Result<Scenario, Error> {
    if let Some(p) = not_a_directory(dir) {
        return Err(Error::Scenario(vec![p]));
    }
    let scenario = read(dir, overlay, &mut problems, select);
    problems.sort_by_file(&READ_ORDER);
    match scenario {
        Some(mut s) if problems.is_empty() => {
            s.warnings = warnings(dir);
            Ok(s)
        }
        _ => Err(Error::Scenario(problems.into_vec())),
    }
}

/// The problem with a scenario path that is not a directory (SPEC §7: bad input, exit 2).
pub(super) fn not_a_directory(dir: &Path) -> Option<Problem> {
    let why = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return None,
        Ok(_) => "not a scenario directory: it is a file".to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "not a scenario directory: no such directory".to_string()
        }
        Err(e) => format!("not a scenario directory: {e}"),
    };
    Some(Problem::new(
        ProblemKind::NotADirectory,
        &dir.display().to_string(),
        0,
        "-",
        why,
    ))
}

/// What is in `dir` that trustsim will not read but probably should have: every `*.csv`
/// file that is not a known table (`event.csv`, `Accounts.csv`), named with the known table
/// it most resembles. These are warnings ([`ProblemKind::UnknownFile`]): the scenario is
/// still loaded without them. Sorted by file name; empty if `dir` cannot be listed.
pub fn warnings(dir: &Path) -> Vec<Problem> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.to_ascii_lowercase().ends_with(".csv") && !is_known_table(n))
        .collect();
    names.sort();
    names
        .iter()
        .map(|name| {
            let hint = match nearest_table(name) {
                Some(t) if dir.join(t).exists() => format!("; only {t} is read"),
                Some(t) => format!("; did you mean {t}?"),
                None => String::new(),
            };
            Problem::new(
                ProblemKind::UnknownFile,
                name,
                0,
                "-",
                format!("not a scenario table, not read{hint}"),
            )
        })
        .collect()
}

/// The known table `name` is a near miss of: the same but for case, or at most two edits
/// away (a dropped `s`, a typo).
fn nearest_table(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    READ_ORDER[1..]
        .iter()
        .chain(&OTHER_TABLES)
        .map(|t| (strsim::levenshtein(&lower, t), *t))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, t)| t)
}

/// Reads every file of `dir` (a directory) into a scenario, or None when the settings are
/// unusable; the caller decides from `problems` whether the scenario is valid.
fn read(
    dir: &Path,
    overlay: Option<&Overlay<'_>>,
    problems: &mut Problems,
    select: Option<&mut super::Select<'_>>,
) -> Option<Scenario> {
    let dir_name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "scenario".to_string());
    let bytes = match table::read_file(dir, "scenario.toml", true, problems) {
        table::File::Bytes(b) => b,
        _ => {
            // Still report which required tables are missing too.
            for f in ["accounts.csv", "resources.csv", "usage.csv"] {
                if std::fs::symlink_metadata(dir.join(f)).is_err() {
                    problems.add(ProblemKind::MissingFile, f, 0, "-", "file is missing");
                }
            }
            return None;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        problems.add(
            ProblemKind::Encoding,
            "scenario.toml",
            0,
            "-",
            "invalid UTF-8",
        );
        return None;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let settings = match overlay {
        Some(o) => o.settings(text, &dir_name, problems)?,
        None => settings::parse(text, &dir_name, problems)?,
    };

    let mut r = Reader {
        src: table::Source {
            dir,
            max_line: super::max_table_line(settings.money.scale),
        },
        settings: &settings,
        overlay,
        problems: std::mem::take(problems),
        stream: select.is_some(),
    };
    let (account_names, accounts) = r.accounts();
    let (resource_names, resources) = r.resources(&account_names);
    let (usage, events) = match select {
        None => {
            let usage = r.usage(&resource_names, &resources, None);
            (usage, r.events(&account_names, &resource_names))
        }
        Some(select) => {
            // The selection needs the components, so the events, before usage is read.
            // Their problems are held back and reported after usage's: each table's
            // problems are found alone, so the first 50 in file order are the same.
            let before = std::mem::take(&mut r.problems);
            let events = r.events(&account_names, &resource_names);
            let event_problems = std::mem::replace(&mut r.problems, before);
            let rows = if select.count_rows {
                r.count_usage(&resource_names)
            } else {
                Vec::new()
            };
            let keep = (select.keep)(&super::Skeleton {
                account_ids: account_names.len().max(accounts.len()),
                accounts: &accounts,
                resources: &resources,
                events: &events,
                usage_rows: &rows,
            });
            let usage = r.usage(&resource_names, &resources, Some(&keep));
            r.problems.extend(event_problems);
            (usage, events)
        }
    };
    let (coupon_names, coupons) = r.coupons(&account_names);
    let discounts = r.discounts(&account_names);
    *problems = r.problems;

    Some(Scenario {
        settings,
        account_names: account_names.names,
        resource_names: resource_names.names,
        coupon_names: coupon_names.names,
        accounts,
        resources,
        usage_rows: usage.len(),
        usage,
        events,
        coupons,
        discounts,
        warnings: Vec::new(),
    })
}

/// The ids a table defines, and whether the table was read whole. References into an
/// incomplete table (missing, unreadable, broken header) are not checked: every one would
/// be "unknown" because of the one problem already reported.
struct Ids {
    names: Names,
    complete: bool,
}

impl std::ops::Deref for Ids {
    type Target = Names;
    fn deref(&self) -> &Names {
        &self.names
    }
}

impl Ids {
    /// The ids first defined (by any row, rejected or not) in `seen`.
    fn new(seen: BTreeMap<Box<str>, u64>, complete: bool) -> Ids {
        Ids {
            names: Names::new(seen.into_keys().collect()),
            complete,
        }
    }
}

struct Reader<'a> {
    /// The scenario's directory, and how long its tables may be at its `money_scale`.
    src: table::Source<'a>,
    settings: &'a Settings,
    /// A variant's edits, applied to the rows as they are read.
    overlay: Option<&'a Overlay<'a>>,
    problems: Problems,
    /// Reads usage.csv a block at a time (a selective load keeps few of its rows, so the
    /// file's bytes would be most of its memory; SPEC §10.9).
    stream: bool,
}

/// The fields of one row, wherever they were written: a table row ([`Row`]), a row with
/// fields a variant replaced, or an event a variant added ([`super::variant`]). The field
/// parsers read through it, so a value from a variant is checked exactly like one in a
/// table, and its problem is located where it was written.
pub(super) trait Fields {
    /// The field of column `col` (an index into the table's column names), trimmed.
    fn get(&self, col: usize) -> &str;

    /// Records a problem of `kind` at this field.
    fn problem_of(
        &self,
        problems: &mut Problems,
        kind: ProblemKind,
        col: usize,
        message: impl Into<String>,
    );

    /// Records a bad value at this field.
    fn problem(&self, problems: &mut Problems, col: usize, message: impl Into<String>) {
        self.problem_of(problems, ProblemKind::BadValue, col, message);
    }
}

impl Fields for Row<'_> {
    fn get(&self, col: usize) -> &str {
        Row::get(self, col)
    }

    fn problem_of(
        &self,
        problems: &mut Problems,
        kind: ProblemKind,
        col: usize,
        message: impl Into<String>,
    ) {
        Row::problem_of(self, problems, kind, col, message);
    }
}

/// Field parsers shared by every table: each returns None after recording a problem.
impl Reader<'_> {
    fn id(row: &Row<'_>, col: usize, problems: &mut Problems) -> Option<Box<str>> {
        let v = row.get(col);
        if v.is_empty() {
            row.problem(problems, col, "expected an id, got an empty field");
            return None;
        }
        if v.len() > super::MAX_ID_BYTES {
            row.problem_of(
                problems,
                ProblemKind::Limit,
                col,
                format!(
                    "id of {} bytes is too long (at most {} bytes)",
                    v.len(),
                    super::MAX_ID_BYTES
                ),
            );
            return None;
        }
        Some(v.into())
    }

    /// The id a row of a defining table gives in column 0: valid and not defined on an
    /// earlier row (`seen`), or None after the problem.
    fn new_id(
        seen: &mut BTreeMap<Box<str>, u64>,
        row: &Row<'_>,
        problems: &mut Problems,
    ) -> Option<Box<str>> {
        Self::id(row, 0, problems).filter(|id| check_duplicate(seen, id, row, 0, problems))
    }

    /// The index of the id in column `col`, defined in `names`. None (after a problem, except
    /// for an id of an incomplete table, see [`Ids`]) when it is empty or unknown.
    fn lookup(
        names: &Ids,
        what: &str,
        row: &impl Fields,
        col: usize,
        problems: &mut Problems,
    ) -> Option<u32> {
        let v = row.get(col);
        if v.is_empty() {
            row.problem(
                problems,
                col,
                format!("expected {} {what} id, got an empty field", article(what)),
            );
            return None;
        }
        let found = names.find(v);
        if found.is_none() && names.complete {
            row.problem_of(
                problems,
                ProblemKind::UnknownReference,
                col,
                format!("unknown {what} {v:?}"),
            );
        }
        found
    }

    fn amount(
        &self,
        row: &impl Fields,
        col: usize,
        max_fraction: u32,
        problems: &mut Problems,
    ) -> Option<Decimal> {
        let v = row.get(col);
        match parse_decimal(v, max_fraction) {
            Ok(d) => Some(d),
            Err(e) => {
                let msg = match e {
                    AmountError::Syntax => {
                        format!("expected a decimal like 12.50 (no sign +, exponent or bare point), got {v:?}")
                    }
                    AmountError::TooManyDigits { max } => {
                        format!("expected at most {max} fraction digits, got {v:?}")
                    }
                    AmountError::TooLarge => {
                        row.problem_of(
                            problems,
                            ProblemKind::Limit,
                            col,
                            format!(
                                "amount {v:?} is too large (at most {} integer digits)",
                                crate::money::MAX_INTEGER_DIGITS
                            ),
                        );
                        return None;
                    }
                };
                row.problem(problems, col, msg);
                None
            }
        }
    }

    /// A money amount at `money_scale` that must be ≥ 0 (or > 0 when `positive`).
    fn money(
        &self,
        row: &impl Fields,
        col: usize,
        positive: bool,
        problems: &mut Problems,
    ) -> Option<Money> {
        let d = self.amount(row, col, self.settings.money.scale, problems)?;
        if positive && d <= Decimal::ZERO {
            row.problem(problems, col, format!("expected an amount > 0, got {d}"));
            return None;
        }
        if d < Decimal::ZERO {
            row.problem(problems, col, format!("expected an amount >= 0, got {d}"));
            return None;
        }
        Some(self.settings.money.at_scale(d))
    }

    fn optional_money(
        &self,
        row: &impl Fields,
        col: usize,
        problems: &mut Problems,
    ) -> Result<Option<Money>, ()> {
        if row.get(col).is_empty() {
            return Ok(None);
        }
        self.money(row, col, false, problems).map(Some).ok_or(())
    }

    fn time(&self, row: &impl Fields, col: usize, problems: &mut Problems) -> Option<Instant> {
        match self.settings.calendar.parse_time(row.get(col)) {
            Ok(t) => Some(t),
            Err(msg) => {
                row.problem(problems, col, msg);
                None
            }
        }
    }

    fn optional_time(
        &self,
        row: &impl Fields,
        col: usize,
        problems: &mut Problems,
    ) -> Result<Option<Instant>, ()> {
        if row.get(col).is_empty() {
            return Ok(None);
        }
        self.time(row, col, problems).map(Some).ok_or(())
    }

    fn in_horizon(
        &self,
        row: &impl Fields,
        col: usize,
        t: Instant,
        problems: &mut Problems,
    ) -> bool {
        let s = self.settings;
        if t < s.start || t >= s.end {
            row.problem_of(
                problems,
                ProblemKind::OutOfHorizon,
                col,
                format!(
                    "{} is outside the horizon [{}, {})",
                    row.get(col),
                    s.calendar.format_time(s.start),
                    s.calendar.format_time(s.end)
                ),
            );
            return false;
        }
        true
    }
}

/// Orders usage by (resource, time, line): bills are built per resource in time order, and
/// line order breaks ties so duplicate reports name lines stably. A counting sort by
/// resource (which keeps file order) leaves each resource's rows already in time order for
/// the usual time-ordered file, so only out-of-order runs pay for a comparison sort.
fn sort_usage(chunks: Vec<Vec<(Usage, u64)>>, resources: usize) -> Vec<(Usage, u64)> {
    let rows = || chunks.iter().flatten();
    let total = chunks.iter().map(Vec::len).sum::<usize>();
    let mut start = vec![0usize; resources + 1];
    for (u, _) in rows() {
        start[u.resource.index() + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let blank = (
        Usage {
            time: Instant(0),
            resource: ResourceId(0),
            amount: Decimal::ZERO,
        },
        0,
    );
    // Filled in parallel: touching 40 bytes a row for the first time is not free either.
    let mut sorted: Vec<(Usage, u64)> = (0..total).into_par_iter().map(|_| blank).collect();
    // The scatter is random writes, the costly part: each thread takes a range of resources
    // (a contiguous range of the output), scans every row in order and places its own.
    let parts = rayon::current_num_threads().clamp(1, resources.max(1));
    let mut bounds = vec![0usize];
    for k in 1..parts {
        let aim = total * k / parts;
        bounds.push(start.partition_point(|&s| s < aim).min(resources));
    }
    bounds.push(resources);
    bounds.dedup();
    let mut outputs = Vec::with_capacity(bounds.len());
    let mut rest: &mut [(Usage, u64)] = &mut sorted;
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at_mut(start[w[1]] - start[w[0]]);
        outputs.push((w[0]..w[1], head));
        rest = tail;
    }
    outputs.into_par_iter().for_each(|(range, out)| {
        let base = start[range.start];
        let mut next: Vec<usize> = start[range.clone()].iter().map(|s| s - base).collect();
        for row in rows().filter(|(u, _)| range.contains(&u.resource.index())) {
            let slot = &mut next[row.0.resource.index() - range.start];
            out[*slot] = *row;
            *slot += 1;
        }
    });
    drop(chunks);
    let mut buckets = Vec::with_capacity(resources);
    let mut rest: &mut [(Usage, u64)] = &mut sorted;
    for w in start.windows(2) {
        let (bucket, tail) = rest.split_at_mut(w[1] - w[0]);
        buckets.push(bucket);
        rest = tail;
    }
    buckets.into_par_iter().for_each(|bucket| {
        if !bucket.is_sorted_by_key(|(u, _)| u.time) {
            // Stable: rows of one instant stay in line order.
            bucket.sort_by_key(|(u, _)| u.time);
        }
    });
    sorted
}

/// Remembers where each id was first defined, to report duplicates with both lines. True
/// when `id` is new. Called for every row with an id, rejected or not, so a rejected row's
/// id still counts as defined (SPEC §7).
fn check_duplicate(
    seen: &mut BTreeMap<Box<str>, u64>,
    id: &str,
    row: &Row<'_>,
    col: usize,
    problems: &mut Problems,
) -> bool {
    if let Some(first) = seen.get(id) {
        row.problem_of(
            problems,
            ProblemKind::DuplicateId,
            col,
            format!("duplicate id {id:?} (first defined on line {first})"),
        );
        return false;
    }
    seen.insert(id.into(), row.line);
    true
}

/// A row whose shape was rejected (already one problem) still defines the id in its
/// column `col`, if it has one; a duplicate is not reported twice.
fn define_rejected(seen: &mut BTreeMap<Box<str>, u64>, row: &Row<'_>, col: usize) {
    let id = row.get(col);
    if !id.is_empty() && !seen.contains_key(id) {
        seen.insert(id.into(), row.line);
    }
}

impl Reader<'_> {
    fn accounts(&mut self) -> (Ids, Vec<Account>) {
        const C: Columns = Columns {
            file: columns::ACCOUNTS.file,
            names: columns::ACCOUNTS.columns,
            required: &["account_id", "enterprise_id"],
        };
        let mut seen = BTreeMap::new();
        let mut rows = Vec::new();
        let mut problems = std::mem::take(&mut self.problems);
        let complete = table::read_all(self.src, &C, true, &mut problems, |row, p| {
            if row.is_rejected() {
                return define_rejected(&mut seen, row, 0);
            }
            let id = Self::new_id(&mut seen, row, p);
            let enterprise = Self::id(row, 1, p);
            // A variant's balance or threshold replaces the field, as if edited.
            let patches = self.overlay.map_or(&[][..], |o| o.account(row.get(0)));
            let fields = &super::variant::Patched::new(row, patches);
            let balance = if fields.get(2).is_empty() {
                Some(Money::ZERO)
            } else {
                self.money(fields, 2, false, p)
            };
            let low = self.optional_money(fields, 3, p);
            let high = self.optional_money(fields, 4, p);
            if let (Some(id), Some(enterprise), Some(balance), Ok(low), Ok(high)) =
                (id, enterprise, balance, low, high)
            {
                rows.push((id, enterprise, balance, low, high));
            }
        });
        let ids = Ids::new(seen, complete);
        if let (Some(o), true) = (self.overlay, complete) {
            o.check_accounts(&ids, &mut problems);
        }
        self.problems = problems;
        // Rows of every valid account; a rejected row left a problem, so when one is missing
        // here the scenario is not loaded.
        let mut accounts: Vec<Account> = rows
            .into_iter()
            .filter_map(|(id, enterprise, balance, low, high)| {
                Some(Account {
                    id: AccountId(ids.find(&id)?),
                    enterprise,
                    balance,
                    low_balance_threshold: low,
                    high_bill_threshold: high,
                })
            })
            .collect();
        accounts.sort_by_key(|a| a.id);
        (ids, accounts)
    }

    fn resources(&mut self, accounts: &Ids) -> (Ids, Vec<Resource>) {
        const C: Columns = Columns {
            file: columns::RESOURCES.file,
            names: columns::RESOURCES.columns,
            required: &[
                "resource_id",
                "account_id",
                "product",
                "billing_method",
                "cycle",
            ],
        };
        let mut seen = BTreeMap::new();
        let mut rows = Vec::new();
        let mut problems = std::mem::take(&mut self.problems);
        let complete = table::read_all(self.src, &C, true, &mut problems, |row, p| {
            if row.is_rejected() {
                return define_rejected(&mut seen, row, 0);
            }
            let id = Self::new_id(&mut seen, row, p);
            let account = Self::lookup(accounts, "account", row, 1, p);
            let product = Self::id(row, 2, p);
            let billing = match row.get(3) {
                "subscription" => Some(BillingMethod::Subscription),
                "pay_as_you_go" => Some(BillingMethod::PayAsYouGo),
                other => {
                    row.problem(
                        p,
                        3,
                        format!("expected \"subscription\" or \"pay_as_you_go\", got {other:?}"),
                    );
                    None
                }
            };
            let cycle = Cycle::parse(row.get(4));
            if cycle.is_none() {
                row.problem(
                    p,
                    4,
                    format!(
                        "expected \"hourly\", \"daily\", \"weekly\" or \"monthly\", got {:?}",
                        row.get(4)
                    ),
                );
            }
            let expires_at = self.optional_time(row, 5, p);
            if billing == Some(BillingMethod::PayAsYouGo) && matches!(expires_at, Ok(Some(_))) {
                row.problem(p, 5, "expires_at applies to subscriptions only");
                return;
            }
            if let (Some(id), Some(account), Some(product), Some(billing), Some(cycle), Ok(exp)) =
                (id, account, product, billing, cycle, expires_at)
            {
                let is_alitelecom = self.settings.alitelecom_products.contains(&*product);
                rows.push((id, account, product, is_alitelecom, billing, cycle, exp));
            }
        });
        self.problems = problems;
        let ids = Ids::new(seen, complete);
        // One entry per defined id, so usage can index by resource. A rejected row's entry
        // is a pay-as-you-go placeholder (no duplicate-order check on it); it left a
        // problem, so a scenario holding one is never loaded.
        let mut slots: Vec<Option<Resource>> = vec![None; ids.len()];
        for (id, account, product, is_alitelecom, billing, cycle, expires_at) in rows {
            if let Some(i) = ids.find(&id) {
                slots[i as usize] = Some(Resource {
                    id: ResourceId(i),
                    account: AccountId(account),
                    product,
                    is_alitelecom,
                    billing,
                    cycle,
                    expires_at,
                });
            }
        }
        let resources = slots
            .into_iter()
            .enumerate()
            .map(|(i, slot)| {
                slot.unwrap_or_else(|| Resource {
                    id: ResourceId(i as u32),
                    account: AccountId(0),
                    product: "".into(),
                    is_alitelecom: false,
                    billing: BillingMethod::PayAsYouGo,
                    cycle: Cycle::Daily,
                    expires_at: None,
                })
            })
            .collect();
        (ids, resources)
    }

    /// How many rows of usage.csv name each resource (by index), problems ignored: the
    /// reading that follows reports them. A pass over the file that builds nothing, so a
    /// shard plan can balance by rows before any row is kept.
    fn count_usage(&self, names: &Ids) -> Vec<u64> {
        const C: Columns = Columns {
            file: columns::USAGE.file,
            names: columns::USAGE.columns,
            required: &["time", "resource_id", "amount"],
        };
        use std::sync::atomic::{AtomicU64, Ordering};
        let counts: Vec<AtomicU64> = (0..names.len()).map(|_| AtomicU64::new(0)).collect();
        let mut ignored = Problems::default();
        let _: Vec<Vec<()>> =
            table::read_rows_streaming(self.src, &C, true, &mut ignored, |row, p| {
                if let Some(r) = Self::lookup(names, "resource", row, 1, p) {
                    // Counting commutes: the totals do not depend on the chunks' scheduling.
                    counts[r as usize].fetch_add(1, Ordering::Relaxed);
                }
                None
            });
        counts.into_iter().map(AtomicU64::into_inner).collect()
    }

    /// The rows of usage.csv, checked every one; with `keep`, only the rows of the
    /// resources it marks are built (a subscription's rows of other resources are held
    /// only until its duplicate-order check, which needs all of a resource's rows).
    fn usage(&mut self, names: &Ids, resources: &[Resource], keep: Option<&[bool]>) -> Vec<Usage> {
        const C: Columns = Columns {
            file: columns::USAGE.file,
            names: columns::USAGE.columns,
            required: &["time", "resource_id", "amount"],
        };
        let mut problems = std::mem::take(&mut self.problems);
        let this = &*self;
        let parse = |row: &Row<'_>, p: &mut Problems| {
            let time = this
                .time(row, 0, p)
                .filter(|&t| this.in_horizon(row, 0, t, p));
            let resource = Self::lookup(names, "resource", row, 1, p);
            let amount = this.amount(row, 2, USAGE_FRACTION_DIGITS, p);
            if amount.is_some_and(|a| a < Decimal::ZERO) {
                row.problem(p, 2, format!("expected an amount >= 0, got {}", row.get(2)));
                return None;
            }
            let usage = Usage {
                time: time?,
                resource: ResourceId(resource?),
                amount: amount?,
            };
            let r = usage.resource.index();
            let ours = keep.is_none_or(|k| k.get(r).copied().unwrap_or(false));
            let subscription = resources
                .get(r)
                .is_some_and(|res| res.billing == BillingMethod::Subscription);
            (ours || subscription).then_some((usage, row.line))
        };
        let rows = if self.stream {
            table::read_rows_streaming(self.src, &C, true, &mut problems, parse)
        } else {
            table::read_rows(self.src, &C, true, &mut problems, parse)
        };
        let rows = sort_usage(rows, resources.len());
        for pair in rows.windows(2) {
            let ((a, first), (b, line)) = (&pair[0], &pair[1]);
            if a.resource == b.resource
                && a.time == b.time
                && resources[a.resource.index()].billing == BillingMethod::Subscription
            {
                problems.add(
                    ProblemKind::DuplicateId,
                    C.file,
                    *line,
                    "time",
                    format!(
                        "second subscription order for {} at the same instant (first on line {first}): duplicate bill_id",
                        names.get(a.resource.index())
                    ),
                );
            }
        }
        self.problems = problems;
        let ours =
            |u: &Usage| keep.is_none_or(|k| k.get(u.resource.index()).copied().unwrap_or(false));
        rows.into_iter().map(|(u, _)| u).filter(ours).collect()
    }

    fn events(&mut self, accounts: &Ids, resources: &Ids) -> Vec<Event> {
        let mut events = Vec::new();
        let mut seq = 0u32;
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.src, &EVENT_COLUMNS, false, &mut problems, |row, p| {
            seq += 1;
            let Some(o) = self.overlay else {
                events.extend(self.event(row, seq, accounts, resources, p));
                return;
            };
            // A dropped event is gone as if its row were deleted, but every other event
            // keeps its seq; a retimed one keeps its seq, so its place among the events
            // of its new instant.
            if !o.drops(seq) {
                let fields = &super::variant::Patched::new(row, o.retimed(seq));
                events.extend(self.event(fields, seq, accounts, resources, p));
            }
        });
        if let Some(o) = self.overlay {
            o.check_seqs(seq, &mut problems);
            for added in o.added() {
                seq += 1;
                events.extend(self.event(added, seq, accounts, resources, &mut problems));
            }
        }
        self.problems = problems;
        events
    }

    /// One event from the fields of an events.csv row (or of an event a variant adds).
    fn event(
        &self,
        row: &impl Fields,
        seq: u32,
        accounts: &Ids,
        resources: &Ids,
        p: &mut Problems,
    ) -> Option<Event> {
        const KINDS: &[(&str, &[usize])] = &[
            ("establish", &[2, 3]),
            ("modify", &[2, 3]),
            ("remove", &[2]),
            ("topup", &[2, 5]),
            ("change_real_name", &[2, 6]),
            ("cost_analysis", &[2]),
            ("downgrade", &[4]),
        ];
        let time = self
            .time(row, 0, p)
            .filter(|&t| self.in_horizon(row, 0, t, p));
        let kind = row.get(1);
        let Some(&(_, used)) = KINDS.iter().find(|(k, _)| *k == kind) else {
            let all: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
            row.problem(
                p,
                1,
                format!("expected one of {}, got {kind:?}", all.join(", ")),
            );
            return None;
        };
        let mut fields_ok = true;
        for col in 2..EVENT_COLUMNS.names.len() {
            let given = !row.get(col).is_empty();
            if used.contains(&col) && !given {
                row.problem(
                    p,
                    col,
                    format!("required for {} {kind} event", article(kind)),
                );
                fields_ok = false;
            } else if !used.contains(&col) && given {
                row.problem(
                    p,
                    col,
                    format!("must be empty for {} {kind} event", article(kind)),
                );
                fields_ok = false;
            }
        }
        if !fields_ok {
            return None;
        }
        let account =
            |p: &mut Problems| Self::lookup(accounts, "account", row, 2, p).map(AccountId);
        let parsed = match kind {
            "establish" | "modify" => {
                let linked = account(p);
                let main = Self::lookup(accounts, "account", row, 3, p).map(AccountId);
                match (linked, main) {
                    (Some(linked), Some(main)) if kind == "establish" => {
                        Some(EventKind::Establish { linked, main })
                    }
                    (Some(linked), Some(main)) => Some(EventKind::Modify { linked, main }),
                    _ => None,
                }
            }
            "remove" => account(p).map(|linked| EventKind::Remove { linked }),
            "topup" => {
                let a = account(p);
                let amount = self.money(row, 5, true, p);
                a.zip(amount)
                    .map(|(account, amount)| EventKind::Topup { account, amount })
            }
            "change_real_name" => account(p).map(|account| EventKind::ChangeRealName {
                account,
                enterprise: row.get(6).into(),
            }),
            "cost_analysis" => account(p).map(|account| EventKind::CostAnalysis { account }),
            _ => Self::lookup(resources, "resource", row, 4, p).map(|r| EventKind::Downgrade {
                resource: ResourceId(r),
            }),
        };
        Some(Event {
            seq,
            time: time?,
            kind: parsed?,
            account_field: row.get(2).into(),
            main_field: row.get(3).into(),
            resource_field: row.get(4).into(),
        })
    }

    fn coupons(&mut self, accounts: &Ids) -> (Ids, Vec<Coupon>) {
        const C: Columns = Columns {
            file: columns::COUPONS.file,
            names: columns::COUPONS.columns,
            required: &["coupon_id", "account_id", "amount", "valid_from"],
        };
        let mut seen = BTreeMap::new();
        let mut rows = Vec::new();
        let mut problems = std::mem::take(&mut self.problems);
        let complete = table::read_all(self.src, &C, false, &mut problems, |row, p| {
            if row.is_rejected() {
                return define_rejected(&mut seen, row, 0);
            }
            let id = Self::new_id(&mut seen, row, p);
            let owner = Self::lookup(accounts, "account", row, 1, p);
            let amount = self.money(row, 2, false, p);
            let from = self.time(row, 3, p);
            let until = self.optional_time(row, 4, p);
            if let (Some(f), Ok(Some(u))) = (from, until) {
                if u <= f {
                    row.problem(p, 4, "expected valid_until to be after valid_from");
                    return;
                }
            }
            let products = match row.get(5) {
                "" | "*" => Products::All,
                list => {
                    let codes: Vec<Box<str>> = list.split('|').map(|c| c.trim().into()).collect();
                    if codes.iter().any(|c| c.is_empty() || &**c == "*") {
                        row.problem(
                            p,
                            5,
                            format!("expected product codes joined by |, got {list:?}"),
                        );
                        return;
                    }
                    Products::Only(codes)
                }
            };
            if let (Some(id), Some(owner), Some(amount), Some(from), Ok(until)) =
                (id, owner, amount, from, until)
            {
                rows.push((id, owner, amount, from, until, products));
            }
        });
        self.problems = problems;
        let names = Ids::new(seen, complete);
        let mut coupons: Vec<Coupon> = rows
            .into_iter()
            .filter_map(|(id, owner, amount, valid_from, valid_until, products)| {
                Some(Coupon {
                    id: CouponId(names.find(&id)?),
                    owner: AccountId(owner),
                    amount,
                    valid_from,
                    valid_until,
                    products,
                })
            })
            .collect();
        coupons.sort_by_key(|c| c.id);
        (names, coupons)
    }

    fn discounts(&mut self, accounts: &Ids) -> Vec<Discount> {
        const C: Columns = Columns {
            file: columns::DISCOUNTS.file,
            names: columns::DISCOUNTS.columns,
            required: &["account_id", "product", "percent_off"],
        };
        let mut rows: Vec<Discount> = Vec::new();
        // Rows accepted so far, by account and product: their validity intervals, disjoint.
        let mut taken: BTreeMap<(AccountId, Option<Box<str>>), Validity> = BTreeMap::new();
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.src, &C, false, &mut problems, |row, p| {
            let account = Self::lookup(accounts, "account", row, 0, p);
            let product = Self::id(row, 1, p);
            let pct = self.amount(row, 2, PERCENT_FRACTION_DIGITS, p);
            if let Some(v) = pct {
                if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                    row.problem(
                        p,
                        2,
                        format!("expected a percentage from 0 to 100, got {v}"),
                    );
                    return;
                }
            }
            let from = self.optional_time(row, 3, p);
            let until = self.optional_time(row, 4, p);
            if let (Ok(Some(f)), Ok(Some(u))) = (from, until) {
                if u <= f {
                    row.problem(p, 4, "expected valid_until to be after valid_from");
                    return;
                }
            }
            if let (
                Some(account),
                Some(product),
                Some(percent_off),
                Ok(valid_from),
                Ok(valid_until),
            ) = (account, product, pct, from, until)
            {
                let product = (&*product != "*").then_some(product);
                let account = AccountId(account);
                // Overlapping rows for one account and product would make the discount
                // ambiguous. The later row is the mistake, like a duplicate id: checked
                // here, as it is read, so the problem comes in line order with the rest.
                let key = (account, product);
                let validity = taken.entry(key.clone()).or_default();
                if let Err(first) = validity.insert(valid_from, valid_until, row.line) {
                    p.add(
                        ProblemKind::Overlap,
                        C.file,
                        row.line,
                        "valid_from",
                        format!("validity overlaps the row on line {first} for the same account and product"),
                    );
                    return;
                }
                rows.push(Discount {
                    account,
                    product: key.1,
                    percent_off,
                    valid_from,
                    valid_until,
                });
            }
        });
        // The order the engine has always seen them in: by account, product, start.
        rows.sort_by(|a, b| {
            (a.account, &a.product, a.valid_from).cmp(&(b.account, &b.product, b.valid_from))
        });
        self.problems = problems;
        rows
    }
}

/// The validity intervals of the discount rows of one account and product accepted so far:
/// disjoint, keyed by start (`None`, unbounded, as `i64::MIN`), each with its end and line.
#[derive(Default)]
struct Validity(BTreeMap<i64, (i64, u64)>);

impl Validity {
    /// Adds `[from, until)` from `line`, or returns the line of an interval it overlaps.
    /// The intervals are disjoint, so only the one starting last before `until` can overlap
    /// (any earlier one ends before that one starts): one lookup, O(log n) a row.
    fn insert(
        &mut self,
        from: Option<Instant>,
        until: Option<Instant>,
        line: u64,
    ) -> Result<(), u64> {
        let from = from.map_or(i64::MIN, |t| t.0);
        let until = until.map_or(i64::MAX, |t| t.0);
        if let Some((_, &(end, first))) = self.0.range(..until).next_back() {
            if end > from {
                return Err(first);
            }
        }
        self.0.insert(from, (until, line));
        Ok(())
    }
}

/// "a" or "an" before a word, by its first letter (the event kinds and ids are lowercase
/// words: "an establish", "a topup").
fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    }
}
