//! The optional planted *temporal* signal: a term of the expected return
//! that depends on the recent path of a stock's own returns and volume, which
//! no factor column contains (off unless `temporal_scale ≠ 0`).
//!
//! At the close of a traded day t, from the values written to `bars.csv`
//! (`close_adj = close × adj_factor`, `volume`):
//!
//! ```text
//! r_t  = close_adj_t / close_adj_{t−1} − 1      (0 on the first bar; 0 on a suspended day)
//! R5_t = r_t + r_{t−1} + … + r_{t−4}            (the last 5 bar days, 0 before listing)
//! ν_t  = ln volume_t − mean(ln volume over the last 20 traded days, t included)
//! τ_t  = −0.5 · R5_t / 0.05  +  0.5 · clip(ν_t, −2, 2) · r_t / 0.02
//! ```
//!
//! — a short-term reversal of the last week's return plus a volume-shock ×
//! return interaction (a move on unusually high volume continues, one on low
//! volume reverses). μ_{i,t} gains `temporal_scale · τ_t`; on a day without
//! a traded bar τ = 0. No random number is drawn, so with the scale 0 the
//! bundle is byte-identical to one generated without the option.

/// Coefficient of the 5-day reversal term.
pub const REVERSAL_COEFFICIENT: f64 = 0.5;
/// Coefficient of the volume-shock × return term.
pub const VOLUME_SHOCK_COEFFICIENT: f64 = 0.5;
/// Bar days in the reversal sum.
pub const REVERSAL_DAYS: usize = 5;
/// Traded days in the volume mean.
pub const VOLUME_DAYS: usize = 20;
/// Units of the reversal and of the daily return (typical sizes).
const REVERSAL_UNIT: f64 = 0.05;
const RETURN_UNIT: f64 = 0.02;
/// Clip of the volume shock.
const SHOCK_CLIP: f64 = 2.0;

/// The formula as written into `meta.json`.
pub const FORMULA: &str = "tau[i,t] = -0.5 * R5[i,t] / 0.05 + 0.5 * clip(nu[i,t], -2, 2) * r[i,t] / 0.02; r = close_adj[t]/close_adj[t-1] - 1 (0 on the first bar and on suspended days), R5 = sum of r over the last 5 bar days, nu = ln(volume[t]) - mean of ln(volume) over the last 20 traded days (t included); tau = 0 without a traded bar; mu[i,t] += temporal_scale * tau[i,t]";

/// The rolling state of one stock.
#[derive(Debug, Default)]
pub(super) struct TemporalState {
    returns: [f64; REVERSAL_DAYS],
    log_volumes: [f64; VOLUME_DAYS],
    /// Bar days seen (ring position of `returns`).
    bar_days: usize,
    /// Traded days seen (ring position of `log_volumes`).
    traded_days: usize,
    last_close_adj: f64,
}

impl TemporalState {
    /// Takes the close of a day with a bar row (traded or a zero-volume
    /// suspension; `volume` 0 then) and returns τ (0 when not traded).
    pub(super) fn on_bar(&mut self, close_adj: f64, volume: u64) -> f64 {
        let r = if self.bar_days == 0 || volume == 0 {
            0.0
        } else {
            close_adj / self.last_close_adj - 1.0
        };
        self.returns[self.bar_days % REVERSAL_DAYS] = r;
        self.bar_days += 1;
        self.last_close_adj = close_adj;
        if volume == 0 {
            return 0.0;
        }
        self.log_volumes[self.traded_days % VOLUME_DAYS] = (volume as f64).ln();
        self.traded_days += 1;
        let k = self.traded_days.min(VOLUME_DAYS);
        let mean = self.log_volumes[..k].iter().sum::<f64>() / k as f64;
        let nu = (volume as f64).ln() - mean;
        let r5: f64 = self.returns[..self.bar_days.min(REVERSAL_DAYS)]
            .iter()
            .sum();
        -REVERSAL_COEFFICIENT * r5 / REVERSAL_UNIT
            + VOLUME_SHOCK_COEFFICIENT * nu.clamp(-SHOCK_CLIP, SHOCK_CLIP) * r / RETURN_UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed τ: closes 10, 11, 9.9, volumes 100, 400, 100.
    #[test]
    fn test_tau_by_hand() {
        let mut s = TemporalState::default();
        // day 0: r = 0, R5 = 0, ν = 0 → τ = 0
        assert_eq!(s.on_bar(10.0, 100), 0.0);
        // day 1: r = 0.1, R5 = 0.1, ν = ln 400 − (ln 100 + ln 400)/2 = ln 2
        let t1 = s.on_bar(11.0, 400);
        let e1 = -0.5 * 0.1 / 0.05 + 0.5 * 2f64.ln() * 0.1 / 0.02;
        assert!((t1 - e1).abs() < 1e-12, "{t1} vs {e1}");
        // a zero-volume suspension: τ = 0, return 0 joins R5, volume not
        assert_eq!(s.on_bar(11.0, 0), 0.0);
        // day 3: r = −0.1, R5 = 0 + 0.1 + 0 − 0.1 = 0,
        // ν = ln 100 − (2 ln 100 + ln 400)/3 = −(2/3) ln 2
        let t3 = s.on_bar(9.9, 100);
        let e3 = 0.5 * (-(2.0 / 3.0) * 2f64.ln()) * (9.9 / 11.0 - 1.0) / 0.02;
        assert!((t3 - e3).abs() < 1e-9, "{t3} vs {e3}");
    }

    /// The reversal sum keeps only the last 5 bar days.
    #[test]
    fn test_reversal_window_is_five_days() {
        let mut s = TemporalState::default();
        let mut close = 10.0;
        s.on_bar(close, 100);
        let mut tau = 0.0;
        for _ in 0..7 {
            close *= 1.01;
            tau = s.on_bar(close, 100); // ν = 0 (constant volume)
        }
        let e = -0.5 * (5.0 * 0.01) / 0.05;
        assert!((tau - e).abs() < 1e-9, "{tau} vs {e}");
    }
}

#[cfg(test)]
mod bundle_tests {
    use crate::generate::{generate, GeneratorConfig, Preset, SIGNAL_SCALE};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn rows(dir: &Path, name: &str) -> Vec<Vec<String>> {
        let mut r = csv::Reader::from_path(dir.join(name)).unwrap();
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect()
    }

