//! Shared helpers: a temporary work folder that runs the real binary, and a scorer for
//! expected graphs (same matching rules as `shared/eval/score_graph.py`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary folder to run `kgbuild` in.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kgbuild"))
            .args(args)
            .current_dir(self.dir.path())
            // Compiled user gazetteers are cached: each test keeps its own cache, so tests
            // neither share state nor write to the user's cache folder.
            .env("XDG_CACHE_HOME", self.path(".cache"))
            .env_remove("KGBUILD_NO_CACHE")
            .output()
            .expect("run kgbuild")
    }
}

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout, when it exists.
pub fn shared() -> Option<PathBuf> {
    let p = repo().join("../shared");
    p.is_dir().then_some(p)
}

/// Whether an external program runs (`dot -V`, `python3 -c ...`).
pub fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Skips a test that needs a tool, but only outside CI: in CI the tool must be there.
pub fn require(tool: &str, ok: bool) -> bool {
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is required in CI (.ci/run installs it)");
    }
    eprintln!("skipped: {tool} is not installed");
    false
}

fn fold(s: &str) -> String {
    let lower: String = s
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            'ğ' => 'g',
            'ş' => 's',
            'ı' => 'i',
            c => c,
        })
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '_')
        .collect();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let words = if words.first() == Some(&"the") {
        &words[1..]
    } else {
        &words[..]
    };
    words.join(" ")
}

/// What a graph got right and wrong against an expected graph.
#[derive(Debug, Default)]
pub struct Score {
    pub entities_found: usize,
    pub entities_required: usize,
    pub entities_typed: usize,
    pub spurious_entities: Vec<String>,
    pub missed_entities: Vec<String>,
    pub relations_found: usize,
    pub relations_required: usize,
    pub missed_relations: Vec<String>,
    pub spurious_relations: Vec<String>,
    pub forbidden_relations: Vec<String>,
    pub wrong_attributes: Vec<String>,
}

