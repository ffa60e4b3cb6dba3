//! The pure core: (desired, live, date) -> Plan. No I/O, no async, no clock.

mod plan;

pub use plan::{Action, ActionKind, FORMAT_VERSION, FieldChange, Finding, Plan, UnmanagedAddition};
