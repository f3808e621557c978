//! Strategy specs: TOML files under `strategies/` (DESIGN §6).
//!
//! Every table is `deny_unknown_fields`, so a typo is an error naming the key
//! and the file. Relative paths in a spec (`data`, a score file) are resolved
//! against the spec file's folder, so a spec runs the same from any working
//! directory. Every default is written here and echoed in `report.json`.
//!
//! For sweeps (`crate::research::sweep`), a spec may name several models as
//! `[models.<name>]` tables (each a full `[model]` table; without `[model]`
//! the first name of `sweep.model` is the model) and per-index settings as
//! `[indices.<name>]` (`start`, `end`, `benchmark`), which apply whenever the
//! run's `index` is `<name>` — in a sweep's `index` axis or a plain backtest.

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
    /// Least squares (optionally ridge) of the forward return on the factors.
    Linear(LinearConfig),
    /// Encoder + decoder heads, no graph (a DMFM baseline).
    Mlp(DeepConfig),
    /// Encoder + universe GAT + heads (a DMFM baseline).
    Mgat(DeepConfig),
    /// The deep multi-factor model (docs/dmfm.md).
    Dmfm(DeepConfig),
}

/// The `linear` model: pooled least squares of the z-scored `horizon`-day
/// forward return on the z-scored factors and an intercept, refitted at each
/// retrain on every labelled sample (training and validation dates).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    /// Factor columns (default: all of `factors.csv`).
    #[serde(default)]
    pub factors: Option<Vec<String>>,
    /// Forward-return horizon of the label, trading days.
    #[serde(default = "default_score_horizon")]
    pub horizon: u32,
    /// Ridge penalty λ on the factor coefficients (0 = ordinary least squares),
    /// in units of the number of stock-dates: β = (XᵀX + λ·N·I)⁻¹ Xᵀy.
    #[serde(default)]
    pub ridge: f64,
    #[serde(default)]
    pub label: LabelNorm,
    #[serde(default)]
    pub samples: SamplesConfig,
}

/// Which stored cross-sections a learned model trains on and how they split.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamplesConfig {
    /// Keep a cross-section every this many trading days (1 = every day).
    #[serde(default = "plus_one_u32")]
    pub every_days: u32,
    /// The most recent months of labelled history used for validation.
    #[serde(default = "default_validation_months")]
    pub validation_months: u32,
    /// Months dropped between training and validation dates.
    #[serde(default = "plus_one_u32")]
    pub embargo_months: u32,
}

fn plus_one_u32() -> u32 {
    1
}
fn default_validation_months() -> u32 {
    6
}

impl Default for SamplesConfig {
    fn default() -> Self {
        SamplesConfig {
            every_days: 1,
            validation_months: default_validation_months(),
            embargo_months: 1,
        }
    }
}

/// Label normalisation per date.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LabelNorm {
    /// Cross-sectional z-score clipped to ±3 (robust to limit moves and jumps).
    #[default]
    Zscore,
    /// Raw forward returns.
    Raw,
}

/// Hyper-parameters of the deep models (`mlp`, `mgat`, `dmfm`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeepConfig {
    /// Factor columns (default: all of `factors.csv`).
    #[serde(default)]
    pub factors: Option<Vec<String>>,
    /// Hidden size h.
    #[serde(default = "default_hidden")]
    pub hidden: usize,
    /// Attention heads per GAT layer (averaged).
    #[serde(default = "plus_one_usize")]
    pub gat_heads: usize,
    /// Forward horizons of the K heads, trading days.
    #[serde(default = "default_horizons")]
    pub horizons: Vec<u32>,
    /// The head whose deep factor is the score.
    #[serde(default = "default_score_horizon")]
    pub score_horizon: u32,
    /// Industry GAT: `block` (per industry) or `masked` (one n × n masked attention).
    #[serde(default)]
    pub industry_gat: crate::alpha::IndustryGatMode,
    /// Output activation of the deep-factor heads: `leaky_relu` (the paper,
    /// slope 0.01) or `linear`. Left out of report.json when `leaky_relu`.
    #[serde(
        default,
        skip_serializing_if = "crate::alpha::HeadActivation::is_default"
    )]
    pub head_activation: crate::alpha::HeadActivation,
    #[serde(default)]
    pub label: LabelNorm,
    #[serde(default)]
    pub loss: LossConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub samples: SamplesConfig,
    /// Load each window's weights from this folder (written by `alphasim train`)
    /// instead of training.
    #[serde(default)]
    pub load_weights: Option<PathBuf>,
    /// Save each window's best weights to this folder as safetensors.
    #[serde(default)]
    pub save_weights: Option<PathBuf>,
}

