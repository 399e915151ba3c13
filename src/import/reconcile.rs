//! `trustsim reconcile DIR`: a run of an imported scenario against the export's own bills
//! (`actuals.csv`, written by the import), per month, payer and account (SPEC §10.7).
//!
//! `reconcile.csv`: `month,payer_id,account_id,simulated,actual,delta`, simulated = Σ
//! payable_amount of the run's bills per local month of cycle_start, payer and incurring
//! account, delta = simulated − actual; one row per key on either side, in byte order.

use super::exact::{parse_cost, Units};
use crate::error::{Error, Problem, ProblemKind, Problems};
use crate::output::Target;
use crate::Scenario;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to reconcile.
#[derive(Clone, Debug)]
pub struct ReconcileOptions {
    pub scenario: PathBuf,
    /// Where `reconcile.csv` goes; default `output/<name>.reconcile`.
    pub out: Option<PathBuf>,
}

/// Totals of a reconciliation, formatted.
#[derive(Clone, Debug)]
pub struct ReconcileSummary {
    pub out: PathBuf,
    pub rows: usize,
    /// Rows whose delta is not zero.
    pub differing: usize,
    pub simulated: String,
    pub actual: String,
    pub delta: String,
}

/// (month `YYYY-MM`, payer, account).
type Key = (String, String, String);

/// The file `reconcile` reads.
const ACTUALS: &str = "actuals.csv";

/// Simulates the scenario in `options.scenario` and compares it with its `actuals.csv`.
pub fn reconcile(options: &ReconcileOptions) -> Result<ReconcileSummary, Error> {
    let dir = &options.scenario;
    let scenario = crate::scenario::load(dir)?;
    let actual = read_actuals(dir)?;
    let out = options.out.clone().unwrap_or_else(|| {
        Path::new("output").join(format!("{}.reconcile", scenario.settings.name))
    });
    let target = Target::reports(&out, Some(dir))?;
    let results = crate::simulate(&scenario)?;
    let simulated = payable_by_month(&scenario, &results)?;

    // As few digits as show every amount exactly, and at least the scenario's own.
    let digits = simulated
        .values()
        .chain(actual.values())
        .map(|u| u.digits_needed())
        .fold(scenario.settings.money.scale, u32::max);
    let mut keys: Vec<&Key> = simulated.keys().chain(actual.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut text = String::from("month,payer_id,account_id,simulated,actual,delta\n");
    let (mut total_s, mut total_a) = (Units::ZERO, Units::ZERO);
    let mut differing = 0;
    let too_large = || {
        Error::Scenario(vec![Problem::new(
            ProblemKind::Limit,
            ACTUALS,
            0,
            "billed_cost",
            "the totals do not fit trustsim's exact sums (10^18)",
        )])
    };
    for key in &keys {
        let s = simulated.get(*key).copied().unwrap_or_default();
        let a = actual.get(*key).copied().unwrap_or_default();
        let delta = s.checked_sub(a).ok_or_else(too_large)?;
        total_s = total_s.checked_add(s).ok_or_else(too_large)?;
        total_a = total_a.checked_add(a).ok_or_else(too_large)?;
        if delta != Units::ZERO {
            differing += 1;
        }
        let (month, payer, account) = key;
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let fields = [
            month.as_str(),
            payer,
            account,
            &s.format(digits),
            &a.format(digits),
            &delta.format(digits),
        ];
        // Writing to memory cannot fail but for a bug; the row is then plain text.
        let line = w
            .write_record(fields)
            .ok()
            .and_then(|()| w.into_inner().ok())
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| format!("{}\n", fields.join(",")));
        text.push_str(&line);
    }
    let delta = total_s.checked_sub(total_a).ok_or_else(too_large)?;

    let staged = target.stage()?;
    let path = staged.dir().join("reconcile.csv");
    crate::output::create(staged.dir(), "reconcile.csv")?
        .write_all(text.as_bytes())
        .map_err(|e| Error::write(&path, e))?;
    let out = staged.publish()?;
    Ok(ReconcileSummary {
        out,
        rows: keys.len(),
        differing,
        simulated: total_s.format(digits),
        actual: total_a.format(digits),
        delta: delta.format(digits),
    })
}

