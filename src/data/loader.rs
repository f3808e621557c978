//! placeholder, replaced by the real loader
use super::*;
use crate::Result;
use std::path::Path;
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub threads: usize,
}
pub fn load_market(_dir: &Path, _opts: &LoadOptions) -> Result<Market> {
    todo!()
}
