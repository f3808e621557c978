//! Sweeps: many cost and execution variants of one spec, on one scoring.
//!
//! Axes come from the spec's `[sweep]` table (dotted keys, or nested tables
//! such as `[sweep.costs]`, each an array of values) and from `--set
//! key=v1,v2,...` on the command line (which replaces an axis of the same
//! key). The variants are the cartesian product, first axis slowest.
//!
//! Only what does not change the scores may vary: `costs.*`, `execution.*`,
//! `portfolio.*` and `initial_capital`. The alpha model is then fit and
//! scored **once**: the first variant runs the spec's model in full, with a
//! recorder that keeps every signal day's scores; every other variant replays
//! the engine with a [`ReplayModel`] that hands those scores back (no fit, no
//! observe) and without re-evaluating the IC (it is the same; it is copied
//! from the first run), keeping two days of closes instead of the whole
//! matrix, and — when the benchmark comes from index levels — streaming only
//! the bars of symbols that were ever scored (nothing else can be held). The market is loaded once and shared read-only. The
//! replays run on `jobs` worker threads fed by a crossbeam channel.
//!
//! Output: one run folder per variant (`v001`, `v002`, … in product order;
//! positions.csv only with `--positions`),
//! `comparison.md` and `comparison.csv` (the variant's parameters and
//! headline metrics) and the break-even table (`break_even.csv`, also in the
//! markdown): along each numeric axis, for each combination of the other
//! axes, the value where alpha crosses zero, linearly interpolated between
//! the two neighbouring variants whose alphas have opposite signs.
//!
//! Determinism: every variant is a pure function of (spec, overrides,
//! market, recorded scores), rows are ordered by variant index and written
//! with fixed formats, so the comparison is byte-identical for any `jobs`.

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

/// Keys a sweep may vary (prefixes): they act after scoring.
pub const REPLAYABLE: [&str; 4] = ["costs.", "execution.", "portfolio.", "initial_capital"];

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
                return Err(sweep_err(
                    spec,
                    format!("sweep.{key} must be an array of values, e.g. [0, 10, 20]"),
                ));
            };
            plan.add(spec, key, values)?;
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
        self.add(spec, key.trim().to_owned(), parsed)
    }

    fn add(&mut self, spec: &Spec, key: String, values: Vec<toml::Value>) -> Result<()> {
        if !REPLAYABLE
            .iter()
            .any(|p| key.starts_with(p) || key == p.trim_end_matches('.'))
        {
            return Err(sweep_err(
                spec,
                format!(
                    "sweep key `{key}` would change the scores; a sweep replays one scoring, so only costs.*, execution.*, portfolio.* and initial_capital may vary (run separate backtests for model or schedule variants)"
                ),
            ));
        }
        if values.is_empty() {
            return Err(sweep_err(spec, format!("sweep key `{key}` has no values")));
        }
        match self.axes.iter_mut().find(|a| a.key == key) {
            Some(a) => a.values = values,
            None => self.axes.push(Axis { key, values }),
        }
        Ok(())
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
    pub annual_return: f64,
    pub alpha: f64,
    pub information_ratio: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
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
            annual_return: m.portfolio.annual_return,
            alpha: m.excess.alpha,
            information_ratio: m.excess.information_ratio,
            sharpe: m.portfolio.sharpe,
            max_drawdown: m.portfolio.max_drawdown,
            turnover_annual: m.trading.turnover_annual,
            cost_total: m.trading.cost_total,
            cost_annual: m.trading.cost_annual,
            unfilled: m.trading.unfilled.values().sum(),
        }
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
}

/// How a sweep runs and what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Worker threads for the replays.
    pub jobs: usize,
    /// Write positions.csv in every variant folder (off by default: it is the
    /// largest file of a run, and a sweep is about the comparison).
    pub positions: bool,
}

