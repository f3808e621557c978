//! [`CostSettings`]: a run's resolved cost parameters (the spec's `[costs]`
//! with the market preset's defaults applied) and the [`CostStack`] they build.

use super::{
    Commission, CostModel, CostStack, ProportionalCost, Slippage, SquareRootImpact, StampDuty,
    TransferFee,
};
use crate::spec::{CostsConfig, MarketPreset, RateStep};
use serde::Serialize;

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
    /// The settings of `[costs]` under the market `preset`: each value left
    /// unset takes the preset's default (`none`: 40 bps commission both
    /// sides, nothing else; `cn`: 2.5 bps with a minimum of 5 per order, the
    /// stamp-duty and transfer-fee schedules below). Slippage and impact are
    /// off and the impact window is 20 trading days under both presets.
    pub fn from_config(config: &CostsConfig, preset: MarketPreset) -> Self {
        let c = config;
        let cn = preset == MarketPreset::Cn;
        let base = c.commission_bps.unwrap_or(if cn { 2.5 } else { 40.0 });
        let step = |from: &str, bps: f64| RateStep {
            from: from.parse().expect("a valid built-in date"),
            bps,
        };
        CostSettings {
            commission_buy_bps: c.commission_buy_bps.unwrap_or(base),
            commission_sell_bps: c.commission_sell_bps.unwrap_or(base),
            min_commission: c.min_commission.unwrap_or(if cn { 5.0 } else { 0.0 }),
            stamp_duty: c.stamp_duty.clone().unwrap_or_else(|| {
                if cn {
                    vec![step("2008-09-19", 10.0), step("2023-08-28", 5.0)]
                } else {
                    Vec::new()
                }
            }),
            transfer_fee: c.transfer_fee.clone().unwrap_or_else(|| {
                if cn {
                    vec![step("2015-08-01", 0.2), step("2022-04-29", 0.1)]
                } else {
                    Vec::new()
                }
            }),
            slippage_bps: c.slippage_bps.unwrap_or(0.0),
            impact_k: c.impact_k.unwrap_or(0.0),
            impact_window: c.impact_window.unwrap_or(20),
        }
    }

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
