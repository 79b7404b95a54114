"""Block Kit for social complaints: pure functions from plain data to messages, modals and Home sections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import blocks as bk
from bot.complaints.fields import normalise_tags
from bot.complaints.ids import SNOOZE_CHOICES, ComplaintAction, ComplaintModalMeta, actions_block_id
from bot.complaints.queries import ComplaintDetail, ComplaintPage, HomeComplaints, is_overdue
from bot.complaints.service import ComplaintDraft, Logged, label
from bot.ids import Kind, format_id
from bot.networks import NETWORKS, network_label
from bot.settings import SEVERITIES
from storage.models import AuditEvent, Complaint, ComplaintNote

USAGE = """*`/complaint` — social complaints*
• `/complaint add <link or text>` — log a complaint someone posted about us
• `/complaint list [open|mine|overdue|all|tag:<tag>] [page N]` — newest first; `open` when left out
• `/complaint show COMP-12` — every detail and the audit trail
• `/complaint assign COMP-12 @person` — give it an owner (anyone may on an unowned complaint)
• `/complaint respond COMP-12 <note>` — record how you answered the customer
• `/complaint resolve COMP-12 <note>` — close it once the customer is helped
• `/complaint dismiss COMP-12 <reason>` — close it without action (spam, not about us…)
• `/complaint link COMP-12 HERO-3` — link it to the HERO project it sparked
• `/complaint rules` — routing rules (admins)
• `/complaint help` — this list
Reacting with :{emoji}: to a message, or the message shortcut *Log social complaint*, logs it too.
Statuses: new → assigned → responded → resolved, or dismissed. The owner or an admin acts on a complaint."""

STATUS_EMOJI = {
    "new": ":inbox_tray:",
    "assigned": ":bust_in_silhouette:",
    "responded": ":speech_balloon:",
    "resolved": ":white_check_mark:",
    "dismissed": ":no_entry_sign:",
}
SEVERITY_LABELS = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
SNIPPET = 120


def usage(problem: str | None = None, emoji: str = "triangular_flag_on_post") -> dict[str, Any]:
    listing = USAGE.replace("<", "&lt;").replace(">", "&gt;").replace("{emoji}", emoji)
    text = f":warning: {problem}\n\n{listing}" if problem else listing
    return bk.message(text, [bk.section(text)])


def status_badge(status: str) -> str:
    return f"{STATUS_EMOJI.get(status, '')} {status}".strip()


def due_text(complaint: Complaint, now: datetime) -> str:
    if complaint.first_response_at is not None:
        return "answered " + bk.slack_date(complaint.first_response_at, "{date_short_pretty} at {time}")
    when = bk.slack_date(complaint.due_at, "{date_short_pretty} at {time}")
    if complaint.status not in ("new", "assigned", "responded"):
        return f"was due {when}"
    return f":alarm_clock: *overdue* since {when}" if is_overdue(complaint, now) else f"due {when}"


def owner_text(complaint: Complaint) -> str:
    if complaint.owner_id:
        return f"<@{complaint.owner_id}>"
    if complaint.routed_channel:
        return f"nobody yet (in <#{complaint.routed_channel}>)"
    return "nobody yet"


def snippet(complaint: Complaint, limit: int = SNIPPET) -> str:
    text = " ".join((complaint.text or complaint.url or "").split())
    return bk.escape(bk.clip(text, limit)) if text else "_(no text)_"


def complaint_line(complaint: Complaint, tags: Sequence[str], now: datetime) -> str:
    tag_text = " " + " ".join(f"`{bk.escape(t)}`" for t in tags[:5]) if tags else ""
    return (
        f"*{label(complaint)}* {status_badge(complaint.status)} · {network_label(complaint.network)} · "
        f"{SEVERITY_LABELS.get(complaint.severity, complaint.severity)}{tag_text}\n"
        f"“{snippet(complaint)}”\n"
        f"Owner {owner_text(complaint)} · {due_text(complaint, now)}"
    )


# ---- the modal ------------------------------------------------------------------------------------
def complaint_modal(
    draft: ComplaintDraft, meta: ComplaintModalMeta, *, editing: Complaint | None = None, note: str = ""
) -> dict[str, Any]:
    blocks: list[bk.Block] = []
    if note:
        blocks.append(bk.context(note))
    blocks += [
        bk.text_input(
            "text", "What the customer said", initial=draft.text, multiline=True, max_length=3000, optional=True
        ),
        bk.text_input(
            "url", "Link to the post", initial=draft.url or "", optional=True, max_length=2000, placeholder="https://"
        ),
        bk.input_block(
            "network",
            "Social network",
            bk.static_select("value", "Where it was posted", list(NETWORKS.items()), initial=draft.network or "other"),
        ),
        bk.text_input(
            "author", "Customer handle", initial=draft.author, optional=True, max_length=200, placeholder="@handle"
        ),
        bk.input_block(
            "severity",
            "Severity",
            bk.static_select(
                "value", "How bad is it", [(s, SEVERITY_LABELS[s]) for s in SEVERITIES], initial=draft.severity
            ),
            hint="Sets the first-response due time.",
        ),
        bk.text_input(
            "tags",
            "Tags",
            initial=", ".join(draft.tags),
            optional=True,
            max_length=500,
            placeholder="refunds, delivery",
            hint="Comma-separated. Routing rules and crisis alerts use them.",
        ),
        bk.text_input(
            "region",
            "Customer's region",
            initial=draft.region or "",
            optional=True,
            max_length=64,
            placeholder="e.g. Nordics",
        ),
    ]
    title = f"Edit {label(editing)}" if editing is not None else "Log social complaint"
    return bk.modal(
        ComplaintAction.MODAL,
        title,
        blocks,
        submit="Save" if editing is not None else "Log complaint",
        private_metadata=meta.model_dump_json(exclude_none=True),
    )


def draft_from_state(values: dict[str, dict[str, Any]]) -> ComplaintDraft:
    """Read a submitted complaint modal's `view.state.values` into a draft (validated by the service)."""

    def value(block: str) -> dict[str, Any]:
        found: dict[str, Any] = values.get(block, {}).get("value", {})
        return found

    def chosen(block: str, default: str) -> str:
        return str((value(block).get("selected_option") or {}).get("value") or default)

    return ComplaintDraft(
        text=value("text").get("value") or "",
        url=(value("url").get("value") or "").strip() or None,
        network=chosen("network", "other"),
        author=value("author").get("value") or "",
        severity=chosen("severity", "medium"),
        tags=normalise_tags(value("tags").get("value") or ""),
        region=value("region").get("value") or None,
    )


