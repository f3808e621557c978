//! Integration tests, one binary (links once).
#![allow(clippy::result_large_err)]

mod common;

mod backtest;
mod bad_input;
mod cli;
mod hand;
mod lookahead;
mod real_data;
mod scenarios;
mod sweep;
mod timing;
mod user_snapshot;
