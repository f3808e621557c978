//! Field parsers: dates (`YYYY-MM-DD` fast path) and finite numbers (Clinger's
//! fast path, then `str::parse`).

use super::location::Fault;
use crate::data::Date;

const DATE_FIX: &str = "write dates as YYYY-MM-DD, e.g. 2024-01-31";

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(super) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = ((153 * mp + 2) / 5 + d - 1) as i32;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date of a day number from [`parse_day`].
pub(crate) fn to_date(day: i32) -> Date {
    Date::from_num_days_from_ce_opt(day + 719_163).expect("a parsed date is in chrono's range")
}

/// Parses `YYYY-MM-DD` to days since 1970-01-01.
pub(super) fn parse_day(b: &[u8], col: usize) -> Result<i32, Fault> {
    let bad = |msg: String| Err(Fault::new(col, b, msg, DATE_FIX));
    if b.is_empty() {
        return bad("empty cell; a date is required".to_owned());
    }
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return bad("not a date in YYYY-MM-DD form".to_owned());
    }
    let mut digits = [0u32; 8];
    for (k, &i) in [0, 1, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        let c = b[i];
        if !c.is_ascii_digit() {
            return bad("not a date in YYYY-MM-DD form".to_owned());
        }
        digits[k] = u32::from(c - b'0');
    }
    let y = (digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]) as i32;
    let m = digits[4] * 10 + digits[5];
    let d = digits[6] * 10 + digits[7];
    if !(1..=12).contains(&m) {
        return bad(format!("no such month: {m}"));
    }
    if d == 0 || d > days_in_month(y, m) {
        return bad(format!(
            "no such day: {y:04}-{m:02} has {} days",
            days_in_month(y, m)
        ));
    }
    Ok(days_from_civil(y, m, d))
}

/// Parses an optional date: an empty cell is `None`.
pub(super) fn parse_opt_day(b: &[u8], col: usize) -> Result<Option<i32>, Fault> {
    if b.is_empty() {
        Ok(None)
    } else {
        parse_day(b, col).map(Some)
    }
}

/// Exact powers of ten up to the largest exactly representable one.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Plain decimals (`-12.345`, `66191336`) with at most 19 digits whose digits fit
/// in 53 bits: `digits / 10^k` with both exact, so the one division rounds
/// correctly (Clinger's fast path). Anything else is left to `str::parse`.
#[inline]
fn fast_f64(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    // Integer digits, then (after a `.`) fraction digits: two tight loops.
    let mut m: u64 = 0;
    let mut i = 0;
    while i < digits.len() {
        let d = digits[i].wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        // Wraps only past 19 digits, which are rejected below.
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    let int_digits = i;
    let mut e = 0;
    if i < digits.len() {
        if digits[i] != b'.' {
            return None;
        }
        i += 1;
        let frac_start = i;
        while i < digits.len() {
            let d = digits[i].wrapping_sub(b'0');
            if d >= 10 {
                return None;
            }
            m = m.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
        e = i - frac_start;
    }
    let n_digits = int_digits + e;
    if n_digits == 0 || n_digits > 19 || m > (1 << 53) || e > 22 {
        return None;
    }
    let v = m as f64 / POW10[e];
    Some(if neg { -v } else { v })
}

/// Parses a finite number; `empty_ok` maps an empty cell to NaN.
#[inline]
pub(super) fn parse_num(b: &[u8], col: usize, empty_ok: bool) -> Result<f64, Fault> {
    if let Some(v) = fast_f64(b) {
        return Ok(v);
    }
    if let Some(v) = std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        if v.is_finite() {
            return Ok(v);
        }
        let what = if v.is_nan() {
            "NaN is not allowed"
        } else if b.iter().any(|c| c.is_ascii_digit()) {
            "the number is too large to be finite"
        } else {
            "infinite values are not allowed"
        };
        return Err(Fault::new(col, b, what, missing_fix(empty_ok)));
    }
    if b.is_empty() {
        if empty_ok {
            return Ok(f64::NAN);
        }
        return Err(Fault::new(
            col,
            b,
            "empty cell; a number is required",
            missing_fix(false),
        ));
    }
    Err(Fault::new(
        col,
        b,
        "not a number",
        "write a plain decimal number such as 12.34 or 1.5e6 (no thousands separators, units or quotes)",
    ))
}

fn missing_fix(empty_ok: bool) -> &'static str {
    if empty_ok {
        "leave the cell empty for a missing value, or write the real number"
    } else {
        "write the real value, or drop the row if there is none"
    }
}
