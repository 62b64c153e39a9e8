"""trafilatura's bare_extraction text for our settings, with one tree copy instead of three.

For a tree it is given, trafilatura 2.3.1 copies the whole page three times before extracting:
`bare_extraction` copies the caller's tree, `_prepare_tree` copies that again to clean it (the
pruned raw tree is kept for the rescue steps), and copies the cleaned tree as a backup that only
the external-extractor comparison (not in fast mode) and the forum-comments path (comments on)
read. Copies and their freeing were about a third of its time.

`extract_text` runs the same cascade for `fast=True, comments=False`, balanced focus: one copy,
cleaned in place, no backup. The pruned raw tree is needed only when the first result is short
(baseline rescue, recall escalation): then it is made again from the caller's tree, which is still
intact, by the same copy and prunes. It is used only while the functions it stands for are the
known 2.3.1 source (compared by digest) and the options are ours; otherwise stock
`bare_extraction` runs. Same text: `tests/test_cascade.py`.
"""

from __future__ import annotations

import logging
from copy import copy

import trafilatura
from lxml.html import HtmlElement
from trafilatura import core as traf_core
from trafilatura.baseline import baseline, html2txt
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from ._base import source_digest

log = logging.getLogger(__name__)

#: sha256 (16 hex) of the source of each trafilatura function extract_text stands for, in 2.3.1.
KNOWN_SOURCES = {
    "bare_extraction": "2e57adb3062086f9",
    "trafilatura_sequence": "f03dc4d2946dacbd",
    "_prepare_tree": "9595f0642825c2c7",
    "_extract_and_compare": "f7d056c2118222e8",
    "_recall_retry": "59594c39714f57be",
    "_forum_thread_page": "e7f7cef99b33704f",
}


def changed_sources() -> list[str]:
    """Names of the functions whose source is not the known 2.3.1 one."""
    return [name for name, digest in KNOWN_SOURCES.items()
            if source_digest(getattr(traf_core, name, None)) != digest]


_changed = changed_sources()
if _changed:
    log.warning("trafilatura's cascade changed, stock bare_extraction used: %s", ", ".join(_changed))
#: False: every call goes to stock bare_extraction (tests switch it).
enabled = not _changed


def handles(options: Extractor) -> bool:
    """Options for which the cascade below is trafilatura's, step for step."""
    return (options.format == "python" and options.fast and not options.comments
            and options.focus == "balanced" and not options.lang and not options.with_metadata
            and not options.dedup and not options.max_tree_size and not options.url)


def _pruned(tree: HtmlElement, is_forum: bool) -> HtmlElement:
    """trafilatura_sequence's raw-tree prunes (comments off, balanced focus), in place."""
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    if not is_forum:
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    return tree


def _sequence(tree: HtmlElement, options: Extractor):
    """trafilatura_sequence's body and text, `tree` left untouched."""
    work = copy(tree)  # stock: bare_extraction's copy
    is_forum = traf_core._forum_thread_page(work)
    work = _pruned(work, is_forum)
    # stock: cleaned = tree_cleaning(copy(raw)), backup = copy(cleaned); nothing reads the
    # backup with these options, and the raw tree is made again below if a rescue needs it
    cleaned = convert_tags(tree_cleaning(work, options), options, None)
    postbody, temp_text = extract_content(cleaned, options)

    raw: HtmlElement | None = None

    def raw_tree() -> HtmlElement:
        nonlocal raw
        if raw is None:
            raw = _pruned(copy(tree), is_forum)
        return raw

    # 3. baseline rescue (baseline copies its input)
    if len(temp_text) < options.min_extracted_size:
        b_body, b_text, b_len = baseline(raw_tree())
        if b_len > len(temp_text):
            postbody, temp_text = b_body, b_text
    # 4. recall escalation (html2txt copies its input)
    if (0 < len(temp_text) < traf_core.ESCALATION_MAX_LENGTH
            and len(temp_text) < traf_core.ESCALATION_PAGE_SHARE * len(html2txt(raw_tree()))):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = ""
        try:
            # the raw tree's last reader: cleaned in place (stock: a copy and a backup again)
            r_cleaned = convert_tags(tree_cleaning(raw_tree(), r_options), r_options, None)
            r_body, r_text = extract_content(r_cleaned, r_options)
        except Exception as err:  # noqa: BLE001 - as trafilatura: a failed retry keeps the first result
            log.warning("recall retry failed: %s", err)
        r_len = len(r_text)
        if r_len >= options.min_extracted_size and r_len > traf_core.ESCALATION_ACCEPT_RATIO * len(temp_text):
            postbody, temp_text = r_body, r_text
    return postbody, temp_text


def extract_text(tree: HtmlElement, options: Extractor) -> str | None:
    """trafilatura.bare_extraction(tree, options=options).text (None where it returns None);
    `tree` is left untouched."""
    if not (enabled and handles(options)):
        document = trafilatura.bare_extraction(tree, options=options)
        return document.text if document is not None else None
    try:
        postbody, temp_text = _sequence(tree, options)
        # stock size check, no comments: len_comments (0) < min_output_comm_size
        if len(temp_text) < options.min_output_size and 0 < options.min_output_comm_size:
            raise ValueError
    except (TypeError, ValueError):
        log.debug("trafilatura discards the page")
        return None
    return xmltotxt(postbody, options.formatting)
