//! Portfolio construction on whole runs: the enhanced-index optimiser's
//! constraints hold at every rebalance, its decisions use nothing after the
//! decision, reruns are byte-identical; index_weights.csv is checked; bad
//! settings are clear errors.

use crate::common::{copy_bundle, root, run, spec_text};

/// Enhanced-index on the tiny fixture (20 members, weekly): the limits are
/// loose enough to be feasible, tight enough to bind.
const ENHANCED: &str = r#"
data = "."
name = "enhanced_tiny"
index = "synth"
seed = 42

[schedule]
rebalance = "weekly"

[model]
kind = "ew"
signs = { f2 = -1.0 }

[portfolio]
method = "enhanced_index"

[portfolio.enhanced_index]
tracking_error = 0.04
industry_bound = 0.05
style_bound = 0.3
styles = ["volatility", "momentum", "f3"]
max_weight = 0.12
max_benchmark_multiple = 3.0
max_weight_off_benchmark = 0.0
turnover = 0.25
risk_window = 60

[costs]
commission_bps = 10.0
"#;

#[test]
fn test_enhanced_index_every_rebalance_meets_every_limit() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let r = run(&spec_text(ENHANCED, bundle.path()));
    let p = r.report.portfolio.as_ref().expect("a portfolio section");
    assert!(p.rebalances.len() > 40, "{} rebalances", p.rebalances.len());
    let tol = 1e-6;
    let mut binding_te = 0;
    for row in &p.rebalances {
        let o = row.optimiser.as_ref().expect("optimiser record");
        assert!(
            o.status == "Solved" || o.status == "AlmostSolved",
            "{}: {}",
            row.date,
            o.status
        );
        let relaxed = |k: &str| o.relaxed.iter().any(|x| x == k);
        assert!(
            (o.weight_sum - 1.0).abs() < tol,
            "{}: Σw = {}",
            row.date,
            o.weight_sum
        );
        assert!(
            o.max_over_cap <= tol,
            "{}: a weight {} over its cap",
            row.date,
            o.max_over_cap
        );
        if !relaxed("turnover") && o.turnover > 0.0 && row.date != p.rebalances[0].date {
            assert!(
                o.turnover <= 0.25 + tol,
                "{}: turnover {}",
                row.date,
                o.turnover
            );
        }
        if !relaxed("tracking_error") {
            assert!(
                row.ex_ante_tracking_error <= 0.04 + tol,
                "{}: TE {}",
                row.date,
                row.ex_ante_tracking_error
            );
        }
        if o.binding.iter().any(|b| b == "tracking_error") {
            binding_te += 1;
        }
        if !relaxed("industry_bound") {
            for (name, v) in &row.industries {
                assert!(v.abs() <= 0.05 + tol, "{}: industry {name} {v}", row.date);
            }
        }
        if !relaxed("style_bound") {
            assert_eq!(row.styles.len(), 3);
            for (name, v) in &row.styles {
                assert!(v.abs() <= 0.3 + tol, "{}: style {name} {v}", row.date);
            }
        }
    }
    assert!(binding_te > 0, "the tracking-error cap binds somewhere");
    // the fixture's index_weights.csv (the generator's equal member weights)
    assert_eq!(
        p.benchmark_weights,
        "index_weights.csv (synth), carried forward"
    );
    assert!(p
        .rebalances
        .iter()
        .all(|x| x.benchmark_weights_as_of.is_some()));
    // byte-identical rerun
    let again = run(&spec_text(ENHANCED, bundle.path()));
    assert_eq!(
        serde_json::to_string(&r.report).unwrap(),
        serde_json::to_string(&again.report).unwrap()
    );
    assert_eq!(r.trades_csv(), again.trades_csv());
}

#[test]
fn test_enhanced_index_uses_nothing_after_the_decision() {
    // the risk model reads 60 days of returns and the styles today's bars:
    // altering everything after D changes nothing up to D
    crate::lookahead::check_lookahead(ENHANCED, 1, 2, 20);
}

