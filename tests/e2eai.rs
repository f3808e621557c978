//! `kind = "e2eai"` walk-forward: on the fixture (byte-identical reruns,
//! train → score reuse, the interpretation's gates and signed attention),
//! and on a generated market with 14 factors (f6…f13 pure noise) next to
//! the DMFM, where the gates of the planted factors must end up open and
//! those of the noise factors closed.

use crate::common::{run, spec};
use alphasim::report::RunResult;

/// The tiny fixture with a small e2eai (fast in debug).
fn tiny_spec() -> alphasim::spec::Spec {
    let mut s = spec("strategies/default.toml");
    let text = std::fs::read_to_string("strategies/default.toml")
        .unwrap()
        .replace("kind = \"dmfm\"", "kind = \"e2eai\"");
    s = alphasim::spec::Spec::from_str_at(&text, &s.path, &s.base).expect("e2eai spec parses");
    s
}

#[test]
fn test_e2eai_fixture_rerun_is_byte_identical_and_reports_gates() {
    let s = tiny_spec();
    let a = run(&s);
    let interp = a.report.interpretation.as_ref().expect("e2eai reports");
    assert_eq!(interp.model, "e2eai");
    let m = interp.factors.len();
    assert!(!interp.windows.is_empty());
    for w in &interp.windows {
        assert_eq!(w.status, "trained", "{w:?}");
        assert_eq!(w.gates.len(), m, "one gate per factor");
        assert!(w.gates.iter().all(|g| (0.0..=1.0).contains(g)), "{w:?}");
        assert_eq!(w.heads.len(), 5);
        for h in &w.heads {
            let l1: f64 = h.factor_attention.iter().map(|v| v.abs()).sum();
            assert!(l1 <= 1.0 + 1e-5, "Σ|a| ≤ 1: {l1}");
            assert!((-1.0..=1.0).contains(&h.corr) && (0.0..=1.0).contains(&h.r2_fit));
            assert!((h.r2_fit - h.corr * h.corr).abs() < 2e-6, "{h:?}");
        }
    }
    let (x, y) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    a.write(&x.path().join("run")).unwrap();
    run(&s).write(&y.path().join("run")).unwrap();
    for n in [
        "report.json",
        "scores.csv",
        "attention.csv",
        "trades.csv",
        "report.html",
    ] {
        let p = std::fs::read(x.path().join("run").join(n)).unwrap();
        let q = std::fs::read(y.path().join("run").join(n)).unwrap();
        assert!(p == q, "{n} differs between two runs");
    }
    let csv = std::fs::read_to_string(x.path().join("run/attention.csv")).unwrap();
    assert!(
        csv.lines().any(|l| l.contains(",gate,")),
        "gates in attention.csv"
    );
    let html = std::fs::read_to_string(x.path().join("run/report.html")).unwrap();
    assert!(html.contains("chart-gates"), "the gates' heat map");
}

#[test]
fn test_e2eai_train_then_score_reuses_weights() {
    let dir = tempfile::tempdir().unwrap();
    let weights = dir.path().join("weights");
    let mut s = tiny_spec();
    let alphasim::spec::ModelConfig::E2eai(d) = &mut s.config.model else {
        panic!("e2eai")
    };
    d.save_weights = Some(weights.clone());
    let trained = run(&s);
    assert_eq!(
        std::fs::read_dir(&weights).unwrap().count(),
        trained.records.retrain_dates.len()
    );
    let alphasim::spec::ModelConfig::E2eai(d) = &mut s.config.model else {
        unreachable!()
    };
    d.save_weights = None;
    d.load_weights = Some(weights);
    let scored = run(&s);
    assert_eq!(trained.scores_csv(), scored.scores_csv());
    assert_eq!(trained.report.trade_hash, scored.report.trade_hash);
}

/// Mean test IC of a run.
fn ic(r: &RunResult) -> f64 {
    r.report.metrics.ic.ic_mean
}

/// A generated market with 14 factors (f6…f13 noise): 300 stocks, `days`
/// trading days, the default planted signal.
fn market(seed: u64, days: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = alphasim::generate::Preset::Small.config();
    cfg.n_factors = 14;
    cfg.n_days = days;
    alphasim::generate::generate(&cfg, seed, dir.path()).unwrap();
    dir
}

