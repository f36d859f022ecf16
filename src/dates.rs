//! Dates in text: the article's own date line, and dates inside a sentence, made absolute.
//!
//! Input: a [`Document`] and a token range. Output: ISO dates (`YYYY-MM-DD`, or `YYYY-MM`
//! when the day is not given). Forms read: "August 15", "15 August", "Aug. 15, 2025",
//! "2025-08-15", "17.07.2025" (day first), and weekdays ("on Monday"), which need the
//! article's date. A date without a year takes the article's year, or the year before when
//! that would put it more than a week after the article.

use std::ops::Range;

use crate::text::{Document, TokenKind};

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u32,
    /// Day, 1-31.
    pub day: u32,
}

impl Date {
    /// A valid date, or `None`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    pub fn days(self) -> i64 {
        let (y, m, d) = (self.year as i64, self.month as i64, self.day as i64);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    /// The date `n` days from this one.
    pub fn add_days(self, n: i64) -> Date {
        let z = self.days() + n + 719468;
        let era = z.div_euclid(146097);
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 0 = Monday ... 6 = Sunday.
    pub fn weekday(self) -> u32 {
        (self.days() + 3).rem_euclid(7) as u32
    }
}

/// `YYYY-MM-DD`, or `YYYY-MM` without a day: what `format!("{year:04}-{month:02}-{day:02}")`
/// writes, without the formatting machinery (a date is written for many sentences).
fn iso(year: i32, month: u32, day: Option<u32>) -> String {
    let plain = (0..=9999).contains(&year) && month <= 99 && day.is_none_or(|d| d <= 99);
    if !plain {
        return match day {
            Some(d) => format!("{year:04}-{month:02}-{d:02}"),
            None => format!("{year:04}-{month:02}"),
        };
    }
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let year = year as u32;
    let mut out = String::with_capacity(10);
    for p in [1000, 100, 10, 1] {
        out.push(digit(year / p));
    }
    for part in [Some(month), day].into_iter().flatten() {
        out.push('-');
        out.push(digit(part / 10));
        out.push(digit(part));
    }
    out
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date as written: some parts may be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Written {
    Full {
        year: Option<i32>,
        month: u32,
        day: Option<u32>,
    },
    Weekday(u32),
}

/// The month `word` names (a lowercase norm: full, three letters, "sept", dots after).
#[inline]
fn month_number(word: &str) -> Option<u32> {
    // Most capitalised words asked about are names: inline, most fail on the first letter
    // of every month form without a call.
    let prefix = word.as_bytes().first_chunk::<3>()?;
    if !matches!(
        prefix[0],
        b'j' | b'f' | b'm' | b'a' | b's' | b'o' | b'n' | b'd'
    ) {
        return None;
    }
    month_with_prefix(word, prefix)
}

/// [`month_number`] of a word that starts with `prefix`, its first three bytes.
fn month_with_prefix(word: &str, prefix: &[u8; 3]) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    // No two months share their first three letters, so those pick the one candidate: its
    // full name, its three-letter form, or "sept". They are compared before anything is
    // trimmed (a month's first three letters are not dots, so trimming leaves them be).
    let p = MONTHS
        .iter()
        .position(|m| m.as_bytes().first_chunk::<3>() == Some(prefix))?;
    let w = word.trim_end_matches('.');
    let month = MONTHS[p];
    let ok = month == w || (month.starts_with(w) && (w.len() == 3 || w == "sept"));
    ok.then_some(p as u32 + 1)
}

fn weekday_number(word: &str) -> Option<u32> {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    // Most words fail on length alone ("monday" to "wednesday": six to nine letters).
    if !(6..=9).contains(&word.len()) {
        return None;
    }
    DAYS.iter().position(|d| *d == word).map(|p| p as u32)
}

fn number(doc: &Document, i: usize) -> Option<u32> {
    let t = doc.tokens.get(i)?;
    if t.kind != TokenKind::Number || t.norm.len() > 4 {
        return None;
    }
    t.norm.parse().ok()
}

/// Whether tokens `i` and `i + 1` touch (no space between).
fn glued(doc: &Document, i: usize) -> bool {
    doc.tokens.get(i + 1).is_some_and(|t| !t.space_before)
}

/// An all-numeric date of five glued tokens at `i`: year first with `-` ("2025-08-15"), or
/// day first with `.` or `/` ("17.07.2025").
fn numeric_date(doc: &Document, i: usize, year_first: bool) -> Option<Date> {
    let year = |k: usize| number(doc, k).filter(|y| (1800..=2200).contains(y));
    let (y, m, d) = if year_first {
        (year(i)?, number(doc, i + 2)?, number(doc, i + 4)?)
    } else {
        (year(i + 4)?, number(doc, i + 2)?, number(doc, i)?)
    };
    let separators = [i + 1, i + 3].iter().all(|&k| {
        doc.tokens.get(k).is_some_and(|t| {
            if year_first {
                t.norm == "-"
            } else {
                t.norm == "." || t.norm == "/"
            }
        })
    });
    if !separators || !glued(doc, i) || !glued(doc, i + 2) {
        return None;
    }
    Date::new(y as i32, m, d)
}

/// The written dates in a token range, in order, each with the tokens it covers; read
/// lazily, so that a caller after the first date reads no further.
struct WrittenDates<'d> {
    doc: &'d Document,
    /// The next token to read.
    next: usize,
    /// One past the last token that may start a date.
    end: usize,
}

