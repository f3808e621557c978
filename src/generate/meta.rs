//! `meta.json`: the settings, the planted signal, the oracle IC and the event
//! counts of a generated bundle.

use super::config::{
    GeneratorConfig, INDEX_NAME, INDUSTRY_RELATIVE_COEFFICIENT, INTERACTION_COEFFICIENT,
    LINEAR_COEFFICIENTS,
};
use super::universe::Stock;
use crate::{Error, Result};
use chrono::NaiveDate;
use std::path::Path;

/// Event counts, reported in `meta.json`.
#[derive(Default, Debug)]
pub(super) struct Counts {
    pub(super) bar_rows: usize,
    pub(super) factor_rows: usize,
    pub(super) fundamental_rows: usize,
    pub(super) limit_up_closes: usize,
    pub(super) limit_down_closes: usize,
    pub(super) suspended_missing_rows: usize,
    pub(super) suspended_zero_volume_rows: usize,
    pub(super) dividends: usize,
    pub(super) splits: usize,
    pub(super) restatements: usize,
    pub(super) penny_delistings: usize,
}

/// Writes `meta.json` (pretty-printed, with a final newline).
#[allow(clippy::too_many_arguments)]
pub(super) fn write_meta(
    config: &GeneratorConfig,
    seed: u64,
    out: &Path,
    calendar: &[NaiveDate],
    stocks: &[Stock],
    counts: &Counts,
    oracle_ic: &[(usize, f64)],
    oracle_rank_ic: &[(usize, f64)],
    member: Option<&super::family::Family>,
) -> Result<()> {
    use serde_json::{json, Map, Value};
    let ic_map = |v: &[(usize, f64)]| -> Value {
        let mut m = Map::new();
        for &(h, ic) in v {
            m.insert(h.to_string(), json!(ic));
        }
        Value::Object(m)
    };
    let factor_names: Vec<String> = (0..config.n_factors).map(|k| format!("f{k}")).collect();
    let noise: Vec<String> = (6..config.n_factors).map(|k| format!("f{k}")).collect();
    let mut meta = json!({
        "generator": "alphasim generate",
        "format_version": 1,
        "preset": config.preset.map_or("custom", |p| p.name()),
        "seed": seed,
        "n_stocks": config.n_stocks,
        "n_days": config.n_days,
        "n_factors": config.n_factors,
        "n_industries": config.n_industries,
        "index": INDEX_NAME,
        "index_size": config.index_size,
        "start_date": calendar[0].format("%Y-%m-%d").to_string(),
        "end_date": calendar[calendar.len() - 1].format("%Y-%m-%d").to_string(),
        "factors": factor_names,
        "signal": {
            "formula": "mu[i,t] = s * (0.5*f0 + 0.3*f1 - 0.3*f2 + 0.4*f3*f4 + 0.4*(f5 - mean_industry(f5))); r[i,t+1] = beta_i*m[t+1] + mu[i,t] + sigma_i*eps + jump, clipped to +-10%",
            "description": "Expected next-day return known at the close of t. Linear in f0, f1, f2; an interaction f3*f4; f5 relative to the mean of f5 over the stocks listed on day t in the stock's industry on day t (the stock included). The factor values are the 6-decimal values of factors.csv (the signal uses the true value behind the ~2% of empty cells).",
            "scale": config.signal_scale,
            "coefficients": {
                "f0": LINEAR_COEFFICIENTS[0],
                "f1": LINEAR_COEFFICIENTS[1],
                "f2": LINEAR_COEFFICIENTS[2],
                "f3*f4": INTERACTION_COEFFICIENT,
                "f5-mean_industry(f5)": INDUSTRY_RELATIVE_COEFFICIENT,
            },
            "noise_factors": noise,
            "factor_process": format!("AR(1), rho = {}, unit stationary variance, independent across factors and stocks", config.factor_rho),
            "uses_rounded_factor_values": true,
        },
        "market": {
            "market_return": "N(0.0003, 0.012)",
            "beta": "U(0.7, 1.3)",
            "idiosyncratic_sd": "U(0.015, 0.03)",
            "jump_rate": config.jump_rate,
            "jump_size": "+-U(0.05, 0.15)",
            "price_limit": 0.1,
            "corporate_action_rate": "1/504 per traded day: bonus issue ratio 2 (price >= 30, probability 0.3) else dividend ratio U(1.005, 1.04)",
        },
        "oracle_ic": ic_map(oracle_ic),
        "oracle_rank_ic": ic_map(oracle_rank_ic),
        "oracle_ic_definition": "For each day t with t+h in the data, over the index members on t with a traded bar (volume > 0) on t: Pearson (rank IC: Spearman, average ranks for ties) correlation of mu[i,t] with close_adj(t+h)/close_adj(t) - 1, close_adj = close * adj_factor, using the last traded close on or before t+h; mean over days.",
        "benchmark_definition": "level 1000 on day 0; level[t] = level[t-1] * (1 + b[t]); b[t] = mean over symbols that are members on day t and traded (row with volume > 0) on both day t-1 and day t of close_adj[t]/close_adj[t-1] - 1, close_adj = close * adj_factor from the written values, summed in symbol order then divided by the count; b[t] = 0 if none.",
        "index_definition": "top index_size by raw close * shares outstanding; chosen on day 0 from stocks listed on day 0 (day-0 close) and on the first trading day of each June and December from stocks listed at least min_listing_days before (previous day's close); a member leaves after its last bar day, so the index can have fewer than index_size members until the next selection.",
        "min_listing_days": config.min_listing_days,
        "counts": {
            "bar_rows": counts.bar_rows,
            "factor_rows": counts.factor_rows,
            "fundamental_rows": counts.fundamental_rows,
            "ipos_after_day_0": stocks.iter().filter(|s| s.first > 0).count(),
            "delistings": stocks.iter().filter(|s| s.last + 1 < config.n_days).count(),
            "reclassifications": stocks.iter().filter(|s| s.reclass.is_some()).count(),
            "limit_up_closes": counts.limit_up_closes,
            "limit_down_closes": counts.limit_down_closes,
            "suspended_missing_rows": counts.suspended_missing_rows,
            "suspended_zero_volume_rows": counts.suspended_zero_volume_rows,
            "dividends": counts.dividends,
            "splits": counts.splits,
            "restatements": counts.restatements,
            "penny_delistings": counts.penny_delistings,
        },
    });
    if let Some(member) = member {
        // a family member: its drawn model and observed columns
        meta["preset"] = json!(format!("family:{}", member.config.name()));
        meta["n_factors"] = json!(member.columns.len());
        meta["factors"] = json!(member
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>());
        meta["n_latents"] = json!(config.n_factors);
        meta["signal"] = member.to_json();
    }
    if config.temporal_scale != 0.0 {
        // only with the option on, so bundles without it keep their bytes
        meta["temporal_signal"] = json!({
            "formula": super::temporal::FORMULA,
            "description": "A term of the expected next-day return known at the close of t that depends on the stock's own recent returns and volume (a 5-day reversal and a volume-shock x return interaction), which no factor column contains. Included in mu, so in oracle_scores.csv and the oracle IC.",
            "scale": config.temporal_scale,
            "coefficients": {
                "reversal_5d": -super::temporal::REVERSAL_COEFFICIENT,
                "volume_shock_x_return": super::temporal::VOLUME_SHOCK_COEFFICIENT,
            },
        });
    }
    let path = out.join("meta.json");
    let mut text = serde_json::to_string_pretty(&meta).expect("meta serialises");
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}
