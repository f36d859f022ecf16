//! The rule engine: matches compiled rules against each sentence's units.
//!
//! A sentence is a sequence of units: an entity mention (one unit however many tokens it
//! has), else a lexicon phrase, else a single token. Patterns match units left to right with
//! backtracking (sentences are short); every start position is tried, so one sentence can
//! yield several relations.
//!
//! Matching runs on the rules' runtime form (`rules::program`): units are mapped to interned
//! ids once per sentence, and one pass over them finds the start keys each unit passes (the
//! distinct first atoms of the rules) and the features the rules' needs ask for. Only the
//! rules with a start key some unit passes are visited, in order; the terms of their needs
//! are tested for all rules at once; a rule is tried only at the units that pass one of its
//! keys, and only when the next unit fits what every match consumes second. What is skipped
//! could only have failed, so the relations, and their order, are those of trying every
//! rule at every start.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use crate::dates;
use crate::gazetteer::Gazetteer;
use crate::ner::Via;
use crate::resolve::Resolved;
use crate::rules::compile::Rule;
use crate::rules::program::{
    Attr, BitRows, Branch, Elem, EntityTest, IdSet, LexPatterns, LexTable, NONE, Object, Pattern,
    Predicate, Program, Slot, StartKey, bit_ids, type_bit,
};
use crate::rules::structure::Scope;
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

/// One unit of a sentence, with the ids the rules test it by.
#[derive(Clone, Copy, Debug)]
struct Unit<'a> {
    kind: Kind<'a>,
    /// Word id of the unit's lowercase text ([`NONE`] when no rule names it).
    word: u32,
    /// Starts with a capital letter.
    cap: bool,
    /// Its text starts with a letter (for `Lower`, with `!cap`).
    alphabetic: bool,
    /// Its value when it is one token of ASCII digits (for `Number`).
    number: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
enum Kind<'a> {
    Entity {
        entities: &'a [usize],
        /// Id of the way of naming among [`Program::vias`], or [`NONE`].
        via: u32,
    },
    Lex {
        entries: &'a [usize],
    },
    Token,
}

/// Slots bound so far, borrowing the document's entities. A slot read takes the first
/// binding of its number, as the written form took the first of its name.
#[derive(Clone, Debug, Default)]
struct Binds<'a> {
    entities: Vec<(Slot, &'a [usize])>,
    lex: Vec<(Slot, usize)>,
}

impl<'a> Binds<'a> {
    fn clear(&mut self) {
        self.entities.clear();
        self.lex.clear();
    }

    fn entities(&self, slot: Option<Slot>) -> Option<&'a [usize]> {
        let slot = slot?;
        self.entities
            .iter()
            .find(|(n, _)| *n == slot)
            .map(|(_, v)| *v)
    }
}

/// What one sentence offers the rules, found in one pass over its units (reused across
/// sentences).
#[derive(Debug, Default)]
struct Scan {
    /// Entity units.
    entities: usize,
    /// The [`crate::rules::program::Features`] of its units: lexicon categories, and the
    /// needed word sets and number tests its non-entity units fit.
    features: IdSet,
    /// Per start key ([`Program::starts`]), the units that pass it.
    key_units: BitRows,
    /// The keys some unit passes.
    keys: Vec<u64>,
    /// The rules that have one of `keys` (those that may start somewhere) and whose needs
    /// the sentence meets, in order.
    rules: Vec<u32>,
    /// The units where the rule being tried may start (while the rules are found: the
    /// rules that have one of `keys`).
    rule_starts: Vec<u64>,
    /// The units that pass one of the keys of the rule's lookahead (while the rules are
    /// found: the rules whose needs are met).
    next_fits: Vec<u64>,
    /// The terms of the rules' needs ([`Program::needs`]) the sentence meets.
    terms_met: Vec<u64>,
}

impl Scan {
    fn new(program: &Program) -> Scan {
        Scan {
            features: IdSet::with_universe(program.features.len),
            keys: vec![0; program.starts.keys.len().div_ceil(64)],
            ..Scan::default()
        }
    }

    /// Records that unit `u` passes key `k`.
    fn pass(&mut self, k: u32, u: usize) {
        self.key_units.insert(k as usize, u as u32);
        self.keys[k as usize / 64] |= 1 << (k % 64);
    }

    /// Fills `rule_starts` with the units that pass one of `first` and, when there is a
    /// lookahead, whose next unit passes one of `second`, by the rows `key_units` (this
    /// sentence's, which matching reads too, so taken out of the scan while it runs).
    fn starts_of(&mut self, key_units: &BitRows, first: &[u32], second: Option<&[u32]>) {
        let stride = key_units.stride();
        if stride == 1 {
            // A sentence of at most 64 units (nearly all): one word per row.
            let rows = key_units;
            let mut starts = first.iter().fold(0, |w, &k| w | rows.word(k as usize));
            if let Some(second) = second {
                starts &= second.iter().fold(0, |w, &k| w | rows.word(k as usize)) >> 1;
            }
            self.rule_starts.clear();
            self.rule_starts.push(starts);
            return;
        }
        or_rows(key_units, first, stride, &mut self.rule_starts);
        let Some(second) = second else {
            return;
        };
        or_rows(key_units, second, stride, &mut self.next_fits);
        // Bit `u` of the shifted row is unit `u + 1`'s.
        for (i, w) in self.rule_starts.iter_mut().enumerate() {
            let carry = self.next_fits.get(i + 1).map_or(0, |n| n << 63);
            *w &= self.next_fits[i] >> 1 | carry;
        }
    }
}

