//! Reading a run folder back: `report.html` rebuilt from the folder alone
//! (`alphasim report`), with located errors like the bundle loader's.

use crate::html::{render, IcPoint, RunView};
use crate::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Rebuilds `report.html` in a run folder from its files; returns the path written.
pub fn write_report_html(dir: &Path) -> Result<PathBuf> {
    let view = RunView::from_dir(dir)?;
    let page = render(&view)?;
    let path = dir.join("report.html");
    std::fs::write(&path, page).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

impl RunView {
    /// Reads a run folder: report.json, nav.csv, ic.csv and (if present) positions.csv.
    pub fn from_dir(dir: &Path) -> Result<RunView> {
        let json_path = dir.join("report.json");
        if !json_path.is_file() {
            return Err(Error::File {
                file: json_path,
                message: "not found: this is not a run folder".into(),
                fix: "pass the folder `alphasim backtest` wrote (it holds report.json, nav.csv, ic.csv)".into(),
            });
        }
        let text = std::fs::read_to_string(&json_path).map_err(|e| Error::io(&json_path, e))?;
        let report: Value = serde_json::from_str(&text).map_err(|e| Error::Data {
            file: json_path.clone(),
            line: e.line() as u64,
            column_number: e.column(),
            column: "-".into(),
            value: String::new(),
            message: format!("invalid JSON: {e}"),
            fix: "report.json is written by `alphasim backtest`; rerun it rather than editing the file".into(),
        })?;
        let nav = read_dated_table(&dir.join("nav.csv"), &["nav", "benchmark", "cost"])?;
        let col = |name: &str| nav.values(name).expect("required column checked");
        let ic_table = read_dated_table(&dir.join("ic.csv"), &["ic", "rank_ic"])?;
        let (ic_i, rank_i) = (
            ic_table.column("ic").expect("checked"),
            ic_table.column("rank_ic").expect("checked"),
        );
        // Folders written before rank_mae existed lack the column: NaN.
        let rank_mae_i = ic_table.column("rank_mae");
        let q_cols: Vec<usize> = (1..)
            .map_while(|k| ic_table.column(&format!("q{k}")))
            .collect();
        let ic = ic_table
            .dates
            .iter()
            .zip(&ic_table.rows)
            .map(|(d, r)| IcPoint {
                date: d.clone(),
                ic: r[ic_i],
                rank_ic: r[rank_i],
                rank_mae: rank_mae_i.map_or(f64::NAN, |c| r[c]),
                quantiles: q_cols.iter().map(|&c| r[c]).collect(),
            })
            .collect();
        let positions = dir.join("positions.csv");
        let holdings = if positions.is_file() {
            let counts = read_holdings_counts(&positions)?;
            let by_date: std::collections::HashMap<&str, usize> =
                counts.iter().map(|(d, n)| (d.as_str(), *n)).collect();
            Some(
                nav.dates
                    .iter()
                    .map(|d| by_date.get(d.as_str()).copied().unwrap_or(0) as f64)
                    .collect(),
            )
        } else {
            None
        };
        Ok(RunView {
            report,
            nav: col("nav"),
            benchmark: col("benchmark"),
            cost: col("cost"),
            dates: nav.dates,
            holdings,
            ic,
        })
    }
}

/// A CSV whose first column is a date (kept as text) and whose other columns are numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatedTable {
    /// Header names of the numeric columns (the date column excluded).
    pub columns: Vec<String>,
    pub dates: Vec<String>,
    /// One row per date; an empty cell is NaN.
    pub rows: Vec<Vec<f64>>,
}

impl DatedTable {
    /// Index of a numeric column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// One numeric column as a vector.
    pub fn values(&self, name: &str) -> Option<Vec<f64>> {
        let i = self.column(name)?;
        Some(self.rows.iter().map(|r| r[i]).collect())
    }
}

fn reader(path: &Path) -> Result<csv::Reader<std::io::BufReader<std::fs::File>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(file)))
}

fn header_error(path: &Path, e: impl std::fmt::Display, first: &str) -> Error {
    Error::File {
        file: path.to_path_buf(),
        message: format!("cannot read the header: {e}"),
        fix: format!("this file is written by `alphasim backtest`; its header starts with `{first}`: rerun the backtest to rewrite it"),
    }
}

/// Reads a run-folder CSV whose first column is `date` and whose other
/// columns are numbers; `required` columns must be present.
pub fn read_dated_table(path: &Path, required: &[&str]) -> Result<DatedTable> {
    let mut rdr = reader(path)?;
    let headers = rdr
        .headers()
        .map_err(|e| header_error(path, e, "date"))?
        .clone();
    if headers.get(0) != Some("date") {
        return Err(header_error(path, "the first column is not `date`", "date"));
    }
    for r in required {
        if !headers.iter().any(|h| h == *r) {
            return Err(Error::File {
                file: path.to_path_buf(),
                message: format!("missing column `{r}`"),
                fix: "rerun the backtest with this alphasim version to rewrite the run folder"
                    .into(),
            });
        }
    }
    let mut table = DatedTable {
        columns: headers.iter().skip(1).map(str::to_owned).collect(),
        ..DatedTable::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| Error::File {
            file: path.to_path_buf(),
            message: format!("line {line}: {e}"),
            fix: "every row needs the same number of fields as the header".into(),
        })?;
        table.dates.push(rec[0].to_owned());
        let mut row = Vec::with_capacity(table.columns.len());
        for (c, cell) in rec.iter().enumerate().skip(1) {
            row.push(parse_cell(path, line, c, &headers[c], cell)?);
        }
        table.rows.push(row);
    }
    Ok(table)
}

fn parse_cell(path: &Path, line: u64, col: usize, column: &str, cell: &str) -> Result<f64> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(f64::NAN);
    }
    cell.parse::<f64>().map_err(|_| Error::Data {
        file: path.to_path_buf(),
        line,
        column_number: col + 1,
        column: column.to_owned(),
        value: cell.to_owned(),
        message: "not a number".into(),
        fix: "this file is written by `alphasim backtest`; rerun it rather than editing the file"
            .into(),
    })
}

/// Number of holdings (rows with a positive quantity) per date of
/// `positions.csv`, in file order. Dates with no holding do not appear.
pub fn read_holdings_counts(path: &Path) -> Result<Vec<(String, usize)>> {
    let mut rdr = reader(path)?;
    let headers = rdr
        .headers()
        .map_err(|e| header_error(path, e, "date,symbol,quantity"))?
        .clone();
    let q = headers
        .iter()
        .position(|h| h == "quantity")
        .ok_or_else(|| Error::File {
            file: path.to_path_buf(),
            message: "missing column `quantity`".into(),
            fix: "rerun the backtest with this alphasim version to rewrite the run folder".into(),
        })?;
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        line += 1;
        let more = rdr.read_record(&mut rec).map_err(|e| Error::File {
            file: path.to_path_buf(),
            message: format!("line {line}: {e}"),
            fix: "every row needs the same number of fields as the header".into(),
        })?;
        if !more {
            break;
        }
        let quantity = parse_cell(path, line, q, "quantity", &rec[q])?;
        if quantity.is_nan() || quantity <= 0.0 {
            continue;
        }
        match out.last_mut() {
            Some((d, n)) if d == &rec[0] => *n += 1,
            _ => out.push((rec[0].to_owned(), 1)),
        }
    }
    Ok(out)
}
