//! The benchmark path: today's return from `benchmark.csv` levels (a missing
//! level counts as 0 and is reported), or else the equal-weighted return of
//! the benchmark's members, compounded from t0 on the initial capital.

use super::Engine;
use crate::data::DayIndex;

/// The benchmark's state during a run.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Benchmark {
    /// The last level seen.
    pub(super) level: Option<f64>,
    /// Value rebased to the initial capital at t0.
    pub(super) nav: f64,
    /// True when `benchmark.csv` has levels for the benchmark.
    pub(super) uses_levels: bool,
    /// Window days without a level.
    pub(super) missing_days: usize,
}

impl Benchmark {
    pub(super) fn new(initial_capital: f64, uses_levels: bool) -> Self {
        Benchmark {
            level: None,
            nav: initial_capital,
            uses_levels,
            missing_days: 0,
        }
    }

    /// The end-of-run warning about missing levels, if any.
    pub(super) fn warning(&self) -> Option<String> {
        (self.missing_days > 0).then(|| format!(
            "benchmark has no level on {} trading day(s) of the window: its return is 0 on those days (level carried forward)",
            self.missing_days
        ))
    }
}

impl Engine<'_> {
    /// Today's benchmark return, compounded into the benchmark's value from t0 on.
    pub(super) fn update_benchmark(&mut self, d: DayIndex) {
        // Benchmark return for today.
        let ret = if self.benchmark.uses_levels {
            match (self.batch.benchmark_close, self.benchmark.level) {
                (Some(now), Some(prev)) => now / prev - 1.0,
                (Some(_), None) => 0.0,
                (None, _) => {
                    if self.in_window(d) {
                        self.benchmark.missing_days += 1;
                    }
                    0.0
                }
            }
        } else {
            self.equal_weight_benchmark_return(d)
        };
        if let Some(now) = self.batch.benchmark_close {
            self.benchmark.level = Some(now);
        }
        // The benchmark is rebased to the initial capital at t0: only returns after t0 count.
        if self.in_window(d) && Some(d) != self.first_signal {
            self.benchmark.nav *= 1.0 + ret;
        }
    }

    /// Equal-weighted return of the benchmark members that traded yesterday and today.
    fn equal_weight_benchmark_return(&self, d: DayIndex) -> f64 {
        if d.0 == 0 {
            return 0.0;
        }
        let h = &self.history;
        let c = &self.spec.config;
        let benchmark = c.benchmark.as_ref().or(c.index.as_ref());
        let same_as_universe = c.benchmark.is_none() || c.benchmark == c.index;
        let prev = DayIndex(d.0 - 1);
        let (mut sum, mut n) = (0.0, 0usize);
        for b in h.bars() {
            let s = b.symbol;
            let member = match benchmark {
                None => true,
                Some(_) if same_as_universe => h.members()[s.index()],
                Some(_) => h.benchmark_members()[s.index()],
            };
            if !member {
                continue;
            }
            let (p0, p1) = (h.close_adj_on(prev, s), h.close_adj_on(d, s));
            if p0.is_nan() || p1.is_nan() {
                continue;
            }
            sum += p1 / p0 - 1.0;
            n += 1;
        }
        if n == 0 {
            0.0
        } else {
            sum / n as f64
        }
    }
}
