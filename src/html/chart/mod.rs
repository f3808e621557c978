//! Charts as inline SVG, drawn with plotters' SVG backend.
//!
//! Design notes: plotters is built without its font features. Its SVG
//! backend writes text as `<text>` elements that the browser lays out, and
//! the crate's built-in text-size estimate places the labels, so nothing
//! reads system fonts and rendering works headless in CI. The time axis is
//! the trading-day index (no weekend gaps), labelled with dates. Long daily
//! series are decimated to the plot's pixel columns keeping each column's
//! minimum and maximum (see [`decimate`]), so a 13-year run draws the same
//! picture from a fraction of the points.
//!
//! One file per kind of chart: [`time_chart`] (over trading days),
//! [`category_bars`], [`heat_map`] and [`xy_chart`]; this file holds what
//! they share (series, colours, ranges, axis labels, decimation).

mod category;
mod heat_map;
mod time;
mod xy;

pub use category::category_bars;
pub use heat_map::{draw_heat_map, heat_map, HeatMap};
pub use time::time_chart;
pub use xy::xy_chart;

use crate::{Error, Result};
use plotters::prelude::*;

/// Chart width in SVG pixels (the page scales it to its column).
pub const WIDTH: u32 = 920;
/// Height of a time-series chart.
pub const HEIGHT: u32 = 300;

/// Colours, colour-blind safe (Okabe–Ito).
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const RED: RGBColor = RGBColor(213, 94, 0);
pub const GREY: RGBColor = RGBColor(110, 110, 110);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const NAVY: RGBColor = RGBColor(0, 52, 102);

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    Line,
    /// A line filled down to zero.
    Area,
    /// One bar per point (per-rebalance values).
    Bars,
    /// Bar `slot` of `of` bars sharing each x (side by side).
    GroupedBars {
        slot: u8,
        of: u8,
    },
}

/// One series of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub style: Style,
    /// `(x, y)`; non-finite points are left out.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: &str, color: RGBColor, style: Style, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.to_owned(),
            color,
            style,
            points,
        }
    }
}

/// How y values are written on the axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YFormat {
    Percent,
    Number,
}

/// A chart over the run's trading days.
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    pub title: &'a str,
    pub y_desc: &'a str,
    /// The x axis: x = index into these dates.
    pub dates: &'a [String],
    pub series: Vec<Series>,
    pub y_format: YFormat,
    pub log_y: bool,
    pub height: u32,
}

fn draw_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Run(format!("drawing the chart `{what}`: {e}"))
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Left edge of the plot area: the chart margin plus the y label area.
const PLOT_LEFT: i32 = 80;

/// Draws `title` at the top of `root` and, when there are two or more named
/// series, their legend in rows under it — outside the plot area, so it
/// never covers data. Returns the area left for the chart.
fn title_and_legend<'a>(root: &Area<'a>, title: &str, series: &[Series]) -> Result<Area<'a>> {
    let body = root
        .titled(title, ("sans-serif", 17))
        .map_err(|e| draw_err(title, e))?;
    let items: Vec<&Series> = series.iter().filter(|s| !s.name.is_empty()).collect();
    if items.len() < 2 {
        return Ok(body);
    }
    let font: TextStyle = ("sans-serif", 13).into_font().into();
    let right = WIDTH as i32 - 20;
    let mut rows: Vec<Vec<(i32, &Series)>> = vec![Vec::new()];
    let mut x = PLOT_LEFT;
    for s in items {
        let (w, _) = body
            .estimate_text_size(&s.name, &font)
            .map_err(|e| draw_err(title, e))?;
        let width = 22 + w as i32 + 18;
        if x + width > right && x > PLOT_LEFT {
            rows.push(Vec::new());
            x = PLOT_LEFT;
        }
        rows.last_mut().expect("one row").push((x, s));
        x += width;
    }
    let row_px = 18;
    let (strip, body) = body.split_vertically(row_px * rows.len() as u32 + 6);
    for (r, row) in rows.iter().enumerate() {
        let y = 4 + row_px as i32 * r as i32 + row_px as i32 / 2;
        for &(x, s) in row {
            strip
                .draw(&Rectangle::new(
                    [(x, y - 4), (x + 16, y + 4)],
                    s.color.filled(),
                ))
                .map_err(|e| draw_err(title, e))?;
            strip
                .draw(&Text::new(
                    s.name.clone(),
                    (x + 22, y),
                    font.clone().pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Center,
                    )),
                ))
                .map_err(|e| draw_err(title, e))?;
        }
    }
    Ok(body)
}

