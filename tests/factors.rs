//! The factor library end to end: spec selection, point-in-time panels,
//! fundamentals visibility, the factor report on a generated market with a
//! planted signal, and the real CSI500 signs.

use crate::common::{cn_ashare, copy_bundle, root, spec_text};
use alphasim::research::factor_report::{factor_report, FactorReport, PanelOptions};
use std::path::Path;

fn report(spec: &alphasim::spec::Spec, out: Option<&Path>, daily: bool) -> FactorReport {
    let loaded;
    let market = if spec.data_dir.ends_with("shared/data/cn-ashare") {
        crate::common::cn_market()
    } else {
        loaded =
            alphasim::data::load_market(&spec.data_dir, &Default::default()).expect("bundle loads");
        &loaded
    };
    let mut progress = |_: usize, _: usize| {};
    factor_report(
        spec,
        market,
        &PanelOptions {
            out: out.map(Path::to_path_buf),
            daily,
        },
        &mut progress,
    )
    .expect("factor report runs")
}

#[test]
fn test_factors_unknown_name_is_a_spec_error_listing_valid_names() {
    let dir = root().join("fixtures/tiny");
    let text = "data = \".\"\nfactors = [\"momentum\", \"vol21\"]\n[model]\nkind = \"ew\"\n";
    let err = alphasim::spec::Spec::from_str_at(text, &dir.join("x.toml"), &dir)
        .expect_err("unknown factor");
    let msg = err.to_string();
    assert!(msg.contains("x.toml"), "{msg}");
    assert!(msg.contains("factors: unknown factor `vol21`"), "{msg}");
    assert!(
        msg.contains("volatility:vol20") && msg.contains("reversal:ret1"),
        "{msg}"
    );
}

#[test]
fn test_factors_library_columns_reach_the_ew_model() {
    // The ew model over two library factors runs and trades; the columns
    // are named after the factors.csv columns.
    let text = r#"
        data = "."
        index = "synth"
        factors = ["reversal:ret20", "volatility"]
        [model]
        kind = "ew"
        factors = ["ret20", "vol20", "f0"]
        signs = { ret20 = -1.0, vol20 = -1.0 }
    "#;
    let spec = spec_text(text, &root().join("fixtures/tiny"));
    let r = crate::common::run(&spec);
    assert!(!r.records.fills.is_empty());
    assert!(r.report.window.rebalances > 5);
    // A name that is neither a factors.csv column nor selected is an error naming both sources.
    let bad = text.replace("\"f0\"]", "\"vol60x\"]");
    let market =
        alphasim::data::load_market(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let mut progress = |_: usize, _: usize| {};
    let Err(e) = alphasim::backtest_market(
        &spec_text(&bad, &root().join("fixtures/tiny")),
        &market,
        &mut progress,
    ) else {
        panic!("an unknown column must be an error");
    };
    assert!(
        e.to_string().contains("vol60x") && e.to_string().contains("ret20"),
        "{e}"
    );
}

/// Point in time: the daily panel of every library factor (and the user
/// columns) computed on a bundle altered after day D equals the original up
/// to D, byte for byte.
#[test]
fn test_factors_panel_up_to_d_unchanged_by_later_data() {
    let text = "data = \".\"\nindex = \"synth\"\nfactors = [\"all\"]\n[model]\nkind = \"ew\"\n";
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let altered = copy_bundle(&root().join("fixtures/tiny"));
    let d = "2015-08-14";
    crate::lookahead::alter_after(altered.path(), d);
    let out = tempfile::tempdir().unwrap();
    let (pa, pb) = (out.path().join("a.csv"), out.path().join("b.csv"));
    report(&spec_text(text, original.path()), Some(&pa), true);
    report(&spec_text(text, altered.path()), Some(&pb), true);
    let upto = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("date") || l[..10] <= *d)
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (upto(&pa), upto(&pb));
    assert!(a.len() > 2000, "{} rows up to D", a.len());
    assert_eq!(
        a[0].split(',').count(),
        2 + 8 + alphasim::factors::N_FACTORS
    );
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(a.len(), b.len());
    // Value factors have values before D (the fixture has eps/bps).
    let ep = a[0].split(',').position(|h| h == "ep").unwrap();
    assert!(a
        .iter()
        .skip(1)
        .any(|l| !l.split(',').nth(ep).unwrap().is_empty()));
    assert_ne!(
        std::fs::read_to_string(&pa).unwrap(),
        std::fs::read_to_string(&pb).unwrap(),
        "the alteration changed later rows"
    );
}

