//! Issue 16's user-facing rules, through the binary: a run that could never
//! trade stops at once with the reason, `data` may come from `--data` alone,
//! `validate` ends its output with a newline, and `--strict` turns warnings
//! into errors before anything is written; a failed sweep variant is
//! reported with its name while the others finish; Ctrl-C (SIGINT/SIGTERM)
//! leaves no `.partial` folder behind.

use crate::common::{copy_bundle, root};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
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
    insta::assert_snapshot!("no_signal_day_error", err);
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
    insta::assert_snapshot!("strict_validate_error", err);

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

// ------------------------------------------------------------ sweep failures

/// fixtures/tiny plus a second index `alt` (the 15 SZ symbols, members for
/// all time), as tests/table1.rs builds it.
fn two_index_bundle() -> tempfile::TempDir {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    let path = dir.path().join("constituents.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for i in 1..=15 {
        text.push_str(&format!("alt,SZ{i:06},,\n"));
    }
    std::fs::write(&path, text).unwrap();
    dir
}

/// An ew spec on `data` with `extra` appended (tables, `[sweep]`).
fn ew_spec(data: &Path, extra: &str) -> String {
    format!(
        "data = \"{}\"\nname = \"fail\"\nstart = \"2015-06-01\"\n\n[model]\nkind = \"ew\"\nfactors = [\"f0\", \"f1\", \"f2\"]\n\n[portfolio]\ntop_fraction = 0.2\n\n{extra}",
        data.display()
    )
}

fn sweep_lib(
    spec: &alphasim::spec::Spec,
    out: &Path,
) -> alphasim::Result<alphasim::research::sweep::SweepOutcome> {
    use alphasim::research::sweep::{run_sweep, SweepOptions, SweepPlan};
    let market = alphasim::data::load_market(&spec.data_dir, &Default::default()).unwrap();
    let plan = SweepPlan::from_spec(spec).unwrap();
    let options = SweepOptions {
        jobs: 2,
        positions: false,
    };
    run_sweep(spec, &market, &plan, options, out, &|_| {})
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn partial(p: &Path) -> std::path::PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".partial");
    s.into()
}

