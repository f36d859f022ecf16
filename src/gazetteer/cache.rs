//! The cache of compiled user gazetteers: one file per gazetteer state, named by its key
//! (a hash of everything it was loaded from), written atomically, ignored when damaged.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::compiled;

/// The folder kgbuild keeps compiled gazetteers in: `$XDG_CACHE_HOME/kgbuild`, else
/// `$HOME/.cache/kgbuild`; `None` when neither variable is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("kgbuild"))
}

fn file_name(key: u64) -> String {
    format!("gazetteer-{key:016x}.kgz")
}

/// An open cache file: its header and entries section read, the matcher section not yet.
pub(super) struct Opened {
    file: std::fs::File,
    /// Header and entries section.
    pub head: Vec<u8>,
}

/// Opens the cache file for `key`, if there is one, and reads its header and entries
/// section (checked later), leaving the matcher section for [`Opened::matcher`], so that
/// the two are never in memory at once.
pub(super) fn open(dir: &Path, key: u64) -> Option<Opened> {
    let mut file = std::fs::File::open(dir.join(file_name(key))).ok()?;
    // Magic, format and the version's length; then the version and six u64 fields.
    let mut head = vec![0u8; 16];
    file.read_exact(&mut head).ok()?;
    let version_len = u32::from_le_bytes(head[12..16].try_into().ok()?) as usize;
    if version_len > 256 {
        return None;
    }
    head.resize(16 + version_len + 48, 0);
    file.read_exact(&mut head[16..]).ok()?;
    let (len, entries, matcher) =
        compiled::read_header(&head).map(|h| (h.len, h.entries.0, h.matcher.0))?;
    if len != head.len() {
        return None;
    }
    let want = len.checked_add(entries)?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    if size != want.checked_add(matcher)? {
        return None;
    }
    head.reserve_exact(entries);
    (&mut file)
        .take(entries as u64)
        .read_to_end(&mut head)
        .ok()?;
    (head.len() == want).then_some(Opened { file, head })
}

impl Opened {
    /// Reads the rest of the file (the matcher section), which must be `len` bytes.
    pub(super) fn matcher(file: &mut std::fs::File, len: usize) -> Option<Vec<u8>> {
        let mut v = Vec::with_capacity(len);
        Read::take(&mut *file, len as u64 + 1)
            .read_to_end(&mut v)
            .ok()?;
        (v.len() == len).then_some(v)
    }

    /// Splits into the file and the head.
    pub(super) fn into_parts(self) -> (std::fs::File, Vec<u8>) {
        (self.file, self.head)
    }
}

/// Writes the cache file for `key` (its entries and matcher sections, `base` entries
/// before them): to a temporary file in `dir`, then renamed into place, so a reader never
/// sees half a file. Errors are ignored: without a cache the next run compiles again.
pub(super) fn write(dir: &Path, key: u64, base: u64, entries: &[u8], matcher: &[u8]) {
    if try_write(dir, key, base, entries, matcher).is_ok() {
        evict(dir, &file_name(key));
    }
}

/// How many cache files are kept: the most recently written.
pub const KEEP: usize = 8;

/// Deletes all but the [`KEEP`] most recently written cache files (never `just_written`),
/// so that gazetteers loaded once, or from ever-changing paths, do not fill the disk.
fn evict(dir: &Path, just_written: &str) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = read
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("gazetteer-") && name.ends_with(".kgz") && name != just_written
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, path) in files.iter().skip(KEEP - 1) {
        let _ = std::fs::remove_file(path);
    }
}

fn try_write(
    dir: &Path,
    key: u64,
    base: u64,
    entries: &[u8],
    matcher: &[u8],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut header = Vec::with_capacity(64);
    compiled::put_header(&mut header, super::VERSION, key, base, entries, matcher);
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(key), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&header)?;
        f.write_all(entries)?;
        f.write_all(matcher)?;
        std::fs::rename(&tmp, dir.join(file_name(key)))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
