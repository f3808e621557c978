//! How a user pins a strategy's results in their own Rust tests: run the
//! spec and snapshot the report's stable, rounded text with insta. Any change
//! in a metric or in a single trade (the trade hash) shows up as a diff to
//! review with `cargo insta review`.

#[test]
fn test_user_pins_the_default_strategy() {
    // (`crate::common::default_run()` is `run(&spec("strategies/default.toml"))`,
    // computed once and shared with the other tests that read it.)
    let result = crate::common::default_run();
    insta::assert_snapshot!("user_default_strategy", result.report.snapshot_text());
}