#[test]
fn test_sweep_variant_failing_inside_its_run_leaves_the_others_complete() {
    // `[indices.alt] start` after the data: valid TOML, passes the spec and
    // market checks (alt is in constituents.csv), fails when the variant runs.
    let data = two_index_bundle();
    let axes = "[indices.alt]\nstart = \"2030-01-01\"\n\n[sweep]\nindex = [\"synth\", \"alt\"]\n\"costs.commission_bps\" = [0, 40]\n";
    let s = crate::common::spec_text(&ew_spec(data.path(), axes), data.path());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let outcome = sweep_lib(&s, &out).expect("two variants succeed: the sweep is written");
    // [sweep] keys in name order: costs.commission_bps (slowest), index, so
    // v001 = (0, synth), v002 = (0, alt), v003 = (40, synth), v004 = (40, alt);
    // v002 scores the alt group and fails, v004 would replay its scores.
    let names: Vec<&str> = outcome.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["v001", "v003"]);
    let failed: Vec<&str> = outcome.failures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(failed, ["v002", "v004"]);
    // The last bar of fixtures/tiny is on 2016-03-01.
    assert_eq!(
        outcome.failures[0].error,
        "start 2030-01-01 is after the last trading day 2016-03-01"
    );
    assert!(
        outcome.failures[1].error.contains("variant v002")
            && outcome.failures[1].error.contains("index=alt"),
        "the replay names its scoring variant: {}",
        outcome.failures[1].error
    );
    assert_eq!(
        outcome.failures[0].to_string(),
        "sweep variant v002 (costs.commission_bps=0, index=alt): start 2030-01-01 is after the last trading day 2016-03-01"
    );
    for v in ["v001", "v003"] {
        assert!(out.join(v).join("summary.txt").is_file(), "{v} written");
    }
    for v in ["v002", "v004"] {
        assert!(!out.join(v).exists(), "no folder for failed {v}");
    }
    for f in [
        "comparison.csv",
        "comparison.md",
        "break_even.csv",
        "table1.md",
        "table1.csv",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let failures = std::fs::read_to_string(out.join("failures.csv")).unwrap();
    let mut r = csv::Reader::from_reader(failures.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        ["variant", "params", "error"]
    );
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        [
            "v002",
            "costs.commission_bps=0, index=alt",
            "start 2030-01-01 is after the last trading day 2016-03-01"
        ]
    );
    assert_eq!(rows[1][..2], ["v004", "costs.commission_bps=40, index=alt"]);
    assert!(!partial(&out).exists(), "the .partial folder was renamed");

    // The successful variants are what a sweep without the failing index
    // writes: index = ["synth"] gives v001 = (0, synth), v002 = (40, synth).
    // (`[indices.alt]` stays: report.json echoes the spec's tables.)
    let clean_axes = axes.replace("[\"synth\", \"alt\"]", "[\"synth\"]");
    assert_ne!(clean_axes, axes);
    let c = crate::common::spec_text(&ew_spec(data.path(), &clean_axes), data.path());
    let clean_out = tmp.path().join("clean");
    let clean = sweep_lib(&c, &clean_out).unwrap();
    assert!(clean.failures.is_empty());
    assert!(!clean_out.join("failures.csv").exists());
    for (mine, theirs) in [("v001", "v001"), ("v003", "v002")] {
        for f in ["summary.txt", "nav.csv", "trades.csv", "report.json"] {
            assert!(
                read(&out.join(mine).join(f)) == read(&clean_out.join(theirs).join(f)),
                "{mine}/{f} equals the clean sweep's {theirs}/{f}"
            );
        }
    }
    // comparison.csv: the same rows, under the variants' own names.
    let rows_of = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split_once(',').unwrap().1.to_owned())
            .collect()
    };
    assert_eq!(
        rows_of(&out.join("comparison.csv")),
        rows_of(&clean_out.join("comparison.csv"))
    );
}

