//! Strategy specs: TOML files under `strategies/` (DESIGN §6).
//!
//! Every table is `deny_unknown_fields`, so a typo is an error naming the key
//! and the file. Relative paths in a spec (`data`, a score file) are resolved
//! against the spec file's folder, so a spec runs the same from any working
//! directory. Every default is written here and echoed in `report.json`.
//!
//! For sweeps (`alphasim sweep`), a spec may name several models as
//! `[models.<name>]` tables (each a full `[model]` table; without `[model]`
//! the first name of `sweep.model` is the model) and per-index settings as
//! `[indices.<name>]` (`start`, `end`, `benchmark`), which apply whenever the
//! run's `index` is `<name>` — in a sweep's `index` axis or a plain backtest.
//!
//! Data flows one way: every config type lives here and this module imports
//! no domain module (models, factors, costs, … import `spec`; the preset
//! defaults are resolved by `CostSettings::from_config` in `costs` and
//! `MarketRules::from_config` in `market_rules`). Files:
//! `config` (the top-level table), `schedule`, `model`, `portfolio`,
//! `execution`, `costs`, `preprocess` (one per table), `factor_catalog`
//! (the library factors the `factors` key names), `load` (reading, paths,
//! the default model), `overrides` (sweep overrides), `checks` (every value
//! check with its message), `units` (unit names of values: trading days,
//! fractions, currency).

mod checks;
mod config;
mod costs;
mod e2eai;
mod execution;
pub mod factor_catalog;
mod load;
mod model;
mod overrides;
mod portfolio;
mod preprocess;
mod schedule;
mod seq;
mod units;

pub use config::{IndexSettings, SpecConfig};
pub use costs::{CostsConfig, RateStep};
pub use e2eai::E2eaiConfig;
pub use execution::{ExecutionConfig, Fill, MarketPreset};
pub use model::{
    DeepConfig, DistanceTrains, GbdtConfig, HeadActivation, IndustryGatMode, InputNorm, LabelNorm,
    LinearConfig, LossConfig, ModelConfig, SamplesConfig, StopOn, TrainConfig, TrainUniverse,
};
pub use portfolio::{EnhancedIndexConfig, Method, PortfolioConfig, TopkDropoutConfig};
pub use preprocess::{MissingRule, PreprocessConfig};
pub use schedule::{Rebalance, ScheduleConfig};
pub use seq::SeqConfig;
pub use units::{Currency, Fraction, TradingDays};

use crate::{Error, Result};
use std::path::PathBuf;

/// A parsed spec and where it came from.
#[derive(Debug, Clone)]
pub struct Spec {
    pub config: SpecConfig,
    /// The spec file (for messages and the report echo).
    pub path: PathBuf,
    /// The data folder with the spec's folder applied.
    pub data_dir: PathBuf,
    /// The spec's TOML text (sweeps re-parse it with overrides).
    pub source: String,
    /// The folder relative paths resolve against.
    pub base: PathBuf,
    /// A `file` model path written as `{data}/…` (relative to the data
    /// bundle), kept so that `--data` moves it with the bundle.
    data_relative_scores: Option<PathBuf>,
}

impl Spec {
    /// Replaces the data folder (the CLI's `--data`).
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.config.data = dir.clone();
        self.set_data_dir(dir);
        self
    }

    /// Sets the resolved data folder and the `{data}/…` scores path with it.
    fn set_data_dir(&mut self, dir: PathBuf) {
        if let (Some(rest), ModelConfig::File { path }) =
            (&self.data_relative_scores, &mut self.config.model)
        {
            *path = dir.join(rest);
        }
        self.data_dir = dir;
    }

    /// The factor-library selection (catalogue indices); empty without `factors`.
    pub fn library_selection(&self) -> Vec<usize> {
        self.config
            .factors
            .as_ref()
            .map(|f| factor_catalog::select(f).expect("checked when the spec was read"))
            .unwrap_or_default()
    }

    /// Checks that the data folder exists (after any `--data` override).
    pub fn check_data_dir(&self) -> Result<()> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(Error::Spec {
                file: self.path.clone(),
                message: "no data bundle: the spec has no `data` key and no --data was given; add `data = \"DIR\"` (relative to the spec file) or pass --data DIR".to_owned(),
            });
        }
        if self.data_dir.is_dir() {
            return Ok(());
        }
        Err(Error::Spec {
            file: self.path.clone(),
            message: format!(
                "data folder `{}` does not exist; set `data` to a bundle folder (relative to the spec file) or pass --data DIR",
                self.data_dir.display()
            ),
        })
    }
}
