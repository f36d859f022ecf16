//! Gazetteer stage: loading entries and finding them in text.
//!
//! Input: TSV files in the format of `docs/gazetteer.md`. Output: a [`Gazetteer`] (the
//! entries, by id) and a compiled [`Matcher`] that finds names in a [`Document`], aligned
//! to token boundaries, leftmost-longest, with the per-entry case policy applied by
//! generating case variants at build time (the automaton itself is case-sensitive, which
//! keeps "US" from firing on "us").
//!
//! Errors name the file and line of the offending entry.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

use crate::error::Error;
use crate::text::Document;

include!(concat!(env!("OUT_DIR"), "/bundled_gazetteer.rs"));

/// The kind of thing an entry names.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum EntityType {
    /// A person.
    Person,
    /// A company, government body, party, agency, international organisation...
    Organization,
    /// A country, city, region...
    Location,
    /// Anything else worth a node (events, laws, nationalities without a country).
    Misc,
}

impl EntityType {
    /// The name used in files and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Person => "Person",
            EntityType::Organization => "Organization",
            EntityType::Location => "Location",
            EntityType::Misc => "Misc",
        }
    }

    /// Parses the name used in files.
    pub fn parse(s: &str) -> Option<EntityType> {
        Some(match s {
            "Person" => EntityType::Person,
            "Organization" => EntityType::Organization,
            "Location" => EntityType::Location,
            "Misc" => EntityType::Misc,
            _ => return None,
        })
    }
}

/// What a gazetteer entry is: an entity, or a lexicon word the rules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// Names an entity that becomes a node of the graph.
    Entity(EntityType),
    /// A lexicon entry (title, verb, cue); its subtype is the category.
    Lexicon,
}

/// One name or alias of an entry, with its markers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The surface form.
    pub text: String,
    /// `=`: match only as written.
    pub exact_case: bool,
    /// `@`: an adjective or demonym referring to the entry.
    pub demonym: bool,
}

/// One gazetteer entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Stable id.
    pub id: String,
    /// Entity type or lexicon.
    pub kind: EntryKind,
    /// Finer kind (`country`, `news_agency`; for lexicon entries the category).
    pub subtype: String,
    /// Canonical name.
    pub name: String,
    /// Other names.
    pub aliases: Vec<Alias>,
    /// `key=value` attributes.
    pub attributes: BTreeMap<String, String>,
    /// Where the entry was read: `file:line`.
    pub origin: String,
}

impl Entry {
    /// An attribute's value.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// The entity type, for entries that are entities.
    pub fn entity_type(&self) -> Option<EntityType> {
        match self.kind {
            EntryKind::Entity(t) => Some(t),
            EntryKind::Lexicon => None,
        }
    }

    fn population(&self) -> u64 {
        self.attr("population")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }
}

/// A set of entries with unique ids.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
}

impl Gazetteer {
    /// An empty gazetteer.
    pub fn new() -> Gazetteer {
        Gazetteer::default()
    }

