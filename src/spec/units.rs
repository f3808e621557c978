//! Units of spec values as type names: the Rust type says the unit, the TOML key stays as it is.
//!
//! These are aliases (no conversion, no new type), so a value reads and
//! serialises exactly as the plain number it is.

/// A count of trading days (market days of the bundle's calendar), not calendar days.
pub type TradingDays = u32;

/// A fraction in `[0, 1]` (0.25 = a quarter), not a percentage.
pub type Fraction = f64;

/// An amount of money in the bundle's currency units (prices × shares; yuan for A-shares).
pub type Currency = f64;
