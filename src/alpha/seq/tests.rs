//! The networks (shapes, fused against the plain composition for every
//! weight's gradient), the seeded init and save → load of the models.

use super::*;
use crate::spec::{ModelConfig, SpecConfig};
use candle_core::Var;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn seq_config(kind: &str) -> SeqConfig {
    let text = format!(
        "data = \".\"\n[model]\nkind = \"{kind}\"\nwindow = 6\nhidden = 8\nhorizons = [1, 2]\nscore_horizon = 2\n"
    );
    let c: SpecConfig = toml::from_str(&text).expect("valid spec");
    match c.model {
        ModelConfig::Gru(q) | ModelConfig::Alstm(q) => q,
        _ => unreachable!("a sequence kind"),
    }
}

fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

#[test]
fn test_spec_defaults() {
    let c: SpecConfig = toml::from_str("data = \".\"\n[model]\nkind = \"alstm\"\n").unwrap();
    let ModelConfig::Alstm(q) = c.model else {
        panic!("alstm")
    };
    assert_eq!((q.window, q.hidden, q.layers, q.dense), (60, None, 2, 10));
    assert!(q.factors.is_empty());
    assert_eq!(SeqArch::Gru.default_hidden(), 50);
    assert_eq!(SeqArch::Alstm.default_hidden(), 64);
}

/// Both networks: output n × K, and the fused network's output and the
/// gradient of every variable match the plain candle composition.
#[test]
fn test_fused_network_matches_plain() {
    for arch in [SeqArch::Gru, SeqArch::Alstm] {
        let map = VarMap::new();
        let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
        let sizes = SeqSizes {
            features: 5,
            hidden: 6,
            layers: 2,
            dense: 4,
            heads: 3,
        };
        let net = SeqNet::new(arch, sizes, vb).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let vars = train::sorted_vars(&map);
        for (_, v) in &vars {
            v.set(&random(&mut rng, v.dims(), 0.7)).unwrap();
        }
        let x = Var::from_tensor(&random(&mut rng, &[8, 11, 5], 1.5)).unwrap();
        let lw = random(&mut rng, &[11, 3], 1.0);
        let run = |fused: bool| {
            let f = net.forward(x.as_tensor(), true, fused).unwrap();
            let g = (&f * &lw).unwrap().sum_all().unwrap().backward().unwrap();
            (f, g)
        };
        let ((ff, gf), (fp, gp)) = (run(true), run(false));
        assert_eq!(ff.dims(), &[11, 3]);
        let diff = |a: &Tensor, b: &Tensor| {
            let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
            let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
            let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
            a.iter()
                .zip(&b)
                .fold(0f32, |m, (p, q)| m.max((p - q).abs() / scale))
        };
        assert!(diff(&ff, &fp) < 1e-5, "{arch:?} output");
        assert!(vars.len() >= 7);
        for (name, v) in vars.iter().map(|(n, v)| (n.as_str(), v.as_tensor())) {
            let d = diff(gf.get(v).unwrap(), gp.get(v).unwrap());
            assert!(d < 1e-4, "{arch:?} ∂{name} differs by {d}");
        }
        let d = diff(
            gf.get(x.as_tensor()).unwrap(),
            gp.get(x.as_tensor()).unwrap(),
        );
        assert!(d < 1e-4, "{arch:?} ∂x differs by {d}");
    }
}

/// A history of 12 days of 7 stocks, every stock traded every day.
fn history(model: &mut SeqModel) -> Vec<SymbolId> {
    let syms: Vec<SymbolId> = (0..7).map(SymbolId).collect();
    for d in 0..12u32 {
        for &s in &syms {
            let c = 10.0 + s.0 as f32 + (d as f32 * 0.5 + s.0 as f32).sin();
            let raw = [c, c * 0.99, c * 1.01, c * 0.98, c, 1000.0 + 37.0 * d as f32];
            model.history.push(DayIndex(d), s, &raw, true);
        }
    }
    syms
}

#[test]
fn test_init_is_seeded_and_save_load_gives_identical_scores() {
    for kind in ["gru", "alstm"] {
        let arch = if kind == "gru" {
            SeqArch::Gru
        } else {
            SeqArch::Alstm
        };
        let new = |seed| SeqModel::new(arch, seq_config(kind), vec![], vec![], seed).unwrap();
        let (mut a, mut b, mut c) = (new(7), new(7), new(8));
        let syms = history(&mut a);
        history(&mut b);
        history(&mut c);
        let t = DayIndex(11);
        let (sa, sb, sc) = (
            a.score_at(t, &syms).unwrap(),
            b.score_at(t, &syms).unwrap(),
            c.score_at(t, &syms).unwrap(),
        );
        assert_eq!(sa.len(), 7);
        assert_eq!(sa, sb, "{kind}: same seed, same scores");
        assert_ne!(sa, sc, "{kind}: another seed, other weights");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        a.save(&path).unwrap();
        c.load(&path).unwrap();
        assert_eq!(c.score_at(t, &syms).unwrap(), sa, "{kind}: loaded weights");
        let err = c.load(&dir.path().join("missing.safetensors")).unwrap_err();
        assert!(err.to_string().contains("alphasim train"), "{err}");
    }
}
