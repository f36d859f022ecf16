//! Relation stage: the rule language, its compiler and its engine.
//!
//! Input: a resolved document. Output: the relations the rules find, each with its evidence
//! sentence and rule id. Rules are data, in RON (`docs/rules.md`): the default set is
//! `gazetteer/rules/*.ron`, compiled into the binary; users add files with `--rules`.
//!
//! Stages, as in nlprule: [`structure`] mirrors the file, [`compile`] checks it (slots,
//! predicates, lexicon categories, duplicate ids) and reports errors with file:line:column,
//! `program` builds the runtime form (strings interned, start index, per-entry lexicon
//! table) once per rule set, and [`engine`] runs it.

pub mod compile;
pub mod engine;
mod program;
pub mod structure;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::Error;
use crate::gazetteer::Gazetteer;
use crate::ner::Recognizer;
use crate::resolve::Resolved;

pub use compile::Rule;
pub use engine::Found;
pub use structure::{PredicateDef, RuleFile};

pub(crate) use program::LexPatterns;

include!(concat!(env!("OUT_DIR"), "/bundled_rules.rs"));

/// The parsed sources of a rule set, before compilation against a gazetteer.
#[derive(Clone, Debug, Default)]
pub struct RuleSources {
    files: Vec<(String, String, RuleFile)>,
}

impl RuleSources {
    /// No rules.
    pub fn new() -> RuleSources {
        RuleSources::default()
    }

    /// The bundled default rules.
    pub fn bundled() -> RuleSources {
        let mut s = RuleSources::new();
        for (name, text) in BUNDLED_RULES {
            // Checked by a unit test; failure is a build defect.
            s.add_source(text, Path::new(&format!("<bundled>/{name}")))
                .expect("bundled rules parse");
        }
        s
    }

    /// Parses a rule file's text.
    ///
    /// # Errors
    /// A RON syntax error or unknown field, with file:line:column.
    pub fn add_source(&mut self, text: &str, path: &Path) -> Result<(), Error> {
        let file = compile::parse(text, path)?;
        self.files
            .push((path.display().to_string(), text.to_string(), file));
        Ok(())
    }

    /// Reads and parses a rule file.
    ///
    /// # Errors
    /// An unreadable or non-UTF-8 file, or a parse error.
    pub fn add_path(&mut self, path: &Path) -> Result<(), Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, col) = crate::error::utf8_position(&e);
            Error::rules(path, line, Some(col), "file is not valid UTF-8")
        })?;
        self.add_source(&text, path)
    }

    /// Compiles all files against `gazetteer` (whose lexicon the rules refer to).
    ///
    /// # Errors
    /// The first rule that does not compile.
    pub fn compile(&self, gazetteer: &Gazetteer) -> Result<RuleSet, Error> {
        let mut predicates = BTreeMap::new();
        for (_, _, f) in &self.files {
            for (name, def) in &f.predicates {
                predicates.insert(name.clone(), def.clone());
            }
        }
        let mut seen = BTreeSet::new();
        let mut rules = Vec::new();
        for (path, text, f) in &self.files {
            rules.extend(compile::compile(
                f.clone(),
                text,
                Path::new(path),
                &predicates,
                &mut seen,
                gazetteer,
            )?);
        }
        // As `RuleSet::is_symmetric`, which `RuleSet::run` passes to the engine.
        let program = program::Program::new(&rules, gazetteer)
            .with_symmetric(&|p| predicates.get(p).is_some_and(|d| d.symmetric));
        Ok(RuleSet {
            rules,
            predicates,
            program,
        })
    }
}

/// Compiled rules, ready to run.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    predicates: BTreeMap<String, PredicateDef>,
    /// The rules' runtime form, built once against the gazetteer they were compiled with.
    program: program::Program,
}

impl RuleSet {
    /// The compiled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Declared predicates with their meaning.
    pub fn predicates(&self) -> &BTreeMap<String, PredicateDef> {
        &self.predicates
    }

    /// Whether `predicate` is declared symmetric.
    pub fn is_symmetric(&self, predicate: &str) -> bool {
        self.predicates.get(predicate).is_some_and(|p| p.symmetric)
    }

    /// Runs every rule over a resolved document.
    pub fn run(&self, gazetteer: &Gazetteer, resolved: &Resolved<'_>) -> Vec<Found> {
        engine::run_compiled(
            &self.rules,
            &self.program,
            &|p: &str| self.is_symmetric(p),
            gazetteer,
            None,
            resolved,
        )
    }

    /// What each pattern of `recognizer`'s lexicon offers these rules, for
    /// [`RuleSet::run_with`]; `recognizer` and the rules are of `gazetteer`.
    pub(crate) fn lex_patterns(
        &self,
        gazetteer: &Gazetteer,
        recognizer: &Recognizer,
    ) -> LexPatterns {
        let table = self.program.lexicon_for(gazetteer);
        LexPatterns::new(&self.program, &table, recognizer.lexicon_matcher())
    }

    /// [`RuleSet::run`] over a document whose lexicon hits are those of the recognizer
    /// `patterns` was made for (see [`RuleSet::lex_patterns`]): a hit's word id, categories
    /// and start keys are read from the table, not worked out again.
    pub(crate) fn run_with(
        &self,
        gazetteer: &Gazetteer,
        patterns: &LexPatterns,
        resolved: &Resolved<'_>,
    ) -> Vec<Found> {
        engine::run_compiled(
            &self.rules,
            &self.program,
            &|p: &str| self.is_symmetric(p),
            gazetteer,
            Some(patterns),
            resolved,
        )
    }
}
