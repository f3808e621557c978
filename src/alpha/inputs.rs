//! Per-date normalisation of a learned model's factor inputs
//! (`[model.samples] inputs`): z-score, rank-Gauss or robust z-score.
//!
//! Every rule works on one cross-section (one factor column on one date),
//! over its non-missing values, and writes 0 for a missing value — the
//! centre of every rule's output, so a missing value reads "average".
//!
//! - `zscore` (default): `(x − mean)/sd` (population sd), clipped to ±3
//!   ([`crate::metrics::zscore_clipped`]).
//! - `rank_gauss`: `Φ⁻¹((rank − 0.5)/n)` with `n` the non-missing count and
//!   ties sharing their average rank ([`crate::metrics::rank_gauss`]); a
//!   monotone coding of a factor (exp, sinh, a power) gives the same inputs
//!   as the factor itself, and a heavy tail cannot squeeze the bulk.
//!   Unclipped: with n ≤ 5,000 the extremes are within ±3.72.
//! - `robust`: `(x − median)/(1.4826·MAD)` clipped to ±3, with MAD the
//!   median absolute deviation (1.4826·MAD is the sd of a normal sample).
//!   When more than half the values are equal the MAD is 0; the scale then
//!   falls back to `1.2533·mean|x − median|` (the sd of a normal sample
//!   again), and to all-zeros when that is 0 too.

use crate::factors::preprocess::median_in_place;
use crate::metrics::{rank_gauss, zscore_clipped};
use crate::spec::InputNorm;

/// Clip bound of `zscore` and `robust`.
const CLIP: f64 = 3.0;

/// Normalises one cross-section in place under `norm` (see the module docs).
pub fn normalise(values: &mut [f64], norm: InputNorm) {
    match norm {
        InputNorm::Zscore => zscore_clipped(values),
        InputNorm::RankGauss => rank_gauss_in_place(values),
        InputNorm::Robust => robust_in_place(values),
    }
}

fn present(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| !v.is_nan()).collect()
}

fn rank_gauss_in_place(values: &mut [f64]) {
    let g = rank_gauss(&present(values));
    let mut g = g.into_iter();
    for v in values.iter_mut() {
        *v = if v.is_nan() {
            0.0
        } else {
            g.next().expect("one transform per present value")
        };
    }
}

fn robust_in_place(values: &mut [f64]) {
    let mut x = present(values);
    if x.is_empty() {
        values.fill(0.0);
        return;
    }
    let median = median_in_place(&mut x);
    let mut dev: Vec<f64> = x.iter().map(|v| (v - median).abs()).collect();
    let mean_dev = dev.iter().sum::<f64>() / dev.len() as f64;
    let mad = median_in_place(&mut dev);
    let scale = if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * mean_dev
    };
    for v in values.iter_mut() {
        *v = if v.is_nan() || scale == 0.0 {
            0.0
        } else {
            ((*v - median) / scale).clamp(-CLIP, CLIP)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn test_rank_gauss_skips_missing_and_ignores_monotone_codings() {
        // present values 5, 1, 3 → ranks 3, 1, 2 of n = 3 → p = 5/6, 1/6, 1/2
        let q = 0.967_421_566_101_701_4; // Φ⁻¹(5/6), from Python's NormalDist
        let mut v = [5.0, f64::NAN, 1.0, 3.0];
        normalise(&mut v, InputNorm::RankGauss);
        close(&v, &[q, 0.0, -q, 0.0]);
        // exp() of the same column: the same inputs
        let mut e = [5f64.exp(), f64::NAN, 1f64.exp(), 3f64.exp()];
        normalise(&mut e, InputNorm::RankGauss);
        close(&e, &v);
    }

    #[test]
    fn test_robust_hand_case_and_clip() {
        // 1, 2, 3, 4, 100: median 3, |dev| = 2, 1, 0, 1, 97 → MAD 1
        let s = 1.4826;
        let mut v = [1.0, 2.0, 3.0, 4.0, 100.0, f64::NAN];
        normalise(&mut v, InputNorm::Robust);
        close(&v, &[-2.0 / s, -1.0 / s, 0.0, 1.0 / s, 3.0, 0.0]);
    }

    #[test]
    fn test_robust_zero_mad_falls_back_to_mean_deviation() {
        // 0, 0, 0, 4: median 0, MAD 0, mean |dev| = 1 → scale 1.2533
        let mut v = [0.0, 0.0, 0.0, 4.0];
        normalise(&mut v, InputNorm::Robust);
        close(&v, &[0.0, 0.0, 0.0, (4.0f64 / 1.2533).min(3.0)]);
        let mut c = [2.0, 2.0];
        normalise(&mut c, InputNorm::Robust);
        close(&c, &[0.0, 0.0]);
    }

    #[test]
    fn test_zscore_is_the_metrics_rule() {
        let mut a = [1.0, 2.0, f64::NAN, 6.0];
        let mut b = a;
        normalise(&mut a, InputNorm::Zscore);
        zscore_clipped(&mut b);
        close(&a, &b);
    }
}
