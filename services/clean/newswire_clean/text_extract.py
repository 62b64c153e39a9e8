"""Plain text scraped from a page (no DOM): keep the story's span, line by line.

Every non-empty line gets a score: story-like lines (long, many stop words, ending like a
sentence) score positive in proportion to their length; navigation-like lines (short, in runs,
repeated, list headers, relative timestamps, share/cookie/subscribe prompts, comment markers,
teasers ending in "…") score negative. The story is the best-scoring contiguous span (maximum
sub-array). Inside the span, lines that are boilerplate beyond doubt are dropped, and an author
box (a name line followed by a bio that mentions the name) is split off into the authors.
"""

# ruff: noqa: SIM905 - word lists read better as split strings
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import accumulate, chain, islice, repeat

from newswire_common.contracts import Author

from ._base import Extraction, normalise_text

_WORD = re.compile(r"\w+", re.UNICODE)
_ASCII_WORD = re.compile(r"[a-z0-9_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

_LANGS = ("English", "German", "French", "Spanish", "Portuguese", "Italian", "Dutch", "Russian",
          "Polish", "Swedish", "Danish", "Norwegian_Bokmal", "Czech", "Turkish", "Indonesian",
          "Romanian", "Hungarian", "Finnish", "Ukrainian", "Greek")


@lru_cache(maxsize=1)
def _stoplists() -> dict[str, frozenset[str]]:
    try:
        import justext
        return {lang: frozenset(justext.get_stoplist(lang)) for lang in _LANGS}
    except Exception:  # noqa: BLE001 - justext missing or a list unavailable: English only
        return {"English": frozenset("the a an and or of to in on for with is was are were be been "
                                     "it that this as at by from he she they we you i his her their "
                                     "has have had not but which who will would".split())}


@lru_cache(maxsize=1)
def _stop_index() -> tuple[list[frozenset[str]], dict[str, int], list[tuple[int, ...]]]:
    """The stop lists; for every stop word a small number naming the set of lists that hold
    it; and those sets (as list positions), by that number."""
    lists = list(_stoplists().values())
    holders: dict[str, list[int]] = {}
    for i, stops in enumerate(lists):
        for w in stops:
            holders.setdefault(w, []).append(i)
    sets: dict[tuple[int, ...], int] = {}
    index = {w: sets.setdefault(tuple(ids), len(sets)) for w, ids in holders.items()}
    return lists, index, list(sets)


def _pick_stoplist(lower_words: list[list[str]]) -> frozenset[str]:
    """The stop list with the most hits among the first 1,500 (lower-cased) words; the first
    listed language wins a tie. One lookup per word, then one count per set of lists."""
    lists, index, sets = _stop_index()
    hits = [0] * len(lists)
    sample = islice(chain.from_iterable(lower_words), 1500)
    for set_id, count in Counter(map(index.get, sample)).items():
        if set_id is not None:
            for i in sets[set_id]:
                hits[i] += count
    best = max(hits, default=0)
    return lists[hits.index(best)] if best > 0 else frozenset()


# The patterns up to _CAPTION are matched against lower-cased lines, without re.IGNORECASE:
# with it, the regex engine can neither skip ahead to a possible first character nor reject an
# alternative on its first letter, and these run on most lines.
_RELATIVE_TIME = re.compile(
    r"^((posted|updated|published)\s+)?(\d+|an?|one)\s+(sec(ond)?|min(ute)?|hour|hr|day|week|month|year)s?\s+ago\.?"
    r"(\s+at\s+\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?)?$"
    r"|^(just now|yesterday|today)$")
_LIST_HEADER = re.compile(
    r"^(recent( posts| articles| stories| news| comments)?|related( posts| articles| stories| news|"
    r" content| coverage| topics)?|read (more|next|also)|more (stories|news|from|articles|on)\b.*|"
    r"popular( posts| stories| now)?|most (popular|read|viewed|shared)|trending( now| stories)?|"
    r"you (may|might) (also )?like|recommended( for you| stories)?|latest( news| posts| stories)?|"
    r"top stories|also on|see also|further reading|more in .*|categories|archives|tags?|topics|"
    r"share this( article| story| post)?:?|follow us|newsletter|sign up.*newsletter.*|"
    r"about (the )?author|about us|contact( us)?|advertisement|sponsored( content)?|"
    r"[0-9]+ (comments?|responses?|replies|thoughts on .*)|comments?( \(\d+\))?|"
    r"(top |newest |oldest |all )?(rated )?comments|\[? ?(read|view|show|see|load) (all |more )?comments ?\]?|"
    r"rating: -?\d+ votes?|discussion|responses|conversation|leave a (reply|comment)|"
    r"post a comment|add (a )?comment|join the (conversation|discussion)|"
    r"previous (post|article)|next (post|article)|quick links|useful links|explore further)\s*:?$")
# Boilerplate phrases: those anywhere in the line (a search) and those that start it (a match),
# kept apart so the search can skip along on first characters.
_BOILER_ANY = re.compile(
    r"cookie|cookies|privacy policy|terms (of|and) (use|service|conditions)|all rights reserved|"
    r"copyright ©|\(c\) \d{4}|subscribe|newsletter|sign up|sign in|log ?in|register|"
    r"share (on|this|via)|tweet|facebook|whatsapp|pinterest|linkedin|email this|print this|"
    r"click here|read more|continue reading|skip to (main )?content|javascript|your browser|"
    r"advertisement|sponsored|posted in|filed under|reply$|says:$|"
    r"\((image|photo|picture|credit|source|foto|bild)s?:?[^)]*\)$")
_BOILER_START = re.compile(
    r"©|tags?:|by\s+\S+|photo:|image:|loading|menu$|search$|home$|read more:|(see|read) also:|"
    r"don.t miss|(photograph|picture|photo) by|(getty|reuters|ap|afp|shutterstock)( images)?$|"
    r"see more:|\d+ of \d+ ")
#: Words that must occur for _is_boiler to match at all: a cheap pre-filter before the regex.
_BOILER_WORDS = frozenset(
    "cookie cookies privacy terms rights reserved copyright subscribe newsletter sign log login "
    "register share tweet facebook whatsapp pinterest linkedin email print click read continue "
    "skip javascript browser advertisement sponsored posted filed tags tag by photo image reply "
    "says loading menu search home c image picture credit source foto bild photograph getty "
    "reuters ap afp shutterstock see don miss of".split())
_COMMENTS_HEADER = re.compile(
    r"^((\d[\d,.]*k?\s+)?(comments?|responses?|replies|reader comments|thoughts on .*)|"
    r"(top |newest |oldest |all |show |view |read |load )?(rated )?comments( \(\d+\))?|"
    r"leave a (reply|comment)|post a comment|add (a )?comment|join the (conversation|discussion)|"
    r"discussion|conversation)\s*:?$")
_STRONG_BOILER = re.compile(
    r"\b(cookies?|your browser|javascript|subscribe|subscription|newsletter|sign up|log ?in to|"
    r"all rights reserved|non-commercial use|reprints?|terms of (use|service)|privacy policy|"
    r"ad ?blocker|disable your|whitelist|subject to copyright|citation:)\b"
    r"|^(published|updated|posted|last updated|modified)\b.{0,60}\d{4}"
    r"|\[\s*(video|insight|reaction|pictures|photos|poll|latest|analysis|watch|gallery)\s*\]\W*$")
_CAPTION = re.compile(
    r"(\((image|photo|picture|credit|source|foto|bild)s?:?[^)]*\)|"
    r"(photograph|picture|photo|image)\s+(by|credit|courtesy)\b.*|\bcredits?:\s*\S.{0,60}|"
    r"\b(getty images|shutterstock|afp|reuters|ap photo)\)?)$")
_DATE_LINE = re.compile(
    r"^((mon|tue|wed|thu|fri|sat|sun)\w*,?\s+)?("
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}(t[\d:.+z-]+)?|"
    r"\d{1,2}(st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}"
    r")([,\s]+(at\s+)?\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?(\s*[a-z]{2,4})?)?$")

