//! Unit tests of `gbdt`: one-round stumps against a brute-force split search
//! written here, the L2 leaf rule by hand, and the early-stopping choice
//! against validation MSEs recomputed from the trees.

use super::*;

/// A small deterministic design: `n` rows, `m` columns of values on a grid
/// of 1/8 (so every value is its own histogram bin), a label that depends on
/// column 1 through a step, plus a deterministic wiggle.
fn design(n: usize, m: usize, seed: u64) -> Design {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) % 64) as f64 / 8.0 - 4.0
    };
    let mut x = vec![0.0; n * m];
    for v in x.iter_mut() {
        *v = next();
    }
    let y = (0..n)
        .map(|i| {
            let step = if x[n + i] > 0.5 { 2.0 } else { -1.0 };
            step + 0.25 * next()
        })
        .collect();
    Design {
        x,
        y,
        rows: n,
        cols: m,
    }
}

fn stump_cfg(min_data: usize, l2: f64) -> GbdtConfig {
    let mut c: GbdtConfig = toml::from_str("").unwrap();
    c.learning_rate = 1.0;
    c.rounds = 1;
    c.leaves = 2;
    c.max_depth = 1;
    c.min_data_in_leaf = min_data;
    c.l2 = l2;
    c.early_stopping_rounds = 0;
    c
}

