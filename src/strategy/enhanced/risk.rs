//! The point-in-time risk model: a fundamental factor model with industry
//! and style factors, estimated at each decision from the price history up
//! to the decision's close only.
//!
//! With `X` the exposures known at the decision (one industry dummy per
//! industry — names without an industry form their own group — and the
//! standardised styles), and `r_d` the adjusted-close returns of the
//! `window` trading days up to today (a return spans from the previous
//! traded close to the close of day `d`, so a suspension's move lands on
//! the day trading resumes; a name that did not trade on `d` has no return
//! that day):
//!
//! 1. each day, the factor returns `f_d` solve the cross-sectional
//!    least-squares regression `r_d = X f_d + u_d` over the names with a
//!    return that day (equal weights; a 1e-10 ridge keeps an industry with
//!    no such name at `f = 0`);
//! 2. `F` = the sample covariance of the `f_d` (ddof 1), × 252;
//! 3. the specific variance of a name is the mean of its squared residuals
//!    over its `n_i` days, shrunk toward the cross-sectional median `m`:
//!    `(n_i·s_i + 20·m) / (n_i + 20)`, × 252 (a name with no day gets `m`).
//!
//! The exposures are today's, applied to the whole window (the factor
//! returns are those of today's factor-mimicking portfolios): no exposure of
//! a later day is needed, and no return after today is read.

use crate::context::Context;
use crate::data::{DayIndex, SymbolId};

/// Annualisation of daily variances.
pub const ANNUALISATION: f64 = 252.0;
/// Pseudo-days of the specific-variance shrinkage.
pub const SHRINK_DAYS: f64 = 20.0;

/// The estimated model over the problem's names.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskModel {
    /// Factor covariance, `k × k` row-major, annualised.
    pub factor_cov: Vec<f64>,
    /// Specific variance per name, annualised.
    pub specific: Vec<f64>,
    /// Trading days of returns used.
    pub days: usize,
}

/// Estimates the model for `symbols` with industry indices `industry`
/// (`< n_industries`) and style exposures `styles` (row-major `symbols ×
/// n_styles`) over the last `window` days up to the context's today.
pub fn estimate(
    ctx: &Context<'_>,
    symbols: &[SymbolId],
    industry: &[usize],
    n_industries: usize,
    styles: &[f64],
    n_styles: usize,
    window: usize,
) -> RiskModel {
    let n = symbols.len();
    let k = n_industries + n_styles;
    let today = ctx.day().index();
    let first = (today + 1).saturating_sub(window).max(1);
    let days: Vec<usize> = (first..=today).collect();
    let t = days.len();
    // returns, day-major; NaN = none
    // (day by day: the history is day-major, so each day's closes are read
    // in one pass over its row)
    let mut r = vec![f64::NAN; t * n];
    let mut prev: Vec<f64> = symbols
        .iter()
        .map(|&s| ctx.close_adj_as_of(DayIndex((first - 1) as u32), s))
        .collect();
    for (di, &d) in days.iter().enumerate() {
        let row = &mut r[di * n..(di + 1) * n];
        for ((&s, p), out) in symbols.iter().zip(&mut prev).zip(row) {
            let c = ctx.close_adj_on(DayIndex(d as u32), s);
            if c.is_finite() {
                if p.is_finite() && *p > 0.0 {
                    *out = c / *p - 1.0;
                }
                *p = c;
            }
        }
    }
    let mut f = vec![0.0; t * k];
    let mut resid_sum = vec![0.0; n];
    let mut resid_n = vec![0usize; n];
    let mut xtx = vec![0.0; k * k];
    let mut xtr = vec![0.0; k];
    for di in 0..t {
        xtx.fill(0.0);
        xtr.fill(0.0);
        let row = &r[di * n..(di + 1) * n];
        let mut any = false;
        for i in 0..n {
            let ri = row[i];
            if !ri.is_finite() {
                continue;
            }
            any = true;
            let g = industry[i];
            let z = &styles[i * n_styles..(i + 1) * n_styles];
            xtx[g * k + g] += 1.0;
            xtr[g] += ri;
            for a in 0..n_styles {
                let ia = n_industries + a;
                xtx[g * k + ia] += z[a];
                xtx[ia * k + g] += z[a];
                xtr[ia] += z[a] * ri;
                // the upper triangle only: z[a]·z[b] = z[b]·z[a] exactly,
                // so the mirrored sum below is the same in every bit
                for b in a..n_styles {
                    xtx[ia * k + n_industries + b] += z[a] * z[b];
                }
            }
        }
        if !any {
            continue;
        }
        for a in 0..n_styles {
            for b in 0..a {
                let (ia, ib) = (n_industries + a, n_industries + b);
                xtx[ia * k + ib] = xtx[ib * k + ia];
            }
        }
        let trace: f64 = (0..k).map(|a| xtx[a * k + a]).sum();
        for a in 0..k {
            xtx[a * k + a] += 1e-10 * trace.max(1.0);
        }
        let fd = solve_spd(&xtx, &xtr, k);
        for i in 0..n {
            let ri = row[i];
            if !ri.is_finite() {
                continue;
            }
            let mut fit = fd[industry[i]];
            for a in 0..n_styles {
                fit += styles[i * n_styles + a] * fd[n_industries + a];
            }
            resid_sum[i] += (ri - fit).powi(2);
            resid_n[i] += 1;
        }
        f[di * k..(di + 1) * k].copy_from_slice(&fd);
    }
    let mut factor_cov = vec![0.0; k * k];
    if t >= 2 {
        let mean: Vec<f64> = (0..k)
            .map(|a| (0..t).map(|d| f[d * k + a]).sum::<f64>() / t as f64)
            .collect();
        for a in 0..k {
            for b in a..k {
                let c: f64 = (0..t)
                    .map(|d| (f[d * k + a] - mean[a]) * (f[d * k + b] - mean[b]))
                    .sum::<f64>()
                    / (t - 1) as f64
                    * ANNUALISATION;
                factor_cov[a * k + b] = c;
                factor_cov[b * k + a] = c;
            }
        }
    }
    let raw: Vec<f64> = (0..n)
        .map(|i| {
            if resid_n[i] > 0 {
                resid_sum[i] / resid_n[i] as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    let mut known: Vec<f64> = raw.iter().copied().filter(|v| v.is_finite()).collect();
    let median = if known.is_empty() {
        0.0
    } else {
        crate::factors::preprocess::median_in_place(&mut known)
    };
    let specific = raw
        .iter()
        .zip(&resid_n)
        .map(|(&v, &cnt)| {
            let s = if v.is_finite() {
                (cnt as f64 * v + SHRINK_DAYS * median) / (cnt as f64 + SHRINK_DAYS)
            } else {
                median
            };
            s * ANNUALISATION
        })
        .collect();
    RiskModel {
        factor_cov,
        specific,
        days: t,
    }
}

/// Solves the symmetric positive-definite system `a x = b` (`k × k`) by
/// Cholesky.
pub fn solve_spd(a: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let l = super::socp::cholesky(a, k);
    let mut y = vec![0.0; k];
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * k + p] * y[p];
        }
        y[i] = if l[i * k + i] > 0.0 {
            s / l[i * k + i]
        } else {
            0.0
        };
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = y[i];
        for p in i + 1..k {
            s -= l[p * k + i] * x[p];
        }
        x[i] = if l[i * k + i] > 0.0 {
            s / l[i * k + i]
        } else {
            0.0
        };
    }
    x
}
