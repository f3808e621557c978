//! `alphasim convert BUNDLE --to parquet --out DIR`: any bundle (CSV,
//! `.csv.gz` or Parquet tables) written as a Parquet bundle, atomically.
//!
//! The bundle is first loaded and validated whole (every factor column),
//! so a bundle the loader rejects is not converted: the error is the
//! loader's located one. Then every table present is written as
//! `<name>.parquet` (data/load/to_arrow.rs: dates as date32, numbers as
//! float64, names as utf8, empty cells as nulls; snappy-compressed row
//! groups of at most [`ROW_GROUP`] rows). Files that are not bundle tables
//! (a README, `meta.json`, the cache folder, …) and table columns the
//! loader does not read are not copied; [`Converted`] names them.
//!
//! Nothing is half-written: the tables go to a temporary folder beside
//! `--out` (same parent, so the final rename stays on one file system),
//! which is renamed to `--out` once every table is complete and removed on
//! any error. An `--out` that exists and is not empty is refused unless
//! `force`, which replaces it (the old folder is renamed aside first and
//! removed only after the new one is in place); `--out` may not be the
//! bundle itself or lie inside it.

use super::load::{locate_files, table_to_arrow, FileKind};
use super::{load_market, LoadOptions};
use crate::{Error, Result};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};

/// The most rows a written row group holds (loads decode row groups in
/// parallel, so a large table has several).
pub const ROW_GROUP: usize = 1 << 18;

/// What a conversion wrote and left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// `(file name, rows)` of each table written, in bundle order.
    pub tables: Vec<(String, u64)>,
    /// Files of the bundle folder that are not tables (not copied; the
    /// bundle's own `.alphasim-cache` folder is not listed).
    pub skipped_files: Vec<String>,
    /// `table.column` of columns the loader does not read (not written).
    pub dropped_columns: Vec<String>,
}

fn refuse(out: &Path, message: impl Into<String>, fix: impl Into<String>) -> Error {
    Error::File {
        file: out.to_path_buf(),
        message: message.into(),
        fix: fix.into(),
    }
}

/// Converts the bundle in `bundle` into a Parquet bundle at `out`.
pub fn convert_to_parquet(bundle: &Path, out: &Path, force: bool) -> Result<Converted> {
    let files = locate_files(bundle)?;
    check_out(bundle, out, force)?;
    load_market(bundle, &LoadOptions::default())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| refuse(out, "--out has no folder name", "name the folder to write"))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let written = write_tables(&files, &tmp, threads);
    let tables = match written {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = install(&tmp, out, &parent, &name) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }

    let table_names: Vec<String> = files
        .iter()
        .filter_map(|(_, p)| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    let mut skipped_files: Vec<String> = std::fs::read_dir(bundle)
        .map_err(|e| Error::io(bundle, e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !table_names.contains(n) && n != ".alphasim-cache")
        .collect();
    skipped_files.sort();
    let (tables, dropped_columns) = tables;
    Ok(Converted {
        tables,
        skipped_files,
        dropped_columns,
    })
}

/// Refuses an `--out` that is the bundle (or inside it), a file, or a
/// non-empty folder without `force`.
fn check_out(bundle: &Path, out: &Path, force: bool) -> Result<()> {
    let full_bundle = std::fs::canonicalize(bundle).map_err(|e| Error::io(bundle, e))?;
    let full_out = match std::fs::canonicalize(out) {
        Ok(p) => p,
        // Not there yet: its parent's full path and its name.
        Err(_) => out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .and_then(|p| std::fs::canonicalize(p).ok())
            .map(|p| p.join(out.file_name().unwrap_or_default()))
            .unwrap_or_else(|| out.to_path_buf()),
    };
    if full_out.starts_with(&full_bundle) {
        return Err(refuse(
            out,
            "--out is the bundle folder or inside it",
            "write the Parquet bundle to a folder of its own, e.g. --out <bundle>-parquet",
        ));
    }
    if out.exists() {
        if !out.is_dir() {
            return Err(refuse(
                out,
                "--out exists and is not a folder",
                "pass a new folder (or an empty one) as --out",
            ));
        }
        let empty = std::fs::read_dir(out)
            .map_err(|e| Error::io(out, e))?
            .next()
            .is_none();
        if !empty && !force {
            return Err(refuse(
                out,
                "--out exists and is not empty",
                "pass a new or empty folder, or add --force to replace this one",
            ));
        }
    }
    Ok(())
}

type Written = (Vec<(String, u64)>, Vec<String>);

/// Writes every table of `files` as `<stem>.parquet` in `dir`.
fn write_tables(files: &[(FileKind, PathBuf)], dir: &Path, threads: usize) -> Result<Written> {
    let mut tables = Vec::new();
    let mut dropped = Vec::new();
    for (kind, path) in files {
        let table = table_to_arrow(*kind, path, threads)?;
        let file_name = format!("{}.parquet", kind.stem());
        let target = dir.join(&file_name);
        let rows: usize = table.batches.iter().map(|b| b.num_rows()).sum();
        write_parquet(&target, &table).map_err(|e| Error::File {
            file: target.clone(),
            message: format!("cannot write: {e}"),
            fix: "check the free space and permissions of the --out folder's parent".to_owned(),
        })?;
        dropped.extend(
            table
                .dropped
                .iter()
                .map(|c| format!("{}.{c}", super::load::file_label(path))),
        );
        tables.push((file_name, rows as u64));
    }
    Ok((tables, dropped))
}

fn write_parquet(
    target: &Path,
    table: &super::load::ArrowTable,
) -> std::result::Result<(), String> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    let file = std::fs::File::create(target).map_err(|e| e.to_string())?;
    let mut w =
        ArrowWriter::try_new(file, table.schema.clone(), Some(props)).map_err(|e| e.to_string())?;
    for b in &table.batches {
        w.write(b).map_err(|e| e.to_string())?;
    }
    w.close().map_err(|e| e.to_string())?;
    Ok(())
}

/// Puts the finished `tmp` folder at `out` (replacing an existing one).
fn install(tmp: &Path, out: &Path, parent: &Path, name: &str) -> Result<()> {
    if !out.exists() {
        return std::fs::rename(tmp, out).map_err(|e| Error::io(out, e));
    }
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&old);
    std::fs::rename(out, &old).map_err(|e| Error::io(out, e))?;
    if let Err(e) = std::fs::rename(tmp, out) {
        let _ = std::fs::rename(&old, out);
        return Err(Error::io(out, e));
    }
    std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))
}
