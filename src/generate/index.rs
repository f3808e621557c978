//! The index `synth`: members chosen by market cap at each selection, their
//! spells, and the benchmark level.

use super::config::{GeneratorConfig, INDEX_NAME};
use super::simulate::Panel;
use super::universe::Stock;
use super::write::CsvOut;
use crate::Result;
use std::path::Path;

/// Index members per selection period, sorted by stock index.
pub(super) fn select_members(
    config: &GeneratorConfig,
    stocks: &[Stock],
    selection_days: &[usize],
    selection_cap: &[f64],
) -> Vec<Vec<usize>> {
    let n = config.n_stocks;
    selection_days
        .iter()
        .enumerate()
        .map(|(q, &s)| {
            let mut eligible: Vec<(f64, usize)> = stocks
                .iter()
                .enumerate()
                .filter(|(_, st)| {
                    let aged = if s == 0 {
                        st.first == 0
                    } else {
                        st.first + config.min_listing_days <= s
                    };
                    aged && st.last >= s
                })
                .map(|(i, _)| (selection_cap[q * n + i], i))
                .filter(|(cap, _)| cap.is_finite())
                .collect();
            eligible.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut chosen: Vec<usize> = eligible
                .into_iter()
                .take(config.index_size)
                .map(|(_, i)| i)
                .collect();
            chosen.sort_unstable();
            chosen
        })
        .collect()
}

/// Writes `constituents.csv`: per stock, its membership spells in selection
/// order, consecutive periods merged, each ending at the stock's last bar at
/// the latest; an open end when the spell reaches the final day.
pub(super) fn write_constituents(
    out: &Path,
    stocks: &[Stock],
    members: &[Vec<usize>],
    selection_days: &[usize],
    date_text: &[String],
) -> Result<()> {
    let n_days = date_text.len();
    let mut constituents = CsvOut::create(
        out,
        "constituents.csv",
        ["index", "symbol", "start_date", "end_date"],
    )?;
    let period_end = |q: usize| {
        selection_days
            .get(q + 1)
            .map_or(n_days - 1, |&next| next - 1)
    };
    for (i, stock) in stocks.iter().enumerate() {
        let mut spells: Vec<(usize, usize)> = Vec::new();
        for (q, list) in members.iter().enumerate() {
            if list.binary_search(&i).is_err() {
                continue;
            }
            let (a, b) = (selection_days[q], period_end(q).min(stock.last));
            match spells.last_mut() {
                Some(last) if last.1 + 1 == a => last.1 = b,
                _ => spells.push((a, b)),
            }
        }
        for (a, b) in spells {
            constituents.field(INDEX_NAME);
            constituents.field(&stock.symbol);
            constituents.field(&date_text[a]);
            if b < n_days - 1 {
                constituents.field(&date_text[b]);
            } else {
                constituents.empty();
            }
            constituents.end_record()?;
        }
    }
    constituents.finish()
}

/// The members on each day: the list of the current selection period, minus
/// stocks already delisted.
pub(super) fn day_members(
    stocks: &[Stock],
    members: &[Vec<usize>],
    selection_days: &[usize],
    n_days: usize,
) -> Vec<Vec<usize>> {
    let mut day_members: Vec<Vec<usize>> = Vec::with_capacity(n_days);
    let mut q = 0;
    for t in 0..n_days {
        while q + 1 < selection_days.len() && selection_days[q + 1] <= t {
            q += 1;
        }
        day_members.push(
            members[q]
                .iter()
                .copied()
                .filter(|&i| stocks[i].last >= t)
                .collect(),
        );
    }
    day_members
}

/// Writes `benchmark.csv`: level 1000 on day 0, then compounded by the mean
/// adjusted-close return of the members traded on both days (module docs).
pub(super) fn write_benchmark(
    out: &Path,
    date_text: &[String],
    n: usize,
    day_members: &[Vec<usize>],
    panel: &Panel,
) -> Result<()> {
    let n_days = date_text.len();
    let mut benchmark = CsvOut::create(out, "benchmark.csv", ["date", "index", "close"])?;
    let mut level = 1000.0f64;
    for t in 0..n_days {
        if t > 0 {
            let mut sum = 0.0;
            let mut count = 0usize;
            for &i in &day_members[t] {
                let (now, before) = (t * n + i, (t - 1) * n + i);
                if panel.traded[now] && panel.traded[before] {
                    sum += panel.close_adj[now] / panel.close_adj[before] - 1.0;
                    count += 1;
                }
            }
            let b = if count > 0 { sum / count as f64 } else { 0.0 };
            level *= 1.0 + b;
        }
        benchmark.field(&date_text[t]);
        benchmark.field(INDEX_NAME);
        benchmark.display(level);
        benchmark.end_record()?;
    }
    benchmark.finish()
}

/// Writes `index_weights.csv`: the members' weights on every day the member
/// list changes (the selection days, and a delisting's next day), equal
/// weights — the weights of the equal-weighted benchmark level that
/// `benchmark.csv` compounds, so an optimiser tracking these weights tracks
/// that level (up to the suspended members the level skips on a day).
pub(super) fn write_index_weights(
    out: &Path,
    stocks: &[Stock],
    date_text: &[String],
    day_members: &[Vec<usize>],
) -> Result<()> {
    let mut w = CsvOut::create(
        out,
        "index_weights.csv",
        ["date", "index", "symbol", "weight"],
    )?;
    for (t, members) in day_members.iter().enumerate() {
        if members.is_empty() || (t > 0 && day_members[t - 1] == *members) {
            continue;
        }
        let each = 1.0 / members.len() as f64;
        for &i in members {
            w.field(&date_text[t]);
            w.field(INDEX_NAME);
            w.field(&stocks[i].symbol);
            w.display(each);
            w.end_record()?;
        }
    }
    w.finish()
}
