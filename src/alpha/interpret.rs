//! Model interpretation written to `report.json` (`interpretation`) and to
//! `attention.csv` in the run folder. The JSON shape is documented in
//! docs/dmfm.md; numbers are rounded to 6 decimals so reports are stable.

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
    /// Epochs run and the epoch whose weights were kept (1-based; 0 = none).
    pub epochs: usize,
    pub best_epoch: usize,
    pub best_valid_loss: Option<f64>,
    /// How the window was fitted: "trained", "loaded", "warm-started", "skipped: …".
    pub status: String,
    /// Per head (deep models with factor attention only).
    pub heads: Vec<HeadInterpretation>,
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
    /// DMFM: R² of f̂_k explaining f_k, 1 − Σ(f − f̂)² / Σ(f − mean_date(f))²,
    /// pooled over dates. E2EAI: R² of the best linear fit f ≈ β f̂ pooled
    /// over dates after demeaning each date (scale-free).
    pub r2: f64,
    /// E2EAI: mean per-date Pearson correlation of f_k and f̂_k (left out for the DMFM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corr: Option<f64>,
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
