//! The command-line arguments of the commands (clap derive structs) and the
//! load options they give.
// The doc comments are clap's help text, which names `runs/<spec name>`: not HTML.
#![allow(rustdoc::invalid_html_tags)]

use crate::spec::Spec;
use crate::Result;
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// `alphasim cache …`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Remove a bundle's cache (beside it and in the cache folder), or without BUNDLE every bundle's cache in the cache folder ($ALPHASIM_CACHE or the platform cache folder).
    Clear {
        /// The bundle folder.
        bundle: Option<PathBuf>,
    },
}

/// `alphasim train` / `alphasim score`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Strategy spec (TOML) with a learned model (dmfm, mgat, mlp).
    pub spec: PathBuf,
    #[command(flatten)]
    pub data: DataArg,
    /// Weights folder. Default: runs/<spec name>/weights.
    #[arg(long, value_name = "DIR")]
    pub weights: Option<PathBuf>,
    /// Scores CSV (date,symbol,score; readable by the `file` model). Default: runs/<spec name>/scores.csv.
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
}

/// `alphasim backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// Strategy spec (TOML). Default: strategies/default.toml.
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArg,
    /// Output folder. Default: runs/<spec name>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compare the run's summary with a stored summary.txt; exit 1 with a diff when they differ.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// With --check: rewrite FILE with this run's summary instead of comparing.
    #[arg(long, requires = "check")]
    pub update: bool,
    /// With --check: largest absolute difference allowed between numbers.
    #[arg(long, default_value_t = 1e-6, value_name = "X")]
    pub tolerance: f64,
    /// Do not print the summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Treat every warning (about the bundle, and for runs about the run) as an error: exit non-zero and write nothing.
    #[arg(long)]
    pub strict: bool,
}

/// `alphasim factors`.
#[derive(Debug, clap::Args)]
pub struct FactorsArgs {
    /// Strategy spec (TOML): data, universe, window, schedule, ic_horizon and `factors` are used.
    pub spec: PathBuf,
    /// Write the panel (date,symbol,<factor…>: the values models see) to this CSV.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write panel rows at every close instead of signal days only.
    #[arg(long)]
    pub daily: bool,
    /// Library factors to compute (comma-separated: all, groups, group:name); default: the spec's `factors`, or all when it has none.
    #[arg(long, value_name = "LIST")]
    pub select: Option<String>,
    /// Write the factor report as CSV to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the tear sheet (IC per date, quantile returns, IC decay, rank autocorrelation) here. Default: runs/<spec name>-factors/factor_report.html.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArg,
}

/// `alphasim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Strategy spec (TOML); its `[sweep]` table gives default axes.
    pub spec: PathBuf,
    /// An axis KEY=V1,V2,... (e.g. costs.commission_bps=0,10,20, model=ew,dmfm, index=csi300,csi500, seed=1,2,3); repeat for a cartesian product.
    #[arg(long = "set", value_name = "KEY=VALUES")]
    pub set: Vec<String>,
    /// Worker threads for the scorings and the replays (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub data: DataArg,
    /// Also write positions.csv in every variant folder (the largest file; off by default).
    #[arg(long)]
    pub positions: bool,
    /// Output folder. Default: runs/<spec name>-sweep (with --shard: the folder that holds shard-I-of-N, default runs/<spec name>-sweep-shards).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not print the comparison table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Treat every warning (about the bundle, and for runs about the run) as an error: exit non-zero and write nothing.
    #[arg(long)]
    pub strict: bool,
    /// Run only shard I of N (0-based: whole scorings with their replays, balanced by estimated cost) into <out>/shard-I-of-N (default out: runs/<spec name>-sweep-shards); `auto/N` reads I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. Merge with `sweep-merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<crate::research::sweep::Shard>,
}

/// `alphasim sweep-merge`.
#[derive(Debug, clap::Args)]
pub struct SweepMergeArgs {
    /// The sweep folder to write (the same files as the unsharded sweep; replaced if it exists).
    pub out: PathBuf,
    /// The shard folders (shard-I-of-N, written by `sweep --shard`), each once.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Do not print the comparison table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--shard I/N` or `auto/N` (the index from the scheduler's environment variable).
fn parse_shard(text: &str) -> std::result::Result<crate::research::sweep::Shard, String> {
    crate::research::sweep::Shard::parse(text, &|k| std::env::var(k).ok())
}

/// `--data DIR` and `--no-cache`, shared by every command that reads a spec.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DataArg {
    /// Use this data bundle instead of the spec's `data`.
    #[arg(long = "data", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Parse the bundle's CSV files even when its binary cache is valid, and write no cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl DataArg {
    /// The spec with `--data` applied (unchanged without it).
    pub fn apply(&self, spec: Spec) -> Spec {
        match &self.dir {
            Some(d) => spec.with_data_dir(d.clone()),
            None => spec,
        }
    }

    /// The load options: only the factor columns a run of `spec` reads
    /// ([`crate::run::run_load_options`]), or every column without a spec;
    /// the binary cache unless `--no-cache`.
    pub fn options(&self, spec: Option<&Spec>) -> crate::data::LoadOptions {
        let opts = spec.map_or_else(
            crate::data::LoadOptions::default,
            crate::run::run_load_options,
        );
        crate::data::LoadOptions {
            cache: if self.no_cache {
                crate::data::Cache::Off
            } else {
                crate::data::Cache::On { fallback: None }
            },
            ..opts
        }
    }

    /// Reads a spec file and applies `--data`.
    pub fn read_spec(&self, path: &Path) -> Result<Spec> {
        Ok(self.apply(Spec::from_file(path)?))
    }
}

/// `alphasim generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Market size: tiny (30 × 300), small (300 × 1,000), medium (800 × 2,500), large (3,000 × 3,000).
    #[arg(long, default_value = "tiny")]
    pub preset: String,
    /// Random seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scale of the planted temporal signal (5-day reversal and volume
    /// shock × return, in daily expected-return units, e.g. 0.0012; 0 = off).
    #[arg(long, default_value_t = 0.0, value_name = "S")]
    pub temporal_scale: f64,
    /// A member of the generator family instead of a preset: linear,
    /// interact, threshold, regime, temporal or mixed; the planted model,
    /// the sizes and the codings of the 20 factor columns are drawn from the
    /// seed (meta.json records them; see docs/family.md).
    #[arg(long, value_name = "CONFIG", conflicts_with_all = ["preset", "temporal_scale"])]
    pub family: Option<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}
