//! Timing rules, checked from inside the simulation with a spy model that
//! records what it is shown at each decision and compares it with the raw
//! CSV text of the bundle, parsed here (not with the crate's loader): the
//! calendar, the signal days, the eligible set, the visible reports, the
//! factor values and the retrain's as-of day.

use crate::common::{root, spec};
use alphasim::alpha::AlphaModel;
use alphasim::context::Context;
use alphasim::data::{load_market, LoadOptions, SymbolId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// (date, symbols shown, reports visible, factor f0 per symbol shown)
type Decision = (String, Vec<String>, usize, Vec<f64>);

#[derive(Default)]
struct Seen {
    fits: Vec<String>,
    decisions: Vec<Decision>,
}

struct Spy(Arc<Mutex<Seen>>);

impl AlphaModel for Spy {
    fn name(&self) -> &str {
        "spy"
    }
    fn fit(&mut self, ctx: &Context<'_>) -> alphasim::Result<()> {
        self.0.lock().unwrap().fits.push(ctx.date().to_string());
        Ok(())
    }
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> alphasim::Result<Vec<f64>> {
        let names = universe
            .iter()
            .map(|&s| ctx.symbol_name(s).to_owned())
            .collect();
        let f0: Vec<f64> = universe.iter().map(|&s| ctx.factor(s, 0)).collect();
        self.0.lock().unwrap().decisions.push((
            ctx.date().to_string(),
            names,
            ctx.reports().len(),
            f0,
        ));
        assert_eq!(
            ctx.dates().last(),
            Some(&ctx.date()),
            "the context ends today"
        );
        Ok(vec![0.0; universe.len()])
    }
}

/// The rows of a CSV file (header dropped), split on commas.
fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("fixtures/tiny").join(name)).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The trading calendar straight from bars.csv: every distinct date, ascending
/// (ISO dates sort as text).
pub fn raw_calendar(bars: &[Vec<String>]) -> Vec<String> {
    let set: BTreeSet<&str> = bars.iter().map(|r| r[0].as_str()).collect();
    set.into_iter().map(str::to_owned).collect()
}

/// Monthly signal days from the calendar: the last trading day of each
/// calendar month (the next trading day is in another month), except the last
/// day of the data.
pub fn raw_month_ends(calendar: &[String]) -> Vec<String> {
    calendar
        .windows(2)
        .filter(|w| w[0][..7] != w[1][..7])
        .map(|w| w[0].clone())
        .collect()
}

#[test]
fn test_timing_decisions_see_exactly_what_is_known() {
    let spec = spec("strategies/ew_tiny.toml");
    let market = load_market(&root().join("fixtures/tiny"), &LoadOptions::default()).unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut progress = |_: usize, _: usize| {};
    alphasim::engine::run_with_model(&spec, &market, Box::new(Spy(seen.clone())), &mut progress)
        .unwrap();
    let seen = seen.lock().unwrap();

    // The raw bundle: bars.csv is date,symbol,open,high,low,close,volume,…
    let bars = rows("bars.csv");
    let calendar = raw_calendar(&bars);
    let traded: BTreeSet<(String, String)> = bars
        .iter()
        .filter(|r| r[6].parse::<f64>().unwrap() > 0.0) // volume 0 = suspended
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    // constituents.csv: index,symbol,start_date,end_date (inclusive, empty end = open).
    let spells: Vec<(String, String, String)> = rows("constituents.csv")
        .into_iter()
        .filter(|r| r[0] == "synth")
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    let member = |sym: &str, date: &str| {
        spells
            .iter()
            .any(|(s, a, b)| s == sym && a.as_str() <= date && (b.is_empty() || date <= b.as_str()))
    };
    // fundamentals.csv: symbol,period_end,announce_date,field,value.
    let announced: Vec<String> = rows("fundamentals.csv")
        .into_iter()
        .map(|r| r[2].clone())
        .collect();
    // factors.csv: date,symbol,f0,…; empty = missing.
    let f0: BTreeMap<(String, String), String> = rows("factors.csv")
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].clone()), r[2].clone()))
        .collect();

    // Decisions happen exactly on the month ends (ew_tiny: monthly, no start).
    let expected_days = raw_month_ends(&calendar);
    let days: Vec<&str> = seen.decisions.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(days, expected_days, "signal days");
    assert_eq!(
        days.len(),
        14,
        "2015-01 .. 2016-02 month ends (2016-03-01, the last day, is not one)"
    );

    for (date, universe, n_reports, values) in &seen.decisions {
        // Eligible = members on `date` (inclusive spells) with a traded bar on `date`.
        let mut expected: Vec<String> = traded
            .iter()
            .filter(|(d, s)| d == date && member(s, date))
            .map(|(_, s)| s.clone())
            .collect();
        expected.sort();
        let mut shown = universe.clone();
        shown.sort();
        assert_eq!(shown, expected, "universe on {date}");
        // A report is visible from the first trading day strictly after its
        // announce_date; on a trading day `date` that is announce_date < date.
        let visible = announced
            .iter()
            .filter(|a| a.as_str() < date.as_str())
            .count();
        assert_eq!(*n_reports, visible, "reports known on {date}");
        // Factor rows dated today are what the model sees (bit for bit: the
        // CSV text parses to the same f64).
        for (s, v) in universe.iter().zip(values) {
            match f0.get(&(date.clone(), s.clone())) {
                Some(x) if !x.is_empty() => {
                    assert_eq!(x.parse::<f64>().unwrap(), *v, "f0 of {s} on {date}")
                }
                _ => assert!(v.is_nan(), "{s} on {date}: no factor value, NaN"),
            }
        }
    }
    // The retrain timer fires at the pre-open of the first signal day and then
    // at the first signal day at least 6 calendar months after the last retrain
    // (2015-01-30 → on/after 2015-07-30 → 2015-07-31 → on/after 2016-01-31 →
    // 2016-02-29); each fit sees the history up to the previous close.
    let before = |d: &str| calendar[calendar.iter().position(|x| x == d).unwrap() - 1].clone();
    assert_eq!(
        seen.fits,
        vec![
            before("2015-01-30"),
            before("2015-07-31"),
            before("2016-02-29")
        ]
    );
    assert_eq!(seen.fits[0], "2015-01-29");
}
