//! The cache files' byte format: little-endian scalars, length-prefixed
//! strings and columns, a CRC-32 over everything after the magic.
//!
//! A file is `MAGIC`, the format version (`u32`), the payload, then a trailer
//! of the payload length (`u64`) and its CRC-32 (`u32`). Columns are a `u64`
//! count, zero padding to a multiple of 8 bytes in the file, then the raw
//! little-endian values, which the [`Reader`] hands out in place (slices of
//! the memory-mapped file, no copy). A file is checked whole (length,
//! version, CRC) when it is opened, before anything in it is decoded; each
//! factor column is a file of its own, so a run checks only the columns it
//! uses.

use crate::data::Column;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

pub(super) const MAGIC: &[u8; 8] = b"ASIMCACH";
/// Bumped whenever the layout or the loader's output changes: a cache of
/// another version is rebuilt, never read.
pub(super) const VERSION: u32 = 2;

/// Why a cache file was not used.
pub(super) type Bad = String;

/// Writes a cache file, computing the CRC on the way.
pub(super) struct Writer<W: Write> {
    out: BufWriter<W>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Writer<W> {
    pub(super) fn new(inner: W) -> std::io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, inner);
        out.write_all(MAGIC)?;
        let mut w = Writer {
            out,
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        w.u32(VERSION)?;
        Ok(w)
    }

    fn bytes(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.crc.update(b);
        self.len += b.len() as u64;
        self.out.write_all(b)
    }

    pub(super) fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn i32(&mut self, v: i32) -> std::io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn str(&mut self, s: &str) -> std::io::Result<()> {
        self.u64(s.len() as u64)?;
        self.bytes(s.as_bytes())
    }

    pub(super) fn strs(&mut self, v: &[String]) -> std::io::Result<()> {
        self.u64(v.len() as u64)?;
        v.iter().try_for_each(|s| self.str(s))
    }

    /// A column of plain numbers (`f64`, `u32`, `i32`).
    pub(super) fn column<T: bytemuck::Pod + LittleEndian>(
        &mut self,
        v: &[T],
    ) -> std::io::Result<()> {
        self.u64(v.len() as u64)?;
        let zeros = [0u8; 8];
        self.bytes(&zeros[..pad(MAGIC.len() + self.len as usize)])?;
        if cfg!(target_endian = "little") {
            self.bytes(bytemuck::cast_slice(v))
        } else {
            for chunk in v.chunks(1 << 14) {
                let le: Vec<T> = chunk.iter().map(|x| x.swap()).collect();
                self.bytes(bytemuck::cast_slice(&le))?;
            }
            Ok(())
        }
    }

