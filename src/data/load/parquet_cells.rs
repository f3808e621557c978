//! A Parquet row as [`Cells`]: the decoded Arrow columns of a batch, read
//! with the same rules (and through the same field parsers where the value
//! is text) as a CSV row, so both give the same values and messages.
//!
//! A null is an empty cell. Numbers widen to `f64` (exactly for float32 and
//! integers up to 2^53; larger integers round to the nearest `f64`, as their
//! decimal text would in a CSV file); NaN and ±inf are rejected as in CSV.
//! Dates are date32 or midnight timestamps (any unit, no time zone) within
//! the years 0000–9999 that a CSV date can spell; string columns are parsed
//! exactly as CSV text.

use super::cells::Cells;
use super::fields::{days_from_civil, parse_day, parse_num, to_date};
use super::location::Fault;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, BinaryArray, Date32Array, Float64Array, StringArray};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, TimeUnit};
use std::borrow::Cow;

/// One decoded column of a batch, in the form its cells are read from.
pub(super) enum PqCol {
    F64(Float64Array),
    /// Any other number type, widened to `f64`.
    Num(Vec<f64>, Option<NullBuffer>),
    Date(Date32Array),
    /// A timestamp column: its values and their units per day.
    Ts(ScalarBuffer<i64>, Option<NullBuffer>, i64),
    Str(StringArray),
    Bin(BinaryArray),
}

macro_rules! widen {
    ($a:expr, $t:ty) => {{
        let p = $a.as_primitive::<$t>();
        PqCol::Num(
            p.values().iter().map(|&v| v as f64).collect(),
            p.nulls().cloned(),
        )
    }};
}

macro_rules! stamps {
    ($a:expr, $t:ty, $per_day:expr) => {{
        let p = $a.as_primitive::<$t>();
        PqCol::Ts(p.values().clone(), p.nulls().cloned(), $per_day)
    }};
}

impl PqCol {
    /// The column of an array whose type [`super::parquet::Role`] accepted.
    pub(super) fn new(a: &ArrayRef) -> PqCol {
        const DAY: i64 = 86_400;
        match a.data_type() {
            DataType::Float64 => PqCol::F64(a.as_primitive::<Float64Type>().clone()),
            DataType::Float32 => widen!(a, Float32Type),
            DataType::Int8 => widen!(a, Int8Type),
            DataType::Int16 => widen!(a, Int16Type),
            DataType::Int32 => widen!(a, Int32Type),
            DataType::Int64 => widen!(a, Int64Type),
            DataType::UInt8 => widen!(a, UInt8Type),
            DataType::UInt16 => widen!(a, UInt16Type),
            DataType::UInt32 => widen!(a, UInt32Type),
            DataType::UInt64 => widen!(a, UInt64Type),
            DataType::Date32 => PqCol::Date(a.as_primitive::<Date32Type>().clone()),
            DataType::Timestamp(TimeUnit::Second, None) => stamps!(a, TimestampSecondType, DAY),
            DataType::Timestamp(TimeUnit::Millisecond, None) => {
                stamps!(a, TimestampMillisecondType, DAY * 1_000)
            }
            DataType::Timestamp(TimeUnit::Microsecond, None) => {
                stamps!(a, TimestampMicrosecondType, DAY * 1_000_000)
            }
            DataType::Timestamp(TimeUnit::Nanosecond, None) => {
                stamps!(a, TimestampNanosecondType, DAY * 1_000_000_000)
            }
            DataType::Utf8 => PqCol::Str(a.as_string::<i32>().clone()),
            DataType::Binary => PqCol::Bin(a.as_binary::<i32>().clone()),
            t => unreachable!("column type {t} passed the type check"),
        }
    }

    #[inline]
    fn is_null(&self, i: usize) -> bool {
        let nulls = match self {
            PqCol::F64(a) => a.nulls(),
            PqCol::Num(_, n) | PqCol::Ts(_, n, _) => n.as_ref(),
            PqCol::Date(a) => a.nulls(),
            PqCol::Str(a) => a.nulls(),
            PqCol::Bin(a) => a.nulls(),
        };
        nulls.is_some_and(|n| n.is_null(i))
    }
}

/// Row `i` of a batch; `cols` is indexed by file column (None: not read).
pub(super) struct PqRow<'a> {
    pub(super) cols: &'a [Option<PqCol>],
    pub(super) i: usize,
}

