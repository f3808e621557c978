//! Performance and signal metrics of a backtest, as defined in section 4 of
//! `DESIGN.md`: annual return, alpha (arithmetic and geometric), tracking
//! error, information ratio, Sharpe ratio, volatility, maximum drawdown,
//! Pearson and Spearman information coefficients with their ICIR, hit rate,
//! quantile (decile) buckets and turnover. Every function is a pure function
//! on `f64` slices with no state and no dependency beyond `std`, so the
//! report, the sweep and the tests all compute a metric the same way.
//!
//! Conventions shared by every function:
//! - `annualisation` is the number of return periods per year `N` (252 for
//!   daily returns); a daily quantity becomes annual by `× N` (means) or
//!   `× √N` (standard deviations and ratios of mean to standard deviation).
//! - Standard deviations are sample standard deviations (`ddof = 1`).
//! - An undefined value is `f64::NAN`, never a panic: an empty input, fewer
//!   than two observations where a standard deviation is needed, or a zero
//!   standard deviation in a denominator. NaN inputs propagate into the result
//!   unless a function says it skips them (only [`icir`] does).
//!
//! Design notes: means and variances are computed in two passes (the mean
//! first, then the sum of squared deviations from it), and the mean itself is
//! refined by the mean of the residuals, which keeps small daily returns
//! accurate without a compensated-summation dependency. "Zero variance" is
//! detected exactly (all values equal) rather than by comparing a rounded
//! variance with `0.0`, so a constant series gives NaN ratios and not a huge
//! number produced by rounding noise.

/// Arithmetic mean `Σ x_i / n`, NaN for an empty slice.
///
/// Computed in two passes: `m = Σ x_i / n`, then refined by the mean residual,
/// `m + Σ (x_i − m) / n`, which removes most of the rounding error of the
/// first pass.
///
/// ```
/// // (1 + 2 + 3 + 4) / 4 = 10 / 4 = 2.5
/// assert!((alphasim::metrics::mean(&[1.0, 2.0, 3.0, 4.0]) - 2.5).abs() < 1e-12);
/// assert!(alphasim::metrics::mean(&[]).is_nan());
/// ```
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let n = x.len() as f64;
    let first = x.iter().sum::<f64>() / n;
    if !first.is_finite() {
        return first;
    }
    let correction = x.iter().map(|v| v - first).sum::<f64>() / n;
    first + correction
}

/// Sample standard deviation with `ddof = 1`:
/// `√( Σ (x_i − mean(x))² / (n − 1) )`. NaN for fewer than two values;
/// exactly `0.0` when every value is equal.
///
/// ```
/// // mean = 2.5, deviations −1.5, −0.5, 0.5, 1.5,
/// // squares 2.25 + 0.25 + 0.25 + 2.25 = 5, divided by n − 1 = 3: √(5/3)
/// let s = alphasim::metrics::std_sample(&[1.0, 2.0, 3.0, 4.0]);
/// assert!((s - (5.0_f64 / 3.0).sqrt()).abs() < 1e-12);
/// assert!(alphasim::metrics::std_sample(&[1.0]).is_nan());
/// ```
pub fn std_sample(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    if is_constant(x) {
        return 0.0;
    }
    let m = mean(x);
    let sum_sq = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>();
    (sum_sq / (x.len() - 1) as f64).sqrt()
}

/// Annualised (geometric) return over a window of `n_returns` periods:
/// `(nav_end / nav_start)^(N / n) − 1` with `N = annualisation`.
///
/// NaN if `n_returns == 0` (no elapsed time). The NAVs are expected to be
/// positive; a non-positive ratio gives NaN (or −1 for `nav_end = 0`).
///
/// ```
/// // 100 → 121 over 504 daily returns = two years of 252:
/// // (121/100)^(252/504) − 1 = 1.21^0.5 − 1 = 1.1 − 1 = 0.1
/// let r = alphasim::metrics::annual_return(100.0, 121.0, 504, 252);
/// assert!((r - 0.1).abs() < 1e-12);
/// ```
pub fn annual_return(nav_start: f64, nav_end: f64, n_returns: usize, annualisation: u32) -> f64 {
    if n_returns == 0 {
        return f64::NAN;
    }
    let years_inverse = f64::from(annualisation) / n_returns as f64;
    (nav_end / nav_start).powf(years_inverse) - 1.0
}

