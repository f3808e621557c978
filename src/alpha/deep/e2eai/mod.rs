//! `kind = "e2eai"` (Wei, Dai & Lin, "E2EAI: End-to-End Deep Learning
//! Framework for Active Investing", 2023), built from the DMFM's blocks and
//! trained walk-forward with the DMFM's protocol (docs/e2eai.md).
//!
//! What differs from [`super::DeepModel`]: the network ([`net`]: factor
//! gates, linear heads, signed attention), the loss ([`loss`]: portfolio,
//! turnover, factor returns, pooled IC, attention accuracy, gate sparsity),
//! batches of *consecutive* sample dates (the turnover needs neighbours), a
//! second AdamW for the gates at a scaled learning rate, and seeded gate
//! noise in training. Samples, labels, the split and the seeded init are the
//! DMFM's; the window protocol (early stopping, the best checkpoint, warm
//! start, save / load) is [`crate::alpha::walk_forward`]'s, as for the DMFM.

mod interpret;
pub mod loss;
pub mod net;
#[cfg(test)]
mod tests;

use super::super::interpret::{Interpretation, WindowInterpretation};
use super::super::model::AlphaModel;
use super::super::samples::{
    cross_section, zscore_columns, Labelled, Sample, SampleOptions, SampleStore,
};
use super::super::walk_forward::epochs::{self, Epochs};
use super::super::walk_forward::{self as wf, weights, Trained, Walk, WalkForward};
use super::{init, MapCandleError, TrainProgress};
use crate::context::Context;
use crate::data::{Date, SymbolId};
use crate::spec::{DeepConfig, E2eaiConfig, LabelNorm, StopOn};
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use net::Net;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The name of the gate variable.
const GATE: &str = "gate.mu";

/// A prepared date: tensors on the device and the rows it shares with the
/// previous date of its list.
pub(crate) struct Batch {
    x: Tensor,
    returns: Tensor,
    blocks: Vec<(usize, usize)>,
    /// (rows here, rows in the previous date) of the common stocks.
    common: Option<(Tensor, Tensor)>,
}

/// The E2EAI model.
pub struct E2eaiModel {
    walk: Walk,
    cfg: DeepConfig,
    e2e: E2eaiConfig,
    columns: Vec<usize>,
    device: Device,
    varmap: VarMap,
    net: Net,
    store: SampleStore,
    score_head: usize,
}

impl std::fmt::Debug for E2eaiModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("E2eaiModel")
            .field("walk", &self.walk)
            .finish_non_exhaustive()
    }
}

/// Row pairs of the symbols `now` and `prev` have in common (both sorted by
/// industry then symbol, so matched by a lookup on sorted copies).
fn common_rows(now: &[SymbolId], prev: &[SymbolId]) -> (Vec<u32>, Vec<u32>) {
    let mut sorted: Vec<(SymbolId, u32)> = prev.iter().copied().zip(0u32..).collect();
    sorted.sort_unstable();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, s) in now.iter().enumerate() {
        if let Ok(j) = sorted.binary_search_by_key(s, |p| p.0) {
            a.push(i as u32);
            b.push(sorted[j].1);
        }
    }
    (a, b)
}

impl E2eaiModel {
    /// A model over factor `columns` (with their names).
    pub fn new(
        cfg: DeepConfig,
        columns: Vec<usize>,
        factor_names: Vec<String>,
        seed: u64,
    ) -> Result<Self> {
        if columns.is_empty() {
            return Err(Error::Run(
                "model `e2eai` needs factors, but the bundle has no factors.csv".into(),
            ));
        }
        wf::set_threads(cfg.train.threads);
        let e2e = cfg.e2eai.unwrap_or_default();
        let device = Device::Cpu;
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &device);
        let net = Net::new(
            columns.len(),
            cfg.hidden,
            cfg.horizons.len(),
            cfg.gat_heads,
            cfg.industry_gat,
            e2e.gate_sigma,
            vb,
        )
        .map_candle_err()?;
        let score_head = crate::alpha::samples::score_head(&cfg.horizons, cfg.score_horizon);
        let dirs = [cfg.load_weights.clone(), cfg.save_weights.clone()];
        let walk = Walk::new("e2eai", factor_names, seed, &cfg.train, dirs, WEIGHTS_MATCH);
        let mut model = E2eaiModel {
            walk,
            cfg,
            e2e,
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

    fn gate_var(&self) -> Var {
        let data = self.varmap.data().lock().expect("varmap lock");
        data.get(GATE).expect("the network has gates").clone()
    }

    /// Saves the current weights (safetensors).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        weights::save(&self.varmap, path)
    }

    /// Loads weights saved by [`E2eaiModel::save`] (same factors and sizes).
    pub fn load(&mut self, path: &std::path::Path) -> Result<()> {
        self.walk.load(&mut self.varmap, path)
    }

