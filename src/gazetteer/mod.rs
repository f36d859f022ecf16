//! Gazetteer stage: loading entries and finding them in text.
//!
//! Input: TSV files in the format of `docs/gazetteer.md`. Output: a [`Gazetteer`] (the
//! entries, by id) and a compiled [`Matcher`] that finds names in a [`Document`], aligned
//! to token boundaries, leftmost-longest, with the per-entry case policy applied by
//! generating case variants at build time (the automaton itself is case-sensitive, which
//! keeps "US" from firing on "us").
//!
//! The bundled gazetteer is parsed and compiled by `build.rs` into a binary form
//! (`compiled.rs`) that is embedded and read at start-up without parsing or compiling; a
//! user gazetteer is compiled to the same form once and kept in a cache (`docs/gazetteer.md`,
//! "Cache"), when a cache folder is set.
//!
//! Errors name the file and line of the offending entry.

mod cache;
mod compiled;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

use crate::error::Error;
use crate::text::{Document, Token};

pub use cache::default_cache_dir;
use compiled::{FormEntry, FormTable, MatcherLayout};

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/bundled_gazetteer.rs"));

/// The bundled gazetteer, parsed and compiled by `build.rs`.
static BUNDLED_BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bundled.kgz"));

/// The crate version, part of every cache key.
const VERSION: &str = env!("CARGO_PKG_VERSION");

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

impl EntryKind {
    fn from_code(code: u8) -> Option<EntryKind> {
        Some(match code {
            0 => EntryKind::Entity(EntityType::Person),
            1 => EntryKind::Entity(EntityType::Organization),
            2 => EntryKind::Entity(EntityType::Location),
            3 => EntryKind::Entity(EntityType::Misc),
            compiled::KIND_LEXICON => EntryKind::Lexicon,
            _ => return None,
        })
    }

    fn code(self) -> u8 {
        match self {
            EntryKind::Entity(t) => t as u8,
            EntryKind::Lexicon => compiled::KIND_LEXICON,
        }
    }
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

/// The `key=value` attributes of an entry, sorted by key, one value per key.
///
/// Kept as one string (`key=value;key=value`), which costs one allocation per entry however
/// many attributes it has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes(String);

impl Attributes {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        compiled::attr_value(&self.0, key)
    }

    /// The (key, value) pairs, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        compiled::attr_pairs(&self.0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The attributes as written in a gazetteer file (`key=value;key=value`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an entry was read: file and line, shown as `file:line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    file: Arc<str>,
    line: u32,
}

impl Origin {
    /// The file (as given, or `<bundled>/...`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The 1-based line.
    pub fn line(&self) -> usize {
        self.line as usize
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
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
    pub attributes: Attributes,
    /// Where the entry was read.
    pub origin: Origin,
}

impl Entry {
    /// An attribute's value.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key)
    }

    /// The `population` attribute, 0 when absent or not a number.
    pub fn population(&self) -> u64 {
        self.attr("population")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// The aliases that name the entry (demonyms left out), as written.
    pub fn alias_names(&self) -> impl Iterator<Item = &str> {
        self.aliases
            .iter()
            .filter(|a| !a.demonym)
            .map(|a| a.text.as_str())
    }

    /// The entity type, for entries that are entities.
    pub fn entity_type(&self) -> Option<EntityType> {
        match self.kind {
            EntryKind::Entity(t) => Some(t),
            EntryKind::Lexicon => None,
        }
    }

    fn from_fields(f: compiled::Fields, file: &Arc<str>, line: usize) -> Entry {
        Entry {
            id: f.id,
            kind: EntryKind::from_code(f.kind).expect("parse_fields gives valid kinds"),
            subtype: f.subtype,
            name: f.name,
            aliases: f
                .aliases
                .into_iter()
                .map(|(text, exact_case, demonym)| Alias {
                    text,
                    exact_case,
                    demonym,
                })
                .collect(),
            attributes: Attributes(f.attributes),
            origin: Origin {
                file: Arc::clone(file),
                line: u32::try_from(line).unwrap_or(u32::MAX),
            },
        }
    }
}

impl FormEntry for Entry {
    fn name(&self) -> &str {
        &self.name
    }
    fn alias_count(&self) -> usize {
        self.aliases.len()
    }
    fn alias(&self, i: usize) -> (&str, bool, bool) {
        let a = &self.aliases[i];
        (&a.text, a.exact_case, a.demonym)
    }
    fn subtype(&self) -> &str {
        &self.subtype
    }
    fn attributes(&self) -> &str {
        &self.attributes.0
    }
}

/// Ids to entry indices: an open-addressing table of (low 32 bits of the id's hash, entry
/// index) found from the hash's high bits, with no copy of the ids (a match is confirmed
/// against the entry). Bulk loads insert in hash order, so the writes sweep the table once
/// instead of landing at random.
#[derive(Clone, Debug, Default)]
struct IdIndex {
    slots: Vec<(u32, u32)>,
    len: usize,
}

const NO_ENTRY: u32 = u32::MAX;

impl IdIndex {
    fn bits(&self) -> u32 {
        self.slots.len().trailing_zeros()
    }

    fn home(&self, hash: u64) -> usize {
        (hash >> (64 - self.bits())) as usize
    }

    fn get(&self, entries: &[Entry], id: &str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = compiled::key_hash(id);
        let mask = self.slots.len() - 1;
        let mut s = self.home(hash);
        loop {
            let (check, i) = self.slots[s];
            if i == NO_ENTRY {
                return None;
            }
            if check == hash as u32 && entries[i as usize].id == id {
                return Some(i as usize);
            }
            s = (s + 1) & mask;
        }
    }

