//! Heat maps (factor attention per retrain window, monthly excess returns).

use super::{draw_err, YFormat, WIDTH};
use crate::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A heat map: one row per name, one column per column label.
#[derive(Debug, Clone)]
pub struct HeatMap<'a> {
    pub title: &'a str,
    pub rows: &'a [String],
    pub cols: &'a [String],
    /// `values[row][col]`; a non-finite value is a blank cell.
    pub values: &'a [Vec<f64>],
    pub x_desc: &'a str,
    /// Diverging colours (negative orange, positive blue, white at 0)
    /// instead of one blue scale of |value|.
    pub diverging: bool,
    /// How a cell's value is written (percent with one decimal, or a number with two).
    pub format: YFormat,
}

/// A heat map of non-negative weights: darker = larger (the attention charts).
pub fn heat_map(
    title: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<f64>],
) -> Result<String> {
    draw_heat_map(&HeatMap {
        title,
        rows,
        cols,
        values,
        x_desc: "retrain window (start)",
        diverging: false,
        format: YFormat::Number,
    })
}

fn cell_color(v: f64, max: f64, diverging: bool) -> (RGBColor, bool) {
    let t = if max > 0.0 && v.is_finite() {
        (v.abs() / max).min(1.0)
    } else {
        0.0
    };
    let mix = |from: (f64, f64, f64), to: (u8, u8, u8)| {
        RGBColor(
            (from.0 - t * (from.0 - f64::from(to.0))) as u8,
            (from.1 - t * (from.1 - f64::from(to.1))) as u8,
            (from.2 - t * (from.2 - f64::from(to.2))) as u8,
        )
    };
    let color = match (diverging, v < 0.0) {
        (false, _) => mix((247.0, 251.0, 255.0), (8, 48, 107)),
        (true, false) => mix((255.0, 255.0, 255.0), (0, 90, 160)),
        (true, true) => mix((255.0, 255.0, 255.0), (200, 80, 0)),
    };
    (color, t > 0.55)
}

/// Draws a heat map and returns its SVG text. Rows read top to bottom in
/// the order given; cells show their value when they are wide enough.
pub fn draw_heat_map(m: &HeatMap<'_>) -> Result<String> {
    let title = m.title;
    let mut svg = String::new();
    let row_px = 22u32;
    let (nr, nc) = (m.rows.len().max(1), m.cols.len().max(1));
    let height = (nr as u32 * row_px + 110).max(150);
    let max = m
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let label_px =
        (m.rows.iter().map(|r| r.chars().count()).max().unwrap_or(4) as u32 * 8 + 16).min(260);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(title, e))?;
        // Plain f64 coordinates (cell c spans [c, c + 1]) with the labels
        // drawn by hand: plotters' segmented axes cannot map a single row.
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(40)
            .y_label_area_size(label_px)
            .build_cartesian_2d(0.0..nc as f64, 0.0..nr as f64)
            .map_err(|e| draw_err(title, e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc(m.x_desc)
            .draw()
            .map_err(|e| draw_err(title, e))?;
        let cell_px = (WIDTH - label_px - 30) / nc as u32;
        let show_text = cell_px >= 38;
        for (r, row) in m.values.iter().enumerate() {
            // Row 0 at the top.
            let y = (nr - 1 - r) as f64;
            for (c, &v) in row.iter().enumerate() {
                let x = c as f64;
                let (color, dark) = cell_color(v, max, m.diverging);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        color.filled(),
                    )))
                    .map_err(|e| draw_err(title, e))?;
                if show_text && v.is_finite() {
                    let text = match m.format {
                        YFormat::Percent => format!("{:.1}%", v * 100.0),
                        YFormat::Number => format!("{v:.2}"),
                    };
                    let ink = if dark { WHITE } else { BLACK };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            (x + 0.5, y + 0.5),
                            ("sans-serif", 11)
                                .into_font()
                                .color(&ink)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))
                        .map_err(|e| draw_err(title, e))?;
                }
            }
        }
        let font: TextStyle = ("sans-serif", 12).into_font().into();
        for (r, name) in m.rows.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(0.0, (nr - 1 - r) as f64 + 0.5));
            root.draw(&Text::new(
                name.clone(),
                (px - 6, py),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(|e| draw_err(title, e))?;
        }
        let every = m.cols.len().div_ceil(12).max(1);
        for (c, name) in m.cols.iter().enumerate().filter(|(c, _)| c % every == 0) {
            let (px, py) = chart.backend_coord(&(c as f64 + 0.5, 0.0));
            root.draw(&Text::new(
                name.clone(),
                (px, py + 6),
                font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(|e| draw_err(title, e))?;
        }
        root.present().map_err(|e| draw_err(title, e))?;
    }
    Ok(svg)
}
