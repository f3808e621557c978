//! The one forward-return / IC / quantile rule (DESIGN §4 `ic`), shared by
//! the engine's IC, the factor report and the learned models' labels.
//!
//! - **Forward return** of a stock from signal day `t` over `h` trading
//!   days: `close_adj(t+h) / close_adj(t) − 1`; a stock with no close at
//!   `t+h` (suspended, delisted) uses its last close before `t+h`; NaN when
//!   it has no close at `t` ([`forward_return`]).
//! - **Due day**: a signal is evaluated at the close of `t+h`; signal days
//!   whose `t+h` lies past the data are never due, so they are dropped
//!   ([`PendingSignals`]).
//! - **Evaluation** of one signal day over the stocks with a finite score
//!   and a finite forward return, in the order given: Pearson IC, Spearman
//!   rank IC (average ranks for ties), RankMAE (below), and the mean forward
//!   return per score quantile, lowest first, stocks sorted by score with
//!   ties by symbol ([`evaluate`]); the long-short return is the top minus
//!   the bottom quantile's ([`SignalEvaluation::spread`]).
//! - **RankMAE** of a signal day: `mean_i |g(score_i) − g(forward_i)|` with
//!   `g` the rank-Gauss transform `Φ⁻¹((rank − 0.5) / n)` (average ranks for
//!   ties, `n` the stocks evaluated; [`metrics::rank_mae`]). 0 is a perfect
//!   ranking, ≈ 2/√π ≈ 1.128 a random one; reports show `e^(−RankMAE)`
//!   (≈ 0.324 for a random score, higher is better).

use crate::context::Context;
use crate::data::{DayIndex, SymbolId};
use crate::metrics;
use std::collections::VecDeque;

/// The forward return of `symbol` from `signal_day` over `horizon_days`
/// trading days, read at `context` (whose day must be ≥ `signal_day +
/// horizon_days`): `close_adj_as_of(t+h) / close_adj_on(t) − 1`.
pub fn forward_return(
    context: &Context<'_>,
    symbol: SymbolId,
    signal_day: DayIndex,
    horizon_days: u32,
) -> f64 {
    let end = DayIndex(signal_day.0 + horizon_days);
    debug_assert!(end <= context.day(), "a forward return is read once known");
    context.close_adj_as_of(end, symbol) / context.close_adj_on(signal_day, symbol) - 1.0
}

/// Signals waiting for their horizon, oldest first. Push each signal day
/// in order and call [`PendingSignals::pop_due`] at every close.
#[derive(Debug, Clone)]
pub struct PendingSignals<T> {
    horizon_days: u32,
    queue: VecDeque<(DayIndex, T)>,
}

impl<T> PendingSignals<T> {
    /// An empty queue for a horizon of `horizon_days` trading days.
    pub fn new(horizon_days: u32) -> Self {
        PendingSignals {
            horizon_days,
            queue: VecDeque::new(),
        }
    }
    /// The horizon in trading days.
    pub fn horizon_days(&self) -> u32 {
        self.horizon_days
    }
    /// Queues what was known at `signal_day`.
    pub fn push(&mut self, signal_day: DayIndex, signal: T) {
        self.queue.push_back((signal_day, signal));
    }
    /// The oldest signal whose horizon ends `today`, if any (call until `None`).
    pub fn pop_due(&mut self, today: DayIndex) -> Option<(DayIndex, T)> {
        let h = self.horizon_days;
        if self.queue.front().is_some_and(|p| p.0 .0 + h == today.0) {
            self.queue.pop_front()
        } else {
            None
        }
    }
}

/// How one signal day's scores did against the forward returns.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalEvaluation {
    /// Stocks evaluated (finite score and forward return).
    pub n: usize,
    pub ic: f64,
    pub rank_ic: f64,
    /// Mean |rank-Gauss(score) − rank-Gauss(forward return)| (module docs).
    pub rank_mae: f64,
    /// Mean forward return per score quantile, lowest first.
    pub quantile_returns: Vec<f64>,
}

