//! The cache files' byte format: little-endian scalars, length-prefixed
//! strings and columns, a CRC-32 over everything after the magic.
//!
//! A file is `MAGIC`, the format version (`u32`), the payload, then a trailer
//! of the payload length (`u64`) and its CRC-32 (`u32`). Columns are a `u64`
//! count then the raw little-endian values, read straight into their vector
//! (one copy from the page cache). Nothing decoded is used before the CRC of
//! the whole payload has been checked ([`Reader::finish`]).

use std::io::{BufWriter, Read, Write};
use std::path::Path;

pub(super) const MAGIC: &[u8; 8] = b"ASIMCACH";
/// Bumped whenever the layout or the loader's output changes: a cache of
/// another version is rebuilt, never read.
pub(super) const VERSION: u32 = 1;

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

/// Reads a cache file, checking its length up front and its CRC at the end.
pub(super) struct Reader<R: Read> {
    inp: R,
    crc: crc32fast::Hasher,
    /// Payload bytes not yet read, of `total`.
    left: u64,
    total: u64,
}

const TRAILER: u64 = 12;

impl Reader<std::io::BufReader<std::fs::File>> {
    /// Opens `path`; `Ok(None)` when there is no such file.
    pub(super) fn open(path: &Path) -> Result<Option<Self>, Bad> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot open: {e}")),
        };
        let size = file.metadata().map_err(|e| e.to_string())?.len();
        let head = MAGIC.len() as u64 + 4;
        if size < head + TRAILER {
            return Err("truncated (shorter than header and trailer)".into());
        }
        let mut r = Reader {
            inp: std::io::BufReader::with_capacity(1 << 16, file),
            crc: crc32fast::Hasher::new(),
            left: size - MAGIC.len() as u64 - TRAILER,
            total: size - MAGIC.len() as u64 - TRAILER,
        };
        let mut magic = [0u8; 8];
        r.inp.read_exact(&mut magic).map_err(|e| e.to_string())?;
        if &magic != MAGIC {
            return Err("not an alphasim cache file".into());
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        Ok(Some(r))
    }
}

impl<R: Read> Reader<R> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Bad> {
        if buf.len() as u64 > self.left {
            return Err("truncated or corrupt (a length runs past the end)".into());
        }
        self.inp.read_exact(buf).map_err(|e| e.to_string())?;
        self.crc.update(buf);
        self.left -= buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
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
        if n.saturating_mul(item.max(1)) > self.left {
            return Err("truncated or corrupt (a count runs past the end)".into());
        }
        Ok(n as usize)
    }

    pub(super) fn str(&mut self) -> Result<String, Bad> {
        let n = self.count(1)?;
        let mut b = vec![0u8; n];
        self.fill(&mut b)?;
        String::from_utf8(b).map_err(|_| "corrupt (a name is not UTF-8)".into())
    }

    pub(super) fn strs(&mut self) -> Result<Vec<String>, Bad> {
        let n = self.count(8)?;
        (0..n).map(|_| self.str()).collect()
    }

    pub(super) fn column<T: bytemuck::Pod + LittleEndian>(&mut self) -> Result<Vec<T>, Bad> {
        let n = self.count(std::mem::size_of::<T>() as u64)?;
        let mut v = vec![T::zeroed(); n];
        self.fill(bytemuck::cast_slice_mut(&mut v))?;
        if cfg!(target_endian = "big") {
            v.iter_mut().for_each(|x| *x = x.swap());
        }
        Ok(v)
    }

    /// Checks that the whole payload was read and that its CRC matches.
    pub(super) fn finish(mut self) -> Result<(), Bad> {
        if self.left != 0 {
            return Err(format!("corrupt ({} unread bytes)", self.left));
        }
        let mut t = [0u8; TRAILER as usize];
        self.inp.read_exact(&mut t).map_err(|e| e.to_string())?;
        let len = u64::from_le_bytes(t[..8].try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(t[8..].try_into().expect("4 bytes"));
        if len != self.total || crc != self.crc.finalize() {
            return Err("checksum mismatch (the file is corrupt)".into());
        }
        Ok(())
    }
}
