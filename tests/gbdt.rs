//! `kind = "gbdt"`: byte-identical reruns, train → score with the saved
//! boosters, the scores.csv replay, the gain importance in the report, spec
//! errors, and the claim of the model-zoo issue: on a market whose planted
//! signal has an interaction with a threshold, `gbdt` beats `linear` on test IC.

use crate::common::{root, run, spec_text};
use alphasim::spec::ModelConfig;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::fmt::Write;
use std::path::Path;

const TINY_GBDT: &str = r#"
    data = "fixtures/tiny"
    index = "synth"
    seed = 3
    start = "2015-07-01"
    [schedule]
    retrain_months = 3
    [model]
    kind = "gbdt"
    horizon = 10
    rounds = 60
    leaves = 8
    min_data_in_leaf = 10
    early_stopping_rounds = 10
    feature_fraction = 0.8
    bagging_fraction = 0.8
    [model.samples]
    validation_months = 3
    embargo_months = 1
"#;

#[test]
fn test_gbdt_byte_identical_rerun_and_importance_in_report() {
    let s = spec_text(TINY_GBDT, &root());
    let a = run(&s);
    let interp = a.report.interpretation.as_ref().expect("gbdt interprets");
    assert_eq!(interp.model, "gbdt");
    assert_eq!(interp.factors.len(), 8, "every factors.csv column");
    assert!(interp.windows.len() >= 3);
    for w in &interp.windows {
        assert_eq!(w.status, "trained", "{w:?}");
        assert!(w.best_epoch >= 1 && w.best_epoch <= w.epochs && w.epochs <= 60);
        assert!(w.best_valid_loss.is_some_and(|l| l > 0.0));
        let total: f64 = w.importance.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "importance sums to 1: {total}");
    }
    let json = a.report.to_json_rounded(6);
    assert!(json.contains("\"importance\""), "report.json carries it");
    // same spec and seed (with row and feature draws) → the same bytes
    let (x, y) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    a.write(&x.path().join("run")).unwrap();
    run(&s).write(&y.path().join("run")).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(x.path().join("run"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for n in &files {
        let p = std::fs::read(x.path().join("run").join(n)).unwrap();
        let q = std::fs::read(y.path().join("run").join(n)).unwrap();
        assert!(p == q, "{n:?} differs between two runs");
    }
    let attention = std::fs::read_to_string(x.path().join("run/attention.csv")).unwrap();
    let rows = attention
        .lines()
        .filter(|l| l.contains(",importance,"))
        .count();
    assert_eq!(
        rows,
        8 * interp.windows.len(),
        "one row per window and factor"
    );
    let html = std::fs::read_to_string(x.path().join("run/report.html")).unwrap();
    assert!(html.contains("chart-importance-factors"));
    // the booster's threads do not change the trees
    let mut threaded = s.clone();
    let ModelConfig::Gbdt(g) = &mut threaded.config.model else {
        unreachable!()
    };
    g.threads = 2;
    assert_eq!(run(&threaded).scores_csv(), a.scores_csv(), "threads = 2");
    // another seed draws other rows and factors: other trees
    let mut other = s.clone();
    other.config.seed = 4;
    assert_ne!(run(&other).scores_csv(), a.scores_csv());
}

#[test]
fn test_gbdt_train_then_score_reuses_boosters_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("weights");
    let mut s = spec_text(TINY_GBDT, &root());
    let ModelConfig::Gbdt(g) = &mut s.config.model else {
        unreachable!()
    };
    g.save_weights = Some(weights.clone());
    let trained = run(&s);
    let files = std::fs::read_dir(&weights).unwrap().count();
    assert_eq!(
        files,
        trained.records.retrain_dates.len(),
        "one file per window"
    );
    let ModelConfig::Gbdt(g) = &mut s.config.model else {
        unreachable!()
    };
    g.save_weights = None;
    g.load_weights = Some(weights.clone());
    let scored = run(&s);
    assert_eq!(
        trained.scores_csv(),
        scored.scores_csv(),
        "loaded boosters score the same"
    );
    assert_eq!(trained.report.trade_hash, scored.report.trade_hash);
    let imp = |r: &alphasim::report::RunResult| -> Vec<Vec<f64>> {
        let i = r.report.interpretation.as_ref().unwrap();
        i.windows.iter().map(|w| w.importance.clone()).collect()
    };
    assert_eq!(
        imp(&trained),
        imp(&scored),
        "the importance is the booster's"
    );
    // the scores CSV drives the `file` model to the same trades
    let csv = dir.path().join("scores.csv");
    std::fs::write(&csv, trained.scores_csv()).unwrap();
    let mut f = s.clone();
    f.config.model = ModelConfig::File { path: csv };
    assert_eq!(trained.report.trade_hash, run(&f).report.trade_hash);
    // a missing booster is a clear error
    std::fs::remove_file(
        std::fs::read_dir(&weights)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap();
    let mut progress = |_: usize, _: usize| {};
    let e = alphasim::backtest(&s, &mut progress)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no booster file") && e.contains("alphasim train"),
        "{e}"
    );
}

