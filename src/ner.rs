//! Mention stage: where the text names entities, and where it uses lexicon words.
//!
//! Input: a [`Document`] and the compiled gazetteer matchers. Output: [`Tagged`], holding
//! entity mentions (gazetteer hits, plus names found by rules: a person after a title or an
//! honorific, an organisation ending in a suffix such as "Ltd" or headed by "Ministry of")
//! and lexicon hits. Entity mentions are sorted and never overlap; lexicon hits are sorted
//! and never overlap each other, but may overlap entity mentions (the engine prefers the
//! entity).

use std::ops::Range;

use crate::gazetteer::{
    EntityType, EntryKind, Gazetteer, Hit, HitVia, Matcher, MatcherEngine, TokenLeads,
};
use crate::text::{Document, TokenKind, one_char};

/// How a mention names its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// The canonical name.
    Name,
    /// A gazetteer alias.
    Alias,
    /// A demonym or adjective ("Russian").
    Demonym,
    /// A name found after a title or honorific ("spokesman X Y").
    Title,
    /// An organisation found by its suffix or head word.
    Suffix,
    /// A surname or first name of a person named in full elsewhere in the document.
    Surname,
    /// A personal pronoun.
    Pronoun,
    /// A plural reference ("the two diplomats").
    Group,
    /// An acronym defined in the text.
    Acronym,
    /// A definite description: "the chancellor".
    Definite,
    /// A place found after "in", "at" or "near".
    Place,
    /// A person found by a common given name followed by a surname.
    GivenName,
    /// A team found in a results table.
    Table,
    /// A name found by the words around it: a person named by one word in a context only
    /// people stand in (an age: "Halloran, 47,"; "X, who"; "X's wife"; the object of a
    /// killing), or an acronym used as an organisation ("EPA spokesman").
    Context,
}

impl Via {
    /// Whether the span names the entity (a name, alias, surname, acronym), as opposed to
    /// referring to it (a demonym, pronoun, plural reference or definite description).
    pub fn names_entity(self) -> bool {
        !matches!(
            self,
            Via::Demonym | Via::Pronoun | Via::Group | Via::Definite
        )
    }

    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Name => "name",
            Via::Alias => "alias",
            Via::Demonym => "demonym",
            Via::Title => "title",
            Via::Suffix => "suffix",
            Via::Surname => "surname",
            Via::Pronoun => "pronoun",
            Via::Group => "group",
            Via::Acronym => "acronym",
            Via::Definite => "definite",
            Via::Place => "place",
            Via::GivenName => "given_name",
            Via::Table => "table",
            Via::Context => "context",
        }
    }
}

/// What a mention refers to, before resolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A gazetteer entry (index into the gazetteer), with other entries sharing the form.
    Entry {
        /// The chosen entry.
        entry: usize,
        /// Other candidates, most likely first.
        alternatives: std::sync::Arc<[usize]>,
    },
    /// A name the gazetteer lacks, found by a rule.
    Found {
        /// The name as written (whitespace normalised).
        name: String,
        /// Its type.
        etype: EntityType,
    },
}

/// An entity mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// Byte span.
    pub span: Range<usize>,
    /// Token range.
    pub tokens: Range<usize>,
    /// What it refers to.
    pub target: Target,
    /// How.
    pub via: Via,
}

/// A lexicon hit, borrowing its candidate entries from the recognizer that found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexHit<'r> {
    /// Byte span.
    pub span: Range<usize>,
    /// Token range.
    pub tokens: Range<usize>,
    /// Candidate lexicon entries (all entries sharing this surface form).
    ///
    /// The recognizer's list for the surface form, shared by every hit of it: borrowed, so
    /// that a hit costs no reference count.
    pub entries: &'r [usize],
    /// The lexicon matcher's pattern (surface form) of the hit: the rules look up what the
    /// form offers them in a table made once per pipeline rather than at every hit.
    pub pattern: usize,
}

/// A document with its mentions and lexicon hits.
#[derive(Clone, Debug)]
pub struct Tagged<'d> {
    /// The document.
    pub doc: &'d Document,
    /// Entity mentions, sorted, non-overlapping.
    pub mentions: Vec<Mention>,
    /// Lexicon hits, sorted, non-overlapping.
    pub lexicon: Vec<LexHit<'d>>,
    /// Per token, the index in `lexicon` of the hit starting there ([`NO_HIT`] if none), so
    /// that the name passes in [`Recognizer::tag`] find it without a search.
    lex_starts: Vec<u32>,
    /// Per token, whether it can be part of a name (see [`name_token`]), worked out once:
    /// the name passes ask about most capitalised tokens several times.
    name_tokens: Vec<bool>,
    /// The tokens that are capitalised words or numbers, in order: the only ones that can
    /// start a name or an organisation, so the passes that look for those skip the rest.
    name_starts: Vec<usize>,
    /// Per entry of `name_starts`, the shape of its text (see [`Shape`]).
    name_shapes: Vec<Shape>,
    /// The lowercase tokens "in", "at", "near" and "of", in order: the only ones
    /// [`find_places`] starts from, listed in the pass that lists `name_starts`.
    place_cues: Vec<usize>,
    /// Per lexicon hit, the categories of its entries that the name passes ask about (the
    /// `cat` bits), so that a question is a bit test rather than a string comparison per
    /// entry.
    lex_cats: Vec<u32>,
    /// The lexicon hits (indices into `lexicon`, in order) with a category of
    /// [`cat::CUES`]: the only ones the passes that start from a lexicon word visit.
    cue_hits: Vec<usize>,
}

/// What the name passes ask of a capitalised word's own text, worked out in one pass over
/// its characters rather than once per pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shape(u8);

impl Shape {
    /// It has a lowercase letter ("Smith").
    const LOWER: u8 = 1;
    /// Two characters or more, none of them lowercase ("NATO", "PM"): an acronym, or a
    /// word of a headline in capitals.
    const CAPITALS: u8 = 2;
    /// Three characters or more.
    const THREE_CHARS: u8 = 4;
    /// Two to six ASCII capitals that are not a roman numeral ("SEC", not "XIV").
    const ACRONYM: u8 = 8;

    /// The shape of a token's text `raw`.
    #[inline]
    fn of(raw: &str) -> Shape {
        // Most capitalised words: an ASCII capital then ASCII small letters ("Smith"), so
        // the shape is known from the first three bytes.
        if let [first, second, rest @ ..] = raw.as_bytes()
            && first.is_ascii()
            && second.is_ascii_lowercase()
        {
            // Two one-byte characters: any byte after them starts a third.
            return if rest.is_empty() {
                Shape(Shape::LOWER)
            } else {
                Shape(Shape::LOWER | Shape::THREE_CHARS)
            };
        }
        Shape::of_any(raw)
    }

    /// [`Shape::of`] for any text, by its characters.
    fn of_any(raw: &str) -> Shape {
        let (lower, chars) = if raw.is_ascii() {
            // Most words: a byte is a character, and no decoding is needed.
            (raw.bytes().any(|b| b.is_ascii_lowercase()), raw.len())
        } else {
            let mut chars = 0;
            let mut lower = false;
            for c in raw.chars() {
                chars += 1;
                lower |= c.is_lowercase();
                // Nothing more to learn.
                if lower && chars >= 3 {
                    break;
                }
            }
            (lower, chars)
        };
        let capitals = !lower && chars >= 2;
        // All ASCII capitals, so as many characters as bytes.
        let acronym = capitals
            && raw.len() <= 6
            && raw.bytes().all(|b| b.is_ascii_uppercase())
            && !raw
                .bytes()
                .all(|b| matches!(b, b'I' | b'V' | b'X' | b'L' | b'C' | b'M'));
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        Shape(
            bit(lower, Shape::LOWER)
                | bit(capitals, Shape::CAPITALS)
                | bit(chars >= 3, Shape::THREE_CHARS)
                | bit(acronym, Shape::ACRONYM),
        )
    }

    /// Whether the shape has all of `bits`.
    fn has(self, bits: u8) -> bool {
        self.0 & bits == bits
    }
}

/// No lexicon hit starts at this token (see `Tagged::lex_starts`).
const NO_HIT: u32 = u32::MAX;

/// The lexicon categories the name passes (and resolution) ask about, one bit each.
pub(crate) mod cat {
    pub const FIRST_NAME: u32 = 1 << 0;
    pub const ORG_SUFFIX: u32 = 1 << 1;
    pub const ORG_HEAD: u32 = 1 << 2;
    pub const PLACE_HEAD: u32 = 1 << 3;
    pub const FUNCTION_WORD: u32 = 1 << 4;
    pub const DATE_WORD: u32 = 1 << 5;
    pub const REPORTING_VERB: u32 = 1 << 6;
    pub const TITLE: u32 = 1 << 7;
    pub const HONORIFIC: u32 = 1 << 8;
    pub const MEETING_VERB: u32 = 1 << 9;
    pub const MEETING_NOUN: u32 = 1 << 10;
    pub const HEDGE: u32 = 1 << 11;
    pub const NEGATION: u32 = 1 << 12;
    pub const FORMER: u32 = 1 << 13;
    pub const KILLER_NOUN: u32 = 1 << 14;
    pub const ELECTION_WORD: u32 = 1 << 15;
    pub const ELECTION_KIND: u32 = 1 << 16;
    pub const KILL_VERB: u32 = 1 << 17;
    pub const KILL_ACT: u32 = 1 << 18;
    pub const OCCUPATION: u32 = 1 << 19;
    pub const GROUP_NOUN: u32 = 1 << 20;
    pub const EMPLOY_VERB: u32 = 1 << 21;
    pub const LANGUAGE: u32 = 1 << 22;
    pub const SPORT_VERB: u32 = 1 << 23;

