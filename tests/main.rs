//! Integration tests, one binary (links once).
#![allow(clippy::result_large_err)]

mod common;

mod backtest;
mod bad_input;
mod behaviours;
mod browser;
mod cli;
mod dmfm;
mod e2eai;
mod ensemble;
mod factor_sheet;
mod factors;
mod fuzz_loader;
mod gbdt;
mod hand;
mod inputs;
mod load_cache;
mod load_select;
mod lookahead;
mod oracle;
mod parquet_bundle;
mod parquet_errors;
mod portfolio;
mod qlib;
mod real_data;
mod reliability;
mod report_html;
mod robust;
mod scenarios;
mod sequence;
mod shard;
mod sweep;
mod table1;
mod timing;
mod user_snapshot;
