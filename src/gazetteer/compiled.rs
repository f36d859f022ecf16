//! The compiled gazetteer: line parsing, surface-form generation and the binary form of a
//! gazetteer and of its token-map matcher.
//!
//! This file uses nothing but `std`, because `build.rs` includes it too (`#[path]`): the
//! bundled gazetteer is parsed and compiled at build time into the same binary form that
//! the user-gazetteer cache stores, so one reader serves both.
//!
//! Layout of a compiled file (all integers little-endian):
//!
//! ```text
//! header   MAGIC (8 bytes), FORMAT (u32), crate version (u32 length + bytes),
//!          key (u64), base entries (u64), payload length (u64), payload hash (u64)
//! payload  entries section, then matcher section
//! entries  sources (u32 count, strings), entries (u32 count; each: source u32, line u32,
//!          kind u8, id, subtype, name, attributes (strings), aliases (u32 count; each:
//!          flags u8, string))
//! matcher  patterns n (u32), candidates (u32), text bytes (u32), table slots (u32),
//!          longest form (u32), lead filter bits (u32: log2 of its size, 0 for none),
//!          then ends (n u32), candidate starts (n + 1 u32), candidates (u32: entry << 2 |
//!          via), locative flags (n u8), text, table (slots x 8 bytes: check u32 = low
//!          bits of the key hash, value u32 = prefix bit 31 | pattern), lead filter
//!          (u64 words)
//! ```
//!
//! A string is a u32 byte length and the UTF-8 bytes. Every read is bounds-checked and
//! every cross-reference validated once at open, so a damaged file is rejected, never
//! trusted.

// build.rs uses only part of this file.
#![allow(dead_code)]

/// First bytes of a compiled gazetteer.
pub const MAGIC: &[u8; 8] = b"KGBGAZC\0";
/// Version of the layout above; bump on any change.
pub const FORMAT: u32 = 4;

/// Entry kinds as stored: the four entity types, then the lexicon.
pub const KIND_NAMES: [&str; 5] = ["Person", "Organization", "Location", "Misc", "Lexicon"];
/// The kind code of lexicon entries.
pub const KIND_LEXICON: u8 = 4;

/// How a form names its entry: the name, an alias, a demonym (`@` alias).
pub const VIA_NAME: u8 = 0;
/// See [`VIA_NAME`].
pub const VIA_ALIAS: u8 = 1;
/// See [`VIA_NAME`].
pub const VIA_DEMONYM: u8 = 2;

/// The fields of one gazetteer line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    /// Stable id.
    pub id: String,
    /// Index into [`KIND_NAMES`].
    pub kind: u8,
    /// Finer kind.
    pub subtype: String,
    /// Canonical name.
    pub name: String,
    /// Aliases: (text, exact case, demonym).
    pub aliases: Vec<(String, bool, bool)>,
    /// Attributes in canonical form: `key=value` pairs joined by `;`, sorted by key, one
    /// value per key (the last one written).
    pub attributes: String,
}

/// Parses one non-comment line; an error is (1-based column, message).
pub fn parse_fields(line: &str) -> Result<Fields, (usize, String)> {
    let fields: Vec<&str> = line.split('\t').collect();
    // Column (1-based, in characters) where field `i` starts.
    let column = |i: usize| -> usize {
        fields[..i.min(fields.len())]
            .iter()
            .map(|f| f.chars().count() + 1)
            .sum::<usize>()
            + 1
    };
    let err = |i: usize, msg: String| (column(i), msg);
    if fields.len() < 4 {
        return Err(err(
            fields.len(),
            format!(
                "expected at least 4 tab-separated fields (id, type, subtype, name), found {}",
                fields.len()
            ),
        ));
    }
    if fields.len() > 6 {
        return Err(err(
            6,
            format!("expected at most 6 fields, found {}", fields.len()),
        ));
    }
    let id = fields[0];
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            0,
            format!("bad id `{id}`: use lowercase ASCII letters, digits and `-`"),
        ));
    }
    let Some(kind) = KIND_NAMES.iter().position(|&k| k == fields[1]) else {
        return Err(err(
            1,
            format!(
                "unknown type `{}`: expected Person, Organization, Location, Misc or Lexicon",
                fields[1]
            ),
        ));
    };
    let subtype = fields[2].trim();
    if subtype.is_empty()
        || !subtype
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(err(
            2,
            format!("bad subtype `{subtype}`: use one lowercase word (`_` allowed)"),
        ));
    }
    let name = fields[3].trim();
    if name.is_empty() {
        return Err(err(3, "empty name".to_string()));
    }
    if name.starts_with(['=', '@']) {
        return Err(err(
            3,
            "markers `=` and `@` belong on aliases, not on the name".into(),
        ));
    }
    let mut aliases = Vec::new();
    if let Some(field) = fields.get(4) {
        for raw in field.split('|') {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let (exact_case, demonym, text) = match raw.as_bytes()[0] {
                b'=' => (true, false, &raw[1..]),
                b'@' => (false, true, &raw[1..]),
                _ => (false, false, raw),
            };
            if text.trim().is_empty() {
                return Err(err(4, format!("alias `{raw}` is only a marker")));
            }
            aliases.push((text.trim().to_string(), exact_case, demonym));
        }
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(field) = fields.get(5) {
        for pair in field.split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let Some((k, v)) = pair.split_once('=') else {
                return Err(err(5, format!("attribute `{pair}` is not key=value")));
            };
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || v.is_empty() {
                return Err(err(
                    5,
                    format!("attribute `{pair}` has an empty key or value"),
                ));
            }
            pairs.push((k, v));
        }
    }
    // Sorted by key, the last value of a repeated key kept (stable sort, then keep the
    // last of each run).
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut attributes = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if pairs.get(i + 1).is_some_and(|n| n.0 == *k) {
            continue;
        }
        if !attributes.is_empty() {
            attributes.push(';');
        }
        attributes.push_str(k);
        attributes.push('=');
        attributes.push_str(v);
    }
    Ok(Fields {
        id: id.to_string(),
        kind: kind as u8,
        subtype: subtype.to_string(),
        name: name.to_string(),
        aliases,
        attributes,
    })
}

/// Iterates the (key, value) pairs of canonical attributes.
pub fn attr_pairs(attrs: &str) -> impl Iterator<Item = (&str, &str)> {
    AttrPairs { attrs, at: 0 }
}

/// The pairs of [`attr_pairs`], read in one pass over the bytes: a `;` ends a pair (empty
/// pairs are skipped) and a pair's first `=` ends its key. (`str::split` searched each
/// string twice, and resolution and the rules read attributes of every entity they meet.)
struct AttrPairs<'a> {
    attrs: &'a str,
    /// Where the next pair, or the `;`s before it, starts.
    at: usize,
}

