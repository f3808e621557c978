//! The sweep plan: which keys vary and how, read from `[sweep]` and `--set`,
//! checked with located errors, expanded into variants and their specs.

use crate::data::Market;
use crate::spec::Spec;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Keys a sweep may vary (prefixes) that act after scoring: variants that
/// differ only in these replay one scoring.
pub const REPLAYABLE: [&str; 4] = ["costs.", "execution.", "portfolio.", "initial_capital"];

/// Keys a sweep may vary that change the scores: `model` (a name of a
/// `[models.<name>]` table), `index` (a name in `constituents.csv`) and
/// `seed` (the spec's seed, an integer). Each distinct combination of their
/// values is one scoring group, except that `seed` is left out of the key
/// of a model that does not use it ([`crate::spec::ModelConfig::uses_spec_seed`]).
pub const SCORING: [&str; 3] = ["model", "index", "seed"];

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<toml::Value>,
}

/// The axes of a sweep.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SweepPlan {
    pub axes: Vec<Axis>,
}

/// A variant's swept values, in axis order.
pub type Params = Vec<(String, toml::Value)>;

fn sweep_err(spec: &Spec, message: String) -> Error {
    Error::Spec {
        file: spec.path.clone(),
        message,
    }
}

/// Where a `[sweep]` key's value sits in the spec text: (byte offset, length).
fn sweep_value_span(spec: &Spec, key: &str) -> Option<(usize, usize)> {
    #[derive(serde::Deserialize)]
    struct Spans {
        #[serde(default)]
        sweep: BTreeMap<String, toml::Spanned<toml::Value>>,
    }
    let spans: Spans = toml::from_str(&spec.source).ok()?;
    let top = key.split('.').next().unwrap_or(key);
    let v = spans.sweep.get(key).or_else(|| spans.sweep.get(top))?;
    let r = v.span();
    Some((r.start, r.end - r.start))
}

/// A message pointing at `len` bytes at `offset` of the spec text, in the
/// layout of the TOML parser's errors (line, column, the line, carets).
fn at_source(source: &str, offset: usize, len: usize, message: &str) -> String {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_no = source[..offset].matches('\n').count() + 1;
    let column = source[line_start..offset].chars().count() + 1;
    let line_text = source[line_start..].lines().next().unwrap_or("");
    let width = source[offset..(offset + len).min(source.len())]
        .lines()
        .next()
        .map_or(1, |t| t.chars().count().max(1));
    let pad = " ".repeat(line_no.to_string().len());
    format!(
        "sweep error at line {line_no}, column {column}\n{pad} |\n{line_no} | {line_text}\n{pad} | {}{}\n{message}",
        " ".repeat(column - 1),
        "^".repeat(width)
    )
}

/// Where an axis came from: the spec's `[sweep]` table or a `--set` argument.
#[derive(Debug, Clone, Copy)]
enum Origin<'a> {
    File,
    Set(&'a str),
}

/// An error about axis `key` (and, when given, one of its values), located
/// in the spec text when the axis came from the file.
fn axis_err(spec: &Spec, origin: Origin<'_>, key: &str, value: Option<&str>, msg: String) -> Error {
    let message = match origin {
        Origin::Set(arg) => format!("--set `{arg}`: {msg}"),
        Origin::File => match sweep_value_span(spec, key) {
            Some((off, len)) => {
                // Point at the value itself when it can be found in the array.
                let (off, len) = value
                    .and_then(|v| {
                        let quoted = format!("\"{v}\"");
                        spec.source[off..off + len]
                            .find(&quoted)
                            .map(|i| (off + i, quoted.len()))
                    })
                    .unwrap_or((off, len));
                at_source(&spec.source, off, len, &format!("sweep.{key}: {msg}"))
            }
            None => format!("sweep.{key}: {msg}"),
        },
    };
    sweep_err(spec, message)
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        _ => out.push((prefix.to_owned(), v.clone())),
    }
}

/// Parses one `--set` value: a TOML value, or else a bare string.
fn parse_value(text: &str) -> toml::Value {
    let text = text.trim();
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_owned()))
}

/// A value as written in tables and folder listings.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn numeric(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

