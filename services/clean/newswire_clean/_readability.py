"""readability-lxml's Document, same output, less CPU (the second opinion of html_extract).

Three of its steps cost most of its time for reasons unrelated to the algorithm: a regex pair
per element with a debug description of each dropped one, a serialisation of every <div>'s
children to look for block tags, and three regex substitutions over an element's text to
measure its length (link density).
The overrides below compute the same things another way; `tests/test_clean.py` checks the
summaries against the stock class on real pages.
"""

from __future__ import annotations

import inspect
import logging
import re

from lxml import etree
from lxml.html import HtmlElement
from readability import Document
from readability import readability as readability_module
from readability.debug import describe
from readability.debug import text_content as debug_text_content
from readability.readability import REGEXES, is_video_url, log

from ._base import source_digest

_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_MAYBE = REGEXES["okMaybeItsACandidateRe"]
# The same patterns without IGNORECASE, for lowercased ASCII (re.I alternations are slow).
_UNLIKELY_LOWER = re.compile(_UNLIKELY.pattern.lower())
_MAYBE_LOWER = re.compile(_MAYBE.pattern.lower())
_NEGATIVE, _POSITIVE = REGEXES["negativeRe"], REGEXES["positiveRe"]
_CALL_TO_ACTION = REGEXES["callToActionRe"]
#: "^..." without MULTILINE: search() can only match at the start, where match() tries alone
_CALL_TO_ACTION_TEST = (_CALL_TO_ACTION.match if _CALL_TO_ACTION.pattern.startswith("^")
                        and not _CALL_TO_ACTION.flags & re.MULTILINE else _CALL_TO_ACTION.search)
_NEGATIVE_LOWER = re.compile(_NEGATIVE.pattern.lower())
_POSITIVE_LOWER = re.compile(_POSITIVE.pattern.lower())
#: Tags whose serialisation matches readability's divToPElementsRe ("<p" also matches
#: "<pre", "<param", "<picture"...: it is a prefix test).
_BLOCK_PREFIXES = ("blockquote", "dl", "div", "img", "ol", "p", "table", "ul")
_INLINE = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub",
                     "sup", "u"})


#: Blanks other than space and newline (tab, no-break space...): clean() may keep runs of them.
_ODD_BLANK = re.compile(r"[^\S \n]")
_TABS = re.compile(r"\t|[ \t]{2,}")  # readability's third clean() step


def _blank_run_length(run: str) -> int:
    """Length clean() leaves of an inner run of blanks."""
    if len(run) >= 255 or "\n" in run:
        return 1
    return len(_TABS.sub(" ", run))


def clean_length(text: str) -> int:
    """len(readability.clean(text)) without its three regex passes over the whole text.

    clean() turns every inner run of blanks into one character, except a run without newline
    that holds tabs or other odd blanks (no-break spaces...), which keeps more; then strips."""
    if text.isprintable() and "  " not in text:  # no blank but single spaces (most links)
        return len(text.strip(" "))
    words = text.split()
    if not words:
        return 0
    length = len(" ".join(words))
    # Every odd blank is a non-printable character, and so is "\n": most texts have neither
    # left once newlines are spaces (two C scans instead of a regex scan of every character).
    if text.replace("\n", " ").isprintable():
        return length
    end, size = -1, len(text)
    for odd in _ODD_BLANK.finditer(text):
        start = odd.start()
        if start < end:  # same run as the previous odd blank
            continue
        while start > 0 and text[start - 1].isspace():
            start -= 1
        end = odd.end()
        while end < size and text[end].isspace():
            end += 1
        if 0 < start and end < size:  # leading and trailing runs are stripped
            length += _blank_run_length(text[start:end]) - 1
    return length


_tostring = etree.tostring


def text_of(elem: HtmlElement) -> str:
    """elem.text_content(): lxml evaluates an XPath string() for it (about 2 µs a call); an
    element without children (most links and many paragraphs) has only its .text. Others: the
    text serialiser, which reads the same libxml2 node content (xmlNodeGetContent) without
    setting up an XPath context (a sixth fewer instructions)."""
    if not len(elem):
        return elem.text or ""
    return _tostring(elem, method="text", encoding="unicode", with_tail=False)


def _text_length(elem: HtmlElement) -> int:
    return clean_length(text_of(elem))


#: readability's module-level text_length, which its Document methods (sanitize, the semantic
#: candidate checks) call by name: len(clean(text)) with clean's three regex passes, on texts up
#: to the whole page. Swapped for _text_length (same value, see clean_length) only while it is
#: this definition.
_STOCK_TEXT_LENGTH = 'def text_length(i):\n    return len(clean(i.text_content() or ""))\n'


