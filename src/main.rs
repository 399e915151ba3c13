//! The `trustsim` command line: a thin layer over the library that parses flags, shows
//! progress, prints errors and picks the exit status (0 ok, 1 check mismatch or I/O
//! failure, 2 invalid scenario or usage).

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use trustsim::check::CheckOutcome;
use trustsim::Error;

#[derive(Parser)]
#[command(
    name = "trustsim",
    version,
    about = "Simulates finance-trusteeship billing and explains who paid every bill."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulates a scenario and writes its nine reports.
    Run {
        /// The scenario directory (with scenario.toml).
        scenario: PathBuf,
        /// Output directory [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: one per core, or RAYON_NUM_THREADS].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Checks a scenario's files without simulating or writing anything.
    Validate { scenario: PathBuf },
    /// Compares each scenario's reports with its expected/ golden files.
    Check {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Rewrite expected/ from the current output. Read the rows first.
        #[arg(long)]
        bless: bool,
        #[arg(long)]
        threads: Option<usize>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Run { threads, .. } | Command::Check { threads, .. } => *threads,
        Command::Validate { .. } => None,
    };
    if let Some(n) = threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("trustsim: cannot start {n} threads: {e}");
            return ExitCode::from(1);
        }
    }
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints an error; invalid input exits with 2 (SPEC §7), anything else with 1.
fn report(e: &anyhow::Error) -> ExitCode {
    match e.downcast_ref::<Error>() {
        Some(Error::Scenario(problems)) => {
            for p in problems {
                eprintln!("{p}");
            }
            if problems.len() >= trustsim::error::MAX_PROBLEMS {
                eprintln!("(stopped after {} problems)", problems.len());
            }
            ExitCode::from(2)
        }
        _ => {
            eprintln!("trustsim: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { scenario, out, .. } => {
            let options = trustsim::RunOptions { out };
            let s = trustsim::run(&scenario, &options)?;
            let m = s.money;
            let secs = s.elapsed.as_secs_f64();
            println!(
                "{}: {} bills from {} usage rows, {} accounts in {} components, {} events",
                s.name, s.bills, s.usage_rows, s.accounts, s.components, s.events
            );
            println!(
                "  list {}  paid {}  outstanding {}",
                m.format(s.list),
                m.format(s.paid),
                m.format(s.outstanding)
            );
            println!(
                "  reports in {}  ({:.3} s, {:.0} usage rows/s)",
                s.out_dir.display(),
                secs,
                s.usage_rows as f64 / secs.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { scenario } => {
            let s = trustsim::scenario::load(&scenario)?;
            println!(
                "{}: valid ({} accounts, {} resources, {} usage rows, {} events)",
                s.settings.name,
                s.accounts.len(),
                s.resources.len(),
                s.usage.len(),
                s.events.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            scenarios, bless, ..
        } => {
            let mut failed = 0;
            for dir in &scenarios {
                let outcome = trustsim::check::check(dir, bless)
                    .with_context(|| format!("checking {}", dir.display()))?;
                match outcome {
                    CheckOutcome::Match => println!("ok       {}", dir.display()),
                    CheckOutcome::Blessed => println!("blessed  {}", dir.display()),
                    CheckOutcome::Differs(text) => {
                        failed += 1;
                        println!("DIFFERS  {}\n{text}", dir.display());
                    }
                }
            }
            if failed > 0 {
                eprintln!(
                    "{failed} of {} scenarios differ from their goldens",
                    scenarios.len()
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
