//! Running a sweep: one scoring per group on `jobs` workers, replays of the
//! other variants, every variant's run folder and the comparison files; a
//! failed variant is recorded and the others go on.

use super::break_even::break_even;
use super::outcome::{params_text, SweepOutcome, VariantFailure, VariantRow};
use super::plan::{variant_spec, Params, SweepPlan, SCORING};
use super::replay::{RecordingModel, ReplayModel};
use crate::alpha::{build_model_with_factors, AlphaModel};
use crate::data::{Market, ScoreTable};
use crate::engine::{run_with_options, RunOptions};
use crate::report::{Report, RunResult};
use crate::run_folder::PartialDir;
use crate::spec::Spec;
use crate::{Error, Result};
use std::path::Path;
use std::sync::{Arc, Mutex};

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
    /// True when the variant failed (its error is in [`SweepOutcome::failures`]).
    pub failed: bool,
    pub seconds: f64,
}

/// What a scoring run leaves for its group's replays.
struct Scored {
    row: VariantRow,
    scores: Arc<ScoreTable>,
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

/// A rough relative cost of scoring a variant, to start the longest first
/// and to balance shards (scheduling only: the output does not depend on
/// it). The model weights follow the per-scoring wall times of the Table-1
/// sweep (docs/table1.md: ew ≈ 2 s, linear ≈ 5 s, mlp ≈ 16–32 s, mgat ≈
/// 38–89 s, dmfm ≈ 80–180 s), times the members of the universe.
pub(super) fn scoring_cost(spec: &Spec, market: &Market) -> u64 {
    use crate::spec::ModelConfig;
    let weight = match &spec.config.model {
        ModelConfig::Dmfm(_) | ModelConfig::E2eai(_) => 60,
        ModelConfig::Gru(_) | ModelConfig::Alstm(_) => 60,
        ModelConfig::Mgat(_) => 30,
        ModelConfig::Mlp(_) => 10,
        ModelConfig::Gbdt(_) => 4,
        ModelConfig::Linear(_) => 2,
        _ => 1,
    };
    weight * members(spec, market)
}

/// The number of membership spells of the variant's index (all symbols without one).
pub(super) fn members(spec: &Spec, market: &Market) -> u64 {
    let n = spec
        .config
        .index
        .as_ref()
        .and_then(|i| market.constituents.get(i))
        .map_or(market.n_symbols(), Vec::len);
    n.max(1) as u64
}

/// A sweep checked and expanded, before anything runs: the variants, their
/// specs and the scoring groups ([`SweepPlan::scoring_groups`]).
pub(super) struct Prepared {
    pub variants: Vec<Params>,
    pub specs: Vec<Spec>,
    pub groups: Vec<Vec<usize>>,
}

impl Prepared {
    /// Checks the plan against the market and parses every variant's spec
    /// (all of them, also for a shard: a bad variant is an error everywhere).
    pub fn new(spec: &Spec, market: &Market, plan: &SweepPlan) -> Result<Prepared> {
        plan.check_market(spec, market)?;
        let variants = plan.variants();
        let specs: Vec<Spec> = variants
            .iter()
            .map(|v| variant_spec(spec, v))
            .collect::<Result<_>>()?;
        let groups = plan.scoring_groups(|i| specs[i].config.model.uses_spec_seed());
        Ok(Prepared {
            variants,
            specs,
            groups,
        })
    }
}

/// A variant's folder name: `v001`, `v002`, … (`i` is 0-based).
pub(super) fn variant_name(i: usize) -> String {
    format!("v{:03}", i + 1)
}

/// What running some scoring groups left.
pub(super) struct Executed {
    /// (variant index, its row or its error), in variant order.
    pub results: Vec<(usize, std::result::Result<VariantRow, String>)>,
    /// Wall time of each scoring that succeeded: (variant name, seconds).
    pub scoring_seconds: Vec<(String, f64)>,
}

/// Runs the variants of the scoring groups `selected` (indices into
/// `p.groups`, ascending) and writes their run folders under `dir`. A
/// variant that fails is an `Err` among the results, never an error.
pub(super) fn execute(
    p: &Prepared,
    market: &Market,
    options: SweepOptions,
    dir: &Path,
    selected: &[usize],
    progress: &(dyn Fn(&SweepEvent<'_>) + Sync),
) -> Executed {
    let jobs = options.jobs.max(1);
    let (variants, specs) = (&p.variants, &p.specs);
    let name = variant_name;
    let total: usize = selected.iter().map(|&g| p.groups[g].len()).sum();
    // The first variant of each group scores, the others replay its scores;
    // `group_of[i]` is the position in `selected` of variant i's group.
    let leaders: Vec<usize> = selected.iter().map(|&g| p.groups[g][0]).collect();
    let mut group_of = vec![usize::MAX; variants.len()];
    for (k, &g) in selected.iter().enumerate() {
        for &i in &p.groups[g] {
            group_of[i] = k;
        }
    }
    let mine: Vec<usize> = (0..variants.len())
        .filter(|&i| group_of[i] != usize::MAX)
        .collect();
    // Models are built here, one after the other (a deep model sets candle's
    // process-wide thread count), then moved to the workers; the costliest
    // scorings start first. A model that cannot be built fails its scoring.
    let mut scoring_tasks: Vec<(usize, Result<Box<dyn AlphaModel>>)> =
        Vec::with_capacity(leaders.len());
    for &i in &leaders {
        let model = crate::engine::run_factor_names(&specs[i], market).and_then(|factors| {
            build_model_with_factors(
                &specs[i].config.model,
                market,
                &factors,
                specs[i].config.seed,
            )
        });
        scoring_tasks.push((i, model));
    }
    scoring_tasks.sort_by_key(|(i, _)| (std::cmp::Reverse(scoring_cost(&specs[*i], market)), *i));
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let finished = |i: usize, scored: bool, failed: bool, seconds: f64| {
        let done = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        progress(&SweepEvent {
            done,
            total,
            variant: &name(i),
            params: &variants[i],
            scored,
            failed,
            seconds,
        });
    };
    let score_one =
        |_: usize, (i, model): (usize, Result<Box<dyn AlphaModel>>)| -> (usize, Result<Scored>) {
            let started = std::time::Instant::now();
            let result = (|| -> Result<Scored> {
                let recorded = Arc::new(Mutex::new(ScoreTable::default()));
                let recorder = Box::new(RecordingModel::new(model?, recorded.clone()));
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
                result.write_parts(&dir.join(name(i)), options.positions)?;
                let scores = std::mem::take(&mut *recorded.lock().expect("the recorder is done"));
                // Only symbols that were ever scored can ever be held: replays stream only those.
                let mut mask = vec![false; market.n_symbols()];
                for row in scores.by_date.values() {
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
    let mut scored = run_parallel(jobs, scoring_tasks, &score_one, &mut |_, (i, r)| {
        finished(*i, true, r.is_err(), r.as_ref().map_or(0.0, |s| s.seconds));
    });
    // scored[k] is the scoring of the k-th selected group (leaders are in
    // variant order, as are the groups).
    scored.sort_by_key(|(i, _)| *i);
    let scored: Vec<Result<Scored>> = scored.into_iter().map(|(_, r)| r).collect();
    let mut results: Vec<Option<std::result::Result<VariantRow, String>>> =
        vec![None; variants.len()];
    for (g, s) in scored.iter().enumerate() {
        results[leaders[g]] = Some(s.as_ref().map(|s| s.row.clone()).map_err(|e| e.to_string()));
    }
    // The other variants replay their group's scores on `jobs` workers; those
    // of a failed scoring fail without running.
    let mut replays: Vec<usize> = Vec::new();
    for &i in mine.iter().filter(|i| !leaders.contains(i)) {
        let leader = leaders[group_of[i]];
        if scored[group_of[i]].is_ok() {
            replays.push(i);
        } else {
            results[i] = Some(Err(format!(
                "not run: its scores come from variant {} ({}), which failed",
                name(leader),
                params_text(&variants[leader])
            )));
            finished(i, false, true, 0.0);
        }
    }
    let replay_one = |_: usize, i: usize| -> Result<VariantRow> {
        let started = std::time::Instant::now();
        let s = scored[group_of[i]]
            .as_ref()
            .expect("only the groups that scored replay");
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
                allow_no_signal_day: false,
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
        result.write_parts(&dir.join(name(i)), options.positions)?;
        let row = VariantRow::from_report(name(i), variants[i].clone(), &result.report);
        finished(i, false, false, started.elapsed().as_secs_f64());
        Ok(row)
    };
    let replayed = run_parallel(jobs, replays.clone(), &replay_one, &mut |k, r| {
        if r.is_err() {
            finished(replays[k], false, true, 0.0);
        }
    });
    for (k, r) in replayed.into_iter().enumerate() {
        results[replays[k]] = Some(r.map_err(|e| e.to_string()));
    }
    let scoring_seconds = leaders
        .iter()
        .zip(&scored)
        .filter_map(|(i, s)| s.as_ref().ok().map(|s| (name(*i), s.seconds)))
        .collect();
    Executed {
        results: mine
            .iter()
            .map(|&i| (i, results[i].take().expect("every variant reported")))
            .collect(),
        scoring_seconds,
    }
}

/// Runs every variant of `plan` on `market` and writes the folders and
/// tables under `out` (through `<out>.partial`, renamed at the end).
/// `progress` is called as each variant finishes or fails.
///
/// A variant that fails does not stop the others: the outcome lists it in
/// [`SweepOutcome::failures`] (and `failures.csv`), a failed scoring fails its
/// group's replays (naming the scoring variant), and the comparison files
/// cover the variants that succeeded. Errors (nothing written): a bad plan or
/// variant spec (checked before anything runs), a file of the sweep folder
/// that cannot be written, and every variant failing.
pub fn run_sweep(
    spec: &Spec,
    market: &Market,
    plan: &SweepPlan,
    options: SweepOptions,
    out: &Path,
    progress: &(dyn Fn(&SweepEvent<'_>) + Sync),
) -> Result<SweepOutcome> {
    let prepared = Prepared::new(spec, market, plan)?;
    let folder = PartialDir::create(out)?;
    let all: Vec<usize> = (0..prepared.groups.len()).collect();
    let executed = execute(&prepared, market, options, folder.path(), &all, progress);
    let mut outcome = finish(
        spec,
        plan,
        folder.path(),
        executed.results,
        prepared.groups.len(),
    )?;
    outcome.scoring_seconds = executed.scoring_seconds;
    folder.commit()?;
    Ok(outcome)
}

/// Writes the comparison files of a sweep whose variant folders are in
/// `dir`: comparison.csv/.md, break_even.csv, table1.* (scoring axes),
/// failures.csv (when a variant failed) and report.html (from the first
/// variant that succeeded). `results` are every variant's row or error,
/// in variant order; `scorings` the number of scoring groups. Every variant
/// failing is an error (the caller writes nothing).
pub(super) fn finish(
    spec: &Spec,
    plan: &SweepPlan,
    dir: &Path,
    results: Vec<(usize, std::result::Result<VariantRow, String>)>,
    scorings: usize,
) -> Result<SweepOutcome> {
    let variants = plan.variants();
    let mut rows: Vec<VariantRow> = Vec::with_capacity(results.len());
    let mut failures: Vec<VariantFailure> = Vec::new();
    for (i, r) in results {
        match r {
            Ok(row) => rows.push(row),
            Err(error) => failures.push(VariantFailure {
                name: variant_name(i),
                params: variants[i].clone(),
                error,
            }),
        }
    }
    if rows.is_empty() {
        let lines: Vec<String> = failures.iter().map(|f| format!("  {f}")).collect();
        return Err(Error::Run(format!(
            "every sweep variant failed (nothing written):\n{}",
            lines.join("\n")
        )));
    }
    let first = rows[0].name.clone();
    let outcome = SweepOutcome {
        break_even: break_even(plan, &rows),
        rows,
        failures,
        scorings,
        scoring_seconds: Vec::new(),
        scoring_keys: plan
            .axes
            .iter()
            .filter(|a| SCORING.contains(&a.key.as_str()))
            .map(|a| a.key.clone())
            .collect(),
    };
    let put = |file: &str, text: String| -> Result<()> {
        let p = dir.join(file);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    put("comparison.csv", outcome.comparison_csv())?;
    put("break_even.csv", outcome.break_even_csv())?;
    put("comparison.md", outcome.comparison_markdown(spec))?;
    if plan.has_scoring_axes() {
        put("table1.md", outcome.table1_markdown(spec))?;
        put("table1.csv", outcome.table1_csv())?;
    }
    if !outcome.failures.is_empty() {
        put("failures.csv", outcome.failures_csv())?;
    }
    // report.html of the sweep: the first successful variant's report plus the
    // comparison of all variants (alpha and IR against cost, break-even, the table).
    let mut view = crate::html::RunView::from_dir(&dir.join(first))?;
    view.report["sweep"] = outcome.sweep_json();
    put("report.html", crate::html::render(&view)?)?;
    Ok(outcome)
}
