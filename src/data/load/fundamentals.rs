//! Reading `fundamentals`: reported values with period end and announce date.

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, FileSymbols, LocalNames};
use super::location::{Fault, Lines};
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::{FundamentalRecord, Fundamentals};
use crate::{Error, Result};
use std::path::Path;

#[derive(Default)]
struct FundamentalChunk {
    syms: LocalNames,
    fields: LocalNames,
    rows: Vec<(u32, i32, i32, u32, f64)>,
}

pub(super) struct FundamentalFile {
    pub(super) lines: Lines,
    pub(super) symbols: FileSymbols,
    fields: Vec<String>,
    /// `(symbol, period_end, announce_date, field, value)`, file-level ids.
    rows: Vec<(u32, i32, i32, u32, f64)>,
}

struct FundamentalColumns {
    sc: usize,
    pc: usize,
    ac: usize,
    fc: usize,
    vc: usize,
}

impl RowFn<FundamentalChunk> for FundamentalColumns {
    fn row<C: Cells + ?Sized>(&self, s: &mut FundamentalChunk, f: &C) -> Result<(), Fault> {
        let (sc, pc, ac, fc, vc) = (self.sc, self.pc, self.ac, self.fc, self.vc);
        let sym = s.syms.id(f.name(sc), sc, "symbol")?;
        let period = f.day(pc)?;
        let announce = f.day(ac)?;
        if announce < period {
            return Err(Fault::new(
                ac,
                &f.text(ac),
                format!(
                    "announce_date {} is before period_end {}: a report cannot be published before its period ends",
                    to_date(announce),
                    to_date(period)
                ),
                "check the row: were period_end and announce_date swapped? announce_date must be on or after period_end",
            ));
        }
        let field = s.fields.id(f.name(fc), fc, "field name")?;
        let value = f.num(vc, false)?;
        s.rows.push((sym, period, announce, field, value));
        Ok(())
    }
}

pub(super) fn read_fundamentals(path: &Path, threads: Workers<'_>) -> Result<FundamentalFile> {
    let mut file = Table::open(path)?;
    let req = file.require(
        &["symbol", "period_end", "announce_date", "field", "value"],
        "",
    )?;
    let cols = FundamentalColumns {
        sc: req[0],
        pc: req[1],
        ac: req[2],
        fc: req[3],
        vc: req[4],
    };
    file.reads(
        &[
            (cols.sc, Role::Name),
            (cols.pc, Role::Date),
            (cols.ac, Role::Date),
            (cols.fc, Role::Name),
            (cols.vc, Role::Number),
        ],
        false,
    )?;
    let Parsed { lines, states } = file.parse(threads, FundamentalChunk::default, &cols)?;
    let (sym_names, sym_maps) = merge_names(states.iter().map(|s| &s.syms));
    let (fields, field_maps) = merge_names(states.iter().map(|s| &s.fields));
    if fields.len() > usize::from(u16::MAX) + 1 {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!(
                "{} distinct field names; at most 65536 are supported",
                fields.len()
            ),
            fix: "check the `field` column: it should hold a small set of names".to_owned(),
        });
    }
    let mut rows = Vec::with_capacity(lines.rows as usize);
    for ((s, sm), fm) in states.iter().zip(&sym_maps).zip(&field_maps) {
        rows.extend(
            s.rows
                .iter()
                .map(|&(sy, p, a, fi, v)| (sm[sy as usize], p, a, fm[fi as usize], v)),
        );
    }
    Ok(FundamentalFile {
        lines,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        fields,
        rows,
    })
}

/// The records with global symbol ids, sorted by
/// `(announce_date, symbol, field, period_end)`.
pub(super) fn finish_fundamentals(f: FundamentalFile) -> Fundamentals {
    let mut records: Vec<FundamentalRecord> = f
        .rows
        .iter()
        .map(|&(s, p, a, fi, v)| FundamentalRecord {
            symbol: f.symbols.global[s as usize],
            period_end: to_date(p),
            announce_date: to_date(a),
            field: fi as u16,
            value: v,
        })
        .collect();
    records.sort_by_key(|r| (r.announce_date, r.symbol, r.field, r.period_end));
    Fundamentals {
        fields: f.fields,
        records,
    }
}
