//! Opening a file (header, columns) and handing its body on as line-aligned
//! blocks through a channel: mapped windows of a plain file, decompressed
//! buffers of a `.gz` file.

use crate::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file's bytes: a plain file as it is, a `.gz` file decompressed.
type Source = Box<dyn Read + Send>;

/// An open file whose header has been read; the body is read on in
/// line-aligned blocks ([`stream`]), so a file is never held whole.
pub(super) struct Opened {
    pub(super) path: PathBuf,
    pub(super) header: Vec<String>,
    pub(super) gz: bool,
    /// The reader, positioned after the bytes in `carry` (which follow the header).
    pub(super) source: Source,
    pub(super) carry: Vec<u8>,
    /// A plain file and the offset of its first data byte: its body is
    /// memory-mapped block by block instead of read ([`stream_mapped`]).
    pub(super) plain: Option<(std::fs::File, u64)>,
    /// The row function reads only the first `used` fields of a row (the
    /// parser splits off no more; the rest is counted): every field unless
    /// [`Opened::read_only`] says less.
    pub(super) used: usize,
}

/// Size of a block handed to a parser thread (plain files are read in
/// larger blocks: reading them costs next to nothing).
const BLOCK: usize = 2 << 20;
const PLAIN_BLOCK: usize = 8 << 20;

fn read_error(path: &Path, gz: bool, e: std::io::Error) -> Error {
    if !gz {
        return Error::io(path, e);
    }
    Error::File {
        file: path.to_path_buf(),
        message: format!("cannot decompress: {e}"),
        fix: "the file is not valid gzip; re-create it (gzip -t checks a file) or store it uncompressed as .csv".to_owned(),
    }
}

impl Opened {
    pub(super) fn open(path: &Path) -> Result<Opened> {
        let gz = path.extension().is_some_and(|e| e == "gz");
        let empty = || Error::File {
            file: path.to_path_buf(),
            message: "the file is empty (no header row)".to_owned(),
            fix: "write the header row and the data, or delete the file if it is optional"
                .to_owned(),
        };
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let raw_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if raw_len == 0 {
            return Err(empty());
        }
        let plain_file = if gz { None } else { file.try_clone().ok() };
        let mut source: Source = if gz {
            Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(1 << 18, file),
            ))
        } else {
            Box::new(file)
        };
        let mut buf = Vec::new();
        let nl = loop {
            let before = buf.len();
            (&mut source)
                .take(1 << 16)
                .read_to_end(&mut buf)
                .map_err(|e| read_error(path, gz, e))?;
            if let Some(p) = buf[before..].iter().position(|&b| b == b'\n') {
                break Some(before + p);
            }
            if buf.len() == before {
                break None;
            }
        };
        if buf.is_empty() {
            return Err(empty());
        }
        let (header_end, rest) = match nl {
            Some(p) => (p, p + 1),
            None => (buf.len(), buf.len()),
        };
        let header = parse_header(path, &buf[..header_end])?;
        let carry = buf[rest..].to_vec();
        let plain = plain_file.map(|f| (f, rest as u64));
        Ok(Opened {
            path: path.to_path_buf(),
            header,
            gz,
            source,
            carry,
            plain,
            used: usize::MAX,
        })
    }

    /// Tells the parser that the row function reads only the columns in
    /// `cols` (indices into the header): later fields are not split off.
    pub(super) fn read_only(&mut self, cols: impl IntoIterator<Item = usize>) {
        self.used = cols.into_iter().max().map_or(1, |c| c + 1);
    }

    /// The index of column `name`, if present.
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The indices of `required` columns, or an error naming the first missing one.
    pub(super) fn require(&self, required: &[&str], optional: &str) -> Result<Vec<usize>> {
        required
            .iter()
            .map(|name| {
                self.find(name).ok_or_else(|| Error::File {
                    file: self.path.clone(),
                    message: format!(
                        "missing required column `{name}` (the header has: {})",
                        self.header.join(", ")
                    ),
                    fix: format!(
                        "the file needs the columns {}{optional}; columns are matched by header name, in any order",
                        required.join(",")
                    ),
                })
            })
            .collect()
    }
}

/// A line-aligned block of a file's body, as a parser thread gets it.
pub(super) enum Block {
    /// Read (decompressed) into a buffer, which goes back for reuse.
    Read(Vec<u8>),
    /// The first `len` bytes of a mapped window of a plain file.
    Mapped(memmap2::Mmap, usize),
}

