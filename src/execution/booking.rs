//! Booking: one fill applied to the portfolio (holdings, cash, T+1 lots)
//! and the outcome's totals; the rows of what did not fill.

use super::{FillRecord, Quote, RebalanceOutcome, TradeReason, Unfilled, UnfilledReason};
use crate::costs::{CostModel, Side};
use crate::data::{Date, SymbolId};
use crate::portfolio::Portfolio;

/// A planned order: symbol, side, adjusted quantity, quote, whole-position sale.
pub(super) struct Planned {
    pub(super) symbol: SymbolId,
    pub(super) side: Side,
    pub(super) quantity: f64,
    /// Traded value: the sized value when no rule changed the order (so the
    /// frictionless path is exactly the sizing), else quantity × price.
    pub(super) value: f64,
    pub(super) quote: Quote,
    pub(super) whole: bool,
}

/// Applies one fill to the portfolio and the outcome.
pub(super) fn book(
    portfolio: &mut Portfolio,
    out: &mut RebalanceOutcome,
    order: &Planned,
    date: Date,
    costs: &dyn CostModel,
    reason: TradeReason,
) -> FillRecord {
    let p = order.quote;
    let s = order.symbol;
    let qty = order.quantity;
    let value = order.value;
    let cb = costs.breakdown(&p.intent(date, s, order.side, value));
    let cost = cb.total();
    let held = portfolio.holdings.entry(s).or_insert(0.0);
    match order.side {
        Side::Buy => {
            *held += qty;
            portfolio.cash -= value;
            out.buys += value;
        }
        Side::Sell => {
            *held -= qty;
            portfolio.cash += value;
            out.sells += value;
        }
    }
    // A whole sale leaves exactly nothing (no 1e-17 dust positions).
    if (order.whole && order.side == Side::Sell) || held.abs() <= 1e-12 * qty.max(1.0) {
        portfolio.holdings.remove(&s);
        portfolio.acquired.remove(&s);
    }
    if order.side == Side::Buy {
        portfolio.note_buy(s, date, qty);
    }
    portfolio.cash -= cost;
    out.cost += cost;
    out.costs.add(&cb);
    FillRecord {
        date,
        symbol: s,
        side: order.side,
        quantity: qty,
        adjusted_price: p.adjusted,
        price: p.raw,
        value,
        cost,
        costs: cb,
        reason,
    }
}

pub(super) fn unfilled_rows(
    date: Date,
    symbol: SymbolId,
    side: Side,
    p: &Quote,
    parts: &[(UnfilledReason, f64)],
    order: TradeReason,
) -> Vec<Unfilled> {
    parts
        .iter()
        .map(|&(reason, q)| Unfilled {
            date,
            symbol,
            side,
            quantity: q,
            price: p.raw,
            value: q * p.adjusted,
            reason,
            order,
        })
        .collect()
}
