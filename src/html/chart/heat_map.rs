//! Heat maps (factor attention per retrain window).

use super::{draw_err, WIDTH};
use crate::Result;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

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
