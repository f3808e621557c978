//! The walk-forward window protocol shared by the trained candle models
//! (`dmfm` / `mlp` / `mgat`, `e2eai`, `gru` / `alstm`): at each retrain,
//! load or train (warm or seeded start), refit, save, record the window.
//!
//! A model implements `WalkForward` (its prepared dates, its init and one
//! window's training, usually through `epochs::run`) and keeps a `Walk`;
//! `fit_window` is the rest, the same for every model:
//! - `load_weights`: the window's saved weights, no training;
//! - no labelled training dates yet: skipped, the previous weights kept;
//! - else a fresh init seeded by the seed and the window number (or, with
//!   `train.warm_start` once a window trained, the previous weights), the
//!   epoch loop with early stopping, then with `train.refit` the chosen
//!   number of epochs again from the same start on the training and
//!   validation dates; `save_weights` saves the result;
//! - the window's record ([`WindowInterpretation`]) is pushed last.

pub mod epochs;
#[cfg(test)]
mod tests;
pub mod weights;

use super::interpret::{Interpretation, WindowInterpretation};
use crate::data::Date;
use crate::spec::TrainConfig;
use crate::{Error, Result};
use candle_nn::VarMap;
use std::path::{Path, PathBuf};

/// One epoch finished (for progress bars).
#[derive(Debug, Clone)]
pub struct TrainEvent {
    pub model: String,
    /// The last close known at the retrain.
    pub as_of: Date,
    /// Window number (1-based).
    pub window: usize,
    pub epoch: usize,
    pub max_epochs: usize,
    pub train_loss: f64,
    pub valid_loss: Option<f64>,
}

/// Progress callback of the training loop.
pub type TrainProgress = Box<dyn FnMut(&TrainEvent) + Send>;

/// A candle error as the crate's (`Error::Run("model: …")`).
pub(crate) fn candle_err(e: candle_core::Error) -> Error {
    Error::Run(format!("model: {e}"))
}

/// Turns a candle result into the crate's (see [`candle_err`]).
pub(crate) trait MapCandleError<T> {
    fn map_candle_err(self) -> Result<T>;
}
impl<T> MapCandleError<T> for candle_core::Result<T> {
    fn map_candle_err(self) -> Result<T> {
        self.map_err(candle_err)
    }
}

/// Sets candle's thread count to `threads` (call before any tensor work).
///
/// The count is process-wide: gemm (and the fused ops) read
/// RAYON_NUM_THREADS at each call, but its element-wise pool and rayon's
/// global pool are sized once, at the first candle call of the process
/// (CANDLE_NUM_THREADS first, then RAYON_NUM_THREADS). Building the model
/// comes before any tensor work in the CLI, so setting both there takes
/// full effect; a later model with another count only changes gemm.
pub(crate) fn set_threads(threads: usize) {
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
}

/// What one window's training returned: (epochs run, best epoch — 0 when
/// none was kept —, best validation criterion rounded to 6 digits).
pub(crate) type Trained = (usize, usize, Option<f64>);

/// What every walk-forward model keeps besides its network and variables:
/// its protocol settings (copied from the spec at construction) and the
/// windows' records.
pub(crate) struct Walk {
    /// The model's name (weights files, progress events, interpretation).
    pub name: String,
    pub factor_names: Vec<String>,
    /// The seed of the inits and the batch order (`train.seed` or the spec's).
    pub seed: u64,
    warm_start: bool,
    refit: bool,
    load_weights: Option<PathBuf>,
    save_weights: Option<PathBuf>,
    /// What must match for saved weights to load (in the load error).
    weights_match: &'static str,
    /// Whether some window has trained or loaded weights (scores exist).
    pub fitted: bool,
    /// The windows' records so far.
    pub windows: Vec<WindowInterpretation>,
    pub progress: Option<TrainProgress>,
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk")
            .field("name", &self.name)
            .field("fitted", &self.fitted)
            .finish_non_exhaustive()
    }
}

impl Walk {
    /// The state of model `name` over `factor_names`, with the spec's
    /// `train` settings, weights folders and `seed` (unless `train.seed`);
    /// `weights_match` says what must match for saved weights to load.
    pub fn new(
        name: &str,
        factor_names: Vec<String>,
        seed: u64,
        train: &TrainConfig,
        [load_weights, save_weights]: [Option<PathBuf>; 2],
        weights_match: &'static str,
    ) -> Self {
        Walk {
            name: name.to_owned(),
            factor_names,
            seed: train.seed.unwrap_or(seed),
            warm_start: train.warm_start,
            refit: train.refit,
            load_weights,
            save_weights,
            weights_match,
            fitted: false,
            windows: Vec::new(),
            progress: None,
        }
    }

