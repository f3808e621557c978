//! The run folder: the one place that writes and reads its files.
//!
//! A run folder holds `report.json`, `summary.txt`, `nav.csv`, `trades.csv`,
//! `positions.csv` (optional in sweeps), `ic.csv`, `scores.csv`,
//! `attention.csv` (learned models only) and `report.html`. It is written to
//! a temporary sibling `<dir>.partial` and renamed into place at the end, so
//! a failed run leaves no half-written folder. Every CSV is written with the
//! `csv` crate: floats as their shortest round-trip text, empty when not
//! finite (attention.csv keeps Rust's `NaN`/`inf` text, as it always had).
//!
//! [`PartialDir`] is that `<dir>.partial` folder, for run folders and sweep
//! folders alike; every one being written is in one registry, and the
//! binary's Ctrl-C / SIGTERM handler ([`remove_partials_on_interrupt`])
//! removes them all before exiting with code 130, so an interrupted command
//! leaves no `.partial` folder behind (a folder already renamed into place
//! stays: it is complete).
//!
//! Reading back (`alphasim report <run-dir>`) rebuilds `report.html` from the
//! folder alone, without the market; errors name the file, line and column,
//! like the bundle loader's.
//!
//! Direction: this module uses [`crate::report`] (what a run computed) and
//! [`crate::html`] (how the page is drawn); neither of them uses it.

