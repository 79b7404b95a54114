"""Pure helpers for a complaint's fields: URL digests, tags, severities, due times, what a message tells."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.networks import network_from_url
from bot.settings import SEVERITIES

DEFAULT_SEVERITY = "medium"
TAG_MAX = 64
TAGS_MAX = 20
URL_MAX = 2000

# Hosts that serve the same post under another name.
_HOST_ALIASES = {"x.com": "twitter.com", "fb.com": "facebook.com", "youtu.be": "youtube.com"}
_MOBILE_PREFIXES = ("www.", "m.", "mobile.")
# Query parameters that only say how a link was shared, never which post it is.
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|igshid|igsh|mc_cid|mc_eid|ref|ref_src|ref_url|si|feature)$", re.I)
# On these hosts the query never names the post (Twitter's ?s=20&t=…).
_QUERYLESS_HOSTS = frozenset({"twitter.com", "instagram.com", "tiktok.com", "linkedin.com"})

_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_BARE_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>|]+)")
_HANDLE_IN_TEXT = re.compile(r"(?<![\w<@/])@([A-Za-z0-9_][A-Za-z0-9_.]{0,29})")
_HANDLE_IN_PATH = {
    "twitter": re.compile(r"^/([A-Za-z0-9_]{1,15})/status", re.I),
    "instagram": re.compile(r"^/([A-Za-z0-9_.]{1,30})/?$"),
    "tiktok": re.compile(r"^/@([A-Za-z0-9_.]{1,30})"),
    "youtube": re.compile(r"^/@([A-Za-z0-9_.-]{1,30})"),
}


def is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and " " not in url.strip()


def normalise_url(url: str) -> str:
    """The form two links to the same post share: https, lower-case host without www./m., no tracking, no fragment."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in _MOBILE_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
            break
    host = _HOST_ALIASES.get(host, host)
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if host in _QUERYLESS_HOSTS:
        query = ""
    else:
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
        query = urlencode(sorted(kept))
    return urlunsplit(("https", netloc, path, query, ""))


def url_key(url: str | None) -> str | None:
    """sha256 of the normalised URL: the unique key that recognises a post logged twice."""
    if not url:
        return None
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()


def normalise_tag(raw: str) -> str:
    tag = re.sub(r"\s+", "-", raw.strip().lstrip("#").strip().lower())
    return re.sub(r"[^\w\-:/.+]", "", tag)[:TAG_MAX]


def normalise_tags(raw: Iterable[str] | str | None) -> list[str]:
    """`"Refunds, #late delivery"` → ['refunds', 'late-delivery']: lower-case, unique, in the given order."""
    if raw is None:
        return []
    items = re.split(r"[,;\n]", raw) if isinstance(raw, str) else list(raw)
    tags = [normalise_tag(item) for item in items if isinstance(item, str)]
    return list(dict.fromkeys(tag for tag in tags if tag))


def parse_severity(text: str | None) -> str | None:
    word = (text or "").strip().lower()
    return word if word in SEVERITIES else None


def due_at(created_at: datetime, severity: str, sla_minutes: Mapping[str, float]) -> datetime:
    """The first-response target: creation time plus the severity's SLA."""
    minutes = sla_minutes.get(severity, sla_minutes.get(DEFAULT_SEVERITY, 1440.0))
    return created_at + timedelta(minutes=minutes)


def urls_in(text: str) -> list[str]:
    """Links in a Slack message's text, `<https://…|label>` and bare alike, in order."""
    found = [match[1] for match in _SLACK_LINK.finditer(text or "")]
    found += [match[1].rstrip(".,;:!?)") for match in _BARE_URL.finditer(text or "")]
    # Slack escapes & < > inside message text, links included.
    return list(dict.fromkeys(_unescape(link) for link in found))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def complaint_url_in(text: str) -> str | None:
    """The post a message is about: the first link to a known social network, else the first link."""
    links = urls_in(text)
    social = [link for link in links if network_from_url(link)]
    chosen = social or links
    return chosen[0] if chosen else None


def handle_in(text: str, url: str | None = None) -> str:
    """The customer's handle: from a post's URL when it names one, else the first @handle in the text."""
    if url:
        network = network_from_url(url)
        pattern = _HANDLE_IN_PATH.get(network or "")
        if pattern:
            match = pattern.match(urlsplit(url).path)
            if match and match[1].lower() not in ("p", "reel", "watch", "i", "home", "share"):
                return "@" + match[1]
    match = _HANDLE_IN_TEXT.search(text or "")
    return "@" + match[1].rstrip(".") if match else ""


def slack_text_to_plain(text: str) -> str:
    """A Slack message's text as a person reads it: links shown as their URL, entities unescaped."""
    return _unescape(_SLACK_LINK.sub(lambda m: m[1], text or ""))
