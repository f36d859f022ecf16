//! Exporters: one file per format, each a `write_*(&KnowledgeGraph, ..., impl Write)`.
//!
//! | format | module | for |
//! | --- | --- | --- |
//! | [`Format::Dot`] | [`dot`] | Graphviz |
//! | [`Format::Svg`], [`Format::Png`], [`Format::Pdf`] | [`image`] | pictures, rendered by Graphviz `dot` |
//! | [`Format::Json`] | [`json`] | networkx node-link JSON |
//! | [`Format::Ron`] | [`ron`] | Rust programs (`ron::from_str::<KnowledgeGraph>`) |
//! | [`Format::GraphMl`] | [`graphml`] | networkx `read_graphml`, Gephi, yEd |
//! | [`Format::NTriples`], [`Format::Turtle`] | [`rdf`] | triple stores, SPARQL |
//! | [`Format::Cypher`] | [`cypher`] | Neo4j (`cypher-shell -f`) |
//!
//! Output is deterministic: nodes and edges in graph order. Each text format escapes user
//! text (names, sentences, ids) in exactly one helper of its module; no name can break the
//! syntax of any format.

pub mod cypher;
pub mod dot;
pub mod explain;
pub mod graphml;
pub mod image;
pub mod json;
pub mod rdf;
pub mod ron;

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Graphviz DOT.
    Dot,
    /// RON, loadable as [`KnowledgeGraph`].
    Ron,
    /// networkx node-link JSON.
    Json,
    /// GraphML with typed `<key>` declarations (networkx, Gephi).
    GraphMl,
    /// RDF as N-Triples.
    NTriples,
    /// RDF as Turtle.
    Turtle,
    /// A Cypher script of `MERGE` statements for Neo4j.
    Cypher,
    /// SVG, rendered by Graphviz `dot`.
    Svg,
    /// PNG, rendered by Graphviz `dot`.
    Png,
    /// PDF, rendered by Graphviz `dot`.
    Pdf,
}

impl Format {
    /// Every format, in the order the documentation lists them.
    pub const ALL: &'static [Format] = &[
        Format::Dot,
        Format::Ron,
        Format::Json,
        Format::GraphMl,
        Format::NTriples,
        Format::Turtle,
        Format::Cypher,
        Format::Svg,
        Format::Png,
        Format::Pdf,
    ];

    /// The format for a file name's extension, in any case: `.dot`/`.gv`, `.ron`, `.json`,
    /// `.graphml`, `.nt`, `.ttl`, `.cypher`, `.svg`, `.png`, `.pdf`.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "dot" | "gv" => Format::Dot,
            "ron" => Format::Ron,
            "json" => Format::Json,
            "graphml" => Format::GraphMl,
            "nt" => Format::NTriples,
            "ttl" => Format::Turtle,
            "cypher" => Format::Cypher,
            "svg" => Format::Svg,
            "png" => Format::Png,
            "pdf" => Format::Pdf,
            _ => return None,
        })
    }

    /// The format's name (as `--format` takes it).
    pub fn name(self) -> &'static str {
        match self {
            Format::Dot => "dot",
            Format::Ron => "ron",
            Format::Json => "json",
            Format::GraphMl => "graphml",
            Format::NTriples => "nt",
            Format::Turtle => "ttl",
            Format::Cypher => "cypher",
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
        }
    }

    /// Whether the format is a picture rendered by Graphviz (binary for PNG and PDF).
    pub fn is_image(self) -> bool {
        matches!(self, Format::Svg | Format::Png | Format::Pdf)
    }

    /// Whether the format uses [`ExportOptions::layout`] (DOT and the images).
    pub fn uses_layout(self) -> bool {
        self == Format::Dot || self.is_image()
    }

    /// Whether the format uses [`ExportOptions::base_iri`] (the RDF formats).
    pub fn uses_base_iri(self) -> bool {
        matches!(self, Format::NTriples | Format::Turtle)
    }
}