    /// The gazetteer compiled into the binary (the files under `gazetteer/`).
    ///
    /// ```
    /// let g = kgbuild::Gazetteer::bundled();
    /// assert!(g.get("russia").is_some());
    /// ```
    pub fn bundled() -> &'static Gazetteer {
        static BUNDLED: OnceLock<Gazetteer> = OnceLock::new();
        BUNDLED.get_or_init(|| {
            let mut g = Gazetteer::new();
            for (name, text) in BUNDLED_GAZETTEER {
                // The bundled files are checked by a unit test, so failure here is a build
                // defect, not a user error.
                g.add_source(text, Path::new(&format!("<bundled>/{name}")))
                    .expect("bundled gazetteer is valid");
            }
            g
        })
    }

    /// The lexicon part of the bundled gazetteer (entries of type `Lexicon`), which the
    /// bundled rules need even when the user brings all the names.
    pub fn bundled_lexicon() -> Gazetteer {
        let mut g = Gazetteer::new();
        for e in Gazetteer::bundled().entries() {
            if e.kind == EntryKind::Lexicon {
                g.by_id.insert(e.id.clone(), g.entries.len());
                g.entries.push(e.clone());
            }
        }
        g
    }

    /// All entries in load order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Loads a file, or every `*.tsv` file below a folder (sorted by path), and adds its
    /// entries.
    ///
    /// # Errors
    /// A missing or unreadable file, a non-UTF-8 file, a malformed line or a duplicate id.
    pub fn add_path(&mut self, path: &Path) -> Result<(), Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_tsv(path, &mut files).map_err(|e| Error::io(path, e))?;
            if files.is_empty() {
                return Err(Error::gazetteer(
                    path,
                    0,
                    None,
                    "folder holds no *.tsv file",
                ));
            }
            files.sort();
            for f in files {
                self.add_file(&f)?;
            }
            Ok(())
        } else {
            self.add_file(path)
        }
    }

    fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, col) = crate::error::utf8_position(&e);
            Error::gazetteer(path, line, Some(col), "file is not valid UTF-8")
        })?;
        self.add_source(&text, path)
    }

    /// Parses entries from `text` (named `path` in errors) and adds them.
    ///
    /// ```
    /// let mut g = kgbuild::Gazetteer::new();
    /// g.add_source("acme\tOrganization\tcompany\tAcme Corp\tAcme\t", "my.tsv".as_ref())?;
    /// assert_eq!(g.get("acme").unwrap().name, "Acme Corp");
    /// # Ok::<(), kgbuild::Error>(())
    /// ```
    ///
    /// # Errors
    /// The first malformed line or duplicate id, with file and line.
    pub fn add_source(&mut self, text: &str, path: &Path) -> Result<(), Error> {
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line, path, line_no)?;
            if let Some(&prev) = self.by_id.get(&entry.id) {
                return Err(Error::gazetteer(
                    path,
                    line_no,
                    Some(1),
                    format!(
                        "duplicate id `{}` (first defined at {})",
                        entry.id, self.entries[prev].origin
                    ),
                ));
            }
            self.by_id.insert(entry.id.clone(), self.entries.len());
            self.entries.push(entry);
        }
        Ok(())
    }
}

fn collect_tsv(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            collect_tsv(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "tsv") {
            out.push(p);
        }
    }
    Ok(())
}

fn parse_line(line: &str, path: &Path, line_no: usize) -> Result<Entry, Error> {
    let fields: Vec<&str> = line.split('\t').collect();
    // Column (1-based, in characters) where field `i` starts, for error messages.
    let column = |i: usize| -> usize {
        fields[..i.min(fields.len())]
            .iter()
            .map(|f| f.chars().count() + 1)
            .sum::<usize>()
            + 1
    };
    let err = |i: usize, msg: String| Error::gazetteer(path, line_no, Some(column(i)), msg);
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
    let kind = match fields[1] {
        "Lexicon" => EntryKind::Lexicon,
        t => match EntityType::parse(t) {
            Some(t) => EntryKind::Entity(t),
            None => {
                return Err(err(
                    1,
                    format!(
                        "unknown type `{t}`: expected Person, Organization, Location, Misc or Lexicon"
                    ),
                ));
            }
        },
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
            aliases.push(Alias {
                text: text.trim().to_string(),
                exact_case,
                demonym,
            });
        }
    }
    let mut attributes = BTreeMap::new();
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
            attributes.insert(k.to_string(), v.to_string());
        }
    }
    Ok(Entry {
        id: id.to_string(),
        kind,
        subtype: subtype.to_string(),
        name: name.to_string(),
        aliases,
        attributes,
        origin: format!("{}:{line_no}", path.display()),
    })
}

/// How a hit names its entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HitVia {
    /// The canonical name.
    Name,
    /// An alias.
    Alias,
    /// A demonym or adjective (`@` alias).
    Demonym,
}

