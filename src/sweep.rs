//! Sweeps: many variants of one spec — models and indices, each scored
//! once, and cost/execution variants replayed on each scoring.
//!
//! Axes come from the spec's `[sweep]` table (dotted keys, or nested tables
//! such as `[sweep.costs]`, each an array of values) and from `--set
//! key=v1,v2,...` on the command line (which replaces an axis of the same
//! key). The variants are the cartesian product, first axis slowest (the
//! `[sweep]` keys in name order, then `--set` axes in command-line order).
//!
//! Two kinds of keys may vary:
//! - **scoring keys** ([`SCORING`]): `model` (each value names a
//!   `[models.<name>]` table of the spec, a full `[model]` table that replaces
//!   `[model]` in that variant) and `index` (a name in `constituents.csv`;
//!   the benchmark follows the index unless the spec sets `benchmark`, and
//!   `[indices.<name>]` settings such as a later `start` apply). Variants with
//!   the same scoring values form a **scoring group**;
//! - **replayed keys** ([`REPLAYABLE`]): `costs.*`, `execution.*`,
//!   `portfolio.*` and `initial_capital`, which act after scoring.
//!
//! Anything else (a model hyper-parameter such as `model.hidden`, the
//! schedule) is an error naming the line and column and the fix (one
//! `[models.<name>]` table per setting). The first variant of each group
//! runs its model in full, with a recorder that keeps every signal day's
//! scores; the scorings run on `jobs` worker threads (costliest first; models
//! are built on the calling thread, since a deep model sets candle's
//! process-wide thread count). Every other variant then replays the engine with
//! a [`ReplayModel`] that hands its group's scores back (no fit, no observe)
//! and without re-evaluating the IC (it is the same; it and the model's
//! interpretation are copied from the group's scoring run), keeping two days of closes instead of the whole
//! matrix, and — when the benchmark comes from index levels — streaming only
//! the bars of symbols that were ever scored (nothing else can be held). The
//! market is loaded once and shared read-only. The replays run on the same
//! `jobs` workers fed by a crossbeam channel.
//!
//! Output: one run folder per variant (`v001`, `v002`, … in product order;
//! positions.csv only with `--positions`),
//! `comparison.md` and `comparison.csv` (the variant's parameters and
//! headline metrics) and the break-even table (`break_even.csv`, also in the
//! markdown): along each numeric axis, for each combination of the other
//! axes, the value where alpha crosses zero, linearly interpolated between
//! the two neighbouring variants whose alphas have opposite signs. When
//! `model` or `index` is swept, also `table1.md` (the paper's Table 1
//! layout: a row per model in sweep order, per index α, ICIR, IR, Sharpe,
//! then each index's test period; one table per combination of the other
//! axes) and `table1.csv` (the same at full precision, plus IC means).
//!
//! Determinism: every variant is a pure function of (spec, overrides,
//! market, recorded scores), rows are ordered by variant index and written
//! with fixed formats, so every file is byte-identical for any `jobs` (the
//! learned models are seeded; `train.threads` is process-wide, so with
//! several scorings the last model built sets it for all). Timings
//! are returned in [`SweepOutcome::scoring_seconds`] and printed by the CLI,
//! never written to the folder.

use crate::alpha::{build_model_with_factors, AlphaModel};
use crate::context::Context;
use crate::data::{Date, Market, SymbolId};
use crate::engine::{run_with_options, RunOptions};
use crate::report::{Report, RunResult};
use crate::spec::Spec;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Keys a sweep may vary (prefixes) that act after scoring: variants that
/// differ only in these replay one scoring.
pub const REPLAYABLE: [&str; 4] = ["costs.", "execution.", "portfolio.", "initial_capital"];

/// Keys a sweep may vary that change the scores: `model` (a name of a
/// `[models.<name>]` table) and `index` (a name in `constituents.csv`). Each
/// distinct combination of their values is one scoring group.
pub const SCORING: [&str; 2] = ["model", "index"];

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<toml::Value>,
}

/// The axes of a sweep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SweepPlan {
    pub axes: Vec<Axis>,
}

fn sweep_err(spec: &Spec, message: String) -> Error {
    Error::Spec {
        file: spec.path.clone(),
        message,
    }
}

/// Where a `[sweep]` key's value sits in the spec text: (byte offset, length).
fn sweep_value_span(spec: &Spec, key: &str) -> Option<(usize, usize)> {
    #[derive(serde::Deserialize)]
    struct Spans {
        #[serde(default)]
        sweep: BTreeMap<String, toml::Spanned<toml::Value>>,
    }
    let spans: Spans = toml::from_str(&spec.source).ok()?;
    let top = key.split('.').next().unwrap_or(key);
    let v = spans.sweep.get(key).or_else(|| spans.sweep.get(top))?;
    let r = v.span();
    Some((r.start, r.end - r.start))
}

/// A message pointing at `len` bytes at `offset` of the spec text, in the
/// layout of the TOML parser's errors (line, column, the line, carets).
fn at_source(source: &str, offset: usize, len: usize, message: &str) -> String {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_no = source[..offset].matches('\n').count() + 1;
    let column = source[line_start..offset].chars().count() + 1;
    let line_text = source[line_start..].lines().next().unwrap_or("");
    let width = source[offset..(offset + len).min(source.len())]
        .lines()
        .next()
        .map_or(1, |t| t.chars().count().max(1));
    let pad = " ".repeat(line_no.to_string().len());
    format!(
        "sweep error at line {line_no}, column {column}\n{pad} |\n{line_no} | {line_text}\n{pad} | {}{}\n{message}",
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}

/// Where an axis came from: the spec's `[sweep]` table or a `--set` argument.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    File,
    Set(&'a str),
}

/// An error about axis `key` (and, when given, one of its values), located
/// in the spec text when the axis came from the file.
fn axis_err(spec: &Spec, origin: Origin<'_>, key: &str, value: Option<&str>, msg: String) -> Error {
    let message = match origin {
        Origin::Set(arg) => format!("--set `{arg}`: {msg}"),
        Origin::File => match sweep_value_span(spec, key) {
            Some((off, len)) => {
                // Point at the value itself when it can be found in the array.
                let (off, len) = value
                    .and_then(|v| {
                        let quoted = format!("\"{v}\"");
                        spec.source[off..off + len]
                            .find(&quoted)
                            .map(|i| (off + i, quoted.len()))
                    })
                    .unwrap_or((off, len));
                at_source(&spec.source, off, len, &format!("sweep.{key}: {msg}"))
            }
            None => format!("sweep.{key}: {msg}"),
        },
    };
    sweep_err(spec, message)
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

/// Parses one `--set` value: a TOML value, or else a bare string.
fn parse_value(text: &str) -> toml::Value {
    let text = text.trim();
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_owned()))
}

