//! `kgbuild gazetteer check|stats` on the bundled files and on a broken copy, the
//! ambiguity policy of docs/gazetteer.md end to end, and the coverage of office holders.

use std::collections::{BTreeSet, HashMap};

use kgbuild::gazetteer::Entry;
use kgbuild::{EntityType, Gazetteer};

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
         said a mobile unit would split. Pieter Van Dijkhuis met Magna Pumps Inc \
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

/// Predicates of the `role` attribute that make their holder the head of a country.
const HEAD_OF_STATE: &[&str] = &["president_of", "king_of", "leader_of"];
const HEAD_OF_GOVERNMENT: &[&str] = &["prime_minister_of", "chancellor_of"];
const FOREIGN_MINISTER: &[&str] = &["foreign_minister_of", "secretary_of_state_of"];

/// The people of the bundled gazetteer by office: (`role` predicate, object id) -> holders.
fn office_holders(g: &Gazetteer) -> HashMap<(&str, &str), Vec<&Entry>> {
    let mut holders: HashMap<(&str, &str), Vec<&Entry>> = HashMap::new();
    for e in g.entries() {
        if e.entity_type() != Some(EntityType::Person) {
            continue;
        }
        for role in e.attr("role").unwrap_or("").split(',') {
            if let Some((predicate, object)) = role.split_once(':') {
                holders.entry((predicate, object)).or_default().push(e);
            }
        }
    }
    holders
}

/// `gazetteer/g20.txt` lists the G20 members and the offices each one must have a holder of
/// (docs/gazetteer.md, "Coverage"); every holder carries a `country` that is a country of the
/// gazetteer, the member itself unless the office is a crown shared by several realms.
/// Beside them, at least 60 other countries have a head of state or government and a foreign
/// minister.
#[test]
fn g20_members_and_60_other_countries_have_their_office_holders() {
    let g = Gazetteer::bundled();
    let holders = office_holders(g);
    let is_country = |id: &str| g.get(id).is_some_and(|e| e.subtype == "country");
    let text = std::fs::read_to_string(repo().join("gazetteer/g20.txt")).unwrap();
    let mut members = BTreeSet::new();
    let mut missing = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap().trim_end();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "g20.txt:{}: five fields: {line:?}", n + 1);
        let member = fields[0];
        assert!(
            g.get(member).is_some(),
            "g20.txt:{}: unknown id {member}",
            n + 1
        );
        members.insert(member);
        for office in &fields[1..4] {
            if *office == "-" {
                continue;
            }
            let (predicate, object) = office.split_once(':').unwrap_or((office, member));
            let found = holders
                .get(&(predicate, object))
                .map_or(&[][..], Vec::as_slice);
            if found.is_empty() {
                missing.push(format!("{member}: {predicate}:{object}"));
            }
            for p in found {
                let country = p.attr("country").unwrap_or("");
                let own = !is_country(member) || predicate == "king_of" || country == member;
                if !is_country(country) || !own {
                    missing.push(format!("{member}: {} has country {country:?}", p.id));
                }
            }
        }
        if fields[4] == "yes" {
            let speaks_for_member = |org: &str| {
                org == member
                    || g.get(org).is_some_and(|o| {
                        o.attr("country") == Some(member) || o.attr("part_of") == Some(member)
                    })
            };
            let spokespeople = holders
                .iter()
                .filter(|((p, org), _)| *p == "spokesman_of" && speaks_for_member(org))
                .flat_map(|(_, people)| people)
                .filter(|p| p.attr("country").is_some_and(is_country))
                .count();
            if spokespeople == 0 {
                missing.push(format!("{member}: spokesperson"));
            }
        } else {
            assert_eq!(fields[4], "-", "g20.txt:{}: `yes` or `-`", n + 1);
        }
    }
    assert!(members.len() >= 20, "{members:?}");
    assert!(missing.is_empty(), "offices without a holder: {missing:#?}");

    let holds = |predicates: &[&str], country: &str| {
        predicates
            .iter()
            .any(|p| holders.contains_key(&(*p, country)))
    };
    let others: Vec<&str> = g
        .entries()
        .iter()
        .filter(|e| e.subtype == "country" && !members.contains(e.id.as_str()))
        .map(|e| e.id.as_str())
        .filter(|c| {
            (holds(HEAD_OF_STATE, c) || holds(HEAD_OF_GOVERNMENT, c)) && holds(FOREIGN_MINISTER, c)
        })
        .collect();
    assert!(
        others.len() >= 60,
        "{} other countries: {others:?}",
        others.len()
    );
}
