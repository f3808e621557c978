//! The walk-forward window protocol shared by the trained candle models
//! (`dmfm` / `mlp` / `mgat`, `e2eai`, `gru` / `alstm`): at each retrain,
//! load or train (warm or seeded start), refit, save, record the window.
//!
//! A model implements [`WalkForward`] (its prepared dates, its init and
//! one window's training, usually through [`epochs::run`]); [`fit_window`]
//! is the rest, the same for every model:
//! - `load_weights`: the window's saved weights, no training;
//! - no labelled training dates yet: skipped, the previous weights kept;
//! - else a fresh init seeded by the seed and the window number (or, with
//!   `train.warm_start` once a window trained, the previous weights), the
//!   epoch loop with early stopping, then with `train.refit` the chosen
//!   number of epochs again from the same start on the training and
//!   validation dates; `save_weights` saves the result;
//! - the window's record ([`WindowInterpretation`]) is pushed last.

pub mod epochs;
pub mod weights;

use super::interpret::WindowInterpretation;
use crate::data::Date;
use crate::spec::TrainConfig;
use crate::{Error, Result};
use candle_nn::VarMap;
use std::path::PathBuf;

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

/// The protocol settings of a model (owned copies of its spec's).
pub(crate) struct Settings {
    /// The model's name (weights files, progress events).
    pub name: String,
    pub train: TrainConfig,
    pub load_weights: Option<PathBuf>,
    pub save_weights: Option<PathBuf>,
    /// What must match for saved weights to load (in the load error).
    pub weights_match: &'static str,
}

/// A model trained window by window with [`fit_window`].
pub(crate) trait WalkForward {
    /// The labelled training and validation dates of one window, prepared.
    type Dates<'a>;
    fn settings(&self) -> Settings;
    /// The numbers of (training, validation) dates.
    fn counts(dates: &Self::Dates<'_>) -> (usize, usize);
    fn varmap(&mut self) -> &mut VarMap;
    /// Whether some window has trained or loaded weights (scores exist).
    fn fitted(&mut self) -> &mut bool;
    /// The windows' records so far.
    fn windows(&mut self) -> &mut Vec<WindowInterpretation>;
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
    let s = m.settings();
    let window = m.windows().len() + 1;
    let (train_dates, valid_dates) = M::counts(dates);
    let mut w = WindowInterpretation {
        as_of: as_of.to_string(),
        train_dates,
        valid_dates,
        ..Default::default()
    };
    if let Some(dir) = &s.load_weights {
        let path = weights::path_of(dir, &s.name, as_of);
        weights::load(m.varmap(), &path, &s.name, s.weights_match)?;
        *m.fitted() = true;
        w.status = "loaded".into();
    } else if train_dates == 0 {
        w.status = if *m.fitted() {
            "skipped: no labelled training dates yet; previous weights kept".into()
        } else {
            "skipped: no labelled training dates yet; no scores until a window trains".into()
        };
    } else {
        let warm = s.train.warm_start && *m.fitted();
        let start = if warm && s.train.refit {
            Some(weights::snapshot(m.varmap())?)
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
        *m.fitted() = best_epoch > 0;
        if s.train.refit && best_epoch > 0 && valid_dates > 0 {
            // data parity with `linear`: the chosen number of epochs again,
            // from the same start, on the training and validation dates
            match &start {
                Some(snap) => weights::restore(m.varmap(), snap)?,
                None => m.init_weights(window as u64)?,
            }
            m.train_window(dates, as_of, window, Some(best_epoch))?;
            let all = train_dates + valid_dates;
            w.status = format!("{}, refit on {all} dates", w.status);
        }
        if let Some(dir) = &s.save_weights {
            weights::save(m.varmap(), &weights::path_of(dir, &s.name, as_of))?;
        }
    }
    if *m.fitted() {
        m.interpret(dates, &mut w)?;
    }
    m.windows().push(w);
    Ok(())
}
