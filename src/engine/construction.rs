//! What portfolio construction reads besides the scores: the book (current
//! weights, days held), the benchmark's weights known today (carried
//! forward from `index_weights.csv`, or equal member weights), today's
//! style exposures, and the active-exposure analytics recorded per
//! rebalance whenever the run has benchmark weights.

use super::Engine;
use crate::context::Context;
use crate::data::{Date, IndexWeightDay, Market, SymbolId};
use crate::factors::FactorLibrary;
use crate::spec::{Method, MissingRule, PreprocessConfig, Spec};
use crate::strategy::enhanced::styles::{resolve, StyleSource};
use crate::strategy::enhanced::ActiveRecord;
use crate::strategy::{
    BenchmarkWeights, Book, Construction, EnhancedIndex, OptimiserRecord, StyleExposures,
};
use crate::{Error, Result};
use serde::Serialize;

/// One rebalance's construction record (report.json `portfolio`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstructionRecord {
    pub date: Date,
    /// The `index_weights.csv` date of the benchmark weights; None = equal
    /// member weights.
    pub benchmark_weights_as_of: Option<Date>,
    #[serde(flatten)]
    pub active: ActiveRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimiser: Option<OptimiserRecord>,
}

/// The style factors of a run and how today's values are computed.
pub(super) struct Styles {
    names: Vec<String>,
    sources: Vec<StyleSource>,
    /// A factor library of its own for the library styles, only when the
    /// run has no model library to read raw values from (the rolling
    /// state is the expensive part: it is never kept twice).
    pub(super) library: Option<FactorLibrary>,
}

/// The rule every library style goes through before standardising:
/// winsorised at median ± 5 MAD, missing left missing.
const STYLE_PREPROCESS: PreprocessConfig = PreprocessConfig {
    winsorize_mad: 5.0,
    standardize: false,
    missing: MissingRule::None,
};

/// Benchmark weights, styles and analytics of a run.
pub(super) struct ConstructionData {
    benchmark: Option<String>,
    same_as_universe: bool,
    weights: Vec<IndexWeightDay>,
    pub(super) styles: Option<Styles>,
    /// Active exposures of the non-optimiser methods (None: no analytics).
    analytics: Option<EnhancedIndex>,
    /// Rebalances with equal member weights for want of index weights.
    fallback: usize,
}

impl ConstructionData {
    /// What `spec` needs on `market`; unknown styles are spec errors.
    /// `model_library`: the run already has a factor library (the model's).
    pub(super) fn new(spec: &Spec, market: &Market, model_library: bool) -> Result<Self> {
        let c = &spec.config;
        let benchmark = c.benchmark.clone().or_else(|| c.index.clone());
        let weights = benchmark
            .as_ref()
            .and_then(|b| market.index_weights.get(b))
            .cloned()
            .unwrap_or_default();
        let enhanced = c.portfolio.method == Method::EnhancedIndex;
        let analytics = !enhanced && !weights.is_empty();
        let styles = if enhanced || analytics {
            let names = c.portfolio.enhanced_index().styles;
            let mut sources = Vec::new();
            for n in &names {
                sources.push(resolve(n, &market.factors.names).map_err(|m| Error::Spec {
                    file: spec.path.clone(),
                    message: format!("portfolio.enhanced_index.styles: {m}"),
                })?);
            }
            let selection: Vec<usize> = sources
                .iter()
                .filter_map(|s| match s {
                    StyleSource::Library(i) => Some(*i),
                    StyleSource::Column(_) => None,
                })
                .collect();
            let library = (!selection.is_empty() && !model_library).then(|| {
                let mut selection = selection;
                selection.sort_unstable();
                selection.dedup();
                FactorLibrary::new(
                    selection,
                    STYLE_PREPROCESS,
                    market.n_symbols(),
                    &market.fundamentals.fields,
                )
                .tracking(super::setup::ever_members(market, c.index.as_deref()).as_deref())
            });
            Some(Styles {
                names,
                sources,
                library,
            })
        } else {
            None
        };
        Ok(ConstructionData {
            same_as_universe: c.benchmark.is_none() || c.benchmark == c.index,
            benchmark,
            weights,
            styles,
            analytics: analytics.then(|| EnhancedIndex::new(c.portfolio.enhanced_index())),
            fallback: 0,
        })
    }

    /// True when the run needs the whole price history (the risk model).
    pub(super) fn needs_history(&self) -> bool {
        self.styles.is_some()
    }

    /// The benchmark weights known at today's close.
    fn benchmark_weights(&mut self, ctx: &Context<'_>) -> Option<BenchmarkWeights> {
        self.benchmark.as_ref()?;
        if ctx.candidates().is_empty() {
            return None; // nothing to construct: not a fallback
        }
        let date = ctx.date();
        let k = self.weights.partition_point(|d| d.date <= date);
        if k > 0 {
            let day = &self.weights[k - 1];
            return Some(BenchmarkWeights {
                weights: day.weights.clone(),
                as_of: Some(day.date),
            });
        }
        self.fallback += 1;
        let members: Vec<SymbolId> = (0..ctx.n_symbols())
            .map(|i| SymbolId(i as u32))
            .filter(|&s| {
                if self.same_as_universe {
                    ctx.is_member(s)
                } else {
                    ctx.is_benchmark_member(s)
                }
            })
            .collect();
        let w = 1.0 / members.len().max(1) as f64;
        Some(BenchmarkWeights {
            weights: members.into_iter().map(|s| (s, w)).collect(),
            as_of: None,
        })
    }