    /// Places `i` (whose id hashes to `hash`); if the id is taken, the entry holding it.
    fn place(&mut self, entries: &[Entry], hash: u64, i: usize) -> Result<(), usize> {
        let mask = self.slots.len() - 1;
        let mut s = self.home(hash);
        loop {
            let (check, j) = self.slots[s];
            if j == NO_ENTRY {
                self.slots[s] = (hash as u32, i as u32);
                self.len += 1;
                return Ok(());
            }
            if check == hash as u32 && entries[j as usize].id == entries[i].id {
                return Err(j as usize);
            }
            s = (s + 1) & mask;
        }
    }

    /// Makes room for `more` entries, rebuilding (in hash order) when the table would be
    /// more than half full.
    fn reserve(&mut self, entries: &[Entry], more: usize) {
        let want = self.len + more;
        if want * 2 < self.slots.len() {
            return;
        }
        let cap = (want * 2 + 2).next_power_of_two().max(16);
        let old = std::mem::take(&mut self.slots);
        let mut keys: Vec<(u64, u32)> = old
            .iter()
            .filter(|s| s.1 != NO_ENTRY)
            .map(|s| (compiled::key_hash(&entries[s.1 as usize].id), s.1))
            .collect();
        keys.sort_unstable();
        self.slots = vec![(0, NO_ENTRY); cap];
        self.len = 0;
        for (h, i) in keys {
            // The ids were unique before.
            let _ = self.place(entries, h, i as usize);
        }
    }

    /// Adds `entries[i]`; if its id is taken, returns the index of the entry holding it.
    fn insert(&mut self, entries: &[Entry], i: usize) -> Result<(), usize> {
        self.reserve(entries, 1);
        self.place(entries, compiled::key_hash(&entries[i].id), i)
    }

    /// Adds `entries[from..]`, in hash order; on a repeated id, `None`.
    fn extend(&mut self, entries: &[Entry], from: usize) -> Option<()> {
        self.reserve(entries, entries.len() - from);
        let mut keys: Vec<(u64, u32)> = (from..entries.len())
            .map(|i| (compiled::key_hash(&entries[i].id), i as u32))
            .collect();
        keys.sort_unstable();
        for (h, i) in keys {
            self.place(entries, h, i as usize).ok()?;
        }
        Some(())
    }
}

/// A compiled matcher section and the bytes that hold it.
struct Compiled {
    bytes: Bytes,
    layout: MatcherLayout,
}

enum Bytes {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl Compiled {
    fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Static(b) => b,
            Bytes::Owned(b) => b,
        }
    }
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled")
            .field("patterns", &self.layout.n)
            .field("bytes", &self.bytes().len())
            .finish()
    }
}

/// A set of entries with unique ids.
///
/// Cloning is cheap (the entries are shared until one side adds to them), so a pipeline
/// can start from the bundled gazetteer without copying it.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    entries: Arc<Vec<Entry>>,
    by_id: Arc<IdIndex>,
    /// The compiled matcher of exactly the entity entries, when known (bundled, cached).
    names: Option<Arc<Compiled>>,
    /// What these entries were loaded from, as a hash chain over the sources; `None` once
    /// unknown (entries added by other means).
    key: Option<u64>,
    /// Where compiled user gazetteers are kept; `None`: no cache.
    cache_dir: Option<PathBuf>,
    /// Entries added since the state that has a compiled form: (key, first entry).
    pending: Option<(u64, usize)>,
}

/// Where the bundled blob's matcher section starts.
fn bundled_split() -> usize {
    compiled::read_header(BUNDLED_BLOB).map_or(BUNDLED_BLOB.len(), |h| h.len + h.entries.0)
}

/// The key of an empty gazetteer.
const EMPTY_KEY: u64 = 0x6b67_6275_696c_6400;

fn chain_key(prev: u64, what: &str, content: &[u8]) -> u64 {
    let mut b = Vec::with_capacity(64 + what.len());
    b.extend_from_slice(&prev.to_le_bytes());
    b.extend_from_slice(&compiled::FORMAT.to_le_bytes());
    b.extend_from_slice(VERSION.as_bytes());
    b.push(0);
    b.extend_from_slice(what.as_bytes());
    b.push(0);
    b.extend_from_slice(&compiled::hash_payload(content).to_le_bytes());
    compiled::hash_bytes(&b)
}

