//! Reading a Parquet table: its columns (the "header"), the check of the
//! read columns' types, and the parallel decode of its row groups, each row
//! handed to the same row function as a CSV row.
//!
//! A row group is one chunk ([`Parsed::states`] has one state per row
//! group, in file order): worker threads take row groups in turn, decode
//! only the columns the file kind reads (Parquet projection) in batches
//! and run the row function on every row. An error names the row group and
//! the row ([`Lines::parquet_error`]); when several row groups fail, the
//! first in file order is reported, as for CSV.

use super::cells::RowFn;
use super::location::{ChunkLines, Fault, Lines};
use super::parquet_cells::{PqCol, PqRow};
use super::parse::Parsed;
use super::progress::Workers;
use crate::{Error, Result};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a column holds, which fixes the Arrow types it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Date,
    Number,
    Name,
}

impl Role {
    /// The accepted types, as an error lists them.
    fn expected(self) -> &'static str {
        match self {
            Role::Date => "date32, a timestamp without time zone at midnight, or a string YYYY-MM-DD",
            Role::Number => "float64, float32, a signed or unsigned integer, or a string holding a decimal number",
            Role::Name => "string (utf8) or binary holding UTF-8",
        }
    }

    fn accepts(self, t: &DataType) -> bool {
        use DataType as T;
        match self {
            Role::Date => matches!(t, T::Date32 | T::Utf8 | T::Timestamp(_, None)),
            Role::Number => matches!(
                t,
                T::Float64
                    | T::Float32
                    | T::Int8
                    | T::Int16
                    | T::Int32
                    | T::Int64
                    | T::UInt8
                    | T::UInt16
                    | T::UInt32
                    | T::UInt64
                    | T::Utf8
            ),
            Role::Name => matches!(t, T::Utf8 | T::Binary),
        }
    }
}

const PARQUET_FIX: &str = "the file is not a readable Parquet file; re-create it (e.g. pyarrow.parquet.write_table, or `alphasim convert`) or store the table as .csv";

/// An open Parquet file whose schema has been read.
pub(super) struct ParquetTable {
    pub(super) path: PathBuf,
    /// The names of the file's top-level columns.
    pub(super) header: Vec<String>,
    /// The whole file, memory-mapped: parquet reads byte ranges of it (a
    /// `File` would not do: its clones share one offset, so decoder threads
    /// reading row groups at once would seek under each other).
    data: bytes::Bytes,
    meta: ArrowReaderMetadata,
    /// The columns read (indices into `header`, ascending), from [`ParquetTable::reads`].
    read: Vec<usize>,
}

/// Rows decoded per batch.
const BATCH: usize = 64 << 10;

fn unreadable(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    let message = format!("{what}: {e}");
    let fix = if message.contains("Disabled feature") {
        "the file uses a compression codec alphasim is not built with (it reads snappy, zstd, gzip and uncompressed); rewrite it with one of those, e.g. pyarrow.parquet.write_table(t, f, compression=\"zstd\")".to_owned()
    } else {
        PARQUET_FIX.to_owned()
    };
    Error::File {
        file: path.to_path_buf(),
        message,
        fix,
    }
}

