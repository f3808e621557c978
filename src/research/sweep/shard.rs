//! Shards of a sweep: which scoring groups shard I of N runs, and the shard
//! folder it writes (its variant folders and `manifest.toml`).
//!
//! The unit of work is a whole scoring group (a scoring and the replays of
//! its scores), so a shard never needs another shard's scores and nothing
//! is scored twice. Groups are dealt out longest first: in order of
//! estimated cost (highest first, ties in group order), each goes to the
//! shard with the least estimated work so far (ties: the lowest index). The
//! estimate of a group is its scoring's ([`scoring_cost`]: a per-model
//! weight × the index's members) plus one ew-sized run per replay. It
//! depends only on the spec, the plan and the bundle, so every shard
//! computes the same assignment; it affects the balance, never the bytes.

use super::outcome::{VariantFailure, VariantRow};
use super::plan::SweepPlan;
use super::run::{
    execute, members, scoring_cost, variant_name, Prepared, SweepEvent, SweepOptions,
};
use crate::data::Market;
use crate::run_folder::PartialDir;
use crate::spec::Spec;
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The manifest's file name inside a shard folder (written last: a folder
/// is a complete shard only once it has been renamed from `.partial`).
pub const MANIFEST: &str = "manifest.toml";

/// The version of the manifest layout.
pub(super) const FORMAT: u32 = 1;

/// Shard `index` (0-based) of `count`: `--shard I/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

/// The environment variables `--shard auto/N` reads, in this order: Slurm
/// job arrays, Kubernetes Indexed Jobs.
pub const SHARD_ENV: [&str; 2] = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

