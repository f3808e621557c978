//! The layers of the deep models: stock-context encoder, graph attention,
//! deep-factor heads, factor attention, and the network that wires them
//! (DMFM, or the `mlp` / `mgat` baselines).
//!
//! Every layer takes a `VarBuilder` (its parameter names become the
//! safetensors keys) and has a `forward`. Shapes: n stocks of one date,
//! m input factors, h hidden units, K heads.

use candle_core::{DType, Device, Module, ModuleT, Result, Tensor, D};
use candle_nn::{ops, BatchNorm, BatchNormConfig, Linear, VarBuilder};

pub use super::ops::{GAT_SLOPE, SLOPE};
/// Additive mask for pairs outside the graph.
const MASKED: f32 = -1e9;

/// A dense layer y = x Wᵀ + b with candle_nn's parameter names (`weight`
/// out × in, `bias` out) and initialisation, so saved weights are unchanged;
/// the bias add is the fused [`super::ops::bias_add`] (same bits as
/// `candle_nn::Linear`, faster backward).
#[derive(Debug, Clone)]
pub struct Dense {
    weight: Tensor,
    bias: Tensor,
}

/// A [`Dense`] layer from `vb` (as `candle_nn::linear`).
pub fn dense(input: usize, out: usize, vb: VarBuilder) -> Result<Dense> {
    let l = candle_nn::linear(input, out, vb)?;
    Ok(Dense {
        weight: l.weight().clone(),
        bias: l.bias().expect("linear has a bias").clone(),
    })
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        super::ops::bias_add(&x.matmul(&self.weight.t()?)?, &self.bias)
    }
}

/// LeakyReLU (the fused op of [`super::ops::leaky_relu`]).
fn lrelu(x: &Tensor, slope: f64) -> Result<Tensor> {
    super::ops::leaky_relu(x, slope)
}

/// C = MLP(BatchNorm(F)): BatchNorm over the stocks of a date, then two
/// Linear + LeakyReLU layers to h units.
#[derive(Debug, Clone)]
pub struct Encoder {
    norm: BatchNorm,
    l1: Dense,
    l2: Dense,
}

impl Encoder {
    pub fn new(m: usize, h: usize, vb: VarBuilder) -> Result<Self> {
        let cfg = BatchNormConfig {
            eps: 1e-5,
            remove_mean: true,
            affine: true,
            momentum: 0.1,
        };
        Ok(Encoder {
            norm: candle_nn::batch_norm(m, cfg, vb.pp("bn"))?,
            l1: dense(m, h, vb.pp("l1"))?,
            l2: dense(h, h, vb.pp("l2"))?,
        })
    }
    /// `x`: n × m → n × h.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let z = self.norm.forward_t(x, train)?;
        let z = lrelu(&self.l1.forward(&z)?, SLOPE)?;
        lrelu(&self.l2.forward(&z)?, SLOPE)
    }
}

/// Graph attention (Veličković et al. 2018): per head,
/// e_ij = LeakyReLU(a_srcᵀ W h_i + a_dstᵀ W h_j) (= aᵀ[Wh_i ‖ Wh_j]),
/// α = softmax over the neighbours j of i, out_i = Σ_j α_ij W h_j; heads are
/// averaged. No output activation: the output is the "influence" H that the
/// DMFM subtracts.
#[derive(Debug, Clone)]
pub struct Gat {
    w: Linear,
    a_src: Tensor,
    a_dst: Tensor,
    heads: usize,
    out: usize,
}

impl Gat {
    pub fn new(input: usize, out: usize, heads: usize, vb: VarBuilder) -> Result<Self> {
        let w = candle_nn::linear_no_bias(input, heads * out, vb.pp("w"))?;
        let init = candle_nn::Init::Const(0.0);
        Ok(Gat {
            w,
            a_src: vb.get_with_hints((heads, out), "a_src", init)?,
            a_dst: vb.get_with_hints((heads, out), "a_dst", init)?,
            heads,
            out,
        })
    }

    /// Attention weights `(heads, n, n)` and `W h` as `(heads, n, out)`.
    pub fn attention(&self, h: &Tensor, mask: Option<&Tensor>) -> Result<(Tensor, Tensor)> {
        let n = h.dim(0)?;
        let wh = self
            .w
            .forward(h)?
            .reshape((n, self.heads, self.out))?
            .transpose(0, 1)?
            .contiguous()?; // (H, n, o)
        let s_src = wh.broadcast_mul(&self.a_src.unsqueeze(1)?)?.sum(2)?; // (H, n): i's part
        let s_dst = wh.broadcast_mul(&self.a_dst.unsqueeze(1)?)?.sum(2)?; // (H, n): j's part
        let e = s_src.unsqueeze(2)?.broadcast_add(&s_dst.unsqueeze(1)?)?; // (H, n, n)
        let mut e = ops::leaky_relu(&e, GAT_SLOPE)?;
        if let Some(m) = mask {
            e = e.broadcast_add(m)?;
        }
        Ok((ops::softmax(&e, D::Minus1)?, wh))
    }

