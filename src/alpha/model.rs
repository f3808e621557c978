//! The [`AlphaModel`] trait: what the engine asks of every alpha model.

use crate::context::Context;
use crate::data::SymbolId;
use crate::Result;

use super::interpret::Interpretation;

/// A pluggable alpha model.
pub trait AlphaModel: Send {
    /// Short name for reports.
    fn name(&self) -> &str;
    /// Refits on the history known now. Labels used must be fully known at
    /// `ctx.date()`. The default does nothing (models without parameters).
    fn fit(&mut self, _ctx: &Context<'_>) -> Result<()> {
        Ok(())
    }
    /// Called at every close of the simulation (after the day's bars and
    /// factors, before any decision), so a model can keep what it will need
    /// for fitting (e.g. cross-sections on sample days). It only ever sees
    /// the present: this is how models accumulate history without look-ahead.
    fn observe(&mut self, _ctx: &Context<'_>) -> Result<()> {
        Ok(())
    }
    /// Whether the model reads factor values at the close of `day` when it
    /// is not a signal day. The factor library computes and preprocesses its
    /// columns only on signal days and on the days a model asks for here
    /// (on other days the library columns read NaN); its rolling state is
    /// updated every day regardless. Default: signal days only.
    fn wants_factors(&self, _day: crate::data::DayIndex) -> bool {
        false
    }
    /// Scores `universe` (today's eligible candidates, ascending ids);
    /// returns one score per symbol, NaN for "no score".
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>>;
    /// What the model learned, per retrain window (factor attention for the
    /// DMFM), for `report.json` and `attention.csv`. None for models without.
    fn interpretation(&self) -> Option<Interpretation> {
        None
    }
}
