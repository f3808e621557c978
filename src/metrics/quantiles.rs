//! Quantile (decile) buckets of a sorted cross-section and their means.

use super::stats::mean;

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
