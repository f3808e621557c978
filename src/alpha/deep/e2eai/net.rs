//! The E2EAI network: stochastic factor gates after the DMFM's BatchNorm,
//! the DMFM's encoder and relational neutralisation (industry and universe
//! GAT), linear multi-horizon heads, and the directional (signed) attention
//! that explains each deep factor by the input factors.
//!
//! Shapes: n stocks of one date, m input factors, h hidden units, K heads.

use super::super::layers::{block_mask, dense, Dense, Gat, HeadActivation, Heads, SLOPE};
use super::super::ops;
use crate::spec::IndustryGatMode;
use candle_core::{DType, Module, ModuleT, Result, Tensor};
use candle_nn::{BatchNorm, BatchNormConfig, VarBuilder};

/// The outputs of one date.
pub struct Output {
    /// n × K deep factors.
    pub f: Tensor,
    /// n × K attention estimates F ā_k.
    pub fhat: Tensor,
    /// K × m signed attention ā: the mean over stocks of tanh(u)/Σ|tanh(u)|,
    /// rescaled to Σ_j |ā_kj| = 1.
    pub attention: Tensor,
}

/// The whole E2EAI network (parameter names are the safetensors keys:
/// `gate.mu`, `encoder.{bn,l1,l2}`, `industry_gat`, `universe_gat`, `heads`,
/// `directional`).
#[derive(Debug, Clone)]
pub struct Net {
    /// μ (m): the gate means; gate_j = clamp(μ_j + σ ε, 0, 1).
    mu: Tensor,
    sigma: f64,
    norm: BatchNorm,
    l1: Dense,
    l2: Dense,
    industry: Gat,
    universe: Gat,
    heads: Heads,
    directional: Dense,
    k: usize,
    m: usize,
    mode: IndustryGatMode,
    fused: bool,
}

impl Net {
    /// `m` factors, `h` hidden units, `k` heads, `gat_heads` per GAT layer,
    /// gate noise `sigma`.
    pub fn new(
        m: usize,
        h: usize,
        k: usize,
        gat_heads: usize,
        mode: IndustryGatMode,
        sigma: f64,
        vb: VarBuilder,
    ) -> Result<Self> {
        let bn = BatchNormConfig {
            eps: 1e-5,
            remove_mean: true,
            affine: true,
            momentum: 0.1,
        };
        let enc = vb.pp("encoder");
        Ok(Net {
            mu: vb
                .pp("gate")
                .get_with_hints(m, "mu", candle_nn::Init::Const(0.5))?,
            sigma,
            norm: candle_nn::batch_norm(m, bn, enc.pp("bn"))?,
            l1: dense(m, h, enc.pp("l1"))?,
            l2: dense(h, h, enc.pp("l2"))?,
            industry: Gat::new(h, h, gat_heads, vb.pp("industry_gat"))?,
            universe: Gat::new(h, h, gat_heads, vb.pp("universe_gat"))?,
            heads: Heads::new(3 * h, k, HeadActivation::Linear, vb.pp("heads"))?,
            directional: dense(m, k * m, vb.pp("directional"))?,
            k,
            m,
            mode,
            fused: true,
        })
    }

    /// Plain candle ops instead of the fused GAT and signed-attention ops
    /// (the reference of the tests).
    pub fn with_plain_ops(mut self) -> Self {
        self.fused = false;
        self
    }

    /// The gate means μ (m).
    pub fn gate_means(&self) -> &Tensor {
        &self.mu
    }

    /// The scoring gates clamp(μ, 0, 1) (m).
    pub fn gates(&self) -> Result<Tensor> {
        self.mu.clamp(0f32, 1f32)
    }

    /// Gates per stock and factor (n × m): clamp(μ + σ ε, 0, 1), with ε
    /// (n × m, standard normal) in training and none at scoring. The clamp's
    /// gradient is 1 inside (0, 1) and 0 outside (masks on the detached value).
    fn gate_matrix(&self, n: usize, noise: Option<&Tensor>) -> Result<Tensor> {
        let mu = self.mu.unsqueeze(0)?.broadcast_as((n, self.m))?;
        let z = match noise {
            Some(e) => mu.broadcast_add(&(e * self.sigma)?)?,
            None => mu.contiguous()?,
        };
        let zd = z.detach();
        let inside = (zd.gt(0f32)?.to_dtype(DType::F32)? * zd.lt(1f32)?.to_dtype(DType::F32)?)?;
        let above = zd.ge(1f32)?.to_dtype(DType::F32)?;
        (z * inside)? + above
    }

    /// One date: `x` n × m (rows sorted by industry), `blocks` its industry
    /// blocks, `noise` the gates' training noise (n × m) or none.
    pub fn forward(
        &self,
        x: &Tensor,
        blocks: &[(usize, usize)],
        noise: Option<&Tensor>,
        train: bool,
    ) -> Result<Output> {
        let n = x.dim(0)?;
        let z = self.norm.forward_t(x, train)?;
        let z = (z * self.gate_matrix(n, noise)?)?;
        let z = ops::leaky_relu(&self.l1.forward(&z)?, SLOPE)?;
        let c = ops::leaky_relu(&self.l2.forward(&z)?, SLOPE)?;
        let hi = match self.mode {
            IndustryGatMode::Block if self.fused => self.industry.forward_fused(&c, blocks)?,
            IndustryGatMode::Block => self.industry.forward_blocks(&c, blocks)?,
            IndustryGatMode::Masked => {
                let mask = block_mask(blocks, n, c.device())?;
                self.industry.forward(&c, Some(&mask))?
            }
        };
        let ci = (&c - hi)?;
        let hu = if self.fused {
            self.universe.forward_fused(&ci, &[(0, n)])?
        } else {
            self.universe.forward(&ci, None)?
        };
        let cu = (&ci - hu)?;
        let f = self.heads.forward(&Tensor::cat(&[&c, &ci, &cu], 1)?)?;
        let u = self.directional.forward(x)?;
        let attention = if self.fused {
            ops::signed_attention_mean(&u, self.k, self.m)?
        } else {
            ops::signed_attention_plain(&u, self.k, self.m)?
        };
        // Σ_j |ā_kj| = 1: per-stock directions partly cancel in the mean, so
        // the mean alone is small; its direction is what explains f.
        let attention = attention.broadcast_div(&(attention.abs()?.sum_keepdim(1)? + 1e-12)?)?;
        let fhat = x.matmul(&attention.t()?)?;
        Ok(Output { f, fhat, attention })
    }
}
