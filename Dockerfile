# syntax=docker/dockerfile:1.7
# One image for every Newswire service; the command picks the service:
#   docker run newswire serve ingest --host 0.0.0.0 --port 8080
#   docker run newswire serve clean  --host 0.0.0.0 --port 8080   (enrich, index, search alike)
# Every service listens on 8080 inside its container, so one HEALTHCHECK fits all.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: resolve the locked dependencies into /app/.venv ---------------------------------
FROM ${PYTHON_IMAGE} AS build

# Same uv as the Makefile (UV_VERSION), so `--locked` reads uv.lock exactly as in development.
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# Layer 1: third-party dependencies only. uv needs every workspace member's pyproject.toml to
# check the lock, but not their sources, so this layer survives code changes.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/
COPY libs/cli/pyproject.toml libs/cli/
COPY services/ingest/pyproject.toml services/ingest/
COPY services/clean/pyproject.toml services/clean/
COPY services/enrich/pyproject.toml services/enrich/
COPY services/index/pyproject.toml services/index/
COPY services/search/pyproject.toml services/search/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-workspace

# Layer 2: the workspace members, built by hatchling into real wheels (--no-editable) so the
# runtime image needs the virtualenv only, not /src.
COPY libs libs
COPY services services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# ---- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="newswire" \
      org.opencontainers.image.description="Newswire services: ingest, clean, enrich, index, search"

RUN groupadd --system --gid 10001 newswire \
    && useradd --system --uid 10001 --gid newswire --home-dir /app --shell /usr/sbin/nologin newswire

# The venv's interpreter links to /usr/local/bin/python3.11, the same path in both stages.
COPY --from=build --chown=10001:10001 /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSWIRE_LOG_FORMAT=json \
    NEWSWIRE_INGEST_HOST=0.0.0.0 \
    NEWSWIRE_SEARCH_HOST=0.0.0.0

WORKDIR /app
USER 10001:10001
EXPOSE 8080

# Liveness of whichever service runs (all bind 8080). slim has no curl; Python is there.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]

ENTRYPOINT ["newswire"]
CMD ["serve", "ingest", "--host", "0.0.0.0", "--port", "8080"]
