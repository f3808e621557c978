//! Orders, fills and transaction costs.
//!
//! At a fill, the engine hands [`rebalance`] the portfolio, the target
//! weights and a price for every symbol that can trade now. Sizing follows
//! DESIGN §4:
//!
//! - W = cash + value of the *tradable* holdings at the fill prices
//!   (holdings that cannot trade now stay held and are not part of W);
//! - each tradable target gets a share of W' in proportion to its weight
//!   (W'/k for equal weights), every other tradable holding is sold;
//! - W' solves W' = W − cost(trades(W')).
//!
//! Design notes (the fixed point): the cost of the trades is a piecewise
//! linear function of W' whose slope is at most the largest cost rate, far
//! below 1, so W' ↦ W − cost(trades(W')) is a contraction and plain iteration
//! from W' = W converges geometrically (error × rate per step: at 40 bps
//! twelve digits in five steps). We iterate until the change is below 1e-12 ×
//! W (at most 100 steps), then take the costs of the final trades exactly, so
//! cash = W − Σ targets − costs, a rounding residue of the order of 1e-9 of W.
//! The book is fully invested and never borrows.
//!
//! Market rules ([`crate::market`]) then act on each sized order: a refused
//! order (price limit, T+1), a capped one (volume cap) or a rounded one
//! (lots) trades less than planned and the rest is recorded as
//! [`Unfilled`] with its reason. Sells run first; when a refused sell leaves
//! less cash than the buys need, the buys are scaled down pro rata (largest
//! factor whose value plus costs fits the cash, by bisection) so cash never
//! goes negative. What a capped or refused buy does not spend stays as cash
//! until the next rebalance. With no rule on, the outcome is exactly the
//! sizing above. Fills are reported in symbol order.

use crate::data::{Date, SymbolId};
use crate::market::MarketRules;
use crate::portfolio::{Portfolio, TargetWeights};
use serde::Serialize;

pub use crate::costs::{CostBreakdown, CostModel, ProportionalCost, Side, TradeIntent};

/// Why a trade happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeReason {
    Rebalance,
    /// The symbol's last bar: sold at its last close.
    Delisting,
}

impl TradeReason {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeReason::Rebalance => "rebalance",
            TradeReason::Delisting => "delisting",
        }
    }
}

/// Why (part of) an order did not fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnfilledReason {
    /// No traded bar at the fill.
    Suspended,
    /// A buy at the up limit.
    LimitUp,
    /// A sell at the down limit.
    LimitDown,
    /// The part above the volume participation cap (dropped, not carried).
    VolumeCap,
    /// The order rounds to zero round lots.
    Lot,
    /// Shares bought today cannot be sold today.
    TPlusOne,
    /// A buy scaled down because a refused sell left too little cash.
    Cash,
}

impl UnfilledReason {
    /// Every reason, in report order.
    pub const ALL: [UnfilledReason; 7] = [
        UnfilledReason::Suspended,
        UnfilledReason::LimitUp,
        UnfilledReason::LimitDown,
        UnfilledReason::VolumeCap,
        UnfilledReason::Lot,
        UnfilledReason::TPlusOne,
        UnfilledReason::Cash,
    ];
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnfilledReason::Suspended => "suspended",
            UnfilledReason::LimitUp => "limit_up",
            UnfilledReason::LimitDown => "limit_down",
            UnfilledReason::VolumeCap => "volume_cap",
            UnfilledReason::Lot => "lot",
            UnfilledReason::TPlusOne => "t_plus_one",
            UnfilledReason::Cash => "cash",
        }
    }
}

/// An executed trade.
#[derive(Debug, Clone, PartialEq)]
pub struct Fill {
    pub date: Date,
    pub symbol: SymbolId,
    pub side: Side,
    /// Adjusted shares traded (positive).
    pub quantity: f64,
    /// Fill price, adjusted (value = quantity × adjusted price).
    pub adjusted_price: f64,
    /// Fill price as quoted (raw).
    pub price: f64,
    pub value: f64,
    /// Total cost (= costs.total()).
    pub cost: f64,
    pub costs: CostBreakdown,
    pub reason: TradeReason,
}

/// (Part of) an order that did not fill.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfilled {
    pub date: Date,
    pub symbol: SymbolId,
    pub side: Side,
    /// Adjusted shares not traded (NaN when unknown: a suspended target).
    pub quantity: f64,
    /// Raw price it would have traded at (NaN when suspended: no price).
    pub price: f64,
    /// Value not traded (at the fill price, or the last close when suspended; NaN when unknown).
    pub value: f64,
    pub reason: UnfilledReason,
    /// What the order was for.
    pub order: TradeReason,
}

