//! RDF, as N-Triples (`.nt`) or Turtle (`.ttl`), for triple stores and SPARQL.
//!
//! # Terms
//!
//! - An entity is `<BASE` + its id, percent-encoded `>` (base [`DEFAULT_BASE_IRI`] unless
//!   set), with `rdf:type` one of `schema:Person`, `schema:Organization`, `schema:Place`
//!   (Location) or `schema:Thing` (Misc), `rdfs:label` (the name), `schema:alternateName`
//!   (each alias), `kgv:id`, `kgv:type`, `kgv:subtype`, and one `kgv:mention` per mention
//!   (a blank node with `kgv:document`, `kgv:start`, `kgv:end`, `kgv:text`, `kgv:via`).
//! - A document is `<BASE` + `document/` + its id, percent-encoded `>`: `a kgv:Document`,
//!   `kgv:id`, `kgv:chars`.
//! - A relation is one triple `entity kgv:<predicate> entity`, plus a reification (the
//!   RDF 1.1 way to talk about a triple; every parser reads it): a blank node
//!   `_:r<i> a rdf:Statement` with `rdf:subject`, `rdf:predicate`, `rdf:object`, `kgv:key`,
//!   its attributes (`kgv:date` typed `xsd:date`, `xsd:gYearMonth` or `xsd:gYear`;
//!   `kgv:location` the place's IRI; any other attribute `kgv:<name>` as a string, or
//!   `kgv:attr_<name>` for `key`, `evidence` and `background`), and
//!   one `kgv:evidence` blank node per piece of evidence with `kgv:document`, `kgv:start`,
//!   `kgv:end` (byte offsets, `xsd:integer`), `kgv:text` and `kgv:rule`. A background fact
//!   (`--background`: from the gazetteer, not from a text) has no evidence and its statement
//!   carries `kgv:background true`; so does an entity only such a fact brings in.
//!
//! Our predicates live in the vocabulary [`VOCAB`] (prefix `kgv:`). The file declares each
//! predicate it uses as an `owl:ObjectProperty` with an `rdfs:label`, and links it to
//! Wikidata where a property means the same ([`wikidata`]): `owl:equivalentProperty`, or
//! `owl:inverseOf` where Wikidata's runs the other way (P35 "head of state" runs from the
//! country to the person). `met_with` is an `owl:SymmetricProperty`: its one triple runs
//! from the smaller id to the larger, and a query that ignores OWL asks for both
//! directions (`?a kgv:met_with|^kgv:met_with ?b`).
//!
//! # Escaping
//!
//! Literals go through [`escape`], the one escaping helper: `\` `"` and line breaks as
//! escapes, every other control character as `\uXXXX`; all text, control characters
//! included, parses back exactly. Ids, document ids and predicates become IRIs only
//! percent-encoded ([`iri_segment`]), so no text can end an IRI early.

use std::collections::BTreeSet;
use std::io::Write;

use crate::error::Error;
use crate::gazetteer::EntityType;
use crate::graph::KnowledgeGraph;

/// The base of entity and document IRIs when none is given.
pub const DEFAULT_BASE_IRI: &str = "urn:kgbuild:entity:";

/// The vocabulary of our predicates and evidence terms.
pub const VOCAB: &str = "urn:kgbuild:vocab:";

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
const OWL: &str = "http://www.w3.org/2002/07/owl#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const SCHEMA: &str = "http://schema.org/";
const WDT: &str = "http://www.wikidata.org/prop/direct/";

/// Prefixes written by the Turtle writer, longest namespace first where one contains
/// another.
const PREFIXES: &[(&str, &str)] = &[
    ("rdf", RDF),
    ("rdfs", RDFS),
    ("owl", OWL),
    ("xsd", XSD),
    ("schema", SCHEMA),
    ("wdt", WDT),
    ("kgv", VOCAB),
];

