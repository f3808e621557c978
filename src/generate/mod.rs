//! Synthetic market bundles with a planted, documented signal.
//!
//! `alphasim generate --preset tiny --seed 42 --out DIR` writes a data bundle
//! in the format of DESIGN.md §1 (`bars.csv`, `industries.csv`,
//! `constituents.csv`, `benchmark.csv`, `factors.csv`, `fundamentals.csv`)
//! plus `meta.json`, which records the settings, the planted signal and the
//! *oracle IC*: the information coefficient of the true expected return, the
//! best any model can hope for on this market, and `oracle_scores.csv`, that
//! expected return as `date,symbol,score` (μ/s, every listed stock at every
//! close) for the `file` model (`path = "{data}/oracle_scores.csv"`), so the
//! oracle is backtested over exactly a model's test period. The output depends only on
//! the configuration and the seed: the same seed gives byte-identical files.
//!
//! # Market model
//!
//! * **Calendar**: weekdays from the start date (2015-01-05), each weekday
//!   (except the first) dropped as a holiday with probability 2%, until
//!   exactly `n_days` trading days are collected.
//! * **Factors**: each stock has `n_factors` (8) exposures `f0..f7`, each an
//!   independent AR(1) with ρ = 0.98 and unit stationary variance:
//!   `f_t = ρ·f_{t−1} + √(1−ρ²)·ε`, `f_0 ~ N(0, 1)`. Values are rounded to
//!   6 decimals, which is what `factors.csv` holds and what the signal uses.
//! * **Returns**: the market return is `m_t ~ N(0.0003, 0.012)`, betas
//!   `β_i ~ U(0.7, 1.3)`, idiosyncratic volatilities `σ_i ~ U(0.015, 0.03)`,
//!   and `r_{i,t+1} = β_i·m_{t+1} + μ_{i,t} + σ_i·ε + J`, where `J` is a rare
//!   jump (probability 0.4% per stock-day, ±U(5%, 15%)) so that some closes
//!   hit the price limit. `r` is clipped to ±10%.
//! * **Prices**: main-board A-share mechanics. Closes are raw prices rounded
//!   to 0.01. The reference price of day t is the previous raw close, except
//!   on an ex-date, where it is the ex-rights price (previous close divided by
//!   the event ratio, rounded to 0.01), as on the exchange. `limit_up` /
//!   `limit_down` = reference × 1.1 / × 0.9 rounded half up to 0.01 (so on
//!   ordinary days exactly "previous raw close × 1.1 / × 0.9"); they are empty
//!   on a stock's first row (its IPO day, or day 0), which has no previous
//!   close. A close at a limit is a limit move. `open`, `high`, `low` stay
//!   within the limits with `low ≤ min(open, close)` and
//!   `high ≥ max(open, close)`. `volume` is a positive multiple of 100
//!   (lognormal turnover, higher on big moves) and `amount` = volume × a price
//!   between low and high, to 0.01.
//! * **Corporate actions**: on a traded day a stock has an event with
//!   probability 1/504 (about once every two years): a 10-for-10 bonus issue
//!   (ratio 2, only when the price is at least 30) or else a cash dividend
//!   (ratio 1.005–1.04). The raw price drops to the ex-rights reference and
//!   `adj_factor` (starting at 1.0) is multiplied by `previous close /
//!   reference`, so adjusted returns are the model returns up to the 0.01
//!   rounding of closes. `adj_factor` is written with Rust's `{:?}`, which
//!   round-trips exactly.
//! * **Listings**: 15% of stocks (rounded) first trade on a random day in the
//!   first three quarters of the calendar; 10% delist (last bar) on a random
//!   day at least 20 days after listing and before the final day. On top of
//!   these, as on the exchanges, a stock whose traded close is below 1.00 on
//!   20 consecutive traded days delists after the 20th (over 12 years a
//!   random walk sends a few percent of stocks there; without the rule their
//!   0.01 tick would swamp the returns). `meta.json` counts both kinds.
//! * **Suspensions**: random spells of 1–10 days covering about 1% of the
//!   stock-days inside a stock's listing (never its first or last bar day).
//!   Half the spells are missing rows, half are rows with volume 0, amount 0
//!   and open = high = low = close = previous close (and the usual limits
//!   from that close). Prices are frozen while suspended: the model return
//!   of a suspended day is lost.
//! * **Industries**: `n_industries` (`min(30, max(5, n_stocks/10))`) named
//!   `Industry01`…, every industry non-empty. 5% of stocks (rounded, at
//!   least one, among stocks listed ≥ 60 days) are reclassified once: two
//!   spells `[listing date, day before the switch]` and `[switch day, open]`.
//! * **Index `synth`**: the `index_size` (2/3 of `n_stocks`) largest stocks
//!   by market cap = raw close × shares outstanding (fixed per stock, except
//!   that a bonus issue multiplies the shares by its ratio so a split does not
//!   halve the market cap). Chosen on day 0 from the stocks listed on day 0,
//!   by day-0 closes; re-chosen on the first trading day of each June and
//!   December from the stocks listed at least 60 trading days before that day
//!   and not yet delisted, by the previous day's close (last close if
//!   suspended); ties by symbol. A member whose last bar comes before the next
//!   re-selection leaves the index after its last bar day, **so between
//!   re-selections the index can have fewer than `index_size` members**.
//! * **Benchmark**: level 1000 on day 0, then `level_t = level_{t−1} ×
//!   (1 + b_t)`, `b_t` = the mean, over symbols that are members on day t and
//!   traded (row with volume > 0) on both day t−1 and day t (the previous
//!   *calendar* trading day), of `close_adj_t / close_adj_{t−1} − 1` with
//!   `close_adj = close × adj_factor` computed from the written values; the
//!   terms are summed in symbol order and divided by their count; `b_t = 0`
//!   if there are none. Written with Rust's `{}` (exact round-trip).
//! * **Fundamentals**: for each quarter end (03-31, 06-30, 09-30, 12-31) at
//!   which a stock is listed, `eps` = price × (0.012 + 0.008·(0.6·f0 +
//!   0.8·z)) (so EP is a plausible value factor with corr ≈ 0.6 to `f0`) and
//!   `bps` = price / PB_i × e^{0.1 z}, 4 decimals, price = last raw close on
//!   or before the period end. `announce_date` = period end + U{20..=120}
//!   calendar days. 3% of values are restated: a second row 30–90 days later
//!   with the value changed by 2–10%. Rows announced after the last trading
//!   day are dropped.
//!
//! # Planted signal
//!
//! The expected next-day return of stock i, known at the close of day t, is
//!
//! ```text
//! μ_{i,t} = s · ( 0.5·f0 + 0.3·f1 − 0.3·f2              (linear)
//!               + 0.4·f3·f4                              (interaction)
//!               + 0.4·(f5 − mean_industry(f5)) )          (industry-relative)
//! ```
//!
//! with `s` = [`SIGNAL_SCALE`] = 0.0012; `f6`, `f7` are pure noise. The
//! factor values are the 6-decimal values written to `factors.csv` (exactly,
//! including the ~2% of cells left empty there, which hide the true value).
//! `mean_industry(f5)` is the mean of f5 over all stocks *listed* on day t
//! (first bar ≤ t ≤ scheduled last bar, suspended ones included) in the
//! stock's industry on day t, the stock itself included. ("Scheduled": a
//! stock delisted early by the 1.00 rule still counts until its scheduled
//! last day, because the means are computed before prices exist.) The scale gives an oracle
//! IC of about 0.04 at 1 day and 0.15 at 20 days.
//!
//! # Planted temporal signal (optional)
//!
//! With `temporal_scale ≠ 0` (`alphasim generate --temporal-scale S`; default
//! 0 = off, which leaves every byte as without it) μ gains a term from the
//! stock's own recent path, which no factor column contains (module
//! `temporal`, and `temporal_signal` in `meta.json`):
//!
//! ```text
//! μ_{i,t} += S · ( −0.5·R5_{i,t}/0.05 + 0.5·clip(ν_{i,t}, −2, 2)·r_{i,t}/0.02 )
//! ```
//!
//! r = the day's adjusted close-to-close return from the written bars (0 on
//! the first bar and on a zero-volume day), R5 = the sum of r over the last 5
//! bar rows, ν = ln volume − the mean of ln volume over the last 20 traded
//! days (today included): a weekly reversal and a volume-shock × return
//! interaction. The term is 0 on a day without a traded bar. It is part of μ,
//! hence of `oracle_scores.csv` and the oracle IC. It exists for the
//! sequence models (docs/sequence.md), which read that path.
//!
//! # Oracle IC
//!
//! For h ∈ {1, 5, 10, 20}: at each day t with t+h in the data, over the index
//! members on t that traded (volume > 0) on t, the Pearson (and Spearman,
//! average ranks for ties) correlation of `μ_{i,t}` with
//! `close_adj(t+h) / close_adj(t) − 1` (the last traded close on or before
//! t+h when there is no traded bar at t+h); days with fewer than 3 stocks or
//! no dispersion are skipped; the mean over days is reported.
//!
//! # Files and order
//!
//! `bars.csv`, `factors.csv` and `fundamentals.csv` are sorted by symbol,
//! then date (period end, field, announce date for fundamentals), like a real
//! vendor dump. Symbols are `SH600000`… (first half) and `SZ000001`…
//! (second half), all main board (±10% limits). Prices and amounts have 2
//! decimals, factors 6, fundamentals 4.
//!
//! # Design notes
//!
//! Every stock draws from its own ChaCha8 streams (one per factor, one for
//! prices and events, one for fundamentals), so the simulation runs stock by
//! stock in symbol order and writes the files as it goes, without holding
//! the whole panel; only the cross-sectional pieces (the industry means of
//! f5, which need a first pass over f5, and the day-major arrays of scores
//! and adjusted closes for the index, benchmark and oracle IC) are kept.
//!
//! # Layout
//!
//! This file runs the passes ([`generate`]); each step has its own file:
//! `config` (presets, settings, signal coefficients), `streams` (the seeded
//! random streams), `calendar` (trading days, selection days, quarter ends),
//! `universe` (the stocks, their listings and industries, `industries.csv`),
//! `factors` (the AR(1) factor paths and the industry means of f5),
//! `simulate` (one stock at a time: `bars.csv`, `factors.csv`), `prices`
//! (one day's prices and bar row), `fundamentals` (`fundamentals.csv` rows),
//! `index` (members, `constituents.csv`, `benchmark.csv`), `oracle`
//! (`oracle_scores.csv` and the oracle IC), `meta` (`meta.json` and the
//! event counts) and `write` (CSV output through the `csv` crate).

