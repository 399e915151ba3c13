//! Variants (SPEC §10.2): `variants/NAME.toml`, an overlay of the baseline.
//!
//! The property that defines a variant: its reports are the reports of a copy of the
//! scenario whose files were edited by hand to the same effect (an event retimed, one
//! dropped, events added, an account's balance and threshold changed, policies and the
//! money scale changed), byte for byte — but for the seqs of events.csv, which a variant
//! keeps (a dropped event leaves a gap) where the hand-edited file renumbers its rows.
//! Then each mistake an overlay can hold, located in it; `run --variant` and `validate`;
//! and the committed reports of every scenario's variants (`expected-variants/NAME/`).

use crate::cli::{scenario, trustsim};
use crate::properties::{
    case, case_count, config, first_difference, read_reports, run_reports, scratch, Case, Reports,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::path::Path;
use trustsim::check::CheckOutcome;
use trustsim::Error;

// ---------------------------------------------------------------------------------------
// The equivalence: a variant is the scenario with its files edited
// ---------------------------------------------------------------------------------------

/// What a drawn overlay does to a generated case; indices are taken modulo the table they
/// point into, so every draw applies to every case.
#[derive(Clone, Debug)]
struct Edits {
    /// (event to retime, instant to move it to: one of the case's event and usage times).
    retime: Option<(usize, usize)>,
    drop: Option<usize>,
    add: Vec<AddGen>,
    /// (account, new balance in whole units).
    balance: Option<(usize, u64)>,
    /// (account, new low-balance threshold in whole units, or none).
    low: Option<(usize, Option<u64>)>,
    unsettled_flipped: bool,
    grace_hours: Option<u32>,
    t5_scope: Option<&'static str>,
    subscription_payer: Option<&'static str>,
    money_scale_up: bool,
}

#[derive(Clone, Debug)]
enum AddGen {
    /// (account, whole units, time).
    Topup(usize, u64, usize),
    /// (linked, main, time).
    Establish(usize, usize, usize),
    /// (resource, time).
    Downgrade(usize, usize),
}

fn edits() -> impl Strategy<Value = Edits> {
    let pick = || any::<usize>();
    let add = prop_oneof![
        (pick(), 1..=3000u64, pick()).prop_map(|(a, n, t)| AddGen::Topup(a, n, t)),
        (pick(), pick(), pick()).prop_map(|(l, m, t)| AddGen::Establish(l, m, t)),
        (pick(), pick()).prop_map(|(r, t)| AddGen::Downgrade(r, t)),
    ];
    (
        prop::option::weighted(0.8, (pick(), pick())),
        prop::option::weighted(0.5, pick()),
        prop::collection::vec(add, 0..=3),
        prop::option::weighted(0.5, (pick(), 0..=5000u64)),
        prop::option::weighted(0.3, (pick(), prop::option::of(0..=2000u64))),
        any::<bool>(),
        prop::option::weighted(0.2, 0..=48u32),
        prop::option::weighted(0.3, prop::sample::select(vec!["payer", "account"])),
        prop::option::weighted(0.3, prop::sample::select(vec!["cycle", "order"])),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(
                retime,
                drop,
                add,
                balance,
                low,
                unsettled_flipped,
                grace_hours,
                t5_scope,
                subscription_payer,
                money_scale_up,
            )| Edits {
                retime,
                drop,
                add,
                balance,
                low,
                unsettled_flipped,
                grace_hours,
                t5_scope,
                subscription_payer,
                money_scale_up,
            },
        )
}

/// The first field of a CSV row as the generator writes it (no quoting).
fn field(row: &str, i: usize) -> &str {
    row.split(',').nth(i).unwrap_or("")
}

fn with_field(row: &str, i: usize, value: &str) -> String {
    let mut fields: Vec<&str> = row.split(',').collect();
    fields[i] = value;
    fields.join(",")
}

/// The overlay text for `edits`, and the same effect as edited files: (scenario.toml,
/// rows) of the hand-edited copy, and the seqs the variant's events.csv must list.
fn apply(case: &Case, edits: &Edits) -> (String, String, crate::properties::Rows, Vec<u32>) {
    let rows = crate::properties::render(&case.world, &case.body, "");
    let mut world = case.world.clone();
    let mut hand = rows.clone();
    let mut overlay = String::new();

    // Instants known to be valid in the horizon: its start (local midnight, which exists in
    // every zone the generator uses) and every event's and usage row's time.
    let start = case.world.start_date.format("%Y-%m-%d").to_string();
    let times: Vec<String> = std::iter::once(start)
        .chain(
            rows.events
                .iter()
                .chain(&rows.usage)
                .map(|r| field(r, 0).to_string()),
        )
        .collect();
    let account = |i: usize| field(&rows.accounts[i % rows.accounts.len()], 0).to_string();

    if edits.unsettled_flipped {
        world.reject = !world.reject;
        let v = if world.reject { "reject" } else { "defer" };
        overlay.push_str(&format!("[policy]\nunsettled = \"{v}\"\n"));
    }
    let mut policy = Vec::new();
    if let Some(g) = edits.grace_hours {
        world.grace_hours = g;
        policy.push(format!("grace_hours = {g}"));
    }
    if let Some(v) = edits.t5_scope {
        world.t5_scope = Some(v);
        policy.push(format!("t5_scope = \"{v}\""));
    }
    if let Some(v) = edits.subscription_payer {
        world.subscription_payer = Some(v);
        policy.push(format!("subscription_payer = \"{v}\""));
    }
    if !policy.is_empty() {
        if !edits.unsettled_flipped {
            overlay.push_str("[policy]\n");
        }
        overlay.push_str(&(policy.join("\n") + "\n"));
    }
    // Top-level settings must come before the first table.
    if edits.money_scale_up && world.money_scale < 8 {
        world.money_scale += 1;
        overlay = format!("money_scale = {}\n{overlay}", world.money_scale);
    }
    overlay = format!("description = \"drawn\"\n{overlay}");

    let n = rows.events.len();
    let mut events = Vec::new();
    let retime = edits.retime.filter(|_| n > 0).map(|(e, t)| {
        let seq = e % n + 1;
        (seq, times[t % times.len()].clone())
    });
    let drop = edits
        .drop
        .filter(|_| n > 0)
        .map(|d| d % n + 1)
        .filter(|&d| retime.as_ref().is_none_or(|(seq, _)| *seq != d));
    if let Some((seq, time)) = &retime {
        events.push(format!("retime = [{{ seq = {seq}, time = \"{time}\" }}]"));
        hand.events[seq - 1] = with_field(&hand.events[seq - 1], 0, time);
    }
    if let Some(d) = drop {
        events.push(format!("drop = [{d}]"));
    }
    let mut added = Vec::new();
    for a in &edits.add {
        let (time, row) = match *a {
            AddGen::Topup(x, units, t) => {
                let (time, x) = (&times[t % times.len()], account(x));
                (
                    time.clone(),
                    format!("{{ time = \"{time}\", kind = \"topup\", account_id = \"{x}\", amount = \"{units}\" }}"),
                )
            }
            AddGen::Establish(l, m, t) => {
                let (time, l, m) = (&times[t % times.len()], account(l), account(m));
                (
                    time.clone(),
                    format!("{{ time = \"{time}\", kind = \"establish\", account_id = \"{l}\", main_id = \"{m}\" }}"),
                )
            }
            AddGen::Downgrade(r, t) => {
                let time = &times[t % times.len()];
                let r = field(&rows.resources[r % rows.resources.len()], 0);
                (
                    time.clone(),
                    format!("{{ time = \"{time}\", kind = \"downgrade\", resource_id = \"{r}\" }}"),
                )
            }
        };
        let csv = match *a {
            AddGen::Topup(x, units, _) => format!("{time},topup,{},,,{units},", account(x)),
            AddGen::Establish(l, m, _) => {
                format!("{time},establish,{},{},,,", account(l), account(m))
            }
            AddGen::Downgrade(r, _) => format!(
                "{time},downgrade,,,{},,",
                field(&rows.resources[r % rows.resources.len()], 0)
            ),
        };
        added.push(row);
        hand.events.push(csv);
    }
    if !added.is_empty() {
        events.push(format!("add = [\n  {},\n]", added.join(",\n  ")));
    }
    if let Some(d) = drop {
        hand.events.remove(d - 1);
    }
    if !events.is_empty() {
        overlay.push_str(&format!("[events]\n{}\n", events.join("\n")));
    }

    let mut accounts = Vec::new();
    if let Some((a, units)) = edits.balance {
        let i = a % rows.accounts.len();
        accounts.push(format!("balance = {{ \"{}\" = \"{units}\" }}", account(i)));
        hand.accounts[i] = with_field(&hand.accounts[i], 2, &units.to_string());
    }
    if let Some((a, units)) = edits.low {
        let i = a % rows.accounts.len();
        let v = units.map(|u| u.to_string()).unwrap_or_default();
        accounts.push(format!(
            "low_balance_threshold = {{ \"{}\" = \"{v}\" }}",
            account(i)
        ));
        hand.accounts[i] = with_field(&hand.accounts[i], 3, &v);
    }
    if !accounts.is_empty() {
        overlay.push_str(&format!("[accounts]\n{}\n", accounts.join("\n")));
    }

    let mut seqs: Vec<u32> = (1..=n as u32)
        .filter(|&s| Some(s as usize) != drop)
        .collect();
    seqs.extend((1..=edits.add.len() as u32).map(|k| n as u32 + k));
    (overlay, world.toml(), hand, seqs)
}

/// events.csv with each row's seq replaced by its row number: the numbering a
/// hand-edited file gives.
fn renumbered(events: &[u8]) -> Vec<u8> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(events);
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.expect("events.csv parses");
        let mut out: Vec<String> = rec.iter().map(str::to_string).collect();
        if i > 0 {
            out[0] = i.to_string();
        }
        w.write_record(&out).expect("write");
    }
    w.into_inner().expect("flush")
}

