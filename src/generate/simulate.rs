//! The per-stock simulation: factor values, the planted signal, returns,
//! corporate actions and suspensions, written row by row.

use super::config::{
    GeneratorConfig, INDUSTRY_RELATIVE_COEFFICIENT, INTERACTION_COEFFICIENT, LINEAR_COEFFICIENTS,
};
use super::factors::{round_micro, FactorPath};
use super::family::{FamilyRun, Observer, N_COLUMNS};
use super::fundamentals::write_fundamentals;
use super::meta::Counts;
use super::prices::{limits_of, price_day, volume_for, write_bar, Ohlc};
use super::streams::{stock_stream, stream_rng, SLOT_FUNDAMENTALS, SLOT_PRICES};
use super::temporal::TemporalState;
use super::universe::Stock;
use super::write::CsvOut;
use crate::Result;
use chrono::NaiveDate;
use rand::Rng;
use rand_distr::StandardNormal;
use std::io::Write;
use std::path::Path;

/// Shared read-only inputs of the per-stock simulation.
pub(super) struct Context<'a> {
    pub(super) config: &'a GeneratorConfig,
    pub(super) seed: u64,
    pub(super) calendar: &'a [NaiveDate],
    pub(super) date_text: &'a [String],
    pub(super) market: &'a [f64],
    pub(super) industry_mean_f5: &'a [f64],
    pub(super) record_days: &'a [usize],
    pub(super) quarters: &'a [(NaiveDate, usize)],
    /// A family member: its μ and observed columns replace the preset's.
    pub(super) family: Option<&'a FamilyRun<'a>>,
}

/// Day-major arrays (`t·n + i`) filled by the per-stock simulation.
pub(super) struct Panel {
    /// Oracle score μ_{i,t}.
    pub(super) mu: Vec<f64>,
    /// Last close × adj_factor on or before t (NaN before listing).
    pub(super) close_adj: Vec<f64>,
    /// Row with volume > 0 on t.
    pub(super) traded: Vec<bool>,
    /// Market cap ranking each selection (`q·n + i`), NaN if not listed.
    pub(super) selection_cap: Vec<f64>,
    pub(super) counts: Counts,
}

impl Panel {
    /// An empty panel of `n_days × n` cells and `n_selections × n` caps.
    pub(super) fn new(n_days: usize, n: usize, n_selections: usize) -> Self {
        Panel {
            mu: vec![f64::NAN; n_days * n],
            close_adj: vec![f64::NAN; n_days * n],
            traded: vec![false; n_days * n],
            selection_cap: vec![f64::NAN; n_selections * n],
            counts: Counts::default(),
        }
    }
}

/// Pass 2: simulates every stock in symbol order, writing `bars.csv`,
/// `factors.csv` and `fundamentals.csv` as it goes; a stock delisted for
/// trading below 1.00 gets its actual last day (and loses a later
/// reclassification).
pub(super) fn simulate_stocks(
    ctx: &Context<'_>,
    stocks: &mut [Stock],
    panel: &mut Panel,
    out: &Path,
) -> Result<()> {
    let mut bars = CsvOut::create(out, "bars.csv", crate::data::BAR_COLUMNS)?;
    let names: Vec<String> = match ctx.family {
        Some(run) => run.family.columns.iter().map(|c| c.name.clone()).collect(),
        None => (0..ctx.config.n_factors).map(|k| format!("f{k}")).collect(),
    };
    let factor_header = ["date".to_owned(), "symbol".to_owned()]
        .into_iter()
        .chain(names);
    let mut factors = CsvOut::create(out, "factors.csv", factor_header)?;
    let mut fundamentals = CsvOut::create(
        out,
        "fundamentals.csv",
        ["symbol", "period_end", "announce_date", "field", "value"],
    )?;
    for (i, stock) in stocks.iter_mut().enumerate() {
        let last = simulate_stock(
            ctx,
            i,
            stock,
            panel,
            &mut bars,
            &mut factors,
            &mut fundamentals,
        )?;
        if last < stock.last {
            // Delisted for trading below 1.00: a later reclassification
            // never happened as far as the files are concerned.
            stock.last = last;
            if stock.reclass.is_some_and(|(day, _)| day > last) {
                stock.reclass = None;
            }
            panel.counts.penny_delistings += 1;
        }
    }
    bars.finish()?;
    factors.finish()?;
    fundamentals.finish()
}

