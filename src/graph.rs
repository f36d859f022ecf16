//! Graph stage: the knowledge graph, on petgraph.
//!
//! Input: the entities and relations of one or more documents. Output: a
//! [`KnowledgeGraph`]: one node per real-world entity (merged across documents by id), one
//! edge per distinct (subject, predicate, object) with all its evidence merged. Nodes and
//! edges keep insertion order, so the same input gives the same output.
//!
//! The serialised form (JSON, RON) is the node-link model of `docs/design.md`
//! ([`GraphData`]), not petgraph's internal layout.

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::fxhash::{FxHashMap, FxHashSet};
use crate::gazetteer::EntityType;

/// Format version of the serialised graph.
pub const FORMAT_VERSION: u32 = 1;

/// A mention of a node in a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// Document id.
    pub doc: String,
    /// Byte offset into the document's UTF-8 text.
    pub start: usize,
    /// Byte offset, exclusive.
    pub end: usize,
    /// The text of the span.
    pub text: String,
    /// How the mention names the entity (`surname`, `pronoun`, ...); absent for the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// When the name is shared by several gazetteer entries: which others it could have
    /// been and why this one was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambiguity: Option<Ambiguity>,
}

/// How an ambiguous name was settled (several gazetteer entries share it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ambiguity {
    /// What decided: `qualifier` (the name is followed by its country or region, as in
    /// "Waterloo, Belgium"), `context` (the document names the chosen entry's country more
    /// than the others'), or, with no such evidence, the gazetteer's own order:
    /// `country` (a country beats other places), `population` (the larger place) or
    /// `order` (the first entry loaded).
    pub chosen_by: String,
    /// Ids of the entries passed over, most likely first.
    pub over: Vec<String>,
}

/// An entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Stable id.
    pub id: String,
    /// Canonical name.
    pub name: String,
    /// `Person`, `Organization`, `Location` or `Misc`.
    #[serde(rename = "type")]
    pub etype: EntityType,
    /// Finer kind, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<String>,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Every span of text that names the entity: its name, an alias, a surname, an
    /// acronym.
    #[serde(default)]
    pub mentions: Vec<Mention>,
    /// Every span that refers to the entity without naming it: a demonym ("Russian" for
    /// Russia), a pronoun, a plural reference ("the two diplomats"), a definite description
    /// ("the chancellor"). Kept apart from `mentions` so that consumers reading mentions as
    /// names (NER-style) see names only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Mention>,
    /// True for a node that no text names, added only as the end of a background fact
    /// (`--background`: "Moscow located_in Russia" when the text names Moscow only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub background: bool,
}

/// A piece of evidence for a relation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Document id.
    pub doc: String,
    /// Byte offset of the evidence sentence.
    pub start: usize,
    /// Byte offset, exclusive.
    pub end: usize,
    /// The sentence.
    pub text: String,
    /// Id of the rule that found it.
    pub rule: String,
}

/// A relation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Subject node id.
    pub source: String,
    /// Object node id.
    pub target: String,
    /// Index among the edges with the same source and target (networkx multigraph key).
    pub key: usize,
    /// Predicate.
    pub predicate: String,
    /// Attributes (`date`, `location` as a node id).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// All evidence, in order found.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Number of distinct documents that give evidence for the relation (1 for a graph of
    /// one document). Maintained by the graph; recomputed from `evidence` when a graph is
    /// loaded, so files without it load too.
    #[serde(default)]
    pub count: usize,
    /// True for a background fact taken from the gazetteer (`--background`), not read in
    /// any text: such an edge has no evidence and a count of 0. Text evidence for the same
    /// relation turns it into an ordinary edge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub background: bool,
}

/// A document the graph was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// Document id.
    pub id: String,
    /// Length in characters.
    pub chars: usize,
}

/// Graph-level attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphMeta {
    /// Always `kgbuild`.
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// Source documents.
    pub documents: Vec<DocumentInfo>,
}

/// The serialised form: networkx node-link, as `docs/design.md` specifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphData {
    /// Always true.
    pub directed: bool,
    /// Always true.
    pub multigraph: bool,
    /// Graph attributes.
    pub graph: GraphMeta,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
}

/// A knowledge graph: entities and relations with their evidence.
///
/// ```
/// let pipeline = kgbuild::Pipeline::new()?;
/// let graph = pipeline.run("a.txt", "Kremlin spokesman Dmitry Peskov said talks paused.");
/// let json = serde_json::to_string(&graph).unwrap();
/// let back: kgbuild::KnowledgeGraph = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, graph);
/// # Ok::<(), kgbuild::Error>(())
/// ```
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "GraphData")]
pub struct KnowledgeGraph {
    graph: DiGraph<Node, Edge>,
    index: FxHashMap<String, NodeIndex>,
    documents: Vec<DocumentInfo>,
    /// A number for each document id met in evidence, so that the sets below hold
    /// numbers, not copies of the id.
    doc_numbers: FxHashMap<String, u32>,
    /// Evidence (document and span) already on each edge: one sentence counts once even
    /// when several rules find it, and merging stays linear.
    seen_evidence: FxHashSet<(EdgeIndex, u32, usize, usize)>,
    /// Documents already counted on each edge (see [`Edge::count`]).
    seen_docs: FxHashSet<(EdgeIndex, u32)>,
    /// The edges of each (source, target), in order of their keys: finding an edge does
    /// not walk a hub node's edges, only those between the same two nodes.
    pair_edges: FxHashMap<(NodeIndex, NodeIndex), Vec<EdgeIndex>>,
}

