//! The layers of the deep models: stock-context encoder, graph attention,
//! deep-factor heads, factor attention, and the network that wires them
//! (DMFM, or the `mlp` / `mgat` baselines).
//!
//! Every layer takes a `VarBuilder` (its parameter names become the
//! safetensors keys) and has a `forward`. Shapes: n stocks of one date,
//! m input factors, h hidden units, K heads.

use candle_core::{DType, Device, Module, ModuleT, Result, Tensor, D};
use candle_nn::{ops, BatchNorm, BatchNormConfig, Linear, VarBuilder};

/// Negative slope of the LeakyReLU in the encoder, heads and factor attention.
pub const SLOPE: f64 = 0.01;
/// Negative slope inside GAT attention (Veličković et al.).
pub const GAT_SLOPE: f64 = 0.2;
/// Additive mask for pairs outside the graph.
const MASKED: f32 = -1e9;

/// A dense layer y = x Wᵀ + b with candle_nn's parameter names (`weight`
/// out × in, `bias` out) and initialisation, so saved weights are unchanged;
/// the bias add is the fused [`super::fused::bias_add`] (same bits as
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
        super::fused::bias_add(&x.matmul(&self.weight.t()?)?, &self.bias)
    }
}

/// LeakyReLU (the fused op of [`super::fused::leaky_relu`]).
fn lrelu(x: &Tensor, slope: f64) -> Result<Tensor> {
    super::fused::leaky_relu(x, slope)
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
    /// [`super::fused`]: the projection W h is a candle matmul, the rest one
    /// custom op with an analytic backward. Same result as [`Gat::forward`] /
    /// [`Gat::forward_blocks`] to float tolerance (tests); what the network runs.
    pub fn forward_fused(&self, h: &Tensor, blocks: &[(usize, usize)]) -> Result<Tensor> {
        let wh = self.w.forward(h)?; // n × (heads · out)
        super::fused::gat_attention(&wh, &self.a_src, &self.a_dst, self.heads, blocks)
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
    /// [`super::fused`] for the softmax and the mean.
    pub fn forward(&self, f: &Tensor) -> Result<(Tensor, Tensor)> {
        let a = super::fused::factor_attention_mean(&self.l.forward(f)?, self.k, self.m)?;
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
mod tests {
    use super::*;
    use candle_nn::VarMap;

    fn vb(map: &VarMap) -> VarBuilder<'_> {
        VarBuilder::from_varmap(map, DType::F32, &Device::Cpu)
    }

    fn set(map: &VarMap, name: &str, values: &[f32]) {
        let data = map.data().lock().expect("varmap lock");
        let v = data.get(name).unwrap_or_else(|| panic!("no var {name}"));
        let t = Tensor::from_slice(values, v.shape(), &Device::Cpu).unwrap();
        v.set(&t).unwrap();
    }

    fn grads_nonzero(map: &VarMap, loss: &Tensor, names: &[&str]) {
        let g = loss.backward().unwrap();
        let data = map.data().lock().unwrap();
        for n in names {
            let v = data.get(*n).unwrap();
            let gr = g
                .get(v.as_tensor())
                .unwrap_or_else(|| panic!("no grad for {n}"));
            let s: f32 = gr.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
            assert!(s > 0.0 && s.is_finite(), "gradient of {n} is {s}");
        }
    }

    fn input(n: usize, m: usize) -> Tensor {
        let v: Vec<f32> = (0..n * m)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0)
            .collect();
        Tensor::from_vec(v, (n, m), &Device::Cpu).unwrap()
    }

    #[test]
    fn test_encoder_shape_and_gradient() {
        let map = VarMap::new();
        let enc = Encoder::new(4, 6, vb(&map)).unwrap();
        let y = enc.forward(&input(5, 4), true).unwrap();
        assert_eq!(y.dims(), &[5, 6]);
        let loss = y.sqr().unwrap().sum_all().unwrap();
        grads_nonzero(
            &map,
            &loss,
            &["bn.weight", "l1.weight", "l1.bias", "l2.weight", "l2.bias"],
        );
    }

    /// A 3-stock, 1-head GAT with W = I (2 × 2), a_src = (1, 0), a_dst = (0, 1),
    /// computed by hand: e_ij = LeakyReLU(h_i[0] + h_j[1]).
    #[test]
    fn test_gat_hand_case() {
        let map = VarMap::new();
        let gat = Gat::new(2, 2, 1, vb(&map)).unwrap();
        set(&map, "w.weight", &[1.0, 0.0, 0.0, 1.0]);
        set(&map, "a_src", &[1.0, 0.0]);
        set(&map, "a_dst", &[0.0, 1.0]);
        let h = [[1.0f64, -1.0], [0.0, 2.0], [-2.0, 0.5]];
        let x = Tensor::from_vec(
            h.iter().flatten().map(|&v| v as f32).collect::<Vec<_>>(),
            (3, 2),
            &Device::Cpu,
        )
        .unwrap();
        let lrelu = |v: f64| if v > 0.0 { v } else { 0.2 * v };
        // expected, by the formula
        let mut expected = [[0.0f64; 2]; 3];
        for i in 0..3 {
            let e: Vec<f64> = (0..3).map(|j| lrelu(h[i][0] + h[j][1])).collect();
            let z: f64 = e.iter().map(|v| v.exp()).sum();
            for j in 0..3 {
                let a = e[j].exp() / z;
                expected[i][0] += a * h[j][0];
                expected[i][1] += a * h[j][1];
            }
        }
        // row 0 by hand: e = (lrelu(0), lrelu(3), lrelu(1.5)) = (0, 3, 1.5)
        let z = 1.0 + 3f64.exp() + 1.5f64.exp();
        let a = [1.0 / z, 3f64.exp() / z, 1.5f64.exp() / z];
        let row0 = [a[0] - 2.0 * a[2], -a[0] + 2.0 * a[1] + 0.5 * a[2]];
        assert!((row0[0] - expected[0][0]).abs() < 1e-12);
        assert!((row0[1] - expected[0][1]).abs() < 1e-12);
        let got: Vec<Vec<f32>> = gat.forward(&x, None).unwrap().to_vec2().unwrap();
        for i in 0..3 {
            for j in 0..2 {
                assert!(
                    (f64::from(got[i][j]) - expected[i][j]).abs() < 1e-5,
                    "({i},{j}): {} vs {}",
                    got[i][j],
                    expected[i][j]
                );
            }
        }
        // masked to blocks {0,1} and {2}: stock 2 attends only to itself
        let mask = block_mask(&[(0, 2), (2, 1)], 3, &Device::Cpu).unwrap();
        let got: Vec<Vec<f32>> = gat.forward(&x, Some(&mask)).unwrap().to_vec2().unwrap();
        assert!((got[2][0] + 2.0).abs() < 1e-6 && (got[2][1] - 0.5).abs() < 1e-6);
        let e0 = [lrelu(h[0][0] + h[0][1]), lrelu(h[0][0] + h[1][1])];
        let a0 = e0[0].exp() / (e0[0].exp() + e0[1].exp());
        let x00 = a0 * h[0][0] + (1.0 - a0) * h[1][0];
        assert!((f64::from(got[0][0]) - x00).abs() < 1e-5);
    }

    #[test]
    fn test_gat_block_equals_masked_and_gradients() {
        let map = VarMap::new();
        let gat = Gat::new(3, 4, 2, vb(&map)).unwrap();
        set(&map, "a_src", &[0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.3, 0.7]);
        set(&map, "a_dst", &[0.1, 0.6, -0.3, 0.2, 0.5, -0.1, 0.2, -0.6]);
        let x = input(7, 3);
        let blocks = [(0, 3), (3, 1), (4, 3)];
        let a = gat.forward_blocks(&x, &blocks).unwrap();
        let mask = block_mask(&blocks, 7, &Device::Cpu).unwrap();
        let b = gat.forward(&x, Some(&mask)).unwrap();
        assert_eq!(a.dims(), &[7, 4]);
        let diff: f32 = (a.clone() - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert!(diff < 1e-5, "block vs masked differ by {diff}");
        let loss = a.sqr().unwrap().sum_all().unwrap();
        grads_nonzero(&map, &loss, &["w.weight", "a_src", "a_dst"]);
    }

    #[test]
    fn test_linear_heads_are_affine_and_leaky_heads_squash_negatives() {
        // 2 inputs → 2 heads, W (K × input) = [[1, -2], [0.5, 3]], b = [0.25, -1].
        let w = [1.0f32, -2.0, 0.5, 3.0];
        let b = [0.25f32, -1.0];
        let x = [[1.0f32, 2.0], [-1.0, 0.5], [4.0, -1.0]];
        // Wᵀx + b by hand: row i, head k = Σ_j W[k][j] x[i][j] + b[k].
        let want: Vec<Vec<f32>> = x
            .iter()
            .map(|r| {
                (0..2)
                    .map(|k| w[2 * k] * r[0] + w[2 * k + 1] * r[1] + b[k])
                    .collect()
            })
            .collect();
        assert_eq!(
            want,
            vec![vec![-2.75, 5.5], vec![-1.75, -0.0], vec![6.25, -2.0]]
        );
        let xt = Tensor::from_slice(&x.concat(), (3, 2), &Device::Cpu).unwrap();
        for act in [HeadActivation::Linear, HeadActivation::LeakyRelu] {
            let map = VarMap::new();
            let heads = Heads::new(2, 2, act, vb(&map).pp("heads")).unwrap();
            set(&map, "heads.weight", &w);
            set(&map, "heads.bias", &b);
            let got: Vec<Vec<f32>> = heads.forward(&xt).unwrap().to_vec2().unwrap();
            for (gr, wr) in got.iter().zip(&want) {
                for (&g, &z) in gr.iter().zip(wr) {
                    let expect = match act {
                        HeadActivation::Linear => z,
                        HeadActivation::LeakyRelu if z < 0.0 => 0.01 * z,
                        HeadActivation::LeakyRelu => z,
                    };
                    assert!((g - expect).abs() < 1e-6, "{act:?}: {g} vs {expect}");
                }
            }
        }
    }

    #[test]
    fn test_heads_and_factor_attention_shapes_gradients_and_formula() {
        let map = VarMap::new();
        let heads = Heads::new(6, 3, HeadActivation::LeakyRelu, vb(&map).pp("heads")).unwrap();
        let att = FactorAttention::new(4, 3, vb(&map).pp("att")).unwrap();
        let x = input(5, 4);
        let f = heads.forward(&input(5, 6)).unwrap();
        assert_eq!(f.dims(), &[5, 3]);
        let (a, fhat) = att.forward(&x).unwrap();
        assert_eq!(a.dims(), &[3, 4]);
        assert_eq!(fhat.dims(), &[5, 3]);
        // each head's mean attention sums to 1 over the factors
        let sums: Vec<f32> = a.sum(1).unwrap().to_vec1().unwrap();
        for s in sums {
            assert!((s - 1.0).abs() < 1e-5);
        }
        // f̂ = F ā, recomputed directly
        let av: Vec<Vec<f32>> = a.to_vec2().unwrap();
        let xv: Vec<Vec<f32>> = x.to_vec2().unwrap();
        let fv: Vec<Vec<f32>> = fhat.to_vec2().unwrap();
        for i in 0..5 {
            for k in 0..3 {
                let d: f32 = (0..4).map(|j| xv[i][j] * av[k][j]).sum();
                assert!((d - fv[i][k]).abs() < 1e-5);
            }
        }
        let loss =
            (f.sqr().unwrap().sum_all().unwrap() + fhat.sqr().unwrap().sum_all().unwrap()).unwrap();
        grads_nonzero(
            &map,
            &loss,
            &["heads.weight", "heads.bias", "att.weight", "att.bias"],
        );
    }

    #[test]
    fn test_network_shapes_and_gradients_each_arch() {
        for (arch, names) in [
            (Arch::Mlp, vec!["encoder.l1.weight", "heads.weight"]),
            (
                Arch::Mgat,
                vec!["encoder.l1.weight", "universe_gat.w.weight", "heads.weight"],
            ),
            (
                Arch::Dmfm,
                vec![
                    "encoder.l1.weight",
                    "industry_gat.w.weight",
                    "universe_gat.w.weight",
                    "heads.weight",
                    "factor_attention.weight",
                ],
            ),
        ] {
            for mode in [IndustryGatMode::Block, IndustryGatMode::Masked] {
                let map = VarMap::new();
                let net = Network::new(arch, 4, 8, 5, 2, mode, HeadActivation::default(), vb(&map))
                    .unwrap();
                let out = net.forward(&input(9, 4), &[(0, 4), (4, 5)], true).unwrap();
                assert_eq!(out.f.dims(), &[9, 5]);
                let mut loss = out.f.sqr().unwrap().sum_all().unwrap();
                if let Some(fh) = &out.fhat {
                    assert_eq!(fh.dims(), &[9, 5]);
                    loss = (loss + fh.sqr().unwrap().sum_all().unwrap()).unwrap();
                }
                grads_nonzero(&map, &loss, &names);
            }
        }
    }
}
