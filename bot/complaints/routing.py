"""Which person or channel a new complaint goes to: the routing rules, evaluated in order.

The first rule whose conditions all hold decides (see bot.complaints.matching). A rule sends the
complaint to a person, to a Slack user group — its members take turns — or to the triage channel;
with no rule matching, or a group without members, it goes to the triage channel.

The turn of a user group is a row (RoundRobinCursor) updated under a row lock inside the write that stores
the complaint: restarts keep it, and two instances creating complaints at once never give both to the same
person out of turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.complaints.matching import Conditions, Facts, first_match
from bot.complaints.rules import RuleRow, Target, conditions_of, read_rules
from bot.runtime import Runtime
from storage.models import Complaint, RoundRobinCursor


@dataclass(frozen=True)
class Route:
    """A person who owns the complaint, or (owner None) the triage channel that will pick it up."""

    owner_id: str | None
    channel: str | None
    rule_id: int | None = None
    rule_name: str = ""


class Routable(Protocol):
    """What routing looks at: a stored complaint, or a draft about to be stored."""

    text: str
    network: str
    region: str | None
    severity: str


@dataclass(frozen=True)
class Rules:
    """A workspace's routing rules, in order, with their conditions, and the members of the user groups the
    complaints at hand would go to: what `route` needs, all read before the write that stores them."""

    ordered: Sequence[tuple[RuleRow, Conditions]]
    members: dict[str, frozenset[str]]


def _with_conditions(connection: Connection, team_id: str) -> list[tuple[RuleRow, Conditions]]:
    return [(rule, conditions_of(rule)) for rule in read_rules(connection, team_id)]


async def prepare(
    runtime: Runtime,
    client: AsyncWebClient,
    team_id: str,
    complaints: Sequence[tuple[Routable, Sequence[str]]],
) -> Rules:
    """The rules, and the members of the user groups that will take turns (a Web API call when the
    directory's cache is cold), read before the write: no Slack call waits while it holds the write lock."""
    ordered = await runtime.database.read(_with_conditions, team_id)
    groups = {
        rule.target_id
        for complaint, tags in complaints
        if (rule := _matching(ordered, complaint, tags)) is not None
        and rule.target_kind == Target.GROUP
        and rule.target_id
    }
    members = {group: await runtime.directory.group_members(client, team_id, group) for group in sorted(groups)}
    return Rules(ordered, members)


def _matching(rules: Sequence[tuple[RuleRow, Conditions]], complaint: Routable, tags: Sequence[str]) -> RuleRow | None:
    facts = Facts.of(
        text=complaint.text,
        tags=tags,
        network=complaint.network,
        region=complaint.region,
        severity=complaint.severity,
    )
    return first_match(rules, facts)


def route(connection: Connection, rules: Rules, triage: str | None, complaint: Complaint, tags: Sequence[str]) -> Route:
    """The first matching rule's target; with no rule matching, the triage channel. Inside the write that
    stores the complaint (a group's turn is taken there)."""
    rule = _matching(rules.ordered, complaint, tags)
    if rule is None:
        return Route(owner_id=None, channel=triage)
    if rule.target_kind == Target.USER and rule.target_id:
        return Route(owner_id=rule.target_id, channel=None, rule_id=rule.id, rule_name=rule.name)
    if rule.target_kind == Target.GROUP and rule.target_id:
        members = rules.members.get(rule.target_id)
        if members:
            owner = take_turn(connection, complaint.team_id, rule.target_id, members)
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


_CURSORS = RoundRobinCursor.metadata.tables[RoundRobinCursor.__tablename__]
_CURSOR_OF = (_CURSORS.c.team_id == bindparam("of_team")) & (_CURSORS.c.group_id == bindparam("of_group"))
_LAST_SERVED = select(_CURSORS.c.last_user_id).where(_CURSOR_OF).with_for_update()
_ADVANCE = update(_CURSORS).where(_CURSOR_OF).values(count=_CURSORS.c.count + 1, last_user_id=bindparam("served"))


def take_turn(connection: Connection, team_id: str, group_id: str, members: Iterable[str]) -> str:
    """Give the group's next turn: the cursor row is created if missing, then locked, read and advanced."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # Writing first also makes SQLite take its write lock now, before the read, so the read is current.
    connection.execute(
        insert(_CURSORS)
        .values(team_id=team_id, group_id=group_id, count=0, last_user_id=None)
        .on_conflict_do_nothing(index_elements=["team_id", "group_id"])
    )
    key = {"of_team": team_id, "of_group": group_id}
    last = connection.execute(_LAST_SERVED, key).scalar_one()
    owner = next_in_turn(members, last)
    connection.execute(_ADVANCE, {**key, "served": owner})
    return owner
