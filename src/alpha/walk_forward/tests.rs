//! The window protocol and the epoch loop on fake models whose every step is
//! known: which inits, trainings and refits run, the statuses, the kept
//! epoch and its weights, the saved file.

use super::epochs::{self, Epochs, Run};
use super::*;
use candle_core::{DType, Device, Tensor};
use candle_nn::Init;
use rand_chacha::ChaCha8Rng;

fn date() -> Date {
    Date::from_ymd_opt(2020, 6, 30).unwrap()
}

/// A VarMap with one scalar variable `w`, and its setter / getter.
fn one_var() -> VarMap {
    let map = VarMap::new();
    map.get(1, "w", Init::Const(0.0), DType::F32, &Device::Cpu)
        .unwrap();
    map
}

fn set(map: &VarMap, v: f32) {
    let (_, var) = &weights::sorted_vars(map)[0];
    var.set(&Tensor::new(&[v], &Device::Cpu).unwrap()).unwrap();
}

fn get(map: &VarMap) -> f32 {
    let (_, var) = &weights::sorted_vars(map)[0];
    var.as_tensor().to_vec1::<f32>().unwrap()[0]
}

/// Epoch e sets w = e and reports the e-th criterion of a fixed list.
struct Scripted<'a> {
    map: &'a VarMap,
    criteria: Vec<f64>,
    validates: bool,
    epoch: usize,
}

impl Epochs for Scripted<'_> {
    fn train_epoch(&mut self, _rng: &mut ChaCha8Rng) -> Result<f64> {
        self.epoch += 1;
        set(self.map, self.epoch as f32);
        Ok(if self.validates {
            100.0
        } else {
            self.criteria[self.epoch - 1]
        })
    }
    fn validates(&self) -> bool {
        self.validates
    }
    fn valid_loss(&mut self) -> Result<f64> {
        Ok(self.criteria[self.epoch - 1])
    }
}

fn run(criteria: &[f64], validates: bool, epochs: usize, keep_last: bool) -> (Trained, f32, usize) {
    let map = one_var();
    let mut e = Scripted {
        map: &map,
        criteria: criteria.to_vec(),
        validates,
        epoch: 0,
    };
    let r = Run {
        name: "fake",
        as_of: date(),
        window: 1,
        seed: 7,
        epochs,
        patience: 2,
        keep_last,
    };
    let events = std::sync::Arc::new(std::sync::Mutex::new(0usize));
    let seen = events.clone();
    let mut progress: Option<TrainProgress> = Some(Box::new(move |ev: &TrainEvent| {
        assert_eq!(
            (ev.model.as_str(), ev.window, ev.max_epochs),
            ("fake", 1, epochs)
        );
        *seen.lock().unwrap() += 1;
    }));
    let out = epochs::run(&mut e, &map, &r, &mut progress).unwrap();
    let n = *events.lock().unwrap();
    (out, get(&map), n)
}

#[test]
fn test_early_stopping_keeps_the_best_epoch_and_its_weights() {
    // best 2.0 at epoch 2, then two epochs without improvement (patience 2)
    let (out, w, events) = run(&[3.0, 2.0, 2.5, 2.0, 1.0], true, 5, false);
    assert_eq!(out, (4, 2, Some(2.0)));
    assert_eq!(w, 2.0, "epoch 2's weights restored");
    assert_eq!(events, 4, "one progress event per epoch run");
    // the kept criterion is rounded to 6 digits
    let (out, _, _) = run(&[0.123_456_789], true, 1, false);
    assert_eq!(out, (1, 1, Some(0.123_457)));
}

#[test]
fn test_without_validation_no_early_stop_and_no_kept_loss() {
    // no patience without validation dates: every epoch runs, the lowest
    // training criterion is kept, and no validation loss is reported
    let (out, w, _) = run(&[3.0, 2.0, 2.5, 2.6, 2.7], false, 5, false);
    assert_eq!(out, (5, 2, None));
    assert_eq!(w, 2.0);
}

#[test]
fn test_a_non_finite_criterion_stops_and_keeps_the_best_so_far() {
    let (out, w, _) = run(&[3.0, 1.0, f64::NAN, 0.5], true, 4, false);
    assert_eq!(out, (3, 2, Some(1.0)));
    assert_eq!(w, 2.0);
    // nothing kept when the first epoch is already not finite
    let (out, w, _) = run(&[f64::INFINITY, 1.0], true, 2, false);
    assert_eq!(out, (1, 0, None));
    assert_eq!(w, 1.0, "the weights stay as trained");
}

#[test]
fn test_keep_last_runs_every_epoch_and_keeps_the_last_weights() {
    let (out, w, events) = run(&[1.0, 2.0, 3.0], false, 3, true);
    assert_eq!(out, (3, 3, None));
    assert_eq!((w, events), (3.0, 3));
}

/// A model whose init sets w = 0 and whose training adds 1 to w, reporting
/// best epoch `best`; it logs every call.
struct Fake {
    walk: Walk,
    varmap: VarMap,
    best: usize,
    log: Vec<String>,
}

impl Fake {
    fn new(train: TrainConfig, dirs: [Option<PathBuf>; 2], best: usize) -> Self {
        let walk = Walk::new("fake", vec!["a".into()], 3, &train, dirs, "model");
        Fake {
            walk,
            varmap: one_var(),
            best,
            log: Vec::new(),
        }
    }
}

impl WalkForward for Fake {
    type Dates<'a> = (Vec<()>, Vec<()>);

