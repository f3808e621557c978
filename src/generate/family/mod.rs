//! The generator family: named configurations whose planted model, sizes and
//! observed-column codings are drawn from the seed (`alphasim generate
//! --family NAME --seed S`).
//!
//! A preset plants one fixed model and writes the latent factors themselves.
//! A family member plants a model drawn at random per seed over 8 latent
//! AR(1) factors `x0..x7` (the preset's factor process, unit stationary
//! variance, ρ = 0.98) and writes 20 *observed* columns `f00..f19`, each a
//! random monotone coding of a latent, a proxy of one, or pure noise, in a
//! shuffled order. Everything else (calendar, prices, listings, index,
//! benchmark, fundamentals) is the preset generator's. `meta.json` records
//! the drawn model under `signal` (terms, coefficients, formula) and, per
//! column, what it codes and how, so a test or a report can check that a
//! model's attention, gates or importance sit on the planted columns.
//! `oracle_scores.csv` is the true μ/s; `regime.csv` the regime state.
//!
//! # What is drawn per seed (one ChaCha8 stream of the seed, deterministic)
//!
//! * Size: `n_stocks` ~ U{300..=600}, the index `synth` of
//!   round(n · U(1/3, 1/2)) members, 2,000 trading days from 2015-01-05.
//! * Terms (module `model`): which latents enter (a random permutation, each
//!   latent in one term at most), magnitudes U(0.5, 1.5) with random signs,
//!   step thresholds (P(x > θ) ~ U(0.2, 0.8)), U-shape centres U(−0.5, 0.5),
//!   regime scales κ ~ U(0.5, 1); then the coefficients are scaled so the
//!   factor part of μ/s has variance 0.75 (the preset's has ≈ 0.73), of which
//!   the linear and industry-relative terms carry the configuration's share.
//! * Columns (module `columns`): one per latent (those not in μ are noise for
//!   the model), 2 proxies (latent + U(0.5, 1)·N(0, 1) drawn daily) of two
//!   latents in μ, 10 pure-noise AR(1) columns; each gets a coding (identity,
//!   exp(a·v) a ~ U(0.5, 1), sinh(a·v) a ~ U(0.5, 1.5), sign(v)|v|^p
//!   p ~ U(0.5, 3), logistic 1/(1 + e^{−a v}) a ~ U(0.7, 2), equally likely),
//!   a sign flip with probability ½, additive t₃ noise of scale U(0.1, 0.3)
//!   on v with the configuration's probability, and a missing-cell rate.
//!
//! # The configurations
//!
//! | name | terms of μ/s (besides one industry-relative term) | linear share | other |
//! |---|---|---|---|
//! | `linear` | 4 linear | 1 | the control: a linear model of the latents is the truth |
//! | `interact` | 2 linear, 2 pairwise interactions x_a·x_b | 0.5 | |
//! | `threshold` | 2 linear, 1 step 1[x > θ], 1 U-shape (x − c)² | 0.5 | |
//! | `regime` | 2 linear, 1 loading that flips with the regime, 1 that scales by (1 + κ·regime) | 0.5 | |
//! | `temporal` | 3 linear | 1 | plus the temporal term of module `temporal` at 0.8 × s |
//! | `mixed` | 2 linear, 1 interaction, 1 step, 1 U-shape, 1 regime flip | 0.35 | temporal term at 0.4 × s, t-noise on half the columns, missing 0–15% per column, jumps 0.8% |
//!
//! t-noise probability per column is 0.25 and the missing rate 2% outside
//! `mixed`. The regime state at t is +1 when the market return summed over
//! the last 60 trading days (t included) is ≥ 0, else −1 — known at the
//! close of t, and the same for every stock of the date, so a model that
//! normalises its inputs per date cannot see it: in `regime` only the
//! regime-average loadings are learnable from the factor columns, and the
//! oracle's lead measures what the regime is worth. `regime.csv`
//! (`date,market_return_60d,regime`) is written for every member.

