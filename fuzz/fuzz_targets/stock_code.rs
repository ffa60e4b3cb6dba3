//! The stock code parser: never panics, and what it accepts prints back to a code that
//! parses to the same value.
#![no_main]

use cspctl::model::StockCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(code) = text.parse::<StockCode>() {
        let again: StockCode = code.to_string().parse().expect("printed stock code parses");
        assert_eq!(again, code);
    }
});