/// Runs every variant of `plan` on `market` and writes the folders and
/// tables under `out`. `progress` is called with the number of variants done.
pub fn run_sweep(
    spec: &Spec,
    market: &Market,
    plan: &SweepPlan,
    options: SweepOptions,
    out: &Path,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SweepOutcome> {
    let jobs = options.jobs;
    let variants = plan.variants();
    // Every variant spec is parsed and checked before anything runs.
    let specs: Vec<Spec> = variants
        .iter()
        .map(|v| spec.with_overrides(v))
        .collect::<Result<_>>()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let name = |i: usize| format!("v{:03}", i + 1);
    // The first variant scores the model (and records the scores).
    let recorded = Arc::new(Mutex::new(RecordedScores::new()));
    let model = build_model_with_factors(
        &specs[0].config.model,
        market,
        &crate::engine::factor_columns(&specs[0], market)?,
        specs[0].config.seed,
    )?;
    let recorder = Box::new(RecordingModel::new(model, recorded.clone()));
    let mut quiet = |_: usize, _: usize| {};
    let first_records = run_with_options(
        &specs[0],
        market,
        recorder,
        RunOptions::default(),
        &mut quiet,
    )?;
    let first = RunResult {
        report: Report::build(&specs[0], market, &first_records),
        records: first_records,
        symbol_names: market.symbols.names().to_vec(),
    };
    first.write_parts(&out.join(name(0)), options.positions)?;
    let mut rows: Vec<Option<VariantRow>> = vec![None; specs.len()];
    rows[0] = Some(VariantRow::from_report(
        name(0),
        variants[0].clone(),
        &first.report,
    ));
    progress(1);
    let scores = Arc::new(std::mem::take(
        &mut *recorded.lock().expect("the recorder is done"),
    ));
    let ic = first.records.ic.clone();
    // Only symbols that were ever scored can ever be held: replays stream only those.
    let mut mask = vec![false; market.n_symbols()];
    for row in scores.values() {
        for (s, _) in row {
            mask[s.index()] = true;
        }
    }
    let symbols = Arc::new(mask);
    let model_name = first.records.model_name.clone();
    drop(first);
    // The other variants replay on `jobs` workers.
    let (tx, rx) = crossbeam_channel::unbounded::<usize>();
    for i in 1..specs.len() {
        tx.send(i).expect("the receiver is alive");
    }
    drop(tx);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<(usize, Result<VariantRow>)>();
    let workers = jobs.max(1).min(specs.len().saturating_sub(1).max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (rx, done_tx) = (rx.clone(), done_tx.clone());
            let (specs, variants, scores, ic, model_name, symbols) =
                (&specs, &variants, &scores, &ic, &model_name, &symbols);
            scope.spawn(move || {
                for i in rx {
                    let result = (|| -> Result<VariantRow> {
                        let model = Box::new(ReplayModel::new(model_name.clone(), scores.clone()));
                        let mut quiet = |_: usize, _: usize| {};
                        let mut records = run_with_options(
                            &specs[i],
                            market,
                            model,
                            RunOptions {
                                evaluate_ic: false,
                                lean_history: true,
                                symbols: Some(symbols.clone()),
                                record_positions: options.positions,
                            },
                            &mut quiet,
                        )?;
                        records.ic = ic.clone();
                        let result = RunResult {
                            report: Report::build(&specs[i], market, &records),
                            records,
                            symbol_names: market.symbols.names().to_vec(),
                        };
                        result.write_parts(&out.join(name(i)), options.positions)?;
                        Ok(VariantRow::from_report(
                            name(i),
                            variants[i].clone(),
                            &result.report,
                        ))
                    })();
                    if done_tx.send((i, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut done = 1;
        let mut first_error = None;
        for (i, r) in done_rx {
            done += 1;
            progress(done);
            match r {
                Ok(row) => rows[i] = Some(row),
                Err(e) => {
                    first_error.get_or_insert((i, e));
                }
            }
        }
        match first_error {
            Some((i, e)) => Err(Error::Run(format!("sweep variant {}: {e}", name(i)))),
            None => Ok(()),
        }
    })?;
    let rows: Vec<VariantRow> = rows
        .into_iter()
        .map(|r| r.expect("every variant reported"))
        .collect();
    let outcome = SweepOutcome {
        break_even: break_even(plan, &rows),
        rows,
    };
    let put = |file: &str, text: String| -> Result<()> {
        let p = out.join(file);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    put("comparison.csv", outcome.comparison_csv())?;
    put("break_even.csv", outcome.break_even_csv())?;
    put("comparison.md", outcome.comparison_markdown(spec))?;
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
        let _ = writeln!(
            s,
            "# Sweep: {} ({} variants, one scoring)\n",
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
