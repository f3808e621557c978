//! The variables of a deep model: seeded initialisation, snapshots for the
//! best checkpoint, and safetensors save / load (shared by `DeepModel` and
//! `E2eaiModel`).

use super::MapCandleError;
use crate::data::Date;
use crate::{Error, Result};
use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

/// All variables, sorted by name (`VarMap` iteration order varies per process).
pub(super) fn sorted_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().expect("varmap lock");
    let mut v: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Seeded initialisation in sorted-name order from a ChaCha RNG seeded by
/// `seed` and the window number: Glorot-uniform weights and GAT attention
/// vectors, zero biases, BatchNorm at identity.
pub(super) fn init_seeded(varmap: &VarMap, device: &Device, seed: u64, window: u64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ window.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for (name, var) in sorted_vars(varmap) {
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let leaf = name.rsplit('.').next().unwrap_or(&name);
        let is_bn = name.contains(".bn.");
        let values: Vec<f32> = match leaf {
            "running_mean" | "bias" => vec![0.0; n],
            "running_var" => vec![1.0; n],
            "weight" if is_bn => vec![1.0; n],
            _ => {
                let (fan_out, fan_in) = match dims.as_slice() {
                    [o, i] if leaf == "weight" => (*o, *i),
                    [_, o] => (1, 2 * o), // attention vector a = [a_src ‖ a_dst]
                    _ => (n, n),
                };
                let bound = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
                (0..n).map(|_| rng.random_range(-bound..bound)).collect()
            }
        };
        let t = Tensor::from_vec(values, dims, device).map_candle_err()?;
        var.set(&t).map_candle_err()?;
    }
    Ok(())
}

/// Copies of every variable, in sorted-name order.
pub(super) fn snapshot(varmap: &VarMap) -> Result<Vec<Tensor>> {
    sorted_vars(varmap)
        .iter()
        .map(|(_, v)| v.as_tensor().copy().map_candle_err())
        .collect()
}

/// Sets every variable from a [`snapshot`].
pub(super) fn restore(varmap: &VarMap, snap: &[Tensor]) -> Result<()> {
    for ((_, v), t) in sorted_vars(varmap).iter().zip(snap) {
        v.set(t).map_candle_err()?;
    }
    Ok(())
}

/// `<dir>/<model>-<as_of>.safetensors`.
pub(super) fn path_of(dir: &Path, model: &str, as_of: Date) -> PathBuf {
    dir.join(format!("{model}-{as_of}.safetensors"))
}

/// Saves the variables (safetensors), creating the folder.
pub(super) fn save(varmap: &VarMap, path: &Path) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    varmap
        .save(path)
        .map_err(|e| Error::Run(format!("saving weights to {}: {e}", path.display())))
}

/// Loads variables saved by [`save`] for model `model` (same architecture and factors).
pub(super) fn load(varmap: &mut VarMap, path: &Path, model: &str) -> Result<()> {
    if !path.is_file() {
        return Err(Error::Run(format!(
            "model `{model}`: no weights file {}; run `alphasim train` with the same spec first, or remove `load_weights`",
            path.display()
        )));
    }
    varmap.load(path).map_err(|e| {
        Error::Run(format!(
            "loading weights from {}: {e} (was it saved by the same model, factors and hidden size?)",
            path.display()
        ))
    })
}
