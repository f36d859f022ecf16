//! The rule parser and compiler on arbitrary bytes: Ok or a typed error, never a panic.
#![no_main]

use std::path::Path;

use kgbuild::Gazetteer;
use kgbuild::rules::RuleSources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 is the file reader's concern (a typed error); the parser gets text.
    let text = &*String::from_utf8_lossy(data);
    let mut sources = RuleSources::new();
    if sources.add_source(text, Path::new("fuzz.ron")).is_ok() {
        let _ = sources.compile(Gazetteer::bundled());
    }
});