def draft_of(complaint: Complaint, tags: Sequence[str]) -> ComplaintDraft:
    return ComplaintDraft(
        text=complaint.text,
        url=complaint.url,
        network=complaint.network,
        author=complaint.author,
        region=complaint.region,
        severity=complaint.severity,
        tags=list(tags),
    )


# ---- capture answers --------------------------------------------------------------------------------
def _where_it_went(complaint: Complaint) -> str:
    if complaint.owner_id:
        return f"owner <@{complaint.owner_id}>"
    if complaint.routed_channel:
        return f"waiting for an owner in <#{complaint.routed_channel}>"
    return "no owner yet — take it with `/complaint assign " + label(complaint) + " @you`"


def logged_reply(logged: Logged, now: datetime, *, add_details: bool) -> dict[str, Any]:
    """The thread reply under the Slack message a complaint was logged from."""
    complaint = logged.complaint
    if logged.created:
        text = f":triangular_flag_on_post: Logged as *{label(complaint)}* — {_where_it_went(complaint)}."
    else:
        text = f":information_source: This is already *{label(complaint)}* ({status_badge(complaint.status)}, {_where_it_went(complaint)})."
    blocks: list[bk.Block] = [bk.section(text), bk.context(due_text(complaint, now))]
    if add_details:
        blocks.append(
            bk.actions(bk.button("Add details", ComplaintAction.ADD_DETAILS, str(complaint.id), style="primary"))
        )
    plain = f"Logged as {label(complaint)}" if logged.created else f"Already logged as {label(complaint)}"
    return bk.message(plain, blocks)


def command_logged(logged: Logged, now: datetime) -> dict[str, Any]:
    complaint = logged.complaint
    if logged.created:
        head = f":white_check_mark: Logged *{label(complaint)}* — {_where_it_went(complaint)}."
    else:
        head = f":information_source: Already logged as *{label(complaint)}* ({status_badge(complaint.status)}, {_where_it_went(complaint)})."
    blocks = [
        bk.section(head),
        bk.section(complaint_line(complaint, logged.tags, now)),
        bk.actions(
            bk.button("Add details", ComplaintAction.ADD_DETAILS, str(complaint.id)),
            bk.button("View", ComplaintAction.VIEW, str(complaint.id)),
        ),
    ]
    plain = f"Logged {label(complaint)}" if logged.created else f"Already logged as {label(complaint)}"
    return bk.message(plain, blocks)


def details_saved(complaint: Complaint) -> dict[str, Any]:
    text = f":white_check_mark: Saved the details of *{label(complaint)}*."
    return bk.message(text, [bk.section(text)])


