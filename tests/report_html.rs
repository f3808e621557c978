//! report.html: structure (every section and chart present), the metrics
//! table against report.json and against a direct recomputation of the
//! "before costs" column, the optional interpretation and sweep sections,
//! rebuilding from the run folder alone, and self-containment.
//! The real-browser check is in `browser.rs`.

use crate::common::{assert_close, run, spec};
use scraper::{Html, Selector};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

/// Runs the fixture spec into a temporary folder; returns the folder.
fn fixture_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run(&spec("strategies/ew_tiny.toml"))
        .write(&dir.path().join("run"))
        .unwrap();
    dir
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// Parses a shown number: "12.35%" → 0.1235, "1,234.50" → 1234.5, "–" → NaN.
fn shown(text: &str) -> (f64, f64) {
    let t = text.trim().replace(',', "");
    let t = t.as_str();
    if t == "–" {
        return (f64::NAN, 0.0);
    }
    let (body, scale) = match t.strip_suffix('%') {
        Some(b) => (b, 0.01),
        None => (t, 1.0),
    };
    let decimals = body.split('.').nth(1).map_or(0, str::len) as i32;
    let v: f64 = body.parse().unwrap_or_else(|_| panic!("not a number: {t}"));
    // Half a unit of the last shown digit, in the value's own scale.
    (v * scale, 0.5 * 10f64.powi(-decimals) * scale + 1e-12)
}

const SECTIONS: &[&str] = &[
    "overview",
    "metrics",
    "performance",
    "calendar",
    "signal",
    "trading",
    "spec",
];

const CHARTS: &[(&str, &str)] = &[
    ("chart-nav", "NAV vs benchmark"),
    ("chart-excess", "Cumulative excess return"),
    ("chart-drawdown", "Drawdown"),
    ("chart-ic", "IC and RankIC per signal day"),
    (
        "chart-quantiles",
        "Mean 20-day forward return by score quantile",
    ),
    ("chart-long-short", "Long-short spread"),
    ("chart-rank-mae", "e^(−RankMAE) per signal day"),
    ("chart-monthly-excess", "Monthly excess return"),
    ("chart-turnover", "Turnover per rebalance"),
    ("chart-cost", "Cost per rebalance"),
    ("chart-holdings", "Holdings"),
];

