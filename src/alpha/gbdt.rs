//! `gbdt`: gradient-boosted regression trees (squared loss, the forust-ml
//! booster) of the `linear` label on the `linear` samples, early-stopped on
//! the validation dates and by default refitted on every labelled date.
//!
//! Per retrain (docs/gbdt.md has every rule and default):
//! 1. the shared split ([`SampleStore::split`]): training dates, embargo,
//!    validation dates, labels only when fully known at the retrain close;
//!    one row per stock-date, the z-scored factors of the shared samples
//!    (missing → 0, the cross-sectional mean), the label z-scored per date
//!    (or raw), exactly as `linear` sees them;
//! 2. boosting on the training dates with the validation dates as the
//!    evaluation set: the kept number of rounds R is the one with the lowest
//!    validation MSE, found by stopping `early_stopping_rounds` rounds after
//!    the last improvement (LightGBM's rule);
//! 3. with `refit` (the default), a new booster of R rounds on the training
//!    and validation dates together (the data `linear` fits); otherwise the
//!    first R trees of step 2. Without validation dates (or with
//!    `early_stopping_rounds = 0`) one booster of `rounds` rounds on every
//!    labelled date.
//!
//! The window's interpretation records the rounds run (`epochs`), R
//! (`best_epoch`), the validation MSE at R and each factor's share of the
//! final trees' total split gain (`importance`). Boosters are saved and
//! loaded as the library's JSON, one file per window.

use super::interpret::{round6, Interpretation, WindowInterpretation};
use super::model::AlphaModel;
use super::samples::{cross_section, zscore_columns, Labelled, SampleOptions, SampleStore};
use crate::context::Context;
use crate::data::{Date, SymbolId};
use crate::spec::{GbdtConfig, LabelNorm};
use crate::{Error, Result};
use forust_ml::gradientbooster::{GrowPolicy, ImportanceMethod};
use forust_ml::metric::Metric;
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};
use std::path::{Path, PathBuf};

/// The `gbdt` model.
pub struct GbdtModel {
    cfg: GbdtConfig,
    columns: Vec<usize>,
    factor_names: Vec<String>,
    seed: u64,
    store: SampleStore,
    booster: Option<GradientBooster>,
    windows: Vec<WindowInterpretation>,
}

impl std::fmt::Debug for GbdtModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GbdtModel")
            .field("factors", &self.factor_names)
            .field("windows", &self.windows.len())
            .field("fitted", &self.booster.is_some())
            .finish()
    }
}

/// Rows of a design: factors column-major (`x[col * rows + row]`, the
/// booster's layout) and one label per row.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Design {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
}

impl Design {
    /// The stock-dates of `labelled`, in store order, with the label
    /// normalised per date by `label`.
    pub fn of(store: &SampleStore, labelled: &[&Labelled], m: usize, label: LabelNorm) -> Design {
        let rows: usize = labelled.iter().map(|l| store.samples[l.sample].n()).sum();
        let mut x = vec![0.0; rows * m];
        let mut y = Vec::with_capacity(rows);
        let mut r0 = 0;
        for l in labelled {
            let s = &store.samples[l.sample];
            let mut ret = l.returns.clone();
            if label == LabelNorm::Zscore {
                zscore_columns(&mut ret, 1);
            }
            y.extend(ret.iter().map(|&v| f64::from(v)));
            for i in 0..s.n() {
                for j in 0..m {
                    x[j * rows + r0 + i] = f64::from(s.x[i * m + j]);
                }
            }
            r0 += s.n();
        }
        Design {
            x,
            y,
            rows,
            cols: m,
        }
    }

    fn matrix(&self) -> Matrix<'_, f64> {
        Matrix::new(&self.x, self.rows, self.cols)
    }

    /// Training and validation rows together (training first).
    fn concat(a: &Design, b: &Design) -> Design {
        let rows = a.rows + b.rows;
        let mut x = Vec::with_capacity(rows * a.cols);
        for j in 0..a.cols {
            x.extend_from_slice(&a.x[j * a.rows..(j + 1) * a.rows]);
            x.extend_from_slice(&b.x[j * b.rows..(j + 1) * b.rows]);
        }
        Design {
            x,
            y: a.y.iter().chain(&b.y).copied().collect(),
            rows,
            cols: a.cols,
        }
    }
}

