//! Portfolio construction: scores + context → target weights, a pure
//! function (DESIGN §3). The engine scores the eligible set with the alpha
//! model and hands the scores here, with the book (current weights and how
//! long each holding has been held) and, when the run has them, the
//! benchmark weights and the style exposures; execution then trades to the
//! weights.
//!
//! Each construction method is one variant of [`Construction`], chosen from
//! the spec's `[portfolio]` table by [`Construction::from_config`]:
//!
//! - `top_fraction` ([`Construction::TopFractionEqual`]): the top `fraction`
//!   of the eligible set by score, equal weight (DESIGN §4, the paper): k =
//!   max(1, floor(fraction × n)) highest scores, ties broken by symbol
//!   ascending.
//! - `score_weighted` ([`score_weighted`]): the same k names, weight ∝ rank
//!   within the selection.
//! - `topk_dropout` ([`topk_dropout`]): Qlib's TopkDropoutStrategy.
//! - `enhanced_index` ([`enhanced`]): the optimiser under tracking-error,
//!   industry, style, weight and turnover limits.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the method enum, its inputs and output, selection helpers |
//! | `score_weighted.rs` | rank weights |
//! | `topk_dropout.rs` | the TopK-dropout rule |
//! | `enhanced/` | the enhanced-index optimiser, its risk model and styles |

pub mod enhanced;
pub mod score_weighted;
pub mod topk_dropout;

use crate::context::Context;
use crate::data::SymbolId;
use crate::spec::{Method, PortfolioConfig, TopkDropoutConfig};
pub use enhanced::{
    ActiveRecord, BenchmarkWeights, EnhancedIndex, OptimiserRecord, StyleExposures,
};

/// Target weights, summing to 1, ordered by symbol.
pub type TargetWeights = Vec<(SymbolId, f64)>;

/// A portfolio-construction method.
#[derive(Debug, Clone, PartialEq)]
pub enum Construction {
    /// The top `fraction` by score, equal weight.
    TopFractionEqual { fraction: f64 },
    /// The top `fraction` by score, weight ∝ rank within the selection.
    ScoreWeighted { fraction: f64 },
    /// Qlib's TopkDropoutStrategy.
    TopkDropout(TopkDropoutConfig),
    /// The enhanced-index optimiser.
    EnhancedIndex(Box<EnhancedIndex>),
}

/// The portfolio at the decision, valued at today's closes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// Each holding's share of the portfolio value, by symbol (cash is the
    /// rest).
    pub weights: Vec<(SymbolId, f64)>,
    /// Trading days each holding has been held, counting the day it was
    /// bought and today (1 = bought today), by symbol as `weights`.
    pub held_days: Vec<usize>,
}

impl Book {
    /// The current weight of `s` (0 when not held).
    pub fn weight(&self, s: SymbolId) -> f64 {
        self.weights
            .binary_search_by_key(&s, |w| w.0)
            .map_or(0.0, |i| self.weights[i].1)
    }
}

/// What a construction method reads at a decision.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The eligible set with its scores: finite scores, ascending symbol
    /// (see [`eligible`]).
    pub scores: &'a [(SymbolId, f64)],
    /// The as-of-now view the decision is taken in.
    pub context: &'a Context<'a>,
    /// The current portfolio.
    pub book: &'a Book,
    /// The benchmark's constituent weights known now (None: the run has no
    /// benchmark index).
    pub benchmark: Option<&'a BenchmarkWeights>,
    /// Today's style exposures (None unless the method or the report needs them).
    pub styles: Option<&'a StyleExposures>,
    /// Names whose close today is at a price limit (with the market's price
    /// limits on), ascending: `true` = at the up limit, `false` = down.
    pub locked: &'a [(SymbolId, bool)],
}

/// A method's answer: the weights, and what the optimiser did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    pub targets: TargetWeights,
    /// The enhanced-index optimiser's record (None for the other methods).
    pub optimiser: Option<OptimiserRecord>,
    /// The optimiser's active exposures of `targets` (None for the other methods).
    pub active: Option<ActiveRecord>,
}

impl Construction {
    /// The method the spec's `[portfolio]` table names.
    pub fn from_config(config: &PortfolioConfig) -> Self {
        match config.method {
            Method::TopFraction => Construction::TopFractionEqual {
                fraction: config.top_fraction,
            },
            Method::ScoreWeighted => Construction::ScoreWeighted {
                fraction: config.top_fraction,
            },
            Method::TopkDropout => Construction::TopkDropout(config.topk_dropout()),
            Method::EnhancedIndex => {
                Construction::EnhancedIndex(Box::new(EnhancedIndex::new(config.enhanced_index())))
            }
        }
    }

