//! Rolling per-symbol state of the price-volume factors (reversal,
//! momentum, volatility, liquidity), updated once per close from that day's
//! bars only.
//!
//! Design notes: every windowed statistic is a difference of running sums
//! kept in a ring of the last [`SHORT`] (or [`LONG`]) days per symbol:
//! `Σ_{t−W < d ≤ t} x_d = S_t − S_{t−W}`, so any window up to the ring length
//! costs O(1) per stock-day and nothing older than the ring is kept. The
//! state holds no array over the whole calendar, and it is only ever
//! written with the day being closed: a factor cannot read a later day
//! because no later day has been stored. Rolling maxima and minima (52-week
//! high/low) use monotonic deques of the same bounded length.

use super::catalog::Fid;
use crate::feed::BarRow;
use std::collections::VecDeque;

/// Ring length of the short sums (windows ≤ 120 days).
pub const SHORT: usize = 128;
/// Ring length of the long sums and the close ring (windows ≤ 250 days).
pub const LONG: usize = 256;
/// Ring length of the daily returns (max/min over ≤ 20 days).
const RETS: usize = 32;

/// Short running sums, per symbol and day slot.
#[derive(Clone, Copy)]
#[repr(usize)]
enum Q {
    /// Number of returns.
    NR,
    SR,
    SR2,
    SR3,
    SR4,
    /// Σ r² over r < 0.
    Neg2,
    /// Number of returns > 0.
    Up,
    /// Number of traded days.
    NT,
    /// Σ adjusted close over traded days.
    Close,
    /// Number of overnight returns, Σ ln(open/prev close).
    NOvn,
    Ovn,
    /// Σ ln(close/open) over traded days.
    Intra,
    Amt,
    Amt2,
    /// Σ volume/adj_factor.
    VolAdj,
    /// Σ |r|/amount over returns.
    Illiq,
    /// Σ (high − low)/close.
    Range,
    /// Σ ln(high/low)².
    Park,
    /// Number of listed days (from the first row on).
    Listed,
}
const QS: usize = Q::Listed as usize + 1;

/// Long running sums (beta over 250 days).
#[derive(Clone, Copy)]
#[repr(usize)]
enum L {
    NT,
    /// Number of days with both a return and a benchmark return, and sums over them.
    N,
    R,
    R2,
    B,
    B2,
    RB,
}
const QL: usize = L::RB as usize + 1;

/// Today's observation of one symbol.
#[derive(Debug, Clone, Copy)]
struct Today {
    traded: bool,
    r: f64,
    open_adj: f64,
    close_adj: f64,
    close_raw: f64,
    open_raw: f64,
    vwap: f64,
    volume_adj: f64,
}

const NO_TODAY: Today = Today {
    traded: false,
    r: f64::NAN,
    open_adj: f64::NAN,
    close_adj: f64::NAN,
    close_raw: f64::NAN,
    open_raw: f64::NAN,
    vwap: f64::NAN,
    volume_adj: f64::NAN,
};

/// The rolling state of all symbols.
pub struct PriceState {
    n: usize,
    /// Days closed so far; today is `t − 1` after an update.
    t: usize,
    short: Vec<f64>,
    long: Vec<f64>,
    close_ff: Vec<f64>,
    rets: Vec<f64>,
    /// Cumulative benchmark level (1 before day 0), ring of LONG.
    bench: Vec<f64>,
    bench_prev_close: Option<f64>,
    bench_seen: bool,
    /// Today's benchmark return (NaN when unknown).
    pub bench_ret: f64,
    last_close_adj: Vec<f64>,
    /// Last adj_factor seen per symbol (1 before the first row).
    pub last_adj: Vec<f64>,
    listed: Vec<bool>,
    highs: Vec<VecDeque<(u32, f64)>>,
    lows: Vec<VecDeque<(u32, f64)>>,
    today: Vec<Today>,
}

