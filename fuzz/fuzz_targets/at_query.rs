//! The simulator's Autotask query parser on any JSON body, for each entity it serves: a
//! query or Autotask's error message, never a panic.
#![no_main]

use cspctl::sim::autotask::query::Query;
use libfuzzer_sys::fuzz_target;

const ENTITIES: [&str; 4] = ["Companies", "Contracts", "ContractServices", "Services"];

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else { return };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(body) else { return };
    let entity = ENTITIES[usize::from(*first) % ENTITIES.len()];
    let _ = Query::parse(entity, &body);
});
