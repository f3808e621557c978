//! The E2EAI loss over a batch of consecutive sample dates (docs/e2eai.md):
//!
//! L = −P·mean_t excess_t + T·mean_t turnover_t − b·mean_{t,k} β_tk
//!     − g·mean_k IC^pool_k + a·mean_{t,k} (1 − corr(f_tk, f̂_tk)) + λ·Σ_j Φ(μ_j/σ)
//!
//! - portfolio: w_t = softmax(z_t / τ) over the date's stocks, z_t the
//!   per-date standardised score (the `score_horizon` head); excess_t =
//!   Σ_i w_ti r_ti − mean_i r_ti on that head's label;
//! - turnover between consecutive dates of the batch (t−1, t):
//!   ½ (Σ_common |w_t − w_{t−1}| + weight of the stocks only in t + only in t−1);
//! - β_tk: the DMFM's cross-sectional factor return (OLS slope of the label
//!   on the per-date standardised factor, [`crate::alpha::deep::loss::factor_return`]);
//! - IC^pool_k: the global term, the Pearson correlation over every
//!   stock-date of the batch of the per-date demeaned factor and label (one
//!   scale for the whole batch, so a date's dispersion of the factor counts);
//! - attention accuracy: 1 − Pearson correlation of f_tk and f̂_tk = F_t ā_tk
//!   (scale-free; f detached unless `attention_trains = "both"`);
//! - gates: Φ(μ_j/σ), the probability that gate j is open (not exactly 0)
//!   under the training noise, so Σ_j is the expected number of open gates.

use super::super::loss::{factor_return, ic};
use crate::spec::{DistanceTrains, E2eaiConfig};
use candle_core::{Result, Tensor, D};

const EPS: f64 = 1e-10;

/// One date's outputs and labels, and where its stocks sit in the previous
/// date of the batch.
pub struct DateTerms<'a> {
    pub f: &'a Tensor,
    pub fhat: &'a Tensor,
    pub returns: &'a Tensor,
    /// (rows of this date, rows of the previous date) of the stocks in both,
    /// when the previous sample date is in the batch.
    pub common: Option<(&'a Tensor, &'a Tensor)>,
}

/// The loss terms of a batch, each averaged as in the module docs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Parts {
    pub excess: f32,
    pub turnover: f32,
    pub factor_return: f32,
    pub global: f32,
    pub attention: f32,
    pub gates: f32,
}

impl Parts {
    /// The return terms: −P·excess + T·turnover − b·β − g·IC^pool (what
    /// `stop_on = "returns"` judges).
    pub fn returns(&self, w: &E2eaiConfig) -> f64 {
        -w.portfolio * f64::from(self.excess) + w.turnover * f64::from(self.turnover)
            - w.factor_return * f64::from(self.factor_return)
            - w.global * f64::from(self.global)
    }
}

/// Per-date standardised column (population std), n → n.
fn standardise(x: &Tensor) -> Result<Tensor> {
    let c = x.broadcast_sub(&x.mean_keepdim(0)?)?;
    let sd = (c.sqr()?.mean_keepdim(0)? + EPS)?.sqrt()?;
    c.broadcast_div(&sd)
}

/// Portfolio weights of a score column (n × 1): softmax(z / τ) over rows.
pub fn portfolio_weights(score: &Tensor, temperature: f64) -> Result<Tensor> {
    candle_nn::ops::softmax(&(standardise(score)? / temperature)?, 0)
}

/// Excess return Σ w r − mean r of weights and a label column (n × 1) → scalar.
pub fn excess_return(w: &Tensor, r: &Tensor) -> Result<Tensor> {
    (w * r)?.sum_all()? - r.mean_all()?
}

/// Turnover ½(Σ_common |w − w_prev| + (1 − Σ_common w) + (1 − Σ_common w_prev)).
pub fn turnover(w: &Tensor, prev: &Tensor, rows: &Tensor, prev_rows: &Tensor) -> Result<Tensor> {
    let a = w.index_select(rows, 0)?;
    let b = prev.index_select(prev_rows, 0)?;
    let moved = (&a - &b)?.abs()?.sum_all()?;
    let left = ((a.sum_all()? * -1.0)? + 1.0)?;
    let entered = ((b.sum_all()? * -1.0)? + 1.0)?;
    ((moved + left)? + entered)? * 0.5
}

