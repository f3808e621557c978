//! The `[model]` table: every alpha model's parameters, the deep models' loss, training and samples.

use super::{SeqConfig, TradingDays};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

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
        /// Look-back, in trading days.
        #[serde(default = "default_window")]
        window: TradingDays,
    },
    /// Least squares (optionally ridge) of the forward return on the factors.
    Linear(LinearConfig),
    /// Gradient-boosted regression trees on the `linear` samples (docs/gbdt.md).
    Gbdt(GbdtConfig),
    /// Encoder + decoder heads, no graph (a DMFM baseline).
    Mlp(DeepConfig),
    /// Encoder + universe GAT + heads (a DMFM baseline).
    Mgat(DeepConfig),
    /// The deep multi-factor model (docs/dmfm.md).
    Dmfm(DeepConfig),
    /// E2EAI: gated factor selection, the DMFM's neutralisation, signed
    /// attention and a portfolio loss (docs/e2eai.md).
    E2eai(DeepConfig),
    /// GRU over each stock's last `window` days of price-volume features
    /// + a dense layer (docs/sequence.md).
    Gru(SeqConfig),
    /// Attention LSTM over the same input (Qlib's ALSTM; docs/sequence.md).
    Alstm(SeqConfig),
}

impl ModelConfig {
    /// The sample settings of a learned model (None for the others).
    pub fn samples(&self) -> Option<&SamplesConfig> {
        match self {
            ModelConfig::Linear(l) => Some(&l.samples),
            ModelConfig::Gbdt(g) => Some(&g.samples),
            ModelConfig::Mlp(d)
            | ModelConfig::Mgat(d)
            | ModelConfig::Dmfm(d)
            | ModelConfig::E2eai(d) => Some(&d.samples),
            ModelConfig::Gru(q) | ModelConfig::Alstm(q) => Some(&q.samples),
            ModelConfig::Ew { .. }
            | ModelConfig::Factor { .. }
            | ModelConfig::File { .. }
            | ModelConfig::Reversal { .. } => None,
        }
    }

    /// True when the model's scores depend on the spec's `seed`: a deep or
    /// sequence model without its own `train.seed`, or `gbdt` with feature
    /// or row sampling and no own `seed`. The rest (`ew`, `factor`, `file`,
    /// `reversal`, `linear`, `gbdt` without sampling) never draw a random
    /// number, so a sweep's `seed` axis scores them once and replays
    /// those scores for the other seeds.
    pub fn uses_spec_seed(&self) -> bool {
        match self {
            ModelConfig::Gbdt(g) => {
                g.seed.is_none() && (g.feature_fraction < 1.0 || g.bagging_fraction < 1.0)
            }
            ModelConfig::Mlp(d)
            | ModelConfig::Mgat(d)
            | ModelConfig::Dmfm(d)
            | ModelConfig::E2eai(d) => d.train.seed.is_none(),
            ModelConfig::Gru(q) | ModelConfig::Alstm(q) => q.train.seed.is_none(),
            ModelConfig::Ew { .. }
            | ModelConfig::Factor { .. }
            | ModelConfig::File { .. }
            | ModelConfig::Reversal { .. }
            | ModelConfig::Linear(_) => false,
        }
    }

    /// True when a learned model trains on all traded listed stocks
    /// (`samples.universe = "listed"`), not only the universe's members.
    pub fn trains_on_listed(&self) -> bool {
        self.samples()
            .is_some_and(|s| s.universe == TrainUniverse::Listed)
    }

    /// The weight folders (`load_weights`, `save_weights`) of a learned
    /// model with weights; None for the others.
    pub fn weight_dirs_mut(&mut self) -> Option<[&mut Option<PathBuf>; 2]> {
        match self {
            ModelConfig::Mlp(d)
            | ModelConfig::Mgat(d)
            | ModelConfig::Dmfm(d)
            | ModelConfig::E2eai(d) => Some([&mut d.load_weights, &mut d.save_weights]),
            ModelConfig::Gbdt(g) => Some([&mut g.load_weights, &mut g.save_weights]),
            ModelConfig::Gru(q) | ModelConfig::Alstm(q) => {
                Some([&mut q.load_weights, &mut q.save_weights])
            }
            _ => None,
        }
    }
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
    pub horizon: TradingDays,
    /// Ridge penalty λ on the factor coefficients (0 = ordinary least squares),
    /// in units of the number of stock-dates: β = (XᵀX + λ·N·I)⁻¹ Xᵀy.
    #[serde(default)]
    pub ridge: f64,
    #[serde(default)]
    pub label: LabelNorm,
    #[serde(default)]
    pub samples: SamplesConfig,
}