# ---- the owner's card, the triage post --------------------------------------------------------------
def _summary_fields(complaint: Complaint, tags: Sequence[str], now: datetime) -> bk.Block:
    customer = bk.escape(complaint.author) or "unknown"
    if complaint.region:
        customer += f" · {bk.escape(complaint.region)}"
    link = f"<{complaint.url}|open the post>" if complaint.url else "no link"
    return bk.fields(
        [
            ("Status", status_badge(complaint.status)),
            ("Severity", SEVERITY_LABELS.get(complaint.severity, complaint.severity)),
            ("Network", f"{network_label(complaint.network)} · {link}"),
            ("Customer", customer),
            ("Tags", ", ".join(bk.escape(t) for t in tags) or "none"),
            ("First response", due_text(complaint, now)),
        ]
    )


def complaint_actions(complaint: Complaint) -> bk.Block | None:
    """What the owner can do next: the buttons follow the status, so each one is a step that is allowed."""
    if complaint.status not in ("new", "assigned", "responded"):
        return None
    value = str(complaint.id)
    elements: list[dict[str, Any]] = []
    if complaint.status == "new":
        elements.append(bk.button("Take it", ComplaintAction.TAKE, value, style="primary"))
    if complaint.status == "assigned":
        elements.append(bk.button("Mark responded", ComplaintAction.MARK_RESPONDED, value, style="primary"))
    if complaint.status == "responded":
        elements.append(bk.button("Resolve", ComplaintAction.RESOLVE, value, style="primary"))
    elements.append(
        {"type": "users_select", "action_id": ComplaintAction.REASSIGN, "placeholder": bk.plain("Reassign…")}
    )
    elements.append(
        bk.static_select(
            ComplaintAction.SNOOZE, "Snooze…", [(f"{complaint.id}:{key}", text) for key, text in SNOOZE_CHOICES.items()]
        )
    )
    return bk.actions(*elements, block_id=actions_block_id(complaint.id))


def owner_card(complaint: Complaint, tags: Sequence[str], now: datetime) -> dict[str, Any]:
    """The owner's direct message: the complaint and its buttons; updated after every action."""
    name = label(complaint)
    if complaint.status in ("resolved", "dismissed"):
        head = f"{STATUS_EMOJI[complaint.status]} *{name}* is {complaint.status}."
    elif complaint.status == "responded":
        head = f":speech_balloon: *{name}* — responded; resolve it once the customer is helped."
    else:
        head = f":triangular_flag_on_post: *{name}* is yours: answer the customer by the due time."
    blocks: list[bk.Block] = [
        bk.section(head),
        bk.section(f"> {snippet(complaint, 600)}"),
        _summary_fields(complaint, tags, now),
    ]
    buttons = complaint_actions(complaint)
    if buttons:
        blocks.append(buttons)
    footer = [f"`/complaint show {name}` shows the whole trail."]
    if complaint.snoozed_until and complaint.status in ("new", "assigned", "responded"):
        footer.insert(0, f":zzz: Snoozed until {bk.slack_date(complaint.snoozed_until)}")
    blocks.append(bk.context(*footer))
    return bk.message(f"{name}: {complaint.status}", blocks)


def handed_over_card(complaint: Complaint, previous_owner: str | None) -> dict[str, Any]:
    text = f":arrow_right: *{label(complaint)}* now belongs to <@{complaint.owner_id}>."
    if previous_owner:
        text += f" (was <@{previous_owner}>)"
    return bk.message(f"{label(complaint)} reassigned", [bk.section(text)])


def triage_post(complaints: Sequence[Complaint], tags: dict[int, list[str]], now: datetime) -> dict[str, Any]:
    """Unowned complaints in the triage channel: one each, or a digest of a whole ingested batch."""
    shown = list(complaints[:10])
    if len(complaints) == 1:
        head = f":triangular_flag_on_post: *{label(complaints[0])}* needs an owner."
    else:
        head = f":triangular_flag_on_post: {len(complaints)} new complaints need an owner."
    blocks: list[bk.Block] = [bk.section(head)]
    for complaint in shown:
        blocks.append(
            bk.section(
                complaint_line(complaint, tags.get(complaint.id, []), now),
                accessory=bk.button("Take it", ComplaintAction.TAKE, str(complaint.id), style="primary"),
            )
        )
    if len(complaints) > len(shown):
        blocks.append(bk.context(f"…and {len(complaints) - len(shown)} more: `/complaint list open`."))
    names = ", ".join(label(c) for c in shown)
    return bk.message(f"Needs an owner: {names}", blocks)


