//! Writes the imported scenario through the output module: staged, loaded as `validate`
//! would, then published (a generated scenario's marker, `.trustsim-scenario`, so the next
//! import replaces it and keeps what the analyst added).

use super::exact::Units;
use super::plan::{Fate, Plan, Tally};
use super::spool::Replay;
use super::Reading;
use crate::calendar::{Cycle, Instant};
use crate::error::{Error, Problem};
use crate::output::Target;
use crate::scenario::{columns, ServiceCategory};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The linked-account limit a scenario has unless it says otherwise (SPEC §4).
const DEFAULT_MAX_LINKED: usize = 300;

pub(super) struct Inputs<'a> {
    pub reading: &'a Reading,
    pub plan: &'a Plan,
    pub replay: &'a Replay,
    pub zone: &'a str,
    pub timezone_given: bool,
    pub establish: bool,
}

pub(super) struct Written {
    pub out: PathBuf,
    pub usage_rows: u64,
    pub events: usize,
}

type Csv = csv::Writer<BufWriter<File>>;

/// Creates `dir/<table's file>`, writes the table's header (the scenario reader's own
/// column names) and fills it with `body`.
fn table(
    dir: &Path,
    table: &columns::Table,
    body: impl FnOnce(&mut Csv) -> Result<(), Error>,
) -> Result<(), Error> {
    let (name, header) = (table.file, table.columns);
    let path = dir.join(name);
    let file = crate::output::create(dir, name)?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(BufWriter::with_capacity(1 << 20, file));
    w.write_record(header).map_err(|e| csv_error(&path, e))?;
    body(&mut w)?;
    w.flush().map_err(|e| Error::write(&path, e))
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::write(path, std::io::Error::other(e.to_string()))
}

/// Writes a row, naming `name` on failure.
fn row<const N: usize>(
    w: &mut Csv,
    dir: &Path,
    name: &str,
    fields: [&str; N],
) -> Result<(), Error> {
    w.write_record(fields)
        .map_err(|e| csv_error(&dir.join(name), e))
}

pub(super) fn scenario(target: Target, x: &Inputs<'_>) -> Result<Written, Error> {
    let out = target.path().to_path_buf();
    let staged = target.stage()?;
    let dir = staged.dir().to_path_buf();
    let t = &x.reading.tables;
    let plan = x.plan;
    let cal = &plan.calendar;
    let (start, end) = horizon(plan, x.establish);
    let time = |t: Instant| cal.format_time(t);

    // Accounts, their enterprises and the establish requests.
    let enterprises = plan.enterprises(t);
    let mut accounts: Vec<u32> = (0..t.accounts.len() as u32).collect();
    accounts.sort_by(|&a, &b| t.accounts.name(a).cmp(t.accounts.name(b)));
    let linked: Vec<(u32, u32)> = accounts
        .iter()
        .map(|&a| (a, enterprises[a as usize]))
        .filter(|&(a, e)| a != e)
        .collect();
    let mut per_main: BTreeMap<u32, usize> = BTreeMap::new();
    for &(_, m) in &linked {
        *per_main.entry(m).or_default() += 1;
    }
    let most_linked = per_main.values().copied().max().unwrap_or(0);

    let names = plan.resource_names(t);
    write_settings(&dir, x, start, end, most_linked)?;
    table(&dir, &columns::ACCOUNTS, |w| {
        for &a in &accounts {
            let e = enterprises[a as usize];
            row(
                w,
                &dir,
                "accounts.csv",
                [t.accounts.name(a), t.accounts.name(e), "", "", ""],
            )?;
        }
        Ok(())
    })?;
    let mut resources: Vec<_> = plan.resources.iter().collect();
    resources.sort_by(|a, b| names[*a.1 as usize].cmp(&names[*b.1 as usize]));
    table(&dir, &columns::RESOURCES, |w| {
        for (key, &i) in resources {
            let method = if key.subscription {
                "subscription"
            } else {
                "pay_as_you_go"
            };
            row(
                w,
                &dir,
                "resources.csv",
                [
                    &names[i as usize],
                    t.accounts.name(key.account),
                    t.products.name(key.product),
                    method,
                    key.cycle.as_str(),
                    "",
                ],
            )?;
        }
        Ok(())
    })?;
    let mut usage_rows = 0u64;
    table(&dir, &columns::USAGE, |w| {
        x.replay.each(|r| {
            if let Some(u) = plan.usage_row(t, r) {
                usage_rows += 1;
                let at = time(u.time);
                let amount = u.amount.format(u.digits);
                row(
                    w,
                    &dir,
                    "usage.csv",
                    [&at, &names[u.resource as usize], &amount],
                )?;
            }
            Ok::<(), Error>(())
        })?;
        for (&(resource, at), order) in &plan.orders {
            usage_rows += 1;
            let at = time(Instant(at));
            let amount = order.amount.format(order.digits);
            row(
                w,
                &dir,
                "usage.csv",
                [&at, &names[resource as usize], &amount],
            )?;
        }
        Ok(())
    })?;
    let events = if x.establish { linked.len() } else { 0 };
    if x.establish {
        table(&dir, &columns::EVENTS, |w| {
            let at = time(start);
            for &(a, m) in &linked {
                row(
                    w,
                    &dir,
                    "events.csv",
                    [
                        &at,
                        "establish",
                        t.accounts.name(a),
                        t.accounts.name(m),
                        "",
                        "",
                        "",
                    ],
                )?;
            }
            Ok(())
        })?;
    }
    let digits = x.reading.cost_digits;
    let mut actuals: Vec<_> = plan
        .actuals
        .iter()
        .map(|(&((y, m), payer, account), &sum)| {
            (
                format!("{y:04}-{m:02}"),
                t.accounts.name(payer),
                t.accounts.name(account),
                sum,
            )
        })
        .collect();
    actuals.sort();
    table(&dir, &columns::ACTUALS, |w| {
        for (month, payer, account, sum) in &actuals {
            row(
                w,
                &dir,
                "actuals.csv",
                [month, payer, account, &sum.format(digits)],
            )?;
        }
        Ok(())
    })?;
    let report = import_md(x, start, end, usage_rows, events, most_linked, &linked);
    let md = dir.join("import.md");
    crate::output::create(&dir, "import.md")?
        .write_all(report.as_bytes())
        .map_err(|e| Error::write(&md, e))?;

    // What lands must load: a scenario that `validate` refuses is not published.
    if let Err(e) = crate::scenario::load(&dir) {
        return Err(match e {
            Error::Scenario(problems) => Error::Scenario(
                problems
                    .into_iter()
                    .map(|p| Problem {
                        file: format!("{}/{}", out.display(), p.file),
                        message: format!("{} (in the imported scenario)", p.message),
                        ..p
                    })
                    .collect(),
            ),
            other => other,
        });
    }
    let out = staged.publish()?;
    Ok(Written {
        out,
        usage_rows,
        events,
    })
}

