//! The sequence models `gru` and `alstm` (docs/sequence.md): a recurrent
//! network over each stock's last `window` trading days of price-volume
//! features, trained walk-forward like the deep models.
//!
//! `observe` records every traded bar ([`window::BarHistory`], one row per
//! stock and traded day) and, on sample days, which stocks were candidates
//! ([`super::samples::SampleStore`] without factor values); `fit` labels the
//! samples whose horizons have elapsed, splits them (expanding window,
//! embargo, validation), and trains ([`train`]); the `T × n × F` input of a
//! date is built from the history whenever it is needed, never stored.
//! `score` runs the kept network on today's candidates.
//!
//! - [`window`]: the bar history and the input features;
//! - [`net`]: the two networks; [`ops`]: the fused recurrent layers;
//! - [`train`]: init, the training loop (shared conventions with `deep`).

pub mod net;
pub mod ops;
mod train;
pub mod window;

pub use net::{SeqArch, SeqNet, SeqSizes};
pub use window::BarHistory;

use super::interpret::{Interpretation, WindowInterpretation};
use super::model::AlphaModel;
use super::samples::{zscore_columns, Labelled, SampleOptions, SampleStore};
use crate::alpha::deep::TrainProgress;
use crate::context::Context;
use crate::data::{Date, DayIndex, SymbolId};
use crate::spec::{LabelNorm, SeqConfig};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use std::path::{Path, PathBuf};
use train::candle_err;

/// `gru` or `alstm`.
pub struct SeqModel {
    arch: SeqArch,
    cfg: SeqConfig,
    columns: Vec<usize>,
    factor_names: Vec<String>,
    device: Device,
    varmap: VarMap,
    net: SeqNet,
    fitted: bool,
    store: SampleStore,
    history: BarHistory,
    seed: u64,
    windows: Vec<WindowInterpretation>,
    progress: Option<TrainProgress>,
    score_head: usize,
}

impl std::fmt::Debug for SeqModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqModel")
            .field("arch", &self.arch)
            .field("fitted", &self.fitted)
            .finish_non_exhaustive()
    }
}

/// The labelled dates of one fit, their inputs built on demand.
struct FitDates<'a> {
    model: &'a SeqModel,
    store: &'a SampleStore,
    train: Vec<(usize, Tensor)>,
    valid: Vec<(usize, Tensor)>,
}

impl train::Dates for FitDates<'_> {
    fn output(&self, train: bool, i: usize, grad: bool) -> Result<Tensor> {
        let set = if train { &self.train } else { &self.valid };
        let s = &self.store.samples[set[i].0];
        let f = self.model.forward(s.day, &s.symbols, grad)?;
        Ok(if grad { f } else { f.detach() })
    }
    fn returns(&self, train: bool, i: usize) -> Tensor {
        let set = if train { &self.train } else { &self.valid };
        set[i].1.clone()
    }
}

impl SeqModel {
    /// A model over the factor `columns` (with their names; may be empty).
    pub fn new(
        arch: SeqArch,
        cfg: SeqConfig,
        columns: Vec<usize>,
        factor_names: Vec<String>,
        seed: u64,
    ) -> Result<Self> {
        // candle's thread count is process-wide (see `deep::DeepModel::new`).
        std::env::set_var("RAYON_NUM_THREADS", cfg.train.threads.to_string());
        std::env::set_var("CANDLE_NUM_THREADS", cfg.train.threads.to_string());
        let device = Device::Cpu;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let history = BarHistory::new(cfg.window as usize, columns.len());
        let sizes = SeqSizes {
            features: history.features(),
            hidden: cfg.hidden.unwrap_or(arch.default_hidden()),
            layers: cfg.layers,
            dense: cfg.dense,
            heads: cfg.horizons.len(),
        };
        let net = SeqNet::new(arch, sizes, vb).map_err(candle_err)?;
        let score_head = crate::alpha::samples::score_head(&cfg.horizons, cfg.score_horizon);
        let seed = cfg.train.seed.unwrap_or(seed);
        let model = SeqModel {
            arch,
            cfg,
            columns,
            factor_names,
            device,
            varmap,
            net,
            fitted: false,
            store: SampleStore::default(),
            history,
            seed,
            windows: Vec::new(),
            progress: None,
            score_head,
        };
        train::init_vars(&model.varmap, model.seed, 0, sizes.hidden)?;
        Ok(model)
    }

    /// Sets the per-epoch progress callback.
    pub fn with_progress(mut self, progress: TrainProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The network output (n × K) for `symbols` at day `t`, the input built
    /// from the history now.
    fn forward(&self, t: DayIndex, symbols: &[SymbolId], train: bool) -> Result<Tensor> {
        let x = self.history.build(t, symbols);
        let shape = (
            self.cfg.window as usize,
            symbols.len(),
            self.history.features(),
        );
        let x = Tensor::from_vec(x, shape, &self.device).map_err(candle_err)?;
        self.net.forward(&x, train, true).map_err(candle_err)
    }

    fn weights_path(&self, dir: &Path, as_of: Date) -> PathBuf {
        dir.join(format!("{}-{}.safetensors", self.arch.name(), as_of))
    }

    /// Saves the current weights (safetensors).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        self.varmap
            .save(path)
            .map_err(|e| Error::Run(format!("saving weights to {}: {e}", path.display())))
    }

