//! The market rules applied to one sized order: what trades and what is
//! left unfilled, with the reason (see [`crate::market_rules`]).

use super::{Quote, UnfilledReason};
use crate::costs::Side;
use crate::market_rules::MarketRules;

/// An order after the market rules: what trades and what does not.
pub(super) struct Constrained {
    /// Adjusted shares that trade.
    pub(super) quantity: f64,
    pub(super) unfilled: Vec<(UnfilledReason, f64)>,
}

/// Applies the market rules to an order for `want` adjusted shares.
/// `held` and `locked` (bought today) matter for sells; `whole` = the order
/// sells the whole holding (an odd lot is then allowed).
pub(super) fn constrain(
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
