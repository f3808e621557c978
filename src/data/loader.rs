//! Loading a market bundle (DESIGN §1) from a folder of CSV files into a
//! validated, columnar [`Market`].
//!
//! # Files
//!
//! `bars` is required; `constituents`, `industries`, `benchmark`, `factors` and
//! `fundamentals` are optional. Each may be `NAME.csv` or `NAME.csv.gz`, not
//! both (that is an error: remove one). Any other file in the folder is
//! ignored. Columns are found by header name, in any order; header names are
//! trimmed of spaces and a UTF-8 byte-order mark. Columns the file kind does not
//! know are ignored (except in `factors`, where every column other than `date`
//! and `symbol` is a factor). A missing required column, a repeated header
//! name, a zero-byte file, or a `bars` file with no data rows is an
//! [`Error::File`] that lists the columns the file needs. Blank lines are
//! skipped (they still count for line numbers).
//!
//! # Parsing strategy
//!
//! A file is read whole into memory: a plain `.csv` with one read, then cut
//! into chunks of a few MB at line ends; a `.csv.gz` is decompressed on the
//! calling thread into blocks that are cut at the last line end and streamed
//! through a bounded crossbeam channel, so decompression overlaps parsing.
//! Worker threads ([`LoadOptions::threads`]) parse chunks independently into
//! per-chunk columns. A chunk knows only its line numbers relative to its own
//! start (plus a compact map for skipped blank lines); absolute line numbers
//! are computed once all chunks are in, and only when an error needs one.
//!
//! Lines are split by a hand-rolled splitter on `,`. The data needs no
//! quoting, but a quoted field must not be mis-read: as soon as a chunk shows a
//! `"`, the rest of that chunk is parsed by the `csv` crate instead. (A quoted
//! field containing a line break is rejected: chunks are cut at line breaks.)
//! Dates take a fixed-format fast path (`YYYY-MM-DD` to a day number, with
//! month and day-of-month checked); numbers use `str::parse::<f64>`, and
//! `NaN`/`inf` (which that parser accepts) are rejected explicitly, as are
//! numbers too large to be finite.
//!
//! Symbols are interned chunk-locally while parsing; afterwards every symbol of
//! `bars` gets its [`SymbolId`] in name order, so ids do not depend on row
//! order. Symbols that only other files name get ids after them, also in name
//! order, with one warning per file ("never trades"). Their rows in
//! `constituents`, `industries`, `factors` and `fundamentals` are kept: such a
//! member simply never has a bar, so it is never tradable.
//!
//! Bars are ordered by a stable counting sort on the day, then each day's rows
//! are sorted by symbol id only when they are not already in order (in a file
//! sorted by symbol they always are). The column vectors are then gathered in
//! that order, in parallel. Factors are ordered the same way.
//!
//! # Validation rules
//!
//! Every rule stops the load with an [`Error::Data`] naming the file, the line
//! (the header is line 1), the column, the value and a fix; the first error in
//! file order is reported (per-row errors before whole-file ones such as
//! duplicates).
//!
//! - Any file: a row with more or fewer fields than the header; an empty cell
//!   where a value is required; a symbol that is not UTF-8.
//! - Dates must be `YYYY-MM-DD` and exist (no 2023-02-29).
//! - Numbers must parse and be finite: `NaN`, `inf` and overflow are errors.
//! - `bars`: prices (`open`, `high`, `low`, `close`, and `limit_up`/`limit_down`
//!   when present) and `volume`/`amount` must be ≥ 0; a row with `volume > 0`
//!   needs all four prices > 0 (volume 0 marks a suspended day, which may carry
//!   zero prices); `high ≥ low`; `adj_factor > 0` (default 1 when the column is
//!   absent); `limit_up` and `limit_down` come together, and an empty cell in
//!   them means "no limit that day" (stored as NaN); no two rows with the same
//!   `(date, symbol)`. `open`/`close` outside `[low, high]` is *not* checked
//!   (DESIGN does not ask for it; the validate command reports a count).
//!   An *empty* `volume` cell is read as 0, i.e. a suspended day, with one
//!   warning counting such rows (the real cn-ashare bundle has a few thousand
//!   suspended days written that way).
//! - `constituents`: `index,symbol,start_date,end_date`; empty `start_date`
//!   means "since forever", empty `end_date` "still a member"; `end < start` is
//!   an error, and so are two spells of the same symbol and index that overlap
//!   (both ends are inclusive, so a spell may start the day after the previous
//!   one ends).
//! - `industries`: `symbol,industry` plus optional `start_date`/`end_date`
//!   (same conventions); spells of the same symbol may not overlap, whatever
//!   the industry.
//! - `benchmark`: `date,index,close`; `close > 0`; no repeated `(date, index)`.
//! - `factors`: `date,symbol,<factor…>`; an empty cell is a missing value
//!   (NaN); no repeated `(date, symbol)`. Factor dates need not be trading days.
//! - `fundamentals`: `symbol,period_end,announce_date,field,value`; dates and a
//!   finite value are required.

// `crate::Error` carries the file, line, column, value and fix of a data
// error by value; it is large, but errors are rare and end the load.
#![allow(clippy::result_large_err)]

use super::{
    Bars, Date, Factors, FundamentalRecord, Fundamentals, IndustryId, IndustrySpell, Interner,
    Market, Spell, SymbolId,
};
use crate::{Error, Result};
use hashbrown::HashMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How to load a bundle.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Parser threads; 0 means the number of available cores.
    pub threads: usize,
}

impl LoadOptions {
    fn thread_count(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}

// ---------------------------------------------------------------------------
// Locating the files
// ---------------------------------------------------------------------------

/// The files a bundle may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FileKind {
    Bars,
    Constituents,
    Industries,
    Benchmark,
    Factors,
    Fundamentals,
}

impl FileKind {
    pub(crate) const ALL: [FileKind; 6] = [
        FileKind::Bars,
        FileKind::Constituents,
        FileKind::Industries,
        FileKind::Benchmark,
        FileKind::Factors,
        FileKind::Fundamentals,
    ];

    pub(crate) fn stem(self) -> &'static str {
        match self {
            FileKind::Bars => "bars",
            FileKind::Constituents => "constituents",
            FileKind::Industries => "industries",
            FileKind::Benchmark => "benchmark",
            FileKind::Factors => "factors",
            FileKind::Fundamentals => "fundamentals",
        }
    }
}

