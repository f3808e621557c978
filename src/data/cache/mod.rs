//! The binary bundle cache: a parsed bundle written once in a columnar
//! binary form, read back instead of parsing the CSV files again.
//!
//! # Files and keys
//!
//! A bundle's cache is a folder holding `bundle.bin` (every part of the
//! [`Market`] except the factor values, plus the names of every
//! `factors.csv` column) and one `factor-<k>.bin` per factor column `k` that
//! some load has read. A run that reads only some columns caches those; a
//! later run with other columns reads the cached parts and parses the CSV
//! files once more for the rest. Each file starts with the source key: every
//! bundle file's name, size, modification time and a SHA-256 of its first
//! 64 KiB ([`key`]). A changed, added or removed bundle file (including a
//! `.csv` turned into `.csv.gz` or `.parquet`) gives another key, and the cache is rebuilt.
//! (A change that keeps the size, the modification time and the first 64 KiB
//! is not seen; every ordinary edit changes the modification time.)
//!
//! The format ([`codec`]) is little-endian with a format version and a
//! CRC-32 over the whole file: a truncated, corrupt or other-version file is
//! detected and rebuilt, never trusted. A file is memory-mapped and checked
//! whole when it is opened; its number columns are then used in place (the
//! [`Market`]'s [`Column`](crate::data::Column)s slice the map: nothing is
//! copied or decoded), and a factor column's file is opened (and checked)
//! only when the run reads that column. Files are written to a temporary
//! name in the same folder and renamed into place, so a reader sees a whole
//! file or none, and a failure to write the cache never fails the load.
//! (They are not synced to disk: a file torn by a crash fails its CRC and
//! is rebuilt.)
//!
//! # Location
//!
//! `<bundle>/.alphasim-cache/` when the bundle folder is writable (and its
//! permissions are not read-only for everyone, which even root respects); else a
//! folder named after the bundle (and a hash of its full path) under the
//! fallback root: [`Cache::On`]'s `fallback`, else `$ALPHASIM_CACHE`, else
//! the platform cache folder (`$XDG_CACHE_HOME/alphasim` or
//! `~/.cache/alphasim`, `~/Library/Caches/alphasim`, `%LOCALAPPDATA%\alphasim`).
//!
//! Results are the same as from the CSV files, bit for bit: the cache holds
//! the parsed values themselves.

// `crate::Error` carries a located data error by value; it is large, but
// errors are rare and end the load.
#![allow(clippy::result_large_err)]

mod codec;
mod key;
mod market;
#[cfg(test)]
mod tests;

use super::load::{locate_files, parse_bundle};
use super::{LoadOptions, Market};
use crate::Result;
use codec::{Reader, Writer};
use key::SourceKey;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Whether a load uses the binary cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cache {
    /// Always parse the CSV files (the library default).
    #[default]
    Off,
    /// Read the cache when it is valid, else parse and write it. `fallback`
    /// is the root used when the bundle folder is not writable (None:
    /// `$ALPHASIM_CACHE`, else the platform cache folder).
    On { fallback: Option<PathBuf> },
}

/// How a load used the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// The cache was not asked for.
    Off,
    /// Everything came from the cache; no CSV file was parsed.
    Hit,
    /// The CSV files were parsed (for `reason`) and the cache written.
    Built { reason: String },
    /// The CSV files were parsed, but no cache could be written (`reason`).
    NotWritten { reason: String },
}

const CACHE_DIR: &str = ".alphasim-cache";
const BUNDLE_FILE: &str = "bundle.bin";

fn factor_file(k: usize) -> String {
    format!("factor-{k}.bin")
}