    /// The option off (the default) writes the committed fixture byte for byte.
    #[test]
    fn test_temporal_off_keeps_the_fixture_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let config = GeneratorConfig {
            temporal_scale: 0.0,
            ..Preset::Tiny.config()
        };
        assert_eq!(config, Preset::Tiny.config());
        generate(&config, 42, dir.path()).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tiny");
        for f in ["bars.csv", "factors.csv", "meta.json", "oracle_scores.csv"] {
            let a = std::fs::read(dir.path().join(f)).unwrap();
            let b = std::fs::read(fixture.join(f)).unwrap();
            assert!(a == b, "{f} differs from fixtures/tiny");
        }
    }

    /// With the option on, the oracle score minus the factor part (the same
    /// seed's oracle without the option: the factor paths do not depend on
    /// prices) is S·τ, τ recomputed here from the written `bars.csv` by a
    /// direct loop over each symbol's rows.
    #[test]
    fn test_temporal_term_matches_the_written_bars() {
        let s_t = 0.002;
        let (off, on) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate(&Preset::Tiny.config(), 5, off.path()).unwrap();
        let config = GeneratorConfig {
            temporal_scale: s_t,
            ..Preset::Tiny.config()
        };
        generate(&config, 5, on.path()).unwrap();
        let key = |r: &Vec<String>| (r[1].clone(), r[0].clone());
        let oracle_off: BTreeMap<_, f64> = rows(off.path(), "oracle_scores.csv")
            .iter()
            .map(|r| (key(r), r[2].parse().unwrap()))
            .collect();
        let oracle_on: BTreeMap<_, f64> = rows(on.path(), "oracle_scores.csv")
            .iter()
            .map(|r| (key(r), r[2].parse().unwrap()))
            .collect();
        // bars.csv is sorted by symbol, then date
        let bars = rows(on.path(), "bars.csv");
        let (mut checked, mut nonzero) = (0, 0);
        let mut i = 0;
        while i < bars.len() {
            let sym = bars[i][1].clone();
            let mut closes: Vec<f64> = Vec::new();
            let mut rets: Vec<f64> = Vec::new();
            let mut log_vols: Vec<f64> = Vec::new();
            while i < bars.len() && bars[i][1] == sym {
                let b = &bars[i];
                let close: f64 = b[5].parse::<f64>().unwrap() * b[8].parse::<f64>().unwrap();
                let volume: f64 = b[6].parse().unwrap();
                let r = match closes.last() {
                    Some(prev) if volume > 0.0 => close / prev - 1.0,
                    _ => 0.0,
                };
                closes.push(close);
                rets.push(r);
                let tau = if volume > 0.0 {
                    log_vols.push(volume.ln());
                    let last20 = &log_vols[log_vols.len().saturating_sub(20)..];
                    let nu = volume.ln() - last20.iter().sum::<f64>() / last20.len() as f64;
                    let r5: f64 = rets[rets.len().saturating_sub(5)..].iter().sum();
                    -0.5 * r5 / 0.05 + 0.5 * nu.clamp(-2.0, 2.0) * r / 0.02
                } else {
                    0.0
                };
                let k = (sym.clone(), b[0].clone());
                let got = (oracle_on[&k] - oracle_off[&k]) * SIGNAL_SCALE / s_t;
                assert!((got - tau).abs() < 1e-5, "{k:?}: {got} vs τ = {tau}");
                checked += 1;
                nonzero += usize::from(tau.abs() > 0.1);
                i += 1;
            }
        }
        assert!(
            checked > 5000 && nonzero > checked / 2,
            "{checked} {nonzero}"
        );
        let meta = std::fs::read_to_string(on.path().join("meta.json")).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        assert_eq!(meta["temporal_signal"]["scale"], s_t);
        let meta_off = std::fs::read_to_string(off.path().join("meta.json")).unwrap();
        assert!(!meta_off.contains("temporal"));
    }
}