    /// The bit of lexicon category `subtype`; 0 for the categories no pass asks about.
    pub fn of(subtype: &str) -> u32 {
        match subtype {
            "first_name" => FIRST_NAME,
            "org_suffix" => ORG_SUFFIX,
            "org_head" => ORG_HEAD,
            "place_head" => PLACE_HEAD,
            "function_word" => FUNCTION_WORD,
            "date_word" => DATE_WORD,
            "reporting_verb" => REPORTING_VERB,
            "title" => TITLE,
            "honorific" => HONORIFIC,
            "meeting_verb" => MEETING_VERB,
            "meeting_noun" => MEETING_NOUN,
            "hedge" => HEDGE,
            "negation" => NEGATION,
            "former" => FORMER,
            "killer_noun" => KILLER_NOUN,
            "election_word" => ELECTION_WORD,
            "election_kind" => ELECTION_KIND,
            "kill_verb" => KILL_VERB,
            "kill_act" => KILL_ACT,
            "occupation" => OCCUPATION,
            "group_noun" => GROUP_NOUN,
            "employ_verb" => EMPLOY_VERB,
            "language" => LANGUAGE,
            "sport_verb" => SPORT_VERB,
            _ => 0,
        }
    }

    /// A lexicon word that is only ever a lexicon word: it stops a name.
    pub const STOPS_NAME: u32 = FUNCTION_WORD
        | DATE_WORD
        | REPORTING_VERB
        | TITLE
        | HONORIFIC
        | MEETING_VERB
        | MEETING_NOUN
        | HEDGE
        | NEGATION
        | ORG_SUFFIX
        | FORMER;

    /// The categories the passes over lexicon words start from: an election word
    /// (`find_elections`), a title, honorific or killer noun (`find_people_after_cues`,
    /// `find_people_in_appositions`).
    pub const CUES: u32 = ELECTION_WORD | TITLE | HONORIFIC | KILLER_NOUN;

    /// A lexicon word that cannot stand inside an organisation's name (unless it is also
    /// a suffix or head).
    pub const NOT_IN_ORG: u32 = FUNCTION_WORD | DATE_WORD | REPORTING_VERB | HONORIFIC;
}

/// A lexicon hit with its category bits (see `Tagged::lex_cats`).
#[derive(Clone, Copy)]
struct Lex<'a> {
    hit: &'a LexHit<'a>,
    cats: u32,
}

impl Lex<'_> {
    /// Whether one of the hit's entries belongs to one of the categories `cats`.
    fn has(self, cats: u32) -> bool {
        self.cats & cats != 0
    }
}

impl<'a> std::ops::Deref for Lex<'a> {
    type Target = LexHit<'a>;
    fn deref(&self) -> &LexHit<'a> {
        self.hit
    }
}

impl LexHit<'_> {
    /// Whether one of the hit's entries belongs to lexicon `category`.
    pub fn has_category(&self, gazetteer: &Gazetteer, category: &str) -> bool {
        self.entries
            .iter()
            .any(|&e| gazetteer.entries()[e].subtype == category)
    }
}

/// The compiled matchers the mention stage needs.
#[derive(Clone, Debug)]
pub struct Recognizer {
    names: Matcher,
    lexicon: Matcher,
    /// Given names of the gazetteer's people ("vladimir"), beside the `first_name` lexicon.
    given_names: crate::fxhash::FxHashSet<String>,
    /// Per gazetteer entry, its lexicon category bit (`cat::of`; 0 for entities).
    categories: Vec<u32>,
    /// Per pattern of the lexicon matcher, the category bits of its entries: a hit's bits
    /// are read, not gathered from its entries.
    lexicon_categories: Vec<u32>,
}

impl Recognizer {
    /// Compiles the entity and lexicon automata of `gazetteer`.
    ///
    /// # Errors
    /// If an automaton exceeds aho-corasick's limits.
    pub fn new(gazetteer: &Gazetteer) -> Result<Recognizer, crate::Error> {
        let given_names = gazetteer
            .entries()
            .iter()
            .filter_map(|e| {
                let mut words = e.name.split_whitespace();
                let first = words.next()?;
                words.next()?;
                // The type last: it is parsed from the attributes.
                (first.chars().count() > 1
                    && !first.ends_with('.')
                    && e.entity_type() == Some(EntityType::Person))
                .then(|| first.to_lowercase())
            })
            .collect();
        // The token map, whatever the lexicon's size: the lexicon is searched at every
        // token, and one hash lookup per token costs less than an anchored aho-corasick
        // search (docs/performance.md).
        let lexicon = Matcher::build_with(
            gazetteer,
            |e| e.kind == EntryKind::Lexicon,
            MatcherEngine::TokenMap,
        )?;
        let categories: Vec<u32> = gazetteer
            .entries()
            .iter()
            .map(|e| match e.kind {
                EntryKind::Lexicon => cat::of(&e.subtype),
                EntryKind::Entity(_) => 0,
            })
            .collect();
        let lexicon_categories =
            lexicon.pattern_table(|entries| entries.iter().fold(0, |m, &e| m | categories[e]));
        Ok(Recognizer {
            names: Matcher::build(gazetteer, |e| matches!(e.kind, EntryKind::Entity(_)))?,
            lexicon,
            given_names,
            categories,
            lexicon_categories,
        })
    }

    /// The matcher of the gazetteer's lexicon (whose patterns [`LexHit::pattern`] names).
    pub(crate) fn lexicon_matcher(&self) -> &Matcher {
        &self.lexicon
    }

    /// Whether the category tables are those of `gazetteer` (the one this recognizer was
    /// built from); if not, [`Recognizer::categories_of`] reads the entries themselves.
    fn tables_fit(&self, gazetteer: &Gazetteer) -> bool {
        self.categories.len() == gazetteer.len()
    }

    /// The category bits of a lexicon hit's entries, the hit being of lexicon pattern
    /// `pattern`; `tables_fit` is [`Recognizer::tables_fit`] for `gazetteer`.
    fn categories_of(
        &self,
        gazetteer: &Gazetteer,
        tables_fit: bool,
        pattern: usize,
        entries: &[usize],
    ) -> u32 {
        if tables_fit {
            self.lexicon_categories[pattern]
        } else {
            let all = gazetteer.entries();
            entries.iter().fold(0, |m, &e| m | cat::of(&all[e].subtype))
        }
    }