// The crate's `Error` is large (its `Data` variant carries several strings);
// boxing it is a crate-wide decision, not this module's.
#![allow(clippy::result_large_err)]

mod calendar;
mod config;
mod factors;
pub mod family;
mod fundamentals;
mod index;
mod meta;
mod oracle;
mod prices;
mod simulate;
mod streams;
mod temporal;
#[cfg(test)]
mod tests;
mod universe;
mod write;

pub use config::{
    GeneratorConfig, Preset, INDEX_NAME, INDUSTRY_RELATIVE_COEFFICIENT, INTERACTION_COEFFICIENT,
    LINEAR_COEFFICIENTS, SIGNAL_SCALE,
};
pub use oracle::{IC_HORIZONS, ORACLE_SCORES_FILE};
pub use temporal::{REVERSAL_COEFFICIENT, REVERSAL_DAYS, VOLUME_DAYS, VOLUME_SHOCK_COEFFICIENT};

use calendar::{make_calendar, quarter_ends, selection_days};
use factors::industry_mean_f5;
use index::{
    day_members, select_members, write_benchmark, write_constituents, write_index_weights,
};
use meta::write_meta;
use oracle::{oracle_ics, write_oracle_scores};
use simulate::{simulate_stocks, Context, Panel};
use streams::stream_rng;
use universe::{make_stocks, write_industries};

