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
    let left = 1.0 - kept;
    if !buy.is_empty() && left > 1e-12 {
        let each = left / buy.len() as f64;
        targets.extend(buy.iter().map(|&s| (s, each)));
    }
    targets.sort_by_key(|p| p.0);
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{History, Names};
    use crate::data::{Date, DayIndex};
    use crate::feed::{BarRow, DayBatch};
    use crate::strategy::Book;

    /// A history whose today has traded bars for `traded` (10 symbols).
    fn history(traded: &[u32]) -> History {
        let names = Names {
            symbols: (0..10).map(|i| format!("S{i}")).collect(),
            ..Default::default()
        };
        let mut h = History::new(names, false);
        let bars = traded
            .iter()
            .map(|&s| BarRow {
                symbol: SymbolId(s),
                open: 10.0,
                high: 10.0,
                low: 10.0,
                close: 10.0,
                volume: 100.0,
                amount: 1000.0,
                adj_factor: 1.0,
                limit_up: f64::NAN,
                limit_down: f64::NAN,
            })
            .collect();
        h.apply_close(&mut DayBatch {
            day: DayIndex(0),
            date: Date::from_ymd_opt(2020, 1, 2).unwrap(),
            bars,
            ..Default::default()
        });
        h
    }

    fn ids(v: &[(u32, f64)]) -> Vec<(SymbolId, f64)> {
        v.iter().map(|&(s, x)| (SymbolId(s), x)).collect()
    }

    fn assert_weights(got: &[(SymbolId, f64)], want: &[(u32, f64)]) {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(
                g.0 == SymbolId(w.0) && (g.1 - w.1).abs() < 1e-12,
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn test_topk_dropout_by_hand() {
        // topk 4, n_drop 2. Held: S0 (0.30), S1 (0.25), S2 (0.25), S3 (0.20)
        // with scores S0 0.9, S1 0.1, S2 0.5, S3 −0.2; the non-held S4..S9
        // score 0.8, 0.0, 0.6, 0.3, −0.5, 0.05.
        // today = the best 2 + 4 − 4 = 2 non-held: S4 (0.8), S6 (0.6);
        // comb by score: S0 .9, S4 .8, S6 .6, S2 .5, S1 .1, S3 −.2;
        // its last 2 are S1, S3: both held → sell; buy = today[..2 + 4 − 4] = S4, S6.
        // Kept S0, S2 keep 0.30 and 0.25; the buys share 0.45: 0.225 each.
        let scores = ids(&[
            (0, 0.9),
            (1, 0.1),
            (2, 0.5),
            (3, -0.2),
            (4, 0.8),
            (5, 0.0),
            (6, 0.6),
            (7, 0.3),
            (8, -0.5),
            (9, 0.05),
        ]);
        let book = Book {
            weights: ids(&[(0, 0.30), (1, 0.25), (2, 0.25), (3, 0.20)]),
            held_days: vec![10, 10, 10, 10],
        };
        let c = TopkDropoutConfig {
            topk: 4,
            n_drop: 2,
            hold_days: 5,
        };
        let h = history(&(0..10).collect::<Vec<_>>());
        let ctx = h.context();
        let inputs = Inputs {
            scores: &scores,
            context: &ctx,
            book: &book,
            benchmark: None,
            styles: None,
            locked: &[],
        };
        assert_weights(
            &weights(&inputs, &c),
            &[(0, 0.30), (2, 0.25), (4, 0.225), (6, 0.225)],
        );
        // S3 held only 3 days (< hold_days 5) and S1 suspended today: both
        // stay; the buys still number |sell| + topk − |last| = 2 (as Qlib),
        // but nothing is left for them (1 − 1.0 = 0): no buy.
        let book2 = Book {
            held_days: vec![10, 10, 10, 3],
            ..book.clone()
        };
        let h2 = history(&[0, 2, 3, 4, 5, 6, 7, 8, 9]);
        let ctx2 = h2.context();
        let scores2: Vec<(SymbolId, f64)> = scores
            .iter()
            .copied()
            .filter(|p| p.0 != SymbolId(1))
            .collect();
        // without a score S1 ranks last: comb = S0, S4, S6, S2, S3, S1 → sell S3, S1
        let w = weights(
            &Inputs {
                scores: &scores2,
                context: &ctx2,
                book: &book2,
                benchmark: None,
                styles: None,
                locked: &[],
            },
            &c,
        );
        assert_weights(&w, &[(0, 0.30), (1, 0.25), (2, 0.25), (3, 0.20)]);
        // first build: the best topk names at equal weight
        let empty = Book::default();
        let w = weights(
            &Inputs {
                scores: &scores,
                context: &ctx,
                book: &empty,
                benchmark: None,
                styles: None,
                locked: &[],
            },
            &c,
        );
        assert_weights(&w, &[(0, 0.25), (2, 0.25), (4, 0.25), (6, 0.25)]);
    }
}
