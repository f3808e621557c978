//! Model interpretation written to `report.json` (`interpretation`) and to
//! `attention.csv` in the run folder. The JSON shape is documented in
//! docs/dmfm.md (the tree models' `importance` in docs/gbdt.md); numbers are rounded to 6 decimals so reports are stable.

use serde::Serialize;

/// Every retrain window of a learned model.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Interpretation {
    pub model: String,
    /// Factor names in input order.
    pub factors: Vec<String>,
    /// Factor groups (`group:name` → `group`; names without a colon → `all`), in order of first appearance.
    pub groups: Vec<String>,
    pub windows: Vec<WindowInterpretation>,
}

/// One retrain window.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct WindowInterpretation {
    /// The last close known at the retrain (labels end on or before it).
    pub as_of: String,
    pub train_dates: usize,
    pub valid_dates: usize,
    /// Epochs run and the epoch whose weights were kept (1-based; 0 = none);
    /// boosting rounds for the tree models.
    pub epochs: usize,
    pub best_epoch: usize,
    pub best_valid_loss: Option<f64>,
    /// How the window was fitted: "trained", "loaded", "warm-started", "skipped: …".
    pub status: String,
    /// Per head (deep models with factor attention only).
    pub heads: Vec<HeadInterpretation>,
    /// Tree models: each factor's share of the total split gain of the
    /// window's trees, in `factors` order; sums to 1 (all 0 when no tree
    /// split). Left out of report.json for other models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub importance: Vec<f64>,
    /// E2EAI's scoring gate per input factor (`factors` order), in [0, 1]:
    /// 0 = the factor is switched off. Left out for models without gates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<f64>,
}

/// One head of one window, measured on the window's validation dates (the
/// training dates when there is no validation set).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HeadInterpretation {
    pub horizon: u32,
    /// Mean attention per factor (ā_k averaged over dates), in `factors` order; sums to 1.
    pub factor_attention: Vec<f64>,
    /// Sum of `factor_attention` over each group, in `groups` order.
    pub group_attention: Vec<f64>,
    /// R² of f̂_k explaining f_k as it stands: 1 − Σ(f − f̂)² / Σ(f − mean_date(f))²,
    /// pooled over dates. Not scale-free: f̂ = F·ā is a convex combination of
    /// z-scored inputs, f is on its own scale, so this can be far below 0.
    pub r2: f64,
    /// Scale-free: the pooled within-date correlation of f_k and f̂_k (both
    /// demeaned per date).
    pub corr: f64,
    /// R² of the best linear fit f_k ≈ a_date + b·f̂_k (a per-date intercept
    /// and one slope): `corr²`, in [0, 1].
    pub r2_fit: f64,
}

/// `Σ x̃ỹ / √(Σx̃² Σỹ²)` from within-date sums (x̃, ỹ demeaned per date);
/// NaN when either side has no spread.
pub fn within_date_corr(s_xy: f64, s_xx: f64, s_yy: f64) -> f64 {
    if s_xx > 0.0 && s_yy > 0.0 {
        s_xy / (s_xx * s_yy).sqrt()
    } else {
        f64::NAN
    }
}

/// Group of a factor name: the text before the first `:`, else `all`.
pub fn group_of(name: &str) -> &str {
    name.split_once(':').map_or("all", |(g, _)| g)
}

/// Rounds to 6 decimals (−0 → 0).
pub fn round6(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

impl Interpretation {
    /// Groups of `factors` and the index of each factor's group.
    pub fn groups_of(factors: &[String]) -> (Vec<String>, Vec<usize>) {
        let mut groups: Vec<String> = Vec::new();
        let mut index = Vec::with_capacity(factors.len());
        for f in factors {
            let g = group_of(f);
            let i = groups.iter().position(|x| x == g).unwrap_or_else(|| {
                groups.push(g.to_owned());
                groups.len() - 1
            });
            index.push(i);
        }
        (groups, index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_within_date_corr_hand_case() {
        // date 1: f = 1, 3 ; f̂ = 0, 1  → demeaned f = −1, 1 ; f̂ = −0.5, 0.5
        // date 2: f = 10, 10, 16 ; f̂ = 2, 5, 2 → f̃ = −2, −2, 4 ; f̂̃ = −1, 2, −1
        // Σf̃f̂̃ = 0.5 + 0.5 + 2 − 4 − 4 = −5; Σf̃² = 2 + 24 = 26; Σf̂̃² = 0.5 + 6 = 6.5
        let c = within_date_corr(-5.0, 26.0, 6.5);
        assert!((c - (-5.0 / (26.0f64 * 6.5).sqrt())).abs() < 1e-15);
        assert!((c + 0.384_615_384_615_384_6).abs() < 1e-12, "−5/13 = {c}");
        assert!(within_date_corr(1.0, 0.0, 2.0).is_nan());
    }

    #[test]
    fn test_groups_of_names() {
        let names: Vec<String> = ["mom:ret20", "f0", "vol:std20", "mom:ret60"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (g, i) = Interpretation::groups_of(&names);
        assert_eq!(g, vec!["mom", "all", "vol"]);
        assert_eq!(i, vec![0, 1, 2, 0]);
    }
}