fn default_hidden() -> usize {
    64
}
fn plus_one_usize() -> usize {
    1
}
fn default_horizons() -> Vec<u32> {
    vec![3, 5, 10, 15, 20]
}
fn default_score_horizon() -> u32 {
    20
}

/// Term weights of the DMFM loss (d, b, c), the same for every head.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LossConfig {
    /// d: weight of the attention-estimate distance ‖f_k − f̂_k‖ (DMFM only).
    #[serde(default = "plus_one")]
    pub distance: f64,
    /// b: weight of the factor return.
    #[serde(default = "plus_one")]
    pub factor_return: f64,
    /// c: weight of the ICIR over the batch.
    #[serde(default = "plus_one")]
    pub icir: f64,
    /// What the distance term trains: `"both"` (the paper: the deep factor
    /// is pulled towards its attention estimate and the attention towards
    /// the factor) or `"attention"` (the factor is held fixed in that term,
    /// so the attention explains the factor without shaping it).
    #[serde(default, skip_serializing_if = "DistanceTrains::is_default")]
    pub distance_trains: DistanceTrains,
}

/// See [`LossConfig::distance_trains`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceTrains {
    /// Gradients of ‖f − f̂‖ reach both the heads and the factor attention.
    #[default]
    Both,
    /// Only the factor attention (f is detached in the distance term).
    Attention,
}

impl DistanceTrains {
    /// True for the default (omitted from report.json then).
    pub fn is_default(&self) -> bool {
        *self == DistanceTrains::default()
    }
}

impl Default for LossConfig {
    fn default() -> Self {
        LossConfig {
            distance: 1.0,
            factor_return: 1.0,
            icir: 1.0,
            distance_trains: DistanceTrains::Both,
        }
    }
}

/// The training loop.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Maximum epochs per window.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Stop after this many epochs without a better validation loss.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// AdamW learning rate.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// AdamW weight decay (candle's default 0.01 is not used).
    #[serde(default)]
    pub weight_decay: f64,
    /// Dates per optimiser step (the ICIR is taken over them).
    #[serde(default = "default_batch_dates")]
    pub batch_dates: usize,
    /// Start each window from the previous window's best weights.
    #[serde(default)]
    pub warm_start: bool,
    /// Compute threads for candle (process-wide; 1 is deterministic and, on
    /// small cross-sections, as fast).
    #[serde(default = "plus_one_usize")]
    pub threads: usize,
    /// Seed for initialisation and shuffling (default: the spec's `seed`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// What early stopping and the best checkpoint are judged on: the whole
    /// validation loss (`"loss"`) or only its return terms (`"returns"`:
    /// −b·β − c·ICIR, without the distance term, which measures how well the
    /// attention explains the factor, not how well the factor predicts).
    #[serde(default, skip_serializing_if = "StopOn::is_default")]
    pub stop_on: StopOn,
}

/// See [`TrainConfig::stop_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopOn {
    /// The full validation loss.
    #[default]
    Loss,
    /// The validation loss without the distance term.
    Returns,
}

