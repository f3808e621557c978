//! The bundled default (a DMFM walk-forward on fixtures/tiny): snapshots,
//! byte-identical reruns, train → score reuse, and the no-look-ahead rule of
//! its labels.

use crate::common::{root, run, spec};

#[test]
fn test_dmfm_default_snapshots_and_byte_identical_rerun() {
    let s = spec("strategies/default.toml");
    let a = crate::common::default_run();
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
            // the scale-free fit: a correlation, and its square in [0, 1]
            assert!(h.corr.abs() <= 1.0, "{h:?}");
            assert!((h.r2_fit - h.corr * h.corr).abs() < 2e-6, "{h:?}");
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
    // Exact, from the raw calendar of fixtures/tiny/bars.csv (not the crate's
    // loader) and the documented protocol (docs/dmfm.md, alpha::samples):
    // - signal days: month ends from start = 2015-07-01 (not the last day);
    //   retrains: the first signal day, then the first one at least
    //   retrain_months = 3 calendar months after the previous retrain;
    // - a retrain at the pre-open of signal day s fits as of T = the close
    //   before s; a sample is stored every trading day from day 0 (every
    //   member of the tiny index trades, so each day has ≥ 2 candidates);
    // - sample day d is labelled iff d + max(horizons) = d + 20 ≤ T;
    // - train: date(d) < date(T) − 3 months (validation_months);
    //   validation: date(d) ≥ date(T) − 3 months + 1 month (embargo_months).
    use chrono::Months;
    let text = std::fs::read_to_string(root().join("fixtures/tiny/bars.csv")).unwrap();
    let calendar: Vec<chrono::NaiveDate> = text
        .lines()
        .skip(1)
        .map(|l| l[..10].to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|d| d.parse().unwrap())
        .collect();
    let start: chrono::NaiveDate = "2015-07-01".parse().unwrap();
    let signals: Vec<usize> = (0..calendar.len() - 1)
        .filter(|&i| {
            calendar[i] >= start
                && calendar[i].format("%Y-%m").to_string()
                    != calendar[i + 1].format("%Y-%m").to_string()
        })
        .collect();
    let mut retrains: Vec<usize> = Vec::new();
    for &s in &signals {
        if retrains
            .last()
            .is_none_or(|&r| calendar[s] >= calendar[r] + Months::new(3))
        {
            retrains.push(s);
        }
    }
    // 2015-07-31, then on/after 2015-10-31 → 2015-11-30, then on/after 2016-02-29 → 2016-02-29.
    let retrain_dates: Vec<String> = retrains.iter().map(|&s| calendar[s].to_string()).collect();
    assert_eq!(retrain_dates, ["2015-07-31", "2015-11-30", "2016-02-29"]);
    let expected: Vec<(String, usize, usize)> = retrains
        .iter()
        .map(|&s| {
            let t = s - 1;
            let as_of = calendar[t];
            let valid_from = as_of - Months::new(3);
            let valid_start = valid_from + Months::new(1);
            let labelled = (0..=t - 20).map(|d| calendar[d]);
            let train = labelled.clone().filter(|&d| d < valid_from).count();
            let valid = labelled.filter(|&d| d >= valid_start).count();
            (as_of.to_string(), train, valid)
        })
        .collect();
    let r = crate::common::default_run();
    let interp = r.report.interpretation.as_ref().unwrap();
    let actual: Vec<(String, usize, usize)> = interp
        .windows
        .iter()
        .map(|w| (w.as_of.clone(), w.train_dates, w.valid_dates))
        .collect();
    assert_eq!(
        actual, expected,
        "(as_of, training dates, validation dates) per window"
    );
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

/// `train.refit`: each trained window is refitted on its training and
/// validation dates for the chosen number of epochs; the status says so, the
/// scores move, and a rerun gives the same bytes.
#[test]
fn test_refit_on_all_labelled_dates() {
    let text = std::fs::read_to_string(root().join("strategies/default.toml"))
        .unwrap()
        .replace("kind = \"dmfm\"", "kind = \"mlp\"")
        .replace("epochs = 20", "epochs = 6");
    let plain = crate::common::spec_text(&text, &root().join("strategies"));
    let refit_text = text.replace("epochs = 6", "epochs = 6\nrefit = true");
    let refit = crate::common::spec_text(&refit_text, &root().join("strategies"));
    let (a, b) = (run(&plain), run(&refit));
    let windows = &b.report.interpretation.as_ref().unwrap().windows;
    let mut refitted = 0;
    for w in windows {
        if w.best_epoch > 0 && w.valid_dates > 0 {
            let n = w.train_dates + w.valid_dates;
            assert!(
                w.status.ends_with(&format!(", refit on {n} dates")),
                "{w:?}"
            );
            refitted += 1;
        }
    }
    assert!(refitted >= 2, "{refitted} windows refitted");
    assert_ne!(
        a.scores_csv(),
        b.scores_csv(),
        "the refit changes the model"
    );
    assert_eq!(b.scores_csv(), run(&refit).scores_csv(), "deterministic");
}
