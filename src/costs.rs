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
//! [`execution`](crate::execution) rely on.

use crate::data::{Date, SymbolId};
use crate::spec::RateStep;
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

/// Proportional commission in basis points, the same on both sides (the paper's 4‰).
///
/// ```
/// use alphasim::costs::{CostModel, ProportionalCost, Side, TradeIntent};
/// use alphasim::data::SymbolId;
/// let m = ProportionalCost { bps: 40.0 };
/// let t = TradeIntent::new(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(), SymbolId(0), Side::Sell, 10_000.0);
/// assert!((m.cost(&t) - 40.0).abs() < 1e-12); // 10,000 × 40 / 10,000
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionalCost {
    pub bps: f64,
}

impl CostModel for ProportionalCost {
    fn breakdown(&self, trade: &TradeIntent) -> CostBreakdown {
        CostBreakdown {
            commission: trade.value * self.bps * 1e-4,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        format!("proportional commission {} bps on buys and sells", self.bps)
    }
}

/// Commission by side with a minimum per order:
/// `max(min, v × bps_side / 10⁴)` for `v > 0`.
///
/// ```
/// use alphasim::costs::{Commission, CostModel, Side, TradeIntent};
/// use alphasim::data::SymbolId;
/// let m = Commission { buy_bps: 2.5, sell_bps: 2.5, min: 5.0 };
/// let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
/// // 10,000 × 2.5 bp = 2.5 < 5: the minimum applies; 100,000 × 2.5 bp = 25.
/// assert_eq!(m.cost(&TradeIntent::new(d, SymbolId(0), Side::Buy, 10_000.0)), 5.0);
/// assert!((m.cost(&TradeIntent::new(d, SymbolId(0), Side::Buy, 100_000.0)) - 25.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Commission {
    pub buy_bps: f64,
    pub sell_bps: f64,
    /// Minimum commission per order, in currency.
    pub min: f64,
}

impl CostModel for Commission {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        let bps = match t.side {
            Side::Buy => self.buy_bps,
            Side::Sell => self.sell_bps,
        };
        let c = if t.value > 0.0 {
            (t.value * bps * 1e-4).max(self.min)
        } else {
            0.0
        };
        CostBreakdown {
            commission: c,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        let mut s = if self.buy_bps == self.sell_bps {
            format!(
                "proportional commission {} bps on buys and sells",
                self.buy_bps
            )
        } else {
            format!(
                "commission {} bps on buys, {} bps on sells",
                self.buy_bps, self.sell_bps
            )
        };
        if self.min > 0.0 {
            s.push_str(&format!(" (minimum {} per order)", self.min));
        }
        s
    }
}

/// The rate of a date schedule on `date`: the latest step with `from ≤ date`; 0 before the first.
///
/// ```
/// use alphasim::costs::schedule_bps;
/// use alphasim::spec::RateStep;
/// let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
/// let s = [RateStep { from: d("2008-09-19"), bps: 10.0 }, RateStep { from: d("2023-08-28"), bps: 5.0 }];
/// assert_eq!(schedule_bps(&s, d("2023-08-25")), 10.0);
/// assert_eq!(schedule_bps(&s, d("2023-08-28")), 5.0);
/// assert_eq!(schedule_bps(&s, d("2000-01-01")), 0.0);
/// ```
pub fn schedule_bps(schedule: &[RateStep], date: Date) -> f64 {
    let i = schedule.partition_point(|s| s.from <= date);
    if i == 0 {
        0.0
    } else {
        schedule[i - 1].bps
    }
}

