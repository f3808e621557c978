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
//! high/low) use monotonic deques of the same bounded length. This file
//! keeps the state and its daily update; `compute` reads the factor values.

use crate::feed::BarRow;
use std::collections::VecDeque;

mod compute;

/// Ring length of the short sums (windows ≤ 120 days).
pub const SHORT: usize = 128;
/// Ring length of the long sums and the close ring (windows ≤ 250 days).
pub const LONG: usize = 256;
/// Ring length of the daily returns (max/min over ≤ 20 days).
const RETS: usize = 32;
/// The slot of a symbol without window state.
const UNTRACKED: u32 = u32::MAX;

/// The short running sums kept per symbol and day slot (the index of each
/// in a slot's `SHORT_SUMS` values).
#[derive(Clone, Copy)]
#[repr(usize)]
enum ShortSum {
    /// Number of returns.
    ReturnCount,
    /// Σ r.
    Return,
    /// Σ r².
    ReturnSquared,
    /// Σ r³.
    ReturnCubed,
    /// Σ r⁴.
    ReturnFourth,
    /// Σ r² over r < 0.
    NegativeReturnSquared,
    /// Number of returns > 0.
    UpCount,
    /// Number of traded days.
    TradedCount,
    /// Σ adjusted close over traded days.
    Close,
    /// Number of overnight returns.
    OvernightCount,
    /// Σ ln(open/prev close).
    OvernightLogReturn,
    /// Σ ln(close/open) over traded days.
    IntradayLogReturn,
    /// Σ traded value (amount, or close × volume without amount).
    Amount,
    /// Σ traded value².
    AmountSquared,
    /// Σ volume/adj_factor.
    AdjustedVolume,
    /// Σ |r|/amount over returns.
    Illiquidity,
    /// Σ (high − low)/close.
    Range,
    /// Σ ln(high/low)² (Parkinson).
    LogRangeSquared,
    /// Number of listed days (from the first row on).
    ListedCount,
}
/// Number of short running sums per symbol and slot.
const SHORT_SUMS: usize = ShortSum::ListedCount as usize + 1;

/// The long running sums kept per symbol and day slot (beta over 250 days).
#[derive(Clone, Copy)]
#[repr(usize)]
enum LongSum {
    /// Number of traded days.
    TradedCount,
    /// Number of days with both a return and a benchmark return, and sums over them.
    PairCount,
    /// Σ r.
    Return,
    /// Σ r².
    ReturnSquared,
    /// Σ b.
    Benchmark,
    /// Σ b².
    BenchmarkSquared,
    /// Σ r·b.
    ReturnTimesBenchmark,
}
/// Number of long running sums per symbol and slot.
const LONG_SUMS: usize = LongSum::ReturnTimesBenchmark as usize + 1;

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

/// The rolling state of all symbols (the windowed sums and extremes only
/// of the tracked ones: [`PriceState::tracking`]).
pub struct PriceState {
    /// Tracked symbols: the width of every ring.
    n: usize,
    /// Symbol index → its column in the rings (`UNTRACKED`: none).
    slot: Vec<u32>,
    /// Column in the rings → symbol index.
    tracked: Vec<u32>,
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
    /// The state of `n` symbols, all tracked.
    pub fn new(n: usize) -> Self {
        Self::tracking(n, None)
    }

    /// The state of `n` symbols, keeping window sums, closes and extremes
    /// only for those with `tracked[s]` (all when `None`): the factors of an
    /// untracked symbol cannot be computed, the rest (today's bars, last
    /// closes, the equal-weighted benchmark return) still covers every symbol.
    pub fn tracking(n_symbols: usize, tracked: Option<&[bool]>) -> Self {
        let tracked: Vec<u32> = (0..n_symbols as u32)
            .filter(|&s| tracked.is_none_or(|t| t[s as usize]))
            .collect();
        let mut slot = vec![UNTRACKED; n_symbols];
        for (k, &s) in tracked.iter().enumerate() {
            slot[s as usize] = k as u32;
        }
        let n = tracked.len();
        PriceState {
            n,
            slot,
            tracked,
            t: 0,
            short: vec![0.0; n * SHORT * SHORT_SUMS],
            long: vec![0.0; n * LONG * LONG_SUMS],
            close_ff: vec![f64::NAN; n * LONG],
            rets: vec![f64::NAN; n * RETS],
            bench: vec![1.0; LONG],
            bench_prev_close: None,
            bench_seen: false,
            bench_ret: f64::NAN,
            last_close_adj: vec![f64::NAN; n_symbols],
            last_adj: vec![1.0; n_symbols],
            listed: vec![false; n_symbols],
            highs: vec![VecDeque::new(); n],
            lows: vec![VecDeque::new(); n],
            today: vec![NO_TODAY; n_symbols],
        }
    }

    /// The ring column of symbol `s`, which must be tracked.
    #[inline]
    fn column(&self, s: usize) -> usize {
        let k = self.slot[s];
        assert!(k != UNTRACKED, "factor library: symbol {s} is not tracked");
        k as usize
    }

    /// Number of symbols (tracked or not).
    pub fn n_symbols(&self) -> usize {
        self.slot.len()
    }

