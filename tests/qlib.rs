//! `alphasim import qlib`: a Qlib-format folder written from fixtures/tiny
//! (adjusted f32 prices, the factor, instruments, an index instrument)
//! imports back to the same bars within f32 precision, the same spells and
//! benchmark levels, and a backtest on it matches the original's.

use crate::common::{root, run, spec_text};
use alphasim::data::{load_market, DayIndex, Market};
use std::collections::BTreeMap;
use std::path::Path;

fn write_bin(path: &Path, start: usize, values: &[f32]) {
    let mut bytes = Vec::with_capacity(4 * (values.len() + 1));
    bytes.extend_from_slice(&(start as f32).to_le_bytes());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// The bundle's traded bars as Qlib's dump_bin would store them: adjusted
/// prices ($close = close × factor), adjusted volume ($volume = volume /
/// factor), NaN on suspended days, one series per symbol from its first bar.
fn write_qlib(m: &Market, dir: &Path) {
    let dates: Vec<String> = m.bars.dates.iter().map(|d| d.to_string()).collect();
    std::fs::create_dir_all(dir.join("calendars")).unwrap();
    std::fs::write(dir.join("calendars/day.txt"), dates.join("\n") + "\n").unwrap();
    let n = dates.len();
    let mut series: BTreeMap<String, [Vec<f32>; 6]> = BTreeMap::new();
    let b = &m.bars;
    for d in 0..n {
        for r in b.day_rows(DayIndex(d as u32)) {
            let name = m.symbol_name(b.symbol[r]).to_lowercase();
            let e = series
                .entry(name)
                .or_insert_with(|| std::array::from_fn(|_| vec![f32::NAN; n]));
            if !b.is_traded(r) {
                continue;
            }
            let f = b.adj_factor[r];
            e[0][d] = (b.open[r] * f) as f32;
            e[1][d] = (b.high[r] * f) as f32;
            e[2][d] = (b.low[r] * f) as f32;
            e[3][d] = (b.close[r] * f) as f32;
            e[4][d] = (b.volume[r] / f) as f32;
            e[5][d] = f as f32;
        }
    }
    for (code, s) in &series {
        let first = s[3].iter().position(|v| !v.is_nan()).unwrap_or(0);
        for (k, field) in ["open", "high", "low", "close", "volume", "factor"]
            .iter()
            .enumerate()
        {
            write_bin(
                &dir.join(format!("features/{code}/{field}.day.bin")),
                first,
                &s[k][first..],
            );
        }
    }
    // the index level as an instrument
    let levels: Vec<f32> = {
        let lv = &m.benchmark["synth"];
        let at: BTreeMap<String, f64> = lv.iter().map(|(d, c)| (d.to_string(), *c)).collect();
        dates
            .iter()
            .map(|d| at.get(d).map_or(f32::NAN, |c| *c as f32))
            .collect()
    };
    write_bin(&dir.join("features/sh000999/close.day.bin"), 0, &levels);
    for f in ["open", "high", "low", "volume"] {
        write_bin(
            &dir.join(format!("features/sh000999/{f}.day.bin")),
            0,
            &levels,
        );
    }
    let mut lines = String::new();
    for s in &m.constituents["synth"] {
        let start = s.start.map_or(dates[0].clone(), |d| d.to_string());
        let end = s.end.map_or(dates[n - 1].clone(), |d| d.to_string());
        lines.push_str(&format!("{}\t{start}\t{end}\n", m.symbol_name(s.symbol)));
    }
    std::fs::create_dir_all(dir.join("instruments")).unwrap();
    std::fs::write(dir.join("instruments/synth.txt"), lines).unwrap();
}

#[test]
fn test_qlib_import_round_trips_a_generated_bundle() {
    let original = load_market(&root().join("fixtures/tiny"), &Default::default()).unwrap();
    let qlib = tempfile::tempdir().unwrap();
    write_qlib(&original, qlib.path());
    let out = tempfile::tempdir().unwrap();
    let bundle = out.path().join("bundle");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_alphasim"))
        .args(["import", "qlib"])
        .arg(qlib.path())
        .arg("--out")
        .arg(&bundle)
        .args(["--benchmark", "synth=SH000999"])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        stdout.contains("indices [synth], benchmarks [synth]"),
        "{stdout}"
    );
    assert!(!bundle.join("bars.csv.partial").exists());
    let imported = load_market(&bundle, &Default::default()).unwrap();
    // the same traded (date, symbol) rows, prices within f32 precision
    let traded = |m: &Market| -> BTreeMap<(String, String), [f64; 6]> {
        let b = &m.bars;
        let mut out = BTreeMap::new();
        for d in 0..b.dates.len() {
            for r in b.day_rows(DayIndex(d as u32)) {
                if b.is_traded(r) {
                    out.insert(
                        (
                            b.dates[d].to_string(),
                            m.symbol_name(b.symbol[r]).to_owned(),
                        ),
                        [
                            b.open[r],
                            b.high[r],
                            b.low[r],
                            b.close[r],
                            b.volume[r],
                            b.adj_factor[r],
                        ],
                    );
                }
            }
        }
        out
    };
    let (a, b) = (traded(&original), traded(&imported));
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 5000, "{} traded bars", a.len());
    for (k, x) in &a {
        let y = b.get(k).unwrap_or_else(|| panic!("{k:?} missing"));
        for i in 0..6 {
            assert!(
                (x[i] - y[i]).abs() <= 3e-7 * x[i].abs().max(1.0),
                "{k:?} field {i}: {} vs {}",
                x[i],
                y[i]
            );
        }
    }
    assert_eq!(
        original.constituents["synth"].len(),
        imported.constituents["synth"].len()
    );
    let (la, lb) = (&original.benchmark["synth"], &imported.benchmark["synth"]);
    assert_eq!(la.len(), lb.len());
    assert!(la
        .iter()
        .zip(lb)
        .all(|(p, q)| p.0 == q.0 && (p.1 - q.1).abs() <= 1e-6 * p.1));
    assert!(
        imported.symbol_id("SH000999").is_none(),
        "the index is not a stock"
    );
    // a backtest on the import matches the original's (f32 prices: close, not equal)
    let text = "data = \".\"\nindex = \"synth\"\n[model]\nkind = \"reversal\"\nwindow = 20\n";
    let r0 = run(&spec_text(text, &root().join("fixtures/tiny")));
    let r1 = run(&spec_text(text, &bundle));
    let (n0, n1) = (&r0.records.daily, &r1.records.daily);
    assert_eq!(n0.len(), n1.len());
    let last = (n0.last().unwrap().nav, n1.last().unwrap().nav);
    assert!((last.0 - last.1).abs() <= 1e-4 * last.0, "{last:?}");
}