#: readability's own text_length, for tests that compare against stock behaviour.
stock_text_length = readability_module.text_length


def install_text_length() -> bool:
    current = readability_module.text_length
    if current is _text_length:
        return True
    try:
        stock = inspect.getsource(current) == _STOCK_TEXT_LENGTH
    except (OSError, TypeError):
        stock = False
    if stock:
        readability_module.text_length = _text_length
    return stock


_MAX_VERDICTS = 20_000
#: (unlikely pattern found, maybe-candidate pattern found) by class or id value: the same
#: values recur within and across pages.
_FLAGS: dict[str, tuple[bool, bool]] = {}


def _flags(value: str) -> tuple[bool, bool]:
    flags = _FLAGS.get(value)
    if flags is None:
        if len(_FLAGS) >= _MAX_VERDICTS:
            _FLAGS.clear()
        if value.isascii():
            low = value.lower()
            flags = (bool(_UNLIKELY_LOWER.search(low)), bool(_MAYBE_LOWER.search(low)))
        else:
            flags = (bool(_UNLIKELY.search(value)), bool(_MAYBE.search(value)))
        _FLAGS[value] = flags
    return flags


def _unlikely_pair(cls: str | None, ident: str | None) -> bool:
    """_unlikely(f"{cls} {ident}") from each value's own flags: no pattern holds a space, so
    no match spans the two."""
    if cls:
        unlikely, maybe = _flags(cls)
        if ident:
            unlikely2, maybe2 = _flags(ident)
            return (unlikely or unlikely2) and not (maybe or maybe2)
        return unlikely and not maybe
    if ident:
        unlikely, maybe = _flags(ident)
        return unlikely and not maybe
    return False


def _unlikely(attrs: str) -> bool:
    """readability's test of "class id" for an unlikely candidate."""
    if attrs.isascii():
        low = attrs.lower()
        return bool(_UNLIKELY_LOWER.search(low)) and not _MAYBE_LOWER.search(low)
    return bool(_UNLIKELY.search(attrs)) and not _MAYBE.search(attrs)


def _feature_weight(feature: str) -> int:
    """readability's class_weight term for one class or id value."""
    if feature.isascii():
        low = feature.lower()
        negative, positive = _NEGATIVE_LOWER.search(low), _POSITIVE_LOWER.search(low)
    else:
        negative, positive = _NEGATIVE.search(feature), _POSITIVE.search(feature)
    return (-25 if negative else 0) + (25 if positive else 0)


def _with_block_descendant(root: HtmlElement) -> set[HtmlElement]:
    """Elements with a descendant whose tag readability counts as a block (one pass)."""
    marked: set[HtmlElement] = set()
    for elem in root.iter(etree.Element):
        if elem.tag.lower().startswith(_BLOCK_PREFIXES):
            for anc in elem.iterancestors():
                if anc in marked:
                    break
                marked.add(anc)
    return marked


