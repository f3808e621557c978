//! The factor catalogue (every library factor's group, name and definition) lives in
//! [`crate::spec::factor_catalog`]: the spec resolves its `factors` key against it.
pub use crate::spec::factor_catalog::*;
