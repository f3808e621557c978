//! Parquet bundles end to end: `convert` to Parquet, then run folders from
//! the CSV files, from the Parquet files and from the cache over them are
//! the same bytes; the converted tables hold the CSV's values (read back
//! with the parquet crate, checked against the CSV text parsed here); the
//! convert command's refusals and atomic writing; the cache rebuilt when a
//! `.parquet` source changes.

use crate::common::{copy_bundle, root, spec_text};
use crate::load_cache::{assert_same_folders, SPEC};
use alphasim::data::{
    convert_to_parquet, load_market, load_market_status, Cache, CacheStatus, LoadOptions,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type};
use arrow_array::Array;
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use std::process::Command;

/// Every part of a market, printed (not `{:?}` of the whole: the
/// interners' hash maps print in no fixed order).
pub fn market_dump(m: &alphasim::data::Market) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        m.symbols.names(),
        m.industries_names.names(),
        m.bars,
        m.constituents,
        m.industries,
        m.benchmark,
        m.factors,
        m.fundamentals,
        m.index_weights,
        m.warnings
    )
}

/// Runs `spec` on the bundle in `dir` with `opts` into `out`.
fn run_into(
    spec: &alphasim::spec::Spec,
    dir: &Path,
    opts: &LoadOptions,
    out: &Path,
) -> CacheStatus {
    let (market, status) = load_market_status(dir, opts).unwrap();
    let mut quiet = |_: usize, _: usize| {};
    alphasim::run::backtest_market(spec, &market, &mut quiet)
        .unwrap()
        .write(out)
        .unwrap();
    status
}

/// CSV, Parquet, Parquet through a cache being built and a cache hit: the
/// four run folders of each model are the same bytes.
fn assert_formats_agree(csv_dir: &Path, models: &[&str]) {
    for model in models {
        // A fresh Parquet bundle (and so a fresh cache) per model.
        let parquet = tempfile::tempdir().unwrap();
        let pq_dir = parquet.path().join("bundle");
        convert_to_parquet(csv_dir, &pq_dir, false).unwrap();
        assert!(pq_dir.join("bars.parquet").is_file());
        let out = tempfile::tempdir().unwrap();
        let spec = spec_text(&SPEC.replace("MODEL", model), csv_dir);
        let plain = alphasim::run::run_load_options(&spec);
        let cached = LoadOptions {
            cache: Cache::On { fallback: None },
            ..plain.clone()
        };
        let o = |n: &str| out.path().join(n);
        run_into(&spec, csv_dir, &plain, &o("csv"));
        assert_eq!(
            run_into(&spec, &pq_dir, &plain, &o("parquet")),
            CacheStatus::Off
        );
        let built = run_into(&spec, &pq_dir, &cached, &o("build"));
        assert!(matches!(built, CacheStatus::Built { .. }), "{built:?}");
        assert_eq!(
            run_into(&spec, &pq_dir, &cached, &o("hit")),
            CacheStatus::Hit
        );
        for other in ["parquet", "build", "hit"] {
            assert_same_folders(&o("csv"), &o(other));
        }
    }
}

#[test]
fn test_parquet_run_folders_identical_to_csv_and_cache_tiny() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    assert_formats_agree(
        bundle.path(),
        &["signs = { f2 = -1.0 }", "factors = [\"f4\"]"],
    );
}

#[test]
fn test_parquet_run_folders_identical_on_generated_bundle_with_weights_and_fundamentals() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = alphasim::generate::Preset::Small.config();
    cfg.n_stocks = 80;
    cfg.n_days = 260;
    cfg.index_size = 30;
    alphasim::generate::generate(&cfg, 11, dir.path()).unwrap();
    for table in ["index_weights.csv", "fundamentals.csv", "industries.csv"] {
        assert!(
            dir.path().join(table).is_file(),
            "the generator writes {table}"
        );
    }
    assert_formats_agree(dir.path(), &["signs = { f1 = -1.0 }"]);
    // The whole market too (every factor column, the fundamentals, the
    // index weights and the warnings), not only what the run reads.
    let pq = tempfile::tempdir().unwrap();
    convert_to_parquet(dir.path(), &pq.path().join("b"), false).unwrap();
    let a = load_market(dir.path(), &LoadOptions::default()).unwrap();
    let b = load_market(&pq.path().join("b"), &LoadOptions::default()).unwrap();
    assert!(!a.fundamentals.records.is_empty() && !a.index_weights.is_empty());
    assert_eq!(market_dump(&a), market_dump(&b));
}

