//! Element-wise ops with one-pass backward passes, bit-identical to
//! candle's own: LeakyReLU and the row-wise bias add of a dense layer.

use super::kernels::slice;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

/// LeakyReLU with a one-pass backward: y = max(x, s·x) (bit-identical to
/// `candle_nn::ops::leaky_relu`, which builds it from five tensor ops), ∂x =
/// ∂y · (x > 0 ? 1 : s).
pub struct LeakyRelu(pub f32);

/// LeakyReLU with negative slope `slope` (see [`LeakyRelu`]).
pub fn leaky_relu(x: &Tensor, slope: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op1(LeakyRelu(slope as f32))
}

impl CustomOp1 for LeakyRelu {
    fn name(&self) -> &'static str {
        "leaky-relu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = slice(s, l)?;
        let slope = self.0;
        let y: Vec<f32> = x.iter().map(|&v| v.max(slope * v)).collect();
        Ok((CpuStorage::F32(y), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let slope = self.0;
        let xv = x.flatten_all()?.to_vec1::<f32>()?;
        let gv = grad.flatten_all()?.to_vec1::<f32>()?;
        let d: Vec<f32> = xv
            .iter()
            .zip(&gv)
            .map(|(&x, &g)| if x > 0.0 { g } else { g * slope })
            .collect();
        Ok(Some(Tensor::from_vec(d, x.shape(), x.device())?))
    }
}

/// Row-wise bias add with a contiguous backward: y = x + b for x (n × c),
/// b (c); ∂b = column sums of ∂y, accumulated row by row (the order of
/// candle's own sum over dim 0, so the same bits as `broadcast_add`, without
/// its strided reduction).
pub struct BiasAdd;

/// `x` (n × c) + `b` (c) per row (see [`BiasAdd`]).
pub fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasAdd)
}

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias-add"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, b) = (slice(s1, l1)?, slice(s2, l2)?);
        let (_, c) = l1.shape().dims2()?;
        if b.len() != c {
            candle_core::bail!("bias_add: bias of {} for {c} columns", b.len());
        }
        let mut y = Vec::with_capacity(x.len());
        for row in x.chunks(c) {
            y.extend(row.iter().zip(b).map(|(v, w)| v + w));
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let c = b.elem_count();
        let gv = g.flatten_all()?.to_vec1::<f32>()?;
        let mut db = vec![0f32; c];
        for row in gv.chunks(c) {
            for (d, v) in db.iter_mut().zip(row) {
                *d += v;
            }
        }
        Ok((Some(g), Some(Tensor::from_vec(db, b.shape(), b.device())?)))
    }
}
