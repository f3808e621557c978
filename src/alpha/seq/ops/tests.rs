//! The fused recurrent layers against the plain step-by-step candle
//! compositions of `net` (outputs and every gradient), a one-unit case
//! computed by hand in f64, and bit-identical reruns.

use super::super::net::{plain_gru, plain_lstm};
use super::{gru_layer, lstm_layer, sigmoid, tanh};
use candle_core::{Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

fn max_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
    let (a, b) = (flat(a), flat(b));
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs() / scale))
}

#[test]
fn test_activations_match_libm() {
    for i in -4000..=4000 {
        let x = i as f32 * 0.005;
        let s = 1.0 / (1.0 + (-f64::from(x)).exp());
        assert!((f64::from(sigmoid(x)) - s).abs() < 2e-7, "σ({x})");
        assert!(
            (f64::from(tanh(x)) - f64::from(x).tanh()).abs() < 3e-7,
            "tanh({x})"
        );
    }
    assert!(sigmoid(-200.0) < 1e-37);
    assert_eq!(sigmoid(200.0), 1.0);
    assert_eq!(tanh(50.0), 1.0);
}

/// A random loss weight per output entry, so every gradient path is used.
fn weighted_sum(h: &Tensor, w: &Tensor) -> Tensor {
    (h * w).unwrap().sum_all().unwrap()
}

#[test]
fn test_fused_gru_matches_plain_output_and_gradients() {
    let (t, n, i, hd) = (7, 5, 4, 6);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x = Var::from_tensor(&random(&mut rng, &[t, n, i], 1.5)).unwrap();
    let w = Var::from_tensor(&random(&mut rng, &[i + hd, 3 * hd], 0.6)).unwrap();
    let b = Var::from_tensor(&random(&mut rng, &[2, 3 * hd], 0.5)).unwrap();
    let lw = random(&mut rng, &[t, n, hd], 1.0);
    let fused = gru_layer(x.as_tensor(), w.as_tensor(), b.as_tensor(), true).unwrap();
    let plain = plain_gru(x.as_tensor(), w.as_tensor(), b.as_tensor()).unwrap();
    assert_eq!(fused.dims(), &[t, n, hd]);
    assert!(max_rel_diff(&fused, &plain) < 1e-5);
    let gf = weighted_sum(&fused, &lw).backward().unwrap();
    let gp = weighted_sum(&plain, &lw).backward().unwrap();
    for (name, v) in [("x", &x), ("w", &w), ("b", &b)] {
        let d = max_rel_diff(
            gf.get(v.as_tensor()).unwrap(),
            gp.get(v.as_tensor()).unwrap(),
        );
        assert!(d < 1e-5, "∂{name} differs by {d}");
    }
}

#[test]
fn test_fused_lstm_matches_plain_output_and_gradients() {
    let (t, n, i, hd) = (9, 4, 3, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let x = Var::from_tensor(&random(&mut rng, &[t, n, i], 1.5)).unwrap();
    let w = Var::from_tensor(&random(&mut rng, &[i + hd, 4 * hd], 0.6)).unwrap();
    let b = Var::from_tensor(&random(&mut rng, &[4 * hd], 0.5)).unwrap();
    let lw = random(&mut rng, &[t, n, hd], 1.0);
    let fused = lstm_layer(x.as_tensor(), w.as_tensor(), b.as_tensor(), true).unwrap();
    let plain = plain_lstm(x.as_tensor(), w.as_tensor(), b.as_tensor()).unwrap();
    assert_eq!(fused.dims(), &[t, n, hd]);
    assert!(max_rel_diff(&fused, &plain) < 1e-5);
    let gf = weighted_sum(&fused, &lw).backward().unwrap();
    let gp = weighted_sum(&plain, &lw).backward().unwrap();
    for (name, v) in [("x", &x), ("w", &w), ("b", &b)] {
        let d = max_rel_diff(
            gf.get(v.as_tensor()).unwrap(),
            gp.get(v.as_tensor()).unwrap(),
        );
        assert!(d < 1e-5, "∂{name} differs by {d}");
    }
}

/// Without the kept gates (an op built for evaluation) the forward gives
/// the same bits and the backward recomputes the gates: the same gradients.
#[test]
fn test_backward_without_kept_gates_recomputes() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x = Var::from_tensor(&random(&mut rng, &[4, 3, 2], 1.0)).unwrap();
    let w = Var::from_tensor(&random(&mut rng, &[6, 12], 0.5)).unwrap();
    let b = Var::from_tensor(&random(&mut rng, &[2, 12], 0.5)).unwrap();
    let g = |keep: bool| {
        let h = gru_layer(x.as_tensor(), w.as_tensor(), b.as_tensor(), keep).unwrap();
        let s = h.sum_all().unwrap().backward().unwrap();
        flat(s.get(w.as_tensor()).unwrap())
    };
    assert_eq!(g(true), g(false));
    let x4 = Var::from_tensor(&random(&mut rng, &[4, 3, 2], 1.0)).unwrap();
    let w4 = Var::from_tensor(&random(&mut rng, &[6, 16], 0.5)).unwrap();
    let b4 = Var::from_tensor(&random(&mut rng, &[16], 0.5)).unwrap();
    let l = |keep: bool| {
        let h = lstm_layer(x4.as_tensor(), w4.as_tensor(), b4.as_tensor(), keep).unwrap();
        let s = h.sum_all().unwrap().backward().unwrap();
        flat(s.get(x4.as_tensor()).unwrap())
    };
    assert_eq!(l(true), l(false));
    for (a, b) in [
        (
            gru_layer(x.as_tensor(), w.as_tensor(), b.as_tensor(), true),
            gru_layer(x.as_tensor(), w.as_tensor(), b.as_tensor(), false),
        ),
        (
            lstm_layer(x4.as_tensor(), w4.as_tensor(), b4.as_tensor(), true),
            lstm_layer(x4.as_tensor(), w4.as_tensor(), b4.as_tensor(), false),
        ),
    ] {
        assert_eq!(flat(&a.unwrap()), flat(&b.unwrap()));
    }
}