impl Gazetteer {
    /// An empty gazetteer.
    pub fn new() -> Gazetteer {
        Gazetteer {
            key: Some(EMPTY_KEY),
            ..Gazetteer::default()
        }
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
            // build.rs wrote this blob from the bundled files, which a unit test checks
            // against a fresh parse: failure here is a build defect, not a user error.
            Gazetteer::new()
                .with_compiled(
                    Bytes::Static(&BUNDLED_BLOB[..bundled_split()]),
                    |_| Some(Bytes::Static(&BUNDLED_BLOB[bundled_split()..])),
                    None,
                    0..=0,
                )
                .expect("bundled gazetteer blob is valid")
        })
    }

    /// The lexicon part of the bundled gazetteer (entries of type `Lexicon`), which the
    /// bundled rules need even when the user brings all the names.
    pub fn bundled_lexicon() -> Gazetteer {
        let bundled = Gazetteer::bundled();
        let mut g = Gazetteer::new();
        let entries = Arc::make_mut(&mut g.entries);
        let by_id = Arc::make_mut(&mut g.by_id);
        for e in bundled.entries() {
            if e.kind == EntryKind::Lexicon {
                entries.push(e.clone());
                let _ = by_id.insert(entries, entries.len() - 1);
            }
        }
        g.key = bundled.key.map(|k| chain_key(k, "<lexicon>", &[]));
        g
    }

    /// Keeps compiled user gazetteers in `dir` (see [`default_cache_dir`]), or, with
    /// `None` (the default), compiles them on every load. Set it before adding files.
    ///
    /// A cache file is named by a hash of everything the gazetteer was loaded from (the
    /// bytes and names of the files, in order, the crate version and the format version),
    /// so a changed file is compiled afresh; a damaged or foreign cache file is ignored
    /// and rewritten. Writing is atomic (a temporary file renamed into place) and failure
    /// to write is not an error.
    pub fn set_cache_dir(&mut self, dir: Option<PathBuf>) -> &mut Gazetteer {
        self.cache_dir = dir;
        self
    }

    /// All entries in load order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.index_of(id).map(|i| &self.entries[i])
    }

    /// The index in [`Gazetteer::entries`] of the entry with id `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(&self.entries, id)
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
        let file: Arc<str> = Arc::from(path.display().to_string());
        let before = self.key;
        let key = match (&self.cache_dir, before) {
            (Some(_), Some(prev)) => Some(chain_key(prev, &file, text.as_bytes())),
            _ => None,
        };
        if let (Some(dir), Some(key)) = (&self.cache_dir, key)
            && let Some(opened) = cache::open(dir, key)
        {
            let bases = self.pending.map_or(self.len(), |p| p.1)..=self.len();
            let (mut f, head) = opened.into_parts();
            if let Some(loaded) = self.clone().with_compiled(
                Bytes::Owned(head),
                |len| cache::Opened::matcher(&mut f, len).map(Bytes::Owned),
                Some(key),
                bases,
            ) {
                *self = loaded;
                return Ok(());
            }
        }
        let first = self.len();
        self.parse_into(text, path, &file)?;
        self.names = None;
        self.key = key;
        self.pending = key.map(|k| (k, self.pending.map_or(first, |p| p.1)));
        Ok(())
    }

    fn parse_into(&mut self, text: &str, path: &Path, file: &Arc<str>) -> Result<(), Error> {
        let entries = Arc::make_mut(&mut self.entries);
        let by_id = Arc::make_mut(&mut self.by_id);
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line, path, file, line_no)?;
            entries.push(entry);
            if let Err(prev) = by_id.insert(entries, entries.len() - 1) {
                let entry = entries.pop().expect("just pushed");
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
        }
        Ok(())
    }

    /// Adds the entries of a compiled file (bundled blob or cache file) and takes its
    /// matcher as the names matcher. The file holds the entries that follow the first
    /// `base` ones (its header says); entries after those, parsed in this run from the
    /// earlier sources of the same key chain, are replaced by the file's. `None` if the
    /// file is damaged, is not `want_key`, its `base` is outside `bases`, or an id repeats.
    fn with_compiled(
        mut self,
        head: Bytes,
        matcher: impl FnOnce(usize) -> Option<Bytes>,
        want_key: Option<u64>,
        bases: std::ops::RangeInclusive<usize>,
    ) -> Option<Gazetteer> {
        let all: &[u8] = match &head {
            Bytes::Static(b) => b,
            Bytes::Owned(v) => v,
        };
        let header = compiled::read_header(all)?;
        if header.version != VERSION || want_key.is_some_and(|k| k != header.key) {
            return None;
        }
        let (key, base) = (header.key, usize::try_from(header.base).ok()?);
        let section = all.get(header.len..)?;
        if !bases.contains(&base) || !compiled::section_ok(section, header.entries) {
            return None;
        }
        let want_matcher = header.matcher;
        if base < self.len() {
            let entries = Arc::make_mut(&mut self.entries);
            entries.truncate(base);
            let mut by_id = IdIndex::default();
            by_id.extend(entries, 0)?;
            self.by_id = Arc::new(by_id);
        }
        let mut r = compiled::Reader {
            bytes: section,
            at: 0,
        };
        let n_sources = r.u32()? as usize;
        let mut sources: Vec<Arc<str>> = Vec::with_capacity(n_sources.min(1 << 16));
        for _ in 0..n_sources {
            sources.push(Arc::from(r.str()?));
        }
        let count = r.u32()? as usize;
        let entries = Arc::make_mut(&mut self.entries);
        let by_id = Arc::make_mut(&mut self.by_id);
        entries.reserve(count.min(section.len() / 16));
        let from = entries.len();
        for _ in 0..count {
            let file = sources.get(r.u32()? as usize)?;
            let line = r.u32()?;
            let kind = EntryKind::from_code(r.u8()?)?;
            let (id, subtype, name, attributes) = (r.str()?, r.str()?, r.str()?, r.str()?);
            let n_aliases = r.u32()? as usize;
            let mut aliases = Vec::with_capacity(n_aliases.min(1 << 16));
            for _ in 0..n_aliases {
                let flags = r.u8()?;
                aliases.push(Alias {
                    text: r.str()?.to_string(),
                    exact_case: flags & 1 != 0,
                    demonym: flags & 2 != 0,
                });
            }
            entries.push(Entry {
                id: id.to_string(),
                kind,
                subtype: subtype.to_string(),
                name: name.to_string(),
                aliases,
                attributes: Attributes(attributes.to_string()),
                origin: Origin {
                    file: Arc::clone(file),
                    line,
                },
            });
        }
        if r.at != section.len() {
            return None;
        }
        by_id.extend(entries, from)?;
        let n = entries.len();
        // The entries are copied out: free their section before the matcher's is read.
        drop(head);
        let bytes = matcher(want_matcher.0)?;
        let m: &[u8] = match &bytes {
            Bytes::Static(b) => b,
            Bytes::Owned(v) => v,
        };
        if !compiled::section_ok(m, want_matcher) {
            return None;
        }
        let layout = MatcherLayout::read(m, 0, n)?;
        if layout.end != m.len() {
            return None;
        }
        self.names = Some(Arc::new(Compiled { bytes, layout }));
        self.key = Some(key);
        self.pending = None;
        Some(self)
    }

    /// Writes the cache file of the current state, if one is pending, with `matcher` (the
    /// compiled names matcher section). Failure is silent: the cache is an optimisation.
    fn write_cache(&self, matcher: &[u8]) {
        let (Some(dir), Some((key, first))) = (&self.cache_dir, self.pending) else {
            return;
        };
        let own = &self.entries[first..];
        let mut sources: Vec<&str> = Vec::new();
        let mut index: HashMap<&str, u32, FastHash> = HashMap::default();
        let source_of: Vec<u32> = own
            .iter()
            .map(|e| {
                *index.entry(&e.origin.file).or_insert_with(|| {
                    sources.push(&e.origin.file);
                    sources.len() as u32 - 1
                })
            })
            .collect();
        let mut payload = Vec::with_capacity(own.len() * 64);
        compiled::put_entries_head(&mut payload, &sources, own.len());
        for (e, &source) in own.iter().zip(&source_of) {
            compiled::put_entry(
                &mut payload,
                &compiled::EntryRecord {
                    source,
                    line: e.origin.line,
                    kind: e.kind.code(),
                    id: &e.id,
                    subtype: &e.subtype,
                    name: &e.name,
                    attributes: &e.attributes.0,
                },
                e.aliases
                    .iter()
                    .map(|a| (a.text.as_str(), a.exact_case, a.demonym)),
            );
        }
        cache::write(dir, key, first as u64, &payload, matcher);
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
        let file: Arc<str> = Arc::from(path.display().to_string());
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = match parse_line(line, path, &file, line_no) {
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
            self.ids.insert(entry.id.clone(), entry.origin.to_string());
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
                            .insert(form.to_string(), (key.clone(), entry.origin.to_string()));
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

/// A fast hasher for the build's string maps (FxHash).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = compiled::hash_bytes(bytes) ^ self.0.rotate_left(17);
    }
}