/// A value announced on day D (after the close) is not visible on D and is
/// on the next trading day; one announced on a Saturday is visible on Monday.
#[test]
fn test_factors_fundamentals_visible_the_trading_day_after_announcement() {
    let dir = tempfile::tempdir().unwrap();
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    let days = [
        "2021-03-01",
        "2021-03-02",
        "2021-03-03",
        "2021-03-04",
        "2021-03-05",
        "2021-03-08",
        "2021-03-09",
    ];
    for d in days {
        for (s, p) in [("AAA", 10.0), ("BBB", 20.0), ("CCC", 40.0)] {
            bars.push_str(&format!("{d},{s},{p},{p},{p},{p},1000\n"));
        }
    }
    std::fs::write(dir.path().join("bars.csv"), bars).unwrap();
    std::fs::write(
        dir.path().join("fundamentals.csv"),
        "symbol,period_end,announce_date,field,value\n\
         AAA,2020-12-31,2021-03-03,bps,5\n\
         BBB,2020-12-31,2021-03-06,bps,4\n",
    )
    .unwrap();
    let text = "data = \".\"\nfactors = [\"value:bp\"]\n[preprocess]\nstandardize = false\nwinsorize_mad = 0\nmissing = \"none\"\n[model]\nkind = \"reversal\"\n";
    let panel = dir.path().join("panel.csv");
    report(&spec_text(text, dir.path()), Some(&panel), true);
    let text = std::fs::read_to_string(&panel).unwrap();
    let value = |date: &str, sym: &str| -> String {
        let prefix = format!("{date},{sym},");
        text.lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{prefix}"))
            .rsplit(',')
            .next()
            .unwrap()
            .to_owned()
    };
    // AAA announced on Wednesday 03-03: missing on 03-03, 5/10 from Thursday.
    assert_eq!(value("2021-03-03", "AAA"), "");
    assert_eq!(value("2021-03-04", "AAA"), "0.5");
    // BBB announced on Saturday 03-06: missing on Friday, 4/20 from Monday.
    assert_eq!(value("2021-03-05", "BBB"), "");
    assert_eq!(value("2021-03-08", "BBB"), "0.2");
    assert_eq!(value("2021-03-09", "CCC"), "");
}

/// On a generated market the report over the user factors puts the planted
/// linear and industry-relative factors (f0, f1, f2, f5) above the noise
/// (f6, f7); f3·f4 is an interaction no single column shows.
#[test]
fn test_factors_report_recovers_planted_signal() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = alphasim::generate::Preset::Small.config();
    cfg.n_days = 600;
    alphasim::generate::generate(&cfg, 7, dir.path()).unwrap();
    let text = "data = \".\"\nindex = \"synth\"\nfactors = [\"reversal:ret20\", \"volatility:vol20\"]\n[model]\nkind = \"ew\"\n[schedule]\nrebalance = \"weekly\"\n";
    let r = report(&spec_text(text, dir.path()), None, false);
    let abs_icir = |n: &str| r.get(n).unwrap().icir.abs();
    let noise = abs_icir("f6").max(abs_icir("f7"));
    for f in ["f0", "f1", "f2", "f5"] {
        assert!(
            abs_icir(f) > noise,
            "{f}: |ICIR| {} vs noise {noise}\n{}",
            abs_icir(f),
            r.table()
        );
    }
    assert_eq!(r.factors[0].name, "f0", "{}", r.table());
    assert!(
        r.get("f2").unwrap().ic_mean < 0.0,
        "f2 has a negative loading"
    );
    assert!(r.get("ret20").unwrap().coverage > 0.9);
}

