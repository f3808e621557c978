//! The learned models' sample settings on a real run: the input rule
//! (`[model.samples] inputs`: `rank_gauss` makes a model blind to monotone
//! recodings of its factors, which `zscore` is not) and the training
//! universe (`[model.samples] universe`).

use crate::common::{copy_bundle, root, run, spec_text};
use crate::lookahead::rewrite;

/// Weekly walk-forward `linear` on f0..f3 of fixtures/tiny with `inputs`.
fn linear_spec(inputs: &str) -> String {
    format!(
        r#"
        data = "."
        index = "synth"
        start = "2015-04-01"
        [schedule]
        rebalance = "weekly"
        retrain_months = 2
        [model]
        kind = "linear"
        horizon = 5
        factors = ["f0", "f1", "f2", "f3"]
        [model.samples]
        validation_months = 1
        embargo_months = 0
        inputs = "{inputs}"
    "#
    )
}

/// A copy of fixtures/tiny with f0 → exp(3·f0) and f1 → sinh(2·f1)
/// (strictly increasing codings, so every per-date order and tie is kept).
fn recoded() -> tempfile::TempDir {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    rewrite(&dir.path().join("factors.csv"), |header, mut fields| {
        let f0 = header.iter().position(|h| h == "f0").unwrap();
        let f1 = header.iter().position(|h| h == "f1").unwrap();
        for (j, code) in [(f0, 0), (f1, 1)] {
            if let Ok(x) = fields[j].parse::<f64>() {
                let y = if code == 0 {
                    (3.0 * x).exp()
                } else {
                    (2.0 * x).sinh()
                };
                fields[j] = format!("{y:.17e}");
            }
        }
        Some(fields)
    });
    dir
}

#[test]
fn test_rank_gauss_inputs_ignore_monotone_recodings() {
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let coded = recoded();
    let scores = |inputs: &str, dir: &tempfile::TempDir| {
        run(&spec_text(&linear_spec(inputs), dir.path())).scores_csv()
    };
    let a = scores("rank_gauss", &original);
    assert!(a.lines().count() > 100, "the run scores");
    assert_eq!(
        a,
        scores("rank_gauss", &coded),
        "rank_gauss sees only ranks"
    );
    assert_ne!(
        scores("zscore", &original),
        scores("zscore", &coded),
        "z-scores see the coding"
    );
    assert_ne!(a, scores("robust", &original), "robust is another rule");
}

/// The symbols of fixtures/tiny that are never in the index.
fn never_members() -> Vec<String> {
    let root = root().join("fixtures/tiny");
    let members: std::collections::BTreeSet<String> =
        std::fs::read_to_string(root.join("constituents.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect();
    let all: std::collections::BTreeSet<String> = std::fs::read_to_string(root.join("bars.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .collect();
    all.difference(&members).cloned().collect()
}

/// `samples.universe = "listed"` trains on stocks outside the index: scrambling
/// the factors of never-member stocks changes its scores (of members only), but
/// not the scores of the default, which trains on members only.
#[test]
fn test_listed_training_universe_uses_non_members() {
    let outsiders = never_members();
    assert!(
        outsiders.len() >= 3,
        "the fixture has non-members: {outsiders:?}"
    );
    let scrambled = copy_bundle(&root().join("fixtures/tiny"));
    rewrite(&scrambled.path().join("factors.csv"), |_, mut fields| {
        if outsiders.contains(&fields[1]) {
            for f in fields.iter_mut().skip(2) {
                if let Ok(x) = f.parse::<f64>() {
                    *f = format!("{}", -3.0 * x + 1.0);
                }
            }
        }
        Some(fields)
    });
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let listed = linear_spec("zscore").replace(
        "inputs = \"zscore\"",
        "inputs = \"zscore\"\n        universe = \"listed\"",
    );
    let scores =
        |text: &str, dir: &tempfile::TempDir| run(&spec_text(text, dir.path())).scores_csv();
    let index = linear_spec("zscore");
    assert_eq!(scores(&index, &original), scores(&index, &scrambled));
    let (a, b) = (scores(&listed, &original), scores(&listed, &scrambled));
    assert_ne!(a, b, "the listed model learns from the outsiders");
    for l in a.lines().skip(1) {
        let sym = l.split(',').nth(1).unwrap();
        assert!(
            !outsiders.iter().any(|o| o == sym),
            "it scores members only: {l}"
        );
    }
    assert_ne!(a, scores(&index, &original));
}
