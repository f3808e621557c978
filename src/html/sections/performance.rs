//! The Performance section: NAV against the benchmark (linear and log),
//! cumulative excess return and drawdowns.

use crate::html::chart::{self, Series, Style, TimeChart, YFormat};
use crate::html::format::{figure, line};
use crate::html::RunView;
use crate::Result;
use std::fmt::Write as _;

pub(in crate::html) fn performance_section(
    h: &mut String,
    view: &RunView,
    gross: &[f64],
) -> Result<()> {
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

fn drawdown(nav: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    nav.iter()
        .map(|&v| {
            peak = peak.max(v);
            v / peak - 1.0
        })
        .collect()
}
