//! One bundle table (CSV, `.csv.gz` or Parquet) read into typed Arrow
//! record batches, one per parsed chunk, for `alphasim convert`.
//!
//! Each column the loader reads for the table's kind is written with the
//! type of what it holds: dates as date32, numbers as float64, names as
//! utf8; an empty cell is a null. Values go through the loader's own cell
//! rules ([`Cells`]), so loading the written Parquet gives exactly the
//! values (and the empty cells) the source gives. Columns the loader does
//! not read for that kind are not written (they are returned by name).

use super::cells::{Cells, RowFn};
use super::files::FileKind;
use super::location::Fault;
use super::parquet::Role;
use super::progress::Workers;
use super::table::Table;
use crate::{Error, Result};
use arrow_array::builder::{Date32Builder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::path::Path;
use std::sync::Arc;

/// A table as Arrow: its schema, one batch per parsed chunk (in file
/// order), and the source columns left out.
pub(crate) struct ArrowTable {
    pub(crate) schema: SchemaRef,
    pub(crate) batches: Vec<RecordBatch>,
    pub(crate) dropped: Vec<String>,
}

/// What the loader reads in each column of a `kind` table: `None` for a
/// column it ignores.
fn role(kind: FileKind, name: &str) -> Option<Role> {
    use FileKind as K;
    let dates: &[&str] = match kind {
        K::Bars | K::Benchmark | K::Factors | K::IndexWeights => &["date"],
        K::Constituents | K::Industries => &["start_date", "end_date"],
        K::Fundamentals => &["period_end", "announce_date"],
    };
    let names: &[&str] = match kind {
        K::Bars | K::Factors => &["symbol"],
        K::Constituents | K::IndexWeights => &["index", "symbol"],
        K::Industries => &["symbol", "industry"],
        K::Benchmark => &["index"],
        K::Fundamentals => &["symbol", "field"],
    };
    let numbers: &[&str] = match kind {
        K::Bars => &crate::data::BAR_COLUMNS[2..],
        K::Benchmark => &["close"],
        K::Fundamentals => &["value"],
        K::IndexWeights => &["weight"],
        K::Constituents | K::Industries | K::Factors => &[],
    };
    if dates.contains(&name) {
        Some(Role::Date)
    } else if names.contains(&name) {
        Some(Role::Name)
    } else if numbers.contains(&name) || kind == K::Factors {
        Some(Role::Number)
    } else {
        None
    }
}

enum Builder {
    Date(Date32Builder),
    Number(Float64Builder),
    Name(StringBuilder),
}

struct Columns(Vec<(usize, Role)>);

impl RowFn<Vec<Builder>> for Columns {
    fn row<C: Cells + ?Sized>(&self, s: &mut Vec<Builder>, f: &C) -> Result<(), Fault> {
        if s.is_empty() {
            s.extend(self.0.iter().map(|&(_, r)| match r {
                Role::Date => Builder::Date(Date32Builder::new()),
                Role::Number => Builder::Number(Float64Builder::new()),
                Role::Name => Builder::Name(StringBuilder::new()),
            }));
        }
        for (b, &(c, _)) in s.iter_mut().zip(&self.0) {
            let empty = f.is_empty(c);
            match b {
                Builder::Date(b) if empty => b.append_null(),
                Builder::Date(b) => b.append_value(f.day(c)?),
                Builder::Number(b) if empty => b.append_null(),
                Builder::Number(b) => b.append_value(f.num(c, false)?),
                Builder::Name(b) if empty => b.append_null(),
                Builder::Name(b) => {
                    let name = f.name(c);
                    let text = std::str::from_utf8(name).map_err(|_| {
                        Fault::new(c, name, "not valid UTF-8", "save the file as UTF-8")
                    })?;
                    b.append_value(text);
                }
            }
        }
        Ok(())
    }
}

/// Reads the `kind` table at `path` into Arrow batches.
pub(crate) fn table_to_arrow(kind: FileKind, path: &Path, threads: usize) -> Result<ArrowTable> {
    let mut table = Table::open(path)?;
    let header = table.header().to_vec();
    let mut cols = Vec::new();
    let mut dropped = Vec::new();
    for (c, name) in header.iter().enumerate() {
        match role(kind, name) {
            Some(r) => cols.push((c, r)),
            None => dropped.push(name.clone()),
        }
    }
    table.reads(&cols, false)?;
    let schema: SchemaRef = Arc::new(Schema::new(
        cols.iter()
            .map(|&(c, r)| {
                let t = match r {
                    Role::Date => DataType::Date32,
                    Role::Number => DataType::Float64,
                    Role::Name => DataType::Utf8,
                };
                Field::new(header[c].clone(), t, true)
            })
            .collect::<Vec<_>>(),
    ));
    let workers = Workers {
        threads,
        progress: None,
    };
    let columns = Columns(cols);
    let parsed = table.parse(workers, Vec::new, &columns)?;
    let mut batches = Vec::with_capacity(parsed.states.len());
    for state in parsed.states {
        if state.is_empty() {
            continue; // a chunk without rows
        }
        let arrays: Vec<ArrayRef> = state
            .into_iter()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Date(mut b) => Arc::new(b.finish()),
                    Builder::Number(mut b) => Arc::new(b.finish()),
                    Builder::Name(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::File {
            file: path.to_path_buf(),
            message: format!("cannot assemble the converted rows: {e}"),
            fix: "report this as a bug".to_owned(),
        })?;
        batches.push(batch);
    }
    Ok(ArrowTable {
        schema,
        batches,
        dropped,
    })
}
