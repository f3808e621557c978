//! The portfolio: cash and holdings (what the target weights are built
//! from lives in [`crate::strategy`]).
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
    /// The date each holding was bought into the portfolio (its first buy
    /// since it was last fully sold): TopK-dropout's holding period.
    pub acquired: BTreeMap<SymbolId, Date>,
}

impl Portfolio {
    /// All cash.
    pub fn new(cash: f64) -> Self {
        Portfolio {
            cash,
            holdings: BTreeMap::new(),
            last_buy: BTreeMap::new(),
            acquired: BTreeMap::new(),
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
        self.acquired.entry(s).or_insert(date);
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
