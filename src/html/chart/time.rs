//! Charts over the run's trading days (lines, areas, bars; linear or log y).

use super::{
    axis_label, date_label, decimate, draw_err, drawable, finite_range, title_and_legend, Series,
    Style, TimeChart, WIDTH,
};
use crate::Result;
use plotters::prelude::*;

/// Draws a chart over trading days and returns its SVG text.
pub fn time_chart(c: &TimeChart<'_>) -> Result<String> {
    let mut svg = String::new();
    let n = c.dates.len().max(2);
    let has_bars = c.series.iter().any(|s| s.style != Style::Line);
    let (y0, y1) = finite_range(&c.series, has_bars && !c.log_y);
    let plot_px = (WIDTH - 90) as usize;
    // Bars are at most 70% of the closest gap between bar dates wide, and at least 1 px.
    let bar_half = bar_half_width(&c.series, n);
    let pad = if has_bars { 0.5 + bar_half } else { 0.5 };
    let x_range = -pad..(n as f64 - 1.0 + pad);
    let series: Vec<Series> = c
        .series
        .iter()
        .map(|s| {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && drawable(p.1) && (!c.log_y || p.1 > 0.0))
                .collect();
            let pts = match s.style {
                Style::Line | Style::Area => decimate(&pts, plot_px),
                Style::Bars | Style::GroupedBars { .. } => pts,
            };
            Series {
                points: pts,
                ..s.clone()
            }
        })
        .collect();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, c.height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(c.title, e))?;
        let body = title_and_legend(&root, c.title, &series)?;
        let mut builder = ChartBuilder::on(&body);
        builder
            .margin(8)
            .margin_right(18)
            .x_label_area_size(34)
            .y_label_area_size(72);
        let x_fmt = |x: &f64| date_label(c.dates, *x);
        let span = y1 - y0;
        let y_fmt = |y: &f64| axis_label(*y, span, c.y_format);
        // Bars are half a rebalance interval wide at most, and at least 1 px.
        macro_rules! draw_body {
            ($chart:expr) => {{
                let chart = &mut $chart;
                chart
                    .configure_mesh()
                    .x_labels(9)
                    .y_labels(7)
                    .x_label_formatter(&x_fmt)
                    .y_label_formatter(&y_fmt)
                    .x_desc("date")
                    .y_desc(c.y_desc)
                    .light_line_style(WHITE.mix(0.0))
                    .bold_line_style(BLACK.mix(0.08))
                    .draw()
                    .map_err(|e| draw_err(c.title, e))?;
                for s in &series {
                    let color = s.color;
                    match s.style {
                        Style::Line => {
                            chart
                                .draw_series(LineSeries::new(
                                    s.points.iter().copied(),
                                    color.stroke_width(2),
                                ))
                                .map_err(|e| draw_err(c.title, e))?;
                        }
                        Style::Area => {
                            chart
                                .draw_series(
                                    AreaSeries::new(s.points.iter().copied(), 0.0, color.mix(0.25))
                                        .border_style(color.stroke_width(1)),
                                )
                                .map_err(|e| draw_err(c.title, e))?;
                        }
                        Style::Bars | Style::GroupedBars { .. } => {
                            let (slot, of) = match s.style {
                                Style::GroupedBars { slot, of } => {
                                    (f64::from(slot), f64::from(of.max(1)))
                                }
                                _ => (0.0, 1.0),
                            };
                            let w = 2.0 * bar_half / of;
                            chart
                                .draw_series(s.points.iter().map(|&(x, y)| {
                                    let left = x - bar_half + slot * w;
                                    Rectangle::new(
                                        [(left, 0.0), (left + w, y)],
                                        color.mix(0.8).filled(),
                                    )
                                }))
                                .map_err(|e| draw_err(c.title, e))?;
                        }
                    }
                }
            }};
        }
        if let Some((lo, hi)) = log_range(&series, y0, y1).filter(|_| c.log_y) {
            let mut chart = builder
                .build_cartesian_2d(x_range, (lo..hi).log_scale())
                .map_err(|e| draw_err(c.title, e))?;
            draw_body!(chart);
        } else {
            let mut chart = builder
                .build_cartesian_2d(x_range, y0..y1)
                .map_err(|e| draw_err(c.title, e))?;
            draw_body!(chart);
        }
        root.present().map_err(|e| draw_err(c.title, e))?;
    }
    Ok(svg)
}

/// The y range of a log axis over the (positive, finite) points: from 95% of
/// the smallest point or the linear range's bottom, whichever is higher, to
/// the linear range's top. `None` when that range is unusable — no positive
/// point, a bound of 0 or infinity, or an infinite top/bottom ratio — and the
/// chart then falls back to a linear axis: plotters' log key points loop
/// forever on such bounds (a run whose NAV never moved hung drawing its NAV
/// chart).
fn log_range(series: &[Series], y0: f64, y1: f64) -> Option<(f64, f64)> {
    let min = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    let (lo, hi) = (y0.max(min * 0.95), y1);
    let lo = if lo > 0.0 { lo } else { hi / 10.0 };
    (lo >= f64::MIN_POSITIVE && hi.is_finite() && hi > lo && (hi / lo).is_finite())
        .then_some((lo, hi))
}

fn bar_half_width(series: &[Series], n_days: usize) -> f64 {
    let mut xs: Vec<f64> = series
        .iter()
        .filter(|s| matches!(s.style, Style::Bars | Style::GroupedBars { .. }))
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let min_gap = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let one_px = n_days as f64 / (WIDTH - 90) as f64;
    let half = if min_gap.is_finite() {
        min_gap * 0.35
    } else {
        n_days as f64 * 0.01
    };
    half.max(one_px * 0.6)
}
