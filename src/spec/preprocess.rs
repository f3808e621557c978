//! The `[preprocess]` table: cross-sectional preprocessing of the library factors (the rule is in `factors::preprocess`).

use serde::{Deserialize, Serialize};

/// The spec's `[preprocess]` table.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreprocessConfig {
    /// Winsorise at median ± k·MAD (0 = off).
    #[serde(default = "default_mad")]
    pub winsorize_mad: f64,
    /// z-score each column.
    #[serde(default = "yes")]
    pub standardize: bool,
    /// How missing values are filled.
    #[serde(default)]
    pub missing: MissingRule,
}

fn default_mad() -> f64 {
    5.0
}
fn yes() -> bool {
    true
}

impl Default for PreprocessConfig {
    fn default() -> Self {
        PreprocessConfig {
            winsorize_mad: default_mad(),
            standardize: true,
            missing: MissingRule::IndustryMedian,
        }
    }
}

impl PreprocessConfig {
    /// True for the defaults (not echoed in report.json then).
    pub fn is_default(&self) -> bool {
        *self == PreprocessConfig::default()
    }
}

/// Fill rule for missing values.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MissingRule {
    /// Industry median, then the cross-sectional median.
    #[default]
    IndustryMedian,
    /// The cross-sectional median.
    Median,
    /// Leave missing values NaN.
    None,
}
