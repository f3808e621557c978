//! The sequence input: each stock's traded days as the model observed them,
//! and the `T × n × F` window of Alpha360-style features built from them on
//! demand (for scoring today, or for a past sample day at fit time).
//!
//! Stored per symbol, for each day it traded (volume > 0): the adjusted
//! close, open, high, low and volume-weighted price (`amount / volume`, or
//! (high + low + close) / 3 without `amount`; all × `adj_factor`), the
//! adjusted volume (`volume / adj_factor`) and the chosen factor columns'
//! values. Only one row per traded day (never a copy per window); a symbol
//! that has never been a candidate keeps only its last `window + 1` rows.
//!
//! The features of stock i at decision day t, for the `window` trading days
//! d = t − T + 1 … t of the calendar (the days the engine streamed):
//!
//! - 0..5: `10 · ln(p_d / close_t)` for p = close, open, high, low, vwap,
//!   clipped to ±5 (close_t = the stock's last traded adjusted close on or
//!   before t);
//! - 5: `ln(volume_d / mean volume)`, the mean over the window's traded days,
//!   clipped to ±3;
//! - 6: 1 when the stock did not trade on d (suspended, no row, not yet
//!   listed), else 0;
//! - then each factor column's value on d, z-scored over the n stocks of
//!   the window at each step and clipped to ±3 (missing → 0).
//!
//! **Days without a trade** carry forward: the five prices are the last
//! traded close (as an exchange prints a suspended bar), the volume feature
//! is 0 and the flag 1; factor values are those of the last traded day.
//! Days before the stock's first trade in the window take its first traded
//! close in the window (known at t) the same way. Only rows of days ≤ t are
//! read, so an input at t never depends on a later bar (`tests`).

use crate::context::Context;
use crate::data::{DayIndex, SymbolId};

/// Price-volume features per day (5 prices, volume, the no-trade flag).
pub const PRICE_VOLUME_FEATURES: usize = 7;
const PRICE_CLIP: f32 = 5.0;
const VOLUME_CLIP: f32 = 3.0;

/// Raw values of one traded day: close, open, high, low, vwap, volume.
const RAW: usize = 6;

#[derive(Debug, Default, Clone)]
struct Series {
    days: Vec<u32>,
    /// `days.len() × width` raw values.
    rows: Vec<f32>,
    tracked: bool,
}

/// Every symbol's traded days, as observed.
#[derive(Debug, Clone)]
pub struct BarHistory {
    window: usize,
    /// Raw values per row: 6 + factor columns.
    width: usize,
    series: Vec<Series>,
}

impl BarHistory {
    /// A history for `window`-day inputs with `factors` factor columns.
    pub fn new(window: usize, factors: usize) -> Self {
        BarHistory {
            window,
            width: RAW + factors,
            series: Vec::new(),
        }
    }

    /// Features per day of the inputs built.
    pub fn features(&self) -> usize {
        PRICE_VOLUME_FEATURES + self.width - RAW
    }

    /// Records a traded day of `symbol`: `raw` = close, open, high, low,
    /// vwap, volume (adjusted), then the factor values. `candidate`: the
    /// stock is a candidate today (its rows are kept from now on).
    pub fn push(&mut self, day: DayIndex, symbol: SymbolId, raw: &[f32], candidate: bool) {
        debug_assert_eq!(raw.len(), self.width);
        if self.series.len() <= symbol.index() {
            self.series.resize(symbol.index() + 1, Series::default());
        }
        let s = &mut self.series[symbol.index()];
        s.days.push(day.0);
        s.rows.extend_from_slice(raw);
        s.tracked |= candidate;
        let keep = self.window + 1;
        if !s.tracked && s.days.len() > 2 * keep {
            let drop = s.days.len() - keep;
            s.days.drain(..drop);
            s.rows.drain(..drop * self.width);
        }
    }

    /// Records today's bars (every traded row) from the context; `factors`
    /// are the factor columns to keep.
    pub fn observe(&mut self, ctx: &Context<'_>, factors: &[usize]) {
        let day = ctx.day();
        let mut raw = vec![0f32; self.width];
        for b in ctx.bars().iter().filter(|b| b.is_traded()) {
            let a = b.adj_factor;
            let vwap = if b.amount.is_finite() && b.amount > 0.0 {
                b.amount / b.volume
            } else {
                (b.high + b.low + b.close) / 3.0
            };
            for (r, p) in raw.iter_mut().zip([b.close, b.open, b.high, b.low, vwap]) {
                *r = (p * a) as f32;
            }
            raw[5] = (b.volume / a) as f32;
            for (r, &k) in raw[RAW..].iter_mut().zip(factors) {
                *r = ctx.factor(b.symbol, k) as f32;
            }
            let candidate = ctx.is_member(b.symbol);
            self.push(day, b.symbol, &raw, candidate);
        }
    }

