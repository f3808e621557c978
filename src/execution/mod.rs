//! Orders, fills and transaction costs.
//!
//! At a fill, the engine hands [`rebalance`] the portfolio, the target
//! weights and a price for every symbol that can trade now. Sizing follows
//! DESIGN §4:
//!
//! - W = cash + value of the *tradable* holdings at the fill prices
//!   (holdings that cannot trade now stay held and are not part of W);
//! - each tradable target gets a share of W' in proportion to its weight
//!   (W'/k for equal weights), every other tradable holding is sold;
//! - W' solves W' = W − cost(trades(W')).
//!
//! Design notes (the fixed point): the cost of the trades is a piecewise
//! linear function of W' whose slope is at most the largest cost rate, far
//! below 1, so W' ↦ W − cost(trades(W')) is a contraction and plain iteration
//! from W' = W converges geometrically (error × rate per step: at 40 bps
//! twelve digits in five steps). We iterate until the change is below 1e-12 ×
//! W (at most 100 steps), then take the costs of the final trades exactly, so
//! cash = W − Σ targets − costs, a rounding residue of the order of 1e-9 of W.
//! The book is fully invested and never borrows.
//!
//! Market rules ([`crate::market_rules`]) then act on each sized order: a refused
//! order (price limit, T+1), a capped one (volume cap) or a rounded one
//! (lots) trades less than planned and the rest is recorded as
//! [`Unfilled`] with its reason. Sells run first; when a refused sell leaves
//! less cash than the buys need, the buys are scaled down pro rata (largest
//! factor whose value plus costs fits the cash, by bisection) so cash never
//! goes negative. What a capped or refused buy does not spend stays as cash
//! until the next rebalance. With no rule on, the outcome is exactly the
//! sizing above. Fills are reported in symbol order.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | what a fill reports: [`FillRecord`], [`Unfilled`] and their reasons, [`Quote`], [`RebalanceOutcome`] |
//! | `rebalance.rs` | [`rebalance`] (sizing, the cash check) and [`liquidate`] |
//! | `order_rules.rs` | the market rules applied to one sized order |
//! | `booking.rs` | one fill applied to the portfolio |

mod booking;
mod order_rules;
mod rebalance;
#[cfg(test)]
mod tests;

pub use rebalance::{liquidate, rebalance};

use crate::costs::{CostBreakdown, Side, TradeIntent};
use crate::data::{Date, SymbolId};
use serde::Serialize;

/// Why a trade happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeReason {
    Rebalance,
    /// The symbol's last bar: sold at its last close.
    Delisting,
}

impl TradeReason {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeReason::Rebalance => "rebalance",
            TradeReason::Delisting => "delisting",
        }
    }
}

/// Why (part of) an order did not fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnfilledReason {
    /// No traded bar at the fill.
    Suspended,
    /// A buy at the up limit.
    LimitUp,
    /// A sell at the down limit.
    LimitDown,
    /// The part above the volume participation cap (dropped, not carried).
    VolumeCap,
    /// The order rounds to zero round lots.
    Lot,
    /// Shares bought today cannot be sold today.
    TPlusOne,
    /// A buy scaled down because a refused sell left too little cash.
    Cash,
}

impl UnfilledReason {
    /// Every reason, in report order.
    pub const ALL: [UnfilledReason; 7] = [
        UnfilledReason::Suspended,
        UnfilledReason::LimitUp,
        UnfilledReason::LimitDown,
        UnfilledReason::VolumeCap,
        UnfilledReason::Lot,
        UnfilledReason::TPlusOne,
        UnfilledReason::Cash,
    ];
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnfilledReason::Suspended => "suspended",
            UnfilledReason::LimitUp => "limit_up",
            UnfilledReason::LimitDown => "limit_down",
            UnfilledReason::VolumeCap => "volume_cap",
            UnfilledReason::Lot => "lot",
            UnfilledReason::TPlusOne => "t_plus_one",
            UnfilledReason::Cash => "cash",
        }
    }
}

/// An executed trade (a `filled` row of `trades.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct FillRecord {
    pub date: Date,
    pub symbol: SymbolId,
    pub side: Side,
    /// Adjusted shares traded (positive).
    pub quantity: f64,
    /// Fill price, adjusted (value = quantity × adjusted price).
    pub adjusted_price: f64,
    /// Fill price as quoted (raw).
    pub price: f64,
    pub value: f64,
    /// Total cost (= costs.total()).
    pub cost: f64,
    pub costs: CostBreakdown,
    pub reason: TradeReason,
}

/// (Part of) an order that did not fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfilled {
    pub date: Date,
    pub symbol: SymbolId,
    pub side: Side,
    /// Adjusted shares not traded (NaN when unknown: a suspended target).
    pub quantity: f64,
    /// Raw price it would have traded at (NaN when suspended: no price).
    pub price: f64,
    /// Value not traded (at the fill price, or the last close when suspended; NaN when unknown).
    pub value: f64,
    pub reason: UnfilledReason,
    /// What the order was for.
    pub order: TradeReason,
}

/// A symbol that can trade now: fill prices and what the market rules allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    pub adjusted: f64,
    pub raw: f64,
    /// The fill price is at the up limit: no buy.
    pub buy_blocked: bool,
    /// The fill price is at the down limit: no sell.
    pub sell_blocked: bool,
    /// Most raw shares one order may trade (volume cap); infinite without a cap.
    pub max_raw_shares: f64,
    /// σ of daily returns and average daily value known before the fill (NaN unknown).
    pub sigma_daily: f64,
    pub adv_value: f64,
}

impl Quote {
    /// A quote with no rule binding and no liquidity statistics.
    pub fn new(adjusted: f64, raw: f64) -> Self {
        Quote {
            adjusted,
            raw,
            buy_blocked: false,
            sell_blocked: false,
            max_raw_shares: f64::INFINITY,
            sigma_daily: f64::NAN,
            adv_value: f64::NAN,
        }
    }
    fn intent(&self, date: Date, symbol: SymbolId, side: Side, value: f64) -> TradeIntent {
        TradeIntent {
            date,
            symbol,
            side,
            value,
            sigma_daily: self.sigma_daily,
            adv_value: self.adv_value,
        }
    }
    /// Raw shares per adjusted share.
    fn adj_factor(&self) -> f64 {
        self.adjusted / self.raw
    }
}

/// Outcome of one rebalance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebalanceOutcome {
    /// Fills in symbol order.
    pub fills: Vec<FillRecord>,
    /// Unfilled orders and remainders.
    pub unfilled: Vec<Unfilled>,
    pub buys: f64,
    pub sells: f64,
    pub cost: f64,
    pub costs: CostBreakdown,
    /// Portfolio value before trading (tradable holdings at fill prices,
    /// others at their last close), the turnover denominator.
    pub pre_trade_value: f64,
    /// Targets that could not trade now (no bar): missed.
    pub missed: Vec<SymbolId>,
}
