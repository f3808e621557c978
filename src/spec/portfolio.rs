//! The `[portfolio]` table: which construction method turns the scores into
//! target weights, and its settings (see `strategy` for the rules).

use serde::{Deserialize, Serialize};

/// Portfolio construction.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortfolioConfig {
    /// The construction method.
    #[serde(default)]
    pub method: Method,
    /// Fraction of eligible stocks held (top by score): `top_fraction` and
    /// `score_weighted`.
    #[serde(default = "default_fraction")]
    pub top_fraction: f64,
    /// `[portfolio.topk_dropout]`: settings of `topk_dropout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topk_dropout: Option<TopkDropoutConfig>,
    /// `[portfolio.enhanced_index]`: settings of `enhanced_index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enhanced_index: Option<EnhancedIndexConfig>,
}

fn default_fraction() -> f64 {
    0.1
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            method: Method::TopFraction,
            top_fraction: default_fraction(),
            topk_dropout: None,
            enhanced_index: None,
        }
    }
}

/// The construction methods.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The top fraction by score, equal weight (the paper).
    #[default]
    TopFraction,
    /// The top fraction by score, weights proportional to the score's rank.
    ScoreWeighted,
    /// Qlib's TopkDropoutStrategy.
    TopkDropout,
    /// The enhanced-index optimiser.
    EnhancedIndex,
}

impl Method {
    /// The spec's spelling.
    pub fn key(self) -> &'static str {
        match self {
            Method::TopFraction => "top_fraction",
            Method::ScoreWeighted => "score_weighted",
            Method::TopkDropout => "topk_dropout",
            Method::EnhancedIndex => "enhanced_index",
        }
    }
}

/// `[portfolio.topk_dropout]` (Qlib's `topk`, `n_drop`, `hold_thresh`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopkDropoutConfig {
    /// Names held.
    #[serde(default = "default_topk")]
    pub topk: usize,
    /// Worst-scored holdings replaced at each rebalance.
    #[serde(default = "default_n_drop")]
    pub n_drop: usize,
    /// A holding is sold only after this many trading days held.
    #[serde(default = "default_hold_days")]
    pub hold_days: usize,
}

fn default_topk() -> usize {
    50
}
fn default_n_drop() -> usize {
    5
}
fn default_hold_days() -> usize {
    1
}

impl Default for TopkDropoutConfig {
    fn default() -> Self {
        TopkDropoutConfig {
            topk: default_topk(),
            n_drop: default_n_drop(),
            hold_days: default_hold_days(),
        }
    }
}

/// `[portfolio.enhanced_index]`: the optimiser's limits, all against the
/// benchmark weights of the run's `benchmark` index.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnhancedIndexConfig {
    /// Annualised ex-ante tracking-error cap (0 = none).
    #[serde(default = "default_te")]
    pub tracking_error: f64,
    /// |active weight of each industry| ≤ this (0 = industry neutral; 1
    /// switches the limit off).
    #[serde(default = "default_industry_bound")]
    pub industry_bound: f64,
    /// |active exposure to each style| ≤ this, in cross-sectional z units
    /// (0 = style neutral).
    #[serde(default = "default_style_bound")]
    pub style_bound: f64,
    /// Style factors: aliases (`size`, `volatility`, `momentum`,
    /// `liquidity`, `value`), factor-library names or factors.csv columns.
    #[serde(default = "default_styles")]
    pub styles: Vec<String>,
    /// Per-stock cap, absolute.
    #[serde(default = "default_max_weight")]
    pub max_weight: f64,
    /// And ≤ this × the benchmark weight + `max_weight_off_benchmark` (0 = off).
    #[serde(default = "default_multiple")]
    pub max_benchmark_multiple: f64,
    /// The cap of a stock outside the benchmark (and the additive term above).
    #[serde(default = "default_off_benchmark")]
    pub max_weight_off_benchmark: f64,
    /// One-sided turnover cap per rebalance (0 = none).
    #[serde(default = "default_turnover")]
    pub turnover: f64,
    /// λ on the ex-ante (annualised) variance in the objective.
    #[serde(default)]
    pub risk_aversion: f64,
    /// Assumed IC of the score in the alpha mapping α = ic × σ × z.
    #[serde(default = "default_alpha_ic")]
    pub alpha_ic: f64,
    /// Risk-model estimation window, trading days before the decision.
    #[serde(default = "default_risk_window")]
    pub risk_window: usize,
}

