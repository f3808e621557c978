//! report.json's `portfolio` object: per rebalance, the active industry and
//! style exposures against the benchmark weights, the ex-ante tracking error
//! of the target weights next to the realised one of the period they were
//! held, and for `enhanced_index` what the optimiser did.

use crate::engine::RunRecords;
use crate::metrics;
use crate::strategy::OptimiserRecord;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `portfolio` object (present when the run has benchmark weights or
/// uses the optimiser).
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioReport {
    pub method: String,
    /// Where the benchmark weights came from.
    pub benchmark_weights: String,
    /// Mean over rebalances of the ex-ante tracking error (annualised).
    pub mean_ex_ante_tracking_error: f64,
    /// Mean over rebalances of the realised tracking error of each period.
    pub mean_realised_tracking_error: f64,
    /// Rebalances where the optimiser relaxed a limit, or kept the book.
    pub relaxed_rebalances: usize,
    pub rebalances: Vec<PortfolioRow>,
}

/// One rebalance.
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioRow {
    pub date: String,
    pub benchmark_weights_as_of: Option<String>,
    pub ex_ante_tracking_error: f64,
    /// std(daily excess return, ddof 1) × √annualisation over the returns
    /// after this rebalance's fill up to the next rebalance's fill (the
    /// window's end for the last); NaN (null) with fewer than 2 returns.
    pub realised_tracking_error: f64,
    pub industries: BTreeMap<String, f64>,
    pub styles: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimiser: Option<OptimiserRecord>,
}

/// The `portfolio` object of a run (None when it recorded no construction rows).
pub fn portfolio_report(
    records: &RunRecords,
    method: &str,
    benchmark: &str,
    annualisation: u32,
) -> Option<PortfolioReport> {
    if records.construction.is_empty() {
        return None;
    }
    let dates: Vec<_> = records.daily.iter().map(|d| d.date).collect();
    let excess: Vec<f64> = records
        .daily
        .windows(2)
        .map(|w| (w[1].nav / w[0].nav - 1.0) - (w[1].benchmark / w[0].benchmark - 1.0))
        .collect();
    // the fill day of each construction row: its rebalance's fill, else the signal day
    let start_of = |date| {
        records
            .rebalances
            .iter()
            .find(|r| r.signal_date == date)
            .and_then(|r| r.fill_date)
            .unwrap_or(date)
    };
    let starts: Vec<_> = records
        .construction
        .iter()
        .map(|c| start_of(c.date))
        .collect();
    let rows: Vec<PortfolioRow> = records
        .construction
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let from = dates.partition_point(|d| *d <= starts[k]);
            let to = starts
                .get(k + 1)
                .map_or(dates.len(), |e| dates.partition_point(|d| d <= e));
            // excess[i] is the return of day i+1
            let period: &[f64] = if from >= 1 && to > from {
                &excess[from - 1..to - 1]
            } else {
                &[]
            };
            let realised = if period.len() >= 2 {
                metrics::tracking_error(period, annualisation)
            } else {
                f64::NAN
            };
            PortfolioRow {
                date: c.date.to_string(),
                benchmark_weights_as_of: c.benchmark_weights_as_of.map(|d| d.to_string()),
                ex_ante_tracking_error: c.active.ex_ante_tracking_error,
                realised_tracking_error: realised,
                industries: c.active.industries.iter().cloned().collect(),
                styles: c.active.styles.iter().cloned().collect(),
                optimiser: c.optimiser.clone(),
            }
        })
        .collect();
    let finite_mean = |v: Vec<f64>| {
        let v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
        metrics::mean(&v)
    };
    let with_weights = records
        .construction
        .iter()
        .filter(|c| c.benchmark_weights_as_of.is_some())
        .count();
    Some(PortfolioReport {
        method: method.to_owned(),
        benchmark_weights: if with_weights == rows.len() {
            format!("index_weights.csv ({benchmark}), carried forward")
        } else if with_weights == 0 {
            format!("equal weights of the members of {benchmark} (no index_weights.csv rows)")
        } else {
            format!(
                "index_weights.csv ({benchmark}) on {with_weights} of {} rebalances, equal member weights on the others",
                rows.len()
            )
        },
        mean_ex_ante_tracking_error: finite_mean(
            rows.iter().map(|r| r.ex_ante_tracking_error).collect(),
        ),
        mean_realised_tracking_error: finite_mean(
            rows.iter().map(|r| r.realised_tracking_error).collect(),
        ),
        relaxed_rebalances: rows
            .iter()
            .filter(|r| {
                r.optimiser
                    .as_ref()
                    .is_some_and(|o| !o.relaxed.is_empty() || o.status.starts_with("NoTrade"))
            })
            .count(),
        rebalances: rows,
    })
}