impl StopOn {
    /// True for the default (omitted from report.json then).
    pub fn is_default(&self) -> bool {
        *self == StopOn::default()
    }
}

fn default_epochs() -> usize {
    30
}
fn default_patience() -> usize {
    5
}
fn default_lr() -> f64 {
    1e-3
}
fn default_batch_dates() -> usize {
    16
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: default_epochs(),
            patience: default_patience(),
            lr: default_lr(),
            weight_decay: 0.0,
            batch_dates: default_batch_dates(),
            warm_start: false,
            threads: 1,
            seed: None,
            stop_on: StopOn::Loss,
        }
    }
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

/// Execution settings: the fill price, the market preset and its rules.
///
/// Each rule left unset takes the preset's value (`market = "none"`: all off,
/// the paper's frictionless market; `market = "cn"`: all on).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    #[serde(default)]
    pub fill: Fill,
    #[serde(default)]
    pub market: MarketPreset,
    /// No buy at the up limit, no sell at the down limit (cn: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_limits: Option<bool>,
    /// Round lot in raw shares; 0 = fractional shares (cn: 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_size: Option<u32>,
    /// Shares bought on a day cannot be sold that day (cn: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_plus_one: Option<bool>,
    /// Largest fraction of the fill day's volume one order may take; 0 = no cap (cn: 0.25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_cap: Option<f64>,
    /// Symbols under special treatment (ST): ±5% limits on the main board.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub st_symbols: Vec<String>,
}

/// Market presets.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MarketPreset {
    /// Frictionless (the paper): no limits, fractional shares, T+0, no volume cap.
    #[default]
    None,
    /// China A-shares: price limits, 100-share lots, T+1, 25% volume cap, and
    /// A-share fees (2.5 bps commission, ¥5 minimum, stamp duty and transfer fee schedules).
    Cn,
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

/// One step of a rate schedule: `bps` applies from `from` (inclusive) until the next step.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    pub from: NaiveDate,
    pub bps: f64,
}

/// Transaction costs (see [`crate::costs`] for every formula). Unset values
/// take the market preset's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostsConfig {
    /// Proportional commission in basis points of traded value, charged on
    /// buys and on sells (none: 40 bps = the paper's all-in 4‰; cn: 2.5 bps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_bps: Option<f64>,
    /// Commission on buys only (overrides `commission_bps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_buy_bps: Option<f64>,
    /// Commission on sells only (overrides `commission_bps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_sell_bps: Option<f64>,
    /// Minimum commission per order in currency (none: 0; cn: 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_commission: Option<f64>,
    /// Stamp duty on sells, a date schedule (none: empty; cn: 10 bps from
    /// 2008-09-19, 5 bps from 2023-08-28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp_duty: Option<Vec<RateStep>>,
    /// Transfer fee on both sides, a date schedule (none: empty; cn: 0.2 bps
    /// from 2015-08-01, 0.1 bps from 2022-04-29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_fee: Option<Vec<RateStep>>,
    /// Slippage in bps of traded value, both sides (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slippage_bps: Option<f64>,
    /// Square-root impact coefficient k (default 0 = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_k: Option<f64>,
    /// Trading days behind the impact's σ and ADV (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_window: Option<u32>,
}

impl CostsConfig {
    /// A commission-only config (tests, examples).
    pub fn commission(bps: f64) -> Self {
        CostsConfig {
            commission_bps: Some(bps),
            ..Default::default()
        }
    }
}

fn cn_date(s: &str) -> NaiveDate {
    s.parse().expect("a valid built-in date")
}

