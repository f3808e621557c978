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
//! stopping); `score` runs the kept network on today's cross-section and
//! returns the deep factor of the `score_horizon` head.
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
pub mod layers;
pub mod loss;
pub mod ops;
mod weights;

pub use e2eai::E2eaiModel;
pub use layers::{Arch, HeadActivation, IndustryGatMode};

use super::interpret::{
    round6, within_date_corr, HeadInterpretation, Interpretation, WindowInterpretation,
};
use super::model::AlphaModel;
use super::samples::{cross_section, zscore_columns, Labelled, Sample, SampleOptions, SampleStore};
use crate::context::Context;
use crate::data::{Date, SymbolId};
use crate::spec::{DeepConfig, LabelNorm, StopOn};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use layers::{matrix, Network};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
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

fn candle_err(e: candle_core::Error) -> Error {
    Error::Run(format!("model: {e}"))
}

/// Turns a candle result into the crate's (`Error::Run("model: …")`).
trait MapCandleError<T> {
    fn map_candle_err(self) -> Result<T>;
}
impl<T> MapCandleError<T> for candle_core::Result<T> {
    fn map_candle_err(self) -> Result<T> {
        self.map_err(candle_err)
    }
}

/// A prepared date: tensors on the device.
#[derive(Clone)]
struct Batch {
    x: Tensor,
    returns: Tensor,
    blocks: Vec<(usize, usize)>,
}

/// `mlp`, `mgat` or `dmfm`.
pub struct DeepModel {
    name: String,
    arch: Arch,
    cfg: DeepConfig,
    columns: Vec<usize>,
    factor_names: Vec<String>,
    device: Device,
    varmap: VarMap,
    net: Network,
    fitted: bool,
    store: SampleStore,
    seed: u64,
    windows: Vec<WindowInterpretation>,
    progress: Option<TrainProgress>,
    score_head: usize,
}

impl std::fmt::Debug for DeepModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepModel")
            .field("name", &self.name)
            .field("fitted", &self.fitted)
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
        }
        .to_owned();
        if columns.is_empty() {
            return Err(Error::Run(format!(
                "model `{name}` needs factors, but the bundle has no factors.csv"
            )));
        }
        // candle's thread count is process-wide: gemm (and the fused ops) read
        // RAYON_NUM_THREADS at each call, but its element-wise pool and rayon's
        // global pool are sized once, at the first candle call of the process
        // (CANDLE_NUM_THREADS first, then RAYON_NUM_THREADS). Building the model
        // comes before any tensor work in the CLI, so setting both here takes
        // full effect; a later model with another count only changes gemm.
        std::env::set_var("RAYON_NUM_THREADS", cfg.train.threads.to_string());
        std::env::set_var("CANDLE_NUM_THREADS", cfg.train.threads.to_string());
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
        let seed = cfg.train.seed.unwrap_or(seed);
        let mut model = DeepModel {
            name,
            arch,
            cfg,
            columns,
            factor_names,
            device,
            varmap,
            net,
            fitted: false,
            store: SampleStore::default(),
            seed,
            windows: Vec::new(),
            progress: None,
            score_head,
        };
        model.init_weights(0)?;
        Ok(model)
    }

    /// Sets the per-epoch progress callback.
    pub fn with_progress(mut self, progress: TrainProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// All variables, sorted by name.
    fn vars(&self) -> Vec<(String, Var)> {
        weights::sorted_vars(&self.varmap)
    }

    /// Seeded initialisation (see [`weights::init_seeded`]).
    fn init_weights(&mut self, window: u64) -> Result<()> {
        weights::init_seeded(&self.varmap, &self.device, self.seed, window)
    }

    fn snapshot(&self) -> Result<Vec<Tensor>> {
        weights::snapshot(&self.varmap)
    }

    fn restore(&self, snap: &[Tensor]) -> Result<()> {
        weights::restore(&self.varmap, snap)
    }

    fn weights_path(&self, dir: &std::path::Path, as_of: Date) -> PathBuf {
        weights::path_of(dir, &self.name, as_of)
    }

    /// Saves the current weights (safetensors).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        weights::save(&self.varmap, path)
    }

    /// Loads weights saved by [`DeepModel::save`] (same architecture and factors).
    pub fn load(&mut self, path: &std::path::Path) -> Result<()> {
        weights::load(&mut self.varmap, path, &self.name)?;
        self.fitted = true;
        Ok(())
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
    ) -> Result<(usize, usize, Option<f64>)> {
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
    ) -> Result<(usize, usize, Option<f64>)> {
        let mut t = self.cfg.train.clone();
        if let Some(e) = fixed {
            t.epochs = e;
        }
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
        let mut opt = AdamW::new(trainable, params).map_candle_err()?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(window as u64));
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut best: Option<(usize, f64, Vec<Tensor>)> = None;
        let mut since_best = 0;
        let mut epochs = 0;
        for epoch in 1..=t.epochs {
            epochs = epoch;
            order.shuffle(&mut rng);
            let (mut total, mut total_returns, mut steps) = (0.0, 0.0, 0usize);
            for chunk in order.chunks(t.batch_dates) {
                let batch: Vec<&Batch> = chunk.iter().map(|&i| &train[i]).collect();
                let (loss, parts) = self.batch_loss(&batch, true)?;
                total += f64::from(loss.to_scalar::<f32>().map_candle_err()?);
                total_returns += self.returns_part(parts);
                steps += 1;
                opt.backward_step(&loss).map_candle_err()?;
            }
            let train_loss = match t.stop_on {
                StopOn::Loss => total,
                StopOn::Returns | StopOn::ScoreIc => total_returns,
            } / steps.max(1) as f64;
            let valid_loss = if valid.is_empty() {
                None
            } else if t.stop_on == StopOn::ScoreIc {
                Some(-self.score_head_ic(valid)?)
            } else {
                let batch: Vec<&Batch> = valid.iter().collect();
                let (loss, parts) = self.batch_loss(&batch, false)?;
                let loss = f64::from(loss.to_scalar::<f32>().map_candle_err()?);
                Some(match t.stop_on {
                    StopOn::Loss => loss,
                    _ => self.returns_part(parts),
                })
            };
            if let Some(p) = self.progress.as_mut() {
                p(&TrainEvent {
                    model: self.name.clone(),
                    as_of,
                    window,
                    epoch,
                    max_epochs: t.epochs,
                    train_loss,
                    valid_loss,
                });
            }
            if fixed.is_some() {
                continue; // the refit keeps the last epoch
            }
            let criterion = valid_loss.unwrap_or(train_loss);
            if !criterion.is_finite() {
                break;
            }
            if best.as_ref().is_none_or(|b| criterion < b.1) {
                best = Some((epoch, criterion, self.snapshot()?));
                since_best = 0;
            } else {
                since_best += 1;
                if valid_loss.is_some() && since_best >= t.patience {
                    break;
                }
            }
        }
        if fixed.is_some() {
            return Ok((epochs, epochs, None));
        }
        match best {
            Some((epoch, loss, snap)) => {
                self.restore(&snap)?;
                Ok((epochs, epoch, valid_loss_if(valid, loss)))
            }
            None => Ok((epochs, 0, None)),
        }
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
        let (groups, group_index) = Interpretation::groups_of(&self.factor_names);
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

    fn sample_options(&self) -> SampleOptions {
        SampleOptions {
            sample_every_days: self.cfg.samples.every_days,
            validation_months: self.cfg.samples.validation_months,
            embargo_months: self.cfg.samples.embargo_months,
        }
    }
}

