//! Transaction-cost models: composable components, each a [`CostModel`]
//! with its formula on the type, summed by a [`CostStack`] with the total
//! broken down by component ([`CostBreakdown`]).
//!
//! | component | formula (per order, value `v` in currency) | side |
//! |---|---|---|
//! | [`Commission`] | `max(min_commission, v × bps_side / 10⁴)` (only when `v > 0`) | both, rate by side |
//! | [`StampDuty`] | `v × bps(date) / 10⁴`, `bps(date)` = the latest schedule step with `from ≤ date` (0 before the first) | sells |
//! | [`TransferFee`] | `v × bps(date) / 10⁴`, a schedule like stamp duty | both |
//! | [`Slippage`] | `v × bps / 10⁴` | both |
//! | [`SquareRootImpact`] | `k × σ_daily × √(v / ADV) × v` | both |
//!
//! Design notes: slippage and impact are charged as costs in currency, not
//! by moving the fill price, so the quantity arithmetic stays exact and the
//! breakdown can show them; to first order the two are the same. `σ_daily`
//! (sample std of daily adjusted close-to-close returns) and `ADV` (mean
//! daily traded value, `amount` or else `close × volume`) come from the last
//! `impact_window` traded days *before* the fill day — nothing the fill could
//! not know. Without at least two returns (or with ADV 0) the impact is 0.
//! Every component is ≥ 0 and non-decreasing in `v` (a property test checks
//! it), which the sizing fixed point and the cash check in
//! `execution` rely on.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Side`], [`TradeIntent`], [`CostBreakdown`], the [`CostModel`] trait |
//! | `components` | one type per cost component, and [`CostStack`] |
//! | `settings` | [`CostSettings`]: the resolved settings (preset defaults applied) and the stack they build |
//! | `liquidity` | the impact model's rolling σ and ADV per symbol |

mod components;
mod liquidity;
mod settings;
#[cfg(test)]
mod tests;

pub use components::{
    schedule_bps, Commission, CostStack, ProportionalCost, Slippage, SquareRootImpact, StampDuty,
    TransferFee,
};
pub use liquidity::{Liquidity, TradedDay};
pub use settings::CostSettings;

use crate::data::{Date, SymbolId};
use serde::Serialize;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// A trade before it is costed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeIntent {
    pub date: Date,
    pub symbol: SymbolId,
    pub side: Side,
    /// Traded value in currency (positive).
    pub value: f64,
    /// Daily return volatility known before the fill (NaN when unknown).
    pub sigma_daily: f64,
    /// Average daily traded value known before the fill (NaN when unknown).
    pub adv_value: f64,
}

impl TradeIntent {
    /// A trade with no liquidity statistics (no impact).
    pub fn new(date: Date, symbol: SymbolId, side: Side, value: f64) -> Self {
        TradeIntent {
            date,
            symbol,
            side,
            value,
            sigma_daily: f64::NAN,
            adv_value: f64::NAN,
        }
    }
}

/// Cost of one or many trades by component, in currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CostBreakdown {
    pub commission: f64,
    pub stamp_duty: f64,
    pub transfer_fee: f64,
    pub slippage: f64,
    pub impact: f64,
}

impl CostBreakdown {
    /// Component names, in column order.
    pub const NAMES: [&'static str; 5] = [
        "commission",
        "stamp_duty",
        "transfer_fee",
        "slippage",
        "impact",
    ];
    /// Components in [`Self::NAMES`] order.
    pub fn values(&self) -> [f64; 5] {
        [
            self.commission,
            self.stamp_duty,
            self.transfer_fee,
            self.slippage,
            self.impact,
        ]
    }
    /// Sum of the components.
    pub fn total(&self) -> f64 {
        self.commission + self.stamp_duty + self.transfer_fee + self.slippage + self.impact
    }
    /// Adds `other` component-wise.
    pub fn add(&mut self, other: &CostBreakdown) {
        self.commission += other.commission;
        self.stamp_duty += other.stamp_duty;
        self.transfer_fee += other.transfer_fee;
        self.slippage += other.slippage;
        self.impact += other.impact;
    }
}

/// A transaction-cost model: the cost of one trade, in currency, ≥ 0.
pub trait CostModel: Send + Sync {
    /// Cost of `trade` by component.
    fn breakdown(&self, trade: &TradeIntent) -> CostBreakdown;
    /// Total cost of `trade`.
    fn cost(&self, trade: &TradeIntent) -> f64 {
        self.breakdown(trade).total()
    }
    /// One-line description for reports.
    fn describe(&self) -> String;
}
