//! The runtime form of a rule set, built once when the rules are compiled.
//!
//! The rules as written compare strings: a unit's text with `Word` lists, a lexicon entry's
//! category and attributes with a `Lex` element's, an entity's subtype and naming with an
//! `Entity` element's. Doing that per unit and per attempt dominated the engine. Here every
//! string the rules test is interned once (word, subtype, category, way of naming -> small
//! integer), each gazetteer entry gets its category id and the attribute tests it passes,
//! and each pattern is rewritten over those ids. The engine then maps each unit to its ids
//! once per sentence and matches with integer compares.
//!
//! Nothing here changes what a rule matches: each compiled element accepts exactly the
//! units its written form accepts.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::gazetteer::{EntityType, Gazetteer, Matcher};
use crate::rules::compile::Rule;
use crate::rules::structure::{AttrSource, Element, Scope};

/// The id of a string the rules never mention.
pub(crate) const NONE: u32 = u32::MAX;

/// A set of small ids, one bit each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IdSet {
    bits: Vec<u64>,
}

impl IdSet {
    /// An empty set able to hold ids below `n` without growing.
    pub(crate) fn with_universe(n: usize) -> IdSet {
        IdSet {
            bits: vec![0; n.div_ceil(64)],
        }
    }

    pub(crate) fn insert(&mut self, id: u32) {
        let i = id as usize / 64;
        if i >= self.bits.len() {
            self.bits.resize(i + 1, 0);
        }
        self.bits[i] |= 1 << (id % 64);
    }

    /// Whether `id` is in the set; never for [`NONE`].
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|w| w >> (id % 64) & 1 == 1)
    }

    /// The ids in the set, in increasing order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w >> b & 1 == 1)
                .map(move |b| (i * 64 + b) as u32)
        })
    }

    /// Empties the set, keeping its storage.
    pub(crate) fn clear(&mut self) {
        self.bits.iter_mut().for_each(|w| *w = 0);
    }

    /// Adds the ids of `row`, a set's words of bits (as [`Features::of_word`] gives).
    pub(crate) fn insert_all(&mut self, row: &[u64]) {
        if self.bits.len() < row.len() {
            self.bits.resize(row.len(), 0);
        }
        self.bits.iter_mut().zip(row).for_each(|(w, r)| *w |= r);
    }
}

/// Rows of bits of one width: row `i` is a set of small ids, as [`IdSet`], but all rows
/// in one vector (a unit's start keys, a rule's keys, a key's rules, ...).
#[derive(Clone, Debug, Default)]
pub(crate) struct BitRows {
    /// Words per row.
    stride: usize,
    words: Vec<u64>,
}

impl BitRows {
    /// `rows` empty rows able to hold ids below `ids`.
    pub(crate) fn new(rows: usize, ids: usize) -> BitRows {
        let stride = ids.div_ceil(64);
        BitRows {
            stride,
            words: vec![0; rows * stride],
        }
    }

    /// Makes it `rows` empty rows able to hold ids below `ids`, keeping its storage.
    pub(crate) fn reset(&mut self, rows: usize, ids: usize) {
        self.stride = ids.div_ceil(64);
        self.words.clear();
        self.words.resize(rows * self.stride, 0);
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.words.len().checked_div(self.stride).unwrap_or(0)
    }

    /// Words per row.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// Row `i` of rows one word wide.
    #[inline]
    pub(crate) fn word(&self, i: usize) -> u64 {
        debug_assert_eq!(self.stride, 1);
        self.words[i]
    }

    /// Row `i` (empty when there is no such row).
    pub(crate) fn row(&self, i: usize) -> &[u64] {
        self.words
            .get(i * self.stride..(i + 1) * self.stride)
            .unwrap_or(&[])
    }

    /// Whether row `i` holds `id` (false for an id beyond the rows' width).
    #[inline]
    pub(crate) fn contains(&self, i: usize, id: usize) -> bool {
        id / 64 < self.stride && self.words[i * self.stride + id / 64] >> (id % 64) & 1 == 1
    }

    /// Adds `id` to row `i`.
    pub(crate) fn insert(&mut self, i: usize, id: u32) {
        let id = id as usize;
        self.words[i * self.stride + id / 64] |= 1 << (id % 64);
    }
}

/// The ids of a row of bits, in increasing order.
pub(crate) fn bit_ids(row: &[u64]) -> BitIds<'_> {
    BitIds {
        words: row.iter(),
        word: 0,
        base: 0,
    }
}

/// The iterator of [`bit_ids`].
pub(crate) struct BitIds<'r> {
    words: std::slice::Iter<'r, u64>,
    /// What is left of the current word.
    word: u64,
    /// The id of the bit after the current word's last.
    base: u32,
}

impl Iterator for BitIds<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while self.word == 0 {
            self.word = *self.words.next()?;
            self.base += 64;
        }
        let bit = self.word.trailing_zeros();
        self.word &= self.word - 1;
        Some(self.base - 64 + bit)
    }
}

/// FxHash (as in rustc): the interned strings are short and trusted, so a fast hash
/// beats SipHash's flood resistance here.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Strings to dense ids, in order of first appearance.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
    /// The strings of 1 to 16 bytes again, in an open-addressing table keyed by their
    /// bytes as two words: nearly every lookup is of such a string (a token's norm), and
    /// this finds it without hashing byte by byte or comparing through `memcmp`.
    short: Vec<ShortSlot>,
    /// Bit `n`: some string is `n` bytes long (63: 63 or more).
    lengths: u64,
    /// Per first byte (256 entries once a string is interned), bit `n`: some string that
    /// starts with that byte is `n` bytes long (63: 63 or more). Most text a sentence holds
    /// is no interned string, and this rejects much of it without hashing.
    lengths_by_first: Vec<u64>,
}

/// One slot of [`Interner::short`]; empty when `id` is [`NONE`].
#[derive(Clone, Copy, Debug)]
struct ShortSlot {
    key: ShortKey,
    id: u32,
}

/// A string of 1 to 16 bytes as its length and two words that, with the length, give
/// back every byte (see [`short_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortKey {
    len: usize,
    head: u64,
    tail: u64,
}

const EMPTY_SLOT: ShortSlot = ShortSlot {
    key: ShortKey {
        len: 0,
        head: 0,
        tail: 0,
    },
    id: NONE,
};

/// The key of a string of 1 to 16 bytes, else `None`. Short strings are read as
/// overlapping pieces (first, middle and last byte; first and last four; first and last
/// eight), so that no byte is left out and no byte beyond the string is read.
fn short_key(b: &[u8]) -> Option<ShortKey> {
    let n = b.len();
    let u32_at = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4")));
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8"));
    let (head, tail) = match n {
        1..=3 => (
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
        ),
        4..=7 => (u32_at(0) | u32_at(n - 4) << 32, 0),
        8..=16 => (u64_at(0), u64_at(n - 8)),
        _ => return None,
    };
    Some(ShortKey { len: n, head, tail })
}

impl ShortKey {
    /// The slot to probe first in a table of `mask + 1` slots.
    fn home(&self, mask: usize) -> usize {
        let h = (self.head ^ self.tail.rotate_left(23) ^ self.len as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 32) as usize & mask
    }
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.ids.len()).expect("fewer than 2^32 strings");
        self.ids.insert(s.into(), id);
        self.lengths |= 1 << s.len().min(63);
        if let Some(&b) = s.as_bytes().first() {
            self.lengths_by_first.resize(256, 0);
            self.lengths_by_first[usize::from(b)] |= 1 << s.len().min(63);
        }
        if short_key(s.as_bytes()).is_some() {
            self.rebuild_short();
        }
        id
    }

    /// Refills [`Interner::short`] from `ids`, at most half full (interning happens once,
    /// when the rules are compiled).
    fn rebuild_short(&mut self) {
        let keys: Vec<(ShortKey, u32)> = self
            .ids
            .iter()
            .filter_map(|(s, &id)| Some((short_key(s.as_bytes())?, id)))
            .collect();
        let size = (keys.len() * 2).next_power_of_two().max(16);
        self.short = vec![EMPTY_SLOT; size];
        for (key, id) in keys {
            let mut at = key.home(size - 1);
            while self.short[at].id != NONE {
                at = (at + 1) & (size - 1);
            }
            self.short[at] = ShortSlot { key, id };
        }
    }

    /// The id of `s`, or [`NONE`].
    #[inline(always)]
    pub(crate) fn get(&self, s: &str) -> u32 {
        if !self.may_hold(s.len(), s.as_bytes().first().copied()) {
            return NONE;
        }
        let Some(key) = short_key(s.as_bytes()) else {
            return self.ids.get(s).copied().unwrap_or(NONE);
        };
        // `may_hold` passed, so some string is interned and the table is not empty.
        let mask = self.short.len() - 1;
        let mut at = key.home(mask);
        loop {
            let slot = &self.short[at];
            if slot.id == NONE || slot.key == key {
                return slot.id;
            }
            at = (at + 1) & mask;
        }
    }

    /// False when no string of `len` bytes starting with `first` (`None`: empty) is
    /// interned (true does not say one is): a test without hashing, or building the string.
    #[inline]
    pub(crate) fn may_hold(&self, len: usize, first: Option<u8>) -> bool {
        let lengths = match first {
            Some(b) => self
                .lengths_by_first
                .get(usize::from(b))
                .copied()
                .unwrap_or(0),
            None => self.lengths,
        };
        lengths >> len.min(63) & 1 == 1
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// A slot of one rule: its bind names numbered in order of appearance.
pub(crate) type Slot = u8;

/// What an `Entity` element accepts.
#[derive(Clone, Debug)]
pub(crate) struct EntityTest {
    pub(crate) bind: Option<Slot>,
    /// One bit per accepted [`EntityType`]; 0 accepts any.
    pub(crate) types: u32,
    /// Accepted subtype ids; `None` accepts any.
    pub(crate) subtypes: Option<IdSet>,
    pub(crate) group: bool,
    /// Accepted ways of naming (ids into [`Program::vias`]); `None` accepts any.
    pub(crate) vias: Option<IdSet>,
}

impl EntityTest {
    /// Whether both accept the same units (whatever they bind).
    pub(crate) fn same_test(&self, other: &EntityTest) -> bool {
        self.types == other.types
            && self.subtypes == other.subtypes
            && self.group == other.group
            && self.vias == other.vias
    }
}

/// What a `Lex` element asks of a lexicon entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LexTest {
    pub(crate) category: u32,
    /// Index of the attribute test (`attr: (key, [values])`) the entry must pass.
    pub(crate) attr: Option<u32>,
}

