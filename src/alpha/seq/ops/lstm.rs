//! The fused LSTM layer: a `CustomOp3` over the whole sequence with an
//! analytic backward through time.
//!
//! With gates i, f, g, o as in PyTorch, one bias b (PyTorch's b_ih + b_hh)
//! and `p = (x_t·W_ih + h_{t−1}·W_hh) + b` (both products into one n × 4H
//! buffer per step, so no T × n × 4H projection is ever materialised):
//!
//! ```text
//! i = σ(p_i), f = σ(p_f), g = tanh(p_g), o = σ(p_o),
//! c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t),   h_{−1} = c_{−1} = 0.
//! ```
//!
//! Backward, with d = ∂L/∂h_t and e = ∂L/∂c_t from step t+1:
//!
//! ```text
//! ∂c = e + d ⊙ o ⊙ (1 − tanh² c_t),
//! ∂p = [∂c ⊙ g ⊙ i(1−i), ∂c ⊙ c_{t−1} ⊙ f(1−f), ∂c ⊙ i ⊙ (1−g²), d ⊙ tanh c_t ⊙ o(1−o)],
//! e ← ∂c ⊙ f,   ∂h_{t−1} = ∂p · W_hhᵀ,   ∂x_t = ∂p,
//! ∂W_hh = Σ_t h_{t−1}ᵀ ∂p_t,   ∂b = Σ_{t,i} ∂p_t.
//! ```
//!
//! The forward keeps i, f, g, o and c per step (5H per stock and step);
//! in evaluation (`keep = false`) nothing is kept.

use super::layer::{hidden_weight_grad, mat, Fused, Recurrence};
use super::{add_column_sums, sigmoid, tanh};
use crate::alpha::deep::ops::kernels::{dispatch, matmul, Mat};
use candle_core::{Result, Tensor};
use std::sync::Mutex;

/// The LSTM recurrence; the op is [`Fused`]`<LstmLayer>` (see the module docs).
pub struct LstmLayer {
    steps: usize,
    input: usize,
    hidden: usize,
    keep: bool,
    /// The gates and cells of the forward pass.
    cache: Mutex<Option<Kept>>,
}

/// `x` (T × n × I, the layer input), `w` ((I + H) × 4H: W_ih over W_hh),
/// `b` (4H) → the hidden states h_0..h_{T−1} (T × n × H). `keep`: keep the
/// gates for a backward pass (training).
pub fn lstm_layer(x: &Tensor, w: &Tensor, b: &Tensor, keep: bool) -> Result<Tensor> {
    let (steps, _, input) = x.dims3()?;
    let (rows, g) = w.dims2()?;
    let hidden = g / 4;
    if g != 4 * hidden || rows != input + hidden || b.dims() != [g] {
        candle_core::bail!(
            "lstm_layer: input width {input}, w {rows}×{g}, b {:?} do not fit (I + H) × 4H",
            b.dims()
        );
    }
    let op = LstmLayer {
        steps,
        input,
        hidden,
        keep,
        cache: Mutex::new(None),
    };
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, Fused(op))
}

