//! The data feed: turns a loaded [`Market`] into one [`DayBatch`] per trading
//! day — everything that becomes known on that day — and streams the batches
//! to the engine through a bounded crossbeam channel from its own thread.
//!
//! Design notes: the engine never holds the `Market`. It only ever sees the
//! batches it has received, so a strategy cannot read a record before the day
//! it became known, whatever bug it has: the future has not been sent yet.
//! What becomes known when:
//! - bars and factor rows dated `d`: at the close of `d` (factor rows dated
//!   on a non-trading day: at the close of the next trading day);
//! - a constituent or industry spell `[start, end]`: joins at the pre-open of
//!   the first trading day ≥ `start`, leaves at the pre-open of the first
//!   trading day > `end` (leaves are applied before joins);
//! - a fundamental value announced on `a`: at the pre-open of the first
//!   trading day strictly after `a` (announcements can come after the close);
//! - a delisting (a symbol's last row comes before the last day of the data):
//!   at the close of its last row's day, when the holding is sold at its last
//!   close. Delistings are announced by the exchange in advance, so knowing
//!   it on the last day is not look-ahead.

use crate::data::{Date, DayIndex, Market, SymbolId};
use crate::event::{ConstituentChange, IndustryChange, ReportVisible};
use crossbeam_channel::{bounded, Receiver};

/// One stock's bar on one day (raw prices; adjusted = price × adj_factor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarRow {
    pub symbol: SymbolId,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    /// Traded value (NaN when the bundle has no `amount`).
    pub amount: f64,
    pub adj_factor: f64,
    /// Price limits (NaN when unknown).
    pub limit_up: f64,
    pub limit_down: f64,
}

impl BarRow {
    /// True when the stock traded (volume > 0).
    #[inline]
    pub fn is_traded(&self) -> bool {
        self.volume > 0.0
    }
    /// Traded value in currency: `amount`, or `close × volume` without it.
    #[inline]
    pub fn traded_value(&self) -> f64 {
        if self.amount.is_finite() {
            self.amount
        } else {
            self.close * self.volume
        }
    }
}

/// Everything that becomes known on one trading day.
#[derive(Debug, Clone, Default)]
pub struct DayBatch {
    pub day: DayIndex,
    pub date: Date,
    /// Today's bars sorted by symbol id (suspended rows with volume 0 included).
    pub bars: Vec<BarRow>,
    /// Symbols of today's factor rows (sorted), and their values row-major.
    pub factor_symbols: Vec<SymbolId>,
    pub factor_values: Vec<f64>,
    /// Membership changes of the run's universe index, leaves first.
    pub constituents: Vec<ConstituentChange>,
    /// Membership changes of the benchmark index (when it differs from the universe).
    pub benchmark_constituents: Vec<ConstituentChange>,
    /// Industry changes, ends first.
    pub industries: Vec<IndustryChange>,
    /// Fundamentals visible from today's pre-open.
    pub reports: Vec<ReportVisible>,
    /// Symbols whose last row is today (and today is not the last day of the data).
    pub delistings: Vec<SymbolId>,
    /// The benchmark index's close today, when `benchmark.csv` has it.
    pub benchmark_close: Option<f64>,
}

/// What the feed needs to know about the run.
#[derive(Debug, Clone)]
pub struct FeedPlan {
    /// Universe index (`None` = every listed symbol).
    pub index: Option<String>,
    /// Benchmark index name.
    pub benchmark: Option<String>,
    /// Last day streamed (inclusive).
    pub last_day: DayIndex,
    /// Channel capacity in day batches.
    pub capacity: usize,
    /// When set, only these symbols' bars, factor rows and delistings are
    /// streamed (a sweep replay: only symbols that were ever scored can be held).
    pub symbols: Option<std::sync::Arc<Vec<bool>>>,
}

/// What becomes known on each day (per-day lists), built once before streaming.
struct Timetable {
    constituents: Vec<Vec<ConstituentChange>>,
    benchmark_constituents: Vec<Vec<ConstituentChange>>,
    industries: Vec<Vec<IndustryChange>>,
    reports: Vec<Vec<ReportVisible>>,
    delistings: Vec<Vec<SymbolId>>,
    factor_day_rows: Vec<std::ops::Range<usize>>,
    benchmark: Vec<Option<f64>>,
    symbols: Option<std::sync::Arc<Vec<bool>>>,
}