    /// Writes the trailer and flushes; returns the inner writer.
    pub(super) fn finish(mut self) -> std::io::Result<W> {
        let (len, crc) = (self.len, self.crc.clone().finalize());
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// A number type whose bytes are swapped to and from little-endian.
pub(super) trait LittleEndian: Copy {
    fn swap(self) -> Self;
}

macro_rules! little_endian {
    ($($t:ty => $bits:ty),*) => {$(
        impl LittleEndian for $t {
            fn swap(self) -> Self {
                <$t>::from_ne_bytes(<$bits>::from_ne_bytes(self.to_ne_bytes()).swap_bytes().to_ne_bytes())
            }
        }
    )*};
}
little_endian!(f64 => u64, u32 => u32, i32 => i32);

impl LittleEndian for crate::data::SymbolId {
    fn swap(self) -> Self {
        crate::data::SymbolId(self.0.swap_bytes())
    }
}

/// Reads a cache file in place: the file is memory-mapped, its length,
/// magic, version and CRC are checked when it is opened (before anything is
/// decoded), and columns come out as [`Column`]s that slice the map.
///
/// Mapping is safe here because a cache file is never changed once it has
/// its name: it is written under a temporary name and renamed into place,
/// and a rebuild or `cache clear` replaces or unlinks the name, which
/// leaves a mapped file's bytes as they were.
pub(super) struct Reader {
    map: Arc<memmap2::Mmap>,
    /// Offset of the next byte to decode.
    pos: usize,
    /// Offset of the trailer (the payload's end).
    end: usize,
}

const TRAILER: usize = 12;

impl Reader {
    /// Opens and checks `path`; `Ok(None)` when there is no such file.
    pub(super) fn open(path: &Path) -> Result<Option<Self>, Bad> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open: {e}")),
        };
        let size = file.metadata().map_err(|e| e.to_string())?.len() as usize;
        let head = MAGIC.len() + 4;
        if size < head + TRAILER {
            return Err("truncated (shorter than header and trailer)".into());
        }
        // SAFETY: see the type's docs: a named cache file is never written to.
        // populated: the whole file is read (its CRC) right away, and one
        // pre-fault of every page costs less than a fault per page
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }
            .map_err(|e| format!("cannot map: {e}"))?;
        if map.len() != size {
            return Err("truncated (the file changed while opened)".into());
        }
        if &map[..MAGIC.len()] != MAGIC {
            return Err("not an alphasim cache file".into());
        }
        let end = size - TRAILER;
        let t = &map[end..];
        let len = u64::from_le_bytes(t[..8].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(t[8..].try_into().expect("4 bytes"));
        let payload = &map[MAGIC.len()..end];
        let version = u32::from_le_bytes(payload[..4].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        if len != payload.len() as u64 || crc != crc_of(payload) {
            return Err("checksum mismatch (the file is corrupt)".into());
        }
        Ok(Some(Reader {
            map: Arc::new(map),
            pos: head,
            end,
        }))
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Bad> {
        if n > self.end - self.pos {
            return Err("truncated or corrupt (a length runs past the end)".into());
        }
        self.pos += n;
        Ok(&self.map[self.pos - n..self.pos])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    pub(super) fn u32(&mut self) -> Result<u32, Bad> {
        self.array().map(u32::from_le_bytes)
    }

    pub(super) fn u64(&mut self) -> Result<u64, Bad> {
        self.array().map(u64::from_le_bytes)
    }

    pub(super) fn i32(&mut self) -> Result<i32, Bad> {
        self.array().map(i32::from_le_bytes)
    }

    /// A count of items of at least `item` bytes each, checked against the rest.
    pub(super) fn count(&mut self, item: u64) -> Result<usize, Bad> {
        let n = self.u64()?;
        if n.saturating_mul(item.max(1)) > (self.end - self.pos) as u64 {
            return Err("truncated or corrupt (a count runs past the end)".into());
        }
        Ok(n as usize)
    }

    pub(super) fn str(&mut self) -> Result<String, Bad> {
        let n = self.count(1)?;
        let b = self.take(n)?.to_vec();
        String::from_utf8(b).map_err(|_| "corrupt (a name is not UTF-8)".into())
    }

    pub(super) fn strs(&mut self) -> Result<Vec<String>, Bad> {
        let n = self.count(8)?;
        (0..n).map(|_| self.str()).collect()
    }

    /// A column, sliced from the map (copied and byte-swapped on a
    /// big-endian target).
    pub(super) fn column<T: bytemuck::Pod + LittleEndian>(&mut self) -> Result<Column<T>, Bad> {
        let n = self.count(std::mem::size_of::<T>() as u64)?;
        self.take(pad(self.pos))?;
        let start = self.pos;
        self.take(n * std::mem::size_of::<T>())?;
        if cfg!(target_endian = "big") {
            let bytes = &self.map[start..self.pos];
            let v: Vec<T> = bytes
                .chunks_exact(std::mem::size_of::<T>())
                .map(|c| bytemuck::pod_read_unaligned::<T>(c).swap())
                .collect();
            return Ok(v.into());
        }
        Column::mapped(self.map.clone(), start, n)
            .ok_or_else(|| "corrupt (a misaligned column)".into())
    }

    /// A column as an owned vector (for columns that are converted anyway).
    pub(super) fn vec<T: bytemuck::Pod + LittleEndian>(&mut self) -> Result<Vec<T>, Bad> {
        self.column().map(Column::into_vec)
    }

    /// Checks that the whole payload was decoded.
    pub(super) fn finish(self) -> Result<(), Bad> {
        if self.pos != self.end {
            return Err(format!("corrupt ({} unread bytes)", self.end - self.pos));
        }
        Ok(())
    }
}

/// Zero bytes before a column's values so that they start at a multiple of
/// 8 in the file (the map is page-aligned, so the values are aligned in memory).
fn pad(offset: usize) -> usize {
    (8 - offset % 8) % 8
}

/// The CRC-32 of `bytes`, on two threads when there are many.
fn crc_of(bytes: &[u8]) -> u32 {
    const SPLIT: usize = 64 << 20;
    if bytes.len() < SPLIT {
        return crc32fast::hash(bytes);
    }
    let (a, b) = bytes.split_at(bytes.len() / 2);
    let (ha, hb) = std::thread::scope(|s| {
        let t = s.spawn(|| {
            let mut h = crc32fast::Hasher::new();
            h.update(b);
            h
        });
        let mut h = crc32fast::Hasher::new();
        h.update(a);
        (h, t.join().expect("crc thread panicked"))
    });
    let mut h = ha;
    h.combine(&hb);
    h.finalize()
}
