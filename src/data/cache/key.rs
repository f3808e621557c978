//! What a cache is keyed on: each bundle file's name, size, modification
//! time and a SHA-256 of its first 64 KiB.

use super::codec::{Bad, Reader, Writer};
use crate::data::load::FileKind;
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes of a file's head that are hashed.
const HEAD: u64 = 64 << 10;

/// One source file as the cache saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceFile {
    /// `bars.csv`, `factors.csv.gz`, …
    name: String,
    size: u64,
    /// Modification time, nanoseconds since 1970 (0 when unknown).
    mtime_ns: u64,
    /// SHA-256 of the first 64 KiB, in hex.
    head: String,
}

/// The bundle's files (those present, in [`FileKind`] order): any change,
/// addition or removal makes a different key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceKey {
    files: Vec<SourceFile>,
}

impl SourceKey {
    /// The key of the located bundle files.
    pub(super) fn of(files: &[(FileKind, PathBuf)]) -> Result<SourceKey> {
        let files = files
            .iter()
            .map(|(_, p)| source_file(p))
            .collect::<Result<_>>()?;
        Ok(SourceKey { files })
    }

    pub(super) fn write<W: std::io::Write>(&self, w: &mut Writer<W>) -> std::io::Result<()> {
        w.u64(self.files.len() as u64)?;
        for f in &self.files {
            w.str(&f.name)?;
            w.u64(f.size)?;
            w.u64(f.mtime_ns)?;
            w.str(&f.head)?;
        }
        Ok(())
    }

    pub(super) fn read(r: &mut Reader) -> std::result::Result<SourceKey, Bad> {
        let n = r.count(32)?;
        let mut files = Vec::with_capacity(n);
        for _ in 0..n {
            files.push(SourceFile {
                name: r.str()?,
                size: r.u64()?,
                mtime_ns: r.u64()?,
                head: r.str()?,
            });
        }
        Ok(SourceKey { files })
    }
}

fn source_file(path: &Path) -> Result<SourceFile> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    let mut head = Vec::with_capacity(HEAD as usize);
    file.take(HEAD)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let digest = Sha256::digest(&head);
    Ok(SourceFile {
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        size: meta.len(),
        mtime_ns,
        head: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}
