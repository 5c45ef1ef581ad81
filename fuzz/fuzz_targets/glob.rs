//! bosh-cli's `files` globs: any pattern against any path answers (a malformed pattern matches
//! nothing) without panicking or blowing up. Input: the pattern, a line feed, the path.
#![no_main]

use currency::release::spec::glob_matches;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, path) = text.split_once('\n').unwrap_or((text, ""));
    let _ = glob_matches(pattern, path);
    // A pattern without any special character matches exactly itself.
    if !pattern.contains(['*', '?', '[', '{', '}', '\\']) {
        assert!(glob_matches(pattern, pattern));
    }
});
