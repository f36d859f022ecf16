//! Background facts: what the gazetteer knows about the entities a text names.
//!
//! Input: a [`KnowledgeGraph`] built from texts, and the gazetteer. Output: the same graph
//! with one edge per fact the gazetteer states about its nodes, marked
//! [`Edge::background`](crate::graph::Edge::background) and without evidence:
//!
//! - a place with a `country` lies in that country (`located_in`): Moscow -> Russia;
//! - an organisation with a `city` is based in that city, else one with a `country` in
//!   that country (`based_in`): the Kremlin -> Moscow;
//! - a person's `role` attribute (`foreign_minister_of:russia`) gives that relation.
//!
//! A fact whose other end the text does not name adds that entity as a node marked
//! [`Node::background`] (no mentions). Facts are added for the nodes the texts name only,
//! not for nodes added as background, so the graph grows by one step and no more. A
//! relation that a text also states stays an ordinary edge with its evidence.
//!
//! The gazetteer's facts are as of the date its files give (late 2025 for the bundled
//! one); a text from another time may contradict them, which is why they are kept apart.

use crate::gazetteer::{EntityType, Gazetteer};
use crate::graph::{KnowledgeGraph, Node};

/// Adds the gazetteer's facts about the graph's text-named nodes (see the module docs).
/// Returns the number of background edges added.
///
/// ```
/// let pipeline = kgbuild::Pipeline::new()?;
/// let mut g = pipeline.run("a.txt", "Kremlin spokesman Dmitry Peskov spoke in Moscow.");
/// kgbuild::background::add_background_facts(&mut g, pipeline.gazetteer());
/// let fact = g
///     .edges()
///     .find(|e| e.source == "moscow" && e.predicate == "located_in")
///     .unwrap();
/// assert!(fact.background && fact.evidence.is_empty());
/// assert!(g.node("russia").unwrap().background);
/// # Ok::<(), kgbuild::Error>(())
/// ```
pub fn add_background_facts(graph: &mut KnowledgeGraph, gazetteer: &Gazetteer) -> usize {
    let mut facts: Vec<(String, String, String)> = Vec::new();
    for node in graph.nodes().filter(|n| !n.background) {
        let Some(entry) = gazetteer.get(&node.id) else {
            continue;
        };
        let mut push = |predicate: &str, target: &str| {
            if !target.is_empty() && target != node.id {
                facts.push((node.id.clone(), predicate.to_string(), target.to_string()));
            }
        };
        match entry.entity_type() {
            Some(EntityType::Location) => {
                if let Some(country) = entry.attr("country") {
                    push("located_in", country);
                }
            }
            Some(EntityType::Organization) => {
                if let Some(place) = entry.attr("city").or_else(|| entry.attr("country")) {
                    push("based_in", place);
                }
            }
            Some(EntityType::Person) => {
                for role in entry.attr("role").unwrap_or("").split(',') {
                    if let Some((predicate, object)) = role.trim().split_once(':') {
                        push(predicate.trim(), object.trim());
                    }
                }
            }
            _ => {}
        }
    }
    let mut added = 0;
    for (source, predicate, target) in facts {
        if graph.node(&target).is_none() {
            // A fact pointing at an id the gazetteer lacks (a user file's typo) is dropped
            // rather than invented.
            let Some(entry) = gazetteer.get(&target) else {
                continue;
            };
            let Some(etype) = entry.entity_type() else {
                continue;
            };
            graph.add_node(Node {
                id: entry.id.clone(),
                name: entry.name.clone(),
                etype,
                subtype: (!entry.subtype.is_empty()).then(|| entry.subtype.clone()),
                aliases: entry.alias_names().map(String::from).collect(),
                mentions: Vec::new(),
                references: Vec::new(),
                background: true,
            });
        }
        let before = graph.edge_count();
        graph.add_background_relation(&source, &predicate, &target);
        added += graph.edge_count() - before;
    }
    added
}

#[cfg(test)]
mod tests {
    use super::add_background_facts;
    use crate::Pipeline;

    fn facts(g: &crate::KnowledgeGraph) -> Vec<String> {
        g.edges()
            .filter(|e| e.background)
            .map(|e| format!("{} {} {}", e.source, e.predicate, e.target))
            .collect()
    }

    #[test]
    fn places_organisations_and_roles_give_facts() {
        let p = Pipeline::new().unwrap();
        let mut g = p.run(
            "a",
            "Russian Foreign Minister Sergei Lavrov arrived in Kazan on Monday, the Kremlin said.",
        );
        let n = add_background_facts(&mut g, p.gazetteer());
        let got = facts(&g);
        assert_eq!(n, got.len());
        assert!(
            got.contains(&"kazan located_in russia".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"kremlin based_in moscow".to_string()),
            "{got:?}"
        );
        // Said by the text: an ordinary edge with evidence, not a background one.
        let role = g
            .edges()
            .find(|e| e.source == "sergei-lavrov" && e.predicate == "foreign_minister_of")
            .unwrap();
        assert!(!role.background && !role.evidence.is_empty());
        // Moscow is only the end of a fact: a background node without mentions, and no
        // facts of its own.
        let moscow = g.node("moscow").unwrap();
        assert!(moscow.background && moscow.mentions.is_empty());
        assert!(!got.iter().any(|f| f.starts_with("moscow ")), "{got:?}");
        // Russia is named by the text ("Russian" refers to it), so it is no background node.
        assert!(!g.node("russia").unwrap().background);
    }

    #[test]
    fn adding_twice_adds_nothing_and_text_evidence_wins_on_merge() {
        let p = Pipeline::new().unwrap();
        let mut a = p.run("a", "Officials met in Kazan.");
        assert_eq!(add_background_facts(&mut a, p.gazetteer()), 1);
        assert_eq!(add_background_facts(&mut a, p.gazetteer()), 0);
        assert!(a.node("russia").unwrap().background);
        // Another document names Russia: merged, the node is no longer background-only.
        let b = p.run("b", "Russia said nothing.");
        a.merge(b);
        assert!(!a.node("russia").unwrap().background);
        let fact = a.edges().find(|e| e.predicate == "located_in").unwrap();
        assert!(fact.background);
    }

    #[test]
    fn background_survives_serialisation() {
        let p = Pipeline::new().unwrap();
        let mut g = p.run("a", "Officials met in Kazan.");
        add_background_facts(&mut g, p.gazetteer());
        let json = serde_json::to_string(&g).unwrap();
        assert!(json.contains("\"background\":true"), "{json}");
        let back: crate::KnowledgeGraph = serde_json::from_str(&json).unwrap();
        assert_eq!(back, g);
        // A graph without background facts does not write the field at all.
        let plain = serde_json::to_string(&p.run("a", "Officials met in Kazan.")).unwrap();
        assert!(!plain.contains("background"), "{plain}");
    }
}
