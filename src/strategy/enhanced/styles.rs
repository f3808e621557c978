//! Style factors of the enhanced-index limits: the names a spec may use,
//! and today's standardised exposures.
//!
//! A style is, in this order of lookup: a `factors.csv` column of that
//! name; an alias below; a factor-library name. The aliases (the Barra-like
//! style names of the broker reports, built from what a bundle carries):
//!
//! | alias | library factor | note |
//! |---|---|---|
//! | `size` | `log_amt60` | ln(mean traded value of 60 days): bundles carry no shares outstanding, so traded value stands in for market value; a `size` column in factors.csv wins |
//! | `volatility` | `vol60` | std of daily returns over 60 days |
//! | `momentum` | `mom120_20` | C(t−20)/C(t−120) − 1 |
//! | `liquidity` | `amihud60` | mean \|r\| / traded value over 60 days (illiquidity) |
//! | `value` | `bp` | book-to-price (needs fundamentals.csv) |
//!
//! Exposures are standardised per decision over the names that have a value
//! today (the candidates: members traded today): z = (x − mean) / std
//! (population), clipped to ±3, and a name without a value (suspended, or a
//! missing input) has exposure 0 — the average.

use crate::data::SymbolId;
use crate::factors::CATALOG;

/// The style aliases: (alias, library factor).
pub const ALIASES: [(&str, &str); 5] = [
    ("size", "log_amt60"),
    ("volatility", "vol60"),
    ("momentum", "mom120_20"),
    ("liquidity", "amihud60"),
    ("value", "bp"),
];

/// Where a style's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StyleSource {
    /// A `factors.csv` column (its index among the user columns).
    Column(usize),
    /// A factor-library factor (its catalogue index).
    Library(usize),
}

/// Resolves `name` against the bundle's `factors.csv` columns, the aliases
/// and the library; the error lists what is allowed.
pub fn resolve(name: &str, columns: &[String]) -> Result<StyleSource, String> {
    if let Some(k) = columns.iter().position(|c| c == name) {
        return Ok(StyleSource::Column(k));
    }
    let lib = ALIASES.iter().find(|a| a.0 == name).map_or(name, |a| a.1);
    if let Some(i) = CATALOG.iter().position(|f| f.name == lib) {
        return Ok(StyleSource::Library(i));
    }
    let aliases: Vec<&str> = ALIASES.iter().map(|a| a.0).collect();
    Err(format!(
        "unknown style `{name}`: use an alias ({}), a factor-library name (see `alphasim factors --list`) or a factors.csv column{}",
        aliases.join(", "),
        if columns.is_empty() {
            " (this bundle has no factors.csv)".to_owned()
        } else {
            format!(" ({})", columns.join(", "))
        }
    ))
}

/// Today's style exposures of the names that have values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StyleExposures {
    /// The styles, in the spec's order.
    pub names: Vec<String>,
    /// Names with exposures, ascending.
    pub symbols: Vec<SymbolId>,
    /// Standardised exposures, row-major `symbols × names`.
    pub values: Vec<f64>,
}

impl StyleExposures {
    /// Standardises raw values (row-major `symbols × names`, NaN = missing)
    /// per style (see the module docs).
    pub fn standardise(names: Vec<String>, symbols: Vec<SymbolId>, mut raw: Vec<f64>) -> Self {
        let (s, n) = (names.len(), symbols.len());
        let mut col = vec![0.0; n];
        for j in 0..s {
            for (i, c) in col.iter_mut().enumerate() {
                *c = raw[i * s + j];
            }
            crate::metrics::zscore_clipped(&mut col);
            for (i, c) in col.iter().enumerate() {
                raw[i * s + j] = *c;
            }
        }
        StyleExposures {
            names,
            symbols,
            values: raw,
        }
    }

    /// The exposures of `s` (zeros when it has none today).
    pub fn of(&self, s: SymbolId) -> Vec<f64> {
        let k = self.names.len();
        match self.symbols.binary_search(&s) {
            Ok(i) => self.values[i * k..(i + 1) * k].to_vec(),
            Err(_) => vec![0.0; k],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_resolve_columns_aliases_library_and_errors() {
        let cols = vec!["size".to_owned(), "f1".to_owned()];
        assert_eq!(resolve("size", &cols), Ok(StyleSource::Column(0)));
        let lib = |n: &str| CATALOG.iter().position(|f| f.name == n).unwrap();
        assert_eq!(
            resolve("size", &[]),
            Ok(StyleSource::Library(lib("log_amt60")))
        );
        assert_eq!(
            resolve("vol20", &[]),
            Ok(StyleSource::Library(lib("vol20")))
        );
        let e = resolve("beta", &cols).unwrap_err();
        assert!(
            e.contains("unknown style `beta`") && e.contains("size, volatility"),
            "{e}"
        );
    }

    #[test]
    fn test_standardise_by_hand() {
        // one style, values 1, 2, 3, NaN: mean 2, population sd √(2/3)
        let e = StyleExposures::standardise(
            vec!["x".into()],
            (0..4).map(SymbolId).collect(),
            vec![1.0, 2.0, 3.0, f64::NAN],
        );
        let z = (1.5_f64).sqrt();
        assert!((e.values[0] + z).abs() < 1e-12 && e.values[1].abs() < 1e-12);
        assert!((e.values[2] - z).abs() < 1e-12 && e.values[3] == 0.0);
        assert_eq!(e.of(SymbolId(9)), vec![0.0]);
    }
}