#[test]
fn test_sweep_cli_reports_failed_variants_and_exits_one() {
    // A `[models.missing]` table whose score file does not exist: the model
    // cannot be built, so its scoring (and the replay of its scores) fails.
    let tmp = tempfile::tempdir().unwrap();
    let extra = "[models.ew]\nkind = \"ew\"\nfactors = [\"f0\", \"f1\", \"f2\"]\n\n[models.missing]\nkind = \"file\"\npath = \"no_such_scores.csv\"\n\n[sweep]\nmodel = [\"ew\", \"missing\"]\n\"costs.commission_bps\" = [0, 40]\n";
    std::fs::write(
        tmp.path().join("spec.toml"),
        ew_spec(&root().join("fixtures/tiny"), extra),
    )
    .unwrap();
    let o = alphasim(tmp.path(), &["sweep", "spec.toml", "--out", "out"]);
    let (stdout, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{err}");
    // v001 = (0, ew), v002 = (0, missing), v003 = (40, ew), v004 = (40, missing).
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("sweep variant "))
        .collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("sweep variant v002 (costs.commission_bps=0, model=missing): ")
            && lines[0].contains("no_such_scores.csv"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("sweep variant v004 (costs.commission_bps=40, model=missing): ")
            && lines[1].contains("variant v002"),
        "{err}"
    );
    assert!(stdout.contains("wrote 2 of 4 variants"), "{stdout}");
    let out = tmp.path().join("out");
    assert!(out.join("v001").is_dir() && out.join("v003").is_dir());
    assert!(!out.join("v002").exists() && !out.join("v004").exists());
    let failures = std::fs::read_to_string(out.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 3, "header + 2 rows: {failures}");
    // table1.md: the missing model has no row of results.
    let table1 = std::fs::read_to_string(out.join("table1.md")).unwrap();
    assert!(table1.contains("| ew |"), "{table1}");
    assert!(!tmp.path().join("out.partial").exists());

    // Every variant failing: an error (exit 2), nothing written.
    let only_missing = extra.replace("model = [\"ew\", \"missing\"]", "model = [\"missing\"]");
    std::fs::write(
        tmp.path().join("bad.toml"),
        ew_spec(&root().join("fixtures/tiny"), &only_missing),
    )
    .unwrap();
    let o = alphasim(tmp.path(), &["sweep", "bad.toml", "--out", "bad"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("every sweep variant failed"), "{err}");
    assert!(
        err.contains("sweep variant v001 (costs.commission_bps=0, model=missing)"),
        "{err}"
    );
    assert!(
        err.contains("sweep variant v002 (costs.commission_bps=40, model=missing)"),
        "{err}"
    );
    assert!(!tmp.path().join("bad").exists(), "nothing written");
    assert!(
        !tmp.path().join("bad.partial").exists(),
        "nothing half-written"
    );
}

// ------------------------------------------------------------------ Ctrl-C

/// Waits (bounded) for `child` to exit; kills it and panics on time-out.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill {sig} {}", child.id());
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_alphasim"))
        .current_dir(root())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    use std::io::Read as _;
    child.stderr.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn test_interrupted_sweep_leaves_no_partial_folder() {
    // The default DMFM spec swept over 40 cost variants on one worker: the
    // sweep folder is `<out>.partial` from before the scoring (about a
    // second) until the last replay, so the interrupt lands while it exists.
    for sig in ["-INT", "-TERM"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("sweep");
        let mut child = spawn(&[
            "sweep",
            "strategies/default.toml",
            "--set",
            "costs.commission_bps=0,5,10,15,20,25,30,35,40,45",
            "--set",
            "costs.slippage_bps=0,5,10,15",
            "--jobs",
            "1",
            "--positions",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        let tmp_dir = partial(&out);
        let started = Instant::now();
        while !tmp_dir.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "exited ({status}) before {} appeared: {}",
                    tmp_dir.display(),
                    stderr_of(&mut child)
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{} never appeared",
                tmp_dir.display()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        signal(&child, sig);
        let status = wait_bounded(&mut child, Duration::from_secs(30));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(130), "{sig}: {err}");
        assert!(err.contains("interrupted: removed"), "{sig}: {err}");
        assert!(!tmp_dir.exists(), "{sig}: no .partial folder left");
        assert!(!out.exists(), "{sig}: no sweep folder either");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{sig}: the temp dir is empty: {left:?}");
    }
}

#[test]
fn test_interrupted_backtest_leaves_no_partial_folder() {
    // backtest writes `<out>.partial` only after the simulation: (a) an
    // interrupt mid-simulation leaves nothing; (b) one sent the moment the
    // `.partial` folder is seen leaves no `.partial` either (the run folder
    // may have been renamed into place just before: then it is complete).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mid");
    let mut child = spawn(&["backtest", "--quiet", "--out", out.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-INT");
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    let err = stderr_of(&mut child);
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(!out.exists() && !partial(&out).exists());

    let out = tmp.path().join("late");
    let mut child = spawn(&["backtest", "--quiet", "--out", out.to_str().unwrap()]);
    let started = Instant::now();
    let status = loop {
        if partial(&out).exists() {
            signal(&child, "-INT");
            break wait_bounded(&mut child, Duration::from_secs(30));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status; // finished between two looks
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no exit");
        std::thread::sleep(Duration::from_micros(200));
    };
    let err = stderr_of(&mut child);
    assert!(!partial(&out).exists(), "no .partial folder left: {err}");
    match status.code() {
        Some(130) => {
            // Interrupted: removed, unless the rename had just happened.
            if out.exists() {
                assert!(out.join("report.html").is_file(), "a complete folder");
            }
        }
        Some(0) => assert!(out.join("report.html").is_file()),
        other => panic!("exit {other:?}: {err}"),
    }
}
