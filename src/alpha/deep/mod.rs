//! The deep models — `dmfm` (Wei, Dai & Lin, "Factor Investing with a Deep
//! Multi-Factor Model") and its baselines `mlp` and `mgat` — trained
//! walk-forward inside the simulation (docs/dmfm.md); `e2eai` (the
//! authors' end-to-end follow-up, docs/e2eai.md) in [`e2eai`], built from
//! the same layers and ops.
//!
//! `observe` stores cross-sections (see [`super::samples`]); `fit` (the
//! retrain timer) labels the ones whose horizons have elapsed, splits them
//! into training / embargo / validation dates, and trains with AdamW on
//! batches of dates, keeping the epoch with the best validation loss (early
//! stopping; the window protocol and the epoch loop are
//! [`super::walk_forward`]'s, shared with `e2eai` and the sequence models);
//! `score` runs the kept network on today's cross-section and returns the
//! deep factor of the `score_horizon` head.
//!
//! Design notes:
//! - Determinism: every variable is initialised from a ChaCha RNG seeded by
//!   the seed and the window number, in sorted-name order (candle's own init
//!   is unseeded and `VarMap` iteration order varies per process); batches
//!   are shuffled by the same RNG; no dropout. candle's CPU kernels give the
//!   same bits for the same inputs, so the same spec and seed give the same
//!   scores, weights and report.
//! - Only samples whose longest horizon ended on or before the last close
//!   known at the retrain are labelled: no label reaches past the retrain.
//! - Each window is trained from a fresh seeded init unless
//!   `train.warm_start`, which continues from the previous window's best weights.

pub mod e2eai;
#[cfg(test)]
mod fused_vs_plain;
mod init;
pub mod layers;
pub mod loss;
pub mod ops;

pub use super::walk_forward::{TrainEvent, TrainProgress};
pub use e2eai::E2eaiModel;
pub use layers::{Arch, HeadActivation, IndustryGatMode};

use super::interpret::{
    round6, within_date_corr, HeadInterpretation, Interpretation, WindowInterpretation,
};
use super::model::AlphaModel;
use super::samples::{cross_section, zscore_columns, Labelled, Sample, SampleOptions, SampleStore};
use super::walk_forward::epochs::{self, Epochs};
use super::walk_forward::{self as wf, weights, MapCandleError, Trained, Walk, WalkForward};
use crate::context::Context;
use crate::data::{Date, SymbolId};
use crate::spec::{DeepConfig, LabelNorm, StopOn};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use layers::{matrix, Network};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// A prepared date: tensors on the device.
#[derive(Clone)]
pub(crate) struct Batch {
    x: Tensor,
    returns: Tensor,
    blocks: Vec<(usize, usize)>,
}

/// `mlp`, `mgat` or `dmfm`.
pub struct DeepModel {
    walk: Walk,
    arch: Arch,
    cfg: DeepConfig,
    columns: Vec<usize>,
    device: Device,
    varmap: VarMap,
    net: Network,
    store: SampleStore,
    score_head: usize,
}

impl std::fmt::Debug for DeepModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepModel")
            .field("walk", &self.walk)
            .finish_non_exhaustive()
    }
}

impl DeepModel {
    /// A model over factor `columns` (with their names).
    pub fn new(
        arch: Arch,
        cfg: DeepConfig,
        columns: Vec<usize>,
        factor_names: Vec<String>,
        seed: u64,
    ) -> Result<Self> {
        let name = match arch {
            Arch::Mlp => "mlp",
            Arch::Mgat => "mgat",
            Arch::Dmfm => "dmfm",
        };
        if columns.is_empty() {
            return Err(Error::Run(format!(
                "model `{name}` needs factors, but the bundle has no factors.csv"
            )));
        }
        wf::set_threads(cfg.train.threads);
        let device = Device::Cpu;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let net = Network::new(
            arch,
            columns.len(),
            cfg.hidden,
            cfg.horizons.len(),
            cfg.gat_heads,
            cfg.industry_gat,
            cfg.head_activation,
            vb,
        )
        .map_candle_err()?;
        let score_head = crate::alpha::samples::score_head(&cfg.horizons, cfg.score_horizon);
        let dirs = [cfg.load_weights.clone(), cfg.save_weights.clone()];
        let walk = Walk::new(name, factor_names, seed, &cfg.train, dirs, WEIGHTS_MATCH);
        let mut model = DeepModel {
            walk,
            arch,
            cfg,
            columns,
            device,
            varmap,
            net,
            store: SampleStore::default(),
            score_head,
        };
        model.init_weights(0)?;
        Ok(model)
    }

