//! Market rules (China A-shares): price limits, round lots, T+1 and a volume
//! participation cap. Each is switchable in `[execution]` and grouped by the
//! `market = "cn" | "none"` preset; [`MarketRules`] holds the resolved values.
//!
//! Decisions (a demanding user should know each one):
//! - **Price limits are judged at the fill, against the previous close.** A
//!   buy is refused when the fill price is at or above the up limit, a sell
//!   when it is at or below the down limit (half a tick, ¥0.005, of
//!   tolerance). At the open that is the open price against the last close
//!   before today — never today's close, which is not known at the open (the
//!   known Qlib bug judges the day's close-to-close change). A stock that
//!   *opens* at the limit and trades away from it later in the day is refused
//!   for the whole day: the engine fills at one price and does not model the
//!   intraday book. A stock that opens inside the band and *closes* at the
//!   limit fills at the open.
//! - **Where limits come from.** The bar's `limit_up`/`limit_down` columns
//!   when the bundle has them; otherwise derived from the reference price, the
//!   last traded close before today converted to today's raw price basis
//!   (`close_adj(prev) / adj_factor(today)`, the exchange's ex-rights
//!   reference), as `round2(ref × (1 ± p))`: p = 20% for STAR (SH688/SH689)
//!   and for ChiNext (SZ300/SZ301) from 2020-08-24, 30% for Beijing (BJ…),
//!   5% for symbols listed in `execution.st_symbols` (main board and ChiNext
//!   before 2020-08-24), 10% otherwise. A symbol with no earlier close (its
//!   IPO day, or the first day of the data) has no limit. Resumption after a
//!   long suspension uses the last close before it.
//! - **Round lots** are in raw shares (`lot_size`, 100 in cn). Buys and
//!   partial sells are rounded down to a whole lot; a sale of the whole
//!   position may be an odd lot. An order rounded to zero is unfilled (`lot`);
//!   the rounding residue of a partly filled order is not reported.
//! - **T+1**: shares bought on a day cannot be sold the same day. With one
//!   fill per day this only binds when a holding bought at today's open is
//!   delisted at today's close: the sale is refused (`t_plus_one`) and the
//!   holding stays, valued at its last close.
//! - **Volume cap**: one order takes at most `volume_cap` × the fill day's
//!   volume (raw shares). This is a capacity assumption (the order is worked
//!   through the day alongside the market), the one same-day quantity the
//!   fill uses; no price after the fill time enters. **The remainder is
//!   dropped, not carried**: it is recorded as unfilled (`volume_cap`) and the
//!   next rebalance starts from the actual book.
//! - **Cash when a target cannot be bought** (limit-up, volume cap, lots):
//!   the unbought share of W' stays as cash until the next rebalance (the
//!   other targets are *not* scaled up). Suspended targets are different:
//!   DESIGN §4 excludes them from k before sizing, so their share goes to the
//!   tradable targets. When a sell is refused, the buys are scaled down pro
//!   rata so cash never goes negative (unfilled remainder: `cash`).
//!
//! Unfilled orders are recorded in `trades.csv` with `status = unfilled` and
//! the reason, and counted by reason in `report.json`.

use crate::data::Date;
use crate::spec::{ExecutionConfig, MarketPreset};
use serde::Serialize;

/// The resolved market rules of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MarketRules {
    pub price_limits: bool,
    /// Round lot in raw shares; 0 = fractional shares.
    pub lot_size: u32,
    pub t_plus_one: bool,
    /// Fraction of the fill day's volume one order may take; 0 = no cap.
    pub volume_cap: f64,
}

impl MarketRules {
    /// The rules of `[execution]`: each rule left unset takes the preset's
    /// value (`market = "none"`: all off; `market = "cn"`: price limits,
    /// 100-share lots, T+1 and a 25% volume cap).
    ///
    /// ```
    /// use alphasim::market_rules::MarketRules;
    /// use alphasim::spec::{ExecutionConfig, MarketPreset};
    /// let cn = ExecutionConfig { market: MarketPreset::Cn, lot_size: Some(200), ..Default::default() };
    /// let r = MarketRules::from_config(&cn);
    /// assert!(r.price_limits && r.t_plus_one && r.volume_cap == 0.25);
    /// assert_eq!(r.lot_size, 200);
    /// assert!(MarketRules::from_config(&ExecutionConfig::default()).is_frictionless());
    /// ```
    pub fn from_config(execution: &ExecutionConfig) -> Self {
        let e = execution;
        let cn = e.market == MarketPreset::Cn;
        MarketRules {
            price_limits: e.price_limits.unwrap_or(cn),
            lot_size: e.lot_size.unwrap_or(if cn { 100 } else { 0 }),
            t_plus_one: e.t_plus_one.unwrap_or(cn),
            volume_cap: e.volume_cap.unwrap_or(if cn { 0.25 } else { 0.0 }),
        }
    }

