//! Scores written by an outside model: a CSV `date,symbol,score`.

use super::{Date, Interner, SymbolId};
use crate::{Error, Result};
use hashbrown::HashMap;
use std::path::Path;

/// Scores by date, each a list of `(symbol, score)` sorted by symbol.
#[derive(Debug, Clone, Default)]
pub struct ScoreTable {
    pub by_date: HashMap<Date, Vec<(SymbolId, f64)>>,
    /// Rows naming symbols the bundle does not have (ignored).
    pub unknown_symbols: usize,
}

fn data_err(
    path: &Path,
    line: u64,
    col: usize,
    column: &str,
    value: &str,
    message: &str,
    fix: &str,
) -> Error {
    Error::Data {
        file: path.to_path_buf(),
        line,
        column_number: col + 1,
        column: column.to_owned(),
        value: value.to_owned(),
        message: message.to_owned(),
        fix: fix.to_owned(),
    }
}

/// Reads a score file. Symbols are looked up in `symbols`; unknown ones are counted and skipped.
pub fn load_scores(path: &Path, symbols: &Interner) -> Result<ScoreTable> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(file));
    let headers = rdr
        .headers()
        .map_err(|e| Error::File {
            file: path.to_path_buf(),
            message: format!("cannot read the header: {e}"),
            fix: "the first line must be `date,symbol,score`".into(),
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::File {
                file: path.to_path_buf(),
                message: format!("missing column `{name}`"),
                fix: "a score file has columns `date,symbol,score`".into(),
            })
    };
    let (cd, cs, cv) = (col("date")?, col("symbol")?, col("score")?);
    let mut table = ScoreTable::default();
    let mut seen: HashMap<(Date, SymbolId), u64> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| Error::File {
            file: path.to_path_buf(),
            message: format!("line {line}: {e}"),
            fix: "every row needs the same number of fields as the header".into(),
        })?;
        let d = &rec[cd];
        let date = Date::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            data_err(
                path,
                line,
                cd,
                "date",
                d,
                "not a date",
                "write dates as YYYY-MM-DD",
            )
        })?;
        let v = rec[cv].trim();
        let score: f64 = if v.is_empty() {
            f64::NAN
        } else {
            let x: f64 = v.parse().map_err(|_| {
                data_err(
                    path,
                    line,
                    cv,
                    "score",
                    v,
                    "not a number",
                    "write a decimal number, or leave the cell empty for no score",
                )
            })?;
            if !x.is_finite() {
                return Err(data_err(
                    path,
                    line,
                    cv,
                    "score",
                    v,
                    "NaN or infinite score",
                    "leave the cell empty for no score",
                ));
            }
            x
        };
        let Some(sym) = symbols.get(&rec[cs]).map(SymbolId) else {
            table.unknown_symbols += 1;
            continue;
        };
        if let Some(first) = seen.insert((date, sym), line) {
            return Err(data_err(
                path,
                line,
                cs,
                "symbol",
                &rec[cs],
                &format!("duplicate (date, symbol): first seen on line {first}"),
                "keep one score per date and symbol",
            ));
        }
        table.by_date.entry(date).or_default().push((sym, score));
    }
    for v in table.by_date.values_mut() {
        v.sort_by_key(|p| p.0);
    }
    Ok(table)
}
