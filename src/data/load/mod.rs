//! Loading a market bundle (DESIGN §1) from a folder of CSV (or Parquet)
//! tables into a validated, columnar [`Market`].
//!
//! # Files
//!
//! `bars` is required; `constituents`, `industries`, `benchmark`, `factors`,
//! `fundamentals` and `index_weights` are optional. Each may be `NAME.csv`,
//! `NAME.csv.gz` or `NAME.parquet`, only one of them (two is an error:
//! remove one). A Parquet table has the same column names; it is read
//! through `parquet` (types, projection, row groups in parallel) into the
//! same row functions ([`cells`]), so the same rules below apply and the
//! same market results, with errors located by row group and row instead of
//! line (docs/parquet.md). Any other file in the folder is
//! ignored. Columns are found by header name, in any order; header names are
//! trimmed of spaces and a UTF-8 byte-order mark. Columns the file kind does not
//! know are ignored (except in `factors`, where every column other than `date`
//! and `symbol` is a factor). A missing required column, a repeated header
//! name, a zero-byte file, or a `bars` file with no data rows is an
//! [`Error::File`](crate::Error::File) that lists the columns the file needs. Blank lines are
//! skipped (they still count for line numbers).
//!
//! # What is parsed
//!
//! [`LoadOptions::factor_columns`] picks the `factors.csv` columns to parse
//! ([`FactorColumns`]; a run asks for the columns its model reads, see
//! `engine::run_factor_columns`). The other factor cells are split off but
//! never parsed (garbage in them is no error) nor stored; every row, its
//! date and symbol are still read and checked, so the rows, the symbol ids
//! and the warnings do not depend on the selection. `validate` parses every
//! column. Every bundle file is still read, even one the run does not use:
//! skipping it would change the ids of the symbols only it names and the
//! warnings the report lists, so the run folder would differ.
//! With [`LoadOptions::cache`] on, the load goes through the binary
//! cache (`data::cache`), which parses through this module on a miss.
//!
//! # Parsing strategy
//!
//! A file is never held whole: it goes to the parsers in blocks of a few MB
//! cut at the last line end, through a bounded crossbeam channel, so reading
//! overlaps parsing and memory holds only a few blocks besides the parsed
//! columns. A plain file's blocks are memory-mapped windows (no copy out of
//! the page cache, unmapped once parsed); a `.gz` file is decompressed on
//! the calling thread into reused buffers.
//! Worker threads ([`LoadOptions::threads`]) parse chunks independently into
//! per-chunk columns. A chunk knows only its line numbers relative to its own
//! start (plus a compact map for skipped blank lines); absolute line numbers
//! are computed once all chunks are in, and only when an error needs one.
//! `bars` is read on the calling thread while the other files are read one
//! after the other on a second thread, so their parses (and decompressions)
//! overlap; errors are still reported in file order.
//!
//! Lines are split by a hand-rolled splitter on `,` ([`scan`]: bit masks
//! of each 64-byte window's commas, line feeds and quotes, built with
//! SSE2 once per window; a field boundary is a bit operation). Only the
//! fields up to the last column the file kind reads are split off; the rest
//! of the line is only counted from the masks (its commas, so the field
//! count is still checked, and whether it holds a quote). Each chunk's
//! column vectors are reserved for the rows its size suggests
//! ([`cells::RowFn::reserve`]), not grown row by row. The data needs no quoting, but a quoted
//! field must not be mis-read: as soon as a chunk shows a `"`, the rest of
//! that chunk is parsed by the `csv` crate instead. (A quoted
//! field containing a line break is rejected: chunks are cut at line breaks.)
//! Dates take a fixed-format fast path (`YYYY-MM-DD` to a day number, with
//! month and day-of-month checked); numbers use `str::parse::<f64>`, and
//! `NaN`/`inf` (which that parser accepts) are rejected explicitly, as are
//! numbers too large to be finite.
//!
//! Symbols are interned chunk-locally while parsing; afterwards every symbol of
//! `bars` gets its [`SymbolId`](crate::data::SymbolId) in name order, so ids do not depend on row
//! order. Symbols that only other files name get ids after them, also in name
//! order, with one warning per file ("never trades"). Their rows in
//! `constituents`, `industries`, `factors` and `fundamentals` are kept: such a
//! member simply never has a bar, so it is never tradable.
//!
//! Bars are ordered by a stable counting sort on the day, then each day's rows
//! are sorted by symbol id only when they are not already in order (in a file
//! sorted by symbol they always are). The columns are then gathered in that
//! order one at a time, in parallel, in tiles of days × symbols (a transpose
//! of a file sorted by symbol: tiles keep its pages in the TLB); each chunk
//! column is dropped, and the freed heap returned to the OS
//! ([`crate::malloc::release_freed_memory`]), as soon as it is gathered, so
//! the load never holds the bars twice. Factors are ordered the same way.