impl SignalEvaluation {
    /// Top-minus-bottom quantile forward return (NaN with no quantile).
    pub fn spread(&self) -> f64 {
        match (self.quantile_returns.first(), self.quantile_returns.last()) {
            (Some(lo), Some(hi)) => hi - lo,
            _ => f64::NAN,
        }
    }
}

/// Evaluates `(symbol, score, forward return)` triples in `quantiles`
/// buckets (see the module docs). Triples with a non-finite score or
/// forward return are left out.
///
/// ```
/// use alphasim::data::SymbolId;
/// use alphasim::signal::evaluate;
/// let s = |i| SymbolId(i);
/// let e = evaluate([(s(0), 1.0, 0.01), (s(1), 2.0, 0.02), (s(2), 3.0, f64::NAN), (s(3), 4.0, 0.05)], 2);
/// assert_eq!(e.n, 3);
/// assert!((e.rank_ic - 1.0).abs() < 1e-12);
/// assert_eq!(e.quantile_returns.len(), 2);
/// ```
pub fn evaluate(
    triples: impl IntoIterator<Item = (SymbolId, f64, f64)>,
    quantiles: usize,
) -> SignalEvaluation {
    let mut kept: Vec<(SymbolId, f64, f64)> = triples
        .into_iter()
        .filter(|x| x.1.is_finite() && x.2.is_finite())
        .collect();
    let scores: Vec<f64> = kept.iter().map(|x| x.1).collect();
    let forward: Vec<f64> = kept.iter().map(|x| x.2).collect();
    let ic = metrics::pearson(&scores, &forward);
    let rank_ic = metrics::spearman(&scores, &forward);
    let rank_mae = metrics::rank_mae(&scores, &forward);
    kept.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let sorted_forward: Vec<f64> = kept.iter().map(|x| x.2).collect();
    SignalEvaluation {
        n: kept.len(),
        ic,
        rank_ic,
        rank_mae,
        quantile_returns: metrics::quantile_means(&sorted_forward, quantiles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_pending_signals_due_exactly_at_the_horizon() {
        let mut p = PendingSignals::new(2);
        p.push(DayIndex(0), 'a');
        p.push(DayIndex(1), 'b');
        assert_eq!(p.pop_due(DayIndex(1)), None);
        assert_eq!(p.pop_due(DayIndex(2)), Some((DayIndex(0), 'a')));
        assert_eq!(p.pop_due(DayIndex(2)), None);
        assert_eq!(p.pop_due(DayIndex(3)), Some((DayIndex(1), 'b')));
    }

    #[test]
    fn test_evaluate_quantiles_sorted_by_score_then_symbol() {
        // Scores tie at 1.0: symbol 0 goes to the lower bucket.
        let e = evaluate(
            [
                (SymbolId(1), 1.0, 0.3),
                (SymbolId(0), 1.0, 0.1),
                (SymbolId(2), 2.0, 0.5),
                (SymbolId(3), 3.0, 0.7),
            ],
            2,
        );
        assert_eq!(e.quantile_returns, vec![0.2, 0.6]);
        assert!((e.spread() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn test_evaluate_rank_mae_over_the_kept_stocks_by_hand() {
        // The NaN forward return is left out, so n = 3: scores rank 1, 2, 3,
        // forward returns (0.02, 0.01, 0.03) rank 2, 1, 3. p = (r − 0.5)/3 =
        // 1/6, 1/2, 5/6 → g = −c, 0, c with c = Φ⁻¹(5/6) = 0.9674215661017014
        // (Python statistics.NormalDist). |−c − 0| + |0 + c| + |c − c| = 2c.
        let c = 0.9674215661017014;
        let e = evaluate(
            [
                (SymbolId(0), 1.0, 0.02),
                (SymbolId(1), 2.0, 0.01),
                (SymbolId(2), 2.5, f64::NAN),
                (SymbolId(3), 3.0, 0.03),
            ],
            3,
        );
        assert_eq!(e.n, 3);
        assert!((e.rank_mae - 2.0 * c / 3.0).abs() < 1e-12, "{}", e.rank_mae);
    }
}
