//! Strategy specs: TOML files under `strategies/` (DESIGN §6).
//!
//! Every table is `deny_unknown_fields`, so a typo is an error naming the key
//! and the file. Relative paths in a spec (`data`, a score file) are resolved
//! against the spec file's folder, so a spec runs the same from any working
//! directory. Every default is written here and echoed in `report.json`.

use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A whole strategy spec.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpecConfig {
    /// Run name (default: the spec file's stem).
    #[serde(default)]
    pub name: Option<String>,
    /// The data bundle folder.
    pub data: PathBuf,
    /// Universe index (a name in `constituents.csv`); absent = every listed symbol.
    #[serde(default)]
    pub index: Option<String>,
    /// Benchmark index (a name in `benchmark.csv`); default = `index`. Without
    /// levels in `benchmark.csv` the benchmark is the equal-weighted return of
    /// its members (or of every traded symbol when there is no index).
    #[serde(default)]
    pub benchmark: Option<String>,
    /// First day signals may be taken (default: the first day of the data).
    /// Data before it is streamed as warm-up history.
    #[serde(default)]
    pub start: Option<NaiveDate>,
    /// Last day simulated (default: the last day of the data); nothing after it is read.
    #[serde(default)]
    pub end: Option<NaiveDate>,
    /// Initial capital in currency units.
    #[serde(default = "default_capital")]
    pub initial_capital: f64,
    /// Trading days per year.
    #[serde(default = "default_annualisation")]
    pub annualisation: u32,
    /// IC forward horizon in trading days.
    #[serde(default = "default_ic_horizon")]
    pub ic_horizon: u32,
    /// Annual risk-free rate for the Sharpe ratio.
    #[serde(default)]
    pub risk_free_rate: f64,
    /// Number of score quantiles in the report (deciles).
    #[serde(default = "default_quantiles")]
    pub quantiles: u32,
    /// Seed for anything random (models).
    #[serde(default)]
    pub seed: u64,
    /// Factor-library factors added to the factor columns (after the
    /// `factors.csv` columns): `"all"`, groups (`"momentum"`) or
    /// `"group:name"` (`"volatility:vol20"`). Absent = none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<String>>,
    /// Cross-sectional preprocessing of the library factors.
    #[serde(
        default,
        skip_serializing_if = "crate::factors::PreprocessConfig::is_default"
    )]
    pub preprocess: crate::factors::PreprocessConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    pub model: ModelConfig,
    #[serde(default)]
    pub portfolio: PortfolioConfig,
    #[serde(default)]
    pub execution: ExecutionConfig,
    #[serde(default)]
    pub costs: CostsConfig,
}

fn default_capital() -> f64 {
    100_000_000.0
}
fn default_annualisation() -> u32 {
    252
}
fn default_ic_horizon() -> u32 {
    20
}
fn default_quantiles() -> u32 {
    10
}

/// When the strategy rebalances.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    #[serde(default)]
    pub rebalance: Rebalance,
    /// Trading days between rebalances for `every_n_days`.
    #[serde(default)]
    pub every_n_days: Option<u32>,
    /// Months between model refits (the retrain timer).
    #[serde(default = "default_retrain")]
    pub retrain_months: u32,
}

fn default_retrain() -> u32 {
    6
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            rebalance: Rebalance::Monthly,
            every_n_days: None,
            retrain_months: default_retrain(),
        }
    }
}

/// Rebalance calendars.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rebalance {
    /// Last trading day of each calendar month.
    #[default]
    Monthly,
    /// Last trading day of each ISO week.
    Weekly,
    /// Every `every_n_days` trading days from the first day of the window.
    EveryNDays,
}

/// The alpha model and its parameters.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ModelConfig {
    /// Equal-weighted, cross-sectionally z-scored factors.
    Ew {
        /// Factor columns to use (default: all of `factors.csv`).
        #[serde(default)]
        factors: Option<Vec<String>>,
        /// Sign per factor (+1 or −1; default +1).
        #[serde(default)]
        signs: BTreeMap<String, f64>,
    },
    /// One named factor column as the score.
    Factor {
        name: String,
        #[serde(default = "plus_one")]
        sign: f64,
    },
    /// Scores from a CSV `date,symbol,score` written by any outside model.
    File { path: PathBuf },
    /// Short-term reversal from prices: −(close_adj(t)/close_adj(t−window) − 1).
    Reversal {
        #[serde(default = "default_window")]
        window: u32,
    },
}

fn plus_one() -> f64 {
    1.0
}
fn default_window() -> u32 {
    20
}

/// Portfolio construction.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortfolioConfig {
    /// Fraction of eligible stocks held (top by score).
    #[serde(default = "default_fraction")]
    pub top_fraction: f64,
    #[serde(default)]
    pub weighting: Weighting,
}

fn default_fraction() -> f64 {
    0.1
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            top_fraction: default_fraction(),
            weighting: Weighting::Equal,
        }
    }
}

/// Weights within the selected set.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    #[default]
    Equal,
}

/// Execution settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    #[serde(default)]
    pub fill: Fill,
}

