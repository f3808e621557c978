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

use crate::{Error, Result};
use plotters::coord::ranged1d::SegmentValue;
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
    let (lo, hi) = (lo.max(-1e300), hi.min(1e300));
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
                // Beyond ±1e300 (where finite_range clamps the axis) a point
                // would overflow plotters' pixel arithmetic: left out like NaN.
                .filter(|p| p.0.is_finite() && p.1.abs() <= 1e300 && (!c.log_y || p.1 > 0.0))
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
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(c.title, ("sans-serif", 17))
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
                    let legend = move |(x, y): (i32, i32)| {
                        Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.filled())
                    };
                    match s.style {
                        Style::Line => {
                            chart
                                .draw_series(LineSeries::new(
                                    s.points.iter().copied(),
                                    color.stroke_width(2),
                                ))
                                .map_err(|e| draw_err(c.title, e))?
                                .label(s.name.as_str())
                                .legend(legend);
                        }
                        Style::Area => {
                            chart
                                .draw_series(
                                    AreaSeries::new(s.points.iter().copied(), 0.0, color.mix(0.25))
                                        .border_style(color.stroke_width(1)),
                                )
                                .map_err(|e| draw_err(c.title, e))?
                                .label(s.name.as_str())
                                .legend(legend);
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
                                .map_err(|e| draw_err(c.title, e))?
                                .label(s.name.as_str())
                                .legend(legend);
                        }
                    }
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font(("sans-serif", 13))
                    .draw()
                    .map_err(|e| draw_err(c.title, e))?;
            }};
        }
        if let Some((lo, hi)) = log_range(&series).filter(|_| c.log_y) {
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

/// The y range of a log axis: from the positive finite points only (the
/// series are already filtered to those), padded by 5% either way; `None` when
/// there is no such point or the range is unusable, and the chart then falls
/// back to a linear axis. (plotters' log key points loop forever when a bound
/// is 0 or infinite: a run whose NAV never has a positive finite value hung
/// drawing its NAV chart.)
fn log_range(series: &[Series]) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(_, y) in series.iter().flat_map(|s| &s.points) {
        if y.is_finite() && y > 0.0 {
            lo = lo.min(y);
            hi = hi.max(y);
        }
    }
    let (lo, hi) = (lo * 0.95, hi * 1.05);
    // An infinite hi/lo ratio (1e-300 .. 1e300) makes the key points' decade
    // count overflow, and plotters then loops for ~1e17 iterations.
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

/// A bar chart over named categories (quantile returns), values as percent.
pub fn category_bars(
    title: &str,
    y_desc: &str,
    x_desc: &str,
    categories: &[String],
    values: &[f64],
    colors: &[RGBColor],
) -> Result<String> {
    let mut svg = String::new();
    let pts: Vec<(f64, f64)> = values.iter().map(|v| (0.0, *v)).collect();
    let (y0, y1) = finite_range(
        &[Series::new("", BLUE, Style::Bars, pts)],
        true, // bars start at zero
    );
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(title, e))?;
        let n = categories.len() as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(34)
            .y_label_area_size(72)
            .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), y0..y1)
            .map_err(|e| draw_err(title, e))?;
        let span = y1 - y0;
        let x_fmt = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => categories.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let y_fmt = |y: &f64| axis_label(*y, span, YFormat::Percent);
        chart
            .configure_mesh()
            .x_labels(categories.len().max(1))
            .y_labels(7)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .disable_x_mesh()
            .draw()
            .map_err(|e| draw_err(title, e))?;
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(i, &v)| {
                        let i = i as u32;
                        let color = colors[i as usize % colors.len()];
                        let mut r = Rectangle::new(
                            [
                                (SegmentValue::Exact(i), v),
                                (SegmentValue::Exact(i + 1), 0.0),
                            ],
                            color.filled(),
                        );
                        r.set_margin(0, 0, 6, 6);
                        r
                    }),
            )
            .map_err(|e| draw_err(title, e))?;
        root.present().map_err(|e| draw_err(title, e))?;
    }
    Ok(svg)
}