/// Minimum observations of a window of `w` days.
#[inline]
pub fn min_obs(w: usize) -> f64 {
    w.div_ceil(2).max(3) as f64
}

impl PriceState {
    pub fn new(n: usize) -> Self {
        PriceState {
            n,
            t: 0,
            short: vec![0.0; n * SHORT * QS],
            long: vec![0.0; n * LONG * QL],
            close_ff: vec![f64::NAN; n * LONG],
            rets: vec![f64::NAN; n * RETS],
            bench: vec![1.0; LONG],
            bench_prev_close: None,
            bench_seen: false,
            bench_ret: f64::NAN,
            last_close_adj: vec![f64::NAN; n],
            last_adj: vec![1.0; n],
            listed: vec![false; n],
            highs: vec![VecDeque::new(); n],
            lows: vec![VecDeque::new(); n],
            today: vec![NO_TODAY; n],
        }
    }

    /// Heap bytes held (for the memory figure of the benchmarks).
    pub fn heap_bytes(&self) -> usize {
        8 * (self.short.len() + self.long.len() + self.close_ff.len() + self.rets.len())
            + self.n * (3 * 8 + std::mem::size_of::<Today>())
            + self
                .highs
                .iter()
                .chain(&self.lows)
                .map(|d| d.capacity() * 16)
                .sum::<usize>()
    }

