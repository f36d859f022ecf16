//! The command line: flags (clap derive) and the one function that turns them into a
//! pipeline. Parsing only records values; construction happens in [`Cli::pipeline`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  kgbuild article.txt -o graph.dot          DOT for Graphviz (dot -Tsvg graph.dot > graph.svg)
  kgbuild article.txt -o graph.json         networkx node-link JSON
  kgbuild article.txt -o graph.ron          RON, loads as kgbuild::KnowledgeGraph
  kgbuild article.txt -o graph.svg          a picture (needs Graphviz; also .png, .pdf)
  kgbuild a.txt b.txt -o g.svg --layout fdp another Graphviz layout engine
  kgbuild article.txt -o graph.graphml      GraphML for Gephi or networkx
  kgbuild article.txt -o graph.ttl --base-iri https://data.example.org/kg/
                                            RDF (Turtle; .nt for N-Triples)
  kgbuild article.txt -o graph.cypher       MERGE statements for Neo4j
  kgbuild article.txt --explain             every entity and relation with its evidence
  kgbuild article.txt --background          plus the gazetteer's facts, marked as such
  cat article.txt | kgbuild - --format json
  kgbuild a.txt b.txt -o merged.json        one graph from several articles
  kgbuild articles/ -o merged.json          every *.txt file below articles/ (see --glob)
  kgbuild --jsonl corpus.jsonl -o out.jsonl one graph per {\"id\",\"text\"} line
  kgbuild merge out.jsonl more.json -o all.ron   merge graphs that kgbuild wrote
  kgbuild article.txt --gazetteer my_names.tsv --rules my_rules.ron
  kgbuild gazetteer check my_names.tsv      validate gazetteer files (file:line errors)
  kgbuild gazetteer stats                   entries of the bundled gazetteer by type

Exit status: 0 ok, 1 nothing extracted, 2 error.";

/// Turns news articles into a knowledge graph: who is who, and who did what with whom.
///
/// Without a subcommand, kgbuild builds a graph from articles. A subcommand (`merge`) does
/// something else; a file whose name is a subcommand's is given as `./merge`.
#[derive(Debug, Parser)]
#[command(
    name = "kgbuild",
    version,
    about,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    /// What to do other than building a graph from articles.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Article files (UTF-8 text) or folders of them; `-` reads standard input.
    ///
    /// Several inputs give one merged graph. A folder is searched recursively for files
    /// that match --glob, in sorted order. With --jsonl, each input is a JSON Lines file
    /// of {"id", "text"} records.
    #[arg(value_name = "INPUT", required = true, help_heading = "Input")]
    pub inputs: Vec<PathBuf>,

    /// Which files to take from a folder INPUT (default `*.txt`).
    ///
    /// Matched against the path below the folder (`*` also crosses `/`), so `*.txt`
    /// takes every .txt file at any depth and `2025/*.txt` those below 2025/. Files named
    /// on the command line are always read.
    #[arg(
        long,
        value_name = "GLOB",
        default_value = "*.txt",
        help_heading = "Input"
    )]
    pub glob: String,

    /// Number of worker threads (default: one per core).
    ///
    /// The output is the same whatever the number.
    #[arg(
        short = 'j',
        long = "threads",
        value_name = "N",
        help_heading = "Input"
    )]
    pub threads: Option<usize>,

    /// No progress bar.
    ///
    /// The bar shows on standard error only when it is a terminal and there is more than
    /// one document.
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
    /// Replace invalid UTF-8 with U+FFFD and NUL bytes with spaces, instead of failing.
    ///
    /// Without it, such input is an error that names the file, line and column. With it,
    /// the byte offsets in the output refer to the text after replacement.
    #[arg(long, help_heading = "Input")]
    pub lossy: bool,

    /// Read JSON Lines ({"id": ..., "text": ...} per line) and write one graph per line.
    #[arg(long, help_heading = "Input")]
    pub jsonl: bool,

    /// Write the graph to PATH; the extension gives the format.
    ///
    /// Extensions: .dot/.gv, .ron, .json, .graphml, .nt, .ttl, .cypher, .svg, .png, .pdf
    /// (any case). Without -o the graph goes to standard output (DOT unless --format says
    /// otherwise). The file is written atomically: a failed run never leaves a partial file.
    #[arg(short, long, value_name = "PATH", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Output format; overrides the extension of --output.
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub format: Option<FormatArg>,

    /// Graphviz layout engine for DOT and images (default: dot).
    ///
    /// Sets the graph's `layout` attribute in DOT output, and renders .svg, .png and .pdf
    /// with that engine. dot draws layers left to right; neato, fdp and sfdp are spring
    /// models (sfdp for big graphs); circo is circular; twopi radial.
    #[arg(long, value_enum, value_name = "LAYOUT", help_heading = "Output")]
    pub layout: Option<LayoutArg>,

    /// Base IRI of entity IRIs in RDF output (.nt, .ttl).
    ///
    /// An entity's IRI is the base followed by its percent-encoded id, so the base should end
    /// with `/`, `#` or `:`. Default: urn:kgbuild:entity:
    #[arg(long, value_name = "IRI", value_parser = parse_base_iri, help_heading = "Output")]
    pub base_iri: Option<String>,

    /// Print every entity with its mentions and every relation with its evidence.
    ///
    /// Goes to standard output, or to standard error when the graph itself goes to standard
    /// output.
    #[arg(long, help_heading = "Output")]
    pub explain: bool,

    /// Add a gazetteer file or a folder of *.tsv files (repeatable).
    #[arg(long = "gazetteer", value_name = "PATH", help_heading = "Gazetteer")]
    pub gazetteers: Vec<PathBuf>,

    /// Do not load the bundled gazetteer.
    #[arg(long, help_heading = "Gazetteer")]
    pub no_default_gazetteer: bool,

    /// Also add what the gazetteer knows about the entities the text names (Moscow
    /// located_in Russia, a minister's office).
    ///
    /// These edges are marked `background` and carry no evidence; an entity that only such
    /// a fact brings in is marked `background` too. A fact the text states as well stays an
    /// ordinary edge with its evidence.
    #[arg(long, help_heading = "Gazetteer")]
    pub background: bool,

    /// Do not keep compiled user gazetteers in the cache folder (also KGBUILD_NO_CACHE=1).
    ///
    /// By default a --gazetteer file is compiled once and kept in $XDG_CACHE_HOME/kgbuild
    /// (or ~/.cache/kgbuild); later runs with the same files load it instead of compiling.
    #[arg(long, help_heading = "Gazetteer")]
    pub no_cache: bool,

    /// Add a RON rule file (repeatable).
    #[arg(long = "rules", value_name = "PATH", help_heading = "Rules")]
    pub rules: Vec<PathBuf>,

    /// Do not load the bundled rules.
    #[arg(long, help_heading = "Rules")]
    pub no_default_rules: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merge graphs that kgbuild wrote (JSON, JSON Lines or RON) into one graph.
    ///
    /// Nodes merge by id, relations by source, predicate and target, as when several
    /// articles are given at once. Inputs are merged in the order given, the graphs of a
    /// JSON Lines file in line order.
    Merge(MergeArgs),
    /// Gazetteer tools: validate files, count entries.
    #[command(subcommand)]
    Gazetteer(GazetteerCommand),
}

