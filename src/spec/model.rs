//! The `[model]` table: every alpha model's parameters, the deep models' loss, training and samples.

use super::TradingDays;
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
    /// Encoder + decoder heads, no graph (a DMFM baseline).
    Mlp(DeepConfig),
    /// Encoder + universe GAT + heads (a DMFM baseline).
    Mgat(DeepConfig),
    /// The deep multi-factor model (docs/dmfm.md).
    Dmfm(DeepConfig),
    /// GRU over each stock's last `window` days of price-volume features
    /// + a dense layer (docs/sequence.md).
    Gru(SeqConfig),
    /// Attention LSTM over the same input (Qlib's ALSTM; docs/sequence.md).
    Alstm(SeqConfig),
}

impl ModelConfig {
    /// The weight folders (`load_weights`, `save_weights`) of a learned
    /// model with weights; None for the others.
    pub fn weight_dirs_mut(&mut self) -> Option<[&mut Option<PathBuf>; 2]> {
        match self {
            ModelConfig::Mlp(d) | ModelConfig::Mgat(d) | ModelConfig::Dmfm(d) => {
                Some([&mut d.load_weights, &mut d.save_weights])
            }
            ModelConfig::Gru(q) | ModelConfig::Alstm(q) => {
                Some([&mut q.load_weights, &mut q.save_weights])
            }
            _ => None,
        }
    }
}

/// Hyper-parameters of the sequence models (`gru`, `alstm`; docs/sequence.md).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeqConfig {
    /// Factor columns appended to the price-volume features of every day of
    /// the window (default: none).
    #[serde(default)]
    pub factors: Vec<String>,
    /// Trading days of history per input sequence.
    #[serde(default = "default_seq_window")]
    pub window: TradingDays,
    /// Hidden size of the recurrent layers (default: 50 for `gru`, 64 for `alstm`).
    #[serde(default)]
    pub hidden: Option<usize>,
    /// Recurrent layers.
    #[serde(default = "default_seq_layers")]
    pub layers: usize,
    /// Units of the dense layer after the GRU (`gru` only).
    #[serde(default = "default_seq_dense")]
    pub dense: usize,
    /// Forward horizons of the K output heads, trading days.
    #[serde(default = "default_horizons")]
    pub horizons: Vec<TradingDays>,
    /// The head whose output is the score (its horizon, trading days).
    #[serde(default = "default_score_horizon")]
    pub score_horizon: TradingDays,
    #[serde(default)]
    pub label: LabelNorm,
    /// Loss weights (`distance` is unused: the sequence models have no
    /// attention estimate of their output).
    #[serde(default)]
    pub loss: LossConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub samples: SamplesConfig,
    /// Load each window's weights from this folder instead of training.
    #[serde(default)]
    pub load_weights: Option<PathBuf>,
    /// Save each window's best weights to this folder as safetensors.
    #[serde(default)]
    pub save_weights: Option<PathBuf>,
}

fn default_seq_window() -> u32 {
    60
}
fn default_seq_layers() -> usize {
    2
}
fn default_seq_dense() -> usize {
    10
}

impl Default for SeqConfig {
    fn default() -> Self {
        SeqConfig {
            factors: Vec::new(),
            window: default_seq_window(),
            hidden: None,
            layers: default_seq_layers(),
            dense: default_seq_dense(),
            horizons: default_horizons(),
            score_horizon: default_score_horizon(),
            label: LabelNorm::default(),
            loss: LossConfig::default(),
            train: TrainConfig::default(),
            samples: SamplesConfig::default(),
            load_weights: None,
            save_weights: None,
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
