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
//! stocks with a value. Factors are sorted by |ICIR|, largest first.

use crate::alpha::AlphaModel;
use crate::context::Context;
use crate::data::{Market, SymbolId};
use crate::metrics;
use crate::signal::{self, PendingSignals};
use crate::spec::Spec;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
}

/// The factor report.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorReport {
    pub ic_horizon: u32,
    pub quantiles: u32,
    pub signal_days: usize,
    /// Trading days simulated.
    pub days: usize,
    /// Sorted by |ICIR| descending (NaN last), ties by name.
    pub factors: Vec<FactorStats>,
}

struct Pending {
    symbols: Vec<SymbolId>,
    /// `symbols × m`, NaN where missing.
    values: Vec<f64>,
}

#[derive(Default)]
struct PerFactor {
    ic: Vec<f64>,
    rank_ic: Vec<f64>,
    spread: Vec<f64>,
    coverage: Vec<f64>,
}

struct State {
    quantiles: usize,
    daily: bool,
    writer: Option<(PathBuf, csv::Writer<std::fs::File>)>,
    header_written: bool,
    pending: PendingSignals<Pending>,
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
        while let Some((day, p)) = state.pending.pop_due(today) {
            let m = state.stats.len();
            let horizon = state.pending.horizon_days();
            let fwd: Vec<f64> = p
                .symbols
                .iter()
                .map(|&s| signal::forward_return(ctx, s, day, horizon))
                .collect();
            for (k, st) in state.stats.iter_mut().enumerate() {
                let value = |i: usize| p.values[i * m + k];
                let with_value = (0..p.symbols.len())
                    .filter(|&i| value(i).is_finite())
                    .count();
                st.coverage
                    .push(with_value as f64 / p.symbols.len().max(1) as f64);
                let triples = p
                    .symbols
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| (s, value(i), fwd[i]));
                let e = signal::evaluate(triples, state.quantiles);
                if e.n < 3 {
                    continue;
                }
                st.ic.push(e.ic);
                st.rank_ic.push(e.rank_ic);
                st.spread.push(e.spread());
            }
        }
    }
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
                .map(|_| PerFactor::default())
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
        st.pending.push(
            ctx.day(),
            Pending {
                symbols: universe.to_vec(),
                values,
            },
        );
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
    let mut factors: Vec<FactorStats> = st
        .stats
        .iter()
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
            ic_mean: metrics::mean(
                &s.ic
                    .iter()
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect::<Vec<_>>(),
            ),
            icir: metrics::icir(&s.ic),
            rank_ic_mean: metrics::mean(
                &s.rank_ic
                    .iter()
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect::<Vec<_>>(),
            ),
            rank_icir: metrics::icir(&s.rank_ic),
            spread: metrics::mean(
                &s.spread
                    .iter()
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect::<Vec<_>>(),
            ),
        })
        .collect();
    let key = |f: &FactorStats| if f.icir.is_nan() { -1.0 } else { f.icir.abs() };
    factors.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    Ok(FactorReport {
        ic_horizon: spec.config.ic_horizon,
        quantiles: spec.config.quantiles,
        signal_days: st.signal_days,
        days: records.days,
        factors,
    })
}

impl FactorReport {
    /// A fixed-width table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "factor report: {} signal days, forward return over {} trading days, spread = top − bottom of {} quantiles\n",
            self.signal_days, self.ic_horizon, self.quantiles
        );
        out.push_str(&format!(
            "{:<16} {:<10} {:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n",
            "factor", "group", "days", "coverage", "IC", "ICIR", "RankIC", "RankICIR", "spread"
        ));
        for f in &self.factors {
            out.push_str(&format!(
                "{:<16} {:<10} {:>5} {:>8.3} {:>8.4} {:>8.3} {:>8.4} {:>8.3} {:>9.4}\n",
                f.name,
                f.group,
                f.days,
                f.coverage,
                f.ic_mean,
                f.icir,
                f.rank_ic_mean,
                f.rank_icir,
                f.spread
            ));
        }
        out
    }

    /// CSV of the table (full precision).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "factor",
            "group",
            "days",
            "coverage",
            "ic",
            "icir",
            "rank_ic",
            "rank_icir",
            "spread",
        ];
        w.write_record(header)
            .expect("writing to memory cannot fail");
        for f in &self.factors {
            w.write_record([
                f.name.clone(),
                f.group.clone(),
                f.days.to_string(),
                fmt(f.coverage),
                fmt(f.ic_mean),
                fmt(f.icir),
                fmt(f.rank_ic_mean),
                fmt(f.rank_icir),
                fmt(f.spread),
            ])
            .expect("rows of the header's length, written to memory");
        }
        let bytes = w.into_inner().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("every cell is UTF-8 text")
    }

    /// Writes the CSV.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_csv()).map_err(|e| Error::io(path, e))
    }

    /// The stats of one factor.
    pub fn get(&self, name: &str) -> Option<&FactorStats> {
        self.factors.iter().find(|f| f.name == name)
    }
}