/// A Graphviz layout engine: the `layout` attribute of the DOT graph, and the engine that
/// renders images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// Layered, left to right (the default; best for a few dozen nodes).
    #[default]
    Dot,
    /// Spring model.
    Neato,
    /// Force-directed.
    Fdp,
    /// Force-directed, for large graphs.
    Sfdp,
    /// Circular.
    Circo,
    /// Radial.
    Twopi,
}

impl Layout {
    /// The engine's name, as Graphviz spells it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Dot => "dot",
            Layout::Neato => "neato",
            Layout::Fdp => "fdp",
            Layout::Sfdp => "sfdp",
            Layout::Circo => "circo",
            Layout::Twopi => "twopi",
        }
    }
}

/// Options for the exporters that have any; every other format ignores them.
///
/// ```
/// use kgbuild::export::{ExportOptions, Layout};
/// let mut options = ExportOptions::new();
/// options.layout(Layout::Neato).base_iri("https://data.example.org/kg/");
/// assert_eq!(options.get_base_iri(), "https://data.example.org/kg/");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    layout: Layout,
    base_iri: String,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            layout: Layout::default(),
            base_iri: rdf::DEFAULT_BASE_IRI.to_string(),
        }
    }
}

impl ExportOptions {
    /// The defaults: [`Layout::Dot`], base IRI [`rdf::DEFAULT_BASE_IRI`].
    pub fn new() -> ExportOptions {
        ExportOptions::default()
    }

    /// The Graphviz layout engine, for DOT and images.
    pub fn layout(&mut self, layout: Layout) -> &mut ExportOptions {
        self.layout = layout;
        self
    }

    /// The base IRI of entity IRIs, for N-Triples and Turtle. It is checked when the RDF is
    /// written (see [`rdf::check_base_iri`]).
    pub fn base_iri(&mut self, iri: impl Into<String>) -> &mut ExportOptions {
        self.base_iri = iri.into();
        self
    }

    /// The layout engine set.
    pub fn get_layout(&self) -> Layout {
        self.layout
    }

    /// The base IRI set.
    pub fn get_base_iri(&self) -> &str {
        &self.base_iri
    }
}

/// Writes `graph` in `format` with the default options.
///
/// # Errors
/// Write errors, or a serialiser's error; for images, a missing Graphviz
/// ([`ErrorKind::MissingProgram`](crate::ErrorKind::MissingProgram)).
pub fn write(graph: &KnowledgeGraph, format: Format, out: &mut dyn Write) -> Result<(), Error> {
    write_with(graph, format, &ExportOptions::default(), out)
}

/// Writes `graph` in `format` with `options`.
///
/// # Errors
/// As [`write()`]; also a base IRI that [`rdf::check_base_iri`] rejects.
pub fn write_with(
    graph: &KnowledgeGraph,
    format: Format,
    options: &ExportOptions,
    out: &mut dyn Write,
) -> Result<(), Error> {
    match format {
        Format::Dot => dot::write_dot_with(graph, options.layout, out),
        Format::Ron => ron::write_ron(graph, out),
        Format::Json => json::write_json(graph, out),
        Format::GraphMl => graphml::write_graphml(graph, out),
        Format::NTriples => rdf::write_ntriples(graph, &options.base_iri, out),
        Format::Turtle => rdf::write_turtle(graph, &options.base_iri, out),
        Format::Cypher => cypher::write_cypher(graph, out),
        Format::Svg => image::write_image(graph, image::ImageFormat::Svg, options.layout, out),
        Format::Png => image::write_image(graph, image::ImageFormat::Png, options.layout, out),
        Format::Pdf => image::write_image(graph, image::ImageFormat::Pdf, options.layout, out),
    }
}

/// Whether a predicate is undirected. The graph does not carry the rule files' predicate
/// declarations, so the exporters know the bundled symmetric predicate by name; its one
/// edge runs from the smaller id to the larger.
pub(crate) fn is_symmetric(predicate: &str) -> bool {
    predicate == "met_with"
}

