//! A finite f64 as the text Rust's `Display` gives it (shortest round-trip
//! digits, never an exponent), written with the `ryu` crate's digits.
//!
//! `format!("{x}")` spends most of a run folder's formatting time in the
//! `fmt` machinery; ryu finds the same shortest round-trip digits several
//! times faster but lays them out differently (`1.0`, `1e-7`, `1.5e20`).
//! [`push_display`] re-lays them out as `Display` does (`1`, `0.0000001`,
//! `150000000000000000000`), so every CSV byte stays what it was. The two
//! digit rules differ only at an exact tie (the double lies exactly halfway
//! between two shortest candidates): ryu rounds to the even digit, `Display`
//! up; such a value ([`halfway_above`]) takes `Display`'s own text.

/// Appends `x`'s `Display` text to `out`; `x` must be finite.
pub(super) fn push_display(x: f64, out: &mut String) {
    debug_assert!(x.is_finite());
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(x);
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s),
    };
    // body = int[.frac][eEXP]: value = 0.d1d2…dn × 10^point.
    let (mantissa, exp) = match body.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu writes a decimal exponent")),
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int = int.trim_start_matches('0');
    let lead = if int.is_empty() {
        frac.len() - frac.trim_start_matches('0').len()
    } else {
        0
    };
    let mut all = [0u8; 24]; // ryu writes at most 17 significant digits
    let mut len = 0;
    for c in int.bytes().chain(frac.bytes().skip(lead)) {
        all[len] = c;
        len += 1;
    }
    let digits = match all[..len].iter().rposition(|&d| d != b'0') {
        Some(last) => &all[..=last],
        None => {
            out.push_str(sign);
            out.push('0');
            return;
        }
    };
    let point = int.len() as i32 - lead as i32 + exp;
    if halfway_above(x, digits, point) {
        use std::fmt::Write as _;
        let _ = write!(out, "{x}");
        return;
    }
    out.push_str(sign);
    let n = digits.len() as i32;
    fn text(d: &[u8]) -> &str {
        std::str::from_utf8(d).expect("ascii digits")
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(text(digits));
    } else if point >= n {
        out.push_str(text(digits));
        out.extend(std::iter::repeat_n('0', (point - n) as usize));
    } else {
        out.push_str(text(&digits[..point as usize]));
        out.push('.');
        out.push_str(text(&digits[point as usize..]));
    }
}

/// True when |x| is exactly `0.digits × 10^point` plus half a unit of its
/// last digit and that digit is even: the tie ryu rounds down and
/// `Display` up. Exact integer arithmetic: |x| = m × 2^e with m odd, the
/// midpoint = M × 10^q with M = 10·D + 5 odd, so they are equal iff e = q
/// and the odd parts agree (an overflow means they cannot).
fn halfway_above(x: f64, digits: &[u8], point: i32) -> bool {
    if (digits[digits.len() - 1] - b'0') % 2 != 0 || digits.len() > 19 {
        return false;
    }
    let bits = x.to_bits();
    let (biased, fraction) = (((bits >> 52) & 0x7ff) as i32, bits & ((1u64 << 52) - 1));
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    e += m.trailing_zeros() as i32;
    m >>= m.trailing_zeros();
    let d: u128 = digits.iter().fold(0, |a, &c| a * 10 + u128::from(c - b'0'));
    let big_m = d * 10 + 5;
    let q = point - digits.len() as i32 - 1;
    if e != q {
        return false;
    }
    let five = |k: i32| 5u128.checked_pow(k.unsigned_abs());
    if q >= 0 {
        five(q).and_then(|p| big_m.checked_mul(p)) == Some(u128::from(m))
    } else {
        five(q).and_then(|p| u128::from(m).checked_mul(p)) == Some(big_m)
    }
}

#[cfg(test)]
mod tests {
    use super::push_display;
    use rand::{Rng, SeedableRng};

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
    fn test_ties_take_display_rounding() {
        // 898660616419020.25 lies exactly halfway between the 16-digit
        // ...020.2 and ...020.3 (both round-trip): Display rounds up.
        assert_eq!(text(898660616419020.25), "898660616419020.3");
        assert_eq!(text(-898660616419020.25), "-898660616419020.3");
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
