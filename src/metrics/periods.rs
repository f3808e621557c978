//! Returns per calendar period (year, month) of a NAV and a benchmark path.

use super::nav::max_drawdown;
use super::returns::information_ratio;

/// One period's returns, from [`period_returns`].
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodReturns {
    /// Index of the base NAV: the last close before the period's first
    /// daily return (the previous period's last close, or t0).
    pub base: usize,
    /// Index of the period's last close.
    pub end: usize,
    /// Daily returns in the period (`end − base`).
    pub days: usize,
    /// `nav[end] / nav[base] − 1` = the daily returns compounded.
    pub strategy: f64,
    /// The same for the benchmark.
    pub benchmark: f64,
    /// `strategy − benchmark` (arithmetic difference of the two compounded returns).
    pub excess: f64,
    /// `(1 + strategy) / (1 + benchmark) − 1`: the period's change of NAV / benchmark.
    pub excess_geometric: f64,
    /// `mean(e) / std(e, ddof = 1) × √N` over the period's daily excess
    /// returns `e = r − b`; NaN with fewer than two days.
    pub information_ratio: f64,
    /// Max drawdown of `nav[base..=end]` (the running peak restarts at the base).
    pub max_drawdown: f64,
    /// The same for NAV / benchmark.
    pub excess_max_drawdown: f64,
}

