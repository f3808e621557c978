//! The generator's oracle scores (`oracle_scores.csv`) and the `{data}/…`
//! scores path that lets a spec replay them on any generated bundle.

use crate::common::{copy_bundle, root, run, spec_text};
use std::collections::HashMap;

fn read(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("fixture file");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Per (date, industry): residuals score − linear part, the f5 values seen,
/// and the number of listed stocks.
type Group = (Vec<f64>, Vec<f64>, usize);

/// Recomputes μ/s = 0.5f0 + 0.3f1 − 0.3f2 + 0.4f3f4 + 0.4(f5 − industry mean
/// of f5) from factors.csv and industries.csv, independently of the generator.
#[test]
fn test_oracle_scores_follow_the_planted_formula() {
    let dir = root().join("fixtures/tiny");
    // industries.csv: symbol,industry,start_date,end_date (dates ISO, so
    // string comparison is date order).
    let spells = read(&dir.join("industries.csv"));
    let industry = |sym: &str, date: &str| -> String {
        spells
            .iter()
            .find(|s| {
                s[0] == sym && s[2].as_str() <= date && (s[3].is_empty() || date <= s[3].as_str())
            })
            .map(|s| s[1].clone())
            .unwrap_or_default()
    };
    let mut factors: HashMap<(String, String), Vec<Option<f64>>> = HashMap::new();
    for r in read(&dir.join("factors.csv")) {
        let values = r[2..].iter().map(|v| v.parse::<f64>().ok()).collect();
        factors.insert((r[0].clone(), r[1].clone()), values);
    }
    let oracle = read(&dir.join("oracle_scores.csv"));
    assert!(oracle.len() > 5_000, "{} oracle rows", oracle.len());
    // Per (date, industry): the residual score − linear part must be one
    // constant, −0.4 × the mean f5 of the industry's listed stocks.
    let mut groups: HashMap<(String, String), Group> = HashMap::new();
    for r in &oracle {
        let score: f64 = r[2].parse().unwrap();
        let key = (r[0].clone(), industry(&r[1], &r[0]));
        let g = groups.entry(key).or_default();
        g.2 += 1;
        let Some(f) = factors.get(&(r[0].clone(), r[1].clone())) else {
            continue;
        };
        if let Some(f5) = f[5] {
            g.1.push(f5);
        }
        if f[..6].iter().all(Option::is_some) {
            let f: Vec<f64> = f[..6].iter().map(|v| v.unwrap()).collect();
            let part = 0.5 * f[0] + 0.3 * f[1] - 0.3 * f[2] + 0.4 * f[3] * f[4] + 0.4 * f[5];
            g.0.push(score - part);
        }
    }
    let mut exact = 0;
    for ((date, ind), (residuals, f5, listed)) in &groups {
        let first = residuals[0];
        for r in residuals {
            assert!(
                (r - first).abs() < 2e-9,
                "{date} {ind}: residuals {first} vs {r}"
            );
        }
        if f5.len() == *listed {
            let mean = f5.iter().sum::<f64>() / f5.len() as f64;
            assert!(
                (first + 0.4 * mean).abs() < 2e-9,
                "{date} {ind}: {first} vs −0.4·{mean}"
            );
            exact += 1;
        }
    }
    assert!(
        exact > groups.len() / 2,
        "{exact} of {} groups fully observed",
        groups.len()
    );
}

#[test]
fn test_data_relative_scores_path_follows_the_bundle() {
    let text = "data = \"fixtures/tiny\"\nindex = \"synth\"\nstart = \"2015-07-01\"\n\
                [model]\nkind = \"file\"\npath = \"{data}/oracle_scores.csv\"\n";
    let spec = spec_text(text, &root());
    let alphasim::spec::ModelConfig::File { path } = &spec.config.model else {
        panic!("file model");
    };
    assert_eq!(path, &root().join("fixtures/tiny/oracle_scores.csv"));
    let copy = copy_bundle(&root().join("fixtures/tiny"));
    let moved = spec.clone().with_data_dir(copy.path().to_path_buf());
    let alphasim::spec::ModelConfig::File { path } = &moved.config.model else {
        panic!("file model");
    };
    assert_eq!(path, &copy.path().join("oracle_scores.csv"));
    // Replayed from the moved bundle, the oracle gives the same run as the
    // spec with the file's path written out; its IC is positive.
    let oracle = run(&moved);
    let explicit = run(&spec_text(
        &text.replace("{data}", &copy.path().display().to_string()),
        &root(),
    ));
    assert_eq!(oracle.report.metrics, explicit.report.metrics);
    assert!(
        oracle.report.metrics.ic.ic_mean > 0.02,
        "{:?}",
        oracle.report.metrics.ic
    );
}
