//! A spec with dotted-key overrides applied (the sweep's variants).

use super::Spec;
use crate::{Error, Result};

impl Spec {
    /// The spec with `overrides` applied (dotted keys such as
    /// `costs.commission_bps`, set in the TOML text and parsed again, so a
    /// typo is the same clear error as in a file) and its `[sweep]` table
    /// removed. The data folder (and any `--data` override) is kept.
    pub fn with_overrides(&self, overrides: &[(String, toml::Value)]) -> Result<Spec> {
        let spec_err = |message: String| Error::Spec {
            file: self.path.clone(),
            message,
        };
        let mut table: toml::Table = self
            .source
            .parse()
            .map_err(|e: toml::de::Error| spec_err(e.to_string()))?;
        table.remove("sweep");
        for (key, value) in overrides {
            let parts: Vec<&str> = key.split('.').collect();
            let mut t = &mut table;
            for p in &parts[..parts.len() - 1] {
                let entry = t
                    .entry((*p).to_owned())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                t = entry
                    .as_table_mut()
                    .ok_or_else(|| spec_err(format!("override `{key}`: `{p}` is not a table")))?;
            }
            t.insert(parts[parts.len() - 1].to_owned(), value.clone());
        }
        let text = toml::to_string(&table).map_err(|e| spec_err(e.to_string()))?;
        let mut spec = Spec::from_str_at(&text, &self.path, &self.base)?;
        spec.config.data = self.config.data.clone();
        spec.set_data_dir(self.data_dir.clone());
        spec.config.name = self.config.name.clone();
        spec.source = self.source.clone();
        Ok(spec)
    }
}
