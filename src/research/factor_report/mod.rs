//! `alphasim factors`: the factor panel and an alphalens-style factor report.
//!
//! The panel is produced by running the simulation itself with a
//! [`PanelCollector`] as the alpha model: at each signal day (the spec's
//! rebalance schedule) the collector reads every factor column of today's
//! eligible set through the same `Context` models read, writes the rows,
//! and returns no scores (so nothing trades). With `daily`, rows are written
//! at every close instead (the report still uses signal days).
//!
//! The report uses the engine's IC rule, [`crate::signal`] (DESIGN §4): forward return
//! `close_adj(t+h)/close_adj(t) − 1` with `h = ic_horizon`, the last close
//! on or before `t+h` for a stock without a bar then, signal days whose
//! `t+h` lies past the window dropped. Per factor and signal day, over the
//! eligible stocks whose value was not missing (filled values are left
//! out): Pearson IC, Spearman RankIC (average ranks), and the decile spread
//! (mean forward return of the top `quantiles` bucket minus the bottom one,
//! stocks sorted by value, ties by symbol). Over days: means, ICIR =
//! mean/std (ddof 1, not annualised), coverage = mean share of eligible
//! stocks with a value, `e^(−RankMAE)` of the mean RankMAE. Factors are
//! sorted by |ICIR|, largest first.
//!
//! The tear sheet (`factor_report.html`, [`FactorReport::to_html`], in
//! `sheet.rs`) adds, per factor, with the same rule and no look-ahead:
//! - **IC decay**: mean IC and RankIC of the forward return over `h = 1..=20`
//!   trading days, over the signal days whose `t+20` lies in the window
//!   (evaluated at the close of `t+20`, when all twenty are known).
//! - **Quantile returns per holding period**: the mean return of each
//!   quantile from a signal day `t` to the next signal day `t'`
//!   (`close_adj(t')/close_adj(t) − 1`, known at the close of `t'`), so the
//!   periods do not overlap and compound into a cumulative return per
//!   quantile (equal weight within a quantile, no costs). The last signal
//!   day has no next one and no period.
//! - **Rank autocorrelation**: Spearman correlation of the factor's values
//!   at `t` and `t'` over the stocks with a value on both days; the
//!   factor's turnover is `1 − ` it (alphalens' `factor_rank_autocorrelation`).

use crate::alpha::AlphaModel;
use crate::context::Context;
use crate::data::{Market, SymbolId};
use crate::metrics;
use crate::signal::{self, PendingSignals};
use crate::spec::Spec;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod sheet;
pub use sheet::{cumulative_quantiles, SHEETS};
mod table;

/// The longest forward horizon of the IC decay, in trading days.
pub const DECAY_HORIZON: u32 = 20;

/// Where the panel goes.
#[derive(Debug, Clone, Default)]
pub struct PanelOptions {
    /// Panel CSV (`date,symbol,<factor…>`); none = report only.
    pub out: Option<PathBuf>,
    /// Write rows at every close instead of signal days only.
    pub daily: bool,
}

/// One factor's summary over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorStats {
    pub name: String,
    /// Library group, or `user` for a `factors.csv` column.
    pub group: String,
    /// Signal days with an IC.
    pub days: usize,
    pub coverage: f64,
    pub ic_mean: f64,
    pub icir: f64,
    pub rank_ic_mean: f64,
    pub rank_icir: f64,
    /// Mean top-minus-bottom quantile forward return.
    pub spread: f64,
    /// `e^(−mean RankMAE)` over signal days ([`crate::signal`]).
    pub exp_neg_rank_mae: f64,
    /// Mean rank autocorrelation between consecutive signal days.
    pub rank_autocorr: f64,
    /// The per-date series behind the tear sheet.
    pub detail: FactorDetail,
}

/// One factor's series for the tear sheet (module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactorDetail {
    /// `(signal date, IC, RankIC)` of each signal day with an IC.
    pub ic: Vec<(String, f64, f64)>,
    /// Mean IC for the forward horizons `1..=DECAY_HORIZON`.
    pub decay_ic: Vec<f64>,
    /// Mean RankIC for the forward horizons `1..=DECAY_HORIZON`.
    pub decay_rank_ic: Vec<f64>,
    /// `(start, end, mean return per quantile, lowest first)` of each holding
    /// period with at least one stock per quantile.
    pub periods: Vec<(String, String, Vec<f64>)>,
    /// `(date t', rank autocorrelation of t and t')`, with at least 3 stocks on both days.
    pub autocorr: Vec<(String, f64)>,
}

