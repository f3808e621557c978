//! Integration tests, one binary (links once).
#![allow(clippy::result_large_err)]

mod common;

mod backtest;
mod bad_input;
mod cli;
mod dmfm;
mod hand;
mod lookahead;
mod real_data;
mod timing;
mod user_snapshot;
