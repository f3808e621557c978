//! Process-wide allocator tuning for the deep models.
//!
//! candle allocates a fresh `Vec` for every tensor of every step, many of
//! them above glibc's mmap threshold (128 KiB, raised dynamically up to
//! 32 MiB), so by default glibc hands the pages of each freed tensor back to
//! the kernel and the next step pays the first-touch page faults again. On
//! these VMs that dominated a training step of the DMFM at n = 1,000
//! (docs/benchmarks-dmfm.md). [`retain_freed_memory`] fixes the thresholds
//! at start-up: blocks up to 32 MiB come from the heap, and the heap is not
//! trimmed, so freed pages are reused. Peak memory is unchanged; the process
//! just keeps what it once used (a few hundred MiB at most for the DMFM).
//!
//! Only on linux-gnu (glibc's `mallopt`); a no-op elsewhere. Call it once
//! from `main`, before any threads start.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    use std::os::raw::c_int;
    extern "C" {
        /// glibc `mallopt(3)`.
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_TOP_PAD: c_int = -2;
    const M_MMAP_THRESHOLD: c_int = -3;
    /// The largest mmap threshold glibc accepts on 64-bit targets.
    const MMAP_THRESHOLD: c_int = 32 << 20;

    extern "C" {
        /// glibc `malloc_trim(3)`.
        fn malloc_trim(pad: usize) -> c_int;
    }

    pub fn trim() {
        // SAFETY: malloc_trim only returns free heap pages to the kernel.
        unsafe {
            malloc_trim(0);
        }
    }

    pub fn tune() -> bool {
        // SAFETY: mallopt only changes allocator parameters; called with
        // documented parameter numbers and in-range values.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && mallopt(M_TRIM_THRESHOLD, c_int::MAX) == 1
                && mallopt(M_TOP_PAD, 64 << 20) == 1
        }
    }
}

/// Keeps freed memory in the process instead of returning it to the OS
/// (glibc: mmap threshold 32 MiB, no heap trimming, 64 MiB top pad).
/// Returns whether the allocator accepted the settings (false off glibc).
/// Set `ALPHASIM_MALLOC_DEFAULT=1` to skip it (for measurements).
pub fn retain_freed_memory() -> bool {
    if std::env::var_os("ALPHASIM_MALLOC_DEFAULT").is_some_and(|v| v == "1") {
        return false;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        glibc::tune()
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Returns the heap's free pages to the OS now, even with
/// [`retain_freed_memory`] on: the loader calls it after dropping the
/// per-chunk columns it has gathered, so that the bundle's peak memory is
/// the loaded bundle plus one column, not twice the bundle. A no-op off glibc.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc::trim();
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn test_glibc_accepts_the_settings() {
        // mallopt returns 1 on success; an out-of-range threshold would give 0.
        if std::env::var_os("ALPHASIM_MALLOC_DEFAULT").is_none() {
            assert!(super::retain_freed_memory());
        }
    }
}
