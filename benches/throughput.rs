//! End-to-end throughput (text in, one JSON graph per document out, as `kgbuild --jsonl`
//! does) on one and two threads, against the limit: a plain aho-corasick `find_iter` scan
//! of the same names over the same text, in the same run.
//!
//! Two gazetteers: the bundled one, and the bundled one plus 100,000 synthetic multi-word
//! names (the text then names mostly those). The corpus comes from `kgbuild-corpus`'s
//! templates. Set `KGBUILD_BENCH_MB` for the corpus size (default 4 MB per gazetteer).
//!
//! A third group, `real-news`, runs the bundled gazetteer over the texts of the annotated
//! development sets in `../shared/eval/*_dev.jsonl` (Reuters and other real news), when that
//! folder exists: the synthetic articles name someone every few words, real news far less
//! often, and the pipeline's cost grows with what it finds.
//!
//!     cargo bench --bench throughput
//!
//! Results and the CLI-level figures (memory, scaling, merge) are in docs/performance.md.

#[path = "../src/bin/kgbuild-corpus/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::hint::black_box;
use std::time::Duration;

use aho_corasick::{AhoCorasick, MatchKind};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kgbuild::Pipeline;
use rayon::prelude::*;

/// The allocator the `kgbuild` binary uses, so that the figures are the command line's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Setup {
    name: &'static str,
    pipeline: Pipeline,
    docs: Vec<(String, String)>,
    bytes: u64,
    scan: AhoCorasick,
}

fn setup(name: &'static str, synthetic: usize, mb: f64) -> Setup {
    let mut b = kgbuild::PipelineBuilder::new();
    if synthetic > 0 {
        b.gazetteer_source("synthetic.tsv", &corpus::synthetic_gazetteer(synthetic));
    }
    let pipeline = b.build().expect("pipeline");
    let mut generator =
        corpus::Generator::new(7, corpus::Names::from_gazetteer(pipeline.gazetteer()));
    let mut docs = Vec::new();
    let mut bytes = 0u64;
    while (bytes as f64) < mb * 1e6 {
        let text = generator.article(16);
        bytes += text.len() as u64;
        docs.push((format!("doc-{}", docs.len()), text));
    }
    with_docs(name, pipeline, docs)
}

/// The texts of the development sets beside the checkout, if they are there.
fn real_news() -> Option<Setup> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with("_dev.jsonl"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable dev set");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let rec: serde_json::Value = serde_json::from_str(line).expect("JSON record");
            let text = rec["text"].as_str().expect("a text field").to_string();
            docs.push((format!("doc-{}", docs.len()), text));
        }
    }
    let pipeline = kgbuild::Pipeline::new().expect("pipeline");
    (!docs.is_empty()).then(|| with_docs("real-news", pipeline, docs))
}

fn with_docs(name: &'static str, pipeline: Pipeline, docs: Vec<(String, String)>) -> Setup {
    let bytes = docs.iter().map(|(_, t)| t.len() as u64).sum();
    let scan = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(corpus::surface_names(pipeline.gazetteer()))
        .expect("automaton");
    Setup {
        name,
        pipeline,
        docs,
        bytes,
        scan,
    }
}

/// What `kgbuild --jsonl` does per record: analyse, write the graph's JSON line.
fn end_to_end(p: &Pipeline, id: &str, text: &str) -> usize {
    let doc = kgbuild::Document::new(id, text);
    let analysis = p.analyze(&doc);
    let mut out = Vec::with_capacity((8 * doc.text.len()).min(1 << 20));
    p.json_line(&analysis, &mut out).expect("json");
    out.len()
}

fn bench(c: &mut Criterion) {
    let mb: f64 = std::env::var("KGBUILD_BENCH_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    let pools: Vec<(usize, rayon::ThreadPool)> = [1, 2]
        .into_iter()
        .map(|n| {
            (
                n,
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("pool"),
            )
        })
        .collect();
    let setups = [setup("bundled", 0, mb), setup("names-1e5", 100_000, mb)];
    for s in setups.into_iter().chain(real_news()) {
        // How much the pipeline finds: JSON written per byte of text.
        let out: usize = s
            .docs
            .iter()
            .map(|(id, t)| end_to_end(&s.pipeline, id, t))
            .sum();
        eprintln!(
            "{}: {} documents, {} bytes of text, {:.1} bytes of JSON per byte of text",
            s.name,
            s.docs.len(),
            s.bytes,
            out as f64 / s.bytes as f64
        );
        let mut group = c.benchmark_group(s.name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(8))
            .throughput(Throughput::Bytes(s.bytes));
        group.bench_function("plain-aho-corasick-scan", |b| {
            b.iter(|| {
                s.docs
                    .iter()
                    .map(|(_, t)| s.scan.find_iter(t.as_str()).count())
                    .sum::<usize>()
            })
        });
        for (n, pool) in &pools {
            group.bench_function(format!("end-to-end-{n}-thread"), |b| {
                b.iter(|| {
                    pool.install(|| {
                        s.docs
                            .par_iter()
                            .map(|(id, t)| end_to_end(&s.pipeline, id, t))
                            .sum::<usize>()
                    })
                })
            });
        }
        group.finish();
        black_box(&s.docs);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
