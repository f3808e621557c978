//! The fused ops of [`super::ops`] against the plain tensor versions in
//! [`super::layers`] (the references): outputs and every gradient, op by op
//! and for the whole network. A sibling of both, so neither imports the other.

use super::layers::{Arch, FactorAttention, Gat, HeadActivation, IndustryGatMode, Network};
use super::ops::tests::random;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A GAT layer with seeded random weights (w, a_src, a_dst).
fn gat(map: &VarMap, input: usize, out: usize, heads: usize, seed: u64) -> Gat {
    let vb = VarBuilder::from_varmap(map, DType::F32, &Device::Cpu);
    let gat = Gat::new(input, out, heads, vb).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = map.data().lock().unwrap();
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let v = &data[name];
        v.set(&random(&mut rng, v.dims(), 0.8)).unwrap();
    }
    gat
}

/// Every gradient of two backward passes agrees to 1e-4 (relative): the
/// trainable variables of `map` (BatchNorm running statistics excluded)
/// and the `extra` inputs.
fn assert_gradients_match(
    what: &str,
    map: &VarMap,
    extra: &[(&str, &Tensor)],
    ga: &candle_core::backprop::GradStore,
    gb: &candle_core::backprop::GradStore,
) {
    let data = map.data().lock().unwrap();
    let vars = data
        .iter()
        .filter(|(k, _)| !k.contains("running"))
        .map(|(k, v)| (k.as_str(), v.as_tensor()))
        .chain(extra.iter().copied());
    for (name, v) in vars {
        let d = max_rel_diff(ga.get(v).unwrap(), gb.get(v).unwrap());
        assert!(d < 1e-4, "{what}∂{name} differs by {d}");
    }
}

fn max_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a: Vec<f32> = a.flatten_all().unwrap().to_vec1().unwrap();
    let b: Vec<f32> = b.flatten_all().unwrap().to_vec1().unwrap();
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    a.iter()
        .zip(&b)
        .fold(0f32, |m, (x, y)| m.max((x - y).abs() / scale))
}

/// The fused op against the plain candle ops, output and every gradient
/// (weights and the input), for uneven industry blocks and for the full
/// (universe) graph, with 1 and 3 heads.
#[test]
fn test_fused_matches_plain_forward_and_gradients() {
    let blocks = [(0, 5), (5, 1), (6, 11), (17, 2), (19, 9)];
    let n = 28;
    for heads in [1, 3] {
        for universe in [false, true] {
            let map = VarMap::new();
            let g = gat(&map, 7, 6, heads, 11 + heads as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let x = Var::from_tensor(&random(&mut rng, &[n, 7], 2.0)).unwrap();
            let weights = random(&mut rng, &[n, 6], 1.0);
            let full = [(0, n)];
            let bl: &[(usize, usize)] = if universe { &full } else { &blocks };
            let fused = g.forward_fused(x.as_tensor(), bl).unwrap();
            let plain = if universe {
                g.forward(x.as_tensor(), None).unwrap()
            } else {
                g.forward_blocks(x.as_tensor(), bl).unwrap()
            };
            let d = max_rel_diff(&fused, &plain);
            assert!(
                d < 1e-5,
                "heads {heads} universe {universe}: forward differs by {d}"
            );
            let lf = (fused * &weights).unwrap().sum_all().unwrap();
            let lp = (plain * &weights).unwrap().sum_all().unwrap();
            let (gf, gp) = (lf.backward().unwrap(), lp.backward().unwrap());
            let what = format!("heads {heads} universe {universe}: ");
            assert_gradients_match(&what, &map, &[("x", x.as_tensor())], &gf, &gp);
        }
    }
}

/// The fused factor attention against the plain ops: ā, f̂ and the
/// gradients of the weights and the input.
#[test]
fn test_fused_factor_attention_matches_plain() {
    let (n, m, k) = (13, 9, 3);
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
    let fa = FactorAttention::new(m, k, vb).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for (_, v) in map.data().lock().unwrap().iter() {
        v.set(&random(&mut rng, v.dims(), 0.9)).unwrap();
    }
    let x = Var::from_tensor(&random(&mut rng, &[n, m], 2.0)).unwrap();
    let wa = random(&mut rng, &[k, m], 1.0);
    let wf = random(&mut rng, &[n, k], 1.0);
    let (af, ff) = fa.forward(x.as_tensor()).unwrap();
    let (ap, fp) = fa.forward_plain(x.as_tensor()).unwrap();
    assert!(max_rel_diff(&af, &ap) < 1e-5);
    assert!(max_rel_diff(&ff, &fp) < 1e-5);
    let loss = |a: Tensor, f: Tensor| {
        ((a * &wa).unwrap().sum_all().unwrap() + (f * &wf).unwrap().sum_all().unwrap()).unwrap()
    };
    let gf = loss(af, ff).backward().unwrap();
    let gp = loss(ap, fp).backward().unwrap();
    assert_gradients_match("", &map, &[("x", x.as_tensor())], &gf, &gp);
}

/// The whole DMFM network with the fused ops against the plain one (same
/// weights): deep factors, attention estimates and every weight gradient.
#[test]
fn test_network_fused_matches_plain() {
    let (n, m) = (31, 6);
    let blocks = [(0, 7), (7, 1), (8, 15), (23, 8)];
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
    let net = Network::new(
        Arch::Dmfm,
        m,
        8,
        3,
        2,
        IndustryGatMode::Block,
        HeadActivation::Linear,
        vb,
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut names: Vec<String> = map.data().lock().unwrap().keys().cloned().collect();
    names.sort();
    for name in &names {
        let data = map.data().lock().unwrap();
        let v = &data[name];
        if !name.contains(".bn.") {
            v.set(&random(&mut rng, v.dims(), 0.7)).unwrap();
        }
    }
    let plain = net.clone().with_plain_gat();
    let x = random(&mut rng, &[n, m], 2.0);
    let w = random(&mut rng, &[n, 3], 1.0);
    let a = net.forward(&x, &blocks, true).unwrap();
    let b = plain.forward(&x, &blocks, true).unwrap();
    assert!(max_rel_diff(&a.f, &b.f) < 1e-5);
    assert!(max_rel_diff(a.fhat.as_ref().unwrap(), b.fhat.as_ref().unwrap()) < 1e-5);
    let loss = |o: &super::layers::Output| {
        ((&o.f * &w).unwrap().sum_all().unwrap()
            + (o.fhat.as_ref().unwrap() * &w).unwrap().sum_all().unwrap())
        .unwrap()
    };
    let (ga, gb) = (loss(&a).backward().unwrap(), loss(&b).backward().unwrap());
    assert_gradients_match("", &map, &[], &ga, &gb);
}
