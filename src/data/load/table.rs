//! One bundle table, CSV or Parquet: finding its columns by name and
//! parsing its rows with a row function, whichever the format.

use super::cells::RowFn;
use super::chunk::Opened;
use super::parquet::{ParquetTable, Role};
use super::parse::Parsed;
use super::progress::Workers;
use crate::{Error, Result};
use std::path::Path;

/// An open table: a CSV file (plain or `.gz`) or a Parquet file.
pub(super) enum Table {
    Csv(Opened),
    Parquet(ParquetTable),
}

impl Table {
    /// Opens `path` as Parquet when it ends in `.parquet`, else as CSV.
    pub(super) fn open(path: &Path) -> Result<Table> {
        if path.extension().is_some_and(|e| e == "parquet") {
            ParquetTable::open(path).map(Table::Parquet)
        } else {
            Opened::open(path).map(Table::Csv)
        }
    }

    pub(super) fn path(&self) -> &Path {
        match self {
            Table::Csv(f) => &f.path,
            Table::Parquet(f) => &f.path,
        }
    }

    /// The column names (the CSV header, the Parquet top-level columns).
    pub(super) fn header(&self) -> &[String] {
        match self {
            Table::Csv(f) => &f.header,
            Table::Parquet(f) => &f.header,
        }
    }

    /// The index of column `name`, if present.
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.header().iter().position(|h| h == name)
    }

    /// The indices of `required` columns, or an error naming the first missing one.
    pub(super) fn require(&self, required: &[&str], optional: &str) -> Result<Vec<usize>> {
        if let Table::Csv(f) = self {
            return f.require(required, optional);
        }
        required
            .iter()
            .map(|name| {
                self.find(name).ok_or_else(|| Error::File {
                    file: self.path().to_path_buf(),
                    message: format!(
                        "missing required column `{name}` (the file has: {})",
                        self.header().join(", ")
                    ),
                    fix: format!(
                        "the table needs the columns {}{optional}; columns are matched by name, in any order",
                        required.join(",")
                    ),
                })
            })
            .collect()
    }

    /// The columns the row function reads and what each holds. A CSV file
    /// splits off only the fields up to the last of them (every field when
    /// `split_only` is false: the CSV readers that always split every field
    /// keep doing so); a Parquet file decodes only these columns and checks
    /// their types.
    pub(super) fn reads(&mut self, cols: &[(usize, Role)], split_only: bool) -> Result<()> {
        match self {
            Table::Csv(f) => {
                if split_only {
                    f.read_only(cols.iter().map(|&(c, _)| c));
                }
                Ok(())
            }
            Table::Parquet(f) => f.reads(cols),
        }
    }

    /// Parses every data row with `row`.
    pub(super) fn parse<S, I, F>(self, workers: Workers<'_>, init: I, row: &F) -> Result<Parsed<S>>
    where
        S: Send,
        I: Fn() -> S + Sync,
        F: RowFn<S>,
    {
        match self {
            Table::Csv(f) => f.parse(workers, init, row),
            Table::Parquet(f) => f.parse(workers, init, row),
        }
    }
}
