//! Run setup: the window, the index and name checks, the schedules, and
//! an [`Engine`] with its parts (history, model, factor library, costs,
//! market rules, construction method) and the feed's plan.

use super::benchmark::Benchmark;
use super::{Engine, RunOptions, RunRecords};
use crate::alpha::AlphaModel;
use crate::context::{History, Names};
use crate::costs::{CostBreakdown, CostModel, CostSettings, Liquidity};
use crate::data::{DayIndex, Market};
use crate::event::{Clock, EventQueue};
use crate::factors::FactorLibrary;
use crate::feed::{DayBatch, FeedPlan};
use crate::market_rules::MarketRules;
use crate::portfolio::Portfolio;
use crate::schedule::{retrain_days, signal_days};
use crate::signal::PendingSignals;
use crate::spec::Spec;
use crate::strategy::Construction;
use crate::{Error, Result};

/// Every symbol that is a member of the universe index on some day (a
/// spell in constituents.csv): the only symbols that are ever candidates,
/// so the only ones a factor library computes. `None` without an index
/// universe (every listed stock is a member) or when the bundle has no
/// spells of it.
pub(super) fn ever_members(market: &Market, index: Option<&str>) -> Option<Vec<bool>> {
    let spells = market.constituents.get(index?)?;
    let mut members = vec![false; market.n_symbols()];
    for spell in spells {
        members[spell.symbol.index()] = true;
    }
    Some(members)
}

/// The names of the run's factor columns, in the order the history holds
/// them (and a model is built with): the `factors.csv` columns, then the
/// selected library factors. A library name that is also a `factors.csv`
/// column is an error.
pub fn run_factor_names(spec: &Spec, market: &Market) -> Result<Vec<String>> {
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

/// The `factors.csv` columns a run of `spec` reads ([`crate::data::FactorColumns`]):
/// the model's factor names (all columns when the model takes every column),
/// plus, parsed only when present, the selected library factor names (so
/// that a clash with a column is still an error) and the enhanced-index
/// style names (a style resolves to a column of that name first). A name
/// the model needs that is not a column makes the loader parse every
/// column, so the run fails with the same message as with all of them.
pub fn run_factor_columns(spec: &Spec) -> crate::data::FactorColumns {
    use crate::spec::ModelConfig;
    let model: Vec<String> = match &spec.config.model {
        ModelConfig::Ew { factors, signs } => match factors {
            Some(f) => f.iter().chain(signs.keys()).cloned().collect(),
            None => return crate::data::FactorColumns::All,
        },
        ModelConfig::Factor { name, .. } => vec![name.clone()],
        ModelConfig::File { .. } | ModelConfig::Reversal { .. } => Vec::new(),
        ModelConfig::Linear(l) => match &l.factors {
            Some(f) => f.clone(),
            None => return crate::data::FactorColumns::All,
        },
        ModelConfig::Gbdt(g) => match &g.factors {
            Some(f) => f.clone(),
            None => return crate::data::FactorColumns::All,
        },
        ModelConfig::Mlp(d)
        | ModelConfig::Mgat(d)
        | ModelConfig::Dmfm(d)
        | ModelConfig::E2eai(d) => match &d.factors {
            Some(f) => f.clone(),
            None => return crate::data::FactorColumns::All,
        },
        ModelConfig::Gru(q) | ModelConfig::Alstm(q) => q.factors.clone(),
    };
    let library: Vec<String> = spec
        .library_selection()
        .into_iter()
        .map(|i| crate::factors::CATALOG[i].name.to_owned())
        .collect();
    let (mut required, mut optional): (Vec<String>, Vec<String>) =
        model.into_iter().partition(|n| !library.contains(n));
    optional.extend(library);
    for style in spec.config.portfolio.enhanced_index().styles {
        if crate::strategy::enhanced::styles::resolve(&style, &[]).is_ok() {
            optional.push(style);
        } else {
            required.push(style);
        }
    }
    crate::data::FactorColumns::Select { required, optional }
}

impl<'a> Engine<'a> {
    /// Checks the run and builds the engine and the feed's plan.
    pub(super) fn new(
        spec: &'a Spec,
        market: &Market,
        model: Box<dyn AlphaModel>,
        options: RunOptions,
    ) -> Result<(Self, FeedPlan)> {
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
        if signals.is_empty() && !options.allow_no_signal_day {
            // Nothing would ever be decided: stop before simulating rather
            // than write a run folder of a flat NAV.
            return Err(Error::Spec {
                file: spec.path.clone(),
                message: format!(
                    "no signal day: the {} schedule has no rebalance day in the window {} .. {} other than its last day (nothing could execute after it); use a bundle or window that spans more than one rebalance period, or a more frequent schedule (`[schedule] rebalance = \"weekly\"` or `\"every_n_days\"`)",
                    c.schedule.rebalance.key(),
                    dates[first.index()],
                    dates[last.index()]
                ),
            });
        }
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
        run_factor_names(spec, market)?; // name clashes
        let selection = spec.library_selection();
        let library = (!selection.is_empty()).then(|| {
            FactorLibrary::new(
                selection,
                c.preprocess.clone(),
                market.n_symbols(),
                &market.fundamentals.fields,
            )
            .over_listed(c.model.trains_on_listed())
            .tracking(ever_members(market, c.index.as_deref()).as_deref())
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
        let cost_settings = CostSettings::from_config(&c.costs, c.execution.market);
        let costs: Box<dyn CostModel> = Box::new(cost_settings.build());
        let rules = MarketRules::from_config(&c.execution);
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
        let construction_data =
            super::construction::ConstructionData::new(spec, market, library.is_some())?;
        let mut options = options;
        if construction_data.needs_history() {
            // the risk model reads the price history of every name
            options.lean_history = false;
            options.symbols = None;
        }
        let engine = Engine {
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
                construction: Vec::new(),
                stock_days: 0,
                days: n_days,
            },
            model,
            library,
            costs,
            rules,
            construction: Construction::from_config(&c.portfolio),
            construction_data,
            st,
            liquidity,
            options,
            portfolio: Portfolio::new(c.initial_capital),
            signal_set,
            retrain_set,
            first_signal: signals.first().copied(),
            batch: DayBatch::default(),
            pending_order: None,
            pending_ic: PendingSignals::new(c.ic_horizon),
            benchmark: Benchmark::new(c.initial_capital, bench_uses_levels),
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
        Ok((engine, plan))
    }
}
