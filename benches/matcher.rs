//! Matcher benchmarks (docs/performance.md): build time and scan throughput of the
//! gazetteer matcher, both engines, against a plain aho-corasick `find_iter` over the same
//! text and the same surface forms, on synthetic gazetteers of 10^4, 10^5 and 10^6 names.
//!
//!     cargo bench --bench matcher
//!     KGBUILD_BENCH_SIZES=10000,100000 cargo bench --bench matcher -- scan

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use aho_corasick::{AhoCorasick, MatchKind};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kgbuild::Gazetteer;
use kgbuild::MatcherEngine;
use kgbuild::gazetteer::Matcher;
use kgbuild::text::Document;

#[path = "synth/mod.rs"]
mod synth;

fn sizes() -> Vec<usize> {
    std::env::var("KGBUILD_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("KGBUILD_BENCH_SIZES: numbers"))
        .collect()
}

fn gazetteer(names: &[String]) -> Gazetteer {
    let mut g = Gazetteer::new();
    g.add_source(&synth::tsv(names), Path::new("synth.tsv"))
        .unwrap();
    g
}

/// The surface forms the matcher compiles for these names: as written and in capitals.
fn surfaces(names: &[String]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| [n.clone(), n.to_uppercase()])
        .collect()
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for n in sizes() {
        let names = synth::names(n);
        let g = gazetteer(&names);
        let forms = surfaces(&names);
        group.bench_with_input(BenchmarkId::new("plain-aho-corasick", n), &forms, |b, f| {
            b.iter(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(f)
                    .unwrap()
            })
        });
        for (label, engine) in [
            ("matcher-aho-corasick", MatcherEngine::AhoCorasick),
            ("matcher-token-map", MatcherEngine::TokenMap),
        ] {
            group.bench_with_input(BenchmarkId::new(label, n), &g, |b, g| {
                b.iter(|| Matcher::build_with(g, |_| true, engine).unwrap())
            });
        }
        group.bench_with_input(BenchmarkId::new("parse-tsv", n), &names, |b, names| {
            let text = synth::tsv(names);
            b.iter(|| {
                let mut g = Gazetteer::new();
                g.add_source(&text, Path::new("synth.tsv")).unwrap();
                g
            })
        });
    }
    group.finish();
}

fn scan(c: &mut Criterion) {
    let mut group = c.benchmark_group("scan");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for n in sizes() {
        let names = synth::names(n);
        let text = synth::text(&names, 1 << 20);
        let doc = Document::new("bench", text.as_str());
        let g = gazetteer(&names);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let plain = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(surfaces(&names))
            .unwrap();
        group.bench_with_input(BenchmarkId::new("plain-aho-corasick", n), &text, |b, t| {
            b.iter(|| plain.find_iter(t.as_str()).count())
        });
        for (label, engine) in [
            ("matcher-aho-corasick", MatcherEngine::AhoCorasick),
            ("matcher-token-map", MatcherEngine::TokenMap),
        ] {
            let m = Matcher::build_with(&g, |_| true, engine).unwrap();
            group.bench_with_input(BenchmarkId::new(label, n), &doc, |b, d| {
                b.iter(|| black_box(m.find(d)).len())
            });
        }
        group.bench_with_input(BenchmarkId::new("tokenize", n), &text, |b, t| {
            b.iter(|| Document::new("bench", t.as_str()).tokens.len())
        });
    }
    group.finish();
}

criterion_group!(benches, build, scan);
criterion_main!(benches);
