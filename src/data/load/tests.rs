//! Tests of the loader: equal results across orders and compressions, and the
//! file, line and column of every validation error.

use super::fields::{parse_day, parse_num, to_date};
use super::files::file_name;
use super::*;
use crate::data::{Date, IndustryId, SymbolId};
use crate::Error;
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
    load_market(
        dir,
        &LoadOptions {
            threads: 2,
            ..Default::default()
        },
    )
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
    let cons =
        "index,symbol,start_date,end_date\ncsi,AAA,2024-01-01,\ncsi,BBB,2023-01-01,2024-01-03\n";
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
    let ma = load_market(
        a.path(),
        &LoadOptions {
            threads: 3,
            ..Default::default()
        },
    )
    .expect("a");
    let mb = load_market(
        b.path(),
        &LoadOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("b");
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
    assert_eq!(m.bars.amount.as_deref(), Some(&[7.5][..]));
    assert_eq!(m.bars.limit_up.as_deref(), Some(&[1.65][..]));
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
    let fac =
        "date,symbol,value,size\n2024-01-03,BBB,0.5,\n2024-01-02,BBB,1,2\n2024-01-02,AAA,-1,3\n";
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
    let text = "date,symbol,open,high,low,close,volume,adj_factor\n2024-01-02,AAA,1,1,1,1,5,0\n";
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
    let text = format!("{HEADER}2024-01-02,\"AAA\",1,1,1,1,5\n\"2024-01-03\",AAA,1,\"x\",1,1,5\n");
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
    let fund = "symbol,period_end,announce_date,field,value\nAAA,2023-12-31,2024-03-01,eps,abc\n";
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
    for s in [
        "1.2.3", "-", ".", "1,5", "--1", "0x10", "1.-2", "+-1", "1..", "5.e3",
    ] {
        let ours = parse_num(s.as_bytes(), 0, false).map(f64::to_bits).ok();
        let std = s.parse::<f64>().ok().map(f64::to_bits);
        assert_eq!(ours, std, "{s}");
    }
}

proptest::proptest! {
    /// Decimals as data files write them (sign, up to 22 digits, a point
    /// anywhere, an exponent now and then): the loader's number is std's,
    /// bit for bit (std parses correctly rounded), and the same strings are
    /// rejected.
    #[test]
    fn test_fast_f64_matches_std_on_random_decimals(
        sign in proptest::sample::select(vec!["", "-", "+"]),
        digits in "[0-9]{0,22}",
        point in proptest::option::of(0usize..23),
        exp in proptest::option::of(-30i32..30),
    ) {
        let mut s = String::from(sign);
        let cut = point.map(|p| p.min(digits.len()));
        for (i, c) in digits.chars().enumerate() {
            if cut == Some(i) {
                s.push('.');
            }
            s.push(c);
        }
        if cut == Some(digits.len()) {
            s.push('.');
        }
        if let Some(x) = exp {
            s.push_str(&format!("e{x}"));
        }
        let std = s.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
        let ours = parse_num(s.as_bytes(), 0, false).ok().map(f64::to_bits);
        proptest::prop_assert_eq!(ours, std, "{}", s);
    }
}
