//! Market-rule and cost scenarios (fixtures/scenarios/<case>/: a tiny bundle
//! and its spec), one snapshot each of trades.csv and nav.csv, plus checks
//! against hand-computed values and the no-look-ahead test of the limit rule.

use crate::common::{assert_close, root, run};
use alphasim::execution::UnfilledReason;
use alphasim::report::RunResult;
use alphasim::spec::Spec;
use std::path::Path;

fn scenario(case: &str) -> Spec {
    std::env::set_current_dir(root()).unwrap();
    Spec::from_file(&Path::new("fixtures/scenarios").join(case).join("spec.toml")).unwrap()
}

fn text(r: &RunResult) -> String {
    format!("trades.csv\n{}\nnav.csv\n{}", r.trades_csv(), r.nav_csv())
}

#[test]
fn test_scenarios_snapshots() {
    std::env::set_current_dir(root()).unwrap();
    insta::glob!("../fixtures/scenarios", "*/spec.toml", |path| {
        let spec = Spec::from_file(path).unwrap();
        let r = run(&spec);
        insta::assert_snapshot!(text(&r));
    });
}

fn unfilled(r: &RunResult) -> Vec<(String, &'static str)> {
    r.records
        .unfilled
        .iter()
        .map(|u| (r.symbol_names[u.symbol.index()].clone(), u.reason.as_str()))
        .collect()
}

fn holding(r: &RunResult, name: &str, date: &str) -> f64 {
    r.records
        .positions
        .iter()
        .find(|p| r.symbol_names[p.symbol.index()] == name && p.date.to_string() == date)
        .map_or(0.0, |p| p.raw_shares)
}

#[test]
fn test_scenario_limit_up_buy_refused_cash_stays() {
    let r = run(&scenario("limit_up_buy_refused"));
    assert_eq!(unfilled(&r), vec![("SH600000".to_owned(), "limit_up")]);
    // W' = 1e6, k = 2: SH600001 gets 500,000 at 10.2; the other half stays as cash.
    assert_close(
        holding(&r, "SH600001", "2023-02-01"),
        500_000.0 / 10.2,
        1e-6,
    );
    assert_close(r.records.daily[1].cash, 500_000.0, 1e-6);
    assert_eq!(r.report.metrics.trading.unfilled["limit_up"], 1);
}

#[test]
fn test_scenario_limit_down_sell_refused() {
    let r = run(&scenario("limit_down_sell_refused"));
    assert_eq!(
        unfilled(&r),
        vec![
            ("SH600000".to_owned(), "limit_down"),
            ("SH600001".to_owned(), "cash")
        ]
    );
    assert_close(holding(&r, "SH600000", "2023-03-01"), 100_000.0, 1e-6);
    assert_eq!(holding(&r, "SH600001", "2023-03-01"), 0.0);
}

#[test]
fn test_scenario_open_at_limit_is_refused_close_at_limit_fills() {
    let r = run(&scenario("open_at_limit_then_trades"));
    assert_eq!(unfilled(&r), vec![("SH600000".to_owned(), "limit_up")]);
    let f = &r.records.fills[0];
    assert_eq!(r.symbol_names[f.symbol.index()], "SH600002");
    assert_eq!(f.price, 10.5);
}

#[test]
fn test_scenario_t_plus_one_blocks_same_day_sale() {
    let r = run(&scenario("t_plus_one"));
    assert_eq!(unfilled(&r), vec![("SH600000".to_owned(), "t_plus_one")]);
    // Still held on the last day, valued at its last close 10.5.
    assert_close(holding(&r, "SH600000", "2023-02-02"), 100_000.0, 1e-6);
    assert_close(r.records.daily.last().unwrap().nav, 1_050_000.0, 1e-6);
    // Without T+1 the delisting sale goes through.
    let mut s = scenario("t_plus_one");
    s.config.execution.t_plus_one = Some(false);
    let r = run(&s);
    assert!(r.records.unfilled.is_empty());
    assert_close(r.records.daily.last().unwrap().cash, 1_050_000.0, 1e-6);
}