    /// Finds mentions and lexicon hits in `doc`. The lexicon hits borrow their entries
    /// from the recognizer, which is borrowed as long as the document.
    pub fn tag<'d>(&'d self, gazetteer: &Gazetteer, doc: &'d Document) -> Tagged<'d> {
        // About every other token of news text is a lexicon word (function words, verbs).
        // The matcher only records (tokens, pattern); the hits are built here, in one loop
        // the compiler can see whole.
        let mut found = Vec::with_capacity(doc.tokens.len() / 2 + 1);
        // Both scans test every token's lead: worked out once.
        let leads = TokenLeads::of(doc);
        self.lexicon.find_patterns(doc, &leads, &mut found);
        let entry_lists = self.lexicon.pattern_entries();
        let tables_fit = self.tables_fit(gazetteer);
        let tokens = &doc.tokens[..];
        // Each table collected from a slice's iterator: one allocation of the exact size,
        // and no capacity test per push.
        let lexicon: Vec<LexHit<'d>> = found
            .iter()
            .map(|h| LexHit {
                span: tokens[h.start].start..tokens[h.end - 1].end,
                tokens: h.start..h.end,
                entries: &entry_lists[h.pattern],
                pattern: h.pattern,
            })
            .collect();
        let lex_cats: Vec<u32> = found
            .iter()
            .zip(&lexicon)
            .map(|(h, hit)| self.categories_of(gazetteer, tables_fit, h.pattern, hit.entries))
            .collect();
        let cue_hits: Vec<usize> = (0..lex_cats.len())
            .filter(|&k| lex_cats[k] & cat::CUES != 0)
            .collect();
        let mut lex_starts = vec![NO_HIT; tokens.len()];
        for (i, h) in found.iter().enumerate() {
            lex_starts[h.start] = u32::try_from(i).unwrap_or(NO_HIT);
        }
        // About one token in eight names something in news text.
        let mut mentions = Vec::with_capacity(doc.tokens.len() / 8 + 1);
        self.names.find_each_with(doc, &leads, |h: Hit, tokens| {
            mentions.push(Mention {
                span: h.start..h.end,
                tokens,
                target: Target::Entry {
                    entry: h.entry,
                    alternatives: h.alternatives,
                },
                via: match h.via {
                    HitVia::Name => Via::Name,
                    // "Putin" for Vladimir Putin: the gazetteer alias is the surname.
                    // (The name first: the type is parsed from the attributes.)
                    HitVia::Alias
                        if gazetteer.entries()[h.entry].name.split_whitespace().last()
                            == Some(&doc.text[h.start..h.end])
                            && gazetteer.entries()[h.entry].entity_type()
                                == Some(EntityType::Person) =>
                    {
                        Via::Surname
                    }
                    HitVia::Alias => Via::Alias,
                    HitVia::Demonym => Via::Demonym,
                },
            });
        });
        // "US$150": a country code glued to a currency sign is part of the amount.
        mentions.retain(|m| !doc.text[m.span.end..].starts_with('$'));
        let mut tagged = Tagged {
            doc,
            mentions: Vec::new(),
            lexicon,
            lex_starts,
            name_tokens: vec![false; doc.tokens.len()],
            name_starts: Vec::new(),
            name_shapes: Vec::new(),
            place_cues: Vec::new(),
            lex_cats,
            cue_hits,
        };
        // Capitalised words and numbers, with their shapes and whether they can be part of
        // a name, and the place cues, in one pass over the tokens. (`is_name_token` reads
        // only the lexicon hits of `tagged`, so the lists are filled beside it.)
        let mut name_tokens = std::mem::take(&mut tagged.name_tokens);
        let (mut name_starts, mut name_shapes, mut place_cues) =
            (Vec::new(), Vec::new(), Vec::new());
        for (i, t) in doc.tokens.iter().enumerate() {
            let shape = match t.kind {
                TokenKind::Word if t.capitalized => {
                    let shape = Shape::of(&doc.text[t.start..t.end]);
                    name_tokens[i] = is_name_token(&tagged, i, shape);
                    shape
                }
                // A number is no name token.
                TokenKind::Number => Shape::default(),
                _ => {
                    if !t.capitalized && matches!(t.norm.as_str(), "in" | "at" | "near" | "of") {
                        place_cues.push(i);
                    }
                    continue;
                }
            };
            name_starts.push(i);
            name_shapes.push(shape);
        }
        tagged.name_tokens = name_tokens;
        tagged.name_starts = name_starts;
        tagged.name_shapes = name_shapes;
        tagged.place_cues = place_cues;
        let found_orgs = find_organizations(gazetteer, &tagged, &mentions);
        merge_found(&mut mentions, found_orgs);
        let elections = find_elections(gazetteer, &tagged, &mentions);
        merge_found(&mut mentions, elections);
        let governments = find_governments(&tagged, &mentions);
        merge_found(&mut mentions, governments);
        let found_people = find_people_after_cues(&tagged, &mentions);
        merge_found(&mut mentions, found_people);
        let appositions = find_people_in_appositions(&tagged, &mentions);
        merge_found(&mut mentions, appositions);
        let named = self.find_people_by_given_name(&tagged, &mentions);
        merge_found(&mut mentions, named);
        let places = find_places(&tagged, &mentions);
        merge_found(&mut mentions, places);
        let towns = find_towns(gazetteer, &tagged, &mentions);
        merge_found(&mut mentions, towns);
        let single = find_single_names(gazetteer, &tagged, &mentions);
        merge_found(&mut mentions, single);
        let acronyms = find_acronym_orgs(&tagged, &mentions);
        merge_found(&mut mentions, acronyms);
        let teams = find_teams_in_tables(&tagged, &mentions);
        merge_found(&mut mentions, teams);
        tagged.mentions = mentions;
        tagged
    }
}

impl Recognizer {
    /// People the gazetteer lacks, named in full with a common given name: "Dora Whitfield",
    /// "Tariq Naseem". A given name alone, or followed by a word the lexicon knows, is
    /// not enough.
    fn find_people_by_given_name(&self, tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
        let doc = tagged.doc;
        let toks = &doc.tokens;
        let mut found = Vec::new();
        let mut covering = Covering::new(mentions);
        // The first token a name may start at; only capitalised words can (see `given`),
        // so only those (and numbers) are visited.
        let mut i = 0;
        for &k in &tagged.name_starts {
            if k < i {
                continue;
            }
            i = k;
            let t = &toks[i];
            if !(t.capitalized && t.kind == TokenKind::Word) {
                i += 1;
                continue;
            }
            // A word inside a mention starts no name; "the Olive Tree": nor does a name after
            // an article. (The bit and the cursor first: they cost least.)
            if !name_token(tagged, i)
                || covering.at(i).is_some()
                || (i > 0 && matches!(toks[i - 1].norm.as_str(), "the" | "a" | "an"))
            {
                i += 1;
                continue;
            }
            // An initial ("D. Whitfield") serves as a given name.
            let initial = one_char(&t.norm)
                && t.capitalized
                && toks
                    .get(i + 1)
                    .is_some_and(|n| n.norm == "." && !n.space_before)
                && toks
                    .get(i + 2)
                    .is_some_and(|n| n.capitalized && n.kind == TokenKind::Word);
            // A mid-sentence run of two or three capitalised words that are no lexicon word
            // reads as a person's name in news copy ("Ovidiu Pascaru scored").
            let mid_sentence = i > 0
                && toks[i - 1].kind == TokenKind::Word
                && !toks[i - 1].capitalized
                // "the Olive Tree", "of Colored People": articles and prepositions introduce
                // organisations, places and things more often than people.
                && !matches!(
                    toks[i - 1].norm.as_str(),
                    "the" | "a" | "an" | "of" | "for" | "in" | "on" | "at" | "from" | "into"
                        | "via" | "its" | "their" | "our" | "new" | "through" | "throughout"
                        | "across" | "around" | "outside" | "inside" | "toward" | "towards"
                        | "past" | "beyond" | "along" | "off" | "near" | "within"
                )
                && lex_at(tagged, i).is_none()
                // Three characters or more.
                && t.norm.chars().nth(2).is_some()
                // Last: the sentence is found by a search.
                && doc.sentences[doc.sentence_of_token(i)].tokens.start != i;
            // Looked up once; after an initial, neither test below asks.
            let known_given = !initial && self.given_names.contains(&t.norm);
            let given = initial
                || mid_sentence
                || known_given
                || lex_at(tagged, i).is_some_and(|h| h.tokens.len() == 1 && h.has(cat::FIRST_NAME));
            if !given {
                i += 1;
                continue;
            }
            let end = scan_name(tagged, mentions, i);
            let words = (i..end)
                .filter(|&k| toks[k].kind == TokenKind::Word && toks[k].norm != "-")
                .count();
            // A name is followed by a verb, a comma, a bracket...: not by a capitalised
            // word that could not be read as part of it, nor by an organisation's suffix.
            let next_blocks = toks.get(end).is_some_and(|n| {
                n.capitalized && lex_at(tagged, end).is_some_and(|h| h.has(cat::ORG_SUFFIX))
            });
            let mixed_case = (i..end).all(|k| {
                let raw = &doc.text[toks[k].start..toks[k].end];
                toks[k].kind != TokenKind::Word
                    || one_char(raw)
                    || raw.chars().any(char::is_lowercase)
                    || NAME_PARTICLES.contains(&toks[k].norm.as_str())
            });
            let ok_len = if initial || !mid_sentence || known_given {
                (2..=4).contains(&words)
            } else {
                (2..=3).contains(&words) && mixed_case
            };
            // "Carson Beach", "Tyler County": a name ending in a place word is a place.
            let place_end = end > i + 1
                && lex_at(tagged, end - 1)
                    .is_some_and(|h| h.tokens.len() == 1 && h.has(cat::PLACE_HEAD));
            if ok_len && !next_blocks && place_end {
                found.push(found_mention(doc, i..end, EntityType::Location, Via::Place));
                i = end;
            } else if ok_len && !next_blocks {
                found.push(found_mention(
                    doc,
                    i..end,
                    EntityType::Person,
                    Via::GivenName,
                ));
                i = end;
            } else {
                i += 1;
            }
        }
        found
    }
}

/// Adds `found` mentions, replacing the gazetteer mentions they cover wholly (an organisation
/// name swallows the place in "University of Tokyo"); a found mention that overlaps one
/// partly is dropped.
///
/// The mentions stay sorted and never overlap (the matcher's hits do not, and a found
/// mention goes in only where it covers everything it overlaps), so the ones a found
/// mention overlaps are one run, found by binary search: no index to build, and nothing
/// quadratic in the document.
fn merge_found(mentions: &mut Vec<Mention>, found: Vec<Mention>) {
    // Most passes find nothing in most documents; then there is nothing to sort either.
    if found.is_empty() {
        return;
    }
    mentions.sort_by_key(|m| m.tokens.start);
    for m in found {
        let lo = mentions.partition_point(|x| x.tokens.end <= m.tokens.start);
        let hi = lo
            + mentions[lo..]
                .iter()
                .take_while(|x| x.tokens.start < m.tokens.end)
                .count();
        let inside = |x: &Mention| m.tokens.start <= x.tokens.start && x.tokens.end <= m.tokens.end;
        if mentions[lo..hi].iter().all(inside) {
            mentions.splice(lo..hi, std::iter::once(m));
        }
    }
}