#[test]
fn test_report_html_fixture_structure_and_metrics_equal_report_json() {
    let dir = fixture_run();
    let run_dir = dir.path().join("run");
    let html = read(&run_dir.join("report.html"));
    let json: Value = serde_json::from_str(&read(&run_dir.join("report.json"))).unwrap();
    let doc = Html::parse_document(&html);

    let title: String = doc.select(&sel("title")).next().unwrap().text().collect();
    assert_eq!(title, "alphasim report: ew_tiny");
    for s in SECTIONS {
        assert!(
            doc.select(&sel(&format!("#{s}"))).next().is_some(),
            "section #{s} is missing"
        );
    }
    for a in doc.select(&sel("nav.toc a")) {
        let target = a.value().attr("href").unwrap();
        assert!(
            doc.select(&sel(target)).next().is_some(),
            "the contents link {target} has no section"
        );
    }
    for absent in ["#interpretation", "#sweep"] {
        assert!(
            doc.select(&sel(absent)).next().is_none(),
            "{absent} must not render without its data"
        );
    }
    for (id, caption) in CHARTS {
        let fig = doc
            .select(&sel(&format!("figure#{id}")))
            .next()
            .unwrap_or_else(|| panic!("chart #{id} is missing"));
        let svgs: Vec<_> = fig.select(&sel("svg")).collect();
        let expected_svgs = if *id == "chart-nav" { 2 } else { 1 }; // linear and log
        assert_eq!(svgs.len(), expected_svgs, "#{id}");
        for svg in svgs {
            let texts: Vec<String> = svg
                .select(&sel("text"))
                .map(|t| t.text().collect::<String>().trim().to_owned())
                .collect();
            assert!(
                texts.iter().any(|t| t.starts_with(caption)),
                "#{id} has no title `{caption}`: {texts:?}"
            );
            let marks = svg.select(&sel("polyline, rect, path")).count();
            assert!(marks > 5, "#{id} draws nothing ({marks} marks)");
            assert!(
                fig.select(&sel("figcaption")).next().is_some(),
                "#{id} has no caption"
            );
        }
    }
    // Axis labels carry dates of the window.
    let nav_svg: String = doc
        .select(&sel("#chart-nav .svg-linear svg text"))
        .map(|t| t.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("|");
    assert!(nav_svg.contains("2015-"), "{nav_svg}");
    assert!(nav_svg.contains("date") && nav_svg.contains("benchmark"));

    // Every scalar metric of report.json is in a table, with the same value.
    let mut expected_keys = Vec::new();
    for (group, v) in json["metrics"].as_object().unwrap() {
        for (k, x) in v.as_object().unwrap() {
            match x {
                serde_json::Value::Array(_) => {}
                serde_json::Value::Object(o) => {
                    for sub in o.keys() {
                        expected_keys.push(format!("metrics.{group}.{k}.{sub}"));
                    }
                }
                _ => expected_keys.push(format!("metrics.{group}.{k}")),
            }
        }
    }
    let mut seen = Vec::new();
    for td in doc.select(&sel("td[data-metric^='metrics.']")) {
        let key = td.value().attr("data-metric").unwrap().to_owned();
        let pointer = format!("/{}", key.replace('.', "/"));
        let expected = json
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{key} not in report.json"));
        let value = td.value().attr("data-value").unwrap();
        match expected.as_f64() {
            Some(x) => {
                assert_eq!(value.parse::<f64>().unwrap(), x, "{key}: data-value");
                let (v, tol) = shown(&td.text().collect::<String>());
                assert_close(v, x, tol);
            }
            None => assert_eq!(
                value, "",
                "{key}: NaN in report.json is an empty data-value"
            ),
        }
        seen.push(key);
    }
    expected_keys.sort();
    seen.sort();
    assert_eq!(seen, expected_keys, "every metric shown exactly once");

    // The spec and conventions are echoed.
    let spec_text: String = doc
        .select(&sel("#spec-table"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(spec_text.contains("model.kind") && spec_text.contains("ew"));
    assert!(spec_text.contains("costs.commission_bps") && spec_text.contains("40"));
    let rules = doc.select(&sel("#rules li")).count();
    assert_eq!(
        rules,
        json["conventions"]["rules"].as_array().unwrap().len()
    );
}

/// The calendar-year table, recomputed from nav.csv by compounding each
/// year's daily returns (report.json takes endpoint ratios): report.json's
/// `calendar.years`, the HTML cells, and the months compounding to the years.
#[test]
fn test_report_html_calendar_years_match_a_recomputation_from_nav_csv() {
    let dir = fixture_run();
    let run_dir = dir.path().join("run");
    let doc = Html::parse_document(&read(&run_dir.join("report.html")));
    let json: Value = serde_json::from_str(&read(&run_dir.join("report.json"))).unwrap();
    let nav_csv = read(&run_dir.join("nav.csv"));
    let (mut dates, mut nav, mut bench) = (vec![], vec![], vec![]);
    for line in nav_csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        dates.push(f[0].to_owned());
        nav.push(f[1].parse::<f64>().unwrap());
        bench.push(f[2].parse::<f64>().unwrap());
    }
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let sd = |x: &[f64]| {
        let m = mean(x);
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)).sqrt()
    };
    let mut years: Vec<String> = dates[1..].iter().map(|d| d[..4].to_owned()).collect();
    years.dedup();
    let rows = json["calendar"]["years"].as_array().unwrap();
    assert_eq!(rows.len(), years.len());
    assert!(years.len() >= 2, "the fixture spans two calendar years");
    for (k, y) in years.iter().enumerate() {
        let idx: Vec<usize> = (1..nav.len())
            .filter(|&i| dates[i].starts_with(y.as_str()))
            .collect();
        let r: Vec<f64> = idx.iter().map(|&i| nav[i] / nav[i - 1] - 1.0).collect();
        let b: Vec<f64> = idx.iter().map(|&i| bench[i] / bench[i - 1] - 1.0).collect();
        let e: Vec<f64> = r.iter().zip(&b).map(|(r, b)| r - b).collect();
        let strategy = r.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
        let benchmark = b.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
        let base = idx[0] - 1;
        let mut peak = f64::MIN;
        let mdd = nav[base..=*idx.last().unwrap()]
            .iter()
            .fold(0.0f64, |m, &v| {
                peak = peak.max(v);
                m.min(v / peak - 1.0)
            });
        let row = &rows[k];
        assert_eq!(row["period"], y.as_str());
        assert_eq!(
            row["from"],
            dates[base].as_str(),
            "year {y} starts at the previous close"
        );
        assert_eq!(row["days"], idx.len());
        for (key, x) in [
            ("strategy", strategy),
            ("benchmark", benchmark),
            ("excess", strategy - benchmark),
            ("information_ratio", mean(&e) / sd(&e) * 252f64.sqrt()),
            ("max_drawdown", mdd),
        ] {
            let got = row[key].as_f64().unwrap();
            assert_close(got, x, 1e-9 * x.abs().max(1.0));
            let td = doc
                .select(&sel(&format!("td[data-metric='calendar.years.{k}.{key}']")))
                .next()
                .unwrap_or_else(|| panic!("calendar.years.{k}.{key} missing"));
            let v: f64 = td.value().attr("data-value").unwrap().parse().unwrap();
            assert_eq!(v, got);
            let (shown_v, tol) = shown(&td.text().collect::<String>());
            assert_close(shown_v, got, tol);
        }
        // The year's months compound to the year.
        let months: f64 = json["calendar"]["months"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["period"].as_str().unwrap().starts_with(y.as_str()))
            .map(|m| 1.0 + m["strategy"].as_f64().unwrap())
            .product();
        assert_close(months - 1.0, strategy, 1e-9);
    }
    // The first year starts at t0, inside the year: partial.
    assert_eq!(rows[0]["from"], json["window"]["t0"]);
    assert_eq!(rows[0]["partial"], true);
}

