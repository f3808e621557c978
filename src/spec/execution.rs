//! The `[execution]` table: fill price, market preset and its trading rules.

use super::Fraction;
use serde::{Deserialize, Serialize};

/// Execution settings: the fill price, the market preset and its rules.
///
/// Each rule left unset takes the preset's value (`market = "none"`: all off,
/// the paper's frictionless market; `market = "cn"`: all on).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    #[serde(default)]
    pub fill: Fill,
    #[serde(default)]
    pub market: MarketPreset,
    /// No buy at the up limit, no sell at the down limit (cn: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_limits: Option<bool>,
    /// Round lot in raw shares; 0 = fractional shares (cn: 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_size: Option<u32>,
    /// Shares bought on a day cannot be sold that day (cn: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_plus_one: Option<bool>,
    /// Largest fraction (in `[0, 1]`, not a percentage) of the fill day's volume
    /// one order may take; 0 = no cap (cn: 0.25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_cap: Option<Fraction>,
    /// Symbols under special treatment (ST): ±5% limits on the main board.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub st_symbols: Vec<String>,
}

/// Market presets.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MarketPreset {
    /// Frictionless (the paper): no limits, fractional shares, T+0, no volume cap.
    #[default]
    None,
    /// China A-shares: price limits, 100-share lots, T+1, 25% volume cap, and
    /// A-share fees (2.5 bps commission, ¥5 minimum, stamp duty and transfer fee schedules).
    Cn,
}

/// Fill price.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// The open of the next trading day after the decision.
    #[default]
    NextOpen,
    /// The close the decision was taken at.
    Close,
}