    /// Prepares the labelled dates of one list (in time order).
    fn prepare(&self, store: &SampleStore, ls: &[Labelled]) -> Result<Vec<Batch>> {
        let k = self.cfg.horizons.len();
        let mut out = Vec::with_capacity(ls.len());
        let mut prev: Option<&Sample> = None;
        for l in ls {
            let s = &store.samples[l.sample];
            let mut r = l.returns.clone();
            if self.cfg.label == LabelNorm::Zscore {
                zscore_columns(&mut r, k);
            }
            let common = match prev {
                Some(p) => {
                    let (a, b) = common_rows(&s.symbols, &p.symbols);
                    let (na, nb) = (a.len(), b.len());
                    Some((
                        Tensor::from_vec(a, na, &self.device).map_candle_err()?,
                        Tensor::from_vec(b, nb, &self.device).map_candle_err()?,
                    ))
                }
                None => None,
            };
            out.push(Batch {
                x: super::layers::matrix(&s.x, s.n(), self.columns.len(), &self.device)
                    .map_candle_err()?,
                returns: super::layers::matrix(&r, s.n(), k, &self.device).map_candle_err()?,
                blocks: s.blocks(),
                common,
            });
            prev = Some(s);
        }
        Ok(out)
    }

    /// The loss of the dates `batch`; `linked[i]` = date i's predecessor
    /// is `batch[i − 1]` (its turnover is counted); gate noise from `rng`
    /// when training.
    fn batch_loss(
        &self,
        batch: &[&Batch],
        linked: &[bool],
        rng: Option<&mut ChaCha8Rng>,
    ) -> Result<(Tensor, loss::Parts)> {
        let train = rng.is_some();
        let mut rng = rng;
        let m = self.columns.len();
        let mut outs = Vec::with_capacity(batch.len());
        for b in batch {
            let noise = match rng.as_deref_mut() {
                Some(r) => {
                    let n = b.x.dim(0).map_candle_err()?;
                    let e: Vec<f32> = (0..n * m).map(|_| StandardNormal.sample(r)).collect();
                    Some(Tensor::from_vec(e, (n, m), &self.device).map_candle_err()?)
                }
                None => None,
            };
            outs.push(
                self.net
                    .forward(&b.x, &b.blocks, noise.as_ref(), train)
                    .map_candle_err()?,
            );
        }
        let terms: Vec<loss::DateTerms<'_>> = outs
            .iter()
            .zip(batch)
            .enumerate()
            .map(|(i, (o, b))| loss::DateTerms {
                f: &o.f,
                fhat: &o.fhat,
                returns: &b.returns,
                common: if i > 0 && linked[i] {
                    b.common.as_ref().map(|(x, y)| (x, y))
                } else {
                    None
                },
            })
            .collect();
        loss::batch_loss(&terms, self.net.gate_means(), self.score_head, &self.e2e).map_candle_err()
    }

    fn criterion(&self, loss: &Tensor, parts: &loss::Parts) -> Result<f64> {
        Ok(match self.cfg.train.stop_on {
            StopOn::Loss => f64::from(loss.to_scalar::<f32>().map_candle_err()?),
            // `score_ic` is refused for e2eai by the spec check
            StopOn::Returns | StopOn::ScoreIc => parts.returns(&self.e2e),
        })
    }

    /// Trains one window on `train` (time order); returns (epochs run, best
    /// epoch, best validation criterion).
    fn train(
        &mut self,
        train: &[Batch],
        valid: &[Batch],
        as_of: Date,
        window: usize,
    ) -> Result<Trained> {
        let t = &self.cfg.train;
        let vars = weights::sorted_vars(&self.varmap);
        let trainable = |gate: bool| -> Vec<Var> {
            vars.iter()
                .filter(|(n, _)| !n.ends_with("running_mean") && !n.ends_with("running_var"))
                .filter(|(n, _)| (n == GATE) == gate)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let params = |lr: f64, weight_decay: f64| ParamsAdamW {
            lr,
            weight_decay,
            ..ParamsAdamW::default()
        };
        let opt = AdamW::new(trainable(false), params(t.lr, t.weight_decay)).map_candle_err()?;
        let gate_opt = AdamW::new(trainable(true), params(t.lr * self.e2e.gate_lr_scale, 0.0))
            .map_candle_err()?;
        let run = epochs::Run {
            name: "e2eai",
            as_of,
            window,
            seed: self.walk.seed,
            epochs: t.epochs,
            patience: t.patience,
            keep_last: false,
        };
        let mut progress = self.walk.progress.take();
        let mut e = E2eaiEpochs {
            model: self,
            opt,
            gate_opt,
            train,
            valid,
        };
        let trained = epochs::run(&mut e, &self.varmap, &run, &mut progress);
        self.walk.progress = progress;
        trained
    }

    /// Forward on one sample at scoring: the score head per row.
    fn score_sample(&self, s: &Sample) -> Result<Vec<f64>> {
        let x = super::layers::matrix(&s.x, s.n(), self.columns.len(), &self.device)
            .map_candle_err()?;
        let out = self
            .net
            .forward(&x, &s.blocks(), None, false)
            .map_candle_err()?;
        let f: Vec<Vec<f32>> = out.f.to_vec2().map_candle_err()?;
        Ok(f.iter().map(|r| f64::from(r[self.score_head])).collect())
    }
}

impl AlphaModel for E2eaiModel {
    fn name(&self) -> &str {
        "e2eai"
    }

