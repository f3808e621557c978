//! Seed ensembles (`[model.train] seeds = N`): the ensemble's scores are the
//! mean of its members' per-date z-scored scores, where each member is the
//! one-seed run with its seed — recomputed here from those runs' scores.csv.

use crate::common::{root, run, spec_text};
use std::collections::BTreeMap;

/// The bundled default with the `mlp` (fast), 6 epochs, and `train` lines.
fn mlp_spec(train: &str) -> alphasim::spec::Spec {
    let text = std::fs::read_to_string(root().join("strategies/default.toml"))
        .unwrap()
        .replace("kind = \"dmfm\"", "kind = \"mlp\"")
        .replace("epochs = 20", &format!("epochs = 6\n{train}"));
    spec_text(&text, &root().join("strategies"))
}

/// date → [(symbol, score)] in file order.
fn parse(csv: &str) -> BTreeMap<String, Vec<(String, f64)>> {
    let mut out: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let v = f[2].parse::<f64>().unwrap_or(f64::NAN);
        out.entry(f[0].to_owned())
            .or_default()
            .push((f[1].to_owned(), v));
    }
    out
}

fn zscores(v: &[f64]) -> Vec<f64> {
    let present: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let m = present.iter().sum::<f64>() / present.len() as f64;
    let sd = (present.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / present.len() as f64).sqrt();
    v.iter().map(|x| (x - m) / sd).collect()
}

#[test]
fn test_seed_ensemble_is_the_mean_of_its_members_zscores() {
    let a = parse(&run(&mlp_spec("seed = 42")).scores_csv());
    let b = parse(&run(&mlp_spec("seed = 43")).scores_csv());
    let e = parse(&run(&mlp_spec("seed = 42\nseeds = 2")).scores_csv());
    assert_ne!(a, b, "the two seeds train different models");
    let mut checked = 0;
    for (date, rows) in &e {
        let (ra, rb) = (&a[date], &b[date]);
        let sa: Vec<f64> = ra.iter().map(|r| r.1).collect();
        let sb: Vec<f64> = rb.iter().map(|r| r.1).collect();
        if sa.iter().all(|x| x.is_nan()) {
            assert!(rows.iter().all(|r| r.1.is_nan()), "{date}: no model yet");
            continue;
        }
        let (za, zb) = (zscores(&sa), zscores(&sb));
        for (i, (sym, v)) in rows.iter().enumerate() {
            assert_eq!(*sym, ra[i].0);
            let expected = (za[i] + zb[i]) / 2.0;
            assert!(
                (v - expected).abs() < 1e-12,
                "{date} {sym}: {v} vs {expected}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked} scores checked");
}
