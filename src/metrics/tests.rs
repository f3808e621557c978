//! Tests of every metric formula against hand-computed values.

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
