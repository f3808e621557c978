//! Building the report of a finished run: the metrics of DESIGN §4, the
//! conventions echoed in it, the window, and the trade hash.

use super::{
    Conventions, ExcessMetrics, IcMetrics, IcRow, Metrics, RebalanceRow, Report, RunInfo,
    SeriesMetrics, TradingMetrics, Window,
};
use crate::data::Market;
use crate::engine::{IcRecord, RunRecords};
use crate::metrics;
use crate::spec::Spec;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

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
    let finite = |f: fn(&IcRecord) -> f64| -> Vec<f64> {
        ic.iter().map(f).filter(|x| x.is_finite()).collect()
    };
    let rank_mae = metrics::mean(&finite(|r| r.rank_mae));
    let long_short = finite(long_short);
    IcMetrics {
        signals: ic.len(),
        ic_mean: metrics::mean(&ics),
        ic_std: metrics::std_sample(&ics),
        icir: metrics::icir(&ics),
        rank_ic_mean: metrics::mean(&ranks),
        rank_ic_std: metrics::std_sample(&ranks),
        rank_icir: metrics::icir(&ranks),
        rank_mae,
        exp_neg_rank_mae: (-rank_mae).exp(),
        top_minus_bottom: q[quantiles - 1] - q[0],
        quantile_returns: q,
        long_short_mean: metrics::mean(&long_short),
        long_short_std: metrics::std_sample(&long_short),
        long_short_ir: metrics::icir(&long_short),
    }
}

/// The top − bottom quantile forward return of one signal day.
fn long_short(r: &IcRecord) -> f64 {
    match (r.quantile_returns.first(), r.quantile_returns.last()) {
        (Some(lo), Some(hi)) => hi - lo,
        _ => f64::NAN,
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
        let cost_settings = crate::costs::CostSettings::from_config(&c.costs, c.execution.market);
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
            market_rules: crate::market_rules::MarketRules::from_config(&c.execution).describe(),
            cost_settings,
            ic_horizon: c.ic_horizon,
            risk_free_rate: c.risk_free_rate,
            initial_capital: c.initial_capital,
            top_fraction: c.portfolio.top_fraction,
            method: c.portfolio.method.key().to_owned(),
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
            rules: rules(c.portfolio.method),
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
            calendar: super::Calendar::build(
                &records.daily.iter().map(|d| d.date).collect::<Vec<_>>(),
                &nav,
                &bench,
                n_ann,
            ),
            ic: records
                .ic
                .iter()
                .map(|x| IcRow {
                    date: x.date.to_string(),
                    n: x.n,
                    ic: x.ic,
                    rank_ic: x.rank_ic,
                    rank_mae: x.rank_mae,
                    long_short: long_short(x),
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
            portfolio: super::portfolio_report(
                records,
                c.portfolio.method.key(),
                c.benchmark
                    .as_deref()
                    .or(c.index.as_deref())
                    .unwrap_or("the benchmark"),
                n_ann,
            ),
            interpretation: records.interpretation.clone(),
        }
    }
}

/// The conventions of a run of `method`: [`RULES`] with its selection rule.
fn rules(method: crate::spec::Method) -> Vec<String> {
    use crate::spec::Method;
    let selection = match method {
        Method::TopFraction => "selection: k = max(1, floor(top_fraction x eligible)) highest scores, ties by symbol ascending; equal weights",
        Method::ScoreWeighted => "selection: k = max(1, floor(top_fraction x eligible)) highest scores, ties by symbol ascending; weight = rank within the selection (1 = lowest, ties share the average rank) / (k(k+1)/2)",
        Method::TopkDropout => "selection: Qlib TopkDropout: sell the holdings among the n_drop worst of holdings + the best non-held, if traded on t and held >= hold_days; buy the best non-held to refill topk; kept holdings keep their weight, buys share the rest equally",
        Method::EnhancedIndex => "selection: enhanced-index SOCP: maximise alpha'w - risk_aversion w'Sw under the ex-ante tracking-error cap, industry and style bounds on w - w_b, caps, turnover and full investment; relaxed in the order turnover, style, tracking error, industry, caps when infeasible",
    };
    RULES
        .iter()
        .map(|s| if *s == "SELECTION" { selection } else { s })
        .map(str::to_owned)
        .collect()
}

/// Conventions that hold for every run, stated in every report
/// (`SELECTION` is replaced by the method's rule).
const RULES: &[&str] = &[
    "signal day t: the last trading day of the schedule period; the window's last day is never one",
    "eligible at t: index members on t (inclusive spells) with a traded bar on t (volume > 0) and a finite score",
    "SELECTION",
    "a stock with no traded bar at the fill cannot trade: if held it stays held (valued at its last close), if selected it is missed",
    "sizing: W = cash + tradable holdings at fill prices; W' = W - cost(trades(W')) by fixed-point iteration; each tradable target gets W' x its weight / the tradable targets' weight sum (W'/k at equal weights); fully invested, never borrows",
    "holdings are adjusted shares (dividends and splits reinvested); returns come from adjusted prices",
    "a symbol whose last bar comes before the end of the data is sold at its last close, with costs",
    "NAV at every close; evaluation starts at t0 = first signal day with NAV_t0 = initial capital and the benchmark rebased to t0",
    "benchmark: index levels from benchmark.csv (a missing day carries the level forward); without them the equal-weighted return of the members traded on t-1 and t",
    "ic: Pearson of score and close_adj(t+h)/close_adj(t) - 1 over the eligible set; a stock with no close at t+h uses its last close before; signal days with t+h past the window are dropped; rank_ic is Spearman with average ranks",
    "rank_mae per signal day: mean |g(score) - g(forward return)| with g(rank) = normal quantile of (rank - 0.5)/n, average ranks for ties; rank_mae is its mean over signal days and exp_neg_rank_mae = exp(-rank_mae) (about 0.324 for a random score)",
    "long_short per signal day: top minus bottom quantile mean forward return (not a traded portfolio: no costs); long_short_ir = mean / std (ddof 1), not annualised",
    "calendar years and months: the daily returns ending in the period compounded, the first period starting at t0; excess = strategy - benchmark of the compounded returns; ir = mean(e)/std(e, ddof 1) x sqrt(N) of the period's daily e; max drawdown with the peak restarting at the period's base close",
    "turnover per rebalance: (buys + sells) / (2 x pre-trade value); mean and annual sum exclude the first build",
    "quantile returns: eligible stocks sorted by score ascending (ties by symbol), bucket = floor(i x q / n), mean forward return per bucket averaged over signal days",
];
