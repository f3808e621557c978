//! The comparison of all variants: `comparison.csv`, `comparison.md`,
//! `break_even.csv` and the `sweep` object of report.html.

use super::outcome::{SweepOutcome, VariantRow};
use super::plan::value_text;
use crate::spec::Spec;
use std::fmt::Write as _;

/// The x position of a variant in the sweep page: the sum of its swept
/// `costs.*_bps` values (commission + slippage per side, say).
fn cost_bps_of(params: &[(String, toml::Value)]) -> f64 {
    params
        .iter()
        .filter(|(k, _)| k.starts_with("costs.") && k.ends_with("_bps"))
        .filter_map(|(_, v)| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .sum()
}

/// The other axes' values as `key=value; …` (`-` without any).
pub(super) fn fixed_text(fixed: &[(String, toml::Value)]) -> String {
    if fixed.is_empty() {
        return "-".to_owned();
    }
    fixed
        .iter()
        .map(|(k, v)| format!("{k}={}", value_text(v)))
        .collect::<Vec<_>>()
        .join("; ")
}

const METRIC_COLUMNS: [&str; 9] = [
    "annual_return",
    "alpha",
    "information_ratio",
    "sharpe",
    "max_drawdown",
    "turnover_annual",
    "cost_total",
    "cost_annual",
    "unfilled",
];

impl VariantRow {
    fn metric_cells(&self) -> Vec<String> {
        vec![
            crate::report::fmt6(self.annual_return),
            crate::report::fmt6(self.alpha),
            crate::report::fmt6(self.information_ratio),
            crate::report::fmt6(self.sharpe),
            crate::report::fmt6(self.max_drawdown),
            crate::report::fmt6(self.turnover_annual),
            format!("{:.2}", self.cost_total),
            crate::report::fmt6(self.cost_annual),
            self.unfilled.to_string(),
        ]
    }
}

/// CSV text of `rows` (the first is the header), quoted by the csv crate
/// where a cell needs it.
pub(super) fn csv_table(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)
            .expect("rows of the header's length, written to memory");
    }
    let bytes = w.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("every cell is UTF-8 text")
}

