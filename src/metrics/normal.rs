//! The standard normal quantile function Φ⁻¹ (Wichura's algorithm AS 241).

/// The standard normal quantile `Φ⁻¹(p)`: the `z` with `P(Z ≤ z) = p` for
/// `Z ~ N(0, 1)`.
///
/// Wichura's AS 241 (`PPND16`, Applied Statistics 37, 1988): rational
/// approximations on `|p − 0.5| ≤ 0.425` and, in the tails, on
/// `r = √(−ln min(p, 1 − p))` split at `r = 5`; relative error about 1e-16
/// over the whole range (the same algorithm as Python's
/// `statistics.NormalDist.inv_cdf`). `−∞` at 0, `+∞` at 1, NaN outside
/// `[0, 1]` or for NaN.
///
/// ```
/// use alphasim::metrics::normal_quantile;
/// assert_eq!(normal_quantile(0.5), 0.0);
/// assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-14);
/// ```
// The coefficients are AS 241's as published (more digits than an f64
// holds), so they can be checked against the paper digit by digit.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = ((((((2509.0809287301226727 * r + 33430.575583588128105) * r
            + 67265.770927008700853)
            * r
            + 45921.953931549871457)
            * r
            + 13731.693765509461125)
            * r
            + 1971.5909503065514427)
            * r
            + 133.14166789178437745)
            * r
            + 3.387132872796366608;
        let den = ((((((5226.495278852545925 * r + 28729.085735721942674) * r
            + 39307.89580009271061)
            * r
            + 21213.794301586595867)
            * r
            + 5394.1960214247511077)
            * r
            + 687.1870074920579083)
            * r
            + 42.313330701600911252)
            * r
            + 1.0;
        return q * num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
            + 0.24178072517745061177)
            * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734;
        let den = ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
            + 0.0151986665636164571966)
            * r
            + 0.14810397642748007459)
            * r
            + 0.68976733498510000455)
            * r
            + 1.6763848301838038494)
            * r
            + 2.05319162663775882187)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
            + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772;
        let den = ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
            + 1.8463183175100546818e-5)
            * r
            + 7.868691311456132591e-4)
            * r
            + 0.0148753612908506148525)
            * r
            + 0.13692988092273580531)
            * r
            + 0.59983220655588793769)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 {
        -z
    } else {
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_normal_quantile_against_reference_values() {
        // Reference: Python statistics.NormalDist().inv_cdf and the tables of
        // Abramowitz & Stegun (26.2): Φ⁻¹(0.975) = 1.959964, Φ⁻¹(0.9) = 1.281552.
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.9599639845400536),
            (0.9, 1.2815515655446008),
            (0.3, -0.5244005127080407),
            (0.84, 0.9944578832097528),
            (0.02425, -1.9729610513118845),
            (0.001, -3.090232306167813),
            (1e-10, -6.361340902404056),
            (1.0 - 1e-12, 7.0344869100478356),
        ] {
            let got = normal_quantile(p);
            assert!(
                (got - z).abs() <= 1e-13 * z.abs().max(1.0),
                "Φ⁻¹({p}) = {got}, expected {z}"
            );
        }
    }

    #[test]
    fn test_normal_quantile_symmetry_and_edges() {
        for p in [0.01, 0.2, 0.4, 0.49] {
            assert!((normal_quantile(p) + normal_quantile(1.0 - p)).abs() < 1e-12);
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan() && normal_quantile(f64::NAN).is_nan());
    }
}
