//! The two basic statistics every other metric builds on: mean and sample standard deviation.

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

/// True when every value equals the first (`==`, so NaN is never constant).
pub(super) fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|&v| v == x[0])
}

/// `(mean(x) − shift) / std(x, ddof = 1)`; NaN for fewer than two values or
/// a constant series (zero standard deviation).
pub(super) fn mean_over_std(x: &[f64], shift: f64) -> f64 {
    if x.len() < 2 || is_constant(x) {
        return f64::NAN;
    }
    (mean(x) - shift) / std_sample(x)
}

/// Clip bound for z-scores.
const Z_CLIP: f64 = 3.0;

/// z-scores `values` in place over the non-NaN entries (population std),
/// clipped to ±3; NaN and zero-spread columns become 0.
pub fn zscore_clipped(values: &mut [f64]) {
    let (mut n, mut sum) = (0usize, 0.0);
    for v in values.iter().filter(|v| !v.is_nan()) {
        n += 1;
        sum += v;
    }
    if n == 0 {
        values.fill(0.0);
        return;
    }
    let mean = sum / n as f64;
    let var = values
        .iter()
        .filter(|v| !v.is_nan())
        .map(|v| (v - mean) * (v - mean))
        .sum::<f64>()
        / n as f64;
    let sd = var.sqrt();
    for v in values.iter_mut() {
        *v = if v.is_nan() || sd == 0.0 {
            0.0
        } else {
            ((*v - mean) / sd).clamp(-Z_CLIP, Z_CLIP)
        };
    }
}
