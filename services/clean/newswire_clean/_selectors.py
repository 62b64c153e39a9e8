"""trafilatura's costliest XPath selectors as Python code: same elements, same order.

trafilatura 2.3 picks and prunes page regions with XPath expressions such as
``.//*[self::div or self::section][re:test(@id, '...') or re:test(@class, '...')]``. In lxml each
``re:test`` is a call from libxml2 back into Python (the node-set converted, the pattern looked
up), and each ``self::x`` test allocates a node set, for every element of the page: these
selectors were a third of trafilatura's time on the dev pages. Walking the elements with
``iterdescendants`` and testing the attributes with the very same Python regexes gives the same
list several times faster.

Semantics kept exactly (and checked against the stock expressions in tests/test_selectors.py):

* ``.//*`` is every descendant element of the context node, not the node itself, in document order;
* ``@a`` as a string is the attribute's value, or "" when it is absent (``re:test`` then searches "");
* ``@a|@b`` as a string is the value of whichever of the two comes first in the element's source
  attribute order (XPath's string() of a node set takes its first node);
* ``step[pred][1]`` keeps the first match among each parent's children, ``(path)[1]`` the first
  match overall; unions come back in document order without duplicates.

`install()` swaps them into trafilatura only where its expression is the one reimplemented here
(compared by a digest of the XPath text), so a trafilatura upgrade that changes one falls back to
the stock selector instead of silently diverging.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
from collections.abc import Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import xpaths as traf_xpaths
from trafilatura.htmlprocessing import collect_link_info, is_paragraph_listing
from trafilatura.utils import LINK_FARM_RATIO, trim

from ._base import source_digest

log = logging.getLogger(__name__)

Selector = Callable[[HtmlElement], list[HtmlElement]]


def _first_of(elem: HtmlElement, first: str, second: str) -> str:
    """string(@first|@second): the value of whichever attribute comes first in source order."""
    a, b = elem.get(first), elem.get(second)
    if a is None:
        return "" if b is None else b
    if b is None:
        return a
    for key in elem.keys():  # noqa: SIM118 - attribute order is the point
        if key == first:
            return a
        if key == second:
            return b
    return a  # not reached: both attributes exist


#: Verdicts kept per selector: class and id values repeat within and across pages.
_MEMO_SIZE = 20_000


def _test(pattern: str, flags: int = 0) -> Callable[[str | None], bool]:
    """re:test(@attr, pattern[, 'i']) given the attribute's value or None: lxml runs Python's
    re.search (re.UNICODE) on the value, or on "" when the attribute is absent."""
    search = re.compile(pattern, re.UNICODE | flags).search
    if search(""):  # the callers' `value and test(value)` shortcut relies on this
        raise ValueError(f"pattern matches the empty string: {pattern!r}")
    memo: dict[str, bool] = {}

    def test(value: str | None) -> bool:
        if not value:
            return False
        verdict = memo.get(value)
        if verdict is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            verdict = memo[value] = search(value) is not None
        return verdict

    return test


# --- trafilatura.xpaths, in the order they are defined there --------------------------------

_ARTICLE_ID = _test(traf_xpaths._alt(traf_xpaths._ARTICLE_CONTENT_ID_TOKENS))
_ARTICLE_CLASS = _test(traf_xpaths._alt(traf_xpaths._ARTICLE_CONTENT_CLASS_TOKENS))
_STORY_ID = _test(traf_xpaths._alt(traf_xpaths._STORY_ID_TOKENS))
_FULLTEXT_CLASS = _test("fulltext", re.IGNORECASE)
_STORY_CLASS = _test(traf_xpaths._alt(traf_xpaths._STORY_CLASS_TOKENS))
_MAIN_ID = _test(traf_xpaths._alt(traf_xpaths._MAIN_CONTENT_ID_TOKENS))
_MAIN_CLASS = _test(traf_xpaths._alt(traf_xpaths._MAIN_CONTENT_CLASS_TOKENS))
_BODY_TAGS = ("article", "div", "main", "section")


def body_article_content(root: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[0]: `.//*[self::article|div|main|section][...][1]` (first match per parent)."""
    found, parents = [], set()
    for elem in root.iterdescendants(_BODY_TAGS):
        cls, ident = elem.get("class") or "", elem.get("id") or ""
        if (cls in ("post", "entry") or elem.get("itemprop") == "articleBody" or ident == "articleContent"
                or _ARTICLE_ID(ident) or _ARTICLE_CLASS(cls)):
            parent = elem.getparent()
            if parent not in parents:
                parents.add(parent)
                found.append(elem)
    return found