#[test]
fn test_qlib_import_errors_name_the_file() {
    let qlib = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let e = alphasim::data::qlib::import_qlib(qlib.path(), out.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("calendars/day.txt") || e.contains("calendars"),
        "{e}"
    );
    std::fs::create_dir_all(qlib.path().join("calendars")).unwrap();
    std::fs::write(
        qlib.path().join("calendars/day.txt"),
        "2020-01-02\n2020-01-01\n",
    )
    .unwrap();
    let e = alphasim::data::qlib::import_qlib(qlib.path(), out.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("ascending"), "{e}");
    std::fs::write(
        qlib.path().join("calendars/day.txt"),
        "2020-01-02\n2020-01-03\n",
    )
    .unwrap();
    write_bin(
        &qlib.path().join("features/sh600000/close.day.bin"),
        1,
        &[1.0, 2.0, 3.0],
    );
    let e = alphasim::data::qlib::import_qlib(qlib.path(), out.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("close.day.bin") && e.contains("run past the calendar"),
        "{e}"
    );
    std::fs::write(
        qlib.path().join("features/sh600000/close.day.bin"),
        [0u8, 0, 0],
    )
    .unwrap();
    let e = alphasim::data::qlib::import_qlib(qlib.path(), out.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a whole number of little-endian f32"), "{e}");
    assert!(
        !out.path().join("bars.csv").exists(),
        "nothing half-written"
    );
}
