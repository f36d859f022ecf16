//! JSON: networkx node-link (`networkx.node_link_graph(data, edges="edges")`).
//!
//! Pretty JSON goes through serde. One-line JSON (`--jsonl`, one graph per record) is
//! written by hand, straight from the graph into a byte buffer: it is what the JSON Lines
//! driver spends its output time on, and serde's per-field calls and byte-at-a-time string
//! escaping cost more than the rest of the output. It writes exactly what
//! `serde_json::to_writer` writes for the graph (same fields in the same order, same
//! escapes, same numbers); a test compares the two.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::hash_map::Entry as MapEntry;
use std::io::Write;
use std::ops::Range;
use std::sync::OnceLock;

use crate::error::Error;
use crate::fxhash::{FxHashMap, FxHashSet};
use crate::gazetteer::{EntityType, Entry, Gazetteer};
use crate::graph::{Edge, Evidence, FORMAT_VERSION, KnowledgeGraph, Mention, Node};
use crate::ner::Via;
use crate::pipeline::Analysis;
use crate::resolve::{Entity, same_str};
use crate::rules::Found;

/// Writes the graph as pretty JSON followed by a newline.
///
/// # Errors
/// Write errors.
pub fn write_json(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, graph)
        .map_err(|e| Error::export("json", e.to_string()))?;
    out.write_all(b"\n").map_err(|e| super::io_err("json", e))
}

/// Writes the graph as one line of JSON (for JSON Lines) followed by a newline.
///
/// # Errors
/// Write errors.
pub fn write_json_line(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let mut buf = Vec::new();
    json_line(graph, &mut buf)?;
    out.write_all(&buf).map_err(|e| super::io_err("json", e))
}

