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
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
///
/// Cloning is cheap (the entries are shared until one side adds to them), so a pipeline
/// can start from the bundled gazetteer without copying it.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    entries: Arc<Vec<Entry>>,
    by_id: Arc<HashMap<String, usize, FastHash>>,
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
                Arc::make_mut(&mut g.by_id).insert(e.id.clone(), g.entries.len());
                Arc::make_mut(&mut g.entries).push(e.clone());
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
        let entries = Arc::make_mut(&mut self.entries);
        let by_id = Arc::make_mut(&mut self.by_id);
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line, path, line_no)?;
            if let Some(&prev) = by_id.get(&entry.id) {
                return Err(Error::gazetteer(
                    path,
                    line_no,
                    Some(1),
                    format!(
                        "duplicate id `{}` (first defined at {})",
                        entry.id, entries[prev].origin
                    ),
                ));
            }
            by_id.insert(entry.id.clone(), entries.len());
            entries.push(entry);
        }
        Ok(())
    }
}

/// Validates gazetteer files without stopping at the first problem (`kgbuild gazetteer
/// check`): every malformed line, duplicate id and probable duplicate entry is reported
/// with its `file:line`.
///
/// ```
/// let mut c = kgbuild::gazetteer::Checker::new();
/// c.check_source("a\tPerson\tx\tA\nb\tPersn\tx\tB\na\tPerson\tx\tC\n", "f.tsv".as_ref());
/// assert_eq!(c.errors().len(), 2);
/// assert!(c.errors()[0].to_string().starts_with("f.tsv:2:"));
/// ```
#[derive(Debug, Default)]
pub struct Checker {
    ids: HashMap<String, String, FastHash>,
    /// Surface form -> (entry key, origin) of the first entry naming it.
    surfaces: HashMap<String, (String, String), FastHash>,
    errors: Vec<Error>,
    warnings: Vec<String>,
    shared: usize,
    entries: usize,
}

impl Checker {
    /// A checker that has seen nothing.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Checks a file, or every `*.tsv` file below a folder. Unreadable files are errors.
    pub fn check_path(&mut self, path: &Path) {
        let mut files = Vec::new();
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                if let Err(e) = collect_tsv(path, &mut files) {
                    self.errors.push(Error::io(path, e));
                }
                if files.is_empty() {
                    self.errors.push(Error::gazetteer(
                        path,
                        0,
                        None,
                        "folder holds no *.tsv file",
                    ));
                }
                files.sort();
            }
            Ok(_) => files.push(path.to_path_buf()),
            Err(e) => self.errors.push(Error::io(path, e)),
        }
        for f in files {
            match std::fs::read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => self.check_source(&text, &f),
                    Err(e) => {
                        let at = e.utf8_error().valid_up_to();
                        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                        self.errors.push(Error::gazetteer(
                            &f,
                            line,
                            None,
                            "file is not valid UTF-8",
                        ));
                    }
                },
                Err(e) => self.errors.push(Error::io(&f, e)),
            }
        }
    }

    /// Checks entries from `text`, named `path` in messages.
    pub fn check_source(&mut self, text: &str, path: &Path) {
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = match parse_line(line, path, line_no) {
                Ok(e) => e,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            self.entries += 1;
            if let Some(prev) = self.ids.get(&entry.id) {
                self.errors.push(Error::gazetteer(
                    path,
                    line_no,
                    Some(1),
                    format!("duplicate id `{}` (first defined at {prev})", entry.id),
                ));
                continue;
            }
            self.ids.insert(entry.id.clone(), entry.origin.clone());
            // Entries of one kind in one country naming the same thing are probably the
            // same entry twice; across kinds or countries a shared name is an ambiguity
            // the matcher resolves (docs/gazetteer.md), only counted here.
            let key = format!(
                "{:?}/{}/{}",
                entry.kind,
                entry.subtype,
                entry.attr("country").unwrap_or("")
            );
            let forms = std::iter::once(entry.name.as_str()).chain(
                entry
                    .aliases
                    .iter()
                    .filter(|a| !a.demonym)
                    .map(|a| a.text.as_str()),
            );
            let mut seen_here: Vec<&str> = Vec::new();
            for form in forms {
                if seen_here.contains(&form) {
                    continue;
                }
                seen_here.push(form);
                match self.surfaces.get(form) {
                    Some((k, origin)) if *k == key => self.warnings.push(format!(
                        "{}: `{form}` of `{}` also names the {} entry at {origin}",
                        entry.origin, entry.id, entry.subtype
                    )),
                    Some(_) => self.shared += 1,
                    None => {
                        self.surfaces
                            .insert(form.to_string(), (key.clone(), entry.origin.clone()));
                    }
                }
            }
        }
    }

    /// Malformed lines, duplicate ids, unreadable files.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// Names claimed by two entries of the same type, subtype and country (`file:line:
    /// ...`): probably one entry written twice.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Names shared by entries of different kinds or countries (ambiguities).
    pub fn shared_names(&self) -> usize {
        self.shared
    }

    /// Entries read without error.
    pub fn entries(&self) -> usize {
        self.entries
    }
}

