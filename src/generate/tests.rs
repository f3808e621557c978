//! Tests of the generator: presets, byte-identical reruns, and the documented
//! properties of every file.

use super::calendar::selection_days;
use super::oracle::pearson;
use super::write::push_fixed;
use super::*;
use crate::metrics::average_ranks;
use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

type Row = Vec<String>;

fn read_csv(dir: &Path, name: &str) -> (Vec<String>, Vec<Row>) {
    let mut reader = csv::Reader::from_path(dir.join(name)).expect("open csv");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("ISO date")
}

fn tiny(seed: u64) -> (tempfile::TempDir, GenerateSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = generate(&Preset::Tiny.config(), seed, dir.path()).expect("generate");
    (dir, summary)
}

const FILES: [&str; 7] = [
    "bars.csv",
    "industries.csv",
    "constituents.csv",
    "benchmark.csv",
    "factors.csv",
    "fundamentals.csv",
    "meta.json",
];

/// The trading calendar and, per symbol, its bars keyed by day index.
struct Bars {
    calendar: Vec<NaiveDate>,
    by_symbol: BTreeMap<String, BTreeMap<usize, Row>>,
}

fn load_bars(dir: &Path) -> Bars {
    let (_, rows) = read_csv(dir, "bars.csv");
    let calendar: Vec<NaiveDate> = rows
        .iter()
        .map(|r| date(&r[0]))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_symbol: BTreeMap<String, BTreeMap<usize, Row>> = BTreeMap::new();
    for r in rows {
        let t = calendar.binary_search(&date(&r[0])).expect("in calendar");
        by_symbol.entry(r[1].clone()).or_default().insert(t, r);
    }
    Bars {
        calendar,
        by_symbol,
    }
}

#[test]
fn test_preset_from_str_and_sizes() {
    let expected = [
        ("tiny", 30, 300, 5, 20),
        ("small", 300, 1_000, 30, 200),
        ("medium", 800, 2_500, 30, 533),
        ("large", 3_000, 3_000, 30, 2_000),
    ];
    for (name, n, d, ind, index) in expected {
        let preset: Preset = name.parse().expect("known preset");
        assert_eq!(preset.name(), name);
        let c = preset.config();
        assert_eq!(
            (
                c.n_stocks,
                c.n_days,
                c.n_industries,
                c.index_size,
                c.n_factors
            ),
            (n, d, ind, index, 8)
        );
        assert_eq!(c.start, NaiveDate::from_ymd_opt(2015, 1, 5).unwrap());
    }
    assert!("huge".parse::<Preset>().is_err());
    assert_eq!(GeneratorConfig::new(120, 10).n_industries, 12);
}

#[test]
fn test_push_fixed_formats() {
    let mut buf = Vec::new();
    for (v, d) in [(1234, 2), (-5, 2), (0, 6), (-1_234_567, 6), (7, 4)] {
        push_fixed(&mut buf, v, d);
        buf.push(b' ');
    }
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        "12.34 -0.05 0.000000 -1.234567 0.0007 "
    );
}

#[test]
fn test_average_ranks_ties() {
    let expected = vec![2.5, 1.0, 2.5, 4.0];
    assert_eq!(average_ranks(&[0.5, 0.1, 0.5, 0.9]), expected);
    // Spearman of a monotone transform is exactly 1.
    let x = [1.0, 2.0, 3.0, 4.0];
    let y = [1.0, 8.0, 27.0, 64.0];
    let rho = pearson(&average_ranks(&x), &average_ranks(&y)).unwrap();
    assert!((rho - 1.0).abs() < 1e-12);
    assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
}

