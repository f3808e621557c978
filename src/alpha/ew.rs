//! `ew`: the equal-weighted, cross-sectionally z-scored factor composite
//! (DESIGN §4), and `factor`: one raw column.
//!
//! Per signal day, for each factor: mean and population standard deviation
//! over the non-missing values of the candidates; z = (x − mean)/std clipped
//! to ±3; a missing value (or a zero std) gives 0; multiply by the factor's
//! sign; the score is the average over the factors.

use super::model::AlphaModel;
use crate::context::Context;
use crate::data::SymbolId;
use crate::Result;

/// Equal-weighted composite of z-scored factors (or one raw factor).
#[derive(Debug, Clone)]
pub struct EqualWeightModel {
    name: String,
    /// (factor column, sign)
    columns: Vec<(usize, f64)>,
    /// True for the `factor` model: the raw value times its sign, NaN stays NaN.
    raw: bool,
}

impl EqualWeightModel {
    /// The `ew` composite over `columns` (column index, sign).
    pub fn new(name: &str, columns: Vec<(usize, f64)>) -> Self {
        EqualWeightModel {
            name: name.to_owned(),
            columns,
            raw: false,
        }
    }
    /// The `factor` model: one column's raw value times `sign`.
    pub fn single(column: usize, sign: f64) -> Self {
        EqualWeightModel {
            name: "factor".into(),
            columns: vec![(column, sign)],
            raw: true,
        }
    }
}

pub use crate::metrics::zscore_clipped;

impl AlphaModel for EqualWeightModel {
    fn name(&self) -> &str {
        &self.name
    }

    fn score(&mut self, ctx: &Context<'_>, universe: &[SymbolId]) -> Result<Vec<f64>> {
        if self.raw {
            let (k, sign) = self.columns[0];
            return Ok(universe.iter().map(|&s| ctx.factor(s, k) * sign).collect());
        }
        let mut total = vec![0.0; universe.len()];
        let mut column = vec![0.0; universe.len()];
        for &(k, sign) in &self.columns {
            for (c, &s) in column.iter_mut().zip(universe) {
                *c = ctx.factor(s, k);
            }
            zscore_clipped(&mut column);
            for (t, c) in total.iter_mut().zip(&column) {
                *t += sign * c;
            }
        }
        let m = self.columns.len() as f64;
        Ok(total.into_iter().map(|t| t / m).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_zscore_clipped_hand_case() {
        // values 1, 2, 3, NaN: mean 2, population std sqrt(2/3)
        let mut v = [1.0, 2.0, 3.0, f64::NAN];
        zscore_clipped(&mut v);
        let sd = (2.0f64 / 3.0).sqrt();
        let expected = [-1.0 / sd, 0.0, 1.0 / sd, 0.0];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn test_zscore_clipped_clips_outlier() {
        // 19 zeros and one 100: mean 5, pop std sqrt((19*25 + 95^2)/20) = sqrt(475) ≈ 21.79;
        // the outlier's z is 95/21.79 ≈ 4.36, clipped to 3.
        let mut v = vec![0.0; 19];
        v.push(100.0);
        zscore_clipped(&mut v);
        assert_eq!(v[19], 3.0);
        assert!((v[0] - (-5.0 / 475f64.sqrt())).abs() < 1e-12);
    }

    #[test]
    fn test_zscore_clipped_constant_column_is_zero() {
        let mut v = [4.0, 4.0, f64::NAN];
        zscore_clipped(&mut v);
        assert_eq!(v, [0.0, 0.0, 0.0]);
    }
}