impl SpecConfig {
    /// The cost settings with the preset's defaults applied.
    pub fn cost_settings(&self) -> crate::costs::CostSettings {
        let c = &self.costs;
        let cn = self.execution.market == MarketPreset::Cn;
        let base = c.commission_bps.unwrap_or(if cn { 2.5 } else { 40.0 });
        let step = |from: &str, bps: f64| RateStep {
            from: cn_date(from),
            bps,
        };
        crate::costs::CostSettings {
            commission_buy_bps: c.commission_buy_bps.unwrap_or(base),
            commission_sell_bps: c.commission_sell_bps.unwrap_or(base),
            min_commission: c.min_commission.unwrap_or(if cn { 5.0 } else { 0.0 }),
            stamp_duty: c.stamp_duty.clone().unwrap_or_else(|| {
                if cn {
                    vec![step("2008-09-19", 10.0), step("2023-08-28", 5.0)]
                } else {
                    Vec::new()
                }
            }),
            transfer_fee: c.transfer_fee.clone().unwrap_or_else(|| {
                if cn {
                    vec![step("2015-08-01", 0.2), step("2022-04-29", 0.1)]
                } else {
                    Vec::new()
                }
            }),
            slippage_bps: c.slippage_bps.unwrap_or(0.0),
            impact_k: c.impact_k.unwrap_or(0.0),
            impact_window: c.impact_window.unwrap_or(20),
        }
    }

    /// The market rules with the preset's defaults applied.
    pub fn market_rules(&self) -> crate::market::MarketRules {
        let e = &self.execution;
        let cn = e.market == MarketPreset::Cn;
        crate::market::MarketRules {
            price_limits: e.price_limits.unwrap_or(cn),
            lot_size: e.lot_size.unwrap_or(if cn { 100 } else { 0 }),
            t_plus_one: e.t_plus_one.unwrap_or(cn),
            volume_cap: e.volume_cap.unwrap_or(if cn { 0.25 } else { 0.0 }),
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
    /// The spec's TOML text (sweeps re-parse it with overrides).
    pub source: String,
    /// The folder relative paths resolve against.
    pub base: PathBuf,
    /// A `file` model path written as `{data}/…` (relative to the data
    /// bundle), kept so that `--data` moves it with the bundle.
    data_relative_scores: Option<PathBuf>,
}

/// The part after a leading `{data}` component, if the path has one.
fn data_relative(p: &Path) -> Option<PathBuf> {
    p.strip_prefix("{data}").ok().map(Path::to_path_buf)
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
        let parse_text = with_default_model(text);
        let mut config: SpecConfig = toml::from_str(&parse_text)
            .map_err(|e| spec_err(e.to_string().trim_end().to_owned()))?;
        if config.name.is_none() {
            config.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        let data_relative_scores = resolve_model_paths(base, &mut config.model);
        for m in config.models.values_mut() {
            resolve_model_paths(base, m);
        }
        if let Some(settings) = config.index.as_ref().and_then(|i| config.indices.get(i)) {
            let settings = settings.clone();
            if settings.start.is_some() {
                config.start = settings.start;
            }
            if settings.end.is_some() {
                config.end = settings.end;
            }
            if settings.benchmark.is_some() {
                config.benchmark = settings.benchmark;
            }
        }
        let data_dir = resolve(base, &config.data);
        let mut spec = Spec {
            config,
            path: path.to_path_buf(),
            data_dir: data_dir.clone(),
            source: text.to_owned(),
            base: base.to_path_buf(),
            data_relative_scores,
        };
        spec.set_data_dir(data_dir);
        spec.check().map_err(spec_err)?;
        Ok(spec)
    }

    /// Replaces the data folder (the CLI's `--data`).
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.config.data = dir.clone();
        self.set_data_dir(dir);
        self
    }

    /// Sets the resolved data folder and the `{data}/…` scores path with it.
    fn set_data_dir(&mut self, dir: PathBuf) {
        if let (Some(rest), ModelConfig::File { path }) =
            (&self.data_relative_scores, &mut self.config.model)
        {
            *path = dir.join(rest);
        }
        self.data_dir = dir;
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
        let bps_ok = |x: f64| x.is_finite() && (0.0..10_000.0).contains(&x);
        for (key, v) in [
            ("commission_bps", c.costs.commission_bps),
            ("commission_buy_bps", c.costs.commission_buy_bps),
            ("commission_sell_bps", c.costs.commission_sell_bps),
            ("slippage_bps", c.costs.slippage_bps),
        ] {
            if let Some(x) = v {
                if !bps_ok(x) {
                    return Err(format!("costs.{key} = {x} must be in [0, 10000)"));
                }
            }
        }
        for (key, v) in [
            ("min_commission", c.costs.min_commission),
            ("impact_k", c.costs.impact_k),
        ] {
            if let Some(x) = v {
                if !(x.is_finite() && x >= 0.0) {
                    return Err(format!("costs.{key} = {x} must be a number ≥ 0"));
                }
            }
        }
        if c.costs.impact_window.is_some_and(|w| w < 2) {
            return Err("costs.impact_window must be at least 2 trading days".into());
        }
        for (key, v) in [
            ("stamp_duty", &c.costs.stamp_duty),
            ("transfer_fee", &c.costs.transfer_fee),
        ] {
            let Some(steps) = v else { continue };
            for (i, st) in steps.iter().enumerate() {
                if !bps_ok(st.bps) {
                    return Err(format!(
                        "costs.{key}[{i}].bps = {} must be in [0, 10000)",
                        st.bps
                    ));
                }
                if i > 0 && steps[i - 1].from >= st.from {
                    return Err(format!(
                        "costs.{key}: the steps must have strictly increasing `from` dates ({} then {})",
                        steps[i - 1].from, st.from
                    ));
                }
            }
        }
        if let Some(v) = c.execution.volume_cap {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!(
                    "execution.volume_cap = {v} must be in [0, 1] (a fraction of the day's volume; 0 = no cap)"
                ));
            }
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
        check_model(&c.model)?;
        for (name, m) in &c.models {
            check_model(m).map_err(|e| format!("[models.{name}]: {e}"))?;
        }
        Ok(())
    }

