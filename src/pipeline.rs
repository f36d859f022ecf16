//! The whole pipeline, configured once and run per document.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::background;
use crate::disambiguate::{self, Choice};
use crate::error::Error;
use crate::gazetteer::{EntityType, Gazetteer};
use crate::graph::{Ambiguity, DocumentInfo, Evidence, KnowledgeGraph, Mention, Node};
use crate::ner::{Recognizer, Via};
use crate::resolve::{self, Resolved, RoleClasses};
use crate::rules::{Found, RuleSet, RuleSources};
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
        let roles = RoleClasses::new(&gazetteer);
        Ok(Pipeline {
            inner: Arc::new(Inner {
                roles,
                gazetteer,
                recognizer,
                rules,
                background: self.background,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    gazetteer: Gazetteer,
    roles: RoleClasses,
    recognizer: Recognizer,
    rules: RuleSet,
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
    pub fn analyze<'d>(&self, doc: &'d Document) -> Analysis<'d> {
        let mut tagged = self.inner.recognizer.tag(&self.inner.gazetteer, doc);
        let choices = disambiguate::choose_entries(&self.inner.gazetteer, &mut tagged);
        let resolved = resolve::resolve_with(&self.inner.gazetteer, &self.inner.roles, tagged);
        let relations = self.inner.rules.run(&self.inner.gazetteer, &resolved);
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
        crate::export::json::analysis_line(self.inner.gazetteer.entries(), analysis, &ids, buf);
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
                name: e.name.clone(),
                etype: e.etype,
                subtype: (!e.subtype.is_empty()).then(|| e.subtype.clone()),
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
                Cow::Borrowed(e.id.as_str())
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
    #[test]
    fn bundled_rules_pass_their_examples() {
        let p = super::Pipeline::new().unwrap();
        assert!(p.rules().rules().len() >= 10);
        let failures = p.check_rule_examples();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