    fn state(&mut self) -> (&mut Walk, &mut VarMap) {
        (&mut self.walk, &mut self.varmap)
    }
    fn init_weights(&mut self, window: u64) -> Result<()> {
        self.log.push(format!("init {window}"));
        set(&self.varmap, 0.0);
        Ok(())
    }
    fn train_window(
        &mut self,
        _dates: &Self::Dates<'_>,
        _as_of: Date,
        window: usize,
        refit: Option<usize>,
    ) -> Result<Trained> {
        self.log.push(format!("train {window} {refit:?}"));
        set(&self.varmap, get(&self.varmap) + 1.0);
        Ok((6, self.best, Some(0.5)))
    }
    fn interpret(&self, _dates: &Self::Dates<'_>, w: &mut WindowInterpretation) -> Result<()> {
        w.gates = vec![1.0];
        Ok(())
    }
}

fn dates(train: usize, valid: usize) -> (Vec<()>, Vec<()>) {
    (vec![(); train], vec![(); valid])
}

#[test]
fn test_fresh_windows_init_by_window_number_and_record_the_training() {
    let mut m = Fake::new(TrainConfig::default(), [None, None], 4);
    fit_window(&mut m, &dates(3, 2), date()).unwrap();
    fit_window(&mut m, &dates(5, 2), date()).unwrap();
    assert_eq!(m.log, ["init 1", "train 1 None", "init 2", "train 2 None"]);
    let w = &m.walk.windows[1];
    assert_eq!((w.train_dates, w.valid_dates, w.epochs), (5, 2, 6));
    assert_eq!((w.best_epoch, w.best_valid_loss), (4, Some(0.5)));
    assert_eq!(
        (w.status.as_str(), w.as_of.as_str()),
        ("trained", "2020-06-30")
    );
    assert_eq!(w.gates, [1.0], "interpreted once fitted");
    assert!(m.walk.fitted);
}

#[test]
fn test_warm_start_and_refit_restart_from_the_window_start() {
    let train = TrainConfig {
        warm_start: true,
        refit: true,
        ..TrainConfig::default()
    };
    let mut m = Fake::new(train, [None, None], 2);
    // window 1: nothing trained yet, so a fresh init; the refit starts
    // from the same init: w = 0 → 1, init → 0 → 1
    fit_window(&mut m, &dates(3, 2), date()).unwrap();
    assert_eq!(
        m.log,
        ["init 1", "train 1 None", "init 1", "train 1 Some(2)"]
    );
    assert_eq!(m.walk.windows[0].status, "trained, refit on 5 dates");
    assert_eq!(get(&m.varmap), 1.0);
    // window 2: warm (no init); the refit restores the window's start
    // (w = 1), so w = 1 → 2, restore → 1 → 2 (without the restore: 3)
    m.log.clear();
    fit_window(&mut m, &dates(4, 3), date()).unwrap();
    assert_eq!(m.log, ["train 2 None", "train 2 Some(2)"]);
    assert_eq!(m.walk.windows[1].status, "warm-started, refit on 7 dates");
    assert_eq!(get(&m.varmap), 2.0);
}

#[test]
fn test_no_refit_without_validation_dates_or_a_kept_epoch() {
    let train = TrainConfig {
        refit: true,
        ..TrainConfig::default()
    };
    let mut m = Fake::new(train.clone(), [None, None], 2);
    fit_window(&mut m, &dates(3, 0), date()).unwrap();
    assert_eq!(m.log, ["init 1", "train 1 None"]);
    let mut m = Fake::new(train, [None, None], 0);
    fit_window(&mut m, &dates(3, 2), date()).unwrap();
    assert_eq!(m.log, ["init 1", "train 1 None"]);
    assert!(!m.walk.fitted, "best epoch 0: no scores");
    assert!(m.walk.windows[0].gates.is_empty(), "not interpreted");
}

#[test]
fn test_no_training_dates_skips_the_window() {
    let mut m = Fake::new(TrainConfig::default(), [None, None], 1);
    fit_window(&mut m, &dates(0, 2), date()).unwrap();
    assert!(m.log.is_empty());
    assert_eq!(
        m.walk.windows[0].status,
        "skipped: no labelled training dates yet; no scores until a window trains"
    );
    fit_window(&mut m, &dates(2, 0), date()).unwrap();
    fit_window(&mut m, &dates(0, 0), date()).unwrap();
    assert_eq!(
        m.walk.windows[2].status,
        "skipped: no labelled training dates yet; previous weights kept"
    );
}

#[test]
fn test_save_then_load_the_window_weights() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("weights");
    let mut a = Fake::new(TrainConfig::default(), [None, Some(folder.clone())], 1);
    fit_window(&mut a, &dates(2, 1), date()).unwrap();
    assert!(folder.join("fake-2020-06-30.safetensors").is_file());
    let mut b = Fake::new(TrainConfig::default(), [Some(folder), None], 1);
    fit_window(&mut b, &dates(2, 1), date()).unwrap();
    assert!(b.log.is_empty(), "loaded, not trained");
    assert_eq!(b.walk.windows[0].status, "loaded");
    assert!(b.walk.fitted);
    assert_eq!(get(&b.varmap), 1.0, "the trained w");
    let mut c = Fake::new(TrainConfig::default(), [Some(dir.path().into()), None], 1);
    let err = fit_window(&mut c, &dates(2, 1), date())
        .unwrap_err()
        .to_string();
    assert!(err.contains("model `fake`: no weights file"), "{err}");
    assert!(err.contains("fake-2020-06-30.safetensors"), "{err}");
}
