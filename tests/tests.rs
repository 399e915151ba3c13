//! One integration-test binary: golden scenarios, CLI behaviour and errors, invariants.

mod cli;
mod compare;
mod crash;
mod deploy;
mod errors;
mod explain;
mod focus;
mod generate;
mod golden;
mod hostile;
mod html;
mod import;
mod invariants;
mod limits;
mod metamorphic;
mod output_safety;
mod parquet;
mod properties;
mod scale;
mod shards;
mod sweep;
mod tidy;
mod util;
mod ux;
mod variants;