impl<'a> Iterator for AttrPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.attrs.as_bytes();
        let mut start = self.at;
        while start < bytes.len() && bytes[start] == b';' {
            start += 1;
        }
        if start == bytes.len() {
            self.at = start;
            return None;
        }
        let key_end = find_either(bytes, start, b';', b'=');
        if bytes.get(key_end) != Some(&b'=') {
            self.at = key_end;
            return Some((&self.attrs[start..key_end], ""));
        }
        let end = find_either(bytes, key_end + 1, b';', b';');
        self.at = end;
        // `;` and `=` are ASCII: the slices fall on character boundaries.
        Some((&self.attrs[start..key_end], &self.attrs[key_end + 1..end]))
    }
}

/// The first index from `at` on whose byte is `a` or `b`, else `bytes.len()`. Eight bytes
/// at a time: attribute values (role lists, countries) run to tens of bytes.
fn find_either(bytes: &[u8], mut at: usize, a: u8, b: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let (xa, xb) = (word ^ (ONES * u64::from(a)), word ^ (ONES * u64::from(b)));
        // The high bit of each byte that is zero in `xa` or `xb`: exact up to the first
        // such byte (a borrow can only mark bytes above it), the one wanted.
        let zeros = (xa.wrapping_sub(ONES) & !xa) | (xb.wrapping_sub(ONES) & !xb);
        let found = zeros & HIGHS;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && bytes[at] != a && bytes[at] != b {
        at += 1;
    }
    at
}

/// The value of `key` in canonical attributes: that of the first pair [`attr_pairs`]
/// gives for it. One pass over the bytes: each pair is tested by its prefix instead of
/// being split at its `=`, as resolution and the rules read attributes of every entity
/// they meet.
pub fn attr_value<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
    let bytes = attrs.as_bytes();
    let key = key.as_bytes();
    // No pair holds a `;`, and a key ends at its pair's first `=`.
    if key.iter().any(|&b| b == b'=' || b == b';') {
        return None;
    }
    let next_pair = |from: usize| find_either(bytes, from, b';', b';');
    let mut start = 0;
    while start < bytes.len() {
        if key.first().is_none_or(|&k| k == bytes[start]) && bytes[start..].starts_with(key) {
            let after = start + key.len();
            match bytes.get(after) {
                // The whole pair is the key (an empty pair is no pair).
                None | Some(b';') if !key.is_empty() => return Some(""),
                Some(b'=') => return Some(&attrs[after + 1..next_pair(after + 1)]),
                _ => {}
            }
        }
        start = next_pair(start) + 1;
    }
    None
}

/// What the form compiler needs to know of an entry.
pub trait FormEntry {
    /// Canonical name.
    fn name(&self) -> &str;
    /// Number of aliases.
    fn alias_count(&self) -> usize;
    /// Alias `i`: (text, exact case, demonym).
    fn alias(&self, i: usize) -> (&str, bool, bool);
    /// Finer kind.
    fn subtype(&self) -> &str;
    /// Canonical attributes string.
    fn attributes(&self) -> &str;
}

impl FormEntry for Fields {
    fn name(&self) -> &str {
        &self.name
    }
    fn alias_count(&self) -> usize {
        self.aliases.len()
    }
    fn alias(&self, i: usize) -> (&str, bool, bool) {
        let a = &self.aliases[i];
        (&a.0, a.1, a.2)
    }
    fn subtype(&self) -> &str {
        &self.subtype
    }
    fn attributes(&self) -> &str {
        &self.attributes
    }
}

