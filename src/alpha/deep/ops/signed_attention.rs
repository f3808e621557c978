//! The fused signed (directional) attention mean of E2EAI (a `CustomOp1`
//! with an analytic backward).
//!
//! For U (n × K·m), per stock i and head k, with t_j = tanh(U_ikj) and
//! S = Σ_j |t_j| + ε: a_ikj = t_j / S (signed, Σ_j |a_ikj| ≤ 1), and
//! ā_k = (1/n) Σ_i a_ik (K × m). Backward, with G = ∂L/∂ā / n:
//!
//! ```text
//! ∂L/∂t_l = (G_l − sign(t_l) Σ_j G_j a_j) / S,   ∂L/∂U_l = ∂L/∂t_l · (1 − t_l²).
//! ```
//!
//! The plain-candle version ([`signed_attention_plain`]) is the test
//! reference; the fused op keeps t and S from the forward pass and does one
//! pass per row each way instead of the plain version's six tensor passes
//! and their gradients.

use super::attention_mean::{AttentionRows, Mean};
use candle_core::{Result, Tensor, D};
use std::sync::Mutex;

/// ε of the normaliser Σ|tanh| (keeps an all-zero row finite).
pub const SIGNED_EPS: f32 = 1e-6;

/// The signed attention's rows; the op is [`Mean`]`<SignedAttentionMean>`
/// (see the module docs).
pub struct SignedAttentionMean {
    k: usize,
    m: usize,
    /// tanh(U) (n × K·m) and the per-row normalisers S (n × K), for the backward.
    cache: Mutex<Option<(Vec<f32>, Vec<f32>)>>,
}

/// `u` (n × K·m) → ā (K × m): tanh(u)/Σ|tanh(u)| over the m factors per
/// stock and head, averaged over the n stocks.
pub fn signed_attention_mean(u: &Tensor, k: usize, m: usize) -> Result<Tensor> {
    let (_, width) = u.dims2()?;
    if width != k * m {
        candle_core::bail!("signed_attention_mean: width {width} is not {k} × {m}");
    }
    let op = SignedAttentionMean {
        k,
        m,
        cache: Mutex::new(None),
    };
    u.contiguous()?.apply_op1(Mean(op))
}

/// The same in plain candle ops (the reference of the tests).
pub fn signed_attention_plain(u: &Tensor, k: usize, m: usize) -> Result<Tensor> {
    let n = u.dim(0)?;
    let t = u.tanh()?.reshape((n, k, m))?;
    let s = (t.abs()?.sum_keepdim(D::Minus1)? + f64::from(SIGNED_EPS))?;
    t.broadcast_div(&s)?.mean(0)
}

/// Forward rows: `t` = tanh(u), `s` (one per row of m) the normaliser,
/// `acc` (K·m) += a of each stock.
fn forward_rows(u: &[f32], t: &mut [f32], s: &mut [f32], acc: &mut [f32], m: usize) {
    let km = acc.len();
    for ((ur, tr), sr) in u.chunks(km).zip(t.chunks_mut(km)).zip(s.chunks_mut(km / m)) {
        for (((uh, th), sh), ah) in ur
            .chunks(m)
            .zip(tr.chunks_mut(m))
            .zip(sr.iter_mut())
            .zip(acc.chunks_mut(m))
        {
            let mut sum = SIGNED_EPS;
            for (tv, &x) in th.iter_mut().zip(uh) {
                *tv = x.tanh();
                sum += tv.abs();
            }
            *sh = sum;
            let inv = 1.0 / sum;
            for (a, &tv) in ah.iter_mut().zip(th.iter()) {
                *a += tv * inv;
            }
        }
    }
}

/// Backward rows: `du` from `t`, `s` and `g` (K·m, already divided by n).
fn backward_rows(t: &[f32], s: &[f32], g: &[f32], du: &mut [f32], m: usize) {
    let km = g.len();
    for ((tr, sr), dr) in t.chunks(km).zip(s.chunks(km / m)).zip(du.chunks_mut(km)) {
        for (((th, &sh), gh), dh) in tr.chunks(m).zip(sr).zip(g.chunks(m)).zip(dr.chunks_mut(m)) {
            let inv = 1.0 / sh;
            let dot: f32 = th.iter().zip(gh).map(|(&tv, &gv)| gv * tv * inv).sum();
            for ((d, &tv), &gv) in dh.iter_mut().zip(th).zip(gh) {
                let sign = if tv > 0.0 {
                    1.0
                } else if tv < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                *d = (gv - sign * dot) * inv * (1.0 - tv * tv);
            }
        }
    }
}

