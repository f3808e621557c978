//! Rebalancing to target weights (sizing by the fixed point, market rules,
//! the cash check) and the whole-holding sale of a delisting.

use super::booking::{book, unfilled_rows, Planned};
use super::order_rules::constrain;
use super::{FillRecord, Quote, RebalanceOutcome, TradeReason, Unfilled, UnfilledReason};
use crate::costs::{CostModel, Side};
use crate::data::{Date, SymbolId};
use crate::market_rules::MarketRules;
use crate::portfolio::Portfolio;
use crate::strategy::TargetWeights;

/// Trades `portfolio` to `targets` at `quote(s)` prices (None = cannot trade
/// now; `last_price(s)` values such holdings) under `rules`. See the module docs.
pub fn rebalance(
    portfolio: &mut Portfolio,
    targets: &TargetWeights,
    date: Date,
    quote: impl Fn(SymbolId) -> Option<Quote>,
    last_price: impl Fn(SymbolId) -> f64,
    costs: &dyn CostModel,
    rules: &MarketRules,
) -> RebalanceOutcome {
    let mut out = RebalanceOutcome::default();
    let is_target = |s: SymbolId| targets.binary_search_by_key(&s, |x| x.0).is_ok();
    // Current tradable holdings and their values at fill prices.
    let mut wealth = portfolio.cash;
    let mut frozen = 0.0;
    let mut current: Vec<(SymbolId, f64, Quote)> = Vec::new(); // (symbol, qty, quote)
    for (&s, &q) in &portfolio.holdings {
        match quote(s) {
            Some(p) => {
                wealth += q * p.adjusted;
                current.push((s, q, p));
            }
            None => {
                let last = last_price(s);
                frozen += q * last;
                if !is_target(s) {
                    out.unfilled.push(Unfilled {
                        date,
                        symbol: s,
                        side: Side::Sell,
                        quantity: q,
                        price: f64::NAN,
                        value: q * last,
                        reason: UnfilledReason::Suspended,
                        order: TradeReason::Rebalance,
                    });
                }
            }
        }
    }
    out.pre_trade_value = wealth + frozen;
    let mut tradable_targets: Vec<(SymbolId, f64, Quote)> = Vec::new();
    for &(s, w) in targets {
        match quote(s) {
            Some(p) => tradable_targets.push((s, w, p)),
            None => {
                out.missed.push(s);
                if !portfolio.holdings.contains_key(&s) {
                    out.unfilled.push(Unfilled {
                        date,
                        symbol: s,
                        side: Side::Buy,
                        quantity: f64::NAN,
                        price: f64::NAN,
                        value: f64::NAN,
                        reason: UnfilledReason::Suspended,
                        order: TradeReason::Rebalance,
                    });
                }
            }
        }
    }
    let weight_sum: f64 = tradable_targets.iter().map(|t| t.1).sum();
    let held_value = |s: SymbolId| -> f64 {
        current
            .binary_search_by_key(&s, |c| c.0)
            .map_or(0.0, |i| current[i].1 * current[i].2.adjusted)
    };
    // Trade list for a given investable wealth W'.
    let trades_for = |invest: f64| -> Vec<(SymbolId, f64, Quote)> {
        // (symbol, signed value change, quote)
        let mut t = Vec::with_capacity(current.len() + tradable_targets.len());
        for &(s, _, p) in &current {
            if tradable_targets.binary_search_by_key(&s, |x| x.0).is_err() {
                t.push((s, -held_value(s), p));
            }
        }
        for &(s, w, p) in &tradable_targets {
            t.push((s, invest * w / weight_sum - held_value(s), p));
        }
        t.sort_by_key(|x| x.0);
        t
    };
    let cost_of = |t: &[(SymbolId, f64, Quote)]| -> f64 {
        t.iter()
            .filter(|x| x.1 != 0.0)
            .map(|&(s, dv, p)| {
                let side = if dv > 0.0 { Side::Buy } else { Side::Sell };
                costs.cost(&p.intent(date, s, side, dv.abs()))
            })
            .sum()
    };
    let invest = if tradable_targets.is_empty() {
        0.0
    } else {
        let mut w = wealth;
        for _ in 0..100 {
            let next = wealth - cost_of(&trades_for(w));
            let done = (next - w).abs() <= 1e-12 * wealth.abs().max(1.0);
            w = next;
            if done {
                break;
            }
        }
        w.max(0.0)
    };
    // The sized orders, then the market rules.
    let mut sells: Vec<Planned> = Vec::new();
    let mut buys: Vec<Planned> = Vec::new();
    for (s, dv, p) in trades_for(invest) {
        if dv == 0.0 {
            continue;
        }
        let side = if dv > 0.0 { Side::Buy } else { Side::Sell };
        let held = portfolio.holdings.get(&s).copied().unwrap_or(0.0);
        let whole =
            side == Side::Sell && tradable_targets.binary_search_by_key(&s, |x| x.0).is_err();
        let want = match side {
            Side::Buy => dv / p.adjusted,
            Side::Sell if whole => held,
            Side::Sell => (-dv / p.adjusted).min(held),
        };
        let c = constrain(
            side,
            want,
            held,
            portfolio.bought_on(s, date),
            whole,
            &p,
            rules,
        );
        out.unfilled.extend(unfilled_rows(
            date,
            s,
            side,
            &p,
            &c.unfilled,
            TradeReason::Rebalance,
        ));
        if c.quantity > 0.0 {
            let whole = whole && c.quantity >= held;
            let value = if c.unfilled.is_empty() && c.quantity == want {
                if whole {
                    held * p.adjusted
                } else {
                    dv.abs()
                }
            } else {
                c.quantity * p.adjusted
            };
            let planned = Planned {
                symbol: s,
                side,
                quantity: c.quantity,
                value,
                quote: p,
                whole,
            };
            match side {
                Side::Buy => buys.push(planned),
                Side::Sell => sells.push(planned),
            }
        }
    }
    let mut fills = Vec::with_capacity(sells.len() + buys.len());
    for o in &sells {
        fills.push(book(
            portfolio,
            &mut out,
            o,
            date,
            costs,
            TradeReason::Rebalance,
        ));
    }
    // Cash check: buys plus their costs must fit the cash (a refused sell
    // raised less than planned). Scale the buys down pro rata if not.
    let need = |f: f64, buys: &[Planned]| -> f64 {
        buys.iter()
            .map(|o| {
                let q = scaled_quantity(o, f, rules);
                let v = if f >= 1.0 {
                    o.value
                } else {
                    q * o.quote.adjusted
                };
                if v > 0.0 {
                    v + costs.cost(&o.quote.intent(date, o.symbol, Side::Buy, v))
                } else {
                    0.0
                }
            })
            .sum()
    };
    let available = portfolio.cash;
    if need(1.0, &buys) > available + 1e-9 * out.pre_trade_value.abs().max(1.0) {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if need(mid, &buys) <= available {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        for o in &mut buys {
            let q = scaled_quantity(o, lo, rules);
            if q < o.quantity {
                o.value = q * o.quote.adjusted;
                out.unfilled.extend(unfilled_rows(
                    date,
                    o.symbol,
                    Side::Buy,
                    &o.quote,
                    &[(UnfilledReason::Cash, o.quantity - q)],
                    TradeReason::Rebalance,
                ));
            }
            o.quantity = q;
        }
    }
    for o in buys.iter().filter(|o| o.quantity > 0.0) {
        fills.push(book(
            portfolio,
            &mut out,
            o,
            date,
            costs,
            TradeReason::Rebalance,
        ));
    }
    fills.sort_by_key(|f| f.symbol);
    out.fills = fills;
    out.unfilled.sort_by_key(|u| (u.symbol, u.reason));
    out
}

/// A buy's quantity scaled by `f`, rounded down to whole lots when lots are on.
fn scaled_quantity(o: &Planned, f: f64, rules: &MarketRules) -> f64 {
    let q = o.quantity * f;
    if rules.lot_size == 0 || f >= 1.0 {
        return if f >= 1.0 { o.quantity } else { q };
    }
    let af = o.quote.adj_factor();
    let lot = f64::from(rules.lot_size);
    ((q * af) / lot + 1e-9).floor() * lot / af
}

/// Sells a whole holding at `quote` (a delisting) under `rules`: the fill
/// (if any) and what could not be sold.
pub fn liquidate(
    portfolio: &mut Portfolio,
    symbol: SymbolId,
    date: Date,
    quote: Quote,
    costs: &dyn CostModel,
    rules: &MarketRules,
) -> (Option<FillRecord>, Vec<Unfilled>) {
    let Some(&held) = portfolio.holdings.get(&symbol) else {
        return (None, Vec::new());
    };
    let c = constrain(
        Side::Sell,
        held,
        held,
        portfolio.bought_on(symbol, date),
        true,
        &quote,
        rules,
    );
    let unfilled = unfilled_rows(
        date,
        symbol,
        Side::Sell,
        &quote,
        &c.unfilled,
        TradeReason::Delisting,
    );
    if c.quantity <= 0.0 {
        return (None, unfilled);
    }
    let mut out = RebalanceOutcome::default();
    let order = Planned {
        symbol,
        side: Side::Sell,
        quantity: c.quantity,
        value: c.quantity * quote.adjusted,
        quote,
        whole: c.quantity >= held,
    };
    let fill = book(
        portfolio,
        &mut out,
        &order,
        date,
        costs,
        TradeReason::Delisting,
    );
    (Some(fill), unfilled)
}
