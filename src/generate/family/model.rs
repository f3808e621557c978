//! The planted model of a family member: its terms over the latent factors,
//! drawn from the seed, their variance scaling and μ at one stock-day.

use super::Config;
use crate::metrics::normal_quantile;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// Variance of the factor part of μ/s (the preset's planted signal has ≈ 0.73).
pub const FACTOR_VARIANCE: f64 = 0.75;

/// Trading days of the market return behind the regime state.
pub const REGIME_DAYS: usize = 60;

/// One term of μ/s. `x_k` is latent k (unit stationary variance), `s_t` the
/// regime state (±1).
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `coef · x_k`.
    Linear { latent: usize, coef: f64 },
    /// `coef · (x_k − mean of x_k over the listed stocks of the industry)`.
    IndustryRelative { latent: usize, coef: f64 },
    /// `coef · x_a · x_b`.
    Interaction { a: usize, b: usize, coef: f64 },
    /// `coef · (1[x_k > threshold] − p_above)`, `p_above = P(x > threshold)`.
    Step {
        latent: usize,
        threshold: f64,
        p_above: f64,
        coef: f64,
    },
    /// `coef · ((x_k − center)² − 1 − center²)` (mean 0).
    UShape {
        latent: usize,
        center: f64,
        coef: f64,
    },
    /// `coef · s_t · x_k`: the loading flips with the regime.
    RegimeFlip { latent: usize, coef: f64 },
    /// `coef · (1 + kappa · s_t) · x_k`: the loading scales with the regime.
    RegimeScale {
        latent: usize,
        coef: f64,
        kappa: f64,
    },
}

impl Term {
    /// Variance of the term for independent N(0, 1) latents and s = ±1
    /// with probability ½ each (the industry mean ignored).
    fn variance(&self) -> f64 {
        match *self {
            Term::Linear { coef, .. }
            | Term::IndustryRelative { coef, .. }
            | Term::Interaction { coef, .. }
            | Term::RegimeFlip { coef, .. } => coef * coef,
            Term::Step { p_above, coef, .. } => coef * coef * p_above * (1.0 - p_above),
            Term::UShape { center, coef, .. } => coef * coef * (2.0 + 4.0 * center * center),
            Term::RegimeScale { coef, kappa, .. } => coef * coef * (1.0 + kappa * kappa),
        }
    }

    fn is_linear(&self) -> bool {
        matches!(self, Term::Linear { .. } | Term::IndustryRelative { .. })
    }

    fn scale(&mut self, k: f64) {
        match self {
            Term::Linear { coef, .. }
            | Term::IndustryRelative { coef, .. }
            | Term::Interaction { coef, .. }
            | Term::Step { coef, .. }
            | Term::UShape { coef, .. }
            | Term::RegimeFlip { coef, .. }
            | Term::RegimeScale { coef, .. } => *coef *= k,
        }
    }

    /// The term's value; `x` = latents, `industry_mean` = the industry mean
    /// of this term's latent (used by `IndustryRelative` only).
    pub fn value(&self, x: &[f64], industry_mean: f64, regime: f64) -> f64 {
        match *self {
            Term::Linear { latent, coef } => coef * x[latent],
            Term::IndustryRelative { latent, coef } => coef * (x[latent] - industry_mean),
            Term::Interaction { a, b, coef } => coef * x[a] * x[b],
            Term::Step {
                latent,
                threshold,
                p_above,
                coef,
            } => coef * (f64::from(u8::from(x[latent] > threshold)) - p_above),
            Term::UShape {
                latent,
                center,
                coef,
            } => coef * ((x[latent] - center).powi(2) - 1.0 - center * center),
            Term::RegimeFlip { latent, coef } => coef * regime * x[latent],
            Term::RegimeScale {
                latent,
                coef,
                kappa,
            } => coef * (1.0 + kappa * regime) * x[latent],
        }
    }

    /// Human-readable record for `meta.json` (latents named `x0..x7`); the
    /// numbers in full precision, the formula text to 6 decimals.
    pub fn to_json(&self) -> Value {
        match *self {
            Term::Linear { latent, coef } => {
                json!({"kind": "linear", "latents": [latent], "coefficient": coef, "formula": format!("{:+.6}*x{latent}", coef)})
            }
            Term::IndustryRelative { latent, coef } => {
                json!({"kind": "industry_relative", "latents": [latent], "coefficient": coef, "formula": format!("{:+.6}*(x{latent} - mean_industry(x{latent}))", coef)})
            }
            Term::Interaction { a, b, coef } => {
                json!({"kind": "interaction", "latents": [a, b], "coefficient": coef, "formula": format!("{:+.6}*x{a}*x{b}", coef)})
            }
            Term::Step {
                latent,
                threshold,
                p_above,
                coef,
            } => {
                json!({"kind": "step", "latents": [latent], "coefficient": coef, "threshold": threshold, "p_above": p_above, "formula": format!("{:+.6}*(1[x{latent} > {:.6}] - {:.6})", coef, threshold, p_above)})
            }
            Term::UShape {
                latent,
                center,
                coef,
            } => {
                json!({"kind": "u_shape", "latents": [latent], "coefficient": coef, "center": center, "formula": format!("{:+.6}*((x{latent} - {:.6})^2 - {:.6})", coef, center, 1.0 + center * center)})
            }
            Term::RegimeFlip { latent, coef } => {
                json!({"kind": "regime_flip", "latents": [latent], "coefficient": coef, "formula": format!("{:+.6}*regime*x{latent}", coef)})
            }
            Term::RegimeScale {
                latent,
                coef,
                kappa,
            } => {
                json!({"kind": "regime_scale", "latents": [latent], "coefficient": coef, "kappa": kappa, "formula": format!("{:+.6}*(1 + {:.6}*regime)*x{latent}", coef, kappa)})
            }
        }
    }
}

