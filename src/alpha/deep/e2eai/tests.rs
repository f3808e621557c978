//! The E2EAI network and model: shapes, a closed gate switching its factor
//! off, the fused ops against the plain ones (outputs and every gradient),
//! the interpretation's fit numbers, and save → load → identical scores.

use super::*;
use crate::spec::SpecConfig;

fn config(extra: &str) -> DeepConfig {
    let text = format!(
        "data = \".\"\n[model]\nkind = \"e2eai\"\nhidden = 8\nhorizons = [1, 2]\nscore_horizon = 2\n{extra}"
    );
    let c: SpecConfig = toml::from_str(&text).expect("valid spec");
    match c.model {
        crate::spec::ModelConfig::E2eai(d) => d,
        _ => unreachable!("e2eai"),
    }
}

fn sample(n: usize, m: usize, shift: f32) -> Sample {
    Sample {
        day: crate::data::DayIndex(0),
        date: Date::from_ymd_opt(2020, 1, 2).expect("a date"),
        symbols: (0..n as u32).map(SymbolId).collect(),
        x: (0..n * m)
            .map(|i| ((i * 5 % 7) as f32 - 3.0) / 2.0 + shift + (i % 3) as f32 * 0.1)
            .collect(),
        group: (0..n as u32).map(|i| i / 3).collect(),
    }
}

fn names(m: usize) -> Vec<String> {
    (0..m).map(|i| format!("f{i}")).collect()
}

fn set_gates(model: &E2eaiModel, mu: &[f32]) {
    let t = Tensor::from_vec(mu.to_vec(), mu.len(), &Device::Cpu).unwrap();
    model.gate_var().set(&t).unwrap();
}

#[test]
fn test_common_rows_by_symbol() {
    let (a, b) = common_rows(
        &[SymbolId(5), SymbolId(2), SymbolId(9)],
        &[SymbolId(9), SymbolId(1), SymbolId(5)],
    );
    assert_eq!((a, b), (vec![0, 2], vec![2, 0]));
}

#[test]
fn test_fit_quality_is_scale_free_and_signed() {
    let h = vec![0.1, -0.4, 0.3, 0.0];
    let scaled: Vec<f64> = h.iter().map(|x| 50.0 * x + 3.0).collect();
    let flipped: Vec<f64> = h.iter().map(|x| -0.01 * x).collect();
    let fit = interpret::fit_quality(&[(scaled, h.clone())]);
    assert!((fit.r2_fit - 1.0).abs() < 1e-12 && (fit.corr - 1.0).abs() < 1e-12);
    // raw: 1 − Σ(49h + 3)² / Σ(50h̃)² with Σh = 0, Σh² = 0.26 → 1 − 660.26/650
    assert!(
        (fit.r2 - (1.0 - (49.0f64.powi(2) * 0.26 + 36.0) / 650.0)).abs() < 1e-12,
        "the raw R² is not scale-free: {}",
        fit.r2
    );
    let fit = interpret::fit_quality(&[(flipped, h.clone())]);
    assert!((fit.r2_fit - 1.0).abs() < 1e-12 && (fit.corr + 1.0).abs() < 1e-12);
    // identical on one date, another series on the other: pooled sums by hand
    let other = vec![0.4, 0.1, 0.0, -0.5];
    let fit = interpret::fit_quality(&[(h.clone(), h.clone()), (other.clone(), h.clone())]);
    let dm = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| x - m).collect::<Vec<_>>()
    };
    let (a, b) = (dm(&h), dm(&other));
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>();
    // Σf̂̃² = 2·Σã² (f̂ = h on both dates)
    let corr =
        (dot(&a, &a) + dot(&b, &a)) / ((dot(&a, &a) + dot(&b, &b)) * 2.0 * dot(&a, &a)).sqrt();
    assert!((fit.corr - corr).abs() < 1e-12, "{} vs {corr}", fit.corr);
    assert!((fit.r2_fit - corr * corr).abs() < 1e-12);
    // raw: date 1 fits exactly; date 2 leaves Σ(other − h)² over Σ(ã² + b̃²)
    let res: f64 = other.iter().zip(&h).map(|(x, y)| (x - y) * (x - y)).sum();
    let want = 1.0 - res / (dot(&a, &a) + dot(&b, &b));
    assert!((fit.r2 - want).abs() < 1e-12, "{} vs {want}", fit.r2);
}