/// The signal metrics of report.json against ic.csv: RankMAE averaged over
/// signal days, e^(−RankMAE), and the long-short series q_top − q1.
#[test]
fn test_report_html_signal_metrics_match_ic_csv() {
    let dir = fixture_run();
    let run_dir = dir.path().join("run");
    let json: Value = serde_json::from_str(&read(&run_dir.join("report.json"))).unwrap();
    let ic_csv = read(&run_dir.join("ic.csv"));
    let header: Vec<&str> = ic_csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (mae_i, q1, q10) = (col("rank_mae"), col("q1"), col("q10"));
    let (mut mae, mut ls) = (vec![], vec![]);
    for line in ic_csv.lines().skip(1) {
        let f: Vec<f64> = line
            .split(',')
            .skip(1)
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        mae.push(f[mae_i - 1]);
        ls.push(f[q10 - 1] - f[q1 - 1]);
    }
    assert!(mae.len() > 5 && mae.iter().all(|x| x.is_finite() && *x > 0.0 && *x < 2.0));
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let ic = &json["metrics"]["ic"];
    assert_close(ic["rank_mae"].as_f64().unwrap(), mean(&mae), 1e-12);
    assert_close(
        ic["exp_neg_rank_mae"].as_f64().unwrap(),
        (-mean(&mae)).exp(),
        1e-12,
    );
    assert_close(ic["long_short_mean"].as_f64().unwrap(), mean(&ls), 1e-12);
    let rows = json["ic"].as_array().unwrap();
    for (row, x) in rows.iter().zip(&ls) {
        assert_close(row["long_short"].as_f64().unwrap(), *x, 1e-12);
    }
    let m = mean(&ls);
    let sd = (ls.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (ls.len() as f64 - 1.0)).sqrt();
    assert_close(ic["long_short_std"].as_f64().unwrap(), sd, 1e-12);
    assert_close(ic["long_short_ir"].as_f64().unwrap(), m / sd, 1e-9);
}