/// A value as written in tables and folder listings.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn numeric(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

impl SweepPlan {
    /// The axes of the spec's `[sweep]` table.
    pub fn from_spec(spec: &Spec) -> Result<SweepPlan> {
        let mut flat = Vec::new();
        for (k, v) in &spec.config.sweep {
            flatten(k, v, &mut flat);
        }
        let mut plan = SweepPlan::default();
        for (key, v) in flat {
            let toml::Value::Array(values) = v else {
                return Err(axis_err(
                    spec,
                    Origin::File,
                    &key,
                    None,
                    "must be an array of values, e.g. [0, 10, 20]".into(),
                ));
            };
            plan.add(spec, Origin::File, key, values)?;
        }
        Ok(plan)
    }

    /// Adds `--set key=v1,v2,...` (or `key=[v1, v2]`), replacing an axis of the same key.
    pub fn set(&mut self, spec: &Spec, arg: &str) -> Result<()> {
        let Some((key, values)) = arg.split_once('=') else {
            return Err(sweep_err(
                spec,
                format!("--set `{arg}`: write KEY=V1,V2,... (e.g. costs.commission_bps=5,10,20)"),
            ));
        };
        let values = values.trim();
        let parsed: Vec<toml::Value> = if values.starts_with('[') {
            match parse_value(values) {
                toml::Value::Array(a) => a,
                _ => {
                    return Err(sweep_err(
                        spec,
                        format!("--set `{arg}`: `{values}` is not a TOML array"),
                    ))
                }
            }
        } else {
            values.split(',').map(parse_value).collect()
        };
        self.add(spec, Origin::Set(arg), key.trim().to_owned(), parsed)
    }

