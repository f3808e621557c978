//! Fused candle custom ops with analytic backward passes for the two
//! attention layers of the DMFM, where plain tensor ops spend most of a
//! training step on element-wise passes over large intermediates:
//! [`gat_attention()`] (graph attention after the projection W h) and
//! [`factor_attention_mean`] (the factor-attention softmax averaged over
//! stocks), plus the element-wise [`leaky_relu`] and [`bias_add`] of every
//! dense layer. The plain versions in [`super::layers`] are the test
//! references (`super::fused_vs_plain`).
//!
//! - [`kernels`]: the shared loops: matrix products through `gemm`, the
//!   polynomial exp, lane sums, the AVX2 dispatch;
//! - [`gat_attention`](mod@gat_attention): the GAT op;
//! - [`attention_mean`]: the op of a per-stock attention averaged over the
//!   stocks, generic over the attention's rows;
//! - [`factor_attention`]: the factor-attention rows;
//! - [`elementwise`]: LeakyReLU and the bias add;
//! - [`signed_attention`]: E2EAI's signed (directional) attention rows.
//!
//! ## Numerics
//!
//! Versus the plain candle ops: the same formulas in the same order, except
//! that exp is a polynomial (Cephes `expf`, ≤ 2 ulp, see [`exp_neg`]) and
//! the row maxima / sums are accumulated in 16 lanes; results agree to ~1e-6
//! relative (tests: forward, gradients, finite differences). Every loop has a
//! fixed order, so results are bit-identical across runs and thread counts.

pub mod attention_mean;
pub mod elementwise;
pub mod factor_attention;
pub mod gat_attention;
pub mod kernels;
pub mod signed_attention;
#[cfg(test)]
pub(super) mod tests;

pub use elementwise::{bias_add, leaky_relu, BiasAdd, LeakyRelu};
pub use factor_attention::{factor_attention_mean, FactorAttentionMean};
pub use gat_attention::{gat_attention, GatAttention};
pub use kernels::exp_neg;
pub use signed_attention::{signed_attention_mean, signed_attention_plain, SignedAttentionMean};

/// Negative slope of the LeakyReLU in the encoder, heads and factor attention.
pub const SLOPE: f64 = 0.01;
/// Negative slope inside GAT attention (Veličković et al.).
pub const GAT_SLOPE: f64 = 0.2;
