"""The ceiling for the ack-path benchmark: a bare Bolt AsyncApp on the same aiohttp adapter that only acks.

Run as `python bench/bare_app.py PORT`; reads SLACK_SIGNING_SECRET and SLACK_API_URL like herobot.
"""

from __future__ import annotations

import os
import re
import sys

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build() -> web.Application:
    client = AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @bolt.command("/hero")
    @bolt.command("/complaint")
    async def ack_only(ack):  # type: ignore[no-untyped-def]
        await ack()

    @bolt.action(re.compile(".*"))
    async def ack_action(ack):  # type: ignore[no-untyped-def]
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", lambda request: web.json_response({"status": "ok"}))
    return app


if __name__ == "__main__":
    web.run_app(
        build(),
        host="127.0.0.1",
        port=int(sys.argv[1] if len(sys.argv) > 1 else os.environ["PORT"]),
        access_log=None,
        print=None,
    )
