//! Text stage: a document's sentences and tokens.
//!
//! Input: one document's UTF-8 text. Output: a [`Document`] holding tokens and sentences as
//! byte spans into that text (never copies of it), sorted and non-overlapping. Every byte
//! offset kept here lies on a `char` boundary.
//!
//! Tokens are what the gazetteer matcher aligns to: a gazetteer hit must start where a token
//! starts and end where a token ends, so "US" never fires inside "USA" or "Russian".

use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicU16, Ordering};

/// What a token is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters (possibly with digits, inner apostrophes, or the possessive `'s`).
    Word,
    /// Digits.
    Number,
    /// Anything else, one character at a time.
    Punct,
}

/// One token: a byte span and its normalised lowercase form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Kind of token.
    pub kind: TokenKind,
    /// Lowercase form with typographic quotes and dashes folded to ASCII.
    pub norm: String,
    /// Whether the first character is an upper-case letter.
    pub capitalized: bool,
    /// Whether whitespace (or the start of text) comes right before the token.
    pub space_before: bool,
}

/// One sentence: a byte span and the range of its tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    /// Byte offset of the sentence's first token.
    pub start: usize,
    /// Byte offset one past its last token.
    pub end: usize,
    /// Indices into [`Document::tokens`].
    pub tokens: Range<usize>,
}

/// A tokenised, sentence-split document.
#[derive(Clone, Debug)]
pub struct Document {
    /// Document id (file name, or the id of a JSON Lines record).
    pub id: String,
    /// The original text.
    pub text: String,
    /// All tokens in order.
    pub tokens: Vec<Token>,
    /// All sentences in order; they cover every token exactly once.
    pub sentences: Vec<Sentence>,
}

impl Document {
    /// Tokenises and sentence-splits `text`.
    ///
    /// ```
    /// let doc = kgbuild::Document::new("a.txt", "Mr. Smith met U.S. officials. He left.");
    /// assert_eq!(doc.sentences.len(), 2);
    /// ```
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        let text = text.into();
        let (tokens, sentences) = tokenize(&text);
        Document {
            id: id.into(),
            text,
            tokens,
            sentences,
        }
    }

    /// The text of a token.
    pub fn token_text(&self, i: usize) -> &str {
        &self.text[self.tokens[i].start..self.tokens[i].end]
    }

    /// The text of a byte span.
    pub fn span_text(&self, span: Range<usize>) -> &str {
        &self.text[span]
    }

    /// Index of the sentence holding token `i`.
    pub fn sentence_of_token(&self, i: usize) -> usize {
        self.sentences
            .partition_point(|s| s.tokens.end <= i)
            .min(self.sentences.len().saturating_sub(1))
    }

    /// Whether token `i` reads as a score: a number of at most three digits standing alone
    /// ("4", not "1996-08-30", "3.5" or "6-4").
    pub fn is_score(&self, i: usize) -> bool {
        let toks = &self.tokens;
        toks.get(i).is_some_and(|t| {
            t.kind == TokenKind::Number
                && t.norm.len() <= 3
                && toks.get(i + 1).is_none_or(|n| {
                    n.space_before || !matches!(n.norm.as_str(), "-" | "/" | ":" | "." | ",")
                })
        })
    }

    /// Whether the document is a results or standings table: at least three lines that
    /// start with a capitalised name followed by a score ("HOUSTON 4 CHICAGO 2").
    pub fn is_score_table(&self) -> bool {
        self.sentences
            .iter()
            .filter(|s| {
                let first = s.tokens.start;
                self.tokens[first].capitalized
                    && (first..s.tokens.end.min(first + 4)).any(|k| self.is_score(k))
            })
            .count()
            >= 3
    }

    /// Index of the token starting exactly at byte `pos`, if any.
    pub fn token_starting_at(&self, pos: usize) -> Option<usize> {
        self.tokens.binary_search_by_key(&pos, |t| t.start).ok()
    }

    /// Index of the token ending exactly at byte `pos`, if any.
    pub fn token_ending_at(&self, pos: usize) -> Option<usize> {
        self.tokens.binary_search_by_key(&pos, |t| t.end).ok()
    }
}