def owner_digest(complaints: Sequence[Complaint], tags: dict[int, list[str]], now: datetime) -> dict[str, Any]:
    """Many complaints routed to one person at once (an ingested batch): one message instead of a card each."""
    shown = list(complaints[:10])
    head = f":triangular_flag_on_post: {len(complaints)} new complaints were routed to you."
    blocks: list[bk.Block] = [bk.section(head)]
    for complaint in shown:
        blocks.append(
            bk.section(
                complaint_line(complaint, tags.get(complaint.id, []), now),
                accessory=bk.button("View", ComplaintAction.VIEW, str(complaint.id)),
            )
        )
    blocks.append(bk.context("All of them, most urgent first, are on your Home tab and in `/complaint list mine`."))
    return bk.message(head, blocks)


def mark_in_post(blocks: list[bk.Block], complaint: Complaint) -> list[bk.Block]:
    """A triage post after someone acted on one of its complaints: that one shows its owner, the others stay."""
    marked: list[bk.Block] = []
    value = str(complaint.id)
    for block in blocks:
        accessory = block.get("accessory") or {}
        if block.get("type") == "section" and accessory.get("value") == value:
            block = {key: item for key, item in block.items() if key != "accessory"}
            line = f"{status_badge(complaint.status)} taken by <@{complaint.owner_id}>"
            block["text"] = bk.mrkdwn(f"{block.get('text', {}).get('text', '')}\n{line}")
        elif block.get("block_id") == actions_block_id(complaint.id):
            block = bk.context(f"{status_badge(complaint.status)} — owner {owner_text(complaint)}")
        marked.append(block)
    return marked


# ---- lists, details, Home -----------------------------------------------------------------------
FILTER_TITLES = {
    "open": "Open complaints",
    "mine": "Your open complaints",
    "overdue": "Overdue complaints",
    "all": "All complaints",
}
EMPTY = {
    "open": "No open complaints. :tada: Log one with `/complaint add <link or text>`.",
    "mine": "You own no open complaints. See the unowned ones with `/complaint list open`.",
    "overdue": "Nothing is overdue. :tada:",
    "all": "No complaints logged yet. Log one with `/complaint add <link or text>`.",
}


def complaint_list(page: ComplaintPage) -> dict[str, Any]:
    title = FILTER_TITLES.get(page.filter_name, f"Complaints tagged `{page.filter_name.removeprefix('tag:')}`")
    if not page.complaints:
        empty = EMPTY.get(page.filter_name, "None with that tag. See `/complaint list open`.")
        if page.total:
            empty = f"There is no page {page.page}: the list has {page.pages}."
        text = f"*{title}*\n{empty}"
        return bk.message(f"{title}: none", [bk.section(text)])
    blocks: list[bk.Block] = [bk.section(f"*{title}* ({page.total}) — page {page.page} of {page.pages}")]
    for complaint in page.complaints:
        blocks.append(
            bk.section(
                complaint_line(complaint, page.tags.get(complaint.id, []), page.now),
                accessory=bk.button("View", ComplaintAction.VIEW, str(complaint.id)),
            )
        )
    buttons = []
    if page.page > 1:
        buttons.append(bk.button("Previous", ComplaintAction.PAGE + "_prev", f"{page.filter_name}|{page.page - 1}"))
    if page.page < page.pages:
        buttons.append(bk.button("Next", ComplaintAction.PAGE + "_next", f"{page.filter_name}|{page.page + 1}"))
    if buttons:
        blocks.append(bk.actions(*buttons, block_id="complaint_pages"))
    return bk.message(f"{title}: {page.total}", blocks)


def _trail_line(event: AuditEvent) -> str:
    when = bk.slack_date(event.created_at, "{date_short} {time}")
    who = f"<@{event.actor_id}>" if event.actor_id.startswith(("U", "W")) else bk.escape(event.actor_id)
    after = event.after or {}
    what = {
        "created": f"logged it ({after.get('source', '')})",
        "assigned": f"assigned it to <@{after.get('owner_id')}>",
        "responded": "recorded a response",
        "resolved": "resolved it",
        "dismissed": "dismissed it",
        "snoozed": "snoozed it",
        "linked": f"linked it to {format_id(Kind.PROJECT, int(after.get('project_id') or 0))}",
        "details_updated": "edited the details",
    }.get(event.action, event.action.replace("_", " "))
    return f"• {when} {who} {what}"


