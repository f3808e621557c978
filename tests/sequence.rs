//! The sequence models `gru` and `alstm` end to end on fixtures/tiny:
//! byte-identical reruns, save → load → identical scores and trades, the
//! scores CSV replayed by the `file` model, and the window interpretation.

use crate::common::{root, run, spec_text};
use alphasim::spec::{ModelConfig, Spec};

/// The default spec with a small sequence model (window 10, hidden 8).
fn seq_spec(kind: &str) -> Spec {
    let text = std::fs::read_to_string(root().join("strategies/default.toml"))
        .unwrap()
        .replace(
            "kind = \"dmfm\"\nhidden = 16",
            &format!("kind = \"{kind}\"\nwindow = 10\nhidden = 8\nlayers = 2"),
        )
        .replace("epochs = 20", "epochs = 3");
    assert!(text.contains(&format!("kind = \"{kind}\"")));
    spec_text(&text, &root().join("strategies"))
}

fn weight_dirs(s: &mut Spec) -> [&mut Option<std::path::PathBuf>; 2] {
    s.config.model.weight_dirs_mut().expect("a learned model")
}

#[test]
fn test_sequence_models_rerun_save_load_and_replay() {
    for kind in ["gru", "alstm"] {
        let dir = tempfile::tempdir().unwrap();
        let weights = dir.path().join("weights");
        let mut s = seq_spec(kind);
        *weight_dirs(&mut s)[1] = Some(weights.clone());
        let trained = run(&s);
        assert_eq!(trained.report.run.model, kind);
        assert!(
            trained.report.metrics.ic.ic_mean.is_finite(),
            "{kind} scores"
        );
        let interp = trained.report.interpretation.as_ref().unwrap();
        assert!(interp.windows.iter().any(|w| w.status == "trained"));
        let files = std::fs::read_dir(&weights).unwrap().count();
        assert_eq!(
            files,
            trained.records.retrain_dates.len(),
            "{kind}: one file per window"
        );
        // a rerun writes the same bytes
        let again = run(&s);
        assert_eq!(trained.scores_csv(), again.scores_csv(), "{kind}: rerun");
        assert_eq!(trained.report.trade_hash, again.report.trade_hash);
        // loaded weights score the same
        let [load, save] = weight_dirs(&mut s);
        *save = None;
        *load = Some(weights);
        let scored = run(&s);
        assert_eq!(trained.scores_csv(), scored.scores_csv(), "{kind}: loaded");
        assert_eq!(trained.report.trade_hash, scored.report.trade_hash);
        // the scores CSV drives the `file` model to the same trades
        let csv = dir.path().join("scores.csv");
        std::fs::write(&csv, trained.scores_csv()).unwrap();
        s.config.model = ModelConfig::File { path: csv };
        assert_eq!(run(&s).report.trade_hash, trained.report.trade_hash);
    }
}

/// A spec error names the key and the fix.
#[test]
fn test_sequence_spec_errors() {
    let text = "data = \"../fixtures/tiny\"\n[model]\nkind = \"gru\"\nwindow = 1\n";
    let err = alphasim::spec::Spec::from_str_at(
        text,
        &root().join("strategies/x.toml"),
        &root().join("strategies"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("model.window = 1 must be at least 2"), "{err}");
    let text = "data = \"../fixtures/tiny\"\n[model]\nkind = \"alstm\"\nhorizons = [5]\nscore_horizon = 20\n";
    let err = alphasim::spec::Spec::from_str_at(
        text,
        &root().join("strategies/x.toml"),
        &root().join("strategies"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("score_horizon = 20 is not one of"), "{err}");
}
