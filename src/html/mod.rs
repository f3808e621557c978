//! The self-contained HTML report (`report.html`): the run spec and
//! conventions, the metrics tables (after and before costs), and charts as
//! inline SVG drawn with plotters (see [`chart`]).
//!
//! The page is one file with no script, no external font, image or style
//! sheet (its Content-Security-Policy forbids loading any, so a regression
//! shows as a console error rather than a silent network request): it opens
//! from disk, works with JavaScript off, and prints (a print
//! style sheet keeps figures whole and drops the on-screen controls). The
//! NAV chart's linear/log switch is two radio buttons and CSS.
//!
//! A report is drawn from a [`RunView`]: `report.json` as a JSON value plus
//! the daily and per-signal series. [`RunView::from_run`] builds it from a
//! finished run in memory (what `backtest` does, no re-parsing);
//! [`RunView::from_dir`] (in [`crate::run_folder`], which also writes the
//! page into the folder) reads it back from a run folder's files alone
//! (`alphasim report <run-dir>`, no market needed). Both go through the same
//! JSON value, so the two pages are the same bytes.
//!
//! Design notes:
//! - "Before costs" is derived, not re-simulated: the gross NAV adds each
//!   day's costs back to that day's return, `g_t = g_{t-1} × (NAV_t + cost_t)
//!   / NAV_{t-1}`, `g_t0 = NAV_t0`. It holds the positions of the costed run
//!   (slightly smaller than a zero-cost run would hold, since sizing pays
//!   costs out of the position) and ignores the costs' own return between the
//!   fill and the close; both are second-order (docs/report.md).
//! - Optional parts render only when `report.json` carries their data:
//!   `interpretation` (factor attention of deep models) and `sweep` (variants
//!   compared against cost). Their JSON shapes are documented in
//!   docs/report.md; an absent or empty part draws nothing.

pub mod chart;

use crate::report::{excess_metrics, series_metrics, RunResult};
use crate::Result;
use chart::{Series, Style, TimeChart, YFormat};
use serde_json::Value;
use std::fmt::Write as _;

/// One signal day of `ic.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct IcPoint {
    pub date: String,
    pub ic: f64,
    pub rank_ic: f64,
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
                    quantiles: x.quantile_returns.clone(),
                })
                .collect(),
        }
    }

    fn annualisation(&self) -> u32 {
        self.report
            .pointer("/conventions/annualisation")
            .and_then(Value::as_u64)
            .unwrap_or(252) as u32
    }

    fn risk_free_rate(&self) -> f64 {
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

fn drawdown(nav: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    nav.iter()
        .map(|&v| {
            peak = peak.max(v);
            v / peak - 1.0
        })
        .collect()
}

fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN)
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    }
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a metric is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A fraction shown as a percentage with two decimals.
    Percent,
    /// A ratio with three decimals.
    Ratio,
    /// An amount with two decimals.
    Amount,
    /// A whole number.
    Count,
}

fn display(x: f64, kind: Kind) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let s = match kind {
        Kind::Percent => format!("{:.2}%", x * 100.0),
        Kind::Ratio => format!("{x:.3}"),
        Kind::Amount => format!("{x:.2}"),
        Kind::Count => format!("{x:.0}"),
    };
    if s.starts_with("-0.") && s.trim_start_matches(['-', '0', '.', '%']).is_empty() {
        s[1..].to_owned()
    } else {
        s
    }
}

/// A metric cell: the shown text plus `data-metric` (the report.json path,
/// or `derived.*` for numbers computed here) and `data-value` (full precision).
/// A one-column row: `label` and the cell of `metrics.<group>.<key>`.
fn report_row(out: &mut String, r: &Value, group: &str, label: &str, key: &str, kind: Kind) {
    let _ = write!(out, "<tr><th>{label}</th>");
    report_cell(out, r, group, key, kind);
    out.push_str("</tr>\n");
}

/// The cell of report.json's `metrics.<group>.<key>`.
fn report_cell(out: &mut String, r: &Value, group: &str, key: &str, kind: Kind) {
    cell(
        out,
        &format!("metrics.{group}.{key}"),
        num(r, &format!("/metrics/{group}/{key}")),
        kind,
    );
}

fn cell(out: &mut String, key: &str, x: f64, kind: Kind) {
    let value = if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}</td>",
        esc(key),
        value,
        display(x, kind)
    );
}

