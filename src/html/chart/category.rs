//! Bar charts over named categories (the quantile returns).

use super::{
    axis_label, draw_err, drawable, finite_range, Series, Style, YFormat, BLUE, HEIGHT, WIDTH,
};
use crate::Result;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

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
                    .filter(|(_, v)| drawable(**v))
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
