//! Encoding a loaded [`Market`] into the cache's two kinds of file: the
//! bundle file (everything but the factor values) and one file per factor
//! column, so a run that reads other columns still finds the rest cached.

use super::codec::{Bad, Reader, Writer};
use super::key::SourceKey;
use crate::data::{
    Bars, Column, Date, Factors, FundamentalRecord, Fundamentals, IndexWeightDay, IndustryId,
    IndustrySpell, Interner, Market, Spell, SymbolId,
};
use std::collections::BTreeMap;
use std::io::Write;

type W<'a, T> = &'a mut Writer<T>;
type Io = std::io::Result<()>;

fn day(d: Date) -> i32 {
    chrono::Datelike::num_days_from_ce(&d)
}

fn opt_day(d: Option<Date>) -> i32 {
    d.map_or(i32::MIN, day)
}

fn date(n: i32) -> Result<Date, Bad> {
    Date::from_num_days_from_ce_opt(n).ok_or_else(|| "corrupt (a date out of range)".into())
}

fn opt_date(n: i32) -> Result<Option<Date>, Bad> {
    if n == i32::MIN {
        Ok(None)
    } else {
        date(n).map(Some)
    }
}

fn dates(v: Vec<i32>) -> Result<Vec<Date>, Bad> {
    v.into_iter().map(date).collect()
}

fn ids(v: &[SymbolId]) -> Vec<u32> {
    v.iter().map(|s| s.0).collect()
}

fn interner(names: Vec<String>) -> Result<Interner, Bad> {
    let mut i = Interner::default();
    for n in &names {
        i.intern(n);
    }
    if i.len() != names.len() {
        return Err("corrupt (a repeated name)".into());
    }
    Ok(i)
}

fn opt_column<T: Write>(w: W<T>, v: &Option<Column<f64>>) -> Io {
    w.u32(u32::from(v.is_some()))?;
    v.as_ref().map_or(Ok(()), |v| w.column(v))
}

fn read_opt_column(r: &mut Reader) -> Result<Option<Column<f64>>, Bad> {
    match r.u32()? {
        0 => Ok(None),
        1 => r.column().map(Some),
        _ => Err("corrupt (a bad flag)".into()),
    }
}

fn spell<T: Write>(w: W<T>, s: &Spell) -> Io {
    w.u32(s.symbol.0)?;
    w.i32(opt_day(s.start))?;
    w.i32(opt_day(s.end))
}

fn read_spell(r: &mut Reader) -> Result<Spell, Bad> {
    Ok(Spell {
        symbol: SymbolId(r.u32()?),
        start: opt_date(r.i32()?)?,
        end: opt_date(r.i32()?)?,
    })
}

