//! Reading input documents, with one-line errors that name the file.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use kgbuild::KnowledgeGraph;
use rayon::prelude::*;

use crate::cli::Cli;
use crate::progress::Progress;

/// The document id for a path: as given, `-` for standard input.
pub fn display_id(path: &Path) -> String {
    path.display().to_string()
}

/// Expands the inputs: a folder becomes the files below it that match `glob`, in sorted
/// order; files and `-` stay as given. Returns the documents and one message per input
/// that cannot be expanded (a missing path, a folder without matching files).
pub fn expand_inputs(
    inputs: &[PathBuf],
    glob: &str,
) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let matcher = globset::GlobBuilder::new(glob)
        .literal_separator(false)
        .build()
        .with_context(|| format!("--glob {glob}: bad pattern"))?
        .compile_matcher();
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for path in inputs {
        if path != Path::new("-") && path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk(path, path, &matcher, &mut found) {
                errors.push(e);
                continue;
            }
            if found.is_empty() {
                errors.push(format!(
                    "{}: folder has no file that matches `{glob}`",
                    path.display()
                ));
            }
            found.sort();
            docs.extend(found);
        } else {
            docs.push(path.clone());
        }
    }
    Ok((docs, errors))
}

/// Collects the files below `dir` whose path relative to `root` matches. Symbolic links
/// to files are read; links to folders are not followed (no cycles).
fn walk(
    root: &Path,
    dir: &Path,
    matcher: &globset::GlobMatcher,
    out: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let read =
        std::fs::read_dir(dir).map_err(|e| format!("{}: {}", dir.display(), io_message(&e)))?;
    for entry in read {
        let entry = entry.map_err(|e| format!("{}: {}", dir.display(), io_message(&e)))?;
        let p = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| format!("{}: {}", p.display(), io_message(&e)))?;
        if ft.is_dir() {
            walk(root, &p, matcher, out)?;
        } else if (ft.is_file() || (ft.is_symlink() && p.is_file()))
            && matcher.is_match(p.strip_prefix(root).unwrap_or(&p))
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The size of an input in bytes, when known (not for standard input).
pub fn input_len(path: &Path) -> u64 {
    if path == Path::new("-") {
        return 0;
    }
    std::fs::metadata(path).map_or(0, |m| m.len())
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

/// Builds one graph from all the articles: read and analysed in parallel, `chunk`
/// documents at a time, merged in input order (so the result does not depend on the
/// number of threads). Every bad input is reported on standard error; then the result is
/// `None`.
pub fn build_graph(
    pipeline: &kgbuild::Pipeline,
    docs: &[PathBuf],
    lossy: bool,
    progress: &mut Progress,
) -> Option<KnowledgeGraph> {
    const CHUNK: usize = 256;
    let mut graph = KnowledgeGraph::new();
    let mut failed = false;
    for chunk in docs.chunks(CHUNK) {
        let results: Vec<(u64, anyhow::Result<KnowledgeGraph>)> = chunk
            .par_iter()
            .map(|path| match read_document(path, lossy) {
                Ok(text) => (
                    text.len() as u64,
                    Ok(pipeline.run(&display_id(path), &text)),
                ),
                Err(e) => (0, Err(e)),
            })
            .collect();
        for (bytes, r) in results {
            progress.add(1, bytes);
            match r {
                Ok(g) if !failed => graph.merge(g),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("kgbuild: {e:#}");
                    failed = true;
                }
            }
        }
    }
    (!failed).then_some(graph)
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
            let (line, col) = kgbuild::text::line_col(&e.as_bytes()[..at]);
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
            let (line, col) = kgbuild::text::line_col(&text.as_bytes()[..at]);
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

/// Records read before a chunk is processed: at most this many, or this many bytes.
const JSONL_CHUNK_RECORDS: usize = 1000;
const JSONL_CHUNK_BYTES: usize = 16 << 20;

/// `--jsonl`: one graph per input line, in input order, streamed: lines are read a chunk at
/// a time, the chunk's records are analysed in parallel, their lines written in order, and
/// the next chunk read; memory stays bounded by a chunk, whatever the input's size.
pub fn run_jsonl(pipeline: &kgbuild::Pipeline, cli: &Cli) -> anyhow::Result<ExitCode> {
    let total: u64 = cli.inputs.iter().map(|p| input_len(p)).sum();
    let mut progress = Progress::new(total, true, cli.quiet, "records");
    let mut process = |out: &mut dyn std::io::Write| -> Result<(), kgbuild::Error> {
        for path in &cli.inputs {
            let mut reader: Box<dyn BufRead + Send> = if path == Path::new("-") {
                Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin()))
            } else {
                let f =
                    std::fs::File::open(path).map_err(|e| jsonl_err(path, 0, &io_message(&e)))?;
                Box::new(std::io::BufReader::with_capacity(1 << 20, f))
            };
            // Reading and checking the lines is serial work: a thread of its own does it for
            // the next chunk while the pool analyses this one, so that it does not hold the
            // pool up between chunks.
            std::thread::scope(|scope| {
                let (chunks, received) = std::sync::mpsc::sync_channel(1);
                scope.spawn(move || {
                    let mut line_no = 0;
                    loop {
                        let chunk = read_chunk(&mut reader, path, &mut line_no, cli.lossy);
                        let last = chunk.as_ref().map_or(true, Chunk::is_end);
                        // A closed channel means the consumer stopped at an error.
                        if chunks.send(chunk).is_err() || last {
                            break;
                        }
                    }
                });
                for chunk in received {
                    let chunk = chunk?;
                    if chunk.is_end() {
                        break;
                    }
                    let outputs: Vec<JsonLine> = chunk
                        .lines
                        .par_iter()
                        .map(|(n, line)| analyse_record(pipeline, path, *n, line))
                        .collect();
                    progress.add(outputs.len() as u64, chunk.bytes as u64);
                    write_lines(out, outputs)?;
                }
                Ok::<(), kgbuild::Error>(())
            })?;
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
    progress.finish();
    Ok(ExitCode::SUCCESS)
}

/// One record's JSON line, or why it has none.
type JsonLine = Result<Vec<u8>, kgbuild::Error>;

/// Up to [`JSONL_CHUNK_RECORDS`] non-blank lines with their line numbers, and the bytes read.
struct Chunk {
    lines: Vec<(usize, String)>,
    bytes: usize,
}

impl Chunk {
    /// Whether the input was over before this chunk (no line read at all).
    fn is_end(&self) -> bool {
        self.lines.is_empty() && self.bytes == 0
    }
}

/// Reads the next chunk of lines; an empty chunk with no bytes means the input is done.
fn read_chunk(
    reader: &mut dyn BufRead,
    path: &Path,
    line_no: &mut usize,
    lossy: bool,
) -> Result<Chunk, kgbuild::Error> {
    let mut chunk = Chunk {
        lines: Vec::new(),
        bytes: 0,
    };
    while chunk.lines.len() < JSONL_CHUNK_RECORDS && chunk.bytes < JSONL_CHUNK_BYTES {
        let mut raw = Vec::new();
        let n = reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| jsonl_err(path, *line_no + 1, &e.to_string()))?;
        if n == 0 {
            break;
        }
        *line_no += 1;
        chunk.bytes += n;
        let line = decode(raw, lossy).map_err(|e| {
            // Within one line: name the record's line and the column in it.
            let at = PathBuf::from(format!("{}:{}:{}", path.display(), line_no, e.col));
            kgbuild::Error::from(kgbuild::ErrorKind::Input {
                path: at,
                message: e.message,
            })
        })?;
        if !line.trim().is_empty() {
            chunk.lines.push((*line_no, line));
        }
    }
    Ok(chunk)
}

/// Parses one record and writes its graph as one JSON line.
fn analyse_record(pipeline: &kgbuild::Pipeline, path: &Path, n: usize, line: &str) -> JsonLine {
    let rec: Record =
        serde_json::from_str(line).map_err(|e| jsonl_err(path, n, &format!("bad record: {e}")))?;
    let id = match rec.id {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    // `Pipeline::run` without copying the text.
    let doc = kgbuild::Document::new(id, rec.text);
    let analysis = pipeline.analyze(&doc);
    let mut buf = Vec::with_capacity((8 * doc.text.len()).min(1 << 20));
    // The line straight from the analysis, without building the graph.
    pipeline.json_line(&analysis, &mut buf)?;
    Ok(buf)
}

/// Writes the lines in order, stopping at the first record that has an error.
fn write_lines(out: &mut dyn std::io::Write, lines: Vec<JsonLine>) -> Result<(), kgbuild::Error> {
    for line in lines {
        out.write_all(&line?).map_err(|e| {
            kgbuild::Error::from(kgbuild::ErrorKind::Io {
                path: PathBuf::from("json output"),
                source: e,
            })
        })?;
    }
    Ok(())
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