/// The lexicon hit starting at token `i`, if any.
fn lex_at<'a>(tagged: &'a Tagged<'_>, i: usize) -> Option<Lex<'a>> {
    match tagged.lex_starts.get(i) {
        Some(&k) if k != NO_HIT => lex_hit(tagged, k as usize),
        _ => None,
    }
}

/// Lexicon hit `k` with its categories, if there is one.
fn lex_hit<'a>(tagged: &'a Tagged<'_>, k: usize) -> Option<Lex<'a>> {
    Some(Lex {
        hit: tagged.lexicon.get(k)?,
        cats: tagged.lex_cats[k],
    })
}

/// The lexicon hits with a category of [`cat::CUES`], with their categories, in order: the
/// other hits start none of the passes that visit these.
fn cue_hits<'a>(tagged: &'a Tagged<'_>) -> impl Iterator<Item = Lex<'a>> {
    tagged.cue_hits.iter().filter_map(|&k| lex_hit(tagged, k))
}

fn mention_covering(mentions: &[Mention], i: usize) -> Option<&Mention> {
    let k = mentions.partition_point(|m| m.tokens.end <= i);
    mentions.get(k).filter(|m| m.tokens.start <= i)
}

/// [`mention_covering`] for a pass whose token index never decreases: it walks forward
/// through the (sorted, non-overlapping) mentions instead of searching them for every token.
#[derive(Clone)]
struct Covering<'m> {
    mentions: &'m [Mention],
    /// Mentions before `next` end at or before the last token asked about.
    next: usize,
}

impl<'m> Covering<'m> {
    fn new(mentions: &'m [Mention]) -> Covering<'m> {
        Covering { mentions, next: 0 }
    }

    /// The mention covering token `i`; `i` may not be smaller than in the last call.
    fn at(&mut self, i: usize) -> Option<&'m Mention> {
        while self
            .mentions
            .get(self.next)
            .is_some_and(|m| m.tokens.end <= i)
        {
            self.next += 1;
        }
        self.mentions.get(self.next).filter(|m| m.tokens.start <= i)
    }
}

/// [`Document::sentence_of_token`] for a pass whose token index never decreases: it walks
/// forward through the sentences instead of searching them for every token.
#[derive(Clone, Copy, Debug, Default)]
struct SentenceCursor {
    /// Sentences before `next` end at or before the last token asked about.
    next: usize,
}

impl SentenceCursor {
    /// The sentence of token `i`, as `doc.sentence_of_token(i)`; `i` may not be smaller
    /// than in the last call.
    fn at(&mut self, doc: &Document, i: usize) -> usize {
        let last = doc.sentences.len().saturating_sub(1);
        while self.next < last && doc.sentences[self.next].tokens.end <= i {
            self.next += 1;
        }
        self.next
    }
}

/// Particles that may stand inside a personal name in lowercase.
const NAME_PARTICLES: &[&str] = &[
    "de", "da", "do", "dos", "das", "del", "della", "di", "du", "des", "van", "von", "der", "den",
    "ter", "la", "le", "bin", "ibn", "bint", "al", "el", "abu", "ben", "y", "zu",
];

/// Whether token `i` can be part of a name: a capitalised word that is not a lexicon word
/// (title, verb, month, function word), or an initial ("S."). False past the last token.
fn name_token(tagged: &Tagged<'_>, i: usize) -> bool {
    tagged.name_tokens.get(i).copied().unwrap_or(false)
}

/// Works out [`name_token`] for token `i` (which exists, with `shape`), from the lexicon
/// hits.
fn is_name_token(tagged: &Tagged<'_>, i: usize, shape: Shape) -> bool {
    let doc = tagged.doc;
    let t = &doc.tokens[i];
    if t.kind != TokenKind::Word || !t.capitalized {
        return false;
    }
    // An initial ("A. Okafor"), even when the letter is also a word.
    if one_char(&t.norm)
        && doc
            .tokens
            .get(i + 1)
            .is_some_and(|n| n.norm == "." && !n.space_before)
    {
        return true;
    }
    // An all-capitals word is an acronym ("PM IST"), not a name, unless the whole sentence
    // is in capitals (a headline).
    if shape.has(Shape::CAPITALS) {
        let s = &doc.sentences[doc.sentence_of_token(i)];
        if doc.text[s.start..s.end].chars().any(char::is_lowercase) {
            return false;
        }
    }
    if let Some(h) = lex_at(tagged, i) {
        // A lexicon word that is only ever a lexicon word stops the name; names such as
        // "Mark" or "Chair" are rare enough after a title to accept the loss.
        if h.tokens.len() > 1 || h.has(cat::STOPS_NAME) {
            return false;
        }
    }
    true
}

/// Persons named right after a title or honorific: "Kremlin spokesman Dmitry Peskov",
/// "Mr. Smith", "Deputy Foreign Minister S. Jaishankar".
fn find_people_after_cues(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let mut found = Vec::new();
    for h in cue_hits(tagged) {
        let is_cue = h.has(cat::HONORIFIC | cat::TITLE);
        // "the senator's assassin, Brasko Tollan": a killer noun names a person too.
        let killer = !is_cue && h.has(cat::KILLER_NOUN);
        if !is_cue && !killer {
            continue;
        }
        let mut i = h.tokens.end;
        // "spokesman, Dmitry Peskov," is as good a cue as "spokesman Dmitry Peskov".
        if doc.tokens.get(i).is_some_and(|t| t.norm == ",") {
            i += 1;
        }
        // "King Jr.": a generational suffix closes a name, it does not start one.
        let suffix = doc
            .tokens
            .get(i)
            .is_some_and(|t| matches!(t.norm.trim_end_matches('.'), "jr" | "sr"));
        if mention_covering(mentions, i).is_some() || suffix {
            continue;
        }
        let end = scan_name(tagged, mentions, i);
        if end > i {
            let via = if killer { Via::Context } else { Via::Title };
            found.push(found_mention(doc, i..end, EntityType::Person, via));
        }
    }
    found
}

/// Elections and referendums, events (`Misc`): "2019 Indian general election", "the
/// 2014 Scottish independence referendum", "Ontario provincial election".
fn find_elections(
    gazetteer: &Gazetteer,
    tagged: &Tagged<'_>,
    mentions: &[Mention],
) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let has = |i: usize, cats: u32| lex_at(tagged, i).is_some_and(|h| h.has(cats));
    let mut found = Vec::new();
    for h in cue_hits(tagged) {
        let is_election = h.has(cat::ELECTION_WORD);
        if !is_election || h.tokens.start == 0 {
            continue;
        }
        // Walk back over election kinds, places, demonyms and capitalised words to a year.
        let mut start = h.tokens.start;
        let mut named = false;
        let mut steps = 0;
        while start > 0 && steps < 8 {
            let k = start - 1;
            if let Some(m) = mention_covering(mentions, k) {
                let place = matches!(&m.target, Target::Entry { entry, .. }
                    if gazetteer.entries()[*entry].entity_type() != Some(EntityType::Person));
                if !place {
                    break;
                }
                start = m.tokens.start;
                named = true;
            } else if has(k, cat::ELECTION_KIND) {
                start = lex_at_end(tagged, k).map_or(k, |h| h.tokens.start);
            } else if toks[k].capitalized
                && toks[k].kind == TokenKind::Word
                && !has(k, cat::FUNCTION_WORD)
            {
                start = k;
                named = true;
            } else {
                break;
            }
            steps += 1;
        }
        let year = start > 0
            && toks[start - 1].kind == TokenKind::Number
            && toks[start - 1].norm.len() == 4;
        if year {
            start -= 1;
        }
        if (named || year) && start < h.tokens.start {
            found.push(found_mention(
                doc,
                start..h.tokens.end,
                EntityType::Misc,
                Via::Suffix,
            ));
        }
    }
    found
}

/// The lexicon hit ending at token `i` (inclusive), if any.
fn lex_at_end<'a>(tagged: &'a Tagged<'_>, i: usize) -> Option<&'a LexHit<'a>> {
    let k = tagged.lexicon.partition_point(|h| h.tokens.end <= i);
    tagged
        .lexicon
        .get(k)
        .filter(|h| h.tokens.start <= i && i < h.tokens.end)
}

/// "German government": a demonym and "government" name that country's government.
fn find_governments(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let mut found = Vec::new();
    for m in mentions {
        if m.via != Via::Demonym {
            continue;
        }
        let Some(next) = doc.tokens.get(m.tokens.end) else {
            continue;
        };
        if next.norm == "government" && next.space_before {
            found.push(found_mention(
                doc,
                m.tokens.start..m.tokens.end + 1,
                EntityType::Organization,
                Via::Suffix,
            ));
        }
    }
    found
}