/// The forms an alias matches under the case policy of `docs/gazetteer.md`.
pub fn case_variants(text: &str, exact_case: bool) -> Vec<String> {
    let mut out = vec![text.to_string()];
    if !exact_case {
        let upper = text.to_uppercase();
        if upper != text {
            out.push(upper);
        }
        if text.chars().next().is_some_and(char::is_lowercase) {
            out.push(capitalize(text));
            out.push(
                text.split(' ')
                    .map(capitalize)
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            // Title case as style guides write it: "Secretary of State".
            let small = ["of", "the", "and", "for", "on", "in", "at", "to", "a", "an"];
            let styled: Vec<String> = text
                .split(' ')
                .enumerate()
                .map(|(i, w)| {
                    if i > 0 && small.contains(&w) {
                        w.to_string()
                    } else {
                        capitalize(w)
                    }
                })
                .collect();
            out.push(styled.join(" "));
        }
    }
    // Typographic apostrophes are as common as straight ones in news text.
    let curly: Vec<String> = out
        .iter()
        .filter(|s| s.contains('\''))
        .map(|s| s.replace('\'', "\u{2019}"))
        .collect();
    out.extend(curly);
    if out.len() > 2 {
        out.sort();
        out.dedup();
    }
    out
}

/// Capitalises a word, and each part of a hyphenated word ("Secretary-General").
fn capitalize(word: &str) -> String {
    word.split('-')
        .map(|part| {
            let mut cs = part.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Byte offsets inside `form` where a token of the tokenizer (`text.rs`) may end: a
/// superset of its boundaries (around every character that is not alphanumeric, between
/// letters and digits, and before a capital letter followed by a small one, where a glued
/// byline splits: "IANSUpdated").
pub fn token_cuts(form: &str) -> impl Iterator<Item = usize> + '_ {
    let mut it = form.char_indices().peekable();
    let mut prev: Option<char> = None;
    std::iter::from_fn(move || {
        loop {
            let (i, c) = it.next()?;
            let next = it.peek().map(|&(_, n)| n);
            let cut = match prev {
                Some(p) => {
                    !p.is_alphanumeric()
                        || !c.is_alphanumeric()
                        || p.is_numeric() != c.is_numeric()
                        || (c.is_uppercase() && next.is_some_and(char::is_lowercase))
                }
                None => false,
            };
            prev = Some(c);
            if cut {
                return Some(i);
            }
        }
    })
}

/// A 64-bit hash of bytes (FxHash rounds over 8-byte words, then a murmur3 finaliser).
pub fn hash_bytes(s: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = s.len() as u64;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    let rest = chunks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The table key of a form or prefix: its hash, whose low 32 bits (the check stored in a
/// slot) are never 0 (0 marks an empty slot).
pub fn key_hash(s: &str) -> u64 {
    KeyHasher::new(0).hash_to(s.as_bytes(), s.len())
}

/// [`key_hash`] of a span of text that grows at its end: the scan extends a candidate
/// token by token, and each longer span costs only its new bytes, not a re-hash from the
/// start. FxHash rounds over the 8-byte words from the start, the length folded in last,
/// then one folded multiply.
#[derive(Clone, Copy, Debug)]
pub struct KeyHasher {
    start: usize,
    /// Bytes `start..folded` are folded into `h`, a whole number of words.
    folded: usize,
    h: u64,
}

const KEY_MUL: u64 = 0x517c_c1b7_2722_0a95;
const KEY_FOLD: u64 = 0x9e37_79b9_7f4a_7c15;

impl KeyHasher {
    /// A hasher of spans that start at byte `start`.
    pub fn new(start: usize) -> KeyHasher {
        KeyHasher {
            start,
            folded: start,
            h: 0x2545_f491_4f6c_dd1d,
        }
    }

    /// The key hash of `text[start..end]`; `end` must not shrink from one call to the next.
    #[inline]
    pub fn hash_to(&mut self, text: &[u8], end: usize) -> u64 {
        while end - self.folded >= 8 {
            let w = le64(text, self.folded);
            self.h = (self.h.rotate_left(5) ^ w).wrapping_mul(KEY_MUL);
            self.folded += 8;
        }
        let rest = end - self.folded;
        // The tail word is read whole where the text goes on (no copy) and masked to the
        // span; only near the end of the text are its bytes gathered one by one.
        let tail = match text.get(self.folded..self.folded + 8) {
            Some(w) => {
                u64::from_le_bytes(w.try_into().expect("8 bytes"))
                    & (1u64 << (8 * rest)).wrapping_sub(1)
            }
            None => text[self.folded..end]
                .iter()
                .rev()
                .fold(0, |w, &b| w << 8 | u64::from(b)),
        };
        let x = (self.h.rotate_left(5) ^ tail).wrapping_mul(KEY_MUL) ^ (end - self.start) as u64;
        // One 64 x 64 -> 128-bit multiply, its halves folded together, mixes every bit of
        // the span into both ends of the key (the high bits pick the home slot, the low
        // 32 are the check) in fewer steps than a murmur3 finaliser: it runs at every
        // lookup of the scan.
        let m = u128::from(x) * u128::from(KEY_FOLD);
        let h = m as u64 ^ (m >> 64) as u64;
        if h as u32 == 0 { h | 1 } else { h }
    }
}

/// The lead of a key for the lead filter: its first (up to) four bytes, little-endian and
/// zero-padded. A span that is a key has the lead of that key, so a lead missing from the
/// filter rules the span out without a table lookup.
#[inline]
pub fn lead(text: &[u8], start: usize, end: usize) -> u32 {
    let len = (end - start).min(4);
    match text.get(start..start + 4) {
        Some(w) => {
            u32::from_le_bytes(w.try_into().expect("4 bytes"))
                & (1u64 << (8 * len)).wrapping_sub(1) as u32
        }
        None => text[start..start + len]
            .iter()
            .rev()
            .fold(0, |w, &b| w << 8 | u32::from(b)),
    }
}

/// The bit of the lead filter (of `1 << bits` bits) that stands for `lead`.
#[inline]
fn lead_bit(lead: u32, bits: u32) -> usize {
    (lead.wrapping_mul(LEAD_MUL) >> (32 - bits)) as usize
}

const LEAD_MUL: u32 = 0x9e37_79b1;

/// A bitset over the leads (see [`lead`]) of a table's keys: a token whose lead is not in
/// it starts no key. Empty for a section without a table, where nothing starts a key.
#[derive(Clone, Debug, Default)]
pub struct LeadFilter {
    words: Vec<u64>,
    /// 32 minus log2 of the number of bits.
    shift: u32,
}

impl LeadFilter {
    /// Whether a key may start with a span whose [`lead`] is `lead`.
    #[inline]
    pub fn has(&self, lead: u32) -> bool {
        // Without words (no table) every lookup fails, as `get` does here.
        let b = (lead.wrapping_mul(LEAD_MUL) >> self.shift) as usize;
        self.words
            .get(b / 64)
            .is_some_and(|w| w >> (b % 64) & 1 != 0)
    }
}

/// The longest key that [`ShortKeys`] holds, in bytes: one word.
pub const SHORT_KEY_MAX: usize = 8;

/// The bytes `text[start..end]` (at most eight) as one little-endian word, zero-padded.
#[inline]
pub fn span_word(text: &[u8], start: usize, end: usize) -> u64 {
    let len = (end - start).min(8);
    match word_at(text, start) {
        Some(w) if len == 8 => w,
        Some(w) => w & ((1u64 << (8 * len)) - 1),
        None => text[start..start + len]
            .iter()
            .rev()
            .fold(0, |w, &b| w << 8 | u64::from(b)),
    }
}

/// [`token_cuts`] of an ASCII form, up to byte [`SHORT_KEY_MAX`], by bytes rather than
/// characters: the short keys ask it of every form at start-up.
fn short_ascii_cuts(form: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (1..form.len().min(SHORT_KEY_MAX + 1)).filter(move |&i| {
        let (p, c) = (form[i - 1], form[i]);
        !p.is_ascii_alphanumeric()
            || !c.is_ascii_alphanumeric()
            || p.is_ascii_digit() != c.is_ascii_digit()
            || (c.is_ascii_uppercase() && form.get(i + 1).is_some_and(u8::is_ascii_lowercase))
    })
}

/// The keys of a token map of at most eight bytes ([`SHORT_KEY_MAX`]), each stored whole
/// with the table's answer for it: a first token of up to eight bytes (most lexicon words,
/// "the", "said", and most first words of names) is looked up as one word, without the key
/// hash and without comparing it with a form's text afterwards. Empty for a section without
/// a table.
#[derive(Clone, Debug, Default)]
pub struct ShortKeys {
    /// Per slot: the key's bytes as a word ([`span_word`]), and its length (bits 32 and
    /// up) with the table's value for it (the low 32 bits: its pattern, [`NO_PATTERN`] if it
    /// has none or if the pattern's text is another, a hash collision; and [`PREFIX_BIT`]).
    /// A second half of 0 marks an empty slot (every key has a length).
    slots: Vec<(u64, u64)>,
    /// 64 minus log2 of the slot count: a key's home slot is its word's hash's high bits.
    shift: u32,
}

/// The multiplier of a short key's home slot.
const SHORT_MUL: u64 = 0x9e37_79b9_7f4a_7c15;

impl ShortKeys {
    /// The short keys of a section's token map `table` with the forms `forms`: every form
    /// of at most eight bytes and every prefix of a form at one of its token cuts (the keys
    /// `compile_matcher` puts in the table), each with what [`FormTable::lookup`] and
    /// [`FormTable::is_form`] answer for it, so that a lookup here answers as the table
    /// does.
    pub fn new<'f>(table: &FormTable<'_>, forms: impl Iterator<Item = &'f [u8]>) -> ShortKeys {
        let mut found: Vec<(u64, u64)> = Vec::new();
        let mut add = |key: &[u8]| {
            let len = key.len();
            let Some((pattern, prefix)) = table.lookup(KeyHasher::new(0).hash_to(key, len)) else {
                return;
            };
            let pattern = pattern
                .filter(|&p| table.is_form(p, key, 0, len))
                .map_or(NO_PATTERN, |p| p as u32);
            let value = pattern | if prefix { PREFIX_BIT } else { 0 };
            found.push((
                span_word(key, 0, len),
                (len as u64) << 32 | u64::from(value),
            ));
        };
        for form in forms {
            if (1..=SHORT_KEY_MAX).contains(&form.len()) {
                add(form);
            }
            if form.is_ascii() {
                for cut in short_ascii_cuts(form) {
                    add(&form[..cut]);
                }
                continue;
            }
            // Forms are UTF-8 (copied from `&str`s whole).
            let Ok(f) = std::str::from_utf8(form) else {
                continue;
            };
            // A cut depends on the characters around it only, and a character starting at
            // most at byte 8 ends by byte 12, the next one by byte 16: the cuts up to 8 are
            // those of the form's first 16 bytes (or a few more, to a character's end).
            let mut head = f.len().min(16);
            while !f.is_char_boundary(head) {
                head += 1;
            }
            for cut in token_cuts(&f[..head]).take_while(|&c| c <= SHORT_KEY_MAX) {
                add(&f.as_bytes()[..cut]);
            }
        }
        if found.is_empty() {
            return ShortKeys::default();
        }
        // At most half full, as the table (most lookups are of absent keys). Sized by the
        // keys found, counting repeats (a prefix that many forms share).
        let cap = (found.len() * 2).next_power_of_two().max(8);
        let mut short = ShortKeys {
            slots: vec![(0, 0); cap],
            shift: 64 - cap.trailing_zeros(),
        };
        for key in found {
            let mut s = short.home(key.0);
            // A key found again (a shared prefix) has the same value: kept once.
            while short.slots[s].1 != 0 && short.slots[s] != key {
                s = (s + 1) & (cap - 1);
            }
            short.slots[s] = key;
        }
        short
    }

    /// Whether there are no short keys (a matcher may go without: then the table answers
    /// for short spans too).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The home slot of a key whose word is `word`.
    #[inline]
    fn home(&self, word: u64) -> usize {
        (word.wrapping_mul(SHORT_MUL) >> self.shift) as usize
    }

    /// Looks up the span of `len` bytes (1 to [`SHORT_KEY_MAX`]) whose [`span_word`] is
    /// `word`: as [`FormTable::lookup`], with the pattern already checked against the
    /// span's text.
    #[inline]
    pub fn lookup(&self, word: u64, len: usize) -> Option<(Option<usize>, bool)> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut s = self.home(word);
        loop {
            let &(w, tag) = self.slots.get(s)?;
            if tag == 0 {
                return None;
            }
            if w == word && (tag >> 32) as usize == len {
                let v = tag as u32;
                let p = v & !PREFIX_BIT;
                return Some(((p != NO_PATTERN).then_some(p as usize), v & PREFIX_BIT != 0));
            }
            s = (s + 1) & mask;
        }
    }
}

/// The home slot of `hash` in a table of `1 << bits` slots: the high bits, so that keys in
/// hash order fill the table front to back.
fn home(hash: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (hash >> (64 - bits)) as usize
    }
}

/// Hashes a long byte string (a cache payload) faster than [`hash_bytes`]: four
/// independent lanes, combined.
pub fn hash_payload(s: &[u8]) -> u64 {
    let mut lanes = [
        0x243f_6a88_85a3_08d3u64,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut chunks = s.chunks_exact(32);
    for c in &mut chunks {
        for (l, w) in lanes.iter_mut().zip(c.chunks_exact(8)) {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            *l = (l.rotate_left(29) ^ w).wrapping_mul(K);
        }
    }
    let mut h = hash_bytes(chunks.remainder()) ^ s.len() as u64;
    for l in lanes {
        h = (h.rotate_left(23) ^ l).wrapping_mul(K);
    }
    hash_bytes(&h.to_le_bytes())
}

/// Pattern value of a slot that holds only a prefix.
pub const NO_PATTERN: u32 = 0x7fff_ffff;
const PREFIX_BIT: u32 = 0x8000_0000;
const SLOT: usize = 8;

/// Compiles the surface forms of `entries` ((entry index, entry), in index order) into a
/// matcher section, appended to `out`. The token-map hash table is built too when there are
/// more than `table_above` forms.
///
/// Candidates of a form are ordered most likely first: a name beats an alias, a country a
/// smaller place, then population, then load order.
///
/// # Errors
/// More entries, forms or text than the 32-bit layout holds.
pub fn compile_matcher<'a, E: FormEntry + 'a>(
    entries: impl Iterator<Item = (usize, &'a E)>,
    table_above: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    struct Info {
        index: u32,
        country: bool,
        population: u64,
        locative: bool,
    }
    struct Rec {
        hash: u64,
        start: u32,
        len: u32,
        k: u32,
        via: u8,
    }
    let too_big = || "gazetteer too large for the compiled form (4 GiB of names)".to_string();
    let mut infos: Vec<Info> = Vec::new();
    let mut arena = String::new();
    let mut recs: Vec<Rec> = Vec::new();
    for (index, e) in entries {
        let k = u32::try_from(infos.len()).map_err(|_| too_big())?;
        let attrs = e.attributes();
        infos.push(Info {
            index: u32::try_from(index)
                .ok()
                .filter(|&i| i < 1 << 30)
                .ok_or_else(too_big)?,
            country: e.subtype() == "country",
            population: attr_value(attrs, "population")
                .and_then(|p| p.parse().ok())
                .unwrap_or(0),
            locative: attr_value(attrs, "context") == Some("locative"),
        });
        let mut add = |text: &str, exact: bool, via: u8| -> Result<(), String> {
            for v in case_variants(text, exact) {
                let start = u32::try_from(arena.len()).map_err(|_| too_big())?;
                arena.push_str(&v);
                recs.push(Rec {
                    hash: key_hash(&v),
                    start,
                    len: v.len() as u32,
                    k,
                    via,
                });
            }
            Ok(())
        };
        add(e.name(), false, VIA_NAME)?;
        for i in 0..e.alias_count() {
            let (text, exact, demonym) = e.alias(i);
            add(text, exact, if demonym { VIA_DEMONYM } else { VIA_ALIAS })?;
        }
    }
    let form = |r: &Rec| &arena.as_bytes()[r.start as usize..(r.start + r.len) as usize];
    // Stable: records of one (form, entry) keep their order, so the first (the name before
    // the aliases) gives the entry's `via`.
    recs.sort_by(|a, b| {
        a.hash
            .cmp(&b.hash)
            .then_with(|| form(a).cmp(form(b)))
            .then(a.k.cmp(&b.k))
    });
    let mut ends: Vec<u32> = Vec::new();
    let mut cand_starts: Vec<u32> = vec![0];
    let mut cands: Vec<u32> = Vec::new();
    let mut locative: Vec<u8> = Vec::new();
    let mut text: Vec<u8> = Vec::new();
    let mut group: Vec<(u8, bool, std::cmp::Reverse<u64>, u32, u32)> = Vec::new();
    let mut max_len = 0usize;
    let mut i = 0;
    while i < recs.len() {
        let mut j = i + 1;
        while j < recs.len() && recs[j].hash == recs[i].hash && form(&recs[j]) == form(&recs[i]) {
            j += 1;
        }
        group.clear();
        let mut last_k = u32::MAX;
        for r in &recs[i..j] {
            if r.k != last_k {
                let info = &infos[r.k as usize];
                group.push((
                    r.via,
                    !info.country,
                    std::cmp::Reverse(info.population),
                    info.index,
                    r.k,
                ));
                last_k = r.k;
            }
        }
        group.sort_unstable();
        let all_locative = group.iter().all(|g| infos[g.4 as usize].locative);
        let f = form(&recs[i]);
        max_len = max_len.max(f.len());
        text.extend_from_slice(f);
        ends.push(u32::try_from(text.len()).map_err(|_| too_big())?);
        cands.extend(group.iter().map(|g| g.3 << 2 | u32::from(g.0)));
        cand_starts.push(u32::try_from(cands.len()).map_err(|_| too_big())?);
        locative.push(u8::from(all_locative));
        i = j;
    }
    drop(recs);
    drop(arena);
    let n = ends.len();
    if n >= NO_PATTERN as usize {
        return Err(too_big());
    }
    let form_at = |p: usize| {
        let s = if p == 0 { 0 } else { ends[p - 1] as usize };
        // The forms were copied from `&str`s whole, so every one is UTF-8.
        std::str::from_utf8(&text[s..ends[p] as usize]).unwrap_or("")
    };
    // Slots: (check = low 32 bits of the hash, value). A slot is found from the high bits
    // of the hash, so a key is identified by about 32 + log2(slots) bits; a full-form hit is
    // also checked against the stored text.
    let mut slots: Vec<(u32, u32)> = Vec::new();
    let mut filter: Vec<u64> = Vec::new();
    let mut filter_bits = 0u32;
    if n > table_above {
        // About eight bits a form (so that few absent leads pass), at most 256 KiB, so that
        // the filter stays in cache while the table does not. Sized by the forms, which
        // outnumber their distinct leads, so that the leads need no sorting.
        let size = (n * 8).next_power_of_two().clamp(1 << 9, 1 << 21);
        filter_bits = size.trailing_zeros();
        filter = vec![0u64; size / 64];
        let mut add_lead = |key: &str| {
            let b = lead_bit(lead(key.as_bytes(), 0, key.len()), filter_bits);
            filter[b / 64] |= 1 << (b % 64);
        };
        let mut prefixes: Vec<u64> = Vec::new();
        for p in 0..n {
            let f = form_at(p);
            add_lead(f);
            for cut in token_cuts(f) {
                prefixes.push(key_hash(&f[..cut]));
                if cut < 4 {
                    add_lead(&f[..cut]);
                }
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        let keys = n + prefixes.len();
        // At most half full: most lookups are of absent keys (a token that starts no form,
        // a span one token too long), and with linear probing an absent key's search runs
        // to the next empty slot, which grows fast above half full.
        let cap = (keys * 2).next_power_of_two().max(8);
        let bits = cap.trailing_zeros();
        slots = vec![(0, NO_PATTERN); cap];
        let mask = cap - 1;
        // Both key lists are inserted in hash order, so the writes sweep the table once
        // each instead of landing at random.
        let mut put = |hash: u64, pattern: Option<u32>| {
            let check = hash as u32;
            let mut s = home(hash, bits);
            loop {
                let slot = &mut slots[s];
                if slot.0 == 0 || slot.0 == check {
                    slot.0 = check;
                    match pattern {
                        // A second form with the same key never matches (the stored text
                        // is compared), as if it were absent.
                        Some(p) if slot.1 & !PREFIX_BIT == NO_PATTERN => {
                            slot.1 = (slot.1 & PREFIX_BIT) | p;
                        }
                        Some(_) => {}
                        None => slot.1 |= PREFIX_BIT,
                    }
                    return;
                }
                s = (s + 1) & mask;
            }
        };
        for p in 0..n {
            put(key_hash(form_at(p)), Some(p as u32));
        }
        for h in prefixes {
            put(h, None);
        }
    }
    let u32_of = |x: usize| u32::try_from(x).map_err(|_| too_big());
    out.reserve_exact(
        24 + 4 * (n + n + 1 + cands.len()) + n + text.len() + SLOT * slots.len() + 8 * filter.len(),
    );
    for v in [
        n,
        cands.len(),
        text.len(),
        slots.len(),
        max_len,
        filter_bits as usize,
    ] {
        out.extend_from_slice(&u32_of(v)?.to_le_bytes());
    }
    for v in ends.iter().chain(&cand_starts).chain(&cands) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&locative);
    out.extend_from_slice(&text);
    for (c, v) in &slots {
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    for w in &filter {
        out.extend_from_slice(&w.to_le_bytes());
    }
    Ok(())
}

/// Appends a string (u32 length, bytes).
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// An entry as written into an entries section.
pub struct EntryRecord<'a> {
    /// Index of the source name.
    pub source: u32,
    /// Line in the source.
    pub line: u32,
    /// Kind code.
    pub kind: u8,
    /// Id.
    pub id: &'a str,
    /// Subtype.
    pub subtype: &'a str,
    /// Name.
    pub name: &'a str,
    /// Canonical attributes.
    pub attributes: &'a str,
}

/// Appends the head of an entries section: the source names and the entry count.
pub fn put_entries_head(out: &mut Vec<u8>, sources: &[&str], count: usize) {
    out.extend_from_slice(&(sources.len() as u32).to_le_bytes());
    for s in sources {
        put_str(out, s);
    }
    out.extend_from_slice(&(count as u32).to_le_bytes());
}

/// Appends one entry of an entries section, with its aliases (text, exact, demonym).
pub fn put_entry<'a>(
    out: &mut Vec<u8>,
    e: &EntryRecord<'_>,
    aliases: impl ExactSizeIterator<Item = (&'a str, bool, bool)>,
) {
    out.extend_from_slice(&e.source.to_le_bytes());
    out.extend_from_slice(&e.line.to_le_bytes());
    out.push(e.kind);
    for s in [e.id, e.subtype, e.name, e.attributes] {
        put_str(out, s);
    }
    out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
    for (text, exact, demonym) in aliases {
        out.push(u8::from(exact) | u8::from(demonym) << 1);
        put_str(out, text);
    }
}

/// Writes the header of a file whose entries and matcher sections follow it: `key` names
/// what it was compiled from, `base` is the number of entries that precede its own.
pub fn put_header(
    out: &mut Vec<u8>,
    version: &str,
    key: u64,
    base: u64,
    entries: &[u8],
    matcher: &[u8],
) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    put_str(out, version);
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&base.to_le_bytes());
    for section in [entries, matcher] {
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
        out.extend_from_slice(&hash_payload(section).to_le_bytes());
    }
}

/// A bounds-checked little-endian reader.
pub struct Reader<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Read position.
    pub at: usize,
}

impl<'a> Reader<'a> {
    /// Reads `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    /// Reads a u8.
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    /// Reads a u32.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    /// Reads a u64.
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// Reads a string.
    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

/// The header of a compiled file.
pub struct Header<'a> {
    /// Crate version that wrote it.
    pub version: &'a str,
    /// What it was compiled from.
    pub key: u64,
    /// Entries before its own.
    pub base: u64,
    /// Length of the header itself; the entries section follows.
    pub len: usize,
    /// Length and hash of the entries section.
    pub entries: (usize, u64),
    /// Length and hash of the matcher section, which follows the entries.
    pub matcher: (usize, u64),
}

/// Reads a header from the start of `bytes` (which may hold more), without checking the
/// sections; `None` if it is not a header of this format.
pub fn read_header(bytes: &[u8]) -> Option<Header<'_>> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != MAGIC || r.u32()? != FORMAT {
        return None;
    }
    let version = r.str()?;
    let key = r.u64()?;
    let base = r.u64()?;
    let entries = (usize::try_from(r.u64()?).ok()?, r.u64()?);
    let matcher = (usize::try_from(r.u64()?).ok()?, r.u64()?);
    Some(Header {
        version,
        key,
        base,
        len: r.at,
        entries,
        matcher,
    })
}

