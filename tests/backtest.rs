//! The bundled fixture run: snapshots, determinism, benchmark fallback,
//! delistings, accounting.

use crate::common::{assert_close, copy_bundle, root, run, spec, spec_text};

#[test]
fn test_backtest_fixture_snapshots_with_costs() {
    let r = run(&spec("strategies/ew_tiny.toml"));
    insta::assert_snapshot!("fixture_summary_with_costs", r.report.summary());
    insta::assert_snapshot!(
        "fixture_report_json_with_costs",
        r.report.to_json_rounded(6)
    );
}

#[test]
fn test_backtest_fixture_snapshots_without_costs() {
    let mut s = spec("strategies/ew_tiny.toml");
    s.config.costs.commission_bps = Some(0.0);
    s.config.name = Some("default-no-costs".into());
    let r = run(&s);
    assert_eq!(r.report.metrics.trading.cost_total, 0.0);
    insta::assert_snapshot!("fixture_summary_without_costs", r.report.summary());
    insta::assert_snapshot!(
        "fixture_report_json_without_costs",
        r.report.to_json_rounded(6)
    );
}

#[test]
fn test_backtest_costs_lower_the_nav_and_nothing_else_moves_the_selection() {
    let with = run(&spec("strategies/ew_tiny.toml"));
    let mut s = spec("strategies/ew_tiny.toml");
    s.config.costs.commission_bps = Some(0.0);
    let without = run(&s);
    let (a, b) = (
        with.records.daily.last().unwrap().nav,
        without.records.daily.last().unwrap().nav,
    );
    assert!(a < b, "costs must cost something: {a} vs {b}");
    // Same signals either way: the IC series does not depend on costs.
    assert_eq!(with.ic_csv(), without.ic_csv());
}

#[test]
fn test_backtest_two_runs_write_identical_folders() {
    let s = spec("strategies/ew_tiny.toml");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(&s).write(&a.path().join("run")).unwrap();
    run(&s).write(&b.path().join("run")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(a.path().join("run"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let expected = [
        "ic.csv",
        "nav.csv",
        "positions.csv",
        "report.html",
        "report.json",
        "scores.csv",
        "summary.txt",
        "trades.csv",
    ];
    assert_eq!(names, expected.map(std::ffi::OsString::from));
    for n in names {
        let x = std::fs::read(a.path().join("run").join(&n)).unwrap();
        let y = std::fs::read(b.path().join("run").join(&n)).unwrap();
        assert!(x == y, "{n:?} differs between two runs");
    }
}

#[test]
fn test_backtest_nav_is_cash_plus_positions_every_day() {
    let r = run(&spec("strategies/ew_tiny.toml"));
    for d in &r.records.daily {
        let held: f64 = r
            .records
            .positions
            .iter()
            .filter(|p| p.date == d.date)
            .map(|p| p.value)
            .sum();
        assert_close(d.cash + held, d.nav, 1e-6 * d.nav);
        assert!(
            d.cash >= -1e-6 * d.nav,
            "never borrows: cash {} on {}",
            d.cash,
            d.date
        );
    }
}

#[test]
fn test_backtest_equal_weight_fallback_matches_the_generated_benchmark() {
    // The generator's benchmark level is the equal-weighted member return (its docs);
    // without benchmark.csv the engine computes the same thing itself.
    let with = run(&spec("strategies/ew_tiny.toml"));
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    std::fs::remove_file(dir.path().join("benchmark.csv")).unwrap();
    let text = std::fs::read_to_string(root().join("strategies/ew_tiny.toml"))
        .unwrap()
        .replace("../fixtures/tiny", ".");
    let without = run(&spec_text(&text, dir.path()));
    assert!(without
        .report
        .warnings
        .iter()
        .any(|w| w.contains("equal-weighted")));
    for (a, b) in with.records.daily.iter().zip(&without.records.daily) {
        assert_close(a.benchmark, b.benchmark, 1e-9 * a.benchmark);
    }
}

#[test]
fn test_backtest_delisted_holding_sold_at_its_last_close() {
    // Hold everything (top_fraction 1) so every delisting inside the window is held.
    let mut s = spec("strategies/ew_tiny.toml");
    s.config.portfolio.top_fraction = 1.0;
    let r = run(&s);
    let market =
        alphasim::data::load_market(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let delisted: Vec<_> = r
        .records
        .fills
        .iter()
        .filter(|f| f.reason == alphasim::execution::TradeReason::Delisting)
        .collect();
    assert!(
        !delisted.is_empty(),
        "the tiny market has delistings inside the window"
    );
    let b = &market.bars;
    for f in delisted {
        // The symbol's last row is on the fill date, and the price is its last traded close.
        let rows: Vec<usize> = (0..b.len()).filter(|&r| b.symbol[r] == f.symbol).collect();
        let last_day = (0..b.dates.len())
            .rev()
            .find(|&d| {
                b.day_rows(alphasim::data::DayIndex(d as u32))
                    .any(|r| b.symbol[r] == f.symbol)
            })
            .unwrap();
        assert_eq!(b.dates[last_day], f.date);
        let last_traded = rows
            .iter()
            .copied()
            .filter(|&r| b.is_traded(r))
            .max()
            .unwrap();
        assert_close(f.price, b.close[last_traded], 0.0);
        assert!(f.cost > 0.0, "the liquidation pays costs");
    }
}
