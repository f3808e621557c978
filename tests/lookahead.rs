//! The look-ahead test: run a spec, then change every bar, factor, report,
//! membership, industry and benchmark record dated after a day D (scale
//! prices, negate factors, drop rows, end and add spells) and run again: every
//! NAV row, position, trade and IC known by D must be byte-identical.

use crate::common::{copy_bundle, root, run, spec_text};
use std::path::Path;

/// Rewrites `file` row by row; `f(header, fields) -> Option<fields>` (None drops the row).
fn rewrite(path: &Path, mut f: impl FnMut(&[String], Vec<String>) -> Option<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("read");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut out = header.join(",") + "\n";
    for line in lines {
        let fields: Vec<String> = line.split(',').map(str::to_owned).collect();
        if let Some(new) = f(&header, fields) {
            out.push_str(&new.join(","));
            out.push('\n');
        }
    }
    std::fs::write(path, out).expect("write");
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column {name}"))
}

fn scale(x: &str, k: f64) -> String {
    if x.is_empty() {
        return String::new();
    }
    format!("{:.2}", x.parse::<f64>().unwrap() * k)
}

pub fn alter_after(dir: &Path, d: &str) {
    // Each symbol's last row stays: removing it would move the symbol's delisting
    // (a record of its own, known on its last day) to before D.
    let bars = dir.join("bars.csv");
    let text = std::fs::read_to_string(&bars).unwrap();
    let mut last: std::collections::HashMap<String, String> = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let e = last.entry(f[1].to_owned()).or_default();
        if f[0] > e.as_str() {
            *e = f[0].to_owned();
        }
    }
    let mut n = 0u64;
    rewrite(&bars, |h, mut f| {
        if f[0].as_str() <= d {
            return Some(f);
        }
        n += 1;
        if n % 7 == 0 && last[&f[1]] != f[0] {
            return None;
        }
        for name in ["open", "high", "low", "close", "limit_up", "limit_down"] {
            if let Some(c) = h.iter().position(|x| x == name) {
                f[c] = scale(&f[c], 1.37);
            }
        }
        let v = col(h, "volume");
        f[v] = scale(&f[v], 3.0);
        Some(f)
    });
    rewrite(&dir.join("factors.csv"), |_, mut f| {
        if f[0].as_str() > d {
            for x in f.iter_mut().skip(2) {
                if !x.is_empty() {
                    *x = format!("{}", -x.parse::<f64>().unwrap());
                }
            }
        }
        Some(f)
    });
    rewrite(&dir.join("fundamentals.csv"), |h, mut f| {
        let (a, v) = (col(h, "announce_date"), col(h, "value"));
        if f[a].as_str() >= d {
            f[v] = format!("{}", f[v].parse::<f64>().unwrap() * 3.0 + 1.0);
        }
        Some(f)
    });
    rewrite(&dir.join("constituents.csv"), |h, mut f| {
        let (s, e) = (col(h, "start_date"), col(h, "end_date"));
        if f[s].as_str() > d {
            return None; // joins after D never happen
        }
        if f[e].is_empty() || f[e].as_str() > d {
            f[e] = String::new(); // members after D stay members
        }
        Some(f)
    });
    rewrite(&dir.join("industries.csv"), |h, f| {
        let s = col(h, "start_date");
        (f[s].is_empty() || f[s].as_str() <= d).then_some(f)
    });
    rewrite(&dir.join("benchmark.csv"), |h, mut f| {
        let c = col(h, "close");
        if f[0].as_str() > d {
            f[c] = format!("{}", f[c].parse::<f64>().unwrap() * 0.8);
        }
        Some(f)
    });
}

#[test]
fn test_lookahead_records_up_to_d_unchanged_by_later_data() {
    let text = r#"
        data = "."
        index = "synth"
        ic_horizon = 5
        [model]
        kind = "ew"
        [schedule]
        rebalance = "weekly"
    "#;
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let altered = copy_bundle(&root().join("fixtures/tiny"));
    let base = run(&spec_text(text, original.path()));
    let dates: Vec<String> = base
        .records
        .daily
        .iter()
        .map(|x| x.date.to_string())
        .collect();
    let d = dates[dates.len() / 2].clone();
    alter_after(altered.path(), &d);
    let changed = run(&spec_text(text, altered.path()));

    let upto = |r: &alphasim::report::RunResult| {
        let nav: Vec<String> = r
            .nav_csv()
            .lines()
            .filter(|l| l[..10] <= *d || l.starts_with("date"))
            .map(str::to_owned)
            .collect();
        let trades: Vec<String> = r
            .trades_csv()
            .lines()
            .filter(|l| l[..10] <= *d || l.starts_with("date"))
            .map(str::to_owned)
            .collect();
        let positions: Vec<String> = r
            .positions_csv()
            .lines()
            .filter(|l| l[..10] <= *d || l.starts_with("date"))
            .map(str::to_owned)
            .collect();
        (nav, trades, positions)
    };
    let (a, b) = (upto(&base), upto(&changed));
    assert!(
        a.0.len() > 50 && a.1.len() > 20,
        "the test covers a real stretch of trading"
    );
    assert_eq!(a.0, b.0, "nav.csv up to {d}");
    assert_eq!(a.1, b.1, "trades.csv up to {d}");
    assert_eq!(a.2, b.2, "positions.csv up to {d}");
    // IC of signal days whose horizon ends by D.
    let all: Vec<String> = dates.clone();
    let known = |r: &alphasim::report::RunResult| -> Vec<String> {
        let di = all.iter().position(|x| *x == d).unwrap();
        r.ic_csv()
            .lines()
            .skip(1)
            .filter(|l| {
                all.iter()
                    .position(|x| *x == l[..10])
                    .is_some_and(|i| i + 5 <= di)
            })
            .map(str::to_owned)
            .collect()
    };
    let (ia, ib) = (known(&base), known(&changed));
    assert!(ia.len() >= 5);
    assert_eq!(ia, ib, "ic.csv for horizons ending by {d}");
    // And the alteration did change what came after D.
    assert_ne!(base.nav_csv(), changed.nav_csv());
}