/// The factor report.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorReport {
    /// The spec's name.
    pub name: String,
    /// First and last day simulated.
    pub window: (String, String),
    pub ic_horizon: u32,
    pub quantiles: u32,
    pub signal_days: usize,
    /// Trading days simulated.
    pub days: usize,
    /// Sorted by |ICIR| descending (NaN last), ties by name.
    pub factors: Vec<FactorStats>,
}

#[derive(Clone)]
struct Pending {
    date: String,
    symbols: Vec<SymbolId>,
    /// `symbols × m`, NaN where missing.
    values: Vec<f64>,
}

impl Pending {
    fn value(&self, m: usize, i: usize, k: usize) -> f64 {
        self.values[i * m + k]
    }
}

#[derive(Default)]
struct PerFactor {
    ic: Vec<f64>,
    rank_ic: Vec<f64>,
    rank_mae: Vec<f64>,
    spread: Vec<f64>,
    coverage: Vec<f64>,
    dates: Vec<String>,
    /// Per horizon `1..=DECAY_HORIZON`: the IC and RankIC of each due signal day.
    decay_ic: Vec<Vec<f64>>,
    decay_rank_ic: Vec<Vec<f64>>,
    periods: Vec<(String, String, Vec<f64>)>,
    autocorr: Vec<(String, f64)>,
}

struct State {
    quantiles: usize,
    daily: bool,
    writer: Option<(PathBuf, csv::Writer<std::fs::File>)>,
    header_written: bool,
    pending: PendingSignals<Pending>,
    decay: PendingSignals<Pending>,
    /// The previous signal day (holding periods, rank autocorrelation).
    last: Option<(crate::data::DayIndex, Pending)>,
    stats: Vec<PerFactor>,
    signal_days: usize,
}

/// An alpha model that records the factor panel instead of scoring.
pub struct PanelCollector {
    state: Arc<Mutex<State>>,
}

