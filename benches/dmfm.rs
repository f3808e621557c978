//! DMFM speed (release build): `cargo bench --bench dmfm`.
//!
//! - `train_step/<mode>/t<T>/n<N>`: one training day-step of the real
//!   [`Network`] and loss of `alpha::deep` (forward in training mode, the
//!   DMFM loss on one date, backward, AdamW step) at n = 300, 500, 1,000
//!   stocks, m = 63 factors, h = 64, 1 GAT head, 5 horizon heads, 30
//!   industries of uneven sizes (rows sorted by industry, as the model does).
//! - `eval/<mode>/t<T>/n<N>`: forward only, eval mode (scoring a date).
//! - `<mode>`: `block` = the default network (industry GAT per industry
//!   block and the universe GAT, both with the fused op); `masked` = the
//!   industry GAT as one n × n masked attention in plain candle ops (universe
//!   GAT fused); `plain` = both GAT layers in plain candle ops, block-wise
//!   (the reference implementation, `Network::with_plain_gat`).
//!
//! Threads: candle sizes its element-wise barrier pool and rayon's global
//! pool once per process from `RAYON_NUM_THREADS` (gemm reads it per call),
//! so a thread count cannot be switched inside one process. This bench
//! therefore re-runs itself once per thread count (T = 1, 2) with
//! `RAYON_NUM_THREADS=T` set before any candle call; `DMFM_BENCH_THREADS=1`
//! (or `2`) runs a single count. The allocator tuning of `alphasim::malloc`
//! is applied at start-up as in the binary (`ALPHASIM_MALLOC_DEFAULT=1`
//! measures without it). Inputs are seeded; every criterion argument (a
//! filter, `--quick`, …) is passed to the child runs.

use alphasim::alpha::deep::layers::{Arch, HeadActivation, IndustryGatMode, Network};
use alphasim::alpha::deep::loss::{batch_loss, DateTerms, LossConfig};
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use criterion::Criterion;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

const M: usize = 63;
const H: usize = 64;
const K: usize = 5;
const INDUSTRIES: usize = 30;
const SIZES: [usize; 3] = [300, 500, 1000];

/// 30 industry blocks of uneven sizes summing to n: sizes ∝ 1/(i + 1)^0.6
/// (the largest ≈ 11 % of n, the smallest ≈ 1.5 %), like an A-share index.
fn blocks(n: usize) -> Vec<(usize, usize)> {
    let w: Vec<f64> = (0..INDUSTRIES)
        .map(|i| 1.0 / ((i + 1) as f64).powf(0.6))
        .collect();
    let total: f64 = w.iter().sum();
    let mut sizes: Vec<usize> = w
        .iter()
        .map(|x| ((x / total * n as f64).floor() as usize).max(1))
        .collect();
    let mut short = n - sizes.iter().sum::<usize>();
    let mut i = 0;
    while short > 0 {
        sizes[i % INDUSTRIES] += 1;
        short -= 1;
        i += 1;
    }
    let mut start = 0;
    sizes
        .into_iter()
        .map(|l| {
            let b = (start, l);
            start += l;
            b
        })
        .collect()
}

struct Setup {
    map: VarMap,
    net: Network,
    x: Tensor,
    r: Tensor,
    blocks: Vec<(usize, usize)>,
}

/// The trainable variables (BatchNorm running statistics excluded).
fn trainable(s: &Setup) -> Vec<candle_core::Var> {
    s.map
        .data()
        .lock()
        .expect("varmap")
        .iter()
        .filter(|(k, _)| !k.ends_with("running_mean") && !k.ends_with("running_var"))
        .map(|(_, v)| v.clone())
        .collect()
}

fn setup(n: usize, mode: IndustryGatMode, plain: bool) -> Setup {
    let dev = Device::Cpu;
    let map = VarMap::new();
    let vb = VarBuilder::from_varmap(&map, DType::F32, &dev);
    let net =
        Network::new(Arch::Dmfm, M, H, K, 1, mode, HeadActivation::default(), vb).expect("network");
    let net = if plain { net.with_plain_gat() } else { net };
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    {
        // seeded Glorot-uniform init in sorted-name order (as the model does)
        let data = map.data().lock().expect("varmap");
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        for name in names {
            let v = &data[name];
            let dims = v.dims().to_vec();
            let count: usize = dims.iter().product();
            let vals: Vec<f32> = if name.ends_with("running_var") || name.contains(".bn.weight") {
                vec![1.0; count]
            } else if name.ends_with("bias") || name.ends_with("running_mean") {
                vec![0.0; count]
            } else {
                let fan: usize = dims.iter().sum();
                let b = (6.0 / fan as f32).sqrt();
                (0..count).map(|_| rng.random_range(-b..b)).collect()
            };
            v.set(&Tensor::from_vec(vals, dims, &dev).expect("init"))
                .expect("set");
        }
    }
    let x: Vec<f32> = (0..n * M).map(|_| rng.random_range(-3.0..3.0)).collect();
    let r: Vec<f32> = (0..n * K).map(|_| rng.random_range(-2.0..2.0)).collect();
    Setup {
        map,
        net,
        x: Tensor::from_vec(x, (n, M), &dev).expect("x"),
        r: Tensor::from_vec(r, (n, K), &dev).expect("r"),
        blocks: blocks(n),
    }
}

