//! The market data bundle (DESIGN §1): loading, validation and the columnar
//! in-memory layout the rest of the engine reads.
//!
//! Only this module reads the bundle's files (CSV or Parquet). Raw rows never leave it:
//! the loader turns them into the dense, interned structures below and
//! rejects bad input with an [`Error::Data`](crate::Error::Data) naming file,
//! line, column and fix.
//!
//! Layout: this file holds the in-memory types; `load` reads a bundle
//! folder into a [`Market`] (one submodule per step and per file kind);
//! `validate` is the `validate` command's check and summary; `convert`
//! writes a bundle as Parquet (`alphasim convert`); `scores` reads
//! a score table for the `file` model. (Run folders are written and read
//! back by the top-level `run_folder` module.)
//!
//! Design notes: bars are stored sorted by `(day, symbol)` as parallel column
//! vectors, with `day_start[d]..day_start[d + 1]` the rows of trading day `d`.
//! That is the order the simulation consumes them in (one cross-section per
//! day), whatever order the file had (the real bundle is sorted by symbol).
//! Symbols are interned once to a [`SymbolId`]; everything downstream works on
//! `Vec`s indexed by it.

/// The columns of `bars.csv` (DESIGN §1), in the order the generator
/// writes them: the two keys, then the numbers (`amount`, `limit_up` and
/// `limit_down` are optional when loading).
pub const BAR_COLUMNS: [&str; 11] = [
    "date",
    "symbol",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "amount",
    "adj_factor",
    "limit_up",
    "limit_down",
];

mod cache;
mod column;
mod convert;
mod load;
pub mod qlib;
mod scores;
mod validate;

pub use cache::{clear_cache, Cache, CacheStatus};
pub use column::Column;
pub use convert::{convert_to_parquet, Converted};
pub use load::{load_market, load_market_status, FactorColumns, LoadOptions, LoadProgress};
pub use scores::{load_scores, ScoreTable};
pub use validate::{bundle_warnings, validate_bundle, BundleSummary};

use chrono::NaiveDate;
use hashbrown::HashMap;
use std::collections::BTreeMap;

/// A calendar date (no time of day: the engine works on daily bars).
pub type Date = NaiveDate;

/// Dense id of an interned symbol: an index into the [`Interner`] of [`Market::symbols`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SymbolId(pub u32);

// SAFETY: `SymbolId` is a `repr(transparent)` wrapper of a `u32`: every bit
// pattern is valid, it has no padding, and all-zero is `SymbolId(0)`. (So a
// cached symbol column is used in place, as a `Column<SymbolId>`.)
unsafe impl bytemuck::Zeroable for SymbolId {}
unsafe impl bytemuck::Pod for SymbolId {}

impl SymbolId {
    /// The id as a vector index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Dense id of an interned industry name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndustryId(pub u16);

/// Index of a trading day in the calendar (the dates of `bars.csv`, sorted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayIndex(pub u32);

impl DayIndex {
    /// The day as a vector index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Interned names (symbols or industries): id ↔ name.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The id of `name`, interning it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }
    /// The id of `name`, if interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// Number of interned names.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// True when nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// All names in id order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Daily bars, columnar, sorted by `(day, symbol name)`.
///
/// Prices are raw; the adjusted price is `price × adj_factor`. A row with
/// `volume == 0` is a suspended day (it is kept so the loader can validate
/// it, but [`Bars::is_traded`] is false for it).
#[derive(Debug, Clone, Default)]
pub struct Bars {
    /// The trading calendar: every date that appears in `bars.csv`, ascending.
    pub dates: Vec<Date>,
    /// `day_start[d]..day_start[d + 1]` are the rows of day `d`; length `dates.len() + 1`.
    pub day_start: Vec<u32>,
    pub symbol: Column<SymbolId>,
    pub open: Column<f64>,
    pub high: Column<f64>,
    pub low: Column<f64>,
    pub close: Column<f64>,
    pub volume: Column<f64>,
    /// Traded value, when the file has an `amount` column.
    pub amount: Option<Column<f64>>,
    /// Cumulative adjustment factor (1 when the column is absent).
    pub adj_factor: Column<f64>,
    /// Price limits, when the file has `limit_up,limit_down` columns.
    pub limit_up: Option<Column<f64>>,
    pub limit_down: Option<Column<f64>>,
}

impl Bars {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.symbol.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.symbol.is_empty()
    }
    /// Row range of day `d`.
    pub fn day_rows(&self, d: DayIndex) -> std::ops::Range<usize> {
        self.day_start[d.index()] as usize..self.day_start[d.index() + 1] as usize
    }
    /// True when row `r` is a traded (not suspended) bar.
    #[inline]
    pub fn is_traded(&self, r: usize) -> bool {
        self.volume[r] > 0.0
    }
    /// The day index of `date`, if it is a trading day.
    pub fn day_of(&self, date: Date) -> Option<DayIndex> {
        self.dates
            .binary_search(&date)
            .ok()
            .map(|i| DayIndex(i as u32))
    }
    /// The first trading day on or after `date`, if any.
    pub fn first_day_on_or_after(&self, date: Date) -> Option<DayIndex> {
        let i = self.dates.partition_point(|d| *d < date);
        (i < self.dates.len()).then_some(DayIndex(i as u32))
    }
}

/// A membership or classification spell, both ends inclusive; `end == None`
/// means "still valid". `start == None` means "since forever".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spell {
    pub symbol: SymbolId,
    pub start: Option<Date>,
    pub end: Option<Date>,
}