/// The "before costs" column, recomputed from nav.csv with the formulas
/// written out here: r_t = (NAV_t + cost_t) / NAV_{t-1} − 1, compounded.
#[test]
fn test_report_html_before_costs_column_matches_a_direct_recomputation() {
    let dir = fixture_run();
    let run_dir = dir.path().join("run");
    let doc = Html::parse_document(&read(&run_dir.join("report.html")));
    let nav_csv = read(&run_dir.join("nav.csv"));
    let (mut nav, mut bench, mut cost) = (vec![], vec![], vec![]);
    for line in nav_csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        nav.push(f[1].parse::<f64>().unwrap());
        bench.push(f[2].parse::<f64>().unwrap());
        cost.push(f[5].parse::<f64>().unwrap());
    }
    let r: Vec<f64> = (1..nav.len())
        .map(|t| (nav[t] + cost[t]) / nav[t - 1] - 1.0)
        .collect();
    let b: Vec<f64> = (1..nav.len())
        .map(|t| bench[t] / bench[t - 1] - 1.0)
        .collect();
    let e: Vec<f64> = r.iter().zip(&b).map(|(r, b)| r - b).collect();
    let n = r.len() as f64;
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let sd = |x: &[f64]| {
        let m = mean(x);
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)).sqrt()
    };
    let total: f64 = r.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let annual = (1.0 + total).powf(252.0 / n) - 1.0;
    let bench_annual = (bench[bench.len() - 1] / bench[0]).powf(252.0 / n) - 1.0;
    let mut g = vec![nav[0]];
    for x in &r {
        g.push(g.last().unwrap() * (1.0 + x));
    }
    let mut peak = f64::MIN;
    let mdd = g.iter().fold(0.0f64, |m, &v| {
        peak = peak.max(v);
        m.min(v / peak - 1.0)
    });
    let expected = [
        ("derived.gross.portfolio.total_return", total),
        ("derived.gross.portfolio.annual_return", annual),
        ("derived.gross.portfolio.volatility", sd(&r) * 252f64.sqrt()),
        (
            "derived.gross.portfolio.sharpe",
            mean(&r) / sd(&r) * 252f64.sqrt(),
        ),
        ("derived.gross.portfolio.max_drawdown", mdd),
        ("derived.gross.excess.alpha", mean(&e) * 252.0),
        (
            "derived.gross.excess.excess_geometric",
            (1.0 + annual) / (1.0 + bench_annual) - 1.0,
        ),
        (
            "derived.gross.excess.tracking_error",
            sd(&e) * 252f64.sqrt(),
        ),
        (
            "derived.gross.excess.information_ratio",
            mean(&e) / sd(&e) * 252f64.sqrt(),
        ),
        (
            "derived.gross.excess.hit_rate",
            e.iter().filter(|x| **x > 0.0).count() as f64 / n,
        ),
    ];
    for (key, x) in expected {
        let td = doc
            .select(&sel(&format!("td[data-metric='{key}']")))
            .next()
            .unwrap_or_else(|| panic!("{key} missing"));
        let v: f64 = td.value().attr("data-value").unwrap().parse().unwrap();
        assert_close(v, x, 1e-9 * x.abs().max(1.0));
        let (s, tol) = shown(&td.text().collect::<String>());
        assert_close(s, x, tol);
    }
    // Costs were paid, so before costs must beat after costs.
    let after: f64 = doc
        .select(&sel("td[data-metric='metrics.portfolio.total_return']"))
        .next()
        .unwrap()
        .value()
        .attr("data-value")
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > after, "{total} vs {after}");
}

/// The derived gross curve approximates a zero-cost re-simulation: the two
/// differ only by the second-order effects named in docs/report.md.
#[test]
fn test_report_html_before_costs_is_close_to_a_zero_cost_run() {
    let with = run(&spec("strategies/ew_tiny.toml"));
    let mut s = spec("strategies/ew_tiny.toml");
    s.config.costs.commission_bps = Some(0.0);
    let without = run(&s);
    let nav: Vec<f64> = with.records.daily.iter().map(|d| d.nav).collect();
    let cost: Vec<f64> = with.records.daily.iter().map(|d| d.cost).collect();
    let g = alphasim::html::gross_nav(&nav, &cost);
    let zero = without.records.daily.last().unwrap().nav;
    let net = *nav.last().unwrap();
    let gross = *g.last().unwrap();
    // The gross curve recovers most of the cost gap (the fixture pays ~9% in costs).
    assert!(
        (gross - zero).abs() < 0.1 * (zero - net),
        "gross {gross}, zero-cost run {zero}, net {net}"
    );
}

