//! Reading `factors`: one column per factor, NaN for an empty cell, rows in
//! `(day, symbol)` order.

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, FileSymbols, LocalNames};
use super::location::{split_ref, Fault, Lines};
use super::order::order_by_day_symbol;
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::{Factors, SymbolId};
use crate::{Error, Result};
use std::path::Path;

#[derive(Default)]
struct FactorChunk {
    syms: LocalNames,
    day: Vec<i32>,
    sym: Vec<u32>,
    values: Vec<f64>,
}

pub(super) struct FactorFile {
    pub(super) lines: Lines,
    date_col: usize,
    pub(super) symbols: FileSymbols,
    names: Vec<String>,
    /// Every factor column of the file (`names` are those parsed).
    pub(super) all_names: Vec<String>,
    /// Per chunk; `sym` holds file-level ids.
    chunks: Vec<FactorChunk>,
}

/// Which `factors.csv` columns a load parses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FactorColumns {
    /// Every factor column (`validate`, the factor report, sweeps).
    #[default]
    All,
    /// Only the named columns, in file order; the other cells are split off
    /// but never parsed (so garbage in them is not an error) nor stored.
    /// When a `required` name is not a column of the file, every column is
    /// parsed instead, so that the run's "not a factor column" error lists
    /// them all, exactly as with [`FactorColumns::All`]; `optional` names
    /// (library factor names checked for clashes, style names that may be
    /// columns) are parsed when present.
    Select {
        required: Vec<String>,
        optional: Vec<String>,
    },
}

impl FactorColumns {
    /// The factor columns to read, as indices into `all` (every factor
    /// column of the file, in file order).
    pub(crate) fn pick(&self, all: &[String]) -> Vec<usize> {
        match self {
            FactorColumns::Select { required, optional }
                if required.iter().all(|n| all.contains(n)) =>
            {
                (0..all.len())
                    .filter(|&i| required.contains(&all[i]) || optional.contains(&all[i]))
                    .collect()
            }
            _ => (0..all.len()).collect(),
        }
    }
}

struct FactorRow {
    dc: usize,
    sc: usize,
    factor_cols: Vec<usize>,
}

impl RowFn<FactorChunk> for FactorRow {
    fn row<C: Cells + ?Sized>(&self, s: &mut FactorChunk, f: &C) -> Result<(), Fault> {
        let day = f.day(self.dc)?;
        let sym = s.syms.id(f.name(self.sc), self.sc, "symbol")?;
        for &c in &self.factor_cols {
            let v = f.num(c, true)?;
            s.values.push(v);
        }
        s.day.push(day);
        s.sym.push(sym);
        Ok(())
    }
    fn reserve(&self, s: &mut FactorChunk, rows: usize) {
        s.day.reserve(rows);
        s.sym.reserve(rows);
        s.values.reserve(rows * self.factor_cols.len());
    }
}

pub(super) fn read_factors(
    path: &Path,
    threads: Workers<'_>,
    columns: &FactorColumns,
) -> Result<FactorFile> {
    let mut file = Table::open(path)?;
    let req = file.require(&["date", "symbol"], ",<factor…>")?;
    let (dc, sc) = (req[0], req[1]);
    let header = file.header().to_vec();
    let all_cols: Vec<usize> = (0..header.len()).filter(|&c| c != dc && c != sc).collect();
    if let Some(&c) = all_cols.iter().find(|&&c| header[c].is_empty()) {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!("column {} of the header has no name", c + 1),
            fix: "name every factor column, or remove the empty one (a trailing comma in the header makes one)".to_owned(),
        });
    }
    let all_names: Vec<String> = all_cols.iter().map(|&c| header[c].clone()).collect();
    let picked = columns.pick(&all_names);
    let factor_cols: Vec<usize> = picked.iter().map(|&i| all_cols[i]).collect();
    let names: Vec<String> = picked.iter().map(|&i| all_names[i].clone()).collect();
    let read: Vec<(usize, Role)> = [(dc, Role::Date), (sc, Role::Name)]
        .into_iter()
        .chain(factor_cols.iter().map(|&c| (c, Role::Number)))
        .collect();
    file.reads(&read, true)?;
    let cols = FactorRow {
        dc,
        sc,
        factor_cols,
    };
    let Parsed { lines, mut states } = file.parse(threads, FactorChunk::default, &cols)?;
    let (sym_names, maps) = merge_names(states.iter().map(|s| &s.syms));
    for (s, map) in states.iter_mut().zip(&maps) {
        for id in &mut s.sym {
            *id = map[*id as usize];
        }
    }
    Ok(FactorFile {
        lines,
        date_col: dc,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        names,
        all_names,
        chunks: states,
    })
}

pub(super) fn finish_factors(f: FactorFile, threads: usize) -> Result<Factors> {
    let FactorFile {
        lines,
        date_col,
        symbols,
        names,
        all_names: _,
        mut chunks,
    } = f;
    for c in &mut chunks {
        for s in &mut c.sym {
            *s = symbols.global[*s as usize].0;
        }
    }
    let lens: Vec<usize> = chunks.iter().map(|c| c.sym.len()).collect();
    let order = order_by_day_symbol(&lens, |c, i| chunks[c].day[i], |c, i| chunks[c].sym[i]);
    if let Some((earlier, later, day)) = order.first_duplicate() {
        let date = to_date(day);
        let (c, i) = split_ref(later);
        let name = &symbols.names[symbols
            .global
            .iter()
            .position(|g| g.0 == chunks[c].sym[i])
            .expect("a global id of this file")];
        return Err(lines.error_ref(
            later,
            Fault::new(
                date_col,
                date.to_string().as_bytes(),
                format!(
                    "duplicate factor row: {} already has {name} on {date}",
                    lines.place_of_ref(earlier)
                ),
                "keep one row per (date, symbol): delete or merge the duplicate",
            ),
        ));
    }
    let m = names.len();
    let values: Vec<Vec<f64>> = chunks.into_iter().map(|c| c.values).collect();
    let values = {
        let gathered = order.gather(&values, m, threads, 0.0);
        drop(values);
        crate::malloc::release_freed_memory();
        gathered
    };
    Ok(Factors {
        date: order.dates(),
        symbol: order
            .syms
            .into_iter()
            .map(SymbolId)
            .collect::<Vec<_>>()
            .into(),
        values: values.into(),
        names,
    })
}
