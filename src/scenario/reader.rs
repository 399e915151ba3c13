//! Loads a scenario directory into a [`Scenario`], collecting every problem (SPEC §4, §7).
//!
//! Tables are read in dependency order (accounts → resources → usage, events, coupons,
//! discounts) because later tables refer to ids interned from earlier ones.

use super::settings::{self, Settings};
use super::table::{self, Columns, Row};
use super::{
    Account, BillingMethod, Coupon, Discount, Event, EventKind, Products, Resource, Scenario, Usage,
};
use crate::calendar::{Cycle, Instant};
use crate::error::{Error, Problems};
use crate::ids::{AccountId, CouponId, Names, ResourceId};
use crate::money::{
    parse_decimal, AmountError, Money, PERCENT_FRACTION_DIGITS, USAGE_FRACTION_DIGITS,
};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads and validates the scenario in `dir`.
pub fn load(dir: &Path) -> Result<Scenario, Error> {
    if !dir.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a scenario directory"),
        ));
    }
    let mut problems = Problems::default();
    let dir_name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "scenario".to_string());
    let text = match std::fs::read(dir.join("scenario.toml")) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                problems.push("scenario.toml", 0, "-", "invalid UTF-8");
                return Err(Error::Scenario(problems.into_vec()));
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push("scenario.toml", 0, "-", "file is missing");
            // Still report which required tables are missing too.
            for f in ["accounts.csv", "resources.csv", "usage.csv"] {
                if !dir.join(f).exists() {
                    problems.push(f, 0, "-", "file is missing");
                }
            }
            return Err(Error::Scenario(problems.into_vec()));
        }
        Err(e) => return Err(Error::io(dir.join("scenario.toml"), e)),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let Some(settings) = settings::parse(text, &dir_name, &mut problems) else {
        return Err(Error::Scenario(problems.into_vec()));
    };

    let mut r = Reader {
        dir,
        settings: &settings,
        problems,
    };
    let (account_names, accounts) = r.accounts();
    let (resource_names, resources) = r.resources(&account_names);
    let usage = r.usage(&resource_names, &resources);
    let events = r.events(&account_names, &resource_names);
    let (coupon_names, coupons) = r.coupons(&account_names);
    let discounts = r.discounts(&account_names);

    if !r.problems.is_empty() {
        return Err(Error::Scenario(r.problems.into_vec()));
    }
    Ok(Scenario {
        settings,
        account_names,
        resource_names,
        coupon_names,
        accounts,
        resources,
        usage_rows: usage.len(),
        usage,
        events,
        coupons,
        discounts,
    })
}

