//! Factor values against references computed another way: a direct,
//! naive formula over the whole (small) series for every price-volume
//! factor, hand-computed numbers for the tricky cases (suspension gaps, an
//! adjustment-factor jump), and the fundamentals' share-base rule.

use super::catalog::{Fid, CATALOG, N_FACTORS};
use super::*;
use crate::context::{History, Names};
use crate::data::{Date, DayIndex, IndustryId, SymbolId};
use crate::event::{IndustryChange, ReportVisible};
use crate::feed::{BarRow, DayBatch};

fn date(d: usize) -> Date {
    Date::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(d as u64)
}

#[allow(clippy::too_many_arguments)] // a bar is eight numbers
fn bar(
    s: u32,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    amount: f64,
    adj: f64,
) -> BarRow {
    BarRow {
        symbol: SymbolId(s),
        open,
        high,
        low,
        close,
        volume,
        amount,
        adj_factor: adj,
        limit_up: f64::NAN,
        limit_down: f64::NAN,
    }
}

/// A deterministic series of `n` days for symbol `s` (no randomness crate
/// needed): symbol 0 has no rows on days 100..=104, volume-0 rows on days
/// 200..=201, and a 2-for-1 adjustment on day 150 (raw price halves,
/// adj_factor doubles); symbol 1 lists on day 30; symbol 2 is plain.
fn series(n: usize) -> Vec<Vec<BarRow>> {
    let mut days = vec![Vec::new(); n];
    for s in 0..3u32 {
        let mut raw = 10.0 + s as f64;
        let mut adj = 1.0;
        for (d, day) in days.iter_mut().enumerate() {
            let x = (d as f64 * 0.7 + s as f64 * 1.3).sin() * 0.02 + (d as f64 * 0.13).cos() * 0.01;
            if s == 1 && d < 30 {
                continue;
            }
            if s == 0 && (100..=104).contains(&d) {
                continue;
            }
            if s == 0 && d == 150 {
                raw /= 2.0;
                adj *= 2.0;
            }
            if s == 0 && (200..=201).contains(&d) {
                day.push(bar(s, raw, raw, raw, raw, 0.0, 0.0, adj));
                continue;
            }
            let open = raw * (1.0 + 0.3 * x);
            raw *= 1.0 + x;
            let high = open.max(raw) * 1.01;
            let low = open.min(raw) * 0.985;
            let volume = 1000.0 * (2.0 + (d as f64 * 0.31 + s as f64).sin()) / adj;
            let amount = if s == 2 {
                f64::NAN
            } else {
                volume * (open + raw) / 2.0
            };
            day.push(bar(s, open, high, low, raw, volume, amount, adj));
        }
    }
    days
}

fn bench_levels(n: usize) -> Vec<f64> {
    let mut level = 1000.0;
    (0..n)
        .map(|d| {
            level *= 1.0 + (d as f64 * 0.45).sin() * 0.012;
            level
        })
        .collect()
}

