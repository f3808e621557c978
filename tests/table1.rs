//! Model × index sweeps and the Table-1 view: each variant equals a separate
//! backtest of a hand-written spec; the output is byte-identical for any
//! number of jobs; spec errors name the line and column and the fix.

use crate::common::{cn_ashare, copy_bundle, root, run, spec, spec_text};
use alphasim::research::sweep::{run_sweep, SweepOptions, SweepOutcome, SweepPlan};
use std::path::Path;

/// fixtures/tiny plus a second index `alt`: the 15 SZ symbols, members for
/// all time (no benchmark levels, so its benchmark is the members' equal-weighted return).
fn two_index_bundle() -> tempfile::TempDir {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    let path = dir.path().join("constituents.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for i in 1..=15 {
        text.push_str(&format!("alt,SZ{:06},,\n", i));
    }
    std::fs::write(&path, text).unwrap();
    dir
}

const MODELS: [(&str, &str); 3] = [
    ("ew", "kind = \"ew\"\nfactors = [\"f0\", \"f1\", \"f2\"]\nsigns = { f2 = -1.0 }\n"),
    (
        "linear",
        "kind = \"linear\"\nhorizon = 10\nridge = 0.01\nsamples = { every_days = 2, validation_months = 2, embargo_months = 1 }\n",
    ),
    (
        "mlp",
        "kind = \"mlp\"\nhidden = 8\nhorizons = [5, 10]\nscore_horizon = 10\ntrain = { epochs = 3, patience = 2, batch_dates = 8, warm_start = true }\nsamples = { every_days = 3, validation_months = 2, embargo_months = 1 }\n",
    ),
];

/// The common part of every spec below: `data` is `dir`.
fn head(dir: &Path) -> String {
    format!(
        "data = \"{}\"\nname = \"t1\"\nseed = 7\nstart = \"2015-06-01\"\n\n[schedule]\nretrain_months = 3\n\n[portfolio]\ntop_fraction = 0.2\n\n[indices.alt]\nstart = \"2015-09-01\"\n\n",
        dir.display()
    )
}

fn sweep_spec(dir: &Path, axes: &str) -> String {
    let mut text = head(dir);
    for (name, body) in MODELS {
        text.push_str(&format!("[models.{name}]\n{body}\n"));
    }
    text.push_str(&format!("[sweep]\n{axes}\n"));
    text
}

