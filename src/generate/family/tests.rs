//! Tests of the family: determinism, per-seed draws, the planted model as
//! `meta.json` documents it (recomputed here from the latents and the
//! written files), monotone codings and noise columns unrelated to μ.

use super::super::factors::FactorPath;
use super::super::generate_bundle;
use super::*;
use crate::metrics::average_ranks;
use serde_json::Value;
use std::collections::BTreeMap;

/// A member cut to 150 stocks × 500 days (index 60) for test speed, without
/// the below-1.00 delisting rule (so "listed" is first ≤ t ≤ last bar in the
/// files) and, unless `keep_temporal`, without the temporal term.
fn small(config: Config, seed: u64, keep_temporal: bool) -> Family {
    let mut m = Family::draw(config, seed);
    m.generator.n_stocks = 150;
    m.generator.n_days = 500;
    m.generator.n_industries = 15;
    m.generator.index_size = 60;
    m.generator.penny_delist_days = 0;
    if !keep_temporal {
        m.generator.temporal_scale = 0.0;
    }
    m
}

/// Everything a test reads back: per stock (symbol order = generator index)
/// and day, the latents recomputed from their streams, μ/s from
/// `oracle_scores.csv`, the written cells, the industry and listing.
struct Bundle {
    meta: Value,
    n: usize,
    days: usize,
    /// `latent[k][t·n + i]`.
    latent: Vec<Vec<f64>>,
    /// μ/s, NaN when not listed.
    mu: Vec<f64>,
    /// `cells[j][t·n + i]`, NaN when empty or no row.
    cells: Vec<Vec<f64>>,
    /// Industry name per `t·n + i` (listed stocks), from industries.csv.
    industry: Vec<Option<String>>,
    regime: Vec<f64>,
    benchmark: Vec<f64>,
}

fn rows(dir: &Path, name: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(dir.join(name)).expect("csv");
    r.records()
        .map(|x| x.expect("record").iter().map(String::from).collect())
        .collect()
}

fn load(member: &Family, seed: u64, dir: &Path) -> Bundle {
    generate_bundle(&member.generator, Some(member), seed, dir).expect("generate");
    let g = &member.generator;
    let (n, days) = (g.n_stocks, g.n_days);
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let dates: Vec<String> = rows(dir, "benchmark.csv")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    let day = |d: &str| dates.binary_search_by(|x| x.as_str().cmp(d)).expect("date");
    let n_sh = n.div_ceil(2);
    let index = |s: &str| {
        let num: usize = s[2..].parse().unwrap();
        if s.starts_with("SH") {
            num - 600_000
        } else {
            n_sh + num - 1
        }
    };
    let latent = (0..N_LATENTS)
        .map(|k| {
            let mut v = vec![0.0; days * n];
            for i in 0..n {
                let mut p = FactorPath::new(seed, i, k, g.factor_rho);
                for t in 0..days {
                    v[t * n + i] = (p.next() * 1e6).round() / 1e6;
                }
            }
            v
        })
        .collect();
    let mut mu = vec![f64::NAN; days * n];
    for r in rows(dir, ORACLE) {
        mu[day(&r[0]) * n + index(&r[1])] = r[2].parse().unwrap();
    }
    let mut cells = vec![vec![f64::NAN; days * n]; N_COLUMNS];
    for r in rows(dir, "factors.csv") {
        let cell = day(&r[0]) * n + index(&r[1]);
        for j in 0..N_COLUMNS {
            if !r[2 + j].is_empty() {
                cells[j][cell] = r[2 + j].parse().unwrap();
            }
        }
    }
    let mut span: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for r in rows(dir, "bars.csv") {
        let (t, i) = (day(&r[0]), index(&r[1]));
        let e = span.entry(i).or_insert((t, t));
        e.1 = t;
    }
    let mut industry = vec![None; days * n];
    for r in rows(dir, "industries.csv") {
        let i = index(&r[0]);
        let (a, b) = (
            day(&r[2]),
            if r[3].is_empty() {
                days - 1
            } else {
                day(&r[3])
            },
        );
        let (first, last) = span[&i];
        for t in a.max(first)..=b.min(last) {
            industry[t * n + i] = Some(r[1].clone());
        }
    }
    let regime = rows(dir, "regime.csv")
        .iter()
        .map(|r| r[2].parse().unwrap())
        .collect();
    let benchmark = rows(dir, "benchmark.csv")
        .iter()
        .map(|r| r[2].parse().unwrap())
        .collect();
    Bundle {
        meta,
        n,
        days,
        latent,
        mu,
        cells,
        industry,
        regime,
        benchmark,
    }
}

