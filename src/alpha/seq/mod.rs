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
//! - [`train`]: init and one epoch (shared conventions with `deep`); the
//!   window protocol and the epoch loop are [`super::walk_forward`]'s.

pub mod net;
pub mod ops;
mod train;
pub mod window;

pub use net::{SeqArch, SeqNet, SeqSizes};
pub use window::BarHistory;

use super::interpret::Interpretation;
use super::model::AlphaModel;
use super::samples::{zscore_columns, Labelled, SampleOptions, SampleStore, Split};
use super::walk_forward::{self as wf, epochs, weights, Trained, Walk, WalkForward, WindowDates};
use crate::alpha::deep::TrainProgress;
use crate::context::Context;
use crate::data::{Date, DayIndex, SymbolId};
use crate::spec::{LabelNorm, SeqConfig};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use std::path::Path;
use train::candle_err;

/// `gru` or `alstm`.
pub struct SeqModel {
    walk: Walk,
    arch: SeqArch,
    cfg: SeqConfig,
    columns: Vec<usize>,
    device: Device,
    varmap: VarMap,
    net: SeqNet,
    store: SampleStore,
    history: BarHistory,
    score_head: usize,
}

impl std::fmt::Debug for SeqModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqModel")
            .field("walk", &self.walk)
            .finish_non_exhaustive()
    }
}

/// The labelled (sample, labels) dates of one window.
pub(crate) struct Labels<'a> {
    store: &'a SampleStore,
    train: Vec<(usize, Tensor)>,
    valid: Vec<(usize, Tensor)>,
}

/// The labelled dates of one window, their inputs built on demand.
struct FitDates<'a> {
    model: &'a SeqModel,
    store: &'a SampleStore,
    train: &'a [(usize, Tensor)],
    valid: &'a [(usize, Tensor)],
}

impl train::Dates for FitDates<'_> {
    fn output(&self, train: bool, i: usize, grad: bool) -> Result<Tensor> {
        let set = if train { self.train } else { self.valid };
        let s = &self.store.samples[set[i].0];
        let f = self.model.forward(s.day, &s.symbols, grad)?;
        Ok(if grad { f } else { f.detach() })
    }
    fn returns(&self, train: bool, i: usize) -> Tensor {
        let set = if train { self.train } else { self.valid };
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
        wf::set_threads(cfg.train.threads);
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
        let dirs = [cfg.load_weights.clone(), cfg.save_weights.clone()];
        let walk = Walk::new(
            arch.name(),
            factor_names,
            seed,
            &cfg.train,
            dirs,
            WEIGHTS_MATCH,
        );
        let model = SeqModel {
            walk,
            arch,
            cfg,
            columns,
            device,
            varmap,
            net,
            store: SampleStore::default(),
            history,
            score_head,
        };
        train::init_vars(&model.varmap, model.walk.seed, 0, sizes.hidden)?;
        Ok(model)
    }

    /// Sets the per-epoch progress callback.
    pub fn with_progress(mut self, progress: TrainProgress) -> Self {
        self.walk.progress = Some(progress);
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

    /// Saves the current weights (safetensors).
    pub fn save(&self, path: &Path) -> Result<()> {
        weights::save(&self.varmap, path)
    }

    /// Loads weights saved by [`SeqModel::save`] (same architecture, sizes and factors).
    pub fn load(&mut self, path: &Path) -> Result<()> {
        self.walk.load(&mut self.varmap, path)
    }

    fn labels(&self, l: &Labelled, n: usize) -> Result<Tensor> {
        let k = self.cfg.horizons.len();
        let mut r = l.returns.clone();
        if self.cfg.label == LabelNorm::Zscore {
            zscore_columns(&mut r, k);
        }
        Tensor::from_vec(r, (n, k), &self.device).map_err(candle_err)
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
        let store = std::mem::take(&mut self.store);
        let split = store.split(
            ctx,
            &self.cfg.horizons,
            &SampleOptions::from(&self.cfg.samples),
        );
        let result = self.fit_split(&store, &split, ctx.date());
        self.store = store;
        result
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        if !self.walk.fitted || universe.is_empty() {
            return Ok(vec![f64::NAN; universe.len()]);
        }
        self.score_at(ctx.day(), universe)
    }

    fn interpretation(&self) -> Option<Interpretation> {
        Some(self.walk.interpretation())
    }
}

impl SeqModel {
    /// Labels the `split` of `store` and fits the window at `as_of`.
    fn fit_split(&mut self, store: &SampleStore, split: &Split, as_of: Date) -> Result<()> {
        let labelled = |ls: &[Labelled]| -> Result<Vec<(usize, Tensor)>> {
            ls.iter()
                .map(|l| Ok((l.sample, self.labels(l, store.samples[l.sample].n())?)))
                .collect()
        };
        let (train, valid) = (labelled(&split.train)?, labelled(&split.valid)?);
        let dates = Labels {
            store,
            train,
            valid,
        };
        wf::fit_window(self, &dates, as_of)
    }
}

/// What must match for saved weights to load.
const WEIGHTS_MATCH: &str = "model, window, factors, hidden size and layers";

impl WindowDates for Labels<'_> {
    fn counts(&self) -> (usize, usize) {
        (self.train.len(), self.valid.len())
    }
}

impl WalkForward for SeqModel {
    type Dates<'a> = Labels<'a>;

    fn state(&mut self) -> (&mut Walk, &mut VarMap) {
        (&mut self.walk, &mut self.varmap)
    }

    fn init_weights(&mut self, window: u64) -> Result<()> {
        train::init_vars(
            &self.varmap,
            self.walk.seed,
            window,
            self.net.sizes().hidden,
        )
    }

    fn train_window(
        &mut self,
        dates: &Labels<'_>,
        as_of: Date,
        window: usize,
        refit: Option<usize>,
    ) -> Result<Trained> {
        if refit.is_some() {
            // the spec check refuses `train.refit` for the sequence models
            return Err(Error::Run(format!(
                "kind = \"{}\" does not support model.train.refit; remove it",
                self.arch.name()
            )));
        }
        let run = epochs::Run {
            name: self.arch.name(),
            as_of,
            window,
            seed: self.walk.seed,
            epochs: self.cfg.train.epochs,
            patience: self.cfg.train.patience,
            keep_last: false,
        };
        let mut progress = self.walk.progress.take();
        let fit = FitDates {
            model: self,
            store: dates.store,
            train: &dates.train,
            valid: &dates.valid,
        };
        let trained = train::SeqEpochs::new(
            &self.varmap,
            &self.cfg.train,
            &self.cfg.loss,
            &fit,
            dates.counts(),
        )
        .and_then(|mut e| epochs::run(&mut e, &self.varmap, &run, &mut progress));
        self.walk.progress = progress;
        trained
    }
}

#[cfg(test)]
mod tests;