/// What a `Number` element accepts: a unit of ASCII digits whose value is within the
/// (inclusive) bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumberTest {
    pub(crate) min: u64,
    pub(crate) max: u64,
}

impl NumberTest {
    /// Whether a unit with this numeric value (`None`: not a number) passes.
    pub(crate) fn accepts(self, value: Option<u64>) -> bool {
        value.is_some_and(|v| self.min <= v && v <= self.max)
    }
}

/// A pattern element over interned ids; mirrors [`Element`].
#[derive(Clone, Debug)]
pub(crate) enum Elem {
    Entity(EntityTest),
    Lex { test: LexTest, bind: Option<Slot> },
    Word(IdSet),
    Number(NumberTest),
    Cap,
    Lower,
    Opt(Branch),
    Skip { max: usize, only: Vec<Elem> },
    Not(Box<Elem>),
    NotAfter(Box<Elem>),
    Either(Vec<Branch>),
}

/// The inner sequence of an `Opt`, or one alternative of an `Either`, with a lookahead
/// that lets the engine skip it when it cannot match (its failure would only be found
/// after a frame per element).
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    pub(crate) elems: Vec<Elem>,
    /// When every match consumes a unit: atoms one of which that first unit fits.
    pub(crate) first: Option<Vec<Elem>>,
    /// When every match consumes a second unit right after its first (see [`second_of`]):
    /// atoms one of which that second unit fits.
    pub(crate) second: Option<Vec<Elem>>,
    /// `first` and `second` as start keys, when all their atoms are keys anyway (filed by
    /// [`Starts::new`]): the units that pass them are found in the pass over a sentence's
    /// units, so the lookahead is a bit test per key instead of a test of the unit per atom.
    pub(crate) first_keys: Option<Vec<u32>>,
    pub(crate) second_keys: Option<Vec<u32>>,
}

impl Branch {
    fn new(elems: Vec<Elem>) -> Branch {
        let consuming_first = |seq: &[Elem]| {
            let mut atoms = Vec::new();
            (first_of(seq, &mut atoms) == Some(false)).then_some(atoms)
        };
        let first = consuming_first(&elems);
        let second = second_of(&elems);
        Branch {
            elems,
            first,
            second,
            first_keys: None,
            second_keys: None,
        }
    }
}

impl Elem {
    /// Whether the element consumes exactly one unit and can be tested on it alone.
    pub(crate) fn is_atom(&self) -> bool {
        matches!(
            self,
            Elem::Entity(_)
                | Elem::Lex { .. }
                | Elem::Word(_)
                | Elem::Number(_)
                | Elem::Cap
                | Elem::Lower
        )
    }
}

/// What a rule's pattern cannot match without: a necessary condition checked once per
/// sentence, so that a sentence tries only the rules that can fire in it. It never changes
/// what a rule finds, only skips attempts that would fail.
#[derive(Clone, Debug, Default)]
pub(crate) struct Needs {
    /// Entity elements that every match consumes (each one unit).
    pub(crate) entities: usize,
    /// Lexicon categories that every match consumes a unit of.
    pub(crate) categories: Vec<u32>,
    /// Word elements that every match consumes: the ids of one of the words each (a few
    /// bit tests, where intersecting with the whole vocabulary's bits would be more).
    pub(crate) words: Vec<Vec<u32>>,
    /// Number elements that every match consumes.
    pub(crate) numbers: Vec<NumberTest>,
    /// Per `Either` that every match goes through, the needs of its alternatives: one of
    /// them must be met.
    pub(crate) either: Vec<Vec<Needs>>,
    /// `categories`, `words` and `numbers` as one set of [`Features`], tested with a few
    /// word operations (most sentences fail most rules' needs, so this test is frequent).
    pub(crate) required: IdSet,
    /// The needs, `either` included, as alternatives one of which a sentence must meet
    /// (filled by [`Features::new`]): a flat list is cheaper to test than the tree.
    pub(crate) terms: Vec<Term>,
}

/// One alternative of [`Needs::terms`]: at least `entities` entity units and every feature
/// of `required`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Term {
    pub(crate) entities: usize,
    pub(crate) required: IdSet,
}

/// The most alternatives [`Needs::terms`] expands to; an `Either` that would give more is
/// left out of them (the terms are then a weaker condition, still met by every match).
const MAX_TERMS: usize = 32;

impl Needs {
    /// The needs as alternatives (see [`Needs::terms`]); uses `required` of every level.
    fn expand(&self) -> Vec<Term> {
        let mut terms = vec![Term {
            entities: self.entities,
            required: self.required.clone(),
        }];
        for alts in &self.either {
            let alt_terms: Vec<Term> = alts.iter().flat_map(Needs::expand).collect();
            if terms.len() * alt_terms.len() > MAX_TERMS {
                continue;
            }
            terms = terms
                .iter()
                .flat_map(|t| {
                    alt_terms.iter().map(move |a| {
                        let mut required = t.required.clone();
                        required.insert_all(&a.required.bits);
                        Term {
                            entities: t.entities.max(a.entities),
                            required,
                        }
                    })
                })
                .collect();
        }
        terms
    }
}

/// What a sentence offers that rules' needs ask for, numbered as one set of features: each
/// lexicon category (feature id = category id), each distinct `Word` set that some rule
/// needs (present when one of its words is), each distinct `Number` test that some rule
/// needs. A sentence's features are collected once; a rule's needs are then a subset test.
#[derive(Clone, Debug, Default)]
pub(crate) struct Features {
    /// Number of features.
    pub(crate) len: usize,
    /// Per word id, `stride` words of bits: the word-set features the word gives.
    of_word: Vec<u64>,
    stride: usize,
    /// Each needed number test with its feature.
    pub(crate) numbers: Vec<(NumberTest, u32)>,
}

impl Features {
    /// Numbers the needs of `patterns` (over `categories` categories and `words` word ids)
    /// and fills in each one's [`Needs::required`].
    fn new(patterns: &mut [Pattern], categories: usize, words: usize) -> Features {
        let mut word_sets: Vec<Vec<u32>> = Vec::new();
        let mut numbers: Vec<NumberTest> = Vec::new();
        fn collect(n: &Needs, word_sets: &mut Vec<Vec<u32>>, numbers: &mut Vec<NumberTest>) {
            for ws in &n.words {
                if !word_sets.contains(ws) {
                    word_sets.push(ws.clone());
                }
            }
            for t in &n.numbers {
                if !numbers.contains(t) {
                    numbers.push(*t);
                }
            }
            for alts in &n.either {
                alts.iter().for_each(|a| collect(a, word_sets, numbers));
            }
        }
        for p in patterns.iter() {
            collect(&p.needs, &mut word_sets, &mut numbers);
        }
        let word_feature = |k: usize| (categories + k) as u32;
        let number_feature = |k: usize| (categories + word_sets.len() + k) as u32;
        let len = categories + word_sets.len() + numbers.len();
        let stride = len.div_ceil(64);
        let mut of_word = vec![0u64; words * stride];
        for (k, ws) in word_sets.iter().enumerate() {
            let f = word_feature(k) as usize;
            for &w in ws {
                of_word[w as usize * stride + f / 64] |= 1 << (f % 64);
            }
        }
        fn key(
            n: &mut Needs,
            len: usize,
            word_sets: &[Vec<u32>],
            numbers: &[NumberTest],
            word_feature: &dyn Fn(usize) -> u32,
            number_feature: &dyn Fn(usize) -> u32,
        ) {
            let mut required = IdSet::with_universe(len);
            n.categories.iter().for_each(|&c| required.insert(c));
            for ws in &n.words {
                let k = word_sets.iter().position(|x| x == ws).expect("collected");
                required.insert(word_feature(k));
            }
            for t in &n.numbers {
                let k = numbers.iter().position(|x| x == t).expect("collected");
                required.insert(number_feature(k));
            }
            n.required = required;
            for alts in &mut n.either {
                for a in alts {
                    key(a, len, word_sets, numbers, word_feature, number_feature);
                }
            }
        }
        for p in patterns.iter_mut() {
            key(
                &mut p.needs,
                len,
                &word_sets,
                &numbers,
                &word_feature,
                &number_feature,
            );
            p.needs.terms = p.needs.expand();
        }
        Features {
            len,
            of_word,
            stride,
            numbers: numbers
                .iter()
                .enumerate()
                .map(|(k, &t)| (t, number_feature(k)))
                .collect(),
        }
    }

    /// The features a (non-entity) unit with word id `word` gives, as words of bits.
    pub(crate) fn of_word(&self, word: u32) -> &[u64] {
        let at = word as usize * self.stride;
        self.of_word.get(at..at + self.stride).unwrap_or(&[])
    }
}

/// The largest `features * terms` for which [`NeedTable`] groups features by eight: its
/// table then takes at most 4 MB (the default rules need about 40 KB); beyond, by four
/// (an eighth of the memory per feature and term).
const NEED_TABLE_BYTE_GROUPS_UP_TO: usize = 1 << 20;

/// Every rule's [`Needs::terms`], numbered together, as bit sets over the terms: once per
/// sentence, the terms the sentence meets are found for all rules at once (a term fails by
/// a feature it needs that the sentence lacks, or by too few entity units); a rule's needs
/// are met when one of its terms is.
#[derive(Clone, Debug, Default)]
pub(crate) struct NeedTable {
    /// Number of terms.
    terms: usize,
    /// Per rule, its terms.
    of_rule: BitRows,
    /// Per term, its rule.
    rule_of_term: Vec<u32>,
    /// Row `2^g * n + v`, for groups of `g` = [`NeedTable::group_bits`] features: the
    /// terms failed when the features `g * n` to `g * n + g - 1` present in a sentence are
    /// the bits of `v` (the terms that need one of the others). A sentence's failed terms
    /// are then one row per group, not one per lacking feature.
    failed_by_group: BitRows,
    /// Features per group: eight (half the steps of four) unless the table would grow
    /// large, as with thousands of user rules (it takes `features * terms * 2^g / g` bits).
    group_bits: usize,
    /// Row `n`: the terms that need more than `n` entity units (the last row for more).
    too_few: BitRows,
    /// The fewest entity units any term needs.
    fewest_entities: usize,
}

