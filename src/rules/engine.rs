//! The rule engine: matches compiled rules against each sentence's units.
//!
//! A sentence is a sequence of units: an entity mention (one unit however many tokens it
//! has), else a lexicon phrase, else a single token. Patterns match units left to right with
//! backtracking (sentences are short); every start position is tried, so one sentence can
//! yield several relations.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use crate::dates;
use crate::gazetteer::{Entry, Gazetteer};
use crate::resolve::Resolved;
use crate::rules::compile::Rule;
use crate::rules::structure::{AttrSource, Element, Scope};
use crate::text::Token;

/// A relation found in one document.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Found {
    /// Subject entity (index into the document's entities).
    pub subject: usize,
    /// Predicate.
    pub predicate: String,
    /// Object entity.
    pub object: usize,
    /// Attributes: entity ids (`location`) or dates.
    pub attributes: BTreeMap<String, String>,
    /// Byte span of the evidence sentence.
    pub evidence: Range<usize>,
    /// The rule's id.
    pub rule: String,
}

#[derive(Clone, Debug)]
enum Unit<'a> {
    Entity {
        entities: &'a [usize],
        via: &'static str,
    },
    Lex {
        entries: &'a [usize],
    },
    Token,
}

#[derive(Clone, Debug)]
struct SentenceUnits<'a> {
    units: Vec<Unit<'a>>,
    /// Lowercase text of each unit (borrowed for single tokens).
    norms: Vec<Cow<'a, str>>,
    /// Whether each unit starts with a capital letter.
    caps: Vec<bool>,
    span: Range<usize>,
    tokens: Range<usize>,
}

/// Slots bound so far, borrowing the rule's slot names and the document's entities.
#[derive(Clone, Debug, Default)]
struct Binds<'a> {
    entities: Vec<(&'a str, &'a [usize])>,
    lex: Vec<(&'a str, usize)>,
}

struct Ctx<'a> {
    gazetteer: &'a Gazetteer,
    resolved: &'a Resolved<'a>,
    s: &'a SentenceUnits<'a>,
}

