//! Selective loading: a run parses only the factor columns it reads, with
//! the same run folder as a load of every column.

use crate::common::{copy_bundle, root, spec_text};
use alphasim::data::{load_market, validate_bundle, FactorColumns, LoadOptions};
use std::path::Path;

/// Rewrites `factors.csv` with a column `junk` of text after `symbol` and a
/// column `noise` of numbers after `f1`: neither is a number column a run
/// of `f1`/`f3` may parse.
fn add_unused_columns(dir: &Path) {
    let p = dir.join("factors.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let (junk, noise) = if i == 0 {
            ("junk".to_owned(), "noise".to_owned())
        } else {
            ("n/a".to_owned(), format!("{}.25", i % 7))
        };
        let mut row: Vec<String> = vec![f[0].into(), f[1].into(), junk];
        row.extend(f[2..4].iter().map(|s| s.to_string()));
        row.push(noise);
        row.extend(f[4..].iter().map(|s| s.to_string()));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    std::fs::write(&p, out).unwrap();
}

fn folder_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

const EW_F1_F3: &str = r#"
name = "select"
data = "."
index = "synth"
seed = 42
[schedule]
rebalance = "monthly"
[model]
kind = "ew"
factors = ["f1", "f3"]
signs = { f3 = -1.0 }
[portfolio]
top_fraction = 0.2
"#;

#[test]
fn test_load_select_unused_columns_same_run_folder_and_never_parsed() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let spec = spec_text(EW_F1_F3, bundle.path());
    let out = tempfile::tempdir().unwrap();
    let mut quiet = |_: usize, _: usize| {};

    // Reference: every column of the original bundle.
    let all = load_market(bundle.path(), &LoadOptions::default()).unwrap();
    assert_eq!(all.factors.names.len(), 8);
    let reference = alphasim::run::backtest_market(&spec, &all, &mut quiet).unwrap();
    reference.write(&out.path().join("all")).unwrap();

    // The same bundle with a text column and a number column no run reads.
    add_unused_columns(bundle.path());
    let selected = alphasim::run::backtest(&spec, &mut quiet).unwrap();
    selected.write(&out.path().join("selected")).unwrap();
    let (a, b) = (
        folder_files(&out.path().join("all")),
        folder_files(&out.path().join("selected")),
    );
    assert_eq!(a.len(), b.len());
    for ((na, ba), (nb, bb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(
            ba == bb,
            "{na} differs between the full and the selective load"
        );
    }

    // Only the two columns are stored; their values are the original ones.
    let m = load_market(bundle.path(), &alphasim::run::run_load_options(&spec)).unwrap();
    assert_eq!(m.factors.names, ["f1", "f3"]);
    assert_eq!(m.factors.values.len(), 2 * m.factors.len());
    assert_eq!(m.factors.len(), all.factors.len());
    for r in 0..m.factors.len() {
        let (x, y) = (m.factors.row(r), all.factors.row(r));
        assert_eq!(x[0].to_bits(), y[1].to_bits());
        assert_eq!(x[1].to_bits(), y[3].to_bits());
    }

    // Parsed, the text column is an error: a full load and `validate` say so.
    for e in [
        load_market(bundle.path(), &LoadOptions::default()).unwrap_err(),
        validate_bundle(bundle.path()).unwrap_err(),
    ] {
        let text = e.to_string();
        assert!(text.contains("factors.csv:2:3 (column `junk`)"), "{text}");
    }
}

#[test]
fn test_load_select_missing_factor_fails_as_with_every_column() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let spec = spec_text(&EW_F1_F3.replace("\"f3\"]", "\"f33\"]"), bundle.path());
    let opts = alphasim::run::run_load_options(&spec);
    assert_eq!(
        opts.factor_columns,
        FactorColumns::Select {
            required: vec!["f1".into(), "f33".into(), "f3".into()],
            optional: ["size", "volatility", "momentum", "liquidity"]
                .map(String::from)
                .to_vec(),
        }
    );
    // A required name that is not a column: every column is parsed.
    let m = load_market(bundle.path(), &opts).unwrap();
    assert_eq!(m.factors.names.len(), 8);
    let mut quiet = |_: usize, _: usize| {};
    let e = alphasim::run::backtest(&spec, &mut quiet).expect_err("f33 is not a column");
    let all = load_market(bundle.path(), &LoadOptions::default()).unwrap();
    let e_all =
        alphasim::run::backtest_market(&spec, &all, &mut quiet).expect_err("f33 is not a column");
    assert_eq!(e.to_string(), e_all.to_string());
    assert!(
        e.to_string().contains("f0, f1, f2, f3, f4, f5, f6, f7"),
        "{e}"
    );
}