/// The pooled IC per head over dates (each n_t × K, demeaned per date) → K.
pub fn pooled_ic(f: &[&Tensor], r: &[&Tensor]) -> Result<Tensor> {
    let (mut num, mut ff, mut rr) = (Vec::new(), Vec::new(), Vec::new());
    for (f, r) in f.iter().zip(r) {
        let fc = f.broadcast_sub(&f.mean_keepdim(0)?)?;
        let rc = r.broadcast_sub(&r.mean_keepdim(0)?)?;
        num.push((&fc * &rc)?.sum(0)?);
        ff.push(fc.sqr()?.sum(0)?);
        rr.push(rc.sqr()?.sum(0)?);
    }
    let sum = |v: Vec<Tensor>| Tensor::stack(&v, 0)?.sum(0);
    let den = ((sum(ff)? * sum(rr)?)? + EPS)?.sqrt()?;
    sum(num)? / den
}

/// The gate penalty Σ_j Φ(μ_j / σ).
pub fn open_gates(mu: &Tensor, sigma: f64) -> Result<Tensor> {
    let z = (mu / (sigma * std::f64::consts::SQRT_2))?;
    ((z.erf()? + 1.0)? * 0.5)?.sum_all()
}

/// The loss of a batch (dates in time order) and its parts.
pub fn batch_loss(
    dates: &[DateTerms<'_>],
    mu: &Tensor,
    score_head: usize,
    w: &E2eaiConfig,
) -> Result<(Tensor, Parts)> {
    let nd = dates.len() as f64;
    let (mut excess, mut betas, mut acc) = (Vec::new(), Vec::new(), Vec::new());
    let mut turns = Vec::new();
    let mut prev_w: Option<Tensor> = None;
    for d in dates {
        let score = d.f.narrow(D::Minus1, score_head, 1)?;
        let label = d.returns.narrow(D::Minus1, score_head, 1)?;
        let wt = portfolio_weights(&score, w.temperature)?;
        excess.push(excess_return(&wt, &label)?);
        if let (Some(p), Some((rows, prev_rows))) = (&prev_w, d.common) {
            turns.push(turnover(&wt, p, rows, prev_rows)?);
        }
        prev_w = Some(wt);
        betas.push(factor_return(d.f, d.returns)?);
        let f = match w.attention_trains {
            DistanceTrains::Both => d.f.clone(),
            DistanceTrains::Attention => d.f.detach(),
        };
        acc.push(((ic(&f, d.fhat)? * -1.0)? + 1.0)?);
    }
    let excess = (Tensor::stack(&excess, 0)?.sum(0)? / nd)?;
    let turnover = if turns.is_empty() {
        excess.zeros_like()?
    } else {
        Tensor::stack(&turns, 0)?.mean(0)?
    };
    let beta = Tensor::stack(&betas, 0)?.mean_all()?;
    let attention = Tensor::stack(&acc, 0)?.mean_all()?;
    let fs: Vec<&Tensor> = dates.iter().map(|d| d.f).collect();
    let rs: Vec<&Tensor> = dates.iter().map(|d| d.returns).collect();
    let global = pooled_ic(&fs, &rs)?.mean_all()?;
    let gates = open_gates(mu, w.gate_sigma)?;
    let loss = ((((((&excess * -w.portfolio)? + (&turnover * w.turnover)?)?
        - (&beta * w.factor_return)?)?
        - (&global * w.global)?)?
        + (&attention * w.attention)?)?
        + (&gates * w.gate_penalty)?)?;
    let s = |t: &Tensor| t.to_scalar::<f32>();
    let parts = Parts {
        excess: s(&excess)?,
        turnover: s(&turnover)?,
        factor_return: s(&beta)?,
        global: s(&global)?,
        attention: s(&attention)?,
        gates: s(&gates)?,
    };
    Ok((loss, parts))
}

#[cfg(test)]
mod tests;
