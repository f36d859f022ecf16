//! Writes a synthetic gazetteer of N multi-word names (the one `cargo bench --bench
//! matcher` uses) to standard output, and with `--text` about 1 MiB of news-like text that
//! names them, for the load-time and memory figures of docs/performance.md:
//!
//!     cargo run --release --example synth_gazetteer -- 1000000 > /tmp/synth.tsv
//!
//! With `--plain-build` it writes nothing and instead times the reference the first load of
//! a user gazetteer is compared with: a plain aho-corasick build (leftmost-longest,
//! contiguous NFA) over the same surface forms (each name as written and in capitals).

#[path = "../benches/synth/mod.rs"]
mod synth;

use std::io::Write;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: synth_gazetteer N [--text | --plain-build]");
    let names = synth::names(n);
    let out = match args.next().as_deref() {
        Some("--text") => synth::text(&names, 1 << 20),
        Some("--plain-build") => {
            let forms: Vec<String> = names
                .iter()
                .flat_map(|n| [n.clone(), n.to_uppercase()])
                .collect();
            let start = std::time::Instant::now();
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&forms)
                .expect("forms compile");
            let took = start.elapsed();
            eprintln!(
                "plain aho-corasick build, {} forms: {:.2} s ({} MB heap)",
                forms.len(),
                took.as_secs_f64(),
                ac.memory_usage() >> 20
            );
            return;
        }
        _ => synth::tsv(&names),
    };
    std::io::stdout().lock().write_all(out.as_bytes()).unwrap();
}
