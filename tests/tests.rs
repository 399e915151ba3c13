//! One integration-test binary: golden scenarios, CLI behaviour and errors, invariants.

mod cli;
mod golden;
mod invariants;
mod util;
