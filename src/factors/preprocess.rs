//! Cross-sectional preprocessing of one factor column over one day's
//! eligible set, in this order:
//!
//! 1. **winsorise**: with `m` = median and `MAD` = median |x − m| of the
//!    non-missing values, clamp to `[m − k·MAD, m + k·MAD]` (`k` =
//!    `winsorize_mad`, default 5; 0 = off). The MAD is the raw one (not
//!    scaled by 1.4826). A column with MAD = 0 (more than half the values
//!    equal) is not clipped: clipping would collapse it to a constant.
//! 2. **standardise** (default on): z = (x − mean)/std over the non-missing
//!    values, population std; a column with zero spread becomes 0.
//! 3. **fill missing** (default `industry_median`): a missing value takes
//!    the median of the (standardised) non-missing values of its industry in
//!    the eligible set, or the cross-sectional median when the stock has no
//!    industry or its industry has no value; `median` skips the industry
//!    step; `none` leaves NaN. When no stock has a value the column is 0
//!    after standardising (the cross-sectional mean), NaN otherwise.
//!
//! Which values were missing is kept as a mask
//! (`Context::factor_missing`), so a model can tell a filled value from a
//! real one.

pub use crate::spec::{MissingRule, PreprocessConfig};
/// Median of `v` (reordered in place); NaN when empty. Even counts average
/// the two middle values.
pub fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lower, mid, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *mid;
    if n % 2 == 1 {
        hi
    } else {
        let lo = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lo + hi)
    }
}

/// Scratch buffers reused across columns and days.
#[derive(Debug, Default)]
pub struct Scratch {
    values: Vec<f64>,
    counts: Vec<usize>,
    fill_at: Vec<usize>,
    buckets: Vec<f64>,
    medians: Vec<f64>,
}

