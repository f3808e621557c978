//! The seeded random streams: stream 0 is global, stock i owns `1 + 16·i +
//! slot` (one slot per factor, one for prices and events, one for
//! fundamentals).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A ChaCha8 generator on one stream of `seed`.
pub(super) fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Stream numbers: 0 is global; stock i owns `1 + 16·i + slot`.
pub(super) const SLOT_PRICES: u64 = 14;
pub(super) const SLOT_FUNDAMENTALS: u64 = 15;

pub(super) fn stock_stream(i: usize, slot: u64) -> u64 {
    1 + 16 * i as u64 + slot
}
