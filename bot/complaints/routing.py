"""Which person or channel a new complaint goes to: the routing rules, evaluated in order.

The first rule whose conditions all hold decides (see bot.complaints.matching). A rule sends the
complaint to a person, to a Slack user group — its members take turns — or to the triage channel;
with no rule matching, or a group without members, it goes to the triage channel.

The turn of a user group is a row (RoundRobinCursor) updated under a row lock inside the caller's unit
of work: restarts keep it, and two instances creating complaints at once never give both to the same
person out of turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.complaints.matching import Conditions, Facts, first_match
from bot.complaints.rules import Target, conditions_of, list_rules
from bot.runtime import Runtime
from storage.models import Complaint, RoundRobinCursor, RoutingRule


@dataclass(frozen=True)
class Route:
    """A person who owns the complaint, or (owner None) the triage channel that will pick it up."""

    owner_id: str | None
    channel: str | None
    rule_id: int | None = None
    rule_name: str = ""


_RULES = "herobot_routing_rules"


class Routable(Protocol):
    """What routing looks at: a stored complaint, or a draft about to be stored."""

    text: str
    network: str
    region: str | None
    severity: str


async def prepare(
    session: AsyncSession,
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    complaints: Sequence[tuple[Routable, Sequence[str]]],
) -> None:
    """Do the reads `route` needs before the caller's first write: the rules, read once for the whole unit
    of work, and the members of the user groups that will take turns (a Web API call when the directory's
    cache is cold), so that no query and no Slack call waits while the transaction holds the write lock."""
    rules = await _rules(session, team_id)
    groups = {
        rule.target_id
        for complaint, tags in complaints
        if (rule := _matching(rules, complaint, tags)) is not None
        and rule.target_kind == Target.GROUP
        and rule.target_id
    }
    for group in sorted(groups):
        await runtime.directory.group_members(client, team_id, group)


async def _rules(session: AsyncSession, team_id: str) -> list[tuple[RoutingRule, Conditions]]:
    """The workspace's rules with their conditions, read once per unit of work (kept in the session)."""
    cache: dict[str, list[tuple[RoutingRule, Conditions]]] = session.info.setdefault(_RULES, {})
    if team_id not in cache:
        cache[team_id] = [(rule, conditions_of(rule)) for rule in await list_rules(session, team_id)]
    return cache[team_id]


def _matching(
    rules: Sequence[tuple[RoutingRule, Conditions]], complaint: Routable, tags: Sequence[str]
) -> RoutingRule | None:
    facts = Facts.of(
        text=complaint.text,
        tags=tags,
        network=complaint.network,
        region=complaint.region,
        severity=complaint.severity,
    )
    return first_match(rules, facts)


async def route(
    session: AsyncSession,
    runtime: Runtime,
    client: AsyncWebClient,
    complaint: Complaint,
    tags: Sequence[str],
    rules: Sequence[RoutingRule] | None = None,
) -> Route:
    """The first matching rule's target; with no rule matching, the triage channel.

    `rules`: the workspace's rules in order, when the caller loaded them; else they are read once per
    unit of work (see `prepare`).
    """
    triage = runtime.settings.hero_complaints_channel
    ordered = (
        await _rules(session, complaint.team_id) if rules is None else [(rule, conditions_of(rule)) for rule in rules]
    )
    rule = _matching(ordered, complaint, tags)
    if rule is None:
        return Route(owner_id=None, channel=triage)
    if rule.target_kind == Target.USER and rule.target_id:
        return Route(owner_id=rule.target_id, channel=None, rule_id=rule.id, rule_name=rule.name)
    if rule.target_kind == Target.GROUP and rule.target_id:
        members = await runtime.directory.group_members(client, complaint.team_id, rule.target_id)
        if members:
            owner = await take_turn(session, complaint.team_id, rule.target_id, members)
            return Route(owner_id=owner, channel=None, rule_id=rule.id, rule_name=rule.name)
    return Route(owner_id=None, channel=triage, rule_id=rule.id, rule_name=rule.name)


def next_in_turn(members: Iterable[str], last: str | None) -> str:
    """The member after `last` in a stable order (user IDs sorted), wrapping around.

    Keyed on the last person served rather than a counter, so a member joining or leaving the group
    shifts nobody's turn.
    """
    ordered = sorted(set(members))
    if not ordered:
        raise ValueError("a group without members has no turn")
    if last is None:
        return ordered[0]
    return next((member for member in ordered if member > last), ordered[0])


async def take_turn(session: AsyncSession, team_id: str, group_id: str, members: Iterable[str]) -> str:
    """Give the group's next turn: the cursor row is created if missing, then locked, read and advanced."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Writing first also makes SQLite take its write lock now, before the read, so the read is current.
    await session.execute(
        insert(RoundRobinCursor)
        .values(team_id=team_id, group_id=group_id, count=0, last_user_id=None)
        .on_conflict_do_nothing(index_elements=["team_id", "group_id"])
    )
    cursor = await session.scalar(
        select(RoundRobinCursor)
        .where(RoundRobinCursor.team_id == team_id, RoundRobinCursor.group_id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert cursor is not None
    owner = next_in_turn(members, cursor.last_user_id)
    cursor.count += 1
    cursor.last_user_id = owner
    await session.flush()
    return owner