def _note_line(note: ComplaintNote) -> str:
    when = bk.slack_date(note.created_at, "{date_short} {time}")
    body = bk.escape(bk.clip(note.body, 300)) if note.kind != "assigned" else note.body
    return f"• {when} <@{note.author_id}> *{note.kind}*" + (f": {body}" if body else "")


def _fit(head: str, lines: list[str]) -> str:
    """Keep whole lines, newest last, within a section's 3000 characters."""
    while lines and len(head) + 3 + sum(len(line) + 1 for line in lines) > bk.SECTION_TEXT_MAX:
        lines = lines[1:]
    return bk.clip("\n".join([head, *lines]) if lines else f"{head}\nNothing yet.", bk.SECTION_TEXT_MAX)


def detail_blocks(shown: ComplaintDetail, now: datetime, *, can_act: bool) -> list[bk.Block]:
    complaint = shown.complaint
    name = label(complaint)
    blocks: list[bk.Block] = [
        bk.header(f"{name}: {bk.clip(' '.join((complaint.text or complaint.url or '').split()), 100)}"),
        _summary_fields(complaint, shown.tags, now),
        bk.fields(
            [
                ("Owner", owner_text(complaint)),
                ("Logged", bk.slack_date(complaint.created_at) + f" via {complaint.source}"),
                ("Project", format_id(Kind.PROJECT, complaint.project_id) if complaint.project_id else "none"),
                (
                    "Snoozed until",
                    bk.slack_date(complaint.snoozed_until) if complaint.snoozed_until else "not snoozed",
                ),
            ]
        ),
    ]
    if complaint.text:
        blocks.append(bk.section(f"*What the customer said*\n> {bk.escape(bk.clip(complaint.text, 2800))}"))
    if shown.notes:
        blocks.append(bk.section(_fit("*Notes*", [_note_line(n) for n in shown.notes])))
    blocks.append(bk.section(_fit("*Audit trail*", [_trail_line(e) for e in shown.trail])))
    buttons = complaint_actions(complaint) if can_act else None
    if buttons:
        blocks.append(buttons)
    return blocks


def complaint_detail(shown: ComplaintDetail, now: datetime, *, can_act: bool) -> dict[str, Any]:
    complaint = shown.complaint
    return bk.message(f"{label(complaint)} ({complaint.status})", detail_blocks(shown, now, can_act=can_act))


def complaint_view_modal(shown: ComplaintDetail, now: datetime, *, can_act: bool) -> dict[str, Any]:
    return bk.modal(
        ComplaintAction.VIEW_MODAL,
        label(shown.complaint),
        detail_blocks(shown, now, can_act=can_act),
        submit=None,
        close="Close",
        private_metadata=ComplaintModalMeta(complaint_id=shown.complaint.id).model_dump_json(exclude_none=True),
    )


def change_confirmation(complaint: Complaint, action: str) -> dict[str, Any]:
    name = label(complaint)
    text = {
        "assigned": f":bust_in_silhouette: *{name}* now belongs to <@{complaint.owner_id}>.",
        "responded": f":speech_balloon: Recorded the response to *{name}*.",
        "resolved": f":white_check_mark: *{name}* is resolved.",
        "dismissed": f":no_entry_sign: *{name}* is dismissed.",
        "snoozed": f":zzz: *{name}* is snoozed until "
        + (bk.slack_date(complaint.snoozed_until) if complaint.snoozed_until else "later")
        + ".",
        "linked": f":link: *{name}* is linked to "
        + (format_id(Kind.PROJECT, complaint.project_id) if complaint.project_id else "a project")
        + ".",
    }.get(action, f"*{name}* updated.")
    return bk.message(text, [bk.section(text)])


def home_section(home: HomeComplaints) -> list[bk.Block]:
    blocks: list[bk.Block] = [bk.header("Your complaints")]
    if not home.complaints:
        blocks.append(
            bk.section(
                "No complaints are waiting for you. When one is routed to you it shows here, overdue ones first. "
                "See the unowned ones with `/complaint list open`."
            )
        )
        return blocks
    overdue = sum(1 for c in home.complaints if is_overdue(c, home.now))
    if overdue:
        blocks.append(bk.context(f":alarm_clock: {overdue} overdue — answer those first."))
    for complaint in home.complaints:
        blocks.append(
            bk.section(
                complaint_line(complaint, [], home.now),
                accessory=bk.button("View", ComplaintAction.VIEW, str(complaint.id)),
            )
        )
        buttons = complaint_actions(complaint)
        if buttons:
            blocks.append(buttons)
    if home.total > len(home.complaints):
        blocks.append(
            bk.context(f"Showing {len(home.complaints)} of {home.total}. See all with `/complaint list mine`.")
        )
    return blocks
