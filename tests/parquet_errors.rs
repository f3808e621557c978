//! Located errors from Parquet input: bad bars files written here with
//! arrow (several row groups), each load's error naming the file, the row
//! group, the row within it and in the file, the column, the value and the
//! fix; wrong column types; a missing column; the Arrow types accepted.

use alphasim::data::{load_market, LoadOptions};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float32Array, Float64Array, Int64Array, RecordBatch,
    StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Writes `batches` to `path` in row groups of at most `group` rows.
pub fn write_batches(path: &Path, batches: &[RecordBatch], group: usize) {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batches[0].schema(), Some(props)).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// 2020-01-01 as days since 1970-01-01 (18262, by hand: 50 years of 365
/// days plus 12 leap days).
const JAN1: i32 = 50 * 365 + 12;

/// Bars of symbols A, B, C over 4 days (12 rows, symbol-major), close =
/// 10 + row; the columns are (name, array) pairs so a test can swap one.
fn bars() -> Vec<(&'static str, ArrayRef)> {
    let n = 12;
    let date: Vec<i32> = (0..n).map(|r| JAN1 + (r % 4) as i32).collect();
    let sym: Vec<&str> = (0..n).map(|r| ["A", "B", "C"][r / 4]).collect();
    let close: Vec<f64> = (0..n).map(|r| 10.0 + r as f64).collect();
    let f = |v: &Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(v.clone())) };
    vec![
        ("date", Arc::new(Date32Array::from(date))),
        ("symbol", Arc::new(StringArray::from(sym))),
        ("open", f(&close)),
        ("high", f(&close.iter().map(|c| c + 1.0).collect())),
        ("low", f(&close.iter().map(|c| c - 1.0).collect())),
        ("close", f(&close)),
        ("volume", f(&vec![1000.0; n])),
    ]
}

fn batch(cols: Vec<(&'static str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        cols.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn set(cols: &mut [(&'static str, ArrayRef)], name: &str, a: ArrayRef) {
    cols.iter_mut().find(|(n, _)| *n == name).unwrap().1 = a;
}

/// The error (as displayed) of loading a bundle whose bars are `b`, in row
/// groups of 4 rows (groups 0, 1, 2 hold symbols A, B, C).
fn load_error(b: RecordBatch) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_batches(&dir.path().join("bars.parquet"), &[b], 4);
    let e = load_market(dir.path(), &LoadOptions::default()).unwrap_err();
    e.to_string()
}

#[test]
fn test_parquet_error_negative_price_in_row_group_2() {
    let mut cols = bars();
    // Row 9 of the file: row group 2 (rows 8..12), row 1 in it.
    let mut close: Vec<f64> = (0..12).map(|r| 10.0 + r as f64).collect();
    close[9] = -1.5;
    set(&mut cols, "close", Arc::new(Float64Array::from(close)));
    let e = load_error(batch(cols));
    assert!(
        e.contains("bars.parquet: row 9 (row group 2, row 1; counted from 0), column `close`: negative close price (value `-1.5`)"),
        "{e}"
    );
    assert!(
        e.contains("fix: prices are raw prices and cannot be negative"),
        "{e}"
    );
}

#[test]
fn test_parquet_error_high_below_low_nan_and_empty_symbol() {
    let mut cols = bars();
    let mut high: Vec<f64> = (0..12).map(|r| 11.0 + r as f64).collect();
    high[6] = 5.0; // row group 1, row 2: low is 15
    set(&mut cols, "high", Arc::new(Float64Array::from(high)));
    let e = load_error(batch(cols));
    assert!(
        e.contains(
            "row 6 (row group 1, row 2; counted from 0), column `high`: high 5 is below low 15"
        ),
        "{e}"
    );

    let mut cols = bars();
    let mut vol = vec![1000.0; 12];
    vol[3] = f64::NAN;
    set(&mut cols, "volume", Arc::new(Float64Array::from(vol)));
    let e = load_error(batch(cols));
    assert!(
        e.contains(
            "row 3 (row group 0, row 3; counted from 0), column `volume`: NaN is not allowed"
        ),
        "{e}"
    );

    let mut cols = bars();
    let sym: Vec<Option<&str>> = (0..12).map(|r| (r != 5).then_some("A")).collect();
    set(&mut cols, "symbol", Arc::new(StringArray::from(sym)));
    let e = load_error(batch(cols));
    assert!(
        e.contains("row 5 (row group 1, row 1; counted from 0), column `symbol`: empty symbol"),
        "{e}"
    );
}

