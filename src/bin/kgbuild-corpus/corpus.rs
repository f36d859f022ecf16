//! News-like text from our own templates, for benchmarks: datelines, meetings, spokespeople,
//! agencies, denials, and filler sentences about markets and weather. Deterministic: the
//! same seed gives the same text.
//!
//! Names come from a gazetteer: the bundled one, or a synthetic one of any size
//! ([`synthetic_gazetteer`]) whose multi-word names are then used in the text.

use kgbuild::{EntityType, Gazetteer};

/// The names a generator writes about.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// People: (name, title such as "Foreign Minister").
    pub people: Vec<(String, &'static str)>,
    /// Countries: (name, demonym).
    pub countries: Vec<(String, String)>,
    /// Cities.
    pub cities: Vec<String>,
    /// Organisations other than agencies.
    pub orgs: Vec<String>,
    /// News agencies.
    pub agencies: Vec<String>,
}

const TITLES: &[&str] = &[
    "Foreign Minister",
    "President",
    "Prime Minister",
    "Trade Minister",
    "Defence Minister",
    "spokesman",
];

impl Names {
    /// The names of a gazetteer's entities.
    pub fn from_gazetteer(g: &Gazetteer) -> Names {
        let mut n = Names::default();
        for (i, e) in g.entries().iter().enumerate() {
            match e.entity_type() {
                Some(EntityType::Person) => {
                    n.people.push((e.name.clone(), TITLES[i % TITLES.len()]))
                }
                Some(EntityType::Location) if e.subtype == "country" => {
                    if let Some(d) = e.aliases.iter().find(|a| a.demonym) {
                        n.countries.push((e.name.clone(), d.text.clone()));
                    }
                }
                Some(EntityType::Location) if e.subtype == "city" => n.cities.push(e.name.clone()),
                Some(EntityType::Organization) if e.subtype == "news_agency" => {
                    n.agencies.push(e.name.clone())
                }
                Some(EntityType::Organization) => n.orgs.push(e.name.clone()),
                _ => {}
            }
        }
        n
    }
}

/// A gazetteer file (TSV, `docs/gazetteer.md`) of `n` synthetic entries with multi-word
/// names: two thirds people ("Aldaro Venkisto"), one third organisations ("Morvale
/// Trading Group"). Names are unique; ids are `syn-<number>`.
pub fn synthetic_gazetteer(n: usize) -> String {
    const A: &[&str] = &[
        "Al", "Be", "Cor", "Da", "El", "Fa", "Gor", "Ha", "Is", "Jo", "Ka", "Lu", "Mar", "No",
        "Or", "Pe", "Qui", "Ra", "Sa", "Ta", "Ul", "Va", "Wen", "Xa", "Yo", "Zi",
    ];
    const B: &[&str] = &[
        "da", "ben", "ci", "dor", "fen", "gal", "hin", "kor", "lan", "mir", "nos", "pel", "ran",
        "sol", "tav", "vin",
    ];
    const C: &[&str] = &["o", "a", "is", "en", "ov", "ez", "ani", "ski"];
    const ORG: &[&str] = &[
        "Group",
        "Holdings",
        "Trading",
        "Institute",
        "Council",
        "Bank",
    ];
    let word = |k: usize| -> String {
        let (a, k) = (A[k % A.len()], k / A.len());
        let (b, k) = (B[k % B.len()], k / B.len());
        let c = C[k % C.len()];
        format!("{a}{b}{c}")
    };
    // 26 * 16 * 8 = 3,328 words: pairs of them name 11 million entries.
    let words = A.len() * B.len() * C.len();
    let mut out = String::from("# Synthetic names for benchmarks (kgbuild-corpus).\n");
    for i in 0..n {
        let (first, last) = (word(i % words), word((i / words + i * 7) % words));
        if i % 3 == 2 {
            let org = ORG[i % ORG.len()];
            out.push_str(&format!(
                "syn-{i}\tOrganization\tcompany\t{first} {last} {org}\t\t\n"
            ));
        } else {
            out.push_str(&format!(
                "syn-{i}\tPerson\tpolitician\t{first} {last}\t\t\n"
            ));
        }
    }
    out
}