#[test]
fn test_shapes_and_gates_clamp() {
    let model = E2eaiModel::new(config(""), (0..3).collect(), names(3), 1).unwrap();
    let s = sample(9, 3, 0.0);
    let x = super::super::layers::matrix(&s.x, 9, 3, &Device::Cpu).unwrap();
    let out = model.net.forward(&x, &s.blocks(), None, false).unwrap();
    assert_eq!(out.f.dims(), &[9, 2]);
    assert_eq!(out.fhat.dims(), &[9, 2]);
    assert_eq!(out.attention.dims(), &[2, 3]);
    let g: Vec<f32> = model.net.gates().unwrap().to_vec1().unwrap();
    assert_eq!(g, vec![0.5; 3], "every gate starts at gate_init");
    set_gates(&model, &[-0.3, 0.4, 1.7]);
    let g: Vec<f32> = model.net.gates().unwrap().to_vec1().unwrap();
    assert_eq!(g, vec![0.0, 0.4, 1.0]);
}

/// With gate 1 at 0 the scores do not depend on factor 1 (at scoring and
/// in training mode, where BatchNorm uses the batch's statistics); with it
/// open they do.
#[test]
fn test_a_closed_gate_switches_its_factor_off() {
    let model = E2eaiModel::new(config(""), (0..3).collect(), names(3), 4).unwrap();
    let s = sample(9, 3, 0.2);
    let mut t = s.clone();
    for r in 0..9 {
        t.x[r * 3 + 1] = (r as f32 * 1.7).sin() * 2.0;
    }
    let f = |model: &E2eaiModel, s: &Sample, train: bool| -> Vec<f32> {
        let x = super::super::layers::matrix(&s.x, 9, 3, &Device::Cpu).unwrap();
        let out = model.net.forward(&x, &s.blocks(), None, train).unwrap();
        out.f.flatten_all().unwrap().to_vec1().unwrap()
    };
    set_gates(&model, &[0.8, -0.2, 1.3]);
    for train in [false, true] {
        assert_eq!(
            f(&model, &s, train),
            f(&model, &t, train),
            "train = {train}"
        );
    }
    set_gates(&model, &[0.8, 0.6, 1.3]);
    assert_ne!(f(&model, &s, false), f(&model, &t, false));
}

/// The network with the fused GAT and signed-attention ops against plain
/// candle ops: outputs and the gradient of every variable (gate means
/// inside (0, 1), where the clamp passes gradients).
#[test]
fn test_fused_network_matches_plain_forward_and_gradients() {
    let (m, n) = (4, 11);
    let s = Sample {
        group: vec![0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 3],
        ..sample(n, m, 0.1)
    };
    let x = super::super::layers::matrix(&s.x, n, m, &Device::Cpu).unwrap();
    let r = (0..n * 2)
        .map(|i| ((i * 7 % 5) as f32 - 2.0) / 3.0)
        .collect::<Vec<_>>();
    let r = Tensor::from_vec(r, (n, 2), &Device::Cpu).unwrap();
    let model = E2eaiModel::new(config(""), (0..m).collect(), names(m), 2).unwrap();
    set_gates(&model, &[0.3, 0.7, 0.5, 0.9]);
    let plain = model.net.clone().with_plain_ops();
    let run = |net: &net::Net| {
        let o = net.forward(&x, &s.blocks(), None, false).unwrap();
        let l = ((&o.f * &r).unwrap().sum_all().unwrap()
            + (&o.fhat * &r).unwrap().sum_all().unwrap())
        .unwrap();
        (o.f, o.fhat, l.backward().unwrap())
    };
    let (fa, ha, ga) = run(&model.net);
    let (fb, hb, gb) = run(&plain);
    let diff = |a: &Tensor, b: &Tensor| {
        let (a, b): (Vec<f32>, Vec<f32>) = (
            a.flatten_all().unwrap().to_vec1().unwrap(),
            b.flatten_all().unwrap().to_vec1().unwrap(),
        );
        let scale = b.iter().fold(1e-6f32, |s, v| s.max(v.abs()));
        a.iter()
            .zip(&b)
            .fold(0f32, |d, (p, q)| d.max((p - q).abs() / scale))
    };
    assert!(diff(&fa, &fb) < 1e-5 && diff(&ha, &hb) < 1e-5);
    for (name, v) in weights::sorted_vars(&model.varmap) {
        if name.contains("running") {
            continue;
        }
        let (a, b) = (ga.get(v.as_tensor()), gb.get(v.as_tensor()));
        let (a, b) = (a.expect(&name), b.expect(&name));
        assert!(diff(a, b) < 1e-4, "∂{name} differs by {}", diff(a, b));
    }
}

