//! The `kgbuild` command: parse flags, run, report errors once.

mod cli;
mod cmd_gazetteer;
mod input;
mod merge;
mod progress;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use kgbuild::KnowledgeGraph;
use kgbuild::export::{self, Format};

use crate::cli::{Cli, Command};
use crate::input::io_message;
use crate::progress::Progress;

/// mimalloc serves the pipeline's many small allocations faster than the system allocator
/// (docs/performance.md has the figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    match &cli.command {
        Some(Command::Merge(args)) => {
            let format = output_format(args.format, args.output.as_deref(), Format::Json)?;
            in_pool(args.threads, || merge::run(args, format))
        }
        Some(Command::Gazetteer(c)) => cmd_gazetteer::run(c),
        None => in_pool(cli.threads, || build(cli)),
    }
}

/// Runs `f` on a thread pool of `threads` workers (all cores when `None`).
fn in_pool<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> anyhow::Result<T> + Send,
) -> anyhow::Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")?;
    pool.install(f)
}

/// Builds a graph from articles (no subcommand).
fn build(cli: &Cli) -> anyhow::Result<ExitCode> {
    let format = if cli.jsonl {
        match cli.format {
            Some(f) => f.into(),
            None => Format::Json,
        }
    } else {
        output_format(cli.format, cli.output.as_deref(), Format::Dot)?
    };
    check_export_flags(cli, format)?;
    let options = cli.export_options();
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
    let (docs, errors) = input::expand_inputs(&cli.inputs, &cli.glob)?;
    for e in &errors {
        eprintln!("kgbuild: {e}");
    }
    let total: u64 = docs.iter().map(|p| input::input_len(p)).sum();
    let mut progress = Progress::new(total, docs.len() > 1, cli.quiet, "documents");
    let graph = input::build_graph(&pipeline, &docs, cli.lossy, &mut progress);
    progress.finish();
    let Some(graph) = graph.filter(|_| errors.is_empty()) else {
        // Never write a graph of part of the input: the user asked for all of it.
        return Ok(ExitCode::from(2));
    };
    write_graph(&graph, format, &options, cli.output.as_deref(), cli.explain)
}

/// Writes the graph (and the --explain table); the exit status says whether it is empty.
pub(crate) fn write_graph(
    graph: &KnowledgeGraph,
    format: Format,
    options: &export::ExportOptions,
    output: Option<&Path>,
    explain: bool,
) -> anyhow::Result<ExitCode> {
    let to_stdout = output.is_none();
    if explain {
        if to_stdout {
            export::explain::write_explain(graph, &mut io::stderr().lock())?;
        } else {
            export::explain::write_explain(graph, &mut io::stdout().lock())?;
        }
    }
    match output {
        Some(path) => write_atomically(path, |w| export::write_with(graph, format, options, w))?,
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            export::write_with(graph, format, options, &mut out)?;
            out.flush()?;
        }
    }
    Ok(if graph.node_count() == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The output format: `--format`, else the extension of `-o`, else `default`.
fn output_format(
    format: Option<cli::FormatArg>,
    output: Option<&Path>,
    default: Format,
) -> anyhow::Result<Format> {
    if let Some(f) = format {
        return Ok(f.into());
    }
    match output {
        None => Ok(default),
        Some(p) => Format::from_extension(p).with_context(|| {
            format!(
                "{}: unknown output extension; use .dot, .gv, .ron, .json, .graphml, .nt, .ttl, \
                 .cypher, .svg, .png or .pdf, or --format",
                p.display()
            )
        }),
    }
}

/// Rejects export flags that the chosen format would ignore, and binary images on a terminal.
fn check_export_flags(cli: &Cli, format: Format) -> anyhow::Result<()> {
    if cli.layout.is_some() && !format.uses_layout() {
        anyhow::bail!(
            "--layout applies to DOT and images (dot, svg, png, pdf), not {}",
            format.name()
        );
    }
    if cli.base_iri.is_some() && !format.uses_base_iri() {
        anyhow::bail!("--base-iri applies to RDF (nt, ttl), not {}", format.name());
    }
    if cli.output.is_none()
        && matches!(format, Format::Png | Format::Pdf)
        && io::IsTerminal::is_terminal(&io::stdout())
    {
        anyhow::bail!(
            "{} is binary; write it to a file with -o graph.{} or redirect standard output",
            format.name(),
            format.name()
        );
    }
    Ok(())
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
