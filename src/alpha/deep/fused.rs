//! Fused candle custom ops with analytic backward passes for the two
//! attention layers of the DMFM, where plain tensor ops spend most of a
//! training step on element-wise passes over large intermediates:
//! [`gat_attention`] (graph attention after the projection W h) and
//! [`factor_attention_mean`] (the factor-attention softmax averaged over
//! stocks). The plain versions in [`super::layers`] are the test references.
//!
//! ## GAT attention
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
//!
//! ## Factor attention
//!
//! ā_k = (1/n) Σ_i softmax_j(LeakyReLU_0.01(U_ikj)) for U (n × K·m); backward
//! with G = ∂L/∂ā / n and A_i the softmax of row i:
//! ∂L/∂U_ikj = A_ikj (G_kj − Σ_j' A_ikj' G_kj') · (U_ikj > 0 ? 1 : 0.01).
//!
//! ## Numerics
//!
//! Versus the plain candle ops: the same formulas in the same order, except
//! that exp is a polynomial (Cephes `expf`, ≤ 2 ulp, see [`exp_neg`]) and
//! the row maxima / sums are accumulated in 16 lanes; results agree to ~1e-6
//! relative (tests: forward, gradients, finite differences). Every loop has a
//! fixed order, so results are bit-identical across runs and thread counts.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use std::sync::Mutex;

/// Negative slope inside GAT attention.
const SLOPE: f32 = super::layers::GAT_SLOPE as f32;
/// Negative slope of the factor-attention LeakyReLU.
const FA_SLOPE: f32 = super::layers::SLOPE as f32;
/// Accumulator lanes of the row reductions (fixed, so the summation order
/// does not depend on the vector width the CPU offers).
const LANES: usize = 16;

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

fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let v = s.as_slice::<f32>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("gat_attention: inputs must be contiguous"),
    }
}

fn parallelism() -> gemm::Parallelism {
    match candle_core::utils::get_num_threads() {
        t if t > 1 => gemm::Parallelism::Rayon(t),
        _ => gemm::Parallelism::None,
    }
}

/// Row-major matrix view: (pointer, row stride, column stride).
#[derive(Clone, Copy)]
struct Mat {
    ptr: *const f32,
    rs: isize,
    cs: isize,
}

/// dst (m × n, row stride `dst_rs`) = beta · lhs (m × k) · rhs (k × n),
/// or dst += … when `accumulate`.
#[allow(clippy::too_many_arguments)]
fn matmul(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    dst_rs: usize,
    accumulate: bool,
    lhs: Mat,
    rhs: Mat,
    beta: f32,
) {
    assert!(m == 0 || dst.len() >= (m - 1) * dst_rs + n);
    // SAFETY: the callers build `lhs`/`rhs` from slices that hold the
    // m × k and k × n matrices at those strides; `dst` is checked above.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.ptr,
            lhs.cs,
            lhs.rs,
            rhs.ptr,
            rhs.cs,
            rhs.rs,
            1.0,
            beta,
            false,
            false,
            false,
            parallelism(),
        )
    }
}

/// e^x for x ≤ 0 (Cephes `expf`: Cody–Waite reduction, degree-5 polynomial,
/// ≤ 2 ulp against libm on [−87, 0]; below −87.3 it returns e^−87.3 ≈
/// 1.2e−38, which is 0 for a softmax). Branch-free, so the loops vectorise.
#[inline(always)]
pub fn exp_neg(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    let x = x.max(-87.3);
    let t = x * LOG2E + ROUND;
    let k = t - ROUND;
    let ki = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = x - k * C1 - k * C2;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5; // Cephes 5.0000001201e-1, which rounds to 0.5 in f32
    let y = p * r * r + r + 1.0;
    y * f32::from_bits(((ki + 127) << 23) as u32)
}

#[inline(always)]
fn lrelu(u: f32) -> f32 {
    u.max(SLOPE * u)
}

