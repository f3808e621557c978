//! The DMFM loss over a batch of dates, averaged over the K heads:
//!
//! L = mean_k [ d_k · mean_t ‖f_tk − f̂_tk‖ − b_k · mean_t β_tk − c_k · ICIR_k ]
//!
//! - ‖f − f̂‖ is the root-mean-square distance over the n stocks of a date
//!   (‖·‖₂/√n, so the term does not grow with the universe size);
//! - β_tk, the factor return, is the closed-form cross-sectional OLS slope of
//!   the k-day forward return on the date's deep factor, with the factor
//!   standardised per date (population std): β = Σ z_i (r_i − r̄) / n. The
//!   standardisation makes the term scale-free (a slope on the raw f_k could
//!   be inflated by shrinking f_k); it is the paper's "local optimiser"
//!   solved exactly;
//! - ICIR_k = mean_t(IC_tk) / std_t(IC_tk) (ddof 1) over the batch's dates,
//!   IC = Pearson correlation of f_k and r_k per date; with one date in the
//!   batch the mean IC is used instead.
//!
//! A small ε keeps every division finite (a constant factor has z = 0).
//!
//! `distance_trains = "attention"` detaches f_k inside the distance term: the
//! attention still learns to explain the deep factor, but the factor is
//! shaped by the return terms alone (f̂ = F ā with ā a softmax is a convex
//! combination of the inputs, so it cannot follow negative loadings).

use candle_core::{Result, Tensor, D};

pub use crate::spec::{DistanceTrains, LossConfig};

const EPS: f64 = 1e-10;

/// Per-column standardisation over rows (population std): n × K.
fn standardise(x: &Tensor) -> Result<Tensor> {
    let mean = x.mean_keepdim(0)?;
    let c = x.broadcast_sub(&mean)?;
    let sd = (c.sqr()?.mean_keepdim(0)? + EPS)?.sqrt()?;
    c.broadcast_div(&sd)
}

/// Factor return per head of one date: OLS slope of `r` (n × K) on the
/// standardised `f` (n × K) → K.
pub fn factor_return(f: &Tensor, r: &Tensor) -> Result<Tensor> {
    let z = standardise(f)?;
    let rc = r.broadcast_sub(&r.mean_keepdim(0)?)?;
    (z * rc)?.mean(0)
}

/// Pearson IC per head of one date → K.
pub fn ic(f: &Tensor, r: &Tensor) -> Result<Tensor> {
    (standardise(f)? * standardise(r)?)?.mean(0)
}

/// RMS distance per head of one date → K.
pub fn distance(f: &Tensor, fhat: &Tensor) -> Result<Tensor> {
    ((f - fhat)?.sqr()?.mean(0)? + EPS)?.sqrt()
}

/// ICIR per head from a B × K matrix of ICs (mean IC when B = 1).
pub fn icir(ics: &Tensor) -> Result<Tensor> {
    let b = ics.dim(0)?;
    let mean = ics.mean(0)?;
    if b < 2 {
        return Ok(mean);
    }
    let var = (ics.broadcast_sub(&ics.mean_keepdim(0)?)?.sqr()?.sum(0)? / (b - 1) as f64)?;
    mean / (var + EPS)?.sqrt()?
}

/// One date's outputs and labels.
pub struct DateTerms<'a> {
    pub f: &'a Tensor,
    pub fhat: Option<&'a Tensor>,
    pub returns: &'a Tensor,
}