    /// Full (or masked) attention over all n stocks with plain tensor ops:
    /// n × input → n × out.
    pub fn forward(&self, h: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (alpha, wh) = self.attention(h, mask)?;
        alpha.matmul(&wh)?.mean(0)
    }

    /// Attention over a union of cliques given as contiguous (start, len) row
    /// blocks (one block (0, n) = the full graph) with the fused op of
    /// [`super::ops`]: the projection W h is a candle matmul, the rest one
    /// custom op with an analytic backward. Same result as [`Gat::forward`] /
    /// [`Gat::forward_blocks`] to float tolerance (tests); what the network runs.
    pub fn forward_fused(&self, h: &Tensor, blocks: &[(usize, usize)]) -> Result<Tensor> {
        let wh = self.w.forward(h)?; // n × (heads · out)
        super::ops::gat_attention(&wh, &self.a_src, &self.a_dst, self.heads, blocks)
    }

    /// Block-wise attention with plain tensor ops (the reference of
    /// [`Gat::forward_fused`]): the graph is a union of cliques given as
    /// contiguous (start, len) row blocks; each block attends only within itself.
    pub fn forward_blocks(&self, h: &Tensor, blocks: &[(usize, usize)]) -> Result<Tensor> {
        let parts = blocks
            .iter()
            .map(|&(s, l)| self.forward(&h.narrow(0, s, l)?, None))
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&parts, 0)
    }
}

/// The n × n additive mask of the industry graph (0 inside a block, −1e9 outside).
pub fn block_mask(blocks: &[(usize, usize)], n: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![MASKED; n * n];
    for &(s, l) in blocks {
        for i in s..s + l {
            m[i * n + s..i * n + s + l].fill(0.0);
        }
    }
    Tensor::from_vec(m, (n, n), device)
}

/// K deep-factor heads: f_k = act(W_kᵀ x + b_k), one Linear with K outputs,
/// act = LeakyReLU (default) or identity.
#[derive(Debug, Clone)]
pub struct Heads {
    l: Dense,
    activation: HeadActivation,
}

impl Heads {
    pub fn new(input: usize, k: usize, activation: HeadActivation, vb: VarBuilder) -> Result<Self> {
        Ok(Heads {
            l: dense(input, k, vb)?,
            activation,
        })
    }
    /// n × input → n × K.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let z = self.l.forward(x)?;
        match self.activation {
            HeadActivation::LeakyRelu => lrelu(&z, SLOPE),
            HeadActivation::Linear => Ok(z),
        }
    }
}

/// Factor attention per head: U_k = LeakyReLU(W_{a,k} F) (n × m), A_k =
/// softmax over factors, ā_k = mean over stocks, f̂_k = F ā_k.
#[derive(Debug, Clone)]
pub struct FactorAttention {
    l: Dense,
    k: usize,
    m: usize,
}

impl FactorAttention {
    pub fn new(m: usize, k: usize, vb: VarBuilder) -> Result<Self> {
        Ok(FactorAttention {
            l: dense(m, k * m, vb)?,
            k,
            m,
        })
    }
    /// `f`: n × m → (ā: K × m, f̂: n × K), with the fused op of
    /// [`super::ops`] for the softmax and the mean.
    pub fn forward(&self, f: &Tensor) -> Result<(Tensor, Tensor)> {
        let a = super::ops::factor_attention_mean(&self.l.forward(f)?, self.k, self.m)?;
        let fhat = f.matmul(&a.t()?)?;
        Ok((a, fhat))
    }

    /// [`FactorAttention::forward`] in plain tensor ops (the reference).
    pub fn forward_plain(&self, f: &Tensor) -> Result<(Tensor, Tensor)> {
        let n = f.dim(0)?;
        let u = ops::leaky_relu(&self.l.forward(f)?, SLOPE)?.reshape((n, self.k, self.m))?;
        let a = ops::softmax(&u, D::Minus1)?.mean(0)?; // K × m
        let fhat = f.matmul(&a.t()?)?;
        Ok((a, fhat))
    }
}

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// Encoder + heads.
    Mlp,
    /// Encoder + universe GAT + heads on [C ‖ C − H_U].
    Mgat,
    /// The full DMFM.
    Dmfm,
}

