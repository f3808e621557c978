//! `tanh(x + b)` per row as one `CustomOp2` (the ALSTM's input projection
//! and attention layer): one pass instead of candle's broadcast add and
//! libm tanh, and ∂x = ∂y ⊙ (1 − y²), ∂b = Σ_rows ∂x in one pass back.

use super::{add_column_sums, tanh};
use crate::alpha::deep::ops::kernels::{dispatch, slice};
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

/// The fused op.
pub struct BiasTanh;

/// `x` (rows × c) and `b` (c) → tanh(x + b) (rows × c).
pub fn bias_tanh(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasTanh)
}

#[inline(always)]
fn forward_body(x: &[f32], b: &[f32], y: &mut [f32]) {
    let c = b.len();
    for (xr, yr) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        let (xr, yr) = (&xr[..c], &mut yr[..c]);
        for k in 0..c {
            yr[k] = tanh(xr[k] + b[k]);
        }
    }
}

#[inline(always)]
fn backward_body(y: &[f32], g: &[f32], dx: &mut [f32]) {
    for ((d, &yv), &gv) in dx.iter_mut().zip(y).zip(g) {
        *d = gv * (1.0 - yv * yv);
    }
}

dispatch!(forward, forward_body, (x: &[f32], b: &[f32], y: &mut [f32]) -> ());
dispatch!(backward, backward_body, (y: &[f32], g: &[f32], dx: &mut [f32]) -> ());

impl CustomOp2 for BiasTanh {
    fn name(&self) -> &'static str {
        "bias-tanh"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1)?, slice(s2, l2)?);
        if b.is_empty() || x.len() % b.len() != 0 {
            candle_core::bail!(
                "bias_tanh: {} values do not fit rows of {}",
                x.len(),
                b.len()
            );
        }
        let mut y = vec![0f32; x.len()];
        forward(x, b, &mut y);
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (y, g) = (flat(res)?, flat(&grad.contiguous()?)?);
        let mut dx = vec![0f32; y.len()];
        backward(&y, &g, &mut dx);
        let c = b.elem_count();
        let mut db = vec![0f32; c];
        add_column_sums(&dx, c, &mut db);
        let dev = x.device();
        Ok((
            Some(Tensor::from_vec(dx, x.shape(), dev)?),
            Some(Tensor::from_vec(db, b.shape(), dev)?),
        ))
    }
}
