//! The fused GAT attention op (a `CustomOp3` with an analytic backward).
//!
//! For a graph that is a union of cliques given as contiguous row blocks
//! (the industry graph with rows sorted by industry; the universe graph is
//! one block of all n rows), per head h and block B, with z_j = (W h_j)_h:
//!
//! ```text
//! s_i = a_srcᵀ z_i,  t_j = a_dstᵀ z_j,  u_ij = s_i + t_j,
//! e_ij = LeakyReLU_0.2(u_ij),  α_ij = softmax_{j ∈ B}(e_ij),
//! out_i = (1/H) Σ_h Σ_{j ∈ B} α_ij z_j.
//! ```
//!
//! Backward, with g_i = (∂L/∂out_i)/H and P_ij = g_i · z_j:
//!
//! ```text
//! ∂L/∂u_ij = α_ij (P_ij − Σ_k α_ik P_ik) · (u_ij > 0 ? 1 : 0.2),
//! ∂L/∂z_j  = Σ_i α_ij g_i + (Σ_k ∂L/∂u_jk) a_src + (Σ_i ∂L/∂u_ij) a_dst,
//! ∂L/∂a_src = Σ_i (Σ_j ∂L/∂u_ij) z_i,  ∂L/∂a_dst = Σ_j (Σ_i ∂L/∂u_ij) z_j.
//! ```
//!
//! The three products (α Z, g Zᵀ, αᵀ g) go through the `gemm` crate (the
//! kernel candle's own matmul uses, with the same thread setting); the
//! element-wise parts are fused loops over one block row at a time, so no
//! n × n mask and none of the half-dozen n × n intermediates (and their
//! gradients) of the plain tensor version are built. α is kept from the
//! forward pass for the backward.

use super::kernels::{dispatch, exp_neg, matmul, slice, Mat, LANES};
use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// Negative slope inside GAT attention.
const SLOPE: f32 = super::GAT_SLOPE as f32;

/// The fused op; see the module docs.
pub struct GatAttention {
    heads: usize,
    out: usize,
    blocks: Vec<(usize, usize)>,
    /// α of the forward pass: per head, per block, l × l row-major.
    alpha: Mutex<Option<Vec<f32>>>,
}

/// `wh` (n × heads·out, head h in columns h·out..), `a_src`, `a_dst`
/// (heads × out) → n × out: GAT attention over the cliques `blocks`
/// (contiguous `(start, len)` row ranges that cover 0..n in order), averaged
/// over heads.
pub fn gat_attention(
    wh: &Tensor,
    a_src: &Tensor,
    a_dst: &Tensor,
    heads: usize,
    blocks: &[(usize, usize)],
) -> Result<Tensor> {
    let (n, width) = wh.dims2()?;
    let out = width / heads;
    let mut next = 0;
    for &(s, l) in blocks {
        if s != next || l == 0 {
            candle_core::bail!(
                "gat_attention: blocks must be non-empty contiguous ranges in order"
            );
        }
        next = s + l;
    }
    if next != n || out * heads != width {
        candle_core::bail!(
            "gat_attention: blocks cover {next} of {n} rows / width {width} vs {heads} heads"
        );
    }
    let op = GatAttention {
        heads,
        out,
        blocks: blocks.to_vec(),
        alpha: Mutex::new(None),
    };
    wh.contiguous()?
        .apply_op3(&a_src.contiguous()?, &a_dst.contiguous()?, op)
}

#[inline(always)]
fn lrelu(u: f32) -> f32 {
    u.max(SLOPE * u)
}

/// One softmax row: `row[j]` = α over j of LeakyReLU(si + dst[j]).
#[inline(always)]
pub(super) fn softmax_row_body(row: &mut [f32], si: f32, dst: &[f32]) {
    let mut mx = [f32::NEG_INFINITY; LANES];
    for (c, d) in row.chunks_mut(LANES).zip(dst.chunks(LANES)) {
        for ((v, &t), m) in c.iter_mut().zip(d).zip(mx.iter_mut()) {
            *v = lrelu(si + t);
            *m = m.max(*v);
        }
    }
    let mx = mx.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let mut sum = [0f32; LANES];
    for c in row.chunks_mut(LANES) {
        for (v, s) in c.iter_mut().zip(sum.iter_mut()) {
            *v = exp_neg(*v - mx);
            *s += *v;
        }
    }
    let sum: f32 = sum.iter().sum();
    for v in row.iter_mut() {
        *v /= sum;
    }
}

