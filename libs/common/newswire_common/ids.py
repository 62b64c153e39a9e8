"""Deterministic identifiers: the same article posted twice gets the same id."""

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid)$", re.IGNORECASE)
_WS = re.compile(r"\s+")


def canonical_url(url: str) -> str:
    """Normalise a URL so trivially different spellings of one page compare equal.

    Lower-cases scheme and host, drops the fragment, default ports, tracking parameters and a
    trailing slash, and sorts the remaining query parameters.
    """
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if not _TRACKING_PARAMS.match(k))
    )
    return urlunsplit((scheme, host, path, query, ""))


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:24]


def article_id(url: str | None, content: str) -> str:
    """Id from the canonical URL when there is one, else from the whitespace-folded content."""
    if url:
        return _digest("url", canonical_url(url))
    folded = _WS.sub(" ", unicodedata.normalize("NFC", content)).strip()
    return _digest("content", folded)


def slugify_name(name: str) -> str:
    """ASCII slug of a person's name, usable as a Meilisearch document id and in URLs."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or _digest("name", name)[:12]