use crate::{Error, Result};
use rand_distr::{Distribution, Normal};
use std::path::Path;

/// What [`generate`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerateSummary {
    /// Number of stocks (symbols) in the bundle.
    pub n_stocks: usize,
    /// Number of trading days.
    pub n_days: usize,
    /// Number of rows in `bars.csv` (header excluded).
    pub bar_rows: usize,
    /// Oracle Pearson IC per horizon in [`IC_HORIZONS`].
    pub oracle_ic: Vec<(usize, f64)>,
    /// Oracle Spearman (rank) IC per horizon in [`IC_HORIZONS`].
    pub oracle_rank_ic: Vec<(usize, f64)>,
}

/// Writes a synthetic bundle for `config` and `seed` into `out` (created if
/// missing; existing files of the same names are overwritten).
pub fn generate(config: &GeneratorConfig, seed: u64, out: &Path) -> Result<GenerateSummary> {
    generate_bundle(config, None, seed, out)
}

/// Writes the member of the family configuration `name` for `seed` into
/// `out` (module [`family`]); returns the summary and the drawn member.
pub fn generate_family(
    name: &str,
    seed: u64,
    out: &Path,
) -> Result<(GenerateSummary, family::Family)> {
    let member = family::Family::draw(name.parse()?, seed);
    let summary = generate_member(&member, seed, out)?;
    Ok((summary, member))
}

