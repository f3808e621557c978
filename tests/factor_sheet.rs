//! `factor_report.html` and the series behind it: recomputed here from the
//! panel CSV (the values the collector saw) and bars.csv with the rules
//! written out (no library code), parsed with scraper, and unchanged by
//! data after the window it may see (look-ahead).

use crate::common::{copy_bundle, root, spec_text};
use alphasim::research::factor_report::{factor_report, FactorReport, PanelOptions};
use scraper::{Html, Selector};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

const SPEC: &str = "data = \".\"\nindex = \"synth\"\nfactors = [\"reversal:ret3\", \"volatility:vol20\"]\nquantiles = 4\n[model]\nkind = \"ew\"\n";

fn run(dir: &Path, panel: Option<&Path>) -> FactorReport {
    let spec = spec_text(SPEC, dir);
    let market = alphasim::data::load_market(dir, &Default::default()).expect("bundle loads");
    let mut progress = |_: usize, _: usize| {};
    factor_report(
        &spec,
        &market,
        &PanelOptions {
            out: panel.map(Path::to_path_buf),
            daily: false,
        },
        &mut progress,
    )
    .expect("factor report runs")
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Adjusted closes by symbol, one entry per trading day of the bundle
/// (the last close on or before that day; None before the first bar).
struct Closes {
    days: Vec<String>,
    by_symbol: HashMap<String, Vec<Option<f64>>>,
}

fn closes(dir: &Path) -> Closes {
    let text = std::fs::read_to_string(dir.join("bars.csv")).unwrap();
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let at = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (close, adj) = (at("close"), at("adj_factor"));
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let c: f64 = f[close].parse().unwrap();
        let a: f64 = f[adj].parse().unwrap();
        rows.push((f[0].to_owned(), f[1].to_owned(), c * a));
    }
    let mut days: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    days.sort();
    days.dedup();
    let index: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut by_symbol: HashMap<String, Vec<Option<f64>>> = HashMap::new();
    for (d, s, c) in &rows {
        by_symbol
            .entry(s.clone())
            .or_insert_with(|| vec![None; days.len()])[index[d.as_str()]] = Some(*c);
    }
    for v in by_symbol.values_mut() {
        for i in 1..v.len() {
            if v[i].is_none() {
                v[i] = v[i - 1];
            }
        }
    }
    Closes { days, by_symbol }
}

/// 1-based average ranks.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; x.len()];
    for i in 0..x.len() {
        let less = x.iter().filter(|&&v| v < x[i]).count();
        let equal = x.iter().filter(|&&v| v == x[i]).count();
        r[i] = less as f64 + (equal as f64 + 1.0) / 2.0;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

#[test]
fn test_factor_sheet_series_recomputed_from_the_panel_and_bars() {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    let out = tempfile::tempdir().unwrap();
    let panel_path = out.path().join("panel.csv");
    let report = run(dir.path(), Some(&panel_path));
    let c = closes(dir.path());
    let day_of: HashMap<&str, usize> = c
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();

    // The panel: per signal day, (symbol, ret3) over the eligible set.
    let panel = std::fs::read_to_string(&panel_path).unwrap();
    let header: Vec<&str> = panel.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "ret3").unwrap();
    let mut days: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for line in panel.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let Ok(v) = f[col].parse::<f64>() {
            days.entry(f[0].to_owned())
                .or_default()
                .push((f[1].to_owned(), v));
        }
    }
    let signal: Vec<&String> = days.keys().collect();
    assert!(signal.len() >= 10, "{} signal days", signal.len());
    let fwd = |s: &str, from: usize, to: usize| -> f64 {
        let v = &c.by_symbol[s];
        v[to].unwrap() / v[from].unwrap() - 1.0
    };
    let f = report.get("ret3").unwrap();
    let q = 4;

    // Holding periods: quantile means of the return to the next signal day.
    assert_eq!(f.detail.periods.len(), signal.len() - 1);
    for (k, w) in signal.windows(2).enumerate() {
        let (t, t2) = (day_of[w[0].as_str()], day_of[w[1].as_str()]);
        let mut rows: Vec<(f64, String, f64)> = days[w[0]]
            .iter()
            .map(|(s, v)| (*v, s.clone(), fwd(s, t, t2)))
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let n = rows.len();
        let mut expected = vec![(0.0, 0usize); q];
        for (i, r) in rows.iter().enumerate() {
            let b = i * q / n;
            expected[b].0 += r.2;
            expected[b].1 += 1;
        }
        let (start, end, got) = &f.detail.periods[k];
        assert_eq!((start, end), (w[0], w[1]));
        for (b, (sum, cnt)) in expected.iter().enumerate() {
            let e = sum / *cnt as f64;
            assert!(
                (got[b] - e).abs() < 1e-12,
                "period {k} Q{}: {} vs {e}",
                b + 1,
                got[b]
            );
        }
    }

    // Rank autocorrelation over the stocks present on both days.
    assert_eq!(f.detail.autocorr.len(), signal.len() - 1);
    for (k, w) in signal.windows(2).enumerate() {
        let now: HashMap<&str, f64> = days[w[1]].iter().map(|(s, v)| (s.as_str(), *v)).collect();
        let (a, b): (Vec<f64>, Vec<f64>) = days[w[0]]
            .iter()
            .filter_map(|(s, v)| Some((*v, *now.get(s.as_str())?)))
            .unzip();
        let e = spearman(&a, &b);
        assert_eq!(f.detail.autocorr[k].0, *w[1]);
        assert!(
            (f.detail.autocorr[k].1 - e).abs() < 1e-12,
            "{k}: {} vs {e}",
            f.detail.autocorr[k].1
        );
    }

    // IC decay at h = 1, 5 and 20 over the signal days whose t+20 is in the data.
    for h in [1usize, 5, 20] {
        let (mut ic, mut rank) = (Vec::new(), Vec::new());
        for d in &signal {
            let t = day_of[d.as_str()];
            if t + 20 >= c.days.len() {
                continue;
            }
            let (v, r): (Vec<f64>, Vec<f64>) =
                days[*d].iter().map(|(s, v)| (*v, fwd(s, t, t + h))).unzip();
            ic.push(pearson(&v, &r));
            rank.push(spearman(&v, &r));
        }
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        assert!(!ic.is_empty());
        assert!(
            (f.detail.decay_ic[h - 1] - mean(&ic)).abs() < 1e-12,
            "h = {h}"
        );
        assert!(
            (f.detail.decay_rank_ic[h - 1] - mean(&rank)).abs() < 1e-12,
            "h = {h}"
        );
    }
    // The 20-day decay is the report's IC (same horizon, same days here).
    assert!((f.detail.decay_ic[19] - f.ic_mean).abs() < 1e-12);
}