/// Annualised arithmetic active return (the paper's α):
/// `mean(e) × N` for per-period excess returns `e = r − b`. NaN for an
/// empty slice.
///
/// ```
/// // mean(0.01, −0.01, 0.02) = 0.02 / 3, times N = 252
/// assert!((alphasim::metrics::alpha(&[0.01, -0.01, 0.02], 252) - 0.02 / 3.0 * 252.0).abs() < 1e-12);
/// ```
pub fn alpha(excess: &[f64], annualisation: u32) -> f64 {
    mean(excess) * f64::from(annualisation)
}

/// Geometric excess of two annual returns: `(1 + R) / (1 + B) − 1`, where
/// `R` is the portfolio's and `B` the benchmark's annual return.
///
/// ```
/// // (1 + 0.21) / (1 + 0.10) − 1 = 1.21 / 1.1 − 1 = 1.1 − 1 = 0.1
/// let x = alphasim::metrics::excess_geometric(0.21, 0.10);
/// assert!((x - 0.1).abs() < 1e-12);
/// ```
pub fn excess_geometric(annual_portfolio: f64, annual_benchmark: f64) -> f64 {
    (1.0 + annual_portfolio) / (1.0 + annual_benchmark) - 1.0
}

/// Annualised tracking error: `std(e, ddof = 1) × √N`. NaN for fewer than two
/// excess returns; `0.0` when the excess return is constant.
///
/// ```
/// // mean(0.01, −0.01) = 0, squared deviations 0.0001 + 0.0001 = 0.0002,
/// // divided by n − 1 = 1: std = √0.0002 = 0.01·√2; times √252: 0.01·√504
/// let te = alphasim::metrics::tracking_error(&[0.01, -0.01], 252);
/// assert!((te - 0.01 * 504.0_f64.sqrt()).abs() < 1e-12);
/// ```
pub fn tracking_error(excess: &[f64], annualisation: u32) -> f64 {
    std_sample(excess) * f64::from(annualisation).sqrt()
}

/// Annualised information ratio: `mean(e) / std(e, ddof = 1) × √N`.
/// NaN for fewer than two excess returns or when they are all equal (zero
/// standard deviation).
///
/// ```
/// // mean(0.01, 0.03) = 0.02; deviations ±0.01, std = √(0.0002 / 1) = 0.01·√2;
/// // 0.02 / (0.01·√2) = √2; times √252: √504
/// let ir = alphasim::metrics::information_ratio(&[0.01, 0.03], 252);
/// assert!((ir - 504.0_f64.sqrt()).abs() < 1e-12);
/// ```
pub fn information_ratio(excess: &[f64], annualisation: u32) -> f64 {
    mean_over_std(excess, 0.0) * f64::from(annualisation).sqrt()
}

/// Per-period risk-free rate equivalent to an annual rate:
/// `rf_d = (1 + rf)^(1/N) − 1`, so that compounding `rf_d` over `N` periods
/// gives `rf`.
///
/// ```
/// // two periods per year at 21% a year: 1.21^(1/2) − 1 = 1.1 − 1 = 0.1
/// let rf_d = alphasim::metrics::risk_free_daily(0.21, 2);
/// assert!((rf_d - 0.1).abs() < 1e-12);
/// ```
pub fn risk_free_daily(rf_annual: f64, annualisation: u32) -> f64 {
    (1.0 + rf_annual).powf(1.0 / f64::from(annualisation)) - 1.0
}

/// Annualised Sharpe ratio:
/// `(mean(r) − rf_d) / std(r, ddof = 1) × √N` with
/// `rf_d = `[`risk_free_daily`]`(rf_annual, N)`. NaN for fewer than two
/// returns or when they are all equal (zero standard deviation).
///
/// ```
/// // N = 2, rf = 21% → rf_d = √1.21 − 1 = 0.1.
/// // mean(0.2, 0.4) = 0.3, minus 0.1 = 0.2; std = √((0.01 + 0.01) / 1) = 0.1·√2;
/// // 0.2 / (0.1·√2) = √2; times √2 = 2
/// let s = alphasim::metrics::sharpe(&[0.2, 0.4], 0.21, 2);
/// assert!((s - 2.0).abs() < 1e-12);
/// ```
pub fn sharpe(returns: &[f64], rf_annual: f64, annualisation: u32) -> f64 {
    let rf_d = risk_free_daily(rf_annual, annualisation);
    mean_over_std(returns, rf_d) * f64::from(annualisation).sqrt()
}