    /// Loads the weights at `path` into `varmap` (see [`weights::load`]).
    pub fn load(&mut self, varmap: &mut VarMap, path: &Path) -> Result<()> {
        weights::load(varmap, path, &self.name, self.weights_match)?;
        self.fitted = true;
        Ok(())
    }

    /// The model's interpretation: its factors, their groups and the windows.
    pub fn interpretation(&self) -> Interpretation {
        Interpretation {
            model: self.name.clone(),
            factors: self.factor_names.clone(),
            groups: Interpretation::groups_of(&self.factor_names).0,
            windows: self.windows.clone(),
        }
    }
}

/// A window's prepared dates.
pub(crate) trait WindowDates {
    /// The numbers of (training, validation) dates.
    fn counts(&self) -> (usize, usize);
}

/// (training, validation) dates.
impl<B> WindowDates for (Vec<B>, Vec<B>) {
    fn counts(&self) -> (usize, usize) {
        (self.0.len(), self.1.len())
    }
}

/// A model trained window by window with [`fit_window`].
pub(crate) trait WalkForward {
    /// The labelled training and validation dates of one window, prepared.
    type Dates<'a>: WindowDates;
    /// The protocol state and the variables.
    fn state(&mut self) -> (&mut Walk, &mut VarMap);
    /// The seeded initialisation of window `window` (0 at construction).
    fn init_weights(&mut self, window: u64) -> Result<()>;
    /// Trains window `window` on `dates`, keeping the best epoch; with
    /// `refit = Some(e)`, exactly `e` epochs on the training and validation
    /// dates together, keeping the last.
    fn train_window(
        &mut self,
        dates: &Self::Dates<'_>,
        as_of: Date,
        window: usize,
        refit: Option<usize>,
    ) -> Result<Trained>;
    /// Fills the window's interpretation (attention, R², gates) from the
    /// kept network on `dates`; nothing by default.
    fn interpret(&self, _dates: &Self::Dates<'_>, _w: &mut WindowInterpretation) -> Result<()> {
        Ok(())
    }
}

/// The retrain at `as_of` on the prepared `dates` (see the module doc).
pub(crate) fn fit_window<M: WalkForward>(
    m: &mut M,
    dates: &M::Dates<'_>,
    as_of: Date,
) -> Result<()> {
    let (train_dates, valid_dates) = dates.counts();
    let (walk, varmap) = m.state();
    let window = walk.windows.len() + 1;
    let path = |dir: &Option<PathBuf>| dir.as_ref().map(|d| weights::path_of(d, &walk.name, as_of));
    let (load, save) = (path(&walk.load_weights), path(&walk.save_weights));
    let mut w = WindowInterpretation {
        as_of: as_of.to_string(),
        train_dates,
        valid_dates,
        ..Default::default()
    };
    if let Some(path) = load {
        walk.load(varmap, &path)?;
        w.status = "loaded".into();
    } else if train_dates == 0 {
        w.status = if walk.fitted {
            "skipped: no labelled training dates yet; previous weights kept".into()
        } else {
            "skipped: no labelled training dates yet; no scores until a window trains".into()
        };
    } else {
        let (warm, refit) = (walk.warm_start && walk.fitted, walk.refit);
        let start = if warm && refit {
            Some(weights::snapshot(varmap)?)
        } else {
            None
        };
        if !warm {
            m.init_weights(window as u64)?;
        }
        let (epochs, best_epoch, best_valid) = m.train_window(dates, as_of, window, None)?;
        w.epochs = epochs;
        w.best_epoch = best_epoch;
        w.best_valid_loss = best_valid;
        w.status = if warm { "warm-started" } else { "trained" }.into();
        m.state().0.fitted = best_epoch > 0;
        if refit && best_epoch > 0 && valid_dates > 0 {
            // data parity with `linear`: the chosen number of epochs again,
            // from the same start, on the training and validation dates
            match &start {
                Some(snap) => weights::restore(m.state().1, snap)?,
                None => m.init_weights(window as u64)?,
            }
            m.train_window(dates, as_of, window, Some(best_epoch))?;
            let all = train_dates + valid_dates;
            w.status = format!("{}, refit on {all} dates", w.status);
        }
        if let Some(path) = save {
            weights::save(m.state().1, &path)?;
        }
    }
    if m.state().0.fitted {
        m.interpret(dates, &mut w)?;
    }
    m.state().0.windows.push(w);
    Ok(())
}
