//! The variables of a trained candle model: sorted-name order, snapshots
//! for the best checkpoint, and safetensors save / load.

use super::MapCandleError;
use crate::data::Date;
use crate::{Error, Result};
use candle_core::{Tensor, Var};
use candle_nn::VarMap;
use std::path::{Path, PathBuf};

/// All variables, sorted by name (`VarMap` iteration order varies per process).
pub(crate) fn sorted_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().expect("varmap lock");
    let mut v: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Copies of every variable, in sorted-name order.
pub(crate) fn snapshot(varmap: &VarMap) -> Result<Vec<Tensor>> {
    sorted_vars(varmap)
        .iter()
        .map(|(_, v)| v.as_tensor().copy().map_candle_err())
        .collect()
}

/// Sets every variable from a [`snapshot`].
pub(crate) fn restore(varmap: &VarMap, snap: &[Tensor]) -> Result<()> {
    for ((_, v), t) in sorted_vars(varmap).iter().zip(snap) {
        v.set(t).map_candle_err()?;
    }
    Ok(())
}

/// `<dir>/<model>-<as_of>.safetensors`.
pub(crate) fn path_of(dir: &Path, model: &str, as_of: Date) -> PathBuf {
    dir.join(format!("{model}-{as_of}.safetensors"))
}

/// Saves the variables (safetensors), creating the folder.
pub(crate) fn save(varmap: &VarMap, path: &Path) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    varmap
        .save(path)
        .map_err(|e| Error::Run(format!("saving weights to {}: {e}", path.display())))
}

/// Loads variables saved by [`save`] for model `model`; `matching` lists
/// what must be the same (e.g. "model, factors and hidden size") for the
/// error when they do not fit.
pub(crate) fn load(varmap: &mut VarMap, path: &Path, model: &str, matching: &str) -> Result<()> {
    if !path.is_file() {
        return Err(Error::Run(format!(
            "model `{model}`: no weights file {}; run `alphasim train` with the same spec first, or remove `load_weights`",
            path.display()
        )));
    }
    varmap.load(path).map_err(|e| {
        Error::Run(format!(
            "loading weights from {}: {e} (was it saved by the same {matching}?)",
            path.display()
        ))
    })
}