/// Writes the bundle file: the key, every part of `m` but the factor
/// values, and `all_factors` (every factor column of `factors.csv`).
pub(super) fn write_bundle<T: Write>(
    w: W<T>,
    key: &SourceKey,
    m: &Market,
    all_factors: &[String],
) -> Io {
    key.write(w)?;
    w.strs(m.symbols.names())?;
    w.strs(m.industries_names.names())?;
    let b = &m.bars;
    w.column(&b.dates.iter().map(|&d| day(d)).collect::<Vec<_>>())?;
    w.column(&b.day_start)?;
    w.column(&ids(&b.symbol))?;
    for c in [&b.open, &b.high, &b.low, &b.close, &b.volume, &b.adj_factor] {
        w.column(c)?;
    }
    for c in [&b.amount, &b.limit_up, &b.limit_down] {
        opt_column(w, c)?;
    }
    w.u64(m.constituents.len() as u64)?;
    for (index, spells) in &m.constituents {
        w.str(index)?;
        w.u64(spells.len() as u64)?;
        spells.iter().try_for_each(|s| spell(w, s))?;
    }
    w.u64(m.industries.len() as u64)?;
    for s in &m.industries {
        spell(w, &s.spell)?;
        w.u32(u32::from(s.industry.0))?;
    }
    w.u64(m.benchmark.len() as u64)?;
    for (index, levels) in &m.benchmark {
        w.str(index)?;
        w.column(&levels.iter().map(|l| day(l.0)).collect::<Vec<_>>())?;
        w.column(&levels.iter().map(|l| l.1).collect::<Vec<_>>())?;
    }
    w.strs(all_factors)?;
    w.column(&m.factors.date.iter().map(|&d| day(d)).collect::<Vec<_>>())?;
    w.column(&ids(&m.factors.symbol))?;
    let f = &m.fundamentals;
    w.strs(&f.fields)?;
    let recs = &f.records;
    w.column(&recs.iter().map(|r| r.symbol.0).collect::<Vec<_>>())?;
    w.column(&recs.iter().map(|r| day(r.period_end)).collect::<Vec<_>>())?;
    w.column(
        &recs
            .iter()
            .map(|r| day(r.announce_date))
            .collect::<Vec<_>>(),
    )?;
    w.column(&recs.iter().map(|r| u32::from(r.field)).collect::<Vec<_>>())?;
    w.column(&recs.iter().map(|r| r.value).collect::<Vec<_>>())?;
    w.u64(m.index_weights.len() as u64)?;
    for (index, days) in &m.index_weights {
        w.str(index)?;
        w.u64(days.len() as u64)?;
        for d in days {
            w.i32(day(d.date))?;
            w.column(&d.weights.iter().map(|x| x.0 .0).collect::<Vec<_>>())?;
            w.column(&d.weights.iter().map(|x| x.1).collect::<Vec<_>>())?;
        }
    }
    w.strs(&m.warnings)
}

/// Reads a bundle file: `Ok(None)` when it was written for another `key`
/// (the bundle changed); the market has no factor columns yet.
pub(super) fn read_bundle(
    mut r: Reader,
    key: &SourceKey,
) -> Result<Option<(Market, Vec<String>)>, Bad> {
    if SourceKey::read(&mut r)? != *key {
        return Ok(None);
    }
    let decoded = decode_bundle(&mut r)?;
    r.finish()?;
    Ok(Some(decoded))
}

