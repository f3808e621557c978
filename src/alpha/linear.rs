//! `linear`: pooled least squares (ridge optional) of the z-scored (or raw)
//! `horizon`-day forward return on the z-scored factors and an intercept,
//! refitted at every retrain on all labelled samples (training and
//! validation dates of the shared split; the closed form needs no early
//! stopping). The score is the fitted value.
//!
//! β = (XᵀX + λ·N·D)⁻¹ Xᵀy, N = stock-dates, D = identity without the
//! intercept; solved by Cholesky-free Gaussian elimination with partial
//! pivoting in f64 (m + 1 unknowns).

use super::interpret::{round6, Interpretation, WindowInterpretation};
use super::model::AlphaModel;
use super::samples::{cross_section, zscore_columns, SampleOptions, SampleStore};
use crate::context::Context;
use crate::data::SymbolId;
use crate::spec::{LabelNorm, LinearConfig};
use crate::Result;

/// The `linear` model.
#[derive(Debug)]
pub struct LinearModel {
    cfg: LinearConfig,
    columns: Vec<usize>,
    factor_names: Vec<String>,
    store: SampleStore,
    /// Intercept first, then one coefficient per column.
    beta: Option<Vec<f64>>,
    windows: Vec<WindowInterpretation>,
    coefficients: Vec<Vec<f64>>,
}

impl LinearModel {
    pub fn new(cfg: LinearConfig, columns: Vec<usize>, factor_names: Vec<String>) -> Self {
        LinearModel {
            cfg,
            columns,
            factor_names,
            store: SampleStore::default(),
            beta: None,
            windows: Vec::new(),
            coefficients: Vec::new(),
        }
    }
}

/// Solves `a x = b` (a: p × p row-major) by Gaussian elimination with
/// partial pivoting; None when singular.
pub fn solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let p = b.len();
    for c in 0..p {
        let piv = (c..p).max_by(|&i, &j| a[i * p + c].abs().total_cmp(&a[j * p + c].abs()))?;
        if a[piv * p + c].abs() < 1e-12 {
            return None;
        }
        if piv != c {
            for j in 0..p {
                a.swap(c * p + j, piv * p + j);
            }
            b.swap(c, piv);
        }
        for r in c + 1..p {
            let f = a[r * p + c] / a[c * p + c];
            for j in c..p {
                a[r * p + j] -= f * a[c * p + j];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; p];
    for c in (0..p).rev() {
        let s: f64 = (c + 1..p).map(|j| a[c * p + j] * x[j]).sum();
        x[c] = (b[c] - s) / a[c * p + c];
    }
    Some(x)
}

impl AlphaModel for LinearModel {
    fn name(&self) -> &str {
        "linear"
    }

    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        super::samples::is_sample_day(day, self.cfg.samples.every_days)
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.store.observe(ctx, &self.columns, &self.cfg.samples);
        Ok(())
    }

    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        let opt = SampleOptions::from(&self.cfg.samples);
        let split = self.store.split(ctx, &[self.cfg.horizon], &opt);
        let m = self.columns.len();
        let p = m + 1;
        let mut xtx = vec![0.0; p * p];
        let mut xty = vec![0.0; p];
        let mut n_rows = 0usize;
        let dates = split.train.len() + split.valid.len();
        for l in split.train.iter().chain(&split.valid) {
            let s = &self.store.samples[l.sample];
            let mut y = l.returns.clone();
            if self.cfg.label == LabelNorm::Zscore {
                zscore_columns(&mut y, 1);
            }
            let mut row = vec![1.0; p];
            for (i, yi) in y.iter().enumerate() {
                for j in 0..m {
                    row[j + 1] = f64::from(s.x[i * m + j]);
                }
                for a in 0..p {
                    xty[a] += row[a] * f64::from(*yi);
                    for b in 0..p {
                        xtx[a * p + b] += row[a] * row[b];
                    }
                }
                n_rows += 1;
            }
        }
        for j in 1..p {
            xtx[j * p + j] += self.cfg.ridge * n_rows as f64;
        }
        let beta = if n_rows > p { solve(xtx, xty) } else { None };
        let status = match (&beta, n_rows > p) {
            (Some(_), _) => "trained".to_owned(),
            (None, false) => "skipped: too few labelled stock-dates".to_owned(),
            (None, true) => "skipped: singular design (add ridge > 0)".to_owned(),
        };
        if let Some(b) = &beta {
            self.coefficients
                .push(b.iter().copied().map(round6).collect());
            self.beta = Some(b.clone());
        }
        self.windows.push(WindowInterpretation {
            as_of: ctx.date().to_string(),
            train_dates: dates,
            valid_dates: 0,
            status,
            ..Default::default()
        });
        Ok(())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let Some(beta) = &self.beta else {
            return Ok(vec![f64::NAN; universe.len()]);
        };
        let s = cross_section(ctx, universe, &self.columns, self.cfg.samples.inputs);
        let m = self.columns.len();
        let mut scored: Vec<(SymbolId, f64)> = s
            .symbols
            .iter()
            .enumerate()
            .map(|(i, &sym)| {
                let v = beta[0]
                    + (0..m)
                        .map(|j| beta[j + 1] * f64::from(s.x[i * m + j]))
                        .sum::<f64>();
                (sym, v)
            })
            .collect();
        scored.sort_by_key(|p| p.0);
        Ok(scored.into_iter().map(|p| p.1).collect())
    }

    fn interpretation(&self) -> Option<Interpretation> {
        let (groups, _) = Interpretation::groups_of(&self.factor_names);
        Some(Interpretation {
            model: "linear".into(),
            factors: self.factor_names.clone(),
            groups,
            windows: self.windows.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_solve_hand_system() {
        // 2x + y = 5, x + 3y = 10 → x = 1, y = 3
        let x = solve(vec![2.0, 1.0, 1.0, 3.0], vec![5.0, 10.0]).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12);
        assert!(solve(vec![1.0, 2.0, 2.0, 4.0], vec![1.0, 2.0]).is_none());
    }
}
