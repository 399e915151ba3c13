//! `trustsim import focus`: provider bill exports (FOCUS cost-and-usage CSV files) in, a
//! scenario out (SPEC §10.7).
//!
//! Analysts have no scenario files; they have their provider's bills. The import turns
//! each charge row into a usage row of a resource of an account, writes what it could not
//! map — and why — into `import.md` with row counts and exact ListCost totals, and keeps the
//! export's own BilledCost per month, payer and account in `actuals.csv` for `reconcile`.
//!
//! Three steps, each streaming:
//! 1. **read** (this module): each file once, row by row (`focus.rs` maps the columns and
//!    parses the fields); every row becomes a fixed-size record in a scratch file
//!    (`spool.rs`), and votes for the zone (`plan::ZoneVotes`). Bad input is every located
//!    problem found, up to 50, and nothing written.
//! 2. **plan** (`plan.rs`): the records replayed once in the decided zone: each row's fate,
//!    the resources, the totals, the actuals.
//! 3. **write** (`write.rs`): through the output module's staging directory, the records
//!    replayed once more for `usage.csv`; the staged scenario is loaded as `validate` would
//!    before it is published, so what lands always loads.
//!
//! Memory holds the accounts, resources, months and subscription orders, never the rows.
//!
//! ```no_run
//! let summary = trustsim::import::import_focus(&trustsim::import::FocusOptions {
//!     files: vec!["bill-2026-05.csv".into()],
//!     out: "imported".into(),
//!     timezone: None,
//!     establish: true,
//! })?;
//! println!("{} of {} rows imported", summary.imported_rows, summary.rows);
//! # Ok::<(), trustsim::Error>(())
//! ```

mod exact;
mod focus;
mod plan;
pub mod reconcile;
mod spool;
mod write;

use crate::calendar::{Calendar, Zone};
use crate::error::{Error, Problem, ProblemKind, Problems};
use crate::output::Target;
use crate::scenario::Currency;
use exact::{Units, MAX_TOTAL};
use focus::Columns;
use plan::{Plan, Tables, ZoneVotes};
use spool::{Record, Spool, NONE};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant as Clock};

/// What to import and where.
#[derive(Clone, Debug)]
pub struct FocusOptions {
    pub files: Vec<PathBuf>,
    /// The scenario directory to write: absent, empty, or one trustsim wrote.
    pub out: PathBuf,
    /// The scenario's zone (an IANA name or `±HH:MM`); default: the zone the files' daily
    /// and monthly charge periods start at midnight in.
    pub timezone: Option<String>,
    /// Adds an establish at `start` for every sub-account billed to another account.
    pub establish: bool,
}

/// What an import did, for the command's summary.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    pub out: PathBuf,
    pub files: usize,
    pub rows: u64,
    pub imported_rows: u64,
    pub accounts: usize,
    pub resources: usize,
    pub usage_rows: u64,
    pub events: usize,
    pub timezone: String,
    pub elapsed: Duration,
}

/// One input file, as `import.md` describes it.
#[derive(Clone, Debug)]
pub(crate) struct FileInfo {
    pub name: String,
    pub rows: u64,
    pub version: &'static str,
    pub unread: Vec<String>,
}

/// What reading all files gave.
pub(crate) struct Reading {
    pub tables: Tables,
    pub files: Vec<FileInfo>,
    pub votes: ZoneVotes,
    pub currency: Currency,
    /// Providers named by the rows, in first-seen order.
    pub providers: Vec<String>,
    /// The most fraction digits a cost was written with.
    pub cost_digits: u32,
}

