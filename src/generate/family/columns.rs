//! The observed factor columns of a family member: which latent (or proxy,
//! or noise) each codes, with which monotone coding, and their daily values.

use super::model::PlantedModel;
use super::Config;
use crate::generate::factors::round_micro;
use crate::generate::streams::{stock_stream, stream_rng};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal, StudentT};
use serde_json::{json, Value};

/// Number of observed columns (`f00..f19`).
pub const N_COLUMNS: usize = 20;

/// Number of proxy columns (a noisy copy of a latent that enters μ).
pub const N_PROXIES: usize = 2;

/// The stock stream slot of the observation draws (slots 0..7 are the
/// latents, 14 and 15 prices and fundamentals).
const SLOT_OBSERVED: u64 = 8;

/// A strictly increasing map applied to a column's underlying value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Coding {
    /// `v`.
    Identity,
    /// `exp(a·v)`.
    Exp { a: f64 },
    /// `sinh(a·v)`.
    Sinh { a: f64 },
    /// `sign(v)·|v|^p`.
    Power { p: f64 },
    /// `1 / (1 + exp(−a·v))`, a rank-like squash into (0, 1).
    Logistic { a: f64 },
}

impl Coding {
    fn draw(rng: &mut ChaCha8Rng) -> Self {
        match rng.random_range(0..5) {
            0 => Coding::Identity,
            1 => Coding::Exp {
                a: rng.random_range(0.5..1.0),
            },
            2 => Coding::Sinh {
                a: rng.random_range(0.5..1.5),
            },
            3 => Coding::Power {
                p: rng.random_range(0.5..3.0),
            },
            _ => Coding::Logistic {
                a: rng.random_range(0.7..2.0),
            },
        }
    }

    pub fn apply(&self, v: f64) -> f64 {
        match *self {
            Coding::Identity => v,
            Coding::Exp { a } => (a * v).exp(),
            Coding::Sinh { a } => (a * v).sinh(),
            Coding::Power { p } => v.signum() * v.abs().powf(p),
            Coding::Logistic { a } => 1.0 / (1.0 + (-a * v).exp()),
        }
    }

    fn to_json(self) -> Value {
        match self {
            Coding::Identity => json!({"kind": "identity", "formula": "v"}),
            Coding::Exp { a } => json!({"kind": "exp", "a": a, "formula": "exp(a*v)"}),
            Coding::Sinh { a } => json!({"kind": "sinh", "a": a, "formula": "sinh(a*v)"}),
            Coding::Power { p } => {
                json!({"kind": "signed_power", "p": p, "formula": "sign(v)*|v|^p"})
            }
            Coding::Logistic { a } => {
                json!({"kind": "logistic", "a": a, "formula": "1/(1+exp(-a*v))"})
            }
        }
    }
}

/// What a column's underlying value `v` is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// Latent k itself.
    Latent(usize),
    /// Latent k plus `sd`·N(0, 1), a fresh draw every day.
    Proxy { latent: usize, sd: f64 },
    /// Its own AR(1) (the latents' ρ), unrelated to μ.
    Noise,
}

/// One observed column: `sign · coding(v + t_noise·T₃)`, empty with
/// probability `missing_rate`.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub source: Source,
    pub coding: Coding,
    /// +1 or −1 (a sign flip).
    pub sign: f64,
    /// Scale of the additive Student-t (3 df) noise on `v`; 0 = none.
    pub t_noise: f64,
    pub missing_rate: f64,
}