/// A symbol that can trade now: fill prices and what the market rules allow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
    pub adjusted: f64,
    pub raw: f64,
    /// The fill price is at the up limit: no buy.
    pub buy_blocked: bool,
    /// The fill price is at the down limit: no sell.
    pub sell_blocked: bool,
    /// Most raw shares one order may trade (volume cap); infinite without a cap.
    pub max_raw_shares: f64,
    /// σ of daily returns and average daily value known before the fill (NaN unknown).
    pub sigma_daily: f64,
    pub adv_value: f64,
}

impl Quote {
    /// A quote with no rule binding and no liquidity statistics.
    pub fn new(adjusted: f64, raw: f64) -> Self {
        Quote {
            adjusted,
            raw,
            buy_blocked: false,
            sell_blocked: false,
            max_raw_shares: f64::INFINITY,
            sigma_daily: f64::NAN,
            adv_value: f64::NAN,
        }
    }
    fn intent(&self, date: Date, symbol: SymbolId, side: Side, value: f64) -> TradeIntent {
        TradeIntent {
            date,
            symbol,
            side,
            value,
            sigma_daily: self.sigma_daily,
            adv_value: self.adv_value,
        }
    }
    /// Raw shares per adjusted share.
    fn adj_factor(&self) -> f64 {
        self.adjusted / self.raw
    }
}

/// Outcome of one rebalance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RebalanceOutcome {
    /// Fills in symbol order.
    pub fills: Vec<Fill>,
    /// Unfilled orders and remainders.
    pub unfilled: Vec<Unfilled>,
    pub buys: f64,
    pub sells: f64,
    pub cost: f64,
    pub costs: CostBreakdown,
    /// Portfolio value before trading (tradable holdings at fill prices,
    /// others at their last close), the turnover denominator.
    pub pre_trade_value: f64,
    /// Targets that could not trade now (no bar): missed.
    pub missed: Vec<SymbolId>,
}

/// An order after the market rules: what trades and what does not.
struct Constrained {
    /// Adjusted shares that trade.
    quantity: f64,
    unfilled: Vec<(UnfilledReason, f64)>,
}

/// Applies the market rules to an order for `want` adjusted shares.
/// `held` and `locked` (bought today) matter for sells; `whole` = the order
/// sells the whole holding (an odd lot is then allowed).
fn constrain(
    side: Side,
    want: f64,
    held: f64,
    locked: f64,
    whole: bool,
    p: &Quote,
    rules: &MarketRules,
) -> Constrained {
    let mut out = Constrained {
        quantity: 0.0,
        unfilled: Vec::new(),
    };
    if want <= 0.0 {
        return out;
    }
    let blocked = match side {
        Side::Buy => p.buy_blocked.then_some(UnfilledReason::LimitUp),
        Side::Sell => p.sell_blocked.then_some(UnfilledReason::LimitDown),
    };
    if let Some(r) = blocked {
        out.unfilled.push((r, want));
        return out;
    }
    let mut qty = want;
    if side == Side::Sell && rules.t_plus_one && locked > 0.0 {
        let sellable = (held - locked).max(0.0);
        if qty > sellable {
            out.unfilled
                .push((UnfilledReason::TPlusOne, qty - sellable));
            qty = sellable;
        }
    }
    let f = p.adj_factor();
    let mut raw = qty * f;
    let mut whole = whole && side == Side::Sell && qty >= held * (1.0 - 1e-12);
    if raw > p.max_raw_shares {
        out.unfilled
            .push((UnfilledReason::VolumeCap, (raw - p.max_raw_shares) / f));
        raw = p.max_raw_shares;
        whole = false;
    }
    if rules.lot_size > 0 && !whole && raw > 0.0 {
        let lot = f64::from(rules.lot_size);
        let rounded = (raw / lot + 1e-9).floor() * lot;
        if rounded <= 0.0 {
            out.unfilled.push((UnfilledReason::Lot, raw / f));
        }
        raw = rounded;
    }
    out.quantity = if whole { qty } else { raw / f };
    out
}

/// A planned order: symbol, side, adjusted quantity, quote, whole-position sale.
struct Planned {
    symbol: SymbolId,
    side: Side,
    quantity: f64,
    /// Traded value: the sized value when no rule changed the order (so the
    /// frictionless path is exactly the sizing), else quantity × price.
    value: f64,
    quote: Quote,
    whole: bool,
}