/// Line and column (1-based; the column counts characters) just after `before`, for
/// messages that point into a file. Invalid UTF-8 in `before` counts as one character per
/// replacement.
pub fn line_col(before: &[u8]) -> (usize, usize) {
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// Folds typographic variants to ASCII and lowercases.
pub fn normalize(s: &str) -> String {
    // Most tokens are plain ASCII with nothing to fold but the case and the backquote.
    if s.is_ascii() {
        return normalize_ascii(s);
    }
    normalize_non_ascii(s)
}

/// [`normalize`] of text known to hold a non-ASCII character.
fn normalize_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        // The ASCII letters of a name around an accented one: copied as a run, lowercased
        // with the rest below.
        let run = rest
            .bytes()
            .position(|x| !x.is_ascii())
            .unwrap_or(rest.len());
        out.push_str(&rest[..run]);
        let mut chars = rest[run..].chars();
        let Some(c) = chars.next() else {
            break;
        };
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '\u{00b4}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{00ab}' | '\u{00bb}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            _ => push_lowercase(&mut out, c),
        }
        rest = chars.as_str();
    }
    // No fold or lowercase mapping above writes an ASCII capital or a backquote: these are
    // the copied runs'.
    out.make_ascii_lowercase();
    // A short loop: a token is too short for `memchr` to pay.
    if out.bytes().any(|x| x == b'`') {
        out = out.replace('`', "'");
    }
    out
}

/// Lowercase forms of U+0080..U+07FF (the accented letters of names), filled on first use
/// like [`CHAR_CLASS_CACHE`], since `char::to_lowercase` searches a table: the code point of
/// the one character a character lowercases to, [`SEVERAL_CHARS`] if it lowercases to more
/// than one, 0 while unknown (no character in that range lowercases to U+0000).
static LOWERCASE_CACHE: [AtomicU16; CACHE_TWO_BYTE] = [const { AtomicU16::new(0) }; CACHE_TWO_BYTE];
/// A slot of [`LOWERCASE_CACHE`] for a character that lowercases to several.
const SEVERAL_CHARS: u16 = u16::MAX;

/// Pushes the lowercase form of non-ASCII `c`.
fn push_lowercase(out: &mut String, c: char) {
    let slot = (u32::from(c) as usize)
        .checked_sub(0x80)
        .and_then(|i| LOWERCASE_CACHE.get(i));
    let Some(slot) = slot else {
        out.extend(c.to_lowercase());
        return;
    };
    let mut lower = slot.load(Ordering::Relaxed);
    if lower == 0 {
        let mut forms = c.to_lowercase();
        lower = match (forms.next(), forms.next()) {
            (Some(one), None) => u16::try_from(u32::from(one)).unwrap_or(SEVERAL_CHARS),
            _ => SEVERAL_CHARS,
        };
        slot.store(lower, Ordering::Relaxed);
    }
    match char::from_u32(u32::from(lower)).filter(|_| lower != SEVERAL_CHARS) {
        Some(one) => out.push(one),
        None => out.extend(c.to_lowercase()),
    }
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

// What the tokenizer asks of a character, as bit flags, so that an ASCII byte is answered by
// one table look-up instead of decoding it and asking `char` each question in turn.
/// `char::is_alphanumeric`.
const ALNUM: u8 = 1;
/// `char::is_numeric`.
const NUMERIC: u8 = 2;
/// `char::is_alphabetic`.
const ALPHA: u8 = 4;
/// `char::is_uppercase`.
const UPPER: u8 = 8;
/// `char::is_lowercase`.
const LOWER: u8 = 16;
/// White space or a control character: never inside a token.
const SPACE: u8 = 32;
/// An apostrophe: `'`, U+2019 or U+02BC.
const APOSTROPHE: u8 = 64;

/// Any byte of a multi-byte character (0x80 and above): the character must be decoded.
const NON_ASCII: u8 = 128;

/// The flags of each byte, computed at compile time: an ASCII byte's flags, or [`NON_ASCII`].
const BYTE_CLASSES: [u8; 256] = {
    let mut table = [NON_ASCII; 256];
    let mut b = 0;
    while b < 128 {
        let x = b as u8;
        let mut f = 0;
        if x.is_ascii_alphanumeric() {
            f |= ALNUM;
        }
        if x.is_ascii_digit() {
            f |= NUMERIC;
        }
        if x.is_ascii_alphabetic() {
            f |= ALPHA;
        }
        if x.is_ascii_uppercase() {
            f |= UPPER;
        }
        if x.is_ascii_lowercase() {
            f |= LOWER;
        }
        // White space and control characters: 0x00..=0x20 and DEL.
        if x <= b' ' || x == 0x7f {
            f |= SPACE;
        }
        if x == b'\'' {
            f |= APOSTROPHE;
        }
        table[b] = f;
        b += 1;
    }
    table
};

/// The flags of a byte.
#[inline(always)]
fn byte_class(x: u8) -> u8 {
    BYTE_CLASSES[usize::from(x)]
}

/// Flags of the characters that news text outside ASCII is mostly made of: U+0080..U+07FF
/// (the accented letters of names, two UTF-8 bytes) and U+2000..U+207F (quotes, dashes).
/// Each is filled on first use with the flags plus [`KNOWN`], since asking `char` costs some
/// 500 instructions a character. The threads share it; a race only computes a slot twice.
static CHAR_CLASS_CACHE: [AtomicU8; CACHE_TWO_BYTE + CACHE_PUNCTUATION] =
    [const { AtomicU8::new(0) }; CACHE_TWO_BYTE + CACHE_PUNCTUATION];
/// Slots for U+0080..U+07FF.
const CACHE_TWO_BYTE: usize = 0x780;
/// Slots for U+2000..U+207F.
const CACHE_PUNCTUATION: usize = 0x80;
/// Marks a filled slot of [`CHAR_CLASS_CACHE`] (the flags use the other seven bits).
const KNOWN: u8 = 128;

/// The slot of `c` in [`CHAR_CLASS_CACHE`], if it has one.
fn cache_slot(c: char) -> Option<usize> {
    match u32::from(c) {
        x @ 0x80..0x800 => Some(x as usize - 0x80),
        x @ 0x2000..0x2080 => Some(CACHE_TWO_BYTE + (x as usize - 0x2000)),
        _ => None,
    }
}

/// The flags of any character.
fn class_of(c: char) -> u8 {
    if c.is_ascii() {
        return byte_class(c as u8);
    }
    let Some(slot) = cache_slot(c).map(|i| &CHAR_CLASS_CACHE[i]) else {
        return flags_of(c);
    };
    let cached = slot.load(Ordering::Relaxed);
    if cached & KNOWN != 0 {
        return cached & !KNOWN;
    }
    let flags = flags_of(c);
    slot.store(flags | KNOWN, Ordering::Relaxed);
    flags
}

/// The flags of a character, asked of `char` one by one.
fn flags_of(c: char) -> u8 {
    let mut f = 0;
    let flag = |yes: bool, bit: u8| if yes { bit } else { 0 };
    f |= flag(c.is_alphanumeric(), ALNUM);
    f |= flag(c.is_numeric(), NUMERIC);
    f |= flag(c.is_alphabetic(), ALPHA);
    f |= flag(c.is_uppercase(), UPPER);
    f |= flag(c.is_lowercase(), LOWER);
    f |= flag(is_space(c), SPACE);
    f |= flag(matches!(c, '\'' | '\u{2019}' | '\u{02bc}'), APOSTROPHE);
    f
}

/// Reads the characters of a text by byte offset, decoding only non-ASCII ones.
///
/// Tokens never span white space, and every question the tokenizer asks about a
/// neighbouring character (letter? digit? lower case?) is answered "no" for white space, so
/// it may look across a token's surroundings freely.
struct Chars<'t> {
    text: &'t str,
    bytes: &'t [u8],
}

