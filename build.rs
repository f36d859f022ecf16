//! Embeds the bundled data: every `*.tsv` file below `gazetteer/` (the gazetteer) and every
//! `*.ron` file in `gazetteer/rules/` (the default relation rules), so that an installed
//! binary needs no data files. The lists are generated so that adding a data file needs no
//! code change. Files under `gazetteer/build/` are build inputs, not data, and are skipped.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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

fn write_table(out_dir: &Path, file: &str, konst: &str, root: &Path, files: &[PathBuf]) {
    let mut f = fs::File::create(out_dir.join(file)).expect("write OUT_DIR");
    writeln!(
        f,
        "/// Embedded data files: (path below `gazetteer/`, contents)."
    )
    .unwrap();
    writeln!(f, "pub(crate) static {konst}: &[(&str, &str)] = &[").unwrap();
    for p in files {
        let rel = p.strip_prefix(root).unwrap_or(p);
        writeln!(
            f,
            "    ({:?}, include_str!({:?})),",
            rel.display().to_string(),
            p.display().to_string()
        )
        .unwrap();
    }
    writeln!(f, "];").unwrap();
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("gazetteer");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
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
    let mut ron = Vec::new();
    collect(&root.join("rules"), "ron", false, &mut ron);
    ron.sort();
    write_table(&out_dir, "bundled_rules.rs", "BUNDLED_RULES", &root, &ron);
}
