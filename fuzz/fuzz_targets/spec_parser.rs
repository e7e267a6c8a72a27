//! Any text given as a spec parses and checks into a spec or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use recontact_scoring::SpecConfig;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = SpecConfig::from_toml("fuzz", text) {
            let again = config.to_toml();
            if let Ok(spec) = config.check() {
                let _ = spec.columns();
                let _ = again;
            }
        }
    }
});
