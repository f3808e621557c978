//! The Trading section: turnover and cost per rebalance, holdings.

use crate::html::chart::{self, Series, Style, TimeChart, YFormat};
use crate::html::format::{esc, figure, idx_of, line, num, text};
use crate::html::RunView;
use crate::Result;
use serde_json::Value;

pub(in crate::html) fn trading_section(h: &mut String, view: &RunView) -> Result<()> {
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
