//! Importing a Qlib data folder (`alphasim import qlib DIR --out BUNDLE`):
//! Qlib's `dump_bin` layout in, an alphasim bundle (CSV) out.
//!
//! What is read:
//! - `calendars/day.txt`: one trading date per line (`YYYY-MM-DD`);
//! - `instruments/<name>.txt`: `CODE<TAB>START<TAB>END` membership spells,
//!   both ends inclusive — each file becomes the index `<name>` of
//!   `constituents.csv` (`all.txt` included, as the index `all`);
//! - `features/<code>/<field>.day.bin`: little-endian `f32`s, the first the
//!   index of the first value's date in the calendar, then one value per
//!   calendar day from there. The fields used are `open`, `high`, `low`,
//!   `close`, `volume`, `factor` and, when present, `amount`.
//!
//! Qlib stores *adjusted* prices and volumes: `$close = raw close × factor`,
//! `$volume = raw volume / factor`. The bundle stores raw prices with the
//! cumulative factor (`adjusted = raw × adj_factor`), so the import writes
//! `close = $close / $factor`, `volume = $volume × $factor` and
//! `adj_factor = $factor` (1 when the `factor` file is absent: the folder's
//! prices are then taken as raw). A day whose `$close` is NaN has no bar (a
//! suspension, as Qlib writes it); a NaN volume is written as 0.
//!
//! The symbol is the feature folder's name upper-cased (`sh600000` →
//! `SH600000`, Qlib's instrument spelling). `--benchmark NAME=CODE` writes
//! the `$close` of instrument CODE as the level of index NAME in
//! `benchmark.csv` (an index instrument's close is its level); such codes
//! are left out of `bars.csv`. Bars are written sorted by symbol, then date;
//! every value is the shortest decimal that reads back to the same `f64`.
//! Output files are written beside each other as `<name>.partial` and
//! renamed when all are complete.

use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QlibImport {
    pub days: usize,
    pub symbols: usize,
    pub bar_rows: usize,
    pub indices: Vec<String>,
    pub benchmarks: Vec<String>,
}

/// The fix every import error points to.
const LAYOUT_FIX: &str = "point `import qlib` at a Qlib data folder as Qlib's dump_bin writes it: calendars/day.txt, instruments/<name>.txt (CODE<TAB>START<TAB>END), features/<code>/<field>.day.bin (little-endian f32: start index, then values)";

fn io_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::File {
        file: path.to_path_buf(),
        message: e.to_string(),
        fix: LAYOUT_FIX.to_owned(),
    }
}

fn bad(path: &Path, line: usize, message: String) -> Error {
    Error::File {
        file: path.to_path_buf(),
        message: format!("line {line}: {message}"),
        fix: LAYOUT_FIX.to_owned(),
    }
}

fn read_calendar(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("calendars").join("day.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        io_err(
            &path,
            format!("{e}; a Qlib folder has calendars/day.txt (one trading date per line)"),
        )
    })?;
    let mut days: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let d = line.trim();
        if d.is_empty() {
            continue;
        }
        let d = d.get(..10).unwrap_or(d); // "2020-01-02 00:00:00" is allowed
        if d.parse::<chrono::NaiveDate>().is_err() {
            return Err(bad(
                &path,
                i + 1,
                format!("`{d}` is not a date (YYYY-MM-DD)"),
            ));
        }
        if days.last().is_some_and(|p| p.as_str() >= d) {
            return Err(bad(
                &path,
                i + 1,
                format!(
                    "`{d}` does not come after the previous date: the calendar must be ascending"
                ),
            ));
        }
        days.push(d.to_owned());
    }
    if days.is_empty() {
        return Err(io_err(&path, "the calendar has no date"));
    }
    Ok(days)
}

