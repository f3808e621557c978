//! The point-in-time factor library: ≥ 60 style factors in named groups
//! (reversal, momentum, volatility, liquidity, value, industry — see
//! [`catalog`] and `docs/factors.md`), computed inside the simulation at
//! each close from what the history has received.
//!
//! At every close the engine calls [`FactorLibrary::on_close`]:
//! 1. the rolling price state ([`rolling`]) takes in today's bars and the
//!    benchmark level, the fundamental state ([`fundamental`]) takes in the
//!    reports that became visible at today's pre-open;
//! 2. raw values are computed for today's eligible set (universe members
//!    that traded today — the same set models score), industry-relative
//!    factors subtract industry means over that set;
//! 3. each selected column is preprocessed over the set ([`preprocess`]:
//!    winsorise, z-score, fill missing, keep a missing mask);
//! 4. the engine writes the columns into the history after the
//!    `factors.csv` columns, so models read them through
//!    `Context::factor(s, k)` like any user factor.
//!
//! Stocks outside the eligible set have no library values that day (NaN,
//! masked missing). Library columns are named by the factor name
//! (`vol20`); a `factors.csv` column of the same name is an error.

pub mod catalog;
pub mod fundamental;
pub mod preprocess;
pub mod rolling;
#[cfg(test)]
mod tests;

pub use catalog::{select, FactorDef, FactorId, CATALOG, GROUPS, N_FACTORS};
pub use preprocess::{MissingRule, PreprocessConfig};

use crate::context::History;
use crate::data::SymbolId;
use fundamental::FundamentalState;
use rolling::PriceState;

/// Days with at least this many values (eligible × selected) preprocess
/// their columns on two threads.
const PARALLEL_MIN_VALUES: usize = 20_000;

/// The library's state and today's output.
pub struct FactorLibrary {
    selected: Vec<usize>,
    preprocess: PreprocessConfig,
    price: PriceState,
    fundamentals: FundamentalState,
    reports_seen: usize,
    /// Today's eligible symbols and their values (`symbols × selected`), mask alike.
    symbols: Vec<SymbolId>,
    values: Vec<f64>,
    missing: Vec<bool>,
    raw: Vec<f64>,
    column: Vec<f64>,
    industry: Vec<u16>,
    scratch: preprocess::Scratch,
    /// Output for every traded stock, not only the universe's candidates
    /// (a model that trains on all listed stocks needs their columns).
    listed: bool,
}

impl FactorLibrary {
    /// A library computing the catalogue entries `selected` for `n_symbols`
    /// symbols; `fundamental_fields` are the bundle's field names.
    pub fn new(
        selected: Vec<usize>,
        preprocess: PreprocessConfig,
        n_symbols: usize,
        fundamental_fields: &[String],
    ) -> Self {
        FactorLibrary {
            selected,
            preprocess,
            price: PriceState::new(n_symbols),
            fundamentals: FundamentalState::new(n_symbols, fundamental_fields),
            reports_seen: 0,
            symbols: Vec::new(),
            values: Vec::new(),
            missing: Vec::new(),
            raw: Vec::new(),
            column: Vec::new(),
            industry: Vec::new(),
            scratch: Default::default(),
            listed: false,
        }
    }

    /// Computes and preprocesses the columns over every stock with a traded
    /// bar (the cross-section a `samples.universe = "listed"` model stores)
    /// instead of the universe's candidates.
    pub fn over_listed(mut self, listed: bool) -> Self {
        self.listed = listed;
        self
    }

    /// Keeps the rolling window state only of the symbols with
    /// `members[s]` (all when `None`): the universe's members over the whole
    /// run, the only symbols whose values a candidate-set library ever
    /// computes. A library over every listed stock ([`FactorLibrary::over_listed`])
    /// keeps them all. Call before the first close.
    pub fn tracking(mut self, members: Option<&[bool]>) -> Self {
        if !self.listed {
            self.price = PriceState::tracking(self.price.n_symbols(), members);
        }
        self
    }

    /// Names of the selected factors (the history's column names).
    pub fn names(&self) -> Vec<String> {
        self.selected
            .iter()
            .map(|&i| CATALOG[i].name.to_owned())
            .collect()
    }

    /// Number of selected factors.
    pub fn width(&self) -> usize {
        self.selected.len()
    }

    /// Heap bytes of the rolling state (for the benchmarks).
    pub fn state_bytes(&self) -> usize {
        self.price.heap_bytes()
    }