#[test]
fn test_parquet_error_duplicate_row_names_both_places() {
    let mut cols = bars();
    // Row 10 (C's third day) repeats C's second day (row 9).
    let date: Vec<i32> = (0..12)
        .map(|r| JAN1 + if r == 10 { 1 } else { r % 4 })
        .collect();
    set(&mut cols, "date", Arc::new(Date32Array::from(date)));
    let e = load_error(batch(cols));
    assert!(
        e.contains("row 10 (row group 2, row 2; counted from 0), column `symbol`: duplicate bar: row 9 (row group 2, row 1) already has C on 2020-01-02"),
        "{e}"
    );
}

#[test]
fn test_parquet_error_wrong_type_and_missing_column() {
    let mut cols = bars();
    set(
        &mut cols,
        "date",
        Arc::new(Int64Array::from(vec![20200101_i64; 12])),
    );
    let e = load_error(batch(cols));
    assert!(
        e.contains("bars.parquet: column `date` has type Int64"),
        "{e}"
    );
    assert!(e.contains("`date` must be date32, a timestamp without time zone at midnight, or a string YYYY-MM-DD"), "{e}");

    let mut cols = bars();
    set(
        &mut cols,
        "volume",
        Arc::new(BooleanArray::from(vec![true; 12])),
    );
    let e = load_error(batch(cols));
    assert!(e.contains("column `volume` has type Boolean"), "{e}");
    assert!(
        e.contains("float64, float32, a signed or unsigned integer"),
        "{e}"
    );

    let cols: Vec<_> = bars().into_iter().filter(|(n, _)| *n != "volume").collect();
    let e = load_error(batch(cols));
    assert!(
        e.contains(
            "missing required column `volume` (the file has: date, symbol, open, high, low, close)"
        ),
        "{e}"
    );
}

/// Other Arrow types of the same values load to the same market: dates
/// as midnight timestamps or strings, prices as float32, volumes as int64.
#[test]
fn test_parquet_accepted_types_give_the_same_market() {
    let load = |b: RecordBatch| {
        let dir = tempfile::tempdir().unwrap();
        write_batches(&dir.path().join("bars.parquet"), &[b], 5);
        crate::parquet_bundle::market_dump(
            &load_market(dir.path(), &LoadOptions::default()).unwrap(),
        )
    };
    let reference = load(batch(bars()));
    let mut cols = bars();
    let ms: Vec<i64> = (0..12)
        .map(|r| i64::from(JAN1 + r % 4) * 86_400_000)
        .collect();
    set(
        &mut cols,
        "date",
        Arc::new(TimestampMillisecondArray::from(ms)),
    );
    // 10 + row is exact in f32.
    let close32: Vec<f32> = (0..12).map(|r| 10.0 + r as f32).collect();
    set(&mut cols, "close", Arc::new(Float32Array::from(close32)));
    set(
        &mut cols,
        "volume",
        Arc::new(Int64Array::from(vec![1000_i64; 12])),
    );
    assert_eq!(load(batch(cols)), reference);

    let mut cols = bars();
    let text: Vec<String> = (0..12).map(|r| format!("2020-01-0{}", 1 + r % 4)).collect();
    set(&mut cols, "date", Arc::new(StringArray::from(text)));
    assert_eq!(load(batch(cols)), reference);
    assert_eq!(bars()[0].1.data_type(), &DataType::Date32);

    // A timestamp that is not midnight is an error, located.
    let mut cols = bars();
    let mut ms: Vec<i64> = (0..12)
        .map(|r| i64::from(JAN1 + r % 4) * 86_400_000)
        .collect();
    ms[7] += 3_600_000;
    set(
        &mut cols,
        "date",
        Arc::new(TimestampMillisecondArray::from(ms)),
    );
    let e = load_error(batch(cols));
    assert!(
        e.contains("row 7 (row group 1, row 3; counted from 0), column `date`: the timestamp is not at midnight"),
        "{e}"
    );
}