pub use crate::spec::{HeadActivation, IndustryGatMode};
/// The outputs of one date.
pub struct Output {
    /// n × K deep factors.
    pub f: Tensor,
    /// n × K attention estimates (DMFM only).
    pub fhat: Option<Tensor>,
    /// K × m mean attention (DMFM only).
    pub attention: Option<Tensor>,
}

/// The whole network.
#[derive(Debug, Clone)]
pub struct Network {
    arch: Arch,
    encoder: Encoder,
    industry: Option<Gat>,
    universe: Option<Gat>,
    heads: Heads,
    attention: Option<FactorAttention>,
    mode: IndustryGatMode,
    fused: bool,
}

impl Network {
    /// Sizes and switches mirror `DeepConfig` one-for-one.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        arch: Arch,
        m: usize,
        h: usize,
        k: usize,
        gat_heads: usize,
        mode: IndustryGatMode,
        head_activation: HeadActivation,
        vb: VarBuilder,
    ) -> Result<Self> {
        let encoder = Encoder::new(m, h, vb.pp("encoder"))?;
        let (industry, universe, width, attention) = match arch {
            Arch::Mlp => (None, None, h, None),
            Arch::Mgat => (
                None,
                Some(Gat::new(h, h, gat_heads, vb.pp("universe_gat"))?),
                2 * h,
                None,
            ),
            Arch::Dmfm => (
                Some(Gat::new(h, h, gat_heads, vb.pp("industry_gat"))?),
                Some(Gat::new(h, h, gat_heads, vb.pp("universe_gat"))?),
                3 * h,
                Some(FactorAttention::new(m, k, vb.pp("factor_attention"))?),
            ),
        };
        Ok(Network {
            arch,
            encoder,
            industry,
            universe,
            heads: Heads::new(width, k, head_activation, vb.pp("heads"))?,
            attention,
            mode,
            fused: true,
        })
    }

    /// Runs the GAT layers and the factor attention with plain tensor ops
    /// instead of the fused ops (the reference implementation; for tests and
    /// the speed benchmark).
    pub fn with_plain_gat(mut self) -> Self {
        self.fused = false;
        self
    }

    /// The universe GAT: all rows attend to all rows.
    fn universe_gat(&self, h: &Tensor) -> Result<Tensor> {
        let gat = self.universe.as_ref().expect("mgat or dmfm");
        if self.fused {
            gat.forward_fused(h, &[(0, h.dim(0)?)])
        } else {
            gat.forward(h, None)
        }
    }

    /// One date: `x` n × m (rows sorted by industry), `blocks` its industry blocks.
    pub fn forward(&self, x: &Tensor, blocks: &[(usize, usize)], train: bool) -> Result<Output> {
        let c = self.encoder.forward(x, train)?;
        let features = match self.arch {
            Arch::Mlp => c,
            Arch::Mgat => {
                let hu = self.universe_gat(&c)?;
                let cu = (&c - hu)?;
                Tensor::cat(&[&c, &cu], 1)?
            }
            Arch::Dmfm => {
                let gat = self.industry.as_ref().expect("dmfm");
                let hi = match self.mode {
                    IndustryGatMode::Block if self.fused => gat.forward_fused(&c, blocks)?,
                    IndustryGatMode::Block => gat.forward_blocks(&c, blocks)?,
                    IndustryGatMode::Masked => {
                        let mask = block_mask(blocks, c.dim(0)?, c.device())?;
                        gat.forward(&c, Some(&mask))?
                    }
                };
                let ci = (&c - hi)?;
                let hu = self.universe_gat(&ci)?;
                let cu = (&ci - hu)?;
                Tensor::cat(&[&c, &ci, &cu], 1)?
            }
        };
        let f = self.heads.forward(&features)?;
        let (attention, fhat) = match &self.attention {
            Some(a) => {
                let (w, fhat) = if self.fused {
                    a.forward(x)?
                } else {
                    a.forward_plain(x)?
                };
                (Some(w), Some(fhat))
            }
            None => (None, None),
        };
        Ok(Output { f, fhat, attention })
    }
}

/// A `rows × cols` f32 tensor from a slice.
pub fn matrix(v: &[f32], rows: usize, cols: usize, device: &Device) -> Result<Tensor> {
    Tensor::from_slice(v, (rows, cols), device)?.to_dtype(DType::F32)
}

#[cfg(test)]
mod tests;
