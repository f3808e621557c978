//! One row's cells as the per-file row functions read them, whatever the
//! file format: a CSV row's text fields, or a Parquet row's typed values.
//!
//! The row functions (one per file kind) are written once against
//! [`Cells`] and [`RowFn`], so CSV and Parquet input go through the same
//! checks and give the same values and the same messages.

use super::fields::{parse_day, parse_num, parse_opt_day};
use super::location::Fault;
use std::borrow::Cow;

/// The cells of one row, by column index (into the header, or the Parquet
/// file's top-level columns).
pub(super) trait Cells {
    /// The cell as text: the CSV field, or the Parquet value written out
    /// (empty for a null), for messages.
    fn text(&self, col: usize) -> Cow<'_, [u8]>;
    /// True for an empty cell (a CSV field with nothing in it, a Parquet null
    /// or empty string).
    fn is_empty(&self, col: usize) -> bool;
    /// A required date, as days since 1970-01-01.
    fn day(&self, col: usize) -> Result<i32, Fault>;
    /// An optional date: an empty cell is `None`.
    fn opt_day(&self, col: usize) -> Result<Option<i32>, Fault>;
    /// A finite number; `empty_ok` maps an empty cell to NaN.
    fn num(&self, col: usize, empty_ok: bool) -> Result<f64, Fault>;
    /// A name's bytes (a symbol, an index, …), empty for an empty cell.
    fn name(&self, col: usize) -> &[u8];
}

/// A row function: checks one row and adds it to the chunk state `S`.
pub(super) trait RowFn<S>: Sync {
    fn row<C: Cells + ?Sized>(&self, s: &mut S, f: &C) -> Result<(), Fault>;
    /// Makes room in a fresh chunk state for about `rows` rows (a hint from
    /// the chunk's size), so the big files' column vectors are not grown
    /// (copied, their pages touched twice) row by row.
    fn reserve(&self, _s: &mut S, _rows: usize) {}
}

/// A CSV row: its fields as split from the line.
impl Cells for [&[u8]] {
    #[inline]
    fn text(&self, col: usize) -> Cow<'_, [u8]> {
        Cow::Borrowed(self[col])
    }
    #[inline]
    fn is_empty(&self, col: usize) -> bool {
        self[col].is_empty()
    }
    #[inline]
    fn day(&self, col: usize) -> Result<i32, Fault> {
        parse_day(self[col], col)
    }
    #[inline]
    fn opt_day(&self, col: usize) -> Result<Option<i32>, Fault> {
        parse_opt_day(self[col], col)
    }
    #[inline]
    fn num(&self, col: usize, empty_ok: bool) -> Result<f64, Fault> {
        parse_num(self[col], col, empty_ok)
    }
    #[inline]
    fn name(&self, col: usize) -> &[u8] {
        self[col]
    }
}