/// Fills `out` (`stride` words) with the union of the rows `keys` of `rows`.
fn or_rows(rows: &BitRows, keys: &[u32], stride: usize, out: &mut Vec<u64>) {
    out.clear();
    out.resize(stride, 0);
    for &k in keys {
        out.iter_mut()
            .zip(rows.row(k as usize))
            .for_each(|(w, r)| *w |= r);
    }
}

/// Everything matching reads: the program, the document and the current sentence.
struct Cx<'c, 'a> {
    program: &'a Program,
    lexicon: &'c LexTable,
    /// Per entity of the document: its type bit and subtype id.
    types: &'c [u32],
    subtypes: &'c [u32],
    units: &'c [Unit<'a>],
    /// Per start key, the units of the sentence that pass it (see [`Scan::key_units`]):
    /// what the branches' lookaheads test.
    key_units: &'c BitRows,
}

/// Runs `rules` over every sentence of a resolved document.
///
/// This builds the rules' runtime form first; [`crate::rules::RuleSet::run`] keeps it from
/// compilation and is the one to use for many documents.
pub fn run(
    rules: &[Rule],
    symmetric: &dyn Fn(&str) -> bool,
    gazetteer: &Gazetteer,
    resolved: &Resolved<'_>,
) -> Vec<Found> {
    let program = Program::new(rules, gazetteer);
    run_compiled(rules, &program, symmetric, gazetteer, None, resolved)
}

/// Runs the rules (with `program`, their runtime form) over every sentence of a resolved
/// document.
pub(crate) fn run_compiled(
    rules: &[Rule],
    program: &Program,
    symmetric: &dyn Fn(&str) -> bool,
    gazetteer: &Gazetteer,
    lex_patterns: Option<&LexPatterns>,
    resolved: &Resolved<'_>,
) -> Vec<Found> {
    if program.patterns.is_empty() {
        return Vec::new();
    }
    let doc = resolved.doc;
    // Only a `SentenceDate` attribute reads it, and most documents emit none.
    let article_date = std::cell::OnceCell::new();
    let lexicon = program.lexicon_for(gazetteer);
    let types: Vec<u32> = resolved
        .entities
        .iter()
        .map(|e| type_bit(e.etype))
        .collect();
    let subtypes: Vec<u32> = resolved
        .entities
        .iter()
        .map(|e| program.subtypes.get(&e.subtype))
        .collect();
    let mut out = Vec::new();
    let mut units = Vec::new();
    let mut scratch = String::new();
    let mut scan = Scan::new(program);
    let mut vias = ViaIds::default();
    let mut binds = Binds::default();
    let fewest_entities = program.needs.fewest_entities();
    let mut first_mention = 0;
    let mut first_lex = 0;
    for sentence in &doc.sentences {
        let tokens = sentence.tokens.clone();
        // A sentence with fewer mentions than every rule needs entity units (each mention
        // gives at most one) can give nothing: it is not even split into units.
        // Sentences come in order, so the first mention of each is found by moving on.
        while resolved
            .mentions
            .get(first_mention)
            .is_some_and(|m| m.tokens.start < tokens.start)
        {
            first_mention += 1;
        }
        if fewest_entities > 0 {
            let enough = resolved
                .mentions
                .get(first_mention + fewest_entities - 1)
                .is_some_and(|m| m.tokens.start < tokens.end);
            if !enough {
                continue;
            }
        }
        while resolved
            .lexicon
            .get(first_lex)
            .is_some_and(|h| h.tokens.start < tokens.start)
        {
            first_lex += 1;
        }
        let tables = Tables {
            program,
            lexicon: &lexicon,
            lex_patterns,
            types: &types,
            subtypes: &subtypes,
        };
        split_and_scan(
            tables,
            resolved,
            tokens.clone(),
            (first_mention, first_lex),
            &mut units,
            &mut scratch,
            &mut vias,
            &mut scan,
        );
        if scan.rules.is_empty() {
            continue;
        }
        let span = if tokens.is_empty() {
            0..0
        } else {
            doc.tokens[tokens.start].start..doc.tokens[tokens.end - 1].end
        };
        let s = Sentence {
            span,
            tokens,
            article_date: &article_date,
            date: None,
        };
        let key_units = std::mem::take(&mut scan.key_units);
        let cx = Cx {
            program,
            lexicon: &lexicon,
            types: &types,
            subtypes: &subtypes,
            units: &units,
            key_units: &key_units,
        };
        s_run(
            &cx, rules, symmetric, gazetteer, resolved, s, &mut scan, &mut binds, &mut out,
        );
        // Back, to be refilled for the next sentence without allocating.
        scan.key_units = key_units;
    }
    out
}

/// The sentence being searched, for evidence and dates.
struct Sentence<'d> {
    span: Range<usize>,
    tokens: Range<usize>,
    /// The article's date line, found on first use.
    article_date: &'d std::cell::OnceCell<Option<dates::DateLine>>,
    /// Its first date, once an attribute asked for it.
    date: Option<Option<String>>,
}

