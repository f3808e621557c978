//! The sequence models' `[model]` table (`kind = "gru"` / `"alstm"`, docs/sequence.md).

use super::model::{default_horizons, default_score_horizon};
use super::{LabelNorm, LossConfig, SamplesConfig, TradingDays, TrainConfig};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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
