//! One integration-test binary: golden scenarios, CLI behaviour and errors, invariants.

mod cli;
mod errors;
mod generate;
mod golden;
mod hostile;
mod invariants;
mod metamorphic;
mod properties;
mod util;
mod ux;