/// Where a token ends and what it is.
struct Shape {
    /// Byte offset one past its last byte.
    end: usize,
    kind: TokenKind,
    /// Whether it is all ASCII.
    ascii: bool,
    /// Whether any of its characters is upper case.
    upper: bool,
}

impl Chars<'_> {
    /// Flags and byte width of the character at byte `b` (a char boundary); `(0, 0)` at the
    /// end of the text.
    #[inline]
    fn at(&self, b: usize) -> (u8, usize) {
        match self.bytes.get(b) {
            None => (0, 0),
            Some(&x) if x < 0x80 => (byte_class(x), 1),
            Some(_) => self.decode_at(b),
        }
    }

    /// [`Chars::at`] for a non-ASCII character, kept out of line: it is rare.
    #[inline(never)]
    fn decode_at(&self, b: usize) -> (u8, usize) {
        let c = self.text[b..].chars().next().expect("b is a char boundary");
        (class_of(c), c.len_utf8())
    }

    /// Flags of the character ending at byte `b`; 0 at the start of the text.
    fn before(&self, b: usize) -> u8 {
        self.text[..b].chars().next_back().map_or(0, class_of)
    }

    /// `'s` at `b` followed by a non-letter, after a letter or digit: the possessive clitic.
    fn possessive_at(&self, b: usize) -> bool {
        let (f, w) = self.at(b);
        f & APOSTROPHE != 0
            && matches!(self.bytes.get(b + w), Some(b's' | b'S'))
            && self.at(b + w + 1).0 & ALNUM == 0
            && self.before(b) & ALNUM != 0
    }

    /// The token starting at byte `start` (not white space), whose first character has the
    /// flags `first` and is `width` bytes long. `last` is the token before it.
    #[inline]
    fn token_at(&self, start: usize, first: u8, width: usize, last: Option<&Token>) -> Shape {
        let ascii = width == 1;
        let upper = first & UPPER != 0;
        if first & ALNUM != 0 {
            return self.word_at(start, first, width);
        }
        if first & APOSTROPHE != 0 {
            if self.possessive_at(start) {
                let end = start + width + 1;
                let upper = self.bytes[end - 1] == b'S';
                return Shape {
                    end,
                    kind: TokenKind::Word,
                    ascii,
                    upper,
                };
            }
            // Plural possessive: "countries'".
            if last.is_some_and(|t| t.end == start && t.norm.ends_with('s'))
                && self.at(start + width).0 & ALNUM == 0
            {
                let kind = TokenKind::Word;
                return Shape {
                    end: start + width,
                    kind,
                    ascii,
                    upper,
                };
            }
        }
        Shape {
            end: start + width,
            kind: TokenKind::Punct,
            ascii,
            upper,
        }
    }

    /// The word or number starting at byte `start` with a letter or digit.
    #[inline]
    fn word_at(&self, start: usize, first: u8, width: usize) -> Shape {
        let numeric = first & NUMERIC != 0;
        // What continues the token without further questions, once it has a character that
        // is not upper case: ASCII digits for a number, ASCII letters and digits for a word.
        let plain = if numeric { NUMERIC } else { ALNUM };
        let mut ascii = width == 1;
        // The flags of all characters so far, or-ed together.
        let mut seen = first;
        // Whether every character so far is upper case, and how many there are.
        let mut all_upper = first & UPPER != 0;
        let mut count = 1;
        let mut b = start + width;
        loop {
            if !all_upper {
                // The common case, a lowercase or numeric ASCII run, in a tight loop.
                while let Some(&x) = self.bytes.get(b)
                    && byte_class(x) & plain != 0
                {
                    seen |= byte_class(x);
                    b += 1;
                }
            }
            let (f, w) = self.at(b);
            if f & ALNUM != 0 {
                // Letters then digits stay one word ("G20"); digits then letters split
                // ("15th" -> "15" "th") so dates read as numbers.
                if numeric && f & NUMERIC == 0 {
                    break;
                }
                // A glued byline: "IANSUpdated" -> "IANS" | "Updated".
                if f & UPPER != 0 && all_upper && count >= 2 && self.at(b + w).0 & LOWER != 0 {
                    break;
                }
                all_upper &= f & UPPER != 0;
            } else if f & APOSTROPHE != 0 && self.at(b + w).0 & ALPHA != 0 && !self.possessive_at(b)
            {
                all_upper = false; // inner apostrophe: O'Brien, d'Estaing
            } else {
                break;
            }
            seen |= f;
            ascii &= w == 1;
            count += 1;
            b += w;
        }
        let kind = if numeric {
            TokenKind::Number
        } else {
            TokenKind::Word
        };
        Shape {
            end: b,
            kind,
            ascii,
            upper: seen & UPPER != 0,
        }
    }
}