    fn add(
        &mut self,
        spec: &Spec,
        origin: Origin<'_>,
        key: String,
        values: Vec<toml::Value>,
    ) -> Result<()> {
        let scoring = SCORING.contains(&key.as_str());
        if !scoring
            && !REPLAYABLE
                .iter()
                .any(|p| key.starts_with(p) || key == p.trim_end_matches('.'))
        {
            return Err(axis_err(
                spec,
                origin,
                &key,
                None,
                format!(
                    "`{key}` cannot be swept: it would change the scores\n  fix: write one [models.<name>] table per setting and sweep `model = [\"name\", ...]`; a sweep varies `model`, `index`, and costs.*, execution.*, portfolio.*, initial_capital (replayed on each scoring)"
                ),
            ));
        }
        if values.is_empty() {
            return Err(axis_err(spec, origin, &key, None, "has no values".into()));
        }
        if scoring {
            let mut seen = Vec::new();
            for v in &values {
                let Some(name) = v.as_str() else {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        None,
                        format!(
                            "values must be names (strings), e.g. {key} = [\"a\", \"b\"]; got `{v}`"
                        ),
                    ));
                };
                if seen.contains(&name) {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        Some(name),
                        format!("`{name}` is listed twice; list each name once"),
                    ));
                }
                seen.push(name);
                if key == "model" && !spec.config.models.contains_key(name) {
                    let known: Vec<&str> = spec.config.models.keys().map(String::as_str).collect();
                    let fix = if known.is_empty() {
                        format!(
                            "this spec has no [models.<name>] tables; add one per name, e.g. [models.{name}] with kind = \"...\" and the model's settings (a full [model] table)"
                        )
                    } else {
                        format!(
                            "add a [models.{name}] table (a full [model] table) or use one of: {}",
                            known.join(", ")
                        )
                    };
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        Some(name),
                        format!("`{name}` is not a model of this spec\n  fix: {fix}"),
                    ));
                }
            }
        }
        match self.axes.iter_mut().find(|a| a.key == key) {
            Some(a) => a.values = values,
            None => self.axes.push(Axis { key, values }),
        }
        Ok(())
    }

    /// Checks the `index` axis against the bundle's indices (located in the spec text).
    pub fn check_market(&self, spec: &Spec, market: &Market) -> Result<()> {
        let Some(axis) = self.axes.iter().find(|a| a.key == "index") else {
            return Ok(());
        };
        for v in &axis.values {
            let name = v.as_str().unwrap_or_default();
            if !market.constituents.contains_key(name) {
                let known: Vec<&str> = market.constituents.keys().map(String::as_str).collect();
                let origin = if sweep_value_span(spec, "index").is_some() {
                    Origin::File
                } else {
                    Origin::Set("index=...")
                };
                return Err(axis_err(
                    spec,
                    origin,
                    "index",
                    Some(name),
                    format!(
                        "`{name}` is not an index of the bundle's constituents.csv\n  fix: use one of: {}",
                        if known.is_empty() {
                            "none — the bundle has no constituents.csv".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether a Table-1 view applies (the model and/or the index is swept).
    pub fn has_scoring_axes(&self) -> bool {
        self.axes.iter().any(|a| SCORING.contains(&a.key.as_str()))
    }

    /// The cartesian product of the axes, first axis slowest (one empty variant without axes).
    pub fn variants(&self) -> Vec<Vec<(String, toml::Value)>> {
        let mut out: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
        for a in &self.axes {
            let mut next = Vec::with_capacity(out.len() * a.values.len());
            for v in &out {
                for x in &a.values {
                    let mut w = v.clone();
                    w.push((a.key.clone(), x.clone()));
                    next.push(w);
                }
            }
            out = next;
        }
        out
    }
}

/// Scores by signal day, each `(symbol, score)` sorted by symbol.
pub type RecordedScores = BTreeMap<Date, Vec<(SymbolId, f64)>>;

/// Wraps a model and records every score it gives.
pub struct RecordingModel {
    inner: Box<dyn AlphaModel>,
    scores: Arc<Mutex<RecordedScores>>,
}

impl RecordingModel {
    /// Wraps `inner`; the scores land in `scores`.
    pub fn new(inner: Box<dyn AlphaModel>, scores: Arc<Mutex<RecordedScores>>) -> Self {
        RecordingModel { inner, scores }
    }
}

impl AlphaModel for RecordingModel {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.inner.fit(ctx)
    }
    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.inner.observe(ctx)
    }
    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        self.inner.wants_factors(day)
    }
    fn interpretation(&self) -> Option<crate::alpha::Interpretation> {
        self.inner.interpretation()
    }
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let s = self.inner.score(ctx, universe)?;
        let row: Vec<(SymbolId, f64)> = universe.iter().copied().zip(s.iter().copied()).collect();
        self.scores
            .lock()
            .expect("no panic while holding the lock")
            .insert(ctx.date(), row);
        Ok(s)
    }
}

/// Hands back recorded scores: no fit, no observe, no history read.
pub struct ReplayModel {
    name: String,
    scores: Arc<RecordedScores>,
}

impl ReplayModel {
    /// Replays `scores` under the recorded model's `name`.
    pub fn new(name: String, scores: Arc<RecordedScores>) -> Self {
        ReplayModel { name, scores }
    }
}

impl AlphaModel for ReplayModel {
    fn name(&self) -> &str {
        &self.name
    }
    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let date = ctx.date();
        let day = self.scores.get(&date).ok_or_else(|| {
            Error::Run(format!(
                "sweep replay: no recorded scores for {date} (the signal days changed between variants)"
            ))
        })?;
        Ok(universe
            .iter()
            .map(|s| {
                day.binary_search_by_key(s, |p| p.0)
                    .map_or(f64::NAN, |i| day[i].1)
            })
            .collect())
    }
}

/// A variant's swept values, in axis order.
pub type Params = Vec<(String, toml::Value)>;

/// One row of the comparison table.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantRow {
    pub name: String,
    pub params: Vec<(String, toml::Value)>,
    /// The model's name in the report (`ew`, `dmfm`, …).
    pub model: String,
    /// The universe index (`all` without one).
    pub index: String,
    /// First signal day (t0) and last day of the evaluation window.
    pub t0: Option<String>,
    pub end: String,
    pub rebalances: usize,
    pub annual_return: f64,
    pub alpha: f64,
    pub information_ratio: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
    pub ic_mean: f64,
    pub icir: f64,
    pub rank_ic_mean: f64,
    pub rank_icir: f64,
    pub turnover_annual: f64,
    pub cost_total: f64,
    pub cost_annual: f64,
    pub unfilled: usize,
}

impl VariantRow {
    fn from_report(name: String, params: Vec<(String, toml::Value)>, r: &Report) -> Self {
        let m = &r.metrics;
        VariantRow {
            name,
            params,
            model: r.run.model.clone(),
            index: r.conventions.universe.clone(),
            t0: r.window.t0.clone(),
            end: r.window.end.clone(),
            rebalances: r.window.rebalances,
            annual_return: m.portfolio.annual_return,
            alpha: m.excess.alpha,
            information_ratio: m.excess.information_ratio,
            sharpe: m.portfolio.sharpe,
            max_drawdown: m.portfolio.max_drawdown,
            ic_mean: m.ic.ic_mean,
            icir: m.ic.icir,
            rank_ic_mean: m.ic.rank_ic_mean,
            rank_icir: m.ic.rank_icir,
            turnover_annual: m.trading.turnover_annual,
            cost_total: m.trading.cost_total,
            cost_annual: m.trading.cost_annual,
            unfilled: m.trading.unfilled.values().sum(),
        }
    }

    /// The value of swept key `key`, as text.
    pub fn param(&self, key: &str) -> Option<String> {
        self.params
            .iter()
            .find(|p| p.0 == key)
            .map(|p| value_text(&p.1))
    }
}

/// Break-even along one axis for one combination of the other axes.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakEven {
    pub axis: String,
    /// The other axes' values.
    pub fixed: Vec<(String, toml::Value)>,
    /// Where alpha crosses zero (None: no sign change).
    pub value: Option<f64>,
    /// Alpha at the smallest and largest value of the axis.
    pub alpha_first: f64,
    pub alpha_last: f64,
}

/// A finished sweep.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub rows: Vec<VariantRow>,
    pub break_even: Vec<BreakEven>,
    /// The swept keys that change the scores (`model`, `index`), in axis order.
    pub scoring_keys: Vec<String>,
    /// Number of scorings (groups of variants that share the scores).
    pub scorings: usize,
    /// Wall time of each scoring run: (variant name, seconds). Not written to
    /// any file (it is not deterministic); the CLI prints it.
    pub scoring_seconds: Vec<(String, f64)>,
}

/// How a sweep runs and what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Worker threads for the scorings and the replays.
    pub jobs: usize,
    /// Write positions.csv in every variant folder (off by default: it is the
    /// largest file of a run, and a sweep is about the comparison).
    pub positions: bool,
}