#[test]
fn test_load_select_library_name_clash_with_unused_column_still_an_error() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let p = bundle.path().join("factors.csv");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen("f7", "ret5", 1);
    std::fs::write(&p, text).unwrap();
    let spec_toml = EW_F1_F3.replace("seed = 42", "seed = 42\nfactors = [\"reversal:ret5\"]");
    let spec = spec_text(&spec_toml, bundle.path());
    let m = load_market(bundle.path(), &alphasim::run::run_load_options(&spec)).unwrap();
    assert_eq!(m.factors.names, ["f1", "f3", "ret5"]);
    let mut quiet = |_: usize, _: usize| {};
    let e = alphasim::run::backtest(&spec, &mut quiet).expect_err("clash");
    assert!(
        e.to_string()
            .contains("library factor `ret5` has the same name as a column of factors.csv"),
        "{e}"
    );
}

#[test]
fn test_load_select_models_without_factors_and_all_columns() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let reversal = EW_F1_F3.replace(
        "kind = \"ew\"\nfactors = [\"f1\", \"f3\"]\nsigns = { f3 = -1.0 }",
        "kind = \"reversal\"",
    );
    let spec = spec_text(&reversal, bundle.path());
    let m = load_market(bundle.path(), &alphasim::run::run_load_options(&spec)).unwrap();
    assert!(m.factors.names.is_empty());
    // Rows (and their symbols) are still read: the feed's days are the same.
    let all = load_market(bundle.path(), &LoadOptions::default()).unwrap();
    assert_eq!(m.factors.date, all.factors.date);
    assert_eq!(m.factors.symbol, all.factors.symbol);
    let every = EW_F1_F3.replace("factors = [\"f1\", \"f3\"]\n", "");
    let spec = spec_text(&every, bundle.path());
    assert_eq!(
        alphasim::run::run_load_options(&spec).factor_columns,
        FactorColumns::All
    );
}

/// A two-row bars file and a `factors.csv` with `body` after its header
/// `date,symbol,f0,f1,f2`, in a fresh folder.
fn tail_bundle(body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bars.csv"),
        "date,symbol,open,high,low,close,volume\n\
         2024-01-02,A,1,1,1,1,10\n2024-01-02,B,2,2,2,2,10\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("factors.csv"),
        format!("date,symbol,f0,f1,f2\n{body}"),
    )
    .unwrap();
    dir
}

fn only_f0() -> LoadOptions {
    LoadOptions {
        factor_columns: FactorColumns::Select {
            required: vec!["f0".into()],
            optional: Vec::new(),
        },
        ..LoadOptions::default()
    }
}

#[test]
fn test_load_select_unsplit_tail_still_counts_fields_and_sees_quotes() {
    // Fields after the last column a run reads are not split, only counted:
    // an extra or a missing field there is the same located error as when
    // every column is parsed (line 3 is the second data row).
    for (row, fields) in [("2024-01-02,B,0.5,1,2,3", 6), ("2024-01-02,B,0.5,1", 4)] {
        let dir = tail_bundle(&format!("2024-01-02,A,0.25,1,2\n{row}\n"));
        let selective = load_market(dir.path(), &only_f0()).unwrap_err().to_string();
        let full = load_market(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(selective, full);
        assert!(selective.contains("factors.csv:3:"), "{selective}");
        assert!(
            selective.contains(&format!("the row has {fields} fields but the header has 5")),
            "{selective}"
        );
        assert!(selective.contains(row), "the row is shown: {selective}");
    }

    // A quoted field with a comma in the unsplit tail is one field: the
    // selective load reads f0 (the full load rejects "1,5" as a number).
    let dir = tail_bundle("2024-01-02,A,0.25,\"1,5\",2\n2024-01-02,B,-0.5,1,\"x\"\n");
    let m = load_market(dir.path(), &only_f0()).unwrap();
    assert_eq!(m.factors.names, ["f0"]);
    assert_eq!(m.factors.values, [0.25, -0.5]);
    let full = load_market(dir.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(full.contains("factors.csv:2:4 (column `f1`)"), "{full}");

    // A blank line and a CRLF line end in the tail: skipped / trimmed as before.
    let dir = tail_bundle("2024-01-02,A,0.25,1,2\r\n\n2024-01-02,B,-0.5,1,2\r\n");
    let m = load_market(dir.path(), &only_f0()).unwrap();
    assert_eq!(m.factors.values, [0.25, -0.5]);
}
