//! Factor values against references computed another way: a direct,
//! naive formula over the whole (small) series for every price-volume
//! factor, hand-computed numbers for the tricky cases (suspension gaps, an
//! adjustment-factor jump), and the fundamentals' share-base rule.

use super::catalog::{FactorId, CATALOG, N_FACTORS};
use super::*;
use crate::context::{History, Names};
use crate::data::{Date, DayIndex, IndustryId, SymbolId};
use crate::event::{IndustryChange, ReportVisible};
use crate::feed::{BarRow, DayBatch};

mod naive;

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

/// The catalogue id of index `f` (the catalogue is in `FactorId` order).
fn factor_id_at(f: usize) -> FactorId {
    const ALL: [FactorId; N_FACTORS] = all_factor_ids();
    ALL[f]
}

const fn all_factor_ids() -> [FactorId; N_FACTORS] {
    use FactorId::*;
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
fn test_factor_id_order_matches_catalog() {
    for (i, f) in all_factor_ids().iter().enumerate() {
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
    close(v[FactorId::RET1 as usize], 0.1);
    close(v[FactorId::RET3 as usize], 0.1);
    close(v[FactorId::OVERNIGHT1 as usize], 0.04);
    close(v[FactorId::INTRADAY1 as usize], 5.5 / 5.2 - 1.0);
    close(v[FactorId::LOG_PRICE as usize], 5.5f64.ln());
    // vwap = 2160/400 = 5.4 → 5.5/5.4 − 1
    close(v[FactorId::VWAP_DEV as usize], 5.5 / 5.4 - 1.0);
    assert!(
        v[FactorId::RET5 as usize].is_nan(),
        "no close 5 days before day 3"
    );
    assert!(v[FactorId::ZERO_VOL20 as usize].is_nan());
    assert!(v[FactorId::VOL20 as usize].is_nan());
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
    let close = |f: FactorId, b: f64| {
        let a = out[f as usize];
        assert!(
            (a - b).abs() < 1e-12,
            "{}: {a} vs {b}",
            CATALOG[f as usize].name
        )
    };
    close(FactorId::EP, 1.4 / 20.0);
    close(FactorId::EP_Q, 0.5 / 20.0);
    close(FactorId::BP, 5.0 / 20.0);
    close(FactorId::ROE, 1.4 / 5.0);
    close(FactorId::ROE_Q, 0.1);
    close(FactorId::EPS_CHG_Q, 0.1 / 20.0);
    close(FactorId::EPS_CHG_Y, 0.4 / 20.0);
    close(FactorId::BP_CHG_Q, 0.25);
    close(FactorId::BP_CHG_Y, 0.25);
    close(FactorId::ROE_CHG_Y, 0.1 - 0.025);
    close(FactorId::ROE_CHG_Q, 0.1 - 0.4 / 4.0);
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
    assert!((out[FactorId::SUE as usize] - 1.0 / sd).abs() < 1e-12);
}

/// Industry-relative: value minus the industry mean over the eligible set.
#[test]
fn test_industry_relative_is_value_minus_industry_mean() {
    let n = 40;
    let days = series(n);
    let got = run_library(&days, &bench_levels(n));
    let t = 39;
    let vals: Vec<f64> = (0..3).map(|s| got[t][s][FactorId::RET5 as usize]).collect();
    let mean = vals.iter().sum::<f64>() / 3.0;
    for s in 0..3 {
        assert!((got[t][s][FactorId::RET5_IND as usize] - (vals[s] - mean)).abs() < 1e-12);
    }
}

/// A state tracking only some symbols computes their factors exactly as a
/// state tracking all of them, on the series with a suspension gap, an
/// adjustment jump and a late listing; the equal-weighted benchmark return
/// (no levels) still includes the untracked symbol's return.
#[test]
fn test_tracking_a_subset_gives_the_same_values_bit_for_bit() {
    let days = series(320);
    let levels = bench_levels(320);
    for with_levels in [false, true] {
        let mut all = rolling::PriceState::new(3);
        let mut some = rolling::PriceState::tracking(3, Some(&[true, false, true]));
        for (d, bars) in days.iter().enumerate() {
            let level = with_levels.then(|| levels[d]);
            all.update(bars, level);
            some.update(bars, level);
            assert_eq!(all.bench_ret.to_bits(), some.bench_ret.to_bits(), "day {d}");
            for s in [0, 2] {
                let (mut a, mut b) = ([f64::NAN; N_FACTORS], [f64::NAN; N_FACTORS]);
                all.compute(s, &mut a);
                some.compute(s, &mut b);
                for f in 0..N_FACTORS {
                    assert_eq!(
                        a[f].to_bits(),
                        b[f].to_bits(),
                        "day {d} symbol {s} {}",
                        CATALOG[f].name
                    );
                }
            }
        }
        // the untracked symbol's return is part of the equal-weighted mean
        if !with_levels {
            let mut without = rolling::PriceState::new(3);
            let two: Vec<Vec<BarRow>> = days
                .iter()
                .map(|b| b.iter().filter(|r| r.symbol.0 != 1).copied().collect())
                .collect();
            for bars in &two {
                without.update(bars, None);
            }
            assert_ne!(without.bench_ret.to_bits(), some.bench_ret.to_bits());
        }
    }
}

#[test]
#[should_panic(expected = "symbol 1 is not tracked")]
fn test_an_untracked_symbol_cannot_be_computed() {
    let mut some = rolling::PriceState::tracking(3, Some(&[true, false, true]));
    some.update(&series(5)[4], None);
    some.compute(1, &mut [0.0; N_FACTORS]);
}
