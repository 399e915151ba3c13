//! The HTML report (SPEC §10.5): one self-contained file — inline SVG, CSS and a few lines
//! of script, a content security policy that forbids every request — for a person to see
//! who paid what, when accounts were unavailable and why, per main.
//!
//! Three stages, each a module: [`input`] (the report rows the page needs, from a fresh
//! run's model or a written report directory, through one function), [`model`] (the
//! aggregates drawn, computed once: 300 linked accounts or a 16-main fleet stay a few
//! thousand shapes), [`page`] (the layout, with maud, which escapes every id and text from
//! the scenario). [`compare`] lays out `compare --format html`.
//!
//! Where it is written: `run --html` puts `report.html` in the report directory's staging
//! directory, published with the reports ([`REPORT_HTML`] is listed in the marker and
//! removed by a later run without `--html`); `trustsim report DIR` writes it with
//! [`write_report`].

pub mod compare;
pub mod input;
pub mod model;
mod page;
mod style;
mod svg;

use crate::error::{Error, Problem, ProblemKind};
use crate::output::{self, Target};
use crate::report::model::View;
use input::Input;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name in a report directory.
pub const REPORT_HTML: &str = "report.html";

/// The page of an input.
pub fn render(input: &Input) -> Result<String, Error> {
    let page = model::build(input)?;
    Ok(page::render(input, &page))
}

/// The page of a fresh run.
pub fn of_run(view: View<'_>) -> Result<String, Error> {
    render(&Input::from_view(view))
}

/// The page of a written report directory, titled by its name.
pub fn of_dir(dir: &Path) -> Result<String, Error> {
    let title = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    render(&Input::from_dir(dir, &title)?)
}

/// Writes `html` as `report.html` into `dir` (a staging directory).
pub fn write_into(dir: &Path, html: &str) -> Result<(), Error> {
    let mut f = output::create(dir, REPORT_HTML)?;
    f.write_all(html.as_bytes())
        .map_err(|e| Error::Output(output::OutputError::io(dir.join(REPORT_HTML), e)))
}

/// The names a report directory's marker lists, or `None` when `dir` is not a report
/// directory trustsim wrote.
fn marked_names(dir: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(dir.join(output::REPORTS_MARKER)).ok()?;
    let mut lines = text.lines();
    if !lines.next()?.starts_with("trustsim-reports ") {
        return None;
    }
    Some(lines.map(str::to_string).collect())
}

/// `trustsim report DIR [--out FILE]`: the page of the report directory `dir`.
///
/// With `out`, the one file is written whole (`output::write_file`; refused inside `dir`,
/// which the command reads, so a report directory never holds a file trustsim did not
/// list). Without, `dir/report.html` — only when `dir` is a report directory trustsim
/// wrote: the directory is written anew through the output contract, its files (those its
/// marker lists) copied into the staging directory beside the new `report.html` and
/// swapped in at once, so the page is listed in the marker like one `run --html` wrote,
/// and a later run without `--html` removes it. Returns where the page went.
pub fn write_report(dir: &Path, out: Option<&Path>) -> Result<PathBuf, Error> {
    let html = of_dir(dir)?;
    if let Some(file) = out {
        output::write_file(file, html.as_bytes(), &[dir])?;
        return Ok(file.to_path_buf());
    }
    let Some(names) = marked_names(dir) else {
        return Err(Error::Scenario(vec![Problem::new(
            ProblemKind::MissingFile,
            &dir.join(output::REPORTS_MARKER).display().to_string(),
            0,
            "-",
            "not a report directory trustsim wrote (no marker), so report.html is not written into it; name a file with --out",
        )]));
    };
    let staged = Target::reports(dir, None)?.stage()?;
    for name in names.iter().filter(|n| *n != REPORT_HTML) {
        let from = dir.join(name);
        let copied = std::fs::File::open(&from).and_then(|mut src| {
            let mut dst = output::create(staged.dir(), name).map_err(std::io::Error::other)?;
            std::io::copy(&mut src, &mut dst).map(|_| ())
        });
        copied.map_err(|e| Error::Output(output::OutputError::io(&from, e)))?;
    }
    write_into(staged.dir(), &html)?;
    staged.publish()?;
    Ok(dir.join(REPORT_HTML))
}