/// Imports `options.files` into the scenario directory `options.out`.
pub fn import_focus(options: &FocusOptions) -> Result<ImportSummary, Error> {
    let clock = Clock::now();
    let zone = match &options.timezone {
        None => None,
        Some(tz) => Some(Zone::parse(tz).map_err(|m| {
            Error::Scenario(vec![Problem::new(
                ProblemKind::BadValue,
                "--timezone",
                0,
                "-",
                m,
            )])
        })?),
    };
    // Decided first: a refused target costs nothing and touches nothing.
    let target = Target::scenario(&options.out)?;
    let (reading, replay) = read_files(&options.files)?;
    let (zone_name, zone) = match (zone, &options.timezone) {
        (Some(z), Some(name)) => (name.clone(), z),
        _ => {
            let offset = reading.votes.winner().map_or(0, |(o, _)| o);
            let name = plan::offset_name(offset);
            let z = Zone::parse(&name).map_err(|m| {
                Error::Scenario(vec![Problem::new(ProblemKind::BadValue, "-", 0, "-", m)])
            })?;
            (name, z)
        }
    };
    let mut plan = Plan::new(Calendar::new(zone, chrono::Weekday::Mon));
    replay.each(|r| {
        plan.add(&reading.tables, r);
        Ok::<(), Error>(())
    })?;
    let written = write::scenario(
        target,
        &write::Inputs {
            reading: &reading,
            plan: &plan,
            replay: &replay,
            zone: &zone_name,
            timezone_given: options.timezone.is_some(),
            establish: options.establish,
        },
    )?;
    let (all, imported) = plan.totals();
    Ok(ImportSummary {
        out: written.out,
        files: reading.files.len(),
        rows: all.rows,
        imported_rows: imported.rows,
        accounts: reading.tables.accounts.len(),
        resources: plan.resources.len(),
        usage_rows: written.usage_rows,
        events: written.events,
        timezone: zone_name,
        elapsed: clock.elapsed(),
    })
}

/// Reads every file into the spool; every problem found (up to 50), in file and line order.
fn read_files(files: &[PathBuf]) -> Result<(Reading, spool::Replay), Error> {
    let mut problems = Problems::default();
    let mut spool = Spool::new()?;
    let mut state = ReadState::default();
    let mut infos = Vec::new();
    for path in files {
        if problems.is_full() {
            break;
        }
        if let Some(info) = read_file(path, &mut spool, &mut state, &mut problems)? {
            infos.push(info);
        }
    }
    if problems.is_empty() && infos.iter().all(|f| f.rows == 0) {
        let name = files
            .first()
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        problems.add(
            ProblemKind::Syntax,
            &name,
            0,
            "-",
            "no charge rows in the files: nothing to import",
        );
    }
    if !problems.is_empty() {
        return Err(Error::Scenario(problems.into_vec()));
    }
    let currency = state.currency.map(|(c, _, _)| c).unwrap_or_default();
    Ok((
        Reading {
            tables: state.tables,
            files: infos,
            votes: state.votes,
            currency,
            providers: state.providers,
            cost_digits: state.cost_digits,
        },
        spool.finish()?,
    ))
}

/// What reading carries from file to file.
#[derive(Default)]
struct ReadState {
    tables: Tables,
    votes: ZoneVotes,
    /// The currency, and the file and line that first named it.
    currency: Option<(Currency, String, u64)>,
    providers: Vec<String>,
    /// Σ |ListCost| and Σ |BilledCost|, kept below [`MAX_TOTAL`].
    magnitude: [Units; 2],
    cost_digits: u32,
}

/// At most this many distinct providers are named in `import.md`.
const MAX_PROVIDERS: usize = 10;

/// Reads one file; None when it could not be read at all (a problem says why).
fn read_file(
    path: &Path,
    spool: &mut Spool,
    state: &mut ReadState,
    problems: &mut Problems,
) -> Result<Option<FileInfo>, Error> {
    let name = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.add(ProblemKind::MissingFile, &name, 0, "-", "file is missing");
            return Ok(None);
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            csv_problem(&name, &e, problems).map_err(|io| Error::io(path, io))?;
            return Ok(None);
        }
    };
    let header: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                &h
            };
            h.trim().to_string()
        })
        .collect();
    if header.iter().all(String::is_empty) {
        problems.add(
            ProblemKind::BadHeader,
            &name,
            1,
            "-",
            "no header row: the file is empty",
        );
        return Ok(None);
    }
    let Some(columns) = Columns::from_header(&header, &name, problems) else {
        return Ok(None);
    };
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    loop {
        if problems.is_full() {
            break;
        }
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                csv_problem(&name, &e, problems).map_err(|io| Error::io(path, io))?;
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| -> Result<&str, ()> {
            record
                .get(i)
                .ok_or(())
                .and_then(|b| std::str::from_utf8(b).map_err(|_| ()))
        };
        let Some(charge) = columns.charge(&field, &name, line, problems) else {
            continue;
        };
        rows += 1;
        if let Some(r) = state.record(&charge, &name, line, problems) {
            spool.push(&r)?;
        }
    }
    Ok(Some(FileInfo {
        name,
        rows,
        version: columns.version,
        unread: columns.unread,
    }))
}

