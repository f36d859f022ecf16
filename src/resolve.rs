//! Resolution stage: mentions to entities, within one document.
//!
//! Input: [`Tagged`] mentions. Output: [`Resolved`]: one [`Entity`] per real-world thing the
//! document names, and every mention pointing at its entities. Besides the gazetteer's own
//! aliases ("Zelensky" = "Zelenskyy") and demonyms ("Russian" -> Russia), it links:
//! - a surname or first name to the person named in full elsewhere ("Peskov");
//! - an acronym defined in brackets ("Ministry of External Affairs (MEA)") to its entity;
//! - "he", "she", "his", "her" to the most salient fitting person before them;
//! - plural references ("the two top diplomats", "both leaders") to the two people they mean,
//!   chosen by the role the text or the gazetteer gives them.
//!
//! Invariants: mentions are sorted by position and never overlap; a group mention points at
//! two or more entities, every other mention at exactly one.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::collections::hash_map::Entry as MapEntry;
use std::ops::Range;
use std::sync::OnceLock;

use crate::byteset::ByteSet;
use crate::fxhash::{FxHashMap, FxHashSet};
use crate::gazetteer::{EntityType, Gazetteer};
use crate::ner::{LexHit, Mention, Tagged, Target, Via, cat};
use crate::text::{Document, TokenKind};

/// An entity of one document.
///
/// Its id, name and subtype borrow from its gazetteer entry when they are the entry's, and its
/// role classes from the entry's facts (`'a` is the life of the document, the gazetteer
/// and the [`RoleClasses`]): most entities are an entry as it stands, and copying those
/// for each entity, then freeing the copies, cost more than the rest of making the entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity<'a> {
    /// Stable id: the gazetteer id (borrowed), else the slug of the name.
    pub id: Cow<'a, str>,
    /// Canonical name.
    pub name: Cow<'a, str>,
    /// Type.
    pub etype: EntityType,
    /// Subtype (`country`, `news_agency`, `politician`...), empty when unknown.
    pub subtype: Cow<'a, str>,
    /// Other names the document or the gazetteer gives it.
    pub aliases: BTreeSet<String>,
    /// Index of its gazetteer entry, if any.
    pub entry: Option<usize>,
    /// Role classes the text or gazetteer gives a person (`diplomat`, `head_of_state`...).
    ///
    /// Borrowed from what resolution read of the entry (most people keep the classes of
    /// their entry; a person gets a copy only when a title in the text adds one).
    pub role_classes: Cow<'a, BTreeSet<String>>,
    /// Gender from the gazetteer (`m`/`f`), if known.
    pub gender: Option<char>,
    /// Predicates of the titles the text writes before the person's name.
    pub text_roles: BTreeSet<String>,
    /// Title lexicon entries the text gives the person (for "the chancellor").
    pub titles: BTreeSet<usize>,
}

impl Entity<'_> {
    /// The entity with copies of what it borrows.
    pub fn into_owned(self) -> Entity<'static> {
        Entity {
            id: Cow::Owned(self.id.into_owned()),
            name: Cow::Owned(self.name.into_owned()),
            etype: self.etype,
            subtype: Cow::Owned(self.subtype.into_owned()),
            aliases: self.aliases,
            entry: self.entry,
            role_classes: Cow::Owned(self.role_classes.into_owned()),
            gender: self.gender,
            text_roles: self.text_roles,
            titles: self.titles,
        }
    }
}

/// A mention after resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedMention {
    /// Byte span.
    pub span: Range<usize>,
    /// Token range.
    pub tokens: Range<usize>,
    /// Indices into [`Resolved::entities`]: one, or several for a group.
    pub entities: EntityIndices,
    /// How the text names them.
    pub via: Via,
}

/// The entities a mention points at, as indices into [`Resolved::entities`]: one, kept in
/// place, or several (a group) in a vector. Reads as a slice.
///
/// Nearly every mention names one entity: a vector each cost an allocation per mention,
/// and as much again to free it.
#[derive(Clone)]
pub struct EntityIndices(Indices);

#[derive(Clone)]
enum Indices {
    One(usize),
    Many(Vec<usize>),
}

impl EntityIndices {
    /// Just `entity`.
    pub fn one(entity: usize) -> EntityIndices {
        EntityIndices(Indices::One(entity))
    }
}

impl From<Vec<usize>> for EntityIndices {
    fn from(entities: Vec<usize>) -> EntityIndices {
        match entities[..] {
            [one] => EntityIndices::one(one),
            _ => EntityIndices(Indices::Many(entities)),
        }
    }
}

impl std::ops::Deref for EntityIndices {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        match &self.0 {
            Indices::One(one) => std::slice::from_ref(one),
            Indices::Many(many) => many,
        }
    }
}

impl std::ops::DerefMut for EntityIndices {
    fn deref_mut(&mut self) -> &mut [usize] {
        match &mut self.0 {
            Indices::One(one) => std::slice::from_mut(one),
            Indices::Many(many) => many,
        }
    }
}

impl PartialEq for EntityIndices {
    fn eq(&self, other: &EntityIndices) -> bool {
        **self == **other
    }
}

impl Eq for EntityIndices {}

impl std::fmt::Debug for EntityIndices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a EntityIndices {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut EntityIndices {
    type Item = &'a mut usize;
    type IntoIter = std::slice::IterMut<'a, usize>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// One document's entities and mentions.
#[derive(Clone, Debug)]
pub struct Resolved<'d> {
    /// The document.
    pub doc: &'d Document,
    /// Entities in order of first mention.
    pub entities: Vec<Entity<'d>>,
    /// Mentions, sorted.
    pub mentions: Vec<ResolvedMention>,
    /// Lexicon hits, as tagged.
    pub lexicon: Vec<LexHit<'d>>,
    /// The article's home country (the country of its dateline), when the document names
    /// it: index into `entities`.
    pub home_country: Option<usize>,
}

/// Makes a stable id from a name: lowercase, runs of other characters become `-`.
pub fn slug(name: &str) -> String {
    if name.is_ascii() {
        return ascii_slug(name);
    }
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c);
            dash = false;
        } else if c != '\'' && c != '\u{2019}' && c != '.' {
            dash = true;
        }
    }
    if out.is_empty() {
        "entity".to_string()
    } else {
        out
    }
}

/// [`slug`] of an ASCII name, byte by byte (lower-casing a `char` looks it up in the
/// Unicode tables, which cost the most of a slug).
fn ascii_slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(char::from(b.to_ascii_lowercase()));
            dash = false;
        } else if b != b'\'' && b != b'.' {
            dash = true;
        }
    }
    if out.is_empty() {
        "entity".to_string()
    } else {
        out
    }
}

/// Resolves the mentions of one document.
pub fn resolve<'d>(gazetteer: &'d Gazetteer, tagged: Tagged<'d>) -> Resolved<'d> {
    let doc = tagged.doc;
    let roles = RoleClasses::new(gazetteer);
    // Resolution passes the hits on as tagged; this copy keeps their borrow of the
    // recognizer, which the result of `resolve_with` ties to `roles`.
    let lexicon = tagged.lexicon.clone();
    let r = resolve_with(gazetteer, &roles, tagged);
    // The entities borrow from `roles`, which ends here: they take copies.
    Resolved {
        doc,
        entities: r.entities.into_iter().map(Entity::into_owned).collect(),
        mentions: r.mentions,
        lexicon,
        home_country: r.home_country,
    }
}

/// What resolution looks up in a gazetteer, indexed once so that resolving a document
/// never scans the whole gazetteer: the role classes of the titles that give each
/// predicate, and the organisations of each country.
#[derive(Clone, Debug, Default)]
pub struct RoleClasses {
    by_predicate: FxHashMap<String, Vec<String>>,
    /// Per title entry (lexicon `title`): its `class` and `predicate` attributes, read
    /// once rather than for every title the text writes before a name.
    titles: FxHashMap<usize, TitleFacts>,
    /// Per country: its organisations, each with its name and aliases in lower case.
    orgs_by_country: FxHashMap<String, Vec<(usize, Vec<String>)>>,
    /// Names and aliases of the generic lexicon words ("generic_word", "function_word",
    /// "org_suffix"), compared with a word in lower case.
    generic_lower: FxHashSet<String>,
    /// Their aliases alone, compared with a word as written.
    generic_aliases: FxHashSet<String>,
    /// Per gazetteer entry, the lexicon categories resolution asks about, as bits
    /// ([`LEX_SPORT_VERB`]...), read from the subtypes once instead of for every hit.
    entry_categories: Box<[u8]>,
    /// Per gazetteer entry, what an entity of it starts with and the names a document may
    /// shorten it to: read from the entry the first time a document names it, then shared
    /// by every document (reading the attributes and splitting the name again for each
    /// entity cost more than the rest of making it).
    entry_facts: Box<[OnceLock<EntryFacts>]>,
}

