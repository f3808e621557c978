//! The factor report as text: the fixed-width table and the CSV.

use super::{fmt, FactorReport, FactorStats};
use crate::{Error, Result};
use std::path::Path;

impl FactorReport {
    /// A fixed-width table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "factor report: {} signal days, forward return over {} trading days, spread = top − bottom of {} quantiles\n",
            self.signal_days, self.ic_horizon, self.quantiles
        );
        out.push_str(&format!(
            "{:<16} {:<10} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}\n",
            "factor",
            "group",
            "days",
            "coverage",
            "IC",
            "ICIR",
            "RankIC",
            "RankICIR",
            "spread",
            "e^-RMAE",
            "autocorr"
        ));
        for f in &self.factors {
            out.push_str(&format!(
                "{:<16} {:<10} {:>5} {:>8.3} {:>8.4} {:>8.3} {:>8.4} {:>8.3} {:>9.4} {:>8.4} {:>8.3}\n",
                f.name,
                f.group,
                f.days,
                f.coverage,
                f.ic_mean,
                f.icir,
                f.rank_ic_mean,
                f.rank_icir,
                f.spread,
                f.exp_neg_rank_mae,
                f.rank_autocorr
            ));
        }
        out
    }

    /// CSV of the table (full precision).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "factor",
            "group",
            "days",
            "coverage",
            "ic",
            "icir",
            "rank_ic",
            "rank_icir",
            "spread",
            "exp_neg_rank_mae",
            "rank_autocorr",
        ];
        w.write_record(header)
            .expect("writing to memory cannot fail");
        for f in &self.factors {
            w.write_record([
                f.name.clone(),
                f.group.clone(),
                f.days.to_string(),
                fmt(f.coverage),
                fmt(f.ic_mean),
                fmt(f.icir),
                fmt(f.rank_ic_mean),
                fmt(f.rank_icir),
                fmt(f.spread),
                fmt(f.exp_neg_rank_mae),
                fmt(f.rank_autocorr),
            ])
            .expect("rows of the header's length, written to memory");
        }
        let bytes = w.into_inner().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("every cell is UTF-8 text")
    }

    /// Writes the CSV.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_csv()).map_err(|e| Error::io(path, e))
    }

    /// The stats of one factor.
    pub fn get(&self, name: &str) -> Option<&FactorStats> {
        self.factors.iter().find(|f| f.name == name)
    }
}