/// Tokenises and sentence-splits `text` in one pass over its bytes.
fn tokenize(text: &str) -> (Vec<Token>, Vec<Sentence>) {
    tokenize_with::<true>(text)
}

/// [`tokenize`], with the ASCII fast path ([`ascii_word`]) or, if `FAST` is false, with
/// every token read by the general path ([`general_token`]); the two must agree.
fn tokenize_with<const FAST: bool>(text: &str) -> (Vec<Token>, Vec<Sentence>) {
    let bytes = text.as_bytes();
    // News text averages five to six bytes a token and over a hundred a sentence: sized so
    // that most documents never grow these vectors.
    let mut tokens: Vec<Token> = Vec::with_capacity(text.len() / 5 + 4);
    let mut sentences = Vec::with_capacity(text.len() / 64 + 1);
    // The first token of the sentence being read.
    let mut sentence_start = 0;
    // What lies between the last token and the next: any white space, and how many line
    // breaks.
    let mut space_before = true;
    let mut newlines = 0;
    // Whether the last token's norm is one byte long: only such a token (a terminator or a
    // closing mark) can end a sentence on the line it is on.
    let mut last_is_mark = false;
    let mut b = 0;
    while let Some(&x) = bytes.get(b) {
        let class = byte_class(x);
        if class & SPACE != 0 {
            space_before = true;
            newlines += usize::from(x == b'\n');
            b += 1;
            continue;
        }
        let next = tokens.len();
        let was_mark = last_is_mark;
        // The byte itself is tested for ASCII (not its class, which says the same): that
        // tells the compiler the token starts on a character boundary, so slicing the text
        // below checks one end only.
        let fast = if !FAST || !x.is_ascii() {
            None
        } else if class & ALNUM != 0 {
            ascii_word(bytes, b, class)
        } else if class & APOSTROPHE == 0 {
            // ASCII punctuation: a token of one byte.
            Some((b + 1, TokenKind::Punct, Case::Lower))
        } else {
            None
        };
        let end = if let Some((end, kind, case)) = fast {
            let raw = &text[b..end];
            // A backquote is a token of its own (it is neither a letter nor an apostrophe),
            // so an ASCII token has nothing to fold but the case, or is a backquote.
            let norm = match case {
                Case::Lower if kind == TokenKind::Punct => {
                    // One byte: pushed, not copied (no call to `memcpy`).
                    let mut norm = String::with_capacity(1);
                    norm.push(if x == b'`' { '\'' } else { char::from(x) });
                    norm
                }
                Case::Lower => String::from(raw),
                Case::Capitalised => {
                    let mut norm = String::from(raw);
                    norm[..1].make_ascii_lowercase();
                    norm
                }
                Case::Mixed => raw.to_ascii_lowercase(),
            };
            // Its norm is as long as its text.
            last_is_mark = end - b == 1;
            tokens.push(Token {
                start: b,
                end,
                kind,
                norm,
                capitalized: class & UPPER != 0,
                space_before,
            });
            end
        } else {
            match general_token(text, b, space_before, &mut tokens) {
                Ok(end) => {
                    last_is_mark = tokens.last().is_some_and(|t| t.norm.len() == 1);
                    end
                }
                Err(space) => {
                    space_before = true;
                    b += space;
                    continue;
                }
            }
        };
        // The new token decides whether a sentence ends before it. (A negation split off
        // from it never ends one: it is glued to its verb.) Most tokens are on the same line
        // as the last and follow a word: `ends_sentence` would say no at once.
        if next > 0
            && (newlines > 0 || (was_mark && space_before))
            && ends_sentence(&tokens, next - 1, newlines)
        {
            sentences.push(Sentence {
                start: tokens[sentence_start].start,
                end: tokens[next - 1].end,
                tokens: sentence_start..next,
            });
            sentence_start = next;
        }
        newlines = 0;
        b = end;
        // Most tokens are followed by one space: skip it here rather than go round the loop.
        space_before = bytes.get(b) == Some(&b' ');
        b += usize::from(space_before);
    }
    if let Some(last) = tokens.last() {
        sentences.push(Sentence {
            start: tokens[sentence_start].start,
            end: last.end,
            tokens: sentence_start..tokens.len(),
        });
    }
    (tokens, sentences)
}