/// The loss of a batch, and its parts (mean distance, mean factor return,
/// mean ICIR, each averaged over heads) for logging.
pub fn batch_loss(dates: &[DateTerms<'_>], w: &LossConfig) -> Result<(Tensor, [f32; 3])> {
    let mut betas = Vec::with_capacity(dates.len());
    let mut ics = Vec::with_capacity(dates.len());
    let mut dists = Vec::new();
    for d in dates {
        betas.push(factor_return(d.f, d.returns)?);
        ics.push(ic(d.f, d.returns)?);
        if let Some(fh) = d.fhat {
            let f = match w.distance_trains {
                DistanceTrains::Both => d.f.clone(),
                DistanceTrains::Attention => d.f.detach(),
            };
            dists.push(distance(&f, fh)?);
        }
    }
    let beta = Tensor::stack(&betas, 0)?.mean(0)?; // K
    let ir = icir(&Tensor::stack(&ics, 0)?)?; // K
    let mut per_head = ((beta.clone() * -w.factor_return)? - (ir.clone() * w.icir)?)?;
    let mut dist_mean = 0f32;
    if !dists.is_empty() {
        let dist = Tensor::stack(&dists, 0)?.mean(0)?;
        dist_mean = dist.mean_all()?.to_scalar()?;
        per_head = (per_head + (dist * w.distance)?)?;
    }
    let loss = per_head.mean(D::Minus1)?;
    let parts = [
        dist_mean,
        beta.mean_all()?.to_scalar()?,
        ir.mean_all()?.to_scalar()?,
    ];
    Ok((loss, parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn col(v: &[f64]) -> Tensor {
        let f: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        Tensor::from_vec(f, (v.len(), 1), &Device::Cpu).unwrap()
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    /// Direct OLS slope of y on x: cov(x, y) / var(x).
    fn ols_slope(x: &[f64], y: &[f64]) -> f64 {
        let (mx, my) = (mean(x), mean(y));
        let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let var: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        cov / var
    }

    fn pearson(x: &[f64], y: &[f64]) -> f64 {
        let (mx, my) = (mean(x), mean(y));
        let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let vx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
        let vy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
        cov / (vx * vy).sqrt()
    }

    const F: [f64; 5] = [0.3, -1.2, 2.0, 0.7, -0.1];
    const R: [f64; 5] = [0.01, -0.03, 0.05, -0.02, 0.004];

    #[test]
    fn test_factor_return_is_ols_slope_on_standardised_factor() {
        let m = mean(&F);
        let sd = (F.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 5.0).sqrt();
        let z: Vec<f64> = F.iter().map(|x| (x - m) / sd).collect();
        let expected = ols_slope(&z, &R);
        let got: Vec<f32> = factor_return(&col(&F), &col(&R))
            .unwrap()
            .to_vec1()
            .unwrap();
        assert!(
            (f64::from(got[0]) - expected).abs() < 1e-5,
            "{got:?} vs {expected}"
        );
    }

    #[test]
    fn test_ic_is_pearson() {
        let got: Vec<f32> = ic(&col(&F), &col(&R)).unwrap().to_vec1().unwrap();
        assert!((f64::from(got[0]) - pearson(&F, &R)).abs() < 1e-5);
    }

    #[test]
    fn test_icir_is_mean_over_sample_std() {
        let ics = [0.1, 0.05, -0.02, 0.2];
        let m = mean(&ics);
        let sd = (ics.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3.0).sqrt();
        let got: Vec<f32> = icir(&col(&ics)).unwrap().to_vec1().unwrap();
        assert!(
            (f64::from(got[0]) - m / sd).abs() < 1e-4,
            "{got:?} vs {}",
            m / sd
        );
    }

    #[test]
    fn test_distance_trains_attention_detaches_the_factor() {
        use candle_core::Var;
        let f = Var::from_tensor(&col(&F)).unwrap();
        let fh = Var::from_tensor(&col(&[0.2, -1.0, 1.5, 0.5, 0.0])).unwrap();
        let r = col(&R);
        for (trains, f_moves) in [
            (DistanceTrains::Both, true),
            (DistanceTrains::Attention, false),
        ] {
            let w = LossConfig {
                distance: 1.0,
                factor_return: 0.0,
                icir: 0.0,
                distance_trains: trains,
            };
            let dates = [DateTerms {
                f: f.as_tensor(),
                fhat: Some(fh.as_tensor()),
                returns: &r,
            }];
            let (loss, _) = batch_loss(&dates, &w).unwrap();
            // d RMS(f − f̂)/d f̂_i = (f̂_i − f_i) / (n · RMS): independent of the mode.
            let (fv, hv) = (F, [0.2, -1.0, 1.5, 0.5, 0.0]);
            let rms = (fv
                .iter()
                .zip(&hv)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                / 5.0)
                .sqrt();
            let grads = loss.backward().unwrap();
            let gh: Vec<Vec<f32>> = grads.get(fh.as_tensor()).unwrap().to_vec2().unwrap();
            for i in 0..5 {
                let expected = (hv[i] - fv[i]) / (5.0 * rms);
                assert!(
                    (f64::from(gh[i][0]) - expected).abs() < 1e-5,
                    "{trains:?} {i}"
                );
            }
            let gf = grads.get(f.as_tensor());
            let moved = gf.is_some_and(|g| {
                g.abs()
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
                    > 0.0
            });
            assert_eq!(moved, f_moves, "{trains:?}");
        }
    }

    #[test]
    fn test_batch_loss_combines_terms() {
        // two dates, one head: loss = d·mean dist − b·mean β − c·ICIR
        let f2 = [1.0, 0.5, -0.5, 0.0, 2.0];
        let r2 = [0.02, -0.01, 0.0, 0.01, 0.03];
        let fh = [0.2, -1.0, 1.5, 0.5, 0.0];
        let w = LossConfig {
            distance: 0.5,
            factor_return: 2.0,
            icir: 0.3,
            ..LossConfig::default()
        };
        let dist = |a: &[f64], b: &[f64]| {
            (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / a.len() as f64).sqrt()
        };
        let z = |v: &[f64]| {
            let m = mean(v);
            let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt();
            v.iter().map(|x| (x - m) / sd).collect::<Vec<_>>()
        };
        let b1 = ols_slope(&z(&F), &R);
        let b2 = ols_slope(&z(&f2), &r2);
        let (i1, i2) = (pearson(&F, &R), pearson(&f2, &r2));
        let icm = (i1 + i2) / 2.0;
        let icsd = (((i1 - icm).powi(2) + (i2 - icm).powi(2)) / 1.0).sqrt();
        let expected =
            0.5 * (dist(&F, &fh) + dist(&f2, &fh)) / 2.0 - 2.0 * (b1 + b2) / 2.0 - 0.3 * icm / icsd;
        let (t1, t2, th) = (col(&F), col(&f2), col(&fh));
        let (r1t, r2t) = (col(&R), col(&r2));
        let dates = [
            DateTerms {
                f: &t1,
                fhat: Some(&th),
                returns: &r1t,
            },
            DateTerms {
                f: &t2,
                fhat: Some(&th),
                returns: &r2t,
            },
        ];
        let (loss, _) = batch_loss(&dates, &w).unwrap();
        let got: f32 = loss.to_scalar().unwrap();
        assert!(
            (f64::from(got) - expected).abs() < 1e-3,
            "{got} vs {expected}"
        );
    }
}
