//! `alphasim sweep` (the whole sweep, or one shard of it with `--shard`)
//! and `alphasim sweep-merge` (the shards into the sweep folder).

use super::{bar, RunContext, SweepArgs, SweepMergeArgs};
use crate::research::sweep::{
    merge_shards, run_shard, run_sweep, value_text, SweepEvent, SweepOptions, SweepOutcome,
    SweepPlan, VariantFailure,
};
use crate::spec::Spec;
use crate::Result;
use std::path::{Path, PathBuf};

pub(super) fn sweep(args: SweepArgs) -> Result<i32> {
    let started = std::time::Instant::now();
    let spec = args.data.read_spec(&args.spec)?;
    let mut plan = SweepPlan::from_spec(&spec)?;
    for s in &args.set {
        plan.set(&spec, s)?;
    }
    let n = plan.variants().len();
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    // Variants may change the model: every factor column.
    let ctx = RunContext::load_strict(spec, &args.data.options(None), args.strict)?;
    let (spec, market) = (&ctx.spec, &ctx.market);
    let pb = bar(n as u64, "variants");
    let quiet = args.quiet;
    let progress = |e: &SweepEvent<'_>| {
        pb.set_length(e.total as u64);
        pb.set_position(e.done as u64);
        if e.scored && !e.failed && !quiet {
            // Scoring runs are the long ones: one line each, also in a log.
            let params: Vec<String> = e
                .params
                .iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect();
            pb.suspend(|| {
                eprintln!(
                    "scored {} ({}) in {:.1} s [{}/{} variants done, {:.0} s elapsed]",
                    e.variant,
                    params.join(", "),
                    e.seconds,
                    e.done,
                    e.total,
                    started.elapsed().as_secs_f64()
                )
            });
        }
    };
    let options = SweepOptions {
        jobs,
        positions: args.positions,
    };
    if let Some(shard) = args.shard {
        // A shard: <out>/shard-I-of-N, merged later by `sweep-merge`.
        let dir = args
            .out
            .unwrap_or_else(|| PathBuf::from("runs").join(format!("{}-sweep-shards", ctx.name())));
        let folder = dir.join(shard.folder_name());
        let outcome = run_shard(spec, market, &plan, options, shard, &folder, &progress);
        pb.finish_and_clear();
        let outcome = outcome?;
        if !quiet {
            let empty = if outcome.variants == 0 {
                " (more shards than scorings: this one holds none)"
            } else {
                ""
            };
            println!(
                "shard {}/{}: wrote {} of {n} variants ({} scorings){empty} to {}",
                shard.index,
                shard.count,
                outcome.variants,
                outcome.scorings,
                folder.display()
            );
            for (variant, secs) in &outcome.scoring_seconds {
                println!("scoring {variant}: {secs:.1} s");
            }
            println!(
                "shard took {:.1} s wall time with --jobs {jobs} (loading included)",
                started.elapsed().as_secs_f64()
            );
        }
        let note = format!(
            "they are recorded in {} (sweep-merge lists them in failures.csv)",
            folder.join(crate::research::sweep::MANIFEST).display()
        );
        return Ok(report_failures(&outcome.failures, outcome.variants, &note));
    }
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("runs").join(format!("{}-sweep", ctx.name())));
    let outcome = run_sweep(spec, market, &plan, options, &out, &progress);
    pb.finish_and_clear();
    let outcome = outcome?;
    if !args.quiet {
        print_outcome(spec, &plan, &outcome, n, &out);
        // Timings are not deterministic: printed here, never written to the folder.
        for (variant, secs) in &outcome.scoring_seconds {
            println!("scoring {variant}: {secs:.1} s");
        }
        println!(
            "sweep took {:.1} s wall time with --jobs {jobs} (loading included)",
            started.elapsed().as_secs_f64()
        );
    }
    let note = format!(
        "the others are in {} (failures.csv lists the errors)",
        out.display()
    );
    Ok(report_failures(&outcome.failures, n, &note))
}

pub(super) fn sweep_merge(args: SweepMergeArgs) -> Result<i32> {
    let started = std::time::Instant::now();
    let merged = merge_shards(&args.out, &args.shards)?;
    if !args.quiet {
        print_outcome(
            &merged.spec,
            &merged.plan,
            &merged.outcome,
            merged.variants,
            &args.out,
        );
        println!(
            "merged {} shards in {:.1} s",
            args.shards.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let note = format!(
        "the others are in {} (failures.csv lists the errors)",
        args.out.display()
    );
    Ok(report_failures(
        &merged.outcome.failures,
        merged.variants,
        &note,
    ))
}

/// The comparison table, the Table-1 view and what was written where.
fn print_outcome(spec: &Spec, plan: &SweepPlan, outcome: &SweepOutcome, n: usize, out: &Path) {
    print!("{}", outcome.comparison_markdown(spec));
    if plan.has_scoring_axes() {
        println!();
        print!("{}", outcome.table1_markdown(spec));
        println!("wrote {}", out.join("table1.md").display());
    }
    let written = if outcome.failures.is_empty() {
        n.to_string()
    } else {
        format!("{} of {n}", outcome.rows.len())
    };
    println!(
        "wrote {written} variants ({} scorings) to {}",
        outcome.scorings,
        out.display()
    );
}

/// Failed variants: one line each on stderr, then a summary ending in
/// `note`; the exit code (1 when a variant failed, else 0).
fn report_failures(failures: &[VariantFailure], n: usize, note: &str) -> i32 {
    if failures.is_empty() {
        return 0;
    }
    for f in failures {
        eprintln!("{f}");
    }
    eprintln!("{} of {n} sweep variants failed; {note}", failures.len());
    1
}
