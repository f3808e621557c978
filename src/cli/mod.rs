//! The command line (clap) and progress bars (indicatif). The only module
//! that knows either.
//!
//! Every command that reads a spec goes the same way: parse → a
//! [`RunContext`] (the spec with the one shared `--data` ([`DataArg`])
//! applied and its bundle loaded once, by [`RunContext::load`]) → the
//! command's own work.
// The doc comments are clap's help text, which names `runs/<spec name>`: not HTML.
#![allow(rustdoc::invalid_html_tags)]

use crate::generate::{generate, generate_family, Preset};
use crate::report::compare_summaries;
use crate::spec::Spec;
use crate::{Error, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

mod args;
mod sweep;
pub use args::{
    BacktestArgs, CacheCommand, DataArg, FactorsArgs, GenerateArgs, SweepArgs, SweepMergeArgs,
    TrainArgs,
};

/// The bundled default spec, used when `backtest` gets no spec and
/// `strategies/default.toml` is not in the working directory.
const DEFAULT_SPEC: &str = include_str!("../../strategies/default.toml");

/// alphasim: event-driven backtests of cross-sectional alpha models.
#[derive(Debug, Parser)]
#[command(name = "alphasim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a strategy spec and write its report folder (no spec: the bundled default on fixtures/tiny).
    Backtest(BacktestArgs),
    /// Run many variants of a spec in parallel: models and indices (one scoring each; a Table-1 view) and cost/execution variants (replayed on each scoring), with a comparison table.
    Sweep(SweepArgs),
    /// Merge the shard folders of a sweep run with `sweep --shard I/N` into the sweep folder the unsharded sweep writes (byte-identical).
    SweepMerge(SweepMergeArgs),
    /// Write a synthetic market bundle with a planted, known signal.
    Generate(GenerateArgs),
    /// Compute the factor panel of a spec's run, print a factor report (IC, RankIC, ICIR, decile spread, coverage) and write its HTML tear sheet.
    Factors(FactorsArgs),
    /// Import data from another tool's format into a bundle.
    #[command(subcommand)]
    Import(ImportSource),
    /// Write a bundle (CSV, .csv.gz or Parquet tables) as a Parquet bundle: every table as <name>.parquet, validated first, written atomically; other files are not copied.
    Convert {
        /// The bundle folder to read.
        bundle: PathBuf,
        /// The format to write (only `parquet`).
        #[arg(long, value_enum)]
        to: ConvertFormat,
        /// The folder to write (a new or empty one; see --force).
        #[arg(long)]
        out: PathBuf,
        /// Replace --out when it exists and is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Check a data bundle without simulating anything.
    Validate {
        /// The bundle folder.
        dir: PathBuf,
        /// Treat every warning as an error (exit non-zero after the summary).
        #[arg(long)]
        strict: bool,
    },
    /// (Re)build report.html in a run folder from its files alone (no market needed).
    Report {
        /// The run folder written by `backtest` (holds report.json, nav.csv, ic.csv).
        run_dir: PathBuf,
    },
    /// Train a learned model walk-forward: save each window's weights (safetensors) and write the scores.
    Train(TrainArgs),
    /// Score with weights saved by `train` (no training) and write the scores.
    Score(TrainArgs),
    /// Manage the binary bundle cache (written by every spec command unless --no-cache).
    #[command(subcommand)]
    Cache(CacheCommand),
}

/// `alphasim convert --to`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ConvertFormat {
    /// Apache Parquet (<name>.parquet per table).
    Parquet,
}

/// `alphasim import <source>`.
#[derive(Subcommand, Debug)]
pub enum ImportSource {
    /// A Qlib data folder (calendars/day.txt, instruments/*.txt, features/<code>/<field>.day.bin, as Qlib's dump_bin writes it) → bars.csv, constituents.csv and benchmark.csv.
    Qlib {
        /// The Qlib data folder (e.g. ~/.qlib/qlib_data/cn_data).
        dir: PathBuf,
        /// The bundle folder to write (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Write instrument CODE's close as the level of index NAME in benchmark.csv (repeatable), e.g. csi300=SH000300.
        #[arg(long, value_name = "NAME=CODE")]
        benchmark: Vec<String>,
    },
}

/// What every spec command runs on: the spec (with `--data` and the
/// command's own settings applied) and its bundle, loaded once.
pub struct RunContext {
    pub spec: Spec,
    pub market: crate::data::Market,
    /// Wall time of the load.
    pub load_time: std::time::Duration,
}