impl ParquetTable {
    pub(super) fn open(path: &Path) -> Result<ParquetTable> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map_err(|e| Error::io(path, e))?.len() == 0 {
            return Err(Error::File {
                file: path.to_path_buf(),
                message: "the file is empty (0 bytes)".to_owned(),
                fix: "write the table, or delete the file if it is optional".to_owned(),
            });
        }
        // Types come from the Parquet schema alone (not from an embedded
        // Arrow schema): strings read as utf8 however they were written
        // (dictionary, large_string), dates as date32.
        // SAFETY: the file is only read; like the CSV reader's mapped
        // windows, a load would fault if another program truncated the file
        // while it is being read.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let data = bytes::Bytes::from_owner(map);
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let meta = ArrowReaderMetadata::load(&data, options)
            .map_err(|e| unreadable(path, "cannot read the Parquet footer", e))?;
        let header: Vec<String> = meta
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        for (i, n) in header.iter().enumerate() {
            if header[..i].contains(n) {
                return Err(Error::File {
                    file: path.to_path_buf(),
                    message: format!("column `{n}` appears twice"),
                    fix: "rename or remove one of the two columns".to_owned(),
                });
            }
        }
        Ok(ParquetTable {
            path: path.to_path_buf(),
            header,
            data,
            meta,
            read: Vec::new(),
        })
    }

    /// Declares the columns the row function reads and what each holds: an
    /// error names the first whose type does not fit. Only these columns
    /// are decoded.
    pub(super) fn reads(&mut self, cols: &[(usize, Role)]) -> Result<()> {
        let fields = self.meta.schema().fields();
        for &(c, role) in cols {
            let t = fields[c].data_type();
            if !role.accepts(t) {
                return Err(Error::File {
                    file: self.path.clone(),
                    message: format!("column `{}` has type {t}", self.header[c]),
                    fix: format!(
                        "`{}` must be {}; cast it when writing the file (pyarrow: table.cast(schema))",
                        self.header[c],
                        role.expected()
                    ),
                });
            }
        }
        let mut read: Vec<usize> = cols.iter().map(|&(c, _)| c).collect();
        read.sort_unstable();
        read.dedup();
        self.read = read;
        Ok(())
    }

    /// Decodes every row group (in parallel) and runs `row` on each row.
    pub(super) fn parse<S, I, F>(self, workers: Workers<'_>, init: I, row: &F) -> Result<Parsed<S>>
    where
        S: Send,
        I: Fn() -> S + Sync,
        F: RowFn<S>,
    {
        let md = self.meta.metadata().clone();
        let groups = md.num_row_groups();
        let mut first_rows = Vec::with_capacity(groups);
        let mut rows = 0u64;
        for g in 0..groups {
            first_rows.push(rows);
            rows += md.row_group(g).num_rows().max(0) as u64;
        }
        let mask = ProjectionMask::roots(md.file_metadata().schema_descr(), self.read.clone());
        let next = AtomicUsize::new(0);
        let first_error = AtomicUsize::new(usize::MAX);
        let this = &self;
        let work = || -> Vec<GroupOut<S>> {
            let mut outs = Vec::new();
            loop {
                let g = next.fetch_add(1, Ordering::Relaxed);
                if g >= groups {
                    return outs;
                }
                let mut out = GroupOut {
                    group: g,
                    state: init(),
                    fault: None,
                    failed: None,
                };
                if g < first_error.load(Ordering::Relaxed) {
                    this.decode_group(g, &mask, row, &mut out);
                    if let Some(p) = workers.progress {
                        let r = md.row_group(g);
                        p.add(r.compressed_size().max(0) as usize, r.num_rows() as u32);
                    }
                    if out.fault.is_some() || out.failed.is_some() {
                        first_error.fetch_min(g, Ordering::Relaxed);
                    }
                }
                outs.push(out);
            }
        };
        let threads = workers.threads.clamp(1, groups.max(1));
        let mut outs: Vec<GroupOut<S>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("parquet decoder thread panicked"))
                .collect()
        });
        outs.sort_by_key(|o| o.group);
        let mut lines = Lines {
            path: self.path.clone(),
            header: self.header.clone(),
            chunks: first_rows
                .iter()
                .map(|&first_row| ChunkLines {
                    first_row,
                    first_line: 0,
                    jumps: Vec::new(),
                })
                .collect(),
            rows,
            parquet: true,
        };
        let mut states = Vec::with_capacity(groups);
        for out in outs {
            if let Some(e) = out.failed {
                return Err(e);
            }
            if let Some((local, fault)) = out.fault {
                return Err(lines.parquet_error(out.group, local, fault));
            }
            states.push(out.state);
        }
        if lines.chunks.is_empty() {
            lines.chunks.push(ChunkLines::default());
        }
        Ok(Parsed { lines, states })
    }

    /// Decodes row group `g` into `out` (its state, or the first bad row).
    fn decode_group<S, F: RowFn<S>>(
        &self,
        g: usize,
        mask: &ProjectionMask,
        row: &F,
        out: &mut GroupOut<S>,
    ) {
        let failed = |e: &dyn std::fmt::Display| {
            Some(unreadable(
                &self.path,
                &format!("cannot decode row group {g}"),
                e,
            ))
        };
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.data.clone(),
            self.meta.clone(),
        )
        .with_projection(mask.clone())
        .with_row_groups(vec![g])
        .with_batch_size(BATCH)
        .build();
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                out.failed = failed(&e);
                return;
            }
        };
        let mut cols: Vec<Option<PqCol>> = (0..self.header.len()).map(|_| None).collect();
        let mut done = 0u64;
        for batch in reader {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => {
                    out.failed = failed(&e);
                    return;
                }
            };
            for (j, &c) in self.read.iter().enumerate() {
                cols[c] = Some(PqCol::new(batch.column(j)));
            }
            for i in 0..batch.num_rows() {
                let cells = PqRow { cols: &cols, i };
                if let Err(f) = row.row(&mut out.state, &cells) {
                    out.fault = Some((done + i as u64, f));
                    return;
                }
            }
            done += batch.num_rows() as u64;
        }
    }
}

struct GroupOut<S> {
    group: usize,
    state: S,
    /// The first bad row (within the group) and what is wrong with it.
    fault: Option<(u64, Fault)>,
    /// The group could not be decoded at all.
    failed: Option<Error>,
}