    /// Sets the per-epoch progress callback.
    pub fn with_progress(mut self, progress: TrainProgress) -> Self {
        self.walk.progress = Some(progress);
        self
    }

    /// All variables, sorted by name.
    fn vars(&self) -> Vec<(String, Var)> {
        weights::sorted_vars(&self.varmap)
    }

    /// Copies of the weights (tests: before / after a training).
    #[cfg(test)]
    fn snapshot(&self) -> Result<Vec<Tensor>> {
        weights::snapshot(&self.varmap)
    }

    /// Saves the current weights (safetensors).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        weights::save(&self.varmap, path)
    }

    /// Loads weights saved by [`DeepModel::save`] (same architecture and factors).
    pub fn load(&mut self, path: &std::path::Path) -> Result<()> {
        self.walk.load(&mut self.varmap, path)
    }

    fn prepare(&self, store: &SampleStore, l: &Labelled) -> Result<Batch> {
        let s = &store.samples[l.sample];
        let k = self.cfg.horizons.len();
        let mut r = l.returns.clone();
        if self.cfg.label == LabelNorm::Zscore {
            zscore_columns(&mut r, k);
        }
        Ok(Batch {
            x: matrix(&s.x, s.n(), self.columns.len(), &self.device).map_candle_err()?,
            returns: matrix(&r, s.n(), k, &self.device).map_candle_err()?,
            blocks: s.blocks(),
        })
    }

    fn batch_loss(&self, batch: &[&Batch], train: bool) -> Result<(Tensor, [f32; 3])> {
        let outs = batch
            .iter()
            .map(|b| self.net.forward(&b.x, &b.blocks, train))
            .collect::<candle_core::Result<Vec<_>>>()
            .map_candle_err()?;
        let terms: Vec<loss::DateTerms<'_>> = outs
            .iter()
            .zip(batch)
            .map(|(o, b)| loss::DateTerms {
                f: &o.f,
                fhat: o.fhat.as_ref(),
                returns: &b.returns,
            })
            .collect();
        loss::batch_loss(&terms, &self.cfg.loss).map_candle_err()
    }

    /// The return terms of a loss from its logged parts [distance, β, ICIR]
    /// (each already averaged over heads): −b·β − c·ICIR.
    fn returns_part(&self, parts: [f32; 3]) -> f64 {
        let w = &self.cfg.loss;
        -w.factor_return * f64::from(parts[1]) - w.icir * f64::from(parts[2])
    }

    /// The mean over `dates` of the per-date Pearson IC between the score
    /// head's deep factor (eval mode) and its label column (the
    /// `score_horizon` forward return, normalised as trained); dates where
    /// the IC is undefined (constant factor) count as 0.
    fn score_head_ic(&self, dates: &[Batch]) -> Result<f64> {
        let mut sum = 0.0;
        for b in dates {
            let out = self.net.forward(&b.x, &b.blocks, false).map_candle_err()?;
            let f: Vec<Vec<f32>> = out.f.to_vec2().map_candle_err()?;
            let r: Vec<Vec<f32>> = b.returns.to_vec2().map_candle_err()?;
            let x: Vec<f64> = f
                .iter()
                .map(|row| f64::from(row[self.score_head]))
                .collect();
            let y: Vec<f64> = r
                .iter()
                .map(|row| f64::from(row[self.score_head]))
                .collect();
            let ic = crate::metrics::pearson(&x, &y);
            sum += if ic.is_finite() { ic } else { 0.0 };
        }
        Ok(sum / dates.len().max(1) as f64)
    }

    /// Trains one window; returns (epochs run, best epoch, best validation loss).
    fn train(
        &mut self,
        train: &[Batch],
        valid: &[Batch],
        as_of: Date,
        window: usize,
    ) -> Result<Trained> {
        self.train_with(train, valid, as_of, window, None)
    }

    /// [`Self::train`], or with `fixed = Some(e)` exactly `e` epochs on
    /// `train` (no validation), keeping the last epoch's weights (the refit).
    fn train_with(
        &mut self,
        train: &[Batch],
        valid: &[Batch],
        as_of: Date,
        window: usize,
        fixed: Option<usize>,
    ) -> Result<Trained> {
        let t = &self.cfg.train;
        let params = ParamsAdamW {
            lr: t.lr,
            weight_decay: t.weight_decay,
            ..ParamsAdamW::default()
        };
        let trainable: Vec<Var> = self
            .vars()
            .into_iter()
            .filter(|(n, _)| !n.ends_with("running_mean") && !n.ends_with("running_var"))
            .map(|(_, v)| v)
            .collect();
        let run = epochs::Run {
            name: &self.walk.name,
            as_of,
            window,
            seed: self.walk.seed,
            epochs: fixed.unwrap_or(t.epochs),
            patience: t.patience,
            keep_last: fixed.is_some(),
        };
        let opt = AdamW::new(trainable, params).map_candle_err()?;
        let mut progress = self.walk.progress.take();
        let mut e = DeepEpochs {
            model: self,
            opt,
            train,
            valid,
            order: (0..train.len()).collect(),
        };
        let trained = epochs::run(&mut e, &self.varmap, &run, &mut progress);
        self.walk.progress = progress;
        trained
    }

    /// Mean attention per factor, R² and within-date correlation of f̂ per head over `dates`.
    fn interpret(&self, dates: &[Batch]) -> Result<Vec<HeadInterpretation>> {
        if self.arch != Arch::Dmfm || dates.is_empty() {
            return Ok(Vec::new());
        }
        let (k, m) = (self.cfg.horizons.len(), self.columns.len());
        let mut att = vec![0f64; k * m];
        let (mut ss_res, mut ss_tot) = (vec![0f64; k], vec![0f64; k]);
        // within-date cross products of the demeaned f and f̂ (for the correlation)
        let (mut s_fh, mut s_hh) = (vec![0f64; k], vec![0f64; k]);
        for b in dates {
            let out = self.net.forward(&b.x, &b.blocks, false).map_candle_err()?;
            let a: Vec<Vec<f32>> = out.attention.expect("dmfm").to_vec2().map_candle_err()?;
            for (kk, row) in a.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    att[kk * m + j] += f64::from(*v) / dates.len() as f64;
                }
            }
            let f: Vec<Vec<f32>> = out.f.to_vec2().map_candle_err()?;
            let fh: Vec<Vec<f32>> = out.fhat.expect("dmfm").to_vec2().map_candle_err()?;
            for kk in 0..k {
                let mean = f.iter().map(|r| f64::from(r[kk])).sum::<f64>() / f.len() as f64;
                let mean_h = fh.iter().map(|r| f64::from(r[kk])).sum::<f64>() / fh.len() as f64;
                for (r, rh) in f.iter().zip(&fh) {
                    let (x, y) = (f64::from(r[kk]), f64::from(rh[kk]));
                    ss_res[kk] += (x - y).powi(2);
                    ss_tot[kk] += (x - mean).powi(2);
                    s_fh[kk] += (x - mean) * (y - mean_h);
                    s_hh[kk] += (y - mean_h).powi(2);
                }
            }
        }
        let (groups, group_index) = Interpretation::groups_of(&self.walk.factor_names);
        Ok((0..k)
            .map(|kk| {
                let fa: Vec<f64> = att[kk * m..(kk + 1) * m].to_vec();
                let mut ga = vec![0f64; groups.len()];
                for (j, v) in fa.iter().enumerate() {
                    ga[group_index[j]] += v;
                }
                let corr = within_date_corr(s_fh[kk], ss_tot[kk], s_hh[kk]);
                HeadInterpretation {
                    horizon: self.cfg.horizons[kk],
                    factor_attention: fa.into_iter().map(round6).collect(),
                    group_attention: ga.into_iter().map(round6).collect(),
                    r2: round6(if ss_tot[kk] > 0.0 {
                        1.0 - ss_res[kk] / ss_tot[kk]
                    } else {
                        f64::NAN
                    }),
                    corr: round6(corr),
                    r2_fit: round6(corr * corr),
                }
            })
            .collect())
    }

    /// Forward on one sample in eval mode: the score head per row.
    fn score_sample(&self, s: &Sample) -> Result<Vec<f64>> {
        let x = matrix(&s.x, s.n(), self.columns.len(), &self.device).map_candle_err()?;
        let out = self.net.forward(&x, &s.blocks(), false).map_candle_err()?;
        let f: Vec<Vec<f32>> = out.f.to_vec2().map_candle_err()?;
        Ok(f.iter().map(|r| f64::from(r[self.score_head])).collect())
    }
}

