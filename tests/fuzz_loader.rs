//! A mutation-based fuzz test of the bundle loader (issue 16; `cargo fuzz`
//! needs nightly). Proptest strategies take valid bundles (fixtures/hand,
//! fixtures/tiny and a cut-down fixtures/tiny), damage one or two of their
//! files — byte flips, truncation, dropped / duplicated / swapped lines,
//! swapped columns, cells set to extreme numbers, NaN, empty or garbage,
//! header damage, CRLF line ends, a byte-order mark, stray bytes — and store
//! each damaged file as `.csv`, as valid gzip (`.csv.gz`) of the damaged text,
//! or as gzip whose compressed bytes are corrupted. Then
//! `alphasim::data::load_market` and `alphasim::data::validate_bundle` run on
//! the bundle, each in a thread with a time limit, and the test asserts:
//! no panic, an answer within the limit, and either
//! - an error that names the damaged bundle's file (and, for a row at fault,
//!   a line within the file and a column within the header), or
//! - a market that keeps the loader's promises (finite, non-negative prices and
//!   volumes, `high ≥ low`, a sorted calendar, finite fundamentals).
//!
//! Budget: `ALPHASIM_FUZZ_CASES` (default 800, about 8 s uncontended) cases, stopped early after
//! `ALPHASIM_FUZZ_SECONDS` (default 30) seconds; for a long run set
//! `ALPHASIM_FUZZ_SECONDS=600 ALPHASIM_FUZZ_CASES=100000000`.
//! `ALPHASIM_FUZZ_SEED` (a number) changes the fixed seed;
//! `ALPHASIM_FUZZ_TIMEOUT` is the per-load limit in seconds (default 20).
//!
//! Every crash or hang found becomes a `fuzz_regression_*` test below.

use crate::common::root;
use alphasim::Error;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A valid bundle held in memory: (file name, bytes).
#[derive(Debug, Clone)]
pub struct Base {
    pub name: &'static str,
    pub files: Vec<(String, Vec<u8>)>,
}

fn read_bundle(dir: &Path, keep_lines: Option<usize>) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("fuzz base bundle {}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".csv") && n != "oracle_scores.csv"
        })
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            let bytes = match keep_lines {
                // The header and every n-th data line: small, still valid
                // (spells are per symbol, so dropping rows keeps them apart).
                Some(n) => {
                    let text = String::from_utf8(bytes).unwrap();
                    let mut out = String::new();
                    for (i, l) in text.lines().enumerate() {
                        if i == 0 || i % n == 1 {
                            out.push_str(l);
                            out.push('\n');
                        }
                    }
                    out.into_bytes()
                }
                None => bytes,
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// The valid bundles mutations start from (read once).
pub fn bases() -> &'static [Base] {
    static BASES: OnceLock<Vec<Base>> = OnceLock::new();
    BASES.get_or_init(|| {
        let r = root();
        vec![
            Base {
                name: "hand",
                files: read_bundle(&r.join("fixtures/hand"), None),
            },
            Base {
                name: "tiny/40",
                files: read_bundle(&r.join("fixtures/tiny"), Some(40)),
            },
            Base {
                name: "tiny",
                files: read_bundle(&r.join("fixtures/tiny"), None),
            },
        ]
    })
}

/// One damage to a file's bytes. `Index` values pick positions relative to
/// the current length, so they shrink well and stay in range.
#[derive(Debug, Clone)]
pub enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    InsertBytes(Index, Vec<u8>),
    Truncate(Index),
    DropLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Swap two fields on every line (header included), or on one line only.
    SwapColumns(Index, Index, Option<Index>),
    /// Replace one cell (line, field) with a value.
    SetCell(Index, Index, String),
    /// Rename one header field.
    RenameHeader(Index, String),
    /// Remove one field from the header only (the rows keep it).
    DropHeaderField(Index),
    /// Repeat one header field's name in place of another.
    DuplicateHeaderName(Index, Index),
    Crlf,
    Bom,
    Empty,
    /// Only the header remains.
    HeaderOnly,
}

