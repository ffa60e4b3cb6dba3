//! CLI tests: one binary (built once) that runs `cspctl` on temporary workspaces and snapshots
//! exit code, stdout and stderr together.

mod apply;
mod exit_codes;
mod import_requests;
mod onboard;
mod plan;
mod recipes;
mod report;
mod saved;
mod support;
mod validate;
