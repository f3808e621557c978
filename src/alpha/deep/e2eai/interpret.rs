//! What an E2EAI window learnt, for the interpretation report: the scoring
//! gates and, per head, the signed attention and how well its estimate
//! explains the deep factor (scale-free).

use super::{Batch, E2eaiModel, MapCandleError};
use crate::alpha::interpret::{round6, within_date_corr, HeadInterpretation, Interpretation};
use crate::Result;

/// How well f̂ explains f over dates, pooled (the definitions of
/// [`HeadInterpretation`], shared with the DMFM).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// 1 − Σ(f − f̂)² / Σ(f − mean_date f)² (not scale-free).
    pub r2: f64,
    /// The within-date correlation Σf̃f̂̃ / √(Σf̃² Σf̂̃²), both demeaned per date.
    pub corr: f64,
    /// corr²: R² of the best fit f ≈ a_date + b·f̂ (scale-free).
    pub r2_fit: f64,
}

/// [`Fit`] of the per-date pairs (f, f̂).
pub fn fit_quality(dates: &[(Vec<f64>, Vec<f64>)]) -> Fit {
    let (mut sff, mut shh, mut sfh, mut res) = (0.0, 0.0, 0.0, 0.0);
    for (f, h) in dates {
        let n = f.len() as f64;
        let (mf, mh) = (f.iter().sum::<f64>() / n, h.iter().sum::<f64>() / n);
        for (x, y) in f.iter().zip(h) {
            let (dx, dy) = (x - mf, y - mh);
            sff += dx * dx;
            shh += dy * dy;
            sfh += dx * dy;
            res += (x - y) * (x - y);
        }
    }
    let corr = within_date_corr(sfh, sff, shh);
    Fit {
        r2: if sff > 0.0 { 1.0 - res / sff } else { f64::NAN },
        corr,
        r2_fit: corr * corr,
    }
}

/// The gates and the per-head interpretation of the fitted network over `dates`.
pub(super) fn window(
    model: &E2eaiModel,
    dates: &[Batch],
) -> Result<(Vec<f64>, Vec<HeadInterpretation>)> {
    let gates: Vec<f32> = model
        .net
        .gates()
        .map_candle_err()?
        .to_vec1()
        .map_candle_err()?;
    let gates = gates.iter().map(|&g| round6(f64::from(g))).collect();
    if dates.is_empty() {
        return Ok((gates, Vec::new()));
    }
    let (k, m) = (model.cfg.horizons.len(), model.columns.len());
    let mut att = vec![0f64; k * m];
    let mut pairs: Vec<Vec<(Vec<f64>, Vec<f64>)>> = vec![Vec::new(); k];
    for b in dates {
        let out = model
            .net
            .forward(&b.x, &b.blocks, None, false)
            .map_candle_err()?;
        let a: Vec<Vec<f32>> = out.attention.to_vec2().map_candle_err()?;
        for (kk, row) in a.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                att[kk * m + j] += f64::from(*v) / dates.len() as f64;
            }
        }
        let f: Vec<Vec<f32>> = out.f.to_vec2().map_candle_err()?;
        let fh: Vec<Vec<f32>> = out.fhat.to_vec2().map_candle_err()?;
        for (kk, p) in pairs.iter_mut().enumerate() {
            p.push((
                f.iter().map(|r| f64::from(r[kk])).collect(),
                fh.iter().map(|r| f64::from(r[kk])).collect(),
            ));
        }
    }
    let (groups, group_index) = Interpretation::groups_of(&model.walk.factor_names);
    let heads = (0..k)
        .map(|kk| {
            let fa: Vec<f64> = att[kk * m..(kk + 1) * m].to_vec();
            let mut ga = vec![0f64; groups.len()];
            for (j, v) in fa.iter().enumerate() {
                ga[group_index[j]] += v;
            }
            let fit = fit_quality(&pairs[kk]);
            HeadInterpretation {
                horizon: model.cfg.horizons[kk],
                factor_attention: fa.into_iter().map(round6).collect(),
                group_attention: ga.into_iter().map(round6).collect(),
                r2: round6(fit.r2),
                corr: round6(fit.corr),
                r2_fit: round6(fit.r2_fit),
            }
        })
        .collect();
    Ok((gates, heads))
}
