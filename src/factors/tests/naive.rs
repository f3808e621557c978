//! The naive reference for every price-volume factor: each value straight
//! from its catalogue definition by scanning the whole (small) series, and
//! the test that the library's rolling sums agree with it.

use super::*;

/// The naive reference: every factor straight from its definition, by
/// scanning the full series up to `t`.
struct Naive<'a> {
    days: &'a [Vec<BarRow>],
    bench: &'a [f64],
    s: u32,
}

impl Naive<'_> {
    fn row(&self, d: usize) -> Option<&BarRow> {
        self.days[d].iter().find(|b| b.symbol.0 == self.s)
    }
    fn traded(&self, d: usize) -> Option<&BarRow> {
        self.row(d).filter(|b| b.volume > 0.0)
    }
    fn cadj(&self, d: usize) -> f64 {
        self.traded(d).map_or(f64::NAN, |b| b.close * b.adj_factor)
    }
    /// C(d): last traded adjusted close on or before d.
    fn c(&self, d: isize) -> f64 {
        (0..=d)
            .rev()
            .map(|e| self.cadj(e as usize))
            .find(|v| v.is_finite())
            .unwrap_or(f64::NAN)
    }
    fn r(&self, d: usize) -> Option<f64> {
        self.traded(d)?;
        let v = self.cadj(d) / self.c(d as isize - 1) - 1.0;
        v.is_finite().then_some(v)
    }
    fn b(&self, d: usize) -> Option<f64> {
        (d > 0).then(|| self.bench[d] / self.bench[d - 1] - 1.0)
    }
    fn window(&self, t: usize, w: usize) -> std::ops::RangeInclusive<usize> {
        (t + 1).saturating_sub(w)..=t
    }
    fn rets(&self, t: usize, w: usize) -> Vec<f64> {
        self.window(t, w).filter_map(|d| self.r(d)).collect()
    }
    fn traded_days(&self, t: usize, w: usize) -> Vec<&BarRow> {
        self.window(t, w).filter_map(|d| self.traded(d)).collect()
    }
    fn enough(n: usize, w: usize) -> bool {
        n as f64 >= rolling::min_obs(w)
    }
    fn mean(x: &[f64]) -> f64 {
        x.iter().sum::<f64>() / x.len() as f64
    }
    fn pop_moment(x: &[f64], k: i32) -> f64 {
        let m = Self::mean(x);
        x.iter().map(|v| (v - m).powi(k)).sum::<f64>() / x.len() as f64
    }

    fn value(&self, t: usize, f: FactorId) -> f64 {
        let ti = t as isize;
        let ret = |k: isize| self.c(ti) / self.c(ti - k) - 1.0;
        let today = self.traded(t).expect("eligible = traded today");
        let adj_close = |b: &BarRow| b.close * b.adj_factor;
        let amount = |b: &BarRow| {
            if b.amount.is_finite() {
                b.amount
            } else {
                b.close * b.volume
            }
        };
        let stat_r = |w: usize, g: &dyn Fn(&[f64]) -> f64| {
            let r = self.rets(t, w);
            if Self::enough(r.len(), w) {
                g(&r)
            } else {
                f64::NAN
            }
        };
        let stat_b = |w: usize, g: &dyn Fn(&[&BarRow]) -> f64| {
            let b = self.traded_days(t, w);
            if Self::enough(b.len(), w) {
                g(&b)
            } else {
                f64::NAN
            }
        };
        let ma = |w: usize| {
            stat_b(w, &|b| {
                Self::mean(&b.iter().map(|x| adj_close(x)).collect::<Vec<_>>())
            })
        };
        let market = |w: usize| -> (f64, f64, f64) {
            let pairs: Vec<(f64, f64)> = self
                .window(t, w)
                .filter_map(|d| Some((self.r(d)?, self.b(d)?)))
                .collect();
            if !Self::enough(pairs.len(), w) {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            let (r, b): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
            let (mr, mb) = (Self::mean(&r), Self::mean(&b));
            let cov = pairs.iter().map(|(x, y)| (x - mr) * (y - mb)).sum::<f64>() / r.len() as f64;
            let beta = cov / Self::pop_moment(&b, 2);
            let alpha = mr - beta * mb;
            let resid: Vec<f64> = pairs.iter().map(|(x, y)| x - alpha - beta * y).collect();
            let idio = (resid.iter().map(|e| e * e).sum::<f64>() / r.len() as f64).sqrt();
            (beta, idio, 1.0 - idio * idio / Self::pop_moment(&r, 2))
        };
        let listed_share = |w: usize| {
            let first = (0..self.days.len())
                .find(|&d| self.row(d).is_some())
                .unwrap();
            let listed: Vec<usize> = self.window(t, w).filter(|&d| d >= first).collect();
            if !Self::enough(listed.len(), w) {
                return f64::NAN;
            }
            listed.iter().filter(|&&d| self.traded(d).is_none()).count() as f64
                / listed.len() as f64
        };
        let bench_ret = |k: usize| {
            if t >= k {
                self.bench[t] / self.bench[t - k] - 1.0
            } else {
                f64::NAN
            }
        };
        let mom = |a: isize, b: isize| self.c(ti - a) / self.c(ti - b) - 1.0;
        match f {
            FactorId::RET1 => ret(1),
            FactorId::RET3 => ret(3),
            FactorId::RET5 => ret(5),
            FactorId::RET10 => ret(10),
            FactorId::RET20 => ret(20),
            FactorId::OVERNIGHT1 => today.open * today.adj_factor / self.c(ti - 1) - 1.0,
            FactorId::INTRADAY1 => today.close / today.open - 1.0,
            FactorId::OVERNIGHT20 | FactorId::INTRADAY20 | FactorId::OVN_INTRA20 => {
                let ovn: Vec<f64> = self
                    .window(t, 20)
                    .filter_map(|d| {
                        let b = self.traded(d)?;
                        let v = (b.open * b.adj_factor / self.c(d as isize - 1)).ln();
                        v.is_finite().then_some(v)
                    })
                    .collect();
                let o = if Self::enough(ovn.len(), 20) {
                    ovn.iter().sum()
                } else {
                    f64::NAN
                };
                let i = stat_b(20, &|b| b.iter().map(|x| (x.close / x.open).ln()).sum());
                match f {
                    FactorId::OVERNIGHT20 => o,
                    FactorId::INTRADAY20 => i,
                    _ => o - i,
                }
            }
            FactorId::RET20_EXCESS => ret(20) - bench_ret(20),
            FactorId::VWAP_DEV => {
                let vwap = if today.amount.is_finite() {
                    today.amount / today.volume
                } else {
                    (today.high + today.low + today.close) / 3.0
                };
                today.close / vwap - 1.0
            }
            FactorId::MOM60_20 => mom(20, 60),
            FactorId::MOM120_20 => mom(20, 120),
            FactorId::MOM250_20 => mom(20, 250),
            FactorId::RET60 => ret(60),
            FactorId::RET120 => ret(120),
            FactorId::HIGH52W => stat_b(250, &|b| {
                adj_close(today) / b.iter().map(|x| adj_close(x)).fold(f64::MIN, f64::max)
            }),
            FactorId::LOW52W => stat_b(250, &|b| {
                adj_close(today) / b.iter().map(|x| adj_close(x)).fold(f64::MAX, f64::min)
            }),
            FactorId::MA5 => adj_close(today) / ma(5) - 1.0,
            FactorId::MA10 => adj_close(today) / ma(10) - 1.0,
            FactorId::MA20 => adj_close(today) / ma(20) - 1.0,
            FactorId::MA60 => adj_close(today) / ma(60) - 1.0,
            FactorId::MA120 => adj_close(today) / ma(120) - 1.0,
            FactorId::MA5_MA20 => ma(5) / ma(20) - 1.0,
            FactorId::MA20_MA60 => ma(20) / ma(60) - 1.0,
            FactorId::UP_RATIO60 => stat_r(60, &|r| {
                r.iter().filter(|&&v| v > 0.0).count() as f64 / r.len() as f64
            }),
            FactorId::MOM_SHARPE120 => {
                stat_r(120, &|r| Self::mean(r) / crate::metrics::std_sample(r))
            }
            FactorId::VOL20 => stat_r(20, &crate::metrics::std_sample),
            FactorId::VOL60 => stat_r(60, &crate::metrics::std_sample),
            FactorId::VOL120 => stat_r(120, &crate::metrics::std_sample),
            FactorId::DOWNSIDE60 => stat_r(60, &|r| {
                (r.iter().filter(|&&v| v < 0.0).map(|v| v * v).sum::<f64>()
                    / r.iter().map(|v| v * v).sum::<f64>())
                .sqrt()
            }),
            FactorId::SKEW20 => stat_r(20, &|r| {
                Self::pop_moment(r, 3) / Self::pop_moment(r, 2).powf(1.5)
            }),
            FactorId::SKEW60 => stat_r(60, &|r| {
                Self::pop_moment(r, 3) / Self::pop_moment(r, 2).powf(1.5)
            }),
            FactorId::KURT60 => stat_r(60, &|r| {
                Self::pop_moment(r, 4) / Self::pop_moment(r, 2).powi(2) - 3.0
            }),
            FactorId::MAXRET20 => stat_r(20, &|r| r.iter().copied().fold(f64::MIN, f64::max)),
            FactorId::MINRET20 => stat_r(20, &|r| r.iter().copied().fold(f64::MAX, f64::min)),
            FactorId::BETA60 => market(60).0,
            FactorId::BETA250 => market(250).0,
            FactorId::IDIOVOL60 => market(60).1,
            FactorId::IDIOVOL250 => market(250).1,
            FactorId::R2_60 => market(60).2,
            FactorId::RANGE20 => stat_b(20, &|b| {
                Self::mean(
                    &b.iter()
                        .map(|x| (x.high - x.low) / x.close)
                        .collect::<Vec<_>>(),
                )
            }),
            FactorId::PARKINSON20 => stat_b(20, &|b| {
                (Self::mean(
                    &b.iter()
                        .map(|x| (x.high / x.low).ln().powi(2))
                        .collect::<Vec<_>>(),
                ) / (4.0 * 2f64.ln()))
                .sqrt()
            }),
            FactorId::LOG_AMT5 => stat_b(5, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            FactorId::LOG_AMT20 => stat_b(20, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            FactorId::LOG_AMT60 => stat_b(60, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            FactorId::VOLRATIO1_20 | FactorId::VOLRATIO5_20 | FactorId::VOLRATIO20_120 => {
                let v = |w: usize| {
                    stat_b(w, &|b| {
                        Self::mean(
                            &b.iter()
                                .map(|x| x.volume / x.adj_factor)
                                .collect::<Vec<_>>(),
                        )
                    })
                };
                match f {
                    FactorId::VOLRATIO1_20 => today.volume / today.adj_factor / v(20),
                    FactorId::VOLRATIO5_20 => v(5) / v(20),
                    _ => v(20) / v(120),
                }
            }
            FactorId::AMIHUD20 | FactorId::AMIHUD60 => {
                let w = if f == FactorId::AMIHUD20 { 20 } else { 60 };
                let x: Vec<f64> = self
                    .window(t, w)
                    .filter_map(|d| Some(self.r(d)?.abs() / amount(self.traded(d)?)))
                    .collect();
                if Self::enough(x.len(), w) {
                    Self::mean(&x) * 1e8
                } else {
                    f64::NAN
                }
            }
            FactorId::ZERO_VOL20 => listed_share(20),
            FactorId::ZERO_VOL60 => listed_share(60),
            FactorId::LOG_PRICE => today.close.ln(),
            FactorId::CV_AMT20 => stat_b(20, &|b| {
                let a: Vec<f64> = b.iter().map(|x| amount(x)).collect();
                Self::pop_moment(&a, 2).sqrt() / Self::mean(&a)
            }),
            _ => f64::NAN,
        }
    }
}

fn agree(got: f64, want: f64) -> bool {
    if got.is_nan() || want.is_nan() {
        return got.is_nan() && want.is_nan();
    }
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

#[test]
fn test_price_factors_match_naive_reference() {
    let n = 320;
    let days = series(n);
    let bench = bench_levels(n);
    let got = run_library(&days, &bench);
    let price_factors: Vec<usize> = (0..N_FACTORS)
        .filter(|&f| !matches!(CATALOG[f].group, "value" | "industry"))
        .collect();
    assert_eq!(price_factors.len(), 56);
    // Days around the gaps, the adjustment jump, warm-ups and the long windows.
    let check_days = [
        3, 9, 25, 31, 45, 70, 99, 105, 106, 110, 124, 130, 149, 150, 151, 160, 170, 199, 202, 203,
        221, 260, 275, 300, 319,
    ];
    let mut checked = 0;
    let mut finite = vec![0usize; N_FACTORS];
    for s in 0..3u32 {
        let naive = Naive {
            days: &days,
            bench: &bench,
            s,
        };
        for &t in &check_days {
            if naive.traded(t).is_none() {
                assert!(
                    got[t][s as usize].iter().all(|v| v.is_nan()),
                    "not eligible on {t}"
                );
                continue;
            }
            for &f in &price_factors {
                let id: FactorId = factor_id_at(f);
                let want = naive.value(t, id);
                let have = got[t][s as usize][f];
                assert!(
                    agree(have, want),
                    "{} of symbol {s} on day {t}: library {have}, reference {want}",
                    CATALOG[f].name
                );
                if have.is_finite() {
                    finite[f] += 1;
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 3000);
    for &f in &price_factors {
        assert!(
            finite[f] > 0,
            "{} never has a value in the test",
            CATALOG[f].name
        );
    }
}
