//! Reading `bars`: per-row validation, symbol ids in name order, and the
//! columnar [`Bars`] in `(day, symbol)` order.

use super::chunk::Opened;
use super::fields::{parse_day, parse_num, to_date};
use super::intern::{merge_names, LocalNames};
use super::location::{row_ref, shown, split_ref, Fault};
use super::order::{gather_column, order_by_day_symbol, par_fill, piece_len};
use super::parse::Parsed;
use crate::data::{Bars, Interner, SymbolId};
use crate::{Error, Result};
use std::path::Path;

const PRICE_FIX: &str =
    "prices are raw prices and cannot be negative; correct the value or drop the row";

/// One parsed bar; 64 bytes so that gathering a row touches one cache line.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct ParsedBar {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    adj: f64,
    day: i32,
    sym: u32,
}

#[derive(Default)]
struct BarChunk {
    names: LocalNames,
    rows: Vec<ParsedBar>,
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

fn parse_bar(c: &BarColumns, s: &mut BarChunk, f: &[&[u8]]) -> Result<(), Fault> {
    if s.rows.capacity() == 0 {
        s.rows.reserve(1 << 14);
    }
    let day = parse_day(f[c.date], c.date)?;
    let sym = s.names.id(f[c.symbol], c.symbol, "symbol")?;
    let price = |col: usize, name: &str| -> Result<f64, Fault> {
        let v = parse_num(f[col], col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                f[col],
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
    let volume = if f[c.volume].is_empty() {
        s.empty_volume += 1;
        s.first_empty_volume.get_or_insert(s.rows.len() as u32);
        0.0
    } else {
        parse_num(f[c.volume], c.volume, false)?
    };
    if volume < 0.0 {
        return Err(Fault::new(
            c.volume,
            f[c.volume],
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
                    f[col],
                    format!(
                        "{name} price is {v} on a traded row (volume {} > 0)",
                        shown(f[c.volume])
                    ),
                    "a traded bar needs positive prices: correct the price, or set volume to 0 if the symbol was suspended that day",
                ));
            }
        }
    }
    if high < low {
        return Err(Fault::new(
            c.high,
            f[c.high],
            format!("high {} is below low {}", shown(f[c.high]), shown(f[c.low])),
            "high must be ≥ low: check the row (were high and low swapped?)",
        ));
    }
    if let Some(col) = c.amount {
        let v = parse_num(f[col], col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                f[col],
                "negative amount",
                "amount is the traded value and must be ≥ 0",
            ));
        }
        s.amount.push(v);
    }
    let adj = match c.adj {
        Some(col) => {
            let v = parse_num(f[col], col, false)?;
            if v <= 0.0 {
                return Err(Fault::new(
                    col,
                    f[col],
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
            let v = parse_num(f[col], col, true)?;
            if v < 0.0 {
                return Err(Fault::new(
                    col,
                    f[col],
                    format!("negative {name}"),
                    "price limits are prices and cannot be negative; leave the cell empty if there was no limit that day",
                ));
            }
            out.push(v);
        }
    }
    s.rows.push(ParsedBar {
        open,
        high,
        low,
        close,
        volume,
        adj,
        day,
        sym,
    });
    Ok(())
}

pub(super) fn load_bars(path: &Path, threads: usize) -> Result<(Bars, Interner, Vec<String>)> {
    let file = Opened::open(path)?;
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
    let Parsed { lines, states } =
        file.parse(threads, BarChunk::default, |s, f| parse_bar(&cols, s, f))?;
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
            "{}: {empty_volume} rows have an empty volume, read as 0 (suspended that day); the first is line {}",
            lines.file_name(),
            lines.line_of_ref(row_ref(k, local))
        ));
    }

    // Symbols: ids in name order.
    let (names, maps) = merge_names(states.iter().map(|s| &s.names));
    let mut symbols = Interner::default();
    for name in &names {
        symbols.intern(name);
    }
    let (rows, extra): (Vec<Vec<ParsedBar>>, Vec<_>) = states
        .into_iter()
        .zip(&maps)
        .map(|(mut s, map)| {
            for r in &mut s.rows {
                r.sym = map[r.sym as usize];
            }
            (s.rows, (s.amount, s.limit_up, s.limit_down))
        })
        .unzip();
    let lens: Vec<usize> = rows.iter().map(Vec::len).collect();
    let order = order_by_day_symbol(&lens, |c, i| rows[c][i].day, |c, i| rows[c][i].sym);
    if let Some((earlier, later, day)) = order.first_duplicate(|c, i| rows[c][i].sym) {
        let (c, i) = split_ref(later);
        let name = symbols.name(rows[c][i].sym);
        let date = to_date(day);
        return Err(lines.error_ref(
            later,
            Fault::new(
                cols.symbol,
                name.as_bytes(),
                format!(
                    "duplicate bar: line {} already has {name} on {date}",
                    lines.line_of_ref(earlier)
                ),
                "keep one row per (date, symbol): delete or merge the duplicate",
            ),
        ));
    }

    // Gather the rows in (day, symbol) order into columns, one cache line per row.
    let perm = &order.perm;
    let mut symbol = vec![SymbolId(0); n];
    let mut open = vec![0.0; n];
    let mut high = vec![0.0; n];
    let mut low = vec![0.0; n];
    let mut close = vec![0.0; n];
    let mut volume = vec![0.0; n];
    let mut adj_factor = vec![0.0; n];
    let per = piece_len(n, threads);
    type Piece<'a> = (&'a mut [SymbolId], [&'a mut [f64]; 6]);
    let pieces: Vec<Piece> = symbol
        .chunks_mut(per)
        .zip(open.chunks_mut(per))
        .zip(high.chunks_mut(per))
        .zip(low.chunks_mut(per))
        .zip(close.chunks_mut(per))
        .zip(volume.chunks_mut(per))
        .zip(adj_factor.chunks_mut(per))
        .map(|((((((s, o), h), l), c), v), a)| (s, [o, h, l, c, v, a]))
        .collect();
    par_fill(pieces, perm, per, |(s, [o, h, l, c, v, a]), i, r| {
        let (k, j) = split_ref(r);
        let row = &rows[k][j];
        s[i] = SymbolId(row.sym);
        o[i] = row.open;
        h[i] = row.high;
        l[i] = row.low;
        c[i] = row.close;
        v[i] = row.volume;
        a[i] = row.adj;
    });
    drop(rows);
    let (amount, (limit_up, limit_down)): (Vec<_>, (Vec<_>, Vec<_>)) =
        extra.into_iter().map(|(a, u, d)| (a, (u, d))).unzip();
    let amount = cols
        .amount
        .map(|_| gather_column(&amount, 1, perm, threads, 0.0));
    let limit_up = cols
        .limits
        .map(|_| gather_column(&limit_up, 1, perm, threads, 0.0));
    let limit_down = cols
        .limits
        .map(|_| gather_column(&limit_down, 1, perm, threads, 0.0));
    let bars = Bars {
        dates: order.days.iter().map(|&d| to_date(d)).collect(),
        day_start: order.starts,
        symbol,
        open,
        high,
        low,
        close,
        volume,
        amount,
        adj_factor,
        limit_up,
        limit_down,
    };
    Ok((bars, symbols, warnings))
}
