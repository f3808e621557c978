//! The look-ahead test: run a spec, then change every bar, factor, report,
//! membership, industry, benchmark and index-weight record dated after a day D (scale
//! prices, negate factors, drop rows, end and add spells) and run again: every
//! NAV row, position, trade and IC known by D must be byte-identical.

use crate::common::{copy_bundle, root, run, spec_text};
use std::path::Path;

/// Rewrites `file` row by row; `f(header, fields) -> Option<fields>` (None drops the row).
pub(crate) fn rewrite(
    path: &Path,
    mut f: impl FnMut(&[String], Vec<String>) -> Option<Vec<String>>,
) {
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

/// A seeded generator of per-row multipliers in `[lo, hi)` (xorshift64*, so
/// the alteration is the same on every run and needs no extra dependency).
struct Multipliers(u64);

impl Multipliers {
    fn next(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let u = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * u
    }
}

/// Alters every record dated after `d`: each bar row's prices by its own
/// random multiplier in [0.5, 2) (one per row, so open/high/low/close and the
/// limits stay consistent) and its volume and amount by another, every 7th
/// row dropped (a suspension), each factor row multiplied by a random value
/// in [−2, 2) (sign flips included), reports announced on or after D
/// rescaled per row, joins after D removed and leaves after D cancelled,
/// industry spells starting after D removed, benchmark closes rescaled per row.
pub fn alter_after(dir: &Path, d: &str) {
    let mut rng = Multipliers(0x9E37_79B9_7F4A_7C15);
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
        let k = rng.next(0.5, 2.0);
        for name in ["open", "high", "low", "close", "limit_up", "limit_down"] {
            if let Some(c) = h.iter().position(|x| x == name) {
                f[c] = scale(&f[c], k);
            }
        }
        let v = rng.next(0.2, 5.0);
        for name in ["volume", "amount"] {
            if let Some(c) = h.iter().position(|x| x == name) {
                f[c] = scale(&f[c], v);
            }
        }
        Some(f)
    });
    rewrite(&dir.join("factors.csv"), |_, mut f| {
        if f[0].as_str() > d {
            let k = rng.next(-2.0, 2.0);
            for x in f.iter_mut().skip(2) {
                if !x.is_empty() {
                    *x = format!("{}", x.parse::<f64>().unwrap() * k + k);
                }
            }
        }
        Some(f)
    });
    rewrite(&dir.join("fundamentals.csv"), |h, mut f| {
        let (a, v) = (col(h, "announce_date"), col(h, "value"));
        if f[a].as_str() >= d {
            let k = rng.next(0.1, 4.0);
            f[v] = format!("{}", f[v].parse::<f64>().unwrap() * k + 1.0);
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
            f[c] = format!("{}", f[c].parse::<f64>().unwrap() * rng.next(0.5, 1.5));
        }
        Some(f)
    });
    // index weights dated after D: rescaled (re-normalised on load) or dropped
    if dir.join("index_weights.csv").exists() {
        let mut k = 0;
        rewrite(&dir.join("index_weights.csv"), |h, mut f| {
            let w = col(h, "weight");
            if f[0].as_str() <= d {
                return Some(f);
            }
            k += 1;
            if k % 5 == 0 {
                return None;
            }
            f[w] = format!("{}", f[w].parse::<f64>().unwrap() * rng.next(0.2, 3.0));
            Some(f)
        });
    }
}

/// The lines of a CSV whose first field (a date) is on or before `d`, header kept.
fn upto(csv: &str, d: &str) -> Vec<String> {
    csv.lines()
        .filter(|l| l.starts_with("date") || l[..10] <= *d)
        .map(str::to_owned)
        .collect()
}