/// One unit, one stock, one input, two steps, by hand in f64: h and
/// ∂(h_0 + h_1)/∂W by central differences of the f64 recursion.
#[test]
fn test_one_unit_gru_by_hand() {
    let u = [0.5f64, -1.0];
    let w0 = [0.3f64, -0.2, 0.5, 0.7, -0.5, 0.9]; // W_ih (r, z, n), W_hh (r, z, n)
    let (bi, bh) = ([0.05f64, -0.1, 0.2], [0.1f64, 0.2, -0.3]);
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let step = |x: f64, h: f64, w: &[f64; 6]| {
        let r = sig(x * w[0] + bi[0] + w[3] * h + bh[0]);
        let z = sig(x * w[1] + bi[1] + w[4] * h + bh[1]);
        let nn = (x * w[2] + bi[2] + r * (w[5] * h + bh[2])).tanh();
        (1.0 - z) * nn + z * h
    };
    let run = |w: &[f64; 6]| {
        let h0 = step(u[0], 0.0, w);
        (h0, step(u[1], h0, w))
    };
    let (h0, h1) = run(&w0);
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let xt = Tensor::from_vec(f32s(&u), (2, 1, 1), &Device::Cpu).unwrap();
    let wv = Var::from_vec(f32s(&w0), (2, 3), &Device::Cpu).unwrap();
    let both: Vec<f64> = bi.iter().chain(&bh).copied().collect();
    let bt = Tensor::from_vec(f32s(&both), (2, 3), &Device::Cpu).unwrap();
    let h = gru_layer(&xt, wv.as_tensor(), &bt, true).unwrap();
    let got = flat(&h);
    assert!((f64::from(got[0]) - h0).abs() < 1e-6 && (f64::from(got[1]) - h1).abs() < 1e-6);
    let grads = h.sum_all().unwrap().backward().unwrap();
    let dw = flat(grads.get(wv.as_tensor()).unwrap());
    for k in 0..6 {
        let eps = 1e-6;
        let (mut up, mut down) = (w0, w0);
        up[k] += eps;
        down[k] -= eps;
        let f = |w: &[f64; 6]| {
            let (a, c) = run(w);
            a + c
        };
        let numeric = (f(&up) - f(&down)) / (2.0 * eps);
        assert!(
            (f64::from(dw[k]) - numeric).abs() < 1e-5,
            "∂w[{k}] {} vs {numeric}",
            dw[k]
        );
    }
}

/// The same inputs give the same bits, forward and backward.
#[test]
fn test_fused_layers_bit_identical_reruns() {
    let run = || {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let x = Var::from_tensor(&random(&mut rng, &[20, 33, 7], 1.0)).unwrap();
        let w = Var::from_tensor(&random(&mut rng, &[17, 40], 0.4)).unwrap();
        let b = random(&mut rng, &[40], 0.4);
        let h = lstm_layer(x.as_tensor(), w.as_tensor(), &b, true).unwrap();
        let g = h.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        (flat(&h), flat(g.get(w.as_tensor()).unwrap()))
    };
    assert_eq!(run(), run());
}
