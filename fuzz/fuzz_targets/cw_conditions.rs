//! The simulator's ConnectWise `conditions` parser: never panics, and an accepted condition
//! can be evaluated against a record without panicking.
#![no_main]

use cspctl::sim::connectwise::conditions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(condition) = conditions::parse(text) {
        let record = serde_json::json!({
            "id": 7, "identifier": "Contoso", "inactiveFlag": false, "quantity": 2.5,
            "company": {"id": 250}, "cancelledDate": "2026-06-30T00:00:00Z",
            "product": {"identifier": "M365-BP"}, "missing": null
        });
        let _ = condition.matches(&record);
    }
});