#[allow(clippy::too_many_arguments)]
fn s_run<'a>(
    cx: &Cx<'_, 'a>,
    rules: &[Rule],
    symmetric: &dyn Fn(&str) -> bool,
    gazetteer: &Gazetteer,
    resolved: &'a Resolved<'_>,
    mut s: Sentence<'_>,
    scan: &mut Scan,
    binds: &mut Binds<'a>,
    out: &mut Vec<Found>,
) {
    // Two rules may find the same relation in one sentence: keep the first. Relations of
    // other sentences differ in evidence, so only this sentence's need checking.
    let before = out.len();
    let starts = &cx.program.starts;
    for i in 0..scan.rules.len() {
        let r = scan.rules[i] as usize;
        let (rule, pattern) = (&rules[r], &cx.program.patterns[r]);
        scan.starts_of(
            cx.key_units,
            &starts.of_rule[r],
            starts.second_of_rule[r].as_deref(),
        );
        for start in bit_ids(&scan.rule_starts) {
            let start = start as usize;
            binds.clear();
            let Some(end) = match_seq(cx, &pattern.elems, start, binds) else {
                continue;
            };
            if end == start || guarded(cx, pattern, start, end) {
                continue;
            }
            for e in &pattern.emit {
                // With whether the predicate is symmetric, when that was found at compile time.
                let (predicate, known_symmetric): (Cow<'_, str>, Option<bool>) = match &e.predicate
                {
                    Predicate::Named(name) => (Cow::Borrowed(name), e.symmetric),
                    Predicate::FromSlot { slot, attr, key } => {
                        let from_lex = slot
                            .and_then(|slot| binds.lex.iter().find(|(n, _)| *n == slot))
                            .and_then(|(_, entry)| cx.lexicon.value(*entry, *key));
                        let from_entity = || {
                            let [one] = *binds.entities(*slot)? else {
                                return None;
                            };
                            let roles = &resolved.entities[one].text_roles;
                            (attr == "role" && roles.len() == 1)
                                .then(|| roles.iter().next().cloned())
                                .flatten()
                        };
                        match from_lex
                            .map(|v| (Cow::Borrowed(v.text), v.symmetric))
                            .or_else(|| from_entity().map(|v| (Cow::Owned(v), None)))
                        {
                            Some(v) => v,
                            None => continue,
                        }
                    }
                };
                let one = |slot: Option<Slot>| match binds.entities(slot)? {
                    [one] => Some(*one),
                    _ => None,
                };
                let found_object;
                let objects = match e.object {
                    Object::KnownRole(slot) => {
                        found_object = one(slot)
                            .and_then(|p| known_role_object(gazetteer, resolved, p, &predicate));
                        found_object.as_ref().map(std::slice::from_ref)
                    }
                    Object::Country(slot) => {
                        found_object =
                            one(slot).and_then(|p| country_object(gazetteer, resolved, p));
                        found_object.as_ref().map(std::slice::from_ref)
                    }
                    Object::Slot(slot) => binds.entities(slot),
                };
                let (Some(subjects), Some(objects)) = (binds.entities(e.subject), objects) else {
                    continue;
                };
                let mut attributes = BTreeMap::new();
                for (name, src) in &e.attributes {
                    let value = match *src {
                        Attr::Slot(slot) => binds
                            .entities(slot)
                            .and_then(|v| v.first().copied())
                            .map(|i| resolved.entities[i].id.to_string()),
                        Attr::SentenceDate => s
                            .date
                            .get_or_insert_with(|| {
                                let line = s
                                    .article_date
                                    .get_or_init(|| dates::date_line(resolved.doc));
                                dates::first_date(resolved.doc, s.tokens.clone(), line.as_ref())
                            })
                            .clone(),
                    };
                    if let Some(v) = value {
                        attributes.insert(name.clone(), v);
                    }
                }
                let is_symmetric = known_symmetric.unwrap_or_else(|| symmetric(&predicate));
                let mut emit = |a: usize, b: usize| {
                    if a == b {
                        return;
                    }
                    let (a, b) =
                        if is_symmetric && resolved.entities[a].id > resolved.entities[b].id {
                            (b, a)
                        } else {
                            (a, b)
                        };
                    let known = out[before..].iter().any(|f| {
                        f.subject == a
                            && f.object == b
                            && f.predicate == *predicate
                            && f.rule == rule.def.id
                            && f.attributes == attributes
                    });
                    if !known {
                        out.push(Found {
                            subject: a,
                            predicate: predicate.to_string(),
                            object: b,
                            attributes: attributes.clone(),
                            evidence: s.span.clone(),
                            rule: rule.def.id.clone(),
                        });
                    }
                };
                if e.pairs_within {
                    for (i, &a) in subjects.iter().enumerate() {
                        for &b in &subjects[i + 1..] {
                            emit(a, b);
                        }
                    }
                } else {
                    for &a in subjects {
                        for &b in objects {
                            emit(a, b);
                        }
                    }
                }
            }
        }
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

/// What splitting a sentence reads besides the document: the rules' tables and, per entity
/// of the document, its type bit and subtype id.
#[derive(Clone, Copy)]
struct Tables<'c> {
    program: &'c Program,
    lexicon: &'c LexTable,
    /// The table of the lexicon matcher whose patterns the document's hits name, if known.
    lex_patterns: Option<&'c LexPatterns>,
    types: &'c [u32],
    subtypes: &'c [u32],
}

/// Splits the sentence of `tokens` into units (into `units`, reused across sentences) and,
/// in the same pass, fills `scan` with what they offer the rules: the entity units and
/// features, and the units that pass each start key. Then finds the rules that may start
/// somewhere and whose needs the sentence meets.
///
/// `mi` and `li` are the first mention and lexicon hit that start in the sentence or after.
/// `scratch` holds the joined text of multi-token lexicon phrases while it is looked up.
// Out of line: inlined into the sentence loop it costs more (register pressure).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn split_and_scan<'a>(
    tables: Tables<'_>,
    resolved: &'a Resolved<'_>,
    tokens: Range<usize>,
    (mut mi, mut li): (usize, usize),
    units: &mut Vec<Unit<'a>>,
    scratch: &mut String,
    vias: &mut ViaIds,
    scan: &mut Scan,
) {
    let program = tables.program;
    let starts = &program.starts;
    let doc = resolved.doc;
    let (mentions, lexicon) = (&resolved.mentions, &resolved.lexicon);
    units.clear();
    scan.entities = 0;
    scan.features.clear();
    scan.keys.iter_mut().for_each(|w| *w = 0);
    // A sentence has no more units than tokens; the rows are sized before the units are
    // known.
    scan.key_units.reset(starts.keys.len(), tokens.len());
    // The starts of mention `mi` and lexicon hit `li`, moved on only when passed (most
    // tokens are neither), so a plain token costs two compares.
    let mut next_mention = mentions.get(mi).map_or(usize::MAX, |m| m.tokens.start);
    let mut next_lex = lexicon.get(li).map_or(usize::MAX, |h| h.tokens.start);
    let mut i = tokens.start;
    while i < tokens.end {
        let u = units.len();
        if let Some(k) = starts.any {
            scan.pass(k, u);
        }
        // A hit that starts inside the unit before overlaps it and is skipped.
        if next_mention < i {
            while mentions.get(mi).is_some_and(|m| m.tokens.start < i) {
                mi += 1;
            }
            next_mention = mentions.get(mi).map_or(usize::MAX, |m| m.tokens.start);
        }
        if next_lex < i {
            while lexicon.get(li).is_some_and(|h| h.tokens.start < i) {
                li += 1;
            }
            next_lex = lexicon.get(li).map_or(usize::MAX, |h| h.tokens.start);
        }
        let token = &doc.tokens[i];
        if next_mention == i {
            let m = &mentions[mi];
            let end = m.tokens.end.min(tokens.end).max(i + 1);
            let via = vias.id(program, m.via);
            // Only clause breaks read an entity's text, and those are one token.
            let word = if end == i + 1 {
                program.words.get(&token.norm)
            } else {
                NONE
            };
            let entities = &m.entities[..];
            units.push(token_unit(
                token,
                end == i + 1,
                Kind::Entity { entities, via },
                word,
            ));
            scan_entity(tables, scan, u, entities, via);
            i = end;
            continue;
        }
        if next_lex == i {
            let h = &lexicon[li];
            if h.tokens.end <= next_mention.min(tokens.end) {
                let entries = h.entries;
                let one_token = h.tokens.end == i + 1;
                let word = match tables.lex_patterns.and_then(|t| t.get(h.pattern)) {
                    Some((form_word, categories, keys)) => {
                        for &c in categories {
                            scan.features.insert(c);
                        }
                        for &k in keys {
                            scan.pass(k, u);
                        }
                        // A one-token hit's text is the form's: its norm is the form's.
                        if one_token {
                            form_word
                        } else {
                            words_id(program, &doc.tokens[i..h.tokens.end], scratch)
                        }
                    }
                    None => {
                        scan_lex(tables, scan, u, entries);
                        words_id(program, &doc.tokens[i..h.tokens.end], scratch)
                    }
                };
                debug_assert_eq!(
                    word,
                    words_id(program, &doc.tokens[i..h.tokens.end], scratch),
                    "the word id of lexicon pattern {}",
                    h.pattern
                );
                let unit = token_unit(token, one_token, Kind::Lex { entries }, word);
                units.push(unit);
                scan_plain(program, scan, u, &unit);
                i = h.tokens.end.max(i + 1);
                continue;
            }
        }
        let word = program.words.get(&token.norm);
        let unit = token_unit(token, true, Kind::Token, word);
        units.push(unit);
        scan_plain(program, scan, u, &unit);
        i += 1;
    }
    select_rules(program, scan);
}

/// Records the start keys a unit of `entities` (named by way `via`) passes.
#[inline(always)]
fn scan_entity(tables: Tables<'_>, scan: &mut Scan, u: usize, entities: &[usize], via: u32) {
    let starts = &tables.program.starts;
    scan.entities += 1;
    let keys = match entities {
        [one] => {
            // The tests that accept the entity's type, subtype and way of naming are
            // filed under them: no test is left to do.
            let (t, s) = (tables.types[*one], tables.subtypes[*one]);
            for &k in starts.entity_keys_of(t, s, via) {
                scan.pass(k, u);
            }
            return;
        }
        [] => &starts.entity_single,
        _ => &starts.entity_group,
    };
    for &k in keys {
        if let StartKey::Entity(t) = &starts.keys[k as usize]
            && entity_fits(tables.types, tables.subtypes, t, entities, via)
        {
            scan.pass(k, u);
        }
    }
}

/// Records the categories of a lexicon unit's `entries` and the `Lex` start keys it passes.
#[inline(always)]
fn scan_lex(tables: Tables<'_>, scan: &mut Scan, u: usize, entries: &[usize]) {
    for &e in entries {
        let c = tables.lexicon.category(e);
        if c == NONE {
            continue;
        }
        scan.features.insert(c);
        for &k in tables.lexicon.start_keys(e) {
            scan.pass(k, u);
        }
    }
}

/// Records the features and start keys of a unit that is not an entity, by its number,
/// word and shape.
#[inline(always)]
fn scan_plain(program: &Program, scan: &mut Scan, u: usize, unit: &Unit<'_>) {
    let (starts, features) = (&program.starts, &program.features);
    if unit.number.is_some() {
        for &k in &starts.number {
            if let StartKey::Number(t) = starts.keys[k as usize]
                && t.accepts(unit.number)
            {
                scan.pass(k, u);
            }
        }
        for &(test, f) in &features.numbers {
            if test.accepts(unit.number) {
                scan.features.insert(f);
            }
        }
    }
    if unit.word != NONE {
        scan.features.insert_all(features.of_word(unit.word));
        for &k in starts.keys_of_word(unit.word) {
            scan.pass(k, u);
        }
    }
    let shape = if unit.cap {
        starts.cap
    } else if unit.alphabetic {
        starts.lower
    } else {
        None
    };
    if let Some(k) = shape {
        scan.pass(k, u);
    }
}

/// Fills `scan.rules` with the rules that have a start key some unit passed and whose
/// needs the sentence meets, in order.
fn select_rules(program: &Program, scan: &mut Scan) {
    let starts = &program.starts;
    scan.rules.clear();
    let stride = starts.key_rules.stride();
    let (with_key, needs_met) = (&mut scan.rule_starts, &mut scan.next_fits);
    with_key.clear();
    with_key.resize(stride, 0);
    let first_keys = starts.first_keys as u32;
    let passed = bit_ids(&scan.keys).take_while(|&k| k < first_keys);
    if stride == 1 {
        // At most 64 rules (nearly every rule set): one word per key.
        with_key[0] = passed.fold(0, |w, k| w | starts.key_rules.word(k as usize));
    } else {
        for k in passed {
            let rules = starts.key_rules.row(k as usize);
            with_key.iter_mut().zip(rules).for_each(|(w, r)| *w |= r);
        }
    }
    if with_key.iter().all(|&w| w == 0) {
        return;
    }
    // The needs of all rules at once: most sentences meet those of only a few rules.
    program
        .needs
        .terms_met(scan.entities, &scan.features, &mut scan.terms_met);
    needs_met.clear();
    needs_met.resize(stride, 0);
    program.needs.rules_met(&scan.terms_met, needs_met);
    with_key
        .iter_mut()
        .zip(needs_met.iter())
        .for_each(|(w, m)| *w &= m);
    scan.rules.extend(bit_ids(&scan.rule_starts));
}

/// The unit that starts with `t` (`single`: it is that token alone; only such a unit can
/// be a number).
#[inline(always)]
fn token_unit<'a>(t: &Token, single: bool, kind: Kind<'a>, word: u32) -> Unit<'a> {
    let first = t.norm.as_bytes().first().copied();
    Unit {
        kind,
        word,
        cap: t.capitalized,
        alphabetic: match first {
            Some(b) if b.is_ascii() => b.is_ascii_alphabetic(),
            Some(_) => t.norm.chars().next().is_some_and(char::is_alphabetic),
            None => false,
        },
        number: if single && first.is_some_and(|b| b.is_ascii_digit()) {
            number_value(&t.norm)
        } else {
            None
        },
    }
}

