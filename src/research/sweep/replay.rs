//! Recording and replaying scores: a scoring run keeps every signal day's
//! scores in a [`ScoreTable`], the other variants of its group hand them back
//! through the `file` model's lookup (no fit, no observe, no history read).

use crate::alpha::{AlphaModel, FileModel};
use crate::context::Context;
use crate::data::{ScoreTable, SymbolId};
use crate::{Error, Result};
use std::sync::{Arc, Mutex};

/// Wraps a model and records every score it gives.
pub struct RecordingModel {
    inner: Box<dyn AlphaModel>,
    scores: Arc<Mutex<ScoreTable>>,
}

impl RecordingModel {
    /// Wraps `inner`; the scores land in `scores`.
    pub fn new(inner: Box<dyn AlphaModel>, scores: Arc<Mutex<ScoreTable>>) -> Self {
        RecordingModel { inner, scores }
    }
}

impl AlphaModel for RecordingModel {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.inner.fit(ctx)
    }
    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.inner.observe(ctx)
    }
    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        self.inner.wants_factors(day)
    }
    fn interpretation(&self) -> Option<crate::alpha::Interpretation> {
        self.inner.interpretation()
    }
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let s = self.inner.score(ctx, universe)?;
        let row: Vec<(SymbolId, f64)> = universe.iter().copied().zip(s.iter().copied()).collect();
        self.scores
            .lock()
            .expect("no panic while holding the lock")
            .by_date
            .insert(ctx.date(), row);
        Ok(s)
    }
}

/// Hands back recorded scores: no fit, no observe, no history read.
pub struct ReplayModel {
    name: String,
    scores: FileModel,
}

impl ReplayModel {
    /// Replays `scores` under the recorded model's `name`.
    pub fn new(name: String, scores: Arc<ScoreTable>) -> Self {
        ReplayModel {
            name,
            scores: FileModel::shared(scores),
        }
    }
}

impl AlphaModel for ReplayModel {
    fn name(&self) -> &str {
        &self.name
    }
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let date = ctx.date();
        self.scores.scores_on(date, universe).ok_or_else(|| {
            Error::Run(format!(
                "sweep replay: no recorded scores for {date} (the signal days changed between variants)"
            ))
        })
    }
}
