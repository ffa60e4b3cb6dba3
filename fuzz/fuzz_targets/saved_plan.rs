//! The saved-plan reader (`apply plan.json`) on any bytes: a plan or an error naming the
//! file, never a panic; an accepted plan writes back to JSON that reads the same.
#![no_main]

use std::path::Path;

use cspctl::apply::SavedPlan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match SavedPlan::from_json(Path::new("plan.json"), data) {
        Ok(plan) => {
            let text = serde_json::to_vec(&plan).expect("plan serialises");
            let again = SavedPlan::from_json(Path::new("plan.json"), &text).expect("written plan reads");
            assert_eq!(again, plan);
        }
        Err(e) => assert!(e.to_string().contains("plan.json"), "{e}"),
    }
});
