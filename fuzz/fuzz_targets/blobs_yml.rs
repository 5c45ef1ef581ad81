//! `config/blobs.yml`: any text either parses or is refused with an error, and what parses writes
//! back (bosh-cli's form) as a file that reads back to the same entries and writes the same bytes.
#![no_main]

use currency::release::blobs::BlobsFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = BlobsFile::parse(text) else {
        return;
    };
    for entry in file.entries.values() {
        let _ = entry.strongest_digest();
    }
    let written = file.to_bosh_yaml();
    let reread = match BlobsFile::parse(&written) {
        Ok(f) => f,
        Err(e) => panic!("the written file does not parse ({e}):\n{written}"),
    };
    assert_eq!(reread.entries, file.entries, "written:\n{written}");
    assert_eq!(reread.to_bosh_yaml(), written, "writing is not stable");
});
