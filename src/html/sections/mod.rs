//! The page's sections, in page order: metrics, performance, calendar, signal,
//! trading, portfolio construction, interpretation and sweep (when
//! `report.json` carries them), spec.

mod calendar;
mod interpretation;
mod metrics;
mod performance;
mod portfolio;
mod signal;
mod spec;
mod sweep;
mod trading;

pub(super) use calendar::{calendar_section, has_calendar};
pub(super) use interpretation::{interpretation, interpretation_section};
pub(super) use metrics::metrics_section;
pub(super) use performance::performance_section;
pub(super) use portfolio::{has_portfolio, portfolio_section};
pub(super) use signal::signal_section;
pub(super) use spec::spec_section;
pub(super) use sweep::{sweep, sweep_section};
pub(super) use trading::trading_section;