/// Whether `section` has the (length, hash) a header gives for it.
pub fn section_ok(section: &[u8], want: (usize, u64)) -> bool {
    section.len() == want.0 && hash_payload(section) == want.1
}

/// The candidates of one pattern, best first: (entry, via). A named type, so that callers
/// that collect them get the loop inlined.
#[derive(Clone, Debug)]
pub struct Candidates<'b> {
    /// The candidates not yet read, 4 bytes each (entry << 2 | via).
    words: &'b [u8],
}

impl Iterator for Candidates<'_> {
    type Item = (usize, u8);

    #[inline]
    fn next(&mut self) -> Option<(usize, u8)> {
        let (word, rest) = self.words.split_first_chunk::<4>()?;
        self.words = rest;
        let v = u32::from_le_bytes(*word);
        Some(((v >> 2) as usize, (v & 3) as u8))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.words.len() / 4;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Candidates<'_> {}

/// Offsets of a matcher section inside its bytes, validated.
#[derive(Clone, Copy, Debug)]
pub struct MatcherLayout {
    /// Patterns.
    pub n: usize,
    /// Longest form in bytes.
    pub max_len: usize,
    /// Table slots (0: no table).
    pub slots: usize,
    /// Log2 of the lead filter's size in bits (0: no filter).
    filter_bits: u32,
    filter: usize,
    ends: usize,
    cand_starts: usize,
    cands: usize,
    locative: usize,
    text: usize,
    text_len: usize,
    table: usize,
    /// End of the section.
    pub end: usize,
}

#[inline]
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

#[inline]
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl MatcherLayout {
    /// Reads the section starting at `at`, checking that every offset, candidate (below
    /// `entries`) and pattern reference is in range.
    pub fn read(bytes: &[u8], at: usize, entries: usize) -> Option<MatcherLayout> {
        let mut r = Reader { bytes, at };
        let n = r.u32()? as usize;
        let n_cands = r.u32()? as usize;
        let text_len = r.u32()? as usize;
        let slots = r.u32()? as usize;
        let max_len = r.u32()? as usize;
        let filter_bits = r.u32()?;
        let ends = r.at;
        r.take(n.checked_mul(4)?)?;
        let cand_starts = r.at;
        r.take((n + 1).checked_mul(4)?)?;
        let cands = r.at;
        r.take(n_cands.checked_mul(4)?)?;
        let locative = r.at;
        r.take(n)?;
        let text = r.at;
        r.take(text_len)?;
        let table = r.at;
        r.take(slots.checked_mul(SLOT)?)?;
        let filter = r.at;
        // A table always has a filter (it is built with it) and a filter is never larger
        // than a section can be.
        if (slots != 0) != (filter_bits != 0)
            || !(filter_bits == 0 || (6..32).contains(&filter_bits))
        {
            return None;
        }
        if filter_bits != 0 {
            r.take(1usize << (filter_bits - 3))?;
        }
        let l = MatcherLayout {
            n,
            max_len,
            slots,
            filter_bits,
            filter,
            ends,
            cand_starts,
            cands,
            locative,
            text,
            text_len,
            table,
            end: r.at,
        };
        if slots != 0 && !slots.is_power_of_two() {
            return None;
        }
        let mut prev = 0;
        for p in 0..n {
            let e = le32(bytes, ends + 4 * p) as usize;
            if e < prev || e > text_len || e - prev > max_len {
                return None;
            }
            std::str::from_utf8(&bytes[text + prev..text + e]).ok()?;
            prev = e;
        }
        let mut prev = 0;
        for p in 0..=n {
            let s = le32(bytes, cand_starts + 4 * p) as usize;
            if s < prev || s > n_cands || (p > 0 && s == prev) || (p == 0 && s != 0) {
                return None;
            }
            prev = s;
        }
        if prev != n_cands {
            return None;
        }
        for c in 0..n_cands {
            let v = le32(bytes, cands + 4 * c);
            if (v >> 2) as usize >= entries || v & 3 > 2 {
                return None;
            }
        }
        let mut empty = slots == 0;
        for s in 0..slots {
            empty |= le32(bytes, table + SLOT * s) == 0;
            let v = le32(bytes, table + SLOT * s + 4) & !PREFIX_BIT;
            if v != NO_PATTERN && v as usize >= n {
                return None;
            }
        }
        // A table without an empty slot would make a lookup of an absent key loop.
        if !empty {
            return None;
        }
        Some(l)
    }

    /// The text of pattern `p`.
    #[inline]
    pub fn form<'b>(&self, bytes: &'b [u8], p: usize) -> &'b [u8] {
        let s = if p == 0 {
            0
        } else {
            le32(bytes, self.ends + 4 * (p - 1)) as usize
        };
        let e = le32(bytes, self.ends + 4 * p) as usize;
        &bytes[self.text + s..self.text + e]
    }

    /// The candidates of pattern `p`: (entry, via), best first.
    #[inline]
    pub fn candidates<'b>(&self, bytes: &'b [u8], p: usize) -> Candidates<'b> {
        let s = le32(bytes, self.cand_starts + 4 * p) as usize;
        let e = le32(bytes, self.cand_starts + 4 * (p + 1)) as usize;
        Candidates {
            words: &bytes[self.cands + 4 * s..self.cands + 4 * e],
        }
    }

    /// The candidate entries of pattern `p`, best first, without their `via`: collected
    /// from a slice of known length, so into one allocation of the exact size (a
    /// [`Candidates`] iterator does not promise its length).
    #[inline]
    pub fn candidate_entries(&self, bytes: &[u8], p: usize) -> Vec<usize> {
        let (words, _) = self.candidates(bytes, p).words.as_chunks::<4>();
        words
            .iter()
            .map(|&w| (u32::from_le_bytes(w) >> 2) as usize)
            .collect()
    }

    /// Whether every candidate of pattern `p` is `context=locative`.
    pub fn locative(&self, bytes: &[u8], p: usize) -> bool {
        bytes[self.locative + p] != 0
    }

    /// The section's lead filter, copied into words (at most 256 KiB): the scan tests it
    /// at every token, and a word array needs fewer checks than the bytes.
    pub fn lead_filter(&self, bytes: &[u8]) -> LeadFilter {
        if self.filter_bits == 0 {
            return LeadFilter::default();
        }
        let size = 1usize << (self.filter_bits - 3);
        LeadFilter {
            words: bytes[self.filter..self.filter + size]
                .chunks_exact(8)
                .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
                .collect(),
            shift: 32 - self.filter_bits,
        }
    }

    /// The arrays the scan reads, sliced out of `bytes` once (see [`FormTable`]).
    pub fn table<'b>(&self, bytes: &'b [u8]) -> FormTable<'b> {
        let (slots, _) = bytes[self.table..self.table + SLOT * self.slots].as_chunks::<SLOT>();
        let (ends, _) = bytes[self.ends..self.ends + 4 * self.n].as_chunks::<4>();
        // One slot holds the whole table at home 0: `hash >> 63` masked to 0.
        let bits = self.slots.trailing_zeros();
        FormTable {
            slots,
            shift: 64 - bits.max(1),
            mask: self.slots.saturating_sub(1),
            ends,
            // To the end of the bytes, not of the forms' text, so that a short form's word
            // can be read whole (see `FormTable::is_form`); `ends` stay within the text.
            text: &bytes[self.text..],
            locative: &bytes[self.locative..self.locative + self.n],
            max_len: self.max_len,
        }
    }

    /// Bytes of text in the section (for size reports).
    pub fn text_len(&self) -> usize {
        self.text_len
    }
}

