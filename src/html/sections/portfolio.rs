//! The Portfolio section (when report.json has a `portfolio` object): ex-ante
//! tracking error per rebalance next to the realised one of the period it
//! was held, active style exposures and the largest active industry weight
//! per rebalance, and for the optimiser what bound and what was relaxed.

use crate::html::chart::{self, Series, Style, TimeChart, YFormat};
use crate::html::format::{esc, figure, idx_of, num, text};
use crate::html::RunView;
use crate::Result;
use serde_json::Value;

const STYLE_COLOURS: [plotters::style::RGBColor; 6] = [
    chart::BLUE,
    chart::ORANGE,
    chart::GREEN,
    chart::RED,
    chart::PURPLE,
    chart::SKY,
];

pub(in crate::html) fn has_portfolio(r: &Value) -> bool {
    r.pointer("/portfolio/rebalances")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

pub(in crate::html) fn portfolio_section(h: &mut String, view: &RunView) -> Result<()> {
    let r = &view.report;
    let Some(rows) = r.pointer("/portfolio/rebalances").and_then(Value::as_array) else {
        return Ok(());
    };
    let at = idx_of(&view.dates);
    let mut ex_ante = Vec::new();
    let mut realised = Vec::new();
    let mut industry_max = Vec::new();
    let mut style_names: Vec<String> = Vec::new();
    let mut styles: Vec<Vec<(f64, f64)>> = Vec::new();
    for x in rows {
        let Some(&i) = x
            .get("date")
            .and_then(Value::as_str)
            .and_then(|d| at.get(d))
        else {
            continue;
        };
        let i = i as f64;
        ex_ante.push((i, num(x, "/ex_ante_tracking_error")));
        realised.push((i, num(x, "/realised_tracking_error")));
        let ind = x
            .get("industries")
            .and_then(Value::as_object)
            .map_or(f64::NAN, |m| {
                m.values()
                    .filter_map(Value::as_f64)
                    .map(f64::abs)
                    .fold(0.0, f64::max)
            });
        industry_max.push((i, ind));
        if let Some(m) = x.get("styles").and_then(Value::as_object) {
            for (name, v) in m {
                let k = match style_names.iter().position(|n| n == name) {
                    Some(k) => k,
                    None => {
                        style_names.push(name.clone());
                        styles.push(Vec::new());
                        style_names.len() - 1
                    }
                };
                styles[k].push((i, v.as_f64().unwrap_or(f64::NAN)));
            }
        }
    }
    h.push_str("<section id=\"portfolio\">\n<h2>Portfolio construction</h2>\n");
    h.push_str(&format!(
        "<p>Method <code>{}</code>; benchmark weights: {}. Mean ex-ante tracking error {:.2}%, mean realised {:.2}% (per holding period, annualised).</p>\n",
        esc(&text(r, "/portfolio/method")),
        esc(&text(r, "/portfolio/benchmark_weights")),
        100.0 * num(r, "/portfolio/mean_ex_ante_tracking_error"),
        100.0 * num(r, "/portfolio/mean_realised_tracking_error"),
    ));
    let svg = chart::time_chart(&TimeChart {
        title: "Tracking error: ex-ante vs realised",
        y_desc: "annualised",
        dates: &view.dates,
        series: vec![
            Series::new("ex-ante", chart::BLUE, Style::Line, ex_ante),
            Series::new("realised", chart::ORANGE, Style::Line, realised),
        ],
        y_format: YFormat::Percent,
        log_y: false,
        height: 280,
    })?;
    figure(
        h,
        "chart-tracking-error",
        &svg,
        "Ex-ante tracking error of each rebalance's target weights on the point-in-time risk model, and the realised tracking error (std of daily excess returns × √252) of the period until the next rebalance.",
    );
    let mut series: Vec<Series> = style_names
        .iter()
        .zip(styles)
        .enumerate()
        .map(|(k, (n, pts))| {
            Series::new(n, STYLE_COLOURS[k % STYLE_COLOURS.len()], Style::Line, pts)
        })
        .collect();
    series.push(Series::new(
        "max |industry|",
        chart::GREY,
        Style::Line,
        industry_max,
    ));
    let svg = chart::time_chart(&TimeChart {
        title: "Active exposures per rebalance",
        y_desc: "style: z units; industry: weight",
        dates: &view.dates,
        series,
        y_format: YFormat::Number,
        log_y: false,
        height: 300,
    })?;
    figure(
        h,
        "chart-active-exposures",
        &svg,
        "Active exposure (portfolio − benchmark) of the target weights to each style, in cross-sectional z units, and the largest absolute active industry weight.",
    );
    let optimised: Vec<&Value> = rows.iter().filter_map(|x| x.get("optimiser")).collect();
    if !optimised.is_empty() {
        let mut bound: std::collections::BTreeMap<String, usize> = Default::default();
        let mut relaxed: std::collections::BTreeMap<String, usize> = Default::default();
        let mut statuses: std::collections::BTreeMap<String, usize> = Default::default();
        for o in &optimised {
            let kinds: std::collections::BTreeSet<String> = o
                .get("binding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|b| {
                    let key = b.as_str().unwrap_or("");
                    key.split(['×', ':']).next().unwrap_or(key).to_owned()
                })
                .collect();
            for key in kinds {
                *bound.entry(key).or_default() += 1;
            }
            for b in o
                .get("relaxed")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                *relaxed
                    .entry(b.as_str().unwrap_or("").to_owned())
                    .or_default() += 1;
            }
            *statuses.entry(text(o, "/status")).or_default() += 1;
        }
        let list = |m: &std::collections::BTreeMap<String, usize>| {
            if m.is_empty() {
                "none".to_owned()
            } else {
                m.iter()
                    .map(|(k, v)| format!("{} ({v})", esc(k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        h.push_str(&format!(
            "<table class=\"optimiser\"><tr><th>rebalances</th><td>{}</td></tr><tr><th>solver status</th><td>{}</td></tr><tr><th>limits binding (rebalances)</th><td>{}</td></tr><tr><th>limits relaxed (rebalances)</th><td>{}</td></tr></table>\n",
            optimised.len(),
            list(&statuses),
            list(&bound),
            list(&relaxed),
        ));
        h.push_str("<p class=\"note\">Per-rebalance details (status, iterations, every binding limit, weight checks) are in report.json under <code>portfolio.rebalances[].optimiser</code>.</p>\n");
    }
    h.push_str("</section>\n");
    Ok(())
}
