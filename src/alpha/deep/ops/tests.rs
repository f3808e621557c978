//! Tests of the fused ops on their own: finite differences of the analytic
//! backward passes, the polynomial exp against libm, block checks, and
//! bit-identity with candle's element-wise ops and of the AVX2 dispatch.
//! (The comparisons with the plain layers are in `deep::fused_vs_plain`.)

use super::factor_attention::{fa_backward, fa_backward_body, fa_forward, fa_forward_body};
use super::gat_attention::{backward_row, backward_row_body, softmax_row, softmax_row_body};
use super::*;
use candle_core::{Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A tensor of `dims` with entries uniform in (−scale, scale).
pub(in crate::alpha::deep) fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

/// Central finite differences of `value` at each entry of `base` against
/// the analytic gradient: |analytic − numeric| < tol · (1 + |numeric|).
fn assert_finite_differences(
    what: &str,
    base: &[f32],
    analytic: &[f32],
    tol: f64,
    value: impl Fn(Vec<f32>) -> f64,
) {
    let eps = 1e-3f32;
    for idx in 0..base.len() {
        let at = |delta: f32| {
            let mut v = base.to_vec();
            v[idx] += delta;
            value(v)
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * f64::from(eps));
        let got = f64::from(analytic[idx]);
        assert!(
            (got - numeric).abs() < tol * (1.0 + numeric.abs()),
            "{what} entry {idx}: analytic {got} vs numeric {numeric}"
        );
    }
}

/// Central finite differences of L = Σ out ⊙ R with respect to entries of
/// W h, a_src and a_dst, against the op's analytic backward.
#[test]
fn test_fused_gradient_matches_finite_differences() {
    let (n, heads, o) = (9, 2, 3);
    let blocks = [(0, 4), (4, 5)];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let wh = Var::from_tensor(&random(&mut rng, &[n, heads * o], 1.5)).unwrap();
    let a_src = Var::from_tensor(&random(&mut rng, &[heads, o], 1.0)).unwrap();
    let a_dst = Var::from_tensor(&random(&mut rng, &[heads, o], 1.0)).unwrap();
    let r = random(&mut rng, &[n, o], 1.0);
    let loss = |w: &Tensor, s: &Tensor, d: &Tensor| -> f64 {
        let y = gat_attention(w, s, d, heads, &blocks).unwrap();
        let v: Vec<f32> = (y * &r).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        v.iter().map(|&x| f64::from(x)).sum()
    };
    let y = gat_attention(
        wh.as_tensor(),
        a_src.as_tensor(),
        a_dst.as_tensor(),
        heads,
        &blocks,
    )
    .unwrap();
    let grads = (y * &r).unwrap().sum_all().unwrap().backward().unwrap();
    for (which, var) in [(0, &wh), (1, &a_src), (2, &a_dst)] {
        let base: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        let analytic: Vec<f32> = grads
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let what = format!("input {which}");
        assert_finite_differences(&what, &base, &analytic, 2e-3, |v| {
            let t = Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap();
            let (w, s, d) = match which {
                0 => (t, a_src.as_tensor().clone(), a_dst.as_tensor().clone()),
                1 => (wh.as_tensor().clone(), t, a_dst.as_tensor().clone()),
                _ => (wh.as_tensor().clone(), a_src.as_tensor().clone(), t),
            };
            loss(&w, &s, &d)
        });
    }
}

#[test]
fn test_exp_neg_within_two_ulp_of_libm() {
    let mut x = 0f32;
    while x > -87.0 {
        let (got, want) = (exp_neg(x), x.exp());
        assert!(
            ((got - want) / want).abs() < 2.5e-7,
            "exp({x}): {got} vs {want}"
        );
        x -= 0.001_37;
    }
    assert_eq!(exp_neg(0.0), 1.0);
    assert!(exp_neg(-1e9) < 1.3e-38 && exp_neg(-1e9) > 0.0);
}

#[test]
fn test_bad_blocks_are_rejected() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let wh = random(&mut rng, &[5, 2], 1.0);
    let a = random(&mut rng, &[1, 2], 1.0);
    assert!(gat_attention(&wh, &a, &a, 1, &[(0, 2), (3, 2)]).is_err());
    assert!(gat_attention(&wh, &a, &a, 1, &[(0, 4)]).is_err());
    assert!(gat_attention(&wh, &a, &a, 1, &[(0, 5)]).is_ok());
}

