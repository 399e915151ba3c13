//! The `trustsim` command line: a thin layer over the library that parses flags, shows
//! progress, prints errors and picks the exit status (SPEC §7: 0 ok, 1 a difference found,
//! 2 bad input, 3 output not written).

use clap::{Args, Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trustsim::check::CheckOutcome;
use trustsim::generate::{GenerateError, GenerateParams};
use trustsim::{Error, Problem};

/// `println!` that ignores a closed stdout (`trustsim run … | head -1`) instead of panicking:
/// the work is done, and a reader that stopped listening is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "trustsim",
    version,
    about = "Simulates finance-trusteeship billing and explains who paid every bill."
)]
struct Cli {
    /// Never show progress bars (they are shown only when stderr is a terminal anyway).
    #[arg(long, global = true)]
    quiet: bool,
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
        /// Runs the variant variants/NAME.toml instead of the baseline [default output:
        /// output/<scenario name>+NAME].
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
        /// Also writes focus.csv, the bills as a FOCUS 1.0 cost-and-usage dataset.
        #[arg(long)]
        focus: bool,
        /// Also writes report.html, a self-contained page of charts and tables (for a
        /// sharded or memory-bounded run: `trustsim report` of the merged reports).
        #[arg(long, conflicts_with_all = ["shard", "max_memory"])]
        html: bool,
        /// Simulates only shard K of N (or `auto`: K and N from Slurm, Kubernetes or AWS
        /// Batch) and writes a shard directory for `trustsim merge` [default out:
        /// output/<scenario name>.shard-K-of-N].
        #[arg(long, value_name = "K/N|auto", conflicts_with_all = ["shard_plan", "max_memory"])]
        shard: Option<String>,
        /// Prints which components, accounts and usage rows each of N shards gets, and
        /// exits without simulating or writing.
        #[arg(long, value_name = "N", conflicts_with = "max_memory")]
        shard_plan: Option<u64>,
        /// Keeps peak memory near SIZE (512MiB, 4GiB, bytes): components are simulated
        /// in groups, spilled beside the output and merged; the reports are the same bytes.
        #[arg(long, value_name = "SIZE")]
        max_memory: Option<String>,
        /// The reports' file format: csv, or parquet (NAME.parquet instead of NAME.csv,
        /// typed columns; see docs/duckdb.md). Not with --shard or --max-memory, whose merge
        /// writes CSV.
        #[arg(long, value_enum, default_value_t = trustsim::report::Format::Csv,
            conflicts_with_all = ["shard", "max_memory"])]
        format: trustsim::report::Format,
    },
    /// Merges the shard directories of `run --shard K/N` (K = 1..N) into the reports, byte
    /// for byte those of the unsharded run.
    Merge {
        /// Every shard directory of one run, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory [default: output/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Checks a scenario's files, and every variant's, without simulating or writing
    /// anything.
    Validate {
        scenario: PathBuf,
        /// Checks only the variant variants/NAME.toml.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
    },
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
    /// Writes a synthetic scenario (a fleet of mains at the linked limit) for benchmarks.
    Generate(GenerateArgs),
    /// Turns provider bill exports into a scenario.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Compares two runs: scenario or report directories A and B, or a scenario with its
    /// variants (one path), or with the SPEC's other readings (--readings).
    Compare(CompareArgs),
    /// Explains a bill (why this payer, rule, price and payment) or an account's story,
    /// from one simulation; each sentence cites its rule ids and event seqs.
    Explain(ExplainArgs),
    /// Writes the HTML report of a report directory (report.html in it, when trustsim
    /// wrote it, or --out FILE).
    Report {
        /// A report directory (the nine CSV files of `trustsim run`).
        reports: PathBuf,
        /// Writes the page to FILE (replaced whole) [default: REPORTS/report.html].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Retimes one event to every instant of a range and writes what each instant gives
    /// the accounts it can change (sweep.csv), with the best instant for the main.
    Sweep(SweepArgs),
    /// Simulates an imported scenario and compares it with its actuals.csv (reconcile.csv).
    Reconcile {
        scenario: PathBuf,
        /// Output directory [default: output/<scenario name>.reconcile].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// FOCUS 1.0–1.2 cost-and-usage CSV files (SPEC §10.7); import.md says what was mapped.
    Focus {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The scenario directory to write (created if missing; an import before is replaced).
        #[arg(long)]
        out: PathBuf,
        /// The scenario's zone [default: where the files' days and months start at midnight].
        #[arg(long)]
        timezone: Option<String>,
        /// Link every sub-account billed to another account to it at the start.
        #[arg(long)]
        establish: bool,
    },
}

/// Flags of `sweep` (SPEC §10.3).
#[derive(Args)]
struct SweepArgs {
    /// The scenario directory.
    scenario: PathBuf,
    /// The event to retime: its seq (1-based data row of events.csv).
    #[arg(long, value_name = "SEQ")]
    event: u32,
    /// The first instant, as events.csv writes a time (2026-03-10T09:00:00, 2026-03-10).
    #[arg(long, value_name = "T")]
    from: String,
    /// The last instant (included when a step lands on it).
    #[arg(long, value_name = "T")]
    to: String,
    /// Minutes, hours or local days between instants: 30m, 1h, 1d, 7d.
    #[arg(long, value_name = "D")]
    step: String,
    /// Writes sweep.csv to FILE (replaced whole) [default: output/<scenario name>.sweep.csv].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Flags of `compare` (SPEC §10.1, §10.2).
#[derive(Args)]
struct CompareArgs {
    /// A and B (scenario or report directories), or one scenario directory: its baseline
    /// against each variants/NAME.toml.
    #[arg(required = true, num_args = 1..=2)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: trustsim::compare::Format,
    /// Writes the comparison to FILE (replaced whole) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Lists every value, not only the differences.
    #[arg(long)]
    all: bool,
    /// With one scenario: the default readings against every other combination of
    /// t5_scope and subscription_payer.
    #[arg(long)]
    readings: bool,
    /// Exits 1 when the delta (b - a) meets it: 'METRIC[@ACCOUNT] OP N', OP > >= < <=, no
    /// account = the total. Repeatable.
    #[arg(long = "fail-if", value_name = "EXPR")]
    fail_if: Vec<String>,
}

/// Flags of `explain` (SPEC §10.4).
#[derive(Args)]
struct ExplainArgs {
    /// The scenario directory (with scenario.toml).
    scenario: PathBuf,
    /// A bill id as bills.csv writes it (resource_id@cycle_start, or @time of a
    /// subscription order), or an account id.
    id: String,
    #[arg(long, value_enum, default_value_t)]
    format: trustsim::explain::Format,
    /// Explains the run of the variant variants/NAME.toml instead of the baseline.
    #[arg(long, value_name = "NAME")]
    variant: Option<String>,
    /// Reads the id as a bill or as an account (needed only when it names both).
    #[arg(long, value_enum)]
    kind: Option<trustsim::explain::Kind>,
}

/// Flags of `generate`: where to write, and the knobs, which [`GenerateParams`] defines
/// (with their help and defaults) once.
#[derive(Args)]
struct GenerateArgs {
    /// Directory to write (created if missing; a scenario generated before is replaced).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    params: GenerateParams,
}

/// Progress bars on stderr, or nothing: bars are drawn only for a person watching a
/// terminal, so logs and CI output stay clean and `--quiet` turns them off altogether.
///
/// Every bar of a command is drawn through one [`MultiProgress`]: it alone owns the
/// terminal lines, so a finished bar's line is taken back instead of being left above the
/// next bar or the summary (bars with their own draw targets each remember only their own
/// lines, and a steady tick can redraw one after it was cleared).
#[derive(Clone)]
struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        let show = !quiet && std::io::stderr().is_terminal();
        Progress {
            multi: show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// A spinner for a phase whose size is unknown in advance (reading, writing).
    fn spinner(&self, message: &'static str) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let pb = multi.add(ProgressBar::new_spinner());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(message);
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    /// A bar of `len` steps.
    fn bar(&self, message: &'static str, len: u64) -> ProgressBar {
        let Some(multi) = &self.multi else {
            return ProgressBar::hidden();
        };
        let pb = multi.add(ProgressBar::new(len));
        pb.set_style(
            ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} [{elapsed}<{eta}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(message);
        pb
    }

    /// Ends `bar` and takes its line back, so nothing is left behind for the next line of
    /// output.
    fn done(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        if let Some(multi) = &self.multi {
            multi.remove(bar);
            // Best effort: a terminal that cannot be cleared only keeps a stale line.
            let _ = multi.clear();
        }
    }
}

/// `n` and the noun, singular or plural: "1 bill", "2 bills".
fn count(n: impl std::fmt::Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    let noun = if n == "1" { one } else { many };
    format!("{n} {noun}")
}

/// Prints the scenario directory's warnings (SPEC §4 tables it will not read) on stderr,
/// each line after `prefix`.
fn print_warnings(warnings: &[Problem], prefix: &str) {
    for w in warnings {
        eprintln!("{prefix}warning: {w}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Run { threads, .. } | Command::Check { threads, .. } => *threads,
        Command::Validate { .. }
        | Command::Generate(_)
        | Command::Import(_)
        | Command::Compare(_)
        | Command::Explain(_)
        | Command::Report { .. }
        | Command::Merge { .. }
        | Command::Sweep(_)
        | Command::Reconcile { .. } => None,
    };
    // RAYON_NUM_THREADS is bounded like --threads: rayon would otherwise start whatever it
    // says (a typo of 100000 once spent minutes creating threads).
    if threads.is_none() {
        let from_env = std::env::var("RAYON_NUM_THREADS").ok();
        if let Some(n) = from_env.and_then(|v| v.trim().parse::<usize>().ok()) {
            if n > trustsim::MAX_THREADS {
                eprintln!(
                    "trustsim: RAYON_NUM_THREADS={n} is more than the most threads trustsim \
                     starts ({})",
                    trustsim::MAX_THREADS
                );
                return ExitCode::from(2);
            }
        }
    }
    if let Some(n) = threads {
        if n > trustsim::MAX_THREADS {
            eprintln!(
                "trustsim: --threads {n} is more than the most threads trustsim starts ({})",
                trustsim::MAX_THREADS
            );
            return ExitCode::from(2);
        }
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
        {
            eprintln!("trustsim: cannot start {n} threads: {e}");
            return ExitCode::from(1);
        }
    }
    // An interrupted write removes its temporary directory before exiting (130, 143).
    if let Err(e) = trustsim::output::cleanup_on_signals() {
        eprintln!("trustsim: cannot watch for signals: {e}");
    }
    match dispatch(cli.command, Progress::new(cli.quiet)) {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints an error; invalid input exits with 2, output that could not be written with 3
/// (SPEC §7), anything else with 1.
fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(g) = e.downcast_ref::<GenerateError>() {
        eprintln!("trustsim generate: {e:#}");
        return ExitCode::from(match g {
            GenerateError::Params(_) => 2,
            GenerateError::Output(_) | GenerateError::Io { .. } => 3,
        });
    }
    match e.downcast_ref::<Error>() {
        Some(Error::Scenario(problems)) => print_problems(problems, ""),
        _ => eprintln!("trustsim: {e:#}"),
    }
    ExitCode::from(e.downcast_ref::<Error>().map_or(1, status))
}

/// The exit status of a library error (SPEC §7), shared by [`report`] and `check`, which
/// goes on past a failing scenario.
fn status(e: &Error) -> u8 {
    match e {
        Error::Scenario(_) => 2,
        // Reading failed: a scenario path that does not exist or cannot be read.
        Error::Io { .. } => 2,
        Error::Output(_) => 3,
    }
}

/// Prints problems on stderr, one `file:line: column: message` a line after `prefix`.
fn print_problems(problems: &[Problem], prefix: &str) {
    for p in problems {
        eprintln!("{prefix}{p}");
    }
    if problems.len() >= trustsim::error::MAX_PROBLEMS {
        eprintln!("{prefix}(stopped after {} problems)", problems.len());
    }
}

/// `trustsim run`: the library's run, with a bar or spinner for each phase.
fn run(
    scenario: &Path,
    options: trustsim::RunOptions,
    progress: Progress,
) -> Result<ExitCode, Error> {
    // Printed before anything is read: a misspelled table is most useful to know about when
    // the load then fails.
    print_warnings(&trustsim::scenario::warnings(scenario), "");
    let bars = Bars {
        progress,
        current: Mutex::new(None),
    };
    let s = trustsim::run_watched(scenario, &options, &bars)?;
    print_summary(&s);
    for note in &s.notes {
        eprintln!("trustsim: {note}");
    }
    // Where the time went, so a slow run says which phase to look at.
    let [read, simulate, write] = s.phases;
    say!(
        "  read {:.3} s, simulate {:.3} s, write {:.3} s",
        read.as_secs_f64(),
        simulate.as_secs_f64(),
        write.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Draws the run's phases: a spinner while reading and writing, a bar over components
/// while simulating.
struct Bars {
    progress: Progress,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn replace(&self, next: Option<ProgressBar>) {
        // A poisoned lock only means a bar update panicked; drawing is best effort.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = current.take() {
            self.progress.done(&done);
        }
        *current = next;
    }
}

impl trustsim::Watcher for Bars {
    fn phase(&self, phase: trustsim::Phase) {
        let bar = match phase {
            trustsim::Phase::Reading => self.progress.spinner("reading scenario"),
            trustsim::Phase::Simulating(n) => self.progress.bar("simulating", n as u64),
            trustsim::Phase::Writing => self.progress.spinner("writing reports"),
        };
        self.replace(Some(bar));
    }

    fn component_done(&self) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = current.as_ref() {
            bar.inc(1);
        }
    }

    fn finished(&self) {
        self.replace(None);
    }
}

/// `run --shard-plan N`: one line per shard, then the balance.
fn print_shard_plan(
    scenario: &Path,
    options: &trustsim::RunOptions,
    n: usize,
) -> Result<ExitCode, Error> {
    let plan = trustsim::shard_plan(scenario, options, n)?;
    say!("shard  components  accounts  usage_rows");
    for (k, load) in plan.loads.iter().enumerate() {
        say!(
            "{:>5}  {:>10}  {:>8}  {:>10}",
            format!("{}/{n}", k + 1),
            load.components,
            load.accounts,
            load.usage_rows
        );
    }
    let most = plan.loads.iter().map(|l| l.usage_rows).max().unwrap_or(0);
    let total: u64 = plan.loads.iter().map(|l| l.usage_rows).sum();
    say!(
        "largest shard: {most} usage rows, {:.2}x the mean",
        most as f64 * n as f64 / (total.max(1)) as f64
    );
    Ok(ExitCode::SUCCESS)
}

/// The end-of-run summary: counts, totals, and usage rows per second over the whole run.
fn print_summary(s: &trustsim::RunSummary) {
    let m = s.money;
    let secs = s.elapsed.as_secs_f64();
    say!(
        "{}: {} from {}, {} in {}, {}",
        s.name,
        count(s.bills, "bill", "bills"),
        count(s.usage_rows, "usage row", "usage rows"),
        count(s.accounts, "account", "accounts"),
        count(s.components, "component", "components"),
        count(s.events, "event", "events")
    );
    say!(
        "  list {}  paid {}  outstanding {}",
        m.format(s.list),
        m.format(s.paid),
        m.format(s.outstanding)
    );
    say!(
        "  reports in {}  ({:.3} s, {:.0} usage rows/s)",
        s.out_dir.display(),
        secs,
        s.usage_rows as f64 / secs.max(1e-9)
    );
}

/// `trustsim generate`: writes the scenario, with a bar over the hours of usage.
fn generate(args: &GenerateArgs, progress: Progress) -> anyhow::Result<ExitCode> {
    let params = &args.params;
    let clock = Instant::now();
    let pb = progress.bar("generating", params.hours());
    let summary =
        trustsim::generate::generate_with_progress(params, &args.out, &mut |h| pb.set_position(h));
    progress.done(&pb);
    let s = summary?;
    say!(
        "{}: {}, {}, {}, {}, {}, {} ({:.3} s)",
        args.out.display(),
        count(s.accounts, "account", "accounts"),
        count(s.resources, "resource", "resources"),
        count(s.usage_rows, "usage row", "usage rows"),
        count(s.events, "event", "events"),
        count(s.coupons, "coupon", "coupons"),
        count(s.discounts, "discount row", "discount rows"),
        clock.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn dispatch(command: Command, progress: Progress) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run {
            scenario,
            out,
            variant,
            focus,
            html,
            shard,
            shard_plan,
            max_memory,
            format,
            ..
        } => {
            let bad_flag = |flag: &str, m: String| {
                eprintln!("trustsim run: {flag}: {m}");
                Ok(ExitCode::from(2))
            };
            let shard = match shard.as_deref() {
                None => None,
                Some("auto") => match trustsim::shard::from_env(|k| std::env::var(k).ok()) {
                    Ok(id) => Some(id),
                    Err(m) => return bad_flag("--shard auto", m),
                },
                Some(text) => match trustsim::shard::ShardId::parse(text) {
                    Ok(id) => Some(id),
                    Err(m) => return bad_flag("--shard", m),
                },
            };
            let max_memory = match max_memory.as_deref().map(trustsim::shard::parse_size) {
                None => None,
                Some(Ok(bytes)) => Some(bytes),
                Some(Err(m)) => return bad_flag("--max-memory", m),
            };
            let options = trustsim::RunOptions {
                out,
                variant,
                focus,
                html,
                shard,
                max_memory,
                format,
            };
            if let Some(n) = shard_plan {
                if let Err(m) = trustsim::shard::ShardId::new(1, n) {
                    return bad_flag("--shard-plan", m);
                }
                return Ok(print_shard_plan(&scenario, &options, n as usize)?);
            }
            Ok(run(&scenario, options, progress)?)
        }
        Command::Merge { shards, out } => {
            let clock = Instant::now();
            let (dir, merged) = trustsim::merge(&shards, out.as_deref())?;
            let secs = clock.elapsed().as_secs_f64();
            say!(
                "{}: merged {} into {} ({:.3} s, {:.0} rows/s, {:.1} MB/s)",
                dir.display(),
                count(shards.len(), "shard", "shards"),
                count(merged.rows, "row", "rows"),
                secs,
                merged.rows as f64 / secs.max(1e-9),
                merged.bytes as f64 / 1e6 / secs.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate(args) => generate(&args, progress),
        Command::Validate { scenario, variant } => {
            print_warnings(&trustsim::scenario::warnings(&scenario), "");
            match variant {
                Some(name) => say_valid(&trustsim::scenario::load_variant(&scenario, &name)?),
                None => {
                    say_valid(&trustsim::scenario::load(&scenario)?);
                    return Ok(validate_variants(&scenario));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            scenarios, bless, ..
        } => Ok(check(&scenarios, bless)),
        Command::Import(ImportCommand::Focus {
            files,
            out,
            timezone,
            establish,
        }) => import_focus(trustsim::import::FocusOptions {
            files,
            out,
            timezone,
            establish,
        }),
        Command::Reconcile { scenario, out } => reconcile(scenario, out),
        Command::Compare(args) => compare(&args),
        Command::Report { reports, out } => {
            let clock = Instant::now();
            let at = trustsim::html::write_report(&reports, out.as_deref())?;
            say!(
                "{}: HTML report written ({:.3} s)",
                at.display(),
                clock.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => explain(&args),
        Command::Sweep(args) => sweep(args),
    }
}

/// `trustsim explain`: the explanation on stdout; an unknown or ambiguous id is bad input
/// (exit 2), and so is a scenario that does not load.
fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    use trustsim::explain::{self as ex, ExplainError};
    print_warnings(&trustsim::scenario::warnings(&args.scenario), "");
    let options = ex::Options {
        variant: args.variant.clone(),
        kind: args.kind,
        format: args.format,
    };
    match ex::explain(&args.scenario, &args.id, &options) {
        Ok(text) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(text.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        Err(ExplainError::Load(e)) => Err(e.into()),
        Err(e @ (ExplainError::Unknown(_) | ExplainError::Ambiguous(_))) => {
            eprintln!("trustsim explain: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// `trustsim sweep`: sweep.csv written, then the summary printed.
fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let (s, out) = trustsim::sweep::run(&trustsim::sweep::SweepOptions {
        scenario: args.scenario,
        event: args.event,
        from: args.from,
        to: args.to,
        step: args.step,
        out: args.out,
    })?;
    for line in trustsim::sweep::summary::lines(&s) {
        say!("{line}");
    }
    say!(
        "  {}: {}",
        out.display(),
        count(s.instants.len() * s.accounts.len(), "row", "rows")
    );
    Ok(ExitCode::SUCCESS)
}

/// `trustsim compare`: flags checked first (exit 2), then the sides, then the output;
/// exit 1 when a `--fail-if` holds, each one named on stderr.
fn compare(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    use trustsim::compare::{self as cmp, FailIf};
    let mut conditions = Vec::new();
    for text in &args.fail_if {
        match FailIf::parse(text) {
            Ok(f) => conditions.push(f),
            Err(m) => {
                eprintln!("trustsim compare: --fail-if '{text}': {m}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let (comparisons, variants) = match (args.paths.as_slice(), args.readings) {
        ([a, b], false) => (vec![cmp::compare(a, b, args.all)?], false),
        ([dir], false) => (cmp::compare_variants(dir, args.all)?, true),
        ([dir], true) => (cmp::compare_readings(dir, args.all)?, true),
        _ => {
            eprintln!("trustsim compare: --readings takes one scenario directory");
            return Ok(ExitCode::from(2));
        }
    };
    let held = match cmp::failing(&conditions, &comparisons) {
        Ok(held) => held,
        Err(m) => {
            eprintln!("trustsim compare: {m}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = cmp::format::render(args.format, &comparisons, variants);
    match &args.out {
        Some(file) => {
            let read: Vec<&Path> = args.paths.iter().map(PathBuf::as_path).collect();
            trustsim::output::write_file(file, text.as_bytes(), &read).map_err(Error::from)?;
        }
        None => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    for h in &held {
        eprintln!("trustsim compare: {h}");
    }
    Ok(if held.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `trustsim import focus`: the library's import, and a summary line.
fn import_focus(options: trustsim::import::FocusOptions) -> anyhow::Result<ExitCode> {
    let s = trustsim::import::import_focus(&options)?;
    let secs = s.elapsed.as_secs_f64();
    say!(
        "{}: {} of {} from {} imported: {}, {}, {}, {} (zone {})",
        s.out.display(),
        s.imported_rows,
        count(s.rows, "row", "rows"),
        count(s.files, "file", "files"),
        count(s.accounts, "account", "accounts"),
        count(s.resources, "resource", "resources"),
        count(s.usage_rows, "usage row", "usage rows"),
        count(s.events, "event", "events"),
        s.timezone
    );
    say!(
        "  what was not imported, and why: {}  ({:.3} s, {:.0} rows/s)",
        s.out.join("import.md").display(),
        secs,
        s.rows as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

/// `trustsim reconcile`: simulated against actual, per month, payer and account.
fn reconcile(scenario: PathBuf, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let s =
        trustsim::import::reconcile::reconcile(&trustsim::import::reconcile::ReconcileOptions {
            scenario,
            out,
        })?;
    say!(
        "{}: {}, {} differ; simulated {}  actual {}  delta {}",
        s.out.join("reconcile.csv").display(),
        count(s.rows, "row", "rows"),
        s.differing,
        s.simulated,
        s.actual,
        s.delta
    );
    Ok(ExitCode::SUCCESS)
}

/// The line `validate` prints for a valid scenario or variant.
fn say_valid(s: &trustsim::Scenario) {
    say!(
        "{}: valid ({}, {}, {}, {})",
        s.settings.name,
        count(s.accounts.len(), "account", "accounts"),
        count(s.resources.len(), "resource", "resources"),
        count(s.usage_rows, "usage row", "usage rows"),
        count(s.events.len(), "event", "events")
    );
}

/// `validate` of a valid baseline goes on to every variant, whatever the earlier ones gave:
/// a line each, an invalid one's problems on stderr prefixed with the variant's scenario
/// name. Exit 2 when any is invalid.
fn validate_variants(scenario: &Path) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for name in trustsim::scenario::variant_names(scenario) {
        match trustsim::scenario::load_variant(scenario, &name) {
            Ok(s) => say_valid(&s),
            Err(Error::Scenario(problems)) => {
                say!("variant {name}: INVALID (problems on stderr)");
                print_problems(&problems, &format!("variant {name}: "));
                code = ExitCode::from(2);
            }
            Err(e) => {
                code = ExitCode::from(status(&e));
                eprintln!("trustsim: variant {name}: {:#}", anyhow::Error::from(e));
            }
        }
    }
    code
}

/// `trustsim check`: checks every scenario it is given, whatever the earlier ones gave, and
/// names the scenario on every line it prints. A line per scenario on stdout (`ok`,
/// `blessed`, `DIFFERS` with the differences, `INVALID`, `FAILED`), its problems on stderr
/// prefixed `scenario: `, then the total. The exit status is the worst outcome's: 1 when a
/// scenario differs, 2 when one is invalid, or that of the error that stopped one.
fn check(scenarios: &[PathBuf], bless: bool) -> ExitCode {
    let (mut ok, mut differs, mut invalid, mut failed) = (0, 0, 0, 0);
    let mut worst = 0u8;
    for dir in scenarios {
        let name = dir.display();
        print_warnings(&trustsim::scenario::warnings(dir), &format!("{name}: "));
        match trustsim::check::check(dir, bless) {
            Ok(CheckOutcome::Match) => {
                ok += 1;
                say!("ok       {name}");
            }
            Ok(CheckOutcome::Blessed) => {
                ok += 1;
                say!("blessed  {name}");
            }
            Ok(CheckOutcome::Differs(text)) => {
                differs += 1;
                worst = worst.max(1);
                say!("DIFFERS  {name}");
                for line in text.lines() {
                    say!("  {line}");
                }
            }
            Err(Error::Scenario(problems)) => {
                invalid += 1;
                worst = worst.max(2);
                say!("INVALID  {name} (problems on stderr)");
                print_problems(&problems, &format!("{name}: "));
            }
            Err(e) => {
                failed += 1;
                worst = worst.max(status(&e));
                say!("FAILED   {name}");
                eprintln!("trustsim: {name}: {:#}", anyhow::Error::from(e));
            }
        }
    }
    let n = count(scenarios.len(), "scenario", "scenarios");
    let mut total = if bless {
        format!("{n}: {ok} blessed, {invalid} invalid")
    } else {
        let verb = if differs == 1 { "differs" } else { "differ" };
        format!("{n}: {ok} ok, {differs} {verb}, {invalid} invalid")
    };
    if failed > 0 {
        total.push_str(&format!(", {failed} failed"));
    }
    say!("{total}");
    ExitCode::from(worst)
}