/// How a predicate of ours relates to a Wikidata property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WikidataLink {
    /// Same subject, same object: `owl:equivalentProperty`.
    Equivalent(&'static str),
    /// Wikidata's runs from our object to our subject: `owl:inverseOf`.
    InverseOf(&'static str),
}

/// The Wikidata property of a bundled predicate, where one means the same:
///
/// | predicate | Wikidata |
/// | --- | --- |
/// | `works_for` | P108 employer |
/// | `president_of` | inverse of P35 head of state |
/// | `prime_minister_of`, `chancellor_of`, `mayor_of`, `governor_of` | inverse of P6 head of government |
/// | `member_of` | P463 member of |
/// | `located_in` | P131 located in the administrative territorial entity |
/// | `based_in` | P159 headquarters location |
/// | `citizen_of` | P27 country of citizenship |
///
/// The other roles (`vice_president_of`, `foreign_minister_of`, `minister_of`,
/// `secretary_of_state_of`, `spokesman_of`, `leader_of`) are P39 "position held" in Wikidata, whose object is a
/// position item ("Minister of Foreign Affairs of Russia"), not the country: there is no
/// one-property equivalent, so none is declared. `met_with` and `reported_by` have none.
pub fn wikidata(predicate: &str) -> Option<WikidataLink> {
    Some(match predicate {
        "works_for" => WikidataLink::Equivalent("P108"),
        "president_of" => WikidataLink::InverseOf("P35"),
        "prime_minister_of" | "chancellor_of" | "mayor_of" | "governor_of" => {
            WikidataLink::InverseOf("P6")
        }
        "member_of" => WikidataLink::Equivalent("P463"),
        "located_in" => WikidataLink::Equivalent("P131"),
        "based_in" => WikidataLink::Equivalent("P159"),
        "citizen_of" => WikidataLink::Equivalent("P27"),
        _ => return None,
    })
}

/// Checks a base IRI: absolute (a scheme such as `https:` or `urn:`), and free of the
/// characters an IRI cannot hold (space, controls, `<>"{}|^\` and backquote).
///
/// # Errors
/// An [`ErrorKind::Export`](crate::ErrorKind::Export) that says what is wrong.
pub fn check_base_iri(iri: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::export("rdf", format!("base IRI `{iri}`: {why}")));
    let Some((scheme, _)) = iri.split_once(':') else {
        return bad("not absolute: it needs a scheme such as `https:` or `urn:`");
    };
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return bad("not absolute: it needs a scheme such as `https:` or `urn:`");
    }
    if let Some(c) = iri
        .chars()
        .find(|&c| c <= ' ' || c.is_control() || "<>\"{}|^`\\".contains(c))
    {
        return bad(&format!("{c:?} is not allowed in an IRI"));
    }
    Ok(())
}

/// Escapes text for the inside of a `"..."` literal (N-Triples and Turtle alike).
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{:04X}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

