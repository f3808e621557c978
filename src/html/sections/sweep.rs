//! The Sweep section: variants compared against cost, read from
//! `report.json` → `sweep`.

use crate::html::chart::{self, Series, Style, YFormat};
use crate::html::format::{cell, esc, figure, num, text, Kind};
use crate::Result;
use serde_json::Value;
use std::fmt::Write as _;

/// A sweep comparison, read from `report.json` → `sweep`.
#[derive(Debug, Clone)]
pub(in crate::html) struct SweepView {
    x_label: String,
    variants: Vec<Value>,
    break_even: f64,
}

pub(in crate::html) fn sweep(r: &Value) -> Option<SweepView> {
    let v = r.get("sweep")?;
    let variants = v.get("variants")?.as_array()?.clone();
    if variants.is_empty() {
        return None;
    }
    Some(SweepView {
        x_label: v
            .get("x_label")
            .and_then(Value::as_str)
            .unwrap_or("cost per side (bps)")
            .to_owned(),
        variants,
        break_even: num(v, "/break_even_cost_bps"),
    })
}

pub(in crate::html) fn sweep_section(h: &mut String, s: &SweepView) -> Result<()> {
    h.push_str("<section id=\"sweep\">\n<h2>Sweep: variants against cost</h2>\n");
    // One line per `group` (e.g. a slippage level), x = cost_bps.
    let mut groups: Vec<String> = Vec::new();
    for v in &s.variants {
        let g = text(v, "/group");
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let colors = [
        chart::BLUE,
        chart::ORANGE,
        chart::GREEN,
        chart::RED,
        chart::PURPLE,
        chart::SKY,
        chart::GREY,
    ];
    let series_of = |metric: &str| -> Vec<Series> {
        groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let pts = s
                    .variants
                    .iter()
                    .filter(|v| &text(v, "/group") == g)
                    .map(|v| (num(v, "/cost_bps"), num(v, &format!("/{metric}"))))
                    .collect();
                Series::new(
                    if g.is_empty() { "variants" } else { g },
                    colors[k % colors.len()],
                    Style::Line,
                    pts,
                )
            })
            .collect()
    };
    let svg = chart::xy_chart(
        "Alpha against cost",
        &s.x_label,
        "alpha (annualised)",
        &series_of("alpha"),
        YFormat::Percent,
    )?;
    figure(
        h,
        "chart-sweep-alpha",
        &svg,
        "Annualised arithmetic active return of each variant.",
    );
    let svg = chart::xy_chart(
        "Information ratio against cost",
        &s.x_label,
        "information ratio",
        &series_of("information_ratio"),
        YFormat::Number,
    )?;
    figure(
        h,
        "chart-sweep-ir",
        &svg,
        "Information ratio of each variant.",
    );
    if s.break_even.is_finite() {
        let _ = writeln!(h, "<p>Break-even cost (alpha reaches zero): <b data-metric=\"sweep.break_even_cost_bps\" data-value=\"{0}\">{0:.1} bps</b></p>", s.break_even);
    }
    h.push_str("<table id=\"sweep-variants\"><thead><tr><th>variant</th><th class=\"num\">cost (bps)</th><th class=\"num\">annual return</th><th class=\"num\">alpha</th><th class=\"num\">IR</th><th class=\"num\">Sharpe</th><th class=\"num\">max drawdown</th><th class=\"num\">turnover / year</th><th class=\"num\">total cost</th></tr></thead><tbody>\n");
    for (k, v) in s.variants.iter().enumerate() {
        let _ = write!(h, "<tr><td>{}</td>", esc(&text(v, "/name")));
        for (key, kind) in [
            ("cost_bps", Kind::Amount),
            ("annual_return", Kind::Percent),
            ("alpha", Kind::Percent),
            ("information_ratio", Kind::Ratio),
            ("sharpe", Kind::Ratio),
            ("max_drawdown", Kind::Percent),
            ("turnover_annual", Kind::Percent),
            ("cost_total", Kind::Amount),
        ] {
            cell(
                h,
                &format!("sweep.variants.{k}.{key}"),
                num(v, &format!("/{key}")),
                kind,
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n</section>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_sweep_absent_or_empty_renders_nothing() {
        assert!(sweep(&serde_json::json!({})).is_none());
        assert!(sweep(&serde_json::json!({"sweep": {"variants": []}})).is_none());
    }
}
