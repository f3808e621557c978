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
//! Files: this one writes; `float_text` is a float's `Display` text, fast;
//! `partial` is the `.partial` folder and its interrupt handler; `read`
//! reads a folder back.
//!
//! Direction: this module uses [`crate::report`] (what a run computed) and
//! [`crate::html`] (how the page is drawn); neither of them uses it.

use crate::alpha::Interpretation;
use crate::html::{render, RunView};
use crate::report::RunResult;
use crate::{Error, Result};
use std::fmt::{Display, Write as _};
use std::path::Path;

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
        // positions.csv, the largest file by far, is formatted and written
        // on a second thread meanwhile (each file's bytes are its own).
        std::thread::scope(|scope| {
            let positions =
                positions.then(|| scope.spawn(|| put("positions.csv", &self.positions_csv())));
            let rest = (|| {
                put("report.json", &self.report.to_json())?;
                put("summary.txt", &self.report.summary())?;
                put("nav.csv", &self.nav_csv())?;
                put("trades.csv", &self.trades_csv())?;
                put("ic.csv", &self.ic_csv())?;
                put("scores.csv", &self.scores_csv())?;
                if let Some(i) = &self.report.interpretation {
                    put("attention.csv", &attention_csv(i))?;
                }
                put("report.html", &render(&RunView::from_run(self))?)
            })();
            let positions = positions.map(|h| h.join().expect("the positions.csv writer panicked"));
            rest.and(positions.unwrap_or(Ok(())))
        })
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

    /// `ic.csv`: date,n,ic,rank_ic,rank_mae,q1..qN (mean forward return per quantile, lowest first).
    pub fn ic_csv(&self) -> String {
        let q = self.report.conventions.quantiles as usize;
        let mut t = CsvText::new(0);
        for name in ["date", "n", "ic", "rank_ic", "rank_mae"] {
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
            t.float(r.rank_mae);
            for x in &r.quantile_returns {
                t.float(*x);
            }
            t.end_row();
        }
        t.finish()
    }
}

/// `attention.csv`: as_of,horizon,kind,name,value with kind `factor`,
/// `group`, `r2`, `corr` or `r2_fit` (one row per window and head for each
/// of the last three), for tree models kind `importance` and for E2EAI kind
/// `gate` (one row per window and factor, horizon empty). Values in Rust's `Display` text (a NaN
/// is `NaN`), as this file always had.
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
                .chain([
                    ("r2", "", &h.r2),
                    ("corr", "", &h.corr),
                    ("r2_fit", "", &h.r2_fit),
                ]);
            for (kind, name, value) in rows {
                t.field(&w.as_of);
                t.display(h.horizon);
                t.field(kind);
                t.field(name);
                t.display(value);
                t.end_row();
            }
        }
        for (kind, values) in [("importance", &w.importance), ("gate", &w.gates)] {
            for (name, value) in i.factors.iter().zip(values) {
                for f in [w.as_of.as_str(), "", kind, name.as_str()] {
                    t.field(f);
                }
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

    /// A float: its shortest round-trip text (`Display`'s, written by
    /// [`float_text::push_display`]), empty when not finite.
    fn float(&mut self, x: f64) {
        if x.is_finite() {
            self.text.clear();
            float_text::push_display(x, &mut self.text);
            self.out
                .write_field(&self.text)
                .expect("writing CSV to memory cannot fail");
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

mod float_text;
mod partial;
mod read;

pub use partial::{partial_path, remove_partials_on_interrupt, PartialDir};
pub use read::{read_dated_table, read_holdings_counts, write_report_html, DatedTable};

#[cfg(test)]
mod tests;