/// One softmax row: `row[j]` = α over j of LeakyReLU(si + dst[j]).
#[inline(always)]
fn softmax_row_body(row: &mut [f32], si: f32, dst: &[f32]) {
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
fn backward_row_body(p: &mut [f32], a: &[f32], si: f32, dst: &[f32], dt: &mut [f32]) -> f32 {
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

/// Runtime dispatch to an AVX2 copy of a loop body (same operations in the
/// same order, only wider registers, so the same bits).
macro_rules! dispatch {
    ($name:ident, $body:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn wide($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2 (checked just above).
                    return unsafe { wide($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

dispatch!(softmax_row, softmax_row_body, (row: &mut [f32], si: f32, dst: &[f32]) -> ());
dispatch!(backward_row, backward_row_body, (p: &mut [f32], a: &[f32], si: f32, dst: &[f32], dt: &mut [f32]) -> f32);

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

/// The fused factor-attention mean; see the module docs.
pub struct FactorAttentionMean {
    k: usize,
    m: usize,
    /// The softmax rows A (n × K·m) of the forward pass, for the backward.
    attention: Mutex<Option<Vec<f32>>>,
}

/// `u` (n × K·m, the factor-attention pre-activations W_a F) → ā (K × m):
/// the softmax over the m factors of LeakyReLU(u) per stock and head,
/// averaged over the n stocks.
pub fn factor_attention_mean(u: &Tensor, k: usize, m: usize) -> Result<Tensor> {
    let (_, width) = u.dims2()?;
    if width != k * m {
        candle_core::bail!("factor_attention_mean: width {width} is not {k} × {m}");
    }
    let op = FactorAttentionMean {
        k,
        m,
        attention: Mutex::new(None),
    };
    u.contiguous()?.apply_op1(op)
}

/// Sum of a slice in 16 lanes (a fixed order for every vector width).
#[inline(always)]
fn lane_sum(v: &[f32]) -> f32 {
    let mut s = [0f32; LANES];
    for c in v.chunks(LANES) {
        for (x, a) in c.iter().zip(s.iter_mut()) {
            *a += *x;
        }
    }
    s.iter().sum()
}

/// Factor-attention rows of width m: `a` = softmax(LeakyReLU(`u`)) per row;
/// `acc` (K·m) += the rows of each stock.
#[inline(always)]
fn fa_forward_body(u: &[f32], a: &mut [f32], acc: &mut [f32], m: usize) {
    let km = acc.len();
    for (ur, ar) in u.chunks(km).zip(a.chunks_mut(km)) {
        for ((uh, ah), sh) in ur.chunks(m).zip(ar.chunks_mut(m)).zip(acc.chunks_mut(m)) {
            let mut mx = f32::NEG_INFINITY;
            for (v, &x) in ah.iter_mut().zip(uh) {
                *v = x.max(FA_SLOPE * x);
                mx = mx.max(*v);
            }
            for v in ah.iter_mut() {
                *v = exp_neg(*v - mx);
            }
            let sum = lane_sum(ah);
            for (v, s) in ah.iter_mut().zip(sh) {
                *v /= sum;
                *s += *v;
            }
        }
    }
}

/// Factor-attention backward: `du` = A (g − A·g) · slope(u), row by row,
/// with `g` (K·m) the gradient of the mean already divided by n.
#[inline(always)]
fn fa_backward_body(u: &[f32], a: &[f32], g: &[f32], du: &mut [f32], m: usize) {
    let km = g.len();
    for ((ur, ar), dr) in u.chunks(km).zip(a.chunks(km)).zip(du.chunks_mut(km)) {
        for (((uh, ah), gh), dh) in ur
            .chunks(m)
            .zip(ar.chunks(m))
            .zip(g.chunks(m))
            .zip(dr.chunks_mut(m))
        {
            for ((d, &av), &gv) in dh.iter_mut().zip(ah).zip(gh) {
                *d = av * gv;
            }
            let dot = lane_sum(dh);
            for (((d, &av), &gv), &x) in dh.iter_mut().zip(ah).zip(gh).zip(uh) {
                let slope = if x > 0.0 { 1.0 } else { FA_SLOPE };
                *d = av * (gv - dot) * slope;
            }
        }
    }
}

dispatch!(fa_forward, fa_forward_body, (u: &[f32], a: &mut [f32], acc: &mut [f32], m: usize) -> ());
dispatch!(fa_backward, fa_backward_body, (u: &[f32], a: &[f32], g: &[f32], du: &mut [f32], m: usize) -> ());

impl CustomOp1 for FactorAttentionMean {
    fn name(&self) -> &'static str {
        "factor-attention-mean"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let u = slice(s, l)?;
        let (k, m) = (self.k, self.m);
        let n = u.len() / (k * m);
        let mut a = vec![0f32; u.len()];
        let mut acc = vec![0f32; k * m];
        fa_forward(u, &mut a, &mut acc, m);
        let inv = 1.0 / n.max(1) as f32;
        for v in &mut acc {
            *v *= inv;
        }
        *self.attention.lock().expect("factor attention") = Some(a);
        Ok((CpuStorage::F32(acc), Shape::from((k, m))))
    }

    fn bwd(&self, u: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let (k, m) = (self.k, self.m);
        let uv = u.flatten_all()?.to_vec1::<f32>()?;
        let n = uv.len() / (k * m);
        let inv = 1.0 / n.max(1) as f32;
        let g: Vec<f32> = grad
            .flatten_all()?
            .to_vec1::<f32>()?
            .into_iter()
            .map(|v| v * inv)
            .collect();
        let cached = self.attention.lock().expect("factor attention");
        let fresh;
        let a = match cached.as_ref() {
            Some(a) => a,
            None => {
                let mut a = vec![0f32; uv.len()];
                fa_forward(&uv, &mut a, &mut vec![0f32; k * m], m);
                fresh = a;
                &fresh
            }
        };
        let mut du = vec![0f32; uv.len()];
        fa_backward(&uv, a, &g, &mut du, m);
        Ok(Some(Tensor::from_vec(du, u.shape(), u.device())?))
    }
}

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

#[cfg(test)]
mod tests {
    use super::super::layers::{
        Arch, FactorAttention, Gat, HeadActivation, IndustryGatMode, Network,
    };
    use super::*;
    use candle_core::{DType, Device, Var};
    use candle_nn::{VarBuilder, VarMap};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
        let n: usize = dims.iter().product();
        let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
        Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
    }

    /// A GAT layer with seeded random weights (w, a_src, a_dst).
    fn gat(map: &VarMap, input: usize, out: usize, heads: usize, seed: u64) -> Gat {
        let vb = VarBuilder::from_varmap(map, DType::F32, &Device::Cpu);
        let gat = Gat::new(input, out, heads, vb).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let data = map.data().lock().unwrap();
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        for name in names {
            let v = &data[name];
            v.set(&random(&mut rng, v.dims(), 0.8)).unwrap();
        }
        gat
    }

    /// Central finite differences of `value` at each entry of `base` against
    /// the analytic gradient: |analytic − numeric| < tol · (1 + |numeric|).
    fn assert_finite_differences(
        what: &str,
        base: &[f32],
        analytic: &[f32],
        tol: f64,
        value: impl Fn(Vec<f32>) -> f64,
    ) {
        let eps = 1e-3f32;
        for idx in 0..base.len() {
            let at = |delta: f32| {
                let mut v = base.to_vec();
                v[idx] += delta;
                value(v)
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * f64::from(eps));
            let got = f64::from(analytic[idx]);
            assert!(
                (got - numeric).abs() < tol * (1.0 + numeric.abs()),
                "{what} entry {idx}: analytic {got} vs numeric {numeric}"
            );
        }
    }

    /// Every gradient of two backward passes agrees to 1e-4 (relative): the
    /// trainable variables of `map` (BatchNorm running statistics excluded)
    /// and the `extra` inputs.
    fn assert_gradients_match(
        what: &str,
        map: &VarMap,
        extra: &[(&str, &Tensor)],
        ga: &candle_core::backprop::GradStore,
        gb: &candle_core::backprop::GradStore,
    ) {
        let data = map.data().lock().unwrap();
        let vars = data
            .iter()
            .filter(|(k, _)| !k.contains("running"))
            .map(|(k, v)| (k.as_str(), v.as_tensor()))
            .chain(extra.iter().copied());
        for (name, v) in vars {
            let d = max_rel_diff(ga.get(v).unwrap(), gb.get(v).unwrap());
            assert!(d < 1e-4, "{what}∂{name} differs by {d}");
        }
    }

    fn max_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
        let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
        let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(a.len(), b.len());
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
        a.iter()
            .zip(&b)
            .fold(0f32, |m, (x, y)| m.max((x - y).abs() / scale))
    }

    /// The fused op against the plain candle ops, output and every gradient
    /// (weights and the input), for uneven industry blocks and for the full
    /// (universe) graph, with 1 and 3 heads.
    #[test]
    fn test_fused_matches_plain_forward_and_gradients() {
        let blocks = [(0, 5), (5, 1), (6, 11), (17, 2), (19, 9)];
        let n = 28;
        for heads in [1, 3] {
            for universe in [false, true] {
                let map = VarMap::new();
                let g = gat(&map, 7, 6, heads, 11 + heads as u64);
                let mut rng = ChaCha8Rng::seed_from_u64(5);
                let x = Var::from_tensor(&random(&mut rng, &[n, 7], 2.0)).unwrap();
                let weights = random(&mut rng, &[n, 6], 1.0);
                let full = [(0, n)];
                let bl: &[(usize, usize)] = if universe { &full } else { &blocks };
                let fused = g.forward_fused(x.as_tensor(), bl).unwrap();
                let plain = if universe {
                    g.forward(x.as_tensor(), None).unwrap()
                } else {
                    g.forward_blocks(x.as_tensor(), bl).unwrap()
                };
                let d = max_rel_diff(&fused, &plain);
                assert!(
                    d < 1e-5,
                    "heads {heads} universe {universe}: forward differs by {d}"
                );
                let lf = (fused * &weights).unwrap().sum_all().unwrap();
                let lp = (plain * &weights).unwrap().sum_all().unwrap();
                let (gf, gp) = (lf.backward().unwrap(), lp.backward().unwrap());
                let what = format!("heads {heads} universe {universe}: ");
                assert_gradients_match(&what, &map, &[("x", x.as_tensor())], &gf, &gp);
            }
        }
    }

    /// Central finite differences of L = Σ out ⊙ R with respect to entries of
    /// W h, a_src and a_dst, against the op's analytic backward.
    #[test]
    fn test_fused_gradient_matches_finite_differences() {
        let (n, heads, o) = (9, 2, 3);
        let blocks = [(0, 4), (4, 5)];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let wh = Var::from_tensor(&random(&mut rng, &[n, heads * o], 1.5)).unwrap();
        let a_src = Var::from_tensor(&random(&mut rng, &[heads, o], 1.0)).unwrap();
        let a_dst = Var::from_tensor(&random(&mut rng, &[heads, o], 1.0)).unwrap();
        let r = random(&mut rng, &[n, o], 1.0);
        let loss = |w: &Tensor, s: &Tensor, d: &Tensor| -> f64 {
            let y = gat_attention(w, s, d, heads, &blocks).unwrap();
            let v: Vec<f32> = (y * &r).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            v.iter().map(|&x| f64::from(x)).sum()
        };
        let y = gat_attention(
            wh.as_tensor(),
            a_src.as_tensor(),
            a_dst.as_tensor(),
            heads,
            &blocks,
        )
        .unwrap();
        let grads = (y * &r).unwrap().sum_all().unwrap().backward().unwrap();
        for (which, var) in [(0, &wh), (1, &a_src), (2, &a_dst)] {
            let base: Vec<f32> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
            let analytic: Vec<f32> = grads
                .get(var.as_tensor())
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let what = format!("input {which}");
            assert_finite_differences(&what, &base, &analytic, 2e-3, |v| {
                let t = Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap();
                let (w, s, d) = match which {
                    0 => (t, a_src.as_tensor().clone(), a_dst.as_tensor().clone()),
                    1 => (wh.as_tensor().clone(), t, a_dst.as_tensor().clone()),
                    _ => (wh.as_tensor().clone(), a_src.as_tensor().clone(), t),
                };
                loss(&w, &s, &d)
            });
        }
    }

    #[test]
    fn test_exp_neg_within_two_ulp_of_libm() {
        let mut x = 0f32;
        while x > -87.0 {
            let (got, want) = (exp_neg(x), x.exp());
            assert!(
                ((got - want) / want).abs() < 2.5e-7,
                "exp({x}): {got} vs {want}"
            );
            x -= 0.001_37;
        }
        assert_eq!(exp_neg(0.0), 1.0);
        assert!(exp_neg(-1e9) < 1.3e-38 && exp_neg(-1e9) > 0.0);
    }

    #[test]
    fn test_bad_blocks_are_rejected() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let wh = random(&mut rng, &[5, 2], 1.0);
        let a = random(&mut rng, &[1, 2], 1.0);
        assert!(gat_attention(&wh, &a, &a, 1, &[(0, 2), (3, 2)]).is_err());
        assert!(gat_attention(&wh, &a, &a, 1, &[(0, 4)]).is_err());
        assert!(gat_attention(&wh, &a, &a, 1, &[(0, 5)]).is_ok());
    }
    /// The fused factor attention against the plain ops: ā, f̂ and the
    /// gradients of the weights and the input.
    #[test]
    fn test_fused_factor_attention_matches_plain() {
        let (n, m, k) = (13, 9, 3);
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let fa = FactorAttention::new(m, k, vb).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for (_, v) in map.data().lock().unwrap().iter() {
            v.set(&random(&mut rng, v.dims(), 0.9)).unwrap();
        }
        let x = Var::from_tensor(&random(&mut rng, &[n, m], 2.0)).unwrap();
        let wa = random(&mut rng, &[k, m], 1.0);
        let wf = random(&mut rng, &[n, k], 1.0);
        let (af, ff) = fa.forward(x.as_tensor()).unwrap();
        let (ap, fp) = fa.forward_plain(x.as_tensor()).unwrap();
        assert!(max_rel_diff(&af, &ap) < 1e-5);
        assert!(max_rel_diff(&ff, &fp) < 1e-5);
        let loss = |a: Tensor, f: Tensor| {
            ((a * &wa).unwrap().sum_all().unwrap() + (f * &wf).unwrap().sum_all().unwrap()).unwrap()
        };
        let gf = loss(af, ff).backward().unwrap();
        let gp = loss(ap, fp).backward().unwrap();
        assert_gradients_match("", &map, &[("x", x.as_tensor())], &gf, &gp);
    }

    /// Central finite differences of Σ ā ⊙ R in the pre-activations u.
    #[test]
    fn test_factor_attention_gradient_matches_finite_differences() {
        let (n, k, m) = (4, 2, 5);
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let u = Var::from_tensor(&random(&mut rng, &[n, k * m], 2.0)).unwrap();
        let r = random(&mut rng, &[k, m], 1.0);
        let value = |t: &Tensor| -> f64 {
            let a = factor_attention_mean(t, k, m).unwrap();
            let v: Vec<f32> = (a * &r).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            v.iter().map(|&x| f64::from(x)).sum()
        };
        let a = factor_attention_mean(u.as_tensor(), k, m).unwrap();
        let grads = (a * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let analytic: Vec<f32> = grads
            .get(u.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let base: Vec<f32> = u.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        assert_finite_differences("u", &base, &analytic, 1e-3, |v| {
            value(&Tensor::from_vec(v, (n, k * m), &Device::Cpu).unwrap())
        });
    }

    /// The whole DMFM network with the fused ops against the plain one (same
    /// weights): deep factors, attention estimates and every weight gradient.
    #[test]
    fn test_network_fused_matches_plain() {
        let (n, m) = (31, 6);
        let blocks = [(0, 7), (7, 1), (8, 15), (23, 8)];
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let net = Network::new(
            Arch::Dmfm,
            m,
            8,
            3,
            2,
            IndustryGatMode::Block,
            HeadActivation::Linear,
            vb,
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut names: Vec<String> = map.data().lock().unwrap().keys().cloned().collect();
        names.sort();
        for name in &names {
            let data = map.data().lock().unwrap();
            let v = &data[name];
            if !name.contains(".bn.") {
                v.set(&random(&mut rng, v.dims(), 0.7)).unwrap();
            }
        }
        let plain = net.clone().with_plain_gat();
        let x = random(&mut rng, &[n, m], 2.0);
        let w = random(&mut rng, &[n, 3], 1.0);
        let a = net.forward(&x, &blocks, true).unwrap();
        let b = plain.forward(&x, &blocks, true).unwrap();
        assert!(max_rel_diff(&a.f, &b.f) < 1e-5);
        assert!(max_rel_diff(a.fhat.as_ref().unwrap(), b.fhat.as_ref().unwrap()) < 1e-5);
        let loss = |o: &super::super::layers::Output| {
            ((&o.f * &w).unwrap().sum_all().unwrap()
                + (o.fhat.as_ref().unwrap() * &w).unwrap().sum_all().unwrap())
            .unwrap()
        };
        let (ga, gb) = (loss(&a).backward().unwrap(), loss(&b).backward().unwrap());
        assert_gradients_match("", &map, &[], &ga, &gb);
    }
    /// LeakyReLU and the bias add against candle's ops: the same bits forward
    /// and backward (x = 0 exactly excluded: candle splits the gradient there).
    #[test]
    fn test_leaky_relu_and_bias_add_bit_identical_to_candle() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x = Var::from_tensor(&random(&mut rng, &[37, 11], 3.0)).unwrap();
        let b = Var::from_tensor(&random(&mut rng, &[11], 1.0)).unwrap();
        let w = random(&mut rng, &[37, 11], 1.0);
        let bits = |t: &Tensor| -> Vec<u32> {
            let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
            v.into_iter().map(f32::to_bits).collect()
        };
        let ours = leaky_relu(&bias_add(x.as_tensor(), b.as_tensor()).unwrap(), 0.01).unwrap();
        let theirs =
            candle_nn::ops::leaky_relu(&x.as_tensor().broadcast_add(b.as_tensor()).unwrap(), 0.01)
                .unwrap();
        assert_eq!(bits(&ours), bits(&theirs));
        let go = (ours * &w).unwrap().sum_all().unwrap().backward().unwrap();
        let gt = (theirs * &w)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for v in [&x, &b] {
            assert_eq!(
                bits(go.get(v.as_tensor()).unwrap()),
                bits(gt.get(v.as_tensor()).unwrap())
            );
        }
    }
    /// The AVX2 copies of the row loops give the same bits as the portable
    /// bodies (the dispatch only widens registers).
    #[test]
    fn test_dispatched_loops_match_portable_bodies_bitwise() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let l = 37;
        let dst: Vec<f32> = (0..l).map(|_| rng.random_range(-4.0..4.0)).collect();
        let (mut a, mut b) = (vec![0f32; l], vec![0f32; l]);
        softmax_row(&mut a, 0.7, &dst);
        softmax_row_body(&mut b, 0.7, &dst);
        assert_eq!(a, b);
        let p0: Vec<f32> = (0..l).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (mut pa, mut pb) = (p0.clone(), p0);
        let (mut ta, mut tb) = (vec![0f32; l], vec![0f32; l]);
        let ra = backward_row(&mut pa, &a, -0.3, &dst, &mut ta);
        let rb = backward_row_body(&mut pb, &a, -0.3, &dst, &mut tb);
        assert_eq!((ra.to_bits(), pa, ta), (rb.to_bits(), pb, tb));
        let (k, m, n) = (3, 11, 5);
        let u: Vec<f32> = (0..n * k * m)
            .map(|_| rng.random_range(-3.0..3.0))
            .collect();
        let (mut aa, mut ab) = (vec![0f32; u.len()], vec![0f32; u.len()]);
        let (mut sa, mut sb) = (vec![0f32; k * m], vec![0f32; k * m]);
        fa_forward(&u, &mut aa, &mut sa, m);
        fa_forward_body(&u, &mut ab, &mut sb, m);
        assert_eq!((&aa, &sa), (&ab, &sb));
        let g: Vec<f32> = (0..k * m).map(|_| rng.random_range(-1.0..1.0)).collect();
        let (mut da, mut db) = (vec![0f32; u.len()], vec![0f32; u.len()]);
        fa_backward(&u, &aa, &g, &mut da, m);
        fa_backward_body(&u, &aa, &g, &mut db, m);
        assert_eq!(da, db);
    }
}
