//! JSON: networkx node-link (`networkx.node_link_graph(data, edges="edges")`).
//!
//! Pretty JSON goes through serde. One-line JSON (`--jsonl`, one graph per record) is
//! written by hand, straight from the graph into a byte buffer: it is what the JSON Lines
//! driver spends its output time on, and serde's per-field calls and byte-at-a-time string
//! escaping cost more than the rest of the output. It writes exactly what
//! `serde_json::to_writer` writes for the graph (same fields in the same order, same
//! escapes, same numbers); a test compares the two.

use std::io::Write;

use crate::error::Error;
use crate::graph::{Edge, Evidence, KnowledgeGraph, Mention, Node};

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
    uint(buf, u64::from(crate::graph::FORMAT_VERSION));
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
        buf.extend_from_slice(br#"{"doc":"#);
        string(buf, &m.doc);
        buf.extend_from_slice(br#","start":"#);
        uint(buf, m.start as u64);
        buf.extend_from_slice(br#","end":"#);
        uint(buf, m.end as u64);
        buf.extend_from_slice(br#","text":"#);
        string(buf, &m.text);
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
    buf.extend_from_slice(br#"{"source":"#);
    string(buf, &e.source);
    buf.extend_from_slice(br#","target":"#);
    string(buf, &e.target);
    buf.extend_from_slice(br#","key":"#);
    uint(buf, e.key as u64);
    buf.extend_from_slice(br#","predicate":"#);
    string(buf, &e.predicate);
    buf.extend_from_slice(br#","attributes":{"#);
    separated(buf, e.attributes.iter(), |buf, (k, v)| {
        string(buf, k);
        buf.push(b':');
        string(buf, v);
    });
    buf.extend_from_slice(br#"},"evidence":["#);
    separated(buf, e.evidence.iter(), evidence);
    buf.extend_from_slice(br#"],"count":"#);
    uint(buf, e.count as u64);
    if e.background {
        buf.extend_from_slice(br#","background":true"#);
    }
    buf.push(b'}');
}

fn evidence(buf: &mut Vec<u8>, ev: &Evidence) {
    buf.extend_from_slice(br#"{"doc":"#);
    string(buf, &ev.doc);
    buf.extend_from_slice(br#","start":"#);
    uint(buf, ev.start as u64);
    buf.extend_from_slice(br#","end":"#);
    uint(buf, ev.end as u64);
    buf.extend_from_slice(br#","text":"#);
    string(buf, &ev.text);
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

/// A number in decimal, as serde_json writes it.
fn uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

/// A JSON string with serde_json's escapes: `\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, and
/// `\u00xx` (lower-case hex) for the other control characters; everything else, `/`, DEL
/// and non-ASCII included, as is.
fn string(buf: &mut Vec<u8>, s: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    /// Whether some byte of the word is below 0x20, a `"` or a `\` (may say yes wrongly
    /// after a byte that is; never says no wrongly).
    fn special(w: u64) -> bool {
        let control = w.wrapping_sub(ONES * 0x20) & !w;
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        (control | zero(quote) | zero(backslash)) & HIGHS != 0
    }
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut run = 0;
    let mut i = 0;
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    while i < bytes.len() {
        if i + 8 <= bytes.len() {
            if !special(word(i)) {
                i += 8;
                continue;
            }
        } else if bytes.len() >= 8 && !special(word(bytes.len() - 8)) {
            // The last few bytes, read as the last word of the string (overlapping bytes
            // already read): none needs an escape.
            break;
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => br#"\""#,
            b'\\' => br"\\",
            0x08 => br"\b",
            b'\t' => br"\t",
            b'\n' => br"\n",
            0x0c => br"\f",
            b'\r' => br"\r",
            0..=0x1f => b"",
            _ => {
                i += 1;
                continue;
            }
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
        i += 1;
        run = i;
    }
    buf.extend_from_slice(&bytes[run..]);
    buf.push(b'"');
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
    fn strings_are_escaped_as_serde_escapes_them() {
        for len in 0..24 {
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