/// Annualised volatility: `std(r, ddof = 1) × √N`. NaN for fewer than two
/// returns; `0.0` for a constant series.
///
/// ```
/// // std(0.01, 0.03) = √((0.0001 + 0.0001) / 1) = 0.01·√2; times √4 = 2: 0.02·√2
/// let v = alphasim::metrics::volatility(&[0.01, 0.03], 4);
/// assert!((v - 0.02 * 2.0_f64.sqrt()).abs() < 1e-12);
/// ```
pub fn volatility(returns: &[f64], annualisation: u32) -> f64 {
    std_sample(returns) * f64::from(annualisation).sqrt()
}

/// Maximum drawdown of a NAV path:
/// `min over i of nav[i] / max(nav[0..=i]) − 1`.
///
/// The first element is the base (NAV at t0) and is part of the running
/// maximum, so a path that only falls from its start has a drawdown. The
/// result is `≤ 0`; it is `0.0` for an empty slice or a non-decreasing path.
/// NAVs are expected to be positive. Apply it to a NAV, a benchmark level or
/// a NAV/benchmark ratio alike.
///
/// ```
/// // running max 100, 120, 120, 130, 130; ratios 1, 1, 90/120 = 0.75, 1, 117/130 = 0.9;
/// // the minimum is 0.75, so the drawdown is 0.75 − 1 = −0.25
/// let dd = alphasim::metrics::max_drawdown(&[100.0, 120.0, 90.0, 130.0, 117.0]);
/// assert!((dd - (-0.25)).abs() < 1e-12);
/// ```
pub fn max_drawdown(nav: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut worst = 0.0_f64;
    for &v in nav {
        if v > peak {
            peak = v;
        }
        let drawdown = v / peak - 1.0;
        if drawdown < worst {
            worst = drawdown;
        }
    }
    worst
}

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

/// Hit rate: the share of entries strictly greater than zero,
/// `#{e_i > 0} / n`. Zero counts as a miss, and so does a NaN entry (it stays
/// in the denominator). NaN for an empty slice.
///
/// ```
/// // 0.01 and 0.03 are > 0; −0.02 and 0.0 are not: 2 / 4 = 0.5
/// let h = alphasim::metrics::hit_rate(&[0.01, -0.02, 0.0, 0.03]);
/// assert!((h - 0.5).abs() < 1e-12);
/// ```
pub fn hit_rate(excess: &[f64]) -> f64 {
    if excess.is_empty() {
        return f64::NAN;
    }
    let hits = excess.iter().filter(|&&v| v > 0.0).count();
    hits as f64 / excess.len() as f64
}

/// Quantile bucket of each position of `n` items already sorted ascending by
/// score: `bucket(i) = floor(i × q / n)`, from `0` (lowest scores) to `q − 1`
/// (highest).
///
/// Bucket sizes differ by at most one; when `q` does not divide `n` the lower
/// buckets take the extra items. With `n < q` some buckets are empty (each
/// item still gets a bucket, but not every bucket gets an item). `n = 0`
/// gives an empty vector.
///
/// # Panics
///
/// Panics if `q == 0` (there must be at least one bucket).
///
/// ```
/// // i × 2 / 5 for i = 0..5: 0/5, 2/5, 4/5, 6/5, 8/5 → floors 0, 0, 0, 1, 1
/// assert_eq!(alphasim::metrics::quantile_buckets(5, 2), vec![0, 0, 0, 1, 1]);
/// ```
pub fn quantile_buckets(n: usize, q: usize) -> Vec<usize> {
    assert!(q > 0, "quantile_buckets: q must be at least 1");
    // u128 so that i × q cannot overflow whatever n and q are.
    (0..n)
        .map(|i| usize::try_from(i as u128 * q as u128 / n as u128).expect("bucket < q fits usize"))
        .collect()
}