//! # Validation rules
//!
//! Every rule stops the load with an [`Error::Data`](crate::Error::Data) naming the file, the line
//! (the header is line 1), the column, the value and a fix; the first error in
//! file order is reported (per-row errors before whole-file ones such as
//! duplicates).
//!
//! - Any file: a row with more or fewer fields than the header; an empty cell
//!   where a value is required; a symbol that is not UTF-8.
//! - Dates must be `YYYY-MM-DD` and exist (no 2023-02-29).
//! - Numbers must parse and be finite: `NaN`, `inf` and overflow are errors.
//! - `bars`: prices (`open`, `high`, `low`, `close`, and `limit_up`/`limit_down`
//!   when present) and `volume`/`amount` must be ≥ 0; a row with `volume > 0`
//!   needs all four prices > 0 (volume 0 marks a suspended day, which may carry
//!   zero prices); `high ≥ low`; `adj_factor > 0` (default 1 when the column is
//!   absent); `limit_up` and `limit_down` come together, and an empty cell in
//!   them means "no limit that day" (stored as NaN); no two rows with the same
//!   `(date, symbol)`. `open`/`close` outside `[low, high]` is *not* an error
//!   (DESIGN does not ask for it): `validate` reports a count as a warning,
//!   and `--strict` makes it an error ([`crate::data::bundle_warnings`]).
//!   An *empty* `volume` cell is read as 0, i.e. a suspended day, with one
//!   warning counting such rows (the real cn-ashare bundle has a few thousand
//!   suspended days written that way).
//! - `constituents`: `index,symbol,start_date,end_date`; empty `start_date`
//!   means "since forever", empty `end_date` "still a member"; `end < start` is
//!   an error, and so are two spells of the same symbol and index that overlap
//!   (both ends are inclusive, so a spell may start the day after the previous
//!   one ends).
//! - `industries`: `symbol,industry` plus optional `start_date`/`end_date`
//!   (same conventions); spells of the same symbol may not overlap, whatever
//!   the industry.
//! - `benchmark`: `date,index,close`; `close > 0`; no repeated `(date, index)`.
//! - `factors`: `date,symbol,<factor…>`; an empty cell is a missing value
//!   (NaN); no repeated `(date, symbol)`. Factor dates need not be trading days.
//! - `fundamentals`: `symbol,period_end,announce_date,field,value`; dates and a
//!   finite value are required, and `announce_date ≥ period_end` (a report
//!   cannot be published before its period ends).
//! - `index_weights`: `date,index,symbol,weight`; `weight ≥ 0`; no repeated
//!   `(date, index, symbol)`. A date whose weights sum to more than 0.01
//!   away from 1 is a warning (the weights are normalised), and so are rows
//!   naming a symbol that is not a member of the index that day (when
//!   `constituents` has the index).

// `crate::Error` carries the file, line, column, value and fix of a data
// error by value; it is large, but errors are rare and end the load.
#![allow(clippy::result_large_err)]

mod bars;
mod benchmark;
mod cells;
mod chunk;
mod factors;
mod fields;
mod files;
mod fundamentals;
mod index_weights;
mod intern;
mod location;
mod order;
mod parquet;
mod parquet_cells;
mod parse;
mod progress;
mod scan;
mod spells;
mod table;
#[cfg(test)]
mod tests;
mod to_arrow;

pub use factors::FactorColumns;
pub(crate) use files::{file_name as file_label, locate_files, FileKind};
pub use progress::LoadProgress;
pub(crate) use to_arrow::{table_to_arrow, ArrowTable};

use super::Market;
use crate::data::cache::{Cache, CacheStatus};
use crate::Result;
use bars::load_bars;
use benchmark::read_benchmark;
use factors::{finish_factors, read_factors};
use fundamentals::{finish_fundamentals, read_fundamentals};
use index_weights::{finish_index_weights, read_index_weights};
use intern::{resolve_symbols, FileSymbols};
use spells::{finish_constituents, finish_industries, read_spells};
use std::path::{Path, PathBuf};