/// The attributes of a title entry that resolution reads.
#[derive(Clone, Debug, Default)]
struct TitleFacts {
    /// The role class it gives (`diplomat`, `head_of_state`...).
    class: Option<String>,
    /// The predicate it gives (`foreign_minister`...).
    predicate: Option<String>,
}

/// What resolution reads from a gazetteer entry, worked out once per entry.
#[derive(Clone, Debug, Default)]
struct EntryFacts {
    /// The role classes of the predicates of its `role` attribute, sorted, no repeats.
    role_classes: BTreeSet<String>,
    /// The first character of its `gender` attribute.
    gender: Option<char>,
    /// For a person: the parts of its name a reader links to it ([`name_parts`] of the
    /// name).
    name_parts: Box<[Box<str>]>,
    /// For an organisation: the first word of its name, when the organisation may go by
    /// that word alone ([`RoleClasses::short_name`]), and the slug of that word.
    short_name: Option<(Box<str>, Box<str>)>,
}

impl RoleClasses {
    /// Reads the `title` entries of the lexicon and the organisations' countries.
    pub fn new(gazetteer: &Gazetteer) -> RoleClasses {
        let mut by_predicate: FxHashMap<String, Vec<String>> = FxHashMap::default();
        let mut orgs_by_country: FxHashMap<String, Vec<(usize, Vec<String>)>> =
            FxHashMap::default();
        let mut generic_lower = FxHashSet::default();
        let mut generic_aliases = FxHashSet::default();
        let mut titles = FxHashMap::default();
        for (i, e) in gazetteer.entries().iter().enumerate() {
            if e.kind == crate::gazetteer::EntryKind::Lexicon
                && matches!(
                    e.subtype.as_str(),
                    "generic_word" | "function_word" | "org_suffix"
                )
            {
                generic_lower.insert(e.name.clone());
                for a in &e.aliases {
                    generic_lower.insert(a.text.clone());
                    generic_aliases.insert(a.text.clone());
                }
            }
            if e.entity_type() == Some(EntityType::Organization)
                && let Some(c) = e.attr("country")
            {
                let names = std::iter::once(e.name.as_str())
                    .chain(e.aliases.iter().map(|a| a.text.as_str()))
                    .map(str::to_lowercase)
                    .collect();
                orgs_by_country
                    .entry(c.to_string())
                    .or_default()
                    .push((i, names));
            }
            if e.subtype != "title" {
                continue;
            }
            let (predicate, class) = (e.attr("predicate"), e.attr("class"));
            if let (Some(p), Some(c)) = (predicate, class) {
                by_predicate
                    .entry(p.to_string())
                    .or_default()
                    .push(c.to_string());
            }
            titles.insert(
                i,
                TitleFacts {
                    class: class.map(str::to_string),
                    predicate: predicate.map(str::to_string),
                },
            );
        }
        RoleClasses {
            by_predicate,
            titles,
            orgs_by_country,
            generic_lower,
            generic_aliases,
            entry_categories: gazetteer
                .entries()
                .iter()
                .map(|e| subtype_categories(&e.subtype))
                .collect(),
            entry_facts: (0..gazetteer.entries().len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// The lexicon categories (bits) of entry `entry` of `gazetteer`.
    fn categories(&self, gazetteer: &Gazetteer, entry: usize) -> u8 {
        // Role classes made for another gazetteer have no bits for the entry.
        match self.entry_categories.get(entry) {
            Some(&bits) => bits,
            None => subtype_categories(&gazetteer.entries()[entry].subtype),
        }
    }

    /// The facts of entry `entry`, read the first time they are asked for; `None` when
    /// these role classes were made for another gazetteer (no slot for the entry).
    fn facts<'a>(&'a self, gazetteer: &Gazetteer, entry: usize) -> Option<&'a EntryFacts> {
        let slot = self.entry_facts.get(entry)?;
        Some(slot.get_or_init(|| self.read_facts(gazetteer, entry)))
    }

    /// Whether `word` is a generic word ("National", "United", "The") as written or in
    /// lower case.
    fn is_generic(&self, word: &str) -> bool {
        self.generic_lower.contains(&word.to_lowercase()) || self.generic_aliases.contains(word)
    }

    /// The first word of an organisation's name, when the organisation may go by it alone
    /// ("Samsung" for "Samsung Electronics Co."): the name has two words or more and the
    /// first is distinctive: three letters or more, capitalised but not all capitals, and
    /// not a generic word.
    fn short_name<'n>(&self, name: &'n str) -> Option<&'n str> {
        let mut words = name.split_whitespace();
        let (Some(first), Some(_)) = (words.next(), words.next()) else {
            return None;
        };
        let distinctive = first.chars().count() >= 3
            && first.chars().next().is_some_and(char::is_uppercase)
            && !first.chars().all(char::is_uppercase)
            && !self.is_generic(first);
        distinctive.then_some(first)
    }

    fn of(&self, predicate: &str) -> &[String] {
        self.by_predicate.get(predicate).map_or(&[], Vec::as_slice)
    }

    /// Reads the facts of entry `entry` from its attributes.
    fn read_facts(&self, gazetteer: &Gazetteer, entry: usize) -> EntryFacts {
        let e = &gazetteer.entries()[entry];
        let (role, gender) = role_and_gender(e);
        let mut role_classes = BTreeSet::new();
        if let Some(roles) = role {
            for role in roles.split(',') {
                let predicate = role.split(':').next().unwrap_or("");
                role_classes.extend(self.of(predicate).iter().cloned());
            }
        }
        let mut name_parts = Vec::new();
        let mut short_name = None;
        match e.entity_type() {
            Some(EntityType::Person) => {
                self::name_parts(&e.name, true, |p| name_parts.push(Box::from(p)));
            }
            Some(EntityType::Organization) => {
                short_name = self
                    .short_name(&e.name)
                    .map(|w| (Box::from(w), Box::from(slug(w))));
            }
            _ => {}
        }
        EntryFacts {
            role_classes,
            gender: gender.and_then(|g: &str| g.chars().next()),
            name_parts: name_parts.into(),
            short_name,
        }
    }
}

/// The `role` and `gender` attributes of an entry: two look-ups, each one pass over the
/// attribute text eight bytes at a time (walking the pairs once, splitting each, cost
/// twice as much).
fn role_and_gender(e: &crate::gazetteer::Entry) -> (Option<&str>, Option<&str>) {
    (e.attr("role"), e.attr("gender"))
}

/// The lexicon categories (bits) of a subtype: the recognizer's reading of the subtype
/// (`ner::cat`, the one place that names lexicon categories), narrowed to what resolution asks.
fn subtype_categories(subtype: &str) -> u8 {
    let cats = cat::of(subtype);
    let mut bits = 0;
    for (from, to) in [
        (cat::SPORT_VERB, LEX_SPORT_VERB),
        (cat::REPORTING_VERB, LEX_REPORTING_VERB),
        (cat::FUNCTION_WORD | cat::DATE_WORD, LEX_NOT_A_NAME),
        (cat::HONORIFIC, LEX_NOT_A_NAME | LEX_HONORIFIC),
        (cat::TITLE, LEX_NOT_A_NAME | LEX_TITLE),
        (cat::GROUP_NOUN, LEX_GROUP_NOUN),
    ] {
        if cats & from != 0 {
            bits |= to;
        }
    }
    bits
}

/// [`resolve`] with the role classes computed beforehand (as the pipeline does).
pub fn resolve_with<'d>(
    gazetteer: &'d Gazetteer,
    roles: &'d RoleClasses,
    tagged: Tagged<'d>,
) -> Resolved<'d> {
    let doc = tagged.doc;
    let (lex_flags, hit_categories) = lexicon_flags(gazetteer, roles, doc, &tagged.lexicon);
    let mut r = Resolver {
        gazetteer,
        roles,
        doc,
        // At most one entity per mention: room for all, so that the (large) entities are
        // never moved to grow the vector.
        entities: Vec::with_capacity(tagged.mentions.len()),
        by_entry: FxHashMap::with_capacity_and_hasher(tagged.mentions.len(), Default::default()),
        by_id: FxHashMap::default(),
        mentions: Vec::with_capacity(tagged.mentions.len()),
        covered: vec![false; doc.tokens.len()],
        lex_flags,
        hit_categories,
        token_lists: TokenLists::new(doc),
        unsorted: false,
    };
    for m in &tagged.mentions {
        r.add_named(m);
    }
    r.unsorted = !r.mentions.is_sorted_by_key(|m| m.tokens.start);
    r.merge_partial_names();
    r.link_acronyms();
    r.link_name_parts();
    r.sort_mentions();
    r.link_org_short_names();
    r.assign_roles(&tagged);
    r.link_definite_titles(&tagged);
    r.link_groups(&tagged);
    r.link_pronouns();
    r.sort_mentions();
    r.retype_teams();
    let home_country = r
        .home_country()
        .and_then(|id| r.entities.iter().position(|e| e.id == id));
    Resolved {
        doc,
        entities: r.entities,
        mentions: r.mentions,
        lexicon: tagged.lexicon,
        home_country,
    }
}