pub(crate) fn io_err(format: &'static str, e: std::io::Error) -> Error {
    Error::io(format!("{format} output"), e)
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::gazetteer::EntityType;
    use crate::graph::{DocumentInfo, Evidence, KnowledgeGraph, Mention, Node};

    #[test]
    fn every_format_name_is_its_extension() {
        for &f in super::Format::ALL {
            let path = format!("g.{}", f.name().to_ascii_uppercase());
            assert_eq!(super::Format::from_extension(path.as_ref()), Some(f));
        }
        assert_eq!(
            super::Format::from_extension("g.gv".as_ref()),
            Some(super::Format::Dot)
        );
        assert_eq!(super::Format::from_extension("g.xml".as_ref()), None);
    }

    #[test]
    fn an_empty_graph_is_written_in_every_text_format() {
        let g = KnowledgeGraph::new();
        for &f in super::Format::ALL.iter().filter(|f| !f.is_image()) {
            let mut out = Vec::new();
            super::write(&g, f, &mut out).unwrap();
            assert!(std::str::from_utf8(&out).is_ok(), "{f:?}");
        }
    }

    #[test]
    fn a_bad_base_iri_is_an_error_not_bad_rdf() {
        let mut o = super::ExportOptions::new();
        o.base_iri("no scheme/");
        let mut out = Vec::new();
        let e = super::write_with(&fixture(), super::Format::Turtle, &o, &mut out).unwrap_err();
        assert!(e.to_string().contains("not absolute"), "{e}");
        assert!(out.is_empty());
    }

    /// Compares an exporter's output with `src/export/testdata/NAME`; with
    /// `KGBUILD_BLESS=1` in the environment, writes the file instead.
    pub(crate) fn golden(name: &str, actual: Vec<u8>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/export/testdata")
            .join(name);
        if std::env::var_os("KGBUILD_BLESS").is_some() {
            std::fs::write(&path, &actual).unwrap();
            return;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            String::from_utf8(actual).unwrap(),
            want,
            "{}",
            path.display()
        );
    }

    /// A tiny graph for the golden tests: two people who met in a city, one of them a
    /// spokesman, a name with markup characters.
    pub(crate) fn fixture() -> KnowledgeGraph {
        let mut g = KnowledgeGraph::new();
        g.add_document(DocumentInfo {
            id: "a.txt".into(),
            chars: 60,
        });
        let node = |id: &str, name: &str, etype, subtype: Option<&str>, at: usize| Node {
            references: Vec::new(),
            background: false,
            id: id.into(),
            name: name.into(),
            etype,
            subtype: subtype.map(String::from),
            aliases: vec![],
            mentions: vec![Mention {
                doc: "a.txt".into(),
                start: at,
                end: at + name.len(),
                text: name.into(),
                via: None,
                ambiguity: None,
            }],
        };
        g.add_node(node(
            "ann-o-hara",
            "Ann O'Hara",
            EntityType::Person,
            None,
            0,
        ));
        let mut bo = node("bo-li", "Bo \"B\" Li", EntityType::Person, None, 15);
        bo.aliases.push("Li".into());
        g.add_node(bo);
        g.add_node(node(
            "paris",
            "Paris",
            EntityType::Location,
            Some("city"),
            33,
        ));
        g.add_node(node(
            "acme",
            "Acme <&> Co",
            EntityType::Organization,
            None,
            45,
        ));
        let ev = |rule: &str| Evidence {
            doc: "a.txt".into(),
            start: 0,
            end: 60,
            text: "Ann O'Hara and Bo \"B\" Li met in Paris.\nAcme <&> Co".into(),
            rule: rule.into(),
        };
        g.add_relation(
            "ann-o-hara",
            "met_with",
            "bo-li",
            [
                ("date".to_string(), "2025-03-01".to_string()),
                ("location".to_string(), "paris".to_string()),
            ]
            .into(),
            vec![ev("meeting.x_and_y_met")],
        );
        g.add_relation(
            "bo-li",
            "spokesman_of",
            "acme",
            Default::default(),
            vec![ev("role.org_title_person")],
        );
        g
    }
}