fn synth_spec(model: &str, dir: &std::path::Path) -> alphasim::spec::Spec {
    spec(&format!("strategies/synth/small_{model}.toml")).with_data_dir(dir.to_path_buf())
}

/// Gates of a window by factor name.
fn gates(r: &RunResult) -> Vec<(String, f64)> {
    let i = r.report.interpretation.as_ref().unwrap();
    let w = i.windows.last().unwrap();
    i.factors
        .iter()
        .cloned()
        .zip(w.gates.iter().copied())
        .collect()
}

/// The `small` generated market with 14 factors, seed 1 (about 30 s in a
/// debug build; seeds 1–3 next to the DMFM and linear:
/// `e2eai_generated_table`, docs/e2eai.md): in the last window the gates of
/// the planted linear and industry-relative factors (f0, f1, f2, f5) are
/// open (> 0.5), every noise gate (f6…f13) is below 0.5 and their mean
/// below 0.15 (measured: seed 1 all ≤ 0.07; seeds 2, 3 mean 0.07, 0.10, max
/// 0.47, 0.35), and the test IC beats 0.08 (measured 0.111; dmfm 0.101).
#[test]
fn test_e2eai_gates_open_planted_and_close_noise_factors() {
    let dir = market(1, 1_000);
    let r = run(&synth_spec("e2eai", dir.path()));
    let g = gates(&r);
    let mut noise = Vec::new();
    for (name, v) in &g {
        let k: usize = name[1..].parse().unwrap();
        if [0, 1, 2, 5].contains(&k) {
            assert!(*v > 0.5, "planted {name} gate {v}: {g:?}");
        } else if k >= 6 {
            assert!(*v < 0.5, "noise {name} gate {v}: {g:?}");
            noise.push(*v);
        }
    }
    let mean = noise.iter().sum::<f64>() / noise.len() as f64;
    assert!(mean < 0.15, "mean noise gate {mean}: {g:?}");
    assert!(ic(&r) > 0.08, "e2eai IC {}", ic(&r));
}

/// Share of the 20-day head's |signed attention| on `planted` columns,
/// per window.
fn planted_shares(r: &RunResult, planted: &[String]) -> Vec<f64> {
    let i = r.report.interpretation.as_ref().unwrap();
    i.windows
        .iter()
        .map(|w| {
            let h = w
                .heads
                .iter()
                .find(|h| h.horizon == 20)
                .expect("a 20-day head");
            let (mut on, mut all) = (0.0, 0.0);
            for (name, a) in i.factors.iter().zip(&h.factor_attention) {
                all += a.abs();
                if planted.contains(name) {
                    on += a.abs();
                }
            }
            on / all
        })
        .collect()
}

/// Issue 13 point 4 on the generator family: a member of the `linear`
/// configuration (seed 1), shrunk to 200 stocks (an 80-member index) and
/// 750 days so that it trains in a debug build, run with the family spec
/// `strategies/synth/family_e2eai.toml` (three windows). Its observed columns
/// are monotone codings (exp, sinh, power, sign flips, missing values …) of
/// the latents, plus proxies and pure noise; meta.json lists the columns
/// that carry the planted latents. In every window the 20-day head must put
/// more than twice the uniform share of its |attention| on them (the
/// family table's runs on full members: 0.73–0.83 against 0.20–0.40).
#[test]
fn test_e2eai_attention_weights_the_planted_columns_of_a_family_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut member = alphasim::generate::family::Family::draw("linear".parse().unwrap(), 1);
    member.generator.n_stocks = 200;
    member.generator.index_size = 80;
    member.generator.n_days = 750;
    alphasim::generate::generate_member(&member, 1, dir.path()).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("meta.json")).unwrap())
            .unwrap();
    let planted: Vec<String> = meta["signal"]["planted_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let n_columns = meta["factors"].as_array().unwrap().len();
    assert_eq!(n_columns, 20);
    assert!(
        !planted.is_empty() && planted.len() < n_columns / 2,
        "{planted:?}"
    );
    let s = spec("strategies/synth/family_e2eai.toml")
        .with_data_dir(dir.path().to_path_buf())
        .with_overrides(&[
            ("start".to_owned(), toml::Value::String("2016-06-01".into())),
            (
                "schedule.retrain_months".to_owned(),
                toml::Value::Integer(6),
            ),
        ])
        .unwrap();
    let r = run(&s);
    let uniform = planted.len() as f64 / n_columns as f64;
    let shares = planted_shares(&r, &planted);
    println!(
        "planted {planted:?}: shares {shares:?} (uniform {uniform:.2}), IC {:.3}",
        ic(&r)
    );
    assert!(shares.len() >= 2, "{shares:?}");
    for share in &shares {
        assert!(
            *share > 1.5 * uniform,
            "share {share:.2} vs uniform {uniform:.2}: {shares:?}"
        );
    }
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    assert!(
        mean > 2.0 * uniform,
        "mean share {mean:.2} vs uniform {uniform:.2}"
    );
}

