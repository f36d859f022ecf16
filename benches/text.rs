//! Text-stage benchmarks: tokenising and sentence splitting ([`Document::new`]), and reading
//! dates ([`dates::date_line`], [`dates::first_date`]) on news-like articles from
//! `kgbuild-corpus`'s templates. Set `KGBUILD_BENCH_MB` for the corpus size (default 2 MB).
//!
//!     cargo bench --bench text

#[path = "../src/bin/kgbuild-corpus/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kgbuild::Document;
use kgbuild::dates;

/// The allocator the `kgbuild` binary uses, so that the figures are the command line's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn articles() -> Vec<String> {
    let mb: f64 = std::env::var("KGBUILD_BENCH_MB")
        .map(|s| s.parse().expect("KGBUILD_BENCH_MB: a number"))
        .unwrap_or(2.0);
    let pipeline = kgbuild::PipelineBuilder::new().build().expect("pipeline");
    let mut generator =
        corpus::Generator::new(7, corpus::Names::from_gazetteer(pipeline.gazetteer()));
    let mut texts = Vec::new();
    let mut bytes = 0;
    while (bytes as f64) < mb * 1e6 {
        let text = generator.article(16);
        bytes += text.len();
        texts.push(text);
    }
    texts
}

fn text_stage(c: &mut Criterion) {
    let texts = articles();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("text");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("Document::new", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(Document::new("d", t.as_str()));
            }
        })
    });
    let docs: Vec<Document> = texts
        .iter()
        .map(|t| Document::new("d", t.as_str()))
        .collect();
    group.bench_function("date_line", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(dates::date_line(d));
            }
        })
    });
    group.bench_function("first_date", |b| {
        b.iter(|| {
            for d in &docs {
                let line = dates::date_line(d);
                for s in &d.sentences {
                    black_box(dates::first_date(d, s.tokens.clone(), line.as_ref()));
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, text_stage);
criterion_main!(benches);