#[test]
fn test_without_index_weights_the_optimiser_tracks_equal_member_weights() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    std::fs::remove_file(bundle.path().join("index_weights.csv")).unwrap();
    let r = run(&spec_text(ENHANCED, bundle.path()));
    let p = r.report.portfolio.as_ref().unwrap();
    assert!(
        p.benchmark_weights.starts_with("equal weights"),
        "{}",
        p.benchmark_weights
    );
    assert!(p
        .rebalances
        .iter()
        .all(|x| x.benchmark_weights_as_of.is_none()));
    assert!(r
        .report
        .warnings
        .iter()
        .any(|w| w.contains("equal member weights")));
}

#[test]
fn test_topk_dropout_and_score_weighted_runs() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let topk = ENHANCED.replace(
        "method = \"enhanced_index\"",
        "method = \"topk_dropout\"\n[portfolio.topk_dropout]\ntopk = 5\nn_drop = 1\nhold_days = 5",
    );
    let r = run(&spec_text(&topk, bundle.path()));
    // after the first build, at most n_drop = 1 name leaves the book a week
    // (kept names are only re-sized to their decision-time weight)
    let mut held: std::collections::BTreeMap<_, std::collections::BTreeSet<_>> = Default::default();
    for p in &r.records.positions {
        held.entry(p.date).or_default().insert(p.symbol);
    }
    let days: Vec<_> = held.values().collect();
    let exits: Vec<usize> = days
        .windows(2)
        .map(|w| w[0].difference(w[1]).count())
        .collect();
    assert!(exits.iter().all(|&n| n <= 1), "{exits:?}");
    assert!(
        exits.iter().filter(|&&n| n == 1).count() > 10,
        "names are replaced"
    );
    let max_holdings = r.records.daily.iter().map(|d| d.holdings).max().unwrap();
    assert!((5..=6).contains(&max_holdings), "{max_holdings}");
    let sw = ENHANCED.replace(
        "method = \"enhanced_index\"",
        "method = \"score_weighted\"\ntop_fraction = 0.2",
    );
    let r = run(&spec_text(&sw, bundle.path()));
    assert!(r
        .report
        .conventions
        .rules
        .iter()
        .any(|x| x.contains("weight = rank")));
}

#[test]
fn test_index_weights_checks() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let path = bundle.path().join("index_weights.csv");
    std::fs::write(
        &path,
        "date,index,symbol,weight\n2015-01-05,synth,SH600000,0.5\n2015-01-05,synth,SH600001,0.7\n2015-01-05,synth,ZZ999999,0.1\n",
    )
    .unwrap();
    let m = alphasim::data::load_market(bundle.path(), &Default::default()).expect("loads");
    let w = &m.index_weights["synth"][0];
    assert!(
        (w.weights.iter().map(|p| p.1).sum::<f64>() - 1.0).abs() < 1e-12,
        "normalised"
    );
    assert!((w.weights[0].1 - 0.5 / 1.3).abs() < 1e-12);
    let all = m.warnings.join("\n");
    assert!(
        all.contains("do not sum to 1") && all.contains("worst sums to 1.3000"),
        "{all}"
    );
    assert!(all.contains("not its member"), "{all}");
    // carried forward
    let later = "2015-03-02".parse().unwrap();
    assert_eq!(
        alphasim::data::index_weights_as_of(&m.index_weights, "synth", later)
            .unwrap()
            .date,
        "2015-01-05".parse().unwrap()
    );
    assert!(alphasim::data::index_weights_as_of(
        &m.index_weights,
        "synth",
        "2014-12-31".parse().unwrap()
    )
    .is_none());
    // a negative weight and a duplicate are located errors
    std::fs::write(
        &path,
        "date,index,symbol,weight\n2015-01-05,synth,SH600000,-0.1\n",
    )
    .unwrap();
    let e = alphasim::data::load_market(bundle.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("index_weights.csv:2:4 (column `weight`)") && e.contains("must be ≥ 0"),
        "{e}"
    );
    std::fs::write(
        &path,
        "date,index,symbol,weight\n2015-01-05,synth,SH600000,0.5\n2015-01-05,synth,SH600000,0.5\n",
    )
    .unwrap();
    let e = alphasim::data::load_market(bundle.path(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("index_weights.csv:3:") && e.contains("duplicate index weight: line 2"),
        "{e}"
    );
}

