//! The fused LSTM layer: a `CustomOp2` over the whole sequence with an
//! analytic backward through time.
//!
//! With the input part `x = x_in·W_ih + b` precomputed (T × n × 4H, gates
//! i, f, g, o as in PyTorch; one bias, PyTorch's b_ih + b_hh) and
//! `p = x_t + h_{t−1}·W_hh`:
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
//! e ← ∂c ⊙ f,   ∂h_{t−1} = ∂p · W_hhᵀ,   ∂x_t = ∂p,   ∂W_hh = Σ_t h_{t−1}ᵀ ∂p_t.
//! ```
//!
//! The forward keeps i, f, g, o and c per step (5H per stock and step).

use super::{sigmoid, tanh};
use crate::alpha::deep::ops::kernels::{dispatch, matmul, slice, Mat};
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// The fused op; see the module docs.
pub struct LstmLayer {
    steps: usize,
    hidden: usize,
    keep: bool,
    /// i, f, g, o, c per (step, stock), 5H each.
    cache: Mutex<Option<Vec<f32>>>,
}

/// `x` (T × n × 4H: the input projection with the bias), `w_hh` (H × 4H) →
/// the hidden states h_0..h_{T−1} (T × n × H). `keep`: keep the gates for a
/// backward pass (training).
pub fn lstm_layer(x: &Tensor, w_hh: &Tensor, keep: bool) -> Result<Tensor> {
    let (steps, _, g) = x.dims3()?;
    let (hidden, g2) = w_hh.dims2()?;
    if g != 4 * hidden || g2 != g {
        candle_core::bail!("lstm_layer: x width {g}, w_hh {hidden}×{g2} do not fit 4·hidden");
    }
    let op = LstmLayer {
        steps,
        hidden,
        keep,
        cache: Mutex::new(None),
    };
    x.contiguous()?.apply_op2(&w_hh.contiguous()?, op)
}

/// One step for all n stocks: `p` (n × 4H, h_{t−1}·W_hh; x_t is added
/// here), `cp` (n × 5H cache of step t−1, empty at t = 0) → `h` (n × H) and
/// this step's `cache`.
#[inline(always)]
fn forward_step_body(
    hidden: usize,
    x: &[f32],
    p: &[f32],
    cp: &[f32],
    h: &mut [f32],
    cache: &mut [f32],
) {
    let hd = hidden;
    let n = h.len() / hd;
    for i in 0..n {
        let xi = &x[i * 4 * hd..(i + 1) * 4 * hd];
        let pi = &p[i * 4 * hd..(i + 1) * 4 * hd];
        let c = &mut cache[i * 5 * hd..(i + 1) * 5 * hd];
        let hi = &mut h[i * hd..(i + 1) * hd];
        for k in 0..hd {
            let gi = sigmoid(xi[k] + pi[k]);
            let gf = sigmoid(xi[hd + k] + pi[hd + k]);
            let gg = tanh(xi[2 * hd + k] + pi[2 * hd + k]);
            let go = sigmoid(xi[3 * hd + k] + pi[3 * hd + k]);
            let c_prev = if cp.is_empty() {
                0.0
            } else {
                cp[i * 5 * hd + 4 * hd + k]
            };
            let cell = gf * c_prev + gi * gg;
            hi[k] = go * tanh(cell);
            c[k] = gi;
            c[hd + k] = gf;
            c[2 * hd + k] = gg;
            c[3 * hd + k] = go;
            c[4 * hd + k] = cell;
        }
    }
}

/// One step's backward for all n stocks: `d` (∂L/∂h_t), `e` (∂L/∂c_t from
/// step t+1, updated to ∂L/∂c_{t−1}) → `dp` (n × 4H).
#[inline(always)]
fn backward_step_body(
    hidden: usize,
    d: &[f32],
    e: &mut [f32],
    cache: &[f32],
    cp: &[f32],
    dp: &mut [f32],
) {
    let hd = hidden;
    let n = d.len() / hd;
    for i in 0..n {
        let c = &cache[i * 5 * hd..(i + 1) * 5 * hd];
        let q = &mut dp[i * 4 * hd..(i + 1) * 4 * hd];
        for k in 0..hd {
            let (gi, gf, gg, go, cell) =
                (c[k], c[hd + k], c[2 * hd + k], c[3 * hd + k], c[4 * hd + k]);
            let c_prev = if cp.is_empty() {
                0.0
            } else {
                cp[i * 5 * hd + 4 * hd + k]
            };
            let tc = tanh(cell);
            let dh = d[i * hd + k];
            let dc = e[i * hd + k] + dh * go * (1.0 - tc * tc);
            q[k] = dc * gg * gi * (1.0 - gi);
            q[hd + k] = dc * c_prev * gf * (1.0 - gf);
            q[2 * hd + k] = dc * gi * (1.0 - gg * gg);
            q[3 * hd + k] = dh * tc * go * (1.0 - go);
            e[i * hd + k] = dc * gf;
        }
    }
}