# One match per short line instead of three.
_HARD_SHORT_NO_DATE = re.compile(f"(?:{_RELATIVE_TIME.pattern})|(?:{_LIST_HEADER.pattern})")
_HARD_SHORT = re.compile(f"{_HARD_SHORT_NO_DATE.pattern}|(?:{_DATE_LINE.pattern})")
#: The words a list header, a comments header or "just now"/"yesterday"/"today" can start with.
#: Other headers start with a number, relative times hold "ago" and dates hold digits, so a line
#: with none of these skips the regexes (most lines: the check is cheaper than the match).
_HEADER_FIRST_WORDS = frozenset(
    "recent related read more popular most trending you recommended latest top also see further "
    "categories archives tag tags topics share follow newsletter sign about contact advertisement "
    "sponsored comment comments response responses replies reader thoughts newest oldest all rated "
    "view show load rating discussion conversation leave post add join previous next quick useful "
    "explore just yesterday today".split())
_DIGIT = re.compile(r"\d")


def _is_boiler(low: str) -> bool:
    """A boilerplate phrase in the lower-cased line."""
    return bool(_BOILER_START.match(low) or _BOILER_ANY.search(low))


_END_CHARS = frozenset(".!?:;\"”’»)]。！？」』）：；~")
_TEASER_ENDS = ("…", "...", "[…]", "[...]")
_STRONG_WORDS = frozenset("cookie cookies browser javascript subscribe subscription newsletter sign log "
                          "login rights commercial reprint reprints terms privacy ad adblocker blocker "
                          "disable whitelist copyright citation published updated posted modified "
                          "video insight reaction pictures photos poll latest analysis watch "
                          "gallery".split())
