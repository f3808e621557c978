//! The impact model's state: rolling per-symbol volatility (σ of daily
//! returns) and average daily traded value (ADV), from traded days only.

use crate::data::SymbolId;
use crate::metrics;

/// One symbol's traded day, as the liquidity statistics read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradedDay {
    pub symbol: SymbolId,
    /// Today's adjusted close.
    pub close_adj: f64,
    /// The adjusted close of the symbol's previous traded day (NaN before its first).
    pub previous_close_adj: f64,
    /// Today's traded value in currency (`amount`, or `close × volume` without it).
    pub traded_value: f64,
}

/// Rolling per-symbol liquidity statistics for the square-root impact: the
/// last `window_days` daily returns (adjusted close to close, across
/// suspensions) and traded values of traded days. Updated after each close,
/// so a fill only sees days before it.
#[derive(Debug)]
pub struct Liquidity {
    window_days: usize,
    returns: Vec<f64>,
    values: Vec<f64>,
    n_returns: Vec<u32>,
    n_values: Vec<u32>,
}

impl Liquidity {
    /// Empty statistics for `n_symbols` over a window of `window_days` traded days.
    pub fn new(n_symbols: usize, window_days: usize) -> Self {
        Liquidity {
            window_days,
            returns: vec![0.0; n_symbols * window_days],
            values: vec![0.0; n_symbols * window_days],
            n_returns: vec![0; n_symbols],
            n_values: vec![0; n_symbols],
        }
    }

    /// Adds today's traded days.
    pub fn update(&mut self, days: impl IntoIterator<Item = TradedDay>) {
        let w = self.window_days;
        for d in days {
            let s = d.symbol.index();
            let k = self.n_values[s] as usize;
            self.values[s * w + k % w] = d.traded_value;
            self.n_values[s] += 1;
            let last = d.previous_close_adj;
            if last.is_finite() && last > 0.0 {
                let k = self.n_returns[s] as usize;
                self.returns[s * w + k % w] = d.close_adj / last - 1.0;
                self.n_returns[s] += 1;
            }
        }
    }

    /// Sample std of the last daily returns of `s` (NaN with fewer than two).
    pub fn sigma_daily(&self, s: SymbolId) -> f64 {
        let w = self.window_days;
        let n = (self.n_returns[s.index()] as usize).min(w);
        if n < 2 {
            return f64::NAN;
        }
        metrics::std_sample(&self.returns[s.index() * w..s.index() * w + n])
    }

    /// Mean traded value of `s` over the window (NaN with no traded day).
    pub fn adv_value(&self, s: SymbolId) -> f64 {
        let w = self.window_days;
        let n = (self.n_values[s.index()] as usize).min(w);
        if n == 0 {
            return f64::NAN;
        }
        let v = &self.values[s.index() * w..s.index() * w + n];
        v.iter().sum::<f64>() / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: u32, close_adj: f64, previous_close_adj: f64, traded_value: f64) -> TradedDay {
        TradedDay {
            symbol: SymbolId(s),
            close_adj,
            previous_close_adj,
            traded_value,
        }
    }

    #[test]
    fn test_liquidity_window_rolls_and_first_day_has_no_return() {
        let mut l = Liquidity::new(2, 2);
        l.update([day(0, 10.0, f64::NAN, 100.0)]);
        assert!(l.sigma_daily(SymbolId(0)).is_nan());
        assert_eq!(l.adv_value(SymbolId(0)), 100.0);
        assert!(l.adv_value(SymbolId(1)).is_nan());
        l.update([day(0, 11.0, 10.0, 200.0)]);
        l.update([day(0, 9.9, 11.0, 600.0)]);
        // window 2: values 200 and 600; returns +10% and −10%
        assert_eq!(l.adv_value(SymbolId(0)), 400.0);
        let expected = metrics::std_sample(&[11.0 / 10.0 - 1.0, 9.9 / 11.0 - 1.0]);
        assert_eq!(l.sigma_daily(SymbolId(0)), expected);
    }
}
