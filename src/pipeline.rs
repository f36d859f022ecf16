//! The whole pipeline, configured once and run per document.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::background;
use crate::disambiguate::{self, Choice};
use crate::error::Error;
use crate::export::json::NodeHeads;
use crate::gazetteer::{EntityType, Gazetteer};
use crate::graph::{Ambiguity, DocumentInfo, Evidence, KnowledgeGraph, Mention, Node};
use crate::ner::{Recognizer, Via};
use crate::resolve::{self, Resolved, RoleClasses};
use crate::rules::{Found, LexPatterns, RuleSet, RuleSources};
use crate::text::Document;

/// Configures a [`Pipeline`]: which gazetteer and which rules.
///
/// ```
/// let pipeline = kgbuild::PipelineBuilder::new()
///     .gazetteer_source("acme", "acme\tOrganization\tcompany\tAcme Corp\t\t")
///     .build()?;
/// let graph = pipeline.run("doc", "Acme Corp spokesman John Doe said so.");
/// assert!(graph.node("acme").is_some());
/// # Ok::<(), kgbuild::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PipelineBuilder {
    default_gazetteer: bool,
    default_rules: bool,
    gazetteer_paths: Vec<PathBuf>,
    gazetteer_sources: Vec<(String, String)>,
    gazetteer_cache: Option<PathBuf>,
    rule_paths: Vec<PathBuf>,
    rule_sources: Vec<(String, String)>,
    background: bool,
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        PipelineBuilder {
            default_gazetteer: true,
            default_rules: true,
            gazetteer_paths: Vec::new(),
            gazetteer_sources: Vec::new(),
            gazetteer_cache: None,
            rule_paths: Vec::new(),
            rule_sources: Vec::new(),
            background: false,
        }
    }
}

impl PipelineBuilder {
    /// The defaults: bundled gazetteer and rules.
    pub fn new() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// Whether to start from the bundled gazetteer (default `true`). Without it, only the
    /// bundled lexicon (titles, verbs, cues: the words the rules read) is kept.
    pub fn default_gazetteer(&mut self, yes: bool) -> &mut PipelineBuilder {
        self.default_gazetteer = yes;
        self
    }

    /// Whether to start from the bundled rules (default `true`).
    pub fn default_rules(&mut self, yes: bool) -> &mut PipelineBuilder {
        self.default_rules = yes;
        self
    }

    /// Adds a gazetteer file, or a folder of `*.tsv` files.
    pub fn gazetteer_path(&mut self, path: impl Into<PathBuf>) -> &mut PipelineBuilder {
        self.gazetteer_paths.push(path.into());
        self
    }

    /// Adds gazetteer entries from text (`name` appears in errors).
    pub fn gazetteer_source(&mut self, name: &str, text: &str) -> &mut PipelineBuilder {
        self.gazetteer_sources
            .push((name.to_string(), text.to_string()));
        self
    }

    /// Keeps compiled user gazetteers in `dir` (default `None`: compile them on every
    /// build); see [`Gazetteer::set_cache_dir`] and
    /// [`default_cache_dir`](crate::gazetteer::default_cache_dir).
    pub fn gazetteer_cache(&mut self, dir: Option<PathBuf>) -> &mut PipelineBuilder {
        self.gazetteer_cache = dir;
        self
    }

    /// Adds a RON rule file.
    pub fn rules_path(&mut self, path: impl Into<PathBuf>) -> &mut PipelineBuilder {
        self.rule_paths.push(path.into());
        self
    }

    /// Adds rules from RON text (`name` appears in errors).
    pub fn rules_source(&mut self, name: &str, text: &str) -> &mut PipelineBuilder {
        self.rule_sources.push((name.to_string(), text.to_string()));
        self
    }

    /// Whether each graph also gets the gazetteer's facts about the entities it names
    /// (default `false`; see [`crate::background`]). They are marked as background, never
    /// mixed up with facts read from the text.
    pub fn background(&mut self, yes: bool) -> &mut PipelineBuilder {
        self.background = yes;
        self
    }