struct Reader<'a> {
    dir: &'a Path,
    settings: &'a Settings,
    problems: Problems,
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
            row.problem(
                problems,
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

    fn lookup(
        names: &Names,
        what: &str,
        row: &Row<'_>,
        col: usize,
        problems: &mut Problems,
    ) -> Option<u32> {
        let v = row.get(col);
        if v.is_empty() {
            row.problem(
                problems,
                col,
                format!("expected {what} id, got an empty field"),
            );
            return None;
        }
        let found = names.find(v);
        if found.is_none() {
            row.problem(problems, col, format!("unknown {what} {v:?}"));
        }
        found
    }

    fn amount(
        &self,
        row: &Row<'_>,
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
                    AmountError::TooLarge => format!(
                        "amount {v:?} is too large (at most {} integer digits)",
                        crate::money::MAX_INTEGER_DIGITS
                    ),
                };
                row.problem(problems, col, msg);
                None
            }
        }
    }

    /// A money amount at `money_scale` that must be ≥ 0 (or > 0 when `positive`).
    fn money(
        &self,
        row: &Row<'_>,
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
        row: &Row<'_>,
        col: usize,
        problems: &mut Problems,
    ) -> Result<Option<Money>, ()> {
        if row.get(col).is_empty() {
            return Ok(None);
        }
        self.money(row, col, false, problems).map(Some).ok_or(())
    }

    fn time(&self, row: &Row<'_>, col: usize, problems: &mut Problems) -> Option<Instant> {
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
        row: &Row<'_>,
        col: usize,
        problems: &mut Problems,
    ) -> Result<Option<Instant>, ()> {
        if row.get(col).is_empty() {
            return Ok(None);
        }
        self.time(row, col, problems).map(Some).ok_or(())
    }

    fn in_horizon(&self, row: &Row<'_>, col: usize, t: Instant, problems: &mut Problems) -> bool {
        let s = self.settings;
        if t < s.start || t >= s.end {
            row.problem(
                problems,
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

/// Remembers where each id was first defined, to report duplicates with both lines.
fn check_duplicate(
    seen: &mut BTreeMap<Box<str>, u64>,
    id: &str,
    row: &Row<'_>,
    col: usize,
    problems: &mut Problems,
) -> bool {
    if let Some(first) = seen.get(id) {
        row.problem(
            problems,
            col,
            format!("duplicate id {id:?} (first defined on line {first})"),
        );
        return false;
    }
    seen.insert(id.into(), row.line);
    true
}

impl Reader<'_> {
    fn accounts(&mut self) -> (Names, Vec<Account>) {
        const C: Columns = Columns {
            file: "accounts.csv",
            names: &[
                "account_id",
                "enterprise_id",
                "balance",
                "low_balance_threshold",
                "high_bill_threshold",
            ],
            required: &["account_id", "enterprise_id"],
        };
        let mut seen = BTreeMap::new();
        let mut rows = Vec::new();
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.dir, &C, true, &mut problems, |row, p| {
            let id = Self::id(row, 0, p);
            let enterprise = Self::id(row, 1, p);
            let balance = if row.get(2).is_empty() {
                Some(Money::ZERO)
            } else {
                self.money(row, 2, false, p)
            };
            let low = self.optional_money(row, 3, p);
            let high = self.optional_money(row, 4, p);
            if let (Some(id), Some(enterprise), Some(balance), Ok(low), Ok(high)) =
                (id, enterprise, balance, low, high)
            {
                if check_duplicate(&mut seen, &id, row, 0, p) {
                    rows.push((id, enterprise, balance, low, high));
                }
            }
        });
        self.problems = problems;
        let names = Names::new(rows.iter().map(|r| r.0.clone()).collect());
        let mut accounts: Vec<Account> = rows
            .into_iter()
            .filter_map(|(id, enterprise, balance, low, high)| {
                Some(Account {
                    id: AccountId(names.find(&id)?),
                    enterprise,
                    balance,
                    low_balance_threshold: low,
                    high_bill_threshold: high,
                })
            })
            .collect();
        accounts.sort_by_key(|a| a.id);
        (names, accounts)
    }

    fn resources(&mut self, accounts: &Names) -> (Names, Vec<Resource>) {
        const C: Columns = Columns {
            file: "resources.csv",
            names: &[
                "resource_id",
                "account_id",
                "product",
                "billing_method",
                "cycle",
                "expires_at",
            ],
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
        table::read(self.dir, &C, true, &mut problems, |row, p| {
            let id = Self::id(row, 0, p);
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
                if check_duplicate(&mut seen, &id, row, 0, p) {
                    let is_alitelecom = self.settings.alitelecom_products.contains(&*product);
                    rows.push((id, account, product, is_alitelecom, billing, cycle, exp));
                }
            }
        });
        self.problems = problems;
        let names = Names::new(rows.iter().map(|r| r.0.clone()).collect());
        let mut resources: Vec<Resource> = rows
            .into_iter()
            .filter_map(
                |(id, account, product, is_alitelecom, billing, cycle, expires_at)| {
                    Some(Resource {
                        id: ResourceId(names.find(&id)?),
                        account: AccountId(account),
                        product,
                        is_alitelecom,
                        billing,
                        cycle,
                        expires_at,
                    })
                },
            )
            .collect();
        resources.sort_by_key(|r| r.id);
        (names, resources)
    }

    fn usage(&mut self, names: &Names, resources: &[Resource]) -> Vec<Usage> {
        const C: Columns = Columns {
            file: "usage.csv",
            names: &["time", "resource_id", "amount"],
            required: &["time", "resource_id", "amount"],
        };
        let mut problems = std::mem::take(&mut self.problems);
        let this = &*self;
        let rows = table::read_rows(self.dir, &C, true, &mut problems, |row, p| {
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
            Some((usage, row.line))
        });
        let rows = sort_usage(rows, resources.len());
        for pair in rows.windows(2) {
            let ((a, first), (b, line)) = (&pair[0], &pair[1]);
            if a.resource == b.resource
                && a.time == b.time
                && resources[a.resource.index()].billing == BillingMethod::Subscription
            {
                problems.push(
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
        rows.into_iter().map(|(u, _)| u).collect()
    }

    fn events(&mut self, accounts: &Names, resources: &Names) -> Vec<Event> {
        const C: Columns = Columns {
            file: "events.csv",
            names: &[
                "time",
                "kind",
                "account_id",
                "main_id",
                "resource_id",
                "amount",
                "value",
            ],
            required: &["time", "kind"],
        };
        const KINDS: &[(&str, &[usize])] = &[
            ("establish", &[2, 3]),
            ("modify", &[2, 3]),
            ("remove", &[2]),
            ("topup", &[2, 5]),
            ("change_real_name", &[2, 6]),
            ("cost_analysis", &[2]),
            ("downgrade", &[4]),
        ];
        let mut events = Vec::new();
        let mut seq = 0u32;
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.dir, &C, false, &mut problems, |row, p| {
            seq += 1;
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
                return;
            };
            let mut fields_ok = true;
            for col in 2..C.names.len() {
                let given = !row.get(col).is_empty();
                if used.contains(&col) && !given {
                    row.problem(p, col, format!("required for a {kind} event"));
                    fields_ok = false;
                } else if !used.contains(&col) && given {
                    row.problem(p, col, format!("must be empty for a {kind} event"));
                    fields_ok = false;
                }
            }
            if !fields_ok {
                return;
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
            if let (Some(time), Some(kind)) = (time, parsed) {
                events.push(Event {
                    seq,
                    time,
                    kind,
                    account_field: row.get(2).into(),
                    main_field: row.get(3).into(),
                    resource_field: row.get(4).into(),
                });
            }
        });
        self.problems = problems;
        events
    }

    fn coupons(&mut self, accounts: &Names) -> (Names, Vec<Coupon>) {
        const C: Columns = Columns {
            file: "coupons.csv",
            names: &[
                "coupon_id",
                "account_id",
                "amount",
                "valid_from",
                "valid_until",
                "products",
            ],
            required: &["coupon_id", "account_id", "amount", "valid_from"],
        };
        let mut seen = BTreeMap::new();
        let mut rows = Vec::new();
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.dir, &C, false, &mut problems, |row, p| {
            let id = Self::id(row, 0, p);
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
                if check_duplicate(&mut seen, &id, row, 0, p) {
                    rows.push((id, owner, amount, from, until, products));
                }
            }
        });
        self.problems = problems;
        let names = Names::new(rows.iter().map(|r| r.0.clone()).collect());
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

    fn discounts(&mut self, accounts: &Names) -> Vec<Discount> {
        const C: Columns = Columns {
            file: "discounts.csv",
            names: &[
                "account_id",
                "product",
                "percent_off",
                "valid_from",
                "valid_until",
            ],
            required: &["account_id", "product", "percent_off"],
        };
        let mut rows: Vec<Discount> = Vec::new();
        // Rows accepted so far, by account and product: their validity intervals, disjoint.
        let mut taken: BTreeMap<(AccountId, Option<Box<str>>), Validity> = BTreeMap::new();
        let mut problems = std::mem::take(&mut self.problems);
        table::read(self.dir, &C, false, &mut problems, |row, p| {
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
                    row.problem(
                        p,
                        3,
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
