//! Cypher: a script of `MERGE` statements that loads the graph into Neo4j
//! (`cypher-shell -f graph.cypher`, or paste it into Neo4j Browser).
//!
//! - One statement a line, each ending with `;`. The first creates a uniqueness constraint
//!   on `:Entity(id)` (Neo4j 5 syntax), so the `MERGE`s use an index.
//! - A document is `(:Document {id})` with `chars`.
//! - An entity is `(:Entity {id})` with a second label for its type (`:Person`,
//!   `:Organization`, `:Location`, `:Misc`) and the properties `name`, `type`, `subtype`
//!   (when known), `aliases` (a list), and its mentions as parallel lists
//!   `mention_doc`, `mention_start`, `mention_end`, `mention_text`, `mention_via` (`""`
//!   for the name), since Neo4j properties cannot hold maps; `background: true` for a node
//!   only a background fact brings in (`--background`).
//! - A relation is a relationship whose type is the predicate in upper case (`MET_WITH`,
//!   `SPOKESMAN_OF`; characters other than letters, digits and `_` become `_`), merged on
//!   the exact `predicate` property. It has `key`, `symmetric` (true for `met_with`),
//!   every attribute as a string property (`date`, `location`: the place's id; a name
//!   taken by a fixed property, or not a plain identifier, is written `attr_<name>` with
//!   other characters as `_`), and the evidence as parallel lists `evidence_doc`,
//!   `evidence_start`, `evidence_end`, `evidence_text`, `evidence_rule`, and `background`
//!   (true for a fact from the gazetteer, not from the text).
//! - `met_with` is undirected in meaning. Neo4j relationships always have a direction, so
//!   it is stored once, from the smaller id to the larger, with `symmetric: true`; match it
//!   without an arrow: `MATCH (a)-[:MET_WITH]-(b)`.
//!
//! Running the script twice changes nothing: every statement is a `MERGE` then `SET`.
//!
//! Strings go through [`escape`], the one escaping helper; labels, relationship types and
//! property names are generated from a fixed set or reduced to `[A-Za-z0-9_]`, so no text
//! is ever read as Cypher.

use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// Fixed relationship properties; an attribute of the same name becomes `attr_<name>`.
const EDGE_FIXED: &[&str] = &[
    "predicate",
    "key",
    "symmetric",
    "evidence_doc",
    "evidence_start",
    "evidence_end",
    "evidence_text",
    "evidence_rule",
    "background",
];

/// Escapes text as a single-quoted Cypher string literal (quotes included): `\` and `'`
/// and `"` escaped, newline, carriage return and tab as `\n` `\r` `\t`, every other control
/// character as `\uXXXX`.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('\'');
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{:04X}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// `[A-Za-z0-9_]` only, other characters as `_`.
fn identifier(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The relationship type of a predicate.
fn rel_type(predicate: &str) -> String {
    let t = identifier(predicate).to_ascii_uppercase();
    if t.starts_with(|c: char| c.is_ascii_alphabetic()) {
        t
    } else {
        format!("REL_{t}")
    }
}

/// The property name of an edge attribute.
fn property(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !EDGE_FIXED.contains(&name) {
        name.to_string()
    } else {
        format!("attr_{}", identifier(name))
    }
}

fn list<T>(items: impl IntoIterator<Item = T>, show: impl Fn(T) -> String) -> String {
    let parts: Vec<String> = items.into_iter().map(show).collect();
    format!("[{}]", parts.join(", "))
}

/// Writes the graph as a Cypher script.
///
/// # Errors
/// Write errors.
pub fn write_cypher(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let mut s = String::new();
    s.push_str(&format!(
        "// kgbuild graph (format version {}): {} entities, {} relations.\n\
         // Load with: cypher-shell -f graph.cypher\n",
        crate::graph::FORMAT_VERSION,
        graph.node_count(),
        graph.edge_count()
    ));
    s.push_str(
        "CREATE CONSTRAINT kgbuild_entity_id IF NOT EXISTS \
         FOR (n:Entity) REQUIRE n.id IS UNIQUE;\n",
    );
    for d in graph.documents() {
        s.push_str(&format!(
            "MERGE (d:Document {{id: {}}}) SET d.chars = {};\n",
            escape(&d.id),
            d.chars
        ));
    }
    for n in graph.nodes() {
        s.push_str(&format!(
            "MERGE (n:Entity {{id: {}}}) SET n:{}, n.name = {}, n.type = {}",
            escape(&n.id),
            n.etype.as_str(),
            escape(&n.name),
            escape(n.etype.as_str())
        ));
        if let Some(sub) = &n.subtype {
            s.push_str(&format!(", n.subtype = {}", escape(sub)));
        }
        let m = &n.mentions;
        s.push_str(&format!(
            ", n.aliases = {}, n.mention_doc = {}, n.mention_start = {}, n.mention_end = {}, \
             n.mention_text = {}, n.mention_via = {}",
            list(&n.aliases, |a| escape(a)),
            list(m, |m| escape(&m.doc)),
            list(m, |m| m.start.to_string()),
            list(m, |m| m.end.to_string()),
            list(m, |m| escape(&m.text)),
            list(m, |m| escape(m.via.as_deref().unwrap_or(""))),
        ));
        if n.background {
            s.push_str(", n.background = true");
        }
        s.push_str(";\n");
    }
    for e in graph.edges() {
        s.push_str(&format!(
            "MATCH (a:Entity {{id: {}}}), (b:Entity {{id: {}}}) \
             MERGE (a)-[r:{} {{predicate: {}}}]->(b) SET r.key = {}, r.symmetric = {}, \
             r.background = {}",
            escape(&e.source),
            escape(&e.target),
            rel_type(&e.predicate),
            escape(&e.predicate),
            e.key,
            super::is_symmetric(&e.predicate),
            e.background
        ));
        for (k, v) in &e.attributes {
            s.push_str(&format!(", r.{} = {}", property(k), escape(v)));
        }
        let ev = &e.evidence;
        s.push_str(&format!(
            ", r.evidence_doc = {}, r.evidence_start = {}, r.evidence_end = {}, \
             r.evidence_text = {}, r.evidence_rule = {};\n",
            list(ev, |x| escape(&x.doc)),
            list(ev, |x| x.start.to_string()),
            list(ev, |x| x.end.to_string()),
            list(ev, |x| escape(&x.text)),
            list(ev, |x| escape(&x.rule)),
        ));
    }
    out.write_all(s.as_bytes())
        .map_err(|e| super::io_err("cypher", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_quotes_and_controls() {
        assert_eq!(
            escape("O'Brien \"x\" \\ \n\r\t\u{0}é"),
            r#"'O\'Brien \"x\" \\ \n\r\t\u0000é'"#
        );
    }

    #[test]
    fn generated_names_are_identifiers() {
        assert_eq!(rel_type("met_with"), "MET_WITH");
        assert_eq!(rel_type("1 `x`}"), "REL_1__X__");
        assert_eq!(property("date"), "date");
        assert_eq!(property("key"), "attr_key");
        assert_eq!(property("a b`"), "attr_a_b_");
    }

    #[test]
    fn golden_fixture() {
        let g = crate::export::tests::fixture();
        let mut out = Vec::new();
        write_cypher(&g, &mut out).unwrap();
        crate::export::tests::golden("fixture.cypher", out);
    }
}