/// The general path: reads the character at byte `b` and, unless it is white space
/// (`Err` with its width), pushes the token starting there, split if it ends in "n't", and
/// returns where it ends. Kept out of line so that the fast path's loop stays small.
#[inline(never)]
fn general_token(
    text: &str,
    b: usize,
    space_before: bool,
    tokens: &mut Vec<Token>,
) -> Result<usize, usize> {
    let chars = Chars {
        text,
        bytes: text.as_bytes(),
    };
    let (first, width) = chars.at(b);
    if first & SPACE != 0 {
        return Err(width);
    }
    let shape = chars.token_at(b, first, width, tokens.last());
    let raw = &text[b..shape.end];
    let norm = match (shape.ascii, shape.upper) {
        (true, false) if raw == "`" => String::from("'"),
        (true, false) => String::from(raw),
        (true, true) => raw.to_ascii_lowercase(),
        (false, _) => normalize_non_ascii(raw),
    };
    tokens.push(Token {
        start: b,
        end: shape.end,
        kind: shape.kind,
        norm,
        capitalized: first & UPPER != 0,
        space_before,
    });
    split_negation(text, tokens);
    Ok(shape.end)
}

/// The fast path for a token starting with the ASCII letter or digit at `start` (flags
/// `first`): where the token ends, its kind and which of its letters are capitals, if it is
/// all ASCII and ends at a byte that needs no further question; `None` (ask
/// [`general_token`]) if an apostrophe or a non-ASCII character follows it.
///
/// It reads what [`Chars::word_at`] reads: a number is a run of digits; a word is a run of
/// letters and digits, unless it starts with three or more capitals glued to a lowercase
/// letter ("IANSUpdated"), where the word ends before the last capital.
#[inline(always)]
fn ascii_word(bytes: &[u8], start: usize, first: u8) -> Option<(usize, TokenKind, Case)> {
    let numeric = first & NUMERIC != 0;
    // Most words go on in lowercase: a run of lowercase letters and digits, read with no
    // flags gathered, ends the word unless a capital stops it.
    let lower_run = if numeric { NUMERIC } else { LOWER | NUMERIC };
    let mut end = start + 1;
    let stop = loop {
        let Some(&x) = bytes.get(end) else {
            break 0;
        };
        let class = byte_class(x);
        if class & lower_run == 0 {
            break class;
        }
        end += 1;
    };
    // The flags of the bytes of the run from the first capital after the first byte on,
    // or-ed together. Only a word whose second byte is a capital asks whether it has a
    // lowercase letter (the byline test below), and such a word has no lowercase run.
    let mut seen = 0;
    if !numeric && stop & UPPER != 0 {
        while let Some(&x) = bytes.get(end) {
            let class = byte_class(x);
            if class & ALNUM == 0 {
                break;
            }
            seen |= class;
            end += 1;
        }
    }
    if bytes
        .get(end)
        .is_some_and(|&x| byte_class(x) & (NON_ASCII | APOSTROPHE) != 0)
    {
        return None;
    }
    if numeric {
        return Some((end, TokenKind::Number, Case::Lower));
    }
    // The second byte first: most capitalised words fail there.
    if first & UPPER != 0 && seen & LOWER != 0 && bytes[start + 1].is_ascii_uppercase() {
        // A glued byline: "IANSUpdated" -> "IANS" | "Updated".
        let capitals = bytes[start..end]
            .iter()
            .take_while(|x| x.is_ascii_uppercase())
            .count();
        if capitals >= 3 && bytes[start + capitals].is_ascii_lowercase() {
            return Some((start + capitals - 1, TokenKind::Word, Case::Mixed));
        }
    }
    let case = match (first & UPPER != 0, seen & UPPER != 0) {
        (_, true) => Case::Mixed,
        (true, false) => Case::Capitalised,
        (false, false) => Case::Lower,
    };
    Some((end, TokenKind::Word, case))
}