/// Runs the library over `days`, returning each day's raw values per symbol
/// (NaN row when the symbol is not eligible).
fn run_library(days: &[Vec<BarRow>], bench: &[f64]) -> Vec<Vec<[f64; N_FACTORS]>> {
    let names = Names {
        symbols: vec!["A".into(), "B".into(), "C".into()],
        industries: vec!["I".into()],
        factors: vec![],
        library_factors: CATALOG.iter().map(|f| f.name.to_owned()).collect(),
        fundamental_fields: vec![],
    };
    let mut h = History::new(names, false);
    h.apply_industries(
        &(0..3)
            .map(|s| IndustryChange {
                symbol: SymbolId(s),
                industry: Some(IndustryId(0)),
            })
            .collect::<Vec<_>>(),
    );
    let mut lib = FactorLibrary::new(
        (0..N_FACTORS).collect(),
        PreprocessConfig::default(),
        3,
        &[],
    );
    let mut out = Vec::new();
    for (d, bars) in days.iter().enumerate() {
        let mut batch = DayBatch {
            day: DayIndex(d as u32),
            date: date(d),
            bars: bars.clone(),
            ..Default::default()
        };
        h.apply_close(&mut batch);
        lib.on_close(&h, Some(bench[d]), true);
        let mut rows = vec![[f64::NAN; N_FACTORS]; 3];
        let (symbols, _, _) = lib.output();
        for (i, s) in symbols.to_vec().iter().enumerate() {
            for (f, v) in rows[s.index()].iter_mut().enumerate() {
                *v = lib.raw[i * N_FACTORS + f];
            }
        }
        out.push(rows);
    }
    out
}

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

    fn value(&self, t: usize, f: Fid) -> f64 {
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
            Fid::RET1 => ret(1),
            Fid::RET3 => ret(3),
            Fid::RET5 => ret(5),
            Fid::RET10 => ret(10),
            Fid::RET20 => ret(20),
            Fid::OVERNIGHT1 => today.open * today.adj_factor / self.c(ti - 1) - 1.0,
            Fid::INTRADAY1 => today.close / today.open - 1.0,
            Fid::OVERNIGHT20 | Fid::INTRADAY20 | Fid::OVN_INTRA20 => {
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
                    Fid::OVERNIGHT20 => o,
                    Fid::INTRADAY20 => i,
                    _ => o - i,
                }
            }
            Fid::RET20_EXCESS => ret(20) - bench_ret(20),
            Fid::VWAP_DEV => {
                let vwap = if today.amount.is_finite() {
                    today.amount / today.volume
                } else {
                    (today.high + today.low + today.close) / 3.0
                };
                today.close / vwap - 1.0
            }
            Fid::MOM60_20 => mom(20, 60),
            Fid::MOM120_20 => mom(20, 120),
            Fid::MOM250_20 => mom(20, 250),
            Fid::RET60 => ret(60),
            Fid::RET120 => ret(120),
            Fid::HIGH52W => stat_b(250, &|b| {
                adj_close(today) / b.iter().map(|x| adj_close(x)).fold(f64::MIN, f64::max)
            }),
            Fid::LOW52W => stat_b(250, &|b| {
                adj_close(today) / b.iter().map(|x| adj_close(x)).fold(f64::MAX, f64::min)
            }),
            Fid::MA5 => adj_close(today) / ma(5) - 1.0,
            Fid::MA10 => adj_close(today) / ma(10) - 1.0,
            Fid::MA20 => adj_close(today) / ma(20) - 1.0,
            Fid::MA60 => adj_close(today) / ma(60) - 1.0,
            Fid::MA120 => adj_close(today) / ma(120) - 1.0,
            Fid::MA5_MA20 => ma(5) / ma(20) - 1.0,
            Fid::MA20_MA60 => ma(20) / ma(60) - 1.0,
            Fid::UP_RATIO60 => stat_r(60, &|r| {
                r.iter().filter(|&&v| v > 0.0).count() as f64 / r.len() as f64
            }),
            Fid::MOM_SHARPE120 => stat_r(120, &|r| Self::mean(r) / crate::metrics::std_sample(r)),
            Fid::VOL20 => stat_r(20, &crate::metrics::std_sample),
            Fid::VOL60 => stat_r(60, &crate::metrics::std_sample),
            Fid::VOL120 => stat_r(120, &crate::metrics::std_sample),
            Fid::DOWNSIDE60 => stat_r(60, &|r| {
                (r.iter().filter(|&&v| v < 0.0).map(|v| v * v).sum::<f64>()
                    / r.iter().map(|v| v * v).sum::<f64>())
                .sqrt()
            }),
            Fid::SKEW20 => stat_r(20, &|r| {
                Self::pop_moment(r, 3) / Self::pop_moment(r, 2).powf(1.5)
            }),
            Fid::SKEW60 => stat_r(60, &|r| {
                Self::pop_moment(r, 3) / Self::pop_moment(r, 2).powf(1.5)
            }),
            Fid::KURT60 => stat_r(60, &|r| {
                Self::pop_moment(r, 4) / Self::pop_moment(r, 2).powi(2) - 3.0
            }),
            Fid::MAXRET20 => stat_r(20, &|r| r.iter().copied().fold(f64::MIN, f64::max)),
            Fid::MINRET20 => stat_r(20, &|r| r.iter().copied().fold(f64::MAX, f64::min)),
            Fid::BETA60 => market(60).0,
            Fid::BETA250 => market(250).0,
            Fid::IDIOVOL60 => market(60).1,
            Fid::IDIOVOL250 => market(250).1,
            Fid::R2_60 => market(60).2,
            Fid::RANGE20 => stat_b(20, &|b| {
                Self::mean(
                    &b.iter()
                        .map(|x| (x.high - x.low) / x.close)
                        .collect::<Vec<_>>(),
                )
            }),
            Fid::PARKINSON20 => stat_b(20, &|b| {
                (Self::mean(
                    &b.iter()
                        .map(|x| (x.high / x.low).ln().powi(2))
                        .collect::<Vec<_>>(),
                ) / (4.0 * 2f64.ln()))
                .sqrt()
            }),
            Fid::LOG_AMT5 => stat_b(5, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            Fid::LOG_AMT20 => stat_b(20, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            Fid::LOG_AMT60 => stat_b(60, &|b| {
                Self::mean(&b.iter().map(|x| amount(x)).collect::<Vec<_>>()).ln()
            }),
            Fid::VOLRATIO1_20 | Fid::VOLRATIO5_20 | Fid::VOLRATIO20_120 => {
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
                    Fid::VOLRATIO1_20 => today.volume / today.adj_factor / v(20),
                    Fid::VOLRATIO5_20 => v(5) / v(20),
                    _ => v(20) / v(120),
                }
            }
            Fid::AMIHUD20 | Fid::AMIHUD60 => {
                let w = if f == Fid::AMIHUD20 { 20 } else { 60 };
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
            Fid::ZERO_VOL20 => listed_share(20),
            Fid::ZERO_VOL60 => listed_share(60),
            Fid::LOG_PRICE => today.close.ln(),
            Fid::CV_AMT20 => stat_b(20, &|b| {
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
                let fid: Fid = fid_at(f);
                let want = naive.value(t, fid);
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

/// The catalogue id of index `f` (the catalogue is in `Fid` order).
fn fid_at(f: usize) -> Fid {
    const ALL: [Fid; N_FACTORS] = all_fids();
    ALL[f]
}

const fn all_fids() -> [Fid; N_FACTORS] {
    use Fid::*;
    [
        RET1,
        RET3,
        RET5,
        RET10,
        RET20,
        OVERNIGHT1,
        INTRADAY1,
        OVERNIGHT20,
        INTRADAY20,
        OVN_INTRA20,
        RET20_EXCESS,
        VWAP_DEV,
        MOM60_20,
        MOM120_20,
        MOM250_20,
        RET60,
        RET120,
        HIGH52W,
        LOW52W,
        MA5,
        MA10,
        MA20,
        MA60,
        MA120,
        MA5_MA20,
        MA20_MA60,
        UP_RATIO60,
        MOM_SHARPE120,
        VOL20,
        VOL60,
        VOL120,
        DOWNSIDE60,
        SKEW20,
        SKEW60,
        KURT60,
        MAXRET20,
        MINRET20,
        BETA60,
        BETA250,
        IDIOVOL60,
        IDIOVOL250,
        R2_60,
        RANGE20,
        PARKINSON20,
        LOG_AMT5,
        LOG_AMT20,
        LOG_AMT60,
        VOLRATIO1_20,
        VOLRATIO5_20,
        VOLRATIO20_120,
        AMIHUD20,
        AMIHUD60,
        ZERO_VOL20,
        ZERO_VOL60,
        LOG_PRICE,
        CV_AMT20,
        EP,
        EP_Q,
        BP,
        ROE,
        ROE_Q,
        EPS_CHG_Q,
        EPS_CHG_Y,
        BP_CHG_Q,
        BP_CHG_Y,
        ROE_CHG_Q,
        ROE_CHG_Y,
        SUE,
        RET5_IND,
        RET20_IND,
        MOM120_20_IND,
        VOL20_IND,
        LOG_AMT20_IND,
        AMIHUD20_IND,
        EP_IND,
        BP_IND,
        ROE_IND,
    ]
}

#[test]
fn test_fid_order_matches_catalog() {
    for (i, f) in all_fids().iter().enumerate() {
        assert_eq!(*f as usize, i);
    }
}

/// Hand case: a suspension gap and an adjustment jump in one return.
/// Day 0 close 10 (adj 1); day 1 no row; day 2 volume 0; day 3 a 2-for-1
/// split: raw close 5.5, adj 2 → adjusted 11. ret1 on day 3 = 11/10 − 1 =
/// 0.1 (spans the gap, continuous through the split); ret3 = C(3)/C(0) − 1
/// = 0.1; overnight1 with open 5.2: 10.4/10 − 1 = 0.04; log_price = ln 5.5;
/// zero_vol20 = 2 untraded of 4 listed days, but 4 < min_obs(20) = 10 → NaN.
#[test]
fn test_hand_gap_and_adjustment_jump() {
    let days = vec![
        vec![bar(0, 10.0, 10.0, 10.0, 10.0, 100.0, 1000.0, 1.0)],
        vec![],
        vec![bar(0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 1.0)],
        vec![bar(0, 5.2, 5.6, 5.1, 5.5, 400.0, 2160.0, 2.0)],
    ];
    let days: Vec<Vec<BarRow>> = days;
    let got = run_library(&days, &[1.0, 1.0, 1.0, 1.0]);
    let v = got[3][0];
    let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    close(v[Fid::RET1 as usize], 0.1);
    close(v[Fid::RET3 as usize], 0.1);
    close(v[Fid::OVERNIGHT1 as usize], 0.04);
    close(v[Fid::INTRADAY1 as usize], 5.5 / 5.2 - 1.0);
    close(v[Fid::LOG_PRICE as usize], 5.5f64.ln());
    // vwap = 2160/400 = 5.4 → 5.5/5.4 − 1
    close(v[Fid::VWAP_DEV as usize], 5.5 / 5.4 - 1.0);
    assert!(
        v[Fid::RET5 as usize].is_nan(),
        "no close 5 days before day 3"
    );
    assert!(v[Fid::ZERO_VOL20 as usize].is_nan());
    assert!(v[Fid::VOL20 as usize].is_nan());
}

/// Fundamentals: share base and quarter arithmetic by hand. EPS per quarter
/// 2019Q1..2020Q1 = 0.1, 0.2, 0.3, 0.4, 0.5 (2020Q1 restated from 0.45),
/// BPS 2020Q1 = 5, 2019Q4 = 4, 2019Q1 = 4; all reported while adj = 1; then
/// a 2-for-1 split (adj 2, raw close 10 → adjusted 20).
/// TTM EPS = 0.2+0.3+0.4+0.5 = 1.4 → ep = 1.4/20 = 0.07; ep_q = 0.5/20;
/// bp = 5/20; roe = 1.4/5; roe_q = 0.5/5 = 0.1; eps_chg_q = 0.1/20;
/// eps_chg_y = 0.4/20; bp_chg_q = 5/4 − 1; bp_chg_y = 5/4 − 1;
/// roe_chg_y = 0.1 − 0.1/4.
#[test]
fn test_fundamental_factors_hand_case() {
    let fields = vec!["eps".to_owned(), "bps".to_owned()];
    let mut st = fundamental::FundamentalState::new(1, &fields);
    let rep = |field: u16, y: i32, m: u32, value: f64| ReportVisible {
        symbol: SymbolId(0),
        field,
        period_end: Date::from_ymd_opt(y, m, if m == 3 || m == 12 { 31 } else { 30 }).unwrap(),
        announce_date: Date::from_ymd_opt(2020, 5, 1).unwrap(),
        value,
    };
    st.ingest(
        &[
            rep(0, 2019, 3, 0.1),
            rep(0, 2019, 6, 0.2),
            rep(0, 2019, 9, 0.3),
            rep(0, 2019, 12, 0.4),
            rep(0, 2020, 3, 0.45),
            rep(1, 2019, 3, 4.0),
            rep(1, 2019, 12, 4.0),
            rep(1, 2020, 3, 5.0),
        ],
        &[1.0],
    );
    st.ingest(&[rep(0, 2020, 3, 0.5)], &[1.0]); // restatement
    let mut out = [f64::NAN; N_FACTORS];
    st.compute(0, 20.0, &mut out);
    let close = |f: Fid, b: f64| {
        let a = out[f as usize];
        assert!(
            (a - b).abs() < 1e-12,
            "{}: {a} vs {b}",
            CATALOG[f as usize].name
        )
    };
    close(Fid::EP, 1.4 / 20.0);
    close(Fid::EP_Q, 0.5 / 20.0);
    close(Fid::BP, 5.0 / 20.0);
    close(Fid::ROE, 1.4 / 5.0);
    close(Fid::ROE_Q, 0.1);
    close(Fid::EPS_CHG_Q, 0.1 / 20.0);
    close(Fid::EPS_CHG_Y, 0.4 / 20.0);
    close(Fid::BP_CHG_Q, 0.25);
    close(Fid::BP_CHG_Y, 0.25);
    close(Fid::ROE_CHG_Y, 0.1 - 0.025);
    close(Fid::ROE_CHG_Q, 0.1 - 0.4 / 4.0);
}

/// SUE by hand: EPS_q − EPS_{q−4} differences over 3 years.
#[test]
fn test_sue_hand_case() {
    let fields = vec!["eps".to_owned()];
    let mut st = fundamental::FundamentalState::new(1, &fields);
    // quarters 2017Q1..2019Q4 eps = 1,1,1,1, 2,1,3,1, 2,4,3,2 (12 quarters)
    let eps = [1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 4.0, 3.0, 2.0];
    let reps: Vec<ReportVisible> = eps
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let y = 2017 + (i / 4) as i32;
            let m = 3 * (i % 4) as u32 + 3;
            ReportVisible {
                symbol: SymbolId(0),
                field: 0,
                period_end: Date::from_ymd_opt(y, m, 28).unwrap(),
                announce_date: Date::from_ymd_opt(2020, 1, 1).unwrap(),
                value: v,
            }
        })
        .collect();
    st.ingest(&reps, &[1.0]);
    let mut out = [f64::NAN; N_FACTORS];
    st.compute(0, 10.0, &mut out);
    // latest diff (2019Q4 − 2018Q4) = 2 − 1 = 1; previous diffs k = 1..8
    // available: 2019Q3−2018Q3 = 0, Q2: 3, Q1: 0, 2018Q4−2017Q4 = 0, Q3: 2,
    // Q2: 0, Q1: 1 (2017Q4 − 2016Q4 is unknown) → 7 values 0,3,0,0,2,0,1.
    let d = [0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 1.0];
    let m = d.iter().sum::<f64>() / 7.0;
    let sd = (d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 6.0).sqrt();
    assert!((out[Fid::SUE as usize] - 1.0 / sd).abs() < 1e-12);
}

/// Industry-relative: value minus the industry mean over the eligible set.
#[test]
fn test_industry_relative_is_value_minus_industry_mean() {
    let n = 40;
    let days = series(n);
    let got = run_library(&days, &bench_levels(n));
    let t = 39;
    let vals: Vec<f64> = (0..3).map(|s| got[t][s][Fid::RET5 as usize]).collect();
    let mean = vals.iter().sum::<f64>() / 3.0;
    for s in 0..3 {
        assert!((got[t][s][Fid::RET5_IND as usize] - (vals[s] - mean)).abs() < 1e-12);
    }
}