/// Fill price.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// The open of the next trading day after the decision.
    #[default]
    NextOpen,
    /// The close the decision was taken at.
    Close,
}

/// Transaction costs.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostsConfig {
    /// Proportional commission in basis points of traded value, charged on
    /// buys and on sells (40 bps = the paper's 4‰).
    #[serde(default = "default_commission")]
    pub commission_bps: f64,
}

fn default_commission() -> f64 {
    40.0
}

impl Default for CostsConfig {
    fn default() -> Self {
        CostsConfig {
            commission_bps: default_commission(),
        }
    }
}

/// A parsed spec and where it came from.
#[derive(Debug, Clone)]
pub struct Spec {
    pub config: SpecConfig,
    /// The spec file (for messages and the report echo).
    pub path: PathBuf,
    /// The data folder with the spec's folder applied.
    pub data_dir: PathBuf,
}

impl Spec {
    /// Reads and checks a spec file.
    pub fn from_file(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path.parent().unwrap_or(Path::new(""));
        Spec::from_str_at(&text, path, base)
    }

    /// Parses spec text as if read from `path`, resolving relative paths against `base`.
    pub fn from_str_at(text: &str, path: &Path, base: &Path) -> Result<Spec> {
        let spec_err = |message: String| Error::Spec {
            file: path.to_path_buf(),
            message,
        };
        let mut config: SpecConfig =
            toml::from_str(text).map_err(|e| spec_err(e.to_string().trim_end().to_owned()))?;
        if config.name.is_none() {
            config.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        if let ModelConfig::File { path: p } = &mut config.model {
            *p = resolve(base, p);
        }
        let data_dir = resolve(base, &config.data);
        let spec = Spec {
            config,
            path: path.to_path_buf(),
            data_dir,
        };
        spec.check().map_err(spec_err)?;
        Ok(spec)
    }

    /// Replaces the data folder (the CLI's `--data`).
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.config.data = dir.clone();
        self.data_dir = dir;
        self
    }

    /// The factor-library selection (catalogue indices); empty without `factors`.
    pub fn library_selection(&self) -> Vec<usize> {
        self.config
            .factors
            .as_ref()
            .map(|f| crate::factors::select(f).expect("checked when the spec was read"))
            .unwrap_or_default()
    }

    fn check(&self) -> std::result::Result<(), String> {
        let c = &self.config;
        if !(c.portfolio.top_fraction > 0.0 && c.portfolio.top_fraction <= 1.0) {
            return Err(format!(
                "portfolio.top_fraction = {} must be in (0, 1]",
                c.portfolio.top_fraction
            ));
        }
        if !(c.initial_capital.is_finite() && c.initial_capital > 0.0) {
            return Err(format!(
                "initial_capital = {} must be positive",
                c.initial_capital
            ));
        }
        if c.annualisation == 0 {
            return Err("annualisation must be at least 1".into());
        }
        if c.ic_horizon == 0 {
            return Err("ic_horizon must be at least 1 trading day".into());
        }
        if c.quantiles < 2 {
            return Err("quantiles must be at least 2".into());
        }
        if !(c.costs.commission_bps.is_finite()
            && (0.0..10_000.0).contains(&c.costs.commission_bps))
        {
            return Err(format!(
                "costs.commission_bps = {} must be in [0, 10000)",
                c.costs.commission_bps
            ));
        }
        if let (Some(s), Some(e)) = (c.start, c.end) {
            if e < s {
                return Err(format!("end {e} is before start {s}"));
            }
        }
        match (c.schedule.rebalance, c.schedule.every_n_days) {
            (Rebalance::EveryNDays, None | Some(0)) => {
                return Err(
                    "schedule.rebalance = \"every_n_days\" needs schedule.every_n_days ≥ 1".into(),
                )
            }
            (Rebalance::Monthly | Rebalance::Weekly, Some(_)) => {
                return Err(
                    "schedule.every_n_days is only used with rebalance = \"every_n_days\"".into(),
                )
            }
            _ => {}
        }
        if c.schedule.retrain_months == 0 {
            return Err("schedule.retrain_months must be at least 1".into());
        }
        if let Some(items) = &c.factors {
            crate::factors::select(items)?;
        }
        let p = &c.preprocess;
        if !(p.winsorize_mad.is_finite() && p.winsorize_mad >= 0.0) {
            return Err(format!(
                "preprocess.winsorize_mad = {} must be ≥ 0 (0 = no winsorising)",
                p.winsorize_mad
            ));
        }
        if let ModelConfig::Reversal { window: 0 } = c.model {
            return Err("model.window must be at least 1".into());
        }
        Ok(())
    }

    /// Checks that the data folder exists (after any `--data` override).
    pub fn check_data_dir(&self) -> Result<()> {
        if self.data_dir.is_dir() {
            return Ok(());
        }
        Err(Error::Spec {
            file: self.path.clone(),
            message: format!(
                "data folder `{}` does not exist; set `data` to a bundle folder (relative to the spec file) or pass --data DIR",
                self.data_dir.display()
            ),
        })
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