/// Runs `rules` over every sentence of a resolved document.
pub fn run(
    rules: &[Rule],
    symmetric: &dyn Fn(&str) -> bool,
    gazetteer: &Gazetteer,
    resolved: &Resolved<'_>,
) -> Vec<Found> {
    let doc = resolved.doc;
    let article_date = dates::date_line(doc);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let needs: Vec<Needs<'_>> = rules.iter().map(|r| Needs::of(&r.def.pattern)).collect();
    for sentence in &doc.sentences {
        let s = units_of(resolved, sentence.tokens.clone());
        let before = out.len();
        s_run(
            rules,
            &needs,
            symmetric,
            gazetteer,
            resolved,
            &s,
            article_date.as_ref(),
            &mut out,
        );
        // Two rules may find the same relation in one sentence: keep the first.
        for f in out.split_off(before) {
            if seen.insert(f.clone()) {
                out.push(f);
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn s_run(
    rules: &[Rule],
    needs: &[Needs<'_>],
    symmetric: &dyn Fn(&str) -> bool,
    gazetteer: &Gazetteer,
    resolved: &Resolved<'_>,
    s: &SentenceUnits,
    article_date: Option<&dates::DateLine>,
    out: &mut Vec<Found>,
) {
    let ctx = Ctx {
        gazetteer,
        resolved,
        s,
    };
    let mut sentence_date: Option<Option<String>> = None;
    let present = Present::of(&ctx);
    for (rule, need) in rules.iter().zip(needs) {
        if !need.met_by(&present) {
            continue;
        }
        for start in 0..s.units.len() {
            if !need.may_start(&ctx, start) {
                continue;
            }
            let mut binds = Binds::default();
            let Some(end) = match_seq(&ctx, &rule.def.pattern, start, &mut binds) else {
                continue;
            };
            if end == start || guarded(&ctx, rule, start, end) {
                continue;
            }
            for e in &rule.def.emit {
                let get = |slot: &str| {
                    binds
                        .entities
                        .iter()
                        .find(|(n, _)| *n == slot)
                        .map(|(_, v)| v.to_vec())
                };
                let predicate = match e.predicate.strip_prefix('$') {
                    Some(rest) => {
                        let (slot, attr) = rest.split_once('.').unwrap_or((rest, ""));
                        let from_lex = binds
                            .lex
                            .iter()
                            .find(|(n, _)| *n == slot)
                            .and_then(|(_, entry)| gazetteer.entries()[*entry].attr(attr));
                        let from_entity = || {
                            let ents = get(slot)?;
                            let [one] = ents[..] else { return None };
                            let roles = &resolved.entities[one].text_roles;
                            (attr == "role" && roles.len() == 1)
                                .then(|| roles.iter().next().cloned())
                                .flatten()
                        };
                        match from_lex.map(str::to_string).or_else(from_entity) {
                            Some(v) => v,
                            None => continue,
                        }
                    }
                    None => e.predicate.clone(),
                };
                let object_of = |suffix: &str| {
                    e.object
                        .strip_prefix('$')
                        .and_then(|r| r.strip_suffix(suffix))
                        .and_then(get)
                        .and_then(|v| if v.len() == 1 { Some(v[0]) } else { None })
                };
                let objects = if e.object.ends_with(".known_role") {
                    object_of(".known_role")
                        .and_then(|p| known_role_object(gazetteer, resolved, p, &predicate))
                        .map(|o| vec![o])
                } else if e.object.ends_with(".country") && e.object.starts_with('$') {
                    object_of(".country")
                        .and_then(|p| country_object(gazetteer, resolved, p))
                        .map(|o| vec![o])
                } else {
                    get(&e.object)
                };
                let (Some(subjects), Some(objects)) = (get(&e.subject), objects) else {
                    continue;
                };
                let mut attributes = BTreeMap::new();
                for (name, src) in &e.attributes {
                    let value = match src {
                        AttrSource::Slot(slot) => get(slot)
                            .and_then(|v| v.first().copied())
                            .map(|i| resolved.entities[i].id.clone()),
                        AttrSource::SentenceDate => sentence_date
                            .get_or_insert_with(|| {
                                dates::first_date(resolved.doc, s.tokens.clone(), article_date)
                            })
                            .clone(),
                    };
                    if let Some(v) = value {
                        attributes.insert(name.clone(), v);
                    }
                }
                let mut pairs = Vec::new();
                if e.subject == e.object {
                    for (i, &a) in subjects.iter().enumerate() {
                        for &b in &subjects[i + 1..] {
                            pairs.push((a, b));
                        }
                    }
                } else {
                    for &a in &subjects {
                        for &b in &objects {
                            pairs.push((a, b));
                        }
                    }
                }
                for (a, b) in pairs {
                    if a == b {
                        continue;
                    }
                    let (a, b) = if symmetric(&predicate)
                        && resolved.entities[a].id > resolved.entities[b].id
                    {
                        (b, a)
                    } else {
                        (a, b)
                    };
                    let found = Found {
                        subject: a,
                        predicate: predicate.clone(),
                        object: b,
                        attributes: attributes.clone(),
                        evidence: s.span.clone(),
                        rule: rule.def.id.clone(),
                    };
                    out.push(found);
                }
            }
        }
    }
}

/// What a rule's pattern cannot match without: a necessary condition checked once per
/// sentence, so that a sentence tries only the rules that can fire in it. It never
/// changes what a rule finds, only skips attempts that would fail.
struct Needs<'r> {
    /// Entity elements that every match consumes (each one unit).
    entities: usize,
    /// Lexicon categories that every match consumes a unit of.
    categories: Vec<&'r str>,
    /// Word elements that every match consumes (one of the words each).
    words: Vec<&'r [String]>,
    /// The first element when every match starts with it (no `Opt`, `Skip`, ... before).
    first: Option<&'r Element>,
}

impl<'r> Needs<'r> {
    fn of(pattern: &'r [Element]) -> Needs<'r> {
        let mut needs = Needs {
            entities: min_entities(pattern),
            categories: Vec::new(),
            words: Vec::new(),
            first: pattern.first().filter(|e| {
                matches!(
                    e,
                    Element::Entity { .. } | Element::Lex { .. } | Element::Word(_) | Element::Cap
                )
            }),
        };
        for e in pattern {
            match e {
                Element::Lex { category, .. } => needs.categories.push(category),
                Element::Word(words) => needs.words.push(words),
                _ => {}
            }
        }
        needs
    }

    fn met_by(&self, p: &Present<'_>) -> bool {
        p.entities >= self.entities
            && self.categories.iter().all(|c| p.categories.contains(c))
            && self
                .words
                .iter()
                .all(|ws| p.norms.iter().any(|n| ws.iter().any(|w| w == n)))
    }

    fn may_start(&self, ctx: &Ctx<'_>, start: usize) -> bool {
        self.first
            .is_none_or(|e| match_elem(ctx, e, start, &mut Binds::default()).is_some())
    }
}

/// The fewest entity units a match of `pattern` consumes.
fn min_entities(pattern: &[Element]) -> usize {
    pattern
        .iter()
        .map(|e| match e {
            Element::Entity { .. } => 1,
            Element::Either(alts) => alts.iter().map(|a| min_entities(a)).min().unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// What one sentence offers the rules: its entity units, lexicon categories and words.
struct Present<'s> {
    entities: usize,
    categories: Vec<&'s str>,
    /// The text of the units that are not entity mentions.
    norms: Vec<&'s str>,
}

impl<'s> Present<'s> {
    fn of(ctx: &Ctx<'s>) -> Present<'s> {
        let mut p = Present {
            entities: 0,
            categories: Vec::new(),
            norms: Vec::new(),
        };
        for (u, unit) in ctx.s.units.iter().enumerate() {
            match unit {
                Unit::Entity { .. } => p.entities += 1,
                Unit::Lex { entries } => {
                    for &e in *entries {
                        let c = ctx.gazetteer.entries()[e].subtype.as_str();
                        if !p.categories.contains(&c) {
                            p.categories.push(c);
                        }
                    }
                    p.norms.push(&ctx.s.norms[u]);
                }
                Unit::Token => p.norms.push(&ctx.s.norms[u]),
            }
        }
        p
    }
}

/// The entity of the document that a person's gazetteer role with `predicate` points at.
fn known_role_object(
    gazetteer: &Gazetteer,
    resolved: &Resolved<'_>,
    person: usize,
    predicate: &str,
) -> Option<usize> {
    let entry = &gazetteer.entries()[resolved.entities[person].entry?];
    let roles = entry.attr("role")?;
    let object = roles.split(',').find_map(|r| {
        let (p, o) = r.trim().split_once(':')?;
        (p == predicate).then_some(o)
    })?;
    resolved.entities.iter().position(|e| e.id == object)
}

/// A person's country: from the gazetteer, else the article's home country.
fn country_object(gazetteer: &Gazetteer, resolved: &Resolved<'_>, person: usize) -> Option<usize> {
    match resolved.entities[person].entry {
        Some(entry) => {
            let country = gazetteer.entries()[entry].attr("country")?;
            resolved.entities.iter().position(|e| e.id == country)
        }
        None => resolved.home_country,
    }
}

fn units_of<'a>(resolved: &'a Resolved<'_>, tokens: Range<usize>) -> SentenceUnits<'a> {
    let doc = resolved.doc;
    let mut units = Vec::new();
    let mut norms = Vec::new();
    let mut caps = Vec::new();
    let mut i = tokens.start;
    let mut mi = resolved.mentions.partition_point(|m| m.tokens.start < i);
    let mut li = resolved.lexicon.partition_point(|h| h.tokens.start < i);
    while i < tokens.end {
        while mi < resolved.mentions.len() && resolved.mentions[mi].tokens.start < i {
            mi += 1;
        }
        while li < resolved.lexicon.len() && resolved.lexicon[li].tokens.start < i {
            li += 1;
        }
        let next_mention_start = resolved
            .mentions
            .get(mi)
            .map_or(usize::MAX, |m| m.tokens.start);
        if let Some(m) = resolved.mentions.get(mi).filter(|m| m.tokens.start == i) {
            let end = m.tokens.end.min(tokens.end).max(i + 1);
            units.push(Unit::Entity {
                entities: &m.entities,
                via: m.via.as_str(),
            });
            caps.push(doc.tokens[i].capitalized);
            norms.push(joined_norms(&doc.tokens[i..end]));
            i = end;
            continue;
        }
        if let Some(h) = resolved
            .lexicon
            .get(li)
            .filter(|h| h.tokens.start == i && h.tokens.end <= next_mention_start.min(tokens.end))
        {
            units.push(Unit::Lex {
                entries: &h.entries,
            });
            caps.push(doc.tokens[i].capitalized);
            norms.push(joined_norms(&doc.tokens[i..h.tokens.end]));
            i = h.tokens.end.max(i + 1);
            continue;
        }
        units.push(Unit::Token);
        caps.push(doc.tokens[i].capitalized);
        norms.push(Cow::Borrowed(&doc.tokens[i].norm));
        i += 1;
    }
    let span = if tokens.is_empty() {
        0..0
    } else {
        doc.tokens[tokens.start].start..doc.tokens[tokens.end - 1].end
    };
    SentenceUnits {
        units,
        norms,
        caps,
        span,
        tokens,
    }
}

/// The lowercase text of `tokens`, one space apart; borrowed when there is one token.
fn joined_norms(tokens: &[Token]) -> Cow<'_, str> {
    match tokens {
        [t] => Cow::Borrowed(&t.norm),
        _ => {
            let mut out = String::new();
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    out.push(' ');
                }
                out.push_str(&t.norm);
            }
            Cow::Owned(out)
        }
    }
}

fn lex_entry<'a>(
    ctx: &'a Ctx<'_>,
    entries: &[usize],
    category: &str,
) -> Option<(usize, &'a Entry)> {
    entries
        .iter()
        .map(|&e| (e, &ctx.gazetteer.entries()[e]))
        .find(|(_, e)| e.subtype == category)
}

/// Whether a single element matches unit `u` (used by `Skip` and `Not`; binds nothing).
fn matches_one(ctx: &Ctx<'_>, elem: &Element, u: usize) -> bool {
    let mut b = Binds::default();
    match_elem(ctx, elem, u, &mut b) == Some(u + 1)
}

fn match_elem<'a>(
    ctx: &Ctx<'a>,
    elem: &'a Element,
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    let unit = ctx.s.units.get(u)?;
    match elem {
        Element::Entity {
            bind,
            types,
            subtypes,
            group,
            via: vias,
        } => {
            let Unit::Entity { entities, via } = unit else {
                return None;
            };
            if *group != (entities.len() > 1) {
                return None;
            }
            if !vias.is_empty() && !vias.iter().any(|v| v == via) {
                return None;
            }
            let ok = entities.iter().all(|&e| {
                let ent = &ctx.resolved.entities[e];
                (types.is_empty() || types.contains(&ent.etype))
                    && (subtypes.is_empty() || subtypes.contains(&ent.subtype))
            });
            if !ok {
                return None;
            }
            // A relation links two different entities: "his" after "Wadephul met" is not
            // the other side of the meeting.
            if entities.len() == 1
                && binds
                    .entities
                    .iter()
                    .any(|(_, v)| v.len() == 1 && v[0] == entities[0])
            {
                return None;
            }
            if let Some(b) = bind {
                binds.entities.push((b, entities));
            }
            Some(u + 1)
        }
        Element::Lex {
            category,
            bind,
            attr,
        } => {
            let Unit::Lex { entries } = unit else {
                return None;
            };
            // Any entry of the category whose attribute (one of a comma list) fits.
            let (idx, _) = entries
                .iter()
                .map(|&e| (e, &ctx.gazetteer.entries()[e]))
                .filter(|(_, e)| e.subtype == *category)
                .find(|(_, e)| match attr {
                    None => true,
                    Some((key, values)) => e
                        .attr(key)
                        .is_some_and(|v| v.split(',').any(|x| values.iter().any(|w| w == x))),
                })?;
            if let Some(b) = bind {
                binds.lex.push((b, idx));
            }
            Some(u + 1)
        }
        Element::Cap => (!matches!(unit, Unit::Entity { .. }) && ctx.s.caps[u]).then_some(u + 1),
        Element::Lower => (!matches!(unit, Unit::Entity { .. })
            && !ctx.s.caps[u]
            && ctx.s.norms[u]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic))
        .then_some(u + 1),
        Element::Word(words) => {
            if matches!(unit, Unit::Entity { .. }) {
                return None;
            }
            let norm = &ctx.s.norms[u];
            words.iter().any(|w| w == norm).then_some(u + 1)
        }
        Element::Opt(_)
        | Element::Skip { .. }
        | Element::Not(_)
        | Element::NotAfter(_)
        | Element::Either(_) => match_seq(ctx, std::slice::from_ref(elem), u, binds),
    }
}

/// A sequence of elements to match: `head`, then whatever `tail` holds. `Opt` and `Either`
/// put their inner elements in front of the rest this way, without copying elements.
#[derive(Clone, Copy)]
struct Seq<'r, 't> {
    head: &'r [Element],
    tail: Option<&'t Seq<'r, 't>>,
}

/// Matches `elems` from unit `u`; returns the end unit. Backtracks over `Opt`, `Skip` and
/// `Either`.
fn match_seq<'a>(
    ctx: &Ctx<'a>,
    elems: &'a [Element],
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    match_cont(
        ctx,
        Seq {
            head: elems,
            tail: None,
        },
        u,
        binds,
    )
}

fn match_cont<'a>(
    ctx: &Ctx<'a>,
    seq: Seq<'a, '_>,
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    let Some((first, rest)) = seq.head.split_first() else {
        return match seq.tail {
            Some(t) => match_cont(ctx, *t, u, binds),
            None => Some(u),
        };
    };
    let rest = Seq {
        head: rest,
        tail: seq.tail,
    };
    let saved = (binds.entities.len(), binds.lex.len());
    let restore = |b: &mut Binds| {
        b.entities.truncate(saved.0);
        b.lex.truncate(saved.1);
    };
    match first {
        Element::Opt(inner) => {
            let with = Seq {
                head: inner,
                tail: Some(&rest),
            };
            if let Some(e) = match_cont(ctx, with, u, binds) {
                return Some(e);
            }
            restore(binds);
            match_cont(ctx, rest, u, binds)
        }
        Element::Either(alts) => {
            for alt in alts {
                let seq = Seq {
                    head: alt,
                    tail: Some(&rest),
                };
                if let Some(e) = match_cont(ctx, seq, u, binds) {
                    return Some(e);
                }
                restore(binds);
            }
            None
        }
        Element::Skip { max, only } => {
            // Shortest skip first.
            let mut k = u;
            loop {
                if let Some(e) = match_cont(ctx, rest, k, binds) {
                    return Some(e);
                }
                restore(binds);
                if k - u >= *max || k >= ctx.s.units.len() {
                    return None;
                }
                if !only.is_empty() && !only.iter().any(|o| matches_one(ctx, o, k)) {
                    return None;
                }
                k += 1;
            }
        }
        Element::Not(inner) => {
            if u < ctx.s.units.len() && matches_one(ctx, inner, u) {
                return None;
            }
            match_cont(ctx, rest, u, binds)
        }
        Element::NotAfter(inner) => {
            if u > 0 && matches_one(ctx, inner, u - 1) {
                return None;
            }
            match_cont(ctx, rest, u, binds)
        }
        _ => {
            let next = match_elem(ctx, first, u, binds)?;
            match match_cont(ctx, rest, next, binds) {
                Some(e) => Some(e),
                None => {
                    restore(binds);
                    None
                }
            }
        }
    }
}

const CLAUSE_BREAKS: &[&str] = &[
    ";", "but", "while", "although", "though", "however", "whereas",
];

fn guarded(ctx: &Ctx<'_>, rule: &Rule, start: usize, end: usize) -> bool {
    let n = ctx.s.units.len();
    rule.def.unless.iter().any(|g| {
        let range = match g.scope {
            Scope::Sentence => 0..n,
            Scope::Before(k) => start.saturating_sub(k)..end,
            Scope::Clause => {
                let mut a = start;
                while a > 0 && !CLAUSE_BREAKS.contains(&&*ctx.s.norms[a - 1]) {
                    a -= 1;
                }
                let mut b = end;
                while b < n && b < end + 2 && !CLAUSE_BREAKS.contains(&&*ctx.s.norms[b]) {
                    b += 1;
                }
                a..b
            }
        };
        range.into_iter().any(|u| match &ctx.s.units[u] {
            Unit::Lex { entries } => g
                .categories
                .iter()
                .any(|c| lex_entry(ctx, entries, c).is_some()),
            _ => false,
        })
    })
}
