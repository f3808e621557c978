//! What a run records: the row types of `nav.csv`, `positions.csv`, the
//! rebalances and `ic.csv`, [`RunRecords`] (everything a run produced), and
//! the engine's post-close step that writes the day's rows.

use super::Engine;
use crate::alpha::Interpretation;
use crate::costs::{CostBreakdown, TradedDay};
use crate::data::{Date, SymbolId};
use crate::execution::{FillRecord, Unfilled};

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
    /// RankMAE (rank-Gauss mean absolute error, [`crate::signal`]).
    pub rank_mae: f64,
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
    pub fills: Vec<FillRecord>,
    /// Orders (or parts) that did not fill, with the reason.
    pub unfilled: Vec<Unfilled>,
    pub rebalances: Vec<RebalanceRecord>,
    pub ic: Vec<IcRecord>,
    pub retrain_dates: Vec<Date>,
    /// Every signal day's scores of the eligible set (finite scores, ascending symbol).
    pub scores: Vec<(Date, Vec<(SymbolId, f64)>)>,
    /// What the model learned per retrain window, if it reports it.
    pub interpretation: Option<Interpretation>,
    pub warnings: Vec<String>,
    /// Per rebalance, with benchmark weights: active exposures, ex-ante
    /// tracking error and what the optimiser did.
    pub construction: Vec<super::construction::ConstructionRecord>,
    /// Stock-days streamed (rows of the bars cross-sections).
    pub stock_days: u64,
    pub days: usize,
}

impl Engine<'_> {
    /// The day's rows (PostClose), after the impact model's statistics take today's bars.
    pub(super) fn record(&mut self) {
        let d = self.batch.day;
        // σ and ADV for the impact model: today's bars count from tomorrow's fills on.
        if let Some(l) = &mut self.liquidity {
            let h = &self.history;
            l.update(
                h.bars()
                    .iter()
                    .filter(|b| b.is_traded())
                    .map(|b| TradedDay {
                        symbol: b.symbol,
                        close_adj: h.last_close_adj(b.symbol),
                        previous_close_adj: h.previous_close_adj(b.symbol),
                        traded_value: b.traded_value(),
                    }),
            );
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
            benchmark: self.benchmark.nav,
            cash: self.portfolio.cash,
            cost: self.today_cost,
            costs: self.today_costs,
            turnover: self.today_turnover,
            holdings: self.portfolio.holdings.len(),
        });
    }
}