impl NeedTable {
    fn new(patterns: &[Pattern], features: usize) -> NeedTable {
        let terms: usize = patterns.iter().map(|p| p.needs.terms.len()).sum();
        let group_bits = if features * terms <= NEED_TABLE_BYTE_GROUPS_UP_TO {
            8
        } else {
            4
        };
        NeedTable::with_group_bits(patterns, features, group_bits)
    }

    /// [`NeedTable::new`] with features grouped by `group_bits`, 4 or 8.
    fn with_group_bits(patterns: &[Pattern], features: usize, group_bits: usize) -> NeedTable {
        let all: Vec<&Term> = patterns.iter().flat_map(|p| &p.needs.terms).collect();
        let most_entities = all.iter().map(|t| t.entities).max().unwrap_or(0);
        let groups = features.div_ceil(group_bits);
        let mut table = NeedTable {
            terms: all.len(),
            of_rule: BitRows::new(patterns.len(), all.len()),
            rule_of_term: Vec::with_capacity(all.len()),
            failed_by_group: BitRows::new(groups << group_bits, all.len()),
            group_bits,
            too_few: BitRows::new(most_entities + 1, all.len()),
            fewest_entities: all.iter().map(|t| t.entities).min().unwrap_or(0),
        };
        let mut term = 0;
        for (r, p) in patterns.iter().enumerate() {
            for t in &p.needs.terms {
                let id = term as u32;
                table.of_rule.insert(r, id);
                table.rule_of_term.push(r as u32);
                for f in t.required.ids() {
                    let (group, bit) = (f as usize / group_bits, f as usize % group_bits);
                    for v in (0..1 << group_bits).filter(|v| v >> bit & 1 == 0) {
                        table.failed_by_group.insert((group << group_bits) + v, id);
                    }
                }
                for n in 0..t.entities {
                    table.too_few.insert(n, id);
                }
                term += 1;
            }
        }
        table
    }

    /// Fills `met` with the terms a sentence with `entities` entity units and `features`
    /// meets. `features` must have room for every feature ([`IdSet::with_universe`] of
    /// [`Features::len`]).
    pub(crate) fn terms_met(&self, entities: usize, features: &IdSet, met: &mut Vec<u64>) {
        let stride = self.failed_by_group.stride;
        let too_few = self
            .too_few
            .row(entities.min(self.too_few.rows().saturating_sub(1)));
        met.clear();
        met.extend(too_few.iter().map(|t| !t));
        if !self.terms.is_multiple_of(64)
            && let Some(last) = met.last_mut()
        {
            *last &= (1 << (self.terms % 64)) - 1;
        }
        let failed = &self.failed_by_group.words;
        // Rows of one or two words (up to 128 terms) with the row width and group size
        // known to the compiler, wider ones word by word.
        match (stride, self.group_bits) {
            (1, 8) => fail_terms::<1, 8>(failed, &features.bits, met),
            (2, 8) => fail_terms::<2, 8>(failed, &features.bits, met),
            (1, _) => fail_terms::<1, 4>(failed, &features.bits, met),
            (2, _) => fail_terms::<2, 4>(failed, &features.bits, met),
            (_, g) => {
                let rows = 1 << g;
                let groups = failed.len() / (rows * stride);
                for (w, m) in met.iter_mut().enumerate() {
                    for n in 0..groups {
                        let v = (features.bits[n * g / 64] >> (n * g % 64) & (rows as u64 - 1))
                            as usize;
                        *m &= !failed[(n * rows + v) * stride + w];
                    }
                }
            }
        }
    }

    /// The fewest entity units a sentence needs to meet the needs of any rule.
    pub(crate) fn fewest_entities(&self) -> usize {
        self.fewest_entities
    }

    /// Adds to `rules` (a row of bits over the rules) the rules that have one of the terms
    /// in `met` (from [`NeedTable::terms_met`]): those whose needs are met, found for all
    /// rules at once instead of one test per rule.
    pub(crate) fn rules_met(&self, met: &[u64], rules: &mut [u64]) {
        for t in bit_ids(met) {
            let r = self.rule_of_term[t as usize] as usize;
            rules[r / 64] |= 1 << (r % 64);
        }
    }

    /// Whether rule `rule` has one of the terms in `met` (from [`NeedTable::terms_met`]).
    #[cfg(test)]
    pub(crate) fn met(&self, rule: usize, met: &[u64]) -> bool {
        self.of_rule
            .row(rule)
            .iter()
            .zip(met)
            .any(|(r, m)| r & m != 0)
    }
}

/// Removes from `met` (`W` words) the terms failed by the features: for each group of `G`
/// features, the row of [`NeedTable::failed_by_group`] picked by those present.
fn fail_terms<const W: usize, const G: usize>(failed: &[u64], features: &[u64], met: &mut [u64]) {
    let mut fails = [0u64; W];
    for (n, group) in failed.chunks_exact((1 << G) * W).enumerate() {
        let v = (features[n * G / 64] >> (n * G % 64) & ((1 << G) - 1)) as usize;
        let row = &group[v * W..(v + 1) * W];
        fails.iter_mut().zip(row).for_each(|(f, r)| *f |= r);
    }
    met.iter_mut().zip(fails).for_each(|(m, f)| *m &= !f);
}

/// A guard over category ids.
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    pub(crate) categories: Vec<u32>,
    pub(crate) scope: Scope,
}

/// Where an emitted predicate comes from.
#[derive(Clone, Debug)]
pub(crate) enum Predicate {
    /// A declared predicate.
    Named(String),
    /// `$slot.attr`: the attribute of the lexicon entry bound to `slot`, or for `.role` the
    /// role the text gives the person bound to it.
    FromSlot {
        slot: Option<Slot>,
        attr: String,
        /// `attr`'s index in [`Program::value_keys`].
        key: usize,
    },
}

/// Where an emitted object comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Object {
    Slot(Option<Slot>),
    KnownRole(Option<Slot>),
    Country(Option<Slot>),
}

/// Where an attribute's value comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attr {
    Slot(Option<Slot>),
    SentenceDate,
}

/// An `emit` entry over slots.
#[derive(Clone, Debug)]
pub(crate) struct Emit {
    pub(crate) subject: Option<Slot>,
    pub(crate) predicate: Predicate,
    pub(crate) object: Object,
    /// Subject and object name the same slot: emit every pair of its members.
    pub(crate) pairs_within: bool,
    /// In the order of the written map.
    pub(crate) attributes: Vec<(String, Attr)>,
    /// Whether a [`Predicate::Named`] predicate is symmetric, when the rule set's
    /// declarations were given ([`Program::with_symmetric`]); else the engine asks.
    pub(crate) symmetric: Option<bool>,
}

/// One rule's runtime form.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    pub(crate) elems: Vec<Elem>,
    /// When the pattern starts with an atom and what follows must consume a unit too: atoms
    /// one of which the unit after a start must fit (as [`Branch::second`]), so that most
    /// starts that cannot match are not tried.
    pub(crate) second: Option<Vec<Elem>>,
    pub(crate) needs: Needs,
    pub(crate) guards: Vec<Guard>,
    pub(crate) emit: Vec<Emit>,
}

/// An entry's value of an attribute a `$slot.attr` predicate reads.
#[derive(Clone, Debug)]
struct Value {
    text: Box<str>,
    /// Whether the value, as a predicate, is symmetric, when the rule set's declarations
    /// were given ([`Program::with_symmetric`]); else the engine asks.
    symmetric: Option<bool>,
}

/// A borrowed [`Value`], as [`LexTable::value`] gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueRef<'t> {
    pub(crate) text: &'t str,
    pub(crate) symmetric: Option<bool>,
}

/// What the rules ask of each gazetteer entry, indexed by entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct LexTable {
    /// Category id of each entry (its subtype), [`NONE`] when no rule names it.
    categories: Vec<u32>,
    /// Per entry, `stride` words of bits: the attribute tests it passes.
    attrs: Vec<u64>,
    stride: usize,
    /// Per (entry, index into [`Program::value_keys`]), the entry's value of that attribute,
    /// for the entries of the categories the rules name: what a `$slot.attr` predicate
    /// reads, without parsing the entry's attributes at every match.
    values: HashMap<(usize, usize), Value, BuildHasherDefault<FxHasher>>,
    /// Address and length of the entry list the table was built from.
    built_for: (usize, usize),
    /// Per entry, the `Lex` start keys it passes, as an index into `key_lists` (filled by
    /// [`LexTable::file_start_keys`]; 0, the empty list, for the entries of no category).
    start_list: Vec<u32>,
    key_lists: Vec<Box<[u32]>>,
}

impl LexTable {
    fn new(
        gazetteer: &Gazetteer,
        categories: &Interner,
        tests: &[(String, Vec<String>)],
        value_keys: &[String],
    ) -> Self {
        let entries = gazetteer.entries();
        let stride = tests.len().div_ceil(64);
        let mut table = LexTable {
            categories: Vec::with_capacity(entries.len()),
            attrs: vec![0; entries.len() * stride],
            stride,
            values: HashMap::default(),
            built_for: (entries.as_ptr() as usize, entries.len()),
            start_list: Vec::new(),
            key_lists: Vec::new(),
        };
        for (i, e) in entries.iter().enumerate() {
            let category = categories.get(&e.subtype);
            table.categories.push(category);
            if category == NONE {
                continue;
            }
            for (k, key) in value_keys.iter().enumerate() {
                if let Some(v) = e.attr(key) {
                    let value = Value {
                        text: v.into(),
                        symmetric: None,
                    };
                    table.values.insert((i, k), value);
                }
            }
            for (t, (key, values)) in tests.iter().enumerate() {
                // The attribute holds a comma list; any item among the values passes.
                let pass = e
                    .attr(key)
                    .is_some_and(|v| v.split(',').any(|x| values.iter().any(|w| w == x)));
                if pass {
                    table.attrs[i * stride + t / 64] |= 1 << (t % 64);
                }
            }
        }
        table
    }