    /// Loads weights saved by [`SeqModel::save`] (same architecture, sizes and factors).
    pub fn load(&mut self, path: &Path) -> Result<()> {
        if !path.is_file() {
            return Err(Error::Run(format!(
                "model `{}`: no weights file {}; run `alphasim train` with the same spec first, or remove `load_weights`",
                self.arch.name(),
                path.display()
            )));
        }
        self.varmap.load(path).map_err(|e| {
            Error::Run(format!(
                "loading weights from {}: {e} (was it saved by the same model, window, factors, hidden size and layers?)",
                path.display()
            ))
        })?;
        self.fitted = true;
        Ok(())
    }

    fn labels(&self, l: &Labelled, n: usize) -> Result<Tensor> {
        let k = self.cfg.horizons.len();
        let mut r = l.returns.clone();
        if self.cfg.label == LabelNorm::Zscore {
            zscore_columns(&mut r, k);
        }
        Tensor::from_vec(r, (n, k), &self.device).map_err(candle_err)
    }

    fn sample_options(&self) -> SampleOptions {
        SampleOptions {
            sample_every_days: self.cfg.samples.every_days,
            validation_months: self.cfg.samples.validation_months,
            embargo_months: self.cfg.samples.embargo_months,
        }
    }

    /// Scores `symbols` at day `t` (eval mode): the score head per symbol.
    pub fn score_at(&self, t: DayIndex, symbols: &[SymbolId]) -> Result<Vec<f64>> {
        let f = self.forward(t, symbols, false)?;
        let f: Vec<Vec<f32>> = f.to_vec2().map_err(candle_err)?;
        Ok(f.iter().map(|r| f64::from(r[self.score_head])).collect())
    }
}

impl AlphaModel for SeqModel {
    fn name(&self) -> &str {
        self.arch.name()
    }

    fn wants_factors(&self, _day: DayIndex) -> bool {
        !self.columns.is_empty()
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.history.observe(ctx, &self.columns);
        self.store.observe(ctx, &[], &self.cfg.samples);
        Ok(())
    }

    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        let as_of = ctx.date();
        let number = self.windows.len() + 1;
        let store = std::mem::take(&mut self.store);
        let split = store.split(ctx, &self.cfg.horizons, &self.sample_options());
        let labelled = |ls: &[Labelled]| -> Result<Vec<(usize, Tensor)>> {
            ls.iter()
                .map(|l| Ok((l.sample, self.labels(l, store.samples[l.sample].n())?)))
                .collect()
        };
        let (train_set, valid_set) = match (labelled(&split.train), labelled(&split.valid)) {
            (Ok(t), Ok(v)) => (t, v),
            (Err(e), _) | (_, Err(e)) => {
                self.store = store;
                return Err(e);
            }
        };
        let mut w = WindowInterpretation {
            as_of: as_of.to_string(),
            train_dates: train_set.len(),
            valid_dates: valid_set.len(),
            ..Default::default()
        };
        let result = self.fit_window(&store, train_set, valid_set, as_of, number, &mut w);
        self.store = store;
        result?;
        self.windows.push(w);
        Ok(())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        if !self.fitted || universe.is_empty() {
            return Ok(vec![f64::NAN; universe.len()]);
        }
        self.score_at(ctx.day(), universe)
    }

    fn interpretation(&self) -> Option<Interpretation> {
        Some(Interpretation {
            model: self.arch.name().to_owned(),
            factors: self.factor_names.clone(),
            groups: Interpretation::groups_of(&self.factor_names).0,
            windows: self.windows.clone(),
        })
    }
}

impl SeqModel {
    fn fit_window(
        &mut self,
        store: &SampleStore,
        train_set: Vec<(usize, Tensor)>,
        valid_set: Vec<(usize, Tensor)>,
        as_of: Date,
        number: usize,
        w: &mut WindowInterpretation,
    ) -> Result<()> {
        if let Some(dir) = self.cfg.load_weights.clone() {
            let path = self.weights_path(&dir, as_of);
            self.load(&path)?;
            w.status = "loaded".into();
            return Ok(());
        }
        if train_set.is_empty() {
            w.status = if self.fitted {
                "skipped: no labelled training dates yet; previous weights kept".into()
            } else {
                "skipped: no labelled training dates yet; no scores until a window trains".into()
            };
            return Ok(());
        }
        let warm = self.cfg.train.warm_start && self.fitted;
        if !warm {
            let hidden = self.net.sizes().hidden;
            train::init_vars(&self.varmap, self.seed, number as u64, hidden)?;
        }
        let win = train::Window {
            name: self.arch.name(),
            as_of,
            number,
            seed: self.seed,
            train_dates: train_set.len(),
            valid_dates: valid_set.len(),
        };
        let mut progress = self.progress.take();
        let dates = FitDates {
            model: self,
            store,
            train: train_set,
            valid: valid_set,
        };
        let trained = train::train_window(
            &self.varmap,
            &self.cfg.train,
            &self.cfg.loss,
            &win,
            &mut progress,
            &dates,
        );
        self.progress = progress;
        let (epochs, best_epoch, best_valid) = trained?;
        w.epochs = epochs;
        w.best_epoch = best_epoch;
        w.best_valid_loss = best_valid;
        w.status = if warm { "warm-started" } else { "trained" }.into();
        self.fitted = best_epoch > 0;
        if let Some(dir) = self.cfg.save_weights.clone() {
            self.save(&self.weights_path(&dir, as_of))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
