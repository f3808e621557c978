//! Layer tests: shapes, gradients, and hand-computed GAT, head and
//! factor-attention cases.

use super::*;
use candle_nn::VarMap;

fn vb(map: &VarMap) -> VarBuilder<'_> {
    VarBuilder::from_varmap(map, DType::F32, &Device::Cpu)
}

fn set(map: &VarMap, name: &str, values: &[f32]) {
    let data = map.data().lock().expect("varmap lock");
    let v = data.get(name).unwrap_or_else(|| panic!("no var {name}"));
    let t = Tensor::from_slice(values, v.shape(), &Device::Cpu).unwrap();
    v.set(&t).unwrap();
}

fn grads_nonzero(map: &VarMap, loss: &Tensor, names: &[&str]) {
    let g = loss.backward().unwrap();
    let data = map.data().lock().unwrap();
    for n in names {
        let v = data.get(*n).unwrap();
        let gr = g
            .get(v.as_tensor())
            .unwrap_or_else(|| panic!("no grad for {n}"));
        let s: f32 = gr.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
        assert!(s > 0.0 && s.is_finite(), "gradient of {n} is {s}");
    }
}

fn input(n: usize, m: usize) -> Tensor {
    let v: Vec<f32> = (0..n * m)
        .map(|i| ((i * 7 % 11) as f32 - 5.0) / 3.0)
        .collect();
    Tensor::from_vec(v, (n, m), &Device::Cpu).unwrap()
}

#[test]
fn test_encoder_shape_and_gradient() {
    let map = VarMap::new();
    let enc = Encoder::new(4, 6, vb(&map)).unwrap();
    let y = enc.forward(&input(5, 4), true).unwrap();
    assert_eq!(y.dims(), &[5, 6]);
    let loss = y.sqr().unwrap().sum_all().unwrap();
    grads_nonzero(
        &map,
        &loss,
        &["bn.weight", "l1.weight", "l1.bias", "l2.weight", "l2.bias"],
    );
}

/// A 3-stock, 1-head GAT with W = I (2 × 2), a_src = (1, 0), a_dst = (0, 1),
/// computed by hand: e_ij = LeakyReLU(h_i[0] + h_j[1]).
#[test]
fn test_gat_hand_case() {
    let map = VarMap::new();
    let gat = Gat::new(2, 2, 1, vb(&map)).unwrap();
    set(&map, "w.weight", &[1.0, 0.0, 0.0, 1.0]);
    set(&map, "a_src", &[1.0, 0.0]);
    set(&map, "a_dst", &[0.0, 1.0]);
    let h = [[1.0f64, -1.0], [0.0, 2.0], [-2.0, 0.5]];
    let x = Tensor::from_vec(
        h.iter().flatten().map(|&v| v as f32).collect::<Vec<_>>(),
        (3, 2),
        &Device::Cpu,
    )
    .unwrap();
    let lrelu = |v: f64| if v > 0.0 { v } else { 0.2 * v };
    // expected, by the formula
    let mut expected = [[0.0f64; 2]; 3];
    for i in 0..3 {
        let e: Vec<f64> = (0..3).map(|j| lrelu(h[i][0] + h[j][1])).collect();
        let z: f64 = e.iter().map(|v| v.exp()).sum();
        for j in 0..3 {
            let a = e[j].exp() / z;
            expected[i][0] += a * h[j][0];
            expected[i][1] += a * h[j][1];
        }
    }
    // row 0 by hand: e = (lrelu(0), lrelu(3), lrelu(1.5)) = (0, 3, 1.5)
    let z = 1.0 + 3f64.exp() + 1.5f64.exp();
    let a = [1.0 / z, 3f64.exp() / z, 1.5f64.exp() / z];
    let row0 = [a[0] - 2.0 * a[2], -a[0] + 2.0 * a[1] + 0.5 * a[2]];
    assert!((row0[0] - expected[0][0]).abs() < 1e-12);
    assert!((row0[1] - expected[0][1]).abs() < 1e-12);
    let got: Vec<Vec<f32>> = gat.forward(&x, None).unwrap().to_vec2().unwrap();
    for i in 0..3 {
        for j in 0..2 {
            assert!(
                (f64::from(got[i][j]) - expected[i][j]).abs() < 1e-5,
                "({i},{j}): {} vs {}",
                got[i][j],
                expected[i][j]
            );
        }
    }
    // masked to blocks {0,1} and {2}: stock 2 attends only to itself
    let mask = block_mask(&[(0, 2), (2, 1)], 3, &Device::Cpu).unwrap();
    let got: Vec<Vec<f32>> = gat.forward(&x, Some(&mask)).unwrap().to_vec2().unwrap();
    assert!((got[2][0] + 2.0).abs() < 1e-6 && (got[2][1] - 0.5).abs() < 1e-6);
    let e0 = [lrelu(h[0][0] + h[0][1]), lrelu(h[0][0] + h[1][1])];
    let a0 = e0[0].exp() / (e0[0].exp() + e0[1].exp());
    let x00 = a0 * h[0][0] + (1.0 - a0) * h[1][0];
    assert!((f64::from(got[0][0]) - x00).abs() < 1e-5);
}

