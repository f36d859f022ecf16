//! Regression tests, each named after what it guards.

use std::os::unix::fs::FileTypeExt;

use crate::util::Workdir;

const GOOD: &str = "Kremlin spokesman Dmitry Peskov said on Monday that talks had stalled.";

/// `-o /dev/null` used to rename a temporary file over the device, leaving a regular file
/// at /dev/null for the whole machine. Writing to a FIFO shows the same path without
/// touching /dev: it must stay a FIFO, and the reader must get the graph.
#[test]
fn output_to_a_device_or_pipe_is_written_in_place() {
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    let fifo = w.path("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = w.run(&["a.txt", "-o", "pipe", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = reader.join().unwrap();
    assert!(got.contains("\"spokesman_of\""), "{got}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
}

/// Atomic replacement must replace the file a symbolic link names, not the link.
#[test]
fn output_through_a_symlink_keeps_the_link() {
    let w = Workdir::new();
    w.write("a.txt", GOOD);
    w.write("real.json", "previous");
    std::os::unix::fs::symlink("real.json", w.path("link.json")).unwrap();
    let out = w.run(&["a.txt", "-o", "link.json"]);
    assert_eq!(out.status.code(), Some(0));
    let meta = std::fs::symlink_metadata(w.path("link.json")).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    let real = std::fs::read_to_string(w.path("real.json")).unwrap();
    assert!(real.contains("\"spokesman_of\""), "{real}");
}

/// The relations of one text, as "Subject | predicate | Object" with canonical names.
fn relations_of(text: &str) -> Vec<String> {
    let pipeline = kgbuild::Pipeline::new().unwrap();
    let graph = serde_json::to_value(pipeline.run("t.txt", text)).unwrap();
    let mut names = std::collections::HashMap::new();
    for n in graph["nodes"].as_array().unwrap() {
        names.insert(
            n["id"].as_str().unwrap().to_string(),
            n["name"].as_str().unwrap().to_string(),
        );
    }
    graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} | {} | {}",
                names[e["source"].as_str().unwrap()],
                e["predicate"].as_str().unwrap(),
                names[e["target"].as_str().unwrap()]
            )
        })
        .collect()
}

/// A person named by one word after a title ("Governor Aldridge") is that person when the
/// word comes back alone, so the killing in the same sentence is found.
#[test]
fn a_one_word_name_links_its_later_occurrences() {
    let rels = relations_of(
        "At the rally for Governor Aldridge, Aldridge was shot by Paul Nyberg in Tulsa.",
    );
    assert!(
        rels.contains(&"Paul Nyberg | killed | Aldridge".to_string()),
        "{rels:?}"
    );
}

/// A wire dateline names where the agency filed from; a place in the headline-style
/// monitoring line ("Cairo MENA in Arabic") likewise; a language is not a place.
/// A dateline says where a story was filed, not where the agency is based; and a language
/// is no place.
#[test]
fn wire_datelines_give_no_agency_seat() {
    let rels = relations_of("NAIROBI, Kenya (AP) - Police raided a warehouse on Monday.");
    assert!(
        rels.iter().all(|r| !r.contains("based_in")),
        "a dateline is no seat: {rels:?}"
    );
    let rels = relations_of("Radio Dunmore in Welsh reported the floods on Tuesday.");
    assert!(
        rels.iter().all(|r| !r.contains("Welsh")),
        "a language is no place: {rels:?}"
    );
}

/// "the Chicago lawyer" says where the person lives, not that they work for the city.
#[test]
fn a_city_before_an_occupation_is_residence_not_employment() {
    let rels = relations_of("Ida Roe, the Chicago lawyer for the family, declined.");
    assert!(
        rels.contains(&"Ida Roe | lives_in | Chicago".to_string()),
        "{rels:?}"
    );
    assert!(!rels.iter().any(|r| r.contains("works_for")), "{rels:?}");
}
