//! Value and quality factors from reported fundamentals, as far as they are
//! visible: the state only grows by the reports the history has received
//! (a value is visible from the first trading day strictly after its
//! announce date — the feed's rule), so nothing announced later can reach a
//! factor.
//!
//! Fields read: `eps` (earnings per share *of the quarter*, not year to
//! date) and `bps` (book value per share at the period end); other fields
//! are ignored (models can still read them through `Context::fundamental`).
//! Periods are keyed by calendar quarter (`year·4 + quarter`); "q−1" is the
//! calendar quarter before, "q−4" the same quarter a year before. A
//! restatement (a later announcement of the same period and field) replaces
//! the value from the day it becomes visible.
//!
//! Design notes: per-share values are in the share base of their report.
//! To compare them with today's price across splits and bonus issues, each
//! value is multiplied by the symbol's adjustment factor on the day it
//! became visible and divided by today's *adjusted* close, so a 10-for-10
//! bonus issue after the report leaves E/P unchanged.

use super::catalog::FactorId;
use crate::event::ReportVisible;
use chrono::Datelike;
use std::collections::BTreeMap;

/// Per-symbol derived values that change only when a report arrives.
#[derive(Debug, Clone, Copy)]
struct Summary {
    /// Adjusted per-share values.
    eps_ttm: f64,
    eps_q: f64,
    bps: f64,
    eps_chg_q: f64,
    eps_chg_y: f64,
    /// Price-free ratios.
    roe: f64,
    roe_q: f64,
    bp_chg_q: f64,
    bp_chg_y: f64,
    roe_chg_q: f64,
    roe_chg_y: f64,
    sue: f64,
}

const EMPTY: Summary = Summary {
    eps_ttm: f64::NAN,
    eps_q: f64::NAN,
    bps: f64::NAN,
    eps_chg_q: f64::NAN,
    eps_chg_y: f64::NAN,
    roe: f64::NAN,
    roe_q: f64::NAN,
    bp_chg_q: f64::NAN,
    bp_chg_y: f64::NAN,
    roe_chg_q: f64::NAN,
    roe_chg_y: f64::NAN,
    sue: f64::NAN,
};

/// Visible fundamentals of all symbols.
pub struct FundamentalState {
    eps_field: Option<u16>,
    bps_field: Option<u16>,
    /// Per symbol: quarter key → [adjusted eps, adjusted bps] (NaN = not reported).
    quarters: Vec<BTreeMap<i32, [f64; 2]>>,
    summary: Vec<Summary>,
}

/// Calendar-quarter key of a period end.
fn quarter_key(d: crate::data::Date) -> i32 {
    d.year() * 4 + (d.month0() / 3) as i32
}

impl FundamentalState {
    pub fn new(n: usize, fields: &[String]) -> Self {
        let find = |name: &str| fields.iter().position(|f| f == name).map(|i| i as u16);
        FundamentalState {
            eps_field: find("eps"),
            bps_field: find("bps"),
            quarters: vec![BTreeMap::new(); n],
            summary: vec![EMPTY; n],
        }
    }

    /// True when the bundle has any field the library reads.
    pub fn has_fields(&self) -> bool {
        self.eps_field.is_some() || self.bps_field.is_some()
    }

    /// Takes in reports that became visible; `adj` is each symbol's latest
    /// adjustment factor (the share base of a report visible now).
    pub fn ingest(&mut self, reports: &[ReportVisible], adj: &[f64]) {
        let mut touched = Vec::new();
        for r in reports {
            let slot = if Some(r.field) == self.eps_field {
                0
            } else if Some(r.field) == self.bps_field {
                1
            } else {
                continue;
            };
            let s = r.symbol.index();
            let entry = self.quarters[s]
                .entry(quarter_key(r.period_end))
                .or_insert([f64::NAN; 2]);
            entry[slot] = r.value * adj[s];
            touched.push(s);
        }
        touched.sort_unstable();
        touched.dedup();
        for s in touched {
            self.summary[s] = summarise(&self.quarters[s]);
        }
    }

    /// Fills the value factors of `s` given today's adjusted close.
    pub fn compute(&self, s: usize, close_adj: f64, out: &mut [f64]) {
        let m = &self.summary[s];
        let mut set =
            |f: FactorId, v: f64| out[f as usize] = if v.is_finite() { v } else { f64::NAN };
        set(FactorId::EP, m.eps_ttm / close_adj);
        set(FactorId::EP_Q, m.eps_q / close_adj);
        set(FactorId::BP, m.bps / close_adj);
        set(FactorId::ROE, m.roe);
        set(FactorId::ROE_Q, m.roe_q);
        set(FactorId::EPS_CHG_Q, m.eps_chg_q / close_adj);
        set(FactorId::EPS_CHG_Y, m.eps_chg_y / close_adj);
        set(FactorId::BP_CHG_Q, m.bp_chg_q);
        set(FactorId::BP_CHG_Y, m.bp_chg_y);
        set(FactorId::ROE_CHG_Q, m.roe_chg_q);
        set(FactorId::ROE_CHG_Y, m.roe_chg_y);
        set(FactorId::SUE, m.sue);
    }
}

fn summarise(q: &BTreeMap<i32, [f64; 2]>) -> Summary {
    let get = |k: i32, i: usize| q.get(&k).map_or(f64::NAN, |v| v[i]);
    let eps = |k: i32| get(k, 0);
    let bps = |k: i32| get(k, 1);
    let roe_of = |k: i32| eps(k) / bps(k);
    let last_eps = q
        .iter()
        .rev()
        .find(|(_, v)| v[0].is_finite())
        .map(|(k, _)| *k);
    let last_bps = q
        .iter()
        .rev()
        .find(|(_, v)| v[1].is_finite())
        .map(|(k, _)| *k);
    let mut m = EMPTY;
    if let Some(qb) = last_bps {
        m.bps = bps(qb);
        m.bp_chg_q = bps(qb) / bps(qb - 1) - 1.0;
        m.bp_chg_y = bps(qb) / bps(qb - 4) - 1.0;
    }
    if let Some(qe) = last_eps {
        m.eps_q = eps(qe);
        m.eps_ttm = (0..4).map(|k| eps(qe - k)).sum::<f64>(); // NaN unless all 4 are known
        m.eps_chg_q = eps(qe) - eps(qe - 1);
        m.eps_chg_y = eps(qe) - eps(qe - 4);
        m.roe = m.eps_ttm / m.bps;
        m.roe_q = roe_of(qe);
        m.roe_chg_q = roe_of(qe) - roe_of(qe - 1);
        m.roe_chg_y = roe_of(qe) - roe_of(qe - 4);
        let prior: Vec<f64> = (1..=8)
            .map(|k| eps(qe - k) - eps(qe - k - 4))
            .filter(|d| d.is_finite())
            .collect();
        if prior.len() >= 3 {
            let sd = crate::metrics::std_sample(&prior);
            if sd > 0.0 {
                m.sue = m.eps_chg_y / sd;
            }
        }
    }
    m
}
