//! The Interpretation section (learned models): factor attention per retrain
//! window and head (deep models; E2EAI's signed attention on a diverging
//! scale, and its factor gates), or the gain importance per window (tree
//! models), read from `report.json` → `interpretation`.

use crate::html::chart::{self, HeatMap, Series, Style, TimeChart, YFormat};
use crate::html::format::{figure, floats, strings, text};
use crate::Result;
use serde_json::Value;

/// Factor-attention interpretation, read from `report.json` → `interpretation`.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::html) struct Interpretation {
    factors: Vec<String>,
    groups: Vec<(String, Vec<usize>)>,
    windows: Vec<String>,
    /// Per head: name, factor weights [window][factor], group weights [window][group], R² per window.
    heads: Vec<HeadView>,
    /// The R² shown is the scale-free `r2_fit` (reports before it have only
    /// the raw `r2`, which is shown then under its own title).
    r2_is_fit: bool,
    /// Tree models: gain importance [window][factor] (NaN where a window has none).
    importance: Option<Vec<Vec<f64>>>,
    /// Signed weights (diverging colours): the model is `e2eai` or a weight is negative.
    signed: bool,
    /// Gates [window][factor] (E2EAI), empty without.
    gates: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
struct HeadView {
    name: String,
    factor_weights: Vec<Vec<f64>>,
    group_weights: Vec<Vec<f64>>,
    r2: Vec<f64>,
}

