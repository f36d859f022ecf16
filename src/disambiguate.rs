//! Disambiguation: which gazetteer entry a name shared by several entries means.
//!
//! Input: the [`Tagged`] mentions of one document, each gazetteer mention holding the
//! matcher's likeliest entry and the other entries sharing its form (a name before an
//! alias, a country before other places, then population). Output: the same mentions, with
//! the entry changed where the document says otherwise, and a [`Choice`] per ambiguous
//! mention saying what decided. In order:
//!
//! 1. **Qualifier**: the name is followed by ", " or " (" and a place that one candidate
//!    lies in: "Waterloo, Belgium", "Santa Ana (El Salvador)", "Paris, Texas".
//! 2. **Context**: the candidate whose country the document's unambiguous names point to
//!    most often (places, demonyms, people and organisations with a `country`): an article
//!    naming Mexico City and the Mexican president means the Mexican Benito Juárez. A tie
//!    keeps the likeliest entry.
//! 3. Otherwise the matcher's order stands, and the choice records why that entry came
//!    first (`country`, `name`, `population` or `order`).
//!
//! Only candidates of the likeliest entry's type are considered: context never turns a
//! place into a person.

use std::ops::Range;

use crate::fxhash::FxHashMap;
use crate::gazetteer::{Entry, Gazetteer};
use crate::ner::{Tagged, Target};

/// How one ambiguous mention was settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Byte span of the mention.
    pub span: Range<usize>,
    /// The entry taken (index into the gazetteer).
    pub chosen: usize,
    /// The entries passed over, most likely first.
    pub over: Vec<usize>,
    /// What decided: `qualifier`, `context`, `country`, `name`, `population` or `order`.
    pub chosen_by: &'static str,
}

/// Settles every ambiguous gazetteer mention of `tagged` (see the module docs) and returns
/// one [`Choice`] per such mention, in text order.
///
/// ```
/// use kgbuild::{disambiguate::choose_entries, Document, Pipeline};
/// let pipeline = Pipeline::new()?;
/// let doc = Document::new("a", "Fans gathered in Waterloo, Belgium, on Sunday.");
/// let mut tagged = pipeline.recognizer().tag(pipeline.gazetteer(), &doc);
/// let choices = choose_entries(pipeline.gazetteer(), &mut tagged);
/// let entry = &pipeline.gazetteer().entries()[choices[0].chosen];
/// assert_eq!((entry.id.as_str(), choices[0].chosen_by), ("waterloo-be", "qualifier"));
/// # Ok::<(), kgbuild::Error>(())
/// ```
pub fn choose_entries(gazetteer: &Gazetteer, tagged: &mut Tagged<'_>) -> Vec<Choice> {
    let entries = gazetteer.entries();
    if !tagged.mentions.iter().any(is_ambiguous) {
        return Vec::new();
    }
    // Countries the unambiguous names point to, with how often.
    // At most one country per mention: sized once instead of grown vote by vote.
    let mut votes: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(tagged.mentions.len(), Default::default());
    for m in &tagged.mentions {
        if let Target::Entry {
            entry,
            alternatives,
        } = &m.target
            && alternatives.is_empty()
            && let Some(c) = country_of(&entries[*entry])
        {
            *votes.entry(c).or_insert(0) += 1;
        }
    }
    let text = &tagged.doc.text;
    let mut choices = Vec::new();
    for i in 0..tagged.mentions.len() {
        let Target::Entry {
            entry: likeliest,
            alternatives,
        } = &tagged.mentions[i].target
        else {
            continue;
        };
        if alternatives.is_empty() {
            continue;
        }
        let likeliest = *likeliest;
        let etype = entries[likeliest].entity_type();
        let candidates: Vec<usize> = std::iter::once(likeliest)
            .chain(
                alternatives
                    .iter()
                    .copied()
                    .filter(|&a| entries[a].entity_type() == etype),
            )
            .collect();
        let span = tagged.mentions[i].span.clone();
        let qualifier = tagged.mentions.get(i + 1).and_then(|next| {
            let between = text.get(span.end..next.span.start)?.trim();
            if !matches!(between, "," | "(") {
                return None;
            }
            match next.target {
                Target::Entry { entry, .. } => Some(&entries[entry]),
                Target::Found { .. } => None,
            }
        });
        let by_qualifier = qualifier.and_then(|q| {
            candidates
                .iter()
                .copied()
                .find(|&c| lies_in(&entries[c], q))
        });
        let (chosen, chosen_by) = if let Some(c) = by_qualifier {
            (c, "qualifier")
        } else {
            let score =
                |c: usize| country_of(&entries[c]).map_or(0, |k| *votes.get(k).unwrap_or(&0));
            // The first candidate with the most votes; ties keep the matcher's order.
            let best = candidates
                .iter()
                .copied()
                .fold(likeliest, |b, c| if score(c) > score(b) { c } else { b });
            if score(best) > 0 && candidates.iter().any(|&c| score(c) < score(best)) {
                (best, "context")
            } else {
                let surface = &text[span.clone()];
                (
                    likeliest,
                    why_first(&entries[likeliest], &entries[alternatives[0]], surface),
                )
            }
        };
        let over: Vec<usize> = std::iter::once(likeliest)
            .chain(alternatives.iter().copied())
            .filter(|&c| c != chosen)
            .collect();
        tagged.mentions[i].target = Target::Entry {
            entry: chosen,
            alternatives: over.clone().into(),
        };
        choices.push(Choice {
            span,
            chosen,
            over,
            chosen_by,
        });
    }
    choices
}