    /// Closes one day: `bars` are today's rows (sorted by symbol, suspended
    /// rows included), `benchmark_close` the benchmark level today when the
    /// run has levels.
    pub fn update(&mut self, bars: &[BarRow], benchmark_close: Option<f64>) {
        let t = self.t;
        let (cur_s, prev_s) = (t % SHORT, (t + SHORT - 1) % SHORT);
        let (cur_l, prev_l) = (t % LONG, (t + LONG - 1) % LONG);

        for td in &mut self.today {
            *td = NO_TODAY;
        }
        for b in bars {
            let s = b.symbol.index();
            self.listed[s] = true;
            self.last_adj[s] = b.adj_factor;
            if !b.is_traded() {
                continue;
            }
            let close_adj = b.close * b.adj_factor;
            let open_adj = b.open * b.adj_factor;
            let prev = self.last_close_adj[s];
            let vwap = if b.amount.is_finite() && b.amount > 0.0 {
                b.amount / b.volume
            } else {
                (b.high + b.low + b.close) / 3.0
            };
            self.today[s] = Today {
                traded: true,
                r: close_adj / prev - 1.0, // NaN before the first traded close
                open_adj,
                close_adj,
                close_raw: b.close,
                open_raw: b.open,
                vwap,
                volume_adj: b.volume / b.adj_factor,
            };
        }

        // Benchmark return: from levels when the run has them, else the
        // equal-weighted return of every stock with a return today.
        self.bench_ret = match (benchmark_close, self.bench_prev_close) {
            (Some(now), Some(prev)) => now / prev - 1.0,
            (Some(_), None) => f64::NAN,
            (None, _) if self.bench_seen => f64::NAN,
            (None, _) => {
                let (mut sum, mut n) = (0.0, 0usize);
                for td in &self.today {
                    if td.r.is_finite() {
                        sum += td.r;
                        n += 1;
                    }
                }
                if n == 0 {
                    f64::NAN
                } else {
                    sum / n as f64
                }
            }
        };
        if let Some(c) = benchmark_close {
            self.bench_prev_close = Some(c);
            self.bench_seen = true;
        }
        let prev_level = if t == 0 { 1.0 } else { self.bench[prev_l] };
        self.bench[cur_l] = prev_level
            * (1.0
                + if self.bench_ret.is_finite() {
                    self.bench_ret
                } else {
                    0.0
                });
        let b = self.bench_ret;

        // Carry the running sums forward: the slot layout is day-major
        // (`slot × symbol × quantity`), so this is one block copy and the
        // window reads of a day stream through memory in symbol order.
        let n = self.n;
        let (bs, bl) = (n * QS, n * QL);
        if t == 0 {
            self.short[cur_s * bs..(cur_s + 1) * bs].fill(0.0);
            self.long[cur_l * bl..(cur_l + 1) * bl].fill(0.0);
        } else {
            self.short
                .copy_within(prev_s * bs..(prev_s + 1) * bs, cur_s * bs);
            self.long
                .copy_within(prev_l * bl..(prev_l + 1) * bl, cur_l * bl);
        }
        for s in 0..self.n {
            let td = self.today[s];
            let base_s = (cur_s * n + s) * QS;
            let base_l = (cur_l * n + s) * QL;
            self.rets[(t % RETS) * n + s] = td.r;
            let ff = if td.traded {
                td.close_adj
            } else {
                self.last_close_adj[s]
            };
            self.close_ff[cur_l * n + s] = ff;
            if !self.listed[s] {
                continue;
            }
            let sh = &mut self.short[base_s..base_s + QS];
            sh[Q::Listed as usize] += 1.0;
            if !td.traded {
                continue;
            }
            let prev = self.last_close_adj[s];
            sh[Q::NT as usize] += 1.0;
            sh[Q::Close as usize] += td.close_adj;
            sh[Q::Intra as usize] += (td.close_raw / td.open_raw).ln();
            let r = td.r;
            if r.is_finite() {
                let r2 = r * r;
                sh[Q::NR as usize] += 1.0;
                sh[Q::SR as usize] += r;
                sh[Q::SR2 as usize] += r2;
                sh[Q::SR3 as usize] += r2 * r;
                sh[Q::SR4 as usize] += r2 * r2;
                if r < 0.0 {
                    sh[Q::Neg2 as usize] += r2;
                } else if r > 0.0 {
                    sh[Q::Up as usize] += 1.0;
                }
            }
            if prev.is_finite() {
                sh[Q::NOvn as usize] += 1.0;
                sh[Q::Ovn as usize] += (td.open_adj / prev).ln();
            }
            self.last_close_adj[s] = td.close_adj;
            let lg = &mut self.long[base_l..base_l + QL];
            lg[L::NT as usize] += 1.0;
            if r.is_finite() && b.is_finite() {
                lg[L::N as usize] += 1.0;
                lg[L::R as usize] += r;
                lg[L::R2 as usize] += r * r;
                lg[L::B as usize] += b;
                lg[L::B2 as usize] += b * b;
                lg[L::RB as usize] += r * b;
            }
            let day = t as u32;
            let hi = &mut self.highs[s];
            while hi.back().is_some_and(|x| x.1 <= td.close_adj) {
                hi.pop_back();
            }
            hi.push_back((day, td.close_adj));
            let lo = &mut self.lows[s];
            while lo.back().is_some_and(|x| x.1 >= td.close_adj) {
                lo.pop_back();
            }
            lo.push_back((day, td.close_adj));
        }
        // Bar-derived sums that need the raw row (amount, high, low).
        for bar in bars {
            let s = bar.symbol.index();
            if !bar.is_traded() {
                continue;
            }
            let base_s = (cur_s * n + s) * QS;
            let sh = &mut self.short[base_s..base_s + QS];
            let amount = if bar.amount.is_finite() && bar.amount > 0.0 {
                bar.amount
            } else {
                bar.close * bar.volume
            };
            sh[Q::Amt as usize] += amount;
            sh[Q::Amt2 as usize] += amount * amount;
            sh[Q::VolAdj as usize] += bar.volume / bar.adj_factor;
            let r = self.today[s].r;
            if r.is_finite() {
                sh[Q::Illiq as usize] += r.abs() / amount;
            }
            sh[Q::Range as usize] += (bar.high - bar.low) / bar.close;
            let lhl = (bar.high / bar.low).ln();
            sh[Q::Park as usize] += lhl * lhl;
        }
        // Expire the 52-week extremes (window of 250 days: day > t − 250).
        for s in 0..self.n {
            for dq in [&mut self.highs[s], &mut self.lows[s]] {
                while dq.front().is_some_and(|x| x.0 as usize + 250 <= t) {
                    dq.pop_front();
                }
            }
        }
        self.t += 1;
    }

