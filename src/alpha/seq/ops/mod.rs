//! Fused recurrent layers for the sequence models: one candle `CustomOp`
//! per layer runs the whole sequence forward and, from the gates it kept,
//! the analytic backward through time ([`gru_layer`], [`lstm_layer`]);
//! [`bias_tanh`] is the ALSTM's dense layer activation, fused likewise;
//! [`layer`] is the candle op around both recurrences.
//!
//! Step-by-step candle ops would build a dozen small tensors per time step
//! and layer, each with its own autograd node; here each step is one
//! `gemm` product (h_{t−1} · W_hh, all stocks at once) and one fused loop
//! over the gates, and the backward ends with one large product for ∂W_hh
//! (Σ_t h_{t−1}ᵀ ∂g_t, k = T·n). The input projection x·W_ih of all steps
//! is one product at the start (its gradients ∂x = ∂g·W_ihᵀ and ∂W_ih =
//! xᵀ·∂g two at the end), and the biases are added in the gate loop, so
//! candle's graph holds one node per layer: none of its zero-filled
//! gradient buffers and additions for the T·n × G intermediates.
//! The weights come as one matrix W = [W_ih; W_hh] ((I + H) × G).
//!
//! Layout: time-major, `T × n × width` row-major (row `t·n + i` is stock i
//! at step t), so each step's rows are contiguous. The initial state is 0.
//!
//! Numerics: σ and tanh use the polynomial exp of the deep ops
//! ([`exp_neg`], ≤ 2 ulp), every loop has a fixed order, so results are
//! bit-identical across runs; versus the plain candle composition (the test
//! reference, [`super::net`]'s `fused = false`) they agree to ~1e-6.

pub mod bias_tanh;
pub mod gru;
pub mod layer;
pub mod lstm;
#[cfg(test)]
mod tests;

pub use bias_tanh::{bias_tanh, BiasTanh};
pub use gru::{gru_layer, GruLayer};
pub use lstm::{lstm_layer, LstmLayer};

use crate::alpha::deep::ops::exp_neg;

/// σ(x) = 1 / (1 + e^−x), from e^−|x| (no overflow).
#[inline(always)]
pub(super) fn sigmoid(x: f32) -> f32 {
    let e = exp_neg(-x.abs());
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 {
        s
    } else {
        e * s
    }
}

/// tanh(x) = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|).
#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
    let e = exp_neg(-2.0 * x.abs());
    ((1.0 - e) / (1.0 + e)).copysign(x)
}

/// Column sums of a `rows × width` matrix added to `out` (fixed order).
pub(super) fn add_column_sums(m: &[f32], width: usize, out: &mut [f32]) {
    for row in m.chunks(width) {
        for (o, v) in out.iter_mut().zip(row) {
            *o += *v;
        }
    }
}