    /// The target weights (empty when nothing is eligible: no trade).
    pub fn decide(&self, inputs: &Inputs<'_>) -> Decision {
        let targets = match self {
            Construction::TopFractionEqual { fraction } => {
                let chosen = top_fraction(inputs.scores, *fraction);
                if chosen.is_empty() {
                    Vec::new()
                } else {
                    equal_weights(&chosen)
                }
            }
            Construction::ScoreWeighted { fraction } => {
                score_weighted::weights(inputs.scores, *fraction)
            }
            Construction::TopkDropout(c) => topk_dropout::weights(inputs, c),
            Construction::EnhancedIndex(e) => {
                let (targets, record, active) = e.decide(inputs);
                return Decision {
                    targets,
                    optimiser: Some(record),
                    active: Some(active),
                };
            }
        };
        Decision {
            targets,
            optimiser: None,
            active: None,
        }
    }
}

/// The eligible set of a decision: `candidates` (ascending symbol) paired
/// with the model's `scores`, those without a finite score left out.
pub fn eligible(candidates: Vec<SymbolId>, scores: Vec<f64>) -> Vec<(SymbolId, f64)> {
    candidates
        .into_iter()
        .zip(scores)
        .filter(|p| p.1.is_finite())
        .collect()
}

/// The top `fraction` of `candidates` by score (DESIGN §4):
/// k = max(1, floor(fraction × n)) highest scores, ties broken by symbol
/// ascending (symbol ids are assigned in name order). Candidates with a NaN
/// score must be removed before. Returns the chosen symbols sorted by id.
/// The product is floored with a 1e-9 allowance, so a fraction × n that
/// binary floating point puts just under an integer counts as that integer
/// (0.58 × 50 = 28.999999999999996 selects 29, as the user means).
///
/// ```
/// use alphasim::data::SymbolId;
/// use alphasim::strategy::top_fraction;
/// let c = [(SymbolId(0), 0.5), (SymbolId(1), 0.9), (SymbolId(2), 0.9), (SymbolId(3), 0.1)];
/// // floor(0.5 × 4) = 2: the two 0.9s; with fraction 0.25 the tie goes to the smaller id.
/// assert_eq!(top_fraction(&c, 0.5), vec![SymbolId(1), SymbolId(2)]);
/// assert_eq!(top_fraction(&c, 0.25), vec![SymbolId(1)]);
/// ```
pub fn top_fraction(candidates: &[(SymbolId, f64)], fraction: f64) -> Vec<SymbolId> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let k = ((fraction * candidates.len() as f64 + 1e-9).floor() as usize).max(1);
    let mut sorted: Vec<(SymbolId, f64)> = candidates.to_vec();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<SymbolId> = sorted[..k.min(sorted.len())].iter().map(|p| p.0).collect();
    chosen.sort();
    chosen
}

/// Equal weights over `chosen`.
pub fn equal_weights(chosen: &[SymbolId]) -> TargetWeights {
    let w = 1.0 / chosen.len() as f64;
    chosen.iter().map(|&s| (s, w)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{History, Names};

    #[test]
    fn test_top_fraction_equal_weights_from_config() {
        let config = PortfolioConfig {
            top_fraction: 0.5,
            ..Default::default()
        };
        let method = Construction::from_config(&config);
        assert_eq!(method, Construction::TopFractionEqual { fraction: 0.5 });
        let history = History::new(Names::default(), false);
        let context = history.context();
        let scores = eligible(
            vec![SymbolId(0), SymbolId(1), SymbolId(2), SymbolId(3)],
            vec![0.5, f64::NAN, 0.9, 0.1],
        );
        assert_eq!(scores.len(), 3);
        let book = Book::default();
        let w = method
            .decide(&Inputs {
                scores: &scores,
                context: &context,
                book: &book,
                benchmark: None,
                styles: None,
                locked: &[],
            })
            .targets;
        // floor(0.5 × 3) = 1: the 0.9 alone, weight 1
        assert_eq!(w, vec![(SymbolId(2), 1.0)]);
        let none = method
            .decide(&Inputs {
                scores: &[],
                context: &context,
                book: &book,
                benchmark: None,
                styles: None,
                locked: &[],
            })
            .targets;
        assert!(none.is_empty());
    }
}