    /// Loads everything and compiles the matchers and rules.
    ///
    /// # Errors
    /// Unreadable or malformed gazetteer or rule files (with file and line), rules that
    /// refer to unknown slots, predicates or lexicon categories.
    pub fn build(&self) -> Result<Pipeline, Error> {
        let mut gazetteer = if self.default_gazetteer {
            Gazetteer::bundled().clone()
        } else {
            // The lexicon is part of the rule language, not a list of names: keep it.
            Gazetteer::bundled_lexicon()
        };
        gazetteer.set_cache_dir(self.gazetteer_cache.clone());
        for p in &self.gazetteer_paths {
            gazetteer.add_path(p)?;
        }
        for (name, text) in &self.gazetteer_sources {
            gazetteer.add_source(text, name.as_ref())?;
        }
        let mut sources = if self.default_rules {
            RuleSources::bundled()
        } else {
            RuleSources::new()
        };
        for p in &self.rule_paths {
            sources.add_path(p)?;
        }
        for (name, text) in &self.rule_sources {
            sources.add_source(text, name.as_ref())?;
        }
        let rules = sources.compile(&gazetteer)?;
        let recognizer = Recognizer::new(&gazetteer)?;
        let lex_patterns = rules.lex_patterns(&gazetteer, &recognizer);
        let roles = RoleClasses::new(&gazetteer);
        let node_heads = NodeHeads::new(gazetteer.len());
        Ok(Pipeline {
            inner: Arc::new(Inner {
                roles,
                node_heads,
                gazetteer,
                recognizer,
                rules,
                lex_patterns,
                background: self.background,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    gazetteer: Gazetteer,
    roles: RoleClasses,
    /// The JSON of each entry's node, as far as it is the entry's (for `json_line`).
    node_heads: NodeHeads,
    recognizer: Recognizer,
    rules: RuleSet,
    /// What each pattern of the recognizer's lexicon offers the rules.
    lex_patterns: LexPatterns,
    background: bool,
}

/// A configured pipeline: cheap to clone, `Send + Sync`, reusable for any number of
/// documents.
#[derive(Clone, Debug)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

/// One document's analysis: its entities, mentions and relations, before they become a
/// graph.
#[derive(Clone, Debug)]
pub struct Analysis<'d> {
    /// Entities and mentions.
    pub resolved: Resolved<'d>,
    /// Relations found by the rules.
    pub relations: Vec<Found>,
    /// How each name shared by several gazetteer entries was settled, in text order.
    pub choices: Vec<Choice>,
}

impl Pipeline {
    /// The bundled gazetteer and rules.
    ///
    /// # Errors
    /// Never for the bundled data (a test checks it); the `Result` keeps the signature the
    /// same as [`PipelineBuilder::build`].
    pub fn new() -> Result<Pipeline, Error> {
        PipelineBuilder::new().build()
    }

    /// The gazetteer in use.
    pub fn gazetteer(&self) -> &Gazetteer {
        &self.inner.gazetteer
    }

    /// The entity recogniser (gazetteer matchers and name rules).
    pub fn recognizer(&self) -> &Recognizer {
        &self.inner.recognizer
    }

    /// The compiled rules.
    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// Analyses one document.
    pub fn analyze<'d>(&'d self, doc: &'d Document) -> Analysis<'d> {
        let mut tagged = self.inner.recognizer.tag(&self.inner.gazetteer, doc);
        let choices = disambiguate::choose_entries(&self.inner.gazetteer, &mut tagged);
        let resolved = resolve::resolve_with(&self.inner.gazetteer, &self.inner.roles, tagged);
        let relations =
            self.inner
                .rules
                .run_with(&self.inner.gazetteer, &self.inner.lex_patterns, &resolved);
        Analysis {
            resolved,
            relations,
            choices,
        }
    }

    /// Builds the knowledge graph of one document.
    ///
    /// ```
    /// let pipeline = kgbuild::Pipeline::new()?;
    /// let g = pipeline.run(
    ///     "a.txt",
    ///     "Russian President Vladimir Putin and US President Donald Trump met in Alaska.",
    /// );
    /// let met = g.edges().find(|e| e.predicate == "met_with").unwrap();
    /// assert_eq!(met.attributes["location"], "alaska");
    /// # Ok::<(), kgbuild::Error>(())
    /// ```
    pub fn run(&self, doc_id: &str, text: &str) -> KnowledgeGraph {
        let doc = Document::new(doc_id, text);
        let analysis = self.analyze(&doc);
        self.to_graph(&analysis)
    }

    /// Appends the graph of one analysed document as one line of JSON and a newline to
    /// `buf`: exactly the bytes `export::json::json_line(&self.to_graph(analysis), buf)`
    /// appends, written straight from the analysis without building the graph (what
    /// `kgbuild --jsonl` writes per record).
    ///
    /// ```
    /// let pipeline = kgbuild::Pipeline::new()?;
    /// let doc = kgbuild::Document::new("a.txt", "Kremlin spokesman Dmitry Peskov said so.");
    /// let analysis = pipeline.analyze(&doc);
    /// let (mut direct, mut via_graph) = (Vec::new(), Vec::new());
    /// pipeline.json_line(&analysis, &mut direct)?;
    /// kgbuild::export::json::json_line(&pipeline.to_graph(&analysis), &mut via_graph)?;
    /// assert_eq!(direct, via_graph);
    /// # Ok::<(), kgbuild::Error>(())
    /// ```
    ///
    /// # Errors
    /// None (writing into memory does not fail); the `Result` keeps the signature of
    /// [`json_line`](crate::export::json::json_line).
    pub fn json_line(&self, analysis: &Analysis<'_>, buf: &mut Vec<u8>) -> Result<(), Error> {
        if self.inner.background {
            // Background facts come from the graph's own merging: build it.
            return crate::export::json::json_line(&self.to_graph(analysis), buf);
        }
        let ids = node_ids(&analysis.resolved);
        crate::export::json::analysis_line(
            &self.inner.gazetteer,
            &self.inner.node_heads,
            analysis,
            &ids,
            buf,
        );
        Ok(())
    }

    /// Turns an analysis into a graph.
    pub fn to_graph(&self, analysis: &Analysis<'_>) -> KnowledgeGraph {
        let r = &analysis.resolved;
        let doc = r.doc;
        let mut g = KnowledgeGraph::new();
        g.add_document(DocumentInfo {
            id: doc.id.clone(),
            chars: doc.text.chars().count(),
        });
        let ids = node_ids(r);
        g.reserve(r.entities.len(), analysis.relations.len());
        let entries = self.inner.gazetteer.entries();
        let ambiguity = |span: std::ops::Range<usize>| {
            let at = analysis
                .choices
                .binary_search_by(|c| (c.span.start, c.span.end).cmp(&(span.start, span.end)))
                .ok()?;
            let c = &analysis.choices[at];
            Some(Ambiguity {
                chosen_by: c.chosen_by.to_string(),
                over: c.over.iter().map(|&e| entries[e].id.clone()).collect(),
            })
        };
        let mut mentions: Vec<Vec<Mention>> = vec![Vec::new(); r.entities.len()];
        let mut references: Vec<Vec<Mention>> = vec![Vec::new(); r.entities.len()];
        for m in &r.mentions {
            for &e in &m.entities {
                let list = if m.via.names_entity() {
                    &mut mentions[e]
                } else {
                    &mut references[e]
                };
                list.push(Mention {
                    doc: doc.id.clone(),
                    start: m.span.start,
                    end: m.span.end,
                    text: doc.text[m.span.clone()].to_string(),
                    via: (m.via != Via::Name).then(|| m.via.as_str().to_string()),
                    ambiguity: ambiguity(m.span.clone()),
                });
            }
        }
        for (i, e) in r.entities.iter().enumerate() {
            let mut aliases: Vec<String> = Vec::new();
            if let Some(entry) = e.entry.map(|x| &self.inner.gazetteer.entries()[x]) {
                aliases.extend(entry.alias_names().map(String::from));
            }
            for a in &e.aliases {
                if !aliases.contains(a) && *a != e.name {
                    aliases.push(a.clone());
                }
            }
            g.add_node(Node {
                id: ids[i].to_string(),
                name: e.name.to_string(),
                etype: e.etype,
                subtype: (!e.subtype.is_empty()).then(|| e.subtype.to_string()),
                aliases,
                mentions: std::mem::take(&mut mentions[i]),
                references: std::mem::take(&mut references[i]),
                background: false,
            });
        }
        for f in &analysis.relations {
            let attributes: BTreeMap<String, String> = f.attributes.clone();
            g.add_relation(
                &ids[f.subject],
                &f.predicate,
                &ids[f.object],
                attributes,
                vec![Evidence {
                    doc: doc.id.clone(),
                    start: f.evidence.start,
                    end: f.evidence.end,
                    text: doc.text[f.evidence.clone()].to_string(),
                    rule: f.rule.clone(),
                }],
            );
        }
        if self.inner.background {
            background::add_background_facts(&mut g, &self.inner.gazetteer);
        }
        g
    }
}

/// The node id of each entity of `r`: its id, except that a person the gazetteer lacks,
/// named by one word only ("Mr. Lee"), is known only within this document: its id names the
/// document, so that merging graphs never links two documents through a bare surname.
fn node_ids<'a>(r: &'a Resolved<'_>) -> Vec<Cow<'a, str>> {
    r.entities
        .iter()
        .map(|e| {
            let one_word = || !e.name.trim().contains(char::is_whitespace);
            if e.entry.is_none() && e.etype == EntityType::Person && one_word() {
                Cow::Owned(format!("{}@{}", e.id, r.doc.id))
            } else {
                Cow::Borrowed(&*e.id)
            }
        })
        .collect()
}

impl Pipeline {
    /// Runs every rule's `examples` through this pipeline and returns one message per
    /// failed expectation (empty when all pass). Relations are compared as
    /// `"Subject Name | predicate | Object Name"` (symmetric predicates either way round).
    pub fn check_rule_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for rule in self.rules().rules() {
            for ex in &rule.def.examples {
                let g = self.run("example", &ex.text);
                let name = |id: &str| g.node(id).map_or(id.to_string(), |n| n.name.clone());
                let got: Vec<String> = g
                    .edges()
                    .flat_map(|e| {
                        let (s, o) = (name(&e.source), name(&e.target));
                        let mut v = vec![format!("{s} | {} | {o}", e.predicate)];
                        if self.rules().is_symmetric(&e.predicate) {
                            v.push(format!("{o} | {} | {s}", e.predicate));
                        }
                        v
                    })
                    .collect();
                for want in &ex.expect {
                    if !got.contains(want) {
                        failures.push(format!(
                            "{} ({}): {:?} does not give {want:?}; it gives {got:?}",
                            rule.def.id, rule.origin, ex.text
                        ));
                    }
                }
                for bad in &ex.reject {
                    if got.contains(bad) {
                        failures.push(format!(
                            "{} ({}): {:?} gives {bad:?}, which it must not",
                            rule.def.id, rule.origin, ex.text
                        ));
                    }
                }
            }
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::{Analysis, Pipeline, PipelineBuilder};
    use crate::disambiguate::Choice;
    use crate::gazetteer::EntityType;
    use crate::ner::Via;
    use crate::resolve::{Entity, Resolved, ResolvedMention};
    use crate::rules::Found;
    use crate::text::Document;

    fn pipeline() -> &'static Pipeline {
        static P: OnceLock<Pipeline> = OnceLock::new();
        P.get_or_init(|| Pipeline::new().unwrap())
    }

    /// `Pipeline::json_line` writes what serialising `to_graph` writes.
    fn same_line(p: &Pipeline, analysis: &Analysis<'_>) {
        let mut direct = Vec::new();
        p.json_line(analysis, &mut direct).unwrap();
        let mut via_graph = Vec::new();
        crate::export::json::json_line(&p.to_graph(analysis), &mut via_graph).unwrap();
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            String::from_utf8(via_graph).unwrap()
        );
    }

    fn same_line_for_text(p: &Pipeline, id: &str, text: &str) {
        let doc = Document::new(id, text);
        same_line(p, &p.analyze(&doc));
    }

    /// The example articles, read from `examples/`.
    fn example_articles() -> &'static [String] {
        static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
        TEXTS.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
            let mut paths: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            paths.sort();
            paths
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect()
        })
    }

