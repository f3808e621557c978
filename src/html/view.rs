//! What the page is drawn from: [`RunView`] (`report.json` as a JSON value
//! plus the daily and per-signal series), built from a finished run in
//! memory, and the "before costs" NAV derived from it.
//!
//! Reading a view back from a run folder's files is
//! `RunView::from_dir`, in the `run_folder` module (which uses this one, never the reverse).

use super::format::num;
use crate::report::RunResult;
use serde_json::Value;

/// One signal day of `ic.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IcPoint {
    pub date: String,
    pub ic: f64,
    pub rank_ic: f64,
    /// RankMAE ([`crate::signal`]).
    pub rank_mae: f64,
    /// Mean forward return per score quantile, lowest first.
    pub quantiles: Vec<f64>,
}

/// Everything the page is drawn from.
#[derive(Debug, Clone)]
pub struct RunView {
    /// `report.json`.
    pub report: Value,
    /// Trading days of the window (`nav.csv`).
    pub dates: Vec<String>,
    pub nav: Vec<f64>,
    pub benchmark: Vec<f64>,
    /// Costs paid each day.
    pub cost: Vec<f64>,
    /// Number of holdings at each close; `None` when positions.csv is absent.
    pub holdings: Option<Vec<f64>>,
    pub ic: Vec<IcPoint>,
}

impl RunView {
    /// The view of a finished run in memory.
    pub fn from_run(run: &RunResult) -> RunView {
        let d = &run.records.daily;
        RunView {
            report: serde_json::to_value(&run.report).expect("a report always serialises"),
            dates: d.iter().map(|x| x.date.to_string()).collect(),
            nav: d.iter().map(|x| x.nav).collect(),
            benchmark: d.iter().map(|x| x.benchmark).collect(),
            cost: d.iter().map(|x| x.cost).collect(),
            holdings: Some(d.iter().map(|x| x.holdings as f64).collect()),
            ic: run
                .records
                .ic
                .iter()
                .map(|x| IcPoint {
                    date: x.date.to_string(),
                    ic: x.ic,
                    rank_ic: x.rank_ic,
                    rank_mae: x.rank_mae,
                    quantiles: x.quantile_returns.clone(),
                })
                .collect(),
        }
    }

    pub(super) fn annualisation(&self) -> u32 {
        self.report
            .pointer("/conventions/annualisation")
            .and_then(Value::as_u64)
            .unwrap_or(252) as u32
    }

    pub(super) fn risk_free_rate(&self) -> f64 {
        num(&self.report, "/conventions/risk_free_rate").max(0.0)
    }
}

/// NAV with each day's costs added back (compounded): the "before costs" curve.
///
/// ```
/// use alphasim::html::gross_nav;
/// // 100 → 99 after paying 2 in costs: before costs the day returned +1%.
/// let g = gross_nav(&[100.0, 99.0, 99.0], &[0.0, 2.0, 0.0]);
/// assert_eq!(g, vec![100.0, 101.0, 101.0]);
/// ```
pub fn gross_nav(nav: &[f64], cost: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(nav.len());
    for (i, &v) in nav.iter().enumerate() {
        if i == 0 {
            out.push(v);
        } else {
            let r = (v + cost[i]) / nav[i - 1];
            out.push(out[i - 1] * r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_gross_nav_adds_costs_back_and_compounds() {
        // Day 1: NAV 100 → 99 after paying 1 in costs, so the holdings
        // themselves returned 0%. Day 2: NAV 99 → 108.9 (+10%), no cost.
        let g = gross_nav(&[100.0, 99.0, 108.9], &[0.0, 1.0, 0.0]);
        let expected = [100.0, 100.0, 110.0];
        for (a, b) in g.iter().zip(expected) {
            assert!((a - b).abs() < 1e-9, "{g:?}");
        }
    }
}