/// `kgbuild merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Graph files: .json (one graph, or JSON Lines of graphs), .jsonl, .ron; `-` reads
    /// JSON or JSON Lines from standard input.
    #[arg(value_name = "GRAPH", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Write the merged graph to PATH (format from the extension: .dot/.gv, .ron, .json).
    ///
    /// Without -o the graph goes to standard output as JSON unless --format says otherwise.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Output format; overrides the extension of --output.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    /// Number of threads reading the inputs (default: one per core).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `kgbuild gazetteer ...`.
#[derive(Debug, Subcommand)]
pub enum GazetteerCommand {
    /// Validate gazetteer files or folders: report every bad line, duplicate id and
    /// probable duplicate entry with file:line; exit 1 if any error.
    Check {
        /// Gazetteer files or folders of *.tsv files.
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
    },
    /// Count entries by type and subtype: of the bundled gazetteer, or of PATHs.
    Stats {
        /// Gazetteer files or folders (default: the bundled gazetteer).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

/// Output formats on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Graphviz DOT.
    Dot,
    /// RON (serde), loadable as kgbuild::KnowledgeGraph.
    Ron,
    /// networkx node-link JSON.
    Json,
    /// GraphML (networkx, Gephi).
    Graphml,
    /// RDF N-Triples.
    #[value(alias = "ntriples")]
    Nt,
    /// RDF Turtle.
    #[value(alias = "turtle")]
    Ttl,
    /// Cypher MERGE statements for Neo4j.
    Cypher,
    /// SVG picture (needs Graphviz).
    Svg,
    /// PNG picture (needs Graphviz).
    Png,
    /// PDF (needs Graphviz).
    Pdf,
}

impl From<FormatArg> for kgbuild::export::Format {
    fn from(f: FormatArg) -> Self {
        use kgbuild::export::Format;
        match f {
            FormatArg::Dot => Format::Dot,
            FormatArg::Ron => Format::Ron,
            FormatArg::Json => Format::Json,
            FormatArg::Graphml => Format::GraphMl,
            FormatArg::Nt => Format::NTriples,
            FormatArg::Ttl => Format::Turtle,
            FormatArg::Cypher => Format::Cypher,
            FormatArg::Svg => Format::Svg,
            FormatArg::Png => Format::Png,
            FormatArg::Pdf => Format::Pdf,
        }
    }
}

/// Graphviz layout engines on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// Layered, left to right.
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

impl From<LayoutArg> for kgbuild::export::Layout {
    fn from(l: LayoutArg) -> Self {
        use kgbuild::export::Layout;
        match l {
            LayoutArg::Dot => Layout::Dot,
            LayoutArg::Neato => Layout::Neato,
            LayoutArg::Fdp => Layout::Fdp,
            LayoutArg::Sfdp => Layout::Sfdp,
            LayoutArg::Circo => Layout::Circo,
            LayoutArg::Twopi => Layout::Twopi,
        }
    }
}

fn parse_base_iri(s: &str) -> Result<String, String> {
    match kgbuild::export::rdf::check_base_iri(s) {
        Ok(()) => Ok(s.to_string()),
        Err(e) => Err(match e.kind() {
            kgbuild::ErrorKind::Export { message, .. } => message.clone(),
            _ => e.to_string(),
        }),
    }
}

impl Cli {
    /// The pipeline the flags describe.
    pub fn pipeline(&self) -> Result<kgbuild::Pipeline, kgbuild::Error> {
        let mut b = kgbuild::PipelineBuilder::new();
        b.default_gazetteer(!self.no_default_gazetteer)
            .default_rules(!self.no_default_rules)
            .background(self.background);
        for g in &self.gazetteers {
            b.gazetteer_path(g);
        }
        let no_cache = self.no_cache
            || std::env::var_os("KGBUILD_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
        if !no_cache {
            b.gazetteer_cache(kgbuild::gazetteer::default_cache_dir());
        }
        for r in &self.rules {
            b.rules_path(r);
        }
        b.build()
    }

    /// The exporters' options the flags describe.
    pub fn export_options(&self) -> kgbuild::export::ExportOptions {
        let mut o = kgbuild::export::ExportOptions::new();
        if let Some(l) = self.layout {
            o.layout(l.into());
        }
        if let Some(b) = &self.base_iri {
            o.base_iri(b.clone());
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_repeatable_and_format_flags() {
        let c = Cli::try_parse_from([
            "kgbuild",
            "a.txt",
            "-",
            "--gazetteer",
            "g1",
            "--gazetteer",
            "g2",
            "--format",
            "ron",
        ])
        .unwrap();
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(c.gazetteers.len(), 2);
        assert_eq!(c.format, Some(FormatArg::Ron));
        assert!(Cli::try_parse_from(["kgbuild", "a.txt", "--format", "xml"]).is_err());
        assert!(Cli::try_parse_from(["kgbuild"]).is_err());
        let c = Cli::try_parse_from(["kgbuild", "gazetteer", "check", "a.tsv"]).unwrap();
        assert!(matches!(
            c.command,
            Some(Command::Gazetteer(GazetteerCommand::Check { .. }))
        ));
        assert!(Cli::try_parse_from(["kgbuild", "gazetteer", "check"]).is_err());
        let c = Cli::try_parse_from(["kgbuild", "gazetteer", "stats"]).unwrap();
        assert!(c.command.is_some());
    }

    #[test]
    fn parses_export_flags() {
        let c = Cli::try_parse_from([
            "kgbuild",
            "a.txt",
            "--format",
            "turtle",
            "--layout",
            "neato",
            "--base-iri",
            "https://example.org/kg/",
        ])
        .unwrap();
        assert_eq!(c.format, Some(FormatArg::Ttl));
        assert_eq!(c.layout, Some(LayoutArg::Neato));
        let o = c.export_options();
        assert_eq!(o.get_layout(), kgbuild::export::Layout::Neato);
        assert_eq!(o.get_base_iri(), "https://example.org/kg/");
        for f in [
            "graphml", "nt", "ntriples", "ttl", "cypher", "svg", "png", "pdf",
        ] {
            assert!(
                Cli::try_parse_from(["kgbuild", "a", "--format", f]).is_ok(),
                "{f}"
            );
        }
        assert!(Cli::try_parse_from(["kgbuild", "a", "--layout", "osage"]).is_err());
        let e = Cli::try_parse_from(["kgbuild", "a", "--base-iri", "example.org/"]).unwrap_err();
        assert!(e.to_string().contains("not absolute"), "{e}");
    }

    #[test]
    fn merge_is_a_subcommand_and_articles_still_parse() {
        let c =
            Cli::try_parse_from(["kgbuild", "merge", "a.json", "b.jsonl", "-o", "x.ron"]).unwrap();
        let Some(Command::Merge(m)) = c.command else {
            panic!("not merge: {c:?}");
        };
        assert_eq!(m.inputs.len(), 2);
        assert_eq!(m.output, Some(PathBuf::from("x.ron")));
        let c =
            Cli::try_parse_from(["kgbuild", "a.txt", "-j", "2", "-q", "--glob", "*.md"]).unwrap();
        assert!(c.command.is_none());
        assert_eq!(c.threads, Some(2));
        assert!(c.quiet);
        assert_eq!(c.glob, "*.md");
        // A file called `merge` is given with a path.
        let c = Cli::try_parse_from(["kgbuild", "./merge"]).unwrap();
        assert!(c.command.is_none());
        assert!(Cli::try_parse_from(["kgbuild", "merge"]).is_err());
        assert!(Cli::try_parse_from(["kgbuild", "a.txt", "merge", "b.json"]).is_ok());
        assert!(!c.lossy);
        assert!(
            Cli::try_parse_from(["kgbuild", "a.txt", "--lossy"])
                .unwrap()
                .lossy
        );
    }
}