impl RunContext {
    /// Checks the data folder, then loads the bundle with `opts` behind a
    /// spinner ([`crate::run::load_bundle_with`]).
    pub fn load(spec: Spec, opts: &crate::data::LoadOptions) -> Result<RunContext> {
        spec.check_data_dir()?;
        let started = std::time::Instant::now();
        let market = load_with_progress(&spec, opts)?;
        Ok(RunContext {
            spec,
            market,
            load_time: started.elapsed(),
        })
    }

    /// [`RunContext::load`], then with `strict` every warning about the
    /// bundle ([`crate::data::bundle_warnings`]) is an error.
    pub fn load_strict(
        spec: Spec,
        opts: &crate::data::LoadOptions,
        strict: bool,
    ) -> Result<RunContext> {
        let ctx = RunContext::load(spec, opts)?;
        if strict {
            Error::strict(&crate::data::bundle_warnings(&ctx.market))?;
        }
        Ok(ctx)
    }

    /// The run's name (`runs/<name>` is the default output folder).
    pub(crate) fn name(&self) -> String {
        self.spec
            .config
            .name
            .clone()
            .unwrap_or_else(|| "run".into())
    }
}

pub(crate) fn bar(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Loads the spec's bundle; on a terminal behind a line showing the bytes
/// and rows parsed so far and their rates (nothing at all elsewhere, so logs
/// and snapshots do not change).
fn load_with_progress(spec: &Spec, opts: &crate::data::LoadOptions) -> Result<crate::data::Market> {
    if !std::io::stderr().is_terminal() {
        return crate::run::load_bundle_with(spec, opts);
    }
    let counters = std::sync::Arc::new(crate::data::LoadProgress::default());
    let opts = crate::data::LoadOptions {
        progress: Some(counters.clone()),
        ..opts.clone()
    };
    let pb = spinner("loading");
    let done = std::sync::atomic::AtomicBool::new(false);
    let started = std::time::Instant::now();
    let market = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                let (bytes, rows) = (counters.bytes() as f64, counters.rows() as f64);
                if bytes > 0.0 {
                    pb.set_message(format!(
                        "loading {:.0} MB, {:.2} M rows ({:.0} MB/s, {:.1} M rows/s)",
                        bytes / 1e6,
                        rows / 1e6,
                        bytes / 1e6 / secs,
                        rows / 1e6 / secs
                    ));
                }
            }
        });
        let market = crate::run::load_bundle_with(spec, &opts);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        market
    });
    pb.finish_and_clear();
    market
}