#[test]
fn test_report_html_rebuilds_identically_from_the_run_folder_alone() {
    let dir = fixture_run();
    let run_dir = dir.path().join("run");
    let written = read(&run_dir.join("report.html"));
    // Move the folder away from anything else: no market, no spec.
    let alone = tempfile::tempdir().unwrap();
    let moved = alone.path().join("copy");
    std::fs::create_dir(&moved).unwrap();
    for f in ["report.json", "nav.csv", "ic.csv", "positions.csv"] {
        std::fs::copy(run_dir.join(f), moved.join(f)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_alphasim"))
        .current_dir(alone.path())
        .args(["report", "copy"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        read(&moved.join("report.html")),
        written,
        "same bytes as the backtest wrote"
    );

    // Self-contained: no script, no external reference of any kind.
    for bad in [
        "<script",
        "<link",
        "@import",
        "@font-face",
        "src=",
        "url(",
        "https://",
        "<iframe",
    ] {
        assert!(!written.contains(bad), "report.html contains `{bad}`");
    }
    let doc = Html::parse_document(&written);
    for a in doc.select(&sel("a[href]")) {
        let href = a.value().attr("href").unwrap();
        assert!(href.starts_with('#'), "external link {href}");
    }
    let non_svg_http = written.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !non_svg_http.contains("http://"),
        "only the SVG namespace may name a URL"
    );
    assert!(written.contains("@media print"), "print style sheet");
}

#[test]
fn test_report_html_bad_run_folder_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = alphasim::run_folder::write_report_html(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("report.json") && e.contains("not a run folder"),
        "{e}"
    );
    let run_dir = fixture_run();
    let p = run_dir.path().join("run");
    let nav = read(&p.join("nav.csv")).replacen(",0,", ",zero,", 1);
    std::fs::write(p.join("nav.csv"), nav).unwrap();
    let e = alphasim::run_folder::write_report_html(&p)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nav.csv:") && e.contains("not a number") && e.contains("zero"),
        "{e}"
    );
}

