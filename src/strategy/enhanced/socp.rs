//! The enhanced-index problem as a second-order cone programme, solved by
//! Clarabel.
//!
//! Variables `x = [w (free names), y (factor exposures), t (turnover)]`:
//!
//! - minimise `−αᵀw + λ·(yᵀFy + 2·e_bᵀF·y + Σ D_i w_i²)`, i.e. maximise
//!   `αᵀw − λ·wᵀΣw` up to a constant, with `Σ = X F Xᵀ + diag(D)` and
//!   `e_b = Xᵀw_b` (the benchmark's exposures), since `Xᵀw = y + e_b`;
//! - `Σ w = 1 − Σ c` (fully invested; `c` = the constant weights of pinned
//!   or excluded names);
//! - `y = Xᵀ(w − w_b)` over every name (free and constant): the active
//!   exposures, industries first, then styles;
//! - `0 ≤ w ≤ ub`; `|y_industry| ≤ industry_bound`; `|y_style| ≤ style_bound`;
//! - `t ≥ |w − w_prev|`, `Σ t ≤ 2·turnover − Σ |c − w_prev|`;
//! - `‖(Lᵀy, √D ∘ (w − w_b))‖ ≤ TE` (with `F = LLᵀ`): the ex-ante tracking
//!   error `√((w − w_b)ᵀ Σ (w − w_b))`.
//!
//! Limits set to `None` are left out (relaxed).

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SecondOrderConeT,
    SolverStatus, SupportedConeT, ZeroConeT,
};

/// One name of the problem: free (a variable) or constant.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// Benchmark weight.
    pub wb: f64,
    /// Current weight.
    pub wprev: f64,
    /// `Some(c)`: the weight is fixed at `c` (pinned or excluded).
    pub fixed: Option<f64>,
    /// Upper bound of a free weight.
    pub ub: f64,
    /// Expected return (free names).
    pub alpha: f64,
    /// Industry factor index.
    pub industry: usize,
    /// Style exposures (z units), one per style.
    pub styles: Vec<f64>,
    /// Specific variance (annualised).
    pub specific: f64,
}

/// The whole problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub names: Vec<Name>,
    pub n_industries: usize,
    pub n_styles: usize,
    /// Factor covariance (annualised), `K × K` row-major, K = industries + styles.
    pub factor_cov: Vec<f64>,
    pub risk_aversion: f64,
    pub tracking_error: Option<f64>,
    pub industry_bound: Option<f64>,
    pub style_bound: Option<f64>,
    pub turnover: Option<f64>,
}

/// The solver's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Solved {
    /// The weight of every name (free names from the solver, clipped to their
    /// bounds; constant names at their value).
    pub weights: Vec<f64>,
    pub status: SolverStatus,
    pub iterations: u32,
    pub seconds: f64,
    /// Clarabel's primal and dual objective values (their gap is the
    /// duality gap of the solution).
    pub primal_objective: f64,
    pub dual_objective: f64,
}

impl Problem {
    /// Number of factors.
    pub fn k(&self) -> usize {
        self.n_industries + self.n_styles
    }

    /// The exposure of name `i` to factor `f`.
    pub fn exposure(&self, i: usize, f: usize) -> f64 {
        let n = &self.names[i];
        if f < self.n_industries {
            f64::from(u8::from(n.industry == f))
        } else {
            n.styles[f - self.n_industries]
        }
    }

