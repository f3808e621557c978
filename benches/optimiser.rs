//! The enhanced-index optimiser: one solve (Clarabel SOCP) at n = 300, 500,
//! 1,000 names, 30 industries, 4 and 10 styles, with every limit active
//! (TE 5%, industry ±0.02, style ±0.5, caps min(3%, 5 w_b + 0.5%), turnover
//! 30% from the benchmark).

use alphasim::strategy::enhanced::socp::{Name, Problem};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_problem(n: usize, n_styles: usize, seed: u64) -> Problem {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_ind = 30;
    let k = n_ind + n_styles;
    let raw: Vec<f64> = (0..n)
        .map(|_| rng.random_range(0.2..1.8_f64).powi(2))
        .collect();
    let total: f64 = raw.iter().sum();
    let names = (0..n)
        .map(|i| {
            let wb = raw[i] / total;
            Name {
                wb,
                wprev: wb,
                fixed: None,
                ub: 0.03_f64.min(5.0 * wb + 0.005),
                alpha: rng.random_range(-0.05..0.05),
                industry: i % n_ind,
                styles: (0..n_styles).map(|_| rng.random_range(-2.0..2.0)).collect(),
                specific: rng.random_range(0.04..0.12),
            }
        })
        .collect();
    // F = A Aᵀ / t from t random factor-return days (annualised scale)
    let t = 250;
    let a: Vec<f64> = (0..k * t).map(|_| rng.random_range(-0.02..0.02)).collect();
    let mut f = vec![0.0; k * k];
    for r in 0..k {
        for c in 0..k {
            f[r * k + c] =
                (0..t).map(|d| a[r * t + d] * a[c * t + d]).sum::<f64>() / t as f64 * 252.0;
        }
    }
    Problem {
        names,
        n_industries: n_ind,
        n_styles,
        factor_cov: f,
        risk_aversion: 0.0,
        tracking_error: Some(0.05),
        industry_bound: Some(0.02),
        style_bound: Some(0.5),
        turnover: Some(0.3),
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("optimiser");
    g.sample_size(20);
    for n in [300, 500, 1000] {
        for s in [4, 10] {
            let p = random_problem(n, s, 7);
            let solved = p.solve();
            assert!(
                matches!(
                    solved.status,
                    clarabel::solver::SolverStatus::Solved
                        | clarabel::solver::SolverStatus::AlmostSolved
                ),
                "{:?}",
                solved.status
            );
            g.bench_function(format!("solve_n{n}_styles{s}"), |b| b.iter(|| p.solve()));
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