/// The `gbdt` model: gradient-boosted regression trees (squared loss) of the
/// same label on the same samples as `linear`, early-stopped on the
/// validation dates' mean squared error, then (by default) refitted on every
/// labelled date with the chosen number of rounds. Defaults follow
/// LightGBM's where the booster has the same knob (docs/gbdt.md).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GbdtConfig {
    /// Factor columns (default: all of `factors.csv`).
    #[serde(default)]
    pub factors: Option<Vec<String>>,
    /// Forward-return horizon of the label, trading days.
    #[serde(default = "default_score_horizon")]
    pub horizon: TradingDays,
    #[serde(default)]
    pub label: LabelNorm,
    #[serde(default)]
    pub samples: SamplesConfig,
    /// Shrinkage of each tree's leaf values.
    #[serde(default = "default_gbdt_learning_rate")]
    pub learning_rate: f64,
    /// Maximum boosting rounds (trees) per window.
    #[serde(default = "default_gbdt_rounds")]
    pub rounds: usize,
    /// Leaves per tree (trees grow leaf-wise, best gain first, as LightGBM's).
    #[serde(default = "default_gbdt_leaves")]
    pub leaves: usize,
    /// Maximum depth of a tree.
    #[serde(default = "default_gbdt_depth")]
    pub max_depth: usize,
    /// Minimum stock-dates in a leaf.
    #[serde(default = "default_gbdt_min_data")]
    pub min_data_in_leaf: usize,
    /// L2 penalty λ on the leaf values: leaf = −ΣG / (ΣH + λ).
    #[serde(default)]
    pub l2: f64,
    /// Fraction of the factors drawn (without replacement) for each tree.
    #[serde(default = "plus_one")]
    pub feature_fraction: f64,
    /// Fraction of the training rows drawn for each tree (1 = all rows).
    #[serde(default = "plus_one")]
    pub bagging_fraction: f64,
    /// Histogram bins per factor.
    #[serde(default = "default_gbdt_bins")]
    pub bins: u16,
    /// Stop after this many rounds without a lower validation MSE (0 = no
    /// early stopping: every window runs `rounds` rounds).
    #[serde(default = "default_gbdt_early_stopping")]
    pub early_stopping_rounds: usize,
    /// After early stopping, refit on the training and validation dates
    /// with the chosen number of rounds (false: keep the early-stopped
    /// model, fitted on the training dates only).
    #[serde(default = "default_true")]
    pub refit: bool,
    /// Threads of the booster (the result does not depend on it).
    #[serde(default = "plus_one_usize")]
    pub threads: usize,
    /// Seed for the feature and row draws (default: the spec's `seed`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Load each window's booster from this folder (written by `alphasim
    /// train`) instead of training.
    #[serde(default)]
    pub load_weights: Option<PathBuf>,
    /// Save each window's booster to this folder as JSON.
    #[serde(default)]
    pub save_weights: Option<PathBuf>,
}

fn default_gbdt_learning_rate() -> f64 {
    0.05
}
fn default_gbdt_rounds() -> usize {
    500
}
fn default_gbdt_leaves() -> usize {
    31
}
fn default_gbdt_depth() -> usize {
    8
}
fn default_gbdt_min_data() -> usize {
    20
}
fn default_gbdt_bins() -> u16 {
    255
}
fn default_gbdt_early_stopping() -> usize {
    50
}
fn default_true() -> bool {
    true
}

/// Which stored cross-sections a learned model trains on and how they split.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SamplesConfig {
    /// Keep a cross-section every this many trading days (1 = every day).
    #[serde(default = "plus_one_u32")]
    pub every_days: TradingDays,
    /// The most recent months of labelled history used for validation.
    #[serde(default = "default_validation_months")]
    pub validation_months: u32,
    /// Months dropped between training and validation dates.
    #[serde(default = "plus_one_u32")]
    pub embargo_months: u32,
    /// Per-date normalisation of the factor inputs (`alpha::inputs`).
    /// Left out of report.json when `zscore`.
    #[serde(default, skip_serializing_if = "InputNorm::is_default")]
    pub inputs: InputNorm,
    /// Which stocks the stored cross-sections hold. Left out of report.json
    /// when `index`.
    #[serde(default, skip_serializing_if = "TrainUniverse::is_default")]
    pub universe: TrainUniverse,
}