fn describe_schedule(schedule: &[RateStep]) -> String {
    schedule
        .iter()
        .map(|s| format!("{} bps from {}", s.bps, s.from))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stamp duty on sells: `v × bps(date) / 10⁴` with `bps(date)` from a date
/// schedule (China: 10 bps from 2008-09-19, 5 bps from 2023-08-28).
#[derive(Debug, Clone, PartialEq)]
pub struct StampDuty {
    pub schedule: Vec<RateStep>,
}

impl CostModel for StampDuty {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        let stamp_duty = match t.side {
            Side::Sell => t.value * schedule_bps(&self.schedule, t.date) * 1e-4,
            Side::Buy => 0.0,
        };
        CostBreakdown {
            stamp_duty,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        format!("stamp duty on sells {}", describe_schedule(&self.schedule))
    }
}

/// Exchange transfer fee on both sides: `v × bps(date) / 10⁴` (a date schedule).
#[derive(Debug, Clone, PartialEq)]
pub struct TransferFee {
    pub schedule: Vec<RateStep>,
}

impl CostModel for TransferFee {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        CostBreakdown {
            transfer_fee: t.value * schedule_bps(&self.schedule, t.date) * 1e-4,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        format!("transfer fee {}", describe_schedule(&self.schedule))
    }
}

/// Slippage on both sides: `v × bps / 10⁴`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slippage {
    pub bps: f64,
}

impl CostModel for Slippage {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        CostBreakdown {
            slippage: t.value * self.bps * 1e-4,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        format!("slippage {} bps", self.bps)
    }
}

/// Square-root market impact: `k × σ_daily × √(v / ADV) × v`, 0 when σ or
/// ADV is unknown or ADV is 0.
///
/// ```
/// use alphasim::costs::{CostModel, SquareRootImpact, Side, TradeIntent};
/// use alphasim::data::SymbolId;
/// let m = SquareRootImpact { k: 1.0, window: 20 };
/// let mut t = TradeIntent::new(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(), SymbolId(0), Side::Buy, 1e6);
/// t.sigma_daily = 0.02;
/// t.adv_value = 1e8;
/// // 1 × 0.02 × √(0.01) × 1e6 = 2,000 (20 bps of the order)
/// assert!((m.cost(&t) - 2_000.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SquareRootImpact {
    pub k: f64,
    /// Trading days of history behind σ and ADV.
    pub window: u32,
}

impl CostModel for SquareRootImpact {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        let ok = t.sigma_daily.is_finite() && t.adv_value.is_finite() && t.adv_value > 0.0;
        let impact = if ok && t.value > 0.0 {
            self.k * t.sigma_daily * (t.value / t.adv_value).sqrt() * t.value
        } else {
            0.0
        };
        CostBreakdown {
            impact,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        format!(
            "square-root impact {} x sigma_daily x sqrt(value / ADV) x value ({}-day sigma and ADV known before the fill)",
            self.k, self.window
        )
    }
}

/// A sum of cost models; its breakdown is the component-wise sum.
#[derive(Default)]
pub struct CostStack {
    pub parts: Vec<Box<dyn CostModel>>,
}

