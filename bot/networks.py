"""The social networks and audiences HEROes work on, shared by projects and complaints."""

from __future__ import annotations

import re

NETWORKS: dict[str, str] = {
    "twitter": "Twitter / X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "forum": "Forum / community",
    "sms": "SMS",
    "email": "Email",
    "other": "Other",
}

_ALIASES = {"x": "twitter", "community": "forum", "fb": "facebook", "ig": "instagram", "mail": "email"}

_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "t.co": "twitter",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "linkedin.com": "linkedin",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "tiktok.com": "tiktok",
}


def network_label(key: str) -> str:
    return NETWORKS.get(key, "not set")


def parse_network(text: str) -> str | None:
    key = text.strip().lower().replace("/", "").replace(" ", "")
    key = _ALIASES.get(key, key)
    if key == "twitterx":
        key = "twitter"
    return key if key in NETWORKS else None


def network_from_url(url: str) -> str | None:
    match = re.match(r"^https?://(?:www\.|m\.|mobile\.)?([^/:?#]+)", url.strip(), re.IGNORECASE)
    if not match:
        return None
    host = match[1].lower()
    for known, network in _HOSTS.items():
        if host == known or host.endswith("." + known):
            return network
    return None
