//! The whole spec file's top-level table (`SpecConfig`) and per-index settings.

use super::{
    CostsConfig, Currency, ExecutionConfig, ModelConfig, PortfolioConfig, PreprocessConfig,
    ScheduleConfig, TradingDays,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A whole strategy spec.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpecConfig {
    /// Run name (default: the spec file's stem).
    #[serde(default)]
    pub name: Option<String>,
    /// The data bundle folder, relative to the spec file. May be left out when
    /// the command gets `--data DIR` (an error names both when neither is given).
    #[serde(default)]
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
    pub initial_capital: Currency,
    /// Trading days per year.
    #[serde(default = "default_annualisation")]
    pub annualisation: u32,
    /// IC forward horizon, in trading days.
    #[serde(default = "default_ic_horizon")]
    pub ic_horizon: TradingDays,
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
    #[serde(default, skip_serializing_if = "PreprocessConfig::is_default")]
    pub preprocess: PreprocessConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    pub model: ModelConfig,
    #[serde(default)]
    pub portfolio: PortfolioConfig,
    #[serde(default)]
    pub execution: ExecutionConfig,
    #[serde(default)]
    pub costs: CostsConfig,
    /// Sweep axes (`alphasim sweep`): dotted keys (`"costs.commission_bps"`,
    /// or nested tables `[sweep.costs]`) mapped to arrays of values. Ignored by `backtest`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sweep: BTreeMap<String, toml::Value>,
    /// Named models (`[models.<name>]`, each a full `[model]` table) that a
    /// sweep's `model` axis selects by name. When the spec has no `[model]`,
    /// the model is the first name of `sweep.model` (else the first name here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, ModelConfig>,
    /// Per-index settings (`[indices.<name>]`), applied when the run's
    /// `index` is `<name>` (in a backtest, or a sweep's `index` axis); they
    /// win over the top-level `start`, `end` and `benchmark`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indices: BTreeMap<String, IndexSettings>,
}

/// Settings that apply when a run's universe is one index (`[indices.<name>]`):
/// e.g. a later `start` for an index whose membership begins later.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<String>,
}

fn default_capital() -> f64 {
    100_000_000.0
}
fn default_annualisation() -> u32 {
    252
}
fn default_ic_horizon() -> TradingDays {
    20
}
fn default_quantiles() -> u32 {
    10
}