/// The bundle's files that exist, `bars` first.
pub(crate) fn locate_files(dir: &Path) -> Result<Vec<(FileKind, PathBuf)>> {
    if !dir.is_dir() {
        let message = if dir.exists() {
            "is not a folder".to_owned()
        } else {
            "data folder not found".to_owned()
        };
        return Err(Error::File {
            file: dir.to_path_buf(),
            message,
            fix: "pass the folder that holds bars.csv (or bars.csv.gz) and the other bundle files"
                .to_owned(),
        });
    }
    let mut found = Vec::new();
    for kind in FileKind::ALL {
        let plain = dir.join(format!("{}.csv", kind.stem()));
        let gz = dir.join(format!("{}.csv.gz", kind.stem()));
        match (plain.is_file(), gz.is_file()) {
            (true, true) => {
                return Err(Error::File {
                    file: plain,
                    message: format!(
                        "both {0}.csv and {0}.csv.gz are present, so it is unclear which to read",
                        kind.stem()
                    ),
                    fix: format!("remove one of {0}.csv and {0}.csv.gz", kind.stem()),
                })
            }
            (true, false) => found.push((kind, plain)),
            (false, true) => found.push((kind, gz)),
            (false, false) if kind == FileKind::Bars => {
                return Err(Error::File {
                    file: plain,
                    message: "required file missing: the bundle has neither bars.csv nor bars.csv.gz"
                        .to_owned(),
                    fix: "add bars.csv (columns date,symbol,open,high,low,close,volume) or point to the right folder"
                        .to_owned(),
                })
            }
            (false, false) => {}
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------
// Errors located in a chunk
// ---------------------------------------------------------------------------

/// A bad value found while parsing a row; the line is added by the driver.
#[derive(Debug)]
pub(crate) struct Fault {
    /// 0-based column index into the header (`>= header.len()` for an extra field).
    col: usize,
    value: String,
    message: String,
    fix: String,
}

impl Fault {
    fn new(col: usize, value: &[u8], message: impl Into<String>, fix: impl Into<String>) -> Self {
        Fault {
            col,
            value: shown(value),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// A value as shown in an error (lossy UTF-8, cut to a readable length).
fn shown(value: &[u8]) -> String {
    let s = String::from_utf8_lossy(value);
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s.into_owned()
    }
}

/// Line numbers of one parsed chunk.
#[derive(Debug, Default)]
struct ChunkLines {
    first_row: u64,
    first_line: u64,
    /// `(row, line)` pairs, relative to the chunk, where rows stop following
    /// lines one-to-one (after a blank line or a multi-line quoted record).
    jumps: Vec<(u32, u32)>,
}

impl ChunkLines {
    fn local_line(&self, row: u32) -> u32 {
        let i = self.jumps.partition_point(|&(r, _)| r <= row);
        match i {
            0 => row,
            _ => {
                let (r, l) = self.jumps[i - 1];
                l + (row - r)
            }
        }
    }
}

/// Where every row of a file came from: maps a row (in file order) to its line.
#[derive(Debug)]
pub(crate) struct Lines {
    path: PathBuf,
    header: Vec<String>,
    chunks: Vec<ChunkLines>,
    rows: u64,
}

impl Lines {
    /// 1-based line of data row `row` (0-based, file order; the header is line 1).
    fn line_of(&self, row: u64) -> u64 {
        let i = self.chunks.partition_point(|c| c.first_row <= row) - 1;
        let c = &self.chunks[i];
        c.first_line + u64::from(c.local_line((row - c.first_row) as u32))
    }

    fn column_name(&self, col: usize) -> String {
        self.header
            .get(col)
            .cloned()
            .unwrap_or_else(|| "<extra field>".to_owned())
    }

    fn error_at_line(&self, line: u64, fault: Fault) -> Error {
        Error::Data {
            file: self.path.clone(),
            line,
            column_number: fault.col + 1,
            column: self.column_name(fault.col),
            value: fault.value,
            message: fault.message,
            fix: fault.fix,
        }
    }

    fn error(&self, row: u64, fault: Fault) -> Error {
        self.error_at_line(self.line_of(row), fault)
    }

    fn file_name(&self) -> String {
        file_name(&self.path)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

// ---------------------------------------------------------------------------
// Reading a file and splitting it into chunks
// ---------------------------------------------------------------------------

type GzReader = flate2::read::MultiGzDecoder<std::io::BufReader<std::fs::File>>;

enum Body {
    /// The whole file; data rows start at `start`.
    Plain { data: Vec<u8>, start: usize },
    /// The decoder, positioned after the bytes in `carry` (which follow the header).
    Gz {
        decoder: Box<GzReader>,
        carry: Vec<u8>,
    },
}

/// An open file whose header has been read.
struct Opened {
    path: PathBuf,
    header: Vec<String>,
    body: Body,
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
    fn open(path: &Path) -> Result<Opened> {
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
    fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The indices of `required` columns, or an error naming the first missing one.
    fn require(&self, required: &[&str], optional: &str) -> Result<Vec<usize>> {
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

    /// Parses every data row with `row`, on `threads` threads.
    fn parse<S, I, F>(self, threads: usize, init: I, row: F) -> Result<Parsed<S>>
    where
        S: Send,
        I: Fn() -> S + Sync,
        F: Fn(&mut S, &[&[u8]]) -> Result<(), Fault> + Sync,
    {
        let ncols = self.header.len();
        let first_error = AtomicUsize::new(usize::MAX);
        let (recycle_tx, recycle_rx) = crossbeam_channel::bounded::<Vec<u8>>(threads * 2 + 2);
        let job = Job {
            recycle: matches!(self.body, Body::Gz { .. }).then_some(recycle_tx),
            ncols,
            init: &init,
            row: &row,
            first_error: &first_error,
        };
        let path = self.path;
        let header = self.header;
        let mut outs: Vec<ChunkOut<S>> = Vec::new();
        let mut produce_result = Ok(());
        match self.body {
            Body::Plain { data, start } => {
                let body = &data[start..];
                let cuts = cut_points(body, threads);
                let workers = threads.min(cuts.len().max(1));
                let (tx, rx) = crossbeam_channel::bounded::<(usize, Cow<[u8]>)>(cuts.len() + 1);
                for (seq, w) in cuts.windows(2).enumerate() {
                    tx.send((seq, Cow::Borrowed(&body[w[0]..w[1]])))
                        .expect("receiver alive");
                }
                drop(tx);
                std::thread::scope(|s| {
                    let handles: Vec<_> = (0..workers)
                        .map(|_| {
                            let rx = rx.clone();
                            let job = &job;
                            s.spawn(move || job.work(rx))
                        })
                        .collect();
                    for h in handles {
                        outs.extend(h.join().expect("parser thread panicked"));
                    }
                });
            }
            Body::Gz { decoder, carry } => {
                let (tx, rx) = crossbeam_channel::bounded::<(usize, Cow<[u8]>)>(threads * 2);
                std::thread::scope(|s| {
                    let handles: Vec<_> = (0..threads)
                        .map(|_| {
                            let rx = rx.clone();
                            let job = &job;
                            s.spawn(move || job.work(rx))
                        })
                        .collect();
                    drop(rx);
                    produce_result =
                        decompress(&path, decoder, carry, &tx, &recycle_rx, &first_error);
                    drop(tx);
                    for h in handles {
                        outs.extend(h.join().expect("parser thread panicked"));
                    }
                });
            }
        }
        outs.sort_by_key(|o| o.seq);
        let mut lines = Lines {
            path,
            header,
            chunks: Vec::with_capacity(outs.len()),
            rows: 0,
        };
        let mut states = Vec::with_capacity(outs.len());
        let mut next_line = 2u64;
        for out in outs {
            let first_line = next_line;
            next_line += out.newlines;
            if let Some((local, fault)) = out.fault {
                return Err(lines.error_at_line(first_line + local, fault));
            }
            if out.skipped {
                unreachable!("a chunk is only skipped after an earlier chunk failed");
            }
            lines.chunks.push(ChunkLines {
                first_row: lines.rows,
                first_line,
                jumps: out.jumps,
            });
            lines.rows += u64::from(out.rows);
            states.push(out.state);
        }
        produce_result?;
        if lines.chunks.is_empty() {
            lines.chunks.push(ChunkLines {
                first_row: 0,
                first_line: 2,
                jumps: Vec::new(),
            });
        }
        Ok(Parsed { lines, states })
    }
}

/// Byte offsets cutting `body` into chunks that end at line ends.
fn cut_points(body: &[u8], threads: usize) -> Vec<usize> {
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
fn decompress(
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

/// The result of parsing every row of a file.
struct Parsed<S> {
    lines: Lines,
    /// One state per chunk, in file order.
    states: Vec<S>,
}

struct ChunkOut<S> {
    seq: usize,
    newlines: u64,
    rows: u32,
    jumps: Vec<(u32, u32)>,
    state: S,
    fault: Option<(u64, Fault)>,
    skipped: bool,
}

struct Job<'a, I, F> {
    /// Where parsed decompression blocks go back for reuse.
    recycle: Option<crossbeam_channel::Sender<Vec<u8>>>,
    ncols: usize,
    init: &'a I,
    row: &'a F,
    first_error: &'a AtomicUsize,
}

impl<I, F> Job<'_, I, F> {
    fn work<S>(&self, rx: crossbeam_channel::Receiver<(usize, Cow<[u8]>)>) -> Vec<ChunkOut<S>>
    where
        I: Fn() -> S,
        F: Fn(&mut S, &[&[u8]]) -> Result<(), Fault>,
    {
        let mut outs = Vec::new();
        for (seq, text) in rx {
            let mut out = ChunkOut {
                seq,
                newlines: 0,
                rows: 0,
                jumps: Vec::new(),
                state: (self.init)(),
                fault: None,
                skipped: false,
            };
            if seq > self.first_error.load(Ordering::Relaxed) {
                out.skipped = true;
            } else {
                self.parse_chunk(&text, &mut out);
                if out.fault.is_some() {
                    self.first_error.fetch_min(seq, Ordering::Relaxed);
                }
            }
            if let (Cow::Owned(buf), Some(recycle)) = (text, &self.recycle) {
                let _ = recycle.try_send(buf);
            }
            outs.push(out);
        }
        outs
    }

    fn parse_chunk<S>(&self, text: &[u8], out: &mut ChunkOut<S>)
    where
        F: Fn(&mut S, &[&[u8]]) -> Result<(), Fault>,
    {
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.ncols + 1);
        let mut pos = 0;
        let mut line: u32 = 0;
        let n = text.len();
        while pos < n {
            fields.clear();
            let mut start = pos;
            let mut i = pos;
            let mut quoted = false;
            while i < n {
                let b = text[i];
                if b == b',' {
                    fields.push(&text[start..i]);
                    start = i + 1;
                } else if b == b'\n' {
                    break;
                } else if b == b'"' {
                    quoted = true;
                    break;
                }
                i += 1;
            }
            if quoted {
                self.parse_quoted(&text[pos..], line, out);
                return;
            }
            let mut last = &text[start..i];
            if let [rest @ .., b'\r'] = last {
                last = rest;
            }
            fields.push(last);
            let next = if i < n {
                out.newlines += 1;
                i + 1
            } else {
                n
            };
            pos = next;
            if fields.len() == 1 && fields[0].is_empty() {
                line += 1;
                continue;
            }
            if let Err(f) = self.record(&fields, line, out) {
                out.fault = Some((u64::from(line), f));
                return;
            }
            line += 1;
        }
    }

    /// Parses the rest of a chunk (from the line that showed a `"`) with the csv crate.
    fn parse_quoted<S>(&self, text: &[u8], first_line: u32, out: &mut ChunkOut<S>)
    where
        F: Fn(&mut S, &[&[u8]]) -> Result<(), Fault>,
    {
        out.newlines += text.iter().filter(|&&b| b == b'\n').count() as u64;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut rec = csv::ByteRecord::new();
        loop {
            let line = |rec: &csv::ByteRecord| {
                first_line + rec.position().map_or(1, |p| p.line() as u32) - 1
            };
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => return,
                Ok(true) => {}
                Err(e) => {
                    let l = e
                        .position()
                        .map_or(first_line, |p| first_line + p.line() as u32 - 1);
                    out.fault = Some((
                        u64::from(l),
                        Fault::new(
                            0,
                            b"",
                            format!("cannot parse the row: {e}"),
                            "fix the quoting of this row",
                        ),
                    ));
                    return;
                }
            }
            let l = line(&rec);
            let fields: Vec<&[u8]> = rec.iter().collect();
            if let Some(c) = fields.iter().position(|f| f.contains(&b'\n')) {
                out.fault = Some((
                    u64::from(l),
                    Fault::new(
                        c,
                        fields[c],
                        "a quoted field contains a line break",
                        "remove line breaks from quoted fields (the loader reads one record per line)",
                    ),
                ));
                return;
            }
            if let Err(f) = self.record(&fields, l, out) {
                out.fault = Some((u64::from(l), f));
                return;
            }
        }
    }

    fn record<S>(&self, fields: &[&[u8]], line: u32, out: &mut ChunkOut<S>) -> Result<(), Fault>
    where
        F: Fn(&mut S, &[&[u8]]) -> Result<(), Fault>,
    {
        if fields.len() != self.ncols {
            let col = fields.len().min(self.ncols);
            let joined = fields.join(&b","[..]);
            return Err(Fault::new(
                col,
                &joined,
                format!(
                    "the row has {} fields but the header has {}",
                    fields.len(),
                    self.ncols
                ),
                "give every row exactly one value per header column (an empty value is written as nothing between two commas)",
            ));
        }
        let expected = match out.jumps.last() {
            Some(&(r, l)) => l + (out.rows - r),
            None => out.rows,
        };
        if expected != line {
            out.jumps.push((out.rows, line));
        }
        (self.row)(&mut out.state, fields)?;
        out.rows += 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Field parsers
// ---------------------------------------------------------------------------

const DATE_FIX: &str = "write dates as YYYY-MM-DD, e.g. 2024-01-31";

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = ((153 * mp + 2) / 5 + d - 1) as i32;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date of a day number from [`parse_day`].
pub(crate) fn to_date(day: i32) -> Date {
    Date::from_num_days_from_ce_opt(day + 719_163).expect("a parsed date is in chrono's range")
}

/// Parses `YYYY-MM-DD` to days since 1970-01-01.
fn parse_day(b: &[u8], col: usize) -> Result<i32, Fault> {
    let bad = |msg: String| Err(Fault::new(col, b, msg, DATE_FIX));
    if b.is_empty() {
        return bad("empty cell; a date is required".to_owned());
    }
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return bad("not a date in YYYY-MM-DD form".to_owned());
    }
    let mut digits = [0u32; 8];
    for (k, &i) in [0, 1, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        let c = b[i];
        if !c.is_ascii_digit() {
            return bad("not a date in YYYY-MM-DD form".to_owned());
        }
        digits[k] = u32::from(c - b'0');
    }
    let y = (digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]) as i32;
    let m = digits[4] * 10 + digits[5];
    let d = digits[6] * 10 + digits[7];
    if !(1..=12).contains(&m) {
        return bad(format!("no such month: {m}"));
    }
    if d == 0 || d > days_in_month(y, m) {
        return bad(format!(
            "no such day: {y:04}-{m:02} has {} days",
            days_in_month(y, m)
        ));
    }
    Ok(days_from_civil(y, m, d))
}

/// Parses an optional date: an empty cell is `None`.
fn parse_opt_day(b: &[u8], col: usize) -> Result<Option<i32>, Fault> {
    if b.is_empty() {
        Ok(None)
    } else {
        parse_day(b, col).map(Some)
    }
}

/// Exact powers of ten up to the largest exactly representable one.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Plain decimals (`-12.345`, `66191336`) with at most 19 digits whose digits fit
/// in 53 bits: `digits / 10^k` with both exact, so the one division rounds
/// correctly (Clinger's fast path). Anything else is left to `str::parse`.
#[inline]
fn fast_f64(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut m: u64 = 0;
    let mut n_digits = 0;
    let mut frac: Option<usize> = None;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            m = m * 10 + u64::from(d);
            n_digits += 1;
        } else if c == b'.' && frac.is_none() {
            frac = Some(digits.len() - i - 1);
        } else {
            return None;
        }
    }
    let e = frac.unwrap_or(0);
    if n_digits == 0 || n_digits > 19 || m > (1 << 53) || e > 22 {
        return None;
    }
    let v = m as f64 / POW10[e];
    Some(if neg { -v } else { v })
}

/// Parses a finite number; `empty_ok` maps an empty cell to NaN.
#[inline]
fn parse_num(b: &[u8], col: usize, empty_ok: bool) -> Result<f64, Fault> {
    if let Some(v) = fast_f64(b) {
        return Ok(v);
    }
    if let Some(v) = std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        if v.is_finite() {
            return Ok(v);
        }
        let what = if v.is_nan() {
            "NaN is not allowed"
        } else if b.iter().any(|c| c.is_ascii_digit()) {
            "the number is too large to be finite"
        } else {
            "infinite values are not allowed"
        };
        return Err(Fault::new(col, b, what, missing_fix(empty_ok)));
    }
    if b.is_empty() {
        if empty_ok {
            return Ok(f64::NAN);
        }
        return Err(Fault::new(
            col,
            b,
            "empty cell; a number is required",
            missing_fix(false),
        ));
    }
    Err(Fault::new(
        col,
        b,
        "not a number",
        "write a plain decimal number such as 12.34 or 1.5e6 (no thousands separators, units or quotes)",
    ))
}

fn missing_fix(empty_ok: bool) -> &'static str {
    if empty_ok {
        "leave the cell empty for a missing value, or write the real number"
    } else {
        "write the real value, or drop the row if there is none"
    }
}

/// Chunk-local interning of names (symbols, index names, …).
#[derive(Default)]
struct LocalNames {
    map: HashMap<Box<[u8]>, u32>,
    names: Vec<Box<[u8]>>,
    last: Option<u32>,
}

impl LocalNames {
    #[inline]
    fn id(&mut self, b: &[u8], col: usize, what: &str) -> Result<u32, Fault> {
        if let Some(last) = self.last {
            if *self.names[last as usize] == *b {
                return Ok(last);
            }
        }
        let id = match self.map.get(b) {
            Some(&id) => id,
            None => {
                if b.is_empty() {
                    return Err(Fault::new(
                        col,
                        b,
                        format!("empty {what}"),
                        format!("every row needs a {what}"),
                    ));
                }
                if std::str::from_utf8(b).is_err() {
                    return Err(Fault::new(
                        col,
                        b,
                        format!("the {what} is not valid UTF-8"),
                        "save the file as UTF-8",
                    ));
                }
                let id = self.names.len() as u32;
                self.names.push(b.into());
                self.map.insert(b.into(), id);
                id
            }
        };
        self.last = Some(id);
        Ok(id)
    }
}

/// Merges chunk-local name tables: the sorted distinct names, and per chunk a
/// map from local id to index into them.
fn merge_names<'a>(locals: impl Iterator<Item = &'a LocalNames>) -> (Vec<String>, Vec<Vec<u32>>) {
    let locals: Vec<&LocalNames> = locals.collect();
    let mut all: Vec<&[u8]> = locals
        .iter()
        .flat_map(|l| l.names.iter().map(|n| &**n))
        .collect();
    all.sort_unstable();
    all.dedup();
    let index: HashMap<&[u8], u32> = all
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i as u32))
        .collect();
    let maps = locals
        .iter()
        .map(|l| l.names.iter().map(|n| index[&**n]).collect())
        .collect();
    let names = all
        .into_iter()
        .map(|n| String::from_utf8(n.to_vec()).expect("names are checked to be UTF-8"))
        .collect();
    (names, maps)
}