/// One backward row: `p[j]` (= g_i · z_j on entry) becomes ∂L/∂u_ij; returns
/// Σ_j ∂L/∂u_ij and adds ∂L/∂u_ij to `dt[j]`.
#[inline(always)]
pub(super) fn backward_row_body(
    p: &mut [f32],
    a: &[f32],
    si: f32,
    dst: &[f32],
    dt: &mut [f32],
) -> f32 {
    let mut r = [0f32; LANES];
    for (pc, ac) in p.chunks(LANES).zip(a.chunks(LANES)) {
        for ((&pv, &av), rv) in pc.iter().zip(ac).zip(r.iter_mut()) {
            *rv += av * pv;
        }
    }
    let r: f32 = r.iter().sum();
    let mut ds = [0f32; LANES];
    for (((pc, ac), dc), tc) in p
        .chunks_mut(LANES)
        .zip(a.chunks(LANES))
        .zip(dst.chunks(LANES))
        .zip(dt.chunks_mut(LANES))
    {
        for ((((pv, &av), &d), tv), sv) in pc
            .iter_mut()
            .zip(ac)
            .zip(dc)
            .zip(tc.iter_mut())
            .zip(ds.iter_mut())
        {
            let slope = if si + d > 0.0 { 1.0 } else { SLOPE };
            let du = av * (*pv - r) * slope;
            *pv = du;
            *tv += du;
            *sv += du;
        }
    }
    ds.iter().sum()
}

dispatch!(pub(super) softmax_row, softmax_row_body, (row: &mut [f32], si: f32, dst: &[f32]) -> ());
dispatch!(pub(super) backward_row, backward_row_body, (p: &mut [f32], a: &[f32], si: f32, dst: &[f32], dt: &mut [f32]) -> f32);

impl GatAttention {
    fn width(&self) -> usize {
        self.heads * self.out
    }

    /// Per head: (s, t) scores of all rows.
    fn scores(&self, wh: &[f32], a_src: &[f32], a_dst: &[f32], h: usize) -> (Vec<f32>, Vec<f32>) {
        let (o, w) = (self.out, self.width());
        let n = wh.len() / w;
        let (asrc, adst) = (&a_src[h * o..(h + 1) * o], &a_dst[h * o..(h + 1) * o]);
        let mut s = vec![0f32; n];
        let mut t = vec![0f32; n];
        for i in 0..n {
            let z = &wh[i * w + h * o..i * w + (h + 1) * o];
            s[i] = z.iter().zip(asrc).map(|(a, b)| a * b).sum();
            t[i] = z.iter().zip(adst).map(|(a, b)| a * b).sum();
        }
        (s, t)
    }

    fn block_area(&self) -> usize {
        self.blocks.iter().map(|&(_, l)| l * l).sum()
    }

    /// α for every head and block.
    fn attention(&self, wh: &[f32], a_src: &[f32], a_dst: &[f32]) -> Vec<f32> {
        let area = self.block_area();
        let mut alpha = vec![0f32; self.heads * area];
        for h in 0..self.heads {
            let (s, t) = self.scores(wh, a_src, a_dst, h);
            let mut off = h * area;
            for &(b0, l) in &self.blocks {
                let a = &mut alpha[off..off + l * l];
                for (i, row) in a.chunks_mut(l).enumerate() {
                    softmax_row(row, s[b0 + i], &t[b0..b0 + l]);
                }
                off += l * l;
            }
        }
        alpha
    }

    /// View of head h's z rows starting at row b0.
    fn z(&self, wh: &[f32], b0: usize, h: usize) -> Mat {
        Mat {
            ptr: wh[b0 * self.width() + h * self.out..].as_ptr(),
            rs: self.width() as isize,
            cs: 1,
        }
    }

    fn forward(&self, wh: &[f32], alpha: &[f32]) -> Vec<f32> {
        let (o, area) = (self.out, self.block_area());
        let n = wh.len() / self.width();
        let mut y = vec![0f32; n * o];
        let beta = 1.0 / self.heads as f32;
        for h in 0..self.heads {
            let mut off = h * area;
            for &(b0, l) in &self.blocks {
                let a = Mat {
                    ptr: alpha[off..].as_ptr(),
                    rs: l as isize,
                    cs: 1,
                };
                let z = self.z(wh, b0, h);
                matmul(l, o, l, &mut y[b0 * o..], o, h > 0, a, z, beta);
                off += l * l;
            }
        }
        y
    }

