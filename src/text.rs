//! Text stage: a document's sentences and tokens.
//!
//! Input: one document's UTF-8 text. Output: a [`Document`] holding tokens and sentences as
//! byte spans into that text (never copies of it), sorted and non-overlapping. Every byte
//! offset kept here lies on a `char` boundary.
//!
//! Tokens are what the gazetteer matcher aligns to: a gazetteer hit must start where a token
//! starts and end where a token ends, so "US" never fires inside "USA" or "Russian".

use std::ops::Range;

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

/// Abbreviations after which a period does not end a sentence. Titles and month forms that
/// precede a capitalised word in news copy; single letters (initials, "U.S.") are handled
/// separately.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "sgt", "capt", "cmdr", "adm", "sen",
    "rep", "gov", "st", "jan", "feb", "aug", "sept", "oct", "nov", "dec", "vs", "jr", "sr", "rev",
    "hon", "maj", "brig", "insp", "supt", "messrs", "mt", "ft", "cf",
];

impl Document {
    /// Tokenises and sentence-splits `text`.
    ///
    /// ```
    /// let doc = kgbuild::Document::new("a.txt", "Mr. Smith met U.S. officials. He left.");
    /// assert_eq!(doc.sentences.len(), 2);
    /// ```
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        let text = text.into();
        let tokens = tokenize(&text);
        let sentences = split_sentences(&text, &tokens);
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
    // Most tokens are plain ASCII with nothing to fold but the case.
    if s.bytes().all(|b| b.is_ascii() && b != b'`') {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
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

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02bc}')
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

fn tokenize(text: &str) -> Vec<Token> {
    // Tokens never span white space, so each run between white space is tokenised on its
    // own: the per-character table then costs memory for the longest run, not for the whole
    // text (100 MB of mostly spaces used to take 1.7 GB). A run of ASCII (most of them) is
    // read byte by byte, without decoding it into the table at all.
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    // The characters of the current non-ASCII run, a buffer reused from run to run.
    let mut chars = Vec::new();
    // ASCII white space and control characters: 0x00..=0x20 and DEL.
    let ascii_space = |x: u8| x <= b' ' || x == 0x7f;
    // (white space?, width) of the character at byte `b`.
    let class = |b: usize| {
        if bytes[b] < 0x80 {
            (ascii_space(bytes[b]), 1)
        } else {
            let c = text[b..].chars().next().expect("b is a char boundary");
            (is_space(c), c.len_utf8())
        }
    };
    let mut b = 0;
    loop {
        while b < bytes.len() {
            if bytes[b] < 0x80 {
                if !ascii_space(bytes[b]) {
                    break;
                }
                b += 1;
                continue;
            }
            let (space, width) = class(b);
            if !space {
                break;
            }
            b += width;
        }
        if b == bytes.len() {
            break;
        }
        let start = b;
        let mut ascii = true;
        while b < bytes.len() {
            let x = bytes[b];
            // Plain ASCII, the common case, in a tight loop.
            if x < 0x80 {
                if ascii_space(x) {
                    break;
                }
                b += 1;
                continue;
            }
            let (space, width) = class(b);
            if space {
                break;
            }
            ascii &= width == 1;
            b += width;
        }
        tokenize_any_run(text, start..b, ascii, &mut chars, &mut tokens);
    }
    split_negations(text, tokens)
}

/// Tokenises the run `text[run]`, reading its bytes directly when it is all ASCII.
fn tokenize_any_run(
    text: &str,
    run: Range<usize>,
    ascii: bool,
    chars: &mut Vec<(usize, char)>,
    tokens: &mut Vec<Token>,
) {
    if ascii {
        let run = AsciiRun {
            bytes: &text.as_bytes()[run.clone()],
            start: run.start,
        };
        tokenize_run(text, &run, tokens);
    } else {
        chars.clear();
        chars.extend(
            text[run.clone()]
                .char_indices()
                .map(|(b, c)| (run.start + b, c)),
        );
        let run = DecodedRun {
            chars,
            end: run.end,
        };
        tokenize_run(text, &run, tokens);
    }
}

/// The characters of a run without white space, by index.
trait RunChars {
    /// Number of characters.
    fn len(&self) -> usize;
    /// Character `i`, if `i < len()`.
    fn get(&self, i: usize) -> Option<char>;
    /// Byte offset (in the text) of character `i`; the run's end for `i == len()`.
    fn byte_at(&self, i: usize) -> usize;
}

/// An all-ASCII run: character `i` is byte `i`.
struct AsciiRun<'t> {
    bytes: &'t [u8],
    start: usize,
}

impl RunChars for AsciiRun<'_> {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn get(&self, i: usize) -> Option<char> {
        self.bytes.get(i).map(|&b| char::from(b))
    }

    fn byte_at(&self, i: usize) -> usize {
        self.start + i
    }
}

/// Any other run, decoded into (byte offset, char) pairs.
struct DecodedRun<'c> {
    chars: &'c [(usize, char)],
    end: usize,
}

impl RunChars for DecodedRun<'_> {
    fn len(&self) -> usize {
        self.chars.len()
    }

    fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|&(_, c)| c)
    }

    fn byte_at(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.end, |&(b, _)| b)
    }
}

