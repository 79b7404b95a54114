"""The bot's own HTTP routes beside /slack/events: health, metrics, and complaint ingestion (handlers.ingest)."""

from __future__ import annotations

from aiohttp import web

from bot.metrics import CONTENT_TYPE
from bot.runtime import Runtime
from handlers import ingest


def register(web_app: web.Application, runtime: Runtime) -> None:
    async def healthz(request: web.Request) -> web.Response:
        if await runtime.database.is_ready():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unreachable or not migrated"}, status=503)

    async def metrics(request: web.Request) -> web.Response:
        body = await runtime.metrics.exposition()
        response = web.Response(body=body)
        # Prometheus' content type carries a version parameter that aiohttp's content_type argument refuses.
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    ingest.register(web_app, runtime)
