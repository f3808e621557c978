//! The known world and the read-only, point-in-time view strategies and
//! alpha models get.
//!
//! [`History`] is filled by the engine from the day batches it has received,
//! one day at a time; [`Context`] borrows it at a given moment. Nothing in
//! here can reach a day the feed has not sent yet.

use crate::data::{Date, DayIndex, IndustryId, SymbolId};
use crate::event::{ConstituentChange, IndustryChange, ReportVisible};
use crate::feed::{BarRow, DayBatch};

/// Marker for "no row today" in the per-symbol row index.
const NO_ROW: u32 = u32::MAX;

/// Everything known so far, accumulated day by day.
#[derive(Debug)]
pub struct History {
    n_symbols: usize,
    /// Names of all symbols (ids index into it).
    symbol_names: Vec<String>,
    industry_names: Vec<String>,
    /// Factor columns: the `factors.csv` columns, then the library's.
    factor_names: Vec<String>,
    /// Number of `factors.csv` columns (the first columns).
    n_user_factors: usize,
    fundamental_fields: Vec<String>,
    /// Dates of the days received so far.
    dates: Vec<Date>,
    /// Adjusted closes, day-major `dates.len() × n_symbols`; NaN when the stock did not trade.
    /// With `retain_days = Some(k)`, a ring of the last k days (row = day mod k).
    close_adj: Vec<f64>,
    retain_days: Option<usize>,
    /// Today's bars (sorted by symbol) and the row of each symbol in it.
    today_bars: Vec<BarRow>,
    today_row: Vec<u32>,
    /// Last traded close (raw and adjusted) per symbol, NaN before the first trade.
    last_close: Vec<f64>,
    last_close_adj: Vec<f64>,
    /// The last adjusted close before the latest traded day of each symbol.
    prev_close_adj: Vec<f64>,
    last_traded_day: Vec<Option<DayIndex>>,
    /// Today's factor exposures, `n_symbols × n_factors`, NaN when missing.
    factors_today: Vec<f64>,
    /// True where today's value was missing before any fill (same layout).
    factor_missing: Vec<bool>,
    /// Universe membership and benchmark-index membership now.
    members: Vec<bool>,
    benchmark_members: Vec<bool>,
    universe_is_index: bool,
    industry: Vec<Option<IndustryId>>,
    /// Every fundamental value known so far, in the order it became known.
    reports: Vec<ReportVisible>,
}

/// Static names the history needs to answer questions by name.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub symbols: Vec<String>,
    pub industries: Vec<String>,
    /// `factors.csv` columns.
    pub factors: Vec<String>,
    /// Factor-library columns (after the `factors.csv` columns).
    pub library_factors: Vec<String>,
    pub fundamental_fields: Vec<String>,
}

impl History {
    /// An empty history. `universe_is_index` is false when the run has no
    /// universe index (every traded symbol is a member).
    pub fn new(names: Names, universe_is_index: bool) -> Self {
        let n = names.symbols.len();
        let n_user_factors = names.factors.len();
        let mut factor_names = names.factors;
        factor_names.extend(names.library_factors);
        let m = factor_names.len();
        History {
            n_symbols: n,
            symbol_names: names.symbols,
            industry_names: names.industries,
            factor_names,
            n_user_factors,
            fundamental_fields: names.fundamental_fields,
            dates: Vec::new(),
            close_adj: Vec::new(),
            retain_days: None,
            today_bars: Vec::new(),
            today_row: vec![NO_ROW; n],
            last_close: vec![f64::NAN; n],
            last_close_adj: vec![f64::NAN; n],
            prev_close_adj: vec![f64::NAN; n],
            last_traded_day: vec![None; n],
            factors_today: vec![f64::NAN; n * m],
            factor_missing: vec![true; n * m],
            members: vec![false; n],
            benchmark_members: vec![false; n],
            universe_is_index,
            industry: vec![None; n],
            reports: Vec::new(),
        }
    }

    /// Applies membership changes effective today.
    pub fn apply_constituents(
        &mut self,
        universe: &[ConstituentChange],
        benchmark: &[ConstituentChange],
    ) {
        apply_membership(&mut self.members, universe);
        apply_membership(&mut self.benchmark_members, benchmark);
    }

