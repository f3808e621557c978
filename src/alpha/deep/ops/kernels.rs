//! The loops the fused ops share: contiguous slices of candle storage,
//! matrix products through `gemm`, the polynomial exp, fixed-lane sums and
//! the runtime AVX2 dispatch of a loop body.

use candle_core::{CpuStorage, Layout, Result};

/// Accumulator lanes of the row reductions (fixed, so the summation order
/// does not depend on the vector width the CPU offers).
pub(super) const LANES: usize = 16;

pub(crate) fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
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
pub(crate) struct Mat {
    pub(crate) ptr: *const f32,
    pub(crate) rs: isize,
    pub(crate) cs: isize,
}

/// dst (m × n, row stride `dst_rs`) = beta · lhs (m × k) · rhs (k × n),
/// or dst += … when `accumulate`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matmul(
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

/// Sum of a slice in 16 lanes (a fixed order for every vector width).
#[inline(always)]
pub(super) fn lane_sum(v: &[f32]) -> f32 {
    let mut s = [0f32; LANES];
    for c in v.chunks(LANES) {
        for (x, a) in c.iter().zip(s.iter_mut()) {
            *a += *x;
        }
    }
    s.iter().sum()
}

/// Runtime dispatch to an AVX-512F or AVX2 copy of a loop body (same
/// operations in the same order, only wider registers, so the same bits:
/// no FMA contraction, fixed-lane reductions).
macro_rules! dispatch {
    ($vis:vis $name:ident, $body:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn wider($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                unsafe fn wide($($arg: $ty),*) -> $ret {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (checked just above).
                    return unsafe { wider($($arg),*) };
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

pub(crate) use dispatch;