fn fmt(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// A csv write error on `path` as the crate's I/O error.
fn csv_err(path: &Path, e: csv::Error) -> Error {
    let source = match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    Error::io(path, source)
}

impl State {
    fn write_rows(&mut self, ctx: &Context<'_>, symbols: &[SymbolId]) -> Result<()> {
        let Some((path, w)) = &mut self.writer else {
            return Ok(());
        };
        let csv = |e| csv_err(path, e);
        let names = ctx.factor_names();
        if !self.header_written {
            w.write_field("date").map_err(csv)?;
            w.write_field("symbol").map_err(csv)?;
            for n in names {
                w.write_field(n).map_err(csv)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv)?;
            self.header_written = true;
        }
        let date = ctx.date().to_string();
        for &s in symbols {
            w.write_field(&date).map_err(csv)?;
            w.write_field(ctx.symbol_name(s)).map_err(csv)?;
            for k in 0..names.len() {
                w.write_field(fmt(ctx.factor(s, k))).map_err(csv)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv)?;
        }
        Ok(())
    }
}

impl PanelCollector {
    fn evaluate(state: &mut State, ctx: &Context<'_>) {
        let today = ctx.day();
        let m = state.stats.len();
        while let Some((day, p)) = state.pending.pop_due(today) {
            let horizon = state.pending.horizon_days();
            let fwd: Vec<f64> = p
                .symbols
                .iter()
                .map(|&s| signal::forward_return(ctx, s, day, horizon))
                .collect();
            for (k, st) in state.stats.iter_mut().enumerate() {
                let with_value = (0..p.symbols.len())
                    .filter(|&i| p.value(m, i, k).is_finite())
                    .count();
                st.coverage
                    .push(with_value as f64 / p.symbols.len().max(1) as f64);
                let e = evaluate_factor(&p, m, k, &fwd, state.quantiles);
                if e.n < 3 {
                    continue;
                }
                st.ic.push(e.ic);
                st.rank_ic.push(e.rank_ic);
                st.rank_mae.push(e.rank_mae);
                st.spread.push(e.spread());
                st.dates.push(p.date.clone());
            }
        }
        while let Some((day, p)) = state.decay.pop_due(today) {
            for h in 1..=DECAY_HORIZON {
                let fwd: Vec<f64> = p
                    .symbols
                    .iter()
                    .map(|&s| signal::forward_return(ctx, s, day, h))
                    .collect();
                for (k, st) in state.stats.iter_mut().enumerate() {
                    // IC and RankIC only (as signal::evaluate computes them,
                    // without its quantiles and RankMAE): 20 horizons a day.
                    let (x, y): (Vec<f64>, Vec<f64>) = (0..p.symbols.len())
                        .map(|i| (p.value(m, i, k), fwd[i]))
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .unzip();
                    if x.len() >= 3 {
                        st.decay_ic[h as usize - 1].push(metrics::pearson(&x, &y));
                        st.decay_rank_ic[h as usize - 1].push(metrics::spearman(&x, &y));
                    }
                }
            }
        }
    }

    /// At a signal day `today`: the holding period since the previous
    /// signal day and the rank autocorrelation between the two.
    fn since_last(state: &mut State, ctx: &Context<'_>, now: &Pending) {
        let Some((day, prev)) = &state.last else {
            return;
        };
        let m = state.stats.len();
        let held = ctx.day().0 - day.0;
        let fwd: Vec<f64> = prev
            .symbols
            .iter()
            .map(|&s| signal::forward_return(ctx, s, *day, held))
            .collect();
        let at_now: std::collections::HashMap<SymbolId, usize> = now
            .symbols
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        for (k, st) in state.stats.iter_mut().enumerate() {
            let e = evaluate_factor(prev, m, k, &fwd, state.quantiles);
            if e.n >= state.quantiles {
                st.periods
                    .push((prev.date.clone(), now.date.clone(), e.quantile_returns));
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for (i, s) in prev.symbols.iter().enumerate() {
                let Some(&j) = at_now.get(s) else { continue };
                let (x, y) = (prev.value(m, i, k), now.value(m, j, k));
                if x.is_finite() && y.is_finite() {
                    a.push(x);
                    b.push(y);
                }
            }
            if a.len() >= 3 {
                st.autocorr
                    .push((now.date.clone(), metrics::spearman(&a, &b)));
            }
        }
    }
}

/// Factor `k` of `p` against the forward returns `fwd` (the rule of [`crate::signal`]).
fn evaluate_factor(
    p: &Pending,
    m: usize,
    k: usize,
    fwd: &[f64],
    quantiles: usize,
) -> signal::SignalEvaluation {
    signal::evaluate(
        p.symbols
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, p.value(m, i, k), fwd[i])),
        quantiles,
    )
}

impl AlphaModel for PanelCollector {
    fn name(&self) -> &str {
        "factor-panel"
    }

    fn wants_factors(&self, _day: crate::data::DayIndex) -> bool {
        self.state.lock().expect("panel state lock").daily
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        let mut st = self.state.lock().expect("panel state lock");
        if st.stats.is_empty() {
            st.stats = (0..ctx.factor_names().len())
                .map(|_| PerFactor {
                    decay_ic: vec![Vec::new(); DECAY_HORIZON as usize],
                    decay_rank_ic: vec![Vec::new(); DECAY_HORIZON as usize],
                    ..PerFactor::default()
                })
                .collect();
        }
        Self::evaluate(&mut st, ctx);
        if st.daily {
            st.write_rows(ctx, &ctx.candidates())?;
        }
        Ok(())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let mut st = self.state.lock().expect("panel state lock");
        let m = ctx.factor_names().len();
        let mut values = Vec::with_capacity(universe.len() * m);
        for &s in universe {
            for k in 0..m {
                values.push(if ctx.factor_missing(s, k) {
                    f64::NAN
                } else {
                    ctx.factor(s, k)
                });
            }
        }
        let now = Pending {
            date: ctx.date().to_string(),
            symbols: universe.to_vec(),
            values,
        };
        if !st.stats.is_empty() {
            Self::since_last(&mut st, ctx, &now);
        }
        st.pending.push(ctx.day(), now.clone());
        st.decay.push(ctx.day(), now.clone());
        st.last = Some((ctx.day(), now));
        st.signal_days += 1;
        if !st.daily {
            st.write_rows(ctx, universe)?;
        }
        Ok(vec![f64::NAN; universe.len()])
    }
}

