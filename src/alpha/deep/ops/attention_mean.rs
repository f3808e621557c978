//! The candle op of a per-stock attention averaged over the stocks (the
//! DMFM's factor attention, E2EAI's signed attention), generic over the
//! attention's row arithmetic ([`AttentionRows`]): ā = (1/n) Σ_i a_i for
//! U (n × K·m); the backward scales ∂L/∂ā by 1/n and runs the rows'
//! backward on what the forward kept (or on a fresh forward).

use super::kernels::slice;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// A per-stock attention's own arithmetic (the op around it is [`Mean`]).
pub trait AttentionRows: Send + Sync {
    /// The op's name in candle's graph.
    const NAME: &'static str;
    /// What the forward keeps for the backward.
    type Kept: Send + Sync;
    /// (K heads, m factors).
    fn heads(&self) -> (usize, usize);
    /// Where the forward leaves its [`Self::Kept`].
    fn cache(&self) -> &Mutex<Option<Self::Kept>>;
    /// The attention rows of `u` (n × K·m), each stock's added to `acc`
    /// (K·m); returns what the backward needs.
    fn forward(&self, u: &[f32], acc: &mut [f32]) -> Self::Kept;
    /// ∂L/∂U into `du` (n × K·m) from the kept rows and `g` (∂L/∂ā / n, K·m).
    fn backward(&self, u: &[f32], kept: &Self::Kept, g: &[f32], du: &mut [f32]);
}

/// The candle op of attention `R` averaged over the stocks.
pub struct Mean<R>(pub R);

impl<R: AttentionRows> CustomOp1 for Mean<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let u = slice(s, l)?;
        let (k, m) = self.0.heads();
        let n = u.len() / (k * m);
        let mut acc = vec![0f32; k * m];
        let kept = self.0.forward(u, &mut acc);
        let inv = 1.0 / n.max(1) as f32;
        for v in &mut acc {
            *v *= inv;
        }
        *self.0.cache().lock().expect("attention cache") = Some(kept);
        Ok((CpuStorage::F32(acc), Shape::from((k, m))))
    }

    fn bwd(&self, u: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let (k, m) = self.0.heads();
        let uv = u.flatten_all()?.to_vec1::<f32>()?;
        let n = uv.len() / (k * m);
        let inv = 1.0 / n.max(1) as f32;
        let g: Vec<f32> = grad
            .flatten_all()?
            .to_vec1::<f32>()?
            .into_iter()
            .map(|v| v * inv)
            .collect();
        let cached = self.0.cache().lock().expect("attention cache");
        let fresh;
        let kept = match cached.as_ref() {
            Some(c) => c,
            None => {
                fresh = self.0.forward(&uv, &mut vec![0f32; k * m]);
                &fresh
            }
        };
        let mut du = vec![0f32; uv.len()];
        self.0.backward(&uv, kept, &g, &mut du);
        Ok(Some(Tensor::from_vec(du, u.shape(), u.device())?))
    }
}