/// Persons named before an apposition that gives their role: "Christophe Lemoine, a
/// spokesman for the French Foreign Ministry", "Celso Amorim, Lula's chief adviser".
fn find_people_in_appositions(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let mut found = Vec::new();
    for h in cue_hits(tagged) {
        let is_title = h.has(cat::TITLE);
        if !is_title {
            continue;
        }
        // The comma that opens the apposition, at most six tokens back, with no other
        // comma between.
        let lo = h.tokens.start.saturating_sub(7);
        let Some(comma) = (lo..h.tokens.start)
            .rev()
            .take_while(|&k| toks[k].norm != "." && toks[k].norm != ";")
            .find(|&k| toks[k].norm == ",")
        else {
            continue;
        };
        if comma == 0 || mention_covering(mentions, comma - 1).is_some() {
            continue;
        }
        // The name before the comma: two to four name tokens.
        let mut start = comma;
        while start > 0
            && comma - start < 6
            && (name_token(tagged, start - 1)
                || (toks[start - 1].norm == "-" && !toks[start - 1].space_before))
            && mention_covering(mentions, start - 1).is_none()
        {
            start -= 1;
        }
        while start < comma && !name_token(tagged, start) {
            start += 1;
        }
        let words = (start..comma)
            .filter(|&k| toks[k].kind == TokenKind::Word && toks[k].norm != "-")
            .count();
        if !(2..=4).contains(&words) {
            continue;
        }
        let end = scan_name(tagged, mentions, start);
        if end == comma {
            found.push(found_mention(
                doc,
                start..end,
                EntityType::Person,
                Via::Title,
            ));
        }
    }
    found
}

/// Towns the gazetteer lacks, named before the state or country they lie in: "Harwood,
/// Conn.", "Quillby, Minnesota".
fn find_towns(gazetteer: &Gazetteer, tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let entries = gazetteer.entries();
    let mut found = Vec::new();
    for m in mentions {
        let Target::Entry { entry, .. } = &m.target else {
            continue;
        };
        let region = &entries[*entry];
        let is_region = region.entity_type() == Some(EntityType::Location)
            && !matches!(region.subtype.as_str(), "city")
            && m.via != Via::Demonym;
        let comma = m.tokens.start.wrapping_sub(1);
        if !is_region || m.tokens.start < 2 || toks[comma].norm != "," {
            continue;
        }
        // Walk back over the town's name words.
        let end = comma;
        let mut start = end;
        while start > 0
            && end - start < 3
            && name_token(tagged, start - 1)
            && mention_covering(mentions, start - 1).is_none()
        {
            start -= 1;
        }
        // The name stands at the start of a sentence or after a preposition or comma, so
        // that "said Smith, Texas" is not read as a town.
        let before_ok = start == 0
            || doc.sentences[doc.sentence_of_token(start)].tokens.start == start
            || matches!(
                toks[start - 1].norm.as_str(),
                "in" | "of" | "from" | "near" | "at" | "to" | "(" | "and"
            );
        if start < end && before_ok {
            found.push(found_mention(
                doc,
                start..end,
                EntityType::Location,
                Via::Place,
            ));
        }
    }
    found
}

/// Nouns that, after a name and a possessive, show the name is a person's: "Vance's widow",
/// "Garnett's assassin".
const PERSONAL_NOUNS: &[&str] = &[
    "wife",
    "husband",
    "widow",
    "widower",
    "son",
    "daughter",
    "brother",
    "sister",
    "father",
    "mother",
    "parents",
    "children",
    "family",
    "grandson",
    "granddaughter",
    "nephew",
    "niece",
    "uncle",
    "aunt",
    "cousin",
    "fiancee",
    "fiance",
    "girlfriend",
    "boyfriend",
    "assassin",
    "assassination",
    "killer",
    "murderer",
    "murder",
    "lawyer",
    "lawyers",
    "attorney",
    "aide",
    "aides",
    "bodyguard",
    "biographer",
    "funeral",
    "killing",
    "slaying",
    "killers",
    "assassins",
    "grave",
    "death",
    "birthday",
    "autobiography",
    "presidency",
    "administration",
    "campaign",
];

/// Past participles that, after "was" or "has been", befall only people: "Quill was
/// convicted".
const PERSONAL_FATES: &[&str] = &[
    "convicted",
    "sentenced",
    "executed",
    "acquitted",
    "jailed",
    "imprisoned",
    "paroled",
    "pardoned",
    "assassinated",
    "murdered",
    "born",
    "buried",
    "married",
    "divorced",
    "widowed",
    "knighted",
    "kidnapped",
    "abducted",
    "hanged",
];

/// People named by one word that the gazetteer lacks, where news style leaves no doubt
/// that a person is meant: an age in commas ("Halloran, 47, said"), a relative clause with
/// "who" ("Pruitt, who ran the shop"), an apposition naming a post ("Tarrant, a senior
/// Treasury official", "Carver, a Democrat"), a possessive before a personal noun ("Vance's
/// widow", "Garnett's assassin"), a fate only people meet ("Quill was convicted"), work
/// ("Harlan taught at"), or the victim of a killing ("in killing Fenwick", "assassin of
/// Aldridge"). The word must be mixed case and not a lexicon word (see [`name_token`]).
fn find_single_names(
    gazetteer: &Gazetteer,
    tagged: &Tagged<'_>,
    mentions: &[Mention],
) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let norm = |k: usize| toks.get(k).map_or("", |t| t.norm.as_str());
    let mut found = Vec::new();
    let mut covering = Covering::new(mentions);
    let mut sentences = SentenceCursor::default();
    // `name_token` wants a capitalised word: the other tokens need no look.
    for (&i, &shape) in tagged.name_starts.iter().zip(&tagged.name_shapes) {
        // The cheap tests first (bits, the covering cursor), the entries' subtypes last.
        let single = name_token(tagged, i)
            && shape.has(Shape::THREE_CHARS | Shape::LOWER)
            && covering.at(i).is_none()
            && lex_at(tagged, i).is_none_or(|h| {
                h.tokens.len() == 1
                    && h.entries
                        .iter()
                        .all(|&e| gazetteer.entries()[e].subtype == "first_name")
            })
            && (i == 0
                || !name_token(tagged, i - 1)
                || doc.sentences[sentences.at(doc, i)].tokens.start == i)
            && !name_token(tagged, i + 1)
            && norm(i + 1) != "-";
        if !single {
            continue;
        }
        let age = norm(i + 1) == ","
            && toks.get(i + 2).is_some_and(|t| {
                t.kind == TokenKind::Number
                    && t.norm.parse::<u32>().is_ok_and(|n| (1..=110).contains(&n))
            })
            && norm(i + 3) == ",";
        let who = norm(i + 1) == "," && norm(i + 2) == "who";
        let possessive = matches!(norm(i + 1), "'s" | "'") && PERSONAL_NOUNS.contains(&norm(i + 2));
        let victim = lex_lasts_to(tagged, i, cat::KILL_VERB)
            || lex_lasts_to(tagged, i, cat::KILL_ACT)
            || (i > 0
                && norm(i - 1) == "of"
                && (lex_lasts_to(tagged, i - 1, cat::KILL_ACT)
                    || lex_lasts_to(tagged, i - 1, cat::KILLER_NOUN)));
        // "Quill was convicted", "Moreau was shot": what befalls only people.
        let mut k = i + 1;
        while k < i + 3 && matches!(norm(k), "was" | "is" | "were" | "has" | "had" | "been") {
            k += 1;
        }
        let befalls = k > i + 1
            && (PERSONAL_FATES.contains(&norm(k))
                || lex_at(tagged, k).is_some_and(|h| h.has(cat::KILL_VERB)));
        // "Tarrant, a senior Treasury official,": an apposition naming a post.
        let post = norm(i + 1) == ","
            && matches!(norm(i + 2), "a" | "an" | "another")
            && (i + 3..i + 8)
                .take_while(|&k| !matches!(norm(k), "," | "." | ";" | ""))
                .any(|k| {
                    // "Carver, a Democrat from Ohio": a party member.
                    matches!(norm(k), "republican" | "democrat")
                        || lex_at(tagged, k).is_some_and(|h| {
                            h.has(cat::OCCUPATION) || (h.has(cat::TITLE) && !h.has(cat::GROUP_NOUN))
                        })
                });
        // "Harlan taught at ...", "Harlan worked for ...": a person's work.
        let works = lex_at(tagged, i + 1)
            .is_some_and(|h| h.has(cat::EMPLOY_VERB) && matches!(norm(h.tokens.end), "at" | "for"));
        if age || who || possessive || victim || befalls || post || works {
            found.push(found_mention(
                doc,
                i..i + 1,
                EntityType::Person,
                Via::Context,
            ));
        }
    }
    found
}

/// Whether a lexicon phrase of `category` ends right before token `i`.
fn lex_lasts_to(tagged: &Tagged<'_>, i: usize, category: u32) -> bool {
    let k = tagged.lexicon.partition_point(|h| h.tokens.end < i);
    lex_hit(tagged, k).is_some_and(|h| h.tokens.end == i && h.has(category))
}