    /// The spec with `overrides` applied (dotted keys such as
    /// `costs.commission_bps`, set in the TOML text and parsed again, so a
    /// typo is the same clear error as in a file) and its `[sweep]` table
    /// removed. The data folder (and any `--data` override) is kept.
    pub fn with_overrides(&self, overrides: &[(String, toml::Value)]) -> Result<Spec> {
        let spec_err = |message: String| Error::Spec {
            file: self.path.clone(),
            message,
        };
        let mut table: toml::Table = self
            .source
            .parse()
            .map_err(|e: toml::de::Error| spec_err(e.to_string()))?;
        table.remove("sweep");
        for (key, value) in overrides {
            let parts: Vec<&str> = key.split('.').collect();
            let mut t = &mut table;
            for p in &parts[..parts.len() - 1] {
                let entry = t
                    .entry((*p).to_owned())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                t = entry
                    .as_table_mut()
                    .ok_or_else(|| spec_err(format!("override `{key}`: `{p}` is not a table")))?;
            }
            t.insert(parts[parts.len() - 1].to_owned(), value.clone());
        }
        let text = toml::to_string(&table).map_err(|e| spec_err(e.to_string()))?;
        let mut spec = Spec::from_str_at(&text, &self.path, &self.base)?;
        spec.config.data = self.config.data.clone();
        spec.set_data_dir(self.data_dir.clone());
        spec.config.name = self.config.name.clone();
        spec.source = self.source.clone();
        Ok(spec)
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

fn check_model(m: &ModelConfig) -> std::result::Result<(), String> {
    match m {
        ModelConfig::Reversal { window: 0 } => Err("model.window must be at least 1".into()),
        ModelConfig::Linear(l) => {
            if l.horizon == 0 {
                return Err("model.horizon must be at least 1 trading day".into());
            }
            if !(l.ridge.is_finite() && l.ridge >= 0.0) {
                return Err(format!("model.ridge = {} must be ≥ 0", l.ridge));
            }
            check_samples(&l.samples)
        }
        ModelConfig::Mlp(d) | ModelConfig::Mgat(d) | ModelConfig::Dmfm(d) => check_deep(d),
        _ => Ok(()),
    }
}

fn check_samples(s: &SamplesConfig) -> std::result::Result<(), String> {
    if s.every_days == 0 {
        return Err("model.samples.every_days must be at least 1".into());
    }
    if s.embargo_months > s.validation_months {
        return Err(format!(
            "model.samples.embargo_months = {} must not exceed validation_months = {}",
            s.embargo_months, s.validation_months
        ));
    }
    Ok(())
}

fn check_deep(d: &DeepConfig) -> std::result::Result<(), String> {
    check_samples(&d.samples)?;
    if d.hidden == 0 || d.gat_heads == 0 {
        return Err("model.hidden and model.gat_heads must be at least 1".into());
    }
    if d.horizons.is_empty() || d.horizons.contains(&0) {
        return Err("model.horizons must list at least one horizon ≥ 1 trading day".into());
    }
    if !d.horizons.contains(&d.score_horizon) {
        return Err(format!(
            "model.score_horizon = {} is not one of model.horizons = {:?}",
            d.score_horizon, d.horizons
        ));
    }
    let t = &d.train;
    if t.epochs == 0 || t.batch_dates == 0 || t.threads == 0 {
        return Err("model.train.epochs, batch_dates and threads must be at least 1".into());
    }
    if !(t.lr.is_finite() && t.lr > 0.0) {
        return Err(format!("model.train.lr = {} must be positive", t.lr));
    }
    if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
        return Err(format!(
            "model.train.weight_decay = {} must be ≥ 0",
            t.weight_decay
        ));
    }
    Ok(())
}

/// Without a `[model]` table but with `[models.<name>]` tables, appends a
/// `[model]` copy of the default one (the first name of `sweep.model`, else
/// the first name). Appended at the end, so line numbers in parse errors
/// still point into the user's text. Anything unusual is left to the parser.
fn with_default_model(text: &str) -> String {
    let Ok(table) = text.parse::<toml::Table>() else {
        return text.to_owned();
    };
    if table.contains_key("model") {
        return text.to_owned();
    }
    let Some(models) = table.get("models").and_then(toml::Value::as_table) else {
        return text.to_owned();
    };
    let first_swept = table
        .get("sweep")
        .and_then(|s| s.get("model"))
        .and_then(toml::Value::as_array)
        .and_then(|a| a.first())
        .and_then(toml::Value::as_str);
    let name = first_swept
        .filter(|n| models.contains_key(*n))
        .or_else(|| models.keys().next().map(String::as_str));
    let Some(model) = name.and_then(|n| models.get(n)) else {
        return text.to_owned();
    };
    let mut wrapper = toml::Table::new();
    wrapper.insert("model".into(), model.clone());
    match toml::to_string(&wrapper) {
        Ok(extra) => format!("{text}\n{extra}"),
        Err(_) => text.to_owned(),
    }
}

/// Resolves a model's relative paths against `base`; returns the part after
/// `{data}/` of a `file` model's path written relative to the data bundle
/// (left for [`Spec::set_data_dir`] to resolve).
fn resolve_model_paths(base: &Path, model: &mut ModelConfig) -> Option<PathBuf> {
    match model {
        ModelConfig::File { path: p } => match data_relative(p) {
            Some(rest) => return Some(rest),
            None => *p = resolve(base, p),
        },
        ModelConfig::Mlp(d) | ModelConfig::Mgat(d) | ModelConfig::Dmfm(d) => {
            for p in [&mut d.load_weights, &mut d.save_weights]
                .into_iter()
                .flatten()
            {
                *p = resolve(base, p);
            }
        }
        _ => {}
    }
    None
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}