/// A variant finished (the progress callback's argument).
#[derive(Debug, Clone)]
pub struct SweepEvent<'a> {
    /// Variants finished so far, of `total`.
    pub done: usize,
    pub total: usize,
    /// The variant that finished (`v001`, …) and its swept values.
    pub variant: &'a str,
    pub params: &'a [(String, toml::Value)],
    /// True for a scoring run (the model fitted and scored), false for a replay.
    pub scored: bool,
    pub seconds: f64,
}

/// What a scoring run leaves for its group's replays.
struct Scored {
    row: VariantRow,
    scores: Arc<RecordedScores>,
    ic: Vec<crate::engine::IcRecord>,
    interpretation: Option<crate::alpha::Interpretation>,
    model_name: String,
    symbols: Arc<Vec<bool>>,
    seconds: f64,
}

/// Runs `f` on every task on up to `jobs` threads; results come back in task
/// order (so output never depends on `jobs`). `done` is called on the calling
/// thread as each task finishes, in finishing order. `f` gets the task index.
fn run_parallel<T: Send, R: Send>(
    jobs: usize,
    tasks: Vec<T>,
    f: &(dyn Fn(usize, T) -> R + Sync),
    done: &mut dyn FnMut(usize, &R),
) -> Vec<R> {
    let n = tasks.len();
    let (tx, rx) = crossbeam_channel::unbounded::<(usize, T)>();
    for t in tasks.into_iter().enumerate() {
        tx.send(t).expect("the receiver is alive");
    }
    drop(tx);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<(usize, R)>();
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(n.max(1)) {
            let (rx, done_tx) = (rx.clone(), done_tx.clone());
            scope.spawn(move || {
                for (i, t) in rx {
                    if done_tx.send((i, f(i, t))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        for (i, r) in done_rx {
            done(i, &r);
            out[i] = Some(r);
        }
    });
    out.into_iter()
        .map(|r| r.expect("every task reported"))
        .collect()
}

/// The first error in task order (deterministic whatever finished first).
fn first_error<R>(results: Vec<Result<R>>, name: impl Fn(usize) -> String) -> Result<Vec<R>> {
    let mut out = Vec::with_capacity(results.len());
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(x) => out.push(x),
            Err(e) => return Err(Error::Run(format!("sweep variant {}: {e}", name(i)))),
        }
    }
    Ok(out)
}

/// The spec's `[models.<name>]` table, as TOML (the override of `model`).
fn model_table(spec: &Spec, name: &str) -> Result<toml::Value> {
    let table: toml::Table = spec
        .source
        .parse()
        .map_err(|e: toml::de::Error| sweep_err(spec, e.to_string()))?;
    table
        .get("models")
        .and_then(|m| m.get(name))
        .cloned()
        .ok_or_else(|| sweep_err(spec, format!("sweep.model: no [models.{name}] table")))
}

/// A variant's spec: `model = "name"` selects `[models.name]`; other keys
/// are set as they are.
pub fn variant_spec(spec: &Spec, params: &[(String, toml::Value)]) -> Result<Spec> {
    let overrides: Vec<(String, toml::Value)> = params
        .iter()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            ("model", Some(name)) => Ok((k.clone(), model_table(spec, name)?)),
            _ => Ok((k.clone(), v.clone())),
        })
        .collect::<Result<_>>()?;
    spec.with_overrides(&overrides)
}

/// A rough relative cost of scoring a variant, to start the longest first
/// (scheduling only: the output does not depend on it).
fn scoring_cost(spec: &Spec, market: &Market) -> u64 {
    use crate::spec::ModelConfig;
    let weight = match &spec.config.model {
        ModelConfig::Dmfm(_) => 8,
        ModelConfig::Mgat(_) => 6,
        ModelConfig::Mlp(_) => 3,
        ModelConfig::Linear(_) => 1,
        _ => 0,
    };
    let members = spec
        .config
        .index
        .as_ref()
        .and_then(|i| market.constituents.get(i))
        .map_or(market.n_symbols(), Vec::len) as u64;
    weight * members.max(1)
}

