//! Every scenario under `scenarios/` matches its `expected/` reports, at 1 and at 4 threads.
//! Update goldens with `cargo run -- check --bless scenarios/<name>` after reading the rows.

use crate::util::{scenario_dirs, with_threads};
use trustsim::check::{check, CheckOutcome};

fn check_all(threads: usize) {
    let dirs = scenario_dirs();
    assert!(!dirs.is_empty(), "no scenarios found");
    let mut failures = String::new();
    for dir in &dirs {
        assert!(
            dir.join("README.md").is_file(),
            "{} has no README.md",
            dir.display()
        );
        match with_threads(threads, || check(dir, false)) {
            Ok(CheckOutcome::Match) => {}
            Ok(CheckOutcome::Differs(text)) => {
                failures.push_str(&format!("{} ({threads} threads):\n{text}\n", dir.display()))
            }
            Ok(CheckOutcome::Blessed) => unreachable!("check without bless never blesses"),
            Err(e) => failures.push_str(&format!("{}: {e}\n", dir.display())),
        }
    }
    assert!(failures.is_empty(), "golden mismatches:\n{failures}");
}

#[test]
fn goldens_match_on_one_thread() {
    check_all(1);
}

#[test]
fn goldens_match_on_four_threads() {
    check_all(4);
}