/// One match of a gazetteer entry in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Byte span start.
    pub start: usize,
    /// Byte span end (exclusive).
    pub end: usize,
    /// Index into [`Gazetteer::entries`].
    pub entry: usize,
    /// How the text names the entry.
    pub via: HitVia,
    /// Other entries sharing this surface form (ambiguity), most likely first is `entry`.
    pub alternatives: Vec<usize>,
}

/// A compiled automaton over some of a gazetteer's entries.
#[derive(Clone, Debug)]
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    /// Per pattern: candidate (entry, via), best first.
    candidates: Vec<Vec<(usize, HitVia)>>,
}

impl Matcher {
    /// Compiles the surface forms (with case variants) of every entry that `select` accepts.
    ///
    /// # Errors
    /// Only if the automaton exceeds aho-corasick's size limits.
    pub fn build(gazetteer: &Gazetteer, select: impl Fn(&Entry) -> bool) -> Result<Matcher, Error> {
        let mut by_surface: HashMap<String, Vec<(usize, HitVia)>> = HashMap::new();
        for (i, e) in gazetteer.entries().iter().enumerate() {
            if !select(e) {
                continue;
            }
            let name = Alias {
                text: e.name.clone(),
                exact_case: false,
                demonym: false,
            };
            for (alias, via) in
                std::iter::once((&name, HitVia::Name)).chain(e.aliases.iter().map(|a| {
                    (
                        a,
                        if a.demonym {
                            HitVia::Demonym
                        } else {
                            HitVia::Alias
                        },
                    )
                }))
            {
                for variant in case_variants(alias) {
                    let list = by_surface.entry(variant).or_default();
                    // Entries come in order, so an earlier form of entry `i` is the last
                    // candidate: checking only that keeps this linear when thousands of
                    // entries share a form.
                    if list.last().is_none_or(|&(j, _)| j != i) {
                        list.push((i, via));
                    }
                }
            }
        }
        let mut surfaces: Vec<(String, Vec<(usize, HitVia)>)> = by_surface.into_iter().collect();
        surfaces.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, cands) in &mut surfaces {
            let entries = gazetteer.entries();
            // Most likely first: a name beats an alias, then a country beats a smaller place,
            // then population, then load order.
            cands.sort_by_key(|&(i, via)| {
                let e = &entries[i];
                (
                    via,
                    e.subtype != "country",
                    std::cmp::Reverse(e.population()),
                    i,
                )
            });
        }
        if surfaces.is_empty() {
            return Ok(Matcher {
                automaton: None,
                candidates: Vec::new(),
            });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(surfaces.iter().map(|(s, _)| s.as_str()))
            .map_err(|e| Error::gazetteer("<gazetteer>", 0, None, e.to_string()))?;
        Ok(Matcher {
            automaton: Some(automaton),
            candidates: surfaces.into_iter().map(|(_, c)| c).collect(),
        })
    }

    /// Finds non-overlapping hits that start and end on token boundaries, leftmost first and
    /// longest at each start.
    pub fn find(&self, doc: &Document) -> Vec<Hit> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        let mut next_free = 0;
        for (ti, tok) in doc.tokens.iter().enumerate() {
            if tok.start < next_free {
                continue;
            }
            let mut limit = doc.text.len();
            loop {
                let input = Input::new(&doc.text)
                    .range(tok.start..limit)
                    .anchored(Anchored::Yes);
                let Some(m) = ac.find(input) else { break };
                if doc.token_ending_at(m.end()).is_some() {
                    let cands = &self.candidates[m.pattern().as_usize()];
                    let (entry, via) = cands[0];
                    hits.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        entry,
                        via,
                        alternatives: cands[1..].iter().map(|c| c.0).collect(),
                    });
                    next_free = m.end();
                    break;
                }
                // The longest form ends inside a token: retry with the text cut at the last
                // token end before it, so a shorter form that fits can still match.
                let last_fit = doc.tokens[ti..]
                    .iter()
                    .take_while(|t| t.end < m.end())
                    .map(|t| t.end)
                    .last();
                match last_fit {
                    Some(e) if e > tok.start => limit = e,
                    _ => break,
                }
            }
        }
        hits
    }
}

