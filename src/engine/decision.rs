//! The rebalance decision (score the eligible set, hand the scores to the
//! portfolio-construction method, queue the order) and the IC evaluation
//! of earlier decisions whose horizon ends today.

use super::{Engine, IcRecord, PendingOrder, RebalanceRecord};
use crate::data::DayIndex;
use crate::signal::{self, forward_return};
use crate::strategy::eligible;
use crate::{Error, Result};

impl Engine<'_> {
    /// Rebalance timer (Close 3): scores, target weights, the pending order.
    pub(super) fn decide(&mut self) -> Result<()> {
        let ctx = self.history.context();
        let candidates = ctx.candidates();
        let scores = self.model.score(&ctx, &candidates)?;
        if scores.len() != candidates.len() {
            return Err(Error::Run(format!(
                "model `{}` returned {} scores for {} stocks",
                self.model.name(),
                scores.len(),
                candidates.len()
            )));
        }
        let scored = eligible(candidates, scores);
        let targets = self.construct(&scored);
        let date = self.batch.date;
        self.out.scores.push((date, scored.clone()));
        self.out.rebalances.push(RebalanceRecord {
            signal_date: date,
            fill_date: None,
            eligible: scored.len(),
            selected: targets.len(),
            missed: 0,
            unfilled: 0,
            buys: 0.0,
            sells: 0.0,
            cost: 0.0,
            pre_trade_value: 0.0,
            turnover: 0.0,
        });
        if !targets.is_empty() {
            self.pending_order = Some(PendingOrder {
                targets,
                record: self.out.rebalances.len() - 1,
            });
        }
        if !scored.is_empty() && self.options.evaluate_ic {
            self.pending_ic.push(self.batch.day, (date, scored));
        }
        Ok(())
    }

    /// IC and quantile returns of the signal days whose horizon ends today
    /// (the rule of [`crate::signal`]).
    pub(super) fn evaluate_due_signals(&mut self, today: DayIndex) {
        if !self.options.evaluate_ic {
            return;
        }
        let ctx = self.history.context();
        let horizon = self.pending_ic.horizon_days();
        let quantiles = self.spec.config.quantiles as usize;
        while let Some((day, (date, scored))) = self.pending_ic.pop_due(today) {
            let e = signal::evaluate(
                scored
                    .iter()
                    .map(|&(s, score)| (s, score, forward_return(&ctx, s, day, horizon))),
                quantiles,
            );
            self.out.ic.push(IcRecord {
                date,
                n: e.n,
                ic: e.ic,
                rank_ic: e.rank_ic,
                rank_mae: e.rank_mae,
                quantile_returns: e.quantile_returns,
            });
        }
    }
}