    /// Today's style exposures (after the libraries saw today's close):
    /// library styles from the raw values of `model_library` or the run's
    /// own style library, winsorised ([`STYLE_PREPROCESS`]), then
    /// standardised ([`StyleExposures::standardise`]).
    fn style_exposures(
        &self,
        ctx: &Context<'_>,
        model_library: Option<&FactorLibrary>,
    ) -> Option<StyleExposures> {
        let st = self.styles.as_ref()?;
        let symbols = ctx.candidates();
        let (n, k) = (symbols.len(), st.names.len());
        let lib = st.library.as_ref().or(model_library);
        let mut raw = vec![f64::NAN; n * k];
        let mut col = vec![f64::NAN; n];
        let no_industry = vec![u16::MAX; n];
        let mut scratch = crate::factors::preprocess::Scratch::default();
        for (j, src) in st.sources.iter().enumerate() {
            col.fill(f64::NAN);
            match *src {
                StyleSource::Column(c) => {
                    for (v, &s) in col.iter_mut().zip(&symbols) {
                        *v = ctx.factor(s, c);
                    }
                }
                StyleSource::Library(f) => {
                    let lib = lib.expect("a library style has a library");
                    let (ls, _, _) = lib.output();
                    for (v, &s) in col.iter_mut().zip(&symbols) {
                        if let Ok(r) = ls.binary_search(&s) {
                            *v = lib.raw_at(r, f);
                        }
                    }
                    crate::factors::preprocess::preprocess_column(
                        &mut col,
                        &no_industry,
                        &STYLE_PREPROCESS,
                        &mut scratch,
                    );
                }
            }
            for (i, v) in col.iter().enumerate() {
                raw[i * k + j] = *v;
            }
        }
        Some(StyleExposures::standardise(st.names.clone(), symbols, raw))
    }

    /// The warning of a run that used equal member weights.
    pub(super) fn warning(&self) -> Option<String> {
        (self.fallback > 0).then(|| {
            format!(
                "benchmark weights: {} rebalance(s) had no index_weights.csv rows for `{}` on or before the signal day; equal member weights were used for them (active exposures and tracking error are against that)",
                self.fallback,
                self.benchmark.as_deref().unwrap_or("")
            )
        })
    }
}

impl Engine<'_> {
    /// The book at today's close: weights at last closes over the NAV
    /// marked at this close (Close 2, before the decision).
    fn book(&self, ctx: &Context<'_>) -> Book {
        let h = &self.history;
        let nav = self.nav;
        let dates = ctx.dates();
        let today = ctx.day().index();
        let mut book = Book::default();
        for (&s, &q) in &self.portfolio.holdings {
            let w = if nav > 0.0 {
                q * h.last_close_adj(s) / nav
            } else {
                0.0
            };
            book.weights.push((s, w));
            let since = self
                .portfolio
                .acquired
                .get(&s)
                .map_or(today, |d| dates.partition_point(|x| x < d));
            book.held_days.push(today + 1 - since.min(today));
        }
        book
    }

    /// The eligible names and holdings whose close today is at a price limit
    /// (`true` = up), under the run's market rules (none without price limits).
    fn locked_at_close(
        &self,
        ctx: &Context<'_>,
        scored: &[(SymbolId, f64)],
        book: &Book,
    ) -> Vec<(SymbolId, bool)> {
        // only the optimiser pins locked names
        if !self.rules.price_limits || !matches!(self.construction, Construction::EnhancedIndex(_))
        {
            return Vec::new();
        }
        let h = &self.history;
        let mut names: Vec<SymbolId> = scored
            .iter()
            .map(|p| p.0)
            .chain(book.weights.iter().map(|p| p.0))
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|s| {
                let b = ctx.bar(s).filter(|b| b.is_traded())?;
                let q = self.quote_for(b, b.close, h.previous_close_adj(s));
                if q.buy_blocked {
                    Some((s, true))
                } else if q.sell_blocked {
                    Some((s, false))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Rebalance timer: the construction's decision, with its record.
    pub(super) fn construct(
        &mut self,
        scored: &[(SymbolId, f64)],
    ) -> crate::strategy::TargetWeights {
        let ctx = self.history.context();
        let book = self.book(&ctx);
        let data = &mut self.construction_data;
        let (benchmark, styles) = if data.needs_history() {
            (
                data.benchmark_weights(&ctx),
                data.style_exposures(&ctx, self.library.as_ref()),
            )
        } else {
            (None, None)
        };
        let locked = self.locked_at_close(&ctx, scored, &book);
        let inputs = crate::strategy::Inputs {
            scores: scored,
            context: &ctx,
            book: &book,
            benchmark: benchmark.as_ref(),
            styles: styles.as_ref(),
            locked: &locked,
        };
        let decision = self.construction.decide(&inputs);
        let active = match (&decision.active, &self.construction_data.analytics) {
            (Some(a), _) => Some(a.clone()),
            (None, Some(e)) => Some(e.active(&inputs, &decision.targets)),
            (None, None) => None,
        };
        if let Some(active) = active {
            self.out.construction.push(ConstructionRecord {
                date: ctx.date(),
                benchmark_weights_as_of: benchmark.as_ref().and_then(|b| b.as_of),
                active,
                optimiser: decision.optimiser,
            });
        }
        decision.targets
    }
}
