//! `topk_dropout`: Qlib's TopkDropoutStrategy (`method_sell = "bottom"`,
//! `method_buy = "top"`), as target weights.
//!
//! At each rebalance, with `last` the holdings ordered by today's score
//! (best first; holdings without a score — suspended today, or no longer in
//! the universe — after every scored one, by symbol):
//!
//! 1. `today` = the best `n_drop + topk − |last|` scored names not held;
//! 2. `comb` = `last ∪ today` ordered by score;
//! 3. `sell` = the holdings among the last `n_drop` of `comb` (so a holding
//!    is only replaced by a better-scored newcomer);
//! 4. `buy` = the first `|sell| + topk − |last|` of `today`;
//! 5. a holding in `sell` is kept when it did not trade today (untradable:
//!    the decision's point-in-time stand-in for Qlib's `is_stock_tradable`)
//!    or has been held fewer than `hold_days` trading days (Qlib's
//!    `hold_thresh`; the day of the buy counts as 1).
//!
//! Weights: every kept holding keeps its weight at the decision's close
//! (Qlib does not rebalance what it keeps; here the fill re-sizes a kept
//! name to that weight, a small trade from the overnight drift); the rest of
//! the portfolio (the value of the sales and any cash) is split equally
//! over `buy`.
//!
//! Differences from Qlib, all deliberate: the portfolio stays fully invested
//! (Qlib's `risk_degree` defaults to 0.95), so with nothing to buy the
//! engine's sizing spreads freed cash over the kept names pro rata; ties in
//! score go to the smaller symbol (pandas' sort order is unspecified for
//! ties); a negative count in step 1 (more holdings than `topk + n_drop`)
//! is 0, where Python's slice would drop names from the end; tradability at
//! the fill itself is execution's business (a blocked sale stays held, a
//! blocked buy is missed), as in every other method.

use super::{Inputs, TargetWeights};
use crate::data::SymbolId;
use crate::spec::TopkDropoutConfig;
use std::cmp::Ordering;

/// The target weights of one rebalance (see the module docs).
pub fn weights(inputs: &Inputs<'_>, c: &TopkDropoutConfig) -> TargetWeights {
    let scores = inputs.scores;
    let score_of = |s: SymbolId| {
        scores
            .binary_search_by_key(&s, |p| p.0)
            .ok()
            .map(|i| scores[i].1)
    };
    // best first; no score after every score; ties by symbol
    let order = |a: &(SymbolId, Option<f64>), b: &(SymbolId, Option<f64>)| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.0.cmp(&b.0)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    };
    let book = inputs.book;
    let mut last: Vec<(SymbolId, Option<f64>)> = book
        .weights
        .iter()
        .map(|&(s, _)| (s, score_of(s)))
        .collect();
    last.sort_by(order);
    let held = |s: SymbolId| book.weights.binary_search_by_key(&s, |w| w.0).is_ok();
    let mut nonheld: Vec<(SymbolId, Option<f64>)> = scores
        .iter()
        .filter(|p| !held(p.0))
        .map(|&(s, x)| (s, Some(x)))
        .collect();
    nonheld.sort_by(order);
    let n_today = (c.n_drop + c.topk).saturating_sub(last.len());
    let today: Vec<(SymbolId, Option<f64>)> = nonheld.into_iter().take(n_today).collect();
    let mut comb: Vec<(SymbolId, Option<f64>)> = last.iter().chain(&today).copied().collect();
    comb.sort_by(order);
    let bottom = &comb[comb.len().saturating_sub(c.n_drop)..];
    let sell: Vec<SymbolId> = last
        .iter()
        .filter(|h| bottom.iter().any(|b| b.0 == h.0))
        .map(|h| h.0)
        .collect();
    let n_buy = (sell.len() + c.topk).saturating_sub(last.len());
    let buy: Vec<SymbolId> = today.iter().take(n_buy).map(|p| p.0).collect();
    let ctx = inputs.context;
    let mut targets: TargetWeights = Vec::new();
    let mut kept = 0.0;
    for (i, &(s, w)) in book.weights.iter().enumerate() {
        let sold = sell.contains(&s) && ctx.traded_today(s) && book.held_days[i] >= c.hold_days;
        if !sold {
            targets.push((s, w));
            kept += w;
        }
    }
    if !buy.is_empty() {
        let each = (1.0 - kept).max(0.0) / buy.len() as f64;
        targets.extend(buy.iter().map(|&s| (s, each)));
    }
    targets.sort_by_key(|p| p.0);
    targets
}