/// Entry counts by type and subtype, sorted (`kgbuild gazetteer stats`).
pub fn stats(gazetteer: &Gazetteer) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for e in gazetteer.entries() {
        let t = e.entity_type().map_or("Lexicon", EntityType::as_str);
        *out.entry(t.to_string())
            .or_default()
            .entry(e.subtype.clone())
            .or_default() += 1;
    }
    out
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
    ///
    /// Shared with every other hit of the same surface form, so a form that thousands of
    /// entries share costs its list once, not once per hit.
    pub alternatives: Arc<[usize]>,
}

/// Which automaton a [`Matcher`] compiles to. Both find exactly the same hits (a test
/// checks it); they differ in build time, memory and scan speed (`docs/performance.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatcherEngine {
    /// aho-corasick for small sets, the token map from [`AUTO_TOKEN_MAP_ABOVE`] surface
    /// forms on, where the aho-corasick build stops being interactive.
    #[default]
    Auto,
    /// An anchored, leftmost-longest aho-corasick automaton, searched at each token start.
    AhoCorasick,
    /// A hash map of token-aligned surface forms and their token-aligned prefixes: built
    /// in one pass, scanned with one lookup per token that starts no name.
    TokenMap,
}

/// Number of surface forms from which [`MatcherEngine::Auto`] picks the token map.
pub const AUTO_TOKEN_MAP_ABOVE: usize = 20_000;

/// A compiled automaton over some of a gazetteer's entries.
#[derive(Clone, Debug)]
pub struct Matcher {
    engine: Engine,
    /// Per pattern: candidate (entry, via), best first.
    candidates: Vec<Vec<(usize, HitVia)>>,
    /// Per pattern: the entries after the first candidate, shared by all its hits.
    alternatives: Vec<Arc<[usize]>>,
    /// Per pattern: every candidate is `context=locative` (see [`Matcher::find`]).
    locative: Vec<bool>,
}

#[derive(Clone, Debug)]
enum Engine {
    Empty,
    AhoCorasick(AhoCorasick),
    TokenMap(TokenMap),
}

impl Matcher {
    /// Compiles the surface forms (with case variants) of every entry that `select` accepts,
    /// with [`MatcherEngine::Auto`].
    ///
    /// # Errors
    /// Only if the automaton exceeds aho-corasick's size limits.
    pub fn build(gazetteer: &Gazetteer, select: impl Fn(&Entry) -> bool) -> Result<Matcher, Error> {
        Matcher::build_with(gazetteer, select, MatcherEngine::Auto)
    }