impl ReadState {
    /// Checks what must agree across rows (currency, magnitudes), interns the row's strings
    /// and votes for the zone.
    fn record(
        &mut self,
        c: &focus::Charge<'_>,
        file: &str,
        line: u64,
        problems: &mut Problems,
    ) -> Option<Record> {
        match &self.currency {
            None => match Currency::parse(c.currency) {
                Some(code) => self.currency = Some((code, file.to_string(), line)),
                None => {
                    problems.push(
                        file,
                        line,
                        "BillingCurrency",
                        format!("expected an ISO 4217 code like USD, got {:?}", c.currency),
                    );
                    return None;
                }
            },
            Some((code, first_file, first_line)) if code.as_str() != c.currency => {
                problems.push(
                    file,
                    line,
                    "BillingCurrency",
                    format!(
                        "expected {} like {first_file}:{first_line}, got {:?}: a scenario has one currency, so import each currency's rows apart",
                        code.as_str(),
                        c.currency
                    ),
                );
                return None;
            }
            Some(_) => {}
        }
        for (i, (cost, column)) in [(c.list, "ListCost"), (c.billed, "BilledCost")]
            .into_iter()
            .enumerate()
        {
            let Some(cost) = cost else { continue };
            self.cost_digits = self.cost_digits.max(u32::from(cost.scale));
            match self.magnitude[i].checked_add(cost.units.abs()) {
                Some(m) if m < MAX_TOTAL => self.magnitude[i] = m,
                _ => {
                    problems.push(
                        file,
                        line,
                        column,
                        format!("the {column} of the files add up past 10^18 (in magnitude): import fewer files at once"),
                    );
                    return None;
                }
            }
        }
        if !c.provider.is_empty()
            && self.providers.len() < MAX_PROVIDERS
            && !self.providers.iter().any(|p| p == c.provider)
        {
            self.providers.push(c.provider.to_string());
        }
        self.votes.add(c.start.0, c.end.0);
        let t = &mut self.tables;
        let accounts_ok = plan::usable_id(c.billing_account, plan::MAX_ACCOUNT_BYTES)
            && plan::usable_id(c.account, plan::MAX_ACCOUNT_BYTES);
        let resource_ok = (c.resource.is_empty()
            || plan::usable_id(c.resource, plan::MAX_RESOURCE_BYTES))
            && (c.service.is_empty() || plan::usable_id(c.service, plan::MAX_PRODUCT_BYTES));
        let intern = |t: &mut plan::Interner, s: &str, ok: bool| {
            if ok && !s.is_empty() {
                t.intern(s)
            } else {
                NONE
            }
        };
        Some(Record {
            billing: intern(&mut t.accounts, c.billing_account, accounts_ok),
            account: intern(&mut t.accounts, c.account, accounts_ok),
            resource: intern(&mut t.resources, c.resource, resource_ok),
            product: intern(&mut t.products, c.service, resource_ok),
            category: t.categories.intern(c.category),
            service_category: intern(&mut t.service_categories, c.service_category, true),
            frequency: c.frequency.as_u8(),
            id_problem: if !accounts_ok {
                plan::ID_ACCOUNT
            } else if !resource_ok {
                plan::ID_RESOURCE
            } else {
                plan::ID_OK
            },
            start: c.start.0,
            end: c.end.0,
            list: c.list,
            billed: c.billed,
        })
    }
}

/// A CSV error as a located problem; Err for an I/O error (the file could not be read).
fn csv_problem(file: &str, e: &csv::Error, problems: &mut Problems) -> Result<(), std::io::Error> {
    match e.kind() {
        csv::ErrorKind::Io(io) => Err(std::io::Error::new(io.kind(), io.to_string())),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            problems.add(
                ProblemKind::Syntax,
                file,
                pos.as_ref().map_or(0, |p| p.line()),
                "-",
                format!("expected {expected_len} fields like the header, got {len}"),
            );
            Ok(())
        }
        _ => {
            let line = e.position().map_or(0, |p| p.line());
            problems.add(ProblemKind::Syntax, file, line, "-", e.to_string());
            Ok(())
        }
    }
}