fn cell_values() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_owned()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        Just("1e308".to_owned()),
        Just("-1e308".to_owned()),
        Just("1e400".to_owned()),
        Just("1e12".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("0x10".to_owned()),
        Just("1,5".to_owned()),
        Just(" 7 ".to_owned()),
        Just("\"quoted\"".to_owned()),
        Just("\"a\nb\"".to_owned()),
        Just("\"".to_owned()),
        Just("2023-02-29".to_owned()),
        Just("2024-13-01".to_owned()),
        Just("9999-12-31".to_owned()),
        Just("0001-01-01".to_owned()),
        Just("20240131".to_owned()),
        Just("é".to_owned()),
        Just("\u{feff}x".to_owned()),
        "[a-zA-Z0-9_.+-]{1,12}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<Index>;
    prop_oneof![
        (idx(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (
            idx(),
            prop_oneof![
                Just(0u8),
                Just(b','),
                Just(b'\n'),
                Just(b'\r'),
                Just(b'"'),
                Just(0xff),
                Just(b'-'),
                Just(b'.')
            ]
        )
            .prop_map(|(i, b)| Mutation::SetByte(i, b)),
        (idx(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(i, v)| Mutation::InsertBytes(i, v)),
        idx().prop_map(Mutation::Truncate),
        idx().prop_map(Mutation::DropLine),
        idx().prop_map(Mutation::DuplicateLine),
        (idx(), idx()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (idx(), idx(), prop::option::of(idx()))
            .prop_map(|(a, b, l)| Mutation::SwapColumns(a, b, l)),
        (idx(), idx(), cell_values()).prop_map(|(l, f, v)| Mutation::SetCell(l, f, v)),
        (
            idx(),
            prop_oneof![
                Just(String::new()),
                Just("date".to_owned()),
                Just("symbol".to_owned()),
                Just("close ".to_owned()),
                Just("\u{feff}date".to_owned()),
                Just("\"volume\"".to_owned()),
                "[a-z_]{1,8}"
            ]
        )
            .prop_map(|(i, s)| Mutation::RenameHeader(i, s)),
        idx().prop_map(Mutation::DropHeaderField),
        (idx(), idx()).prop_map(|(a, b)| Mutation::DuplicateHeaderName(a, b)),
        Just(Mutation::Crlf),
        Just(Mutation::Bom),
        Just(Mutation::Empty),
        Just(Mutation::HeaderOnly),
    ]
}

/// How a damaged file is stored.
#[derive(Debug, Clone)]
pub enum Storage {
    Plain,
    /// Valid gzip of the damaged text, as `<name>.gz`.
    Gzip,
    /// Gzip, then damage to the compressed bytes (a flipped bit or a cut).
    GzipCorrupt(Index, Option<u8>),
    /// Two gzip members concatenated (what `cat a.gz b.gz` makes): the second
    /// holds the rest of the file.
    GzipTwoMembers(Index),
}

fn storage() -> impl Strategy<Value = Storage> {
    prop_oneof![
        4 => Just(Storage::Plain),
        2 => Just(Storage::Gzip),
        2 => (any::<Index>(), prop::option::of(0u8..8)).prop_map(|(i, b)| Storage::GzipCorrupt(i, b)),
        1 => any::<Index>().prop_map(Storage::GzipTwoMembers),
    ]
}

/// One damaged file of a base bundle.
#[derive(Debug, Clone)]
pub struct FileDamage {
    pub file: Index,
    pub mutations: Vec<Mutation>,
    pub storage: Storage,
}

/// A fuzz case: a base bundle and the damage to one or two of its files.
#[derive(Debug, Clone)]
pub struct FuzzCase {
    pub base: Index,
    pub damage: Vec<FileDamage>,
    pub threads: usize,
}

fn fuzz_case() -> impl Strategy<Value = FuzzCase> {
    let damage = (
        any::<Index>(),
        prop::collection::vec(mutation(), 1..4),
        storage(),
    )
        .prop_map(|(file, mutations, storage)| FileDamage {
            file,
            mutations,
            storage,
        });
    (
        any::<Index>(),
        prop::collection::vec(damage, 1..3),
        1usize..=3,
    )
        .prop_map(|(base, damage, threads)| FuzzCase {
            base,
            damage,
            threads,
        })
}

// ---------------------------------------------------------------------------
// Applying mutations
// ---------------------------------------------------------------------------

/// Line ranges (start, end without the `\n`) of `b`.
fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push((s, i));
            s = i + 1;
        }
    }
    if s < b.len() {
        out.push((s, b.len()));
    }
    out
}

fn split_lines(b: &[u8]) -> (Vec<Vec<u8>>, bool) {
    let lines = line_spans(b)
        .into_iter()
        .map(|(s, e)| b[s..e].to_vec())
        .collect();
    (lines, b.ends_with(b"\n"))
}

fn join_lines(lines: &[Vec<u8>], trailing: bool) -> Vec<u8> {
    let mut out = lines.join(&b'\n');
    if trailing && !lines.is_empty() {
        out.push(b'\n');
    }
    out
}

fn fields(line: &[u8]) -> Vec<Vec<u8>> {
    line.split(|&c| c == b',').map(<[u8]>::to_vec).collect()
}

fn unfields(f: &[Vec<u8>]) -> Vec<u8> {
    f.join(&b',')
}

/// Applies one mutation.
pub fn apply(m: &Mutation, b: &mut Vec<u8>) {
    match m {
        Mutation::FlipBit(i, bit) => {
            if !b.is_empty() {
                let p = i.index(b.len());
                b[p] ^= 1 << bit;
            }
        }
        Mutation::SetByte(i, v) => {
            if !b.is_empty() {
                let p = i.index(b.len());
                b[p] = *v;
            }
        }
        Mutation::InsertBytes(i, v) => {
            let p = i.index(b.len() + 1);
            b.splice(p..p, v.iter().copied());
        }
        Mutation::Truncate(i) => {
            let p = i.index(b.len() + 1);
            b.truncate(p);
        }
        Mutation::DropLine(i) | Mutation::DuplicateLine(i) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let k = i.index(lines.len());
            if matches!(m, Mutation::DropLine(_)) {
                lines.remove(k);
            } else {
                let l = lines[k].clone();
                lines.insert(k, l);
            }
            *b = join_lines(&lines, t);
        }
        Mutation::SwapLines(i, j) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let (x, y) = (i.index(lines.len()), j.index(lines.len()));
            lines.swap(x, y);
            *b = join_lines(&lines, t);
        }
        Mutation::SwapColumns(i, j, only) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let which: Vec<usize> = match only {
                Some(l) => vec![l.index(lines.len())],
                None => (0..lines.len()).collect(),
            };
            for k in which {
                let mut f = fields(&lines[k]);
                let (x, y) = (i.index(f.len()), j.index(f.len()));
                f.swap(x, y);
                lines[k] = unfields(&f);
            }
            *b = join_lines(&lines, t);
        }
        Mutation::SetCell(l, c, v) => {
            let (mut lines, t) = split_lines(b);
            if lines.len() < 2 {
                return;
            }
            // A data line (not the header).
            let k = 1 + l.index(lines.len() - 1);
            let mut f = fields(&lines[k]);
            let x = c.index(f.len());
            f[x] = v.as_bytes().to_vec();
            lines[k] = unfields(&f);
            *b = join_lines(&lines, t);
        }
        Mutation::RenameHeader(i, name) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let mut f = fields(&lines[0]);
            let x = i.index(f.len());
            f[x] = name.as_bytes().to_vec();
            lines[0] = unfields(&f);
            *b = join_lines(&lines, t);
        }
        Mutation::DuplicateHeaderName(i, j) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let mut f = fields(&lines[0]);
            let (x, y) = (i.index(f.len()), j.index(f.len()));
            f[y] = f[x].clone();
            lines[0] = unfields(&f);
            *b = join_lines(&lines, t);
        }
        Mutation::DropHeaderField(i) => {
            let (mut lines, t) = split_lines(b);
            if lines.is_empty() {
                return;
            }
            let mut f = fields(&lines[0]);
            let x = i.index(f.len());
            f.remove(x);
            lines[0] = unfields(&f);
            *b = join_lines(&lines, t);
        }
        Mutation::Crlf => {
            let mut out = Vec::with_capacity(b.len() + b.len() / 20);
            for &c in b.iter() {
                if c == b'\n' {
                    out.push(b'\r');
                }
                out.push(c);
            }
            *b = out;
        }
        Mutation::Bom => {
            b.splice(0..0, [0xEF, 0xBB, 0xBF]);
        }
        Mutation::Empty => b.clear(),
        Mutation::HeaderOnly => {
            let end = b
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| p + 1);
            b.truncate(end);
        }
    }
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b).unwrap();
    enc.finish().unwrap()
}