/// Mean of the values in each quantile bucket of [`quantile_buckets`], for
/// values already sorted ascending by score (e.g. forward returns ordered by
/// the score that predicted them). Returns `q` means, bucket 0 (lowest
/// scores) first; an empty bucket (possible when fewer than `q` values) is
/// NaN. The top-minus-bottom spread is `last − first`.
///
/// # Panics
///
/// Panics if `q == 0`.
///
/// ```
/// // buckets of 6 items in 3: 0, 0, 1, 1, 2, 2 → means (1+2)/2, (3+4)/2, (5+6)/2
/// let m = alphasim::metrics::quantile_means(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3);
/// assert_eq!(m, vec![1.5, 3.5, 5.5]);
/// ```
pub fn quantile_means(sorted_values: &[f64], q: usize) -> Vec<f64> {
    let buckets = quantile_buckets(sorted_values.len(), q);
    // Buckets are contiguous runs of positions, so each bucket is a sub-slice.
    let mut means = Vec::with_capacity(q);
    let mut start = 0;
    for bucket in 0..q {
        let mut end = start;
        while end < buckets.len() && buckets[end] == bucket {
            end += 1;
        }
        means.push(mean(&sorted_values[start..end]));
        start = end;
    }
    means
}

/// Turnover of one rebalance: `(buys + sells) / (2 × pre_trade_value)`, with
/// `buys` and `sells` the traded values (positive amounts) and
/// `pre_trade_value` the portfolio value before trading. A full switch of
/// holdings gives 1; building from cash gives 0.5.
///
/// NaN when `pre_trade_value` is not positive (no portfolio to turn over).
///
/// ```
/// // (30 + 20) / (2 × 100) = 50 / 200 = 0.25
/// let t = alphasim::metrics::turnover(30.0, 20.0, 100.0);
/// assert!((t - 0.25).abs() < 1e-12);
/// ```
pub fn turnover(buys: f64, sells: f64, pre_trade_value: f64) -> f64 {
    if pre_trade_value.is_nan() || pre_trade_value <= 0.0 {
        return f64::NAN;
    }
    (buys + sells) / (2.0 * pre_trade_value)
}

/// NAV path from per-period returns: `base` followed by
/// `base × Π_{j ≤ i} (1 + r_j)` for each `i`, so the result has
/// `returns.len() + 1` entries and starts at the base.
///
/// ```
/// // 100, then 100 × 1.1 = 110, then 110 × (1 − 0.5) = 55
/// let nav = alphasim::metrics::cumulative_nav(&[0.1, -0.5], 100.0);
/// assert_eq!(nav.len(), 3);
/// assert!((nav[1] - 110.0).abs() < 1e-9 && (nav[2] - 55.0).abs() < 1e-9);
/// ```
pub fn cumulative_nav(returns: &[f64], base: f64) -> Vec<f64> {
    let mut nav = Vec::with_capacity(returns.len() + 1);
    nav.push(base);
    let mut level = base;
    for r in returns {
        level *= 1.0 + r;
        nav.push(level);
    }
    nav
}

/// True when every value equals the first (`==`, so NaN is never constant).
fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|&v| v == x[0])
}

