"""Block Kit of the routing-rule editor: the ordered list with its buttons, and the rule modal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import blocks as bk
from bot.complaints.matching import split_list
from bot.complaints.routing_ids import RuleAction, RuleModalMeta, RuleRef
from bot.complaints.rules import Field, RuleDraft, Target, conditions_of, draft_of
from bot.directory import Group
from bot.networks import NETWORKS, network_label
from bot.settings import SEVERITIES
from storage.models import RoutingRule

PAGE_SIZE = 20
ANY = "any"
TARGET_LABELS = {
    Target.USER: "A person",
    Target.GROUP: "A user group (its members take turns)",
    Target.TRIAGE: "The triage channel",
}


def describe_conditions(rule: RoutingRule) -> str:
    conditions = conditions_of(rule)
    if conditions.is_catch_all:
        return "every complaint"
    parts: list[str] = []
    if conditions.pattern:
        if conditions.pattern_is_regex:
            parts.append(f"text matches `{bk.escape(conditions.pattern)}`")
        else:
            words = " or ".join(f"“{bk.escape(word)}”" for word in split_list(conditions.pattern))
            parts.append(f"text mentions {words}")
    if conditions.tag:
        parts.append(f"tag `{bk.escape(conditions.tag)}`")
    if conditions.network:
        parts.append(f"on {network_label(conditions.network)}")
    if conditions.region:
        parts.append(f"region {bk.escape(conditions.region)}")
    if conditions.severity:
        parts.append(f"severity {conditions.severity}")
    return " · ".join(parts)


def describe_target(rule: RoutingRule, groups: Mapping[str, str], triage: str | None) -> str:
    if rule.target_kind == Target.USER and rule.target_id:
        return f"<@{rule.target_id}>"
    if rule.target_kind == Target.GROUP and rule.target_id:
        handle = groups.get(rule.target_id)
        name = f"@{bk.escape(handle)}" if handle else f"user group {rule.target_id} (no longer in Slack?)"
        return f"{name}, members taking turns"
    return f"the triage channel <#{triage}>" if triage else "the triage channel (HERO_COMPLAINTS_CHANNEL is not set)"


def rules_message(
    rules: Sequence[RoutingRule], *, groups: Mapping[str, str], triage: str | None, page: int = 0, notice: str = ""
) -> dict[str, Any]:
    """The ordered rules with *Edit*, *Up*, *Down*, *Delete*, and *Add rule*; PAGE_SIZE rules a page."""
    pages = max(1, -(-len(rules) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    fallback = f"the triage channel <#{triage}>" if triage else "the triage channel"
    blocks: list[bk.Block] = [bk.header("Complaint routing rules")]
    if notice:
        blocks.append(bk.section(notice))
    if not rules:
        blocks.append(
            bk.section(
                f"No rules yet: every new complaint goes to {fallback}. Add a rule to send complaints "
                "about a topic, a tag, a network, a region or a severity straight to the right person or team."
            )
        )
    else:
        blocks.append(bk.context(f"Checked from the top; the first rule that matches decides. No match → {fallback}."))
    first = page * PAGE_SIZE
    for index, rule in enumerate(rules[first : first + PAGE_SIZE], start=first):
        ref = RuleRef(r=rule.id, p=page).encode()
        text = (
            f"*{index + 1}. {bk.escape(rule.name)}*\n"
            f"When: {describe_conditions(rule)}\n"
            f"Goes to: {describe_target(rule, groups, triage)}"
        )
        delete = bk.button("Delete", RuleAction.DELETE, ref, style="danger")
        delete["confirm"] = {
            "title": bk.plain("Delete this rule?", 100),
            "text": bk.mrkdwn(f"*{bk.escape(rule.name)}* will no longer route complaints.", 300),
            "confirm": bk.plain("Delete", 30),
            "deny": bk.plain("Keep it", 30),
            "style": "danger",
        }
        buttons = [bk.button("Edit", RuleAction.EDIT, ref)]
        if index > 0:
            buttons.append(bk.button("Up", RuleAction.UP, ref))
        if index < len(rules) - 1:
            buttons.append(bk.button("Down", RuleAction.DOWN, ref))
        buttons.append(delete)
        blocks += [bk.section(text), bk.actions(*buttons, block_id=f"rule_{rule.id}")]
    footer = [bk.button("Add rule", RuleAction.ADD, RuleRef(p=page).encode(), style="primary")]
    if page > 0:
        footer.append(bk.button("Previous page", RuleAction.PAGE, RuleRef(p=page - 1).encode()))
    if page < pages - 1:
        footer.append(bk.button("Next page", RuleAction.PAGE, RuleRef(p=page + 1).encode()))
    blocks.append(bk.actions(*footer, block_id="rules_footer"))
    if pages > 1:
        blocks.append(bk.context(f"Page {page + 1} of {pages} · {len(rules)} rules"))
    count = f"{len(rules)} routing rule{'s' if len(rules) != 1 else ''}"
    return bk.message(f"Complaint routing rules: {count}", blocks)


def _option(element: dict[str, Any], value: str | None) -> dict[str, Any]:
    chosen = next((o for o in element["options"] if o["value"] == value), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def rule_modal(
    groups: Sequence[Group],
    *,
    rule: RoutingRule | None = None,
    meta: RuleModalMeta | None = None,
) -> dict[str, Any]:
    draft = draft_of(rule) if rule is not None else RuleDraft()
    meta = meta or RuleModalMeta()
    kind_select = bk.static_select(
        "value",
        "How to match the text",
        [("keyword", "Text mentions a keyword"), ("regex", "Text matches a regular expression")],
        initial="regex" if draft.pattern_is_regex else "keyword",
    )
    network = bk.static_select(
        "value", "Any network", [(ANY, "Any network"), *NETWORKS.items()], initial=draft.network or ANY
    )
    severity = bk.static_select(
        "value",
        "Any severity",
        [(ANY, "Any severity"), *((s, s.capitalize()) for s in SEVERITIES)],
        initial=draft.severity or ANY,
    )
    catch_all_option = bk.option("Match every complaint (a catch-all rule)", "yes")
    catch_all: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [catch_all_option]}
    if draft.catch_all and rule is not None:
        catch_all["initial_options"] = [catch_all_option]
    target_kind = bk.static_select(
        "value", "Where complaints go", [(k.value, label) for k, label in TARGET_LABELS.items()], draft.target_kind
    )
    user_select: dict[str, Any] = {
        "type": "users_select",
        "action_id": "value",
        "placeholder": bk.plain("Pick a person"),
    }
    if draft.target_user:
        user_select["initial_user"] = draft.target_user
    blocks: list[bk.Block] = [
        bk.text_input(Field.NAME, "Name", initial=draft.name, max_length=100, placeholder="Refunds to billing"),
        bk.context("*When* — every condition you set must hold; leave the others empty."),
        bk.input_block(Field.PATTERN_KIND, "Match the text by", kind_select),
        bk.text_input(
            Field.PATTERN,
            "Keywords or regular expression",
            initial=draft.pattern,
            optional=True,
            max_length=200,
            placeholder="refund, chargeback",
            hint="Keywords: comma-separated, matched where a word starts, ignoring case. "
            "A regular expression is searched anywhere in the text, ignoring case.",
        ),
        bk.text_input(Field.TAG, "Tag", initial=draft.tag, optional=True, max_length=64, placeholder="billing"),
        bk.input_block(Field.NETWORK, "Network", network, optional=True),
        bk.text_input(
            Field.REGION,
            "Customer's region",
            initial=draft.region,
            optional=True,
            max_length=64,
            placeholder="DE, AT",
            hint="One region, or several separated by commas, for local representatives.",
        ),
        bk.input_block(Field.SEVERITY, "Severity", severity, optional=True),
        bk.input_block(Field.CATCH_ALL, "Catch-all", catch_all, optional=True),
        bk.context("*Then* — who gets the complaint."),
        bk.input_block(Field.TARGET_KIND, "Send to", target_kind),
        bk.input_block(Field.TARGET_USER, "Person", user_select, optional=True, hint="When sending to a person."),
    ]
    if groups:
        group_select = bk.static_select(
            "value",
            "Pick a user group",
            [(g.id, f"@{g.handle} — {g.name}" if g.name != g.handle else f"@{g.handle}") for g in groups],
            initial=draft.target_group,
        )
        blocks.append(
            bk.input_block(
                Field.TARGET_GROUP, "User group", group_select, optional=True, hint="When sending to a group."
            )
        )
    else:
        blocks.append(bk.context("No user groups in this workspace yet (Slack: People → User groups)."))
    title = "Edit routing rule" if rule is not None else "New routing rule"
    return bk.modal(
        RuleAction.MODAL,
        title,
        blocks,
        submit="Save rule",
        private_metadata=RuleModalMeta(
            rule_id=rule.id if rule else None, channel=meta.channel, page=meta.page
        ).model_dump_json(),
    )


def draft_from_state(values: dict[str, dict[str, Any]]) -> RuleDraft:
    def value(block: str) -> dict[str, Any]:
        return values.get(block, {}).get("value", {}) or {}

    def selected(block: str) -> str:
        chosen = (value(block).get("selected_option") or {}).get("value") or ""
        return "" if chosen == ANY else chosen

    return RuleDraft(
        name=value(Field.NAME).get("value") or "",
        pattern=value(Field.PATTERN).get("value") or "",
        pattern_is_regex=selected(Field.PATTERN_KIND) == "regex",
        tag=value(Field.TAG).get("value") or "",
        network=selected(Field.NETWORK),
        region=value(Field.REGION).get("value") or "",
        severity=selected(Field.SEVERITY),
        catch_all=bool(value(Field.CATCH_ALL).get("selected_options")),
        target_kind=selected(Field.TARGET_KIND) or Target.TRIAGE.value,
        target_user=value(Field.TARGET_USER).get("selected_user") or None,
        target_group=selected(Field.TARGET_GROUP) or None,
    )