/// Which letters of an ASCII token are capitals, for lowercasing it.
#[derive(Clone, Copy)]
enum Case {
    /// None.
    Lower,
    /// Only the first.
    Capitalised,
    /// Any other.
    Mixed,
}

/// [`normalize`] of all-ASCII text: lowercased, backquotes folded to apostrophes.
fn normalize_ascii(raw: &str) -> String {
    let mut out = raw.to_ascii_lowercase();
    if out.contains('`') {
        out = out.replace('`', "'");
    }
    out
}

/// Splits the last token if it is "didn't", "can't", "won't" into the verb and "n't", so
/// that rules can see the negation as a token of its own.
fn split_negation(text: &str, tokens: &mut Vec<Token>) {
    let Some(token) = tokens.last_mut() else {
        return;
    };
    // The last byte first: a cheap test that most words fail.
    let norm = token.norm.as_bytes();
    if !(token.kind == TokenKind::Word
        && norm.len() > 3
        && norm[norm.len() - 1] == b't'
        && norm.ends_with(b"n't"))
    {
        return;
    }
    // "n't" is three chars; the apostrophe may be multi-byte. Lowercasing and folding go
    // character by character, so the verb's norm is the token's less its last three bytes.
    let cut = text[token.start..token.end]
        .char_indices()
        .rev()
        .nth(2)
        .map_or(token.start, |(b, _)| token.start + b);
    let end = token.end;
    token.end = cut;
    token.norm.truncate(token.norm.len() - 3);
    tokens.push(Token {
        start: cut,
        end,
        kind: TokenKind::Word,
        norm: "n't".to_string(),
        capitalized: false,
        space_before: false,
    });
}

/// Whether a period after `word` (a norm) does not end a sentence: titles and month forms
/// that precede a capitalised word in news copy. Single letters (initials, "U.S.") are
/// handled separately.
fn is_abbreviation(word: &str) -> bool {
    matches!(
        word,
        "mr" | "mrs"
            | "ms"
            | "dr"
            | "prof"
            | "gen"
            | "lt"
            | "col"
            | "sgt"
            | "capt"
            | "cmdr"
            | "adm"
            | "sen"
            | "rep"
            | "gov"
            | "st"
            | "jan"
            | "feb"
            | "aug"
            | "sept"
            | "oct"
            | "nov"
            | "dec"
            | "vs"
            | "jr"
            | "sr"
            | "rev"
            | "hon"
            | "maj"
            | "brig"
            | "insp"
            | "supt"
            | "messrs"
            | "mt"
            | "ft"
            | "cf"
    )
}