/// Reads the written dates in `tokens` (see [`WrittenDates`]).
fn written_dates(doc: &Document, tokens: Range<usize>) -> WrittenDates<'_> {
    WrittenDates {
        doc,
        next: tokens.start,
        end: tokens.end.min(doc.tokens.len()),
    }
}

impl Iterator for WrittenDates<'_> {
    type Item = (Range<usize>, Written);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.end {
            let i = self.next;
            if let Some((end, written)) = date_at(self.doc, i) {
                self.next = end;
                return Some((i..end, written));
            }
            self.next += 1;
        }
        None
    }
}

/// The day of the month written as token `k`, if it is a number from 1 to 31.
fn day_at(doc: &Document, k: usize) -> Option<u32> {
    number(doc, k).filter(|d| (1..=31).contains(d))
}

/// `k`, or one past it when token `k` is the suffix of "15th" or "1st".
fn after_ordinal_suffix(doc: &Document, k: usize) -> usize {
    let suffix = doc
        .tokens
        .get(k)
        .is_some_and(|t| matches!(t.norm.as_str(), "st" | "nd" | "rd" | "th"));
    k + usize::from(suffix)
}

/// The date written from token `i` on, and the end of its tokens.
fn date_at(doc: &Document, i: usize) -> Option<(usize, Written)> {
    let t = &doc.tokens[i];
    let year_at = |k: usize| number(doc, k).filter(|y| (1800..=2200).contains(y));
    match t.kind {
        TokenKind::Number => {
            // 2025-08-15, and 17.07.2025 or 17/07/2025 (day first, as outside the US).
            let numeric = numeric_date(doc, i, true).or_else(|| numeric_date(doc, i, false));
            if let Some(date) = numeric {
                let written = Written::Full {
                    year: Some(date.year),
                    month: date.month,
                    day: Some(date.day),
                };
                return Some((i + 5, written));
            }
            // Day first: "15 August 2025", "15th of August".
            let d = day_at(doc, i)?;
            let mut k = after_ordinal_suffix(doc, i + 1);
            if doc.tokens.get(k).is_some_and(|t| t.norm == "of") {
                k += 1;
            }
            let m = doc
                .tokens
                .get(k)
                .filter(|t| t.capitalized)
                .and_then(|t| month_number(&t.norm))?;
            let mut e = k + 1;
            let mut year = None;
            if let Some(y) = year_at(e) {
                year = Some(y as i32);
                e += 1;
            }
            let written = Written::Full {
                year,
                month: m,
                day: Some(d),
            };
            Some((e, written))
        }
        TokenKind::Word if t.capitalized => {
            // Month first: "August 15", "Aug. 15, 2025", "October 2025".
            if let Some(m) = month_number(&t.norm) {
                let mut k = i + 1;
                if doc
                    .tokens
                    .get(k)
                    .is_some_and(|t| t.norm == "." && !t.space_before)
                {
                    k += 1;
                }
                if let Some(d) = day_at(doc, k) {
                    let mut e = after_ordinal_suffix(doc, k + 1);
                    let mut year = None;
                    if doc.tokens.get(e).is_some_and(|t| t.norm == ",") {
                        if let Some(y) = year_at(e + 1) {
                            year = Some(y as i32);
                            e += 2;
                        }
                    } else if let Some(y) = year_at(e) {
                        year = Some(y as i32);
                        e += 1;
                    }
                    let written = Written::Full {
                        year,
                        month: m,
                        day: Some(d),
                    };
                    return Some((e, written));
                }
                if let Some(y) = year_at(k) {
                    let written = Written::Full {
                        year: Some(y as i32),
                        month: m,
                        day: None,
                    };
                    return Some((k + 1, written));
                }
                // A bare "May" is too often a verb or name to be a date.
            }
            weekday_number(&t.norm).map(|w| (i + 1, Written::Weekday(w)))
        }
        _ => None,
    }
}