fn default_te() -> f64 {
    0.05
}
fn default_industry_bound() -> f64 {
    0.02
}
fn default_style_bound() -> f64 {
    0.5
}
fn default_styles() -> Vec<String> {
    ["size", "volatility", "momentum", "liquidity"]
        .map(String::from)
        .to_vec()
}
fn default_max_weight() -> f64 {
    0.03
}
fn default_multiple() -> f64 {
    5.0
}
fn default_off_benchmark() -> f64 {
    0.005
}
fn default_turnover() -> f64 {
    0.3
}
fn default_alpha_ic() -> f64 {
    0.05
}
fn default_risk_window() -> usize {
    250
}

impl Default for EnhancedIndexConfig {
    fn default() -> Self {
        EnhancedIndexConfig {
            tracking_error: default_te(),
            industry_bound: default_industry_bound(),
            style_bound: default_style_bound(),
            styles: default_styles(),
            max_weight: default_max_weight(),
            max_benchmark_multiple: default_multiple(),
            max_weight_off_benchmark: default_off_benchmark(),
            turnover: default_turnover(),
            risk_aversion: 0.0,
            alpha_ic: default_alpha_ic(),
            risk_window: default_risk_window(),
        }
    }
}

impl PortfolioConfig {
    /// The TopK-dropout settings (defaults when the table is absent).
    pub fn topk_dropout(&self) -> TopkDropoutConfig {
        self.topk_dropout.clone().unwrap_or_default()
    }

    /// The enhanced-index settings (defaults when the table is absent).
    pub fn enhanced_index(&self) -> EnhancedIndexConfig {
        self.enhanced_index.clone().unwrap_or_default()
    }

    /// Checks every value; the message names the key.
    pub(super) fn check(&self) -> std::result::Result<(), String> {
        if !(self.top_fraction > 0.0 && self.top_fraction <= 1.0) {
            return Err(format!(
                "portfolio.top_fraction = {} must be in (0, 1]",
                self.top_fraction
            ));
        }
        let t = self.topk_dropout();
        if t.topk == 0 {
            return Err("portfolio.topk_dropout.topk must be at least 1".into());
        }
        if t.n_drop > t.topk {
            return Err(format!(
                "portfolio.topk_dropout.n_drop = {} must be at most topk = {}",
                t.n_drop, t.topk
            ));
        }
        let e = self.enhanced_index();
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        for (key, v) in [
            ("tracking_error", e.tracking_error),
            ("industry_bound", e.industry_bound),
            ("style_bound", e.style_bound),
            ("max_benchmark_multiple", e.max_benchmark_multiple),
            ("max_weight_off_benchmark", e.max_weight_off_benchmark),
            ("turnover", e.turnover),
            ("risk_aversion", e.risk_aversion),
        ] {
            if !nonneg(v) {
                return Err(format!(
                    "portfolio.enhanced_index.{key} = {v} must be a number ≥ 0 (0 = no limit)"
                ));
            }
        }
        if !(e.max_weight > 0.0 && e.max_weight <= 1.0) {
            return Err(format!(
                "portfolio.enhanced_index.max_weight = {} must be in (0, 1]",
                e.max_weight
            ));
        }
        if !(e.alpha_ic.is_finite() && e.alpha_ic > 0.0) {
            return Err(format!(
                "portfolio.enhanced_index.alpha_ic = {} must be positive",
                e.alpha_ic
            ));
        }
        if e.risk_window < 20 {
            return Err(format!(
                "portfolio.enhanced_index.risk_window = {} must be at least 20 trading days",
                e.risk_window
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for s in &e.styles {
            if !seen.insert(s) {
                return Err(format!("portfolio.enhanced_index.styles names `{s}` twice"));
            }
        }
        Ok(())
    }
}
