//! The fused GRU layer: a `CustomOp3` over the whole sequence with an
//! analytic backward through time.
//!
//! With the input part `x = x_in·W_ih + b_ih` precomputed (T × n × 3H,
//! gates r, z, n as in PyTorch) and `a = h_{t−1}·W_hh + b_hh`:
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
//! ∂W_hh = Σ_t h_{t−1}ᵀ ∂a_t,   ∂b_hh = Σ_{t,i} ∂a_t.
//! ```
//!
//! The forward keeps r, z, ñ and a_n per step (4H per stock and step) for the
//! backward; in evaluation (`keep = false`) nothing is kept.

use super::{add_column_sums, sigmoid, tanh};
use crate::alpha::deep::ops::kernels::{dispatch, matmul, slice, Mat};
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// The fused op; see the module docs.
pub struct GruLayer {
    steps: usize,
    hidden: usize,
    keep: bool,
    /// r, z, ñ, a_n per (step, stock), 4H each.
    cache: Mutex<Option<Vec<f32>>>,
}

/// `x` (T × n × 3H: the input projection with its bias), `w_hh` (H × 3H),
/// `b_hh` (3H) → the hidden states h_0..h_{T−1} (T × n × H). `keep`: keep the
/// gates for a backward pass (training).
pub fn gru_layer(x: &Tensor, w_hh: &Tensor, b_hh: &Tensor, keep: bool) -> Result<Tensor> {
    let (steps, _, g) = x.dims3()?;
    let (hidden, g2) = w_hh.dims2()?;
    if g != 3 * hidden || g2 != g || b_hh.dims1()? != g {
        candle_core::bail!(
            "gru_layer: x width {g}, w_hh {hidden}×{g2}, b_hh {} do not fit 3·hidden",
            b_hh.dims1()?
        );
    }
    let op = GruLayer {
        steps,
        hidden,
        keep,
        cache: Mutex::new(None),
    };
    x.contiguous()?
        .apply_op3(&w_hh.contiguous()?, &b_hh.contiguous()?, op)
}