    /// True when no rule is on (the frictionless market).
    pub fn is_frictionless(&self) -> bool {
        !self.price_limits && self.lot_size == 0 && !self.t_plus_one && self.volume_cap == 0.0
    }

    /// One line per rule for the report.
    pub fn describe(&self) -> Vec<String> {
        let mut v = Vec::new();
        v.push(if self.price_limits {
            "price limits: no buy at the up limit, no sell at the down limit, judged at the fill price against the previous close".to_owned()
        } else {
            "price limits: off".to_owned()
        });
        v.push(match self.lot_size {
            0 => "lots: fractional shares".to_owned(),
            n => format!("lots: {n} raw shares (a whole-position sale may be an odd lot)"),
        });
        v.push(format!(
            "t+1: {}",
            if self.t_plus_one { "on" } else { "off" }
        ));
        v.push(if self.volume_cap > 0.0 {
            format!(
                "volume cap: {} of the fill day's volume per order, remainder dropped (not carried)",
                self.volume_cap
            )
        } else {
            "volume cap: off".to_owned()
        });
        v
    }
}

/// The daily price-limit fraction of `symbol` on `date` (see the module docs).
///
/// ```
/// use alphasim::market_rules::limit_fraction;
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// assert_eq!(limit_fraction("SH600000", d("2021-01-04"), false), 0.10);
/// assert_eq!(limit_fraction("SH600000", d("2021-01-04"), true), 0.05);
/// assert_eq!(limit_fraction("SZ300750", d("2020-08-21"), false), 0.10);
/// assert_eq!(limit_fraction("SZ300750", d("2020-08-24"), false), 0.20);
/// assert_eq!(limit_fraction("SH688981", d("2020-08-21"), false), 0.20);
/// ```
pub fn limit_fraction(symbol: &str, date: Date, st: bool) -> f64 {
    let (exchange, code) = split_symbol(symbol);
    let chinext_reform = Date::from_ymd_opt(2020, 8, 24).expect("a valid date");
    match exchange {
        "SH" if code.starts_with("688") || code.starts_with("689") => 0.20,
        "SZ" if (code.starts_with("300") || code.starts_with("301")) && date >= chinext_reform => {
            0.20
        }
        "BJ" => 0.30,
        _ if st => 0.05,
        _ => 0.10,
    }
}

/// `SH600000` or `600000.SH` → ("SH", "600000").
fn split_symbol(symbol: &str) -> (&str, &str) {
    if let Some((code, ex)) = symbol.split_once('.') {
        return (ex, code);
    }
    if symbol.len() > 2 && symbol.is_char_boundary(2) {
        let (ex, code) = symbol.split_at(2);
        return (ex, code);
    }
    ("", symbol)
}

/// Rounds a price to the tick (¥0.01), half away from zero.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Derived (up, down) limit prices from a raw reference price.
///
/// ```
/// use alphasim::market_rules::derived_limits;
/// assert_eq!(derived_limits(10.0, 0.10), (11.0, 9.0));
/// assert_eq!(derived_limits(3.33, 0.10), (3.66, 3.0)); // 3.663 → 3.66, 2.997 → 3.00
/// ```
pub fn derived_limits(reference: f64, fraction: f64) -> (f64, f64) {
    (
        round2(reference * (1.0 + fraction)),
        round2(reference * (1.0 - fraction)),
    )
}

/// Half a tick: prices within it of a limit count as at the limit.
pub const LIMIT_TOLERANCE: f64 = 0.005;

/// (buy blocked, sell blocked) for a raw fill `price` and limits (NaN = no limit).
pub fn limit_blocks(price: f64, up: f64, down: f64) -> (bool, bool) {
    (
        up.is_finite() && price >= up - LIMIT_TOLERANCE,
        down.is_finite() && price <= down + LIMIT_TOLERANCE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_limit_blocks_at_and_inside_the_band() {
        assert_eq!(limit_blocks(11.0, 11.0, 9.0), (true, false));
        assert_eq!(limit_blocks(10.99, 11.0, 9.0), (false, false));
        assert_eq!(limit_blocks(9.0, 11.0, 9.0), (false, true));
        assert_eq!(limit_blocks(9.0, f64::NAN, f64::NAN), (false, false));
    }

    #[test]
    fn test_split_symbol_both_spellings() {
        assert_eq!(split_symbol("SZ300750"), ("SZ", "300750"));
        assert_eq!(split_symbol("300750.SZ"), ("SZ", "300750"));
    }
}
