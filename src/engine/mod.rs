//! The discrete-event engine: receives day batches from the feed thread,
//! schedules their events, moves the clock and calls the parts in a fixed
//! order each phase (DESIGN §2):
//!
//! | phase | priority | event |
//! |---|---|---|
//! | PreOpen | 0,1,2 | constituent changes, industry changes, reports |
//! | PreOpen | 3 | retrain timer: `AlphaModel::fit` on what is known now |
//! | Open | 0 | fill orders queued at the previous decision (`next_open`) |
//! | Close | 0 | today's bars and factor rows join the history; the factor library computes today's columns |
//! | Close | 1 | delisted holdings are sold at their last close |
//! | Close | 2 | mark to market, benchmark update, due IC evaluations, `AlphaModel::observe` |
//! | Close | 3 | rebalance timer: score, select, queue orders |
//! | Close | 4 | fill at this close (`fill = "close"`) |
//! | PostClose | 0 | daily records |
//!
//! Only the engine moves the [`Clock`]; the history only grows by batches
//! the feed has sent, so no decision can see a later record.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the entry points, the engine's state, the day loop and the event dispatch |
//! | `setup.rs` | window and name checks, building the engine and the feed plan |
//! | `records.rs` | the record types of a run and the post-close daily records |
//! | `decision.rs` | the rebalance decision and the due IC evaluations |
//! | `fills.rs` | quotes under the market rules, fills at the open/close, delistings |
//! | `benchmark.rs` | the benchmark's daily return and value |
//! | `construction.rs` | the book, benchmark weights, styles and active-exposure records of a decision |

mod benchmark;
mod construction;
mod decision;
mod fills;
mod records;
mod setup;

pub use construction::ConstructionRecord;
pub use records::{DailyRecord, IcRecord, PositionRecord, RebalanceRecord, RunRecords};
pub use setup::{run_factor_columns, run_factor_names};

use crate::alpha::{build_model_with_factors, AlphaModel};
use crate::context::History;
use crate::costs::{CostBreakdown, CostModel, Liquidity};
use crate::data::{Date, DayIndex, Market, SymbolId};
use crate::event::{Clock, Event, EventQueue, Phase, Timer};
use crate::factors::FactorLibrary;
use crate::feed::{spawn_feed, DayBatch};
use crate::market_rules::MarketRules;
use crate::portfolio::Portfolio;
use crate::signal::PendingSignals;
use crate::spec::{Fill, Spec};
use crate::strategy::{Construction, TargetWeights};
use crate::Result;
use benchmark::Benchmark;

struct PendingOrder {
    targets: TargetWeights,
    record: usize,
}

/// Progress callback: (days done, days total).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

struct Engine<'a> {
    spec: &'a Spec,
    history: History,
    clock: Clock,
    queue: EventQueue,
    model: Box<dyn AlphaModel>,
    library: Option<FactorLibrary>,
    costs: Box<dyn CostModel>,
    rules: MarketRules,
    construction: Construction,
    construction_data: construction::ConstructionData,
    /// ST flag per symbol (±5% limits).
    st: Vec<bool>,
    liquidity: Option<Liquidity>,
    options: RunOptions,
    portfolio: Portfolio,
    signal_set: Vec<bool>,
    retrain_set: Vec<bool>,
    first_signal: Option<DayIndex>,
    batch: DayBatch,
    pending_order: Option<PendingOrder>,
    /// Signal days awaiting their IC horizon: (date, eligible scores).
    pending_ic: PendingSignals<(Date, Vec<(SymbolId, f64)>)>,
    benchmark: Benchmark,
    today_cost: f64,
    today_costs: CostBreakdown,
    today_turnover: f64,
    nav: f64,
    out: RunRecords,
}

/// What a run computes beyond the portfolio path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Evaluate IC and quantile returns at each signal day + horizon. A sweep
    /// replay turns it off: the scores, hence the IC, are those of the first run.
    pub evaluate_ic: bool,
    /// Keep only the last two days of closes (a sweep replay: the replayed
    /// model reads no history and the IC is not evaluated).
    pub lean_history: bool,
    /// Stream only these symbols (a sweep replay: the symbols ever scored,
    /// the only ones that can be held). Ignored when the benchmark is the
    /// equal-weighted return of the members, which needs every member's bars.
    pub symbols: Option<std::sync::Arc<Vec<bool>>>,
    /// Keep a [`PositionRecord`] per holding per day (positions.csv).
    pub record_positions: bool,
    /// Run even when the schedule has no signal day (a daily factor panel
    /// needs none); otherwise such a run stops before simulating with an
    /// error that says why (a backtest that could never trade).
    pub allow_no_signal_day: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            evaluate_ic: true,
            lean_history: false,
            symbols: None,
            record_positions: true,
            allow_no_signal_day: false,
        }
    }
}

/// Runs `spec` on `market` with the model the spec names. The market is
/// only read by the feed thread.
pub fn run(spec: &Spec, market: &Market, progress: Progress<'_>) -> Result<RunRecords> {
    let model = build_model_with_factors(
        &spec.config.model,
        market,
        &run_factor_names(spec, market)?,
        spec.config.seed,
    )?;
    run_with_model(spec, market, model, progress)
}

/// Runs `spec` on `market` with a given alpha model (the spec's `model`
/// table is then only echoed). This is how a user plugs in a model of their own.
pub fn run_with_model(
    spec: &Spec,
    market: &Market,
    model: Box<dyn AlphaModel>,
    progress: Progress<'_>,
) -> Result<RunRecords> {
    run_with_options(spec, market, model, RunOptions::default(), progress)
}