use crate::alpha::Interpretation;
use crate::html::{render, IcPoint, RunView};
use crate::report::RunResult;
use crate::{Error, Result};
use serde_json::Value;
use std::fmt::{Display, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

// ---------------------------------------------------------------- writing

impl RunResult {
    /// Writes the run folder: report.json, summary.txt, nav.csv, trades.csv,
    /// positions.csv, ic.csv, scores.csv, attention.csv (learned models) and
    /// report.html. Written to `<dir>.partial` and renamed, so a failure
    /// leaves no half-written folder.
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.write_parts(dir, true)
    }

    /// [`RunResult::write`], with or without positions.csv (sweeps leave it
    /// out unless asked: it is the largest file of a run folder).
    pub fn write_parts(&self, dir: &Path, positions: bool) -> Result<()> {
        let tmp = PartialDir::create(dir)?;
        self.write_files(tmp.path(), positions)?;
        tmp.commit()
    }

    fn write_files(&self, dir: &Path, positions: bool) -> Result<()> {
        let put = |name: &str, text: &str| -> Result<()> {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
        };
        put("report.json", &self.report.to_json())?;
        put("summary.txt", &self.report.summary())?;
        put("nav.csv", &self.nav_csv())?;
        put("trades.csv", &self.trades_csv())?;
        if positions {
            put("positions.csv", &self.positions_csv())?;
        }
        put("ic.csv", &self.ic_csv())?;
        put("scores.csv", &self.scores_csv())?;
        if let Some(i) = &self.report.interpretation {
            put("attention.csv", &attention_csv(i))?;
        }
        put("report.html", &render(&RunView::from_run(self))?)
    }

    /// `scores.csv`: date,symbol,score of every signal day's eligible set —
    /// the format the `file` model reads, so a later run can reuse the scores.
    pub fn scores_csv(&self) -> String {
        let mut t = CsvText::new(0);
        t.row(["date", "symbol", "score"]);
        for (date, day) in &self.records.scores {
            for (sym, v) in day {
                t.display(date);
                t.field(&self.symbol_names[sym.index()]);
                t.float(*v);
                t.end_row();
            }
        }
        t.finish()
    }

    /// `nav.csv`: date,nav,benchmark,excess_nav,cash,cost,turnover and the
    /// day's cost by component (commission,stamp_duty,transfer_fee,slippage,impact),
    /// where excess_nav = nav / benchmark (1 at t0).
    pub fn nav_csv(&self) -> String {
        let mut t = CsvText::new(96 * (self.records.daily.len() + 1));
        t.row(
            [
                "date",
                "nav",
                "benchmark",
                "excess_nav",
                "cash",
                "cost",
                "turnover",
            ]
            .into_iter()
            .chain(crate::costs::CostBreakdown::NAMES),
        );
        for d in &self.records.daily {
            t.display(d.date);
            for x in [
                d.nav,
                d.benchmark,
                d.nav / d.benchmark,
                d.cash,
                d.cost,
                d.turnover,
            ]
            .into_iter()
            .chain(d.costs.values())
            {
                t.float(x);
            }
            t.end_row();
        }
        t.finish()
    }

    /// `trades.csv`: one row per fill and per unfilled order (or remainder):
    /// date,symbol,side,status,quantity,price,adjusted_price,value,cost,
    /// commission,stamp_duty,transfer_fee,slippage,impact,reason. `status` is
    /// `filled` (reason: rebalance, delisting) or `unfilled` (reason: suspended,
    /// limit_up, limit_down, volume_cap, lot, t_plus_one, cash; quantity and
    /// value are what did not trade, empty when unknown). Quantity in adjusted
    /// shares; price raw. Rows by date, fills before unfilled rows.
    pub fn trades_csv(&self) -> String {
        let mut t = CsvText::new(0);
        t.row(
            [
                "date",
                "symbol",
                "side",
                "status",
                "quantity",
                "price",
                "adjusted_price",
                "value",
                "cost",
            ]
            .into_iter()
            .chain(crate::costs::CostBreakdown::NAMES)
            .chain(["reason"]),
        );
        let (fills, unfilled) = (&self.records.fills, &self.records.unfilled);
        let (mut i, mut j) = (0, 0);
        while i < fills.len() || j < unfilled.len() {
            let take_fill =
                j >= unfilled.len() || (i < fills.len() && fills[i].date <= unfilled[j].date);
            if take_fill {
                let f = &fills[i];
                i += 1;
                t.display(f.date);
                t.field(&self.symbol_names[f.symbol.index()]);
                t.field(f.side.as_str());
                t.field("filled");
                for x in [f.quantity, f.price, f.adjusted_price, f.value, f.cost]
                    .into_iter()
                    .chain(f.costs.values())
                {
                    t.float(x);
                }
                t.field(f.reason.as_str());
            } else {
                let u = &unfilled[j];
                j += 1;
                t.display(u.date);
                t.field(&self.symbol_names[u.symbol.index()]);
                t.field(u.side.as_str());
                t.field("unfilled");
                let adjusted = if u.price.is_finite() {
                    u.value / u.quantity
                } else {
                    f64::NAN
                };
                for x in [u.quantity, u.price, adjusted, u.value] {
                    t.float(x);
                }
                // cost and its components: nothing was paid.
                for _ in 0..=crate::costs::CostBreakdown::NAMES.len() {
                    t.field("");
                }
                t.field(u.reason.as_str());
            }
            t.end_row();
        }
        t.finish()
    }

    /// `positions.csv`: date,symbol,quantity,raw_shares,price,value,weight at every close of the window.
    pub fn positions_csv(&self) -> String {
        let mut t = CsvText::new(64 * (self.records.positions.len() + 1));
        t.row([
            "date",
            "symbol",
            "quantity",
            "raw_shares",
            "price",
            "value",
            "weight",
        ]);
        for p in &self.records.positions {
            t.display(p.date);
            t.field(&self.symbol_names[p.symbol.index()]);
            for x in [p.quantity, p.raw_shares, p.price, p.value, p.weight] {
                t.float(x);
            }
            t.end_row();
        }
        t.finish()
    }

    /// `ic.csv`: date,n,ic,rank_ic,q1..qN (mean forward return per quantile, lowest first).
    pub fn ic_csv(&self) -> String {
        let q = self.report.conventions.quantiles as usize;
        let mut t = CsvText::new(0);
        for name in ["date", "n", "ic", "rank_ic"] {
            t.field(name);
        }
        for i in 1..=q {
            t.display(format_args!("q{i}"));
        }
        t.end_row();
        for r in &self.records.ic {
            t.display(r.date);
            t.display(r.n);
            t.float(r.ic);
            t.float(r.rank_ic);
            for x in &r.quantile_returns {
                t.float(*x);
            }
            t.end_row();
        }
        t.finish()
    }
}

/// `attention.csv`: as_of,horizon,kind,name,value with kind `factor`,
/// `group` or `r2` (one row per window and head for r2). Values in Rust's
/// `Display` text (a NaN is `NaN`), as this file always had.
pub fn attention_csv(i: &Interpretation) -> String {
    let mut t = CsvText::new(0);
    t.row(["as_of", "horizon", "kind", "name", "value"]);
    for w in &i.windows {
        for h in &w.heads {
            let rows = (i.factors.iter().zip(&h.factor_attention))
                .map(|(n, v)| ("factor", n.as_str(), v))
                .chain(
                    (i.groups.iter().zip(&h.group_attention))
                        .map(|(n, v)| ("group", n.as_str(), v)),
                )
                .chain([("r2", "", &h.r2)]);
            for (kind, name, value) in rows {
                t.field(&w.as_of);
                t.display(h.horizon);
                t.field(kind);
                t.field(name);
                t.display(value);
                t.end_row();
            }
        }
    }
    t.finish()
}

/// A CSV file being written in memory with the `csv` crate (minimal quoting,
/// `\n` line ends, rows of any length).
struct CsvText {
    out: csv::Writer<Vec<u8>>,
    /// Reused buffer for formatted fields.
    text: String,
}

