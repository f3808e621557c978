//! Reading `index_weights`: benchmark constituent weights per index and
//! date (`date,index,symbol,weight`), the checks that need no other file,
//! and the membership check against `constituents` (a warning).

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, FileSymbols, LocalNames};
use super::location::{Fault, Lines};
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::{IndexWeightDay, IndexWeights, Spell};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default)]
struct WeightChunk {
    indexes: LocalNames,
    syms: LocalNames,
    rows: Vec<(i32, u32, u32, f64)>,
}

/// The parsed file before its symbols have global ids.
pub(super) struct WeightFile {
    pub(super) lines: Lines,
    pub(super) symbols: FileSymbols,
    indexes: Vec<String>,
    /// (day, index, file symbol, weight, row).
    rows: Vec<(i32, u32, u32, f64, u32)>,
    date_col: usize,
}

struct WeightColumns {
    dc: usize,
    ic: usize,
    sc: usize,
    wc: usize,
}

impl RowFn<WeightChunk> for WeightColumns {
    fn row<C: Cells + ?Sized>(&self, s: &mut WeightChunk, f: &C) -> Result<(), Fault> {
        let day = f.day(self.dc)?;
        let index = s.indexes.id(f.name(self.ic), self.ic, "index name")?;
        let sym = s.syms.id(f.name(self.sc), self.sc, "symbol")?;
        let weight = f.num(self.wc, false)?;
        if weight < 0.0 {
            return Err(Fault::new(
                self.wc,
                &f.text(self.wc),
                "an index weight must be ≥ 0",
                "write the constituent's weight as a fraction of the index (0.012 = 1.2%), or drop the row",
            ));
        }
        s.rows.push((day, index, sym, weight));
        Ok(())
    }
}

pub(super) fn read_index_weights(path: &Path, threads: Workers<'_>) -> Result<WeightFile> {
    let mut file = Table::open(path)?;
    let req = file.require(&["date", "index", "symbol", "weight"], "")?;
    let cols = WeightColumns {
        dc: req[0],
        ic: req[1],
        sc: req[2],
        wc: req[3],
    };
    let dc = cols.dc;
    file.reads(
        &[
            (cols.dc, Role::Date),
            (cols.ic, Role::Name),
            (cols.sc, Role::Name),
            (cols.wc, Role::Number),
        ],
        false,
    )?;
    let Parsed { lines, states } = file.parse(threads, WeightChunk::default, &cols)?;
    let (indexes, index_maps) = merge_names(states.iter().map(|s| &s.indexes));
    let (sym_names, sym_maps) = merge_names(states.iter().map(|s| &s.syms));
    let mut rows = Vec::with_capacity(lines.rows as usize);
    for ((s, im), sm) in states.iter().zip(&index_maps).zip(&sym_maps) {
        for &(d, i, y, w) in &s.rows {
            let row = rows.len() as u32;
            rows.push((d, im[i as usize], sm[y as usize], w, row));
        }
    }
    Ok(WeightFile {
        lines,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        indexes,
        rows,
        date_col: dc,
    })
}

/// How far a date's weights may sum from 1 before a warning.
pub const SUM_TOLERANCE: f64 = 0.01;

/// The weights per index (dates ascending, each date's weights by symbol id),
/// an error for a repeated `(date, index, symbol)`, and warnings for dates
/// whose weights do not sum to 1 within [`SUM_TOLERANCE`] (they are
/// normalised) and for rows naming a symbol that is not a member of the
/// index on that date (when `constituents` has that index).
pub(super) fn finish_index_weights(
    mut f: WeightFile,
    constituents: &BTreeMap<String, Vec<Spell>>,
    warnings: &mut Vec<String>,
) -> Result<IndexWeights> {
    let global = &f.symbols.global;
    f.rows
        .sort_by_key(|r| (r.1, r.0, global[r.2 as usize], r.4));
    if let Some(w) = f
        .rows
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1 && w[0].2 == w[1].2)
        .min_by_key(|w| w[1].4.max(w[0].4))
    {
        let (earlier, later) = (w[0].4.min(w[1].4), w[0].4.max(w[1].4));
        return Err(f.lines.error(
            u64::from(later),
            Fault::new(
                f.date_col,
                to_date(w[0].0).to_string().as_bytes(),
                format!(
                    "duplicate index weight: {} already has {} in {} on {}",
                    f.lines.place_of(u64::from(earlier)),
                    f.symbols.names[w[0].2 as usize],
                    f.indexes[w[0].1 as usize],
                    to_date(w[0].0)
                ),
                "keep one weight per (date, index, symbol): delete the duplicate",
            ),
        ));
    }
    let file = f.lines.file_name();
    let mut out: IndexWeights = BTreeMap::new();
    let mut off_sum: Vec<(String, usize, f64)> = Vec::new(); // (index, dates, worst sum)
    let mut non_members: BTreeMap<String, (usize, u64)> = BTreeMap::new(); // index → (rows, first row)
    let mut i = 0;
    while i < f.rows.len() {
        let (day, index) = (f.rows[i].0, f.rows[i].1);
        let mut j = i;
        while j < f.rows.len() && f.rows[j].0 == day && f.rows[j].1 == index {
            j += 1;
        }
        let name = &f.indexes[index as usize];
        let date = to_date(day);
        let sum: f64 = f.rows[i..j].iter().map(|r| r.3).sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            match off_sum.iter_mut().find(|o| &o.0 == name) {
                Some(o) => {
                    o.1 += 1;
                    if (sum - 1.0).abs() > (o.2 - 1.0).abs() {
                        o.2 = sum;
                    }
                }
                None => off_sum.push((name.clone(), 1, sum)),
            }
        }
        if let Some(spells) = constituents.get(name) {
            for r in &f.rows[i..j] {
                let s = global[r.2 as usize];
                // spells are sorted by (symbol, start)
                let from = spells.partition_point(|sp| sp.symbol < s);
                let member = spells[from..]
                    .iter()
                    .take_while(|sp| sp.symbol == s)
                    .any(|sp| sp.contains(date));
                if !member {
                    let e = non_members.entry(name.clone()).or_insert((0, u64::MAX));
                    e.0 += 1;
                    e.1 = e.1.min(u64::from(r.4));
                }
            }
        }
        let weights = if sum > 0.0 {
            f.rows[i..j]
                .iter()
                .map(|r| (global[r.2 as usize], r.3 / sum))
                .collect()
        } else {
            Vec::new()
        };
        out.entry(name.clone())
            .or_default()
            .push(IndexWeightDay { date, weights });
        i = j;
    }
    for (index, dates, worst) in off_sum {
        warnings.push(format!(
            "{file}: the weights of {index} do not sum to 1 (within {SUM_TOLERANCE}) on {dates} date(s), the worst sums to {worst:.4}; they are normalised to 1"
        ));
    }
    for (index, (rows, first)) in non_members {
        warnings.push(format!(
            "{file}: {rows} row(s) give a weight in {index} to a symbol that is not its member that day in constituents.csv (first: {})",
            f.lines.place_of(first)
        ));
    }
    Ok(out)
}