    /// The input of `symbols` at decision day `t`: `T × n × F` row-major
    /// (time-major, oldest day first); see the module docs.
    pub fn build(&self, t: DayIndex, symbols: &[SymbolId]) -> Vec<f32> {
        let (w, f, n) = (self.window, self.features(), symbols.len());
        let m = self.width - RAW;
        let mut x = vec![0f32; w * n * f];
        let mut rows: Vec<Option<usize>> = vec![None; w];
        for (i, sym) in symbols.iter().enumerate() {
            let Some(s) = self.series.get(sym.index()) else {
                fill_empty(&mut x, i, n, f);
                continue;
            };
            // rows[k] = the last traded row on or before day t − w + 1 + k
            let mut p = s.days.partition_point(|&d| d <= t.0);
            for k in (0..w).rev() {
                let Some(day) = (t.0 + 1 + k as u32).checked_sub(w as u32) else {
                    rows[k] = None;
                    continue;
                };
                while p > 0 && s.days[p - 1] > day {
                    p -= 1;
                }
                rows[k] = p.checked_sub(1);
            }
            let Some(first) = rows.iter().flatten().next().copied() else {
                fill_empty(&mut x, i, n, f);
                continue;
            };
            let row = |r: usize| &s.rows[r * self.width..(r + 1) * self.width];
            let close_t = f64::from(row(rows[w - 1].expect("a row on or before t"))[0]);
            let (mut vsum, mut vcount) = (0f64, 0usize);
            for (k, r) in rows.iter().enumerate() {
                if let Some(r) = *r {
                    if window_day(t, w, k).is_some_and(|d| s.days[r] == d) {
                        vsum += f64::from(row(r)[5]);
                        vcount += 1;
                    }
                }
            }
            let vmean = vsum / vcount.max(1) as f64;
            for k in 0..w {
                let traded = match rows[k] {
                    Some(r) => window_day(t, w, k) == Some(s.days[r]),
                    None => false,
                };
                let src = row(rows[k].unwrap_or(first));
                let out = &mut x[(k * n + i) * f..(k * n + i + 1) * f];
                for j in 0..5 {
                    let p = if traded { src[j] } else { src[0] };
                    let v = 10.0 * (f64::from(p) / close_t).ln();
                    out[j] = (v as f32).clamp(-PRICE_CLIP, PRICE_CLIP);
                }
                out[5] = if traded && vmean > 0.0 {
                    ((f64::from(src[5]) / vmean).ln() as f32).clamp(-VOLUME_CLIP, VOLUME_CLIP)
                } else {
                    0.0
                };
                out[6] = if traded { 0.0 } else { 1.0 };
                out[PRICE_VOLUME_FEATURES..].copy_from_slice(&src[RAW..RAW + m]);
            }
        }
        if m > 0 {
            zscore_factor_steps(&mut x, w, n, f, m);
        }
        x
    }
}

/// The calendar day of window position k (None before day 0).
fn window_day(t: DayIndex, w: usize, k: usize) -> Option<u32> {
    (t.0 + 1 + k as u32).checked_sub(w as u32)
}

/// A stock with no traded day on or before t: zeros, flagged (factors NaN → 0).
fn fill_empty(x: &mut [f32], i: usize, n: usize, f: usize) {
    let w = x.len() / (n * f);
    for k in 0..w {
        let out = &mut x[(k * n + i) * f..(k * n + i + 1) * f];
        out.fill(0.0);
        out[6] = 1.0;
        out[PRICE_VOLUME_FEATURES..].fill(f32::NAN);
    }
}

/// Cross-sectional z-score (clipped ±3, missing → 0) of each factor column at each step.
fn zscore_factor_steps(x: &mut [f32], w: usize, n: usize, f: usize, m: usize) {
    let mut col = vec![0f64; n];
    for k in 0..w {
        for j in PRICE_VOLUME_FEATURES..PRICE_VOLUME_FEATURES + m {
            for (i, c) in col.iter_mut().enumerate() {
                *c = f64::from(x[(k * n + i) * f + j]);
            }
            crate::metrics::zscore_clipped(&mut col);
            for (i, c) in col.iter().enumerate() {
                x[(k * n + i) * f + j] = *c as f32;
            }
        }
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
