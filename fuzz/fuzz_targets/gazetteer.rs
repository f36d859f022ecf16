//! The gazetteer parser on arbitrary bytes: Ok or a typed error, never a panic. When the
//! bytes parse, the matcher is compiled and run over the same text.
#![no_main]

use std::path::Path;

use kgbuild::gazetteer::{Gazetteer, Matcher};
use kgbuild::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 is the file reader's concern (a typed error); the parser gets text.
    let text = &*String::from_utf8_lossy(data);
    let mut g = Gazetteer::new();
    if g.add_source(text, Path::new("fuzz.tsv")).is_err() {
        return;
    }
    if let Ok(m) = Matcher::build(&g, |_| true) {
        let doc = Document::new("fuzz", text);
        for hit in m.find(&doc) {
            assert!(hit.start < hit.end && hit.end <= text.len());
            assert!(text.is_char_boundary(hit.start) && text.is_char_boundary(hit.end));
        }
    }
});
