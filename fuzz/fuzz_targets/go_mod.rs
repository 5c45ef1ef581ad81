//! go.mod: any text either parses or is refused with an error, in the main-module (strict) and the
//! dependency (lax) reading; a file the strict reading accepts the lax one accepts too, with the
//! same module path and requirements.
#![no_main]

use currency::gomod::modfile::{escape_module_path, escape_version, parse, parse_lax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lax = parse_lax(text);
    if let Ok(m) = &lax {
        for r in &m.requires {
            let _ = m.retracted(&r.version);
            let _ = escape_module_path(&r.path);
            let _ = escape_version(&r.version);
        }
        for r in &m.retracts {
            let _ = m.retracted(&r.low);
            let _ = m.retracted(&r.high);
        }
    }
    let Ok(strict) = parse(text) else {
        return;
    };
    assert!(
        !strict.module.is_empty(),
        "a main module's go.mod names its module"
    );
    let lax = match lax {
        Ok(m) => m,
        Err(e) => panic!("strict reading accepts, lax refuses: {e}"),
    };
    assert_eq!(lax.module, strict.module);
    assert_eq!(lax.requires, strict.requires);
    assert_eq!(lax.retracts, strict.retracts);
});
