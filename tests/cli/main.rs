//! CLI tests: one binary (built once) that runs `cspctl` on temporary workspaces and snapshots
//! exit code, stdout and stderr together.

mod support;
mod validate;