/// The least-squares stump by exhaustive search: for every column and every
/// cut between two consecutive distinct values with at least `min_data` rows
/// on each side, the two-mean fit with the lowest squared error. Returns the
/// prediction of every row.
fn brute_force_stump(d: &Design, min_data: usize) -> (usize, Vec<f64>) {
    let mut best: Option<(f64, usize, f64)> = None;
    for j in 0..d.cols {
        let col = &d.x[j * d.rows..(j + 1) * d.rows];
        let mut cuts: Vec<f64> = col.to_vec();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        for w in cuts.windows(2) {
            let cut = (w[0] + w[1]) / 2.0;
            let (l, r): (Vec<f64>, Vec<f64>) = (0..d.rows).map(|i| (col[i] < cut, d.y[i])).fold(
                (vec![], vec![]),
                |(mut l, mut r), (left, y)| {
                    if left {
                        l.push(y)
                    } else {
                        r.push(y)
                    }
                    (l, r)
                },
            );
            if l.len() < min_data || r.len() < min_data {
                continue;
            }
            let sse = |v: &[f64]| {
                let m = v.iter().sum::<f64>() / v.len() as f64;
                v.iter().map(|y| (y - m).powi(2)).sum::<f64>()
            };
            let e = sse(&l) + sse(&r);
            if best.is_none_or(|b| e < b.0 - 1e-12) {
                best = Some((e, j, cut));
            }
        }
    }
    let (_, j, cut) = best.expect("a valid split");
    let col = &d.x[j * d.rows..(j + 1) * d.rows];
    let mean = |left: bool| {
        let v: Vec<f64> = (0..d.rows)
            .filter(|&i| (col[i] < cut) == left)
            .map(|i| d.y[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (ml, mr) = (mean(true), mean(false));
    (
        j,
        (0..d.rows)
            .map(|i| if col[i] < cut { ml } else { mr })
            .collect(),
    )
}

#[test]
fn test_one_round_stump_matches_brute_force_split_search() {
    for (seed, min_data) in [(1, 1), (2, 5), (3, 15)] {
        let d = design(60, 3, seed);
        let f = fit_window(&stump_cfg(min_data, 0.0), &d, &Design::default(), 1).unwrap();
        assert_eq!(f.rounds, 1);
        let got = f.booster.predict(&d.matrix(), false);
        let (j, want) = brute_force_stump(&d, min_data);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "seed {seed}: {g} vs {w}");
        }
        // one split: all the gain on its column
        let imp = gain_importance(&f.booster, 3);
        let mut expected = vec![0.0; 3];
        expected[j] = 1.0;
        assert_eq!(imp, expected, "seed {seed}");
    }
}

#[test]
fn test_l2_shrinks_each_leaf_by_its_count() {
    // With λ the leaf value is Σ(y − base)/(n_leaf + λ): λ = 20 on leaves of
    // known size shrinks each leaf mean (relative to the base, the mean of y).
    let d = design(60, 3, 4);
    let lambda = 20.0;
    let f = fit_window(&stump_cfg(1, lambda), &d, &Design::default(), 1).unwrap();
    let got = f.booster.predict(&d.matrix(), false);
    let (_, unpenalised) = brute_force_stump(&d, 1);
    let base = d.y.iter().sum::<f64>() / d.rows as f64;
    // rows sharing an unpenalised prediction form a leaf
    let mut leaves: Vec<(f64, usize)> = Vec::new();
    for p in &unpenalised {
        match leaves.iter_mut().find(|l| (l.0 - p).abs() < 1e-12) {
            Some(l) => l.1 += 1,
            None => leaves.push((*p, 1)),
        }
    }
    assert_eq!(leaves.len(), 2);
    for (g, p) in got.iter().zip(&unpenalised) {
        let n = leaves.iter().find(|l| (l.0 - p).abs() < 1e-12).unwrap().1 as f64;
        let want = base + (p - base) * n / (n + lambda);
        assert!((g - want).abs() < 1e-5, "{g} vs {want}");
    }
}

#[test]
fn test_early_stopping_keeps_the_round_with_the_lowest_validation_mse() {
    let train = design(400, 4, 5);
    let valid = design(200, 4, 6);
    let mut cfg: GbdtConfig = toml::from_str("").unwrap();
    cfg.learning_rate = 0.3;
    cfg.rounds = 200;
    cfg.early_stopping_rounds = 10;
    cfg.min_data_in_leaf = 5;
    cfg.refit = false;
    // the same boosting without stopping, to recompute every round's MSE
    let mut full = booster(&cfg, cfg.rounds, 9);
    full.fit_unweighted(&train.matrix(), &train.y, None)
        .unwrap();
    let mut pred = vec![full.base_score; valid.rows];
    let mut mse = Vec::new();
    for t in &full.trees {
        for (p, v) in pred
            .iter_mut()
            .zip(t.predict(&valid.matrix(), false, &f64::NAN))
        {
            *p += v;
        }
        let e = pred
            .iter()
            .zip(&valid.y)
            .map(|(p, y)| (p - y).powi(2))
            .sum::<f64>();
        mse.push(e / valid.rows as f64);
    }
    // LightGBM's rule: stop once `early_stopping_rounds` rounds passed the best
    let mut best = 0;
    let mut run = mse.len();
    for (i, e) in mse.iter().enumerate() {
        if *e < mse[best] {
            best = i;
        } else if i - best >= cfg.early_stopping_rounds {
            run = i + 1;
            break;
        }
    }
    let f = fit_window(&cfg, &train, &valid, 9).unwrap();
    assert!(
        best + 1 < cfg.rounds,
        "the case must stop early (best {best})"
    );
    assert_eq!((f.rounds, f.rounds_run), (best + 1, run));
    assert!((f.valid_mse.unwrap() - mse[best]).abs() < 1e-9);
    // without refit the kept model is the first `rounds` trees
    let kept = f.booster.predict(&valid.matrix(), false);
    let mut first = booster(&cfg, best + 1, 9);
    first
        .fit_unweighted(&train.matrix(), &train.y, None)
        .unwrap();
    assert_eq!(kept, first.predict(&valid.matrix(), false));
    // with refit: a booster of the chosen rounds on training + validation rows
    cfg.refit = true;
    let r = fit_window(&cfg, &train, &valid, 9).unwrap();
    assert_eq!(r.booster.trees.len(), best + 1);
    let all = Design::concat(&train, &valid);
    let mut direct = booster(&cfg, best + 1, 9);
    direct.fit_unweighted(&all.matrix(), &all.y, None).unwrap();
    assert_eq!(
        r.booster.predict(&valid.matrix(), false),
        direct.predict(&valid.matrix(), false)
    );
}

#[test]
fn test_design_concat_keeps_columns_aligned() {
    let a = Design {
        x: vec![1.0, 2.0, 10.0, 20.0],
        y: vec![0.1, 0.2],
        rows: 2,
        cols: 2,
    };
    let b = Design {
        x: vec![3.0, 30.0],
        y: vec![0.3],
        rows: 1,
        cols: 2,
    };
    let c = Design::concat(&a, &b);
    assert_eq!(c.x, vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0]);
    assert_eq!(c.y, vec![0.1, 0.2, 0.3]);
    assert_eq!((c.rows, c.cols), (3, 2));
}
