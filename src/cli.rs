//! The command line: flags (clap derive) and the one function that turns them into a
//! pipeline. Parsing only records values; construction happens in [`Cli::pipeline`].

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  kgbuild article.txt -o graph.dot          DOT for Graphviz (dot -Tsvg graph.dot > graph.svg)
  kgbuild article.txt -o graph.json         networkx node-link JSON
  kgbuild article.txt -o graph.ron          RON, loads as kgbuild::KnowledgeGraph
  kgbuild article.txt --explain             every entity and relation with its evidence
  cat article.txt | kgbuild - --format json
  kgbuild a.txt b.txt -o merged.json        one graph from several articles
  kgbuild --jsonl corpus.jsonl -o out.jsonl one graph per {\"id\",\"text\"} line
  kgbuild article.txt --gazetteer my_names.tsv --rules my_rules.ron

Exit status: 0 ok, 1 nothing extracted, 2 error.";

/// Turns news articles into a knowledge graph: who is who, and who did what with whom.
#[derive(Debug, Parser)]
#[command(name = "kgbuild", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// Article files (UTF-8 text); `-` reads standard input.
    ///
    /// Several inputs give one merged graph. With --jsonl, each input is a JSON Lines file
    /// of {"id", "text"} records.
    #[arg(value_name = "INPUT", required = true, help_heading = "Input")]
    pub inputs: Vec<PathBuf>,

    /// Replace invalid UTF-8 with U+FFFD and NUL bytes with spaces, instead of failing.
    ///
    /// Without it, such input is an error that names the file, line and column. With it,
    /// the byte offsets in the output refer to the text after replacement.
    #[arg(long, help_heading = "Input")]
    pub lossy: bool,

    /// Read JSON Lines ({"id": ..., "text": ...} per line) and write one graph per line.
    #[arg(long, help_heading = "Input")]
    pub jsonl: bool,

    /// Write the graph to PATH (format from the extension: .dot/.gv, .ron, .json).
    ///
    /// Without -o the graph goes to standard output (DOT unless --format says otherwise).
    /// The file is written atomically: a failed run never leaves a partial file.
    #[arg(short, long, value_name = "PATH", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Output format; overrides the extension of --output.
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub format: Option<FormatArg>,

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

    /// Add a RON rule file (repeatable).
    #[arg(long = "rules", value_name = "PATH", help_heading = "Rules")]
    pub rules: Vec<PathBuf>,

    /// Do not load the bundled rules.
    #[arg(long, help_heading = "Rules")]
    pub no_default_rules: bool,
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
}

impl From<FormatArg> for kgbuild::export::Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Dot => kgbuild::export::Format::Dot,
            FormatArg::Ron => kgbuild::export::Format::Ron,
            FormatArg::Json => kgbuild::export::Format::Json,
        }
    }
}

impl Cli {
    /// The pipeline the flags describe.
    pub fn pipeline(&self) -> Result<kgbuild::Pipeline, kgbuild::Error> {
        let mut b = kgbuild::PipelineBuilder::new();
        b.default_gazetteer(!self.no_default_gazetteer)
            .default_rules(!self.no_default_rules);
        for g in &self.gazetteers {
            b.gazetteer_path(g);
        }
        for r in &self.rules {
            b.rules_path(r);
        }
        b.build()
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
        assert!(!c.lossy);
        assert!(
            Cli::try_parse_from(["kgbuild", "a.txt", "--lossy"])
                .unwrap()
                .lossy
        );
    }
}
