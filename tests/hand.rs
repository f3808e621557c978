//! An end-to-end run small enough to compute by hand (fixtures/hand):
//! three stocks, one signal day (2024-01-31), scores AAA 1 < BBB 2 < CCC 3,
//! top fraction 0.34 → k = floor(0.34 × 3) = 1 → CCC, filled at the open of
//! 2024-02-01 (10). No constituents or benchmark files: the universe is every
//! traded stock and the benchmark their equal-weighted return.

use crate::common::{assert_close, root, run, spec_text};

fn hand_spec(commission_bps: f64, fill: &str) -> alphasim::spec::Spec {
    let text = format!(
        r#"
        data = "fixtures/hand"
        ic_horizon = 2
        initial_capital = 1000000.0
        [model]
        kind = "factor"
        name = "f0"
        [portfolio]
        top_fraction = 0.34
        [execution]
        fill = "{fill}"
        [costs]
        commission_bps = {commission_bps}
        "#
    );
    spec_text(&text, &root())
}

#[test]
fn test_hand_nav_without_costs() {
    let r = run(&hand_spec(0.0, "next_open"));
    let navs: Vec<(String, f64)> = r
        .records
        .daily
        .iter()
        .map(|d| (d.date.to_string(), d.nav))
        .collect();
    // 1e6 buys 100,000 CCC at 10; closes 11, 12, 9.
    let expected = [
        ("2024-01-31", 1e6),
        ("2024-02-01", 1.1e6),
        ("2024-02-02", 1.2e6),
        ("2024-02-05", 0.9e6),
    ];
    assert_eq!(navs.len(), expected.len());
    for ((d, nav), (ed, en)) in navs.iter().zip(expected) {
        assert_eq!(d, ed);
        assert_close(*nav, en, 1e-6);
    }
    let f = &r.records.fills;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].date.to_string(), "2024-02-01");
    assert_close(f[0].price, 10.0, 0.0);
    assert_close(f[0].quantity, 100_000.0, 1e-9);
    // Benchmark: equal-weighted daily returns of the three stocks.
    let b = [
        (0.0 + 20.0 / 18.0 - 1.0 + 11.0 / 8.0 - 1.0) / 3.0,
        (12.0 / 11.0 - 1.0 + 0.0 + 12.0 / 11.0 - 1.0) / 3.0,
        (0.0 + 21.0 / 20.0 - 1.0 + 9.0 / 12.0 - 1.0) / 3.0,
    ];
    let mut level = 1e6;
    for (i, ret) in b.iter().enumerate() {
        level *= 1.0 + ret;
        assert_close(r.records.daily[i + 1].benchmark, level, 1e-6);
    }
    // Metrics from the hand NAV: returns 0.1, 1.2/1.1 − 1, 0.75 − 1.
    let rets = [0.1, 1.2 / 1.1 - 1.0, 0.75 - 1.0];
    let excess: Vec<f64> = rets.iter().zip(&b).map(|(r, b)| r - b).collect();
    let mean_e = excess.iter().sum::<f64>() / 3.0;
    assert_close(r.report.metrics.excess.alpha, mean_e * 252.0, 1e-9);
    assert_close(r.report.metrics.portfolio.total_return, -0.1, 1e-12);
    assert_close(
        r.report.metrics.portfolio.annual_return,
        0.9f64.powf(252.0 / 3.0) - 1.0,
        1e-12,
    );
    // Drawdown: peak 1.2e6 then 0.9e6 → 0.9/1.2 − 1 = −0.25.
    assert_close(r.report.metrics.portfolio.max_drawdown, -0.25, 1e-12);
}

#[test]
fn test_hand_costs_come_out_of_cash_fully_invested() {
    let r = run(&hand_spec(40.0, "next_open"));
    // W' = W − 0.004 W' → W' = 1e6 / 1.004, all of it in CCC at 10.
    let invested = 1e6 / 1.004;
    let f = &r.records.fills[0];
    assert_close(f.value, invested, 1e-6);
    assert_close(f.cost, invested * 0.004, 1e-6);
    assert_close(r.records.daily[1].nav, invested / 10.0 * 11.0, 1e-6);
    assert_close(r.records.daily[1].cash, 0.0, 1e-6);
    assert_close(r.records.daily[1].cost, 1e6 - invested, 1e-6);
    // Turnover of the first build: (buys + sells) / (2 × 1e6).
    assert_close(r.records.rebalances[0].turnover, invested / 2e6, 1e-12);
}

#[test]
fn test_hand_fill_at_close_uses_the_decision_close() {
    let r = run(&hand_spec(0.0, "close"));
    let f = &r.records.fills[0];
    assert_eq!(f.date.to_string(), "2024-01-31");
    assert_close(f.price, 8.0, 0.0);
    // 125,000 CCC from 2024-01-31's close of 8: NAV 1.375e6 at 11.
    assert_close(r.records.daily[1].nav, 125_000.0 * 11.0, 1e-6);
}

#[test]
fn test_hand_ic_and_rank_ic() {
    let r = run(&hand_spec(0.0, "next_open"));
    assert_eq!(r.records.ic.len(), 1);
    let ic = &r.records.ic[0];
    // Forward returns over 2 days from 2024-01-31: AAA 12/11 − 1, BBB 20/18 − 1, CCC 12/8 − 1.
    let x = [1.0, 2.0, 3.0];
    let y = [12.0 / 11.0 - 1.0, 20.0 / 18.0 - 1.0, 0.5];
    let (mx, my) = (2.0, y.iter().sum::<f64>() / 3.0);
    let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    assert_close(ic.ic, cov / (vx * vy).sqrt(), 1e-12);
    assert_close(ic.rank_ic, 1.0, 1e-12);
}

#[test]
fn test_hand_file_model_scores_from_an_outside_csv() {
    // fixtures/hand_scores/scores.csv ranks AAA first (ZZZ is not in the bundle: ignored).
    let text = r#"
        data = "fixtures/hand"
        initial_capital = 1000000.0
        [model]
        kind = "file"
        path = "fixtures/hand_scores/scores.csv"
        [portfolio]
        top_fraction = 0.34
        [costs]
        commission_bps = 0.0
    "#;
    let r = run(&spec_text(text, &root()));
    let f = &r.records.fills;
    assert_eq!(f.len(), 1);
    assert_eq!(r.symbol_names[f[0].symbol.index()], "AAA");
    // 1e6 at AAA's open of 11 on 2024-02-01; closes 11, 12, 12.
    let expected = [1e6, 1e6, 1e6 * 12.0 / 11.0, 1e6 * 12.0 / 11.0];
    for (d, e) in r.records.daily.iter().zip(expected) {
        assert_close(d.nav, e, 1e-6);
    }
}