    /// Heap bytes held (for the memory figure of the benchmarks).
    pub fn heap_bytes(&self) -> usize {
        8 * (self.short.len() + self.long.len() + self.close_ff.len() + self.rets.len())
            + self.slot.len() * (3 * 8 + 4 + std::mem::size_of::<Today>())
            + self.n * 4
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
        let (bs, bl) = (n * SHORT_SUMS, n * LONG_SUMS);
        if t == 0 {
            self.short[cur_s * bs..(cur_s + 1) * bs].fill(0.0);
            self.long[cur_l * bl..(cur_l + 1) * bl].fill(0.0);
        } else {
            self.short
                .copy_within(prev_s * bs..(prev_s + 1) * bs, cur_s * bs);
            self.long
                .copy_within(prev_l * bl..(prev_l + 1) * bl, cur_l * bl);
        }
        for k in 0..self.n {
            let s = self.tracked[k] as usize;
            let td = self.today[s];
            let base_s = (cur_s * n + k) * SHORT_SUMS;
            let base_l = (cur_l * n + k) * LONG_SUMS;
            self.rets[(t % RETS) * n + k] = td.r;
            let ff = if td.traded {
                td.close_adj
            } else {
                self.last_close_adj[s]
            };
            self.close_ff[cur_l * n + k] = ff;
            if !self.listed[s] {
                continue;
            }
            let sh = &mut self.short[base_s..base_s + SHORT_SUMS];
            sh[ShortSum::ListedCount as usize] += 1.0;
            if !td.traded {
                continue;
            }
            let prev = self.last_close_adj[s];
            sh[ShortSum::TradedCount as usize] += 1.0;
            sh[ShortSum::Close as usize] += td.close_adj;
            sh[ShortSum::IntradayLogReturn as usize] += (td.close_raw / td.open_raw).ln();
            let r = td.r;
            if r.is_finite() {
                let r2 = r * r;
                sh[ShortSum::ReturnCount as usize] += 1.0;
                sh[ShortSum::Return as usize] += r;
                sh[ShortSum::ReturnSquared as usize] += r2;
                sh[ShortSum::ReturnCubed as usize] += r2 * r;
                sh[ShortSum::ReturnFourth as usize] += r2 * r2;
                if r < 0.0 {
                    sh[ShortSum::NegativeReturnSquared as usize] += r2;
                } else if r > 0.0 {
                    sh[ShortSum::UpCount as usize] += 1.0;
                }
            }
            if prev.is_finite() {
                sh[ShortSum::OvernightCount as usize] += 1.0;
                sh[ShortSum::OvernightLogReturn as usize] += (td.open_adj / prev).ln();
            }
            self.last_close_adj[s] = td.close_adj;
            let lg = &mut self.long[base_l..base_l + LONG_SUMS];
            lg[LongSum::TradedCount as usize] += 1.0;
            if r.is_finite() && b.is_finite() {
                lg[LongSum::PairCount as usize] += 1.0;
                lg[LongSum::Return as usize] += r;
                lg[LongSum::ReturnSquared as usize] += r * r;
                lg[LongSum::Benchmark as usize] += b;
                lg[LongSum::BenchmarkSquared as usize] += b * b;
                lg[LongSum::ReturnTimesBenchmark as usize] += r * b;
            }
            let day = t as u32;
            let hi = &mut self.highs[k];
            while hi.back().is_some_and(|x| x.1 <= td.close_adj) {
                hi.pop_back();
            }
            hi.push_back((day, td.close_adj));
            let lo = &mut self.lows[k];
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
            let k = self.slot[s];
            if k == UNTRACKED {
                // no sums: only the last close (for tomorrow's return)
                self.last_close_adj[s] = self.today[s].close_adj;
                continue;
            }
            let base_s = (cur_s * n + k as usize) * SHORT_SUMS;
            let sh = &mut self.short[base_s..base_s + SHORT_SUMS];
            let amount = if bar.amount.is_finite() && bar.amount > 0.0 {
                bar.amount
            } else {
                bar.close * bar.volume
            };
            sh[ShortSum::Amount as usize] += amount;
            sh[ShortSum::AmountSquared as usize] += amount * amount;
            sh[ShortSum::AdjustedVolume as usize] += bar.volume / bar.adj_factor;
            let r = self.today[s].r;
            if r.is_finite() {
                sh[ShortSum::Illiquidity as usize] += r.abs() / amount;
            }
            sh[ShortSum::Range as usize] += (bar.high - bar.low) / bar.close;
            let lhl = (bar.high / bar.low).ln();
            sh[ShortSum::LogRangeSquared as usize] += lhl * lhl;
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

    /// Window sums of the short quantities of ring column `s` over the last `w` days (w < SHORT).
    #[inline]
    fn win(&self, s: usize, w: usize) -> [f64; SHORT_SUMS] {
        debug_assert!(w < SHORT && self.t > 0);
        let today = self.t - 1;
        let n = self.n;
        let cur = &self.short[((today % SHORT) * n + s) * SHORT_SUMS..][..SHORT_SUMS];
        let mut out = [0.0; SHORT_SUMS];
        out.copy_from_slice(cur);
        if today >= w {
            let old = &self.short[(((today - w) % SHORT) * n + s) * SHORT_SUMS..][..SHORT_SUMS];
            for (o, x) in out.iter_mut().zip(old) {
                *o -= x;
            }
        }
        out
    }

    #[inline]
    fn win_long(&self, s: usize, w: usize) -> [f64; LONG_SUMS] {
        debug_assert!(w < LONG && self.t > 0);
        let today = self.t - 1;
        let n = self.n;
        let mut out = [0.0; LONG_SUMS];
        out.copy_from_slice(&self.long[((today % LONG) * n + s) * LONG_SUMS..][..LONG_SUMS]);
        if today >= w {
            let old = &self.long[(((today - w) % LONG) * n + s) * LONG_SUMS..][..LONG_SUMS];
            for (o, x) in out.iter_mut().zip(old) {
                *o -= x;
            }
        }
        out
    }

    /// C(t − k) of ring column `s`: the last traded adjusted close on or before k days ago.
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
}