/// The stocks a learned model trains on; it always scores the universe's
/// candidates.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TrainUniverse {
    /// The universe's candidates (members with a traded bar), as it trades.
    #[default]
    Index,
    /// Every listed stock with a traded bar that day.
    Listed,
}

impl TrainUniverse {
    /// True for the default (`index`).
    pub fn is_default(&self) -> bool {
        *self == TrainUniverse::Index
    }
}

/// Per-date normalisation of a learned model's factor inputs; missing values
/// become 0 under every rule.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InputNorm {
    /// z-score (population std) clipped to ±3.
    #[default]
    Zscore,
    /// Φ⁻¹((rank − 0.5)/n) over the non-missing values (Qlib's CSRankNorm
    /// up to scale); ties share their average rank.
    RankGauss,
    /// (x − median) / (1.4826·MAD) clipped to ±3.
    Robust,
}

impl InputNorm {
    /// True for the default (`zscore`).
    pub fn is_default(&self) -> bool {
        *self == InputNorm::Zscore
    }
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
            inputs: InputNorm::Zscore,
            universe: TrainUniverse::Index,
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

/// Hyper-parameters of the deep models (`mlp`, `mgat`, `dmfm`, `e2eai`).
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
    pub horizons: Vec<TradingDays>,
    /// The head whose deep factor is the score (its horizon, trading days).
    #[serde(default = "default_score_horizon")]
    pub score_horizon: TradingDays,
    /// Industry GAT: `block` (per industry) or `masked` (one n × n masked attention).
    #[serde(default)]
    pub industry_gat: IndustryGatMode,
    /// Output activation of the deep-factor heads: `leaky_relu` (the paper,
    /// slope 0.01) or `linear`. Left out of report.json when `leaky_relu`.
    #[serde(default, skip_serializing_if = "HeadActivation::is_default")]
    pub head_activation: HeadActivation,
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
    /// `[model.e2eai]`: gates, portfolio and loss weights of `kind = "e2eai"`
    /// (only that kind; absent = the documented defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e2eai: Option<super::E2eaiConfig>,
}

fn default_hidden() -> usize {
    64
}
fn plus_one_usize() -> usize {
    1
}
pub(super) fn default_horizons() -> Vec<u32> {
    vec![3, 5, 10, 15, 20]
}
pub(super) fn default_score_horizon() -> u32 {
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
    /// Seed ensemble size: train this many copies with seeds `seed`,
    /// `seed + 1`, … and score the mean of their per-date z-scored scores
    /// (`alpha::ensemble`). Left out of report.json when 1.
    #[serde(default = "plus_one_u32", skip_serializing_if = "is_one")]
    pub seeds: u32,
    /// After early stopping picks the best epoch E on the validation dates,
    /// train again from the same start for exactly E epochs on the training
    /// and validation dates together and keep the last weights (as `linear`
    /// fits both). Left out of report.json when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refit: bool,
}

fn is_one(n: &u32) -> bool {
    *n == 1
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
    /// Minus the mean validation IC of the score head alone (the loss averages
    /// all K heads, but only the `score_horizon` head is scored). Without
    /// validation dates, epochs are judged as for `returns`.
    ScoreIc,
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
            seeds: 1,
            refit: false,
        }
    }
}

fn plus_one() -> f64 {
    1.0
}
fn default_window() -> u32 {
    20
}

/// How the industry GAT runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndustryGatMode {
    /// One attention per industry block (rows sorted by industry).
    #[default]
    Block,
    /// One n × n attention with an additive industry mask.
    Masked,
}

/// The output activation of the deep-factor heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadActivation {
    /// f_k = LeakyReLU(W_kᵀ x + b_k), slope 0.01 (the paper).
    #[default]
    LeakyRelu,
    /// f_k = W_kᵀ x + b_k: negative scores pass through unsquashed.
    Linear,
}

impl HeadActivation {
    /// True for the default (the spec omits it from report.json then).
    pub fn is_default(&self) -> bool {
        *self == HeadActivation::default()
    }
}