fn membership_timetable(
    market: &Market,
    index: Option<&str>,
    n_days: usize,
) -> Vec<Vec<ConstituentChange>> {
    let mut out: Vec<Vec<ConstituentChange>> = vec![Vec::new(); n_days];
    let Some(spells) = index.and_then(|i| market.constituents.get(i)) else {
        return out;
    };
    let bars = &market.bars;
    for spell in spells {
        let join = spell
            .start
            .map_or(Some(DayIndex(0)), |s| bars.first_day_on_or_after(s));
        let leave = spell
            .end
            .and_then(|e| e.succ_opt())
            .and_then(|e| bars.first_day_on_or_after(e));
        let Some(join) = join else { continue };
        if leave.is_some_and(|l| l <= join) {
            continue; // the spell covers no trading day
        }
        if join.index() < n_days {
            out[join.index()].push(ConstituentChange {
                symbol: spell.symbol,
                joined: true,
            });
        }
        if let Some(l) = leave.filter(|l| l.index() < n_days) {
            out[l.index()].push(ConstituentChange {
                symbol: spell.symbol,
                joined: false,
            });
        }
    }
    for day in &mut out {
        // Leaves before joins, then by symbol: contiguous spells of one symbol stay a member.
        day.sort_by_key(|c| (c.joined, c.symbol));
    }
    out
}

impl Timetable {
    fn build(market: &Market, plan: &FeedPlan) -> Self {
        let bars = &market.bars;
        let n_days = bars.dates.len();
        let constituents = membership_timetable(market, plan.index.as_deref(), n_days);
        let benchmark_constituents = if plan.benchmark == plan.index {
            vec![Vec::new(); n_days]
        } else {
            membership_timetable(market, plan.benchmark.as_deref(), n_days)
        };

        let mut industries: Vec<Vec<IndustryChange>> = vec![Vec::new(); n_days];
        for s in &market.industries {
            let start = s
                .spell
                .start
                .map_or(Some(DayIndex(0)), |d| bars.first_day_on_or_after(d));
            let end = s
                .spell
                .end
                .and_then(|e| e.succ_opt())
                .and_then(|e| bars.first_day_on_or_after(e));
            let Some(start) = start else { continue };
            if end.is_some_and(|e| e <= start) {
                continue;
            }
            industries[start.index()].push(IndustryChange {
                symbol: s.spell.symbol,
                industry: Some(s.industry),
            });
            if let Some(e) = end {
                industries[e.index()].push(IndustryChange {
                    symbol: s.spell.symbol,
                    industry: None,
                });
            }
        }
        for day in &mut industries {
            day.sort_by_key(|c| (c.industry.is_some(), c.symbol));
        }

        let mut reports: Vec<Vec<ReportVisible>> = vec![Vec::new(); n_days];
        for r in &market.fundamentals.records {
            let Some(after) = r.announce_date.succ_opt() else {
                continue;
            };
            if let Some(d) = bars.first_day_on_or_after(after) {
                reports[d.index()].push(ReportVisible {
                    symbol: r.symbol,
                    field: r.field,
                    period_end: r.period_end,
                    announce_date: r.announce_date,
                    value: r.value,
                });
            }
        }

        let mut last_row_day = vec![None::<DayIndex>; market.n_symbols()];
        for d in 0..n_days {
            for r in bars.day_rows(DayIndex(d as u32)) {
                last_row_day[bars.symbol[r].index()] = Some(DayIndex(d as u32));
            }
        }
        let mut delistings: Vec<Vec<SymbolId>> = vec![Vec::new(); n_days];
        for (s, last) in last_row_day.iter().enumerate() {
            if let Some(last) = last {
                if last.index() + 1 < n_days {
                    delistings[last.index()].push(SymbolId(s as u32));
                }
            }
        }

        let f = &market.factors;
        let mut factor_day_rows = vec![0..0; n_days];
        let mut r = 0;
        while r < f.len() {
            let date = f.date[r];
            let mut e = r;
            while e < f.len() && f.date[e] == date {
                e += 1;
            }
            // Rows dated on a non-trading day become known at the next trading day's close;
            // rows dated after the last trading day are never known.
            if let Some(d) = bars.first_day_on_or_after(date) {
                let range = &mut factor_day_rows[d.index()];
                if range.start == range.end {
                    *range = r..e;
                } else {
                    range.end = e;
                }
            }
            r = e;
        }

        let mut benchmark = vec![None; n_days];
        if let Some(levels) = plan
            .benchmark
            .as_deref()
            .and_then(|b| market.benchmark.get(b))
        {
            for (date, close) in levels {
                if let Some(d) = bars.day_of(*date) {
                    benchmark[d.index()] = Some(*close);
                }
            }
        }

        Timetable {
            constituents,
            benchmark_constituents,
            industries,
            reports,
            delistings,
            factor_day_rows,
            benchmark,
            symbols: plan.symbols.clone(),
        }
    }
}

