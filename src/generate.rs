//! placeholder
use crate::Result;
#[derive(Clone, Copy)]
pub enum Preset {
    Tiny,
}
pub struct GeneratorConfig;
pub struct GenerateSummary {
    pub n_stocks: usize,
    pub n_days: usize,
    pub bar_rows: usize,
    pub oracle_ic: Vec<(usize, f64)>,
}
impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(_: &str) -> std::result::Result<Self, String> {
        Ok(Preset::Tiny)
    }
}
impl Preset {
    pub fn config(self) -> GeneratorConfig {
        GeneratorConfig
    }
    pub fn name(&self) -> &'static str {
        "tiny"
    }
}
pub fn generate(_c: &GeneratorConfig, _s: u64, _o: &std::path::Path) -> Result<GenerateSummary> {
    todo!()
}