impl SweepOutcome {
    /// The `sweep` object report.html reads (docs/report.md): one entry per
    /// variant with its cost position (Σ swept `costs.*_bps`), grouped by the
    /// values of the other axes; the break-even is the first one found along
    /// the first axis, shifted by the other swept bps at their first values.
    pub fn sweep_json(&self) -> serde_json::Value {
        let variants: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let group: Vec<String> = r
                    .params
                    .iter()
                    .skip(1)
                    .map(|(k, v)| format!("{k}={}", value_text(v)))
                    .collect();
                let parameters: serde_json::Map<String, serde_json::Value> = r
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(value_text(v))))
                    .collect();
                serde_json::json!({
                    "name": r.name,
                    "group": if group.is_empty() { "all".to_owned() } else { group.join(", ") },
                    "parameters": parameters,
                    "cost_bps": cost_bps_of(&r.params),
                    "annual_return": r.annual_return,
                    "alpha": r.alpha,
                    "information_ratio": r.information_ratio,
                    "sharpe": r.sharpe,
                    "max_drawdown": r.max_drawdown,
                    "turnover_annual": r.turnover_annual,
                    "cost_total": r.cost_total,
                })
            })
            .collect();
        let break_even = self
            .break_even
            .iter()
            .find_map(|b| b.value.map(|v| v + cost_bps_of(&b.fixed)));
        let mut out = serde_json::json!({
            "x_label": "swept costs per side, summed (bps)",
            "variants": variants,
        });
        if let Some(v) = break_even {
            out["break_even_cost_bps"] = serde_json::json!(v);
        }
        out
    }

    /// `comparison.csv`: variant, one column per swept key, then the metrics.
    pub fn comparison_csv(&self) -> String {
        let mut header = vec!["variant".to_owned()];
        header.extend(self.keys());
        header.extend(METRIC_COLUMNS.iter().map(|m| (*m).to_owned()));
        let rows = self.rows.iter().map(|r| {
            let mut cells = vec![r.name.clone()];
            cells.extend(r.params.iter().map(|(_, v)| value_text(v)));
            cells.extend(r.metric_cells());
            cells
        });
        csv_table(std::iter::once(header).chain(rows))
    }

    /// `failures.csv` (written only when a variant failed): variant, params
    /// (`key=value, …`), error — one row per failed variant, in variant order.
    pub fn failures_csv(&self) -> String {
        let header = ["variant", "params", "error"].map(str::to_owned).to_vec();
        let rows = self
            .failures
            .iter()
            .map(|f| vec![f.name.clone(), f.params_text(), f.error.clone()]);
        csv_table(std::iter::once(header).chain(rows))
    }

    /// `break_even.csv`: axis, the other axes' values, the break-even value (empty: none).
    pub fn break_even_csv(&self) -> String {
        let header = [
            "axis",
            "fixed",
            "break_even",
            "alpha_at_min",
            "alpha_at_max",
        ]
        .map(str::to_owned)
        .to_vec();
        let rows = self.break_even.iter().map(|b| {
            vec![
                b.axis.clone(),
                fixed_text(&b.fixed),
                b.value.map(crate::report::fmt6).unwrap_or_default(),
                crate::report::fmt6(b.alpha_first),
                crate::report::fmt6(b.alpha_last),
            ]
        });
        csv_table(std::iter::once(header).chain(rows))
    }

    /// `comparison.md`: the table and the break-even lines.
    pub fn comparison_markdown(&self, spec: &Spec) -> String {
        let mut s = String::new();
        let scorings = if self.scorings <= 1 {
            "one scoring".to_owned()
        } else {
            format!("{} scorings", self.scorings)
        };
        let _ = writeln!(
            s,
            "# Sweep: {} ({} variants, {scorings})\n",
            spec.config.name.as_deref().unwrap_or("run"),
            self.rows.len()
        );
        let keys = self.keys();
        let mut header = vec!["variant".to_owned()];
        header.extend(keys.iter().cloned());
        header.extend(METRIC_COLUMNS.iter().map(|m| (*m).to_owned()));
        let _ = writeln!(s, "| {} |", header.join(" | "));
        let _ = writeln!(
            s,
            "|{}",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for r in &self.rows {
            let mut cells = vec![r.name.clone()];
            cells.extend(r.params.iter().map(|p| value_text(&p.1)));
            cells.extend(r.metric_cells());
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Break-even: where alpha (annualised mean daily active return) crosses zero along an axis, linearly interpolated between neighbouring variants, the other axes held at the values shown.\n"
        );
        if self.break_even.is_empty() {
            let _ = writeln!(s, "(no numeric axis with two or more values)");
        }
        for b in &self.break_even {
            let what = match b.value {
                Some(v) => format!("**{}**", crate::report::fmt6(v)),
                None if b.alpha_first > 0.0 && b.alpha_last > 0.0 => {
                    "none in range (alpha > 0 throughout)".to_owned()
                }
                None => "none in range (alpha ≤ 0 throughout)".to_owned(),
            };
            let _ = writeln!(
                s,
                "- along `{}` ({}): {} (alpha {} → {})",
                b.axis,
                fixed_text(&b.fixed),
                what,
                crate::report::fmt6(b.alpha_first),
                crate::report::fmt6(b.alpha_last)
            );
        }
        if !self.failures.is_empty() {
            let names: Vec<&str> = self.failures.iter().map(|f| f.name.as_str()).collect();
            let _ = writeln!(
                s,
                "\nFailed ({} variants, not in the table; the errors are in failures.csv): {}",
                names.len(),
                names.join(", ")
            );
        }
        s
    }
}