/// Whole local days covering the imported charge periods (every row's, when none is); with
/// `--establish`, from the day before the first, so that the requests at `start` are in
/// effect from the first charged cycle on: T3 keeps the cycle containing a request with the
/// linked account, and an order at `start` (issued before the events of its instant, and
/// unpaid, balances being 0) would defer them to the next month (T5.1).
fn horizon(plan: &Plan, establish: bool) -> (Instant, Instant) {
    let (s, e) = plan.imported_span.or(plan.all_span).unwrap_or((0, 0));
    let cal = &plan.calendar;
    let mut start = cal.cycle_containing(Cycle::Daily, Instant(s)).0;
    if establish {
        start = cal.cycle_containing(Cycle::Daily, start.plus_seconds(-1)).0;
    }
    let (day, next) = cal.cycle_containing(Cycle::Daily, Instant(e));
    let end = if day == Instant(e) { day } else { next };
    (start, if end > start { end } else { next })
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn write_settings(
    dir: &Path,
    x: &Inputs<'_>,
    start: Instant,
    end: Instant,
    most_linked: usize,
) -> Result<(), Error> {
    let cal = &x.plan.calendar;
    let t = &x.reading.tables;
    let mut s = String::new();
    let files: Vec<&str> = x.reading.files.iter().map(|f| short(&f.name)).collect();
    let _ = writeln!(
        s,
        "# Imported by `trustsim import focus`; import.md says what was mapped and what was not."
    );
    let _ = writeln!(
        s,
        "description = {}",
        toml_str(&format!("Imported from FOCUS: {}", files.join(", ")))
    );
    let _ = writeln!(s, "timezone = {}", toml_str(x.zone));
    let _ = writeln!(s, "start = {}", toml_str(&cal.format_time(start)));
    let _ = writeln!(s, "end = {}", toml_str(&cal.format_time(end)));
    let _ = writeln!(s, "currency = {}", toml_str(x.reading.currency.as_str()));
    if let Some(p) = x.reading.providers.first() {
        let _ = writeln!(s, "provider = {}", toml_str(p));
    }
    if x.establish && most_linked > DEFAULT_MAX_LINKED {
        let _ = writeln!(
            s,
            "# The export bills {most_linked} sub-accounts to one account: above the default limit of {DEFAULT_MAX_LINKED}."
        );
        let _ = writeln!(s, "max_linked = {most_linked}");
    }
    // Each product's most frequent FOCUS ServiceCategory, for `run --focus`.
    let mut best: BTreeMap<&str, (u64, &str)> = BTreeMap::new();
    for (&(product, category), &n) in &x.plan.categories {
        let category = t.service_categories.name(category);
        if ServiceCategory::parse(category).is_none_or(|c| c == ServiceCategory::Other) {
            continue;
        }
        let slot = best
            .entry(t.products.name(product))
            .or_insert((0, category));
        if n > slot.0 || (n == slot.0 && category < slot.1) {
            *slot = (n, category);
        }
    }
    if !best.is_empty() {
        let entries: Vec<String> = best
            .iter()
            .map(|(p, (_, c))| format!("{} = {}", toml_str(p), toml_str(c)))
            .collect();
        let _ = writeln!(s, "service_categories = {{ {} }}", entries.join(", "));
    }
    let path = dir.join("scenario.toml");
    crate::output::create(dir, "scenario.toml")?
        .write_all(s.as_bytes())
        .map_err(|e| Error::write(&path, e))
}

/// `n` and the noun, singular or plural.
fn count(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    format!("{n} {}", if n == "1" { one } else { many })
}

/// A file's name without its directories, for the description.
fn short(name: &str) -> &str {
    Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name)
}

