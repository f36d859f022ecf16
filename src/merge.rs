//! `kgbuild merge`: reads graphs that kgbuild wrote (JSON, JSON Lines, RON) and merges
//! them into one, in the order given.
//!
//! Files are parsed in parallel, a chunk at a time, and merged in input order, so the
//! result does not depend on the number of threads and memory holds one chunk of parsed
//! graphs besides the merged graph.

use std::io::{BufReader, Read};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kgbuild::KnowledgeGraph;
use kgbuild::export::Format;
use rayon::prelude::*;

use crate::cli::MergeArgs;
use crate::progress::Progress;

/// Files parsed in parallel before their graphs are merged.
const CHUNK: usize = 256;

/// Runs `kgbuild merge`.
pub fn run(args: &MergeArgs, format: Format) -> anyhow::Result<ExitCode> {
    let total: u64 = args.inputs.iter().map(|p| crate::input::input_len(p)).sum();
    let mut progress = Progress::new(total, args.inputs.len() > 1, args.quiet, "files");
    let mut merged = KnowledgeGraph::new();
    let mut failed = false;
    for chunk in args.inputs.chunks(CHUNK) {
        let parsed: Vec<(u64, anyhow::Result<Vec<KnowledgeGraph>>)> = chunk
            .par_iter()
            .map(|p| (crate::input::input_len(p), read_graphs(p)))
            .collect();
        for (bytes, r) in parsed {
            progress.add(1, bytes);
            match r {
                Ok(graphs) if !failed => graphs.into_iter().for_each(|g| merged.merge(g)),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("kgbuild: {e:#}");
                    failed = true;
                }
            }
        }
    }
    progress.finish();
    if failed {
        return Ok(ExitCode::from(2));
    }
    crate::write_graph(
        &merged,
        format,
        &kgbuild::export::ExportOptions::default(),
        args.output.as_deref(),
        false,
    )
}

/// Reads every graph in one file: RON (by the `.ron` extension or a leading `(`), else a
/// stream of JSON graphs (one pretty-printed graph, or JSON Lines).
pub fn read_graphs(path: &Path) -> anyhow::Result<Vec<KnowledgeGraph>> {
    let name = path.display();
    let mut reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        if path.is_dir() {
            anyhow::bail!("{name}: is a folder; give the graph files inside it");
        }
        let f = std::fs::File::open(path).map_err(|e| {
            anyhow::anyhow!(
                "{name}: {}",
                match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    _ => e.to_string(),
                }
            )
        })?;
        Box::new(BufReader::with_capacity(1 << 16, f))
    };
    let is_ron_ext = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ron"));
    if is_ron_ext {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .with_context(|| format!("{name}: cannot read"))?;
        return read_ron(&text, path);
    }
    // Peek at the first non-blank byte to tell RON from JSON without reading it all.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        let n = reader
            .read(&mut byte)
            .with_context(|| format!("{name}: cannot read"))?;
        if n == 0 {
            break;
        }
        head.push(byte[0]);
        if !byte[0].is_ascii_whitespace() {
            break;
        }
    }
    let first = head.last().copied().filter(|b| !b.is_ascii_whitespace());
    let reader = std::io::Cursor::new(head).chain(reader);
    match first {
        // An empty file is an empty JSON Lines file (a Spark partition without records).
        None => Ok(Vec::new()),
        Some(b'(') => {
            let mut text = String::new();
            BufReader::new(reader)
                .read_to_string(&mut text)
                .with_context(|| format!("{name}: cannot read"))?;
            read_ron(&text, path)
        }
        Some(_) => {
            let mut graphs = Vec::new();
            let stream = serde_json::Deserializer::from_reader(BufReader::new(reader))
                .into_iter::<KnowledgeGraph>();
            for g in stream {
                let g = g.map_err(|e| {
                    anyhow::anyhow!(
                        "{name}:{}:{}: not a kgbuild graph: {}",
                        e.line(),
                        e.column(),
                        strip_position(&e.to_string())
                    )
                })?;
                graphs.push(g);
            }
            Ok(graphs)
        }
    }
}

fn read_ron(text: &str, path: &Path) -> anyhow::Result<Vec<KnowledgeGraph>> {
    let g: KnowledgeGraph = ron::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a kgbuild graph: {}",
            path.display(),
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })?;
    Ok(vec![g])
}

/// serde_json's message without its trailing " at line L column C" (we put it in front).
fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}