#[test]
fn test_factor_sheet_html_structure_and_values() {
    let dir = copy_bundle(&root().join("fixtures/tiny"));
    let report = run(dir.path(), None);
    let path = tempfile::tempdir().unwrap();
    let file = path.path().join("sub/factor_report.html");
    report.write_html(&file).unwrap();
    assert!(!path.path().join("sub/factor_report.html.partial").exists());
    let page = std::fs::read_to_string(&file).unwrap();
    assert!(
        !page.contains("<script") && !page.contains("href=\"http") && !page.contains("src=\"http")
    );
    let doc = Html::parse_document(&page);
    // One table row per factor, values equal the report's at full precision.
    let rows = doc.select(&sel("#factor-table tbody tr")).count();
    assert_eq!(rows, report.factors.len());
    for f in &report.factors {
        for (key, x) in [
            ("ic", f.ic_mean),
            ("rank_icir", f.rank_icir),
            ("exp_neg_rank_mae", f.exp_neg_rank_mae),
            ("rank_autocorr", f.rank_autocorr),
        ] {
            let td = doc
                .select(&sel(&format!("td[data-metric='factors.{}.{key}']", f.name)))
                .next()
                .unwrap_or_else(|| panic!("{} {key}", f.name));
            let v = td.value().attr("data-value").unwrap();
            if x.is_finite() {
                assert_eq!(v.parse::<f64>().unwrap(), x, "{} {key}", f.name);
            } else {
                assert_eq!(v, "");
            }
        }
    }
    // The decay heat map has a row label per factor with a decay.
    let decay = doc
        .select(&sel("figure#chart-decay svg text"))
        .map(|t| t.text().collect::<String>().trim().to_owned())
        .collect::<Vec<_>>();
    for f in &report.factors {
        assert!(decay.contains(&f.name), "decay row {}", f.name);
    }
    // Each of the first factors has its four charts, each drawing marks.
    let sheets = report
        .factors
        .len()
        .min(alphasim::research::factor_report::SHEETS);
    assert_eq!(doc.select(&sel("section.factor")).count(), sheets);
    for f in report.factors.iter().take(sheets) {
        for kind in ["ic", "quantiles", "decay", "autocorr"] {
            let id = format!("chart-{kind}-{}", f.name);
            let fig = doc
                .select(&sel(&format!("figure#{id}")))
                .next()
                .unwrap_or_else(|| panic!("{id} missing"));
            let marks = fig.select(&sel("polyline, rect, circle")).count();
            assert!(marks > 5, "{id} draws nothing");
        }
    }
    // Quantile legend names Q1..Q4.
    let legend: String = doc
        .select(&sel(&format!(
            "figure#chart-quantiles-{} svg text",
            report.factors[0].name
        )))
        .map(|t| t.text().collect::<String>())
        .collect();
    assert!(legend.contains("Q1") && legend.contains("Q4"), "{legend}");
}

#[test]
fn test_factor_sheet_unchanged_by_data_after_its_horizons() {
    // Alter every bar after D: holding periods ending on or before D and
    // rank autocorrelations of signal days on or before D must not move.
    let original = copy_bundle(&root().join("fixtures/tiny"));
    let altered = copy_bundle(&root().join("fixtures/tiny"));
    let d = "2015-09-15";
    crate::lookahead::alter_after(altered.path(), d);
    let (a, b) = (run(original.path(), None), run(altered.path(), None));
    let (fa, fb) = (a.get("ret3").unwrap(), b.get("ret3").unwrap());
    let kept = fa
        .detail
        .periods
        .iter()
        .filter(|p| p.1.as_str() <= d)
        .count();
    assert!(kept >= 5, "{kept} periods before D");
    assert_eq!(fa.detail.periods[..kept], fb.detail.periods[..kept]);
    let ac = fa
        .detail
        .autocorr
        .iter()
        .filter(|p| p.0.as_str() <= d)
        .count();
    assert_eq!(fa.detail.autocorr[..ac], fb.detail.autocorr[..ac]);
    assert_ne!(
        fa.detail.periods, fb.detail.periods,
        "the alteration changed later periods"
    );
}