/// Loads the bundle in `dir` through the cache (`opts.cache` is on).
pub(super) fn load(dir: &Path, opts: &LoadOptions) -> Result<(Market, CacheStatus)> {
    let files = locate_files(dir)?;
    let key = SourceKey::of(&files)?;
    let Some(folder) = cache_folder(dir, opts) else {
        let (market, _) = parse_bundle(&files, opts)?;
        let reason = "no writable cache folder".to_owned();
        return Ok((market, CacheStatus::NotWritten { reason }));
    };
    let mut bundle_ok = false;
    let reason = match read_cached(&folder, &key, opts) {
        Ok(Ok(market)) => return Ok((market, CacheStatus::Hit)),
        Ok(Err(missing)) => {
            bundle_ok = true;
            format!("factor column `{missing}` not cached yet")
        }
        Err(why) => why,
    };
    let (market, all_factors) = parse_bundle(&files, opts)?;
    if SourceKey::of(&files)? != key {
        let reason = "the bundle changed while it was read".to_owned();
        return Ok((market, CacheStatus::NotWritten { reason }));
    }
    let written = write_cache(&folder, &key, &market, &all_factors, bundle_ok);
    Ok(match written {
        Ok(()) => (market, CacheStatus::Built { reason }),
        Err(e) => {
            let reason = format!("cannot write {}: {e}", folder.display());
            (market, CacheStatus::NotWritten { reason })
        }
    })
}

/// The cached market: `Err(why)` when the bundle file is not usable,
/// `Ok(Err(name))` when it is but factor column `name` is not cached.
fn read_cached(
    folder: &Path,
    key: &SourceKey,
    opts: &LoadOptions,
) -> std::result::Result<std::result::Result<Market, String>, String> {
    let path = folder.join(BUNDLE_FILE);
    let reader = Reader::open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .ok_or("no cache yet")?;
    let (mut market, all_factors) = market::read_bundle(reader, key)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .ok_or("the bundle changed")?;
    let picked = opts.factor_columns.pick(&all_factors);
    let rows = market.factors.len();
    let mut columns = Vec::with_capacity(picked.len());
    for &k in &picked {
        let name = &all_factors[k];
        let column = Reader::open(&folder.join(factor_file(k)))
            .ok()
            .flatten()
            .and_then(|r| market::read_factor(r, key, name, rows).ok().flatten());
        match column {
            Some(c) => columns.push(c),
            None => return Ok(Err(name.clone())),
        }
    }
    let m = columns.len();
    let values = if m == 1 {
        columns.pop().expect("one column")
    } else {
        let mut v = vec![0.0; rows * m];
        for (j, c) in columns.iter().enumerate() {
            for (r, x) in c.iter().enumerate() {
                v[r * m + j] = *x;
            }
        }
        v.into()
    };
    market.factors.names = picked.iter().map(|&k| all_factors[k].clone()).collect();
    market.factors.values = values;
    Ok(Ok(market))
}

/// Writes the bundle file (unless `bundle_ok`: it is valid already; when it
/// is rewritten, factor files of older bundles are removed) and the files
/// of the market's factor columns.
fn write_cache(
    folder: &Path,
    key: &SourceKey,
    market: &Market,
    all_factors: &[String],
    bundle_ok: bool,
) -> std::io::Result<()> {
    if !bundle_ok {
        for entry in std::fs::read_dir(folder)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("factor-") && name.ends_with(".bin") {
                std::fs::remove_file(entry.path())?;
            }
        }
        write_atomic(folder, BUNDLE_FILE, |w| {
            market::write_bundle(w, key, market, all_factors)
        })?;
    }
    let f = &market.factors;
    let m = f.names.len();
    for (j, name) in f.names.iter().enumerate() {
        let k = all_factors
            .iter()
            .position(|n| n == name)
            .expect("a parsed column is a column of the file");
        let column: Vec<f64> = (0..f.len()).map(|r| f.values[r * m + j]).collect();
        write_atomic(folder, &factor_file(k), |w| {
            market::write_factor(w, key, name, &column)
        })?;
    }
    Ok(())
}

