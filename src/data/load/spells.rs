//! Reading `constituents` and `industries`: membership and classification
//! spells, and the overlap check.

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, FileSymbols, LocalNames};
use super::location::{Fault, Lines};
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::{IndustryId, IndustrySpell, Interner, Spell};
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Default)]
struct SpellChunk {
    syms: LocalNames,
    groups: LocalNames,
    rows: Vec<SpellRow>,
}

#[derive(Clone, Copy)]
struct SpellRow {
    pub(super) sym: u32,
    /// Index name (constituents) or industry name (industries).
    pub(super) group: u32,
    pub(super) start: Option<i32>,
    pub(super) end: Option<i32>,
}

pub(super) struct SpellFile {
    pub(super) lines: Lines,
    pub(super) symbols: FileSymbols,
    groups: Vec<String>,
    rows: Vec<SpellRow>,
    sym_col: usize,
    start_col: Option<usize>,
}

const SPELL_END_FIX: &str =
    "end_date must be on or after start_date (both inclusive); swap the dates or fix the typo";

struct SpellColumns {
    sym_col: usize,
    group_col: usize,
    start_col: Option<usize>,
    end_col: Option<usize>,
    group_word: &'static str,
}

impl RowFn<SpellChunk> for SpellColumns {
    fn row<C: Cells + ?Sized>(&self, s: &mut SpellChunk, f: &C) -> Result<(), Fault> {
        let sym = s.syms.id(f.name(self.sym_col), self.sym_col, "symbol")?;
        let group = s
            .groups
            .id(f.name(self.group_col), self.group_col, self.group_word)?;
        let start = self.start_col.map(|c| f.opt_day(c)).transpose()?.flatten();
        let end = self.end_col.map(|c| f.opt_day(c)).transpose()?.flatten();
        if let (Some(a), Some(b), Some(c)) = (start, end, self.end_col) {
            if b < a {
                return Err(Fault::new(
                    c,
                    &f.text(c),
                    format!(
                        "the spell ends ({}) before it starts ({})",
                        to_date(b),
                        to_date(a)
                    ),
                    SPELL_END_FIX,
                ));
            }
        }
        s.rows.push(SpellRow {
            sym,
            group,
            start,
            end,
        });
        Ok(())
    }
}

/// Reads `constituents` (`industries == false`) or `industries`.
pub(super) fn read_spells(
    path: &Path,
    threads: Workers<'_>,
    industries: bool,
) -> Result<SpellFile> {
    let mut file = Table::open(path)?;
    let (sym_col, group_col, start_col, end_col) = if industries {
        let req = file.require(&["symbol", "industry"], " (optional: start_date,end_date)")?;
        (
            req[0],
            req[1],
            file.find("start_date"),
            file.find("end_date"),
        )
    } else {
        let req = file.require(&["index", "symbol", "start_date", "end_date"], "")?;
        (req[1], req[0], Some(req[2]), Some(req[3]))
    };
    let group_word = if industries { "industry" } else { "index name" };
    let cols = SpellColumns {
        sym_col,
        group_col,
        start_col,
        end_col,
        group_word,
    };
    let mut read = vec![(sym_col, Role::Name), (group_col, Role::Name)];
    read.extend(start_col.map(|c| (c, Role::Date)));
    read.extend(end_col.map(|c| (c, Role::Date)));
    file.reads(&read, false)?;
    let parsed = file.parse(threads, SpellChunk::default, &cols)?;
    let Parsed { lines, states } = parsed;
    let (sym_names, sym_maps) = merge_names(states.iter().map(|s| &s.syms));
    let (groups, group_maps) = merge_names(states.iter().map(|s| &s.groups));
    let mut rows = Vec::with_capacity(lines.rows as usize);
    for ((s, sm), gm) in states.iter().zip(&sym_maps).zip(&group_maps) {
        rows.extend(s.rows.iter().map(|r| SpellRow {
            sym: sm[r.sym as usize],
            group: gm[r.group as usize],
            ..*r
        }));
    }
    Ok(SpellFile {
        lines,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        groups,
        rows,
        sym_col,
        start_col,
    })
}

fn show_spell(start: Option<i32>, end: Option<i32>) -> String {
    let a = start.map_or_else(|| "(open)".to_owned(), |d| to_date(d).to_string());
    let b = end.map_or_else(|| "(open)".to_owned(), |d| to_date(d).to_string());
    format!("{a}..{b}")
}