/// The error of reading `text` as a spec file whose data is `bundle`.
fn spec_file_error(text: &str, bundle: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.toml");
    std::fs::write(
        &p,
        text.replace("data = \".\"", &format!("data = {bundle:?}")),
    )
    .unwrap();
    alphasim::spec::Spec::from_file(&p).unwrap_err().to_string()
}

#[test]
fn test_bad_portfolio_settings_are_clear_errors() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let spec = spec_text(&ENHANCED.replace("\"f3\"", "\"beta\""), bundle.path());
    let market = alphasim::data::load_market(bundle.path(), &Default::default()).unwrap();
    let e = alphasim::engine::run(&spec, &market, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("portfolio.enhanced_index.styles: unknown style `beta`"),
        "{e}"
    );
    for (from, to, want) in [
        (
            "turnover = 0.25",
            "turnover = -1",
            "portfolio.enhanced_index.turnover = -1",
        ),
        (
            "max_weight = 0.12",
            "max_weight = 0",
            "portfolio.enhanced_index.max_weight = 0",
        ),
        (
            "risk_window = 60",
            "risk_window = 5",
            "risk_window = 5 must be at least 20",
        ),
    ] {
        let text = ENHANCED.replace(from, to);
        let e = spec_file_error(&text, bundle.path());
        assert!(e.contains(want), "{e}");
    }
    let text = ENHANCED.replace(
        "method = \"enhanced_index\"",
        "method = \"topk_dropout\"\n[portfolio.topk_dropout]\ntopk = 2\nn_drop = 3",
    );
    let e = spec_file_error(&text, bundle.path());
    assert!(e.contains("n_drop = 3 must be at most topk = 2"), "{e}");
}

#[test]
fn test_infeasible_limits_are_relaxed_in_order_and_recorded() {
    // caps that cannot sum to 1 (20 members × 0.02 = 0.4) and a zero TE-like squeeze
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let text = ENHANCED
        .replace("max_weight = 0.12", "max_weight = 0.02")
        .replace("tracking_error = 0.04", "tracking_error = 0.0001");
    let r = run(&spec_text(&text, bundle.path()));
    let p = r.report.portfolio.as_ref().unwrap();
    let first = p.rebalances[0].optimiser.as_ref().unwrap();
    assert_eq!(
        first.relaxed,
        vec![
            "style_bound",
            "tracking_error",
            "industry_bound",
            "max_weight"
        ],
        "no turnover cap on the first build; then the documented order"
    );
    assert!(p.relaxed_rebalances >= p.rebalances.len() / 2);
    assert!((first.weight_sum - 1.0).abs() < 1e-6);
}

#[test]
fn test_report_html_has_the_portfolio_section() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let r = run(&spec_text(ENHANCED, bundle.path()));
    let html = alphasim::html::render(&alphasim::html::RunView::from_run(&r)).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    assert_eq!(doc.select(&sel("section#portfolio")).count(), 1);
    for id in ["chart-tracking-error", "chart-active-exposures"] {
        let fig = doc
            .select(&sel(&format!("#{id} svg")))
            .next()
            .unwrap_or_else(|| panic!("{id}"));
        assert!(
            fig.html().contains("<path") || fig.html().contains("<polyline"),
            "{id} draws lines"
        );
    }
    let table = doc
        .select(&sel("table.optimiser"))
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert!(
        table.contains("Solved") && table.contains("tracking_error"),
        "{table}"
    );
    assert!(html.contains("href=\"#portfolio\""));
    // a top-decile run has the section too (it has benchmark weights), with
    // no optimiser table; without index_weights.csv it has none
    let top = ENHANCED.replace("method = \"enhanced_index\"", "method = \"top_fraction\"");
    let plain = run(&spec_text(&top, bundle.path()));
    let p = plain
        .report
        .portfolio
        .as_ref()
        .expect("analytics with weights");
    assert!(p.rebalances.iter().all(|x| x.optimiser.is_none()));
    std::fs::remove_file(bundle.path().join("index_weights.csv")).unwrap();
    let plain = run(&spec_text(&top, bundle.path()));
    assert!(plain.report.portfolio.is_none());
}