/// One step for all n stocks from `[p, b, cp]`: `p` (n × 4H,
/// x_t·W_ih + h_{t−1}·W_hh; b is added here), `cp` (n × H, c_{t−1}; zeros
/// at t = 0) → `h` (n × H), the gates (n × 4H) and `c` (n × H).
#[inline(always)]
fn forward_step_body(
    hidden: usize,
    [p, b, cp]: [&[f32]; 3],
    h: &mut [f32],
    gates: &mut [f32],
    c: &mut [f32],
) {
    let hd = hidden;
    for ((((pi, cpi), hi), gi), ci) in p
        .chunks_exact(4 * hd)
        .zip(cp.chunks_exact(hd))
        .zip(h.chunks_exact_mut(hd))
        .zip(gates.chunks_exact_mut(4 * hd))
        .zip(c.chunks_exact_mut(hd))
    {
        let (pa, pb, pc, pd) = (
            part(pi, hd, 0),
            part(pi, hd, 1),
            part(pi, hd, 2),
            part(pi, hd, 3),
        );
        let (ba, bb, bc, bd) = (
            part(b, hd, 0),
            part(b, hd, 1),
            part(b, hd, 2),
            part(b, hd, 3),
        );
        let (cpi, hi, ci) = (&cpi[..hd], &mut hi[..hd], &mut ci[..hd]);
        let (g_i, rest) = gi.split_at_mut(hd);
        let (g_f, rest) = rest.split_at_mut(hd);
        let (g_g, g_o) = rest.split_at_mut(hd);
        let (g_i, g_f, g_g, g_o) = (
            &mut g_i[..hd],
            &mut g_f[..hd],
            &mut g_g[..hd],
            &mut g_o[..hd],
        );
        for k in 0..hd {
            let vi = sigmoid(pa[k] + ba[k]);
            let vf = sigmoid(pb[k] + bb[k]);
            let vg = tanh(pc[k] + bc[k]);
            let vo = sigmoid(pd[k] + bd[k]);
            let cell = vf * cpi[k] + vi * vg;
            hi[k] = vo * tanh(cell);
            g_i[k] = vi;
            g_f[k] = vf;
            g_g[k] = vg;
            g_o[k] = vo;
            ci[k] = cell;
        }
    }
}

/// One step's backward for all n stocks: `d` (∂L/∂h_t), `e` (∂L/∂c_t from
/// step t+1, updated to ∂L/∂c_{t−1}), this step's gates and cells and the
/// previous cells `cp` → `dp` (n × 4H).
#[inline(always)]
fn backward_step_body(
    hidden: usize,
    d: &[f32],
    e: &mut [f32],
    gates: &[f32],
    c: &[f32],
    cp: &[f32],
    dp: &mut [f32],
) {
    let hd = hidden;
    for (((((di, ei), gi), ci), cpi), qi) in d
        .chunks_exact(hd)
        .zip(e.chunks_exact_mut(hd))
        .zip(gates.chunks_exact(4 * hd))
        .zip(c.chunks_exact(hd))
        .zip(cp.chunks_exact(hd))
        .zip(dp.chunks_exact_mut(4 * hd))
    {
        let (di, ei, ci, cpi) = (&di[..hd], &mut ei[..hd], &ci[..hd], &cpi[..hd]);
        let (g_i, g_f, g_g, g_o) = (
            &gi[..hd],
            &gi[hd..2 * hd],
            &gi[2 * hd..3 * hd],
            &gi[3 * hd..4 * hd],
        );
        let (q_i, rest) = qi.split_at_mut(hd);
        let (q_f, rest) = rest.split_at_mut(hd);
        let (q_g, q_o) = rest.split_at_mut(hd);
        let (q_i, q_f, q_g, q_o) = (
            &mut q_i[..hd],
            &mut q_f[..hd],
            &mut q_g[..hd],
            &mut q_o[..hd],
        );
        for k in 0..hd {
            let (vi, vf, vg, vo) = (g_i[k], g_f[k], g_g[k], g_o[k]);
            let tc = tanh(ci[k]);
            let dh = di[k];
            let dc = ei[k] + dh * vo * (1.0 - tc * tc);
            q_i[k] = dc * vg * vi * (1.0 - vi);
            q_f[k] = dc * cpi[k] * vf * (1.0 - vf);
            q_g[k] = dc * vi * (1.0 - vg * vg);
            q_o[k] = dh * tc * vo * (1.0 - vo);
            ei[k] = dc * vf;
        }
    }
}

/// Gate `j` (of width `hd`) of a row.
#[inline(always)]
fn part(v: &[f32], hd: usize, j: usize) -> &[f32] {
    &v[j * hd..(j + 1) * hd]
}

dispatch!(forward_step, forward_step_body, (hidden: usize, inputs: [&[f32]; 3], h: &mut [f32], gates: &mut [f32], c: &mut [f32]) -> ());
dispatch!(backward_step, backward_step_body, (hidden: usize, d: &[f32], e: &mut [f32], gates: &[f32], c: &[f32], cp: &[f32], dp: &mut [f32]) -> ());

/// What the forward keeps: the gates (T × n × 4H) and cells (T × n × H).
pub struct Kept {
    gates: Vec<f32>,
    cells: Vec<f32>,
}