/// Real data: CSI500 2012–2024, monthly, 20-day forward returns. Short-term
/// reversal and volatility have the negative RankIC known for A-shares.
#[test]
fn test_real_data_csi500_factor_signs() {
    cn_ashare();
    let spec = crate::common::spec("strategies/cn_csi500_factors.toml");
    let r = report(&spec, None, false);
    assert!(r.signal_days >= 150);
    for f in ["ret20", "ret5", "vol20", "vol60", "idiovol60", "maxret20"] {
        let s = r.get(f).unwrap();
        assert!(s.rank_ic_mean < -0.01, "{f}: RankIC {}", s.rank_ic_mean);
        assert!(s.coverage > 0.95, "{f}: coverage {}", s.coverage);
    }
    // No fundamentals in this bundle: value factors are absent, not invented.
    assert_eq!(r.get("ep").unwrap().days, 0);
    // The tear sheet's series: short-horizon reversal is redrawn every month
    // (rank autocorrelation near 0, turnover near 1), slow traded-value and
    // long-window volatility barely move; idiovol60 stays negative at every
    // horizon of its IC decay, whose 20-day point is the table's IC.
    for f in ["ret1", "ret5", "ret20"] {
        let a = r.get(f).unwrap().rank_autocorr;
        assert!(a.abs() < 0.1, "{f}: rank autocorrelation {a}");
    }
    for f in ["log_amt60", "idiovol250"] {
        let a = r.get(f).unwrap().rank_autocorr;
        assert!(a > 0.9, "{f}: rank autocorrelation {a}");
    }
    let iv = r.get("idiovol60").unwrap();
    assert!(
        iv.detail.decay_rank_ic.iter().all(|x| *x < 0.0),
        "{:?}",
        iv.detail.decay_rank_ic
    );
    assert!((iv.detail.decay_ic[19] - iv.ic_mean).abs() < 1e-12);
    assert_eq!(iv.detail.periods.len(), r.signal_days - 1);
    // A reliably negative factor ranks worse than random: e^(−RankMAE) < 0.324.
    assert!(iv.exp_neg_rank_mae < 0.32, "{}", iv.exp_neg_rank_mae);
    let page = r.to_html().unwrap();
    let doc = scraper::Html::parse_document(&page);
    let rows = doc
        .select(&scraper::Selector::parse("#factor-table tbody tr").unwrap())
        .count();
    assert_eq!(rows, r.factors.len());
}