const ORACLE: &str = "oracle_scores.csv";

impl Bundle {
    /// Latent k minus its mean over the listed stocks of the same industry.
    fn industry_relative(&self, k: usize) -> Vec<f64> {
        let mut out = vec![f64::NAN; self.days * self.n];
        for t in 0..self.days {
            let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for i in 0..self.n {
                if let Some(ind) = &self.industry[t * self.n + i] {
                    groups.entry(ind).or_default().push(i);
                }
            }
            for members in groups.values() {
                let x = &self.latent[k];
                let mean =
                    members.iter().map(|&i| x[t * self.n + i]).sum::<f64>() / members.len() as f64;
                for &i in members {
                    out[t * self.n + i] = x[t * self.n + i] - mean;
                }
            }
        }
        out
    }

    /// μ/s evaluated from the terms as meta.json states them.
    fn mu_from_meta(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.days * self.n];
        for term in self.meta["signal"]["terms"].as_array().unwrap() {
            let f = |key: &str| term[key].as_f64().unwrap();
            let c = f("coefficient");
            let ks: Vec<usize> = term["latents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let rel = (term["kind"] == "industry_relative").then(|| self.industry_relative(ks[0]));
            for (cell, o) in out.iter_mut().enumerate() {
                let x = |j: usize| self.latent[ks[j]][cell];
                let s = self.regime[cell / self.n];
                *o += c * match term["kind"].as_str().unwrap() {
                    "linear" => x(0),
                    "industry_relative" => rel.as_ref().unwrap()[cell],
                    "interaction" => x(0) * x(1),
                    "step" => f64::from(u8::from(x(0) > f("threshold"))) - f("p_above"),
                    "u_shape" => (x(0) - f("center")).powi(2) - 1.0 - f("center").powi(2),
                    "regime_flip" => s * x(0),
                    "regime_scale" => (1.0 + f("kappa") * s) * x(0),
                    other => panic!("undocumented term kind {other}"),
                };
            }
        }
        out
    }

    fn columns(&self) -> &Vec<Value> {
        self.meta["signal"]["columns"].as_array().unwrap()
    }
}

/// Least squares R² of y on the columns of `x` plus an intercept (normal
/// equations, Gaussian elimination with partial pivoting).
fn r2(y: &[f64], x: &[Vec<f64>]) -> f64 {
    let p = x.len() + 1;
    let row = |r: usize| std::iter::once(1.0).chain(x.iter().map(move |c| c[r]));
    let mut a = vec![vec![0.0; p + 1]; p];
    for (r, &yr) in y.iter().enumerate() {
        let v: Vec<f64> = row(r).collect();
        for i in 0..p {
            for j in 0..p {
                a[i][j] += v[i] * v[j];
            }
            a[i][p] += v[i] * yr;
        }
    }
    for col in 0..p {
        let piv = (col..p)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        for r in 0..p {
            if r != col && a[col][col] != 0.0 {
                let k = a[r][col] / a[col][col];
                let pivot = a[col].clone();
                for (x, pv) in a[r][col..].iter_mut().zip(&pivot[col..]) {
                    *x -= k * pv;
                }
            }
        }
    }
    let beta: Vec<f64> = (0..p).map(|i| a[i][p] / a[i][i]).collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for (r, &yr) in y.iter().enumerate() {
        let fit: f64 = row(r).zip(&beta).map(|(v, b)| v * b).sum();
        ss_res += (yr - fit).powi(2);
        ss_tot += (yr - mean).powi(2);
    }
    1.0 - ss_res / ss_tot
}