impl Spell {
    /// True when `date` lies inside the spell.
    pub fn contains(&self, date: Date) -> bool {
        self.start.is_none_or(|s| s <= date) && self.end.is_none_or(|e| date <= e)
    }
}

/// An industry classification spell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndustrySpell {
    pub spell: Spell,
    pub industry: IndustryId,
}

/// One reported value from `fundamentals.csv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FundamentalRecord {
    pub symbol: SymbolId,
    pub period_end: Date,
    pub announce_date: Date,
    /// Index into [`Fundamentals::fields`].
    pub field: u16,
    pub value: f64,
}

/// All reported values, sorted by `(announce_date, symbol, field, period_end)`.
#[derive(Debug, Clone, Default)]
pub struct Fundamentals {
    pub fields: Vec<String>,
    pub records: Vec<FundamentalRecord>,
}

/// Factor exposures from `factors.csv`, sorted by `(date, symbol)`; `values`
/// is row-major `len × names.len()` with `NaN` for a missing cell.
#[derive(Debug, Clone, Default)]
pub struct Factors {
    pub names: Vec<String>,
    pub date: Vec<Date>,
    pub symbol: Column<SymbolId>,
    pub values: Column<f64>,
}

impl Factors {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.symbol.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.symbol.is_empty()
    }
    /// The values of row `r`.
    pub fn row(&self, r: usize) -> &[f64] {
        let m = self.names.len();
        &self.values[r * m..(r + 1) * m]
    }
}

/// A loaded, validated market bundle.
#[derive(Debug, Clone, Default)]
pub struct Market {
    /// Symbols interned in order of first appearance in `bars.csv` sorted by name
    /// (so ids are stable for a given bundle), then any symbols only other files name.
    pub symbols: Interner,
    pub industries_names: Interner,
    pub bars: Bars,
    /// Membership spells per index name (`constituents.csv`); empty when the file is absent.
    pub constituents: BTreeMap<String, Vec<Spell>>,
    /// Industry spells (`industries.csv`); empty when the file is absent.
    pub industries: Vec<IndustrySpell>,
    /// Index closes per index name (`benchmark.csv`), ascending by date.
    pub benchmark: BTreeMap<String, Vec<(Date, f64)>>,
    pub factors: Factors,
    pub fundamentals: Fundamentals,
    /// Benchmark constituent weights per index name (`index_weights.csv`);
    /// empty when the file is absent.
    pub index_weights: IndexWeights,
    /// Non-fatal findings (e.g. symbols in other files that never trade).
    pub warnings: Vec<String>,
}

/// Benchmark constituent weights per index name, dates ascending.
pub type IndexWeights = BTreeMap<String, Vec<IndexWeightDay>>;

/// One date's weights of an index: known at the close of `date`, valid until
/// the next date with rows for the index. Normalised to sum to 1, ordered by
/// symbol id.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexWeightDay {
    pub date: Date,
    pub weights: Vec<(SymbolId, f64)>,
}

/// The weights of `index` known at the close of `date`: the last date with
/// rows on or before `date` (carried forward), or None before the first.
pub fn index_weights_as_of<'a>(
    weights: &'a IndexWeights,
    index: &str,
    date: Date,
) -> Option<&'a IndexWeightDay> {
    let days = weights.get(index)?;
    let k = days.partition_point(|d| d.date <= date);
    (k > 0).then(|| &days[k - 1])
}

impl Market {
    /// Number of interned symbols.
    pub fn n_symbols(&self) -> usize {
        self.symbols.len()
    }
    /// The id of a symbol name.
    pub fn symbol_id(&self, name: &str) -> Option<SymbolId> {
        self.symbols.get(name).map(SymbolId)
    }
    /// The name of a symbol id.
    pub fn symbol_name(&self, id: SymbolId) -> &str {
        self.symbols.name(id.0)
    }
}
