//! Reading `bars`: per-row validation, symbol ids in name order, and the
//! columnar [`Bars`] in `(day, symbol)` order.

use super::cells::{Cells, RowFn};
use super::fields::to_date;
use super::intern::{merge_names, LocalNames};
use super::location::{row_ref, shown, split_ref, Fault};
use super::order::order_by_day_symbol;
use super::parquet::Role;
use super::parse::Parsed;
use super::progress::Workers;
use super::table::Table;
use crate::data::{Bars, Interner, SymbolId};
use crate::{Error, Result};
use std::path::Path;

const PRICE_FIX: &str =
    "prices are raw prices and cannot be negative; correct the value or drop the row";

/// The parsed rows of one chunk, a vector per column (gathered into
/// [`Bars`] one column at a time, each chunk column dropped once gathered,
/// so the load never holds two copies of the bars).
#[derive(Default)]
struct BarChunk {
    names: LocalNames,
    day: Vec<i32>,
    sym: Vec<u32>,
    /// open, high, low, close, volume, adj_factor.
    values: [Vec<f64>; 6],
    amount: Vec<f64>,
    limit_up: Vec<f64>,
    limit_down: Vec<f64>,
    /// Rows with an empty `volume` cell (read as 0), and the chunk row of the first.
    empty_volume: u64,
    first_empty_volume: Option<u32>,
}

struct BarColumns {
    date: usize,
    symbol: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: usize,
    amount: Option<usize>,
    adj: Option<usize>,
    limits: Option<(usize, usize)>,
}

impl RowFn<BarChunk> for BarColumns {
    fn row<C: Cells + ?Sized>(&self, s: &mut BarChunk, f: &C) -> Result<(), Fault> {
        parse_bar(self, s, f)
    }
    fn reserve(&self, s: &mut BarChunk, rows: usize) {
        s.day.reserve(rows);
        s.sym.reserve(rows);
        for v in &mut s.values {
            v.reserve(rows);
        }
        if self.amount.is_some() {
            s.amount.reserve(rows);
        }
        if self.limits.is_some() {
            s.limit_up.reserve(rows);
            s.limit_down.reserve(rows);
        }
    }
}

#[inline]
fn parse_bar<C: Cells + ?Sized>(c: &BarColumns, s: &mut BarChunk, f: &C) -> Result<(), Fault> {
    let day = f.day(c.date)?;
    let sym = s.names.id(f.name(c.symbol), c.symbol, "symbol")?;
    let price = |col: usize, name: &str| -> Result<f64, Fault> {
        let v = f.num(col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                &f.text(col),
                format!("negative {name} price"),
                PRICE_FIX,
            ));
        }
        Ok(v)
    };
    let open = price(c.open, "open")?;
    let high = price(c.high, "high")?;
    let low = price(c.low, "low")?;
    let close = price(c.close, "close")?;
    let volume = if f.is_empty(c.volume) {
        s.empty_volume += 1;
        s.first_empty_volume.get_or_insert(s.day.len() as u32);
        0.0
    } else {
        f.num(c.volume, false)?
    };
    if volume < 0.0 {
        return Err(Fault::new(
            c.volume,
            &f.text(c.volume),
            "negative volume",
            "volume is a number of shares and must be ≥ 0 (0 marks a suspended day)",
        ));
    }
    if volume > 0.0 {
        for (col, v, name) in [
            (c.open, open, "open"),
            (c.high, high, "high"),
            (c.low, low, "low"),
            (c.close, close, "close"),
        ] {
            if v <= 0.0 {
                return Err(Fault::new(
                    col,
                    &f.text(col),
                    format!(
                        "{name} price is {v} on a traded row (volume {} > 0)",
                        shown(&f.text(c.volume))
                    ),
                    "a traded bar needs positive prices: correct the price, or set volume to 0 if the symbol was suspended that day",
                ));
            }
        }
    }
    if high < low {
        return Err(Fault::new(
            c.high,
            &f.text(c.high),
            format!(
                "high {} is below low {}",
                shown(&f.text(c.high)),
                shown(&f.text(c.low))
            ),
            "high must be ≥ low: check the row (were high and low swapped?)",
        ));
    }
    if let Some(col) = c.amount {
        let v = f.num(col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                &f.text(col),
                "negative amount",
                "amount is the traded value and must be ≥ 0",
            ));
        }
        s.amount.push(v);
    }
    let adj = match c.adj {
        Some(col) => {
            let v = f.num(col, false)?;
            if v <= 0.0 {
                return Err(Fault::new(
                    col,
                    &f.text(col),
                    "adj_factor must be > 0",
                    "adj_factor is the cumulative adjustment factor (adjusted price = price × adj_factor); write 1 if there was no adjustment",
                ));
            }
            v
        }
        None => 1.0,
    };
    if let Some((up, down)) = c.limits {
        for (col, name, out) in [
            (up, "limit_up", &mut s.limit_up),
            (down, "limit_down", &mut s.limit_down),
        ] {
            let v = f.num(col, true)?;
            if v < 0.0 {
                return Err(Fault::new(
                    col,
                    &f.text(col),
                    format!("negative {name}"),
                    "price limits are prices and cannot be negative; leave the cell empty if there was no limit that day",
                ));
            }
            out.push(v);
        }
    }
    s.day.push(day);
    s.sym.push(sym);
    for (col, v) in s
        .values
        .iter_mut()
        .zip([open, high, low, close, volume, adj])
    {
        col.push(v);
    }
    Ok(())
}