type FastHash = BuildHasherDefault<Fx>;

fn parse_line(line: &str, path: &Path, file: &Arc<str>, line_no: usize) -> Result<Entry, Error> {
    compiled::parse_fields(line)
        .map(|f| Entry::from_fields(f, file, line_no))
        .map_err(|(col, msg)| Error::gazetteer(path, line_no, Some(col), msg))
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

/// A hit of [`Matcher::find_patterns`]: the token range `start..end` and the pattern
/// (surface form) found there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PatternHit {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The pattern, an index of [`Matcher::pattern_entries`].
    pub pattern: usize,
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

/// Number of surface forms up to which a token map keeps its short keys
/// (`compiled::ShortKeys`), built when the matcher is.
const SHORT_KEYS_UP_TO: usize = 30_000;

/// A compiled automaton over some of a gazetteer's entries.
///
/// The forms, their candidates and the token map live in one compiled section
/// (`compiled.rs`): a few flat arrays rather than one allocation per form, embedded in the
/// binary for the bundled gazetteer and read from the cache for a cached user gazetteer.
#[derive(Clone, Debug)]
pub struct Matcher {
    /// `None`: no forms.
    forms: Option<Arc<Compiled>>,
    /// The aho-corasick engine over the forms in pattern order; `None`: the token map.
    ac: Option<AhoCorasick>,
    /// Per pattern, the index in `alternative_lists` of its alternatives (the entries
    /// after the first, shared by all its hits): a table read at every hit rather than a
    /// hash map searched.
    alternative_index: Box<[u32]>,
    /// The alternatives of the patterns that have some, after the empty list that all
    /// the others share (index 0).
    alternative_lists: Vec<Arc<[usize]>>,
    /// Per pattern, all its candidate entries (best first), shared by all its hits: made
    /// by the first [`Matcher::pattern_entries`], as only the lexicon matcher needs them.
    entry_lists: OnceLock<Box<[Arc<[usize]>]>>,
    /// The token map's lead filter (empty for aho-corasick).
    lead_filter: compiled::LeadFilter,
    /// The token map's keys of up to eight bytes, looked up whole (empty for aho-corasick
    /// and for matchers of many forms).
    short_keys: compiled::ShortKeys,
}

fn via_of(code: u8) -> HitVia {
    match code {
        compiled::VIA_NAME => HitVia::Name,
        compiled::VIA_ALIAS => HitVia::Alias,
        _ => HitVia::Demonym,
    }
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
    /// When `select` takes exactly the entity entries and the gazetteer has a compiled form
    /// (the bundled gazetteer, a cached user gazetteer), that form is used as it is; when
    /// the gazetteer has a cache folder, the compiled form is written there.
    ///
    /// # Errors
    /// Only if the automaton exceeds aho-corasick's size limits.
    pub fn build_with(
        gazetteer: &Gazetteer,
        select: impl Fn(&Entry) -> bool,
        engine: MatcherEngine,
    ) -> Result<Matcher, Error> {
        let entries = gazetteer.entries();
        let names = entries
            .iter()
            .all(|e| select(e) == matches!(e.kind, EntryKind::Entity(_)));
        let too_big = |m: String| Error::gazetteer("<gazetteer>", 0, None, m);
        let compiled = match (&gazetteer.names, names) {
            (Some(c), true) => Arc::clone(c),
            _ => {
                let write = names && gazetteer.pending.is_some() && gazetteer.cache_dir.is_some();
                let table = match engine {
                    _ if write => 0,
                    MatcherEngine::Auto => AUTO_TOKEN_MAP_ABOVE,
                    MatcherEngine::TokenMap => 0,
                    MatcherEngine::AhoCorasick => usize::MAX,
                };
                let mut bytes = Vec::new();
                compiled::compile_matcher(
                    entries.iter().enumerate().filter(|(_, e)| select(e)),
                    table,
                    &mut bytes,
                )
                .map_err(too_big)?;
                if write {
                    gazetteer.write_cache(&bytes);
                }
                let layout = MatcherLayout::read(&bytes, 0, entries.len())
                    .ok_or_else(|| too_big("compiled matcher fails its own check".into()))?;
                Arc::new(Compiled {
                    bytes: Bytes::Owned(bytes),
                    layout,
                })
            }
        };
        let n = compiled.layout.n;
        let engine = match engine {
            MatcherEngine::Auto if n > AUTO_TOKEN_MAP_ABOVE => MatcherEngine::TokenMap,
            MatcherEngine::Auto => MatcherEngine::AhoCorasick,
            e => e,
        };
        let mut matcher = Matcher {
            forms: None,
            ac: None,
            alternative_index: Box::default(),
            alternative_lists: vec![Arc::from(Vec::new())],
            entry_lists: OnceLock::new(),
            lead_filter: compiled::LeadFilter::default(),
            short_keys: compiled::ShortKeys::default(),
        };
        if n == 0 {
            return Ok(matcher);
        }
        let bytes = compiled.bytes();
        let layout = &compiled.layout;
        if engine == MatcherEngine::AhoCorasick || layout.slots == 0 {
            matcher.ac = Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Anchored)
                    .build((0..n).map(|p| layout.form(bytes, p)))
                    .map_err(|e| too_big(e.to_string()))?,
            );
        }
        if matcher.ac.is_none() {
            matcher.lead_filter = layout.lead_filter(bytes);
            // The short keys cost a pass over the forms at every start (a few hundred
            // instructions a form): paid for the lexicon, whose words are mostly short and
            // looked up at half the tokens, not for large name sets, whose first words are
            // longer and rarely looked up.
            if n <= SHORT_KEYS_UP_TO {
                let forms = (0..n).map(|p| layout.form(bytes, p));
                matcher.short_keys = compiled::ShortKeys::new(&layout.table(bytes), forms);
            }
        }
        let mut index = vec![0u32; n];
        for (p, slot) in index.iter_mut().enumerate() {
            let cands = layout.candidates(bytes, p);
            if cands.len() > 1 {
                *slot = u32::try_from(matcher.alternative_lists.len())
                    .map_err(|_| too_big("too many ambiguous forms".into()))?;
                let rest: Arc<[usize]> = cands.skip(1).map(|(e, _)| e).collect();
                matcher.alternative_lists.push(rest);
            }
        }
        matcher.alternative_index = index.into_boxed_slice();
        matcher.forms = Some(compiled);
        Ok(matcher)
    }

    /// The engine this matcher was compiled to ([`MatcherEngine::Auto`] resolved).
    pub fn engine(&self) -> MatcherEngine {
        if self.forms.is_some() && self.ac.is_none() {
            MatcherEngine::TokenMap
        } else {
            MatcherEngine::AhoCorasick
        }
    }

    /// Finds non-overlapping hits that start and end on token boundaries, leftmost first and
    /// longest at each start.
    ///
    /// A form whose entries all have `context=locative` (the small generated places) is
    /// taken only in a place's context: after a locative word ("in", "near", "from", ...)
    /// or before a comma and a capitalised word ("Kikinda, Serbia"), and never glued to
    /// another capitalised word ("Pieter Van Dijkhuis", "Magna Pumps Inc").
    pub fn find(&self, doc: &Document) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.find_each(doc, |hit, _| hits.push(hit));
        hits
    }

    /// As [`Matcher::find`], handing each hit to `f` with the range of tokens it covers,
    /// so that callers need not look the tokens up again.
    pub(crate) fn find_each(&self, doc: &Document, f: impl FnMut(Hit, Range<usize>)) {
        self.find_each_with(doc, &TokenLeads::of(doc), f);
    }

    /// As [`Matcher::find_each`], with the document's token leads worked out already
    /// (one array read by every matcher that scans the document).
    pub(crate) fn find_each_with(
        &self,
        doc: &Document,
        leads: &TokenLeads,
        mut f: impl FnMut(Hit, Range<usize>),
    ) {
        let Some(compiled) = &self.forms else {
            return;
        };
        let bytes = compiled.bytes();
        let layout = &compiled.layout;
        self.scan(doc, leads, |tokens, pattern| {
            let (entry, via) = layout
                .candidates(bytes, pattern)
                .next()
                .expect("every form has a candidate");
            let hit = Hit {
                start: doc.tokens[tokens.start].start,
                end: doc.tokens[tokens.end - 1].end,
                entry,
                via: via_of(via),
                alternatives: Arc::clone(
                    &self.alternative_lists[self
                        .alternative_index
                        .get(pattern)
                        .map_or(0, |&i| i as usize)],
                ),
            };
            f(hit, tokens);
        });
    }

    /// The hits of [`Matcher::find_each`] as plain (token range, pattern) records,
    /// appended to `hits` in text order; [`Matcher::pattern_entries`] gives each
    /// pattern's candidate entries. The scan only pushes records, so it stays one tight
    /// loop; the caller builds its own hits from them in another.
    pub(crate) fn find_patterns(
        &self,
        doc: &Document,
        leads: &TokenLeads,
        hits: &mut Vec<PatternHit>,
    ) {
        self.scan(doc, leads, |tokens, pattern| {
            hits.push(PatternHit {
                start: tokens.start,
                end: tokens.end,
                pattern,
            });
        });
    }

    /// Per pattern (surface form), its candidate entries, best first (as [`Hit::entry`]
    /// then [`Hit::alternatives`]): one list per pattern, shared by all its hits. Made on
    /// first use, as only the lexicon matcher needs them.
    pub(crate) fn pattern_entries(&self) -> &[Arc<[usize]>] {
        self.entry_lists
            .get_or_init(|| self.pattern_table(|entries| Arc::from(entries)).into())
    }

    /// One value per pattern (surface form) of this matcher, worked out by `of` from the
    /// pattern's candidate entries, best first: a table indexed by the patterns that
    /// [`Matcher::find_patterns`] reports.
    pub(crate) fn pattern_table<T>(&self, mut of: impl FnMut(&[usize]) -> T) -> Vec<T> {
        self.pattern_table_with_forms(|_, entries| of(entries))
    }

    /// As [`Matcher::pattern_table`], `of` also given the pattern's text (the exact
    /// bytes of the document text a hit of the pattern covers).
    pub(crate) fn pattern_table_with_forms<T>(
        &self,
        mut of: impl FnMut(&[u8], &[usize]) -> T,
    ) -> Vec<T> {
        let Some(compiled) = &self.forms else {
            return Vec::new();
        };
        let bytes = compiled.bytes();
        let layout = &compiled.layout;
        (0..layout.n)
            .map(|p| of(layout.form(bytes, p), &layout.candidate_entries(bytes, p)))
            .collect()
    }

    /// The hits of [`Matcher::find`] as (token range, pattern); `leads` are the
    /// document's (see [`TokenLeads`]).
    fn scan(&self, doc: &Document, leads: &TokenLeads, mut f: impl FnMut(Range<usize>, usize)) {
        let Some(compiled) = &self.forms else {
            return;
        };
        let bytes = compiled.bytes();
        let layout = &compiled.layout;
        let tokens = &doc.tokens[..];
        let mut ti = 0;
        if let Some(ac) = &self.ac {
            while ti < tokens.len() {
                let Some((next, pattern)) = find_ac(ac, doc, ti) else {
                    ti += 1;
                    continue;
                };
                if layout.locative(bytes, pattern) && !in_place_context(doc, ti, next) {
                    ti += 1;
                    continue;
                }
                f(ti..next, pattern);
                ti = next;
            }
            return;
        }
        // The token map. Its arrays are sliced once here, not at every lookup.
        let table = layout.table(bytes);
        debug_assert_eq!(leads.0.len(), tokens.len(), "the leads of another document");
        let leads = &leads.0[..tokens.len().min(leads.0.len())];
        // One loop each with and without short keys: the test is made once, not per token.
        if self.short_keys.is_empty() {
            self.scan_map::<false>(doc, &table, leads, f);
        } else {
            self.scan_map::<true>(doc, &table, leads, f);
        }
    }

    /// The token map's part of [`Matcher::scan`]; `SHORT`: whether the matcher has short
    /// keys.
    #[inline(always)]
    fn scan_map<const SHORT: bool>(
        &self,
        doc: &Document,
        table: &FormTable<'_>,
        leads: &[u32],
        mut f: impl FnMut(Range<usize>, usize),
    ) {
        let tokens = &doc.tokens[..];
        let text = doc.text.as_bytes();
        let filter = &self.lead_filter;
        let mut ti = 0;
        while ti < tokens.len() {
            // Most tokens start no form: the filter says so from the token's lead, without
            // a lookup, in a loop that reads only the leads.
            let Some(skip) = leads
                .get(ti..)
                .and_then(|l| l.iter().position(|&l| filter.has(l)))
            else {
                break;
            };
            ti += skip;
            let Some((next, pattern)) =
                longest_at::<SHORT>(table, &self.short_keys, text, tokens, ti)
            else {
                ti += 1;
                continue;
            };
            if table.locative(pattern) && !in_place_context(doc, ti, next) {
                ti += 1;
                continue;
            }
            f(ti..next, pattern);
            ti = next;
        }
    }
}