/// Organisations named by an acronym the gazetteer lacks, where the words around it show an
/// organisation: after "the" ("the SEC"), or before a title, an occupation, "'s" or
/// "headquarters" ("EPA spokesman John Roe", "an IRS spokeswoman"). Only in sentences
/// that are not all capitals; roman numerals are not acronyms.
fn find_acronym_orgs(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let mut found = Vec::new();
    // An acronym starts with a capital: the other tokens need no look.
    for (&i, &shape) in tagged.name_starts.iter().zip(&tagged.name_shapes) {
        // Only words have an acronym shape.
        let acronym = shape.has(Shape::ACRONYM)
            && mention_covering(mentions, i).is_none()
            && lex_at(tagged, i).is_none()
            && toks
                .get(i + 1)
                .is_none_or(|n| n.norm != "." || n.space_before);
        if !acronym {
            continue;
        }
        let s = &doc.sentences[doc.sentence_of_token(i)];
        if !doc.text[s.start..s.end].chars().any(char::is_lowercase) {
            continue;
        }
        let before = i > 0 && matches!(toks[i - 1].norm.as_str(), "the" | "an" | "another");
        let after = toks.get(i + 1).is_some_and(|n| {
            matches!(n.norm.as_str(), "'s" | "headquarters")
                || lex_at(tagged, i + 1)
                    .is_some_and(|h| h.has(cat::TITLE) || h.has(cat::OCCUPATION))
        });
        if before || after {
            found.push(found_mention(
                doc,
                i..i + 1,
                EntityType::Organization,
                Via::Context,
            ));
        }
    }
    found
}

/// Sides in a results table the gazetteer lacks: a single capitalised word followed by its
/// score ("Rovers 3 Albion 1") names a team.
fn find_teams_in_tables(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    if !doc.is_score_table() {
        return Vec::new();
    }
    let mut found = Vec::new();
    // `name_token` wants a capitalised word: the other tokens need no look.
    for &i in &tagged.name_starts {
        let single = name_token(tagged, i)
            && mention_covering(mentions, i).is_none()
            && (i == 0 || !name_token(tagged, i - 1))
            && doc.is_score(i + 1);
        if single {
            found.push(found_mention(
                doc,
                i..i + 1,
                EntityType::Organization,
                Via::Table,
            ));
        }
    }
    found
}

/// Places the gazetteer lacks, named right after "in", "at" or "near": "at Fort de
/// Brégançon".
fn find_places(tagged: &Tagged<'_>, mentions: &[Mention]) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let mut found = Vec::new();
    // Only the lowercase "in", "at", "near" and "of" can be cues: the others need no look.
    for &i in &tagged.place_cues {
        let t = &toks[i];
        // "Dora Vance, 34, of Elmsford,": after a name and an age, "of" names a home town.
        let after_age = t.norm == "of"
            && i >= 3
            && toks[i - 1].norm == ","
            && toks[i - 2].kind == TokenKind::Number
            && toks[i - 3].norm == ",";
        if !(matches!(t.norm.as_str(), "in" | "at" | "near") || after_age) || t.capitalized {
            continue;
        }
        let start = i + 1;
        if mention_covering(mentions, start).is_some() || !name_token(tagged, start) {
            continue;
        }
        // "in Arabic": a language, not a place.
        if lex_at(tagged, start).is_some_and(|h| h.has(cat::LANGUAGE)) {
            continue;
        }
        let end = scan_name(tagged, mentions, start);
        // A place name followed by a possessive or a capitalised word we could not read is
        // something else ("at Reuters' request").
        let stop = toks
            .get(end)
            .is_some_and(|n| n.norm == "'s" || n.norm == "'");
        if end > start && !stop {
            found.push(found_mention(
                doc,
                start..end,
                EntityType::Location,
                Via::Place,
            ));
        }
    }
    found
}

/// Scans a personal name starting at token `i`; returns the token index after it (`i` if
/// there is none). Names are capitalised words, initials, particles inside the name and
/// hyphen or apostrophe joins without spaces.
fn scan_name(tagged: &Tagged<'_>, mentions: &[Mention], i: usize) -> usize {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let mut j = i;
    let mut words = 0;
    let mut last_word_end = i;
    while j < toks.len() && words < 5 {
        if mention_covering(mentions, j).is_some() {
            break;
        }
        let t = &toks[j];
        if j > i && toks[j].space_before && doc.sentence_of_token(j) != doc.sentence_of_token(i) {
            break;
        }
        if name_token(tagged, j) {
            j += 1;
            words += 1;
            // An initial: "S." belongs to the name.
            if one_char(&t.norm)
                && toks
                    .get(j)
                    .is_some_and(|n| n.norm == "." && !n.space_before)
            {
                j += 1;
            }
            // Hyphen joins: "al-Baghdadi", "Jean-Yves".
            while toks
                .get(j)
                .is_some_and(|n| n.norm == "-" && !n.space_before)
                && toks
                    .get(j + 1)
                    .is_some_and(|n| n.kind == TokenKind::Word && !n.space_before)
            {
                j += 2;
            }
            last_word_end = j;
            continue;
        }
        // Lowercase particles inside a name: "Lula da Silva", "Abu Bakr al-Baghdadi",
        // "al-Sudani" right after a title.
        if t.kind == TokenKind::Word && NAME_PARTICLES.contains(&t.norm.as_str()) {
            let hyphen_join = toks
                .get(j + 1)
                .is_some_and(|n| n.norm == "-" && !n.space_before)
                && toks
                    .get(j + 2)
                    .is_some_and(|n| n.capitalized && !n.space_before);
            if hyphen_join {
                j += 3;
                words += 1;
                last_word_end = j;
                continue;
            }
            let next_continues = toks
                .get(j + 1)
                .is_some_and(|n| n.capitalized || NAME_PARTICLES.contains(&n.norm.as_str()));
            if words > 0 && next_continues {
                j += 1;
                continue;
            }
        }
        // A one-word title closing a name of two words or more is a surname: "Daniel
        // Webster King", "Ann Lee Mayor Jr.". Not before "of" ("... King of Spain") nor before
        // another name word.
        let title_surname = words >= 2
            && t.capitalized
            && lex_at(tagged, j).is_some_and(|h| {
                h.tokens.len() == 1 && h.has(cat::TITLE) && !h.has(cat::FUNCTION_WORD)
            })
            && toks.get(j + 1).is_none_or(|n| n.norm != "of")
            && (!name_token(tagged, j + 1)
                || toks
                    .get(j + 1)
                    .is_some_and(|n| matches!(n.norm.as_str(), "jr" | "sr" | "ii" | "iii" | "iv")));
        if title_surname {
            j += 1;
            words += 1;
            last_word_end = j;
            continue;
        }
        break;
    }
    // "Jr." and "Sr." keep their period.
    if words > 0
        && matches!(toks[last_word_end - 1].norm.as_str(), "jr" | "sr")
        && !doc.text[..toks[last_word_end - 1].end].ends_with('.')
        && toks
            .get(last_word_end)
            .is_some_and(|n| n.norm == "." && !n.space_before)
    {
        last_word_end += 1;
    }
    if words == 0 { i } else { last_word_end }
}

fn found_mention(doc: &Document, tokens: Range<usize>, etype: EntityType, via: Via) -> Mention {
    let start = doc.tokens[tokens.start].start;
    let end = doc.tokens[tokens.end - 1].end;
    let name = doc.text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Mention {
        span: start..end,
        tokens,
        target: Target::Found { name, etype },
        via,
    }
}