pub(in crate::html) fn interpretation(r: &Value) -> Option<Interpretation> {
    let v = r.get("interpretation")?;
    let factors = strings(v.get("factors"));
    let windows_v = v.get("windows")?.as_array()?;
    if factors.is_empty() || windows_v.is_empty() {
        return None;
    }
    let groups: Vec<(String, Vec<usize>)> = v
        .get("groups")
        .and_then(Value::as_array)
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    // The deep models write groups as plain names; a factor belongs to
                    // the group before the first `:` of its name (`all` without one).
                    if let Some(name) = g.as_str() {
                        let members = factors
                            .iter()
                            .enumerate()
                            .filter(|(_, f)| f.split_once(':').map_or("all", |(g, _)| g) == name)
                            .map(|(i, _)| i)
                            .collect();
                        return (name.to_owned(), members);
                    }
                    let members = strings(g.get("factors"));
                    (
                        g.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        members
                            .iter()
                            .filter_map(|m| factors.iter().position(|f| f == m))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let windows: Vec<String> = windows_v
        .iter()
        .map(|w| {
            if w.get("start").is_some() {
                text(w, "/start")
            } else {
                text(w, "/as_of")
            }
        })
        .collect();
    let mut heads: Vec<HeadView> = Vec::new();
    let mut r2_is_fit = false;
    for (wi, w) in windows_v.iter().enumerate() {
        for head in w
            .get("heads")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = match (head.get("name"), head.get("horizon")) {
                (Some(n), _) => n
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| n.to_string()),
                (None, Some(h)) => format!("h{h}"),
                (None, None) => String::new(),
            };
            let k = match heads.iter().position(|x| x.name == name) {
                Some(k) => k,
                None => {
                    heads.push(HeadView {
                        name,
                        factor_weights: vec![vec![f64::NAN; factors.len()]; windows_v.len()],
                        group_weights: vec![vec![f64::NAN; groups.len()]; windows_v.len()],
                        r2: vec![f64::NAN; windows_v.len()],
                    });
                    heads.len() - 1
                }
            };
            let fw = floats(head.get("factor_weights").or(head.get("factor_attention")));
            for (f, x) in fw.iter().enumerate().take(factors.len()) {
                heads[k].factor_weights[wi][f] = *x;
            }
            let gw = floats(head.get("group_weights").or(head.get("group_attention")));
            for (g, (_, members)) in groups.iter().enumerate() {
                heads[k].group_weights[wi][g] = match gw.get(g) {
                    Some(x) => *x,
                    None => members
                        .iter()
                        .map(|&m| fw.get(m).copied().unwrap_or(f64::NAN))
                        .sum(),
                };
            }
            let fit = head.get("r2_fit").and_then(Value::as_f64);
            r2_is_fit |= fit.is_some();
            heads[k].r2[wi] = fit
                .or_else(|| head.get("r2").and_then(Value::as_f64))
                .unwrap_or(f64::NAN);
        }
    }
    let importance: Vec<Vec<f64>> = windows_v
        .iter()
        .map(|w| {
            let v = floats(w.get("importance"));
            (0..factors.len())
                .map(|f| v.get(f).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let importance = importance
        .iter()
        .any(|w| w.iter().any(|x| x.is_finite()))
        .then_some(importance);
    if heads.is_empty() && importance.is_none() {
        return None;
    }
    let signed = v.get("model").and_then(Value::as_str) == Some("e2eai")
        || heads
            .iter()
            .flat_map(|h| h.factor_weights.iter().flatten())
            .any(|&x| x < 0.0);
    let gates: Vec<Vec<f64>> = windows_v
        .iter()
        .map(|w| {
            let g = floats(w.get("gates"));
            (0..factors.len())
                .map(|f| g.get(f).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let has_gates = gates.iter().flatten().any(|g| g.is_finite());
    Some(Interpretation {
        factors,
        groups,
        windows,
        heads,
        r2_is_fit,
        importance,
        signed,
        gates: if has_gates { gates } else { Vec::new() },
    })
}

fn transpose(m: &[Vec<f64>], rows: usize) -> Vec<Vec<f64>> {
    (0..rows)
        .map(|r| {
            m.iter()
                .map(|w| w.get(r).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn slug(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "head".into()
    } else {
        s
    }
}

pub(in crate::html) fn interpretation_section(h: &mut String, i: &Interpretation) -> Result<()> {
    if let Some(imp) = &i.importance {
        h.push_str("<section id=\"interpretation\">\n<h2>Interpretation: feature importance</h2>\n\
            <p class=\"note\">For each retrain window: each input factor's share of the total split gain of the window's boosted trees (docs/gbdt.md).</p>\n");
        let svg = chart::heat_map(
            "Gain importance by factor",
            &i.factors,
            &i.windows,
            &transpose(imp, i.factors.len()),
        )?;
        figure(
            h,
            "chart-importance-factors",
            &svg,
            "Share of the split gain per input factor per retrain window; darker = more important.",
        );
        h.push_str("</section>\n");
        return Ok(());
    }
    h.push_str("<section id=\"interpretation\">\n<h2>Interpretation: factor attention</h2>\n");
    if i.signed {
        h.push_str("<p class=\"note\">For each retrain window and deep factor (head): the signed attention weight of each input factor and factor group (E2EAI's directional attention: blue = the factor raises the deep factor, orange = it lowers it; Σ|weight| ≤ 1), and how well the attention estimate f̂ = F·ā explains the deep factor (R² of the best linear fit, scale-free).</p>\n");
    } else {
        h.push_str("<p class=\"note\">For each retrain window and deep factor (head): the average attention weight the model puts on each input factor and factor group (the DMFM paper's Figure 2), and how well the attention estimate f̂ = F·ā explains the deep factor (R² of the best linear fit, scale-free).</p>\n");
    }
    if !i.gates.is_empty() {
        let svg = chart::heat_map(
            "Factor gates",
            &i.factors,
            &i.windows,
            &transpose(&i.gates, i.factors.len()),
        )?;
        figure(
            h,
            "chart-gates",
            &svg,
            "E2EAI's gate per input factor per retrain window: 1 = fully open, 0 = switched off.",
        );
    }
    let weights_map = |title: &str, rows: &[String], values: &[Vec<f64>]| {
        chart::draw_heat_map(&HeatMap {
            title,
            rows,
            cols: &i.windows,
            values,
            x_desc: "retrain window (start)",
            diverging: i.signed,
            format: YFormat::Number,
        })
    };
    let (darker, mean) = if i.signed {
        (
            "blue = positive, orange = negative loading",
            "Mean signed attention weight",
        )
    } else {
        ("darker = more attention", "Mean attention weight")
    };
    for head in &i.heads {
        let id = slug(&head.name);
        // One group holding every factor (the fixture's `all`) has weight 1
        // in every window: nothing to show. Draw the group chart only with
        // two or more groups that have members.
        if i.groups.iter().filter(|g| !g.1.is_empty()).count() >= 2 {
            let names: Vec<String> = i.groups.iter().map(|g| g.0.clone()).collect();
            let svg = weights_map(
                &format!("Attention by factor group, {}", head.name),
                &names,
                &transpose(&head.group_weights, names.len()),
            )?;
            figure(
                h,
                &format!("chart-attention-groups-{id}"),
                &svg,
                &format!("Sum of the group's factor weights per retrain window; {darker}."),
            );
        }
        let svg = weights_map(
            &format!("Attention by factor, {}", head.name),
            &i.factors,
            &transpose(&head.factor_weights, i.factors.len()),
        )?;
        figure(
            h,
            &format!("chart-attention-factors-{id}"),
            &svg,
            &format!("{mean} per input factor per retrain window; {darker}."),
        );
    }
    let series: Vec<Series> = i
        .heads
        .iter()
        .enumerate()
        .map(|(k, head)| {
            let colors = [
                chart::BLUE,
                chart::ORANGE,
                chart::GREEN,
                chart::RED,
                chart::PURPLE,
                chart::SKY,
            ];
            Series::new(
                &head.name,
                colors[k % colors.len()],
                Style::Line,
                head.r2
                    .iter()
                    .enumerate()
                    .map(|(w, &y)| (w as f64, y))
                    .collect(),
            )
        })
        .collect();
    if series
        .iter()
        .any(|s| s.points.iter().any(|p| p.1.is_finite()))
    {
        let (title, caption) = if i.r2_is_fit {
            (
                "Fit of the attention estimate per retrain window (R² of the best linear fit)",
                "How well the attention-weighted combination of input factors explains each deep factor, up to scale: the squared within-date correlation of the two (1 = fully, 0 = not at all).",
            )
        } else {
            (
                "R² of the attention estimate per retrain window",
                "How well the attention-weighted combination of input factors explains each deep factor (1 = fully).",
            )
        };
        let svg = chart::time_chart(&TimeChart {
            title,
            y_desc: "R²",
            dates: &i.windows,
            series,
            y_format: YFormat::Number,
            log_y: false,
            height: 260,
        })?;
        figure(h, "chart-attention-r2", &svg, caption);
    }
    h.push_str("</section>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_interpretation_absent_or_empty_renders_nothing() {
        assert!(interpretation(&serde_json::json!({})).is_none());
        assert!(interpretation(
            &serde_json::json!({"interpretation": {"factors": [], "windows": []}})
        )
        .is_none());
    }

    #[test]
    fn test_interpretation_single_group_draws_no_group_chart() {
        let window = |g: serde_json::Value| {
            serde_json::json!({"interpretation": {
                "factors": ["f0", "f1"],
                "groups": g,
                "windows": [{"start": "2020-01-31", "heads": [{"name": "h20", "factor_weights": [0.4, 0.6], "r2": 0.9}]}]
            }})
        };
        let page = |r: &Value| {
            let mut h = String::new();
            interpretation_section(&mut h, &interpretation(r).unwrap()).unwrap();
            h
        };
        let one = page(&window(serde_json::json!(["all"])));
        assert!(
            !one.contains("chart-attention-groups-"),
            "one group: no chart"
        );
        assert!(one.contains("chart-attention-factors-h20"));
        let two = page(&window(serde_json::json!([
            {"name": "a", "factors": ["f0"]},
            {"name": "b", "factors": ["f1"]}
        ])));
        assert!(two.contains("chart-attention-groups-h20"));
    }

    #[test]
    fn test_interpretation_shows_the_scale_free_fit_when_present() {
        let r = |head: Value| {
            serde_json::json!({"interpretation": {
                "factors": ["a"],
                "windows": [{"start": "2020-01-31", "heads": [head]}]
            }})
        };
        let new = interpretation(&r(serde_json::json!(
            {"name": "h20", "factor_weights": [1.0], "r2": -9864.4, "corr": 0.5, "r2_fit": 0.25}
        )))
        .unwrap();
        assert_eq!(new.heads[0].r2, vec![0.25]);
        assert!(new.r2_is_fit);
        let mut h = String::new();
        interpretation_section(&mut h, &new).unwrap();
        assert!(h.contains("best linear fit"), "the title says which R²");
        let old = interpretation(&r(serde_json::json!(
            {"name": "h20", "factor_weights": [1.0], "r2": 0.9}
        )))
        .unwrap();
        assert_eq!(old.heads[0].r2, vec![0.9]);
        assert!(!old.r2_is_fit, "an older report keeps its raw R² and title");
    }

    #[test]
    fn test_interpretation_importance_heat_map() {
        let r = serde_json::json!({"interpretation": {
            "factors": ["a", "b"],
            "groups": ["all"],
            "windows": [
                {"as_of": "2020-01-31", "heads": [], "importance": [0.25, 0.75]},
                {"as_of": "2020-07-31", "heads": []}
            ]
        }});
        let i = interpretation(&r).unwrap();
        assert_eq!(i.importance.as_ref().unwrap()[0], vec![0.25, 0.75]);
        assert!(i.importance.as_ref().unwrap()[1].iter().all(|x| x.is_nan()));
        let mut h = String::new();
        interpretation_section(&mut h, &i).unwrap();
        assert!(h.contains("chart-importance-factors") && h.contains("feature importance"));
        assert!(!h.contains("chart-attention"));
        // windows without importance or heads (linear): no section
        let lin = serde_json::json!({"interpretation": {
            "factors": ["a"], "groups": ["all"], "windows": [{"as_of": "2020-01-31", "heads": []}]
        }});
        assert!(interpretation(&lin).is_none());
    }

    #[test]
    fn test_interpretation_group_weights_default_to_member_sums() {
        let r = serde_json::json!({"interpretation": {
            "factors": ["a", "b", "c"],
            "groups": [{"name": "ab", "factors": ["a", "b"]}, {"name": "c", "factors": ["c"]}],
            "windows": [{"start": "2020-01-31", "heads": [{"name": "h20", "factor_weights": [0.2, 0.3, 0.5], "r2": 0.9}]}]
        }});
        let i = interpretation(&r).unwrap();
        assert_eq!(i.heads[0].group_weights, vec![vec![0.5, 0.5]]);
        assert_eq!(i.heads[0].r2, vec![0.9]);
        assert_eq!(i.windows, vec!["2020-01-31"]);
    }

    #[test]
    fn test_signed_attention_is_diverging_and_gates_are_drawn() {
        let r = serde_json::json!({"interpretation": {
            "model": "e2eai",
            "factors": ["f0", "f1"],
            "groups": ["all"],
            "windows": [{"as_of": "2020-01-31", "gates": [1.0, 0.0],
                "heads": [{"horizon": 20, "factor_attention": [0.5, -0.5], "r2": 0.9, "corr": 0.95}]}]
        }});
        let i = interpretation(&r).unwrap();
        assert!(i.signed);
        assert_eq!(i.gates, vec![vec![1.0, 0.0]]);
        let mut h = String::new();
        interpretation_section(&mut h, &i).unwrap();
        assert!(h.contains("chart-gates"), "the gates' heat map");
        // −0.5 is the largest |weight|: the full orange end of the diverging scale
        assert!(h.contains("#C85000"), "a negative loading is orange");
        // the DMFM's non-negative weights: one blue scale, no gates
        let d = serde_json::json!({"interpretation": {
            "model": "dmfm", "factors": ["f0", "f1"], "groups": ["all"],
            "windows": [{"as_of": "2020-01-31",
                "heads": [{"horizon": 20, "factor_attention": [0.4, 0.6], "r2": 0.9}]}]
        }});
        let i = interpretation(&d).unwrap();
        assert!(!i.signed && i.gates.is_empty());
        let mut h = String::new();
        interpretation_section(&mut h, &i).unwrap();
        assert!(!h.contains("chart-gates") && !h.contains("#C85000"));
    }
}
