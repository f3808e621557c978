//! The binary bundle cache end to end: run folders from the CSV files, from
//! a cache being built and from a cache hit are the same bytes; the CLI's
//! `--no-cache` and `alphasim cache clear`.

use crate::common::{copy_bundle, root, spec_text};
use alphasim::data::{load_market_status, Cache, CacheStatus, LoadOptions};
use std::path::Path;
use std::process::Command;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

pub fn assert_same_folders(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
        fb.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// The one-model spec template of the load tests (`MODEL` = the model keys).
pub const SPEC: &str = r#"
name = "cached"
data = "."
index = "synth"
seed = 42
[schedule]
rebalance = "monthly"
[model]
kind = "ew"
MODEL
[portfolio]
top_fraction = 0.2
"#;

#[test]
fn test_load_cache_run_folders_identical_from_csv_and_cache() {
    for model in ["signs = { f2 = -1.0 }", "factors = [\"f4\"]"] {
        let bundle = copy_bundle(&root().join("fixtures/tiny"));
        let spec = spec_text(&SPEC.replace("MODEL", model), bundle.path());
        let out = tempfile::tempdir().unwrap();
        let mut quiet = |_: usize, _: usize| {};
        let csv = alphasim::run::run_load_options(&spec);
        let cached = LoadOptions {
            cache: Cache::On { fallback: None },
            ..csv.clone()
        };
        let mut statuses = Vec::new();
        for (name, opts) in [("csv", &csv), ("build", &cached), ("hit", &cached)] {
            let (market, status) = load_market_status(bundle.path(), opts).unwrap();
            statuses.push(status);
            alphasim::run::backtest_market(&spec, &market, &mut quiet)
                .unwrap()
                .write(&out.path().join(name))
                .unwrap();
        }
        assert_eq!(statuses[0], CacheStatus::Off);
        assert!(
            matches!(statuses[1], CacheStatus::Built { .. }),
            "{statuses:?}"
        );
        assert_eq!(statuses[2], CacheStatus::Hit);
        assert_same_folders(&out.path().join("csv"), &out.path().join("build"));
        assert_same_folders(&out.path().join("csv"), &out.path().join("hit"));
    }
}

fn alphasim() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alphasim"));
    c.current_dir(root());
    c
}

#[test]
fn test_load_cache_cli_no_cache_and_clear() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let out = tempfile::tempdir().unwrap();
    let cache = bundle.path().join(".alphasim-cache");
    let backtest = |name: &str, extra: &[&str]| {
        let o = alphasim()
            .args(["backtest", "strategies/ew_tiny.toml", "-q", "--data"])
            .arg(bundle.path())
            .arg("--out")
            .arg(out.path().join(name))
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    backtest("no-cache", &["--no-cache"]);
    assert!(!cache.exists(), "--no-cache writes no cache");
    backtest("build", &[]);
    let bundle_file = cache.join("bundle.bin");
    assert!(bundle_file.is_file());
    let written = std::fs::metadata(&bundle_file).unwrap().modified().unwrap();
    backtest("hit", &[]);
    assert_eq!(
        std::fs::metadata(&bundle_file).unwrap().modified().unwrap(),
        written
    );
    assert_same_folders(&out.path().join("no-cache"), &out.path().join("build"));
    assert_same_folders(&out.path().join("no-cache"), &out.path().join("hit"));

    let o = alphasim()
        .args(["cache", "clear"])
        .arg(bundle.path())
        .env("ALPHASIM_CACHE", out.path().join("none"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.starts_with("cleared ") && said.contains(".alphasim-cache"),
        "{said}"
    );
    assert!(!cache.exists());
    let o = alphasim()
        .args(["cache", "clear"])
        .arg(bundle.path())
        .env("ALPHASIM_CACHE", out.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "no cache to clear\n");
}