impl CsvText {
    fn new(capacity: usize) -> CsvText {
        CsvText {
            out: csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Vec::with_capacity(capacity)),
            text: String::new(),
        }
    }

    fn field(&mut self, s: &str) {
        self.out
            .write_field(s)
            .expect("writing CSV to memory cannot fail");
    }

    /// A field in its `Display` text.
    fn display(&mut self, x: impl Display) {
        self.text.clear();
        let _ = write!(self.text, "{x}");
        self.out
            .write_field(&self.text)
            .expect("writing CSV to memory cannot fail");
    }

    /// A float: its shortest round-trip text, empty when not finite.
    fn float(&mut self, x: f64) {
        if x.is_finite() {
            self.display(x);
        } else {
            self.field("");
        }
    }

    fn end_row(&mut self) {
        self.out
            .write_record(None::<&[u8]>)
            .expect("writing CSV to memory cannot fail");
    }

    /// A whole row of text fields (a header).
    fn row<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        for f in fields {
            self.field(f);
        }
        self.end_row();
    }

    fn finish(self) -> String {
        let bytes = self
            .out
            .into_inner()
            .expect("flushing CSV to memory cannot fail");
        String::from_utf8(bytes).expect("every field is text")
    }
}

fn partial_path(dir: &Path) -> PathBuf {
    let mut name = dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    dir.with_file_name(name)
}

// ------------------------------------------------------- partial folders

/// The `.partial` folders this process is writing (the one registry, used by
/// backtest's run folder and the sweep folder). Creating, committing and
/// removing a partial folder happen under its lock, and the interrupt
/// handler keeps the lock until the process exits, so no folder appears or
/// moves into place after the handler has removed them.
static PARTIALS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn partials() -> MutexGuard<'static, Vec<PathBuf>> {
    PARTIALS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes a folder that other threads may still be writing files into
/// (they cannot create folders meanwhile: that needs the registry's lock).
fn remove_busy_dir(path: &Path) {
    for _ in 0..100 {
        if !path.exists() || std::fs::remove_dir_all(path).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A folder written as `<dir>.partial` and renamed to `<dir>` by
/// [`PartialDir::commit`]; dropped without a commit (an error, a panic) it is
/// removed. While it exists it is registered, so an interrupt (see
/// [`remove_partials_on_interrupt`]) removes it too.
#[derive(Debug)]
pub struct PartialDir {
    tmp: PathBuf,
    dir: PathBuf,
}

impl PartialDir {
    /// Creates an empty `<dir>.partial` (a stale one from an earlier run is
    /// replaced) and registers it.
    pub fn create(dir: &Path) -> Result<PartialDir> {
        let tmp = partial_path(dir);
        let mut registry = partials();
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        registry.push(tmp.clone());
        Ok(PartialDir {
            tmp,
            dir: dir.to_path_buf(),
        })
    }

    /// The folder to write into (`<dir>.partial`).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Moves the folder into place: an existing `<dir>` is replaced.
    pub fn commit(self) -> Result<()> {
        let mut registry = partials();
        let moved = (|| {
            if self.dir.exists() {
                std::fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
            }
            std::fs::rename(&self.tmp, &self.dir).map_err(|e| Error::io(&self.dir, e))
        })();
        if moved.is_ok() {
            registry.retain(|p| *p != self.tmp);
        }
        drop(registry);
        // On success the drop finds nothing left to remove; on failure it removes the partial folder.
        moved
    }
}

impl Drop for PartialDir {
    fn drop(&mut self) {
        let mut registry = partials();
        if let Some(k) = registry.iter().position(|p| *p == self.tmp) {
            let _ = std::fs::remove_dir_all(&self.tmp);
            registry.remove(k);
        }
    }
}

/// Installs the SIGINT/SIGTERM (Ctrl-C) handler of the binary: it removes
/// every `.partial` folder the process is writing, says so on stderr and
/// exits with code 130. Errors when a handler is already installed.
pub fn remove_partials_on_interrupt() -> Result<()> {
    ctrlc::set_handler(|| {
        // Kept until exit: no partial folder is created or renamed after this.
        let registry = partials();
        // Outer folders were registered first: removing one removes the partial folders inside it.
        let mut removed = Vec::new();
        for p in registry.iter().filter(|p| p.exists()) {
            remove_busy_dir(p);
            removed.push(p.display().to_string());
        }
        if removed.is_empty() {
            eprintln!("interrupted");
        } else {
            eprintln!("interrupted: removed {}", removed.join(", "));
        }
        std::process::exit(130);
    })
    .map_err(|e| Error::Run(format!("cannot install the Ctrl-C handler: {e}")))
}

// ---------------------------------------------------------------- reading

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

#[cfg(test)]
mod tests;