#[test]
fn test_topk_larger_than_the_universe_holds_every_eligible_name() {
    // 20 members: topk = 1000 holds whatever is eligible, as Qlib does
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let text = ENHANCED.replace(
        "method = \"enhanced_index\"",
        "method = \"topk_dropout\"\n[portfolio.topk_dropout]\ntopk = 1000\nn_drop = 5",
    );
    let r = run(&spec_text(&text, bundle.path()));
    let first = &r.records.rebalances[0];
    assert_eq!(first.selected, first.eligible, "{first:?}");
    assert!(first.eligible >= 15);
}

#[test]
fn test_holdings_locked_at_a_price_limit_are_pinned() {
    // A-share rules (±10% limits derived from the previous close): a holding
    // closing at a limit on a signal day is pinned at its weight
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let text = ENHANCED.replace("[costs]", "[execution]\nmarket = \"cn\"\n\n[costs]");
    let cn = run(&spec_text(&text, bundle.path()));
    let plain = run(&spec_text(ENHANCED, bundle.path()));
    let pinned = |r: &alphasim::report::RunResult| -> usize {
        let p = r.report.portfolio.as_ref().unwrap();
        p.rebalances
            .iter()
            .map(|x| x.optimiser.as_ref().unwrap().pinned)
            .sum()
    };
    assert!(
        pinned(&cn) > pinned(&plain),
        "cn {} vs plain {}",
        pinned(&cn),
        pinned(&plain)
    );
    // independently, per rebalance of the cn run: its holdings at that close
    // that did not trade, or closed within half a cent of round2(previous
    // raw close × 1.1) or round2(× 0.9) (main-board ±10%)
    let m = alphasim::data::load_market(bundle.path(), &Default::default()).unwrap();
    let b = &m.bars;
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let mut held: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for p in &cn.records.positions {
        held.entry(p.date).or_default().push(p.symbol);
    }
    let mut checked = 0;
    for row in &cn.report.portfolio.as_ref().unwrap().rebalances {
        let date: alphasim::data::Date = row.date.parse().unwrap();
        let d = b.day_of(date).unwrap();
        let Some(names) = held.get(&date) else {
            continue;
        };
        let mut expect = 0;
        for &s in names {
            let Some(r) = b.day_rows(d).find(|&r| b.symbol[r] == s && b.is_traded(r)) else {
                expect += 1; // suspended
                continue;
            };
            // previous traded close, in today's share base
            let prev = (0..d.index()).rev().find_map(|e| {
                b.day_rows(alphasim::data::DayIndex(e as u32))
                    .find(|&q| b.symbol[q] == s && b.is_traded(q))
                    .map(|q| b.close[q] * b.adj_factor[q] / b.adj_factor[r])
            });
            if let Some(prev) = prev {
                let (up, down) = (round2(prev * 1.1), round2(prev * 0.9));
                if b.close[r] >= up - 0.005 || b.close[r] <= down + 0.005 {
                    expect += 1;
                }
            }
        }
        let o = row.optimiser.as_ref().unwrap();
        assert_eq!(o.pinned, expect, "{}: pinned", row.date);
        checked += usize::from(expect > 0);
    }
    assert!(
        checked > 0,
        "some rebalance has a locked or suspended holding"
    );
    let p = cn.report.portfolio.as_ref().unwrap();
    for row in &p.rebalances {
        let o = row.optimiser.as_ref().unwrap();
        assert!(
            (o.weight_sum - 1.0).abs() < 1e-6 && o.max_over_cap <= 1e-6,
            "{}",
            row.date
        );
    }
}
