use super::*;
use crate::spec::SpecConfig;

fn deep_config(arch: &str) -> DeepConfig {
    let text = format!(
        "data = \".\"\n[model]\nkind = \"{arch}\"\nhidden = 8\nhorizons = [1, 2]\nscore_horizon = 2\n"
    );
    let c: SpecConfig = toml::from_str(&text).expect("valid spec");
    match c.model {
        crate::spec::ModelConfig::Dmfm(d)
        | crate::spec::ModelConfig::Mlp(d)
        | crate::spec::ModelConfig::Mgat(d) => d,
        _ => unreachable!("a deep kind"),
    }
}

fn sample(n: usize, m: usize, shift: f32) -> Sample {
    Sample {
        day: crate::data::DayIndex(0),
        date: Date::from_ymd_opt(2020, 1, 2).expect("a date"),
        symbols: (0..n as u32).map(SymbolId).collect(),
        x: (0..n * m)
            .map(|i| ((i * 5 % 7) as f32 - 3.0) / 2.0 + shift)
            .collect(),
        group: (0..n as u32).map(|i| i / 3).collect(),
    }
}

fn names(m: usize) -> Vec<String> {
    (0..m).map(|i| format!("g{}:f{i}", i % 2)).collect()
}

#[test]
fn test_deep_init_is_seeded() {
    let a = DeepModel::new(
        Arch::Dmfm,
        deep_config("dmfm"),
        (0..3).collect(),
        names(3),
        7,
    )
    .unwrap();
    let b = DeepModel::new(
        Arch::Dmfm,
        deep_config("dmfm"),
        (0..3).collect(),
        names(3),
        7,
    )
    .unwrap();
    let c = DeepModel::new(
        Arch::Dmfm,
        deep_config("dmfm"),
        (0..3).collect(),
        names(3),
        8,
    )
    .unwrap();
    let s = sample(7, 3, 0.0);
    let (sa, sb, sc) = (
        a.score_sample(&s).unwrap(),
        b.score_sample(&s).unwrap(),
        c.score_sample(&s).unwrap(),
    );
    assert_eq!(sa, sb, "same seed, same weights");
    assert_ne!(sa, sc, "another seed, other weights");
}

#[test]
fn test_deep_save_load_identical_scores() {
    let dir = tempfile::tempdir().unwrap();
    for arch in [Arch::Mlp, Arch::Mgat, Arch::Dmfm] {
        let cfg = deep_config("dmfm");
        let mut a = DeepModel::new(arch, cfg.clone(), (0..3).collect(), names(3), 1).unwrap();
        // train a few steps so the weights (and BatchNorm running stats) move
        let batches: Vec<Batch> = (0..4)
            .map(|i| {
                let s = sample(9, 3, i as f32 * 0.1);
                let r: Vec<f32> = (0..18).map(|j| ((j * 3 % 5) as f32 - 2.0) * 0.01).collect();
                Batch {
                    x: matrix(&s.x, 9, 3, &Device::Cpu).unwrap(),
                    returns: matrix(&r, 9, 2, &Device::Cpu).unwrap(),
                    blocks: s.blocks(),
                }
            })
            .collect();
        let date = Date::from_ymd_opt(2020, 1, 2).unwrap();
        let (_, best, _) = a.train(&batches[..3], &batches[3..], date, 1).unwrap();
        assert!(best >= 1);
        let path = dir.path().join(format!("{arch:?}.safetensors"));
        a.save(&path).unwrap();
        let mut b = DeepModel::new(arch, cfg, (0..3).collect(), names(3), 99).unwrap();
        let s = sample(8, 3, 0.3);
        assert_ne!(a.score_sample(&s).unwrap(), b.score_sample(&s).unwrap());
        b.load(&path).unwrap();
        assert_eq!(a.score_sample(&s).unwrap(), b.score_sample(&s).unwrap());
        // the saved bytes are the same when saved again from the loaded model
        let again = dir.path().join("again.safetensors");
        b.save(&again).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&again).unwrap()
        );
    }
}

