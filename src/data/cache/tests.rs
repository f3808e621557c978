//! Cache tests: hits, misses on every kind of source change, corruption,
//! the fallback folder and clearing; every cached market is compared with
//! a fresh parse of the CSV files.

use super::*;
use crate::data::{load_market, load_market_status, FactorColumns};
use std::time::{Duration, SystemTime};

fn tiny() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "bars.csv",
        "benchmark.csv",
        "constituents.csv",
        "factors.csv",
        "fundamentals.csv",
        "industries.csv",
    ] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn on() -> LoadOptions {
    LoadOptions {
        cache: Cache::On { fallback: None },
        ..LoadOptions::default()
    }
}

fn select(names: &[&str]) -> LoadOptions {
    LoadOptions {
        factor_columns: FactorColumns::Select {
            required: names.iter().map(|s| s.to_string()).collect(),
            optional: Vec::new(),
        },
        ..on()
    }
}

/// Every part of a market, as text that shows each float exactly (the
/// interner's hash map is left out: its names are compared in order).
fn dump(m: &Market) -> String {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let b = &m.bars;
    format!(
        "{:?}|{:?}|{:?}{:?}{:?}|{:?}{:?}{:?}{:?}{:?}{:?}|{:?}{:?}{:?}|{:?}|{:?}|{:?}|{:?}{:?}{:?}{:?}|{:?}|{:?}|{:?}",
        m.symbols.names(),
        m.industries_names.names(),
        b.dates,
        b.day_start,
        b.symbol,
        bits(&b.open),
        bits(&b.high),
        bits(&b.low),
        bits(&b.close),
        bits(&b.volume),
        bits(&b.adj_factor),
        b.amount.as_deref().map(bits),
        b.limit_up.as_deref().map(bits),
        b.limit_down.as_deref().map(bits),
        m.constituents,
        m.industries,
        m.benchmark,
        m.factors.names,
        m.factors.date,
        m.factors.symbol,
        bits(&m.factors.values),
        m.fundamentals,
        m.index_weights,
        m.warnings,
    )
}

/// Loads through the cache and checks the market against a CSV parse.
fn load_checked(dir: &Path, opts: &LoadOptions) -> CacheStatus {
    let (cached, status) = load_market_status(dir, opts).unwrap();
    let parsed = load_market(
        dir,
        &LoadOptions {
            cache: Cache::Off,
            ..opts.clone()
        },
    )
    .unwrap();
    assert_eq!(dump(&cached), dump(&parsed), "cache vs CSV ({status:?})");
    status
}