/// A bundle written for one case: its folder and, per damaged file, the
/// path and the damaged text's number of lines (`None` when the gzip bytes
/// themselves are corrupt, so the text is unknown).
pub struct Written {
    pub dir: tempfile::TempDir,
    pub damaged: Vec<(PathBuf, Option<usize>)>,
}

/// Writes the base bundle with the case's damage applied.
pub fn write_case(case: &FuzzCase) -> Written {
    let base = &bases()[case.base.index(bases().len())];
    let mut files = base.files.clone();
    let mut storage: Vec<Option<&Storage>> = vec![None; files.len()];
    for d in &case.damage {
        let k = d.file.index(files.len());
        for m in &d.mutations {
            apply(m, &mut files[k].1);
        }
        storage[k] = Some(&d.storage);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut damaged = Vec::new();
    for ((name, bytes), st) in files.iter().zip(storage) {
        // An upper bound on the line numbers an error may give (a lone `\r`
        // ends a record for the csv crate).
        let lines = bytes.iter().filter(|&&c| c == b'\n' || c == b'\r').count() + 1;
        let (path, data, known) = match st {
            None => (dir.path().join(name), bytes.clone(), true),
            Some(Storage::Plain) => (dir.path().join(name), bytes.clone(), true),
            Some(Storage::Gzip) => (dir.path().join(format!("{name}.gz")), gzip(bytes), true),
            Some(Storage::GzipCorrupt(i, bit)) => {
                let mut gz = gzip(bytes);
                let p = i.index(gz.len());
                match bit {
                    Some(bit) => gz[p] ^= 1 << bit,
                    None => gz.truncate(p),
                }
                (dir.path().join(format!("{name}.gz")), gz, false)
            }
            Some(Storage::GzipTwoMembers(i)) => {
                let cut = i.index(bytes.len() + 1);
                let mut gz = gzip(&bytes[..cut]);
                gz.extend(gzip(&bytes[cut..]));
                (dir.path().join(format!("{name}.gz")), gz, true)
            }
        };
        std::fs::write(&path, data).unwrap();
        if st.is_some() {
            damaged.push((path, known.then_some(lines)));
        }
    }
    Written { dir, damaged }
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

/// The per-load time limit.
fn load_timeout() -> Duration {
    Duration::from_secs_f64(
        std::env::var("ALPHASIM_FUZZ_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20.0),
    )
}

/// Runs `f` on its own thread; Err on a panic (with its message) or when it
/// does not return within `limit` (the thread is then left behind).
pub fn bounded<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            let _ = handle.join();
            Ok(v)
        }
        Ok(Err(p)) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "<non-string panic>".to_owned());
            Err(format!("panicked: {msg}"))
        }
        Err(_) => Err(format!("no answer within {limit:?} (hang)")),
    }
}