impl PartialEq for KnowledgeGraph {
    fn eq(&self, other: &Self) -> bool {
        self.to_data() == other.to_data()
    }
}

impl KnowledgeGraph {
    /// An empty graph.
    pub fn new() -> KnowledgeGraph {
        KnowledgeGraph::default()
    }

    /// Makes room for `nodes` more nodes and `edges` more edges.
    pub(crate) fn reserve(&mut self, nodes: usize, edges: usize) {
        self.graph.reserve_nodes(nodes);
        self.graph.reserve_edges(edges);
        self.index.reserve(nodes);
    }

    /// Records a source document.
    pub fn add_document(&mut self, info: DocumentInfo) {
        self.documents.push(info);
    }

    /// Adds a node, or merges it into the node with the same id (aliases and mentions).
    pub fn add_node(&mut self, node: Node) -> NodeIndex {
        if let Some(&ix) = self.index.get(&node.id) {
            let existing = &mut self.graph[ix];
            for a in node.aliases {
                if a != existing.name && !existing.aliases.contains(&a) {
                    existing.aliases.push(a);
                }
            }
            existing.mentions.extend(node.mentions);
            // Named by some text: no longer a background-only node.
            existing.background &= node.background;
            existing.references.extend(node.references);
            if existing.subtype.is_none() {
                existing.subtype = node.subtype;
            }
            return ix;
        }
        let id = node.id.clone();
        let ix = self.graph.add_node(node);
        self.index.insert(id, ix);
        ix
    }

    /// Adds a relation between two existing nodes, merging its evidence into an existing
    /// edge with the same predicate (attributes first seen are kept, missing ones filled).
    ///
    /// Returns `None` when either node id is unknown.
    pub fn add_relation(
        &mut self,
        source: &str,
        predicate: &str,
        target: &str,
        attributes: BTreeMap<String, String>,
        evidence: Vec<Evidence>,
    ) -> Option<EdgeIndex> {
        let (&a, &b) = (self.index.get(source)?, self.index.get(target)?);
        if let Some(ix) = self.find_edge(a, b, predicate) {
            let edge = &mut self.graph[ix];
            for (k, v) in attributes {
                edge.attributes.entry(k).or_insert(v);
            }
            self.push_evidence(ix, evidence);
            return Some(ix);
        }
        let ix = self.insert_edge(
            a,
            b,
            Edge {
                source: source.to_string(),
                target: target.to_string(),
                key: 0,
                predicate: predicate.to_string(),
                attributes,
                evidence: Vec::new(),
                count: 0,
                background: false,
            },
        );
        self.push_evidence(ix, evidence);
        Some(ix)
    }

    /// Adds a background fact (from the gazetteer, not from a text): an edge without
    /// evidence, marked [`Edge::background`]. Nothing happens when the relation is already
    /// in the graph, from a text or as background. Returns `None` when either node id is
    /// unknown.
    pub fn add_background_relation(
        &mut self,
        source: &str,
        predicate: &str,
        target: &str,
    ) -> Option<EdgeIndex> {
        let (&a, &b) = (self.index.get(source)?, self.index.get(target)?);
        if let Some(ix) = self.find_edge(a, b, predicate) {
            return Some(ix);
        }
        Some(self.insert_edge(
            a,
            b,
            Edge {
                source: source.to_string(),
                target: target.to_string(),
                key: 0,
                predicate: predicate.to_string(),
                attributes: BTreeMap::new(),
                evidence: Vec::new(),
                count: 0,
                background: true,
            },
        ))
    }

    /// The edge from `a` to `b` with this predicate.
    fn find_edge(&self, a: NodeIndex, b: NodeIndex, predicate: &str) -> Option<EdgeIndex> {
        let edges = self.pair_edges.get(&(a, b))?;
        edges
            .iter()
            .copied()
            .find(|&ix| self.graph[ix].predicate == predicate)
    }

    /// Adds a new edge (without evidence), setting its key and indexing it.
    fn insert_edge(&mut self, a: NodeIndex, b: NodeIndex, mut edge: Edge) -> EdgeIndex {
        let pair = self.pair_edges.entry((a, b)).or_default();
        edge.key = pair.len();
        let ix = self.graph.add_edge(a, b, edge);
        pair.push(ix);
        ix
    }

    /// The number of a document id (see `doc_numbers`).
    fn doc_number(&mut self, doc: &str) -> u32 {
        if let Some(&n) = self.doc_numbers.get(doc) {
            return n;
        }
        let n = self.doc_numbers.len() as u32;
        self.doc_numbers.insert(doc.to_string(), n);
        n
    }

