//! What the generator is told: the size presets, the configuration and its
//! checks, the index name and the planted signal's coefficients.

use crate::{Error, Result};
use chrono::NaiveDate;
use std::str::FromStr;

/// Name of the one index in a generated bundle.
pub const INDEX_NAME: &str = "synth";

/// Default scale `s` of the planted signal (daily expected-return units).
pub const SIGNAL_SCALE: f64 = 0.0012;

/// Coefficients of the linear part of the signal on `f0`, `f1`, `f2`.
pub const LINEAR_COEFFICIENTS: [f64; 3] = [0.5, 0.3, -0.3];

/// Coefficient of the interaction `f3·f4`.
pub const INTERACTION_COEFFICIENT: f64 = 0.4;

/// Coefficient of the industry-relative term `f5 − mean_industry(f5)`.
pub const INDUSTRY_RELATIVE_COEFFICIENT: f64 = 0.4;

/// Size presets of the generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// 30 stocks × 300 trading days (the committed fixture).
    Tiny,
    /// 300 stocks × 1,000 trading days.
    Small,
    /// 800 stocks × 2,500 trading days (CSI800-like).
    Medium,
    /// 3,000 stocks × 3,000 trading days (CSI1000-plus scale).
    Large,
}

impl Preset {
    /// All presets, smallest first.
    pub const ALL: [Preset; 4] = [Preset::Tiny, Preset::Small, Preset::Medium, Preset::Large];

    /// The preset's name as written on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Medium => "medium",
            Preset::Large => "large",
        }
    }

    /// The generator configuration of this preset.
    pub fn config(self) -> GeneratorConfig {
        let (n_stocks, n_days) = match self {
            Preset::Tiny => (30, 300),
            Preset::Small => (300, 1_000),
            Preset::Medium => (800, 2_500),
            Preset::Large => (3_000, 3_000),
        };
        GeneratorConfig {
            preset: Some(self),
            ..GeneratorConfig::new(n_stocks, n_days)
        }
    }
}

impl FromStr for Preset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::Run(format!(
                    "unknown preset `{s}`; expected one of tiny, small, medium, large"
                ))
            })
    }
}

/// Everything the generator needs besides the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// The preset this came from (`None` = custom); recorded in `meta.json`.
    pub preset: Option<Preset>,
    /// Number of stocks (at most 5,999: symbols are main-board codes).
    pub n_stocks: usize,
    /// Number of trading days.
    pub n_days: usize,
    /// Number of factors `f0..`; between 6 and 14 (the signal uses f0..f5).
    pub n_factors: usize,
    /// Number of industries (`Industry01`…); at least 2 for reclassifications.
    pub n_industries: usize,
    /// Number of stocks chosen into the index at each selection.
    pub index_size: usize,
    /// First weekday of the calendar (always a trading day).
    pub start: NaiveDate,
    /// Scale `s` of the planted signal.
    pub signal_scale: f64,
    /// Scale of the planted temporal signal (0 = off, the default; see
    /// the `temporal` module): μ gains `temporal_scale · τ`.
    pub temporal_scale: f64,
    /// AR(1) coefficient of the factors.
    pub factor_rho: f64,
    /// Probability that a weekday (other than the first) is a holiday.
    pub holiday_rate: f64,
    /// Fraction of stocks that list after day 0.
    pub ipo_fraction: f64,
    /// Fraction of stocks that delist before the final day.
    pub delist_fraction: f64,
    /// Fraction of stocks reclassified once.
    pub reclass_fraction: f64,
    /// Approximate fraction of listed stock-days inside suspension spells.
    pub suspension_fraction: f64,
    /// Probability that a factor cell is written empty.
    pub factor_missing_rate: f64,
    /// Probability of a price jump (±5–15%) on a stock-day.
    pub jump_rate: f64,
    /// Probability that a fundamental value is restated.
    pub restatement_rate: f64,
    /// Trading days a stock must have been listed to enter the index at a
    /// re-selection (not applied on day 0).
    pub min_listing_days: usize,
    /// A stock whose traded close is below 1.00 on this many consecutive
    /// traded days delists after the last of them (the exchanges' rule);
    /// 0 disables the rule.
    pub penny_delist_days: usize,
}

impl GeneratorConfig {
    /// A configuration with the standard rates for the given size:
    /// `n_industries = min(30, max(5, n_stocks/10))`, `index_size` = 2/3 of
    /// `n_stocks` rounded, 8 factors, start 2015-01-05.
    pub fn new(n_stocks: usize, n_days: usize) -> Self {
        GeneratorConfig {
            preset: None,
            n_stocks,
            n_days,
            n_factors: 8,
            n_industries: (n_stocks / 10).clamp(5, 30),
            index_size: (n_stocks as f64 * 2.0 / 3.0).round() as usize,
            start: NaiveDate::from_ymd_opt(2015, 1, 5).expect("valid date"),
            signal_scale: SIGNAL_SCALE,
            temporal_scale: 0.0,
            factor_rho: 0.98,
            holiday_rate: 0.02,
            ipo_fraction: 0.15,
            delist_fraction: 0.10,
            reclass_fraction: 0.05,
            suspension_fraction: 0.01,
            factor_missing_rate: 0.02,
            jump_rate: 0.004,
            restatement_rate: 0.03,
            min_listing_days: 60,
            penny_delist_days: 20,
        }
    }

    pub(super) fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(Error::Run(format!("generator config: {m}")));
        if self.n_stocks == 0 || self.n_stocks > 5_999 {
            return fail(format!("n_stocks = {} must be 1..=5999", self.n_stocks));
        }
        if self.n_days < 2 {
            return fail(format!("n_days = {} must be at least 2", self.n_days));
        }
        if !(6..=14).contains(&self.n_factors) {
            return fail(format!("n_factors = {} must be 6..=14", self.n_factors));
        }
        if !(2..=99).contains(&self.n_industries) {
            return fail(format!(
                "n_industries = {} must be 2..=99",
                self.n_industries
            ));
        }
        if self.index_size == 0 || self.index_size > self.n_stocks {
            return fail(format!(
                "index_size = {} must be 1..=n_stocks",
                self.index_size
            ));
        }
        if !(0.0..1.0).contains(&self.factor_rho) {
            return fail(format!(
                "factor_rho = {} must be in [0, 1)",
                self.factor_rho
            ));
        }
        for (name, p) in [
            ("holiday_rate", self.holiday_rate),
            ("ipo_fraction", self.ipo_fraction),
            ("delist_fraction", self.delist_fraction),
            ("reclass_fraction", self.reclass_fraction),
            ("suspension_fraction", self.suspension_fraction),
            ("factor_missing_rate", self.factor_missing_rate),
            ("jump_rate", self.jump_rate),
            ("restatement_rate", self.restatement_rate),
        ] {
            if !(0.0..0.5).contains(&p) {
                return fail(format!("{name} = {p} must be in [0, 0.5)"));
            }
        }
        if !self.signal_scale.is_finite() {
            return fail("signal_scale must be finite".into());
        }
        if !self.temporal_scale.is_finite() {
            return fail(format!(
                "temporal_scale = {} must be finite (0 turns the temporal signal off)",
                self.temporal_scale
            ));
        }
        Ok(())
    }
}