    /// As [`Matcher::build`], with the automaton `engine`.
    ///
    /// # Errors
    /// Only if the automaton exceeds aho-corasick's size limits.
    pub fn build_with(
        gazetteer: &Gazetteer,
        select: impl Fn(&Entry) -> bool,
        engine: MatcherEngine,
    ) -> Result<Matcher, Error> {
        let entries = gazetteer.entries();
        let mut by_surface: HashMap<String, Vec<(usize, HitVia)>, FastHash> = HashMap::default();
        for (i, e) in entries.iter().enumerate() {
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
        // The map's hasher has no random state, so this order is the same on every run.
        let mut surfaces: Vec<(String, Vec<(usize, HitVia)>)> = by_surface.into_iter().collect();
        for (_, cands) in &mut surfaces {
            if cands.len() > 1 {
                // Most likely first: a name beats an alias, then a country beats a smaller
                // place, then population, then load order.
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
        }
        let engine = match engine {
            MatcherEngine::Auto if surfaces.len() > AUTO_TOKEN_MAP_ABOVE => MatcherEngine::TokenMap,
            MatcherEngine::Auto => MatcherEngine::AhoCorasick,
            e => e,
        };
        let engine = if surfaces.is_empty() {
            Engine::Empty
        } else if engine == MatcherEngine::TokenMap {
            Engine::TokenMap(TokenMap::new(surfaces.iter().map(|(s, _)| s.as_str())))
        } else {
            Engine::AhoCorasick(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Anchored)
                    .build(surfaces.iter().map(|(s, _)| s.as_str()))
                    .map_err(|e| Error::gazetteer("<gazetteer>", 0, None, e.to_string()))?,
            )
        };
        let locative = surfaces
            .iter()
            .map(|(_, c)| {
                c.iter()
                    .all(|&(i, _)| entries[i].attr("context") == Some("locative"))
            })
            .collect();
        let candidates: Vec<Vec<(usize, HitVia)>> = surfaces.into_iter().map(|(_, c)| c).collect();
        let alternatives = candidates
            .iter()
            .map(|c| c.iter().skip(1).map(|&(e, _)| e).collect())
            .collect();
        Ok(Matcher {
            engine,
            candidates,
            alternatives,
            locative,
        })
    }

    /// The engine this matcher was compiled to ([`MatcherEngine::Auto`] resolved).
    pub fn engine(&self) -> MatcherEngine {
        match self.engine {
            Engine::TokenMap(_) => MatcherEngine::TokenMap,
            _ => MatcherEngine::AhoCorasick,
        }
    }

    /// Finds non-overlapping hits that start and end on token boundaries, leftmost first and
    /// longest at each start.
    ///
    /// A form whose entries all have `context=locative` (the small generated places) is
    /// taken only in a place's context: after a locative word ("in", "near", "from", ...)
    /// or before a comma and a capitalised word ("Kikinda, Serbia"), and never glued to
    /// another capitalised word ("Wilfried Van Moer", "Magna International Inc").
    pub fn find(&self, doc: &Document) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut next_free = 0;
        for (ti, tok) in doc.tokens.iter().enumerate() {
            if tok.start < next_free {
                continue;
            }
            let found = match &self.engine {
                Engine::Empty => return hits,
                Engine::AhoCorasick(ac) => find_ac(ac, doc, ti),
                Engine::TokenMap(map) => map.longest_at(doc, ti),
            };
            if let Some((end, pattern)) = found {
                if self.locative[pattern] && !in_place_context(doc, ti, end) {
                    continue;
                }
                let cands = &self.candidates[pattern];
                let (entry, via) = cands[0];
                hits.push(Hit {
                    start: tok.start,
                    end,
                    entry,
                    via,
                    alternatives: Arc::clone(&self.alternatives[pattern]),
                });
                next_free = end;
            }
        }
        hits
    }
}

/// Words after which a capitalised name is read as a place.
const LOCATIVE: &[&str] = &[
    "in", "near", "at", "from", "outside", "around", "into", "to", "towards", "toward", "across",
    "via", "through", "visit", "visited", "visiting", "town", "city", "village",
];

/// Whether the span from token `ti` to byte `end` reads as a place (see [`Matcher::find`]).
fn in_place_context(doc: &Document, ti: usize, end: usize) -> bool {
    let next = doc.tokens.partition_point(|t| t.start < end);
    let tok = |i: usize| doc.tokens.get(i);
    if tok(next).is_some_and(|n| n.capitalized && n.space_before) {
        return false;
    }
    if ti > 0 && tok(ti - 1).is_some_and(|p| LOCATIVE.contains(&p.norm.as_str())) {
        return true;
    }
    tok(next).is_some_and(|n| n.norm == ",")
        && tok(next + 1).is_some_and(|n| n.capitalized && n.kind == crate::text::TokenKind::Word)
}

/// The longest pattern that starts at token `ti` and ends on a token end: (end, pattern).
fn find_ac(ac: &AhoCorasick, doc: &Document, ti: usize) -> Option<(usize, usize)> {
    let tok = &doc.tokens[ti];
    let mut limit = doc.text.len();
    loop {
        let input = Input::new(&doc.text)
            .range(tok.start..limit)
            .anchored(Anchored::Yes);
        let m = ac.find(input)?;
        if doc.token_ending_at(m.end()).is_some() {
            return Some((m.end(), m.pattern().as_usize()));
        }
        // The longest form ends inside a token: retry with the text cut at the last token
        // end before it, so a shorter form that fits can still match.
        let last_fit = doc.tokens[ti..]
            .iter()
            .take_while(|t| t.end < m.end())
            .map(|t| t.end)
            .last();
        match last_fit {
            Some(e) if e > tok.start => limit = e,
            _ => return None,
        }
    }
}

/// Token-aligned surface forms in one hash table keyed by a 64-bit hash of the text: for
/// each form, its own key (with its pattern number) and the keys of its prefixes that may
/// end a token (prefix flag). A scan at a token start extends token by token while the text
/// so far is a known prefix, so a token that starts no name costs one lookup.
#[derive(Clone, Debug)]
struct TokenMap {
    slots: HashMap<u64, Slot, BuildHasherDefault<PassThrough>>,
    /// All forms, concatenated; `ends[p]` is where form `p` ends (for verification).
    text: String,
    ends: Vec<u32>,
    max_len: usize,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    pattern: u32,
    prefix: bool,
}

