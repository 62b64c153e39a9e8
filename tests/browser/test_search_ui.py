"""The search page in headless Chromium against the running stack: instant results, authors,
facets, XSS-safe rendering, author page, empty and error states. Screenshots go to
test-artifacts/."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import search_corpus
from newswire_cli.stack import REPO_ROOT
from search_corpus import PER_CATEGORY, SEED_TITLE, XSS_MARKUP, XSS_TITLE

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = os.environ.get("NEWSWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "test-artifacts"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make browser` (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, stack) -> Iterator:
    search_corpus.load(stack.cfg.ingest_url, stack.api_key)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(stack.cfg.search_url + "/")
    yield tab
    context.close()


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def story_titles(page) -> list[str]:
    return page.locator(".story .story-title").all_text_contents()


def status_count(page) -> int:
    text = page.locator("#status").text_content() or ""
    return int(re.match(r"([\d,]+) stor", text).group(1).replace(",", ""))


def type_query(page, text: str) -> None:
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(text, delay=40)  # like a reader typing: debounced instant search


def test_typing_shows_seed_story_and_author(page):
    type_query(page, "Malik")  # a prefix: results appear while typing
    page.locator("#status", has_text="for “Malik”").wait_for()
    seed = page.locator(".story", has_text=SEED_TITLE)
    seed.wait_for()
    marks = seed.locator(".snippet mark").all_text_contents()
    assert marks and all(m.lower().startswith("malik") for m in marks), marks
    assert "Roy Siemens" in seed.locator(".meta").text_content()
    type_query(page, "Siemens")
    roy = page.locator(".author-card", has_text="Roy Siemens")
    roy.wait_for()
    assert "Roy likes politics" in roy.text_content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-seed.png"), full_page=True)
    roy.locator(".author-name").click()  # the author page: profile and their stories
    page.locator(".author-title", has_text="Roy Siemens").wait_for()
    assert story_titles(page) == [SEED_TITLE]


def test_clicking_a_facet_narrows_the_list(page):
    page.locator(".story").first.wait_for()  # empty query: latest stories
    before = status_count(page)
    sport = page.locator('.facet[data-param="section"] input[data-value="sport"]')
    sport.check()
    # (The page's CSP forbids eval, so waits use locators rather than wait_for_function.)
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{PER_CATEGORY} stories"))
    assert status_count(page) == PER_CATEGORY < before
    metas = page.locator(".story .meta").all_text_contents()
    assert metas and all("sport" in meta for meta in metas)
    assert "section=sport" in page.url  # shareable URL
    page.locator(".chip", has_text="sport").click()  # removing the filter widens it again
    expect(page.locator("#status")).not_to_have_text(re.compile(rf"^{PER_CATEGORY} stories"))
    assert status_count(page) == before


def test_article_markup_renders_as_text(page):
    type_query(page, "hackers comments")
    card = page.locator(".story", has_text="Hackers hide")
    card.wait_for()
    page.wait_for_timeout(300)  # give any injected handler (onerror) the chance to fire
    assert card.locator(".story-title").text_content() == XSS_TITLE
    assert XSS_MARKUP in card.locator(".snippet").text_content()
    assert card.locator("img, script").count() == 0
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # only /static/app.js
    assert page.dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-xss-as-text.png"), full_page=True)


def test_empty_state(page):
    type_query(page, "zzqxjv wqpzzk")
    page.locator("#empty", has_text="No stories match").wait_for()
    assert page.locator(".story").count() == 0


def test_error_state_and_retry(page):
    page.locator(".story").first.wait_for()
    page.route("**/v1/search*", lambda route: route.fulfill(status=502, body="{}"))
    type_query(page, "economy")
    page.locator("#error").wait_for(state="visible")
    page.unroute("**/v1/search*")
    page.locator("#retry").click()
    page.locator(".story").first.wait_for()
    assert page.locator("#error").is_hidden()


def test_pagination(page):
    page.locator(".story").first.wait_for()
    first = story_titles(page)
    sections = page.locator('.facet[data-param="section"]').text_content()
    with page.expect_request(re.compile(r"/v1/search\?")) as request:
        page.locator("#pager .next").click()
    expect(page.locator(".page-info")).to_have_text(re.compile(r"^Page 2 of"))
    second = story_titles(page)
    assert second and not set(first) & set(second)
    # Same words and filters: the facet counts shown are kept, not counted again.
    assert "facets=" not in request.value.url
    assert page.locator('.facet[data-param="section"]').text_content() == sections
