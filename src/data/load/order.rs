//! Ordering a table's rows by `(day, symbol)` and gathering columns in that
//! order, in parallel.

use super::fields::to_date;
use super::location::{row_ref, split_ref, RowRef};
use crate::data::Date;

/// A table's rows ordered by `(day, symbol, file order)`.
pub(super) struct DayOrder {
    /// Distinct days, ascending.
    pub(super) days: Vec<i32>,
    /// `starts[k]..starts[k + 1]` are the positions of day `days[k]`.
    pub(super) starts: Vec<u32>,
    /// Position → row.
    pub(super) perm: Vec<RowRef>,
    /// Position → the row's symbol (read once, in file order, so that the
    /// checks below never chase `perm` into the rows).
    pub(super) syms: Vec<u32>,
}

/// Orders rows by day (a stable counting sort), then each day by symbol when
/// it is not already in order. `day(c, i)`/`sym(c, i)` read row `i` of chunk `c`.
pub(super) fn order_by_day_symbol(
    lens: &[usize],
    day: impl Fn(usize, usize) -> i32,
    sym: impl Fn(usize, usize) -> u32,
) -> DayOrder {
    let n: usize = lens.iter().sum();
    let mut lo = i32::MAX;
    let mut hi = i32::MIN;
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            let d = day(c, i);
            lo = lo.min(d);
            hi = hi.max(d);
        }
    }
    if n == 0 {
        return DayOrder {
            days: Vec::new(),
            starts: vec![0],
            perm: Vec::new(),
            syms: Vec::new(),
        };
    }
    let span = (hi - lo) as usize + 1;
    let mut cursor = vec![0u32; span];
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            cursor[(day(c, i) - lo) as usize] += 1;
        }
    }
    let mut days = Vec::new();
    let mut starts = vec![0u32];
    let mut acc = 0u32;
    for (k, slot) in cursor.iter_mut().enumerate() {
        if *slot > 0 {
            let count = *slot;
            *slot = acc;
            acc += count;
            days.push(lo + k as i32);
            starts.push(acc);
        }
    }
    let mut perm: Vec<RowRef> = vec![0; n];
    let mut syms: Vec<u32> = vec![0; n];
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            let slot = &mut cursor[(day(c, i) - lo) as usize];
            perm[*slot as usize] = row_ref(c, i);
            syms[*slot as usize] = sym(c, i);
            *slot += 1;
        }
    }
    for w in starts.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        if !syms[a..b].windows(2).all(|p| p[0] <= p[1]) {
            // Stable: rows of one symbol stay in file order.
            let mut pairs: Vec<(u32, RowRef)> = syms[a..b]
                .iter()
                .copied()
                .zip(perm[a..b].iter().copied())
                .collect();
            pairs.sort_by_key(|p| p.0);
            for (k, (s, r)) in pairs.into_iter().enumerate() {
                syms[a + k] = s;
                perm[a + k] = r;
            }
        }
    }
    DayOrder {
        days,
        starts,
        perm,
        syms,
    }
}

impl DayOrder {
    /// The first duplicate `(day, symbol)` in file order: `(earlier, later, day)`.
    pub(super) fn first_duplicate(&self) -> Option<(RowRef, RowRef, i32)> {
        let mut best: Option<(RowRef, RowRef, i32)> = None;
        for (k, w) in self.starts.windows(2).enumerate() {
            let (a, b) = (w[0] as usize, w[1] as usize);
            for j in a + 1..b {
                if self.syms[j - 1] == self.syms[j] && best.is_none_or(|x| self.perm[j] < x.1) {
                    best = Some((self.perm[j - 1], self.perm[j], self.days[k]));
                }
            }
        }
        best
    }

    /// The date of every position.
    pub(super) fn dates(&self) -> Vec<Date> {
        let mut out = Vec::with_capacity(self.perm.len());
        for (k, &d) in self.days.iter().enumerate() {
            let n = (self.starts[k + 1] - self.starts[k]) as usize;
            out.extend(std::iter::repeat_n(to_date(d), n));
        }
        out
    }
}

/// Symbol ids per band and days per block of [`DayOrder::gather`].
const BAND: u32 = 256;
const DAYS: usize = 32;

impl DayOrder {
    /// Gathers one column stored per chunk (`width` values per row) into
    /// position order, in parallel over day ranges.
    ///
    /// Position order is a transpose of a file sorted by symbol, so reading
    /// the positions one after the other touches a new page for every
    /// symbol of a day: thousands of pages, far more than the TLB holds.
    /// Instead each range is walked in tiles: blocks of [`DAYS`] days, each
    /// in bands of [`BAND`] symbol ids (all days of the block for one band,
    /// then the next band). A tile reads a few hundred source pages (a
    /// band's rows of consecutive days lie side by side) and writes one
    /// page run per day, so its pages stay in the TLB and its cache lines
    /// are used whole. Every position is written exactly
    /// once whatever the file order (a day's positions are sorted by symbol).
    pub(super) fn gather<T: Copy + Send + Sync>(
        &self,
        chunks: &[Vec<T>],
        width: usize,
        threads: usize,
        fill: T,
    ) -> Vec<T> {
        let n = self.perm.len();
        let mut out = vec![fill; n * width];
        if width == 0 || n == 0 {
            return out;
        }
        let parts = n.div_ceil(piece_len(n, threads));
        let mut bounds: Vec<usize> = (0..=parts)
            .map(|k| {
                self.starts
                    .partition_point(|&s| (s as usize) < k * n / parts)
            })
            .collect();
        *bounds.last_mut().expect("parts ≥ 1") = self.days.len();
        bounds.dedup();
        let top = self.syms.iter().copied().max().unwrap_or(0);
        std::thread::scope(|s| {
            let mut rest: &mut [T] = &mut out;
            for w in bounds.windows(2) {
                let (da, db) = (w[0], w[1]);
                let base = self.starts[da] as usize;
                let len = self.starts[db] as usize - base;
                let (piece, tail) = rest.split_at_mut(len * width);
                rest = tail;
                s.spawn(move || {
                    for block in (da..db).step_by(DAYS) {
                        let days = block..(block + DAYS).min(db);
                        let mut cursor: Vec<u32> = self.starts[days.clone()].to_vec();
                        let mut hi = 0u32;
                        while hi <= top {
                            hi = hi.saturating_add(BAND);
                            for (k, d) in days.clone().enumerate() {
                                let end = self.starts[d + 1] as usize;
                                let mut p = cursor[k] as usize;
                                while p < end && self.syms[p] < hi {
                                    let (c, l) = split_ref(self.perm[p]);
                                    let o = p - base;
                                    if width == 1 {
                                        piece[o] = chunks[c][l];
                                    } else {
                                        piece[o * width..(o + 1) * width].copy_from_slice(
                                            &chunks[c][l * width..(l + 1) * width],
                                        );
                                    }
                                    p += 1;
                                }
                                cursor[k] = p as u32;
                            }
                        }
                    }
                });
            }
        });
        out
    }
}

pub(super) fn piece_len(n: usize, threads: usize) -> usize {
    n.div_ceil(threads.max(1)).max(1 << 15)
}
