//! RankMAE: the mean absolute error between the rank-Gauss transforms of a
//! score and of the forward return it predicts.

use super::correlation::average_ranks;
use super::stats::{is_constant, mean};

/// Rank-Gauss transform: `Φ⁻¹((rank_i − 0.5) / n)` of each value, with
/// [`average_ranks`] (ties share their average rank) and `Φ⁻¹` the
/// standard normal quantile ([`super::normal_quantile`]). The map
/// `rank → (rank − 0.5) / n` puts the `n` ranks at the midpoints of `n`
/// equal probability slices, so the result is finite and symmetric.
///
/// ```
/// // ranks 1, 2 of n = 2 → probabilities 0.25, 0.75 → Φ⁻¹ = ∓0.6744897501960817
/// let g = alphasim::metrics::rank_gauss(&[3.0, 7.0]);
/// assert!((g[0] + 0.6744897501960817).abs() < 1e-12 && (g[1] - 0.6744897501960817).abs() < 1e-12);
/// ```
pub fn rank_gauss(x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    average_ranks(x)
        .into_iter()
        .map(|r| super::normal_quantile((r - 0.5) / n))
        .collect()
}

/// RankMAE of paired samples (a score and the forward return it predicts):
/// `mean_i |rank_gauss(x)_i − rank_gauss(y)_i|` ([`rank_gauss`]).
///
/// 0 for a perfect ranking; for independent `x` and `y` it tends to
/// `E|Z₁ − Z₂| = 2/√π ≈ 1.128` (two independent standard normals), so
/// `e^(−RankMAE)` is about 0.324 for a random score and larger for a
/// better one.
///
/// NaN for fewer than two pairs or when either side is constant (all
/// ties): a constant score ranks nothing, and its value `mean |g(y)| ≈ 0.8`
/// would look better than a random score's.
///
/// # Panics
///
/// Panics if `x` and `y` have different lengths.
///
/// ```
/// // x ranks 1, 2, 3, 4 and y ranks 1, 4, 2, 3 (n = 4): probabilities
/// // 0.125, 0.375, 0.625, 0.875 → g = −a, −b, b, a with a = 1.15035, b = 0.31864;
/// // |−a + a| + |−b − a| + |b + b| + |a − b| = 0 + (a + b) + 2b + (a − b) = 2a + 2b
/// let m = alphasim::metrics::rank_mae(&[1.0, 2.0, 3.0, 4.0], &[10.0, 40.0, 20.0, 30.0]);
/// assert!((m - (2.0 * 1.1503493803760079 + 2.0 * 0.31863936396437514) / 4.0).abs() < 1e-12);
/// ```
pub fn rank_mae(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(
        x.len(),
        y.len(),
        "rank_mae: x and y must be paired samples of equal length"
    );
    if x.len() < 2 || is_constant(x) || is_constant(y) {
        return f64::NAN;
    }
    let (gx, gy) = (rank_gauss(x), rank_gauss(y));
    let d: Vec<f64> = gx.iter().zip(&gy).map(|(a, b)| (a - b).abs()).collect();
    mean(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn test_rank_mae_with_ties_by_hand() {
        // x = 1, 1, 2, 3 → average ranks 1.5, 1.5, 3, 4 → p = 0.25, 0.25, 0.625, 0.875;
        // y = 4, 3, 2, 1 → ranks 4, 3, 2, 1 → p = 0.875, 0.625, 0.375, 0.125.
        // Φ⁻¹ (Python statistics.NormalDist): 0.25 → −0.6744897501960817,
        // 0.625 → 0.31863936396437514, 0.875 → 1.1503493803760079.
        let (q1, b, a): (f64, f64, f64) =
            (0.6744897501960817, 0.31863936396437514, 1.1503493803760079);
        let expected = ((-q1 - a).abs() + (-q1 - b).abs() + (b + b) + (a + a)) / 4.0;
        let m = rank_mae(&[1.0, 1.0, 2.0, 3.0], &[4.0, 3.0, 2.0, 1.0]);
        assert!((m - expected).abs() < 1e-12, "{m} vs {expected}");
        assert!((expected - 1.4389864333533282).abs() < 1e-12);
    }

    #[test]
    fn test_rank_mae_perfect_reversed_constant_and_short() {
        let x = [0.3, -1.0, 2.0, 0.7, 5.0];
        assert_eq!(rank_mae(&x, &x.map(|v| 3.0 * v + 1.0)), 0.0);
        // A reversed ranking pairs g with −g: mean |2 g_i| over the ranks.
        let g = rank_gauss(&x);
        let expected = g.iter().map(|v| 2.0 * v.abs()).sum::<f64>() / 5.0;
        let m = rank_mae(&x, &x.map(|v| -v));
        assert!((m - expected).abs() < 1e-12);
        assert!(rank_mae(&x, &[1.0; 5]).is_nan());
        assert!(rank_mae(&[1.0], &[2.0]).is_nan());
    }

    #[test]
    fn test_rank_mae_of_random_scores_is_two_over_root_pi() {
        // Scores independent of returns: over random permutations the
        // expected RankMAE is the mean of |g_i − g_j| over all n² pairs of
        // rank-Gauss values, 1.12763504954296 for n = 500 (computed in Python
        // from statistics.NormalDist), close to the limit 2/√π = 1.1283791671.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (days, n) = (400, 500);
        let mut sum = 0.0;
        for _ in 0..days {
            let score: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
            let fwd: Vec<f64> = (0..n).map(|_| rng.random::<f64>() - 0.5).collect();
            sum += rank_mae(&score, &fwd);
        }
        let m = sum / days as f64;
        // sd of one day's mean ≈ 0.85/√500 ≈ 0.038, of 400 days' ≈ 0.0019.
        assert!((m - 1.12763504954296).abs() < 0.008, "{m}");
        assert!((m - 2.0 / std::f64::consts::PI.sqrt()).abs() < 0.01, "{m}");
        let e = (-m).exp();
        assert!((e - 0.324).abs() < 0.003, "e^(−RankMAE) = {e}");
    }
}
