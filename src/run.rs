//! The backtest use cases: load a spec or a bundle, run the engine, build the report (nothing written).

use crate::{alpha, data, engine, report, spec, Result};
use std::path::Path;

/// Loads the spec's bundle, runs it and builds the report (nothing written).
/// Only the `factors.csv` columns the run reads are parsed
/// ([`engine::run_factor_columns`]); the result is the same as with all.
pub fn backtest(spec: &spec::Spec, progress: engine::Progress<'_>) -> Result<report::RunResult> {
    let market = load_bundle_with(spec, &run_load_options(spec))?;
    backtest_market(spec, &market, progress)
}

/// Checks the spec's data folder (after any `--data` override) and loads its
/// whole bundle (every factor column).
pub fn load_bundle(spec: &spec::Spec) -> Result<data::Market> {
    load_bundle_with(spec, &data::LoadOptions::default())
}

/// The load options of one run of `spec`: default, parsing only the factor
/// columns the run reads.
pub fn run_load_options(spec: &spec::Spec) -> data::LoadOptions {
    data::LoadOptions {
        factor_columns: engine::run_factor_columns(spec),
        ..data::LoadOptions::default()
    }
}

/// Checks the spec's data folder and loads its bundle with `opts`: the one
/// load path of the backtest, the CLI commands and the sweep.
pub fn load_bundle_with(spec: &spec::Spec, opts: &data::LoadOptions) -> Result<data::Market> {
    spec.check_data_dir()?;
    data::load_market(&spec.data_dir, opts)
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