/// The id among [`Program::vias`] of each way of naming, found on its first use in a
/// document: a mention's way of naming is then not compared as a string every time.
#[derive(Debug, Default)]
struct ViaIds(Vec<Option<u32>>);

impl ViaIds {
    fn id(&mut self, program: &Program, via: Via) -> u32 {
        let i = via as usize;
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        *self.0[i].get_or_insert_with(|| {
            let name = via.as_str();
            program
                .vias
                .iter()
                .position(|v| v == name)
                .map_or(NONE, |p| p as u32)
        })
    }
}

/// The value of `text` when it is made of ASCII digits only; values too large for 64 bits
/// saturate.
fn number_value(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |v, b| {
        v.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// The word id of the lowercase text of `tokens`, one space apart.
fn words_id(program: &Program, tokens: &[Token], scratch: &mut String) -> u32 {
    match tokens {
        [t] => program.words.get(&t.norm),
        _ => {
            let len = tokens
                .iter()
                .map(|t| t.norm.len() + 1)
                .sum::<usize>()
                .saturating_sub(1);
            let first = tokens
                .first()
                .and_then(|t| t.norm.as_bytes().first().copied());
            if !program.words.may_hold(len, first) {
                return NONE;
            }
            scratch.clear();
            for (k, t) in tokens.iter().enumerate() {
                if k > 0 {
                    scratch.push(' ');
                }
                scratch.push_str(&t.norm);
            }
            program.words.get(scratch)
        }
    }
}

/// Whether unit `u` fits the one-unit element `elem` (an atom), binding nothing.
fn fits(cx: &Cx<'_, '_>, elem: &Elem, u: usize) -> bool {
    let Some(unit) = cx.units.get(u) else {
        return false;
    };
    match elem {
        Elem::Entity(t) => match unit.kind {
            Kind::Entity { entities, via } => entity_fits(cx.types, cx.subtypes, t, entities, via),
            _ => false,
        },
        Elem::Lex { test, .. } => match unit.kind {
            Kind::Lex { entries } => entries.iter().any(|&e| cx.lexicon.fits(e, *test)),
            _ => false,
        },
        Elem::Cap => !matches!(unit.kind, Kind::Entity { .. }) && unit.cap,
        Elem::Lower => !matches!(unit.kind, Kind::Entity { .. }) && !unit.cap && unit.alphabetic,
        Elem::Word(words) => !matches!(unit.kind, Kind::Entity { .. }) && words.contains(unit.word),
        Elem::Number(test) => {
            !matches!(unit.kind, Kind::Entity { .. }) && test.accepts(unit.number)
        }
        _ => unreachable!("only atoms are tested on one unit"),
    }
}

fn entity_fits(
    types: &[u32],
    subtypes: &[u32],
    t: &EntityTest,
    entities: &[usize],
    via: u32,
) -> bool {
    t.group == (entities.len() > 1)
        && t.vias.as_ref().is_none_or(|vs| vs.contains(via))
        && entities.iter().all(|&e| {
            (t.types == 0 || t.types & types[e] != 0)
                && t.subtypes.as_ref().is_none_or(|s| s.contains(subtypes[e]))
        })
}

/// Whether a single element matches unit `u` (used by `Skip` and `Not`; binds nothing).
fn matches_one(cx: &Cx<'_, '_>, elem: &Elem, u: usize) -> bool {
    if elem.is_atom() {
        return fits(cx, elem, u);
    }
    let mut b = Binds::default();
    match_elem(cx, elem, u, &mut b) == Some(u + 1)
}

fn match_elem<'a>(
    cx: &Cx<'_, 'a>,
    elem: &'a Elem,
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    let unit = cx.units.get(u)?;
    match elem {
        Elem::Entity(t) => {
            let Kind::Entity { entities, via } = unit.kind else {
                return None;
            };
            if !entity_fits(cx.types, cx.subtypes, t, entities, via) {
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
            if let Some(b) = t.bind {
                binds.entities.push((b, entities));
            }
            Some(u + 1)
        }
        Elem::Lex { test, bind } => {
            let Kind::Lex { entries } = unit.kind else {
                return None;
            };
            // The first entry of the category whose attribute (one of a comma list) fits.
            let idx = entries
                .iter()
                .copied()
                .find(|&e| cx.lexicon.fits(e, *test))?;
            if let Some(b) = bind {
                binds.lex.push((*b, idx));
            }
            Some(u + 1)
        }
        Elem::Cap | Elem::Lower | Elem::Word(_) | Elem::Number(_) => {
            fits(cx, elem, u).then_some(u + 1)
        }
        Elem::Opt(_) | Elem::Skip { .. } | Elem::Not(_) | Elem::NotAfter(_) | Elem::Either(_) => {
            match_seq(cx, std::slice::from_ref(elem), u, binds)
        }
    }
}

/// A sequence of elements to match: `head`, then whatever `tail` holds. `Opt` and `Either`
/// put their inner elements in front of the rest this way, without copying elements.
#[derive(Clone, Copy)]
struct Seq<'r, 't> {
    head: &'r [Elem],
    tail: Option<&'t Seq<'r, 't>>,
}

/// Matches `elems` from unit `u`; returns the end unit. Backtracks over `Opt`, `Skip` and
/// `Either`.
fn match_seq<'a>(
    cx: &Cx<'_, 'a>,
    elems: &'a [Elem],
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    match_cont(
        cx,
        Seq {
            head: elems,
            tail: None,
        },
        u,
        binds,
    )
}

fn match_cont<'a>(
    cx: &Cx<'_, 'a>,
    seq: Seq<'a, '_>,
    u: usize,
    binds: &mut Binds<'a>,
) -> Option<usize> {
    let Some((first, rest)) = seq.head.split_first() else {
        return match seq.tail {
            Some(t) => match_cont(cx, *t, u, binds),
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
    // A branch followed by the rest of the sequence; on failure, its bindings are undone.
    let branch_then_rest = |branch: &'a Branch, binds: &mut Binds<'a>| {
        if !may_start(cx, branch, u) {
            return None;
        }
        let seq = Seq {
            head: &branch.elems,
            tail: Some(&rest),
        };
        let end = match_cont(cx, seq, u, binds);
        if end.is_none() {
            restore(binds);
        }
        end
    };
    match first {
        Elem::Opt(inner) => {
            branch_then_rest(inner, binds).or_else(|| match_cont(cx, rest, u, binds))
        }
        Elem::Either(alts) => alts.iter().find_map(|alt| branch_then_rest(alt, binds)),
        Elem::Skip { max, only } => {
            // Shortest skip first.
            let mut k = u;
            loop {
                if let Some(e) = match_cont(cx, rest, k, binds) {
                    return Some(e);
                }
                restore(binds);
                if k - u >= *max || k >= cx.units.len() {
                    return None;
                }
                if !only.is_empty() && !only.iter().any(|o| matches_one(cx, o, k)) {
                    return None;
                }
                k += 1;
            }
        }
        Elem::Not(inner) => {
            if u < cx.units.len() && matches_one(cx, inner, u) {
                return None;
            }
            match_cont(cx, rest, u, binds)
        }
        Elem::NotAfter(inner) => {
            if u > 0 && matches_one(cx, inner, u - 1) {
                return None;
            }
            match_cont(cx, rest, u, binds)
        }
        _ => {
            let next = match_elem(cx, first, u, binds)?;
            match match_cont(cx, rest, next, binds) {
                Some(e) => Some(e),
                None => {
                    restore(binds);
                    None
                }
            }
        }
    }
}

/// Whether a match of `branch` may start at unit `u` by its lookahead; when not, trying it
/// would fail.
fn may_start(cx: &Cx<'_, '_>, branch: &Branch, u: usize) -> bool {
    // When the lookahead's atoms are start keys, the units that fit them were found in the
    // pass over the sentence; else each atom is tested.
    let fit_any = |atoms: &Option<Vec<Elem>>, keys: &Option<Vec<u32>>, u: usize| match keys {
        Some(keys) => keys.iter().any(|&k| cx.key_units.contains(k as usize, u)),
        None => atoms
            .as_ref()
            .is_none_or(|atoms| atoms.iter().any(|a| fits(cx, a, u))),
    };
    fit_any(&branch.first, &branch.first_keys, u)
        && fit_any(&branch.second, &branch.second_keys, u + 1)
}

fn guarded(cx: &Cx<'_, '_>, pattern: &Pattern, start: usize, end: usize) -> bool {
    let n = cx.units.len();
    let breaks = &cx.program.breaks;
    pattern.guards.iter().any(|g| {
        let range = match g.scope {
            Scope::Sentence => 0..n,
            Scope::Before(k) => start.saturating_sub(k)..end,
            Scope::Clause => {
                let mut a = start;
                while a > 0 && !breaks.contains(cx.units[a - 1].word) {
                    a -= 1;
                }
                let mut b = end;
                while b < n && b < end + 2 && !breaks.contains(cx.units[b].word) {
                    b += 1;
                }
                a..b
            }
        };
        range.into_iter().any(|u| match cx.units[u].kind {
            Kind::Lex { entries } => g
                .categories
                .iter()
                .any(|&c| entries.iter().any(|&e| cx.lexicon.category(e) == c)),
            _ => false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{BitRows, NONE, Program, Scan, Via, ViaIds, bit_ids, number_value};
    use crate::pipeline::PipelineBuilder;

    /// The per-pattern lexicon table gives each one-token hit the word id of its norm (with
    /// folded apostrophes, capitals, split negations), and the rules find the same with it
    /// as without.
    #[test]
    fn lexicon_patterns_answer_as_the_hits() {
        let p = crate::Pipeline::new().unwrap();
        let (g, rules) = (p.gazetteer(), p.rules());
        let patterns = rules.lex_patterns(g, p.recognizer());
        let text = "The Chancellor didn\u{2019}t say so. Chancellor Olaf Scholz met French \
                    President Emmanuel Macron in Paris on Monday, officials said. He DIDN'T \
                    resign as prime minister; the minister of foreign affairs said \u{201c}no\u{201d}.";
        let doc = crate::Document::new("d", text);
        let analysis = p.analyze(&doc);
        let lexicon = &analysis.resolved.lexicon;
        assert!(lexicon.len() > 10);
        let mut one_token = 0;
        for h in lexicon.iter().filter(|h| h.tokens.len() == 1) {
            let (word, _, _) = patterns.get(h.pattern).unwrap();
            let norm = &doc.tokens[h.tokens.start].norm;
            assert_eq!(word, rules.program.words.get(norm), "{norm}");
            one_token += 1;
        }
        assert!(one_token > 10);
        let found = rules.run_with(g, &patterns, &analysis.resolved);
        assert!(!found.is_empty());
        assert_eq!(found, rules.run(g, &analysis.resolved));
    }

    /// A rule's starts: the units that pass a first key and whose next unit passes a
    /// lookahead key, the same with one word per row (up to 64 units) as with more.
    #[test]
    fn starts_of_rows() {
        for units in [10usize, 64, 65, 150] {
            let mut scan = Scan::default();
            let mut rows = BitRows::default();
            rows.reset(3, units);
            let passes = |k: u32, u: usize| (u * 7 + k as usize * 3).is_multiple_of(k as usize + 2);
            for k in 0..3 {
                (0..units)
                    .filter(|&u| passes(k, u))
                    .for_each(|u| rows.insert(k as usize, u as u32));
            }
            // A branch's lookahead reads the same rows one bit at a time; beyond the last
            // unit nothing passes.
            for k in 0..3 {
                for u in 0..units + 70 {
                    let expect = u < units && passes(k, u);
                    assert_eq!(rows.contains(k as usize, u), expect, "{units} {k} {u}");
                }
            }
            scan.starts_of(&rows, &[0, 2], Some(&[1]));
            let expect: Vec<u32> = (0..units)
                .filter(|&u| (passes(0, u) || passes(2, u)) && u + 1 < units && passes(1, u + 1))
                .map(|u| u as u32)
                .collect();
            assert_eq!(
                bit_ids(&scan.rule_starts).collect::<Vec<_>>(),
                expect,
                "{units}"
            );
            scan.starts_of(&rows, &[1], None);
            let expect: Vec<u32> = (0..units as u32)
                .filter(|&u| passes(1, u as usize))
                .collect();
            assert_eq!(
                bit_ids(&scan.rule_starts).collect::<Vec<_>>(),
                expect,
                "{units}"
            );
        }
    }

    /// Declared symmetric predicates are marked on the rules that name them.
    #[test]
    fn named_predicates_know_whether_they_are_symmetric() {
        let text = r#"(
            predicates: {"test_met": (meaning: "met", symmetric: true), "test_saw": (meaning: "saw")},
            rules: [
                (id: "test.met", pattern: [Entity(bind: "a"), Word(["met"]), Entity(bind: "b")], emit: [(subject: "a", predicate: "test_met", object: "b")]),
                (id: "test.saw", pattern: [Entity(bind: "a"), Word(["saw"]), Entity(bind: "b")], emit: [(subject: "a", predicate: "test_saw", object: "b")]),
            ],
        )"#;
        let p = PipelineBuilder::new()
            .default_rules(false)
            .rules_source("sym.ron", text)
            .build()
            .unwrap();
        let program = &p.rules().program;
        let symmetric: Vec<_> = program
            .patterns
            .iter()
            .map(|pattern| pattern.emit[0].symmetric)
            .collect();
        assert_eq!(symmetric, [Some(true), Some(false)]);
    }

    #[test]
    fn via_ids_are_positions_among_the_rules_vias() {
        let mut program = Program::default();
        program.vias = vec!["surname".into(), "name".into()];
        let mut ids = ViaIds::default();
        assert_eq!(ids.id(&program, Via::Name), 1);
        assert_eq!(ids.id(&program, Via::Surname), 0);
        assert_eq!(ids.id(&program, Via::Pronoun), NONE);
        // Found again from the cache.
        assert_eq!(ids.id(&program, Via::Name), 1);
    }

    #[test]
    fn number_values() {
        assert_eq!(number_value("1992"), Some(1992));
        assert_eq!(number_value("007"), Some(7));
        assert_eq!(number_value("99999999999999999999999"), Some(u64::MAX));
        for text in ["", "3.5", "1,000", "3rd", "-4", "four"] {
            assert_eq!(number_value(text), None, "{text}");
        }
    }

    /// Rules with `Number` elements, after an entity and at the start of a pattern (where
    /// the start index and the needs must find the number unit); their examples are the
    /// test.
    const NUMBER_RULES: &str = r#"(
        predicates: {"test_aged_in": (meaning: "aged in"), "test_visited": (meaning: "visited")},
        rules: [
            (
                id: "test.age",
                pattern: [Entity(bind: "a", types: [Person]), Word(["turned"]), Number(min: 18, max: 99), Word(["in"]), Entity(bind: "b", types: [Location])],
                emit: [(subject: "a", predicate: "test_aged_in", object: "b")],
                examples: [
                    (text: "Ada Vole turned 40 in Lisbon.", expect: ["Ada Vole | test_aged_in | Lisbon"]),
                    (text: "Ada Vole turned 18 in Lisbon.", expect: ["Ada Vole | test_aged_in | Lisbon"]),
                    (text: "Ada Vole turned 7 in Lisbon.", reject: ["Ada Vole | test_aged_in | Lisbon"]),
                    (text: "Ada Vole turned 120 in Lisbon.", reject: ["Ada Vole | test_aged_in | Lisbon"]),
                    (text: "Ada Vole turned 4.5 in Lisbon.", reject: ["Ada Vole | test_aged_in | Lisbon"]),
                    (text: "Ada Vole turned forty in Lisbon.", reject: ["Ada Vole | test_aged_in | Lisbon"]),
                ],
            ),
            (
                id: "test.year_first",
                pattern: [Number(min: 1900), Word([","]), Entity(bind: "a", types: [Person]), Word(["toured"]), Skip(max: 2, only: [Number()]), Entity(bind: "b", types: [Location])],
                emit: [(subject: "a", predicate: "test_visited", object: "b")],
                examples: [
                    (text: "By 1995, Carl Mott toured Lisbon.", expect: ["Carl Mott | test_visited | Lisbon"]),
                    (text: "By 1995, Carl Mott toured 3 12 Lisbon.", expect: ["Carl Mott | test_visited | Lisbon"]),
                    (text: "By 1995, Carl Mott toured 3 12 40 Lisbon.", reject: ["Carl Mott | test_visited | Lisbon"]),
                    (text: "By 1850, Carl Mott toured Lisbon.", reject: ["Carl Mott | test_visited | Lisbon"]),
                ],
            ),
        ],
    )"#;

    #[test]
    fn number_elements_match_by_value() {
        let p = PipelineBuilder::new()
            .default_rules(false)
            .rules_source("numbers.ron", NUMBER_RULES)
            .build()
            .unwrap();
        let failures = p.check_rule_examples();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn number_with_min_above_max_is_rejected() {
        let text = r#"(predicates: {"p": (meaning: "p")}, rules: [(id: "test.bad", pattern: [Entity(bind: "a"), Skip(max: 1, only: [Number(min: 31, max: 1)]), Entity(bind: "b")], emit: [(subject: "a", predicate: "p", object: "b")])])"#;
        let err = PipelineBuilder::new()
            .default_rules(false)
            .rules_source("bad.ron", text)
            .build()
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.ends_with(
                "rule `test.bad`: Number(min: 31, max: 1) can never match: min is greater than max"
            ),
            "{err}"
        );
    }
}
