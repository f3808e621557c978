//! A finite f64 as the text Rust's `Display` gives it (shortest round-trip
//! digits, never an exponent), written with the `zmij` crate's digits.
//!
//! `format!("{x}")` spends most of a run folder's formatting time in the
//! `fmt` machinery; zmij (Schubfach) finds the same shortest round-trip
//! digits several times faster but writes `1.0` for `1` and an exponent
//! outside 1e-5 ≤ |x| < 1e16. The two digit rules also differ at an exact
//! tie (the double lies exactly halfway between two shortest candidates:
//! zmij rounds to the even digit, `Display` up). [`push_display`] therefore
//! takes zmij's text only where neither can happen and `Display`'s own
//! text otherwise, so every CSV byte stays what it was.

use std::fmt::Write as _;

/// Appends `x`'s `Display` text to `out`; `x` must be finite.
pub(super) fn push_display(x: f64, out: &mut String) {
    debug_assert!(x.is_finite());
    if !tie_impossible(x) {
        let _ = write!(out, "{x}");
        return;
    }
    let mut buf = zmij::Buffer::new();
    let s = buf.format_finite(x);
    if s.contains('e') {
        let _ = write!(out, "{x}");
        return;
    }
    // Plain decimal: Display drops an integer's ".0".
    out.push_str(s.strip_suffix(".0").unwrap_or(s));
}

/// True when `x` cannot lie exactly halfway between two shortest decimal
/// candidates. Such a midpoint is `M × 10^q` with `M = 10·D + 5` odd and
/// below 2^60 (`D` has at most 17 digits). With |x| = m × 2^e, m odd, the
/// two are equal only if q = e and, for e < 0, M = m × 5^−e — impossible
/// once m × 5^−e ≥ 2^60, i.e. when log2 m + 2.32 × (−e) ≥ 60 (5 > 2^2.32).
/// Conservative: every x with e ≥ 0 (integers) counts as possible.
fn tie_impossible(x: f64) -> bool {
    let bits = x.to_bits();
    let (biased, fraction) = (((bits >> 52) & 0x7ff) as i64, bits & ((1u64 << 52) - 1));
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if m == 0 {
        return true; // ±0: no digits to round
    }
    let e = e + i64::from(m.trailing_zeros());
    let log2_m = i64::from(63 - (m >> m.trailing_zeros()).leading_zeros());
    e < 0 && 100 * log2_m + 232 * -e >= 6000
}

#[cfg(test)]
mod tests {
    use super::{push_display, tie_impossible};
    use rand::{Rng, SeedableRng};

    /// 898660616419020.25 exactly (a sum of two exact doubles): it lies
    /// halfway between the 16-digit ...020.2 and ...020.3, which both round-trip.
    const TIE: f64 = 898660616419020.0 + 0.25;

    fn text(x: f64) -> String {
        let mut s = String::new();
        push_display(x, &mut s);
        s
    }

    #[test]
    fn test_hand_cases_match_display_text() {
        // (value, the text Display gives, written out by hand)
        for (x, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-2.0, "-2"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (123456.789, "123456.789"),
            (1e-7, "0.0000001"),
            (-2.5e-9, "-0.0000000025"),
            (1.5e20, "150000000000000000000"),
            (1e16, "10000000000000000"),
            (1.2345e17, "123450000000000000"),
            (0.001, "0.001"),
            (5e-324, &format!("0.{}5", "0".repeat(323))),
        ] {
            assert_eq!(text(x), want, "{x:e}");
        }
    }

    #[test]
    fn test_fast_path_is_for_values_with_many_binary_digits() {
        // 0.1 = m × 2^-56 (m odd, 53 bits): m × 5^56 is far above any midpoint.
        for x in [0.1, 1234.5678, -0.0123, 98765.4321] {
            assert!(tie_impossible(x), "{x}");
        }
        // dyadic values with short expansions and integers may be ties
        for x in [0.25, 12.5, TIE, 100.0, 3.0] {
            assert!(!tie_impossible(x), "{x}");
        }
    }

    #[test]
    fn test_ties_take_display_rounding() {
        // Display rounds the tie up (zmij would write ...020.2).
        assert_eq!(text(TIE), "898660616419020.3");
        assert_eq!(text(-TIE), "-898660616419020.3");
        // Many exact quarters and eighths where the double's spacing makes
        // the 17th digit the tie-breaker.
        for k in 0..20_000u64 {
            for frac in [0.125, 0.25, 0.375, 0.625, 0.75, 0.875] {
                let x = (1u64 << 49) as f64 + (k * 7919) as f64 + frac;
                assert_eq!(text(x), format!("{x}"), "{:#x}", x.to_bits());
                let y = x * 1024.0;
                assert_eq!(text(y), format!("{y}"), "{:#x}", y.to_bits());
            }
        }
    }

    #[test]
    fn test_random_values_match_std_display() {
        // Every exponent range (random bit patterns) and the values a run
        // folder holds (prices, weights, quantities, small costs).
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        for i in 0..1_000_000 {
            let x = match i % 4 {
                0 => f64::from_bits(rng.random::<u64>()),
                1 => rng.random::<f64>() * 10f64.powi(rng.random_range(-12..22)),
                2 => (rng.random::<f64>() * 1e6).round() / 100.0,
                _ => -rng.random::<f64>() / 3.0 * 10f64.powi(rng.random_range(-30..30)),
            };
            if !x.is_finite() {
                continue;
            }
            assert_eq!(text(x), format!("{x}"), "{:#x}", x.to_bits());
        }
    }
}
