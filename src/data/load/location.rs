//! Where a row came from: the file, line (CSV) or row group and row
//! (Parquet) and column an error names, and row references into parsed
//! chunks.

use super::files::file_name;
use crate::Error;
use std::path::PathBuf;

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
    pub(super) fn new(
        col: usize,
        value: &[u8],
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Fault {
            col,
            value: shown(value),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// A value as shown in an error (lossy UTF-8, cut to a readable length).
pub(super) fn shown(value: &[u8]) -> String {
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
pub(super) struct ChunkLines {
    pub(super) first_row: u64,
    pub(super) first_line: u64,
    /// `(row, line)` pairs, relative to the chunk, where rows stop following
    /// lines one-to-one (after a blank line or a multi-line quoted record).
    pub(super) jumps: Vec<(u32, u32)>,
}

impl ChunkLines {
    pub(super) fn local_line(&self, row: u32) -> u32 {
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

/// Where every row of a file came from: maps a row (in file order) to its
/// line (CSV) or to its row group and row (Parquet, where a chunk is a row
/// group and `first_line` is unused).
#[derive(Debug)]
pub(crate) struct Lines {
    pub(super) path: PathBuf,
    pub(super) header: Vec<String>,
    pub(super) chunks: Vec<ChunkLines>,
    pub(super) rows: u64,
    pub(super) parquet: bool,
}

impl Lines {
    /// Where data row `row` (0-based, file order) is, as messages say it:
    /// `line 12` (CSV), `row 1041 (row group 2, row 17)` (Parquet, 0-based).
    pub(super) fn place_of(&self, row: u64) -> String {
        if self.parquet {
            let g = self.chunks.partition_point(|c| c.first_row <= row) - 1;
            parquet_place(g, row - self.chunks[g].first_row, row)
        } else {
            format!("line {}", self.line_of(row))
        }
    }

    /// [`Lines::place_of`] of a [`RowRef`].
    pub(super) fn place_of_ref(&self, r: RowRef) -> String {
        if self.parquet {
            let (g, l) = split_ref(r);
            parquet_place(g, l as u64, self.chunks[g].first_row + l as u64)
        } else {
            format!("line {}", self.line_of_ref(r))
        }
    }

    /// The error for a bad value in row `local` of row group `group` of a
    /// Parquet file.
    pub(super) fn parquet_error(&self, group: usize, local: u64, fault: Fault) -> Error {
        Error::ParquetData {
            file: self.path.clone(),
            row_group: group,
            group_row: local,
            row: self.chunks[group].first_row + local,
            column: self.column_name(fault.col),
            value: fault.value,
            message: fault.message,
            fix: fault.fix,
        }
    }

    /// 1-based line of data row `row` (0-based, file order; the header is line 1).
    pub(super) fn line_of(&self, row: u64) -> u64 {
        let i = self.chunks.partition_point(|c| c.first_row <= row) - 1;
        let c = &self.chunks[i];
        c.first_line + u64::from(c.local_line((row - c.first_row) as u32))
    }

    pub(super) fn column_name(&self, col: usize) -> String {
        self.header
            .get(col)
            .cloned()
            .unwrap_or_else(|| "<extra field>".to_owned())
    }

    pub(super) fn error_at_line(&self, line: u64, fault: Fault) -> Error {
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

    pub(super) fn error(&self, row: u64, fault: Fault) -> Error {
        if self.parquet {
            let g = self.chunks.partition_point(|c| c.first_row <= row) - 1;
            return self.parquet_error(g, row - self.chunks[g].first_row, fault);
        }
        self.error_at_line(self.line_of(row), fault)
    }

    pub(super) fn file_name(&self) -> String {
        file_name(&self.path)
    }
}

/// A row reference: `(chunk << 32) | row within the chunk`. Ordering these
/// numbers is file order.
pub(super) type RowRef = u64;

pub(super) fn row_ref(chunk: usize, row: usize) -> RowRef {
    ((chunk as u64) << 32) | row as u64
}

pub(super) fn split_ref(r: RowRef) -> (usize, usize) {
    ((r >> 32) as usize, (r & 0xFFFF_FFFF) as usize)
}

impl Lines {
    /// The line of a [`RowRef`].
    pub(super) fn line_of_ref(&self, r: RowRef) -> u64 {
        let (c, l) = split_ref(r);
        let chunk = &self.chunks[c];
        chunk.first_line + u64::from(chunk.local_line(l as u32))
    }

    pub(super) fn error_ref(&self, r: RowRef, fault: Fault) -> Error {
        if self.parquet {
            let (g, l) = split_ref(r);
            return self.parquet_error(g, l as u64, fault);
        }
        self.error_at_line(self.line_of_ref(r), fault)
    }
}

fn parquet_place(group: usize, local: u64, row: u64) -> String {
    format!("row {row} (row group {group}, row {local})")
}
