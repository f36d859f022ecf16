//! The `kgbuild` command: parse flags, run, report errors once.

mod cli;
mod cmd_gazetteer;
mod input;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use kgbuild::KnowledgeGraph;
use kgbuild::export::{self, Format};

use crate::cli::Cli;

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
    if let Some(command) = &cli.command {
        return match command {
            cli::Command::Gazetteer(c) => cmd_gazetteer::run(c),
        };
    }
    let format = output_format(cli)?;
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
    let mut graph = KnowledgeGraph::new();
    let mut failed = false;
    for path in &cli.inputs {
        match input::read_document(path) {
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
        Some(path) => write_atomically(path, |w| export::write_with(&graph, format, &options, w))?,
        None => {
            let mut out = io::stdout().lock();
            export::write_with(&graph, format, &options, &mut out)?;
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
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), kgbuild::Error>,
) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create output", path.display()))?;
    {
        let mut buf = io::BufWriter::new(tmp.as_file_mut());
        write(&mut buf)?;
        buf.flush()
            .with_context(|| format!("{}: cannot write output", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("{}: cannot write output", path.display()))?;
    Ok(())
}
