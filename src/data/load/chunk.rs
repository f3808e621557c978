//! Opening a file (header, columns) and cutting its body into line-aligned
//! chunks: plain files at cut points, gzip files as decompressed blocks
//! streamed through a channel.

use crate::{Error, Result};
use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

type GzReader = flate2::read::MultiGzDecoder<std::io::BufReader<std::fs::File>>;

pub(super) enum Body {
    /// The whole file; data rows start at `start`.
    Plain { data: Vec<u8>, start: usize },
    /// The decoder, positioned after the bytes in `carry` (which follow the header).
    Gz {
        decoder: Box<GzReader>,
        carry: Vec<u8>,
    },
}

/// An open file whose header has been read.
pub(super) struct Opened {
    pub(super) path: PathBuf,
    pub(super) header: Vec<String>,
    pub(super) body: Body,
}

/// Size of a decompressed block / plain chunk handed to a parser thread.
const BLOCK: usize = 2 << 20;

fn gz_error(path: &Path, e: std::io::Error) -> Error {
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
        if gz {
            let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            let raw_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
            if raw_len == 0 {
                return Err(empty());
            }
            let mut decoder = Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(1 << 18, file),
            ));
            let mut buf = Vec::new();
            let nl = loop {
                let before = buf.len();
                (&mut decoder)
                    .take(1 << 16)
                    .read_to_end(&mut buf)
                    .map_err(|e| gz_error(path, e))?;
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
            Ok(Opened {
                path: path.to_path_buf(),
                header,
                body: Body::Gz { decoder, carry },
            })
        } else {
            let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            if data.is_empty() {
                return Err(empty());
            }
            let (header_end, start) = match data.iter().position(|&b| b == b'\n') {
                Some(p) => (p, p + 1),
                None => (data.len(), data.len()),
            };
            let header = parse_header(path, &data[..header_end])?;
            Ok(Opened {
                path: path.to_path_buf(),
                header,
                body: Body::Plain { data, start },
            })
        }
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

/// Byte offsets cutting `body` into chunks that end at line ends.
pub(super) fn cut_points(body: &[u8], threads: usize) -> Vec<usize> {
    let target = (body.len() / (threads * 8).max(1)).clamp(1 << 18, 8 << 20);
    let mut cuts = vec![0];
    let mut pos = 0;
    while pos < body.len() {
        let want = pos + target;
        let end = if want >= body.len() {
            body.len()
        } else {
            body[want..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |p| want + p + 1)
        };
        cuts.push(end);
        pos = end;
    }
    cuts
}

/// Decompresses the rest of a gz file into line-aligned blocks sent to the parsers.
pub(super) fn decompress(
    path: &Path,
    mut decoder: Box<GzReader>,
    mut carry: Vec<u8>,
    tx: &crossbeam_channel::Sender<(usize, Cow<'static, [u8]>)>,
    recycled: &crossbeam_channel::Receiver<Vec<u8>>,
    first_error: &AtomicUsize,
) -> Result<()> {
    let mut seq = 0;
    loop {
        if first_error.load(Ordering::Relaxed) != usize::MAX {
            return Ok(());
        }
        let mut buf = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK + (64 << 10)));
        buf.clear();
        buf.append(&mut carry);
        let want = BLOCK.saturating_sub(buf.len()).max(64 << 10) as u64;
        let got = (&mut *decoder)
            .take(want)
            .read_to_end(&mut buf)
            .map_err(|e| gz_error(path, e))?;
        let eof = (got as u64) < want;
        if eof {
            if !buf.is_empty() && tx.send((seq, Cow::Owned(buf))).is_err() {
                return Ok(());
            }
            return Ok(());
        }
        match buf.iter().rposition(|&b| b == b'\n') {
            Some(p) => {
                carry = buf[p + 1..].to_vec();
                buf.truncate(p + 1);
                if tx.send((seq, Cow::Owned(buf))).is_err() {
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