def body_first_article(root: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[1]: `(.//article)[1]`."""
    elem = next(root.iterdescendants("article"), None)
    return [] if elem is None else [elem]


def _first(root: HtmlElement, tags: tuple[str, ...], test: Callable[[HtmlElement], bool]) -> list[HtmlElement]:
    for elem in root.iterdescendants(tags):
        if test(elem):
            return [elem]
    return []


def _is_story(elem: HtmlElement) -> bool:
    cls, ident = elem.get("class") or "", elem.get("id") or ""
    return (elem.get("role") == "article" or ident in ("article", "story")
            or cls in ("postarea", "art-postcontent", "text", "cell", "story")
            or _STORY_ID(ident) or _FULLTEXT_CLASS(cls) or _STORY_CLASS(cls))


def body_story(root: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[2]: `(.//*[self::article|div|main|section][story-like])[1]`."""
    return _first(root, _BODY_TAGS, _is_story)


def _is_main_content(elem: HtmlElement) -> bool:
    cls, ident = elem.get("class") or "", elem.get("id") or ""
    return (ident == "content" or cls == "content" or _MAIN_ID(ident) or _MAIN_CLASS(cls)
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in cls.replace("C", "c").replace("M", "m")
            or "page-content" in cls.replace("C", "c").replace("P", "p"))


def body_main_content(root: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[3]: `(.//*[self::article|div|main|section][main-content-like])[1]`."""
    return _first(root, _BODY_TAGS, _is_main_content)


def body_main(root: HtmlElement) -> list[HtmlElement]:
    """BODY_XPATH[4]: `(.//*[self::article|div|section][starts-with(@class|@id|@role, 'main')])[1]
    | (.//main)[1]`, in document order."""
    found: list[HtmlElement] = []
    want_main = want_other = True
    for elem in root.iterdescendants(_BODY_TAGS):
        if elem.tag == "main":
            if want_main:
                want_main = False
                found.append(elem)
        elif want_other and ((elem.get("class") or "").startswith("main") or (elem.get("id") or "").startswith("main")
                             or (elem.get("role") or "").startswith("main")):
            want_other = False
            found.append(elem)
        if not (want_main or want_other):
            break
    return found


_COMMENTS_TAGS = ("div", "list", "section", "details", "ol", "ul")
_COMMENTS_ID = _test(f"^(?:{traf_xpaths._COMMENTS_ID}|disqus_thread|dsq-comments)")
_COMMENTS_ID_NO_DISQUS = _test(f"^(?:{traf_xpaths._COMMENTS_ID})")
_COMMENTS_CLASS = _test(traf_xpaths._COMMENTS_CLASS)


def remove_comments(root: HtmlElement) -> list[HtmlElement]:
    """REMOVE_COMMENTS_XPATH[0]: comment containers."""
    return [elem for elem in root.iterdescendants(_COMMENTS_TAGS[:4])
            if _COMMENTS_ID(elem.get("id")) or _COMMENTS_CLASS(elem.get("class"))]


def remove_comments_and_lists(root: HtmlElement) -> list[HtmlElement]:
    """REMOVE_COMMENTS_AND_LISTS_XPATH[0]: comment containers and ol/ul comment lists (no disqus ids)."""
    found = []
    for elem in root.iterdescendants(_COMMENTS_TAGS):
        ident, cls = elem.get("id") or "", elem.get("class") or ""
        if not (_COMMENTS_ID(ident) or _COMMENTS_CLASS(cls)):
            continue
        if elem.tag in ("ol", "ul") and not (_COMMENTS_ID_NO_DISQUS(ident) or _COMMENTS_CLASS(cls)):
            continue
        found.append(elem)
    return found


_SCROLL_TAGS = ("div", "section", "aside")
_INFINITE = _test("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_MVP = _test("mvp-post-add-(?:box|wrap)")


def raw_infinite_scroll(root: HtmlElement) -> list[HtmlElement]:
    """RAW_TREE_PRUNE_XPATH[0]: infinite-scroll containers (without the page's h1, or mvp ones)."""
    found = []
    for elem in root.iterdescendants(_SCROLL_TAGS):
        ident, cls = elem.get("id") or "", elem.get("class") or ""
        if (_INFINITE(ident) or _INFINITE(cls)) and (
                next(elem.iterdescendants("h1"), None) is None or _MVP(ident) or _MVP(cls)):
            found.append(elem)
    return found


def raw_share_buttons(root: HtmlElement) -> list[HtmlElement]:
    """RAW_TREE_PRUNE_XPATH[1]: elementor share buttons."""
    return [elem for elem in root.iterdescendants(_SCROLL_TAGS)
            if "elementor-share-buttons" in (elem.get("class") or "")]


_DISCARD_TAGS = ("div", "item", "list", "p", "section", "span")
_COOKIE = _test(traf_xpaths._alt(traf_xpaths._CONSENT_ID_CLASS_TOKENS))
_DISCARD_ID = _test(traf_xpaths._alt(traf_xpaths._OVERALL_DISCARD_BOTH_TOKENS
                                     + traf_xpaths._OVERALL_DISCARD_ID_TOKENS))
_DISCARD_CLASS = _test(traf_xpaths._alt(traf_xpaths._OVERALL_DISCARD_BOTH_TOKENS
                                        + traf_xpaths._OVERALL_DISCARD_CLASS_TOKENS))


def overall_discard(root: HtmlElement) -> list[HtmlElement]:
    """OVERALL_DISCARD_XPATH[0]: navigation, share, newsletter, ads, footers... by class/id/role."""
    return [elem for elem in root.iterdescendants(_DISCARD_TAGS)
            if elem.get("data-lp-replacement-content") is not None
            or "nav" in (elem.get("role") or "").replace("N", "n")
            or "MostPopularStories" in (elem.get("data-component") or "")
            or _COOKIE(_first_of(elem, "id", "class"))
            or _DISCARD_ID(elem.get("id"))
            or _DISCARD_CLASS(elem.get("class"))]


_HIDDEN = _test("hidden")
_READER_COMMENTS_ID = _test("reader-comments|akismet")
_HIDE_CLASS = _test("^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print"
                    "| hidden| hide|noprint|notloaded")


def overall_discard_hidden(root: HtmlElement) -> list[HtmlElement]:
    """OVERALL_DISCARD_XPATH[1]: hidden elements and comment furniture, any tag."""
    found = []
    for elem in root.iterdescendants(etree.Element):
        if not elem.attrib:  # every clause needs an attribute: an empty string fails them all
            continue
        cls, ident, style = elem.get("class") or "", elem.get("id") or "", elem.get("style") or ""
        if (cls == "comments-title" or _first_of(elem, "id", "class").startswith("reply-")
                or _HIDDEN(_first_of(elem, "id", "style"))
                or "display:none" in style or "display: none" in style
                or _READER_COMMENTS_ID(ident) or _HIDE_CLASS(cls) or elem.get("aria-hidden") == "true"):
            found.append(elem)
    return found


def teaser_discard(root: HtmlElement) -> list[HtmlElement]:
    """TEASER_DISCARD_XPATH[0]: teaser blocks."""
    return [elem for elem in root.iterdescendants(_DISCARD_TAGS)
            if "teaser" in (elem.get("id") or "").replace("T", "t") or "teaser" in (elem.get("class") or "").replace("T", "t")]


def discard_image_elements(root: HtmlElement) -> list[HtmlElement]:
    """DISCARD_IMAGE_ELEMENTS[0]: captions."""
    return [elem for elem in root.iterdescendants(_DISCARD_TAGS)
            if "caption" in (elem.get("id") or "") or "caption" in (elem.get("class") or "")]


_BASIC_CLEAN_TAGS = frozenset({"aside", "fencedframe", "footer", "script", "style", "svg", "template"})


def _basic_clean_selector() -> Selector:
    from trafilatura.settings import _COOKIE_CONSENT_RE
    cookie = _test(_COOKIE_CONSENT_RE, re.IGNORECASE)

    def basic_clean(root: HtmlElement) -> list[HtmlElement]:
        """settings.BASIC_CLEAN_XPATH: asides, footers, code, svg and cookie banners."""
        found = []
        for elem in root.iterdescendants(etree.Element):
            tag = elem.tag
            if (tag in _BASIC_CLEAN_TAGS
                    or (tag == "div" and "footer" in _first_of(elem, "class", "id"))
                    or cookie(elem.get("class")) or cookie(elem.get("id"))):
                found.append(elem)
        return found

    return basic_clean


# --- functions ---------------------------------------------------------------------------------

def link_density_test(element: HtmlElement, favor_precision: bool = False) -> tuple[bool, bool]:
    """trafilatura.htmlprocessing.link_density_test (2.3.1), same verdicts: findall(".//ref") and
    find(".//graphic") (ElementPath's Python generators, about 80 calls a page) as lxml's C
    iterators, and no text_content() XPath for an element without children."""
    links_xpath = list(element.iterdescendants("ref"))
    if not links_xpath:
        return False, False
    # preserve image containers
    if next(element.iterdescendants("graphic"), None) is not None:
        return False, False
    text = trim(element.text_content() if len(element) else element.text or "")
    # shortcut
    if len(links_xpath) == 1:
        len_threshold = 10 if favor_precision else 100
        link = links_xpath[0]
        link_text = trim(link.text_content() if len(link) else link.text or "")
        if len(link_text) > len_threshold and len(link_text) > len(text) * 0.9:
            return True, False
    if element.tag == "p":
        limitlen = 60 if element.getnext() is None else 30
    elif element.getnext() is None:
        limitlen = 300
    else:
        limitlen = 100
    elemlen = len(text)
    if elemlen < limitlen:
        linklen, elemnum, shortelems, _ = collect_link_info(links_xpath)
        if elemnum == 0:
            return True, False
        return linklen > elemlen * 0.8 or (elemnum > 1 and shortelems / elemnum > 0.8), True
    if len(links_xpath) > 4:
        linklen, elemnum, _, _ = collect_link_info(links_xpath)
        if (linklen > len(text) * LINK_FARM_RATIO and linklen < 100 * elemnum
                and not is_paragraph_listing(links_xpath)):
            return True, False
    return False, False


# --- installation ------------------------------------------------------------------------------

def _digest(expression: etree.XPath) -> str:
    return hashlib.sha256(expression.path.encode()).hexdigest()[:16]


#: (module, attribute, index or None, replacement, digest of the trafilatura 2.3.1 expression)
_REPLACEMENTS: list[tuple[str, str, int | None, Selector, str]] = [
    ("trafilatura.xpaths", "BODY_XPATH", 0, body_article_content, "caaa561ceca17064"),
    ("trafilatura.xpaths", "BODY_XPATH", 1, body_first_article, "dffd8931d1ae8060"),
    ("trafilatura.xpaths", "BODY_XPATH", 2, body_story, "6c9b5e1fdc092943"),
    ("trafilatura.xpaths", "BODY_XPATH", 3, body_main_content, "10a7ceacc0ff8cdf"),
    ("trafilatura.xpaths", "BODY_XPATH", 4, body_main, "95f15d1c1b6d4052"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_XPATH", 0, remove_comments, "5d97216ca15d0558"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_AND_LISTS_XPATH", 0, remove_comments_and_lists, "9cc18d34e6e2d258"),
    ("trafilatura.xpaths", "RAW_TREE_PRUNE_XPATH", 0, raw_infinite_scroll, "01e7c660fd6406f2"),
    ("trafilatura.xpaths", "RAW_TREE_PRUNE_XPATH", 1, raw_share_buttons, "3c7afe92279543d5"),
    ("trafilatura.xpaths", "OVERALL_DISCARD_XPATH", 0, overall_discard, "a837e58a1b1ea116"),
    ("trafilatura.xpaths", "OVERALL_DISCARD_XPATH", 1, overall_discard_hidden, "c1d5b70b8cd03783"),
    ("trafilatura.xpaths", "TEASER_DISCARD_XPATH", 0, teaser_discard, "ebb02f066626551d"),
    ("trafilatura.xpaths", "DISCARD_IMAGE_ELEMENTS", 0, discard_image_elements, "cb1ab981e44913f7"),
    ("trafilatura.baseline", "BASIC_CLEAN_XPATH", None, _basic_clean_selector(), "db6c25acd08aef99"),
]

#: What install() replaced: (module, attribute, index) -> the stock XPath, for uninstall() and tests.
STOCK: dict[tuple[str, str, int | None], etree.XPath] = {}

#: trafilatura functions replaced by equivalent ones: (module, name, replacement, digest of the
#: 2.3.1 source); a changed source keeps the stock function.
_FUNCTIONS: list[tuple[str, str, Callable, str]] = [
    ("trafilatura.htmlprocessing", "link_density_test", link_density_test, "0b3d71f252bf1963"),
]
STOCK_FUNCTIONS: dict[tuple[str, str], Callable] = {}


def _slot(module: str, attribute: str, index: int | None):
    owner = importlib.import_module(module)
    return owner, (getattr(owner, attribute) if index is None else getattr(owner, attribute)[index])


def install() -> list[str]:
    """Swap the Python selectors into trafilatura; return the names of those left stock."""
    skipped = []
    for module, attribute, index, selector, digest in _REPLACEMENTS:
        key = (module, attribute, index)
        owner, current = _slot(module, attribute, index)
        if current is selector:
            continue
        name = f"{attribute}[{index}]" if index is not None else attribute
        if not isinstance(current, etree.XPath) or _digest(current) != digest:
            skipped.append(name)
            continue
        STOCK[key] = current
        if index is None:
            setattr(owner, attribute, selector)
        else:
            getattr(owner, attribute)[index] = selector
    for module, name, function, digest in _FUNCTIONS:
        owner = importlib.import_module(module)
        current = getattr(owner, name)
        if current is function:
            continue
        if source_digest(current) != digest:
            skipped.append(name)
            continue
        STOCK_FUNCTIONS[(module, name)] = current
        setattr(owner, name, function)
    if skipped:
        log.warning("trafilatura selectors left stock (expression changed): %s", ", ".join(skipped))
    return skipped


def uninstall() -> None:
    """Put the stock XPath expressions back (tests compare both)."""
    for (module, attribute, index), stock in STOCK.items():
        owner = importlib.import_module(module)
        if index is None:
            setattr(owner, attribute, stock)
        else:
            getattr(owner, attribute)[index] = stock
    STOCK.clear()
    for (module, name), stock in STOCK_FUNCTIONS.items():
        setattr(importlib.import_module(module), name, stock)
    STOCK_FUNCTIONS.clear()
