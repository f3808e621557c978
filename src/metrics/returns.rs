//! Return metrics: annual return, alpha, excess, tracking error, IR, Sharpe, volatility, hit rate.

use super::stats::{mean, mean_over_std, std_sample};

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
