//! The nine reports of SPEC §6: their schema ([`schema`]), the typed rows every output
//! reads ([`model`]), a reader of written reports ([`read`]), and writing them as CSV, all
//! or nothing: they are written into a staging directory of `crate::output`, which swaps
//! it in whole, so a failed or killed run never leaves partial output and never touches the
//! previous reports.

mod csv_out;
pub mod focus;
pub mod model;
pub mod parquet;
pub mod read;
pub mod schema;
mod writers;

use crate::engine::outcome::Results;
use crate::error::Error;
use crate::output::Target;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::path::Path;

pub use csv_out::cell_text;
pub use csv_out::Encoding;
pub use schema::REPORT_FILES;

/// The file format of a run's reports (`run --format`): the nine reports, and `focus`
/// when asked, as CSV (SPEC §6) or as Parquet (SPEC §10.8, [`parquet`]) — one or the
/// other, never both in one directory.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Csv,
    Parquet,
}

/// Writes every report into `dir` (which must exist and hold none of them: each file is
/// created new, see `output::create`). Callers publish through `crate::output`; tests
/// write into scratch directories of their own. The files are written in parallel
/// (`bills.csv` and `ledger.csv` are most of the bytes, and each formats chunks of rows in
/// parallel too); the first error in [`schema::ALL`] order is returned, whatever the
/// scheduling.
pub fn write_reports(scenario: &Scenario, results: &Results, dir: &Path) -> Result<(), Error> {
    write_reports_as(scenario, results, dir, Format::Csv)
}

/// [`write_reports`] in `format`: `NAME.csv` or `NAME.parquet`.
pub fn write_reports_as(
    scenario: &Scenario,
    results: &Results,
    dir: &Path,
    format: Format,
) -> Result<(), Error> {
    write_all(
        scenario,
        results,
        csv_out::Dest {
            dir,
            prefix: "",
            suffix: "",
            encoding: Encoding::Plain,
        },
        format,
    )
}

/// [`write_reports`] under the names `<prefix>bills.csv<suffix>` and so on: a shard's
/// partial reports (SPEC §10.9, `crate::shard`), written by the same writers so that their
/// rows are byte for byte the rows of the unsharded run. Always CSV, in `encoding` (a
/// shard's are zstd frames).
pub fn write_reports_named(
    scenario: &Scenario,
    results: &Results,
    dir: &Path,
    prefix: &str,
    suffix: &str,
    encoding: Encoding,
) -> Result<(), Error> {
    let dest = csv_out::Dest {
        dir,
        prefix,
        suffix,
        encoding,
    };
    write_all(scenario, results, dest, Format::Csv)
}

/// Every report of `schema::ALL`, in parallel, into `dest`.
fn write_all(
    scenario: &Scenario,
    results: &Results,
    dest: csv_out::Dest<'_>,
    format: Format,
) -> Result<(), Error> {
    let view = model::View::new(scenario, results);
    let written: Vec<Result<(), Error>> = schema::ALL
        .par_iter()
        .map(|s| writers::write(view, s.id, dest, format))
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
    publish_with(scenario, results, target, false, Format::Csv, None)
}

/// Writes more files into a staging directory, through `crate::output::create`.
pub type Also<'a> = dyn Fn(&Path) -> Result<(), Error> + 'a;

/// [`publish`], with `focus.csv` (SPEC §10.6) beside the reports when `focus` is set: in
/// the same staging directory, so it is published (and listed in the marker, and removed by
/// a later run without it) with the rest. With [`Format::Parquet`] every file is
/// `NAME.parquet` instead (`focus.parquet` too). `also` writes more files into the staging
/// directory the same way (`report.html`, from the layer above).
pub fn publish_with(
    scenario: &Scenario,
    results: &Results,
    target: Target,
    focus: bool,
    format: Format,
    also: Option<&Also<'_>>,
) -> Result<(), Error> {
    let staged = target.stage()?;
    write_reports_as(scenario, results, staged.dir(), format)?;
    if focus {
        let view = model::View::new(scenario, results);
        match format {
            Format::Csv => focus::write_focus(view, staged.dir())?,
            Format::Parquet => focus::write_focus_parquet(view, staged.dir())?,
        }
    }
    if let Some(write) = also {
        write(staged.dir())?;
    }
    staged.publish()?;
    Ok(())
}
