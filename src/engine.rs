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

use crate::alpha::{build_model_with_factors, AlphaModel};
use crate::context::{History, Names};
use crate::costs::CostBreakdown;
use crate::data::{Date, DayIndex, Market, SymbolId};
use crate::event::{Clock, Event, EventQueue, Phase, Timer};
use crate::execution::{self, CostModel, Fill, Quote, Unfilled};
use crate::factors::FactorLibrary;
use crate::feed::{spawn_feed, BarRow, DayBatch, FeedPlan};
use crate::market::{derived_limits, limit_blocks, limit_fraction, MarketRules};
use crate::metrics;
use crate::portfolio::{equal_weights, top_fraction, Portfolio, TargetWeights};
use crate::schedule::{retrain_days, signal_days};
use crate::spec::{Fill as FillAt, Spec};
use crate::{Error, Result};

/// One row of `nav.csv` (before the report adds the derived columns).
#[derive(Debug, Clone, PartialEq)]
pub struct DailyRecord {
    pub date: Date,
    pub nav: f64,
    /// Benchmark value rebased to the initial capital at t0.
    pub benchmark: f64,
    pub cash: f64,
    /// Costs paid today.
    pub cost: f64,
    /// Today's costs by component.
    pub costs: CostBreakdown,
    /// Turnover of a rebalance filled today (0 otherwise).
    pub turnover: f64,
    pub holdings: usize,
}

/// One holding at a close (`positions.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionRecord {
    pub date: Date,
    pub symbol: SymbolId,
    /// Adjusted shares.
    pub quantity: f64,
    /// Raw shares: quantity × adj_factor of the valuation day.
    pub raw_shares: f64,
    /// Raw price used for valuation (today's close, or the last close when not traded).
    pub price: f64,
    pub value: f64,
    pub weight: f64,
}

/// One rebalance: the decision and its fill.
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceRecord {
    pub signal_date: Date,
    pub fill_date: Option<Date>,
    pub eligible: usize,
    pub selected: usize,
    pub missed: usize,
    /// Unfilled orders and remainders at the fill (see [`Unfilled`]).
    pub unfilled: usize,
    pub buys: f64,
    pub sells: f64,
    pub cost: f64,
    pub pre_trade_value: f64,
    pub turnover: f64,
}

/// IC of one signal day (`ic.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct IcRecord {
    pub date: Date,
    pub n: usize,
    pub ic: f64,
    pub rank_ic: f64,
    /// Mean forward return per score quantile, lowest first.
    pub quantile_returns: Vec<f64>,
}

/// Everything a run produced, before metrics.
#[derive(Debug, Clone)]
pub struct RunRecords {
    pub model_name: String,
    pub cost_description: String,
    pub window_start: Date,
    pub window_end: Date,
    /// First signal day: the evaluation window starts here.
    pub t0: Option<Date>,
    pub daily: Vec<DailyRecord>,
    pub positions: Vec<PositionRecord>,
    pub fills: Vec<Fill>,
    /// Orders (or parts) that did not fill, with the reason.
    pub unfilled: Vec<Unfilled>,
    pub rebalances: Vec<RebalanceRecord>,
    pub ic: Vec<IcRecord>,
    pub retrain_dates: Vec<Date>,
    /// Every signal day's scores of the eligible set (finite scores, ascending symbol).
    pub scores: Vec<(Date, Vec<(SymbolId, f64)>)>,
    /// What the model learned per retrain window, if it reports it.
    pub interpretation: Option<crate::alpha::Interpretation>,
    pub warnings: Vec<String>,
    /// Stock-days streamed (rows of the bars cross-sections).
    pub stock_days: u64,
    pub days: usize,
}

struct PendingSignal {
    day: DayIndex,
    date: Date,
    /// (symbol, score) of the eligible set, ascending symbol.
    scored: Vec<(SymbolId, f64)>,
}

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
    pending_ic: std::collections::VecDeque<PendingSignal>,
    bench_level: Option<f64>,
    bench_nav: f64,
    bench_uses_levels: bool,
    bench_missing_days: usize,
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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            evaluate_ic: true,
            lean_history: false,
            symbols: None,
            record_positions: true,
        }
    }
}