    /// Files under each entry the `Lex` start keys of `starts` it passes, so that a lexicon
    /// unit passes its entries' keys without testing them.
    fn file_start_keys(&mut self, starts: &Starts) {
        self.key_lists = vec![Box::default()];
        self.start_list = vec![0; self.categories.len()];
        for e in 0..self.categories.len() {
            let c = self.categories[e];
            if c == NONE {
                continue;
            }
            let keys: Vec<u32> = starts
                .lex_of_category(c)
                .iter()
                .copied()
                .filter(|&k| matches!(starts.keys[k as usize], StartKey::Lex(t) if self.fits(e, t)))
                .collect();
            let list = match self.key_lists.iter().position(|l| **l == *keys) {
                Some(at) => at,
                None => {
                    self.key_lists.push(keys.into());
                    self.key_lists.len() - 1
                }
            };
            self.start_list[e] = list as u32;
        }
    }

    /// The `Lex` start keys entry `e` passes, in increasing order.
    #[inline]
    pub(crate) fn start_keys(&self, e: usize) -> &[u32] {
        // Most entries (function words and the like) start nothing: no second look-up.
        match self.start_list.get(e) {
            None | Some(0) => &[],
            Some(&list) => &self.key_lists[list as usize],
        }
    }

    /// The value of attribute `key` (an index into [`Program::value_keys`]) of entry `e`,
    /// an entry of a category the rules name.
    pub(crate) fn value(&self, e: usize, key: usize) -> Option<ValueRef<'_>> {
        self.values.get(&(e, key)).map(|v| ValueRef {
            text: &v.text,
            symmetric: v.symmetric,
        })
    }

    /// Whether the table was built from this gazetteer's entries.
    pub(crate) fn is_for(&self, gazetteer: &Gazetteer) -> bool {
        let entries = gazetteer.entries();
        self.built_for == (entries.as_ptr() as usize, entries.len())
    }

    /// The category id of entry `e`.
    pub(crate) fn category(&self, e: usize) -> u32 {
        self.categories[e]
    }

    /// Whether entry `e` fits a `Lex` element.
    pub(crate) fn fits(&self, e: usize, test: LexTest) -> bool {
        self.categories[e] == test.category
            && test.attr.is_none_or(|t| {
                let t = t as usize;
                self.attrs[e * self.stride + t / 64] >> (t % 64) & 1 == 1
            })
    }
}

/// Per pattern (surface form) of the gazetteer's lexicon matcher, what a lexicon unit of
/// that form offers the rules, worked out once per pipeline rather than at every hit (half
/// of all tokens are lexicon hits): the word id of its text, and its entries' categories
/// and `Lex` start keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct LexPatterns {
    patterns: Vec<PatternUnit>,
    /// The patterns' categories and start keys, one pattern after another.
    ids: Vec<u32>,
}

/// What one lexicon pattern offers the rules (see [`LexPatterns`]).
#[derive(Clone, Copy, Debug)]
struct PatternUnit {
    /// The word id of the pattern's text normalised: what the rules get from the norm of
    /// a one-token hit, whose text is the pattern's text.
    word: u32,
    /// Where its categories start in [`LexPatterns::ids`].
    start: u32,
    /// Where its start keys start (its categories end).
    keys: u32,
    /// Where its start keys end.
    end: u32,
}

impl LexPatterns {
    /// The table for the patterns of `lexicon` (a lexicon matcher of the gazetteer that
    /// `table`, the lexicon table of `program`, was built for).
    pub(crate) fn new(program: &Program, table: &LexTable, lexicon: &Matcher) -> LexPatterns {
        let mut ids: Vec<u32> = Vec::new();
        let push_new = |ids: &mut Vec<u32>, from: usize, id: u32| {
            if !ids[from..].contains(&id) {
                ids.push(id);
            }
        };
        let patterns = lexicon.pattern_table_with_forms(|form, entries| {
            // A hit's text is the form's bytes, which are UTF-8 as the document's text is.
            let word = program
                .words
                .get(&crate::text::normalize(&String::from_utf8_lossy(form)));
            let start = ids.len();
            let named = || entries.iter().filter(|&&e| table.category(e) != NONE);
            for &e in named() {
                push_new(&mut ids, start, table.category(e));
            }
            let keys = ids.len();
            for &e in named() {
                for &k in table.start_keys(e) {
                    push_new(&mut ids, keys, k);
                }
            }
            let at = |n: usize| u32::try_from(n).expect("fewer than 2^32 lexicon ids");
            PatternUnit {
                word,
                start: at(start),
                keys: at(keys),
                end: at(ids.len()),
            }
        });
        LexPatterns { patterns, ids }
    }

    /// Of pattern `p`: its word id (see [`PatternUnit::word`]), the categories of its
    /// entries that the rules name, and the `Lex` start keys its entries pass; `None` for
    /// a pattern the table does not know.
    #[inline]
    pub(crate) fn get(&self, p: usize) -> Option<(u32, &[u32], &[u32])> {
        let u = self.patterns.get(p)?;
        let (start, keys, end) = (u.start as usize, u.keys as usize, u.end as usize);
        Some((u.word, &self.ids[start..keys], &self.ids[keys..end]))
    }
}

/// A whole rule set in runtime form.
#[derive(Clone, Debug, Default)]
pub(crate) struct Program {
    /// Every `Word` string of the rules, and the clause breaks.
    pub(crate) words: Interner,
    /// Word ids of the clause breaks.
    pub(crate) breaks: IdSet,
    /// Entity subtypes the rules name.
    pub(crate) subtypes: Interner,
    /// Ways of naming the rules name (`via`), by id.
    pub(crate) vias: Vec<String>,
    /// Lexicon categories the rules name.
    pub(crate) categories: Interner,
    /// Distinct `attr: (key, [values])` tests.
    attr_tests: Vec<(String, Vec<String>)>,
    /// The attributes `$slot.attr` predicates read.
    pub(crate) value_keys: Vec<String>,
    pub(crate) lexicon: LexTable,
    /// One per rule, in order.
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) starts: Starts,
    /// What the patterns' needs are tested on.
    pub(crate) features: Features,
    /// The patterns' needs, flat.
    pub(crate) needs: NeedTable,
}

/// Which units may start a match of which rule: the first unit of every non-empty match of
/// a pattern fits one of the pattern's first atoms (see [`first_units`]), so other starts
/// cannot give a relation and are not tried. Each distinct first atom is a *key*; per
/// sentence the engine finds the keys each unit passes (a test is done once per unit
/// however many rules share it), as a row of bits; a rule may start at the units whose
/// row shares a key with its own, and only rules with a key some unit passes are visited.
#[derive(Clone, Debug, Default)]
pub(crate) struct Starts {
    /// Per key, what a unit must be to pass it.
    pub(crate) keys: Vec<StartKey>,
    /// Per rule, its keys.
    pub(crate) of_rule: Vec<Vec<u32>>,
    /// The keys below this number start some rule; those from it on are only lookaheads
    /// ([`Starts::second_of_rule`]).
    pub(crate) first_keys: usize,
    /// Per rule with a [`Pattern::second`] lookahead, its atoms as keys: a start is tried
    /// only when the next unit passes one of them. The units that pass them are found in
    /// the same pass as the first keys', so the lookahead is a few word operations per
    /// rule, not a test per start and atom. These keys start no rule.
    pub(crate) second_of_rule: Vec<Option<Vec<u32>>>,
    /// Per key, the rules that have it, as a row of bits.
    pub(crate) key_rules: BitRows,
    /// Per entity kind and way of naming (see [`Starts::entity_keys_of`]), the keys of the
    /// one-entity tests that accept it, as ranges of `entity_keys`: a one-entity unit
    /// passes them all, with nothing left to test.
    entity_key_ranges: Vec<u32>,
    entity_keys: Vec<u32>,
    /// Subtype slots per entity type: one per subtype id below it (the ids some test names),
    /// and one last for every other subtype (which only tests without subtypes accept).
    subtype_slots: usize,
    /// Way-of-naming slots per entity kind: one per via id below it (the ids some test
    /// names), and one last for every other (which only tests without vias accept).
    via_slots: usize,
    /// Keys of entity tests for single entities (tried when a mention has no entity).
    pub(crate) entity_single: Vec<u32>,
    /// Keys of entity tests for plural references.
    pub(crate) entity_group: Vec<u32>,
    /// Per category id, the keys of `Lex` tests of that category.
    pub(crate) lex_by_category: Vec<Vec<u32>>,
    /// Keys of `Number` tests.
    pub(crate) number: Vec<u32>,
    /// Per word id, the keys of the `Word` atoms holding it, in increasing order (a word is
    /// in few atoms: a short list is cheaper to walk than a row of bits over all keys).
    word_keys: Vec<Vec<u32>>,
    /// The keys of `Cap`, `Lower` and a leading free `Skip` (any unit), when some rule
    /// starts so.
    pub(crate) cap: Option<u32>,
    pub(crate) lower: Option<u32>,
    pub(crate) any: Option<u32>,
}

/// A first atom of some pattern, as a key of [`Starts`].
#[derive(Clone, Debug)]
pub(crate) enum StartKey {
    Entity(EntityTest),
    Lex(LexTest),
    Number(NumberTest),
    Word(IdSet),
    Cap,
    Lower,
    /// Any unit.
    Any,
}

impl StartKey {
    fn same(&self, other: &StartKey) -> bool {
        match (self, other) {
            (StartKey::Entity(a), StartKey::Entity(b)) => a.same_test(b),
            (StartKey::Lex(a), StartKey::Lex(b)) => a == b,
            (StartKey::Number(a), StartKey::Number(b)) => a == b,
            (StartKey::Word(a), StartKey::Word(b)) => a == b,
            (StartKey::Cap, StartKey::Cap)
            | (StartKey::Lower, StartKey::Lower)
            | (StartKey::Any, StartKey::Any) => true,
            _ => false,
        }
    }
}

/// Entity types, as positions of their bits in [`EntityTest::types`].
const TYPE_BITS: usize = 32;