fn toy_batches(model: &E2eaiModel, count: usize) -> Vec<Batch> {
    let mut store = SampleStore::default();
    let mut labelled = Vec::new();
    for i in 0..count {
        store.samples.push(sample(9, 3, i as f32 * 0.1));
        let r: Vec<f32> = (0..18)
            .map(|j| ((j * (i + 3) % 5) as f32 - 2.0) * 0.01)
            .collect();
        labelled.push(Labelled {
            sample: i,
            returns: r,
        });
    }
    model.prepare(&store, &labelled).unwrap()
}

#[test]
fn test_save_load_identical_scores_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = E2eaiModel::new(config(""), (0..3).collect(), names(3), 1).unwrap();
    let batches = toy_batches(&a, 6);
    let date = Date::from_ymd_opt(2020, 1, 2).unwrap();
    let (_, best, _) = a.train(&batches[..4], &batches[4..], date, 1).unwrap();
    assert!(best >= 1);
    let path = dir.path().join("e2eai.safetensors");
    a.save(&path).unwrap();
    let mut b = E2eaiModel::new(config(""), (0..3).collect(), names(3), 99).unwrap();
    let s = sample(8, 3, 0.3);
    assert_ne!(a.score_sample(&s).unwrap(), b.score_sample(&s).unwrap());
    b.load(&path).unwrap();
    assert_eq!(a.score_sample(&s).unwrap(), b.score_sample(&s).unwrap());
    let again = dir.path().join("again.safetensors");
    b.save(&again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
    // training is deterministic for a seed (gate noise included)
    let mut c = E2eaiModel::new(config(""), (0..3).collect(), names(3), 1).unwrap();
    c.train(&batches[..4], &batches[4..], date, 1).unwrap();
    assert_eq!(a.score_sample(&s).unwrap(), c.score_sample(&s).unwrap());
}

#[test]
fn test_spec_checks_name_the_e2eai_keys() {
    let check = |extra: &str, kind: &str| {
        let text = format!("data = \".\"\n[model]\nkind = \"{kind}\"\n{extra}");
        let p = std::path::Path::new("t.toml");
        crate::spec::Spec::from_str_at(&text, p, std::path::Path::new("."))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(check("[model.e2eai]\nturnover = 0.5\n", "e2eai").is_ok());
    let e = check("[model.e2eai]\ntemperature = 0.0\n", "e2eai").unwrap_err();
    assert!(e.contains("model.e2eai.temperature"), "{e}");
    let e = check("[model.e2eai]\nturnover = 0.5\n", "dmfm").unwrap_err();
    assert!(e.contains("only for kind = \"e2eai\""), "{e}");
    let e = check("[model.loss]\nicir = 0.0\n", "e2eai").unwrap_err();
    assert!(e.contains("[model.e2eai]"), "{e}");
    let e = check("head_activation = \"linear\"\n", "e2eai").unwrap_err();
    assert!(e.contains("always has linear"), "{e}");
}