#[test]
fn test_scenario_lots_hand_values() {
    let r = run(&scenario("lots"));
    // 33,333.33 each: floor(1000.1 / 100) lots = 1000 shares; floor(4290.0 / 100) = 4200; 83 < 100.
    assert_close(holding(&r, "SH600000", "2023-02-01"), 1000.0, 1e-9);
    assert_close(holding(&r, "SH600001", "2023-02-01"), 4200.0, 1e-9);
    assert_close(
        r.records.daily[1].cash,
        100_000.0 - 1000.0 * 33.33 - 4200.0 * 7.77,
        1e-6,
    );
    assert!(unfilled(&r).contains(&("SH600002".to_owned(), "lot")));
    // The whole holding (1,012.3 raw shares after the adj_factor change) is sold as an odd lot.
    let sale = r
        .records
        .fills
        .iter()
        .find(|f| {
            r.symbol_names[f.symbol.index()] == "SH600000" && f.date.to_string() == "2023-03-01"
        })
        .expect("SH600000 sold");
    assert_close(sale.value / sale.price, 1012.3, 1e-6);
    // Every other fill is a whole number of lots.
    for f in &r.records.fills {
        let raw = f.value / f.price;
        if f.reason == alphasim::execution::TradeReason::Rebalance && f.symbol != sale.symbol {
            assert_close((raw / 100.0).round() * 100.0, raw, 1e-6);
        }
    }
}

#[test]
fn test_scenario_volume_cap_drops_the_remainder() {
    let r = run(&scenario("volume_cap"));
    assert_close(holding(&r, "SH600000", "2023-02-01"), 250.0, 1e-9);
    let u = &r.records.unfilled[0];
    assert_eq!(u.reason, UnfilledReason::VolumeCap);
    assert_close(u.quantity, 100_000.0 - 250.0, 1e-6);
    assert_close(r.records.daily[1].cash, 1e6 - 2_500.0, 1e-6);
}

#[test]
fn test_scenario_min_commission_binds() {
    let r = run(&scenario("min_commission"));
    assert_eq!(r.records.fills.len(), 2);
    for f in &r.records.fills {
        assert_eq!(f.costs.commission, 5.0);
        assert_close(f.value, (30_000.0 - 10.0) / 2.0, 1e-6);
    }
}

#[test]
fn test_scenario_stamp_duty_switches_on_2023_08_28() {
    let r = run(&scenario("stamp_duty_switch"));
    let sells: Vec<_> = r
        .records
        .fills
        .iter()
        .filter(|f| f.side == alphasim::costs::Side::Sell)
        .collect();
    assert_eq!(sells.len(), 3);
    for f in &sells {
        let bps = if f.date.to_string().as_str() < "2023-08-28" {
            10.0
        } else {
            5.0
        };
        assert_close(f.costs.stamp_duty, f.value * bps * 1e-4, 1e-9);
    }
    assert!(r
        .records
        .fills
        .iter()
        .filter(|f| f.side == alphasim::costs::Side::Buy)
        .all(|f| f.costs.stamp_duty == 0.0));
}

/// σ (sample std of the 20 daily close-to-close returns up to the day before
/// the fill) and ADV (mean close × volume of the same 20 days), read straight from bars.csv.
fn naive_sigma_adv(case: &str, symbol: &str, fill: &str) -> (f64, f64) {
    let text = std::fs::read_to_string(
        root()
            .join("fixtures/scenarios")
            .join(case)
            .join("bars.csv"),
    )
    .unwrap();
    let rows: Vec<(String, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[1] == symbol && c[0] < fill)
        .map(|c| {
            (
                c[0].to_owned(),
                c[5].parse().unwrap(),
                c[6].parse().unwrap(),
            )
        })
        .collect();
    let closes: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let rets: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let rets = &rets[rets.len() - 20..];
    let mean = rets.iter().sum::<f64>() / 20.0;
    let sigma = (rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 19.0).sqrt();
    let values: Vec<f64> = rows.iter().map(|r| r.1 * r.2).collect();
    let adv = values[values.len() - 20..].iter().sum::<f64>() / 20.0;
    (sigma, adv)
}