fn corr(x: &[f64], y: &[f64]) -> f64 {
    super::super::oracle::pearson(x, y).unwrap_or(0.0)
}

#[test]
fn test_family_same_seed_same_bytes_other_seed_other_model() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let m = small(Config::Mixed, 3, true);
    generate_bundle(&m.generator, Some(&m), 3, a.path()).unwrap();
    generate_bundle(&m.generator, Some(&m), 3, b.path()).unwrap();
    let other = small(Config::Mixed, 4, true);
    generate_bundle(&other.generator, Some(&other), 4, c.path()).unwrap();
    for f in [
        "bars.csv",
        "factors.csv",
        "oracle_scores.csv",
        "regime.csv",
        "meta.json",
        "constituents.csv",
    ] {
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(f)).unwrap();
        assert!(read(&a) == read(&b), "{f} differs for the same seed");
        assert!(read(&a) != read(&c), "{f} is the same for seeds 3 and 4");
    }
    assert!(m.model != other.model && m.columns != other.columns);
}

/// Per configuration and seed: the documented term counts, sizes in range,
/// 20 columns of which 10 pure noise and 2 proxies; across seeds the drawn
/// models and column assignments differ.
#[test]
fn test_family_draws_per_seed() {
    let expected = [
        ("linear", vec![("linear", 4), ("industry_relative", 1)]),
        (
            "interact",
            vec![("linear", 2), ("industry_relative", 1), ("interaction", 2)],
        ),
        (
            "threshold",
            vec![
                ("linear", 2),
                ("industry_relative", 1),
                ("step", 1),
                ("u_shape", 1),
            ],
        ),
        (
            "regime",
            vec![
                ("linear", 2),
                ("industry_relative", 1),
                ("regime_flip", 1),
                ("regime_scale", 1),
            ],
        ),
        ("temporal", vec![("linear", 3), ("industry_relative", 1)]),
        (
            "mixed",
            vec![
                ("linear", 2),
                ("industry_relative", 1),
                ("interaction", 1),
                ("step", 1),
                ("u_shape", 1),
                ("regime_flip", 1),
            ],
        ),
    ];
    for (name, kinds) in expected {
        let config: Config = name.parse().unwrap();
        let draws: Vec<Family> = (1..=6).map(|s| Family::draw(config, s)).collect();
        for m in &draws {
            let json = m.to_json();
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for t in json["terms"].as_array().unwrap() {
                *counts
                    .entry(t["kind"].as_str().unwrap().into())
                    .or_default() += 1;
            }
            let want: BTreeMap<String, usize> =
                kinds.iter().map(|(k, c)| (k.to_string(), *c)).collect();
            assert_eq!(counts, want, "{name}");
            let g = &m.generator;
            assert!((300..=600).contains(&g.n_stocks) && g.n_days == 2_000);
            assert!(3 * g.index_size >= g.n_stocks && 2 * g.index_size <= g.n_stocks + 1);
            assert_eq!(
                g.temporal_scale != 0.0,
                name == "temporal" || name == "mixed"
            );
            let roles: Vec<&str> = json["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["role"].as_str().unwrap())
                .collect();
            assert_eq!(roles.len(), 20);
            assert_eq!(roles.iter().filter(|r| **r == "noise").count(), 10);
            assert_eq!(roles.iter().filter(|r| **r == "proxy").count(), 2);
            let names: Vec<String> = (0..20).map(|j| format!("f{j:02}")).collect();
            let got: Vec<&str> = json["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(got, names);
        }
        for (a, b) in draws.iter().zip(draws.iter().skip(1)) {
            assert!(a.model != b.model, "{name}: two seeds drew one model");
            let src = |m: &Family| m.columns.iter().map(|c| c.source).collect::<Vec<_>>();
            assert!(src(a) != src(b), "{name}: two seeds drew one column order");
        }
    }
    let err = "quadratic".parse::<Config>().unwrap_err().to_string();
    assert!(
        err.contains("--family") && err.contains("threshold, regime"),
        "{err}"
    );
}

/// oracle_scores.csv is the formula of meta.json, evaluated here on the
/// latents recomputed from their streams, industries.csv, the listing spans
/// of bars.csv and regime.csv; the factor part has the documented variance;
/// the regime follows the market (the written benchmark's trailing 60-day
/// return has the same sign on most days).
#[test]
fn test_family_oracle_is_the_documented_formula() {
    for (k, config) in [
        Config::Linear,
        Config::Interact,
        Config::Threshold,
        Config::Regime,
        Config::Mixed,
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 11 + k as u64;
        let dir = tempfile::tempdir().unwrap();
        let b = load(&small(config, seed, false), seed, dir.path());
        let want = b.mu_from_meta();
        let (mut checked, mut sum, mut sum2) = (0, 0.0, 0.0);
        for (cell, &got) in b.mu.iter().enumerate() {
            if got.is_nan() {
                continue;
            }
            assert!(
                (got - want[cell]).abs() < 2e-9,
                "{config:?} cell {cell}: {got} vs {}",
                want[cell]
            );
            checked += 1;
            sum += got;
            sum2 += got * got;
        }
        assert!(checked > 50_000, "{checked}");
        let var = sum2 / checked as f64 - (sum / checked as f64).powi(2);
        assert!(
            (0.5..1.0).contains(&var),
            "{config:?}: variance of mu/s {var}"
        );
        let agree = (REGIME_DAYS..b.days)
            .filter(|&t| {
                let r = b.benchmark[t] / b.benchmark[t - REGIME_DAYS] - 1.0;
                (r >= 0.0) == (b.regime[t] > 0.0)
            })
            .count();
        assert!(agree * 10 >= (b.days - REGIME_DAYS) * 8, "{agree}");
    }
}

/// A linear fit on the latents and their industry-relative versions (per
/// date, listed stocks) explains μ fully on `linear` and clearly not on
/// `interact` or `threshold`; on `regime` a per-date fit is exact (the
/// regime is constant within a date) but one fit pooled over dates is not.
#[test]
fn test_family_linear_fit_is_exact_only_for_the_linear_member() {
    for (k, config) in [
        Config::Linear,
        Config::Interact,
        Config::Threshold,
        Config::Regime,
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 21 + k as u64;
        let dir = tempfile::tempdir().unwrap();
        let b = load(&small(config, seed, false), seed, dir.path());
        let rel: Vec<Vec<f64>> = (0..N_LATENTS).map(|k| b.industry_relative(k)).collect();
        let (mut per_date, mut dates) = (0.0, 0);
        let (mut py, mut px) = (Vec::new(), vec![Vec::new(); 2 * N_LATENTS]);
        for t in (0..b.days).step_by(25) {
            let cells: Vec<usize> = (0..b.n)
                .map(|i| t * b.n + i)
                .filter(|&c| !b.mu[c].is_nan())
                .collect();
            let y: Vec<f64> = cells.iter().map(|&c| b.mu[c]).collect();
            let x: Vec<Vec<f64>> = (0..2 * N_LATENTS)
                .map(|j| {
                    cells
                        .iter()
                        .map(|&c| {
                            if j < N_LATENTS {
                                b.latent[j][c]
                            } else {
                                rel[j - N_LATENTS][c]
                            }
                        })
                        .collect()
                })
                .collect();
            per_date += r2(&y, &x);
            dates += 1;
            py.extend(&y);
            for (p, col) in px.iter_mut().zip(&x) {
                p.extend(col);
            }
        }
        let per_date = per_date / dates as f64;
        let pooled = r2(&py, &px);
        match config {
            Config::Linear => assert!(per_date > 0.9999 && pooled > 0.9999, "{per_date} {pooled}"),
            Config::Regime => assert!(per_date > 0.9999 && pooled < 0.9, "{per_date} {pooled}"),
            Config::Interact => assert!(per_date < 0.7, "interact: R² {per_date}"),
            _ => assert!(per_date < 0.9, "{config:?}: R² {per_date}"),
        }
    }
}

/// Each column codes what meta.json says: over all stock-days, a latent
/// column without t-noise has rank correlation `sign` (±1) with its latent,
/// with t-noise or as a proxy clearly below 1 in size but the same sign;
/// noise columns are unrelated to μ across stocks, planted ones are not;
/// missing cells occur at the stated rate.
#[test]
fn test_family_codings_monotone_noise_unrelated() {
    let seed = 31;
    let dir = tempfile::tempdir().unwrap();
    let b = load(&small(Config::Mixed, seed, false), seed, dir.path());
    let mut seen_exact = 0;
    for (j, col) in b.columns().iter().enumerate() {
        let sign = col["sign"].as_f64().unwrap();
        let role = col["role"].as_str().unwrap();
        let noisy = col["t3_noise_scale"].as_f64().unwrap() > 0.0;
        let rows: Vec<usize> = (0..b.days * b.n)
            .filter(|&c| !b.cells[j][c].is_nan())
            .collect();
        let missing = 1.0 - rows.len() as f64 / b.mu.iter().filter(|m| !m.is_nan()).count() as f64;
        // (written rows also lack the ~1% of suspended listed days)
        assert!(
            (missing - col["missing_rate"].as_f64().unwrap()).abs() < 0.03,
            "{j}: {missing}"
        );
        if role == "noise" {
            continue;
        }
        let k: usize = col["latent"].as_str().unwrap()[1..].parse().unwrap();
        // pooled over every written stock-day: the coding is one function
        // for all stocks, so the pooled rank correlation is ±1 as well
        let c: Vec<f64> = rows.iter().map(|&c| b.cells[j][c]).collect();
        let x: Vec<f64> = rows.iter().map(|&c| b.latent[k][c]).collect();
        let rho = corr(&average_ranks(&c), &average_ranks(&x));
        if role != "proxy" && !noisy {
            assert!(
                rho * sign > 0.9999,
                "column {j}: rank corr {rho}, sign {sign}"
            );
            seen_exact += 1;
        } else {
            assert!(
                rho * sign > 0.5 && rho * sign < 0.995,
                "column {j} ({role}): {rho}"
            );
        }
    }
    assert!(seen_exact > 0);
    // cross-sectional rank IC with μ, mean over dates
    let ic = |j: usize| {
        let mut s = 0.0;
        let mut d = 0;
        for t in (0..b.days).step_by(5) {
            let cells: Vec<usize> = (0..b.n)
                .map(|i| t * b.n + i)
                .filter(|&c| !b.cells[j][c].is_nan() && !b.mu[c].is_nan())
                .collect();
            let x: Vec<f64> = cells.iter().map(|&c| b.cells[j][c]).collect();
            let y: Vec<f64> = cells.iter().map(|&c| b.mu[c]).collect();
            s += corr(&average_ranks(&x), &average_ranks(&y));
            d += 1;
        }
        s / d as f64
    };
    // The columns are persistent AR(1)s (ρ = 0.98), so 500 days hold only
    // ~5 independent cross-sections: a noise column's mean IC has sd ≈
    // 0.08/√5 ≈ 0.036 here; bound each at ~4 sd and their RMS at 2 sd.
    let (mut planted_max, mut noise_sq, mut noise_n) = (0.0f64, 0.0, 0);
    for (j, col) in b.columns().iter().enumerate() {
        match col["role"].as_str().unwrap() {
            "noise" | "latent_not_in_mu" => {
                let v = ic(j);
                assert!(v.abs() < 0.15, "column {j}: IC {v}");
                noise_sq += v * v;
                noise_n += 1;
            }
            "latent" => planted_max = planted_max.max(ic(j).abs()),
            _ => {}
        }
    }
    let rms = (noise_sq / noise_n as f64).sqrt();
    assert!(
        noise_n >= 10 && rms < 0.07,
        "{noise_n} noise columns, RMS IC {rms}"
    );
    assert!(planted_max > 0.2, "{planted_max}");
}
