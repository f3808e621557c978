//! Reading `benchmark`: index closes per index name, ascending by date.

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, LocalNames};
use super::location::Fault;
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::Date;
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default)]
struct BenchmarkChunk {
    indexes: LocalNames,
    rows: Vec<(i32, u32, f64)>,
}

struct BenchmarkColumns {
    dc: usize,
    ic: usize,
    cc: usize,
}

impl RowFn<BenchmarkChunk> for BenchmarkColumns {
    fn row<C: Cells + ?Sized>(&self, s: &mut BenchmarkChunk, f: &C) -> Result<(), Fault> {
        let day = f.day(self.dc)?;
        let index = s.indexes.id(f.name(self.ic), self.ic, "index name")?;
        let close = f.num(self.cc, false)?;
        if close <= 0.0 {
            return Err(Fault::new(
                self.cc,
                &f.text(self.cc),
                "an index close must be > 0",
                "write the index level (a positive number), or drop the row",
            ));
        }
        s.rows.push((day, index, close));
        Ok(())
    }
}

pub(super) fn read_benchmark(
    path: &Path,
    threads: Workers<'_>,
) -> Result<BTreeMap<String, Vec<(Date, f64)>>> {
    let mut file = Table::open(path)?;
    let req = file.require(&["date", "index", "close"], "")?;
    let cols = BenchmarkColumns {
        dc: req[0],
        ic: req[1],
        cc: req[2],
    };
    let dc = cols.dc;
    file.reads(
        &[
            (cols.dc, Role::Date),
            (cols.ic, Role::Name),
            (cols.cc, Role::Number),
        ],
        false,
    )?;
    let Parsed { lines, states } = file.parse(threads, BenchmarkChunk::default, &cols)?;
    let (names, maps) = merge_names(states.iter().map(|s| &s.indexes));
    let mut rows: Vec<(i32, u32, f64, u32)> = Vec::with_capacity(lines.rows as usize);
    for (s, m) in states.iter().zip(&maps) {
        for &(d, i, c) in &s.rows {
            rows.push((d, m[i as usize], c, rows.len() as u32));
        }
    }
    rows.sort_by_key(|r| (r.1, r.0, r.3));
    let mut dup: Option<(u32, u32)> = None;
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[0].1 == w[1].1 && dup.is_none_or(|d| w[1].3 < d.1) {
            dup = Some((w[0].3, w[1].3));
        }
    }
    if let Some((earlier, later)) = dup {
        let r = rows.iter().find(|r| r.3 == later).expect("the row exists");
        return Err(lines.error(
            u64::from(later),
            Fault::new(
                dc,
                to_date(r.0).to_string().as_bytes(),
                format!(
                    "duplicate benchmark row: {} already has {} on {}",
                    lines.place_of(u64::from(earlier)),
                    names[r.1 as usize],
                    to_date(r.0)
                ),
                "keep one close per (date, index): delete the duplicate",
            ),
        ));
    }
    let mut out: BTreeMap<String, Vec<(Date, f64)>> = BTreeMap::new();
    for (d, i, c, _) in rows {
        out.entry(names[i as usize].clone())
            .or_default()
            .push((to_date(d), c));
    }
    Ok(out)
}