/// Runs the spec's simulation collecting the factor panel, writes it when
/// asked, and returns the factor report.
pub fn factor_report(
    spec: &Spec,
    market: &Market,
    options: &PanelOptions,
    progress: crate::engine::Progress<'_>,
) -> Result<FactorReport> {
    let names = crate::engine::run_factor_names(spec, market)?;
    if names.is_empty() {
        return Err(Error::Spec {
            file: spec.path.clone(),
            message: "factors: no factor columns — the bundle has no factors.csv and no library factors are selected; set factors = [\"all\"] or pass --select all".into(),
        });
    }
    let writer = match &options.out {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            }
            let f = std::fs::File::create(p).map_err(|e| Error::io(p, e))?;
            Some((p.clone(), csv::Writer::from_writer(f)))
        }
        None => None,
    };
    let state = Arc::new(Mutex::new(State {
        quantiles: spec.config.quantiles as usize,
        daily: options.daily,
        writer,
        header_written: false,
        pending: PendingSignals::new(spec.config.ic_horizon),
        decay: PendingSignals::new(DECAY_HORIZON),
        last: None,
        stats: Vec::new(),
        signal_days: 0,
    }));
    let model = Box::new(PanelCollector {
        state: Arc::clone(&state),
    });
    let run_options = crate::engine::RunOptions {
        allow_no_signal_day: options.daily,
        ..Default::default()
    };
    let records = crate::engine::run_with_options(spec, market, model, run_options, progress)?;
    let mut st = state.lock().expect("panel state lock");
    if let Some((p, w)) = &mut st.writer {
        w.flush().map_err(|e| Error::io(&*p, e))?;
    }
    let n_user = market.factors.names.len();
    let finite_mean = |x: &[f64]| {
        metrics::mean(
            &x.iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect::<Vec<_>>(),
        )
    };
    let mut factors: Vec<FactorStats> = st
        .stats
        .iter_mut()
        .zip(&names)
        .enumerate()
        .map(|(k, (s, name))| FactorStats {
            name: name.clone(),
            group: if k < n_user {
                "user".into()
            } else {
                crate::factors::CATALOG
                    .iter()
                    .find(|f| f.name == name)
                    .map_or("user", |f| f.group)
                    .into()
            },
            days: s.ic.len(),
            coverage: metrics::mean(&s.coverage),
            ic_mean: finite_mean(&s.ic),
            icir: metrics::icir(&s.ic),
            rank_ic_mean: finite_mean(&s.rank_ic),
            rank_icir: metrics::icir(&s.rank_ic),
            spread: finite_mean(&s.spread),
            exp_neg_rank_mae: (-finite_mean(&s.rank_mae)).exp(),
            rank_autocorr: finite_mean(&s.autocorr.iter().map(|x| x.1).collect::<Vec<_>>()),
            detail: FactorDetail {
                ic: s
                    .dates
                    .iter()
                    .zip(&s.ic)
                    .zip(&s.rank_ic)
                    .map(|((d, ic), r)| (d.clone(), *ic, *r))
                    .collect(),
                decay_ic: s.decay_ic.iter().map(|v| finite_mean(v)).collect(),
                decay_rank_ic: s.decay_rank_ic.iter().map(|v| finite_mean(v)).collect(),
                periods: std::mem::take(&mut s.periods),
                autocorr: std::mem::take(&mut s.autocorr),
            },
        })
        .collect();
    let key = |f: &FactorStats| if f.icir.is_nan() { -1.0 } else { f.icir.abs() };
    factors.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    Ok(FactorReport {
        name: spec.config.name.clone().unwrap_or_default(),
        window: (
            records.window_start.to_string(),
            records.window_end.to_string(),
        ),
        ic_horizon: spec.config.ic_horizon,
        quantiles: spec.config.quantiles,
        signal_days: st.signal_days,
        days: records.days,
        factors,
    })
}
