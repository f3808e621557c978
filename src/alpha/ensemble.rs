//! A seed ensemble (`[model.train] seeds = N`): N copies of a learned model
//! trained with seeds `s, s + 1, …, s + N − 1` (s = `train.seed` or the
//! spec's seed); the score is the mean of the members' per-date z-scored
//! scores.
//!
//! - Each member sees every `observe`, `fit` and `score` call in member
//!   order, so each is exactly the model a one-seed run with its seed fits.
//! - Averaging: each member's scores are z-scored over the symbols it scores
//!   (population sd; a constant member contributes 0), then averaged over the
//!   members that score a symbol; NaN only when none does. z-scoring first
//!   keeps a member with a larger score scale from dominating.
//! - `save_weights` / `load_weights`: member i uses the sub-folder
//!   `seed-<i>` of the folder given.
//! - Interpretation: per window and head, the members' mean attention,
//!   R², correlation and fitted R²; counts, epochs and losses are member 0's (they are recorded per
//!   window, not averaged).
//! - Cost: N times the training time and the sample memory of one member
//!   (each member keeps its own store).

use super::interpret::{HeadInterpretation, Interpretation};
use super::model::AlphaModel;
use crate::context::Context;
use crate::data::{DayIndex, SymbolId};
use crate::Result;

/// N members, one score.
pub struct Ensemble {
    name: String,
    members: Vec<Box<dyn AlphaModel>>,
}

impl Ensemble {
    /// An ensemble of `members` (at least one), reported under `name`.
    pub fn new(name: String, members: Vec<Box<dyn AlphaModel>>) -> Self {
        assert!(!members.is_empty(), "an ensemble needs a member");
        Ensemble { name, members }
    }
}

impl AlphaModel for Ensemble {
    fn name(&self) -> &str {
        &self.name
    }

    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.members.iter_mut().try_for_each(|m| m.fit(ctx))
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.members.iter_mut().try_for_each(|m| m.observe(ctx))
    }

    fn wants_factors(&self, day: DayIndex) -> bool {
        self.members.iter().any(|m| m.wants_factors(day))
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let mut all = Vec::with_capacity(self.members.len());
        for m in &mut self.members {
            all.push(m.score(ctx, universe)?);
        }
        Ok(mean_of_zscores(&all, universe.len()))
    }

    fn interpretation(&self) -> Option<Interpretation> {
        let parts: Vec<Interpretation> = self
            .members
            .iter()
            .filter_map(|m| m.interpretation())
            .collect();
        let mut out = parts.first()?.clone();
        out.model.clone_from(&self.name);
        for (w, window) in out.windows.iter_mut().enumerate() {
            for (h, head) in window.heads.iter_mut().enumerate() {
                let same = |p: &&Interpretation| {
                    p.windows
                        .get(w)
                        .and_then(|x| x.heads.get(h))
                        .is_some_and(|x| x.factor_attention.len() == head.factor_attention.len())
                };
                if !parts.iter().all(|p| same(&p)) {
                    continue; // members disagree on the shape: keep member 0's
                }
                let heads: Vec<&HeadInterpretation> =
                    parts.iter().map(|p| &p.windows[w].heads[h]).collect();
                head.factor_attention = mean_of(&heads, |x| &x.factor_attention);
                head.group_attention = mean_of(&heads, |x| &x.group_attention);
                let mean = |f: fn(&HeadInterpretation) -> f64| {
                    heads.iter().map(|x| f(x)).sum::<f64>() / heads.len() as f64
                };
                head.r2 = mean(|x| x.r2);
                head.corr = mean(|x| x.corr);
                head.r2_fit = mean(|x| x.r2_fit);
            }
        }
        Some(out)
    }
}

/// The element-wise mean of one vector field over the members' heads.
fn mean_of(
    heads: &[&HeadInterpretation],
    f: impl Fn(&HeadInterpretation) -> &Vec<f64>,
) -> Vec<f64> {
    let mut acc = vec![0.0; f(heads[0]).len()];
    for x in heads {
        for (a, v) in acc.iter_mut().zip(f(x)) {
            *a += v / heads.len() as f64;
        }
    }
    acc
}

/// The mean over members of each member's z-scored scores (see the module
/// docs); `n` scores per member.
pub fn mean_of_zscores(members: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut sum = vec![0.0; n];
    let mut count = vec![0usize; n];
    for scores in members {
        let present: Vec<f64> = scores.iter().copied().filter(|v| !v.is_nan()).collect();
        if present.is_empty() {
            continue;
        }
        let mean = present.iter().sum::<f64>() / present.len() as f64;
        let var = present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / present.len() as f64;
        let sd = var.sqrt();
        for (i, v) in scores.iter().enumerate() {
            if !v.is_nan() {
                sum[i] += if sd > 0.0 { (v - mean) / sd } else { 0.0 };
                count[i] += 1;
            }
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mean_of_zscores_hand_case() {
        // member a: 1, 2, 3 → z = −1.2247, 0, 1.2247 (sd √(2/3));
        // member b: 10, NaN, 30 → z = −1, NaN, 1 (sd 10)
        let z = 1.0 / (2.0f64 / 3.0).sqrt();
        let out = mean_of_zscores(&[vec![1.0, 2.0, 3.0], vec![10.0, f64::NAN, 30.0]], 3);
        let expected = [(-z - 1.0) / 2.0, 0.0, (z + 1.0) / 2.0];
        for (a, b) in out.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{out:?}");
        }
    }

    #[test]
    fn test_mean_of_zscores_nan_only_when_no_member_scores() {
        let out = mean_of_zscores(&[vec![f64::NAN, 5.0], vec![f64::NAN, 5.0]], 2);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 0.0, "a constant member contributes 0");
    }

    #[test]
    fn test_mean_of_zscores_one_member_is_its_zscore() {
        let out = mean_of_zscores(&[vec![2.0, 4.0]], 2);
        assert_eq!(out, vec![-1.0, 1.0]);
    }
}