/// Writes `folder/name` through a temporary file renamed into place.
fn write_atomic(
    folder: &Path,
    name: &str,
    body: impl FnOnce(&mut Writer<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = folder.join(format!(".tmp-{name}-{}-{seq}", std::process::id()));
    let result = (|| {
        let mut w = Writer::new(std::fs::File::create(&tmp)?)?;
        body(&mut w)?;
        w.finish()?;
        std::fs::rename(&tmp, folder.join(name))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The bundle's cache folder, created: beside the bundle when writable,
/// else under the fallback root; None when neither can be written.
fn cache_folder(dir: &Path, opts: &LoadOptions) -> Option<PathBuf> {
    // A folder whose permissions grant no write at all was made read-only
    // on purpose: even a user who could write there (root) leaves it alone.
    let read_only = std::fs::metadata(dir).map_or(true, |m| m.permissions().readonly());
    let beside = dir.join(CACHE_DIR);
    if !read_only && writable(&beside) {
        return Some(beside);
    }
    let Cache::On { fallback } = &opts.cache else {
        return None;
    };
    let folder = fallback
        .clone()
        .or_else(fallback_root)?
        .join(keyed_name(dir));
    writable(&folder).then_some(folder)
}

/// True when `folder` exists (or could be made) and a file can be created in it.
fn writable(folder: &Path) -> bool {
    if std::fs::create_dir_all(folder).is_err() {
        return false;
    }
    let probe = folder.join(format!(".probe-{}", std::process::id()));
    let ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    if !ok {
        let _ = std::fs::remove_dir(folder); // only when empty: made just now
    }
    ok
}

/// `<bundle folder name>-<16 hex digits of the SHA-256 of its full path>`.
fn keyed_name(dir: &Path) -> String {
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let hash = Sha256::digest(full.to_string_lossy().as_bytes());
    let name = full
        .file_name()
        .map_or_else(|| "bundle".to_owned(), |n| n.to_string_lossy().into_owned());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}-{hex}")
}

/// `$ALPHASIM_CACHE`, else the platform's per-user cache folder.
fn fallback_root() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("ALPHASIM_CACHE") {
        return Some(p);
    }
    if cfg!(windows) {
        return env("LOCALAPPDATA").map(|p| p.join("alphasim"));
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map(|p| p.join("Library/Caches/alphasim"));
    }
    env("XDG_CACHE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".cache")))
        .map(|p| p.join("alphasim"))
}

/// Removes cache files: with `bundle`, that bundle's cache (beside it and
/// under the fallback root); without, every bundle's cache under the
/// fallback root (`fallback`, else `$ALPHASIM_CACHE` or the platform
/// folder). Only files the cache writes are removed, then their folders if
/// empty. Returns the folders cleared.
pub fn clear_cache(bundle: Option<&Path>, fallback: Option<&Path>) -> Result<Vec<PathBuf>> {
    let root = fallback.map(Path::to_path_buf).or_else(fallback_root);
    let folders: Vec<PathBuf> = match bundle {
        Some(dir) => std::iter::once(dir.join(CACHE_DIR))
            .chain(root.map(|r| r.join(keyed_name(dir))))
            .collect(),
        None => match root.as_deref().map(std::fs::read_dir) {
            Some(Ok(entries)) => entries.flatten().map(|e| e.path()).collect(),
            _ => Vec::new(),
        },
    };
    let mut cleared = Vec::new();
    for folder in folders {
        if clear_folder(&folder).map_err(|e| crate::Error::io(&folder, e))? {
            cleared.push(folder);
        }
    }
    Ok(cleared)
}

/// Removes the cache files in `folder`; true when there were any.
fn clear_folder(folder: &Path) -> std::io::Result<bool> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Ok(false);
    };
    let mut any = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == BUNDLE_FILE
            || (name.starts_with("factor-") && name.ends_with(".bin"))
            || name.starts_with(".tmp-");
        if ours && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            any = true;
        }
    }
    let _ = std::fs::remove_dir(folder); // only when empty
    Ok(any)
}
