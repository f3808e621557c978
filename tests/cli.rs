//! The command line: help text, spec errors, no half-written output, --check.

use crate::common::root;
use clap::Parser;
use std::process::Command;

fn alphasim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alphasim"));
    c.current_dir(root());
    c
}

#[test]
fn test_cli_help_snapshots() {
    let help = |args: &[&str]| -> String {
        let err = alphasim::cli::Cli::try_parse_from(args).expect_err("--help exits early");
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        err.to_string()
    };
    insta::assert_snapshot!("help", help(&["alphasim", "--help"]));
    for sub in [
        "backtest",
        "factors",
        "generate",
        "validate",
        "report",
        "sweep",
        "sweep-merge",
    ] {
        insta::assert_snapshot!(format!("help_{sub}"), help(&["alphasim", sub, "--help"]));
    }
    insta::assert_snapshot!(
        "help_import_qlib",
        help(&["alphasim", "import", "qlib", "--help"])
    );
}

#[test]
fn test_cli_spec_errors() {
    std::env::set_current_dir(root()).unwrap();
    let mut all = String::new();
    for case in ["unknown_key", "missing_data", "unknown_model"] {
        let path = std::path::PathBuf::from(format!("fixtures/bad_specs/{case}.toml"));
        let err = alphasim::spec::Spec::from_file(&path)
            .and_then(|s| s.check_data_dir().map(|_| s))
            .expect_err(case);
        all.push_str(&format!("== {case}\n{err}\n"));
    }
    assert!(all.contains("top_fractoin"), "the unknown key is named");
    insta::assert_snapshot!("spec_errors", all);
}

#[test]
fn test_cli_bad_bundle_fails_before_writing_anything() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    let o = alphasim()
        .args([
            "backtest",
            "strategies/default.toml",
            "--data",
            "fixtures/bad/high_below_low",
            "--out",
        ])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("fixtures/bad/high_below_low/bars.csv"),
        "{err}"
    );
    assert!(!target.exists(), "no output folder");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no partial folder either"
    );
}

#[test]
fn test_cli_backtest_check_and_update() {
    let out = tempfile::tempdir().unwrap();
    let stored = out.path().join("expected.txt");
    let run = |extra: &[&str]| {
        alphasim()
            .args(["backtest", "strategies/default.toml", "--quiet", "--out"])
            .arg(out.path().join("run"))
            .arg("--check")
            .arg(&stored)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&["--update"]).status.success());
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Tamper with the stored alpha: the check fails with a readable diff.
    let text = std::fs::read_to_string(&stored).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| {
            if l.starts_with("alpha ") {
                "alpha                        9.999999".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&stored, tampered).unwrap();
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("- stored: alpha") && err.contains("+ now:    alpha"),
        "{err}"
    );
}

#[test]
fn test_cli_default_backtest_prints_summary() {
    let out = tempfile::tempdir().unwrap();
    let o = alphasim()
        .args(["backtest", "--out"])
        .arg(out.path().join("run"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.starts_with("alphasim backtest: default"), "{s}");
    assert!(s.contains("information_ratio"));
}
