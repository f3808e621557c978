//! The factor tear sheet (`factor_report.html`): the summary table of every
//! factor, the IC decay heat map, and per factor (the [`SHEETS`] best by
//! |ICIR|) IC/RankIC per date with running means, cumulative quantile
//! returns, IC decay and rank autocorrelation. Self-contained like
//! `report.html` (inline SVG, no script).

use super::{FactorReport, FactorStats, DECAY_HORIZON};
use crate::html::chart::{self, HeatMap, Series, Style, TimeChart, YFormat};
use crate::html::{cell, esc, figure, page_head, Kind, PAGE_END};
use crate::Result;
use std::fmt::Write as _;

/// Factors that get their own charts (the best by |ICIR|); the table and
/// the decay heat map show every factor.
pub const SHEETS: usize = 8;

/// Rows of the IC decay heat map at most (the best by |ICIR|).
const DECAY_ROWS: usize = 40;

/// Colour of quantile `q` of `n`: red (lowest) through grey to green (highest).
fn quantile_color(q: usize, n: usize) -> plotters::style::RGBColor {
    let t = if n > 1 {
        q as f64 / (n - 1) as f64
    } else {
        1.0
    };
    let (a, b) = if t < 0.5 {
        (chart::RED, chart::GREY)
    } else {
        (chart::GREY, chart::GREEN)
    };
    let u = if t < 0.5 { t * 2.0 } else { t * 2.0 - 1.0 };
    let mix = |x: u8, y: u8| (f64::from(x) + u * (f64::from(y) - f64::from(x))).round() as u8;
    plotters::style::RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Cumulative return of each quantile over the holding periods: the dates
/// (the first period's start, then every period's end) and, per quantile,
/// `Π (1 + r) − 1` after each period (a NaN period return counts as 0).
pub fn cumulative_quantiles(f: &FactorStats, quantiles: usize) -> (Vec<String>, Vec<Vec<f64>>) {
    let periods = &f.detail.periods;
    let Some(first) = periods.first() else {
        return (Vec::new(), Vec::new());
    };
    let mut dates = vec![first.0.clone()];
    let mut curves = vec![vec![0.0]; quantiles];
    for (_, end, q) in periods {
        dates.push(end.clone());
        for (b, curve) in curves.iter_mut().enumerate() {
            let r = q.get(b).copied().filter(|x| x.is_finite()).unwrap_or(0.0);
            let last = *curve.last().expect("starts at 0");
            curve.push((1.0 + last) * (1.0 + r) - 1.0);
        }
    }
    (dates, curves)
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

impl FactorReport {
    /// The tear sheet as one self-contained HTML page.
    pub fn to_html(&self) -> Result<String> {
        let title = if self.name.is_empty() {
            "alphasim factor report".to_owned()
        } else {
            format!("alphasim factor report: {}", self.name)
        };
        let mut h = page_head(&title, env!("CARGO_PKG_VERSION"));
        let _ = write!(
            h,
            "<header id=\"overview\">\n<h1>{}</h1>\n<p>{} factors · {} signal days · window {} .. {} · forward return over {} trading days · {} quantiles</p>\n</header>\n",
            esc(&title),
            self.factors.len(),
            self.signal_days,
            esc(&self.window.0),
            esc(&self.window.1),
            self.ic_horizon,
            self.quantiles
        );
        self.summary_table(&mut h);
        self.decay_heat_map(&mut h)?;
        for f in self.factors.iter().take(SHEETS) {
            self.factor_sheet(&mut h, f)?;
        }
        h.push_str(PAGE_END);
        Ok(h)
    }

    fn summary_table(&self, h: &mut String) {
        h.push_str("<section id=\"summary\">\n<h2>Factors</h2>\n<table id=\"factor-table\" class=\"compact\"><thead><tr><th>factor</th><th>group</th><th class=\"num\">days</th><th class=\"num\">coverage</th><th class=\"num\">IC</th><th class=\"num\">ICIR</th><th class=\"num\">RankIC</th><th class=\"num\">RankICIR</th><th class=\"num\">e<sup>−RankMAE</sup></th><th class=\"num\">spread</th><th class=\"num\">autocorr.</th><th class=\"num\">turnover</th></tr></thead><tbody>\n");
        for f in &self.factors {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td>", esc(&f.name), esc(&f.group));
            let key = |k: &str| format!("factors.{}.{k}", f.name);
            cell(h, &key("days"), f.days as f64, Kind::Count);
            cell(h, &key("coverage"), f.coverage, Kind::Percent);
            cell(h, &key("ic"), f.ic_mean, Kind::Ratio);
            cell(h, &key("icir"), f.icir, Kind::Ratio);
            cell(h, &key("rank_ic"), f.rank_ic_mean, Kind::Ratio);
            cell(h, &key("rank_icir"), f.rank_icir, Kind::Ratio);
            cell(h, &key("exp_neg_rank_mae"), f.exp_neg_rank_mae, Kind::Ratio);
            cell(h, &key("spread"), f.spread, Kind::Percent);
            cell(h, &key("rank_autocorr"), f.rank_autocorr, Kind::Ratio);
            cell(h, &key("turnover"), 1.0 - f.rank_autocorr, Kind::Ratio);
            h.push_str("</tr>\n");
        }
        let _ = write!(
            h,
            "</tbody></table>\n<p class=\"note\">Per signal day over the eligible stocks with a value: IC (Pearson) and RankIC (Spearman) with the {}-day forward return, ICIR = mean / std (ddof 1, not annualised), e<sup>−RankMAE</sup> (rank-Gauss mean absolute error; ≈ 0.324 for a random factor), spread = top − bottom quantile mean forward return. Rank autocorrelation: Spearman correlation of the factor between consecutive signal days; turnover = 1 − it. Sorted by |ICIR|; the first {SHEETS} get their own charts below.</p>\n</section>\n",
            self.ic_horizon
        );
    }

    fn decay_heat_map(&self, h: &mut String) -> Result<()> {
        let shown: Vec<&FactorStats> = self
            .factors
            .iter()
            .filter(|f| f.detail.decay_rank_ic.iter().any(|x| x.is_finite()))
            .take(DECAY_ROWS)
            .collect();
        if shown.is_empty() {
            return Ok(());
        }
        let rows: Vec<String> = shown.iter().map(|f| f.name.clone()).collect();
        let cols: Vec<String> = (1..=DECAY_HORIZON).map(|d| d.to_string()).collect();
        let values: Vec<Vec<f64>> = shown
            .iter()
            .map(|f| f.detail.decay_rank_ic.clone())
            .collect();
        let svg = chart::draw_heat_map(&HeatMap {
            title: "IC decay: mean RankIC by forward horizon",
            rows: &rows,
            cols: &cols,
            values: &values,
            x_desc: "forward horizon (trading days)",
            diverging: true,
            format: YFormat::Number,
        })?;
        h.push_str("<section id=\"decay\">\n<h2>IC decay</h2>\n");
        figure(h, "chart-decay", &svg, &format!("Mean RankIC of each factor with the forward return over 1 to {DECAY_HORIZON} trading days (blue positive, orange negative), over the signal days whose {DECAY_HORIZON}-day horizon lies in the window."));
        h.push_str("</section>\n");
        Ok(())
    }

    fn factor_sheet(&self, h: &mut String, f: &FactorStats) -> Result<()> {
        let id = slug(&f.name);
        let _ = write!(
            h,
            "<section id=\"factor-{id}\" class=\"factor\">\n<h2>{} <span class=\"note\">({})</span></h2>\n",
            esc(&f.name),
            esc(&f.group)
        );
        let d = &f.detail;
        if d.ic.is_empty() {
            h.push_str("<p class=\"note\">No signal day has an IC for this factor.</p>\n");
        } else {
            let dates: Vec<String> = d.ic.iter().map(|x| x.0.clone()).collect();
            let ic: Vec<(f64, f64)> =
                d.ic.iter()
                    .enumerate()
                    .map(|(i, x)| (i as f64, x.1))
                    .collect();
            let rank: Vec<(f64, f64)> =
                d.ic.iter()
                    .enumerate()
                    .map(|(i, x)| (i as f64, x.2))
                    .collect();
            let svg = chart::time_chart(&TimeChart {
                title: &format!("{}: IC and RankIC per signal day", f.name),
                y_desc: "correlation",
                dates: &dates,
                series: chart::ic_series(ic.clone(), rank.clone()),
                y_format: YFormat::Number,
                log_y: false,
                height: chart::HEIGHT,
            })?;
            figure(h, &format!("chart-ic-{id}"), &svg, &format!("IC and RankIC with the {}-day forward return on each signal day, and their running means.", self.ic_horizon));
        }
        let q = self.quantiles as usize;
        let (dates, curves) = cumulative_quantiles(f, q);
        if !dates.is_empty() {
            let series = curves
                .iter()
                .enumerate()
                .map(|(b, c)| {
                    Series::new(
                        &format!("Q{}", b + 1),
                        quantile_color(b, q),
                        Style::Line,
                        c.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
                    )
                })
                .collect();
            let svg = chart::time_chart(&TimeChart {
                title: &format!("{}: cumulative return of each quantile", f.name),
                y_desc: "cumulative return",
                dates: &dates,
                series,
                y_format: YFormat::Percent,
                log_y: false,
                height: 320,
            })?;
            figure(h, &format!("chart-quantiles-{id}"), &svg, "Stocks sorted by the factor into quantiles on each signal day (Q1 lowest), held equally weighted to the next signal day, compounded; no costs.");
        }
        if d.decay_rank_ic.iter().any(|x| x.is_finite()) {
            let pts = |v: &[f64]| -> Vec<(f64, f64)> {
                v.iter()
                    .enumerate()
                    .map(|(i, &y)| ((i + 1) as f64, y))
                    .collect()
            };
            let svg = chart::xy_chart(
                &format!("{}: IC decay", f.name),
                "forward horizon (trading days)",
                "mean correlation",
                &[
                    Series::new("IC", chart::BLUE, Style::Line, pts(&d.decay_ic)),
                    Series::new("RankIC", chart::ORANGE, Style::Line, pts(&d.decay_rank_ic)),
                ],
                YFormat::Number,
            )?;
            figure(h, &format!("chart-decay-{id}"), &svg, &format!("Mean IC and RankIC with the forward return over h = 1..{DECAY_HORIZON} trading days."));
        }
        if !d.autocorr.is_empty() {
            let dates: Vec<String> = d.autocorr.iter().map(|x| x.0.clone()).collect();
            let pts: Vec<(f64, f64)> = d
                .autocorr
                .iter()
                .enumerate()
                .map(|(i, x)| (i as f64, x.1))
                .collect();
            let svg = chart::time_chart(&TimeChart {
                title: &format!("{}: rank autocorrelation", f.name),
                y_desc: "Spearman, t vs previous signal day",
                dates: &dates,
                series: vec![Series::new(
                    "rank autocorrelation",
                    chart::PURPLE,
                    Style::Line,
                    pts,
                )],
                y_format: YFormat::Number,
                log_y: false,
                height: 240,
            })?;
            figure(h, &format!("chart-autocorr-{id}"), &svg, "Spearman correlation of the factor's values on consecutive signal days over the stocks with a value on both; 1 − it is the factor's turnover.");
        }
        h.push_str("</section>\n");
        Ok(())
    }

    /// Writes the tear sheet to `path` (through `<path>.partial`, renamed
    /// at the end: a failure leaves no half-written page).
    pub fn write_html(&self, path: &std::path::Path) -> Result<()> {
        let page = self.to_html()?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".partial");
        let tmp = std::path::PathBuf::from(tmp);
        let written = std::fs::write(&tmp, page)
            .map_err(|e| crate::Error::io(&tmp, e))
            .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| crate::Error::io(path, e)));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::research::factor_report::FactorDetail;

    fn stats(periods: Vec<(String, String, Vec<f64>)>) -> FactorStats {
        FactorStats {
            name: "f".into(),
            group: "user".into(),
            days: 0,
            coverage: 1.0,
            ic_mean: 0.0,
            icir: 0.0,
            rank_ic_mean: 0.0,
            rank_icir: 0.0,
            spread: 0.0,
            exp_neg_rank_mae: 0.0,
            rank_autocorr: 0.0,
            detail: FactorDetail {
                periods,
                ..FactorDetail::default()
            },
        }
    }

    #[test]
    fn test_cumulative_quantiles_compound_the_holding_periods() {
        // Q1: −10% then +10% → 0.9 × 1.1 − 1 = −0.01; Q2: +10%, +10% → 0.21;
        // a NaN period return counts as 0.
        let s = stats(vec![
            ("2020-01-31".into(), "2020-02-28".into(), vec![-0.1, 0.1]),
            ("2020-02-28".into(), "2020-03-31".into(), vec![0.1, 0.1]),
            (
                "2020-03-31".into(),
                "2020-04-30".into(),
                vec![f64::NAN, 0.0],
            ),
        ]);
        let (dates, curves) = cumulative_quantiles(&s, 2);
        assert_eq!(
            dates,
            ["2020-01-31", "2020-02-28", "2020-03-31", "2020-04-30"]
        );
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(
            close(&curves[0], &[0.0, -0.1, -0.01, -0.01]),
            "{:?}",
            curves[0]
        );
        assert!(
            close(&curves[1], &[0.0, 0.1, 0.21, 0.21]),
            "{:?}",
            curves[1]
        );
        assert!(cumulative_quantiles(&stats(vec![]), 2).0.is_empty());
    }

    #[test]
    fn test_quantile_colors_run_from_red_to_green() {
        assert_eq!(quantile_color(0, 10), chart::RED);
        assert_eq!(quantile_color(9, 10), chart::GREEN);
    }
}