/// A report.json carrying the interpretation and sweep shapes of
/// docs/report.md renders both sections, with one heat-map cell per
/// (factor or group, window) and one table row per variant.
#[test]
fn test_report_html_interpretation_and_sweep_sections_render_from_report_json() {
    let dir = fixture_run();
    let p = dir.path().join("run");
    let mut json: Value = serde_json::from_str(&read(&p.join("report.json"))).unwrap();
    let windows: Vec<Value> = (0..4)
        .map(|w| {
            let f = [0.1 + 0.1 * w as f64, 0.2, 0.3, 0.4 - 0.1 * w as f64];
            serde_json::json!({
                "start": format!("2015-0{}-30", w + 1),
                "end": format!("2015-0{}-27", w + 2),
                "heads": [
                    {"name": "h5", "factor_weights": f, "r2": 0.8 + 0.01 * w as f64},
                    {"name": "h20", "factor_weights": [0.25, 0.25, 0.25, 0.25], "group_weights": [0.5, 0.5], "r2": 0.7},
                ]
            })
        })
        .collect();
    json["interpretation"] = serde_json::json!({
        "kind": "factor_attention",
        "factors": ["f1", "f2", "f3", "f4"],
        "groups": [{"name": "value", "factors": ["f1", "f2"]}, {"name": "momentum", "factors": ["f3", "f4"]}],
        "windows": windows,
    });
    let variants: Vec<Value> = [0.0, 10.0, 20.0, 30.0]
        .iter()
        .map(|c| {
            serde_json::json!({
                "name": format!("commission_bps={c}"), "group": "slippage 0 bps",
                "parameters": {"costs.commission_bps": c},
                "cost_bps": c, "annual_return": 0.2 - c / 1000.0, "alpha": 0.1 - c / 300.0,
                "information_ratio": 1.0 - c / 30.0, "sharpe": 0.9, "max_drawdown": -0.2,
                "turnover_annual": 7.0, "cost_total": c * 1000.0
            })
        })
        .collect();
    json["sweep"] = serde_json::json!({"variants": variants, "break_even_cost_bps": 30.0});
    std::fs::write(
        p.join("report.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();
    alphasim::run_folder::write_report_html(&p).unwrap();
    let doc = Html::parse_document(&read(&p.join("report.html")));

    for id in [
        "#interpretation",
        "#chart-attention-groups-h5",
        "#chart-attention-factors-h5",
        "#chart-attention-groups-h20",
        "#chart-attention-factors-h20",
        "#chart-attention-r2",
        "#sweep",
        "#chart-sweep-alpha",
        "#chart-sweep-ir",
    ] {
        assert!(doc.select(&sel(id)).next().is_some(), "{id} missing");
    }
    // Heat map cells: the background plus one filled rect per (row, window).
    let rects = |id: &str| doc.select(&sel(&format!("{id} svg rect"))).count();
    assert!(rects("#chart-attention-factors-h5") >= 4 * 4);
    assert!(rects("#chart-attention-groups-h5") >= 2 * 4);
    // Group weights default to the sum of their factors: window 0 of h5 has
    // value = 0.1 + 0.2 = 0.30, shown in the cell.
    let texts: Vec<String> = doc
        .select(&sel("#chart-attention-groups-h5 svg text"))
        .map(|t| t.text().collect::<String>().trim().to_owned())
        .collect();
    assert!(
        texts.contains(&"0.30".to_owned()) && texts.contains(&"0.70".to_owned()),
        "{texts:?}"
    );
    assert_eq!(doc.select(&sel("#sweep-variants tbody tr")).count(), 4);
    let ir: f64 = doc
        .select(&sel("td[data-metric='sweep.variants.3.information_ratio']"))
        .next()
        .unwrap()
        .value()
        .attr("data-value")
        .unwrap()
        .parse()
        .unwrap();
    assert_close(ir, 0.0, 1e-12);
}

/// A 13-year daily run's report stays well under 3 MB (long series decimated).
#[test]
fn test_report_html_long_run_stays_small() {
    let n = 13 * 252;
    let dates: Vec<String> = (0..n)
        .map(|i| {
            let d = chrono::NaiveDate::from_ymd_opt(2012, 1, 2).unwrap()
                + chrono::Days::new(i as u64 * 7 / 5);
            d.to_string()
        })
        .collect();
    let nav: Vec<f64> = (0..n)
        .map(|i| 1e8 * (1.0 + 0.3 * (i as f64 / 97.0).sin() + i as f64 / 3000.0))
        .collect();
    let bench: Vec<f64> = (0..n)
        .map(|i| 1e8 * (1.0 + 0.2 * (i as f64 / 61.0).cos() - 0.2 + i as f64 / 5000.0))
        .collect();
    let mut cost = vec![0.0; n];
    let mut rebalances = Vec::new();
    let mut ic = Vec::new();
    for i in (21..n).step_by(21) {
        cost[i] = 1e5;
        rebalances.push(serde_json::json!({"signal_date": dates[i - 1], "fill_date": dates[i], "turnover": 0.5, "cost": 1e5}));
        ic.push(alphasim::html::IcPoint {
            date: dates[i - 1].clone(),
            ic: (i as f64).sin() / 10.0,
            rank_ic: (i as f64).cos() / 10.0,
            rank_mae: 1.1,
            quantiles: (0..10).map(|q| q as f64 / 1000.0).collect(),
        });
    }
    let view = alphasim::html::RunView {
        report: serde_json::json!({"run": {"name": "long"}, "conventions": {"annualisation": 252, "ic_horizon": 20}, "rebalances": rebalances}),
        dates,
        nav,
        benchmark: bench,
        cost,
        holdings: Some(vec![50.0; n]),
        ic,
    };
    let page = alphasim::html::render(&view).unwrap();
    assert!(page.len() < 3_000_000, "{} bytes", page.len());
    assert!(
        page.len() < 1_000_000,
        "decimation keeps it well under: {} bytes",
        page.len()
    );
}

#[test]
fn test_report_html_renders_the_dmfm_attention_of_the_default_run() {
    // The bundled default is a DMFM walk-forward: its report.json carries the
    // interpretation the deep model writes; the page must draw it.
    let r = crate::common::default_run();
    let json: Value = serde_json::from_str(&r.report.to_json()).unwrap();
    let windows = json["interpretation"]["windows"].as_array().unwrap().len();
    assert!(windows >= 1);
    let html = alphasim::html::render(&alphasim::html::RunView::from_run(r)).unwrap();
    let doc = Html::parse_document(&html);
    let section = doc
        .select(&sel("#interpretation"))
        .next()
        .expect("#interpretation is drawn");
    let svgs = section.select(&sel("svg")).count();
    assert!(svgs >= 2, "heat maps and R² chart: {svgs} svg");
    let text: String = section.text().collect();
    assert!(text.contains("h20"), "head names from the horizons");
    // The fixture's factors have no groups (one group `all` of weight 1):
    // no group chart is drawn, one factor heat map per head is.
    let heads = json["interpretation"]["windows"][0]["heads"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        section
            .select(&sel("figure[id^='chart-attention-groups-']"))
            .count(),
        0
    );
    assert_eq!(
        section
            .select(&sel("figure[id^='chart-attention-factors-']"))
            .count(),
        heads
    );
    // Every figure of the page draws marks (no empty chart).
    for fig in doc.select(&sel("figure")) {
        let marks = fig.select(&sel("rect, polyline, path")).count();
        assert!(marks > 3, "{:?} draws nothing", fig.value().attr("id"));
    }
}