/// A heat map: one row per name, one column per window; darker = larger.
/// Cells show their value when they are wide enough to hold it.
pub fn heat_map(
    title: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<f64>],
) -> Result<String> {
    let mut svg = String::new();
    let row_px = 22u32;
    let height = (rows.len() as u32 * row_px + 110).max(160);
    let max = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let label_px = rows.iter().map(|r| r.len()).max().unwrap_or(4) as u32 * 8 + 16;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(title, e))?;
        let (nr, nc) = (rows.len() as u32, cols.len() as u32);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(40)
            .y_label_area_size(label_px.min(260))
            .build_cartesian_2d(
                (0..nc.saturating_sub(1)).into_segmented(),
                (0..nr.saturating_sub(1)).into_segmented(),
            )
            .map_err(|e| draw_err(title, e))?;
        let every = (cols.len() / 10).max(1);
        let x_fmt = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if (*i as usize) % every == 0 => {
                cols.get(*i as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        // Row 0 at the top: the first factor reads first.
        let y_fmt = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if (*i as usize) < rows.len() => {
                rows[rows.len() - 1 - *i as usize].clone()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_labels(cols.len().max(1))
            .y_labels(rows.len().max(1))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("retrain window (start)")
            .disable_mesh()
            .draw()
            .map_err(|e| draw_err(title, e))?;
        let cell_px = (WIDTH - label_px.min(260) - 30) / nc.max(1);
        let show_text = cell_px >= 38;
        for (r, row) in values.iter().enumerate() {
            let y = nr - 1 - r as u32;
            for (col, &v) in row.iter().enumerate() {
                let col = col as u32;
                let t = if max > 0.0 && v.is_finite() {
                    v.abs() / max
                } else {
                    0.0
                };
                let color = RGBColor(
                    (247.0 - t * (247.0 - 8.0)) as u8,
                    (251.0 - t * (251.0 - 48.0)) as u8,
                    (255.0 - t * (255.0 - 107.0)) as u8,
                );
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(col), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(col + 1), SegmentValue::Exact(y + 1)),
                        ],
                        color.filled(),
                    )))
                    .map_err(|e| draw_err(title, e))?;
                if show_text && v.is_finite() {
                    let ink = if t > 0.55 { WHITE } else { BLACK };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{v:.2}"),
                            (SegmentValue::CenterOf(col), SegmentValue::CenterOf(y)),
                            ("sans-serif", 11).into_font().color(&ink).pos(
                                plotters::style::text_anchor::Pos::new(
                                    plotters::style::text_anchor::HPos::Center,
                                    plotters::style::text_anchor::VPos::Center,
                                ),
                            ),
                        )))
                        .map_err(|e| draw_err(title, e))?;
                }
            }
        }
        root.present().map_err(|e| draw_err(title, e))?;
    }
    Ok(svg)
}

