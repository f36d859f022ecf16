//! Rule compilation: parse RON, check every rule, build the runtime form.
//!
//! Checks: unique rule ids, every slot used by `emit` bound by the pattern, declared
//! predicates, lexicon categories known to the gazetteer, no empty patterns. Errors carry
//! the file, and the line and column of the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::Error;
use crate::gazetteer::Gazetteer;
use crate::rules::structure::{AttrSource, Element, RuleDef, RuleFile};

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule as written.
    pub def: RuleDef,
    /// Where it was read, `file:line`.
    pub origin: String,
}

/// Parses a RON rule file.
///
/// # Errors
/// A syntax error or unknown field, with file:line:column.
pub fn parse(text: &str, path: &Path) -> Result<RuleFile, Error> {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    options.from_str::<RuleFile>(text).map_err(|e| {
        Error::rules(
            path,
            e.span.start.line,
            Some(e.span.start.col),
            lowercase_first(&e.code.to_string()),
        )
    })
}

fn lowercase_first(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_lowercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// Line and column of a rule's id in the source, for error messages.
fn locate(text: &str, id: &str) -> (usize, Option<usize>) {
    let needle = format!("\"{id}\"");
    for (n, line) in text.lines().enumerate() {
        if let Some(col) = line.find(&needle)
            && line.contains("id")
        {
            return (n + 1, Some(line[..col].chars().count() + 1));
        }
    }
    (0, None)
}

/// Checks the rules of `file` (read from `text` at `path`) against the predicates known so
/// far and the gazetteer's lexicon categories; returns the compiled rules.
///
/// # Errors
/// The first bad rule, naming its id, file and line.
pub fn compile(
    file: RuleFile,
    text: &str,
    path: &Path,
    predicates: &BTreeMap<String, crate::rules::structure::PredicateDef>,
    seen_ids: &mut BTreeSet<String>,
    gazetteer: &Gazetteer,
) -> Result<Vec<Rule>, Error> {
    let categories: BTreeSet<&str> = gazetteer
        .entries()
        .iter()
        .filter(|e| e.kind == crate::gazetteer::EntryKind::Lexicon)
        .map(|e| e.subtype.as_str())
        .collect();
    let mut out = Vec::new();
    for def in file.rules {
        let (line, col) = locate(text, &def.id);
        let err = |msg: String| Error::rules(path, line, col, format!("rule `{}`: {msg}", def.id));
        if !seen_ids.insert(def.id.clone()) {
            return Err(err("duplicate rule id".into()));
        }
        if def.pattern.is_empty() {
            return Err(err("empty pattern".into()));
        }
        if def.emit.is_empty() {
            return Err(err("emits nothing".into()));
        }
        let mut bound = BTreeMap::new();
        collect_binds(&def.pattern, &mut bound);
        if let Some(w) = bad_word(&def.pattern) {
            return Err(err(format!(
                "Word(\"{w}\") can never match: a word is one lowercase token (write \"state\", \"-\", \"run\" for \"state-run\")"
            )));
        }
        if let Some((min, max)) = empty_number(&def.pattern) {
            return Err(err(format!(
                "Number(min: {min}, max: {max}) can never match: min is greater than max"
            )));
        }
        let mut used_categories = BTreeSet::new();
        collect_categories(&def.pattern, &mut used_categories);
        for g in &def.unless {
            used_categories.extend(g.categories.iter().cloned());
        }
        for c in &used_categories {
            if !categories.contains(c.as_str()) {
                return Err(err(format!(
                    "unknown lexicon category `{c}` (no Lexicon entry of that subtype in the gazetteer)"
                )));
            }
        }
        for e in &def.emit {
            let object_slot = e.object.strip_prefix('$').and_then(|r| {
                r.strip_suffix(".known_role")
                    .or_else(|| r.strip_suffix(".country"))
            });
            for slot in [e.subject.as_str(), object_slot.unwrap_or(&e.object)] {
                match bound.get(slot) {
                    Some(SlotKind::Entity) => {}
                    Some(SlotKind::Lex) => {
                        return Err(err(format!(
                            "slot `{slot}` is a lexicon slot, not an entity"
                        )));
                    }
                    None => return Err(err(format!("slot `{slot}` is not bound by the pattern"))),
                }
            }
            if let Some(rest) = e.predicate.strip_prefix('$') {
                let Some((slot, _attr)) = rest.split_once('.') else {
                    return Err(err(format!(
                        "predicate `{}`: expected `$slot.attribute`",
                        e.predicate
                    )));
                };
                let ok = match bound.get(slot) {
                    Some(SlotKind::Lex) => true,
                    Some(SlotKind::Entity) => rest.ends_with(".role"),
                    None => false,
                };
                if !ok {
                    return Err(err(format!(
                        "predicate `{}`: `{slot}` is not a lexicon slot (or an entity slot with `.role`) of the pattern",
                        e.predicate
                    )));
                }
            } else if !predicates.contains_key(&e.predicate) {
                return Err(err(format!(
                    "predicate `{}` is not declared in `predicates`",
                    e.predicate
                )));
            }
            for (name, src) in &e.attributes {
                if let AttrSource::Slot(s) = src
                    && bound.get(s.as_str()) != Some(&SlotKind::Entity)
                {
                    return Err(err(format!(
                        "attribute `{name}`: slot `{s}` is not an entity slot of the pattern"
                    )));
                }
            }
        }
        out.push(Rule {
            origin: format!("{}:{line}", path.display()),
            def,
        });
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    Entity,
    Lex,
}

fn collect_binds(elems: &[Element], out: &mut BTreeMap<String, SlotKind>) {
    for e in elems {
        match e {
            Element::Entity { bind: Some(b), .. } => {
                out.insert(b.clone(), SlotKind::Entity);
            }
            Element::Lex { bind: Some(b), .. } => {
                out.insert(b.clone(), SlotKind::Lex);
            }
            Element::Opt(v) => collect_binds(v, out),
            Element::Either(alts) => alts.iter().for_each(|v| collect_binds(v, out)),
            _ => {}
        }
    }
}

/// A `Word` string that no unit's text can equal: not one token, or not in lowercase.
/// (A lexicon phrase is one unit, but its text has spaces: allowed.)
fn bad_word(elems: &[Element]) -> Option<String> {
    for e in elems {
        let found = match e {
            Element::Word(words) => words
                .iter()
                .find(|w| {
                    // Tokenise after a word, as in a sentence (a clitic needs one before it).
                    let glue = if w.starts_with('\'') { "" } else { " " };
                    let doc = crate::text::Document::new("", format!("x{glue}{w}"));
                    let one_token = doc.tokens.len() == 2 || w.contains(' ');
                    w.is_empty() || !one_token || crate::text::normalize(w) != **w
                })
                .cloned(),
            Element::Opt(v) => bad_word(v),
            Element::Either(alts) => alts.iter().find_map(|v| bad_word(v)),
            Element::Skip { only, .. } => bad_word(only),
            Element::Not(inner) | Element::NotAfter(inner) => bad_word(std::slice::from_ref(inner)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The bounds of a `Number` element that no value fits (`min` above `max`).
fn empty_number(elems: &[Element]) -> Option<(u64, u64)> {
    elems.iter().find_map(|e| match e {
        Element::Number {
            min: Some(min),
            max: Some(max),
        } if min > max => Some((*min, *max)),
        Element::Opt(v) => empty_number(v),
        Element::Either(alts) => alts.iter().find_map(|v| empty_number(v)),
        Element::Skip { only, .. } => empty_number(only),
        Element::Not(inner) | Element::NotAfter(inner) => empty_number(std::slice::from_ref(inner)),
        _ => None,
    })
}

fn collect_categories(elems: &[Element], out: &mut BTreeSet<String>) {
    for e in elems {
        match e {
            Element::Lex { category, .. } => {
                out.insert(category.clone());
            }
            Element::Opt(v) => collect_categories(v, out),
            Element::Either(alts) => alts.iter().for_each(|v| collect_categories(v, out)),
            Element::Skip { only, .. } => collect_categories(only, out),
            Element::Not(inner) | Element::NotAfter(inner) => {
                collect_categories(std::slice::from_ref(inner), out)
            }
            _ => {}
        }
    }
}
