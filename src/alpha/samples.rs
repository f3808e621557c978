//! The training history of a learned model: cross-sections stored at the
//! close they were known, labelled only at fit time, split into training,
//! embargo and validation dates.
//!
//! `observe` keeps, on every `sample_every_days`-th trading day, today's
//! candidates (universe members with a traded bar; with `universe =
//! "listed"`, every stock with a traded bar), their factors
//! (normalised per date by the `inputs` rule, default z-scored and clipped
//! to ±3, missing → 0, see [`super::inputs`]) and their industries, with the rows sorted
//! by (industry, symbol) so each industry is a contiguous block (stocks
//! without an industry come last, each its own block).
//!
//! Labels are computed at fit time from adjusted closes: the k-day forward
//! return of a sample at day d is `close_adj_as_of(d + k)/close_adj_on(d) − 1`,
//! and a sample is labelled only when `d + max(k) ≤ T`, T = the last close
//! known at fit time — a label never ends after the retrain date.
//!
//! Split (the paper's protocol): with `V = validation_months` and
//! `E = embargo_months`, training dates are `< date(T) − V months`, dates in
//! `[date(T) − V, date(T) − V + E)` are dropped (the embargo, so no training
//! label overlaps a validation date), and validation dates are the labelled
//! dates `≥ date(T) − V + E`. The window therefore expands from the start of
//! the data at every retrain.

use super::ew::zscore_clipped;
use super::inputs::normalise;
use crate::context::Context;
use crate::data::{Date, DayIndex, SymbolId};
use crate::spec::{InputNorm, SamplesConfig, TrainUniverse};
use chrono::Months;

/// One stored cross-section.
#[derive(Debug, Clone)]
pub struct Sample {
    pub day: DayIndex,
    pub date: Date,
    /// Rows sorted by (industry block, symbol).
    pub symbols: Vec<SymbolId>,
    /// `n × m` z-scored factors, row-major.
    pub x: Vec<f32>,
    /// Block id per row (industry id, or a fresh id per stock without one).
    pub group: Vec<u32>,
}

impl Sample {
    pub fn n(&self) -> usize {
        self.symbols.len()
    }
    /// Contiguous (start, len) industry blocks.
    pub fn blocks(&self) -> Vec<(usize, usize)> {
        blocks_of(&self.group)
    }

    /// Per-row `scores` (in this sample's row order) re-ordered to
    /// `universe`; NaN for a symbol the sample does not hold.
    pub fn in_universe_order(&self, universe: &[SymbolId], scores: Vec<f64>) -> Vec<f64> {
        let mut by_symbol: Vec<(SymbolId, f64)> =
            self.symbols.iter().copied().zip(scores).collect();
        by_symbol.sort_by_key(|p| p.0);
        universe
            .iter()
            .map(|u| {
                by_symbol
                    .binary_search_by_key(u, |p| p.0)
                    .map_or(f64::NAN, |i| by_symbol[i].1)
            })
            .collect()
    }
}

/// The head index of `score_horizon` among `horizons` (the spec check
/// guarantees it is one of them).
pub fn score_head(horizons: &[u32], score_horizon: u32) -> usize {
    horizons
        .iter()
        .position(|&h| h == score_horizon)
        .expect("spec check: score_horizon is one of horizons")
}

/// Contiguous runs of equal ids.
pub fn blocks_of(group: &[u32]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=group.len() {
        if i == group.len() || group[i] != group[start] {
            out.push((start, i - start));
            start = i;
        }
    }
    out
}

/// Builds the sorted cross-section of `symbols` at the context's close, its
/// factor columns normalised by `norm`.
pub fn cross_section(
    ctx: &Context<'_>,
    symbols: &[SymbolId],
    columns: &[usize],
    norm: InputNorm,
) -> Sample {
    // industries first (ascending id), stocks without one after, each alone
    let mut order: Vec<usize> = (0..symbols.len()).collect();
    let key = |i: usize| {
        (
            ctx.industry(symbols[i])
                .map_or(u32::MAX, |g| u32::from(g.0)),
            symbols[i],
        )
    };
    order.sort_by_key(|&i| key(i));
    let m = columns.len();
    let n = symbols.len();
    let mut x = vec![0f32; n * m];
    let mut column = vec![0f64; n];
    for (j, &k) in columns.iter().enumerate() {
        for (c, &i) in column.iter_mut().zip(&order) {
            *c = ctx.factor(symbols[i], k);
        }
        normalise(&mut column, norm);
        for (r, c) in column.iter().enumerate() {
            x[r * m + j] = *c as f32;
        }
    }
    let mut next_free = 1u32 << 20;
    let group = order
        .iter()
        .map(|&i| match ctx.industry(symbols[i]) {
            Some(g) => u32::from(g.0),
            None => {
                next_free += 1;
                next_free
            }
        })
        .collect();
    Sample {
        day: ctx.day(),
        date: ctx.date(),
        symbols: order.iter().map(|&i| symbols[i]).collect(),
        x,
        group,
    }
}

