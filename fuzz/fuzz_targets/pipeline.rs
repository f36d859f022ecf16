//! The whole pipeline on arbitrary bytes: read as the command line does with `--lossy`
//! (invalid UTF-8 becomes U+FFFD), run the bundled pipeline, write every export format.
#![no_main]

use std::sync::OnceLock;

use kgbuild::Pipeline;
use kgbuild::export::{self, Format};
use libfuzzer_sys::fuzz_target;

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| Pipeline::new().expect("bundled pipeline builds"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let graph = pipeline().run("fuzz", &text);
    for format in [Format::Dot, Format::Ron, Format::Json] {
        let mut out = Vec::new();
        export::write(&graph, format, &mut out).expect("writing to memory succeeds");
    }
});
