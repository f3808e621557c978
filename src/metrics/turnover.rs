//! Turnover of one rebalance.

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