    /// Processes today's close. `history` has today's bars applied;
    /// `benchmark_close` is the benchmark level today when the run has levels.
    /// The rolling state always advances; today's values are computed and
    /// preprocessed only when `outputs` is true (signal days and the days a
    /// model asks for), otherwise [`FactorLibrary::output`] is empty.
    pub fn on_close(&mut self, history: &History, benchmark_close: Option<f64>, outputs: bool) {
        self.price.update(history.bars(), benchmark_close);
        let ctx = history.context();
        let reports = ctx.reports();
        if reports.len() > self.reports_seen {
            self.fundamentals
                .ingest(&reports[self.reports_seen..], &self.price.last_adj);
            self.reports_seen = reports.len();
        }
        if !outputs {
            self.symbols.clear();
            self.values.clear();
            self.missing.clear();
            return;
        }
        self.symbols = if self.listed {
            ctx.traded()
        } else {
            ctx.candidates()
        };
        let n = self.symbols.len();
        let m = self.selected.len();
        self.raw.clear();
        self.raw.resize(n * N_FACTORS, f64::NAN);
        self.industry.clear();
        self.industry.extend(
            self.symbols
                .iter()
                .map(|&s| ctx.industry(s).map_or(u16::MAX, |g| g.0)),
        );
        // Raw values per symbol (independent rows: split over two threads on
        // large days; each row is computed the same way whatever the split).
        let (price, fundamentals) = (&self.price, &self.fundamentals);
        let fill = |symbols: &[SymbolId], raw: &mut [f64]| {
            for (&s, row) in symbols.iter().zip(raw.chunks_mut(N_FACTORS)) {
                price.compute(s.index(), row);
                fundamentals.compute(s.index(), price.close_adj_today(s.index()), row);
            }
        };
        if n * N_FACTORS >= PARALLEL_MIN_VALUES {
            let half = n / 2;
            let (sa, sb) = self.symbols.split_at(half);
            let (ra, rb) = self.raw.split_at_mut(half * N_FACTORS);
            std::thread::scope(|scope| {
                scope.spawn(|| fill(sb, rb));
                fill(sa, ra);
            });
        } else {
            fill(&self.symbols, &mut self.raw);
        }
        // Industry-relative factors: value − industry mean over the eligible set.
        let n_ind = self
            .industry
            .iter()
            .filter(|&&g| g != u16::MAX)
            .map(|&g| g as usize + 1)
            .max()
            .unwrap_or(0);
        let mut sums = vec![(0.0f64, 0usize); n_ind];
        for (rel, base) in catalog::INDUSTRY_RELATIVE {
            sums.fill((0.0, 0));
            for i in 0..n {
                let (g, v) = (self.industry[i], self.raw[i * N_FACTORS + base as usize]);
                if g != u16::MAX && v.is_finite() {
                    let e = &mut sums[g as usize];
                    e.0 += v;
                    e.1 += 1;
                }
            }
            for i in 0..n {
                let (g, v) = (self.industry[i], self.raw[i * N_FACTORS + base as usize]);
                self.raw[i * N_FACTORS + rel as usize] = if g != u16::MAX && v.is_finite() {
                    let (sum, k) = sums[g as usize];
                    v - sum / k as f64
                } else {
                    f64::NAN
                };
            }
        }
        // Column-major copy of the selected raw values, then preprocess the
        // columns (independent of each other: split over two threads when
        // the day is large; the result does not depend on the split).
        self.column.clear();
        self.column.resize(n * m, f64::NAN);
        self.missing.clear();
        self.missing.resize(n * m, false);
        for (j, &f) in self.selected.iter().enumerate() {
            let col = &mut self.column[j * n..(j + 1) * n];
            for (i, c) in col.iter_mut().enumerate() {
                let v = self.raw[i * N_FACTORS + f];
                *c = v;
                self.missing[i * m + j] = !v.is_finite();
            }
        }
        let (industry, cfg) = (&self.industry, &self.preprocess);
        if n * m >= PARALLEL_MIN_VALUES && m >= 2 && n > 0 {
            let half = m.div_ceil(2) * n;
            let (a, b) = self.column.split_at_mut(half);
            let scratch = &mut self.scratch;
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let mut own = preprocess::Scratch::default();
                    for col in b.chunks_mut(n) {
                        preprocess::preprocess_column(col, industry, cfg, &mut own);
                    }
                });
                for col in a.chunks_mut(n) {
                    preprocess::preprocess_column(col, industry, cfg, scratch);
                }
            });
        } else if n > 0 {
            for col in self.column.chunks_mut(n) {
                preprocess::preprocess_column(col, industry, cfg, &mut self.scratch);
            }
        }
        self.values.clear();
        self.values.resize(n * m, f64::NAN);
        for j in 0..m {
            for i in 0..n {
                self.values[i * m + j] = self.column[j * n + i];
            }
        }
    }

    /// Today's output: eligible symbols, values and missing mask (row-major
    /// `symbols × width`).
    pub fn output(&self) -> (&[SymbolId], &[f64], &[bool]) {
        (&self.symbols, &self.values, &self.missing)
    }

    /// Today's raw (unprocessed) value of catalogue factor `f` for the
    /// `i`-th eligible symbol (for tests and inspection).
    pub fn raw(&self, i: usize, f: FactorId) -> f64 {
        self.raw[i * N_FACTORS + f as usize]
    }

    /// Today's raw value of the factor at catalogue index `f` for the
    /// `i`-th eligible symbol (the symbols of [`FactorLibrary::output`];
    /// computed on output days only).
    pub fn raw_at(&self, i: usize, f: usize) -> f64 {
        self.raw[i * N_FACTORS + f]
    }
}