    /// Active exposures `Xᵀ(w − w_b)` of `weights`.
    pub fn active_exposures(&self, weights: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.k()];
        for (n, &w) in self.names.iter().zip(weights) {
            let d = w - n.wb;
            y[n.industry] += d;
            for (s, &z) in n.styles.iter().enumerate() {
                y[self.n_industries + s] += z * d;
            }
        }
        y
    }

    /// Ex-ante tracking error `√((w − w_b)ᵀΣ(w − w_b))` of `weights`.
    pub fn tracking_error_of(&self, weights: &[f64]) -> f64 {
        let y = self.active_exposures(weights);
        let k = self.k();
        let mut v = 0.0;
        for a in 0..k {
            for b in 0..k {
                v += y[a] * self.factor_cov[a * k + b] * y[b];
            }
        }
        for (n, &w) in self.names.iter().zip(weights) {
            v += n.specific * (w - n.wb).powi(2);
        }
        v.max(0.0).sqrt()
    }

    /// Solves the problem with Clarabel.
    pub fn solve(&self) -> Solved {
        let k = self.k();
        let free: Vec<usize> = (0..self.names.len())
            .filter(|&i| self.names[i].fixed.is_none())
            .collect();
        let m = free.len();
        let with_turnover = self.turnover.is_some();
        let nx = m + k + if with_turnover { m } else { 0 };
        let (yv, tv) = (m, m + k);
        let mut ti: Vec<usize> = Vec::new();
        let mut tj: Vec<usize> = Vec::new();
        let mut tx: Vec<f64> = Vec::new();
        let mut b: Vec<f64> = Vec::new();
        let mut cones: Vec<SupportedConeT<f64>> = Vec::new();
        let mut push = |r: usize, c: usize, v: f64| {
            if v != 0.0 {
                ti.push(r);
                tj.push(c);
                tx.push(v);
            }
        };
        let fixed_sum: f64 = self.names.iter().filter_map(|n| n.fixed).sum();
        // zero cone: budget, then y's definition
        let mut row = 0;
        for j in 0..m {
            push(row, j, 1.0);
        }
        b.push(1.0 - fixed_sum);
        row += 1;
        let mut rhs = vec![0.0; k];
        for n in &self.names {
            let c = n.fixed.unwrap_or(0.0);
            rhs[n.industry] += c - n.wb;
            for (s, &z) in n.styles.iter().enumerate() {
                rhs[self.n_industries + s] += z * (c - n.wb);
            }
        }
        for f in 0..k {
            push(row + f, yv + f, 1.0);
        }
        for (j, &i) in free.iter().enumerate() {
            let n = &self.names[i];
            push(row + n.industry, j, -1.0);
            for (s, &z) in n.styles.iter().enumerate() {
                push(row + self.n_industries + s, j, -z);
            }
        }
        b.extend_from_slice(&rhs);
        row += k;
        cones.push(ZeroConeT(1 + k));
        // nonnegative cone
        let nonneg_start = row;
        for (j, &i) in free.iter().enumerate() {
            push(row, j, -1.0);
            b.push(0.0);
            push(row + 1, j, 1.0);
            b.push(self.names[i].ub);
            row += 2;
        }
        if let Some(ib) = self.industry_bound {
            for f in 0..self.n_industries {
                push(row, yv + f, 1.0);
                push(row + 1, yv + f, -1.0);
                b.extend([ib, ib]);
                row += 2;
            }
        }
        if let Some(sb) = self.style_bound {
            for f in self.n_industries..k {
                push(row, yv + f, 1.0);
                push(row + 1, yv + f, -1.0);
                b.extend([sb, sb]);
                row += 2;
            }
        }
        if let Some(to) = self.turnover {
            for (j, &i) in free.iter().enumerate() {
                let wp = self.names[i].wprev;
                push(row, j, 1.0);
                push(row, tv + j, -1.0);
                b.push(wp);
                push(row + 1, j, -1.0);
                push(row + 1, tv + j, -1.0);
                b.push(-wp);
                row += 2;
            }
            for j in 0..m {
                push(row, tv + j, 1.0);
            }
            let forced: f64 = self
                .names
                .iter()
                .filter_map(|n| n.fixed.map(|c| (c - n.wprev).abs()))
                .sum();
            b.push(2.0 * to - forced);
            row += 1;
        }
        cones.push(NonnegativeConeT(row - nonneg_start));
        // second-order cone: the tracking error
        if let Some(te) = self.tracking_error {
            let l = cholesky(&self.factor_cov, k);
            let start = row;
            b.push(te);
            row += 1;
            // s = Lᵀy: row a of Lᵀ is column a of L
            for a in 0..k {
                for c in a..k {
                    push(row + a, yv + c, -l[c * k + a]);
                }
                b.push(0.0);
            }
            row += k;
            let mut free_j = 0;
            for n in &self.names {
                let sd = n.specific.max(0.0).sqrt();
                match n.fixed {
                    None => {
                        push(row, free_j, -sd);
                        b.push(-sd * n.wb);
                        free_j += 1;
                    }
                    Some(c) => b.push(sd * (c - n.wb)),
                }
                row += 1;
            }
            cones.push(SecondOrderConeT(row - start));
        }
        let a = CscMatrix::new_from_triplets(row, nx, ti, tj, tx);
        // objective
        let lam = self.risk_aversion;
        let (mut pi, mut pj, mut px) = (Vec::new(), Vec::new(), Vec::new());
        let mut q = vec![0.0; nx];
        for (j, &i) in free.iter().enumerate() {
            q[j] = -self.names[i].alpha;
        }
        if lam > 0.0 {
            for (j, &i) in free.iter().enumerate() {
                pi.push(j);
                pj.push(j);
                px.push(2.0 * lam * self.names[i].specific);
            }
            let mut eb = vec![0.0; k];
            for n in &self.names {
                eb[n.industry] += n.wb;
                for (s, &z) in n.styles.iter().enumerate() {
                    eb[self.n_industries + s] += z * n.wb;
                }
            }
            for r in 0..k {
                for c in r..k {
                    pi.push(yv + r);
                    pj.push(yv + c);
                    px.push(2.0 * lam * self.factor_cov[r * k + c]);
                }
                q[yv + r] = (0..k)
                    .map(|c| 2.0 * lam * self.factor_cov[r * k + c] * eb[c])
                    .sum();
            }
        }
        let p = CscMatrix::new_from_triplets(nx, nx, pi, pj, px);
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .max_iter(200)
            .tol_gap_abs(1e-10)
            .tol_gap_rel(1e-10)
            .tol_feas(1e-10)
            .build()
            .expect("valid settings");
        let mut weights: Vec<f64> = self.names.iter().map(|n| n.fixed.unwrap_or(0.0)).collect();
        let mut solver = match DefaultSolver::new(&p, &q, &a, &b, &cones, settings) {
            Ok(s) => s,
            Err(_) => {
                return Solved {
                    weights,
                    status: SolverStatus::NumericalError,
                    iterations: 0,
                    seconds: 0.0,
                    primal_objective: f64::NAN,
                    dual_objective: f64::NAN,
                }
            }
        };
        solver.solve();
        let sol = &solver.solution;
        for (j, &i) in free.iter().enumerate() {
            weights[i] = sol.x[j].clamp(0.0, self.names[i].ub);
        }
        Solved {
            weights,
            status: sol.status,
            iterations: sol.iterations,
            seconds: sol.solve_time,
            primal_objective: sol.obj_val,
            dual_objective: sol.obj_val_dual,
        }
    }
}

/// Lower Cholesky factor of the symmetric `k × k` matrix `a` (row-major),
/// with a diagonal jitter of 1e-12 × the largest diagonal entry so that a
/// singular covariance factors; a non-positive pivot gives a zero column.
pub fn cholesky(a: &[f64], k: usize) -> Vec<f64> {
    let scale = (0..k)
        .map(|i| a[i * k + i])
        .fold(0.0_f64, f64::max)
        .max(1e-300);
    let mut l = vec![0.0; k * k];
    for j in 0..k {
        let mut d = a[j * k + j] + 1e-12 * scale;
        for p in 0..j {
            d -= l[j * k + p] * l[j * k + p];
        }
        if d <= 0.0 {
            continue;
        }
        let d = d.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= l[i * k + p] * l[j * k + p];
            }
            l[i * k + j] = s / d;
        }
    }
    l
}