impl AttentionRows for SignedAttentionMean {
    const NAME: &'static str = "signed-attention-mean";
    /// tanh(U) and the normalisers S.
    type Kept = (Vec<f32>, Vec<f32>);

    fn heads(&self) -> (usize, usize) {
        (self.k, self.m)
    }

    fn cache(&self) -> &Mutex<Option<(Vec<f32>, Vec<f32>)>> {
        &self.cache
    }

    fn forward(&self, u: &[f32], acc: &mut [f32]) -> (Vec<f32>, Vec<f32>) {
        let n = u.len() / (self.k * self.m);
        let (mut t, mut s) = (vec![0f32; u.len()], vec![0f32; n * self.k]);
        forward_rows(u, &mut t, &mut s, acc, self.m);
        (t, s)
    }

    fn backward(&self, _u: &[f32], (t, s): &(Vec<f32>, Vec<f32>), g: &[f32], du: &mut [f32]) {
        backward_rows(t, s, g, du, self.m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alpha::deep::ops::tests::random;
    use candle_core::Var;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A hand case: one stock, one head, u = (atanh 0.5, atanh −0.25, 0):
    /// t = (0.5, −0.25, 0), S = 0.75 + ε, a = (2/3, −1/3, 0).
    #[test]
    fn test_signed_attention_hand_case_keeps_the_sign() {
        let u = Tensor::new(
            &[[0.5f32.atanh(), (-0.25f32).atanh(), 0.0]],
            &candle_core::Device::Cpu,
        )
        .unwrap();
        let a: Vec<Vec<f32>> = signed_attention_mean(&u, 1, 3).unwrap().to_vec2().unwrap();
        for (got, want) in a[0].iter().zip([2.0 / 3.0, -1.0 / 3.0, 0.0]) {
            assert!((got - want).abs() < 1e-5, "{a:?}");
        }
    }

    /// Fused against plain: outputs and gradients (L = Σ ā ⊙ R), and central
    /// finite differences of the fused op's backward.
    #[test]
    fn test_signed_attention_fused_matches_plain_and_finite_differences() {
        let (n, k, m) = (7, 2, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let u = Var::from_tensor(&random(&mut rng, &[n, k * m], 2.0)).unwrap();
        let r = random(&mut rng, &[k, m], 1.0);
        let fused = signed_attention_mean(u.as_tensor(), k, m).unwrap();
        let plain = signed_attention_plain(u.as_tensor(), k, m).unwrap();
        let diff = (&fused - &plain).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
        let gf = (fused * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let gp = (plain * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let (gf, gp) = (
            gf.get(u.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap(),
            gp.get(u.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap(),
        );
        for (a, b) in gf.iter().zip(&gp) {
            assert!((a - b).abs() < 1e-5, "fused {a} vs plain {b}");
        }
        let base = u
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let value = |v: &[f32]| -> f64 {
            let t = Tensor::from_slice(v, (n, k * m), &candle_core::Device::Cpu).unwrap();
            let a = signed_attention_mean(&t, k, m).unwrap();
            let p: Vec<f32> = (a * &r).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            p.iter().map(|&x| f64::from(x)).sum()
        };
        let eps = 1e-3f32;
        for idx in 0..base.len() {
            let (mut hi, mut lo) = (base.clone(), base.clone());
            hi[idx] += eps;
            lo[idx] -= eps;
            let numeric = (value(&hi) - value(&lo)) / (2.0 * f64::from(eps));
            let got = f64::from(gf[idx]);
            assert!(
                (got - numeric).abs() < 2e-3 * (1.0 + numeric.abs()),
                "entry {idx}: analytic {got} vs numeric {numeric}"
            );
        }
    }
}