    /// Window sums of the short quantities over the last `w` days (w < SHORT).
    #[inline]
    fn win(&self, s: usize, w: usize) -> [f64; QS] {
        debug_assert!(w < SHORT && self.t > 0);
        let today = self.t - 1;
        let n = self.n;
        let cur = &self.short[((today % SHORT) * n + s) * QS..][..QS];
        let mut out = [0.0; QS];
        out.copy_from_slice(cur);
        if today >= w {
            let old = &self.short[(((today - w) % SHORT) * n + s) * QS..][..QS];
            for (o, x) in out.iter_mut().zip(old) {
                *o -= x;
            }
        }
        out
    }

    #[inline]
    fn win_long(&self, s: usize, w: usize) -> [f64; QL] {
        debug_assert!(w < LONG && self.t > 0);
        let today = self.t - 1;
        let n = self.n;
        let mut out = [0.0; QL];
        out.copy_from_slice(&self.long[((today % LONG) * n + s) * QL..][..QL]);
        if today >= w {
            let old = &self.long[(((today - w) % LONG) * n + s) * QL..][..QL];
            for (o, x) in out.iter_mut().zip(old) {
                *o -= x;
            }
        }
        out
    }

    /// C(t − k): the last traded adjusted close on or before k days ago.
    #[inline]
    fn close_back(&self, s: usize, k: usize) -> f64 {
        let today = self.t - 1;
        if k > today || k >= LONG {
            return f64::NAN;
        }
        self.close_ff[((today - k) % LONG) * self.n + s]
    }

    #[inline]
    fn bench_back(&self, k: usize) -> f64 {
        let today = self.t - 1;
        if k > today + 1 || k >= LONG {
            return f64::NAN;
        }
        if k == today + 1 {
            return 1.0; // the level before day 0
        }
        self.bench[(today - k) % LONG]
    }

    /// True when `s` traded today.
    pub fn traded_today(&self, s: usize) -> bool {
        self.today[s].traded
    }

    /// Today's adjusted close of `s` (NaN when not traded today).
    pub fn close_adj_today(&self, s: usize) -> f64 {
        self.today[s].close_adj
    }

