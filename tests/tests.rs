//! One integration-test binary: golden scenarios, CLI behaviour and errors, invariants.

mod cli;
mod generate;
mod golden;
mod hostile;
mod invariants;
mod limits;
mod metamorphic;
mod properties;
mod scale;
mod util;