/// The docs/e2eai.md table: e2eai next to dmfm and linear on the `small`
/// generated market with 14 factors, seeds from `E2EAI_SEEDS` (default
/// 1,2,3), printing test IC, RankIC, the last window's gates and the wall
/// time. Release only (minutes):
/// `E2EAI_SEEDS=1,2,3 cargo test --release --test integration e2eai_generated_table -- --ignored --nocapture`
#[test]
#[ignore = "minutes in release; the numbers of docs/e2eai.md"]
fn e2eai_generated_table() {
    let seeds: Vec<u64> = std::env::var("E2EAI_SEEDS")
        .unwrap_or_else(|_| "1,2,3".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let models: Vec<String> = std::env::var("E2EAI_MODELS")
        .unwrap_or_else(|_| "e2eai,dmfm,linear".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    // Overrides `key=value;…` (TOML values) for experiments, e.g.
    // E2EAI_SET='model.e2eai.gate_penalty=0.05'.
    let set: Vec<(String, toml::Value)> = std::env::var("E2EAI_SET")
        .unwrap_or_default()
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            let v: toml::Table = format!("v = {v}").parse().expect("a TOML value");
            (k.to_owned(), v["v"].clone())
        })
        .collect();
    let days: usize = std::env::var("E2EAI_DAYS").map_or(1_000, |d| d.parse().unwrap());
    for seed in seeds {
        let dir = market(seed, days);
        for model in &models {
            let mut s = synth_spec(model, dir.path());
            let own: Vec<(String, toml::Value)> = set
                .iter()
                .filter(|(k, _)| model == "e2eai" || !k.starts_with("model.e2eai"))
                .cloned()
                .collect();
            if !own.is_empty() {
                s = s.with_overrides(&own).unwrap();
            }
            let t0 = std::time::Instant::now();
            let r = run(&s);
            let ic = &r.report.metrics.ic;
            let g: Vec<String> = match r.report.interpretation.as_ref() {
                Some(i) if model == "e2eai" => i
                    .windows
                    .iter()
                    .map(|w| {
                        w.gates
                            .iter()
                            .map(|v| format!("{v:.2}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(i) = r.report.interpretation.as_ref() {
                for w in &i.windows {
                    println!(
                        "  window {} epochs {} best {}",
                        w.as_of, w.epochs, w.best_epoch
                    );
                }
            }
            println!(
                "seed {seed} {model}: IC {:.4} RankIC {:.4} ICIR {:.3} alpha {:.3} IR {:.3} ({:.1} s)",
                ic.ic_mean,
                ic.rank_ic_mean,
                ic.icir,
                r.report.metrics.excess.alpha,
                r.report.metrics.excess.information_ratio,
                t0.elapsed().as_secs_f64()
            );
            for (w, line) in g.iter().enumerate() {
                println!("  gates window {}: {line}", w + 1);
            }
            if let Some(i) = r
                .report
                .interpretation
                .as_ref()
                .filter(|_| model == "e2eai")
            {
                let last = i.windows.last().unwrap();
                for h in &last.heads {
                    let a: Vec<String> = h
                        .factor_attention
                        .iter()
                        .map(|v| format!("{v:+.2}"))
                        .collect();
                    println!(
                        "  h{} attention {} r2_fit {:.3} corr {:.3}",
                        h.horizon,
                        a.join(" "),
                        h.r2_fit,
                        h.corr
                    );
                }
            }
        }
    }
}