impl Score {
    pub fn typed_entity_f1(&self) -> f64 {
        let fp = self.spurious_entities.len() + (self.entities_found - self.entities_typed);
        let tp = self.entities_typed;
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / self.entities_required.max(1) as f64;
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    pub fn relation_f1(&self) -> f64 {
        let tp = self.relations_found as f64;
        let fp = (self.spurious_relations.len() + self.forbidden_relations.len()) as f64;
        let p = if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) };
        let r = tp / (self.relations_required.max(1) as f64);
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

const IMPLIED: &[&str] = &["works_for", "leader_of", "member_of", "minister_of"];

/// Scores a graph (node-link JSON value) against an expected graph in the format of
/// `shared/acceptance/*.gold.json`.
pub fn score(gold: &serde_json::Value, graph: &serde_json::Value) -> Score {
    let list = |k: &str| gold[k].as_array().cloned().unwrap_or_default();
    let entities = list("entities");
    let optional = list("optional_entities");
    let all: Vec<&serde_json::Value> = entities.iter().chain(optional.iter()).collect();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, e) in all.iter().enumerate() {
        let mut names = vec![e["name"].as_str().unwrap_or("").to_string()];
        for a in e["aliases"].as_array().into_iter().flatten() {
            names.push(a.as_str().unwrap_or("").to_string());
        }
        for n in names {
            index.entry(fold(&n)).or_insert(i);
        }
    }
    let lookup = |names: &[String]| names.iter().find_map(|n| index.get(&fold(n)).copied());
    let mut s = Score {
        entities_required: entities.len(),
        ..Score::default()
    };
    let mut node_gold: BTreeMap<String, Option<usize>> = BTreeMap::new();
    let mut hit = BTreeSet::new();
    let mut hit_typed = BTreeSet::new();
    let nodes = graph["nodes"].as_array().cloned().unwrap_or_default();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for n in &nodes {
        let id = n["id"].as_str().unwrap_or("").to_string();
        let name = n["name"].as_str().unwrap_or("").to_string();
        names.insert(id.clone(), name.clone());
        let mut all_names = vec![name.clone()];
        for a in n["aliases"].as_array().into_iter().flatten() {
            all_names.push(a.as_str().unwrap_or("").to_string());
        }
        let g = lookup(&all_names);
        node_gold.insert(id, g);
        match g {
            None => s.spurious_entities.push(name),
            Some(i) => {
                if hit.contains(&i) {
                    s.spurious_entities.push(format!("{name} (split)"));
                }
                hit.insert(i);
                if n["type"] == all[i]["type"] {
                    hit_typed.insert(i);
                }
            }
        }
    }
    for (i, e) in entities.iter().enumerate() {
        if hit.contains(&i) {
            s.entities_found += 1;
        } else {
            s.missed_entities
                .push(e["name"].as_str().unwrap_or("").to_string());
        }
        if hit_typed.contains(&i) {
            s.entities_typed += 1;
        }
    }
    // Relations, keyed by gold entity indices (or the folded name when not in gold).
    type End = Result<usize, String>;
    let canon = |name: &str| -> End { index.get(&fold(name)).copied().ok_or(fold(name)) };
    let key = |a: End, p: &str, b: End| -> (End, String, End) {
        if p == "met_with" && format!("{b:?}") < format!("{a:?}") {
            (b, p.to_string(), a)
        } else {
            (a, p.to_string(), b)
        }
    };
    let rel_keys = |r: &serde_json::Value| -> Vec<(End, String, End)> {
        let preds: Vec<String> = match &r["predicate"] {
            serde_json::Value::Array(v) => v
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            v => vec![v.as_str().unwrap_or("").to_string()],
        };
        let (a, b) = (
            canon(r["subject"].as_str().unwrap_or("")),
            canon(r["object"].as_str().unwrap_or("")),
        );
        preds.iter().map(|p| key(a.clone(), p, b.clone())).collect()
    };
    let required = list("relations");
    s.relations_required = required.len();
    let mut want = BTreeMap::new();
    for (gi, r) in required.iter().enumerate() {
        for k in rel_keys(r) {
            want.insert(k, gi);
        }
    }
    let mut optional_rel: BTreeSet<_> = list("optional_relations")
        .iter()
        .flat_map(rel_keys)
        .collect();
    for k in want.keys() {
        if k.1 != "met_with" {
            for p in IMPLIED {
                optional_rel.insert((k.0.clone(), p.to_string(), k.2.clone()));
            }
        }
    }
    let forbidden: BTreeSet<_> = list("forbidden_relations")
        .iter()
        .flat_map(rel_keys)
        .collect();
    let mut found: BTreeMap<usize, serde_json::Value> = BTreeMap::new();
    let end = |id: &str| -> End {
        match node_gold.get(id).copied().flatten() {
            Some(i) => Ok(i),
            None => Err(id.to_string()),
        }
    };
    for e in graph["edges"].as_array().into_iter().flatten() {
        let (src, dst) = (
            e["source"].as_str().unwrap_or(""),
            e["target"].as_str().unwrap_or(""),
        );
        let p = e["predicate"].as_str().unwrap_or("");
        let k = key(end(src), p, end(dst));
        let label = format!(
            "{} -{p}-> {}",
            names.get(src).map_or(src, |x| x.as_str()),
            names.get(dst).map_or(dst, |x| x.as_str())
        );
        if forbidden.contains(&k) {
            s.forbidden_relations.push(label);
        } else if let Some(&gi) = want.get(&k) {
            found.entry(gi).or_insert_with(|| e.clone());
        } else if !optional_rel.contains(&k) {
            s.spurious_relations.push(label);
        }
    }
    s.relations_found = found.len();
    for (gi, r) in required.iter().enumerate() {
        let label = format!("{} -{}-> {}", r["subject"], r["predicate"], r["object"]);
        let Some(e) = found.get(&gi) else {
            s.missed_relations.push(label);
            continue;
        };
        for (k, v) in r["attributes"].as_object().into_iter().flatten() {
            let want_v = v.as_str().unwrap_or("");
            let got = e["attributes"][k].as_str();
            let ok = match (k.as_str(), got) {
                ("location", Some(g)) => {
                    let shown = names.get(g).map_or(g, |x| x.as_str());
                    canon(shown) == canon(want_v)
                }
                (_, Some(g)) => g.starts_with(want_v),
                (_, None) => false,
            };
            if !ok {
                s.wrong_attributes
                    .push(format!("{label}: {k} = {got:?}, want {want_v:?}"));
            }
        }
    }
    s
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
