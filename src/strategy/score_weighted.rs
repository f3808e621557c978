//! `score_weighted`: the top fraction by score, weights proportional to the
//! score's rank within the selection.
//!
//! The rule: select the k = max(1, floor(fraction × n)) highest scores as
//! `top_fraction` does (ties at the cut broken by symbol ascending). Within
//! the selection, rank the scores ascending, 1 for the lowest selected
//! score up to k for the highest; tied scores share the average of their
//! ranks. Weight = rank / Σ ranks = rank / (k(k+1)/2). So the best name
//! weighs k times the worst selected one, and with k = 1 the one name gets 1.

use super::{top_fraction, TargetWeights};
use crate::data::SymbolId;

/// Rank weights of the top `fraction` (see the module docs), by symbol.
pub fn weights(scores: &[(SymbolId, f64)], fraction: f64) -> TargetWeights {
    let chosen = top_fraction(scores, fraction);
    if chosen.is_empty() {
        return Vec::new();
    }
    let score_of = |s: SymbolId| {
        scores
            .binary_search_by_key(&s, |p| p.0)
            .map(|i| scores[i].1)
            .expect("chosen from scores")
    };
    let mut by_score: Vec<(SymbolId, f64)> = chosen.iter().map(|&s| (s, score_of(s))).collect();
    by_score.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut ranked: Vec<(SymbolId, f64)> = Vec::with_capacity(by_score.len());
    let mut i = 0;
    while i < by_score.len() {
        let mut j = i;
        while j + 1 < by_score.len() && by_score[j + 1].1 == by_score[i].1 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0; // ranks i+1 ..= j+1, averaged
        ranked.extend(by_score[i..=j].iter().map(|p| (p.0, rank)));
        i = j + 1;
    }
    let total: f64 = ranked.iter().map(|p| p.1).sum();
    let mut out: TargetWeights = ranked.into_iter().map(|(s, r)| (s, r / total)).collect();
    out.sort_by_key(|p| p.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[(u32, f64)]) -> Vec<(SymbolId, f64)> {
        v.iter().map(|&(s, x)| (SymbolId(s), x)).collect()
    }

    #[test]
    fn test_rank_weights_by_hand() {
        // 10 names, fraction 0.4 → k = 4: scores 0.9 (s3), 0.8 (s7), 0.5 (s1), 0.4 (s5).
        let scores = ids(&[
            (0, 0.1),
            (1, 0.5),
            (2, -0.3),
            (3, 0.9),
            (4, 0.0),
            (5, 0.4),
            (6, 0.2),
            (7, 0.8),
            (8, -1.0),
            (9, 0.3),
        ]);
        let w = weights(&scores, 0.4);
        // ranks: s5 → 1, s1 → 2, s7 → 3, s3 → 4; Σ = 10
        assert_eq!(w, ids(&[(1, 0.2), (3, 0.4), (5, 0.1), (7, 0.3)]));
    }

    #[test]
    fn test_ties_share_the_average_rank() {
        // k = 3 of 3: scores 1, 2, 2 → ranks 1, 2.5, 2.5, Σ = 6
        let w = weights(&ids(&[(0, 2.0), (1, 1.0), (2, 2.0)]), 1.0);
        assert_eq!(w, ids(&[(0, 2.5 / 6.0), (1, 1.0 / 6.0), (2, 2.5 / 6.0)]));
        // k = 1: all weight on the best
        assert_eq!(weights(&ids(&[(0, 2.0), (1, 3.0)]), 0.5), ids(&[(1, 1.0)]));
        assert!(weights(&[], 0.5).is_empty());
    }
}
