//! `file`: scores from a CSV `date,symbol,score` produced by any outside
//! model. A symbol with no row for the signal day has no score. The same
//! lookup replays a sweep's recorded scores (`research::sweep::replay`).

use super::model::AlphaModel;
use crate::context::Context;
use crate::data::{Date, ScoreTable, SymbolId};
use crate::Result;
use std::sync::Arc;

/// Scores read from a file.
#[derive(Debug, Clone)]
pub struct FileModel {
    table: Arc<ScoreTable>,
}

impl FileModel {
    /// Wraps a loaded score table.
    pub fn new(table: ScoreTable) -> Self {
        FileModel::shared(Arc::new(table))
    }

    /// Wraps a score table shared with other models (a sweep's replays).
    pub fn shared(table: Arc<ScoreTable>) -> Self {
        FileModel { table }
    }

    /// The scores of `universe` on `date` (NaN for a symbol without a row),
    /// or None when the table has no row for `date`.
    pub fn scores_on(&self, date: Date, universe: &[SymbolId]) -> Option<Vec<f64>> {
        let day = self.table.by_date.get(&date)?;
        Some(
            universe
                .iter()
                .map(|s| {
                    day.binary_search_by_key(s, |p| p.0)
                        .map_or(f64::NAN, |i| day[i].1)
                })
                .collect(),
        )
    }
}

impl AlphaModel for FileModel {
    fn name(&self) -> &str {
        "file"
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        Ok(self
            .scores_on(ctx.date(), universe)
            .unwrap_or_else(|| vec![f64::NAN; universe.len()]))
    }
}