fn read_parquet(path: &Path) -> Vec<arrow_array::RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// Days since 1970-01-01 of `YYYY-MM-DD`, through chrono (not the loader).
fn epoch_day(s: &str) -> i32 {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

#[test]
fn test_parquet_convert_round_trip_holds_the_csv_values() {
    let copy = copy_bundle(&root().join("fixtures/tiny"));
    let src = copy.path().to_path_buf();
    let out = tempfile::tempdir().unwrap();
    let pq = out.path().join("tiny-parquet");
    let done = convert_to_parquet(&src, &pq, false).unwrap();
    let names: Vec<&str> = done.tables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "bars.parquet",
            "constituents.parquet",
            "industries.parquet",
            "benchmark.parquet",
            "factors.parquet",
            "fundamentals.parquet",
            "index_weights.parquet"
        ]
    );
    // Rows: the CSV's data lines (7829 lines - header = 7828 bars).
    assert_eq!(done.tables[0].1, 7828);
    assert_eq!(done.skipped_files, ["meta.json", "oracle_scores.csv"]);
    assert!(
        done.dropped_columns.is_empty(),
        "{:?}",
        done.dropped_columns
    );

    // bars.parquet against bars.csv, cell by cell (Rust's f64 parser on
    // the text, chrono on the dates, empty cells as nulls).
    let text = std::fs::read_to_string(src.join("bars.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let batches = read_parquet(&pq.join("bars.parquet"));
    let schema = batches[0].schema();
    let fields: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(fields, header);
    assert_eq!(schema.field(0).data_type(), &DataType::Date32);
    assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
    assert_eq!(schema.field(5).data_type(), &DataType::Float64);
    let mut r = 0;
    for b in &batches {
        for i in 0..b.num_rows() {
            let row = &rows[r];
            assert_eq!(
                b.column(0).as_primitive::<Date32Type>().value(i),
                epoch_day(row[0])
            );
            assert_eq!(b.column(1).as_string::<i32>().value(i), row[1]);
            for c in 2..header.len() {
                let col = b.column(c).as_primitive::<Float64Type>();
                if row[c].is_empty() {
                    assert!(col.is_null(i), "row {r} {}", header[c]);
                } else {
                    assert_eq!(
                        col.value(i),
                        row[c].parse::<f64>().unwrap(),
                        "row {r} {}",
                        header[c]
                    );
                }
            }
            r += 1;
        }
    }
    assert_eq!(r, rows.len());

    // Loading the Parquet bundle gives the market the CSV gives.
    let a = load_market(&src, &LoadOptions::default()).unwrap();
    let b = load_market(&pq, &LoadOptions::default()).unwrap();
    assert_eq!(market_dump(&a), market_dump(&b));
    // Parquet → Parquet: the same tables again.
    let again = out.path().join("again");
    convert_to_parquet(&pq, &again, false).unwrap();
    let c = load_market(&again, &LoadOptions::default()).unwrap();
    assert_eq!(market_dump(&a), market_dump(&c));
}

#[test]
fn test_parquet_convert_refuses_and_leaves_nothing_half_written() {
    let copy = copy_bundle(&root().join("fixtures/tiny"));
    let src = copy.path().to_path_buf();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pq");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep.txt"), "mine").unwrap();
    let e = convert_to_parquet(&src, &target, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--out exists and is not empty") && e.contains("--force"),
        "{e}"
    );
    assert!(target.join("keep.txt").is_file());
    // --force replaces it whole.
    convert_to_parquet(&src, &target, true).unwrap();
    assert!(!target.join("keep.txt").exists());
    assert!(target.join("bars.parquet").is_file());
    // Not into the bundle itself.
    let bundle = copy_bundle(&src);
    let e = convert_to_parquet(bundle.path(), &bundle.path().join("pq"), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("inside it"), "{e}");
    // A bundle the loader rejects: the loader's located error, no --out,
    // no temporary folder left beside it.
    std::fs::write(
        bundle.path().join("benchmark.csv"),
        "date,index,close\n2015-01-05,synth,1000\n2015-01-06,synth,-3\n",
    )
    .unwrap();
    let e = convert_to_parquet(bundle.path(), &out.path().join("bad"), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("benchmark.csv:3:3") && e.contains("must be > 0"),
        "{e}"
    );
    let left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["pq"]);
}

#[test]
fn test_parquet_both_csv_and_parquet_is_an_error() {
    let bundle = copy_bundle(&root().join("fixtures/tiny"));
    let pq = tempfile::tempdir().unwrap();
    convert_to_parquet(bundle.path(), &pq.path().join("b"), false).unwrap();
    std::fs::copy(
        pq.path().join("b/factors.parquet"),
        bundle.path().join("factors.parquet"),
    )
    .unwrap();
    let e = load_market(bundle.path(), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("factors.csv and factors.parquet are all present") && e.contains("keep one of"),
        "{e}"
    );
}

