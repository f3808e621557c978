//! Issue 16's user-facing rules, through the binary: a run that could never
//! trade stops at once with the reason, `data` may come from `--data` alone,
//! `validate` ends its output with a newline, and `--strict` turns warnings
//! into errors before anything is written.

use crate::common::{copy_bundle, root};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn alphasim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alphasim"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The three-day bundle of the issue: two stocks, one factor, constant
/// prices (the NAV can never move), spec `kind = "ew"` and nothing else.
fn three_day_bundle(dir: &Path) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut bars = String::from("date,symbol,open,high,low,close,volume\n");
    let mut factors = String::from("date,symbol,f1\n");
    for d in ["2024-01-02", "2024-01-03", "2024-01-04"] {
        bars.push_str(&format!("{d},A,10,10,10,10,100\n{d},B,20,20,20,20,100\n"));
        factors.push_str(&format!("{d},A,1\n{d},B,2\n"));
    }
    std::fs::write(data.join("bars.csv"), bars).unwrap();
    std::fs::write(data.join("factors.csv"), factors).unwrap();
}

#[test]
fn test_three_day_bundle_stops_at_once_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    three_day_bundle(tmp.path());
    std::fs::write(
        tmp.path().join("spec.toml"),
        "data = \"data\"\n[model]\nkind = \"ew\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let o = alphasim(tmp.path(), &["backtest", "spec.toml", "--out", "out"]);
    let took = started.elapsed();
    let (_, err) = text(&o);
    assert!(
        took < Duration::from_secs(1),
        "finishes in under a second, took {took:?}"
    );
    assert!(
        !o.status.success(),
        "a run that can never trade is an error"
    );
    // All three days are in January and the last day of the data can never
    // be a signal day (nothing could execute after it): no signal day at all.
    assert!(err.contains("no signal day"), "says why: {err}");
    assert!(
        err.contains("2024-01-02 .. 2024-01-04"),
        "names the window: {err}"
    );
    assert!(err.contains("spec.toml"), "names the spec: {err}");
    assert!(!tmp.path().join("out").exists(), "no run folder");
    assert!(
        !tmp.path().join("out.partial").exists(),
        "nothing half-written"
    );
}

#[test]
fn test_spec_without_data_runs_with_data_flag_and_errors_without() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("nodata.toml");
    std::fs::write(
        &spec,
        "index = \"synth\"\n[model]\nkind = \"ew\"\n[portfolio]\ntop_fraction = 0.2\n",
    )
    .unwrap();
    let tiny = root().join("fixtures/tiny");
    let spec_s = spec.to_str().unwrap();
    let out = tmp.path().join("out");
    let o = alphasim(
        tmp.path(),
        &[
            "backtest",
            spec_s,
            "--data",
            tiny.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "runs with --data: {:?}", text(&o));
    assert!(out.join("summary.txt").is_file());

    let o = alphasim(tmp.path(), &["backtest", spec_s, "--out", "out2"]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("no `data` key and no --data"),
        "names both ways to give the data: {err}"
    );
    assert!(err.contains("nodata.toml"), "names the spec file: {err}");
    assert!(!tmp.path().join("out2").exists());
}

#[test]
fn test_validate_output_ends_with_a_newline() {
    let o = alphasim(&root(), &["validate", "fixtures/tiny"]);
    assert!(o.status.success());
    let (out, _) = text(&o);
    assert!(out.ends_with("ok: the bundle is valid\n"), "{out:?}");
}

/// fixtures/tiny with one bar whose close lies above its high: legal (a
/// warning), an error under --strict.
fn bundle_with_close_above_high() -> tempfile::TempDir {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    let bars = std::fs::read_to_string(dir.path().join("bars.csv")).unwrap();
    let mut lines: Vec<String> = bars.lines().map(str::to_owned).collect();
    // line 3: 2015-01-06,SH600000,45.04,45.49,44.80,45.13,... → close 45.60 > high 45.49
    assert!(lines[2].starts_with("2015-01-06,SH600000,45.04,45.49,44.80,45.13,"));
    lines[2] = lines[2].replacen(",45.13,", ",45.60,", 1);
    std::fs::write(dir.path().join("bars.csv"), lines.join("\n") + "\n").unwrap();
    dir
}

#[test]
fn test_strict_turns_warnings_into_errors_before_anything_is_written() {
    let bundle = bundle_with_close_above_high();
    let b = bundle.path().to_str().unwrap();
    let o = alphasim(&root(), &["validate", b]);
    let (out, _) = text(&o);
    assert!(o.status.success(), "a warning only: {out}");
    assert!(
        out.contains("1 rows have open or close outside [low, high]"),
        "{out}"
    );
    assert!(out.contains("first: SH600000 on 2015-01-06"), "{out}");

    let o = alphasim(&root(), &["validate", b, "--strict"]);
    let (_, err) = text(&o);
    assert!(!o.status.success(), "--strict fails on the warning");
    assert!(
        err.contains("--strict: 1 warning(s) treated as errors"),
        "{err}"
    );
    assert!(err.contains("outside [low, high]"), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["backtest", "sweep"] {
        let out = tmp.path().join(cmd);
        let mut args = vec![
            cmd,
            "strategies/ew_tiny.toml",
            "--data",
            b,
            "--out",
            out.to_str().unwrap(),
            "--strict",
        ];
        if cmd == "sweep" {
            args.extend(["--set", "costs.commission_bps=0,10"]);
        }
        let o = alphasim(&root(), &args);
        let (_, err) = text(&o);
        assert!(!o.status.success(), "{cmd} --strict fails");
        assert!(err.contains("outside [low, high]"), "{cmd}: {err}");
        assert!(!out.exists(), "{cmd}: nothing written");
    }
    // Without --strict the same backtest runs.
    let out = tmp.path().join("lenient");
    let o = alphasim(
        &root(),
        &[
            "backtest",
            "strategies/ew_tiny.toml",
            "--data",
            b,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
}
