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

// The crate's `Error` is large (its `Data` variant carries several strings);
// boxing it is a crate-wide decision, not this module's.
#![allow(clippy::result_large_err)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, StandardNormal};

use crate::{Error, Result};

/// Name of the one index in a generated bundle.
pub const INDEX_NAME: &str = "synth";

/// The oracle's scores in a generated bundle (see `write_oracle_scores`).
pub const ORACLE_SCORES_FILE: &str = "oracle_scores.csv";

/// Horizons (trading days) of the oracle IC.
pub const IC_HORIZONS: [usize; 4] = [1, 5, 10, 20];

/// Default scale `s` of the planted signal (daily expected-return units).
pub const SIGNAL_SCALE: f64 = 0.0012;

/// Coefficients of the linear part of the signal on `f0`, `f1`, `f2`.
pub const LINEAR_COEFFICIENTS: [f64; 3] = [0.5, 0.3, -0.3];

/// Coefficient of the interaction `f3·f4`.
pub const INTERACTION_COEFFICIENT: f64 = 0.4;

/// Coefficient of the industry-relative term `f5 − mean_industry(f5)`.
pub const INDUSTRY_RELATIVE_COEFFICIENT: f64 = 0.4;

/// Size presets of the generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// 30 stocks × 300 trading days (the committed fixture).
    Tiny,
    /// 300 stocks × 1,000 trading days.
    Small,
    /// 800 stocks × 2,500 trading days (CSI800-like).
    Medium,
    /// 3,000 stocks × 3,000 trading days (CSI1000-plus scale).
    Large,
}

impl Preset {
    /// All presets, smallest first.
    pub const ALL: [Preset; 4] = [Preset::Tiny, Preset::Small, Preset::Medium, Preset::Large];

    /// The preset's name as written on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Preset::Tiny => "tiny",
            Preset::Small => "small",
            Preset::Medium => "medium",
            Preset::Large => "large",
        }
    }

    /// The generator configuration of this preset.
    pub fn config(self) -> GeneratorConfig {
        let (n_stocks, n_days) = match self {
            Preset::Tiny => (30, 300),
            Preset::Small => (300, 1_000),
            Preset::Medium => (800, 2_500),
            Preset::Large => (3_000, 3_000),
        };
        GeneratorConfig {
            preset: Some(self),
            ..GeneratorConfig::new(n_stocks, n_days)
        }
    }
}

impl FromStr for Preset {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::Run(format!(
                    "unknown preset `{s}`; expected one of tiny, small, medium, large"
                ))
            })
    }
}

/// Everything the generator needs besides the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// The preset this came from (`None` = custom); recorded in `meta.json`.
    pub preset: Option<Preset>,
    /// Number of stocks (at most 5,999: symbols are main-board codes).
    pub n_stocks: usize,
    /// Number of trading days.
    pub n_days: usize,
    /// Number of factors `f0..`; between 6 and 14 (the signal uses f0..f5).
    pub n_factors: usize,
    /// Number of industries (`Industry01`…); at least 2 for reclassifications.
    pub n_industries: usize,
    /// Number of stocks chosen into the index at each selection.
    pub index_size: usize,
    /// First weekday of the calendar (always a trading day).
    pub start: NaiveDate,
    /// Scale `s` of the planted signal.
    pub signal_scale: f64,
    /// AR(1) coefficient of the factors.
    pub factor_rho: f64,
    /// Probability that a weekday (other than the first) is a holiday.
    pub holiday_rate: f64,
    /// Fraction of stocks that list after day 0.
    pub ipo_fraction: f64,
    /// Fraction of stocks that delist before the final day.
    pub delist_fraction: f64,
    /// Fraction of stocks reclassified once.
    pub reclass_fraction: f64,
    /// Approximate fraction of listed stock-days inside suspension spells.
    pub suspension_fraction: f64,
    /// Probability that a factor cell is written empty.
    pub factor_missing_rate: f64,
    /// Probability of a price jump (±5–15%) on a stock-day.
    pub jump_rate: f64,
    /// Probability that a fundamental value is restated.
    pub restatement_rate: f64,
    /// Trading days a stock must have been listed to enter the index at a
    /// re-selection (not applied on day 0).
    pub min_listing_days: usize,
    /// A stock whose traded close is below 1.00 on this many consecutive
    /// traded days delists after the last of them (the exchanges' rule);
    /// 0 disables the rule.
    pub penny_delist_days: usize,
}

impl GeneratorConfig {
    /// A configuration with the standard rates for the given size:
    /// `n_industries = min(30, max(5, n_stocks/10))`, `index_size` = 2/3 of
    /// `n_stocks` rounded, 8 factors, start 2015-01-05.
    pub fn new(n_stocks: usize, n_days: usize) -> Self {
        GeneratorConfig {
            preset: None,
            n_stocks,
            n_days,
            n_factors: 8,
            n_industries: (n_stocks / 10).clamp(5, 30),
            index_size: (n_stocks as f64 * 2.0 / 3.0).round() as usize,
            start: NaiveDate::from_ymd_opt(2015, 1, 5).expect("valid date"),
            signal_scale: SIGNAL_SCALE,
            factor_rho: 0.98,
            holiday_rate: 0.02,
            ipo_fraction: 0.15,
            delist_fraction: 0.10,
            reclass_fraction: 0.05,
            suspension_fraction: 0.01,
            factor_missing_rate: 0.02,
            jump_rate: 0.004,
            restatement_rate: 0.03,
            min_listing_days: 60,
            penny_delist_days: 20,
        }
    }

