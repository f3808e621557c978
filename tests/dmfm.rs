//! The bundled default (a DMFM walk-forward on fixtures/tiny): snapshots,
//! byte-identical reruns, train → score reuse, and the no-look-ahead rule of
//! its labels.

use crate::common::{root, run, spec};

#[test]
fn test_dmfm_default_snapshots_and_byte_identical_rerun() {
    let s = spec("strategies/default.toml");
    let a = run(&s);
    insta::assert_snapshot!("dmfm_default_summary", a.report.summary());
    insta::assert_snapshot!("dmfm_default_report_json", a.report.to_json_rounded(6));
    let interp = a
        .report
        .interpretation
        .as_ref()
        .expect("dmfm reports attention");
    assert_eq!(interp.model, "dmfm");
    assert!(!interp.windows.is_empty());
    for w in &interp.windows {
        assert_eq!(w.status, "trained", "{w:?}");
        assert_eq!(w.heads.len(), 5, "one entry per horizon");
        for h in &w.heads {
            let total: f64 = h.factor_attention.iter().sum();
            assert!((total - 1.0).abs() < 1e-4, "attention sums to 1: {total}");
            assert_eq!(
                h.group_attention.len(),
                1,
                "names without `group:` form one group"
            );
        }
    }
    // same spec and seed → the same bytes in every file
    let (x, y) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    a.write(&x.path().join("run")).unwrap();
    run(&s).write(&y.path().join("run")).unwrap();
    for n in [
        "report.json",
        "summary.txt",
        "scores.csv",
        "attention.csv",
        "trades.csv",
    ] {
        let p = std::fs::read(x.path().join("run").join(n)).unwrap();
        let q = std::fs::read(y.path().join("run").join(n)).unwrap();
        assert!(p == q, "{n} differs between two runs");
    }
}

#[test]
fn test_dmfm_labels_end_before_each_retrain() {
    // every window's training + validation dates only use labels whose
    // 20-day horizon ended by the retrain: the first window (as of the close
    // before 2015-07-31) cannot hold a date later than 20 trading days before it.
    let r = run(&spec("strategies/default.toml"));
    let market =
        alphasim::data::load_market(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let dates = &market.bars.dates;
    let interp = r.report.interpretation.unwrap();
    for w in &interp.windows {
        let as_of: alphasim::data::Date = w.as_of.parse().unwrap();
        let t = dates.iter().position(|d| *d == as_of).unwrap();
        // samples are taken every day from the first day; labelled ⇔ d + 20 ≤ t
        let labelled = t + 1 - 20;
        assert!(
            w.train_dates + w.valid_dates <= labelled,
            "{} uses {} dates, at most {labelled} are labelled",
            w.as_of,
            w.train_dates + w.valid_dates
        );
    }
}

#[test]
fn test_dmfm_train_then_score_reuses_weights_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("weights");
    let mut s = spec("strategies/default.toml");
    let alphasim::spec::ModelConfig::Dmfm(d) = &mut s.config.model else {
        panic!("the default is a dmfm")
    };
    d.save_weights = Some(weights.clone());
    let trained = run(&s);
    let files = std::fs::read_dir(&weights).unwrap().count();
    assert_eq!(
        files,
        trained.records.retrain_dates.len(),
        "one safetensors file per window"
    );
    let alphasim::spec::ModelConfig::Dmfm(d) = &mut s.config.model else {
        unreachable!()
    };
    d.save_weights = None;
    d.load_weights = Some(weights);
    let scored = run(&s);
    assert_eq!(
        trained.scores_csv(),
        scored.scores_csv(),
        "loaded weights score the same"
    );
    assert_eq!(trained.report.trade_hash, scored.report.trade_hash);
    // the scores CSV drives the `file` model to the same trades
    let csv = dir.path().join("scores.csv");
    std::fs::write(&csv, trained.scores_csv()).unwrap();
    s.config.model = alphasim::spec::ModelConfig::File { path: csv };
    let from_file = run(&s);
    assert_eq!(trained.report.trade_hash, from_file.report.trade_hash);
}

#[test]
fn test_baselines_run_on_the_fixture() {
    for kind in ["linear", "mlp", "mgat"] {
        let text = std::fs::read_to_string(root().join("strategies/default.toml"))
            .unwrap()
            .replace("kind = \"dmfm\"", &format!("kind = \"{kind}\""));
        let text = if kind == "linear" {
            // linear has no deep hyper-parameters
            let mut out = String::new();
            let mut skip = false;
            for l in text.lines() {
                if l.starts_with("hidden")
                    || l.starts_with("horizons")
                    || l.starts_with("score_horizon")
                {
                    continue;
                }
                if l.starts_with("[model.train]") {
                    skip = true;
                } else if l.starts_with('[') {
                    skip = false;
                }
                if !skip {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            out
        } else {
            text
        };
        let s = crate::common::spec_text(&text, &root().join("strategies"));
        let r = run(&s);
        assert_eq!(r.report.run.model, kind);
        assert!(r.report.metrics.ic.ic_mean.is_finite(), "{kind} scores");
    }
}