    /// Adds evidence to an edge, skipping sentences it already has, and counts new
    /// documents.
    fn push_evidence(&mut self, ix: EdgeIndex, evidence: Vec<Evidence>) {
        for ev in evidence {
            let doc = self.doc_number(&ev.doc);
            if !self.seen_evidence.insert((ix, doc, ev.start, ev.end)) {
                continue;
            }
            // Evidence of one document comes together: check the last piece first and
            // touch the set only for a document not seen just before.
            let edge = &self.graph[ix];
            let same_as_last = edge.evidence.last().is_some_and(|l| l.doc == ev.doc);
            if !same_as_last && self.seen_docs.insert((ix, doc)) {
                self.graph[ix].count += 1;
            }
            // A text says it: a background fact becomes an ordinary one.
            self.graph[ix].background = false;
            self.graph[ix].evidence.push(ev);
        }
    }

    /// Merges another graph into this one: its documents are appended; nodes with the same
    /// id are merged (aliases and mentions combined, first name and type kept); relations
    /// with the same source, predicate and target become one edge with all the evidence,
    /// and [`Edge::count`] counts the documents that give it.
    ///
    /// Merging graphs one after the other costs time linear in their total size. The
    /// result depends on the order of the merges (first name, first attributes): merge in
    /// a fixed order for a reproducible graph.
    pub fn merge(&mut self, other: KnowledgeGraph) {
        self.documents.extend(other.documents);
        let (nodes, edges) = other.graph.into_nodes_edges();
        for n in nodes {
            self.add_node(n.weight);
        }
        for e in edges {
            let e = e.weight;
            if e.background {
                self.add_background_relation(&e.source, &e.predicate, &e.target);
            } else {
                self.add_relation(&e.source, &e.predicate, &e.target, e.attributes, e.evidence);
            }
        }
    }

    /// Nodes in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.graph.node_weights()
    }

    /// Edges in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.graph.edge_weights()
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&ix| &self.graph[ix])
    }

    /// Source documents.
    pub fn documents(&self) -> &[DocumentInfo] {
        &self.documents
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// The underlying petgraph graph, for graph algorithms.
    pub fn as_petgraph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// The serialised form.
    pub fn to_data(&self) -> GraphData {
        GraphData {
            directed: true,
            multigraph: true,
            graph: GraphMeta {
                format: "kgbuild".to_string(),
                version: FORMAT_VERSION,
                documents: self.documents.clone(),
            },
            nodes: self.graph.node_weights().cloned().collect(),
            edges: self.graph.edge_weights().cloned().collect(),
        }
    }
}

/// [`GraphData`] borrowed from a graph: serialises exactly as `GraphData` does, without
/// copying the nodes and edges first.
#[derive(Serialize)]
#[serde(rename = "GraphData")]
struct GraphDataRef<'a> {
    directed: bool,
    multigraph: bool,
    graph: GraphMetaRef<'a>,
    nodes: Vec<&'a Node>,
    edges: Vec<&'a Edge>,
}

#[derive(Serialize)]
#[serde(rename = "GraphMeta")]
struct GraphMetaRef<'a> {
    format: &'a str,
    version: u32,
    documents: &'a [DocumentInfo],
}

impl Serialize for KnowledgeGraph {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        GraphDataRef {
            directed: true,
            multigraph: true,
            graph: GraphMetaRef {
                format: "kgbuild",
                version: FORMAT_VERSION,
                documents: &self.documents,
            },
            nodes: self.graph.node_weights().collect(),
            edges: self.graph.edge_weights().collect(),
        }
        .serialize(serializer)
    }
}

impl From<KnowledgeGraph> for GraphData {
    fn from(g: KnowledgeGraph) -> GraphData {
        g.to_data()
    }
}

impl TryFrom<GraphData> for KnowledgeGraph {
    type Error = String;

    fn try_from(data: GraphData) -> Result<KnowledgeGraph, String> {
        if data.graph.version != FORMAT_VERSION {
            return Err(format!(
                "unsupported format version {} (this build reads {FORMAT_VERSION})",
                data.graph.version
            ));
        }
        let mut g = KnowledgeGraph::new();
        g.documents = data.graph.documents;
        for n in data.nodes {
            if g.index.contains_key(&n.id) {
                return Err(format!("duplicate node id `{}`", n.id));
            }
            g.add_node(n);
        }
        for e in data.edges {
            let (Some(&a), Some(&b)) = (g.index.get(&e.source), g.index.get(&e.target)) else {
                return Err(format!(
                    "edge {} -> {} names an unknown node",
                    e.source, e.target
                ));
            };
            if g.find_edge(a, b, &e.predicate).is_some() {
                return Err(format!(
                    "duplicate edge {} -{}-> {}",
                    e.source, e.predicate, e.target
                ));
            }
            let key = e.key;
            let ix = g.insert_edge(
                a,
                b,
                Edge {
                    evidence: Vec::new(),
                    count: 0,
                    ..e.clone()
                },
            );
            // Keep the key as written.
            g.graph[ix].key = key;
            g.push_evidence(ix, e.evidence);
        }
        Ok(g)
    }
}
