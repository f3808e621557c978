//! Sharded sweeps through the binary (issue 15): shards run as separate
//! processes and merged are byte-identical to the unsharded sweep for any
//! `--jobs`; whole scoring groups go to one shard each; `sweep-merge`
//! refuses a missing, doubled, foreign or incomplete shard with a message
//! naming it; `--shard auto/N` reads the index from Slurm's or Kubernetes'
//! environment variable; bad `--shard` values are errors before anything runs.

use crate::common::{copy_bundle, root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The scheduler variables `--shard auto/N` reads: removed from every
/// child's environment unless a test sets one (the suite may run inside a job).
const SHARD_VARS: [&str; 2] = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

fn alphasim(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alphasim"));
    c.current_dir(dir).stdin(Stdio::null());
    for v in SHARD_VARS {
        c.env_remove(v);
    }
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    alphasim(dir).args(args).output().expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// fixtures/tiny (index `synth`, 25 members) plus an index `alt` (the 15
/// SZ symbols) in `dir/data`, and `dir/spec.toml`: models ew, linear and
/// `missing` (a `file` model whose scores do not exist: its scorings fail)
/// on both indices, at two commissions — 12 variants in 6 scoring groups.
fn table1_like(dir: &Path) {
    let data = copy_bundle(&root().join("fixtures/tiny"));
    let target = dir.join("data");
    std::fs::rename(data.path(), &target)
        .or_else(|_| copy_dir(data.path(), &target))
        .unwrap();
    let path = target.join("constituents.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for i in 1..=15 {
        text.push_str(&format!("alt,SZ{i:06},,\n"));
    }
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.join("spec.toml"), spec_text("t1", 0.2)).unwrap();
}

fn spec_text(name: &str, top: f64) -> String {
    format!(
        r#"data = "data"
name = "{name}"
seed = 7
start = "2015-06-01"

[schedule]
retrain_months = 3

[portfolio]
top_fraction = {top}

[indices.alt]
start = "2015-09-01"

[models.ew]
kind = "ew"
factors = ["f0", "f1", "f2"]
signs = {{ f2 = -1.0 }}

[models.linear]
kind = "linear"
horizon = 10
ridge = 0.01
samples = {{ every_days = 2, validation_months = 2, embargo_months = 1 }}

[models.missing]
kind = "file"
path = "no_such_scores.csv"

[sweep]
index = ["synth", "alt"]
model = ["ew", "linear", "missing"]
"costs.commission_bps" = [0, 40]
"#
    )
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let (ka, kb): (Vec<_>, Vec<_>) = (ta.keys().collect(), tb.keys().collect());
    assert_eq!(
        ka,
        kb,
        "{} and {} hold the same files",
        a.display(),
        b.display()
    );
    for (k, v) in &ta {
        assert!(
            *v == tb[k],
            "{} differs between {} and {}",
            k.display(),
            a.display(),
            b.display()
        );
    }
}

/// The `variants` of a shard folder's manifest.
fn held(shard: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(shard.join("manifest.toml")).unwrap();
    let m: toml::Table = text.parse().unwrap();
    m["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn test_three_shards_in_separate_processes_merge_to_the_unsharded_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    table1_like(dir);
    // Unsharded, one and two workers: exit 1 (the `missing` variants fail).
    for (jobs, out) in [("1", "whole1"), ("2", "whole2")] {
        let o = run(
            dir,
            &["sweep", "spec.toml", "--jobs", jobs, "--out", out, "-q"],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    }
    // Three shards at once, one process each.
    let children: Vec<_> = (0..3)
        .map(|i| {
            alphasim(dir)
                .args(["sweep", "spec.toml", "--jobs", "1", "--out", "shards"])
                .args(["--shard", &format!("{i}/3")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let mut codes = Vec::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        codes.push(o.status.code());
        assert!(!stderr(&o).contains("error:"), "{}", stderr(&o));
    }
    // Whole groups, longest estimated first onto the least loaded shard.
    // Groups in variant order (costs slowest, then index, then model):
    // g0 synth/ew v001+v007, g1 synth/linear v002+v008, g2 synth/missing
    // v003+v009, g3 alt/ew v004+v010, g4 alt/linear v005+v011, g5
    // alt/missing v006+v012. Estimates (weight × members + members per
    // replay; ew and file 1, linear 2; synth 25, alt 15 members): 50, 75,
    // 50, 30, 45, 30. Dealt by hand: g1 → s0 (75); g0 → s1 (50); g2 → s2
    // (50); g4 → s1 (95); g3 → s2 (80); g5 → s0 (105).
    let shard = |i: usize| dir.join(format!("shards/shard-{i}-of-3"));
    assert_eq!(held(&shard(0)), ["v002", "v006", "v008", "v012"]);
    assert_eq!(held(&shard(1)), ["v001", "v005", "v007", "v011"]);
    assert_eq!(held(&shard(2)), ["v003", "v004", "v009", "v010"]);
    // A shard with a failed variant exits 1, like the sweep; its folder is complete.
    assert_eq!(codes, [Some(1), Some(0), Some(1)]);
    assert!(!shard(1).join("v003").exists() && shard(1).join("v005/nav.csv").is_file());
    let o = run(
        dir,
        &[
            "sweep-merge",
            "merged",
            "shards/shard-2-of-3",
            "shards/shard-0-of-3",
            "shards/shard-1-of-3",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("wrote 8 of 12 variants (6 scorings) to merged"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("4 of 12 sweep variants failed"),
        "{}",
        stderr(&o)
    );
    for name in [
        "comparison.md",
        "comparison.csv",
        "break_even.csv",
        "table1.md",
        "table1.csv",
        "report.html",
        "failures.csv",
        "v001/report.json",
        "v011/nav.csv",
    ] {
        assert!(dir.join("merged").join(name).is_file(), "{name}");
    }
    assert_same_tree(&dir.join("whole1"), &dir.join("whole2"));
    assert_same_tree(&dir.join("whole1"), &dir.join("merged"));
    assert_same_tree(&dir.join("whole2"), &dir.join("merged"));
}

/// `dir` with the table1-like bundle and spec, its 3 shards written to `dir/a`.
fn three_shards(dir: &Path) {
    table1_like(dir);
    for i in 0..3 {
        let o = run(
            dir,
            &[
                "sweep",
                "spec.toml",
                "--shard",
                &format!("{i}/3"),
                "--out",
                "a",
                "-q",
            ],
        );
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{}",
            stderr(&o)
        );
    }
}

/// `sweep-merge OUT SHARDS…` fails with exit 2, writes nothing, and its
/// error contains every one of `expect`.
fn merge_fails(dir: &Path, shards: &[&str], expect: &[&str]) {
    let mut args = vec!["sweep-merge", "out"];
    args.extend_from_slice(shards);
    let o = run(dir, &args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{shards:?}: {err}");
    for e in expect {
        assert!(err.contains(e), "{shards:?}: expected `{e}` in:\n{err}");
    }
    assert!(!dir.join("out").exists() && !dir.join("out.partial").exists());
}

#[test]
fn test_sweep_merge_refuses_a_missing_doubled_foreign_or_incomplete_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    three_shards(dir);
    let (s0, s1, s2) = ("a/shard-0-of-3", "a/shard-1-of-3", "a/shard-2-of-3");
    merge_fails(
        dir,
        &[s0, s2],
        &["shard 1 of 3 missing (given: 0, 2)", "--shard 1/3"],
    );
    merge_fails(
        dir,
        &[s0, s1, s1, s2],
        &["shard 1 of 3 is given twice: a/shard-1-of-3 and a/shard-1-of-3"],
    );
    // Another spec (top_fraction 0.3): its shard 1 among spec.toml's.
    std::fs::write(dir.join("other.toml"), spec_text("t1", 0.3)).unwrap();
    let o = run(
        dir,
        &["sweep", "other.toml", "--shard", "1/3", "--out", "b", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    merge_fails(
        dir,
        &[s0, "b/shard-1-of-3", s2],
        &[
            "the shards are of different specs:",
            "a/shard-0-of-3: spec spec.toml (sha256 ",
            "b/shard-1-of-3: spec other.toml (sha256 ",
        ],
    );
    // The same spec by another path (echoed in every report.json).
    let o = run(
        dir,
        &["sweep", "./spec.toml", "--shard", "1/3", "--out", "e", "-q"],
    );
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", stderr(&o));
    merge_fails(
        dir,
        &[s0, "e/shard-1-of-3", s2],
        &[
            "one spec given by different paths or with different --data",
            "e/shard-1-of-3: spec ./spec.toml, data data",
        ],
    );
    // The same spec with another plan (--set), and split in two.
    let o = run(
        dir,
        &[
            "sweep",
            "spec.toml",
            "--set",
            "costs.commission_bps=0,10",
            "--shard",
            "1/3",
            "--out",
            "c",
            "-q",
        ],
    );
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", stderr(&o));
    merge_fails(
        dir,
        &[s0, "c/shard-1-of-3", s2],
        &["the shards are of different sweep plans ([sweep] axes and --set)"],
    );
    let o = run(
        dir,
        &["sweep", "spec.toml", "--shard", "1/2", "--out", "d", "-q"],
    );
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", stderr(&o));
    merge_fails(
        dir,
        &[s0, "d/shard-1-of-2", s2],
        &[
            "different numbers of shards",
            "d/shard-1-of-2: shard 1 of 2",
        ],
    );
    // Not shards: a whole sweep folder, a folder that does not exist, the shards' own folder as OUT.
    let o = run(dir, &["sweep", "spec.toml", "--out", "whole", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    merge_fails(
        dir,
        &[s0, s1, "whole"],
        &["whole: a whole sweep folder, not a shard folder (no manifest.toml)"],
    );
    merge_fails(
        dir,
        &[s0, s1, "a/shard-9-of-3"],
        &["a/shard-9-of-3: no such shard folder"],
    );
    let o = run(dir, &["sweep-merge", "a", s0, s1, s2]);
    assert!(
        stderr(&o).contains("the merged folder would replace or sit inside the shard folder"),
        "{}",
        stderr(&o)
    );
    let o = run(dir, &["sweep-merge", "a/shard-1-of-3/out", s0, s1, s2]);
    let err = stderr(&o);
    assert!(
        err.contains("would replace or sit inside the shard folder a/shard-1-of-3"),
        "{err}"
    );
    assert!(!dir.join("a/shard-1-of-3/out").exists());
    assert!(
        dir.join(s0).join("manifest.toml").is_file(),
        "the shards are untouched"
    );
    // Incomplete: a shard folder still named `.partial` (as a killed run leaves it).
    std::fs::rename(dir.join(s2), dir.join("a/shard-2-of-3.partial")).unwrap();
    merge_fails(
        dir,
        &[s0, s1, s2],
        &[
            "a/shard-2-of-3: an incomplete shard: only a/shard-2-of-3.partial exists",
            "rerun that shard",
        ],
    );
    merge_fails(
        dir,
        &[s0, s1, "a/shard-2-of-3.partial"],
        &["an incomplete shard (a `.partial` folder"],
    );
    // Rerunning that one shard is enough.
    let o = run(
        dir,
        &["sweep", "spec.toml", "--shard", "2/3", "--out", "a", "-q"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        !dir.join("a/shard-2-of-3.partial").exists(),
        "the stale .partial is replaced"
    );
    let o = run(dir, &["sweep-merge", "merged", s0, s1, s2, "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_same_tree(&dir.join("whole"), &dir.join("merged"));
}

#[test]
fn test_killed_shard_leaves_an_incomplete_folder_that_merge_refuses() {
    // The default DMFM spec on one worker: the shard folder is
    // `.partial` from before the scoring until the end; SIGKILL (no
    // handler runs, as when a scheduler kills a job) leaves it behind.
    let tmp = tempfile::tempdir().unwrap();
    let shards = tmp.path().join("s");
    let args = |shard: &str| -> Vec<String> {
        [
            "sweep",
            "strategies/default.toml",
            "--set",
            "costs.commission_bps=0,20",
            "--jobs",
            "1",
            "-q",
            "--out",
            shards.to_str().unwrap(),
            "--shard",
            shard,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let mut child = alphasim(&root())
        .args(args("0/2"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = shards.join("shard-0-of-2.partial");
    let started = Instant::now();
    while !partial.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the shard ended before {} appeared",
            partial.display()
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} never appeared",
            partial.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(partial.exists() && !shards.join("shard-0-of-2").exists());
    let o = run(
        &root(),
        &[
            "sweep",
            "strategies/default.toml",
            "--set",
            "costs.commission_bps=0,20",
            "--out",
            shards.to_str().unwrap(),
            "--shard",
            "1/2",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        held(&shards.join("shard-1-of-2")).is_empty(),
        "one scoring: shard 1 of 2 holds nothing"
    );
    let merged = tmp.path().join("m");
    let (m, s0, s1) = (
        merged.to_str().unwrap(),
        shards.join("shard-0-of-2"),
        shards.join("shard-1-of-2"),
    );
    let o = run(
        &root(),
        &["sweep-merge", m, s0.to_str().unwrap(), s1.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("an incomplete shard: only ")
            && stderr(&o).contains("shard-0-of-2.partial exists"),
        "{}",
        stderr(&o)
    );
    // Rerun shard 0 alone, then the merge is complete.
    let o = run(
        &root(),
        &args("0/2").iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(
        &root(),
        &[
            "sweep-merge",
            m,
            s0.to_str().unwrap(),
            s1.to_str().unwrap(),
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(merged.join("v002/nav.csv").is_file() && merged.join("comparison.csv").is_file());
}

#[test]
fn test_shard_auto_reads_slurm_or_kubernetes_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    table1_like(dir);
    for (var, index) in [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("JOB_COMPLETION_INDEX", "0"),
        ("JOB_COMPLETION_INDEX", "1"),
    ] {
        let o = alphasim(dir)
            .args([
                "sweep",
                "spec.toml",
                "--shard",
                "auto/3",
                "--out",
                "auto",
                "-q",
            ])
            .env(var, index)
            .output()
            .unwrap();
        assert!(
            o.status.code().is_some_and(|c| c < 2),
            "{var}: {}",
            stderr(&o)
        );
        assert!(
            dir.join(format!("auto/shard-{index}-of-3/manifest.toml"))
                .is_file(),
            "{var}={index}"
        );
    }
    // The shards from the environment are the shards given by hand.
    for i in 0..3 {
        let o = run(
            dir,
            &[
                "sweep",
                "spec.toml",
                "--shard",
                &format!("{i}/3"),
                "--out",
                "byhand",
                "-q",
            ],
        );
        assert!(o.status.code().is_some_and(|c| c < 2), "{}", stderr(&o));
        let name = format!("shard-{i}-of-3");
        assert_same_tree(
            &dir.join("auto").join(&name),
            &dir.join("byhand").join(&name),
        );
    }
}

#[test]
fn test_bad_shard_values_are_errors_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    table1_like(dir);
    // (--shard value, a scheduler variable set, the expected error)
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 9] = [
        ("3/3", None, "`3/3`: the shard index `3` is out of range: shards of 3 are numbered 0 to 2"),
        ("1/0", None, "the shard count `0` must be a whole number ≥ 1"),
        ("x/2", None, "the shard index `x` is not a whole number ≥ 0"),
        ("2", None, "`2` is not I/N"),
        ("1/two", None, "the shard count `two` must be a whole number ≥ 1"),
        ("auto/2", None, "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set"),
        ("auto/2", Some(("SLURM_ARRAY_TASK_ID", "2")), "SLURM_ARRAY_TASK_ID=2 is out of range: shards of 2 are numbered 0 to 1 (a Slurm array of 2 shards is --array=0-1)"),
        ("auto/4", Some(("JOB_COMPLETION_INDEX", "4")), "JOB_COMPLETION_INDEX=4 is out of range: shards of 4 are numbered 0 to 3 (an Indexed Job of 4 shards has completions: 4)"),
        ("auto/2", Some(("JOB_COMPLETION_INDEX", "")), "JOB_COMPLETION_INDEX= is not a whole number ≥ 0"),
    ];
    for (value, env, expect) in cases {
        let mut c = alphasim(dir);
        c.args(["sweep", "spec.toml", "--out", "bad", "--shard", value]);
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{value}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("--shard <I/N>"),
            "clap names the flag: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains(expect),
            "{value} {env:?}: expected `{expect}` in:\n{}",
            stderr(&o)
        );
        assert!(!dir.join("bad").exists(), "{value}: nothing written");
    }
}