/// Where to sample and how to split; shared by every learned model.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    pub sample_every_days: u32,
    pub validation_months: u32,
    pub embargo_months: u32,
}

impl From<&SamplesConfig> for SampleOptions {
    /// A model's `[model.samples]` settings.
    fn from(c: &SamplesConfig) -> Self {
        SampleOptions {
            sample_every_days: c.every_days,
            validation_months: c.validation_months,
            embargo_months: c.embargo_months,
        }
    }
}

/// The growing store of cross-sections.
#[derive(Debug, Default)]
pub struct SampleStore {
    pub samples: Vec<Sample>,
}

/// The sample-day rule shared by `observe` and the models' `wants_factors`:
/// every `every`-th trading day, counted from the first day streamed (day 0).
pub fn is_sample_day(day: DayIndex, every: u32) -> bool {
    day.0 % every.max(1) == 0
}

/// A labelled sample: index into the store and `n × K` forward returns.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub sample: usize,
    pub returns: Vec<f32>,
}

/// The split of one retrain.
#[derive(Debug, Default)]
pub struct Split {
    pub train: Vec<Labelled>,
    pub valid: Vec<Labelled>,
}

impl SampleStore {
    /// Stores today's cross-section on sample days.
    pub fn observe(&mut self, ctx: &Context<'_>, columns: &[usize], samples: &SamplesConfig) {
        if !is_sample_day(ctx.day(), samples.every_days) {
            return;
        }
        let candidates = match samples.universe {
            TrainUniverse::Index => ctx.candidates(),
            TrainUniverse::Listed => ctx.traded(),
        };
        if candidates.len() < 2 {
            return;
        }
        self.samples
            .push(cross_section(ctx, &candidates, columns, samples.inputs));
    }

    /// Labels every sample whose longest horizon has elapsed by the close of
    /// `ctx.day()` and splits them (see the module docs).
    pub fn split(&self, ctx: &Context<'_>, horizons: &[u32], opt: &SampleOptions) -> Split {
        let today = ctx.day();
        let h_max = horizons.iter().copied().max().unwrap_or(1);
        let now = ctx.date();
        let valid_from = now
            .checked_sub_months(Months::new(opt.validation_months))
            .unwrap_or(Date::MIN);
        let valid_start = valid_from
            .checked_add_months(Months::new(opt.embargo_months))
            .unwrap_or(Date::MAX);
        let mut out = Split::default();
        for (i, s) in self.samples.iter().enumerate() {
            if s.day.0 + h_max > today.0 {
                continue; // label not fully known at the retrain date
            }
            let returns = forward_returns(ctx, s, horizons);
            let l = Labelled { sample: i, returns };
            if s.date < valid_from {
                out.train.push(l);
            } else if s.date >= valid_start {
                out.valid.push(l);
            }
        }
        out
    }
}

/// `n × K` forward returns of a sample (row-major), known at `ctx`.
pub fn forward_returns(ctx: &Context<'_>, s: &Sample, horizons: &[u32]) -> Vec<f32> {
    let k = horizons.len();
    let mut out = vec![0f32; s.n() * k];
    for (r, &sym) in s.symbols.iter().enumerate() {
        for (j, &h) in horizons.iter().enumerate() {
            // the one forward-return rule; it asserts the label is known now
            out[r * k + j] = crate::signal::forward_return(ctx, sym, s.day, h) as f32;
        }
    }
    out
}

/// Cross-sectional z-score (population std) of each of the K label columns,
/// clipped to ±3 — the default label normalisation.
pub fn zscore_columns(values: &mut [f32], k: usize) {
    let n = values.len() / k.max(1);
    let mut col = vec![0f64; n];
    for j in 0..k {
        for (i, c) in col.iter_mut().enumerate() {
            *c = f64::from(values[i * k + j]);
        }
        zscore_clipped(&mut col);
        for (i, c) in col.iter().enumerate() {
            values[i * k + j] = *c as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_blocks_of_runs() {
        assert_eq!(blocks_of(&[1, 1, 2, 5, 5, 5]), vec![(0, 2), (2, 1), (3, 3)]);
        assert_eq!(blocks_of(&[]), Vec::<(usize, usize)>::new());
    }

    #[test]
    fn test_zscore_columns_per_column() {
        // column 0: 1,2,3 → (−1.2247, 0, 1.2247); column 1 constant → 0
        let mut v = [1.0, 7.0, 2.0, 7.0, 3.0, 7.0];
        zscore_columns(&mut v, 2);
        let z = 1.0 / (2.0f32 / 3.0).sqrt();
        let expected = [-z, 0.0, 0.0, 0.0, z, 0.0];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}
