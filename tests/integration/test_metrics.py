"""GET /metrics: requests and ack time by kind, Slack calls and errors by method, scheduled runs, database figures."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from bot.console import demo
from bot.console.surfaces import find_element
from bot.metrics import Metrics, value_of
from bot.projects import metrics as project_metrics
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from tests.conftest import Harness, MakeHarness


async def scrape(harness: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await harness.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_requests_are_counted_by_kind_with_their_ack_time(harness: Harness) -> None:
    await harness.slack.slash(demo.MAYA, "/hero", "new Answer delayed-refund tweets")
    shown = harness.fake.ephemerals[-1]
    block_id, button = find_element(shown.blocks, "Add details")
    await harness.slack.act_on_ephemeral(demo.MAYA, shown.channel, button, block_id)
    await harness.slack.close(demo.MAYA)
    await harness.slack.slash(demo.MAYA, "/hero", "list")
    await harness.slack.global_shortcut(demo.MAYA, "hero_project_shortcut")
    await harness.slack.submit(demo.MAYA, {"title": "ab"})
    await harness.slack.open_home(demo.LEO)
    samples = await scrape(harness)
    assert samples[("herobot_slack_requests_total", (("kind", "command"), ("status", "200")))] == 2
    assert samples[("herobot_slack_requests_total", (("kind", "action"), ("status", "200")))] == 1
    assert samples[("herobot_slack_requests_total", (("kind", "shortcut"), ("status", "200")))] == 1
    assert samples[("herobot_slack_requests_total", (("kind", "view"), ("status", "200")))] == 1
    assert samples[("herobot_slack_requests_total", (("kind", "event"), ("status", "200")))] == 1
    assert samples[("herobot_slack_ack_seconds_count", (("kind", "command"),))] == 2
    assert samples[("herobot_slack_ack_seconds_bucket", (("kind", "command"), ("le", "+Inf")))] == 2


async def test_a_request_with_a_bad_signature_is_counted_as_refused(harness: Harness) -> None:
    harness.slack.secret = "not-the-signing-secret"
    reply = await harness.slack.slash(demo.MAYA, "/hero", "list")
    assert reply.status == 401
    samples = await scrape(harness)
    assert samples[("herobot_slack_requests_total", (("kind", "command"), ("status", "401")))] == 1


async def test_slack_calls_and_errors_are_counted_by_method(make_harness: MakeHarness) -> None:
    harness = await make_harness(hero_projects_channel=demo.CX_COUNCIL)  # the bot is not in that channel
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.open_home(demo.MAYA)
    samples = await scrape(harness)
    assert samples[("herobot_slack_api_calls_total", (("method", "chat.postMessage"),))] == 1
    assert (
        samples[("herobot_slack_api_errors_total", (("error", "not_in_channel"), ("method", "chat.postMessage")))] == 1
    )
    assert samples[("herobot_slack_api_calls_total", (("method", "views.publish"),))] == 1
    assert ("herobot_slack_api_errors_total", (("error", "not_in_channel"), ("method", "views.publish"))) not in samples


async def test_scheduled_runs_and_failures_are_counted_per_job(harness: Harness) -> None:
    runtime = harness.hero.runtime
    scheduler = Scheduler(runtime)

    async def fine(runtime: Runtime) -> None:
        return None

    async def broken(runtime: Runtime) -> None:
        raise RuntimeError("the database went away")

    await scheduler._run("reminders", fine)
    await scheduler._run("council-digest:12", broken)
    await scheduler._run("council-digest:13", fine)
    samples = await scrape(harness)
    assert samples[("herobot_scheduler_runs_total", (("job", "reminders"),))] == 1
    assert samples[("herobot_scheduler_runs_total", (("job", "council-digest"),))] == 2
    assert samples[("herobot_scheduler_failures_total", (("job", "council-digest"),))] == 1
    assert ("herobot_scheduler_failures_total", (("job", "reminders"),)) not in samples


async def test_domain_gauges_come_from_the_database_on_scrape(make_harness: MakeHarness) -> None:
    harness = await make_harness()
    project_metrics.register_metrics(harness.hero.runtime)
    await harness.slack.slash(demo.MAYA, "/hero", "new Refund tweets")
    await harness.slack.slash(demo.MAYA, "/hero", "new Forum answers")
    await harness.slack.slash(demo.MAYA, "/hero", "stage HERO-2 active")
    samples = await scrape(harness)
    assert samples[("herobot_projects", (("stage", "proposed"),))] == 1
    assert samples[("herobot_projects", (("stage", "active"),))] == 1
    assert samples[("herobot_projects", (("stage", "retired"),))] == 0


async def test_a_failing_source_keeps_its_last_values_and_is_counted() -> None:
    clock = [0.0]
    metrics = Metrics(monotonic=lambda: clock[0])
    figure = metrics.gauge("herobot_test_figure", "A figure from the database")
    outcomes = [7.0]

    async def refresh() -> None:
        if not outcomes:
            raise RuntimeError("database unreachable")
        figure.set(outcomes.pop())

    metrics.add_source("figures", refresh, ttl=10)
    assert b"herobot_test_figure 7.0" in await metrics.exposition()
    clock[0] = 5.0  # within the TTL: no query at all
    await metrics.exposition()
    assert value_of(metrics, "herobot_metrics_source_failures_total", {"source": "figures"}) is None
    clock[0] = 20.0
    text = (await metrics.exposition()).decode()
    assert "herobot_test_figure 7.0" in text
    assert value_of(metrics, "herobot_metrics_source_failures_total", {"source": "figures"}) == 1


async def test_two_apps_in_one_process_keep_separate_counts(make_harness: MakeHarness) -> None:
    first = await make_harness()
    second = await make_harness()
    await first.slack.slash(demo.MAYA, "/hero", "list")
    assert (
        value_of(first.hero.runtime.metrics, "herobot_slack_requests_total", {"kind": "command", "status": "200"}) == 1
    )
    assert (
        value_of(second.hero.runtime.metrics, "herobot_slack_requests_total", {"kind": "command", "status": "200"})
        is None
    )
    text = await (await second.get("/metrics")).text()
    assert not re.search(r'herobot_slack_requests_total\{kind="command"', text)