/// The library computes its columns on signal days and on the days a model
/// asks for (`AlphaModel::wants_factors`); on other days they read NaN, and
/// the values on requested days do not depend on the skipped days.
#[test]
fn test_factors_computed_on_signal_days_and_requested_days_only() {
    use alphasim::alpha::AlphaModel;
    use alphasim::context::Context;
    use alphasim::data::{DayIndex, SymbolId};
    use std::sync::{Arc, Mutex};

    type Log = Arc<Mutex<Vec<(u32, Vec<f64>)>>>;
    struct Probe {
        every: u32,
        log: Log,
    }
    impl AlphaModel for Probe {
        fn name(&self) -> &str {
            "probe"
        }
        fn wants_factors(&self, day: DayIndex) -> bool {
            day.0 % self.every == 0
        }
        fn observe(&mut self, ctx: &Context<'_>) -> alphasim::Result<()> {
            let k = ctx.factor_index("ret20").expect("library column");
            let v: Vec<f64> = ctx.candidates().iter().map(|&s| ctx.factor(s, k)).collect();
            self.log.lock().unwrap().push((ctx.day().0, v));
            Ok(())
        }
        fn score(&mut self, _: &Context<'_>, u: &[SymbolId]) -> alphasim::Result<Vec<f64>> {
            Ok(vec![0.0; u.len()])
        }
    }
    let text = r#"
        data = "."
        index = "synth"
        factors = ["reversal:ret20"]
        [model]
        kind = "ew"
    "#;
    let spec = spec_text(text, &root().join("fixtures/tiny"));
    let market =
        alphasim::data::load_market(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let run_with = |every: u32| -> Vec<(u32, Vec<f64>)> {
        let log: Log = Default::default();
        let mut progress = |_: usize, _: usize| {};
        let model = Box::new(Probe {
            every,
            log: log.clone(),
        });
        alphasim::engine::run_with_model(&spec, &market, model, &mut progress).unwrap();
        let v = log.lock().unwrap().clone();
        v
    };
    let signal: Vec<u32> = alphasim::schedule::signal_days(
        &market.bars.dates,
        DayIndex(0),
        DayIndex(market.bars.dates.len() as u32 - 1),
        &spec.config.schedule,
    )
    .iter()
    .map(|d| d.0)
    .collect();
    let sparse = run_with(1000); // only day 0 requested
    let dense = run_with(1); // every day requested
    let mut computed_days = 0;
    for ((day, a), (_, b)) in sparse.iter().zip(&dense) {
        let wanted = *day == 0 || signal.contains(day);
        if wanted {
            // Same values whether or not the other days were computed.
            let same = a
                .iter()
                .zip(b)
                .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
            assert!(same, "day {day}");
            computed_days += 1;
        } else {
            assert!(a.iter().all(|x| x.is_nan()), "day {day} was not requested");
            assert!(
                b.iter().any(|x| x.is_finite()) || *day < 20,
                "day {day} requested"
            );
        }
    }
    assert!(computed_days > 10);
}

/// A restatement (a later row for the same symbol, period and field with a
/// later announce_date) replaces the value from the trading day after its
/// announcement: AAA's 2020 bps 5 (announced Wed 03-03) gives bp = 5/10 =
/// 0.5 from Thu 03-04; restated to 8 on Fri 03-05 (after the close) it is
/// still 0.5 on 03-05 and 8/10 = 0.8 from Mon 03-08.
#[test]
fn test_factors_fundamentals_restatement_replaces_the_value_after_announcement() {
    let dir = tempfile::tempdir().unwrap();
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    for d in [
        "2021-03-01",
        "2021-03-02",
        "2021-03-03",
        "2021-03-04",
        "2021-03-05",
        "2021-03-08",
        "2021-03-09",
    ] {
        for (s, p) in [("AAA", 10.0), ("BBB", 20.0)] {
            bars.push_str(&format!("{d},{s},{p},{p},{p},{p},1000\n"));
        }
    }
    std::fs::write(dir.path().join("bars.csv"), bars).unwrap();
    std::fs::write(
        dir.path().join("fundamentals.csv"),
        "symbol,period_end,announce_date,field,value\n\
         AAA,2020-12-31,2021-03-03,bps,5\n\
         AAA,2020-12-31,2021-03-05,bps,8\n",
    )
    .unwrap();
    let text = "data = \".\"\nfactors = [\"value:bp\"]\n[preprocess]\nstandardize = false\nwinsorize_mad = 0\nmissing = \"none\"\n[model]\nkind = \"reversal\"\n";
    let panel = dir.path().join("panel.csv");
    report(&spec_text(text, dir.path()), Some(&panel), true);
    let text = std::fs::read_to_string(&panel).unwrap();
    let value = |date: &str| -> String {
        let prefix = format!("{date},AAA,");
        text.lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{prefix}"))
            .rsplit(',')
            .next()
            .unwrap()
            .to_owned()
    };
    let got: Vec<String> = [
        "2021-03-03",
        "2021-03-04",
        "2021-03-05",
        "2021-03-08",
        "2021-03-09",
    ]
    .iter()
    .map(|d| value(d))
    .collect();
    assert_eq!(got, ["", "0.5", "0.5", "0.8", "0.8"]);
}
