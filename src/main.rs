//! The `kgbuild` command: parse flags, run, report errors once.

mod cli;
mod input;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use kgbuild::KnowledgeGraph;
use kgbuild::export::{self, Format};

use crate::cli::Cli;
use crate::input::io_message;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("kgbuild: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<kgbuild::Error>()
                .is_some_and(kgbuild::Error::is_broken_pipe)
    })
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let format = output_format(cli)?;
    let pipeline = cli.pipeline()?;
    if cli.jsonl {
        if format != Format::Json || cli.explain {
            anyhow::bail!(
                "--jsonl writes one JSON graph per line; --format {} and --explain do not apply",
                format.name()
            );
        }
        return input::run_jsonl(&pipeline, cli);
    }
    let mut graph = KnowledgeGraph::new();
    let mut failed = false;
    for path in &cli.inputs {
        match input::read_document(path, cli.lossy) {
            Ok(text) => graph.merge(pipeline.run(&input::display_id(path), &text)),
            Err(e) => {
                eprintln!("kgbuild: {e}");
                failed = true;
            }
        }
    }
    if failed {
        // Never write a graph of part of the input: the user asked for all of it.
        return Ok(ExitCode::from(2));
    }
    let to_stdout = cli.output.is_none();
    if cli.explain {
        if to_stdout {
            export::explain::write_explain(&graph, &mut io::stderr().lock())?;
        } else {
            export::explain::write_explain(&graph, &mut io::stdout().lock())?;
        }
    }
    match &cli.output {
        Some(path) => write_atomically(path, |w| export::write(&graph, format, w))?,
        None => {
            let mut out = io::stdout().lock();
            export::write(&graph, format, &mut out)?;
            out.flush()?;
        }
    }
    Ok(if graph.node_count() == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn output_format(cli: &Cli) -> anyhow::Result<Format> {
    if let Some(f) = cli.format {
        return Ok(f.into());
    }
    match &cli.output {
        None if cli.jsonl => Ok(Format::Json),
        None => Ok(Format::Dot),
        Some(_) if cli.jsonl => Ok(Format::Json),
        Some(p) => Format::from_extension(p).with_context(|| {
            format!(
                "{}: unknown output extension; use .dot, .gv, .ron or .json, or --format",
                p.display()
            )
        }),
    }
}

/// Writes through a temporary file in the destination's folder, renamed into place only
/// when everything was written: a failed run leaves no partial file and keeps an old one.
/// (A run killed mid-write can leave a `.tmp*` file beside the destination, never a
/// truncated destination.)
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), kgbuild::Error>,
) -> anyhow::Result<()> {
    let name = path.display();
    // A device or a pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written in place:
    // renaming a file over it would replace the device with a regular file.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("{name}: cannot open output: {}", io_message(&e)))?;
        let mut buf = io::BufWriter::new(&mut f);
        write(&mut buf).with_context(|| format!("{name}: cannot write output"))?;
        buf.flush()
            .map_err(|e| anyhow::anyhow!("{name}: cannot write output: {}", io_message(&e)))?;
        return Ok(());
    }
    // A symbolic link keeps pointing where it did: the file it names is replaced.
    let resolved;
    let path = match std::fs::canonicalize(path) {
        Ok(p) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            resolved = p;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = temp_file_in(dir).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::NotFound => format!("folder {} does not exist", dir.display()),
            _ => io_message(&e),
        };
        anyhow::anyhow!("{name}: cannot create output: {why}")
    })?;
    {
        let mut buf = io::BufWriter::new(tmp.as_file_mut());
        write(&mut buf).with_context(|| format!("{name}: cannot write output"))?;
        buf.flush()
            .map_err(|e| anyhow::anyhow!("{name}: cannot write output: {}", io_message(&e)))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| anyhow::anyhow!("{name}: cannot write output: {}", io_message(&e)))?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("{name}: cannot write output: {}", io_message(&e.error)))?;
    Ok(())
}

/// A temporary file that gets the permissions a plain `File::create` would (0666 less the
/// umask) rather than tempfile's private 0600, since it becomes the output.
fn temp_file_in(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}
