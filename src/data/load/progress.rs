//! The counters of a load in progress (bytes and rows parsed so far), for a
//! caller that shows them (the CLI's progress line on a terminal).

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes (of CSV text, after decompression) and data rows parsed so far,
/// over every file of the bundle; updated once per parsed block.
#[derive(Debug, Default)]
pub struct LoadProgress {
    bytes: AtomicU64,
    rows: AtomicU64,
}

impl LoadProgress {
    /// CSV bytes parsed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Data rows parsed so far.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    pub(super) fn add(&self, bytes: usize, rows: u32) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.rows.fetch_add(u64::from(rows), Ordering::Relaxed);
    }
}

/// How a file is parsed: the worker threads and where progress goes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Workers<'a> {
    pub(super) threads: usize,
    pub(super) progress: Option<&'a LoadProgress>,
}