const SUSPENDED_MISSING: u8 = 1;
const SUSPENDED_ZERO_VOLUME: u8 = 2;

/// Simulates one stock, writes its rows and returns its actual last bar day
/// (earlier than scheduled if it delists for trading below 1.00).
fn simulate_stock(
    ctx: &Context<'_>,
    i: usize,
    stock: &Stock,
    panel: &mut Panel,
    bars: &mut CsvOut,
    factors: &mut CsvOut,
    fundamentals: &mut CsvOut,
) -> Result<usize> {
    let config = ctx.config;
    let n = config.n_stocks;
    let n_days = config.n_days;
    let n_ind = config.n_industries;
    let s = config.signal_scale;
    let mut paths: Vec<FactorPath> = (0..config.n_factors)
        .map(|k| FactorPath::new(ctx.seed, i, k, config.factor_rho))
        .collect();
    let mut rng = stream_rng(ctx.seed, stock_stream(i, SLOT_PRICES));
    let mut fund_rng = stream_rng(ctx.seed, stock_stream(i, SLOT_FUNDAMENTALS));

    // Suspension spells, never on the first or last bar day.
    let mut suspended = vec![0u8; n_days];
    let p_start = config.suspension_fraction / (5.5 * (1.0 - config.suspension_fraction));
    let mut t = stock.first + 1;
    while t < stock.last {
        if rng.random_bool(p_start) {
            let len = rng.random_range(1..=10usize);
            let kind = if rng.random_bool(0.5) {
                SUSPENDED_MISSING
            } else {
                SUSPENDED_ZERO_VOLUME
            };
            let end = (t + len).min(stock.last);
            suspended[t..end].fill(kind);
            t = end + 1;
        } else {
            t += 1;
        }
    }

    let symbol = stock.symbol.as_bytes();
    let mut micro = vec![0i64; config.n_factors];
    let mut f = vec![0f64; config.n_factors];
    let mut mu_prev = 0.0;
    let mut close: i64 = 0; // last raw close, cents
    let mut adj = 1.0f64;
    let mut adj_text: Vec<u8> = b"1.0".to_vec();
    let mut shares = stock.shares;
    let mut next_record = ctx.record_days.partition_point(|&d| d < stock.first);
    let mut next_quarter = 0;
    let mut last = stock.last;
    let mut penny_run = 0;
    let mut temporal = TemporalState::default();
    let mut observer = ctx
        .family
        .map(|_| Observer::new(ctx.seed, i, config.factor_rho));
    let mut cells = vec![None; N_COLUMNS];
    for (t, &state) in suspended.iter().enumerate() {
        for ((path, m), v) in paths.iter_mut().zip(&mut micro).zip(&mut f) {
            *m = round_micro(path.next());
            *v = *m as f64 / 1e6;
        }
        let mu = match (ctx.family, observer.as_mut()) {
            (Some(run), Some(observer)) => {
                observer.day(&run.family.columns, &f, &mut cells);
                s * run.mu(t, stock.industry_at(t), &f)
            }
            _ => {
                let mean_f5 = ctx.industry_mean_f5[t * n_ind + stock.industry_at(t)];
                s * (LINEAR_COEFFICIENTS[0] * f[0]
                    + LINEAR_COEFFICIENTS[1] * f[1]
                    + LINEAR_COEFFICIENTS[2] * f[2]
                    + INTERACTION_COEFFICIENT * f[3] * f[4]
                    + INDUSTRY_RELATIVE_COEFFICIENT * (f[5] - mean_f5))
            }
        };
        let cell = t * n + i;
        panel.mu[cell] = mu;
        if t < stock.first {
            mu_prev = mu;
            continue;
        }
        if t > last {
            panel.close_adj[cell] = panel.close_adj[cell - n];
            continue;
        }

        let z: f64 = rng.sample(StandardNormal);
        let jump = if rng.random_bool(config.jump_rate) {
            let size = rng.random_range(0.05..0.15);
            if rng.random_bool(0.5) {
                size
            } else {
                -size
            }
        } else {
            0.0
        };
        let r = (stock.beta * ctx.market[t] + mu_prev + stock.sigma * z + jump).clamp(-0.1, 0.1);
        mu_prev = mu;

        let date = ctx.date_text[t].as_bytes();
        let mut traded = false;
        let mut bar_volume = None;
        if t == stock.first {
            let ohlc = price_day(stock.start_cents, r, None, stock.sigma, &mut rng);
            close = ohlc.close;
            let volume = volume_for(shares, r, &mut rng);
            write_bar(bars, date, symbol, &ohlc, volume, &adj_text, None, &mut rng)?;
            traded = true;
            bar_volume = Some(volume);
        } else if state == SUSPENDED_MISSING {
            panel.counts.suspended_missing_rows += 1;
        } else if state == SUSPENDED_ZERO_VOLUME {
            let ohlc = Ohlc {
                open: close,
                high: close,
                low: close,
                close,
            };
            let limits = limits_of(close);
            write_bar(
                bars,
                date,
                symbol,
                &ohlc,
                0,
                &adj_text,
                Some(limits),
                &mut rng,
            )?;
            panel.counts.suspended_zero_volume_rows += 1;
            bar_volume = Some(0);
        } else {
            let mut reference = close;
            if rng.random_bool(1.0 / 504.0) {
                let split = close >= 3_000 && rng.random_bool(0.3);
                let nominal = if split {
                    2.0
                } else {
                    1.0 + rng.random_range(0.005..0.04)
                };
                reference = ((close as f64 / nominal).round() as i64).max(1);
                if reference < close {
                    adj *= close as f64 / reference as f64;
                    adj_text.clear();
                    write!(adj_text, "{adj:?}").expect("write to Vec");
                    if split {
                        shares *= nominal;
                        panel.counts.splits += 1;
                    } else {
                        panel.counts.dividends += 1;
                    }
                } else {
                    reference = close;
                }
            }
            let limits = limits_of(reference);
            let ohlc = price_day(reference, r, Some(limits), stock.sigma, &mut rng);
            close = ohlc.close;
            if close == limits.1 {
                panel.counts.limit_up_closes += 1;
            } else if close == limits.0 {
                panel.counts.limit_down_closes += 1;
            }
            let volume = volume_for(shares, r, &mut rng);
            write_bar(
                bars,
                date,
                symbol,
                &ohlc,
                volume,
                &adj_text,
                Some(limits),
                &mut rng,
            )?;
            traded = true;
            bar_volume = Some(volume);
            penny_run = if close < 100 { penny_run + 1 } else { 0 };
            if config.penny_delist_days > 0 && penny_run == config.penny_delist_days {
                last = last.min(t);
            }
        }
        if state != SUSPENDED_MISSING || t == stock.first {
            panel.counts.bar_rows += 1;
        }
        panel.close_adj[cell] = (close as f64 / 100.0) * adj;
        panel.traded[cell] = traded;
        if config.temporal_scale != 0.0 {
            if let Some(volume) = bar_volume {
                // the temporal term of μ known at this close (module `temporal`)
                mu_prev += config.temporal_scale * temporal.on_bar(panel.close_adj[cell], volume);
                panel.mu[cell] = mu_prev;
            }
        }

        if traded {
            factors.field(date);
            factors.field(symbol);
            if ctx.family.is_some() {
                for cell in &cells {
                    match *cell {
                        Some(m) => factors.fixed(m, 6),
                        None => factors.empty(),
                    }
                }
            } else {
                for &m in &micro {
                    if rng.random_bool(config.factor_missing_rate) {
                        factors.empty();
                    } else {
                        factors.fixed(m, 6);
                    }
                }
            }
            factors.end_record()?;
            panel.counts.factor_rows += 1;
        }

        while next_record < ctx.record_days.len() && ctx.record_days[next_record] == t {
            panel.selection_cap[next_record * n + i] = close as f64 / 100.0 * shares;
            next_record += 1;
        }
        while next_quarter < ctx.quarters.len() && ctx.quarters[next_quarter].1 <= t {
            let (period_end, day) = ctx.quarters[next_quarter];
            next_quarter += 1;
            if day == t {
                write_fundamentals(
                    ctx.calendar[ctx.calendar.len() - 1],
                    config.restatement_rate,
                    stock,
                    period_end,
                    close as f64 / 100.0,
                    f[0],
                    &mut fund_rng,
                    fundamentals,
                    &mut panel.counts,
                )?;
            }
        }
    }
    Ok(last)
}
