//! The factor processes: one AR(1) path per stock and factor, rounded to the 6
//! decimals `factors.csv` holds.

use super::config::GeneratorConfig;
use super::streams::{stock_stream, stream_rng};
use super::universe::Stock;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `x` in millionths, rounded half away from zero.
pub(super) fn round_micro(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

/// One factor's AR(1) path for one stock, from its own stream.
pub(super) struct FactorPath {
    rng: ChaCha8Rng,
    value: f64,
    rho: f64,
    innovation_sd: f64,
    started: bool,
}

impl FactorPath {
    pub(super) fn new(seed: u64, stock: usize, factor: usize, rho: f64) -> Self {
        FactorPath {
            rng: stream_rng(seed, stock_stream(stock, factor as u64)),
            value: 0.0,
            rho,
            innovation_sd: (1.0 - rho * rho).sqrt(),
            started: false,
        }
    }

    /// The value of the next day (the first call gives day 0).
    pub(super) fn next(&mut self) -> f64 {
        let z: f64 = self.rng.sample(StandardNormal);
        self.value = if self.started {
            self.rho * self.value + self.innovation_sd * z
        } else {
            self.started = true;
            z
        };
        self.value
    }
}

/// Pass 1: the mean of the (rounded) f5 per day and industry over the stocks
/// listed that day (first bar ≤ t ≤ scheduled last bar), day-major
/// (`t·n_industries + industry`); 0 for an industry with no listed stock.
pub(super) fn industry_mean_f5(config: &GeneratorConfig, seed: u64, stocks: &[Stock]) -> Vec<f64> {
    industry_means(config, seed, stocks, 5)
}

/// The same for factor (latent) `factor`.
pub(super) fn industry_means(
    config: &GeneratorConfig,
    seed: u64,
    stocks: &[Stock],
    factor: usize,
) -> Vec<f64> {
    let n_days = config.n_days;
    let n_ind = config.n_industries;
    let mut sums = vec![0.0f64; n_days * n_ind];
    let mut counts = vec![0u32; n_days * n_ind];
    for (i, stock) in stocks.iter().enumerate() {
        let mut path = FactorPath::new(seed, i, factor, config.factor_rho);
        for t in 0..n_days {
            let v = round_micro(path.next()) as f64 / 1e6;
            if t >= stock.first && t <= stock.last {
                let k = t * n_ind + stock.industry_at(t);
                sums[k] += v;
                counts[k] += 1;
            }
        }
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect()
}
