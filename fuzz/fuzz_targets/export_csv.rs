//! The Annuity Information export reader on any bytes as a `.csv`: an export or an error
//! naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = cspctl::live::dickerdata::read_export_bytes(data, "csv", "fuzz.csv") {
        assert!(e.to_string().contains("fuzz.csv"), "{e}");
    }
});