// ---------------------------------------------------------------------------
// Ordering by (day, symbol)
// ---------------------------------------------------------------------------

/// A row reference: `(chunk << 32) | row within the chunk`. Ordering these
/// numbers is file order.
type RowRef = u64;

fn row_ref(chunk: usize, row: usize) -> RowRef {
    ((chunk as u64) << 32) | row as u64
}

fn split_ref(r: RowRef) -> (usize, usize) {
    ((r >> 32) as usize, (r & 0xFFFF_FFFF) as usize)
}

impl Lines {
    /// The line of a [`RowRef`].
    fn line_of_ref(&self, r: RowRef) -> u64 {
        let (c, l) = split_ref(r);
        let chunk = &self.chunks[c];
        chunk.first_line + u64::from(chunk.local_line(l as u32))
    }

    fn error_ref(&self, r: RowRef, fault: Fault) -> Error {
        self.error_at_line(self.line_of_ref(r), fault)
    }
}

/// A table's rows ordered by `(day, symbol, file order)`.
struct DayOrder {
    /// Distinct days, ascending.
    days: Vec<i32>,
    /// `starts[k]..starts[k + 1]` are the positions of day `days[k]`.
    starts: Vec<u32>,
    /// Position → row.
    perm: Vec<RowRef>,
}

/// Orders rows by day (a stable counting sort), then each day by symbol when
/// it is not already in order. `day(c, i)`/`sym(c, i)` read row `i` of chunk `c`.
fn order_by_day_symbol(
    lens: &[usize],
    day: impl Fn(usize, usize) -> i32,
    sym: impl Fn(usize, usize) -> u32,
) -> DayOrder {
    let n: usize = lens.iter().sum();
    let mut lo = i32::MAX;
    let mut hi = i32::MIN;
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            let d = day(c, i);
            lo = lo.min(d);
            hi = hi.max(d);
        }
    }
    if n == 0 {
        return DayOrder {
            days: Vec::new(),
            starts: vec![0],
            perm: Vec::new(),
        };
    }
    let span = (hi - lo) as usize + 1;
    let mut cursor = vec![0u32; span];
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            cursor[(day(c, i) - lo) as usize] += 1;
        }
    }
    let mut days = Vec::new();
    let mut starts = vec![0u32];
    let mut acc = 0u32;
    for (k, slot) in cursor.iter_mut().enumerate() {
        if *slot > 0 {
            let count = *slot;
            *slot = acc;
            acc += count;
            days.push(lo + k as i32);
            starts.push(acc);
        }
    }
    let mut perm: Vec<RowRef> = vec![0; n];
    for (c, &len) in lens.iter().enumerate() {
        for i in 0..len {
            let slot = &mut cursor[(day(c, i) - lo) as usize];
            perm[*slot as usize] = row_ref(c, i);
            *slot += 1;
        }
    }
    let sym_of = |r: RowRef| {
        let (c, i) = split_ref(r);
        sym(c, i)
    };
    for w in starts.windows(2) {
        let rows = &mut perm[w[0] as usize..w[1] as usize];
        if !rows.windows(2).all(|p| sym_of(p[0]) <= sym_of(p[1])) {
            // Stable: rows of one symbol stay in file order.
            rows.sort_by_key(|&r| sym_of(r));
        }
    }
    DayOrder { days, starts, perm }
}

impl DayOrder {
    /// The first duplicate `(day, symbol)` in file order: `(earlier, later, day)`.
    fn first_duplicate(&self, sym: impl Fn(usize, usize) -> u32) -> Option<(RowRef, RowRef, i32)> {
        let sym_of = |r: RowRef| {
            let (c, i) = split_ref(r);
            sym(c, i)
        };
        let mut best: Option<(RowRef, RowRef, i32)> = None;
        for (k, w) in self.starts.windows(2).enumerate() {
            let rows = &self.perm[w[0] as usize..w[1] as usize];
            for p in rows.windows(2) {
                if sym_of(p[0]) == sym_of(p[1]) && best.is_none_or(|b| p[1] < b.1) {
                    best = Some((p[0], p[1], self.days[k]));
                }
            }
        }
        best
    }

    /// The date of every position.
    fn dates(&self) -> Vec<Date> {
        let mut out = Vec::with_capacity(self.perm.len());
        for (k, &d) in self.days.iter().enumerate() {
            let n = (self.starts[k + 1] - self.starts[k]) as usize;
            out.extend(std::iter::repeat_n(to_date(d), n));
        }
        out
    }
}

/// Fills `outs` (pieces of equal length) from `perm` in parallel: `put(piece
/// outputs, position in piece, row ref)`.
fn par_fill<O: Send>(
    outs: Vec<O>,
    perm: &[RowRef],
    per: usize,
    put: impl Fn(&mut O, usize, RowRef) + Sync,
) {
    std::thread::scope(|s| {
        for (mut o, p) in outs.into_iter().zip(perm.chunks(per.max(1))) {
            let put = &put;
            s.spawn(move || {
                for (i, &r) in p.iter().enumerate() {
                    put(&mut o, i, r);
                }
            });
        }
    });
}

/// Gathers one column stored per chunk into position order.
fn gather_column<T: Copy + Send + Sync>(
    chunks: &[Vec<T>],
    width: usize,
    perm: &[RowRef],
    threads: usize,
    fill: T,
) -> Vec<T> {
    let mut out = vec![fill; perm.len() * width];
    let per = piece_len(perm.len(), threads);
    if width > 0 {
        let pieces: Vec<&mut [T]> = out.chunks_mut(per * width).collect();
        par_fill(pieces, perm, per, |o, i, r| {
            let (c, l) = split_ref(r);
            o[i * width..(i + 1) * width].copy_from_slice(&chunks[c][l * width..(l + 1) * width]);
        });
    }
    out
}

