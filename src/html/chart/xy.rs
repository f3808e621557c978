//! Line charts over a numeric x axis (sweep variants against cost).

use super::{
    axis_label, draw_err, drawable, finite_range, title_and_legend, Series, YFormat, HEIGHT, WIDTH,
};
use crate::Result;
use plotters::prelude::*;

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
            .filter(|x| drawable(*x))
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 1.0, hi + 1.0)
        } else if hi - lo <= 1e-9 * lo.abs().max(hi.abs()) {
            // a span below the values' float resolution would loop plotters'
            // key points: pad it to a visible one
            let pad = lo.abs() * 0.05;
            (lo - pad, hi + pad)
        } else {
            let pad = (hi - lo) * 0.04;
            (lo - pad, hi + pad)
        }
    };
    let (y0, y1) = finite_range(series, true);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(title, e))?;
        let body = title_and_legend(&root, title, series)?;
        let mut chart = ChartBuilder::on(&body)
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
                .filter(|p| drawable(p.0) && drawable(p.1))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(|e| draw_err(title, e))?;
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| draw_err(title, e))?;
        }
        root.present().map_err(|e| draw_err(title, e))?;
    }
    Ok(svg)
}
