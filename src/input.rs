//! Reading input documents, with one-line errors that name the file.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use kgbuild::export;

use crate::cli::Cli;

/// The document id for a path: as given, `-` for standard input.
pub fn display_id(path: &Path) -> String {
    path.display().to_string()
}

/// Reads one article: UTF-8, not empty, not a folder.
pub fn read_document(path: &Path) -> anyhow::Result<String> {
    let name = path.display();
    let bytes = if path == Path::new("-") {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .with_context(|| format!("{name}: cannot read standard input"))?;
        b
    } else {
        if path.is_dir() {
            anyhow::bail!("{name}: is a folder; give the article files inside it");
        }
        std::fs::read(path).map_err(|e| anyhow::anyhow!("{name}: {}", io_message(&e)))?
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        anyhow::anyhow!("{name}:{line}:{col}: not valid UTF-8 (byte offset {at})")
    })?;
    if text.trim().is_empty() {
        anyhow::bail!("{name}: file is empty");
    }
    Ok(text)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[derive(serde::Deserialize)]
struct Record {
    id: serde_json::Value,
    text: String,
}

/// `--jsonl`: one graph per input line, in input order, streamed.
pub fn run_jsonl(pipeline: &kgbuild::Pipeline, cli: &Cli) -> anyhow::Result<ExitCode> {
    let process = |out: &mut dyn std::io::Write| -> Result<(), kgbuild::Error> {
        for path in &cli.inputs {
            let reader: Box<dyn BufRead> = if path == Path::new("-") {
                Box::new(std::io::stdin().lock())
            } else {
                let f =
                    std::fs::File::open(path).map_err(|e| jsonl_err(path, 0, &io_message(&e)))?;
                Box::new(std::io::BufReader::new(f))
            };
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(|e| jsonl_err(path, n + 1, &e.to_string()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let rec: Record = serde_json::from_str(&line)
                    .map_err(|e| jsonl_err(path, n + 1, &format!("bad record: {e}")))?;
                let id = match rec.id {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                let graph = pipeline.run(&id, &rec.text);
                export::json::write_json_line(&graph, out)?;
            }
        }
        Ok(())
    };
    match &cli.output {
        Some(path) => crate::write_atomically(path, process)?,
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            process(&mut out)?;
            std::io::Write::flush(&mut out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn jsonl_err(path: &Path, line: usize, msg: &str) -> kgbuild::Error {
    let p: PathBuf = if line > 0 {
        PathBuf::from(format!("{}:{line}", path.display()))
    } else {
        path.to_path_buf()
    };
    kgbuild::Error::from(kgbuild::ErrorKind::Input {
        path: p,
        message: msg.to_string(),
    })
}
