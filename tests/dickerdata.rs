//! Dicker Data as a licence source: the Annuity Information export (generated `.xlsx` and
//! `.csv` files) and the B2B API over loopback against the simulator.

#[path = "dickerdata/export_file.rs"]
mod export_file;
#[path = "support/logs.rs"]
mod logs;

#[path = "dickerdata/export.rs"]
mod export;

#[path = "dickerdata/api.rs"]
mod api;

#[path = "dickerdata/example.rs"]
mod example;

#[path = "dickerdata/cli.rs"]
mod cli;
