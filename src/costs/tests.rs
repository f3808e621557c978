//! Tests of the cost components, the stack and the settings' preset defaults.

use super::*;
use crate::data::{Date, SymbolId};
use crate::spec::{CostsConfig, MarketPreset, RateStep};
use proptest::prelude::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn full() -> CostSettings {
    CostSettings {
        commission_buy_bps: 2.5,
        commission_sell_bps: 3.0,
        min_commission: 5.0,
        stamp_duty: vec![
            RateStep {
                from: d("2008-09-19"),
                bps: 10.0,
            },
            RateStep {
                from: d("2023-08-28"),
                bps: 5.0,
            },
        ],
        transfer_fee: vec![RateStep {
            from: d("2015-08-01"),
            bps: 0.2,
        }],
        slippage_bps: 7.0,
        impact_k: 0.5,
        impact_window: 20,
    }
}

#[test]
fn test_cost_stack_breakdown_hand_case() {
    // A 1,000,000 sell on 2023-08-25 with σ = 2%, ADV = 4e7:
    // commission 300, stamp duty 1000, transfer 20, slippage 700,
    // impact 0.5 × 0.02 × √(0.025) × 1e6 = 1581.1388...
    let m = full().build();
    let mut t = TradeIntent::new(d("2023-08-25"), SymbolId(0), Side::Sell, 1e6);
    t.sigma_daily = 0.02;
    t.adv_value = 4e7;
    let b = m.breakdown(&t);
    let expected = [
        300.0,
        1000.0,
        20.0,
        700.0,
        0.5 * 0.02 * 0.025f64.sqrt() * 1e6,
    ];
    for (x, e) in b.values().iter().zip(expected) {
        assert!((x - e).abs() < 1e-9, "{b:?}");
    }
    // The next trading day the duty halves; a buy pays none.
    t.date = d("2023-08-28");
    assert!((m.breakdown(&t).stamp_duty - 500.0).abs() < 1e-9);
    t.side = Side::Buy;
    assert_eq!(m.breakdown(&t).stamp_duty, 0.0);
}

#[test]
fn test_cost_default_commission_only_describes_as_before() {
    let s = CostSettings {
        commission_buy_bps: 40.0,
        commission_sell_bps: 40.0,
        min_commission: 0.0,
        stamp_duty: vec![],
        transfer_fee: vec![],
        slippage_bps: 0.0,
        impact_k: 0.0,
        impact_window: 20,
    };
    assert_eq!(
        s.build().describe(),
        "proportional commission 40 bps on buys and sells"
    );
}

proptest! {
    #[test]
    fn test_cost_nonnegative_and_nondecreasing_in_value(
        v1 in 0.0f64..1e8, dv in 0.0f64..1e8, sell in any::<bool>(),
        sigma in 0.0f64..0.1, adv in 1.0f64..1e9, day in 0i64..6000,
    ) {
        let m = full().build();
        let date = d("2010-01-01") + chrono::Days::new(day as u64);
        let side = if sell { Side::Sell } else { Side::Buy };
        let mk = |v: f64| TradeIntent { date, symbol: SymbolId(1), side, value: v, sigma_daily: sigma, adv_value: adv };
        let (a, b) = (m.breakdown(&mk(v1)), m.breakdown(&mk(v1 + dv)));
        for (x, y) in a.values().iter().zip(b.values()) {
            prop_assert!(*x >= 0.0);
            prop_assert!(y >= *x - 1e-9 * x.abs().max(1.0), "{a:?} {b:?}");
        }
    }
}

#[test]
fn test_cost_settings_from_config_preset_defaults_and_overrides() {
    let none = CostSettings::from_config(&CostsConfig::default(), MarketPreset::None);
    assert_eq!(
        none,
        CostSettings {
            commission_buy_bps: 40.0,
            commission_sell_bps: 40.0,
            min_commission: 0.0,
            stamp_duty: vec![],
            transfer_fee: vec![],
            slippage_bps: 0.0,
            impact_k: 0.0,
            impact_window: 20,
        }
    );
    let cn = CostSettings::from_config(&CostsConfig::default(), MarketPreset::Cn);
    let step = |from: &str, bps: f64| RateStep { from: d(from), bps };
    assert_eq!(
        cn,
        CostSettings {
            commission_buy_bps: 2.5,
            commission_sell_bps: 2.5,
            min_commission: 5.0,
            stamp_duty: vec![step("2008-09-19", 10.0), step("2023-08-28", 5.0)],
            transfer_fee: vec![step("2015-08-01", 0.2), step("2022-04-29", 0.1)],
            slippage_bps: 0.0,
            impact_k: 0.0,
            impact_window: 20,
        }
    );
    // A side-specific rate overrides the base; unset values keep the preset's.
    let c = CostsConfig {
        commission_bps: Some(3.0),
        commission_sell_bps: Some(4.0),
        stamp_duty: Some(vec![]),
        impact_k: Some(0.5),
        ..Default::default()
    };
    let s = CostSettings::from_config(&c, MarketPreset::Cn);
    assert_eq!((s.commission_buy_bps, s.commission_sell_bps), (3.0, 4.0));
    assert_eq!((s.min_commission, s.stamp_duty.len()), (5.0, 0));
    assert!(s.needs_liquidity());
}
