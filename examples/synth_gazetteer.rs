//! Writes a synthetic gazetteer of N multi-word names (the one `cargo bench --bench
//! matcher` uses) to standard output, and with `--text` about 1 MiB of news-like text that
//! names them, for the load-time and memory figures of docs/performance.md:
//!
//!     cargo run --release --example synth_gazetteer -- 1000000 > /tmp/synth.tsv

#[path = "../benches/synth/mod.rs"]
mod synth;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: synth_gazetteer N [--text]");
    let names = synth::names(n);
    let out = if args.next().as_deref() == Some("--text") {
        synth::text(&names, 1 << 20)
    } else {
        synth::tsv(&names)
    };
    std::io::stdout().lock().write_all(out.as_bytes()).unwrap();
}
