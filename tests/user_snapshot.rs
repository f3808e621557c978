//! How a user pins a strategy's results in their own Rust tests: run the
//! spec and snapshot the report's stable, rounded text with insta. Any change
//! in a metric or in a single trade (the trade hash) shows up as a diff to
//! review with `cargo insta review`.

use crate::common::{run, spec};

#[test]
fn test_user_pins_the_default_strategy() {
    let result = run(&spec("strategies/default.toml"));
    insta::assert_snapshot!("user_default_strategy", result.report.snapshot_text());
}