/// Runs every variant of `plan` on `market` and writes the folders and
/// tables under `out`. `progress` is called as each variant finishes.
pub fn run_sweep(
    spec: &Spec,
    market: &Market,
    plan: &SweepPlan,
    options: SweepOptions,
    out: &Path,
    progress: &(dyn Fn(&SweepEvent<'_>) + Sync),
) -> Result<SweepOutcome> {
    let jobs = options.jobs.max(1);
    plan.check_market(spec, market)?;
    let variants = plan.variants();
    let total = variants.len();
    // Every variant spec is parsed and checked before anything runs.
    let specs: Vec<Spec> = variants
        .iter()
        .map(|v| variant_spec(spec, v))
        .collect::<Result<_>>()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let name = |i: usize| format!("v{:03}", i + 1);
    // Scoring groups: variants with the same model and index values share the
    // scores; the first variant of each group scores, the others replay.
    let scoring_keys: Vec<String> = plan
        .axes
        .iter()
        .filter(|a| SCORING.contains(&a.key.as_str()))
        .map(|a| a.key.clone())
        .collect();
    let key_of = |v: &Params| -> Params {
        v.iter()
            .filter(|(k, _)| SCORING.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    let mut group_keys: Vec<Params> = Vec::new();
    let mut group_of = vec![0usize; total];
    let mut leaders: Vec<usize> = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let k = key_of(v);
        group_of[i] = match group_keys.iter().position(|g| *g == k) {
            Some(g) => g,
            None => {
                group_keys.push(k);
                leaders.push(i);
                leaders.len() - 1
            }
        };
    }
    // Models are built here, one after the other (a deep model sets candle's
    // process-wide thread count), then moved to the workers; the costliest
    // scorings start first.
    let mut scoring_tasks: Vec<(usize, Box<dyn AlphaModel>)> = Vec::with_capacity(leaders.len());
    for &i in &leaders {
        let model = build_model_with_factors(
            &specs[i].config.model,
            market,
            &crate::engine::factor_columns(&specs[i], market)?,
            specs[i].config.seed,
        )?;
        scoring_tasks.push((i, model));
    }
    scoring_tasks.sort_by_key(|(i, _)| (std::cmp::Reverse(scoring_cost(&specs[*i], market)), *i));
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let finished = |i: usize, scored: bool, seconds: f64| {
        let done = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        progress(&SweepEvent {
            done,
            total,
            variant: &name(i),
            params: &variants[i],
            scored,
            seconds,
        });
    };
    let score_one =
        |_: usize, (i, model): (usize, Box<dyn AlphaModel>)| -> (usize, Result<Scored>) {
            let started = std::time::Instant::now();
            let result = (|| -> Result<Scored> {
                let recorded = Arc::new(Mutex::new(RecordedScores::new()));
                let recorder = Box::new(RecordingModel::new(model, recorded.clone()));
                let mut quiet = |_: usize, _: usize| {};
                let records = run_with_options(
                    &specs[i],
                    market,
                    recorder,
                    RunOptions::default(),
                    &mut quiet,
                )?;
                let result = RunResult {
                    report: Report::build(&specs[i], market, &records),
                    records,
                    symbol_names: market.symbols.names().to_vec(),
                };
                result.write_parts(&out.join(name(i)), options.positions)?;
                let scores = std::mem::take(&mut *recorded.lock().expect("the recorder is done"));
                // Only symbols that were ever scored can ever be held: replays stream only those.
                let mut mask = vec![false; market.n_symbols()];
                for row in scores.values() {
                    for (s, _) in row {
                        mask[s.index()] = true;
                    }
                }
                Ok(Scored {
                    row: VariantRow::from_report(name(i), variants[i].clone(), &result.report),
                    scores: Arc::new(scores),
                    ic: result.records.ic.clone(),
                    interpretation: result.records.interpretation.clone(),
                    model_name: result.records.model_name.clone(),
                    symbols: Arc::new(mask),
                    seconds: started.elapsed().as_secs_f64(),
                })
            })();
            (i, result)
        };
    let scored = run_parallel(jobs, scoring_tasks, &score_one, &mut |_, (i, r)| {
        finished(*i, true, r.as_ref().map_or(0.0, |s| s.seconds));
    });
    let mut by_variant: Vec<(usize, Result<Scored>)> = scored;
    by_variant.sort_by_key(|(i, _)| *i);
    let scored: Vec<Scored> = first_error(by_variant.into_iter().map(|(_, r)| r).collect(), |g| {
        name(leaders[g])
    })?;
    // scored[g] is group g's scoring (leaders are in variant order, as are groups).
    let mut rows: Vec<Option<VariantRow>> = vec![None; total];
    for (g, s) in scored.iter().enumerate() {
        rows[leaders[g]] = Some(s.row.clone());
    }
    // The other variants replay their group's scores on `jobs` workers.
    let replays: Vec<usize> = (0..total).filter(|i| !leaders.contains(i)).collect();
    let replay_one = |_: usize, i: usize| -> Result<VariantRow> {
        let started = std::time::Instant::now();
        let s = &scored[group_of[i]];
        let model = Box::new(ReplayModel::new(s.model_name.clone(), s.scores.clone()));
        let mut quiet = |_: usize, _: usize| {};
        let mut records = run_with_options(
            &specs[i],
            market,
            model,
            RunOptions {
                evaluate_ic: false,
                lean_history: true,
                symbols: Some(s.symbols.clone()),
                record_positions: options.positions,
            },
            &mut quiet,
        )?;
        records.ic = s.ic.clone();
        records.interpretation = s.interpretation.clone();
        let result = RunResult {
            report: Report::build(&specs[i], market, &records),
            records,
            symbol_names: market.symbols.names().to_vec(),
        };
        result.write_parts(&out.join(name(i)), options.positions)?;
        let row = VariantRow::from_report(name(i), variants[i].clone(), &result.report);
        finished(i, false, started.elapsed().as_secs_f64());
        Ok(row)
    };
    let replayed = run_parallel(jobs, replays.clone(), &replay_one, &mut |_, _| {});
    let replayed = first_error(replayed, |k| name(replays[k]))?;
    for (k, row) in replayed.into_iter().enumerate() {
        rows[replays[k]] = Some(row);
    }
    let rows: Vec<VariantRow> = rows
        .into_iter()
        .map(|r| r.expect("every variant reported"))
        .collect();
    let outcome = SweepOutcome {
        break_even: break_even(plan, &rows),
        rows,
        scorings: leaders.len(),
        scoring_seconds: leaders
            .iter()
            .zip(&scored)
            .map(|(i, s)| (name(*i), s.seconds))
            .collect(),
        scoring_keys,
    };
    let put = |file: &str, text: String| -> Result<()> {
        let p = out.join(file);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    put("comparison.csv", outcome.comparison_csv())?;
    put("break_even.csv", outcome.break_even_csv())?;
    put("comparison.md", outcome.comparison_markdown(spec))?;
    if plan.has_scoring_axes() {
        put("table1.md", outcome.table1_markdown(spec))?;
        put("table1.csv", outcome.table1_csv())?;
    }
    // report.html of the sweep: the first variant's report plus the comparison
    // of all variants (alpha and IR against cost, break-even, the table).
    let mut view = crate::html::RunView::from_dir(&out.join(name(0)))?;
    view.report["sweep"] = outcome.sweep_json();
    put("report.html", crate::html::render(&view)?)?;
    Ok(outcome)
}

/// The x position of a variant in the sweep page: the sum of its swept
/// `costs.*_bps` values (commission + slippage per side, say).
fn cost_bps_of(params: &[(String, toml::Value)]) -> f64 {
    params
        .iter()
        .filter(|(k, _)| k.starts_with("costs.") && k.ends_with("_bps"))
        .filter_map(|(_, v)| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .sum()
}

/// Break-even values along every numeric axis (see the module docs).
pub fn break_even(plan: &SweepPlan, rows: &[VariantRow]) -> Vec<BreakEven> {
    let mut out = Vec::new();
    for (ai, axis) in plan.axes.iter().enumerate() {
        if axis.values.len() < 2 || !axis.values.iter().all(|v| numeric(v).is_some()) {
            continue;
        }
        // Group rows by the other axes' values (in first-seen order).
        let mut groups: Vec<(Params, Vec<(f64, f64)>)> = Vec::new();
        for r in rows {
            let fixed: Vec<(String, toml::Value)> = r
                .params
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != ai)
                .map(|(_, p)| p.clone())
                .collect();
            let x = numeric(&r.params[ai].1).expect("checked numeric");
            match groups.iter_mut().find(|g| g.0 == fixed) {
                Some(g) => g.1.push((x, r.alpha)),
                None => groups.push((fixed, vec![(x, r.alpha)])),
            }
        }
        for (fixed, mut pts) in groups {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut value = None;
            for w in pts.windows(2) {
                let ((x0, a0), (x1, a1)) = (w[0], w[1]);
                if a0 == 0.0 {
                    value = Some(x0);
                    break;
                }
                if a0.signum() != a1.signum() && a1.is_finite() && a0.is_finite() {
                    value = Some(if a1 == 0.0 {
                        x1
                    } else {
                        x0 + (0.0 - a0) * (x1 - x0) / (a1 - a0)
                    });
                    break;
                }
            }
            if value.is_none() && pts.last().is_some_and(|p| p.1 == 0.0) {
                value = pts.last().map(|p| p.0);
            }
            out.push(BreakEven {
                axis: axis.key.clone(),
                fixed,
                value,
                alpha_first: pts.first().map_or(f64::NAN, |p| p.1),
                alpha_last: pts.last().map_or(f64::NAN, |p| p.1),
            });
        }
    }
    out
}

/// The row label of a variant in Table 1: its `model` axis value (the
/// `[models.<name>]` name), else the model's own name.
/// One Table-1 table: the values of the other axes, the models (rows) and
/// indices (column groups) in sweep order, and the variants.
struct Table1Group<'a> {
    other: Params,
    models: Vec<String>,
    indices: Vec<String>,
    rows: Vec<&'a VariantRow>,
}

fn table1_model(r: &VariantRow) -> String {
    r.param("model").unwrap_or_else(|| r.model.clone())
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "n/a".to_owned()
    }
}

fn fixed3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".to_owned()
    }
}