/// Applies one fill to the portfolio and the outcome.
fn book(
    portfolio: &mut Portfolio,
    out: &mut RebalanceOutcome,
    order: &Planned,
    date: Date,
    costs: &dyn CostModel,
    reason: TradeReason,
) -> Fill {
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
    }
    if order.side == Side::Buy {
        portfolio.note_buy(s, date, qty);
    }
    portfolio.cash -= cost;
    out.cost += cost;
    out.costs.add(&cb);
    Fill {
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

fn unfilled_rows(
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
) -> (Option<Fill>, Vec<Unfilled>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date() -> Date {
        Date::from_ymd_opt(2024, 1, 2).unwrap()
    }
    fn q(p: f64) -> Option<Quote> {
        Some(Quote::new(p, p))
    }
    fn none() -> MarketRules {
        MarketRules::default()
    }

    #[test]
    fn test_rebalance_first_build_hand_case() {
        // 1,000,000 cash, two targets at 10 and 20, cost 40 bps.
        // W' = W − 0.004 W' → W' = 1e6 / 1.004; each gets W'/2.
        let mut p = Portfolio::new(1e6);
        let targets = vec![(SymbolId(0), 0.5), (SymbolId(1), 0.5)];
        let out = rebalance(
            &mut p,
            &targets,
            date(),
            |s| q(if s.0 == 0 { 10.0 } else { 20.0 }),
            |_| f64::NAN,
            &ProportionalCost { bps: 40.0 },
            &none(),
        );
        let invest = 1e6 / 1.004;
        assert!((out.buys - invest).abs() < 1e-6);
        assert!((out.cost - invest * 0.004).abs() < 1e-6);
        assert!((p.holdings[&SymbolId(0)] - invest / 2.0 / 10.0).abs() < 1e-9);
        assert!((p.holdings[&SymbolId(1)] - invest / 2.0 / 20.0).abs() < 1e-9);
        assert!(p.cash.abs() < 1e-6, "fully invested, cash {}", p.cash);
    }

    #[test]
    fn test_rebalance_untradable_holding_stays_and_target_is_missed() {
        // Hold 100 of s0 (suspended, last 5) and 100 of s1 at 10; target s0 and s2.
        let mut p = Portfolio::new(0.0);
        p.holdings.insert(SymbolId(0), 100.0);
        p.holdings.insert(SymbolId(1), 100.0);
        let targets = vec![(SymbolId(0), 0.5), (SymbolId(2), 0.5)];
        let out = rebalance(
            &mut p,
            &targets,
            date(),
            |s| if s.0 == 0 { None } else { q(10.0) },
            |_| 5.0,
            &ProportionalCost { bps: 0.0 },
            &none(),
        );
        assert_eq!(out.missed, vec![SymbolId(0)]);
        assert_eq!(p.holdings[&SymbolId(0)], 100.0);
        assert!(!p.holdings.contains_key(&SymbolId(1)));
        // W = 1,000 from selling s1, all of it into s2 (the only tradable target).
        assert!((p.holdings[&SymbolId(2)] - 100.0).abs() < 1e-9);
        assert!((out.pre_trade_value - 1500.0).abs() < 1e-9);
    }

    #[test]
    fn test_rebalance_refused_sell_scales_buys_to_the_cash() {
        // Hold 100 of s0 at 10 (sell blocked: limit-down), 1,000 cash; target s1 only at 10.
        // Sizing plans W' = 2,000 into s1 funded by the sale of s0, which is refused:
        // only the 1,000 of cash can be spent (no costs) → 100 shares of s1.
        let mut p = Portfolio::new(1000.0);
        p.holdings.insert(SymbolId(0), 100.0);
        let out = rebalance(
            &mut p,
            &vec![(SymbolId(1), 1.0)],
            date(),
            |s| {
                let mut x = Quote::new(10.0, 10.0);
                x.sell_blocked = s.0 == 0;
                Some(x)
            },
            |_| 10.0,
            &ProportionalCost { bps: 0.0 },
            &none(),
        );
        assert_eq!(p.holdings[&SymbolId(0)], 100.0);
        assert!((p.holdings[&SymbolId(1)] - 100.0).abs() < 1e-9);
        assert!(p.cash.abs() < 1e-6);
        let reasons: Vec<_> = out.unfilled.iter().map(|u| (u.symbol, u.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (SymbolId(0), UnfilledReason::LimitDown),
                (SymbolId(1), UnfilledReason::Cash)
            ]
        );
    }

    #[test]
    fn test_rebalance_lots_round_down_and_odd_lot_whole_sale() {
        // 10,000 cash, lots of 100, two targets at 30 and 7 → 5,000 each:
        // 166.67 → 100 shares (3,000), 714.29 → 700 shares (4,900); cash 2,100 stays.
        let rules = MarketRules {
            lot_size: 100,
            ..Default::default()
        };
        let mut p = Portfolio::new(10_000.0);
        p.holdings.insert(SymbolId(2), 37.0); // odd lot, sold whole at 1 → +37
        let out = rebalance(
            &mut p,
            &vec![(SymbolId(0), 0.5), (SymbolId(1), 0.5)],
            date(),
            |s| q([30.0, 7.0, 1.0][s.index()]),
            |_| f64::NAN,
            &ProportionalCost { bps: 0.0 },
            &rules,
        );
        // W = 10,037 → 5,018.5 each: 167.28 → 100 lots of s0; 716.9 → 700 of s1.
        assert_eq!(p.holdings[&SymbolId(0)], 100.0);
        assert!((p.holdings[&SymbolId(1)] - 700.0).abs() < 1e-9);
        assert!(!p.holdings.contains_key(&SymbolId(2)));
        assert!((p.cash - (10_037.0 - 3_000.0 - 4_900.0)).abs() < 1e-9);
        assert!(out.unfilled.is_empty());
    }

    proptest! {
        #[test]
        fn test_rebalance_conserves_value(
            cash in 0.0f64..1e7,
            held in proptest::collection::vec(0.0f64..1e5, 5),
            prices in proptest::collection::vec(1.0f64..100.0, 5),
            chosen in proptest::collection::vec(any::<bool>(), 5),
            bps in 0.0f64..100.0,
        ) {
            let mut p = Portfolio::new(cash);
            for (i, &h) in held.iter().enumerate() {
                if h > 0.0 { p.holdings.insert(SymbolId(i as u32), h); }
            }
            let targets: Vec<(SymbolId, f64)> = chosen.iter().enumerate().filter(|c| *c.1).map(|(i, _)| (SymbolId(i as u32), 1.0)).collect();
            let n = targets.len().max(1) as f64;
            let targets: Vec<(SymbolId, f64)> = targets.into_iter().map(|(s, _)| (s, 1.0 / n)).collect();
            let before = p.value(|s| prices[s.index()]);
            let out = rebalance(&mut p, &targets, date(), |s| q(prices[s.index()]), |s| prices[s.index()], &ProportionalCost { bps }, &none());
            let after = p.value(|s| prices[s.index()]);
            // cash + positions = value before − costs
            prop_assert!((after - (before - out.cost)).abs() <= 1e-7 * before.max(1.0));
            prop_assert!(out.cost >= 0.0);
            prop_assert!(p.cash >= -1e-7 * before.max(1.0));
            if !targets.is_empty() {
                prop_assert!(p.cash.abs() <= 1e-7 * before.max(1.0));
            }
        }

        #[test]
        fn test_rebalance_with_rules_conserves_value_and_never_borrows(
            cash in 0.0f64..1e6,
            held in proptest::collection::vec(0.0f64..1e4, 5),
            prices in proptest::collection::vec(1.0f64..100.0, 5),
            chosen in proptest::collection::vec(any::<bool>(), 5),
            buy_blocked in proptest::collection::vec(any::<bool>(), 5),
            sell_blocked in proptest::collection::vec(any::<bool>(), 5),
            cap in proptest::collection::vec(0.0f64..5e4, 5),
            lot in 0u32..3,
            min in 0.0f64..10.0,
        ) {
            let rules = MarketRules { price_limits: true, lot_size: lot * 100, t_plus_one: true, volume_cap: 0.25 };
            let costs = crate::costs::Commission { buy_bps: 3.0, sell_bps: 3.0, min };
            let mut p = Portfolio::new(cash);
            for (i, &h) in held.iter().enumerate() {
                if h > 0.0 { p.holdings.insert(SymbolId(i as u32), h); }
            }
            let targets: Vec<(SymbolId, f64)> = chosen.iter().enumerate().filter(|c| *c.1).map(|(i, _)| (SymbolId(i as u32), 1.0)).collect();
            let n = targets.len().max(1) as f64;
            let targets: Vec<(SymbolId, f64)> = targets.into_iter().map(|(s, _)| (s, 1.0 / n)).collect();
            let quote = |s: SymbolId| {
                let i = s.index();
                let mut x = Quote::new(prices[i], prices[i]);
                x.buy_blocked = buy_blocked[i];
                x.sell_blocked = sell_blocked[i];
                x.max_raw_shares = cap[i];
                Some(x)
            };
            let before = p.value(|s| prices[s.index()]);
            let out = rebalance(&mut p, &targets, date(), quote, |s| prices[s.index()], &costs, &rules);
            let after = p.value(|s| prices[s.index()]);
            // cash + positions = value before − costs, and the book never borrows.
            prop_assert!((after - (before - out.cost)).abs() <= 1e-7 * before.max(1.0));
            prop_assert!(p.cash >= -1e-7 * before.max(1.0), "cash {}", p.cash);
            prop_assert!(out.cost >= 0.0);
            for f in &out.fills {
                let i = f.symbol.index();
                prop_assert!(!(f.side == Side::Buy && buy_blocked[i]));
                prop_assert!(!(f.side == Side::Sell && sell_blocked[i]));
                prop_assert!(f.quantity <= cap[i] * (1.0 + 1e-12) + 1e-9);
            }
        }
    }
}