    /// (∂wh, ∂a_src, ∂a_dst) from ∂out.
    fn backward(
        &self,
        wh: &[f32],
        a_src: &[f32],
        a_dst: &[f32],
        alpha: &[f32],
        grad: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (o, w, area) = (self.out, self.width(), self.block_area());
        let n = wh.len() / w;
        let beta = 1.0 / self.heads as f32;
        let mut dwh = vec![0f32; n * w];
        let mut da_src = vec![0f32; self.heads * o];
        let mut da_dst = vec![0f32; self.heads * o];
        let lmax = self.blocks.iter().map(|b| b.1).max().unwrap_or(0);
        let mut p = vec![0f32; lmax * lmax];
        let g = |b0: usize| Mat {
            ptr: grad[b0 * o..].as_ptr(),
            rs: o as isize,
            cs: 1,
        };
        for h in 0..self.heads {
            let (s, t) = self.scores(wh, a_src, a_dst, h);
            let (asrc, adst) = (&a_src[h * o..(h + 1) * o], &a_dst[h * o..(h + 1) * o]);
            let mut off = h * area;
            for &(b0, l) in &self.blocks {
                let a = &alpha[off..off + l * l];
                off += l * l;
                let z = self.z(wh, b0, h);
                // P = g Zᵀ (g = grad / H)
                let zt = Mat {
                    ptr: z.ptr,
                    rs: 1,
                    cs: w as isize,
                };
                let p = &mut p[..l * l];
                matmul(l, l, o, p, l, false, g(b0), zt, beta);
                // P → ∂L/∂u; row sums ds, column sums dt
                let mut ds = vec![0f32; l];
                let mut dt = vec![0f32; l];
                for i in 0..l {
                    let row = &mut p[i * l..(i + 1) * l];
                    ds[i] = backward_row(
                        row,
                        &a[i * l..(i + 1) * l],
                        s[b0 + i],
                        &t[b0..b0 + l],
                        &mut dt,
                    );
                }
                // ∂Z = αᵀ g + ds a_srcᵀ + dt a_dstᵀ
                let at = Mat {
                    ptr: a.as_ptr(),
                    rs: 1,
                    cs: l as isize,
                };
                let dz = &mut dwh[b0 * w + h * o..];
                matmul(l, o, l, dz, w, false, at, g(b0), beta);
                for i in 0..l {
                    let zi = &wh[(b0 + i) * w + h * o..(b0 + i) * w + (h + 1) * o];
                    let di = &mut dz[i * w..i * w + o];
                    for k in 0..o {
                        di[k] += ds[i] * asrc[k] + dt[i] * adst[k];
                        da_src[h * o + k] += ds[i] * zi[k];
                        da_dst[h * o + k] += dt[i] * zi[k];
                    }
                }
            }
        }
        (dwh, da_src, da_dst)
    }
}

impl CustomOp3 for GatAttention {
    fn name(&self) -> &'static str {
        "gat-attention"
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
        let (wh, a_src, a_dst) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let n = wh.len() / self.width();
        let alpha = self.attention(wh, a_src, a_dst);
        let y = self.forward(wh, &alpha);
        *self.alpha.lock().expect("gat alpha") = Some(alpha);
        Ok((CpuStorage::F32(y), Shape::from((n, self.out))))
    }

    fn bwd(
        &self,
        wh: &Tensor,
        a_src: &Tensor,
        a_dst: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let (whv, sv, dv, gv) = (flat(wh)?, flat(a_src)?, flat(a_dst)?, flat(grad)?);
        let cached = self.alpha.lock().expect("gat alpha");
        let fresh;
        let alpha = match cached.as_ref() {
            Some(a) => a,
            None => {
                fresh = self.attention(&whv, &sv, &dv);
                &fresh
            }
        };
        let (dwh, ds, dd) = self.backward(&whv, &sv, &dv, alpha, &gv);
        let dev = wh.device();
        Ok((
            Some(Tensor::from_vec(dwh, wh.shape(), dev)?),
            Some(Tensor::from_vec(ds, a_src.shape(), dev)?),
            Some(Tensor::from_vec(dd, a_dst.shape(), dev)?),
        ))
    }
}