fn fixed_text(fixed: &[(String, toml::Value)]) -> String {
    if fixed.is_empty() {
        return "-".to_owned();
    }
    fixed
        .iter()
        .map(|(k, v)| format!("{k}={}", value_text(v)))
        .collect::<Vec<_>>()
        .join("; ")
}

const METRIC_COLUMNS: [&str; 9] = [
    "annual_return",
    "alpha",
    "information_ratio",
    "sharpe",
    "max_drawdown",
    "turnover_annual",
    "cost_total",
    "cost_annual",
    "unfilled",
];

impl VariantRow {
    fn metric_cells(&self) -> Vec<String> {
        vec![
            crate::report::fmt6(self.annual_return),
            crate::report::fmt6(self.alpha),
            crate::report::fmt6(self.information_ratio),
            crate::report::fmt6(self.sharpe),
            crate::report::fmt6(self.max_drawdown),
            crate::report::fmt6(self.turnover_annual),
            format!("{:.2}", self.cost_total),
            crate::report::fmt6(self.cost_annual),
            self.unfilled.to_string(),
        ]
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl SweepOutcome {
    fn keys(&self) -> Vec<String> {
        self.rows
            .first()
            .map(|r| r.params.iter().map(|p| p.0.clone()).collect())
            .unwrap_or_default()
    }

    /// The `sweep` object report.html reads (docs/report.md): one entry per
    /// variant with its cost position (Σ swept `costs.*_bps`), grouped by the
    /// values of the other axes; the break-even is the first one found along
    /// the first axis, shifted by the other swept bps at their first values.
    pub fn sweep_json(&self) -> serde_json::Value {
        let variants: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let group: Vec<String> = r
                    .params
                    .iter()
                    .skip(1)
                    .map(|(k, v)| format!("{k}={}", value_text(v)))
                    .collect();
                let parameters: serde_json::Map<String, serde_json::Value> = r
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(value_text(v))))
                    .collect();
                serde_json::json!({
                    "name": r.name,
                    "group": if group.is_empty() { "all".to_owned() } else { group.join(", ") },
                    "parameters": parameters,
                    "cost_bps": cost_bps_of(&r.params),
                    "annual_return": r.annual_return,
                    "alpha": r.alpha,
                    "information_ratio": r.information_ratio,
                    "sharpe": r.sharpe,
                    "max_drawdown": r.max_drawdown,
                    "turnover_annual": r.turnover_annual,
                    "cost_total": r.cost_total,
                })
            })
            .collect();
        let break_even = self
            .break_even
            .iter()
            .find_map(|b| b.value.map(|v| v + cost_bps_of(&b.fixed)));
        let mut out = serde_json::json!({
            "x_label": "swept costs per side, summed (bps)",
            "variants": variants,
        });
        if let Some(v) = break_even {
            out["break_even_cost_bps"] = serde_json::json!(v);
        }
        out
    }

    /// `comparison.csv`: variant, one column per swept key, then the metrics.
    pub fn comparison_csv(&self) -> String {
        let mut s = String::from("variant");
        for k in self.keys() {
            s.push(',');
            s.push_str(&csv_cell(&k));
        }
        for m in METRIC_COLUMNS {
            s.push(',');
            s.push_str(m);
        }
        s.push('\n');
        for r in &self.rows {
            s.push_str(&r.name);
            for (_, v) in &r.params {
                s.push(',');
                s.push_str(&csv_cell(&value_text(v)));
            }
            for c in r.metric_cells() {
                s.push(',');
                s.push_str(&c);
            }
            s.push('\n');
        }
        s
    }

    /// `break_even.csv`: axis, the other axes' values, the break-even value (empty: none).
    pub fn break_even_csv(&self) -> String {
        let mut s = String::from("axis,fixed,break_even,alpha_at_min,alpha_at_max\n");
        for b in &self.break_even {
            let _ = writeln!(
                s,
                "{},{},{},{},{}",
                csv_cell(&b.axis),
                csv_cell(&fixed_text(&b.fixed)),
                b.value.map(crate::report::fmt6).unwrap_or_default(),
                crate::report::fmt6(b.alpha_first),
                crate::report::fmt6(b.alpha_last)
            );
        }
        s
    }

    /// `comparison.md`: the table and the break-even lines.
    pub fn comparison_markdown(&self, spec: &Spec) -> String {
        let mut s = String::new();
        let scorings = if self.scorings <= 1 {
            "one scoring".to_owned()
        } else {
            format!("{} scorings", self.scorings)
        };
        let _ = writeln!(
            s,
            "# Sweep: {} ({} variants, {scorings})\n",
            spec.config.name.as_deref().unwrap_or("run"),
            self.rows.len()
        );
        let keys = self.keys();
        let mut header = vec!["variant".to_owned()];
        header.extend(keys.iter().cloned());
        header.extend(METRIC_COLUMNS.iter().map(|m| (*m).to_owned()));
        let _ = writeln!(s, "| {} |", header.join(" | "));
        let _ = writeln!(
            s,
            "|{}",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
                .collect::<String>()
        );
        for r in &self.rows {
            let mut cells = vec![r.name.clone()];
            cells.extend(r.params.iter().map(|p| value_text(&p.1)));
            cells.extend(r.metric_cells());
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Break-even: where alpha (annualised mean daily active return) crosses zero along an axis, linearly interpolated between neighbouring variants, the other axes held at the values shown.\n"
        );
        if self.break_even.is_empty() {
            let _ = writeln!(s, "(no numeric axis with two or more values)");
        }
        for b in &self.break_even {
            let what = match b.value {
                Some(v) => format!("**{}**", crate::report::fmt6(v)),
                None if b.alpha_first > 0.0 && b.alpha_last > 0.0 => {
                    "none in range (alpha > 0 throughout)".to_owned()
                }
                None => "none in range (alpha ≤ 0 throughout)".to_owned(),
            };
            let _ = writeln!(
                s,
                "- along `{}` ({}): {} (alpha {} → {})",
                b.axis,
                fixed_text(&b.fixed),
                what,
                crate::report::fmt6(b.alpha_first),
                crate::report::fmt6(b.alpha_last)
            );
        }
        s
    }

    /// The rows of a Table-1 view, grouped: for each combination of the
    /// replayed axes (costs, …) in first-seen order, the models (rows, in
    /// sweep order) × indices (column groups, in sweep order).
    fn table1_groups(&self) -> Vec<Table1Group<'_>> {
        let mut groups: Vec<Table1Group<'_>> = Vec::new();
        for r in &self.rows {
            let other: Params = r
                .params
                .iter()
                .filter(|(k, _)| !SCORING.contains(&k.as_str()))
                .cloned()
                .collect();
            let g = match groups.iter().position(|g| g.other == other) {
                Some(g) => g,
                None => {
                    groups.push(Table1Group {
                        other,
                        models: Vec::new(),
                        indices: Vec::new(),
                        rows: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let (model, index) = (table1_model(r), r.index.clone());
            let grp = &mut groups[g];
            if !grp.models.contains(&model) {
                grp.models.push(model);
            }
            if !grp.indices.contains(&index) {
                grp.indices.push(index);
            }
            grp.rows.push(r);
        }
        groups
    }

    /// `table1.md`: the paper's Table 1 layout — one row per model (sweep
    /// order), per index α (annualised mean daily active return against the
    /// index), ICIR (of the per-signal-day Pearson IC), IR and Sharpe; then
    /// each index's test period. No timings (they go to stdout only).
    pub fn table1_markdown(&self, spec: &Spec) -> String {
        let c = &spec.config;
        let mut s = String::new();
        let groups = self.table1_groups();
        let (n_models, n_indices) = groups
            .first()
            .map_or((0, 0), |g| (g.models.len(), g.indices.len()));
        let _ = writeln!(
            s,
            "# Table 1: {} ({n_models} model{} × {n_indices} {})\n",
            c.name.as_deref().unwrap_or("run"),
            if n_models == 1 { "" } else { "s" },
            if n_indices == 1 { "index" } else { "indices" },
        );
        let _ = writeln!(
            s,
            "α = mean(daily portfolio return − benchmark return) × {n}, the benchmark being the index; IR = α / tracking error; Sharpe of the portfolio (rf {rf}); ICIR = mean/std of the {h}-day-forward Pearson IC over the signal days (not annualised). {rebalance} top {frac} equal weight, fill {fill}, costs: {costs}.\n",
            n = c.annualisation,
            rf = c.risk_free_rate,
            h = c.ic_horizon,
            rebalance = match c.schedule.rebalance {
                crate::spec::Rebalance::Monthly => "Monthly",
                crate::spec::Rebalance::Weekly => "Weekly",
                crate::spec::Rebalance::EveryNDays => "Every-n-days",
            },
            frac = c.portfolio.top_fraction,
            fill = match c.execution.fill {
                crate::spec::Fill::NextOpen => "next open",
                crate::spec::Fill::Close => "same close",
            },
            costs = crate::costs::CostModel::describe(&c.cost_settings().build()),
        );
        for Table1Group {
            other,
            models,
            indices,
            rows,
        } in groups
        {
            if !other.is_empty() {
                let _ = writeln!(s, "## {}\n", fixed_text(&other));
            }
            let mut header = vec!["model".to_owned()];
            for ix in &indices {
                for m in ["α", "ICIR", "IR", "Sharpe"] {
                    header.push(format!("{ix} {m}"));
                }
            }
            let _ = writeln!(s, "| {} |", header.join(" | "));
            let _ = writeln!(s, "|---|{}", "---:|".repeat(header.len() - 1));
            for m in &models {
                let mut cells = vec![m.clone()];
                for ix in &indices {
                    match rows
                        .iter()
                        .find(|r| table1_model(r) == *m && r.index == *ix)
                    {
                        Some(r) => {
                            cells.push(pct(r.alpha));
                            cells.push(fixed3(r.icir));
                            cells.push(fixed3(r.information_ratio));
                            cells.push(fixed3(r.sharpe));
                        }
                        None => cells.extend(std::iter::repeat_n("-".to_owned(), 4)),
                    }
                }
                let _ = writeln!(s, "| {} |", cells.join(" | "));
            }
            let _ = writeln!(
                s,
                "\nTest period (first signal day t0 .. last day, rebalances):\n"
            );
            for ix in &indices {
                let mut periods: Vec<String> = Vec::new();
                for r in rows.iter().filter(|r| r.index == *ix) {
                    let p = format!(
                        "{} .. {} ({} rebalances)",
                        r.t0.as_deref().unwrap_or("no signal day"),
                        r.end,
                        r.rebalances
                    );
                    if !periods.contains(&p) {
                        periods.push(p);
                    }
                }
                let _ = writeln!(s, "- {ix}: {}", periods.join("; "));
            }
            let _ = writeln!(s);
        }
        s
    }

    /// `table1.csv`: one line per variant with the Table-1 metrics at full precision.
    pub fn table1_csv(&self) -> String {
        let mut s = String::from("variant");
        for k in self.keys() {
            s.push(',');
            s.push_str(&csv_cell(&k));
        }
        s.push_str(",model,index,t0,end,rebalances,alpha,icir,information_ratio,sharpe,ic_mean,rank_ic_mean,rank_icir,annual_return,max_drawdown,turnover_annual\n");
        for r in &self.rows {
            s.push_str(&r.name);
            for (_, v) in &r.params {
                s.push(',');
                s.push_str(&csv_cell(&value_text(v)));
            }
            let f = crate::report::fmt6;
            let _ = writeln!(
                s,
                ",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_cell(&table1_model(r)),
                csv_cell(&r.index),
                r.t0.as_deref().unwrap_or(""),
                r.end,
                r.rebalances,
                f(r.alpha),
                f(r.icir),
                f(r.information_ratio),
                f(r.sharpe),
                f(r.ic_mean),
                f(r.rank_ic_mean),
                f(r.rank_icir),
                f(r.annual_return),
                f(r.max_drawdown),
                f(r.turnover_annual)
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(params: Vec<(&str, f64)>, alpha: f64) -> VariantRow {
        VariantRow {
            name: String::new(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_owned(), toml::Value::Float(v)))
                .collect(),
            model: "ew".into(),
            index: "all".into(),
            t0: None,
            end: String::new(),
            rebalances: 0,
            ic_mean: 0.0,
            icir: 0.0,
            rank_ic_mean: 0.0,
            rank_icir: 0.0,
            annual_return: 0.0,
            alpha,
            information_ratio: 0.0,
            sharpe: 0.0,
            max_drawdown: 0.0,
            turnover_annual: 0.0,
            cost_total: 0.0,
            cost_annual: 0.0,
            unfilled: 0,
        }
    }

    #[test]
    fn test_break_even_interpolates_between_the_sign_change() {
        // alpha 0.03, 0.01, -0.01 at commission 0, 10, 20: crosses at 15.
        let plan = SweepPlan {
            axes: vec![Axis {
                key: "costs.commission_bps".into(),
                values: vec![0.0.into(), 10.0.into(), 20.0.into()],
            }],
        };
        let rows = vec![
            row(vec![("costs.commission_bps", 0.0)], 0.03),
            row(vec![("costs.commission_bps", 10.0)], 0.01),
            row(vec![("costs.commission_bps", 20.0)], -0.01),
        ];
        let b = break_even(&plan, &rows);
        assert_eq!(b.len(), 1);
        assert!((b[0].value.unwrap() - 15.0).abs() < 1e-12);
    }

    #[test]
    fn test_variants_cartesian_first_axis_slowest() {
        let plan = SweepPlan {
            axes: vec![
                Axis {
                    key: "a".into(),
                    values: vec![1.into(), 2.into()],
                },
                Axis {
                    key: "b".into(),
                    values: vec!["x".into(), "y".into(), "z".into()],
                },
            ],
        };
        let v = plan.variants();
        assert_eq!(v.len(), 6);
        assert_eq!(value_text(&v[1][1].1), "y");
        assert_eq!(value_text(&v[3][0].1), "2");
    }

    #[test]
    fn test_parse_value_numbers_and_bare_strings() {
        assert_eq!(parse_value("5"), toml::Value::Integer(5));
        assert_eq!(parse_value("2.5"), toml::Value::Float(2.5));
        assert_eq!(parse_value("cn"), toml::Value::String("cn".into()));
        assert_eq!(parse_value("true"), toml::Value::Boolean(true));
    }
}
