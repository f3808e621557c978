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
/// Windows with at least this many returns (days × names) fit their days
/// on two threads.
const PARALLEL_MIN_VALUES: usize = 20_000;

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
    estimate_split(
        ctx,
        symbols,
        (industry, n_industries),
        (styles, n_styles),
        window,
        PARALLEL_MIN_VALUES,
    )
}

/// [`estimate`], fitting the days on two threads from `parallel_min`
/// returns on (the tests compare both paths).
fn estimate_split(
    ctx: &Context<'_>,
    symbols: &[SymbolId],
    (industry, n_industries): (&[usize], usize),
    (styles, n_styles): (&[f64], usize),
    window: usize,
    parallel_min: usize,
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
    // Each day's regression is independent of the others: the factor
    // returns and squared residuals of a day are computed on their own (the
    // two halves of a large window on two threads), then the residuals are
    // summed per name in day order, so the split changes no bit.
    let mut f = vec![0.0; t * k];
    let mut res2 = vec![0.0; t * n];
    let r = &r;
    let fit_days = |d0: usize, days: usize, f: &mut [f64], res2: &mut [f64]| {
        let mut xtx = vec![0.0; k * k];
        let mut xtr = vec![0.0; k];
        for j in 0..days {
            let di = d0 + j;
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
                continue; // no return that day: f stays 0, no residual
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
                res2[j * n + i] = (ri - fit).powi(2);
            }
            f[j * k..(j + 1) * k].copy_from_slice(&fd);
        }
    };
    if t * n >= parallel_min && t >= 2 {
        let half = t / 2;
        let (fa, fb) = f.split_at_mut(half * k);
        let (ra, rb) = res2.split_at_mut(half * n);
        std::thread::scope(|scope| {
            scope.spawn(|| fit_days(half, t - half, fb, rb));
            fit_days(0, half, fa, ra);
        });
    } else {
        fit_days(0, t, &mut f, &mut res2);
    }
    let mut resid_sum = vec![0.0; n];
    let mut resid_n = vec![0usize; n];
    for di in 0..t {
        for i in 0..n {
            if r[di * n + i].is_finite() {
                resid_sum[i] += res2[di * n + i];
                resid_n[i] += 1;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{History, Names};
    use crate::data::Date;
    use crate::feed::{BarRow, DayBatch};

    /// 40 names × 120 days of deterministic closes, a few days without a
    /// trade, two industries and two styles: the model fitted on two
    /// threads equals the one fitted on one, bit for bit.
    #[test]
    fn test_split_over_two_threads_gives_the_same_bits() {
        let (n, days) = (40usize, 120usize);
        let names = Names {
            symbols: (0..n).map(|i| format!("S{i}")).collect(),
            industries: vec![],
            factors: vec![],
            library_factors: vec![],
            fundamental_fields: vec![],
        };
        let mut h = History::new(names, false);
        let start = Date::from_ymd_opt(2020, 1, 1).unwrap();
        for d in 0..days {
            let bars = (0..n)
                .filter(|&i| (d + i) % 17 != 0) // some names miss some days
                .map(|i| {
                    let x = ((d * 31 + i * 7) as f64 * 0.37).sin() * 0.02;
                    let close = 10.0 + i as f64 + (d as f64 * 0.05).cos() + x * 10.0;
                    BarRow {
                        symbol: SymbolId(i as u32),
                        open: close,
                        high: close,
                        low: close,
                        close,
                        volume: 1000.0,
                        amount: f64::NAN,
                        adj_factor: 1.0,
                        limit_up: f64::NAN,
                        limit_down: f64::NAN,
                    }
                })
                .collect();
            let mut batch = DayBatch {
                day: DayIndex(d as u32),
                date: start + chrono::Days::new(d as u64),
                bars,
                ..Default::default()
            };
            h.apply_close(&mut batch);
        }
        let ctx = h.context();
        let symbols: Vec<SymbolId> = (0..n as u32).map(SymbolId).collect();
        let industry: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let styles: Vec<f64> = (0..n * 2).map(|j| ((j * 13) as f64 * 0.71).sin()).collect();
        let fit = |parallel_min| {
            estimate_split(
                &ctx,
                &symbols,
                (&industry, 2),
                (&styles, 2),
                100,
                parallel_min,
            )
        };
        let (one, two) = (fit(usize::MAX), fit(0));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(one.days, 100);
        assert!(one.specific.iter().all(|v| v.is_finite() && *v > 0.0));
        assert!(one.factor_cov.iter().any(|v| *v != 0.0));
        assert_eq!(bits(&one.factor_cov), bits(&two.factor_cov));
        assert_eq!(bits(&one.specific), bits(&two.specific));
    }
}
