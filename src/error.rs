//! The crate's one error type.
//!
//! Data errors carry the file, line (or Parquet row group and row) and
//! column of the bad value and say what to do about it; configuration errors name the key and the file.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad value in an input file. `line` is 1-based and counts the header
    /// as line 1; `column` is the 1-based column number and its header name.
    #[error("{file}:{line}:{column_number} (column `{column}`): {message} (value `{value}`)\n  fix: {fix}")]
    Data {
        file: PathBuf,
        line: u64,
        column_number: usize,
        column: String,
        value: String,
        message: String,
        fix: String,
    },
    /// A bad value in a Parquet file: `row` counts the data rows of the
    /// whole file, `group_row` those of row group `row_group` (all 0-based,
    /// as pyarrow counts them: `read_row_group(row_group).slice(group_row)`).
    #[error("{file}: row {row} (row group {row_group}, row {group_row}; counted from 0), column `{column}`: {message} (value `{value}`)\n  fix: {fix}")]
    ParquetData {
        file: PathBuf,
        row_group: usize,
        group_row: u64,
        row: u64,
        column: String,
        value: String,
        message: String,
        fix: String,
    },
    /// A problem with a whole file (missing, empty, missing column).
    #[error("{file}: {message}\n  fix: {fix}")]
    File {
        file: PathBuf,
        message: String,
        fix: String,
    },
    /// A bad strategy spec.
    #[error("{file}: {message}")]
    Spec { file: PathBuf, message: String },
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `--strict`: warnings that were asked to count as errors.
    #[error("--strict: {} warning(s) treated as errors:\n{}\n  fix: correct the data or the spec, or run without --strict to accept them as warnings", warnings.len(), warnings.iter().map(|w| format!("  - {w}")).collect::<Vec<_>>().join("\n"))]
    Strict { warnings: Vec<String> },
    /// A run-time problem that is not the input's fault.
    #[error("{0}")]
    Run(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// `Ok` without warnings; with some, [`Error::Strict`] listing them.
    pub fn strict(warnings: &[String]) -> Result<()> {
        if warnings.is_empty() {
            Ok(())
        } else {
            Err(Error::Strict {
                warnings: warnings.to_vec(),
            })
        }
    }

    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