fn piece_len(n: usize, threads: usize) -> usize {
    n.div_ceil(threads.max(1)).max(1 << 15)
}

// ---------------------------------------------------------------------------
// bars
// ---------------------------------------------------------------------------

const PRICE_FIX: &str =
    "prices are raw prices and cannot be negative; correct the value or drop the row";

/// One parsed bar; 64 bytes so that gathering a row touches one cache line.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct BarRow {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    adj: f64,
    day: i32,
    sym: u32,
}

#[derive(Default)]
struct BarChunk {
    names: LocalNames,
    rows: Vec<BarRow>,
    amount: Vec<f64>,
    limit_up: Vec<f64>,
    limit_down: Vec<f64>,
    /// Rows with an empty `volume` cell (read as 0), and the chunk row of the first.
    empty_volume: u64,
    first_empty_volume: Option<u32>,
}

struct BarColumns {
    date: usize,
    symbol: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: usize,
    amount: Option<usize>,
    adj: Option<usize>,
    limits: Option<(usize, usize)>,
}

fn bar_row(c: &BarColumns, s: &mut BarChunk, f: &[&[u8]]) -> Result<(), Fault> {
    if s.rows.capacity() == 0 {
        s.rows.reserve(1 << 14);
    }
    let day = parse_day(f[c.date], c.date)?;
    let sym = s.names.id(f[c.symbol], c.symbol, "symbol")?;
    let price = |col: usize, name: &str| -> Result<f64, Fault> {
        let v = parse_num(f[col], col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                f[col],
                format!("negative {name} price"),
                PRICE_FIX,
            ));
        }
        Ok(v)
    };
    let open = price(c.open, "open")?;
    let high = price(c.high, "high")?;
    let low = price(c.low, "low")?;
    let close = price(c.close, "close")?;
    let volume = if f[c.volume].is_empty() {
        s.empty_volume += 1;
        s.first_empty_volume.get_or_insert(s.rows.len() as u32);
        0.0
    } else {
        parse_num(f[c.volume], c.volume, false)?
    };
    if volume < 0.0 {
        return Err(Fault::new(
            c.volume,
            f[c.volume],
            "negative volume",
            "volume is a number of shares and must be ≥ 0 (0 marks a suspended day)",
        ));
    }
    if volume > 0.0 {
        for (col, v, name) in [
            (c.open, open, "open"),
            (c.high, high, "high"),
            (c.low, low, "low"),
            (c.close, close, "close"),
        ] {
            if v <= 0.0 {
                return Err(Fault::new(
                    col,
                    f[col],
                    format!(
                        "{name} price is {v} on a traded row (volume {} > 0)",
                        shown(f[c.volume])
                    ),
                    "a traded bar needs positive prices: correct the price, or set volume to 0 if the symbol was suspended that day",
                ));
            }
        }
    }
    if high < low {
        return Err(Fault::new(
            c.high,
            f[c.high],
            format!("high {} is below low {}", shown(f[c.high]), shown(f[c.low])),
            "high must be ≥ low: check the row (were high and low swapped?)",
        ));
    }
    if let Some(col) = c.amount {
        let v = parse_num(f[col], col, false)?;
        if v < 0.0 {
            return Err(Fault::new(
                col,
                f[col],
                "negative amount",
                "amount is the traded value and must be ≥ 0",
            ));
        }
        s.amount.push(v);
    }
    let adj = match c.adj {
        Some(col) => {
            let v = parse_num(f[col], col, false)?;
            if v <= 0.0 {
                return Err(Fault::new(
                    col,
                    f[col],
                    "adj_factor must be > 0",
                    "adj_factor is the cumulative adjustment factor (adjusted price = price × adj_factor); write 1 if there was no adjustment",
                ));
            }
            v
        }
        None => 1.0,
    };
    if let Some((up, down)) = c.limits {
        for (col, name, out) in [
            (up, "limit_up", &mut s.limit_up),
            (down, "limit_down", &mut s.limit_down),
        ] {
            let v = parse_num(f[col], col, true)?;
            if v < 0.0 {
                return Err(Fault::new(
                    col,
                    f[col],
                    format!("negative {name}"),
                    "price limits are prices and cannot be negative; leave the cell empty if there was no limit that day",
                ));
            }
            out.push(v);
        }
    }
    s.rows.push(BarRow {
        open,
        high,
        low,
        close,
        volume,
        adj,
        day,
        sym,
    });
    Ok(())
}

fn load_bars(path: &Path, threads: usize) -> Result<(Bars, Interner, Vec<String>)> {
    let file = Opened::open(path)?;
    const OPTIONAL: &str = " (optional: amount, adj_factor, limit_up,limit_down)";
    let req = file.require(
        &["date", "symbol", "open", "high", "low", "close", "volume"],
        OPTIONAL,
    )?;
    let limits = match (file.find("limit_up"), file.find("limit_down")) {
        (Some(u), Some(d)) => Some((u, d)),
        (None, None) => None,
        (u, _) => {
            let (has, lacks) = if u.is_some() {
                ("limit_up", "limit_down")
            } else {
                ("limit_down", "limit_up")
            };
            return Err(Error::File {
                file: path.to_path_buf(),
                message: format!("column `{has}` is present but `{lacks}` is missing"),
                fix: "give both limit_up and limit_down (an empty cell means no limit that day), or neither".to_owned(),
            });
        }
    };
    let cols = BarColumns {
        date: req[0],
        symbol: req[1],
        open: req[2],
        high: req[3],
        low: req[4],
        close: req[5],
        volume: req[6],
        amount: file.find("amount"),
        adj: file.find("adj_factor"),
        limits,
    };
    let Parsed { lines, states } =
        file.parse(threads, BarChunk::default, |s, f| bar_row(&cols, s, f))?;
    let n = lines.rows as usize;
    if n == 0 {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: "the file has a header but no data rows".to_owned(),
            fix: "bars needs at least one row: date,symbol,open,high,low,close,volume".to_owned(),
        });
    }
    if n > u32::MAX as usize {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!("{n} rows is more than the loader supports (2^32 - 1)"),
            fix: "split the bundle by date range".to_owned(),
        });
    }
    let mut warnings = Vec::new();
    let empty_volume: u64 = states.iter().map(|s| s.empty_volume).sum();
    if empty_volume > 0 {
        let (k, local) = states
            .iter()
            .enumerate()
            .find_map(|(k, s)| s.first_empty_volume.map(|r| (k, r as usize)))
            .expect("some chunk counted an empty volume");
        warnings.push(format!(
            "{}: {empty_volume} rows have an empty volume, read as 0 (suspended that day); the first is line {}",
            lines.file_name(),
            lines.line_of_ref(row_ref(k, local))
        ));
    }

    // Symbols: ids in name order.
    let (names, maps) = merge_names(states.iter().map(|s| &s.names));
    let mut symbols = Interner::default();
    for name in &names {
        symbols.intern(name);
    }
    let (rows, extra): (Vec<Vec<BarRow>>, Vec<_>) = states
        .into_iter()
        .zip(&maps)
        .map(|(mut s, map)| {
            for r in &mut s.rows {
                r.sym = map[r.sym as usize];
            }
            (s.rows, (s.amount, s.limit_up, s.limit_down))
        })
        .unzip();
    let lens: Vec<usize> = rows.iter().map(Vec::len).collect();
    let order = order_by_day_symbol(&lens, |c, i| rows[c][i].day, |c, i| rows[c][i].sym);
    if let Some((earlier, later, day)) = order.first_duplicate(|c, i| rows[c][i].sym) {
        let (c, i) = split_ref(later);
        let name = symbols.name(rows[c][i].sym);
        let date = to_date(day);
        return Err(lines.error_ref(
            later,
            Fault::new(
                cols.symbol,
                name.as_bytes(),
                format!(
                    "duplicate bar: line {} already has {name} on {date}",
                    lines.line_of_ref(earlier)
                ),
                "keep one row per (date, symbol): delete or merge the duplicate",
            ),
        ));
    }

    // Gather the rows in (day, symbol) order into columns, one cache line per row.
    let perm = &order.perm;
    let mut symbol = vec![SymbolId(0); n];
    let mut open = vec![0.0; n];
    let mut high = vec![0.0; n];
    let mut low = vec![0.0; n];
    let mut close = vec![0.0; n];
    let mut volume = vec![0.0; n];
    let mut adj_factor = vec![0.0; n];
    let per = piece_len(n, threads);
    type Piece<'a> = (&'a mut [SymbolId], [&'a mut [f64]; 6]);
    let pieces: Vec<Piece> = symbol
        .chunks_mut(per)
        .zip(open.chunks_mut(per))
        .zip(high.chunks_mut(per))
        .zip(low.chunks_mut(per))
        .zip(close.chunks_mut(per))
        .zip(volume.chunks_mut(per))
        .zip(adj_factor.chunks_mut(per))
        .map(|((((((s, o), h), l), c), v), a)| (s, [o, h, l, c, v, a]))
        .collect();
    par_fill(pieces, perm, per, |(s, [o, h, l, c, v, a]), i, r| {
        let (k, j) = split_ref(r);
        let row = &rows[k][j];
        s[i] = SymbolId(row.sym);
        o[i] = row.open;
        h[i] = row.high;
        l[i] = row.low;
        c[i] = row.close;
        v[i] = row.volume;
        a[i] = row.adj;
    });
    drop(rows);
    let (amount, (limit_up, limit_down)): (Vec<_>, (Vec<_>, Vec<_>)) =
        extra.into_iter().map(|(a, u, d)| (a, (u, d))).unzip();
    let amount = cols
        .amount
        .map(|_| gather_column(&amount, 1, perm, threads, 0.0));
    let limit_up = cols
        .limits
        .map(|_| gather_column(&limit_up, 1, perm, threads, 0.0));
    let limit_down = cols
        .limits
        .map(|_| gather_column(&limit_down, 1, perm, threads, 0.0));
    let bars = Bars {
        dates: order.days.iter().map(|&d| to_date(d)).collect(),
        day_start: order.starts,
        symbol,
        open,
        high,
        low,
        close,
        volume,
        amount,
        adj_factor,
        limit_up,
        limit_down,
    };
    Ok((bars, symbols, warnings))
}