/// Points joined by a line over a numeric x axis (sweep variants against cost).
pub fn xy_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    y_format: YFormat,
) -> Result<String> {
    let mut svg = String::new();
    let (x0, x1) = {
        let xs: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite())
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else {
            let pad = (hi - lo) * 0.04;
            (lo - pad, hi + pad)
        }
    };
    let (y0, y1) = finite_range(series, true);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(title, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(34)
            .y_label_area_size(72)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| draw_err(title, e))?;
        let span = y1 - y0;
        let y_fmt = |y: &f64| axis_label(*y, span, y_format);
        let xspan = x1 - x0;
        let x_fmt = |x: &f64| axis_label(*x, xspan, YFormat::Number);
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(7)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .draw()
            .map_err(|e| draw_err(title, e))?;
        chart
            .draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], BLACK.mix(0.4)))
            .map_err(|e| draw_err(title, e))?;
        for s in series {
            let color = s.color;
            let mut pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(|e| draw_err(title, e))?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.filled())
                });
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| draw_err(title, e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(|e| draw_err(title, e))?;
        root.present().map_err(|e| draw_err(title, e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_decimate_keeps_extremes_and_order() {
        // A sine wave of 10,000 points into 50 buckets: the global min and max
        // survive, x stays increasing, and the size is bounded.
        let pts: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, (i as f64 / 300.0).sin()))
            .collect();
        let d = decimate(&pts, 50);
        assert!(d.len() <= 102, "{}", d.len());
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
        let max = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        let min = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert!(d.iter().any(|p| p.1 == max) && d.iter().any(|p| p.1 == min));
        // Short series pass through untouched.
        assert_eq!(decimate(&pts[..50], 50), pts[..50].to_vec());
    }

    #[test]
    fn test_axis_label_decimals_follow_the_span() {
        assert_eq!(axis_label(0.1234, 0.5, YFormat::Percent), "12%");
        assert_eq!(axis_label(0.1234, 0.05, YFormat::Percent), "12.3%");
        assert_eq!(axis_label(1.2345, 1.0, YFormat::Number), "1.23");
        assert_eq!(axis_label(-0.00001, 1.0, YFormat::Number), "0.00");
    }

    /// Every chart shape that used to hang (or might) draws: a NAV that is
    /// never positive (the log axis had a bound of 0 or infinity), empty,
    /// single-point, constant, non-finite and extreme (1e12, 1e300) series,
    /// a span below the values' float resolution.
    #[test]
    fn test_time_chart_copes_with_degenerate_series() {
        let dates: Vec<String> = (1..=3).map(|d| format!("2024-01-{d:02}")).collect();
        let shapes: Vec<Vec<(f64, f64)>> = vec![
            vec![],
            vec![(0.0, 1.0)],
            vec![(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)],
            vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)],
            vec![(0.0, -1.0), (1.0, -2.0)],
            vec![
                (0.0, f64::NAN),
                (1.0, f64::INFINITY),
                (2.0, f64::NEG_INFINITY),
            ],
            vec![(0.0, 1e12), (1.0, 1e12), (2.0, 1e12)],
            vec![(0.0, 1e12), (1.0, 1e12 + 1e-4)],
            vec![(0.0, 1e-300), (1.0, 1e300)],
            vec![(0.0, -1e300), (1.0, 1e300)],
            vec![(0.0, f64::MAX), (1.0, -f64::MAX)],
            vec![(0.0, 5e-324), (1.0, 5e-324)],
        ];
        for pts in shapes {
            for log_y in [false, true] {
                for style in [Style::Line, Style::Area, Style::Bars] {
                    let svg = time_chart(&TimeChart {
                        title: "NAV",
                        y_desc: "value",
                        dates: &dates,
                        series: vec![Series::new("s", BLUE, style, pts.clone())],
                        y_format: YFormat::Number,
                        log_y,
                        height: HEIGHT,
                    })
                    .unwrap();
                    assert!(svg.starts_with("<svg"), "{pts:?} log {log_y}");
                }
            }
        }
    }

    #[test]
    fn test_time_chart_writes_svg_with_text_and_no_external_references() {
        let dates: Vec<String> = (1..=28).map(|d| format!("2020-02-{d:02}")).collect();
        let pts: Vec<(f64, f64)> = (0..28)
            .map(|i| (i as f64, 1.0 + i as f64 / 100.0))
            .collect();
        let svg = time_chart(&TimeChart {
            title: "NAV",
            y_desc: "value",
            dates: &dates,
            series: vec![Series::new("Strategy", BLUE, Style::Line, pts)],
            y_format: YFormat::Number,
            log_y: true,
            height: HEIGHT,
        })
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("\nStrategy\n</text>") && svg.contains("\nNAV\n</text>"));
        assert!(svg.contains("2020-02-01"), "date labels");
        assert!(!svg.contains("href") && !svg.contains("url("));
    }
}
