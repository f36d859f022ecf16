//! GraphML, for networkx (`networkx.read_graphml`), Gephi, yEd and Cytoscape.
//!
//! Every attribute is declared once with a typed `<key>` (`string`, `int` or `boolean`);
//! keys are generated (`g0`, `n0`, `e0`, ...), so no attribute name is ever an XML name.
//! The graph is a directed multigraph: each edge has an `id` (`e0`, `e1`, ...), which
//! networkx uses as the multigraph key.
//!
//! | element | attribute | type | value |
//! | --- | --- | --- | --- |
//! | graph | `format`, `version`, `documents` | string, int, string | `kgbuild`, 1, the documents as a JSON array |
//! | node | `label` | string | the name (the label Gephi shows) |
//! | node | `name`, `type`, `subtype` | string | as in the JSON |
//! | node | `aliases`, `mentions` | string | JSON arrays |
//! | node | `background` | boolean | true for a node only a background fact brings in (`--background`) |
//! | edge | `label`, `predicate` | string | the predicate |
//! | edge | `key` | int | the node-link multigraph key |
//! | edge | `symmetric` | boolean | true for `met_with`: the edge is undirected |
//! | edge | `date`, `location`, ... | string | one key per edge attribute name in the graph |
//! | edge | `evidence` | string | a JSON array of `{doc, start, end, text, rule}` |
//! | edge | `evidence_count` | int | how many pieces of evidence |
//! | edge | `background` | boolean | true for a fact from the gazetteer, not the text (`--background`) |
//!
//! GraphML cannot mix directed and undirected edges in a way networkx reads, so the one
//! `met_with` edge stays directed (smaller id to larger) and carries `symmetric=true`.
//! An edge attribute whose name is taken by one of the fixed edge attributes is written as
//! `attr_<name>`. An empty text is left out (`<data>` elements with no text read back
//! differently in different tools).
//!
//! All text goes through [`escape`], the one escaping helper. XML 1.0 cannot hold most
//! control characters at all, even as references, so those are dropped from plain texts
//! (names, ids, attributes); everything else (any Unicode, quotes, `<>&`, newlines, tabs)
//! reads back exactly. The JSON-valued attributes (`aliases`, `mentions`, `evidence`,
//! `documents`) escape those characters the JSON way, so they lose nothing.

use std::collections::BTreeSet;
use std::io::Write;

use crate::error::Error;
use crate::graph::KnowledgeGraph;

/// Fixed edge attributes; an edge attribute of the same name becomes `attr_<name>`.
const EDGE_FIXED: &[&str] = &[
    "label",
    "predicate",
    "key",
    "symmetric",
    "evidence",
    "evidence_count",
    "background",
    "id",
];

/// Escapes text for XML character data and attribute values: `&<>"'` as entities; tab,
/// newline and carriage return as character references (so attribute values keep them);
/// characters XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) dropped.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' => s.push_str("&#9;"),
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => s.push(c),
        }
    }
    s
}

/// The name an edge attribute is written under.
fn edge_attribute_name(name: &str) -> String {
    if EDGE_FIXED.contains(&name) {
        format!("attr_{name}")
    } else {
        name.to_string()
    }
}

struct Key {
    id: String,
    domain: &'static str,
    name: String,
    ty: &'static str,
}

/// JSON text for a list-valued attribute. serde_json escapes control characters but
/// writes U+FFFE and U+FFFF as they are, which XML cannot hold: those become `\uFFFE`
/// and `\uFFFF` (they only occur inside JSON strings), so JSON values lose nothing.
fn json(value: &impl serde::Serialize) -> String {
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('\u{fffe}', "\\uFFFE")
        .replace('\u{ffff}', "\\uFFFF")
}

