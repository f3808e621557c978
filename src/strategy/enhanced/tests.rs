//! The optimiser against solutions computed another way: by hand, by
//! enumeration over a grid of the simplex, and by the KKT conditions.

use super::socp::{cholesky, Name, Problem};
use clarabel::solver::SolverStatus;

fn name(alpha: f64, wb: f64, ub: f64, industry: usize, styles: Vec<f64>, specific: f64) -> Name {
    Name {
        wb,
        wprev: 0.0,
        fixed: None,
        ub,
        alpha,
        industry,
        styles,
        specific,
    }
}

fn problem(names: Vec<Name>, n_industries: usize, n_styles: usize) -> Problem {
    let k = n_industries + n_styles;
    Problem {
        names,
        n_industries,
        n_styles,
        factor_cov: vec![0.0; k * k],
        risk_aversion: 0.0,
        tracking_error: None,
        industry_bound: None,
        style_bound: None,
        turnover: None,
    }
}

#[test]
fn test_lp_fills_the_best_alphas_up_to_their_caps() {
    // max α'w, Σw = 1, 0 ≤ w ≤ 0.4: by hand, 0.4 on the best two, 0.2 on the third
    let p = problem(
        vec![
            name(0.03, 0.25, 0.4, 0, vec![], 0.04),
            name(0.05, 0.25, 0.4, 0, vec![], 0.04),
            name(0.01, 0.25, 0.4, 0, vec![], 0.04),
            name(0.04, 0.25, 0.4, 0, vec![], 0.04),
        ],
        1,
        0,
    );
    let s = p.solve();
    assert_eq!(s.status, SolverStatus::Solved);
    for (got, want) in s.weights.iter().zip([0.2, 0.4, 0.0, 0.4]) {
        assert!((got - want).abs() < 1e-7, "{:?}", s.weights);
    }
}

#[test]
fn test_tracking_error_cap_by_hand() {
    // two names of one industry, no factor risk, specific variances D1, D2:
    // with w2 = 1 − w1 the active weights are ±d, TE = |d|·√(D1 + D2), so the
    // best name is overweighted by exactly d = TE/√(D1 + D2).
    let (d1, d2, te) = (0.09, 0.16, 0.05);
    let mut p = problem(
        vec![
            name(0.10, 0.5, 1.0, 0, vec![], d1),
            name(0.02, 0.5, 1.0, 0, vec![], d2),
        ],
        1,
        0,
    );
    p.tracking_error = Some(te);
    let s = p.solve();
    let d = te / (d1 + d2).sqrt(); // 0.1
    assert!((s.weights[0] - (0.5 + d)).abs() < 1e-7, "{:?}", s.weights);
    assert!((p.tracking_error_of(&s.weights) - te).abs() < 1e-7);
}

#[test]
fn test_industry_and_style_bounds_by_hand() {
    // industry 0 = {a, b}, industry 1 = {c}; benchmark 1/3 each; bound 0.1 on
    // active industry weight: the best name c can take at most 1/3 + 0.1.
    let mut p = problem(
        vec![
            name(0.01, 1.0 / 3.0, 1.0, 0, vec![1.0], 0.04),
            name(0.02, 1.0 / 3.0, 1.0, 0, vec![-1.0], 0.04),
            name(0.05, 1.0 / 3.0, 1.0, 1, vec![0.0], 0.04),
        ],
        2,
        1,
    );
    p.industry_bound = Some(0.1);
    let s = p.solve();
    assert!(
        (s.weights[2] - (1.0 / 3.0 + 0.1)).abs() < 1e-7,
        "{:?}",
        s.weights
    );
    // the rest goes to b (better than a); with a style bound of 0.2 on the
    // style (a = +1, b = −1), b's overweight is limited: y = (wa − 1/3) − (wb − 1/3)
    // ≥ −0.2 with wa + wb = 2/3 − 0.1 → wb − wa ≤ 0.2 → wb = (0.5667 + 0.2)/2
    p.style_bound = Some(0.2);
    let s = p.solve();
    let rest = 2.0 / 3.0 - 0.1;
    assert!(
        (s.weights[1] - (rest + 0.2) / 2.0).abs() < 1e-7,
        "{:?}",
        s.weights
    );
    assert!(
        (s.weights[0] - (rest - 0.2) / 2.0).abs() < 1e-7,
        "{:?}",
        s.weights
    );
}

#[test]
fn test_turnover_cap_by_hand() {
    // from w_prev = (1, 0), one-sided turnover 0.3: move 0.3 to the better name
    let mut p = problem(
        vec![
            name(0.01, 0.5, 1.0, 0, vec![], 0.04),
            name(0.05, 0.5, 1.0, 0, vec![], 0.04),
        ],
        1,
        0,
    );
    p.names[0].wprev = 1.0;
    p.turnover = Some(0.3);
    let s = p.solve();
    assert!((s.weights[1] - 0.3).abs() < 1e-7, "{:?}", s.weights);
    // a pinned name keeps its weight and counts in the budget
    p.turnover = None;
    p.names[0].fixed = Some(0.25);
    let s = p.solve();
    assert_eq!(s.weights[0], 0.25);
    assert!((s.weights[1] - 0.75).abs() < 1e-7);
}

