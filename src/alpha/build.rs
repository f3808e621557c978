//! Builds the alpha model a spec asks for, resolving its factor names
//! against the run's factor columns.

use super::deep::{Arch, DeepModel, E2eaiModel, TrainProgress};
use super::ensemble::Ensemble;
use super::ew::EqualWeightModel;
use super::file::FileModel;
use super::gbdt::GbdtModel;
use super::linear::LinearModel;
use super::model::AlphaModel;
use super::reversal::ReversalModel;
use super::seq::{SeqArch, SeqModel};
use crate::data::Market;
use crate::spec::ModelConfig;
use crate::{Error, Result};

/// Resolves factor names (default: every column) to column indices.
fn resolve_factor_names(
    chosen: &Option<Vec<String>>,
    names: &[String],
    missing: &dyn Fn(&str) -> Error,
) -> Result<(Vec<usize>, Vec<String>)> {
    let chosen: Vec<String> = chosen.clone().unwrap_or_else(|| names.to_vec());
    let mut columns = Vec::new();
    for n in &chosen {
        columns.push(
            names
                .iter()
                .position(|x| x == n)
                .ok_or_else(|| missing(n))?,
        );
    }
    Ok((columns, chosen))
}

/// Builds the model a spec asks for; `progress` receives the deep models'
/// epochs (the CLI draws bars from it).
pub fn build_model_with_progress(
    config: &ModelConfig,
    market: &Market,
    names: &[String],
    seed: u64,
    progress: Option<TrainProgress>,
) -> Result<Box<dyn AlphaModel>> {
    let missing = |n: &str| missing_factor(n, names);
    // `arch` None = E2EAI (its own model type, the same config and ensemble)
    let deep = |arch: Option<Arch>,
                d: &crate::spec::DeepConfig,
                progress: Option<TrainProgress>|
     -> Result<Box<dyn AlphaModel>> {
        let (columns, chosen) = resolve_factor_names(&d.factors, names, &missing)?;
        // every member reports its epochs to the one callback
        let shared = progress.map(|p| std::sync::Arc::new(std::sync::Mutex::new(p)));
        let member = |d: crate::spec::DeepConfig| -> Result<Box<dyn AlphaModel>> {
            let report = || -> Option<TrainProgress> {
                let p = shared.clone()?;
                Some(Box::new(move |e| (p.lock().expect("progress lock"))(e)))
            };
            let (columns, chosen) = (columns.clone(), chosen.clone());
            Ok(match arch {
                Some(arch) => {
                    let mut m = DeepModel::new(arch, d, columns, chosen, seed)?;
                    if let Some(p) = report() {
                        m = m.with_progress(p);
                    }
                    Box::new(m)
                }
                None => {
                    let mut m = E2eaiModel::new(d, columns, chosen, seed)?;
                    if let Some(p) = report() {
                        m = m.with_progress(p);
                    }
                    Box::new(m)
                }
            })
        };
        if d.train.seeds <= 1 {
            return member(d.clone());
        }
        let first = d.train.seed.unwrap_or(seed);
        let mut members = Vec::new();
        for i in 0..d.train.seeds {
            let mut c = d.clone();
            c.train.seed = Some(first.wrapping_add(u64::from(i)));
            c.train.seeds = 1;
            let sub =
                |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.join(format!("seed-{i}")));
            c.save_weights = sub(&d.save_weights);
            c.load_weights = sub(&d.load_weights);
            members.push(member(c)?);
        }
        let name = members[0].name().to_owned();
        Ok(Box::new(Ensemble::new(name, members)))
    };
    match config {
        ModelConfig::Linear(l) => {
            let (columns, chosen) = resolve_factor_names(&l.factors, names, &missing)?;
            if columns.is_empty() {
                return Err(Error::Run(
                    "model `linear` needs factors, but the bundle has no factors.csv".into(),
                ));
            }
            Ok(Box::new(LinearModel::new(l.clone(), columns, chosen)))
        }
        ModelConfig::Gbdt(g) => {
            let (columns, chosen) = resolve_factor_names(&g.factors, names, &missing)?;
            if columns.is_empty() {
                return Err(Error::Run(
                    "model `gbdt` needs factors, but the bundle has no factors.csv".into(),
                ));
            }
            if (columns.len() as f64 * g.feature_fraction).floor() < 1.0 {
                return Err(Error::Run(format!(
                    "model.feature_fraction = {} leaves no factor of {} for a tree (each tree sees floor(m × fraction)); raise it",
                    g.feature_fraction,
                    columns.len()
                )));
            }
            Ok(Box::new(GbdtModel::new(g.clone(), columns, chosen, seed)))
        }
        ModelConfig::Mlp(d) => deep(Some(Arch::Mlp), d, progress),
        ModelConfig::Mgat(d) => deep(Some(Arch::Mgat), d, progress),
        ModelConfig::Dmfm(d) => deep(Some(Arch::Dmfm), d, progress),
        ModelConfig::E2eai(d) => deep(None, d, progress),
        ModelConfig::Gru(q) | ModelConfig::Alstm(q) => {
            let arch = match config {
                ModelConfig::Gru(_) => SeqArch::Gru,
                _ => SeqArch::Alstm,
            };
            let chosen = Some(q.factors.clone());
            let (columns, chosen) = resolve_factor_names(&chosen, names, &missing)?;
            let mut m = SeqModel::new(arch, q.clone(), columns, chosen, seed)?;
            if let Some(p) = progress {
                m = m.with_progress(p);
            }
            Ok(Box::new(m))
        }
        other => build_model_with_factors(other, market, names, seed),
    }
}