/// The seqs of an events report, in row order.
fn seqs_of(events: &[u8]) -> Vec<u32> {
    csv::Reader::from_reader(events)
        .records()
        .map(|r| r.expect("row")[0].parse().expect("seq"))
        .collect()
}

/// Loads variant `name` of `dir`, simulates it and writes its reports into `out`.
fn variant_reports(dir: &Path, name: &str, out: &Path) -> Result<Reports, String> {
    let scenario = trustsim::scenario::load_variant(dir, name).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    crate::properties::pool(1).install(|| {
        let results = trustsim::simulate(&scenario).map_err(|e| e.to_string())?;
        trustsim::report::write_reports(&scenario, &results, out).map_err(|e| e.to_string())
    })?;
    Ok(read_reports(out))
}

fn check_equivalence(case: &Case, edits: &Edits) -> Result<(), String> {
    let tmp = scratch();
    let (base, hand_dir) = (tmp.path().join("base"), tmp.path().join("hand"));
    for d in [&base, &hand_dir] {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let rows = crate::properties::render(&case.world, &case.body, "");
    rows.write(&base, &case.world.toml());
    let (overlay, hand_toml, hand, seqs) = apply(case, edits);
    std::fs::create_dir_all(base.join("variants")).map_err(|e| e.to_string())?;
    std::fs::write(base.join("variants/v.toml"), &overlay).map_err(|e| e.to_string())?;
    hand.write(&hand_dir, &hand_toml);

    let context = || format!("overlay:\n{overlay}\nhand-edited scenario.toml:\n{hand_toml}");
    let by_hand = run_reports(&hand_dir, &tmp.path().join("hand-out"), 1)
        .map_err(|e| format!("{e}\n{}", context()))?;
    let variant = variant_reports(&base, "v", &tmp.path().join("variant-out"))
        .map_err(|e| format!("variant does not load: {e}\n{}", context()))?;

    let events = "events.csv";
    let got = seqs_of(&variant[events]);
    if got != seqs {
        return Err(format!(
            "events.csv seqs {got:?}, want {seqs:?}\n{}",
            context()
        ));
    }
    let (mut a, mut b) = (variant.clone(), by_hand.clone());
    if edits.drop.is_some() {
        a.insert(events, renumbered(&a[events]));
        b.insert(events, renumbered(&b[events]));
    }
    if let Some(diff) = first_difference(&b, &a) {
        return Err(format!(
            "variant and hand-edited copy differ (hand-edited first): {diff}\n{}",
            context()
        ));
    }
    crate::invariants::check_invariants(&hand_dir, &tmp.path().join("hand-out"))
}

#[test]
fn a_variant_is_its_scenario_with_the_files_edited_by_hand() {
    let mut runner = TestRunner::new(config(case_count(48)));
    let result = runner.run(&(case(), edits()), |(c, e)| {
        check_equivalence(&c, &e).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The property is not vacuous: a drawn overlay changes the reports of most cases.
#[test]
fn drawn_overlays_change_the_reports() {
    let mut runner = TestRunner::deterministic();
    let (mut changed, total) = (0, 24);
    for _ in 0..total {
        let (c, e) = (case(), edits())
            .new_tree(&mut runner)
            .expect("draw")
            .current();
        let tmp = scratch();
        let base = tmp.path().join("base");
        std::fs::create_dir_all(base.join("variants")).expect("mkdir");
        crate::properties::render(&c.world, &c.body, "").write(&base, &c.world.toml());
        let (overlay, ..) = apply(&c, &e);
        std::fs::write(base.join("variants/v.toml"), overlay).expect("write");
        let plain = run_reports(&base, &tmp.path().join("plain"), 1).expect("baseline");
        let variant = variant_reports(&base, "v", &tmp.path().join("v")).expect("variant");
        if first_difference(&plain, &variant).is_some() {
            changed += 1;
        }
    }
    assert!(changed * 3 >= total * 2, "{changed} of {total} changed");
}

// ---------------------------------------------------------------------------------------
// Settings apply before the tables are read
// ---------------------------------------------------------------------------------------

const EVENTS: &str = "time,kind,account_id,main_id,resource_id,amount,value\n\
2026-03-02T09:00:00,establish,L,M,,,\n\
2026-03-02T09:00:00,topup,L,,,5.00,\n\
2026-03-03T09:00:00,remove,L,,,,\n";

fn with_variant(name: &str, overlay: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![("events.csv", EVENTS)];
    files.extend_from_slice(extra);
    let dir = scenario(&files);
    std::fs::create_dir_all(dir.path().join("variants")).expect("mkdir");
    std::fs::write(dir.path().join(format!("variants/{name}.toml")), overlay).expect("write");
    dir
}

/// Every problem of loading variant `name`, as printed.
fn problems(dir: &Path, name: &str) -> Vec<String> {
    match trustsim::scenario::load_variant(dir, name) {
        Ok(_) => panic!("variant {name} loads"),
        Err(Error::Scenario(p)) => p.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("{e}"),
    }
}

/// Asserts `got` has exactly one problem starting with each of `want`, in that order.
fn assert_problems(got: &[String], want: &[&str]) {
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            g.starts_with(w),
            "{g:?} should start with {w:?}\nall: {got:#?}"
        );
    }
}

#[test]
fn a_new_timezone_rereads_every_local_time_and_the_horizon() {
    let dir = with_variant("utc", "timezone = \"+00:00\"\n", &[]);
    let base = trustsim::scenario::load(dir.path()).expect("baseline");
    let utc = trustsim::scenario::load_variant(dir.path(), "utc").expect("variant");
    let hours = 8 * 3600;
    assert_eq!(utc.settings.start.0 - base.settings.start.0, hours);
    for (a, b) in base.events.iter().zip(&utc.events) {
        assert_eq!(b.time.0 - a.time.0, hours, "event {}", a.seq);
    }
    assert_eq!(utc.settings.name, format!("{}+utc", base.settings.name));
    assert_eq!(
        utc.settings.calendar.format_time(utc.settings.start),
        "2026-03-01T00:00:00+00:00"
    );
}

#[test]
fn a_new_money_scale_rereads_every_amount() {
    let dir = with_variant("fine", "money_scale = 4\n", &[]);
    let s = trustsim::scenario::load_variant(dir.path(), "fine").expect("variant");
    assert_eq!(s.settings.money.scale, 4);
    // Read at scale 4: the balance prints with four digits.
    assert_eq!(s.settings.money.format(s.accounts[0].balance), "100.0000");
    // A coarser scale makes the baseline's own amounts too precise, located where they are.
    let dir = with_variant("coarse", "money_scale = 0\n", &[]);
    assert_problems(
        &problems(dir.path(), "coarse"),
        &[
            "accounts.csv:2: balance: expected at most 0 fraction digits, got \"100.00\"",
            "accounts.csv:3: balance: expected at most 0 fraction digits, got \"100.00\"",
            "events.csv:3: amount: expected at most 0 fraction digits, got \"5.00\"",
        ],
    );
}

#[test]
fn a_retimed_event_keeps_its_seq_and_its_place_by_seq_at_its_new_instant() {
    // The remove (seq 3) moves to the instant of seq 1 and 2; the establish (seq 1) to
    // after it; a topup added at that instant comes last (seq 4).
    let dir = with_variant(
        "v",
        "[events]\nretime = [{ seq = 3, time = \"2026-03-02T09:00:00\" }, \
         { seq = 1, time = 2026-03-02T10:00:00 }]\n\
         add = [{ time = \"2026-03-02T09:00:00\", kind = \"topup\", account_id = \"M\", amount = \"1\" }]\n",
        &[],
    );
    let s = trustsim::scenario::load_variant(dir.path(), "v").expect("variant");
    let seqs: Vec<(u32, &str)> = s.events.iter().map(|e| (e.seq, e.kind.name())).collect();
    assert_eq!(
        seqs,
        [(1, "establish"), (2, "topup"), (3, "remove"), (4, "topup")]
    );
    let order: Vec<u32> = trustsim::timeline::components(&s)
        .iter()
        .flat_map(|c| c.events.iter().map(|&i| s.events[i].seq))
        .collect();
    assert_eq!(order, [2, 3, 4, 1], "processing order: time, then seq");
}

// ---------------------------------------------------------------------------------------
// Mistakes, located in the overlay
// ---------------------------------------------------------------------------------------

#[test]
fn each_mistake_of_an_overlay_is_located_in_it() {
    let overlay = "\
[events]
retime = [{ seq = 9, time = \"2026-03-02T10:00:00\" }, { seq = 2, time = \"2026-03-32\" }]
drop = [1, 1]
add = [
  { time = \"2026-03-02\", kind = \"topup\", account_id = \"M\", main_id = \"L\", amount = \"1\" },
  { time = \"2026-03-02\", kind = \"topup\", account_id = \"nobody\", amount = \"1.001\" },
  { time = \"2027-01-01\", kind = \"remove\", account_id = \"L\" },
  { time = \"2026-03-02\", kind = \"transfer\", account_id = \"L\" },
]
[accounts]
balance = { M = \"-1\", ghost = \"1.00\" }
high_bill_threshold = { L = \"1.5.0\" }
";
    let dir = with_variant("bad", overlay, &[]);
    let f = "variants/bad.toml";
    assert_problems(
        &problems(dir.path(), "bad"),
        &[
            // One line's problems in the order found: the rows' fields, then the seqs.
            &format!("{f}:2: events.retime.time: "),
            &format!(
                "{f}:2: events.retime.seq: no event has seq 9: events.csv has 3 events, seq 1 to 3"
            ),
            &format!("{f}:3: events.drop: seq 1 is dropped twice (first on line 3)"),
            &format!("{f}:5: events.add.main_id: must be empty for a topup event"),
            &format!("{f}:6: events.add.account_id: unknown account \"nobody\""),
            &format!("{f}:6: events.add.amount: expected at most 2 fraction digits, got \"1.001\""),
            &format!("{f}:7: events.add.time: 2027-01-01 is outside the horizon"),
            &format!("{f}:8: events.add.kind: expected one of establish, modify,"),
            &format!("{f}:11: accounts.balance.M: expected an amount >= 0, got -1"),
            &format!("{f}:11: accounts.balance.ghost: unknown account \"ghost\""),
            &format!("{f}:12: accounts.high_bill_threshold.L: expected a decimal like 12.50"),
        ],
    );
}

#[test]
fn a_seq_both_retimed_and_dropped_is_one_mistake() {
    let dir = with_variant(
        "both",
        "[events]\nretime = [{ seq = 2, time = \"2026-03-03\" }]\ndrop = [2]\n",
        &[],
    );
    assert_problems(
        &problems(dir.path(), "both"),
        &["variants/both.toml:3: events.drop: seq 2 is both retimed (line 2) and dropped"],
    );
}

#[test]
fn unknown_keys_wrong_types_and_settings_are_located_in_the_overlay() {
    let cases: [(&str, &str); 10] = [
        ("foo = 1\n", "variants/x.toml:1: foo: neither a setting nor one of a variant's tables"),
        ("[event]\ndrop = [1]\n", "variants/x.toml:1: event: neither a setting nor"),
        ("[events]\nshift = [1]\n", "variants/x.toml:2: shift: unknown field `shift`, expected one of `retime`, `drop`, `add`"),
        ("[accounts]\nenterprise_id = { L = \"e2\" }\n", "variants/x.toml:2: enterprise_id: unknown field `enterprise_id`"),
        ("[policy]\nunsettled = \"maybe\"\n", "variants/x.toml:2: unsettled: expected \"defer\" or \"reject\", got \"maybe\""),
        ("[policy]\nlater = true\n", "variants/x.toml:2: later: unknown field `later`, expected one of `unsettled`"),
        ("name = \"other\"\n", "variants/x.toml:1: name: a variant is named by its file"),
        ("description = \"d\"\ntimezone = \"Mars/Base\"\n", "variants/x.toml:2: timezone: "),
        ("[events]\ndrop = [\"1\"]\n", "variants/x.toml:2: drop: invalid type: string \"1\""),
        ("[accounts]\nbalance = { L = 5.0 }\n", "variants/x.toml:2: accounts.balance.L: expected a quoted decimal like \"500.00\" (money is never a float)"),
    ];
    for (overlay, want) in cases {
        let dir = with_variant("x", overlay, &[]);
        assert_problems(&problems(dir.path(), "x"), &[want]);
    }
}

#[test]
fn a_changed_horizon_is_checked_against_the_baseline_rows() {
    // `end` before `start`: the overlay's `end`.
    let dir = with_variant("v", "end = \"2026-02-01\"\n", &[]);
    assert_problems(
        &problems(dir.path(), "v"),
        &["variants/v.toml:1: end: expected `end` to be after `start`"],
    );
    // A later start leaves baseline rows outside the horizon: located in their files.
    let dir = with_variant("v", "start = \"2026-03-02T12:00:00\"\n", &[]);
    assert_problems(
        &problems(dir.path(), "v"),
        &[
            "usage.csv:2: time: 2026-03-01T10:00:00 is outside the horizon",
            "usage.csv:3: time: 2026-03-02T10:00:00 is outside the horizon",
            "events.csv:2: time: 2026-03-02T09:00:00 is outside the horizon",
            "events.csv:3: time: 2026-03-02T09:00:00 is outside the horizon",
        ],
    );
}

#[test]
fn problems_of_the_overlay_and_of_the_resulting_scenario_are_reported_together() {
    // New York skips 02:00–03:00 on 2026-03-08: the baseline's event time does not exist
    // there (events.csv), and the overlay's own balance is bad (the overlay).
    let events = "time,kind,account_id,main_id,resource_id,amount,value\n\
                  2026-03-08T02:30:00,topup,L,,,5.00,\n";
    let settings = "start = \"2026-03-01\"\nend = \"2026-03-10\"\n";
    let dir = with_variant(
        "ny",
        "timezone = \"America/New_York\"\n[accounts]\nbalance = { M = \"x\" }\n",
        &[("scenario.toml", settings), ("events.csv", events)],
    );
    assert_problems(
        &problems(dir.path(), "ny"),
        &[
            "events.csv:2: time: ",
            "variants/ny.toml:3: accounts.balance.M: expected a decimal like 12.50",
        ],
    );
    // An overlay that is not TOML is reported with the baseline's own problems.
    let dir = with_variant(
        "broken",
        "[events\n",
        &[("usage.csv", "time,resource_id,amount\n2026-03-01,r9,1.00\n")],
    );
    assert_problems(
        &problems(dir.path(), "broken"),
        &[
            "usage.csv:2: resource_id: unknown resource \"r9\"",
            "variants/broken.toml:1: ",
        ],
    );
}

#[test]
fn a_missing_variant_names_the_ones_there_are() {
    let dir = with_variant("later", "", &[]);
    std::fs::write(dir.path().join("variants/earlier.toml"), "").expect("write");
    std::fs::write(dir.path().join("variants/.hidden.toml"), "").expect("write");
    std::fs::write(dir.path().join("variants/notes.md"), "").expect("write");
    assert_eq!(
        trustsim::scenario::variant_names(dir.path()),
        ["earlier", "later"]
    );
    assert_problems(
        &problems(dir.path(), "latr"),
        &["variants/latr.toml:0: -: file is missing; its variants: earlier, later"],
    );
    assert_problems(
        &problems(dir.path(), "../later"),
        &["variants/../later.toml:0: -: \"../later\" is not a variant name"],
    );
    // An empty overlay changes nothing but the name.
    let s = trustsim::scenario::load_variant(dir.path(), "later").expect("empty variant");
    assert!(s.settings.name.ends_with("+later"), "{}", s.settings.name);
}

// ---------------------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------------------

#[test]
fn run_variant_writes_to_output_name_plus_variant() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = with_variant(
        "rich",
        "[accounts]\nbalance = { L = \"1000.00\" }\n",
        &[(
            "scenario.toml",
            "name = \"plan\"\nstart = \"2026-03-01\"\nend = \"2026-03-05\"\n",
        )],
    );
    let path = dir.path().to_str().expect("utf-8");
    let out = trustsim(&["run", path, "--variant", "rich"], work.path());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let reports = work.path().join("output/plan+rich");
    let summary = std::fs::read_to_string(reports.join("summary.csv")).expect("summary");
    // L's 1000.00 and its 5.00 top-up, less its two bills (1.00 and 30.00, both its own: the
    // trusteeship of 2026-03-02 starts no cycle of them).
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("L,") && l.ends_with(",974.00")),
        "{summary}"
    );
    assert!(
        !work.path().join("output/plan").exists(),
        "the baseline is not written"
    );
    assert!(!work.path().join("output/plan").exists());
    let base = work.path().join("base");
    let out = trustsim(
        &["run", path, "--out", base.to_str().expect("utf-8")],
        work.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let plain = std::fs::read_to_string(base.join("summary.csv")).expect("summary");
    assert_ne!(plain, summary, "the variant's balance changes the summary");

    let out = trustsim(&["run", path, "--variant", "poor"], work.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("variants/poor.toml:0: -: file is missing; its variants: rich"),
        "{stderr}"
    );
}

#[test]
fn validate_checks_the_baseline_and_every_variant() {
    let dir = with_variant("good", "[policy]\nunsettled = \"reject\"\n", &[]);
    std::fs::write(
        dir.path().join("variants/bad.toml"),
        "[events]\ndrop = [7]\n",
    )
    .expect("write");
    let out = trustsim(&["validate", "."], dir.path());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let name = dir
        .path()
        .canonicalize()
        .expect("path")
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with(&format!("{name}: valid")), "{stdout}");
    assert!(lines[1].starts_with("variant bad: INVALID"), "{stdout}");
    assert!(
        lines[2].starts_with(&format!("{name}+good: valid")),
        "{stdout}"
    );
    assert!(
        stderr.contains("variant bad: variants/bad.toml:2: events.drop: no event has seq 7"),
        "{stderr}"
    );
    // One variant only.
    let out = trustsim(&["validate", ".", "--variant", "good"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with(&format!("{name}+good: valid")),
        "{stdout}"
    );
}

// ---------------------------------------------------------------------------------------
// Committed variant reports
// ---------------------------------------------------------------------------------------

/// Every variant of every scenario under `scenarios/` matches its committed reports in
/// `expected-variants/NAME/`, and every folder there is a variant's. Update them after
/// reading the rows: `trustsim run DIR --variant NAME --out /tmp/NAME` and copy its nine
/// CSV files into `DIR/expected-variants/NAME/`.
#[test]
fn variant_reports_match_expected_variants() {
    let mut failures = String::new();
    let mut variants = 0;
    for dir in crate::util::scenario_dirs() {
        let names = trustsim::scenario::variant_names(&dir);
        let expected = dir.join("expected-variants");
        if let Ok(entries) = std::fs::read_dir(&expected) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !names.contains(&name) {
                    failures.push_str(&format!(
                        "{}: expected-variants/{name} has no variants/{name}.toml\n",
                        dir.display()
                    ));
                }
            }
        }
        for name in names {
            variants += 1;
            let tmp = scratch();
            if let Err(e) = variant_reports(&dir, &name, tmp.path()) {
                failures.push_str(&format!("{} --variant {name}: {e}\n", dir.display()));
                continue;
            }
            match trustsim::check::compare(&expected.join(&name), tmp.path()) {
                Ok(CheckOutcome::Match) => {}
                Ok(CheckOutcome::Differs(text)) => {
                    failures.push_str(&format!("{} --variant {name}:\n{text}\n", dir.display()))
                }
                Ok(CheckOutcome::Blessed) => unreachable!("compare never blesses"),
                Err(e) => failures.push_str(&format!("{} --variant {name}: {e}\n", dir.display())),
            }
        }
    }
    assert!(
        variants >= 2,
        "the golden what-if scenario has two variants"
    );
    assert!(failures.is_empty(), "{failures}");
}