/// Writes the graph as GraphML.
///
/// # Errors
/// Write errors.
pub fn write_graphml(graph: &KnowledgeGraph, out: &mut dyn Write) -> Result<(), Error> {
    let mut keys: Vec<Key> = Vec::new();
    let mut key = |domain: &'static str, prefix: &str, name: &str, ty: &'static str| {
        let n = keys.iter().filter(|k| k.domain == domain).count();
        keys.push(Key {
            id: format!("{prefix}{n}"),
            domain,
            name: name.to_string(),
            ty,
        });
        format!("{prefix}{n}")
    };
    let g_format = key("graph", "g", "format", "string");
    let g_version = key("graph", "g", "version", "int");
    let g_documents = key("graph", "g", "documents", "string");
    let n_label = key("node", "n", "label", "string");
    let n_name = key("node", "n", "name", "string");
    let n_type = key("node", "n", "type", "string");
    let n_subtype = key("node", "n", "subtype", "string");
    let n_aliases = key("node", "n", "aliases", "string");
    let n_mentions = key("node", "n", "mentions", "string");
    let n_background = key("node", "n", "background", "boolean");
    let e_label = key("edge", "e", "label", "string");
    let e_predicate = key("edge", "e", "predicate", "string");
    let e_key = key("edge", "e", "key", "int");
    let e_symmetric = key("edge", "e", "symmetric", "boolean");
    let e_evidence = key("edge", "e", "evidence", "string");
    let e_count = key("edge", "e", "evidence_count", "int");
    let e_background = key("edge", "e", "background", "boolean");
    let attribute_names: BTreeSet<&str> = graph
        .edges()
        .flat_map(|e| e.attributes.keys().map(String::as_str))
        .collect();
    let attribute_keys: Vec<(&str, String)> = attribute_names
        .into_iter()
        .map(|a| (a, key("edge", "e", &edge_attribute_name(a), "string")))
        .collect();

    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns \
         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    );
    for k in &keys {
        s.push_str(&format!(
            "  <key id=\"{}\" for=\"{}\" attr.name=\"{}\" attr.type=\"{}\"/>\n",
            k.id,
            k.domain,
            escape(&k.name),
            k.ty
        ));
    }
    s.push_str("  <graph id=\"kgbuild\" edgedefault=\"directed\">\n");
    // An empty value is left out: readers give a missing attribute its default, but read
    // `<data></data>` differently (networkx makes it the string "None").
    let data = |s: &mut String, indent: &str, key: &str, value: &str| {
        let value = escape(value);
        if !value.is_empty() {
            s.push_str(&format!("{indent}<data key=\"{key}\">{value}</data>\n"));
        }
    };
    data(&mut s, "    ", &g_format, "kgbuild");
    data(
        &mut s,
        "    ",
        &g_version,
        &crate::graph::FORMAT_VERSION.to_string(),
    );
    data(&mut s, "    ", &g_documents, &json(&graph.documents()));
    for n in graph.nodes() {
        s.push_str(&format!("    <node id=\"{}\">\n", escape(&n.id)));
        data(&mut s, "      ", &n_label, &n.name);
        data(&mut s, "      ", &n_name, &n.name);
        data(&mut s, "      ", &n_type, n.etype.as_str());
        if let Some(sub) = &n.subtype {
            data(&mut s, "      ", &n_subtype, sub);
        }
        data(&mut s, "      ", &n_aliases, &json(&n.aliases));
        data(&mut s, "      ", &n_mentions, &json(&n.mentions));
        data(&mut s, "      ", &n_background, &n.background.to_string());
        s.push_str("    </node>\n");
    }
    for (i, e) in graph.edges().enumerate() {
        s.push_str(&format!(
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\">\n",
            escape(&e.source),
            escape(&e.target)
        ));
        data(&mut s, "      ", &e_label, &e.predicate);
        data(&mut s, "      ", &e_predicate, &e.predicate);
        data(&mut s, "      ", &e_key, &e.key.to_string());
        let symmetric = super::is_symmetric(&e.predicate);
        data(&mut s, "      ", &e_symmetric, &symmetric.to_string());
        for (name, value) in &e.attributes {
            if let Some((_, k)) = attribute_keys.iter().find(|(a, _)| a == name) {
                data(&mut s, "      ", k, value);
            }
        }
        data(&mut s, "      ", &e_evidence, &json(&e.evidence));
        data(&mut s, "      ", &e_count, &e.evidence.len().to_string());
        data(&mut s, "      ", &e_background, &e.background.to_string());
        s.push_str("    </edge>\n");
    }
    s.push_str("  </graph>\n</graphml>\n");
    out.write_all(s.as_bytes())
        .map_err(|e| super::io_err("graphml", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_whitespace_and_forbidden_characters() {
        assert_eq!(
            escape("a<b>&\"c'\t\n\r\u{0}\u{1b}\u{fffe}é"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#9;&#10;&#13;é"
        );
    }

    #[test]
    fn golden_fixture() {
        let g = crate::export::tests::fixture();
        let mut out = Vec::new();
        write_graphml(&g, &mut out).unwrap();
        crate::export::tests::golden("fixture.graphml", out);
    }
}