_CAPTION_WORDS = frozenset("photo photograph picture image getty shutterstock afp reuters ap credit "
                           "credits".split())
_FRAME = "[](){}|:-–—•*#>«» "
_STRAY = re.compile(r"^(?=\S*[a-z][A-Z])[A-Za-z0-9_-]{6,}$")
_DATE_IN = re.compile(
    r"(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?|"
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)?|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}"
    r"(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)?|"
    r"\b\d{1,2}/\d{1,2}/\d{4})", re.IGNORECASE)
_NAME = re.compile(r"^(?:(?i:by)\s+)?([A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]*|van|von|de|da|del|der|di|le|la)){1,3})$")
_BYLINE = re.compile(r"^(by|von|par|por|di|door|av)\s+[A-Z]", re.IGNORECASE)
_BYLINE_PREFIX = re.compile(r"^(by|von|par|por|di|door|av)\s+", re.IGNORECASE)

# Scores (tuned on the dev pages; see evaluation.py).
LONG_WORDS = 10
SHORT_WORDS = 4
SHORT_PENALTY = 2.0
BOILER_PENALTY = 8.0
BARRIER = 40.0
MAX_LINE_SCORE = 60.0
MIN_STOP_DENSITY = 0.12
TITLE_LOOKBACK = 12
COMMENTS_AFTER = 60.0
COMMENT_DISCOUNT = 0.2
NO_END_FACTOR = 0.3
HEADLINE_RUN = 6
MID_SCORE = 2.0
MID_DENSITY = 0.2
MID_PENALTY = 0.5
MID_WEAK = 0.0


_HEAD_WORD = re.compile(r"[\w'’]+")
_LOWER_OK = frozenset("a an and as at by for in of on or the to vs with".split())


def _is_headline_teaser(line: str, stops: frozenset[str]) -> bool:
    """Leading words in Title Case with capitalised function words ("Police: 2 In Custody After
    ..."): a teaser headline glued to its summary, not a sentence."""
    capital_stops = 0
    for i, m in enumerate(_HEAD_WORD.finditer(line)):  # lazily: most lines break the run early
        w = m.group()
        if not (w[:1].isupper() or w[:1].isdigit() or w in _LOWER_OK):
            return False  # the run of i words ends here
        if i and w[:1].isupper() and len(w) > 1 and w.lower() in stops:
            capital_stops += 1
        if i + 1 >= HEADLINE_RUN and capital_stops >= 1:
            return True
    return False