/// A matcher section's token map as the scan reads it: its arrays sliced once per
/// document, so that a lookup is the probe itself rather than offsets worked out again
/// from the layout at every token. Built by [`MatcherLayout::table`].
#[derive(Clone, Copy, Debug)]
pub struct FormTable<'b> {
    /// The hash table (empty: no table, every lookup fails).
    slots: &'b [[u8; SLOT]],
    /// 64 minus log2 of the slot count: a key's home slot is its hash's high bits.
    shift: u32,
    /// Slot count minus one.
    mask: usize,
    /// Per pattern, the end of its text in `text`.
    ends: &'b [[u8; 4]],
    /// The forms' text.
    text: &'b [u8],
    /// Per pattern, whether every candidate is `context=locative`.
    locative: &'b [u8],
    /// Longest form in bytes.
    pub max_len: usize,
}

impl FormTable<'_> {
    /// Looks a key up: (pattern if a form has this key, prefix flag).
    #[inline]
    pub fn lookup(&self, hash: u64) -> Option<(Option<usize>, bool)> {
        let check = hash as u32;
        let mut s = (hash >> self.shift) as usize & self.mask;
        loop {
            // Each slot read as one word: (check, value), little-endian.
            let slot = u64::from_le_bytes(*self.slots.get(s)?);
            let c = slot as u32;
            if c == 0 {
                return None;
            }
            if c == check {
                let v = (slot >> 32) as u32;
                let p = v & !PREFIX_BIT;
                return Some(((p != NO_PATTERN).then_some(p as usize), v & PREFIX_BIT != 0));
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Whether pattern `p`'s text is `text[start..end]`: a hit is checked against the
    /// stored text, so that a hash collision cannot make one.
    #[inline]
    pub fn is_form(&self, p: usize, text: &[u8], start: usize, end: usize) -> bool {
        let form_end = self
            .ends
            .get(p)
            .map_or(0, |&e| u32::from_le_bytes(e) as usize);
        let form_start = match p.checked_sub(1) {
            Some(q) => self
                .ends
                .get(q)
                .map_or(0, |&e| u32::from_le_bytes(e) as usize),
            None => 0,
        };
        let len = end - start;
        if form_end.wrapping_sub(form_start) != len {
            return false;
        }
        // Most forms are one short word: compared as one masked word where both texts go
        // on for eight bytes (the forms' text is followed by the table).
        if len <= 8
            && let (Some(a), Some(b)) = (word_at(self.text, form_start), word_at(text, start))
        {
            let mask = if len == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * len)) - 1
            };
            return (a ^ b) & mask == 0;
        }
        match (self.text.get(form_start..form_end), text.get(start..end)) {
            (Some(form), Some(span)) => form == span,
            _ => false,
        }
    }

    /// Whether every candidate of pattern `p` is `context=locative`.
    #[inline]
    pub fn locative(&self, p: usize) -> bool {
        self.locative.get(p).is_some_and(|&l| l != 0)
    }
}