// ---------------------------------------------------------------------------
// The other files: parsed into rows with file-level name ids, resolved to
// global symbol ids once every file is read.
// ---------------------------------------------------------------------------

/// Names used by one file, and its rows' ids into them.
struct FileSymbols {
    names: Vec<String>,
    /// File-level id → global symbol id (filled by [`resolve_symbols`]).
    global: Vec<SymbolId>,
}

#[derive(Default)]
struct SpellChunk {
    syms: LocalNames,
    groups: LocalNames,
    rows: Vec<SpellRow>,
}

#[derive(Clone, Copy)]
struct SpellRow {
    sym: u32,
    /// Index name (constituents) or industry name (industries).
    group: u32,
    start: Option<i32>,
    end: Option<i32>,
}

struct SpellFile {
    lines: Lines,
    symbols: FileSymbols,
    groups: Vec<String>,
    rows: Vec<SpellRow>,
    sym_col: usize,
    start_col: Option<usize>,
}

const SPELL_END_FIX: &str =
    "end_date must be on or after start_date (both inclusive); swap the dates or fix the typo";

/// Reads `constituents` (`industries == false`) or `industries`.
fn read_spells(path: &Path, threads: usize, industries: bool) -> Result<SpellFile> {
    let file = Opened::open(path)?;
    let (sym_col, group_col, start_col, end_col) = if industries {
        let req = file.require(&["symbol", "industry"], " (optional: start_date,end_date)")?;
        (
            req[0],
            req[1],
            file.find("start_date"),
            file.find("end_date"),
        )
    } else {
        let req = file.require(&["index", "symbol", "start_date", "end_date"], "")?;
        (req[1], req[0], Some(req[2]), Some(req[3]))
    };
    let group_word = if industries { "industry" } else { "index name" };
    let parsed = file.parse(threads, SpellChunk::default, |s, f| {
        let sym = s.syms.id(f[sym_col], sym_col, "symbol")?;
        let group = s.groups.id(f[group_col], group_col, group_word)?;
        let start = start_col
            .map(|c| parse_opt_day(f[c], c))
            .transpose()?
            .flatten();
        let end = end_col
            .map(|c| parse_opt_day(f[c], c))
            .transpose()?
            .flatten();
        if let (Some(a), Some(b), Some(c)) = (start, end, end_col) {
            if b < a {
                return Err(Fault::new(
                    c,
                    f[c],
                    format!(
                        "the spell ends ({}) before it starts ({})",
                        to_date(b),
                        to_date(a)
                    ),
                    SPELL_END_FIX,
                ));
            }
        }
        s.rows.push(SpellRow {
            sym,
            group,
            start,
            end,
        });
        Ok(())
    })?;
    let Parsed { lines, states } = parsed;
    let (sym_names, sym_maps) = merge_names(states.iter().map(|s| &s.syms));
    let (groups, group_maps) = merge_names(states.iter().map(|s| &s.groups));
    let mut rows = Vec::with_capacity(lines.rows as usize);
    for ((s, sm), gm) in states.iter().zip(&sym_maps).zip(&group_maps) {
        rows.extend(s.rows.iter().map(|r| SpellRow {
            sym: sm[r.sym as usize],
            group: gm[r.group as usize],
            ..*r
        }));
    }
    Ok(SpellFile {
        lines,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        groups,
        rows,
        sym_col,
        start_col,
    })
}

fn show_spell(start: Option<i32>, end: Option<i32>) -> String {
    let a = start.map_or_else(|| "(open)".to_owned(), |d| to_date(d).to_string());
    let b = end.map_or_else(|| "(open)".to_owned(), |d| to_date(d).to_string());
    format!("{a}..{b}")
}

/// Checks that spells of the same key (and symbol) do not overlap; returns the
/// row indices of each key's spells sorted by `(symbol, start)`.
fn check_overlaps(
    f: &SpellFile,
    key: impl Fn(&SpellRow) -> u32,
    what: impl Fn(&SpellRow) -> String,
) -> Result<Vec<u32>> {
    let mut idx: Vec<u32> = (0..f.rows.len() as u32).collect();
    let g = |i: u32| &f.rows[i as usize];
    idx.sort_by_key(|&i| {
        (
            key(g(i)),
            f.symbols.global[g(i).sym as usize],
            g(i).start,
            i,
        )
    });
    let mut worst: Option<(u32, u32)> = None;
    for w in idx.windows(2) {
        let (a, b) = (g(w[0]), g(w[1]));
        if key(a) != key(b) || a.sym != b.sym {
            continue;
        }
        let overlap = match (a.end, b.start) {
            (None, _) | (_, None) => true,
            (Some(e), Some(s)) => s <= e,
        };
        if overlap {
            let pair = (w[0].min(w[1]), w[0].max(w[1]));
            if worst.is_none_or(|x| pair.1 < x.1) {
                worst = Some(pair);
            }
        }
    }
    if let Some((earlier, later)) = worst {
        let (a, b) = (g(earlier), g(later));
        let (col, value) = match f.start_col {
            Some(c) => (
                c,
                b.start.map_or_else(String::new, |d| to_date(d).to_string()),
            ),
            None => (f.sym_col, f.symbols.names[b.sym as usize].clone()),
        };
        return Err(f.lines.error(
            u64::from(later),
            Fault::new(
                col,
                value.as_bytes(),
                format!(
                    "the spell {} of {} overlaps the spell {} on line {}",
                    show_spell(b.start, b.end),
                    what(b),
                    show_spell(a.start, a.end),
                    f.lines.line_of(u64::from(earlier))
                ),
                "merge the two spells or change their dates so they do not overlap (both ends are inclusive: a new spell starts the day after the previous one ends)",
            ),
        ));
    }
    Ok(idx)
}

#[derive(Default)]
struct BenchmarkChunk {
    indexes: LocalNames,
    rows: Vec<(i32, u32, f64)>,
}

fn read_benchmark(path: &Path, threads: usize) -> Result<BTreeMap<String, Vec<(Date, f64)>>> {
    let file = Opened::open(path)?;
    let req = file.require(&["date", "index", "close"], "")?;
    let (dc, ic, cc) = (req[0], req[1], req[2]);
    let Parsed { lines, states } = file.parse(threads, BenchmarkChunk::default, |s, f| {
        let day = parse_day(f[dc], dc)?;
        let index = s.indexes.id(f[ic], ic, "index name")?;
        let close = parse_num(f[cc], cc, false)?;
        if close <= 0.0 {
            return Err(Fault::new(
                cc,
                f[cc],
                "an index close must be > 0",
                "write the index level (a positive number), or drop the row",
            ));
        }
        s.rows.push((day, index, close));
        Ok(())
    })?;
    let (names, maps) = merge_names(states.iter().map(|s| &s.indexes));
    let mut rows: Vec<(i32, u32, f64, u32)> = Vec::with_capacity(lines.rows as usize);
    for (s, m) in states.iter().zip(&maps) {
        for &(d, i, c) in &s.rows {
            rows.push((d, m[i as usize], c, rows.len() as u32));
        }
    }
    rows.sort_by_key(|r| (r.1, r.0, r.3));
    let mut dup: Option<(u32, u32)> = None;
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[0].1 == w[1].1 && dup.is_none_or(|d| w[1].3 < d.1) {
            dup = Some((w[0].3, w[1].3));
        }
    }
    if let Some((earlier, later)) = dup {
        let r = rows.iter().find(|r| r.3 == later).expect("the row exists");
        return Err(lines.error(
            u64::from(later),
            Fault::new(
                dc,
                to_date(r.0).to_string().as_bytes(),
                format!(
                    "duplicate benchmark row: line {} already has {} on {}",
                    lines.line_of(u64::from(earlier)),
                    names[r.1 as usize],
                    to_date(r.0)
                ),
                "keep one close per (date, index): delete the duplicate",
            ),
        ));
    }
    let mut out: BTreeMap<String, Vec<(Date, f64)>> = BTreeMap::new();
    for (d, i, c, _) in rows {
        out.entry(names[i as usize].clone())
            .or_default()
            .push((to_date(d), c));
    }
    Ok(out)
}

#[derive(Default)]
struct FactorChunk {
    syms: LocalNames,
    day: Vec<i32>,
    sym: Vec<u32>,
    values: Vec<f64>,
}

struct FactorFile {
    lines: Lines,
    date_col: usize,
    symbols: FileSymbols,
    names: Vec<String>,
    /// Per chunk; `sym` holds file-level ids.
    chunks: Vec<FactorChunk>,
}

fn read_factors(path: &Path, threads: usize) -> Result<FactorFile> {
    let file = Opened::open(path)?;
    let req = file.require(&["date", "symbol"], ",<factor…>")?;
    let (dc, sc) = (req[0], req[1]);
    let factor_cols: Vec<usize> = (0..file.header.len())
        .filter(|&c| c != dc && c != sc)
        .collect();
    let names: Vec<String> = factor_cols
        .iter()
        .map(|&c| file.header[c].clone())
        .collect();
    if let Some(&c) = factor_cols.iter().find(|&&c| file.header[c].is_empty()) {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!("column {} of the header has no name", c + 1),
            fix: "name every factor column, or remove the empty one (a trailing comma in the header makes one)".to_owned(),
        });
    }
    let Parsed { lines, mut states } = file.parse(threads, FactorChunk::default, |s, f| {
        let day = parse_day(f[dc], dc)?;
        let sym = s.syms.id(f[sc], sc, "symbol")?;
        for &c in &factor_cols {
            let v = parse_num(f[c], c, true)?;
            s.values.push(v);
        }
        s.day.push(day);
        s.sym.push(sym);
        Ok(())
    })?;
    let (sym_names, maps) = merge_names(states.iter().map(|s| &s.syms));
    for (s, map) in states.iter_mut().zip(&maps) {
        for id in &mut s.sym {
            *id = map[*id as usize];
        }
    }
    Ok(FactorFile {
        lines,
        date_col: dc,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        names,
        chunks: states,
    })
}

