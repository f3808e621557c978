//! The window features by hand, the no-look-ahead rule and the trimming of
//! symbols that never were candidates.

use super::*;

fn raw(close: f32, volume: f32) -> Vec<f32> {
    // close, open, high, low, vwap, volume
    vec![
        close,
        close * 0.99,
        close * 1.02,
        close * 0.97,
        close * 1.005,
        volume,
    ]
}

fn feature(x: &[f32], n: usize, f: usize, k: usize, i: usize, j: usize) -> f32 {
    x[(k * n + i) * f + j]
}

/// Window 4 at t = 4 for a stock traded on days 1, 2, 4 (suspended on 3)
/// and one traded on 3, 4 only (listed on 3).
#[test]
fn test_features_by_hand() {
    let mut h = BarHistory::new(4, 0);
    let (a, b) = (SymbolId(0), SymbolId(1));
    h.push(DayIndex(1), a, &raw(10.0, 100.0), true);
    h.push(DayIndex(2), a, &raw(11.0, 300.0), true);
    h.push(DayIndex(3), b, &raw(50.0, 10.0), true);
    h.push(DayIndex(4), a, &raw(12.0, 200.0), true);
    h.push(DayIndex(4), b, &raw(40.0, 30.0), true);
    let x = h.build(DayIndex(4), &[a, b]);
    let (n, f) = (2, PRICE_VOLUME_FEATURES);
    assert_eq!(x.len(), 4 * n * f);
    let p = |v: f64| (10.0 * v.ln()) as f32;
    // stock a, window days 1..=4: closes 10, 11, (11 carried), 12; close_t = 12
    let close_a = [10.0, 11.0, 11.0, 12.0];
    let traded_a = [true, true, false, true];
    let vmean_a = (100.0f64 + 300.0 + 200.0) / 3.0;
    for k in 0..4 {
        let c = close_a[k];
        let got = feature(&x, n, f, k, 0, 0);
        assert!((got - p(c / 12.0)).abs() < 1e-5, "a close k={k}: {got}");
        let open = if traded_a[k] { c * 0.99 } else { c };
        assert!((feature(&x, n, f, k, 0, 1) - p(open / 12.0)).abs() < 1e-5);
        assert_eq!(
            feature(&x, n, f, k, 0, 6),
            if traded_a[k] { 0.0 } else { 1.0 }
        );
    }
    let v = |vol: f64| (vol / vmean_a).ln() as f32;
    assert!((feature(&x, n, f, 1, 0, 5) - v(300.0)).abs() < 1e-5);
    assert_eq!(
        feature(&x, n, f, 2, 0, 5),
        0.0,
        "no volume on a suspended day"
    );
    // stock b: days 1, 2 before its first trade take its first close (50), flagged
    for k in 0..2 {
        assert!((feature(&x, n, f, k, 1, 0) - p(50.0 / 40.0)).abs() < 1e-5);
        assert!((feature(&x, n, f, k, 1, 2) - p(50.0 / 40.0)).abs() < 1e-5);
        assert_eq!(feature(&x, n, f, k, 1, 6), 1.0);
    }
    assert!((feature(&x, n, f, 3, 1, 2) - p(40.0 * 1.02 / 40.0)).abs() < 1e-5);
    assert!((feature(&x, n, f, 3, 1, 5) - (30.0f64 / 20.0).ln() as f32).abs() < 1e-5);
    // window positions before day 0 (t = 1, window 4): flagged, price 0
    let early = h.build(DayIndex(1), &[a]);
    assert_eq!(feature(&early, 1, f, 0, 0, 6), 1.0);
    assert_eq!(feature(&early, 1, f, 3, 0, 0), 0.0);
    assert_eq!(feature(&early, 1, f, 3, 0, 6), 0.0);
}

/// A history that goes on after t (other bars, a new listing) gives the
/// same input at t as the history that stopped at t: nothing after t is read.
#[test]
fn test_no_input_at_t_depends_on_a_later_bar() {
    let syms = [SymbolId(0), SymbolId(1), SymbolId(2)];
    let fill = |h: &mut BarHistory, days: std::ops::Range<u32>, shift: f32| {
        for d in days {
            for (j, &s) in syms.iter().enumerate() {
                if (d + j as u32) % 7 != 3 {
                    let c = 10.0 + j as f32 + (d as f32 * 0.37).sin() + shift;
                    let mut r = raw(c, 100.0 + d as f32 + shift * 50.0);
                    r.push(c * 0.1 + shift); // one factor column
                    h.push(DayIndex(d), s, &r, true);
                }
            }
        }
    };
    let t = DayIndex(40);
    let mut stopped = BarHistory::new(20, 1);
    fill(&mut stopped, 0..41, 0.0);
    let reference = stopped.build(t, &syms);
    for shift in [0.0, 3.0] {
        let mut later = BarHistory::new(20, 1);
        fill(&mut later, 0..41, 0.0);
        fill(&mut later, 41..90, shift);
        assert_eq!(later.build(t, &syms), reference, "shift {shift}");
    }
    // and a different bar at t itself does change the input (the test can fail)
    let mut changed = BarHistory::new(20, 1);
    fill(&mut changed, 0..40, 0.0);
    fill(&mut changed, 40..41, 1.0);
    assert_ne!(changed.build(t, &syms), reference);
}

/// A symbol that is not yet a candidate keeps only its last window + 1
/// rows, which is all a window needs: once it becomes a candidate its input
/// equals that of a symbol kept whole.
#[test]
fn test_trimmed_history_gives_the_same_window() {
    let (a, b) = (SymbolId(0), SymbolId(1));
    let mut h = BarHistory::new(10, 0);
    for d in 0..200u32 {
        if d % 5 != 2 {
            let r = raw(20.0 + (d as f32 * 0.1).cos(), 50.0 + d as f32);
            h.push(DayIndex(d), a, &r, true);
            h.push(DayIndex(d), b, &r, d == 199);
        }
    }
    assert!(h.series[1].days.len() <= 2 * 11 + 1);
    let x = h.build(DayIndex(199), &[a, b]);
    let f = h.features();
    let (left, right): (Vec<f32>, Vec<f32>) = x
        .chunks(f)
        .enumerate()
        .map(|(i, c)| (i % 2, c))
        .fold((Vec::new(), Vec::new()), |(mut l, mut r), (i, c)| {
            if i == 0 {
                l.extend_from_slice(c)
            } else {
                r.extend_from_slice(c)
            }
            (l, r)
        });
    assert_eq!(left, right);
}
