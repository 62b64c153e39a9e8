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
import re

from lxml import etree
from lxml.html import HtmlElement
from readability import Document
from readability import readability as readability_module
from readability.readability import REGEXES

_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_UNLIKELY = REGEXES["unlikelyCandidatesRe"]
_MAYBE = REGEXES["okMaybeItsACandidateRe"]
# The same patterns without IGNORECASE, for lowercased ASCII (re.I alternations are slow).
_UNLIKELY_LOWER = re.compile(_UNLIKELY.pattern.lower())
_MAYBE_LOWER = re.compile(_MAYBE.pattern.lower())
_NEGATIVE, _POSITIVE = REGEXES["negativeRe"], REGEXES["positiveRe"]
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
    words = text.split()
    if not words:
        return 0
    length = sum(map(len, words)) + len(words) - 1
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


def _text_length(elem: HtmlElement) -> int:
    return clean_length(elem.text_content() or "")


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


#: _unlikely verdicts by "class id" string: the same strings recur within and across pages.
_UNLIKELY_VERDICTS: dict[str, bool] = {}
_MAX_VERDICTS = 20_000


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
        #: text lengths of links, while score_paragraphs (which does not change the tree) runs
        self._link_lengths: dict[HtmlElement, int] | None = None

    def _parse(self, input):
        # stock: doc.xpath("//*[@hidden]") then doc.xpath("//*[@style]") on what is left; one
        # Python walk collects both (XPath predicates cost about 1 µs an element).
        doc = input
        hidden, styled = [], []
        for elem in doc.getroottree().iter(etree.Element):
            if elem.get("hidden") is not None:
                hidden.append(elem)
            style = elem.get("style")
            if style is not None and _DISPLAY_NONE.search(style):
                styled.append(elem)
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
        lengths = self._link_lengths
        if lengths is None:
            link_length = sum(_text_length(a) for a in elem.findall(".//a"))
        else:  # nested candidates share their links
            link_length = 0
            for a in elem.findall(".//a"):
                length = lengths.get(a)
                if length is None:
                    length = lengths[a] = _text_length(a)
                link_length += length
        return float(link_length) / max(_text_length(elem), 1)

    def score_paragraphs(self):
        # The stock method without clean(): the score only needs the cleaned text's length and
        # its commas, which clean() leaves alone.
        min_len = self.min_text_length
        candidates = {}
        ordered = []
        for elem in self.tags(self._html(), "p", "pre", "td", "blockquote"):
            parent_node = elem.getparent()
            if parent_node is None:
                continue
            grand_parent_node = parent_node.getparent()
            text = elem.text_content() or ""
            inner_text_len = clean_length(text)
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

        self._link_lengths = {}
        try:
            for elem in ordered:
                candidates[elem]["content_score"] *= 1 - self.get_link_density(elem)
        finally:
            self._link_lengths = None
        return candidates

    def remove_unlikely_candidates(self):
        # The stock loop, with one verdict per distinct class/id string (kept across pages), and
        # none of the work for elements inside a subtree already dropped (it could only drop
        # them from that). Verdicts read attributes only, which drops do not change, so they
        # are all taken in one walk before any drop (stock: xpath(".//*[@class or @id]")).
        flagged = []
        for elem in self.html.iterdescendants(etree.Element):
            cls, ident = elem.get("class"), elem.get("id")
            if cls is None and ident is None:
                continue
            s = f"{cls or ''} {ident or ''}"
            if len(s) < 2:
                continue
            verdict = _UNLIKELY_VERDICTS.get(s)
            if verdict is None:
                if len(_UNLIKELY_VERDICTS) >= _MAX_VERDICTS:
                    _UNLIKELY_VERDICTS.clear()
                verdict = _UNLIKELY_VERDICTS[s] = _unlikely(s)
            if verdict:
                flagged.append(elem)
        dropped: set[HtmlElement] = set()
        for elem in flagged:
            if (
                elem.tag not in ("html", "body")
                and not any(anc in dropped for anc in elem.iterancestors())
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


install_text_length()
