//! NAV-path metrics: the path from returns and its maximum drawdown.

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