/// Checks that spells of the same key (and symbol) do not overlap; returns the
/// row indices of each key's spells sorted by `(symbol, start)`.
fn check_overlaps(
    f: &SpellFile,
    key: impl Fn(&SpellRow) -> u32,
    what: impl Fn(&SpellRow) -> String,
) -> Result<Vec<u32>> {
    let mut idx: Vec<u32> = (0..f.rows.len() as u32).collect();
    let g = |i: u32| &f.rows[i as usize];
    idx.sort_by_key(|&i| {
        (
            key(g(i)),
            f.symbols.global[g(i).sym as usize],
            g(i).start,
            i,
        )
    });
    let mut worst: Option<(u32, u32)> = None;
    for w in idx.windows(2) {
        let (a, b) = (g(w[0]), g(w[1]));
        if key(a) != key(b) || a.sym != b.sym {
            continue;
        }
        let overlap = match (a.end, b.start) {
            (None, _) | (_, None) => true,
            (Some(e), Some(s)) => s <= e,
        };
        if overlap {
            let pair = (w[0].min(w[1]), w[0].max(w[1]));
            if worst.is_none_or(|x| pair.1 < x.1) {
                worst = Some(pair);
            }
        }
    }
    if let Some((earlier, later)) = worst {
        let (a, b) = (g(earlier), g(later));
        let (col, value) = match f.start_col {
            Some(c) => (
                c,
                b.start.map_or_else(String::new, |d| to_date(d).to_string()),
            ),
            None => (f.sym_col, f.symbols.names[b.sym as usize].clone()),
        };
        return Err(f.lines.error(
            u64::from(later),
            Fault::new(
                col,
                value.as_bytes(),
                format!(
                    "the spell {} of {} overlaps the spell {} on {}",
                    show_spell(b.start, b.end),
                    what(b),
                    show_spell(a.start, a.end),
                    f.lines.place_of(u64::from(earlier))
                ),
                "merge the two spells or change their dates so they do not overlap (both ends are inclusive: a new spell starts the day after the previous one ends)",
            ),
        ));
    }
    Ok(idx)
}

/// The membership spells per index name, each index's spells sorted by
/// `(symbol, start)`; an error for overlapping spells.
pub(super) fn finish_constituents(f: &SpellFile) -> Result<BTreeMap<String, Vec<Spell>>> {
    let mut constituent_map: BTreeMap<String, Vec<Spell>> = BTreeMap::new();
    let order = check_overlaps(
        f,
        |r| r.group,
        |r| {
            format!(
                "{} in {}",
                f.symbols.names[r.sym as usize], f.groups[r.group as usize]
            )
        },
    )?;
    for i in order {
        let r = f.rows[i as usize];
        constituent_map
            .entry(f.groups[r.group as usize].clone())
            .or_default()
            .push(Spell {
                symbol: f.symbols.global[r.sym as usize],
                start: r.start.map(to_date),
                end: r.end.map(to_date),
            });
    }
    Ok(constituent_map)
}

/// The industry names (interned in name order) and the classification
/// spells sorted by `(symbol, start)`; an error for overlapping spells of a
/// symbol or more than 65,536 industries.
pub(super) fn finish_industries(f: &SpellFile) -> Result<(Interner, Vec<IndustrySpell>)> {
    let mut industries_names = Interner::default();
    if f.groups.len() > usize::from(u16::MAX) + 1 {
        return Err(Error::File {
            file: f.lines.path.clone(),
            message: format!(
                "{} distinct industries; at most 65536 are supported",
                f.groups.len()
            ),
            fix: "check the `industry` column".to_owned(),
        });
    }
    for g in &f.groups {
        industries_names.intern(g);
    }
    let order = check_overlaps(f, |_| 0, |r| f.symbols.names[r.sym as usize].clone())?;
    let industry_spells = order
        .into_iter()
        .map(|i| {
            let r = f.rows[i as usize];
            IndustrySpell {
                spell: Spell {
                    symbol: f.symbols.global[r.sym as usize],
                    start: r.start.map(to_date),
                    end: r.end.map(to_date),
                },
                industry: IndustryId(r.group as u16),
            }
        })
        .collect();
    Ok((industries_names, industry_spells))
}
