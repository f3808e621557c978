//! Performance and signal metrics of a backtest, as defined in section 4 of
//! `DESIGN.md`: annual return, alpha (arithmetic and geometric), tracking
//! error, information ratio, Sharpe ratio, volatility, maximum drawdown,
//! Pearson and Spearman information coefficients with their ICIR, RankMAE
//! (rank-Gauss mean absolute error), returns per calendar period, hit rate,
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

mod correlation;
mod nav;
mod normal;
mod periods;
mod quantiles;
mod rank_gauss;
mod returns;
mod stats;
mod turnover;

pub use correlation::{average_ranks, icir, pearson, spearman};
pub use nav::{cumulative_nav, max_drawdown};
pub use normal::normal_quantile;
pub use periods::{period_returns, PeriodReturns};
pub use quantiles::{quantile_buckets, quantile_means};
pub use rank_gauss::{rank_gauss, rank_mae};
pub use returns::{
    alpha, annual_return, excess_geometric, hit_rate, information_ratio, risk_free_daily, sharpe,
    tracking_error, volatility,
};
pub use stats::{mean, std_sample, zscore_clipped};
pub use turnover::turnover;

#[cfg(test)]
mod tests;