pub(super) fn load_bars(
    path: &Path,
    threads: Workers<'_>,
) -> Result<(Bars, Interner, Vec<String>)> {
    let mut file = Table::open(path)?;
    const OPTIONAL: &str = " (optional: amount, adj_factor, limit_up,limit_down)";
    let req = file.require(
        &["date", "symbol", "open", "high", "low", "close", "volume"],
        OPTIONAL,
    )?;
    let limits = match (file.find("limit_up"), file.find("limit_down")) {
        (Some(u), Some(d)) => Some((u, d)),
        (None, None) => None,
        (u, _) => {
            let (has, lacks) = if u.is_some() {
                ("limit_up", "limit_down")
            } else {
                ("limit_down", "limit_up")
            };
            return Err(Error::File {
                file: path.to_path_buf(),
                message: format!("column `{has}` is present but `{lacks}` is missing"),
                fix: "give both limit_up and limit_down (an empty cell means no limit that day), or neither".to_owned(),
            });
        }
    };
    let cols = BarColumns {
        date: req[0],
        symbol: req[1],
        open: req[2],
        high: req[3],
        low: req[4],
        close: req[5],
        volume: req[6],
        amount: file.find("amount"),
        adj: file.find("adj_factor"),
        limits,
    };
    let read: Vec<(usize, Role)> = [(cols.date, Role::Date), (cols.symbol, Role::Name)]
        .into_iter()
        .chain(req[2..].iter().map(|&c| (c, Role::Number)))
        .chain(cols.amount.map(|c| (c, Role::Number)))
        .chain(cols.adj.map(|c| (c, Role::Number)))
        .chain(
            cols.limits
                .into_iter()
                .flat_map(|(u, d)| [(u, Role::Number), (d, Role::Number)]),
        )
        .collect();
    file.reads(&read, true)?;
    let Parsed { lines, mut states } = file.parse(threads, BarChunk::default, &cols)?;
    let n = lines.rows as usize;
    if n == 0 {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: "the file has a header but no data rows".to_owned(),
            fix: "bars needs at least one row: date,symbol,open,high,low,close,volume".to_owned(),
        });
    }
    if n > u32::MAX as usize {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!("{n} rows is more than the loader supports (2^32 - 1)"),
            fix: "split the bundle by date range".to_owned(),
        });
    }
    let mut warnings = Vec::new();
    let empty_volume: u64 = states.iter().map(|s| s.empty_volume).sum();
    if empty_volume > 0 {
        let (k, local) = states
            .iter()
            .enumerate()
            .find_map(|(k, s)| s.first_empty_volume.map(|r| (k, r as usize)))
            .expect("some chunk counted an empty volume");
        warnings.push(format!(
            "{}: {empty_volume} rows have an empty volume, read as 0 (suspended that day); the first is {}",
            lines.file_name(),
            lines.place_of_ref(row_ref(k, local))
        ));
    }

    // Symbols: ids in name order.
    let (names, maps) = merge_names(states.iter().map(|s| &s.names));
    let mut symbols = Interner::default();
    for name in &names {
        symbols.intern(name);
    }
    for (s, map) in states.iter_mut().zip(&maps) {
        for id in &mut s.sym {
            *id = map[*id as usize];
        }
    }
    let lens: Vec<usize> = states.iter().map(|s| s.day.len()).collect();
    let order = order_by_day_symbol(&lens, |c, i| states[c].day[i], |c, i| states[c].sym[i]);
    if let Some((earlier, later, day)) = order.first_duplicate() {
        let (c, i) = split_ref(later);
        let name = symbols.name(states[c].sym[i]);
        let date = to_date(day);
        return Err(lines.error_ref(
            later,
            Fault::new(
                cols.symbol,
                name.as_bytes(),
                format!(
                    "duplicate bar: {} already has {name} on {date}",
                    lines.place_of_ref(earlier)
                ),
                "keep one row per (date, symbol): delete or merge the duplicate",
            ),
        ));
    }

    // Gather the columns in (day, symbol) order, one at a time: each
    // chunk column is dropped as soon as it is gathered.
    let mut values: [Vec<Vec<f64>>; 6] = Default::default();
    let (mut amount, mut limit_up, mut limit_down) = (Vec::new(), Vec::new(), Vec::new());
    for s in states {
        for (all, v) in values.iter_mut().zip(s.values) {
            all.push(v);
        }
        amount.push(s.amount);
        limit_up.push(s.limit_up);
        limit_down.push(s.limit_down);
    }
    let gather = |chunks: Vec<Vec<f64>>| {
        let column = order.gather(&chunks, 1, threads.threads, 0.0);
        drop(chunks);
        crate::malloc::release_freed_memory();
        column
    };
    let [open, high, low, close, volume, adj_factor] = values.map(gather);
    let amount = cols.amount.map(|_| gather(amount));
    let limit_up = cols.limits.map(|_| gather(limit_up));
    let limit_down = cols.limits.map(|_| gather(limit_down));
    let bars = Bars {
        dates: order.days.iter().map(|&d| to_date(d)).collect(),
        day_start: order.starts,
        symbol: order
            .syms
            .into_iter()
            .map(SymbolId)
            .collect::<Vec<_>>()
            .into(),
        open: open.into(),
        high: high.into(),
        low: low.into(),
        close: close.into(),
        volume: volume.into(),
        amount: amount.map(Into::into),
        adj_factor: adj_factor.into(),
        limit_up: limit_up.map(Into::into),
        limit_down: limit_down.map(Into::into),
    };
    Ok((bars, symbols, warnings))
}