fn finish_factors(f: FactorFile, threads: usize) -> Result<Factors> {
    let FactorFile {
        lines,
        date_col,
        symbols,
        names,
        mut chunks,
    } = f;
    for c in &mut chunks {
        for s in &mut c.sym {
            *s = symbols.global[*s as usize].0;
        }
    }
    let lens: Vec<usize> = chunks.iter().map(|c| c.sym.len()).collect();
    let order = order_by_day_symbol(&lens, |c, i| chunks[c].day[i], |c, i| chunks[c].sym[i]);
    if let Some((earlier, later, day)) = order.first_duplicate(|c, i| chunks[c].sym[i]) {
        let date = to_date(day);
        let (c, i) = split_ref(later);
        let name = &symbols.names[symbols
            .global
            .iter()
            .position(|g| g.0 == chunks[c].sym[i])
            .expect("a global id of this file")];
        return Err(lines.error_ref(
            later,
            Fault::new(
                date_col,
                date.to_string().as_bytes(),
                format!(
                    "duplicate factor row: line {} already has {name} on {date}",
                    lines.line_of_ref(earlier)
                ),
                "keep one row per (date, symbol): delete or merge the duplicate",
            ),
        ));
    }
    let m = names.len();
    let syms: Vec<Vec<u32>> = chunks
        .iter_mut()
        .map(|c| std::mem::take(&mut c.sym))
        .collect();
    let symbol = gather_column(&syms, 1, &order.perm, threads, 0)
        .into_iter()
        .map(SymbolId)
        .collect();
    drop(syms);
    let values: Vec<Vec<f64>> = chunks.into_iter().map(|c| c.values).collect();
    Ok(Factors {
        date: order.dates(),
        symbol,
        values: gather_column(&values, m, &order.perm, threads, 0.0),
        names,
    })
}

#[derive(Default)]
struct FundamentalChunk {
    syms: LocalNames,
    fields: LocalNames,
    rows: Vec<(u32, i32, i32, u32, f64)>,
}

struct FundamentalFile {
    lines: Lines,
    symbols: FileSymbols,
    fields: Vec<String>,
    /// `(symbol, period_end, announce_date, field, value)`, file-level ids.
    rows: Vec<(u32, i32, i32, u32, f64)>,
}

fn read_fundamentals(path: &Path, threads: usize) -> Result<FundamentalFile> {
    let file = Opened::open(path)?;
    let req = file.require(
        &["symbol", "period_end", "announce_date", "field", "value"],
        "",
    )?;
    let (sc, pc, ac, fc, vc) = (req[0], req[1], req[2], req[3], req[4]);
    let Parsed { lines, states } = file.parse(threads, FundamentalChunk::default, |s, f| {
        let sym = s.syms.id(f[sc], sc, "symbol")?;
        let period = parse_day(f[pc], pc)?;
        let announce = parse_day(f[ac], ac)?;
        let field = s.fields.id(f[fc], fc, "field name")?;
        let value = parse_num(f[vc], vc, false)?;
        s.rows.push((sym, period, announce, field, value));
        Ok(())
    })?;
    let (sym_names, sym_maps) = merge_names(states.iter().map(|s| &s.syms));
    let (fields, field_maps) = merge_names(states.iter().map(|s| &s.fields));
    if fields.len() > usize::from(u16::MAX) + 1 {
        return Err(Error::File {
            file: path.to_path_buf(),
            message: format!(
                "{} distinct field names; at most 65536 are supported",
                fields.len()
            ),
            fix: "check the `field` column: it should hold a small set of names".to_owned(),
        });
    }
    let mut rows = Vec::with_capacity(lines.rows as usize);
    for ((s, sm), fm) in states.iter().zip(&sym_maps).zip(&field_maps) {
        rows.extend(
            s.rows
                .iter()
                .map(|&(sy, p, a, fi, v)| (sm[sy as usize], p, a, fm[fi as usize], v)),
        );
    }
    Ok(FundamentalFile {
        lines,
        symbols: FileSymbols {
            names: sym_names,
            global: Vec::new(),
        },
        fields,
        rows,
    })
}

/// Gives every symbol of the other files a global id: bars symbols keep theirs,
/// the rest are interned in name order; one warning per file that names them.
fn resolve_symbols(
    symbols: &mut Interner,
    files: &mut [(String, &mut FileSymbols)],
    warnings: &mut Vec<String>,
) {
    let extra: BTreeSet<&str> = files
        .iter()
        .flat_map(|(_, f)| f.names.iter().map(String::as_str))
        .filter(|n| symbols.get(n).is_none())
        .collect();
    let extra: Vec<String> = extra.into_iter().map(str::to_owned).collect();
    for name in &extra {
        symbols.intern(name);
    }
    let bars_count = symbols.len() - extra.len();
    for (file, f) in files.iter_mut() {
        f.global = f
            .names
            .iter()
            .map(|n| SymbolId(symbols.get(n).expect("interned above")))
            .collect();
        let missing: Vec<&str> = f
            .names
            .iter()
            .zip(&f.global)
            .filter(|(_, id)| id.index() >= bars_count)
            .map(|(n, _)| n.as_str())
            .collect();
        match missing.len() {
            0 => {}
            1 => warnings.push(format!(
                "symbol {} in {file} never trades (it has no row in bars)",
                missing[0]
            )),
            k => {
                let shown: Vec<&str> = missing.iter().take(5).copied().collect();
                let more = if k > 5 {
                    format!(", and {} more", k - 5)
                } else {
                    String::new()
                };
                warnings.push(format!(
                    "{k} symbols in {file} never trade (they have no row in bars): {}{more}",
                    shown.join(", ")
                ));
            }
        }
    }
}