/// Three names with factor risk (one style) and specific risk: the solver's
/// objective matches the best point of a fine grid over the simplex that
/// meets every constraint, and its solution meets the KKT conditions.
#[test]
fn test_against_enumeration_and_kkt() {
    let mut p = problem(
        vec![
            name(0.06, 0.5, 0.7, 0, vec![1.0], 0.05),
            name(0.03, 0.3, 0.7, 0, vec![-0.5], 0.02),
            name(0.05, 0.2, 0.7, 1, vec![0.3], 0.08),
        ],
        2,
        1,
    );
    // factor covariance (industry 0, industry 1, style), positive definite
    p.factor_cov = vec![0.04, 0.01, 0.002, 0.01, 0.05, -0.001, 0.002, -0.001, 0.01];
    p.tracking_error = Some(0.06);
    p.industry_bound = Some(0.15);
    p.style_bound = Some(0.25);
    p.risk_aversion = 0.5;
    let s = p.solve();
    assert_eq!(s.status, SolverStatus::Solved);
    let w = &s.weights;
    let objective = |w: &[f64]| -> f64 {
        // α'w − λ w'Σw, Σ = X F X' + D
        let k = 3;
        let x: Vec<[f64; 3]> = p
            .names
            .iter()
            .map(|n| {
                [
                    f64::from(u8::from(n.industry == 0)),
                    f64::from(u8::from(n.industry == 1)),
                    n.styles[0],
                ]
            })
            .collect();
        let e: Vec<f64> = (0..k)
            .map(|f| (0..3).map(|i| x[i][f] * w[i]).sum())
            .collect();
        let mut var: f64 = (0..k)
            .flat_map(|a| (0..k).map(move |b| (a, b)))
            .map(|(a, b)| e[a] * p.factor_cov[a * k + b] * e[b])
            .sum();
        var += (0..3)
            .map(|i| p.names[i].specific * w[i] * w[i])
            .sum::<f64>();
        (0..3).map(|i| p.names[i].alpha * w[i]).sum::<f64>() - p.risk_aversion * var
    };
    let feasible = |w: &[f64]| -> bool {
        let y = p.active_exposures(w);
        w.iter().all(|&v| (-1e-12..=0.7 + 1e-12).contains(&v))
            && (w.iter().sum::<f64>() - 1.0).abs() < 1e-9
            && y[0].abs() <= 0.15 + 1e-9
            && y[1].abs() <= 0.15 + 1e-9
            && y[2].abs() <= 0.25 + 1e-9
            && p.tracking_error_of(w) <= 0.06 + 1e-9
    };
    assert!(feasible(w), "{w:?}");
    let steps = 400;
    let mut best = f64::NEG_INFINITY;
    for i in 0..=steps {
        for j in 0..=steps - i {
            let g = [
                i as f64 / steps as f64,
                j as f64 / steps as f64,
                (steps - i - j) as f64 / steps as f64,
            ];
            if feasible(&g) {
                best = best.max(objective(&g));
            }
        }
    }
    let got = objective(w);
    assert!(best.is_finite());
    // the solver is at least as good as every grid point, and the grid's best
    // is within its resolution of the solver
    assert!(got >= best - 1e-9, "solver {got} < grid {best}");
    assert!(got - best < 2e-4, "solver {got} vs grid {best}");
    // duality gap: the primal and dual objectives agree, and the primal one is
    // the negated objective up to the constant λ·e_b'F·e_b the solver drops
    let gap = (s.primal_objective - s.dual_objective).abs();
    assert!(gap <= 1e-8 * (1.0 + s.primal_objective.abs()), "gap {gap}");
    let eb = [0.8, 0.2, 0.5 - 0.15 + 0.06];
    let constant: f64 = (0..3)
        .flat_map(|a| (0..3).map(move |b| (a, b)))
        .map(|(a, b)| eb[a] * p.factor_cov[a * 3 + b] * eb[b])
        .sum::<f64>()
        * p.risk_aversion;
    assert!(
        (-(s.primal_objective) - constant - got).abs() < 1e-7,
        "primal {} + {constant} vs {got}",
        -s.primal_objective
    );
    // the factor of F reproduces F
    let l = cholesky(&p.factor_cov, 3);
    for a in 0..3 {
        for b in 0..3 {
            let v: f64 = (0..3).map(|c| l[a * 3 + c] * l[b * 3 + c]).sum();
            assert!((v - p.factor_cov[a * 3 + b]).abs() < 1e-10);
        }
    }
}