impl CostModel for CostStack {
    fn breakdown(&self, t: &TradeIntent) -> CostBreakdown {
        let mut b = CostBreakdown::default();
        for p in &self.parts {
            b.add(&p.breakdown(t));
        }
        b
    }
    fn describe(&self) -> String {
        if self.parts.is_empty() {
            return "no costs".to_owned();
        }
        self.parts
            .iter()
            .map(|p| p.describe())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The resolved cost settings of a run (spec values with the market preset's defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostSettings {
    pub commission_buy_bps: f64,
    pub commission_sell_bps: f64,
    pub min_commission: f64,
    pub stamp_duty: Vec<RateStep>,
    pub transfer_fee: Vec<RateStep>,
    pub slippage_bps: f64,
    pub impact_k: f64,
    pub impact_window: u32,
}

impl CostSettings {
    /// Builds the stack of the components that can cost something.
    /// The commission is always there; alone (no minimum, same rate both sides) it is a [`ProportionalCost`].
    pub fn build(&self) -> CostStack {
        let mut parts: Vec<Box<dyn CostModel>> = Vec::new();
        // The commission is always listed (even at 0 bps) so a report says what was assumed.
        if self.commission_buy_bps == self.commission_sell_bps && self.min_commission == 0.0 {
            parts.push(Box::new(ProportionalCost {
                bps: self.commission_buy_bps,
            }));
        } else {
            parts.push(Box::new(Commission {
                buy_bps: self.commission_buy_bps,
                sell_bps: self.commission_sell_bps,
                min: self.min_commission,
            }));
        }
        if self.stamp_duty.iter().any(|s| s.bps > 0.0) {
            parts.push(Box::new(StampDuty {
                schedule: self.stamp_duty.clone(),
            }));
        }
        if self.transfer_fee.iter().any(|s| s.bps > 0.0) {
            parts.push(Box::new(TransferFee {
                schedule: self.transfer_fee.clone(),
            }));
        }
        if self.slippage_bps > 0.0 {
            parts.push(Box::new(Slippage {
                bps: self.slippage_bps,
            }));
        }
        if self.impact_k > 0.0 {
            parts.push(Box::new(SquareRootImpact {
                k: self.impact_k,
                window: self.impact_window,
            }));
        }
        CostStack { parts }
    }

    /// True when the square-root impact is on (σ and ADV must be tracked).
    pub fn needs_liquidity(&self) -> bool {
        self.impact_k > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn full() -> CostSettings {
        CostSettings {
            commission_buy_bps: 2.5,
            commission_sell_bps: 3.0,
            min_commission: 5.0,
            stamp_duty: vec![
                RateStep {
                    from: d("2008-09-19"),
                    bps: 10.0,
                },
                RateStep {
                    from: d("2023-08-28"),
                    bps: 5.0,
                },
            ],
            transfer_fee: vec![RateStep {
                from: d("2015-08-01"),
                bps: 0.2,
            }],
            slippage_bps: 7.0,
            impact_k: 0.5,
            impact_window: 20,
        }
    }

    #[test]
    fn test_cost_stack_breakdown_hand_case() {
        // A 1,000,000 sell on 2023-08-25 with σ = 2%, ADV = 4e7:
        // commission 300, stamp duty 1000, transfer 20, slippage 700,
        // impact 0.5 × 0.02 × √(0.025) × 1e6 = 1581.1388...
        let m = full().build();
        let mut t = TradeIntent::new(d("2023-08-25"), SymbolId(0), Side::Sell, 1e6);
        t.sigma_daily = 0.02;
        t.adv_value = 4e7;
        let b = m.breakdown(&t);
        let expected = [
            300.0,
            1000.0,
            20.0,
            700.0,
            0.5 * 0.02 * 0.025f64.sqrt() * 1e6,
        ];
        for (x, e) in b.values().iter().zip(expected) {
            assert!((x - e).abs() < 1e-9, "{b:?}");
        }
        // The next trading day the duty halves; a buy pays none.
        t.date = d("2023-08-28");
        assert!((m.breakdown(&t).stamp_duty - 500.0).abs() < 1e-9);
        t.side = Side::Buy;
        assert_eq!(m.breakdown(&t).stamp_duty, 0.0);
    }

    #[test]
    fn test_cost_default_commission_only_describes_as_before() {
        let s = CostSettings {
            commission_buy_bps: 40.0,
            commission_sell_bps: 40.0,
            min_commission: 0.0,
            stamp_duty: vec![],
            transfer_fee: vec![],
            slippage_bps: 0.0,
            impact_k: 0.0,
            impact_window: 20,
        };
        assert_eq!(
            s.build().describe(),
            "proportional commission 40 bps on buys and sells"
        );
    }

    proptest! {
        #[test]
        fn test_cost_nonnegative_and_nondecreasing_in_value(
            v1 in 0.0f64..1e8, dv in 0.0f64..1e8, sell in any::<bool>(),
            sigma in 0.0f64..0.1, adv in 1.0f64..1e9, day in 0i64..6000,
        ) {
            let m = full().build();
            let date = d("2010-01-01") + chrono::Days::new(day as u64);
            let side = if sell { Side::Sell } else { Side::Buy };
            let mk = |v: f64| TradeIntent { date, symbol: SymbolId(1), side, value: v, sigma_daily: sigma, adv_value: adv };
            let (a, b) = (m.breakdown(&mk(v1)), m.breakdown(&mk(v1 + dv)));
            for (x, y) in a.values().iter().zip(b.values()) {
                prop_assert!(*x >= 0.0);
                prop_assert!(y >= *x - 1e-9 * x.abs().max(1.0), "{a:?} {b:?}");
            }
        }
    }
}