    /// Fills the price-volume factors of symbol `s` into `out` (indexed by [`Fid`]).
    pub fn compute(&self, s: usize, out: &mut [f64]) {
        let td = self.today[s];
        let mut set = |f: Fid, v: f64| out[f as usize] = if v.is_finite() { v } else { f64::NAN };
        let c0 = self.close_back(s, 0);
        let ret = |k: usize| c0 / self.close_back(s, k) - 1.0;

        // reversal
        set(Fid::RET1, ret(1));
        set(Fid::RET3, ret(3));
        set(Fid::RET5, ret(5));
        set(Fid::RET10, ret(10));
        set(Fid::RET20, ret(20));
        set(Fid::OVERNIGHT1, td.open_adj / self.close_back(s, 1) - 1.0);
        set(Fid::INTRADAY1, td.close_raw / td.open_raw - 1.0);
        let w20 = self.win(s, 20);
        let ok20 = w20[Q::NT as usize] >= min_obs(20);
        let ovn20 = if w20[Q::NOvn as usize] >= min_obs(20) {
            w20[Q::Ovn as usize]
        } else {
            f64::NAN
        };
        let intra20 = if ok20 {
            w20[Q::Intra as usize]
        } else {
            f64::NAN
        };
        set(Fid::OVERNIGHT20, ovn20);
        set(Fid::INTRADAY20, intra20);
        set(Fid::OVN_INTRA20, ovn20 - intra20);
        set(
            Fid::RET20_EXCESS,
            ret(20) - (self.bench_back(0) / self.bench_back(20) - 1.0),
        );
        set(Fid::VWAP_DEV, td.close_raw / td.vwap - 1.0);

        // momentum
        let c20 = self.close_back(s, 20);
        set(Fid::MOM60_20, c20 / self.close_back(s, 60) - 1.0);
        set(Fid::MOM120_20, c20 / self.close_back(s, 120) - 1.0);
        set(Fid::MOM250_20, c20 / self.close_back(s, 250) - 1.0);
        set(Fid::RET60, ret(60));
        set(Fid::RET120, ret(120));
        let l250 = self.win_long(s, 250);
        let ok250 = l250[L::NT as usize] >= min_obs(250);
        let hi = self.highs[s].front().map_or(f64::NAN, |x| x.1);
        let lo = self.lows[s].front().map_or(f64::NAN, |x| x.1);
        set(
            Fid::HIGH52W,
            if ok250 { td.close_adj / hi } else { f64::NAN },
        );
        set(
            Fid::LOW52W,
            if ok250 { td.close_adj / lo } else { f64::NAN },
        );
        let w5 = self.win(s, 5);
        let w10 = self.win(s, 10);
        let w60 = self.win(s, 60);
        let w120 = self.win(s, 120);
        let ma = |w: &[f64; QS], days: usize| {
            if w[Q::NT as usize] >= min_obs(days) {
                w[Q::Close as usize] / w[Q::NT as usize]
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
        set(Fid::MA5, td.close_adj / ma5 - 1.0);
        set(Fid::MA10, td.close_adj / ma10 - 1.0);
        set(Fid::MA20, td.close_adj / ma20 - 1.0);
        set(Fid::MA60, td.close_adj / ma60 - 1.0);
        set(Fid::MA120, td.close_adj / ma120 - 1.0);
        set(Fid::MA5_MA20, ma5 / ma20 - 1.0);
        set(Fid::MA20_MA60, ma20 / ma60 - 1.0);
        let nr = |w: &[f64; QS], days: usize| w[Q::NR as usize] >= min_obs(days);
        set(
            Fid::UP_RATIO60,
            if nr(&w60, 60) {
                w60[Q::Up as usize] / w60[Q::NR as usize]
            } else {
                f64::NAN
            },
        );
        let std = |w: &[f64; QS]| {
            let n = w[Q::NR as usize];
            let m = w[Q::SR as usize] / n;
            ((w[Q::SR2 as usize] - n * m * m) / (n - 1.0))
                .max(0.0)
                .sqrt()
        };
        set(
            Fid::MOM_SHARPE120,
            if nr(&w120, 120) {
                (w120[Q::SR as usize] / w120[Q::NR as usize]) / std(&w120)
            } else {
                f64::NAN
            },
        );

        // volatility
        let vol = |w: &[f64; QS], days: usize| if nr(w, days) { std(w) } else { f64::NAN };
        set(Fid::VOL20, vol(&w20, 20));
        set(Fid::VOL60, vol(&w60, 60));
        set(Fid::VOL120, vol(&w120, 120));
        set(
            Fid::DOWNSIDE60,
            if nr(&w60, 60) {
                (w60[Q::Neg2 as usize] / w60[Q::SR2 as usize]).sqrt()
            } else {
                f64::NAN
            },
        );
        // Central moments (population) from raw sums.
        let moments = |w: &[f64; QS]| {
            let n = w[Q::NR as usize];
            let m = w[Q::SR as usize] / n;
            let (e2, e3, e4) = (
                w[Q::SR2 as usize] / n,
                w[Q::SR3 as usize] / n,
                w[Q::SR4 as usize] / n,
            );
            let m2 = e2 - m * m;
            let m3 = e3 - 3.0 * m * e2 + 2.0 * m * m * m;
            let m4 = e4 - 4.0 * m * e3 + 6.0 * m * m * e2 - 3.0 * m.powi(4);
            (m2, m3, m4)
        };
        let skew = |w: &[f64; QS], days: usize| {
            if !nr(w, days) {
                return f64::NAN;
            }
            let (m2, m3, _) = moments(w);
            m3 / m2.powf(1.5)
        };
        set(Fid::SKEW20, skew(&w20, 20));
        set(Fid::SKEW60, skew(&w60, 60));
        set(
            Fid::KURT60,
            if nr(&w60, 60) {
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
        set(Fid::MAXRET20, if nr(&w20, 20) { mx } else { f64::NAN });
        set(Fid::MINRET20, if nr(&w20, 20) { mn } else { f64::NAN });
        let l60 = self.win_long(s, 60);
        let market = |l: &[f64; QL], days: usize| {
            let n = l[L::N as usize];
            if n < min_obs(days) {
                return (f64::NAN, f64::NAN, f64::NAN);
            }
            let (mr, mb) = (l[L::R as usize] / n, l[L::B as usize] / n);
            let var_r = l[L::R2 as usize] / n - mr * mr;
            let var_b = l[L::B2 as usize] / n - mb * mb;
            let cov = l[L::RB as usize] / n - mr * mb;
            let beta = cov / var_b;
            let idio = (var_r - cov * cov / var_b).max(0.0).sqrt();
            let r2 = cov * cov / (var_r * var_b);
            (beta, idio, r2)
        };
        let (beta60, idio60, r2_60) = market(&l60, 60);
        let (beta250, idio250, _) = market(&l250, 250);
        set(Fid::BETA60, beta60);
        set(Fid::BETA250, beta250);
        set(Fid::IDIOVOL60, idio60);
        set(Fid::IDIOVOL250, idio250);
        set(Fid::R2_60, r2_60);
        let per_traded = |w: &[f64; QS], q: Q, days: usize| {
            if w[Q::NT as usize] >= min_obs(days) {
                w[q as usize] / w[Q::NT as usize]
            } else {
                f64::NAN
            }
        };
        set(Fid::RANGE20, per_traded(&w20, Q::Range, 20));
        set(
            Fid::PARKINSON20,
            (per_traded(&w20, Q::Park, 20) / (4.0 * std::f64::consts::LN_2)).sqrt(),
        );

        // liquidity
        set(Fid::LOG_AMT5, per_traded(&w5, Q::Amt, 5).ln());
        let amt20 = per_traded(&w20, Q::Amt, 20);
        set(Fid::LOG_AMT20, amt20.ln());
        set(Fid::LOG_AMT60, per_traded(&w60, Q::Amt, 60).ln());
        let v20 = per_traded(&w20, Q::VolAdj, 20);
        set(Fid::VOLRATIO1_20, td.volume_adj / v20);
        set(Fid::VOLRATIO5_20, per_traded(&w5, Q::VolAdj, 5) / v20);
        set(Fid::VOLRATIO20_120, v20 / per_traded(&w120, Q::VolAdj, 120));
        let amihud = |w: &[f64; QS], days: usize| {
            if nr(w, days) {
                w[Q::Illiq as usize] / w[Q::NR as usize] * 1e8
            } else {
                f64::NAN
            }
        };
        set(Fid::AMIHUD20, amihud(&w20, 20));
        set(Fid::AMIHUD60, amihud(&w60, 60));
        let zero = |w: &[f64; QS], days: usize| {
            let listed = w[Q::Listed as usize];
            if listed >= min_obs(days) {
                1.0 - w[Q::NT as usize] / listed
            } else {
                f64::NAN
            }
        };
        set(Fid::ZERO_VOL20, zero(&w20, 20));
        set(Fid::ZERO_VOL60, zero(&w60, 60));
        set(Fid::LOG_PRICE, td.close_raw.ln());
        set(
            Fid::CV_AMT20,
            if ok20 {
                let m = amt20;
                (per_traded(&w20, Q::Amt2, 20) - m * m).max(0.0).sqrt() / m
            } else {
                f64::NAN
            },
        );
    }
}
