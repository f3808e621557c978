//! `file`: scores from a CSV `date,symbol,score` produced by any outside
//! model. A symbol with no row for the signal day has no score.

use super::model::AlphaModel;
use crate::context::Context;
use crate::data::{ScoreTable, SymbolId};
use crate::Result;

/// Scores read from a file.
#[derive(Debug, Clone)]
pub struct FileModel {
    table: ScoreTable,
}

impl FileModel {
    /// Wraps a loaded score table.
    pub fn new(table: ScoreTable) -> Self {
        FileModel { table }
    }
}

impl AlphaModel for FileModel {
    fn name(&self) -> &str {
        "file"
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let Some(day) = self.table.by_date.get(&ctx.date()) else {
            return Ok(vec![f64::NAN; universe.len()]);
        };
        Ok(universe
            .iter()
            .map(|s| {
                day.binary_search_by_key(s, |p| p.0)
                    .map_or(f64::NAN, |i| day[i].1)
            })
            .collect())
    }
}
