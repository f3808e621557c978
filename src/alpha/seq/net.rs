//! The two sequence networks on a time-major input `T × n × F`: `gru`
//! (stacked GRU → last state → dense + LeakyReLU → K heads) and `alstm`
//! (tanh input projection → stacked LSTM → temporal attention → heads on
//! [last state ‖ attended state]). The recurrent layers run as the fused ops
//! of [`super::ops`] (and the dense layers' bias and tanh fused), or
//! (`fused = false`, the test reference) as a plain step-by-step candle
//! composition with candle's autograd.
//!
//! ALSTM, after Qlib's `pytorch_alstm.py` (written anew here): with the LSTM
//! states h_1..h_T, `s_t = w₂ᵀ tanh(W₁ h_t + b₁)` (W₁: H → H/2, no bias in
//! w₂), `α = softmax_t(s)`, `a = Σ_t α_t h_t`, output `W_o [h_T ‖ a] + b_o`.

use super::ops::{bias_tanh, gru_layer, lstm_layer};
use crate::alpha::deep::ops::bias_add;
use candle_core::{Result, Tensor, D};
use candle_nn::VarBuilder;

/// Negative slope of the LeakyReLU after the GRU's dense layer.
const SLOPE: f64 = 0.01;

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqArch {
    Gru,
    Alstm,
}

impl SeqArch {
    /// The spec's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            SeqArch::Gru => "gru",
            SeqArch::Alstm => "alstm",
        }
    }
    /// Default hidden size (the broker report's GRU(50), Qlib's ALSTM 64).
    pub fn default_hidden(self) -> usize {
        match self {
            SeqArch::Gru => 50,
            SeqArch::Alstm => 64,
        }
    }
    fn gates(self) -> usize {
        match self {
            SeqArch::Gru => 3,
            SeqArch::Alstm => 4,
        }
    }
}

/// Sizes of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqSizes {
    pub features: usize,
    pub hidden: usize,
    pub layers: usize,
    /// Units of the GRU's dense layer (unused by `alstm`).
    pub dense: usize,
    pub heads: usize,
}

/// One recurrent layer's weights: `w` = W_ih over W_hh ((I + H) × G) and
/// the bias (GRU: 2 × 3H, b_ih and b_hh; LSTM: 4H).
struct Recurrent {
    w: Tensor,
    b: Tensor,
}

/// A dense layer `x·w + b` (`w`: in × out).
struct Dense {
    w: Tensor,
    b: Tensor,
}

impl Dense {
    fn new(vb: &VarBuilder, name: &str, input: usize, out: usize) -> Result<Self> {
        Ok(Dense {
            w: vb.get((input, out), &format!("{name}.w"))?,
            b: vb.get(out, &format!("{name}.b"))?,
        })
    }
    /// On the last dimension of a 2- or 3-dimensional input; `tanh`: the
    /// activation (fused with the bias, or plain candle ops when not `fused`).
    fn forward(&self, x: &Tensor, tanh: bool, fused: bool) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let last = dims[dims.len() - 1];
        let rows = x.elem_count() / last;
        let xw = x.reshape((rows, last))?.matmul(&self.w)?;
        let y = match (tanh, fused) {
            (true, true) => bias_tanh(&xw, &self.b)?,
            (true, false) => xw.broadcast_add(&self.b)?.tanh()?,
            (false, true) => bias_add(&xw, &self.b)?,
            (false, false) => xw.broadcast_add(&self.b)?,
        };
        let mut out = dims;
        *out.last_mut().expect("non-empty dims") = self.w.dim(1)?;
        y.reshape(out)
    }
}

/// A `gru` or `alstm` network.
pub struct SeqNet {
    arch: SeqArch,
    sizes: SeqSizes,
    fc_in: Option<Dense>,
    rnn: Vec<Recurrent>,
    att: Option<(Dense, Tensor)>,
    dense: Option<Dense>,
    out: Dense,
}

impl SeqNet {
    /// Declares the variables (names: `fc_in.*`, `rnn{l}.*`, `att.*`,
    /// `dense.*`, `out.*`); their values are set by the model's seeded init.
    pub fn new(arch: SeqArch, sizes: SeqSizes, vb: VarBuilder) -> Result<Self> {
        let (h, g) = (sizes.hidden, arch.gates() * sizes.hidden);
        let fc_in = match arch {
            SeqArch::Alstm => Some(Dense::new(&vb, "fc_in", sizes.features, h)?),
            SeqArch::Gru => None,
        };
        let mut rnn = Vec::new();
        for l in 0..sizes.layers {
            let input = if l == 0 && arch == SeqArch::Gru {
                sizes.features
            } else {
                h
            };
            let b = match arch {
                SeqArch::Gru => vb.get((2, g), &format!("rnn{l}.b"))?,
                SeqArch::Alstm => vb.get(g, &format!("rnn{l}.b"))?,
            };
            rnn.push(Recurrent {
                w: vb.get((input + h, g), &format!("rnn{l}.w"))?,
                b,
            });
        }
        let (att, dense, out) = match arch {
            SeqArch::Alstm => {
                let half = (h / 2).max(1);
                let att = (
                    Dense::new(&vb, "att.fc", h, half)?,
                    vb.get((half, 1), "att.w_out")?,
                );
                (Some(att), None, Dense::new(&vb, "out", 2 * h, sizes.heads)?)
            }
            SeqArch::Gru => (
                None,
                Some(Dense::new(&vb, "dense", h, sizes.dense)?),
                Dense::new(&vb, "out", sizes.dense, sizes.heads)?,
            ),
        };
        Ok(SeqNet {
            arch,
            sizes,
            fc_in,
            rnn,
            att,
            dense,
            out,
        })
    }