/// Tokenises a run without white space, appending to `tokens`.
fn tokenize_run<C: RunChars>(text: &str, chars: &C, tokens: &mut Vec<Token>) {
    let n = chars.len();
    let at = |i: usize| chars.get(i).expect("index below the run's length");
    let mut i = 0;
    let mut space_before = true;
    while i < n {
        let c = at(i);
        if is_space(c) {
            space_before = true;
            i += 1;
            continue;
        }
        let start = i;
        let kind;
        if c.is_alphanumeric() {
            let numeric = c.is_numeric();
            i += 1;
            while i < n {
                let c = at(i);
                if c.is_alphanumeric() {
                    // Letters then digits stay one word ("G20"); digits then letters split
                    // ("15th" -> "15" "th") so dates read as numbers.
                    if numeric && !c.is_numeric() {
                        break;
                    }
                    // A glued byline: "IANSUpdated" -> "IANS" | "Updated".
                    if c.is_uppercase()
                        && chars.get(i + 1).is_some_and(char::is_lowercase)
                        && i - start >= 2
                        && (start..i).all(|k| at(k).is_uppercase())
                    {
                        break;
                    }
                    i += 1;
                } else if is_apostrophe(c)
                    && chars.get(i + 1).is_some_and(char::is_alphabetic)
                    && !is_possessive_at(chars, i)
                {
                    i += 1; // inner apostrophe: O'Brien, d'Estaing
                } else {
                    break;
                }
            }
            kind = if numeric {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
        } else if is_apostrophe(c) && is_possessive_at(chars, i) {
            i += 2; // possessive "'s"
            kind = TokenKind::Word;
        } else if is_apostrophe(c)
            && tokens
                .last()
                .is_some_and(|t: &Token| t.end == chars.byte_at(i) && t.norm.ends_with('s'))
            && chars.get(i + 1).is_none_or(|n| !n.is_alphanumeric())
        {
            i += 1; // plural possessive "countries'"
            kind = TokenKind::Word;
        } else {
            i += 1;
            kind = TokenKind::Punct;
        }
        let (s, e) = (chars.byte_at(start), chars.byte_at(i));
        let raw = &text[s..e];
        tokens.push(Token {
            start: s,
            end: e,
            kind,
            norm: normalize(raw),
            capitalized: raw.chars().next().is_some_and(char::is_uppercase),
            space_before,
        });
        space_before = false;
    }
}

/// `'s` at `i` followed by a non-letter: the possessive clitic.
fn is_possessive_at<C: RunChars>(chars: &C, i: usize) -> bool {
    chars.get(i).is_some_and(is_apostrophe)
        && chars.get(i + 1).is_some_and(|n| matches!(n, 's' | 'S'))
        && chars.get(i + 2).is_none_or(|n| !n.is_alphanumeric())
        && i > 0
        && chars.get(i - 1).is_some_and(char::is_alphanumeric)
}

/// Splits "didn't", "can't", "won't" into the verb and "n't", so that rules can see the
/// negation as a token of its own.
fn split_negations(text: &str, tokens: Vec<Token>) -> Vec<Token> {
    let splits =
        |t: &Token| t.kind == TokenKind::Word && t.norm.len() > 3 && t.norm.ends_with("n't");
    // Most documents have none: keep the vector rather than moving every token.
    if !tokens.iter().any(splits) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        if splits(&t) {
            let raw = &text[t.start..t.end];
            // "n't" is three chars; the apostrophe may be multi-byte.
            let cut = raw
                .char_indices()
                .rev()
                .nth(2)
                .map_or(t.start, |(b, _)| t.start + b);
            let verb_norm = normalize(&text[t.start..cut]);
            out.push(Token {
                start: t.start,
                end: cut,
                kind: TokenKind::Word,
                norm: verb_norm,
                capitalized: t.capitalized,
                space_before: t.space_before,
            });
            out.push(Token {
                start: cut,
                end: t.end,
                kind: TokenKind::Word,
                norm: "n't".to_string(),
                capitalized: false,
                space_before: false,
            });
        } else {
            out.push(t);
        }
    }
    out
}

fn split_sentences(text: &str, tokens: &[Token]) -> Vec<Sentence> {
    let mut sentences = Vec::new();
    let mut first = 0;
    for i in 0..tokens.len() {
        let end_here = i + 1 == tokens.len() || ends_sentence(text, tokens, i);
        if end_here {
            sentences.push(Sentence {
                start: tokens[first].start,
                end: tokens[i].end,
                tokens: first..i + 1,
            });
            first = i + 1;
        }
    }
    sentences
}

/// Whether a sentence ends after token `i` (which has a successor).
fn ends_sentence(text: &str, tokens: &[Token], i: usize) -> bool {
    let t = &tokens[i];
    let next = &tokens[i + 1];
    let gap = &text[t.end..next.start];
    let newlines = gap.matches('\n').count();
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
    if gap.is_empty() {
        // Closing quote or bracket glued to the terminator: end after it, not before.
        return false;
    }
    let terminator = |tok: &Token| matches!(tok.norm.as_str(), "." | "!" | "?");
    let closing = |tok: &Token| matches!(tok.norm.as_str(), "\"" | "'" | ")");
    let (term_idx, ok) = if terminator(t) {
        (i, true)
    } else if closing(t) && i > 0 && terminator(&tokens[i - 1]) {
        (i - 1, true)
    } else {
        (i, false)
    };
    if !ok {
        return false;
    }
    let starts_new = next.capitalized
        || next.kind == TokenKind::Number
        || matches!(next.norm.as_str(), "\"" | "'" | "(" | "[");
    if !starts_new {
        return false;
    }
    if tokens[term_idx].norm == "." && term_idx > 0 {
        let prev = &tokens[term_idx - 1];
        if prev.end == tokens[term_idx].start && prev.kind == TokenKind::Word {
            let single_letter = prev.norm.chars().count() == 1;
            // "No. 10": a number after "No." continues the sentence.
            let number_sign = prev.norm == "no" && next.kind == TokenKind::Number;
            if single_letter || number_sign || ABBREVIATIONS.contains(&prev.norm.as_str()) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn empty_and_odd_input() {
        assert!(Document::new("t", "").sentences.is_empty());
        assert_eq!(Document::new("t", "\u{0}\u{1}é").tokens.len(), 1);
    }
}
