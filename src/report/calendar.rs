//! Returns by calendar year and month (`report.json` → `calendar`).
//!
//! Definitions (DESIGN §4 returns, per period; [`crate::metrics::period_returns`]):
//! - A period (year or month) holds the daily returns that **end** on one
//!   of its trading days. Its return is those daily returns compounded,
//!   `NAV(last close of the period) / NAV(base) − 1`, where the base is the
//!   last close before the period: the previous period's last close, or t0
//!   for the first period. t0 itself carries no return, so the first period
//!   starts at t0 (a t0 on a year's last trading day gives that year no row).
//! - `excess` = strategy − benchmark of the two compounded returns
//!   (arithmetic, like DESIGN §4's daily `e = r − b`); `excess_geometric` =
//!   `(1 + R) / (1 + B) − 1`, the period's change of NAV/benchmark.
//! - `information_ratio` = `mean(e) / std(e, ddof = 1) × √N` of the period's
//!   daily excess returns (not the full window's), NaN with fewer than two
//!   days; `max_drawdown` and `excess_max_drawdown` (of NAV/benchmark) with
//!   the running peak restarting at the period's base.
//! - `partial`: the period does not cover its whole calendar span: the first
//!   period when t0 lies inside it (its base is in the same year / month),
//!   the last when the window ends before its last week (before the 24th of
//!   December for a year, before the 24th for a month: no market closes its
//!   year or month earlier than that). Returns of a partial period are not
//!   annualised.

use crate::data::Date;
use crate::metrics::{self, PeriodReturns};
use chrono::Datelike;
use serde::Serialize;

/// One calendar period's returns.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodRow {
    /// `2021` for a year, `2021-03` for a month.
    pub period: String,
    /// The base close (the previous period's last close, or t0).
    pub from: String,
    /// The period's last close.
    pub to: String,
    /// Daily returns in the period.
    pub days: usize,
    pub strategy: f64,
    pub benchmark: f64,
    pub excess: f64,
    pub excess_geometric: f64,
    pub information_ratio: f64,
    pub max_drawdown: f64,
    pub excess_max_drawdown: f64,
    pub partial: bool,
}

/// Returns by calendar year and by month.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Calendar {
    pub years: Vec<PeriodRow>,
    pub months: Vec<PeriodRow>,
}

impl Calendar {
    /// The calendar of a NAV and benchmark path over `dates` (index 0 = t0).
    pub fn build(dates: &[Date], nav: &[f64], bench: &[f64], annualisation: u32) -> Calendar {
        let years: Vec<i32> = dates.iter().map(Datelike::year).collect();
        let months: Vec<(i32, u32)> = dates.iter().map(|d| (d.year(), d.month())).collect();
        let rows = |periods: Vec<PeriodReturns>, label: &dyn Fn(Date) -> String, yearly: bool| {
            let n = periods.len();
            periods
                .into_iter()
                .enumerate()
                .map(|(k, p)| {
                    let (from, to) = (dates[p.base], dates[p.end]);
                    let same = |a: Date, b: Date| {
                        a.year() == b.year() && (yearly || a.month() == b.month())
                    };
                    let ends_early = if yearly {
                        (to.month(), to.day()) < (12, 24)
                    } else {
                        to.day() < 24
                    };
                    PeriodRow {
                        period: label(to),
                        from: from.to_string(),
                        to: to.to_string(),
                        days: p.days,
                        strategy: p.strategy,
                        benchmark: p.benchmark,
                        excess: p.excess,
                        excess_geometric: p.excess_geometric,
                        information_ratio: p.information_ratio,
                        max_drawdown: p.max_drawdown,
                        excess_max_drawdown: p.excess_max_drawdown,
                        partial: (k == 0 && same(from, to)) || (k + 1 == n && ends_early),
                    }
                })
                .collect()
        };
        Calendar {
            years: rows(
                metrics::period_returns(&years, nav, bench, annualisation),
                &|d| d.year().to_string(),
                true,
            ),
            months: rows(
                metrics::period_returns(&months, nav, bench, annualisation),
                &|d| format!("{}-{:02}", d.year(), d.month()),
                false,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn test_calendar_years_months_and_partial_flags() {
        // t0 = 2020-06-30; closes in July 2020, December 2020, January 2021 and
        // 2021-02-10 (the window ends early in February).
        let dates = [
            d("2020-06-30"),
            d("2020-07-15"),
            d("2020-12-31"),
            d("2021-01-29"),
            d("2021-02-10"),
        ];
        let nav = [100.0, 110.0, 121.0, 108.9, 119.79];
        let bench = [100.0, 100.0, 105.0, 105.0, 105.0];
        let c = Calendar::build(&dates, &nav, &bench, 252);
        assert_eq!(c.years.len(), 2);
        let y = &c.years[0];
        assert_eq!(
            (y.period.as_str(), y.from.as_str(), y.to.as_str(), y.days),
            ("2020", "2020-06-30", "2020-12-31", 2)
        );
        // 121 / 100 − 1 = 0.21; bench 0.05; excess 0.16; geometric 1.21/1.05 − 1.
        assert!((y.strategy - 0.21).abs() < 1e-12 && (y.benchmark - 0.05).abs() < 1e-12);
        assert!((y.excess - 0.16).abs() < 1e-12);
        assert!((y.excess_geometric - (1.21 / 1.05 - 1.0)).abs() < 1e-12);
        assert!(y.partial, "2020 starts at t0 in June");
        // 2021 from 2020's last close: 119.79 / 121 − 1 = 0.9 × 1.1 − 1 = −0.01.
        let y = &c.years[1];
        assert_eq!((y.from.as_str(), y.days), ("2020-12-31", 2));
        assert!((y.strategy - (-0.01)).abs() < 1e-12);
        assert!((y.max_drawdown - (-0.1)).abs() < 1e-12);
        assert!(y.partial, "the window ends in February");
        let months: Vec<&str> = c.months.iter().map(|m| m.period.as_str()).collect();
        assert_eq!(months, ["2020-07", "2020-12", "2021-01", "2021-02"]);
        // July: 110/100 − 1 = 0.1 (partial: t0 in June, so July is whole); December 121/110 − 1.
        assert!(!c.months[0].partial, "t0 in June: July is complete");
        assert!((c.months[1].strategy - 0.1).abs() < 1e-12);
        assert!(!c.months[2].partial);
        assert!(c.months[3].partial, "the window ends on the 10th");
    }

    #[test]
    fn test_calendar_full_years_are_not_partial() {
        // t0 on 2019-12-31: 2019 has no daily return; 2020 is complete.
        let dates = [d("2019-12-31"), d("2020-06-30"), d("2020-12-31")];
        let c = Calendar::build(&dates, &[1.0, 1.1, 1.2], &[1.0, 1.0, 1.0], 252);
        assert_eq!(c.years.len(), 1);
        assert_eq!(c.years[0].period, "2020");
        assert!(!c.years[0].partial);
        assert!((c.years[0].strategy - 0.2).abs() < 1e-12);
    }
}
