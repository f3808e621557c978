//! The page's text helpers: reading numbers and text out of `report.json`,
//! HTML escaping, how a metric is shown, metric cells and figures.

use super::chart::{Series, Style};
use serde_json::Value;
use std::fmt::Write as _;

pub(super) fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN)
}

pub(super) fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(x) => x.to_string(),
    }
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a metric is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A fraction shown as a percentage with two decimals.
    Percent,
    /// A ratio with three decimals.
    Ratio,
    /// A money amount: two decimals, thousands separated by commas.
    Amount,
    /// A whole number.
    Count,
}

pub(crate) fn display(x: f64, kind: Kind) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let s = match kind {
        Kind::Percent => format!("{:.2}%", x * 100.0),
        Kind::Ratio => format!("{x:.3}"),
        Kind::Amount => thousands(&format!("{x:.2}")),
        Kind::Count => format!("{x:.0}"),
    };
    if s.starts_with("-0.") && s.trim_start_matches(['-', '0', '.', '%']).is_empty() {
        s[1..].to_owned()
    } else {
        s
    }
}

/// Groups the integer digits of a formatted number in threes with commas:
/// `-1234567.891` → `-1,234,567.891`. Text that is not a plain decimal
/// number (exponents, `NaN`) is returned unchanged.
pub(super) fn thousands(s: &str) -> String {
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A one-column row: `label` and the cell of `metrics.<group>.<key>`.
pub(super) fn report_row(
    out: &mut String,
    r: &Value,
    group: &str,
    label: &str,
    key: &str,
    kind: Kind,
) {
    let _ = write!(out, "<tr><th>{label}</th>");
    report_cell(out, r, group, key, kind);
    out.push_str("</tr>\n");
}

/// The cell of report.json's `metrics.<group>.<key>`.
pub(super) fn report_cell(out: &mut String, r: &Value, group: &str, key: &str, kind: Kind) {
    cell(
        out,
        &format!("metrics.{group}.{key}"),
        num(r, &format!("/metrics/{group}/{key}")),
        kind,
    );
}

/// A metric cell: the shown text plus `data-metric` (the report.json path,
/// or `derived.*` for numbers computed here) and `data-value` (full precision).
pub(crate) fn cell(out: &mut String, key: &str, x: f64, kind: Kind) {
    let value = if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "<td class=\"num\" data-metric=\"{}\" data-value=\"{}\">{}</td>",
        esc(key),
        value,
        display(x, kind)
    );
}

pub(super) fn idx_of(dates: &[String]) -> std::collections::HashMap<&str, usize> {
    dates
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect()
}

pub(crate) fn figure(h: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = write!(
        h,
        "<figure id=\"{id}\" class=\"chart\">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>\n"
    );
}

pub(super) fn line(name: &str, color: plotters::style::RGBColor, ys: &[f64]) -> Series {
    Series::new(
        name,
        color,
        Style::Line,
        ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
    )
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn floats(v: Option<&Value>) -> Vec<f64> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_display_formats_and_negative_zero() {
        assert_eq!(display(0.12345, Kind::Percent), "12.35%");
        assert_eq!(display(-0.000001, Kind::Percent), "0.00%");
        assert_eq!(display(1.23456, Kind::Ratio), "1.235");
        assert_eq!(display(f64::NAN, Kind::Ratio), "–");
    }

    #[test]
    fn test_amounts_have_thousands_separators() {
        assert_eq!(display(123953958.720691, Kind::Amount), "123,953,958.72");
        assert_eq!(display(-1234.5, Kind::Amount), "-1,234.50");
        assert_eq!(display(999.0, Kind::Amount), "999.00");
        assert_eq!(thousands("100000000"), "100,000,000");
        assert_eq!(thousands("12345"), "12,345");
        assert_eq!(thousands("1.5e20"), "1.5e20");
        assert_eq!(thousands("NaN"), "NaN");
    }

    #[test]
    fn test_esc_escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
