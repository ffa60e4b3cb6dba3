//! The ConnectWise client against the simulator's ConnectWise dialect, over loopback HTTP:
//! bulk reads and paging, conditions, writes, stale refusals, auth and error bodies, faults,
//! request counts, spec conformance and credential redaction.

#[path = "connectwise/canary.rs"]
mod canary;
#[path = "connectwise/concurrency.rs"]
mod concurrency;
#[path = "connectwise/conformance.rs"]
mod conformance;
#[path = "connectwise/count.rs"]
mod count;
#[path = "connectwise/e2e.rs"]
mod e2e;
#[path = "connectwise/faults.rs"]
mod faults;
#[path = "support/logs.rs"]
mod logs;
#[path = "connectwise/names.rs"]
mod names;
#[path = "connectwise/paging.rs"]
mod paging;
#[path = "connectwise/races.rs"]
mod races;
#[path = "connectwise/realities.rs"]
mod realities;
#[path = "connectwise/snapshot.rs"]
mod snapshot;
#[path = "connectwise/support.rs"]
mod support;
#[path = "connectwise/timezone.rs"]
mod timezone;
#[path = "connectwise/whole.rs"]
mod whole;
#[path = "connectwise/writes.rs"]
mod writes;