#[test]
fn test_deep_load_missing_file_says_what_to_do() {
    let mut a = DeepModel::new(
        Arch::Dmfm,
        deep_config("dmfm"),
        (0..3).collect(),
        names(3),
        1,
    )
    .unwrap();
    let err = a
        .load(std::path::Path::new("/nonexistent/w.safetensors"))
        .unwrap_err();
    assert!(err.to_string().contains("alphasim train"), "{err}");
}

#[test]
fn test_head_activation_spec_default_and_linear() {
    let d = deep_config("dmfm");
    assert_eq!(d.head_activation, HeadActivation::LeakyRelu);
    // the default stays out of the serialized spec (report.json unchanged)
    let json = serde_json::to_string(&d).unwrap();
    assert!(!json.contains("head_activation"), "{json}");
    let text = "data = \".\"\n[model]\nkind = \"mlp\"\nhead_activation = \"linear\"\n";
    let c: SpecConfig = toml::from_str(text).expect("valid spec");
    let crate::spec::ModelConfig::Mlp(m) = c.model else {
        unreachable!("mlp")
    };
    assert_eq!(m.head_activation, HeadActivation::Linear);
    let json = serde_json::to_string(&m).unwrap();
    assert!(json.contains("\"head_activation\":\"linear\""), "{json}");
    let bad = "data = \".\"\n[model]\nkind = \"mlp\"\nhead_activation = \"relu\"\n";
    let err = toml::from_str::<SpecConfig>(bad).unwrap_err().to_string();
    assert!(
        err.contains("leaky_relu") && err.contains("linear"),
        "{err}"
    );
}

#[test]
fn test_stop_on_returns_judges_the_checkpoint_without_the_distance() {
    let batches: Vec<Batch> = (0..5)
        .map(|i| {
            let s = sample(9, 3, i as f32 * 0.1);
            let r: Vec<f32> = (0..18)
                .map(|j| ((j * (i + 3) % 5) as f32 - 2.0) * 0.01)
                .collect();
            Batch {
                x: matrix(&s.x, 9, 3, &Device::Cpu).unwrap(),
                returns: matrix(&r, 9, 2, &Device::Cpu).unwrap(),
                blocks: s.blocks(),
            }
        })
        .collect();
    let date = Date::from_ymd_opt(2020, 1, 2).unwrap();
    let mut cfg = deep_config("dmfm");
    assert_eq!(cfg.train.stop_on, StopOn::Loss);
    cfg.train.stop_on = StopOn::Returns;
    cfg.train.epochs = 4;
    let mut a = DeepModel::new(Arch::Dmfm, cfg, (0..3).collect(), names(3), 3).unwrap();
    let (_, best, best_loss) = a.train(&batches[..3], &batches[3..], date, 1).unwrap();
    assert!(best >= 1);
    // Recompute at the restored weights: full loss minus d · mean RMS(f − f̂).
    let valid: Vec<&Batch> = batches[3..].iter().collect();
    let (loss, _) = a.batch_loss(&valid, false).unwrap();
    let mut dist = 0.0;
    for b in &valid {
        let out = a.net.forward(&b.x, &b.blocks, false).unwrap();
        let f: Vec<Vec<f32>> = out.f.to_vec2().unwrap();
        let fh: Vec<Vec<f32>> = out.fhat.unwrap().to_vec2().unwrap();
        for k in 0..2 {
            let ss: f64 = f
                .iter()
                .zip(&fh)
                .map(|(x, y)| f64::from(x[k] - y[k]).powi(2))
                .sum();
            dist += (ss / 9.0).sqrt() / 2.0 / valid.len() as f64;
        }
    }
    let expected = f64::from(loss.to_scalar::<f32>().unwrap()) - dist;
    let got = best_loss.expect("validation dates");
    assert!((got - expected).abs() < 1e-4, "{got} vs {expected}");
}
