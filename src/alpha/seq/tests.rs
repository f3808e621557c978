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

/// Fixed inputs per date, for `train::step`.
struct FixedDates<'a> {
    net: &'a SeqNet,
    xs: Vec<Tensor>,
    returns: Vec<Tensor>,
}

impl train::Dates for FixedDates<'_> {
    fn output(&self, _train: bool, i: usize, grad: bool) -> Result<Tensor> {
        let f = self
            .net
            .forward(&self.xs[i], grad, true)
            .map_err(candle_err)?;
        Ok(if grad { f } else { f.detach() })
    }
    fn returns(&self, _train: bool, i: usize) -> Tensor {
        self.returns[i].clone()
    }
}

/// A batch of several dates is stepped date by date (detached outputs for
/// the coupled loss, then one graph per date with its ∂L/∂f): the update must
/// be the one a single backward of the whole batch's loss gives.
#[test]
fn test_batch_step_equals_one_backward_of_the_coupled_loss() {
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};
    for (arch, kind) in [(SeqArch::Gru, "gru"), (SeqArch::Alstm, "alstm")] {
        let loss = seq_config(kind).loss;
        let sizes = SeqSizes {
            features: 5,
            hidden: 6,
            layers: 2,
            dense: 4,
            heads: 2,
        };
        let build = || {
            let map = VarMap::new();
            let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
            let net = SeqNet::new(arch, sizes, vb).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let vars: Vec<Var> = train::sorted_vars(&map)
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            for v in &vars {
                v.set(&random(&mut rng, v.dims(), 0.7)).unwrap();
            }
            (net, vars)
        };
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let xs: Vec<Tensor> = (0..3).map(|_| random(&mut rng, &[6, 9, 5], 1.5)).collect();
        let returns: Vec<Tensor> = (0..3).map(|_| random(&mut rng, &[9, 2], 1.0)).collect();
        // eps ≫ |g|: the first AdamW update is ≈ −lr·g/eps, proportional to g
        let params = ParamsAdamW {
            lr: 1.0,
            eps: 1e3,
            weight_decay: 0.0,
            ..Default::default()
        };
        let updates = |vars: &[Var], before: &[Vec<f32>]| -> Vec<f32> {
            vars.iter()
                .zip(before)
                .flat_map(|(v, b)| {
                    let a: Vec<f32> = v.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
                    a.into_iter()
                        .zip(b.clone())
                        .map(|(x, y)| x - y)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let values = |vars: &[Var]| -> Vec<Vec<f32>> {
            vars.iter()
                .map(|v| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
                .collect()
        };

        let (net_a, vars_a) = build();
        let start = values(&vars_a);
        let mut opt_a = AdamW::new(vars_a.clone(), params.clone()).unwrap();
        let dates = FixedDates {
            net: &net_a,
            xs: xs.clone(),
            returns: returns.clone(),
        };
        train::step(&mut opt_a, &vars_a, &dates, &[0, 1, 2], &loss).unwrap();
        let by_date = updates(&vars_a, &start);

        let (net_b, vars_b) = build();
        assert_eq!(values(&vars_b), start, "the same init");
        let mut opt_b = AdamW::new(vars_b.clone(), params).unwrap();
        let outputs: Vec<Tensor> = xs
            .iter()
            .map(|x| net_b.forward(x, true, true).unwrap())
            .collect();
        let (l, _) = train::batch_loss(&outputs, &returns, &loss).unwrap();
        opt_b.backward_step(&l).unwrap();
        let whole = updates(&vars_b, &start);

        let scale = whole.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(scale > 1e-6, "{kind}: the step moved the weights");
        let worst = by_date
            .iter()
            .zip(&whole)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs() / scale));
        assert!(
            worst < 1e-4,
            "{kind}: per-date step differs by {worst} of the largest update"
        );
    }
}