/// Runs `spec` on `market` with the model the spec names. The market is
/// only read by the feed thread.
pub fn run(spec: &Spec, market: &Market, progress: Progress<'_>) -> Result<RunRecords> {
    let model = build_model_with_factors(
        &spec.config.model,
        market,
        &factor_columns(spec, market)?,
        spec.config.seed,
    )?;
    run_with_model(spec, market, model, progress)
}

/// The run's factor columns: the `factors.csv` columns, then the selected
/// library factors. A library name that is also a `factors.csv` column is
/// an error.
pub fn factor_columns(spec: &Spec, market: &Market) -> Result<Vec<String>> {
    let mut names = market.factors.names.clone();
    for i in spec.library_selection() {
        let name = crate::factors::CATALOG[i].name;
        if names.iter().any(|n| n == name) {
            return Err(Error::Spec {
                file: spec.path.clone(),
                message: format!(
                    "factors: library factor `{name}` has the same name as a column of factors.csv; rename the column or drop `{name}` from `factors`"
                ),
            });
        }
        names.push(name.to_owned());
    }
    Ok(names)
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
    let c = &spec.config;
    let dates = &market.bars.dates;
    if dates.is_empty() {
        return Err(Error::Run("the bundle has no trading days".into()));
    }
    let first = match c.start {
        Some(s) => market.bars.first_day_on_or_after(s).ok_or_else(|| {
            Error::Run(format!(
                "start {s} is after the last trading day {}",
                dates[dates.len() - 1]
            ))
        })?,
        None => DayIndex(0),
    };
    let last = match c.end {
        Some(e) => {
            let i = dates.partition_point(|d| *d <= e);
            if i == 0 {
                return Err(Error::Run(format!(
                    "end {e} is before the first trading day {}",
                    dates[0]
                )));
            }
            DayIndex(i as u32 - 1)
        }
        None => DayIndex(dates.len() as u32 - 1),
    };
    if last < first {
        return Err(Error::Run(format!(
            "the window {} .. {} holds no trading day",
            dates[first.index()],
            dates[last.index()]
        )));
    }
    if let Some(index) = &c.index {
        if !market.constituents.contains_key(index) {
            let known: Vec<&str> = market.constituents.keys().map(String::as_str).collect();
            return Err(Error::Spec {
                file: spec.path.clone(),
                message: format!(
                    "index `{index}` is not in constituents.csv (indices: {})",
                    if known.is_empty() {
                        "none — the bundle has no constituents.csv".into()
                    } else {
                        known.join(", ")
                    }
                ),
            });
        }
    }
    let benchmark = c.benchmark.clone().or_else(|| c.index.clone());
    let signals = signal_days(dates, first, last, &c.schedule);
    let retrains = retrain_days(dates, &signals, c.schedule.retrain_months);
    let n_days = last.index() + 1;
    let mut signal_set = vec![false; n_days];
    for s in &signals {
        signal_set[s.index()] = true;
    }
    let mut retrain_set = vec![false; n_days];
    for s in &retrains {
        retrain_set[s.index()] = true;
    }
    factor_columns(spec, market)?; // name clashes
    let selection = spec.library_selection();
    let library = (!selection.is_empty()).then(|| {
        FactorLibrary::new(
            selection,
            c.preprocess.clone(),
            market.n_symbols(),
            &market.fundamentals.fields,
        )
    });
    let names = Names {
        symbols: market.symbols.names().to_vec(),
        industries: market.industries_names.names().to_vec(),
        factors: market.factors.names.clone(),
        library_factors: library
            .as_ref()
            .map(FactorLibrary::names)
            .unwrap_or_default(),
        fundamental_fields: market.fundamentals.fields.clone(),
    };
    let bench_uses_levels = benchmark
        .as_ref()
        .is_some_and(|b| market.benchmark.contains_key(b));
    let mut warnings = Vec::new();
    if let Some(b) = &benchmark {
        if !bench_uses_levels {
            warnings.push(format!(
                "benchmark `{b}` has no levels in benchmark.csv: using the equal-weighted return of its members"
            ));
        }
    }
    let cost_settings = c.cost_settings();
    let costs: Box<dyn CostModel> = Box::new(cost_settings.build());
    let rules = c.market_rules();
    let mut st = vec![false; market.n_symbols()];
    for name in &c.execution.st_symbols {
        match market.symbol_id(name) {
            Some(id) => st[id.index()] = true,
            None => warnings.push(format!(
                "execution.st_symbols: `{name}` is not a symbol of the bundle (ignored)"
            )),
        }
    }
    let liquidity = cost_settings
        .needs_liquidity()
        .then(|| Liquidity::new(market.n_symbols(), cost_settings.impact_window as usize));
    let mut engine = Engine {
        spec,
        history: {
            let mut h = History::new(names, c.index.is_some());
            if options.lean_history {
                h.retain_days(2);
            }
            h
        },
        clock: Clock::new(),
        queue: EventQueue::new(),
        out: RunRecords {
            model_name: model.name().to_owned(),
            cost_description: costs.describe(),
            window_start: dates[first.index()],
            window_end: dates[last.index()],
            t0: signals.first().map(|d| dates[d.index()]),
            daily: Vec::new(),
            positions: Vec::new(),
            fills: Vec::new(),
            unfilled: Vec::new(),
            rebalances: Vec::new(),
            ic: Vec::new(),
            retrain_dates: retrains.iter().map(|d| dates[d.index()]).collect(),
            scores: Vec::new(),
            interpretation: None,
            warnings,
            stock_days: 0,
            days: n_days,
        },
        model,
        library,
        costs,
        rules,
        st,
        liquidity,
        options,
        portfolio: Portfolio::new(c.initial_capital),
        signal_set,
        retrain_set,
        first_signal: signals.first().copied(),
        batch: DayBatch::default(),
        pending_order: None,
        pending_ic: Default::default(),
        bench_level: None,
        bench_nav: c.initial_capital,
        bench_uses_levels,
        bench_missing_days: 0,
        today_cost: 0.0,
        today_costs: CostBreakdown::default(),
        today_turnover: 0.0,
        nav: c.initial_capital,
    };
    let plan = FeedPlan {
        index: c.index.clone(),
        benchmark,
        last_day: last,
        capacity: 64,
        symbols: if bench_uses_levels {
            engine.options.symbols.clone()
        } else {
            None
        },
    };
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
    if engine.bench_missing_days > 0 {
        engine.out.warnings.push(format!(
            "benchmark has no level on {} trading day(s) of the window: its return is 0 on those days (level carried forward)",
            engine.bench_missing_days
        ));
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
            if self.spec.config.execution.fill == FillAt::Close {
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

    /// A quote at `price` (raw) for bar `b`, with the market rules applied.
    /// `reference_adj` is the last adjusted close before today (the limit
    /// reference); today's close never enters unless `price` is the close.
    fn quote_for(&self, b: &BarRow, price: f64, reference_adj: f64) -> Quote {
        let mut q = Quote::new(price * b.adj_factor, price);
        let r = &self.rules;
        if r.price_limits {
            let (up, down) = if b.limit_up.is_finite() && b.limit_down.is_finite() {
                (b.limit_up, b.limit_down)
            } else if reference_adj.is_finite() {
                let ctx = self.history.context();
                let f = limit_fraction(
                    ctx.symbol_name(b.symbol),
                    self.batch.date,
                    self.st[b.symbol.index()],
                );
                derived_limits(reference_adj / b.adj_factor, f)
            } else {
                (f64::NAN, f64::NAN) // no earlier close: IPO day, no limit
            };
            (q.buy_blocked, q.sell_blocked) = limit_blocks(price, up, down);
        }
        if r.volume_cap > 0.0 {
            q.max_raw_shares = r.volume_cap * b.volume;
        }
        if let Some(l) = &self.liquidity {
            q.sigma_daily = l.sigma(b.symbol);
            q.adv_value = l.adv(b.symbol);
        }
        q
    }

    fn fill_at_open(&mut self) {
        let Some(order) = self.pending_order.take() else {
            return;
        };
        let bars = std::mem::take(&mut self.batch.bars);
        // At the open only the open price is known: quotes come from the batch's
        // `open` column, never from today's close; the limit reference is the
        // last close before today (the history has not taken today's bars yet).
        let quotes = self.quotes(&order, |s| {
            let b = &bars[bars.binary_search_by_key(&s, |b| b.symbol).ok()?];
            b.is_traded()
                .then(|| self.quote_for(b, b.open, self.history.last_close_adj(s)))
        });
        let date = self.batch.date;
        self.execute(order, date, |s| quotes.get(&s).copied());
        self.batch.bars = bars;
    }

    fn fill_at_close(&mut self) {
        let Some(order) = self.pending_order.take() else {
            return;
        };
        let h = &self.history;
        let date = self.batch.date;
        let quotes = self.quotes(&order, |s| {
            let b = h.bar(s).filter(|b| b.is_traded())?;
            Some(self.quote_for(b, b.close, h.previous_close_adj(s)))
        });
        self.execute(order, date, |s| quotes.get(&s).copied());
    }

    /// Fill quotes of every holding and target that can trade now. Collected
    /// before the fill, which borrows the portfolio mutably.
    fn quotes(
        &self,
        order: &PendingOrder,
        quote: impl Fn(SymbolId) -> Option<Quote>,
    ) -> hashbrown::HashMap<SymbolId, Quote> {
        self.portfolio
            .holdings
            .keys()
            .copied()
            .chain(order.targets.iter().map(|t| t.0))
            .filter_map(|s| quote(s).map(|q| (s, q)))
            .collect()
    }

    fn execute(
        &mut self,
        order: PendingOrder,
        date: Date,
        quote: impl Fn(SymbolId) -> Option<Quote>,
    ) {
        let h = &self.history;
        let out = execution::rebalance(
            &mut self.portfolio,
            &order.targets,
            date,
            quote,
            |s| h.last_close_adj(s),
            self.costs.as_ref(),
            &self.rules,
        );
        let turnover = if out.pre_trade_value > 0.0 {
            metrics::turnover(out.buys, out.sells, out.pre_trade_value)
        } else {
            0.0
        };
        let r = &mut self.out.rebalances[order.record];
        r.fill_date = Some(date);
        r.missed = out.missed.len();
        r.unfilled = out.unfilled.len();
        r.buys = out.buys;
        r.sells = out.sells;
        r.cost = out.cost;
        r.pre_trade_value = out.pre_trade_value;
        r.turnover = turnover;
        self.today_cost += out.cost;
        self.today_costs.add(&out.costs);
        self.today_turnover += turnover;
        self.out.fills.extend(out.fills);
        self.out.unfilled.extend(out.unfilled);
    }

    fn delist(&mut self, symbols: &[SymbolId]) {
        let date = self.batch.date;
        for &s in symbols {
            if !self.portfolio.holdings.contains_key(&s) {
                continue;
            }
            let h = &self.history;
            // Sold at the last close; the market rules judge it like a fill at the close.
            let quote = match h.bar(s).filter(|b| b.is_traded()) {
                Some(b) => self.quote_for(b, b.close, h.previous_close_adj(s)),
                None => Quote::new(h.last_close_adj(s), h.last_close(s)),
            };
            let (fill, unfilled) = execution::liquidate(
                &mut self.portfolio,
                s,
                date,
                quote,
                self.costs.as_ref(),
                &self.rules,
            );
            if let Some(fill) = fill {
                self.today_cost += fill.cost;
                self.today_costs.add(&fill.costs);
                self.out.fills.push(fill);
            }
            self.out.unfilled.extend(unfilled);
        }
    }

    fn mark_to_market(&mut self) {
        let h = &self.history;
        self.nav = self.portfolio.value(|s| h.last_close_adj(s));
        let d = self.batch.day;
        // Benchmark return for today.
        let ret = if self.bench_uses_levels {
            match (self.batch.benchmark_close, self.bench_level) {
                (Some(now), Some(prev)) => now / prev - 1.0,
                (Some(_), None) => 0.0,
                (None, _) => {
                    if self.in_window(d) {
                        self.bench_missing_days += 1;
                    }
                    0.0
                }
            }
        } else {
            self.equal_weight_benchmark_return(d)
        };
        if let Some(now) = self.batch.benchmark_close {
            self.bench_level = Some(now);
        }
        // The benchmark is rebased to the initial capital at t0: only returns after t0 count.
        if self.in_window(d) && Some(d) != self.first_signal {
            self.bench_nav *= 1.0 + ret;
        }
        // IC evaluations due today.
        let h_ic = self.spec.config.ic_horizon;
        while self.options.evaluate_ic
            && self
                .pending_ic
                .front()
                .is_some_and(|p| p.day.0 + h_ic == d.0)
        {
            let p = self.pending_ic.pop_front().expect("checked non-empty");
            self.out.ic.push(self.evaluate_signal(p, d));
        }
    }

    /// Equal-weighted return of the benchmark members that traded yesterday and today.
    fn equal_weight_benchmark_return(&self, d: DayIndex) -> f64 {
        if d.0 == 0 {
            return 0.0;
        }
        let h = &self.history;
        let c = &self.spec.config;
        let benchmark = c.benchmark.as_ref().or(c.index.as_ref());
        let same_as_universe = c.benchmark.is_none() || c.benchmark == c.index;
        let prev = DayIndex(d.0 - 1);
        let (mut sum, mut n) = (0.0, 0usize);
        for b in h.bars() {
            let s = b.symbol;
            let member = match benchmark {
                None => true,
                Some(_) if same_as_universe => h.members()[s.index()],
                Some(_) => h.benchmark_members()[s.index()],
            };
            if !member {
                continue;
            }
            let (p0, p1) = (h.close_adj_on(prev, s), h.close_adj_on(d, s));
            if p0.is_nan() || p1.is_nan() {
                continue;
            }
            sum += p1 / p0 - 1.0;
            n += 1;
        }
        if n == 0 {
            0.0
        } else {
            sum / n as f64
        }
    }

    fn evaluate_signal(&self, p: PendingSignal, today: DayIndex) -> IcRecord {
        let h = &self.history;
        let mut scored: Vec<(SymbolId, f64, f64)> = p
            .scored
            .iter()
            .map(|&(s, score)| {
                (
                    s,
                    score,
                    h.close_adj_as_of(today, s) / h.close_adj_on(p.day, s) - 1.0,
                )
            })
            .filter(|x| x.2.is_finite())
            .collect();
        let scores: Vec<f64> = scored.iter().map(|x| x.1).collect();
        let fwd: Vec<f64> = scored.iter().map(|x| x.2).collect();
        let ic = metrics::pearson(&scores, &fwd);
        let rank_ic = metrics::spearman(&scores, &fwd);
        scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let sorted_fwd: Vec<f64> = scored.iter().map(|x| x.2).collect();
        IcRecord {
            date: p.date,
            n: scored.len(),
            ic,
            rank_ic,
            quantile_returns: metrics::quantile_means(
                &sorted_fwd,
                self.spec.config.quantiles as usize,
            ),
        }
    }

    fn decide(&mut self) -> Result<()> {
        let ctx = self.history.context();
        let candidates = ctx.candidates();
        let scores = self.model.score(&ctx, &candidates)?;
        if scores.len() != candidates.len() {
            return Err(Error::Run(format!(
                "model `{}` returned {} scores for {} stocks",
                self.model.name(),
                scores.len(),
                candidates.len()
            )));
        }
        let scored: Vec<(SymbolId, f64)> = candidates
            .into_iter()
            .zip(scores)
            .filter(|p| p.1.is_finite())
            .collect();
        let chosen = top_fraction(&scored, self.spec.config.portfolio.top_fraction);
        let date = self.batch.date;
        self.out.scores.push((date, scored.clone()));
        self.out.rebalances.push(RebalanceRecord {
            signal_date: date,
            fill_date: None,
            eligible: scored.len(),
            selected: chosen.len(),
            missed: 0,
            unfilled: 0,
            buys: 0.0,
            sells: 0.0,
            cost: 0.0,
            pre_trade_value: 0.0,
            turnover: 0.0,
        });
        if !chosen.is_empty() {
            self.pending_order = Some(PendingOrder {
                targets: equal_weights(&chosen),
                record: self.out.rebalances.len() - 1,
            });
        }
        if !scored.is_empty() && self.options.evaluate_ic {
            self.pending_ic.push_back(PendingSignal {
                day: self.batch.day,
                date,
                scored,
            });
        }
        Ok(())
    }

    fn record(&mut self) {
        let d = self.batch.day;
        // σ and ADV for the impact model: today's bars count from tomorrow's fills on.
        if let Some(l) = &mut self.liquidity {
            l.update(self.history.bars());
        }
        if !self.in_window(d) {
            return;
        }
        let h = &self.history;
        // Re-mark after any fill at the close or delisting.
        self.nav = self.portfolio.value(|s| h.last_close_adj(s));
        let nav = self.nav;
        let check = self.portfolio.cash
            + self
                .portfolio
                .holdings
                .iter()
                .map(|(&s, &q)| q * h.last_close_adj(s))
                .sum::<f64>();
        debug_assert!(
            (check - nav).abs() <= 1e-9 * nav.abs().max(1.0),
            "cash + positions = NAV"
        );
        let date = self.batch.date;
        let holdings = if self.options.record_positions {
            &self.portfolio.holdings
        } else {
            &std::collections::BTreeMap::new()
        };
        for (&s, &q) in holdings {
            let adj_price = h.last_close_adj(s);
            let raw = h.last_close(s);
            let value = q * adj_price;
            self.out.positions.push(PositionRecord {
                date,
                symbol: s,
                quantity: q,
                raw_shares: q * adj_price / raw,
                price: raw,
                value,
                weight: value / nav,
            });
        }
        self.out.daily.push(DailyRecord {
            date,
            nav,
            benchmark: self.bench_nav,
            cash: self.portfolio.cash,
            cost: self.today_cost,
            costs: self.today_costs,
            turnover: self.today_turnover,
            holdings: self.portfolio.holdings.len(),
        });
    }
}

/// Rolling per-symbol liquidity statistics for the impact model: the last
/// `window` daily returns (adjusted close to close, across suspensions) and
/// traded values (`amount`, or `close × volume` without it) of traded days.
#[derive(Debug)]
struct Liquidity {
    window: usize,
    returns: Vec<f64>,
    values: Vec<f64>,
    n_returns: Vec<u32>,
    n_values: Vec<u32>,
    last_close_adj: Vec<f64>,
}

impl Liquidity {
    fn new(n_symbols: usize, window: usize) -> Self {
        Liquidity {
            window,
            returns: vec![0.0; n_symbols * window],
            values: vec![0.0; n_symbols * window],
            n_returns: vec![0; n_symbols],
            n_values: vec![0; n_symbols],
            last_close_adj: vec![f64::NAN; n_symbols],
        }
    }

    fn update(&mut self, bars: &[BarRow]) {
        let w = self.window;
        for b in bars.iter().filter(|b| b.is_traded()) {
            let s = b.symbol.index();
            let value = if b.amount.is_finite() {
                b.amount
            } else {
                b.close * b.volume
            };
            let k = self.n_values[s] as usize;
            self.values[s * w + k % w] = value;
            self.n_values[s] += 1;
            let adj = b.close * b.adj_factor;
            let last = self.last_close_adj[s];
            if last.is_finite() && last > 0.0 {
                let k = self.n_returns[s] as usize;
                self.returns[s * w + k % w] = adj / last - 1.0;
                self.n_returns[s] += 1;
            }
            self.last_close_adj[s] = adj;
        }
    }

    /// Sample std of the last returns (NaN with fewer than two).
    fn sigma(&self, s: SymbolId) -> f64 {
        let n = (self.n_returns[s.index()] as usize).min(self.window);
        if n < 2 {
            return f64::NAN;
        }
        let r = &self.returns[s.index() * self.window..s.index() * self.window + n];
        metrics::std_sample(r)
    }

    /// Mean traded value (NaN with no traded day).
    fn adv(&self, s: SymbolId) -> f64 {
        let n = (self.n_values[s.index()] as usize).min(self.window);
        if n == 0 {
            return f64::NAN;
        }
        let v = &self.values[s.index() * self.window..s.index() * self.window + n];
        v.iter().sum::<f64>() / n as f64
    }
}