/// Appends the graph as one line of JSON and a newline to `buf`: what [`write_json_line`]
/// writes, serialised into memory without a `dyn Write` call per token of JSON.
///
/// # Errors
/// None (writing into memory does not fail); the `Result` keeps the signature of the
/// other writers.
pub fn json_line(graph: &KnowledgeGraph, buf: &mut Vec<u8>) -> Result<(), Error> {
    buf.extend_from_slice(
        br#"{"directed":true,"multigraph":true,"graph":{"format":"kgbuild","version":"#,
    );
    uint(buf, u64::from(FORMAT_VERSION));
    buf.extend_from_slice(br#","documents":["#);
    separated(buf, graph.documents().iter(), |buf, d| {
        buf.extend_from_slice(br#"{"id":"#);
        string(buf, &d.id);
        buf.extend_from_slice(br#","chars":"#);
        uint(buf, d.chars as u64);
        buf.push(b'}');
    });
    buf.extend_from_slice(br#"]},"nodes":["#);
    separated(buf, graph.nodes(), node);
    buf.extend_from_slice(br#"],"edges":["#);
    separated(buf, graph.edges(), edge);
    buf.extend_from_slice(b"]}\n");
    Ok(())
}

/// Appends one document's graph as one line of JSON and a newline to `buf`, written
/// straight from its analysis: the bytes [`json_line`] writes for the graph
/// `Pipeline::to_graph` builds from it (background facts left out), without building that
/// graph first (an owned copy of every id, name and span of text, and its indexes). `ids`
/// are the node ids of the entities.
///
/// Entities that share an id become one node and relations with the same subject,
/// predicate and object one edge, merged as `KnowledgeGraph::add_node` and
/// `add_relation` merge them. A node of one entity that is its gazetteer entry as it
/// stands starts with the bytes `heads` keeps for that entry.
pub(crate) fn analysis_line(
    gazetteer: &Gazetteer,
    heads: &NodeHeads,
    analysis: &Analysis<'_>,
    ids: &[Cow<'_, str>],
    buf: &mut Vec<u8>,
) {
    let entries = gazetteer.entries();
    let r = &analysis.resolved;
    let doc = r.doc;
    buf.extend_from_slice(
        br#"{"directed":true,"multigraph":true,"graph":{"format":"kgbuild","version":"#,
    );
    uint(buf, u64::from(FORMAT_VERSION));
    buf.extend_from_slice(br#","documents":[{"id":"#);
    string(buf, &doc.id);
    buf.extend_from_slice(br#","chars":"#);
    uint(buf, doc.text.chars().count() as u64);
    buf.extend_from_slice(br#"}]},"nodes":["#);
    // Every mention and piece of evidence starts with the same bytes: escape them once.
    let mut doc_start = Vec::with_capacity(doc.id.len() + 20);
    doc_start.extend_from_slice(br#"{"doc":"#);
    string(&mut doc_start, &doc.id);
    doc_start.extend_from_slice(br#","start":"#);
    let nodes = NodePlan::new(gazetteer, analysis, ids);
    let mut aliases = Vec::new();
    let mut more = Vec::new();
    for (k, &first) in nodes.first.iter().enumerate() {
        if k > 0 {
            buf.push(b',');
        }
        let e = &r.entities[first];
        let alone = nodes.next[first] == usize::MAX;
        let head = e
            .entry
            .filter(|&x| alone && is_entry_as_is(&entries[x], e, &ids[first]))
            .and_then(|x| Some((&entries[x], heads.get(entries, x)?)));
        if let Some((entry, head)) = head {
            // Through the entry's aliases; then those the text gave it.
            buf.extend_from_slice(&head.bytes);
            let mut any = head.has_aliases;
            for a in &e.aliases {
                if *a != e.name && !entry.alias_names().any(|x| x == a) {
                    if any {
                        buf.push(b',');
                    }
                    string(buf, a);
                    any = true;
                }
            }
        } else {
            buf.extend_from_slice(br#"{"id":"#);
            string(buf, &ids[first]);
            buf.extend_from_slice(br#","name":"#);
            string(buf, &e.name);
            buf.extend_from_slice(br#","type":"#);
            plain(buf, e.etype.as_str());
            // The first member's subtype, else the first a later member has.
            if let Some(s) = nodes
                .members(first)
                .map(|m| &r.entities[m].subtype)
                .find(|s| !s.is_empty())
            {
                buf.extend_from_slice(br#","subtype":"#);
                string(buf, s);
            }
            aliases.clear();
            entity_aliases(entries, e, &mut aliases);
            for m in nodes.members(first).skip(1) {
                more.clear();
                entity_aliases(entries, &r.entities[m], &mut more);
                for &a in &more {
                    if a != e.name && !aliases.contains(&a) {
                        aliases.push(a);
                    }
                }
            }
            buf.extend_from_slice(br#","aliases":["#);
            separated(buf, aliases.iter(), |buf, a| string(buf, a));
        }
        buf.extend_from_slice(br#"],"mentions":["#);
        let names = nodes.members(first).flat_map(|m| nodes.names(m));
        separated(buf, names, |buf, &i| {
            mention(buf, analysis, entries, &doc_start, i)
        });
        buf.push(b']');
        if nodes
            .members(first)
            .any(|m| !nodes.references(m).is_empty())
        {
            buf.extend_from_slice(br#","references":["#);
            let refs = nodes.members(first).flat_map(|m| nodes.references(m));
            separated(buf, refs, |buf, &i| {
                mention(buf, analysis, entries, &doc_start, i)
            });
            buf.push(b']');
        }
        buf.push(b'}');
    }
    buf.extend_from_slice(br#"],"edges":["#);
    let edges = plan_edges(&analysis.relations, &nodes.node_of);
    separated(buf, edges.iter(), |buf, edge| {
        let f = edge.first;
        let (source, target) = (&ids[f.subject], &ids[f.object]);
        edge_head(
            buf,
            source,
            target,
            edge.key,
            &f.predicate,
            &edge.attributes,
        );
        separated(buf, edge.evidence(), |buf, ev| {
            buf.extend_from_slice(&doc_start);
            uint(buf, ev.evidence.start as u64);
            buf.extend_from_slice(br#","end":"#);
            uint(buf, ev.evidence.end as u64);
            buf.extend_from_slice(br#","text":"#);
            string(buf, &doc.text[ev.evidence.clone()]);
            buf.extend_from_slice(br#","rule":"#);
            string(buf, &ev.rule);
            buf.push(b'}');
        });
        // The number of documents with evidence: this one.
        buf.extend_from_slice(br#"],"count":1}"#);
    });
    buf.extend_from_slice(b"]}\n");
}

/// The first bytes of the node of each gazetteer entry's entity, written the first time a
/// document names the entry and then kept for the pipeline's life: most nodes are an
/// entry as it stands, and copying its id, name, type, subtype and aliases as one piece
/// costs less than writing them field by field for every document.
#[derive(Debug, Default)]
pub(crate) struct NodeHeads {
    heads: Box<[OnceLock<NodeHead>]>,
}

/// A node's bytes from its opening brace through its entry's aliases, without the
/// bracket that closes the aliases.
#[derive(Debug)]
struct NodeHead {
    bytes: Vec<u8>,
    /// Whether an alias ends it (the next one needs a comma).
    has_aliases: bool,
}

impl NodeHeads {
    /// Room for the heads of `entries` gazetteer entries.
    pub(crate) fn new(entries: usize) -> NodeHeads {
        NodeHeads {
            heads: (0..entries).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The head of entry `entry`, written on first use; `None` when made for another
    /// gazetteer (no slot).
    fn get(&self, entries: &[Entry], entry: usize) -> Option<&NodeHead> {
        let slot = self.heads.get(entry)?;
        Some(slot.get_or_init(|| node_head(&entries[entry])))
    }
}

/// The head of the node of an entry's entity (see [`NodeHead`]).
fn node_head(entry: &Entry) -> NodeHead {
    // Sized for the fields and their quotes and commas (more only for escapes).
    let size = 64
        + entry.id.len()
        + entry.name.len()
        + entry.subtype.len()
        + entry.alias_names().map(|a| a.len() + 3).sum::<usize>();
    let mut buf = Vec::with_capacity(size);
    buf.extend_from_slice(br#"{"id":"#);
    string(&mut buf, &entry.id);
    buf.extend_from_slice(br#","name":"#);
    string(&mut buf, &entry.name);
    buf.extend_from_slice(br#","type":"#);
    plain(&mut buf, entry_type(entry).as_str());
    if !entry.subtype.is_empty() {
        buf.extend_from_slice(br#","subtype":"#);
        string(&mut buf, &entry.subtype);
    }
    buf.extend_from_slice(br#","aliases":["#);
    separated(&mut buf, entry.alias_names(), string);
    NodeHead {
        bytes: buf,
        has_aliases: entry.alias_names().next().is_some(),
    }
}

/// The type an entity of the entry has.
fn entry_type(entry: &Entry) -> EntityType {
    entry.entity_type().unwrap_or(EntityType::Misc)
}

/// Whether entity `e`, with node id `id`, has its gazetteer entry's id, name, type and
/// subtype (resolution may have changed them; then the node is written field by field).
fn is_entry_as_is(entry: &Entry, e: &Entity, id: &str) -> bool {
    e.etype == entry_type(entry)
        && same_str(id, &entry.id)
        && same_str(&e.name, &entry.name)
        && same_str(&e.subtype, &entry.subtype)
}

/// The aliases of an entity's node: its gazetteer entry's, then those the text gave it.
fn entity_aliases<'a>(entries: &'a [Entry], e: &'a Entity, out: &mut Vec<&'a str>) {
    if let Some(entry) = e.entry.map(|x| &entries[x]) {
        out.extend(entry.alias_names());
    }
    for a in &e.aliases {
        if !out.contains(&a.as_str()) && *a != e.name {
            out.push(a);
        }
    }
}

/// Writes mention `i` of the analysis (`doc_start` holds its first bytes).
fn mention(
    buf: &mut Vec<u8>,
    analysis: &Analysis<'_>,
    entries: &[Entry],
    doc_start: &[u8],
    i: usize,
) {
    let m = &analysis.resolved.mentions[i];
    buf.extend_from_slice(doc_start);
    uint(buf, m.span.start as u64);
    buf.extend_from_slice(br#","end":"#);
    uint(buf, m.span.end as u64);
    buf.extend_from_slice(br#","text":"#);
    string(buf, &analysis.resolved.doc.text[m.span.clone()]);
    if m.via != Via::Name {
        buf.extend_from_slice(br#","via":"#);
        plain(buf, m.via.as_str());
    }
    let span = (m.span.start, m.span.end);
    if let Ok(at) = analysis
        .choices
        .binary_search_by(|c| (c.span.start, c.span.end).cmp(&span))
    {
        let c = &analysis.choices[at];
        buf.extend_from_slice(br#","ambiguity":{"chosen_by":"#);
        plain(buf, c.chosen_by);
        buf.extend_from_slice(br#","over":["#);
        separated(buf, c.over.iter(), |buf, &e| string(buf, &entries[e].id));
        buf.extend_from_slice(b"]}");
    }
    buf.push(b'}');
}

/// Which entities make each node, and which mentions each entity has, for
/// [`analysis_line`]: flat lists, not a list per entity.
struct NodePlan {
    /// Per entity, its node.
    node_of: Vec<usize>,
    /// Per node, its first entity (whose id, name and type the node has).
    first: Vec<usize>,
    /// Per entity, the next entity of its node, or `usize::MAX`.
    next: Vec<usize>,
    /// Mention indices grouped by entity: the names of entity `e`, then its references.
    mentions: Vec<usize>,
    /// Where each group of `mentions` starts: `2e` names, `2e + 1` references.
    starts: Vec<usize>,
}

impl NodePlan {
    fn new(gazetteer: &Gazetteer, analysis: &Analysis<'_>, ids: &[Cow<'_, str>]) -> NodePlan {
        let entries = gazetteer.entries();
        let r = &analysis.resolved;
        let n = r.entities.len();
        let mut node_of = Vec::with_capacity(n);
        let mut first = Vec::with_capacity(n);
        let mut next = vec![usize::MAX; n];
        // Per node, its last entity so far.
        let mut last: Vec<usize> = Vec::with_capacity(n);
        // Nodes by id: an id a gazetteer entry has by that entry's index (one word to hash:
        // most ids are their entity's entry's), any other by its text.
        let mut by_entry: FxHashMap<usize, usize> =
            FxHashMap::with_capacity_and_hasher(n, Default::default());
        let mut by_text: FxHashMap<&str, usize> = FxHashMap::default();
        for (e, id) in ids.iter().enumerate() {
            let entry = match r.entities[e].entry {
                Some(entry) if same_str(id, &entries[entry].id) => Some(entry),
                _ => gazetteer.index_of(id),
            };
            let new = first.len();
            let node = match entry {
                Some(entry) => *by_entry.entry(entry).or_insert(new),
                None => *by_text.entry(id).or_insert(new),
            };
            if node == new {
                first.push(e);
                last.push(e);
            } else {
                next[last[node]] = e;
                last[node] = e;
            }
            node_of.push(node);
        }
        // Counting sort of the mentions by (entity, names or references), keeping text
        // order within each group; a group mention counts for each of its entities.
        let group = |e: usize, via: Via| 2 * e + usize::from(!via.names_entity());
        let mut starts = vec![0usize; 2 * n + 1];
        for m in &r.mentions {
            for &e in &m.entities {
                starts[group(e, m.via) + 1] += 1;
            }
        }
        for g in 1..starts.len() {
            starts[g] += starts[g - 1];
        }
        let mut fill = starts.clone();
        let mut mentions = vec![0; starts[2 * n]];
        for (i, m) in r.mentions.iter().enumerate() {
            for &e in &m.entities {
                let g = group(e, m.via);
                mentions[fill[g]] = i;
                fill[g] += 1;
            }
        }
        NodePlan {
            node_of,
            first,
            next,
            mentions,
            starts,
        }
    }

    /// The entities of the node whose first entity is `first`, in order.
    fn members(&self, first: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(first), |&e| {
            Some(self.next[e]).filter(|&n| n != usize::MAX)
        })
    }

    /// The mentions naming entity `e`.
    fn names(&self, e: usize) -> &[usize] {
        &self.mentions[self.starts[2 * e]..self.starts[2 * e + 1]]
    }

    /// The mentions referring to entity `e` without naming it.
    fn references(&self, e: usize) -> &[usize] {
        &self.mentions[self.starts[2 * e + 1]..self.starts[2 * e + 2]]
    }
}

/// One edge of [`analysis_line`]: the relations with the same subject, predicate and object
/// nodes, merged.
struct PlannedEdge<'a> {
    /// Index among the edges between the same two nodes.
    key: usize,
    /// The attributes of the first relation, with those only later ones have.
    attributes: Cow<'a, BTreeMap<String, String>>,
    /// The first relation, which gives the edge and its first evidence.
    first: &'a Found,
    /// The later relations with evidence spans of their own (a span two rules found counts
    /// once): most edges have none, and then no vector is allocated.
    more: Vec<&'a Found>,
}

impl<'a> PlannedEdge<'a> {
    /// The relations, one per evidence span, in order.
    fn evidence(&self) -> impl Iterator<Item = &'a Found> + '_ {
        std::iter::once(self.first).chain(self.more.iter().copied())
    }
}

/// The edges of the relations, in order of first relation (`node_of`: each entity's node).
fn plan_edges<'a>(relations: &'a [Found], node_of: &[usize]) -> Vec<PlannedEdge<'a>> {
    // Sized once for every relation: growing them cost more than filling them.
    let n = relations.len();
    let mut edges: Vec<PlannedEdge<'a>> = Vec::with_capacity(n);
    let mut by_relation: FxHashMap<(usize, usize, &str), usize> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    let mut per_pair: FxHashMap<(usize, usize), usize> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    let mut seen: FxHashSet<(usize, Range<usize>)> =
        FxHashSet::with_capacity_and_hasher(n, Default::default());
    for f in relations {
        let pair = (node_of[f.subject], node_of[f.object]);
        match by_relation.entry((pair.0, pair.1, f.predicate.as_str())) {
            MapEntry::Occupied(found) => {
                let ix = *found.get();
                let edge = &mut edges[ix];
                for (k, v) in &f.attributes {
                    if !edge.attributes.contains_key(k) {
                        edge.attributes.to_mut().insert(k.clone(), v.clone());
                    }
                }
                if seen.insert((ix, f.evidence.clone())) {
                    edge.more.push(f);
                }
            }
            MapEntry::Vacant(slot) => {
                let ix = edges.len();
                slot.insert(ix);
                seen.insert((ix, f.evidence.clone()));
                let key = per_pair.entry(pair).or_insert(0);
                edges.push(PlannedEdge {
                    key: *key,
                    attributes: Cow::Borrowed(&f.attributes),
                    first: f,
                    more: Vec::new(),
                });
                *key += 1;
            }
        }
    }
    edges
}

fn node(buf: &mut Vec<u8>, n: &Node) {
    buf.extend_from_slice(br#"{"id":"#);
    string(buf, &n.id);
    buf.extend_from_slice(br#","name":"#);
    string(buf, &n.name);
    buf.extend_from_slice(br#","type":"#);
    string(buf, n.etype.as_str());
    if let Some(s) = &n.subtype {
        buf.extend_from_slice(br#","subtype":"#);
        string(buf, s);
    }
    buf.extend_from_slice(br#","aliases":"#);
    strings(buf, &n.aliases);
    buf.extend_from_slice(br#","mentions":"#);
    mentions(buf, &n.mentions);
    if !n.references.is_empty() {
        buf.extend_from_slice(br#","references":"#);
        mentions(buf, &n.references);
    }
    if n.background {
        buf.extend_from_slice(br#","background":true"#);
    }
    buf.push(b'}');
}

fn mentions(buf: &mut Vec<u8>, list: &[Mention]) {
    buf.push(b'[');
    separated(buf, list.iter(), |buf, m| {
        span_head(buf, &m.doc, m.start, m.end, &m.text);
        if let Some(via) = &m.via {
            buf.extend_from_slice(br#","via":"#);
            string(buf, via);
        }
        if let Some(a) = &m.ambiguity {
            buf.extend_from_slice(br#","ambiguity":{"chosen_by":"#);
            string(buf, &a.chosen_by);
            buf.extend_from_slice(br#","over":"#);
            strings(buf, &a.over);
            buf.push(b'}');
        }
        buf.push(b'}');
    });
    buf.push(b']');
}

fn edge(buf: &mut Vec<u8>, e: &Edge) {
    edge_head(
        buf,
        &e.source,
        &e.target,
        e.key,
        &e.predicate,
        &e.attributes,
    );
    separated(buf, e.evidence.iter(), evidence);
    buf.extend_from_slice(br#"],"count":"#);
    uint(buf, e.count as u64);
    if e.background {
        buf.extend_from_slice(br#","background":true"#);
    }
    buf.push(b'}');
}

/// An edge's fields up to its evidence list, which the caller writes and closes.
fn edge_head(
    buf: &mut Vec<u8>,
    source: &str,
    target: &str,
    key: usize,
    predicate: &str,
    attributes: &BTreeMap<String, String>,
) {
    buf.extend_from_slice(br#"{"source":"#);
    string(buf, source);
    buf.extend_from_slice(br#","target":"#);
    string(buf, target);
    buf.extend_from_slice(br#","key":"#);
    uint(buf, key as u64);
    buf.extend_from_slice(br#","predicate":"#);
    string(buf, predicate);
    buf.extend_from_slice(br#","attributes":{"#);
    separated(buf, attributes.iter(), |buf, (k, v)| {
        string(buf, k);
        buf.push(b':');
        string(buf, v);
    });
    buf.extend_from_slice(br#"},"evidence":["#);
}

/// The fields a mention and a piece of evidence share, from the opening brace on; the
/// caller writes the rest and closes it.
fn span_head(buf: &mut Vec<u8>, doc: &str, start: usize, end: usize, text: &str) {
    buf.extend_from_slice(br#"{"doc":"#);
    string(buf, doc);
    buf.extend_from_slice(br#","start":"#);
    uint(buf, start as u64);
    buf.extend_from_slice(br#","end":"#);
    uint(buf, end as u64);
    buf.extend_from_slice(br#","text":"#);
    string(buf, text);
}

fn evidence(buf: &mut Vec<u8>, ev: &Evidence) {
    span_head(buf, &ev.doc, ev.start, ev.end, &ev.text);
    buf.extend_from_slice(br#","rule":"#);
    string(buf, &ev.rule);
    buf.push(b'}');
}

/// Writes `items` with a comma between each two (the brackets are the caller's).
fn separated<T>(
    buf: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut Vec<u8>, T),
) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write(buf, item);
    }
}

fn strings(buf: &mut Vec<u8>, list: &[String]) {
    buf.push(b'[');
    separated(buf, list.iter(), |buf, s| string(buf, s.as_str()));
    buf.push(b']');
}

/// The two digits of each number below 100, as the bytes of a little-endian `u16` (the
/// tens digit first in memory).
const DIGIT_PAIRS: [u16; 100] = {
    let mut pairs = [0u16; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = u16::from_le_bytes([b'0' + (i / 10) as u8, b'0' + (i % 10) as u8]);
        i += 1;
    }
    pairs
};

/// A number in decimal, as serde_json writes it.
fn uint(buf: &mut Vec<u8>, n: u64) {
    // Up to eight digits (every offset into a document below 100 MB): the digits are
    // gathered in one word, two at a time, the later ones shifted up as each earlier pair
    // comes (so the first digit lands in the lowest byte), appended whole and cut to
    // length: no push per digit and no copy call; 32-bit division is the cheaper.
    if let Ok(mut rest) = u32::try_from(n)
        && rest < 100_000_000
    {
        let mut word = 0u64;
        let mut len = 0;
        while rest >= 100 {
            word = (word << 16) | u64::from(DIGIT_PAIRS[(rest % 100) as usize]);
            len += 2;
            rest /= 100;
        }
        if rest >= 10 {
            word = (word << 16) | u64::from(DIGIT_PAIRS[rest as usize]);
            len += 2;
        } else {
            word = (word << 8) | u64::from(b'0' + rest as u8);
            len += 1;
        }
        let at = buf.len();
        buf.extend_from_slice(&word.to_le_bytes());
        buf.truncate(at + len);
        return;
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    while rest > 0 {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buf.extend_from_slice(&digits[at..]);
}

/// A string known to need no escape (a name from the program, such as an entity type),
/// between quotes.
fn plain(buf: &mut Vec<u8>, s: &'static str) {
    debug_assert!(!needs_escape(s.as_bytes()), "{s:?}");
    buf.reserve(s.len() + 2);
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, and
/// `\u00xx` (lower-case hex) for the other control characters; everything else, `/`, DEL
/// and non-ASCII included, as is.
///
/// The most common strings (ids, names and mentions of 8 to 16 bytes without escapes) are
/// read and written inline as two overlapping words each: the call and the general path
/// cost about twice as much (measured: 0.46 M fewer instructions on 500 articles; with a
/// plain `#[inline]` the compiler kept the call).
#[inline(always)]
fn string(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len();
    if (8..=16).contains(&n) {
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let (head, tail) = (word(0), word(n - 8));
        if !special_in_word(head) && !special_in_word(tail) {
            let at = buf.len();
            // Quotes for the longest, the words written over them, cut to length.
            buf.extend_from_slice(&[b'"'; 18]);
            buf[at + 1..at + 9].copy_from_slice(&head.to_le_bytes());
            buf[at + n - 7..at + n + 1].copy_from_slice(&tail.to_le_bytes());
            buf.truncate(at + n + 2);
            return;
        }
    }
    any_string(buf, s);
}

/// [`string`] of any string.
#[inline(never)]
fn any_string(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if needs_escape(bytes) {
        buf.reserve(bytes.len() + 2);
        buf.push(b'"');
        escape(buf, bytes);
        buf.push(b'"');
    } else {
        // Nearly every string: one check, one copy.
        quoted(buf, bytes);
    }
}

/// `bytes` between quotes. Strings of up to 16 bytes (most names, ids and mentions) are
/// copied as two overlapping fixed-size pieces, cheaper than a copy call.
fn quoted(buf: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    let at = buf.len();
    if (4..=16).contains(&n) {
        // Room for the longest: quote, 16 bytes, quote; cut to length below.
        buf.extend_from_slice(&[b'"'; 18]);
        let out = &mut buf[at + 1..at + 1 + n];
        if n >= 8 {
            out[..8].copy_from_slice(&bytes[..8]);
            out[n - 8..].copy_from_slice(&bytes[n - 8..]);
        } else {
            out[..4].copy_from_slice(&bytes[..4]);
            out[n - 4..].copy_from_slice(&bytes[n - 4..]);
        }
        buf[at + 1 + n] = b'"';
        buf.truncate(at + n + 2);
    } else {
        buf.reserve(n + 2);
        buf.push(b'"');
        buf.extend_from_slice(bytes);
        buf.push(b'"');
    }
}

/// Whether a byte needs an escape: below 0x20, `"` or `\`.
const fn special_byte(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether some byte of `bytes` needs an escape. Long strings are read 16 bytes at a time
/// without a branch per byte (the compiler makes vector compares of it), the last 16
/// overlapping the ones before; 8 to 15 bytes as two overlapping words.
fn needs_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let chunk_special = |c: &[u8; 16]| c.iter().fold(false, |found, &b| found | special_byte(b));
    if n >= 16 {
        let mut chunks = bytes.chunks_exact(16);
        if chunks.any(|c| chunk_special(c.try_into().unwrap())) {
            return true;
        }
        chunk_special(bytes[n - 16..].try_into().unwrap())
    } else if n >= 8 {
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        special_in_word(word(0)) || special_in_word(word(n - 8))
    } else {
        bytes.iter().any(|&b| special_byte(b))
    }
}

/// Whether some byte of the word is below 0x20, a `"` or a `\` (may say yes wrongly
/// after a byte that is; never says no wrongly).
fn special_in_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (control | zero(quote) | zero(backslash)) & HIGHS != 0
}

/// Writes `bytes` with the escapes of [`string`] (without the quotes).
fn escape(buf: &mut Vec<u8>, bytes: &[u8]) {
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => br#"\""#,
            b'\\' => br"\\",
            0x08 => br"\b",
            b'\t' => br"\t",
            b'\n' => br"\n",
            0x0c => br"\f",
            b'\r' => br"\r",
            0..=0x1f => b"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[run..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            buf.extend_from_slice(escape);
        }
        run = i + 1;
    }
    buf.extend_from_slice(&bytes[run..]);
}

#[cfg(test)]
mod tests {
    use crate::graph::{Ambiguity, KnowledgeGraph};

    /// The hand-written line equals serde_json's, byte for byte.
    fn same_as_serde(g: &KnowledgeGraph) {
        let mut want = serde_json::to_vec(g).unwrap();
        want.push(b'\n');
        let mut got = Vec::new();
        super::json_line(g, &mut got).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn numbers_are_written_as_serde_writes_them() {
        let mut numbers: Vec<u64> = (0..1_000).collect();
        for digits in 1..=20 {
            let p = 10u64.saturating_pow(digits);
            numbers.extend([
                p - 1,
                p,
                p.saturating_add(1),
                p / 3,
                p.saturating_mul(7) / 9,
            ]);
        }
        numbers.extend([99_999_999, 100_000_000, u64::from(u32::MAX), u64::MAX]);
        for n in numbers {
            let mut got = b"x".to_vec();
            super::uint(&mut got, n);
            assert_eq!(got[1..], serde_json::to_vec(&n).unwrap(), "{n}");
        }
    }

    #[test]
    fn strings_of_every_length_are_quoted() {
        for len in 0..40 {
            let s: String = ('a'..='z').cycle().take(len).collect();
            let mut got = b"[".to_vec();
            super::string(&mut got, &s);
            assert_eq!(got[1..], serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        for len in 0..40 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{7f}', 'é'] {
                    let mut s: String = "a".repeat(len);
                    s.replace_range(at..at + 1, &special.to_string());
                    let mut got = Vec::new();
                    super::string(&mut got, &s);
                    assert_eq!(got, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn json_line_is_what_serde_writes() {
        same_as_serde(&KnowledgeGraph::new());
        let mut g = crate::export::tests::fixture();
        same_as_serde(&g);
        // Every escape, every optional field, long and short strings.
        let all_bytes: String = (0u8..128).map(char::from).collect();
        let mut odd = crate::export::tests::fixture()
            .nodes()
            .next()
            .unwrap()
            .clone();
        odd.id = "odd".into();
        odd.name = format!("{all_bytes} é 中文 \u{2028} {all_bytes}{all_bytes}\\\"");
        odd.subtype = Some("a\u{7f}b/c".into());
        odd.aliases = vec!["\"quoted\"".into(), String::new(), "x\ty".into()];
        odd.mentions[0].via = Some("surname".into());
        odd.mentions[0].ambiguity = Some(Ambiguity {
            chosen_by: "context".into(),
            over: vec!["a".into(), "b\nc".into()],
        });
        odd.references = odd.mentions.clone();
        odd.background = true;
        g.add_node(odd);
        g.add_background_relation("odd", "located_in", "paris");
        g.add_relation(
            "odd",
            "met_with",
            "acme",
            [("k\u{1}".to_string(), "v\u{1f}".to_string())].into(),
            vec![],
        );
        same_as_serde(&g);
        let long = "x".repeat(1_000_000);
        g.add_document(crate::graph::DocumentInfo {
            id: long,
            chars: usize::MAX,
        });
        same_as_serde(&g);
    }
}