/// Organisations the gazetteer lacks: a capitalised phrase ending in a suffix ("Tata Sons
/// Ltd", "Kyiv School of Economics") or starting with a head ("Ministry of Ecology").
fn find_organizations(
    gazetteer: &Gazetteer,
    tagged: &Tagged<'_>,
    mentions: &[Mention],
) -> Vec<Mention> {
    let doc = tagged.doc;
    let toks = &doc.tokens;
    let has = |h: Lex<'_>, cats: u32| h.has(cats);
    // A token that may stand inside an organisation's name.
    let org_word = |i: usize| -> bool {
        let t = &toks[i];
        if !(t.capitalized && t.kind == TokenKind::Word) && t.kind != TokenKind::Number {
            return false;
        }
        match lex_at(tagged, i) {
            Some(h) => has(h, cat::ORG_SUFFIX) || has(h, cat::ORG_HEAD) || !has(h, cat::NOT_IN_ORG),
            None => true,
        }
    };
    let connector = |i: usize| matches!(toks[i].norm.as_str(), "of" | "for" | "and" | "&" | "on");
    let mut found = Vec::new();
    let mut covering = Covering::new(mentions);
    let mut sentences = SentenceCursor::default();
    // The first token a run may start at: `org_word` wants a capitalised word or a
    // number, so only those are visited.
    let mut i = 0;
    for &k in &tagged.name_starts {
        if k < i {
            continue;
        }
        i = k;
        // A run may start on a demonym or on a place below a country ("Oregon Timber
        // Commission"); a country before a name is usually its own mention ("U.S. Navy").
        let starts_on_place = |m: &Mention| {
            m.tokens.start == i
                && matches!(&m.target, Target::Entry { entry, .. }
                    if gazetteer.entries()[*entry].entity_type() == Some(EntityType::Location)
                        && gazetteer.entries()[*entry].subtype != "country")
        };
        // The covering cursor first: it costs less than `org_word`.
        if covering
            .at(i)
            .is_some_and(|m| m.via != Via::Demonym && !starts_on_place(m))
            || !org_word(i)
        {
            continue;
        }
        // Extend a run of capitalised words, connectors and place names.
        let sentence = sentences.at(doc, i);
        // The run stays in the sentence: `sentence_of_token(j) == sentence` for every later
        // token of it, and for every later token at all in the last sentence.
        let sentence_end = if sentence + 1 < doc.sentences.len() {
            doc.sentences[sentence].tokens.end
        } else {
            usize::MAX
        };
        let start = i;
        let mut j = i;
        let mut last_good = None;
        let mut run_covering = covering.clone();
        while j < toks.len() && j < sentence_end {
            if let Some(m) = run_covering.at(j) {
                // Places and demonyms may sit inside an organisation's name; people may not.
                let ok = match &m.target {
                    Target::Entry { entry, .. } => {
                        gazetteer.entries()[*entry].entity_type() == Some(EntityType::Location)
                    }
                    Target::Found { .. } => false,
                };
                if !ok {
                    break;
                }
                j = m.tokens.end;
                last_good = last_good.or(None);
                continue;
            }
            if org_word(j) {
                if let Some(h) = lex_at(tagged, j) {
                    if has(h, cat::ORG_SUFFIX) && j > start {
                        last_good = Some(h.tokens.end);
                    }
                    j = h.tokens.end.max(j + 1);
                } else {
                    j += 1;
                }
                continue;
            }
            // Hyphenated words: "High-Level Strategic Council".
            if toks[j].norm == "-"
                && !toks[j].space_before
                && j > start
                && toks
                    .get(j + 1)
                    .is_some_and(|n| !n.space_before && n.capitalized)
            {
                j += 1;
                continue;
            }
            // "Rice University and the Juilliard School": an "and" right after a
            // suffix joins two names.
            if toks[j].norm == "and" && last_good == Some(j) {
                break;
            }
            if connector(j) && j + 1 < toks.len() && (org_word(j + 1) || toks[j + 1].norm == "the")
            {
                j += if toks[j + 1].norm == "the" { 2 } else { 1 };
                continue;
            }
            break;
        }
        // A sentence-initial word before "of" is seldom part of the name ("Shares of
        // Tata Sons Ltd").
        let mut start = start;
        if doc.sentences[sentence].tokens.start == start
            && start + 1 < j
            && connector(start + 1)
            && last_good.is_some_and(|e| e > start + 2)
        {
            start += 2;
        }
        // A person's name before "of" is not part of the name: "Lena Ortiz of the Park
        // Service".
        // (The first name first: a bit, where finding "of" compares words.)
        if lex_at(tagged, start).is_some_and(|h| h.tokens.len() == 1 && has(h, cat::FIRST_NAME))
            && let Some(c) = (start..j).find(|&k| toks[k].norm == "of")
            && (2..=3).contains(&(c - start))
            && (start + 1..c).all(|k| lex_at(tagged, k).is_none())
        {
            start = if toks.get(c + 1).is_some_and(|t| t.norm == "the") {
                c + 2
            } else {
                c + 1
            };
        }
        // Head words: "Ministry of X" reaches to the end of the run.
        let head = lex_at(tagged, start).is_some_and(|h| has(h, cat::ORG_HEAD));
        let end = if head && j > start + 2 {
            // Do not end on a connector.
            let mut e = j;
            while e > start && (connector(e - 1) || toks[e - 1].norm == "the") {
                e -= 1;
            }
            Some(e)
        } else {
            last_good
        };
        if let Some(end) = end {
            // A leading demonym belongs to the name only when the gazetteer has no better
            // reading; keep it ("Nigerian National Petroleum Company").
            found.push(found_mention(
                doc,
                start..end,
                EntityType::Organization,
                Via::Suffix,
            ));
            i = end;
        } else {
            i = start + 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// All lexicon hits with their categories, in order.
    fn lex_hits<'a>(tagged: &'a Tagged<'_>) -> impl Iterator<Item = Lex<'a>> {
        tagged
            .lexicon
            .iter()
            .zip(&tagged.lex_cats)
            .map(|(hit, &cats)| Lex { hit, cats })
    }

    #[test]
    fn a_shape_answers_as_the_character_tests_do() {
        for raw in [
            "A", "Ab", "Abc", "Smith", "PM", "NATO", "SEC", "ABCDEFG", "XIV", "MIX", "É", "ÉU",
            "Éva", "ÜBER", "A1", "DE-", "İ", "", "McD", "Abé", "Aé", "aB", "Ab1", "1ab",
        ] {
            let shape = Shape::of(raw);
            let lower = raw.chars().any(char::is_lowercase);
            let count = raw.chars().count();
            assert_eq!(shape.has(Shape::LOWER), lower, "{raw}");
            assert_eq!(shape.has(Shape::CAPITALS), !lower && count >= 2, "{raw}");
            assert_eq!(shape.has(Shape::THREE_CHARS), count >= 3, "{raw}");
            let acronym = (2..=6).contains(&raw.len())
                && raw.bytes().all(|b| b.is_ascii_uppercase())
                && !raw.bytes().all(|b| b"IVXLCM".contains(&b));
            assert_eq!(shape.has(Shape::ACRONYM), acronym, "{raw}");
        }
        assert!(Shape::of("SEC").has(Shape::ACRONYM | Shape::CAPITALS));
        assert!(!Shape::of("XIV").has(Shape::ACRONYM));
        assert!(Shape::of("Smith").has(Shape::LOWER | Shape::THREE_CHARS));
    }

    #[test]
    fn category_bits_answer_as_the_subtypes_do() {
        let names = [
            ("first_name", cat::FIRST_NAME),
            ("org_suffix", cat::ORG_SUFFIX),
            ("org_head", cat::ORG_HEAD),
            ("place_head", cat::PLACE_HEAD),
            ("function_word", cat::FUNCTION_WORD),
            ("date_word", cat::DATE_WORD),
            ("reporting_verb", cat::REPORTING_VERB),
            ("title", cat::TITLE),
            ("honorific", cat::HONORIFIC),
            ("meeting_verb", cat::MEETING_VERB),
            ("meeting_noun", cat::MEETING_NOUN),
            ("hedge", cat::HEDGE),
            ("negation", cat::NEGATION),
            ("former", cat::FORMER),
            ("killer_noun", cat::KILLER_NOUN),
            ("election_word", cat::ELECTION_WORD),
            ("election_kind", cat::ELECTION_KIND),
            ("kill_verb", cat::KILL_VERB),
            ("kill_act", cat::KILL_ACT),
            ("occupation", cat::OCCUPATION),
            ("group_noun", cat::GROUP_NOUN),
            ("employ_verb", cat::EMPLOY_VERB),
            ("language", cat::LANGUAGE),
            ("sport_verb", cat::SPORT_VERB),
        ];
        // One bit each, and every category the bits name exists in the bundled lexicon.
        let all = names.iter().fold(0, |m, &(_, b)| {
            assert_eq!(m & b, 0);
            m | b
        });
        assert_eq!(all.count_ones() as usize, names.len());
        let g = Gazetteer::bundled_lexicon();
        for (name, bit) in names {
            assert_eq!(cat::of(name), bit);
            assert!(g.entries().iter().any(|e| e.subtype == name), "{name}");
        }
        assert_eq!(cat::of("no_such_category"), 0);
        // The hits of a tagged text answer as `has_category` does, through the table and
        // through the fallback for another gazetteer of a different size.
        let r = Recognizer::new(&g).unwrap();
        let doc = Document::new(
            "d",
            "Mr. Smith, a former minister, said on Monday that the company Ltd was killed \
             in the general election; the spokesman spoke in Spanish at the University.",
        );
        let t = r.tag(&g, &doc);
        assert!(t.lexicon.len() > 10);
        let mut other = g.clone();
        other
            .add_source("x\tPerson\tx\tX Y\t\t\n", Path::new("t.tsv"))
            .unwrap();
        let cues: Vec<usize> = lex_hits(&t)
            .enumerate()
            .filter(|(_, h)| h.has(cat::CUES))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(t.cue_hits, cues);
        assert!(!cues.is_empty());
        for (k, h) in lex_hits(&t).enumerate() {
            // The fallback reads the entries, not the pattern.
            assert!(!r.tables_fit(&other));
            let fallback = r.categories_of(&other, false, usize::MAX, h.entries);
            for (name, bit) in names {
                assert_eq!(h.has(bit), h.has_category(&g, name), "{name} at {k}");
                assert_eq!(fallback & bit != 0, h.has(bit), "{name} at {k}");
            }
        }
    }

    #[test]
    fn the_sentence_cursor_finds_the_sentences_of_the_search() {
        for text in ["One. Two words here! And three? Last", "no stop at all", ""] {
            let doc = Document::new("d", text);
            let mut cursor = SentenceCursor::default();
            for i in 0..doc.tokens.len() + 2 {
                assert_eq!(cursor.at(&doc, i), doc.sentence_of_token(i), "{text:?} {i}");
            }
            let mut sparse = SentenceCursor::default();
            for i in (0..doc.tokens.len() + 2).step_by(3) {
                assert_eq!(sparse.at(&doc, i), doc.sentence_of_token(i), "{text:?} {i}");
            }
        }
    }

    #[test]
    fn covering_walks_to_the_same_mentions_as_the_search() {
        let mention = |tokens: Range<usize>| Mention {
            span: tokens.clone(),
            tokens,
            target: Target::Found {
                name: String::new(),
                etype: EntityType::Person,
            },
            via: Via::Context,
        };
        let mentions = vec![mention(1..3), mention(3..4), mention(7..10)];
        let mut covering = Covering::new(&mentions);
        for i in 0..12 {
            assert_eq!(covering.at(i), mention_covering(&mentions, i), "token {i}");
        }
        let mut sparse = Covering::new(&mentions);
        for i in [0, 2, 5, 9, 11] {
            assert_eq!(sparse.at(i), mention_covering(&mentions, i), "token {i}");
        }
    }

    fn tag_names(text: &str) -> Vec<(String, String)> {
        let mut g = Gazetteer::bundled_lexicon();
        g.add_source(
            "russia\tLocation\tcountry\tRussia\t@Russian\t\n\
             tokyo\tLocation\tcity\tTokyo\t\t\n\
             kremlin\tOrganization\tgovernment_body\tKremlin\t\t\n",
            Path::new("t.tsv"),
        )
        .unwrap();
        let r = Recognizer::new(&g).unwrap();
        let doc = Document::new("d", text);
        let t = r.tag(&g, &doc);
        t.mentions
            .iter()
            .map(|m| {
                let what = match &m.target {
                    Target::Entry { entry, .. } => g.entries()[*entry].id.clone(),
                    Target::Found { etype, .. } => etype.as_str().to_string(),
                };
                (text[m.span.clone()].to_string(), what)
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn people_after_titles_and_honorifics() {
        assert_eq!(
            tag_names("Kremlin spokesman Dmitry Peskov said on Monday."),
            pairs(&[("Kremlin", "kremlin"), ("Dmitry Peskov", "Person")])
        );
        assert_eq!(
            tag_names("Russian Deputy Foreign Minister S. Ryabkov Says Talks Stalled"),
            pairs(&[("Russian", "russia"), ("S. Ryabkov", "Person")])
        );
        assert_eq!(
            tag_names("Mr. Mark O'Brien and Dr. Abu Bakr al-Baghdadi left."),
            pairs(&[
                ("Mark O'Brien", "Person"),
                ("Abu Bakr al-Baghdadi", "Person")
            ])
        );
        assert!(tag_names("The president said in May that").is_empty());
    }

    #[test]
    fn people_by_given_name_initials_and_position() {
        assert_eq!(
            tag_names("The visiting opener Dora Whitfield scored a quick fifty."),
            pairs(&[("Dora Whitfield", "Person")])
        );
        assert_eq!(
            tag_names("Bowling: D. Whitfield 3-41, R. Okafor 2-19."),
            pairs(&[("D. Whitfield", "Person"), ("R. Okafor", "Person")])
        );
        assert_eq!(
            tag_names("The goal was scored by Ovidiu Pascaru after ten minutes."),
            pairs(&[("Ovidiu Pascaru", "Person")])
        );
        // A given name alone, or a capitalised phrase after "the", is not a person.
        assert!(tag_names("Grant was awarded to the Olive Tree alliance.").is_empty());
    }

    #[test]
    fn elections_are_events() {
        assert_eq!(
            tag_names("He lost the 2001 Russian general election and a referendum."),
            pairs(&[("2001 Russian general election", "Misc")])
        );
    }

    #[test]
    fn towns_before_their_region() {
        let mut g = Gazetteer::bundled_lexicon();
        g.add_source("mn\tLocation\tstate\tMinnesota\t\t\n", Path::new("t.tsv"))
            .unwrap();
        let r = Recognizer::new(&g).unwrap();
        let doc = Document::new(
            "d",
            "He grew up in Quillby, Minnesota, and said Jones, Minnesota, agreed.",
        );
        let t = r.tag(&g, &doc);
        let names: Vec<&str> = t
            .mentions
            .iter()
            .map(|m| &doc.text[m.span.clone()])
            .collect();
        assert_eq!(names, ["Quillby", "Minnesota", "Minnesota"]);
        // In a list, after "and"; and a home town after a name and an age.
        let doc = Document::new(
            "d",
            "It snowed at Ketterby, Minnesota, and Dunmore, Minnesota. Dora Vance, 34, of \
             Elmsford, won.",
        );
        let t = r.tag(&g, &doc);
        let places: Vec<&str> = t
            .mentions
            .iter()
            .filter(|m| doc.text[m.span.clone()].starts_with(['K', 'D', 'E']))
            .map(|m| &doc.text[m.span.clone()])
            .collect();
        assert_eq!(places, ["Ketterby", "Dunmore", "Dora Vance", "Elmsford"]);
    }

    #[test]
    fn single_names_in_results_tables_are_teams() {
        let table = "Results:\nRovers 5 Albion 2\nHarbourside 3 Wanderers 1\nCity 4 Athletic 0\n";
        let got = tag_names(table);
        assert!(
            got.contains(&("Rovers".to_string(), "Organization".to_string())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Albion".to_string(), "Organization".to_string())),
            "{got:?}"
        );
        // Outside a table, a word before a number is not a team.
        assert!(tag_names("Chapter 5 describes it.").is_empty());
    }

    #[test]
    fn organizations_by_suffix_and_head() {
        assert_eq!(
            tag_names("Shares of Tata Sons Ltd rose at the University of Tokyo."),
            pairs(&[
                ("Tata Sons Ltd", "Organization"),
                ("University of Tokyo", "Organization")
            ])
        );
        assert!(tag_names("The Party said.").is_empty());
    }

    #[test]
    fn one_word_people_where_only_people_stand() {
        let got = tag_names(
            "Marlow, 61, retired. Pruitt, who ran the shop, left. Vance's widow spoke. \
             The panel said Doyle had a part in killing Fenwick. Quill was sentenced on \
             Friday. Tarrant, a senior Kremlin official, agreed. Acme said profits rose. \
             Harlan taught at Rice University. Ostler's slaying shocked the town. Carver, a Democrat from Ohio, \
             voted. Gunmen killed two guards. Police found the gunman, Brasko Tollan.",
        );
        let people: Vec<&str> = got
            .iter()
            .filter(|(_, w)| w == "Person")
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            people,
            [
                "Marlow",
                "Pruitt",
                "Vance",
                "Fenwick",
                "Quill",
                "Tarrant",
                "Harlan",
                "Ostler",
                "Carver",
                "Brasko Tollan"
            ]
        );
    }

    #[test]
    fn a_title_word_may_close_a_long_name() {
        let got = tag_names("Yesterday Daniel Webster King Jr. spoke; later Carole King sang.");
        assert_eq!(got[0], ("Daniel Webster King Jr.".into(), "Person".into()));
        assert!(
            !got.iter().any(|(n, _)| n.contains("Carole King")),
            "{got:?}"
        );
    }

    #[test]
    fn names_ending_in_a_place_word_are_places() {
        let got = tag_names("Two boats sank off Carson Beach after the storm.");
        assert_eq!(got, pairs(&[("Carson Beach", "Location")]));
        let got = tag_names("The band toured through Stony Ridge last year.");
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn acronyms_used_as_organisations() {
        let got = tag_names("Dana Kerr, an EPA spokeswoman, said the SEC agreed.");
        assert_eq!(
            got,
            pairs(&[
                ("Dana Kerr", "Person"),
                ("EPA", "Organization"),
                ("SEC", "Organization")
            ])
        );
        // Roman numerals are not acronyms.
        assert!(tag_names("It was the XIV of its kind.").is_empty());
    }

    #[test]
    fn a_language_after_in_is_no_place() {
        let got = tag_names("The bulletin was read in Spanish at Tokyo.");
        assert_eq!(got, pairs(&[("Tokyo", "tokyo")]));
    }

    #[test]
    fn organisation_runs_split_at_people_and_joined_names() {
        let got = tag_names("Lena Ortiz of the Park Service said so.");
        assert_eq!(
            got,
            pairs(&[("Lena Ortiz", "Person"), ("Park Service", "Organization")])
        );
        let got = tag_names("He taught at Rice University and the Juilliard School.");
        assert_eq!(
            got,
            pairs(&[
                ("Rice University", "Organization"),
                ("Juilliard School", "Organization")
            ])
        );
    }

    #[test]
    fn organisation_names_may_start_with_a_region() {
        let mut g = Gazetteer::bundled_lexicon();
        g.add_source(
            "or\tLocation\tstate\tOregon\t\t\nus\tLocation\tcountry\tUnited States\tU.S.\t\n",
            Path::new("t.tsv"),
        )
        .unwrap();
        let r = Recognizer::new(&g).unwrap();
        let doc = Document::new("d", "Kessler sits on the Oregon Timber Commission.");
        let t = r.tag(&g, &doc);
        let names: Vec<&str> = t
            .mentions
            .iter()
            .map(|m| &doc.text[m.span.clone()])
            .collect();
        assert_eq!(names, ["Oregon Timber Commission"]);
    }
}