/// Preprocesses one column in place. `industry[i]` is the industry of row
/// `i` (`u16::MAX` = none). Missing = NaN on entry.
pub fn preprocess_column(
    col: &mut [f64],
    industry: &[u16],
    cfg: &PreprocessConfig,
    scratch: &mut Scratch,
) {
    let vals = &mut scratch.values;
    vals.clear();
    vals.extend(col.iter().copied().filter(|v| v.is_finite()));
    let n_missing = col.len() - vals.len();
    if !vals.is_empty() && cfg.winsorize_mad > 0.0 {
        let m = median_in_place(vals);
        for v in vals.iter_mut() {
            *v = (*v - m).abs();
        }
        let mad = median_in_place(vals);
        if mad > 0.0 {
            let (lo, hi) = (m - cfg.winsorize_mad * mad, m + cfg.winsorize_mad * mad);
            for v in col.iter_mut().filter(|v| v.is_finite()) {
                *v = v.clamp(lo, hi);
            }
        }
    }
    let n_valid = col.len() - n_missing;
    if cfg.standardize && n_valid > 0 {
        let (mut sum, mut n) = (0.0, 0.0);
        for v in col.iter().filter(|v| v.is_finite()) {
            sum += v;
            n += 1.0;
        }
        let mean = sum / n;
        let var = col
            .iter()
            .filter(|v| v.is_finite())
            .map(|v| (v - mean) * (v - mean))
            .sum::<f64>()
            / n;
        let sd = var.sqrt();
        for v in col.iter_mut().filter(|v| v.is_finite()) {
            *v = if sd > 0.0 { (*v - mean) / sd } else { 0.0 };
        }
    }
    if n_missing == 0 || cfg.missing == MissingRule::None {
        return;
    }
    if n_valid == 0 {
        let fill = if cfg.standardize { 0.0 } else { f64::NAN };
        col.fill(fill);
        return;
    }
    vals.clear();
    vals.extend(col.iter().copied().filter(|v| v.is_finite()));
    let overall = median_in_place(vals);
    if cfg.missing == MissingRule::Median {
        for v in col.iter_mut().filter(|v| !v.is_finite()) {
            *v = overall;
        }
        return;
    }
    // Industry medians, only for industries that have a missing value:
    // bucket the values by industry (counting sort, O(n)), then select the
    // median inside each needed bucket.
    let n_ind = industry
        .iter()
        .filter(|&&g| g != u16::MAX)
        .map(|&g| g as usize + 1)
        .max()
        .unwrap_or(0);
    let counts = &mut scratch.counts;
    counts.clear();
    counts.resize(n_ind + 1, 0);
    let mut needed = false;
    for (v, &g) in col.iter().zip(industry) {
        if g == u16::MAX {
            continue;
        }
        if v.is_finite() {
            counts[g as usize + 1] += 1;
        } else {
            needed = true;
        }
    }
    let medians = &mut scratch.medians;
    medians.clear();
    medians.resize(n_ind, f64::NAN);
    if needed {
        for g in 0..n_ind {
            counts[g + 1] += counts[g];
        }
        let buckets = &mut scratch.buckets;
        buckets.clear();
        buckets.resize(counts[n_ind], 0.0);
        let fill_at = &mut scratch.fill_at;
        fill_at.clear();
        fill_at.extend_from_slice(&counts[..n_ind]);
        let mut wants = vec![false; n_ind];
        for (v, &g) in col.iter().zip(industry) {
            if g == u16::MAX {
                continue;
            }
            let g = g as usize;
            if v.is_finite() {
                buckets[fill_at[g]] = *v;
                fill_at[g] += 1;
            } else {
                wants[g] = true;
            }
        }
        for g in 0..n_ind {
            if wants[g] {
                medians[g] = median_in_place(&mut buckets[counts[g]..counts[g + 1]]);
            }
        }
    }
    for (v, &g) in col.iter_mut().zip(industry) {
        if v.is_finite() {
            continue;
        }
        let m = if g == u16::MAX {
            f64::NAN
        } else {
            medians[g as usize]
        };
        *v = if m.is_nan() { overall } else { m };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn test_median_odd_even() {
        close(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        close(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median_in_place(&mut []).is_nan());
    }

    #[test]
    fn test_preprocess_winsorise_then_zscore_hand_case() {
        // values 1,2,3,4,100: median 3, |x−3| = 2,1,0,1,97 → MAD 1; k = 5
        // clamps 100 to 8. Then mean (1+2+3+4+8)/5 = 3.6, population var
        // = (6.76+2.56+0.36+0.16+19.36)/5 = 29.2/5 = 5.84.
        let mut col = vec![1.0, 2.0, 3.0, 4.0, 100.0];
        let ind = vec![u16::MAX; 5];
        preprocess_column(
            &mut col,
            &ind,
            &PreprocessConfig::default(),
            &mut Scratch::default(),
        );
        let sd = 5.84f64.sqrt();
        for (got, x) in col.iter().zip([1.0, 2.0, 3.0, 4.0, 8.0]) {
            close(*got, (x - 3.6) / sd);
        }
    }

    #[test]
    fn test_preprocess_fill_industry_then_overall_median() {
        // No standardising or clipping, to see the fill rule alone.
        let cfg = PreprocessConfig {
            winsorize_mad: 0.0,
            standardize: false,
            missing: MissingRule::IndustryMedian,
        };
        let nan = f64::NAN;
        // industry 0: 1, 5, missing → 3; industry 1: all missing → overall
        // median of (1, 5, 10, 20) = 7.5; no industry: overall 7.5.
        let mut col = vec![1.0, 5.0, nan, nan, 10.0, 20.0, nan];
        let ind = vec![0, 0, 0, 1, 2, 2, u16::MAX];
        preprocess_column(&mut col, &ind, &cfg, &mut Scratch::default());
        assert_eq!(col, vec![1.0, 5.0, 3.0, 7.5, 10.0, 20.0, 7.5]);
        let mut none = vec![nan, nan];
        preprocess_column(
            &mut none,
            &[0, 0],
            &PreprocessConfig::default(),
            &mut Scratch::default(),
        );
        assert_eq!(none, vec![0.0, 0.0]);
    }

    #[test]
    fn test_preprocess_zero_mad_is_not_clipped() {
        let cfg = PreprocessConfig {
            standardize: false,
            ..PreprocessConfig::default()
        };
        let mut col = vec![0.0, 0.0, 0.0, 0.5];
        preprocess_column(&mut col, &[0; 4], &cfg, &mut Scratch::default());
        assert_eq!(col, vec![0.0, 0.0, 0.0, 0.5]);
    }
}
