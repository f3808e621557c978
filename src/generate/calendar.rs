//! The trading calendar and the days it schedules: index re-selections and
//! quarter ends.

use super::config::GeneratorConfig;
use chrono::{Datelike, NaiveDate, Weekday};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Weekdays from `config.start`, dropping seeded holidays (never day 0).
pub(super) fn make_calendar(config: &GeneratorConfig, rng: &mut ChaCha8Rng) -> Vec<NaiveDate> {
    let mut days = Vec::with_capacity(config.n_days);
    let mut d = config.start;
    while days.len() < config.n_days {
        let weekday = !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        if weekday && (days.is_empty() || !rng.random_bool(config.holiday_rate)) {
            days.push(d);
        }
        d = d.succ_opt().expect("date in range");
    }
    days
}

/// Day 0 and the first trading day of each June and December.
pub(super) fn selection_days(calendar: &[NaiveDate]) -> Vec<usize> {
    let mut days = vec![0];
    for t in 1..calendar.len() {
        let month = calendar[t].month();
        if (month == 6 || month == 12) && calendar[t - 1].month() != month {
            days.push(t);
        }
    }
    days
}

/// Quarter ends within the calendar, each with its last trading day on or
/// before it.
pub(super) fn quarter_ends(calendar: &[NaiveDate]) -> Vec<(NaiveDate, usize)> {
    let (first, last) = (calendar[0], calendar[calendar.len() - 1]);
    let mut out = Vec::new();
    for year in first.year()..=last.year() {
        for (month, day) in [(3, 31), (6, 30), (9, 30), (12, 31)] {
            let pe = NaiveDate::from_ymd_opt(year, month, day).expect("valid quarter end");
            if pe < first || pe > last {
                continue;
            }
            let t = calendar.partition_point(|d| *d <= pe) - 1;
            out.push((pe, t));
        }
    }
    out
}
