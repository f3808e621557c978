//! The run report: metrics (DESIGN §4), `report.json`, `summary.txt`, the
//! CSV outputs, the trade hash, the snapshot text and the `--check`
//! comparison (DESIGN §5).
//!
//! A run folder is written to a temporary sibling and renamed into place at
//! the end, so a failed run leaves no half-written folder.

use crate::data::Market;
use crate::engine::{IcRecord, RunRecords};
use crate::metrics;
use crate::spec::{Spec, SpecConfig};
use crate::{Error, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
    pub weighting: String,
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
    /// Mean forward return per score quantile over signal days, lowest first.
    pub quantile_returns: Vec<f64>,
    pub top_minus_bottom: f64,
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
    pub ic: Vec<IcRow>,
    pub rebalances: Vec<RebalanceRow>,
    /// SHA-256 of every trade (date, symbol, side, quantity, price, value, cost, reason), rounded.
    pub trade_hash: String,
    pub warnings: Vec<String>,
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

/// Return metrics of a NAV series (first value = base).
pub fn series_metrics(nav: &[f64], rf: f64, annualisation: u32) -> SeriesMetrics {
    let returns: Vec<f64> = nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let (first, last) = (
        nav.first().copied().unwrap_or(f64::NAN),
        nav.last().copied().unwrap_or(f64::NAN),
    );
    SeriesMetrics {
        total_return: last / first - 1.0,
        annual_return: metrics::annual_return(first, last, returns.len(), annualisation),
        volatility: metrics::volatility(&returns, annualisation),
        sharpe: metrics::sharpe(&returns, rf, annualisation),
        max_drawdown: metrics::max_drawdown(nav),
    }
}

/// Active-return metrics of `nav` against `bench` (same dates), given both
/// series' own metrics.
pub fn excess_metrics(
    nav: &[f64],
    bench: &[f64],
    portfolio: &SeriesMetrics,
    benchmark: &SeriesMetrics,
    annualisation: u32,
) -> ExcessMetrics {
    let e: Vec<f64> = nav
        .windows(2)
        .zip(bench.windows(2))
        .map(|(n, b)| (n[1] / n[0] - 1.0) - (b[1] / b[0] - 1.0))
        .collect();
    let relative: Vec<f64> = nav.iter().zip(bench).map(|(n, b)| n / b).collect();
    ExcessMetrics {
        alpha: metrics::alpha(&e, annualisation),
        excess_geometric: metrics::excess_geometric(
            portfolio.annual_return,
            benchmark.annual_return,
        ),
        tracking_error: metrics::tracking_error(&e, annualisation),
        information_ratio: metrics::information_ratio(&e, annualisation),
        max_drawdown: metrics::max_drawdown(&relative),
        hit_rate: metrics::hit_rate(&e),
    }
}

/// Hash of the trade list, LEAN-style: any change in what was traded changes it.
pub fn trade_hash(records: &RunRecords, names: &[String]) -> String {
    let mut h = Sha256::new();
    let mut line = String::new();
    for f in &records.fills {
        line.clear();
        let _ = writeln!(
            line,
            "{},{},{},{:.6},{:.6},{:.2},{:.2},{}",
            f.date,
            names[f.symbol.index()],
            f.side.as_str(),
            f.quantity,
            f.price,
            f.value,
            f.cost,
            f.reason.as_str()
        );
        h.update(line.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn ic_metrics(ic: &[IcRecord], quantiles: usize) -> IcMetrics {
    let ics: Vec<f64> = ic.iter().map(|r| r.ic).filter(|x| x.is_finite()).collect();
    let ranks: Vec<f64> = ic
        .iter()
        .map(|r| r.rank_ic)
        .filter(|x| x.is_finite())
        .collect();
    let mut q = vec![f64::NAN; quantiles];
    for (b, slot) in q.iter_mut().enumerate() {
        let vals: Vec<f64> = ic
            .iter()
            .filter_map(|r| r.quantile_returns.get(b).copied())
            .filter(|x| x.is_finite())
            .collect();
        if !vals.is_empty() {
            *slot = metrics::mean(&vals);
        }
    }
    IcMetrics {
        signals: ic.len(),
        ic_mean: metrics::mean(&ics),
        ic_std: metrics::std_sample(&ics),
        icir: metrics::icir(&ics),
        rank_ic_mean: metrics::mean(&ranks),
        rank_ic_std: metrics::std_sample(&ranks),
        rank_icir: metrics::icir(&ranks),
        top_minus_bottom: q[quantiles - 1] - q[0],
        quantile_returns: q,
    }
}

impl Report {
    /// Computes the report of a finished run.
    pub fn build(spec: &Spec, market: &Market, records: &RunRecords) -> Report {
        let c = &spec.config;
        let n_ann = c.annualisation;
        let nav: Vec<f64> = records.daily.iter().map(|d| d.nav).collect();
        let bench: Vec<f64> = records.daily.iter().map(|d| d.benchmark).collect();
        let r: Vec<f64> = nav.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let portfolio = series_metrics(&nav, c.risk_free_rate, n_ann);
        let benchmark = series_metrics(&bench, c.risk_free_rate, n_ann);
        let years = r.len() as f64 / f64::from(n_ann);
        let later: Vec<f64> = records
            .rebalances
            .iter()
            .filter(|x| x.fill_date.is_some())
            .skip(1)
            .map(|x| x.turnover)
            .collect();
        let cost_drag: f64 = records.daily.iter().map(|d| d.cost / d.nav).sum();
        let trading = TradingMetrics {
            trades: records.fills.len(),
            turnover_mean: metrics::mean(&later),
            turnover_annual: later.iter().sum::<f64>() / years,
            cost_total: records.daily.iter().map(|d| d.cost).sum(),
            cost_annual: cost_drag / years,
            mean_holdings: metrics::mean(
                &records
                    .daily
                    .iter()
                    .map(|d| d.holdings as f64)
                    .collect::<Vec<_>>(),
            ),
            missed_targets: records.rebalances.iter().map(|x| x.missed).sum(),
            cost_breakdown: records.daily.iter().fold(
                crate::costs::CostBreakdown::default(),
                |mut acc, d| {
                    acc.add(&d.costs);
                    acc
                },
            ),
            unfilled: crate::execution::UnfilledReason::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_owned(),
                        records.unfilled.iter().filter(|u| u.reason == *r).count(),
                    )
                })
                .collect(),
        };
        let excess = excess_metrics(&nav, &bench, &portfolio, &benchmark, n_ann);
        let names = market.symbols.names();
        let cost_settings = c.cost_settings();
        let fill = match c.execution.fill {
            crate::spec::Fill::NextOpen => "next_open",
            crate::spec::Fill::Close => "close",
        };
        let rebalance = match c.schedule.rebalance {
            crate::spec::Rebalance::Monthly => {
                "monthly (last trading day of each month)".to_owned()
            }
            crate::spec::Rebalance::Weekly => {
                "weekly (last trading day of each ISO week)".to_owned()
            }
            crate::spec::Rebalance::EveryNDays => format!(
                "every {} trading days",
                c.schedule.every_n_days.unwrap_or(1)
            ),
        };
        let conventions = Conventions {
            annualisation: n_ann,
            fill: fill.to_owned(),
            costs: records.cost_description.clone(),
            commission_bps: cost_settings.commission_buy_bps,
            market: match c.execution.market {
                crate::spec::MarketPreset::None => "none".to_owned(),
                crate::spec::MarketPreset::Cn => "cn".to_owned(),
            },
            market_rules: c.market_rules().describe(),
            cost_settings,
            ic_horizon: c.ic_horizon,
            risk_free_rate: c.risk_free_rate,
            initial_capital: c.initial_capital,
            top_fraction: c.portfolio.top_fraction,
            weighting: "equal".to_owned(),
            rebalance,
            quantiles: c.quantiles,
            universe: c
                .index
                .clone()
                .unwrap_or_else(|| "all listed symbols".to_owned()),
            benchmark: c
                .benchmark
                .clone()
                .or_else(|| c.index.clone())
                .unwrap_or_else(|| "equal-weighted all listed symbols".to_owned()),
            rules: RULES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let window = Window {
            start: records.window_start.to_string(),
            end: records.window_end.to_string(),
            t0: records.t0.map(|d| d.to_string()),
            trading_days: records.daily.len(),
            daily_returns: r.len(),
            rebalances: records.rebalances.len(),
            retrains: records
                .retrain_dates
                .iter()
                .map(|d| d.to_string())
                .collect(),
        };
        Report {
            run: RunInfo {
                name: c.name.clone().unwrap_or_default(),
                spec: spec.path.display().to_string(),
                model: records.model_name.clone(),
                alphasim_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            spec: c.clone(),
            conventions,
            window,
            metrics: Metrics {
                portfolio,
                benchmark,
                excess,
                ic: ic_metrics(&records.ic, c.quantiles as usize),
                trading,
            },
            ic: records
                .ic
                .iter()
                .map(|x| IcRow {
                    date: x.date.to_string(),
                    n: x.n,
                    ic: x.ic,
                    rank_ic: x.rank_ic,
                })
                .collect(),
            rebalances: records
                .rebalances
                .iter()
                .map(|x| RebalanceRow {
                    signal_date: x.signal_date.to_string(),
                    fill_date: x.fill_date.map(|d| d.to_string()),
                    eligible: x.eligible,
                    selected: x.selected,
                    missed: x.missed,
                    unfilled: x.unfilled,
                    turnover: x.turnover,
                    cost: x.cost,
                })
                .collect(),
            trade_hash: trade_hash(records, names),
            warnings: market
                .warnings
                .iter()
                .chain(&records.warnings)
                .cloned()
                .collect(),
            interpretation: records.interpretation.clone(),
        }
    }

    /// `report.json`, pretty-printed (NaN is written as null).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises") + "\n"
    }

    /// `report.json` with every float rounded to `digits` significant
    /// digits: stable text for snapshot tests.
    pub fn to_json_rounded(&self, digits: i32) -> String {
        let mut v = serde_json::to_value(self).expect("a report always serialises");
        round_json(&mut v, digits);
        serde_json::to_string_pretty(&v).expect("a value always serialises") + "\n"
    }

    /// The fixed-width human summary (`summary.txt`). Numbers have six
    /// decimals, so the text is stable across platforms and is what snapshot
    /// tests and `--check` compare.
    pub fn summary(&self) -> String {
        let m = &self.metrics;
        let c = &self.conventions;
        let mut s = String::new();
        let w = &self.window;
        let _ = writeln!(s, "alphasim backtest: {}", self.run.name);
        let _ = writeln!(s, "model      {}", self.run.model);
        let _ = writeln!(s, "universe   {}", c.universe);
        let _ = writeln!(s, "benchmark  {}", c.benchmark);
        let _ = writeln!(
            s,
            "schedule   {}, top {} equal weight",
            c.rebalance,
            fmt_num(c.top_fraction)
        );
        let _ = writeln!(s, "fill       {}", c.fill);
        let _ = writeln!(s, "costs      {}", c.costs);
        if c.market != "none" {
            let _ = writeln!(s, "market     {}", c.market);
        }
        let _ = writeln!(
            s,
            "window     {} .. {}, t0 {}",
            w.start,
            w.end,
            w.t0.as_deref().unwrap_or("none")
        );
        let _ = writeln!(
            s,
            "counts     {} days, {} daily returns, {} rebalances, {} trades",
            w.trading_days, w.daily_returns, w.rebalances, m.trading.trades
        );
        let _ = writeln!(
            s,
            "conventions annualisation {}, ic_horizon {}, rf {}, quantiles {}",
            c.annualisation,
            c.ic_horizon,
            fmt_num(c.risk_free_rate),
            c.quantiles
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "{:<22}{:>16}{:>16}", "", "portfolio", "benchmark");
        let (p, b) = (&m.portfolio, &m.benchmark);
        for (name, x, y) in [
            ("total_return", p.total_return, b.total_return),
            ("annual_return", p.annual_return, b.annual_return),
            ("volatility", p.volatility, b.volatility),
            ("sharpe", p.sharpe, b.sharpe),
            ("max_drawdown", p.max_drawdown, b.max_drawdown),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}{:>16}", name, fmt6(x), fmt6(y));
        }
        let _ = writeln!(s);
        let e = &m.excess;
        let _ = writeln!(s, "excess");
        for (name, x) in [
            ("alpha", e.alpha),
            ("excess_geometric", e.excess_geometric),
            ("tracking_error", e.tracking_error),
            ("information_ratio", e.information_ratio),
            ("max_drawdown", e.max_drawdown),
            ("hit_rate", e.hit_rate),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let _ = writeln!(s);
        let i = &m.ic;
        let _ = writeln!(s, "signal ({} signal days)", i.signals);
        for (name, x) in [
            ("ic_mean", i.ic_mean),
            ("ic_std", i.ic_std),
            ("icir", i.icir),
            ("rank_ic_mean", i.rank_ic_mean),
            ("rank_ic_std", i.rank_ic_std),
            ("rank_icir", i.rank_icir),
            ("top_minus_bottom", i.top_minus_bottom),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let q: Vec<String> = i.quantile_returns.iter().map(|x| fmt6(*x)).collect();
        let _ = writeln!(s, "{:<22}{}", "quantile_returns", q.join(" "));
        let _ = writeln!(s);
        let t = &m.trading;
        let _ = writeln!(s, "trading");
        for (name, x) in [
            ("turnover_mean", t.turnover_mean),
            ("turnover_annual", t.turnover_annual),
            ("cost_total", t.cost_total),
            ("cost_annual", t.cost_annual),
            ("mean_holdings", t.mean_holdings),
        ] {
            let _ = writeln!(s, "{:<22}{:>16}", name, fmt6(x));
        }
        let _ = writeln!(s, "{:<22}{:>16}", "missed_targets", t.missed_targets);
        for (name, x) in crate::costs::CostBreakdown::NAMES
            .iter()
            .zip(t.cost_breakdown.values())
        {
            let _ = writeln!(s, "{:<22}{:>16}", format!("cost_{name}"), fmt6(x));
        }
        let unfilled: Vec<String> = t
            .unfilled
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(
            s,
            "{:<22}{:>16}",
            "unfilled",
            t.unfilled.values().sum::<usize>()
        );
        if !unfilled.is_empty() {
            let _ = writeln!(s, "{:<22}{}", "unfilled_by_reason", unfilled.join(", "));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "trade_hash {}", self.trade_hash);
        for warning in &self.warnings {
            let _ = writeln!(s, "warning: {warning}");
        }
        s
    }

    /// A stable, rounded text of the report for a user's own snapshot tests
    /// (`insta::assert_snapshot!(report.snapshot_text())`): the summary, which
    /// carries every metric to six decimals and the trade hash.
    pub fn snapshot_text(&self) -> String {
        self.summary()
    }
}

/// Conventions that hold for every run, stated in every report.
const RULES: &[&str] = &[
    "signal day t: the last trading day of the schedule period; the window's last day is never one",
    "eligible at t: index members on t (inclusive spells) with a traded bar on t (volume > 0) and a finite score",
    "selection: k = max(1, floor(top_fraction x eligible)) highest scores, ties by symbol ascending",
    "a stock with no traded bar at the fill cannot trade: if held it stays held (valued at its last close), if selected it is missed",
    "sizing: W = cash + tradable holdings at fill prices; W' = W - cost(trades(W')) by fixed-point iteration; each tradable target gets W'/k; fully invested, never borrows",
    "holdings are adjusted shares (dividends and splits reinvested); returns come from adjusted prices",
    "a symbol whose last bar comes before the end of the data is sold at its last close, with costs",
    "NAV at every close; evaluation starts at t0 = first signal day with NAV_t0 = initial capital and the benchmark rebased to t0",
    "benchmark: index levels from benchmark.csv (a missing day carries the level forward); without them the equal-weighted return of the members traded on t-1 and t",
    "ic: Pearson of score and close_adj(t+h)/close_adj(t) - 1 over the eligible set; a stock with no close at t+h uses its last close before; signal days with t+h past the window are dropped; rank_ic is Spearman with average ranks",
    "turnover per rebalance: (buys + sells) / (2 x pre-trade value); mean and annual sum exclude the first build",
    "quantile returns: eligible stocks sorted by score ascending (ties by symbol), bucket = floor(i x q / n), mean forward return per bucket averaged over signal days",
];

/// Six decimals, or "NaN" (−0 printed as 0): the summary's and tables' number format.
pub(crate) fn fmt6(x: f64) -> String {
    if x.is_finite() {
        let s = format!("{x:.6}");
        if s == "-0.000000" {
            "0.000000".to_owned()
        } else {
            s
        }
    } else {
        "NaN".to_owned()
    }
}

fn fmt_num(x: f64) -> String {
    format!("{x}")
}

fn round_json(v: &mut serde_json::Value, digits: i32) {
    match v {
        serde_json::Value::Number(n) => {
            if let (Some(x), false) = (n.as_f64(), n.is_i64() || n.is_u64()) {
                if x != 0.0 && x.is_finite() {
                    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
                    let r = (x * scale).round() / scale;
                    if let Some(num) = serde_json::Number::from_f64(r) {
                        *n = num;
                    }
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| round_json(x, digits)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| round_json(x, digits)),
        _ => {}
    }
}

/// A float for CSV: shortest round-trip text, empty for NaN.
fn csv_f64(out: &mut String, x: f64) {
    if x.is_finite() {
        let _ = write!(out, "{x}");
    }
}

impl RunResult {
    /// Writes the run folder: report.json, summary.txt, nav.csv, trades.csv,
    /// positions.csv, ic.csv and report.html. Written to `<dir>.partial` and renamed, so a
    /// failure leaves no half-written folder.
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.write_parts(dir, true)
    }

    /// [`RunResult::write`], with or without positions.csv (sweeps leave it
    /// out unless asked: it is the largest file of a run folder).
    pub fn write_parts(&self, dir: &Path, positions: bool) -> Result<()> {
        let tmp = partial_path(dir);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let result = self.write_files(&tmp, positions);
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir, e))
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
            put("attention.csv", &i.to_csv())?;
        }
        put(
            "report.html",
            &crate::html::render(&crate::html::RunView::from_run(self))?,
        )
    }

    /// `scores.csv`: date,symbol,score of every signal day's eligible set —
    /// the format the `file` model reads, so a later run can reuse the scores.
    pub fn scores_csv(&self) -> String {
        let mut s = String::from("date,symbol,score\n");
        for (date, day) in &self.records.scores {
            for (sym, v) in day {
                let _ = write!(s, "{},{},", date, self.symbol_names[sym.index()]);
                csv_f64(&mut s, *v);
                s.push('\n');
            }
        }
        s
    }

    /// `nav.csv`: date,nav,benchmark,excess_nav,cash,cost,turnover and the
    /// day's cost by component (commission,stamp_duty,transfer_fee,slippage,impact),
    /// where excess_nav = nav / benchmark (1 at t0).
    pub fn nav_csv(&self) -> String {
        let mut s = String::with_capacity(96 * (self.records.daily.len() + 1));
        s.push_str("date,nav,benchmark,excess_nav,cash,cost,turnover");
        for n in crate::costs::CostBreakdown::NAMES {
            s.push(',');
            s.push_str(n);
        }
        s.push('\n');
        for d in &self.records.daily {
            let _ = write!(s, "{},", d.date);
            for (i, x) in [
                d.nav,
                d.benchmark,
                d.nav / d.benchmark,
                d.cash,
                d.cost,
                d.turnover,
            ]
            .into_iter()
            .chain(d.costs.values())
            .enumerate()
            {
                if i > 0 {
                    s.push(',');
                }
                csv_f64(&mut s, x);
            }
            s.push('\n');
        }
        s
    }

    /// `trades.csv`: one row per fill and per unfilled order (or remainder):
    /// date,symbol,side,status,quantity,price,adjusted_price,value,cost,
    /// commission,stamp_duty,transfer_fee,slippage,impact,reason. `status` is
    /// `filled` (reason: rebalance, delisting) or `unfilled` (reason: suspended,
    /// limit_up, limit_down, volume_cap, lot, t_plus_one, cash; quantity and
    /// value are what did not trade, empty when unknown). Quantity in adjusted
    /// shares; price raw. Rows by date, fills before unfilled rows.
    pub fn trades_csv(&self) -> String {
        let mut s = String::from(
            "date,symbol,side,status,quantity,price,adjusted_price,value,cost,commission,stamp_duty,transfer_fee,slippage,impact,reason\n",
        );
        let (fills, unfilled) = (&self.records.fills, &self.records.unfilled);
        let (mut i, mut j) = (0, 0);
        while i < fills.len() || j < unfilled.len() {
            let take_fill =
                j >= unfilled.len() || (i < fills.len() && fills[i].date <= unfilled[j].date);
            if take_fill {
                let f = &fills[i];
                i += 1;
                let _ = write!(
                    s,
                    "{},{},{},filled,",
                    f.date,
                    self.symbol_names[f.symbol.index()],
                    f.side.as_str()
                );
                for x in [f.quantity, f.price, f.adjusted_price, f.value, f.cost]
                    .into_iter()
                    .chain(f.costs.values())
                {
                    csv_f64(&mut s, x);
                    s.push(',');
                }
                s.push_str(f.reason.as_str());
            } else {
                let u = &unfilled[j];
                j += 1;
                let _ = write!(
                    s,
                    "{},{},{},unfilled,",
                    u.date,
                    self.symbol_names[u.symbol.index()],
                    u.side.as_str()
                );
                let adjusted = if u.price.is_finite() {
                    u.value / u.quantity
                } else {
                    f64::NAN
                };
                for x in [u.quantity, u.price, adjusted, u.value] {
                    csv_f64(&mut s, x);
                    s.push(',');
                }
                s.push_str(",,,,,,");
                s.push_str(u.reason.as_str());
            }
            s.push('\n');
        }
        s
    }

    /// `positions.csv`: date,symbol,quantity,raw_shares,price,value,weight at every close of the window.
    pub fn positions_csv(&self) -> String {
        let mut s = String::with_capacity(64 * (self.records.positions.len() + 1));
        s.push_str("date,symbol,quantity,raw_shares,price,value,weight\n");
        for p in &self.records.positions {
            let _ = write!(s, "{},{}", p.date, self.symbol_names[p.symbol.index()]);
            for x in [p.quantity, p.raw_shares, p.price, p.value, p.weight] {
                s.push(',');
                csv_f64(&mut s, x);
            }
            s.push('\n');
        }
        s
    }

    /// `ic.csv`: date,n,ic,rank_ic,q1..qN (mean forward return per quantile, lowest first).
    pub fn ic_csv(&self) -> String {
        let q = self.report.conventions.quantiles as usize;
        let mut s = String::from("date,n,ic,rank_ic");
        for i in 1..=q {
            let _ = write!(s, ",q{i}");
        }
        s.push('\n');
        for r in &self.records.ic {
            let _ = write!(s, "{},{},", r.date, r.n);
            csv_f64(&mut s, r.ic);
            s.push(',');
            csv_f64(&mut s, r.rank_ic);
            for x in &r.quantile_returns {
                s.push(',');
                csv_f64(&mut s, *x);
            }
            s.push('\n');
        }
        s
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

/// The result of comparing a summary with a stored one.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Human-readable differences; empty when the summaries agree.
    pub differences: Vec<String>,
}

/// Compares `current` with `stored` summary text line by line: numeric
/// tokens may differ by at most `tolerance` (absolute, a difference of
/// exactly `tolerance` passes), every other token must be equal, and the
/// line counts must agree.
///
/// ```
/// use alphasim::report::compare_summaries;
/// let a = "alpha 0.100000\ntrade_hash ab\n";
/// assert!(compare_summaries(a, "alpha 0.100001\ntrade_hash ab\n", 1e-5).differences.is_empty());
/// assert_eq!(compare_summaries(a, "alpha 0.200000\ntrade_hash ab\n", 1e-5).differences.len(), 1);
/// ```
pub fn compare_summaries(stored: &str, current: &str, tolerance: f64) -> CheckOutcome {
    let mut differences = Vec::new();
    let a: Vec<&str> = stored.lines().collect();
    let b: Vec<&str> = current.lines().collect();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(""),
            b.get(i).copied().unwrap_or(""),
        );
        if x == y {
            continue;
        }
        let (tx, ty): (Vec<&str>, Vec<&str>) = (
            x.split_whitespace().collect(),
            y.split_whitespace().collect(),
        );
        let same = tx.len() == ty.len()
            && tx.iter().zip(&ty).all(|(p, q)| {
                p == q
                    || match (p.parse::<f64>(), q.parse::<f64>()) {
                        // "at most tolerance", with an allowance of a few ulps
                        // for the subtraction (1.5 − 1.4 > 0.1 in f64)
                        (Ok(u), Ok(v)) => {
                            (u - v).abs() <= tolerance + 4.0 * f64::EPSILON * u.abs().max(v.abs())
                        }
                        _ => false,
                    }
            });
        if !same {
            differences.push(format!(
                "line {}:\n  - stored: {}\n  + now:    {}",
                i + 1,
                x,
                y
            ));
        }
    }
    if a.len() != b.len() {
        // also when the only extra lines are blank (`lines()` compares them as equal)
        differences.push(format!("line count: stored {}, now {}", a.len(), b.len()));
    }
    CheckOutcome { differences }
}
