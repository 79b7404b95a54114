"""Routing-rule use cases for admins: list, add, edit, reorder, delete. They flush, never commit.

Every change needs an admin (HERO_ADMINS or a Slack workspace admin, looked up on the server) and
leaves an audit row with the rule before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints.matching import Conditions, keyword_problem, regex_problem, tag_key
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.networks import NETWORKS
from bot.permissions import Actor
from bot.settings import SEVERITIES
from bot.text import one_line
from storage.driver import select_rows
from storage.models import RoutingRule
from storage.repositories.audit import AuditRepository

RULES_MAX = 200
NAME_MAX = 100
TAG_MAX = 64
REGION_MAX = 64
ENTITY = "routing_rule"


class Target(StrEnum):
    USER = "user"
    GROUP = "group"
    TRIAGE = "triage"


class Field(StrEnum):
    """The rule modal's inputs (block IDs): inline errors are keyed by them."""

    NAME = "name"
    PATTERN = "pattern"
    PATTERN_KIND = "pattern_kind"
    TAG = "tag"
    NETWORK = "network"
    REGION = "region"
    SEVERITY = "severity"
    CATCH_ALL = "catch_all"
    TARGET_KIND = "target_kind"
    TARGET_USER = "target_user"
    TARGET_GROUP = "target_group"


@dataclass(frozen=True)
class RuleDraft:
    name: str = ""
    pattern: str = ""
    pattern_is_regex: bool = False
    tag: str = ""
    network: str = ""
    region: str = ""
    severity: str = ""
    catch_all: bool = False
    target_kind: str = Target.TRIAGE.value
    target_user: str | None = None
    target_group: str | None = None

    @property
    def conditions(self) -> Conditions:
        return Conditions(
            pattern=self.pattern or None,
            pattern_is_regex=self.pattern_is_regex,
            tag=self.tag or None,
            network=self.network or None,
            region=self.region or None,
            severity=self.severity or None,
        )

    @property
    def target_id(self) -> str | None:
        if self.target_kind == Target.USER:
            return self.target_user
        if self.target_kind == Target.GROUP:
            return self.target_group
        return None

    def cleaned(self) -> RuleDraft:
        return RuleDraft(
            name=one_line(self.name),
            pattern=(self.pattern or "").strip(),
            pattern_is_regex=self.pattern_is_regex,
            tag=tag_key(one_line(self.tag)),
            network=(self.network or "").strip().casefold(),
            region=one_line(self.region),
            severity=(self.severity or "").strip().casefold(),
            catch_all=self.catch_all,
            target_kind=self.target_kind,
            target_user=self.target_user or None,
            target_group=self.target_group or None,
        )


def problems(draft: RuleDraft) -> dict[str, str]:
    """What is wrong with a (cleaned) draft, by modal field; empty when it can be saved."""
    found: dict[str, str] = {}
    if not draft.name:
        found[Field.NAME] = "Give the rule a name, e.g. `Refunds to the billing team`."
    elif len(draft.name) > NAME_MAX:
        found[Field.NAME] = f"Keep the name under {NAME_MAX} characters."
    if draft.pattern:
        problem = regex_problem(draft.pattern) if draft.pattern_is_regex else keyword_problem(draft.pattern)
        if problem:
            found[Field.PATTERN] = problem
    if len(draft.tag) > TAG_MAX:
        found[Field.TAG] = f"Keep the tag under {TAG_MAX} characters."
    if draft.network and draft.network not in NETWORKS:
        found[Field.NETWORK] = "Pick a network from the list."
    if len(draft.region) > REGION_MAX:
        found[Field.REGION] = f"Keep the region under {REGION_MAX} characters."
    if draft.severity and draft.severity not in SEVERITIES:
        found[Field.SEVERITY] = "Pick a severity from the list."
    if draft.conditions.is_catch_all and not draft.catch_all:
        found[Field.PATTERN] = (
            "Set at least one condition (keyword, tag, network, region or severity), "
            "or tick *Match every complaint* below."
        )
    if not draft.conditions.is_catch_all and draft.catch_all:
        found[Field.CATCH_ALL] = (
            "A rule that matches every complaint has no other conditions: untick this or clear them."
        )
    if draft.target_kind not in tuple(Target):
        found[Field.TARGET_KIND] = "Choose where matching complaints go."
    elif draft.target_kind == Target.USER and not draft.target_user:
        found[Field.TARGET_USER] = "Pick the person who gets these complaints."
    elif draft.target_kind == Target.GROUP and not draft.target_group:
        found[Field.TARGET_GROUP] = "Pick the user group whose members take turns."
    return found


def snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "position": rule.position,
        "name": rule.name,
        "pattern": rule.pattern,
        "pattern_is_regex": rule.pattern_is_regex,
        "tag": rule.tag,
        "network": rule.network,
        "region": rule.region,
        "severity": rule.severity,
        "target_kind": rule.target_kind,
        "target_id": rule.target_id,
    }


def conditions_of(rule: RoutingRule | RuleRow) -> Conditions:
    return Conditions(
        pattern=rule.pattern,
        pattern_is_regex=bool(rule.pattern_is_regex),
        tag=rule.tag,
        network=rule.network,
        region=rule.region,
        severity=rule.severity,
    )


def draft_of(rule: RoutingRule) -> RuleDraft:
    return RuleDraft(
        name=rule.name,
        pattern=rule.pattern or "",
        pattern_is_regex=rule.pattern_is_regex,
        tag=rule.tag or "",
        network=rule.network or "",
        region=rule.region or "",
        severity=rule.severity or "",
        catch_all=conditions_of(rule).is_catch_all,
        target_kind=rule.target_kind,
        target_user=rule.target_id if rule.target_kind == Target.USER else None,
        target_group=rule.target_id if rule.target_kind == Target.GROUP else None,
    )


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can view and change the complaint routing rules.")


_RULES_QUERY = (
    select(RoutingRule)
    .where(RoutingRule.team_id == bindparam("team_id"))
    .order_by(RoutingRule.position, RoutingRule.id)
    .limit(RULES_MAX + 1)
)  # built once: routing reads the rules for every new complaint
_RULES_LOCKED = _RULES_QUERY.with_for_update().execution_options(populate_existing=True)


class RuleRow(NamedTuple):
    """What routing needs of a rule, read through Core (`read_rules`)."""

    id: int
    name: str
    pattern: str | None
    pattern_is_regex: bool
    tag: str | None
    network: str | None
    region: str | None
    severity: str | None
    target_kind: str
    target_id: str | None


_RULE_ROWS = (
    select(*(getattr(RoutingRule, name) for name in RuleRow._fields))
    .where(RoutingRule.team_id == bindparam("team_id"))
    .order_by(RoutingRule.position, RoutingRule.id)
    .limit(RULES_MAX + 1)
)


def read_rules(connection: Connection, team_id: str) -> list[RuleRow]:
    """The workspace's rules in order, for routing (`Database.read`: no session, no ORM objects)."""
    return [RuleRow(*row) for row in select_rows(connection, _RULE_ROWS, {"team_id": team_id})]


async def list_rules(session: AsyncSession, team_id: str, *, lock: bool = False) -> list[RoutingRule]:
    query = _RULES_LOCKED if lock else _RULES_QUERY
    return list((await session.scalars(query, {"team_id": team_id})).all())


async def get_rule(session: AsyncSession, team_id: str, rule_id: int) -> RoutingRule:
    rule = await session.scalar(select(RoutingRule).where(RoutingRule.team_id == team_id, RoutingRule.id == rule_id))
    if rule is None:
        raise NotFound("That rule no longer exists; someone may have deleted it. Run `/complaint rules` again.")
    return rule


