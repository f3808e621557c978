//! The E2EAI loss terms on tiny cases computed by hand in f64, and the
//! whole loss's gradient against central finite differences.

use super::*;
use candle_core::{Device, Var};

fn col(v: &[f64]) -> Tensor {
    let f: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    Tensor::from_vec(f, (v.len(), 1), &Device::Cpu).unwrap()
}

fn idx(v: &[u32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), v.len(), &Device::Cpu).unwrap()
}

fn vec1(t: &Tensor) -> Vec<f64> {
    let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
    v.into_iter().map(f64::from).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// softmax(z/τ) of the population z-score of `s`, in f64.
fn weights_by_hand(s: &[f64], tau: f64) -> Vec<f64> {
    let m = mean(s);
    let sd = (s.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / s.len() as f64).sqrt();
    let e: Vec<f64> = s.iter().map(|x| ((x - m) / sd / tau).exp()).collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|x| x / total).collect()
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let c: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    c / (vx * vy).sqrt()
}

/// Φ by Simpson's rule on the normal density (an independent route to erf).
fn normal_cdf(x: f64) -> f64 {
    let (a, n) = (-12.0, 20_000);
    let h = (x - a) / n as f64;
    let pdf = |t: f64| (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let mut s = pdf(a) + pdf(x);
    for i in 1..n {
        s += pdf(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn test_portfolio_weights_and_excess_by_hand() {
    let (s, r) = ([0.3, -1.0, 2.0, 0.5], [0.02, -0.01, 0.05, 0.0]);
    let w = portfolio_weights(&col(&s), 0.5).unwrap();
    let want = weights_by_hand(&s, 0.5);
    for (a, b) in vec1(&w).iter().zip(&want) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    let ex = excess_return(&w, &col(&r)).unwrap();
    let want_ex: f64 = want.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() - mean(&r);
    assert!((vec1(&ex)[0] - want_ex).abs() < 1e-6);
}

/// Yesterday A, B, C; today B, C, D (rows in another order): B and C are
/// common, A was sold, D bought.
#[test]
fn test_turnover_counts_common_exits_and_entries() {
    let prev = [0.5, 0.3, 0.2]; // A, B, C
    let now = [0.6, 0.1, 0.3]; // D, C, B
    let to = turnover(&col(&now), &col(&prev), &idx(&[2, 1]), &idx(&[1, 2])).unwrap();
    let want = 0.5 * ((0.3f64 - 0.3).abs() + (0.1f64 - 0.2).abs() + 0.6 + 0.5);
    assert!(
        (vec1(&to)[0] - want).abs() < 1e-6,
        "{:?} vs {want}",
        vec1(&to)
    );
    // identical books trade nothing
    let same = turnover(&col(&prev), &col(&prev), &idx(&[0, 1, 2]), &idx(&[0, 1, 2])).unwrap();
    assert!(vec1(&same)[0].abs() < 1e-7);
}

#[test]
fn test_pooled_ic_is_pearson_over_per_date_demeaned_rows() {
    let (f1, r1) = ([1.0, 2.0, 4.0], [0.1, -0.2, 0.3]);
    let (f2, r2) = ([0.0, 10.0, -3.0, 1.0], [0.0, 0.2, -0.1, 0.05]);
    let demean = |v: &[f64]| v.iter().map(|x| x - mean(v)).collect::<Vec<_>>();
    let f: Vec<f64> = demean(&f1).into_iter().chain(demean(&f2)).collect();
    let r: Vec<f64> = demean(&r1).into_iter().chain(demean(&r2)).collect();
    // both are mean-zero, so Pearson of the pooled rows is Σfr/√(Σf²Σr²)
    let want = pearson(&f, &r);
    let (a, b, c, d) = (col(&f1), col(&r1), col(&f2), col(&r2));
    let got = pooled_ic(&[&a, &c], &[&b, &d]).unwrap();
    assert!(
        (vec1(&got)[0] - want).abs() < 1e-5,
        "{:?} vs {want}",
        vec1(&got)
    );
}

#[test]
fn test_open_gates_is_the_normal_cdf() {
    let mu = [-0.8, 0.0, 0.3, 1.6];
    let got = open_gates(
        &Tensor::new(&[-0.8f32, 0.0, 0.3, 1.6], &Device::Cpu).unwrap(),
        0.5,
    )
    .unwrap();
    let want: f64 = mu.iter().map(|m| normal_cdf(m / 0.5)).sum();
    assert!(
        (vec1(&got)[0] - want).abs() < 1e-5,
        "{:?} vs {want}",
        vec1(&got)
    );
}

/// Two consecutive dates, one head: every term from the f64 helpers above.
#[test]
fn test_batch_loss_combines_the_terms_by_hand() {
    let (f1, r1, h1) = (
        [0.3, -1.2, 2.0, 0.7],
        [0.5, -1.0, 1.5, 0.2],
        [0.2, -1.0, 1.0, 0.1],
    );
    let (f2, r2, h2) = (
        [1.0, 0.5, -0.5, 0.0, 2.0],
        [0.3, 0.1, -0.4, 0.2, 1.0],
        [0.9, 0.2, 0.1, -0.3, 1.5],
    );
    // date 2 rows 0..3 are date 1's rows 1, 2, 3; row 4 is new, date 1's row 0 left
    let (now_rows, prev_rows) = (idx(&[0, 1, 2]), idx(&[1, 2, 3]));
    let w = E2eaiConfig {
        gate_penalty: 0.3,
        temperature: 0.7,
        portfolio: 1.5,
        turnover: 0.4,
        factor_return: 0.8,
        global: 0.6,
        attention: 0.9,
        ..E2eaiConfig::default()
    };
    let mu = [0.2, -0.4];
    let z = |v: &[f64]| {
        let m = mean(v);
        let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt();
        v.iter().map(|x| (x - m) / sd).collect::<Vec<_>>()
    };
    let beta = |f: &[f64], r: &[f64]| {
        let rm = mean(r);
        z(f).iter().zip(r).map(|(a, b)| a * (b - rm)).sum::<f64>() / f.len() as f64
    };
    let (w1, w2) = (weights_by_hand(&f1, 0.7), weights_by_hand(&f2, 0.7));
    let ex = |w: &[f64], r: &[f64]| w.iter().zip(r).map(|(a, b)| a * b).sum::<f64>() - mean(r);
    let moved: f64 = (0..3).map(|i| (w2[i] - w1[i + 1]).abs()).sum();
    let to = 0.5 * (moved + w2[3] + w2[4] + w1[0]);
    let demean = |v: &[f64]| v.iter().map(|x| x - mean(v)).collect::<Vec<_>>();
    let pf: Vec<f64> = demean(&f1).into_iter().chain(demean(&f2)).collect();
    let pr: Vec<f64> = demean(&r1).into_iter().chain(demean(&r2)).collect();
    let want = -1.5 * (ex(&w1, &r1) + ex(&w2, &r2)) / 2.0 + 0.4 * to
        - 0.8 * (beta(&f1, &r1) + beta(&f2, &r2)) / 2.0
        - 0.6 * pearson(&pf, &pr)
        + 0.9 * ((1.0 - pearson(&f1, &h1)) + (1.0 - pearson(&f2, &h2))) / 2.0
        + 0.3 * mu.iter().map(|m| normal_cdf(m / 0.5)).sum::<f64>();
    let t = [col(&f1), col(&r1), col(&h1), col(&f2), col(&r2), col(&h2)];
    let dates = [
        DateTerms {
            f: &t[0],
            fhat: &t[2],
            returns: &t[1],
            common: None,
        },
        DateTerms {
            f: &t[3],
            fhat: &t[5],
            returns: &t[4],
            common: Some((&now_rows, &prev_rows)),
        },
    ];
    let mu_t = Tensor::new(&[0.2f32, -0.4], &Device::Cpu).unwrap();
    let (loss, parts) = batch_loss(&dates, &mu_t, 0, &w).unwrap();
    let got = f64::from(loss.to_scalar::<f32>().unwrap());
    assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    assert!((f64::from(parts.turnover) - to).abs() < 1e-5);
}

/// Central finite differences of the whole loss with respect to the deep
/// factors of two consecutive dates and the gate means.
#[test]
fn test_batch_loss_gradient_matches_finite_differences() {
    let f1 = [0.3, -1.2, 2.0, 0.7, -0.4];
    let f2 = [1.0, 0.5, -0.5, 0.1, 2.0];
    let r1 = col(&[0.5, -1.0, 1.5, 0.2, -0.3]);
    let r2 = col(&[0.3, 0.1, -0.4, 0.2, 1.0]);
    let h = col(&[0.2, -1.0, 1.0, 0.1, 0.4]);
    let (rows, prev) = (idx(&[0, 1, 3]), idx(&[1, 2, 4]));
    let w = E2eaiConfig {
        attention_trains: DistanceTrains::Both,
        gate_penalty: 0.5,
        ..E2eaiConfig::default()
    };
    let value = |a: &[f64], b: &[f64], mu: &[f32]| -> (Tensor, Var, Var, Var) {
        let (va, vb) = (
            Var::from_tensor(&col(a)).unwrap(),
            Var::from_tensor(&col(b)).unwrap(),
        );
        let vm = Var::from_tensor(&Tensor::new(mu, &Device::Cpu).unwrap()).unwrap();
        let dates = [
            DateTerms {
                f: va.as_tensor(),
                fhat: &h,
                returns: &r1,
                common: None,
            },
            DateTerms {
                f: vb.as_tensor(),
                fhat: &h,
                returns: &r2,
                common: Some((&rows, &prev)),
            },
        ];
        let (loss, _) = batch_loss(&dates, vm.as_tensor(), 0, &w).unwrap();
        (loss, va, vb, vm)
    };
    let mu = [0.3f32, -0.2];
    let (loss, va, vb, vm) = value(&f1, &f2, &mu);
    let grads = loss.backward().unwrap();
    let analytic: Vec<f64> = [va.as_tensor(), vb.as_tensor(), vm.as_tensor()]
        .iter()
        .flat_map(|v| vec1(grads.get(v).unwrap()))
        .collect();
    let at = |i: usize, d: f64| -> f64 {
        let (mut a, mut b, mut m) = (f1.to_vec(), f2.to_vec(), mu.to_vec());
        match i {
            0..5 => a[i] += d,
            5..10 => b[i - 5] += d,
            _ => m[i - 10] += d as f32,
        }
        f64::from(value(&a, &b, &m).0.to_scalar::<f32>().unwrap())
    };
    let eps = 1e-3;
    for (i, g) in analytic.iter().enumerate() {
        let numeric = (at(i, eps) - at(i, -eps)) / (2.0 * eps);
        assert!(
            (g - numeric).abs() < 5e-3 * (1.0 + numeric.abs()),
            "entry {i}: analytic {g} vs numeric {numeric}"
        );
    }
}