fn spinner(what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Resolves the spec for `backtest`.
pub fn default_spec() -> Result<Spec> {
    let local = Path::new("strategies/default.toml");
    if local.is_file() {
        return Spec::from_file(local);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Spec::from_str_at(
        DEFAULT_SPEC,
        &root.join("strategies/default.toml"),
        &root.join("strategies"),
    )
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Backtest(args) => backtest(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::SweepMerge(args) => sweep::sweep_merge(args),
        Command::Generate(args) if args.family.is_some() => {
            let name = args.family.as_deref().unwrap_or_default();
            let pb = spinner("generating");
            let (summary, member) = generate_family(name, args.seed, &args.out)?;
            pb.finish_and_clear();
            println!(
                "wrote family {name} seed {} ({} stocks x {} days, index {}, {} bar rows) to {}",
                args.seed,
                summary.n_stocks,
                summary.n_days,
                member.generator.index_size,
                summary.bar_rows,
                args.out.display()
            );
            println!("{}", member.model.formula());
            for (h, ic) in &summary.oracle_ic {
                println!("oracle IC h={h}: {ic:.4}");
            }
            Ok(0)
        }
        Command::Generate(args) => {
            let preset: Preset = args.preset.parse()?;
            let pb = spinner("generating");
            let config = crate::generate::GeneratorConfig {
                temporal_scale: args.temporal_scale,
                ..preset.config()
            };
            let summary = generate(&config, args.seed, &args.out)?;
            pb.finish_and_clear();
            println!(
                "wrote {} ({} stocks x {} days, {} bar rows) to {}",
                preset.name(),
                summary.n_stocks,
                summary.n_days,
                summary.bar_rows,
                args.out.display()
            );
            for (h, ic) in &summary.oracle_ic {
                println!("oracle IC h={h}: {ic:.4}");
            }
            Ok(0)
        }
        Command::Factors(args) => factors(args),
        Command::Report { run_dir } => {
            let path = crate::run_folder::write_report_html(&run_dir)?;
            println!("wrote {}", path.display());
            Ok(0)
        }
        Command::Cache(CacheCommand::Clear { bundle }) => {
            let cleared = crate::data::clear_cache(bundle.as_deref(), None)?;
            if cleared.is_empty() {
                println!("no cache to clear");
            }
            for folder in cleared {
                println!("cleared {}", folder.display());
            }
            Ok(0)
        }
        Command::Train(args) => train_or_score(args, true),
        Command::Score(args) => train_or_score(args, false),
        Command::Import(ImportSource::Qlib {
            dir,
            out,
            benchmark,
        }) => {
            let mut pairs = Vec::new();
            for b in &benchmark {
                let Some((name, code)) = b.split_once('=') else {
                    return Err(Error::Run(format!(
                        "--benchmark {b}: expected NAME=CODE, e.g. csi300=SH000300"
                    )));
                };
                pairs.push((name.to_owned(), code.to_owned()));
            }
            let pb = spinner("importing");
            let done = crate::data::qlib::import_qlib(&dir, &out, &pairs)?;
            pb.finish_and_clear();
            println!(
                "imported {} days, {} symbols, {} bar rows, indices [{}], benchmarks [{}] into {}",
                done.days,
                done.symbols,
                done.bar_rows,
                done.indices.join(", "),
                done.benchmarks.join(", "),
                out.display()
            );
            Ok(0)
        }
        Command::Convert {
            bundle,
            to: ConvertFormat::Parquet,
            out,
            force,
        } => {
            let pb = spinner("converting");
            let done = crate::data::convert_to_parquet(&bundle, &out, force)?;
            pb.finish_and_clear();
            let tables: Vec<String> = done
                .tables
                .iter()
                .map(|(name, rows)| format!("{name} ({rows} rows)"))
                .collect();
            println!("wrote {} into {}", tables.join(", "), out.display());
            if !done.skipped_files.is_empty() {
                println!(
                    "not copied (not bundle tables): {}",
                    done.skipped_files.join(", ")
                );
            }
            if !done.dropped_columns.is_empty() {
                println!(
                    "columns not written (the loader does not read them): {}",
                    done.dropped_columns.join(", ")
                );
            }
            Ok(0)
        }
        Command::Validate { dir, strict } => {
            let pb = spinner("validating");
            let summary = crate::data::validate_bundle(&dir)?;
            pb.finish_and_clear();
            println!("{summary}");
            if strict {
                Error::strict(&summary.warnings)?;
            }
            Ok(0)
        }
    }
}

/// Runs the context's spec on its market with a day bar and, for learned
/// models, an epoch bar showing the window and the validation loss.
fn simulate(ctx: &RunContext) -> Result<crate::report::RunResult> {
    let (spec, market) = (&ctx.spec, &ctx.market);
    let pb = bar(market.bars.dates.len() as u64, "simulating");
    let epochs = bar(0, "training");
    let epochs_cb = epochs.clone();
    let progress: crate::alpha::TrainProgress = Box::new(move |e: &crate::alpha::TrainEvent| {
        epochs_cb.set_length(e.max_epochs as u64);
        epochs_cb.set_position(e.epoch as u64);
        let valid = e.valid_loss.map_or("-".to_owned(), |v| format!("{v:.4}"));
        epochs_cb.set_message(format!(
            "{} window {} ({}) valid {valid}",
            e.model, e.window, e.as_of
        ));
    });
    let model = crate::alpha::build_model_with_progress(
        &spec.config.model,
        market,
        &crate::engine::run_factor_names(spec, market)?,
        spec.config.seed,
        Some(progress),
    )?;
    let mut days = |done: usize, _total: usize| {
        if done % 16 == 0 {
            pb.set_position(done as u64);
        }
    };
    let result = crate::run::backtest_market_with_model(spec, market, model, &mut days)?;
    epochs.finish_and_clear();
    pb.finish_and_clear();
    Ok(result)
}

fn train_or_score(args: TrainArgs, train: bool) -> Result<i32> {
    let mut spec = args.data.read_spec(&args.spec)?;
    // A missing data folder is reported before a model that needs no weights.
    spec.check_data_dir()?;
    let name = spec.config.name.clone().unwrap_or_else(|| "run".into());
    let base = PathBuf::from("runs").join(&name);
    let weights = args.weights.unwrap_or_else(|| base.join("weights"));
    let scores = args.scores.unwrap_or_else(|| base.join("scores.csv"));
    let Some([load_weights, save_weights]) = spec.config.model.weight_dirs_mut() else {
        return Err(Error::Spec {
            file: args.spec.clone(),
            message: "`train` and `score` need a learned model (kind = \"dmfm\", \"e2eai\", \"mgat\", \"mlp\", \"gbdt\", \"gru\" or \"alstm\"); other models need no weights — use `backtest`".into(),
        });
    };
    if train {
        *save_weights = Some(weights.clone());
        *load_weights = None;
    } else {
        *load_weights = Some(weights.clone());
        *save_weights = None;
    }
    let opts = args.data.options(Some(&spec));
    let ctx = RunContext::load(spec, &opts)?;
    let result = simulate(&ctx)?;
    if let Some(d) = scores.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    std::fs::write(&scores, result.scores_csv()).map_err(|e| Error::io(&scores, e))?;
    let windows = result
        .report
        .interpretation
        .as_ref()
        .map_or(0, |i| i.windows.len());
    if train {
        println!(
            "trained {windows} window(s); weights in {}",
            weights.display()
        );
    } else {
        println!("scored with the weights in {}", weights.display());
    }
    println!("wrote {}", scores.display());
    Ok(0)
}

fn backtest(args: BacktestArgs) -> Result<i32> {
    let spec = args.data.apply(match &args.spec {
        Some(p) => Spec::from_file(p)?,
        None => default_spec()?,
    });
    let opts = args.data.options(Some(&spec));
    let ctx = RunContext::load_strict(spec, &opts, args.strict)?;
    let result = simulate(&ctx)?;
    if args.strict {
        Error::strict(&result.report.warnings)?;
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("runs").join(ctx.name()));
    result.write(&out)?;
    let summary = result.report.summary();
    if !args.quiet {
        print!("{summary}");
        println!("wrote {}", out.display());
    }
    if let Some(check) = args.check {
        if args.update {
            std::fs::write(&check, &summary).map_err(|e| Error::io(&check, e))?;
            println!("updated {}", check.display());
            return Ok(0);
        }
        let stored = std::fs::read_to_string(&check).map_err(|e| Error::io(&check, e))?;
        let outcome = compare_summaries(&stored, &summary, args.tolerance);
        if !outcome.differences.is_empty() {
            eprintln!(
                "check failed: {} line(s) differ from {} (tolerance {}):",
                outcome.differences.len(),
                check.display(),
                args.tolerance
            );
            for d in &outcome.differences {
                eprintln!("{d}");
            }
            eprintln!("if the change is intended, rerun with --update to store the new summary");
            return Ok(1);
        }
        println!(
            "check passed: summary matches {} (tolerance {})",
            check.display(),
            args.tolerance
        );
    }
    Ok(0)
}

fn factors(args: FactorsArgs) -> Result<i32> {
    let mut spec = args.data.read_spec(&args.spec)?;
    let selection: Option<Vec<String>> = match &args.select {
        Some(list) => Some(list.split(',').map(|x| x.trim().to_owned()).collect()),
        None if spec.config.factors.is_none() => Some(vec!["all".into()]),
        None => None,
    };
    if let Some(sel) = selection {
        crate::factors::select(&sel).map_err(|message| Error::Spec {
            file: args.spec.clone(),
            message: format!("--select: {message}"),
        })?;
        spec.config.factors = Some(sel);
    }
    // The factor report covers every factors.csv column.
    let ctx = RunContext::load(spec, &args.data.options(None))?;
    let (spec, market) = (&ctx.spec, &ctx.market);
    let started = std::time::Instant::now();
    let pb = bar(market.bars.dates.len() as u64, "factors");
    let mut progress = |done: usize, _total: usize| {
        if done % 16 == 0 {
            pb.set_position(done as u64);
        }
    };
    let options = crate::research::factor_report::PanelOptions {
        out: args.out.clone(),
        daily: args.daily,
    };
    let report =
        crate::research::factor_report::factor_report(spec, market, &options, &mut progress)?;
    pb.finish_and_clear();
    eprintln!(
        "loaded {} bar rows in {:.1} s; simulated {} days with {} factor columns in {:.1} s",
        market.bars.len(),
        ctx.load_time.as_secs_f64(),
        report.days,
        report.factors.len(),
        started.elapsed().as_secs_f64()
    );
    print!("{}", report.table());
    if let Some(p) = &args.out {
        println!("wrote panel {}", p.display());
    }
    if let Some(p) = &args.report {
        report.write_csv(p)?;
        println!("wrote report {}", p.display());
    }
    let html = args.html.clone().unwrap_or_else(|| {
        PathBuf::from("runs")
            .join(format!("{}-factors", ctx.name()))
            .join("factor_report.html")
    });
    report.write_html(&html)?;
    println!("wrote tear sheet {}", html.display());
    Ok(0)
}
