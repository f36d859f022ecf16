//! The rule file format: serde types that mirror the RON text (see `docs/rules.md`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::gazetteer::EntityType;

/// A rule file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Predicates this file introduces or uses, with their meaning.
    #[serde(default)]
    pub predicates: BTreeMap<String, PredicateDef>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

/// A predicate's declaration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredicateDef {
    /// One-line meaning.
    pub meaning: String,
    /// Whether `a p b` implies `b p a` (emitted once, source < target by id).
    #[serde(default)]
    pub symmetric: bool,
}

/// One rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique id, recorded in every relation the rule emits.
    pub id: String,
    /// What the rule captures, for people reading the file.
    #[serde(default)]
    pub description: String,
    /// The sequence of sentence units to match.
    pub pattern: Vec<Element>,
    /// Contexts that cancel a match.
    #[serde(default)]
    pub unless: Vec<Guard>,
    /// Relations to emit per match.
    pub emit: Vec<EmitDef>,
    /// Sentences with the relations the rule (with the bundled gazetteer and rules) must
    /// produce from them; checked by the tests (`Pipeline::check_rule_examples`).
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// One element of a pattern. A sentence is seen as a sequence of units: entity mentions,
/// lexicon phrases and single tokens.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Element {
    /// An entity mention of one of `types` (any type when empty) and, when given, one of
    /// `subtypes`; `group: true` matches only plural references ("the two leaders").
    Entity {
        /// Slot name to bind the entity to.
        #[serde(default)]
        bind: Option<String>,
        /// Accepted entity types.
        #[serde(default)]
        types: Vec<EntityType>,
        /// Accepted subtypes.
        #[serde(default)]
        subtypes: Vec<String>,
        /// Match plural references instead of single entities.
        #[serde(default)]
        group: bool,
        /// Accepted ways of naming (`name`, `alias`, `surname`, `pronoun`, ...; see
        /// `docs/rules.md`); any when empty.
        #[serde(default)]
        via: Vec<String>,
    },
    /// A lexicon phrase of `category`, optionally with an attribute among some values.
    Lex {
        /// Lexicon category (the subtype of `Lexicon` entries).
        category: String,
        /// Slot name, so `emit` can read the entry's attributes (`"$t.predicate"`).
        #[serde(default)]
        bind: Option<String>,
        /// `(key, [values])`: the entry's attribute `key` must be one of `values`.
        #[serde(default)]
        attr: Option<(String, Vec<String>)>,
    },
    /// One unit whose text (lowercase) is one of these.
    Word(Vec<String>),
    /// One unit that is not an entity mention and is a single token of ASCII digits
    /// ("3", "1992"; not "3.5", "1,000" or "3rd") whose value lies within the bounds:
    /// `Number()` takes any, `Number(min: 1, max: 31)` a day of the month.
    Number {
        /// Least accepted value (inclusive); 0 when not given.
        #[serde(default)]
        min: Option<u64>,
        /// Greatest accepted value (inclusive); none when not given. Values too large for
        /// 64 bits count as `u64::MAX`.
        #[serde(default)]
        max: Option<u64>,
    },
    /// One unit that is not an entity mention and starts with a capital letter.
    Cap,
    /// One unit that is not an entity mention and starts with a lowercase letter (a word,
    /// not punctuation or a number).
    Lower,
    /// The elements, or nothing.
    Opt(Vec<Element>),
    /// Up to `max` units, each matching one of `only` (any unit when `only` is empty).
    Skip {
        /// Most units to skip.
        max: usize,
        /// What the skipped units may be.
        #[serde(default)]
        only: Vec<Element>,
    },
    /// Zero-width: the next unit must not match the element.
    Not(Box<Element>),
    /// Zero-width: the unit before must not match the element (or there is none).
    NotAfter(Box<Element>),
    /// The first alternative sequence that matches.
    Either(Vec<Vec<Element>>),
}

/// A context that cancels a match.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    /// Lexicon categories that cancel (e.g. `hedge`, `negation`).
    pub categories: Vec<String>,
    /// Where to look for them.
    #[serde(default)]
    pub scope: Scope,
}

/// Where a guard looks.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Scope {
    /// From the start of the clause holding the match to two units after it. Clauses end
    /// at `;`, sentence ends and "but", "while", "although", "though", "however",
    /// "whereas".
    #[default]
    Clause,
    /// The match and this many units before it.
    Before(usize),
    /// The whole sentence.
    Sentence,
}

/// A relation to emit.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitDef {
    /// Slot of the subject. A slot bound to a group with `object` the same slot emits the
    /// relation for every pair of its members.
    pub subject: String,
    /// A predicate name; or `"$slot.attribute"` to read it from the lexicon entry bound to
    /// `slot`; or `"$slot.role"` for the role the text gives the person bound to `slot`
    /// (the predicate of the title written before their name, when there is exactly one).
    pub predicate: String,
    /// Slot of the object; or `"$slot.known_role"`: the object of the gazetteer role of the
    /// person bound to `slot` whose predicate is the emitted one, when the document names
    /// that object ("Prime Minister Shigeru Ishiba" in an article that names Japan); or
    /// `"$slot.country"`: the person's country from the gazetteer, else the article's home
    /// country (that of its dateline), when the document names it.
    pub object: String,
    /// Attributes of the relation.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttrSource>,
}

/// Where an attribute's value comes from.
#[derive(Clone, Debug, Deserialize)]
pub enum AttrSource {
    /// The id of the entity bound to a slot (skipped when the slot is unbound).
    Slot(String),
    /// The first date written in the sentence, made absolute with the article's date.
    SentenceDate,
}

/// A rule's self-test.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// A sentence (or a short text).
    pub text: String,
    /// Relations it must give, as `"Subject Name | predicate | Object Name"`.
    #[serde(default)]
    pub expect: Vec<String>,
    /// Relations it must not give, same form.
    #[serde(default)]
    pub reject: Vec<String>,
}
