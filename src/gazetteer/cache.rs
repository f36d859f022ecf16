//! The cache of compiled user gazetteers: one file per gazetteer state, named by its key
//! (a hash of everything it was loaded from), written atomically, ignored when damaged.

use std::io::Write;
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

/// The bytes of the cache file for `key`, if there is one (checked later).
pub(super) fn read(dir: &Path, key: u64) -> Option<Vec<u8>> {
    std::fs::read(dir.join(file_name(key))).ok()
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
