//! Information coefficients: Pearson, average ranks, Spearman and the ICIR.

use super::stats::{is_constant, mean, mean_over_std};

/// Pearson correlation of paired samples:
/// `Σ (x_i − x̄)(y_i − ȳ) / √( Σ (x_i − x̄)² · Σ (y_i − ȳ)² )`,
/// computed in two passes and clamped to `[−1, 1]` against rounding.
///
/// NaN for fewer than two pairs or when either side is constant (zero
/// variance). NaN values propagate; filter them out first.
///
/// # Panics
///
/// Panics if `x` and `y` have different lengths: the inputs are pairs, so a
/// mismatch is a bug in the caller.
///
/// ```
/// // x̄ = ȳ = 2; dx = −1, 0, 1; dy = −1, 1, 0;
/// // Σ dx·dy = 1 + 0 + 0 = 1, Σ dx² = 2, Σ dy² = 2 → 1 / √(2·2) = 0.5
/// let r = alphasim::metrics::pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]);
/// assert!((r - 0.5).abs() < 1e-12);
/// ```
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(
        x.len(),
        y.len(),
        "pearson: x and y must be paired samples of equal length"
    );
    if x.len() < 2 || is_constant(x) || is_constant(y) {
        return f64::NAN;
    }
    let mx = mean(x);
    let my = mean(y);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let dx = a - mx;
        let dy = b - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// 1-based ranks, ties sharing the average of the ranks they span
/// (the "average" / fractional ranking used by Spearman's correlation):
/// a group of equal values at sorted positions `i..j` (0-based, `j`
/// exclusive) all get `(i + 1 + j) / 2`.
///
/// O(n log n): one stable sort of indices by value, then one pass over the
/// tie groups. Deterministic. Values compare with `==`, so `-0.0` and `0.0`
/// tie. NaN values should be filtered out first; if present they sort by
/// [`f64::total_cmp`] (a positive NaN above every number) and each NaN gets
/// its own rank.
///
/// ```
/// // 10 is 1st, the two 20s share positions 2 and 3 → (2 + 3) / 2 = 2.5, 30 is 4th
/// let ranks = alphasim::metrics::average_ranks(&[10.0, 20.0, 20.0, 30.0]);
/// assert_eq!(ranks, vec![1.0, 2.5, 2.5, 4.0]);
/// ```
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let value = x[order[start]];
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == value {
            end += 1;
        }
        // Positions start..end hold 1-based ranks start+1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman rank correlation:
/// `pearson(average_ranks(x), average_ranks(y))`, ties taking average ranks.
///
/// NaN for fewer than two pairs or when either side is all ties.
///
/// # Panics
///
/// Panics if `x` and `y` have different lengths.
///
/// ```
/// // ranks of x: 1, 2, 3, 4; ranks of y (10, 40, 20, 30): 1, 4, 2, 3.
/// // Both have mean 2.5; dx = −1.5, −0.5, 0.5, 1.5; dy = −1.5, 1.5, −0.5, 0.5;
/// // Σ dx·dy = 2.25 − 0.75 − 0.25 + 0.75 = 2, Σ dx² = Σ dy² = 5 → 2 / 5 = 0.4
/// let rho = alphasim::metrics::spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 40.0, 20.0, 30.0]);
/// assert!((rho - 0.4).abs() < 1e-12);
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(
        x.len(),
        y.len(),
        "spearman: x and y must be paired samples of equal length"
    );
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Information-coefficient information ratio: `mean(ic) / std(ic, ddof = 1)`,
/// not annualised. Works for IC and rank IC alike.
///
/// NaN entries (signal days whose IC was undefined, e.g. a constant score)
/// are skipped before computing. NaN if fewer than two values remain or they
/// are all equal (zero standard deviation).
///
/// ```
/// // NaN skipped; mean(0.02, 0.04) = 0.03; std = √((0.0001 + 0.0001) / 1) = 0.01·√2;
/// // 0.03 / (0.01·√2) = 3 / √2
/// let x = alphasim::metrics::icir(&[0.02, f64::NAN, 0.04]);
/// assert!((x - 3.0 / 2.0_f64.sqrt()).abs() < 1e-12);
/// ```
pub fn icir(ics: &[f64]) -> f64 {
    let valid: Vec<f64> = ics.iter().copied().filter(|v| !v.is_nan()).collect();
    mean_over_std(&valid, 0.0)
}
