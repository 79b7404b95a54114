"""Thin Slack listeners: parse the request, call one service, render one view, send it."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from handlers import actions, commands, errors, events, http, shortcuts, views


def register_all(app: AsyncApp, web_app: web.Application, runtime: Runtime) -> None:
    errors.register(app)
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
    shortcuts.register(app, runtime)
    events.register(app, runtime)
    http.register(web_app, runtime)
