//! `trustsim explain DIR BILL_ID` and `explain DIR ACCOUNT_ID` (SPEC §10.4): why a bill is
//! what it is, and an account's story, in sentences that cite the rule and the event each
//! rests on, or as JSON.
//!
//! "From the same simulation, never a second computation": the scenario is simulated once
//! ([`crate::simulate`]) and everything said is read off its results — rows through the
//! report model ([`crate::report::model::View`]), times and amounts through the CSV cell
//! formatting ([`crate::report::cell_text`]), the request a bill's rule rests on from the
//! linked account's history the engine kept ([`Results::histories`], picked by the
//! engine's own [`crate::engine::trusteeship::deciding`]). Nothing here decides a payer,
//! a rule or an amount.
//!
//! [`find`] resolves the id (with a did-you-mean), [`bill`] and [`account`] gather the
//! facts (their JSON is their serde form), [`text`] writes the sentences.

pub mod account;
pub mod bill;
pub mod find;
mod text;

use crate::calendar::{Calendar, Instant};
use crate::engine::outcome::{EventRow, Results};
use crate::engine::pricing::DiscountIndex;
use crate::error::Error;
use crate::ids::AccountId;
use crate::money::{Money, MoneyRules};
use crate::report::model::{EventRecord, View};
use crate::report::schema::Cell;
use crate::scenario::Scenario;
use std::path::Path;

pub use find::{Kind, Subject};

/// How to print an explanation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Sentences for a person, each citing its rule ids and event seqs.
    #[default]
    Text,
    /// One JSON object (SPEC §10.4's keys for a bill; `docs/explain.md` for an account).
    Json,
}

/// Why `explain` could not explain.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The scenario (or its variant) could not be read: its problems, exit 2.
    #[error(transparent)]
    Load(#[from] Error),
    /// The id names no bill and no account of the run (exit 2); the message says what
    /// was looked for and, when one is close, what was probably meant.
    #[error("{0}")]
    Unknown(String),
    /// The id names both an account and a bill, and `--kind` did not say which (exit 2).
    #[error("{0}")]
    Ambiguous(String),
}

/// What to explain, and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Explain the run of `variants/NAME.toml` instead of the baseline (SPEC §10.2).
    pub variant: Option<String>,
    /// Read the id as a bill or as an account; `None` decides by what it names.
    pub kind: Option<Kind>,
    pub format: Format,
}

/// `trustsim explain`: loads the scenario in `dir` (or its variant), simulates it once and
/// explains `id` from that run.
pub fn explain(dir: &Path, id: &str, options: &Options) -> Result<String, ExplainError> {
    let scenario = match &options.variant {
        Some(name) => crate::scenario::load_variant(dir, name)?,
        None => crate::scenario::load(dir)?,
    };
    let results = crate::simulate(&scenario)?;
    let explainer = Explainer::new(&scenario, &results);
    let subject = explainer.find(id, options.kind)?;
    Ok(explainer.render(subject, options.format))
}

/// A run's results, ready to explain any of its bills and accounts (the discount index is
/// built once, for a caller explaining many).
pub struct Explainer<'a> {
    pub(crate) view: View<'a>,
    /// The engine's own discount lookup, to name the row behind a bill's discount amount.
    pub(crate) discounts: DiscountIndex,
}

impl<'a> Explainer<'a> {
    pub fn new(scenario: &'a Scenario, results: &'a Results) -> Explainer<'a> {
        Explainer {
            view: View::new(scenario, results),
            discounts: DiscountIndex::new(&scenario.discounts, scenario.accounts.len()),
        }
    }

    /// The bill or account `id` names (see [`find::find`]).
    pub fn find(&self, id: &str, kind: Option<Kind>) -> Result<Subject<'a>, ExplainError> {
        find::find(self.view, id, kind)
    }

    /// The explanation of `subject` in `format`, ending with a line end.
    pub fn render(&self, subject: Subject<'_>, format: Format) -> String {
        match (subject, format) {
            (Subject::Bill(row), Format::Text) => text::bill(&self.bill(row)),
            (Subject::Bill(row), Format::Json) => json(&self.bill(row)),
            (Subject::Account(a), Format::Text) => text::account(&self.account(a)),
            (Subject::Account(a), Format::Json) => json(&self.account(a)),
        }
    }

    /// Why the bill `row` is what it is.
    pub fn bill(&self, row: &crate::bill::BillRow) -> bill::BillExplanation {
        bill::explain(self, row)
    }

    /// The story of account `a`.
    pub fn account(&self, a: AccountId) -> account::AccountStory {
        account::story(self, a)
    }

    pub(crate) fn scenario(&self) -> &'a Scenario {
        self.view.scenario
    }

    pub(crate) fn results(&self) -> &'a Results {
        self.view.results
    }

    pub(crate) fn name(&self, a: AccountId) -> String {
        self.scenario().account_name(a).to_owned()
    }

    fn calendar(&self) -> &'a Calendar {
        &self.scenario().settings.calendar
    }

    fn money(&self) -> MoneyRules {
        self.scenario().settings.money
    }

    /// A cell as its report prints it (SPEC §6).
    pub(crate) fn cell(&self, cell: Cell<'_>) -> String {
        crate::report::cell_text(self.calendar(), self.money(), cell)
    }

    pub(crate) fn time(&self, t: Instant) -> String {
        self.cell(Cell::Instant(t))
    }

    pub(crate) fn amount(&self, m: Money) -> String {
        self.cell(Cell::Amount(m))
    }

    /// The events.csv row of the scenario's event `index`, with its names.
    pub(crate) fn event(&self, index: usize) -> Option<EventRecord<'a>> {
        self.event_by_seq(self.scenario().events.get(index)?.seq)
    }

    /// The events.csv row with sequence number `seq`.
    pub(crate) fn event_by_seq(&self, seq: u32) -> Option<EventRecord<'a>> {
        let (s, results) = (self.scenario(), self.results());
        let rows: &'a [EventRow] = &results.events;
        let i = rows
            .binary_search_by_key(&seq, |e| s.events[e.event].seq)
            .ok()?;
        Some(self.view.event(&rows[i]))
    }
}

/// `value` as pretty JSON and a line end.
fn json<T: serde::Serialize>(value: &T) -> String {
    // The explanation types hold only strings, integers, lists and options: serializing
    // them into a String cannot fail, whatever the scenario.
    let mut text = serde_json::to_string_pretty(value).expect("plain data serializes");
    text.push('\n');
    text
}