/// Writes a drawn family member into `out`, with the sizes its
/// `generator` holds (a test may shrink a member drawn with
/// [`family::Family::draw`]; the planted model and the columns stay).
pub fn generate_member(member: &family::Family, seed: u64, out: &Path) -> Result<GenerateSummary> {
    generate_bundle(&member.generator, Some(member), seed, out)
}

/// The passes, for a preset or custom configuration (`member` = None) or a
/// family member (whose generator settings `config` is).
fn generate_bundle(
    config: &GeneratorConfig,
    member: Option<&family::Family>,
    seed: u64,
    out: &Path,
) -> Result<GenerateSummary> {
    config.validate()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let n = config.n_stocks;
    let n_days = config.n_days;

    // ---- Pass 0: everything drawn from the global stream. ----
    let mut rng = stream_rng(seed, 0);
    let calendar = make_calendar(config, &mut rng);
    let date_text: Vec<String> = calendar
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let market_normal = Normal::new(0.0003, 0.012).expect("valid normal");
    let market: Vec<f64> = (0..n_days)
        .map(|_| market_normal.sample(&mut rng))
        .collect();
    let mut stocks = make_stocks(config, &mut rng);

    // ---- Pass 1: industry means of f5 (rounded values, listed stocks), or
    // of a family member's industry-relative latents. ----
    let run = member.map(|m| family::FamilyRun::new(m, seed, &stocks, &market));
    let industry_mean_f5 = if run.is_some() {
        Vec::new()
    } else {
        industry_mean_f5(config, seed, &stocks)
    };

    // ---- Selection days of the index. ----
    let selection_days = selection_days(&calendar);
    // Day whose close ranks each selection: day 0 itself, else the day before.
    let record_days: Vec<usize> = selection_days
        .iter()
        .map(|&s| s.saturating_sub(1))
        .collect();

    // ---- Pass 2: stock by stock, writing bars, factors, fundamentals. ----
    let quarters = quarter_ends(&calendar);
    let ctx = Context {
        config,
        seed,
        calendar: &calendar,
        date_text: &date_text,
        market: &market,
        industry_mean_f5: &industry_mean_f5,
        record_days: &record_days,
        quarters: &quarters,
        family: run.as_ref(),
    };
    let mut panel = Panel::new(n_days, n, selection_days.len());
    simulate_stocks(&ctx, &mut stocks, &mut panel, out)?;

    // ---- Industries. ----
    write_industries(out, &stocks, &date_text)?;

    // ---- Index membership and benchmark. ----
    let members = select_members(config, &stocks, &selection_days, &panel.selection_cap);
    write_constituents(out, &stocks, &members, &selection_days, &date_text)?;
    let day_members = day_members(&stocks, &members, &selection_days, n_days);
    write_benchmark(out, &date_text, n, &day_members, &panel)?;
    write_index_weights(out, &stocks, &date_text, &day_members)?;

    // ---- Oracle IC and oracle scores. ----
    let (oracle_ic, oracle_rank_ic) = oracle_ics(n, n_days, &day_members, &panel);
    write_oracle_scores(out, &date_text, &stocks, &panel)?;
    if let Some(run) = &run {
        run.write_regime(out, &date_text)?;
    }

    let summary = GenerateSummary {
        n_stocks: n,
        n_days,
        bar_rows: panel.counts.bar_rows,
        oracle_ic,
        oracle_rank_ic,
    };
    write_meta(
        config,
        seed,
        out,
        &calendar,
        &stocks,
        &panel.counts,
        &summary.oracle_ic,
        &summary.oracle_rank_ic,
        member,
    )?;
    Ok(summary)
}
