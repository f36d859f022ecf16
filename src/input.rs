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

/// Reads one article: UTF-8, no NUL byte, not empty, not a folder.
///
/// With `lossy`, invalid UTF-8 becomes U+FFFD and a NUL byte becomes a space instead of
/// being an error.
pub fn read_document(path: &Path, lossy: bool) -> anyhow::Result<String> {
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
    let text = decode(bytes, lossy).map_err(|e| anyhow::anyhow!("{name}:{e}"))?;
    if text.trim().is_empty() {
        anyhow::bail!("{name}: file is empty");
    }
    Ok(text)
}

/// Bytes to text, or why not, with the place.
///
/// A NUL byte is refused: text files do not hold one, and it usually means a binary file or
/// UTF-16. With `lossy`, invalid UTF-8 becomes U+FFFD (so later byte offsets refer to the
/// replaced text) and NUL becomes a space (offsets unchanged).
fn decode(bytes: Vec<u8>, lossy: bool) -> Result<String, DecodeError> {
    let mut text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if lossy => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let (line, col) = line_col(&e.as_bytes()[..at]);
            return Err(DecodeError {
                line,
                col,
                message: format!(
                    "not valid UTF-8 (byte offset {at}); --lossy replaces invalid bytes"
                ),
            });
        }
    };
    if let Some(at) = text.bytes().position(|b| b == 0) {
        if !lossy {
            let (line, col) = line_col(&text.as_bytes()[..at]);
            return Err(DecodeError {
                line,
                col,
                message: format!(
                    "NUL byte (byte offset {at}); not a text file? --lossy reads it as a space"
                ),
            });
        }
        text = text.replace('\0', " ");
    }
    Ok(text)
}

/// A decoding failure: 1-based line and column (in characters), and what is wrong.
struct DecodeError {
    line: usize,
    col: usize,
    message: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// Line and column (1-based, column in characters) just after `before`, which is valid
/// UTF-8.
fn line_col(before: &[u8]) -> (usize, usize) {
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// Short lowercase wording for an I/O failure, without the OS error number.
pub fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file".to_string(),
        K::PermissionDenied => "permission denied".to_string(),
        K::NotADirectory => "a parent is not a folder".to_string(),
        K::IsADirectory => "is a folder".to_string(),
        K::ReadOnlyFilesystem => "read-only file system".to_string(),
        K::StorageFull => "no space left on device".to_string(),
        K::FileTooLarge => "file too large".to_string(),
        _ => {
            let s = e.to_string();
            let s = match s.find(" (os error") {
                Some(i) => &s[..i],
                None => &s,
            };
            let mut cs = s.chars();
            match cs.next() {
                Some(c) => c.to_lowercase().chain(cs).collect(),
                None => String::new(),
            }
        }
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
            for (n, line) in reader.split(b'\n').enumerate() {
                let line = line.map_err(|e| jsonl_err(path, n + 1, &e.to_string()))?;
                let line = decode(line, cli.lossy).map_err(|e| {
                    // Within one line: name the record's line and the column in it.
                    let at = PathBuf::from(format!("{}:{}:{}", path.display(), n + 1, e.col));
                    kgbuild::Error::from(kgbuild::ErrorKind::Input {
                        path: at,
                        message: e.message,
                    })
                })?;
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
