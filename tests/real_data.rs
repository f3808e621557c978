//! Real China A-share data (../shared/data/cn-ashare). These tests fail with
//! a message naming the expected location when the data is missing.

use crate::common::{assert_close, cn_ashare, spec};

#[test]
fn test_real_data_validates() {
    let dir = cn_ashare();
    let summary = alphasim::data::validate_bundle(&dir).expect("the real bundle validates");
    assert!(summary.n_symbols > 3000, "{summary}");
    assert!(summary.bar_rows > 9_000_000);
}

#[test]
fn test_real_data_csi500_reversal_run() {
    let dir = cn_ashare();
    let mut progress = |_: usize, _: usize| {};
    let r = alphasim::backtest_market(
        &spec("strategies/cn_csi500_reversal.toml"),
        crate::common::cn_market(),
        &mut progress,
    )
    .expect("backtest runs");
    let m = &r.report.metrics;
    assert!(m.excess.alpha.is_finite() && m.excess.information_ratio.is_finite());
    assert!(r.report.window.rebalances >= 150, "13 years of month ends");
    // The benchmark is the csi500 index itself: its total return over the window must
    // equal close(end)/close(t0) − 1 read straight from benchmark.csv.
    let text = std::fs::read_to_string(dir.join("benchmark.csv")).unwrap();
    let level = |date: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(date) && l.contains(",csi500,"))
            .and_then(|l| l.rsplit(',').next())
            .unwrap_or_else(|| panic!("csi500 level on {date}"))
            .parse()
            .unwrap()
    };
    let t0 = r.report.window.t0.clone().unwrap();
    let end = r.report.window.end.clone();
    assert_close(
        m.benchmark.total_return,
        level(&end) / level(&t0) - 1.0,
        1e-9,
    );
    // Every eligible set is at most CSI500-sized: members with a traded bar (survivorship and
    // suspensions leave some out; in mid-2015 about a fifth of the members were suspended).
    for x in &r.report.rebalances {
        assert!(
            x.eligible > 300 && x.eligible <= 500,
            "{} eligible on {}",
            x.eligible,
            x.signal_date
        );
        assert_eq!(x.selected, x.eligible / 10);
    }
    // Calendar years: 2012 (partial, from t0) .. 2024; each year's benchmark
    // return is the index's year-end level over the previous year-end's
    // (read from benchmark.csv), and the years compound to the total return.
    let years = &r.report.calendar.years;
    let names: Vec<&str> = years.iter().map(|y| y.period.as_str()).collect();
    assert_eq!(names.first(), Some(&"2012"));
    assert_eq!(names.last(), Some(&"2024"));
    assert_eq!(names.len(), 13);
    assert!(years[0].partial && years[1..].iter().all(|y| !y.partial));
    for y in years {
        assert_close(y.benchmark, level(&y.to) / level(&y.from) - 1.0, 1e-9);
        assert_close(y.excess, y.strategy - y.benchmark, 1e-15);
    }
    let compounded: f64 = years.iter().map(|y| 1.0 + y.strategy).product();
    assert_close(compounded - 1.0, m.portfolio.total_return, 1e-9);
    // The reversal score ranks better than random on CSI500 (e^(−RankMAE) > 0.324).
    assert!(m.ic.exp_neg_rank_mae > 0.33, "{}", m.ic.exp_neg_rank_mae);
}
