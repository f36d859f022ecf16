//! Images: SVG, PNG and PDF, rendered from the DOT of [`super::dot`] by Graphviz's `dot`
//! program (through graphviz-rust's `exec`), with the chosen layout engine.
//!
//! Graphviz must be installed and `dot` on the `PATH`. When it is not, the error is
//! [`ErrorKind::MissingProgram`](crate::ErrorKind::MissingProgram), whose message names the
//! package to install.

use std::io::Write;

use graphviz_rust::cmd::{CommandArg, Format as GvFormat, Layout as GvLayout};
use graphviz_rust::printer::PrinterContext;

use super::Layout;
use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// A picture format Graphviz renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageFormat {
    /// SVG; tooltips (types, evidence sentences) show on hover in a browser.
    Svg,
    /// PNG.
    Png,
    /// PDF.
    Pdf,
}

impl ImageFormat {
    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
            ImageFormat::Pdf => "pdf",
        }
    }
}

fn engine(layout: Layout) -> GvLayout {
    match layout {
        Layout::Dot => GvLayout::Dot,
        Layout::Neato => GvLayout::Neato,
        Layout::Fdp => GvLayout::Fdp,
        Layout::Sfdp => GvLayout::Sfdp,
        Layout::Circo => GvLayout::Circo,
        Layout::Twopi => GvLayout::Twopi,
    }
}

/// Renders the graph with Graphviz and writes the image.
///
/// # Errors
/// [`ErrorKind::MissingProgram`](crate::ErrorKind::MissingProgram) when `dot` is not
/// installed; [`ErrorKind::Export`](crate::ErrorKind::Export) when Graphviz fails (its
/// first line of error output); write errors.
pub fn write_image(
    graph: &KnowledgeGraph,
    format: ImageFormat,
    layout: Layout,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let dot = super::dot::to_dot_with(graph, layout);
    let gv_format = match format {
        ImageFormat::Svg => GvFormat::Svg,
        ImageFormat::Png => GvFormat::Png,
        ImageFormat::Pdf => GvFormat::Pdf,
    };
    let args = vec![
        CommandArg::Layout(engine(layout)),
        CommandArg::Format(gv_format),
    ];
    let bytes = graphviz_rust::exec(dot, &mut PrinterContext::default(), args).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::missing_program(
                "dot",
                format!("{} output", format.name()),
                "Graphviz",
                "apt-get install graphviz",
            )
        } else {
            let message = e.to_string();
            let first = message
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("failed");
            Error::export(format.name(), format!("graphviz: {first}"))
        }
    })?;
    out.write_all(&bytes)
        .map_err(|e| super::io_err(format.name(), e))
}