struct Resolver<'g, 'd> {
    gazetteer: &'g Gazetteer,
    roles: &'g RoleClasses,
    doc: &'d Document,
    entities: Vec<Entity<'g>>,
    /// Entity by gazetteer entry index, for the entities whose id is their entry's:
    /// hashing one word instead of the id's bytes (most entities are entries, and most are
    /// named once).
    by_entry: FxHashMap<usize, usize>,
    /// Entity by id, for the other entities (names found in the text, sports teams). With
    /// `by_entry`, every entity's id: see [`Resolver::entity_with_id`].
    by_id: FxHashMap<Cow<'g, str>, usize>,
    mentions: Vec<ResolvedMention>,
    /// Per token: whether a mention covers it.
    covered: Vec<bool>,
    /// Per token: the lexicon categories resolution asks about ([`LEX_SPORT_VERB`]...)
    /// of the lexicon hits covering it.
    lex_flags: Vec<u8>,
    /// Per lexicon hit: the categories of its entries (the passes over the hits look
    /// for titles and group nouns among hundreds of function words).
    hit_categories: Vec<u8>,
    /// The few tokens the later passes visit, found in one pass over the tokens.
    token_lists: TokenLists,
    /// Whether mentions were added since they were last sorted ([`Resolver::sort_mentions`]).
    unsorted: bool,
}

/// The tokens some pass of resolution may act on, listed in one pass over the document so
/// that each of those passes visits a few tokens instead of all of them.
#[derive(Debug, Default)]
struct TokenLists {
    /// Words that may start a name part or an organisation's short name, in order: those
    /// whose first character is a capital. That is a capitalised word, or a split-off
    /// "n't", which the tokeniser never marks capitalised ("DON'T").
    name_words: Vec<usize>,
    /// The personal pronouns ("he", "him", "his", "she", "her"), in order, with the gender
    /// they refer to (`m`/`f`).
    pronouns: Vec<(usize, char)>,
}

impl TokenLists {
    fn new(doc: &Document) -> TokenLists {
        // Sized for news text (about one token in five a capitalised word, one in fifty a
        // pronoun), so that the lists seldom grow.
        let n = doc.tokens.len();
        let mut lists = TokenLists {
            name_words: Vec::with_capacity(n / 4),
            pronouns: Vec::with_capacity(n / 32),
        };
        for (i, t) in doc.tokens.iter().enumerate() {
            // Numbers and punctuation are neither (most tokens are not words of these).
            if t.kind != TokenKind::Word {
                continue;
            }
            let norm = t.norm.as_bytes();
            if t.capitalized || norm == b"n't" {
                lists.name_words.push(i);
            }
            let gender = match norm {
                b"he" | b"him" | b"his" => 'm',
                b"she" | b"her" => 'f',
                _ => continue,
            };
            lists.pronouns.push((i, gender));
        }
        lists
    }
}

/// Lexicon categories, as bits of [`Resolver::lex_flags`] and of an entry's categories.
const LEX_SPORT_VERB: u8 = 1;
const LEX_REPORTING_VERB: u8 = 2;
/// `function_word`, `date_word`, `title` or `honorific`: not a name part.
const LEX_NOT_A_NAME: u8 = 4;
/// `title` (an entry's bit; a token's bits do not need it).
const LEX_TITLE: u8 = 8;
/// `group_noun` (an entry's bit).
const LEX_GROUP_NOUN: u8 = 16;
/// `honorific` (an entry's bit).
const LEX_HONORIFIC: u8 = 32;

