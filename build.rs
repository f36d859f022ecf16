//! Embeds the bundled data: every `*.tsv` file below `gazetteer/` (the gazetteer) and every
//! `*.ron` file in `gazetteer/rules/` (the default relation rules), so that an installed
//! binary needs no data files. The lists are generated so that adding a data file needs no
//! code change. Files under `gazetteer/build/` are build inputs, not data, and are skipped.
//!
//! The gazetteer is also parsed and compiled here, with the library's own parser and form
//! compiler (`src/gazetteer/compiled.rs`, which needs only `std`), into `bundled.kgz`: the
//! library reads that at start-up instead of parsing and compiling 35,000 lines. The TSV
//! files stay the source of truth; a unit test checks the blob against a fresh parse.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[path = "src/gazetteer/compiled.rs"]
mod compiled;

fn collect(dir: &Path, ext: &str, recurse: bool, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(read) = fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if recurse && p.file_name().is_some_and(|n| n != "build" && n != "rules") {
                collect(&p, ext, recurse, out);
            }
        } else if p.extension().is_some_and(|e| e == ext) {
            println!("cargo:rerun-if-changed={}", p.display());
            out.push(p);
        }
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn write_table(out_dir: &Path, file: &str, konst: &str, root: &Path, files: &[PathBuf]) {
    let mut f = fs::File::create(out_dir.join(file)).expect("write OUT_DIR");
    writeln!(
        f,
        "/// Embedded data files: (path below `gazetteer/`, contents)."
    )
    .unwrap();
    writeln!(f, "pub(crate) static {konst}: &[(&str, &str)] = &[").unwrap();
    for p in files {
        writeln!(
            f,
            "    ({:?}, include_str!({:?})),",
            rel(root, p),
            p.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}

/// Parses the bundled files as `Gazetteer::add_source` does and writes the compiled form.
/// A bad line stops the build with its file and line.
fn compile_gazetteer(out_dir: &Path, root: &Path, files: &[PathBuf]) {
    let names: Vec<String> = files
        .iter()
        .map(|p| format!("<bundled>/{}", rel(root, p)))
        .collect();
    let mut entries: Vec<(u32, u32, compiled::Fields)> = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for (source, p) in files.iter().enumerate() {
        let text = fs::read_to_string(p).expect("bundled gazetteer file is UTF-8");
        for (n, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = compiled::parse_fields(line)
                .unwrap_or_else(|(col, msg)| panic!("{}:{}:{col}: {msg}", p.display(), n + 1));
            if let Some(prev) = ids.insert(fields.id.clone(), (source, n + 1)) {
                panic!(
                    "{}:{}: duplicate id `{}` (first defined at {}:{})",
                    p.display(),
                    n + 1,
                    fields.id,
                    names[prev.0],
                    prev.1
                );
            }
            entries.push((source as u32, n as u32 + 1, fields));
        }
    }
    let sources: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut payload = Vec::new();
    compiled::put_entries_head(&mut payload, &sources, entries.len());
    for (source, line, f) in &entries {
        compiled::put_entry(
            &mut payload,
            &compiled::EntryRecord {
                source: *source,
                line: *line,
                kind: f.kind,
                id: &f.id,
                subtype: &f.subtype,
                name: &f.name,
                attributes: &f.attributes,
            },
            f.aliases.iter().map(|(t, e, d)| (t.as_str(), *e, *d)),
        );
    }
    let mut matcher = Vec::new();
    compiled::compile_matcher(
        entries
            .iter()
            .enumerate()
            .filter(|(_, (_, _, f))| f.kind != compiled::KIND_LEXICON)
            .map(|(i, (_, _, f))| (i, f)),
        0,
        &mut matcher,
    )
    .expect("bundled gazetteer compiles");
    let mut blob = Vec::new();
    let key = compiled::hash_payload(&payload) ^ compiled::hash_payload(&matcher).rotate_left(1);
    compiled::put_header(
        &mut blob,
        &std::env::var("CARGO_PKG_VERSION").unwrap(),
        key,
        0,
        &payload,
        &matcher,
    );
    blob.extend_from_slice(&payload);
    blob.extend_from_slice(&matcher);
    fs::write(out_dir.join("bundled.kgz"), blob).expect("write OUT_DIR");
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("gazetteer");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/gazetteer/compiled.rs");
    let mut tsv = Vec::new();
    collect(&root, "tsv", true, &mut tsv);
    tsv.sort();
    write_table(
        &out_dir,
        "bundled_gazetteer.rs",
        "BUNDLED_GAZETTEER",
        &root,
        &tsv,
    );
    compile_gazetteer(&out_dir, &root, &tsv);
    let mut ron = Vec::new();
    collect(&root.join("rules"), "ron", false, &mut ron);
    ron.sort();
    write_table(&out_dir, "bundled_rules.rs", "BUNDLED_RULES", &root, &ron);
}