/// An error must name a file of the bundle; a row error a plausible line
/// (within the damaged file when it is the damaged one) and column.
pub fn check_error(e: &Error, w: &Written) -> Result<(), String> {
    let dir = w.dir.path();
    let text = e.to_string();
    let inside = |p: &Path| p.starts_with(dir);
    match e {
        Error::Data {
            file,
            line,
            column_number,
            column,
            ..
        } => {
            if !inside(file) {
                return Err(format!("the error names a file outside the bundle: {text}"));
            }
            // `column` may be `` when the damaged header itself has a nameless
            // field (outside factors.csv such a column is ignored, but a row
            // with too few fields is still reported against it).
            let _ = column;
            if *line < 1 || *column_number < 1 {
                return Err(format!("the error's line/column is impossible: {text}"));
            }
            if let Some((_, Some(n))) = w.damaged.iter().find(|(p, _)| p == file) {
                if *line as usize > *n {
                    return Err(format!("line {line} is past the file's {n} lines: {text}"));
                }
            }
        }
        Error::File { file, .. } => {
            if !inside(file) {
                return Err(format!("the error names a file outside the bundle: {text}"));
            }
        }
        Error::Io { path, .. } => {
            if !inside(path) {
                return Err(format!("the error names a file outside the bundle: {text}"));
            }
        }
        other => return Err(format!("a loader error of an unexpected kind: {other:?}")),
    }
    if !text.contains(&*dir.to_string_lossy()) {
        return Err(format!("the message does not name the file: {text}"));
    }
    Ok(())
}