    /// `x` (T × n × F) → n × K. `train` keeps the fused ops' gates for a
    /// backward pass; `fused = false` runs the plain reference.
    pub fn forward(&self, x: &Tensor, train: bool, fused: bool) -> Result<Tensor> {
        let mut h = match &self.fc_in {
            Some(fc) => fc.forward(x, true, fused)?,
            None => x.clone(),
        };
        for layer in &self.rnn {
            let (w, b) = (&layer.w, &layer.b);
            h = match (self.arch, fused) {
                (SeqArch::Gru, true) => gru_layer(&h, w, b, train)?,
                (SeqArch::Gru, false) => plain_gru(&h, w, b)?,
                (SeqArch::Alstm, true) => lstm_layer(&h, w, b, train)?,
                (SeqArch::Alstm, false) => plain_lstm(&h, w, b)?,
            };
        }
        let steps = h.dim(0)?;
        let last = h.get(steps - 1)?;
        match self.arch {
            SeqArch::Gru => {
                let d = self.dense.as_ref().expect("gru has a dense layer");
                let z = candle_nn::ops::leaky_relu(&d.forward(&last, false, fused)?, SLOPE)?;
                self.out.forward(&z, false, fused)
            }
            SeqArch::Alstm => {
                let (fc, w_out) = self.att.as_ref().expect("alstm has attention");
                let (_, n, hd) = h.dims3()?;
                let s = fc
                    .forward(&h, true, fused)?
                    .reshape((steps * n, ()))?
                    .matmul(w_out)?
                    .reshape((steps, n))?;
                let att = if fused {
                    // stock-major: a softmax over each row and one n × (1 × T)
                    // · (T × H) batched product (no strided reduction over T)
                    let alpha = candle_nn::ops::softmax(&s.t()?.contiguous()?, D::Minus1)?;
                    let h_stock = h.transpose(0, 1)?.contiguous()?;
                    alpha.unsqueeze(1)?.matmul(&h_stock)?.squeeze(1)?
                } else {
                    let alpha = candle_nn::ops::softmax(&s, 0)?;
                    h.broadcast_mul(&alpha.unsqueeze(D::Minus1)?)?.sum(0)?
                };
                debug_assert_eq!(att.dims(), &[n, hd]);
                self.out
                    .forward(&Tensor::cat(&[&last, &att], 1)?, false, fused)
            }
        }
    }

    pub fn sizes(&self) -> SeqSizes {
        self.sizes
    }
}

/// The GRU layer as plain candle ops, step by step (the test reference);
/// arguments as [`gru_layer`].
pub fn plain_gru(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (xp, w_hh) = plain_projection(x, w)?;
    let (steps, n, g) = xp.dims3()?;
    let hd = g / 3;
    let (b_ih, b_hh) = (b.get(0)?, b.get(1)?);
    let mut h = Tensor::zeros((n, hd), xp.dtype(), xp.device())?;
    let mut out = Vec::with_capacity(steps);
    for t in 0..steps {
        let x = xp.get(t)?.broadcast_add(&b_ih)?;
        let a = h.matmul(&w_hh)?.broadcast_add(&b_hh)?;
        let part = |m: &Tensor, k: usize| m.narrow(1, k * hd, hd);
        let r = candle_nn::ops::sigmoid(&(part(&x, 0)? + part(&a, 0)?)?)?;
        let z = candle_nn::ops::sigmoid(&(part(&x, 1)? + part(&a, 1)?)?)?;
        let nn = (part(&x, 2)? + (&r * part(&a, 2)?)?)?.tanh()?;
        h = ((z.affine(-1.0, 1.0)? * nn)? + (&z * &h)?)?;
        out.push(h.clone());
    }
    Tensor::stack(&out, 0)
}

/// The LSTM layer as plain candle ops, step by step (the test reference);
/// arguments as [`lstm_layer`].
pub fn plain_lstm(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (xp, w_hh) = plain_projection(x, w)?;
    let (steps, n, g) = xp.dims3()?;
    let hd = g / 4;
    let mut h = Tensor::zeros((n, hd), xp.dtype(), xp.device())?;
    let mut c = h.clone();
    let mut out = Vec::with_capacity(steps);
    for t in 0..steps {
        let p = (xp.get(t)?.broadcast_add(b)? + h.matmul(&w_hh)?)?;
        let part = |k: usize| p.narrow(1, k * hd, hd);
        let i = candle_nn::ops::sigmoid(&part(0)?)?;
        let f = candle_nn::ops::sigmoid(&part(1)?)?;
        let gg = part(2)?.tanh()?;
        let o = candle_nn::ops::sigmoid(&part(3)?)?;
        c = ((f * &c)? + (i * gg)?)?;
        h = (o * c.tanh()?)?;
        out.push(h.clone());
    }
    Tensor::stack(&out, 0)
}

/// x·W_ih for all steps (T × n × G) and W_hh, from `w` = W_ih over W_hh.
fn plain_projection(x: &Tensor, w: &Tensor) -> Result<(Tensor, Tensor)> {
    let (steps, n, input) = x.dims3()?;
    let rows = w.dim(0)?;
    let w_ih = w.narrow(0, 0, input)?;
    let w_hh = w.narrow(0, input, rows - input)?;
    let xp = x
        .reshape((steps * n, input))?
        .matmul(&w_ih)?
        .reshape((steps, n, ()))?;
    Ok((xp, w_hh))
}
