//! The `[costs]` table: commissions, taxes, slippage and impact, with the presets' defaults.

use super::{Currency, TradingDays};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One step of a rate schedule: `bps` applies from `from` (inclusive) until the next step.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    pub from: NaiveDate,
    pub bps: f64,
}

/// Transaction costs (see [`crate::costs`] for every formula). Unset values
/// take the market preset's default.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostsConfig {
    /// Proportional commission in basis points of traded value, charged on
    /// buys and on sells (none: 40 bps = the paper's all-in 4‰; cn: 2.5 bps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_bps: Option<f64>,
    /// Commission on buys only (overrides `commission_bps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_buy_bps: Option<f64>,
    /// Commission on sells only (overrides `commission_bps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_sell_bps: Option<f64>,
    /// Minimum commission per order, in currency units (not bps; none: 0; cn: 5 = ¥5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_commission: Option<Currency>,
    /// Stamp duty on sells, a date schedule (none: empty; cn: 10 bps from
    /// 2008-09-19, 5 bps from 2023-08-28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp_duty: Option<Vec<RateStep>>,
    /// Transfer fee on both sides, a date schedule (none: empty; cn: 0.2 bps
    /// from 2015-08-01, 0.1 bps from 2022-04-29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_fee: Option<Vec<RateStep>>,
    /// Slippage in bps of traded value, both sides (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slippage_bps: Option<f64>,
    /// Square-root impact coefficient k (default 0 = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_k: Option<f64>,
    /// Window of the impact's σ and ADV, in trading days (default 20, at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_window: Option<TradingDays>,
}

impl CostsConfig {
    /// A commission-only config (tests, examples).
    pub fn commission(bps: f64) -> Self {
        CostsConfig {
            commission_bps: Some(bps),
            ..Default::default()
        }
    }
}