    /// Applies industry changes effective today.
    pub fn apply_industries(&mut self, changes: &[IndustryChange]) {
        for c in changes {
            self.industry[c.symbol.index()] = c.industry;
        }
    }

    /// Adds fundamentals that became visible today.
    pub fn add_reports(&mut self, mut reports: Vec<ReportVisible>) {
        self.reports.append(&mut reports);
    }

    /// Applies the close part of a batch: today's bars and factor rows.
    pub fn apply_close(&mut self, batch: &mut DayBatch) {
        let day = batch.day;
        debug_assert_eq!(day.index(), self.dates.len(), "days arrive in order");
        self.dates.push(batch.date);
        for b in &self.today_bars {
            self.today_row[b.symbol.index()] = NO_ROW;
        }
        self.today_bars = std::mem::take(&mut batch.bars);
        let base = match self.retain_days {
            None => {
                let base = self.close_adj.len();
                self.close_adj.resize(base + self.n_symbols, f64::NAN);
                base
            }
            Some(k) => {
                self.close_adj.resize(k * self.n_symbols, f64::NAN);
                let base = (day.index() % k) * self.n_symbols;
                self.close_adj[base..base + self.n_symbols].fill(f64::NAN);
                base
            }
        };
        for (i, b) in self.today_bars.iter().enumerate() {
            let s = b.symbol.index();
            self.today_row[s] = i as u32;
            if b.is_traded() {
                let adj = b.close * b.adj_factor;
                self.close_adj[base + s] = adj;
                self.last_close[s] = b.close;
                self.prev_close_adj[s] = self.last_close_adj[s];
                self.last_close_adj[s] = adj;
                self.last_traded_day[s] = Some(day);
            }
        }
        let m = self.factor_names.len();
        let u = self.n_user_factors;
        self.factors_today.fill(f64::NAN);
        self.factor_missing.fill(true);
        for (i, s) in batch.factor_symbols.iter().enumerate() {
            let dst = s.index() * m;
            let src = &batch.factor_values[i * u..(i + 1) * u];
            self.factors_today[dst..dst + u].copy_from_slice(src);
            for (flag, v) in self.factor_missing[dst..dst + u].iter_mut().zip(src) {
                *flag = v.is_nan();
            }
        }
    }

    /// Writes today's factor-library columns (after the `factors.csv`
    /// columns): `values` and `missing` are row-major `symbols × width`.
    /// Symbols not listed keep NaN (missing) in those columns.
    pub fn set_library_factors(&mut self, symbols: &[SymbolId], values: &[f64], missing: &[bool]) {
        let m = self.factor_names.len();
        let u = self.n_user_factors;
        let w = m - u;
        debug_assert_eq!(values.len(), symbols.len() * w);
        for (i, s) in symbols.iter().enumerate() {
            let dst = s.index() * m + u;
            self.factors_today[dst..dst + w].copy_from_slice(&values[i * w..(i + 1) * w]);
            self.factor_missing[dst..dst + w].copy_from_slice(&missing[i * w..(i + 1) * w]);
        }
    }

    /// Keeps only the last `k ≥ 2` days of adjusted closes (a lean history
    /// for sweep replays, whose model reads nothing and which skip the IC):
    /// [`History::close_adj_on`] then answers for those days only. Call before the first day.
    pub fn retain_days(&mut self, k: usize) {
        assert!(
            k >= 2 && self.dates.is_empty(),
            "set before the first day, k ≥ 2"
        );
        self.retain_days = Some(k);
    }

    fn row(&self, d: DayIndex) -> usize {
        match self.retain_days {
            None => d.index(),
            Some(k) => {
                debug_assert!(
                    d.index() + k >= self.dates.len(),
                    "a lean history keeps the last {k} days only"
                );
                d.index() % k
            }
        }
    }

