//! The fused GRU layer: a `CustomOp3` over the whole sequence with an
//! analytic backward through time.
//!
//! With the input part `x = x_in·W_ih + b_ih` (T × n × 3H, gates r, z, n
//! as in PyTorch; the product precomputed, the bias added here) and
//! `a = h_{t−1}·W_hh + b_hh`:
//!
//! ```text
//! r = σ(x_r + a_r),  z = σ(x_z + a_z),  ñ = tanh(x_n + r ⊙ a_n),
//! h_t = (1 − z) ⊙ ñ + z ⊙ h_{t−1},   h_{−1} = 0.
//! ```
//!
//! Backward, with d = ∂L/∂h_t (from the output and from step t+1):
//!
//! ```text
//! ∂ñ' = d ⊙ (1 − z) ⊙ (1 − ñ²),   ∂r' = ∂ñ' ⊙ a_n ⊙ r(1 − r),
//! ∂z' = d ⊙ (h_{t−1} − ñ) ⊙ z(1 − z),
//! ∂x_t = [∂r', ∂z', ∂ñ'],   ∂a_t = [∂r', ∂z', ∂ñ' ⊙ r],
//! ∂h_{t−1} = d ⊙ z + ∂a_t · W_hhᵀ,
//! ∂W_hh = Σ_t h_{t−1}ᵀ ∂a_t,   ∂b_ih = Σ_{t,i} ∂x_t,   ∂b_hh = Σ_{t,i} ∂a_t.
//! ```
//!
//! The forward keeps r, z, ñ and a_n per step (4H per stock and step) for the
//! backward; in evaluation (`keep = false`) nothing is kept.

use super::layer::{hidden_weight_grad, mat, Fused, Recurrence};
use super::{add_column_sums, sigmoid, tanh};
use crate::alpha::deep::ops::kernels::{dispatch, matmul, Mat};
use candle_core::{Result, Tensor};
use std::sync::Mutex;

/// The GRU recurrence; the op is [`Fused`]`<GruLayer>` (see the module docs).
pub struct GruLayer {
    steps: usize,
    input: usize,
    hidden: usize,
    keep: bool,
    /// r, z, ñ, a_n per (step, stock), 4H each.
    cache: Mutex<Option<Vec<f32>>>,
}

/// `x` (T × n × I, the layer input), `w` ((I + H) × 3H: W_ih over W_hh),
/// `b` (2 × 3H: b_ih, b_hh) → the hidden states h_0..h_{T−1} (T × n × H).
/// `keep`: keep the gates for a backward pass (training).
pub fn gru_layer(x: &Tensor, w: &Tensor, b: &Tensor, keep: bool) -> Result<Tensor> {
    let (steps, _, input) = x.dims3()?;
    let (rows, g) = w.dims2()?;
    let hidden = g / 3;
    if g != 3 * hidden || rows != input + hidden || b.dims() != [2, g] {
        candle_core::bail!(
            "gru_layer: input width {input}, w {rows}×{g}, b {:?} do not fit (I + H) × 3H",
            b.dims()
        );
    }
    let op = GruLayer {
        steps,
        input,
        hidden,
        keep,
        cache: Mutex::new(None),
    };
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, Fused(op))
}