impl SweepPlan {
    /// The axes of the spec's `[sweep]` table.
    pub fn from_spec(spec: &Spec) -> Result<SweepPlan> {
        let mut flat = Vec::new();
        for (k, v) in &spec.config.sweep {
            flatten(k, v, &mut flat);
        }
        let mut plan = SweepPlan::default();
        for (key, v) in flat {
            let toml::Value::Array(values) = v else {
                return Err(axis_err(
                    spec,
                    Origin::File,
                    &key,
                    None,
                    "must be an array of values, e.g. [0, 10, 20]".into(),
                ));
            };
            plan.add(spec, Origin::File, key, values)?;
        }
        Ok(plan)
    }

    /// Adds `--set key=v1,v2,...` (or `key=[v1, v2]`), replacing an axis of the same key.
    pub fn set(&mut self, spec: &Spec, arg: &str) -> Result<()> {
        let Some((key, values)) = arg.split_once('=') else {
            return Err(sweep_err(
                spec,
                format!("--set `{arg}`: write KEY=V1,V2,... (e.g. costs.commission_bps=5,10,20)"),
            ));
        };
        let values = values.trim();
        let parsed: Vec<toml::Value> = if values.starts_with('[') {
            match parse_value(values) {
                toml::Value::Array(a) => a,
                _ => {
                    return Err(sweep_err(
                        spec,
                        format!("--set `{arg}`: `{values}` is not a TOML array"),
                    ))
                }
            }
        } else {
            values.split(',').map(parse_value).collect()
        };
        self.add(spec, Origin::Set(arg), key.trim().to_owned(), parsed)
    }