/// How to load a bundle.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Parser threads; 0 means the number of available cores.
    pub threads: usize,
    /// The `factors.csv` columns to parse (default: all).
    pub factor_columns: FactorColumns,
    /// Whether to read and write the binary bundle cache (default: off).
    pub cache: Cache,
    /// Counters the parsers update as they go (none by default).
    pub progress: Option<std::sync::Arc<LoadProgress>>,
}

impl LoadOptions {
    fn thread_count(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

/// Loads and validates the bundle in `dir` (see the module docs for the
/// rules), from the binary cache when [`LoadOptions::cache`] allows it.
pub fn load_market(dir: &Path, opts: &LoadOptions) -> Result<Market> {
    load_market_status(dir, opts).map(|(m, _)| m)
}

/// [`load_market`], also saying how the cache was used.
pub fn load_market_status(dir: &Path, opts: &LoadOptions) -> Result<(Market, CacheStatus)> {
    if opts.cache == Cache::Off {
        let files = locate_files(dir)?;
        return Ok((parse_bundle(&files, opts)?.0, CacheStatus::Off));
    }
    crate::data::cache::load(dir, opts)
}

/// Parses the located bundle files; also returns every factor column name
/// of `factors.csv` (the market holds those [`LoadOptions::factor_columns`] picks).
pub(crate) fn parse_bundle(
    files: &[(FileKind, PathBuf)],
    opts: &LoadOptions,
) -> Result<(Market, Vec<String>)> {
    let threads = progress::Workers {
        threads: opts.thread_count(),
        progress: opts.progress.as_deref(),
    };
    let path_of = |k: FileKind| {
        files
            .iter()
            .find(|(f, _)| *f == k)
            .map(|(_, p)| p.as_path())
    };
    let bars_path = path_of(FileKind::Bars).expect("locate_files requires bars");
    // Bars on this thread, the other files on another: their parses and
    // (for `.gz` files) decompressions overlap. Errors are reported in file
    // order, as if the files were read one after the other.
    let (bars, others) = std::thread::scope(|s| {
        let others = s.spawn(|| -> Result<_> {
            let constituents = path_of(FileKind::Constituents)
                .map(|p| read_spells(p, threads, false))
                .transpose()?;
            let industries = path_of(FileKind::Industries)
                .map(|p| read_spells(p, threads, true))
                .transpose()?;
            let benchmark = path_of(FileKind::Benchmark)
                .map(|p| read_benchmark(p, threads))
                .transpose()?
                .unwrap_or_default();
            let factors = path_of(FileKind::Factors)
                .map(|p| read_factors(p, threads, &opts.factor_columns))
                .transpose()?;
            let fundamentals = path_of(FileKind::Fundamentals)
                .map(|p| read_fundamentals(p, threads))
                .transpose()?;
            let index_weights = path_of(FileKind::IndexWeights)
                .map(|p| read_index_weights(p, threads))
                .transpose()?;
            Ok((
                constituents,
                industries,
                benchmark,
                factors,
                fundamentals,
                index_weights,
            ))
        });
        let bars = load_bars(bars_path, threads);
        (bars, others.join().expect("loader thread panicked"))
    });
    let (bars, mut symbols, mut warnings) = bars?;
    let (
        mut constituents,
        mut industries,
        benchmark,
        mut factors,
        mut fundamentals,
        mut index_weights,
    ) = others?;

    {
        let mut named: Vec<(String, &mut FileSymbols)> = Vec::new();
        if let Some(f) = constituents.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = industries.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = factors.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = fundamentals.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = index_weights.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        resolve_symbols(&mut symbols, &mut named, &mut warnings);
    }

    let constituent_map = constituents
        .as_ref()
        .map(finish_constituents)
        .transpose()?
        .unwrap_or_default();
    let (industries_names, industry_spells) = industries
        .as_ref()
        .map(finish_industries)
        .transpose()?
        .unwrap_or_default();
    let all_factors = factors
        .as_ref()
        .map(|f| f.all_names.clone())
        .unwrap_or_default();
    let factors = factors
        .map(|f| finish_factors(f, threads.threads))
        .transpose()?
        .unwrap_or_default();
    let fundamentals = fundamentals.map(finish_fundamentals).unwrap_or_default();
    let index_weights = index_weights
        .map(|f| finish_index_weights(f, &constituent_map, &mut warnings))
        .transpose()?
        .unwrap_or_default();

    let market = Market {
        symbols,
        industries_names,
        bars,
        constituents: constituent_map,
        industries: industry_spells,
        benchmark,
        factors,
        fundamentals,
        index_weights,
        warnings,
    };
    Ok((market, all_factors))
}