/// Runs `text` on fixtures/tiny and on a copy altered after D =
/// `dates[len × num / den]`, and asserts every nav, trade, position and score
/// row dated up to D, and every IC row whose horizon `h` ends by D, is
/// byte-identical; and that the alteration changed the scores after D.
pub fn check_lookahead(text: &str, num: usize, den: usize, h: usize) {
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let altered = copy_bundle(&root().join("fixtures/tiny"));
    let base = run(&spec_text(text, original.path()));
    let dates: Vec<String> = base
        .records
        .daily
        .iter()
        .map(|x| x.date.to_string())
        .collect();
    let d = dates[dates.len() * num / den].clone();
    alter_after(altered.path(), &d);
    let changed = run(&spec_text(text, altered.path()));
    let (a, b) = (base.nav_csv(), changed.nav_csv());
    let nav = upto(&a, &d);
    assert!(nav.len() > 50, "the test covers a real stretch of trading");
    assert_eq!(nav, upto(&b, &d), "nav.csv up to {d}");
    let trades = upto(&base.trades_csv(), &d);
    assert!(trades.len() > 10, "{} trades up to {d}", trades.len());
    assert_eq!(
        trades,
        upto(&changed.trades_csv(), &d),
        "trades.csv up to {d}"
    );
    assert_eq!(
        upto(&base.positions_csv(), &d),
        upto(&changed.positions_csv(), &d),
        "positions.csv up to {d}"
    );
    let (sa, sb) = (base.scores_csv(), changed.scores_csv());
    let scores = upto(&sa, &d);
    let signal_days: std::collections::BTreeSet<&str> =
        scores.iter().skip(1).map(|l| &l[..10]).collect();
    assert!(
        signal_days.len() >= 3,
        "scores on {} signal days up to {d}",
        signal_days.len()
    );
    assert_eq!(scores, upto(&sb, &d), "scores.csv up to {d}");
    assert_ne!(sa, sb, "the alteration changed the scores after {d}");
    // IC of signal days whose horizon ends by D.
    let di = dates.iter().position(|x| *x == d).unwrap();
    let known = |r: &alphasim::report::RunResult| -> Vec<String> {
        r.ic_csv()
            .lines()
            .skip(1)
            .filter(|l| {
                dates
                    .iter()
                    .position(|x| *x == l[..10])
                    .is_some_and(|i| i + h <= di)
            })
            .map(str::to_owned)
            .collect()
    };
    let (ia, ib) = (known(&base), known(&changed));
    assert!(ia.len() >= 2, "{} IC rows known by {d}", ia.len());
    assert_eq!(ia, ib, "ic.csv for horizons ending by {d}");
    assert_ne!(a, b, "the alteration changed the NAV after {d}");
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
    check_lookahead(text, 1, 2, 5);
}

/// The factor library (every library factor, fundamentals-based value
/// factors included) feeding the ew composite.
#[test]
fn test_lookahead_factor_library_scores_unchanged_by_later_data() {
    let text = r#"
        data = "."
        index = "synth"
        ic_horizon = 5
        factors = ["all"]
        [model]
        kind = "ew"
        [schedule]
        rebalance = "weekly"
    "#;
    check_lookahead(text, 1, 2, 5);
}

/// A learned model: the walk-forward `linear` fit (retrained every 2 months)
/// on the user factors and the library's reversal and volatility columns.
const LINEAR_SPEC: &str = r#"
        data = "."
        index = "synth"
        ic_horizon = 5
        start = "2015-04-01"
        factors = ["reversal:ret20", "volatility:vol20"]
        [schedule]
        rebalance = "weekly"
        retrain_months = 2
        [model]
        kind = "linear"
        horizon = 5
        [model.samples]
        validation_months = 1
        embargo_months = 0
    "#;

#[test]
fn test_lookahead_linear_scores_unchanged_by_later_data() {
    check_lookahead(LINEAR_SPEC, 3, 5, 5);
}

/// The `gbdt` walk-forward on the same samples as `linear` (early stopping
/// on the validation month, refit on every labelled date), retrained every
/// 2 months.
#[test]
fn test_lookahead_gbdt_scores_unchanged_by_later_data() {
    let text = r#"
        data = "."
        index = "synth"
        ic_horizon = 5
        start = "2015-04-01"
        [schedule]
        rebalance = "weekly"
        retrain_months = 2
        [model]
        kind = "gbdt"
        horizon = 5
        rounds = 40
        leaves = 4
        min_data_in_leaf = 10
        early_stopping_rounds = 5
        [model.samples]
        validation_months = 1
        embargo_months = 0
    "#;
    check_lookahead(text, 3, 5, 5);
}

/// The DMFM walk-forward (small: hidden 8, two horizons, 4 epochs), retrained
/// every 2 months, so at least one retrain happens before D and one after.
#[test]
fn test_lookahead_dmfm_scores_unchanged_by_later_data() {
    let text = r#"
        data = "."
        index = "synth"
        seed = 7
        ic_horizon = 5
        start = "2015-04-01"
        [schedule]
        rebalance = "weekly"
        retrain_months = 2
        [model]
        kind = "dmfm"
        hidden = 8
        horizons = [3, 5]
        score_horizon = 5
        [model.train]
        epochs = 4
        patience = 2
        batch_dates = 8
        [model.samples]
        validation_months = 1
        embargo_months = 0
    "#;
    check_lookahead(text, 3, 5, 5);
}

/// `linear` trained on every listed stock (`samples.universe = "listed"`),
/// with library columns computed over them too.
#[test]
fn test_lookahead_linear_listed_scores_unchanged_by_later_data() {
    let text = format!("{LINEAR_SPEC}\n        universe = \"listed\"\n");
    check_lookahead(&text, 3, 5, 5);
}
