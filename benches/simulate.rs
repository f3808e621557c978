//! Simulation throughput in stock-days per second (release build):
//! `cargo bench --bench simulate`. The market is the `medium` synthetic
//! preset (800 stocks × 2,500 days), generated once into a temporary folder.

use alphasim::data::{load_market, LoadOptions};
use alphasim::generate::{generate, Preset};
use alphasim::spec::Spec;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;

fn bench_simulate(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("alphasim-bench-medium-{}", std::process::id()));
    generate(&Preset::Medium.config(), 7, &dir).expect("generate the medium preset");
    let market = load_market(&dir, &LoadOptions::default()).expect("load the medium preset");
    let spec_text = r#"
        data = "."
        index = "synth"
        [model]
        kind = "ew"
    "#;
    let spec = Spec::from_str_at(spec_text, Path::new("bench.toml"), &dir).expect("bench spec");
    let stock_days = market.bars.len() as u64;
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(stock_days));
    group.bench_function("medium_monthly_ew", |b| {
        b.iter(|| {
            let mut progress = |_: usize, _: usize| {};
            alphasim::backtest_market(&spec, &market, &mut progress).expect("run")
        })
    });
    group.finish();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.throughput(Throughput::Elements(stock_days));
    group.bench_function("medium_bundle", |b| {
        b.iter(|| load_market(&dir, &LoadOptions::default()).expect("load"))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench_simulate);
criterion_main!(benches);