/// What must match for saved weights to load.
const WEIGHTS_MATCH: &str = "model, factors and hidden size";

/// One window's training of a [`DeepModel`]: AdamW on shuffled batches of
/// `batch_dates` dates.
struct DeepEpochs<'a> {
    model: &'a DeepModel,
    opt: AdamW,
    train: &'a [Batch],
    valid: &'a [Batch],
    /// The training dates' order, reshuffled in place every epoch.
    order: Vec<usize>,
}

impl Epochs for DeepEpochs<'_> {
    fn train_epoch(&mut self, rng: &mut ChaCha8Rng) -> Result<f64> {
        let (m, t) = (self.model, &self.model.cfg.train);
        self.order.shuffle(rng);
        let (mut total, mut total_returns, mut steps) = (0.0, 0.0, 0usize);
        for chunk in self.order.chunks(t.batch_dates) {
            let batch: Vec<&Batch> = chunk.iter().map(|&i| &self.train[i]).collect();
            let (loss, parts) = m.batch_loss(&batch, true)?;
            total += f64::from(loss.to_scalar::<f32>().map_candle_err()?);
            total_returns += m.returns_part(parts);
            steps += 1;
            self.opt.backward_step(&loss).map_candle_err()?;
        }
        Ok(match t.stop_on {
            StopOn::Loss => total,
            StopOn::Returns | StopOn::ScoreIc => total_returns,
        } / steps.max(1) as f64)
    }

    fn validates(&self) -> bool {
        !self.valid.is_empty()
    }

    fn valid_loss(&mut self) -> Result<f64> {
        let m = self.model;
        let stop_on = m.cfg.train.stop_on;
        if stop_on == StopOn::ScoreIc {
            return Ok(-m.score_head_ic(self.valid)?);
        }
        let batch: Vec<&Batch> = self.valid.iter().collect();
        let (loss, parts) = m.batch_loss(&batch, false)?;
        let loss = f64::from(loss.to_scalar::<f32>().map_candle_err()?);
        Ok(match stop_on {
            StopOn::Loss => loss,
            _ => m.returns_part(parts),
        })
    }
}