/// Per token, the categories (the bits above) of the lexicon hits that cover it; and per
/// hit, the categories of its entries.
// Out of line: inlined into `resolve_with` it measured 0.9 M instructions more on 500
// articles.
#[inline(never)]
fn lexicon_flags(
    gazetteer: &Gazetteer,
    roles: &RoleClasses,
    doc: &Document,
    lexicon: &[LexHit<'_>],
) -> (Vec<u8>, Vec<u8>) {
    let mut per_token = vec![0u8; doc.tokens.len()];
    let n = per_token.len();
    let mut per_hit = Vec::with_capacity(lexicon.len());
    for h in lexicon {
        let flags = h
            .entries
            .iter()
            .fold(0, |f, &e| f | roles.categories(gazetteer, e));
        per_hit.push(flags);
        if flags != 0 {
            // Hits lie within the document; clamped all the same.
            let end = h.tokens.end.min(n);
            for slot in &mut per_token[h.tokens.start.min(end)..end] {
                *slot |= flags;
            }
        }
    }
    (per_token, per_hit)
}

impl<'g> Resolver<'g, '_> {
    fn entity_for_entry(&mut self, entry: usize) -> usize {
        let gazetteer: &'g Gazetteer = self.gazetteer;
        let e = &gazetteer.entries()[entry];
        // One look-up for both finding the entity and claiming the entry for a new one.
        let idx = self.entities.len();
        match self.by_entry.entry(entry) {
            MapEntry::Occupied(found) => return *found.get(),
            MapEntry::Vacant(slot) => {
                // A name found in the text may have taken the entry's id first: the entry
                // is that entity (as when all ids shared one map).
                if let Some(&taken) = self.by_id.get(e.id.as_str()) {
                    slot.insert(taken);
                    return taken;
                }
                slot.insert(idx)
            }
        };
        let etype = e.entity_type().unwrap_or(EntityType::Misc);
        // Read once per entry and kept, unless these role classes were made for another
        // gazetteer (then there is no slot for the entry).
        let roles: &'g RoleClasses = self.roles;
        let (role_classes, gender) = match roles.facts(gazetteer, entry) {
            Some(facts) => (Cow::Borrowed(&facts.role_classes), facts.gender),
            None => {
                let read = roles.read_facts(gazetteer, entry);
                (Cow::Owned(read.role_classes), read.gender)
            }
        };
        self.entities.push(Entity {
            id: Cow::Borrowed(&e.id),
            name: Cow::Borrowed(&e.name),
            etype,
            subtype: Cow::Borrowed(&e.subtype),
            aliases: BTreeSet::new(),
            entry: Some(entry),
            role_classes,
            gender,
            text_roles: BTreeSet::new(),
            titles: BTreeSet::new(),
        });
        idx
    }

    /// Adds an entity that is not a gazetteer entry as it stands (a name found in the text).
    fn push_entity(&mut self, e: Entity<'g>) -> usize {
        let i = self.entities.len();
        self.by_id.insert(e.id.clone(), i);
        self.entities.push(e);
        i
    }

    /// The entity with id `id`: one found in the text, or the entity of the gazetteer entry
    /// with that id.
    fn entity_with_id(&self, id: &str) -> Option<usize> {
        if let Some(&i) = self.by_id.get(id) {
            return Some(i);
        }
        if self.by_entry.is_empty() {
            return None;
        }
        let entry = self.gazetteer.index_of(id)?;
        self.by_entry.get(&entry).copied()
    }

    fn add_named(&mut self, m: &Mention) {
        let text = &self.doc.text[m.span.clone()];
        let idx = match &m.target {
            Target::Entry { entry, .. } => self.entity_for_entry(*entry),
            Target::Found { name, etype } => {
                if let Some(entry) = self.home_body(name, *etype) {
                    let idx = self.entity_for_entry(entry);
                    self.mark(m.tokens.clone());
                    self.mentions.push(ResolvedMention {
                        span: m.span.clone(),
                        tokens: m.tokens.clone(),
                        entities: EntityIndices::one(idx),
                        via: Via::Alias,
                    });
                    self.entities[idx].aliases.insert(name.clone());
                    return;
                }
                let key = slug(name);
                match self.entity_with_id(&key) {
                    Some(i) if self.entities[i].etype == *etype => i,
                    Some(_) => {
                        let key = format!("{key}-{}", etype.as_str().to_lowercase());
                        match self.entity_with_id(&key) {
                            Some(i) => i,
                            None => self.push_entity(new_entity(key, name, *etype)),
                        }
                    }
                    None => self.push_entity(new_entity(key, name, *etype)),
                }
            }
        };
        let name = &self.entities[idx].name;
        // `text == name.to_uppercase()`, without making the upper-case copy.
        let headline_case = || text.chars().eq(name.chars().flat_map(char::to_uppercase));
        if m.via != Via::Demonym && text != name && !headline_case() {
            // Most names recur: copy the alias only the first time.
            insert_alias(&mut self.entities[idx].aliases, &single_spaced(text));
        }
        self.mark(m.tokens.clone());
        self.mentions.push(ResolvedMention {
            span: m.span.clone(),
            tokens: m.tokens.clone(),
            entities: EntityIndices::one(idx),
            via: m.via,
        });
    }

    /// A city or region that plays ("Somerset beat Kent", "HOUSTON 4 CHICAGO 2") is a
    /// sports team of that place: an organisation. Countries stay places (news style
    /// names national teams by their country).
    fn retype_teams(&mut self) {
        let doc = self.doc;
        let sport_cue = |i: usize| {
            self.lex_flags
                .get(i)
                .is_some_and(|&f| f & LEX_SPORT_VERB != 0)
        };
        let score_at = |i: usize| doc.is_score(i);
        // Whether the document is a results table: read only for a place before a score
        // (most documents have none, and the test reads every sentence).
        let table = std::cell::OnceCell::new();
        let is_table = || *table.get_or_init(|| doc.is_score_table());
        let mut scored_names_per_sentence = vec![0usize; doc.sentences.len()];
        for m in &self.mentions {
            if score_at(m.tokens.end) {
                scored_names_per_sentence[doc.sentence_of_token(m.tokens.start)] += 1;
            }
        }
        let mut teams = BTreeSet::new();
        for m in &self.mentions {
            let [e] = m.entities[..] else { continue };
            let ent = &self.entities[e];
            let place = ent.etype == EntityType::Location
                && !matches!(&*ent.subtype, "country" | "territory" | "region");
            if !place || !m.via.names_entity() {
                continue;
            }
            let after = m.tokens.end;
            let before = m.tokens.start;
            let cue = sport_cue(after)
                || (before > 0 && sport_cue(before - 1))
                || (before > 1 && sport_cue(before - 2));
            let score = score_at(after)
                && (is_table() || scored_names_per_sentence[doc.sentence_of_token(before)] >= 2);
            if cue || score {
                teams.insert(e);
            }
        }
        if teams.is_empty() {
            return;
        }
        for e in teams {
            let ent = &mut self.entities[e];
            ent.etype = EntityType::Organization;
            ent.subtype = Cow::Borrowed("sports_team");
            ent.id.to_mut().push_str("-team");
            ent.entry = None;
        }
        self.reindex();
    }

    /// The article's home country: the country of the place its dateline names
    /// ("TOKYO, May 20 (Kyodo) --", "Moscow:"), found among the first mentions.
    fn home_country(&self) -> Option<String> {
        let entries = self.gazetteer.entries();
        let first_body = self
            .doc
            .sentences
            .iter()
            .position(|s| s.end - s.start > 80)?;
        let limit = self.doc.sentences[first_body].tokens.start + 4;
        self.mentions
            .iter()
            .filter(|m| m.tokens.start <= limit)
            .filter_map(|m| self.entities[m.entities[0]].entry)
            .map(|e| &entries[e])
            .find(|e| e.entity_type() == Some(EntityType::Location))
            .and_then(|e| {
                if e.subtype == "country" {
                    Some(e.id.clone())
                } else {
                    e.attr("country").map(str::to_string)
                }
            })
    }

    /// "Foreign Ministry" with no country named: the body of that name of the article's
    /// home country, when the gazetteer has it ("Japanese Foreign Ministry" in a Tokyo
    /// story).
    fn home_body(&self, name: &str, etype: EntityType) -> Option<usize> {
        if etype != EntityType::Organization || name.split_whitespace().count() > 3 {
            return None;
        }
        let home = self.home_country()?;
        let suffix = format!(" {}", name.to_lowercase());
        let orgs = self.roles.orgs_by_country.get(home.as_str())?;
        let mut found = orgs
            .iter()
            .filter(|(_, names)| names.iter().any(|n| n.ends_with(&suffix)));
        let first = found.next()?;
        found.next().is_none().then_some(first.0)
    }

    /// A found person whose name is a part of a known person's full name ("Jaishankar"
    /// found after a title, "Subrahmanyam Jaishankar" in the gazetteer) is that person.
    fn merge_partial_names(&mut self) {
        let partial = |e: &Entity| e.etype == EntityType::Person && e.entry.is_none();
        if !self.entities.iter().any(partial) {
            return;
        }
        let full: Vec<(usize, Vec<String>)> = self
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.etype == EntityType::Person)
            .map(|(i, e)| (i, name_words(&e.name)))
            .collect();
        // Full names by word: a candidate holds the partial name's first word, so only those
        // are compared (comparing every pair was quadratic in the number of people).
        let mut by_word: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (k, (_, fw)) in full.iter().enumerate() {
            for (n, w) in fw.iter().enumerate() {
                if !fw[..n].contains(w) {
                    by_word.entry(w.as_str()).or_default().push(k);
                }
            }
        }
        let mut remap: FxHashMap<usize, usize> = FxHashMap::default();
        for (i, e) in self.entities.iter().enumerate() {
            if e.etype != EntityType::Person || e.entry.is_some() {
                continue;
            }
            let words = name_words(&e.name);
            let Some(first) = words.first() else { continue };
            let candidates: Vec<usize> = by_word
                .get(first.as_str())
                .into_iter()
                .flatten()
                .map(|&k| &full[k])
                .filter(|(j, fw)| *j != i && fw.len() > words.len() && is_subname(&words, fw))
                .map(|(j, _)| *j)
                .collect();
            if let [j] = candidates[..] {
                remap.insert(i, j);
            }
        }
        if remap.is_empty() {
            return;
        }
        for m in &mut self.mentions {
            for e in &mut m.entities {
                if let Some(&j) = remap.get(e) {
                    *e = j;
                    if m.via == Via::Title {
                        m.via = Via::Surname;
                    }
                }
            }
        }
        for (&from, &to) in &remap {
            let name = self.entities[from].name.clone();
            self.entities[to].aliases.insert(name.into_owned());
        }
        self.compact();
    }

    /// Drops entities no mention points at, renumbering the rest.
    fn compact(&mut self) {
        let mut used = vec![false; self.entities.len()];
        for m in &self.mentions {
            for &e in &m.entities {
                used[e] = true;
            }
        }
        let mut new_index = vec![usize::MAX; self.entities.len()];
        let mut kept = Vec::new();
        for (i, e) in std::mem::take(&mut self.entities).into_iter().enumerate() {
            if used[i] {
                new_index[i] = kept.len();
                kept.push(e);
            }
        }
        self.entities = kept;
        self.reindex();
        for m in &mut self.mentions {
            for e in &mut m.entities {
                *e = new_index[*e];
            }
        }
    }

    /// Rebuilds the id indexes after entities were renumbered or renamed. (Ids may repeat
    /// after a rename, "x-team"; the passes after one only ask whether an id is taken.)
    fn reindex(&mut self) {
        let entries = self.gazetteer.entries();
        self.by_entry.clear();
        self.by_id.clear();
        for (i, e) in self.entities.iter().enumerate() {
            match e.entry {
                Some(entry) if *e.id == entries[entry].id => self.by_entry.insert(entry, i),
                _ => self.by_id.insert(e.id.clone(), i),
            };
        }
    }

    fn covered(&self, tok: usize) -> bool {
        self.covered.get(tok).copied().unwrap_or(false)
    }

    /// Adds mentions and marks their tokens covered.
    fn add_mentions(&mut self, added: Vec<ResolvedMention>) {
        for m in &added {
            self.mark(m.tokens.clone());
        }
        self.unsorted |= !added.is_empty();
        self.mentions.extend(added);
    }

    /// Sorts the mentions by their first token (stably), unless no mention came since they
    /// were last sorted: most passes add none, and sorting a sorted list still cost a
    /// pass and a buffer.
    fn sort_mentions(&mut self) {
        if self.unsorted {
            self.mentions.sort_by_key(|m| m.tokens.start);
            self.unsorted = false;
        }
    }

    fn mark(&mut self, tokens: Range<usize>) {
        for t in tokens {
            if let Some(c) = self.covered.get_mut(t) {
                *c = true;
            }
        }
    }

    /// "the Ministry of External Affairs (MEA)": later "MEA" is that ministry.
    fn link_acronyms(&mut self) {
        let toks = &self.doc.tokens;
        let mut defined: FxHashMap<String, usize> = FxHashMap::default();
        for m in &self.mentions {
            let (Some(open), Some(acr), Some(close)) = (
                toks.get(m.tokens.end),
                toks.get(m.tokens.end + 1),
                toks.get(m.tokens.end + 2),
            ) else {
                continue;
            };
            let acr_text = &self.doc.text[acr.start..acr.end];
            if open.norm == "("
                && close.norm == ")"
                && acr_text.len() >= 2
                && acr_text
                    .chars()
                    .all(|c| c.is_uppercase() || c.is_ascii_digit())
                && self.is_acronym_of(acr_text, &self.doc.text[m.span.clone()])
                && m.entities.len() == 1
            {
                defined.insert(acr_text.to_string(), m.entities[0]);
            }
        }
        if defined.is_empty() {
            return;
        }
        let mut added = Vec::new();
        for (i, t) in toks.iter().enumerate() {
            if t.kind != TokenKind::Word || self.covered(i) {
                continue;
            }
            if let Some(&e) = defined.get(&self.doc.text[t.start..t.end]) {
                added.push(ResolvedMention {
                    span: t.start..t.end,
                    tokens: i..i + 1,
                    entities: EntityIndices::one(e),
                    via: Via::Acronym,
                });
                let a = &self.doc.text[t.start..t.end];
                insert_alias(&mut self.entities[e].aliases, a);
            }
        }
        self.add_mentions(added);
    }

    fn is_acronym_of(&self, acronym: &str, name: &str) -> bool {
        let initials: String = name
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .filter_map(|w| w.chars().next())
            .collect();
        let all: String = name
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter_map(|w| w.chars().next())
            .flat_map(char::to_uppercase)
            .collect();
        initials == acronym || all == acronym
    }

    /// Surnames and first names of people named in full: "Peskov" is Dmitry Peskov when the
    /// document names exactly one person with that name part. A person named by one word
    /// only is that word elsewhere too.
    fn link_name_parts(&mut self) {
        // Per name part: the one person it names, or `SEVERAL`. Parts borrow the names
        // (no copy per word), and a number is enough where a list of people was kept.
        const SEVERAL: usize = usize::MAX;
        fn add<'a>(
            parts: &mut FxHashMap<Cow<'a, str>, usize>,
            wanted: &impl Fn(&str) -> bool,
            part: Cow<'a, str>,
            person: usize,
        ) {
            if !wanted(&part) {
                return;
            }
            parts
                .entry(part)
                .and_modify(|p| {
                    if *p != person {
                        *p = SEVERAL;
                    }
                })
                .or_insert(person);
        }
        let (gazetteer, roles) = (self.gazetteer, self.roles);
        let doc = self.doc;
        let toks = &doc.tokens;
        let lexicon_word = |i: usize| self.lex_flags[i] & LEX_NOT_A_NAME != 0;
        // The words a part may start at, found first: parts that start with none of their
        // first bytes cannot match and stay out of the table (most do: a document has
        // many people and few free capitalised words). The single-spaced text a part is
        // compared with starts with its word's first byte; a non-ASCII one may be a space
        // that single spacing drops, so then every part is kept.
        let starts: Vec<usize> = self
            .token_lists
            .name_words
            .iter()
            .copied()
            .filter(|&i| toks[i].capitalized && !self.covered(i) && !lexicon_word(i))
            .collect();
        if starts.is_empty() {
            return;
        }
        let mut start_bytes = ByteSet::default();
        let mut any_part = false;
        for &i in &starts {
            let b = doc.text.as_bytes()[toks[i].start];
            any_part |= !b.is_ascii();
            start_bytes.insert(b);
        }
        let wanted = |p: &str| any_part || start_bytes.contains(p.as_bytes()[0]);
        let mut parts: FxHashMap<Cow<'_, str>, usize> = FxHashMap::default();
        for (i, e) in self.entities.iter().enumerate() {
            if e.etype != EntityType::Person {
                continue;
            }
            // A person of the gazetteer has its entry's name: its parts are known.
            let entry = e
                .entry
                .filter(|&x| same_str(&gazetteer.entries()[x].name, &e.name));
            match entry.and_then(|x| roles.facts(gazetteer, x)) {
                Some(facts) => {
                    for p in &facts.name_parts {
                        add(&mut parts, &wanted, Cow::Borrowed(p), i);
                    }
                }
                None => name_parts(&e.name, true, |p| add(&mut parts, &wanted, p, i)),
            }
            for a in e.aliases.iter().filter(|a| **a != e.name) {
                name_parts(a, false, |p| add(&mut parts, &wanted, p, i));
            }
        }
        if parts.is_empty() {
            return;
        }
        let mut first_bytes = ByteSet::default();
        for p in parts.keys() {
            first_bytes.insert(p.as_bytes()[0]);
        }
        // Whether a part may start with the first byte of token `i` (non-ASCII characters
        // take the look-ups all the same).
        let may_start = |i: usize| {
            let b = doc.text.as_bytes()[toks[i].start];
            !b.is_ascii() || first_bytes.contains(b)
        };
        let mut added = Vec::new();
        // The first token a found part has not taken.
        let mut free = 0;
        for &i in &starts {
            if i < free || !may_start(i) {
                continue;
            }
            // Longest name part starting here (compound surnames span several tokens).
            let mut best = None;
            for len in (1..=4).rev() {
                if i + len > toks.len() {
                    continue;
                }
                if (i..i + len).any(|k| self.covered(k)) {
                    continue;
                }
                let text = tokens_text(doc, i..i + len);
                // The word must end there: "Lee" is not part of "Leeds".
                if let Some(&person) = parts.get(&*text)
                    && person != SEVERAL
                {
                    best = Some((len, person));
                    break;
                }
            }
            if let Some((len, e)) = best {
                added.push(ResolvedMention {
                    span: toks[i].start..toks[i + len - 1].end,
                    tokens: i..i + len,
                    entities: EntityIndices::one(e),
                    via: Via::Surname,
                });
                free = i + len;
            }
        }
        for m in &added {
            let text = &doc.text[m.span.clone()];
            let e = &mut self.entities[m.entities[0]];
            if text != e.name {
                insert_alias(&mut e.aliases, text);
            }
        }
        self.add_mentions(added);
    }

    /// Roles a title right before a person's mention gives ("Foreign Minister X",
    /// "spokesman, X", "Foreign Minister Sheikh X").
    fn assign_roles(&mut self, tagged: &Tagged<'_>) {
        let entries = self.gazetteer.entries();
        let (gazetteer, roles) = (self.gazetteer, self.roles);
        let is = |e: usize, category: u8| roles.categories(gazetteer, e) & category != 0;
        // The lexicon hit ending at token `k`: hits are sorted and never overlap, so their
        // ends rise and a binary search finds it (a table over every token cost more than
        // the few people it served; a linear search per mention was quadratic).
        let lexicon = &tagged.lexicon;
        let hit_ending_at = |k: usize| {
            let at = lexicon.partition_point(|h| h.tokens.end < k);
            lexicon.get(at).filter(|h| h.tokens.end == k)
        };
        for m in &self.mentions {
            if m.entities.len() != 1 || self.entities[m.entities[0]].etype != EntityType::Person {
                continue;
            }
            let mut k = m.tokens.start;
            if k > 0 && self.doc.tokens[k - 1].norm == "," {
                k -= 1;
            }
            let mut hit = hit_ending_at(k);
            if let Some(h) = hit
                && h.entries.iter().all(|&e| is(e, LEX_HONORIFIC))
            {
                hit = hit_ending_at(h.tokens.start);
            }
            let Some(h) = hit else { continue };
            let idx = m.entities[0];
            for &e in h.entries.iter() {
                let entry = &entries[e];
                if !is(e, LEX_TITLE) {
                    continue;
                }
                let ent = &mut self.entities[idx];
                // Role classes made for another gazetteer have no facts for the entry.
                let read;
                let facts = match self.roles.titles.get(&e) {
                    Some(f) => f,
                    None => {
                        read = TitleFacts {
                            class: entry.attr("class").map(str::to_string),
                            predicate: entry.attr("predicate").map(str::to_string),
                        };
                        &read
                    }
                };
                if let Some(c) = &facts.class
                    && !ent.role_classes.contains(c)
                {
                    ent.role_classes.to_mut().insert(c.clone());
                }
                if let Some(p) = &facts.predicate {
                    ent.text_roles.insert(p.clone());
                }
                ent.titles.insert(e);
            }
        }
    }

    /// "the chancellor", "the president": the latest person before whom the text wrote that
    /// title. Plurals and "the president of X" are left alone.
    fn link_definite_titles(&mut self, tagged: &Tagged<'_>) {
        let toks = &self.doc.tokens;
        let entries = self.gazetteer.entries();
        let mut added = Vec::new();
        for (h, &categories) in tagged.lexicon.iter().zip(&self.hit_categories) {
            if categories & LEX_TITLE == 0 {
                continue;
            }
            let Some(title) = h
                .entries
                .iter()
                .copied()
                .find(|&e| self.roles.categories(self.gazetteer, e) & LEX_TITLE != 0)
            else {
                continue;
            };
            let start = h.tokens.start;
            if start == 0 || toks[start - 1].norm != "the" || self.covered(start) {
                continue;
            }
            let surface = &self.doc.text[h.span.clone()];
            let plural = surface.ends_with('s') && !entries[title].name.ends_with('s');
            let next = toks.get(h.tokens.end);
            let followed_by_name = next
                .is_some_and(|t| t.capitalized || t.norm == "of" || t.norm == "," || t.norm == "-");
            if plural || followed_by_name || self.covered(h.tokens.end) {
                continue;
            }
            let person = self
                .mentions
                .iter()
                .rev()
                .filter(|m| m.tokens.end < start && m.entities.len() == 1)
                .map(|m| m.entities[0])
                .find(|&e| self.entities[e].titles.contains(&title));
            if let Some(e) = person {
                added.push(ResolvedMention {
                    span: toks[start - 1].start..h.span.end,
                    tokens: start - 1..h.tokens.end,
                    entities: EntityIndices::one(e),
                    via: Via::Definite,
                });
            }
        }
        self.add_mentions(added);
        self.sort_mentions();
    }

    /// "Samsung" after "Samsung Electronics Co.": the first word of a longer organisation
    /// name, when it is distinctive and names no other entity.
    fn link_org_short_names(&mut self) {
        let (gazetteer, roles) = (self.gazetteer, self.roles);
        // Per short name, the one organisation it names, or `SEVERAL` (a number where a list
        // was kept: only a name of one organisation is linked).
        const SEVERAL: usize = usize::MAX;
        let mut short: FxHashMap<&str, usize> = FxHashMap::default();
        // The first bytes of the short names: most words need no look-up.
        let mut first_bytes = ByteSet::default();
        for (i, e) in self.entities.iter().enumerate() {
            if e.etype != EntityType::Organization {
                continue;
            }
            // An organisation of the gazetteer has its entry's name: its short name and
            // that name's slug are known.
            let entry = e
                .entry
                .filter(|&x| same_str(&gazetteer.entries()[x].name, &e.name));
            let (first, first_slug) = match entry.and_then(|x| roles.facts(gazetteer, x)) {
                Some(facts) => match &facts.short_name {
                    Some((first, first_slug)) => (&**first, Cow::Borrowed(&**first_slug)),
                    None => continue,
                },
                None => match roles.short_name(&e.name) {
                    Some(first) => (first, Cow::Owned(slug(first))),
                    None => continue,
                },
            };
            if self.entity_with_id(&first_slug).is_some() {
                continue;
            }
            first_bytes.insert(first.as_bytes()[0]);
            short
                .entry(first)
                .and_modify(|org| *org = SEVERAL)
                .or_insert(i);
        }
        if short.is_empty() {
            return;
        }
        let toks = &self.doc.tokens;
        let mut added = Vec::new();
        // A short name starts with a capital: only the words that may are visited.
        for &i in &self.token_lists.name_words {
            let t = &toks[i];
            if self.covered(i) {
                continue;
            }
            // Every short name starts with a byte of `first_bytes`: most words need no
            // look-up (and no slicing of the text).
            if t.start >= t.end || !first_bytes.contains(self.doc.text.as_bytes()[t.start]) {
                continue;
            }
            let text = &self.doc.text[t.start..t.end];
            if let Some(&e) = short.get(text)
                && e != SEVERAL
            {
                added.push(ResolvedMention {
                    span: t.start..t.end,
                    tokens: i..i + 1,
                    entities: EntityIndices::one(e),
                    via: Via::Alias,
                });
            }
        }
        for m in &added {
            let text = &self.doc.text[m.span.clone()];
            insert_alias(&mut self.entities[m.entities[0]].aliases, text);
        }
        self.add_mentions(added);
        self.sort_mentions();
    }

    /// "the two top diplomats", "both leaders": the two most recent people whose role fits.
    fn link_groups(&mut self, tagged: &Tagged<'_>) {
        let toks = &self.doc.tokens;
        let mut added = Vec::new();
        for (h, &categories) in tagged.lexicon.iter().zip(&self.hit_categories) {
            if categories & LEX_GROUP_NOUN == 0 {
                continue;
            }
            let Some(noun) = h
                .entries
                .iter()
                .find(|&&e| self.roles.categories(self.gazetteer, e) & LEX_GROUP_NOUN != 0)
                .map(|&e| &self.gazetteer.entries()[e])
            else {
                continue;
            };
            if self.covered(h.tokens.start) {
                continue;
            }
            // Look back over at most two modifiers for "the two" / "both".
            let mut start = None;
            let lo = h.tokens.start.saturating_sub(5);
            let mut k = h.tokens.start;
            while k > lo {
                k -= 1;
                let n = toks[k].norm.as_str();
                if n == "both" {
                    start = Some(k);
                    break;
                }
                if n == "two" {
                    start = Some(if k > 0 && toks[k - 1].norm == "the" {
                        k - 1
                    } else {
                        k
                    });
                    break;
                }
                if toks[k].kind != TokenKind::Word || self.covered(k) {
                    break;
                }
            }
            let Some(start) = start else { continue };
            let classes: Vec<&str> = noun.attr("class").unwrap_or("any").split(',').collect();
            let fits = |e: &Entity<'_>| {
                e.etype == EntityType::Person
                    && (classes.contains(&"any")
                        || e.role_classes.iter().any(|c| classes.contains(&c.as_str())))
            };
            let mut members: Vec<usize> = Vec::new();
            for m in self.mentions.iter().rev() {
                if m.tokens.start >= start || m.entities.len() != 1 {
                    continue;
                }
                let e = m.entities[0];
                if fits(&self.entities[e]) && !members.contains(&e) {
                    members.push(e);
                    if members.len() == 2 {
                        break;
                    }
                }
            }
            if members.len() == 2 {
                members.reverse();
                added.push(ResolvedMention {
                    span: toks[start].start..h.span.end,
                    tokens: start..h.tokens.end,
                    entities: members.into(),
                    via: Via::Group,
                });
            }
        }
        self.add_mentions(added);
        self.sort_mentions();
    }

    /// "he", "she", "his", "her", "him": the most salient fitting person before them: in the
    /// same sentence the first speaker (a person next to a reporting verb) or else the first
    /// person before the pronoun; otherwise the speaker of the latest sentence
    /// that names a person, else its first person.
    fn link_pronouns(&mut self) {
        let doc = self.doc;
        let is_speech = |i: usize| {
            self.lex_flags
                .get(i)
                .is_some_and(|&f| f & LEX_REPORTING_VERB != 0)
        };
        if self.token_lists.pronouns.is_empty() {
            return;
        }
        // Mentions by sentence, so each pronoun looks only at nearby sentences.
        let mut by_sentence: Vec<Vec<usize>> = vec![Vec::new(); doc.sentences.len()];
        for (k, m) in self.mentions.iter().enumerate() {
            if m.entities.len() == 1 {
                by_sentence[doc.sentence_of_token(m.tokens.start)].push(k);
            }
        }
        let mut added = Vec::new();
        for &(i, gender) in &self.token_lists.pronouns {
            let t = &doc.tokens[i];
            let fits =
                |e: &Entity| e.etype == EntityType::Person && e.gender.is_none_or(|g| g == gender);
            let sent = doc.sentence_of_token(i);
            let mut choice = None;
            // Same sentence, before the pronoun.
            let before = || {
                by_sentence[sent]
                    .iter()
                    .map(|&k| &self.mentions[k])
                    .filter(|m| m.tokens.end <= i && fits(&self.entities[m.entities[0]]))
            };
            if let Some(m) = before()
                .find(|m| is_speech(m.tokens.end))
                .or_else(|| before().next())
            {
                choice = Some(m.entities[0]);
            }
            // Earlier sentences, latest first.
            let mut s = sent;
            while choice.is_none() && s > 0 {
                s -= 1;
                let in_s = || {
                    by_sentence[s]
                        .iter()
                        .map(|&k| &self.mentions[k])
                        .filter(|m| fits(&self.entities[m.entities[0]]))
                };
                let speaker = in_s().find(|m| {
                    is_speech(m.tokens.end) || (m.tokens.start > 0 && is_speech(m.tokens.start - 1))
                });
                if let Some(m) = speaker.or_else(|| in_s().next()) {
                    choice = Some(m.entities[0]);
                }
                if sent - s >= 3 {
                    break;
                }
            }
            if let Some(e) = choice {
                added.push(ResolvedMention {
                    span: t.start..t.end,
                    tokens: i..i + 1,
                    entities: EntityIndices::one(e),
                    via: Via::Pronoun,
                });
            }
        }
        self.add_mentions(added);
    }
}

