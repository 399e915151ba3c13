//! Writing the nine reports of SPEC §6, all or nothing: they are written into a staging
//! directory of `crate::output`, which swaps it in whole, so a failed or killed run never
//! leaves partial output and never touches the previous reports.

mod csv_out;
mod writers;

use crate::engine::outcome::Results;
use crate::error::Error;
use crate::output::Target;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::path::Path;

/// The nine report files of SPEC §6; `WRITERS` in `write_reports` follows the same order.
pub const REPORT_FILES: [&str; 9] = [
    "bills.csv",
    "coupon_use.csv",
    "ledger.csv",
    "availability.csv",
    "alerts.csv",
    "invoices.csv",
    "ownership.csv",
    "events.csv",
    "summary.csv",
];

/// One report's writer.
type Writer = fn(&Scenario, &Results, &Path) -> Result<(), Error>;

/// Writes every report into `dir` (which must exist and hold none of them: each file is
/// created new, see `output::create`). Callers publish through `crate::output`; tests
/// write into scratch directories of their own. The files are written in
/// parallel (`bills.csv` and `ledger.csv` are most of the bytes); the first error in
/// [`REPORT_FILES`] order is returned, whatever the scheduling.
pub fn write_reports(scenario: &Scenario, results: &Results, dir: &Path) -> Result<(), Error> {
    const WRITERS: [Writer; 9] = [
        writers::bills,
        writers::coupon_use,
        writers::ledger,
        writers::availability,
        writers::alerts,
        writers::invoices,
        writers::ownership,
        writers::events,
        writers::summary,
    ];
    let written: Vec<Result<(), Error>> = WRITERS
        .par_iter()
        .map(|write| write(scenario, results, dir))
        .collect();
    written.into_iter().collect()
}

/// Writes the reports to the report directory `out` through the output contract
/// (`crate::output`): refused if `out` holds anything trustsim did not write; otherwise
/// staged, published in one atomic swap, and the previous `out` left as it was on any
/// error. For a run, prefer [`publish`] with a [`Target`] decided before simulating (it
/// also refuses the scenario's own directory).
pub fn write_atomically(scenario: &Scenario, results: &Results, out: &Path) -> Result<(), Error> {
    publish(scenario, results, Target::reports(out, None)?)
}

/// Writes the reports into `target` (decided by the caller) and publishes them.
pub fn publish(scenario: &Scenario, results: &Results, target: Target) -> Result<(), Error> {
    let staged = target.stage()?;
    write_reports(scenario, results, staged.dir())?;
    staged.publish()?;
    Ok(())
}
