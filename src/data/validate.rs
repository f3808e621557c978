//! The `validate` command: load a bundle with every check of the loader
//! (see [`super::loader`] for the rules), simulate nothing, and summarise what
//! was found.
//!
//! Beyond the loader's errors, validation reports observations that are not
//! errors under DESIGN §1 as warnings: bars whose `open` or `close` lies
//! outside `[low, high]`, and `limit_up < limit_down`. They are counted, with the
//! first example in `(date, symbol)` order.

use super::load::{locate_files, FileKind};
use super::{load_market, Date, LoadOptions, Market};
use crate::Result;
use std::fmt;
use std::path::Path;

/// What a bundle holds, as the `validate` command prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleSummary {
    /// The files read, by file name, with their number of data rows.
    pub files: Vec<(String, usize)>,
    pub n_symbols: usize,
    /// Trading days (distinct dates of `bars`).
    pub n_days: usize,
    pub first_date: Date,
    pub last_date: Date,
    pub bar_rows: usize,
    /// Bars with volume 0.
    pub suspended_rows: usize,
    /// Index names of `constituents` with their number of spells.
    pub indices: Vec<(String, usize)>,
    pub factor_names: Vec<String>,
    pub warnings: Vec<String>,
}

impl fmt::Display for BundleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "files:")?;
        let width = self.files.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, rows) in &self.files {
            writeln!(f, "  {name:<width$}  {:>12} rows", thousands(*rows))?;
        }
        writeln!(f, "symbols:       {}", thousands(self.n_symbols))?;
        writeln!(
            f,
            "trading days:  {} ({} .. {})",
            thousands(self.n_days),
            self.first_date,
            self.last_date
        )?;
        writeln!(
            f,
            "bars:          {} rows, {} suspended (volume 0)",
            thousands(self.bar_rows),
            thousands(self.suspended_rows)
        )?;
        if self.indices.is_empty() {
            writeln!(f, "indices:       (none)")?;
        } else {
            let list: Vec<String> = self
                .indices
                .iter()
                .map(|(n, k)| format!("{n} ({} spells)", thousands(*k)))
                .collect();
            writeln!(f, "indices:       {}", list.join(", "))?;
        }
        if self.factor_names.is_empty() {
            writeln!(f, "factors:       (none)")?;
        } else {
            writeln!(f, "factors:       {}", self.factor_names.join(", "))?;
        }
        if self.warnings.is_empty() {
            writeln!(f, "warnings:      none")?;
        } else {
            writeln!(f, "warnings:      {}", self.warnings.len())?;
            for w in &self.warnings {
                writeln!(f, "  - {w}")?;
            }
        }
        write!(f, "ok: the bundle is valid")
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Loads and checks every file of the bundle in `dir`, simulating nothing.
#[allow(clippy::result_large_err)] // see `loader`: the error is large by design
pub fn validate_bundle(dir: &Path) -> Result<BundleSummary> {
    let market = load_market(dir, &LoadOptions::default())?;
    let files = locate_files(dir)?;
    Ok(summarise(&market, &files))
}

fn summarise(m: &Market, files: &[(FileKind, std::path::PathBuf)]) -> BundleSummary {
    let bars = &m.bars;
    let rows_of = |k: FileKind| match k {
        FileKind::Bars => bars.len(),
        FileKind::Constituents => m.constituents.values().map(Vec::len).sum(),
        FileKind::Industries => m.industries.len(),
        FileKind::Benchmark => m.benchmark.values().map(Vec::len).sum(),
        FileKind::Factors => m.factors.len(),
        FileKind::Fundamentals => m.fundamentals.records.len(),
        FileKind::IndexWeights => m
            .index_weights
            .values()
            .flat_map(|days| days.iter().map(|d| d.weights.len()))
            .sum(),
    };
    let files = files
        .iter()
        .map(|(k, p)| {
            let name = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (name, rows_of(*k))
        })
        .collect();
    let warnings = bundle_warnings(m);
    BundleSummary {
        files,
        n_symbols: m.n_symbols(),
        n_days: bars.dates.len(),
        first_date: *bars.dates.first().expect("the loader rejects empty bars"),
        last_date: *bars.dates.last().expect("the loader rejects empty bars"),
        bar_rows: bars.len(),
        suspended_rows: (0..bars.len()).filter(|&r| !bars.is_traded(r)).count(),
        indices: m
            .constituents
            .iter()
            .map(|(n, s)| (n.clone(), s.len()))
            .collect(),
        factor_names: m.factors.names.clone(),
        warnings,
    }
}

/// Every warning about a loaded bundle: the loader's, then the counts of
/// suspicious but legal bars (what `validate` prints, and what `--strict`
/// turns into an error).
pub fn bundle_warnings(m: &Market) -> Vec<String> {
    let mut warnings = m.warnings.clone();
    warnings.extend(bar_observations(m));
    warnings
}

/// Counts of suspicious but legal bars, as warnings.
fn bar_observations(m: &Market) -> Vec<String> {
    let b = &m.bars;
    let mut out = Vec::new();
    let mut check = |what: &str, bad: &dyn Fn(usize) -> bool| {
        let mut count = 0usize;
        let mut first = None;
        for d in 0..b.dates.len() {
            for r in b.day_rows(super::DayIndex(d as u32)) {
                if bad(r) {
                    count += 1;
                    first.get_or_insert((b.dates[d], m.symbol_name(b.symbol[r]).to_owned()));
                }
            }
        }
        if let Some((date, sym)) = first {
            out.push(format!(
                "bars: {count} rows have {what} (legal, so a warning unless --strict; first: {sym} on {date})"
            ));
        }
    };
    check("open or close outside [low, high]", &|r| {
        let (lo, hi) = (b.low[r], b.high[r]);
        !(lo..=hi).contains(&b.open[r]) || !(lo..=hi).contains(&b.close[r])
    });
    if let (Some(up), Some(down)) = (&b.limit_up, &b.limit_down) {
        check("limit_up below limit_down", &|r| up[r] < down[r]);
    }
    out
}
