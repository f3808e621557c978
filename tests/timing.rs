//! Timing rules, checked from inside the simulation with a spy model that
//! records what it is shown at each decision and compares it with the raw
//! bundle read independently.

use crate::common::{root, spec};
use alphasim::alpha::AlphaModel;
use alphasim::context::Context;
use alphasim::data::{load_market, LoadOptions, SymbolId};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Seen {
    fits: Vec<String>,
    decisions: Vec<(chrono::NaiveDate, Vec<SymbolId>, usize, Vec<f64>)>,
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
        let f0: Vec<f64> = universe.iter().map(|&s| ctx.factor(s, 0)).collect();
        self.0.lock().unwrap().decisions.push((
            ctx.date(),
            universe.to_vec(),
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

#[test]
fn test_timing_decisions_see_exactly_what_is_known() {
    let spec = spec("strategies/ew_tiny.toml");
    let market = load_market(&root().join("fixtures/tiny"), &LoadOptions::default()).unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut progress = |_: usize, _: usize| {};
    alphasim::engine::run_with_model(&spec, &market, Box::new(Spy(seen.clone())), &mut progress)
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen.decisions.len() >= 10,
        "the tiny market has a year of month ends"
    );
    let spells = &market.constituents["synth"];
    for (date, universe, n_reports, f0) in &seen.decisions {
        let day = market
            .bars
            .day_of(*date)
            .expect("decisions happen on trading days");
        // Eligible = members on `date` (inclusive spells) that traded on `date`.
        let mut expected: Vec<SymbolId> = market
            .bars
            .day_rows(day)
            .filter(|&r| market.bars.is_traded(r))
            .map(|r| market.bars.symbol[r])
            .filter(|s| {
                spells
                    .iter()
                    .any(|sp| sp.symbol == *s && sp.contains(*date))
            })
            .collect();
        expected.sort();
        assert_eq!(universe, &expected, "universe on {date}");
        // Fundamentals: visible exactly when announced strictly before today.
        let visible = market
            .fundamentals
            .records
            .iter()
            .filter(|r| r.announce_date < *date)
            .count();
        assert_eq!(*n_reports, visible, "reports known on {date}");
        // Factor rows dated today are what the model sees.
        let f = &market.factors;
        for (s, v) in universe.iter().zip(f0) {
            let row = (0..f.len()).find(|&r| f.date[r] == *date && f.symbol[r] == *s);
            match row {
                Some(r) => {
                    let x = f.row(r)[0];
                    assert!(
                        x == *v || (x.is_nan() && v.is_nan()),
                        "f0 of {s:?} on {date}"
                    );
                }
                None => assert!(v.is_nan(), "no factor row, no value"),
            }
        }
    }
    // The retrain timer fires at the pre-open of the first signal day, then every 6 months:
    // it sees the history up to the previous close.
    assert!(!seen.fits.is_empty());
    let first_decision = seen.decisions[0].0;
    let prev = market.bars.dates[market.bars.day_of(first_decision).unwrap().index() - 1];
    assert_eq!(seen.fits[0], prev.to_string());
}