/// A window's prepared (training, validation) dates.
type Dates = (Vec<Batch>, Vec<Batch>);

impl WalkForward for DeepModel {
    type Dates<'a> = Dates;

    fn state(&mut self) -> (&mut Walk, &mut VarMap) {
        (&mut self.walk, &mut self.varmap)
    }

    /// Seeded initialisation (see [`init::init_seeded`]).
    fn init_weights(&mut self, window: u64) -> Result<()> {
        init::init_seeded(&self.varmap, &self.device, self.walk.seed, window)
    }

    fn train_window(
        &mut self,
        (train, valid): &Dates,
        as_of: Date,
        window: usize,
        refit: Option<usize>,
    ) -> Result<Trained> {
        match refit {
            None => self.train(train, valid, as_of, window),
            Some(e) => {
                let all: Vec<Batch> = train.iter().chain(valid).cloned().collect();
                self.train_with(&all, &[], as_of, window, Some(e))
            }
        }
    }

    fn interpret(&self, (train, valid): &Dates, w: &mut WindowInterpretation) -> Result<()> {
        w.heads = DeepModel::interpret(self, if valid.is_empty() { train } else { valid })?;
        Ok(())
    }
}

impl AlphaModel for DeepModel {
    fn name(&self) -> &str {
        &self.walk.name
    }

    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        super::samples::is_sample_day(day, self.cfg.samples.every_days)
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.store.observe(ctx, &self.columns, &self.cfg.samples);
        Ok(())
    }

    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        let store = std::mem::take(&mut self.store);
        let split = store.split(
            ctx,
            &self.cfg.horizons,
            &SampleOptions::from(&self.cfg.samples),
        );
        let prepare = |ls: &[Labelled]| -> Result<Vec<Batch>> {
            ls.iter().map(|l| self.prepare(&store, l)).collect()
        };
        let (train, valid) = (prepare(&split.train), prepare(&split.valid));
        self.store = store;
        wf::fit_window(self, &(train?, valid?), ctx.date())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        if !self.walk.fitted || universe.is_empty() {
            return Ok(vec![f64::NAN; universe.len()]);
        }
        let s = cross_section(ctx, universe, &self.columns, self.cfg.samples.inputs);
        let scores = self.score_sample(&s)?;
        Ok(s.in_universe_order(universe, scores))
    }

    fn interpretation(&self) -> Option<Interpretation> {
        Some(self.walk.interpretation())
    }
}

#[cfg(test)]
mod tests;
