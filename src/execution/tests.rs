//! Tests of rebalancing: hand cases and value-conservation properties.

use super::*;
use crate::costs::ProportionalCost;
use crate::market_rules::MarketRules;
use crate::portfolio::Portfolio;
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
