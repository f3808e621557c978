//! The Calendar section: returns by calendar year (table) and the monthly
//! excess return (heat map), read from `report.json` → `calendar`.

use crate::html::chart::{self, HeatMap, YFormat};
use crate::html::format::{cell, esc, figure, num, text, Kind};
use crate::Result;
use serde_json::Value;
use std::fmt::Write as _;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn rows<'a>(r: &'a Value, key: &str) -> &'a [Value] {
    r.pointer(&format!("/calendar/{key}"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The monthly excess returns as a years × 12 grid (NaN where a month has
/// no daily return): the row labels and the values.
pub(in crate::html) fn month_grid(months: &[Value]) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut years: Vec<String> = Vec::new();
    let mut grid: Vec<Vec<f64>> = Vec::new();
    for m in months {
        let period = text(m, "/period");
        let Some((y, mo)) = period.split_once('-') else {
            continue;
        };
        let Ok(mo) = mo.parse::<usize>() else {
            continue;
        };
        if !(1..=12).contains(&mo) {
            continue;
        }
        if years.last().map(String::as_str) != Some(y) {
            years.push(y.to_owned());
            grid.push(vec![f64::NAN; 12]);
        }
        grid.last_mut().expect("a row per year")[mo - 1] = num(m, "/excess");
    }
    (years, grid)
}

/// Whether `report.json` has calendar rows (a run with daily returns).
pub(in crate::html) fn has_calendar(r: &Value) -> bool {
    !rows(r, "years").is_empty()
}

/// Renders nothing when `report.json` has no calendar rows.
pub(in crate::html) fn calendar_section(h: &mut String, r: &Value) -> Result<()> {
    let years = rows(r, "years");
    if years.is_empty() {
        return Ok(());
    }
    h.push_str("<section id=\"calendar\">\n<h2>Calendar returns</h2>\n");
    h.push_str("<table id=\"calendar-years\" class=\"calendar\"><thead><tr><th>year</th><th>from</th><th>to</th><th class=\"num\">days</th><th class=\"num\">strategy</th><th class=\"num\">benchmark</th><th class=\"num\">excess</th><th class=\"num\">IR</th><th class=\"num\">max drawdown</th><th class=\"num\">excess max drawdown</th></tr></thead><tbody>\n");
    for (k, y) in years.iter().enumerate() {
        let partial = y.get("partial").and_then(Value::as_bool) == Some(true);
        let _ = write!(
            h,
            "<tr><th>{}{}</th><td class=\"date\">{}</td><td class=\"date\">{}</td>",
            esc(&text(y, "/period")),
            if partial { " (partial)" } else { "" },
            esc(&text(y, "/from")),
            esc(&text(y, "/to"))
        );
        for (key, kind) in [
            ("days", Kind::Count),
            ("strategy", Kind::Percent),
            ("benchmark", Kind::Percent),
            ("excess", Kind::Percent),
            ("information_ratio", Kind::Ratio),
            ("max_drawdown", Kind::Percent),
            ("excess_max_drawdown", Kind::Percent),
        ] {
            cell(
                h,
                &format!("calendar.years.{k}.{key}"),
                num(y, &format!("/{key}")),
                kind,
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n<p class=\"note\">A year's return compounds the daily returns that end in it, from the previous year's last close (the first year from t0): NAV<sub>last close</sub> / NAV<sub>base</sub> − 1, not annualised. Excess = strategy − benchmark of those returns; IR = mean / std (ddof 1) × √N of the year's daily excess returns; drawdowns restart at the year's base close. <i>partial</i>: the year starts at t0 or the window ends before its last week.</p>\n");
    let (labels, grid) = month_grid(rows(r, "months"));
    if !labels.is_empty() {
        let cols: Vec<String> = MONTHS.iter().map(|m| (*m).to_owned()).collect();
        let svg = chart::draw_heat_map(&HeatMap {
            title: "Monthly excess return (strategy − benchmark)",
            rows: &labels,
            cols: &cols,
            values: &grid,
            x_desc: "month",
            diverging: true,
            format: YFormat::Percent,
        })?;
        figure(h, "chart-monthly-excess", &svg, "Each month's compounded strategy return minus the benchmark's (blue above, orange below the benchmark; blank: no daily return in that month). Values are in report.json → calendar.months.");
    }
    h.push_str("</section>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_no_calendar_rows_draw_nothing() {
        let r = serde_json::json!({"calendar": {"years": [], "months": []}});
        assert!(!has_calendar(&r));
        let mut h = String::new();
        calendar_section(&mut h, &r).unwrap();
        assert!(h.is_empty());
    }

    #[test]
    fn test_month_grid_places_months_by_number() {
        let months = serde_json::json!([
            {"period": "2020-11", "excess": 0.01},
            {"period": "2020-12", "excess": -0.02},
            {"period": "2021-02", "excess": 0.03}
        ]);
        let (labels, grid) = month_grid(months.as_array().unwrap());
        assert_eq!(labels, ["2020", "2021"]);
        assert_eq!((grid[0][10], grid[0][11], grid[1][1]), (0.01, -0.02, 0.03));
        assert!(grid[0][0].is_nan() && grid[1][0].is_nan() && grid[1][2].is_nan());
    }
}