/// Per token of a document, its lead ([`compiled::lead`]: its first four bytes, masked to
/// its length), worked out once per document: both matchers' scans test every token's
/// lead against their filters, and reading it costs less than reading the text again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TokenLeads(Vec<u32>);

impl TokenLeads {
    /// The leads of `doc`'s tokens.
    pub(crate) fn of(doc: &Document) -> TokenLeads {
        let text = doc.text.as_bytes();
        TokenLeads(
            doc.tokens
                .iter()
                .map(|t| compiled::lead(text, t.start, t.end))
                .collect(),
        )
    }
}

/// The token map's scan: the longest form that starts at token `ti` and ends on a token
/// end, extending token by token while the text so far is a known prefix, so a token that
/// starts no name costs one lookup (and most never get here: see `LeadFilter`). The span's
/// hash grows with it rather than being recomputed. A form's hit is checked against its
/// stored text, so a hash collision cannot produce a false hit. `SHORT`: a first token of
/// up to eight bytes is looked up in `short_keys` instead (which answer as the table does).
// Inlined into the scan loop: it runs at most tokens, and a call spills the loop's state.
#[inline(always)]
fn longest_at<const SHORT: bool>(
    table: &FormTable<'_>,
    short_keys: &compiled::ShortKeys,
    text: &[u8],
    tokens: &[Token],
    ti: usize,
) -> Option<(usize, usize)> {
    let start = tokens[ti].start;
    let mut hasher = compiled::KeyHasher::new(start);
    let mut best = None;
    for (k, tok) in tokens[ti..].iter().enumerate() {
        let len = tok.end - start;
        if len > table.max_len {
            break;
        }
        // A first token of up to eight bytes is one word: found whole among the short keys,
        // with no hash and no text to compare.
        let found = if SHORT && k == 0 && (1..=compiled::SHORT_KEY_MAX).contains(&len) {
            short_keys.lookup(compiled::span_word(text, start, tok.end), len)
        } else {
            table
                .lookup(hasher.hash_to(text, tok.end))
                .map(|(p, prefix)| {
                    (
                        p.filter(|&p| table.is_form(p, text, start, tok.end)),
                        prefix,
                    )
                })
        };
        let Some((pattern, prefix)) = found else {
            break;
        };
        if let Some(p) = pattern {
            best = Some((ti + k + 1, p));
        }
        if !prefix {
            break;
        }
    }
    best
}

