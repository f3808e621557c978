//! Tests of the chart helpers and the time chart.

use super::*;

#[test]
fn test_decimate_keeps_extremes_and_order() {
    // A sine wave of 10,000 points into 50 buckets: the global min and max
    // survive, x stays increasing, and the size is bounded.
    let pts: Vec<(f64, f64)> = (0..10_000)
        .map(|i| (i as f64, (i as f64 / 300.0).sin()))
        .collect();
    let d = decimate(&pts, 50);
    assert!(d.len() <= 102, "{}", d.len());
    assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    let max = pts.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let min = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    assert!(d.iter().any(|p| p.1 == max) && d.iter().any(|p| p.1 == min));
    // Short series pass through untouched.
    assert_eq!(decimate(&pts[..50], 50), pts[..50].to_vec());
}

#[test]
fn test_axis_label_decimals_follow_the_span() {
    assert_eq!(axis_label(0.1234, 0.5, YFormat::Percent), "12%");
    assert_eq!(axis_label(0.1234, 0.05, YFormat::Percent), "12.3%");
    assert_eq!(axis_label(1.2345, 1.0, YFormat::Number), "1.23");
    assert_eq!(axis_label(-0.00001, 1.0, YFormat::Number), "0.00");
}

#[test]
fn test_time_chart_writes_svg_with_text_and_no_external_references() {
    let dates: Vec<String> = (1..=28).map(|d| format!("2020-02-{d:02}")).collect();
    let pts: Vec<(f64, f64)> = (0..28)
        .map(|i| (i as f64, 1.0 + i as f64 / 100.0))
        .collect();
    let svg = time_chart(&TimeChart {
        title: "NAV",
        y_desc: "value",
        dates: &dates,
        series: vec![
            Series::new("Strategy", BLUE, Style::Line, pts.clone()),
            Series::new("Benchmark", GREY, Style::Line, pts),
        ],
        y_format: YFormat::Number,
        log_y: true,
        height: HEIGHT,
    })
    .unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.contains("\nStrategy\n</text>") && svg.contains("\nNAV\n</text>"));
    assert!(svg.contains("\nBenchmark\n</text>"));
    assert!(svg.contains("2020-02-01"), "date labels");
    assert!(!svg.contains("href") && !svg.contains("url("));
}

/// Every chart shape that used to hang (or might) draws: a NAV that is
/// never positive (the log axis had a bound of 0 or infinity), empty,
/// single-point, constant, non-finite and extreme (1e12, 1e300) series,
/// a span below the values' float resolution.
#[test]
fn test_time_chart_copes_with_degenerate_series() {
    let dates: Vec<String> = (1..=3).map(|d| format!("2024-01-{d:02}")).collect();
    let shapes: Vec<Vec<(f64, f64)>> = vec![
        vec![],
        vec![(0.0, 1.0)],
        vec![(0.0, 1.0), (1.0, 1.0), (2.0, 1.0)],
        vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)],
        vec![(0.0, -1.0), (1.0, -2.0)],
        vec![
            (0.0, f64::NAN),
            (1.0, f64::INFINITY),
            (2.0, f64::NEG_INFINITY),
        ],
        vec![(0.0, 1e12), (1.0, 1e12), (2.0, 1e12)],
        vec![(0.0, 1e12), (1.0, 1e12 + 1e-4)],
        vec![(0.0, 1e-300), (1.0, 1e300)],
        vec![(0.0, -1e300), (1.0, 1e300)],
        vec![(0.0, f64::MAX), (1.0, -f64::MAX)],
        vec![(0.0, 5e-324), (1.0, 5e-324)],
    ];
    for pts in shapes {
        for log_y in [false, true] {
            for style in [Style::Line, Style::Area, Style::Bars] {
                let svg = time_chart(&TimeChart {
                    title: "NAV",
                    y_desc: "value",
                    dates: &dates,
                    series: vec![Series::new("s", BLUE, style, pts.clone())],
                    y_format: YFormat::Number,
                    log_y,
                    height: HEIGHT,
                })
                .unwrap();
                assert!(svg.starts_with("<svg"), "{pts:?} log {log_y}");
            }
        }
    }
}

