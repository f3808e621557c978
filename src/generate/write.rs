//! Writing the bundle's CSV files with the `csv` crate, numbers formatted with
//! a fixed number of decimals.

use crate::{Error, Result};
use std::fmt::Display;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One CSV file of the bundle, written record by record through the `csv`
/// crate (default dialect: `,` separated, `\n` terminated, quoting only
/// where a field needs it, which no generated field does). A record is built
/// field by field in a reusable [`csv::ByteRecord`], so numbers are formatted
/// without allocating.
pub(super) struct CsvOut {
    path: PathBuf,
    writer: csv::Writer<File>,
    record: csv::ByteRecord,
    scratch: Vec<u8>,
}

impl CsvOut {
    /// Creates `dir/name` and writes the header record.
    pub(super) fn create<H: AsRef<[u8]>>(
        dir: &Path,
        name: &str,
        header: impl IntoIterator<Item = H>,
    ) -> Result<Self> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let writer = csv::WriterBuilder::new()
            .buffer_capacity(1 << 20)
            .from_writer(file);
        let mut out = CsvOut {
            path,
            writer,
            record: csv::ByteRecord::new(),
            scratch: Vec::with_capacity(64),
        };
        for name in header {
            out.field(name);
        }
        out.end_record()?;
        Ok(out)
    }

    /// Appends a field given as text.
    pub(super) fn field(&mut self, value: impl AsRef<[u8]>) {
        self.record.push_field(value.as_ref());
    }

    /// Appends an empty field.
    pub(super) fn empty(&mut self) {
        self.record.push_field(b"");
    }

    /// Appends `v / 10^decimals` with exactly `decimals` decimals.
    pub(super) fn fixed(&mut self, v: i64, decimals: u32) {
        self.scratch.clear();
        push_fixed(&mut self.scratch, v, decimals);
        self.record.push_field(&self.scratch);
    }

    /// Appends a non-negative integer.
    pub(super) fn count(&mut self, v: u64) {
        self.scratch.clear();
        push_u64(&mut self.scratch, v);
        self.record.push_field(&self.scratch);
    }

    /// Appends a value formatted with [`Display`] (e.g. `{}` of an `f64`,
    /// or a `{:.9}` through `format_args!`).
    pub(super) fn display(&mut self, v: impl Display) {
        self.scratch.clear();
        write!(self.scratch, "{v}").expect("write to Vec");
        self.record.push_field(&self.scratch);
    }

    /// Writes the record built so far and starts the next one.
    pub(super) fn end_record(&mut self) -> Result<()> {
        let result = self.writer.write_byte_record(&self.record);
        self.record.clear();
        result.map_err(|e| Error::io(&self.path, e.into()))
    }

    /// Flushes the file.
    pub(super) fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Writes the decimal digits of `v`.
fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[k..]);
}

/// Writes `v / 10^decimals` with exactly `decimals` decimals.
pub(super) fn push_fixed(buf: &mut Vec<u8>, v: i64, decimals: u32) {
    if v < 0 {
        buf.push(b'-');
    }
    let a = v.unsigned_abs();
    let p = 10u64.pow(decimals);
    push_u64(buf, a / p);
    buf.push(b'.');
    let frac = a % p;
    let mut digits = [b'0'; 20];
    let mut rest = frac;
    for k in (0..decimals as usize).rev() {
        digits[k] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buf.extend_from_slice(&digits[..decimals as usize]);
}