/// The forms an alias matches under the case policy of `docs/gazetteer.md`.
fn case_variants(alias: &Alias) -> Vec<String> {
    let text = alias.text.as_str();
    let mut out = vec![text.to_string()];
    if !alias.exact_case {
        out.push(text.to_uppercase());
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
    out.sort();
    out.dedup();
    out
}

fn capitalize(word: &str) -> String {
    let mut cs = word.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaz(src: &str) -> Gazetteer {
        let mut g = Gazetteer::new();
        g.add_source(src, Path::new("t.tsv")).unwrap();
        g
    }

    fn hits(g: &Gazetteer, text: &str) -> Vec<(String, String)> {
        let m = Matcher::build(g, |_| true).unwrap();
        let d = Document::new("d", text);
        m.find(&d)
            .into_iter()
            .map(|h| {
                (
                    text[h.start..h.end].to_string(),
                    g.entries()[h.entry].id.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn bundled_gazetteer_loads() {
        let g = Gazetteer::bundled();
        assert!(g.len() > 100);
    }

    #[test]
    fn matches_respect_tokens_case_and_length() {
        let g = gaz(
            "us\tLocation\tcountry\tUnited States\t=US|U.S.|@American\t\n\
                     ny\tLocation\tcity\tNew York\t\t\n\
                     nyt\tOrganization\tnews_outlet\tNew York Times\t\t\n\
                     t\tLexicon\ttitle\tforeign minister\t\t\n",
        );
        let got = hits(
            &g,
            "Let us see: US and U.S. officials, the New York Times in New York.",
        );
        let want = [
            ("US", "us"),
            ("U.S.", "us"),
            ("New York Times", "nyt"),
            ("New York", "ny"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(hits(&g, "USA Americana New Yorker").is_empty());
        assert_eq!(hits(&g, "Foreign Minister")[0].1, "t");
        assert_eq!(hits(&g, "FOREIGN MINISTER")[0].1, "t");
        let g = gaz("s\tLexicon\ttitle\tsecretary of state\t\t\n");
        assert_eq!(
            hits(&g, "US Secretary of State Rubio")[0].0,
            "Secretary of State"
        );
    }

    #[test]
    fn shorter_form_matches_when_longest_ends_inside_a_word() {
        let g = gaz("ny\tLocation\tcity\tNew York\t\t\nnyc\tLocation\tcity\tNew York Cityx\t\t\n");
        assert_eq!(hits(&g, "New York Cityxyz")[0].0, "New York");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let mut g = Gazetteer::new();
        let e = g
            .add_source(
                "# c\nok\tPerson\tx\tA B\n\nbad id\tPerson\tx\tC\n",
                Path::new("f.tsv"),
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.tsv:4:1: bad id `bad id`: use lowercase ASCII letters, digits and `-`"
        );
        let e = Gazetteer::new()
            .add_source("a\tPersn\tx\tA\n", Path::new("f.tsv"))
            .unwrap_err();
        assert!(
            e.to_string().starts_with("f.tsv:1:3: unknown type `Persn`"),
            "{e}"
        );
        let e = Gazetteer::new()
            .add_source("a\tPerson\tx\tA\t\tnokey\n", Path::new("f.tsv"))
            .unwrap_err();
        assert!(e.to_string().starts_with("f.tsv:1:"), "{e}");
        let e = Gazetteer::new()
            .add_source("a\tPerson\tx\tA\na\tPerson\tx\tB\n", Path::new("f.tsv"))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("duplicate id `a` (first defined at f.tsv:1)"),
            "{e}"
        );
        let e = Gazetteer::new()
            .add_source("a\tPerson\n", Path::new("f.tsv"))
            .unwrap_err();
        assert!(e.to_string().contains("at least 4"), "{e}");
    }
}