/// What a loaded market must satisfy whatever the input was.
pub fn check_market(m: &alphasim::data::Market) -> Result<(), String> {
    let b = &m.bars;
    if b.dates.is_empty() || b.is_empty() {
        return Err("a market with no bars was accepted".into());
    }
    if !b.dates.windows(2).all(|w| w[0] < w[1]) {
        return Err("the calendar is not strictly increasing".into());
    }
    if b.day_start.len() != b.dates.len() + 1 || *b.day_start.last().unwrap() as usize != b.len() {
        return Err("day_start does not cover the rows".into());
    }
    for r in 0..b.len() {
        let (o, h, l, c, v) = (b.open[r], b.high[r], b.low[r], b.close[r], b.volume[r]);
        if ![o, h, l, c, v, b.adj_factor[r]]
            .iter()
            .all(|x| x.is_finite() && *x >= 0.0)
        {
            return Err(format!(
                "row {r}: a non-finite or negative value was accepted: {o} {h} {l} {c} {v} {}",
                b.adj_factor[r]
            ));
        }
        if h < l {
            return Err(format!("row {r}: high {h} < low {l} was accepted"));
        }
        if v > 0.0 && [o, h, l, c].iter().any(|x| *x <= 0.0) {
            return Err(format!(
                "row {r}: a traded bar with a zero price was accepted"
            ));
        }
        if b.adj_factor[r] <= 0.0 {
            return Err(format!("row {r}: adj_factor {} accepted", b.adj_factor[r]));
        }
    }
    for d in 0..b.dates.len() {
        let rows = b.day_rows(alphasim::data::DayIndex(d as u32));
        let syms: Vec<_> = b.symbol[rows].to_vec();
        let mut sorted = syms.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != syms.len() {
            return Err(format!(
                "day {}: a duplicate (date, symbol) was accepted",
                b.dates[d]
            ));
        }
    }
    if m.factors.values.iter().any(|x| x.is_infinite()) {
        return Err("an infinite factor value was accepted".into());
    }
    if m.fundamentals.records.iter().any(|r| !r.value.is_finite()) {
        return Err("a non-finite fundamental value was accepted".into());
    }
    for series in m.benchmark.values() {
        if series.iter().any(|(_, x)| !(x.is_finite() && *x > 0.0)) {
            return Err("a non-positive or non-finite benchmark close was accepted".into());
        }
    }
    Ok(())
}

