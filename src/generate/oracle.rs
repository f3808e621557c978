//! The oracle: the true expected return as `oracle_scores.csv` and its IC per
//! horizon.

use super::config::SIGNAL_SCALE;
use super::simulate::Panel;
use super::universe::Stock;
use super::write::CsvOut;
use crate::metrics::average_ranks;
use crate::Result;
use std::path::Path;

/// The oracle's scores in a generated bundle (see `write_oracle_scores`).
pub const ORACLE_SCORES_FILE: &str = "oracle_scores.csv";

/// Horizons (trading days) of the oracle IC.
pub const IC_HORIZONS: [usize; 4] = [1, 5, 10, 20];

/// Writes `oracle_scores.csv` (`date,symbol,score`, readable by the `file`
/// model): the true expected return μ_{i,t} / s (the unscaled signal, 9
/// decimals) of every listed stock at every close, so a backtest of the oracle
/// on the test period is measured exactly like a model's scores.
pub(super) fn write_oracle_scores(
    out: &Path,
    date_text: &[String],
    stocks: &[Stock],
    panel: &Panel,
) -> Result<()> {
    let n = stocks.len();
    let mut file = CsvOut::create(out, ORACLE_SCORES_FILE, ["date", "symbol", "score"])?;
    for (t, date) in date_text.iter().enumerate() {
        for (i, stock) in stocks.iter().enumerate() {
            if t < stock.first || t > stock.last {
                continue;
            }
            file.field(date);
            file.field(&stock.symbol);
            file.display(format_args!("{:.9}", panel.mu[t * n + i] / SIGNAL_SCALE));
            file.end_record()?;
        }
    }
    file.finish()
}

/// Mean Pearson and Spearman oracle IC per horizon.
/// Mean IC per horizon, `(horizon, ic)`.
type IcByHorizon = Vec<(usize, f64)>;

pub(super) fn oracle_ics(
    n: usize,
    n_days: usize,
    day_members: &[Vec<usize>],
    panel: &Panel,
) -> (IcByHorizon, IcByHorizon) {
    let mut sum = [0.0f64; IC_HORIZONS.len()];
    let mut sum_rank = [0.0f64; IC_HORIZONS.len()];
    let mut days = [0usize; IC_HORIZONS.len()];
    let mut days_rank = [0usize; IC_HORIZONS.len()];
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut who = Vec::new();
    for (t, members) in day_members.iter().enumerate() {
        if t + IC_HORIZONS[0] >= n_days {
            break;
        }
        who.clear();
        x.clear();
        for &i in members {
            if panel.traded[t * n + i] {
                who.push(i);
                x.push(panel.mu[t * n + i]);
            }
        }
        if who.len() < 3 {
            continue;
        }
        let x_rank = average_ranks(&x);
        for (j, &h) in IC_HORIZONS.iter().enumerate() {
            if t + h >= n_days {
                continue;
            }
            y.clear();
            y.extend(
                who.iter()
                    .map(|&i| panel.close_adj[(t + h) * n + i] / panel.close_adj[t * n + i] - 1.0),
            );
            if let Some(c) = pearson(&x, &y) {
                sum[j] += c;
                days[j] += 1;
            }
            if let Some(c) = pearson(&x_rank, &average_ranks(&y)) {
                sum_rank[j] += c;
                days_rank[j] += 1;
            }
        }
    }
    let mean = |s: &[f64], d: &[usize]| -> IcByHorizon {
        IC_HORIZONS
            .iter()
            .enumerate()
            .map(|(j, &h)| {
                (
                    h,
                    if d[j] > 0 {
                        s[j] / d[j] as f64
                    } else {
                        f64::NAN
                    },
                )
            })
            .collect()
    };
    (mean(&sum, &days), mean(&sum_rank, &days_rank))
}

/// Pearson correlation; `None` for fewer than 2 points or no dispersion.
///
/// Deliberately not [`metrics::pearson`](crate::metrics::pearson): that one
/// centres with a corrected two-pass mean and clamps to [−1, 1], which moves
/// the last digit of some oracle ICs in `meta.json` (e.g. small, seed 7,
/// h = 5: …034 here, …033 there), so generated bundles would change. The
/// ranks are [`metrics::average_ranks`](crate::metrics::average_ranks),
/// which is the same algorithm as the copy it replaced.
pub(super) fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || n != y.len() {
        return None;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}