/// The other chart kinds on the same degenerate inputs: each must draw (in a
/// thread with a time bound, so a plotters loop fails the test instead of
/// hanging the suite).
#[test]
fn test_category_xy_and_heat_map_cope_with_degenerate_values() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let values: Vec<Vec<f64>> = vec![
            vec![],
            vec![1.0],
            vec![0.0, 0.0],
            vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
            vec![1e12, 1e12],
            vec![1e12, 1e12 + 1e-4],
            vec![-1e300, 1e300],
            vec![f64::MAX, -f64::MAX],
            vec![5e-324],
        ];
        for v in &values {
            let cats: Vec<String> = (0..v.len()).map(|i| format!("q{i}")).collect();
            let colors = vec![BLUE; v.len()];
            let bars = category_bars("deciles", "return", "decile", &cats, v, &colors).unwrap();
            assert!(bars.starts_with("<svg"), "category {v:?}");
            let pts: Vec<(f64, f64)> = v.iter().map(|&y| (y, y)).collect();
            let s = Series::new("s", BLUE, Style::Line, pts);
            let xy = xy_chart("xy", "x", "y", &[s], YFormat::Number).unwrap();
            assert!(xy.starts_with("<svg"), "xy {v:?}");
            let rows: Vec<String> = vec!["r".into(); usize::from(!v.is_empty())];
            let grid: Vec<Vec<f64>> = rows.iter().map(|_| v.clone()).collect();
            let heat = heat_map("heat", &rows, &cats, &grid).unwrap();
            assert!(heat.starts_with("<svg"), "heat map {v:?}");
        }
        tx.send(()).unwrap();
    });
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("every chart draws within 60 s (a plotters key-point loop would hang)");
}

/// The y attribute of the `<text>` element whose content is `label`.
fn text_y(svg: &str, label: &str) -> i32 {
    let at = svg
        .find(&format!(">\n{label}\n</text>"))
        .unwrap_or_else(|| panic!("no text `{label}`"));
    let open = svg[..at].rfind("<text").unwrap();
    let tag = &svg[open..at];
    let y = tag
        .split(" y=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    y.parse().unwrap()
}

#[test]
fn test_legend_sits_above_the_plot_area_not_on_the_data() {
    // Two series whose first points are at the top left, where the legend
    // used to be drawn: the legend's text must lie above every data point
    // and above the plot frame (the first polyline: the y axis line).
    let dates: Vec<String> = (1..=28).map(|d| format!("2020-02-{d:02}")).collect();
    let high: Vec<(f64, f64)> = (0..28).map(|i| (i as f64, 2.0 - i as f64 / 28.0)).collect();
    let low: Vec<(f64, f64)> = (0..28).map(|i| (i as f64, 1.0)).collect();
    let svg = time_chart(&TimeChart {
        title: "NAV",
        y_desc: "value",
        dates: &dates,
        series: vec![
            Series::new("strategy", BLUE, Style::Line, high),
            Series::new("benchmark", GREY, Style::Line, low),
        ],
        y_format: YFormat::Number,
        log_y: false,
        height: HEIGHT,
    })
    .unwrap();
    let plot_top = svg
        .split("points=\"")
        .skip(1)
        .flat_map(|p| {
            p.split('"')
                .next()
                .unwrap()
                .split_whitespace()
                .map(|xy| xy.split(',').nth(1).unwrap().parse::<i32>().unwrap())
                .collect::<Vec<_>>()
        })
        .min()
        .unwrap();
    for label in ["strategy", "benchmark"] {
        let y = text_y(&svg, label);
        assert!(
            y + 6 < plot_top,
            "legend `{label}` at y = {y}, plot starts at {plot_top}"
        );
    }
    assert!(
        text_y(&svg, "NAV") < text_y(&svg, "strategy"),
        "title above the legend"
    );
}

#[test]
fn test_heat_map_of_one_row_draws_every_cell_and_label() {
    // One year of months: plotters' segmented axes drew nothing for a
    // single row; every cell must be a filled rect with its value.
    let rows = vec!["2020".to_owned()];
    let cols: Vec<String> = (1..=12).map(|m| format!("M{m}")).collect();
    let values = vec![(0..12)
        .map(|m| (m as f64 - 5.5) / 100.0)
        .collect::<Vec<f64>>()];
    let svg = draw_heat_map(&HeatMap {
        title: "Monthly",
        rows: &rows,
        cols: &cols,
        values: &values,
        x_desc: "month",
        diverging: true,
        format: YFormat::Percent,
    })
    .unwrap();
    let filled = svg.matches("<rect").count();
    assert!(filled > 12, "background + 12 cells: {filled}");
    assert!(svg.contains("\n2020\n</text>") && svg.contains("\nM12\n</text>"));
    // −5.5% and +5.5% at the ends, one decimal.
    assert!(svg.contains("\n-5.5%\n</text>") && svg.contains("\n5.5%\n</text>"));
}