#[test]
fn test_gbdt_spec_errors_name_the_key() {
    let bad = |extra: &str| {
        let text = TINY_GBDT.replace("rounds = 60", &format!("rounds = 60\n{extra}"));
        alphasim::spec::Spec::from_str_at(&text, &root().join("gbdt.toml"), &root())
            .unwrap_err()
            .to_string()
    };
    let e = bad("learning_rat = 0.1");
    assert!(e.contains("learning_rat") && e.contains("gbdt.toml"), "{e}");
    let e = bad("learning_rate = 0");
    assert!(
        e.contains("model.learning_rate = 0 must be in (0, 1]"),
        "{e}"
    );
    let e = bad("l2 = -1");
    assert!(e.contains("model.l2 = -1 must be ≥ 0"), "{e}");
    let e = bad("bins = 1");
    assert!(e.contains("model.bins = 1 must be at least 2"), "{e}");
}

/// Writes a market of `n` stocks over `days` weekdays with four factors
/// (AR(1), ρ = 0.9, unit variance): the next day's expected return is
/// `0.006 · fa · 1[fb > 0]` (fa matters only where fb is positive), n1 and n2
/// are noise. A linear fit recovers at best corr(fa/2, fa·1[fb > 0]) = 0.71
/// of that signal; trees can split on fb and recover all of it.
fn threshold_market(dir: &Path, n: usize, days: usize, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let rho: f64 = 0.9;
    let mut f = vec![[0f64; 4]; n];
    for x in f.iter_mut().flatten() {
        *x = rng.sample(StandardNormal);
    }
    let mut close = vec![10.0f64; n];
    let (mut bars, mut factors) = (
        String::from("date,symbol,open,high,low,close,volume\n"),
        String::from("date,symbol,fa,fb,n1,n2\n"),
    );
    let mut date = chrono::NaiveDate::from_ymd_opt(2018, 1, 1).unwrap();
    for _ in 0..days {
        while chrono::Datelike::weekday(&date).number_from_monday() > 5 {
            date = date.succ_opt().unwrap();
        }
        for i in 0..n {
            let mu = 0.006 * f[i][0] * if f[i][1] > 0.0 { 1.0 } else { 0.0 };
            let z: f64 = rng.sample(StandardNormal);
            let open = close[i];
            close[i] *= 1.0 + (mu + 0.02 * z).clamp(-0.09, 0.09);
            let (hi, lo) = (open.max(close[i]), open.min(close[i]));
            let _ = writeln!(
                bars,
                "{date},S{i:03},{open:.4},{hi:.4},{lo:.4},{:.4},100000",
                close[i]
            );
            for x in f[i].iter_mut() {
                let e: f64 = rng.sample(StandardNormal);
                *x = rho * *x + (1.0 - rho * rho).sqrt() * e;
            }
            let [a, b, c, d] = f[i];
            let _ = writeln!(factors, "{date},S{i:03},{a:.5},{b:.5},{c:.5},{d:.5}");
        }
        date = date.succ_opt().unwrap();
    }
    std::fs::write(dir.join("bars.csv"), bars).unwrap();
    std::fs::write(dir.join("factors.csv"), factors).unwrap();
}

/// With the default hyper-parameters (none tuned for this market) over three
/// seeds: gbdt's test IC exceeds linear's by more than 0.01 in each (about
/// 0.26 → 0.28; docs/gbdt.md).
#[test]
fn test_gbdt_beats_linear_on_a_planted_threshold_interaction() {
    let spec = |kind: &str| {
        format!(
            r#"
            data = "."
            seed = 1
            start = "2018-10-01"
            [schedule]
            retrain_months = 6
            [model]
            kind = "{kind}"
            horizon = 20
            [model.samples]
            every_days = 2
            "#
        )
    };
    let mut wins = Vec::new();
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        threshold_market(dir.path(), 300, 650, seed);
        let ic = |kind: &str| {
            run(&spec_text(&spec(kind), dir.path()))
                .report
                .metrics
                .ic
                .ic_mean
        };
        let (lin, gb) = (ic("linear"), ic("gbdt"));
        wins.push((seed, lin, gb));
    }
    for &(seed, lin, gb) in &wins {
        assert!(lin > 0.0, "linear recovers part of the signal: {wins:?}");
        assert!(
            gb > lin + 0.01,
            "seed {seed}: gbdt {gb} vs linear {lin}: {wins:?}"
        );
    }
}
