//! Quarterly `eps` and `bps` reports with announce dates and restatements.

use super::meta::Counts;
use super::universe::Stock;
use super::write::CsvOut;
use crate::Result;
use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Writes the `eps` and `bps` rows of one stock for the quarter ending
/// `period_end` (`price` = the last raw close on or before it), dropping rows
/// announced after `last_date`, the final trading day.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_fundamentals(
    last_date: NaiveDate,
    restatement_rate: f64,
    stock: &Stock,
    period_end: NaiveDate,
    price: f64,
    f0: f64,
    rng: &mut ChaCha8Rng,
    out: &mut CsvOut,
    counts: &mut Counts,
) -> Result<()> {
    let z_eps: f64 = rng.sample(StandardNormal);
    let z_bps: f64 = rng.sample(StandardNormal);
    let eps = price * (0.012 + 0.008 * (0.6 * f0 + 0.8 * z_eps));
    let bps = price / stock.price_to_book * (0.1 * z_bps).exp();
    let period_text = period_end.format("%Y-%m-%d").to_string();
    for (field, value) in [("eps", eps), ("bps", bps)] {
        let announce = period_end + Days::new(rng.random_range(20..=120));
        let restate = rng.random_bool(restatement_rate);
        let later = announce + Days::new(rng.random_range(30..=90));
        let change = rng.random_range(0.02..0.10) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let mut rows = vec![(announce, value)];
        if restate {
            rows.push((later, value * (1.0 + change)));
        }
        for (date, v) in rows {
            if date > last_date {
                continue;
            }
            out.field(&stock.symbol);
            out.field(&period_text);
            out.display(date.format("%Y-%m-%d"));
            out.field(field);
            out.fixed((v * 1e4).round() as i64, 4);
            out.end_record()?;
            counts.fundamental_rows += 1;
            if date != announce {
                counts.restatements += 1;
            }
        }
    }
    Ok(())
}
