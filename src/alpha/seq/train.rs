//! The sequence models' init and one epoch of training, with the
//! conventions of the deep models (`super::super::deep`): variables in
//! sorted-name order with a ChaCha init seeded by the seed and the window
//! number, AdamW on shuffled batches of dates, the DMFM loss's return terms
//! ([`loss::batch_loss`] without f̂); the epoch loop (early stopping, the
//! best epoch kept) is [`crate::alpha::walk_forward::epochs`].

use crate::alpha::deep::loss::{self, DateTerms};
pub(super) use crate::alpha::walk_forward::candle_err;
use crate::alpha::walk_forward::epochs::Epochs;
pub(super) use crate::alpha::walk_forward::weights::sorted_vars;
use crate::spec::{LossConfig, StopOn, TrainConfig};
use crate::Result;
use candle_core::{Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seeded initialisation in sorted-name order: biases 0; recurrent weights
/// (`rnn*.w` = W_ih over W_hh) U(±1/√H) as in PyTorch (H = `hidden`);
/// dense weights Glorot-uniform.
pub(super) fn init_vars(map: &VarMap, seed: u64, window: u64, hidden: usize) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ window.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for (name, var) in sorted_vars(map) {
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let leaf = name.rsplit('.').next().unwrap_or(&name);
        let values: Vec<f32> = if leaf.starts_with('b') {
            vec![0.0; n]
        } else {
            let bound = if name.starts_with("rnn") {
                1.0 / (hidden as f64).sqrt()
            } else {
                let (fan_in, fan_out) = match dims.as_slice() {
                    [i, o] => (*i, *o),
                    _ => (n, n),
                };
                (6.0 / (fan_in + fan_out) as f64).sqrt()
            } as f32;
            (0..n).map(|_| rng.random_range(-bound..bound)).collect()
        };
        let t = Tensor::from_vec(values, dims, var.device()).map_err(candle_err)?;
        var.set(&t).map_err(candle_err)?;
    }
    Ok(())
}

/// The loss of a batch of dates from the model outputs (n × K each) and
/// labels, and its logged parts.
pub(super) fn batch_loss(
    outputs: &[Tensor],
    returns: &[Tensor],
    w: &LossConfig,
) -> Result<(Tensor, [f32; 3])> {
    let terms: Vec<DateTerms<'_>> = outputs
        .iter()
        .zip(returns)
        .map(|(f, r)| DateTerms {
            f,
            fhat: None,
            returns: r,
        })
        .collect();
    loss::batch_loss(&terms, w).map_err(candle_err)
}

/// The dates a window trains and validates on, built on demand.
pub(super) trait Dates {
    /// The network output (n × K) of date `i` of the training (`train`) or
    /// validation set; with `grad`, attached to the graph (and the fused
    /// ops keep their gates), else detached.
    fn output(&self, train: bool, i: usize, grad: bool) -> Result<Tensor>;
    /// The labels (n × K) of that date.
    fn returns(&self, train: bool, i: usize) -> Tensor;
}

/// One optimiser step on a batch of training dates; returns the loss and its
/// parts. One date: the usual backward. Several: the loss couples them (the
/// ICIR), so it is computed on detached outputs first, then each date's
/// graph is built alone and back-propagated with its ∂L/∂f (the gradients
/// summed), so at most one date's graph is alive at a time (memory
/// independent of `batch_dates`) for one extra forward pass per date.
pub(super) fn step(
    opt: &mut AdamW,
    vars: &[Var],
    dates: &dyn Dates,
    chunk: &[usize],
    w: &LossConfig,
) -> Result<(f32, [f32; 3])> {
    let returns: Vec<Tensor> = chunk.iter().map(|&i| dates.returns(true, i)).collect();
    if let [i] = chunk {
        let f = dates.output(true, *i, true)?;
        let (loss, parts) = batch_loss(&[f], &returns, w)?;
        opt.backward_step(&loss).map_err(candle_err)?;
        return Ok((loss.to_scalar::<f32>().map_err(candle_err)?, parts));
    }
    let leaves = chunk
        .iter()
        .map(|&i| Var::from_tensor(&dates.output(true, i, false)?).map_err(candle_err))
        .collect::<Result<Vec<Var>>>()?;
    let outputs: Vec<Tensor> = leaves.iter().map(|v| v.as_tensor().clone()).collect();
    let (loss, parts) = batch_loss(&outputs, &returns, w)?;
    let d_out = loss.backward().map_err(candle_err)?;
    // The weights' gradients summed over the dates, detached: a gradient
    // tensor carries the graph it was computed from (the forward tensors and
    // the fused ops' kept gates), so summing attached ones would keep every
    // date's graph alive until the step (1.4 GB at n ≈ 1,000, window 60).
    let mut sums: Vec<Option<Tensor>> = vec![None; vars.len()];
    let mut store = None;
    for (&i, leaf) in chunk.iter().zip(&leaves) {
        let Some(g) = d_out.get(leaf.as_tensor()) else {
            continue;
        };
        let f = dates.output(true, i, true)?;
        let surrogate = (f * g).map_err(candle_err)?.sum_all().map_err(candle_err)?;
        let grads = surrogate.backward().map_err(candle_err)?;
        for (sum, v) in sums.iter_mut().zip(vars) {
            if let Some(g) = grads.get(v.as_tensor()) {
                let g = g.detach();
                *sum = Some(match sum.take() {
                    Some(a) => (a + g).map_err(candle_err)?,
                    None => g,
                });
            }
        }
        // only the last date's store (and graph) stays alive
        store = Some(grads);
    }
    if let Some(mut store) = store {
        for (sum, v) in sums.into_iter().zip(vars) {
            if let Some(sum) = sum {
                store.insert(v.as_tensor(), sum);
            }
        }
        opt.step(&store).map_err(candle_err)?;
    }
    Ok((loss.to_scalar::<f32>().map_err(candle_err)?, parts))
}

