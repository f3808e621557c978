//! The `[schedule]` table: the rebalance calendar and the retrain timer.

use super::TradingDays;
use serde::{Deserialize, Serialize};

/// When the strategy rebalances.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    #[serde(default)]
    pub rebalance: Rebalance,
    /// Trading days between rebalances for `every_n_days`.
    #[serde(default)]
    pub every_n_days: Option<TradingDays>,
    /// Months between model refits (the retrain timer).
    #[serde(default = "default_retrain")]
    pub retrain_months: u32,
}

fn default_retrain() -> u32 {
    6
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            rebalance: Rebalance::Monthly,
            every_n_days: None,
            retrain_months: default_retrain(),
        }
    }
}

/// Rebalance calendars.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Rebalance {
    /// Last trading day of each calendar month.
    #[default]
    Monthly,
    /// Last trading day of each ISO week.
    Weekly,
    /// Every `every_n_days` trading days from the first day of the window.
    EveryNDays,
}

impl Rebalance {
    /// The spec's name for it (`schedule.rebalance`).
    pub fn key(self) -> &'static str {
        match self {
            Rebalance::Monthly => "monthly",
            Rebalance::Weekly => "weekly",
            Rebalance::EveryNDays => "every_n_days",
        }
    }
}