    #[test]
    fn bundled_rules_pass_their_examples() {
        let p = super::Pipeline::new().unwrap();
        assert!(p.rules().rules().len() >= 10);
        let failures = p.check_rule_examples();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn json_line_is_the_graphs_line_for_every_example_article() {
        let texts = example_articles();
        assert!(texts.len() >= 4);
        for (i, text) in texts.iter().enumerate() {
            same_line_for_text(pipeline(), &format!("example \"{i}\"\n"), text);
        }
        // With background facts the graph is built: still the same line.
        let mut b = PipelineBuilder::new();
        let background = b.background(true).build().unwrap();
        same_line_for_text(&background, "bg", &texts[0]);
    }

    /// Sentences of the example articles, glued in any order with odd text between.
    fn article_like() -> impl Strategy<Value = String> {
        let sentences: Vec<String> = example_articles()
            .iter()
            .flat_map(|t| t.split_inclusive(". "))
            .map(str::to_string)
            .collect();
        let piece = prop_oneof![
            4 => proptest::sample::select(sentences),
            1 => Just(" He said she would go. The two leaders met.".to_string()),
            1 => Just("Mr. Lee and Lee met Lee in Paris, Texas. ".to_string()),
            1 => "[\"\\\\\u{0}-\u{1f}\u{7f}é中 a-zA-Z.,]{0,12}",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn json_line_is_the_graphs_line_for_generated_text(text in article_like()) {
            same_line_for_text(pipeline(), "gen\t\"1\"", &text);
        }
    }

    fn entity(id: &str, name: &str, etype: EntityType, subtype: &str) -> Entity<'static> {
        Entity {
            id: id.to_string().into(),
            name: name.to_string().into(),
            etype,
            subtype: subtype.to_string().into(),
            aliases: BTreeSet::new(),
            entry: None,
            role_classes: Default::default(),
            gender: None,
            text_roles: BTreeSet::new(),
            titles: BTreeSet::new(),
        }
    }

    fn mention(span: std::ops::Range<usize>, entities: Vec<usize>, via: Via) -> ResolvedMention {
        ResolvedMention {
            tokens: span.clone(),
            span,
            entities: entities.into(),
            via,
        }
    }

    fn found(
        subject: usize,
        predicate: &str,
        object: usize,
        evidence: std::ops::Range<usize>,
        attributes: &[(&str, &str)],
        rule: &str,
    ) -> Found {
        Found {
            subject,
            predicate: predicate.to_string(),
            object,
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            evidence,
            rule: rule.to_string(),
        }
    }

    /// What text rarely gives: entities sharing a node id (merged into one node), relations
    /// merged into one edge (repeated evidence, attributes filled in), several edges
    /// between two nodes, group mentions, references and settled ambiguities.
    #[test]
    fn json_line_merges_nodes_and_edges_as_the_graph_does() {
        let p = pipeline();
        let entries = p.gazetteer().entries();
        let russia = entries.iter().position(|e| e.id == "russia").unwrap();
        let text = "Lee met Lee. \"Acme\" Corp and Russian ACME\tmet. They met again.";
        let doc = Document::new("d\"1", text);
        let mut lee = entity("lee-kim", "Lee Kim", EntityType::Person, "");
        lee.aliases.insert("Mr Lee".into());
        let mut lee_again = entity("lee-kim", "Kim Lee", EntityType::Person, "politician");
        lee_again
            .aliases
            .extend(["Lee Kim".into(), "Mr Lee".into(), "Lee\tL.".into()]);
        let mut acme = entity("russia", "Acme \"Corp\"", EntityType::Organization, "");
        acme.aliases.insert("Acme".into());
        let mut acme_entry = entity("russia", "Russia", EntityType::Location, "country");
        acme_entry.entry = Some(russia);
        acme_entry.aliases.extend(["ACME".into(), "Acme".into()]);
        let resolved = Resolved {
            doc: &doc,
            entities: vec![lee, acme, lee_again, acme_entry],
            mentions: vec![
                mention(0..3, vec![0], Via::Name),
                mention(8..11, vec![2], Via::Surname),
                mention(13..24, vec![1], Via::Name),
                mention(29..36, vec![3], Via::Demonym),
                mention(37..41, vec![3], Via::Acronym),
                mention(47..51, vec![0, 3, 0], Via::Group),
            ],
            lexicon: Vec::new(),
            home_country: None,
        };
        let relations = vec![
            found(0, "met_with", 1, 0..12, &[("date", "1")], "r1"),
            found(2, "met_with", 3, 0..12, &[("date", "2")], "r2"),
            found(
                2,
                "met_with",
                3,
                13..46,
                &[("date", "3"), ("place", "x\n")],
                "r3",
            ),
            found(0, "talked_to", 3, 13..46, &[], "r4"),
            found(3, "met_with", 0, 47..62, &[], "r5"),
            found(1, "met_with", 2, 47..62, &[], "r6"),
        ];
        let choices = vec![
            Choice {
                span: 13..24,
                chosen: russia,
                over: vec![0, russia],
                chosen_by: "context",
            },
            Choice {
                span: 37..41,
                chosen: russia,
                over: vec![],
                chosen_by: "order",
            },
        ];
        let analysis = Analysis {
            resolved,
            relations,
            choices,
        };
        same_line(p, &analysis);
        let g = p.to_graph(&analysis);
        assert_eq!(g.node_count(), 2);
        assert_eq!(g.edge_count(), 3);
    }

    /// Nodes of one gazetteer entity each: as the entry stands (written from the entry's
    /// kept head, with the aliases the text adds), and changed in name, subtype or type
    /// (written field by field).
    #[test]
    fn json_line_writes_entry_nodes_as_the_graph_does() {
        let p = pipeline();
        let entries = p.gazetteer().entries();
        let index = |id: &str| entries.iter().position(|e| e.id == id).unwrap();
        let text = "Peskov said Russia and Moscow and Kremlin and Peskov and the EU, Oblast.";
        let doc = Document::new("d2", text);
        let of_entry = |id: &str| {
            let entry = &entries[index(id)];
            let mut e = entity(
                &entry.id,
                &entry.name,
                entry.entity_type().unwrap_or(EntityType::Misc),
                &entry.subtype,
            );
            e.entry = Some(index(id));
            e
        };
        let mut peskov = of_entry("dmitry-peskov");
        // A new alias, one the entry has, and the name itself.
        peskov
            .aliases
            .extend(["Mr Peskov".into(), "Peskov".into(), "Dmitry Peskov".into()]);
        let russia = of_entry("russia");
        // No aliases.
        let moscow = of_entry("moscow");
        let mut kremlin = of_entry("kremlin");
        kremlin.name = "The Kremlin".into();
        let mut oblast = of_entry("moscow-oblast");
        oblast.subtype = "region".into();
        let mut team = of_entry("russia");
        team.id = "russia-team".into();
        team.etype = EntityType::Organization;
        let resolved = Resolved {
            doc: &doc,
            entities: vec![peskov, russia, moscow, kremlin, team, oblast],
            mentions: vec![
                mention(0..6, vec![0], Via::Name),
                mention(12..18, vec![1], Via::Name),
                mention(23..29, vec![2], Via::Name),
                mention(34..41, vec![3], Via::Name),
                mention(46..52, vec![0], Via::Surname),
                mention(57..63, vec![4], Via::Name),
                mention(65..71, vec![5], Via::Name),
            ],
            lexicon: Vec::new(),
            home_country: None,
        };
        let analysis = Analysis {
            resolved,
            relations: Vec::new(),
            choices: Vec::new(),
        };
        // Twice: the second time from the kept heads.
        same_line(p, &analysis);
        same_line(p, &analysis);
    }
}