/// Builds the model a spec asks for, checking names against the market's
/// factor columns (`factors.csv` only).
pub fn build_model(
    config: &ModelConfig,
    market: &Market,
    seed: u64,
) -> Result<Box<dyn AlphaModel>> {
    build_model_with_factors(config, market, &market.factors.names, seed)
}

fn missing_factor(n: &str, names: &[String]) -> Error {
    Error::Run(format!(
        "model: factor `{n}` is not a factor column (columns: {})",
        if names.is_empty() {
            "none — the bundle has no factors.csv and the spec selects no library `factors`"
                .to_owned()
        } else {
            names.join(", ")
        }
    ))
}

/// Builds the model a spec asks for; `names` are the run's factor columns
/// (`factors.csv` columns, then the factor library's).
pub fn build_model_with_factors(
    config: &ModelConfig,
    market: &Market,
    names: &[String],
    seed: u64,
) -> Result<Box<dyn AlphaModel>> {
    let missing = |n: &str| missing_factor(n, names);
    Ok(match config {
        ModelConfig::Ew { factors, signs } => {
            let chosen: Vec<String> = factors.clone().unwrap_or_else(|| names.to_vec());
            if chosen.is_empty() {
                return Err(Error::Run(
                    "model `ew` needs factors, but the bundle has no factors.csv; use kind = \"reversal\", add factors.csv or select library factors (factors = [\"all\"])".into(),
                ));
            }
            let mut columns = Vec::new();
            for n in &chosen {
                let k = names
                    .iter()
                    .position(|x| x == n)
                    .ok_or_else(|| missing(n))?;
                columns.push((k, signs.get(n).copied().unwrap_or(1.0)));
            }
            for n in signs.keys() {
                if !chosen.contains(n) {
                    return Err(missing(n));
                }
            }
            Box::new(EqualWeightModel::new("ew", columns))
        }
        ModelConfig::Factor { name, sign } => {
            let k = names
                .iter()
                .position(|x| x == name)
                .ok_or_else(|| missing(name))?;
            Box::new(EqualWeightModel::single(k, *sign))
        }
        ModelConfig::File { path } => Box::new(FileModel::new(crate::data::load_scores(
            path,
            &market.symbols,
        )?)),
        ModelConfig::Reversal { window } => Box::new(ReversalModel::new(*window)),
        ModelConfig::Linear(_)
        | ModelConfig::Gbdt(_)
        | ModelConfig::Mlp(_)
        | ModelConfig::Mgat(_)
        | ModelConfig::Dmfm(_)
        | ModelConfig::E2eai(_)
        | ModelConfig::Gru(_)
        | ModelConfig::Alstm(_) => {
            return build_model_with_progress(config, market, names, seed, None)
        }
    })
}