    fn validate(&self) -> Result<()> {
        let fail = |m: String| Err(Error::Run(format!("generator config: {m}")));
        if self.n_stocks == 0 || self.n_stocks > 5_999 {
            return fail(format!("n_stocks = {} must be 1..=5999", self.n_stocks));
        }
        if self.n_days < 2 {
            return fail(format!("n_days = {} must be at least 2", self.n_days));
        }
        if !(6..=14).contains(&self.n_factors) {
            return fail(format!("n_factors = {} must be 6..=14", self.n_factors));
        }
        if !(2..=99).contains(&self.n_industries) {
            return fail(format!(
                "n_industries = {} must be 2..=99",
                self.n_industries
            ));
        }
        if self.index_size == 0 || self.index_size > self.n_stocks {
            return fail(format!(
                "index_size = {} must be 1..=n_stocks",
                self.index_size
            ));
        }
        if !(0.0..1.0).contains(&self.factor_rho) {
            return fail(format!(
                "factor_rho = {} must be in [0, 1)",
                self.factor_rho
            ));
        }
        for (name, p) in [
            ("holiday_rate", self.holiday_rate),
            ("ipo_fraction", self.ipo_fraction),
            ("delist_fraction", self.delist_fraction),
            ("reclass_fraction", self.reclass_fraction),
            ("suspension_fraction", self.suspension_fraction),
            ("factor_missing_rate", self.factor_missing_rate),
            ("jump_rate", self.jump_rate),
            ("restatement_rate", self.restatement_rate),
        ] {
            if !(0.0..0.5).contains(&p) {
                return fail(format!("{name} = {p} must be in [0, 0.5)"));
            }
        }
        if !self.signal_scale.is_finite() {
            return fail("signal_scale must be finite".into());
        }
        Ok(())
    }
}

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

    // ---- Pass 1: industry means of f5 (rounded values, listed stocks). ----
    let n_ind = config.n_industries;
    let mut sums = vec![0.0f64; n_days * n_ind];
    let mut counts = vec![0u32; n_days * n_ind];
    for (i, stock) in stocks.iter().enumerate() {
        let mut path = FactorPath::new(seed, i, 5, config.factor_rho);
        for t in 0..n_days {
            let v = round_micro(path.next()) as f64 / 1e6;
            if t >= stock.first && t <= stock.last {
                let k = t * n_ind + stock.industry_at(t);
                sums[k] += v;
                counts[k] += 1;
            }
        }
    }
    let industry_mean_f5: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect();

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
    };
    let mut panel = Panel {
        mu: vec![f64::NAN; n_days * n],
        close_adj: vec![f64::NAN; n_days * n],
        traded: vec![false; n_days * n],
        selection_cap: vec![f64::NAN; selection_days.len() * n],
        counts: Counts::default(),
    };
    let mut bars = CsvOut::create(
        out,
        "bars.csv",
        "date,symbol,open,high,low,close,volume,amount,adj_factor,limit_up,limit_down",
    )?;
    let mut factor_header = String::from("date,symbol");
    for k in 0..config.n_factors {
        factor_header.push_str(&format!(",f{k}"));
    }
    let mut factors = CsvOut::create(out, "factors.csv", &factor_header)?;
    let mut fundamentals = CsvOut::create(
        out,
        "fundamentals.csv",
        "symbol,period_end,announce_date,field,value",
    )?;
    for (i, stock) in stocks.iter_mut().enumerate() {
        let last = simulate_stock(
            &ctx,
            i,
            stock,
            &mut panel,
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
    fundamentals.finish()?;

    // ---- Industries. ----
    let mut industries =
        CsvOut::create(out, "industries.csv", "symbol,industry,start_date,end_date")?;
    for stock in &stocks {
        let spells: Vec<(usize, usize, Option<usize>)> = match stock.reclass {
            None => vec![(stock.industry, stock.first, None)],
            Some((day, new)) => vec![
                (stock.industry, stock.first, Some(day - 1)),
                (new, day, None),
            ],
        };
        for (industry, start, end) in spells {
            let line = &mut industries.line;
            line.extend_from_slice(stock.symbol.as_bytes());
            line.extend_from_slice(format!(",Industry{:02},", industry + 1).as_bytes());
            line.extend_from_slice(date_text[start].as_bytes());
            line.push(b',');
            if let Some(end) = end {
                line.extend_from_slice(date_text[end].as_bytes());
            }
            industries.end_line()?;
        }
    }
    industries.finish()?;

    // ---- Index membership. ----
    let members = select_members(config, &stocks, &selection_days, &panel.selection_cap);
    let mut constituents =
        CsvOut::create(out, "constituents.csv", "index,symbol,start_date,end_date")?;
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
            let line = &mut constituents.line;
            line.extend_from_slice(INDEX_NAME.as_bytes());
            line.push(b',');
            line.extend_from_slice(stock.symbol.as_bytes());
            line.push(b',');
            line.extend_from_slice(date_text[a].as_bytes());
            line.push(b',');
            if b < n_days - 1 {
                line.extend_from_slice(date_text[b].as_bytes());
            }
            constituents.end_line()?;
        }
    }
    constituents.finish()?;

    // Members on day t: the list of the current period, minus delisted ones.
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

    // ---- Benchmark. ----
    let mut benchmark = CsvOut::create(out, "benchmark.csv", "date,index,close")?;
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
        let line = &mut benchmark.line;
        line.extend_from_slice(date_text[t].as_bytes());
        line.push(b',');
        line.extend_from_slice(INDEX_NAME.as_bytes());
        write!(line, ",{level}").expect("write to Vec");
        benchmark.end_line()?;
    }
    benchmark.finish()?;

    // ---- Oracle IC and oracle scores. ----
    let (oracle_ic, oracle_rank_ic) = oracle_ics(n, n_days, &day_members, &panel);
    write_oracle_scores(out, &date_text, &stocks, &panel)?;

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
        &summary,
    )?;
    Ok(summary)
}

/// A ChaCha8 generator on one stream of `seed`.
fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Stream numbers: 0 is global; stock i owns `1 + 16·i + slot`.
const SLOT_PRICES: u64 = 14;
const SLOT_FUNDAMENTALS: u64 = 15;

fn stock_stream(i: usize, slot: u64) -> u64 {
    1 + 16 * i as u64 + slot
}