mod columns;
mod model;
#[cfg(test)]
mod tests;

pub(super) use columns::Observer;
pub use columns::{Coding, Column, Source, N_COLUMNS, N_PROXIES};
pub use model::{regime_states, PlantedModel, Term, FACTOR_VARIANCE, REGIME_DAYS};

use super::config::{GeneratorConfig, SIGNAL_SCALE};
use super::factors::industry_means;
use super::streams::stream_rng;
use super::universe::Stock;
use super::write::CsvOut;
use crate::{Error, Result};
use rand::Rng;
use serde_json::{json, Value};
use std::path::Path;
use std::str::FromStr;

/// Number of latent factors of every member.
pub const N_LATENTS: usize = 8;

/// Trading days of every member.
pub const FAMILY_DAYS: usize = 2_000;

/// The first stream of the family draws (far above the per-stock streams);
/// configuration c draws from `FAMILY_STREAM + c`.
const FAMILY_STREAM: u64 = 1 << 40;

/// A named configuration of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    Linear,
    Interact,
    Threshold,
    Regime,
    Temporal,
    Mixed,
}

impl Config {
    pub const ALL: [Config; 6] = [
        Config::Linear,
        Config::Interact,
        Config::Threshold,
        Config::Regime,
        Config::Temporal,
        Config::Mixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Config::Linear => "linear",
            Config::Interact => "interact",
            Config::Threshold => "threshold",
            Config::Regime => "regime",
            Config::Temporal => "temporal",
            Config::Mixed => "mixed",
        }
    }

    /// (linear, interactions, steps, U-shapes, regime flips, regime scales).
    fn term_counts(self) -> (usize, usize, usize, usize, usize, usize) {
        match self {
            Config::Linear => (4, 0, 0, 0, 0, 0),
            Config::Interact => (2, 2, 0, 0, 0, 0),
            Config::Threshold => (2, 0, 1, 1, 0, 0),
            Config::Regime => (2, 0, 0, 0, 1, 1),
            Config::Temporal => (3, 0, 0, 0, 0, 0),
            Config::Mixed => (2, 1, 1, 1, 1, 0),
        }
    }

    fn linear_share(self) -> f64 {
        match self {
            Config::Linear | Config::Temporal => 1.0,
            Config::Mixed => 0.35,
            _ => 0.5,
        }
    }

    /// Temporal scale as a multiple of the signal scale.
    fn temporal_weight(self) -> f64 {
        match self {
            Config::Temporal => 0.8,
            Config::Mixed => 0.4,
            _ => 0.0,
        }
    }

    fn t_noise_probability(self) -> f64 {
        if self == Config::Mixed {
            0.5
        } else {
            0.25
        }
    }

    fn missing_range(self) -> (f64, f64) {
        if self == Config::Mixed {
            (0.0, 0.15)
        } else {
            (0.02, 0.02)
        }
    }
}

impl FromStr for Config {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Config::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                Error::Run(format!(
                    "unknown family configuration `{s}` (--family); expected one of linear, interact, threshold, regime, temporal, mixed"
                ))
            })
    }
}

/// One drawn member: its generator settings, planted model and columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub config: Config,
    pub generator: GeneratorConfig,
    pub model: PlantedModel,
    pub columns: Vec<Column>,
}

impl Family {
    /// Draws the member of `config` for `seed`.
    pub fn draw(config: Config, seed: u64) -> Self {
        // one stream per configuration, so members of one seed are unrelated
        let mut rng = stream_rng(seed, FAMILY_STREAM + config as u64);
        let n_stocks = rng.random_range(300..=600usize);
        let index_fraction: f64 = rng.random_range(1.0 / 3.0..0.5);
        let model = PlantedModel::draw(config, N_LATENTS, &mut rng);
        let columns = columns::draw_columns(config, &model, N_LATENTS, &mut rng);
        let mut generator = GeneratorConfig::new(n_stocks, FAMILY_DAYS);
        generator.n_factors = N_LATENTS;
        generator.index_size = (n_stocks as f64 * index_fraction).round() as usize;
        generator.temporal_scale = config.temporal_weight() * SIGNAL_SCALE;
        if config == Config::Mixed {
            generator.jump_rate = 0.008;
        }
        Family {
            config,
            generator,
            model,
            columns,
        }
    }