/// Text for a Markdown table cell or code span: one line, no `|` or backquote breaking it.
fn cell(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '¦',
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

fn fate_label(fate: Fate, x: &Inputs<'_>) -> String {
    match fate {
        Fate::PayAsYouGo => "usage, pay_as_you_go (ChargeCategory Usage, ChargeFrequency Usage-Based or empty)".into(),
        Fate::Subscription => "usage, subscription (ChargeCategory Purchase, or ChargeFrequency Recurring or One-Time)".into(),
        Fate::Category(c) => format!(
            "ChargeCategory {}",
            cell(x.reading.tables.categories.name(c))
        ),
        Fate::NullList => "null ListCost".into(),
        Fate::NegativeList => "negative ListCost".into(),
        Fate::NoService => "no ServiceName".into(),
        Fate::BadId => format!(
            "an id trustsim cannot take (control characters, or longer than {} bytes for an account, {} for a resource, {} for a service)",
            super::plan::MAX_ACCOUNT_BYTES,
            super::plan::MAX_RESOURCE_BYTES,
            super::plan::MAX_PRODUCT_BYTES
        ),
        Fate::TooLarge => format!(
            "ListCost beyond trustsim's {} integer digits",
            crate::money::MAX_INTEGER_DIGITS
        ),
        Fate::Period => format!(
            "charge period not one whole hour, day, week (from Monday) or month in {}",
            cell(x.zone)
        ),
    }
}

fn import_md(
    x: &Inputs<'_>,
    start: Instant,
    end: Instant,
    usage_rows: u64,
    events: usize,
    most_linked: usize,
    linked: &[(u32, u32)],
) -> String {
    let plan = x.plan;
    let t = &x.reading.tables;
    let cal = &plan.calendar;
    let digits = x.reading.cost_digits;
    let money = |u: Units| u.format(digits);
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "# Imported from FOCUS\n");
    let _ = writeln!(
        w,
        "`trustsim import focus` wrote this scenario from {} file{}:\n",
        x.reading.files.len(),
        if x.reading.files.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(w, "| file | FOCUS version (by its columns) | rows |");
    let _ = writeln!(w, "|---|---|---:|");
    for f in &x.reading.files {
        let _ = writeln!(w, "| `{}` | {} | {} |", cell(&f.name), f.version, f.rows);
    }
    let _ = writeln!(w);
    if x.timezone_given {
        let _ = writeln!(
            w,
            "- Time zone `{}`, as given by `--timezone`.",
            cell(x.zone)
        );
    } else {
        let votes = &x.reading.votes;
        match votes.winner() {
            Some((_, n)) => {
                let _ = writeln!(
                    w,
                    "- Time zone `{}`: {n} of the {} daily, weekly and monthly charge periods start at local midnight there (`--timezone` overrides it).",
                    x.zone,
                    votes.total()
                );
            }
            None => {
                let _ = writeln!(
                    w,
                    "- Time zone `{}`: no daily, weekly or monthly charge period tells the export's zone, so UTC (`--timezone` overrides it).",
                    x.zone
                );
            }
        }
    }
    let _ = writeln!(
        w,
        "- Horizon `{}` to `{}`: whole local days covering the imported charge periods{}.",
        cal.format_time(start),
        cal.format_time(end),
        if x.establish {
            ", from the day before the first: the establish requests at `start` are then in effect from the first charged cycle on (T3 keeps the cycle containing a request with the linked account)"
        } else {
            ""
        }
    );
    let _ = write!(
        w,
        "- Currency `{}` (BillingCurrency)",
        x.reading.currency.as_str()
    );
    match x.reading.providers.as_slice() {
        [] => {
            let _ = writeln!(w, "; no ProviderName, so the default provider.");
        }
        [one] => {
            let _ = writeln!(w, "; provider `{}` (ProviderName).", cell(one));
        }
        [first, others @ ..] => {
            let others: Vec<String> = others.iter().map(|p| format!("`{}`", cell(p))).collect();
            let _ = writeln!(
                w,
                "; provider `{}` (the first ProviderName; the files also name {}).",
                cell(first),
                others.join(", ")
            );
        }
    }
    let orders: u64 = plan.orders.values().map(|o| o.rows).sum();
    let _ = writeln!(
        w,
        "- {} (each SubAccountId, BillingAccountId where it is empty, and each BillingAccountId), {} (one per account, ResourceId — ServiceName where it is empty —, ServiceName, cycle and billing method), {}: {}, and {} as {} (the charges of one resource at one instant are one order).",
        count(t.accounts.len(), "account", "accounts"),
        count(plan.resources.len(), "resource", "resources"),
        count(usage_rows, "usage row", "usage rows"),
        count(plan.payg_rows, "pay-as-you-go charge", "pay-as-you-go charges"),
        count(orders, "subscription charge", "subscription charges"),
        count(plan.orders.len(), "order", "orders")
    );
    let shared = plan.shared_accounts();
    if shared > 0 {
        let _ = writeln!(
            w,
            "- {} billed by more than one billing account: the enterprise_id of each is the billing account, other than itself, that bills most of its BilledCost.",
            count(shared, "account is", "accounts are")
        );
    }
    if x.establish {
        let _ = writeln!(
            w,
            "- {} at `start` (`--establish`): each account billed to another account is linked to its enterprise_id.",
            count(events, "establish request", "establish requests")
        );
        if most_linked > DEFAULT_MAX_LINKED {
            let _ = writeln!(
                w,
                "- One main has {most_linked} linked accounts: `max_linked` is raised to that in scenario.toml."
            );
        }
    } else if !linked.is_empty() {
        let _ = writeln!(
            w,
            "- {} billed to another account; `--establish` would link each to its enterprise_id at `start`.",
            count(linked.len(), "account is", "accounts are")
        );
    }
    let _ = writeln!(
        w,
        "- Not in a bill export: balances (every account starts at 0, so unpaid bills put accounts in arrears), alert thresholds, coupons and discounts. Set them by hand."
    );

    let _ = writeln!(w, "\n## Rows\n");
    let _ = writeln!(w, "| | what | rows | Σ ListCost | Σ BilledCost |");
    let _ = writeln!(w, "|---|---|---:|---:|---:|");
    let mut not_imported = Tally::default();
    for (&fate, tally) in &plan.fates {
        let side = if fate.imported() {
            "imported"
        } else {
            not_imported.rows += tally.rows;
            not_imported.list.0 += tally.list.0;
            not_imported.billed.0 += tally.billed.0;
            "not imported"
        };
        let _ = writeln!(
            w,
            "| {side} | {} | {} | {} | {} |",
            fate_label(fate, x),
            tally.rows,
            money(tally.list),
            money(tally.billed)
        );
    }
    let (all, imported) = plan.totals();
    let _ = writeln!(
        w,
        "| all | | {} | {} | {} |\n",
        all.rows,
        money(all.list),
        money(all.billed)
    );
    let _ = writeln!(
        w,
        "Σ ListCost imported + Σ ListCost not imported = Σ ListCost in the files: {} + {} = {}\n",
        money(imported.list),
        money(not_imported.list),
        money(all.list)
    );
    let rounded_total = Units(imported.list.0 + plan.rounding.0);
    let _ = writeln!(
        w,
        "Rounding to 10 fraction digits (SPEC §3): {} more; rounded half-even, they change the imported total by {}: usage.csv sums to {}\n",
        count(plan.rounded_rows, "imported ListCost value had", "imported ListCost values had"),
        money(plan.rounding),
        money(rounded_total)
    );
    let bad = plan.fates.get(&Fate::BadId).copied().unwrap_or_default();
    let actual = Units(all.billed.0 - bad.billed.0);
    let _ = writeln!(
        w,
        "Actuals: `actuals.csv` keeps Σ BilledCost per local month of ChargePeriodStart, BillingAccountId (payer_id) and account, over every row but those with ids trustsim cannot take: {} + {} (those rows) = {} in the files; {} a null BilledCost. `trustsim reconcile` compares a run with it.",
        money(actual),
        money(bad.billed),
        money(all.billed),
        count(plan.null_billed, "row had", "rows had")
    );

    let _ = writeln!(w, "\n## Columns not read\n");
    for f in &x.reading.files {
        let unread: Vec<String> = f.unread.iter().map(|c| cell(c)).collect();
        let _ = writeln!(
            w,
            "- `{}`: {}",
            cell(&f.name),
            if unread.is_empty() {
                "none".to_string()
            } else {
                unread.join(", ")
            }
        );
    }
    s
}
