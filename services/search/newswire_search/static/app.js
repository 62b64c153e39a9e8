// Newswire search UI: plain DOM, no framework, no build step.
// Safety rule: text from articles is only ever placed with textContent / text nodes; highlight
// segments from the API become real <mark> elements. Nothing here assigns innerHTML.
"use strict";

(() => {
  const FACETS = {
    author: "Authors", source: "Source", section: "Section", language: "Language",
    tag: "Tags", keyword: "Keywords", person: "People", organization: "Organisations",
    place: "Places",
  };
  const FACET_VISIBLE = 8;
  const DEBOUNCE_MS = 160;
  const PER_PAGE = 10;

  const $ = (id) => document.getElementById(id);
  const input = $("q"), sortSelect = $("sort");
  const state = { q: "", sort: "relevance", page: 1, filters: {}, author: null };
  const expanded = new Set();
  let inflight = null, timer = null, generation = 0;
  // Facet counts depend only on the words and filters: asked for when those change, reused
  // when paging or re-sorting (counting them is most of what a search costs).
  let facets = { key: null, counts: {} };

  // --- tiny DOM helpers -------------------------------------------------------------------
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child == null || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // [{text, match}] -> text nodes and <mark> elements inside `node`.
  function highlighted(node, pieces, fallback) {
    if (!pieces || pieces.length === 0) {
      node.append(document.createTextNode(fallback || ""));
      return node;
    }
    for (const piece of pieces) {
      node.append(piece.match ? el("mark", { text: piece.text }) : document.createTextNode(piece.text));
    }
    return node;
  }

  function safeHref(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function formatDate(iso) {
    if (!iso) return null;
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return null;
    return date.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
  }

  function plural(n, word, words = `${word}s`) { return `${n.toLocaleString("en-GB")} ${n === 1 ? word : words}`; }

  // --- URL <-> state -------------------------------------------------------------------------
  function readUrl() {
    const params = new URLSearchParams(location.search);
    state.q = params.get("q") || "";
    state.sort = params.get("sort") === "newest" ? "newest" : "relevance";
    state.page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    state.author = params.get("a");
    state.filters = {};
    for (const param of Object.keys(FACETS)) {
      const values = params.getAll(param);
      if (values.length) state.filters[param] = values;
    }
    input.value = state.q;
    sortSelect.value = state.sort;
  }

  function stateParams({ forApi }) {
    const params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    if (state.sort !== "relevance") params.set("sort", state.sort);
    if (state.page > 1) params.set("page", String(state.page));
    if (!forApi && state.author) params.set("a", state.author);
    for (const [param, values] of Object.entries(state.filters)) {
      for (const value of values) params.append(param, value);
    }
    if (forApi) params.set("per_page", String(PER_PAGE));
    return params;
  }

  function facetsKey() {
    return JSON.stringify([state.q, Object.entries(state.filters).sort()]);
  }

  function writeUrl(push) {
    const query = stateParams({ forApi: false }).toString();
    const url = query ? `?${query}` : location.pathname;
    (push ? history.pushState : history.replaceState).call(history, null, "", url);
  }

  // --- fetching ------------------------------------------------------------------------------
  async function load(push = false) {
    writeUrl(push);
    if (inflight) inflight.abort();
    const controller = new AbortController();
    inflight = controller;
    const mine = ++generation;
    document.body.classList.add("busy");
    const key = facetsKey();
    const params = stateParams({ forApi: true });
    if (key !== facets.key) params.set("facets", "true");
    const url = state.author
      ? `/v1/authors/${encodeURIComponent(state.author)}?page=${state.page}&per_page=${PER_PAGE}`
      : `/v1/search?${params}`;
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
      if (mine !== generation) return;
      if (state.author && response.status === 404) return renderUnknownAuthor();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (mine !== generation) return;
      if (!state.author && data.stories.facets) facets = { key, counts: data.stories.facets };
      if (state.author) renderAuthorPage(data); else renderSearch(data);
    } catch (error) {
      if (error.name === "AbortError" || mine !== generation) return;
      renderError(error);
    } finally {
      if (mine === generation) document.body.classList.remove("busy");
    }
  }

  function searchSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => load(false), DEBOUNCE_MS);
  }

  // --- rendering -----------------------------------------------------------------------------
  function resetViews() {
    $("error").hidden = true;
    $("empty").hidden = true;
    $("author-page").hidden = true;
    $("authors").hidden = true;
    for (const id of ["stories", "pager", "facets", "active-filters", "status", "authors", "author-page", "empty"]) {
      $(id).replaceChildren();
    }
  }

  function storyCard(story) {
    const href = safeHref(story.url);
    const title = highlighted(el("a", href ? { href, rel: "noopener noreferrer", target: "_blank" } : {}),
      story.highlight && story.highlight.title, story.title);
    const meta = el("p", { class: "meta" });
    const authorIds = story.author_ids || [];
    (story.authors || []).forEach((name, i) => {
      if (i > 0) meta.append(", ");
      meta.append(authorIds[i]
        ? el("button", { type: "button", class: "link author-link", text: name, onclick: () => openAuthor(authorIds[i]) })
        : el("span", { text: name }));
    });
    for (const part of [formatDate(story.published_at), story.source, story.section]) {
      if (part) meta.append(el("span", { class: "dot", "aria-hidden": "true", text: " · " }), el("span", { text: part }));
    }
    const snippet = highlighted(el("p", { class: "snippet" }),
      story.highlight && story.highlight.snippet, story.snippet || story.summary);
    return el("li", { class: "story", dataset: { id: story.id } },
      el("article", {}, el("h2", { class: "story-title" }, title), meta, snippet));
  }

  function authorCard(author) {
    const latest = el("ul", { class: "latest" });
    for (const title of (author.latest_story_titles || []).slice(0, 3)) latest.append(el("li", { text: title }));
    return el("li", { class: "author-card", dataset: { id: author.id } },
      el("button", { type: "button", class: "link author-name", onclick: () => openAuthor(author.id) },
        highlighted(el("span"), author.highlight && author.highlight.name, author.name)),
      el("span", { class: "count", text: plural(author.article_count || 0, "story", "stories") }),
      highlighted(el("p", { class: "bio" }), author.highlight && author.highlight.bio_snippet, author.bio_snippet),
      latest.childElementCount ? latest : null);
  }

  function renderFacets(byParam) {
    const box = $("facets");
    for (const [param, label] of Object.entries(FACETS)) {
      const counts = { ...(byParam[param] || {}) };
      const selected = state.filters[param] || [];
      for (const value of selected) if (!(value in counts)) counts[value] = 0;
      const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      if (entries.length === 0) continue;
      const showAll = expanded.has(param) || entries.length <= FACET_VISIBLE + 2;
      const list = el("ul");
      entries.forEach(([value, count], index) => {
        if (!showAll && index >= FACET_VISIBLE && !selected.includes(value)) return;
        const checkbox = el("input", { type: "checkbox", dataset: { param, value } });
        checkbox.checked = selected.includes(value);
        checkbox.addEventListener("change", () => toggleFilter(param, value, checkbox.checked));
        list.append(el("li", {}, el("label", { class: "facet-value" }, checkbox,
          el("span", { class: "value", text: value }), el("span", { class: "count", text: String(count) }))));
      });
      const group = el("fieldset", { class: "facet", dataset: { param } }, el("legend", { text: label }), list);
      if (!showAll) {
        group.append(el("button", { type: "button", class: "link more", text: `Show all ${entries.length}`,
          onclick: () => { expanded.add(param); box.replaceChildren(); renderFacets(facets.counts); } }));
      }
      box.append(group);
    }
  }

  function renderActiveFilters() {
    const box = $("active-filters");
    const chips = [];
    for (const [param, values] of Object.entries(state.filters)) {
      for (const value of values) {
        chips.push(el("button", { type: "button", class: "chip", title: "Remove filter",
          onclick: () => toggleFilter(param, value, false) },
          el("span", { class: "chip-label", text: `${FACETS[param]}: ` }), value, el("span", { "aria-hidden": "true", text: " ×" })));
      }
    }
    if (chips.length) {
      box.append(...chips, el("button", { type: "button", class: "link", text: "Clear all", onclick: clearFilters }));
    }
  }

  function renderPager(page, totalPages) {
    const pager = $("pager");
    if (totalPages <= 1) return;
    pager.append(
      el("button", { type: "button", class: "prev", text: "← Newer", onclick: () => goToPage(page - 1), ...(page <= 1 ? { disabled: "" } : {}) }),
      el("span", { class: "page-info", text: `Page ${page} of ${totalPages}` }),
      el("button", { type: "button", class: "next", text: "Older →", onclick: () => goToPage(page + 1), ...(page >= totalPages ? { disabled: "" } : {}) }));
    if (state.sort === "relevance") {
      pager.firstChild.textContent = "← Previous";
      pager.lastChild.textContent = "Next →";
    }
  }

  function renderSearch(data) {
    resetViews();
    const stories = data.stories, authors = data.authors;
    const about = state.q ? ` for “${state.q}”` : "";
    // Totals stop counting at the index's pagination.maxTotalHits (1,000).
    const storyCount = stories.total >= 1000 ? "1,000+ stories" : plural(stories.total, "story", "stories");
    $("status").append(el("p", { text: `${storyCount} · ${plural(authors.total, "author")}${about}` }));
    renderActiveFilters();
    renderFacets(facets.counts);
    if (authors.hits.length && state.page === 1) {
      $("authors").hidden = false;
      $("authors").append(el("h2", { class: "section-title", text: "Authors" }),
        el("ul", { class: "author-strip" }, ...authors.hits.map(authorCard)));
    }
    $("stories").append(...stories.hits.map(storyCard));
    if (stories.total === 0) {
      const empty = $("empty");
      empty.hidden = false;
      empty.append(el("p", { class: "empty-title", text: state.q ? `No stories match “${state.q}”.` : "No stories yet." }));
      const hints = el("ul");
      if (Object.keys(state.filters).length) {
        hints.append(el("li", {}, el("button", { type: "button", class: "link", text: "Remove all filters", onclick: clearFilters })));
      }
      if (state.q) hints.append(el("li", { text: "Check the spelling, or try fewer or more general words." }));
      if (hints.childElementCount) empty.append(hints);
    }
    renderPager(stories.page, stories.total_pages);
  }

  function renderAuthorPage(data) {
    resetViews();
    const author = data.author, page = $("author-page");
    page.hidden = false;
    page.append(
      el("button", { type: "button", class: "link back", text: "← Back to search", onclick: closeAuthor }),
      el("h1", { class: "author-title", text: author.name }),
      el("p", { class: "count", text: plural(author.article_count || 0, "story", "stories") }),
      author.bio ? el("p", { class: "bio", text: author.bio }) : null);
    $("stories").append(...data.stories.hits.map(storyCard));
    renderPager(data.stories.page, data.stories.total_pages);
  }

  function renderUnknownAuthor() {
    resetViews();
    const empty = $("empty");
    empty.hidden = false;
    empty.append(el("p", { class: "empty-title", text: "We don’t know that author." }),
      el("button", { type: "button", class: "link", text: "← Back to search", onclick: closeAuthor }));
  }

  function renderError(error) {
    resetViews();
    $("error").hidden = false;
    console.warn("search failed", error);
  }

  // --- actions -------------------------------------------------------------------------------
  function toggleFilter(param, value, on) {
    const values = new Set(state.filters[param] || []);
    if (on) values.add(value); else values.delete(value);
    if (values.size) state.filters[param] = [...values]; else delete state.filters[param];
    state.page = 1;
    load(true);
  }
  function clearFilters() { state.filters = {}; state.page = 1; load(true); }
  function goToPage(page) { state.page = page; load(true); window.scrollTo({ top: 0 }); }
  function openAuthor(slug) { state.author = slug; state.page = 1; load(true); window.scrollTo({ top: 0 }); }
  function closeAuthor() { state.author = null; state.page = 1; load(true); }

  input.addEventListener("input", () => {
    state.q = input.value.trim();
    state.page = 1;
    state.author = null;
    searchSoon();
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    state.q = input.value.trim();
    state.page = 1;
    state.author = null;
    load(true);
  });
  sortSelect.addEventListener("change", () => { state.sort = sortSelect.value; state.page = 1; load(true); });
  $("retry").addEventListener("click", () => load(false));
  window.addEventListener("popstate", () => { readUrl(); load(false); });

  readUrl();
  load(false);
})();
