//! Merging shard folders into the folder the unsharded sweep writes: the
//! manifests checked against each other, the variant folders copied, the
//! comparison files written from the rows the shards recorded.

use super::outcome::{SweepOutcome, VariantRow};
use super::plan::SweepPlan;
use super::run::{finish, variant_name};
use super::shard::{sha256, Manifest, FORMAT, MANIFEST};
use crate::run_folder::{partial_path, PartialDir};
use crate::spec::Spec;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A merged sweep: its spec and plan (from the manifests) and the outcome.
#[derive(Debug)]
pub struct Merged {
    pub spec: Spec,
    pub plan: SweepPlan,
    pub outcome: SweepOutcome,
    /// Variants of the whole sweep (succeeded and failed).
    pub variants: usize,
}

fn shard_err(file: &Path, message: String, fix: String) -> Error {
    Error::File {
        file: file.to_path_buf(),
        message,
        fix,
    }
}

const RERUN: &str = "rerun that shard with the same command line (alphasim sweep SPEC --shard I/N, the same --set, --data and --out), then merge again";

/// Reads one shard folder's manifest; an incomplete or foreign folder is an
/// error saying which and what to do.
fn read_shard(dir: &Path) -> Result<Manifest> {
    let partial = partial_path(dir);
    if dir.extension().is_some_and(|e| e == "partial") {
        return Err(shard_err(
            dir,
            "an incomplete shard (a `.partial` folder: its run stopped before it finished)".into(),
            RERUN.into(),
        ));
    }
    if !dir.is_dir() {
        return Err(if partial.exists() {
            shard_err(
                dir,
                format!(
                    "an incomplete shard: only {} exists (its run stopped before it finished)",
                    partial.display()
                ),
                RERUN.into(),
            )
        } else {
            shard_err(
                dir,
                "no such shard folder (a shard that fails leaves none)".into(),
                format!("check the path, or {RERUN}"),
            )
        });
    }
    if partial.exists() {
        return Err(shard_err(
            dir,
            format!(
                "{} exists beside it: this shard is being rerun, or its rerun stopped",
                partial.display()
            ),
            format!(
                "wait for the rerun to finish, or {RERUN}, or remove {} to merge the earlier complete run",
                partial.display()
            ),
        ));
    }
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        let what = if dir.join("comparison.csv").is_file() {
            "a whole sweep folder, not a shard folder (no manifest.toml)"
        } else {
            "not a shard folder (no manifest.toml)"
        };
        return Err(shard_err(
            dir,
            what.into(),
            "give the folders `alphasim sweep SPEC --shard I/N` wrote (<out>/shard-I-of-N)".into(),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let m: Manifest = toml::from_str(&text).map_err(|e| {
        shard_err(
            &path,
            format!(
                "not a readable shard manifest: {}",
                e.to_string().trim_end()
            ),
            format!("it is written by `alphasim sweep --shard`, never by hand: {RERUN}"),
        )
    })?;
    if m.format != FORMAT || m.spec_sha256 != sha256(m.spec.as_bytes()) {
        return Err(shard_err(
            &path,
            format!(
                "manifest format {} (this alphasim reads {FORMAT}) or its spec does not match its spec_sha256",
                m.format
            ),
            RERUN.into(),
        ));
    }
    Ok(m)
}

/// Every shard has the same `key`; else an error listing each shard with
/// `show` (its key and what helps to tell the shards apart).
fn same(
    shards: &[(PathBuf, Manifest)],
    what: &str,
    fix: &str,
    key: impl Fn(&Manifest) -> String,
    show: impl Fn(&Manifest) -> String,
) -> Result<()> {
    let first = key(&shards[0].1);
    if shards.iter().all(|(_, m)| key(m) == first) {
        return Ok(());
    }
    let list: Vec<String> = shards
        .iter()
        .map(|(d, m)| format!("  {}: {}", d.display(), show(m)))
        .collect();
    Err(shard_err(
        &shards[0].0,
        format!("the shards are of {what}:\n{}", list.join("\n")),
        fix.into(),
    ))
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// The manifests describe one sweep, every shard once and every variant
/// once; `out` is not among or above the shard folders.
fn check(out: &Path, shards: &[(PathBuf, Manifest)]) -> Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    for (d, m) in shards {
        if m.alphasim != version {
            return Err(shard_err(
                d,
                format!(
                    "written by alphasim {}; this is alphasim {version}",
                    m.alphasim
                ),
                "merge with the alphasim that ran the shards, or rerun them with this one".into(),
            ));
        }
    }
    let one_sweep = "merge the shards of one sweep: rerun the odd ones with the same spec, --set, --data and --positions as the others";
    let spec = |m: &Manifest| format!("spec {} (sha256 {})", m.spec_file, short(&m.spec_sha256));
    same(
        shards,
        "different specs",
        one_sweep,
        |m| m.spec_sha256.clone(),
        spec,
    )?;
    same(
        shards,
        "one spec given by different paths or with different --data (both are echoed in every report.json)",
        "run every shard with the same spec path and --data, as the merged folder must equal one sweep's",
        |m| format!("spec {}, data {}", m.spec_file, m.data),
        |m| format!("spec {}, data {}", m.spec_file, m.data),
    )?;
    same(
        shards,
        "different sweep plans ([sweep] axes and --set)",
        one_sweep,
        |m| m.plan_sha256.clone(),
        |m| format!("plan sha256 {}", short(&m.plan_sha256)),
    )?;
    same(
        shards,
        "different data bundles",
        one_sweep,
        |m| m.bundle_sha256.clone(),
        |m| format!("bundle sha256 {}", short(&m.bundle_sha256)),
    )?;
    same(
        shards,
        "runs with and without --positions",
        one_sweep,
        |m| m.positions.to_string(),
        |m| format!("positions = {}", m.positions),
    )?;
    if shards.iter().any(|(_, m)| m.shards != shards[0].1.shards) {
        let list: Vec<String> = shards
            .iter()
            .map(|(d, m)| format!("  {}: shard {} of {}", d.display(), m.shard, m.shards))
            .collect();
        return Err(shard_err(
            &shards[0].0,
            format!(
                "the shards are of splits into different numbers of shards:\n{}",
                list.join("\n")
            ),
            "merge the shards of one --shard I/N split (the same N)".into(),
        ));
    }
    let count = shards[0].1.shards;
    let mut by_index: BTreeMap<usize, &Path> = BTreeMap::new();
    for (d, m) in shards {
        if let Some(other) = by_index.insert(m.shard, d) {
            return Err(shard_err(
                d,
                format!(
                    "shard {} of {count} is given twice: {} and {}",
                    m.shard,
                    other.display(),
                    d.display()
                ),
                "give each shard folder once".into(),
            ));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        let first = &missing[0];
        return Err(shard_err(
            &shards[0].0,
            format!(
                "shard{} {} of {count} missing (given: {})",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                by_index.keys().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
            ),
            format!(
                "run the missing shard{} (alphasim sweep SPEC --shard {first}/{count}, the same --set, --data and --out as the others) and pass {} too",
                if missing.len() == 1 { "" } else { "s" },
                if missing.len() == 1 { "its folder" } else { "their folders" }
            ),
        ));
    }
    // Variants: each of the plan's once, each success with its folder.
    let plan = &shards[0].1.plan;
    let variants = plan.variants();
    let mut holder: BTreeMap<&str, &Path> = BTreeMap::new();
    for (d, m) in shards {
        let mut recorded: Vec<&str> = m.rows.iter().map(|r| r.name.as_str()).collect();
        recorded.extend(m.failures.iter().map(|f| f.name.as_str()));
        recorded.sort_unstable();
        let mut listed: Vec<&str> = m.variants.iter().map(String::as_str).collect();
        listed.sort_unstable();
        if recorded != listed {
            return Err(shard_err(
                &d.join(MANIFEST),
                "its variants do not match its rows and failures".into(),
                RERUN.into(),
            ));
        }
        for r in &m.rows {
            if !d.join(&r.name).is_dir() {
                return Err(shard_err(
                    &d.join(&r.name),
                    format!(
                        "variant {} is in the manifest but its folder is missing",
                        r.name
                    ),
                    RERUN.into(),
                ));
            }
        }
        for v in &m.variants {
            if let Some(other) = holder.insert(v, d) {
                return Err(shard_err(
                    d,
                    format!(
                        "variant {v} is in two shards: {} and {}",
                        other.display(),
                        d.display()
                    ),
                    one_sweep.into(),
                ));
            }
        }
    }
    for (i, params) in variants.iter().enumerate() {
        let name = variant_name(i);
        if !holder.contains_key(name.as_str()) {
            return Err(shard_err(
                &shards[0].0,
                format!(
                    "variant {name} ({}) is in no shard",
                    super::outcome::params_text(params)
                ),
                one_sweep.into(),
            ));
        }
    }
    if let Some(extra) = holder.keys().find(|v| {
        v.strip_prefix('v')
            .and_then(|n| n.parse::<usize>().ok())
            .is_none_or(|n| n == 0 || n > variants.len())
    }) {
        return Err(shard_err(
            holder[extra],
            format!(
                "variant {extra} is not a variant of the sweep ({} variants)",
                variants.len()
            ),
            one_sweep.into(),
        ));
    }
    // The merge replaces `out`: it must not hold a shard (nor be one).
    // Absolute paths without links; a path that does not exist yet (OUT) by its parent's.
    let canon = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            let parent = std::fs::canonicalize(parent.unwrap_or(Path::new(".")));
            match (parent, p.file_name()) {
                (Ok(d), Some(name)) => d.join(name),
                _ => p.to_path_buf(),
            }
        })
    };
    let out_c = canon(out);
    for (d, _) in shards {
        let d_c = canon(d);
        if d_c.starts_with(&out_c) || out_c.starts_with(&d_c) {
            return Err(shard_err(
                out,
                format!("the merged folder would replace or sit inside the shard folder {}", d.display()),
                "merge into a folder beside the shards (e.g. runs/<name>-sweep for runs/<name>-sweep-shards/shard-*)".into(),
            ));
        }
    }
    Ok(())
}