/// The first and last day a CSV date can spell (0000-01-01, 9999-12-31).
fn day_range() -> std::ops::RangeInclusive<i32> {
    days_from_civil(0, 1, 1)..=days_from_civil(9999, 12, 31)
}

const DATE_FIX: &str = "write dates as date32 (pyarrow: pa.date32()), as midnight timestamps, or as strings YYYY-MM-DD";

impl PqRow<'_> {
    #[inline]
    fn col(&self, col: usize) -> &PqCol {
        self.cols[col].as_ref().expect("a declared column")
    }

    fn checked_day(&self, col: usize, day: i64) -> Result<i32, Fault> {
        let d = day.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        if i64::from(d) == day && day_range().contains(&d) {
            return Ok(d);
        }
        Err(Fault::new(
            col,
            &self.text(col),
            "the date is outside the years 0000-9999",
            DATE_FIX,
        ))
    }
}

impl Cells for PqRow<'_> {
    fn text(&self, col: usize) -> Cow<'_, [u8]> {
        let c = self.col(col);
        let i = self.i;
        if c.is_null(i) {
            return Cow::Borrowed(b"");
        }
        let owned = |s: String| Cow::Owned(s.into_bytes());
        match c {
            PqCol::F64(a) => owned(a.value(i).to_string()),
            PqCol::Num(v, _) => owned(v[i].to_string()),
            PqCol::Date(a) => {
                let d = a.value(i);
                if day_range().contains(&d) {
                    owned(to_date(d).to_string())
                } else {
                    owned(format!("date32 {d}"))
                }
            }
            PqCol::Ts(v, _, per_day) => owned(format!("timestamp {} ({} per day)", v[i], per_day)),
            PqCol::Str(a) => Cow::Borrowed(a.value(i).as_bytes()),
            PqCol::Bin(a) => Cow::Borrowed(a.value(i)),
        }
    }

    #[inline]
    fn is_empty(&self, col: usize) -> bool {
        let c = self.col(col);
        c.is_null(self.i)
            || match c {
                PqCol::Str(a) => a.value(self.i).is_empty(),
                PqCol::Bin(a) => a.value(self.i).is_empty(),
                _ => false,
            }
    }

    fn day(&self, col: usize) -> Result<i32, Fault> {
        let c = self.col(col);
        let i = self.i;
        if c.is_null(i) {
            return parse_day(b"", col);
        }
        match c {
            PqCol::Date(a) => self.checked_day(col, i64::from(a.value(i))),
            PqCol::Ts(v, _, per_day) => {
                if v[i].rem_euclid(*per_day) != 0 {
                    return Err(Fault::new(
                        col,
                        &self.text(col),
                        "the timestamp is not at midnight (a date has no time of day)",
                        DATE_FIX,
                    ));
                }
                self.checked_day(col, v[i].div_euclid(*per_day))
            }
            PqCol::Str(a) => parse_day(a.value(i).as_bytes(), col),
            _ => unreachable!("a date column is date32, timestamp or string"),
        }
    }

    fn opt_day(&self, col: usize) -> Result<Option<i32>, Fault> {
        if self.is_empty(col) {
            Ok(None)
        } else {
            self.day(col).map(Some)
        }
    }

    #[inline]
    fn num(&self, col: usize, empty_ok: bool) -> Result<f64, Fault> {
        let c = self.col(col);
        let i = self.i;
        if c.is_null(i) {
            return parse_num(b"", col, empty_ok);
        }
        let v = match c {
            PqCol::F64(a) => a.value(i),
            PqCol::Num(v, _) => v[i],
            PqCol::Str(a) => return parse_num(a.value(i).as_bytes(), col, empty_ok),
            _ => unreachable!("a number column is a number or string type"),
        };
        if v.is_finite() {
            Ok(v)
        } else {
            // NaN and ±inf: the message the CSV text `NaN` / `inf` gets.
            parse_num(v.to_string().as_bytes(), col, empty_ok)
        }
    }

    #[inline]
    fn name(&self, col: usize) -> &[u8] {
        let c = self.col(col);
        if c.is_null(self.i) {
            return b"";
        }
        match c {
            PqCol::Str(a) => a.value(self.i).as_bytes(),
            PqCol::Bin(a) => a.value(self.i),
            _ => unreachable!("a name column is string or binary"),
        }
    }
}