    /// The `signal` block of `meta.json`.
    pub fn to_json(&self) -> Value {
        let used: Vec<String> = self
            .model
            .used_latents()
            .iter()
            .map(|k| format!("x{k}"))
            .collect();
        let planted: Vec<&str> = self
            .columns
            .iter()
            .filter(|c| match c.source {
                Source::Latent(k) => self.model.used_latents().contains(&k),
                _ => false,
            })
            .map(|c| c.name.as_str())
            .collect();
        json!({
            "family": self.config.name(),
            "formula": self.model.formula(),
            "description": "Expected next-day return known at the close of t: mu[i,t] = s * (the terms below) (+ the temporal term when temporal_signal is present); r[i,t+1] = beta_i*m[t+1] + mu[i,t] + sigma_i*eps + jump, clipped to +-10%. x0..x7 are latent AR(1) factors (6-decimal values) that are not written; the observed columns f00..f19 code them as listed under columns: value = sign * coding(v + t3_noise_scale * T3), v = the latent (role latent or latent_not_in_mu), the latent + proxy_noise_sd * N(0,1) (proxy) or an independent AR(1) (noise); empty with probability missing_rate. mean_industry(x) is the mean of x over the stocks listed on day t (first bar <= t <= scheduled last bar) in the stock's industry on day t, the stock included. regime is +1 when the market return summed over the last 60 trading days (t included) is >= 0, else -1 (regime.csv).",
            "scale": SIGNAL_SCALE,
            "factor_variance": FACTOR_VARIANCE,
            "terms": self.model.terms.iter().map(Term::to_json).collect::<Vec<_>>(),
            "latents_in_mu": used,
            "planted_columns": planted,
            "columns": self.columns.iter().map(|c| c.to_json(&self.model)).collect::<Vec<_>>(),
            "factor_process": format!("AR(1), rho = {}, unit stationary variance, independent across latents and stocks", self.generator.factor_rho),
            "uses_rounded_factor_values": true,
        })
    }
}

/// A member prepared for the simulation: the industry means of its
/// industry-relative latents (day-major, `t·n_industries + industry`) and
/// the regime state per day.
pub(super) struct FamilyRun<'a> {
    pub(super) family: &'a Family,
    pub(super) industry_means: Vec<Vec<f64>>,
    pub(super) regime: Vec<(f64, f64)>,
}

impl<'a> FamilyRun<'a> {
    pub(super) fn new(family: &'a Family, seed: u64, stocks: &[Stock], market: &[f64]) -> Self {
        let industry_means = family
            .model
            .industry_latents()
            .into_iter()
            .map(|k| industry_means(&family.generator, seed, stocks, k))
            .collect();
        FamilyRun {
            family,
            industry_means,
            regime: regime_states(market),
        }
    }

    /// μ/s of one stock-day from its (rounded) latents.
    pub(super) fn mu(&self, t: usize, industry: usize, x: &[f64]) -> f64 {
        let n_ind = self.family.generator.n_industries;
        let means: Vec<f64> = self
            .industry_means
            .iter()
            .map(|m| m[t * n_ind + industry])
            .collect();
        self.family.model.value(x, &means, self.regime[t].1)
    }

    /// Writes `regime.csv`.
    pub(super) fn write_regime(&self, out: &Path, date_text: &[String]) -> Result<()> {
        let mut file = CsvOut::create(out, "regime.csv", ["date", "market_return_60d", "regime"])?;
        for (date, &(sum, state)) in date_text.iter().zip(&self.regime) {
            file.field(date);
            file.display(format_args!("{sum:.9}"));
            file.display(state as i64);
            file.end_record()?;
        }
        file.finish()
    }
}