def _lower_lines(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """The lines lower-cased, and each one's (lower-cased) words."""
    lowered = [line.lower() for line in lines]  # per line: ASCII lines take a fast path
    if any("\u0130" in line for line in lines):  # "İ".lower() is "i" + a combining dot, which
        # splits the word: take the words first, as the stop lists were made.
        return lowered, [[w.lower() for w in _WORD.findall(line)] for line in lines]
    # An ASCII line's word characters are [a-z0-9_] once lower-cased: a plain character set is
    # cheaper for the regex engine than Unicode's word category.
    return lowered, [(_ASCII_WORD if low.isascii() else _WORD).findall(low) for low in lowered]


def _line_scores(lines: list[str], lowered: list[str], words: list[list[str]],
                 stops: frozenset[str]) -> tuple[list[float], list[bool]]:
    """Per line: its score, and whether it is boilerplate beyond doubt (dropped even inside
    the span). `lowered` and `words` are the lines lower-cased and their words (_lower_lines)."""
    counts = Counter(lines)
    count_stops = stops.__contains__
    scores: list[float] = []
    hard: list[bool] = []
    done: dict[str, tuple[float, bool]] = {}  # a repeated line (menus, footers) scores the same
    for line, low, lower in zip(lines, lowered, words, strict=True):
        if line in done:
            score, is_hard = done[line]
            scores.append(score)
            hard.append(is_hard)
            continue
        n = len(lower)
        cjk = not line.isascii() and _CJK.search(line) is not None
        if cjk:  # CJK has no spaces: two characters count as a word
            n = max(n, len(_CJK.findall(line)) // 2)
        # Cheap guards first: every pattern below only matters for lines of some length or
        # with given words, and regex searches over long lines are the main cost here.
        if (n <= 12 and _is_hard_short(low, lower, n)) \
                or (" " not in line and len(line) >= 6 and line.isascii() and _STRAY.match(line)):
            score = -BARRIER - 2 if n < LONG_WORDS and counts[line] > 1 else -BARRIER
            scores.append(score)
            hard.append(True)
            done[line] = score, True
            continue
        ends = line[-1] in _END_CHARS
        if n >= 40:  # long: only sentence-likeness matters
            caption = strong = boiler = teaser = False
        else:
            caption = n < 30 and (line.endswith(")") or not _CAPTION_WORDS.isdisjoint(lower)) \
                and bool(_CAPTION.search(low))
            strong = not _STRONG_WORDS.isdisjoint(lower) and bool(_STRONG_BOILER.search(low))
            boiler = (n < 25 and (line.startswith("©") or not _BOILER_WORDS.isdisjoint(lower))
                      and _is_boiler(low))
            teaser = line.endswith(_TEASER_ENDS)
        if caption or strong or teaser:
            score = -BOILER_PENALTY
        elif n >= LONG_WORDS:
            score = min(float(n), MAX_LINE_SCORE)
            if stops and sum(map(count_stops, lower)) / max(1, len(lower)) < MIN_STOP_DENSITY \
                    and not cjk:
                score *= 0.3
            if not ends:
                score = score * NO_END_FACTOR if n >= 40 else -SHORT_PENALTY
            if boiler:
                score -= BOILER_PENALTY
            if score != -SHORT_PENALTY and _is_headline_teaser(line, stops):
                score = -SHORT_PENALTY
        elif boiler:
            score = -BOILER_PENALTY
        elif n < SHORT_WORDS:
            score = -SHORT_PENALTY
        else:
            mid_stops = sum(map(count_stops, lower)) / max(1, len(lower)) >= MID_DENSITY
            if ends and mid_stops:
                score = MID_SCORE
            elif ends or mid_stops:
                score = MID_WEAK
            else:
                score = -MID_PENALTY
        if n < LONG_WORDS and counts[line] > 1:
            score = min(score, -SHORT_PENALTY) - 2
        is_hard = caption or teaser or (boiler and n < SHORT_WORDS + 3)
        scores.append(score)
        hard.append(is_hard)
        done[line] = score, is_hard
    return scores, hard


def _may_be_header(lower: list[str]) -> bool:
    """Whether a line with these (lower-cased) words can be a list, comments or time header."""
    return bool(lower) and (lower[0] in _HEADER_FIRST_WORDS or lower[0][0].isdigit() or "ago" in lower)


def _is_hard_short(low: str, lower: list[str], n: int) -> bool:
    """A short line (lower-cased, and its words) that is a relative time, list header or date."""
    if _may_be_header(lower):
        return bool((_HARD_SHORT if n <= 10 else _HARD_SHORT_NO_DATE).match(low.strip(_FRAME)))
    return n <= 10 and _DIGIT.search(low) is not None and bool(_DATE_LINE.match(low.strip(_FRAME)))


def _discount_comments(lowered: list[str], words: list[list[str]], scores: list[float]) -> None:
    """Once a comment section starts (after some story), long lines are readers' comments."""
    seen = accumulate(map(max, scores, repeat(0.0)))  # story points up to each line
    start = next((i + 1 for i, points in enumerate(seen) if points >= COMMENTS_AFTER), len(scores))
    for i in range(start, len(scores)):
        if _may_be_header(words[i]) and _COMMENTS_HEADER.match(lowered[i].strip(_FRAME)):
            scores[i + 1:] = [s * COMMENT_DISCOUNT if s > 0 else s for s in scores[i + 1:]]
            return


def _best_span(scores: list[float]) -> tuple[int, int]:
    best, best_span = float("-inf"), (0, 0)
    run, start = 0.0, 0
    for i, s in enumerate(scores):
        if run <= 0:
            run, start = s, i
        else:
            run += s
        if run > best:
            best, best_span = run, (start, i + 1)
    return best_span


def _author_box(lines: list[str], start: int, stops: frozenset[str]) -> tuple[int, Author] | None:
    """A name line at `start` followed by a bio that mentions the name: (end index, author)."""
    m = _NAME.match(lines[start])
    if not m or start + 1 >= len(lines):
        return None
    name = m.group(1).strip()
    first = name.split()[0]
    bio = lines[start + 1]
    if len(_WORD.findall(bio)) < 8:
        return None
    if re.search(rf"\b{re.escape(first)}\b", bio) or re.match(r"^(he|she|they)\b", bio, re.IGNORECASE):
        return start + 2, Author(name=name, bio=bio)
    return None


def _find_date(lines: list[str]) -> str | None:
    for line in lines:
        if len(line) > 200 or not _DIGIT.search(line):  # every date has digits
            continue
        m = _DATE_IN.search(line)
        if m:
            return m.group(1)
    return None


_SITE_SUFFIX = re.compile(r"\s+[|–—:-]\s+[^|–—]{2,60}$")


def _title_candidate(line: str) -> bool:
    n = len(_WORD.findall(line))
    if not 3 <= n <= 30 or line.endswith((".", "…", ":")):
        return False
    low = line.lower()
    return not ((_DIGIT.search(line) and _DATE_IN.search(line)) or _BYLINE.match(line) or "@" in line
                or _is_boiler(low) or _STRONG_BOILER.search(low) or _RELATIVE_TIME.match(low))


def _pick_title(lines: list[str], start: int, hard: list[bool]) -> tuple[str | None, int | None, int]:
    """The headline: a heading-like line shortly before the story; preferably the one the first
    line (the page's <title> in scraped text) repeats, else the nearest one."""
    page_title = lines[0].lower() if lines else ""
    candidates = [i for i in range(start - 1, max(-1, start - TITLE_LOOKBACK), -1)
                  if not hard[i] and _title_candidate(lines[i])]
    for i in candidates:
        if i > 0 and lines[i].lower() in page_title:
            return lines[i], i, start
    if candidates:
        i = candidates[0]
        if i == 0:
            return _SITE_SUFFIX.sub("", lines[0]) or lines[0], 0, start
        return lines[i], i, start
    if start == 0 and len(lines) > 1 and _title_candidate(lines[0]) and len(_WORD.findall(lines[0])) <= 20:
        return lines[0], 0, 1
    return None, None, start


def extract_text(text: str) -> Extraction:
    lines = [ln for ln in normalise_text(text).split("\n") if ln]  # lines come stripped
    if not lines:
        return Extraction(method="lines")
    lowered, words = _lower_lines(lines)
    stops = _pick_stoplist(words[:400])
    scores, hard = _line_scores(lines, lowered, words, stops)
    _discount_comments(lowered, words, scores)
    start, end = _best_span(scores)
    if not scores or max(scores) <= 0:
        return Extraction(method="lines")

    title, title_at, start = _pick_title(lines, start, hard)

    # Author box: in the span's tail or right after it.
    authors: list[Author] = []
    body_end = end
    for i in range(max(start, end - 3), min(len(lines) - 1, end + 4)):
        box = _author_box(lines, i, stops)
        if box:
            authors.append(box[1])
            if i < end:
                body_end = i
            break
    if not authors:
        for i in range(max(0, start - 6), min(len(lines), start + 3)):
            if _BYLINE.match(lines[i]) and len(lines[i]) < 80:
                m = _NAME.match(_BYLINE_PREFIX.sub("", lines[i]).split(",")[0].strip())
                if m:
                    authors.append(Author(name=m.group(1)))
                break

    body = [lines[i] for i in range(start, body_end) if not hard[i] and i != title_at]
    head = lines[max(0, start - 10): start + 2]
    return Extraction(title=title, body="\n\n".join(body), authors=authors,
                      published_at_raw=_find_date(head), method="lines")
