//! Synthetic gazetteers and news-like text for the matcher benchmarks: deterministic (a
//! fixed xorshift seed), so every run measures the same input.

/// A small deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "san", "tel", "vor", "lin", "du", "bra", "esh", "no", "qua", "zi", "pen",
    "ga", "lor", "ter", "mon", "vi", "sha", "kel", "dor", "ru", "fen", "ast", "ol", "ben", "chi",
];

fn word(rng: &mut Rng) -> String {
    let n = 2 + rng.below(2);
    let mut w: String = (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect();
    w[..1].make_ascii_uppercase();
    w
}

/// `n` distinct capitalised names of 2 or 3 words ("Kavor Telmi", "Sanbra Du Qua").
pub fn names(n: usize) -> Vec<String> {
    let mut rng = Rng::new(0x5eed_0000 + n as u64);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let k = 2 + rng.below(2);
        let name = (0..k).map(|_| word(&mut rng)).collect::<Vec<_>>().join(" ");
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// The names as a gazetteer file (docs/gazetteer.md).
pub fn tsv(names: &[String]) -> String {
    let mut s = String::with_capacity(names.len() * 60);
    for (i, n) in names.iter().enumerate() {
        s.push_str(&format!(
            "synth-{i}\tLocation\tcity\t{n}\t\tcountry=x;population={}\n",
            i * 7 % 100_000
        ));
    }
    s
}

const COMMON: &[&str] = &[
    "the",
    "said",
    "on",
    "Tuesday",
    "in",
    "a",
    "statement",
    "and",
    "of",
    "talks",
    "with",
    "officials",
    "after",
    "government",
    "minister",
    "would",
    "meet",
    "to",
    "discuss",
    "the",
    "new",
    "agreement",
    "which",
    "was",
    "signed",
    "last",
    "year",
    "by",
    "both",
    "sides",
    "It",
    "He",
    "told",
    "reporters",
    "that",
    "President",
    "Foreign",
    "Ministry",
    "spokesman",
    "for",
];

/// About `bytes` of news-like text: sentences of common words with, on average, one name
/// from `names` (or a near miss: a name's first word only) every 25 words.
pub fn text(names: &[String], bytes: usize) -> String {
    let mut rng = Rng::new(42);
    let mut s = String::with_capacity(bytes + 200);
    while s.len() < bytes {
        let len = 12 + rng.below(20);
        for i in 0..len {
            if i > 0 {
                s.push(' ');
            }
            match rng.below(25) {
                0 => s.push_str(&names[rng.below(names.len())]),
                1 => s.push_str(names[rng.below(names.len())].split(' ').next().unwrap()),
                _ => s.push_str(COMMON[rng.below(COMMON.len())]),
            }
        }
        s.push_str(". ");
        if rng.below(6) == 0 {
            s.push('\n');
        }
    }
    s
}