impl Block {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Block::Read(v) => v,
            Block::Mapped(m, len) => &m[..*len],
        }
    }
}

/// Sends the body of a plain file (from byte `start`) as memory-mapped
/// windows of about [`PLAIN_BLOCK`] bytes cut after their last line end:
/// no copy out of the page cache, and each window is unmapped once parsed,
/// so memory never holds more than a few. (Like every reader that maps its
/// input, a load would fault if another program truncated the file while
/// it is being read.)
pub(super) fn stream_mapped(
    path: &Path,
    file: &std::fs::File,
    start: u64,
    tx: &crossbeam_channel::Sender<(usize, Block)>,
    first_error: &AtomicUsize,
) -> Result<()> {
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let (mut pos, mut seq) = (start, 0);
    while pos < size {
        if first_error.load(Ordering::Relaxed) != usize::MAX {
            return Ok(());
        }
        let mut want = (PLAIN_BLOCK as u64).min(size - pos);
        let (map, len) = loop {
            // SAFETY: the file is only read; see the function's docs.
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(pos)
                    .len(want as usize)
                    .populate()
                    .map(file)
            }
            .map_err(|e| Error::io(path, e))?;
            if pos + want == size {
                break (map, want as usize);
            }
            match memchr::memrchr(b'\n', &map) {
                Some(p) => break (map, p + 1),
                // A line longer than the window: map a larger one.
                None => want = (want * 2).min(size - pos),
            }
        };
        pos += len as u64;
        if tx.send((seq, Block::Mapped(map, len))).is_err() {
            return Ok(());
        }
        seq += 1;
    }
    Ok(())
}

/// Reads the rest of a file into line-aligned blocks sent to the parsers;
/// blocks come back through `recycled` for reuse.
pub(super) fn stream(
    path: &Path,
    gz: bool,
    mut source: Source,
    mut carry: Vec<u8>,
    tx: &crossbeam_channel::Sender<(usize, Block)>,
    recycled: &crossbeam_channel::Receiver<Vec<u8>>,
    first_error: &AtomicUsize,
) -> Result<()> {
    let block = if gz { BLOCK } else { PLAIN_BLOCK };
    let mut seq = 0;
    loop {
        if first_error.load(Ordering::Relaxed) != usize::MAX {
            return Ok(());
        }
        let mut buf = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(block + (64 << 10)));
        buf.clear();
        buf.append(&mut carry);
        let want = block.saturating_sub(buf.len()).max(64 << 10) as u64;
        let got = (&mut *source)
            .take(want)
            .read_to_end(&mut buf)
            .map_err(|e| read_error(path, gz, e))?;
        let eof = (got as u64) < want;
        if eof {
            if !buf.is_empty() && tx.send((seq, Block::Read(buf))).is_err() {
                return Ok(());
            }
            return Ok(());
        }
        match buf.iter().rposition(|&b| b == b'\n') {
            Some(p) => {
                carry = buf[p + 1..].to_vec();
                buf.truncate(p + 1);
                if tx.send((seq, Block::Read(buf))).is_err() {
                    return Ok(());
                }
                seq += 1;
            }
            // A line longer than a block: keep reading.
            None => carry = buf,
        }
    }
}

fn parse_header(path: &Path, line: &[u8]) -> Result<Vec<String>> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let mut rec = csv::ByteRecord::new();
    let ok = rdr.read_byte_record(&mut rec).map_err(|e| Error::File {
        file: path.to_path_buf(),
        message: format!("cannot read the header row: {e}"),
        fix: "the first line must be the comma-separated column names".to_owned(),
    })?;
    let mut names = Vec::new();
    if ok {
        for f in rec.iter() {
            let name = std::str::from_utf8(f).map_err(|_| Error::File {
                file: path.to_path_buf(),
                message: "the header row is not valid UTF-8".to_owned(),
                fix: "save the file as UTF-8".to_owned(),
            })?;
            names.push(name.trim().to_owned());
        }
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(Error::File {
                file: path.to_path_buf(),
                message: format!("column `{n}` appears twice in the header"),
                fix: "rename or remove one of the two columns".to_owned(),
            });
        }
    }
    Ok(names)
}