impl Starts {
    fn new(patterns: &mut [Pattern], words: usize) -> Starts {
        let mut s = Starts::default();
        for p in patterns.iter() {
            let mut first = Vec::new();
            let keys = if first_units(&p.elems, &mut first) {
                s.keys_of(first)
            } else {
                s.keys_of_starts(vec![StartKey::Any])
            };
            s.of_rule.push(keys);
        }
        // After all first keys, so that their numbers do not depend on the lookaheads.
        s.first_keys = s.keys.len();
        for p in patterns.iter_mut() {
            let second = p.second.clone().map(|atoms| s.keys_of(atoms));
            s.second_of_rule.push(second);
            s.file_branches(&mut p.elems);
        }
        let (rules, keys) = (s.of_rule.len(), s.keys.len());
        s.key_rules = BitRows::new(keys, rules);
        for (r, ks) in s.of_rule.iter().enumerate() {
            for &k in ks {
                s.key_rules.insert(k as usize, r as u32);
            }
        }
        s.file_entity_kinds();
        s.word_keys = vec![Vec::new(); words];
        for (k, key) in s.keys.iter().enumerate() {
            if let StartKey::Word(set) = key {
                set.ids()
                    .for_each(|w| s.word_keys[w as usize].push(k as u32));
            }
        }
        s
    }

    /// Gives every `Opt` and `Either` branch within `elems` its lookahead as keys
    /// ([`Branch::first_keys`], [`Branch::second_keys`]) when its atoms are keys already.
    fn file_branches(&mut self, elems: &mut [Elem]) {
        for elem in elems {
            match elem {
                Elem::Opt(branch) => self.file_branch(branch),
                Elem::Either(alts) => alts.iter_mut().for_each(|b| self.file_branch(b)),
                Elem::Skip { only, .. } => self.file_branches(only),
                Elem::Not(inner) | Elem::NotAfter(inner) => {
                    self.file_branches(std::slice::from_mut(&mut **inner));
                }
                _ => {}
            }
        }
    }

    fn file_branch(&mut self, branch: &mut Branch) {
        branch.first_keys = branch
            .first
            .as_deref()
            .and_then(|atoms| self.known_keys(atoms));
        branch.second_keys = branch
            .second
            .as_deref()
            .and_then(|atoms| self.known_keys(atoms));
        self.file_branches(&mut branch.elems);
    }

    /// The keys of `atoms` when each is already a key, else `None`: a new key would cost
    /// a test of every unit of every sentence, more than the lookaheads it would save.
    fn known_keys(&self, atoms: &[Elem]) -> Option<Vec<u32>> {
        atoms
            .iter()
            .map(|atom| {
                let key = match atom {
                    Elem::Entity(t) => StartKey::Entity(t.clone()),
                    Elem::Lex { test, .. } => StartKey::Lex(*test),
                    Elem::Number(t) => StartKey::Number(*t),
                    Elem::Word(set) => StartKey::Word(set.clone()),
                    Elem::Cap => StartKey::Cap,
                    Elem::Lower => StartKey::Lower,
                    _ => return None,
                };
                let k = self.keys.iter().position(|k| k.same(&key))?;
                Some(k as u32)
            })
            .collect()
    }

    /// The keys of the `Word` atoms that hold word `w`, in increasing order.
    pub(crate) fn keys_of_word(&self, w: u32) -> &[u32] {
        self.word_keys.get(w as usize).map_or(&[], Vec::as_slice)
    }

    /// The keys of `atoms` (added when new), each once.
    fn keys_of(&mut self, atoms: Vec<Elem>) -> Vec<u32> {
        let starts = atoms
            .into_iter()
            .map(|atom| match atom {
                Elem::Entity(t) => StartKey::Entity(t),
                Elem::Lex { test, .. } => StartKey::Lex(test),
                Elem::Number(t) => StartKey::Number(t),
                Elem::Word(set) => StartKey::Word(set),
                Elem::Cap => StartKey::Cap,
                Elem::Lower => StartKey::Lower,
                _ => unreachable!("keys are made of atoms"),
            })
            .collect();
        self.keys_of_starts(starts)
    }

