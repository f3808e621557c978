//! The seeded initialisation of a deep model's variables (shared by
//! `DeepModel` and `E2eaiModel`).

use super::MapCandleError;
use crate::alpha::walk_forward::weights::sorted_vars;
use crate::Result;
use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
