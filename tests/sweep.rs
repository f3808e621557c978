//! Sweeps: one scoring replayed per variant; byte-identical output for any
//! number of jobs; a replay equals a full backtest of the same variant.

use crate::common::{cn_ashare, root, run, spec};
use alphasim::research::sweep::{run_sweep, SweepPlan};
use std::path::Path;

fn sweep(
    spec: &alphasim::spec::Spec,
    sets: &[&str],
    jobs: usize,
    out: &Path,
) -> alphasim::research::sweep::SweepOutcome {
    let loaded;
    let market = if spec.data_dir.ends_with("shared/data/cn-ashare") {
        crate::common::cn_market()
    } else {
        loaded = alphasim::data::load_market(&spec.data_dir, &Default::default()).unwrap();
        &loaded
    };
    let mut plan = SweepPlan::from_spec(spec).unwrap();
    for s in sets {
        plan.set(spec, s).unwrap();
    }
    let options = alphasim::research::sweep::SweepOptions {
        jobs,
        positions: true,
    };
    run_sweep(spec, market, &plan, options, out, &|_| {}).unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn test_sweep_output_identical_for_any_jobs() {
    let s = spec("strategies/default.toml");
    let sets = [
        "costs.commission_bps=0,20,40",
        "costs.slippage_bps=0,10",
        "execution.market=none,cn",
    ];
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = sweep(&s, &sets, 1, a.path());
    let three = sweep(&s, &sets, 3, b.path());
    assert_eq!(one.rows.len(), 12);
    assert_eq!(one.rows, three.rows);
    for f in [
        "comparison.csv",
        "comparison.md",
        "break_even.csv",
        "report.html",
    ] {
        assert!(
            read(&a.path().join(f)) == read(&b.path().join(f)),
            "{f} differs"
        );
    }
    for i in 1..=12 {
        for f in [
            "summary.txt",
            "trades.csv",
            "nav.csv",
            "report.json",
            "positions.csv",
        ] {
            let rel = format!("v{i:03}/{f}");
            assert!(
                read(&a.path().join(&rel)) == read(&b.path().join(&rel)),
                "{rel} differs"
            );
        }
    }
    // Alpha falls as commission rises (same slippage, same market).
    let alpha = |c: &str, sl: &str, m: &str| {
        one.rows
            .iter()
            .find(|r| {
                let v: Vec<String> = r
                    .params
                    .iter()
                    .map(|p| alphasim::research::sweep::value_text(&p.1))
                    .collect();
                v == [c, sl, m]
            })
            .unwrap()
            .alpha
    };
    assert!(alpha("0", "0", "none") > alpha("20", "0", "none"));
    assert!(alpha("20", "0", "none") > alpha("40", "0", "none"));
    assert!(alpha("0", "0", "none") > alpha("0", "10", "none"));

    // The sweep page: report.html at the sweep root draws the comparison; each
    // variant sits at x = commission + slippage (the swept costs.*_bps), one line
    // per value of the other axes.
    let json = one.sweep_json();
    let variants = json["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 12);
    for (v, r) in variants.iter().zip(&one.rows) {
        let p: Vec<String> = r
            .params
            .iter()
            .map(|p| alphasim::research::sweep::value_text(&p.1))
            .collect();
        let expected = p[0].parse::<f64>().unwrap() + p[1].parse::<f64>().unwrap();
        assert_eq!(v["cost_bps"].as_f64().unwrap(), expected);
        assert_eq!(v["alpha"].as_f64().unwrap(), r.alpha);
        assert_eq!(
            v["group"].as_str().unwrap(),
            format!("costs.slippage_bps={}, execution.market={}", p[1], p[2])
        );
    }
    let html = String::from_utf8(read(&a.path().join("report.html"))).unwrap();
    assert!(html.contains("id=\"sweep\"") && html.contains("chart-sweep-alpha"));
}

#[test]
fn test_sweep_replay_equals_a_full_backtest_of_the_variant() {
    let s = spec("strategies/default.toml");
    let out = tempfile::tempdir().unwrap();
    sweep(
        &s,
        &["costs.commission_bps=40,10", "costs.min_commission=0,5"],
        2,
        out.path(),
    );
    // v004 = commission 10, minimum 5: a replay; run it as a plain backtest.
    let mut plain = s.clone();
    plain.config.costs.commission_bps = Some(10.0);
    plain.config.costs.min_commission = Some(5.0);
    let r = run(&plain);
    let summary = std::fs::read_to_string(out.path().join("v004/summary.txt")).unwrap();
    assert_eq!(summary, r.report.summary());
    assert_eq!(
        std::fs::read_to_string(out.path().join("v004/trades.csv")).unwrap(),
        r.trades_csv()
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("v004/ic.csv")).unwrap(),
        r.ic_csv()
    );
}

/// The same with the A-share market rules (limits, lots, T+1, volume cap),
/// slippage and square-root impact on: the last variant (cn, 5 bps, k = 0.1)
/// replayed on the shared scores equals a direct backtest of it, file by file.
#[test]
fn test_sweep_replay_with_market_rules_slippage_and_impact_equals_a_direct_run() {
    let s = spec("strategies/ew_tiny.toml");
    let out = tempfile::tempdir().unwrap();
    sweep(
        &s,
        &[
            "execution.market=none,cn",
            "costs.slippage_bps=0,5",
            "costs.impact_k=0,0.1",
        ],
        2,
        out.path(),
    );
    let mut plain = s.clone();
    plain.config.execution.market = alphasim::spec::MarketPreset::Cn;
    plain.config.costs.slippage_bps = Some(5.0);
    plain.config.costs.impact_k = Some(0.1);
    let r = run(&plain);
    let b = &r.report.metrics.trading.cost_breakdown;
    assert!(
        b.slippage > 0.0 && b.impact > 0.0 && b.stamp_duty > 0.0,
        "{b:?}"
    );
    let v = out.path().join("v008");
    assert_eq!(
        std::fs::read_to_string(v.join("summary.txt")).unwrap(),
        r.report.summary()
    );
    for (f, text) in [
        ("trades.csv", r.trades_csv()),
        ("nav.csv", r.nav_csv()),
        ("positions.csv", r.positions_csv()),
        ("ic.csv", r.ic_csv()),
    ] {
        assert!(
            std::fs::read_to_string(v.join(f)).unwrap() == text,
            "{f} of the replay differs from the direct run"
        );
    }
}

#[test]
fn test_sweep_rejects_keys_that_change_the_scores() {
    std::env::set_current_dir(root()).unwrap();
    let s = spec("strategies/default.toml");
    let mut plan = SweepPlan::default();
    let err = plan.set(&s, "model.kind=reversal").unwrap_err().to_string();
    assert!(err.contains("would change the scores"), "{err}");
    let err = plan
        .set(&s, "costs.comission_bps=1,2")
        .map(|_| ())
        .and_then(|_| {
            s.with_overrides(&[("costs.comission_bps".into(), toml::Value::Integer(1))])
                .map(|_| ())
        });
    assert!(
        err.unwrap_err().to_string().contains("comission_bps"),
        "a typo is named"
    );
}

#[test]
fn test_sweep_table_in_spec() {
    let text = r#"
        data = "fixtures/tiny"
        index = "synth"
        [model]
        kind = "ew"
        [portfolio]
        top_fraction = 0.2
        [sweep]
        "costs.commission_bps" = [0, 30]
        [sweep.costs]
        slippage_bps = [0, 5, 10]
    "#;
    let s = crate::common::spec_text(text, &root());
    let plan = SweepPlan::from_spec(&s).unwrap();
    assert_eq!(plan.variants().len(), 6);
    let out = tempfile::tempdir().unwrap();
    let o = sweep(&s, &[], 2, out.path());
    assert_eq!(o.rows.len(), 6);
    assert!(out.path().join("v006/summary.txt").is_file());
}

/// Real data: commission 0 and 30 bps on the CSI500 reversal; alpha falls and a
/// break-even line is produced along the commission axis.
#[test]
fn test_real_data_sweep_commission() {
    cn_ashare();
    let s = spec("strategies/cn_csi500_reversal.toml");
    let out = tempfile::tempdir().unwrap();
    let o = sweep(&s, &["costs.commission_bps=0,30"], 2, out.path());
    assert!(o.rows[0].alpha > o.rows[1].alpha);
    assert_eq!(o.break_even.len(), 1);
    assert_eq!(o.break_even[0].axis, "costs.commission_bps");
}