fn batch_for_day(market: &Market, timetable: &mut Timetable, d: DayIndex) -> DayBatch {
    let b = &market.bars;
    let rows = b.day_rows(d);
    let mut bars = Vec::with_capacity(rows.len());
    let keep = |s: SymbolId| timetable.symbols.as_ref().is_none_or(|k| k[s.index()]);
    for r in rows {
        if !keep(b.symbol[r]) {
            continue;
        }
        bars.push(BarRow {
            symbol: b.symbol[r],
            open: b.open[r],
            high: b.high[r],
            low: b.low[r],
            close: b.close[r],
            volume: b.volume[r],
            amount: b.amount.as_ref().map_or(f64::NAN, |a| a[r]),
            adj_factor: b.adj_factor[r],
            limit_up: b.limit_up.as_ref().map_or(f64::NAN, |a| a[r]),
            limit_down: b.limit_down.as_ref().map_or(f64::NAN, |a| a[r]),
        });
    }
    let f = &market.factors;
    let frows = timetable.factor_day_rows[d.index()].clone();
    let m = f.names.len();
    // Rows of several calendar dates may land on one trading day: keep the latest per symbol.
    let mut pairs: Vec<(SymbolId, usize)> = frows
        .clone()
        .map(|r| (f.symbol[r], r))
        .filter(|p| keep(p.0))
        .collect();
    pairs.sort_by_key(|&(s, r)| (s, std::cmp::Reverse(r)));
    pairs.dedup_by_key(|p| p.0);
    let mut factor_symbols = Vec::with_capacity(pairs.len());
    let mut factor_values = Vec::with_capacity(pairs.len() * m);
    for (s, r) in pairs {
        factor_symbols.push(s);
        factor_values.extend_from_slice(f.row(r));
    }
    let i = d.index();
    DayBatch {
        day: d,
        date: b.dates[i],
        bars,
        factor_symbols,
        factor_values,
        constituents: std::mem::take(&mut timetable.constituents[i]),
        benchmark_constituents: std::mem::take(&mut timetable.benchmark_constituents[i]),
        industries: std::mem::take(&mut timetable.industries[i]),
        reports: std::mem::take(&mut timetable.reports[i]),
        delistings: {
            let mut v = std::mem::take(&mut timetable.delistings[i]);
            v.retain(|s| keep(*s));
            v
        },
        benchmark_close: timetable.benchmark[i],
    }
}

/// Streams the day batches `0..=plan.last_day` from a feed thread inside
/// `scope`, returning the receiving end of the bounded channel.
pub fn spawn_feed<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    market: &'env Market,
    plan: &FeedPlan,
) -> Receiver<DayBatch> {
    let (tx, rx) = bounded(plan.capacity.max(1));
    let plan = plan.clone();
    scope.spawn(move || {
        let mut timetable = Timetable::build(market, &plan);
        for d in 0..=plan.last_day.0 {
            if tx
                .send(batch_for_day(market, &mut timetable, DayIndex(d)))
                .is_err()
            {
                break; // the engine stopped early (an error): nothing more to send
            }
        }
    });
    rx
}
