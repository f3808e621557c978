//! The portfolio (cash and holdings) and portfolio construction.
//!
//! Holdings are quantities of *adjusted* shares: value = quantity ×
//! adjusted price, so dividends and splits captured by `adj_factor` are
//! reinvested in the stock and the portfolio's return is the adjusted-price
//! return. The raw share count on a day is `quantity × adj_factor`.

use crate::data::{Date, SymbolId};
use std::collections::BTreeMap;

/// Cash and holdings.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    pub cash: f64,
    /// Adjusted-share quantities, ordered by symbol id (deterministic iteration).
    pub holdings: BTreeMap<SymbolId, f64>,
    /// Adjusted shares bought per symbol on the day of its last buy (T+1).
    pub last_buy: BTreeMap<SymbolId, (Date, f64)>,
}

impl Portfolio {
    /// All cash.
    pub fn new(cash: f64) -> Self {
        Portfolio {
            cash,
            holdings: BTreeMap::new(),
            last_buy: BTreeMap::new(),
        }
    }
    /// Adjusted shares of `s` bought on `date` (not sellable that day under T+1).
    pub fn bought_on(&self, s: SymbolId, date: Date) -> f64 {
        match self.last_buy.get(&s) {
            Some(&(d, q)) if d == date => q,
            _ => 0.0,
        }
    }
    /// Records a buy of `qty` adjusted shares of `s` on `date`.
    pub fn note_buy(&mut self, s: SymbolId, date: Date, qty: f64) {
        let e = self.last_buy.entry(s).or_insert((date, 0.0));
        if e.0 != date {
            *e = (date, 0.0);
        }
        e.1 += qty;
    }
    /// Total value with `price(s)` the adjusted price of each holding.
    pub fn value(&self, mut price: impl FnMut(SymbolId) -> f64) -> f64 {
        self.cash
            + self
                .holdings
                .iter()
                .map(|(&s, &q)| q * price(s))
                .sum::<f64>()
    }
}

/// Target weights, summing to 1, ordered by symbol.
pub type TargetWeights = Vec<(SymbolId, f64)>;

/// The top `fraction` of `candidates` by score, equal weight (DESIGN §4):
/// k = max(1, floor(fraction × n)) highest scores, ties broken by symbol
/// ascending (symbol ids are assigned in name order). Candidates with a NaN
/// score must be removed before. Returns the chosen symbols sorted by id.
/// The product is floored with a 1e-9 allowance, so a fraction × n that
/// binary floating point puts just under an integer counts as that integer
/// (0.58 × 50 = 28.999999999999996 selects 29, as the user means).
///
/// ```
/// use alphasim::data::SymbolId;
/// use alphasim::portfolio::top_fraction;
/// let c = [(SymbolId(0), 0.5), (SymbolId(1), 0.9), (SymbolId(2), 0.9), (SymbolId(3), 0.1)];
/// // floor(0.5 × 4) = 2: the two 0.9s; with fraction 0.25 the tie goes to the smaller id.
/// assert_eq!(top_fraction(&c, 0.5), vec![SymbolId(1), SymbolId(2)]);
/// assert_eq!(top_fraction(&c, 0.25), vec![SymbolId(1)]);
/// ```
pub fn top_fraction(candidates: &[(SymbolId, f64)], fraction: f64) -> Vec<SymbolId> {
    if candidates.is_empty() {
        return Vec::new();
    }
    let k = ((fraction * candidates.len() as f64 + 1e-9).floor() as usize).max(1);
    let mut sorted: Vec<(SymbolId, f64)> = candidates.to_vec();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<SymbolId> = sorted[..k.min(sorted.len())].iter().map(|p| p.0).collect();
    chosen.sort();
    chosen
}

/// Equal weights over `chosen`.
pub fn equal_weights(chosen: &[SymbolId]) -> TargetWeights {
    let w = 1.0 / chosen.len() as f64;
    chosen.iter().map(|&s| (s, w)).collect()
}
