//! Rebalance and retrain calendars.
//!
//! The trading calendar (the dates of `bars.csv`) is treated as known in
//! advance, as exchange holiday calendars are published ahead: "the last
//! trading day of the month" is therefore known on that day.

use crate::data::{Date, DayIndex};
use crate::spec::{Rebalance, ScheduleConfig};
use chrono::{Datelike, Months};

/// Signal days inside `dates[first..=last]` (DESIGN §4): for `monthly` the
/// last trading day of each calendar month, `weekly` the last trading day of
/// each ISO week, `every_n_days` every n-th trading day from `first`. The
/// window's last day is never a signal day (nothing could execute after it).
///
/// ```
/// use alphasim::data::DayIndex;
/// use alphasim::schedule::signal_days;
/// use alphasim::spec::ScheduleConfig;
/// let d = |m, d| chrono::NaiveDate::from_ymd_opt(2024, m, d).unwrap();
/// let dates = [d(1, 30), d(1, 31), d(2, 1), d(2, 28), d(2, 29), d(3, 1)];
/// // January ends on the 31st (day 1), February on the 29th (day 4); day 5 is the last day.
/// let days = signal_days(&dates, DayIndex(0), DayIndex(5), &ScheduleConfig::default());
/// assert_eq!(days, vec![DayIndex(1), DayIndex(4)]);
/// ```
pub fn signal_days(
    dates: &[Date],
    first: DayIndex,
    last: DayIndex,
    config: &ScheduleConfig,
) -> Vec<DayIndex> {
    let (a, b) = (first.index(), last.index());
    let mut out = Vec::new();
    for i in a..b {
        let is_signal = match config.rebalance {
            Rebalance::Monthly => {
                dates[i + 1].month() != dates[i].month() || dates[i + 1].year() != dates[i].year()
            }
            Rebalance::Weekly => dates[i + 1].iso_week() != dates[i].iso_week(),
            Rebalance::EveryNDays => (i - a) % config.every_n_days.unwrap_or(1) as usize == 0,
        };
        if is_signal {
            out.push(DayIndex(i as u32));
        }
    }
    out
}

/// Retrain days: the first signal day, then the first signal day at least
/// `months` calendar months after the previous retrain.
pub fn retrain_days(dates: &[Date], signals: &[DayIndex], months: u32) -> Vec<DayIndex> {
    let mut out: Vec<DayIndex> = Vec::new();
    let mut next: Option<Date> = None;
    for &s in signals {
        let date = dates[s.index()];
        if next.is_none_or(|n| date >= n) {
            out.push(s);
            next = date.checked_add_months(Months::new(months));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn test_signal_days_weekly_and_every_n() {
        // Mon 2024-01-01 .. Wed 2024-01-10 (weekdays)
        let dates = [
            d(2024, 1, 1),
            d(2024, 1, 2),
            d(2024, 1, 3),
            d(2024, 1, 4),
            d(2024, 1, 5),
            d(2024, 1, 8),
            d(2024, 1, 9),
            d(2024, 1, 10),
        ];
        let weekly = ScheduleConfig {
            rebalance: Rebalance::Weekly,
            ..ScheduleConfig::default()
        };
        assert_eq!(
            signal_days(&dates, DayIndex(0), DayIndex(7), &weekly),
            vec![DayIndex(4)]
        );
        let every3 = ScheduleConfig {
            rebalance: Rebalance::EveryNDays,
            every_n_days: Some(3),
            ..ScheduleConfig::default()
        };
        // days 0, 3, 6 (7 is the last day)
        assert_eq!(
            signal_days(&dates, DayIndex(0), DayIndex(7), &every3),
            vec![DayIndex(0), DayIndex(3), DayIndex(6)]
        );
    }

    #[test]
    fn test_signal_days_never_the_last_day() {
        let dates = [d(2024, 1, 30), d(2024, 1, 31)];
        assert!(
            signal_days(&dates, DayIndex(0), DayIndex(1), &ScheduleConfig::default()).is_empty()
        );
    }

    #[test]
    fn test_retrain_days_every_six_months() {
        let dates: Vec<Date> = (1..=12).map(|m| d(2024, m, 28)).collect();
        let signals: Vec<DayIndex> = (0..12).map(DayIndex).collect();
        assert_eq!(
            retrain_days(&dates, &signals, 6),
            vec![DayIndex(0), DayIndex(6)]
        );
    }
}