/// Loads and validates the bundle in `dir` (see the module docs for the rules).
pub fn load_market(dir: &Path, opts: &LoadOptions) -> Result<Market> {
    let threads = opts.thread_count();
    let files = locate_files(dir)?;
    let path_of = |k: FileKind| {
        files
            .iter()
            .find(|(f, _)| *f == k)
            .map(|(_, p)| p.as_path())
    };
    let bars_path = path_of(FileKind::Bars).expect("locate_files requires bars");
    let (bars, mut symbols, mut warnings) = load_bars(bars_path, threads)?;
    let mut constituents = path_of(FileKind::Constituents)
        .map(|p| read_spells(p, threads, false))
        .transpose()?;
    let mut industries = path_of(FileKind::Industries)
        .map(|p| read_spells(p, threads, true))
        .transpose()?;
    let benchmark = path_of(FileKind::Benchmark)
        .map(|p| read_benchmark(p, threads))
        .transpose()?
        .unwrap_or_default();
    let mut factors = path_of(FileKind::Factors)
        .map(|p| read_factors(p, threads))
        .transpose()?;
    let mut fundamentals = path_of(FileKind::Fundamentals)
        .map(|p| read_fundamentals(p, threads))
        .transpose()?;

    {
        let mut named: Vec<(String, &mut FileSymbols)> = Vec::new();
        if let Some(f) = constituents.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = industries.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = factors.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        if let Some(f) = fundamentals.as_mut() {
            named.push((f.lines.file_name(), &mut f.symbols));
        }
        resolve_symbols(&mut symbols, &mut named, &mut warnings);
    }

    let mut constituent_map: BTreeMap<String, Vec<Spell>> = BTreeMap::new();
    if let Some(f) = &constituents {
        let order = check_overlaps(
            f,
            |r| r.group,
            |r| {
                format!(
                    "{} in {}",
                    f.symbols.names[r.sym as usize], f.groups[r.group as usize]
                )
            },
        )?;
        for i in order {
            let r = f.rows[i as usize];
            constituent_map
                .entry(f.groups[r.group as usize].clone())
                .or_default()
                .push(Spell {
                    symbol: f.symbols.global[r.sym as usize],
                    start: r.start.map(to_date),
                    end: r.end.map(to_date),
                });
        }
    }

    let mut industries_names = Interner::default();
    let mut industry_spells = Vec::new();
    if let Some(f) = &industries {
        if f.groups.len() > usize::from(u16::MAX) + 1 {
            return Err(Error::File {
                file: f.lines.path.clone(),
                message: format!(
                    "{} distinct industries; at most 65536 are supported",
                    f.groups.len()
                ),
                fix: "check the `industry` column".to_owned(),
            });
        }
        for g in &f.groups {
            industries_names.intern(g);
        }
        let order = check_overlaps(f, |_| 0, |r| f.symbols.names[r.sym as usize].clone())?;
        industry_spells = order
            .into_iter()
            .map(|i| {
                let r = f.rows[i as usize];
                IndustrySpell {
                    spell: Spell {
                        symbol: f.symbols.global[r.sym as usize],
                        start: r.start.map(to_date),
                        end: r.end.map(to_date),
                    },
                    industry: IndustryId(r.group as u16),
                }
            })
            .collect();
    }

    let factors = factors
        .map(|f| finish_factors(f, threads))
        .transpose()?
        .unwrap_or_default();

    let fundamentals = match fundamentals {
        None => Fundamentals::default(),
        Some(f) => {
            let mut records: Vec<FundamentalRecord> = f
                .rows
                .iter()
                .map(|&(s, p, a, fi, v)| FundamentalRecord {
                    symbol: f.symbols.global[s as usize],
                    period_end: to_date(p),
                    announce_date: to_date(a),
                    field: fi as u16,
                    value: v,
                })
                .collect();
            records.sort_by_key(|r| (r.announce_date, r.symbol, r.field, r.period_end));
            Fundamentals {
                fields: f.fields,
                records,
            }
        }
    };

    Ok(Market {
        symbols,
        industries_names,
        bars,
        constituents: constituent_map,
        industries: industry_spells,
        benchmark,
        factors,
        fundamentals,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) {
        if let Some(plain) = name.strip_suffix(".gz") {
            let _ = plain;
            let f = std::fs::File::create(dir.join(name)).expect("create");
            let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            enc.write_all(text.as_bytes()).expect("write");
            enc.finish().expect("finish");
        } else {
            std::fs::write(dir.join(name), text).expect("write");
        }
    }

    fn bundle(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            write(dir.path(), name, text);
        }
        dir
    }

    fn load(dir: &Path) -> Result<Market> {
        load_market(dir, &LoadOptions { threads: 2 })
    }

    /// Everything observable about a market, in a deterministic text form.
    fn dump(m: &Market) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            m.symbols.names(),
            m.industries_names.names(),
            m.bars,
            m.constituents,
            m.industries,
            m.benchmark,
            m.factors,
            m.fundamentals,
            m.warnings
        )
    }

    /// The (file name, line, column number, column name) of a data error.
    fn location(e: &Error) -> (String, u64, usize, String) {
        match e {
            Error::Data {
                file,
                line,
                column_number,
                column,
                ..
            } => (file_name(file), *line, *column_number, column.clone()),
            other => panic!("expected a data error, got {other}"),
        }
    }

    fn load_err(files: &[(&str, &str)]) -> Error {
        let dir = bundle(files);
        load(dir.path()).expect_err("the bundle is invalid")
    }

    fn assert_at(e: &Error, file: &str, line: u64, col: usize, name: &str) {
        let expected = (file.to_owned(), line, col, name.to_owned());
        assert_eq!(location(e), expected, "error was: {e}");
    }

    const HEADER: &str = "date,symbol,open,high,low,close,volume\n";

    fn bars(rows: &[&str]) -> String {
        let mut s = HEADER.to_owned();
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    const SORTED: &str = "date,symbol,open,high,low,close,volume,adj_factor
2024-01-02,AAA,10,11,9,10.5,100,1
2024-01-02,BBB,20,21,19,20.5,200,2
2024-01-03,AAA,10.5,12,10,11,150,1
2024-01-03,BBB,20.5,20.5,20.5,20.5,0,2
2024-01-04,AAA,11,11.5,10.5,11.2,120,1.1
2024-01-04,CCC,5,5.5,4.5,5.2,50,1
";

    #[test]
    fn test_load_market_reverse_order_same_as_sorted() {
        let mut lines: Vec<&str> = SORTED.lines().collect();
        let header = lines.remove(0);
        lines.reverse();
        let reversed = format!("{header}\n{}\n", lines.join("\n"));
        let a = bundle(&[("bars.csv", SORTED)]);
        let b = bundle(&[("bars.csv", &reversed)]);
        let (a, b) = (load(a.path()).expect("a"), load(b.path()).expect("b"));
        assert_eq!(dump(&a), dump(&b));
        let expected: Vec<&str> = vec!["AAA", "BBB", "CCC"];
        assert_eq!(a.symbols.names(), expected);
        assert_eq!(a.bars.day_start, vec![0, 2, 4, 6]);
        assert_eq!(a.bars.close, vec![10.5, 20.5, 11.0, 20.5, 11.2, 5.2]);
    }

    #[test]
    fn test_load_market_symbol_major_order_same_as_day_major() {
        let by_symbol = "date,symbol,open,high,low,close,volume,adj_factor
2024-01-02,AAA,10,11,9,10.5,100,1
2024-01-03,AAA,10.5,12,10,11,150,1
2024-01-04,AAA,11,11.5,10.5,11.2,120,1.1
2024-01-02,BBB,20,21,19,20.5,200,2
2024-01-03,BBB,20.5,20.5,20.5,20.5,0,2
2024-01-04,CCC,5,5.5,4.5,5.2,50,1
";
        let a = bundle(&[("bars.csv", SORTED)]);
        let b = bundle(&[("bars.csv", by_symbol)]);
        assert_eq!(
            dump(&load(a.path()).expect("a")),
            dump(&load(b.path()).expect("b"))
        );
    }

    #[test]
    fn test_load_market_gz_same_as_csv() {
        let cons = "index,symbol,start_date,end_date\ncsi,AAA,2024-01-01,\ncsi,BBB,2023-01-01,2024-01-03\n";
        let a = bundle(&[("bars.csv", SORTED), ("constituents.csv", cons)]);
        let b = bundle(&[("bars.csv.gz", SORTED), ("constituents.csv.gz", cons)]);
        assert_eq!(
            dump(&load(a.path()).expect("a")),
            dump(&load(b.path()).expect("b"))
        );
    }

    #[test]
    fn test_load_market_large_gz_same_as_csv_across_chunks() {
        // Several decompression blocks and plain chunks, rows in a shuffled order.
        let mut text = String::from("date,symbol,open,high,low,close,volume\n");
        let mut k = 7u64;
        for i in 0..60_000u64 {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let day = 1 + (k >> 33) % 28;
            let sym = i % 3000;
            text.push_str(&format!(
                "2024-02-{day:02},S{sym:05},1.5,2,1,1.75,{}\n",
                i % 5
            ));
        }
        // Make (date, symbol) unique: one row per symbol and day at most.
        let mut seen = std::collections::HashSet::new();
        let text: String = text
            .lines()
            .filter(|l| seen.insert(l.get(..17).map(str::to_owned)))
            .map(|l| format!("{l}\n"))
            .collect();
        let a = bundle(&[("bars.csv", &text)]);
        let b = bundle(&[("bars.csv.gz", &text)]);
        let ma = load_market(a.path(), &LoadOptions { threads: 3 }).expect("a");
        let mb = load_market(b.path(), &LoadOptions { threads: 1 }).expect("b");
        assert_eq!(dump(&ma), dump(&mb));
        assert_eq!(ma.bars.len(), text.lines().count() - 1);
        for d in 0..ma.bars.dates.len() {
            let rows = ma.bars.day_rows(crate::data::DayIndex(d as u32));
            assert!(ma.bars.symbol[rows].windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn test_load_market_suspended_rows_kept() {
        let dir = bundle(&[("bars.csv", SORTED)]);
        let m = load(dir.path()).expect("load");
        assert_eq!(m.bars.len(), 6);
        let traded: Vec<bool> = (0..m.bars.len()).map(|r| m.bars.is_traded(r)).collect();
        assert_eq!(traded, vec![true, true, true, false, true, true]);
    }

    #[test]
    fn test_load_market_adj_factor_defaults_to_one() {
        let dir = bundle(&[("bars.csv", &bars(&["2024-01-02,AAA,1,1,1,1,5"]))]);
        let m = load(dir.path()).expect("load");
        assert_eq!(m.bars.adj_factor, vec![1.0]);
        assert!(m.bars.amount.is_none() && m.bars.limit_up.is_none());
    }

    #[test]
    fn test_load_market_columns_by_name_extra_ignored() {
        let text = "volume,close,note,low,high,open,symbol,date,limit_down,limit_up,amount\n\
                    5,1.5,hello,1,2,1.2,AAA,2024-01-02,,1.65,7.5\n";
        let dir = bundle(&[("bars.csv", text)]);
        let m = load(dir.path()).expect("load");
        assert_eq!(
            (m.bars.open[0], m.bars.close[0], m.bars.volume[0]),
            (1.2, 1.5, 5.0)
        );
        assert_eq!(m.bars.amount, Some(vec![7.5]));
        assert_eq!(m.bars.limit_up, Some(vec![1.65]));
        assert!(m.bars.limit_down.as_ref().expect("limits")[0].is_nan());
    }

    #[test]
    fn test_load_market_empty_volume_is_suspended_with_warning() {
        let dir = bundle(&[(
            "bars.csv",
            &bars(&["2024-01-02,AAA,1,1,1,1,", "2024-01-03,AAA,1,1,1,1,3"]),
        )]);
        let m = load(dir.path()).expect("load");
        assert_eq!(m.bars.volume, vec![0.0, 3.0]);
        assert_eq!(
            m.warnings,
            vec!["bars.csv: 1 rows have an empty volume, read as 0 (suspended that day); the first is line 2"]
        );
    }

    #[test]
    fn test_load_market_other_files() {
        let cons = "index,symbol,start_date,end_date\n\
                    csi,BBB,2024-01-03,\n\
                    csi,AAA,2024-01-01,2024-01-02\n\
                    csi,AAA,2024-01-03,\n\
                    big,ZZZ,,\n";
        let ind = "symbol,industry\nBBB,Banks\nAAA,Autos\n";
        let bench = "date,index,close\n2024-01-03,csi,101\n2024-01-02,csi,100\n2024-01-02,big,7\n";
        let fac = "date,symbol,value,size\n2024-01-03,BBB,0.5,\n2024-01-02,BBB,1,2\n2024-01-02,AAA,-1,3\n";
        let fund = "symbol,period_end,announce_date,field,value\n\
                    AAA,2023-12-31,2024-03-01,eps,1.5\n\
                    BBB,2023-09-30,2023-10-20,eps,0.5\n\
                    AAA,2023-12-31,2024-03-01,bvps,10\n";
        let dir = bundle(&[
            ("bars.csv", SORTED),
            ("constituents.csv", cons),
            ("industries.csv", ind),
            ("benchmark.csv", bench),
            ("factors.csv", fac),
            ("fundamentals.csv", fund),
            ("notes.txt", "ignored"),
        ]);
        let m = load(dir.path()).expect("load");
        let id = |n: &str| m.symbol_id(n).expect("symbol");
        assert_eq!(m.symbols.names(), ["AAA", "BBB", "CCC", "ZZZ"]);
        assert_eq!(
            m.warnings,
            vec!["symbol ZZZ in constituents.csv never trades (it has no row in bars)"]
        );
        let csi: Vec<SymbolId> = m.constituents["csi"].iter().map(|s| s.symbol).collect();
        assert_eq!(csi, vec![id("AAA"), id("AAA"), id("BBB")]);
        assert_eq!(m.constituents["big"][0].start, None);
        assert_eq!(m.industries_names.names(), ["Autos", "Banks"]);
        assert_eq!(m.industries[0].spell.symbol, id("AAA"));
        assert_eq!(m.industries[0].industry, IndustryId(0));
        let d = |s: &str| Date::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(
            m.benchmark["csi"],
            vec![(d("2024-01-02"), 100.0), (d("2024-01-03"), 101.0)]
        );
        assert_eq!(m.factors.names, ["value", "size"]);
        assert_eq!(m.factors.symbol, vec![id("AAA"), id("BBB"), id("BBB")]);
        assert_eq!(m.factors.row(0), [-1.0, 3.0]);
        assert!(m.factors.row(2)[1].is_nan());
        assert_eq!(m.fundamentals.fields, ["bvps", "eps"]);
        let recs: Vec<(Date, u16)> = m
            .fundamentals
            .records
            .iter()
            .map(|r| (r.announce_date, r.field))
            .collect();
        assert_eq!(
            recs,
            vec![
                (d("2023-10-20"), 1),
                (d("2024-03-01"), 0),
                (d("2024-03-01"), 1)
            ]
        );
    }

    // --- errors -----------------------------------------------------------

    #[test]
    fn test_load_market_unparsable_number() {
        let e = load_err(&[(
            "bars.csv",
            &bars(&["2024-01-02,AAA,1,1,1,1,5", "2024-01-03,AAA,1,1x,1,1,5"]),
        )]);
        assert_at(&e, "bars.csv", 3, 4, "high");
        assert!(e.to_string().contains("not a number"), "{e}");
    }

    #[test]
    fn test_load_market_bad_date() {
        for date in ["2024/01/02", "2023-02-29", "2024-13-01", "24-01-02"] {
            let e = load_err(&[("bars.csv", &bars(&[&format!("{date},AAA,1,1,1,1,5")]))]);
            assert_at(&e, "bars.csv", 2, 1, "date");
        }
    }

    #[test]
    fn test_load_market_nan_and_inf_rejected() {
        for (v, word) in [
            ("NaN", "NaN"),
            ("inf", "infinite"),
            ("-Infinity", "infinite"),
            ("1e999", "too large"),
        ] {
            let e = load_err(&[("bars.csv", &bars(&[&format!("2024-01-02,AAA,1,1,1,{v},5")]))]);
            assert_at(&e, "bars.csv", 2, 6, "close");
            assert!(e.to_string().contains(word), "{e}");
        }
    }

    #[test]
    fn test_load_market_negative_price_and_volume() {
        let e = load_err(&[("bars.csv", &bars(&["2024-01-02,AAA,-1,1,1,1,5"]))]);
        assert_at(&e, "bars.csv", 2, 3, "open");
        let e = load_err(&[("bars.csv", &bars(&["2024-01-02,AAA,1,1,1,1,-5"]))]);
        assert_at(&e, "bars.csv", 2, 7, "volume");
    }

    #[test]
    fn test_load_market_zero_price_on_traded_row() {
        let e = load_err(&[(
            "bars.csv",
            &bars(&["2024-01-02,AAA,0,0,0,0,0", "2024-01-03,AAA,1,1,1,0,5"]),
        )]);
        assert_at(&e, "bars.csv", 3, 6, "close");
        assert!(e.to_string().contains("traded row"), "{e}");
    }

    #[test]
    fn test_load_market_high_below_low() {
        let e = load_err(&[("bars.csv", &bars(&["2024-01-02,AAA,9.6,9.5,9.8,9.7,5"]))]);
        assert_at(&e, "bars.csv", 2, 4, "high");
        assert!(e.to_string().contains("high 9.5 is below low 9.8"), "{e}");
    }

    #[test]
    fn test_load_market_adj_factor_not_positive() {
        let text =
            "date,symbol,open,high,low,close,volume,adj_factor\n2024-01-02,AAA,1,1,1,1,5,0\n";
        let e = load_err(&[("bars.csv", text)]);
        assert_at(&e, "bars.csv", 2, 8, "adj_factor");
    }

    #[test]
    fn test_load_market_duplicate_bar_names_both_lines() {
        let e = load_err(&[(
            "bars.csv",
            &bars(&[
                "2024-01-02,AAA,1,1,1,1,5",
                "2024-01-02,BBB,1,1,1,1,5",
                "2024-01-03,AAA,1,1,1,1,5",
                "2024-01-02,AAA,1,1,1,1,5",
            ]),
        )]);
        assert_at(&e, "bars.csv", 5, 2, "symbol");
        assert!(
            e.to_string()
                .contains("line 2 already has AAA on 2024-01-02"),
            "{e}"
        );
    }

    #[test]
    fn test_load_market_wrong_field_count() {
        let e = load_err(&[(
            "bars.csv",
            &bars(&["2024-01-02,AAA,1,1,1,1,5", "2024-01-03,AAA,1,1,1,1"]),
        )]);
        assert_at(&e, "bars.csv", 3, 7, "volume");
        let e = load_err(&[("bars.csv", &bars(&["2024-01-02,AAA,1,1,1,1,5,9"]))]);
        assert_at(&e, "bars.csv", 2, 8, "<extra field>");
    }

    #[test]
    fn test_load_market_blank_lines_keep_line_numbers() {
        let text = format!("{HEADER}\n2024-01-02,AAA,1,1,1,1,5\r\n\n\n2024-01-03,AAA,1,x,1,1,5\n");
        let e = load_err(&[("bars.csv", &text)]);
        assert_at(&e, "bars.csv", 6, 4, "high");
    }

    #[test]
    fn test_load_market_error_line_in_late_chunk() {
        let mut text = String::from(HEADER);
        for i in 0..40_000 {
            text.push_str(&format!("2024-01-02,S{i:06},1,1,1,1,5\n"));
        }
        text.push_str("2024-01-03,AAA,1,1,1,1,-5\n");
        for name in ["bars.csv", "bars.csv.gz"] {
            let e = load_err(&[(name, &text)]);
            assert_at(&e, name, 40_002, 7, "volume");
        }
    }

    #[test]
    fn test_load_market_quoted_fields_fall_back_to_csv() {
        let text =
            format!("{HEADER}2024-01-02,\"AAA\",1,1,1,1,5\n\"2024-01-03\",AAA,1,\"x\",1,1,5\n");
        let e = load_err(&[("bars.csv", &text)]);
        assert_at(&e, "bars.csv", 3, 4, "high");
        let text = format!("{HEADER}2024-01-02,\"AAA\",1,1,1,1,5\n2024-01-03,\"A,B\",1,1,1,1,5\n");
        let dir = bundle(&[("bars.csv", &text)]);
        let m = load(dir.path()).expect("load");
        assert_eq!(m.symbols.names(), ["A,B", "AAA"]);
    }

    #[test]
    fn test_load_market_missing_column_and_empty_files() {
        let dir = bundle(&[(
            "bars.csv",
            "date,symbol,open,high,low,close\n2024-01-02,A,1,1,1,1\n",
        )]);
        let e = load(dir.path()).expect_err("missing volume");
        assert!(matches!(e, Error::File { .. }));
        assert!(
            e.to_string().contains("missing required column `volume`"),
            "{e}"
        );
        for text in ["", HEADER] {
            let dir = bundle(&[("bars.csv", text)]);
            assert!(matches!(load(dir.path()), Err(Error::File { .. })));
        }
    }

    #[test]
    fn test_load_market_missing_folder_bars_and_both_files() {
        let dir = bundle(&[]);
        let e = load(&dir.path().join("nope")).expect_err("no folder");
        assert!(e.to_string().contains("data folder not found"), "{e}");
        let e = load(dir.path()).expect_err("no bars");
        assert!(
            e.to_string().contains("neither bars.csv nor bars.csv.gz"),
            "{e}"
        );
        let dir = bundle(&[("bars.csv", SORTED), ("bars.csv.gz", SORTED)]);
        let e = load(dir.path()).expect_err("both");
        assert!(e.to_string().contains("remove one"), "{e}");
    }

    #[test]
    fn test_load_market_spell_end_before_start() {
        let cons = "index,symbol,start_date,end_date\ncsi,AAA,2024-01-05,2024-01-04\n";
        let e = load_err(&[("bars.csv", SORTED), ("constituents.csv", cons)]);
        assert_at(&e, "constituents.csv", 2, 4, "end_date");
    }

    #[test]
    fn test_load_market_overlapping_spells() {
        let cons = "index,symbol,start_date,end_date\n\
                    csi,AAA,2024-01-01,2024-01-03\n\
                    other,AAA,2024-01-01,\n\
                    csi,AAA,2024-01-04,2024-01-09\n\
                    csi,AAA,2024-01-09,\n";
        let e = load_err(&[("bars.csv", SORTED), ("constituents.csv", cons)]);
        assert_at(&e, "constituents.csv", 5, 3, "start_date");
        assert!(e.to_string().contains("on line 4"), "{e}");
        let ind = "symbol,industry\nAAA,Banks\nBBB,Banks\nAAA,Autos\n";
        let e = load_err(&[("bars.csv", SORTED), ("industries.csv", ind)]);
        assert_at(&e, "industries.csv", 4, 1, "symbol");
        assert!(e.to_string().contains("on line 2"), "{e}");
    }

    #[test]
    fn test_load_market_benchmark_errors() {
        let bench = "date,index,close\n2024-01-02,csi,100\n2024-01-03,csi,0\n";
        let e = load_err(&[("bars.csv", SORTED), ("benchmark.csv", bench)]);
        assert_at(&e, "benchmark.csv", 3, 3, "close");
        let bench = "date,index,close\n2024-01-02,csi,100\n2024-01-02,big,1\n2024-01-02,csi,100\n";
        let e = load_err(&[("bars.csv", SORTED), ("benchmark.csv", bench)]);
        assert_at(&e, "benchmark.csv", 4, 1, "date");
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn test_load_market_factor_errors() {
        let fac = "date,symbol,f1\n2024-01-02,AAA,1\n2024-01-02,BBB,nan\n";
        let e = load_err(&[("bars.csv", SORTED), ("factors.csv", fac)]);
        assert_at(&e, "factors.csv", 3, 3, "f1");
        let fac = "date,symbol,f1\n2024-01-02,AAA,1\n2024-01-03,AAA,\n2024-01-02,AAA,2\n";
        let e = load_err(&[("bars.csv", SORTED), ("factors.csv", fac)]);
        assert_at(&e, "factors.csv", 4, 1, "date");
        assert!(e.to_string().contains("line 2 already has AAA"), "{e}");
    }

    #[test]
    fn test_load_market_fundamental_errors() {
        let fund = "symbol,period_end,announce_date,field,value\nAAA,2023-12-31,2024-3-01,eps,1\n";
        let e = load_err(&[("bars.csv", SORTED), ("fundamentals.csv", fund)]);
        assert_at(&e, "fundamentals.csv", 2, 3, "announce_date");
        let fund =
            "symbol,period_end,announce_date,field,value\nAAA,2023-12-31,2024-03-01,eps,abc\n";
        let e = load_err(&[("bars.csv", SORTED), ("fundamentals.csv", fund)]);
        assert_at(&e, "fundamentals.csv", 2, 5, "value");
    }

    // --- field parsers ----------------------------------------------------

    #[test]
    fn test_parse_day_matches_chrono() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2024-12-31",
            "1900-03-01",
            "0001-01-01",
            "9999-12-31",
        ] {
            let expected = Date::parse_from_str(s, "%Y-%m-%d").expect("valid");
            assert_eq!(
                to_date(parse_day(s.as_bytes(), 0).expect("parses")),
                expected,
                "{s}"
            );
        }
        assert!(parse_day(b"1900-02-29", 0).is_err());
    }

    #[test]
    fn test_fast_f64_matches_std() {
        let cases = [
            "0",
            "1",
            "-1",
            "21.83",
            "2.96973",
            "66191336",
            "0.1",
            "0.3",
            "123456789.123456789",
            "9007199254740993",
            "1.7976931348623157",
            "-0.0",
            "+5.5",
            ".5",
            "5.",
            "1e5",
            "0.000001",
            "12345678901234567890",
            "3.14159265358979",
        ];
        for s in cases {
            let expected: f64 = s.parse().expect("std parses");
            let got = parse_num(s.as_bytes(), 0, false).expect("parses");
            assert_eq!(got.to_bits(), expected.to_bits(), "{s}");
        }
        for s in ["1.2.3", "-", ".", "1,5", "--1", "0x10"] {
            assert!(parse_num(s.as_bytes(), 0, false).is_err(), "{s}");
        }
    }
}