fn bench(c: &mut Criterion, threads: usize) {
    let modes = [
        ("block", IndustryGatMode::Block, false),
        ("masked", IndustryGatMode::Masked, false),
        ("plain", IndustryGatMode::Block, true),
    ];
    for (label, mode, plain) in modes {
        // the machine is shared: log the load next to each group's numbers
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!("load average before {label}/t{threads}: {}", load.trim());
        let mut group = c.benchmark_group(format!("train_step/{label}/t{threads}"));
        for n in SIZES {
            let s = setup(n, mode, plain);
            let params = ParamsAdamW {
                lr: 1e-4,
                weight_decay: 0.0,
                ..ParamsAdamW::default()
            };
            let vars = trainable(&s);
            let mut opt = AdamW::new(vars, params).expect("adamw");
            let cfg = LossConfig::default();
            group.bench_function(format!("n{n}"), |b| {
                b.iter(|| {
                    let out = s.net.forward(&s.x, &s.blocks, true).expect("forward");
                    let terms = [DateTerms {
                        f: &out.f,
                        fhat: out.fhat.as_ref(),
                        returns: &s.r,
                    }];
                    let (loss, _) = batch_loss(&terms, &cfg).expect("loss");
                    opt.backward_step(&loss).expect("step");
                })
            });
        }
        group.finish();
        let mut group = c.benchmark_group(format!("eval/{label}/t{threads}"));
        for n in SIZES {
            let s = setup(n, mode, plain);
            group.bench_function(format!("n{n}"), |b| {
                b.iter(|| {
                    let out = s.net.forward(&s.x, &s.blocks, false).expect("forward");
                    out.f.to_vec2::<f32>().expect("scores")
                })
            });
        }
        group.finish();
    }
}

/// CPU time of this thread, ns (`/proc/thread-self/schedstat`; unaffected by
/// other processes queueing for the cores, unlike wall time).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `DMFM_BENCH_SECTIONS=1`: CPU ms per training step split into forward,
/// loss, backward and AdamW update, `DMFM_BENCH_THREADS` (default 1) threads
/// (a profile by sections), and a digest of the trained output;
/// `DMFM_BENCH_MODE=masked|plain` for the other networks, `DMFM_BENCH_N=500` for one
/// size, `DMFM_BENCH_ITERS` steps (default 60, after 10 warm-up steps).
fn sections() {
    let only: Option<usize> = std::env::var("DMFM_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok());
    for n in SIZES.into_iter().filter(|n| only.is_none_or(|o| o == *n)) {
        let (mode, plain) = match std::env::var("DMFM_BENCH_MODE").as_deref() {
            Ok("masked") => (IndustryGatMode::Masked, false),
            Ok("plain") => (IndustryGatMode::Block, true),
            _ => (IndustryGatMode::Block, false),
        };
        let s = setup(n, mode, plain);
        let vars = trainable(&s);
        let params = ParamsAdamW {
            lr: 1e-4,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        };
        let mut opt = AdamW::new(vars, params).expect("adamw");
        let cfg = LossConfig::default();
        let mut t = [0u64; 5];
        let iters: usize = std::env::var("DMFM_BENCH_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60);
        for it in 0..iters + 10 {
            let t0 = thread_cpu_ns();
            let out = s.net.forward(&s.x, &s.blocks, true).expect("forward");
            let t1 = thread_cpu_ns();
            let terms = [DateTerms {
                f: &out.f,
                fhat: out.fhat.as_ref(),
                returns: &s.r,
            }];
            let (loss, _) = batch_loss(&terms, &cfg).expect("loss");
            let t2 = thread_cpu_ns();
            let grads = loss.backward().expect("backward");
            let t3 = thread_cpu_ns();
            opt.step(&grads).expect("step");
            drop((grads, loss, out));
            let t4 = thread_cpu_ns();
            if it >= 10 {
                for (acc, d) in t
                    .iter_mut()
                    .zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0])
                {
                    *acc += d;
                }
            }
        }
        // a digest of the trained network's output: equal digests across
        // thread counts show the run is bit-identical
        let f: Vec<f32> = s
            .net
            .forward(&s.x, &s.blocks, false)
            .expect("forward")
            .f
            .flatten_all()
            .expect("flatten")
            .to_vec1()
            .expect("scores");
        let digest = f.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3)
        });
        println!("n{n}: output digest after the steps {digest:016x}");
        let t0 = thread_cpu_ns();
        for _ in 0..iters {
            let out = s.net.forward(&s.x, &s.blocks, false).expect("forward");
            out.f.to_vec2::<f32>().expect("scores");
        }
        let eval = thread_cpu_ns() - t0;
        let ms = |v: u64| v as f64 / iters as f64 / 1e6;
        println!(
            "n{n}: forward {:.2} ms, loss {:.2}, backward {:.2}, adamw {:.2}, total {:.2} (CPU ms per step); eval {:.2}",
            ms(t[0]),
            ms(t[1]),
            ms(t[2]),
            ms(t[3]),
            ms(t[4]),
            ms(eval)
        );
    }
}

fn main() {
    alphasim::malloc::retain_freed_memory();
    if std::env::var_os("DMFM_BENCH_SECTIONS").is_some() {
        let t = std::env::var("DMFM_BENCH_THREADS").unwrap_or_else(|_| "1".into());
        std::env::set_var("RAYON_NUM_THREADS", &t);
        std::env::set_var("CANDLE_NUM_THREADS", &t);
        sections();
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Ok(t) = std::env::var("DMFM_BENCH_THREADS") {
        let threads: usize = t.parse().expect("DMFM_BENCH_THREADS is a number");
        // before any candle call: sizes candle's pools for this process
        std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
        let mut c = Criterion::default()
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .configure_from_args();
        bench(&mut c, threads);
        c.final_summary();
        return;
    }
    let exe = std::env::current_exe().expect("bench executable");
    for threads in [1, 2] {
        let status = std::process::Command::new(&exe)
            .args(&args)
            .env("DMFM_BENCH_THREADS", threads.to_string())
            .status()
            .expect("run the bench child");
        assert!(
            status.success(),
            "bench child with {threads} threads failed"
        );
    }
}
