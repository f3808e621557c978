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
//!   `[indices.<name>]` settings such as a later `start` apply) and `seed`
//!   (the spec's `seed`, non-negative integers: repeated trainings of the
//!   learned models). Variants with the same scoring values form a
//!   **scoring group**; a model that draws no random number (`ew`,
//!   `linear`, `gbdt` without sampling, a model with its own seed:
//!   [`crate::spec::ModelConfig::uses_spec_seed`]) ignores `seed` there, so
//!   its seeds share one scoring and replay it;
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
//! The sweep folder is written as `<out>.partial` and renamed to `<out>` at
//! the end (an existing `<out>` is replaced), so a sweep that stops — an
//! error, a panic, Ctrl-C in the binary — leaves nothing half-written.
//!
//! Failures: a variant that fails does not stop the others. A failed
//! scoring (its model cannot be built, or its run fails) fails every replay
//! of its group without running them, each with the message `not run: its
//! scores come from variant vNNN (<params>), which failed`; a failed replay
//! fails only itself. Every other variant is written as usual, and the
//! comparison files (comparison.csv/.md, break_even.csv, table1.*,
//! report.html — from the first variant that succeeded) cover the variants
//! that succeeded; comparison.md then ends with the failed variants' names,
//! and `failures.csv` (variant, params as `key=value, …`, error; variant
//! order) lists them. [`run_sweep`] returns them in
//! [`SweepOutcome::failures`]; the CLI prints each as `sweep variant vNNN
//! (<params>): <error>` on stderr and exits 1. When every variant fails,
//! `run_sweep` is an error listing them and nothing is written (exit 2 in
//! the CLI). Problems with the plan or a variant's spec are errors before
//! anything runs, as before. A successful sweep's files are unchanged (no
//! failures.csv).
//!
//! Determinism: every variant is a pure function of (spec, overrides,
//! market, recorded scores), rows are ordered by variant index and written
//! with fixed formats, so every file is byte-identical for any `jobs` (the
//! learned models are seeded; `train.threads` is process-wide, so with
//! several scorings the last model built sets it for all). Timings
//! are returned in [`SweepOutcome::scoring_seconds`] and printed by the CLI,
//! never written to the folder.
//!
//! Shards ([`run_shard`], `alphasim sweep --shard I/N`; docs/cluster.md): a
//! shard runs whole scoring groups — a replay needs its group's scores, so
//! the group's scoring and replays stay together and nothing is scored
//! twice — dealt longest first by an estimated cost onto the least loaded
//! shard ([`assign`]; the same in every shard, since it depends only on the
//! spec, the plan and the bundle). It writes `<out>/shard-I-of-N` (through
//! `.partial`, like the sweep folder) with its variant folders and
//! `manifest.toml` ([`MANIFEST`]: the alphasim version, shard index and
//! count, hashes of the spec text, of the plan and a fingerprint of the
//! bundle, `--positions`, the variants it holds, their rows at full
//! precision and its failures, the spec text and the plan). [`merge_shards`]
//! (`alphasim sweep-merge OUT SHARD_DIR...`) checks the manifests (one
//! sweep, every shard once, every variant once, none incomplete), copies
//! the variant folders and writes the comparison files from the recorded
//! rows with the same code as the sweep, so OUT is byte-identical to the
//! unsharded sweep's folder. One caveat, as for `jobs`: a deep model's
//! `train.threads` is process-wide, so models of one sweep with different
//! `train.threads` may run with another count in a shard than unsharded.
//!
//! Files: `plan` (axes, variants, scoring groups, located errors), `replay`
//! (recording and replaying scores), `run` (scorings and replays on the
//! workers, the comparison files), `shard` (the assignment, the manifest, a
//! shard's run), `merge` (the checks and the merge), `break_even`, `table`
//! (the comparison files and report.html's `sweep` object), `table1` (the
//! Table-1 view), `outcome` (the rows).

mod break_even;
mod merge;
mod outcome;
mod plan;
mod replay;
mod run;
mod shard;
mod table;
mod table1;

pub use break_even::break_even;
pub use merge::{merge_shards, Merged};
pub use outcome::{BreakEven, SweepOutcome, VariantFailure, VariantRow};
pub use plan::{value_text, variant_spec, Axis, Params, SweepPlan, REPLAYABLE, SCORING};
pub use replay::{RecordingModel, ReplayModel};
pub use run::{run_sweep, SweepEvent, SweepOptions};
pub use shard::{assign, run_shard, Shard, ShardOutcome, MANIFEST, SHARD_ENV};