/// `a == b`, answered without reading the bytes when both are the same memory (an
/// entity's name mostly borrows its entry's).
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// Adds `alias` to `aliases`, copying it only when it is new.
fn insert_alias(aliases: &mut BTreeSet<String>, alias: &str) {
    if !aliases.contains(alias) {
        aliases.insert(alias.to_string());
    }
}

fn new_entity<'a>(id: String, name: &str, etype: EntityType) -> Entity<'a> {
    Entity {
        id: Cow::Owned(id),
        name: Cow::Owned(name.to_string()),
        etype,
        subtype: Cow::Borrowed(""),
        aliases: BTreeSet::new(),
        entry: None,
        role_classes: Cow::Owned(BTreeSet::new()),
        gender: None,
        text_roles: BTreeSet::new(),
        titles: BTreeSet::new(),
    }
}

/// The text of tokens `tokens` of `doc`, single-spaced ([`single_spaced`]). Tokens hold no
/// white space, so tokens one space apart are that already: only the gaps are read.
fn tokens_text(doc: &Document, tokens: Range<usize>) -> Cow<'_, str> {
    let toks = &doc.tokens[tokens];
    let (s, e) = (toks[0].start, toks[toks.len() - 1].end);
    let one_space_apart = toks
        .windows(2)
        .all(|w| w[1].start == w[0].end + 1 && doc.text.as_bytes()[w[0].end] == b' ');
    if !one_space_apart {
        return single_spaced(&doc.text[s..e]);
    }
    debug_assert_eq!(&doc.text[s..e], single_spaced(&doc.text[s..e]));
    Cow::Borrowed(&doc.text[s..e])
}

