//! Which bill or account an `explain` id names, and what was probably meant when it names
//! neither.
//!
//! A bill id is `resource_id@time` (SPEC §5.2). Ids may themselves hold `@`, so every `@`
//! is tried as the separator (the last first), with the time read by the scenario's own
//! input parser ([`crate::calendar::Calendar::parse_time`]): `r1@2026-03-10T00:00:00+08:00`
//! as the reports print it, or the local forms `r1@2026-03-10T00:00:00` and
//! `r1@2026-03-10` of SPEC §2. An id that names both an account and a bill is refused
//! unless `--kind` says which (docs/interpretations.md).

use super::ExplainError;
use crate::bill::{BillRef, BillRow};
use crate::calendar::Instant;
use crate::ids::{AccountId, ResourceId};
use crate::report::cell_text;
use crate::report::model::View;
use crate::report::schema::Cell;

/// What an id is read as.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Bill,
    Account,
}

/// What is explained: a bill of the run, or an account.
#[derive(Copy, Clone, Debug)]
pub enum Subject<'a> {
    Bill(&'a BillRow),
    Account(AccountId),
}

/// Resolves `id` in the run `view` (see the module docs).
pub fn find<'a>(view: View<'a>, id: &str, kind: Option<Kind>) -> Result<Subject<'a>, ExplainError> {
    let s = view.scenario;
    let account = s.account_names.find(id).map(AccountId);
    let bill = match kind {
        Some(Kind::Account) => None,
        _ => bill_named(view, id)?,
    };
    match (kind, bill, account) {
        (None, Some(_), Some(_)) => Err(ExplainError::Ambiguous(format!(
            "{id:?} is both an account id and a bill id: say which with --kind account or --kind bill"
        ))),
        (_, Some(row), _) => Ok(Subject::Bill(row)),
        (Some(Kind::Account) | None, None, Some(a)) => Ok(Subject::Account(a)),
        (Some(Kind::Bill), None, _) => Err(ExplainError::Unknown(unknown_bill(view, id))),
        (Some(Kind::Account), None, None) => Err(ExplainError::Unknown(unknown_account(view, id))),
        (None, None, None) => Err(ExplainError::Unknown(if id.contains('@') {
            unknown_bill(view, id)
        } else {
            unknown_account(view, id)
        })),
    }
}

/// The ways to read `id` as `resource@time` with a known resource and a valid time, the
/// last `@` first.
fn readings<'v>(view: View<'v>, id: &'v str) -> impl Iterator<Item = (ResourceId, Instant)> + 'v {
    let s = view.scenario;
    id.rmatch_indices('@').filter_map(move |(at, _)| {
        let resource = ResourceId(s.resource_names.find(&id[..at])?);
        let t = s.settings.calendar.parse_time(&id[at + 1..]).ok()?;
        Some((resource, t))
    })
}

/// The bill `id` names, if any.
fn bill_named<'a>(view: View<'a>, id: &str) -> Result<Option<&'a BillRow>, ExplainError> {
    let wanted: Vec<BillRef> = readings(view, id)
        .map(|(resource, at)| BillRef { resource, at })
        .collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    let found: Vec<&'a BillRow> = view
        .results
        .bills
        .in_order()
        .filter(|b| wanted.contains(&BillRef::from(*b)))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        // Only when resource ids holding `@` and times overlap so that two splits both
        // name bills: never guess.
        _ => Err(ExplainError::Ambiguous(format!(
            "{id:?} names {} bills (resource ids with '@'): write the bill id as bills.csv does",
            found.len()
        ))),
    }
}

/// The message for a bill id that names no bill: the resource's nearest bill, or the
/// nearest resource id.
fn unknown_bill(view: View<'_>, id: &str) -> String {
    let s = view.scenario;
    if let Some((resource, t)) = readings(view, id).next() {
        // The bill of the cycle holding `t`, else the resource's last bill before it,
        // else its first.
        let mut before = None;
        let mut first = None;
        for b in view.results.bills.in_order() {
            if b.bill.resource != resource {
                continue;
            }
            first = first.or(Some(b));
            if b.bill.cycle_start <= t {
                before = Some(b);
            }
        }
        let name = s.resource_name(resource);
        return match before.or(first) {
            Some(b) => {
                let near = view.bill(b).bill_id;
                let near = cell_text(
                    &s.settings.calendar,
                    s.settings.money,
                    Cell::BillId(near.resource, near.at),
                );
                format!("no bill {id:?} in this run; did you mean {near}?")
            }
            None => format!("no bill {id:?}: resource {name:?} has no bills in this run"),
        };
    }
    let resource = id.rsplit_once('@').map_or(id, |(r, _)| r);
    if s.resource_names.find(resource).is_some() {
        return format!(
            "no bill {id:?}: the time after '@' is not a time (write it as bills.csv does, e.g. {resource}@{})",
            s.settings.calendar.format_time(s.settings.start)
        );
    }
    match closest(s.resource_names.iter(), resource) {
        Some(near) => {
            format!("no bill {id:?}: no resource {resource:?}; did you mean resource {near:?}?")
        }
        None => format!("no bill {id:?}: no resource {resource:?} in this scenario"),
    }
}

/// The message for an id that names no account.
fn unknown_account(view: View<'_>, id: &str) -> String {
    let s = view.scenario;
    match closest(s.account_names.iter(), id) {
        Some(near) => format!("no account or bill {id:?}; did you mean {near:?}?"),
        None => format!(
            "no account or bill {id:?} (a bill id is resource_id@cycle_start, as in bills.csv)"
        ),
    }
}

/// The name nearest `id` by edit distance, if it is near enough to be a typo (a third of
/// its length, at least 1): the first in byte order among equals.
fn closest<'n>(names: impl Iterator<Item = &'n str>, id: &str) -> Option<&'n str> {
    let limit = (id.chars().count() / 3).max(1);
    names
        .map(|n| (strsim::damerau_levenshtein(n, id), n))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn closest_is_a_near_typo_or_nothing() {
        let names = ["linked1", "linked2", "main"];
        assert_eq!(closest(names.into_iter(), "linkd1"), Some("linked1"));
        assert_eq!(closest(names.into_iter(), "mian"), Some("main"));
        assert_eq!(closest(names.into_iter(), "zzzzzz"), None);
    }
}