/// Whether a sentence ends after token `i` (which has a successor); `newlines` counts the
/// line breaks between the two.
fn ends_sentence(tokens: &[Token], i: usize, newlines: usize) -> bool {
    let t = &tokens[i];
    let next = &tokens[i + 1];
    // Most tokens: on the same line as the next, and no terminator or closing mark (all
    // of which are one byte long).
    if newlines == 0 && (t.norm.len() != 1 || !next.space_before) {
        return false;
    }
    if newlines >= 2 {
        return true;
    }
    if newlines == 1 {
        // A line break ends a sentence unless the text is hard-wrapped mid-sentence: the
        // next line then goes on in lowercase.
        let continues = next.kind == TokenKind::Word
            && !next.capitalized
            && !matches!(t.norm.as_str(), "." | "!" | "?" | ":");
        return !continues;
    }
    if !next.space_before {
        // Closing quote or bracket glued to the terminator: end after it, not before.
        return false;
    }
    let terminator = |tok: &Token| matches!(tok.norm.as_str(), "." | "!" | "?");
    let closing = |tok: &Token| matches!(tok.norm.as_str(), "\"" | "'" | ")");
    let term_idx = if terminator(t) {
        i
    } else if closing(t) && i > 0 && terminator(&tokens[i - 1]) {
        i - 1
    } else {
        return false;
    };
    let starts_new = next.capitalized
        || next.kind == TokenKind::Number
        || matches!(next.norm.as_str(), "\"" | "'" | "(" | "[");
    if !starts_new {
        return false;
    }
    if tokens[term_idx].norm == "." && term_idx > 0 {
        let prev = &tokens[term_idx - 1];
        if prev.end == tokens[term_idx].start && prev.kind == TokenKind::Word {
            let single_letter = one_char(&prev.norm);
            // "No. 10": a number after "No." continues the sentence.
            let number_sign = prev.norm == "no" && next.kind == TokenKind::Number;
            if single_letter || number_sign || is_abbreviation(&prev.norm) {
                return false;
            }
        }
    }
    true
}