class TreeDocument(Document):
    """readability's Document on a tree we own: its own _parse deep-copies the tree and runs
    lxml's Cleaner (javascript link rewriting included), which costs more than the scoring
    itself. Here the tree is cleaned in place with the few steps that matter for text."""

    def __init__(self, input, **kwargs) -> None:
        super().__init__(input, **kwargs)
        self._weights: dict[str, int] = {}
        #: (tree, elements with an unlikely class/id) from the last _parse
        self._unlikely: tuple[HtmlElement | None, list[HtmlElement]] = (None, [])
        #: text_length of elements whose subtree has not changed since it was measured: set
        #: from scoring to the choice of the best candidate (nothing changes the tree there) and
        #: in sanitize (every drop forgets the dropped element's ancestors); None elsewhere.
        self._lengths: dict[HtmlElement, int] | None = None

    def _length(self, elem: HtmlElement) -> int:
        lengths = self._lengths
        if lengths is None:
            return _text_length(elem)
        length = lengths.get(elem)
        if length is None:
            length = lengths[elem] = _text_length(elem)
        return length

    def _drop(self, elem: HtmlElement) -> None:
        """elem.drop_tree(), forgetting the lengths it changes (its ancestors')."""
        lengths = self._lengths
        if lengths:
            for anc in elem.iterancestors():
                lengths.pop(anc, None)
        elem.drop_tree()

    def _parse(self, input):
        # stock: doc.xpath("//*[@hidden]") then doc.xpath("//*[@style]") on what is left; one
        # Python walk collects both (XPath predicates cost about 1 µs an element).
        # The same walk takes remove_unlikely_candidates' verdicts (attributes only): it
        # skips the elements this method and summary() drop before it runs.
        self._lengths = None
        doc = input
        hidden, styled, unlikely = [], [], []
        for elem in doc.getroottree().iter(etree.Element):
            get = elem.get
            if get("hidden") is not None:
                hidden.append(elem)
            style = get("style")
            if style is not None and _DISPLAY_NONE.search(style):
                styled.append(elem)
            if _unlikely_pair(get("class"), get("id")):
                unlikely.append(elem)
        self._unlikely = (doc, unlikely)
        for elem in hidden:
            elem.drop_tree()
        if hidden:  # a styled element in a dropped subtree is no longer in the document
            gone = set(hidden)
            styled = [elem for elem in styled
                      if elem not in gone and not any(anc in gone for anc in elem.iterancestors())]
        for elem in styled:
            elem.drop_tree()
        etree.strip_elements(doc, "script", "style", "link", "template", etree.Comment,
                             etree.ProcessingInstruction, with_tail=False)
        return doc

    def tags(self, node, *tag_names):
        # stock: node.findall(".//" + tag) through ElementPath's Python generators; the same
        # list (a snapshot per tag, taken when the tag's turn comes) from lxml's C iterator
        for tag_name in tag_names:
            yield from list(node.iterdescendants(tag_name))

    def reverse_tags(self, node, *tag_names):
        for tag_name in tag_names:
            yield from reversed(list(node.iterdescendants(tag_name)))

    def class_weight(self, e):
        if self.positive_keywords or self.negative_keywords:
            return super().class_weight(e)
        weights = self._weights  # one verdict per distinct class or id value
        weight = 0
        for feature in (e.get("class", None), e.get("id", None)):
            if feature:
                if feature not in weights:
                    weights[feature] = _feature_weight(feature)
                weight += weights[feature]
        return weight

    def get_link_density(self, elem):
        # stock: findall(".//a") (ElementPath's Python machinery) and text_length each time;
        # nested candidates share their links' lengths
        length = self._length
        link_length = 0
        for a in elem.iterdescendants("a"):
            link_length += length(a)
        return float(link_length) / max(length(elem), 1)

    def score_paragraphs(self):
        # The stock method without clean(): the score only needs the cleaned text's length and
        # its commas, which clean() leaves alone.
        min_len = self.min_text_length
        candidates = {}
        ordered = []
        self._lengths = lengths = {}
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            text = text_of(elem)
            inner_text_len = lengths[elem] = clean_length(text)
            if inner_text_len < min_len:
                continue
            if parent_node not in candidates:
                candidates[parent_node] = self.score_node(parent_node)
                ordered.append(parent_node)
            if grand_parent_node is not None and grand_parent_node not in candidates:
                candidates[grand_parent_node] = self.score_node(grand_parent_node)
                ordered.append(grand_parent_node)
            content_score = 1
            content_score += text.count(",") + 1
            content_score += min((inner_text_len / 100), 3)
            candidates[parent_node]["content_score"] += content_score
            if grand_parent_node is not None:
                candidates[grand_parent_node]["content_score"] += content_score / 2.0

        for elem in ordered:
            candidates[elem]["content_score"] *= 1 - self.get_link_density(elem)
        return candidates

    def get_article(self, candidates, best_candidate, html_partial=False):
        self._lengths = None  # it moves elements around
        return super().get_article(candidates, best_candidate, html_partial=html_partial)

    def select_best_candidate(self, candidates):
        # The stock method without its debug lines (formatted, with describe(), even when
        # debug logging is off) and with the lengths measured while scoring.
        if not candidates:
            return None
        sorted_candidates = sorted(candidates.values(), key=lambda x: x["content_score"], reverse=True)
        if log.isEnabledFor(logging.DEBUG):
            for candidate in sorted_candidates[:5]:
                log.debug("Top 5 : {:6.3f} {}".format(candidate["content_score"], describe(candidate["elem"])))
        best_candidate = sorted_candidates[0]
        article_body_candidates = [
            candidate
            for candidate in sorted_candidates
            if "articleBody" in (candidate["elem"].get("itemprop") or "").split()
            and self.get_link_density(candidate["elem"]) <= 0.1
        ]
        if article_body_candidates:
            best_candidate = article_body_candidates[0]
        descendants = set(best_candidate["elem"].iterdescendants())
        nested_articles = [
            candidate
            for candidate in sorted_candidates
            if candidate["elem"].tag == "article"
            and candidate["elem"] in descendants
            and self._length(candidate["elem"]) >= 250
            and candidate["content_score"] >= best_candidate["content_score"] * 0.25
        ]
        if nested_articles:
            best_candidate = nested_articles[0]
        return best_candidate

    def sanitize(self, node, candidates, keep_all_images=False):
        # The stock method with each element's text measured once (it took text_content() up
        # to three times per element, and text_length/link density again for nested ones), its
        # debug lines formatted only when debug logging is on, and element counts by
        # iterdescendants (stock: findall). Lengths stay right across drops: _drop forgets the
        # ancestors'. Tags are still looked up lazily, tag by tag, after earlier drops.
        self._lengths = {}
        try:
            return self._sanitize(node, candidates, keep_all_images)
        finally:
            self._lengths = None

    def _sanitize(self, node, candidates, keep_all_images):
        min_len = self.min_text_length
        debug = log.isEnabledFor(logging.DEBUG)
        lengths = self._lengths
        for header in self.tags(node, "h1", "h2", "h3", "h4", "h5", "h6"):
            if self.class_weight(header) < 0 or self.get_link_density(header) > 0.33:
                self._drop(header)

        for elem in self.tags(node, "p"):
            if _CALL_TO_ACTION_TEST(text_of(elem)) and self.get_link_density(elem) > 0.2:
                self._drop(elem)

        for elem in self.tags(node, "form", "textarea"):
            self._drop(elem)

        for elem in self.tags(node, "iframe"):
            if "src" in elem.attrib and is_video_url(elem.attrib["src"]):
                elem.attrib.pop("srcdoc", None)
                elem.text = "VIDEO"  # ADD content to iframe text node to force <iframe></iframe> proper output
                for anc in (elem, *elem.iterancestors()):
                    lengths.pop(anc, None)
            else:
                self._drop(elem)

        allowed = self.get_preserved_elements(node)
        # Conditionally clean <table>s, <ul>s, and <div>s
        for el in self.reverse_tags(node, "table", "ul", "div", "aside", "header", "footer", "section"):
            if el in allowed:
                continue
            weight = self.class_weight(el)
            content_score = candidates[el]["content_score"] if el in candidates else 0
            tag = el.tag

            if weight + content_score < 0:
                if debug:
                    log.debug("Removed %s with score %6.3f and weight %-3s"
                              % (describe(el), content_score, weight))
                self._drop(el)
                continue
            text = text_of(el)
            if text.count(",") >= 10:
                continue
            counts = {}
            for kind in ("p", "img", "li", "a", "embed", "input"):
                counts[kind] = len(list(el.iterdescendants(kind)))
            counts["li"] -= 100
            counts["input"] -= sum(1 for i in el.iterdescendants("input") if i.get("type") == "hidden")

            # Count the text length excluding any surrounding whitespace
            content_length = lengths.get(el)
            if content_length is None:
                content_length = lengths[el] = clean_length(text)
            link_density = self.get_link_density(el)
            parent_node = el.getparent()
            if parent_node is not None:
                content_score = candidates[parent_node]["content_score"] if parent_node in candidates else 0
            to_remove = False
            reason = ""

            if keep_all_images and el.tag == "div" and counts["img"] >= 1:
                continue
            if counts["p"] and counts["img"] > 1 + counts["p"] * 1.3:
                reason = "too many images (%s)" % counts["img"]
                to_remove = True
            elif counts["li"] > counts["p"] and tag not in ("ol", "ul"):
                reason = "more <li>s than <p>s"
                to_remove = True
            elif counts["input"] > (counts["p"] / 3):
                reason = "less than 3x <p>s than <input>s"
                to_remove = True
            elif content_length < min_len and counts["img"] == 0:
                reason = "too short content length %s without a single image" % content_length
                to_remove = True
            elif content_length < min_len and counts["img"] > 2:
                reason = "too short content length %s and too many images" % content_length
                to_remove = True
            elif (
                weight < 25
                and link_density
                > (
                    0.25
                    if tag in ("ul", "section") and el.xpath("ancestor::main | ancestor::article")
                    else 0.2
                )
            ):
                reason = f"too many links {link_density:.3f} for its weight {weight}"
                to_remove = True
            elif weight >= 25 and link_density > 0.5:
                reason = f"too many links {link_density:.3f} for its weight {weight}"
                to_remove = True
            elif (counts["embed"] == 1 and content_length < 75) or counts["embed"] > 1:
                reason = "<embed>s with too short content length, or too many <embed>s"
                to_remove = True
            elif not content_length:
                reason = "no content"
                to_remove = True
                # find x non empty preceding and succeeding siblings
                i, j = 0, 0
                x = 1
                siblings = []
                for sib in el.itersiblings():
                    sib_content_length = self._length(sib)
                    if sib_content_length:
                        i = +1
                        siblings.append(sib_content_length)
                        if i == x:
                            break
                for sib in el.itersiblings(preceding=True):
                    sib_content_length = self._length(sib)
                    if sib_content_length:
                        j = +1
                        siblings.append(sib_content_length)
                        if j == x:
                            break
                if siblings and sum(siblings) > 1000:
                    to_remove = False
                    if debug:
                        log.debug("Allowing %s" % describe(el))
                    for desnode in self.tags(el, "table", "ul", "div", "section"):
                        allowed[desnode] = True

            if to_remove:
                if debug:
                    log.debug("Removed %6.3f %s with weight %s cause it has %s."
                              % (content_score, describe(el), weight, reason))
                self._drop(el)
            elif debug:
                log.debug("Not removing %s of length %s: %s"
                          % (describe(el), content_length, debug_text_content(el)))

        self.html = node
        return self.get_clean_html()

    def remove_unlikely_candidates(self):
        # The stock loop, with one verdict per distinct class/id string (kept across pages), and
        # none of the work for elements inside a subtree already dropped (it could only drop
        # them from that). Verdicts read attributes only, which drops do not change, so they
        # are all taken in one walk before any drop (stock: xpath(".//*[@class or @id]")).
        root = self.html
        parsed, flagged = self._unlikely
        self._unlikely = (None, [])
        if parsed is not root:  # not the tree _parse walked: the stock walk
            flagged = [elem for elem in root.iterdescendants(etree.Element)
                       if _unlikely_pair(elem.get("class"), elem.get("id"))]
        dropped: set[HtmlElement] = set()
        for elem in flagged:
            if elem is root:
                continue
            ancestors = list(elem.iterancestors())
            if (
                # still in the document (not under an element dropped since _parse)
                ancestors and ancestors[-1] is root
                and elem.tag not in ("html", "body")
                and not any(anc in dropped for anc in ancestors)
                # stock: xpath("ancestor-or-self::pre | ancestor-or-self::code") and
                # xpath("descendant-or-self::main | ... article | ... math"), compiled per call
                and elem.tag not in ("pre", "code")
                and next(elem.iterancestors("pre", "code"), None) is None
                and next(elem.iter("main", "article", "math"), None) is None
            ):
                dropped.add(elem)
                elem.drop_tree()

    def transform_misused_divs_into_paragraphs(self):
        # The stock method; "serialise the children and search for a block tag" is replaced by
        # a set of elements with a block descendant, computed once, and new <p>s are made by
        # makeelement rather than by parsing "<p/>". Divs turned into <p> have no block
        # descendant, so the set stays right while the loops change the tree.
        blocky = _with_block_descendant(self.html)
        for elem in self.html.findall(".//div"):
            if elem not in blocky:
                elem.tag = "p"

        for elem in self.html.findall(".//div"):
            children = list(elem)
            paragraph = None
            if elem.text and elem.text.strip():
                p = elem.makeelement("p", {})
                p.text = elem.text
                elem.text = None
                elem.insert(0, p)
                paragraph = p

            for child in children:
                if child.tag == "br":
                    paragraph = None
                    continue
                if child.tag not in _INLINE or child in blocky:
                    paragraph = None
                    continue
                if paragraph is None:
                    paragraph = elem.makeelement("p", {})
                    child.addprevious(paragraph)
                paragraph.append(child)

            for pos, child in reversed(list(enumerate(elem))):
                if child.tail and child.tail.strip():
                    p = elem.makeelement("p", {})
                    p.text = child.tail
                    child.tail = None
                    elem.insert(pos + 1, p)
                if child.tag == "br":
                    child.drop_tree()


#: Stock methods TreeDocument carries a modified copy of, by a digest of their readability-lxml
#: 0.9 source: another version keeps its own method (the copies that measure lengths then fall
#: back without them).
_COPIED = {"sanitize": "4a55ba3fc170f7bb", "select_best_candidate": "94b46046aa39c59a",
           "tags": "377f1958de8f3058", "reverse_tags": "35abcaee8931dadd"}
_MEASURING = frozenset({"sanitize", "select_best_candidate"})


def _stock_without_lengths(stock):
    def method(self, *args, **kwargs):
        self._lengths = None
        return stock(self, *args, **kwargs)
    return method


def install_copies() -> list[str]:
    """Keep the copies whose stock source is the known one; the names kept."""
    kept = []
    for name, digest in _COPIED.items():
        stock = getattr(Document, name)
        if source_digest(stock) == digest:
            kept.append(name)
        else:
            setattr(TreeDocument, name, _stock_without_lengths(stock) if name in _MEASURING else stock)
    return kept


install_text_length()
install_copies()