#[test]
fn test_scenario_impact_matches_the_formula_and_grows_with_sqrt_size() {
    let r = run(&scenario("impact_sqrt"));
    let mut per_unit = Vec::new();
    for f in &r.records.fills {
        let name = &r.symbol_names[f.symbol.index()];
        let (sigma, adv) = naive_sigma_adv("impact_sqrt", name, "2023-02-01");
        assert_close(
            f.costs.impact,
            sigma * (f.value / adv).sqrt() * f.value,
            1e-6,
        );
        per_unit.push(f.costs.impact / f.value);
    }
    // Same σ, 4× the ADV: half the impact per unit.
    assert_close(per_unit[0] / per_unit[1], 2.0, 1e-9);
    // 4× the capital: 4× the order, 2× the impact per unit (√4).
    let mut s = scenario("impact_sqrt");
    s.config.initial_capital *= 4.0;
    let big = run(&s);
    for (f, g) in big.records.fills.iter().zip(&r.records.fills) {
        let size_ratio = f.value / g.value;
        assert!(size_ratio > 3.9, "orders grow about 4x: {size_ratio}");
        let expected = size_ratio.sqrt();
        assert_close(
            (f.costs.impact / f.value) / (g.costs.impact / g.value),
            expected,
            1e-9,
        );
    }
}

/// The cn limit rule at the open never looks at the fill day's close:
/// perturbing every close of the fill day (to the up limit, to the down limit)
/// changes no trade.
#[test]
fn test_limit_rule_ignores_the_fill_day_close() {
    let base = scenario("limit_up_buy_refused");
    let mut spec = base.clone();
    spec.config.execution.market = alphasim::spec::MarketPreset::Cn;
    spec.config.execution.lot_size = Some(0);
    let a = run(&spec);
    for new_close in ["11.00", "9.00", "10.01"] {
        let dir =
            crate::common::copy_bundle(&root().join("fixtures/scenarios/limit_up_buy_refused"));
        let p = dir.path().join("bars.csv");
        let text = std::fs::read_to_string(&p).unwrap();
        let perturbed: String = text
            .lines()
            .map(|l| {
                let mut c: Vec<String> = l.split(',').map(str::to_owned).collect();
                if c[0] == "2023-02-01" {
                    c[5] = new_close.to_owned();
                    let (o, cl): (f64, f64) = (c[2].parse().unwrap(), c[5].parse().unwrap());
                    c[3] = o.max(cl).to_string();
                    c[4] = o.min(cl).to_string();
                }
                c.join(",") + "\n"
            })
            .collect();
        std::fs::write(&p, perturbed).unwrap();
        let s = spec.clone().with_data_dir(dir.path().to_path_buf());
        let b = run(&s);
        assert_eq!(a.records.fills, b.records.fills, "close {new_close}");
        assert_eq!(a.records.unfilled, b.records.unfilled, "close {new_close}");
    }
}

/// The cn preset on the bundled fixture: accounting holds with every rule and fee on.
#[test]
fn test_cn_preset_fixture_run_accounting() {
    let mut s = crate::common::spec("strategies/default.toml");
    s.config.execution.market = alphasim::spec::MarketPreset::Cn;
    s.config.costs.commission_bps = None;
    s.config.costs.slippage_bps = Some(5.0);
    s.config.costs.impact_k = Some(0.1);
    let r = run(&s);
    let b = &r.report.metrics.trading.cost_breakdown;
    assert!(
        b.commission > 0.0
            && b.stamp_duty > 0.0
            && b.transfer_fee > 0.0
            && b.slippage > 0.0
            && b.impact > 0.0
    );
    assert_close(
        b.values().iter().sum::<f64>(),
        r.report.metrics.trading.cost_total,
        1e-6,
    );
    for d in &r.records.daily {
        assert!(
            d.cash >= -1e-6,
            "cash never negative: {} on {}",
            d.cash,
            d.date
        );
        assert_close(d.costs.total(), d.cost, 1e-9);
    }
    // Every buy is a whole number of lots.
    for f in r
        .records
        .fills
        .iter()
        .filter(|f| f.side == alphasim::costs::Side::Buy)
    {
        let raw = f.value / f.price;
        assert_close((raw / 100.0).round() * 100.0, raw, 1e-6);
    }
}
