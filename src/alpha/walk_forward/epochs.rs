//! The epoch loop of one window, shared by the trained candle models:
//! batches drawn from a ChaCha RNG seeded by the seed and the window
//! number, a progress event per epoch, early stopping on the validation
//! criterion with `patience`, and the best epoch's weights kept.

use super::{weights, TrainEvent, TrainProgress, Trained};
use crate::alpha::interpret::round6;
use crate::data::Date;
use crate::Result;
use candle_core::Tensor;
use candle_nn::VarMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What an epoch and a validation pass do for one model and window.
pub(crate) trait Epochs {
    /// One pass over the training dates, its batches (and any noise) drawn
    /// from `rng`; returns the training criterion (mean over the steps).
    fn train_epoch(&mut self, rng: &mut ChaCha8Rng) -> Result<f64>;
    /// Whether the window has validation dates.
    fn validates(&self) -> bool;
    /// The validation criterion of the current weights (lower is better).
    fn valid_loss(&mut self) -> Result<f64>;
}

/// The window being trained and how.
pub(crate) struct Run<'a> {
    /// The model's name (progress events).
    pub name: &'a str,
    pub as_of: Date,
    /// Window number (1-based).
    pub window: usize,
    pub seed: u64,
    pub epochs: usize,
    pub patience: usize,
    /// Keep the last epoch instead of the best (the refit: no early stopping).
    pub keep_last: bool,
}

/// Trains up to `run.epochs` epochs; stops when the criterion (validation,
/// else training) is not finite or, with validation dates, has not improved
/// for `patience` epochs; restores the best epoch's weights of `varmap`.
/// With `keep_last`: every epoch runs and the last one's weights stay,
/// returning (epochs, epochs, None).
pub(crate) fn run(
    e: &mut dyn Epochs,
    varmap: &VarMap,
    run: &Run<'_>,
    progress: &mut Option<TrainProgress>,
) -> Result<Trained> {
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed.wrapping_add(run.window as u64));
    let mut best: Option<(usize, f64, Vec<Tensor>)> = None;
    let (mut since_best, mut epochs) = (0, 0);
    for epoch in 1..=run.epochs {
        epochs = epoch;
        let train_loss = e.train_epoch(&mut rng)?;
        let valid_loss = if e.validates() {
            Some(e.valid_loss()?)
        } else {
            None
        };
        if let Some(p) = progress.as_mut() {
            p(&TrainEvent {
                model: run.name.to_owned(),
                as_of: run.as_of,
                window: run.window,
                epoch,
                max_epochs: run.epochs,
                train_loss,
                valid_loss,
            });
        }
        if run.keep_last {
            continue;
        }
        let criterion = valid_loss.unwrap_or(train_loss);
        if !criterion.is_finite() {
            break;
        }
        if best.as_ref().is_none_or(|b| criterion < b.1) {
            best = Some((epoch, criterion, weights::snapshot(varmap)?));
            since_best = 0;
        } else {
            since_best += 1;
            if valid_loss.is_some() && since_best >= run.patience {
                break;
            }
        }
    }
    if run.keep_last {
        return Ok((epochs, epochs, None));
    }
    match best {
        Some((epoch, loss, snap)) => {
            weights::restore(varmap, &snap)?;
            Ok((epochs, epoch, e.validates().then_some(round6(loss))))
        }
        None => Ok((epochs, 0, None)),
    }
}