/// Reads one `.day.bin` file into `calendar`-long values (NaN outside it).
fn read_bin(path: &Path, n_days: usize) -> Result<Vec<f64>> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    if bytes.len() % 4 != 0 || bytes.is_empty() {
        return Err(io_err(
            path,
            format!(
                "{} bytes is not a whole number of little-endian f32 values (Qlib's dump_bin format: start index, then the values)",
                bytes.len()
            ),
        ));
    }
    let vals: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let start = vals[0];
    if !(start.is_finite() && start >= 0.0 && start.fract() == 0.0) {
        return Err(io_err(
            path,
            format!("the first value {start} must be the start index into calendars/day.txt (a whole number ≥ 0)"),
        ));
    }
    let start = start as usize;
    if start + vals.len() - 1 > n_days {
        return Err(io_err(
            path,
            format!(
                "{} values from calendar index {start} run past the calendar's {n_days} days",
                vals.len() - 1
            ),
        ));
    }
    let mut out = vec![f64::NAN; n_days];
    for (k, v) in vals[1..].iter().enumerate() {
        out[start + k] = f64::from(*v);
    }
    Ok(out)
}

/// Writes a CSV through `<name>.partial`; returns the partial path.
fn write_partial(
    out: &Path,
    name: &str,
    header: &[&str],
    rows: impl FnMut(&mut csv::Writer<std::io::BufWriter<std::fs::File>>) -> Result<()>,
) -> Result<PathBuf> {
    let path = out.join(format!("{name}.partial"));
    let file = std::fs::File::create(&path).map_err(|e| io_err(&path, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(header).map_err(|e| io_err(&path, e))?;
    let mut rows = rows;
    rows(&mut w)?;
    w.flush().map_err(|e| io_err(&path, e))?;
    Ok(path)
}

/// The files an import writes (as `<name>.partial` until all are done).
const OUTPUTS: [&str; 3] = ["bars.csv", "constituents.csv", "benchmark.csv"];

/// Imports the Qlib folder `dir` into the bundle folder `out` (created if
/// needed); `benchmarks` are `(index name, instrument code)` pairs. On an
/// error no output file is left, complete or partial.
pub fn import_qlib(dir: &Path, out: &Path, benchmarks: &[(String, String)]) -> Result<QlibImport> {
    let result = import_inner(dir, out, benchmarks);
    if result.is_err() {
        for name in OUTPUTS {
            let _ = std::fs::remove_file(out.join(format!("{name}.partial")));
        }
    }
    result
}

fn import_inner(dir: &Path, out: &Path, benchmarks: &[(String, String)]) -> Result<QlibImport> {
    let calendar = read_calendar(dir)?;
    let n = calendar.len();
    let features = dir.join("features");
    let mut codes: Vec<(String, PathBuf)> = std::fs::read_dir(&features)
        .map_err(|e| {
            io_err(
                &features,
                format!("{e}; a Qlib folder has features/<code>/<field>.day.bin"),
            )
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().to_uppercase(), e.path()))
        .collect();
    codes.sort();
    let bench_codes: Vec<String> = benchmarks.iter().map(|b| b.1.to_uppercase()).collect();
    for code in &bench_codes {
        if !codes.iter().any(|c| &c.0 == code) {
            return Err(io_err(
                &features,
                format!("--benchmark names instrument {code}, which has no folder under features/"),
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let field = |p: &Path, f: &str| -> Result<Option<Vec<f64>>> {
        let path = p.join(format!("{f}.day.bin"));
        if path.exists() {
            read_bin(&path, n).map(Some)
        } else {
            Ok(None)
        }
    };
    let has_amount = codes.iter().any(|(_, p)| p.join("amount.day.bin").exists());
    let mut header = vec!["date", "symbol", "open", "high", "low", "close", "volume"];
    if has_amount {
        header.push("amount");
    }
    header.push("adj_factor");
    let mut bar_rows = 0usize;
    let mut symbols = 0usize;
    let mut levels: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let bars = write_partial(out, "bars.csv", &header, |w| {
        for (code, path) in &codes {
            let need = |f: &str| -> Result<Vec<f64>> {
                field(path, f)?.ok_or_else(|| {
                    io_err(
                        &path.join(format!("{f}.day.bin")),
                        "missing: every instrument needs open, high, low, close and volume",
                    )
                })
            };
            let close = need("close")?;
            if let Some(k) = bench_codes.iter().position(|c| c == code) {
                levels.insert(benchmarks[k].0.clone(), close);
                continue;
            }
            let (open, high, low, volume) =
                (need("open")?, need("high")?, need("low")?, need("volume")?);
            let factor = field(path, "factor")?;
            let amount = if has_amount {
                field(path, "amount")?
            } else {
                None
            };
            let mut any = false;
            for t in 0..n {
                if !close[t].is_finite() {
                    continue;
                }
                let f = factor.as_ref().map_or(1.0, |v| v[t]);
                let f = if f.is_finite() && f > 0.0 { f } else { 1.0 };
                let raw = |x: f64| {
                    if x.is_finite() {
                        (x / f).to_string()
                    } else {
                        String::new()
                    }
                };
                let vol = if volume[t].is_finite() {
                    volume[t] * f
                } else {
                    0.0
                };
                let mut rec = vec![
                    calendar[t].clone(),
                    code.clone(),
                    raw(open[t]),
                    raw(high[t]),
                    raw(low[t]),
                    raw(close[t]),
                    vol.to_string(),
                ];
                if has_amount {
                    rec.push(
                        amount
                            .as_ref()
                            .map(|a| a[t])
                            .filter(|a| a.is_finite())
                            .map_or(String::new(), |a| a.to_string()),
                    );
                }
                rec.push(f.to_string());
                w.write_record(&rec).map_err(|e| io_err(out, e))?;
                bar_rows += 1;
                any = true;
            }
            symbols += usize::from(any);
        }
        Ok(())
    })?;
    // constituents from instruments/*.txt
    let inst_dir = dir.join("instruments");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&inst_dir)
        .map(|it| {
            it.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut indices = Vec::new();
    let mut spells: Vec<[String; 4]> = Vec::new();
    for p in &files {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(p).map_err(|e| io_err(p, e))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            if f.len() < 3 {
                return Err(bad(
                    p,
                    i + 1,
                    "expected CODE<TAB>START<TAB>END (Qlib's instruments format)".to_owned(),
                ));
            }
            for d in &f[1..3] {
                if d.get(..10)
                    .and_then(|x| x.parse::<chrono::NaiveDate>().ok())
                    .is_none()
                {
                    return Err(bad(p, i + 1, format!("`{d}` is not a date (YYYY-MM-DD)")));
                }
            }
            spells.push([
                name.clone(),
                f[0].to_uppercase(),
                f[1][..10].to_owned(),
                f[2][..10].to_owned(),
            ]);
        }
        indices.push(name);
    }
    spells.sort();
    let constituents = if spells.is_empty() {
        None
    } else {
        Some(write_partial(
            out,
            "constituents.csv",
            &["index", "symbol", "start_date", "end_date"],
            |w| {
                for s in &spells {
                    w.write_record(s).map_err(|e| io_err(out, e))?;
                }
                Ok(())
            },
        )?)
    };
    let benchmark = if levels.is_empty() {
        None
    } else {
        Some(write_partial(
            out,
            "benchmark.csv",
            &["date", "index", "close"],
            |w| {
                for (name, close) in &levels {
                    for (t, c) in close.iter().enumerate() {
                        if c.is_finite() && *c > 0.0 {
                            w.write_record([calendar[t].as_str(), name, &c.to_string()])
                                .map_err(|e| io_err(out, e))?;
                        }
                    }
                }
                Ok(())
            },
        )?)
    };
    for p in [Some(bars), constituents, benchmark].into_iter().flatten() {
        let done = p.with_extension("");
        std::fs::rename(&p, &done).map_err(|e| io_err(&done, e))?;
    }
    Ok(QlibImport {
        days: n,
        symbols,
        bar_rows,
        indices,
        benchmarks: levels.keys().cloned().collect(),
    })
}