/// Copies the folder `from` to `to` (files and subfolders).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(|e| Error::io(&src, e))?.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| Error::io(&src, e))?;
        }
    }
    Ok(())
}

/// Merges the shard folders `dirs` of one sweep into `out` (through
/// `<out>.partial`): the same variant folders, comparison files,
/// failures.csv and report.html as the unsharded sweep writes. The shard
/// folders are left as they are. Errors (nothing written): a shard folder
/// that is incomplete or not a shard, shards of different sweeps, a shard
/// missing or given twice, a variant missing or doubled, every variant failed.
pub fn merge_shards(out: &Path, dirs: &[PathBuf]) -> Result<Merged> {
    if dirs.is_empty() {
        return Err(Error::Run(
            "sweep-merge needs the shard folders: alphasim sweep-merge OUT SHARD_DIR...".into(),
        ));
    }
    let mut shards: Vec<(PathBuf, Manifest)> = dirs
        .iter()
        .map(|d| read_shard(d).map(|m| (d.clone(), m)))
        .collect::<Result<_>>()?;
    check(out, &shards)?;
    shards.sort_by_key(|(_, m)| m.shard);
    let first = &shards[0].1;
    let spec = Spec::from_str_at(&first.spec, Path::new(&first.spec_file), Path::new(""))?;
    let plan = first.plan.clone();
    let index: BTreeMap<String, usize> = (0..plan.variants().len())
        .map(|i| (variant_name(i), i))
        .collect();
    let folder = PartialDir::create(out)?;
    let mut results: Vec<(usize, std::result::Result<VariantRow, String>)> = Vec::new();
    for (d, m) in &shards {
        for r in &m.rows {
            copy_dir(&d.join(&r.name), &folder.path().join(&r.name))?;
            results.push((index[&r.name], Ok(r.clone())));
        }
        for f in &m.failures {
            results.push((index[&f.name], Err(f.error.clone())));
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let variants = results.len();
    let outcome = finish(&spec, &plan, folder.path(), results, first.scorings)?;
    folder.commit()?;
    Ok(Merged {
        spec,
        plan,
        outcome,
        variants,
    })
}