/// Words after which a capitalised name is read as a place.
const LOCATIVE: &[&str] = &[
    "in", "near", "at", "from", "outside", "around", "into", "to", "towards", "toward", "across",
    "via", "through", "visit", "visited", "visiting", "town", "city", "village",
];

/// Whether the span of tokens `ti..next` reads as a place (see [`Matcher::find`]).
fn in_place_context(doc: &Document, ti: usize, next: usize) -> bool {
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

/// The longest pattern that starts at token `ti` and ends on a token end: (index after
/// its last token, pattern).
fn find_ac(ac: &AhoCorasick, doc: &Document, ti: usize) -> Option<(usize, usize)> {
    let tok = &doc.tokens[ti];
    let mut limit = doc.text.len();
    loop {
        let input = Input::new(&doc.text)
            .range(tok.start..limit)
            .anchored(Anchored::Yes);
        let m = ac.find(input)?;
        if let Some(last) = doc.token_ending_at(m.end()) {
            return Some((last + 1, m.pattern().as_usize()));
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
    fn a_value_is_that_of_the_first_pair_of_its_key() {
        fn by_pairs<'a>(attrs: &'a str, key: &str) -> Option<&'a str> {
            compiled::attr_pairs(attrs)
                .find(|&(k, _)| k == key)
                .map(|(_, v)| v)
        }
        let made = ["role=a;role=b;x", ";;k=;k2=v=w;", "gender=f", "", "=v;a"];
        let bundled = Gazetteer::bundled();
        let all = made
            .iter()
            .copied()
            .chain(bundled.entries().iter().map(|e| e.attributes.as_str()));
        for attrs in all {
            let keys = compiled::attr_pairs(attrs).map(|(k, _)| k);
            for key in keys.chain(["", "k2=v", "role", "gender", "missing", "rol"]) {
                assert_eq!(
                    compiled::attr_value(attrs, key),
                    by_pairs(attrs, key),
                    "{attrs:?} {key:?}"
                );
            }
        }
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
        // The lexicon's forms are few, so its token map looks short spans up among its
        // short keys: the same hits still.
        let lexicon = |e: &Entry| e.kind == EntryKind::Lexicon;
        let ac = Matcher::build_with(g, lexicon, MatcherEngine::AhoCorasick).unwrap();
        let map = Matcher::build_with(g, lexicon, MatcherEngine::TokenMap).unwrap();
        assert!(!map.short_keys.is_empty());
        for t in &texts {
            let d = Document::new("d", t.as_str());
            let hits = map.find(&d);
            assert!(!hits.is_empty());
            assert_eq!(ac.find(&d), hits);
        }
        let g = gaz("ny\tLocation\tcity\tNew York\t\t\nnyc\tLocation\tcity\tNew York Cityx\t\t\n");
        let map = Matcher::build_with(&g, |_| true, MatcherEngine::TokenMap).unwrap();
        let d = Document::new("d", "New York Cityxyz and New York Cityx");
        assert_eq!(map.find(&d).len(), 2);
        assert_eq!(map.find(&d)[1].entry, 1);
    }

    #[test]
    fn token_leads_are_the_leads_of_the_tokens() {
        let d = Document::new("d", "The U.S. said a résumé, x");
        let leads = TokenLeads::of(&d);
        assert_eq!(leads.0.len(), d.tokens.len());
        for (t, &l) in d.tokens.iter().zip(&leads.0) {
            let raw = &d.text.as_bytes()[t.start..t.end];
            assert_eq!(l, compiled::lead(raw, 0, raw.len()), "{:?}", t.norm);
        }
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

#[cfg(test)]
mod compiled_tests {
    use super::*;

    fn is_entity(e: &Entry) -> bool {
        matches!(e.kind, EntryKind::Entity(_))
    }

    fn example_texts() -> Vec<String> {
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension()? == "txt").then(|| std::fs::read_to_string(p).unwrap())
            })
            .collect()
    }

    fn same_entries(a: &Gazetteer, b: &Gazetteer) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.entries().iter().zip(b.entries()) {
            assert_eq!(
                (
                    &x.id,
                    x.kind,
                    &x.subtype,
                    &x.name,
                    &x.aliases,
                    &x.attributes
                ),
                (
                    &y.id,
                    y.kind,
                    &y.subtype,
                    &y.name,
                    &y.aliases,
                    &y.attributes
                )
            );
            assert_eq!(x.origin.to_string(), y.origin.to_string());
            assert_eq!(b.get(&x.id).map(|e| &e.id), Some(&x.id));
        }
    }

    #[test]
    fn embedded_blob_equals_a_fresh_parse_of_the_tsv_files() {
        let mut fresh = Gazetteer::new();
        for (name, text) in BUNDLED_GAZETTEER {
            fresh
                .add_source(text, Path::new(&format!("<bundled>/{name}")))
                .unwrap();
        }
        let bundled = Gazetteer::bundled();
        same_entries(&fresh, bundled);
        // The embedded matcher section is byte for byte what the library compiles now.
        let mut now = Vec::new();
        compiled::compile_matcher(
            fresh
                .entries()
                .iter()
                .enumerate()
                .filter(|(_, e)| is_entity(e)),
            0,
            &mut now,
        )
        .unwrap();
        assert!(bundled.names.is_some());
        assert!(BUNDLED_BLOB[bundled_split()..] == now[..]);
        // And the matchers built from each find the same hits.
        let a = Matcher::build_with(&fresh, is_entity, MatcherEngine::TokenMap).unwrap();
        let b = Matcher::build_with(bundled, is_entity, MatcherEngine::TokenMap).unwrap();
        for t in example_texts() {
            let d = Document::new("d", &t);
            assert!(!a.find(&d).is_empty());
            assert_eq!(a.find(&d), b.find(&d));
        }
    }

    const NAMES: &str = "a\tPerson\tpolitician\tAda Lovelace\tLovelace\tgender=f\n\
                         b\tLocation\tcity\tNew Port\t=NP|@Newporter\tcountry=x;population=5\n\
                         lex\tLexicon\ttitle\tharbour master\t\t\n";

    fn load(dir: &Path, file: &Path) -> Gazetteer {
        let mut g = Gazetteer::bundled_lexicon();
        g.set_cache_dir(Some(dir.to_path_buf()));
        g.add_path(file).unwrap();
        g
    }

    fn hits(g: &Gazetteer, text: &str) -> Vec<Hit> {
        Matcher::build(g, is_entity)
            .unwrap()
            .find(&Document::new("d", text))
    }

    fn cache_files(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|r| r.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn every_entry_is_found_at_its_index_by_id() {
        let g = Gazetteer::bundled();
        for (i, e) in g.entries().iter().enumerate() {
            assert_eq!(g.index_of(&e.id), Some(i), "{}", e.id);
        }
        assert_eq!(g.index_of("no such id"), None);
    }

    #[test]
    fn cache_hit_miss_after_change_and_damaged_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let file = tmp.path().join("names.tsv");
        let text = "Ada Lovelace met the Newporter harbour master in NP and New Port.";
        std::fs::write(&file, NAMES).unwrap();

        // Miss: parsed, compiled, written.
        let first = load(&dir, &file);
        assert!(first.names.is_none());
        let want = hits(&first, text);
        assert_eq!(want.len(), 4);
        let files = cache_files(&dir);
        assert_eq!(files.len(), 1);
        assert!(!files[0].to_string_lossy().ends_with(".tmp"));

        // Hit: the same entries and hits, from the cache file.
        let second = load(&dir, &file);
        assert!(second.names.is_some());
        same_entries(&first, &second);
        assert_eq!(hits(&second, text), want);
        assert_eq!(second.get("b").unwrap().attr("population"), Some("5"));

        // Changed content: a miss, compiled afresh into a second file.
        std::fs::write(&file, format!("{NAMES}c\tPerson\tx\tGrace Hopper\t\t\n")).unwrap();
        let changed = load(&dir, &file);
        assert!(changed.names.is_none());
        assert_eq!(hits(&changed, "Grace Hopper").len(), 1);
        assert_eq!(cache_files(&dir).len(), 2);
        assert!(load(&dir, &file).names.is_some());

        // Damaged files (a flipped byte, a truncated file, a foreign file) are ignored,
        // and rewritten by the next compile.
        std::fs::write(&file, NAMES).unwrap();
        let path = &files[0];
        let good = std::fs::read(path).unwrap();
        let mut flipped = good.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x40;
        // A flipped byte in the matcher section, read after the entries.
        let mut flipped_end = good.clone();
        let last = flipped_end.len() - 3;
        flipped_end[last] ^= 0x01;
        for bad in [
            flipped,
            flipped_end,
            good[..good.len() - 7].to_vec(),
            b"not a cache".to_vec(),
        ] {
            std::fs::write(path, bad).unwrap();
            let g = load(&dir, &file);
            assert!(g.names.is_none());
            same_entries(&first, &g);
            assert_eq!(hits(&g, text), want);
            let again = load(&dir, &file);
            assert!(again.names.is_some(), "rewritten after a damaged read");
        }

        // Only the most recently written files are kept.
        for i in 0..cache::KEEP + 2 {
            let other = tmp.path().join(format!("other-{i}.tsv"));
            std::fs::write(&other, NAMES).unwrap();
            hits(&load(&dir, &other), text);
        }
        assert_eq!(cache_files(&dir).len(), cache::KEEP);
        hits(&load(&dir, &file), text);
        assert!(cache_files(&dir).contains(&files[0]));
    }

    #[test]
    fn cache_covers_folders_and_the_bundled_gazetteer_underneath() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let folder = tmp.path().join("names");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("1.tsv"), NAMES).unwrap();
        std::fs::write(folder.join("2.tsv"), "c\tPerson\tx\tGrace Hopper\t\t\n").unwrap();
        let load = || {
            let mut g = Gazetteer::bundled().clone();
            g.set_cache_dir(Some(dir.clone()));
            g.add_path(&folder).unwrap();
            g
        };
        let text = "Grace Hopper and Ada Lovelace flew to Berlin.";
        let first = load();
        let want = hits(&first, text);
        assert_eq!(want.len(), 3);
        let second = load();
        assert!(second.names.is_some());
        same_entries(&first, &second);
        assert_eq!(hits(&second, text), want);
        // A duplicate id across sources is still an error with a cache.
        let mut g = load();
        let e = g
            .add_source("a\tPerson\tx\tAnother Ada\t\t\n", Path::new("d.tsv"))
            .unwrap_err();
        assert!(e.to_string().contains("duplicate id `a`"), "{e}");
    }
}
