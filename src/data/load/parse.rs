//! The parallel parser: worker threads split chunks into fields and hand each
//! row to a per-file row function, keeping line numbers for errors.

use super::cells::RowFn;
use super::chunk::{stream, stream_mapped, Block, Opened};
use super::location::{ChunkLines, Fault, Lines};
use super::progress::{LoadProgress, Workers};
use super::scan::{Scanner, Stop};
use crate::Result;
use std::sync::atomic::{AtomicUsize, Ordering};

impl Opened {
    /// Parses every data row with `row`, on `threads` threads.
    pub(super) fn parse<S, I, F>(self, workers: Workers<'_>, init: I, row: &F) -> Result<Parsed<S>>
    where
        S: Send,
        I: Fn() -> S + Sync,
        F: RowFn<S>,
    {
        let threads = workers.threads;
        let ncols = self.header.len();
        let used = self.used.clamp(1, ncols.max(1));
        let first_error = AtomicUsize::new(usize::MAX);
        let (recycle_tx, recycle_rx) = crossbeam_channel::bounded::<Vec<u8>>(threads * 2 + 2);
        let job = Job {
            recycle: recycle_tx,
            ncols,
            used,
            init: &init,
            row,
            first_error: &first_error,
            progress: workers.progress,
        };
        let Opened {
            path,
            header,
            gz,
            source,
            carry,
            plain,
            used: _,
        } = self;
        let mut outs: Vec<ChunkOut<S>> = Vec::new();
        let mut produce_result = Ok(());
        let (tx, rx) = crossbeam_channel::bounded::<(usize, Block)>(threads * 2);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let rx = rx.clone();
                    let job = &job;
                    s.spawn(move || job.work(rx))
                })
                .collect();
            drop(rx);
            produce_result = match &plain {
                Some((file, start)) => stream_mapped(&path, file, *start, &tx, &first_error),
                None => stream(&path, gz, source, carry, &tx, &recycle_rx, &first_error),
            };
            drop(tx);
            for h in handles {
                outs.extend(h.join().expect("parser thread panicked"));
            }
        });
        outs.sort_by_key(|o| o.seq);
        let mut lines = Lines {
            path,
            header,
            chunks: Vec::with_capacity(outs.len()),
            rows: 0,
            parquet: false,
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

/// The result of parsing every row of a file.
pub(super) struct Parsed<S> {
    pub(super) lines: Lines,
    /// One state per chunk, in file order.
    pub(super) states: Vec<S>,
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

/// About the number of rows of a chunk: its length over its first line's,
/// with a quarter more for lines shorter than the first (a longer guess
/// costs only address space: pages nothing writes are never touched). A
/// first line under 12 bytes (blank, or shorter than any valid row: a date
/// alone is 10) counts as 12.
fn rows_hint(text: &[u8]) -> usize {
    let first = memchr::memchr(b'\n', text).map_or(text.len(), |k| k + 1);
    (text.len() / first.max(12)).saturating_mul(5) / 4 + 1
}

struct Job<'a, I, F> {
    /// Where parsed blocks go back for reuse.
    recycle: crossbeam_channel::Sender<Vec<u8>>,
    ncols: usize,
    /// Fields split off per row; the rest of a line is only counted.
    used: usize,
    init: &'a I,
    row: &'a F,
    first_error: &'a AtomicUsize,
    progress: Option<&'a LoadProgress>,
}

impl<I, F> Job<'_, I, F> {
    fn work<S>(&self, rx: crossbeam_channel::Receiver<(usize, Block)>) -> Vec<ChunkOut<S>>
    where
        I: Fn() -> S,
        F: RowFn<S>,
    {
        let mut outs = Vec::new();
        for (seq, block) in rx {
            let text = block.bytes();
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
                self.row.reserve(&mut out.state, rows_hint(text));
                self.parse_chunk(text, &mut out);
                if let Some(p) = self.progress {
                    p.add(text.len(), out.rows);
                }
                if out.fault.is_some() {
                    self.first_error.fetch_min(seq, Ordering::Relaxed);
                }
            }
            if let Block::Read(buf) = block {
                let _ = self.recycle.try_send(buf);
            }
            outs.push(out);
        }
        outs
    }

    /// Splits a chunk into rows. Only the first `used` fields of a row are
    /// split off; the rest of the line is scanned for its commas (the field
    /// count is still checked) and for a quote (which hands the chunk to
    /// [`Job::parse_quoted`]), but never split.
    fn parse_chunk<S>(&self, text: &[u8], out: &mut ChunkOut<S>)
    where
        F: RowFn<S>,
    {
        let mut fields: Vec<&[u8]> = Vec::with_capacity(self.ncols + 1);
        let n = text.len();
        let mut scan = Scanner::new(text);
        // Start of the current line and of its current field.
        let (mut pos, mut start) = (0, 0);
        let mut line: u32 = 0;
        loop {
            // The next `,`, line end or quote, from the chunk's bit masks.
            let (end, count) = match scan.next_stop(start) {
                Some((k, Stop::Comma)) => {
                    fields.push(&text[start..k]);
                    start = k + 1;
                    if fields.len() < self.used {
                        continue;
                    }
                    // The rest of the line: count its fields without splitting them.
                    let (end, commas, quote) = scan.rest_of_line(start);
                    if quote {
                        self.parse_quoted(&text[pos..], line, out);
                        return;
                    }
                    if end < n {
                        out.newlines += 1;
                    }
                    (end, fields.len() + 1 + commas)
                }
                Some((_, Stop::Quote)) => {
                    self.parse_quoted(&text[pos..], line, out);
                    return;
                }
                Some((k, Stop::Line)) => {
                    out.newlines += 1;
                    let mut last = &text[start..k];
                    if let [rest @ .., b'\r'] = last {
                        last = rest;
                    }
                    fields.push(last);
                    (k, fields.len())
                }
                None if pos < n => {
                    let mut last = &text[start..];
                    if let [rest @ .., b'\r'] = last {
                        last = rest;
                    }
                    fields.push(last);
                    (n, fields.len())
                }
                None => return,
            };
            let blank = count == 1 && fields[0].is_empty();
            if !blank {
                let mut raw = &text[pos..end];
                if let [rest @ .., b'\r'] = raw {
                    raw = rest;
                }
                if let Err(f) = self.record(&fields, count, raw, line, out) {
                    out.fault = Some((u64::from(line), f));
                    return;
                }
            }
            pos = (end + 1).min(n);
            start = pos;
            fields.clear();
            line += 1;
            if end == n {
                return;
            }
        }
    }

    /// Parses the rest of a chunk (from the line that showed a `"`) with the csv crate.
    fn parse_quoted<S>(&self, text: &[u8], first_line: u32, out: &mut ChunkOut<S>)
    where
        F: RowFn<S>,
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
            let joined = fields.join(&b","[..]);
            if let Err(f) = self.record(&fields, fields.len(), &joined, l, out) {
                out.fault = Some((u64::from(l), f));
                return;
            }
        }
    }

    /// Hands one row to the row function: `fields` are its first fields
    /// (all of them, or the `used` ones), `count` its number of fields and
    /// `raw` its text (for an error).
    fn record<S>(
        &self,
        fields: &[&[u8]],
        count: usize,
        raw: &[u8],
        line: u32,
        out: &mut ChunkOut<S>,
    ) -> Result<(), Fault>
    where
        F: RowFn<S>,
    {
        if count != self.ncols {
            let col = count.min(self.ncols);
            return Err(Fault::new(
                col,
                raw,
                format!(
                    "the row has {count} fields but the header has {}",
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
        self.row.row(&mut out.state, fields)?;
        out.rows += 1;
        Ok(())
    }
}
