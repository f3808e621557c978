//! The candle op of a fused recurrent layer, generic over the recurrence
//! ([`Recurrence`]: the GRU's or the LSTM's forward and backward through
//! time): input slices, the kept gates (or a fresh forward when none were
//! kept), and the products both layers share around their step loops.

use crate::alpha::deep::ops::kernels::{matmul, slice, Mat};
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// A recurrent layer's own arithmetic (the op around it is [`Fused`]).
pub trait Recurrence: Send + Sync {
    /// The op's name in candle's graph.
    const NAME: &'static str;
    /// Gates per hidden unit: W is (I + H) × `GATES`·H.
    const GATES: usize;
    /// What the forward keeps for the backward.
    type Kept: Send + Sync;
    /// (steps T, input width I, hidden width H, keep the gates).
    fn dims(&self) -> (usize, usize, usize, bool);
    /// Where the training forward leaves its [`Self::Kept`].
    fn cache(&self) -> &Mutex<Option<Self::Kept>>;
    /// The hidden states (T × n × H) and, with `keep`, what the backward needs.
    fn forward(&self, x: &[f32], w: &[f32], b: &[f32], keep: bool) -> (Vec<f32>, Self::Kept);
    /// (∂x_p: the gates' input gradient, T·n × G; ∂W_hh; ∂b) from ∂hs.
    fn backward(
        &self,
        w_hh: &[f32],
        hs: &[f32],
        kept: &Self::Kept,
        grad: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>);
}

/// The candle op of recurrence `R`.
pub struct Fused<R>(pub R);

/// Row-major view of `s` with row stride `rs`.
pub(super) fn mat(s: &[f32], rs: usize) -> Mat {
    Mat {
        ptr: s.as_ptr(),
        rs: rs as isize,
        cs: 1,
    }
}

/// ∂W_hh = H_prevᵀ ∂A over steps 1..T (h_{−1} = 0 adds nothing): `hs` the
/// hidden states (T × n × H), `da` the gates' gradient on h_{t−1}·W_hh
/// (T × n × G), for (T, n, H, G) = `dims`.
pub(super) fn hidden_weight_grad(
    hs: &[f32],
    da: &[f32],
    (steps, n, hd, g): (usize, usize, usize, usize),
) -> Vec<f32> {
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
    dw
}

/// (∂x_in, ∂W) from the gate gradient ∂x_p (T·n × G) and ∂W_hh, for input
/// width `i`, hidden width `hidden` and G = `g`.
fn input_grads(
    (i, hidden, g): (usize, usize, usize),
    x: &[f32],
    w: &[f32],
    dxp: &[f32],
    dw_hh: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let rows = x.len() / i;
    let mut dx = vec![0f32; rows * i];
    let wt = Mat {
        ptr: w.as_ptr(),
        rs: 1,
        cs: g as isize,
    };
    matmul(rows, i, g, &mut dx, i, false, mat(dxp, g), wt, 1.0);
    let mut dw = vec![0f32; (i + hidden) * g];
    let xt = Mat {
        ptr: x.as_ptr(),
        rs: 1,
        cs: i as isize,
    };
    matmul(i, g, rows, &mut dw, g, false, xt, mat(dxp, g), 1.0);
    dw[i * g..].copy_from_slice(dw_hh);
    (dx, dw)
}

impl<R: Recurrence> CustomOp3 for Fused<R> {
    fn name(&self) -> &'static str {
        R::NAME
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
        let (steps, input, hidden, keep) = self.0.dims();
        let (x, w, b) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let n = x.len() / (steps * input);
        let (hs, kept) = self.0.forward(x, w, b, keep);
        if keep {
            *self.0.cache().lock().expect("recurrent layer cache") = Some(kept);
        }
        Ok((CpuStorage::F32(hs), Shape::from((steps, n, hidden))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (_, input, hidden, _) = self.0.dims();
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (xv, wv) = (flat(x)?, flat(w)?);
        let (hs, gv) = (flat(res)?, flat(&grad.contiguous()?)?);
        let cached = self.0.cache().lock().expect("recurrent layer cache");
        let fresh;
        let kept = match cached.as_ref() {
            Some(c) => c,
            None => {
                fresh = self.0.forward(&xv, &wv, &flat(b)?, true).1;
                &fresh
            }
        };
        let g = R::GATES * hidden;
        let w_hh = &wv[input * g..];
        let (dxp, dw_hh, db) = self.0.backward(w_hh, &hs, kept, &gv);
        let (dx, dw) = input_grads((input, hidden, g), &xv, &wv, &dxp, &dw_hh);
        let dev = x.device();
        Ok((
            Some(Tensor::from_vec(dx, x.shape(), dev)?),
            Some(Tensor::from_vec(dw, w.shape(), dev)?),
            Some(Tensor::from_vec(db, b.shape(), dev)?),
        ))
    }
}