fn is_ambiguous(m: &crate::ner::Mention) -> bool {
    matches!(&m.target, Target::Entry { alternatives, .. } if !alternatives.is_empty())
}

/// The country an entry belongs to: itself for a country, else its `country` attribute.
fn country_of(e: &Entry) -> Option<&str> {
    if matches!(e.subtype.as_str(), "country" | "territory") {
        Some(&e.id)
    } else {
        e.attr("country")
    }
}

/// Whether `place` lies in `qualifier` as far as the gazetteer knows: the qualifier is the
/// place's country, or a region of that country ("Paris, Texas" for a US Paris: the
/// gazetteer knows cities' countries, not their states).
fn lies_in(place: &Entry, qualifier: &Entry) -> bool {
    let Some(country) = place.attr("country") else {
        return false;
    };
    qualifier.id == country
        || (!matches!(qualifier.subtype.as_str(), "country" | "territory" | "city")
            && qualifier.attr("country") == Some(country))
}

/// Why the matcher put `first` before `second` (see `Matcher`'s candidate order).
fn why_first(first: &Entry, second: &Entry, surface: &str) -> &'static str {
    let named = |e: &Entry| e.name.eq_ignore_ascii_case(surface);
    if named(first) && !named(second) {
        "name"
    } else if country_of(first) == Some(first.id.as_str()) && country_of(second) != Some(&second.id)
    {
        "country"
    } else if first.population() > second.population() {
        "population"
    } else {
        "order"
    }
}

#[cfg(test)]
mod tests {
    use super::choose_entries;
    use crate::{Document, Pipeline};

    fn choose(text: &str) -> Vec<(String, &'static str, Vec<String>)> {
        let p = Pipeline::new().unwrap();
        let doc = Document::new("t", text);
        let mut tagged = p.recognizer().tag(p.gazetteer(), &doc);
        let id = |i: usize| p.gazetteer().entries()[i].id.clone();
        choose_entries(p.gazetteer(), &mut tagged)
            .into_iter()
            .map(|c| {
                (
                    id(c.chosen),
                    c.chosen_by,
                    c.over.into_iter().map(id).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn a_qualifier_decides() {
        let got = choose("The plant in Waterloo, Belgium, closed.");
        assert_eq!(got[0].0, "waterloo-be");
        assert_eq!(got[0].1, "qualifier");
        assert!(got[0].2.contains(&"waterloo-ca".to_string()));
    }

    #[test]
    fn the_document_context_decides() {
        // Without context the largest Santa Ana wins; an article about El Salvador means
        // the Salvadoran one.
        let alone = choose("The rally in Santa Ana drew thousands.");
        assert_eq!(alone[0].0, "santa-ana-us");
        assert_eq!(alone[0].1, "population");
        let here = choose(
            "El Salvador's government sent police to San Salvador. \
             The rally in Santa Ana drew thousands.",
        );
        let santa_ana = here.iter().find(|c| c.0.starts_with("santa-ana")).unwrap();
        assert_eq!(santa_ana.0, "santa-ana-sv");
        assert_eq!(santa_ana.1, "context");
    }

    #[test]
    fn unambiguous_text_records_nothing() {
        assert!(choose("Russian Foreign Minister Sergei Lavrov spoke in Moscow.").is_empty());
    }
}
