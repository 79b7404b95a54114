"""What a Slack message or a typed command tells about a complaint, before anyone fills in details."""

from __future__ import annotations

from bot.complaints.fields import complaint_url_in, handle_in, slack_text_to_plain, urls_in
from bot.complaints.service import TEXT_MAX, ComplaintDraft
from bot.networks import network_from_url


def draft_from_message(text: str, *, channel: str, ts: str, permalink: str | None, source: str) -> ComplaintDraft:
    """Prefill from a message: its text, the post it links to (else its own permalink), the network that
    link belongs to, and the customer's handle when the link or the text names one."""
    post = complaint_url_in(text)
    plain = slack_text_to_plain(text)
    url = post or permalink
    return ComplaintDraft(
        text=plain[:TEXT_MAX] if (plain or url) else "(a message without text: see it in Slack)",
        url=url,
        network=(network_from_url(post) if post else None) or "other",
        author=handle_in(plain, post),
        slack_channel=channel,
        slack_ts=ts,
        source=source,
    )


def draft_from_command(text: str) -> ComplaintDraft:
    """`/complaint add <link> [what they said]` or `/complaint add <what they said>`."""
    links = urls_in(text)
    plain = slack_text_to_plain(text).strip()
    post = complaint_url_in(text)
    url = post or (links[0] if links else None)
    if url and plain.startswith(url):
        plain = plain[len(url) :].strip()
    return ComplaintDraft(
        text=plain,
        url=url,
        network=(network_from_url(url) if url else None) or "other",
        author=handle_in(plain, url),
        source="command",
    )
