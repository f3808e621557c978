//! The price-volume factor values of one symbol, read from the rolling
//! window sums of [`PriceState`] (definitions in `crate::factors::catalog`).

use super::{min_obs, LongSum, PriceState, ShortSum, LONG_SUMS, RETS, SHORT_SUMS};
use crate::factors::catalog::FactorId;

impl PriceState {
    /// Fills the price-volume factors of symbol `s` (tracked) into `out` (indexed by [`FactorId`]).
    pub fn compute(&self, s: usize, out: &mut [f64]) {
        let td = self.today[s];
        let s = self.column(s); // the ring column from here on
        let mut set =
            |f: FactorId, v: f64| out[f as usize] = if v.is_finite() { v } else { f64::NAN };
        let c0 = self.close_back(s, 0);
        let ret = |k: usize| c0 / self.close_back(s, k) - 1.0;

        // reversal
        set(FactorId::RET1, ret(1));
        set(FactorId::RET3, ret(3));
        set(FactorId::RET5, ret(5));
        set(FactorId::RET10, ret(10));
        set(FactorId::RET20, ret(20));
        set(
            FactorId::OVERNIGHT1,
            td.open_adj / self.close_back(s, 1) - 1.0,
        );
        set(FactorId::INTRADAY1, td.close_raw / td.open_raw - 1.0);
        let w20 = self.win(s, 20);
        let ok20 = w20[ShortSum::TradedCount as usize] >= min_obs(20);
        let ovn20 = if w20[ShortSum::OvernightCount as usize] >= min_obs(20) {
            w20[ShortSum::OvernightLogReturn as usize]
        } else {
            f64::NAN
        };
        let intra20 = if ok20 {
            w20[ShortSum::IntradayLogReturn as usize]
        } else {
            f64::NAN
        };
        set(FactorId::OVERNIGHT20, ovn20);
        set(FactorId::INTRADAY20, intra20);
        set(FactorId::OVN_INTRA20, ovn20 - intra20);
        set(
            FactorId::RET20_EXCESS,
            ret(20) - (self.bench_back(0) / self.bench_back(20) - 1.0),
        );
        set(FactorId::VWAP_DEV, td.close_raw / td.vwap - 1.0);

        // momentum
        let c20 = self.close_back(s, 20);
        set(FactorId::MOM60_20, c20 / self.close_back(s, 60) - 1.0);
        set(FactorId::MOM120_20, c20 / self.close_back(s, 120) - 1.0);
        set(FactorId::MOM250_20, c20 / self.close_back(s, 250) - 1.0);
        set(FactorId::RET60, ret(60));
        set(FactorId::RET120, ret(120));
        let l250 = self.win_long(s, 250);
        let ok250 = l250[LongSum::TradedCount as usize] >= min_obs(250);
        let hi = self.highs[s].front().map_or(f64::NAN, |x| x.1);
        let lo = self.lows[s].front().map_or(f64::NAN, |x| x.1);
        set(
            FactorId::HIGH52W,
            if ok250 { td.close_adj / hi } else { f64::NAN },
        );
        set(
            FactorId::LOW52W,
            if ok250 { td.close_adj / lo } else { f64::NAN },
        );
        let w5 = self.win(s, 5);
        let w10 = self.win(s, 10);
        let w60 = self.win(s, 60);
        let w120 = self.win(s, 120);
        let ma = |w: &[f64; SHORT_SUMS], days: usize| {
            if w[ShortSum::TradedCount as usize] >= min_obs(days) {
                w[ShortSum::Close as usize] / w[ShortSum::TradedCount as usize]
            } else {
                f64::NAN
            }
        };
        let (ma5, ma10, ma20, ma60, ma120) = (
            ma(&w5, 5),
            ma(&w10, 10),
            ma(&w20, 20),
            ma(&w60, 60),
            ma(&w120, 120),
        );
        set(FactorId::MA5, td.close_adj / ma5 - 1.0);
        set(FactorId::MA10, td.close_adj / ma10 - 1.0);
        set(FactorId::MA20, td.close_adj / ma20 - 1.0);
        set(FactorId::MA60, td.close_adj / ma60 - 1.0);
        set(FactorId::MA120, td.close_adj / ma120 - 1.0);
        set(FactorId::MA5_MA20, ma5 / ma20 - 1.0);
        set(FactorId::MA20_MA60, ma20 / ma60 - 1.0);
        let enough_returns =
            |w: &[f64; SHORT_SUMS], days: usize| w[ShortSum::ReturnCount as usize] >= min_obs(days);
        set(
            FactorId::UP_RATIO60,
            if enough_returns(&w60, 60) {
                w60[ShortSum::UpCount as usize] / w60[ShortSum::ReturnCount as usize]
            } else {
                f64::NAN
            },
        );
        let std = |w: &[f64; SHORT_SUMS]| {
            let n = w[ShortSum::ReturnCount as usize];
            let m = w[ShortSum::Return as usize] / n;
            ((w[ShortSum::ReturnSquared as usize] - n * m * m) / (n - 1.0))
                .max(0.0)
                .sqrt()
        };
        set(
            FactorId::MOM_SHARPE120,
            if enough_returns(&w120, 120) {
                (w120[ShortSum::Return as usize] / w120[ShortSum::ReturnCount as usize])
                    / std(&w120)
            } else {
                f64::NAN
            },
        );

        // volatility
        let vol = |w: &[f64; SHORT_SUMS], days: usize| {
            if enough_returns(w, days) {
                std(w)
            } else {
                f64::NAN
            }
        };
        set(FactorId::VOL20, vol(&w20, 20));
        set(FactorId::VOL60, vol(&w60, 60));
        set(FactorId::VOL120, vol(&w120, 120));
        set(
            FactorId::DOWNSIDE60,
            if enough_returns(&w60, 60) {
                (w60[ShortSum::NegativeReturnSquared as usize]
                    / w60[ShortSum::ReturnSquared as usize])
                    .sqrt()
            } else {
                f64::NAN
            },
        );
        // Central moments (population) from raw sums.
        let moments = |w: &[f64; SHORT_SUMS]| {
            let n = w[ShortSum::ReturnCount as usize];
            let m = w[ShortSum::Return as usize] / n;
            let (e2, e3, e4) = (
                w[ShortSum::ReturnSquared as usize] / n,
                w[ShortSum::ReturnCubed as usize] / n,
                w[ShortSum::ReturnFourth as usize] / n,
            );
            let m2 = e2 - m * m;
            let m3 = e3 - 3.0 * m * e2 + 2.0 * m * m * m;
            let m4 = e4 - 4.0 * m * e3 + 6.0 * m * m * e2 - 3.0 * m.powi(4);
            (m2, m3, m4)
        };
        let skew = |w: &[f64; SHORT_SUMS], days: usize| {
            if !enough_returns(w, days) {
                return f64::NAN;
            }
            let (m2, m3, _) = moments(w);
            m3 / m2.powf(1.5)
        };
        set(FactorId::SKEW20, skew(&w20, 20));
        set(FactorId::SKEW60, skew(&w60, 60));
        set(
            FactorId::KURT60,
            if enough_returns(&w60, 60) {
                let (m2, _, m4) = moments(&w60);
                m4 / (m2 * m2) - 3.0
            } else {
                f64::NAN
            },
        );
        let (mut mx, mut mn) = (f64::NEG_INFINITY, f64::INFINITY);
        let today = self.t - 1;
        for k in 0..20.min(today + 1) {
            let r = self.rets[((today - k) % RETS) * self.n + s];
            if r.is_finite() {
                mx = mx.max(r);
                mn = mn.min(r);
            }
        }
        set(
            FactorId::MAXRET20,
            if enough_returns(&w20, 20) {
                mx
            } else {
                f64::NAN
            },
        );
        set(
            FactorId::MINRET20,
            if enough_returns(&w20, 20) {
                mn
            } else {
                f64::NAN
            },
        );
        let l60 = self.win_long(s, 60);
        let market = |l: &[f64; LONG_SUMS], days: usize| {
            let n = l[LongSum::PairCount as usize];
            if n < min_obs(days) {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            let (mr, mb) = (
                l[LongSum::Return as usize] / n,
                l[LongSum::Benchmark as usize] / n,
            );
            let var_r = l[LongSum::ReturnSquared as usize] / n - mr * mr;
            let var_b = l[LongSum::BenchmarkSquared as usize] / n - mb * mb;
            let cov = l[LongSum::ReturnTimesBenchmark as usize] / n - mr * mb;
            let beta = cov / var_b;
            let idio = (var_r - cov * cov / var_b).max(0.0).sqrt();
            let r2 = cov * cov / (var_r * var_b);
            (beta, idio, r2)
        };
        let (beta60, idio60, r2_60) = market(&l60, 60);
        let (beta250, idio250, _) = market(&l250, 250);
        set(FactorId::BETA60, beta60);
        set(FactorId::BETA250, beta250);
        set(FactorId::IDIOVOL60, idio60);
        set(FactorId::IDIOVOL250, idio250);
        set(FactorId::R2_60, r2_60);
        let per_traded = |w: &[f64; SHORT_SUMS], q: ShortSum, days: usize| {
            if w[ShortSum::TradedCount as usize] >= min_obs(days) {
                w[q as usize] / w[ShortSum::TradedCount as usize]
            } else {
                f64::NAN
            }
        };
        set(FactorId::RANGE20, per_traded(&w20, ShortSum::Range, 20));
        set(
            FactorId::PARKINSON20,
            (per_traded(&w20, ShortSum::LogRangeSquared, 20) / (4.0 * std::f64::consts::LN_2))
                .sqrt(),
        );

        // liquidity
        set(
            FactorId::LOG_AMT5,
            per_traded(&w5, ShortSum::Amount, 5).ln(),
        );
        let amt20 = per_traded(&w20, ShortSum::Amount, 20);
        set(FactorId::LOG_AMT20, amt20.ln());
        set(
            FactorId::LOG_AMT60,
            per_traded(&w60, ShortSum::Amount, 60).ln(),
        );
        let v20 = per_traded(&w20, ShortSum::AdjustedVolume, 20);
        set(FactorId::VOLRATIO1_20, td.volume_adj / v20);
        set(
            FactorId::VOLRATIO5_20,
            per_traded(&w5, ShortSum::AdjustedVolume, 5) / v20,
        );
        set(
            FactorId::VOLRATIO20_120,
            v20 / per_traded(&w120, ShortSum::AdjustedVolume, 120),
        );
        let amihud = |w: &[f64; SHORT_SUMS], days: usize| {
            if enough_returns(w, days) {
                w[ShortSum::Illiquidity as usize] / w[ShortSum::ReturnCount as usize] * 1e8
            } else {
                f64::NAN
            }
        };
        set(FactorId::AMIHUD20, amihud(&w20, 20));
        set(FactorId::AMIHUD60, amihud(&w60, 60));
        let zero = |w: &[f64; SHORT_SUMS], days: usize| {
            let listed = w[ShortSum::ListedCount as usize];
            if listed >= min_obs(days) {
                1.0 - w[ShortSum::TradedCount as usize] / listed
            } else {
                f64::NAN
            }
        };
        set(FactorId::ZERO_VOL20, zero(&w20, 20));
        set(FactorId::ZERO_VOL60, zero(&w60, 60));
        set(FactorId::LOG_PRICE, td.close_raw.ln());
        set(
            FactorId::CV_AMT20,
            if ok20 {
                let m = amt20;
                (per_traded(&w20, ShortSum::AmountSquared, 20) - m * m)
                    .max(0.0)
                    .sqrt()
                    / m
            } else {
                f64::NAN
            },
        );
    }
}