fn run_it(s: &alphasim::spec::Spec, jobs: usize, out: &Path) -> SweepOutcome {
    let market = alphasim::data::load_market(&s.data_dir, &Default::default()).unwrap();
    let plan = SweepPlan::from_spec(s).unwrap();
    let options = SweepOptions {
        jobs,
        positions: false,
    };
    run_sweep(s, &market, &plan, options, out, &|_| {}).unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn test_model_index_sweep_equals_separate_backtests() {
    let data = two_index_bundle();
    let axes = "index = [\"synth\", \"alt\"]\nmodel = [\"ew\", \"linear\", \"mlp\"]\n\"costs.commission_bps\" = [0, 40]\n";
    let s = spec_text(&sweep_spec(data.path(), axes), &root());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = run_it(&s, 1, a.path());
    let three = run_it(&s, 3, b.path());
    // Axes in [sweep] (a BTreeMap): costs, index, model; 2 × 2 × 3 variants,
    // 6 scorings (model × index), each replayed at the other commission.
    assert_eq!(one.rows.len(), 12);
    assert_eq!(one.scorings, 6);
    assert_eq!(one.rows, three.rows);
    for f in [
        "comparison.csv",
        "comparison.md",
        "table1.md",
        "table1.csv",
        "report.html",
    ] {
        assert!(
            read(&a.path().join(f)) == read(&b.path().join(f)),
            "{f} differs between --jobs 1 and 3"
        );
    }
    // Every variant against a plain backtest of a spec written by hand: the
    // [model] table is the [models.<name>] text, `index` is set, the benchmark
    // is left unset (it follows the index), alt starts later ([indices.alt]).
    for r in &one.rows {
        let (commission, index, model) = (
            r.param("costs.commission_bps").unwrap(),
            r.param("index").unwrap(),
            r.param("model").unwrap(),
        );
        let body = MODELS.iter().find(|m| m.0 == model).unwrap().1;
        let start = if index == "alt" {
            "2015-09-01"
        } else {
            "2015-06-01"
        };
        let text = format!(
            "data = \"{}\"\nname = \"t1\"\nseed = 7\nstart = \"{start}\"\nindex = \"{index}\"\n\n[schedule]\nretrain_months = 3\n\n[portfolio]\ntop_fraction = 0.2\n\n[costs]\ncommission_bps = {commission}\n\n[model]\n{body}",
            data.path().display()
        );
        let plain = run(&spec_text(&text, &root()));
        let m = &plain.report.metrics;
        let what = format!("{} ({commission} bps, {index}, {model})", r.name);
        assert_eq!(r.alpha, m.excess.alpha, "{what}");
        assert_eq!(r.information_ratio, m.excess.information_ratio, "{what}");
        assert_eq!(r.sharpe, m.portfolio.sharpe, "{what}");
        assert_eq!(r.icir, m.ic.icir, "{what}");
        assert_eq!(r.t0, plain.report.window.t0, "{what}");
        assert_eq!(
            plain.report.conventions.benchmark, index,
            "the benchmark follows the index"
        );
        let summary = std::fs::read_to_string(a.path().join(&r.name).join("summary.txt")).unwrap();
        assert_eq!(summary, plain.report.summary(), "{what}: summary.txt");
        assert_eq!(
            std::fs::read_to_string(a.path().join(&r.name).join("trades.csv")).unwrap(),
            plain.trades_csv(),
            "{what}: trades.csv"
        );
        // The learned models' interpretation reaches the variant's report.json.
        let report: serde_json::Value =
            serde_json::from_slice(&read(&a.path().join(&r.name).join("report.json"))).unwrap();
        assert_eq!(
            report.get("interpretation").is_some(),
            plain.report.interpretation.is_some(),
            "{what}: interpretation"
        );
    }
    // alt starts at its own date: first month end on or after 2015-09-01.
    let alt = one.rows.iter().find(|r| r.index == "alt").unwrap();
    assert_eq!(alt.t0.as_deref(), Some("2015-09-30"));
    let synth = one.rows.iter().find(|r| r.index == "synth").unwrap();
    assert_eq!(synth.t0.as_deref(), Some("2015-06-30"));
}

/// The Table-1 view of a small model × index sweep (ew and linear, no cost axis).
#[test]
fn test_table1_markdown_snapshot() {
    let data = two_index_bundle();
    let axes = "model = [\"linear\", \"ew\"]\nindex = [\"synth\", \"alt\"]\n";
    let text = sweep_spec(data.path(), axes).replace(&data.path().display().to_string(), "DATA");
    let s = spec_text(&text, &root()).with_data_dir(data.path().to_path_buf());
    let out = tempfile::tempdir().unwrap();
    let o = run_it(&s, 2, out.path());
    let md = std::fs::read_to_string(out.path().join("table1.md")).unwrap();
    assert_eq!(md, o.table1_markdown(&s));
    // Rows in sweep order (linear first), column groups in sweep order (synth first).
    let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert!(lines[0].starts_with("| model | synth α |"), "{md}");
    assert!(
        lines[1].starts_with("| linear |") && lines[2].starts_with("| ew |"),
        "{md}"
    );
    insta::assert_snapshot!("table1_markdown", md);
}

/// A spec parsed as `t.toml` (relative, so messages are the same on every machine).
fn spec_at(text: &str) -> alphasim::spec::Spec {
    alphasim::spec::Spec::from_str_at(text, Path::new("t.toml"), &root()).unwrap()
}

fn sweep_error(text: &str) -> String {
    let s = spec_at(text);
    SweepPlan::from_spec(&s).unwrap_err().to_string()
}

#[test]
fn test_sweep_spec_errors_name_line_column_and_fix() {
    std::env::set_current_dir(root()).unwrap();
    let base = "data = \"fixtures/tiny\"\nindex = \"synth\"\n\n[models.ew]\nkind = \"ew\"\n\n[models.linear]\nkind = \"linear\"\n\n";
    let mut all = String::new();
    // An unknown model name: line 11, the column of the name.
    let e = sweep_error(&format!("{base}[sweep]\nmodel = [\"ew\", \"lineer\"]\n"));
    assert!(e.contains("line 11, column 16"), "{e}");
    assert!(e.contains("`lineer` is not a model"), "{e}");
    assert!(e.contains("fix: add a [models.lineer] table"), "{e}");
    assert!(e.contains("ew, linear"), "{e}");
    all.push_str(&format!("== unknown model name\n{e}\n"));
    // A key a sweep cannot vary.
    let e = sweep_error(&format!("{base}[sweep]\n\"model.hidden\" = [8, 16]\n"));
    assert!(
        e.contains("line 11, column 18") && e.contains("[models.<name>]"),
        "{e}"
    );
    all.push_str(&format!("== model hyper-parameter axis\n{e}\n"));
    // Model names are strings.
    let e = sweep_error(&format!("{base}[sweep]\nmodel = [1, 2]\n"));
    assert!(
        e.contains("line 11") && e.contains("names (strings)"),
        "{e}"
    );
    // A name twice.
    let e = sweep_error(&format!("{base}[sweep]\nmodel = [\"ew\", \"ew\"]\n"));
    assert!(e.contains("listed twice"), "{e}");
    // An unknown key inside [models.<name>] is the parser's error, with its line.
    let e = alphasim::spec::Spec::from_str_at(
        &format!("{base}[models.mlp]\nkind = \"mlp\"\nhiden = 8\n"),
        Path::new("t.toml"),
        &root(),
    )
    .unwrap_err()
    .to_string();
    // (serde reports a model table's unknown key at the table's header line)
    assert!(
        e.contains("line 10, column 1") && e.contains("unknown field `hiden`"),
        "{e}"
    );
    all.push_str(&format!("== unknown key in [models.mlp]\n{e}\n"));
    // A bad value in [models.<name>] names the table.
    let e = alphasim::spec::Spec::from_str_at(
        &format!("{base}[models.mlp]\nkind = \"mlp\"\nhidden = 0\n"),
        Path::new("t.toml"),
        &root(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("[models.mlp]: model.hidden"), "{e}");
    // --set with an unknown model.
    let s = spec_at(base);
    let e = SweepPlan::default()
        .set(&s, "model=ew,mlp")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--set `model=ew,mlp`") && e.contains("`mlp` is not a model"),
        "{e}"
    );
    all.push_str(&format!("== --set unknown model\n{e}\n"));
    // An index the bundle does not have (checked against the market).
    let s = spec_at(&format!("{base}[sweep]\nindex = [\"synth\", \"csi300\"]\n"));
    let market = alphasim::data::load_market(&s.data_dir, &Default::default()).unwrap();
    let plan = SweepPlan::from_spec(&s).unwrap();
    let e = plan.check_market(&s, &market).unwrap_err().to_string();
    assert!(
        e.contains("line 11, column 19") && e.contains("use one of: synth"),
        "{e}"
    );
    all.push_str(&format!("== unknown index\n{e}\n"));
    insta::assert_snapshot!("sweep_spec_errors", all);
}

/// Without a [model] table the spec's model is the first of `sweep.model`.
#[test]
fn test_models_without_model_table_default_to_the_first_swept() {
    let text = "data = \"fixtures/tiny\"\nindex = \"synth\"\n[models.a]\nkind = \"reversal\"\n[models.b]\nkind = \"ew\"\n[sweep]\nmodel = [\"b\", \"a\"]\n";
    let s = spec_text(text, &root());
    assert!(matches!(
        s.config.model,
        alphasim::spec::ModelConfig::Ew { .. }
    ));
}

/// Real data: ew and linear on csi300 over two years, as a sweep; the
/// benchmark follows the index and the table has both rows.
#[test]
fn test_real_data_table1_smoke() {
    cn_ashare();
    let s = spec("strategies/paper_table1.toml");
    let mut plan = SweepPlan::default();
    plan.set(&s, "model=ew,linear").unwrap();
    plan.set(&s, "index=csi300").unwrap();
    let text = s
        .source
        .replace("start = \"2012-01-01\"", "start = \"2023-01-01\"");
    let short = alphasim::spec::Spec::from_str_at(&text, &s.path, &s.base).unwrap();
    let market = crate::common::cn_market();
    let out = tempfile::tempdir().unwrap();
    let options = SweepOptions {
        jobs: 2,
        positions: false,
    };
    let o = run_sweep(&short, market, &plan, options, out.path(), &|_| {}).unwrap();
    assert_eq!(o.rows.len(), 2);
    let md = std::fs::read_to_string(out.path().join("table1.md")).unwrap();
    assert!(md.contains("| ew |") && md.contains("| linear |"), "{md}");
    assert!(
        md.contains("- csi300: 2023-01-31 .. 2024-12-31 (23 rebalances)"),
        "{md}"
    );
    for r in &o.rows {
        assert!(r.alpha.is_finite() && r.icir.is_finite() && r.sharpe.is_finite());
        let report: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.path().join(&r.name).join("report.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(report["conventions"]["benchmark"], "csi300");
    }
}

/// strategies/paper_table1_seq.toml (the gru / alstm rows of docs/table1.md)
/// keeps the protocol of paper_table1.toml: the same bundle, period, seed,
/// schedule, portfolio, costs, indices and csi1000 start, the deep rows'
/// validation split and training settings; two models × three indices.
#[test]
fn test_table1_seq_spec_keeps_the_protocol() {
    let read = |p: &str| -> toml::Table {
        toml::from_str(&std::fs::read_to_string(root().join(p)).unwrap()).unwrap()
    };
    let (main, seq) = (
        read("strategies/paper_table1.toml"),
        read("strategies/paper_table1_seq.toml"),
    );
    for key in [
        "data",
        "start",
        "end",
        "seed",
        "schedule",
        "portfolio",
        "costs",
        "indices",
    ] {
        assert_eq!(
            main[key], seq[key],
            "`{key}` differs from paper_table1.toml"
        );
    }
    assert_eq!(main["sweep"]["index"], seq["sweep"]["index"]);
    let models = seq["sweep"]["model"].as_array().unwrap();
    assert_eq!(
        models,
        &[toml::Value::from("gru"), toml::Value::from("alstm")]
    );
    let dmfm = &main["models"]["dmfm"];
    for m in ["gru", "alstm"] {
        let model = &seq["models"][m];
        assert_eq!(model["kind"].as_str(), Some(m));
        assert_eq!(
            model["train"], dmfm["train"],
            "{m}: the deep rows' training"
        );
        for k in ["validation_months", "embargo_months"] {
            assert_eq!(model["samples"][k], dmfm["samples"][k], "{m}: samples.{k}");
        }
    }
    let s = spec("strategies/paper_table1_seq.toml");
    assert_eq!(SweepPlan::from_spec(&s).unwrap().variants().len(), 6);
}

/// A `seed` axis: a seeded model (mlp) scores once per seed, each equal to a
/// plain backtest with that seed; a model that draws no random number (ew)
/// scores once and replays for the other seed; the Table-1 cell of the
/// seeded model is mean ± sd over the seeds, computed here from the rows.
#[test]
fn test_seed_axis_scores_seeded_models_per_seed() {
    let data = two_index_bundle();
    let axes = "model = [\"ew\", \"mlp\"]\nseed = [7, 8]\n";
    let s = spec_text(&sweep_spec(data.path(), axes), &root());
    let out = tempfile::tempdir().unwrap();
    let o = run_it(&s, 2, out.path());
    // [sweep] keys in name order: model, seed. ew × {7, 8} is one scoring.
    assert_eq!(o.rows.len(), 4);
    assert_eq!(o.scorings, 3, "ew once, mlp once per seed");
    let row = |model: &str, seed: &str| {
        o.rows
            .iter()
            .find(|r| {
                r.param("model").as_deref() == Some(model)
                    && r.param("seed").as_deref() == Some(seed)
            })
            .unwrap()
    };
    let (e7, e8, m7, m8) = (
        row("ew", "7"),
        row("ew", "8"),
        row("mlp", "7"),
        row("mlp", "8"),
    );
    assert_eq!(e7.alpha.to_bits(), e8.alpha.to_bits());
    assert_ne!(
        m7.alpha, m8.alpha,
        "two seeds of the mlp must train differently"
    );
    for (r, seed) in [(m7, 7), (m8, 8)] {
        let body = MODELS.iter().find(|m| m.0 == "mlp").unwrap().1;
        let text = head(data.path()).replace("seed = 7", &format!("seed = {seed}"))
            + &format!("[model]\n{body}");
        let plain = run(&spec_text(&text, &root()));
        assert_eq!(
            r.alpha, plain.report.metrics.excess.alpha,
            "mlp seed {seed}"
        );
        assert_eq!(r.icir, plain.report.metrics.ic.icir, "mlp seed {seed}");
    }
    let md = std::fs::read_to_string(out.path().join("table1.md")).unwrap();
    assert!(md.contains("Seeds 7, 8: each cell is mean ± sd"), "{md}");
    // Two values a, b: mean (a + b) / 2, sd |a − b| / √2.
    let (a, b) = (m7.alpha, m8.alpha);
    let cell = format!(
        "{:.2}% ± {:.2}%",
        (a + b) / 2.0 * 100.0,
        (a - b).abs() / 2f64.sqrt() * 100.0
    );
    let mlp_line = md.lines().find(|l| l.starts_with("| mlp |")).unwrap();
    assert!(
        mlp_line.starts_with(&format!("| mlp | {cell} | ")),
        "{mlp_line}"
    );
    let ew_line = md.lines().find(|l| l.starts_with("| ew |")).unwrap();
    assert!(
        ew_line.starts_with(&format!("| ew | {:.2}% | ", e7.alpha * 100.0)),
        "{ew_line}"
    );
}

#[test]
fn test_seed_axis_values_are_checked() {
    std::env::set_current_dir(root()).unwrap();
    let base = "data = \"fixtures/tiny\"\nindex = \"synth\"\n\n[models.ew]\nkind = \"ew\"\n\n";
    let e = sweep_error(&format!("{base}[sweep]\nseed = [1, \"two\"]\n"));
    assert!(
        e.contains("line 8") && e.contains("non-negative integers"),
        "{e}"
    );
    let e = sweep_error(&format!("{base}[sweep]\nseed = [3, 3]\n"));
    assert!(e.contains("`3` is listed twice"), "{e}");
}