/// Percent-encodes text for one IRI segment: everything but `A-Z a-z 0-9 - . _ ~`.
pub fn iri_segment(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Terms of the vocabulary a relation's statement uses itself; an edge attribute of the
/// same name is written `kgv:attr_<name>`.
const STATEMENT_FIXED: &[&str] = &["key", "evidence", "background"];

/// The local name of an edge attribute in the vocabulary.
fn attribute_name(name: &str) -> String {
    if STATEMENT_FIXED.contains(&name) {
        format!("attr_{}", iri_segment(name))
    } else {
        iri_segment(name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Iri(String),
    Blank(String),
    Literal(String, Option<&'static str>),
}

type Triple = (Term, Term, Term);

fn iri(ns: &str, local: &str) -> Term {
    Term::Iri(format!("{ns}{local}"))
}

fn string(text: &str) -> Term {
    Term::Literal(text.to_string(), None)
}

fn integer(n: usize) -> Term {
    Term::Literal(n.to_string(), Some("integer"))
}

fn boolean(b: bool) -> Term {
    Term::Literal(b.to_string(), Some("boolean"))
}

/// A date attribute with its XSD type, when it has one of the forms the rules write.
fn date(text: &str) -> Term {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = text.split('-').collect();
    let ty = match parts.as_slice() {
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => Some("date"),
        [y, m] if digits(y, 4) && digits(m, 2) => Some("gYearMonth"),
        [y] if digits(y, 4) => Some("gYear"),
        _ => None,
    };
    Term::Literal(text.to_string(), ty)
}

fn class(t: EntityType) -> &'static str {
    match t {
        EntityType::Person => "Person",
        EntityType::Organization => "Organization",
        EntityType::Location => "Place",
        EntityType::Misc => "Thing",
    }
}

/// The triples of a graph, in a fixed order: vocabulary, documents, entities, relations.
fn triples(graph: &KnowledgeGraph, base: &str) -> Vec<Triple> {
    let mut t: Vec<Triple> = Vec::new();
    let a = || iri(RDF, "type");
    let entity = |id: &str| Term::Iri(format!("{base}{}", iri_segment(id)));
    let document = |id: &str| Term::Iri(format!("{base}document/{}", iri_segment(id)));
    let predicate = |p: &str| iri(VOCAB, &iri_segment(p));

    let used: BTreeSet<&str> = graph.edges().map(|e| e.predicate.as_str()).collect();
    for p in used {
        t.push((predicate(p), a(), iri(OWL, "ObjectProperty")));
        if super::is_symmetric(p) {
            t.push((predicate(p), a(), iri(OWL, "SymmetricProperty")));
        }
        t.push((predicate(p), iri(RDFS, "label"), string(p)));
        match wikidata(p) {
            Some(WikidataLink::Equivalent(w)) => {
                t.push((predicate(p), iri(OWL, "equivalentProperty"), iri(WDT, w)));
            }
            Some(WikidataLink::InverseOf(w)) => {
                t.push((predicate(p), iri(OWL, "inverseOf"), iri(WDT, w)));
            }
            None => {}
        }
    }
    for d in graph.documents() {
        let s = document(&d.id);
        t.push((s.clone(), a(), iri(VOCAB, "Document")));
        t.push((s.clone(), iri(VOCAB, "id"), string(&d.id)));
        t.push((s, iri(VOCAB, "chars"), integer(d.chars)));
    }
    for (i, n) in graph.nodes().enumerate() {
        let s = entity(&n.id);
        t.push((s.clone(), a(), iri(SCHEMA, class(n.etype))));
        t.push((s.clone(), iri(RDFS, "label"), string(&n.name)));
        t.push((s.clone(), iri(VOCAB, "id"), string(&n.id)));
        t.push((s.clone(), iri(VOCAB, "type"), string(n.etype.as_str())));
        if let Some(sub) = &n.subtype {
            t.push((s.clone(), iri(VOCAB, "subtype"), string(sub)));
        }
        for alias in &n.aliases {
            t.push((s.clone(), iri(SCHEMA, "alternateName"), string(alias)));
        }
        if n.background {
            t.push((s.clone(), iri(VOCAB, "background"), boolean(true)));
        }
        for (j, m) in n.mentions.iter().enumerate() {
            let b = Term::Blank(format!("n{i}m{j}"));
            t.push((s.clone(), iri(VOCAB, "mention"), b.clone()));
            t.push((b.clone(), iri(VOCAB, "document"), document(&m.doc)));
            t.push((b.clone(), iri(VOCAB, "start"), integer(m.start)));
            t.push((b.clone(), iri(VOCAB, "end"), integer(m.end)));
            t.push((b.clone(), iri(VOCAB, "text"), string(&m.text)));
            if let Some(via) = &m.via {
                t.push((b, iri(VOCAB, "via"), string(via)));
            }
        }
    }
    for (i, e) in graph.edges().enumerate() {
        let (s, p, o) = (
            entity(&e.source),
            predicate(&e.predicate),
            entity(&e.target),
        );
        t.push((s.clone(), p.clone(), o.clone()));
        let r = Term::Blank(format!("r{i}"));
        t.push((r.clone(), a(), iri(RDF, "Statement")));
        t.push((r.clone(), iri(RDF, "subject"), s));
        t.push((r.clone(), iri(RDF, "predicate"), p));
        t.push((r.clone(), iri(RDF, "object"), o));
        t.push((r.clone(), iri(VOCAB, "key"), integer(e.key)));
        if e.background {
            t.push((r.clone(), iri(VOCAB, "background"), boolean(true)));
        }
        for (k, v) in &e.attributes {
            let value = match k.as_str() {
                "date" => date(v),
                "location" if graph.node(v).is_some() => entity(v),
                _ => string(v),
            };
            t.push((r.clone(), iri(VOCAB, &attribute_name(k)), value));
        }
        for (j, ev) in e.evidence.iter().enumerate() {
            let b = Term::Blank(format!("r{i}e{j}"));
            t.push((r.clone(), iri(VOCAB, "evidence"), b.clone()));
            t.push((b.clone(), a(), iri(VOCAB, "Evidence")));
            t.push((b.clone(), iri(VOCAB, "document"), document(&ev.doc)));
            t.push((b.clone(), iri(VOCAB, "start"), integer(ev.start)));
            t.push((b.clone(), iri(VOCAB, "end"), integer(ev.end)));
            t.push((b.clone(), iri(VOCAB, "text"), string(&ev.text)));
            t.push((b, iri(VOCAB, "rule"), string(&ev.rule)));
        }
    }
    t
}

/// N-Triples form of a term.
fn nt(term: &Term) -> String {
    match term {
        Term::Iri(i) => format!("<{i}>"),
        Term::Blank(b) => format!("_:{b}"),
        Term::Literal(l, None) => format!("\"{}\"", escape(l)),
        Term::Literal(l, Some(ty)) => format!("\"{}\"^^<{XSD}{ty}>", escape(l)),
    }
}

/// Whether a local name can be written as a Turtle prefixed name as it is. Kept to a
/// simple, safe subset; anything else is written as a full IRI.
fn plain_local(local: &str) -> bool {
    !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !local.starts_with('-')
}

/// Turtle form of a term: prefixed where it reads as one, `a` for `rdf:type`.
fn ttl(term: &Term, base: &str) -> String {
    match term {
        Term::Iri(i) => {
            if i == &format!("{RDF}type") {
                return "a".to_string();
            }
            let (mut best, mut prefix) = ("", "");
            for (p, ns) in PREFIXES.iter().chain([&("kg", base)]) {
                if i.starts_with(ns) && ns.len() > best.len() {
                    (best, prefix) = (ns, p);
                }
            }
            match i.strip_prefix(best) {
                Some(local) if !best.is_empty() && plain_local(local) => {
                    format!("{prefix}:{local}")
                }
                _ => format!("<{i}>"),
            }
        }
        Term::Blank(b) => format!("_:{b}"),
        Term::Literal(l, Some("integer")) => l.clone(),
        Term::Literal(l, None) => format!("\"{}\"", escape(l)),
        Term::Literal(l, Some(ty)) => format!("\"{}\"^^xsd:{ty}", escape(l)),
    }
}

/// Writes the graph as N-Triples, entity IRIs under `base`.
///
/// # Errors
/// A base IRI that [`check_base_iri`] rejects; write errors.
pub fn write_ntriples(
    graph: &KnowledgeGraph,
    base: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    check_base_iri(base)?;
    let mut s = String::new();
    for (a, b, c) in triples(graph, base) {
        s.push_str(&format!("{} {} {} .\n", nt(&a), nt(&b), nt(&c)));
    }
    out.write_all(s.as_bytes())
        .map_err(|e| super::io_err("nt", e))
}

/// Writes the graph as Turtle, entity IRIs under `base` (prefix `kg:`).
///
/// # Errors
/// A base IRI that [`check_base_iri`] rejects; write errors.
pub fn write_turtle(graph: &KnowledgeGraph, base: &str, out: &mut dyn Write) -> Result<(), Error> {
    check_base_iri(base)?;
    let mut s = String::new();
    for (p, ns) in PREFIXES {
        s.push_str(&format!("@prefix {p}: <{ns}> .\n"));
    }
    s.push_str(&format!("@prefix kg: <{base}> .\n"));
    let mut subject: Option<Term> = None;
    for (a, b, c) in triples(graph, base) {
        if subject.as_ref() == Some(&a) {
            s.push_str(&format!(" ;\n    {} {}", ttl(&b, base), ttl(&c, base)));
        } else {
            if subject.is_some() {
                s.push_str(" .\n");
            }
            s.push_str(&format!(
                "\n{} {} {}",
                ttl(&a, base),
                ttl(&b, base),
                ttl(&c, base)
            ));
            subject = Some(a);
        }
    }
    if subject.is_some() {
        s.push_str(" .\n");
    }
    out.write_all(s.as_bytes())
        .map_err(|e| super::io_err("ttl", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_everything_readable_back() {
        assert_eq!(
            escape("a\"b\\c\nd\re\tf\u{0}g\u{7f}h\u{85}é"),
            "a\\\"b\\\\c\\nd\\re\\tf\\u0000g\\u007Fh\\u0085é"
        );
    }

    #[test]
    fn iri_segments_are_percent_encoded() {
        assert_eq!(iri_segment("mark-obrien"), "mark-obrien");
        assert_eq!(iri_segment("a b/<é>"), "a%20b%2F%3C%C3%A9%3E");
    }

    #[test]
    fn base_iri_must_be_absolute_and_clean() {
        assert!(check_base_iri("https://example.org/kg/").is_ok());
        assert!(check_base_iri("urn:x:").is_ok());
        for bad in [
            "example.org/",
            "https://a b/",
            "http://x/>",
            "1http://x/",
            "",
        ] {
            assert!(check_base_iri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_typed() {
        assert_eq!(
            date("2025-03-01"),
            Term::Literal("2025-03-01".into(), Some("date"))
        );
        assert_eq!(
            date("2025-03"),
            Term::Literal("2025-03".into(), Some("gYearMonth"))
        );
        assert_eq!(date("soon"), Term::Literal("soon".into(), None));
    }

    #[test]
    fn golden_fixture() {
        let g = crate::export::tests::fixture();
        let mut out = Vec::new();
        write_ntriples(&g, "https://example.org/kg/", &mut out).unwrap();
        crate::export::tests::golden("fixture.nt", out);
        let mut out = Vec::new();
        write_turtle(&g, "https://example.org/kg/", &mut out).unwrap();
        crate::export::tests::golden("fixture.ttl", out);
    }
}