    fn wants_factors(&self, day: crate::data::DayIndex) -> bool {
        super::super::samples::is_sample_day(day, self.cfg.samples.every_days)
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
        let (train, valid) = (
            self.prepare(&store, &split.train),
            self.prepare(&store, &split.valid),
        );
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

/// What must match for saved weights to load.
const WEIGHTS_MATCH: &str = "model, factors and hidden size";

/// One window's training of an [`E2eaiModel`]: AdamW (and the gates' own)
/// on shuffled runs of consecutive dates, with seeded gate noise.
struct E2eaiEpochs<'a> {
    model: &'a E2eaiModel,
    opt: AdamW,
    gate_opt: AdamW,
    train: &'a [Batch],
    valid: &'a [Batch],
}

impl Epochs for E2eaiEpochs<'_> {
    fn train_epoch(&mut self, rng: &mut ChaCha8Rng) -> Result<f64> {
        let (m, train) = (self.model, self.train);
        let bd = m.cfg.train.batch_dates.max(1);
        // Runs of `run` consecutive dates from a random offset, shuffled,
        // ⌈bd / run⌉ runs per step.
        let run = m.e2e.run_dates.clamp(1, bd);
        let offset = rng.random_range(0..run.min(train.len()).max(1));
        let mut runs: Vec<(usize, usize)> = Vec::new();
        if offset > 0 {
            runs.push((0, offset));
        }
        let mut s = offset;
        while s < train.len() {
            runs.push((s, (s + run).min(train.len())));
            s += run;
        }
        runs.shuffle(rng);
        let (mut total, mut steps) = (0.0, 0usize);
        for step in runs.chunks(bd.div_ceil(run)) {
            let (mut dates, mut linked) = (Vec::new(), Vec::new());
            for &(a, b) in step {
                for (i, d) in train[a..b].iter().enumerate() {
                    dates.push(d);
                    linked.push(i > 0);
                }
            }
            let (loss, parts) = m.batch_loss(&dates, &linked, Some(&mut *rng))?;
            total += m.criterion(&loss, &parts)?;
            steps += 1;
            let grads = loss.backward().map_candle_err()?;
            self.opt.step(&grads).map_candle_err()?;
            self.gate_opt.step(&grads).map_candle_err()?;
        }
        Ok(total / steps.max(1) as f64)
    }

    fn validates(&self) -> bool {
        !self.valid.is_empty()
    }

    fn valid_loss(&mut self) -> Result<f64> {
        let dates: Vec<&Batch> = self.valid.iter().collect();
        let linked: Vec<bool> = (0..self.valid.len()).map(|i| i > 0).collect();
        let (loss, parts) = self.model.batch_loss(&dates, &linked, None)?;
        self.model.criterion(&loss, &parts)
    }
}

/// A window's prepared (training, validation) dates.
type Dates = (Vec<Batch>, Vec<Batch>);

impl WalkForward for E2eaiModel {
    type Dates<'a> = Dates;

    fn state(&mut self) -> (&mut Walk, &mut VarMap) {
        (&mut self.walk, &mut self.varmap)
    }

    /// The DMFM's seeded init, then every gate mean at `gate_init`.
    fn init_weights(&mut self, window: u64) -> Result<()> {
        init::init_seeded(&self.varmap, &self.device, self.walk.seed, window)?;
        let m = self.columns.len();
        let mu = Tensor::from_vec(vec![self.e2e.gate_init as f32; m], m, &self.device)
            .map_candle_err()?;
        self.gate_var().set(&mu).map_candle_err()
    }

    fn train_window(
        &mut self,
        (train, valid): &Dates,
        as_of: Date,
        window: usize,
        refit: Option<usize>,
    ) -> Result<Trained> {
        if refit.is_some() {
            // the spec check refuses `train.refit` for e2eai
            return Err(Error::Run(
                "kind = \"e2eai\" does not support model.train.refit; remove it".into(),
            ));
        }
        self.train(train, valid, as_of, window)
    }

    fn interpret(&self, (train, valid): &Dates, w: &mut WindowInterpretation) -> Result<()> {
        let dates = if valid.is_empty() { train } else { valid };
        let (gates, heads) = interpret::window(self, dates)?;
        w.gates = gates;
        w.heads = heads;
        Ok(())
    }
}