const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d8dde3; --band: #f5f7f9; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header p { margin: 2px 0; color: var(--muted); }
nav.toc { margin: 12px 0 8px; font-size: 13px; }
nav.toc a { color: var(--accent); margin-right: 12px; text-decoration: none; }
section { margin-top: 28px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--ink); padding-bottom: 3px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { border-bottom: 1.5px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--band); }
td.key { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; white-space: nowrap; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
figure { margin: 10px 0 18px; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
.note { font-size: 12.5px; color: var(--muted); }
.scale input { position: absolute; opacity: 0; }
.scale label { display: inline-block; padding: 2px 10px; border: 1px solid var(--rule); font-size: 12px; cursor: pointer; margin: 0 -1px 6px 0; }
.scale input:checked + label { background: var(--ink); color: #fff; border-color: var(--ink); }
.scale .svg-log { display: none; }
.scale #nav-log:checked ~ .svg-linear { display: none; }
.scale #nav-log:checked ~ .svg-log { display: block; }
ul.rules { padding-left: 18px; font-size: 12.5px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav.toc, .scale label { display: none; }
  section { break-before: auto; }
  h2 { break-after: avoid; }
  tbody tr:nth-child(even) { background: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Renders the page.
pub fn render(view: &RunView) -> Result<String> {
    let r = &view.report;
    let name = text(r, "/run/name");
    let title = if name.is_empty() {
        "alphasim report".to_owned()
    } else {
        format!("alphasim report: {name}")
    };
    let mut h = String::with_capacity(256 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"alphasim {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        esc(&text(r, "/run/alphasim_version")),
        esc(&title),
        STYLE
    );
    let _ = write!(
        h,
        "<header id=\"overview\">\n<h1>{}</h1>\n<p>model <b>{}</b> · universe <b>{}</b> · benchmark <b>{}</b></p>\n\
         <p>window {} .. {} ({} trading days, {} rebalances) · spec <code>{}</code></p>\n</header>\n",
        esc(&title),
        esc(&text(r, "/run/model")),
        esc(&text(r, "/conventions/universe")),
        esc(&text(r, "/conventions/benchmark")),
        esc(&text(r, "/window/t0").max(text(r, "/window/start"))),
        esc(&text(r, "/window/end")),
        view.dates.len(),
        r.pointer("/rebalances").and_then(Value::as_array).map_or(0, Vec::len),
        esc(&text(r, "/run/spec")),
    );
    let interpretation = interpretation(r);
    let sweep = sweep(r);
    h.push_str("<nav class=\"toc\"><a href=\"#metrics\">Metrics</a><a href=\"#performance\">Performance</a><a href=\"#signal\">Signal</a><a href=\"#trading\">Trading</a>");
    if interpretation.is_some() {
        h.push_str("<a href=\"#interpretation\">Interpretation</a>");
    }
    if sweep.is_some() {
        h.push_str("<a href=\"#sweep\">Sweep</a>");
    }
    h.push_str("<a href=\"#spec\">Spec and conventions</a></nav>\n");

    let gross = gross_nav(&view.nav, &view.cost);
    metrics_section(&mut h, view, &gross);
    performance_section(&mut h, view, &gross)?;
    signal_section(&mut h, view)?;
    trading_section(&mut h, view)?;
    if let Some(i) = interpretation {
        interpretation_section(&mut h, &i)?;
    }
    if let Some(s) = sweep {
        sweep_section(&mut h, &s)?;
    }
    spec_section(&mut h, r);
    h.push_str("</main>\n</body>\n</html>\n");
    Ok(h)
}

fn metrics_section(h: &mut String, view: &RunView, gross: &[f64]) {
    let r = &view.report;
    let n_ann = view.annualisation();
    let gp = series_metrics(gross, view.risk_free_rate(), n_ann);
    let bm = series_metrics(&view.benchmark, view.risk_free_rate(), n_ann);
    let ge = excess_metrics(gross, &view.benchmark, &gp, &bm, n_ann);
    let gross_v = serde_json::json!({ "portfolio": gp, "excess": ge });
    h.push_str("<section id=\"metrics\">\n<h2>Metrics</h2>\n");
    h.push_str("<div class=\"grid\"><div>\n<h3>Returns</h3>\n<table id=\"metrics-returns\"><thead><tr><th></th><th class=\"num\">strategy</th><th class=\"num\">before costs</th><th class=\"num\">benchmark</th></tr></thead><tbody>\n");
    for (label, key, kind) in [
        ("total return", "total_return", Kind::Percent),
        ("annual return", "annual_return", Kind::Percent),
        ("volatility", "volatility", Kind::Percent),
        ("Sharpe", "sharpe", Kind::Ratio),
        ("max drawdown", "max_drawdown", Kind::Percent),
    ] {
        let _ = write!(h, "<tr><th>{label}</th>");
        report_cell(h, r, "portfolio", key, kind);
        cell(
            h,
            &format!("derived.gross.portfolio.{key}"),
            num(&gross_v, &format!("/portfolio/{key}")),
            kind,
        );
        report_cell(h, r, "benchmark", key, kind);
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n</div><div>\n<h3>Active return (excess over the benchmark)</h3>\n<table id=\"metrics-excess\"><thead><tr><th></th><th class=\"num\">after costs</th><th class=\"num\">before costs</th></tr></thead><tbody>\n");
    for (label, key, kind) in [
        ("alpha (mean × N)", "alpha", Kind::Percent),
        ("excess, geometric", "excess_geometric", Kind::Percent),
        ("tracking error", "tracking_error", Kind::Percent),
        ("information ratio", "information_ratio", Kind::Ratio),
        (
            "max drawdown of NAV/benchmark",
            "max_drawdown",
            Kind::Percent,
        ),
        ("hit rate (days)", "hit_rate", Kind::Percent),
    ] {
        let _ = write!(h, "<tr><th>{label}</th>");
        report_cell(h, r, "excess", key, kind);
        cell(
            h,
            &format!("derived.gross.excess.{key}"),
            num(&gross_v, &format!("/excess/{key}")),
            kind,
        );
        h.push_str("</tr>\n");
    }
    h.push_str(
        "</tbody></table>\n</div><div>\n<h3>Signal</h3>\n<table id=\"metrics-signal\"><tbody>\n",
    );
    let _ = writeln!(
        h,
        "<tr><th>signal days with an IC</th><td class=\"num\" data-metric=\"metrics.ic.signals\" data-value=\"{0}\">{0}</td></tr>",
        num(r, "/metrics/ic/signals")
    );
    for (label, key, kind) in [
        ("IC mean", "ic_mean", Kind::Ratio),
        ("IC std", "ic_std", Kind::Ratio),
        ("ICIR", "icir", Kind::Ratio),
        ("RankIC mean", "rank_ic_mean", Kind::Ratio),
        ("RankIC std", "rank_ic_std", Kind::Ratio),
        ("RankICIR", "rank_icir", Kind::Ratio),
        ("top − bottom quantile", "top_minus_bottom", Kind::Percent),
    ] {
        report_row(h, r, "ic", label, key, kind);
    }
    h.push_str(
        "</tbody></table>\n</div><div>\n<h3>Trading</h3>\n<table id=\"metrics-trading\"><tbody>\n",
    );
    for (label, key, kind) in [
        ("trades", "trades", Kind::Count),
        ("turnover per rebalance", "turnover_mean", Kind::Percent),
        ("turnover per year", "turnover_annual", Kind::Percent),
        ("total cost", "cost_total", Kind::Amount),
        ("cost drag per year", "cost_annual", Kind::Percent),
        ("mean holdings", "mean_holdings", Kind::Amount),
        ("missed targets", "missed_targets", Kind::Count),
    ] {
        report_row(h, r, "trading", label, key, kind);
    }
    // Nested trading metrics: cost by component, unfilled orders by reason.
    for (group, label, kind) in [
        ("cost_breakdown", "cost", Kind::Amount),
        ("unfilled", "unfilled", Kind::Count),
    ] {
        if let Some(obj) = r
            .pointer(&format!("/metrics/trading/{group}"))
            .and_then(|v| v.as_object())
        {
            for key in obj.keys() {
                let _ = write!(h, "<tr><th>{label}: {}</th>", key.replace('_', " "));
                cell(
                    h,
                    &format!("metrics.trading.{group}.{key}"),
                    num(r, &format!("/metrics/trading/{group}/{key}")),
                    kind,
                );
                h.push_str("</tr>\n");
            }
        }
    }
    let _ = write!(
        h,
        "</tbody></table>\n</div></div>\n<p class=\"note\">Annualisation N = {n_ann}. \
         <b>Before costs</b> adds each day's costs back to that day's return and compounds: \
         g<sub>t</sub> = g<sub>t−1</sub> × (NAV<sub>t</sub> + cost<sub>t</sub>) / NAV<sub>t−1</sub>; \
         it keeps the costed run's positions (not a re-simulation). Turnover excludes the first build.</p>\n</section>\n"
    );
}

fn idx_of(dates: &[String]) -> std::collections::HashMap<&str, usize> {
    dates
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect()
}

fn figure(h: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = write!(
        h,
        "<figure id=\"{id}\" class=\"chart\">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>\n"
    );
}

fn line(name: &str, color: plotters::style::RGBColor, ys: &[f64]) -> Series {
    Series::new(
        name,
        color,
        Style::Line,
        ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
    )
}

fn performance_section(h: &mut String, view: &RunView, gross: &[f64]) -> Result<()> {
    let dates = &view.dates;
    let base = view.nav.first().copied().unwrap_or(1.0);
    let norm = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| x / base).collect() };
    let nav_series = vec![
        line("strategy", chart::BLUE, &norm(&view.nav)),
        line("strategy before costs", chart::SKY, &norm(gross)),
        line("benchmark", chart::GREY, &norm(&view.benchmark)),
    ];
    let nav_chart = |log_y: bool| {
        chart::time_chart(&TimeChart {
            title: if log_y {
                "NAV vs benchmark (log scale)"
            } else {
                "NAV vs benchmark"
            },
            y_desc: "value of 1 invested at t0",
            dates,
            series: nav_series.clone(),
            y_format: YFormat::Number,
            log_y,
            height: 340,
        })
    };
    h.push_str("<section id=\"performance\">\n<h2>Performance</h2>\n");
    let _ = write!(
        h,
        "<figure id=\"chart-nav\" class=\"chart scale\">\n\
         <input type=\"radio\" name=\"nav-scale\" id=\"nav-linear\" checked><label for=\"nav-linear\">linear</label>\
         <input type=\"radio\" name=\"nav-scale\" id=\"nav-log\"><label for=\"nav-log\">log</label>\n\
         <div class=\"svg-linear\">{}</div>\n<div class=\"svg-log\">{}</div>\n\
         <figcaption>Value of 1 invested at t0 (the first signal day), after costs, before costs, and the benchmark rebased to t0.</figcaption>\n</figure>\n",
        nav_chart(false)?,
        nav_chart(true)?
    );
    let excess: Vec<f64> = view
        .nav
        .iter()
        .zip(&view.benchmark)
        .map(|(n, b)| n / b - 1.0)
        .collect();
    let excess_gross: Vec<f64> = gross
        .iter()
        .zip(&view.benchmark)
        .map(|(n, b)| n / b - 1.0)
        .collect();
    let svg = chart::time_chart(&TimeChart {
        title: "Cumulative excess return",
        y_desc: "NAV / benchmark − 1",
        dates,
        series: vec![
            Series {
                style: Style::Area,
                ..line("after costs", chart::ORANGE, &excess)
            },
            line("before costs", chart::PURPLE, &excess_gross),
        ],
        y_format: YFormat::Percent,
        log_y: false,
        height: chart::HEIGHT,
    })?;
    figure(h, "chart-excess", &svg, "Relative wealth NAV<sub>t</sub>/benchmark<sub>t</sub> − 1 (1 at t0), after and before costs.");
    let relative: Vec<f64> = view
        .nav
        .iter()
        .zip(&view.benchmark)
        .map(|(n, b)| n / b)
        .collect();
    let svg = chart::time_chart(&TimeChart {
        title: "Drawdown",
        y_desc: "below running peak",
        dates,
        series: vec![
            Series {
                style: Style::Area,
                ..line("strategy", chart::BLUE, &drawdown(&view.nav))
            },
            line(
                "excess (NAV / benchmark)",
                chart::ORANGE,
                &drawdown(&relative),
            ),
            line("benchmark", chart::GREY, &drawdown(&view.benchmark)),
        ],
        y_format: YFormat::Percent,
        log_y: false,
        height: chart::HEIGHT,
    })?;
    figure(h, "chart-drawdown", &svg, "Value / running maximum − 1 of the strategy, of the excess curve NAV/benchmark and of the benchmark.");
    h.push_str("</section>\n");
    Ok(())
}

fn running_mean(xs: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    xs.iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            sum += y;
            (x, sum / (i + 1) as f64)
        })
        .collect()
}

fn signal_section(h: &mut String, view: &RunView) -> Result<()> {
    let at = idx_of(&view.dates);
    let r = &view.report;
    h.push_str("<section id=\"signal\">\n<h2>Signal</h2>\n");
    let horizon = text(r, "/conventions/ic_horizon");
    let pick = |f: fn(&IcPoint) -> f64| -> Vec<(f64, f64)> {
        view.ic
            .iter()
            .filter_map(|p| Some((*at.get(p.date.as_str())? as f64, f(p))))
            .filter(|p| p.1.is_finite())
            .collect()
    };
    let ic = pick(|p| p.ic);
    let rank = pick(|p| p.rank_ic);
    if ic.is_empty() && rank.is_empty() {
        let _ = writeln!(h, "<p class=\"note\" id=\"no-ic\">No signal day has an IC: every signal day's {horizon}-day forward window runs past the data.</p>");
    } else {
        let svg = chart::time_chart(&TimeChart {
            title: "IC and RankIC per signal day",
            y_desc: "correlation",
            dates: &view.dates,
            series: vec![
                Series::new(
                    "IC",
                    chart::BLUE,
                    Style::GroupedBars { slot: 0, of: 2 },
                    ic.clone(),
                ),
                Series::new(
                    "RankIC",
                    chart::ORANGE,
                    Style::GroupedBars { slot: 1, of: 2 },
                    rank.clone(),
                ),
                Series::new(
                    "IC running mean",
                    chart::NAVY,
                    Style::Line,
                    running_mean(&ic),
                ),
                Series::new(
                    "RankIC running mean",
                    chart::RED,
                    Style::Line,
                    running_mean(&rank),
                ),
            ],
            y_format: YFormat::Number,
            log_y: false,
            height: chart::HEIGHT,
        })?;
        figure(h, "chart-ic", &svg, &format!("Pearson IC of the score with the {horizon}-day forward return over the eligible stocks, per signal day (blue bars), the RankIC (Spearman, orange bars), and their running means since t0."));
    }
    let q = view.ic.iter().map(|p| p.quantiles.len()).max().unwrap_or(0);
    if q >= 2 {
        let means: Vec<f64> = (0..q)
            .map(|b| {
                let v: Vec<f64> = view
                    .ic
                    .iter()
                    .filter_map(|p| p.quantiles.get(b).copied())
                    .filter(|x| x.is_finite())
                    .collect();
                crate::metrics::mean(&v)
            })
            .collect();
        let cats: Vec<String> = (1..=q).map(|k| format!("Q{k}")).collect();
        let mut colors = vec![chart::GREY; q];
        colors[0] = chart::RED;
        colors[q - 1] = chart::GREEN;
        let svg = chart::category_bars(
            &format!("Mean {horizon}-day forward return by score quantile"),
            "mean forward return",
            "score quantile (Q1 lowest)",
            &cats,
            &means,
            &colors,
        )?;
        figure(h, "chart-quantiles", &svg, "Eligible stocks sorted by score into quantiles on each signal day; bars are the mean forward return per quantile averaged over signal days.");
        let spread: Vec<(f64, f64)> = view
            .ic
            .iter()
            .filter_map(|p| {
                Some((
                    *at.get(p.date.as_str())? as f64,
                    p.quantiles.get(q - 1)? - p.quantiles.first()?,
                ))
            })
            .filter(|p| p.1.is_finite())
            .collect();
        if !spread.is_empty() {
            let svg = chart::time_chart(&TimeChart {
                title: "Long-short spread (top − bottom quantile) per signal day",
                y_desc: "forward return spread",
                dates: &view.dates,
                series: vec![
                    Series::new("Q_top − Q1", chart::GREEN, Style::Bars, spread.clone()),
                    Series::new(
                        "running mean",
                        chart::RED,
                        Style::Line,
                        running_mean(&spread),
                    ),
                ],
                y_format: YFormat::Percent,
                log_y: false,
                height: chart::HEIGHT,
            })?;
            figure(h, "chart-long-short", &svg, &format!("Forward {horizon}-day return of the top quantile minus the bottom quantile, per signal day (not a traded portfolio: no costs)."));
        }
    }
    h.push_str("</section>\n");
    Ok(())
}

fn trading_section(h: &mut String, view: &RunView) -> Result<()> {
    let at = idx_of(&view.dates);
    let r = &view.report;
    let rebalances = r
        .pointer("/rebalances")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut turnover = Vec::new();
    let mut cost = Vec::new();
    for x in &rebalances {
        let Some(fill) = x.get("fill_date").and_then(Value::as_str) else {
            continue;
        };
        let Some(&i) = at.get(fill) else { continue };
        turnover.push((i as f64, num(x, "/turnover")));
        cost.push((i as f64, num(x, "/cost") / view.nav[i]));
    }
    h.push_str("<section id=\"trading\">\n<h2>Trading</h2>\n");
    let svg = chart::time_chart(&TimeChart {
        title: "Turnover per rebalance",
        y_desc: "(buys + sells) / (2 × value)",
        dates: &view.dates,
        series: vec![Series::new("turnover", chart::BLUE, Style::Bars, turnover)],
        y_format: YFormat::Percent,
        log_y: false,
        height: 260,
    })?;
    figure(
        h,
        "chart-turnover",
        &svg,
        "One-way turnover of each rebalance at its fill date (the first bar is the initial build).",
    );
    let svg = chart::time_chart(&TimeChart {
        title: "Cost per rebalance",
        y_desc: "cost / NAV of the fill day",
        dates: &view.dates,
        series: vec![Series::new("cost", chart::RED, Style::Bars, cost)],
        y_format: YFormat::Percent,
        log_y: false,
        height: 260,
    })?;
    figure(
        h,
        "chart-cost",
        &svg,
        &format!(
            "Costs paid at each fill ({}), as a share of that day's closing NAV.",
            esc(&text(r, "/conventions/costs"))
        ),
    );
    match &view.holdings {
        Some(hold) => {
            let svg = chart::time_chart(&TimeChart {
                title: "Holdings",
                y_desc: "number of stocks held",
                dates: &view.dates,
                series: vec![line("holdings", chart::GREEN, hold)],
                y_format: YFormat::Number,
                log_y: false,
                height: 240,
            })?;
            figure(
                h,
                "chart-holdings",
                &svg,
                "Number of stocks held at each close.",
            );
        }
        None => h.push_str("<p class=\"note\">positions.csv is absent: no holdings chart.</p>\n"),
    }
    h.push_str("</section>\n");
    Ok(())
}

/// Factor-attention interpretation, read from `report.json` → `interpretation`.
#[derive(Debug, Clone, PartialEq)]
struct Interpretation {
    factors: Vec<String>,
    groups: Vec<(String, Vec<usize>)>,
    windows: Vec<String>,
    /// Per head: name, factor weights [window][factor], group weights [window][group], R² per window.
    heads: Vec<HeadView>,
}

#[derive(Debug, Clone, PartialEq)]
struct HeadView {
    name: String,
    factor_weights: Vec<Vec<f64>>,
    group_weights: Vec<Vec<f64>>,
    r2: Vec<f64>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn floats(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

fn interpretation(r: &Value) -> Option<Interpretation> {
    let v = r.get("interpretation")?;
    let factors = strings(v.get("factors"));
    let windows_v = v.get("windows")?.as_array()?;
    if factors.is_empty() || windows_v.is_empty() {
        return None;
    }
    let groups: Vec<(String, Vec<usize>)> = v
        .get("groups")
        .and_then(Value::as_array)
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    // The deep models write groups as plain names; a factor belongs to
                    // the group before the first `:` of its name (`all` without one).
                    if let Some(name) = g.as_str() {
                        let members = factors
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| f.split_once(':').map_or("all", |(g, _)| g) == name)
                            .map(|(i, _)| i)
                            .collect();
                        return (name.to_owned(), members);
                    }
                    let members = strings(g.get("factors"));
                    (
                        g.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        members
                            .iter()
                            .filter_map(|m| factors.iter().position(|f| f == m))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let windows: Vec<String> = windows_v
        .iter()
        .map(|w| {
            if w.get("start").is_some() {
                text(w, "/start")
            } else {
                text(w, "/as_of")
            }
        })
        .collect();
    let mut heads: Vec<HeadView> = Vec::new();
    for (wi, w) in windows_v.iter().enumerate() {
        for head in w
            .get("heads")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = match (head.get("name"), head.get("horizon")) {
                (Some(n), _) => n
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| n.to_string()),
                (None, Some(h)) => format!("h{h}"),
                (None, None) => String::new(),
            };
            let k = match heads.iter().position(|x| x.name == name) {
                Some(k) => k,
                None => {
                    heads.push(HeadView {
                        name,
                        factor_weights: vec![vec![f64::NAN; factors.len()]; windows_v.len()],
                        group_weights: vec![vec![f64::NAN; groups.len()]; windows_v.len()],
                        r2: vec![f64::NAN; windows_v.len()],
                    });
                    heads.len() - 1
                }
            };
            let fw = floats(head.get("factor_weights").or(head.get("factor_attention")));
            for (f, x) in fw.iter().enumerate().take(factors.len()) {
                heads[k].factor_weights[wi][f] = *x;
            }
            let gw = floats(head.get("group_weights").or(head.get("group_attention")));
            for (g, (_, members)) in groups.iter().enumerate() {
                heads[k].group_weights[wi][g] = match gw.get(g) {
                    Some(x) => *x,
                    None => members
                        .iter()
                        .map(|&m| fw.get(m).copied().unwrap_or(f64::NAN))
                        .sum(),
                };
            }
            heads[k].r2[wi] = head.get("r2").and_then(Value::as_f64).unwrap_or(f64::NAN);
        }
    }
    if heads.is_empty() {
        return None;
    }
    Some(Interpretation {
        factors,
        groups,
        windows,
        heads,
    })
}

fn transpose(m: &[Vec<f64>], rows: usize) -> Vec<Vec<f64>> {
    (0..rows)
        .map(|r| {
            m.iter()
                .map(|w| w.get(r).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn slug(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "head".into()
    } else {
        s
    }
}

fn interpretation_section(h: &mut String, i: &Interpretation) -> Result<()> {
    h.push_str("<section id=\"interpretation\">\n<h2>Interpretation: factor attention</h2>\n\
        <p class=\"note\">For each retrain window and deep factor (head): the average attention weight the model puts on each input factor and factor group (the DMFM paper's Figure 2), and the R² of the attention estimate f̂ = F·ā against the deep factor.</p>\n");
    for head in &i.heads {
        let id = slug(&head.name);
        if !i.groups.is_empty() {
            let names: Vec<String> = i.groups.iter().map(|g| g.0.clone()).collect();
            let svg = chart::heat_map(
                &format!("Attention by factor group, {}", head.name),
                &names,
                &i.windows,
                &transpose(&head.group_weights, names.len()),
            )?;
            figure(
                h,
                &format!("chart-attention-groups-{id}"),
                &svg,
                "Sum of the group's factor weights per retrain window; darker = more attention.",
            );
        }
        let svg = chart::heat_map(
            &format!("Attention by factor, {}", head.name),
            &i.factors,
            &i.windows,
            &transpose(&head.factor_weights, i.factors.len()),
        )?;
        figure(
            h,
            &format!("chart-attention-factors-{id}"),
            &svg,
            "Mean attention weight per input factor per retrain window; darker = more attention.",
        );
    }
    let series: Vec<Series> = i
        .heads
        .iter()
        .enumerate()
        .map(|(k, head)| {
            let colors = [
                chart::BLUE,
                chart::ORANGE,
                chart::GREEN,
                chart::RED,
                chart::PURPLE,
                chart::SKY,
            ];
            Series::new(
                &head.name,
                colors[k % colors.len()],
                Style::Line,
                head.r2
                    .iter()
                    .enumerate()
                    .map(|(w, &y)| (w as f64, y))
                    .collect(),
            )
        })
        .collect();
    if series
        .iter()
        .any(|s| s.points.iter().any(|p| p.1.is_finite()))
    {
        let svg = chart::time_chart(&TimeChart {
            title: "R² of the attention estimate per retrain window",
            y_desc: "R²",
            dates: &i.windows,
            series,
            y_format: YFormat::Number,
            log_y: false,
            height: 260,
        })?;
        figure(h, "chart-attention-r2", &svg, "How well the attention-weighted combination of input factors explains each deep factor (1 = fully).");
    }
    h.push_str("</section>\n");
    Ok(())
}

/// A sweep comparison, read from `report.json` → `sweep`.
#[derive(Debug, Clone)]
struct SweepView {
    x_label: String,
    variants: Vec<Value>,
    break_even: f64,
}

fn sweep(r: &Value) -> Option<SweepView> {
    let v = r.get("sweep")?;
    let variants = v.get("variants")?.as_array()?.clone();
    if variants.is_empty() {
        return None;
    }
    Some(SweepView {
        x_label: v
            .get("x_label")
            .and_then(Value::as_str)
            .unwrap_or("cost per side (bps)")
            .to_owned(),
        variants,
        break_even: num(v, "/break_even_cost_bps"),
    })
}

fn sweep_section(h: &mut String, s: &SweepView) -> Result<()> {
    h.push_str("<section id=\"sweep\">\n<h2>Sweep: variants against cost</h2>\n");
    // One line per `group` (e.g. a slippage level), x = cost_bps.
    let mut groups: Vec<String> = Vec::new();
    for v in &s.variants {
        let g = text(v, "/group");
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let colors = [
        chart::BLUE,
        chart::ORANGE,
        chart::GREEN,
        chart::RED,
        chart::PURPLE,
        chart::SKY,
        chart::GREY,
    ];
    let series_of = |metric: &str| -> Vec<Series> {
        groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let pts = s
                    .variants
                    .iter()
                    .filter(|v| &text(v, "/group") == g)
                    .map(|v| (num(v, "/cost_bps"), num(v, &format!("/{metric}"))))
                    .collect();
                Series::new(
                    if g.is_empty() { "variants" } else { g },
                    colors[k % colors.len()],
                    Style::Line,
                    pts,
                )
            })
            .collect()
    };
    let svg = chart::xy_chart(
        "Alpha against cost",
        &s.x_label,
        "alpha (annualised)",
        &series_of("alpha"),
        YFormat::Percent,
    )?;
    figure(
        h,
        "chart-sweep-alpha",
        &svg,
        "Annualised arithmetic active return of each variant.",
    );
    let svg = chart::xy_chart(
        "Information ratio against cost",
        &s.x_label,
        "information ratio",
        &series_of("information_ratio"),
        YFormat::Number,
    )?;
    figure(
        h,
        "chart-sweep-ir",
        &svg,
        "Information ratio of each variant.",
    );
    if s.break_even.is_finite() {
        let _ = writeln!(h, "<p>Break-even cost (alpha reaches zero): <b data-metric=\"sweep.break_even_cost_bps\" data-value=\"{0}\">{0:.1} bps</b></p>", s.break_even);
    }
    h.push_str("<table id=\"sweep-variants\"><thead><tr><th>variant</th><th class=\"num\">cost (bps)</th><th class=\"num\">annual return</th><th class=\"num\">alpha</th><th class=\"num\">IR</th><th class=\"num\">Sharpe</th><th class=\"num\">max drawdown</th><th class=\"num\">turnover / year</th><th class=\"num\">total cost</th></tr></thead><tbody>\n");
    for (k, v) in s.variants.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td>", esc(&text(v, "/name")));
        for (key, kind) in [
            ("cost_bps", Kind::Amount),
            ("annual_return", Kind::Percent),
            ("alpha", Kind::Percent),
            ("information_ratio", Kind::Ratio),
            ("sharpe", Kind::Ratio),
            ("max_drawdown", Kind::Percent),
            ("turnover_annual", Kind::Percent),
            ("cost_total", Kind::Amount),
        ] {
            cell(
                h,
                &format!("sweep.variants.{k}.{key}"),
                num(v, &format!("/{key}")),
                kind,
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n</section>\n");
    Ok(())
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        x => out.push((prefix.to_owned(), x.to_string())),
    }
}

fn spec_section(h: &mut String, r: &Value) {
    h.push_str("<section id=\"spec\">\n<h2>Spec and conventions</h2>\n<div class=\"grid\"><div>\n<h3>Run spec</h3>\n<table id=\"spec-table\"><tbody>\n");
    let mut rows = Vec::new();
    flatten("", r.get("spec").unwrap_or(&Value::Null), &mut rows);
    for (k, v) in &rows {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{}</td><td>{}</td></tr>",
            esc(k),
            esc(v)
        );
    }
    h.push_str(
        "</tbody></table>\n</div><div>\n<h3>Conventions</h3>\n<table id=\"conventions\"><tbody>\n",
    );
    if let Some(Value::Object(c)) = r.get("conventions") {
        for (k, v) in c {
            if k == "rules" {
                continue;
            }
            let v = v
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string());
            let _ = writeln!(
                h,
                "<tr><td class=\"key\">{}</td><td>{}</td></tr>",
                esc(k),
                esc(&v)
            );
        }
    }
    h.push_str("</tbody></table>\n<h3>Window</h3>\n<table id=\"window\"><tbody>\n");
    for key in [
        "start",
        "end",
        "t0",
        "trading_days",
        "daily_returns",
        "rebalances",
    ] {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">{key}</td><td>{}</td></tr>",
            esc(&text(r, &format!("/window/{key}")))
        );
    }
    let retrains = strings(r.pointer("/window/retrains"));
    if !retrains.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td class=\"key\">retrains</td><td>{}</td></tr>",
            esc(&retrains.join(", "))
        );
    }
    let _ = writeln!(
        h,
        "<tr><td class=\"key\">trade_hash</td><td><code>{}</code></td></tr>",
        esc(&text(r, "/trade_hash"))
    );
    h.push_str(
        "</tbody></table>\n</div></div>\n<h3>Rules</h3>\n<ul class=\"rules\" id=\"rules\">\n",
    );
    for rule in strings(r.pointer("/conventions/rules")) {
        let _ = writeln!(h, "<li>{}</li>", esc(&rule));
    }
    h.push_str("</ul>\n");
    let warnings = strings(r.get("warnings"));
    if !warnings.is_empty() {
        h.push_str("<h3>Warnings</h3>\n<ul id=\"warnings\">\n");
        for w in warnings {
            let _ = writeln!(h, "<li>{}</li>", esc(&w));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
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

    #[test]
    fn test_display_formats_and_negative_zero() {
        assert_eq!(display(0.12345, Kind::Percent), "12.35%");
        assert_eq!(display(-0.000001, Kind::Percent), "0.00%");
        assert_eq!(display(1.23456, Kind::Ratio), "1.235");
        assert_eq!(display(f64::NAN, Kind::Ratio), "–");
    }

    #[test]
    fn test_esc_escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn test_interpretation_absent_or_empty_renders_nothing() {
        assert!(interpretation(&serde_json::json!({})).is_none());
        assert!(interpretation(
            &serde_json::json!({"interpretation": {"factors": [], "windows": []}})
        )
        .is_none());
        assert!(sweep(&serde_json::json!({"sweep": {"variants": []}})).is_none());
    }

    #[test]
    fn test_interpretation_group_weights_default_to_member_sums() {
        let r = serde_json::json!({"interpretation": {
            "factors": ["a", "b", "c"],
            "groups": [{"name": "ab", "factors": ["a", "b"]}, {"name": "c", "factors": ["c"]}],
            "windows": [{"start": "2020-01-31", "heads": [{"name": "h20", "factor_weights": [0.2, 0.3, 0.5], "r2": 0.9}]}]
        }});
        let i = interpretation(&r).unwrap();
        assert_eq!(i.heads[0].group_weights, vec![vec![0.5, 0.5]]);
        assert_eq!(i.heads[0].r2, vec![0.9]);
        assert_eq!(i.windows, vec!["2020-01-31"]);
    }
}
