//! `reversal`: a price-only score, −(close_adj(t) / close_adj(t − w) − 1),
//! the short-term reversal A-share researchers know (losers of the last
//! `w` trading days score high). A stock suspended on day t − w uses its last
//! traded close before it; a stock with no close that far back has no score.

use super::model::AlphaModel;
use crate::context::Context;
use crate::data::{DayIndex, SymbolId};
use crate::Result;

/// Short-term reversal over `window` trading days.
#[derive(Debug, Clone)]
pub struct ReversalModel {
    window: u32,
}

impl ReversalModel {
    /// A reversal score over `window` trading days.
    pub fn new(window: u32) -> Self {
        ReversalModel { window }
    }
}

impl AlphaModel for ReversalModel {
    fn name(&self) -> &str {
        "reversal"
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let today = ctx.day();
        let Some(past) = today.0.checked_sub(self.window) else {
            return Ok(vec![f64::NAN; universe.len()]);
        };
        let past = DayIndex(past);
        Ok(universe
            .iter()
            .map(|&s| {
                let now = ctx.close_adj_as_of(today, s);
                let then = ctx.close_adj_as_of(past, s);
                -(now / then - 1.0)
            })
            .collect())
    }
}
