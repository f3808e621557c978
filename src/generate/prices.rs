//! One day's prices under main-board mechanics (reference price, ±10% limits,
//! open/high/low), volume and the bar row.

use super::write::CsvOut;
use crate::Result;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Raw prices of one bar, in cents.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ohlc {
    pub(super) open: i64,
    pub(super) high: i64,
    pub(super) low: i64,
    pub(super) close: i64,
}

/// `(limit_down, limit_up)` in cents: reference × 0.9 / × 1.1, rounded half
/// up to the cent, in exact integer arithmetic.
pub(super) fn limits_of(reference: i64) -> (i64, i64) {
    ((reference * 9 + 5) / 10, (reference * 11 + 5) / 10)
}

/// One trading day's prices from the reference price and the (clipped)
/// return; within `limits` when given.
pub(super) fn price_day(
    reference: i64,
    r: f64,
    limits: Option<(i64, i64)>,
    sigma: f64,
    rng: &mut ChaCha8Rng,
) -> Ohlc {
    let clamp = |c: i64| match limits {
        Some((lo, hi)) => c.clamp(lo, hi).max(1),
        None => c.max(1),
    };
    let at = |x: f64| (reference as f64 * (1.0 + x)).round() as i64;
    let close = match limits {
        Some((_, hi)) if r >= 0.1 => hi,
        Some((lo, _)) if r <= -0.1 => lo,
        _ => clamp(at(r)),
    };
    let z_open: f64 = rng.sample(StandardNormal);
    let overnight = (0.4 * r + 0.3 * sigma * z_open).clamp(-0.1, 0.1);
    let open = clamp(at(overnight));
    let top = open.max(close);
    let bottom = open.min(close);
    let z_high: f64 = rng.sample(StandardNormal);
    let z_low: f64 = rng.sample(StandardNormal);
    let high = clamp((top as f64 * (1.0 + 0.5 * sigma * z_high.abs())).round() as i64).max(top);
    let low = clamp((bottom as f64 * (1.0 - 0.5 * sigma * z_low.abs())).round() as i64).min(bottom);
    Ohlc {
        open,
        high,
        low,
        close,
    }
}

/// Lognormal turnover (about 0.8% a day, more on big moves), in lots of 100.
pub(super) fn volume_for(shares: f64, r: f64, rng: &mut ChaCha8Rng) -> u64 {
    let z: f64 = rng.sample(StandardNormal);
    let turnover = (0.008f64.ln() + 0.5 * z).exp() * (1.0 + 8.0 * r.abs());
    let lots = (shares * turnover / 100.0).round().max(1.0);
    lots as u64 * 100
}

/// Writes one `bars.csv` row; the traded value (`amount`) is volume × a
/// price drawn uniformly between low and high.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_bar(
    out: &mut CsvOut,
    date: &[u8],
    symbol: &[u8],
    ohlc: &Ohlc,
    volume: u64,
    adj_text: &[u8],
    limits: Option<(i64, i64)>,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let amount_cents = if volume > 0 {
        let vwap = ohlc.low as f64 + rng.random::<f64>() * (ohlc.high - ohlc.low) as f64;
        (volume as f64 * vwap).round() as i64
    } else {
        0
    };
    out.field(date);
    out.field(symbol);
    for price in [ohlc.open, ohlc.high, ohlc.low, ohlc.close] {
        out.fixed(price, 2);
    }
    out.count(volume);
    out.fixed(amount_cents, 2);
    out.field(adj_text);
    if let Some((down, up)) = limits {
        out.fixed(up, 2);
        out.fixed(down, 2);
    } else {
        out.empty();
        out.empty();
    }
    out.end_record()
}
