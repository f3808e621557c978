//! Helpers shared by the integration tests.

use alphasim::report::RunResult;
use alphasim::spec::Spec;
use std::path::{Path, PathBuf};

/// The crate root (tests run from it, but be explicit).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a spec given relative to the crate root, keeping relative paths in messages.
pub fn spec(rel: &str) -> Spec {
    std::env::set_current_dir(root()).expect("crate root");
    Spec::from_file(Path::new(rel)).expect("spec parses")
}

/// A spec from TOML text whose relative paths resolve against `base`.
pub fn spec_text(text: &str, base: &Path) -> Spec {
    Spec::from_str_at(text, &base.join("test.toml"), base).expect("spec parses")
}

/// Runs a spec (load + simulate + report), quietly.
pub fn run(spec: &Spec) -> RunResult {
    let mut progress = |_: usize, _: usize| {};
    alphasim::backtest(spec, &mut progress).expect("backtest runs")
}

/// Asserts two floats agree within `tol` (absolute).
pub fn assert_close(actual: f64, expected: f64, tol: f64) {
    assert!(
        (actual - expected).abs() <= tol,
        "expected {expected}, got {actual} (tolerance {tol})"
    );
}

/// Where the real China A-share bundle is expected; panics with a clear
/// message when it is missing (the real-data tests must not pass silently).
pub fn cn_ashare() -> PathBuf {
    let p = root().join("../shared/data/cn-ashare");
    assert!(
        p.join("bars.csv.gz").is_file(),
        "real-data test: the cn-ashare bundle is expected at {} (../shared/data/cn-ashare beside the checkout); \
         put the shared folder beside the repository to run these tests",
        p.display()
    );
    p
}

/// Copies a bundle folder (flat) into a fresh temporary folder.
pub fn copy_bundle(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(from).expect("bundle folder") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    dir
}

/// The bundled default run (strategies/default.toml, a DMFM walk-forward on
/// fixtures/tiny), computed once per test process and shared by the tests
/// that only read it.
pub fn default_run() -> &'static RunResult {
    static RUN: std::sync::OnceLock<RunResult> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run(&spec("strategies/default.toml")))
}

/// The real cn-ashare bundle (10 M bar rows), loaded once per test process
/// and shared by the real-data tests (each used to load its own copy).
pub fn cn_market() -> &'static alphasim::data::Market {
    static MARKET: std::sync::OnceLock<alphasim::data::Market> = std::sync::OnceLock::new();
    MARKET.get_or_init(|| {
        alphasim::data::load_market(&cn_ashare(), &Default::default())
            .expect("the real bundle loads")
    })
}