/// Loads and validates the case's bundle; Ok(true) when the bundle was
/// accepted, Ok(false) when refused with a located error; Err describes the
/// first violation.
pub fn check_case(case: &FuzzCase) -> Result<bool, String> {
    let w = write_case(case);
    let limit = load_timeout();
    let dir = w.dir.path().to_path_buf();
    let threads = case.threads;
    let loaded = bounded(limit, move || {
        alphasim::data::load_market(
            &dir,
            &alphasim::data::LoadOptions {
                threads,
                ..Default::default()
            },
        )
    })?;
    match &loaded {
        Ok(m) => check_market(m)?,
        Err(e) => check_error(e, &w)?,
    }
    let dir = w.dir.path().to_path_buf();
    let validated = bounded(limit, move || alphasim::data::validate_bundle(&dir))?;
    match (&loaded, &validated) {
        (Ok(_), Ok(summary)) => {
            let text = summary.to_string();
            if !text.contains("ok: the bundle is valid") {
                return Err(format!("validate of a loadable bundle: {text}"));
            }
        }
        (Err(_), Err(e)) => check_error(e, &w)?,
        (Ok(_), Err(e)) => return Err(format!("loads but does not validate: {e}")),
        (Err(e), Ok(_)) => return Err(format!("validates but does not load: {e}")),
    }
    Ok(loaded.is_ok())
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

#[test]
fn test_fuzz_loader_mutated_bundles() {
    let max_cases: u64 = env_number("ALPHASIM_FUZZ_CASES").unwrap_or(800);
    let seconds: f64 = env_number("ALPHASIM_FUZZ_SECONDS").unwrap_or(30.0);
    let seed: u64 = env_number("ALPHASIM_FUZZ_SEED").unwrap_or(16);
    bases(); // read the fixtures before the clock starts
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    // Batches of cases, each batch with its own seed, until the case count or
    // the deadline is reached (proptest has no time budget of its own).
    const BATCH: u64 = 32;
    let (mut done, mut batch) = (0u64, 0u64);
    let (mut errors, mut accepted) = (0u64, 0u64);
    while done < max_cases && Instant::now() < deadline {
        let n = BATCH.min(max_cases - done);
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&batch.to_le_bytes());
        let config = Config {
            cases: n as u32,
            failure_persistence: None,
            max_shrink_time: 120_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
        let counts = std::sync::Mutex::new((0u64, 0u64));
        let result = runner.run(&fuzz_case(), |case| {
            let accepted = check_case(&case).map_err(|e| {
                let base = bases()[case.base.index(bases().len())].name;
                TestCaseError::fail(format!("{e}\nbase bundle: {base}\ncase: {case:?}"))
            })?;
            // Counted for the closing line (shrinking runs count too).
            let mut c = counts.lock().unwrap();
            if accepted {
                c.1 += 1;
            } else {
                c.0 += 1;
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("fuzz (seed {seed}, batch {batch}) after {done} passing cases: {e}");
        }
        let c = counts.into_inner().unwrap();
        errors += c.0;
        accepted += c.1;
        done += n;
        batch += 1;
    }
    eprintln!(
        "fuzz_loader: {done} cases (seed {seed}; {errors} refused with a located error, {accepted} accepted) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(done > 0, "the time box allowed no case");
}

// ---------------------------------------------------------------------------
// Regressions found by the fuzz run
// ---------------------------------------------------------------------------

/// Found by the long run (seed 2026, after 9,728 cases): a factors.csv
/// header with an empty field (`date,,symbol` after damage; in the wild a
/// trailing comma, `date,symbol,f0,`) made a factor column named ``, whose
/// errors then read "column ``". Now the header is refused as a whole-file
/// error that names the file and the nameless column.
#[test]
fn fuzz_regression_factor_header_empty_name() {
    for (header, row, col) in [
        ("date,,symbol", "2024-01-31,1,AAA", 2),
        ("date,symbol,f0,", "2024-01-31,AAA,1,", 4),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bars.csv"),
            "date,symbol,open,high,low,close,volume\n2024-01-31,AAA,10,10,10,10,1000\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("factors.csv"), format!("{header}\n{row}\n")).unwrap();
        let e = alphasim::data::load_market(dir.path(), &Default::default()).unwrap_err();
        let text = e.to_string();
        match &e {
            Error::File { file, .. } => assert!(file.ends_with("factors.csv"), "{text}"),
            other => panic!("{header}: expected a whole-file error, got {other:?}"),
        }
        assert!(
            text.contains(&format!("column {col} of the header has no name")),
            "{header}: {text}"
        );
    }
}
