//! `config/final.yml` and `config/private.yml`: any text either parses or is refused with an error.
#![no_main]

use currency::release::config::{FinalConfig, merge_options, parse_private_options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let private = parse_private_options(text);
    if let Ok(f) = FinalConfig::parse(text) {
        let _ = f.release_name();
        let _ = f.validate_provider();
        if let Ok(p) = &private {
            let _ = merge_options(&f.blobstore.options, p);
        }
    }
});