    /// The keys of `atoms` (added when new), each once.
    fn keys_of_starts(&mut self, atoms: Vec<StartKey>) -> Vec<u32> {
        let mut keys = Vec::new();
        for atom in atoms {
            let k = match self.keys.iter().position(|k| k.same(&atom)) {
                Some(k) => k as u32,
                None => {
                    self.keys.push(atom);
                    self.add_key(self.keys.len() - 1);
                    (self.keys.len() - 1) as u32
                }
            };
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// Files new key `k` under what a unit must be to pass it (`Word` keys, and one-entity
    /// tests by entity kind, are filed once all keys are known).
    fn add_key(&mut self, k: usize) {
        let id = k as u32;
        match &self.keys[k] {
            StartKey::Entity(t) if t.group => self.entity_group.push(id),
            StartKey::Entity(_) => self.entity_single.push(id),
            StartKey::Lex(t) => {
                let c = t.category as usize;
                if self.lex_by_category.len() <= c {
                    self.lex_by_category.resize(c + 1, Vec::new());
                }
                self.lex_by_category[c].push(id);
            }
            StartKey::Number(_) => self.number.push(id),
            StartKey::Word(_) => {}
            StartKey::Cap => self.cap = Some(id),
            StartKey::Lower => self.lower = Some(id),
            StartKey::Any => self.any = Some(id),
        }
    }

    /// Fills [`Starts::entity_keys`] from the one-entity tests among all keys.
    fn file_entity_kinds(&mut self) {
        let tests: Vec<(u32, &EntityTest)> = self
            .entity_single
            .iter()
            .filter_map(|&k| match &self.keys[k as usize] {
                StartKey::Entity(t) => Some((k, t)),
                _ => None,
            })
            .collect();
        // One slot past the largest id some test names.
        let named = |set: fn(&EntityTest) -> Option<&IdSet>| {
            tests
                .iter()
                .filter_map(|(_, t)| set(t)?.ids().last())
                .max()
                .map_or(0, |id| id as usize + 1)
        };
        let named_subtypes = named(|t| t.subtypes.as_ref());
        let named_vias = named(|t| t.vias.as_ref());
        let (slots, via_slots) = (named_subtypes + 1, named_vias + 1);
        // A slot past the named ids stands for every other id, which only a test without
        // such a list accepts.
        let accepts = |set: &Option<IdSet>, slot: usize, named: usize| {
            set.as_ref()
                .is_none_or(|set| slot < named && set.contains(slot as u32))
        };
        let mut ranges = vec![0];
        let mut keys = Vec::new();
        for kind in 0..TYPE_BITS * slots * via_slots {
            let (bit, slot, via) = (
                kind / (slots * via_slots),
                kind / via_slots % slots,
                kind % via_slots,
            );
            for &(k, t) in &tests {
                if (t.types == 0 || t.types >> bit & 1 == 1)
                    && accepts(&t.subtypes, slot, named_subtypes)
                    && accepts(&t.vias, via, named_vias)
                {
                    keys.push(k);
                }
            }
            ranges.push(keys.len() as u32);
        }
        self.entity_key_ranges = ranges;
        self.entity_keys = keys;
        self.subtype_slots = slots;
        self.via_slots = via_slots;
    }

    /// The keys of the one-entity tests that accept an entity of type bit `type_bit` (see
    /// [`type_bit`]) and subtype id `subtype`, named by way `via` ([`NONE`] when no rule
    /// names the subtype or the way), in increasing order.
    pub(crate) fn entity_keys_of(&self, type_bit: u32, subtype: u32, via: u32) -> &[u32] {
        let slot = (subtype as usize).min(self.subtype_slots.saturating_sub(1));
        let via = (via as usize).min(self.via_slots.saturating_sub(1));
        let kind =
            (type_bit.trailing_zeros() as usize * self.subtype_slots + slot) * self.via_slots + via;
        match self.entity_key_ranges.get(kind..kind + 2) {
            Some(&[a, b]) => &self.entity_keys[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The keys of `Lex` tests of category `c`.
    pub(crate) fn lex_of_category(&self, c: u32) -> &[u32] {
        self.lex_by_category
            .get(c as usize)
            .map_or(&[], Vec::as_slice)
    }
}

/// Units that end a clause for `Scope::Clause`.
pub(crate) const CLAUSE_BREAKS: &[&str] = &[
    ";", "but", "while", "although", "though", "however", "whereas",
];

impl Program {
    /// Builds the runtime form of `rules`, compiled against `gazetteer`.
    pub(crate) fn new(rules: &[Rule], gazetteer: &Gazetteer) -> Program {
        let mut p = Program::default();
        for b in CLAUSE_BREAKS {
            let id = p.words.intern(b);
            p.breaks.insert(id);
        }
        let mut patterns = Vec::with_capacity(rules.len());
        for rule in rules {
            let mut slots = Vec::new();
            let elems = p.elems(&rule.def.pattern, &mut slots);
            let guards = rule
                .def
                .unless
                .iter()
                .map(|g| Guard {
                    categories: g
                        .categories
                        .iter()
                        .map(|c| p.categories.intern(c))
                        .collect(),
                    scope: g.scope,
                })
                .collect();
            let slot = |name: &str| slots.iter().position(|s| s == name).map(|i| i as Slot);
            let emit = rule
                .def
                .emit
                .iter()
                .map(|e| {
                    let predicate = match e.predicate.strip_prefix('$') {
                        Some(rest) => {
                            let (name, attr) = rest.split_once('.').unwrap_or((rest, ""));
                            let key = match p.value_keys.iter().position(|k| k == attr) {
                                Some(k) => k,
                                None => {
                                    p.value_keys.push(attr.to_string());
                                    p.value_keys.len() - 1
                                }
                            };
                            Predicate::FromSlot {
                                slot: slot(name),
                                attr: attr.to_string(),
                                key,
                            }
                        }
                        None => Predicate::Named(e.predicate.clone()),
                    };
                    let stripped = |suffix: &str| {
                        e.object
                            .strip_prefix('$')
                            .and_then(|r| r.strip_suffix(suffix))
                            .and_then(slot)
                    };
                    let object = if e.object.ends_with(".known_role") {
                        Object::KnownRole(stripped(".known_role"))
                    } else if e.object.ends_with(".country") && e.object.starts_with('$') {
                        Object::Country(stripped(".country"))
                    } else {
                        Object::Slot(slot(&e.object))
                    };
                    let attributes = e
                        .attributes
                        .iter()
                        .map(|(name, src)| {
                            let a = match src {
                                AttrSource::Slot(s) => Attr::Slot(slot(s)),
                                AttrSource::SentenceDate => Attr::SentenceDate,
                            };
                            (name.clone(), a)
                        })
                        .collect();
                    Emit {
                        subject: slot(&e.subject),
                        predicate,
                        object,
                        pairs_within: e.subject == e.object,
                        attributes,
                        symmetric: None,
                    }
                })
                .collect();
            let needs = p.needs(&elems);
            let second = second_of(&elems);
            patterns.push(Pattern {
                elems,
                second,
                needs,
                guards,
                emit,
            });
        }
        p.starts = Starts::new(&mut patterns, p.words.len());
        p.features = Features::new(&mut patterns, p.categories.len(), p.words.len());
        p.needs = NeedTable::new(&patterns, p.features.len);
        p.patterns = patterns;
        p.lexicon = LexTable::new(gazetteer, &p.categories, &p.attr_tests, &p.value_keys);
        p.lexicon.file_start_keys(&p.starts);
        p
    }

    /// Records, for every emit with a named predicate and every lexicon value a
    /// `$slot.attr` predicate may read, whether `symmetric` says the predicate is
    /// symmetric: the engine then does not look it up per relation.
    pub(crate) fn with_symmetric(mut self, symmetric: &dyn Fn(&str) -> bool) -> Program {
        for e in self.patterns.iter_mut().flat_map(|p| &mut p.emit) {
            if let Predicate::Named(name) = &e.predicate {
                e.symmetric = Some(symmetric(name));
            }
        }
        for v in self.lexicon.values.values_mut() {
            v.symmetric = Some(symmetric(&v.text));
        }
        self
    }

    /// The lexicon table for `gazetteer`: the one built at compile time when it is the same
    /// gazetteer, else a new one.
    pub(crate) fn lexicon_for(&self, gazetteer: &Gazetteer) -> std::borrow::Cow<'_, LexTable> {
        if self.lexicon.is_for(gazetteer) {
            std::borrow::Cow::Borrowed(&self.lexicon)
        } else {
            let mut table = LexTable::new(
                gazetteer,
                &self.categories,
                &self.attr_tests,
                &self.value_keys,
            );
            table.file_start_keys(&self.starts);
            std::borrow::Cow::Owned(table)
        }
    }

    fn elems(&mut self, elems: &[Element], slots: &mut Vec<String>) -> Vec<Elem> {
        elems.iter().map(|e| self.elem(e, slots)).collect()
    }

    fn elem(&mut self, elem: &Element, slots: &mut Vec<String>) -> Elem {
        let mut slot = |name: &Option<String>| {
            name.as_ref().map(|n| {
                let i = match slots.iter().position(|s| s == n) {
                    Some(i) => i,
                    None => {
                        slots.push(n.clone());
                        slots.len() - 1
                    }
                };
                Slot::try_from(i).expect("fewer than 256 slots in a rule")
            })
        };
        match elem {
            Element::Entity {
                bind,
                types,
                subtypes,
                group,
                via,
            } => {
                let bind = slot(bind);
                Elem::Entity(EntityTest {
                    bind,
                    types: types.iter().fold(0, |m, &t| m | type_bit(t)),
                    subtypes: (!subtypes.is_empty()).then(|| {
                        let mut set = IdSet::default();
                        for s in subtypes {
                            set.insert(self.subtypes.intern(s));
                        }
                        set
                    }),
                    group: *group,
                    vias: (!via.is_empty()).then(|| {
                        let mut set = IdSet::default();
                        for v in via {
                            let id = match self.vias.iter().position(|x| x == v) {
                                Some(i) => i,
                                None => {
                                    self.vias.push(v.clone());
                                    self.vias.len() - 1
                                }
                            };
                            set.insert(id as u32);
                        }
                        set
                    }),
                })
            }
            Element::Lex {
                category,
                bind,
                attr,
            } => {
                let bind = slot(bind);
                let attr = attr.as_ref().map(|(key, values)| {
                    let test = (key.clone(), values.clone());
                    let i = match self.attr_tests.iter().position(|t| *t == test) {
                        Some(i) => i,
                        None => {
                            self.attr_tests.push(test);
                            self.attr_tests.len() - 1
                        }
                    };
                    i as u32
                });
                Elem::Lex {
                    test: LexTest {
                        category: self.categories.intern(category),
                        attr,
                    },
                    bind,
                }
            }
            Element::Word(words) => {
                let mut set = IdSet::default();
                for w in words {
                    set.insert(self.words.intern(w));
                }
                Elem::Word(set)
            }
            Element::Number { min, max } => Elem::Number(NumberTest {
                min: min.unwrap_or(0),
                max: max.unwrap_or(u64::MAX),
            }),
            Element::Cap => Elem::Cap,
            Element::Lower => Elem::Lower,
            Element::Opt(v) => Elem::Opt(Branch::new(self.elems(v, slots))),
            Element::Skip { max, only } => Elem::Skip {
                max: *max,
                only: self.elems(only, slots),
            },
            Element::Not(inner) => Elem::Not(Box::new(self.elem(inner, slots))),
            Element::NotAfter(inner) => Elem::NotAfter(Box::new(self.elem(inner, slots))),
            Element::Either(alts) => Elem::Either(
                alts.iter()
                    .map(|a| Branch::new(self.elems(a, slots)))
                    .collect(),
            ),
        }
    }

    fn needs(&self, pattern: &[Elem]) -> Needs {
        needs_of(pattern)
    }
}

/// What every match of `pattern` consumes (see [`Needs`]).
fn needs_of(pattern: &[Elem]) -> Needs {
    let mut needs = Needs {
        entities: min_entities(pattern),
        ..Needs::default()
    };
    for e in pattern {
        match e {
            Elem::Lex { test, .. } => needs.categories.push(test.category),
            Elem::Word(words) => needs.words.push(words.ids().collect()),
            Elem::Number(test) => needs.numbers.push(*test),
            Elem::Either(alts) => needs
                .either
                .push(alts.iter().map(|a| needs_of(&a.elems)).collect()),
            _ => {}
        }
    }
    needs
}

/// The bit of an entity type in [`EntityTest::types`].
pub(crate) fn type_bit(t: EntityType) -> u32 {
    1 << (t as u32)
}

/// The fewest entity units a match of `pattern` consumes.
fn min_entities(pattern: &[Elem]) -> usize {
    pattern
        .iter()
        .map(|e| match e {
            Elem::Entity(_) => 1,
            Elem::Either(alts) => alts
                .iter()
                .map(|a| min_entities(&a.elems))
                .min()
                .unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// Collects into `out` the atoms one of which the first unit a match of `seq` consumes
/// must fit. Returns false when that unit may be any unit (a `Skip` with no `only`);
/// `out` is then meaningless. Zero-width elements (`Not`, `NotAfter`) and elements that can
/// match nothing (`Opt`, `Skip`, a nullable `Either` branch) let the next ones start too.
fn first_units(seq: &[Elem], out: &mut Vec<Elem>) -> bool {
    first_of(seq, out).is_some()
}

/// The atoms one of which the second unit a match of `seq` consumes must fit, when every
/// match consumes its first unit by one atom and then a second unit: `seq` starts with an
/// atom (after zero-width `Not` and `NotAfter`) and what follows cannot match nothing, or
/// with an `Either` each of whose alternatives, followed by the rest of `seq`, is so. The
/// second unit is then the one right after the start, and a start whose next unit fits
/// none of the atoms cannot give a match.
fn second_of(seq: &[Elem]) -> Option<Vec<Elem>> {
    let (head, rest) = seq.split_first()?;
    match head {
        _ if head.is_atom() => {
            let mut atoms = Vec::new();
            (first_of(rest, &mut atoms) == Some(false)).then_some(atoms)
        }
        Elem::Not(_) | Elem::NotAfter(_) => second_of(rest),
        Elem::Either(alts) => {
            let mut atoms = Vec::new();
            for alt in alts {
                let then_rest: Vec<Elem> = alt.elems.iter().chain(rest).cloned().collect();
                atoms.extend(second_of(&then_rest)?);
            }
            Some(atoms)
        }
        _ => None,
    }
}

/// As [`first_units`]; `Some(nullable)` says whether `seq` can match no unit at all.
fn first_of(seq: &[Elem], out: &mut Vec<Elem>) -> Option<bool> {
    for e in seq {
        match e {
            _ if e.is_atom() => {
                out.push(e.clone());
                return Some(false);
            }
            Elem::Opt(inner) => {
                first_of(&inner.elems, out)?;
            }
            Elem::Either(alts) => {
                let mut nullable = false;
                for alt in alts {
                    nullable |= first_of(&alt.elems, out)?;
                }
                if !nullable {
                    return Some(false);
                }
            }
            Elem::Skip { max, only } => {
                if *max > 0 {
                    if only.is_empty() {
                        return None;
                    }
                    for o in only {
                        first_of(std::slice::from_ref(o), out)?;
                    }
                }
            }
            Elem::Not(_) | Elem::NotAfter(_) => {}
            _ => unreachable!("atoms are handled above"),
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_set() {
        let mut a = IdSet::with_universe(10);
        assert!(!a.contains(3));
        assert!(!a.contains(NONE));
        a.insert(3);
        a.insert(130);
        assert!(a.contains(3) && a.contains(130) && !a.contains(4));
        assert_eq!(a.ids().collect::<Vec<_>>(), [3, 130]);
        let mut b = IdSet::default();
        b.insert(3);
        b.insert_all(&a.bits);
        assert_eq!(b.ids().collect::<Vec<_>>(), [3, 130]);
        a.clear();
        assert!(!a.contains(3) && !a.contains(130));
        assert_eq!(a.ids().count(), 0);
    }

    #[test]
    fn bit_rows() {
        let mut rows = BitRows::new(3, 70);
        assert_eq!(rows.stride(), 2);
        rows.insert(0, 69);
        rows.insert(2, 1);
        rows.insert(2, 64);
        assert_eq!(bit_ids(rows.row(0)).collect::<Vec<_>>(), [69]);
        assert_eq!(bit_ids(rows.row(1)).count(), 0);
        assert_eq!(bit_ids(rows.row(2)).collect::<Vec<_>>(), [1, 64]);
        assert!(rows.row(3).is_empty());
        rows.reset(2, 10);
        assert_eq!(rows.stride(), 1);
        assert_eq!(bit_ids(rows.row(0)).count(), 0);
    }

    #[test]
    fn interner() {
        let mut i = Interner::default();
        assert_eq!(i.intern("of"), 0);
        assert_eq!(i.intern("the"), 1);
        assert_eq!(i.intern("of"), 0);
        assert_eq!(i.get("the"), 1);
        assert_eq!(i.get("a"), NONE);
        assert_eq!(i.len(), 2);
        // Lengths and first bytes no string has are rejected without hashing.
        assert!(i.may_hold(3, Some(b't')) && !i.may_hold(4, Some(b't')));
        assert!(!i.may_hold(2, Some(b'x')));
        // A length and a first byte that only different strings have.
        assert!(!i.may_hold(2, Some(b't')) && !i.may_hold(3, Some(b'o')));
    }

    /// Strings of every length up to 16 bytes (read as overlapping words) and longer ones
    /// (in the hash map) are found, and strings differing in one byte are told apart.
    #[test]
    fn interner_tells_strings_apart() {
        let mut i = Interner::default();
        let words: Vec<String> = (1..=24)
            .flat_map(|n| {
                let base: String = "abcdefghijklmnopqrstuvwx"[..n].to_string();
                let mut changed = base.clone().into_bytes();
                changed[n / 2] = b'Z';
                [base, String::from_utf8(changed).unwrap()]
            })
            .collect();
        for w in &words {
            i.intern(w);
        }
        for (id, w) in words.iter().enumerate() {
            assert_eq!(i.get(w), id as u32, "{w}");
            let mut other = w.clone().into_bytes();
            *other.last_mut().unwrap() = b'?';
            assert_eq!(i.get(std::str::from_utf8(&other).unwrap()), NONE, "{w}");
        }
        assert_eq!(i.get("abc\0"), NONE);
        assert_eq!(i.get(""), NONE);
        i.intern("");
        assert_eq!(i.get(""), words.len() as u32);
    }

    fn parse(pattern: &str) -> Vec<Element> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(pattern)
            .unwrap()
    }

    fn compiled(pattern: &str) -> Vec<Elem> {
        let elems = parse(pattern);
        let mut p = Program::default();
        p.elems(&elems, &mut Vec::new())
    }

    fn first(pattern: &str) -> Option<usize> {
        let elems = compiled(pattern);
        let mut out = Vec::new();
        first_units(&elems, &mut out).then_some(out.len())
    }

    #[test]
    fn first_units_of_patterns() {
        assert_eq!(first("[Entity(), Word([\"of\"])]"), Some(1));
        // Zero-width and optional elements let the next one start a match too.
        assert_eq!(
            first("[NotAfter(Word([\",\"])), Opt([Word([\"the\"])]), Entity()]"),
            Some(2)
        );
        assert_eq!(
            first("[Either([[Entity()], [Cap, Entity()]]), Lower]"),
            Some(2)
        );
        // A nullable branch of `Either` lets what follows start.
        assert_eq!(
            first("[Either([[Opt([Cap])], [Entity()]]), Lower]"),
            Some(3)
        );
        assert_eq!(first("[Skip(max: 2, only: [Cap]), Entity()]"), Some(2));
        // A free skip can start anywhere.
        assert_eq!(first("[Skip(max: 2), Entity()]"), None);
        assert_eq!(first("[Skip(max: 0), Entity()]"), Some(1));
    }

    #[test]
    fn branch_lookahead() {
        let either = |text: &str| match compiled(text).remove(0) {
            Elem::Either(alts) => alts,
            _ => unreachable!(),
        };
        let looks = |b: &Branch| {
            (
                b.first.as_ref().map(Vec::len),
                b.second.as_ref().map(Vec::len),
            )
        };
        let alts = either(
            "[Either([[Entity(), Opt([Word([\",\"])]), Word([\"of\"])], [Opt([Cap]), Entity()], [Entity(), Opt([Cap])], [Skip(max: 1), Entity()]])]",
        );
        assert_eq!(looks(&alts[0]), (Some(1), Some(2)));
        assert_eq!(looks(&alts[1]), (Some(2), None));
        // Nothing need follow the entity.
        assert_eq!(looks(&alts[2]), (Some(1), None));
        // A free skip may start anywhere.
        assert_eq!(looks(&alts[3]), (None, None));
    }

    #[test]
    fn second_units_of_patterns() {
        let second = |text: &str| second_of(&compiled(text)).map(|atoms| atoms.len());
        assert_eq!(second("[Entity(), Word([\"of\"])]"), Some(1));
        assert_eq!(second("[Entity(), Opt([Cap]), Word([\"of\"])]"), Some(2));
        // Nothing need follow the first unit.
        assert_eq!(second("[Entity(), Opt([Cap])]"), None);
        // Zero-width elements before the first atom consume nothing.
        assert_eq!(
            second("[NotAfter(Cap), Not(Lower), Entity(), Word([\"of\"])]"),
            Some(1)
        );
        // Each alternative, followed by the rest, gives its atoms.
        assert_eq!(
            second("[Either([[Entity(), Word([\",\"])], [Cap]]), Opt([Lower]), Entity()]"),
            Some(3)
        );
        assert_eq!(second("[Either([[Entity(), Word([\",\"])], [Cap]])]"), None);
        assert_eq!(second("[Opt([Cap]), Entity(), Word([\"of\"])]"), None);
    }

    #[test]
    fn needs_go_into_either() {
        let mut p = Program::default();
        let elems = p.elems(
            &parse(
                "[Entity(), Either([[Lex(category: \"a\"), Word([\"of\"])], [Opt([Lex(category: \"b\")]), Entity()]])]",
            ),
            &mut Vec::new(),
        );
        let n = p.needs(&elems);
        assert_eq!(n.entities, 1);
        assert!(n.categories.is_empty() && n.words.is_empty());
        let alts = &n.either[0];
        assert_eq!(alts[0].categories, [p.categories.get("a")]);
        assert_eq!(alts[0].words.len(), 1);
        // What an `Opt` holds is not needed.
        assert!(alts[1].categories.is_empty());
        assert_eq!(alts[1].entities, 1);
    }

    /// A pattern compiled from its RON text, with nothing but its elements.
    fn pattern(p: &mut Program, text: &str) -> Pattern {
        Pattern {
            elems: p.elems(&parse(text), &mut Vec::new()),
            second: None,
            needs: Needs::default(),
            guards: Vec::new(),
            emit: Vec::new(),
        }
    }

    #[test]
    fn start_index() {
        let mut p = Program::default();
        let mut patterns = [
            pattern(&mut p, "[Entity(), Word([\"of\"])]"),
            pattern(
                &mut p,
                "[Either([[Opt([Word([\"the\", \"a\"])]), Cap], [Entity(bind: \"x\")]]), Entity()]",
            ),
            pattern(&mut p, "[Skip(max: 1), Entity()]"),
            pattern(&mut p, "[Either([[Lex(category: \"title\")], [Lower]])]"),
            pattern(&mut p, "[Entity(types: [Person]), Word([\"of\"])]"),
            pattern(&mut p, "[Entity(group: true), Word([\"of\"])]"),
        ];
        let s = Starts::new(&mut patterns, p.words.len());
        // Keys in order of first use. Rules 0 and 1 share one entity test (key 0), bound to
        // different slots.
        assert_eq!(
            s.of_rule,
            [
                vec![0],
                vec![1, 2, 0],
                vec![3],
                vec![4, 5],
                vec![6],
                vec![7]
            ]
        );
        assert_eq!(s.any, Some(3));
        assert_eq!(s.lex_of_category(p.categories.get("title")), [4]);
        let word_keys = |w: &str| s.keys_of_word(p.words.get(w));
        assert_eq!(word_keys("the"), [1]);
        assert_eq!(word_keys("a"), [1]);
        assert!(word_keys("of").is_empty());
        // Per key, the rules that have it.
        assert_eq!(bit_ids(s.key_rules.row(0)).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(bit_ids(s.key_rules.row(2)).collect::<Vec<_>>(), [1]);
        assert_eq!((s.cap, s.lower), (Some(2), Some(5)));
        // A one-entity unit tries the tests of its type; a group only the group tests.
        let person = type_bit(EntityType::Person).trailing_zeros() as usize;
        let place = type_bit(EntityType::Location).trailing_zeros() as usize;
        assert_eq!(s.entity_keys_of(1 << person, NONE, NONE), [0, 6]);
        assert_eq!(s.entity_keys_of(1 << place, NONE, NONE), [0]);
        assert_eq!(s.entity_single, [0, 6]);
        assert_eq!(s.entity_group, [7]);
    }

    #[test]
    fn entity_keys_by_type_and_subtype() {
        let mut p = Program::default();
        let mut patterns = [
            pattern(
                &mut p,
                "[Entity(types: [Organization], subtypes: [\"party\"]), Word([\"of\"])]",
            ),
            pattern(&mut p, "[Entity(types: [Organization]), Word([\"of\"])]"),
            pattern(&mut p, "[Entity(subtypes: [\"city\"]), Word([\"of\"])]"),
            pattern(&mut p, "[Entity(), Word([\"of\"])]"),
            pattern(&mut p, "[Entity(group: true), Word([\"of\"])]"),
        ];
        let s = Starts::new(&mut patterns, p.words.len());
        assert_eq!(s.of_rule, [vec![0], vec![1], vec![2], vec![3], vec![4]]);
        let org = type_bit(EntityType::Organization);
        let place = type_bit(EntityType::Location);
        let (party, city) = (p.subtypes.get("party"), p.subtypes.get("city"));
        assert_eq!(s.entity_keys_of(org, party, NONE), [0, 1, 3]);
        assert_eq!(s.entity_keys_of(org, city, NONE), [1, 2, 3]);
        assert_eq!(s.entity_keys_of(place, city, NONE), [2, 3]);
        // A subtype no rule names passes only the tests without subtypes.
        assert_eq!(s.entity_keys_of(org, NONE, NONE), [1, 3]);
        assert_eq!(s.entity_keys_of(place, NONE, NONE), [3]);
        // Group tests are never among them.
        assert!(!s.entity_keys_of(place, party, NONE).contains(&4));
    }

    /// A branch's lookahead is read from the start keys' rows only when all its atoms are
    /// keys already (no key is added for it).
    #[test]
    fn branch_lookaheads_as_known_keys() {
        let mut p = Program::default();
        let mut patterns = [
            pattern(&mut p, "[Word([\"of\"]), Entity()]"),
            pattern(
                &mut p,
                "[Entity(), Word([\"said\"]), Opt([Word([\"of\"]), Entity()]), Opt([Word([\"in\"])]), Cap]",
            ),
        ];
        let s = Starts::new(&mut patterns, p.words.len());
        let branches: Vec<&Branch> = patterns[1]
            .elems
            .iter()
            .filter_map(|e| match e {
                Elem::Opt(b) => Some(b),
                _ => None,
            })
            .collect();
        // `of` starts rule 0 and an entity rule 1.
        assert_eq!(branches[0].first_keys, Some(vec![0]));
        assert_eq!(branches[0].second_keys, Some(vec![1]));
        // No rule starts with `in`: tested atom by atom.
        assert_eq!(branches[1].first_keys, None);
        assert_eq!(s.keys.len(), 2);
    }

    /// One-entity keys are filed by way of naming too: a way no test names passes only
    /// the tests without `via`.
    #[test]
    fn entity_keys_by_way_of_naming() {
        let mut p = Program::default();
        let mut patterns = [
            pattern(
                &mut p,
                "[Entity(types: [Person], via: [\"surname\"]), Word([\"of\"])]",
            ),
            pattern(
                &mut p,
                "[Entity(via: [\"name\", \"surname\"]), Word([\"of\"])]",
            ),
            pattern(&mut p, "[Entity(types: [Person]), Word([\"of\"])]"),
            pattern(&mut p, "[Entity(via: [\"pronoun\"]), Word([\"of\"])]"),
        ];
        let s = Starts::new(&mut patterns, p.words.len());
        let person = type_bit(EntityType::Person);
        let org = type_bit(EntityType::Organization);
        let via = |name: &str| p.vias.iter().position(|v| v == name).unwrap() as u32;
        assert_eq!(s.entity_keys_of(person, NONE, via("surname")), [0, 1, 2]);
        assert_eq!(s.entity_keys_of(person, NONE, via("name")), [1, 2]);
        assert_eq!(s.entity_keys_of(person, NONE, via("pronoun")), [2, 3]);
        assert_eq!(s.entity_keys_of(org, NONE, via("surname")), [1]);
        assert_eq!(s.entity_keys_of(person, NONE, NONE), [2]);
        assert!(s.entity_keys_of(org, NONE, NONE).is_empty());
    }

    #[test]
    fn needs_expand_to_terms() {
        let mut p = Program::default();
        let elems = p.elems(
            &parse(
                "[Entity(), Either([[Lex(category: \"a\"), Word([\"of\"])], [Opt([Lex(category: \"b\")]), Entity()]]), Number(min: 5)]",
            ),
            &mut Vec::new(),
        );
        let needs = needs_of(&elems);
        let mut patterns = [Pattern {
            elems,
            second: None,
            needs,
            guards: Vec::new(),
            emit: Vec::new(),
        }];
        let f = Features::new(&mut patterns, p.categories.len(), p.words.len());
        // Categories a and b, the set ["of"] and the number test.
        assert_eq!(f.len, 4);
        let of_word = p.words.get("of");
        let word_feature = (0..4).find(|&i| f.of_word(of_word)[0] >> i & 1 == 1);
        assert_eq!(word_feature, Some(2));
        assert_eq!(f.numbers.len(), 1);
        let number = f.numbers[0].1;
        // One term per alternative; both ask for the number.
        let terms = &patterns[0].needs.terms;
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].entities, 1);
        let ids = |t: &Term| t.required.ids().collect::<Vec<_>>();
        assert_eq!(ids(&terms[0]), [p.categories.get("a"), 2, number]);
        assert_eq!(ids(&terms[1]), [number]);
        // As bit sets over the terms, the same: each term's entities and features.
        let table = NeedTable::new(&patterns, f.len);
        let met = |entities: usize, ids: &[u32]| {
            let mut set = IdSet::with_universe(f.len);
            ids.iter().for_each(|&i| set.insert(i));
            let mut met = Vec::new();
            table.terms_met(entities, &set, &mut met);
            (table.met(0, &met), met)
        };
        let a = p.categories.get("a");
        assert_eq!(
            met(1, &[a, 2, number]).1,
            [0b01 | (u64::from(terms[1].entities <= 1) << 1)]
        );
        assert!(!met(0, &[a, 2, number]).0);
        assert!(!met(5, &[a, 2]).0);
        let second = terms[1].entities;
        assert_eq!(met(second, &[number]), (true, vec![0b10]));
        assert!(!met(second - 1, &[number]).0);
        // More entity units than any term needs.
        assert_eq!(met(9, &[a, 2, number]), (true, vec![0b11]));
        assert_eq!(table.fewest_entities(), 1.min(second));
    }

    /// Rule sets of 1 to 5 patterns of 32 terms each (rows of one, two and three words):
    /// the terms met, found four or eight features at a time, are those whose entities and
    /// features the sentence has.
    #[test]
    fn terms_met_as_each_term_alone() {
        for (rules, group_bits) in (1..=5).flat_map(|r| [(r, 4), (r, 8)]) {
            let mut p = Program::default();
            let mut patterns: Vec<Pattern> = (0..rules)
                .map(|r| {
                    let alts: Vec<String> = (0..32)
                        .map(|a| format!("[Word([\"w{r}_{a}\"]), Lex(category: \"c{}\")]", a % 5))
                        .collect();
                    let text = format!("[Entity(), Either([{}]), Entity()]", alts.join(", "));
                    let elems = p.elems(&parse(&text), &mut Vec::new());
                    Pattern {
                        needs: needs_of(&elems),
                        elems,
                        second: None,
                        guards: Vec::new(),
                        emit: Vec::new(),
                    }
                })
                .collect();
            let f = Features::new(&mut patterns, p.categories.len(), p.words.len());
            let table = NeedTable::with_group_bits(&patterns, f.len, group_bits);
            for seed in 0..40u64 {
                let mut features = IdSet::with_universe(f.len);
                (0..f.len as u64)
                    .filter(|i| (i * 7 + seed * 13) % (seed % 5 + 2) == 0)
                    .for_each(|i| features.insert(i as u32));
                let entities = (seed % 4) as usize;
                let mut met = Vec::new();
                table.terms_met(entities, &features, &mut met);
                let terms = patterns.iter().flat_map(|p| &p.needs.terms);
                for (t, term) in terms.enumerate() {
                    let expect = entities >= term.entities
                        && term.required.ids().all(|i| features.contains(i));
                    assert_eq!(
                        met[t / 64] >> (t % 64) & 1 == 1,
                        expect,
                        "{rules} {group_bits} {seed} {t}"
                    );
                }
                // The rules met at once are those with a term met.
                let mut rules_met = vec![0u64; 1];
                table.rules_met(&met, &mut rules_met);
                for r in 0..rules {
                    assert_eq!(
                        rules_met[0] >> r & 1 == 1,
                        table.met(r, &met),
                        "{rules} {seed} {r}"
                    );
                }
            }
        }
    }

    /// A pattern's second-unit lookahead becomes keys numbered after every first key, shared
    /// with equal first keys' tests but starting no rule.
    #[test]
    fn lookaheads_are_keys_after_the_first_keys() {
        let mut p = Program::default();
        let mut patterns = [
            "[Entity(), Word([\"of\"]), Entity()]",
            "[Word([\"of\"]), Entity(types: [Person])]",
            "[Entity(), Opt([Cap])]",
        ]
        .map(|text| {
            let elems = p.elems(&parse(text), &mut Vec::new());
            Pattern {
                second: second_of(&elems),
                elems,
                needs: Needs::default(),
                guards: Vec::new(),
                emit: Vec::new(),
            }
        });
        let s = Starts::new(&mut patterns, p.words.len());
        assert_eq!(s.of_rule, [vec![0], vec![1], vec![0]]);
        assert_eq!(s.first_keys, 2);
        // Rule 0's lookahead is rule 1's first key; the person after `of` a new key, 2.
        assert_eq!(s.second_of_rule, [Some(vec![1]), Some(vec![2]), None]);
        assert_eq!(s.keys.len(), 3);
        assert!(bit_ids(s.key_rules.row(2)).next().is_none());
    }

    #[test]
    fn numbers_compile_with_default_bounds() {
        let elems = compiled("[Number(), Number(min: 1, max: 31), Opt([Number(max: 9)])]");
        let test = |e: &Elem| match e {
            Elem::Number(t) => (t.min, t.max),
            _ => unreachable!(),
        };
        assert_eq!(test(&elems[0]), (0, u64::MAX));
        assert_eq!(test(&elems[1]), (1, 31));
        let day = NumberTest { min: 1, max: 31 };
        assert!(day.accepts(Some(31)) && !day.accepts(Some(0)) && !day.accepts(None));
        // Only the numbers every match consumes are needed.
        let needs = needs_of(&elems);
        assert_eq!(needs.numbers.len(), 2);
        // A number can start a match; rules with the same test share its entry.
        let mut p = Program::default();
        let mut patterns = [
            "[Number(min: 1900), Entity()]",
            "[Opt([Cap]), Number(min: 1900), Entity()]",
            "[Skip(max: 2, only: [Number(max: 31)]), Entity()]",
        ]
        .map(|text| Pattern {
            elems: p.elems(&parse(text), &mut Vec::new()),
            second: None,
            needs: Needs::default(),
            guards: Vec::new(),
            emit: Vec::new(),
        });
        let s = Starts::new(&mut patterns, p.words.len());
        assert_eq!(s.number, [0, 2]);
        assert_eq!(s.of_rule, [vec![0], vec![1, 0], vec![2, 3]]);
    }

    #[test]
    fn slots_are_shared_by_name() {
        let mut slots = Vec::new();
        let elems = parse(
            "[Entity(bind: \"a\"), Lex(category: \"t\", bind: \"b\"), Opt([Entity(bind: \"a\")])]",
        );
        Program::default().elems(&elems, &mut slots);
        assert_eq!(slots, ["a", "b"]);
    }
}