/// `text` with each run of whitespace made one space and none at either end, as
/// `split_whitespace` and `join(" ")` make it; borrowed when it is so already.
fn single_spaced(text: &str) -> std::borrow::Cow<'_, str> {
    // ASCII without tabs, line breaks and the like (9 to 13), single spaces inside: the
    // common case. Anything else, including any non-ASCII space, takes the slow way.
    let b = text.as_bytes();
    let plain = b.iter().all(|&c| c.is_ascii() && !(9..=13).contains(&c))
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        // Pairs of bytes rather than `contains("  ")`, whose searcher costs more to set up
        // than these short texts cost to read.
        && !b.windows(2).any(|w| w == b"  ");
    if plain {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// The words of a personal name, without initials' periods.
fn name_words(name: &str) -> Vec<String> {
    name_words_iter(name).map(str::to_string).collect()
}

/// [`name_words`], borrowed.
fn name_words_iter(name: &str) -> impl Iterator<Item = &str> {
    name.split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
}

/// The parts of a personal name (`name`) or of another name of the person (`name` false)
/// a reader links to the person: the surname and the given name, a compound surname
/// ("da Silva", "von der Leyen"), and a name of one word itself ("Governor Aldridge").
fn name_parts<'a>(name: &'a str, whole_name: bool, mut add: impl FnMut(Cow<'a, str>)) {
    let mut words = name_words_iter(name);
    let (Some(first), second) = (words.next(), words.next()) else {
        return;
    };
    let Some(second) = second else {
        // A person named by one word is that word wherever else it stands alone.
        if whole_name && name.chars().count() > 2 {
            add(Cow::Borrowed(first));
        }
        return;
    };
    add(Cow::Borrowed(words.last().unwrap_or(second)));
    add(Cow::Borrowed(first));
    let lower_particle = name
        .split_whitespace()
        .position(|w| w.chars().next().is_some_and(char::is_lowercase));
    if let Some(p) = lower_particle {
        let tail: Vec<&str> = name.split_whitespace().skip(p).collect();
        add(Cow::Owned(tail.join(" ")));
    }
}

/// Whether `part` is a contiguous run of the words of `full`.
fn is_subname(part: &[String], full: &[String]) -> bool {
    !part.is_empty() && full.windows(part.len()).any(|w| w == part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_stable_and_readable() {
        assert_eq!(slug("Vladimir Putin"), "vladimir-putin");
        assert_eq!(slug("Mark O'Brien"), "mark-obrien");
        assert_eq!(slug("U.S. State Department"), "us-state-department");
        assert_eq!(slug("Recep Tayyip Erdoğan"), "recep-tayyip-erdoğan");
        assert_eq!(slug("\"\""), "entity");
    }

    #[test]
    fn ascii_slugs_are_the_general_slugs() {
        let general = |name: &str| {
            // `slug` of a name that is not ASCII takes the general path: compare with it
            // by adding a non-ASCII letter the slug keeps as its last character.
            let s = slug(&format!("{name} é"));
            let cut = s.strip_suffix("é").unwrap();
            let cut = cut.strip_suffix('-').unwrap_or(cut);
            if cut.is_empty() {
                "entity".to_string()
            } else {
                cut.to_string()
            }
        };
        for name in [
            "Vladimir Putin",
            "Mark O'Brien",
            "U.S. State Department",
            "  A--b__C 12 ",
            "'.",
            "",
            "x",
            "AT&T Inc.",
        ] {
            assert_eq!(ascii_slug(name), general(name), "{name:?}");
            assert_eq!(slug(name), ascii_slug(name), "{name:?}");
        }
    }

    #[test]
    fn single_spacing_matches_split_and_join() {
        for t in [
            "Lee",
            "da Silva",
            "da  Silva",
            " Lee",
            "Lee\n",
            "a\tb",
            "a\u{a0}b",
            "Ñu x",
            "Lee ",
            "",
            " ",
            "a b  c",
            "a b c",
        ] {
            assert_eq!(
                single_spaced(t),
                t.split_whitespace().collect::<Vec<_>>().join(" "),
                "{t:?}"
            );
        }
    }

    #[test]
    fn the_text_of_tokens_is_single_spaced() {
        let doc = Document::new(
            "d",
            "Luiz da  Silva met von der\nLeyen and Ñuño Pérez, Jr. here.",
        );
        let n = doc.tokens.len();
        for start in 0..n {
            for end in start + 1..=(start + 4).min(n) {
                let text = &doc.text[doc.tokens[start].start..doc.tokens[end - 1].end];
                assert_eq!(
                    tokens_text(&doc, start..end),
                    single_spaced(text),
                    "{text:?}"
                );
            }
        }
    }

    /// A first word shared by two organisations names neither.
    #[test]
    fn short_names_link_only_one_organisation() {
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        let doc = Document::new("d", "Later Zandoria said no.");
        let said = |orgs: &[&str]| {
            let mut r = empty_resolver(g, &roles, &doc);
            for &name in orgs {
                r.push_entity(new_entity(slug(name), name, EntityType::Organization));
            }
            r.link_org_short_names();
            r.mentions
                .iter()
                .map(|m| (&doc.text[m.span.clone()], m.entities[0]))
                .collect::<Vec<_>>()
        };
        assert_eq!(said(&["Zandoria Electronics"]), [("Zandoria", 0)]);
        assert_eq!(said(&["Zandoria Electronics", "Zandoria Heavy"]), []);
        assert_eq!(
            said(&["Zandoria Electronics", "Other Heavy"]),
            [("Zandoria", 0)]
        );
    }

    fn parts_of(name: &str, whole_name: bool) -> Vec<String> {
        let mut out = Vec::new();
        name_parts(name, whole_name, |p| out.push(p.into_owned()));
        out
    }

    #[test]
    fn name_parts_are_surname_given_name_and_compound_surname() {
        assert_eq!(parts_of("Dmitry Peskov", true), ["Peskov", "Dmitry"]);
        assert_eq!(
            parts_of("Luiz Inacio Lula da Silva", true),
            ["Silva", "Luiz", "da Silva"]
        );
        assert_eq!(
            parts_of("Ursula  von der Leyen", false),
            ["Leyen", "Ursula", "von der Leyen"]
        );
        assert_eq!(parts_of("George W. Bush", true), ["Bush", "George"]);
        // One word: itself, when it is the person's name and longer than two characters.
        assert_eq!(parts_of("Aldridge", true), ["Aldridge"]);
        assert!(parts_of("Aldridge", false).is_empty());
        assert!(parts_of("Li", true).is_empty());
        assert!(parts_of(" . ", true).is_empty());
    }

    #[test]
    fn short_names_are_distinctive_first_words() {
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        assert_eq!(roles.short_name("Samsung Electronics Co."), Some("Samsung"));
        // One word, short, all capitals, lower case, generic: none.
        assert_eq!(roles.short_name("Samsung"), None);
        assert_eq!(roles.short_name("Ab Group"), None);
        assert_eq!(roles.short_name("IBM Research"), None);
        assert_eq!(roles.short_name("acme Corp"), None);
        assert_eq!(roles.short_name("National Grid"), None);
    }

    #[test]
    fn entry_facts_match_the_entry() {
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        let index = |id: &str| g.entries().iter().position(|e| e.id == id).unwrap();
        let peskov = index("dmitry-peskov");
        let facts = roles.facts(g, peskov).unwrap();
        assert_eq!(facts.gender, Some('m'));
        assert_eq!(&*facts.name_parts, ["Peskov".into(), "Dmitry".into()]);
        assert!(facts.short_name.is_none());
        // The same facts when read again, and when read for another gazetteer's entry.
        assert_eq!(roles.read_facts(g, peskov).role_classes, facts.role_classes);
        assert!(RoleClasses::default().facts(g, peskov).is_none());
    }

    #[test]
    fn role_and_gender_are_the_attribute_values() {
        let g = Gazetteer::bundled();
        for e in g.entries() {
            assert_eq!(
                role_and_gender(e),
                (e.attr("role"), e.attr("gender")),
                "{}",
                e.id
            );
        }
    }

    #[test]
    fn token_lists_hold_capitalised_words_and_pronouns() {
        let doc = Document::new("d", "He met Ms Lee; she said her firm DON'T sell to him.");
        let lists = TokenLists::new(&doc);
        let texts = |list: &[usize]| {
            list.iter()
                .map(|&i| &doc.text[doc.tokens[i].start..doc.tokens[i].end])
                .collect::<Vec<_>>()
        };
        // "N'T" is split off "DON'T" and not marked capitalised, yet starts with a capital.
        assert_eq!(texts(&lists.name_words), ["He", "Ms", "Lee", "DO", "N'T"]);
        let pronouns: Vec<usize> = lists.pronouns.iter().map(|&(i, _)| i).collect();
        assert_eq!(texts(&pronouns), ["He", "she", "her", "him"]);
        let genders: Vec<char> = lists.pronouns.iter().map(|&(_, g)| g).collect();
        assert_eq!(genders, ['m', 'f', 'f', 'm']);
    }

    /// Entities borrow from the gazetteer and the role classes; `resolve`, whose role
    /// classes end with it, hands out copies equal to them.
    #[test]
    fn resolve_gives_the_entities_resolve_with_borrows() {
        let g = Gazetteer::bundled();
        let recognizer = crate::ner::Recognizer::new(g).unwrap();
        let roles = RoleClasses::new(g);
        let doc = Document::new(
            "d",
            "Russian President Vladimir Putin met Foreign Minister Sergei Lavrov in Moscow. \
             Putin said the two leaders agreed.",
        );
        let borrowed = resolve_with(g, &roles, recognizer.tag(g, &doc));
        let owned = resolve(g, recognizer.tag(g, &doc));
        assert_eq!(borrowed.entities, owned.entities);
        assert_eq!(borrowed.mentions, owned.mentions);
        let putin = borrowed
            .entities
            .iter()
            .find(|e| e.id == "vladimir-putin")
            .unwrap();
        assert!(matches!(putin.name, Cow::Borrowed(_)));
        // Lavrov's title adds a class his entry may lack: his classes are his entry's and it.
        let lavrov = borrowed
            .entities
            .iter()
            .find(|e| e.id == "sergey-lavrov" || e.name.ends_with("Lavrov"))
            .unwrap();
        assert!(!lavrov.text_roles.is_empty());
        let entry = lavrov.entry.unwrap();
        let facts = roles.facts(g, entry).unwrap();
        assert!(facts.role_classes.is_subset(&lavrov.role_classes));
        assert!(matches!(owned.entities[0].role_classes, Cow::Owned(_)));
    }

    /// A resolver over `doc` with no entities yet.
    fn empty_resolver<'g, 'd>(
        gazetteer: &'g Gazetteer,
        roles: &'g RoleClasses,
        doc: &'d Document,
    ) -> Resolver<'g, 'd> {
        Resolver {
            gazetteer,
            roles,
            doc,
            entities: Vec::new(),
            by_entry: FxHashMap::default(),
            by_id: FxHashMap::default(),
            mentions: Vec::new(),
            covered: vec![false; doc.tokens.len()],
            lex_flags: vec![0; doc.tokens.len()],
            hit_categories: Vec::new(),
            token_lists: TokenLists::new(doc),
            unsorted: false,
        }
    }

    /// Entities of entries are found by entry, others by id, and an id is one entity
    /// whichever way it came first.
    #[test]
    fn ids_name_one_entity_whether_entry_or_found() {
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        let doc = Document::new("d", "Russia and Moscow.");
        let index = |id: &str| g.entries().iter().position(|e| e.id == id).unwrap();
        let mut r = empty_resolver(g, &roles, &doc);
        // A name found in the text took the id "russia" before the entry was named.
        let found = r.push_entity(new_entity("russia".into(), "Russia", EntityType::Person));
        assert_eq!(r.entity_for_entry(index("russia")), found);
        let moscow = r.entity_for_entry(index("moscow"));
        assert_ne!(moscow, found);
        assert_eq!(r.entity_for_entry(index("moscow")), moscow);
        assert_eq!(r.entities.len(), 2);
        for _ in 0..2 {
            assert_eq!(r.entity_with_id("russia"), Some(found));
            assert_eq!(r.entity_with_id("moscow"), Some(moscow));
            assert_eq!(r.entity_with_id("kremlin"), None);
            assert_eq!(r.entity_with_id("no-such-id"), None);
            // The same after the indexes are rebuilt.
            r.reindex();
        }
    }

    /// A surname links to the one person named in full, also when a word of the same
    /// first letter and other free capitalised words are about.
    #[test]
    fn surnames_link_to_the_person_named_in_full() {
        let g = Gazetteer::bundled();
        let recognizer = crate::ner::Recognizer::new(g).unwrap();
        let roles = RoleClasses::new(g);
        let doc = Document::new(
            "d",
            "Kremlin spokesman Dmitry Peskov spoke on Monday. Later Peskov said Pesky Parrots \
             were no topic.",
        );
        let r = resolve_with(g, &roles, recognizer.tag(g, &doc));
        let surnames: Vec<&str> = r
            .mentions
            .iter()
            .filter(|m| m.via == Via::Surname)
            .map(|m| &doc.text[m.span.clone()])
            .collect();
        assert_eq!(surnames, ["Peskov"]);
        let m = r.mentions.iter().find(|m| m.via == Via::Surname).unwrap();
        assert_eq!(r.entities[m.entities[0]].id, "dmitry-peskov");
    }

    #[test]
    fn entity_indices_read_as_the_vector_they_replace() {
        let mut one = EntityIndices::one(3);
        assert_eq!(&*one, [3]);
        assert_eq!(one, EntityIndices::from(vec![3]));
        for e in &mut one {
            *e += 1;
        }
        assert_eq!(one.iter().copied().collect::<Vec<_>>(), [4]);
        let group = EntityIndices::from(vec![1, 2]);
        assert_eq!(group.len(), 2);
        assert_ne!(group, one);
        assert_eq!(format!("{group:?}"), format!("{:?}", vec![1, 2]));
        assert!(EntityIndices::from(Vec::new()).is_empty());
    }

    #[test]
    fn same_str_is_equality_shared_or_not() {
        let text = String::from("Lee Lee");
        assert!(same_str(&text[..3], &text[..3]));
        assert!(same_str(&text[..3], &text[4..]));
        assert!(!same_str(&text[..3], &text[..2]));
        assert!(!same_str(&text[..3], "Lea"));
    }

    #[test]
    fn aliases_are_inserted_once() {
        let mut aliases = BTreeSet::new();
        insert_alias(&mut aliases, "Putin");
        insert_alias(&mut aliases, "Putin");
        insert_alias(&mut aliases, "Mr Putin");
        assert_eq!(
            aliases.into_iter().collect::<Vec<_>>(),
            ["Mr Putin", "Putin"]
        );
    }

    #[test]
    fn categories_come_from_the_subtype() {
        assert_eq!(subtype_categories("title"), LEX_NOT_A_NAME | LEX_TITLE);
        assert_eq!(
            subtype_categories("honorific"),
            LEX_NOT_A_NAME | LEX_HONORIFIC
        );
        assert_eq!(subtype_categories("group_noun"), LEX_GROUP_NOUN);
        assert_eq!(subtype_categories("reporting_verb"), LEX_REPORTING_VERB);
        assert_eq!(subtype_categories("country"), 0);
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        for (i, e) in g.entries().iter().enumerate() {
            assert_eq!(roles.categories(g, i), subtype_categories(&e.subtype));
            assert_eq!(
                RoleClasses::default().categories(g, i),
                subtype_categories(&e.subtype)
            );
        }
    }

    #[test]
    fn lexicon_flags_mark_tokens_and_hits() {
        let g = Gazetteer::bundled();
        let roles = RoleClasses::new(g);
        let of = |subtype: &str| {
            g.entries()
                .iter()
                .position(|e| e.subtype == subtype)
                .unwrap()
        };
        let doc = Document::new("d", "the two leaders said the chancellor");
        let (group, verb, title) = (
            [of("group_noun")],
            [of("reporting_verb")],
            [of("title"), of("honorific")],
        );
        let hit = |tokens: Range<usize>, entries| LexHit {
            span: doc.tokens[tokens.start].start..doc.tokens[tokens.end - 1].end,
            tokens,
            entries,
            // Not read here: only the rules look patterns up.
            pattern: 0,
        };
        let lexicon = [
            hit(2..3, &group[..]),
            hit(3..4, &verb[..]),
            hit(5..6, &title[..]),
        ];
        let (per_token, per_hit) = lexicon_flags(g, &roles, &doc, &lexicon);
        assert_eq!(
            per_hit,
            [
                LEX_GROUP_NOUN,
                LEX_REPORTING_VERB,
                LEX_NOT_A_NAME | LEX_TITLE | LEX_HONORIFIC
            ]
        );
        assert_eq!(per_token, [0, 0, per_hit[0], per_hit[1], 0, per_hit[2]]);
    }

    #[test]
    fn subnames() {
        let full = name_words("Luiz Inacio Lula da Silva");
        assert!(is_subname(&name_words("Lula da Silva"), &full));
        assert!(!is_subname(&name_words("Lula Silva"), &full));
    }
}