const NO_PATTERN: u32 = u32::MAX;

impl TokenMap {
    fn new<'a>(forms: impl Iterator<Item = &'a str>) -> TokenMap {
        let mut map = TokenMap {
            slots: HashMap::default(),
            text: String::new(),
            ends: Vec::new(),
            max_len: 0,
        };
        for (p, form) in forms.enumerate() {
            map.text.push_str(form);
            map.ends.push(map.text.len() as u32);
            map.max_len = map.max_len.max(form.len());
            let slot = map.slots.entry(hash_str(form)).or_insert(Slot {
                pattern: NO_PATTERN,
                prefix: false,
            });
            if slot.pattern == NO_PATTERN {
                slot.pattern = p as u32;
            }
            for cut in token_cuts(form) {
                map.slots
                    .entry(hash_str(&form[..cut]))
                    .or_insert(Slot {
                        pattern: NO_PATTERN,
                        prefix: false,
                    })
                    .prefix = true;
            }
        }
        map.slots.shrink_to_fit();
        map
    }

    fn form(&self, p: usize) -> &str {
        let start = if p == 0 { 0 } else { self.ends[p - 1] as usize };
        &self.text[start..self.ends[p] as usize]
    }

    fn longest_at(&self, doc: &Document, ti: usize) -> Option<(usize, usize)> {
        let start = doc.tokens[ti].start;
        let mut best = None;
        for tok in &doc.tokens[ti..] {
            if tok.end - start > self.max_len {
                break;
            }
            let key = &doc.text[start..tok.end];
            let Some(slot) = self.slots.get(&hash_str(key)) else {
                break;
            };
            if slot.pattern != NO_PATTERN && self.form(slot.pattern as usize) == key {
                best = Some((tok.end, slot.pattern as usize));
            }
            if !slot.prefix {
                break;
            }
        }
        best
    }
}

/// Byte offsets inside `form` where a token of [`Document`] may end: a superset of the
/// tokenizer's boundaries (around every character that is not alphanumeric, between
/// letters and digits, and before a capital letter).
fn token_cuts(form: &str) -> impl Iterator<Item = usize> + '_ {
    let mut prev: Option<char> = None;
    form.char_indices().filter_map(move |(i, c)| {
        let cut = match prev {
            Some(p) => {
                !p.is_alphanumeric()
                    || !c.is_alphanumeric()
                    || p.is_numeric() != c.is_numeric()
                    || c.is_uppercase()
            }
            None => false,
        };
        prev = Some(c);
        cut.then_some(i)
    })
}

/// A 64-bit hash of a string (FxHash rounds over 8-byte words, then a murmur3 finaliser).
fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

fn hash_bytes(s: &[u8]) -> u64 {
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

/// Hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A fast hasher for the build's string maps (FxHash).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_bytes(bytes) ^ self.0.rotate_left(17);
    }
}

type FastHash = BuildHasherDefault<Fx>;

/// The forms an alias matches under the case policy of `docs/gazetteer.md`.
fn case_variants(alias: &Alias) -> Vec<String> {
    let text = alias.text.as_str();
    let mut out = vec![text.to_string()];
    if !alias.exact_case {
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
    fn engines_find_the_same_hits() {
        let g = Gazetteer::bundled();
        let texts: Vec<String> = std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples"
        ))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .chain([
            "New York Cityxyz; U.S. and US-led talks in São Paulo, SAO PAULO, People's Daily 15th"
                .into(),
        ])
        .collect();
        let select = |e: &Entry| matches!(e.kind, EntryKind::Entity(_));
        let ac = Matcher::build_with(g, select, MatcherEngine::AhoCorasick).unwrap();
        let map = Matcher::build_with(g, select, MatcherEngine::TokenMap).unwrap();
        assert_eq!(map.engine(), MatcherEngine::TokenMap);
        for t in &texts {
            let d = Document::new("d", t.as_str());
            assert_eq!(ac.find(&d), map.find(&d));
        }
        let g = gaz("ny\tLocation\tcity\tNew York\t\t\nnyc\tLocation\tcity\tNew York Cityx\t\t\n");
        let map = Matcher::build_with(&g, |_| true, MatcherEngine::TokenMap).unwrap();
        let d = Document::new("d", "New York Cityxyz and New York Cityx");
        assert_eq!(map.find(&d).len(), 2);
        assert_eq!(map.find(&d)[1].entry, 1);
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