/// `x` in millionths, rounded half away from zero.
fn round_micro(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

/// One factor's AR(1) path for one stock, from its own stream.
struct FactorPath {
    rng: ChaCha8Rng,
    value: f64,
    rho: f64,
    innovation_sd: f64,
    started: bool,
}

impl FactorPath {
    fn new(seed: u64, stock: usize, factor: usize, rho: f64) -> Self {
        FactorPath {
            rng: stream_rng(seed, stock_stream(stock, factor as u64)),
            value: 0.0,
            rho,
            innovation_sd: (1.0 - rho * rho).sqrt(),
            started: false,
        }
    }

    /// The value of the next day (the first call gives day 0).
    fn next(&mut self) -> f64 {
        let z: f64 = self.rng.sample(StandardNormal);
        self.value = if self.started {
            self.rho * self.value + self.innovation_sd * z
        } else {
            self.started = true;
            z
        };
        self.value
    }
}

/// Weekdays from `config.start`, dropping seeded holidays (never day 0).
fn make_calendar(config: &GeneratorConfig, rng: &mut ChaCha8Rng) -> Vec<NaiveDate> {
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

/// Static per-stock parameters.
#[derive(Clone, Debug)]
struct Stock {
    symbol: String,
    beta: f64,
    sigma: f64,
    start_cents: i64,
    shares: f64,
    price_to_book: f64,
    industry: usize,
    /// `(switch day, new industry)`.
    reclass: Option<(usize, usize)>,
    /// First bar day.
    first: usize,
    /// Last bar day.
    last: usize,
}

impl Stock {
    fn industry_at(&self, t: usize) -> usize {
        match self.reclass {
            Some((day, new)) if t >= day => new,
            _ => self.industry,
        }
    }
}

fn make_stocks(config: &GeneratorConfig, rng: &mut ChaCha8Rng) -> Vec<Stock> {
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

/// Day 0 and the first trading day of each June and December.
fn selection_days(calendar: &[NaiveDate]) -> Vec<usize> {
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
fn quarter_ends(calendar: &[NaiveDate]) -> Vec<(NaiveDate, usize)> {
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

/// Shared read-only inputs of the per-stock simulation.
struct Context<'a> {
    config: &'a GeneratorConfig,
    seed: u64,
    calendar: &'a [NaiveDate],
    date_text: &'a [String],
    market: &'a [f64],
    industry_mean_f5: &'a [f64],
    record_days: &'a [usize],
    quarters: &'a [(NaiveDate, usize)],
}

/// Day-major arrays (`t·n + i`) filled by the per-stock simulation.
struct Panel {
    /// Oracle score μ_{i,t}.
    mu: Vec<f64>,
    /// Last close × adj_factor on or before t (NaN before listing).
    close_adj: Vec<f64>,
    /// Row with volume > 0 on t.
    traded: Vec<bool>,
    /// Market cap ranking each selection (`q·n + i`), NaN if not listed.
    selection_cap: Vec<f64>,
    counts: Counts,
}

/// Event counts, reported in `meta.json`.
#[derive(Default, Debug)]
struct Counts {
    bar_rows: usize,
    factor_rows: usize,
    fundamental_rows: usize,
    limit_up_closes: usize,
    limit_down_closes: usize,
    suspended_missing_rows: usize,
    suspended_zero_volume_rows: usize,
    dividends: usize,
    splits: usize,
    restatements: usize,
    penny_delistings: usize,
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
    for (t, &state) in suspended.iter().enumerate() {
        for ((path, m), v) in paths.iter_mut().zip(&mut micro).zip(&mut f) {
            *m = round_micro(path.next());
            *v = *m as f64 / 1e6;
        }
        let mean_f5 = ctx.industry_mean_f5[t * n_ind + stock.industry_at(t)];
        let mu = s
            * (LINEAR_COEFFICIENTS[0] * f[0]
                + LINEAR_COEFFICIENTS[1] * f[1]
                + LINEAR_COEFFICIENTS[2] * f[2]
                + INTERACTION_COEFFICIENT * f[3] * f[4]
                + INDUSTRY_RELATIVE_COEFFICIENT * (f[5] - mean_f5));
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
        if t == stock.first {
            let ohlc = price_day(stock.start_cents, r, None, stock.sigma, &mut rng);
            close = ohlc.close;
            let volume = volume_for(shares, r, &mut rng);
            write_bar(bars, date, symbol, &ohlc, volume, &adj_text, None, &mut rng)?;
            traded = true;
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

        if traded {
            let line = &mut factors.line;
            line.extend_from_slice(date);
            line.push(b',');
            line.extend_from_slice(symbol);
            for &m in &micro {
                line.push(b',');
                if !rng.random_bool(config.factor_missing_rate) {
                    push_fixed(line, m, 6);
                }
            }
            factors.end_line()?;
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
                    ctx,
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

/// Raw prices of one bar, in cents.
#[derive(Clone, Copy, Debug)]
struct Ohlc {
    open: i64,
    high: i64,
    low: i64,
    close: i64,
}

/// `(limit_down, limit_up)` in cents: reference × 0.9 / × 1.1, rounded half
/// up to the cent, in exact integer arithmetic.
fn limits_of(reference: i64) -> (i64, i64) {
    ((reference * 9 + 5) / 10, (reference * 11 + 5) / 10)
}

/// One trading day's prices from the reference price and the (clipped)
/// return; within `limits` when given.
fn price_day(
    reference: i64,
    r: f64,
    limits: Option<(i64, i64)>,
    sigma: f64,
    rng: &mut ChaCha8Rng,
) -> Ohlc {
    let clamp = |c: i64| match limits {
        Some((lo, hi)) => c.clamp(lo, hi).max(1),
        None => c.max(1),
    };
    let at = |x: f64| (reference as f64 * (1.0 + x)).round() as i64;
    let close = match limits {
        Some((_, hi)) if r >= 0.1 => hi,
        Some((lo, _)) if r <= -0.1 => lo,
        _ => clamp(at(r)),
    };
    let z_open: f64 = rng.sample(StandardNormal);
    let overnight = (0.4 * r + 0.3 * sigma * z_open).clamp(-0.1, 0.1);
    let open = clamp(at(overnight));
    let top = open.max(close);
    let bottom = open.min(close);
    let z_high: f64 = rng.sample(StandardNormal);
    let z_low: f64 = rng.sample(StandardNormal);
    let high = clamp((top as f64 * (1.0 + 0.5 * sigma * z_high.abs())).round() as i64).max(top);
    let low = clamp((bottom as f64 * (1.0 - 0.5 * sigma * z_low.abs())).round() as i64).min(bottom);
    Ohlc {
        open,
        high,
        low,
        close,
    }
}

/// Lognormal turnover (about 0.8% a day, more on big moves), in lots of 100.
fn volume_for(shares: f64, r: f64, rng: &mut ChaCha8Rng) -> u64 {
    let z: f64 = rng.sample(StandardNormal);
    let turnover = (0.008f64.ln() + 0.5 * z).exp() * (1.0 + 8.0 * r.abs());
    let lots = (shares * turnover / 100.0).round().max(1.0);
    lots as u64 * 100
}

#[allow(clippy::too_many_arguments)]
fn write_bar(
    out: &mut CsvOut,
    date: &[u8],
    symbol: &[u8],
    ohlc: &Ohlc,
    volume: u64,
    adj_text: &[u8],
    limits: Option<(i64, i64)>,
    rng: &mut ChaCha8Rng,
) -> Result<()> {
    let amount_cents = if volume > 0 {
        let vwap = ohlc.low as f64 + rng.random::<f64>() * (ohlc.high - ohlc.low) as f64;
        (volume as f64 * vwap).round() as i64
    } else {
        0
    };
    let line = &mut out.line;
    line.extend_from_slice(date);
    line.push(b',');
    line.extend_from_slice(symbol);
    for price in [ohlc.open, ohlc.high, ohlc.low, ohlc.close] {
        line.push(b',');
        push_fixed(line, price, 2);
    }
    line.push(b',');
    push_u64(line, volume);
    line.push(b',');
    push_fixed(line, amount_cents, 2);
    line.push(b',');
    line.extend_from_slice(adj_text);
    line.push(b',');
    if let Some((down, up)) = limits {
        push_fixed(line, up, 2);
        line.push(b',');
        push_fixed(line, down, 2);
    } else {
        line.push(b',');
    }
    out.end_line()
}

#[allow(clippy::too_many_arguments)]
fn write_fundamentals(
    ctx: &Context<'_>,
    stock: &Stock,
    period_end: NaiveDate,
    price: f64,
    f0: f64,
    rng: &mut ChaCha8Rng,
    out: &mut CsvOut,
    counts: &mut Counts,
) -> Result<()> {
    let last_date = ctx.calendar[ctx.calendar.len() - 1];
    let z_eps: f64 = rng.sample(StandardNormal);
    let z_bps: f64 = rng.sample(StandardNormal);
    let eps = price * (0.012 + 0.008 * (0.6 * f0 + 0.8 * z_eps));
    let bps = price / stock.price_to_book * (0.1 * z_bps).exp();
    let period_text = period_end.format("%Y-%m-%d").to_string();
    for (field, value) in [("eps", eps), ("bps", bps)] {
        let announce = period_end + Days::new(rng.random_range(20..=120));
        let restate = rng.random_bool(ctx.config.restatement_rate);
        let later = announce + Days::new(rng.random_range(30..=90));
        let change = rng.random_range(0.02..0.10) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let mut rows = vec![(announce, value)];
        if restate {
            rows.push((later, value * (1.0 + change)));
        }
        for (date, v) in rows {
            if date > last_date {
                continue;
            }
            let line = &mut out.line;
            line.extend_from_slice(stock.symbol.as_bytes());
            line.push(b',');
            line.extend_from_slice(period_text.as_bytes());
            line.push(b',');
            line.extend_from_slice(date.format("%Y-%m-%d").to_string().as_bytes());
            line.push(b',');
            line.extend_from_slice(field.as_bytes());
            line.push(b',');
            push_fixed(line, (v * 1e4).round() as i64, 4);
            out.end_line()?;
            counts.fundamental_rows += 1;
            if date != announce {
                counts.restatements += 1;
            }
        }
    }
    Ok(())
}

/// Index members per selection period, sorted by stock index.
fn select_members(
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

/// Writes `oracle_scores.csv` (`date,symbol,score`, readable by the `file`
/// model): the true expected return μ_{i,t} / s (the unscaled signal, 9
/// decimals) of every listed stock at every close, so a backtest of the oracle
/// on the test period is measured exactly like a model's scores.
fn write_oracle_scores(
    out: &Path,
    date_text: &[String],
    stocks: &[Stock],
    panel: &Panel,
) -> Result<()> {
    let n = stocks.len();
    let mut file = CsvOut::create(out, ORACLE_SCORES_FILE, "date,symbol,score")?;
    for (t, date) in date_text.iter().enumerate() {
        for (i, stock) in stocks.iter().enumerate() {
            if t < stock.first || t > stock.last {
                continue;
            }
            let line = &mut file.line;
            line.extend_from_slice(date.as_bytes());
            line.push(b',');
            line.extend_from_slice(stock.symbol.as_bytes());
            write!(line, ",{:.9}", panel.mu[t * n + i] / SIGNAL_SCALE).expect("write to Vec");
            file.end_line()?;
        }
    }
    file.finish()
}

/// Mean Pearson and Spearman oracle IC per horizon.
/// Mean IC per horizon, `(horizon, ic)`.
type IcByHorizon = Vec<(usize, f64)>;

fn oracle_ics(
    n: usize,
    n_days: usize,
    day_members: &[Vec<usize>],
    panel: &Panel,
) -> (IcByHorizon, IcByHorizon) {
    let mut sum = [0.0f64; IC_HORIZONS.len()];
    let mut sum_rank = [0.0f64; IC_HORIZONS.len()];
    let mut days = [0usize; IC_HORIZONS.len()];
    let mut days_rank = [0usize; IC_HORIZONS.len()];
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut who = Vec::new();
    for (t, members) in day_members.iter().enumerate() {
        if t + IC_HORIZONS[0] >= n_days {
            break;
        }
        who.clear();
        x.clear();
        for &i in members {
            if panel.traded[t * n + i] {
                who.push(i);
                x.push(panel.mu[t * n + i]);
            }
        }
        if who.len() < 3 {
            continue;
        }
        let x_rank = average_ranks(&x);
        for (j, &h) in IC_HORIZONS.iter().enumerate() {
            if t + h >= n_days {
                continue;
            }
            y.clear();
            y.extend(
                who.iter()
                    .map(|&i| panel.close_adj[(t + h) * n + i] / panel.close_adj[t * n + i] - 1.0),
            );
            if let Some(c) = pearson(&x, &y) {
                sum[j] += c;
                days[j] += 1;
            }
            if let Some(c) = pearson(&x_rank, &average_ranks(&y)) {
                sum_rank[j] += c;
                days_rank[j] += 1;
            }
        }
    }
    let mean = |s: &[f64], d: &[usize]| -> IcByHorizon {
        IC_HORIZONS
            .iter()
            .enumerate()
            .map(|(j, &h)| {
                (
                    h,
                    if d[j] > 0 {
                        s[j] / d[j] as f64
                    } else {
                        f64::NAN
                    },
                )
            })
            .collect()
    };
    (mean(&sum, &days), mean(&sum_rank, &days_rank))
}

/// Pearson correlation; `None` for fewer than 2 points or no dispersion.
fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || n != y.len() {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// 1-based ranks, ties sharing their average rank.
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = rank;
        }
        start = end;
    }
    ranks
}

fn write_meta(
    config: &GeneratorConfig,
    seed: u64,
    out: &Path,
    calendar: &[NaiveDate],
    stocks: &[Stock],
    counts: &Counts,
    summary: &GenerateSummary,
) -> Result<()> {
    use serde_json::{json, Map, Value};
    let ic_map = |v: &[(usize, f64)]| -> Value {
        let mut m = Map::new();
        for &(h, ic) in v {
            m.insert(h.to_string(), json!(ic));
        }
        Value::Object(m)
    };
    let factor_names: Vec<String> = (0..config.n_factors).map(|k| format!("f{k}")).collect();
    let noise: Vec<String> = (6..config.n_factors).map(|k| format!("f{k}")).collect();
    let meta = json!({
        "generator": "alphasim generate",
        "format_version": 1,
        "preset": config.preset.map_or("custom", |p| p.name()),
        "seed": seed,
        "n_stocks": config.n_stocks,
        "n_days": config.n_days,
        "n_factors": config.n_factors,
        "n_industries": config.n_industries,
        "index": INDEX_NAME,
        "index_size": config.index_size,
        "start_date": calendar[0].format("%Y-%m-%d").to_string(),
        "end_date": calendar[calendar.len() - 1].format("%Y-%m-%d").to_string(),
        "factors": factor_names,
        "signal": {
            "formula": "mu[i,t] = s * (0.5*f0 + 0.3*f1 - 0.3*f2 + 0.4*f3*f4 + 0.4*(f5 - mean_industry(f5))); r[i,t+1] = beta_i*m[t+1] + mu[i,t] + sigma_i*eps + jump, clipped to +-10%",
            "description": "Expected next-day return known at the close of t. Linear in f0, f1, f2; an interaction f3*f4; f5 relative to the mean of f5 over the stocks listed on day t in the stock's industry on day t (the stock included). The factor values are the 6-decimal values of factors.csv (the signal uses the true value behind the ~2% of empty cells).",
            "scale": config.signal_scale,
            "coefficients": {
                "f0": LINEAR_COEFFICIENTS[0],
                "f1": LINEAR_COEFFICIENTS[1],
                "f2": LINEAR_COEFFICIENTS[2],
                "f3*f4": INTERACTION_COEFFICIENT,
                "f5-mean_industry(f5)": INDUSTRY_RELATIVE_COEFFICIENT,
            },
            "noise_factors": noise,
            "factor_process": format!("AR(1), rho = {}, unit stationary variance, independent across factors and stocks", config.factor_rho),
            "uses_rounded_factor_values": true,
        },
        "market": {
            "market_return": "N(0.0003, 0.012)",
            "beta": "U(0.7, 1.3)",
            "idiosyncratic_sd": "U(0.015, 0.03)",
            "jump_rate": config.jump_rate,
            "jump_size": "+-U(0.05, 0.15)",
            "price_limit": 0.1,
            "corporate_action_rate": "1/504 per traded day: bonus issue ratio 2 (price >= 30, probability 0.3) else dividend ratio U(1.005, 1.04)",
        },
        "oracle_ic": ic_map(&summary.oracle_ic),
        "oracle_rank_ic": ic_map(&summary.oracle_rank_ic),
        "oracle_ic_definition": "For each day t with t+h in the data, over the index members on t with a traded bar (volume > 0) on t: Pearson (rank IC: Spearman, average ranks for ties) correlation of mu[i,t] with close_adj(t+h)/close_adj(t) - 1, close_adj = close * adj_factor, using the last traded close on or before t+h; mean over days.",
        "benchmark_definition": "level 1000 on day 0; level[t] = level[t-1] * (1 + b[t]); b[t] = mean over symbols that are members on day t and traded (row with volume > 0) on both day t-1 and day t of close_adj[t]/close_adj[t-1] - 1, close_adj = close * adj_factor from the written values, summed in symbol order then divided by the count; b[t] = 0 if none.",
        "index_definition": "top index_size by raw close * shares outstanding; chosen on day 0 from stocks listed on day 0 (day-0 close) and on the first trading day of each June and December from stocks listed at least min_listing_days before (previous day's close); a member leaves after its last bar day, so the index can have fewer than index_size members until the next selection.",
        "min_listing_days": config.min_listing_days,
        "counts": {
            "bar_rows": counts.bar_rows,
            "factor_rows": counts.factor_rows,
            "fundamental_rows": counts.fundamental_rows,
            "ipos_after_day_0": stocks.iter().filter(|s| s.first > 0).count(),
            "delistings": stocks.iter().filter(|s| s.last + 1 < config.n_days).count(),
            "reclassifications": stocks.iter().filter(|s| s.reclass.is_some()).count(),
            "limit_up_closes": counts.limit_up_closes,
            "limit_down_closes": counts.limit_down_closes,
            "suspended_missing_rows": counts.suspended_missing_rows,
            "suspended_zero_volume_rows": counts.suspended_zero_volume_rows,
            "dividends": counts.dividends,
            "splits": counts.splits,
            "restatements": counts.restatements,
            "penny_delistings": counts.penny_delistings,
        },
    });
    let path = out.join("meta.json");
    let mut text = serde_json::to_string_pretty(&meta).expect("meta serialises");
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

/// A buffered CSV file written one line at a time through a reusable buffer.
struct CsvOut {
    path: PathBuf,
    writer: BufWriter<File>,
    line: Vec<u8>,
}

impl CsvOut {
    fn create(dir: &Path, name: &str, header: &str) -> Result<Self> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut out = CsvOut {
            path,
            writer: BufWriter::with_capacity(1 << 20, file),
            line: Vec::with_capacity(256),
        };
        out.line.extend_from_slice(header.as_bytes());
        out.end_line()?;
        Ok(out)
    }

    fn end_line(&mut self) -> Result<()> {
        self.line.push(b'\n');
        let result = self.writer.write_all(&self.line);
        self.line.clear();
        result.map_err(|e| Error::io(&self.path, e))
    }

    fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[k..]);
}

/// Writes `v / 10^decimals` with exactly `decimals` decimals.
fn push_fixed(buf: &mut Vec<u8>, v: i64, decimals: u32) {
    if v < 0 {
        buf.push(b'-');
    }
    let a = v.unsigned_abs();
    let p = 10u64.pow(decimals);
    push_u64(buf, a / p);
    buf.push(b'.');
    let frac = a % p;
    let mut digits = [b'0'; 20];
    let mut rest = frac;
    for k in (0..decimals as usize).rev() {
        digits[k] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buf.extend_from_slice(&digits[..decimals as usize]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    type Row = Vec<String>;

    fn read_csv(dir: &Path, name: &str) -> (Vec<String>, Vec<Row>) {
        let mut reader = csv::Reader::from_path(dir.join(name)).expect("open csv");
        let header = reader
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect();
        (header, rows)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("ISO date")
    }

    fn tiny(seed: u64) -> (tempfile::TempDir, GenerateSummary) {
        let dir = tempfile::tempdir().expect("temp dir");
        let summary = generate(&Preset::Tiny.config(), seed, dir.path()).expect("generate");
        (dir, summary)
    }

    const FILES: [&str; 7] = [
        "bars.csv",
        "industries.csv",
        "constituents.csv",
        "benchmark.csv",
        "factors.csv",
        "fundamentals.csv",
        "meta.json",
    ];

    /// The trading calendar and, per symbol, its bars keyed by day index.
    struct Bars {
        calendar: Vec<NaiveDate>,
        by_symbol: BTreeMap<String, BTreeMap<usize, Row>>,
    }

    fn load_bars(dir: &Path) -> Bars {
        let (_, rows) = read_csv(dir, "bars.csv");
        let calendar: Vec<NaiveDate> = rows
            .iter()
            .map(|r| date(&r[0]))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut by_symbol: BTreeMap<String, BTreeMap<usize, Row>> = BTreeMap::new();
        for r in rows {
            let t = calendar.binary_search(&date(&r[0])).expect("in calendar");
            by_symbol.entry(r[1].clone()).or_default().insert(t, r);
        }
        Bars {
            calendar,
            by_symbol,
        }
    }

    #[test]
    fn test_preset_from_str_and_sizes() {
        let expected = [
            ("tiny", 30, 300, 5, 20),
            ("small", 300, 1_000, 30, 200),
            ("medium", 800, 2_500, 30, 533),
            ("large", 3_000, 3_000, 30, 2_000),
        ];
        for (name, n, d, ind, index) in expected {
            let preset: Preset = name.parse().expect("known preset");
            assert_eq!(preset.name(), name);
            let c = preset.config();
            assert_eq!(
                (
                    c.n_stocks,
                    c.n_days,
                    c.n_industries,
                    c.index_size,
                    c.n_factors
                ),
                (n, d, ind, index, 8)
            );
            assert_eq!(c.start, NaiveDate::from_ymd_opt(2015, 1, 5).unwrap());
        }
        assert!("huge".parse::<Preset>().is_err());
        assert_eq!(GeneratorConfig::new(120, 10).n_industries, 12);
    }

    #[test]
    fn test_push_fixed_formats() {
        let mut buf = Vec::new();
        for (v, d) in [(1234, 2), (-5, 2), (0, 6), (-1_234_567, 6), (7, 4)] {
            push_fixed(&mut buf, v, d);
            buf.push(b' ');
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "12.34 -0.05 0.000000 -1.234567 0.0007 "
        );
    }

    #[test]
    fn test_average_ranks_ties() {
        let expected = vec![2.5, 1.0, 2.5, 4.0];
        assert_eq!(average_ranks(&[0.5, 0.1, 0.5, 0.9]), expected);
        // Spearman of a monotone transform is exactly 1.
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 8.0, 27.0, 64.0];
        let rho = pearson(&average_ranks(&x), &average_ranks(&y)).unwrap();
        assert!((rho - 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn test_generate_same_seed_identical_bytes() {
        let (a, sa) = tiny(7);
        let (b, sb) = tiny(7);
        assert_eq!(sa, sb);
        for name in FILES {
            let x = std::fs::read(a.path().join(name)).unwrap();
            let y = std::fs::read(b.path().join(name)).unwrap();
            assert!(x == y, "{name} differs between two runs with the same seed");
        }
    }

    #[test]
    fn test_generate_different_seeds_differ() {
        let (a, _) = tiny(1);
        let (b, _) = tiny(2);
        for name in ["bars.csv", "factors.csv", "benchmark.csv", "meta.json"] {
            let x = std::fs::read(a.path().join(name)).unwrap();
            let y = std::fs::read(b.path().join(name)).unwrap();
            assert!(x != y, "{name} is the same for seeds 1 and 2");
        }
    }

    #[test]
    fn test_generate_tiny_bars_valid() {
        let (dir, summary) = tiny(42);
        let config = Preset::Tiny.config();
        let (header, rows) = read_csv(dir.path(), "bars.csv");
        assert_eq!(
            header.join(","),
            "date,symbol,open,high,low,close,volume,amount,adj_factor,limit_up,limit_down"
        );
        assert_eq!(rows.len(), summary.bar_rows);
        // Sorted by symbol, then date, so no duplicate (date, symbol).
        for w in rows.windows(2) {
            let a = (&w[0][1], date(&w[0][0]));
            let b = (&w[1][1], date(&w[1][0]));
            assert!(a < b, "rows out of order or duplicated: {a:?} then {b:?}");
        }
        let bars = load_bars(dir.path());
        let cal = &bars.calendar;
        assert_eq!(cal.len(), config.n_days);
        assert_eq!(cal[0], config.start);
        assert!(cal
            .iter()
            .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
        assert_eq!(bars.by_symbol.len(), config.n_stocks);
        assert!(bars
            .by_symbol
            .keys()
            .all(|s| s.len() == 8 && (s.starts_with("SH60") || s.starts_with("SZ00"))));

        let (mut limit_moves, mut zero_volume, mut missing) = (0, 0, 0);
        let (mut ipos, mut delists, mut adjusted) = (0, 0, 0);
        for (symbol, days) in &bars.by_symbol {
            let first = *days.keys().next().unwrap();
            let last = *days.keys().last().unwrap();
            ipos += usize::from(first > 0);
            delists += usize::from(last + 1 < cal.len());
            missing += (last - first + 1) - days.len();
            let mut prev_close: Option<f64> = None;
            for (&t, r) in days {
                let p = |k: usize| r[k].parse::<f64>().unwrap();
                let (open, high, low, close) = (p(2), p(3), p(4), p(5));
                let volume: u64 = r[6].parse().unwrap();
                let amount = p(7);
                let adj = p(8);
                assert!(low > 0.0 && adj >= 1.0, "{symbol} {}", r[0]);
                assert!(high >= low && high >= open.max(close) && low <= open.min(close));
                for price in &r[2..=5] {
                    let decimals = price.split('.').nth(1).map_or(0, str::len);
                    assert_eq!(decimals, 2, "price {price} not 2 dp");
                }
                if t == first {
                    assert!(r[9].is_empty() && r[10].is_empty(), "first row has limits");
                    assert!(volume > 0);
                } else {
                    let (up, down) = (p(9), p(10));
                    assert!(
                        high <= up && low >= down,
                        "{symbol} {} outside limits",
                        r[0]
                    );
                    if adj == 1.0 {
                        // Half-up rounding in exact cents.
                        let pc = (prev_close.unwrap() * 100.0).round() as i64;
                        assert_eq!((up * 100.0).round() as i64, (pc * 11 + 5) / 10);
                        assert_eq!((down * 100.0).round() as i64, (pc * 9 + 5) / 10);
                    }
                    if volume > 0 && (close == up || close == down) {
                        limit_moves += 1;
                    }
                }
                if volume == 0 {
                    zero_volume += 1;
                    assert_eq!(amount, 0.0);
                    assert!(open == close && high == close && low == close);
                    assert_eq!(Some(close), prev_close);
                } else {
                    assert!(amount >= volume as f64 * low * 0.999);
                    assert!(amount <= volume as f64 * high * 1.001);
                }
                adjusted += usize::from(adj > 1.0);
                prev_close = Some(close);
            }
        }
        assert!(limit_moves > 0, "no limit moves");
        assert!(zero_volume > 0, "no zero-volume suspensions");
        assert!(missing > 0, "no missing-row suspensions");
        assert!(ipos > 0 && delists > 0, "ipos {ipos} delists {delists}");
        assert!(adjusted > 0, "no corporate actions");
    }

    #[test]
    fn test_generate_tiny_factors_and_industries() {
        let (dir, _) = tiny(42);
        let config = Preset::Tiny.config();
        let bars = load_bars(dir.path());
        let (header, rows) = read_csv(dir.path(), "factors.csv");
        assert_eq!(header.join(","), "date,symbol,f0,f1,f2,f3,f4,f5,f6,f7");
        let traded: BTreeSet<(String, NaiveDate)> = bars
            .by_symbol
            .iter()
            .flat_map(|(s, days)| {
                days.iter()
                    .filter(|(_, r)| r[6] != "0")
                    .map(|(&t, _)| (s.clone(), bars.calendar[t]))
            })
            .collect();
        let keys: BTreeSet<(String, NaiveDate)> =
            rows.iter().map(|r| (r[1].clone(), date(&r[0]))).collect();
        assert_eq!(keys.len(), rows.len());
        assert_eq!(keys, traded);
        let cells = rows.len() * 8;
        let empty = rows
            .iter()
            .flat_map(|r| &r[2..])
            .filter(|c| c.is_empty())
            .count();
        assert!(
            empty > 0 && (empty as f64) < 0.04 * cells as f64,
            "{empty}/{cells}"
        );
        for c in rows.iter().flat_map(|r| &r[2..]).filter(|c| !c.is_empty()) {
            assert_eq!(c.split('.').nth(1).unwrap().len(), 6);
        }

        let (_, rows) = read_csv(dir.path(), "industries.csv");
        let mut spells: BTreeMap<String, Vec<(NaiveDate, Option<NaiveDate>, String)>> =
            BTreeMap::new();
        for r in &rows {
            let end = (!r[3].is_empty()).then(|| date(&r[3]));
            spells
                .entry(r[0].clone())
                .or_default()
                .push((date(&r[2]), end, r[1].clone()));
        }
        assert_eq!(spells.len(), config.n_stocks);
        let names: BTreeSet<&String> = rows.iter().map(|r| &r[1]).collect();
        assert_eq!(names.len(), config.n_industries);
        assert!(names.iter().all(|n| n.starts_with("Industry")));
        let mut reclassified = 0;
        for list in spells.values() {
            if list.len() == 2 {
                reclassified += 1;
                let end = list[0].1.expect("first spell closed");
                assert!(end >= list[0].0 && end < list[1].0 && list[0].2 != list[1].2);
            }
        }
        assert!(reclassified >= 1);
    }

    #[test]
    fn test_generate_tiny_constituents_and_benchmark() {
        let (dir, _) = tiny(42);
        let config = Preset::Tiny.config();
        let bars = load_bars(dir.path());
        let cal = &bars.calendar;
        let n_days = cal.len();
        let (header, rows) = read_csv(dir.path(), "constituents.csv");
        assert_eq!(header.join(","), "index,symbol,start_date,end_date");
        let mut spells: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for r in &rows {
            assert_eq!(r[0], INDEX_NAME);
            let a = cal.binary_search(&date(&r[2])).unwrap();
            let b = if r[3].is_empty() {
                n_days - 1
            } else {
                cal.binary_search(&date(&r[3])).unwrap()
            };
            assert!(a <= b);
            spells.entry(r[1].clone()).or_default().push((a, b));
        }
        for list in spells.values() {
            for w in list.windows(2) {
                assert!(w[0].1 + 1 < w[1].0, "overlapping or adjacent spells {w:?}");
            }
        }
        let last_bar: BTreeMap<&String, usize> = bars
            .by_symbol
            .iter()
            .map(|(s, d)| (s, *d.keys().last().unwrap()))
            .collect();
        let members = |t: usize| -> BTreeSet<&String> {
            spells
                .iter()
                .filter(|(_, l)| l.iter().any(|&(a, b)| a <= t && t <= b))
                .map(|(s, _)| s)
                .collect()
        };
        let selection = selection_days(cal);
        assert!(selection.len() >= 2);
        let mut prev = members(0);
        assert_eq!(prev.len(), config.index_size);
        for t in 1..n_days {
            let now = members(t);
            assert!(
                now.iter().all(|s| last_bar[*s] >= t),
                "member after last bar"
            );
            if selection.contains(&t) {
                assert_eq!(now.len(), config.index_size, "selection day {t}");
            } else {
                // Between selections members only leave, after their last bar.
                assert!(now.is_subset(&prev));
                for gone in prev.difference(&now) {
                    assert_eq!(last_bar[*gone], t - 1);
                }
            }
            prev = now;
        }

        // Benchmark, recomputed from the written files, must match exactly.
        let (_, bench) = read_csv(dir.path(), "benchmark.csv");
        assert_eq!(bench.len(), n_days);
        let traded_adj = |s: &String, t: usize| -> Option<f64> {
            let r = bars.by_symbol[s].get(&t)?;
            (r[6] != "0").then(|| r[5].parse::<f64>().unwrap() * r[8].parse::<f64>().unwrap())
        };
        let mut level = 1000.0f64;
        for (t, row) in bench.iter().enumerate() {
            assert_eq!((date(&row[0]), row[1].as_str()), (cal[t], INDEX_NAME));
            if t > 0 {
                let (mut sum, mut count) = (0.0, 0);
                for s in members(t) {
                    if let (Some(now), Some(before)) = (traded_adj(s, t), traded_adj(s, t - 1)) {
                        sum += now / before - 1.0;
                        count += 1;
                    }
                }
                level *= 1.0 + if count > 0 { sum / count as f64 } else { 0.0 };
            }
            assert_eq!(row[2], format!("{level}"), "benchmark on day {t}");
        }
    }

    #[test]
    fn test_generate_tiny_fundamentals() {
        let (dir, _) = tiny(42);
        let (header, rows) = read_csv(dir.path(), "fundamentals.csv");
        assert_eq!(
            header.join(","),
            "symbol,period_end,announce_date,field,value"
        );
        let last_day = load_bars(dir.path()).calendar.last().copied().unwrap();
        let mut first_announce: BTreeMap<(String, NaiveDate, String), NaiveDate> = BTreeMap::new();
        let mut restatements = 0;
        for r in &rows {
            let (pe, ann) = (date(&r[1]), date(&r[2]));
            assert!(matches!(
                (pe.month(), pe.day()),
                (3, 31) | (6, 30) | (9, 30) | (12, 31)
            ));
            assert!(ann <= last_day);
            assert!(r[3] == "eps" || r[3] == "bps");
            r[4].parse::<f64>().unwrap();
            let key = (r[0].clone(), pe, r[3].clone());
            match first_announce.get(&key) {
                None => {
                    let lag = (ann - pe).num_days();
                    assert!((20..=120).contains(&lag), "announce lag {lag}");
                    first_announce.insert(key, ann);
                }
                Some(&first) => {
                    restatements += 1;
                    assert!((30..=90).contains(&(ann - first).num_days()));
                }
            }
        }
        assert!(rows.len() > 100);
        assert!(restatements > 0, "no restatements");
    }

    #[test]
    fn test_generate_small_oracle_ic_in_range() {
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let summary = generate(&Preset::Small.config(), 42, dir.path()).unwrap();
        println!(
            "small generated in {:.2?}: ic {:?} rank ic {:?}",
            started.elapsed(),
            summary.oracle_ic,
            summary.oracle_rank_ic
        );
        let ic = |h: usize| summary.oracle_ic.iter().find(|x| x.0 == h).unwrap().1;
        assert!((0.03..=0.06).contains(&ic(1)), "1-day IC {}", ic(1));
        assert!((0.10..=0.20).contains(&ic(20)), "20-day IC {}", ic(20));
        assert!(ic(1) < ic(5) && ic(5) < ic(10) && ic(10) < ic(20));
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("meta.json")).unwrap())
                .unwrap();
        assert_eq!(meta["preset"], "small");
        assert_eq!(meta["oracle_ic"]["20"].as_f64().unwrap(), ic(20));
    }

    /// Writes the committed fixture:
    /// `cargo test --release -- --ignored write_fixture_tiny_seed_42`.
    #[test]
    #[ignore = "writes the committed fixture under fixtures/tiny"]
    fn write_fixture_tiny_seed_42() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny");
        let summary = generate(&Preset::Tiny.config(), 42, &out).unwrap();
        println!("wrote {}: {summary:?}", out.display());
    }
}
