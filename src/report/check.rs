//! `--check`: comparing a run's summary with a stored one, within a tolerance.

/// The result of comparing a summary with a stored one.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    /// Human-readable differences; empty when the summaries agree.
    pub differences: Vec<String>,
}

/// Compares `current` with `stored` summary text line by line: numeric
/// tokens may differ by at most `tolerance` (absolute, a difference of
/// exactly `tolerance` passes), every other token must be equal, and the
/// line counts must agree.
///
/// ```
/// use alphasim::report::compare_summaries;
/// let a = "alpha 0.100000\ntrade_hash ab\n";
/// assert!(compare_summaries(a, "alpha 0.100001\ntrade_hash ab\n", 1e-5).differences.is_empty());
/// assert_eq!(compare_summaries(a, "alpha 0.200000\ntrade_hash ab\n", 1e-5).differences.len(), 1);
/// ```
pub fn compare_summaries(stored: &str, current: &str, tolerance: f64) -> CheckOutcome {
    let mut differences = Vec::new();
    let a: Vec<&str> = stored.lines().collect();
    let b: Vec<&str> = current.lines().collect();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(""),
            b.get(i).copied().unwrap_or(""),
        );
        if x == y {
            continue;
        }
        let (tx, ty): (Vec<&str>, Vec<&str>) = (
            x.split_whitespace().collect(),
            y.split_whitespace().collect(),
        );
        let same = tx.len() == ty.len()
            && tx.iter().zip(&ty).all(|(p, q)| {
                p == q
                    || match (p.parse::<f64>(), q.parse::<f64>()) {
                        // "at most tolerance", with an allowance of a few ulps
                        // for the subtraction (1.5 − 1.4 > 0.1 in f64)
                        (Ok(u), Ok(v)) => {
                            (u - v).abs() <= tolerance + 4.0 * f64::EPSILON * u.abs().max(v.abs())
                        }
                        _ => false,
                    }
            });
        if !same {
            differences.push(format!(
                "line {}:\n  - stored: {}\n  + now:    {}",
                i + 1,
                x,
                y
            ));
        }
    }
    if a.len() != b.len() {
        // also when the only extra lines are blank (`lines()` compares them as equal)
        differences.push(format!("line count: stored {}, now {}", a.len(), b.len()));
    }
    CheckOutcome { differences }
}