/// The article's own date: the first full date (with a year) near its top, where wire copy
/// puts its date line ("Updated: Wednesday, October 01, 2025", "LONDON 1996-08-30").
pub fn document_date(doc: &Document) -> Option<Date> {
    date_line(doc).map(|l| l.date)
}

/// The article's date and the tokens that write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateLine {
    /// The date.
    pub date: Date,
    /// The tokens that write it (empty when the date was not read from the text).
    pub tokens: Range<usize>,
}

/// The article's date line, found once per document (see [`document_date`]).
pub fn date_line(doc: &Document) -> Option<DateLine> {
    // Tokens are sorted: the first starting past byte 800 is found by bisection.
    let limit = doc.tokens.partition_point(|t| t.start <= 800);
    written_dates(doc, 0..limit).find_map(|(r, w)| match w {
        Written::Full {
            year: Some(y),
            month,
            day: Some(d),
        } => Date::new(y, month, d).map(|date| DateLine { date, tokens: r }),
        _ => None,
    })
}

/// The first date written in `tokens`, made absolute with the article's date where needed:
/// `YYYY-MM-DD`, or `YYYY-MM` for a month.
///
/// The article's own date line is not a date of the sentence that holds it ("WASHINGTON,
/// June 3, 2025 (AP) - Rubio met Jaishankar on Monday" is about Monday).
pub fn first_date(doc: &Document, tokens: Range<usize>, line: Option<&DateLine>) -> Option<String> {
    let article = line.map(|l| l.date);
    for (r, w) in written_dates(doc, tokens) {
        if line.is_some_and(|l| l.tokens.start < r.end && r.start < l.tokens.end) {
            continue;
        }
        match w {
            Written::Full {
                year: Some(y),
                month,
                day: Some(d),
            } => {
                if let Some(date) = Date::new(y, month, d) {
                    return Some(iso(date.year, date.month, Some(date.day)));
                }
            }
            Written::Full {
                year: Some(y),
                month,
                day: None,
            } => {
                return Some(iso(y, month, None));
            }
            Written::Full {
                year: None,
                month,
                day: Some(d),
            } => {
                let a = article?;
                let mut date = Date::new(a.year, month, d)?;
                if date.days() > a.days() + 7 {
                    date = Date::new(a.year - 1, month, d)?;
                }
                return Some(iso(date.year, date.month, Some(date.day)));
            }
            Written::Full {
                year: None,
                day: None,
                ..
            } => {}
            Written::Weekday(w) => {
                // Wire copy speaks of the past days: the latest such weekday on or before
                // the article's date.
                let a = article?;
                let back = (a.weekday() + 7 - w) % 7;
                let date = a.add_days(-(back as i64));
                return Some(iso(date.year, date.month, Some(date.day)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str, article: Option<Date>) -> Option<String> {
        let d = Document::new("t", text);
        let line = article.map(|date| DateLine { date, tokens: 0..0 });
        first_date(&d, 0..d.tokens.len(), line.as_ref())
    }

    #[test]
    fn iso_writes_as_format_does() {
        for year in [-12345, -5, 0, 7, 999, 1996, 2025, 9999, 10000, 123456] {
            for month in [1, 9, 12, 100] {
                for day in [1, 10, 31, 100] {
                    let full = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(iso(year, month, Some(day)), full);
                }
                assert_eq!(iso(year, month, None), format!("{year:04}-{month:02}"));
            }
        }
    }

    #[test]
    fn month_forms() {
        for (w, m) in [
            ("sept", 9),
            ("sep", 9),
            ("september", 9),
            ("may", 5),
            ("dec.", 12),
        ] {
            assert_eq!(month_number(w), Some(m), "{w}");
        }
        for w in ["septe", "ma", "mayo", "decembers", "", "é"] {
            assert_eq!(month_number(w), None, "{w}");
        }
    }

    #[test]
    fn calendar_arithmetic() {
        let d = Date::new(2025, 10, 1).unwrap();
        assert_eq!(d.weekday(), 2); // a Wednesday
        assert_eq!(d.add_days(-47).to_string(), "2025-08-15");
        assert_eq!(
            Date::new(2024, 2, 29).unwrap().add_days(366).to_string(),
            "2025-03-01"
        );
        assert!(Date::new(2025, 2, 29).is_none());
    }

    #[test]
    fn date_lines() {
        let d = Document::new(
            "t",
            "Title\nIANSUpdated: Wednesday, October 01, 2025, 06:43 PM IST\nText.",
        );
        assert_eq!(document_date(&d), Date::new(2025, 10, 1));
        let d = Document::new("t", "CRICKET.\nLONDON 1996-08-30\nText.");
        assert_eq!(document_date(&d), Date::new(1996, 8, 30));
        let d = Document::new("t", "ANKARA, 17.07.2025 (AA) - Text.");
        assert_eq!(document_date(&d), Date::new(2025, 7, 17));
        assert_eq!(document_date(&Document::new("t", "No date here.")), None);
    }

    #[test]
    fn the_date_line_is_not_the_date_of_its_sentence() {
        let d = Document::new("t", "WASHINGTON, June 3, 2025 (AP) - They met on Monday.");
        let line = date_line(&d);
        assert_eq!(
            first_date(&d, 0..d.tokens.len(), line.as_ref()).as_deref(),
            Some("2025-06-02")
        );
    }

    #[test]
    fn sentence_dates_made_absolute() {
        let oct1 = Date::new(2025, 10, 1);
        assert_eq!(
            first("On August 15, they met.", oct1).as_deref(),
            Some("2025-08-15")
        );
        assert_eq!(first("on 15 August", oct1).as_deref(), Some("2025-08-15"));
        assert_eq!(first("on Dec. 20", oct1).as_deref(), Some("2024-12-20"));
        assert_eq!(first("on Monday", oct1).as_deref(), Some("2025-09-29"));
        assert_eq!(first("on Wednesday", oct1).as_deref(), Some("2025-10-01"));
        assert_eq!(first("in March 2024", oct1).as_deref(), Some("2024-03"));
        assert_eq!(first("On August 15", None), None);
        assert_eq!(first("May I go?", oct1), None);
    }
}
