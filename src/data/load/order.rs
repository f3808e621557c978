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

/// Fills `outs` (pieces of equal length) from `perm` in parallel: `put(piece
/// outputs, position in piece, row ref)`.
pub(super) fn par_fill<O: Send>(
    outs: Vec<O>,
    perm: &[RowRef],
    per: usize,
    put: impl Fn(&mut O, usize, RowRef) + Sync,
) {
    std::thread::scope(|s| {
        for (mut o, p) in outs.into_iter().zip(perm.chunks(per.max(1))) {
            let put = &put;
            s.spawn(move || {
                for (i, &r) in p.iter().enumerate() {
                    put(&mut o, i, r);
                }
            });
        }
    });
}

/// Gathers one column stored per chunk into position order.
pub(super) fn gather_column<T: Copy + Send + Sync>(
    chunks: &[Vec<T>],
    width: usize,
    perm: &[RowRef],
    threads: usize,
    fill: T,
) -> Vec<T> {
    let mut out = vec![fill; perm.len() * width];
    let per = piece_len(perm.len(), threads);
    if width > 0 {
        let pieces: Vec<&mut [T]> = out.chunks_mut(per * width).collect();
        if width == 1 {
            par_fill(pieces, perm, per, |o, i, r| {
                let (c, l) = split_ref(r);
                o[i] = chunks[c][l];
            });
        } else {
            par_fill(pieces, perm, per, |o, i, r| {
                let (c, l) = split_ref(r);
                let row = &chunks[c][l * width..(l + 1) * width];
                o[i * width..(i + 1) * width].copy_from_slice(row);
            });
        }
    }
    out
}

pub(super) fn piece_len(n: usize, threads: usize) -> usize {
    n.div_ceil(threads.max(1)).max(1 << 15)
}