    fn add(
        &mut self,
        spec: &Spec,
        origin: Origin<'_>,
        key: String,
        values: Vec<toml::Value>,
    ) -> Result<()> {
        let scoring = SCORING.contains(&key.as_str());
        if !scoring
            && !REPLAYABLE
                .iter()
                .any(|p| key.starts_with(p) || key == p.trim_end_matches('.'))
        {
            return Err(axis_err(
                spec,
                origin,
                &key,
                None,
                format!(
                    "`{key}` cannot be swept: it would change the scores\n  fix: write one [models.<name>] table per setting and sweep `model = [\"name\", ...]`; a sweep varies `model`, `index`, `seed`, and costs.*, execution.*, portfolio.*, initial_capital (replayed on each scoring)"
                ),
            ));
        }
        if values.is_empty() {
            return Err(axis_err(spec, origin, &key, None, "has no values".into()));
        }
        if key == "seed" {
            let mut seen = Vec::new();
            for v in &values {
                let seed = v.as_integer().filter(|&n| n >= 0);
                let Some(seed) = seed else {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        None,
                        format!("values must be non-negative integers, e.g. seed = [1, 2, 3]; got `{v}`"),
                    ));
                };
                if seen.contains(&seed) {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        None,
                        format!("`{seed}` is listed twice; list each seed once"),
                    ));
                }
                seen.push(seed);
            }
        } else if scoring {
            let mut seen = Vec::new();
            for v in &values {
                let Some(name) = v.as_str() else {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        None,
                        format!(
                            "values must be names (strings), e.g. {key} = [\"a\", \"b\"]; got `{v}`"
                        ),
                    ));
                };
                if seen.contains(&name) {
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        Some(name),
                        format!("`{name}` is listed twice; list each name once"),
                    ));
                }
                seen.push(name);
                if key == "model" && !spec.config.models.contains_key(name) {
                    let known: Vec<&str> = spec.config.models.keys().map(String::as_str).collect();
                    let fix = if known.is_empty() {
                        format!(
                            "this spec has no [models.<name>] tables; add one per name, e.g. [models.{name}] with kind = \"...\" and the model's settings (a full [model] table)"
                        )
                    } else {
                        format!(
                            "add a [models.{name}] table (a full [model] table) or use one of: {}",
                            known.join(", ")
                        )
                    };
                    return Err(axis_err(
                        spec,
                        origin,
                        &key,
                        Some(name),
                        format!("`{name}` is not a model of this spec\n  fix: {fix}"),
                    ));
                }
            }
        }
        match self.axes.iter_mut().find(|a| a.key == key) {
            Some(a) => a.values = values,
            None => self.axes.push(Axis { key, values }),
        }
        Ok(())
    }

    /// Checks the `index` axis against the bundle's indices (located in the spec text).
    pub fn check_market(&self, spec: &Spec, market: &Market) -> Result<()> {
        let Some(axis) = self.axes.iter().find(|a| a.key == "index") else {
            return Ok(());
        };
        for v in &axis.values {
            let name = v.as_str().unwrap_or_default();
            if !market.constituents.contains_key(name) {
                let known: Vec<&str> = market.constituents.keys().map(String::as_str).collect();
                let origin = if sweep_value_span(spec, "index").is_some() {
                    Origin::File
                } else {
                    Origin::Set("index=...")
                };
                return Err(axis_err(
                    spec,
                    origin,
                    "index",
                    Some(name),
                    format!(
                        "`{name}` is not an index of the bundle's constituents.csv\n  fix: use one of: {}",
                        if known.is_empty() {
                            "none — the bundle has no constituents.csv".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether a Table-1 view applies (the model and/or the index is swept).
    pub fn has_scoring_axes(&self) -> bool {
        self.axes.iter().any(|a| SCORING.contains(&a.key.as_str()))
    }

    /// The scoring groups: for each distinct combination of the scoring
    /// keys' values (first-seen order), its variants' indices in variant
    /// order. The first of each group scores; the others replay its scores.
    /// `uses_seed(i)` says whether variant `i`'s model uses the spec's seed;
    /// when it does not, its `seed` value is not part of its key (its seeds
    /// share one scoring).
    pub fn scoring_groups(&self, uses_seed: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
        let mut keys: Vec<Params> = Vec::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, v) in self.variants().iter().enumerate() {
            let k: Params = v
                .iter()
                .filter(|(k, _)| {
                    SCORING.contains(&k.as_str()) && (k.as_str() != "seed" || uses_seed(i))
                })
                .cloned()
                .collect();
            match keys.iter().position(|g| *g == k) {
                Some(g) => groups[g].push(i),
                None => {
                    keys.push(k);
                    groups.push(vec![i]);
                }
            }
        }
        groups
    }

    /// The cartesian product of the axes, first axis slowest (one empty variant without axes).
    pub fn variants(&self) -> Vec<Vec<(String, toml::Value)>> {
        let mut out: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
        for a in &self.axes {
            let mut next = Vec::with_capacity(out.len() * a.values.len());
            for v in &out {
                for x in &a.values {
                    let mut w = v.clone();
                    w.push((a.key.clone(), x.clone()));
                    next.push(w);
                }
            }
            out = next;
        }
        out
    }
}

/// The spec's `[models.<name>]` table, as TOML (the override of `model`).
fn model_table(spec: &Spec, name: &str) -> Result<toml::Value> {
    let table: toml::Table = spec
        .source
        .parse()
        .map_err(|e: toml::de::Error| sweep_err(spec, e.to_string()))?;
    table
        .get("models")
        .and_then(|m| m.get(name))
        .cloned()
        .ok_or_else(|| sweep_err(spec, format!("sweep.model: no [models.{name}] table")))
}

/// A variant's spec: `model = "name"` selects `[models.name]`; other keys
/// are set as they are.
pub fn variant_spec(spec: &Spec, params: &[(String, toml::Value)]) -> Result<Spec> {
    let overrides: Vec<(String, toml::Value)> = params
        .iter()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            ("model", Some(name)) => Ok((k.clone(), model_table(spec, name)?)),
            _ => Ok((k.clone(), v.clone())),
        })
        .collect::<Result<_>>()?;
    spec.with_overrides(&overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_variants_cartesian_first_axis_slowest() {
        let plan = SweepPlan {
            axes: vec![
                Axis {
                    key: "a".into(),
                    values: vec![1.into(), 2.into()],
                },
                Axis {
                    key: "b".into(),
                    values: vec!["x".into(), "y".into(), "z".into()],
                },
            ],
        };
        let v = plan.variants();
        assert_eq!(v.len(), 6);
        assert_eq!(value_text(&v[1][1].1), "y");
        assert_eq!(value_text(&v[3][0].1), "2");
    }

    #[test]
    fn test_parse_value_numbers_and_bare_strings() {
        assert_eq!(parse_value("5"), toml::Value::Integer(5));
        assert_eq!(parse_value("2.5"), toml::Value::Float(2.5));
        assert_eq!(parse_value("cn"), toml::Value::String("cn".into()));
        assert_eq!(parse_value("true"), toml::Value::Boolean(true));
    }
}
