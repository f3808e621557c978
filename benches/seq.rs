//! Sequence-model speed (release build): `cargo bench --bench seq`.
//!
//! - `train_step/<kind>/n<N>`: one training step of the real network of
//!   `alpha::seq` on one date (forward in training mode, the loss of the
//!   deep models on one date, backward, AdamW step) at n = 300, 500, 1,000
//!   stocks, window 60, 6 features per day (the PyTorch reference),
//!   the default sizes (gru: GRU(50, 2 layers) + dense 10; alstm: 64,
//!   2 layers) and one output head.
//! - `eval/<kind>/n<N>`: forward only, evaluation mode (scoring a date).
//! - `<kind>/plain` rows (n = 300 only): the same step with the recurrent
//!   layers as plain step-by-step candle ops (the test reference).
//!
//! One thread (`RAYON_NUM_THREADS=1` is set before any candle call); the
//! allocator tuning of `alphasim::malloc` as in the binary; inputs and
//! weights are seeded.

use alphasim::alpha::deep::loss::{batch_loss, DateTerms, LossConfig};
use alphasim::alpha::seq::{SeqArch, SeqNet, SeqSizes};
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use criterion::Criterion;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

const WINDOW: usize = 60;
const FEATURES: usize = 6;
const SIZES: [usize; 3] = [300, 500, 1000];

fn random(rng: &mut ChaCha8Rng, dims: &[usize], scale: f32) -> Tensor {
    let n: usize = dims.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
}

struct Setup {
    net: SeqNet,
    opt: AdamW,
    x: Tensor,
    r: Tensor,
}

fn setup(arch: SeqArch, n: usize) -> Setup {
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &Device::Cpu);
    let sizes = SeqSizes {
        features: FEATURES,
        hidden: arch.default_hidden(),
        layers: 2,
        dense: 10,
        heads: 1,
    };
    let net = SeqNet::new(arch, sizes, vb).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut names: Vec<String> = map.data().lock().unwrap().keys().cloned().collect();
    names.sort();
    let vars = map.all_vars();
    for name in &names {
        let v = map.data().lock().unwrap()[name].clone();
        let bound = 1.0 / (sizes.hidden as f32).sqrt();
        v.set(&random(&mut rng, v.dims(), bound)).unwrap();
    }
    let opt = AdamW::new(vars, ParamsAdamW::default()).unwrap();
    Setup {
        net,
        opt,
        x: random(&mut rng, &[WINDOW, n, FEATURES], 1.0),
        r: random(&mut rng, &[n, 1], 1.0),
    }
}

fn train_step(s: &mut Setup, fused: bool) {
    let f = s.net.forward(&s.x, true, fused).unwrap();
    let terms = [DateTerms {
        f: &f,
        fhat: None,
        returns: &s.r,
    }];
    let (loss, _) = batch_loss(&terms, &LossConfig::default()).unwrap();
    s.opt.backward_step(&loss).unwrap();
}

fn main() {
    alphasim::malloc::retain_freed_memory();
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for arch in [SeqArch::Gru, SeqArch::Alstm] {
        for n in SIZES {
            let mut s = setup(arch, n);
            c.bench_function(&format!("train_step/{}/n{n}", arch.name()), |b| {
                b.iter(|| train_step(&mut s, true))
            });
            c.bench_function(&format!("eval/{}/n{n}", arch.name()), |b| {
                b.iter(|| s.net.forward(&s.x, false, true).unwrap().detach())
            });
        }
        let mut s = setup(arch, 300);
        c.bench_function(&format!("train_step/{}/plain/n300", arch.name()), |b| {
            b.iter(|| train_step(&mut s, false))
        });
    }
    c.final_summary();
}
