//! The Metrics section: the report's metric tables, after and before costs.

use crate::html::format::{cell, num, report_cell, report_row, Kind};
use crate::html::RunView;
use crate::report::{excess_metrics, series_metrics};
use std::fmt::Write as _;

pub(in crate::html) fn metrics_section(h: &mut String, view: &RunView, gross: &[f64]) {
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
        ("RankMAE", "rank_mae", Kind::Ratio),
        (
            "e<sup>−RankMAE</sup> (random ≈ 0.324)",
            "exp_neg_rank_mae",
            Kind::Ratio,
        ),
        ("top − bottom quantile", "top_minus_bottom", Kind::Percent),
        ("long-short mean", "long_short_mean", Kind::Percent),
        ("long-short std", "long_short_std", Kind::Percent),
        (
            "long-short IR (per signal day)",
            "long_short_ir",
            Kind::Ratio,
        ),
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
