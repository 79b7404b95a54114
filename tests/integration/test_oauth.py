"""Installing the bot in several workspaces (OAuth): each one's requests run with its own token and see
only its own records; jobs get a workspace's client from the installations stored in our database."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from bot.console import demo
from bot.console.emulator import Emulator, http_sender
from bot.manifest import BOT_SCOPES
from bot.workspaces import WorkspaceNotInstalled
from storage.models import Project, slack_bots, slack_installations, slack_oauth_states
from tests.conftest import SIGNING_SECRET, Harness, MakeHarness

OTHER_TEAM = "T0OTHER"
OAUTH = {"slack_bot_token": None, "slack_client_id": "1111.2222", "slack_client_secret": "client-secret"}


async def start_install(harness: Harness) -> tuple[str, dict[str, list[str]], str]:
    response = await harness.http.get(harness.url + "/slack/install", allow_redirects=False)
    assert response.status == 302
    location = response.headers["Location"]
    return location, parse_qs(urlparse(location).query), response.cookies["slack-app-oauth-state"].value


async def install(harness: Harness, team_id: str, installer: str) -> None:
    """An admin of `team_id` follows /slack/install, presses Allow on Slack's page, and comes back."""
    _, query, cookie = await start_install(harness)
    code = harness.fake.approve_install(team_id, installer, query["scope"][0].split(","))
    response = await harness.http.get(
        harness.url + "/slack/oauth_redirect",
        params={"code": code, "state": query["state"][0]},
        headers={"Cookie": f"slack-app-oauth-state={cookie}"},
    )
    assert response.status == 200, await response.text()


def workspace(harness: Harness, team_id: str) -> Emulator:
    return Emulator(
        harness.fake, SIGNING_SECRET, http_sender(harness.http, harness.url + "/slack/events"), team_id=team_id
    )


def tokens_used(harness: Harness) -> set[str | None]:
    return {call.token for call in harness.fake.calls if call.method != "response_url"}


def last_ephemeral(harness: Harness, user: str) -> str:
    return harness.fake.ephemerals[-1].text if harness.fake.ephemerals[-1].user == user else ""