/// The drawn terms of μ/s.
#[derive(Clone, Debug, PartialEq)]
pub struct PlantedModel {
    pub terms: Vec<Term>,
}

impl PlantedModel {
    /// Draws the terms of `config` over `n_latents` latents: which latents
    /// enter (a random permutation, each latent in at most one term),
    /// magnitudes U(0.5, 1.5) with random signs, thresholds, centres and
    /// regime scales; then the coefficients are scaled so the linear terms
    /// carry `linear_share` of [`FACTOR_VARIANCE`] and the others the rest.
    pub fn draw(config: Config, n_latents: usize, rng: &mut ChaCha8Rng) -> Self {
        let mut order: Vec<usize> = (0..n_latents).collect();
        order.shuffle(rng);
        let mut next = order.into_iter();
        let mut take = || next.next().expect("enough latents for the terms");
        let coef = |rng: &mut ChaCha8Rng| {
            let m: f64 = rng.random_range(0.5..1.5);
            if rng.random_bool(0.5) {
                m
            } else {
                -m
            }
        };
        let (n_linear, n_interaction, n_step, n_u, n_flip, n_scale) = config.term_counts();
        let mut terms = Vec::new();
        for _ in 0..n_linear {
            terms.push(Term::Linear {
                latent: take(),
                coef: coef(rng),
            });
        }
        terms.push(Term::IndustryRelative {
            latent: take(),
            coef: coef(rng),
        });
        for _ in 0..n_interaction {
            let (a, b) = (take(), take());
            terms.push(Term::Interaction {
                a: a.min(b),
                b: a.max(b),
                coef: coef(rng),
            });
        }
        for _ in 0..n_step {
            let p_above: f64 = rng.random_range(0.2..0.8);
            terms.push(Term::Step {
                latent: take(),
                threshold: normal_quantile(1.0 - p_above),
                p_above,
                coef: coef(rng),
            });
        }
        for _ in 0..n_u {
            terms.push(Term::UShape {
                latent: take(),
                center: rng.random_range(-0.5..0.5),
                coef: coef(rng),
            });
        }
        for _ in 0..n_flip {
            terms.push(Term::RegimeFlip {
                latent: take(),
                coef: coef(rng),
            });
        }
        for _ in 0..n_scale {
            terms.push(Term::RegimeScale {
                latent: take(),
                coef: coef(rng),
                kappa: rng.random_range(0.5..1.0),
            });
        }
        let share = config.linear_share();
        let var = |linear: bool, terms: &[Term]| -> f64 {
            terms
                .iter()
                .filter(|t| t.is_linear() == linear)
                .map(Term::variance)
                .sum()
        };
        let (v_lin, v_non) = (var(true, &terms), var(false, &terms));
        for t in &mut terms {
            let k = if t.is_linear() {
                (FACTOR_VARIANCE * share / v_lin).sqrt()
            } else if v_non > 0.0 {
                (FACTOR_VARIANCE * (1.0 - share) / v_non).sqrt()
            } else {
                1.0
            };
            t.scale(k);
        }
        PlantedModel { terms }
    }

    /// The latents that enter μ, ascending.
    pub fn used_latents(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .terms
            .iter()
            .flat_map(|t| match *t {
                Term::Interaction { a, b, .. } => vec![a, b],
                Term::Linear { latent, .. }
                | Term::IndustryRelative { latent, .. }
                | Term::Step { latent, .. }
                | Term::UShape { latent, .. }
                | Term::RegimeFlip { latent, .. }
                | Term::RegimeScale { latent, .. } => vec![latent],
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The latents of the industry-relative terms, in term order.
    pub fn industry_latents(&self) -> Vec<usize> {
        self.terms
            .iter()
            .filter_map(|t| match *t {
                Term::IndustryRelative { latent, .. } => Some(latent),
                _ => None,
            })
            .collect()
    }

    /// μ/s at one stock-day: `industry_means[j]` is the industry mean of the
    /// j-th industry-relative latent ([`Self::industry_latents`] order).
    pub fn value(&self, x: &[f64], industry_means: &[f64], regime: f64) -> f64 {
        let mut j = 0;
        let mut sum = 0.0;
        for t in &self.terms {
            let mean = if let Term::IndustryRelative { .. } = t {
                j += 1;
                industry_means[j - 1]
            } else {
                0.0
            };
            sum += t.value(x, mean, regime);
        }
        sum
    }

    /// `mu/s = ...` as one line.
    pub fn formula(&self) -> String {
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| t.to_json()["formula"].as_str().unwrap_or("").to_owned())
            .collect();
        format!("mu[i,t]/s = {}", parts.join(" "))
    }
}

/// The regime state known at the close of each day: +1 when the market
/// return summed over the last [`REGIME_DAYS`] days (today included; fewer
/// at the start) is ≥ 0, else −1. Returns `(trailing sum, state)` per day.
pub fn regime_states(market: &[f64]) -> Vec<(f64, f64)> {
    (0..market.len())
        .map(|t| {
            let sum: f64 = market[(t + 1).saturating_sub(REGIME_DAYS)..=t].iter().sum();
            (sum, if sum >= 0.0 { 1.0 } else { -1.0 })
        })
        .collect()
}