/// Central finite differences of Σ ā ⊙ R in the pre-activations u.
#[test]
fn test_factor_attention_gradient_matches_finite_differences() {
    let (n, k, m) = (4, 2, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let u = Var::from_tensor(&random(&mut rng, &[n, k * m], 2.0)).unwrap();
    let r = random(&mut rng, &[k, m], 1.0);
    let value = |t: &Tensor| -> f64 {
        let a = factor_attention_mean(t, k, m).unwrap();
        let v: Vec<f32> = (a * &r).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        v.iter().map(|&x| f64::from(x)).sum()
    };
    let a = factor_attention_mean(u.as_tensor(), k, m).unwrap();
    let grads = (a * &r).unwrap().sum_all().unwrap().backward().unwrap();
    let analytic: Vec<f32> = grads
        .get(u.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let base: Vec<f32> = u.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
    assert_finite_differences("u", &base, &analytic, 1e-3, |v| {
        value(&Tensor::from_vec(v, (n, k * m), &Device::Cpu).unwrap())
    });
}

/// LeakyReLU and the bias add against candle's ops: the same bits forward
/// and backward (x = 0 exactly excluded: candle splits the gradient there).
#[test]
fn test_leaky_relu_and_bias_add_bit_identical_to_candle() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let x = Var::from_tensor(&random(&mut rng, &[37, 11], 3.0)).unwrap();
    let b = Var::from_tensor(&random(&mut rng, &[11], 1.0)).unwrap();
    let w = random(&mut rng, &[37, 11], 1.0);
    let bits = |t: &Tensor| -> Vec<u32> {
        let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        v.into_iter().map(f32::to_bits).collect()
    };
    let ours = leaky_relu(&bias_add(x.as_tensor(), b.as_tensor()).unwrap(), 0.01).unwrap();
    let theirs =
        candle_nn::ops::leaky_relu(&x.as_tensor().broadcast_add(b.as_tensor()).unwrap(), 0.01)
            .unwrap();
    assert_eq!(bits(&ours), bits(&theirs));
    let go = (ours * &w).unwrap().sum_all().unwrap().backward().unwrap();
    let gt = (theirs * &w)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    for v in [&x, &b] {
        assert_eq!(
            bits(go.get(v.as_tensor()).unwrap()),
            bits(gt.get(v.as_tensor()).unwrap())
        );
    }
}
/// The AVX2 copies of the row loops give the same bits as the portable
/// bodies (the dispatch only widens registers).
#[test]
fn test_dispatched_loops_match_portable_bodies_bitwise() {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let l = 37;
    let dst: Vec<f32> = (0..l).map(|_| rng.random_range(-4.0..4.0)).collect();
    let (mut a, mut b) = (vec![0f32; l], vec![0f32; l]);
    softmax_row(&mut a, 0.7, &dst);
    softmax_row_body(&mut b, 0.7, &dst);
    assert_eq!(a, b);
    let p0: Vec<f32> = (0..l).map(|_| rng.random_range(-1.0..1.0)).collect();
    let (mut pa, mut pb) = (p0.clone(), p0);
    let (mut ta, mut tb) = (vec![0f32; l], vec![0f32; l]);
    let ra = backward_row(&mut pa, &a, -0.3, &dst, &mut ta);
    let rb = backward_row_body(&mut pb, &a, -0.3, &dst, &mut tb);
    assert_eq!((ra.to_bits(), pa, ta), (rb.to_bits(), pb, tb));
    let (k, m, n) = (3, 11, 5);
    let u: Vec<f32> = (0..n * k * m)
        .map(|_| rng.random_range(-3.0..3.0))
        .collect();
    let (mut aa, mut ab) = (vec![0f32; u.len()], vec![0f32; u.len()]);
    let (mut sa, mut sb) = (vec![0f32; k * m], vec![0f32; k * m]);
    fa_forward(&u, &mut aa, &mut sa, m);
    fa_forward_body(&u, &mut ab, &mut sb, m);
    assert_eq!((&aa, &sa), (&ab, &sb));
    let g: Vec<f32> = (0..k * m).map(|_| rng.random_range(-1.0..1.0)).collect();
    let (mut da, mut db) = (vec![0f32; u.len()], vec![0f32; u.len()]);
    fa_backward(&u, &aa, &g, &mut da, m);
    fa_backward_body(&u, &aa, &g, &mut db, m);
    assert_eq!(da, db);
}