fn built(s: &CacheStatus, why: &str) {
    match s {
        CacheStatus::Built { reason } => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected a rebuild ({why}), got {other:?}"),
    }
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn set_mtime(p: &Path, t: SystemTime) {
    let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.set_modified(t).unwrap();
}

#[test]
fn test_cache_build_then_hit_same_market() {
    let d = tiny();
    built(&load_checked(d.path(), &on()), "no cache yet");
    let folder = d.path().join(CACHE_DIR);
    let mut files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected = vec![BUNDLE_FILE.to_owned()];
    expected.extend((0..8).map(factor_file));
    expected.sort();
    assert_eq!(files, expected);
    let written = mtime(&folder.join(BUNDLE_FILE));
    assert_eq!(load_checked(d.path(), &on()), CacheStatus::Hit);
    assert_eq!(
        mtime(&folder.join(BUNDLE_FILE)),
        written,
        "a hit rewrites nothing"
    );
    // A hit uses the cache files in place: its number columns slice the
    // mapped files (on a little-endian target), a parse owns its columns.
    let (hit, _) = load_market_status(d.path(), &on()).unwrap();
    let parsed = load_market(d.path(), &LoadOptions::default()).unwrap();
    let little = cfg!(target_endian = "little");
    assert_eq!(hit.bars.close.is_mapped(), little);
    assert_eq!(hit.bars.symbol.is_mapped(), little);
    assert!(!hit.factors.values.is_mapped(), "8 columns interleaved");
    assert!(!parsed.bars.close.is_mapped());
    assert_eq!(dump(&hit), dump(&parsed));
    let one = load_market(d.path(), &select(&["f2"])).unwrap();
    assert_eq!(
        one.factors.values.is_mapped(),
        little,
        "one column: in place"
    );
}

#[test]
fn test_cache_hit_does_not_read_the_csv() {
    // A change past the hashed head that keeps size and mtime is not seen
    // (documented): the cached, original values come back, so a hit parsed
    // nothing.
    let d = tiny();
    let before = load_market(d.path(), &on()).unwrap();
    let p = d.path().join("bars.csv");
    let t = mtime(&p);
    let mut text = std::fs::read(&p).unwrap();
    let at = text.len() - 10;
    assert!(at > 64 << 10 && text[at].is_ascii_digit());
    text[at] = if text[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&p, &text).unwrap();
    set_mtime(&p, t);
    let (after, status) = load_market_status(d.path(), &on()).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(dump(&after), dump(&before));
}

#[test]
fn test_cache_rebuilt_on_each_kind_of_source_change() {
    let d = tiny();
    load_checked(d.path(), &on());
    let bars = d.path().join("bars.csv");
    // Same size and mtime, different head: the head hash.
    let t = mtime(&bars);
    let text = std::fs::read_to_string(&bars).unwrap();
    let changed = text.replacen("SH600000", "SZ999999", 1);
    assert_eq!(changed.len(), text.len());
    std::fs::write(&bars, &changed).unwrap();
    set_mtime(&bars, t);
    built(&load_checked(d.path(), &on()), "the bundle changed");
    std::fs::write(&bars, &text).unwrap();
    set_mtime(&bars, t);
    built(&load_checked(d.path(), &on()), "the bundle changed");
    assert_eq!(load_checked(d.path(), &on()), CacheStatus::Hit);
    // Only the modification time.
    set_mtime(&bars, t + Duration::from_secs(60));
    built(&load_checked(d.path(), &on()), "the bundle changed");
    // The size (a row appended past the head).
    let f = d.path().join("fundamentals.csv");
    let mut extra = std::fs::read_to_string(&f).unwrap();
    extra.push_str("SH600000,2016-12-31,2017-03-01,eps,0.5\n");
    std::fs::write(&f, extra).unwrap();
    built(&load_checked(d.path(), &on()), "the bundle changed");
    // A removed and an added file.
    let b = d.path().join("benchmark.csv");
    let bench = std::fs::read(&b).unwrap();
    std::fs::remove_file(&b).unwrap();
    built(&load_checked(d.path(), &on()), "the bundle changed");
    assert!(load_market(d.path(), &on()).unwrap().benchmark.is_empty());
    std::fs::write(&b, &bench).unwrap();
    built(&load_checked(d.path(), &on()), "the bundle changed");
    // The same table as .csv.gz instead of .csv.
    let gz = d.path().join("benchmark.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &bench).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    std::fs::remove_file(&b).unwrap();
    built(&load_checked(d.path(), &on()), "the bundle changed");
    assert_eq!(load_checked(d.path(), &on()), CacheStatus::Hit);
}

#[test]
fn test_cache_corrupt_or_truncated_files_rebuilt() {
    let d = tiny();
    load_checked(d.path(), &on());
    let bundle = d.path().join(CACHE_DIR).join(BUNDLE_FILE);
    let good = std::fs::read(&bundle).unwrap();
    // One flipped bit in the middle of a column.
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x10;
    std::fs::write(&bundle, &bad).unwrap();
    built(&load_checked(d.path(), &on()), "checksum mismatch");
    assert_eq!(std::fs::read(&bundle).unwrap(), good, "rebuilt as before");
    // Cut short, cut to nothing, and not a cache file at all.
    std::fs::write(&bundle, &good[..good.len() - 100]).unwrap();
    built(&load_checked(d.path(), &on()), "corrupt");
    std::fs::write(&bundle, b"").unwrap();
    built(&load_checked(d.path(), &on()), "truncated");
    std::fs::write(&bundle, [b'x'; 64]).unwrap();
    built(&load_checked(d.path(), &on()), "not an alphasim cache file");
    // Another format version.
    let mut other = good.clone();
    other[8..12].copy_from_slice(&(codec::VERSION + 1).to_le_bytes());
    std::fs::write(&bundle, &other).unwrap();
    built(&load_checked(d.path(), &on()), "format version");
    // A corrupt factor column.
    let f3 = d.path().join(CACHE_DIR).join(factor_file(3));
    let mut col = std::fs::read(&f3).unwrap();
    let k = col.len() - 20;
    col[k] ^= 1;
    std::fs::write(&f3, &col).unwrap();
    built(
        &load_checked(d.path(), &on()),
        "factor column `f3` not cached yet",
    );
    assert_eq!(load_checked(d.path(), &on()), CacheStatus::Hit);
}

#[test]
fn test_cache_selected_columns_cached_one_by_one() {
    let d = tiny();
    built(&load_checked(d.path(), &select(&["f1"])), "no cache yet");
    let folder = d.path().join(CACHE_DIR);
    assert!(folder.join(factor_file(1)).is_file());
    assert!(!folder.join(factor_file(2)).exists());
    assert_eq!(load_checked(d.path(), &select(&["f1"])), CacheStatus::Hit);
    built(
        &load_checked(d.path(), &select(&["f2"])),
        "factor column `f2` not cached yet",
    );
    assert_eq!(
        load_checked(d.path(), &select(&["f2", "f1"])),
        CacheStatus::Hit
    );
    let m = load_market(d.path(), &select(&["f2", "f1"])).unwrap();
    assert_eq!(m.factors.names, ["f1", "f2"]);
    // A name that is not a column: every column, as without the cache.
    built(
        &load_checked(d.path(), &select(&["nope"])),
        "factor column `f0` not cached yet",
    );
    assert_eq!(load_checked(d.path(), &on()), CacheStatus::Hit);
}

#[test]
fn test_cache_fallback_folder_and_clear() {
    let d = tiny();
    let root = tempfile::tempdir().unwrap();
    // A file where the cache folder would go: the bundle folder is not usable.
    std::fs::write(d.path().join(CACHE_DIR), b"in the way").unwrap();
    let opts = LoadOptions {
        cache: Cache::On {
            fallback: Some(root.path().to_path_buf()),
        },
        ..LoadOptions::default()
    };
    built(&load_checked(d.path(), &opts), "no cache yet");
    let folder = root.path().join(keyed_name(d.path()));
    assert!(folder.join(BUNDLE_FILE).is_file(), "{}", folder.display());
    let name = folder.file_name().unwrap().to_string_lossy().into_owned();
    let base = d.path().file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("{base}-")) && name.len() == base.len() + 17);
    assert_eq!(load_checked(d.path(), &opts), CacheStatus::Hit);
    let cleared = clear_cache(Some(d.path()), Some(root.path())).unwrap();
    assert_eq!(cleared, std::slice::from_ref(&folder));
    assert!(!folder.exists());
    built(&load_checked(d.path(), &opts), "no cache yet");
    // Clearing every bundle under the root; the file in the bundle stays.
    assert_eq!(clear_cache(None, Some(root.path())).unwrap(), [folder]);
    assert!(d.path().join(CACHE_DIR).is_file());
    // Neither folder writable: parsed, nothing written.
    let blocked = LoadOptions {
        cache: Cache::On {
            fallback: Some(d.path().join(CACHE_DIR).join("below-a-file")),
        },
        ..LoadOptions::default()
    };
    match load_checked(d.path(), &blocked) {
        CacheStatus::NotWritten { reason } => assert!(reason.contains("no writable")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn test_cache_read_only_bundle_uses_the_fallback_folder() {
    let d = tiny();
    let root = tempfile::tempdir().unwrap();
    let opts = LoadOptions {
        cache: Cache::On {
            fallback: Some(root.path().to_path_buf()),
        },
        ..LoadOptions::default()
    };
    let mut perms = std::fs::metadata(d.path()).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(d.path(), perms.clone()).unwrap();
    built(&load_checked(d.path(), &opts), "no cache yet");
    assert_eq!(load_checked(d.path(), &opts), CacheStatus::Hit);
    assert!(!d.path().join(CACHE_DIR).exists());
    assert!(root
        .path()
        .join(keyed_name(d.path()))
        .join(BUNDLE_FILE)
        .is_file());
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(d.path(), perms).unwrap();
}

#[test]
fn test_cache_clear_beside_the_bundle() {
    let d = tiny();
    load_checked(d.path(), &on());
    let folder = d.path().join(CACHE_DIR);
    let other = tempfile::tempdir().unwrap();
    let cleared = clear_cache(Some(d.path()), Some(other.path())).unwrap();
    assert_eq!(cleared, std::slice::from_ref(&folder));
    assert!(!folder.exists());
    built(&load_checked(d.path(), &on()), "no cache yet");
}

#[test]
fn test_cache_bad_bundle_is_an_error_and_writes_nothing() {
    let d = tiny();
    let p = d.path().join("bars.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replacen("2015-01-05", "2015-02-30", 1)).unwrap();
    let e = load_market(d.path(), &on()).unwrap_err().to_string();
    assert!(e.contains("bars.csv:2:1"), "{e}");
    assert!(!d.path().join(CACHE_DIR).join(BUNDLE_FILE).exists());
}
