//! cspctl keeps Microsoft CSP licence billing right: it reads what Dicker Data says each
//! customer holds, compares it with the agreement additions (ConnectWise Manage) or contract
//! services (Autotask) in the PSA, and plans and applies the difference that a YAML workspace
//! declares. The data flows `config` + `live` -> `reconcile` -> `render` / `apply`.

pub mod apply;
pub mod automap;
pub mod cli;
pub mod config;
pub mod files;
pub mod git;
pub mod live;
pub mod model;
pub mod provenance;
pub mod reconcile;
pub mod render;
pub mod secret;
pub mod sim;