/// [`run_with_model`] with [`RunOptions`].
pub fn run_with_options(
    spec: &Spec,
    market: &Market,
    model: Box<dyn AlphaModel>,
    options: RunOptions,
    progress: Progress<'_>,
) -> Result<RunRecords> {
    let (mut engine, plan) = Engine::new(spec, market, model, options)?;
    let n_days = engine.out.days;
    std::thread::scope(|scope| -> Result<()> {
        let rx = spawn_feed(scope, market, &plan);
        for batch in rx {
            let d = batch.day;
            engine.day(batch)?;
            progress(d.index() + 1, n_days);
        }
        Ok(())
    })?;
    engine.out.interpretation = engine.model.interpretation();
    if let Some(w) = engine.benchmark.warning() {
        engine.out.warnings.push(w);
    }
    if let Some(w) = engine.construction_data.warning() {
        engine.out.warnings.push(w);
    }
    Ok(engine.out)
}

impl Engine<'_> {
    fn in_window(&self, d: DayIndex) -> bool {
        self.first_signal.is_some_and(|t0| d >= t0)
    }

    fn day(&mut self, mut batch: DayBatch) -> Result<()> {
        let d = batch.day;
        let q = &mut self.queue;
        if !batch.constituents.is_empty() || !batch.benchmark_constituents.is_empty() {
            q.push(
                d,
                Phase::PreOpen,
                0,
                Event::Constituents {
                    universe: std::mem::take(&mut batch.constituents),
                    benchmark: std::mem::take(&mut batch.benchmark_constituents),
                },
            );
        }
        if !batch.industries.is_empty() {
            q.push(
                d,
                Phase::PreOpen,
                1,
                Event::Industries(std::mem::take(&mut batch.industries)),
            );
        }
        if !batch.reports.is_empty() {
            q.push(
                d,
                Phase::PreOpen,
                2,
                Event::Reports(std::mem::take(&mut batch.reports)),
            );
        }
        if self.retrain_set[d.index()] {
            q.push(d, Phase::PreOpen, 3, Event::Timer(Timer::Retrain));
        }
        if self.pending_order.is_some() {
            q.push(d, Phase::Open, 0, Event::FillAtOpen);
        }
        q.push(d, Phase::Close, 0, Event::Bars);
        if !batch.delistings.is_empty() {
            q.push(
                d,
                Phase::Close,
                1,
                Event::Delistings(std::mem::take(&mut batch.delistings)),
            );
        }
        q.push(d, Phase::Close, 2, Event::MarkToMarket);
        if self.signal_set[d.index()] {
            q.push(d, Phase::Close, 3, Event::Timer(Timer::Rebalance));
            if self.spec.config.execution.fill == Fill::Close {
                q.push(d, Phase::Close, 4, Event::FillAtClose);
            }
        }
        q.push(d, Phase::PostClose, 0, Event::Record);
        self.batch = batch;
        self.today_cost = 0.0;
        self.today_costs = CostBreakdown::default();
        self.today_turnover = 0.0;
        while let Some((key, event)) = self.queue.pop_due(d) {
            self.clock.advance_to(key.ts_known, key.phase)?;
            self.dispatch(event)?;
        }
        Ok(())
    }

    fn dispatch(&mut self, event: Event) -> Result<()> {
        match event {
            Event::Constituents {
                universe,
                benchmark,
            } => self.history.apply_constituents(&universe, &benchmark),
            Event::Industries(changes) => self.history.apply_industries(&changes),
            Event::Reports(reports) => self.history.add_reports(reports),
            Event::Timer(Timer::Retrain) => {
                if self.history.n_days() > 0 {
                    let ctx = self.history.context();
                    self.model.fit(&ctx)?;
                }
            }
            Event::FillAtOpen => self.fill_at_open(),
            Event::Bars => {
                let mut b = std::mem::take(&mut self.batch);
                self.out.stock_days += b.bars.len() as u64;
                self.history.apply_close(&mut b);
                if let Some(lib) = &mut self.library {
                    let d = b.day;
                    let outputs = self.signal_set[d.index()] || self.model.wants_factors(d);
                    lib.on_close(&self.history, b.benchmark_close, outputs);
                    let (symbols, values, missing) = lib.output();
                    self.history.set_library_factors(symbols, values, missing);
                }
                if let Some(lib) = self
                    .construction_data
                    .styles
                    .as_mut()
                    .and_then(|s| s.library.as_mut())
                {
                    let outputs = self.signal_set[b.day.index()];
                    lib.on_close(&self.history, b.benchmark_close, outputs);
                }
                self.batch = b;
            }
            Event::Delistings(symbols) => self.delist(&symbols),
            Event::MarkToMarket => {
                self.mark_to_market();
                let ctx = self.history.context();
                self.model.observe(&ctx)?;
            }
            Event::Timer(Timer::Rebalance) => self.decide()?,
            Event::FillAtClose => self.fill_at_close(),
            Event::Record => self.record(),
        }
        Ok(())
    }

    /// Close 2: NAV at today's closes, the benchmark, the IC evaluations due today.
    fn mark_to_market(&mut self) {
        let h = &self.history;
        self.nav = self.portfolio.value(|s| h.last_close_adj(s));
        let d = self.batch.day;
        self.update_benchmark(d);
        self.evaluate_due_signals(d);
    }
}
