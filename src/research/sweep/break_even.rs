//! Break-even: along each numeric axis, for each combination of the other
//! axes, the value where alpha crosses zero (linear between the neighbours).

use super::outcome::{BreakEven, VariantRow};
use super::plan::{numeric, Params, SweepPlan};

/// Break-even values along every numeric axis (see the module docs).
pub fn break_even(plan: &SweepPlan, rows: &[VariantRow]) -> Vec<BreakEven> {
    let mut out = Vec::new();
    for (ai, axis) in plan.axes.iter().enumerate() {
        if axis.values.len() < 2 || !axis.values.iter().all(|v| numeric(v).is_some()) {
            continue;
        }
        // Group rows by the other axes' values (in first-seen order).
        let mut groups: Vec<(Params, Vec<(f64, f64)>)> = Vec::new();
        for r in rows {
            let fixed: Vec<(String, toml::Value)> = r
                .params
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != ai)
                .map(|(_, p)| p.clone())
                .collect();
            let x = numeric(&r.params[ai].1).expect("checked numeric");
            match groups.iter_mut().find(|g| g.0 == fixed) {
                Some(g) => g.1.push((x, r.alpha)),
                None => groups.push((fixed, vec![(x, r.alpha)])),
            }
        }
        for (fixed, mut pts) in groups {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut value = None;
            for w in pts.windows(2) {
                let ((x0, a0), (x1, a1)) = (w[0], w[1]);
                if a0 == 0.0 {
                    value = Some(x0);
                    break;
                }
                if a0.signum() != a1.signum() && a1.is_finite() && a0.is_finite() {
                    value = Some(if a1 == 0.0 {
                        x1
                    } else {
                        x0 + (0.0 - a0) * (x1 - x0) / (a1 - a0)
                    });
                    break;
                }
            }
            if value.is_none() && pts.last().is_some_and(|p| p.1 == 0.0) {
                value = pts.last().map(|p| p.0);
            }
            out.push(BreakEven {
                axis: axis.key.clone(),
                fixed,
                value,
                alpha_first: pts.first().map_or(f64::NAN, |p| p.1),
                alpha_last: pts.last().map_or(f64::NAN, |p| p.1),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::research::sweep::plan::Axis;

    fn row(params: Vec<(&str, f64)>, alpha: f64) -> VariantRow {
        VariantRow {
            name: String::new(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), toml::Value::Float(v)))
                .collect(),
            model: "ew".into(),
            index: "all".into(),
            t0: None,
            end: String::new(),
            rebalances: 0,
            ic_mean: 0.0,
            icir: 0.0,
            rank_ic_mean: 0.0,
            rank_icir: 0.0,
            annual_return: 0.0,
            alpha,
            information_ratio: 0.0,
            sharpe: 0.0,
            max_drawdown: 0.0,
            turnover_annual: 0.0,
            cost_total: 0.0,
            cost_annual: 0.0,
            unfilled: 0,
        }
    }

    #[test]
    fn test_break_even_interpolates_between_the_sign_change() {
        // alpha 0.03, 0.01, -0.01 at commission 0, 10, 20: crosses at 15.
        let plan = SweepPlan {
            axes: vec![Axis {
                key: "costs.commission_bps".into(),
                values: vec![0.0.into(), 10.0.into(), 20.0.into()],
            }],
        };
        let rows = vec![
            row(vec![("costs.commission_bps", 0.0)], 0.03),
            row(vec![("costs.commission_bps", 10.0)], 0.01),
            row(vec![("costs.commission_bps", 20.0)], -0.01),
        ];
        let b = break_even(&plan, &rows);
        assert_eq!(b.len(), 1);
        assert!((b[0].value.unwrap() - 15.0).abs() < 1e-12);
    }
}