/// One step's gates for all n stocks: `x`, `a` (n × 3H, both without
/// bias), `b` (b_ih then b_hh),
/// `hp` (n × H, zeros at t = 0) → `h` (n × H) and `cache` (n × 4H).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_step_body(
    hidden: usize,
    x: &[f32],
    a: &[f32],
    b: &[f32],
    hp: &[f32],
    h: &mut [f32],
    cache: &mut [f32],
) {
    let hd = hidden;
    let (bir, biz, bin) = (&b[..hd], &b[hd..2 * hd], &b[2 * hd..3 * hd]);
    let (bhr, bhz, bhn) = (&b[3 * hd..4 * hd], &b[4 * hd..5 * hd], &b[5 * hd..6 * hd]);
    for ((((xi, ai), hpi), hi), ci) in x
        .chunks_exact(3 * hd)
        .zip(a.chunks_exact(3 * hd))
        .zip(hp.chunks_exact(hd))
        .zip(h.chunks_exact_mut(hd))
        .zip(cache.chunks_exact_mut(4 * hd))
    {
        let (xr, xz, xn) = (&xi[..hd], &xi[hd..2 * hd], &xi[2 * hd..3 * hd]);
        let (ar, az, an) = (&ai[..hd], &ai[hd..2 * hd], &ai[2 * hd..3 * hd]);
        let (cr, rest) = ci.split_at_mut(hd);
        let (cz, rest) = rest.split_at_mut(hd);
        let (cn, ca) = rest.split_at_mut(hd);
        let (cr, cz, cn, ca) = (&mut cr[..hd], &mut cz[..hd], &mut cn[..hd], &mut ca[..hd]);
        let (hpi, hi) = (&hpi[..hd], &mut hi[..hd]);
        for k in 0..hd {
            let r = sigmoid((xr[k] + bir[k]) + (ar[k] + bhr[k]));
            let z = sigmoid((xz[k] + biz[k]) + (az[k] + bhz[k]));
            let a_n = an[k] + bhn[k];
            let nn = tanh((xn[k] + bin[k]) + r * a_n);
            hi[k] = (1.0 - z) * nn + z * hpi[k];
            cr[k] = r;
            cz[k] = z;
            cn[k] = nn;
            ca[k] = a_n;
        }
    }
}

/// One step's backward for all n stocks: `d` (n × H, ∂L/∂h_t) → `dx`, `da`
/// (n × 3H) and `d` ← d ⊙ z (the direct part of ∂h_{t−1}).
#[inline(always)]
fn backward_step_body(
    hidden: usize,
    d: &mut [f32],
    cache: &[f32],
    hp: &[f32],
    dx: &mut [f32],
    da: &mut [f32],
) {
    let hd = hidden;
    for ((((di, ci), hpi), dxi), dai) in d
        .chunks_exact_mut(hd)
        .zip(cache.chunks_exact(4 * hd))
        .zip(hp.chunks_exact(hd))
        .zip(dx.chunks_exact_mut(3 * hd))
        .zip(da.chunks_exact_mut(3 * hd))
    {
        let (cr, cz, cn, ca) = (
            &ci[..hd],
            &ci[hd..2 * hd],
            &ci[2 * hd..3 * hd],
            &ci[3 * hd..4 * hd],
        );
        let (dxr, rest) = dxi.split_at_mut(hd);
        let (dxz, dxn) = rest.split_at_mut(hd);
        let (dar, rest) = dai.split_at_mut(hd);
        let (daz, dan) = rest.split_at_mut(hd);
        let (dxr, dxz, dxn) = (&mut dxr[..hd], &mut dxz[..hd], &mut dxn[..hd]);
        let (dar, daz, dan) = (&mut dar[..hd], &mut daz[..hd], &mut dan[..hd]);
        let (di, hpi) = (&mut di[..hd], &hpi[..hd]);
        for k in 0..hd {
            let (r, z, nn, a_n) = (cr[k], cz[k], cn[k], ca[k]);
            let g = di[k];
            let dn = g * (1.0 - z) * (1.0 - nn * nn);
            let dr = dn * a_n * r * (1.0 - r);
            let dz = g * (hpi[k] - nn) * z * (1.0 - z);
            dxr[k] = dr;
            dxz[k] = dz;
            dxn[k] = dn;
            dar[k] = dr;
            daz[k] = dz;
            dan[k] = dn * r;
            di[k] = g * z;
        }
    }
}

dispatch!(forward_step, forward_step_body, (hidden: usize, x: &[f32], a: &[f32], b: &[f32], hp: &[f32], h: &mut [f32], cache: &mut [f32]) -> ());
dispatch!(backward_step, backward_step_body, (hidden: usize, d: &mut [f32], cache: &[f32], hp: &[f32], dx: &mut [f32], da: &mut [f32]) -> ());