/// `(mean(x) − shift) / std(x, ddof = 1)`; NaN for fewer than two values or
/// a constant series (zero standard deviation).
fn mean_over_std(x: &[f64], shift: f64) -> f64 {
    if x.len() < 2 || is_constant(x) {
        return f64::NAN;
    }
    (mean(x) - shift) / std_sample(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    /// Asserts `|actual − expected| ≤ tol`; an expected NaN requires a NaN.
    fn assert_close(actual: f64, expected: f64, tol: f64) {
        if expected.is_nan() {
            assert!(actual.is_nan(), "expected NaN, got {actual}");
        } else {
            assert!(
                (actual - expected).abs() <= tol,
                "expected {expected}, got {actual} (tolerance {tol})"
            );
        }
    }

    fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64) {
        assert_eq!(actual.len(), expected.len(), "lengths differ");
        for (&a, &e) in actual.iter().zip(expected) {
            assert_close(a, e, tol);
        }
    }

    /// Deterministic pseudo-random integers in `0..modulo` (64-bit LCG), so
    /// randomised checks need no dependency and always see the same data.
    fn lcg_values(n: usize, seed: u64, modulo: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 33) % modulo) as f64
            })
            .collect()
    }

    #[test]
    fn test_mean_simple() {
        // (1 + 2 + 6) / 3 = 3
        assert_close(mean(&[1.0, 2.0, 6.0]), 3.0, TOL);
    }

    #[test]
    fn test_mean_empty_is_nan() {
        assert_close(mean(&[]), f64::NAN, TOL);
    }

    #[test]
    fn test_mean_single() {
        assert_close(mean(&[-0.25]), -0.25, TOL);
    }

    #[test]
    fn test_mean_large_offset_is_accurate() {
        // 1e9 + {1, 2, 3, 4}: the exact mean is 1e9 + 2.5.
        let x = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0, 1e9 + 4.0];
        assert_close(mean(&x), 1e9 + 2.5, 1e-6);
    }

    #[test]
    fn test_mean_constant_is_exact() {
        let x = [0.1; 7];
        assert_eq!(mean(&x), 0.1);
    }

    #[test]
    fn test_std_sample_simple() {
        // mean 5; deviations −3, −1, −1, −1, 0, 0, 2, 4; squares sum 9+1+1+1+0+0+4+16 = 32;
        // / (8 − 1) = 32/7
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_close(std_sample(&x), (32.0_f64 / 7.0).sqrt(), TOL);
    }

    #[test]
    fn test_std_sample_empty_is_nan() {
        assert_close(std_sample(&[]), f64::NAN, TOL);
    }

    #[test]
    fn test_std_sample_single_is_nan() {
        assert_close(std_sample(&[3.0]), f64::NAN, TOL);
    }

    #[test]
    fn test_std_sample_constant_is_zero() {
        assert_eq!(std_sample(&[0.01; 5]), 0.0);
    }

    #[test]
    fn test_std_sample_large_offset_is_accurate() {
        // Same as 1, 2, 3, 4 shifted by 1e9: √(5/3). A one-pass Σx² − n·x̄²
        // formula loses every digit here.
        let x = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0, 1e9 + 4.0];
        assert_close(std_sample(&x), (5.0_f64 / 3.0).sqrt(), 1e-6);
    }

    #[test]
    fn test_annual_return_one_year() {
        // n = N: the annual return is the total return, 110/100 − 1 = 0.1
        assert_close(annual_return(100.0, 110.0, 252, 252), 0.1, TOL);
    }

    #[test]
    fn test_annual_return_half_year() {
        // 126 of 252 days: (1.1)^(252/126) − 1 = 1.21 − 1 = 0.21
        assert_close(annual_return(1.0, 1.1, 126, 252), 0.21, TOL);
    }

    #[test]
    fn test_annual_return_flat_is_zero() {
        assert_close(annual_return(5.0, 5.0, 17, 252), 0.0, TOL);
    }

    #[test]
    fn test_annual_return_zero_periods_is_nan() {
        assert_close(annual_return(100.0, 110.0, 0, 252), f64::NAN, TOL);
    }

    #[test]
    fn test_alpha_simple() {
        // mean(0.001, 0.003) = 0.002, × 252 = 0.504
        assert_close(alpha(&[0.001, 0.003], 252), 0.504, TOL);
    }

    #[test]
    fn test_alpha_empty_is_nan() {
        assert_close(alpha(&[], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_excess_geometric_equal_is_zero() {
        assert_close(excess_geometric(0.07, 0.07), 0.0, TOL);
    }

    #[test]
    fn test_excess_geometric_negative_benchmark() {
        // (1 + 0) / (1 − 0.2) − 1 = 1.25 − 1 = 0.25
        assert_close(excess_geometric(0.0, -0.2), 0.25, TOL);
    }

    #[test]
    fn test_tracking_error_simple() {
        // std(1, 2, 3, 4) = √(5/3); × √4 = 2·√(5/3)
        assert_close(
            tracking_error(&[1.0, 2.0, 3.0, 4.0], 4),
            2.0 * (5.0_f64 / 3.0).sqrt(),
            TOL,
        );
    }

    #[test]
    fn test_tracking_error_single_is_nan() {
        assert_close(tracking_error(&[0.01], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_tracking_error_constant_is_zero() {
        assert_close(tracking_error(&[0.002; 4], 252), 0.0, TOL);
    }

    #[test]
    fn test_information_ratio_simple() {
        // mean(1, 2, 3, 4) = 2.5; std = √(5/3); × √4 = 2
        let expected = 2.5 / (5.0_f64 / 3.0).sqrt() * 2.0;
        assert_close(information_ratio(&[1.0, 2.0, 3.0, 4.0], 4), expected, TOL);
    }

    #[test]
    fn test_information_ratio_zero_variance_is_nan() {
        assert_close(information_ratio(&[0.001; 10], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_information_ratio_single_is_nan() {
        assert_close(information_ratio(&[0.01], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_information_ratio_empty_is_nan() {
        assert_close(information_ratio(&[], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_risk_free_daily_zero() {
        assert_close(risk_free_daily(0.0, 252), 0.0, TOL);
    }

    #[test]
    fn test_risk_free_daily_compounds_back() {
        // Compounding rf_d over N periods must give rf back.
        let rf_d = risk_free_daily(0.03, 252);
        assert_close((1.0 + rf_d).powi(252) - 1.0, 0.03, 1e-12);
    }

    #[test]
    fn test_sharpe_zero_rf_equals_information_ratio_formula() {
        // With rf = 0 the Sharpe ratio is mean/std × √N: mean(0.01, 0.03) = 0.02,
        // std = 0.01·√2 → √2 · √252 = √504
        assert_close(sharpe(&[0.01, 0.03], 0.0, 252), 504.0_f64.sqrt(), TOL);
    }

    #[test]
    fn test_sharpe_with_risk_free() {
        // N = 4, rf = 1.1^4 − 1 so rf_d = 0.1. mean(0.1, 0.3) = 0.2, minus 0.1 = 0.1;
        // std = 0.1·√2 → 1/√2; × √4 = √2
        let rf = 1.1_f64.powi(4) - 1.0;
        assert_close(sharpe(&[0.1, 0.3], rf, 4), 2.0_f64.sqrt(), 1e-12);
    }

    #[test]
    fn test_sharpe_zero_variance_is_nan() {
        assert_close(sharpe(&[0.01, 0.01, 0.01], 0.0, 252), f64::NAN, TOL);
    }

    #[test]
    fn test_sharpe_single_is_nan() {
        assert_close(sharpe(&[0.01], 0.0, 252), f64::NAN, TOL);
    }

    #[test]
    fn test_volatility_simple() {
        // std(−0.01, 0.01) = √(0.0002 / 1); × √252
        assert_close(
            volatility(&[-0.01, 0.01], 252),
            (0.0002_f64 * 252.0).sqrt(),
            TOL,
        );
    }

    #[test]
    fn test_volatility_single_is_nan() {
        assert_close(volatility(&[0.01], 252), f64::NAN, TOL);
    }

    #[test]
    fn test_max_drawdown_empty_is_zero() {
        assert_close(max_drawdown(&[]), 0.0, TOL);
    }

    #[test]
    fn test_max_drawdown_monotone_up_is_zero() {
        assert_close(max_drawdown(&[1.0, 1.0, 1.5, 2.0]), 0.0, TOL);
    }

    #[test]
    fn test_max_drawdown_base_included() {
        // The path only falls from its base: 80/100 − 1 = −0.2
        assert_close(max_drawdown(&[100.0, 90.0, 80.0, 95.0]), -0.2, TOL);
    }

    #[test]
    fn test_max_drawdown_later_deeper_trough() {
        // peaks 100 then 200; troughs 90/100 − 1 = −0.1 and 120/200 − 1 = −0.4
        assert_close(max_drawdown(&[100.0, 90.0, 200.0, 120.0, 150.0]), -0.4, TOL);
    }

    #[test]
    fn test_pearson_perfect_positive() {
        assert_close(pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), 1.0, TOL);
    }

    #[test]
    fn test_pearson_perfect_negative() {
        assert_close(pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0, TOL);
    }

    #[test]
    fn test_pearson_empty_is_nan() {
        assert_close(pearson(&[], &[]), f64::NAN, TOL);
    }

    #[test]
    fn test_pearson_single_pair_is_nan() {
        assert_close(pearson(&[1.0], &[2.0]), f64::NAN, TOL);
    }

    #[test]
    fn test_pearson_zero_variance_is_nan() {
        assert_close(pearson(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]), f64::NAN, TOL);
        assert_close(pearson(&[0.3, 0.3, 0.3], &[1.0, 2.0, 3.0]), f64::NAN, TOL);
    }

    #[test]
    fn test_pearson_within_bounds() {
        // Nearly collinear data must not round to |r| > 1.
        let x: Vec<f64> = (0..1000).map(|i| 0.1 * f64::from(i)).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1e6).collect();
        let r = pearson(&x, &y);
        assert!(r <= 1.0 && r > 1.0 - 1e-12, "r = {r}");
    }

    #[test]
    #[should_panic(expected = "equal length")]
    fn test_pearson_length_mismatch_panics() {
        pearson(&[1.0, 2.0], &[1.0]);
    }

    #[test]
    fn test_average_ranks_ties() {
        let expected = vec![1.0, 2.5, 2.5, 4.0];
        assert_all_close(&average_ranks(&[10.0, 20.0, 20.0, 30.0]), &expected, TOL);
    }

    #[test]
    fn test_average_ranks_unsorted_input() {
        // sorted: 1 (idx 2), 3 (idx 0, 4 → ranks 2, 3 → 2.5), 7 (idx 1), 9 (idx 3)
        let expected = vec![2.5, 4.0, 1.0, 5.0, 2.5];
        assert_all_close(&average_ranks(&[3.0, 7.0, 1.0, 9.0, 3.0]), &expected, TOL);
    }

    #[test]
    fn test_average_ranks_all_tied() {
        // three ties over ranks 1, 2, 3 → 2 each
        assert_all_close(&average_ranks(&[4.0; 3]), &[2.0; 3], TOL);
    }

    #[test]
    fn test_average_ranks_empty() {
        assert!(average_ranks(&[]).is_empty());
    }

    #[test]
    fn test_average_ranks_signed_zero_ties() {
        assert_all_close(&average_ranks(&[0.0, -0.0, -1.0]), &[2.5, 2.5, 1.0], TOL);
    }

    #[test]
    fn test_average_ranks_matches_naive() {
        // Reference computed another way, O(n²): rank = (#less) + (#equal + 1) / 2.
        let x = lcg_values(500, 42, 37);
        let expected: Vec<f64> = x
            .iter()
            .map(|&v| {
                let less = x.iter().filter(|&&w| w < v).count() as f64;
                let equal = x.iter().filter(|&&w| w == v).count() as f64;
                less + (equal + 1.0) / 2.0
            })
            .collect();
        assert_all_close(&average_ranks(&x), &expected, TOL);
    }

    #[test]
    fn test_spearman_monotone_is_one() {
        // Monotone but non-linear: ranks agree exactly.
        assert_close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 8.0, 27.0, 64.0]),
            1.0,
            TOL,
        );
    }

    #[test]
    fn test_spearman_ties() {
        // ranks x: 1, 2.5, 2.5, 4; ranks y: 1, 2, 3, 4; both mean 2.5.
        // dx = −1.5, 0, 0, 1.5; dy = −1.5, −0.5, 0.5, 1.5;
        // Σ dx·dy = 2.25 + 2.25 = 4.5; Σ dx² = 4.5; Σ dy² = 5 → 4.5 / √22.5
        let expected = 4.5 / 22.5_f64.sqrt();
        assert_close(
            spearman(&[1.0, 2.0, 2.0, 3.0], &[10.0, 20.0, 30.0, 40.0]),
            expected,
            TOL,
        );
    }

    #[test]
    fn test_spearman_all_tied_is_nan() {
        assert_close(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), f64::NAN, TOL);
    }

    #[test]
    fn test_spearman_single_is_nan() {
        assert_close(spearman(&[1.0], &[1.0]), f64::NAN, TOL);
    }

    #[test]
    #[should_panic(expected = "equal length")]
    fn test_spearman_length_mismatch_panics() {
        spearman(&[1.0], &[1.0, 2.0]);
    }

    #[test]
    fn test_icir_simple() {
        // mean(0.1, 0.2, 0.3) = 0.2; std = √((0.01 + 0 + 0.01) / 2) = 0.1 → 2
        assert_close(icir(&[0.1, 0.2, 0.3]), 2.0, 1e-12);
    }

    #[test]
    fn test_icir_skips_nan() {
        assert_close(icir(&[f64::NAN, 0.1, 0.2, f64::NAN, 0.3]), 2.0, 1e-12);
    }

    #[test]
    fn test_icir_fewer_than_two_is_nan() {
        assert_close(icir(&[]), f64::NAN, TOL);
        assert_close(icir(&[0.05]), f64::NAN, TOL);
        assert_close(icir(&[0.05, f64::NAN]), f64::NAN, TOL);
    }

    #[test]
    fn test_icir_zero_std_is_nan() {
        assert_close(icir(&[0.05, 0.05, 0.05]), f64::NAN, TOL);
    }

    #[test]
    fn test_hit_rate_zero_is_miss() {
        // only 0.1 is strictly positive: 1 / 3
        assert_close(hit_rate(&[0.1, 0.0, -0.1]), 1.0 / 3.0, TOL);
    }

    #[test]
    fn test_hit_rate_empty_is_nan() {
        assert_close(hit_rate(&[]), f64::NAN, TOL);
    }

    #[test]
    fn test_hit_rate_nan_counts_as_miss() {
        assert_close(hit_rate(&[0.1, f64::NAN]), 0.5, TOL);
    }

    #[test]
    fn test_quantile_buckets_even_split() {
        assert_eq!(quantile_buckets(10, 5), vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn test_quantile_buckets_deciles_of_25() {
        // floor(i × 10 / 25) = floor(0.4 i): sizes 3,2,3,2,3,2,3,2,3,2
        let buckets = quantile_buckets(25, 10);
        let mut sizes = vec![0; 10];
        for &b in &buckets {
            sizes[b] += 1;
        }
        assert_eq!(sizes, vec![3, 2, 3, 2, 3, 2, 3, 2, 3, 2]);
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn test_quantile_buckets_fewer_items_than_buckets() {
        // floor(i × 10 / 3): 0, 3, 6 → buckets 1, 2, 4, 5, 7, 8, 9 are empty
        assert_eq!(quantile_buckets(3, 10), vec![0, 3, 6]);
    }

    #[test]
    fn test_quantile_buckets_empty() {
        assert!(quantile_buckets(0, 10).is_empty());
    }

    #[test]
    #[should_panic(expected = "q must be at least 1")]
    fn test_quantile_buckets_zero_q_panics() {
        quantile_buckets(5, 0);
    }

    #[test]
    fn test_quantile_means_uneven() {
        // buckets of 5 in 2: 0, 0, 0, 1, 1 → (1+2+3)/3 = 2, (4+5)/2 = 4.5
        assert_all_close(
            &quantile_means(&[1.0, 2.0, 3.0, 4.0, 5.0], 2),
            &[2.0, 4.5],
            TOL,
        );
    }

    #[test]
    fn test_quantile_means_empty_bucket_is_nan() {
        // buckets of 2 in 4: 0, 2 → buckets 1 and 3 empty
        assert_all_close(
            &quantile_means(&[1.0, 5.0], 4),
            &[1.0, f64::NAN, 5.0, f64::NAN],
            TOL,
        );
    }

    #[test]
    fn test_quantile_means_empty_input_all_nan() {
        assert_all_close(&quantile_means(&[], 3), &[f64::NAN; 3], TOL);
    }

    #[test]
    fn test_turnover_full_switch_is_one() {
        // sell everything (100) and buy 100 of new names: 200 / 200 = 1
        assert_close(turnover(100.0, 100.0, 100.0), 1.0, TOL);
    }

    #[test]
    fn test_turnover_no_trades_is_zero() {
        assert_close(turnover(0.0, 0.0, 100.0), 0.0, TOL);
    }

    #[test]
    fn test_turnover_zero_value_is_nan() {
        assert_close(turnover(10.0, 0.0, 0.0), f64::NAN, TOL);
    }

    #[test]
    fn test_cumulative_nav_empty_is_base() {
        assert_all_close(&cumulative_nav(&[], 1.0), &[1.0], TOL);
    }

    #[test]
    fn test_cumulative_nav_compounds() {
        // 1 → 1.1 → 1.1 × 0.9 = 0.99 → 0.99 × 1.2 = 1.188
        assert_all_close(
            &cumulative_nav(&[0.1, -0.1, 0.2], 1.0),
            &[1.0, 1.1, 0.99, 1.188],
            TOL,
        );
    }

    #[test]
    fn test_cumulative_nav_roundtrip_annual_return() {
        // 252 daily returns of 0.0003 over one year: annual return = 1.0003^252 − 1
        let returns = vec![0.0003; 252];
        let nav = cumulative_nav(&returns, 100.0);
        let expected = 1.0003_f64.powi(252) - 1.0;
        assert_close(annual_return(nav[0], nav[252], 252, 252), expected, 1e-12);
    }
}