fn decode_bundle(r: &mut Reader) -> Result<(Market, Vec<String>), Bad> {
    let symbols = interner(r.strs()?)?;
    let industries_names = interner(r.strs()?)?;
    let bar_dates = dates(r.vec()?)?;
    let day_start = r.vec()?;
    let symbol = symbols_of(r)?;
    let mut cols: Vec<Column<f64>> = (0..6).map(|_| r.column()).collect::<Result<_, _>>()?;
    let n = symbol.len();
    let (amount, limit_up, limit_down) = (
        read_opt_column(r)?,
        read_opt_column(r)?,
        read_opt_column(r)?,
    );
    let lens_ok = cols.iter().all(|c| c.len() == n)
        && [&amount, &limit_up, &limit_down]
            .iter()
            .all(|c| c.as_ref().is_none_or(|c| c.len() == n))
        && day_start.len() == bar_dates.len() + 1
        && day_start.last().is_some_and(|&e| e as usize == n);
    if !lens_ok {
        return Err("corrupt (bar columns of different lengths)".into());
    }
    let mut take = || cols.remove(0);
    let bars = Bars {
        dates: bar_dates,
        day_start,
        symbol,
        open: take(),
        high: take(),
        low: take(),
        close: take(),
        volume: take(),
        amount,
        adj_factor: take(),
        limit_up,
        limit_down,
    };
    let mut constituents = BTreeMap::new();
    for _ in 0..r.count(16)? {
        let index = r.str()?;
        let spells = (0..r.count(12)?)
            .map(|_| read_spell(r))
            .collect::<Result<_, _>>()?;
        constituents.insert(index, spells);
    }
    let industries = (0..r.count(16)?)
        .map(|_| {
            let spell = read_spell(r)?;
            let id = u16::try_from(r.u32()?).map_err(|_| "corrupt (an industry id)")?;
            Ok(IndustrySpell {
                spell,
                industry: IndustryId(id),
            })
        })
        .collect::<Result<_, Bad>>()?;
    let mut benchmark = BTreeMap::new();
    for _ in 0..r.count(24)? {
        let index = r.str()?;
        let days = dates(r.vec()?)?;
        let closes: Vec<f64> = r.vec()?;
        if days.len() != closes.len() {
            return Err("corrupt (benchmark columns of different lengths)".into());
        }
        benchmark.insert(index, days.into_iter().zip(closes).collect());
    }
    let all_factors = r.strs()?;
    let factor_dates = dates(r.vec()?)?;
    let factor_symbols = symbols_of(r)?;
    if factor_dates.len() != factor_symbols.len() {
        return Err("corrupt (factor columns of different lengths)".into());
    }
    let fields = r.strs()?;
    let f_sym: Vec<u32> = r.vec()?;
    let f_period = dates(r.vec()?)?;
    let f_announce = dates(r.vec()?)?;
    let f_field: Vec<u32> = r.vec()?;
    let f_value: Vec<f64> = r.vec()?;
    let k = f_sym.len();
    if [
        f_period.len(),
        f_announce.len(),
        f_field.len(),
        f_value.len(),
    ] != [k; 4]
    {
        return Err("corrupt (fundamentals columns of different lengths)".into());
    }
    let records = (0..k)
        .map(|i| {
            Ok(FundamentalRecord {
                symbol: SymbolId(f_sym[i]),
                period_end: f_period[i],
                announce_date: f_announce[i],
                field: u16::try_from(f_field[i]).map_err(|_| "corrupt (a field id)")?,
                value: f_value[i],
            })
        })
        .collect::<Result<_, Bad>>()?;
    let mut index_weights = BTreeMap::new();
    for _ in 0..r.count(16)? {
        let index = r.str()?;
        let mut days = Vec::new();
        for _ in 0..r.count(20)? {
            let d = date(r.i32()?)?;
            let syms: Vec<u32> = r.vec()?;
            let weights: Vec<f64> = r.vec()?;
            if syms.len() != weights.len() {
                return Err("corrupt (index weight columns of different lengths)".into());
            }
            days.push(IndexWeightDay {
                date: d,
                weights: syms.into_iter().map(SymbolId).zip(weights).collect(),
            });
        }
        index_weights.insert(index, days);
    }
    let warnings = r.strs()?;
    let market = Market {
        symbols,
        industries_names,
        bars,
        constituents,
        industries,
        benchmark,
        factors: Factors {
            names: Vec::new(),
            date: factor_dates,
            symbol: factor_symbols,
            values: Column::default(),
        },
        fundamentals: Fundamentals { fields, records },
        index_weights,
        warnings,
    };
    Ok((market, all_factors))
}

fn symbols_of(r: &mut Reader) -> Result<Column<SymbolId>, Bad> {
    r.column()
}

/// Writes the file of factor column `name` (`values` in the market's row order).
pub(super) fn write_factor<T: Write>(w: W<T>, key: &SourceKey, name: &str, values: &[f64]) -> Io {
    key.write(w)?;
    w.str(name)?;
    w.column(values)
}

/// Reads the file of factor column `name`: `Ok(None)` when it was written
/// for another bundle or column, or holds another number of rows.
pub(super) fn read_factor(
    mut r: Reader,
    key: &SourceKey,
    name: &str,
    rows: usize,
) -> Result<Option<Column<f64>>, Bad> {
    if SourceKey::read(&mut r)? != *key || r.str()? != name {
        return Ok(None);
    }
    let values = r.column()?;
    r.finish()?;
    Ok((values.len() == rows).then_some(values))
}