    /// A read-only view at the current moment.
    pub fn context(&self) -> Context<'_> {
        Context { history: self }
    }

    /// Number of symbols.
    pub fn n_symbols(&self) -> usize {
        self.n_symbols
    }
    /// Number of days received.
    pub fn n_days(&self) -> usize {
        self.dates.len()
    }
    /// Today's bar of `s`, if it has a row today.
    #[inline]
    pub fn bar(&self, s: SymbolId) -> Option<&BarRow> {
        match self.today_row[s.index()] {
            NO_ROW => None,
            r => Some(&self.today_bars[r as usize]),
        }
    }
    /// Today's bars.
    pub fn bars(&self) -> &[BarRow] {
        &self.today_bars
    }
    /// Last traded raw close of `s` (NaN before its first trade).
    #[inline]
    pub fn last_close(&self, s: SymbolId) -> f64 {
        self.last_close[s.index()]
    }
    /// Last traded adjusted close of `s` (NaN before its first trade).
    #[inline]
    pub fn last_close_adj(&self, s: SymbolId) -> f64 {
        self.last_close_adj[s.index()]
    }
    /// The last traded adjusted close of `s` strictly before today (the
    /// price-limit reference at today's close; NaN when none, e.g. an IPO day).
    pub fn previous_close_adj(&self, s: SymbolId) -> f64 {
        if self.bar(s).is_some_and(BarRow::is_traded) {
            self.prev_close_adj[s.index()]
        } else {
            self.last_close_adj[s.index()]
        }
    }
    /// Day of the last trade of `s`.
    pub fn last_traded_day(&self, s: SymbolId) -> Option<DayIndex> {
        self.last_traded_day[s.index()]
    }
    /// Adjusted close of `s` on day `d` (NaN when it did not trade).
    #[inline]
    pub fn close_adj_on(&self, d: DayIndex, s: SymbolId) -> f64 {
        self.close_adj[self.row(d) * self.n_symbols + s.index()]
    }
    /// The last traded adjusted close of `s` on or before day `d`
    /// (NaN when it never traded by then).
    pub fn close_adj_as_of(&self, d: DayIndex, s: SymbolId) -> f64 {
        let mut day = d.index().min(self.dates.len().saturating_sub(1)) as isize;
        let oldest = self
            .retain_days
            .map_or(0, |k| self.dates.len().saturating_sub(k)) as isize;
        while day >= oldest {
            let v = self.close_adj[self.row(DayIndex(day as u32)) * self.n_symbols + s.index()];
            if !v.is_nan() {
                return v;
            }
            day -= 1;
        }
        f64::NAN
    }
    /// True when `s` is in the universe now. Without a universe index every
    /// symbol with a row today is a member.
    #[inline]
    pub fn is_member(&self, s: SymbolId) -> bool {
        if self.universe_is_index {
            self.members[s.index()]
        } else {
            self.today_row[s.index()] != NO_ROW
        }
    }
    /// True when `s` is in the benchmark index now.
    pub fn is_benchmark_member(&self, s: SymbolId) -> bool {
        self.benchmark_members[s.index()]
    }
    /// Raw membership flags of the universe index.
    pub fn members(&self) -> &[bool] {
        &self.members
    }
    /// Benchmark-index membership flags.
    pub fn benchmark_members(&self) -> &[bool] {
        &self.benchmark_members
    }
}

fn apply_membership(flags: &mut [bool], changes: &[ConstituentChange]) {
    for c in changes {
        flags[c.symbol.index()] = c.joined;
    }
}

/// A read-only, as-of-now view of the market for strategies and models.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    history: &'a History,
}

