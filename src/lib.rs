#![allow(clippy::result_large_err)] // errors are rare and carry file/line/column/fix text; boxing buys nothing on the cold path
//! alphasim — an event-driven backtesting engine for cross-sectional equity
//! research with pluggable alpha models.
//!
//! Data flows one way:
//!
//! ```text
//! data (load, validate) → feed (day batches, own thread) → engine (event queue, clock)
//!   → alpha (score) → portfolio (select) → execution (orders, fills, costs) → report
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | [`data`] | the bundle format, loading and validation (the only module that knows csv) |
//! | [`generate`] | the synthetic market generator with a planted signal |
//! | [`event`] | events, the `(ts_known, phase, priority, seq)` queue, the forward-only clock |
//! | [`feed`] | day batches streamed through a bounded crossbeam channel |
//! | [`context`] | the known history and the point-in-time view strategies read |
//! | [`factors`] | the point-in-time factor library computed at each close, preprocessing |
//! | [`schedule`] | rebalance and retrain calendars |
//! | [`alpha`] | the `AlphaModel` trait and the built-in models |
//! | [`portfolio`] | cash, holdings, top-fraction selection |
//! | [`execution`] | sizing, fills, unfilled orders |
//! | [`costs`] | composable cost models (commission, stamp duty, transfer fee, slippage, impact) |
//! | [`market`] | A-share market rules (price limits, lots, T+1, volume cap) and presets |
//! | [`research`] | sweeps (model × index scorings and cost/execution replays of one spec, in parallel; the Table-1 view) and the factor report |
//! | [`engine`] | the simulation loop |
//! | [`metrics`] | the metric formulas of DESIGN §4 |
//! | [`report`] | report.json, summary.txt, CSV outputs, trade hash, `--check` |
//! | [`html`] | the self-contained `report.html` with inline SVG charts (plotters) |
//! | [`spec`] | strategy specs (TOML) |
//! | [`cli`] | the command line (the only module that knows clap and indicatif) |
//! | [`malloc`] | start-up allocator tuning (glibc keeps freed tensor memory) |

pub mod alpha;
pub mod cli;
pub mod context;
pub mod costs;
pub mod data;
pub mod engine;
pub mod error;
pub mod event;
pub mod execution;
pub mod factors;
pub mod feed;
pub mod generate;
pub mod html;
pub mod malloc;
pub mod market;
pub mod metrics;
pub mod portfolio;
pub mod report;
pub mod research;
pub mod schedule;
pub mod spec;

pub use error::{Error, Result};

use std::path::Path;

/// Loads the spec's bundle, runs it and builds the report (nothing written).
pub fn backtest(spec: &spec::Spec, progress: engine::Progress<'_>) -> Result<report::RunResult> {
    spec.check_data_dir()?;
    let market = data::load_market(&spec.data_dir, &data::LoadOptions::default())?;
    backtest_market(spec, &market, progress)
}

/// Runs `spec` on an already loaded market and builds the report.
pub fn backtest_market(
    spec: &spec::Spec,
    market: &data::Market,
    progress: engine::Progress<'_>,
) -> Result<report::RunResult> {
    let records = engine::run(spec, market, progress)?;
    let report = report::Report::build(spec, market, &records);
    Ok(report::RunResult {
        report,
        records,
        symbol_names: market.symbols.names().to_vec(),
    })
}

/// Runs `spec` on a loaded market with a given alpha model (built with
/// [`alpha::build_model_with_progress`] or your own) and builds the report.
pub fn backtest_market_with_model(
    spec: &spec::Spec,
    market: &data::Market,
    model: Box<dyn alpha::AlphaModel>,
    progress: engine::Progress<'_>,
) -> Result<report::RunResult> {
    let records = engine::run_with_model(spec, market, model, progress)?;
    let report = report::Report::build(spec, market, &records);
    Ok(report::RunResult {
        report,
        records,
        symbol_names: market.symbols.names().to_vec(),
    })
}

/// Loads a spec file.
pub fn load_spec(path: &Path) -> Result<spec::Spec> {
    spec::Spec::from_file(path)
}