def _apply(rule: RoutingRule, draft: RuleDraft) -> None:
    rule.name = draft.name
    rule.pattern = draft.pattern or None
    rule.pattern_is_regex = draft.pattern_is_regex if draft.pattern else False
    rule.tag = draft.tag or None
    rule.network = draft.network or None
    rule.region = draft.region or None
    rule.severity = draft.severity or None
    rule.target_kind = draft.target_kind
    rule.target_id = draft.target_id


async def save_rule(
    session: AsyncSession, actor: Actor, draft: RuleDraft, *, rule_id: int | None, now: datetime
) -> RoutingRule:
    """Add a rule at the end of the list, or change one in place. InvalidInput names the first bad field."""
    require_admin(actor)
    clean = draft.cleaned()
    found = problems(clean)
    if found:
        field_name, message = next(iter(found.items()))
        raise InvalidInput(message, field_name)
    audit = AuditRepository(session)
    if rule_id is None:
        count = await session.scalar(
            select(func.count()).select_from(RoutingRule).where(RoutingRule.team_id == actor.team_id)
        )
        if (count or 0) >= RULES_MAX:
            raise InvalidInput(f"A workspace can have at most {RULES_MAX} rules; delete one first.", Field.NAME)
        last = await session.scalar(select(func.max(RoutingRule.position)).where(RoutingRule.team_id == actor.team_id))
        rule = RoutingRule(
            team_id=actor.team_id,
            position=(last + 1) if last is not None else 0,
            created_by=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        _apply(rule, clean)
        session.add(rule)
        await session.flush()
        audit.record(
            team_id=actor.team_id,
            entity_type=ENTITY,
            entity_id=rule.id,
            action="created",
            actor_id=actor.user_id,
            after=snapshot(rule),
        )
        return rule
    rule = await get_rule(session, actor.team_id, rule_id)
    before = snapshot(rule)
    _apply(rule, clean)
    rule.updated_at = now
    await session.flush()
    audit.record(
        team_id=actor.team_id,
        entity_type=ENTITY,
        entity_id=rule.id,
        action="updated",
        actor_id=actor.user_id,
        before=before,
        after=snapshot(rule),
    )
    return rule


def _renumber(rules: Sequence[RoutingRule]) -> None:
    for position, rule in enumerate(rules):
        rule.position = position


async def move_rule(session: AsyncSession, actor: Actor, rule_id: int, step: int, *, now: datetime) -> RoutingRule:
    """Move a rule one place up (step -1) or down (+1); at either end it stays where it is."""
    require_admin(actor)
    rules = await list_rules(session, actor.team_id, lock=True)
    index = next((i for i, rule in enumerate(rules) if rule.id == rule_id), None)
    if index is None:
        await get_rule(session, actor.team_id, rule_id)  # raises NotFound
        raise NotFound("That rule no longer exists.")
    target = index + (1 if step > 0 else -1)
    rule = rules[index]
    if not 0 <= target < len(rules):
        return rule
    before = rule.position
    rules[index], rules[target] = rules[target], rules[index]
    _renumber(rules)
    rule.updated_at = now
    await session.flush()
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type=ENTITY,
        entity_id=rule.id,
        action="moved",
        actor_id=actor.user_id,
        before={"position": before},
        after={"position": rule.position},
    )
    return rule


async def delete_rule(session: AsyncSession, actor: Actor, rule_id: int) -> RoutingRule:
    require_admin(actor)
    rules = await list_rules(session, actor.team_id, lock=True)
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None:
        rule = await get_rule(session, actor.team_id, rule_id)  # raises NotFound
    before = snapshot(rule)
    await session.delete(rule)
    _renumber([r for r in rules if r.id != rule_id])
    await session.flush()
    AuditRepository(session).record(
        team_id=actor.team_id,
        entity_type=ENTITY,
        entity_id=rule_id,
        action="deleted",
        actor_id=actor.user_id,
        before=before,
    )
    return rule