/// One step's gates for all n stocks: `x`, `a` (n × 3H, `a` without b_hh),
/// `hp` (n × H, empty at t = 0) → `h` (n × H) and `cache` (n × 4H).
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
    let n = h.len() / hd;
    for i in 0..n {
        let (xr, rest) = x[i * 3 * hd..(i + 1) * 3 * hd].split_at(hd);
        let (xz, xn) = rest.split_at(hd);
        let (ar, rest) = a[i * 3 * hd..(i + 1) * 3 * hd].split_at(hd);
        let (az, an) = rest.split_at(hd);
        let (br, rest) = b.split_at(hd);
        let (bz, bn) = rest.split_at(hd);
        let (cr, rest) = cache[i * 4 * hd..(i + 1) * 4 * hd].split_at_mut(hd);
        let (cz, rest) = rest.split_at_mut(hd);
        let (cn, ca) = rest.split_at_mut(hd);
        let hi = &mut h[i * hd..(i + 1) * hd];
        for k in 0..hd {
            let r = sigmoid(xr[k] + ar[k] + br[k]);
            let z = sigmoid(xz[k] + az[k] + bz[k]);
            let a_n = an[k] + bn[k];
            let nn = tanh(xn[k] + r * a_n);
            let prev = if hp.is_empty() { 0.0 } else { hp[i * hd + k] };
            hi[k] = (1.0 - z) * nn + z * prev;
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
    let n = d.len() / hd;
    for i in 0..n {
        let c = &cache[i * 4 * hd..(i + 1) * 4 * hd];
        let (cr, rest) = c.split_at(hd);
        let (cz, rest) = rest.split_at(hd);
        let (cn, ca) = rest.split_at(hd);
        let (dxr, rest) = dx[i * 3 * hd..(i + 1) * 3 * hd].split_at_mut(hd);
        let (dxz, dxn) = rest.split_at_mut(hd);
        let (dar, rest) = da[i * 3 * hd..(i + 1) * 3 * hd].split_at_mut(hd);
        let (daz, dan) = rest.split_at_mut(hd);
        let di = &mut d[i * hd..(i + 1) * hd];
        for k in 0..hd {
            let (r, z, nn, a_n) = (cr[k], cz[k], cn[k], ca[k]);
            let prev = if hp.is_empty() { 0.0 } else { hp[i * hd + k] };
            let g = di[k];
            let dn = g * (1.0 - z) * (1.0 - nn * nn);
            let dr = dn * a_n * r * (1.0 - r);
            let dz = g * (prev - nn) * z * (1.0 - z);
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

fn mat(s: &[f32], rs: usize) -> Mat {
    Mat {
        ptr: s.as_ptr(),
        rs: rs as isize,
        cs: 1,
    }
}

impl GruLayer {
    /// (hidden states T × n × H, gates T × n × 4H).
    fn forward(&self, x: &[f32], w: &[f32], b: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (hd, g) = (self.hidden, 3 * self.hidden);
        let n = x.len() / (self.steps * g);
        let mut hs = vec![0f32; self.steps * n * hd];
        let mut cache = vec![0f32; self.steps * n * 4 * hd];
        let mut a = vec![0f32; n * g];
        for t in 0..self.steps {
            let (done, rest) = hs.split_at_mut(t * n * hd);
            let hp: &[f32] = if t == 0 {
                &[]
            } else {
                &done[(t - 1) * n * hd..]
            };
            if t > 0 {
                matmul(n, g, hd, &mut a, g, false, mat(hp, hd), mat(w, g), 1.0);
            }
            forward_step(
                hd,
                &x[t * n * g..(t + 1) * n * g],
                &a,
                b,
                hp,
                &mut rest[..n * hd],
                &mut cache[t * n * 4 * hd..(t + 1) * n * 4 * hd],
            );
        }
        (hs, cache)
    }

    /// (∂x, ∂W_hh, ∂b_hh) from ∂hs.
    fn backward(
        &self,
        w: &[f32],
        hs: &[f32],
        cache: &[f32],
        grad: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (hd, g, steps) = (self.hidden, 3 * self.hidden, self.steps);
        let n = hs.len() / (steps * hd);
        let mut dx = vec![0f32; steps * n * g];
        let mut da = vec![0f32; steps * n * g];
        let mut d = vec![0f32; n * hd];
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
                &[]
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
        // ∂W_hh = H_prevᵀ ∂A over steps 1..T (h_{−1} = 0 adds nothing)
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
                mat(&da[n * g..], g),
                1.0,
            );
        }
        let mut db = vec![0f32; g];
        add_column_sums(&da, g, &mut db);
        (dx, dw, db)
    }
}

impl CustomOp3 for GruLayer {
    fn name(&self) -> &'static str {
        "gru-layer"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, w, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let n = x.len() / (self.steps * 3 * self.hidden);
        let (hs, cache) = self.forward(x, w, b);
        if self.keep {
            *self.cache.lock().expect("gru cache") = Some(cache);
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
        b_hh: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (wv, hs, gv) = (flat(w_hh)?, flat(res)?, flat(&grad.contiguous()?)?);
        let cached = self.cache.lock().expect("gru cache");
        let fresh;
        let cache = match cached.as_ref() {
            Some(c) => c,
            None => {
                fresh = self.forward(&flat(x)?, &wv, &flat(b_hh)?).1;
                &fresh
            }
        };
        let (dx, dw, db) = self.backward(&wv, &hs, cache, &gv);
        let dev = x.device();
        Ok((
            Some(Tensor::from_vec(dx, x.shape(), dev)?),
            Some(Tensor::from_vec(dw, w_hh.shape(), dev)?),
            Some(Tensor::from_vec(db, b_hh.shape(), dev)?),
        ))
    }
}
