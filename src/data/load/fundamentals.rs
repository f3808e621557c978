//! Reading `fundamentals`: reported values with period end and announce date.

use super::chunk::Opened;
use super::fields::{parse_day, parse_num, to_date};
use super::intern::{merge_names, FileSymbols, LocalNames};
use super::location::{Fault, Lines};
use super::parse::Parsed;
use super::progress::Workers;
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

pub(super) fn read_fundamentals(path: &Path, threads: Workers<'_>) -> Result<FundamentalFile> {
    let file = Opened::open(path)?;
    let req = file.require(
        &["symbol", "period_end", "announce_date", "field", "value"],
        "",
    )?;
    let (sc, pc, ac, fc, vc) = (req[0], req[1], req[2], req[3], req[4]);
    let Parsed { lines, states } = file.parse(threads, FundamentalChunk::default, |s, f| {
        let sym = s.syms.id(f[sc], sc, "symbol")?;
        let period = parse_day(f[pc], pc)?;
        let announce = parse_day(f[ac], ac)?;
        if announce < period {
            return Err(Fault::new(
                ac,
                f[ac],
                format!(
                    "announce_date {} is before period_end {}: a report cannot be published before its period ends",
                    to_date(announce),
                    to_date(period)
                ),
                "check the row: were period_end and announce_date swapped? announce_date must be on or after period_end",
            ));
        }
        let field = s.fields.id(f[fc], fc, "field name")?;
        let value = parse_num(f[vc], vc, false)?;
        s.rows.push((sym, period, announce, field, value));
        Ok(())
    })?;
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