/// The eight bytes of `buf` from `at`, little-endian, if it has them.
#[inline]
fn word_at(buf: &[u8], at: usize) -> Option<u64> {
    let w = buf.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(w.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ascii_cuts_are_the_token_cuts_up_to_eight() {
        for form in [
            "",
            "a",
            "US",
            "the",
            "New York",
            "IANSUpdated",
            "al-Qaeda",
            "3M Co",
            "F-16s",
            "McDonald's",
            "U.S. Navy",
            "Ab1cD",
            "A  B",
            "abcdefghij",
            "abcdefgH",
            "abcdefgHi",
            "X7 and Y",
            "e.g.",
            "ABCDEFGHIJ",
            "aB",
            "1a2b3c4d5e",
        ] {
            let by_chars: Vec<usize> = token_cuts(form)
                .take_while(|&c| c <= SHORT_KEY_MAX)
                .collect();
            let by_bytes: Vec<usize> = short_ascii_cuts(form.as_bytes()).collect();
            assert_eq!(by_bytes, by_chars, "{form}");
        }
    }

    #[test]
    fn short_keys_answer_as_the_table_does() {
        let forms = [
            "the",
            "the United States",
            "said",
            "according to",
            "of",
            "Ab",
            "Über",
        ];
        let fields: Vec<Fields> = forms
            .iter()
            .enumerate()
            .map(|(i, f)| parse_fields(&format!("e{i}\tMisc\tx\t{f}\t\t")).expect("a line"))
            .collect();
        let mut bytes = Vec::new();
        compile_matcher(fields.iter().enumerate(), 0, &mut bytes).expect("compiles");
        let layout = MatcherLayout::read(&bytes, 0, fields.len()).expect("valid");
        let table = layout.table(&bytes);
        let short = ShortKeys::new(&table, (0..layout.n).map(|p| layout.form(&bytes, p)));
        for span in [
            "the",
            "The",
            "said",
            "of",
            "Ab",
            "A",
            "ab",
            "Über",
            "Üb",
            "according",
            "th",
            "thee",
            "the Unit",
            "x",
            "United",
            "saidx",
        ] {
            let len = span.len();
            if len > SHORT_KEY_MAX {
                continue;
            }
            let by_table = table.lookup(key_hash(span)).map(|(p, prefix)| {
                (
                    p.filter(|&p| table.is_form(p, span.as_bytes(), 0, len)),
                    prefix,
                )
            });
            let by_short = short.lookup(span_word(span.as_bytes(), 0, len), len);
            assert_eq!(by_short, by_table, "{span}");
        }
        assert!(
            short
                .lookup(span_word(b"the", 0, 3), 3)
                .is_some_and(|(_, prefix)| prefix)
        );
    }

    #[test]
    fn find_either_finds_the_first_of_two_bytes() {
        let texts = [
            "",
            "abc",
            "country=russia;gender=m;role=president_of:russia",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}=;\u{1}\u{1}\u{1}",
            "\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}=",
        ];
        for text in texts {
            let bytes = text.as_bytes();
            for from in 0..=bytes.len() {
                let expected = (from..bytes.len())
                    .find(|&i| bytes[i] == b';' || bytes[i] == b'=')
                    .unwrap_or(bytes.len());
                assert_eq!(
                    find_either(bytes, from, b';', b'='),
                    expected,
                    "{text:?} {from}"
                );
                assert_eq!(
                    find_either(bytes, from, b'=', b';'),
                    expected,
                    "{text:?} {from}"
                );
            }
        }
    }

    /// The byte-level readers agree with splitting at `;` and then at the first `=`.
    #[test]
    fn attributes_read_as_split_at_semicolons_then_first_equals() {
        fn split_pairs(attrs: &str) -> Vec<(&str, &str)> {
            attrs
                .split(';')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect()
        }
        let cases = [
            "",
            ";",
            ";;",
            "a",
            "a=",
            "=b",
            "=",
            "role=a;role=b;x",
            ";;k=;k2=v=w;",
            "gender=f",
            "name=Z\u{fc}rich;r\u{f4}le=\u{e9}lu;;",
            "ab=1;a=2;a",
            "a;b=1",
            "country=russia;gender=m;role=president_of:russia",
            "a=\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9};;;;;;;;;;ab=\u{ff};role=x=y;;role",
        ];
        for attrs in cases {
            let pairs = split_pairs(attrs);
            assert_eq!(attr_pairs(attrs).collect::<Vec<_>>(), pairs, "{attrs:?}");
            for key in [
                "",
                "a",
                "ab",
                "b",
                "k",
                "k2",
                "role",
                "r\u{f4}le",
                "a;b",
                "k2=v",
                ";",
            ] {
                let expected = pairs.iter().find(|&&(k, _)| k == key).map(|&(_, v)| v);
                assert_eq!(attr_value(attrs, key), expected, "{attrs:?} {key:?}");
            }
        }
    }

    #[test]
    fn a_growing_span_hashes_as_its_text_alone() {
        let text = "Prime Minister of the United Kingdom, \u{e9}t\u{e9} 2024";
        let bytes = text.as_bytes();
        for start in [0, 6, 15, 22] {
            let mut hasher = KeyHasher::new(start);
            for end in start + 1..=text.len() {
                if text.is_char_boundary(end) {
                    assert_eq!(hasher.hash_to(bytes, end), key_hash(&text[start..end]));
                }
            }
        }
        assert_ne!(key_hash("ab"), key_hash("ab\0"));
        assert_ne!(key_hash(""), key_hash("\0"));
    }

    #[test]
    fn candidate_entries_are_the_candidates_without_their_via() {
        // Two entries named "Ada" (the second by an alias) share its forms.
        let fields: Vec<Fields> = ["a\tPerson\tx\tAda\t\t", "b\tPerson\tx\tBo\tAda\t"]
            .iter()
            .map(|l| parse_fields(l).unwrap())
            .collect();
        let mut bytes = Vec::new();
        compile_matcher(fields.iter().enumerate(), 0, &mut bytes).unwrap();
        let layout = MatcherLayout::read(&bytes, 0, fields.len()).unwrap();
        let mut shared = 0;
        for p in 0..layout.n {
            let want: Vec<usize> = layout.candidates(&bytes, p).map(|(e, _)| e).collect();
            shared += usize::from(want.len() > 1);
            assert_eq!(layout.candidate_entries(&bytes, p), want);
        }
        assert!(shared > 0);
    }

    #[test]
    fn the_lead_filter_passes_every_key_start() {
        struct Form(&'static str);
        impl FormEntry for Form {
            fn name(&self) -> &str {
                self.0
            }
            fn alias_count(&self) -> usize {
                0
            }
            fn alias(&self, _: usize) -> (&str, bool, bool) {
                unreachable!()
            }
            fn subtype(&self) -> &str {
                ""
            }
            fn attributes(&self) -> &str {
                ""
            }
        }
        let forms: Vec<Form> = [
            "A",
            "Al Gore",
            "New York City",
            "IANSUpdated",
            "U.S.",
            "X-ray",
        ]
        .into_iter()
        .map(Form)
        .collect();
        let mut bytes = Vec::new();
        compile_matcher(forms.iter().enumerate(), 0, &mut bytes).unwrap();
        let layout = MatcherLayout::read(&bytes, 0, forms.len()).unwrap();
        assert_ne!(layout.slots, 0);
        let filter = layout.lead_filter(&bytes);
        let table = layout.table(&bytes);
        for form in ["A", "Al", "New", "New York", "IANS", "U", "X", "X-"] {
            let padded = format!("{form} and some more text");
            for text in [form, padded.as_str()] {
                assert!(filter.has(lead(text.as_bytes(), 0, form.len())), "{form}");
            }
            assert!(table.lookup(key_hash(form)).is_some(), "{form}");
        }
        let passed = ["said", "the", "Boston", "Zurich", "of", "Mr"]
            .iter()
            .filter(|w| filter.has(lead(w.as_bytes(), 0, w.len())))
            .count();
        assert!(passed < 6, "the filter rejects something");
    }
}