/// What one window's boosting chose.
pub struct Fitted {
    pub booster: GradientBooster,
    /// Rounds run (before any refit).
    pub rounds_run: usize,
    /// Rounds kept.
    pub rounds: usize,
    /// Validation MSE at the kept round (None without validation dates).
    pub valid_mse: Option<f64>,
}

/// The booster of `cfg` with `rounds` rounds and `seed`.
pub fn booster(cfg: &GbdtConfig, rounds: usize, seed: u64) -> GradientBooster {
    let row_sampling = cfg.bagging_fraction < 1.0;
    let mut b = GradientBooster::default()
        .set_objective_type(ObjectiveType::SquaredLoss)
        .set_initialize_base_score(true)
        .set_iterations(rounds)
        .set_learning_rate(cfg.learning_rate as f32)
        .set_max_leaves(cfg.leaves)
        .set_max_depth(cfg.max_depth)
        .set_min_leaf_weight(cfg.min_data_in_leaf as f32)
        .set_l2(cfg.l2 as f32)
        .set_gamma(0.0)
        .set_nbins(cfg.bins)
        .set_subsample(cfg.bagging_fraction as f32)
        .set_sample_method(if row_sampling {
            SampleMethod::Random
        } else {
            SampleMethod::None
        })
        .set_colsample_bytree(cfg.feature_fraction)
        .set_seed(seed)
        .set_parallel(cfg.threads > 1)
        .set_num_threads(Some(cfg.threads))
        .set_evaluation_metric(Some(Metric::RootMeanSquaredError));
    b.grow_policy = GrowPolicy::LossGuide;
    b
}

fn boost_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Run(format!("model `gbdt`: {what}: {e}"))
}

/// Steps 2–3 of the module docs on one window's designs.
pub fn fit_window(cfg: &GbdtConfig, train: &Design, valid: &Design, seed: u64) -> Result<Fitted> {
    if valid.rows == 0 || cfg.early_stopping_rounds == 0 {
        let all = Design::concat(train, valid);
        let mut b = booster(cfg, cfg.rounds, seed);
        b.fit_unweighted(&all.matrix(), &all.y, None)
            .map_err(|e| boost_err("training", e))?;
        return Ok(Fitted {
            rounds_run: b.trees.len(),
            rounds: b.trees.len(),
            booster: b,
            valid_mse: None,
        });
    }
    let mut b =
        booster(cfg, cfg.rounds, seed).set_early_stopping_rounds(Some(cfg.early_stopping_rounds));
    let weights = vec![1.0; valid.rows];
    b.fit_unweighted(
        &train.matrix(),
        &train.y,
        Some(vec![(valid.matrix(), &valid.y, &weights)]),
    )
    .map_err(|e| boost_err("training", e))?;
    let rounds_run = b.trees.len();
    let best = b.best_iteration.unwrap_or(rounds_run - 1);
    let rmse = b
        .evaluation_history
        .as_ref()
        .map(|h| h.get(best, 0))
        .copied();
    let rounds = best + 1;
    let booster = if cfg.refit {
        let all = Design::concat(train, valid);
        let mut r = booster(cfg, rounds, seed);
        r.fit_unweighted(&all.matrix(), &all.y, None)
            .map_err(|e| boost_err("refitting", e))?;
        r
    } else {
        b.trees.truncate(rounds);
        b.prediction_iteration = None;
        b.best_iteration = None;
        b
    };
    Ok(Fitted {
        booster,
        rounds_run,
        rounds,
        valid_mse: rmse.map(|r| r * r),
    })
}

