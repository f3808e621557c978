//! Research on top of the backtest: sweeps of one spec over models, indices
//! and costs ([`sweep`]), and the factor panel with its report ([`factor_report`]).

pub mod factor_report;
pub mod sweep;
