#![allow(clippy::result_large_err)] // errors are rare and carry file/line/column/fix text; boxing buys nothing on the cold path
//! alphasim — an event-driven backtesting engine for cross-sectional equity
//! research with pluggable alpha models.
//!
//! Data flows one way (the module map, the import layers and two
//! walk-throughs: `docs/architecture.md`):
//!
//! ```text
//! data (load, validate) → feed (day batches, own thread) → engine (event queue, clock)
//!   → alpha (score) → strategy (target weights) → execution (orders, fills, costs)
//!   → portfolio (cash, holdings) → report → run_folder (files), html (page)
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | [`data`] | the bundle's in-memory types, loading (`load/`), validation and the `file` model's score table (the only module that reads the bundle's CSV files) |
//! | [`generate`] | the synthetic market generator with a planted signal |
//! | [`event`] | events, the `(ts_known, phase, priority, seq)` queue, the forward-only clock |
//! | [`feed`] | day batches streamed through a bounded crossbeam channel |
//! | [`context`] | the known history and the point-in-time view strategies read |
//! | [`factors`] | the point-in-time factor library computed at each close, preprocessing |
//! | [`schedule`] | rebalance and retrain calendars |
//! | [`signal`] | the one forward-return / IC / quantile rule (engine IC, factor report, model labels) |
//! | [`alpha`] | the `AlphaModel` trait and the built-in models (candle and gemm only in [`alpha::deep`]) |
//! | [`strategy`] | portfolio construction: scores + context → target weights |
//! | [`execution`] | sizing, the market rules on each order, fills, unfilled orders |
//! | [`costs`] | composable cost models (commission, stamp duty, transfer fee, slippage, impact) and their resolved settings |
//! | [`market_rules`] | A-share market rules (price limits, lots, T+1, volume cap) and presets |
//! | [`portfolio`] | cash and holdings |
//! | [`engine`] | the simulation loop: setup, event dispatch, fills, records |
//! | [`metrics`] | the metric formulas of DESIGN §4 (pure functions on slices) |
//! | [`report`] | the report of a run: metrics, trade hash, summary text, `--check` (writes no file) |
//! | [`run_folder`] | writes and reads every run-folder file (report.json, CSVs, report.html) |
//! | [`html`] | the self-contained `report.html` with inline SVG charts (the only module that knows plotters) |
//! | [`research`] | sweeps (model × index scorings and cost/execution replays of one spec, in parallel; the Table-1 view) and the factor report |
//! | [`spec`] | strategy specs (TOML): every config type, loading, overrides, checks; imports no domain module |
//! | [`run`] | the backtest use cases: load a bundle, run the engine, build the report |
//! | [`cli`] | the command line (the only module that knows clap and indicatif) |
//! | [`malloc`] | start-up allocator tuning (glibc keeps freed tensor memory) |
//! | [`error`] | the crate's one error type |
//!
//! This file only declares the modules and re-exports [`Error`], [`Result`]
//! and the use cases of [`run`].

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
pub mod market_rules;
pub mod metrics;
pub mod portfolio;
pub mod report;
pub mod research;
pub mod run;
pub mod run_folder;
pub mod schedule;
pub mod signal;
pub mod spec;
pub mod strategy;

pub use error::{Error, Result};
pub use run::{backtest, backtest_market, backtest_market_with_model, load_spec};