/// A deterministic generator of articles.
pub struct Generator {
    state: u64,
    names: Names,
    count: usize,
}

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const TOPICS: &[&str] = &[
    "trade and investment",
    "energy security",
    "the war in the region",
    "climate finance",
    "migration",
    "grain exports",
    "a ceasefire proposal",
];

impl Generator {
    /// A generator over `names`, seeded.
    pub fn new(seed: u64, names: Names) -> Generator {
        Generator {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            names,
            count: 0,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[(self.next() % list.len() as u64) as usize]
    }

    /// The next article, about `sentences` sentences long (2-4 KB for the default).
    pub fn article(&mut self, sentences: usize) -> String {
        self.count += 1;
        // Taken out while `self` draws numbers, then put back: no copy per article.
        let names = std::mem::take(&mut self.names);
        let city = self.pick(&names.cities).clone();
        let agency = self.pick(&names.agencies).clone();
        let month = *self.pick(MONTHS);
        let day = self.next() % 28 + 1;
        let mut text = format!("{}, {month} {day}, 2025 ({agency}) - ", city.to_uppercase());
        let first = self.sentence(&names);
        text.push_str(&first);
        text.push_str("\n\n");
        for i in 1..sentences {
            let s = self.sentence(&names);
            text.push_str(&s);
            text.push(if i % 4 == 3 { '\n' } else { ' ' });
            if i % 4 == 3 {
                text.push('\n');
            }
        }
        text.push('\n');
        self.names = names;
        text
    }

    fn sentence(&mut self, n: &Names) -> String {
        let (p1, t1) = self.pick(&n.people).clone();
        let (p2, t2) = self.pick(&n.people).clone();
        let (c1, d1) = self.pick(&n.countries).clone();
        let (_, d2) = self.pick(&n.countries).clone();
        let city = self.pick(&n.cities).clone();
        let org = self.pick(&n.orgs).clone();
        let agency = self.pick(&n.agencies).clone();
        let day = *self.pick(DAYS);
        let topic = *self.pick(TOPICS);
        let month = *self.pick(MONTHS);
        let date = self.next() % 28 + 1;
        let pct = self.next() % 90 + 5;
        let surname = p1.rsplit(' ').next().unwrap_or(&p1).to_string();
        match self.next() % 12 {
            0 => format!(
                "{d1} {t1} {p1} and {d2} {t2} {p2} met in {city} on {day} to discuss {topic}."
            ),
            1 => format!("On {month} {date}, {p1} met {p2} in {city}, the ministry said."),
            2 => format!("{org} spokesman {p1} said on {day} that talks on {topic} would resume."),
            3 => format!("{p1} told {agency} that no meeting with {p2} had been planned."),
            4 => format!("{surname} said the two sides had agreed to keep working on {topic}."),
            5 => format!("{p1} and {p2} did not meet during the summit in {city}."),
            6 => format!("Shares in {org} rose {pct} percent in early trading in {city} on {day}."),
            7 => format!("The {d1} government said it would send a delegation to {c1} next month."),
            8 => format!(
                "Officials in {city} said rain and strong winds were expected later in the week."
            ),
            9 => format!("\"We are ready to talk,\" {p1} told reporters after meeting {p2}."),
            10 => format!(
                "A possible meeting between {p1} and {p2} is being discussed, diplomats said."
            ),
            _ => format!(
                "Analysts said about {pct} percent of the {d1} budget went to {topic} last year."
            ),
        }
    }
}

/// Every surface form of a gazetteer's entities (names and aliases, as written): the
/// patterns of the plain aho-corasick baseline.
#[allow(dead_code)] // used by benches/throughput.rs
pub fn surface_names(g: &Gazetteer) -> Vec<String> {
    let mut v = Vec::new();
    for e in g.entries() {
        if e.entity_type().is_some() {
            v.push(e.name.clone());
            v.extend(e.aliases.iter().map(|a| a.text.clone()));
        }
    }
    v.sort();
    v.dedup();
    v
}
