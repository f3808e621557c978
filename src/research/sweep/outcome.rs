//! What a sweep produces: one row per variant (its swept values and headline
//! metrics), the break-even points and the whole outcome.

use super::plan::value_text;
use crate::report::Report;

/// One row of the comparison table (also a shard manifest's record of a
/// variant: every field round-trips exactly through TOML).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VariantRow {
    pub name: String,
    pub params: Vec<(String, toml::Value)>,
    /// The model's name in the report (`ew`, `dmfm`, …).
    pub model: String,
    /// The universe index (`all` without one).
    pub index: String,
    /// First signal day (t0) and last day of the evaluation window.
    pub t0: Option<String>,
    pub end: String,
    pub rebalances: usize,
    pub annual_return: f64,
    pub alpha: f64,
    pub information_ratio: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
    pub ic_mean: f64,
    pub icir: f64,
    pub rank_ic_mean: f64,
    pub rank_icir: f64,
    pub turnover_annual: f64,
    pub cost_total: f64,
    pub cost_annual: f64,
    pub unfilled: usize,
}

impl VariantRow {
    pub(super) fn from_report(
        name: String,
        params: Vec<(String, toml::Value)>,
        r: &Report,
    ) -> Self {
        let m = &r.metrics;
        VariantRow {
            name,
            params,
            model: r.run.model.clone(),
            index: r.conventions.universe.clone(),
            t0: r.window.t0.clone(),
            end: r.window.end.clone(),
            rebalances: r.window.rebalances,
            annual_return: m.portfolio.annual_return,
            alpha: m.excess.alpha,
            information_ratio: m.excess.information_ratio,
            sharpe: m.portfolio.sharpe,
            max_drawdown: m.portfolio.max_drawdown,
            ic_mean: m.ic.ic_mean,
            icir: m.ic.icir,
            rank_ic_mean: m.ic.rank_ic_mean,
            rank_icir: m.ic.rank_icir,
            turnover_annual: m.trading.turnover_annual,
            cost_total: m.trading.cost_total,
            cost_annual: m.trading.cost_annual,
            unfilled: m.trading.unfilled.values().sum(),
        }
    }

    /// The value of swept key `key`, as text.
    pub fn param(&self, key: &str) -> Option<String> {
        self.params
            .iter()
            .find(|p| p.0 == key)
            .map(|p| value_text(&p.1))
    }
}

/// Break-even along one axis for one combination of the other axes.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakEven {
    pub axis: String,
    /// The other axes' values.
    pub fixed: Vec<(String, toml::Value)>,
    /// Where alpha crosses zero (None: no sign change).
    pub value: Option<f64>,
    /// Alpha at the smallest and largest value of the axis.
    pub alpha_first: f64,
    pub alpha_last: f64,
}

/// Swept values as `key=value, …` (`-` without any).
pub(super) fn params_text(params: &[(String, toml::Value)]) -> String {
    if params.is_empty() {
        return "-".to_owned();
    }
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", value_text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A variant that failed: its name, swept values and the error.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VariantFailure {
    pub name: String,
    pub params: Vec<(String, toml::Value)>,
    /// The error's text (for a replay whose scoring failed: which variant it was).
    pub error: String,
}

impl VariantFailure {
    /// The swept values as `key=value, …` (`-` without any).
    pub fn params_text(&self) -> String {
        params_text(&self.params)
    }
}

impl std::fmt::Display for VariantFailure {
    /// `sweep variant v002 (model=bad, costs.commission_bps=0): <error>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sweep variant {} ({}): {}",
            self.name,
            self.params_text(),
            self.error
        )
    }
}

/// A finished sweep (at least one variant succeeded).
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// The variants that succeeded, in variant order.
    pub rows: Vec<VariantRow>,
    /// The variants that failed, in variant order (empty when all succeeded;
    /// then no `failures.csv` is written).
    pub failures: Vec<VariantFailure>,
    pub break_even: Vec<BreakEven>,
    /// The swept keys that change the scores (`model`, `index`), in axis order.
    pub scoring_keys: Vec<String>,
    /// Number of scorings (groups of variants that share the scores).
    pub scorings: usize,
    /// Wall time of each scoring run: (variant name, seconds). Not written to
    /// any file (it is not deterministic); the CLI prints it.
    pub scoring_seconds: Vec<(String, f64)>,
}

impl SweepOutcome {
    /// The swept keys, in axis order.
    pub(super) fn keys(&self) -> Vec<String> {
        self.rows
            .first()
            .map(|r| r.params.iter().map(|p| p.0.clone()).collect())
            .unwrap_or_default()
    }
}
