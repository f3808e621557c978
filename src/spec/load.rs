//! Reading a spec: TOML parsing, the default model of a multi-model spec, relative paths, index settings.

use super::{ModelConfig, Spec, SpecConfig};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

impl Spec {
    /// Reads and checks a spec file.
    pub fn from_file(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path.parent().unwrap_or(Path::new(""));
        Spec::from_str_at(&text, path, base)
    }

    /// Parses spec text as if read from `path`, resolving relative paths against `base`.
    pub fn from_str_at(text: &str, path: &Path, base: &Path) -> Result<Spec> {
        let spec_err = |message: String| Error::Spec {
            file: path.to_path_buf(),
            message,
        };
        let parse_text = with_default_model(text);
        let mut config: SpecConfig = toml::from_str(&parse_text)
            .map_err(|e| spec_err(e.to_string().trim_end().to_owned()))?;
        if config.name.is_none() {
            config.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        let data_relative_scores = resolve_model_paths(base, &mut config.model);
        for m in config.models.values_mut() {
            resolve_model_paths(base, m);
        }
        if let Some(settings) = config.index.as_ref().and_then(|i| config.indices.get(i)) {
            let settings = settings.clone();
            if settings.start.is_some() {
                config.start = settings.start;
            }
            if settings.end.is_some() {
                config.end = settings.end;
            }
            if settings.benchmark.is_some() {
                config.benchmark = settings.benchmark;
            }
        }
        // No `data` key: an empty folder that check_data_dir reports unless
        // `--data` replaces it.
        let data_dir = if config.data.as_os_str().is_empty() {
            PathBuf::new()
        } else {
            resolve(base, &config.data)
        };
        let mut spec = Spec {
            config,
            path: path.to_path_buf(),
            data_dir: data_dir.clone(),
            source: text.to_owned(),
            base: base.to_path_buf(),
            data_relative_scores,
        };
        spec.set_data_dir(data_dir);
        spec.check().map_err(spec_err)?;
        Ok(spec)
    }
}

/// Without a `[model]` table but with `[models.<name>]` tables, appends a
/// `[model]` copy of the default one (the first name of `sweep.model`, else
/// the first name). Appended at the end, so line numbers in parse errors
/// still point into the user's text. Anything unusual is left to the parser.
fn with_default_model(text: &str) -> String {
    let Ok(table) = text.parse::<toml::Table>() else {
        return text.to_owned();
    };
    if table.contains_key("model") {
        return text.to_owned();
    }
    let Some(models) = table.get("models").and_then(toml::Value::as_table) else {
        return text.to_owned();
    };
    let first_swept = table
        .get("sweep")
        .and_then(|s| s.get("model"))
        .and_then(toml::Value::as_array)
        .and_then(|a| a.first())
        .and_then(toml::Value::as_str);
    let name = first_swept
        .filter(|n| models.contains_key(*n))
        .or_else(|| models.keys().next().map(String::as_str));
    let Some(model) = name.and_then(|n| models.get(n)) else {
        return text.to_owned();
    };
    let mut wrapper = toml::Table::new();
    wrapper.insert("model".into(), model.clone());
    match toml::to_string(&wrapper) {
        Ok(extra) => format!("{text}\n{extra}"),
        Err(_) => text.to_owned(),
    }
}

/// Resolves a model's relative paths against `base` (and fills e2eai's
/// `[model.e2eai]` defaults); returns the part after
/// `{data}/` of a `file` model's path written relative to the data bundle
/// (left for [`Spec::set_data_dir`] to resolve).
fn resolve_model_paths(base: &Path, model: &mut ModelConfig) -> Option<PathBuf> {
    // e2eai's `[model.e2eai]` defaults are filled in here so report.json echoes them.
    if let ModelConfig::E2eai(d) = model {
        d.e2eai.get_or_insert_with(Default::default);
    }
    match model {
        ModelConfig::File { path: p } => match data_relative(p) {
            Some(rest) => return Some(rest),
            None => *p = resolve(base, p),
        },
        other => {
            for p in other.weight_dirs_mut().into_iter().flatten().flatten() {
                *p = resolve(base, p);
            }
        }
    }
    None
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The part after a leading `{data}` component, if the path has one.
fn data_relative(p: &Path) -> Option<PathBuf> {
    p.strip_prefix("{data}").ok().map(Path::to_path_buf)
}