impl GruLayer {
    /// x·W_ih for all steps at once (T·n × 3H) and the W_hh part of `w`.
    fn project<'w>(&self, x: &[f32], w: &'w [f32]) -> (Vec<f32>, &'w [f32]) {
        let g = 3 * self.hidden;
        let rows = x.len() / self.input;
        let mut xp = vec![0f32; rows * g];
        matmul(
            rows,
            g,
            self.input,
            &mut xp,
            g,
            false,
            mat(x, self.input),
            mat(w, g),
            1.0,
        );
        (xp, &w[self.input * g..])
    }
}

impl Recurrence for GruLayer {
    const NAME: &'static str = "gru-layer";
    const GATES: usize = 3;
    type Kept = Vec<f32>;

    fn dims(&self) -> (usize, usize, usize, bool) {
        (self.steps, self.input, self.hidden, self.keep)
    }

    fn cache(&self) -> &Mutex<Option<Vec<f32>>> {
        &self.cache
    }

    /// The hidden states (T × n × H) and, with `keep`, the gates (T × n × 4H).
    fn forward(&self, x: &[f32], w: &[f32], b: &[f32], keep: bool) -> (Vec<f32>, Vec<f32>) {
        let (xp, w) = self.project(x, w);
        let x = &xp[..];
        let (hd, g) = (self.hidden, 3 * self.hidden);
        let n = x.len() / (self.steps * g);
        let mut hs = vec![0f32; self.steps * n * hd];
        let mut cache = vec![0f32; if keep { self.steps } else { 1 } * n * 4 * hd];
        let zeros = vec![0f32; n * hd];
        let mut a = vec![0f32; n * g];
        for t in 0..self.steps {
            let (done, rest) = hs.split_at_mut(t * n * hd);
            let hp: &[f32] = if t == 0 {
                &zeros
            } else {
                &done[(t - 1) * n * hd..]
            };
            if t > 0 {
                matmul(n, g, hd, &mut a, g, false, mat(hp, hd), mat(w, g), 1.0);
            }
            let c = if keep { t * n * 4 * hd } else { 0 };
            forward_step(
                hd,
                &x[t * n * g..(t + 1) * n * g],
                &a,
                b,
                &hp[..n * hd],
                &mut rest[..n * hd],
                &mut cache[c..c + n * 4 * hd],
            );
        }
        (hs, cache)
    }

    /// (∂x, ∂W_hh, ∂b) from ∂hs.
    fn backward(
        &self,
        w: &[f32],
        hs: &[f32],
        cache: &Vec<f32>,
        grad: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (hd, g, steps) = (self.hidden, 3 * self.hidden, self.steps);
        let n = hs.len() / (steps * hd);
        let mut dx = vec![0f32; steps * n * g];
        let mut da = vec![0f32; steps * n * g];
        let mut d = vec![0f32; n * hd];
        let zeros = vec![0f32; n * hd];
        // W_hhᵀ as a 3H × H view
        let wt = Mat {
            ptr: w.as_ptr(),
            rs: 1,
            cs: g as isize,
        };
        for t in (0..steps).rev() {
            for (dv, gv) in d.iter_mut().zip(&grad[t * n * hd..(t + 1) * n * hd]) {
                *dv += *gv;
            }
            let hp: &[f32] = if t == 0 {
                &zeros
            } else {
                &hs[(t - 1) * n * hd..t * n * hd]
            };
            let da_t = &mut da[t * n * g..(t + 1) * n * g];
            backward_step(
                hd,
                &mut d,
                &cache[t * n * 4 * hd..(t + 1) * n * 4 * hd],
                hp,
                &mut dx[t * n * g..(t + 1) * n * g],
                da_t,
            );
            if t > 0 {
                matmul(n, hd, g, &mut d, hd, true, mat(da_t, g), wt, 1.0);
            }
        }
        let dw = hidden_weight_grad(hs, &da, (steps, n, hd, g));
        let mut db = vec![0f32; 2 * g];
        add_column_sums(&dx, g, &mut db[..g]);
        add_column_sums(&da, g, &mut db[g..]);
        (dx, dw, db)
    }
}
