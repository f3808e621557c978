//! The `[model.e2eai]` table: the E2EAI model's gates, portfolio and loss weights (docs/e2eai.md).

use super::DistanceTrains;
use serde::{Deserialize, Serialize};

/// Settings of `kind = "e2eai"` beyond the deep models' common ones. Every
/// default is the one docs/e2eai.md documents.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct E2eaiConfig {
    /// λ_g: weight of the gates' sparsity pressure λ_g · Σ_j Φ(μ_j / σ)
    /// (the expected number of open gates).
    #[serde(default = "default_gate_penalty")]
    pub gate_penalty: f64,
    /// σ: standard deviation of the training noise of the stochastic gates.
    #[serde(default = "default_gate_sigma")]
    pub gate_sigma: f64,
    /// μ₀: initial gate mean (every gate starts half open).
    #[serde(default = "default_gate_init")]
    pub gate_init: f64,
    /// The gates' learning rate as a multiple of `train.lr`.
    #[serde(default = "default_gate_lr_scale")]
    pub gate_lr_scale: f64,
    /// τ: temperature of the portfolio softmax over the per-date z-scored
    /// scores (0.66 ≈ the concentration of a top-decile portfolio).
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Weight of the portfolio's excess return over the cross-section's mean.
    #[serde(default = "default_portfolio")]
    pub portfolio: f64,
    /// Weight of the portfolio's turnover between consecutive sample dates.
    #[serde(default = "default_turnover")]
    pub turnover: f64,
    /// Weight of the cross-sectional optimiser: the mean per-date factor
    /// return of every head.
    #[serde(default = "plus_one")]
    pub factor_return: f64,
    /// Weight of the global optimiser: the pooled IC over every stock-date of
    /// the batch, each head.
    #[serde(default = "default_global")]
    pub global: f64,
    /// Weight of the attention accuracy: 1 − corr(f_k, f̂_k) per date and head.
    #[serde(default = "plus_one")]
    pub attention: f64,
    /// Consecutive sample dates per run: a training batch is ⌈batch_dates /
    /// run_dates⌉ runs from shuffled places (the turnover is counted inside
    /// a run).
    #[serde(default = "default_run_dates")]
    pub run_dates: usize,
    /// What the attention term trains: `"attention"` (default: the deep
    /// factor is held fixed in it) or `"both"`.
    #[serde(default = "default_attention_trains")]
    pub attention_trains: DistanceTrains,
}

fn plus_one() -> f64 {
    1.0
}
fn default_gate_penalty() -> f64 {
    0.01
}
fn default_gate_sigma() -> f64 {
    0.5
}
fn default_gate_init() -> f64 {
    0.5
}
fn default_gate_lr_scale() -> f64 {
    3.0
}
fn default_temperature() -> f64 {
    0.66
}
fn default_portfolio() -> f64 {
    0.2
}
fn default_turnover() -> f64 {
    0.1
}
fn default_global() -> f64 {
    0.5
}
fn default_run_dates() -> usize {
    2
}
fn default_attention_trains() -> DistanceTrains {
    DistanceTrains::Attention
}

impl Default for E2eaiConfig {
    fn default() -> Self {
        E2eaiConfig {
            gate_penalty: default_gate_penalty(),
            gate_sigma: default_gate_sigma(),
            gate_init: default_gate_init(),
            gate_lr_scale: default_gate_lr_scale(),
            temperature: default_temperature(),
            portfolio: default_portfolio(),
            turnover: default_turnover(),
            factor_return: 1.0,
            global: default_global(),
            attention: 1.0,
            run_dates: default_run_dates(),
            attention_trains: default_attention_trains(),
        }
    }
}

impl E2eaiConfig {
    /// The first bad value, as a message naming its key and the fix.
    pub fn check(&self) -> std::result::Result<(), String> {
        for (key, v) in [
            ("gate_penalty", self.gate_penalty),
            ("gate_lr_scale", self.gate_lr_scale),
            ("portfolio", self.portfolio),
            ("turnover", self.turnover),
            ("factor_return", self.factor_return),
            ("global", self.global),
            ("attention", self.attention),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("model.e2eai.{key} = {v} must be ≥ 0"));
            }
        }
        for (key, v) in [
            ("gate_sigma", self.gate_sigma),
            ("temperature", self.temperature),
            ("gate_lr_scale", self.gate_lr_scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("model.e2eai.{key} = {v} must be positive"));
            }
        }
        if self.run_dates == 0 {
            return Err("model.e2eai.run_dates must be at least 1".into());
        }
        if !self.gate_init.is_finite() {
            return Err("model.e2eai.gate_init must be a finite number".into());
        }
        Ok(())
    }
}