async def test_install_redirects_to_slacks_consent_page_with_state_and_scopes(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    location, query, cookie = await start_install(harness)
    assert location.startswith(harness.fake.base_url + "/oauth/v2/authorize?")
    assert query["client_id"] == ["1111.2222"]
    assert sorted(query["scope"][0].split(",")) == sorted(set(BOT_SCOPES))
    assert query["state"] == [cookie]
    async with harness.database.unit_of_work() as session:
        states = (await session.execute(select(slack_oauth_states.c.state))).scalars().all()
    assert states == [cookie]


async def test_the_redirect_exchanges_the_code_and_stores_the_installation(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    await install(harness, OTHER_TEAM, demo.SAM)
    exchange = harness.fake.calls_to("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0]["code"].startswith("code-")
    async with harness.database.unit_of_work() as session:
        stored = (await session.execute(select(slack_installations))).mappings().all()
        bots = (await session.execute(select(slack_bots))).mappings().all()
        states = (await session.execute(select(slack_oauth_states))).all()
    assert [(row["team_id"], row["user_id"], row["client_id"]) for row in stored] == [
        (OTHER_TEAM, demo.SAM, "1111.2222")
    ]
    assert [row["bot_token"] for row in bots] == [f"xoxb-{OTHER_TEAM}-1"]
    assert states == []  # a state is used once


async def test_a_redirect_without_a_valid_state_stores_nothing(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    code = harness.fake.approve_install(OTHER_TEAM, demo.SAM, list(BOT_SCOPES))
    response = await harness.http.get(harness.url + "/slack/oauth_redirect", params={"code": code, "state": "forged"})
    assert response.status == 400
    assert harness.fake.calls_to("oauth.v2.access") == []
    async with harness.database.unit_of_work() as session:
        assert (await session.execute(select(slack_installations))).all() == []


async def test_a_workspace_that_never_installed_the_bot_is_told_to_install_it(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    reply = await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert reply.status == 200
    assert "reinstall this app" in last_ephemeral(harness, demo.MAYA)
    async with harness.database.unit_of_work() as session:
        assert (await session.scalars(select(Project))).all() == []


async def test_two_workspaces_each_use_their_own_token_and_see_only_their_records(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    await install(harness, demo.TEAM_ID, demo.SAM)
    await install(harness, OTHER_TEAM, demo.LEO)
    home, other = harness.slack, workspace(harness, OTHER_TEAM)

    harness.fake.calls.clear()
    await home.slash(demo.MAYA, "/hero", "new Refund tweets")
    assert "HERO-1" in last_ephemeral(harness, demo.MAYA)
    assert tokens_used(harness) == {f"xoxb-{demo.TEAM_ID}-1"}

    harness.fake.calls.clear()
    await other.slash(demo.LEO, "/hero", "show HERO-1")
    assert "There is no project HERO-1" in last_ephemeral(harness, demo.LEO)
    assert tokens_used(harness) <= {f"xoxb-{OTHER_TEAM}-2"}
    await other.slash(demo.LEO, "/hero", "stage HERO-1 retired")
    assert "There is no project HERO-1" in last_ephemeral(harness, demo.LEO)
    await other.slash(demo.LEO, "/hero", "update HERO-1 taking this over")
    assert "There is no project HERO-1" in last_ephemeral(harness, demo.LEO)
    await other.slash(demo.LEO, "/hero", "list all")
    assert "Refund tweets" not in last_ephemeral(harness, demo.LEO)

    await other.slash(demo.LEO, "/hero", "new Forum answers")
    await home.slash(demo.MAYA, "/hero", "list all")
    listed = harness.fake.ephemerals[-1]
    assert "Refund tweets" in listed.text + str(listed.blocks) and "Forum answers" not in listed.text + str(
        listed.blocks
    )
    async with harness.database.unit_of_work() as session:
        projects = {p.title: (p.team_id, p.stage) for p in (await session.scalars(select(Project))).all()}
    assert projects == {"Refund tweets": (demo.TEAM_ID, "proposed"), "Forum answers": (OTHER_TEAM, "proposed")}


async def test_jobs_get_each_workspaces_client_from_the_installations(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    runtime = harness.hero.runtime
    with pytest.raises(WorkspaceNotInstalled):
        await runtime.client_for(OTHER_TEAM)
    await install(harness, demo.TEAM_ID, demo.SAM)
    await install(harness, OTHER_TEAM, demo.LEO)
    assert await runtime.workspaces.team_ids() == sorted([demo.TEAM_ID, OTHER_TEAM])  # type: ignore[union-attr]
    client = await runtime.client_for(OTHER_TEAM)
    assert client.token == f"xoxb-{OTHER_TEAM}-2"
    assert (await client.auth_test())["team_id"] == OTHER_TEAM


async def test_uninstalling_removes_that_workspaces_installation_only(make_harness: MakeHarness) -> None:
    harness = await make_harness(**OAUTH)
    await install(harness, demo.TEAM_ID, demo.SAM)
    await install(harness, OTHER_TEAM, demo.LEO)
    other = workspace(harness, OTHER_TEAM)
    reply = await other.send_event(other.envelope({"type": "app_uninstalled"}))
    assert reply.status == 200
    with pytest.raises(WorkspaceNotInstalled):
        await harness.hero.runtime.client_for(OTHER_TEAM)
    assert (await harness.hero.runtime.client_for(demo.TEAM_ID)).token == f"xoxb-{demo.TEAM_ID}-1"


async def test_one_workspace_mode_gives_the_bot_client_to_its_own_workspace_only(harness: Harness) -> None:
    runtime = harness.hero.runtime
    client = await runtime.client_for(demo.TEAM_ID)
    assert client.token == "xoxb-test"
    with pytest.raises(WorkspaceNotInstalled):
        await runtime.client_for(OTHER_TEAM)