/// Each factor's share of the booster's total split gain (sums to 1; all 0
/// without a split), in column order.
pub fn gain_importance(b: &GradientBooster, m: usize) -> Vec<f64> {
    let imp = b.calculate_feature_importance(ImportanceMethod::TotalGain, false);
    let gains: Vec<f64> = (0..m)
        .map(|j| imp.get(&j).map_or(0.0, |&g| f64::from(g)))
        .collect();
    let total: f64 = gains.iter().sum();
    if total > 0.0 {
        gains.iter().map(|g| round6(g / total)).collect()
    } else {
        vec![0.0; m]
    }
}

/// The debug dump's folder: `ALPHASIM_GBDT_DUMP` (docs/gbdt.md, "Python
/// LightGBM on the same samples"); unset in normal runs.
fn dump_dir() -> Option<PathBuf> {
    std::env::var_os("ALPHASIM_GBDT_DUMP").map(PathBuf::from)
}

/// Writes `window-<as_of>.csv`: set (`train`/`valid`), date, symbol, the
/// model's inputs and the normalised label of every labelled stock-date.
fn dump_window(
    dir: &Path,
    ctx: &Context<'_>,
    store: &SampleStore,
    split: &super::samples::Split,
    label: LabelNorm,
) -> Result<()> {
    use std::fmt::Write;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut out = String::new();
    for (set, ls) in [("train", &split.train), ("valid", &split.valid)] {
        for l in ls.iter() {
            let s = &store.samples[l.sample];
            let m = s.x.len() / s.n().max(1);
            let mut y = l.returns.clone();
            if label == LabelNorm::Zscore {
                zscore_columns(&mut y, 1);
            }
            for (i, &sym) in s.symbols.iter().enumerate() {
                let _ = write!(out, "{set},{},{}", s.date, ctx.symbol_name(sym));
                for j in 0..m {
                    let _ = write!(out, ",{}", s.x[i * m + j]);
                }
                let _ = writeln!(out, ",{}", y[i]);
            }
        }
    }
    let path = dir.join(format!("window-{}.csv", ctx.date()));
    std::fs::write(&path, out).map_err(|e| Error::io(&path, e))
}

/// Appends to `scoring.csv`: the window's as_of, date, symbol, the inputs
/// and this model's score of every scored stock.
fn dump_scoring(
    dir: &Path,
    ctx: &Context<'_>,
    as_of: &str,
    s: &super::samples::Sample,
    pred: &[f64],
) -> Result<()> {
    use std::fmt::Write;
    use std::io::Write as _;
    let m = s.x.len() / s.n().max(1);
    let mut out = String::new();
    for (i, &sym) in s.symbols.iter().enumerate() {
        let _ = write!(out, "{as_of},{},{}", s.date, ctx.symbol_name(sym));
        for j in 0..m {
            let _ = write!(out, ",{}", s.x[i * m + j]);
        }
        let _ = writeln!(out, ",{}", pred[i]);
    }
    let path = dir.join("scoring.csv");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(out.as_bytes()))
        .map_err(|e| Error::io(&path, e))
}

impl GbdtModel {
    pub fn new(cfg: GbdtConfig, columns: Vec<usize>, factor_names: Vec<String>, seed: u64) -> Self {
        GbdtModel {
            seed: cfg.seed.unwrap_or(seed),
            cfg,
            columns,
            factor_names,
            store: SampleStore::default(),
            booster: None,
            windows: Vec::new(),
        }
    }

    fn weights_path(dir: &Path, as_of: Date) -> PathBuf {
        dir.join(format!("gbdt-{as_of}.json"))
    }