/// Whether `s` is one character long (`s.chars().count() == 1` without counting them all).
pub(crate) fn one_char(s: &str) -> bool {
    // A character is at most four bytes: longer words, most of those asked about, need
    // no decoding.
    if s.len() > 4 {
        return false;
    }
    let mut chars = s.chars();
    chars.next().is_some() && chars.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_char_counts_characters_not_bytes() {
        for s in [
            "",
            "A",
            "é",
            "\u{1d538}",
            "ab",
            "éé",
            "Ab.",
            "A\u{301}",
            "Smith",
        ] {
            assert_eq!(one_char(s), s.chars().count() == 1, "{s:?}");
        }
    }

    fn words(text: &str) -> Vec<String> {
        let d = Document::new("t", text);
        d.tokens
            .iter()
            .map(|t| text[t.start..t.end].to_string())
            .collect()
    }

    #[test]
    fn tokens_keep_names_whole_and_split_clitics() {
        assert_eq!(
            words("Russia's O'Brien didn't go."),
            ["Russia", "'s", "O'Brien", "did", "n't", "go", "."]
        );
        assert_eq!(words("IANSUpdated: x"), ["IANS", "Updated", ":", "x"]);
        assert_eq!(words("McDonald G20"), ["McDonald", "G20"]);
        assert_eq!(
            words("the two countries' leaders"),
            ["the", "two", "countries", "'", "leaders"]
        );
        assert_eq!(words("Russia\u{2019}s"), ["Russia", "\u{2019}s"]);
        assert_eq!(Document::new("t", "Russia\u{2019}s").tokens[1].norm, "'s");
    }

    #[test]
    fn sentences_respect_abbreviations_initials_and_lines() {
        let text = "Mr. Smith met U.S. envoy S. Jaishankar. He left.\nHeadline Here\nNext line.";
        let d = Document::new("t", text);
        let got: Vec<&str> = d.sentences.iter().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(
            got,
            [
                "Mr. Smith met U.S. envoy S. Jaishankar.",
                "He left.",
                "Headline Here",
                "Next line."
            ]
        );
    }

    #[test]
    fn hard_wrapped_lines_join() {
        let text = "The minister said on Monday that\nthe talks went well.";
        assert_eq!(Document::new("t", text).sentences.len(), 1);
    }

    #[test]
    fn quote_after_period_ends_sentence_after_quote() {
        let text = "He said \"no.\" Then he left.";
        let d = Document::new("t", text);
        assert_eq!(
            &text[d.sentences[0].start..d.sentences[0].end],
            "He said \"no.\""
        );
    }

    #[test]
    fn ascii_table_agrees_with_char() {
        for b in 0..128u8 {
            assert_eq!(byte_class(b), flags_of(char::from(b)), "{b}");
        }
        for b in 128..=255u8 {
            assert_eq!(byte_class(b), NON_ASCII, "{b}");
        }
    }

    #[test]
    fn cached_classes_agree_with_char() {
        let cached = (0x80..0x800)
            .chain(0x2000..0x2080)
            .filter_map(char::from_u32);
        // Twice: the first call fills the cache, the second reads it.
        for _ in 0..2 {
            for c in cached.clone() {
                assert_eq!(class_of(c), flags_of(c), "{c:?}");
            }
        }
        assert_eq!(class_of('\u{3000}'), flags_of('\u{3000}'));
    }

    #[test]
    fn fast_path_agrees_with_general_path_on_examples() {
        for text in [
            "IANSUpdated ABCdef ABc AB1cd ABCé X1Y2z 1990's 1990'x 15th G20 A",
            "Russia's countries' O'Brien didn't DIDN\u{2019}T `quoted` end.",
            "Mr. Smith met U.S. envoy S. Jaishankar. He left.\nHeadline Here\nNext line.",
            "Ÿves\u{a0}ÉTATSUnis 3\u{2212}2 ½ Zürich's café's ABCÜber",
        ] {
            assert_eq!(
                tokenize_with::<true>(text),
                tokenize_with::<false>(text),
                "{text}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn fast_path_agrees_with_general_path(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "a", "b", "s", "t", "n", "x", "A", "B", "S", "T", "N", "Q", "0", "7",
                    "'", "`", "\u{2019}", "\u{2bc}", " ", "\n", "\t", ".", "!", "?", "\"",
                    "(", ")", "[", ",", "-", ":", "é", "É", "ß", "ǅ", "½", "²", "\u{2014}",
                    "\u{201c}", "\u{201d}", "\u{a0}", "\u{2028}", "Mr", "no", "n't", "IANS",
                ][..]),
                0..40,
            )
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(tokenize_with::<true>(&text), tokenize_with::<false>(&text));
        }
    }

    #[test]
    fn negations_split_with_any_apostrophe() {
        let d = Document::new("t", "DIDN\u{2019}T can't n't");
        let norms: Vec<&str> = d.tokens.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(norms, ["did", "n't", "ca", "n't", "n't"]);
        assert_eq!(d.token_text(1), "N\u{2019}T");
        assert!(d.tokens[0].capitalized && !d.tokens[1].capitalized);
    }

    #[test]
    fn a_split_negation_can_start_a_sentence() {
        // U+02BC is a letter, so "\u{2bc}n't" is one word, split to "\u{2bc}" + "n't"; the
        // first then reads as an opening quote.
        let d = Document::new("t", "They left. \u{2bc}n't x");
        assert_eq!(d.tokens[3].norm, "'");
        assert_eq!(d.sentences.len(), 2);
    }

    /// [`normalize`] as it was first written: character by character.
    fn normalize_char_by_char(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' | '\u{00b4}' => out.push('\''),
                '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{00ab}' | '\u{00bb}' => out.push('"'),
                '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                _ => out.extend(c.to_lowercase()),
            }
        }
        out
    }

    #[test]
    fn cached_lowercase_agrees_with_char() {
        let cached = (0x80..0x800).filter_map(char::from_u32);
        // Twice: the first call fills the cache, the second reads it.
        for _ in 0..2 {
            for c in cached.clone().chain(['\u{1e9e}', '\u{10400}']) {
                let mut out = String::new();
                push_lowercase(&mut out, c);
                assert_eq!(out, c.to_lowercase().collect::<String>(), "{c:?}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn normalize_agrees_with_char_by_char(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "a", "Z", "`", "'", "-", " ", "é", "É", "\u{130}", "ß", "Σ", "\u{2019}",
                    "\u{201c}", "\u{2014}", "\u{2212}", "\u{b4}", "\u{ab}", "\u{1e9e}", "½",
                    "\u{2bc}", "Ǆ", "Ⅻ", "\u{10400}",
                ][..]),
                0..12,
            )
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(normalize(&text), normalize_char_by_char(&text));
        }
    }

    #[test]
    fn normalize_folds_and_lowercases() {
        assert_eq!(
            normalize("`Quote\u{2019}s\u{2013}ÉTÉ\u{201c}"),
            "'quote's-été\""
        );
        assert_eq!(normalize("ABC`"), "abc'");
        // One character that lowercases to two.
        assert_eq!(normalize("\u{130}STANBUL"), "i\u{307}stanbul");
    }

    #[test]
    fn non_ascii_letters_and_spaces() {
        assert_eq!(
            words("Ÿves\u{a0}ÉTATSUnis 3\u{2212}2 ½"),
            ["Ÿves", "ÉTATS", "Unis", "3", "\u{2212}", "2", "½"]
        );
        let d = Document::new("t", "Il a dit.\u{2028}Éric est là.");
        assert_eq!(d.sentences.len(), 2);
    }

    #[test]
    fn empty_and_odd_input() {
        assert!(Document::new("t", "").sentences.is_empty());
        assert_eq!(Document::new("t", "\u{0}\u{1}é").tokens.len(), 1);
    }
}