impl Recurrence for LstmLayer {
    const NAME: &'static str = "lstm-layer";
    const GATES: usize = 4;
    type Kept = Kept;

    fn dims(&self) -> (usize, usize, usize, bool) {
        (self.steps, self.input, self.hidden, self.keep)
    }

    fn cache(&self) -> &Mutex<Option<Kept>> {
        &self.cache
    }

    /// The hidden states (T × n × H) and, with `keep`, the gates and cells
    /// of every step (else scratch buffers of one step).
    fn forward(&self, x: &[f32], w: &[f32], b: &[f32], keep: bool) -> (Vec<f32>, Kept) {
        let (hd, g, input) = (self.hidden, 4 * self.hidden, self.input);
        let (w_ih, w_hh) = w.split_at(input * g);
        let n = x.len() / (self.steps * input);
        let kept = if keep { self.steps } else { 1 };
        let mut hs = vec![0f32; self.steps * n * hd];
        let mut gates = vec![0f32; kept * n * g];
        let mut cells = vec![0f32; kept * n * hd];
        let zeros = vec![0f32; n * hd];
        // evaluation: the previous step's cells
        let mut previous = zeros.clone();
        let mut p = vec![0f32; n * g];
        for t in 0..self.steps {
            let (done, rest) = hs.split_at_mut(t * n * hd);
            let x_t = &x[t * n * input..(t + 1) * n * input];
            matmul(
                n,
                g,
                input,
                &mut p,
                g,
                false,
                mat(x_t, input),
                mat(w_ih, g),
                1.0,
            );
            if t > 0 {
                let hp = &done[(t - 1) * n * hd..];
                matmul(n, g, hd, &mut p, g, true, mat(hp, hd), mat(w_hh, g), 1.0);
            }
            let h_t = &mut rest[..n * hd];
            if keep {
                let (lo, hi) = cells.split_at_mut(t * n * hd);
                let cp = if t == 0 {
                    &zeros[..]
                } else {
                    &lo[(t - 1) * n * hd..]
                };
                let gates_t = &mut gates[t * n * g..(t + 1) * n * g];
                forward_step(hd, [&p, b, cp], h_t, gates_t, &mut hi[..n * hd]);
            } else {
                forward_step(hd, [&p, b, &previous], h_t, &mut gates, &mut cells);
                std::mem::swap(&mut previous, &mut cells);
            }
        }
        (hs, Kept { gates, cells })
    }

    /// (∂x, ∂W_hh, ∂b) from ∂hs.
    fn backward(
        &self,
        w: &[f32],
        hs: &[f32],
        kept: &Kept,
        grad: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (hd, g, steps) = (self.hidden, 4 * self.hidden, self.steps);
        let n = hs.len() / (steps * hd);
        let mut dx = vec![0f32; steps * n * g];
        let mut d = vec![0f32; n * hd];
        let mut e = vec![0f32; n * hd];
        let zeros = vec![0f32; n * hd];
        let wt = Mat {
            ptr: w.as_ptr(),
            rs: 1,
            cs: g as isize,
        };
        for t in (0..steps).rev() {
            for (dv, gv) in d.iter_mut().zip(&grad[t * n * hd..(t + 1) * n * hd]) {
                *dv += *gv;
            }
            let cp: &[f32] = if t == 0 {
                &zeros
            } else {
                &kept.cells[(t - 1) * n * hd..t * n * hd]
            };
            let dp = &mut dx[t * n * g..(t + 1) * n * g];
            backward_step(
                hd,
                &d,
                &mut e,
                &kept.gates[t * n * g..(t + 1) * n * g],
                &kept.cells[t * n * hd..(t + 1) * n * hd],
                cp,
                dp,
            );
            if t > 0 {
                // ∂h_{t−1} = ∂p_t · W_hhᵀ (its output part is added next step)
                matmul(n, hd, g, &mut d, hd, false, mat(dp, g), wt, 1.0);
            }
        }
        let dw = hidden_weight_grad(hs, &dx, (steps, n, hd, g));
        let mut db = vec![0f32; g];
        add_column_sums(&dx, g, &mut db);
        (dx, dw, db)
    }
}
