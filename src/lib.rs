/*!
kgbuild turns news articles into a knowledge graph: who is who, and who did what with whom.

# Overview

The pipeline runs in one direction, one module per stage:

text ([`Document`]) → mentions (gazetteer matcher and name rules) → entities (aliases,
surnames, demonyms, pronouns, "the two diplomats") → relations (RON rules) →
[`KnowledgeGraph`] (petgraph) → exporters ([`export`]: DOT, RON, JSON, GraphML, RDF,
Cypher, and SVG/PNG/PDF through Graphviz).

- [`Pipeline`] holds the compiled gazetteer automaton and rules; build it once, run it on
  any number of documents.
- [`PipelineBuilder`] adds user gazetteers and rules, or drops the bundled ones.
- [`KnowledgeGraph`] is the result; it serialises to the node-link form of
  `docs/design.md`.

# Example

```
let pipeline = kgbuild::Pipeline::new()?;
let graph = pipeline.run(
    "article.txt",
    "Kremlin spokesman Dmitry Peskov said on Wednesday that talks were on pause.",
);
let edge = graph.edges().next().unwrap();
assert_eq!(
    (edge.source.as_str(), edge.predicate.as_str(), edge.target.as_str()),
    ("dmitry-peskov", "spokesman_of", "kremlin")
);
let mut dot = Vec::new();
kgbuild::export::write(&graph, kgbuild::export::Format::Dot, &mut dot)?;
# Ok::<(), kgbuild::Error>(())
```

# Fallibility

Loading data returns [`Error`] with file and line; running the pipeline on text never fails
and never panics, whatever the text.
*/
#![deny(missing_docs)]

pub mod background;
mod byteset;
pub mod dates;
pub mod disambiguate;
mod error;
pub mod export;
mod fxhash;
pub mod gazetteer;
mod graph;
pub mod ner;
mod pipeline;
pub mod resolve;
pub mod rules;
pub mod text;

pub use error::{Error, ErrorKind};
pub use gazetteer::{EntityType, Gazetteer, MatcherEngine};
pub use graph::{
    Ambiguity, DocumentInfo, Edge, Evidence, GraphData, GraphMeta, KnowledgeGraph, Mention, Node,
};
pub use pipeline::{Analysis, Pipeline, PipelineBuilder};
pub use text::Document;

#[cfg(test)]
mod tests {
    #[test]
    fn pipeline_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<crate::Pipeline>();
        assert_send_sync::<crate::KnowledgeGraph>();
    }
}
