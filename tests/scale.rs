//! Inputs at which a quadratic algorithm takes minutes (tracker issue 8): 200 k discount
//! rows of one account and product, and 50 k establishes to one main. Each test asserts the
//! exact outcome, so it guards the linear algorithms' answers as well as their existence;
//! `benches/scale.rs` times the same inputs (it includes this file for the writers).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use trustsim::{engine::outcome::Results, Error, Scenario};

/// Discount rows in `discounts_200k`: one every 10 s from the start, for 23 days.
pub const DISCOUNT_ROWS: u32 = 200_000;

/// `2026-03-01T00:00:00` plus `secs` (less than 31 days), as local time.
fn march(secs: u32) -> String {
    let (day, rest) = (secs / 86_400, secs % 86_400);
    format!(
        "2026-03-{:02}T{:02}:{:02}:{:02}",
        day + 1,
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write scenario file");
}

/// One account with an hourly resource billed 10.00 every hour of March, and
/// [`DISCOUNT_ROWS`] back-to-back discount rows for its product (row `k` takes `k % 100`
/// percent for 10 s), then a `*` row from March 25.
pub fn discounts_200k(dir: &Path) {
    write(
        dir,
        "scenario.toml",
        "start = \"2026-03-01\"\nend = \"2026-04-01\"\n",
    );
    write(
        dir,
        "accounts.csv",
        "account_id,enterprise_id,balance\nL,e1,100000.00\n",
    );
    write(
        dir,
        "resources.csv",
        "resource_id,account_id,product,billing_method,cycle\nr1,L,ecs,pay_as_you_go,hourly\n",
    );
    let mut usage = String::from("time,resource_id,amount\n");
    for h in 0..31 * 24 {
        writeln!(usage, "{},r1,10.00", march(h * 3600)).expect("string");
    }
    write(dir, "usage.csv", &usage);
    let mut discounts = String::from("account_id,product,percent_off,valid_from,valid_until\n");
    for k in 0..DISCOUNT_ROWS {
        writeln!(
            discounts,
            "L,ecs,{},{},{}",
            k % 100,
            march(k * 10),
            march(k * 10 + 10)
        )
        .expect("string");
    }
    discounts.push_str("L,*,7,2026-03-25,\n");
    write(dir, "discounts.csv", &discounts);
}

/// Linked accounts in `establish_50k`.
pub const LINKED: u32 = 50_000;
/// Its `max_linked`: the last five of the first wave are rejected (T8).
pub const MAX_LINKED: u32 = LINKED - 5;

fn linked(i: u32) -> String {
    format!("L{i:05}")
}

/// A main M, an account X, and [`LINKED`] accounts that all ask to join M at one instant.
/// The first ten owe a bill (deferred to April, pending until then); after that, removes
/// free room, nesting and real-name requests are refused (E3, T7), and in April a remove
/// makes room for the last one.
pub fn establish_50k(dir: &Path) {
    write(
        dir,
        "scenario.toml",
        &format!("start = \"2026-03-01\"\nend = \"2026-05-01\"\nmax_linked = {MAX_LINKED}\n"),
    );
    let mut accounts = String::from("account_id,enterprise_id\nM,e1\nX,e1\n");
    for i in 0..LINKED {
        writeln!(accounts, "{},e1", linked(i)).expect("string");
    }
    write(dir, "accounts.csv", &accounts);
    let mut resources = String::from("resource_id,account_id,product,billing_method,cycle\n");
    let mut usage = String::from("time,resource_id,amount\n");
    for i in 0..10 {
        writeln!(resources, "r{i},{},ecs,pay_as_you_go,daily", linked(i)).expect("string");
        writeln!(usage, "2026-03-01T10:00:00,r{i},1.00").expect("string");
    }
    write(dir, "resources.csv", &resources);
    write(dir, "usage.csv", &usage);
    let mut events = String::from("time,kind,account_id,main_id,resource_id,amount,value\n");
    let mut event = |time: &str, kind: &str, account: &str, main: &str, value: &str| {
        writeln!(events, "{time},{kind},{account},{main},,,{value}").expect("string");
    };
    for i in 0..LINKED {
        event("2026-03-02T01:00:00", "establish", &linked(i), "M", "");
    }
    for i in 10..13 {
        event("2026-03-10T00:00:00", "remove", &linked(i), "", "");
    }
    for i in LINKED - 5..LINKED - 2 {
        event("2026-03-11T00:00:00", "establish", &linked(i), "M", "");
    }
    event(
        "2026-03-12T00:00:00",
        "establish",
        &linked(LINKED - 2),
        "M",
        "",
    );
    event("2026-03-12T00:00:00", "establish", "M", "X", "");
    event("2026-03-12T00:00:00", "establish", "X", &linked(20), "");
    event("2026-03-13T00:00:00", "change_real_name", "M", "", "e2");
    // L00000's deferred request is active from April 1: it can be removed now.
    event("2026-04-02T00:00:00", "remove", &linked(0), "", "");
    event(
        "2026-04-02T00:00:00",
        "establish",
        &linked(LINKED - 1),
        "M",
        "",
    );
    write(dir, "events.csv", &events);
}

fn load(dir: &Path) -> Result<Scenario, Vec<String>> {
    match trustsim::scenario::load(dir) {
        Ok(s) => Ok(s),
        Err(Error::Scenario(p)) => Err(p.iter().map(ToString::to_string).collect()),
        Err(e) => panic!("{e}"),
    }
}

fn simulate(dir: &Path) -> (Scenario, Results) {
    let s = load(dir).unwrap_or_else(|p| panic!("{p:#?}"));
    let r = trustsim::simulate(&s).expect("simulates");
    (s, r)
}

#[test]
fn discounts_200k_rows_of_one_account_and_product() {
    let dir = crate::properties::scratch();
    discounts_200k(dir.path());
    let (s, results) = simulate(dir.path());
    assert_eq!(s.discounts.len(), DISCOUNT_ROWS as usize + 1);
    let mut by_percent = BTreeMap::new();
    for (h, bill) in results.bills.in_order().enumerate() {
        let secs = h as u32 * 3600;
        // The row holding the cycle start, the `*` row from March 25, or none between.
        let percent = if secs < DISCOUNT_ROWS * 10 {
            (secs / 10) % 100
        } else if secs >= 24 * 86_400 {
            7
        } else {
            0
        };
        let discount = s.settings.money.format(bill.discount);
        assert_eq!(
            discount,
            format!("{}.{}0", percent / 10, percent % 10),
            "bill {h}"
        );
        *by_percent.entry(percent).or_insert(0) += 1;
    }
    assert_eq!(results.bills.len(), 31 * 24);
    assert_eq!(by_percent[&7], 7 * 24);

    // One more row, overlapping the last one: located at its own line, naming that row.
    let mut text = std::fs::read_to_string(dir.path().join("discounts.csv")).expect("read");
    text.push_str(&format!("L,ecs,1,{},\n", march(DISCOUNT_ROWS * 10 - 5)));
    write(dir.path(), "discounts.csv", &text);
    let last = DISCOUNT_ROWS + 1;
    assert_eq!(
        load(dir.path()).map(|_| ()),
        Err(vec![format!(
            "discounts.csv:{}: valid_from: validity overlaps the row on line {last} for the same account and product",
            last + 2
        )])
    );
}

/// Overlaps are found as the rows are read, so their problems come in line order with the
/// table's other problems (they used to come after all of them).
#[test]
fn discount_overlaps_are_reported_in_line_order() {
    let dir = crate::properties::scratch();
    write(
        dir.path(),
        "scenario.toml",
        "start = \"2026-03-01\"\nend = \"2026-04-01\"\n",
    );
    write(
        dir.path(),
        "accounts.csv",
        "account_id,enterprise_id\nL,e1\n",
    );
    write(
        dir.path(),
        "resources.csv",
        "resource_id,account_id,product,billing_method,cycle\n",
    );
    write(dir.path(), "usage.csv", "time,resource_id,amount\n");
    write(
        dir.path(),
        "discounts.csv",
        "account_id,product,percent_off,valid_from,valid_until\n\
         L,ecs,10,2026-03-01,2026-03-10\n\
         L,ecs,5,2026-03-09,\n\
         L,ecs,101,,\n\
         L,*,5,,2026-03-02\n\
         L,*,5,2026-03-02,\n\
         L,*,5,2026-03-01T12:00:00,2026-03-01T13:00:00\n",
    );
    assert_eq!(
        load(dir.path()).map(|_| ()),
        Err(vec![
            "discounts.csv:3: valid_from: validity overlaps the row on line 2 for the same account and product".to_string(),
            "discounts.csv:4: percent_off: expected a percentage from 0 to 100, got 101".to_string(),
            "discounts.csv:7: valid_from: validity overlaps the row on line 5 for the same account and product".to_string(),
        ])
    );
}

#[test]
fn establish_50k_to_one_main() {
    let dir = crate::properties::scratch();
    establish_50k(dir.path());
    let (s, results) = simulate(dir.path());
    let mut outcomes: BTreeMap<(&str, &str, &str), u32> = BTreeMap::new();
    for row in &results.events {
        let kind = s.events[row.event].kind.name();
        *outcomes
            .entry((kind, row.outcome.as_str(), row.rule.as_str()))
            .or_default() += 1;
    }
    let expected: BTreeMap<(&str, &str, &str), u32> = [
        // 49,985 at once, 3 into the room three removes made, 1 in April.
        (("establish", "applied", "T5.2"), MAX_LINKED - 10 + 3 + 1),
        (("establish", "deferred", "T5.1"), 10),
        // Five over the limit, then one more when it was full again.
        (("establish", "rejected", "T8"), 5 + 1),
        // M has linked accounts; L00020 is linked.
        (("establish", "rejected", "E3"), 2),
        (("remove", "applied", "T3"), 4),
        (("change_real_name", "rejected", "T7"), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(outcomes, expected);
    assert_eq!(results.events.len(), LINKED as usize + 12);
}
