//! `kgbuild gazetteer check|stats` on the bundled files and on a broken copy, and the
//! ambiguity policy of docs/gazetteer.md end to end.

use crate::util::{Workdir, repo};

#[test]
fn check_passes_on_the_bundled_files_and_fails_on_a_broken_copy() {
    let w = Workdir::new();
    let dir = repo().join("gazetteer");
    let o = w.run(&["gazetteer", "check", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains(" 0 errors"));

    let people = std::fs::read_to_string(dir.join("people.tsv")).unwrap();
    let mut lines: Vec<String> = people.lines().map(str::to_string).collect();
    let n = lines.iter().position(|l| !l.starts_with('#')).unwrap();
    lines[n + 2] = lines[n + 2].replacen("\tPerson\t", "\tPersn\t", 1);
    let dup = lines[n].clone();
    lines.push(dup);
    w.write("people.tsv", lines.join("\n") + "\n");
    let o = w.run(&["gazetteer", "check", "people.tsv"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("people.tsv:{}:", n + 3)),
        "bad line not named: {err}"
    );
    assert!(err.contains("duplicate id"), "{err}");
}

#[test]
fn stats_counts_the_bundled_gazetteer() {
    let o = Workdir::new().run(&["gazetteer", "stats"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let count = |label: &str| -> usize {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(label))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert!(count("total") >= 25_000, "{out}");
    assert!(count("city") >= 20_000, "{out}");
    assert!(count("country") >= 193, "{out}");
}

#[test]
fn common_words_do_not_become_places() {
    let w = Workdir::new();
    w.write(
        "a.txt",
        "Nice work, said the chad of the ballot. Reading the report in May, he \
         said a mobile unit would split. Wilfried Van Moer met Magna International Inc \
         officials in Mobile, Alabama.\n",
    );
    let o = w.run(&["a.txt", "--format", "json"]);
    let graph: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<String> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| {
            n["label"]
                .as_str()
                .or(n["name"].as_str())
                .map(str::to_string)
        })
        .collect();
    for word in ["Nice", "Chad", "Reading", "May", "Van", "Magna", "Split"] {
        assert!(!names.iter().any(|n| n == word), "{word} in {names:?}");
    }
}
