//! The run report (`report.json`, DESIGN §4): its types, built from a
//! finished run's records (`build`), rendered as text (`summary`) and
//! compared with a stored summary for `--check` (`check`).
//!
//! This module computes and formats; it writes no file. The run folder
//! (report.json, summary.txt, the CSV files, report.html) is written and read
//! by the `run_folder` module (which uses this one, never the reverse).

mod build;
mod calendar;
mod check;
mod construction;
mod summary;

pub use build::{excess_metrics, series_metrics, trade_hash};
pub use calendar::{Calendar, PeriodRow};
pub use check::{compare_summaries, CheckOutcome};
pub use construction::{portfolio_report, PortfolioReport, PortfolioRow};
pub(crate) use summary::fmt6;

use crate::engine::RunRecords;
use crate::spec::SpecConfig;
use serde::Serialize;

/// Run identity.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub name: String,
    pub spec: String,
    pub model: String,
    pub alphasim_version: String,
}

/// Every convention the numbers depend on, echoed in the report.
#[derive(Debug, Clone, Serialize)]
pub struct Conventions {
    pub annualisation: u32,
    pub fill: String,
    pub costs: String,
    pub commission_bps: f64,
    /// Market preset (`none` or `cn`) and the resolved rules and cost settings.
    pub market: String,
    pub market_rules: Vec<String>,
    pub cost_settings: crate::costs::CostSettings,
    pub ic_horizon: u32,
    pub risk_free_rate: f64,
    pub initial_capital: f64,
    pub top_fraction: f64,
    /// The construction method (`top_fraction`, `score_weighted`, …).
    pub method: String,
    pub rebalance: String,
    pub quantiles: u32,
    pub universe: String,
    pub benchmark: String,
    pub rules: Vec<String>,
}

/// The evaluation window.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub start: String,
    pub end: String,
    /// First signal day: NAV_t0 = initial capital, benchmark rebased here.
    pub t0: Option<String>,
    pub trading_days: usize,
    pub daily_returns: usize,
    pub rebalances: usize,
    pub retrains: Vec<String>,
}

/// Return metrics of one NAV series.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeriesMetrics {
    pub total_return: f64,
    pub annual_return: f64,
    pub volatility: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
}

/// Active-return metrics.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExcessMetrics {
    pub alpha: f64,
    pub excess_geometric: f64,
    pub tracking_error: f64,
    pub information_ratio: f64,
    /// Max drawdown of NAV / benchmark.
    pub max_drawdown: f64,
    /// Share of days with a positive excess return.
    pub hit_rate: f64,
}

/// Signal-quality metrics.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IcMetrics {
    pub signals: usize,
    pub ic_mean: f64,
    pub ic_std: f64,
    pub icir: f64,
    pub rank_ic_mean: f64,
    pub rank_ic_std: f64,
    pub rank_icir: f64,
    /// Mean over signal days of RankMAE, `mean_i |g(score_i) − g(fwd_i)|`
    /// with `g` = rank-Gauss `Φ⁻¹((rank − 0.5) / n)` ([`crate::signal`]).
    pub rank_mae: f64,
    /// `e^(−rank_mae)`: ≈ 0.324 for a random score, 1 for a perfect one.
    pub exp_neg_rank_mae: f64,
    /// Mean forward return per score quantile over signal days, lowest first.
    pub quantile_returns: Vec<f64>,
    pub top_minus_bottom: f64,
    /// Mean over signal days of the long-short return (top − bottom
    /// quantile forward return of that day; the series is `ic[].long_short`).
    pub long_short_mean: f64,
    /// Its standard deviation over signal days (ddof = 1).
    pub long_short_std: f64,
    /// `long_short_mean / long_short_std` (per signal day, not annualised, like ICIR).
    pub long_short_ir: f64,
}

/// Trading metrics.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TradingMetrics {
    pub trades: usize,
    /// Mean turnover per rebalance, first build excluded.
    pub turnover_mean: f64,
    /// Sum of turnover per year (first build excluded): Σ turnover / (n / N).
    pub turnover_annual: f64,
    pub cost_total: f64,
    /// Annual cost drag: Σ(cost / NAV of the day) / (n / N).
    pub cost_annual: f64,
    pub mean_holdings: f64,
    pub missed_targets: usize,
    /// Total cost by component (sums to `cost_total`).
    pub cost_breakdown: crate::costs::CostBreakdown,
    /// Unfilled orders and remainders by reason (every reason listed).
    pub unfilled: std::collections::BTreeMap<String, usize>,
}

/// All metrics.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub portfolio: SeriesMetrics,
    pub benchmark: SeriesMetrics,
    pub excess: ExcessMetrics,
    pub ic: IcMetrics,
    pub trading: TradingMetrics,
}

/// IC of one signal day, as written to report.json.
#[derive(Debug, Clone, Serialize)]
pub struct IcRow {
    pub date: String,
    pub n: usize,
    pub ic: f64,
    pub rank_ic: f64,
    pub rank_mae: f64,
    /// Top − bottom quantile mean forward return.
    pub long_short: f64,
}

/// One rebalance, as written to report.json.
#[derive(Debug, Clone, Serialize)]
pub struct RebalanceRow {
    pub signal_date: String,
    pub fill_date: Option<String>,
    pub eligible: usize,
    pub selected: usize,
    pub missed: usize,
    pub unfilled: usize,
    pub turnover: f64,
    pub cost: f64,
}

/// The whole report (`report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run: RunInfo,
    pub spec: SpecConfig,
    pub conventions: Conventions,
    pub window: Window,
    pub metrics: Metrics,
    /// Returns by calendar year and month (definitions in `report::calendar`).
    pub calendar: Calendar,
    pub ic: Vec<IcRow>,
    pub rebalances: Vec<RebalanceRow>,
    /// SHA-256 of every trade (date, symbol, side, quantity, price, value, cost, reason), rounded.
    pub trade_hash: String,
    pub warnings: Vec<String>,
    /// Active exposures and tracking error per rebalance (with benchmark
    /// weights or the optimiser).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<PortfolioReport>,
    /// What the model learned per retrain window (learned models only; shape in docs/dmfm.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpretation: Option<crate::alpha::Interpretation>,
}

/// A finished run: the report and the records behind the CSV files.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub report: Report,
    pub records: RunRecords,
    pub symbol_names: Vec<String>,
}