#[test]
fn test_generate_same_seed_identical_bytes() {
    let (a, sa) = tiny(7);
    let (b, sb) = tiny(7);
    assert_eq!(sa, sb);
    for name in FILES {
        let x = std::fs::read(a.path().join(name)).unwrap();
        let y = std::fs::read(b.path().join(name)).unwrap();
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
}

#[test]
fn test_generate_different_seeds_differ() {
    let (a, _) = tiny(1);
    let (b, _) = tiny(2);
    for name in ["bars.csv", "factors.csv", "benchmark.csv", "meta.json"] {
        let x = std::fs::read(a.path().join(name)).unwrap();
        let y = std::fs::read(b.path().join(name)).unwrap();
        assert!(x != y, "{name} is the same for seeds 1 and 2");
    }
}

#[test]
fn test_generate_tiny_bars_valid() {
    let (dir, summary) = tiny(42);
    let config = Preset::Tiny.config();
    let (header, rows) = read_csv(dir.path(), "bars.csv");
    assert_eq!(
        header.join(","),
        "date,symbol,open,high,low,close,volume,amount,adj_factor,limit_up,limit_down"
    );
    assert_eq!(rows.len(), summary.bar_rows);
    // Sorted by symbol, then date, so no duplicate (date, symbol).
    for w in rows.windows(2) {
        let a = (&w[0][1], date(&w[0][0]));
        let b = (&w[1][1], date(&w[1][0]));
        assert!(a < b, "rows out of order or duplicated: {a:?} then {b:?}");
    }
    let bars = load_bars(dir.path());
    let cal = &bars.calendar;
    assert_eq!(cal.len(), config.n_days);
    assert_eq!(cal[0], config.start);
    assert!(cal
        .iter()
        .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
    assert_eq!(bars.by_symbol.len(), config.n_stocks);
    assert!(bars
        .by_symbol
        .keys()
        .all(|s| s.len() == 8 && (s.starts_with("SH60") || s.starts_with("SZ00"))));

    let (mut limit_moves, mut zero_volume, mut missing) = (0, 0, 0);
    let (mut ipos, mut delists, mut adjusted) = (0, 0, 0);
    for (symbol, days) in &bars.by_symbol {
        let first = *days.keys().next().unwrap();
        let last = *days.keys().last().unwrap();
        ipos += usize::from(first > 0);
        delists += usize::from(last + 1 < cal.len());
        missing += (last - first + 1) - days.len();
        let mut prev_close: Option<f64> = None;
        for (&t, r) in days {
            let p = |k: usize| r[k].parse::<f64>().unwrap();
            let (open, high, low, close) = (p(2), p(3), p(4), p(5));
            let volume: u64 = r[6].parse().unwrap();
            let amount = p(7);
            let adj = p(8);
            assert!(low > 0.0 && adj >= 1.0, "{symbol} {}", r[0]);
            assert!(high >= low && high >= open.max(close) && low <= open.min(close));
            for price in &r[2..=5] {
                let decimals = price.split('.').nth(1).map_or(0, str::len);
                assert_eq!(decimals, 2, "price {price} not 2 dp");
            }
            if t == first {
                assert!(r[9].is_empty() && r[10].is_empty(), "first row has limits");
                assert!(volume > 0);
            } else {
                let (up, down) = (p(9), p(10));
                assert!(
                    high <= up && low >= down,
                    "{symbol} {} outside limits",
                    r[0]
                );
                if adj == 1.0 {
                    // Half-up rounding in exact cents.
                    let pc = (prev_close.unwrap() * 100.0).round() as i64;
                    assert_eq!((up * 100.0).round() as i64, (pc * 11 + 5) / 10);
                    assert_eq!((down * 100.0).round() as i64, (pc * 9 + 5) / 10);
                }
                if volume > 0 && (close == up || close == down) {
                    limit_moves += 1;
                }
            }
            if volume == 0 {
                zero_volume += 1;
                assert_eq!(amount, 0.0);
                assert!(open == close && high == close && low == close);
                assert_eq!(Some(close), prev_close);
            } else {
                assert!(amount >= volume as f64 * low * 0.999);
                assert!(amount <= volume as f64 * high * 1.001);
            }
            adjusted += usize::from(adj > 1.0);
            prev_close = Some(close);
        }
    }
    assert!(limit_moves > 0, "no limit moves");
    assert!(zero_volume > 0, "no zero-volume suspensions");
    assert!(missing > 0, "no missing-row suspensions");
    assert!(ipos > 0 && delists > 0, "ipos {ipos} delists {delists}");
    assert!(adjusted > 0, "no corporate actions");
}

#[test]
fn test_generate_tiny_factors_and_industries() {
    let (dir, _) = tiny(42);
    let config = Preset::Tiny.config();
    let bars = load_bars(dir.path());
    let (header, rows) = read_csv(dir.path(), "factors.csv");
    assert_eq!(header.join(","), "date,symbol,f0,f1,f2,f3,f4,f5,f6,f7");
    let traded: BTreeSet<(String, NaiveDate)> = bars
        .by_symbol
        .iter()
        .flat_map(|(s, days)| {
            days.iter()
                .filter(|(_, r)| r[6] != "0")
                .map(|(&t, _)| (s.clone(), bars.calendar[t]))
        })
        .collect();
    let keys: BTreeSet<(String, NaiveDate)> =
        rows.iter().map(|r| (r[1].clone(), date(&r[0]))).collect();
    assert_eq!(keys.len(), rows.len());
    assert_eq!(keys, traded);
    let cells = rows.len() * 8;
    let empty = rows
        .iter()
        .flat_map(|r| &r[2..])
        .filter(|c| c.is_empty())
        .count();
    assert!(
        empty > 0 && (empty as f64) < 0.04 * cells as f64,
        "{empty}/{cells}"
    );
    for c in rows.iter().flat_map(|r| &r[2..]).filter(|c| !c.is_empty()) {
        assert_eq!(c.split('.').nth(1).unwrap().len(), 6);
    }

    let (_, rows) = read_csv(dir.path(), "industries.csv");
    let mut spells: BTreeMap<String, Vec<(NaiveDate, Option<NaiveDate>, String)>> = BTreeMap::new();
    for r in &rows {
        let end = (!r[3].is_empty()).then(|| date(&r[3]));
        spells
            .entry(r[0].clone())
            .or_default()
            .push((date(&r[2]), end, r[1].clone()));
    }
    assert_eq!(spells.len(), config.n_stocks);
    let names: BTreeSet<&String> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(names.len(), config.n_industries);
    assert!(names.iter().all(|n| n.starts_with("Industry")));
    let mut reclassified = 0;
    for list in spells.values() {
        if list.len() == 2 {
            reclassified += 1;
            let end = list[0].1.expect("first spell closed");
            assert!(end >= list[0].0 && end < list[1].0 && list[0].2 != list[1].2);
        }
    }
    assert!(reclassified >= 1);
}

#[test]
fn test_generate_tiny_constituents_and_benchmark() {
    let (dir, _) = tiny(42);
    let config = Preset::Tiny.config();
    let bars = load_bars(dir.path());
    let cal = &bars.calendar;
    let n_days = cal.len();
    let (header, rows) = read_csv(dir.path(), "constituents.csv");
    assert_eq!(header.join(","), "index,symbol,start_date,end_date");
    let mut spells: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for r in &rows {
        assert_eq!(r[0], INDEX_NAME);
        let a = cal.binary_search(&date(&r[2])).unwrap();
        let b = if r[3].is_empty() {
            n_days - 1
        } else {
            cal.binary_search(&date(&r[3])).unwrap()
        };
        assert!(a <= b);
        spells.entry(r[1].clone()).or_default().push((a, b));
    }
    for list in spells.values() {
        for w in list.windows(2) {
            assert!(w[0].1 + 1 < w[1].0, "overlapping or adjacent spells {w:?}");
        }
    }
    let last_bar: BTreeMap<&String, usize> = bars
        .by_symbol
        .iter()
        .map(|(s, d)| (s, *d.keys().last().unwrap()))
        .collect();
    let members = |t: usize| -> BTreeSet<&String> {
        spells
            .iter()
            .filter(|(_, l)| l.iter().any(|&(a, b)| a <= t && t <= b))
            .map(|(s, _)| s)
            .collect()
    };
    let selection = selection_days(cal);
    assert!(selection.len() >= 2);
    let mut prev = members(0);
    assert_eq!(prev.len(), config.index_size);
    for t in 1..n_days {
        let now = members(t);
        assert!(
            now.iter().all(|s| last_bar[*s] >= t),
            "member after last bar"
        );
        if selection.contains(&t) {
            assert_eq!(now.len(), config.index_size, "selection day {t}");
        } else {
            // Between selections members only leave, after their last bar.
            assert!(now.is_subset(&prev));
            for gone in prev.difference(&now) {
                assert_eq!(last_bar[*gone], t - 1);
            }
        }
        prev = now;
    }

    // Benchmark, recomputed from the written files, must match exactly.
    let (_, bench) = read_csv(dir.path(), "benchmark.csv");
    assert_eq!(bench.len(), n_days);
    let traded_adj = |s: &String, t: usize| -> Option<f64> {
        let r = bars.by_symbol[s].get(&t)?;
        (r[6] != "0").then(|| r[5].parse::<f64>().unwrap() * r[8].parse::<f64>().unwrap())
    };
    let mut level = 1000.0f64;
    for (t, row) in bench.iter().enumerate() {
        assert_eq!((date(&row[0]), row[1].as_str()), (cal[t], INDEX_NAME));
        if t > 0 {
            let (mut sum, mut count) = (0.0, 0);
            for s in members(t) {
                if let (Some(now), Some(before)) = (traded_adj(s, t), traded_adj(s, t - 1)) {
                    sum += now / before - 1.0;
                    count += 1;
                }
            }
            level *= 1.0 + if count > 0 { sum / count as f64 } else { 0.0 };
        }
        assert_eq!(row[2], format!("{level}"), "benchmark on day {t}");
    }
}

#[test]
fn test_generate_tiny_fundamentals() {
    let (dir, _) = tiny(42);
    let (header, rows) = read_csv(dir.path(), "fundamentals.csv");
    assert_eq!(
        header.join(","),
        "symbol,period_end,announce_date,field,value"
    );
    let last_day = load_bars(dir.path()).calendar.last().copied().unwrap();
    let mut first_announce: BTreeMap<(String, NaiveDate, String), NaiveDate> = BTreeMap::new();
    let mut restatements = 0;
    for r in &rows {
        let (pe, ann) = (date(&r[1]), date(&r[2]));
        assert!(matches!(
            (pe.month(), pe.day()),
            (3, 31) | (6, 30) | (9, 30) | (12, 31)
        ));
        assert!(ann <= last_day);
        assert!(r[3] == "eps" || r[3] == "bps");
        r[4].parse::<f64>().unwrap();
        let key = (r[0].clone(), pe, r[3].clone());
        match first_announce.get(&key) {
            None => {
                let lag = (ann - pe).num_days();
                assert!((20..=120).contains(&lag), "announce lag {lag}");
                first_announce.insert(key, ann);
            }
            Some(&first) => {
                restatements += 1;
                assert!((30..=90).contains(&(ann - first).num_days()));
            }
        }
    }
    assert!(rows.len() > 100);
    assert!(restatements > 0, "no restatements");
}

#[test]
fn test_generate_small_oracle_ic_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let summary = generate(&Preset::Small.config(), 42, dir.path()).unwrap();
    println!(
        "small generated in {:.2?}: ic {:?} rank ic {:?}",
        started.elapsed(),
        summary.oracle_ic,
        summary.oracle_rank_ic
    );
    let ic = |h: usize| summary.oracle_ic.iter().find(|x| x.0 == h).unwrap().1;
    assert!((0.03..=0.06).contains(&ic(1)), "1-day IC {}", ic(1));
    assert!((0.10..=0.20).contains(&ic(20)), "20-day IC {}", ic(20));
    assert!(ic(1) < ic(5) && ic(5) < ic(10) && ic(10) < ic(20));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["preset"], "small");
    assert_eq!(meta["oracle_ic"]["20"].as_f64().unwrap(), ic(20));
}

/// Writes the committed fixture:
/// `cargo test --release -- --ignored write_fixture_tiny_seed_42`.
#[test]
#[ignore = "writes the committed fixture under fixtures/tiny"]
fn write_fixture_tiny_seed_42() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny");
    let summary = generate(&Preset::Tiny.config(), 42, &out).unwrap();
    println!("wrote {}: {summary:?}", out.display());
}