dispatch!(forward_step, forward_step_body, (hidden: usize, x: &[f32], p: &[f32], cp: &[f32], h: &mut [f32], cache: &mut [f32]) -> ());
dispatch!(backward_step, backward_step_body, (hidden: usize, d: &[f32], e: &mut [f32], cache: &[f32], cp: &[f32], dp: &mut [f32]) -> ());

fn mat(s: &[f32], rs: usize) -> Mat {
    Mat {
        ptr: s.as_ptr(),
        rs: rs as isize,
        cs: 1,
    }
}

impl LstmLayer {
    /// (hidden states T × n × H, gates and cells T × n × 5H).
    fn forward(&self, x: &[f32], w: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (hd, g) = (self.hidden, 4 * self.hidden);
        let n = x.len() / (self.steps * g);
        let mut hs = vec![0f32; self.steps * n * hd];
        let mut cache = vec![0f32; self.steps * n * 5 * hd];
        let mut p = vec![0f32; n * g];
        for t in 0..self.steps {
            let (done, rest) = hs.split_at_mut(t * n * hd);
            let (cdone, crest) = cache.split_at_mut(t * n * 5 * hd);
            let cp: &[f32] = if t == 0 {
                &[]
            } else {
                matmul(
                    n,
                    g,
                    hd,
                    &mut p,
                    g,
                    false,
                    mat(&done[(t - 1) * n * hd..], hd),
                    mat(w, g),
                    1.0,
                );
                &cdone[(t - 1) * n * 5 * hd..]
            };
            forward_step(
                hd,
                &x[t * n * g..(t + 1) * n * g],
                &p,
                cp,
                &mut rest[..n * hd],
                &mut crest[..n * 5 * hd],
            );
        }
        (hs, cache)
    }

    /// (∂x, ∂W_hh) from ∂hs.
    fn backward(&self, w: &[f32], hs: &[f32], cache: &[f32], grad: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (hd, g, steps) = (self.hidden, 4 * self.hidden, self.steps);
        let n = hs.len() / (steps * hd);
        let mut dx = vec![0f32; steps * n * g];
        let mut d = vec![0f32; n * hd];
        let mut e = vec![0f32; n * hd];
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
                &[]
            } else {
                &cache[(t - 1) * n * 5 * hd..t * n * 5 * hd]
            };
            let dp = &mut dx[t * n * g..(t + 1) * n * g];
            backward_step(
                hd,
                &d,
                &mut e,
                &cache[t * n * 5 * hd..(t + 1) * n * 5 * hd],
                cp,
                dp,
            );
            if t > 0 {
                // ∂h_{t−1} = ∂p_t · W_hhᵀ (its output part is added next step)
                matmul(n, hd, g, &mut d, hd, false, mat(dp, g), wt, 1.0);
            }
        }
        let mut dw = vec![0f32; hd * g];
        let rows = (steps - 1) * n;
        if rows > 0 {
            let hpt = Mat {
                ptr: hs.as_ptr(),
                rs: 1,
                cs: hd as isize,
            };
            matmul(
                hd,
                g,
                rows,
                &mut dw,
                g,
                false,
                hpt,
                mat(&dx[n * g..], g),
                1.0,
            );
        }
        (dx, dw)
    }
}

impl CustomOp2 for LstmLayer {
    fn name(&self) -> &'static str {
        "lstm-layer"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w) = (slice(s1, l1)?, slice(s2, l2)?);
        let n = x.len() / (self.steps * 4 * self.hidden);
        let (hs, cache) = self.forward(x, w);
        if self.keep {
            *self.cache.lock().expect("lstm cache") = Some(cache);
        }
        Ok((
            CpuStorage::F32(hs),
            Shape::from((self.steps, n, self.hidden)),
        ))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w_hh: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (wv, hs, gv) = (flat(w_hh)?, flat(res)?, flat(&grad.contiguous()?)?);
        let cached = self.cache.lock().expect("lstm cache");
        let fresh;
        let cache = match cached.as_ref() {
            Some(c) => c,
            None => {
                fresh = self.forward(&flat(x)?, &wv).1;
                &fresh
            }
        };
        let (dx, dw) = self.backward(&wv, &hs, cache, &gv);
        let dev = x.device();
        Ok((
            Some(Tensor::from_vec(dx, x.shape(), dev)?),
            Some(Tensor::from_vec(dw, w_hh.shape(), dev)?),
        ))
    }
}
