//! Fills inside the engine: quotes from today's bars under the market
//! rules and the impact model's statistics, the fill at the open or at the
//! close, and the sale of delisted holdings.

use super::{Engine, PendingOrder};
use crate::data::{Date, SymbolId};
use crate::execution::{self, Quote};
use crate::feed::BarRow;
use crate::market_rules::{derived_limits, limit_blocks, limit_fraction};
use crate::metrics;

impl Engine<'_> {
    /// A quote at `price` (raw) for bar `b`, with the market rules applied.
    /// `reference_adj` is the last adjusted close before today (the limit
    /// reference); today's close never enters unless `price` is the close.
    pub(super) fn quote_for(&self, b: &BarRow, price: f64, reference_adj: f64) -> Quote {
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
            q.sigma_daily = l.sigma_daily(b.symbol);
            q.adv_value = l.adv_value(b.symbol);
        }
        q
    }

    pub(super) fn fill_at_open(&mut self) {
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

    pub(super) fn fill_at_close(&mut self) {
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

    pub(super) fn delist(&mut self, symbols: &[SymbolId]) {
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
}