    fn save(b: &GradientBooster, path: &Path) -> Result<()> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
        }
        let json = b
            .json_dump()
            .map_err(|e| boost_err(&format!("saving {}", path.display()), e))?;
        std::fs::write(path, json).map_err(|e| Error::io(path, e))
    }

    fn load(&self, path: &Path) -> Result<GradientBooster> {
        let text = std::fs::read_to_string(path).map_err(|_| {
            Error::Run(format!(
                "model `gbdt`: no booster file {}; run `alphasim train` with the same spec first, or remove `load_weights`",
                path.display()
            ))
        })?;
        let b = GradientBooster::from_json(&text)
            .map_err(|e| boost_err(&format!("reading the booster {}", path.display()), e))?;
        let max_feature = b
            .trees
            .iter()
            .flat_map(|t| t.nodes.iter())
            .filter(|n| !n.is_leaf)
            .map(|n| n.split_feature)
            .max();
        if max_feature.is_some_and(|f| f >= self.columns.len()) {
            return Err(Error::Run(format!(
                "model `gbdt`: the booster {} splits on factor column {} but the spec has {} factors (was it saved with the same factors?)",
                path.display(),
                max_feature.unwrap_or(0) + 1,
                self.columns.len()
            )));
        }
        Ok(b)
    }
}

impl AlphaModel for GbdtModel {
    fn name(&self) -> &str {
        "gbdt"
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
        let opt = SampleOptions::from(&self.cfg.samples);
        let split = self.store.split(ctx, &[self.cfg.horizon], &opt);
        let mut w = WindowInterpretation {
            as_of: as_of.to_string(),
            train_dates: split.train.len(),
            valid_dates: split.valid.len(),
            ..Default::default()
        };
        let m = self.columns.len();
        if let Some(dir) = &self.cfg.load_weights {
            let b = self.load(&Self::weights_path(dir, as_of))?;
            w.epochs = b.trees.len();
            w.best_epoch = b.trees.len();
            w.status = "loaded".into();
            w.importance = gain_importance(&b, m);
            self.booster = Some(b);
        } else if split.train.is_empty() {
            w.status = if self.booster.is_some() {
                "skipped: no labelled training dates yet; previous booster kept".into()
            } else {
                "skipped: no labelled training dates yet; no scores until a window trains".into()
            };
        } else {
            if let Some(dir) = dump_dir() {
                dump_window(&dir, ctx, &self.store, &split, self.cfg.label)?;
            }
            let train: Vec<&Labelled> = split.train.iter().collect();
            let valid: Vec<&Labelled> = split.valid.iter().collect();
            let train = Design::of(&self.store, &train, m, self.cfg.label);
            let valid = Design::of(&self.store, &valid, m, self.cfg.label);
            let window = self.windows.len() as u64 + 1;
            let f = fit_window(&self.cfg, &train, &valid, self.seed.wrapping_add(window))?;
            w.epochs = f.rounds_run;
            w.best_epoch = f.rounds;
            w.best_valid_loss = f.valid_mse.map(round6);
            w.status = "trained".into();
            w.importance = gain_importance(&f.booster, m);
            if let Some(dir) = &self.cfg.save_weights {
                Self::save(&f.booster, &Self::weights_path(dir, as_of))?;
            }
            self.booster = Some(f.booster);
        }
        self.windows.push(w);
        Ok(())
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        let Some(b) = &self.booster else {
            return Ok(vec![f64::NAN; universe.len()]);
        };
        if universe.is_empty() {
            return Ok(Vec::new());
        }
        let s = cross_section(ctx, universe, &self.columns, self.cfg.samples.inputs);
        let (n, m) = (s.n(), self.columns.len());
        let mut x = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                x[j * n + i] = f64::from(s.x[i * m + j]);
            }
        }
        let pred = b.predict(&Matrix::new(&x, n, m), false);
        if let Some(dir) = dump_dir() {
            let as_of = self.windows.last().map_or("", |w| w.as_of.as_str());
            dump_scoring(&dir, ctx, as_of, &s, &pred)?;
        }
        let mut scored: Vec<(SymbolId, f64)> = s.symbols.iter().copied().zip(pred).collect();
        scored.sort_by_key(|p| p.0);
        Ok(scored.into_iter().map(|p| p.1).collect())
    }

    fn interpretation(&self) -> Option<Interpretation> {
        let (groups, _) = Interpretation::groups_of(&self.factor_names);
        Some(Interpretation {
            model: "gbdt".into(),
            factors: self.factor_names.clone(),
            groups,
            windows: self.windows.clone(),
        })
    }
}

#[cfg(test)]
#[path = "gbdt_tests.rs"]
mod tests;
