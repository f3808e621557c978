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

/// Two rebalances by hand (fixtures/hand2): four stocks, k = floor(0.5 × 4) = 2,
/// commission 10 bps on both sides and stamp duty 10 bps on sells.
///
/// - 2024-01-31 scores AAA 4 > DDD 3 > BBB 2 > CCC 1 → AAA, DDD, filled at the
///   2024-02-01 opens (10, 50). W = 1e6, W' = W − 0.001 W' → W1 = 1e6/1.001;
///   each gets W1/2: q_A = W1/20, q_D = W1/100.
/// - 2024-02-29 scores CCC 4 > BBB 3 > AAA 2 > DDD 1 → CCC, BBB. On the fill
///   day 2024-03-01 DDD has no bar (suspended): its sale is refused and it
///   stays held at its last close 60. The tradable wealth is AAA at the open
///   12: W = 12 q_A = 0.6 W1. AAA is sold whole (commission + stamp duty,
///   0.002 W) and W2 goes half each to BBB (open 19) and CCC (open 8), paying
///   0.001 W2: W2 = W − 0.002 W − 0.001 W2 → W2 = 0.998 W / 1.001.
#[test]
fn test_hand_second_rebalance_sells_costs_and_a_suspension() {
    let text = r#"
        data = "fixtures/hand2"
        ic_horizon = 1
        initial_capital = 1000000.0
        [model]
        kind = "factor"
        name = "f0"
        [portfolio]
        top_fraction = 0.5
        [costs]
        commission_bps = 10.0
        stamp_duty = [{ from = "2000-01-01", bps = 10.0 }]
    "#;
    let r = run(&spec_text(text, &root()));
    let w1 = 1e6 / 1.001;
    let (q_a, q_d) = (w1 / 20.0, w1 / 100.0);
    let w = 12.0 * q_a;
    let w2 = 0.998 * w / 1.001;
    let (q_b, q_c) = (w2 / 2.0 / 19.0, w2 / 2.0 / 8.0);
    let name = |s: alphasim::data::SymbolId| r.symbol_names[s.index()].as_str();

    // Fills: (date, symbol, side, quantity, price, cost).
    let mut fills: Vec<(String, &str, &str, f64, f64, f64)> = r
        .records
        .fills
        .iter()
        .map(|f| {
            (
                f.date.to_string(),
                name(f.symbol),
                f.side.as_str(),
                f.quantity,
                f.price,
                f.cost,
            )
        })
        .collect();
    fills.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let expected = [
        ("2024-02-01", "AAA", "buy", q_a, 10.0, 0.001 * w1 / 2.0),
        ("2024-02-01", "DDD", "buy", q_d, 50.0, 0.001 * w1 / 2.0),
        ("2024-03-01", "AAA", "sell", q_a, 12.0, 0.002 * w),
        ("2024-03-01", "BBB", "buy", q_b, 19.0, 0.001 * w2 / 2.0),
        ("2024-03-01", "CCC", "buy", q_c, 8.0, 0.001 * w2 / 2.0),
    ];
    assert_eq!(fills.len(), expected.len(), "{fills:?}");
    for (f, e) in fills.iter().zip(expected) {
        assert_eq!((f.0.as_str(), f.1, f.2), (e.0, e.1, e.2), "{f:?}");
        assert_close(f.3, e.3, 1e-6);
        assert_close(f.4, e.4, 0.0);
        assert_close(f.5, e.5, 1e-6);
    }
    // The refused sale of DDD, and DDD still held at its last close.
    let unfilled: Vec<(String, &str, &str)> = r
        .records
        .unfilled
        .iter()
        .map(|u| (u.date.to_string(), name(u.symbol), u.reason.as_str()))
        .collect();
    assert_eq!(
        unfilled,
        vec![("2024-03-01".to_owned(), "DDD", "suspended")]
    );
    let held: Vec<(String, &str, f64, f64)> = r
        .records
        .positions
        .iter()
        .filter(|p| p.date.to_string() == "2024-03-01")
        .map(|p| (p.date.to_string(), name(p.symbol), p.quantity, p.value))
        .collect();
    assert_eq!(held.len(), 3, "{held:?}");
    let ddd = held.iter().find(|p| p.1 == "DDD").unwrap();
    assert_close(ddd.2, q_d, 1e-6);
    assert_close(ddd.3, q_d * 60.0, 1e-6);

    // NAV, cash and the day's cost at every close.
    //   01-30, 01-31: 1e6 (the window starts at the first signal day 01-31).
    //   02-01: 11 q_A + 55 q_D = 0.55 W1 + 0.55 W1 = 1.1 W1
    //   02-29: 12 q_A + 60 q_D = 1.2 W1
    //   03-01: 19 q_B + 9 q_C + 60 q_D = W2/2 + (9/8) W2/2 + 0.6 W1
    //   03-04: 19 q_B + 10 q_C + 66 q_D = W2/2 + (10/8) W2/2 + 0.66 W1
    let expected = [
        ("2024-01-31", 1e6, 1e6, 0.0),
        ("2024-02-01", 1.1 * w1, 0.0, 1e6 - w1),
        ("2024-02-29", 1.2 * w1, 0.0, 0.0),
        (
            "2024-03-01",
            w2 / 2.0 * (1.0 + 9.0 / 8.0) + 0.6 * w1,
            0.0,
            w - w2,
        ),
        (
            "2024-03-04",
            w2 / 2.0 * (1.0 + 10.0 / 8.0) + 0.66 * w1,
            0.0,
            0.0,
        ),
    ];
    let daily: Vec<_> = r
        .records
        .daily
        .iter()
        .filter(|d| d.date.to_string().as_str() >= "2024-01-31")
        .collect();
    assert_eq!(daily.len(), expected.len());
    for (d, (date, nav, cash, cost)) in daily.iter().zip(expected) {
        assert_eq!(d.date.to_string(), date);
        assert_close(d.nav, nav, 1e-6);
        assert_close(d.cash, cash, 1e-6);
        assert_close(d.cost, cost, 1e-6);
    }
    // Costs by component: commission on every fill, stamp duty on the one sale.
    let b = &r.report.metrics.trading.cost_breakdown;
    assert_close(b.stamp_duty, 0.001 * w, 1e-6);
    assert_close(b.commission, 0.001 * (w1 + w + w2), 1e-6);
    assert_close(r.report.metrics.trading.cost_total, 1e6 - w1 + w - w2, 1e-6);
    // Turnover of the second rebalance: (buys W2 + sells W) / (2 × pre-trade
    // value), the pre-trade value counting DDD at its last close: 1.2 W1.
    let reb = &r.records.rebalances;
    assert_eq!(reb.len(), 2);
    assert_close(reb[1].turnover, (w2 + w) / (2.0 * 1.2 * w1), 1e-12);
    // Total return from t0 = 01-31.
    assert_close(
        r.report.metrics.portfolio.total_return,
        (w2 / 2.0 * 2.25 + 0.66 * w1) / 1e6 - 1.0,
        1e-12,
    );
}
