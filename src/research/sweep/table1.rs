//! The Table-1 view of a model × index sweep (`table1.md`, `table1.csv`):
//! the paper's layout, a row per model and per index α, ICIR, IR, Sharpe.

use super::outcome::{SweepOutcome, VariantRow};
use super::plan::{value_text, Params, SCORING};
use super::table::{csv_table, fixed_text};
use crate::spec::Spec;
use std::fmt::Write as _;

/// One Table-1 table: the values of the other axes, the models (rows) and
/// indices (column groups) in sweep order, and the variants.
struct Table1Group<'a> {
    other: Params,
    models: Vec<String>,
    indices: Vec<String>,
    rows: Vec<&'a VariantRow>,
}

/// The row label of a variant in Table 1: its `model` axis value (the
/// `[models.<name>]` name), else the model's own name.
fn table1_model(r: &VariantRow) -> String {
    r.param("model").unwrap_or_else(|| r.model.clone())
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "n/a".to_owned()
    }
}

fn fixed3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".to_owned()
    }
}

/// A Table-1 cell over the seeds of one model × index: the value when
/// there is one row or every row has the same value (a model that does not
/// use the seed), else `mean ± sd` (sample sd, ddof 1) over the rows.
fn seed_cell(
    rows: &[&VariantRow],
    metric: fn(&VariantRow) -> f64,
    fmt: fn(f64) -> String,
) -> String {
    let xs: Vec<f64> = rows.iter().map(|r| metric(r)).collect();
    if xs.iter().all(|x| x.to_bits() == xs[0].to_bits()) {
        return fmt(xs[0]);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    format!("{} ± {}", fmt(mean), fmt(sd))
}

impl SweepOutcome {
    /// The rows of a Table-1 view, grouped: for each combination of the
    /// replayed axes (costs, …) in first-seen order, the models (rows, in
    /// sweep order) × indices (column groups, in sweep order).
    fn table1_groups(&self) -> Vec<Table1Group<'_>> {
        let mut groups: Vec<Table1Group<'_>> = Vec::new();
        for r in &self.rows {
            let other: Params = r
                .params
                .iter()
                .filter(|(k, _)| !SCORING.contains(&k.as_str()))
                .cloned()
                .collect();
            let g = match groups.iter().position(|g| g.other == other) {
                Some(g) => g,
                None => {
                    groups.push(Table1Group {
                        other,
                        models: Vec::new(),
                        indices: Vec::new(),
                        rows: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let (model, index) = (table1_model(r), r.index.clone());
            let grp = &mut groups[g];
            if !grp.models.contains(&model) {
                grp.models.push(model);
            }
            if !grp.indices.contains(&index) {
                grp.indices.push(index);
            }
            grp.rows.push(r);
        }
        groups
    }

    /// `table1.md`: the paper's Table 1 layout — one row per model (sweep
    /// order), per index α (annualised mean daily active return against the
    /// index), ICIR (of the per-signal-day Pearson IC), IR and Sharpe; then
    /// each index's test period. No timings (they go to stdout only).
    pub fn table1_markdown(&self, spec: &Spec) -> String {
        let c = &spec.config;
        let mut s = String::new();
        let groups = self.table1_groups();
        let (n_models, n_indices) = groups
            .first()
            .map_or((0, 0), |g| (g.models.len(), g.indices.len()));
        let _ = writeln!(
            s,
            "# Table 1: {} ({n_models} model{} × {n_indices} {})\n",
            c.name.as_deref().unwrap_or("run"),
            if n_models == 1 { "" } else { "s" },
            if n_indices == 1 { "index" } else { "indices" },
        );
        let _ = writeln!(
            s,
            "α = mean(daily portfolio return − benchmark return) × {n}, the benchmark being the index; IR = α / tracking error; Sharpe of the portfolio (rf {rf}); ICIR = mean/std of the {h}-day-forward Pearson IC over the signal days (not annualised). {rebalance} top {frac} equal weight, fill {fill}, costs: {costs}.\n",
            n = c.annualisation,
            rf = c.risk_free_rate,
            h = c.ic_horizon,
            rebalance = match c.schedule.rebalance {
                crate::spec::Rebalance::Monthly => "Monthly",
                crate::spec::Rebalance::Weekly => "Weekly",
                crate::spec::Rebalance::EveryNDays => "Every-n-days",
            },
            frac = c.portfolio.top_fraction,
            fill = match c.execution.fill {
                crate::spec::Fill::NextOpen => "next open",
                crate::spec::Fill::Close => "same close",
            },
            costs = crate::costs::CostModel::describe(&crate::costs::CostSettings::from_config(&c.costs, c.execution.market).build()),
        );
        let mut seeds: Vec<String> = Vec::new();
        for r in &self.rows {
            if let Some(seed) = r.param("seed").filter(|x| !seeds.contains(x)) {
                seeds.push(seed);
            }
        }
        if seeds.len() > 1 {
            let _ = writeln!(
                s,
                "Seeds {}: each cell is mean ± sd (ddof 1) over the seeds; a single value where every seed gave the same (a model that uses no seed).\n",
                seeds.join(", ")
            );
        }
        for Table1Group {
            other,
            models,
            indices,
            rows,
        } in groups
        {
            if !other.is_empty() {
                let _ = writeln!(s, "## {}\n", fixed_text(&other));
            }
            let mut header = vec!["model".to_owned()];
            for ix in &indices {
                for m in ["α", "ICIR", "IR", "Sharpe"] {
                    header.push(format!("{ix} {m}"));
                }
            }
            let _ = writeln!(s, "| {} |", header.join(" | "));
            let _ = writeln!(s, "|---|{}", "---:|".repeat(header.len() - 1));
            for m in &models {
                let mut cells = vec![m.clone()];
                for ix in &indices {
                    let cell: Vec<&VariantRow> = rows
                        .iter()
                        .copied()
                        .filter(|r| table1_model(r) == *m && r.index == *ix)
                        .collect();
                    if cell.is_empty() {
                        cells.extend(std::iter::repeat_n("-".to_owned(), 4));
                        continue;
                    }
                    cells.push(seed_cell(&cell, |r| r.alpha, pct));
                    cells.push(seed_cell(&cell, |r| r.icir, fixed3));
                    cells.push(seed_cell(&cell, |r| r.information_ratio, fixed3));
                    cells.push(seed_cell(&cell, |r| r.sharpe, fixed3));
                }
                let _ = writeln!(s, "| {} |", cells.join(" | "));
            }
            let _ = writeln!(
                s,
                "\nTest period (first signal day t0 .. last day, rebalances):\n"
            );
            for ix in &indices {
                let mut periods: Vec<String> = Vec::new();
                for r in rows.iter().filter(|r| r.index == *ix) {
                    let p = format!(
                        "{} .. {} ({} rebalances)",
                        r.t0.as_deref().unwrap_or("no signal day"),
                        r.end,
                        r.rebalances
                    );
                    if !periods.contains(&p) {
                        periods.push(p);
                    }
                }
                let _ = writeln!(s, "- {ix}: {}", periods.join("; "));
            }
            let _ = writeln!(s);
        }
        s
    }

    /// `table1.csv`: one line per variant with the Table-1 metrics at full precision.
    pub fn table1_csv(&self) -> String {
        let mut header = vec!["variant".to_owned()];
        header.extend(self.keys());
        header.extend(
            [
                "model",
                "index",
                "t0",
                "end",
                "rebalances",
                "alpha",
                "icir",
                "information_ratio",
                "sharpe",
                "ic_mean",
                "rank_ic_mean",
                "rank_icir",
                "annual_return",
                "max_drawdown",
                "turnover_annual",
            ]
            .map(str::to_owned),
        );
        let f = crate::report::fmt6;
        let rows = self.rows.iter().map(|r| {
            let mut cells = vec![r.name.clone()];
            cells.extend(r.params.iter().map(|(_, v)| value_text(v)));
            cells.extend([
                table1_model(r),
                r.index.clone(),
                r.t0.clone().unwrap_or_default(),
                r.end.clone(),
                r.rebalances.to_string(),
                f(r.alpha),
                f(r.icir),
                f(r.information_ratio),
                f(r.sharpe),
                f(r.ic_mean),
                f(r.rank_ic_mean),
                f(r.rank_icir),
                f(r.annual_return),
                f(r.max_drawdown),
                f(r.turnover_annual),
            ]);
            cells
        });
        csv_table(std::iter::once(header).chain(rows))
    }
}