impl Column {
    /// Record for `meta.json`.
    pub fn to_json(&self, model: &PlantedModel) -> Value {
        let used = model.used_latents();
        let (role, latent, extra) = match self.source {
            Source::Latent(k) if used.contains(&k) => ("latent", Some(k), Value::Null),
            Source::Latent(k) => ("latent_not_in_mu", Some(k), Value::Null),
            Source::Proxy { latent, sd } => ("proxy", Some(latent), json!(sd)),
            Source::Noise => ("noise", None, Value::Null),
        };
        let mut v = json!({
            "name": self.name,
            "role": role,
            "latent": latent.map(|k| format!("x{k}")),
            "coding": self.coding.to_json(),
            "sign": self.sign,
            "t3_noise_scale": self.t_noise,
            "missing_rate": self.missing_rate,
        });
        if role == "proxy" {
            v["proxy_noise_sd"] = extra;
        }
        v
    }
}

/// Draws the [`N_COLUMNS`] columns: one per latent, [`N_PROXIES`] proxies
/// of distinct latents that enter μ, the rest pure noise; codings, signs,
/// t-noise and missing rates at random; the order shuffled and the columns
/// then named `f00..`.
pub fn draw_columns(
    config: Config,
    model: &PlantedModel,
    n_latents: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Column> {
    let mut sources: Vec<Source> = (0..n_latents).map(Source::Latent).collect();
    let mut used = model.used_latents();
    used.shuffle(rng);
    for &latent in used.iter().take(N_PROXIES) {
        sources.push(Source::Proxy {
            latent,
            sd: rng.random_range(0.5..1.0),
        });
    }
    while sources.len() < N_COLUMNS {
        sources.push(Source::Noise);
    }
    sources.shuffle(rng);
    let (t_prob, (miss_lo, miss_hi)) = (config.t_noise_probability(), config.missing_range());
    sources
        .into_iter()
        .enumerate()
        .map(|(j, source)| {
            let coding = Coding::draw(rng);
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let t_noise = if rng.random_bool(t_prob) {
                rng.random_range(0.1..0.3)
            } else {
                0.0
            };
            let missing_rate = if miss_hi > miss_lo {
                rng.random_range(miss_lo..miss_hi)
            } else {
                miss_lo
            };
            Column {
                name: format!("f{j:02}"),
                source,
                coding,
                sign,
                t_noise,
                missing_rate,
            }
        })
        .collect()
}

/// One stock's observation state: its own stream and the noise columns'
/// AR(1) values.
pub struct Observer {
    rng: ChaCha8Rng,
    ar: Vec<f64>,
    rho: f64,
    started: bool,
    t3: StudentT<f64>,
}

impl Observer {
    pub fn new(seed: u64, stock: usize, rho: f64) -> Self {
        Observer {
            rng: stream_rng(seed, stock_stream(stock, SLOT_OBSERVED)),
            ar: vec![0.0; N_COLUMNS],
            rho,
            started: false,
            t3: StudentT::new(3.0).expect("valid t"),
        }
    }

    /// The day's cells (millionths, `None` = empty) from the latents `x`.
    /// Called once per calendar day from day 0, whether or not the stock
    /// trades, so the draws do not depend on trading; per column in order:
    /// a normal (noise innovation or proxy noise), a t₃ draw if the column
    /// has t-noise, a uniform for the missing cell.
    pub fn day(&mut self, columns: &[Column], x: &[f64], cells: &mut [Option<i64>]) {
        let sd = (1.0 - self.rho * self.rho).sqrt();
        for (j, c) in columns.iter().enumerate() {
            let z: f64 = self.rng.sample(StandardNormal);
            let mut v = match c.source {
                Source::Latent(k) => x[k],
                Source::Proxy { latent, sd } => x[latent] + sd * z,
                Source::Noise => {
                    self.ar[j] = if self.started {
                        self.rho * self.ar[j] + sd * z
                    } else {
                        z
                    };
                    self.ar[j]
                }
            };
            if c.t_noise > 0.0 {
                v += c.t_noise * self.t3.sample(&mut self.rng);
            }
            let missing = self.rng.random::<f64>() < c.missing_rate;
            cells[j] = (!missing).then(|| round_micro(c.sign * c.coding.apply(v)));
        }
        self.started = true;
    }
}