#[test]
fn test_parquet_cache_rebuilt_when_a_parquet_source_changes() {
    let pq = tempfile::tempdir().unwrap();
    let dir = pq.path().join("b");
    convert_to_parquet(&root().join("fixtures/tiny"), &dir, false).unwrap();
    let opts = LoadOptions {
        cache: Cache::On { fallback: None },
        ..LoadOptions::default()
    };
    let (first, s) = load_market_status(&dir, &opts).unwrap();
    assert!(matches!(s, CacheStatus::Built { .. }), "{s:?}");
    assert_eq!(load_market_status(&dir, &opts).unwrap().1, CacheStatus::Hit);
    // Rewrite benchmark.parquet with every close doubled.
    let batches = read_parquet(&dir.join("benchmark.parquet"));
    let schema = batches[0].schema();
    let doubled: Vec<arrow_array::RecordBatch> = batches
        .iter()
        .map(|b| {
            let close = b.column(2).as_primitive::<Float64Type>();
            let x2: arrow_array::Float64Array = close.iter().map(|v| v.map(|v| v * 2.0)).collect();
            let mut cols = b.columns().to_vec();
            cols[2] = std::sync::Arc::new(x2);
            arrow_array::RecordBatch::try_new(schema.clone(), cols).unwrap()
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    crate::parquet_errors::write_batches(&dir.join("benchmark.parquet"), &doubled, 1 << 20);
    let (second, s) = load_market_status(&dir, &opts).unwrap();
    assert!(matches!(s, CacheStatus::Built { .. }), "{s:?}");
    let (a, b) = (&first.benchmark["synth"], &second.benchmark["synth"]);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!((x.0, x.1 * 2.0), *y);
    }
    assert_eq!(load_market_status(&dir, &opts).unwrap().1, CacheStatus::Hit);
}

#[test]
fn test_parquet_cli_convert() {
    let out = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_alphasim"))
            .current_dir(root())
            .args(["convert", "fixtures/tiny", "--to", "parquet", "--out"])
            .arg(out.path().join("pq"))
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("bars.parquet (7828 rows)"), "{said}");
    assert!(
        said.contains("not copied (not bundle tables): meta.json, oracle_scores.csv"),
        "{said}"
    );
    let o = run(&[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert!(run(&["--force"]).status.success());
}

/// Many row groups decoded by several threads at once (a regression: a
/// cloned `File` shares its offset, so concurrent row-group reads
/// corrupted each other): the market equals the one from the same rows
/// written as CSV text here.
#[test]
fn test_parquet_many_row_groups_in_parallel_equal_the_csv() {
    use arrow_array::{ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let (syms, days) = (40usize, 2500usize);
    let n = syms * days;
    let sym_name = |r: usize| format!("S{:03}", r / days);
    let day = |r: usize| (r % days) as i32 + 10_000; // 1997-05-19 onwards
    let close = |r: usize| 10.0 + ((r * 7919) % 1000) as f64 * 0.01;
    let mut csv = String::from("date,symbol,open,high,low,close,volume\n");
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for r in 0..n {
        let date = epoch + chrono::Duration::days(i64::from(day(r)));
        let c = close(r);
        csv.push_str(&format!(
            "{date},{},{c},{},{},{c},{}\n",
            sym_name(r),
            c + 0.5,
            c - 0.5,
            r % 5
        ));
    }
    let a = tempfile::tempdir().unwrap();
    std::fs::write(a.path().join("bars.csv"), csv).unwrap();
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            "date",
            Arc::new(Date32Array::from((0..n).map(day).collect::<Vec<_>>())),
        ),
        (
            "symbol",
            Arc::new(StringArray::from((0..n).map(sym_name).collect::<Vec<_>>())),
        ),
        (
            "open",
            Arc::new(Float64Array::from((0..n).map(close).collect::<Vec<_>>())),
        ),
        (
            "high",
            Arc::new(Float64Array::from(
                (0..n).map(|r| close(r) + 0.5).collect::<Vec<_>>(),
            )),
        ),
        (
            "low",
            Arc::new(Float64Array::from(
                (0..n).map(|r| close(r) - 0.5).collect::<Vec<_>>(),
            )),
        ),
        (
            "close",
            Arc::new(Float64Array::from((0..n).map(close).collect::<Vec<_>>())),
        ),
        (
            "volume",
            Arc::new(Float64Array::from(
                (0..n).map(|r| (r % 5) as f64).collect::<Vec<_>>(),
            )),
        ),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let b = tempfile::tempdir().unwrap();
    crate::parquet_errors::write_batches(&b.path().join("bars.parquet"), &[batch], 997);
    let opts = LoadOptions {
        threads: 4,
        ..LoadOptions::default()
    };
    let from_csv = load_market(a.path(), &opts).unwrap();
    let from_parquet = load_market(b.path(), &opts).unwrap();
    assert_eq!(from_csv.bars.len(), n);
    assert_eq!(market_dump(&from_csv), market_dump(&from_parquet));
}