/// Splits the daily returns of `nav` and `bench` (same dates, index 0 =
/// t0, the base) into periods: the daily return ending at close `i`
/// (`nav[i] / nav[i − 1] − 1`, `i ≥ 1`) belongs to period `keys[i]`, and
/// each run of equal keys over `i = 1..n` is one period (keys must not
/// repeat after a change, as years and months do not). `keys[0]` (t0's own
/// period) is ignored: t0 carries no return, so the first period starts at
/// the NAV of t0 and a period with no daily return has no entry.
///
/// # Panics
///
/// Panics if the three slices have different lengths.
///
/// ```
/// use alphasim::metrics::period_returns;
/// // t0 in year 1 (its close is the base), then two closes in year 1 and two in year 2.
/// let p = period_returns(&[1, 1, 1, 2, 2], &[100.0, 110.0, 99.0, 108.9, 119.79], &[1.0; 5], 252);
/// assert_eq!((p[0].base, p[0].end, p[0].days), (0, 2, 2));
/// assert!((p[0].strategy - (-0.01)).abs() < 1e-12); // 99 / 100 − 1
/// assert!((p[1].strategy - 0.21).abs() < 1e-12); // 119.79 / 99 − 1 = 1.1 × 1.1 − 1
/// assert!((p[0].max_drawdown - (-0.1)).abs() < 1e-12); // 99 / 110 − 1
/// ```
pub fn period_returns<K: PartialEq>(
    keys: &[K],
    nav: &[f64],
    bench: &[f64],
    annualisation: u32,
) -> Vec<PeriodReturns> {
    assert!(
        keys.len() == nav.len() && nav.len() == bench.len(),
        "period_returns: keys, nav and bench must have one entry per close"
    );
    let mut out = Vec::new();
    let mut start = 1;
    while start < nav.len() {
        let mut end = start;
        while end + 1 < nav.len() && keys[end + 1] == keys[start] {
            end += 1;
        }
        let base = start - 1;
        let e: Vec<f64> = (start..=end)
            .map(|i| (nav[i] / nav[i - 1] - 1.0) - (bench[i] / bench[i - 1] - 1.0))
            .collect();
        let relative: Vec<f64> = (base..=end).map(|i| nav[i] / bench[i]).collect();
        let strategy = nav[end] / nav[base] - 1.0;
        let benchmark = bench[end] / bench[base] - 1.0;
        out.push(PeriodReturns {
            base,
            end,
            days: end - base,
            strategy,
            benchmark,
            excess: strategy - benchmark,
            excess_geometric: (1.0 + strategy) / (1.0 + benchmark) - 1.0,
            information_ratio: information_ratio(&e, annualisation),
            max_drawdown: max_drawdown(&nav[base..=end]),
            excess_max_drawdown: max_drawdown(&relative),
        });
        start = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_period_returns_by_hand() {
        // t0 = index 0 (year 1). Year 1: closes 1, 2; year 2: closes 3, 4, 5.
        // nav:   100, 104, 101.92, 107.016, 101.6652, 106.748 (returns +4%, −2%, +5%, −5%, +5%)
        // bench: 100, 102, 102,    103.02,  103.02,   101.9898 (returns +2%, 0, +1%, 0, −1%)
        let nav = [100.0, 104.0, 101.92, 107.016, 101.6652, 106.74846];
        let bench = [100.0, 102.0, 102.0, 103.02, 103.02, 101.9898];
        let p = period_returns(&[1, 1, 1, 2, 2, 2], &nav, &bench, 252);
        assert_eq!(p.len(), 2);
        // Year 1: 101.92/100 − 1 = 1.04 × 0.98 − 1 = 0.0192; bench 1.02 × 1 − 1 = 0.02.
        assert_eq!((p[0].base, p[0].end, p[0].days), (0, 2, 2));
        assert!((p[0].strategy - 0.0192).abs() < 1e-12);
        assert!((p[0].benchmark - 0.02).abs() < 1e-12);
        assert!((p[0].excess - (-0.0008)).abs() < 1e-12);
        assert!((p[0].excess_geometric - (1.0192 / 1.02 - 1.0)).abs() < 1e-12);
        // e = +2%, −2%: mean 0, IR 0. Drawdown 101.92/104 − 1 = −0.02.
        assert!(p[0].information_ratio.abs() < 1e-12);
        assert!((p[0].max_drawdown - (-0.02)).abs() < 1e-12);
        // Year 2 starts from year 1's last close (index 2): 1.05 × 0.95 × 1.05 − 1.
        assert_eq!((p[1].base, p[1].end, p[1].days), (2, 5, 3));
        assert!((p[1].strategy - (1.05 * 0.95 * 1.05 - 1.0)).abs() < 1e-12);
        assert!((p[1].benchmark - (1.01 * 0.99 - 1.0)).abs() < 1e-12);
        // e = 0.04, −0.05, 0.06: mean 0.05/3, deviations 0.02333, −0.06667, 0.04333;
        // sum of squares 0.0005444 + 0.0044444 + 0.0018778 = 0.0068667, / 2 → std 0.0585947.
        let (m, s) = (0.05 / 3.0, (0.0068666666666667_f64 / 2.0).sqrt());
        assert!((p[1].information_ratio - m / s * 252f64.sqrt()).abs() < 1e-9);
        // Peak 107.016 then 101.6652: −5%, measured within the year only.
        assert!((p[1].max_drawdown - (-0.05)).abs() < 1e-12);
        // NAV/bench: 0.99922, 1.03879, 0.98685, 1.04665 → trough 0.98685/1.03879 − 1.
        let rel = |i: usize| nav[i] / bench[i];
        assert!((p[1].excess_max_drawdown - (rel(4) / rel(3) - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn test_period_returns_skip_t0_and_one_day_periods() {
        // t0 is the last close of year 1: year 1 has no daily return, no row.
        // Year 3 has a single daily return: IR undefined.
        let p = period_returns(&[1, 2, 2, 3], &[1.0, 1.1, 1.21, 1.331], &[1.0; 4], 252);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].base, p[0].end), (0, 2));
        assert!((p[0].strategy - 0.21).abs() < 1e-12);
        assert_eq!((p[1].base, p[1].end, p[1].days), (2, 3, 1));
        assert!(p[1].information_ratio.is_nan());
        assert!(period_returns::<u8>(&[1], &[1.0], &[1.0], 252).is_empty());
    }
}
