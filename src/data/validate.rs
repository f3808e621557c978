//! placeholder
use super::*;
use crate::Result;
use std::path::Path;
#[derive(Debug)]
pub struct BundleSummary {
    pub warnings: Vec<String>,
}
impl std::fmt::Display for BundleSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "")
    }
}
pub fn validate_bundle(_dir: &Path) -> Result<BundleSummary> {
    let _ = Market::default();
    todo!()
}
