//! The `[portfolio]` table: how many stocks are held and how they are weighted.

use serde::{Deserialize, Serialize};

/// Portfolio construction.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PortfolioConfig {
    /// Fraction of eligible stocks held (top by score).
    #[serde(default = "default_fraction")]
    pub top_fraction: f64,
    #[serde(default)]
    pub weighting: Weighting,
}

fn default_fraction() -> f64 {
    0.1
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            top_fraction: default_fraction(),
            weighting: Weighting::Equal,
        }
    }
}

/// Weights within the selected set.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    #[default]
    Equal,
}
