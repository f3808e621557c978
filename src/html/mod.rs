//! The self-contained HTML report (`report.html`): the run spec and
//! conventions, the metrics tables (after and before costs), and charts as
//! inline SVG drawn with plotters (see [`chart`]).
//!
//! The page is one file with no script, no external font, image or style
//! sheet (its Content-Security-Policy forbids loading any, so a regression
//! shows as a console error rather than a silent network request): it opens
//! from disk, works with JavaScript off, and prints (a print
//! style sheet keeps figures whole and drops the on-screen controls). The
//! NAV chart's linear/log switch is two radio buttons and CSS.
//!
//! A report is drawn from a [`RunView`]: `report.json` as a JSON value plus
//! the daily and per-signal series. [`RunView::from_run`] builds it from a
//! finished run in memory (what `backtest` does, no re-parsing);
//! `RunView::from_dir` (in the `run_folder` module, which also writes the
//! page into the folder) reads it back from a run folder's files alone
//! (`alphasim report <run-dir>`, no market needed). Both go through the same
//! JSON value, so the two pages are the same bytes.
//!
//! Design notes:
//! - "Before costs" is derived, not re-simulated: the gross NAV adds each
//!   day's costs back to that day's return, `g_t = g_{t-1} × (NAV_t + cost_t)
//!   / NAV_{t-1}`, `g_t0 = NAV_t0`. It holds the positions of the costed run
//!   (slightly smaller than a zero-cost run would hold, since sizing pays
//!   costs out of the position) and ignores the costs' own return between the
//!   fill and the close; both are second-order (docs/report.md).
//! - Optional parts render only when `report.json` carries their data:
//!   `interpretation` (factor attention of deep models) and `sweep` (variants
//!   compared against cost). Their JSON shapes are documented in
//!   docs/report.md; an absent or empty part draws nothing.
//!
//! Layout: `view` (what the page is drawn from), `format` (text helpers),
//! `css` (the style sheet), `sections` (one file per page section) and
//! [`chart`] (the SVG charts). This module uses [`crate::report`] and no
//! module that writes files.

pub mod chart;
mod css;
mod format;
mod sections;
mod view;

pub use view::{gross_nav, IcPoint, RunView};

use crate::Result;
use css::STYLE;
use format::text;
pub(crate) use format::{cell, esc, figure, Kind};
use sections::{
    calendar_section, has_portfolio, interpretation, interpretation_section, metrics_section,
    performance_section, portfolio_section, signal_section, spec_section, sweep, sweep_section,
    trading_section,
};
use serde_json::Value;
use std::fmt::Write as _;

/// The start of a self-contained page (doctype to `<main>`): the
/// Content-Security-Policy that forbids loading anything, the title and
/// the one inline style sheet. Close it with [`PAGE_END`].
pub(crate) fn page_head(title: &str, version: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"alphasim {}\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
        esc(version),
        esc(title),
        STYLE
    )
}

/// The end of a page begun with [`page_head`].
pub(crate) const PAGE_END: &str = "</main>\n</body>\n</html>\n";

/// Renders the page.
pub fn render(view: &RunView) -> Result<String> {
    let r = &view.report;
    let name = text(r, "/run/name");
    let title = if name.is_empty() {
        "alphasim report".to_owned()
    } else {
        format!("alphasim report: {name}")
    };
    let mut h = String::with_capacity(256 * 1024);
    h.push_str(&page_head(&title, &text(r, "/run/alphasim_version")));
    let _ = write!(
        h,
        "<header id=\"overview\">\n<h1>{}</h1>\n<p>model <b>{}</b> · universe <b>{}</b> · benchmark <b>{}</b></p>\n\
         <p>window {} .. {} ({} trading days, {} rebalances) · spec <code>{}</code></p>\n</header>\n",
        esc(&title),
        esc(&text(r, "/run/model")),
        esc(&text(r, "/conventions/universe")),
        esc(&text(r, "/conventions/benchmark")),
        esc(&text(r, "/window/t0").max(text(r, "/window/start"))),
        esc(&text(r, "/window/end")),
        view.dates.len(),
        r.pointer("/rebalances").and_then(Value::as_array).map_or(0, Vec::len),
        esc(&text(r, "/run/spec")),
    );
    let interpretation = interpretation(r);
    let sweep = sweep(r);
    h.push_str("<nav class=\"toc\"><a href=\"#metrics\">Metrics</a><a href=\"#performance\">Performance</a>");
    if sections::has_calendar(r) {
        h.push_str("<a href=\"#calendar\">Calendar</a>");
    }
    h.push_str("<a href=\"#signal\">Signal</a><a href=\"#trading\">Trading</a>");
    if has_portfolio(r) {
        h.push_str("<a href=\"#portfolio\">Portfolio</a>");
    }
    if interpretation.is_some() {
        h.push_str("<a href=\"#interpretation\">Interpretation</a>");
    }
    if sweep.is_some() {
        h.push_str("<a href=\"#sweep\">Sweep</a>");
    }
    h.push_str("<a href=\"#spec\">Spec and conventions</a></nav>\n");

    let gross = gross_nav(&view.nav, &view.cost);
    metrics_section(&mut h, view, &gross);
    performance_section(&mut h, view, &gross)?;
    calendar_section(&mut h, r)?;
    signal_section(&mut h, view)?;
    trading_section(&mut h, view)?;
    portfolio_section(&mut h, view)?;
    if let Some(i) = interpretation {
        interpretation_section(&mut h, &i)?;
    }
    if let Some(s) = sweep {
        sweep_section(&mut h, &s)?;
    }
    spec_section(&mut h, r);
    h.push_str(PAGE_END);
    Ok(h)
}
