//! The workspace loader on any bytes as a client file beside a valid `cspctl.yaml`: loading
//! and rendering every diagnostic must not panic, and no rendered diagnostic may print the
//! canary credential that the input plants under a credential key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const CANARY: &str = "Zq8Xr2Lm5Np7Vb3Kc9Wd1Hf4Jg6Ts0Ya";

static WORKSPACE: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = WORKSPACE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("cspctl.yaml"),
            "version: 1\ndistributor: sandbox\npsa: sandbox\nsandbox: { state: state.yaml }\n",
        )
        .expect("write settings");
        dir
    });
    // Half the inputs carry a credential line, so masking is exercised on every shape.
    let planted = data.first().is_some_and(|b| b & 1 == 1);
    let mut file = data.to_vec();
    if planted {
        file.extend_from_slice(format!("\npassword: {CANARY}\n").as_bytes());
    }
    std::fs::write(dir.path().join("f.yaml"), &file).expect("write file");
    if let Err(errors) = cspctl::config::load(dir.path()) {
        for text in [errors.render(false), errors.render(true), format!("{errors:?}")] {
            if planted && !String::from_utf8_lossy(data).contains(CANARY) {
                assert!(!text.contains(CANARY), "canary printed:\n{text}");
            }
        }
    }
});
