//! The fused factor-attention mean op (a `CustomOp1` with an analytic
//! backward):
//! ā_k = (1/n) Σ_i softmax_j(LeakyReLU_0.01(U_ikj)) for U (n × K·m); backward
//! with G = ∂L/∂ā / n and A_i the softmax of row i:
//! ∂L/∂U_ikj = A_ikj (G_kj − Σ_j' A_ikj' G_kj') · (U_ikj > 0 ? 1 : 0.01).

use super::attention_mean::{AttentionRows, Mean};
use super::kernels::{dispatch, exp_neg, lane_sum};
use candle_core::{Result, Tensor};
use std::sync::Mutex;

/// Negative slope of the factor-attention LeakyReLU.
const FA_SLOPE: f32 = super::SLOPE as f32;

/// The factor attention's rows; the op is [`Mean`]`<FactorAttentionMean>`
/// (see the module docs).
pub struct FactorAttentionMean {
    k: usize,
    m: usize,
    /// The softmax rows A (n × K·m) of the forward pass, for the backward.
    attention: Mutex<Option<Vec<f32>>>,
}

/// `u` (n × K·m, the factor-attention pre-activations W_a F) → ā (K × m):
/// the softmax over the m factors of LeakyReLU(u) per stock and head,
/// averaged over the n stocks.
pub fn factor_attention_mean(u: &Tensor, k: usize, m: usize) -> Result<Tensor> {
    let (_, width) = u.dims2()?;
    if width != k * m {
        candle_core::bail!("factor_attention_mean: width {width} is not {k} × {m}");
    }
    let op = FactorAttentionMean {
        k,
        m,
        attention: Mutex::new(None),
    };
    u.contiguous()?.apply_op1(Mean(op))
}

/// Factor-attention rows of width m: `a` = softmax(LeakyReLU(`u`)) per row;
/// `acc` (K·m) += the rows of each stock.
#[inline(always)]
pub(super) fn fa_forward_body(u: &[f32], a: &mut [f32], acc: &mut [f32], m: usize) {
    let km = acc.len();
    for (ur, ar) in u.chunks(km).zip(a.chunks_mut(km)) {
        for ((uh, ah), sh) in ur.chunks(m).zip(ar.chunks_mut(m)).zip(acc.chunks_mut(m)) {
            let mut mx = f32::NEG_INFINITY;
            for (v, &x) in ah.iter_mut().zip(uh) {
                *v = x.max(FA_SLOPE * x);
                mx = mx.max(*v);
            }
            for v in ah.iter_mut() {
                *v = exp_neg(*v - mx);
            }
            let sum = lane_sum(ah);
            for (v, s) in ah.iter_mut().zip(sh) {
                *v /= sum;
                *s += *v;
            }
        }
    }
}

/// Factor-attention backward: `du` = A (g − A·g) · slope(u), row by row,
/// with `g` (K·m) the gradient of the mean already divided by n.
#[inline(always)]
pub(super) fn fa_backward_body(u: &[f32], a: &[f32], g: &[f32], du: &mut [f32], m: usize) {
    let km = g.len();
    for ((ur, ar), dr) in u.chunks(km).zip(a.chunks(km)).zip(du.chunks_mut(km)) {
        for (((uh, ah), gh), dh) in ur
            .chunks(m)
            .zip(ar.chunks(m))
            .zip(g.chunks(m))
            .zip(dr.chunks_mut(m))
        {
            for ((d, &av), &gv) in dh.iter_mut().zip(ah).zip(gh) {
                *d = av * gv;
            }
            let dot = lane_sum(dh);
            for (((d, &av), &gv), &x) in dh.iter_mut().zip(ah).zip(gh).zip(uh) {
                let slope = if x > 0.0 { 1.0 } else { FA_SLOPE };
                *d = av * (gv - dot) * slope;
            }
        }
    }
}

dispatch!(pub(super) fa_forward, fa_forward_body, (u: &[f32], a: &mut [f32], acc: &mut [f32], m: usize) -> ());
dispatch!(pub(super) fa_backward, fa_backward_body, (u: &[f32], a: &[f32], g: &[f32], du: &mut [f32], m: usize) -> ());

impl AttentionRows for FactorAttentionMean {
    const NAME: &'static str = "factor-attention-mean";
    type Kept = Vec<f32>;

    fn heads(&self) -> (usize, usize) {
        (self.k, self.m)
    }

    fn cache(&self) -> &Mutex<Option<Vec<f32>>> {
        &self.attention
    }

    fn forward(&self, u: &[f32], acc: &mut [f32]) -> Vec<f32> {
        let mut a = vec![0f32; u.len()];
        fa_forward(u, &mut a, acc, self.m);
        a
    }

    fn backward(&self, u: &[f32], a: &Vec<f32>, g: &[f32], du: &mut [f32]) {
        fa_backward(u, a, g, du, self.m);
    }
}