/// Keeps, of every one of `buckets` equal x-ranges, the points with the
/// smallest and largest y (in x order), plus the first and last points: the
/// line drawn through them covers the same pixels as the full series when
/// `buckets` is the plot's width in pixels.
///
/// ```
/// use alphasim::html::chart::decimate;
/// let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, if i == 37 { 9.0 } else { 0.0 })).collect();
/// let d = decimate(&pts, 10);
/// assert!(d.len() <= 2 * 10 + 2);
/// assert!(d.contains(&(37.0, 9.0)), "the spike survives");
/// assert_eq!((d[0], *d.last().unwrap()), (pts[0], pts[99]));
/// ```
pub fn decimate(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let n = points.len();
    if buckets == 0 || n <= 2 * buckets + 2 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(2 * buckets + 2);
    out.push(points[0]);
    for b in 0..buckets {
        let (lo, hi) = (b * n / buckets, (b + 1) * n / buckets);
        if lo >= hi {
            continue;
        }
        let chunk = &points[lo..hi];
        let (mut imin, mut imax) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[imin].1 {
                imin = i;
            }
            if p.1 > chunk[imax].1 {
                imax = i;
            }
        }
        let (a, c) = (imin.min(imax), imin.max(imax));
        for i in [a, c] {
            let idx = lo + i;
            if idx != 0 && idx != n - 1 && out.last() != Some(&points[idx]) {
                out.push(points[idx]);
            }
        }
    }
    out.push(points[n - 1]);
    out
}

/// The largest magnitude a chart draws: axes are clamped to ±this, and a
/// value beyond it (or NaN) is left out like a missing one — past it
/// plotters' pixel arithmetic overflows.
const DRAWABLE_LIMIT: f64 = 1e300;

/// Whether a chart draws `v` (finite and within ±[`DRAWABLE_LIMIT`]).
fn drawable(v: f64) -> bool {
    v.abs() <= DRAWABLE_LIMIT
}

fn finite_range(series: &[Series], include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in series {
        for &(_, y) in &s.points {
            if y.is_finite() {
                lo = lo.min(y);
                hi = hi.max(y);
            }
        }
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    // plotters' linear key points loop forever over an infinite span or one
    // narrower than the values' float resolution: clamp, and pad a range
    // that is degenerate relative to its magnitude.
    let (lo, hi) = (lo.max(-DRAWABLE_LIMIT), hi.min(DRAWABLE_LIMIT));
    if hi - lo < 1e-12 || hi - lo <= 1e-9 * lo.abs().max(hi.abs()) {
        let pad = if lo.abs() > 0.0 { lo.abs() * 0.05 } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// Axis text for a value, with enough decimals for the axis span.
pub fn axis_label(y: f64, span: f64, format: YFormat) -> String {
    let (v, suffix, span) = match format {
        YFormat::Percent => (y * 100.0, "%", span * 100.0),
        YFormat::Number => (y, "", span),
    };
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else if span >= 0.2 {
        2
    } else {
        3
    };
    let v = if v.abs() < 0.5 * 10f64.powi(-decimals) {
        0.0
    } else {
        v
    };
    if format == YFormat::Number && v.abs() >= 1e4 {
        return format!("{v:.3e}");
    }
    format!("{v:.*}{suffix}", decimals as usize)
}

fn date_label(dates: &[String], x: f64) -> String {
    let i = x.round();
    if i < 0.0 || i as usize >= dates.len() {
        return String::new();
    }
    let d = &dates[i as usize];
    // Over long spans the day of the month is noise.
    if dates.len() > 400 && d.len() >= 7 {
        d[..7].to_owned()
    } else {
        d.clone()
    }
}

/// The running mean of `points`' y values, at their x values.
pub fn running_mean(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sum = 0.0;
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            sum += y;
            (x, sum / (i + 1) as f64)
        })
        .collect()
}

/// The series of an IC chart: IC and RankIC as grouped bars, and their
/// running means as lines (the report's Signal section and the factor
/// tear sheet).
pub fn ic_series(ic: Vec<(f64, f64)>, rank: Vec<(f64, f64)>) -> Vec<Series> {
    let (ic_mean, rank_mean) = (running_mean(&ic), running_mean(&rank));
    vec![
        Series::new("IC", BLUE, Style::GroupedBars { slot: 0, of: 2 }, ic),
        Series::new(
            "RankIC",
            ORANGE,
            Style::GroupedBars { slot: 1, of: 2 },
            rank,
        ),
        Series::new("IC running mean", NAVY, Style::Line, ic_mean),
        Series::new("RankIC running mean", RED, Style::Line, rank_mean),
    ]
}

#[cfg(test)]
mod tests;
