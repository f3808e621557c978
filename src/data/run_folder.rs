//! Reading a finished run folder's CSV outputs back (`nav.csv`, `ic.csv`,
//! `positions.csv`), for `alphasim report <run-dir>`, which rebuilds
//! `report.html` from the folder alone, without the market.
//!
//! Errors name the file, line and column, like the bundle loader's.

use crate::{Error, Result};
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_read_dated_table_empty_cell_is_nan_and_bad_cell_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nav.csv");
        std::fs::write(&p, "date,nav,cost\n2020-01-02,1,\n2020-01-03,1.5,0.25\n").unwrap();
        let t = read_dated_table(&p, &["nav"]).unwrap();
        assert_eq!(t.dates, vec!["2020-01-02", "2020-01-03"]);
        assert_eq!(t.values("nav").unwrap(), vec![1.0, 1.5]);
        assert!(t.rows[0][1].is_nan());
        std::fs::write(&p, "date,nav\n2020-01-02,1\n2020-01-03,x\n").unwrap();
        let e = read_dated_table(&p, &["nav"]).unwrap_err().to_string();
        assert!(e.contains("nav.csv:3:2 (column `nav`)"), "{e}");
        let e = read_dated_table(&p, &["cost"]).unwrap_err().to_string();
        assert!(e.contains("missing column `cost`"), "{e}");
    }

    #[test]
    fn test_read_holdings_counts_counts_positive_quantities_per_date() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("positions.csv");
        std::fs::write(
            &p,
            "date,symbol,quantity,raw_shares,price,value,weight\n\
             2020-01-02,A,10,10,1,10,0.5\n2020-01-02,B,10,10,1,10,0.5\n\
             2020-01-03,A,0,0,1,0,0\n2020-01-03,B,5,5,1,5,1\n",
        )
        .unwrap();
        let expected = vec![("2020-01-02".to_owned(), 2), ("2020-01-03".to_owned(), 1)];
        assert_eq!(read_holdings_counts(&p).unwrap(), expected);
    }
}