impl<'a> Context<'a> {
    /// Today's day index.
    pub fn day(&self) -> DayIndex {
        DayIndex(self.history.dates.len().saturating_sub(1) as u32)
    }
    /// Today's date.
    pub fn date(&self) -> Date {
        *self
            .history
            .dates
            .last()
            .expect("a context exists only after the first day")
    }
    /// The dates seen so far.
    pub fn dates(&self) -> &'a [Date] {
        &self.history.dates
    }
    /// Number of symbols (ids are `0..n`).
    pub fn n_symbols(&self) -> usize {
        self.history.n_symbols
    }
    /// A symbol's name.
    pub fn symbol_name(&self, s: SymbolId) -> &'a str {
        &self.history.symbol_names[s.index()]
    }
    /// Universe members now.
    pub fn is_member(&self, s: SymbolId) -> bool {
        self.history.is_member(s)
    }
    /// Benchmark-index members now (when the benchmark differs from the universe).
    pub fn is_benchmark_member(&self, s: SymbolId) -> bool {
        self.history.is_benchmark_member(s)
    }
    /// Today's candidates: universe members with a traded bar today, ascending ids.
    pub fn candidates(&self) -> Vec<SymbolId> {
        self.history
            .bars()
            .iter()
            .filter(|b| b.is_traded() && self.history.is_member(b.symbol))
            .map(|b| b.symbol)
            .collect()
    }
    /// Every stock with a traded bar today (listed, member or not), ascending ids.
    pub fn traded(&self) -> Vec<SymbolId> {
        self.history
            .bars()
            .iter()
            .filter(|b| b.is_traded())
            .map(|b| b.symbol)
            .collect()
    }
    /// Today's bar of `s`.
    pub fn bar(&self, s: SymbolId) -> Option<&'a BarRow> {
        self.history.bar(s)
    }
    /// Today's bar rows (every row of the day, ascending symbol ids).
    pub fn bars(&self) -> &'a [BarRow] {
        self.history.bars()
    }
    /// True when `s` traded today (a row with volume > 0).
    pub fn traded_today(&self, s: SymbolId) -> bool {
        self.history.bar(s).is_some_and(BarRow::is_traded)
    }
    /// Adjusted close of `s` on day `d` ≤ today (NaN when it did not trade).
    pub fn close_adj_on(&self, d: DayIndex, s: SymbolId) -> f64 {
        self.history.close_adj_on(d, s)
    }
    /// Last traded adjusted close of `s` on or before day `d` ≤ today.
    pub fn close_adj_as_of(&self, d: DayIndex, s: SymbolId) -> f64 {
        self.history.close_adj_as_of(d, s)
    }
    /// The current industry of `s`.
    pub fn industry(&self, s: SymbolId) -> Option<IndustryId> {
        self.history.industry[s.index()]
    }
    /// The name of an industry.
    pub fn industry_name(&self, i: IndustryId) -> &'a str {
        &self.history.industry_names[usize::from(i.0)]
    }
    /// Names of the factor columns.
    pub fn factor_names(&self) -> &'a [String] {
        &self.history.factor_names
    }
    /// The column index of a factor name.
    pub fn factor_index(&self, name: &str) -> Option<usize> {
        self.history.factor_names.iter().position(|n| n == name)
    }
    /// Today's exposure of `s` to factor column `k` (NaN when missing).
    pub fn factor(&self, s: SymbolId, k: usize) -> f64 {
        let m = self.history.factor_names.len();
        self.history.factors_today[s.index() * m + k]
    }
    /// True when today's value of factor column `k` for `s` was missing
    /// (a library value filled by the preprocessing rule, or an empty
    /// `factors.csv` cell, which stays NaN).
    pub fn factor_missing(&self, s: SymbolId, k: usize) -> bool {
        let m = self.history.factor_names.len();
        self.history.factor_missing[s.index() * m + k]
    }
    /// Number of `factors.csv` columns; library columns follow them.
    pub fn n_user_factors(&self) -> usize {
        self.history.n_user_factors
    }
    /// The latest known value of a fundamental `field` for `s` (latest
    /// period end; for one period, the latest announcement), if any.
    pub fn fundamental(&self, s: SymbolId, field: &str) -> Option<f64> {
        let f = self
            .history
            .fundamental_fields
            .iter()
            .position(|n| n == field)? as u16;
        self.history
            .reports
            .iter()
            .filter(|r| r.symbol == s && r.field == f)
            .max_by_key(|r| (r.period_end, r.announce_date))
            .map(|r| r.value)
    }
    /// All fundamentals known so far, in the order they became known.
    pub fn reports(&self) -> &'a [ReportVisible] {
        &self.history.reports
    }
}
