//! The cost components, one type each with its formula, and [`CostStack`], their sum.

use super::{CostBreakdown, CostModel, Side, TradeIntent};
use crate::data::Date;
use crate::spec::RateStep;

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
