//! The stocks: symbols, static parameters, listing and delisting days,
//! industries and reclassifications.

use super::config::GeneratorConfig;
use super::write::CsvOut;
use crate::Result;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::path::Path;

/// Static per-stock parameters.
#[derive(Clone, Debug)]
pub(super) struct Stock {
    pub(super) symbol: String,
    pub(super) beta: f64,
    pub(super) sigma: f64,
    pub(super) start_cents: i64,
    pub(super) shares: f64,
    pub(super) price_to_book: f64,
    pub(super) industry: usize,
    /// `(switch day, new industry)`.
    pub(super) reclass: Option<(usize, usize)>,
    /// First bar day.
    pub(super) first: usize,
    /// Last bar day.
    pub(super) last: usize,
}

impl Stock {
    pub(super) fn industry_at(&self, t: usize) -> usize {
        match self.reclass {
            Some((day, new)) if t >= day => new,
            _ => self.industry,
        }
    }
}

pub(super) fn make_stocks(config: &GeneratorConfig, rng: &mut ChaCha8Rng) -> Vec<Stock> {
    let n = config.n_stocks;
    let n_days = config.n_days;
    let n_sh = n.div_ceil(2);
    let mut stocks: Vec<Stock> = (0..n)
        .map(|i| {
            let symbol = if i < n_sh {
                format!("SH{}", 600_000 + i)
            } else {
                format!("SZ{:06}", i - n_sh + 1)
            };
            let beta = rng.random_range(0.7..1.3);
            let sigma = rng.random_range(0.015..0.03);
            let price: f64 = (rng.random_range(8f64.ln()..60f64.ln())).exp();
            let shares = (20.0f64.ln() + 0.8 * rng.sample::<f64, _>(StandardNormal)).exp() * 1e7;
            let price_to_book = (0.7 + 0.4 * rng.sample::<f64, _>(StandardNormal)).exp();
            Stock {
                symbol,
                beta,
                sigma,
                start_cents: (price * 100.0).round() as i64,
                shares: shares.round(),
                price_to_book,
                industry: 0,
                reclass: None,
                first: 0,
                last: n_days - 1,
            }
        })
        .collect();

    // Industries: a shuffled round-robin, so every industry is non-empty.
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    for (j, &i) in order.iter().enumerate() {
        stocks[i].industry = j % config.n_industries;
    }

    let take = |frac: f64| (frac * n as f64).round() as usize;
    // Listings after day 0.
    let latest_ipo = (n_days * 3 / 4).max(1);
    order.shuffle(rng);
    for &i in order.iter().take(take(config.ipo_fraction)) {
        stocks[i].first = rng.random_range(1..=latest_ipo);
    }
    // Delistings before the final day, at least 20 days after listing.
    order.shuffle(rng);
    for &i in order.iter().take(take(config.delist_fraction)) {
        let lo = stocks[i].first + 20;
        if n_days >= 2 && lo <= n_days - 2 {
            stocks[i].last = rng.random_range(lo..=n_days - 2);
        }
    }
    // Reclassifications, among stocks listed at least 60 days.
    order.shuffle(rng);
    let n_reclass = take(config.reclass_fraction).max(usize::from(config.reclass_fraction > 0.0));
    let mut done = 0;
    for &i in &order {
        if done == n_reclass {
            break;
        }
        let s = &stocks[i];
        if s.last >= s.first + 60 {
            let day = rng.random_range(s.first + 20..=s.last - 20);
            let new = (s.industry + rng.random_range(1..config.n_industries)) % config.n_industries;
            stocks[i].reclass = Some((day, new));
            done += 1;
        }
    }
    stocks
}

/// Writes `industries.csv`: one open spell per stock from its listing day,
/// or two around its reclassification.
pub(super) fn write_industries(out: &Path, stocks: &[Stock], date_text: &[String]) -> Result<()> {
    let mut industries = CsvOut::create(
        out,
        "industries.csv",
        ["symbol", "industry", "start_date", "end_date"],
    )?;
    for stock in stocks {
        let spells: Vec<(usize, usize, Option<usize>)> = match stock.reclass {
            None => vec![(stock.industry, stock.first, None)],
            Some((day, new)) => vec![
                (stock.industry, stock.first, Some(day - 1)),
                (new, day, None),
            ],
        };
        for (industry, start, end) in spells {
            industries.field(&stock.symbol);
            industries.display(format_args!("Industry{:02}", industry + 1));
            industries.field(&date_text[start]);
            match end {
                Some(end) => industries.field(&date_text[end]),
                None => industries.empty(),
            }
            industries.end_record()?;
        }
    }
    industries.finish()
}