#[test]
fn test_gat_block_equals_masked_and_gradients() {
    let map = VarMap::new();
    let gat = Gat::new(3, 4, 2, vb(&map)).unwrap();
    set(&map, "a_src", &[0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.3, 0.7]);
    set(&map, "a_dst", &[0.1, 0.6, -0.3, 0.2, 0.5, -0.1, 0.2, -0.6]);
    let x = input(7, 3);
    let blocks = [(0, 3), (3, 1), (4, 3)];
    let a = gat.forward_blocks(&x, &blocks).unwrap();
    let mask = block_mask(&blocks, 7, &Device::Cpu).unwrap();
    let b = gat.forward(&x, Some(&mask)).unwrap();
    assert_eq!(a.dims(), &[7, 4]);
    let diff: f32 = (a.clone() - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    assert!(diff < 1e-5, "block vs masked differ by {diff}");
    let loss = a.sqr().unwrap().sum_all().unwrap();
    grads_nonzero(&map, &loss, &["w.weight", "a_src", "a_dst"]);
}

#[test]
fn test_linear_heads_are_affine_and_leaky_heads_squash_negatives() {
    // 2 inputs → 2 heads, W (K × input) = [[1, -2], [0.5, 3]], b = [0.25, -1].
    let w = [1.0f32, -2.0, 0.5, 3.0];
    let b = [0.25f32, -1.0];
    let x = [[1.0f32, 2.0], [-1.0, 0.5], [4.0, -1.0]];
    // Wᵀx + b by hand: row i, head k = Σ_j W[k][j] x[i][j] + b[k].
    let want: Vec<Vec<f32>> = x
        .iter()
        .map(|r| {
            (0..2)
                .map(|k| w[2 * k] * r[0] + w[2 * k + 1] * r[1] + b[k])
                .collect()
        })
        .collect();
    assert_eq!(
        want,
        vec![vec![-2.75, 5.5], vec![-1.75, -0.0], vec![6.25, -2.0]]
    );
    let xt = Tensor::from_slice(&x.concat(), (3, 2), &Device::Cpu).unwrap();
    for act in [HeadActivation::Linear, HeadActivation::LeakyRelu] {
        let map = VarMap::new();
        let heads = Heads::new(2, 2, act, vb(&map).pp("heads")).unwrap();
        set(&map, "heads.weight", &w);
        set(&map, "heads.bias", &b);
        let got: Vec<Vec<f32>> = heads.forward(&xt).unwrap().to_vec2().unwrap();
        for (gr, wr) in got.iter().zip(&want) {
            for (&g, &z) in gr.iter().zip(wr) {
                let expect = match act {
                    HeadActivation::Linear => z,
                    HeadActivation::LeakyRelu if z < 0.0 => 0.01 * z,
                    HeadActivation::LeakyRelu => z,
                };
                assert!((g - expect).abs() < 1e-6, "{act:?}: {g} vs {expect}");
            }
        }
    }
}

#[test]
fn test_heads_and_factor_attention_shapes_gradients_and_formula() {
    let map = VarMap::new();
    let heads = Heads::new(6, 3, HeadActivation::LeakyRelu, vb(&map).pp("heads")).unwrap();
    let att = FactorAttention::new(4, 3, vb(&map).pp("att")).unwrap();
    let x = input(5, 4);
    let f = heads.forward(&input(5, 6)).unwrap();
    assert_eq!(f.dims(), &[5, 3]);
    let (a, fhat) = att.forward(&x).unwrap();
    assert_eq!(a.dims(), &[3, 4]);
    assert_eq!(fhat.dims(), &[5, 3]);
    // each head's mean attention sums to 1 over the factors
    let sums: Vec<f32> = a.sum(1).unwrap().to_vec1().unwrap();
    for s in sums {
        assert!((s - 1.0).abs() < 1e-5);
    }
    // f̂ = F ā, recomputed directly
    let av: Vec<Vec<f32>> = a.to_vec2().unwrap();
    let xv: Vec<Vec<f32>> = x.to_vec2().unwrap();
    let fv: Vec<Vec<f32>> = fhat.to_vec2().unwrap();
    for i in 0..5 {
        for k in 0..3 {
            let d: f32 = (0..4).map(|j| xv[i][j] * av[k][j]).sum();
            assert!((d - fv[i][k]).abs() < 1e-5);
        }
    }
    let loss =
        (f.sqr().unwrap().sum_all().unwrap() + fhat.sqr().unwrap().sum_all().unwrap()).unwrap();
    grads_nonzero(
        &map,
        &loss,
        &["heads.weight", "heads.bias", "att.weight", "att.bias"],
    );
}

#[test]
fn test_network_shapes_and_gradients_each_arch() {
    for (arch, names) in [
        (Arch::Mlp, vec!["encoder.l1.weight", "heads.weight"]),
        (
            Arch::Mgat,
            vec!["encoder.l1.weight", "universe_gat.w.weight", "heads.weight"],
        ),
        (
            Arch::Dmfm,
            vec![
                "encoder.l1.weight",
                "industry_gat.w.weight",
                "universe_gat.w.weight",
                "heads.weight",
                "factor_attention.weight",
            ],
        ),
    ] {
        for mode in [IndustryGatMode::Block, IndustryGatMode::Masked] {
            let map = VarMap::new();
            let net =
                Network::new(arch, 4, 8, 5, 2, mode, HeadActivation::default(), vb(&map)).unwrap();
            let out = net.forward(&input(9, 4), &[(0, 4), (4, 5)], true).unwrap();
            assert_eq!(out.f.dims(), &[9, 5]);
            let mut loss = out.f.sqr().unwrap().sum_all().unwrap();
            if let Some(fh) = &out.fhat {
                assert_eq!(fh.dims(), &[9, 5]);
                loss = (loss + fh.sqr().unwrap().sum_all().unwrap()).unwrap();
            }
            grads_nonzero(&map, &loss, &names);
        }
    }
}