/// The loss of all validation dates (detached outputs).
fn validation_loss(dates: &dyn Dates, n: usize, w: &LossConfig) -> Result<(f32, [f32; 3])> {
    let outputs = (0..n)
        .map(|i| dates.output(false, i, false))
        .collect::<Result<Vec<_>>>()?;
    let returns: Vec<Tensor> = (0..n).map(|i| dates.returns(false, i)).collect();
    let (loss, parts) = batch_loss(&outputs, &returns, w)?;
    Ok((loss.to_scalar::<f32>().map_err(candle_err)?, parts))
}

/// One window's training of a sequence model: AdamW over every variable
/// on shuffled batches of `batch_dates` dates (see [`step`]).
pub(super) struct SeqEpochs<'a> {
    t: &'a TrainConfig,
    loss_w: &'a LossConfig,
    dates: &'a dyn Dates,
    valid_dates: usize,
    opt: AdamW,
    trainable: Vec<Var>,
    /// The training dates' order, reshuffled in place every epoch.
    order: Vec<usize>,
}

impl<'a> SeqEpochs<'a> {
    /// The training of `dates` (`train_dates` and `valid_dates` of them)
    /// over the variables of `map`.
    pub(super) fn new(
        map: &VarMap,
        t: &'a TrainConfig,
        loss_w: &'a LossConfig,
        dates: &'a dyn Dates,
        (train_dates, valid_dates): (usize, usize),
    ) -> Result<Self> {
        let params = ParamsAdamW {
            lr: t.lr,
            weight_decay: t.weight_decay,
            ..ParamsAdamW::default()
        };
        let trainable: Vec<Var> = sorted_vars(map).into_iter().map(|(_, v)| v).collect();
        let opt = AdamW::new(trainable.clone(), params).map_err(candle_err)?;
        Ok(SeqEpochs {
            t,
            loss_w,
            dates,
            valid_dates,
            opt,
            trainable,
            order: (0..train_dates).collect(),
        })
    }

    fn returns_part(&self, p: [f32; 3]) -> f64 {
        -self.loss_w.factor_return * f64::from(p[1]) - self.loss_w.icir * f64::from(p[2])
    }
}

impl Epochs for SeqEpochs<'_> {
    fn train_epoch(&mut self, rng: &mut ChaCha8Rng) -> Result<f64> {
        self.order.shuffle(rng);
        let (mut total, mut total_returns, mut steps) = (0.0, 0.0, 0usize);
        for chunk in self.order.chunks(self.t.batch_dates) {
            let (loss, parts) = step(
                &mut self.opt,
                &self.trainable,
                self.dates,
                chunk,
                self.loss_w,
            )?;
            total += f64::from(loss);
            total_returns += self.returns_part(parts);
            steps += 1;
        }
        Ok(match self.t.stop_on {
            StopOn::Loss => total,
            // `score_ic` is refused for the sequence models by the spec check
            StopOn::Returns | StopOn::ScoreIc => total_returns,
        } / steps.max(1) as f64)
    }

    fn validates(&self) -> bool {
        self.valid_dates > 0
    }

    fn valid_loss(&mut self) -> Result<f64> {
        let (loss, parts) = validation_loss(self.dates, self.valid_dates, self.loss_w)?;
        Ok(match self.t.stop_on {
            StopOn::Loss => f64::from(loss),
            StopOn::Returns | StopOn::ScoreIc => self.returns_part(parts),
        })
    }
}