/// Σ payable_amount per local month of cycle_start, payer and incurring account. The one
/// function that reads the engine's bill rows.
fn payable_by_month(
    scenario: &Scenario,
    results: &crate::engine::outcome::Results,
) -> Result<BTreeMap<Key, Units>, Error> {
    let cal = &scenario.settings.calendar;
    let mut sums: BTreeMap<((i32, u32), u32, u32), Units> = BTreeMap::new();
    for bill in results.bills.in_order() {
        let month = cal.month_of(bill.bill.cycle_start);
        let too_large = || {
            Error::Scenario(vec![Problem::new(
                ProblemKind::Limit,
                "usage.csv",
                0,
                "amount",
                "the simulated amounts do not fit trustsim's exact sums (10^18)",
            )])
        };
        let payable = Units::from_decimal(bill.payable().decimal()).ok_or_else(too_large)?;
        let sum = sums
            .entry((month, bill.payer.0, bill.bill.account.0))
            .or_default();
        *sum = sum.checked_add(payable).ok_or_else(too_large)?;
    }
    let name = |i: u32| scenario.account_name(crate::ids::AccountId(i)).to_string();
    Ok(sums
        .into_iter()
        .map(|(((y, m), payer, account), sum)| {
            ((format!("{y:04}-{m:02}"), name(payer), name(account)), sum)
        })
        .collect())
}

/// `actuals.csv` of `dir`: Σ billed_cost per key (a key may repeat).
fn read_actuals(dir: &Path) -> Result<BTreeMap<Key, Units>, Error> {
    let path = dir.join(ACTUALS);
    let mut problems = Problems::default();
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.add(
                ProblemKind::MissingFile,
                ACTUALS,
                0,
                "-",
                "file is missing (trustsim import focus writes it)",
            );
            return Err(Error::Scenario(problems.into_vec()));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    const COLUMNS: [&str; 4] = ["month", "payer_id", "account_id", "billed_cost"];
    let header = reader
        .headers()
        .map_err(|e| Error::io(&path, std::io::Error::other(e.to_string())))?
        .clone();
    let mut at = [0usize; 4];
    for (slot, name) in at.iter_mut().zip(COLUMNS) {
        match header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
        {
            Some(i) => *slot = i,
            None => problems.add(
                ProblemKind::BadHeader,
                ACTUALS,
                1,
                name,
                "column is missing",
            ),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Scenario(problems.into_vec()));
    }
    let mut sums: BTreeMap<Key, Units> = BTreeMap::new();
    for record in reader.records() {
        if problems.is_full() {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.add(ProblemKind::Syntax, ACTUALS, line, "-", e.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(at[i]).unwrap_or("");
        let month = get(0);
        let b = month.as_bytes();
        let month_ok = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
            && (1..=12).contains(&month[5..].parse::<u32>().unwrap_or(0));
        if !month_ok {
            problems.push(
                ACTUALS,
                line,
                "month",
                format!("expected a month like 2026-05, got {month:?}"),
            );
            continue;
        }
        for (i, col) in [(1, "payer_id"), (2, "account_id")] {
            if get(i).is_empty() {
                problems.push(ACTUALS, line, col, "expected an id, got an empty field");
            }
        }
        let cost = match parse_cost(get(3)) {
            Ok(Some(c)) => c,
            Ok(None) => {
                problems.push(
                    ACTUALS,
                    line,
                    "billed_cost",
                    "expected a cost, got an empty field",
                );
                continue;
            }
            Err(m) => {
                problems.push(ACTUALS, line, "billed_cost", m);
                continue;
            }
        };
        if get(1).is_empty() || get(2).is_empty() {
            continue;
        }
        let sum = sums
            .entry((month.to_string(), get(1).to_string(), get(2).to_string()))
            .or_default();
        match sum.checked_add(cost.units) {
            Some(s) => *sum = s,
            None => problems.add(
                ProblemKind::Limit,
                ACTUALS,
                line,
                "billed_cost",
                "the costs add up past what trustsim sums exactly",
            ),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Scenario(problems.into_vec()));
    }
    Ok(sums)
}
