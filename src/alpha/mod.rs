//! Alpha models: `fit` on the history known now, `score` today's cross-section.
//!
//! The engine calls [`AlphaModel::fit`] from the retrain timer (default every
//! six months, first on the first day of the window) and
//! [`AlphaModel::score`] at every rebalance, both with a point-in-time
//! [`Context`](crate::context::Context). Built in: `ew`, `factor`, `file`,
//! `reversal`, `linear`, `gbdt` (boosted trees), the deep models `mlp`, `mgat`, `dmfm`
//! (docs/dmfm.md) and `e2eai` (docs/e2eai.md), and the sequence models `gru`,
//! `alstm` (docs/sequence.md). Only this module knows candle (in `deep`,
//! `seq` and `walk_forward`) and forust-ml (in `gbdt`).
//!
//! `model` holds the trait, `build` turns a spec's model config into one;
//! each model has its own file (the deep ones the [`deep`] folder, the
//! sequence models [`seq`]), and
//! [`samples`] / [`interpret`] are what the trained models share;
//! [`walk_forward`] is the deep and sequence models' window protocol and
//! epoch loop.

mod build;
pub mod deep;
mod ensemble;
mod ew;
mod file;
pub mod gbdt;
pub mod inputs;
pub mod interpret;
mod linear;
mod model;
mod reversal;
pub mod samples;
pub mod seq;
pub mod walk_forward;

pub use build::{build_model, build_model_with_factors, build_model_with_progress};
pub use deep::{Arch, DeepModel, HeadActivation, IndustryGatMode, TrainEvent, TrainProgress};
pub use ew::EqualWeightModel;
pub use file::FileModel;
pub use gbdt::GbdtModel;
pub use interpret::Interpretation;
pub use linear::LinearModel;
pub use model::AlphaModel;
pub use reversal::ReversalModel;
pub use seq::{SeqArch, SeqModel};