impl Shard {
    /// Parses `I/N` (0 ≤ I < N) or `auto/N`, where `auto` is the value of
    /// the first of [`SHARD_ENV`] that `env` finds. The error says what is
    /// wrong and how to write it.
    pub fn parse(
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<Shard, String> {
        let usage = "write I/N with 0 ≤ I < N (e.g. 0/4 for the first of 4 shards), or auto/N to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX";
        let Some((i, n)) = text.split_once('/') else {
            return Err(format!("`{text}` is not I/N: {usage}"));
        };
        let count: usize = match n.trim().parse() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "`{text}`: the shard count `{n}` must be a whole number ≥ 1: {usage}"
                ))
            }
        };
        let (index_text, from) = if i.trim() == "auto" {
            let found: Vec<(&str, String)> = SHARD_ENV
                .iter()
                .filter_map(|&k| env(k).map(|v| (k, v)))
                .collect();
            match found.as_slice() {
                [] => {
                    return Err(format!(
                        "`{text}`: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set (auto is for a Slurm job array or a Kubernetes Indexed Job); outside one, give the index: --shard I/{count}"
                    ))
                }
                [(k, v), rest @ ..] => {
                    if let Some((k2, v2)) = rest.iter().find(|(_, v2)| v2.trim() != v.trim()) {
                        return Err(format!(
                            "`{text}`: {k}={v} and {k2}={v2} disagree; unset one, or give the index: --shard I/{count}"
                        ));
                    }
                    (v.clone(), Some(*k))
                }
            }
        } else {
            (i.to_owned(), None)
        };
        let what = match from {
            Some(k) => format!("{k}={index_text}"),
            None => format!("the shard index `{index_text}`"),
        };
        let index: usize = index_text
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: {what} is not a whole number ≥ 0: {usage}"))?;
        if index >= count {
            let fix = match from {
                Some("SLURM_ARRAY_TASK_ID") => format!(
                    " (a Slurm array of {count} shards is --array=0-{})",
                    count - 1
                ),
                Some(_) => format!(" (an Indexed Job of {count} shards has completions: {count})"),
                None => String::new(),
            };
            return Err(format!(
                "`{text}`: {what} is out of range: shards of {count} are numbered 0 to {}{fix}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard folder's name: `shard-I-of-N`.
    pub fn folder_name(&self) -> String {
        format!("shard-{}-of-{}", self.index, self.count)
    }
}

/// Which shard runs each group, given each group's estimated cost: longest
/// first onto the least loaded shard (see the module doc).
pub fn assign(costs: &[u64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(costs[g]), g));
    let mut load = vec![0u64; count.max(1)];
    let mut shard_of = vec![0; costs.len()];
    for g in order {
        let s = (0..load.len())
            .min_by_key(|&s| (load[s], s))
            .expect("at least one shard");
        load[s] += costs[g];
        shard_of[g] = s;
    }
    shard_of
}

/// The estimated cost of each scoring group: its scoring plus one ew-sized
/// run (the index's members) per replay.
fn group_costs(p: &Prepared, market: &Market) -> Vec<u64> {
    p.groups
        .iter()
        .map(|g| {
            let leader = &p.specs[g[0]];
            scoring_cost(leader, market) + (g.len() as u64 - 1) * members(leader, market)
        })
        .collect()
}

/// Hex SHA-256 of `bytes`.
pub(super) fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash of a sweep plan: of its axes (keys and values, in order) as TOML.
pub(super) fn plan_sha256(plan: &SweepPlan) -> String {
    sha256(
        toml::to_string(plan)
            .expect("axes of TOML values serialise")
            .as_bytes(),
    )
}

/// A fingerprint of the loaded bundle (not of every value): its symbols,
/// trading days, number of bars and, per index, its membership spells and
/// benchmark levels. Shards run on different bundles (a nightly update in
/// between) differ in it.
pub(super) fn bundle_sha256(market: &Market) -> String {
    let mut h = Sha256::new();
    for name in market.symbols.names() {
        h.update(name.as_bytes());
        h.update(b"\n");
    }
    for d in &market.bars.dates {
        h.update(d.to_string().as_bytes());
        h.update(b"\n");
    }
    h.update(format!("bars {}\n", market.bars.len()).as_bytes());
    for (name, spells) in &market.constituents {
        h.update(format!("index {name} {}\n", spells.len()).as_bytes());
    }
    for (name, levels) in &market.benchmark {
        let last = levels.last().map(|(d, x)| format!("{d} {x}"));
        h.update(format!("benchmark {name} {} {last:?}\n", levels.len()).as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `manifest.toml` of a shard folder: what it is part of and what it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct Manifest {
    /// The manifest layout ([`FORMAT`]).
    pub format: u32,
    /// The alphasim version that wrote it.
    pub alphasim: String,
    pub shard: usize,
    pub shards: usize,
    /// The spec's path as given (echoed in every report.json; its stem is
    /// the default run name).
    pub spec_file: String,
    /// The spec's `data` as run (`--data` applied; echoed in every report.json).
    pub data: String,
    /// SHA-256 of the spec's text (`spec` below).
    pub spec_sha256: String,
    /// SHA-256 of the sweep plan (the axes, `[sweep]` and `--set`).
    pub plan_sha256: String,
    /// Fingerprint of the bundle the shard ran on.
    pub bundle_sha256: String,
    /// Whether variant folders hold positions.csv (`--positions`).
    pub positions: bool,
    /// Scoring groups of the whole sweep.
    pub scorings: usize,
    /// The variants this shard holds (succeeded or failed), in variant order.
    pub variants: Vec<String>,
    /// The spec's text, for the merge's comparison files.
    pub spec: String,
    /// The sweep plan.
    pub plan: SweepPlan,
    /// The variants that succeeded (their folders are in the shard folder).
    pub rows: Vec<VariantRow>,
    /// The variants that failed (no folder).
    pub failures: Vec<VariantFailure>,
}

/// What a shard run did.
#[derive(Debug, Clone)]
pub struct ShardOutcome {
    /// The shard folder written.
    pub folder: PathBuf,
    /// The variants it holds and the scorings it ran.
    pub variants: usize,
    pub scorings: usize,
    /// The variants of this shard that failed (they are in its manifest).
    pub failures: Vec<VariantFailure>,
    /// Wall time of each scoring (not written anywhere).
    pub scoring_seconds: Vec<(String, f64)>,
}

/// Runs shard `shard` of the sweep and writes its folder `folder` (through
/// `<folder>.partial`, renamed at the end: a shard that stops leaves no
/// complete-looking folder): the variant folders of its scoring groups and
/// `manifest.toml`. Failed variants are recorded in the manifest, not
/// errors, also when every variant of the shard fails (the merge decides);
/// a shard may hold nothing (more shards than scorings).
pub fn run_shard(
    spec: &Spec,
    market: &Market,
    plan: &SweepPlan,
    options: SweepOptions,
    shard: Shard,
    folder: &Path,
    progress: &(dyn Fn(&SweepEvent<'_>) + Sync),
) -> Result<ShardOutcome> {
    let prepared = Prepared::new(spec, market, plan)?;
    let shard_of = assign(&group_costs(&prepared, market), shard.count);
    let selected: Vec<usize> = (0..prepared.groups.len())
        .filter(|&g| shard_of[g] == shard.index)
        .collect();
    let dir = PartialDir::create(folder)?;
    let executed = execute(&prepared, market, options, dir.path(), &selected, progress);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, r) in &executed.results {
        match r {
            Ok(row) => rows.push(row.clone()),
            Err(error) => failures.push(VariantFailure {
                name: variant_name(*i),
                params: prepared.variants[*i].clone(),
                error: error.clone(),
            }),
        }
    }
    let manifest = Manifest {
        format: FORMAT,
        alphasim: env!("CARGO_PKG_VERSION").to_owned(),
        shard: shard.index,
        shards: shard.count,
        spec_file: spec.path.display().to_string(),
        data: spec.config.data.display().to_string(),
        spec_sha256: sha256(spec.source.as_bytes()),
        plan_sha256: plan_sha256(plan),
        bundle_sha256: bundle_sha256(market),
        positions: options.positions,
        scorings: prepared.groups.len(),
        variants: executed
            .results
            .iter()
            .map(|(i, _)| variant_name(*i))
            .collect(),
        spec: spec.source.clone(),
        plan: plan.clone(),
        rows,
        failures: failures.clone(),
    };
    let text = toml::to_string(&manifest)
        .map_err(|e| Error::Run(format!("cannot write the shard manifest: {e}")))?;
    let path = dir.path().join(MANIFEST);
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    dir.commit()?;
    Ok(ShardOutcome {
        folder: folder.to_path_buf(),
        variants: manifest.variants.len(),
        scorings: selected.len(),
        failures,
        scoring_seconds: executed.scoring_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn test_manifest_rows_round_trip_exactly_through_toml() {
        // The merge writes the comparison files from these rows: every float
        // must come back bit for bit, NaN, infinities and -0 included.
        let floats = [
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            -0.0,
            1e-300,
            -123456.789e10,
        ];
        let row = |x: f64, y: f64| VariantRow {
            name: "v002".into(),
            params: vec![
                ("costs.commission_bps".into(), toml::Value::Float(2.5)),
                ("index".into(), toml::Value::String("csi300".into())),
                ("execution.lot".into(), toml::Value::Integer(100)),
            ],
            model: "dmfm".into(),
            index: "csi300".into(),
            t0: None,
            end: "2024-12-31".into(),
            rebalances: 12,
            annual_return: x,
            alpha: y,
            information_ratio: x,
            sharpe: y,
            max_drawdown: x,
            ic_mean: y,
            icir: x,
            rank_ic_mean: y,
            rank_icir: x,
            turnover_annual: y,
            cost_total: x,
            cost_annual: y,
            unfilled: 3,
        };
        let plan = SweepPlan {
            axes: vec![crate::research::sweep::Axis {
                key: "costs.commission_bps".into(),
                values: vec![toml::Value::Float(2.5), toml::Value::Integer(40)],
            }],
        };
        let manifest = Manifest {
            format: FORMAT,
            alphasim: "0.1.0".into(),
            shard: 1,
            shards: 3,
            spec_file: "strategies/s.toml".into(),
            data: "../data".into(),
            spec_sha256: sha256(b"name = \"s\"\n"),
            plan_sha256: plan_sha256(&plan),
            bundle_sha256: "b".into(),
            positions: false,
            scorings: 2,
            variants: vec!["v002".into(), "v005".into()],
            spec: "name = \"s\"\n# \"\"\" quotes\n".into(),
            plan,
            rows: floats
                .iter()
                .zip(floats.iter().rev())
                .map(|(&x, &y)| row(x, y))
                .collect(),
            failures: vec![VariantFailure {
                name: "v005".into(),
                params: vec![],
                error: "line 1\nline \"2\"".into(),
            }],
        };
        let text = toml::to_string(&manifest).unwrap();
        let back: Manifest = toml::from_str(&text).unwrap();
        assert_eq!(format!("{back:?}"), format!("{manifest:?}"));
        for (a, b) in back.rows.iter().zip(&manifest.rows) {
            for (x, y) in [
                (a.annual_return, b.annual_return),
                (a.alpha, b.alpha),
                (a.cost_total, b.cost_total),
            ] {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "{x} vs {y}"
                );
            }
        }
        assert_eq!(back.rows[3].annual_return.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back.rows[0].annual_return, 0.30000000000000004);
        assert_eq!(back.plan, manifest.plan, "2.5 stays a float, 40 an integer");
        assert_eq!(back.spec, manifest.spec);
    }

    #[test]
    fn test_assign_longest_first_onto_the_least_loaded_shard() {
        // Dealt by hand: 9 (g1) → s0; 7 (g3) → s1; 5 (g2) → s1 (7 < 9) = 12;
        // 4 (g4) → s0 (9 < 12) = 13; 1 (g0) → s1 (12 < 13) = 13; 1 (g5) → s0
        // (13 = 13: the lower index) = 14.
        assert_eq!(assign(&[1, 9, 5, 7, 4, 1], 2), vec![1, 0, 1, 1, 0, 0]);
        // Equal costs go round-robin in group order; more shards than groups leave some empty.
        assert_eq!(assign(&[3, 3, 3, 3, 3], 3), vec![0, 1, 2, 0, 1]);
        assert_eq!(assign(&[2, 5], 4), vec![1, 0]);
        assert_eq!(assign(&[2, 5, 1], 1), vec![0, 0, 0]);
    }

    #[test]
    fn test_shard_parse() {
        let none = env_of(&[]);
        assert_eq!(Shard::parse("2/3", &none), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(
            Shard::parse(" 0 / 1 ", &none),
            Ok(Shard { index: 0, count: 1 })
        );
        let slurm = env_of(&[("SLURM_ARRAY_TASK_ID", "1")]);
        assert_eq!(
            Shard::parse("auto/4", &slurm),
            Ok(Shard { index: 1, count: 4 })
        );
        let k8s = env_of(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            Shard::parse("auto/4", &k8s),
            Ok(Shard { index: 3, count: 4 })
        );
        let both = env_of(&[("SLURM_ARRAY_TASK_ID", "2"), ("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(
            Shard::parse("auto/4", &both),
            Ok(Shard { index: 2, count: 4 })
        );
        let err = |t: &str, env: &dyn Fn(&str) -> Option<String>| Shard::parse(t, env).unwrap_err();
        assert!(err("3/3", &none).contains("out of range: shards of 3 are numbered 0 to 2"));
        assert!(err("1/0", &none).contains("shard count `0` must be a whole number ≥ 1"));
        assert!(err("3", &none).contains("`3` is not I/N"));
        assert!(err("-1/3", &none).contains("the shard index `-1` is not a whole number"));
        assert!(err("auto/3", &none)
            .contains("neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set"));
        let e = err("auto/4", &env_of(&[("SLURM_ARRAY_TASK_ID", "4")]));
        assert!(
            e.contains("SLURM_ARRAY_TASK_ID=4 is out of range") && e.contains("--array=0-3"),
            "{e}"
        );
        let e = err("auto/4", &env_of(&[("JOB_COMPLETION_INDEX", "x")]));
        assert!(
            e.contains("JOB_COMPLETION_INDEX=x is not a whole number"),
            "{e}"
        );
        let e = err(
            "auto/4",
            &env_of(&[("SLURM_ARRAY_TASK_ID", "1"), ("JOB_COMPLETION_INDEX", "2")]),
        );
        assert!(e.contains("disagree"), "{e}");
        assert_eq!(Shard { index: 1, count: 3 }.folder_name(), "shard-1-of-3");
    }
}