fn valid_loss_if(valid: &[Batch], loss: f64) -> Option<f64> {
    (!valid.is_empty()).then_some(round6(loss))
}

impl AlphaModel for DeepModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        super::samples::is_sample_day(day, self.cfg.samples.every_days)
    }

    fn observe(&mut self, ctx: &Context<'_>) -> Result<()> {
        self.store.observe(ctx, &self.columns, &self.cfg.samples);
        Ok(())
    }

    fn fit(&mut self, ctx: &Context<'_>) -> Result<()> {
        let as_of = ctx.date();
        let window = self.windows.len() + 1;
        let store = std::mem::take(&mut self.store);
        let split = store.split(ctx, &self.cfg.horizons, &self.sample_options());
        let prepare = |ls: &[Labelled]| -> Result<Vec<Batch>> {
            ls.iter().map(|l| self.prepare(&store, l)).collect()
        };
        let (train, valid) = (prepare(&split.train), prepare(&split.valid));
        self.store = store;
        let (train, valid) = (train?, valid?);
        let mut w = WindowInterpretation {
            as_of: as_of.to_string(),
            train_dates: train.len(),
            valid_dates: valid.len(),
            ..Default::default()
        };
        if let Some(dir) = self.cfg.load_weights.clone() {
            let path = self.weights_path(&dir, as_of);
            self.load(&path)?;
            w.status = "loaded".into();
        } else if train.is_empty() {
            w.status = if self.fitted {
                "skipped: no labelled training dates yet; previous weights kept".into()
            } else {
                "skipped: no labelled training dates yet; no scores until a window trains".into()
            };
        } else {
            let warm = self.cfg.train.warm_start && self.fitted;
            let start = if warm { Some(self.snapshot()?) } else { None };
            if !warm {
                self.init_weights(window as u64)?;
            }
            let (epochs, best_epoch, best_valid) = self.train(&train, &valid, as_of, window)?;
            w.epochs = epochs;
            w.best_epoch = best_epoch;
            w.best_valid_loss = best_valid;
            w.status = if warm { "warm-started" } else { "trained" }.into();
            self.fitted = best_epoch > 0;
            if self.cfg.train.refit && best_epoch > 0 && !valid.is_empty() {
                // data parity with `linear`: the chosen number of epochs again,
                // from the same start, on the training and validation dates
                match &start {
                    Some(snap) => self.restore(snap)?,
                    None => self.init_weights(window as u64)?,
                }
                let all: Vec<Batch> = train.iter().chain(&valid).cloned().collect();
                self.train_with(&all, &[], as_of, window, Some(best_epoch))?;
                w.status = format!("{}, refit on {} dates", w.status, all.len());
            }
            if let Some(dir) = self.cfg.save_weights.clone() {
                self.save(&self.weights_path(&dir, as_of))?;
            }
        }
        if self.fitted {
            w.heads = self.interpret(if valid.is_empty() { &train } else { &valid })?;
        }
        self.windows.push(w);
        Ok(())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        if !self.fitted || universe.is_empty() {
            return Ok(vec![f64::NAN; universe.len()]);
        }
        let s = cross_section(ctx, universe, &self.columns, self.cfg.samples.inputs);
        let scores = self.score_sample(&s)?;
        Ok(s.in_universe_order(universe, scores))
    }

    fn interpretation(&self) -> Option<Interpretation> {
        let (groups, _) = Interpretation::groups_of(&self.factor_names);
        Some(Interpretation {
            model: self.name.clone(),
            factors: self.factor_names.clone(),
            groups,
            windows: self.windows.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
