//! The Signal section: IC and RankIC per signal day, quantile returns and
//! the long-short spread.

use crate::html::chart::{self, Series, Style, TimeChart, YFormat};
use crate::html::format::{figure, idx_of, text};
use crate::html::IcPoint;
use crate::html::RunView;
use crate::Result;
use std::fmt::Write as _;

pub(in crate::html) fn signal_section(h: &mut String, view: &RunView) -> Result<()> {
    let at = idx_of(&view.dates);
    let r = &view.report;
    h.push_str("<section id=\"signal\">\n<h2>Signal</h2>\n");
    let horizon = text(r, "/conventions/ic_horizon");
    let pick = |f: fn(&IcPoint) -> f64| -> Vec<(f64, f64)> {
        view.ic
            .iter()
            .filter_map(|p| Some((*at.get(p.date.as_str())? as f64, f(p))))
            .filter(|p| p.1.is_finite())
            .collect()
    };
    let ic = pick(|p| p.ic);
    let rank = pick(|p| p.rank_ic);
    if ic.is_empty() && rank.is_empty() {
        let _ = writeln!(h, "<p class=\"note\" id=\"no-ic\">No signal day has an IC: every signal day's {horizon}-day forward window runs past the data.</p>");
    } else {
        let svg = chart::time_chart(&TimeChart {
            title: "IC and RankIC per signal day",
            y_desc: "correlation",
            dates: &view.dates,
            series: chart::ic_series(ic.clone(), rank.clone()),
            y_format: YFormat::Number,
            log_y: false,
            height: chart::HEIGHT,
        })?;
        figure(h, "chart-ic", &svg, &format!("Pearson IC of the score with the {horizon}-day forward return over the eligible stocks, per signal day (blue bars), the RankIC (Spearman, orange bars), and their running means since t0."));
    }
    let score = pick(|p| (-p.rank_mae).exp());
    // e^(−running mean of RankMAE): the running value of the report's metric.
    let running: Vec<(f64, f64)> = chart::running_mean(&pick(|p| p.rank_mae))
        .into_iter()
        .map(|(x, m)| (x, (-m).exp()))
        .collect();
    if !score.is_empty() {
        // A random score's expected level, e^(−2/√π).
        let random = (-2.0 / std::f64::consts::PI.sqrt()).exp();
        let level: Vec<(f64, f64)> = [0.0, view.dates.len().saturating_sub(1) as f64]
            .into_iter()
            .map(|x| (x, random))
            .collect();
        let svg = chart::time_chart(&TimeChart {
            title: "e^(−RankMAE) per signal day",
            y_desc: "e^(−RankMAE)",
            dates: &view.dates,
            series: vec![
                Series::new("e^(−RankMAE)", chart::GREEN, Style::Line, score.clone()),
                Series::new(
                    "e^(−running mean RankMAE)",
                    chart::NAVY,
                    Style::Line,
                    running,
                ),
                Series::new("random score (0.324)", chart::GREY, Style::Line, level),
            ],
            y_format: YFormat::Number,
            log_y: false,
            height: 260,
        })?;
        figure(h, "chart-rank-mae", &svg, &format!("RankMAE = mean over the evaluated stocks of |g(rank of score) − g(rank of {horizon}-day forward return)|, g(rank) = Φ⁻¹((rank − 0.5)/n) with average ranks for ties; shown as e<sup>−RankMAE</sup> per signal day (1 = perfect ranking, ≈ 0.324 = random) and as e<sup>−mean RankMAE</sup> since t0 (its last value is metrics.ic.exp_neg_rank_mae)."));
    }
    let q = view.ic.iter().map(|p| p.quantiles.len()).max().unwrap_or(0);
    if q >= 2 {
        let means: Vec<f64> = (0..q)
            .map(|b| {
                let v: Vec<f64> = view
                    .ic
                    .iter()
                    .filter_map(|p| p.quantiles.get(b).copied())
                    .filter(|x| x.is_finite())
                    .collect();
                crate::metrics::mean(&v)
            })
            .collect();
        let cats: Vec<String> = (1..=q).map(|k| format!("Q{k}")).collect();
        let mut colors = vec![chart::GREY; q];
        colors[0] = chart::RED;
        colors[q - 1] = chart::GREEN;
        let svg = chart::category_bars(
            &format!("Mean {horizon}-day forward return by score quantile"),
            "mean forward return",
            "score quantile (Q1 lowest)",
            &cats,
            &means,
            &colors,
        )?;
        figure(h, "chart-quantiles", &svg, "Eligible stocks sorted by score into quantiles on each signal day; bars are the mean forward return per quantile averaged over signal days.");
        let spread: Vec<(f64, f64)> = view
            .ic
            .iter()
            .filter_map(|p| {
                Some((
                    *at.get(p.date.as_str())? as f64,
                    p.quantiles.get(q - 1)? - p.quantiles.first()?,
                ))
            })
            .filter(|p| p.1.is_finite())
            .collect();
        if !spread.is_empty() {
            let svg = chart::time_chart(&TimeChart {
                title: "Long-short spread (top − bottom quantile) per signal day",
                y_desc: "forward return spread",
                dates: &view.dates,
                series: vec![
                    Series::new("Q_top − Q1", chart::GREEN, Style::Bars, spread.clone()),
                    Series::new(
                        "running mean",
                        chart::RED,
                        Style::Line,
                        chart::running_mean(&spread),
                    ),
                ],
                y_format: YFormat::Percent,
                log_y: false,
                height: chart::HEIGHT,
            })?;
            figure(h, "chart-long-short", &svg, &format!("Forward {horizon}-day return of the top quantile minus the bottom quantile, per signal day (not a traded portfolio: no costs)."));
        }
    }
    h.push_str("</section>\n");
    Ok(())
}
